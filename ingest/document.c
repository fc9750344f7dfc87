/* One document: its sources checked, its name and Seq chosen, its PDF written under a hidden
 * temp name, recorded in the ledger (rows, audit entry, intent to publish) in one transaction,
 * then put in place under its name (core.h, "Publishing a file the ledger records"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supersede_impl.h"

void in_result_clear(in_result *r)
{
    g_free(r->path);
    g_free(r->rel_path);
    g_free(r->kept_as);
    g_free(r->signed_kept_as);
    memset(r, 0, sizeof *r);
}

typedef char hex_digest[SH_SHA256_HEX_LEN + 1];

/* ---- sources ---- */

typedef struct {
    in_source **items;
    size_t n;
    int pages;
} source_list;

static void sources_free(source_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        in_source_close(l->items[i]);
    g_free(l->items);
    memset(l, 0, sizeof *l);
}

static sh_status add_source(source_list *l, const char *path, const in_limits *lim, sh_error *err)
{
    in_source *s;
    sh_status st = in_source_open(path, lim, &s, err);
    if (st != SH_OK)
        return st;
    l->items = g_renew(in_source *, l->items, l->n + 1);
    l->items[l->n++] = s;
    l->pages += s->n_pages;
    return SH_OK;
}

/* Every source opened and checked before anything is written. */
static sh_status open_sources(const in_document *doc, const in_context *ctx, source_list *l,
                              sh_error *err)
{
    sh_status st = SH_OK;
    if (doc->n_sources == 0)
        return sh_fail(err, SH_USAGE, "%s", _("ingest: give the page files (or a folder of them)"));
    for (size_t i = 0; i < doc->n_sources && st == SH_OK; i++) {
        const char *src = doc->sources[i];
        struct stat sb;
        if (stat(src, &sb) != 0)
            st = sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), src);
        else if (S_ISDIR(sb.st_mode)) {
            char **files;
            size_t n;
            st = in_list_folder(src, &files, &n, err);
            if (st == SH_OK && n == 0)
                st = sh_fail(err, SH_INPUT,
                             _("the folder %s holds no TIFF, JPEG, PNG or PDF files"), src);
            for (size_t k = 0; st == SH_OK && k < n; k++)
                st = add_source(l, files[k], &ctx->limits, err);
            g_strfreev(files);
        } else
            st = add_source(l, src, &ctx->limits, err);
    }
    if (st != SH_OK)
        return st;
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i]->kind == IN_KIND_PDF && l->n > 1)
            return sh_fail(err, SH_USAGE,
                           _("%s is a PDF: a scanner PDF is ingested on its own, as one "
                             "document, not together with other files"),
                           l->items[i]->path);
    /* Page sizes come from the resolution: without one the page size would be a guess. */
    for (size_t i = 0; i < l->n; i++) {
        in_source *s = l->items[i];
        for (int p = 0; s->kind != IN_KIND_PDF && p < s->n_pages; p++) {
            in_page_info *pi = &s->pages[p];
            if (pi->xres > 0)
                continue;
            if (doc->dpi <= 0)
                return sh_fail(err, SH_INPUT,
                               _("%s, page %d: the image does not say its resolution; give "
                                 "--dpi with the resolution it was scanned at (for example "
                                 "--dpi 300)"),
                               s->path, p + 1);
            pi->xres = pi->yres = doc->dpi;
        }
    }
    return SH_OK;
}

/* ---- the destination ---- */

/* The Seqs already taken by this type in the dossier folder (signed copies included), and
 * whether one file of the type has none. */
static void taken_seqs(const char *dir, int stt, const nm_rules *r, GArray *seqs, bool *unnumbered)
{
    *unnumbered = false;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        nm_file_id id;
        if (e->d_name[0] == '.' || !nm_parse_file_name(e->d_name, r, &id) || id.type->stt != stt)
            continue;
        if (id.seq == 0)
            *unnumbered = true;
        else
            g_array_append_val(seqs, id.seq);
    }
    closedir(d);
}

static sh_status choose_seq(const in_document *doc, const in_context *ctx, const char *dir,
                            const nm_doc_type *type, int *seq, sh_error *err)
{
    if (doc->seq < 0 || doc->seq > NM_SEQ_MAX)
        return sh_fail(err, SH_USAGE, _("the SoThuTu must be a number from 1 to %d"), NM_SEQ_MAX);
    GArray *seqs = g_array_new(FALSE, FALSE, sizeof(int));
    bool unnumbered;
    taken_seqs(dir, type->stt, ctx->rules, seqs, &unnumbered);
    int max = 0;
    for (guint i = 0; i < seqs->len; i++)
        max = MAX(max, g_array_index(seqs, int, i));
    sh_status st = SH_OK;
    char *lone = nm_file_name(type, 0, NULL), *first = nm_file_name(type, 1, NULL);
    if (unnumbered && (doc->seq > 0 || doc->more_expected || seqs->len == 0))
        /* A second document of a type that has one without a Seq: the first must become .1 */
        st = sh_fail(err, SH_USAGE,
                     _("%s/%s already exists. When a dossier holds several documents of one "
                       "type, each is numbered: rename that file to \"%s\", then ingest this one "
                       "with --seq 2 (or the next number)"),
                     dir, lone, first);
    else if (doc->seq > 0)
        *seq = doc->seq;
    else if ((seqs->len > 0 || doc->more_expected) && max >= NM_SEQ_MAX)
        st = sh_fail(err, SH_USAGE,
                     _("%s already holds documents of this type up to SoThuTu %d, the largest "
                       "there can be"),
                     dir, NM_SEQ_MAX);
    else if (seqs->len > 0 || doc->more_expected)
        *seq = max + 1;
    else
        *seq = 0;
    g_free(lone);
    g_free(first);
    g_array_free(seqs, TRUE);
    return st;
}

/* The first error of the name checks becomes the error; warnings go to the caller's sink. */
typedef struct {
    const in_context *ctx;
    char error[1024];
} parts_sink;

static void parts_finding(const sh_finding *f, void *p)
{
    parts_sink *ps = p;
    if (f->severity == SH_ERROR) {
        if (!ps->error[0])
            snprintf(ps->error, sizeof ps->error, "%s", f->message);
    } else if (ps->ctx->warn)
        ps->ctx->warn(f, ps->ctx->warn_ctx);
}

/* ---- writing ---- */

static void xml_escaped(GString *out, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        default:
            g_string_append_c(out, *s);
        }
}

static char *iso_time(int64_t t)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(t);
    char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(dt);
    return s;
}

/* XMP carrying the same title, subject, tool and dates as the Info dictionary. */
static void write_xmp(pdf_writer *w, int obj, const char *title, const char *subject, int64_t when)
{
    char *date = iso_time(when);
    GString *x =
        g_string_new("<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                     "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
                     "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
                     "<rdf:Description rdf:about=\"\""
                     " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
                     " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\""
                     " xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
                     "<dc:format>application/pdf</dc:format>\n"
                     "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    xml_escaped(x, title);
    g_string_append(x, "</rdf:li></rdf:Alt></dc:title>\n"
                       "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    xml_escaped(x, subject);
    g_string_append_printf(x,
                           "</rdf:li></rdf:Alt></dc:description>\n"
                           "<xmp:CreatorTool>sohoa %s</xmp:CreatorTool>\n"
                           "<xmp:CreateDate>%s</xmp:CreateDate>\n"
                           "<xmp:ModifyDate>%s</xmp:ModifyDate>\n"
                           "<xmp:MetadataDate>%s</xmp:MetadataDate>\n"
                           "<pdf:Producer>sohoa %s</pdf:Producer>\n"
                           "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
                           "<?xpacket end=\"w\"?>",
                           SOHOA_VERSION, date, date, date, SOHOA_VERSION);
    pdf_stream_begin(w, obj, "/Type /Metadata /Subtype /XML", x->len);
    pdf_write(w, x->str, x->len);
    pdf_stream_end(w);
    g_string_free(x, TRUE);
    g_free(date);
}

static void write_page(pdf_writer *w, int page, int parent, int content, int image,
                       const in_page_info *pi)
{
    double wpt = pi->width * 72.0 / pi->xres, hpt = pi->height * 72.0 / pi->yres;
    /* The image fills the page; a mirrored orientation flips it left to right first. */
    pdf_stream_begin(w, content, "", PDF_LENGTH_LATER);
    pdf_printf(w, "q ");
    pdf_real(w, pi->mirror ? -wpt : wpt);
    pdf_printf(w, " 0 0 ");
    pdf_real(w, hpt);
    pdf_printf(w, " ");
    pdf_real(w, pi->mirror ? wpt : 0);
    pdf_printf(w, " 0 cm /Im0 Do Q\n");
    pdf_stream_end(w);

    pdf_object_begin(w, page);
    pdf_printf(w, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 ", parent);
    pdf_real(w, wpt);
    pdf_printf(w, " ");
    pdf_real(w, hpt);
    pdf_printf(w, "] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R", image, content);
    if (pi->rotate)
        pdf_printf(w, " /Rotate %d", pi->rotate);
    pdf_printf(w, " >>");
    pdf_object_end(w);
}

typedef struct {
    const char *title;
    const char *subject;
    int64_t when;
} doc_meta;

/* The PDF, sealed under a hidden temp name (*sealed): published once the ledger records it. */
static sh_status write_pdf(const source_list *l, const char *path, bool no_replace,
                           const doc_meta *m, uint8_t sha256[SH_SHA256_LEN],
                           sh_atomic_file **sealed, sh_error *err)
{
    int minor = 4;
    for (size_t i = 0; i < l->n; i++)
        minor = MAX(minor, l->items[i]->pdf_minor);
    pdf_writer *w = pdf_writer_new(path, minor, no_replace, err);
    if (!w)
        return err->status;
    pdf_writer_hand_over(w, sealed);
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int info = pdf_object_reserve(w), xmp = pdf_object_reserve(w);
    GArray *kids = g_array_sized_new(FALSE, FALSE, sizeof(int), (guint)l->pages);
    sh_status st = SH_OK;
    for (size_t i = 0; i < l->n && st == SH_OK; i++) {
        in_source *s = l->items[i];
        for (int p = 0; p < s->n_pages && st == SH_OK; p++) {
            int page = pdf_object_reserve(w), content = pdf_object_reserve(w);
            int image = pdf_object_reserve(w);
            st = s->ops->emit(s, p, w, image, err);
            if (st == SH_OK)
                write_page(w, page, pages, content, image, &s->pages[p]);
            g_array_append_val(kids, page);
        }
    }
    if (st != SH_OK) {
        pdf_writer_abort(w);
        g_array_free(kids, TRUE);
        return st;
    }
    pdf_object_begin(w, pages);
    pdf_printf(w, "<< /Type /Pages /Count %u /Kids [", kids->len);
    for (guint i = 0; i < kids->len; i++)
        pdf_printf(w, i ? " %d 0 R" : "%d 0 R", g_array_index(kids, int, i));
    pdf_printf(w, "] >>");
    pdf_object_end(w);
    g_array_free(kids, TRUE);

    pdf_object_begin(w, catalog);
    pdf_printf(w, "<< /Type /Catalog /Pages %d 0 R /Metadata %d 0 R >>", pages, xmp);
    pdf_object_end(w);
    write_xmp(w, xmp, m->title, m->subject, m->when);
    pdf_object_begin(w, info);
    pdf_printf(w, "<< /Title ");
    pdf_text_string(w, m->title);
    pdf_printf(w, " /Subject ");
    pdf_text_string(w, m->subject);
    pdf_printf(w, " /Creator (sohoa %s) /Producer (sohoa %s) /CreationDate ", SOHOA_VERSION,
               SOHOA_VERSION);
    pdf_date(w, m->when);
    pdf_printf(w, " /ModDate ");
    pdf_date(w, m->when);
    pdf_printf(w, " >>");
    pdf_object_end(w);
    return pdf_writer_finish(w, catalog, info, sha256, err);
}

/* A scanner PDF, byte for byte, sealed under a hidden temp name (*sealed) like write_pdf's. */
static sh_status copy_file(const char *from, const char *path, bool no_replace,
                           sh_atomic_file **sealed, sh_error *err)
{
    *sealed = NULL;
    int fd = open(from, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), from);
    sh_atomic_file *f = sh_atomic_open(path, no_replace ? SH_ATOMIC_NO_REPLACE : 0, err);
    if (!f) {
        close(fd);
        return err->status;
    }
    uint8_t *buf = g_malloc(256 * 1024);
    ssize_t n;
    sh_status st = SH_OK;
    while (st == SH_OK && (n = read(fd, buf, 256 * 1024)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        st = n < 0 ? sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), from)
                   : sh_atomic_write(f, buf, (size_t)n, err);
    }
    g_free(buf);
    close(fd);
    if (st == SH_OK)
        st = sh_atomic_seal(f, err);
    if (st != SH_OK) {
        sh_atomic_abort(f);
        return st;
    }
    *sealed = f;
    return SH_OK;
}

/* ---- the ledger ---- */

static sh_status db_error(sh_ledger *l, sh_error *err)
{
    return sh_ledger_fail(l, err, N_("record the document"));
}

static char *details_json(const in_result *r, const in_document *doc, const source_list *l,
                          hex_digest *source_sha)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "sha256", r->sha256);
    sh_json_kv_int(j, "pages", r->pages);
    sh_json_kv_int(j, "type", doc->type_stt);
    sh_json_kv_int(j, "seq", r->seq);
    if (doc->expected_pages > 0)
        sh_json_kv_int(j, "expected_pages", doc->expected_pages);
    sh_json_kv_array(j, "sources");
    for (size_t i = 0; i < l->n; i++) {
        sh_json_begin_object(j);
        char *shown = nm_shown(l->items[i]->path); /* JSON is text; a name may not be */
        sh_json_kv_str(j, "path", shown);
        g_free(shown);
        sh_json_kv_str(j, "sha256", source_sha[i]);
        sh_json_kv_int(j, "pages", l->items[i]->n_pages);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, NULL);
    char *out = g_strdup(text ? text : "{}");
    sh_json_free(j);
    return out;
}

/* One statement: prepared, bound by `bind`, stepped once; its id (RETURNING or the new rowid)
 * in *id when not NULL. Finalized whatever happens. */
typedef void (*binder)(sqlite3_stmt *q, const void *ctx);

static sh_status run_once(sh_ledger *l, const char *sql, binder bind, const void *bctx, int64_t *id,
                          sh_error *err)
{
    sqlite3 *db = sh_ledger_db(l);
    sqlite3_stmt *q = NULL;
    sh_status st = SH_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        st = db_error(l, err);
    else {
        bind(q, bctx);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW && id)
            *id = sqlite3_column_int64(q, 0);
        else if (rc == SQLITE_DONE && id)
            *id = sqlite3_last_insert_rowid(db);
        else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            st = db_error(l, err);
    }
    sqlite3_finalize(q);
    return st;
}

typedef struct {
    const in_document *doc;
    const char *folder_rel;
    const in_result *r;
    const char *now;
    int64_t audit_id, dossier, document;
    const in_source *source;
    int position;
    const char *source_sha;
} record_args;

static void bind_dossier(sqlite3_stmt *q, const void *p)
{
    const record_args *a = p;
    sqlite3_bind_text(q, 1, a->doc->org_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, a->doc->cccd, -1, SQLITE_STATIC);
    /* The name as written, in NFC: typed or pasted decomposed (NFD), it would not compare equal
     * to the same name elsewhere, and packages carry it in NFC (docs/package.md). */
    char *nfc = g_utf8_normalize(a->doc->person_name, -1, G_NORMALIZE_NFC);
    sqlite3_bind_text(q, 3, nfc ? nfc : a->doc->person_name, -1, SQLITE_TRANSIENT);
    g_free(nfc);
    sqlite3_bind_text(q, 4, a->folder_rel, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, a->now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, a->audit_id);
}

static void bind_document(sqlite3_stmt *q, const void *p)
{
    const record_args *a = p;
    sqlite3_bind_int64(q, 1, a->dossier);
    sqlite3_bind_text(q, 2, a->r->rel_path, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, a->doc->type_stt);
    if (a->r->seq)
        sqlite3_bind_int(q, 4, a->r->seq);
    sqlite3_bind_text(q, 5, a->r->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, a->r->pages);
    if (a->doc->expected_pages > 0)
        sqlite3_bind_int(q, 7, a->doc->expected_pages);
    sqlite3_bind_text(q, 8, a->now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 9, a->audit_id);
}

static void bind_document_id(sqlite3_stmt *q, const void *p)
{
    sqlite3_bind_int64(q, 1, ((const record_args *)p)->document);
}

static void bind_source(sqlite3_stmt *q, const void *p)
{
    const record_args *a = p;
    sqlite3_bind_int64(q, 1, a->document);
    sqlite3_bind_int(q, 2, a->position);
    sqlite3_bind_text(q, 3, a->source->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, a->source_sha, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, a->source->n_pages);
}

/* One transaction: the audit entry, the dossier and document rows, the sources, and the intent
 * to publish the sealed file (core.h, "Publishing a file the ledger records"). */
static sh_status record(const in_context *ctx, const in_document *doc, const char *folder_rel,
                        const in_result *r, const source_list *l, hex_digest *source_sha,
                        const sh_atomic_file *sealed, int64_t *intent, in_plan *plan, sh_error *err)
{
    char now[32];
    sh_utc_now(now);
    record_args a = {.doc = doc, .folder_rel = folder_rel, .r = r, .now = now};
    char *details = details_json(r, doc, l, source_sha);
    sh_status st = sh_ledger_begin(ctx->ledger, err);
    if (st != SH_OK) {
        g_free(details);
        return st;
    }
    st = in_supersede_record(ctx, plan, r, err); /* a rescan: what it replaces, first */
    if (st == SH_OK)
        st = sh_audit_append(ctx->ledger, ctx->actor, "document.ingest", r->rel_path, details,
                             &a.audit_id, err);
    g_free(details);
    /* The dossier row is made by its first document; later ones find it. */
    if (st == SH_OK)
        st = run_once(ctx->ledger,
                      "INSERT INTO dossiers(org_code, cccd, person_name, folder, created_at, "
                      "audit_id) VALUES(?,?,?,?,?,?) ON CONFLICT(folder) DO UPDATE SET folder = "
                      "excluded.folder RETURNING id",
                      bind_dossier, &a, &a.dossier, err);
    /* A path seen before belonged to a file since removed (sh_publish_intend refuses a name
     * that is taken): the row now describes the new file; the audit keeps the old. */
    if (st == SH_OK)
        st = run_once(ctx->ledger,
                      "INSERT INTO documents(dossier_id, path, type_stt, seq, sha256, pages, "
                      "expected_pages, created_at, audit_id) VALUES(?,?,?,?,?,?,?,?,?) "
                      "ON CONFLICT(path) DO UPDATE SET dossier_id = excluded.dossier_id, "
                      "type_stt = excluded.type_stt, seq = excluded.seq, sha256 = "
                      "excluded.sha256, pages = excluded.pages, expected_pages = "
                      "excluded.expected_pages, created_at = excluded.created_at, audit_id = "
                      "excluded.audit_id RETURNING id",
                      bind_document, &a, &a.document, err);
    if (st == SH_OK)
        st = run_once(ctx->ledger, "DELETE FROM document_sources WHERE document_id = ?",
                      bind_document_id, &a, NULL, err);
    for (size_t i = 0; st == SH_OK && i < l->n; i++) {
        a.source = l->items[i];
        a.position = (int)i + 1;
        a.source_sha = source_sha[i];
        st = run_once(ctx->ledger,
                      "INSERT INTO document_sources(document_id, position, path, sha256, pages) "
                      "VALUES(?,?,?,?,?)",
                      bind_source, &a, NULL, err);
    }
    if (st == SH_OK)
        st = sh_publish_intend(ctx->ledger, ctx->root, sealed, r->sha256, intent, err);
    if (st == SH_OK)
        return sh_ledger_commit(ctx->ledger, err);
    sh_ledger_rollback(ctx->ledger);
    return st;
}

/* ---- the whole ---- */

typedef struct {
    const source_list *l;
    hex_digest *sha;
    sh_status status;
    sh_error err;
} source_hashing;

static gpointer hash_sources(gpointer arg)
{
    source_hashing *h = arg;
    for (size_t i = 0; i < h->l->n && h->status == SH_OK; i++) {
        uint8_t d[SH_SHA256_LEN];
        h->status = sh_sha256_file(h->l->items[i]->path, d, &h->err);
        sh_hex(d, sizeof d, h->sha[i]);
    }
    return NULL;
}

static void warn(const in_context *ctx, const char *code, const char *path, int page,
                 const char *message, const char *key, double value)
{
    if (!ctx->warn)
        return;
    sh_finding f = {
        .code = code, .severity = SH_WARNING, .path = path, .page = page, .message = message};
    sh_finding_value(&f, key, value);
    ctx->warn(&f, ctx->warn_ctx);
}

static void warn_pages(const in_context *ctx, const in_document *doc, const source_list *l,
                       const in_result *r)
{
    int n = 0;
    for (size_t i = 0; i < l->n; i++) {
        const in_source *s = l->items[i];
        for (int p = 0; s->kind != IN_KIND_PDF && p < s->n_pages; p++) {
            n++;
            double ppi = MIN(s->pages[p].xres, s->pages[p].yres);
            if (ppi + 0.5 >= ctx->min_dpi)
                continue;
            char *msg = g_strdup_printf(_("%s: page %d is %.0f ppi, below the %d ppi required; "
                                          "validate will reject it: scan it again at 300 ppi"),
                                        s->path, n, ppi, ctx->min_dpi);
            warn(ctx, "page.low_dpi", r->rel_path, n, msg, "dpi", ppi);
            g_free(msg);
        }
    }
    if (doc->expected_pages > 0 && r->pages != doc->expected_pages) {
        char *msg = g_strdup_printf(_("%d pages were expected but %d were given; validate will "
                                      "reject the document until the missing pages are scanned"),
                                    doc->expected_pages, r->pages);
        warn(ctx, "doc.page_count", r->rel_path, 0, msg, "pages", r->pages);
        g_free(msg);
    }
}

/* Make the folders on the way to dir; remember which were new so a failure can remove them. */
static sh_status make_folders(const char *root, const char *rel, GPtrArray *made, sh_error *err)
{
    char **parts = g_strsplit(rel, "/", -1);
    char *path = g_strdup(root);
    sh_status st = SH_OK;
    for (char **p = parts; *p && st == SH_OK; p++) {
        char *next = g_build_filename(path, *p, NULL);
        g_free(path);
        path = next;
        if (mkdir(path, 0755) == 0)
            g_ptr_array_add(made, g_strdup(path));
        else if (errno != EEXIST)
            st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot create the folder %s"), path);
    }
    g_free(path);
    g_strfreev(parts);
    return st;
}

static void remove_new_folders(GPtrArray *made)
{
    for (guint i = made->len; i-- > 0;)
        rmdir(g_ptr_array_index(made, i)); /* only if still empty */
}

/* name.cccd_duplicate: one person has one dossier. A folder of this member key (a CCCD, or a
 * CMND or passport number) under another organisation or name (made by hand, or by an ingest
 * with a mistyped key or name) is named, and nothing is written. The folders on disk are the
 * dossiers (docs/naming.md). */
static sh_status refuse_second_dossier(const in_context *ctx, const in_document *doc,
                                       const char *folder_rel, sh_error *err)
{
    char *other = nm_other_dossier_of(ctx->root, doc->cccd, folder_rel);
    if (!other)
        return SH_OK;
    char *shown = nm_shown(other);
    sh_fail(err, SH_USAGE,
            _("%s %s already has a dossier, %s (name.cccd_duplicate): one person has one "
              "dossier. Give that folder's organisation code and name, or check the number on "
              "the card"),
            nm_key_kind_label(nm_key_kind_of(doc->cccd)), doc->cccd, shown);
    g_free(shown);
    g_free(other);
    return SH_USAGE;
}

sh_status in_ingest_document(const in_document *doc, const in_context *ctx, in_result *out,
                             sh_error *err)
{
    memset(out, 0, sizeof *out);
    const nm_doc_type *type = nm_catalog_find(doc->type_stt);
    if (!type)
        return sh_fail(err, SH_USAGE,
                       _("%d is not a document type: the STT goes from 1 to %d (sohoa catalog "
                         "lists them)"),
                       doc->type_stt, NM_CATALOG_SIZE);
    parts_sink ps = {.ctx = ctx};
    char *folder_rel = nm_dossier_folder(doc->org_code, doc->cccd, doc->person_name, ctx->rules,
                                         parts_finding, &ps);
    if (!folder_rel)
        return sh_fail(err, SH_USAGE, "%s", ps.error);
    if (refuse_second_dossier(ctx, doc, folder_rel, err) != SH_OK) {
        g_free(folder_rel);
        return err->status;
    }

    source_list l = {0};
    GPtrArray *made = g_ptr_array_new_with_free_func(g_free);
    char *dir = g_build_filename(ctx->root, folder_rel, NULL);
    /* What writers killed in this folder left behind (only unrecorded temp files of dead
     * processes), before its names are read and written. */
    sh_temp_sweep_dir(ctx->ledger, ctx->root, dir);
    sh_status st = open_sources(doc, ctx, &l, err);
    /* A re-run (made from these files already), a file to make again, or a rescan's target
     * (supersede.c); otherwise the Seq rules below. */
    in_plan plan = {.seq = -1};
    if (st == SH_OK)
        st = in_plan_document(doc, ctx, folder_rel, type, l.items, l.n, &plan, out, err);
    if (st == SH_OK && plan.done) {
        in_plan_clear(ctx, &plan);
        g_ptr_array_free(made, TRUE);
        g_free(dir);
        g_free(folder_rel);
        sources_free(&l);
        return SH_OK;
    }
    in_document with_plan;
    if (plan.expected_pages > 0) { /* a rescan keeps the expected count of what it replaces */
        with_plan = *doc;
        with_plan.expected_pages = plan.expected_pages;
        doc = &with_plan;
    }
    if (st == SH_OK && plan.seq >= 0)
        out->seq = plan.seq;
    else if (st == SH_OK)
        st = choose_seq(doc, ctx, dir, type, &out->seq, err);
    if (st == SH_OK) {
        nm_file_id id = {type, out->seq, false};
        char *name = nm_canonical_file_name(&id, ctx->rules);
        out->rel_path = g_strdup_printf("%s/%s", folder_rel, name);
        out->path = g_build_filename(dir, name, NULL);
        g_free(name);
        st = make_folders(ctx->root, folder_rel, made, err);
    }
    /* The sources are hashed on a second core while the PDF is written from them. */
    source_hashing hashing = {&l, g_new0(hex_digest, l.n ? l.n : 1), SH_OK, {0}};
    GThread *hasher = st == SH_OK ? g_thread_new("sha256", hash_sources, &hashing) : NULL;
    sh_atomic_file *sealed = NULL;
    uint8_t digest[SH_SHA256_LEN];
    if (st == SH_OK) {
        out->pages = l.pages;
        out->copied_pdf = l.items[0]->kind == IN_KIND_PDF;
        char *subject = g_strdup_printf("Tổ chức đảng %s, hồ sơ %s (%s)", doc->org_code,
                                        strchr(folder_rel, '/') + 1, doc->person_name);
        doc_meta m = {type->name_vi, subject, ctx->creation_time};
        /* A rescan's destination is taken until its old file is moved away (supersede.c). */
        st = out->copied_pdf ? copy_file(l.items[0]->path, out->path, !plan.replace, &sealed, err)
                             : write_pdf(&l, out->path, !plan.replace, &m, digest, &sealed, err);
        g_free(subject);
        if (st == SH_OK && out->copied_pdf)
            st = sh_sha256_file(sh_atomic_temp_path(sealed), digest, err);
        struct stat sb;
        sh_hex(digest, sizeof digest, out->sha256);
        out->bytes =
            st == SH_OK && fstat(sh_atomic_fd(sealed), &sb) == 0 ? (uint64_t)sb.st_size : 0;
    }
    if (hasher) {
        g_thread_join(hasher);
        if (st == SH_OK && hashing.status != SH_OK) {
            *err = hashing.err;
            st = hashing.status;
        }
    }
    hex_digest *source_sha = hashing.sha;
    /* Recorded first, with the intent to publish; then put in place under its name. Killed in
     * between, the next run's sh_publish_recover finishes the rename. */
    int64_t intent = 0;
    if (st == SH_OK) /* a rescan: the old files moved away, recorded before and after */
        st = in_supersede_begin(ctx, &plan, out, sh_atomic_temp_path(sealed), err);
    if (st == SH_OK) {
        st = record(ctx, doc, folder_rel, out, &l, source_sha, sealed, &intent, &plan, err);
        if (st != SH_OK)
            in_supersede_undo(ctx, &plan); /* the old files back in their places */
    }
    if (st == SH_OK) {
        st = sh_publish_finish(ctx->ledger, sealed, intent, err);
        sealed = NULL;
        if (st == SH_OK)
            warn_pages(ctx, doc, &l, out);
        else
            in_result_clear(out); /* recorded: the file is kept for recovery, its folder too */
    } else {
        sh_atomic_abort(sealed); /* not recorded: nothing of it may stay */
        remove_new_folders(made);
        in_result_clear(out);
    }
    g_free(source_sha);
    g_ptr_array_free(made, TRUE);
    g_free(dir);
    g_free(folder_rel);
    sources_free(&l);
    in_plan_clear(ctx, &plan);
    return st;
}
