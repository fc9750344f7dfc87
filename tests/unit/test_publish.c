/* core: publishing a file the ledger records (core.h, docs/architecture.md "Publishing a file").
 * intend + finish put the file in place and close the intent; a writer that commits its intent
 * and dies before the rename (a child process that _exit()s) is finished by recovery; a temp
 * file gone is recorded as publish.lost in the audit chain (and another file under the name
 * too); a live writer is left alone; a rename that fails keeps the recorded bytes for the next
 * recovery; the sweep removes only unlocked, unrecorded temp files of ours; intend refuses a
 * name that is taken or being published by someone else. */
#include "testutil.h"

#include "audit_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

static const sh_actor ACTOR = {"HN-01", "Nguyễn Văn A"};
static const char BYTES[] = "%PDF-1.4\nthe recorded bytes\n%%EOF\n";

typedef struct {
    char *root;   /* the workspace root */
    char *ledger; /* root/ledger.db */
    char *dir;    /* root/ORG/DOSSIER: where files are published */
    char *final;  /* dir/02.pdf */
    char sha[SH_SHA256_HEX_LEN + 1];
} fixture;

static int setup(void **state)
{
    fixture *f = g_new0(fixture, 1);
    f->root = test_tmpdir("publish");
    f->ledger = test_path(f->root, "ledger.db");
    f->dir = test_mkdirs(f->root, "93.000.036.001.015/001085012345_NguyenVanA");
    f->final = test_path(f->dir, "02.pdf");
    uint8_t d[SH_SHA256_LEN];
    sh_sha256_buf(BYTES, strlen(BYTES), d);
    sh_hex(d, sizeof d, f->sha);
    sh_ledger *l = fx_ledger_new(f->root, "ledger.db");
    sh_ledger_close(l);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_rmtree(f->root);
    g_free(f->root);
    g_free(f->ledger);
    g_free(f->dir);
    g_free(f->final);
    g_free(f);
    return 0;
}

static sh_ledger *open_ledger(const fixture *f)
{
    sh_ledger *l = NULL;
    sh_error err = {0};
    if (sh_ledger_open(f->ledger, false, &l, &err) != SH_OK)
        fail_msg("cannot open %s: %s", f->ledger, err.msg);
    return l;
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* Steps 1 and 2 of the protocol: the file sealed, its audit entry and intent committed.
 * Returns the sealed file (not yet in place); *intent its id. */
static sh_atomic_file *write_and_record(const fixture *f, sh_ledger *l, const char *path,
                                        int64_t *intent)
{
    sh_error err = {0};
    sh_atomic_file *a = sh_atomic_open(path, SH_ATOMIC_NO_REPLACE, &err);
    assert_non_null(a);
    assert_int_equal(sh_atomic_write(a, BYTES, strlen(BYTES), &err), SH_OK);
    assert_int_equal(sh_atomic_seal(a, &err), SH_OK);
    assert_int_equal(sh_ledger_begin(l, &err), SH_OK);
    assert_int_equal(sh_audit_append(l, &ACTOR, "document.ingest", path, NULL, NULL, &err), SH_OK);
    sh_status st = sh_publish_intend(l, f->root, a, f->sha, intent, &err);
    if (st != SH_OK)
        fail_msg("intend: %s", err.msg);
    assert_int_equal(sh_ledger_commit(l, &err), SH_OK);
    return a;
}

/* A child that records the intent and dies before the rename (kill -9 between steps 2 and 3).
 * Its temp file's path is written to temp_out. */
static void child_dies_after_commit(const fixture *f, char *temp_out, size_t temp_len)
{
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        sh_ledger *l = open_ledger(f);
        int64_t intent = 0;
        sh_atomic_file *a = write_and_record(f, l, f->final, &intent);
        const char *t = sh_atomic_temp_path(a);
        if (write(pipefd[1], t, strlen(t)) < 0)
            _exit(3);
        _exit(0); /* no finish, no close: as if killed */
    }
    close(pipefd[1]);
    ssize_t n = read(pipefd[0], temp_out, temp_len - 1);
    close(pipefd[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(n > 0);
    temp_out[n] = '\0';
}

static int64_t publications(sh_ledger *l)
{
    return fx_int(sh_ledger_db(l), "SELECT count(*) FROM publications");
}

static int64_t lost_entries(sh_ledger *l)
{
    return fx_int(sh_ledger_db(l), "SELECT count(*) FROM audit WHERE action = 'publish.lost'");
}

static void assert_chain_intact(sh_ledger *l)
{
    sh_audit_verdict v;
    sh_error err = {0};
    assert_int_equal(sh_audit_verify(l, NULL, &v, &err), SH_OK);
    assert_true(v.intact);
}

static void intend_then_finish_puts_the_file_in_place(void **state)
{
    fixture *f = *state;
    sh_ledger *l = open_ledger(f);
    int64_t intent = 0;
    sh_atomic_file *a = write_and_record(f, l, f->final, &intent);
    char *temp = g_strdup(sh_atomic_temp_path(a));
    /* Recorded, not yet visible under its name; the intent names it relative to the root. */
    assert_false(exists(f->final));
    assert_true(exists(temp));
    assert_int_equal(publications(l), 1);
    char *path = fx_text(sh_ledger_db(l), "SELECT path FROM publications");
    assert_string_equal(path, "93.000.036.001.015/001085012345_NguyenVanA/02.pdf");
    g_free(path);
    sh_error err = {0};
    assert_int_equal(sh_publish_finish(l, a, intent, &err), SH_OK);
    assert_true(exists(f->final));
    assert_false(exists(temp));
    size_t len = 0;
    char *data = test_slurp(f->final, &len);
    assert_int_equal(len, strlen(BYTES));
    assert_memory_equal(data, BYTES, len);
    g_free(data);
    /* The intent goes lazily: at close (or with the next intent), no flush per file. */
    sh_ledger_close(l);
    l = open_ledger(f);
    assert_int_equal(publications(l), 0);
    sh_publish_recovery rec;
    assert_int_equal(sh_publish_recover(l, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.finished + rec.lost + rec.pending, 0);
    sh_ledger_close(l);
    g_free(temp);
}

static void next_intent_deletes_the_finished_ones(void **state)
{
    fixture *f = *state;
    sh_ledger *l = open_ledger(f);
    sh_error err = {0};
    int64_t intent = 0;
    sh_atomic_file *a = write_and_record(f, l, f->final, &intent);
    assert_int_equal(sh_publish_finish(l, a, intent, &err), SH_OK);
    char *second = test_path(f->dir, "03.pdf");
    a = write_and_record(f, l, second, &intent);
    assert_int_equal(publications(l), 1); /* only the second's */
    assert_int_equal(sh_publish_finish(l, a, intent, &err), SH_OK);
    assert_true(exists(second));
    sh_ledger_close(l);
    g_free(second);
}

static void writer_killed_after_commit_is_finished_by_recovery(void **state)
{
    fixture *f = *state;
    char temp[4096];
    child_dies_after_commit(f, temp, sizeof temp);
    assert_false(exists(f->final));
    assert_true(exists(temp));
    sh_ledger *l = open_ledger(f);
    assert_int_equal(publications(l), 1);
    /* The sweep keeps a temp file an intent names, though its writer is gone. */
    assert_int_equal(sh_temp_sweep_dir(l, f->root, f->dir), 0);
    assert_true(exists(temp));
    sh_publish_recovery rec;
    sh_error err = {0};
    assert_int_equal(sh_publish_recover(l, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.finished, 1);
    assert_int_equal(rec.lost, 0);
    assert_int_equal(rec.pending, 0);
    assert_true(exists(f->final));
    assert_false(exists(temp));
    uint8_t d[SH_SHA256_LEN];
    char hex[SH_SHA256_HEX_LEN + 1];
    assert_int_equal(sh_sha256_file(f->final, d, &err), SH_OK);
    sh_hex(d, sizeof d, hex);
    assert_string_equal(hex, f->sha);
    assert_int_equal(publications(l), 0);
    assert_int_equal(lost_entries(l), 0);
    /* A second recovery finds nothing to do. */
    assert_int_equal(sh_publish_recover(l, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.finished + rec.lost + rec.pending, 0);
    assert_chain_intact(l);
    sh_ledger_close(l);
}

static void temp_file_gone_is_recorded_as_lost(void **state)
{
    fixture *f = *state;
    char temp[4096];
    child_dies_after_commit(f, temp, sizeof temp);
    assert_int_equal(g_unlink(temp), 0);
    sh_ledger *l = open_ledger(f);
    sh_publish_recovery rec;
    sh_error err = {0};
    assert_int_equal(sh_publish_recover(l, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.lost, 1);
    assert_int_equal(rec.finished, 0);
    assert_false(exists(f->final));
    assert_int_equal(publications(l), 0);
    assert_int_equal(lost_entries(l), 1);
    char *subject = fx_text(sh_ledger_db(l), "SELECT subject FROM audit WHERE action = "
                                             "'publish.lost'");
    assert_string_equal(subject, "93.000.036.001.015/001085012345_NguyenVanA/02.pdf");
    g_free(subject);
    char *details = fx_text(sh_ledger_db(l), "SELECT details FROM audit WHERE action = "
                                             "'publish.lost'");
    test_assert_contains(details, f->sha);
    g_free(details);
    char *who = fx_text(sh_ledger_db(l), "SELECT operator FROM audit WHERE action = "
                                         "'publish.lost'");
    assert_string_equal(who, ACTOR.operator_name);
    g_free(who);
    assert_chain_intact(l);
    sh_ledger_close(l);
}

static void another_file_under_the_name_is_recorded_as_lost(void **state)
{
    fixture *f = *state;
    char temp[4096];
    child_dies_after_commit(f, temp, sizeof temp);
    assert_int_equal(g_unlink(temp), 0);
    test_write(f->final, "someone else's", 14);
    sh_ledger *l = open_ledger(f);
    sh_publish_recovery rec;
    sh_error err = {0};
    assert_int_equal(sh_publish_recover(l, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.lost, 1);
    assert_int_equal(lost_entries(l), 1);
    size_t len = 0;
    char *data = test_slurp(f->final, &len);
    assert_memory_equal(data, "someone else's", 14); /* never touched */
    g_free(data);
    sh_ledger_close(l);
}

static void live_writer_is_left_pending(void **state)
{
    fixture *f = *state;
    sh_ledger *writer = open_ledger(f);
    int64_t intent = 0;
    sh_atomic_file *a = write_and_record(f, writer, f->final, &intent);
    /* Another process's recovery (a second connection, a second open of the temp file: flock
     * locks belong to open files, so this process's own lock counts as another's). */
    sh_ledger *other = open_ledger(f);
    sh_publish_recovery rec;
    sh_error err = {0};
    assert_int_equal(sh_publish_recover(other, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.pending, 1);
    assert_int_equal(rec.finished + rec.lost, 0);
    assert_int_equal(sh_temp_sweep_dir(other, f->root, f->dir), 0);
    assert_true(exists(sh_atomic_temp_path(a)));
    assert_int_equal(sh_publish_finish(writer, a, intent, &err), SH_OK);
    assert_true(exists(f->final));
    sh_ledger_close(other);
    sh_ledger_close(writer);
}

static void failed_rename_keeps_the_recorded_bytes(void **state)
{
    fixture *f = *state;
    sh_ledger *l = open_ledger(f);
    int64_t intent = 0;
    sh_atomic_file *a = write_and_record(f, l, f->final, &intent);
    char *temp = g_strdup(sh_atomic_temp_path(a));
    test_write(f->final, "an outsider", 11); /* appears between the commit and the rename */
    sh_error err = {0};
    assert_int_equal(sh_publish_finish(l, a, intent, &err), SH_USAGE);
    test_assert_contains(err.msg, temp);
    assert_true(exists(temp)); /* kept, not deleted */
    sh_publish_recovery rec;
    /* Recovery cannot put it in place while the outsider is there: pending, still kept. */
    assert_int_equal(sh_publish_recover(l, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.pending, 1);
    assert_true(exists(temp));
    assert_int_equal(sh_temp_sweep_dir(l, f->root, f->dir), 0);
    /* Once the outsider is moved away, the next recovery finishes. */
    assert_int_equal(g_unlink(f->final), 0);
    assert_int_equal(sh_publish_recover(l, f->root, &ACTOR, &rec, &err), SH_OK);
    assert_int_equal(rec.finished, 1);
    assert_false(exists(temp));
    assert_true(exists(f->final));
    assert_int_equal(publications(l), 0);
    sh_ledger_close(l);
    g_free(temp);
}

static void intend_refuses_a_taken_name_and_one_being_published(void **state)
{
    fixture *f = *state;
    sh_ledger *l = open_ledger(f);
    sh_error err = {0};
    int64_t intent = 0;
    /* A name another sohoa process is publishing (its intent is committed, its writer alive). */
    sh_atomic_file *first = write_and_record(f, l, f->final, &intent);
    sh_atomic_file *second = sh_atomic_open(f->final, SH_ATOMIC_NO_REPLACE, &err);
    assert_non_null(second);
    assert_int_equal(sh_atomic_seal(second, &err), SH_OK);
    int64_t second_intent = 0;
    assert_int_equal(sh_ledger_begin(l, &err), SH_OK);
    assert_int_equal(sh_publish_intend(l, f->root, second, f->sha, &second_intent, &err), SH_USAGE);
    test_assert_contains(err.msg, "another sohoa process");
    sh_ledger_rollback(l);
    /* A name taken on disk. */
    assert_int_equal(sh_publish_finish(l, first, intent, &err), SH_OK);
    assert_int_equal(sh_ledger_begin(l, &err), SH_OK);
    assert_int_equal(sh_publish_intend(l, f->root, second, f->sha, &second_intent, &err), SH_USAGE);
    test_assert_contains(err.msg, "already exists");
    sh_ledger_rollback(l);
    /* Outside a transaction, or outside the workspace: a bug, said so. */
    assert_int_equal(sh_publish_intend(l, f->root, second, f->sha, &second_intent, &err),
                     SH_INTERNAL);
    sh_atomic_abort(second);
    sh_ledger_close(l);
}

static void sweep_removes_only_dead_unrecorded_temp_files_of_ours(void **state)
{
    fixture *f = *state;
    sh_ledger *l = open_ledger(f);
    /* A dead writer's temp file: nobody holds it, no intent names it. */
    char *dead = test_path(f->dir, ".02.pdf.tmp-AbC123");
    test_write(dead, "half", 4);
    /* A live writer's: held (flock) by an open sh_atomic_file. */
    sh_error err = {0};
    char *live_target = test_path(f->dir, "03.pdf");
    sh_atomic_file *live = sh_atomic_open(live_target, SH_ATOMIC_NO_REPLACE, &err);
    assert_non_null(live);
    /* Not ours, or not temp files: left alone. */
    char *parked = test_path(f->dir, ".05.pdf.sohoa-rename");
    char *other = test_path(f->dir, ".notes.tmp-1");
    char *visible = test_path(f->dir, "04.pdf.tmp-AbC123");
    test_write(parked, "a case-only rename halfway", 26);
    test_write(other, "x", 1);
    test_write(visible, "x", 1);
    assert_int_equal(sh_temp_sweep_dir(l, f->root, f->dir), 1);
    assert_false(exists(dead));
    assert_true(exists(sh_atomic_temp_path(live)));
    assert_true(exists(parked));
    assert_true(exists(other));
    assert_true(exists(visible));
    sh_atomic_abort(live);
    /* A folder that does not exist: nothing to do. */
    char *none = test_path(f->root, "absent");
    assert_int_equal(sh_temp_sweep_dir(l, f->root, none), 0);
    sh_ledger_close(l);
    g_free(none);
    g_free(visible);
    g_free(other);
    g_free(parked);
    g_free(live_target);
    g_free(dead);
}

static void killed_writer_temp_file_is_swept(void **state)
{
    fixture *f = *state;
    /* A child that writes and dies before recording: its lock dies with it. */
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        sh_error err = {0};
        sh_atomic_file *a = sh_atomic_open(f->final, SH_ATOMIC_NO_REPLACE, &err);
        if (!a || sh_atomic_write(a, BYTES, strlen(BYTES), &err) != SH_OK)
            _exit(2);
        const char *t = sh_atomic_temp_path(a);
        if (write(pipefd[1], t, strlen(t)) < 0)
            _exit(3);
        _exit(0);
    }
    close(pipefd[1]);
    char temp[4096];
    ssize_t n = read(pipefd[0], temp, sizeof temp - 1);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(n > 0);
    temp[n] = '\0';
    assert_true(exists(temp));
    sh_ledger *l = open_ledger(f);
    assert_int_equal(sh_temp_sweep_dir(l, f->root, f->dir), 1);
    assert_false(exists(temp));
    assert_false(exists(f->final));
    sh_ledger_close(l);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(intend_then_finish_puts_the_file_in_place),
        T(next_intent_deletes_the_finished_ones),
        T(writer_killed_after_commit_is_finished_by_recovery),
        T(temp_file_gone_is_recorded_as_lost),
        T(another_file_under_the_name_is_recorded_as_lost),
        T(live_writer_is_left_pending),
        T(failed_rename_keeps_the_recorded_bytes),
        T(intend_refuses_a_taken_name_and_one_being_published),
        T(sweep_removes_only_dead_unrecorded_temp_files_of_ours),
        T(killed_writer_temp_file_is_swept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
