/* Atomic file writes (contents, modes, replace / NO_REPLACE, streaming, abort, failed commits,
 * no temp file ever left behind, a destination that appears between open and commit) and
 * sh_read_file (content, NUL termination, the max_bytes bound, missing / folder / empty). */
#include "testutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

static gint compare_names(gconstpointer a, gconstpointer b)
{
    /* g_ptr_array_sort passes pointers to the elements. */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in dir (hidden temp files included), sorted and comma-separated; g_free() it. */
static char *listing(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    assert_non_null(d);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++) {
        if (i)
            g_string_append_c(s, ',');
        g_string_append(s, g_ptr_array_index(names, i));
    }
    g_ptr_array_free(names, TRUE);
    return g_string_free(s, FALSE);
}

/* dir holds exactly these names (sorted, comma-separated): no ".name.tmp-*" left behind. */
static void assert_listing(const char *dir, const char *expected)
{
    char *got = listing(dir);
    if (strcmp(got, expected) != 0)
        fail_msg("folder holds \"%s\", expected \"%s\"", got, expected);
    g_free(got);
}

static void assert_file_is(const char *path, const char *data, size_t len)
{
    gchar *got = NULL;
    gsize got_len = 0;
    assert_true(g_file_get_contents(path, &got, &got_len, NULL));
    assert_int_equal(got_len, len);
    assert_memory_equal(got, data, len);
    g_free(got);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- atomic writes ---- */

static void atomic_write_creates_file_with_mode_0644(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "report.json");
    sh_error err;
    sh_error_clear(&err);
    mode_t old = umask(022);
    sh_status st = sh_write_file_atomic(p, "{\"ok\":true}\n", 12, 0, &err);
    umask(old);
    assert_int_equal(st, SH_OK);
    assert_file_is(p, "{\"ok\":true}\n", 12);
    assert_int_equal(mode_of(p), 0644);
    assert_listing(dir, "report.json");
    g_free(p);
}

static void atomic_write_private_is_0600_even_with_open_umask(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "key.pem");
    sh_error err;
    sh_error_clear(&err);
    mode_t old = umask(0);
    sh_status st = sh_write_file_atomic(p, "secret", 6, SH_ATOMIC_PRIVATE, &err);
    umask(old);
    assert_int_equal(st, SH_OK);
    assert_file_is(p, "secret", 6);
    assert_int_equal(mode_of(p), 0600);
    g_free(p);
}

static void atomic_write_empty_file(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "empty");
    sh_error err;
    assert_int_equal(sh_write_file_atomic(p, "", 0, 0, &err), SH_OK);
    assert_file_is(p, "", 0);
    g_free(p);
}

static void atomic_write_replaces_existing_file(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "sohoa.ini");
    test_write(p, "old contents that are longer than the new ones\n", 48);
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_write_file_atomic(p, "new\n", 4, 0, &err), SH_OK);
    assert_file_is(p, "new\n", 4);
    assert_listing(dir, "sohoa.ini");
    g_free(p);
}

static void atomic_write_relative_path_in_current_folder(void **state)
{
    const char *dir = *state;
    char *cwd = g_get_current_dir();
    assert_int_equal(chdir(dir), 0);
    sh_error err;
    sh_error_clear(&err);
    sh_status st = sh_write_file_atomic("relative.txt", "rel", 3, 0, &err);
    assert_int_equal(chdir(cwd), 0);
    g_free(cwd);
    assert_int_equal(st, SH_OK);
    char *p = test_path(dir, "relative.txt");
    assert_file_is(p, "rel", 3);
    assert_listing(dir, "relative.txt");
    g_free(p);
}

static void no_replace_refuses_existing_and_leaves_it_byte_identical(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "ledger-export.csv");
    const char original[] = "id,hash\n1,abc\n\0binary\xff";
    test_write(p, original, sizeof original);
    assert_int_equal(chmod(p, 0640), 0);

    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_write_file_atomic(p, "other", 5, SH_ATOMIC_NO_REPLACE, &err), SH_USAGE);
    assert_int_equal(err.status, SH_USAGE);
    assert_non_null(strstr(err.msg, p));
    assert_file_is(p, original, sizeof original);
    assert_int_equal(mode_of(p), 0640);

    /* The streaming interface refuses at open. */
    sh_error_clear(&err);
    assert_null(sh_atomic_open(p, SH_ATOMIC_NO_REPLACE, &err));
    assert_int_equal(err.status, SH_USAGE);
    assert_file_is(p, original, sizeof original);
    assert_listing(dir, "ledger-export.csv");
    g_free(p);
}

static void no_replace_creates_when_absent(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "new.txt");
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_write_file_atomic(p, "fresh", 5, SH_ATOMIC_NO_REPLACE, &err), SH_OK);
    assert_file_is(p, "fresh", 5);
    assert_listing(dir, "new.txt");
    g_free(p);
}

static void no_replace_status_does_not_depend_on_err(void **state)
{
    /* Callers that only want the status pass NULL: an existing destination is still SH_USAGE. */
    const char *dir = *state;
    char *p = test_path(dir, "exists");
    test_write(p, "x", 1);
    sh_status st = sh_write_file_atomic(p, "y", 1, SH_ATOMIC_NO_REPLACE, NULL);
    assert_file_is(p, "x", 1);
    g_free(p);
    assert_int_equal(st, SH_USAGE);
}

static void streaming_chunks_are_concatenated(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "bundle.bin");
    size_t big_len = 1024 * 1024 + 3;
    char *big = g_malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i * 31 + 7);

    sh_error err;
    sh_error_clear(&err);
    sh_atomic_file *f = sh_atomic_open(p, 0, &err);
    assert_non_null(f);
    assert_int_equal(sh_atomic_write(f, "head:", 5, &err), SH_OK);
    assert_int_equal(sh_atomic_write(f, "", 0, &err), SH_OK);
    assert_int_equal(sh_atomic_write(f, big, big_len, &err), SH_OK);
    assert_int_equal(sh_atomic_write(f, ":tail", 5, &err), SH_OK);
    /* Nothing is visible under the destination name before the commit. */
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(sh_atomic_commit(f, &err), SH_OK);

    GString *expected = g_string_new("head:");
    g_string_append_len(expected, big, (gssize)big_len);
    g_string_append(expected, ":tail");
    assert_file_is(p, expected->str, expected->len);
    g_string_free(expected, TRUE);
    g_free(big);
    assert_listing(dir, "bundle.bin");
    g_free(p);
}

static void abort_leaves_old_file_and_no_temp(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "state.json");
    test_write(p, "old", 3);
    sh_error err;
    sh_error_clear(&err);
    sh_atomic_file *f = sh_atomic_open(p, 0, &err);
    assert_non_null(f);
    assert_int_equal(sh_atomic_write(f, "half-written new conte", 22, &err), SH_OK);
    sh_atomic_abort(f);
    assert_file_is(p, "old", 3);
    assert_listing(dir, "state.json");
    g_free(p);
}

static void abort_without_old_file_creates_nothing(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "never.txt");
    sh_error err;
    sh_atomic_file *f = sh_atomic_open(p, SH_ATOMIC_PRIVATE, &err);
    assert_non_null(f);
    sh_atomic_abort(f);
    sh_atomic_abort(NULL); /* accepted */
    assert_listing(dir, "");
    g_free(p);
}

static void missing_folder_is_an_error_and_creates_nothing(void **state)
{
    const char *dir = *state;
    char *missing = test_path(dir, "no-such-folder");
    char *p = test_path(missing, "out.json");
    sh_error err;
    sh_error_clear(&err);
    sh_status st = sh_write_file_atomic(p, "{}", 2, 0, &err);
    assert_int_not_equal(st, SH_OK);
    assert_int_equal(err.status, st);
    assert_non_null(strstr(err.msg, p));
    assert_int_equal(access(missing, F_OK), -1);
    assert_listing(dir, "");

    sh_error_clear(&err);
    assert_null(sh_atomic_open(p, 0, &err));
    assert_int_not_equal(err.status, SH_OK);
    assert_listing(dir, "");
    g_free(p);
    g_free(missing);
}

static void path_without_file_name_is_usage_error(void **state)
{
    const char *dir = *state;
    char *p = g_strconcat(dir, "/", NULL);
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_write_file_atomic(p, "x", 1, 0, &err), SH_USAGE);
    assert_listing(dir, "");
    g_free(p);
}

static void destination_appearing_before_commit_is_kept(void **state)
{
    /* Another process creates the destination between our open and our commit: with
     * NO_REPLACE, its file wins and ours is dropped. */
    const char *dir = *state;
    char *p = test_path(dir, "race.txt");
    sh_error err;
    sh_error_clear(&err);
    sh_atomic_file *f = sh_atomic_open(p, SH_ATOMIC_NO_REPLACE, &err);
    assert_non_null(f);
    assert_int_equal(sh_atomic_write(f, "ours", 4, &err), SH_OK);
    test_write(p, "theirs", 6);
    assert_int_equal(sh_atomic_commit(f, &err), SH_USAGE);
    assert_int_equal(err.status, SH_USAGE);
    assert_non_null(strstr(err.msg, p));
    assert_file_is(p, "theirs", 6);
    assert_listing(dir, "race.txt");
    g_free(p);
}

static void failed_commit_over_a_folder_leaves_no_temp(void **state)
{
    const char *dir = *state;
    char *target = test_path(dir, "target");
    assert_int_equal(mkdir(target, 0755), 0);
    char *inside = test_path(target, "keep");
    test_write(inside, "k", 1);

    sh_error err;
    sh_error_clear(&err);
    sh_atomic_file *f = sh_atomic_open(target, 0, &err);
    if (f) {
        assert_int_equal(sh_atomic_write(f, "data", 4, &err), SH_OK);
        assert_int_not_equal(sh_atomic_commit(f, &err), SH_OK);
    }
    assert_int_not_equal(err.status, SH_OK);
    assert_non_null(strstr(err.msg, target));
    assert_true(g_file_test(target, G_FILE_TEST_IS_DIR));
    assert_file_is(inside, "k", 1);
    assert_listing(dir, "target");
    g_free(inside);
    g_free(target);
}

/* ---- sh_read_file ---- */

static void read_returns_content_nul_terminated(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "in.txt");
    const char content[] = "dòng 1\nline\0two";
    size_t n = sizeof content - 1;
    test_write(p, content, n);
    char *data = NULL;
    size_t len = 99;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file(p, 1024, &data, &len, &err), SH_OK);
    assert_non_null(data);
    assert_int_equal(len, n);
    assert_memory_equal(data, content, n);
    assert_int_equal(data[len], '\0');
    free(data);
    g_free(p);
}

static void read_exact_max_bytes_allowed_one_more_refused(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "sized.bin");
    test_write(p, "0123456789", 10);
    char *data = NULL;
    size_t len = 0;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file(p, 10, &data, &len, &err), SH_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(data, "0123456789", 10);
    assert_int_equal(data[10], '\0');
    free(data);

    data = (char *)"sentinel";
    sh_error_clear(&err);
    assert_int_equal(sh_read_file(p, 9, &data, &len, &err), SH_INPUT);
    assert_int_equal(err.status, SH_INPUT);
    assert_null(data);
    assert_non_null(strstr(err.msg, p));
    g_free(p);
}

static void read_refuses_much_larger_file(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "huge.pdf");
    size_t n = 300000;
    char *big = g_malloc0(n);
    test_write(p, big, n);
    g_free(big);
    char *data = NULL;
    size_t len = 0;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file(p, 4096, &data, &len, &err), SH_INPUT);
    assert_null(data);
    assert_non_null(strstr(err.msg, p));
    g_free(p);
}

static void read_empty_file(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "empty");
    test_write(p, "", 0);
    char *data = NULL;
    size_t len = 99;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file(p, 0, &data, &len, &err), SH_OK);
    assert_int_equal(len, 0);
    assert_non_null(data);
    assert_int_equal(data[0], '\0');
    free(data);
    g_free(p);
}

static void read_missing_file_is_input_error(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "absent.ini");
    char *data = (char *)"sentinel";
    size_t len = 0;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file(p, 100, &data, &len, &err), SH_INPUT);
    assert_null(data);
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, strerror(ENOENT)));
    g_free(p);
}

static void read_folder_is_input_error(void **state)
{
    const char *dir = *state;
    char *data = NULL;
    size_t len = 0;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file(dir, 1 << 20, &data, &len, &err), SH_INPUT);
    assert_null(data);
    assert_non_null(strstr(err.msg, dir));
}

/* Files under /proc report a size of 0 and then deliver content: the bound must still hold. */
static void read_file_of_unknown_size(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file("/proc/self/status", 1 << 20, &data, &len, &err), SH_OK);
    assert_true(len > 16);
    assert_int_equal(strlen(data), len);
    assert_non_null(strstr(data, "Name:"));
    free(data);

    sh_error_clear(&err);
    assert_int_equal(sh_read_file("/proc/self/status", 16, &data, &len, &err), SH_INPUT);
    assert_null(data);
    assert_non_null(strstr(err.msg, "/proc/self/status"));
}

static void read_without_practical_limit(void **state)
{
    /* SIZE_MAX as "no limit" must not wrap around in the growth arithmetic. */
    (void)state;
    char *data = NULL;
    size_t len = 0;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_read_file("/proc/self/status", SIZE_MAX, &data, &len, &err), SH_OK);
    assert_non_null(strstr(data, "Name:"));
    assert_int_equal(strlen(data), len);
    free(data);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup_tmpdir, test_teardown_tmpdir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(atomic_write_creates_file_with_mode_0644),
        T(atomic_write_private_is_0600_even_with_open_umask),
        T(atomic_write_empty_file),
        T(atomic_write_replaces_existing_file),
        T(atomic_write_relative_path_in_current_folder),
        T(no_replace_refuses_existing_and_leaves_it_byte_identical),
        T(no_replace_creates_when_absent),
        T(no_replace_status_does_not_depend_on_err),
        T(streaming_chunks_are_concatenated),
        T(abort_leaves_old_file_and_no_temp),
        T(abort_without_old_file_creates_nothing),
        T(missing_folder_is_an_error_and_creates_nothing),
        T(path_without_file_name_is_usage_error),
        T(destination_appearing_before_commit_is_kept),
        T(failed_commit_over_a_folder_leaves_no_temp),
        T(read_returns_content_nul_terminated),
        T(read_exact_max_bytes_allowed_one_more_refused),
        T(read_refuses_much_larger_file),
        T(read_empty_file),
        T(read_missing_file_is_input_error),
        T(read_folder_is_input_error),
        cmocka_unit_test(read_file_of_unknown_size),
        cmocka_unit_test(read_without_practical_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
