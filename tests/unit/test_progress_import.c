/* Inventory and plan imports (pg_inventory_import, pg_plan_import): Excel's CSV with English or
 * Vietnamese headings; bad rows refused by line with the good ones imported (SH_FINDINGS);
 * re-import updates, never duplicates, and counts added / updated / unchanged; one imports row
 * and one audit entry per import, whose details hold the file's hash and counts but no name and
 * no CCCD; a plan import replaces the plan; a file that cannot be read changes nothing. */
#include "testutil.h"

#include "audit_fixture.h"

#include "progress/progress.h"

static const sh_actor ACTOR = {"T-01", "Nguyễn Văn A"};

typedef struct {
    char *dir;
    sh_ledger *l;
    sqlite3 *db;
} fixture;

static int setup(void **state)
{
    fixture *f = g_new0(fixture, 1);
    f->dir = test_tmpdir("progress_import");
    f->l = fx_ledger_new(f->dir, "ledger.db");
    f->db = sh_ledger_db(f->l);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sh_ledger_close(f->l);
    test_rmtree(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* Write text as dir/name and import it; its status. */
static sh_status import(fixture *f, bool plan, const char *name, const char *text,
                        pg_import_result *res, sh_error *err)
{
    char *path = test_path(f->dir, name);
    test_write(path, text, strlen(text));
    sh_error_clear(err);
    sh_status st = plan ? pg_plan_import(f->l, &ACTOR, path, res, err)
                        : pg_inventory_import(f->l, &ACTOR, path, res, err);
    g_free(path);
    return st;
}

/* The refused row at line holds needle. */
static void assert_refused(const pg_import_result *r, int line, const char *needle)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].line == line) {
            test_assert_contains(r->problems[i].problem, needle);
            return;
        }
    fail_msg("line %d was not refused (%s)", line, needle);
}

#define INVENTORY_VI                                                                               \
    "\xEF\xBB\xBF"                                                                                 \
    "Mã tổ chức;Số CCCD;Họ và tên;Nhóm\r\n"                                            \
    "93.000.036.001.015;012345678901;\"Nguyễn Văn A; con\";1\r\n"                               \
    "93.000.036.001.015;093185000123;Trần Thị Bích;2\r\n"                                     \
    "93.000.036.002.003;001075004567;Phạm Thị Dung;4\r\n"

static void inventory_imported_and_reimported(void **state)
{
    fixture *f = *state;
    pg_import_result r = {0};
    sh_error err;
    assert_int_equal(import(f, false, "ds.csv", INVENTORY_VI, &r, &err), SH_OK);
    assert_int_equal(r.rows, 3);
    assert_int_equal(r.added, 3);
    assert_int_equal(r.n_problems, 0);
    assert_true(r.import_id > 0 && r.audit_id > 0);
    int64_t first = r.import_id;
    char *name = fx_text(f->db, "SELECT person_name FROM inventory WHERE member_key = "
                                "'012345678901'");
    assert_string_equal(name, "Nguyễn Văn A; con");
    g_free(name);
    pg_import_result_clear(&r);

    /* Again, with one group changed and one member more, in English headings and commas. */
    assert_int_equal(import(f, false, "ds2.csv",
                            "org,cccd,name,group\n"
                            "93.000.036.001.015,012345678901,\"Nguyễn Văn A; con\",1\n"
                            "93.000.036.001.015,093185000123,Trần Thị Bích,3\n"
                            "93.000.036.001.015,093090001234,Lê Văn Cường,4\n",
                            &r, &err),
                     SH_OK);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.unchanged, 1);
    assert_int_equal(fx_int(f->db, "SELECT count(*) FROM inventory"), 4);
    assert_int_equal(fx_int(f->db, "SELECT subject_group FROM inventory WHERE member_key = "
                                   "'093185000123'"),
                     3);
    /* The unchanged row keeps the import that wrote it; the changed one names the new. */
    char sql[200];
    g_snprintf(sql, sizeof sql,
               "SELECT count(*) FROM inventory WHERE import_id = %lld AND member_key = "
               "'012345678901'",
               (long long)first);
    assert_int_equal(fx_int(f->db, sql), 1);
    /* Every member of the first file keeps it as the one that first listed it (the report's
     * "inventoried" time), changed or not; the new member has the second. */
    g_snprintf(sql, sizeof sql, "SELECT count(*) FROM inventory WHERE first_import_id = %lld",
               (long long)first);
    assert_int_equal(fx_int(f->db, sql), 3);
    g_snprintf(sql, sizeof sql,
               "SELECT count(*) FROM inventory WHERE first_import_id = %lld AND member_key ="
               " '093090001234'",
               (long long)r.import_id);
    assert_int_equal(fx_int(f->db, sql), 1);
    assert_int_equal(fx_int(f->db, "SELECT count(*) FROM imports WHERE kind = 'inventory'"), 2);
    char *sha = fx_text(f->db, "SELECT sha256 FROM imports ORDER BY id DESC LIMIT 1");
    assert_string_equal(sha, r.sha256);
    g_free(sha);
    pg_import_result_clear(&r);
}

static void bad_rows_refused_by_line(void **state)
{
    fixture *f = *state;
    pg_import_result r = {0};
    sh_error err;
    sh_status st = import(f, false, "bad.csv",
                          "org,cccd,name,group\n"
                          "93.000.036.001.015,012345678901,Nguyễn Văn A,1\n" /* 2: good */
                          "93.36.1,012345678902,Trần Văn B,2\n"              /* 3 */
                          "93.000.036.001.015,12345678901,Lê Thị C,2\n"      /* 4: Excel */
                          "93.000.036.001.015,999345678901,Lê Thị D,2\n"     /* 5: province */
                          "93.000.036.001.015,001075004567,Phạm E,5\n"       /* 6 */
                          "\n"
                          "93.000.036.001.015,012345678901,Nguyễn Văn A,1\n" /* 8: twice */
                          "93.000.036.002.003,012345678901,Nguyễn Văn A,1\n" /* 9: 2 orgs */
                          "93.000.036.001.015,001075004568,012345678901,1\n" /* 10 */
                          "93.000.036.001.015,001075004569,Đỗ Văn F,1,x\n"   /* 11 */
                          "93.000.036.001.015,001075004570,Đỗ Văn G,2\n",    /* 12: good */
                          &r, &err);
    assert_int_equal(st, SH_FINDINGS);
    assert_int_equal(r.rows, 10);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.n_problems, 8);
    assert_refused(&r, 3, "is not an organisation code");
    assert_refused(&r, 4, "lost its leading 0");
    assert_refused(&r, 5, "not a provincial code");
    assert_refused(&r, 6, "is not a subject group");
    assert_refused(&r, 8, "already on line 2");
    assert_refused(&r, 9, "already on line 2, under 93.000.036.001.015");
    assert_refused(&r, 10, "is not a full name");
    assert_refused(&r, 11, "must be in quotes");
    sh_audit_filter filter = {.action = "inventory.import"};
    fx_entries e = fx_each(f->l, &filter);
    assert_int_equal(e.n, 1);
    test_assert_contains(e.items[0].details, "\"rows\":10,\"added\":2,\"updated\":0,"
                                             "\"unchanged\":0,\"refused\":8}");
    fx_entries_free(&e);
    pg_import_result_clear(&r);
    assert_int_equal(fx_int(f->db, "SELECT count(*) FROM inventory"), 2);
    assert_int_equal(fx_int(f->db, "SELECT rows FROM imports"), 2);
}

/* The audit entry of an import: counts and the hash, never a member's name or CCCD. */
static void audit_holds_no_person(void **state)
{
    fixture *f = *state;
    pg_import_result r = {0};
    sh_error err;
    assert_int_equal(import(f, false, "ds.csv", INVENTORY_VI, &r, &err), SH_OK);
    sh_audit_filter filter = {.action = "inventory.import"};
    fx_entries e = fx_each(f->l, &filter);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.items[0].id, r.audit_id);
    const char *d = e.items[0].details;
    test_assert_contains(d, r.sha256);
    test_assert_contains(d, "\"added\":3");
    const char *never[] = {"012345678901", "093185000123", "001075004567", "Nguyễn",
                           "Trần",         "Phạm",         "Bích"};
    for (size_t i = 0; i < sizeof never / sizeof *never; i++) {
        const char *subject = e.items[0].subject ? e.items[0].subject : "";
        if (strstr(d, never[i]) || strstr(subject, never[i]))
            fail_msg("the audit entry holds \"%s\": %s", never[i], d);
    }
    char sql[120];
    g_snprintf(sql, sizeof sql, "SELECT audit_id FROM imports WHERE id = %lld",
               (long long)r.import_id);
    assert_int_equal(fx_int(f->db, sql), r.audit_id);
    fx_entries_free(&e);
    pg_import_result_clear(&r);
}

static void unreadable_changes_nothing(void **state)
{
    fixture *f = *state;
    pg_import_result r = {0};
    sh_error err;
    assert_int_equal(import(f, false, "x.csv", "org,cccd,colour\n1,2,3\n", &r, &err), SH_INPUT);
    test_assert_contains(err.msg, "unknown column \"colour\"");
    pg_import_result_clear(&r);
    assert_int_equal(import(f, false, "y.csv", "org,cccd,name,group\n", &r, &err), SH_INPUT);
    test_assert_contains(err.msg, "lists no member");
    pg_import_result_clear(&r);
    char *missing = test_path(f->dir, "missing.csv");
    assert_int_equal(pg_inventory_import(f->l, &ACTOR, missing, &r, &err), SH_INPUT);
    test_assert_contains(err.msg, "missing.csv");
    g_free(missing);
    pg_import_result_clear(&r);
    assert_int_equal(fx_int(f->db, "SELECT count(*) FROM imports"), 0);
    assert_int_equal(fx_int(f->db, "SELECT count(*) FROM audit WHERE action LIKE '%.import'"), 0);
}

static void plan_replaces(void **state)
{
    fixture *f = *state;
    pg_import_result r = {0};
    sh_error err;
    assert_int_equal(import(f, true, "plan.csv",
                            "Mã tổ chức;Nhóm;Mức hoàn thành;Ngày bắt đầu;Hạn hoàn thành\n"
                            "93;;;2026-01-05;2027-06-30\n"
                            "93.000.036;1;Ưu tiên 1;2026-01-05;2026-12-31\n"
                            "93.000.036.001.015;;toàn bộ;2026-02-01;2027-03-31\n",
                            &r, &err),
                     SH_OK);
    assert_int_equal(r.planned, 3);
    assert_int_equal(fx_int(f->db, "SELECT count(*) FROM plan"), 3);
    assert_int_equal(fx_int(f->db, "SELECT subject_group FROM plan WHERE prefix = '93'"), 0);
    char *m = fx_text(f->db, "SELECT measure FROM plan WHERE prefix = '93.000.036'");
    assert_string_equal(m, "priority1");
    g_free(m);
    pg_import_result_clear(&r);

    /* The next plan replaces it; bad rows are refused by line, an empty start is today. */
    sh_status st = import(f, true, "plan2.csv",
                          "org,group,measure,start,deadline\n"
                          "93.000,2,complete,,2099-12-31\n"
                          "93.000,,complete,2026-31-12,2027-01-01\n"
                          "93.000,,complete,2027-01-01,2026-01-01\n"
                          "93.0,,,,2099-01-01\n"
                          "93.000,2,,2026-01-01,2099-01-01\n"
                          "93.000,,everything,2026-01-01,2099-01-01\n",
                          &r, &err);
    assert_int_equal(st, SH_FINDINGS);
    assert_int_equal(r.planned, 1);
    assert_refused(&r, 3, "not a date YYYY-MM-DD");
    assert_refused(&r, 4, "is not after the start");
    assert_refused(&r, 5, "prefix");
    assert_refused(&r, 6, "already sets a deadline");
    assert_refused(&r, 7, "neither complete");
    assert_int_equal(fx_int(f->db, "SELECT count(*) FROM plan"), 1);
    char *start = fx_text(f->db, "SELECT start_date FROM plan");
    GDateTime *now = g_date_time_new_now_local();
    char *today = g_date_time_format(now, "%Y-%m-%d");
    assert_string_equal(start, today);
    g_free(today);
    g_date_time_unref(now);
    g_free(start);
    sh_audit_filter filter = {.action = "plan.import"};
    fx_entries e = fx_each(f->l, &filter);
    assert_int_equal(e.n, 2);
    test_assert_contains(e.items[1].details, "\"planned\":1");
    fx_entries_free(&e);
    pg_import_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(inventory_imported_and_reimported, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_rows_refused_by_line, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_holds_no_person, setup, teardown),
        cmocka_unit_test_setup_teardown(unreadable_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(plan_replaces, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
