/* The uploads rows of the ledger: one per volume and endpoint, the tus URL stored in the
 * transaction that starts the transfer, the server's offset and the outcome at each attempt's
 * end (upload_impl.h). */
#include "upload_impl.h"

#include <glib.h>
#include <sqlite3.h>

sh_status up_ul_get(sh_ledger *l, const up_dv_volume *v, const char *endpoint, char **url,
                    bool *complete, sh_error *err)
{
    *url = NULL;
    *complete = false;
    sh_status st = sh_ledger_begin_read(l, err);
    if (st != SH_OK)
        return st;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(l),
                                "SELECT url, complete FROM uploads WHERE package_id = ?1 AND"
                                " volume = ?2 AND endpoint = ?3",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, v->package, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, v->volume);
        sqlite3_bind_text(q, 3, endpoint, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            *url = g_strdup((const char *)sqlite3_column_text(q, 0));
            *complete = sqlite3_column_int(q, 1) != 0;
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        st = sh_ledger_fail(l, err, "uploads");
    sh_ledger_rollback(l);
    return st;
}

sh_status up_ul_store_url(sh_ledger *l, const up_dv_volume *v, const char *endpoint,
                          const char *url, sh_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "INSERT INTO uploads (package_id, volume, endpoint, url, length,"
                           " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                           " ON CONFLICT (package_id, volume, endpoint) DO UPDATE SET"
                           " url = excluded.url, updated_at = excluded.updated_at",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, "uploads");
    char now[32];
    sh_utc_now(now);
    sqlite3_bind_text(q, 1, v->package, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, v->volume);
    sqlite3_bind_text(q, 3, endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, url, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)v->bytes);
    sqlite3_bind_text(q, 6, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, "uploads");
}

sh_status up_ul_finish(sh_ledger *l, const up_dv_volume *v, const char *endpoint, uint64_t offset,
                       bool complete, const char *error, sh_error *err)
{
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(l),
                                "INSERT INTO uploads (package_id, volume, endpoint, offset, length,"
                                " complete, error, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                                " ?8) ON CONFLICT (package_id, volume, endpoint) DO UPDATE SET"
                                " offset = excluded.offset, complete = excluded.complete,"
                                " error = excluded.error, updated_at = excluded.updated_at",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        char now[32];
        sh_utc_now(now);
        sqlite3_bind_text(q, 1, v->package, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, v->volume);
        sqlite3_bind_text(q, 3, endpoint, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, (sqlite3_int64)offset);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)v->bytes);
        sqlite3_bind_int(q, 6, complete ? 1 : 0);
        sqlite3_bind_text(q, 7, error, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 8, now, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = sh_ledger_fail(l, err, "uploads");
        sh_ledger_rollback(l);
        return st;
    }
    return sh_ledger_commit(l, err);
}

sh_status up_ul_package_complete(sh_ledger *l, const char *package, const char *endpoint,
                                 bool *complete, sh_error *err)
{
    *complete = false;
    sh_status st = sh_ledger_begin_read(l, err);
    if (st != SH_OK)
        return st;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(l),
                                "SELECT (SELECT COUNT(*) FROM uploads WHERE package_id = ?1 AND"
                                " endpoint = ?2 AND complete), volumes FROM packages WHERE id = ?1",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, package, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, endpoint, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            *complete = sqlite3_column_int(q, 0) >= sqlite3_column_int(q, 1);
            rc = SQLITE_DONE;
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        st = sh_ledger_fail(l, err, "uploads");
    sh_ledger_rollback(l);
    return st;
}

sh_status up_ul_note_receipt(sh_ledger *l, const char *package, const char *sha256, sh_error *err)
{
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(l),
                                "UPDATE transfers SET receipt_sha256 = ?2 WHERE package_id = ?1"
                                " AND channel = 'tus' AND outcome IN ('sent', 'complete')"
                                " AND receipt_sha256 IS NULL",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, package, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, sha256, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        st = sh_ledger_fail(l, err, "transfer log");
        sh_ledger_rollback(l);
        return st;
    }
    return sh_ledger_commit(l, err);
}
