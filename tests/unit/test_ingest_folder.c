/* The ingest module, 6: folders of pages, listed in natural order (1, 2, 10). */
#include "testutil.h"

#include "audit_fixture.h"
#include "ingest_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

/* ---------------------------------------------------------------------------------------------
 * 6. Folders of pages.
 */

/* Run in a child (test_isolated): an empty folder is listed as none. */
static bool empty_folder_listed(const void *arg)
{
    char **paths = NULL;
    size_t n = 9;
    sh_error err;
    bool ok = in_list_folder(arg, &paths, &n, &err) == SH_OK && n == 0 && paths && !paths[0];
    g_strfreev(paths);
    return ok;
}

static void list_folder_in_natural_order(void **state)
{
    const char *dir = *state;
    /* Pages, and the files operating systems leave in folders (skipped with a note). */
    static const char *const names[] = {
        "10.tif",      "2.tif",       "1.tif",     "02.tif",   "Trang 2.png", "trang 10.png",
        "Trang 1.JPG", "scan.pdf",    "a9b.tif",   "a10b.tif", ".hidden.tif", "Thumbs.db",
        "desktop.ini", "ehthumbs.db", ".DS_Store", "._1.tif",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *p = test_path(dir, names[i]);
        test_write(p, "x", 1);
        g_free(p);
    }
    g_free(test_mkdirs(dir, ".thumbnails"));
    static const char *const want[] = {"1.tif",       "2.tif",       "02.tif",   "10.tif",
                                       "a9b.tif",     "a10b.tif",    "scan.pdf", "Trang 1.JPG",
                                       "Trang 2.png", "trang 10.png"};
    char **paths = NULL;
    size_t n = 0;
    sh_error err;
    assert_int_equal(in_list_folder(dir, &paths, &n, &err), SH_OK);
    GString *got = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        char *base = g_path_get_basename(paths[i]);
        g_string_append_printf(got, "%s%s", i ? "|" : "", base);
        char *full = test_path(dir, base);
        assert_string_equal(paths[i], full);
        g_free(full);
        g_free(base);
    }
    char *expected = g_strjoinv("|", (char **)want);
    assert_string_equal(got->str, expected);
    assert_int_equal(n, G_N_ELEMENTS(want));
    assert_null(paths[n]);
    g_free(expected);
    g_string_free(got, TRUE);
    g_strfreev(paths);

    /* Anything else is never left out silently: the first such entry (in name order) is named,
     * with how many more there are. */
    static const struct {
        const char *entries; /* '|'-separated; a trailing '/' makes a folder */
        const char *named, *says;
    } BAD[] = {
        {"1.jpg|2.bmp|3.jpg", "2.bmp", "not a page sohoa can use"},
        {"1.tif|notes.txt|page.tif.bak|sohoa.ini", "notes.txt", "and 2 more such files"},
        {"1.tif|sub.tif/", "sub.tif", "a folder inside the folder of pages"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(BAD); i++) {
        char *sub = g_strdup_printf("bad%zu", i);
        char *d = test_mkdirs(dir, sub);
        char **entries = g_strsplit(BAD[i].entries, "|", -1);
        for (char **e = entries; *e; e++) {
            size_t len = strlen(*e);
            if ((*e)[len - 1] == '/') {
                (*e)[len - 1] = '\0';
                g_free(test_mkdirs(d, *e));
            } else {
                char *p = test_path(d, *e);
                test_write(p, "x", 1);
                g_free(p);
            }
        }
        g_strfreev(entries);
        sh_error_clear(&err);
        n = 7;
        assert_int_equal(in_list_folder(d, &paths, &n, &err), SH_INPUT);
        assert_null(paths);
        assert_int_equal(n, 0);
        char *named = test_path(d, BAD[i].named);
        test_assert_contains(err.msg, named);
        test_assert_contains(err.msg, BAD[i].says);
        g_free(named);
        g_free(d);
        g_free(sub);
    }

    /* An empty folder gives none; a missing one is an input error. */
    char *missing = test_path(dir, "missing");
    assert_int_equal(in_list_folder(missing, &paths, &n, &err), SH_INPUT);
    assert_null(paths);
    assert_int_equal(n, 0);
    test_assert_contains(err.msg, missing);
    g_free(missing);
    char *empty = test_mkdirs(dir, "empty");
    bool listed = test_isolated(empty_folder_listed, empty);
    g_free(empty);
    if (!listed)
        fail_msg("an empty folder is not listed as empty");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_folder_in_natural_order, test_setup_tmpdir,
                                        test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
