/* sg_sign_path: what `sohoa sign PATH...` does. The walk lists every PDF under the paths (the
 * names of each folder read once, so a signed copy beside its original is known without a
 * stat), the plan decides each file from the ledger (its newest verdict, and whether its signed
 * copy is one sohoa recorded: indexed lookups, one read transaction, so 50,000 files plan in
 * well under a second), the key is checked as far as it can be without the secret, and only
 * then is the secret asked and each file signed.
 *
 * Each file is signed under an exclusive lock (flock) on the original: a second `sohoa sign` on
 * the same folder leaves the files the first is signing to it, and finds the ones it finished
 * already signed. The signed file is published with core's publish-and-record protocol: written
 * sealed and hidden, then its signatures row, audit entry and publication intent in one
 * transaction, then put in place. Killed anywhere, the next run finds either nothing, or a
 * recorded intent it completes (sh_publish_recover), or a temp file it removes
 * (sh_temp_sweep_dir): never a signed file the ledger does not know. */
#include "sign_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define MAX_WALK_DEPTH 16
#define MAX_FILES 1000000

typedef struct {
    char *path;       /* as walked */
    char *rel;        /* relative to the workspace root; NULL outside it */
    char *output;     /* the signed copy beside it */
    char *output_rel; /* relative to the root; NULL outside it */
    bool folder;      /* a folder that could not be walked (state SG_FILE_ERROR) */
    bool output_seen; /* the walk saw a file of the output's name beside it */
    sg_file_state state;
    sh_status status; /* SG_FILE_ERROR: of what happened */
    char *reason;
    char *expect; /* the sha256 of the passing verdict; NULL when none */
    bool forced;
    sg_sign_result result;
} item;

typedef struct {
    const sg_batch_options *o;
    const char *root;
    const char *suffix;
    GPtrArray *items;  /* item *, sorted by path once walked */
    GHashTable *known; /* rel (or path outside the workspace) of every item: no file twice */
    GHashTable *swept; /* folders whose temp files of killed runs were removed */
    sqlite3_stmt *q_verdict, *q_recorded;
    sh_progress *progress;
    bool too_many;
} batch;

/* ---- names ---- */

static bool has_pdf_extension(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && g_ascii_strcasecmp(name + n - 4, ".pdf") == 0;
}

/* A signed copy: "<stem><suffix>.pdf". */
static bool is_signed_name(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s + 4 && strncmp(name + n - 4 - s, suffix, s) == 0;
}

/* "<stem><suffix>.pdf" of "<stem>.pdf" (any case of the extension). */
static char *signed_name(const char *path, const char *suffix)
{
    size_t n = strlen(path);
    return g_strdup_printf("%.*s%s.pdf", (int)(n - 4), path, suffix);
}

/* rel/name, or name at the root; NULL outside the workspace. */
static char *rel_child(const char *rel, const char *name)
{
    if (!rel)
        return NULL;
    return *rel ? g_build_filename(rel, name, NULL) : g_strdup(name);
}

/* The folder path relative to the root: "" for the root itself, NULL outside it. */
static char *rel_folder(const char *root, const char *dir)
{
    char *real = realpath(dir, NULL);
    char *rel = NULL;
    if (real && strcmp(real, root) == 0)
        rel = g_strdup("");
    else if (real)
        rel = sh_workspace_relpath(root, real);
    free(real);
    return rel;
}

/* ---- the walk ---- */

static item *add_item(batch *b, char *path, char *rel)
{
    const char *key = rel ? rel : path;
    if (b->items->len >= MAX_FILES) {
        b->too_many = true;
        g_free(path);
        g_free(rel);
        return NULL;
    }
    if (!g_hash_table_add(b->known, g_strdup(key))) { /* named twice */
        g_free(path);
        g_free(rel);
        return NULL;
    }
    item *it = g_new0(item, 1);
    it->path = path;
    it->rel = rel;
    it->state = SG_FILE_SIGNED;
    g_ptr_array_add(b->items, it);
    return it;
}

static void folder_problem(batch *b, const char *dir, char *reason)
{
    item *it = g_new0(item, 1);
    it->path = g_strdup(dir);
    it->folder = true;
    it->state = SG_FILE_ERROR;
    it->status = SH_INPUT;
    it->reason = reason;
    g_ptr_array_add(b->items, it);
}

typedef struct {
    char *name;
    bool dir, link;
} entry;

/* The entries of dir worth a look (no hidden ones: the workspace's state, temp files), or
 * NULL with errno when it cannot be read. */
static GArray *read_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    GArray *list = g_array_new(FALSE, FALSE, sizeof(entry));
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) { /* file systems that do not say */
            struct stat sb;
            char *p = g_build_filename(dir, e->d_name, NULL);
            type = lstat(p, &sb) != 0    ? DT_UNKNOWN
                   : S_ISDIR(sb.st_mode) ? DT_DIR
                   : S_ISLNK(sb.st_mode) ? DT_LNK
                   : S_ISREG(sb.st_mode) ? DT_REG
                                         : DT_UNKNOWN;
            g_free(p);
        }
        if (type == DT_DIR || type == DT_REG || type == DT_LNK) {
            entry en = {g_strdup(e->d_name), type == DT_DIR, type == DT_LNK};
            g_array_append_val(list, en);
        }
        errno = 0;
    }
    int saved = errno;
    closedir(d);
    if (saved) {
        for (guint i = 0; i < list->len; i++)
            g_free(g_array_index(list, entry, i).name);
        g_array_free(list, TRUE);
        errno = saved;
        return NULL;
    }
    return list;
}

static void walk(batch *b, const char *dir, const char *rel, int depth)
{
    if (depth > MAX_WALK_DEPTH) {
        folder_problem(b, dir,
                       g_strdup_printf(_("%s is nested more than %d folders deep, so nothing "
                                         "in it was signed: name a folder further down"),
                                       dir, MAX_WALK_DEPTH));
        return;
    }
    GArray *list = read_folder(dir);
    if (!list) {
        folder_problem(b, dir,
                       g_strdup_printf(_("cannot read the folder %s (%s), so nothing in it was "
                                         "signed: check its permissions, then sign it again"),
                                       dir, g_strerror(errno)));
        return;
    }
    /* Every name of the folder: which originals already have a signed copy beside them. */
    GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < list->len; i++)
        g_hash_table_add(names, g_array_index(list, entry, i).name);
    for (guint i = 0; i < list->len && !b->too_many; i++) {
        const entry *en = &g_array_index(list, entry, i);
        char *path = g_build_filename(dir, en->name, NULL);
        if (en->dir) {
            char *sub = rel_child(rel, en->name);
            walk(b, path, sub, depth + 1);
            g_free(sub);
            g_free(path);
        } else if (has_pdf_extension(en->name) && !is_signed_name(en->name, b->suffix)) {
            /* A link is known to the ledger by where it leads. */
            char *r = en->link ? sh_workspace_relpath(b->root, path) : rel_child(rel, en->name);
            item *it = add_item(b, path, r);
            if (it) {
                char *out = signed_name(en->name, b->suffix);
                it->output_seen = g_hash_table_contains(names, out);
                g_free(out);
            }
        } else {
            g_free(path);
        }
    }
    g_hash_table_destroy(names);
    for (guint i = 0; i < list->len; i++)
        g_free(g_array_index(list, entry, i).name);
    g_array_free(list, TRUE);
}

static sh_status collect(batch *b, char *const *paths, int n, sh_error *err)
{
    for (int i = 0; i < n && !b->too_many; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                return sh_fail(err, SH_INPUT, _("%s does not exist"), paths[i]);
            return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), paths[i]);
        }
        if (S_ISDIR(sb.st_mode)) {
            char *rel = rel_folder(b->root, paths[i]);
            walk(b, paths[i], rel, 0);
            g_free(rel);
        } else if (S_ISREG(sb.st_mode) && has_pdf_extension(paths[i]) &&
                   !is_signed_name(paths[i], b->suffix)) {
            item *it = add_item(b, g_strdup(paths[i]), sh_workspace_relpath(b->root, paths[i]));
            if (it) {
                char *out = signed_name(paths[i], b->suffix);
                it->output_seen = g_file_test(out, G_FILE_TEST_EXISTS);
                g_free(out);
            }
        }
    }
    if (b->too_many)
        return sh_fail(err, SH_USAGE,
                       _("there are more than %d PDF files under the paths given: sign them a "
                         "few folders at a time"),
                       MAX_FILES);
    return SH_OK;
}

static gint by_path(gconstpointer a, gconstpointer b)
{
    return strcmp((*(item *const *)a)->path, (*(item *const *)b)->path);
}

/* ---- the plan ---- */

static sh_status prepare_queries(batch *b, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(b->o->ledger);
    /* validations_by_path and signatures_by_output_path (schema 3): a search, not a scan. */
    if (sqlite3_prepare_v2(db,
                           "SELECT verdict, sha256 FROM validations WHERE path = ? "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &b->q_verdict, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           /* The newest signature made to out, and the sha256 of the newest
                            * validation of its original made after it, if any. */
                           "SELECT s.input_sha256, (SELECT v.sha256 FROM validations v "
                           "WHERE v.path = ?2 AND v.audit_id > s.audit_id "
                           "ORDER BY v.id DESC LIMIT 1) "
                           "FROM signatures s WHERE s.output_path = ?1 ORDER BY s.id DESC LIMIT 1",
                           -1, &b->q_recorded, NULL) != SQLITE_OK)
        return sh_ledger_fail(b->o->ledger, err, N_("read the validations and signatures"));
    return SH_OK;
}

/* The newest verdict on rel: "pass"/"fail" and the sha256 it was given for; false when none. */
static bool last_verdict(batch *b, const char *rel, char verdict[8],
                         char sha[SH_SHA256_HEX_LEN + 1])
{
    sqlite3_stmt *q = b->q_verdict;
    bool found = false;
    sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        const char *h = (const char *)sqlite3_column_text(q, 1);
        g_strlcpy(verdict, v ? v : "", 8);
        g_strlcpy(sha, h ? h : "", SH_SHA256_HEX_LEN + 1);
        found = true;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return found;
}

/* Whether the ledger records a signature whose output is at out_rel; *stale when the original
 * (rel) was validated again after it, with other bytes than those signed. */
static bool recorded(batch *b, const char *out_rel, const char *rel, bool *stale)
{
    *stale = false;
    if (!out_rel)
        return false;
    sqlite3_stmt *q = b->q_recorded;
    sqlite3_bind_text(q, 1, out_rel, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, rel ? rel : "", -1, SQLITE_STATIC);
    bool found = sqlite3_step(q) == SQLITE_ROW;
    if (found && sqlite3_column_type(q, 1) != SQLITE_NULL) {
        const char *signed_sha = (const char *)sqlite3_column_text(q, 0);
        const char *later_sha = (const char *)sqlite3_column_text(q, 1);
        *stale = !signed_sha || !later_sha || strcmp(signed_sha, later_sha) != 0;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return found;
}

static char *unrecorded_reason(const item *it)
{
    return g_strdup_printf(_("%s exists, but sohoa has no record of signing it (made by hand or "
                             "by another program?): move it out of the workspace, then run "
                             "sohoa sign again"),
                           it->output);
}

/* An existing signed copy: one sohoa recorded is "already signed", unless its original was
 * validated again since with other bytes (the copy is stale); any other is refused. Each is
 * said as it is. */
static void existing_output(batch *b, item *it)
{
    bool stale = false;
    if (!recorded(b, it->output_rel, it->rel, &stale)) {
        it->state = SG_FILE_REFUSED;
        it->reason = unrecorded_reason(it);
    } else if (stale) {
        it->state = SG_FILE_REFUSED;
        it->reason = g_strdup_printf(_("%s was signed from earlier bytes of the original, which "
                                       "has changed and been validated again: move the old "
                                       "signed copy out of the workspace, then sign again"),
                                     it->output);
    } else {
        it->state = SG_FILE_ALREADY;
    }
}

static void plan_item(batch *b, item *it)
{
    it->output = signed_name(it->path, b->suffix);
    it->output_rel = it->rel ? signed_name(it->rel, b->suffix) : NULL;
    if (it->output_seen) {
        existing_output(b, it);
        return;
    }
    char verdict[8] = "", sha[SH_SHA256_HEX_LEN + 1] = "";
    if (!it->rel)
        it->reason = g_strdup(_("it is outside the workspace, so it has no validation"));
    else if (!last_verdict(b, it->rel, verdict, sha))
        it->reason = g_strdup(_("it has not been validated: run sohoa validate first"));
    else if (strcmp(verdict, "pass") != 0)
        it->reason = g_strdup(_("it did not pass validation: fix its problems (sohoa validate "
                                "lists them) and validate it again"));
    else
        it->expect = g_strdup(sha);
    it->state = it->expect || b->o->force ? SG_FILE_SIGNED : SG_FILE_REFUSED;
    it->forced = it->state == SG_FILE_SIGNED && !it->expect;
}

static sh_status plan(batch *b, int *to_sign, sh_error *err)
{
    sh_status st = prepare_queries(b, err);
    /* One snapshot for the whole plan, and no transaction per query. */
    if (st == SH_OK)
        st = sh_ledger_begin_read(b->o->ledger, err);
    if (st != SH_OK)
        return st;
    *to_sign = 0;
    for (guint i = 0; i < b->items->len; i++) {
        item *it = g_ptr_array_index(b->items, i);
        if (it->folder)
            continue;
        plan_item(b, it);
        *to_sign += it->state == SG_FILE_SIGNED;
    }
    sh_ledger_rollback(b->o->ledger);
    return SH_OK;
}

/* ---- the key, checked before the secret is asked ---- */

static sh_status open_signer(batch *b, sg_signer **out, sh_error *err)
{
    const sg_batch_options *o = b->o;
    if (!o->signer.font_path) /* a signer without a stamp signs no PDF: say so before the PIN */
        return sh_fail(err, SH_INTERNAL, "sg_sign_path: no stamp font");
    if (!o->signer.seal_path)
        sh_warn(_("no seal image is configured (--seal or seal_image in sohoa.ini): the stamp "
                  "shows the text only"));
    sg_signer *s = NULL;
    sh_status st = sg_signer_prepare(&o->signer, &s, err);
    if (st != SH_OK)
        return st;
    st = sg_signer_unlock_asking(s, o->signer.secret, o->pin_file, err);
    if (st != SH_OK) {
        sg_signer_close(s);
        return st;
    }
    *out = s;
    return SH_OK;
}

/* ---- signing one file ---- */

static char *audit_details(const item *it, const sg_signer *s, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "input", it->rel ? it->rel : it->path);
    sh_json_kv_str(j, "input_sha256", it->result.input_sha256);
    sh_json_kv_str(j, "output_sha256", it->result.output_sha256);
    sh_json_kv_str(j, "cert_sha256", sg_signer_cert_sha256(s));
    sh_json_kv_bool(j, "forced", it->forced);
    if (it->forced && it->reason)
        sh_json_kv_str(j, "forced_because", it->reason);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, err);
    char *details = text ? g_strdup(text) : NULL;
    sh_json_free(j);
    return details;
}

static sh_status insert_row(batch *b, const item *it, const sg_signer *s, int64_t audit_id,
                            sh_error *err)
{
    char when[32]; /* the time in the signature's /M, in UTC */
    time_t t = (time_t)it->result.signed_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    sqlite3 *db = sh_ledger_db(b->o->ledger);
    sqlite3_stmt *q = NULL;
    sh_status st = SH_OK;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO signatures (input_path, input_sha256, output_path, "
                           "output_sha256, cert_sha256, signed_at, forced, audit_id) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK) {
        st = sh_ledger_fail(b->o->ledger, err, N_("record the signature"));
    } else {
        sqlite3_bind_text(q, 1, it->rel ? it->rel : it->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, it->result.input_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, it->output_rel ? it->output_rel : it->output, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, it->result.output_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, sg_signer_cert_sha256(s), -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, when, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 7, it->forced);
        sqlite3_bind_int64(q, 8, audit_id);
        if (sqlite3_step(q) != SQLITE_DONE)
            st = sh_ledger_fail(b->o->ledger, err, N_("record the signature"));
    }
    sqlite3_finalize(q);
    return st;
}

/* The signed file, sealed and hidden, recorded and then put in place (core.h, "Publishing a
 * file the ledger records"). Takes sealed whatever the outcome. A file outside the workspace
 * (signed with --force) has no publication intent, whose paths are the workspace's: it is
 * recorded first and put in place after, so a kill between leaves a row without its file,
 * never a file without its row. */
static sh_status record_and_publish(batch *b, item *it, const sg_signer *s, sh_atomic_file *sealed,
                                    sh_error *err)
{
    sh_ledger *l = b->o->ledger;
    char *details = audit_details(it, s, err);
    if (!details) {
        sh_atomic_abort(sealed);
        return err->status;
    }
    int64_t audit_id = 0, intent = 0;
    sh_status st = sh_ledger_begin(l, err);
    if (st == SH_OK)
        st = sh_audit_append(l, b->o->actor, it->forced ? "document.sign_forced" : "document.sign",
                             it->output_rel ? it->output_rel : it->output, details, &audit_id, err);
    if (st == SH_OK)
        st = insert_row(b, it, s, audit_id, err);
    if (st == SH_OK && it->output_rel)
        st = sh_publish_intend(l, b->root, sealed, it->result.output_sha256, &intent, err);
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    else
        sh_ledger_rollback(l);
    g_free(details);
    if (st != SH_OK) {
        sh_atomic_abort(sealed); /* unrecorded: it must not appear */
        return st;
    }
    return it->output_rel ? sh_publish_finish(l, sealed, intent, err)
                          : sh_atomic_commit(sealed, err);
}

/* Temp files of killed runs in the folder of path, removed once per folder and run. */
static void sweep_folder(batch *b, const char *path)
{
    char *dir = g_path_get_dirname(path);
    if (g_hash_table_contains(b->swept, dir)) {
        g_free(dir);
        return;
    }
    sh_temp_sweep_dir(b->o->ledger, b->root, dir);
    g_hash_table_add(b->swept, dir);
}

static void sign_item(batch *b, sg_signer *s, item *it)
{
    /* The lock says "being signed" to other sohoa runs; it is held until the signed file is in
     * place and recorded. An original that cannot be opened is left to sg_sign_file to report. */
    int fd = open(it->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(fd);
        it->state = SG_FILE_ELSEWHERE;
        return;
    }
    /* Signed by another run since the plan was made? */
    struct stat sb;
    if (lstat(it->output, &sb) == 0) {
        if (fd >= 0)
            close(fd);
        g_free(it->reason);
        it->reason = NULL;
        it->forced = false;
        existing_output(b, it);
        return;
    }
    sweep_folder(b, it->output);
    sh_error e = {0};
    sh_atomic_file *sealed = NULL;
    /* With --force a changed file is signed as it is now, and recorded as forced. */
    sh_status st = sg_sign_file_sealed(s, it->path, b->o->force ? NULL : it->expect, it->output,
                                       &it->result, &sealed, &e);
    if (st == SH_OK && it->expect && strcmp(it->expect, it->result.input_sha256) != 0) {
        it->forced = true;
        g_free(it->reason);
        it->reason = g_strdup(_("it changed since it passed validation"));
    }
    if (st == SH_OK)
        st = record_and_publish(b, it, s, sealed, &e);
    else
        sh_atomic_abort(sealed);
    if (fd >= 0)
        close(fd);
    if (st == SH_FINDINGS) { /* changed since validation */
        it->state = SG_FILE_REFUSED;
        g_free(it->reason);
        it->reason = g_strdup(e.msg);
    } else if (st != SH_OK) {
        it->state = SG_FILE_ERROR;
        it->status = st;
        g_free(it->reason);
        it->reason = g_strdup(e.msg);
    }
}

/* ---- the run ---- */

static void report(batch *b, const item *it, sg_summary *sum, sh_status *worst)
{
    switch (it->state) {
    case SG_FILE_SIGNED:
        sum->signed_n++;
        break;
    case SG_FILE_ALREADY:
        sum->already++;
        break;
    case SG_FILE_REFUSED:
        sum->refused++;
        break;
    case SG_FILE_ELSEWHERE:
        sum->elsewhere++;
        break;
    case SG_FILE_ERROR:
        sum->errors++;
        if (it->status > *worst)
            *worst = it->status;
        break;
    }
    if (!b->o->file)
        return;
    sg_file_report r = {.path = it->path,
                        .output = it->folder ? NULL : it->output,
                        .state = it->state,
                        .status = it->state == SG_FILE_ERROR ? it->status : SH_OK,
                        .forced = it->state == SG_FILE_SIGNED && it->forced,
                        .reason = it->state == SG_FILE_SIGNED && !it->forced ? NULL : it->reason,
                        .result = it->state == SG_FILE_SIGNED ? &it->result : NULL};
    b->o->file(&r, b->o->ctx);
}

static void item_free(gpointer p)
{
    item *it = p;
    g_free(it->path);
    g_free(it->rel);
    g_free(it->output);
    g_free(it->output_rel);
    g_free(it->reason);
    g_free(it->expect);
    g_free(it);
}

static void batch_free(batch *b)
{
    if (b->items)
        g_ptr_array_free(b->items, TRUE);
    if (b->known)
        g_hash_table_destroy(b->known);
    if (b->swept)
        g_hash_table_destroy(b->swept);
    sqlite3_finalize(b->q_verdict);
    sqlite3_finalize(b->q_recorded);
}

sh_status sg_sign_path(char *const *paths, int n_paths, const sg_batch_options *o, sg_summary *sum,
                       sh_error *err)
{
    memset(sum, 0, sizeof *sum);
    batch b = {.o = o,
               .root = o->ws->root,
               .suffix = o->signed_suffix,
               .items = g_ptr_array_new_with_free_func(item_free),
               .known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
               .swept = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    /* What a killed run had recorded is put in place before anything is looked at. */
    sh_publish_recovery rec;
    sh_status st = sh_publish_recover(o->ledger, b.root, o->actor, &rec, err);
    if (st == SH_OK)
        st = collect(&b, paths, n_paths, err);
    int to_sign = 0;
    if (st == SH_OK) {
        g_ptr_array_sort(b.items, by_path);
        st = plan(&b, &to_sign, err);
    }
    sg_signer *signer = NULL;
    if (st == SH_OK && to_sign > 0)
        st = open_signer(&b, &signer, err);
    if (st != SH_OK) {
        batch_free(&b);
        return st;
    }
    sh_status worst = SH_OK;
    b.progress = to_sign > 0 ? sh_progress_new(_("Signing"), (uint64_t)to_sign) : NULL;
    for (guint i = 0; i < b.items->len; i++) {
        item *it = g_ptr_array_index(b.items, i);
        if (!it->folder && it->state == SG_FILE_SIGNED) {
            sign_item(&b, signer, it);
            sh_progress_add(b.progress, 1);
        }
        report(&b, it, sum, &worst);
    }
    sh_progress_done(b.progress);
    sg_signer_close(signer);
    batch_free(&b);
    return worst;
}
