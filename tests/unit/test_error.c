/* Errors as values: sh_fail / sh_fail_errno fill status and message and return the status,
 * accept a NULL err, truncate long messages safely at SH_ERROR_MAX - 1; sh_error_clear. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An sh_error followed by guard bytes, so that a write past the end of msg is seen. */
typedef struct {
    sh_error err;
    unsigned char guard[64];
} guarded_error;

static guarded_error *guarded_new(void)
{
    guarded_error *g = malloc(sizeof *g);
    assert_non_null(g);
    memset(g, 0x5a, sizeof *g);
    return g;
}

static void assert_guard_intact(const guarded_error *g)
{
    for (size_t i = 0; i < sizeof g->guard; i++)
        if (g->guard[i] != 0x5a)
            fail_msg("byte %zu after sh_error.msg was overwritten", i);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void fail_fills_status_and_message_and_returns_status(void **state)
{
    (void)state;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = sh_fail(&err, SH_INPUT, "cannot open %s (page %d)", "hồ sơ 01.pdf", 3);
    assert_int_equal(st, SH_INPUT);
    assert_int_equal(err.status, SH_INPUT);
    assert_string_equal(err.msg, "cannot open hồ sơ 01.pdf (page 3)");
}

static void fail_replaces_a_previous_error(void **state)
{
    (void)state;
    sh_error err;
    sh_error_clear(&err);
    sh_fail(&err, SH_INTERNAL, "a first, much longer message about something else");
    assert_int_equal(sh_fail(&err, SH_USAGE, "second"), SH_USAGE);
    assert_int_equal(err.status, SH_USAGE);
    assert_string_equal(err.msg, "second");
}

static void fail_accepts_null_err(void **state)
{
    (void)state;
    assert_int_equal(sh_fail(NULL, SH_USAGE, "ignored %s", "text"), SH_USAGE);
    assert_int_equal(sh_fail(NULL, SH_FINDINGS, "ignored"), SH_FINDINGS);
    assert_int_equal(sh_fail_errno(NULL, SH_INPUT, ENOENT, "ignored %d", 1), SH_INPUT);
}

static void fail_errno_appends_strerror_of_errnum(void **state)
{
    (void)state;
    sh_error err;
    sh_error_clear(&err);
    errno = EACCES; /* the errnum argument counts, not whatever errno holds now */
    sh_status st = sh_fail_errno(&err, SH_INPUT, ENOENT, "cannot open %s", "a.pdf");
    assert_int_equal(st, SH_INPUT);
    assert_int_equal(err.status, SH_INPUT);
    char expected[512];
    snprintf(expected, sizeof expected, "cannot open a.pdf: %s", strerror(ENOENT));
    assert_string_equal(err.msg, expected);
}

static void long_message_is_truncated_safely(void **state)
{
    (void)state;
    char *big = repeat('x', 3 * SH_ERROR_MAX);
    guarded_error *g = guarded_new();
    assert_int_equal(sh_fail(&g->err, SH_INTERNAL, "%s-end", big), SH_INTERNAL);
    assert_int_equal(g->err.status, SH_INTERNAL);
    assert_int_equal(strlen(g->err.msg), SH_ERROR_MAX - 1);
    assert_memory_equal(g->err.msg, big, SH_ERROR_MAX - 1);
    assert_guard_intact(g);
    free(g);
    free(big);
}

static void long_errno_message_is_truncated_safely(void **state)
{
    (void)state;
    /* The caller's text alone fills the buffer: strerror has no room left. */
    char *big = repeat('y', 3 * SH_ERROR_MAX);
    guarded_error *g = guarded_new();
    assert_int_equal(sh_fail_errno(&g->err, SH_INPUT, ENOSPC, "%s", big), SH_INPUT);
    assert_int_equal(strlen(g->err.msg), SH_ERROR_MAX - 1);
    assert_memory_equal(g->err.msg, big, SH_ERROR_MAX - 1);
    assert_guard_intact(g);
    free(g);
    free(big);

    /* The text almost fills it: strerror is cut, the message still ends inside the buffer. */
    char *near = repeat('z', SH_ERROR_MAX - 5);
    g = guarded_new();
    sh_fail_errno(&g->err, SH_INPUT, ENOSPC, "%s", near);
    assert_int_equal(strlen(g->err.msg), SH_ERROR_MAX - 1);
    assert_memory_equal(g->err.msg, near, SH_ERROR_MAX - 5);
    assert_memory_equal(g->err.msg + SH_ERROR_MAX - 5, ": ", 2);
    assert_memory_equal(g->err.msg + SH_ERROR_MAX - 3, strerror(ENOSPC), 2);
    assert_guard_intact(g);
    free(g);
    free(near);
}

static void message_of_exactly_max_minus_one_is_kept_whole(void **state)
{
    (void)state;
    char *fits = repeat('w', SH_ERROR_MAX - 1);
    guarded_error *g = guarded_new();
    sh_fail(&g->err, SH_USAGE, "%s", fits);
    assert_string_equal(g->err.msg, fits);
    assert_guard_intact(g);
    free(g);
    free(fits);
}

static void error_clear_resets_status_and_message(void **state)
{
    (void)state;
    sh_error err;
    sh_fail(&err, SH_INTERNAL, "disk full");
    sh_error_clear(&err);
    assert_int_equal(err.status, SH_OK);
    assert_string_equal(err.msg, "");
    sh_error_clear(NULL); /* accepted */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fail_fills_status_and_message_and_returns_status),
        cmocka_unit_test(fail_replaces_a_previous_error),
        cmocka_unit_test(fail_accepts_null_err),
        cmocka_unit_test(fail_errno_appends_strerror_of_errnum),
        cmocka_unit_test(long_message_is_truncated_safely),
        cmocka_unit_test(long_errno_message_is_truncated_safely),
        cmocka_unit_test(message_of_exactly_max_minus_one_is_kept_whole),
        cmocka_unit_test(error_clear_resets_status_and_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
