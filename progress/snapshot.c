/* A station's signed snapshot (progress.h, "snapshots and merge"; docs/progress.md): the report
 * as JSON with the station, the next sequence number, the audit chain's head and the inventory
 * and plan versions; a detached CMS signature beside it. The station keeps a copy under
 * .sohoa/snapshots, published with core's protocol in the transaction that records it, so a
 * killed run leaves nothing the ledger does not know; the operator's FILE is written last. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <sqlite3.h>

#include "progress/progress.h"

#define SNAPSHOTS_DIR SH_WORKSPACE_STATE_DIR "/snapshots"

typedef struct {
    sh_ledger *l;
    const char *root;
    const sh_actor *actor;
    pg_report snap; /* the caller's report with the snapshot's fields (shares its rows) */
    char *json;
    size_t json_len;
    uint8_t *der;
    size_t der_len;
    char sha256[SH_SHA256_HEX_LEN + 1], p7s_sha256[SH_SHA256_HEX_LEN + 1];
    char *rel_json, *rel_p7s;
    sh_atomic_file *f_json, *f_p7s;
    int64_t i_json, i_p7s;
} exporting;

static void exporting_clear(exporting *x)
{
    sh_atomic_abort(x->f_json);
    sh_atomic_abort(x->f_p7s);
    g_free(x->json);
    g_free(x->der);
    g_free(x->rel_json);
    g_free(x->rel_p7s);
}

/* One text (or integer as text) of the first row of sql, "" when no row. */
static sh_status query_text(sh_ledger *l, const char *sql, char *out, size_t size, sh_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(l), sql, -1, &q, NULL);
    out[0] = '\0';
    if (rc == SQLITE_OK)
        rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_text(q, 0))
        g_strlcpy(out, (const char *)sqlite3_column_text(q, 0), size);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SH_OK
                                                 : sh_ledger_fail(l, err, N_("read the snapshots"));
}

/* Inside the write transaction: the next sequence number, the chain's head, the versions. */
static sh_status fill_snapshot(exporting *x, sh_error *err)
{
    char seq[32];
    sh_status st =
        query_text(x->l, "SELECT COALESCE(MAX(seq), 0) + 1 FROM snapshots", seq, sizeof seq, err);
    if (st == SH_OK)
        st = query_text(x->l, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1", x->snap.audit_head,
                        sizeof x->snap.audit_head, err);
    if (st == SH_OK)
        st = query_text(x->l,
                        "SELECT sha256 FROM imports WHERE kind = 'inventory' ORDER BY id DESC"
                        " LIMIT 1",
                        x->snap.inventory_version, sizeof x->snap.inventory_version, err);
    if (st == SH_OK)
        st = query_text(x->l,
                        "SELECT sha256 FROM imports WHERE kind = 'plan' ORDER BY id DESC LIMIT 1",
                        x->snap.plan_version, sizeof x->snap.plan_version, err);
    x->snap.seq = g_ascii_strtoll(seq, NULL, 10);
    g_strlcpy(x->snap.station, x->actor->station, sizeof x->snap.station);
    x->snap.stations = NULL;
    x->snap.n_stations = 0;
    return st;
}

static void hex_of(const void *data, size_t len, char out[SH_SHA256_HEX_LEN + 1])
{
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(data, len, digest);
    sh_hex(digest, sizeof digest, out);
}

/* The JSON and its signature. */
static sh_status make_and_sign(exporting *x, sg_signer *signer, sh_error *err)
{
    sh_json *j = sh_json_new();
    pg_report_json(j, &x->snap);
    const char *text = sh_json_finish(j, err);
    if (text) {
        x->json = g_strdup(text);
        x->json_len = strlen(text);
    }
    sh_json_free(j);
    if (!x->json)
        return err->status;
    hex_of(x->json, x->json_len, x->sha256);
    sh_status st = sg_signer_sign_detached(signer, x->json, x->json_len, (int64_t)time(NULL),
                                           &x->der, &x->der_len, err);
    if (st == SH_OK)
        hex_of(x->der, x->der_len, x->p7s_sha256);
    return st;
}

static sh_status seal(const char *root, const char *rel, const void *data, size_t len,
                      sh_atomic_file **f, sh_error *err)
{
    char *path = g_build_filename(root, rel, NULL);
    *f = sh_atomic_open(path, 0, err);
    g_free(path);
    if (!*f)
        return err->status;
    sh_status st = sh_atomic_write(*f, data, len, err);
    return st == SH_OK ? sh_atomic_seal(*f, err) : st;
}

static char *audit_details(const exporting *x)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_int(j, "seq", x->snap.seq);
    sh_json_kv_str(j, "as_of", x->snap.as_of);
    sh_json_kv_str(j, "sha256", x->sha256);
    sh_json_kv_str(j, "path", x->rel_json);
    sh_json_kv_str(j, "audit_head", x->snap.audit_head);
    sh_json_end_object(j);
    char *out = g_strdup(sh_json_finish(j, NULL));
    sh_json_free(j);
    return out;
}

static sh_status insert_row(exporting *x, int64_t audit_id, sh_error *err)
{
    char now[32];
    sh_utc_now(now);
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(x->l),
                                "INSERT INTO snapshots (seq, as_of, path, sha256, audit_head,"
                                " created_at, audit_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, x->snap.seq);
        sqlite3_bind_text(q, 2, x->snap.as_of, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, x->rel_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, x->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, x->snap.audit_head, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, now, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 7, audit_id);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(x->l, err, N_("record the snapshot"));
}

/* The station's copies sealed, the row, the audit entry and the intents: all or nothing. */
static sh_status record(exporting *x, sg_signer *signer, sh_error *err)
{
    sh_status st = fill_snapshot(x, err);
    if (st == SH_OK)
        st = make_and_sign(x, signer, err);
    if (st != SH_OK)
        return st;
    x->rel_json = g_strdup_printf(SNAPSHOTS_DIR "/%lld.json", (long long)x->snap.seq);
    x->rel_p7s = g_strconcat(x->rel_json, ".p7s", NULL);
    st = seal(x->root, x->rel_json, x->json, x->json_len, &x->f_json, err);
    if (st == SH_OK)
        st = seal(x->root, x->rel_p7s, x->der, x->der_len, &x->f_p7s, err);
    char *details = st == SH_OK ? audit_details(x) : NULL;
    int64_t audit_id = 0;
    if (st == SH_OK)
        st = sh_audit_append(x->l, x->actor, "report.export", "", details, &audit_id, err);
    g_free(details);
    if (st == SH_OK)
        st = insert_row(x, audit_id, err);
    if (st == SH_OK)
        st = sh_publish_intend(x->l, x->root, x->f_p7s, x->p7s_sha256, &x->i_p7s, err);
    if (st == SH_OK)
        st = sh_publish_intend(x->l, x->root, x->f_json, x->sha256, &x->i_json, err);
    return st;
}

/* What a killed export left in the snapshots folder: intents completed, stray temps removed. */
static sh_status prepare_dir(exporting *x, sh_error *err)
{
    sh_publish_recovery rec;
    sh_status st = sh_publish_recover(x->l, x->root, x->actor, &rec, err);
    char *dir = g_build_filename(x->root, SNAPSHOTS_DIR, NULL);
    if (st == SH_OK && g_mkdir_with_parents(dir, 0755) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot make the folder %s"), dir);
    if (st == SH_OK)
        SH_IGNORE_RESULT(sh_temp_sweep_dir(x->l, x->root, dir)); /* a count */
    g_free(dir);
    return st;
}

static sh_status publish(exporting *x, sh_error *err)
{
    sh_status st = sh_publish_finish(x->l, x->f_p7s, x->i_p7s, err);
    x->f_p7s = NULL;
    sh_error e2;
    sh_error_clear(&e2);
    sh_status s2 = sh_publish_finish(x->l, x->f_json, x->i_json, &e2);
    x->f_json = NULL;
    if (st == SH_OK && s2 != SH_OK) {
        st = s2;
        *err = e2;
    }
    return st;
}

/* The operator's FILE and FILE.p7s (perhaps on a USB stick), once the ledger holds the snapshot. */
static sh_status write_out(const exporting *x, const char *path, sh_error *err)
{
    char *p7s = g_strconcat(path, ".p7s", NULL);
    sh_error e;
    sh_error_clear(&e);
    sh_status st = sh_write_file_atomic(path, x->json, x->json_len, 0, &e);
    if (st == SH_OK)
        st = sh_write_file_atomic(p7s, x->der, x->der_len, 0, &e);
    if (st != SH_OK)
        sh_fail(err, st,
                _("snapshot %lld is recorded and kept as %s/%s (and .p7s), but %s: copy both "
                  "files from there"),
                (long long)x->snap.seq, x->root, x->rel_json, e.msg);
    g_free(p7s);
    return st;
}

static sh_status check_args(const sh_actor *actor, const pg_report *r, sh_error *err)
{
    if (r->min_cell != 0)
        return sh_fail(err, SH_USAGE,
                       _("a snapshot carries exact counts: make it without --min-cell (the "
                         "merge suppresses small counts on the sum)"));
    return sh_actor_check(actor, err);
}

sh_status pg_snapshot_export(sh_ledger *l, const char *root, const sh_actor *actor,
                             const pg_report *r, sg_signer *signer, const char *path, int64_t *seq,
                             sh_error *err)
{
    sh_status st = check_args(actor, r, err);
    if (st != SH_OK)
        return st;
    exporting x = {.l = l, .root = root, .actor = actor, .snap = *r};
    st = prepare_dir(&x, err);
    if (st == SH_OK)
        st = sh_ledger_begin(l, err);
    if (st == SH_OK) {
        st = record(&x, signer, err);
        if (st == SH_OK)
            st = sh_ledger_commit(l, err);
        if (st != SH_OK)
            sh_ledger_rollback(l);
    }
    if (st == SH_OK)
        st = publish(&x, err);
    if (st == SH_OK)
        st = write_out(&x, path, err);
    if (seq)
        *seq = st == SH_OK || x.i_json ? x.snap.seq : 0;
    exporting_clear(&x);
    return st;
}
