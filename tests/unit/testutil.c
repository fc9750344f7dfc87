#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

char *test_tmpdir(const char *tag)
{
    const char *base = getenv("SOHOA_TEST_TMP");
    if (!base || !*base)
        base = g_get_tmp_dir();
    g_mkdir_with_parents(base, 0755);
    char *tmpl = g_strdup_printf("%s/%s-XXXXXX", base, tag);
    char *dir = g_mkdtemp(tmpl);
    assert_non_null(dir);
    return dir;
}

static void rmtree_inner(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d))) {
            char *child = g_build_filename(path, name, NULL);
            if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
                !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                rmtree_inner(child);
            else
                g_unlink(child);
            g_free(child);
        }
        g_dir_close(d);
    }
    g_rmdir(path);
}

void test_rmtree(const char *path)
{
    if (path)
        rmtree_inner(path);
}

void test_write(const char *path, const char *data, size_t len)
{
    assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

char *test_path(const char *dir, const char *name) { return g_build_filename(dir, name, NULL); }

int test_setup_tmpdir(void **state)
{
    *state = test_tmpdir("unit");
    return 0;
}

int test_teardown_tmpdir(void **state)
{
    test_rmtree(*state);
    g_free(*state);
    return 0;
}

void test_assert_contains(const char *haystack, const char *needle)
{
    if (!haystack || !strstr(haystack, needle))
        fail_msg("expected \"%s\" in: %s", needle, haystack ? haystack : "(null)");
}

bool test_isolated(bool (*fn)(const void *arg), const void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* cmocka catches these to go on with the next test: the child must die of them */
        static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
        for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
            signal(fatal[i], SIG_DFL);
        _exit(fn(arg) ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        print_error("the child died of signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

char *test_put_pdf(const char *root, const char *rel)
{
    char *path = g_build_filename(root, rel, NULL);
    char *dir = g_path_get_dirname(path);
    assert_int_equal(g_mkdir_with_parents(dir, 0755), 0);
    g_free(dir);
    char *data = g_strdup_printf("%%PDF-1.4\n%% was %s\n", rel);
    test_write(path, data, strlen(data));
    g_free(data);
    return path;
}

char *test_mkdirs(const char *root, const char *rel)
{
    char *path = g_build_filename(root, rel, NULL);
    assert_int_equal(g_mkdir_with_parents(path, 0755), 0);
    return path;
}

char *test_run(const char *cmd, bool *ok)
{
    char *out = NULL;
    GError *e = NULL;
    gint wait_status = 0;
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                      &wait_status, &e))
        fail_msg("cannot run %s: %s", cmd, e->message);
    bool exited_0 = g_spawn_check_wait_status(wait_status, NULL);
    if (ok)
        *ok = exited_0;
    return out;
}

void test_need_tool(const char *tool)
{
    char *path = g_find_program_in_path(tool);
    g_free(path);
    if (!path)
        fail_msg("this test needs %s, which is not in PATH (scripts/install-deps.sh installs it)",
                 tool);
}

char *test_slurp(const char *path, size_t *len)
{
    gchar *d = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(path, &d, &n, NULL));
    *len = n;
    return d;
}

void test_pdf_page_tree(pdf_writer *w, int catalog, int pages, int page)
{
    pdf_object_begin(w, catalog);
    pdf_printf(w, "<< /Type /Catalog /Pages %d 0 R >>", pages);
    pdf_object_end(w);
    pdf_object_begin(w, pages);
    pdf_printf(w, "<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page);
    pdf_object_end(w);
}

static void finding_free(gpointer p)
{
    test_finding *h = p;
    g_free(h->code);
    g_free(h->path);
    g_free(h->suggestion);
    g_free(h->message);
    g_free(h);
}

GPtrArray *test_findings_new(void) { return g_ptr_array_new_with_free_func(finding_free); }

void test_findings_collect(const sh_finding *f, void *list)
{
    test_finding *h = g_new0(test_finding, 1);
    h->code = g_strdup(f->code);
    h->path = g_strdup(f->path);
    h->suggestion = g_strdup(f->suggestion);
    h->message = g_strdup(f->message);
    h->fixable = f->fixable;
    h->severity = f->severity;
    g_ptr_array_add(list, h);
}
