/* The progress bar, drawn into a memory stream: nothing at all when disabled; when enabled the
 * final line reads "label [####] 100% N/N" followed by a newline; a total of 0 and adds beyond
 * the total are handled; concurrent adds from many threads are all counted. */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    FILE *f;
    char *buf;
    size_t len;
} memout;

static void memout_open(memout *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
}

static void memout_close(memout *m) { assert_int_equal(fclose(m->f), 0); }

/* The text after the last carriage return: what is left on the terminal line. */
static const char *last_frame(const memout *m)
{
    const char *cr = strrchr(m->buf, '\r');
    return cr ? cr + 1 : m->buf;
}

/* Check one frame "label [bar] pct% done/total" plus `tail`; returns the number of '#'. */
static int check_frame(const char *frame, const char *label, int percent, unsigned long long done,
                       unsigned long long total, const char *tail)
{
    size_t llen = strlen(label);
    assert_memory_equal(frame, label, llen);
    assert_memory_equal(frame + llen, " [", 2);
    const char *bar = frame + llen + 2;
    const char *close = strchr(bar, ']');
    assert_non_null(close);
    int hashes = 0;
    for (const char *p = bar; p < close; p++) {
        assert_true(*p == '#' || *p == '.');
        hashes += *p == '#';
    }
    /* The bar is filled in proportion, and never has a '.' before a '#'. */
    for (const char *p = bar; p < bar + hashes; p++)
        assert_int_equal(*p, '#');
    char expect[128];
    snprintf(expect, sizeof expect, "] %3d%% %llu/%llu%s", percent, done, total, tail);
    assert_string_equal(close, expect);
    int width = (int)(close - bar);
    assert_true(width >= 10);
    assert_int_equal(hashes, width * percent / 100);
    return hashes;
}

static void disabled_bar_writes_nothing(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, false, "Đang kiểm tra", 10);
    assert_non_null(p);
    for (int i = 0; i < 10; i++)
        sh_progress_add(p, 1);
    sh_progress_done(p);
    memout_close(&m);
    assert_int_equal(m.len, 0);
    free(m.buf);
}

static void done_draws_the_full_bar_and_ends_the_line(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "validate", 7);
    assert_non_null(p);
    for (int i = 0; i < 7; i++)
        sh_progress_add(p, 1);
    sh_progress_done(p);
    memout_close(&m);
    assert_true(m.len > 0);
    assert_int_equal(m.buf[m.len - 1], '\n');
    assert_non_null(strchr(m.buf, '\r')); /* redrawn in place */
    const char *frame = last_frame(&m);
    int width = (int)(strchr(frame, ']') - strchr(frame, '[') - 1);
    assert_int_equal(check_frame(frame, "validate", 100, 7, 7, "\n"), width);
    free(m.buf);
}

static void first_add_draws_a_partial_bar(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "sign", 4);
    assert_non_null(p);
    sh_progress_add(p, 2);
    assert_int_equal(fflush(m.f), 0);
    /* Only one frame so far, without a newline. */
    assert_int_equal(m.buf[0], '\r');
    check_frame(m.buf + 1, "sign", 50, 2, 4, "");
    sh_progress_add(p, 2);
    sh_progress_done(p);
    memout_close(&m);
    check_frame(last_frame(&m), "sign", 100, 4, 4, "\n");
    free(m.buf);
}

static void total_zero_does_not_divide_by_zero(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "empty", 0);
    assert_non_null(p);
    sh_progress_add(p, 0);
    sh_progress_done(p);
    memout_close(&m);
    check_frame(last_frame(&m), "empty", 100, 0, 0, "\n");
    free(m.buf);
}

static void adding_beyond_the_total_clamps_at_100_percent(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "over", 10);
    assert_non_null(p);
    sh_progress_add(p, 25);
    sh_progress_add(p, 5);
    sh_progress_done(p);
    memout_close(&m);
    /* No frame may ever show more than 100% or more than the total. */
    assert_null(strstr(m.buf, "250%"));
    assert_null(strstr(m.buf, "300%"));
    assert_null(strstr(m.buf, "25/10"));
    assert_null(strstr(m.buf, "30/10"));
    check_frame(last_frame(&m), "over", 100, 10, 10, "\n");
    free(m.buf);
}

typedef struct {
    sh_progress *p;
    int adds;
} adder_arg;

static void *adder(void *p)
{
    adder_arg *a = p;
    for (int i = 0; i < a->adds; i++)
        sh_progress_add(a->p, 1);
    return NULL;
}

static void concurrent_adds_reach_the_exact_total(void **state)
{
    (void)state;
    enum { THREADS = 8, ADDS = 2000 };
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "threads", THREADS * ADDS);
    assert_non_null(p);
    pthread_t t[THREADS];
    adder_arg a = {p, ADDS};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, adder, &a), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    sh_progress_done(p);
    memout_close(&m);
    check_frame(last_frame(&m), "threads", 100, THREADS * ADDS, THREADS * ADDS, "\n");
    free(m.buf);
}

static void concurrent_adds_below_the_total_are_all_counted(void **state)
{
    (void)state;
    /* Half of the total: a lost update would show as less than 50%. */
    enum { THREADS = 8, ADDS = 1000 };
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "half", 2 * THREADS * ADDS);
    assert_non_null(p);
    pthread_t t[THREADS];
    adder_arg a = {p, ADDS};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, adder, &a), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    sh_progress_done(p);
    memout_close(&m);
    check_frame(last_frame(&m), "half", 50, THREADS * ADDS, 2 * THREADS * ADDS, "\n");
    free(m.buf);
}

static void null_is_accepted(void **state)
{
    (void)state;
    sh_progress_add(NULL, 1);
    sh_progress_done(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(disabled_bar_writes_nothing),
        cmocka_unit_test(done_draws_the_full_bar_and_ends_the_line),
        cmocka_unit_test(first_add_draws_a_partial_bar),
        cmocka_unit_test(total_zero_does_not_divide_by_zero),
        cmocka_unit_test(adding_beyond_the_total_clamps_at_100_percent),
        cmocka_unit_test(concurrent_adds_reach_the_exact_total),
        cmocka_unit_test(concurrent_adds_below_the_total_are_all_counted),
        cmocka_unit_test(null_is_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
