/* Publishing a file the ledger records: intents, their completion, recovery after a kill, and
 * the sweep of temp files that dead writers left (core.h, docs/architecture.md). */
#include "core_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <sqlite3.h>

/* path relative to root (both absolute or relative to the current folder); the file itself need
 * not exist, its folder must. NULL when outside root. g_free(). */
static char *rel_to_root(const char *root, const char *path)
{
    char *dir = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    char *real_dir = realpath(dir, NULL);
    char *real_root = realpath(root, NULL);
    char *rel = NULL;
    if (real_dir && real_root) {
        size_t n = strlen(real_root);
        if (strcmp(real_dir, real_root) == 0)
            rel = g_strdup(base);
        else if (strncmp(real_dir, real_root, n) == 0 && real_dir[n] == '/')
            rel = g_build_filename(real_dir + n + 1, base, NULL);
    }
    free(real_dir);
    free(real_root);
    g_free(dir);
    g_free(base);
    return rel;
}

/* Delete the intents of files already in place. Inside the caller's transaction when one is
 * open, else in one of its own (at close); a failure only leaves intents that recovery closes. */
static void delete_done(sh_ledger *l)
{
    GArray *done = sh_ledger_done_intents_(l);
    if (done->len == 0)
        return;
    sqlite3 *db = sh_ledger_db(l);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM publications WHERE id = ?", -1, &q, NULL) != SQLITE_OK)
        return;
    for (guint i = 0; i < done->len; i++) {
        sqlite3_bind_int64(q, 1, g_array_index(done, int64_t, i));
        sqlite3_step(q);
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    g_array_set_size(done, 0);
}

void sh_publish_flush_(sh_ledger *l)
{
    if (sh_ledger_done_intents_(l)->len == 0)
        return;
    sh_error err = {0};
    if (sh_ledger_begin(l, &err) != SH_OK)
        return;
    delete_done(l);
    if (sh_ledger_commit(l, &err) != SH_OK)
        sh_ledger_rollback(l);
}

/* Does an open intent publish to rel (1), none (0)? When in doubt, yes. */
static bool intent_for_path(sh_ledger *l, const char *rel)
{
    sqlite3_stmt *q = NULL;
    bool found = true;
    if (sqlite3_prepare_v2(sh_ledger_db(l), "SELECT 1 FROM publications WHERE path = ?", -1, &q,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, rel, -1, SQLITE_TRANSIENT);
        found = sqlite3_step(q) != SQLITE_DONE;
    }
    sqlite3_finalize(q);
    return found;
}

bool sh_publish_pending(sh_ledger *l, const char *root, const char *path)
{
    char *rel = rel_to_root(root, path);
    bool pending = rel && intent_for_path(l, rel);
    g_free(rel);
    return pending;
}

sh_status sh_publish_intend(sh_ledger *l, const char *root, const sh_atomic_file *f,
                            const char *sha256_hex, int64_t *intent, sh_error *err)
{
    if (sqlite3_get_autocommit(sh_ledger_db(l)))
        return sh_fail(err, SH_INTERNAL, "publication of %s outside a transaction",
                       sh_atomic_path(f));
    delete_done(l);
    char *rel = rel_to_root(root, sh_atomic_path(f));
    char *rel_temp = rel_to_root(root, sh_atomic_temp_path(f));
    if (!rel || !rel_temp) {
        g_free(rel);
        g_free(rel_temp);
        return sh_fail(err, SH_INTERNAL, "%s is outside the workspace %s", sh_atomic_path(f), root);
    }
    /* Under the write lock: of two processes publishing one name, the second learns it here,
     * before its rows are committed, never after (its rename would fail with the rows kept). */
    struct stat sb;
    sh_status st = SH_OK;
    if (lstat(sh_atomic_path(f), &sb) == 0)
        st = sh_fail(err, SH_USAGE, _("%s already exists; it is left as it is"), sh_atomic_path(f));
    else if (intent_for_path(l, rel))
        st = sh_fail(err, SH_USAGE,
                     _("%s is being written by another sohoa process; wait for it to finish, "
                       "then run the command again"),
                     sh_atomic_path(f));
    if (st != SH_OK) {
        g_free(rel);
        g_free(rel_temp);
        return st;
    }
    char now[32];
    sh_utc_now(now);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "INSERT INTO publications (path, temp_path, sha256, started_at) "
                           "VALUES (?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        st = sh_ledger_fail(l, err, N_("record a publication"));
    else {
        sqlite3_bind_text(q, 1, rel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, rel_temp, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 3, sha256_hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 4, now, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_DONE)
            st = sh_ledger_fail(l, err, N_("record a publication"));
        else
            *intent = sqlite3_last_insert_rowid(sh_ledger_db(l));
    }
    sqlite3_finalize(q);
    g_free(rel);
    g_free(rel_temp);
    return st;
}

sh_status sh_publish_finish(sh_ledger *l, sh_atomic_file *f, int64_t intent, sh_error *err)
{
    return sh_publish_finish_locked(l, f, intent, NULL, err);
}

sh_status sh_publish_finish_locked(sh_ledger *l, sh_atomic_file *f, int64_t intent, int *locked_fd,
                                   sh_error *err)
{
    char *temp = g_strdup(sh_atomic_temp_path(f));
    sh_status st = sh_atomic_commit_keep_(f, locked_fd, err);
    struct stat sb;
    if (st == SH_OK)
        g_array_append_val(sh_ledger_done_intents_(l), intent);
    else if (lstat(temp, &sb) == 0) {
        /* The recorded bytes stay under their temp name, with the intent: the next run's
         * recovery puts them in place (or says what stands in the way). */
        char msg[SH_ERROR_MAX];
        g_strlcpy(msg, err ? err->msg : "", sizeof msg);
        sh_fail(
            err, st,
            _("%s; the file is recorded and kept as %s, and the next sohoa run puts it in place"),
            msg, temp);
    } else if (err && err->status == SH_OK)
        sh_fail(err, st, "%s", _("the recorded file could not be put in place"));
    g_free(temp);
    return st;
}

/* ---- recovery ---- */

/* Try to lock the file at path: 1 locked by us (fd returned open in *fd), 0 held by a live
 * writer, -1 not there (or unreadable: errno). */
static int try_lock(const char *path, int *fd)
{
    *fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0)
        return -1;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        close(*fd);
        *fd = -1;
        return 0;
    }
    return 1;
}

static bool same_sha256(const char *path, const char *hex)
{
    uint8_t d[SH_SHA256_LEN];
    char h[SH_SHA256_HEX_LEN + 1];
    if (sh_sha256_file(path, d, NULL) != SH_OK)
        return false;
    sh_hex(d, sizeof d, h);
    return strcmp(h, hex) == 0;
}

static sh_status record_lost(sh_ledger *l, const sh_actor *actor, const char *rel,
                             const char *sha256, const char *why, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "path", rel);
    sh_json_kv_str(j, "sha256", sha256);
    sh_json_kv_str(j, "reason", why);
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, err);
    sh_status st =
        details ? sh_audit_append(l, actor, "publish.lost", rel, details, NULL, err) : SH_INTERNAL;
    sh_json_free(j);
    return st;
}

typedef struct {
    int64_t id;
    char *path, *temp_path, *sha256;
} intent_row;

/* One intent of a dead writer (or a finished one): what its files on disk say happened. */
static sh_status recover_one(sh_ledger *l, const char *root, const sh_actor *actor,
                             const intent_row *r, sh_publish_recovery *rec, bool *close_it,
                             sh_error *err)
{
    char *final = g_build_filename(root, r->path, NULL);
    char *temp = g_build_filename(root, r->temp_path, NULL);
    sh_status st = SH_OK;
    *close_it = true;
    int fd;
    int lock = try_lock(temp, &fd);
    if (lock == 0) { /* its writer is alive: it will finish */
        rec->pending++;
        *close_it = false;
    } else if (lock < 0) {
        struct stat sb;
        if (lstat(final, &sb) != 0) { /* neither: the bytes are gone */
            rec->lost++;
            st = record_lost(l, actor, r->path, r->sha256, "the file was never put in place", err);
        } else if (!same_sha256(final, r->sha256)) { /* another file took the name */
            rec->lost++;
            st = record_lost(l, actor, r->path, r->sha256,
                             "another file is under the recorded name", err);
        } /* else the rename happened and only the intent's deletion was lost */
    } else if (!same_sha256(temp, r->sha256)) {
        rec->lost++;
        st = record_lost(l, actor, r->path, r->sha256, "the written bytes differ from the record",
                         err);
        if (st == SH_OK)
            unlink(temp);
    } else {
        sh_error rename_err = {0};
        if (renameat2(AT_FDCWD, temp, AT_FDCWD, final, RENAME_NOREPLACE) == 0 ||
            ((errno == EINVAL || errno == ENOSYS) && link(temp, final) == 0 && unlink(temp) == 0)) {
            /* The intent is closed only once the name survives a crash: if the folder cannot
             * be flushed it stays, and the next recovery finds the file in place. */
            char *dir = g_path_get_dirname(final);
            if (sh_fsync_dir_(dir) == 0) {
                rec->finished++;
            } else {
                sh_fail_errno(&rename_err, SH_INTERNAL, errno,
                              _("cannot flush the folder of %s to disk"), final);
                sh_warn(_("%s; sohoa will check it again next time"), rename_err.msg);
                rec->pending++;
                *close_it = false;
            }
            g_free(dir);
        } else if (errno == EEXIST && same_sha256(final, r->sha256)) {
            unlink(temp); /* the same bytes are in place already */
            rec->finished++;
        } else {
            sh_fail_errno(&rename_err, SH_INTERNAL, errno, _("cannot put %s in place"), final);
            sh_warn(_("%s; the recorded file is kept as %s, and sohoa will try again next "
                      "time"),
                    rename_err.msg, temp);
            rec->pending++;
            *close_it = false;
        }
    }
    if (fd >= 0)
        close(fd);
    g_free(final);
    g_free(temp);
    return st;
}

sh_status sh_publish_recover(sh_ledger *l, const char *root, const sh_actor *actor,
                             sh_publish_recovery *rec, sh_error *err)
{
    memset(rec, 0, sizeof *rec);
    sqlite3 *db = sh_ledger_db(l);
    /* A cheap look first: most runs find nothing and need no write lock. */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM publications", -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("read the publications"));
    int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (n == 0)
        return SH_OK;
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(intent_row));
    if (sqlite3_prepare_v2(db, "SELECT id, path, temp_path, sha256 FROM publications ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        st = sh_ledger_fail(l, err, N_("read the publications"));
    while (st == SH_OK && sqlite3_step(q) == SQLITE_ROW) {
        intent_row r = {sqlite3_column_int64(q, 0),
                        g_strdup((const char *)sqlite3_column_text(q, 1)),
                        g_strdup((const char *)sqlite3_column_text(q, 2)),
                        g_strdup((const char *)sqlite3_column_text(q, 3))};
        g_array_append_val(rows, r);
    }
    sqlite3_finalize(q);
    sqlite3_stmt *del = NULL;
    if (st == SH_OK && sqlite3_prepare_v2(db, "DELETE FROM publications WHERE id = ?", -1, &del,
                                          NULL) != SQLITE_OK)
        st = sh_ledger_fail(l, err, N_("close a publication"));
    for (guint i = 0; st == SH_OK && i < rows->len; i++) {
        const intent_row *r = &g_array_index(rows, intent_row, i);
        bool close_it = false;
        st = recover_one(l, root, actor, r, rec, &close_it, err);
        if (st == SH_OK && close_it) {
            sqlite3_bind_int64(del, 1, r->id);
            if (sqlite3_step(del) != SQLITE_DONE)
                st = sh_ledger_fail(l, err, N_("close a publication"));
            sqlite3_reset(del);
        }
    }
    sqlite3_finalize(del);
    for (guint i = 0; i < rows->len; i++) {
        intent_row *r = &g_array_index(rows, intent_row, i);
        g_free(r->path);
        g_free(r->temp_path);
        g_free(r->sha256);
    }
    g_array_free(rows, TRUE);
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    else
        sh_ledger_rollback(l);
    if (st == SH_OK && (rec->finished || rec->lost))
        sh_info(_("finished %d file(s) an interrupted run had recorded; %d recorded file(s) were "
                  "lost (see \"sohoa audit show --action publish.lost\")"),
                rec->finished, rec->lost);
    return st;
}

/* ---- sweep ---- */

/* Is name one of our temp files, .NAME.tmp-XXXXXX? */
static bool is_temp_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' && n > 12 && memcmp(name + n - 11, ".tmp-", 5) == 0;
}

static bool named_by_intent(sh_ledger *l, const char *root, const char *path)
{
    char *rel = rel_to_root(root, path);
    if (!rel)
        return false;
    sqlite3_stmt *q = NULL;
    bool named = true; /* when in doubt, keep the file */
    if (sqlite3_prepare_v2(sh_ledger_db(l), "SELECT 1 FROM publications WHERE temp_path = ?", -1,
                           &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, rel, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(q);
        named = rc != SQLITE_DONE;
    }
    sqlite3_finalize(q);
    g_free(rel);
    return named;
}

int sh_temp_sweep_dir(sh_ledger *l, const char *root, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_temp_name(e->d_name))
            continue;
        char *path = g_build_filename(dir, e->d_name, NULL);
        int fd;
        struct stat sb;
        if (try_lock(path, &fd) == 1) {
            if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && !named_by_intent(l, root, path) &&
                unlink(path) == 0)
                removed++;
            close(fd);
        }
        g_free(path);
    }
    closedir(d);
    if (removed)
        sh_debug("removed %d temp file(s) of interrupted runs in %s", removed, dir);
    return removed;
}
