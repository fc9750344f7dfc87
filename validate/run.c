/* sohoa validate's run: the naming walk drives it; each dossier's files are checked as
 * documents on this thread while their pages are analysed on the pool; once the dossier's pages
 * are in, duplicates and the dossier's priority-1 documents are checked, the verdicts recorded
 * and the entries handed to the report writers. Memory holds one dossier at a time. */
#include <math.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "page_impl.h"
#include "page_source_impl.h"
#include "validate/validate.h"

/* Pages per pool task: enough to pay for opening the document once more, few enough that a
 * long document spreads over every core. */
#define PAGES_PER_TASK 4

/* ---- what the run holds for one dossier ---- */

typedef struct {
    bool loaded;
    char *error; /* the page could not be read: why */
    sh_status error_status;
    vd_page_result res;
    vd_page_print *print; /* for page.duplicate; NULL on blank pages */
    double image_ppi;
    uint8_t *thumb; /* display picture reduced, when thumbnails are kept */
    uint32_t tw, th;
} page_slot;

typedef struct {
    vd_file_report *entry;
    char *path;      /* as walked (bytes) */
    int type_stt;    /* what its name says, 0 when unknown or signed */
    bool is_signed;  /* a …_signed.pdf: the same pages as its original, by design */
    bool no_verdict; /* the check itself failed (the machine, not the file): record nothing */
    int pages;
    page_slot *slots;
} doc_job;

typedef struct {
    const vd_options *o;
    sh_pool *pool;
    vd_summary *sum;
    GPtrArray *entries;  /* vd_file_report *, in the order met */
    GHashTable *by_path; /* shown path → entry */
    GPtrArray *docs;     /* doc_job * of the dossier being walked */
    bool counted;        /* the files were counted before the walk (see count_file) */
    sh_status status;    /* worst non-finding problem */
    sh_error first_error;
} run;

typedef struct {
    run *r;
    doc_job *doc;
    int first, count;
} page_task;

/* Keep the worst problem met (an internal one before an unreadable input), the first of each. */
static void fail_once(run *r, const sh_error *e)
{
    if (e->status > r->status) {
        r->first_error = *e;
        r->status = e->status;
    }
}

/* ---- entries and their findings ---- */

static char *base_of(const char *path)
{
    char *abs = g_canonicalize_filename(path, NULL);
    char *b = g_path_get_basename(abs);
    g_free(abs);
    return b;
}

/* Where an entry sits: the organisation and dossier folder names, from its path. */
static void place(vd_file_report *e, const char *path)
{
    char *abs = g_canonicalize_filename(path, NULL);
    char *parent = g_path_get_dirname(abs);
    char *grand = g_path_get_dirname(parent);
    char *name = g_path_get_basename(abs);
    if (e->kind == VD_ENTRY_FOLDER) {
        /* An organisation (or container) folder; dossier_checks names the dossiers. */
        e->org = g_strdup(name);
    } else {
        e->dossier = g_path_get_basename(parent);
        e->org = g_path_get_basename(grand);
    }
    g_free(name);
    g_free(grand);
    g_free(parent);
    g_free(abs);
}

static vd_file_report *entry_for(run *r, const char *path, bool known_file)
{
    char *shown = nm_shown(path); /* as naming shows it: two odd names never become one entry */
    vd_file_report *e = g_hash_table_lookup(r->by_path, shown);
    if (e) {
        g_free(shown);
        return e;
    }
    e = g_new0(vd_file_report, 1);
    e->path = shown;
    e->kind =
        !known_file && g_file_test(path, G_FILE_TEST_IS_DIR) ? VD_ENTRY_FOLDER : VD_ENTRY_FILE;
    e->passed = true;
    place(e, path);
    g_ptr_array_add(r->entries, e);
    g_hash_table_insert(r->by_path, e->path, e);
    return e;
}

static void add_finding(vd_file_report *e, const sh_finding *f)
{
    e->findings = g_renew(vd_finding, e->findings, e->n_findings + 1);
    vd_finding *d = &e->findings[e->n_findings++];
    *d = (vd_finding){
        .code = g_strdup(f->code),
        .severity = f->severity,
        .page = f->page,
        /* Text for JSON and the ledger, whatever file names a message quotes. */
        .message = nm_shown(f->message ? f->message : ""),
        .suggestion = f->suggestion ? nm_shown(f->suggestion) : NULL,
        .fixable = f->fixable,
        .n_values = f->n_values,
    };
    for (int i = 0; i < f->n_values; i++) {
        d->values[i].key = f->values[i].key;
        d->values[i].value = f->values[i].value;
    }
    if (f->severity == SH_ERROR)
        e->passed = false;
}

void vd_finding_view(const vd_finding *f, const char *path, sh_finding *out)
{
    *out = (sh_finding){
        .code = f->code,
        .severity = f->severity,
        .path = path,
        .page = f->page,
        .message = f->message,
        .suggestion = f->suggestion,
        .fixable = f->fixable,
        .n_values = f->n_values,
    };
    for (int i = 0; i < f->n_values; i++) {
        out->values[i].key = f->values[i].key;
        out->values[i].value = f->values[i].value;
    }
}

/* Names (naming's walk) report with the path they are about. */
static void name_sink(const sh_finding *f, void *ctx)
{
    run *r = ctx;
    add_finding(entry_for(r, f->path ? f->path : ".", false), f);
}

/* Document checks report with the document's path: the entry is known. */
static void entry_sink(const sh_finding *f, void *ctx) { add_finding(ctx, f); }

static void page_finding(vd_file_report *e, const char *code, int page, const char *message,
                         const char *key, double value, const char *key2, double value2)
{
    sh_finding f = {.code = code, .severity = SH_ERROR, .page = page, .message = message};
    if (key)
        sh_finding_value(&f, key, value);
    if (key2)
        sh_finding_value(&f, key2, value2);
    add_finding(e, &f);
}

/* ---- the pages, on the pool ---- */

/* A picture no larger than VD_THUMB_MAX on its longer side, each pixel a box mean. */
static uint8_t *thumbnail(const uint8_t *px, uint32_t w, uint32_t h, uint32_t *tw, uint32_t *th)
{
    uint32_t longer = w > h ? w : h;
    double f = longer > VD_THUMB_MAX ? (double)VD_THUMB_MAX / longer : 1.0;
    *tw = w * f < 1 ? 1 : (uint32_t)(w * f);
    *th = h * f < 1 ? 1 : (uint32_t)(h * f);
    uint8_t *out = g_malloc((size_t)*tw * *th);
    for (uint32_t ty = 0; ty < *th; ty++) {
        uint32_t y0 = (uint32_t)((uint64_t)ty * h / *th),
                 y1 = (uint32_t)((uint64_t)(ty + 1) * h / *th);
        y1 = y1 > y0 ? y1 : y0 + 1;
        for (uint32_t tx = 0; tx < *tw; tx++) {
            uint32_t x0 = (uint32_t)((uint64_t)tx * w / *tw);
            uint32_t x1 = (uint32_t)((uint64_t)(tx + 1) * w / *tw);
            x1 = x1 > x0 ? x1 : x0 + 1;
            uint64_t s = 0;
            for (uint32_t y = y0; y < y1; y++)
                for (uint32_t x = x0; x < x1; x++)
                    s += px[(size_t)y * w + x];
            out[(size_t)ty * *tw + tx] = (uint8_t)(s / ((uint64_t)(y1 - y0) * (x1 - x0)));
        }
    }
    return out;
}

static void analyse_pages(void *arg)
{
    page_task *t = arg;
    vd_page_source src = {.path = t->doc->path};
    for (int i = t->first; i < t->first + t->count; i++) {
        page_slot *s = &t->doc->slots[i];
        vd_page_pixels pix;
        sh_error err;
        if (vd_page_load(&src, i, &pix, &err) != SH_OK) {
            s->error = g_strdup(err.msg);
            s->error_status = err.status;
        } else {
            vd_image img = {.w = pix.w, .h = pix.h, .stride = pix.w, .px = pix.px, .ppi = pix.ppi};
            vd_analyse_page_print(&img, &s->res, &s->print);
            s->image_ppi = pix.image_ppi;
            s->loaded = true;
            if (t->r->o->thumbnails)
                s->thumb = thumbnail(pix.px, pix.w, pix.h, &s->tw, &s->th);
            g_free(pix.px);
        }
        sh_progress_add(t->r->o->progress, 1);
    }
    vd_page_source_close(&src);
    g_free(t);
}

/* ---- one document: hash, document checks, then its pages to the pool ---- */

/* The path as the ledger knows it: relative to the workspace root, symbolic links resolved (the
 * root is a realpath). NULL outside the workspace. */
static char *relative_to_root(const run *r, const char *path)
{
    return sh_workspace_relpath(r->o->root, path);
}

/* The page count recorded at ingest (or from the batch sheet), or 0. */
static int expected_pages(const run *r, const char *path)
{
    char *rel = r->o->ledger ? relative_to_root(r, path) : NULL;
    if (!rel)
        return 0;
    int n = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(r->o->ledger),
                           "SELECT expected_pages FROM documents WHERE path = ?", -1, &q,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int(q, 0);
    }
    sqlite3_finalize(q);
    g_free(rel);
    return n;
}

/* The progress bar counts pages. A file counted before the walk stands for one page until its
 * page count is known, so that the total is near the truth from the start and the percentage
 * moves evenly instead of reaching 100% at the end of each dossier. */
static void progress_pages(run *r, int pages)
{
    if (!r->counted)
        sh_progress_grow(r->o->progress, pages > 0 ? (uint64_t)pages : 0);
    else if (pages > 1)
        sh_progress_grow(r->o->progress, (uint64_t)pages - 1);
    else if (pages <= 0)
        sh_progress_add(r->o->progress, 1); /* its one unit: nothing to analyse */
}

static void start_document(run *r, doc_job *d)
{
    uint8_t digest[SH_SHA256_LEN];
    sh_error err;
    if (sh_sha256_file(d->path, digest, &err) != SH_OK) {
        /* A file that cannot be read to its end cannot be vouched for, whatever Poppler says. */
        sh_finding f = {.code = "pdf.unreadable", .severity = SH_ERROR, .message = err.msg};
        add_finding(d->entry, &f);
        progress_pages(r, 0);
        return;
    }
    sh_hex(digest, sizeof digest, d->entry->sha256);
    d->entry->has_sha256 = true;
    vd_document_info info;
    vd_check_document(d->path, expected_pages(r, d->path), entry_sink, d->entry, &info);
    d->pages = info.pages;
    d->entry->pages = info.pages;
    progress_pages(r, info.opened ? info.pages : 0);
    if (!info.opened || info.pages <= 0)
        return;
    d->slots = g_new0(page_slot, (size_t)info.pages);
    for (int first = 0; first < info.pages; first += PAGES_PER_TASK) {
        page_task *t = g_new(page_task, 1);
        *t = (page_task){.r = r, .doc = d, .first = first};
        t->count = info.pages - first < PAGES_PER_TASK ? info.pages - first : PAGES_PER_TASK;
        if (sh_pool_submit(r->pool, analyse_pages, t, &err) != SH_OK) {
            analyse_pages(t); /* cannot happen with a live pool; do it here rather than lose it */
        }
    }
}

/* ---- page findings, once every page is in ---- */

static const char *edge_names(int edges, char *buf, size_t size)
{
    static const struct {
        int bit;
        const char *name;
    } EDGES[] = {{VD_EDGE_TOP, N_("top")},
                 {VD_EDGE_RIGHT, N_("right")},
                 {VD_EDGE_BOTTOM, N_("bottom")},
                 {VD_EDGE_LEFT, N_("left")}};
    buf[0] = '\0';
    for (size_t i = 0; i < G_N_ELEMENTS(EDGES); i++)
        if (edges & EDGES[i].bit) {
            if (buf[0])
                g_strlcat(buf, ", ", size);
            g_strlcat(buf, _(EDGES[i].name), size);
        }
    return buf;
}

static const char *corner_name(int corner)
{
    switch (corner) {
    case VD_CORNER_TOP_LEFT:
        return _("top-left");
    case VD_CORNER_TOP_RIGHT:
        return _("top-right");
    case VD_CORNER_BOTTOM_RIGHT:
        return _("bottom-right");
    default:
        return _("bottom-left");
    }
}

/* The findings of one page; true when it has any (its thumbnail is then kept). */
static bool page_findings(run *r, doc_job *d, int i, vd_thumb *mark)
{
    const page_slot *s = &d->slots[i];
    vd_file_report *e = d->entry;
    const vd_config *cfg = r->o->config;
    int page = i + 1;
    size_t before = e->n_findings;
    char *msg;
    if (s->error && s->error_status == SH_INTERNAL) {
        /* Not the file's fault (a library missing, memory): no finding, no verdict. */
        sh_error err = {.status = SH_INTERNAL};
        g_snprintf(err.msg, sizeof err.msg, "%s, page %d: %s", e->path, page, s->error);
        fail_once(r, &err);
        d->no_verdict = true;
        return false;
    }
    if (s->error) {
        msg = g_strdup_printf(_("page %d cannot be read (%s): scan it again, or ingest the "
                                "document again"),
                              page, s->error);
        page_finding(e, "pdf.unreadable", page, msg, NULL, 0, NULL, 0);
        g_free(msg);
        return true;
    }
    const vd_page_result *p = &s->res;
    if (p->blank) {
        msg = g_strdup_printf(_("page %d is blank: remove it, or scan the right side of the "
                                "sheet"),
                              page);
        page_finding(e, "page.blank", page, msg, "ink", p->ink_ratio, NULL, 0);
        g_free(msg);
        mark->blank = true;
    }
    if (p->rotate != 0 && p->rotate_confidence >= VD_ROTATE_MIN_CONFIDENCE) {
        msg = g_strdup_printf(_("page %d is not upright: it must be turned %d° clockwise; scan "
                                "it again upright"),
                              page, p->rotate);
        page_finding(e, "page.rotated", page, msg, "angle", p->rotate, "confidence",
                     round(p->rotate_confidence * 100) / 100);
        g_free(msg);
        mark->rotate = p->rotate;
    }
    /* Compared as shown (one decimal), so "skewed by 1.0°, at most 1.0°" is never said. */
    if (round(fabs(p->skew_deg) * 10) / 10 > cfg->max_skew_deg &&
        p->skew_confidence >= VD_SKEW_MIN_CONFIDENCE) {
        msg = g_strdup_printf(_("page %d is skewed by %.1f° (at most %.1f° is accepted): lay the "
                                "sheet straight and scan it again"),
                              page, fabs(p->skew_deg), cfg->max_skew_deg);
        page_finding(e, "page.skewed", page, msg, "angle", round(p->skew_deg * 100) / 100,
                     "confidence", round(p->skew_confidence * 100) / 100);
        g_free(msg);
        mark->skewed = true;
        mark->skew_deg = p->skew_deg;
    }
    if (p->cropped) {
        char edges[128];
        msg = g_strdup_printf(_("page %d is cut off at the %s edge: scan it again with the whole "
                                "sheet on the glass"),
                              page, edge_names(p->cropped_edges, edges, sizeof edges));
        page_finding(e, "page.cropped", page, msg, "edges", p->cropped_edges, NULL, 0);
        g_free(msg);
        mark->cropped_edges = p->cropped_edges;
    }
    if (p->corner_missing) {
        msg = g_strdup_printf(_("page %d has its %s corner missing (folded, or off the glass): "
                                "unfold the sheet and scan it again"),
                              page, corner_name(p->corner));
        page_finding(e, "page.cropped", page, msg, "corner", p->corner, NULL, 0);
        g_free(msg);
        mark->corner = p->corner;
    }
    if (s->image_ppi > 0 && s->image_ppi + 0.5 < cfg->min_dpi) {
        msg = g_strdup_printf(_("page %d was scanned at %.0f ppi; at least %d ppi is required: "
                                "scan it again at %d ppi or more"),
                              page, s->image_ppi, cfg->min_dpi, cfg->min_dpi);
        page_finding(e, "page.low_dpi", page, msg, "dpi", round(s->image_ppi), NULL, 0);
        g_free(msg);
        mark->low_dpi = true;
    }
    return e->n_findings > before;
}

/* page.duplicate: an earlier page (this document or an earlier one of the dossier) of which
 * this page is another scan. The hash shortlists (VD_PHASH_SHORTLIST), the comparison of the
 * two pages' content decides (page.h: vd_compare_pages). Reported on the later page: an error
 * when the comparison is sure (the same sheet), a warning that asks for a look when the two are
 * alike but for a few places; never a removal on a guess. */
typedef struct {
    guint doc;
    int page; /* 1-based; 0: none */
    bool confident;
    vd_page_match match;
} duplicate_of;

static bool find_duplicate(run *r, guint di, int pi, duplicate_of *dup)
{
    const doc_job *d = g_ptr_array_index(r->docs, di);
    const page_slot *s = &d->slots[pi];
    memset(dup, 0, sizeof *dup);
    if (!s->loaded || s->res.blank || !s->print || d->is_signed)
        return false;
    for (guint dj = 0; dj <= di; dj++) {
        const doc_job *o = g_ptr_array_index(r->docs, dj);
        if (o->is_signed)
            continue;
        int last = dj == di ? pi : o->pages;
        for (int pj = 0; o->slots && pj < last; pj++) {
            const page_slot *t = &o->slots[pj];
            if (!t->loaded || t->res.blank || !t->print ||
                vd_phash_distance(s->res.phash, t->res.phash) > VD_PHASH_SHORTLIST)
                continue;
            vd_page_match m;
            bool same = vd_compare_pages(t->print, s->print, &m);
            if (same || (!dup->page && vd_match_is_near(&m)))
                *dup = (duplicate_of){.doc = dj, .page = pj + 1, .confident = same, .match = m};
            if (same)
                return true;
        }
    }
    return dup->page > 0;
}

static void duplicate_finding(run *r, doc_job *d, int i, const duplicate_of *dup)
{
    const doc_job *o = g_ptr_array_index(r->docs, dup->doc);
    const vd_page_match *m = &dup->match;
    char *shown = NULL, *msg;
    if (o != d) {
        char *name = base_of(o->path);
        shown = g_utf8_make_valid(name, -1);
        g_free(name);
    }
    if (dup->confident && !shown)
        msg = g_strdup_printf(_("page %d is page %d scanned again: the same sheet, with no "
                                "difference in any of the %d areas compared; remove one of them"),
                              i + 1, dup->page, m->cells);
    else if (dup->confident)
        msg = g_strdup_printf(_("page %d is page %d of %s scanned again: the same sheet, with no "
                                "difference in any of the %d areas compared; remove the copy"),
                              i + 1, dup->page, shown, m->cells);
    else if (!shown)
        msg = g_strdup_printf(_("page %d looks like page %d scanned again, but differs from it "
                                "in %d of the %d areas compared: compare the two pages and "
                                "remove one only if they are the same sheet"),
                              i + 1, dup->page, m->differing + m->specks, m->cells);
    else
        msg = g_strdup_printf(_("page %d looks like page %d of %s scanned again, but differs "
                                "from it in %d of the %d areas compared: compare the two pages "
                                "and remove one only if they are the same sheet"),
                              i + 1, dup->page, shown, m->differing + m->specks, m->cells);
    sh_finding f = {.code = "page.duplicate",
                    .severity = dup->confident ? SH_ERROR : SH_WARNING,
                    .page = i + 1,
                    .message = msg};
    sh_finding_value(&f, "of_page", dup->page);
    sh_finding_value(&f, "areas", m->cells);
    sh_finding_value(&f, "differing", m->differing + m->specks);
    add_finding(d->entry, &f);
    g_free(msg);
    g_free(shown);
}

/* A copy of the picture kept of page pj of document dj (in its slot, or already in its
 * entry's thumbnails when that page was flagged too); NULL when none was kept. */
static uint8_t *picture_copy(const run *r, guint dj, int pj, uint32_t *w, uint32_t *h)
{
    const doc_job *o = g_ptr_array_index(r->docs, dj);
    const page_slot *t = &o->slots[pj];
    if (t->thumb) {
        *w = t->tw;
        *h = t->th;
        return g_memdup2(t->thumb, (gsize)t->tw * t->th);
    }
    for (size_t k = 0; k < o->entry->n_thumbs; k++) {
        const vd_thumb *k_th = &o->entry->thumbs[k];
        if (k_th->page == pj + 1 && k_th->px) {
            *w = k_th->w;
            *h = k_th->h;
            return g_memdup2(k_th->px, (gsize)k_th->w * k_th->h);
        }
    }
    return NULL;
}

/* The two pages side by side in the report: the other page's picture and where they differ. */
static void twin_of(const run *r, guint di, const duplicate_of *dup, vd_thumb *mark)
{
    vd_twin *t = &mark->twin;
    const doc_job *o = g_ptr_array_index(r->docs, dup->doc);
    t->page = dup->page;
    t->confident = dup->confident;
    if (dup->doc != di) {
        char *name = base_of(o->path);
        t->file = g_utf8_make_valid(name, -1);
        g_free(name);
    }
    t->px = picture_copy(r, dup->doc, dup->page - 1, &t->w, &t->h);
    const vd_page_match *m = &dup->match;
    t->n_areas = m->n_areas < VD_TWIN_AREAS ? m->n_areas : VD_TWIN_AREAS;
    for (int k = 0; k < t->n_areas; k++) {
        t->there[k].x = m->on_a[k].x;
        t->there[k].y = m->on_a[k].y;
        t->there[k].w = m->on_a[k].w;
        t->there[k].h = m->on_a[k].h;
        t->here[k].x = m->on_b[k].x;
        t->here[k].y = m->on_b[k].y;
        t->here[k].w = m->on_b[k].w;
        t->here[k].h = m->on_b[k].h;
    }
}

static void finish_document(run *r, guint di)
{
    doc_job *d = g_ptr_array_index(r->docs, di);
    for (int i = 0; i < d->pages; i++) {
        page_slot *s = &d->slots[i];
        vd_thumb mark = {.page = i + 1};
        bool flagged = page_findings(r, d, i, &mark);
        duplicate_of dup;
        if (find_duplicate(r, di, i, &dup)) {
            duplicate_finding(r, d, i, &dup);
            if (dup.doc == di && dup.confident)
                mark.duplicate_of = dup.page;
            if (s->thumb)
                twin_of(r, di, &dup, &mark);
            flagged = true;
        }
        if (flagged && s->thumb) {
            mark.px = s->thumb;
            mark.w = s->tw;
            mark.h = s->th;
            s->thumb = NULL;
            d->entry->thumbs = g_renew(vd_thumb, d->entry->thumbs, d->entry->n_thumbs + 1);
            d->entry->thumbs[d->entry->n_thumbs++] = mark;
        }
    }
    r->sum->pages += (uint64_t)d->pages;
}

/* ---- the dossier ---- */

/* A dossier whose CCCD is another dossier's too (name.cccd_duplicate, from the walk): which of
 * them holds whose documents is for a person to settle, so none of its files passes (sign
 * works file by file). */
static void identity_checks(run *r, const vd_file_report *dossier)
{
    bool shared = false;
    for (size_t i = 0; i < dossier->n_findings; i++)
        shared |= strcmp(dossier->findings[i].code, "name.cccd_duplicate") == 0;
    if (!shared)
        return;
    sh_finding f = {
        .code = "name.cccd_duplicate",
        .severity = SH_ERROR,
        .message = _("the dossier's CCCD is another dossier's too (see the dossier folder's "
                     "finding): no document of it passes until one folder is kept"),
    };
    for (guint i = 0; i < r->docs->len; i++)
        add_finding(((doc_job *)g_ptr_array_index(r->docs, i))->entry, &f);
}

/* dossier.missing_priority1 for each required type absent from the dossier. */
static void dossier_checks(run *r, const char *path)
{
    bool present[NM_CATALOG_SIZE + 1] = {false};
    for (guint i = 0; i < r->docs->len; i++) {
        const doc_job *d = g_ptr_array_index(r->docs, i);
        if (d->type_stt >= 1 && d->type_stt <= NM_CATALOG_SIZE)
            present[d->type_stt] = true;
    }
    vd_file_report *e = entry_for(r, path, false);
    char *abs = g_canonicalize_filename(path, NULL);
    char *parent = g_path_get_dirname(abs);
    g_free(e->org);
    g_free(e->dossier);
    e->dossier = g_path_get_basename(abs);
    e->org = g_path_get_basename(parent);
    g_free(parent);
    g_free(abs);
    for (int stt = 1; stt <= NM_CATALOG_SIZE; stt++)
        if (present[stt] && nm_catalog_find(stt)->priority == 1) {
            e->priority1 = g_renew(int, e->priority1, e->n_priority1 + 1);
            e->priority1[e->n_priority1++] = stt;
        }
    const vd_config *cfg = r->o->config;
    for (int i = 0; i < cfg->n_required_types; i++) {
        int stt = cfg->required_types[i];
        const nm_doc_type *t = nm_catalog_find(stt);
        if (!t || present[stt])
            continue;
        char stt_text[4];
        nm_stt_text(stt, stt_text);
        char *msg = g_strdup_printf(_("the dossier has no %s.%s (a priority-1 document): scan "
                                      "it and ingest it"),
                                    stt_text, t->name_ascii);
        sh_finding f = {.code = "dossier.missing_priority1", .severity = SH_ERROR, .message = msg};
        sh_finding_value(&f, "type", stt);
        add_finding(e, &f);
        g_free(msg);
    }
    identity_checks(r, e);
    r->sum->dossiers++;
}

/* ---- the ledger ---- */

static char *findings_json(const vd_file_report *e)
{
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    for (size_t i = 0; i < e->n_findings; i++) {
        sh_finding f;
        vd_finding_view(&e->findings[i], NULL, &f);
        sh_finding_json(j, &f);
    }
    sh_json_end_array(j);
    char *text = g_strdup(sh_json_finish(j, NULL)); /* NULL: a bug in the findings' text */
    sh_json_free(j);
    return text;
}

static sh_status record_verdict(run *r, const vd_file_report *e, const char *rel, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(r->o->ledger);
    char *findings = findings_json(e);
    if (!findings)
        return sh_fail(err, SH_INTERNAL, _("%s: the findings cannot be stored as JSON"), e->path);
    const char *verdict = e->passed ? "pass" : "fail";
    char *details = g_strdup_printf("{\"sha256\":\"%s\",\"verdict\":\"%s\",\"pages\":%d,"
                                    "\"findings\":%zu}",
                                    e->sha256, verdict, e->pages, e->n_findings);
    int64_t audit_id = 0;
    sh_status st = sh_audit_append(r->o->ledger, r->o->actor, "document.validate", rel, details,
                                   &audit_id, err);
    if (st == SH_OK) {
        char now[32];
        sh_utc_now(now);
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO validations (path, sha256, verdict, findings, "
                               "validated_at, audit_id) VALUES (?, ?, ?, ?, ?, ?)",
                               -1, &q, NULL) != SQLITE_OK)
            st = sh_ledger_fail(r->o->ledger, err, N_("record the verdict"));
        else {
            sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, e->sha256, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, verdict, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 4, findings, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 5, now, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 6, audit_id);
            if (sqlite3_step(q) != SQLITE_DONE)
                st = sh_ledger_fail(r->o->ledger, err, N_("record the verdict"));
        }
        sqlite3_finalize(q);
    }
    g_free(details);
    g_free(findings);
    return st;
}

/* One transaction for the dossier: every verdict and its audit entry, or none. Files whose
 * verdict cannot be recorded (no operator named, outside the workspace, the ledger failing) are
 * counted, so the summary does not say they can be signed. */
static void record_verdicts(run *r)
{
    if (!r->o->ledger)
        return;
    size_t wanted = 0;
    for (guint i = 0; i < r->docs->len; i++) {
        const doc_job *d = g_ptr_array_index(r->docs, i);
        wanted += d->entry->has_sha256 && !d->no_verdict;
    }
    if (!r->o->actor || wanted == 0) {
        r->sum->unrecorded += r->o->actor ? 0 : wanted;
        return;
    }
    sh_error err;
    if (sh_ledger_begin(r->o->ledger, &err) != SH_OK) {
        r->sum->unrecorded += wanted;
        fail_once(r, &err);
        return;
    }
    sh_status st = SH_OK;
    size_t outside = 0;
    for (guint i = 0; i < r->docs->len && st == SH_OK; i++) {
        const doc_job *d = g_ptr_array_index(r->docs, i);
        if (!d->entry->has_sha256 || d->no_verdict)
            continue;
        char *rel = relative_to_root(r, d->path);
        if (!rel)
            outside++;
        else if (!g_utf8_validate(rel, -1, NULL))
            /* The ledger and the audit chain hold text: a path that is not (name.* says so) has
             * no verdict until it is renamed. Only a passed file's missing verdict matters. */
            outside += d->entry->passed;
        else
            st = record_verdict(r, d->entry, rel, &err);
        g_free(rel);
    }
    if (st == SH_OK)
        st = sh_ledger_commit(r->o->ledger, &err);
    if (st != SH_OK) {
        sh_ledger_rollback(r->o->ledger);
        r->sum->unrecorded += wanted;
        fail_once(r, &err);
    } else
        r->sum->unrecorded += outside;
}

/* ---- flushing a dossier ---- */

static void free_doc(doc_job *d)
{
    for (int i = 0; d->slots && i < d->pages; i++) {
        g_free(d->slots[i].error);
        g_free(d->slots[i].thumb);
        vd_page_print_free(d->slots[i].print);
    }
    g_free(d->slots);
    g_free(d->path);
    g_free(d);
}

static void count_entry(run *r, const vd_file_report *e)
{
    for (size_t i = 0; i < e->n_findings; i++)
        if (e->findings[i].severity == SH_ERROR)
            r->sum->errors++;
        else
            r->sum->warnings++;
    /* Documents only: a folder, or a stray sheet beside the dossiers, is not a file to sign. */
    if (e->kind != VD_ENTRY_FILE || !nm_is_pdf_name(e->path))
        return;
    r->sum->files++;
    if (e->passed)
        r->sum->passed++;
    else
        r->sum->failed++;
}

/* Everything met since the last flush: documents checked, pages analysed, then reported.
 * `dossier`: the dossier folder whose files these are (its own checks run), or NULL. */
static void flush(run *r, const char *dossier)
{
    for (guint i = 0; i < r->docs->len; i++)
        start_document(r, g_ptr_array_index(r->docs, i));
    sh_pool_wait(r->pool);
    for (guint i = 0; i < r->docs->len; i++)
        if (((doc_job *)g_ptr_array_index(r->docs, i))->slots)
            finish_document(r, i);
    if (dossier)
        dossier_checks(r, dossier);
    record_verdicts(r);
    for (guint i = 0; i < r->entries->len; i++) {
        vd_file_report *e = g_ptr_array_index(r->entries, i);
        count_entry(r, e);
        if (r->o->entry)
            r->o->entry(e, r->o->ctx);
    }
    g_hash_table_remove_all(r->by_path);
    g_ptr_array_set_size(r->entries, 0); /* frees the entries */
    for (guint i = 0; i < r->docs->len; i++)
        free_doc(g_ptr_array_index(r->docs, i));
    g_ptr_array_set_size(r->docs, 0);
}

/* ---- the walk ---- */

static void visit_file(const char *path, const char *dossier, const nm_file_id *id, void *ctx)
{
    run *r = ctx;
    doc_job *d = g_new0(doc_job, 1);
    d->entry = entry_for(r, path, true);
    d->path = g_strdup(path);
    d->is_signed = id && id->is_signed;
    d->type_stt = id && id->type && !id->is_signed ? id->type->stt : 0;
    g_ptr_array_add(r->docs, d);
    if (!dossier)
        flush(r, NULL); /* a document outside any dossier is compared with nothing */
}

static void visit_dossier_done(const char *path, void *ctx) { flush(ctx, path); }

static void count_file(const char *path, const char *dossier, const nm_file_id *id, void *ctx)
{
    (void)path, (void)dossier, (void)id;
    (*(uint64_t *)ctx)++;
}

static void drop_finding(const sh_finding *f, void *ctx) { (void)f, (void)ctx; }

static void free_entry(gpointer p)
{
    vd_file_report_free(p);
    g_free(p);
}

sh_status vd_validate_path(const char *path, const vd_options *o, vd_summary *sum, sh_error *err)
{
    run r = {.o = o, .sum = sum};
    sh_error_clear(&r.first_error);
    r.pool = sh_pool_new(o->jobs, err);
    if (!r.pool)
        return err ? err->status : SH_INTERNAL;
    r.entries = g_ptr_array_new_with_free_func(free_entry);
    r.by_path = g_hash_table_new(g_str_hash, g_str_equal);
    r.docs = g_ptr_array_new();
    if (sh_progress_shown(o->progress)) {
        /* The walk once more without reading a file, for the bar's total (seconds for a million
         * files, against hours of page analysis). */
        uint64_t files = 0;
        nm_visitor count = {.file = count_file, .ctx = &files};
        nm_check_summary ignored = {0};
        /* Ignored: only a count for the bar; the walk below reports any failure. */
        SH_IGNORE_RESULT(nm_walk_path(path, &o->rules, drop_finding, NULL, &count, &ignored, NULL));
        sh_progress_grow(o->progress, files);
        r.counted = true;
    }
    nm_visitor visitor = {.file = visit_file, .dossier_done = visit_dossier_done, .ctx = &r};
    nm_check_summary names = {0};
    sh_error walk_err;
    sh_status walk = nm_walk_path(path, &o->rules, name_sink, &r, &visitor, &names, &walk_err);
    flush(&r, NULL); /* a file given alone, stray files, folders' own findings */
    if (walk != SH_OK)
        fail_once(&r, &walk_err);
    sh_pool_free(r.pool);
    g_ptr_array_free(r.docs, TRUE);
    g_hash_table_destroy(r.by_path);
    g_ptr_array_free(r.entries, TRUE);
    if (r.status != SH_OK && err)
        *err = r.first_error;
    return r.status;
}
