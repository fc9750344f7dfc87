/* The report's calendar and counts: as-of times (a day is its end, offsets become UTC), the
 * named periods and spans and their refusals, working days with weekends and holidays, Mondays;
 * and pg_report_compute on a ledger written row by row: stage rules (a rejected package followed
 * by an accepted correction is accepted; a document signed but its validation failed is not
 * checked), unlisted dossiers, in-period counts, the plan's target and timeliness, min_cell
 * applied after the roll-up, the report.read audit entry, and pg_dossier_stage. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "progress/progress.h"
#include "report_impl.h"

static void test_as_of(void **state)
{
    (void)state;
    pg_when w;
    sh_error err;
    assert_int_equal(pg_when_parse("2026-12-06", &w, &err), SH_OK);
    assert_string_equal(w.as_of, "2026-12-06T23:59:59Z");
    assert_string_equal(w.until, "2026-12-06T23:59:59Z");
    assert_string_equal(w.day, "2026-12-06");
    assert_int_equal(pg_when_parse("2026-12-07T01:30:00+07:00", &w, &err), SH_OK);
    assert_string_equal(w.as_of, "2026-12-06T18:30:00Z");
    assert_string_equal(w.day, "2026-12-06");
    assert_int_equal(pg_when_parse("2026-12-06T17:00:00Z", &w, &err), SH_OK);
    assert_string_equal(w.until, "2026-12-06T17:00:00Z");
    assert_int_equal(pg_when_parse("yesterday", &w, &err), SH_USAGE);
    test_assert_contains(err.msg, "--as-of");
    assert_int_equal(pg_when_parse("2026-02-30", &w, &err), SH_USAGE);
    assert_int_equal(pg_when_parse(NULL, &w, &err), SH_OK);
    assert_int_equal(strlen(w.as_of), 20);
}

static void expect_period(const char *spec, const char *day, const char *name, const char *start,
                          const char *end, const char *last_day)
{
    pg_when w;
    sh_error err;
    char as_of[32];
    g_snprintf(as_of, sizeof as_of, "%sT12:00:00Z", day);
    assert_int_equal(pg_when_parse(as_of, &w, &err), SH_OK);
    pg_period p;
    assert_int_equal(pg_period_parse(spec, &w, &p, &err), SH_OK);
    assert_string_equal(p.name, name);
    assert_string_equal(p.start, start);
    assert_string_equal(p.end, end);
    assert_string_equal(p.last_day, last_day);
}

static void test_periods(void **state)
{
    (void)state;
    expect_period(NULL, "2026-12-06", "2026-12", "2026-12-01", "2026-12-31", "2026-12-06");
    expect_period("month", "2028-02-10", "2028-02", "2028-02-01", "2028-02-29", "2028-02-10");
    expect_period("quarter", "2026-11-15", "2026-Q4", "2026-10-01", "2026-12-31", "2026-11-15");
    expect_period("quarter", "2026-01-01", "2026-Q1", "2026-01-01", "2026-03-31", "2026-01-01");
    expect_period("half", "2026-06-30", "2026-H1", "2026-01-01", "2026-06-30", "2026-06-30");
    expect_period("half", "2026-07-01", "2026-H2", "2026-07-01", "2026-12-31", "2026-07-01");
    expect_period("year", "2026-12-06", "2026", "2026-01-01", "2026-12-31", "2026-12-06");
    expect_period("2026-11-01..2026-11-30", "2026-12-06", "2026-11-01..2026-11-30", "2026-11-01",
                  "2026-11-30", "2026-11-30");
    pg_when w;
    sh_error err;
    assert_int_equal(pg_when_parse("2026-12-06", &w, &err), SH_OK);
    pg_period p;
    assert_int_equal(pg_period_parse("2026-11-01..2026-12-31", &w, &p, &err), SH_OK);
    assert_string_equal(p.to, w.until); /* the period runs on past the as-of time: cut there */
    assert_string_equal(p.from, "2026-11-01T00:00:00.000Z");
    const char *bad[] = {"week",
                         "2026-12-05..2026-12-01",
                         "2026-12-01..",
                         "2026-13-01..2026-12-31",
                         "2026-12-01...2026-12-02",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(pg_period_parse(bad[i], &w, &p, &err), SH_USAGE);
        test_assert_contains(err.msg, "--period");
    }
}

static void test_working_days(void **state)
{
    (void)state;
    pg_config c;
    sh_config_section_defaults(&pg_config_section, &c);
    /* Monday 2026-11-30 to Sunday 2026-12-06: five working days after the Sunday before */
    assert_int_equal(pg_working_days_between(&c, "2026-11-29", "2026-12-06"), 5);
    assert_int_equal(pg_working_days_between(&c, "2026-12-06", "2026-11-29"), -5);
    assert_int_equal(pg_working_days_between(&c, "2026-12-04", "2026-12-07"), 1);
    assert_int_equal(pg_working_days_between(&c, "2026-12-04", "nonsense"), 0);
    g_free(c.holidays);
    c.holidays = g_strdup("2026-12-01;2026-12-02");
    assert_int_equal(pg_working_days_between(&c, "2026-11-29", "2026-12-06"), 3);
    sh_config_section_free(&pg_config_section, &c);
    assert_int_equal(pg_monday(pg_julian("2026-12-06")), pg_julian("2026-11-30"));
    assert_int_equal(pg_monday(pg_julian("2026-11-30")), pg_julian("2026-11-30"));
    char day[11];
    pg_julian_day(pg_julian("2028-02-29") + 1, day);
    assert_string_equal(day, "2028-03-01");
    assert_int_equal(pg_julian("2026-12-06T10:00:00Z"), pg_julian("2026-12-06"));
    assert_int_equal(pg_julian("2026-12"), 0);
}

/* ---- counts on a ledger written row by row ---- */

#define O1 "93.000.036.001.015"
#define O2 "93.000.036.001.016"

static void exec(sh_ledger *l, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(sh_ledger_db(l), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* A dossier of types 2 and 3 (pages 2 + 1) at time t, each document validated pass. */
static void dossier(sh_ledger *l, int id, const char *org, const char *cccd, const char *t)
{
    char *sql = g_strdup_printf(
        "INSERT INTO dossiers VALUES (%d, '%s', '%s', 'Name %d', '%s/%s_X', '%s', NULL);"
        "INSERT INTO documents (dossier_id, path, type_stt, sha256, pages, created_at) VALUES"
        " (%d, '%s/%s_X/02.pdf', 2, 'd%d-2', 2, '%s'), (%d, '%s/%s_X/03.pdf', 3, 'd%d-3', 1, '%s');"
        "INSERT INTO validations (path, sha256, verdict, findings, validated_at) SELECT path,"
        " sha256, 'pass', '[]', created_at FROM documents WHERE dossier_id = %d;",
        id, org, cccd, id, org, cccd, t, id, org, cccd, id, t, id, org, cccd, id, t, id);
    exec(l, sql);
    g_free(sql);
}

static void sign_dossier(sh_ledger *l, int id, const char *t)
{
    char *sql = g_strdup_printf(
        "INSERT INTO signatures (input_path, input_sha256, output_path, output_sha256,"
        " cert_sha256, signed_at) SELECT path, sha256, path || 's', sha256 || 's', 'c', '%s'"
        " FROM documents WHERE dossier_id = %d",
        t, id);
    exec(l, sql);
    g_free(sql);
}

static void pack(sh_ledger *l, const char *pkg, const char *org, int id, const char *t,
                 const char *verdict, const char *receipt_t)
{
    char *sql = g_strdup_printf(
        "INSERT INTO packages VALUES ('%s', '%s', 1, 'b', '[]', '%s', NULL);"
        "INSERT INTO package_documents SELECT '%s', 1, ds.folder, d.path || 's', d.sha256 || 's'"
        " FROM documents d JOIN dossiers ds ON ds.id = d.dossier_id WHERE ds.id = %d;",
        pkg, org, t, pkg, id);
    exec(l, sql);
    g_free(sql);
    if (!verdict)
        return;
    sql = g_strdup_printf("INSERT INTO receipts VALUES ('%s', '%s', '[]', '%s', 'r',"
                          " '.sohoa/receipts/%s.json', 'h', '%s', NULL)",
                          pkg, verdict, receipt_t, pkg, receipt_t);
    exec(l, sql);
    g_free(sql);
}

static sh_ledger *sample_ledger(const char *dir)
{
    char *path = g_build_filename(dir, "ledger.db", NULL);
    sh_ledger *l = NULL;
    sh_error err;
    assert_int_equal(sh_ledger_open(path, true, &l, &err), SH_OK);
    g_free(path);
    /* 1: accepted after a rejected package and its correction; 2: rejected only; 3: signed,
     * then its 03 failed validation again (a newer verdict): scanned only; 4: unlisted, scanned;
     * 5: listed, nothing; 6: listed, paper received */
    dossier(l, 1, O1, "001085000001", "2026-11-02T08:00:00.000Z");
    dossier(l, 2, O1, "001085000002", "2026-11-03T08:00:00.000Z");
    dossier(l, 3, O2, "001085000003", "2026-12-02T08:00:00.000Z");
    dossier(l, 4, O2, "001085000004", "2026-12-03T08:00:00.000Z");
    sign_dossier(l, 1, "2026-11-04T08:00:00.000Z");
    sign_dossier(l, 2, "2026-11-04T08:00:00.000Z");
    sign_dossier(l, 3, "2026-12-02T09:00:00.000Z");
    exec(l, "INSERT INTO validations (path, sha256, verdict, findings, validated_at) SELECT path,"
            " sha256, 'fail', '[]', '2026-12-02T10:00:00.000Z' FROM documents WHERE"
            " dossier_id = 3 AND type_stt = 3");
    pack(l, "P1", O1, 1, "2026-11-05T08:00:00.000Z", "rejected", "2026-11-06T08:00:00.000Z");
    pack(l, "P2", O1, 1, "2026-11-20T08:00:00.000Z", "accepted", "2026-12-01T08:00:00.000Z");
    pack(l, "P3", O1, 2, "2026-11-05T09:00:00.000Z", "rejected", "2026-11-06T09:00:00.000Z");
    exec(l, "INSERT INTO imports VALUES (1, 'inventory', 'i.csv', 'abc', 5,"
            " '2026-11-01T00:00:00.000Z', NULL);"
            "INSERT INTO inventory (org_code, member_key, person_name, subject_group, import_id,"
            " first_import_id) VALUES ('" O1 "', '001085000001', 'N', 1, 1, 1),"
            " ('" O1 "', '001085000002', 'N', 2, 1, 1), ('" O2 "', '001085000003', 'N', 3, 1, 1),"
            " ('" O2 "', '001085000005', 'N', 4, 1, 1), ('" O2 "', '001085000006', 'N', 4, 1, 1);"
            "INSERT INTO handovers (org_code, member_key, direction, at, station, operator)"
            " VALUES ('" O2 "', '001085000006', 'receive', '2026-12-04T08:00:00.000Z', 'S', 'O');"
            "INSERT INTO imports VALUES (2, 'plan', 'p.csv', 'def', 1,"
            " '2026-11-01T00:00:00.000Z', NULL);"
            "INSERT INTO plan VALUES ('93.000.036', 0, 'complete', '2026-11-01', '2026-12-30', 2)");
    return l;
}

static const int REQUIRED[] = {2, 3};

static pg_report *compute(sh_ledger *l, const pg_config *c, const char *as_of, int min_cell)
{
    pg_report_options o = {.as_of = as_of,
                           .period = "month",
                           .min_cell = min_cell,
                           .config = c,
                           .required_types = REQUIRED,
                           .n_required_types = 2};
    sh_actor actor = {"S-01", "Tester"};
    pg_report *r = NULL;
    sh_error err;
    assert_int_equal(pg_report_compute(l, &actor, &o, &r, &err), SH_OK);
    return r;
}

static const pg_org_row *find(const pg_report *r, const char *org)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].org, org) == 0)
            return &r->rows[i];
    fail_msg("no row %s", org);
    return NULL;
}

static void test_counts(void **state)
{
    sh_ledger *l = sample_ledger(*state);
    pg_config c;
    sh_config_section_defaults(&pg_config_section, &c);
    pg_report *r = compute(l, &c, "2026-12-06T12:00:00Z", 0);
    assert_int_equal(r->n_rows, 7); /* the whole, 93 ... 93.000.036.001, O1, O2 */
    assert_string_equal(r->rows[0].org, "");
    assert_string_equal(r->rows[5].org, O1);
    const pg_org_row *a = find(r, O1), *b = find(r, O2), *t = &r->rows[0];
    const uint64_t want_a[PG_N_STAGES] = {2, 2, 2, 2, 2, 2, 2, 1, 0};
    const uint64_t want_b[PG_N_STAGES] = {3, 3, 2, 1, 0, 0, 0, 0, 0}; /* 4 checked */
    assert_memory_equal(a->stage, want_a, sizeof want_a);
    assert_memory_equal(b->stage, want_b, sizeof want_b);
    assert_int_equal(b->unlisted, 1);
    assert_int_equal(t->stage[PG_SCANNED], 4);
    assert_int_equal(a->rejected.receipts, 2);
    assert_int_equal(b->rejected.validation, 1);
    assert_int_equal(a->rejected_dossiers + b->rejected_dossiers, 3);
    assert_int_equal(a->done, 1);
    assert_int_equal(b->not_started, 1); /* 005: nothing; 006 has its paper */
    assert_int_equal(b->in_progress, 3);
    assert_int_equal(a->documents, 4);
    assert_int_equal(a->pages, 6);
    assert_int_equal(a->by_group[0][1], 1);
    /* December: dossier 1 accepted (receipt of 1 Dec), 3 and 4 scanned, 006's paper */
    assert_int_equal(t->in_period[PG_ACCEPTED], 1);
    assert_int_equal(t->in_period[PG_SCANNED], 2);
    assert_int_equal(t->in_period[PG_PAPER_RECEIVED], 3);
    /* 2 scanned over the four working days of 1-6 December 2026 (Tuesday to Friday) */
    assert_true(t->per_day > 0.49 && t->per_day < 0.51);
    /* the plan of 93.000.036 for both: 2 and 3 listed, 36 of 60 days gone */
    assert_string_equal(a->deadline, "2026-12-30");
    assert_int_equal(a->target, 1);
    assert_int_equal(b->target, 2);
    assert_int_equal(t->target, 3);
    assert_int_equal(a->timeliness, PG_ON_TIME);
    assert_true(r->n_weeks > 5);
    assert_string_equal(r->weeks[r->n_weeks - 1].week, "2026-11-30");
    assert_int_equal(r->weeks[r->n_weeks - 1].scanned, 4);
    assert_int_equal(r->weeks[r->n_weeks - 1].accepted, 1);
    assert_string_equal(r->inventory_version, "abc");
    pg_report_free(r);

    /* before the correction's receipt: 1 is packed again, waiting for it (not delivered) */
    r = compute(l, &c, "2026-11-30", 0);
    assert_int_equal(find(r, O1)->stage[PG_PACKED], 2);
    assert_int_equal(find(r, O1)->stage[PG_DELIVERED], 1);
    assert_int_equal(find(r, O1)->stage[PG_ACCEPTED], 0);
    pg_report_free(r);
    /* due soon near the deadline, overdue after it */
    r = compute(l, &c, "2026-12-28", 0);
    assert_int_equal(find(r, O1)->timeliness, PG_DUE_SOON);
    pg_report_free(r);
    r = compute(l, &c, "2027-01-02", 0);
    assert_int_equal(find(r, O1)->timeliness, PG_OVERDUE);
    assert_int_equal(find(r, O1)->target, 2);
    pg_report_free(r);

    /* min_cell 3 after the roll-up: O1's 2 and O2's 2 scanned hidden, the sum of 4 shown */
    r = compute(l, &c, "2026-12-06", 3);
    assert_int_equal(find(r, O1)->stage[PG_SCANNED], PG_SUPPRESSED);
    assert_int_equal(find(r, O2)->stage[PG_SCANNED], PG_SUPPRESSED);
    assert_int_equal(r->rows[0].stage[PG_SCANNED], 4);
    assert_int_equal(find(r, O1)->stage[PG_PAPER_RETURNED], 0);
    pg_report_free(r);

    pg_stage s;
    sh_error err;
    pg_report_options o = {
        .as_of = "2026-12-06", .required_types = REQUIRED, .n_required_types = 2};
    assert_int_equal(pg_dossier_stage(l, &o, O1, "001085000001", &s, &err), SH_OK);
    assert_int_equal(s, PG_ACCEPTED);
    assert_int_equal(pg_dossier_stage(l, &o, O2, "001085000003", &s, &err), SH_OK);
    assert_int_equal(s, PG_SCANNED);
    assert_int_equal(pg_dossier_stage(l, &o, O2, "001085000006", &s, &err), SH_OK);
    assert_int_equal(s, PG_PAPER_RECEIVED);
    assert_int_equal(pg_dossier_stage(l, &o, O2, "001085000005", &s, &err), SH_OK);
    assert_int_equal(s, PG_INVENTORIED);
    assert_int_equal(pg_dossier_stage(l, &o, O2, "001085000009", &s, &err), SH_INPUT);

    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(sh_ledger_db(l),
                                        "SELECT count(*), max(details) FROM audit WHERE action ="
                                        " 'report.read'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 5);
    assert_null(strstr((const char *)sqlite3_column_text(q, 1), "001085"));
    sqlite3_finalize(q);
    sh_config_section_free(&pg_config_section, &c);
    sh_ledger_close(l);
}

/* A re-import of the inventory (each member's row now names the new import) does not move
 * when the members were first listed: the in-period counts keep them in their month. */
static void test_reimport_keeps_inventoried(void **state)
{
    sh_ledger *l = sample_ledger(*state);
    exec(l, "INSERT INTO imports VALUES (3, 'inventory', 'i2.csv', 'xyz', 5,"
            " '2026-12-05T00:00:00.000Z', NULL);"
            "UPDATE inventory SET import_id = 3");
    pg_config c;
    sh_config_section_defaults(&pg_config_section, &c);
    pg_report *r = compute(l, &c, "2026-11-30", 0); /* November: the five listed then */
    assert_int_equal(r->rows[0].in_period[PG_INVENTORIED], 5);
    pg_report_free(r);
    r = compute(l, &c, "2026-12-06", 0); /* December: nobody listed anew */
    assert_int_equal(r->rows[0].in_period[PG_INVENTORIED], 0);
    assert_int_equal(r->rows[0].stage[PG_INVENTORIED], 5);
    pg_report_free(r);
    sh_config_section_free(&pg_config_section, &c);
    sh_ledger_close(l);
}

/* Validation rejections are file versions: the same bytes failed twice count once, a signed
 * copy's failure not at all, a new version of the file failing again once more. */
static void test_validation_rejections(void **state)
{
    sh_ledger *l = sample_ledger(*state);
    pg_config c;
    sh_config_section_defaults(&pg_config_section, &c);
    const char *steps[][3] = {
        {"03.pdf", "d3-3", "1"}, {"03_signed.pdf", "d3-3s", "1"}, {"03.pdf", "d3-3b", "2"}};
    for (size_t i = 0; i < 3; i++) {
        char *sql = g_strdup_printf("INSERT INTO validations (path, sha256, verdict, findings,"
                                    " validated_at) VALUES ('" O2 "/001085000003_X/%s', '%s',"
                                    " 'fail', '[]', '2026-12-03T10:00:00.000Z')",
                                    steps[i][0], steps[i][1]);
        exec(l, sql);
        g_free(sql);
        pg_report *r = compute(l, &c, "2026-12-06T12:00:00Z", 0);
        assert_int_equal(find(r, O2)->rejected.validation, atoi(steps[i][2]));
        assert_int_equal(find(r, O2)->rejected_dossiers, 1);
        pg_report_free(r);
    }
    sh_config_section_free(&pg_config_section, &c);
    sh_ledger_close(l);
}

/* Each row against the plan line of its own code: O1 has one of its own, O2 and the prefixes
 * take the province's ("93"), the whole (two provinces) the earliest below it; a priority-1
 * line judged on its own. */
static void expect_plan(const pg_org_row *r, const char *deadline, uint64_t target, pg_timeliness t)
{
    assert_string_equal(r->deadline, deadline);
    assert_int_equal(r->target, target);
    assert_int_equal(r->timeliness, t);
}

static void test_plan_rows(void **state)
{
    sh_ledger *l = sample_ledger(*state);
    exec(l, "DELETE FROM plan;"
            "INSERT INTO inventory (org_code, member_key, person_name, subject_group, import_id,"
            " first_import_id) VALUES ('94.001.001.001.001', '001085000007', 'N', 1, 1, 1);"
            "INSERT INTO plan VALUES ('93', 0, 'complete', '2026-11-01', '2027-01-31', 2),"
            " ('" O1 "', 0, 'complete', '2026-11-01', '2026-12-10', 2),"
            " ('94', 0, 'complete', '2026-11-01', '2026-12-20', 2),"
            " ('93', 0, 'priority1', '2026-11-01', '2026-12-05', 2),"
            " ('93.000.036.001', 2, 'complete', '2026-11-01', '2026-11-02', 2)");
    pg_config c;
    sh_config_section_defaults(&pg_config_section, &c);
    pg_report *r = compute(l, &c, "2026-12-06T12:00:00Z", 0);
    /* O1: 2 listed, 1 accepted; its own line, 36 of 40 days gone, 4 working days left */
    expect_plan(find(r, O1), "2026-12-10", 2, PG_DUE_SOON);
    /* O2 (3 listed) and every prefix of 93 (5 listed): 93's line, 36 of 92 days; the line of
     * one subject group (93.000.036.001, group 2) is not a row's plan */
    expect_plan(find(r, O2), "2027-01-31", 1, PG_ON_TIME);
    const char *prefixes[] = {"93", "93.000", "93.000.036", "93.000.036.001"};
    for (size_t i = 0; i < 4; i++)
        expect_plan(find(r, prefixes[i]), "2027-01-31", 2, PG_ON_TIME);
    /* 94: 1 listed, 36 of 50 days; the whole has no line: the earliest below, targets summed */
    expect_plan(find(r, "94"), "2026-12-20", 1, PG_ON_TIME);
    expect_plan(&r->rows[0], "2026-12-20", 3, PG_ON_TIME);
    /* priority-1 by 5 December under 93: not every dossier has it, overdue; none for 94 */
    assert_string_equal(find(r, O2)->priority1_deadline, "2026-12-05");
    assert_int_equal(find(r, O2)->priority1_target, 3);
    assert_int_equal(find(r, O2)->priority1_timeliness, PG_OVERDUE);
    assert_int_equal(find(r, "93")->priority1_timeliness, PG_OVERDUE);
    assert_string_equal(find(r, "94")->priority1_deadline, "");
    assert_int_equal(find(r, "94")->priority1_timeliness, PG_NO_PLAN);
    assert_string_equal(r->rows[0].priority1_deadline, "2026-12-05");
    assert_int_equal(r->rows[0].priority1_target, 5);
    pg_report_free(r);
    /* before the priority-1 deadline: judged against it, not against the whole's */
    r = compute(l, &c, "2026-11-20", 0);
    assert_int_equal(find(r, O2)->priority1_timeliness, PG_ON_TIME);
    assert_int_equal(find(r, O1)->timeliness, PG_ON_TIME);
    pg_report_free(r);
    /* met late: dossier 2's correction accepted on 3 December, after O1's priority-1 deadline
     * of the 2nd; met by the deadline of the 4th */
    pack(l, "P4", O1, 2, "2026-12-02T08:00:00.000Z", "accepted", "2026-12-03T08:00:00.000Z");
    exec(l, "INSERT INTO plan VALUES ('" O1 "', 0, 'priority1', '2026-11-01', '2026-12-02', 2)");
    r = compute(l, &c, "2026-12-06T12:00:00Z", 0);
    assert_int_equal(find(r, O1)->priority1_complete, 2);
    assert_int_equal(find(r, O1)->priority1_timeliness, PG_OVERDUE);
    pg_report_free(r);
    exec(l, "UPDATE plan SET deadline = '2026-12-04' WHERE prefix = '" O1 "'"
            " AND measure = 'priority1'");
    r = compute(l, &c, "2026-12-06T12:00:00Z", 0);
    assert_int_equal(find(r, O1)->priority1_timeliness, PG_ON_TIME);
    pg_report_free(r);
    sh_config_section_free(&pg_config_section, &c);
    sh_ledger_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_of),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_working_days),
        cmocka_unit_test_setup_teardown(test_counts, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_reimport_keeps_inventoried, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_validation_rejections, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_plan_rows, test_setup_tmpdir, test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
