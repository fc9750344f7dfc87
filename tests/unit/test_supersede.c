/* Rescans and corrections in the ingest module, below the CLI: the recovery of a rescan a killed
 * run left half done (in_supersede_recover) undoes only what no live process holds and never
 * deletes or overwrites a file; the expected page count is corrected with an audit entry, or
 * refused saying why (in_set_expected_pages). The whole rescan, with kills at each step, is
 * tests/cli/test_ingest_reruns.sh. */
#include "testutil.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "ingest/ingest.h"

#define DOC "93.000.036.001.015/001085012345_NguyenVanAn/02.Ly lich dang vien.pdf"
#define TEMP "93.000.036.001.015/001085012345_NguyenVanAn/.02.Ly lich dang vien.pdf.tmp-AbC123"
#define KEPT ".sohoa/superseded/20261206-010203-aaaaaaaa/" DOC
#define OLD_SHA "aaaaaaaa00000000000000000000000000000000000000000000000000000000"
#define NEW_SHA "bbbbbbbb00000000000000000000000000000000000000000000000000000000"

typedef struct {
    char *tmp;  /* the scratch folder */
    char *root; /* the workspace in it (a realpath, as sh_workspace_open gives) */
    sh_ledger *ledger;
    sh_actor actor;
} fx;

static int setup(void **state)
{
    fx *f = g_new0(fx, 1);
    f->tmp = test_tmpdir("supersede");
    char *ws = g_build_filename(f->tmp, "ws", NULL);
    sh_error err;
    sh_error_clear(&err);
    if (sh_workspace_create(ws, "T-01", "Nguyễn Văn A", &err) != SH_OK)
        fail_msg("workspace: %s", err.msg);
    f->root = realpath(ws, NULL);
    g_free(ws);
    char *db = g_build_filename(f->root, ".sohoa", "ledger.db", NULL);
    if (sh_ledger_open(db, false, &f->ledger, &err) != SH_OK)
        fail_msg("ledger: %s", err.msg);
    g_free(db);
    f->actor.station = "T-01";
    f->actor.operator_name = "Nguyễn Văn A";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sh_ledger_close(f->ledger);
    test_rmtree(f->tmp);
    g_free(f->tmp);
    free(f->root);
    g_free(f);
    return 0;
}

static void exec_sql(fx *f, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(sh_ledger_db(f->ledger), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static int64_t count(fx *f, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(sh_ledger_db(f->ledger), sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

static char *at(fx *f, const char *rel) { return g_build_filename(f->root, rel, NULL); }

static char *content(fx *f, const char *rel)
{
    char *path = at(f, rel);
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        text = NULL;
    g_free(path);
    return text;
}

/* The state a rescan killed after step 3 leaves: the intent recorded (done = 0, the new file's
 * temp path), the old file moved under .sohoa/superseded, the new file sealed under its temp
 * name. */
static void half_done_rescan(fx *f)
{
    g_free(test_put_pdf(f->root, KEPT));
    g_free(test_mkdirs(f->root, "93.000.036.001.015/001085012345_NguyenVanAn"));
    char *temp = at(f, TEMP);
    test_write(temp, "%PDF-1.4 new\n", 13);
    g_free(temp);
    exec_sql(f, "INSERT INTO supersessions (id, path, old_sha256, new_sha256, reason, "
                "superseded_at, temp_path) VALUES (7, '" DOC "', '" OLD_SHA "', '" NEW_SHA
                "', 'thiếu trang', '2026-12-06T01:02:03Z', '" TEMP "');"
                "INSERT INTO superseded_files VALUES (7, '" DOC "', '" OLD_SHA "', '" KEPT "');");
}

static void recovery_leaves_a_live_rescan_alone_then_undoes_it(void **state)
{
    fx *f = *state;
    half_done_rescan(f);
    /* The writer is alive: it holds the lock on its temp file. */
    char *temp = at(f, TEMP);
    int fd = open(temp, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    sh_error err;
    sh_error_clear(&err);
    int undone = -1;
    assert_int_equal(in_supersede_recover(f->ledger, f->root, &undone, &err), SH_OK);
    assert_int_equal(undone, 0);
    char *kept = content(f, KEPT), *doc = content(f, DOC);
    assert_non_null(kept);
    assert_null(doc);
    assert_int_equal(count(f, "SELECT count(*) FROM supersessions WHERE done = 0"), 1);
    /* The writer died: its lock is gone, and the rescan is undone. */
    close(fd);
    assert_int_equal(in_supersede_recover(f->ledger, f->root, &undone, &err), SH_OK);
    assert_int_equal(undone, 1);
    char *back = content(f, DOC), *still = content(f, KEPT);
    assert_non_null(back);
    assert_string_equal(back, kept); /* the very file, back in its place */
    assert_null(still);
    assert_int_equal(count(f, "SELECT count(*) FROM supersessions"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM superseded_files"), 0);
    /* Nothing took effect: nothing for the audit chain (only workspace.init is there). */
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1);
    /* Nothing left to do. */
    assert_int_equal(in_supersede_recover(f->ledger, f->root, &undone, &err), SH_OK);
    assert_int_equal(undone, 0);
    g_free(back);
    g_free(still);
    g_free(kept);
    g_free(doc);
    g_free(temp);
}

static void recovery_never_overwrites_a_file_in_the_place(void **state)
{
    fx *f = *state;
    half_done_rescan(f);
    char *temp = at(f, TEMP);
    unlink(temp); /* swept: the writer is gone */
    /* Something was put in the document's place meanwhile (by hand): it is not replaced. */
    char *doc = at(f, DOC);
    test_write(doc, "by hand", 7);
    sh_error err;
    sh_error_clear(&err);
    int undone = -1;
    assert_int_equal(in_supersede_recover(f->ledger, f->root, &undone, &err), SH_OK);
    assert_int_equal(undone, 0);
    char *there = content(f, DOC), *kept = content(f, KEPT);
    assert_string_equal(there, "by hand");
    assert_non_null(kept);
    assert_int_equal(count(f, "SELECT count(*) FROM supersessions WHERE done = 0"), 1);
    /* Once the place is free again, the old file goes back. */
    unlink(doc);
    assert_int_equal(in_supersede_recover(f->ledger, f->root, &undone, &err), SH_OK);
    assert_int_equal(undone, 1);
    char *back = content(f, DOC);
    assert_string_equal(back, kept);
    g_free(back);
    g_free(there);
    g_free(kept);
    g_free(doc);
    g_free(temp);
}

static void a_rescan_in_effect_is_not_touched(void **state)
{
    fx *f = *state;
    half_done_rescan(f);
    exec_sql(f, "UPDATE supersessions SET done = 1, temp_path = NULL");
    char *temp = at(f, TEMP);
    unlink(temp);
    sh_error err;
    sh_error_clear(&err);
    int undone = -1;
    assert_int_equal(in_supersede_recover(f->ledger, f->root, &undone, &err), SH_OK);
    assert_int_equal(undone, 0);
    char *kept = content(f, KEPT), *doc = content(f, DOC);
    assert_non_null(kept);
    assert_null(doc);
    g_free(kept);
    g_free(doc);
    g_free(temp);
}

/* ---- the expected page count ---- */

static void expected_pages_corrected_with_an_audit_entry(void **state)
{
    fx *f = *state;
    char *pdf = test_put_pdf(f->root, DOC);
    exec_sql(f, "INSERT INTO documents (path, type_stt, sha256, pages, expected_pages, "
                "created_at) VALUES ('" DOC "', 2, '" OLD_SHA "', 5, 6, '2026-12-06T01:02:03Z')");
    in_expected_change c;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(in_set_expected_pages(f->ledger, f->root, &f->actor, pdf, 5,
                                           "bản giấy có 5 trang", &c, &err),
                     SH_OK);
    assert_string_equal(c.rel_path, DOC);
    assert_int_equal(c.old_expected, 6);
    assert_int_equal(c.new_expected, 5);
    assert_int_equal(c.pages, 5);
    assert_true(c.audit_id > 0);
    in_expected_change_clear(&c);
    assert_int_equal(count(f, "SELECT expected_pages FROM documents"), 5);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(sh_ledger_db(f->ledger),
                                        "SELECT subject, details FROM audit WHERE action = "
                                        "'document.expected_pages'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), DOC);
    assert_string_equal((const char *)sqlite3_column_text(q, 1),
                        "{\"old\":6,\"new\":5,\"pages\":5,\"reason\":\"bản giấy có 5 trang\"}");
    sqlite3_finalize(q);
    /* The same value again: nothing changes, nothing is recorded. */
    assert_int_equal(
        in_set_expected_pages(f->ledger, f->root, &f->actor, pdf, 5, "again", &c, &err), SH_OK);
    assert_int_equal(c.audit_id, 0);
    in_expected_change_clear(&c);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = "
                              "'document.expected_pages'"),
                     1);
    sh_audit_verdict v;
    assert_int_equal(sh_audit_verify(f->ledger, NULL, &v, &err), SH_OK);
    assert_true(v.intact);
    g_free(pdf);
}

static void expected_pages_refusals(void **state)
{
    fx *f = *state;
    char *pdf = test_put_pdf(f->root, DOC);
    in_expected_change c;
    sh_error err;
    /* Not a document the ledger records. */
    sh_error_clear(&err);
    assert_int_equal(in_set_expected_pages(f->ledger, f->root, &f->actor, pdf, 2, "x", &c, &err),
                     SH_USAGE);
    test_assert_contains(err.msg, "the ledger has no document");
    exec_sql(f, "INSERT INTO documents (path, type_stt, sha256, pages, created_at) VALUES ('" DOC
                "', 2, '" OLD_SHA "', 5, '2026-12-06T01:02:03Z')");
    /* No reason, a blank one, one that is not UTF-8, one too long; a count out of range. */
    const char *bad[] = {NULL, "", "  \t", "\xff\xfe", NULL};
    for (int i = 0; i < 4; i++) {
        sh_error_clear(&err);
        assert_int_equal(
            in_set_expected_pages(f->ledger, f->root, &f->actor, pdf, 2, bad[i], &c, &err),
            SH_USAGE);
        test_assert_contains(err.msg, "reason");
    }
    char *long_reason = g_strnfill(4001, 'a');
    assert_int_equal(
        in_set_expected_pages(f->ledger, f->root, &f->actor, pdf, 2, long_reason, &c, &err),
        SH_USAGE);
    g_free(long_reason);
    assert_int_equal(in_set_expected_pages(f->ledger, f->root, &f->actor, pdf, 0, "x", &c, &err),
                     SH_USAGE);
    /* A file outside the workspace. */
    char *outside = g_build_filename(f->tmp, "elsewhere.pdf", NULL);
    test_write(outside, "%PDF", 4);
    sh_error_clear(&err);
    assert_int_equal(
        in_set_expected_pages(f->ledger, f->root, &f->actor, outside, 2, "x", &c, &err), SH_USAGE);
    test_assert_contains(err.msg, "not a file inside the workspace");
    /* Nothing of it was recorded. */
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM documents WHERE expected_pages IS NULL"), 1);
    g_free(outside);
    g_free(pdf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(recovery_leaves_a_live_rescan_alone_then_undoes_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(recovery_never_overwrites_a_file_in_the_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_rescan_in_effect_is_not_touched, setup, teardown),
        cmocka_unit_test_setup_teardown(expected_pages_corrected_with_an_audit_entry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(expected_pages_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
