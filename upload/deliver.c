/* The volumes upload and export deliver, the transfer log and a package's stage (deliver_impl.h).
 */
#include "deliver_impl.h"

#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <sqlite3.h>

const char *up_stage_word(up_stage s)
{
    static const char *const WORDS[] = {"pending", "sending", "received", "accepted", "rejected"};
    return (unsigned)s < sizeof WORDS / sizeof *WORDS ? WORDS[s] : "pending";
}

/* ---- the volumes ---- */

#define VOLUME_COLUMNS                                                                             \
    "SELECT v.package_id, p.org_code, v.volume, p.volumes, v.path, v.sha256, v.bytes,"             \
    " EXISTS (SELECT 1 FROM receipts r WHERE r.package_id = v.package_id)"                         \
    " FROM package_volumes v JOIN packages p ON p.id = v.package_id"

static void volume_from_row(sqlite3_stmt *q, const char *root, up_dv_volume *v)
{
    g_strlcpy(v->package, (const char *)sqlite3_column_text(q, 0), sizeof v->package);
    v->org = g_strdup((const char *)sqlite3_column_text(q, 1));
    v->volume = sqlite3_column_int(q, 2);
    v->volumes = sqlite3_column_int(q, 3);
    v->rel = g_strdup((const char *)sqlite3_column_text(q, 4));
    v->path = g_build_filename(root, v->rel, NULL);
    g_strlcpy(v->sha256, (const char *)sqlite3_column_text(q, 5), sizeof v->sha256);
    v->bytes = (uint64_t)sqlite3_column_int64(q, 6);
    v->has_receipt = sqlite3_column_int(q, 7) != 0;
}

/* The file must be there as pack wrote it: a volume that is missing or of another size cannot be
 * delivered, and sending it would only earn a rejection. */
static sh_status check_file(const up_dv_volume *v, sh_error *err)
{
    struct stat sb;
    if (lstat(v->path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return sh_fail(err, SH_INPUT,
                       _("%s, volume %d of package %s, is missing: restore it from the backup "
                         "copy, or pack the dossiers again"),
                       v->path, v->volume, v->package);
    if ((uint64_t)sb.st_size != v->bytes)
        return sh_fail(err, SH_INPUT,
                       _("%s has %llu bytes, not the %llu pack wrote: it was changed or cut "
                         "short; restore it from the backup copy, or pack the dossiers again"),
                       v->path, (unsigned long long)sb.st_size, (unsigned long long)v->bytes);
    return SH_OK;
}

static sh_status select_all(sqlite3 *db, sh_ledger *l, const char *root, GArray *out, sh_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           VOLUME_COLUMNS " WHERE NOT EXISTS (SELECT 1 FROM receipts r WHERE"
                                          " r.package_id = v.package_id)"
                                          " ORDER BY p.created_at, p.id, v.volume",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, "volumes to deliver");
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        up_dv_volume v = {0};
        volume_from_row(q, root, &v);
        g_array_append_val(out, v);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, "volumes to deliver");
}

static sh_status select_one(sqlite3 *db, sh_ledger *l, const char *root, const char *file,
                            GArray *out, sh_error *err)
{
    char *rel = sh_workspace_relpath(root, file);
    if (!rel)
        return sh_fail(err, SH_INPUT,
                       _("%s is not a file inside this workspace: give the package volumes "
                         "(.zip.p7m) that sohoa pack wrote here"),
                       file);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, VOLUME_COLUMNS " WHERE v.path = ?1", -1, &q, NULL) != SQLITE_OK) {
        g_free(rel);
        return sh_ledger_fail(l, err, "volumes to deliver");
    }
    sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sh_status st = SH_OK;
    if (rc == SQLITE_ROW) {
        up_dv_volume v = {0};
        volume_from_row(q, root, &v);
        g_array_append_val(out, v);
    } else if (rc == SQLITE_DONE) {
        st = sh_fail(err, SH_INPUT,
                     _("%s is not a package volume this workspace's ledger knows: give the "
                       "volumes (.zip.p7m) that sohoa pack wrote here"),
                     file);
    } else {
        st = sh_ledger_fail(l, err, "volumes to deliver");
    }
    sqlite3_finalize(q);
    g_free(rel);
    return st;
}

sh_status up_dv_select(const sh_workspace *ws, sh_ledger *ledger, char *const *files, int n,
                       up_dv_list *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    GArray *list = g_array_new(FALSE, TRUE, sizeof(up_dv_volume));
    sqlite3 *db = sh_ledger_db(ledger);
    sh_status st = sh_ledger_begin_read(ledger, err);
    if (st == SH_OK) {
        if (n == 0)
            st = select_all(db, ledger, ws->root, list, err);
        for (int i = 0; i < n && st == SH_OK; i++)
            st = select_one(db, ledger, ws->root, files[i], list, err);
        sh_ledger_rollback(ledger);
    }
    for (guint i = 0; i < list->len && st == SH_OK; i++)
        st = check_file(&g_array_index(list, up_dv_volume, i), err);
    out->n = (int)list->len;
    out->v = (up_dv_volume *)(void *)g_array_free(list, FALSE);
    if (st != SH_OK)
        up_dv_list_clear(out);
    return st;
}

void up_dv_list_clear(up_dv_list *l)
{
    for (int i = 0; i < l->n; i++) {
        g_free(l->v[i].org);
        g_free(l->v[i].rel);
        g_free(l->v[i].path);
    }
    g_free(l->v);
    memset(l, 0, sizeof *l);
}

/* ---- the transfer log ---- */

static const char *channel_word(up_dv_channel c)
{
    return c == UP_CHANNEL_MEDIUM ? "medium" : "tus";
}

sh_status up_dv_transfer_begin(const up_dv_log *log, const up_dv_volume *v, int64_t *id,
                               sh_error *err)
{
    sqlite3 *db = sh_ledger_db(log->ledger);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO transfers (started_at, station, operator, channel, target,"
                           " org_code, package_id, volume, outcome)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'started')",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(log->ledger, err, "transfer log");
    char now[32];
    sh_utc_now(now);
    sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, log->actor->station, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, log->actor->operator_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, channel_word(log->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, log->target, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, v->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, v->package, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 8, v->volume);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return sh_ledger_fail(log->ledger, err, "transfer log");
    *id = sqlite3_last_insert_rowid(db);
    return SH_OK;
}

static char *transfer_details(const up_dv_log *log, const up_dv_volume *v, const char *outcome,
                              uint64_t bytes, const char *error, const char *receipt_sha256,
                              sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "channel", channel_word(log->channel));
    sh_json_kv_str(j, "target", log->target);
    sh_json_kv_str(j, "package", v->package);
    sh_json_kv_str(j, "org", v->org);
    sh_json_kv_int(j, "volume", v->volume);
    sh_json_kv_int(j, "volumes", v->volumes);
    sh_json_kv_str(j, "sha256", v->sha256);
    sh_json_kv_int(j, "bytes", (int64_t)bytes);
    sh_json_kv_str(j, "outcome", outcome);
    sh_json_kv_str(j, "error", error);
    sh_json_kv_str(j, "receipt_sha256", receipt_sha256);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, err);
    char *out = g_strdup(text);
    sh_json_free(j);
    return out;
}

static sh_status update_row(sh_ledger *l, int64_t id, const char *outcome, uint64_t bytes,
                            const char *error, const char *receipt_sha256, int64_t audit_id,
                            sh_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "UPDATE transfers SET ended_at = ?1, outcome = ?2, bytes = ?3,"
                           " error = ?4, receipt_sha256 = ?5, audit_id = ?6 WHERE id = ?7",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, "transfer log");
    char now[32];
    sh_utc_now(now);
    sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, outcome, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)bytes);
    sqlite3_bind_text(q, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, receipt_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, audit_id);
    sqlite3_bind_int64(q, 7, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, "transfer log");
}

sh_status up_dv_transfer_end(const up_dv_log *log, const up_dv_volume *v, int64_t id,
                             const char *outcome, uint64_t bytes, const char *error,
                             const char *receipt_sha256, sh_error *err)
{
    char *details = transfer_details(log, v, outcome, bytes, error, receipt_sha256, err);
    if (!details)
        return SH_INTERNAL;
    const char *action = log->channel == UP_CHANNEL_MEDIUM ? "package.export" : "package.upload";
    int64_t audit_id = 0;
    sh_status st = sh_ledger_begin(log->ledger, err);
    if (st == SH_OK)
        st = sh_audit_append(log->ledger, log->actor, action, v->rel, details, &audit_id, err);
    if (st == SH_OK)
        st = update_row(log->ledger, id, outcome, bytes, error, receipt_sha256, audit_id, err);
    if (st == SH_OK)
        st = sh_ledger_commit(log->ledger, err);
    else
        sh_ledger_rollback(log->ledger);
    g_free(details);
    return st;
}

int up_dv_lock(const sh_workspace *ws, sh_error *err)
{
    return sh_workspace_lock(ws, "deliver",
                             _("another sohoa upload or export is running in this workspace: "
                               "waiting for it to finish"),
                             err);
}

sh_status up_dv_close_killed(sh_ledger *ledger, sh_error *err)
{
    sh_status st = sh_ledger_begin(ledger, err);
    if (st != SH_OK)
        return st;
    char *msg = sqlite3_mprintf("%s", _("the run was killed during the transfer"));
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(ledger),
                                "UPDATE transfers SET outcome = 'interrupted', error = ?1"
                                " WHERE outcome = 'started'",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, msg, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    sqlite3_free(msg);
    if (rc != SQLITE_DONE) {
        st = sh_ledger_fail(ledger, err, "transfer log");
        sh_ledger_rollback(ledger);
        return st;
    }
    return sh_ledger_commit(ledger, err);
}

/* ---- stages ---- */

sh_status up_dv_stage(sh_ledger *ledger, const char *package, up_stage *stage, sh_error *err)
{
    /* The receipt's verdict; else whether every volume is complete on some endpoint; else
     * whether anything reached the receiver (an upload it made) or a medium: a failed attempt
     * that sent nothing leaves the package pending. */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(
            sh_ledger_db(ledger),
            "SELECT (SELECT verdict FROM receipts WHERE package_id = ?1),"
            " (SELECT COUNT(DISTINCT volume) FROM uploads WHERE package_id = ?1 AND complete),"
            " (SELECT volumes FROM packages WHERE id = ?1),"
            /* sending: something reached the receiver or a medium, not just an attempt */
            " EXISTS (SELECT 1 FROM uploads WHERE package_id = ?1 AND url IS NOT NULL)"
            "  OR EXISTS (SELECT 1 FROM transfers WHERE package_id = ?1"
            "   AND (bytes > 0 OR outcome IN ('sent', 'complete', 'exported')))",
            -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(ledger, err, "package stage");
    sqlite3_bind_text(q, 1, package, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *verdict = (const char *)sqlite3_column_text(q, 0);
        int complete = sqlite3_column_int(q, 1), volumes = sqlite3_column_int(q, 2);
        if (verdict)
            *stage = strcmp(verdict, "accepted") == 0 ? UP_STAGE_ACCEPTED : UP_STAGE_REJECTED;
        else if (volumes > 0 && complete >= volumes)
            *stage = UP_STAGE_RECEIVED;
        else if (sqlite3_column_int(q, 3))
            *stage = UP_STAGE_SENDING;
        else
            *stage = UP_STAGE_PENDING;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? SH_OK : sh_ledger_fail(ledger, err, "package stage");
}
