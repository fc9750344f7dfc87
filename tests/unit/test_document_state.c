/* The ledger's document_state (migration 8), kept by triggers: each kind of fact (document
 * ingested or rescanned, verdict, signature, package) updates the row of the documents it is
 * about; and the report reads it only when it may: on a random ledger, the report from
 * document_state equals, field for field, the report from the tables themselves (forced by a
 * row whose facts are newer than the as-of time), and an earlier --as-of sees the past. */
#include "testutil.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "progress/progress.h"

static void exec(sh_ledger *l, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(sh_ledger_db(l), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static void execf(sh_ledger *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void execf(sh_ledger *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    exec(l, sql);
    g_free(sql);
}

/* One column of one row as text ("NULL" for NULL, "none" for no row). */
static char *query(sh_ledger *l, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(sh_ledger_db(l), sql, -1, &q, NULL), SQLITE_OK);
    char *v = g_strdup("none");
    if (sqlite3_step(q) == SQLITE_ROW) {
        g_free(v);
        const unsigned char *t = sqlite3_column_text(q, 0);
        v = g_strdup(t ? (const char *)t : "NULL");
    }
    sqlite3_finalize(q);
    return v;
}

static void expect(sh_ledger *l, const char *sql, const char *want)
{
    char *got = query(l, sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got %s, want %s", sql, got, want);
    g_free(got);
}

static sh_ledger *new_ledger(const char *dir)
{
    char *path = g_build_filename(dir, "ledger.db", NULL);
    sh_ledger *l = NULL;
    sh_error err;
    assert_int_equal(sh_ledger_open(path, true, &l, &err), SH_OK);
    g_free(path);
    return l;
}

#define ROW(col) "SELECT " col " FROM document_state WHERE document_id = 1"

static void test_triggers(void **state)
{
    sh_ledger *l = new_ledger(*state);
    exec(l, "INSERT INTO dossiers VALUES (7, 'O', '001085000001', 'N', 'O/001085000001_N',"
            " 't', NULL);"
            "INSERT INTO documents (id, dossier_id, path, type_stt, sha256, pages, created_at)"
            " VALUES (1, 7, 'O/001085000001_N/02.pdf', 2, 'A', 3, '2026-11-01T08:00:00Z');"
            /* a file outside any dossier has no state */
            "INSERT INTO documents (id, path, type_stt, sha256, pages, created_at)"
            " VALUES (2, 'loose.pdf', 2, 'A', 1, '2026-11-01T08:00:00Z')");
    expect(l, "SELECT count(*) FROM document_state", "1");
    expect(l, ROW("dossier_id || ' ' || type_stt || ' ' || pages"), "7 2 3");
    expect(l, ROW("coalesce(verdict, 'NULL') || ' ' || coalesce(signature, 'NULL')"), "NULL NULL");
    expect(l, ROW("newest"), "2026-11-01T08:00:00Z");

    exec(l, "INSERT INTO validations (path, sha256, verdict, findings, validated_at) VALUES"
            " ('O/001085000001_N/02.pdf', 'A', 'fail', '[]', '2026-11-02T08:00:00Z'),"
            " ('O/001085000001_N/02.pdf', 'A', 'pass', '[]', '2026-11-03T08:00:00Z'),"
            /* an older verdict recorded later (another station's clock) is not the last */
            " ('O/001085000001_N/02.pdf', 'A', 'fail', '[]', '2026-11-02T09:00:00Z'),"
            " ('x.pdf', 'B', 'fail', '[]', '2026-11-09T08:00:00Z')");
    expect(l, ROW("verdict"), "pass 2026-11-03T08:00:00Z");
    expect(l, ROW("newest"), "2026-11-03T08:00:00Z");

    exec(l, "INSERT INTO signatures (input_path, input_sha256, output_path, output_sha256,"
            " cert_sha256, signed_at) VALUES ('p', 'A', 'ps', 'AS', 'c', '2026-11-04T08:00:00Z')");
    expect(l, ROW("signature"), "2026-11-04T08:00:00Z|");
    exec(l, "INSERT INTO packages VALUES ('P1', 'O', 1, 'b', '[]', '2026-11-05T08:00:00Z', NULL);"
            "INSERT INTO package_documents VALUES ('P1', 1, 'O/001085000001_N', 'ps', 'AS');"
            "INSERT INTO packages VALUES ('P2', 'O', 1, 'b', '[]', '2026-11-06T08:00:00Z', NULL);"
            "INSERT INTO package_documents VALUES ('P2', 1, 'O/001085000001_N', 'ps', 'AS')");
    char *sig = query(l, ROW("signature"));
    assert_true(strcmp(sig, "2026-11-04T08:00:00Z|P1 P2") == 0 ||
                strcmp(sig, "2026-11-04T08:00:00Z|P2 P1") == 0);
    g_free(sig);
    /* signed again later: the first signature's time stays, the newest fact moves */
    exec(l,
         "INSERT INTO signatures (input_path, input_sha256, output_path, output_sha256,"
         " cert_sha256, signed_at) VALUES ('p', 'A', 'ps2', 'AS2', 'c', '2026-11-07T08:00:00Z')");
    expect(l, ROW("substr(signature, 1, 21)"), "2026-11-04T08:00:00Z|");
    expect(l, ROW("newest"), "2026-11-07T08:00:00Z");

    /* a rescan (ingest's upsert of the path): new bytes, no verdict or signature yet */
    exec(l, "INSERT INTO documents (dossier_id, path, type_stt, sha256, pages, created_at)"
            " VALUES (7, 'O/001085000001_N/02.pdf', 2, 'C', 4, '2026-11-08T08:00:00Z')"
            " ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256, pages = excluded.pages,"
            " created_at = excluded.created_at");
    expect(l,
           ROW("pages || ' ' || coalesce(verdict, 'NULL') || ' ' || coalesce(signature,"
               " 'NULL') || ' ' || newest"),
           "4 NULL NULL 2026-11-08T08:00:00Z");
    /* moved to another dossier: one row, under the new one */
    exec(l, "INSERT INTO dossiers VALUES (8, 'O', '001085000002', 'N', 'O/001085000002_N', 't',"
            " NULL);"
            "UPDATE documents SET dossier_id = 8 WHERE id = 1");
    expect(l, "SELECT group_concat(dossier_id) FROM document_state", "8");
    exec(l, "DELETE FROM documents WHERE id = 1");
    expect(l, "SELECT count(*) FROM document_state", "0");
    sh_ledger_close(l);
}

/* ---- the report from document_state and from the tables agree ---- */

static const char *const ORGS[] = {"93.000.036.001.015", "93.000.036.001.016", "94.001"};

static void random_time(GRand *g, char out[32])
{
    g_snprintf(out, 32, "2026-11-%02dT%02d:00:00Z", g_rand_int_range(g, 1, 29),
               g_rand_int_range(g, 0, 24));
}

/* A dossier with some of types 2 and 3, each document maybe validated (pass or fail, maybe
 * twice), maybe signed, maybe packed into one of the packages. */
static void random_dossier(sh_ledger *l, GRand *g, int id)
{
    const char *org = ORGS[g_rand_int_range(g, 0, 3)];
    char t[32];
    random_time(g, t);
    execf(l, "INSERT INTO dossiers VALUES (%d, '%s', '0010850%05d', 'N', '%s/%d', '%s', NULL)", id,
          org, id, org, id, t);
    int package = g_rand_int_range(g, 0, 6); /* where its signed copies go, mostly */
    for (int type = 2; type <= 3; type++) {
        if (g_rand_int_range(g, 0, 10) == 0)
            continue;
        random_time(g, t);
        execf(l,
              "INSERT INTO documents (dossier_id, path, type_stt, sha256, pages, created_at)"
              " VALUES (%d, '%s/%d/0%d.pdf', %d, 'h%d-%d', %d, '%s')",
              id, org, id, type, type, id, type, g_rand_int_range(g, 1, 9), t);
        for (int v = g_rand_int_range(g, 1, 3); v > 0; v--) {
            random_time(g, t);
            execf(l,
                  "INSERT INTO validations (path, sha256, verdict, findings, validated_at)"
                  " VALUES ('%s/%d/0%d.pdf', 'h%d-%d', '%s', '[]', '%s')",
                  org, id, type, id, type, g_rand_int_range(g, 0, 6) ? "pass" : "fail", t);
        }
        if (g_rand_int_range(g, 0, 6) == 0)
            continue;
        random_time(g, t);
        execf(l,
              "INSERT INTO signatures (input_path, input_sha256, output_path, output_sha256,"
              " cert_sha256, signed_at) VALUES ('p', 'h%d-%d', 's', 's%d-%d', 'c', '%s')",
              id, type, id, type, t);
        for (int p = g_rand_int_range(g, 1, 3); p > 0; p--) /* OR IGNORE: see ledger.c */
            execf(l,
                  "INSERT OR IGNORE INTO package_documents VALUES ('P%d', 1, '%s/%d', 's%d-%d',"
                  " 's%d-%d')",
                  p == 1 ? package : g_rand_int_range(g, 0, 6), org, id, id, type, id, type);
    }
}

static sh_ledger *random_ledger(const char *dir, guint32 seed)
{
    sh_ledger *l = new_ledger(dir);
    GRand *g = g_rand_new_with_seed(seed);
    exec(l, "BEGIN");
    for (int p = 0; p < 6; p++) {
        char t[32], r[32];
        random_time(g, t);
        random_time(g, r);
        execf(l, "INSERT INTO packages VALUES ('P%d', '%s', 1, 'b', '[]', '%s', NULL)", p,
              ORGS[p % 3], t);
        if (p % 3 != 2)
            execf(l,
                  "INSERT INTO receipts VALUES ('P%d', '%s', '[]', '%s', 'r', 'r%d', 'h', '%s',"
                  " NULL)",
                  p, p % 3 ? "accepted" : "rejected", r, p, r);
    }
    for (int id = 1; id <= 120; id++)
        random_dossier(l, g, id);
    exec(l, "COMMIT");
    g_rand_free(g);
    return l;
}

static char *report_json(sh_ledger *l, const char *as_of)
{
    static const int required[] = {2, 3};
    pg_config c;
    sh_config_section_defaults(&pg_config_section, &c);
    pg_report_options o = {.as_of = as_of,
                           .period = "month",
                           .config = &c,
                           .required_types = required,
                           .n_required_types = 2};
    sh_actor actor = {"S-01", "Tester"};
    pg_report *r = NULL;
    sh_error err;
    assert_int_equal(pg_report_compute(l, &actor, &o, &r, &err), SH_OK);
    sh_json *j = sh_json_new();
    pg_report_json(j, r);
    const char *text = sh_json_finish(j, &err);
    assert_non_null(text);
    char *copy = g_strdup(text);
    sh_json_free(j);
    pg_report_free(r);
    sh_config_section_free(&pg_config_section, &c);
    return copy;
}

/* Equal, or a failure showing where they part (cmocka cuts long strings short). */
static void expect_same(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    if (a[i] || b[i]) {
        size_t from = i > 120 ? i - 120 : 0;
        fail_msg("the reports part at byte %zu:\n  state:  %.200s\n  tables: %.200s", i, a + from,
                 b + from);
    }
}

static void test_report_agrees(void **state)
{
    for (guint32 seed = 1; seed <= 4; seed++) {
        char *dir = g_strdup_printf("%s/%u", (const char *)*state, seed);
        g_mkdir(dir, 0700);
        sh_ledger *l = random_ledger(dir, seed);
        char *fast = report_json(l, "2026-12-06T12:00:00Z");
        /* one fact after the as-of time: the report must search the tables themselves */
        exec(l, "UPDATE document_state SET newest = '2099-01-01T00:00:00Z' WHERE document_id ="
                " (SELECT min(document_id) FROM document_state)");
        char *slow = report_json(l, "2026-12-06T12:00:00Z");
        expect_same(fast, slow);
        /* the ledger reaches every stage: the total's accepted count is not 0 */
        const char *accepted = strstr(fast, "\"accepted\":");
        assert_non_null(accepted);
        assert_true(accepted[11] >= '1' && accepted[11] <= '9');
        /* and an as-of before some facts differs from now: the past is not read from the
         * current state */
        char *past = report_json(l, "2026-11-10T00:00:00Z");
        assert_string_not_equal(past, fast);
        g_free(past);
        g_free(fast);
        g_free(slow);
        sh_ledger_close(l);
        g_free(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_triggers, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_report_agrees, test_setup_tmpdir,
                                        test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
