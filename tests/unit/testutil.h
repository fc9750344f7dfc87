/* Helpers shared by the cmocka unit tests. */
#ifndef SOHOA_TESTUTIL_H
#define SOHOA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#ifdef __clang_analyzer__
/* cmocka 1.1 does not say that a failure ends the test: clang-tidy's analyzer would follow a test
 * on past fail() into the cleanup it has already done. */
void _fail(const char *const file, const int line) __attribute__((analyzer_noreturn));
/* The same for the assertions a test relies on to go on: stated as plain conditions. */
#undef assert_true
#undef assert_false
#undef assert_null
#undef assert_non_null
#undef assert_int_equal
#define assert_true(c) ((c) ? (void)0 : _fail(__FILE__, __LINE__))
#define assert_false(c) assert_true(!(c))
#define assert_null(c) assert_true((c) == NULL)
#define assert_non_null(c) assert_true((c) != NULL)
#define assert_int_equal(a, b) assert_true((a) == (b))
#endif

#include <glib.h>

#include "core/core.h"
#include "pdf/pdf.h"

#ifdef TEST_WITH_LIBPNG /* defined before this header by the tests that link libpng */
#include <png.h>
#include <stdio.h>
#endif

/* Findings collected as a checker reports them: test_findings_new() makes the list (of
 * test_finding, copies of each string), test_findings_collect is the sh_finding_sink. */
typedef struct {
    char *code, *path, *suggestion, *message;
    bool fixable;
    sh_severity severity;
} test_finding;
GPtrArray *test_findings_new(void);
void test_findings_collect(const sh_finding *f, void *list);

/* A fresh empty folder under $SOHOA_TEST_TMP (or /tmp); g_free() the path. */
char *test_tmpdir(const char *tag);
/* Remove a folder tree made by test_tmpdir. */
void test_rmtree(const char *path);
/* Write bytes to a file, failing the test on error. */
void test_write(const char *path, const char *data, size_t len);
/* cmocka group fixtures: *state is a fresh scratch folder (char *), removed afterwards. */
int test_setup_tmpdir(void **state);
int test_teardown_tmpdir(void **state);
/* Fail the test, showing both, unless needle occurs in haystack (an error message, say). */
void test_assert_contains(const char *haystack, const char *needle);
/* Run fn(arg) in a child process: a memory error caught by the sanitizer ends the child, not the
 * whole test program, and fails only the test that asked. True when fn returned true. */
bool test_isolated(bool (*fn)(const void *arg), const void *arg);
/* Make root/rel, with the folders along the way, holding a small fake PDF whose text names rel
 * ("was REL"), so that after renames each file's content tells which file it was. Returns the
 * full path (g_free). */
char *test_put_pdf(const char *root, const char *rel);
/* Make root/rel and the folders along the way; returns the full path (g_free). */
char *test_mkdirs(const char *root, const char *rel);
/* Run a shell command (the external judges: qpdf, pdfinfo, pdfimages); its stdout (g_free) and
 * whether it exited 0 (ok may be NULL). stderr is dropped. */
char *test_run(const char *cmd, bool *ok);
/* Fail the test unless tool is in PATH: the judges a test names are required, never skipped. */
void test_need_tool(const char *tool);
/* A whole file's bytes (g_free), failing the test when it cannot be read. */
char *test_slurp(const char *path, size_t *len);
/* Join a folder and a name; g_free() the result. */
char *test_path(const char *dir, const char *name);
/* Write the catalog and the page tree of a one-page PDF: the objects catalog and pages, and
 * pages' one kid, page (all reserved by the caller; page is the caller's to write). */
void test_pdf_page_tree(pdf_writer *w, int catalog, int pages, int page);

#ifdef TEST_WITH_LIBPNG
/* libpng's error handler for test_write_png: the test fails, naming the file. */
static inline void test_png_failed(png_structp png, png_const_charp msg)
{
    fail_msg("libpng cannot write %s: %s", (const char *)png_get_error_ptr(png), msg);
}

/* Write a PNG file at path: body(png, info, arg) sets the header (png_set_IHDR…) and writes the
 * image; an error of libpng's fails the test. */
static inline void test_write_png(const char *path,
                                  void (*body)(png_structp, png_infop, const void *),
                                  const void *arg)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, (png_voidp)path, test_png_failed, NULL);
    png_infop info = png_create_info_struct(png);
    assert_true(png && info);
    png_init_io(png, f);
    body(png, info, arg);
    png_destroy_write_struct(&png, &info);
    assert_int_equal(fclose(f), 0);
}
#endif

#endif
