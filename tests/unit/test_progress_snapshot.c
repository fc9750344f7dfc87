/* Snapshots and the province merge (progress/snapshot.c, snapshot_read.c, merge.c): a report
 * built by hand is exported with the test key of tests/sign_fixtures.sh by two stations, then
 * merged: the sums, the fates of tampered, untrusted, older and conflicting files, the flags
 * (gap, count down, stale), and what the export records (row, audit entry, the station's copy). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "progress/progress.h"
#include "snapshot_impl.h"

#define P12_PASS "p12-pass"

static char *fx; /* fixtures and workspaces */
static X509_STORE *trust;

static int make_fixtures(void **state)
{
    (void)state;
    const char *src = getenv("SOHOA_SOURCE");
    char *dir = src && *src ? g_build_filename(src, "tests", NULL) : g_path_get_dirname(__FILE__);
    char *script = g_build_filename(dir, src && *src ? "" : "..", "sign_fixtures.sh", NULL);
    fx = test_tmpdir("progress-snapshot");
    /* and a self-signed key that no trust store holds */
    char *cmd = g_strdup_printf(
        "bash '%s' '%s' 2>&1 && cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout "
        "stranger.key -out stranger.pem -days 30 -subj /CN=Stranger 2>&1 && openssl pkcs12 "
        "-export -inkey stranger.key -in stranger.pem -out stranger.p12 -passout pass:" P12_PASS
        " 2>&1",
        script, fx, fx);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        print_error("%s failed:\n%s\n", cmd, out);
    g_free(out);
    g_free(cmd);
    g_free(script);
    g_free(dir);
    char *ca = test_path(fx, "ca.pem");
    sh_error err = {0};
    if (ok && sg_trust_load(ca, &trust, &err) != SH_OK) {
        print_error("%s\n", err.msg);
        ok = false;
    }
    g_free(ca);
    return ok ? 0 : -1;
}

static int drop_fixtures(void **state)
{
    (void)state;
    X509_STORE_free(trust);
    test_rmtree(fx);
    g_free(fx);
    return 0;
}

/* ---- a station: a workspace, its ledger, a signer ---- */

typedef struct {
    char *root;
    sh_ledger *l;
    sh_actor actor;
    sg_signer *signer;
} station;

static void station_open(station *s, const char *name, const char *p12)
{
    static int n;
    char *tag = g_strdup_printf("ws%d", ++n);
    s->root = test_path(fx, tag);
    g_free(tag);
    sh_error err = {0};
    assert_int_equal(sh_workspace_create(s->root, name, "Tester", &err), SH_OK);
    char *db = g_build_filename(s->root, ".sohoa", "ledger.db", NULL);
    assert_int_equal(sh_ledger_open(db, false, &s->l, &err), SH_OK);
    g_free(db);
    s->actor = (sh_actor){.station = name, .operator_name = "Tester"};
    char *key = test_path(fx, p12);
    sg_signer_options o = {.key = {.pkcs12 = key}, .secret = P12_PASS};
    assert_int_equal(sg_signer_open(&o, &s->signer, &err), SH_OK);
    g_free(key);
}

static void station_close(station *s)
{
    sg_signer_close(s->signer);
    sh_ledger_close(s->l);
    g_free(s->root);
}

/* A report of two organisations under 93.000 with counts from base. */
static pg_report *report(uint64_t base, const char *as_of)
{
    static const char *const ORGS[] = {"", "93", "93.000", "93.000.036.001.015",
                                       "93.000.036.001.016"};
    static const int LEVELS[] = {0, 1, 2, 5, 5};
    pg_report *r = g_new0(pg_report, 1);
    g_strlcpy(r->as_of, as_of, sizeof r->as_of);
    g_strlcpy(r->period, "2026-12", sizeof r->period);
    g_strlcpy(r->period_start, "2026-12-01", sizeof r->period_start);
    r->n_rows = 5;
    r->rows = g_new0(pg_org_row, r->n_rows);
    for (size_t i = 0; i < r->n_rows; i++) {
        pg_org_row *row = &r->rows[i];
        uint64_t k = i >= 3 ? base + i : 2 * base + 7; /* the roll-ups: the sum of both */
        g_strlcpy(row->org, ORGS[i], sizeof row->org);
        row->level = LEVELS[i];
        for (int s = 0; s < PG_N_STAGES; s++)
            row->stage[s] = k + PG_N_STAGES - (uint64_t)s, row->in_period[s] = (uint64_t)s;
        row->documents = 10 * k;
        row->per_day = 0.5;
        row->by_group[1][0] = k;
        g_strlcpy(row->deadline, i == 3 ? "2027-06-30" : "2027-03-31", sizeof row->deadline);
        row->timeliness = i == 4 ? PG_OVERDUE : PG_ON_TIME;
    }
    r->n_weeks = 1;
    r->weeks = g_new0(pg_week, 1);
    g_strlcpy(r->weeks[0].week, "2026-11-30", sizeof r->weeks[0].week);
    r->weeks[0].scanned = base;
    return r;
}

static void free_report(pg_report *r)
{
    g_free(r->rows);
    g_free(r->weeks);
    g_free(r);
}

/* Exports a report with counts from base as fx/NAME (and NAME.p7s); its path. */
static char *export(station *s, uint64_t base, const char *as_of, const char *name, int64_t *seq)
{
    pg_report *r = report(base, as_of);
    char *path = test_path(fx, name);
    sh_error err = {0};
    int64_t got = 0;
    sh_status st = pg_snapshot_export(s->l, s->root, &s->actor, r, s->signer, path, &got, &err);
    if (st != SH_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, SH_OK);
    if (seq)
        *seq = got;
    free_report(r);
    return path;
}

static sh_status merge(char **paths, size_t n, const char *now, pg_merge_result *m)
{
    pg_config c = {.due_soon_days = 5, .stale_days = 7};
    sh_error err = {0};
    return pg_merge(paths, n, trust, &c, now ? now : "2026-12-07T00:00:00Z", m, &err);
}

static const pg_org_row *row_of(const pg_report *r, const char *org)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].org, org) == 0)
            return &r->rows[i];
    fail_msg("no row %s", org);
    return NULL;
}

static bool has_flag(const pg_merge_result *m, const char *code)
{
    for (size_t i = 0; i < m->n_flags; i++)
        if (strcmp(m->flags[i].code, code) == 0)
            return true;
    return false;
}

/* ---- the tests ---- */

static void test_export_records(void **state)
{
    (void)state;
    station a;
    station_open(&a, "HN-XA-01", "org-rsa.p12");
    int64_t seq1 = 0, seq2 = 0;
    char *p1 = export(&a, 20, "2026-12-06T17:00:00Z", "rec1.json", &seq1);
    char *p2 = export(&a, 21, "2026-12-06T18:00:00Z", "rec2.json", &seq2);
    assert_int_equal(seq1, 1);
    assert_int_equal(seq2, 2);
    /* the station's copy is the file given, byte for byte */
    size_t n1 = 0, nc = 0;
    char *given = test_slurp(p2, &n1);
    char *copy_path = g_build_filename(a.root, ".sohoa", "snapshots", "2.json", NULL);
    char *copy = test_slurp(copy_path, &nc);
    assert_int_equal(n1, nc);
    assert_memory_equal(given, copy, n1);
    test_assert_contains(given, "\"station\":\"HN-XA-01\"");
    test_assert_contains(given, "\"seq\":2");
    char *p7s = g_strconcat(copy_path, ".p7s", NULL);
    assert_true(g_file_test(p7s, G_FILE_TEST_IS_REGULAR));
    /* the row and the audit entry */
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(sh_ledger_db(a.l),
                                        "SELECT s.path, s.sha256, a.action, a.details FROM "
                                        "snapshots s JOIN audit a ON a.id = s.audit_id WHERE "
                                        "s.seq = 2",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(q, 0), ".sohoa/snapshots/2.json");
    uint8_t d[SH_SHA256_LEN];
    char hex[SH_SHA256_HEX_LEN + 1];
    sh_sha256_buf(given, n1, d);
    sh_hex(d, sizeof d, hex);
    assert_string_equal(sqlite3_column_text(q, 1), hex);
    assert_string_equal(sqlite3_column_text(q, 2), "report.export");
    test_assert_contains((const char *)sqlite3_column_text(q, 3), hex);
    sqlite3_finalize(q);
    /* the audit head it carries is the chain's head before its own entry */
    sh_audit_verdict v;
    sh_error err = {0};
    assert_int_equal(sh_audit_verify(a.l, NULL, &v, &err), SH_OK);
    assert_true(v.intact);
    /* a report with suppressed counts is no snapshot */
    pg_report *r = report(3, "2026-12-06T19:00:00Z");
    r->min_cell = 5;
    assert_int_equal(pg_snapshot_export(a.l, a.root, &a.actor, r, a.signer, p1, NULL, &err),
                     SH_USAGE);
    free_report(r);
    g_free(p7s);
    g_free(given);
    g_free(copy);
    g_free(copy_path);
    g_free(p1);
    g_free(p2);
    station_close(&a);
}

static void test_merge_sums_two_stations(void **state)
{
    (void)state;
    station a, b;
    station_open(&a, "HN-XA-01", "org-rsa.p12");
    station_open(&b, "HN-XA-02", "org-ec.p12");
    char *paths[] = {export(&a, 100, "2026-12-06T17:00:00Z", "sum-a.json", NULL),
                     export(&b, 1000, "2026-12-06T16:00:00Z", "sum-b.json", NULL)};
    pg_merge_result m = {0};
    assert_int_equal(merge(paths, 2, NULL, &m), SH_OK);
    assert_int_equal(m.seen[0].fate, PG_SNAP_USED);
    assert_int_equal(m.seen[1].fate, PG_SNAP_USED);
    const pg_report *r = m.report;
    assert_int_equal(r->n_rows, 5);
    assert_string_equal(r->rows[0].org, "");
    /* a row: base + 3 + 9 at a and at b, minus the stage's index */
    const pg_org_row *o = row_of(r, "93.000.036.001.015");
    assert_int_equal(o->stage[PG_SCANNED], (100 + 3 + 9 - 2) + (1000 + 3 + 9 - 2));
    assert_int_equal(o->documents, 10 * (103 + 1003));
    assert_int_equal(o->by_group[1][0], 103 + 1003);
    assert_true(o->per_day == 1.0);
    assert_string_equal(o->deadline, "2027-06-30");
    assert_int_equal(row_of(r, "93.000.036.001.016")->timeliness, PG_OVERDUE);
    assert_int_equal(r->rows[0].stage[PG_INVENTORIED], (2 * 100 + 16) + (2 * 1000 + 16));
    assert_int_equal(r->n_weeks, 1);
    assert_int_equal(r->weeks[0].scanned, 1100);
    assert_int_equal(r->n_stations, 2);
    assert_string_equal(r->as_of, "2026-12-06T17:00:00Z");
    pg_merge_result_clear(&m);
    g_free(paths[0]);
    g_free(paths[1]);
    station_close(&a);
    station_close(&b);
}

static void test_merge_refuses_tampered_and_untrusted(void **state)
{
    (void)state;
    station a, b, x;
    station_open(&a, "HN-XA-01", "org-rsa.p12");
    station_open(&b, "HN-XA-02", "org-rsa.p12");
    station_open(&x, "HN-XA-03", "stranger.p12");
    char *paths[] = {export(&a, 5, "2026-12-06T17:00:00Z", "t-a.json", NULL),
                     export(&b, 9, "2026-12-06T17:00:00Z", "t-b.json", NULL),
                     export(&x, 7, "2026-12-06T17:00:00Z", "t-x.json", NULL),
                     test_path(fx, "missing.json")};
    /* one digit of b's counts changed: "inventoried":34 → 36 */
    size_t len = 0;
    char *text = test_slurp(paths[1], &len);
    char *at = strstr(text, "\"inventoried\":34");
    assert_non_null(at);
    at[strlen("\"inventoried\":3")] = '6';
    test_write(paths[1], text, len);
    g_free(text);
    pg_merge_result m = {0};
    assert_int_equal(merge(paths, 4, NULL, &m), SH_FINDINGS);
    assert_int_equal(m.seen[0].fate, PG_SNAP_USED);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(m.seen[i].fate, PG_SNAP_REFUSED);
        assert_non_null(m.seen[i].problem);
    }
    assert_int_equal(m.report->n_stations, 1);
    assert_int_equal(m.report->rows[0].stage[PG_INVENTORIED], 2 * 5 + 16);
    pg_merge_result_clear(&m);
    /* nothing usable */
    assert_int_equal(merge(paths + 1, 3, NULL, &m), SH_INPUT);
    pg_merge_result_clear(&m);
    for (int i = 0; i < 4; i++)
        g_free(paths[i]);
    station_close(&a);
    station_close(&b);
    station_close(&x);
}

/* The merge checks each certificate's chain once (sign's verifier): a snapshot signed by a key
 * no anchor vouches for, whose signature also carries the trusted certificates, is refused
 * after a window of trusted ones has put their chain in the cache. */
static void test_merge_untrusted_after_trusted(void **state)
{
    (void)state;
    station a, x;
    station_open(&a, "HN-XA-01", "org-rsa.p12");
    station_open(&x, "HN-XA-03", "stranger.p12");
    enum { COPIES = 17 }; /* more than a window of the merge's pool: x comes after them */
    char *paths[COPIES + 1];
    paths[0] = export(&a, 5, "2026-12-06T17:00:00Z", "u-a.json", NULL);
    size_t len = 0, sig_len = 0;
    char *text = test_slurp(paths[0], &len), *p7s = g_strconcat(paths[0], ".p7s", NULL);
    char *sig = test_slurp(p7s, &sig_len);
    for (int i = 1; i < COPIES; i++) { /* the same snapshot again: summed once */
        char *name = g_strdup_printf("u-a%02d.json", i);
        paths[i] = test_path(fx, name);
        char *copy_sig = g_strconcat(paths[i], ".p7s", NULL);
        test_write(paths[i], text, len);
        test_write(copy_sig, sig, sig_len);
        g_free(copy_sig);
        g_free(name);
    }
    paths[COPIES] = export(&x, 7, "2026-12-06T17:00:00Z", "u-x.json", NULL);
    char *cmd = g_strdup_printf(
        "cd '%s' && cat org-rsa.pem chain.pem >u-certs.pem && openssl cms -sign -binary "
        "-outform DER -in u-x.json -signer stranger.pem -inkey stranger.key -certfile "
        "u-certs.pem -out u-x.json.p7s 2>&1",
        fx);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    pg_merge_result m = {0};
    assert_int_equal(merge(paths, COPIES + 1, NULL, &m), SH_FINDINGS);
    assert_int_equal(m.seen[0].fate, PG_SNAP_USED);
    for (int i = 1; i < COPIES; i++)
        assert_int_equal(m.seen[i].fate, PG_SNAP_OLDER);
    assert_int_equal(m.seen[COPIES].fate, PG_SNAP_REFUSED);
    test_assert_contains(m.seen[COPIES].problem, "not trusted");
    assert_int_equal(m.report->n_stations, 1);
    pg_merge_result_clear(&m);
    for (int i = 0; i <= COPIES; i++)
        g_free(paths[i]);
    g_free(cmd);
    g_free(text);
    g_free(sig);
    g_free(p7s);
    station_close(&a);
    station_close(&x);
}

static void test_merge_older_gap_decrease_stale(void **state)
{
    (void)state;
    station a, b;
    station_open(&a, "HN-XA-01", "org-rsa.p12");
    station_open(&b, "HN-XA-02", "org-rsa.p12");
    char *s1 = export(&a, 50, "2026-11-01T10:00:00Z", "g1.json", NULL);
    char *s2 = export(&a, 60, "2026-11-02T10:00:00Z", "g2.json", NULL);
    char *s3 = export(&a, 40, "2026-11-03T10:00:00Z", "g3.json", NULL);
    char *fresh = export(&b, 1, "2026-12-06T10:00:00Z", "g-b.json", NULL);
    char *paths[] = {s3, fresh, s1};
    pg_merge_result m = {0};
    assert_int_equal(merge(paths, 3, "2026-12-07T00:00:00Z", &m), SH_FINDINGS);
    assert_int_equal(m.seen[0].fate, PG_SNAP_USED);
    assert_int_equal(m.seen[1].fate, PG_SNAP_USED);
    assert_int_equal(m.seen[2].fate, PG_SNAP_OLDER);
    assert_true(has_flag(&m, "station.sequence_gap"));
    assert_true(has_flag(&m, "station.count_decreased"));
    assert_true(has_flag(&m, "station.stale"));
    assert_int_equal(m.n_flags, 3);
    /* only the newest of a is summed, with b's */
    assert_int_equal(m.report->rows[0].stage[PG_INVENTORIED], (2 * 40 + 16) + (2 * 1 + 16));
    pg_merge_result_clear(&m);
    /* consecutive and growing, and fresh: no flag */
    char *ok_paths[] = {s2, s1};
    assert_int_equal(merge(ok_paths, 2, "2026-11-03T00:00:00Z", &m), SH_OK);
    assert_int_equal(m.n_flags, 0);
    assert_int_equal(m.seen[0].fate, PG_SNAP_USED);
    assert_int_equal(m.seen[1].fate, PG_SNAP_OLDER);
    pg_merge_result_clear(&m);
    g_free(s1);
    g_free(s2);
    g_free(s3);
    g_free(fresh);
    station_close(&a);
    station_close(&b);
}

static void test_merge_conflict(void **state)
{
    (void)state;
    station a, twin;
    station_open(&a, "HN-XA-01", "org-rsa.p12");
    station_open(&twin, "HN-XA-01", "org-rsa.p12");
    char *paths[] = {export(&a, 5, "2026-12-06T17:00:00Z", "c-a.json", NULL),
                     export(&twin, 6, "2026-12-06T17:00:00Z", "c-twin.json", NULL)};
    pg_merge_result m = {0};
    assert_int_equal(merge(paths, 2, NULL, &m), SH_INPUT);
    assert_int_equal(m.seen[0].fate, PG_SNAP_REFUSED);
    assert_int_equal(m.seen[1].fate, PG_SNAP_REFUSED);
    pg_merge_result_clear(&m);
    g_free(paths[0]);
    g_free(paths[1]);
    station_close(&a);
    station_close(&twin);
}

/* The reader's bounds and checks, on text made by hand. */
static void test_reader_refuses(void **state)
{
    (void)state;
    station a;
    station_open(&a, "HN-XA-01", "org-rsa.p12");
    char *p = export(&a, 5, "2026-12-06T17:00:00Z", "r.json", NULL);
    size_t len = 0;
    char *text = test_slurp(p, &len);
    pg_report *r = NULL;
    sh_error err = {0};
    assert_int_equal(pg_snapshot_parse(text, len, "r.json", &r, &err), SH_OK);
    assert_int_equal(r->seq, 1);
    pg_report_free(r);
    static const char *const BAD[][2] = {
        {"\"org\":\"93\"", "\"org\":\"9x\""},
        {"\"seq\":1", "\"seq\":-1"},
        {"\"min_cell\":0", "\"min_cell\":3"},
        {"\"unlisted\":", "\"extra\":0,\"unlisted\":"},
        {"\"inventoried\":26", "\"inventoried\":9007199254740993"},
        {"\"format\":\"sohoa-progress/1\"", "\"format\":\"sohoa-progress/9\""},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(BAD); i++) {
        char **parts = g_strsplit(text, BAD[i][0], 2);
        assert_non_null(parts[1]);
        char *bad = g_strjoin(BAD[i][1], parts[0], parts[1], NULL);
        assert_int_equal(pg_snapshot_parse(bad, strlen(bad), "bad", &r, &err), SH_FINDINGS);
        assert_null(r);
        g_free(bad);
        g_strfreev(parts);
    }
    g_free(text);
    g_free(p);
    station_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_records),
        cmocka_unit_test(test_merge_sums_two_stations),
        cmocka_unit_test(test_merge_refuses_tampered_and_untrusted),
        cmocka_unit_test(test_merge_untrusted_after_trusted),
        cmocka_unit_test(test_merge_older_gap_decrease_stale),
        cmocka_unit_test(test_merge_conflict),
        cmocka_unit_test(test_reader_refuses),
    };
    return cmocka_run_group_tests(tests, make_fixtures, drop_fixtures);
}
