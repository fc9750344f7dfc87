/* Re-runs and rescans (docs/ingest.md, "Re-runs" and "Rescans").
 *
 * A re-run: a document the dossier already has, made from the same source files (the same
 * SHA-256s in the same order), is reported as done instead of being written again or refused.
 *
 * A rescan (--replace --reason) supersedes the document in place. Its steps, in this order, so
 * that a kill at any moment leaves nothing the ledger does not know (core.h, "Publishing a file
 * the ledger records"; docs/ingest.md, "Rescans"):
 *   1. the old file and its signed copy hashed, the folders under .sohoa/superseded/STAMP/ made,
 *      the new PDF written and sealed under its temp name (locked while this process lives);
 *   2. the intent recorded (supersessions with done = 0, superseded_files), with the temp path;
 *   3. the old files renamed under .sohoa/superseded (never replacing);
 *   4. one transaction (document.c's): the supersession put in effect with its
 *      "document.supersede" audit entry (the old bytes' verdicts and signatures moved to the
 *      kept paths), the new document's rows, its "document.ingest" entry, and the intent to
 *      publish it (sh_publish_intend: the name is free now);
 *   5. the new file published (sh_publish_finish).
 * Killed between 2 and 4: the temp file's lock is gone, so the next ingest's in_supersede_recover
 * puts the old files back and drops the intent: the rescan did not happen, and nothing was
 * recorded in the audit chain. Killed after 4: sh_publish_recover puts the new file in place.
 * Old files are never deleted. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "supersede_impl.h"

#define REASON_MAX_BYTES 4000
#define SUPERSEDED_DIR SH_WORKSPACE_STATE_DIR "/superseded"

typedef char hex_digest[SH_SHA256_HEX_LEN + 1];

static void remove_kept_folders(const in_context *ctx, const in_plan *p);

void in_plan_clear(const in_context *ctx, in_plan *p)
{
    remove_kept_folders(ctx, p);
    g_free(p->rel_path);
    for (size_t i = 0; i < p->n_files; i++) {
        g_free(p->files[i].rel);
        g_free(p->files[i].kept_as);
    }
    memset(p, 0, sizeof *p);
    p->seq = -1;
}

static bool file_sha256(const char *path, hex_digest out)
{
    uint8_t d[SH_SHA256_LEN];
    if (sh_sha256_file(path, d, NULL) != SH_OK)
        return false;
    sh_hex(d, sizeof d, out);
    return true;
}

static bool is_file(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* ---- a re-run: the document these sources made ---- */

typedef struct {
    char *rel;
    int seq, pages;
    hex_digest sha256;
} recorded_doc;

/* The SHA-256s of the sources, hashed once, when first needed. */
typedef struct {
    in_source *const *items;
    size_t n;
    hex_digest *sha;
} source_hashes;

static sh_status hash_sources(source_hashes *h, sh_error *err)
{
    if (h->sha)
        return SH_OK;
    h->sha = g_new0(hex_digest, h->n ? h->n : 1);
    for (size_t i = 0; i < h->n; i++) {
        uint8_t d[SH_SHA256_LEN];
        sh_status st = sh_sha256_file(h->items[i]->path, d, err);
        if (st != SH_OK)
            return st;
        sh_hex(d, sizeof d, h->sha[i]);
    }
    return SH_OK;
}

/* Do the recorded sources of document id have these SHA-256s, in this order? */
static sh_status same_sources(sh_ledger *l, sqlite3_stmt *q, int64_t id, source_hashes *h,
                              bool *same, sh_error *err)
{
    *same = false;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, id);
    GPtrArray *shas = g_ptr_array_new_with_free_func(g_free);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        g_ptr_array_add(shas, g_strdup((const char *)sqlite3_column_text(q, 0)));
    sh_status st = SH_OK;
    if (rc != SQLITE_DONE)
        st = sh_ledger_fail(l, err, N_("read the documents"));
    else if (shas->len == h->n && h->n > 0) {
        st = hash_sources(h, err);
        *same = st == SH_OK;
        for (size_t i = 0; *same && i < h->n; i++)
            *same = g_strcmp0(g_ptr_array_index(shas, i), h->sha[i]) == 0;
    }
    g_ptr_array_free(shas, TRUE);
    return st;
}

/* The document of the dossier folder, of this type (and Seq, when seq > 0), made from sources
 * with the SHA-256s of these, in this order. Documents are looked up by their path's folder
 * (the path index), so a sheet of 100,000 rows costs no scan of the table per row. */
static sh_status find_same_sources(const in_context *ctx, const char *folder_rel, int stt, int seq,
                                   source_hashes *h, recorded_doc *found, bool *match,
                                   sh_error *err)
{
    *match = false;
    sqlite3 *db = sh_ledger_db(ctx->ledger);
    /* Every path that starts "folder/": from "folder/" up to "folder0" ('0' follows '/'). */
    char *lo = g_strconcat(folder_rel, "/", NULL), *hi = g_strconcat(folder_rel, "0", NULL);
    sqlite3_stmt *q = NULL, *qs = NULL;
    sh_status st = SH_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, path, coalesce(seq, 0), pages, sha256 FROM documents "
                           "WHERE path > ?1 AND path < ?2 AND type_stt = ?3 "
                           "AND (?4 = 0 OR seq = ?4) ORDER BY path",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT sha256 FROM document_sources WHERE document_id = ? "
                           "ORDER BY position",
                           -1, &qs, NULL) != SQLITE_OK)
        st = sh_ledger_fail(ctx->ledger, err, N_("read the documents"));
    if (st == SH_OK) {
        sqlite3_bind_text(q, 1, lo, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, hi, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 3, stt);
        sqlite3_bind_int(q, 4, seq);
    }
    int rc = SQLITE_DONE;
    while (st == SH_OK && !*match && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        st = same_sources(ctx->ledger, qs, id, h, match, err);
        if (st == SH_OK && *match) {
            found->rel = g_strdup((const char *)sqlite3_column_text(q, 1));
            found->seq = sqlite3_column_int(q, 2);
            found->pages = sqlite3_column_int(q, 3);
            g_strlcpy(found->sha256, (const char *)sqlite3_column_text(q, 4), sizeof found->sha256);
        }
    }
    if (st == SH_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = sh_ledger_fail(ctx->ledger, err, N_("read the documents"));
    sqlite3_finalize(q);
    sqlite3_finalize(qs);
    g_free(lo);
    g_free(hi);
    return st;
}

/* The documents of type stt in the dossier folder dir (signed copies left out): whether one has
 * no Seq, how many have one, and the name of the first numbered one. */
static void type_files(const char *dir, const nm_doc_type *type, const nm_rules *rules,
                       bool *unnumbered, int *numbered, char **first_numbered)
{
    *unnumbered = false;
    *numbered = 0;
    *first_numbered = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    int lowest = 0;
    while ((e = readdir(d)) != NULL) {
        nm_file_id id;
        if (e->d_name[0] == '.' || !nm_parse_file_name(e->d_name, rules, &id) || id.type != type ||
            id.is_signed)
            continue;
        if (id.seq == 0)
            *unnumbered = true;
        else {
            (*numbered)++;
            if (!lowest || id.seq < lowest) {
                lowest = id.seq;
                g_free(*first_numbered);
                *first_numbered = g_strdup(e->d_name);
            }
        }
    }
    closedir(d);
}

static char *file_name(const nm_doc_type *type, int seq, bool is_signed, const nm_rules *rules)
{
    nm_file_id id = {type, seq, is_signed};
    return nm_canonical_file_name(&id, rules);
}

/* The destination exists and was not made from these files: say how to go on. SH_OK when the
 * Seq rules of document.c are to decide (they have their own words for the other cases). */
static sh_status refuse_existing(const in_document *doc, const in_context *ctx, const char *dir,
                                 const nm_doc_type *type, sh_error *err)
{
    if (doc->seq > 0) {
        char *name = file_name(type, doc->seq, false, ctx->rules);
        char *path = g_build_filename(dir, name, NULL);
        sh_status st = SH_OK;
        if (exists(path))
            st = sh_fail(err, SH_USAGE,
                         _("%s already exists and was not made from these files. If they are a "
                           "rescan of that document, run the same command with --replace "
                           "--reason \"why\" (in a batch sheet: fill the row's replace_reason "
                           "column); if they are another document of this type, give it another "
                           "SoThuTu"),
                         path);
        g_free(path);
        g_free(name);
        return st;
    }
    if (doc->more_expected)
        return SH_OK;
    bool unnumbered;
    int numbered;
    char *first;
    type_files(dir, type, ctx->rules, &unnumbered, &numbered, &first);
    g_free(first);
    if (!unnumbered || numbered > 0)
        return SH_OK;
    char *lone = file_name(type, 0, false, ctx->rules);
    char *one = file_name(type, 1, false, ctx->rules);
    char *path = g_build_filename(dir, lone, NULL);
    sh_status st = sh_fail(err, SH_USAGE,
                           _("%s already exists and was not made from these files. If they are a "
                             "rescan of that document, run the same command with --replace "
                             "--reason \"why\" (in a batch sheet: fill the row's replace_reason "
                             "column). If they are another document of the same type, rename "
                             "that file to \"%s\", then ingest this one with --seq 2"),
                           path, one);
    g_free(path);
    g_free(lone);
    g_free(one);
    return st;
}

/* ---- a rescan: what it replaces ---- */

static sh_status check_reason(const char *reason, sh_error *err)
{
    const char *p = reason;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    size_t len = strlen(reason);
    if (!*p || len > REASON_MAX_BYTES || !sh_utf8_valid(reason, len))
        return sh_fail(err, SH_USAGE,
                       _("ingest: the reason for a rescan (--reason, or the replace_reason "
                         "column) must be UTF-8 text of 1 to %d bytes, for example \"page 3 "
                         "was missing\""),
                       REASON_MAX_BYTES);
    return SH_OK;
}

/* The documents row of rel, if any: its sha256, pages and expected pages. */
static sh_status read_document_row(const in_context *ctx, const char *rel, bool *found,
                                   hex_digest sha, int *pages, int *expected, sh_error *err)
{
    *found = false;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(ctx->ledger),
                           "SELECT sha256, pages, coalesce(expected_pages, 0) FROM documents "
                           "WHERE path = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(ctx->ledger, err, N_("read the documents"));
    sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *found = true;
        g_strlcpy(sha, (const char *)sqlite3_column_text(q, 0), SH_SHA256_HEX_LEN + 1);
        if (pages)
            *pages = sqlite3_column_int(q, 1);
        if (expected)
            *expected = sqlite3_column_int(q, 2);
    }
    sh_status st = rc == SQLITE_ROW || rc == SQLITE_DONE
                       ? SH_OK
                       : sh_ledger_fail(ctx->ledger, err, N_("read the documents"));
    sqlite3_finalize(q);
    return st;
}

/* Add a file the rescan moves, hashed now (where it is kept is named once all are known). */
static sh_status add_moved(const in_context *ctx, in_plan *p, const char *rel, sh_error *err)
{
    char *path = g_build_filename(ctx->root, rel, NULL);
    in_moved_file *f = &p->files[p->n_files];
    uint8_t d[SH_SHA256_LEN];
    sh_status st = sh_sha256_file(path, d, err);
    if (st == SH_OK) {
        sh_hex(d, sizeof d, f->sha256);
        f->rel = g_strdup(rel);
        p->n_files++;
    }
    g_free(path);
    return st;
}

/* Where the old files go: one folder per rescan, named by its time (UTC) and the first hex
 * digits of the old file's SHA-256, each file under its own relative path. */
static sh_status name_kept(const in_context *ctx, in_plan *p, sh_error *err)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *t = g_date_time_format(now, "%Y%m%d-%H%M%S");
    g_date_time_unref(now);
    char *stamp = g_strdup_printf("%s-%.8s", t, p->files[0].sha256);
    g_free(t);
    sh_status st = SH_OK;
    for (size_t i = 0; i < p->n_files; i++) {
        in_moved_file *f = &p->files[i];
        f->kept_as = g_build_filename(SUPERSEDED_DIR, stamp, f->rel, NULL);
        char *kept = g_build_filename(ctx->root, f->kept_as, NULL);
        if (st == SH_OK && exists(kept))
            st = sh_fail(err, SH_INTERNAL,
                         _("%s already exists; it is left as it is. Run the rescan again in a "
                           "moment"),
                         kept);
        g_free(kept);
    }
    g_free(stamp);
    return st;
}

/* Make the folder the old files go to, on the file system of the dossier folder (a rename
 * cannot cross file systems, and a copy could be cut short). */
static sh_status make_kept_folder(const in_context *ctx, const char *dir, const in_plan *p,
                                  sh_error *err)
{
    char *kept = g_build_filename(ctx->root, p->files[0].kept_as, NULL);
    char *kept_dir = g_path_get_dirname(kept);
    sh_status st = SH_OK;
    struct stat a, b;
    if (g_mkdir_with_parents(kept_dir, 0755) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot create the folder %s"), kept_dir);
    else if (stat(dir, &a) != 0 || stat(kept_dir, &b) != 0 || a.st_dev != b.st_dev)
        st = sh_fail(err, SH_INTERNAL,
                     _("%s and %s are on different disks: the replaced file cannot be kept under "
                       ".sohoa/superseded. Keep the dossiers and .sohoa on one disk"),
                     dir, kept_dir);
    g_free(kept_dir);
    g_free(kept);
    return st;
}

/* The folders made for a supersession that was never recorded: removed when still empty. */
static void remove_kept_folders(const in_context *ctx, const in_plan *p)
{
    if (p->n_files == 0 || !p->files[0].kept_as || p->supersession)
        return;
    char *top = g_build_filename(ctx->root, SUPERSEDED_DIR, NULL);
    char *dir = g_build_filename(ctx->root, p->files[0].kept_as, NULL);
    for (;;) {
        char *up = g_path_get_dirname(dir);
        g_free(dir);
        dir = up;
        if (strlen(dir) <= strlen(top) || rmdir(dir) != 0)
            break;
    }
    g_free(dir);
    g_free(top);
}

/* The rescan's target: the file of this type and Seq (target_seq, or doc->seq, or the one
 * without a Seq), which must exist; its signed copy when there is one. */
static sh_status plan_rescan(const in_document *doc, const in_context *ctx, const char *folder_rel,
                             const char *dir, const nm_doc_type *type, int target_seq, in_plan *p,
                             sh_error *err)
{
    int seq = target_seq >= 0 ? target_seq : doc->seq;
    if (target_seq < 0 && doc->seq == 0) {
        bool unnumbered;
        int numbered;
        char *first;
        type_files(dir, type, ctx->rules, &unnumbered, &numbered, &first);
        sh_status st = SH_OK;
        if (!unnumbered && numbered > 0)
            st = sh_fail(err, SH_USAGE,
                         _("--replace: %s holds %d documents of this type (%s…): say which one "
                           "this rescan replaces with --seq N (in a batch sheet: the SoThuTu "
                           "column)"),
                         dir, numbered, first);
        g_free(first);
        if (st != SH_OK)
            return st;
    }
    char *name = file_name(type, seq, false, ctx->rules);
    char *rel = g_strdup_printf("%s/%s", folder_rel, name);
    char *path = g_build_filename(ctx->root, rel, NULL);
    g_free(name);
    sh_status st = SH_OK;
    if (!is_file(path))
        st = sh_fail(err, SH_USAGE,
                     _("--replace: %s does not exist, so there is nothing to replace; ingest "
                       "these files without --replace (and without --reason)"),
                     path);
    int expected = 0;
    if (st == SH_OK)
        st = read_document_row(ctx, rel, &p->recorded, p->recorded_sha256, &p->old_pages, &expected,
                               err);
    if (st == SH_OK)
        st = add_moved(ctx, p, rel, err);
    if (st == SH_OK) {
        char *signed_name = file_name(type, seq, true, ctx->rules);
        char *signed_rel = g_strdup_printf("%s/%s", folder_rel, signed_name);
        char *signed_path = g_build_filename(ctx->root, signed_rel, NULL);
        if (is_file(signed_path))
            st = add_moved(ctx, p, signed_rel, err);
        g_free(signed_path);
        g_free(signed_rel);
        g_free(signed_name);
    }
    if (st == SH_OK)
        st = name_kept(ctx, p, err);
    if (st == SH_OK)
        st = make_kept_folder(ctx, dir, p, err);
    if (st == SH_OK) {
        p->replace = true;
        p->reason = doc->replace_reason;
        p->rel_path = rel;
        p->seq = seq;
        p->expected_pages = doc->expected_pages > 0 ? 0 : expected;
        rel = NULL;
    }
    g_free(rel);
    g_free(path);
    return st;
}

sh_status in_plan_document(const in_document *doc, const in_context *ctx, const char *folder_rel,
                           const nm_doc_type *type, in_source *const *sources, size_t n_sources,
                           in_plan *plan, in_result *out, sh_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->seq = -1;
    const char *reason = doc->replace_reason;
    sh_status st = reason ? check_reason(reason, err) : SH_OK;
    if (st != SH_OK)
        return st;
    source_hashes h = {sources, n_sources, NULL};
    recorded_doc same = {0};
    bool match = false;
    st = find_same_sources(ctx, folder_rel, type->stt, doc->seq, &h, &same, &match, err);
    char *dir = g_build_filename(ctx->root, folder_rel, NULL);
    int rescan_seq = -1; /* a rescan of the very document these files made, changed since */
    if (st == SH_OK && match) {
        char *path = g_build_filename(ctx->root, same.rel, NULL);
        hex_digest now;
        if (!exists(path)) {
            /* Recorded, but the file is gone (deleted by hand, or lost by a killed run): made
             * again in its place, never under a new Seq beside its record. */
            plan->seq = same.seq;
        } else if (file_sha256(path, now) && strcmp(now, same.sha256) == 0) {
            plan->done = true;
            out->path = g_strdup(path);
            out->rel_path = g_strdup(same.rel);
            out->seq = same.seq;
            out->pages = same.pages;
            g_strlcpy(out->sha256, same.sha256, sizeof out->sha256);
            struct stat sb;
            out->bytes = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
            out->copied_pdf = n_sources == 1 && sources[0]->kind == IN_KIND_PDF;
            out->already_done = true;
        } else if (!reason)
            st = sh_fail(err, SH_USAGE,
                         _("%s was made from these files, but its bytes are no longer those "
                           "recorded at ingest: it was changed afterwards. To make it again from "
                           "these files, run the same command with --replace --reason \"why\" "
                           "(the changed file is kept under .sohoa/superseded)"),
                         path);
        else
            rescan_seq = same.seq;
        g_free(path);
    }
    if (st == SH_OK && !plan->done && plan->seq < 0) {
        if (reason)
            st = plan_rescan(doc, ctx, folder_rel, dir, type, rescan_seq, plan, err);
        else
            st = refuse_existing(doc, ctx, dir, type, err);
    }
    g_free(dir);
    g_free(same.rel);
    g_free(h.sha);
    return st;
}

/* ---- a rescan: the old files moved, recorded before and after ---- */

static char *supersede_details(const in_plan *p, const in_result *r, int verdicts, int signatures)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "sha256", p->files[0].sha256);
    sh_json_kv_str(j, "replaced_by", r->sha256);
    sh_json_kv_str(j, "reason", p->reason);
    sh_json_kv_str(j, "kept_as", p->files[0].kept_as);
    if (p->recorded) {
        sh_json_kv_int(j, "pages", p->old_pages);
        if (strcmp(p->recorded_sha256, p->files[0].sha256) != 0)
            /* Changed by hand after ingest: the bytes kept are those found, not those recorded. */
            sh_json_kv_str(j, "recorded_sha256", p->recorded_sha256);
    } else
        sh_json_kv_bool(j, "recorded", false);
    if (p->n_files > 1) {
        sh_json_kv_object(j, "signed_copy");
        sh_json_kv_str(j, "path", p->files[1].rel);
        sh_json_kv_str(j, "sha256", p->files[1].sha256);
        sh_json_kv_str(j, "kept_as", p->files[1].kept_as);
        sh_json_end_object(j);
    }
    /* The old bytes' rows, now under kept_as: they no longer speak for the path. */
    sh_json_kv_int(j, "verdicts_moved", verdicts);
    sh_json_kv_int(j, "signatures_moved", signatures);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, NULL);
    char *out = g_strdup(text ? text : "{}");
    sh_json_free(j);
    return out;
}

/* Inside a write transaction: is the replaced document still as planned (another sohoa may have
 * been quicker), with no other rescan of it under way? */
static sh_status check_unchanged(const in_context *ctx, const in_plan *p, bool other_rescans,
                                 sh_error *err)
{
    bool recorded;
    hex_digest sha = "";
    sh_status st = read_document_row(ctx, p->rel_path, &recorded, sha, NULL, NULL, err);
    if (st == SH_OK &&
        (recorded != p->recorded || (recorded && strcmp(sha, p->recorded_sha256) != 0)))
        return sh_fail(err, SH_USAGE,
                       _("%s changed while its rescan was being written (another sohoa at work "
                         "on it?); nothing was replaced: run the command again"),
                       p->rel_path);
    if (st != SH_OK || !other_rescans)
        return st;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(ctx->ledger),
                           "SELECT count(*) FROM supersessions WHERE path = ? AND done = 0", -1, &q,
                           NULL) != SQLITE_OK)
        st = sh_ledger_fail(ctx->ledger, err, N_("read the rescans"));
    else {
        sqlite3_bind_text(q, 1, p->rel_path, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_ROW)
            st = sh_ledger_fail(ctx->ledger, err, N_("read the rescans"));
        else if (sqlite3_column_int(q, 0) > 0)
            st = sh_fail(err, SH_USAGE,
                         _("another rescan of %s is under way, or was interrupted and could not "
                           "be undone yet (see the messages above); nothing was replaced"),
                         p->rel_path);
    }
    sqlite3_finalize(q);
    return st;
}

/* The intent: the supersession and the files it moves, not in effect yet (done = 0). */
static sh_status record_intent(const in_context *ctx, in_plan *p, const in_result *r,
                               const char *temp_path, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(ctx->ledger);
    char *temp_rel = sh_workspace_relpath(ctx->root, temp_path);
    char now[32];
    sh_utc_now(now);
    sh_status st = sh_ledger_begin(ctx->ledger, err);
    if (st == SH_OK)
        st = check_unchanged(ctx, p, true, err);
    sqlite3_stmt *q = NULL;
    if (st == SH_OK) {
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO supersessions (path, old_sha256, new_sha256, reason, "
                               "superseded_at, temp_path) VALUES (?, ?, ?, ?, ?, ?)",
                               -1, &q, NULL) != SQLITE_OK)
            st = sh_ledger_fail(ctx->ledger, err, N_("record the rescan"));
        else {
            sqlite3_bind_text(q, 1, p->rel_path, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, p->files[0].sha256, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, r->sha256, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 4, p->reason, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 5, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 6, temp_rel ? temp_rel : temp_path, -1, SQLITE_STATIC);
            if (sqlite3_step(q) != SQLITE_DONE)
                st = sh_ledger_fail(ctx->ledger, err, N_("record the rescan"));
            else
                p->supersession = sqlite3_last_insert_rowid(db);
        }
        sqlite3_finalize(q);
    }
    if (st == SH_OK && sqlite3_prepare_v2(db,
                                          "INSERT INTO superseded_files (supersession_id, path, "
                                          "sha256, kept_as) VALUES (?, ?, ?, ?)",
                                          -1, &q, NULL) != SQLITE_OK)
        st = sh_ledger_fail(ctx->ledger, err, N_("record the rescan"));
    for (size_t i = 0; st == SH_OK && i < p->n_files; i++) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, p->supersession);
        sqlite3_bind_text(q, 2, p->files[i].rel, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, p->files[i].sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, p->files[i].kept_as, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            st = sh_ledger_fail(ctx->ledger, err, N_("record the rescan"));
    }
    sqlite3_finalize(q);
    g_free(temp_rel);
    if (st == SH_OK)
        st = sh_ledger_commit(ctx->ledger, err);
    else
        sh_ledger_rollback(ctx->ledger);
    if (st != SH_OK)
        p->supersession = 0;
    return st;
}

/* Move one file to where it is kept (never replacing); done too when a recovery moved it. */
static sh_status move_one(const char *root, const in_moved_file *f, sh_error *err)
{
    char *from = g_build_filename(root, f->rel, NULL);
    char *to = g_build_filename(root, f->kept_as, NULL);
    char *to_dir = g_path_get_dirname(to);
    sh_status st = SH_OK;
    if (g_mkdir_with_parents(to_dir, 0755) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot create the folder %s"), to_dir);
    else if (sh_rename_noreplace(from, to, err) != SH_OK) {
        if (!exists(from) && exists(to))
            sh_error_clear(err);
        else
            st = err->status;
    }
    g_free(to_dir);
    g_free(to);
    g_free(from);
    return st;
}

/* Put one kept file back in its place: true when it is there (or never left). Never over
 * another file. */
static bool move_back(const char *root, const in_moved_file *f)
{
    char *from = g_build_filename(root, f->kept_as, NULL);
    char *to = g_build_filename(root, f->rel, NULL);
    bool back = true;
    sh_error e = {0};
    if (exists(from) && sh_rename_noreplace(from, to, &e) != SH_OK) {
        if (exists(to))
            sh_warn(_("an interrupted rescan cannot put %s back: another file is in its place. "
                      "The old file stays kept as %s; move the other file away, then run sohoa "
                      "ingest again"),
                    to, from);
        else
            sh_warn(_("an interrupted rescan cannot put %s back (%s); the old file stays kept as "
                      "%s, and the next sohoa ingest tries again"),
                    to, e.msg, from);
        back = false;
    }
    g_free(from);
    g_free(to);
    return back;
}

/* Forget an intent that never took effect: its rows deleted. */
static sh_status forget_intent(sh_ledger *l, int64_t id, sh_error *err)
{
    char *sql = sqlite3_mprintf("DELETE FROM superseded_files WHERE supersession_id = %lld;"
                                "DELETE FROM supersessions WHERE id = %lld AND done = 0;",
                                (long long)id, (long long)id);
    sh_status st = sqlite3_exec(sh_ledger_db(l), sql, NULL, NULL, NULL) == SQLITE_OK
                       ? SH_OK
                       : sh_ledger_fail(l, err, N_("record the rescan"));
    sqlite3_free(sql);
    return st;
}

void in_supersede_undo(const in_context *ctx, in_plan *p)
{
    if (!p->replace || !p->supersession)
        return;
    bool back = true;
    for (size_t i = p->n_files; i-- > 0;)
        back &= move_back(ctx->root, &p->files[i]);
    sh_error e = {0};
    if (back && sh_ledger_begin(ctx->ledger, &e) == SH_OK) {
        if (forget_intent(ctx->ledger, p->supersession, &e) != SH_OK ||
            sh_ledger_commit(ctx->ledger, &e) != SH_OK)
            sh_ledger_rollback(ctx->ledger);
        else
            p->supersession = 0;
    }
}

sh_status in_supersede_begin(const in_context *ctx, in_plan *p, in_result *out,
                             const char *temp_path, sh_error *err)
{
    if (!p->replace)
        return SH_OK;
    sh_status st = record_intent(ctx, p, out, temp_path, err);
    for (size_t i = 0; i < p->n_files && st == SH_OK; i++)
        st = move_one(ctx->root, &p->files[i], err);
    if (st != SH_OK) {
        in_supersede_undo(ctx, p);
        return st;
    }
    out->kept_as = g_strdup(p->files[0].kept_as);
    out->signed_kept_as = p->n_files > 1 ? g_strdup(p->files[1].kept_as) : NULL;
    g_strlcpy(out->replaced_sha256, p->files[0].sha256, sizeof out->replaced_sha256);
    return SH_OK;
}

/* One UPDATE of the rows that describe bytes now kept elsewhere: *changed gets how many. */
static sh_status move_rows(const in_context *ctx, const char *sql, const char *to, const char *from,
                           const char *sha256, int *changed, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(ctx->ledger);
    sqlite3_stmt *q = NULL;
    sh_status st = SH_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        st = sh_ledger_fail(ctx->ledger, err, N_("record the rescan"));
    else {
        sqlite3_bind_text(q, 1, to, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, from, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, sha256, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            st = sh_ledger_fail(ctx->ledger, err, N_("record the rescan"));
        else
            *changed += sqlite3_changes(db);
    }
    sqlite3_finalize(q);
    return st;
}

/* The verdicts and signatures of the old bytes follow them to where they are kept: under the
 * document's path they would speak for the new file (sign takes a path's newest verdict, and a
 * signed copy the ledger records under its name as "already signed"). The audit entries that
 * recorded them keep the paths of their time. */
static sh_status move_old_records(const in_context *ctx, const in_plan *p, int *verdicts,
                                  int *signatures, sh_error *err)
{
    const in_moved_file *doc = &p->files[0];
    *verdicts = *signatures = 0;
    sh_status st = move_rows(ctx, "UPDATE validations SET path = ? WHERE path = ? AND sha256 = ?",
                             doc->kept_as, doc->rel, doc->sha256, verdicts, err);
    if (st == SH_OK)
        st = move_rows(ctx,
                       "UPDATE signatures SET input_path = ? WHERE input_path = ? AND "
                       "input_sha256 = ?",
                       doc->kept_as, doc->rel, doc->sha256, signatures, err);
    if (st == SH_OK && p->n_files > 1) {
        int outputs = 0;
        st = move_rows(ctx,
                       "UPDATE signatures SET output_path = ? WHERE output_path = ? AND "
                       "output_sha256 = ?",
                       p->files[1].kept_as, p->files[1].rel, p->files[1].sha256, &outputs, err);
    }
    return st;
}

sh_status in_supersede_record(const in_context *ctx, in_plan *p, const in_result *r, sh_error *err)
{
    if (!p->replace)
        return SH_OK;
    sh_status st = check_unchanged(ctx, p, false, err);
    int verdicts = 0, signatures = 0;
    if (st == SH_OK)
        st = move_old_records(ctx, p, &verdicts, &signatures, err);
    int64_t audit_id = 0;
    if (st == SH_OK) {
        char *details = supersede_details(p, r, verdicts, signatures);
        st = sh_audit_append(ctx->ledger, ctx->actor, "document.supersede", p->rel_path, details,
                             &audit_id, err);
        g_free(details);
    }
    if (st == SH_OK) {
        char *sql = sqlite3_mprintf("UPDATE supersessions SET done = 1, audit_id = %lld, "
                                    "temp_path = NULL WHERE id = %lld AND done = 0",
                                    (long long)audit_id, (long long)p->supersession);
        if (sqlite3_exec(sh_ledger_db(ctx->ledger), sql, NULL, NULL, NULL) != SQLITE_OK)
            st = sh_ledger_fail(ctx->ledger, err, N_("record the rescan"));
        else if (sqlite3_changes(sh_ledger_db(ctx->ledger)) != 1)
            /* A recovery took it for a dead run's and undid it: the old file is back. */
            st = sh_fail(err, SH_USAGE,
                         _("%s changed while its rescan was being written (another sohoa at "
                           "work on it?); nothing was replaced: run the command again"),
                         p->rel_path);
        sqlite3_free(sql);
    }
    return st;
}

/* ---- recovery ---- */

/* Is the writer that holds the temp file at path alive (its lock held)? */
static bool writer_alive(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    bool alive = flock(fd, LOCK_EX | LOCK_NB) != 0;
    close(fd);
    return alive;
}

typedef struct {
    int64_t id;
    char *temp_path;
    in_moved_file f;
} pending_file;

sh_status in_supersede_recover(sh_ledger *l, const char *root, int *undone, sh_error *err)
{
    /* Nothing of these took effect: there is nothing for the audit chain. */
    if (undone)
        *undone = 0;
    sqlite3 *db = sh_ledger_db(l);
    sqlite3_stmt *q = NULL;
    /* A cheap look first: almost every run finds nothing and needs no write lock. */
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM supersessions WHERE done = 0", -1, &q, NULL) !=
        SQLITE_OK)
        return sh_ledger_fail(l, err, N_("read the rescans"));
    int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (n == 0)
        return SH_OK;
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(pending_file));
    if (sqlite3_prepare_v2(db,
                           "SELECT s.id, coalesce(s.temp_path, ''), f.path, f.sha256, f.kept_as "
                           "FROM supersessions s JOIN superseded_files f "
                           "ON f.supersession_id = s.id WHERE s.done = 0 "
                           "ORDER BY s.id, f.rowid DESC",
                           -1, &q, NULL) != SQLITE_OK)
        st = sh_ledger_fail(l, err, N_("read the rescans"));
    while (st == SH_OK && sqlite3_step(q) == SQLITE_ROW) {
        pending_file r = {.id = sqlite3_column_int64(q, 0)};
        r.temp_path = g_strdup((const char *)sqlite3_column_text(q, 1));
        r.f.rel = g_strdup((const char *)sqlite3_column_text(q, 2));
        g_strlcpy(r.f.sha256, (const char *)sqlite3_column_text(q, 3), sizeof r.f.sha256);
        r.f.kept_as = g_strdup((const char *)sqlite3_column_text(q, 4));
        g_array_append_val(rows, r);
    }
    sqlite3_finalize(q);
    int count = 0;
    for (guint i = 0; st == SH_OK && i < rows->len;) {
        pending_file *first = &g_array_index(rows, pending_file, i);
        int64_t id = first->id;
        char *temp = g_build_filename(root, first->temp_path, NULL);
        bool alive = *first->temp_path && writer_alive(temp);
        g_free(temp);
        bool back = true;
        for (; i < rows->len && g_array_index(rows, pending_file, i).id == id; i++)
            if (!alive)
                back &= move_back(root, &g_array_index(rows, pending_file, i).f);
        if (!alive && back) {
            st = forget_intent(l, id, err);
            count++;
        }
    }
    for (guint i = 0; i < rows->len; i++) {
        pending_file *r = &g_array_index(rows, pending_file, i);
        g_free(r->temp_path);
        g_free(r->f.rel);
        g_free(r->f.kept_as);
    }
    g_array_free(rows, TRUE);
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    else
        sh_ledger_rollback(l);
    if (st == SH_OK && count > 0)
        sh_info(ngettext("%d rescan was interrupted before it was recorded: the file it was to "
                         "replace is back in its place; run that rescan again",
                         "%d rescans were interrupted before they were recorded: the files they "
                         "were to replace are back in their place; run those rescans again",
                         count),
                count);
    if (undone)
        *undone = st == SH_OK ? count : 0;
    return st;
}
