/* sohoa upload --status: every package of the ledger, oldest first, with its stage, the bytes the
 * receiver holds (the server's offsets as last asked, or volumes copied onto a medium) and the
 * last failure (upload.h). */
#include "upload_impl.h"

#include <glib.h>
#include <sqlite3.h>

/* Per package: its volumes' bytes; per volume the most the receiver was known to hold, on any
 * endpoint, or all of it once exported; and the error of its latest failed attempt, if that
 * attempt is the latest of all. */
#define STATUS_QUERY                                                                               \
    "SELECT p.id, p.org_code, p.volumes, p.created_at,"                                            \
    " (SELECT COALESCE(SUM(v.bytes), 0) FROM package_volumes v WHERE v.package_id = p.id),"        \
    " (SELECT COALESCE(SUM(MIN(v.bytes, MAX("                                                      \
    "    COALESCE((SELECT MAX(u.offset) FROM uploads u WHERE u.package_id = v.package_id"          \
    "              AND u.volume = v.volume), 0),"                                                  \
    "    CASE WHEN EXISTS (SELECT 1 FROM transfers t WHERE t.package_id = v.package_id"            \
    "              AND t.volume = v.volume AND t.outcome = 'exported') THEN v.bytes ELSE 0 END"    \
    "  ))), 0) FROM package_volumes v WHERE v.package_id = p.id),"                                 \
    " (SELECT t.error FROM transfers t WHERE t.package_id = p.id ORDER BY t.id DESC LIMIT 1)"      \
    " FROM packages p ORDER BY p.created_at, p.id"

static sh_status each_package(sh_ledger *ledger, sqlite3_stmt *q, up_status_fn fn, void *ctx,
                              sh_error *err)
{
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        up_package_status p = {
            .id = (const char *)sqlite3_column_text(q, 0),
            .org = (const char *)sqlite3_column_text(q, 1),
            .volumes = sqlite3_column_int(q, 2),
            .created_at = (const char *)sqlite3_column_text(q, 3),
            .bytes = (uint64_t)sqlite3_column_int64(q, 4),
            .bytes_sent = (uint64_t)sqlite3_column_int64(q, 5),
            .error = (const char *)sqlite3_column_text(q, 6),
        };
        sh_status st = up_dv_stage(ledger, p.id, &p.stage, err);
        if (st != SH_OK)
            return st;
        if (p.stage == UP_STAGE_ACCEPTED || p.stage == UP_STAGE_REJECTED ||
            p.stage == UP_STAGE_RECEIVED)
            p.bytes_sent = p.bytes; /* counted as held even when a medium carried them */
        if (p.stage == UP_STAGE_ACCEPTED)
            p.error = NULL; /* an earlier failure is history once the receipt is in */
        fn(&p, ctx);
    }
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(ledger, err, "package status");
}

sh_status up_upload_status(sh_ledger *ledger, up_status_fn fn, void *ctx, sh_error *err)
{
    sh_status st = sh_ledger_begin_read(ledger, err);
    if (st != SH_OK)
        return st;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(ledger), STATUS_QUERY, -1, &q, NULL) != SQLITE_OK)
        st = sh_ledger_fail(ledger, err, "package status");
    else
        st = each_package(ledger, q, fn, ctx, err);
    sqlite3_finalize(q);
    sh_ledger_rollback(ledger);
    return st;
}
