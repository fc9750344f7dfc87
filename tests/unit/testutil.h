/* Helpers shared by the cmocka unit tests. */
#ifndef SOHOA_TESTUTIL_H
#define SOHOA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
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
/* Join a folder and a name; g_free() the result. */
char *test_path(const char *dir, const char *name);

#endif
