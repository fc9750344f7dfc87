/* pack's selection (pack_impl.h): which dossiers go into packages, from the ledger and the file
 * system, before any file is read.
 *
 * The workspace's layout is ROOT/ORG/DOSSIER/FILE (ORG: M1.M2.M3.M4.M5, DOSSIER: a folder whose
 * name starts with the member's CCCD). Each dossier folder is listed once (readdir, no stat but
 * of the signed copies of documents that qualify), and asked about in one statement: for every
 * original beside its signed copy, the newest signature made to that copy and its audit entry,
 * the newest validation of the original and its audit entry, the documents row; the ledger's
 * documents of the folder (a recorded document gone from the disk is missing); the documents of
 * the packages that carried the dossier; its dossiers row (the member's name). Every lookup is
 * an index search (validations_by_path, signatures_by_output_path, documents' and dossiers' own
 * unique indexes, package_documents_by_dossier), all in one read transaction.
 *
 * A document qualifies as sign decides (sign/batch.c): its newest signature's input bytes are
 * those of the newest validation of the original, which passed; a later validation with other
 * bytes makes the signed copy stale (sign refuses it as such); a documents row with other bytes
 * (ingested again) makes it changed. The signed copy must be a regular file; its bytes are
 * hashed later, by the writer. Rescans (ingest/supersede.c) move the old bytes' verdicts and
 * signatures away from the path: the new document is then simply unsigned; one in progress
 * (supersessions.done = 0) or any file of the folder being published (publications) holds the
 * dossier back until that run is over. */
#include "pack_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <sqlite3.h>

#include "naming/naming.h"

/* Why a document (or the dossier) is held back; one sentence per reason, naming the files. */
typedef enum {
    R_NONE,
    R_BUSY,
    R_LINK,
    R_NAME,
    R_UNVALIDATED,
    R_FAILED,
    R_UNSIGNED,
    R_UNRECORDED,
    R_FORCED,
    R_STALE,
    R_CHANGED,
    R_SIGNED_MISSING,
    R_SIGNED_NOT_FILE,
    R_NO_PAGES,
    R_MISSING,
    R_ORPHAN,
    R_COUNT
} reason;

/* The statement's columns (see QUERY). */
enum {
    C_KIND,
    C_KEY, /* 0: the original's index; 1, 2: a path; 3: the member's name */
    C_IN_SHA,
    C_OUT_SHA,
    C_CERT,
    C_SIGNED_AT,
    C_SIGN_AUDIT,
    C_SIGN_HASH,
    C_V_SHA,
    C_V_VERDICT,
    C_V_AT,
    C_V_AUDIT,
    C_V_HASH,
    C_V_PAGES,
    C_D_SHA,
    C_D_PAGES,
};
/* Kind 2 (a packaged document): C_IN_SHA the package, C_OUT_SHA the sha256, C_CERT 1 when the
 * package is the latest that carried the dossier. */

static const char QUERY[] =
    "WITH f(i, path, out) AS (SELECT key, json_extract(value, '$[0]'), "
    "json_extract(value, '$[1]') FROM json_each(?1)), "
    "last(id) AS (SELECT p.id FROM package_documents pd JOIN packages p ON p.id = pd.package_id "
    "WHERE pd.dossier = ?4 ORDER BY p.created_at DESC, p.id DESC LIMIT 1) "
    "SELECT 0, f.i, s.input_sha256, s.output_sha256, s.cert_sha256, s.signed_at, s.audit_id, "
    "sa.hash, v.sha256, v.verdict, v.validated_at, v.audit_id, va.hash, "
    "json_extract(va.details, '$.pages'), d.sha256, d.pages FROM f "
    "LEFT JOIN signatures s ON s.id = (SELECT max(id) FROM signatures WHERE output_path = f.out) "
    "LEFT JOIN audit sa ON sa.id = s.audit_id "
    "LEFT JOIN validations v ON v.id = (SELECT max(id) FROM validations WHERE path = f.path) "
    "LEFT JOIN audit va ON va.id = v.audit_id "
    "LEFT JOIN documents d ON d.path = f.path "
    "UNION ALL SELECT 1, path, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL FROM documents WHERE path >= ?2 AND path < ?3 "
    "UNION ALL SELECT 2, pd.path, pd.package_id, pd.sha256, pd.package_id IN last, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM package_documents pd "
    "WHERE pd.dossier = ?4 "
    "UNION ALL SELECT 3, person_name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL FROM dossiers WHERE folder = ?4";

typedef struct {
    char *rel;    /* ORG/DOSSIER, relative to the root */
    bool dossier; /* else a folder in an organisation folder that is not a dossier's */
} target;

typedef struct {
    const char *root;
    sh_ledger *ledger;
    nm_rules rules;
    up_held_fn held;
    void *ctx;
    sqlite3_stmt *q;
    GHashTable *busy;         /* paths being published or rescanned by another run */
    GHashTable *busy_folders; /* their folders */
    GPtrArray *targets;       /* target *, sorted by rel once collected */
    GHashTable *seen;         /* rel of every target */
    GArray *orgs;             /* up_pack_org, in order */
    GArray *dossiers;         /* up_pack_dossier of the organisation being filled */
    int unchanged;
} sel;

typedef struct {
    char *name; /* the original's file name */
    char *signed_name;
    bool link;   /* a symbolic link */
    bool parsed; /* named as the catalog says */
    nm_file_id id;
    reason why;
    up_pack_doc doc;
} cand;

typedef enum { SIGNED_NONE, SIGNED_FILE, SIGNED_OTHER } signed_kind;

/* One dossier while it is decided. */
typedef struct {
    const char *rel;
    char *abs;
    DIR *dir;                /* the folder, listed */
    int fd;                  /* its descriptor, for fstatat */
    GArray *cands;           /* cand, in name order */
    GHashTable *signed_seen; /* signed copy's name → signed_kind */
    GHashTable *originals;   /* original's name → 1 */
    GPtrArray *names[R_COUNT];
    char *person;       /* dossiers.person_name */
    GHashTable *packed; /* the latest package's path → sha256 */
    GTree *packages;    /* every package that carried it */
} work;

/* ---- names ---- */

static bool is_signed_name(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s + 4 && strncmp(name + n - 4 - s, suffix, s) == 0;
}

static char *signed_name(const char *name, const char *suffix)
{
    return g_strdup_printf("%.*s%s.pdf", (int)(strlen(name) - 4), name, suffix);
}

static char *child(const char *rel, const char *name)
{
    return *rel ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
}

/* ---- the messages ---- */

static char *reason_text(reason r, const char *names, const char *folder)
{
    switch (r) {
    case R_BUSY:
        return g_strdup_printf(_("%s: being written by another sohoa run (ingest, rescan or "
                                 "sign); wait for it to finish, then pack again"),
                               names);
    case R_LINK:
        return g_strdup_printf(_("%s: a symbolic link, which is not packed; put the file itself "
                                 "in the dossier folder, then validate and sign it"),
                               names);
    case R_NAME:
        return g_strdup_printf(_("%s: not named as the catalog says; fix the name (sohoa name "
                                 "check %s lists what is wrong), then validate and sign it"),
                               names, folder);
    case R_UNVALIDATED:
        return g_strdup_printf(_("%s: neither validated nor signed; validate it, then sign it: "
                                 "sohoa validate %s, then sohoa sign %s"),
                               names, folder, folder);
    case R_FAILED:
        return g_strdup_printf(_("%s: did not pass validation; fix what sohoa validate %s "
                                 "lists, validate it again and sign it"),
                               names, folder);
    case R_UNSIGNED:
        return g_strdup_printf(_("%s: not signed yet; sign it first: sohoa sign %s"), names,
                               folder);
    case R_UNRECORDED:
        return g_strdup_printf(_("%s: the signed copy beside it is not one sohoa recorded "
                                 "signing (made by hand or by another program?); move that "
                                 "copy out of the workspace, then sign again: sohoa sign %s"),
                               names, folder);
    case R_FORCED:
        return g_strdup_printf(_("%s: the bytes signed never passed validation (signed with "
                                 "--force); fix the document, validate it and sign it again"),
                               names);
    default:
        break;
    }
    return NULL;
}

static char *reason_text_signed(reason r, const char *names, const char *folder)
{
    switch (r) {
    case R_STALE:
        return g_strdup_printf(_("%s: changed since it was signed (validated again with other "
                                 "bytes), so its signed copy is stale; move the signed copy out "
                                 "of the workspace, then sign again: sohoa sign %s"),
                               names, folder);
    case R_CHANGED:
        return g_strdup_printf(_("%s: ingested again since it was signed, so its signed copy is "
                                 "of the earlier file; move the signed copy out of the "
                                 "workspace, then validate and sign again"),
                               names);
    case R_SIGNED_MISSING:
        return g_strdup_printf(_("%s: its signed copy is missing; sign it again: sohoa sign %s"),
                               names, folder);
    case R_SIGNED_NOT_FILE:
        return g_strdup_printf(_("%s: its signed copy is not a regular file (a symbolic "
                                 "link?); move it out of the workspace, then sign again: sohoa "
                                 "sign %s"),
                               names, folder);
    case R_NO_PAGES:
        return g_strdup_printf(_("%s: the ledger does not say how many pages it has; validate "
                                 "it again: sohoa validate %s"),
                               names, folder);
    case R_MISSING:
        return g_strdup_printf(_("%s: recorded by the ledger but missing from the folder; put "
                                 "the file back, or rescan the document (sohoa ingest "
                                 "--replace)"),
                               names);
    case R_ORPHAN:
        return g_strdup_printf(_("%s: a signed copy whose original is missing; put the original "
                                 "back, or move the signed copy out of the workspace"),
                               names);
    default:
        break;
    }
    return reason_text(r, names, folder);
}

static void hold(sel *s, const char *rel, const char *reason_msg)
{
    if (!s->held)
        return;
    char *abs = g_build_filename(s->root, rel, NULL);
    s->held(abs, reason_msg, s->ctx);
    g_free(abs);
}

/* ---- the paths given ---- */

static void add_target(sel *s, char *rel, bool dossier)
{
    if (g_hash_table_contains(s->seen, rel)) { /* named twice */
        g_free(rel);
        return;
    }
    g_hash_table_add(s->seen, rel); /* which owns it */
    target *t = g_new(target, 1);
    t->rel = rel;
    t->dossier = dossier;
    g_ptr_array_add(s->targets, t);
}

/* The visible folders of dir (no hidden ones: the workspace's state, temp files), or NULL with
 * errno when it cannot be read. */
static GPtrArray *subfolders(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat sb;
            is_dir =
                fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
        }
        if (e->d_name[0] != '.' && is_dir)
            g_ptr_array_add(list, g_strdup(e->d_name));
        errno = 0;
    }
    int saved = errno;
    closedir(d);
    if (saved) {
        g_ptr_array_free(list, TRUE);
        errno = saved;
        return NULL;
    }
    return list;
}

static sh_status unreadable(const char *dir, sh_error *err)
{
    return sh_fail_errno(err, SH_INPUT, errno,
                         _("cannot read the folder %s, so nothing was packed: check its "
                           "permissions, then pack again"),
                         dir);
}

static sh_status walk_org(sel *s, const char *org, sh_error *err)
{
    char *dir = g_build_filename(s->root, org, NULL);
    GPtrArray *list = subfolders(dir);
    sh_status st = list ? SH_OK : unreadable(dir, err);
    for (guint i = 0; list && i < list->len; i++) {
        const char *name = g_ptr_array_index(list, i);
        char key[NM_KEY_SIZE];
        add_target(s, child(org, name), nm_dossier_key(name, key, NULL));
    }
    if (list)
        g_ptr_array_free(list, TRUE);
    g_free(dir);
    return st;
}

static sh_status walk_root(sel *s, sh_error *err)
{
    GPtrArray *list = subfolders(s->root);
    if (!list)
        return unreadable(s->root, err);
    sh_status st = SH_OK;
    for (guint i = 0; i < list->len && st == SH_OK; i++) {
        const char *name = g_ptr_array_index(list, i);
        if (nm_org_code_valid(name))
            st = walk_org(s, name, err);
    }
    g_ptr_array_free(list, TRUE);
    return st;
}

static sh_status not_a_place(const char *path, sh_error *err)
{
    return sh_fail(err, SH_USAGE,
                   _("%s is not the workspace, an organisation folder (M1.M2.M3.M4.M5), a dossier "
                     "folder in one or a file in a dossier: name one of those"),
                   path);
}

/* One path given: the root, an organisation folder, a dossier folder or a file in one. */
static sh_status collect_path(sel *s, const char *path, sh_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sh_fail(err, SH_USAGE, _("%s does not exist"), path);
    char *real = realpath(path, NULL);
    char *rel =
        real && strcmp(real, s->root) == 0 ? g_strdup("") : sh_workspace_relpath(s->root, path);
    free(real);
    if (!rel)
        return sh_fail(err, SH_USAGE,
                       _("%s is outside the workspace %s: only its dossiers are packed"), path,
                       s->root);
    if (!*rel) {
        g_free(rel);
        return walk_root(s, err);
    }
    char **parts = g_strsplit(rel, "/", 4);
    guint n = g_strv_length(parts);
    bool dir = S_ISDIR(sb.st_mode);
    char key[NM_KEY_SIZE];
    sh_status st = SH_OK;
    if (n == 0 || !nm_org_code_valid(parts[0]) || n > 3 || (n < 3) != dir)
        st = not_a_place(path, err);
    else if (n == 1)
        st = walk_org(s, parts[0], err);
    else if (!nm_dossier_key(parts[1], key, NULL))
        st = not_a_place(path, err);
    else
        add_target(s, g_strconcat(parts[0], "/", parts[1], NULL), true);
    g_strfreev(parts);
    g_free(rel);
    return st;
}

static gint by_rel(gconstpointer a, gconstpointer b)
{
    return strcmp((*(target *const *)a)->rel, (*(target *const *)b)->rel);
}

/* ---- the ledger: what other runs are writing, the statement ---- */

static sh_status load_busy(sel *s, sh_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(s->ledger),
                           "SELECT path FROM publications UNION "
                           "SELECT path FROM supersessions WHERE done = 0",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(s->ledger, err, N_("read the publications in progress"));
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(q, 0);
        if (!p)
            continue;
        g_hash_table_add(s->busy, g_strdup(p));
        g_hash_table_add(s->busy_folders, g_path_get_dirname(p));
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return sh_ledger_fail(s->ledger, err, N_("read the publications in progress"));
    return SH_OK;
}

static const char *col(sqlite3_stmt *q, int i)
{
    const char *t = (const char *)sqlite3_column_text(q, i);
    return t ? t : "";
}

/* ---- one dossier ---- */

static void work_clear(work *w)
{
    if (w->dir)
        closedir(w->dir);
    for (guint i = 0; w->cands && i < w->cands->len; i++) {
        cand *c = &g_array_index(w->cands, cand, i);
        g_free(c->name);
        g_free(c->signed_name);
        g_free(c->doc.path);
        g_free(c->doc.original);
        g_free(c->doc.type_name);
    }
    if (w->cands)
        g_array_free(w->cands, TRUE);
    for (int r = 0; r < R_COUNT; r++)
        if (w->names[r])
            g_ptr_array_free(w->names[r], TRUE);
    if (w->signed_seen)
        g_hash_table_destroy(w->signed_seen);
    if (w->originals)
        g_hash_table_destroy(w->originals);
    if (w->packed)
        g_hash_table_destroy(w->packed);
    if (w->packages)
        g_tree_destroy(w->packages);
    g_free(w->person);
    g_free(w->abs);
}

static void problem(work *w, reason r, const char *name)
{
    if (!w->names[r])
        w->names[r] = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(w->names[r], nm_shown(name));
}

static bool has_problems(const work *w)
{
    for (int r = 1; r < R_COUNT; r++)
        if (w->names[r])
            return true;
    return false;
}

static int entry_type(int fd, const struct dirent *e)
{
    if (e->d_type != DT_UNKNOWN)
        return e->d_type;
    struct stat sb;
    if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return DT_UNKNOWN;
    return S_ISREG(sb.st_mode) ? DT_REG : S_ISLNK(sb.st_mode) ? DT_LNK : DT_UNKNOWN;
}

static void add_entry(const sel *s, work *w, const char *name, int type)
{
    if (type != DT_REG && type != DT_LNK)
        return; /* a folder, a device: not a document */
    if (is_signed_name(name, s->rules.signed_suffix)) {
        g_hash_table_insert(w->signed_seen, g_strdup(name),
                            GINT_TO_POINTER(type == DT_REG ? SIGNED_FILE : SIGNED_OTHER));
        return;
    }
    cand c = {.name = g_strdup(name), .link = type == DT_LNK};
    c.signed_name = signed_name(name, s->rules.signed_suffix);
    c.parsed = nm_parse_file_name(name, &s->rules, &c.id) && !c.id.is_signed;
    g_array_append_val(w->cands, c);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(((const cand *)a)->name, ((const cand *)b)->name);
}

/* The PDFs of the folder: originals (cands) and signed copies (signed_seen). */
static sh_status list_dossier(const sel *s, work *w, sh_error *err)
{
    w->dir = opendir(w->abs);
    if (!w->dir)
        return unreadable(w->abs, err);
    w->fd = dirfd(w->dir);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(w->dir))) {
        if (e->d_name[0] != '.' && nm_is_pdf_name(e->d_name))
            add_entry(s, w, e->d_name, entry_type(w->fd, e));
        errno = 0;
    }
    if (errno)
        return unreadable(w->abs, err);
    g_array_sort(w->cands, by_name);
    GHashTable *has_original = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < w->cands->len; i++) {
        cand *c = &g_array_index(w->cands, cand, i);
        g_hash_table_add(w->originals, c->name);
        g_hash_table_add(has_original, c->signed_name);
        if (c->link)
            c->why = R_LINK;
        else if (!c->parsed)
            c->why = R_NAME;
    }
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, w->signed_seen);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(has_original, key))
            problem(w, R_ORPHAN, key);
    g_hash_table_destroy(has_original);
    return SH_OK;
}

/* The statement's first argument: [[original, signed copy], ...] relative to the root. */
static char *originals_json(const work *w, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    for (guint i = 0; i < w->cands->len; i++) {
        const cand *c = &g_array_index(w->cands, cand, i);
        sh_json_begin_array(j);
        char *orig = child(w->rel, c->name), *out = child(w->rel, c->signed_name);
        sh_json_string(j, orig);
        sh_json_string(j, out);
        g_free(orig);
        g_free(out);
        sh_json_end_array(j);
    }
    sh_json_end_array(j);
    const char *text = sh_json_finish(j, err);
    char *copy = text ? g_strdup(text) : NULL;
    sh_json_free(j);
    return copy;
}

/* What the newest signature, the newest validation and the documents row say of c. */
static reason judge_recorded(sqlite3_stmt *q, const cand *c, const work *w)
{
    signed_kind sk = GPOINTER_TO_INT(g_hash_table_lookup(w->signed_seen, c->signed_name));
    bool has_sig = sqlite3_column_type(q, C_IN_SHA) != SQLITE_NULL;
    bool has_v = sqlite3_column_type(q, C_V_VERDICT) != SQLITE_NULL;
    bool pass = strcmp(col(q, C_V_VERDICT), "pass") == 0;
    if (!has_sig) {
        if (sk != SIGNED_NONE)
            return R_UNRECORDED;
        return !has_v ? R_UNVALIDATED : pass ? R_UNSIGNED : R_FAILED;
    }
    const char *in_sha = col(q, C_IN_SHA);
    if (!has_v || strcmp(col(q, C_V_SHA), in_sha) != 0)
        /* A validation after the signature with other bytes: sign's "stale"; else the bytes
         * signed were never the validated ones. */
        return has_v && sqlite3_column_int64(q, C_V_AUDIT) > sqlite3_column_int64(q, C_SIGN_AUDIT)
                   ? R_STALE
                   : R_FORCED;
    if (!pass)
        return R_FAILED;
    if (sqlite3_column_type(q, C_D_SHA) != SQLITE_NULL && strcmp(col(q, C_D_SHA), in_sha) != 0)
        return R_CHANGED;
    if (sk == SIGNED_NONE)
        return R_SIGNED_MISSING;
    return sk == SIGNED_FILE ? R_NONE : R_SIGNED_NOT_FILE;
}

static int row_pages(sqlite3_stmt *q)
{
    if (sqlite3_column_type(q, C_V_PAGES) != SQLITE_NULL)
        return sqlite3_column_int(q, C_V_PAGES);
    if (sqlite3_column_type(q, C_D_SHA) != SQLITE_NULL)
        return sqlite3_column_int(q, C_D_PAGES); /* the same bytes: judge_recorded checked */
    return 0;
}

static void fill_doc(sqlite3_stmt *q, const work *w, cand *c)
{
    up_pack_doc *d = &c->doc;
    d->path = child(w->rel, c->signed_name);
    d->original = child(w->rel, c->name);
    d->stt = c->id.type->stt;
    d->seq = c->id.seq;
    d->type_name = g_strdup(c->id.type->name_vi);
    d->pages = row_pages(q);
    g_strlcpy(d->sha256, col(q, C_OUT_SHA), sizeof d->sha256);
    g_strlcpy(d->original_sha256, col(q, C_IN_SHA), sizeof d->original_sha256);
    g_strlcpy(d->cert_sha256, col(q, C_CERT), sizeof d->cert_sha256);
    g_strlcpy(d->signed_at, col(q, C_SIGNED_AT), sizeof d->signed_at);
    g_strlcpy(d->validated_at, col(q, C_V_AT), sizeof d->validated_at);
    d->validate_audit_id = sqlite3_column_int64(q, C_V_AUDIT);
    d->sign_audit_id = sqlite3_column_int64(q, C_SIGN_AUDIT);
    g_strlcpy(d->validate_audit_hash, col(q, C_V_HASH), sizeof d->validate_audit_hash);
    g_strlcpy(d->sign_audit_hash, col(q, C_SIGN_HASH), sizeof d->sign_audit_hash);
}

static void original_row(sqlite3_stmt *q, work *w)
{
    int64_t i = sqlite3_column_int64(q, C_KEY);
    if (i < 0 || i >= (int64_t)w->cands->len)
        return;
    cand *c = &g_array_index(w->cands, cand, i);
    if (c->why != R_NONE)
        return;
    c->why = judge_recorded(q, c, w);
    if (c->why != R_NONE)
        return;
    struct stat sb;
    if (fstatat(w->fd, c->signed_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        c->why = R_SIGNED_MISSING; /* gone since the folder was listed */
    else if (!S_ISREG(sb.st_mode))
        c->why = R_SIGNED_NOT_FILE;
    if (c->why != R_NONE)
        return;
    fill_doc(q, w, c);
    c->doc.bytes = (uint64_t)sb.st_size;
    if (c->doc.pages <= 0)
        c->why = R_NO_PAGES;
}

/* Kind 1: a document the ledger records in the folder; missing when not on the disk. */
static void recorded_row(sqlite3_stmt *q, work *w)
{
    const char *path = col(q, C_KEY);
    size_t n = strlen(w->rel);
    if (strncmp(path, w->rel, n) != 0 || path[n] != '/')
        return;
    const char *name = path + n + 1;
    if (*name && !strchr(name, '/') && !g_hash_table_contains(w->originals, name))
        problem(w, R_MISSING, name);
}

/* Kind 2: a document of a package that carried the dossier. */
static void packaged_row(sqlite3_stmt *q, work *w)
{
    const char *package = col(q, C_IN_SHA);
    if (!g_tree_lookup(w->packages, package))
        g_tree_insert(w->packages, g_strdup(package), GINT_TO_POINTER(1));
    if (sqlite3_column_int(q, C_CERT))
        g_hash_table_insert(w->packed, g_strdup(col(q, C_KEY)), g_strdup(col(q, C_OUT_SHA)));
}

static sh_status ask_ledger(sel *s, work *w, sh_error *err)
{
    char *json = originals_json(w, err);
    if (!json)
        return err ? err->status : SH_INTERNAL;
    char *lo = g_strconcat(w->rel, "/", NULL), *hi = g_strconcat(w->rel, "0", NULL);
    sqlite3_stmt *q = s->q;
    sqlite3_bind_text(q, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, hi, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, w->rel, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        switch (sqlite3_column_int(q, C_KIND)) {
        case 0:
            original_row(q, w);
            break;
        case 1:
            recorded_row(q, w);
            break;
        case 2:
            packaged_row(q, w);
            break;
        default:
            g_free(w->person);
            w->person = g_strdup(col(q, C_KEY));
            break;
        }
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    g_free(json);
    g_free(lo);
    g_free(hi);
    if (rc != SQLITE_DONE)
        return sh_ledger_fail(s->ledger, err, N_("read the signatures and validations"));
    for (guint i = 0; i < w->cands->len; i++) {
        cand *c = &g_array_index(w->cands, cand, i);
        if (c->why == R_NONE && !c->doc.path) /* no row: cannot be, but never packed unknown */
            c->why = R_UNSIGNED;
        if (c->why != R_NONE)
            problem(w, c->why, c->name);
    }
    return SH_OK;
}

/* The reason of a dossier held back: each kind of problem with the files it concerns. */
static char *held_reason(const work *w)
{
    GString *text = g_string_new(NULL);
    char *folder = g_shell_quote(w->abs);
    for (int r = 1; r < R_COUNT; r++) {
        if (!w->names[r])
            continue;
        g_ptr_array_add(w->names[r], NULL);
        char *names = g_strjoinv(", ", (char **)w->names[r]->pdata);
        g_ptr_array_remove_index(w->names[r], w->names[r]->len - 1);
        char *sentence = reason_text_signed((reason)r, names, folder);
        if (text->len)
            g_string_append(text, "; ");
        g_string_append(text, sentence);
        g_free(sentence);
        g_free(names);
    }
    g_free(folder);
    return g_string_free(text, FALSE);
}

static gint by_string(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static gint tree_strcmp(gconstpointer a, gconstpointer b, gpointer data)
{
    (void)data;
    return strcmp(a, b);
}

/* The names of the files of the folder other runs are writing. */
static void busy_names(const sel *s, work *w)
{
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, s->busy);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        char *dir = g_path_get_dirname(key);
        if (strcmp(dir, w->rel) == 0)
            problem(w, R_BUSY, strrchr(key, '/') + 1);
        g_free(dir);
    }
    if (w->names[R_BUSY])
        g_ptr_array_sort(w->names[R_BUSY], by_string);
}

/* ---- the plan ---- */

static gint doc_by_path(gconstpointer a, gconstpointer b)
{
    return strcmp(((const up_pack_doc *)a)->path, ((const up_pack_doc *)b)->path);
}

static gboolean add_package(gpointer key, gpointer value, gpointer data)
{
    (void)value;
    g_ptr_array_add(data, g_strdup(key));
    return FALSE;
}

/* The member's name from the folder when the ledger has none: the part after the key. */
static char *name_from_folder(const char *folder, const char *key)
{
    char split[NM_KEY_SIZE];
    const char *person = NULL;
    if (nm_split_dossier_folder(folder, split, &person))
        return g_strdup(person);
    const char *p = folder;
    while (*p == ' ')
        p++;
    p += strlen(key);
    while (*p == ' ' || *p == '_' || *p == '-')
        p++;
    return g_strdup(*p ? p : folder);
}

/* Is the dossier exactly as the latest package that carried it has it? */
static bool packed_unchanged(const work *w, const up_pack_doc *docs, int n)
{
    if (g_tree_nnodes(w->packages) == 0 || (int)g_hash_table_size(w->packed) != n)
        return false;
    for (int i = 0; i < n; i++) {
        const char *sha = g_hash_table_lookup(w->packed, docs[i].path);
        if (!sha || strcmp(sha, docs[i].sha256) != 0)
            return false;
    }
    return true;
}

static void add_dossier(sel *s, work *w)
{
    GArray *docs = g_array_sized_new(FALSE, FALSE, sizeof(up_pack_doc), w->cands->len);
    for (guint i = 0; i < w->cands->len; i++) {
        cand *c = &g_array_index(w->cands, cand, i);
        g_array_append_val(docs, c->doc);
        memset(&c->doc, 0, sizeof c->doc); /* the plan's now */
    }
    g_array_sort(docs, doc_by_path);
    up_pack_dossier d = {0};
    d.n_docs = (int)docs->len;
    d.docs = (up_pack_doc *)(void *)g_array_free(docs, FALSE);
    if (packed_unchanged(w, d.docs, d.n_docs)) {
        s->unchanged++;
        up_pack_dossier_clear(&d);
        return;
    }
    const char *slash = strchr(w->rel, '/');
    d.folder = g_strdup(w->rel);
    d.org = g_strndup(w->rel, (gsize)(slash - w->rel));
    /* The folder's key and its kind: a CCCD, or a member's temporary key (QĐ-KN Đ17.2). Only
     * folders whose names start with one are packed (walk_org, collect_path). */
    char key[NM_KEY_SIZE] = "";
    nm_key_kind kind = NM_KEY_NONE;
    if (!nm_dossier_key(slash + 1, key, &kind))
        key[0] = '\0';
    d.key_kind = g_strdup(kind == NM_KEY_NONE ? "cccd" : nm_key_kind_name(kind));
    d.key = g_strdup(key);
    /* As written, in NFC: a name typed or pasted in decomposed form (NFD) must not travel so. */
    d.name = w->person && *w->person ? g_utf8_normalize(w->person, -1, G_NORMALIZE_NFC) : NULL;
    if (!d.name)
        d.name = name_from_folder(slash + 1, d.key);
    for (int i = 0; i < d.n_docs; i++)
        d.bytes += d.docs[i].bytes;
    GPtrArray *ids = g_ptr_array_new();
    g_tree_foreach(w->packages, add_package, ids);
    g_ptr_array_add(ids, NULL);
    d.corrects = (char **)g_ptr_array_free(ids, FALSE);
    g_array_append_val(s->dossiers, d);
}

/* The organisation being filled is done when the next dossier is of another. */
static void close_org(sel *s)
{
    if (!s->dossiers || s->dossiers->len == 0)
        return;
    up_pack_org o = {0};
    const up_pack_dossier *first = &g_array_index(s->dossiers, up_pack_dossier, 0);
    o.org = g_strdup(first->org);
    o.n_dossiers = (int)s->dossiers->len;
    o.dossiers = (up_pack_dossier *)(void *)g_array_free(s->dossiers, FALSE);
    s->dossiers = g_array_new(FALSE, TRUE, sizeof(up_pack_dossier));
    g_array_append_val(s->orgs, o);
}

static void next_org(sel *s, const char *rel)
{
    if (s->dossiers->len == 0)
        return;
    const up_pack_dossier *last =
        &g_array_index(s->dossiers, up_pack_dossier, s->dossiers->len - 1);
    size_t n = strlen(last->org);
    if (strncmp(rel, last->org, n) != 0 || rel[n] != '/')
        close_org(s);
}

static sh_status select_dossier(sel *s, const char *rel, sh_error *err)
{
    work w = {.rel = rel, .fd = -1};
    w.abs = g_build_filename(s->root, rel, NULL);
    w.cands = g_array_new(FALSE, TRUE, sizeof(cand));
    w.signed_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w.originals = g_hash_table_new(g_str_hash, g_str_equal);
    w.packed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    w.packages = g_tree_new_full(tree_strcmp, NULL, g_free, NULL);
    sh_status st = SH_OK;
    if (g_hash_table_contains(s->busy_folders, rel))
        busy_names(s, &w);
    else if ((st = list_dossier(s, &w, err)) == SH_OK)
        st = ask_ledger(s, &w, err);
    if (st == SH_OK && has_problems(&w)) {
        char *msg = held_reason(&w);
        hold(s, rel, msg);
        g_free(msg);
    } else if (st == SH_OK && w.cands->len == 0) {
        hold(s, rel, _("no PDF in this dossier folder: nothing to pack"));
    } else if (st == SH_OK) {
        next_org(s, rel);
        add_dossier(s, &w);
    }
    work_clear(&w);
    return st;
}

static void hold_folder(sel *s, const char *rel, bool dossier)
{
    char *abs = g_build_filename(s->root, rel, NULL);
    char *quoted = g_shell_quote(abs);
    char *msg = dossier ? g_strdup_printf(_("the dossier folder's name is not valid UTF-8; "
                                            "rename it (sohoa name check %s lists what is "
                                            "wrong)"),
                                          quoted)
                        : g_strdup_printf(_("not a dossier folder: its name does not start with "
                                            "a 12-digit CCCD, or a member's temporary key (a "
                                            "9-digit CMND or a passport number like C1234567); "
                                            "rename it (sohoa name check %s lists what is "
                                            "wrong)"),
                                          quoted);
    hold(s, rel, msg);
    g_free(msg);
    g_free(quoted);
    g_free(abs);
}

static sh_status select_all(sel *s, sh_error *err)
{
    if (sqlite3_prepare_v2(sh_ledger_db(s->ledger), QUERY, -1, &s->q, NULL) != SQLITE_OK)
        return sh_ledger_fail(s->ledger, err, N_("read the signatures and validations"));
    sh_status st = load_busy(s, err);
    for (guint i = 0; st == SH_OK && i < s->targets->len; i++) {
        const target *t = g_ptr_array_index(s->targets, i);
        if (!t->dossier || !g_utf8_validate(t->rel, -1, NULL))
            hold_folder(s, t->rel, t->dossier);
        else
            st = select_dossier(s, t->rel, err);
    }
    close_org(s);
    return st;
}

static void sel_free(sel *s)
{
    sqlite3_finalize(s->q);
    g_hash_table_destroy(s->busy);
    g_hash_table_destroy(s->busy_folders);
    g_ptr_array_free(s->targets, TRUE);
    g_hash_table_destroy(s->seen);
    if (s->dossiers) {
        for (guint i = 0; i < s->dossiers->len; i++)
            up_pack_dossier_clear(&g_array_index(s->dossiers, up_pack_dossier, i));
        g_array_free(s->dossiers, TRUE);
    }
    if (s->orgs) {
        up_pack_plan p = {.n_orgs = (int)s->orgs->len,
                          .orgs = (up_pack_org *)(void *)g_array_free(s->orgs, FALSE)};
        up_pack_plan_clear(&p);
    }
}

sh_status up_pack_select(const sh_workspace *ws, sh_ledger *ledger, const char *signed_suffix,
                         char *const *paths, int n_paths, up_held_fn held, void *ctx,
                         up_pack_plan *plan, sh_error *err)
{
    memset(plan, 0, sizeof *plan);
    sel s = {.root = ws->root,
             .ledger = ledger,
             .held = held,
             .ctx = ctx,
             .busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
             .busy_folders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
             .targets = g_ptr_array_new_with_free_func(g_free),
             .seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
             .orgs = g_array_new(FALSE, TRUE, sizeof(up_pack_org)),
             .dossiers = g_array_new(FALSE, TRUE, sizeof(up_pack_dossier))};
    nm_rules_from_config(&s.rules, &ws->config);
    if (signed_suffix)
        s.rules.signed_suffix = signed_suffix;
    sh_status st = SH_OK;
    if (n_paths == 0)
        st = walk_root(&s, err);
    for (int i = 0; i < n_paths && st == SH_OK; i++)
        st = collect_path(&s, paths[i], err);
    g_ptr_array_sort(s.targets, by_rel);
    /* One snapshot of the ledger for the whole selection, unless the caller holds one. */
    sqlite3 *db = sh_ledger_db(ledger);
    bool own = st == SH_OK && sqlite3_get_autocommit(db);
    if (own)
        st = sh_ledger_begin_read(ledger, err);
    if (st == SH_OK)
        st = select_all(&s, err);
    if (own)
        sh_ledger_rollback(ledger);
    if (st == SH_OK) {
        plan->n_orgs = (int)s.orgs->len;
        plan->orgs = (up_pack_org *)(void *)g_array_free(s.orgs, FALSE);
        plan->unchanged = s.unchanged;
        s.orgs = NULL;
    }
    sel_free(&s);
    return st;
}

void up_pack_dossier_clear(up_pack_dossier *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n_docs; i++) {
        g_free(d->docs[i].path);
        g_free(d->docs[i].original);
        g_free(d->docs[i].type_name);
    }
    g_free(d->docs);
    g_free(d->folder);
    g_free(d->org);
    g_free(d->key_kind);
    g_free(d->key);
    g_free(d->name);
    g_strfreev(d->corrects);
    memset(d, 0, sizeof *d);
}

void up_pack_plan_clear(up_pack_plan *plan)
{
    if (!plan)
        return;
    for (int i = 0; i < plan->n_orgs; i++) {
        up_pack_org *o = &plan->orgs[i];
        for (int j = 0; j < o->n_dossiers; j++)
            up_pack_dossier_clear(&o->dossiers[j]);
        g_free(o->dossiers);
        g_free(o->org);
    }
    g_free(plan->orgs);
    memset(plan, 0, sizeof *plan);
}
