/* Helpers shared by the cmocka unit tests. */
#ifndef SOHOA_TESTUTIL_H
#define SOHOA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/core.h"

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
/* A whole file's bytes (g_free), failing the test when it cannot be read. */
char *test_slurp(const char *path, size_t *len);
/* Join a folder and a name; g_free() the result. */
char *test_path(const char *dir, const char *name);

#endif
