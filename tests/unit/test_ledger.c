/* The SQLite ledger: a new one is in WAL mode at the current schema version with every table;
 * reopening keeps the data (migrations run once); a ledger from a newer sohoa, a file that is
 * not SQLite, and a missing file opened without create are refused; write transactions commit
 * or roll back as a whole, and a read transaction sees one snapshot. Only create makes a ledger:
 * an empty (0-byte) one or one without a schema is refused by both opens, never re-created; a
 * read-only open changes no byte and reads a killed writer's WAL; failures are worded for the
 * operator (no SQL text; a full disk says so). */
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
    const char *tables[] = {"audit",      "dossiers", "documents",       "validations",
                            "signatures", "packages", "package_volumes", "package_documents"};
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
    /* A volume of a package that does not exist. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO package_volumes (package_id, volume, path, "
                                      "sha256, bytes, dossiers, documents) "
                                      "VALUES ('nope', 1, 'p', 'h', 1, 1, 1)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM package_volumes"), 0);
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
    fx_exec(db, "INSERT INTO packages (id, org_code, volumes, basis, corrects, created_at) "
                "VALUES ('p', 'o', 1, 'b', '[]', 'now')");
    sh_ledger_rollback(l);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit"), 0);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM packages"), 0);

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

/* ---- never silently replaced (issue 13) ---- */

static void assert_untouched_empty_file(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    char *wal = g_strconcat(path, "-wal", NULL);
    assert_int_not_equal(stat(wal, &sb), 0);
    g_free(wal);
}

static void empty_ledger_is_refused_not_recreated(void **state)
{
    char *path = test_path(*state, "ledger.db");
    test_write(path, "", 0); /* a ledger truncated to 0 bytes */
    sh_ledger *l = NULL;
    sh_error err = {0};
    assert_int_equal(sh_ledger_open(path, false, &l, &err), SH_INPUT);
    assert_null(l);
    test_assert_contains(err.msg, path);
    test_assert_contains(err.msg, "empty");
    test_assert_contains(err.msg, "backup");
    assert_untouched_empty_file(path);
    assert_int_equal(sh_ledger_open_readonly(path, &l, &err), SH_INPUT);
    assert_null(l);
    test_assert_contains(err.msg, "backup");
    assert_untouched_empty_file(path);
    g_free(path);
}

static void ledger_without_schema_is_refused(void **state)
{
    /* A valid SQLite file that holds no sohoa ledger (made by hand, or by a tool that opened
     * the path and found nothing): refused, not given a fresh chain. */
    char *path = test_path(*state, "ledger.db");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    fx_exec(db, "PRAGMA journal_mode = WAL; PRAGMA user_version = 0; CREATE TABLE t(x);"
                "DROP TABLE t; VACUUM");
    sqlite3_close(db);
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    assert_true(before.st_size > 0);
    sh_ledger *l = NULL;
    sh_error err = {0};
    assert_int_equal(sh_ledger_open(path, false, &l, &err), SH_INPUT);
    test_assert_contains(err.msg, "no schema");
    test_assert_contains(err.msg, "backup");
    assert_int_equal(sh_ledger_open_readonly(path, &l, &err), SH_INPUT);
    test_assert_contains(err.msg, "backup");
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM sqlite_master"), 0);
    assert_int_equal(fx_int(db, "PRAGMA user_version"), 0);
    sqlite3_close(db);
    /* Only init (create) starts from an empty database. */
    assert_int_equal(sh_ledger_open(path, true, &l, &err), SH_OK);
    assert_int_equal(sh_ledger_schema_version(l), SH_LEDGER_SCHEMA_VERSION);
    sh_ledger_close(l);
    g_free(path);
}

static void read_only_open_writes_nothing(void **state)
{
    char *path = test_path(*state, "ledger.db");
    sh_ledger *l = fx_ledger_new(*state, "ledger.db");
    sh_error err = {0};
    assert_int_equal(sh_audit_record(l, &ACTOR, "audit.note", "", NULL, NULL, &err), SH_OK);
    /* An older schema: a read-only open reads it as it is, no migration. */
    fx_exec(sh_ledger_db(l), "DROP TABLE publications; PRAGMA user_version = 2");
    sh_ledger_close(l);
    uint8_t before[SH_SHA256_LEN], after[SH_SHA256_LEN];
    assert_int_equal(sh_sha256_file(path, before, &err), SH_OK);

    assert_int_equal(sh_ledger_open_readonly(path, &l, &err), SH_OK);
    assert_true(sh_ledger_is_readonly(l));
    assert_int_equal(sh_ledger_schema_version(l), 2);
    sh_audit_verdict v;
    assert_int_equal(sh_audit_verify(l, NULL, &v, &err), SH_OK);
    assert_true(v.intact);
    assert_int_equal(v.entries, 1);
    /* No write transaction, and SQL that writes fails. */
    assert_int_not_equal(sh_ledger_begin(l, &err), SH_OK);
    assert_int_not_equal(sqlite3_exec(sh_ledger_db(l),
                                      "INSERT INTO audit (time, station, "
                                      "operator, action, details, prev_hash, hash) VALUES "
                                      "('t','s','o','a','{}','p','h')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sh_ledger_close(l);
    assert_int_equal(sh_sha256_file(path, after, &err), SH_OK);
    assert_memory_equal(before, after, sizeof before);
    /* The missing ledger too. */
    char *absent = test_path(*state, "absent.db");
    assert_int_equal(sh_ledger_open_readonly(absent, &l, &err), SH_INPUT);
    test_assert_contains(err.msg, "missing");
    struct stat sb;
    assert_int_not_equal(stat(absent, &sb), 0);
    g_free(absent);
    g_free(path);
}

/* The words of a failure: never SQL text; disk full says so; other refusals say what could not
 * be done. */
static void failures_are_worded_for_the_operator(void **state)
{
    sh_ledger *l = fx_ledger_new(*state, "ledger.db");
    sqlite3 *db = sh_ledger_db(l);
    sh_error err = {0};
    /* A refusal inside a transaction (a trigger stands for any failed write). */
    fx_exec(db, "CREATE TRIGGER no_notes BEFORE INSERT ON audit BEGIN "
                "SELECT RAISE(ABORT, 'injected failure'); END");
    assert_int_equal(sh_audit_record(l, &ACTOR, "audit.note", "", NULL, NULL, &err), SH_INTERNAL);
    test_assert_contains(err.msg, "could not append to the audit chain");
    test_assert_contains(err.msg, "injected failure");
    assert_null(strstr(err.msg, "INSERT"));
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit"), 0);
    fx_exec(db, "DROP TRIGGER no_notes");
    /* The disk full: SQLite's SQLITE_FULL, here by a page limit. */
    assert_int_equal(sh_audit_record(l, &ACTOR, "audit.note", "", NULL, NULL, &err), SH_OK);
    int pages = (int)fx_int(db, "PRAGMA page_count");
    char *sql = g_strdup_printf("PRAGMA max_page_count = %d", pages);
    fx_exec(db, sql);
    g_free(sql);
    GString *big = g_string_new("{\"text\":\"");
    for (int i = 0; i < 20000; i++)
        g_string_append(big, "khong gian ");
    g_string_append(big, "\"}");
    sh_status st = SH_OK;
    for (int i = 0; i < 50 && st == SH_OK; i++)
        st = sh_audit_record(l, &ACTOR, "audit.note", "", big->str, NULL, &err);
    g_string_free(big, TRUE);
    assert_int_equal(st, SH_INTERNAL);
    test_assert_contains(err.msg, "is full");
    test_assert_contains(err.msg, "Free some space");
    assert_null(strstr(err.msg, "INSERT"));
    sh_ledger_close(l);
}

static void read_only_open_reads_unfinished_writes_of_a_killed_process(void **state)
{
    /* ledger.db-wal holding committed entries (a writer killed before its checkpoint): a
     * read-only open counts them. Here the WAL is kept by a connection that stays open. */
    char *path = test_path(*state, "ledger.db");
    sh_ledger *l = fx_ledger_new(*state, "ledger.db");
    sh_error err = {0};
    fx_exec(sh_ledger_db(l), "PRAGMA wal_autocheckpoint = 0");
    for (int i = 0; i < 3; i++)
        assert_int_equal(sh_audit_record(l, &ACTOR, "audit.note", "", NULL, NULL, &err), SH_OK);
    sh_ledger *r = NULL;
    assert_int_equal(sh_ledger_open_readonly(path, &r, &err), SH_OK);
    sh_audit_verdict v;
    assert_int_equal(sh_audit_verify(r, NULL, &v, &err), SH_OK);
    assert_true(v.intact);
    assert_int_equal(v.entries, 3);
    sh_ledger_close(r);
    sh_ledger_close(l);
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
        T(empty_ledger_is_refused_not_recreated),
        T(ledger_without_schema_is_refused),
        T(read_only_open_writes_nothing),
        T(failures_are_worded_for_the_operator),
        T(read_only_open_reads_unfinished_writes_of_a_killed_process),
        cmocka_unit_test(close_accepts_null),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
