/* The SQLite ledger: a new one is in WAL mode at the current schema version with every table;
 * reopening keeps the data (migrations run once); a ledger from a newer sohoa, a file that is
 * not SQLite, and a missing file opened without create are refused; write transactions commit
 * or roll back as a whole, and a read transaction sees one snapshot. */
#include "testutil.h"

#include "audit_fixture.h"

#include <sys/stat.h>

static const sh_actor ACTOR = {"HN-01", "Nguyễn Văn A"};

static void new_ledger_is_wal_at_current_schema_with_all_tables(void **state)
{
    sh_ledger *l = fx_ledger_new(*state, "ledger.db");
    sqlite3 *db = sh_ledger_db(l);
    char *mode = fx_text(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal");
    g_free(mode);
    assert_int_equal(fx_int(db, "PRAGMA user_version"), SH_LEDGER_SCHEMA_VERSION);
    assert_int_equal(sh_ledger_schema_version(l), SH_LEDGER_SCHEMA_VERSION);
    const char *tables[] = {"audit",      "dossiers", "documents", "validations",
                            "signatures", "bundles",  "transfers"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char *sql = g_strdup_printf(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", tables[i]);
        if (fx_int(db, sql) != 1)
            fail_msg("table %s is missing", tables[i]);
        g_free(sql);
    }
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit"), 0);
    sh_ledger_close(l);
}

static void foreign_keys_are_enforced(void **state)
{
    sh_ledger *l = fx_ledger_new(*state, "ledger.db");
    sqlite3 *db = sh_ledger_db(l);
    /* A transfer of a bundle that does not exist. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO transfers (bundle_id, state, updated_at) "
                                      "VALUES (42, 'sent', '2026-11-01T00:00:00.000Z')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM transfers"), 0);
    sh_ledger_close(l);
}

static void reopening_keeps_data_and_does_not_migrate_again(void **state)
{
    char *path = test_path(*state, "ledger.db");
    sh_ledger *l = NULL;
    sh_error err = {0};
    assert_int_equal(sh_ledger_open(path, true, &l, &err), SH_OK);
    assert_int_equal(sh_audit_record(l, &ACTOR, "audit.note", "", NULL, NULL, &err), SH_OK);
    fx_exec(sh_ledger_db(l),
            "INSERT INTO dossiers (org_code, cccd, person_name, folder, created_at) "
            "VALUES ('000.00.01.H26', '001099000001', 'Nguyễn Văn A', 'HS-001', 'now')");
    sh_ledger_close(l);
    for (int round = 0; round < 2; round++) {
        /* With and without create: an existing ledger is opened either way. */
        assert_int_equal(sh_ledger_open(path, round == 0, &l, &err), SH_OK);
        sqlite3 *db = sh_ledger_db(l);
        assert_int_equal(fx_int(db, "SELECT count(*) FROM audit"), 1);
        assert_int_equal(fx_int(db, "SELECT count(*) FROM dossiers WHERE folder = 'HS-001'"), 1);
        assert_int_equal(sh_ledger_schema_version(l), SH_LEDGER_SCHEMA_VERSION);
        sh_ledger_close(l);
    }
    g_free(path);
}

static void ledger_from_a_newer_sohoa_is_refused(void **state)
{
    char *path = test_path(*state, "ledger.db");
    sh_ledger *l = fx_ledger_new(*state, "ledger.db");
    char *sql = g_strdup_printf("PRAGMA user_version = %d", SH_LEDGER_SCHEMA_VERSION + 1);
    fx_exec(sh_ledger_db(l), sql);
    g_free(sql);
    sh_ledger_close(l);

    sh_error err = {0};
    l = (sh_ledger *)&err; /* must be reset to NULL */
    assert_int_equal(sh_ledger_open(path, true, &l, &err), SH_INPUT);
    assert_null(l);
    test_assert_contains(err.msg, "newer");
    test_assert_contains(err.msg, path);
    /* Left as it was. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(fx_int(db, "PRAGMA user_version"), SH_LEDGER_SCHEMA_VERSION + 1);
    sqlite3_close(db);
    g_free(path);
}

static void file_that_is_not_sqlite_is_refused(void **state)
{
    char *path = test_path(*state, "ledger.db");
    GString *garbage = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append(garbage, "this is a text file, not an SQLite database\n");
    test_write(path, garbage->str, garbage->len);
    sh_ledger *l = NULL;
    sh_error err = {0};
    assert_int_equal(sh_ledger_open(path, true, &l, &err), SH_INPUT);
    assert_null(l);
    test_assert_contains(err.msg, path);
    /* The file was not overwritten. */
    char *after = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &after, &len, NULL));
    assert_int_equal(len, garbage->len);
    assert_memory_equal(after, garbage->str, len);
    g_free(after);
    /* A short one too. */
    test_write(path, "hello\n", 6);
    assert_int_equal(sh_ledger_open(path, false, &l, &err), SH_INPUT);
    assert_null(l);
    g_string_free(garbage, TRUE);
    g_free(path);
}

static void missing_file_without_create_is_refused(void **state)
{
    char *path = test_path(*state, "absent.db");
    sh_ledger *l = NULL;
    sh_error err = {0};
    sh_status st = sh_ledger_open(path, false, &l, &err);
    assert_int_not_equal(st, SH_OK);
    assert_int_equal(st, SH_INPUT);
    assert_null(l);
    test_assert_contains(err.msg, path);
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0); /* not created */
    g_free(path);
}

static void rolled_back_append_leaves_no_entry(void **state)
{
    sh_ledger *l = fx_ledger_new(*state, "ledger.db");
    sqlite3 *db = sh_ledger_db(l);
    sh_error err = {0};
    int64_t id = 0;
    assert_int_equal(sh_ledger_begin(l, &err), SH_OK);
    assert_int_equal(sh_audit_append(l, &ACTOR, "audit.note", "x", NULL, &id, &err), SH_OK);
    assert_int_equal(id, 1);
    fx_exec(db, "INSERT INTO bundles (org_code, path, sha256, files, created_at) "
                "VALUES ('o', 'b1.zip', 'h', 1, 'now')");
    sh_ledger_rollback(l);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit"), 0);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM bundles"), 0);

    /* The same committed stays, with the id the rollback gave back. */
    assert_int_equal(sh_ledger_begin(l, &err), SH_OK);
    assert_int_equal(sh_audit_append(l, &ACTOR, "audit.note", "x", NULL, &id, &err), SH_OK);
    assert_int_equal(id, 1);
    assert_int_equal(sh_ledger_commit(l, &err), SH_OK);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit"), 1);
    /* A rollback with no transaction open is harmless. */
    sh_ledger_rollback(l);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit"), 1);
    sh_ledger_close(l);
}

static void read_transaction_sees_one_snapshot(void **state)
{
    char *path = test_path(*state, "ledger.db");
    sh_ledger *reader = fx_ledger_new(*state, "ledger.db");
    sh_ledger *writer = NULL;
    sh_error err = {0};
    assert_int_equal(sh_ledger_open(path, false, &writer, &err), SH_OK);
    assert_int_equal(sh_ledger_begin_read(reader, &err), SH_OK);
    assert_int_equal(fx_int(sh_ledger_db(reader), "SELECT count(*) FROM audit"), 0);
    /* WAL: the writer is not blocked by the reader. */
    assert_int_equal(sh_audit_record(writer, &ACTOR, "audit.note", "", NULL, NULL, &err), SH_OK);
    assert_int_equal(fx_int(sh_ledger_db(reader), "SELECT count(*) FROM audit"), 0);
    sh_ledger_rollback(reader);
    assert_int_equal(fx_int(sh_ledger_db(reader), "SELECT count(*) FROM audit"), 1);
    sh_ledger_close(writer);
    sh_ledger_close(reader);
    g_free(path);
}

static void close_accepts_null(void **state)
{
    (void)state;
    sh_ledger_close(NULL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, test_setup_tmpdir, test_teardown_tmpdir)
    const struct CMUnitTest tests[] = {
        T(new_ledger_is_wal_at_current_schema_with_all_tables),
        T(foreign_keys_are_enforced),
        T(reopening_keeps_data_and_does_not_migrate_again),
        T(ledger_from_a_newer_sohoa_is_refused),
        T(file_that_is_not_sqlite_is_refused),
        T(missing_file_without_create_is_refused),
        T(rolled_back_append_leaves_no_entry),
        T(read_transaction_sees_one_snapshot),
        cmocka_unit_test(close_accepts_null),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
