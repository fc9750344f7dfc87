/* The progress bar, drawn into a memory stream: nothing at all when disabled; when enabled the
 * final line reads "label [####] 100% N/N" followed by a newline; a total of 0 and adds beyond
 * the total are handled; concurrent adds from many threads are all counted. A line printed
 * while the bar is shown (sh_progress_suspend/resume, and sh_warn) starts on a blanked line and
 * the bar is drawn again after it; the percentage never goes back when the total grows; on a
 * pseudo-terminal the frame fits the terminal's width; a bar of bytes shows sizes, the rate and
 * the time left. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <glib.h>

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

/* Bytes (sh_progress_set_bytes): sizes, then the rate measured from the first count (a resumed
 * upload's jump is not speed) and the time left at that rate. GLib's sizes have a no-break space
 * before the unit. */
static void a_bytes_bar_shows_sizes_rate_and_time_left(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "Uploading", 2000000);
    sh_progress_set_bytes(p);
    sh_progress_add(p, 500000); /* the jump: drawn without a rate */
    fflush(m.f);
    assert_string_equal(last_frame(&m) + strlen("Uploading [") + 30,
                        "]  25% 500.0\xc2\xa0kB/2.0\xc2\xa0MB");
    g_usleep(600000);
    sh_progress_add(p, 500000); /* 500 kB in 0.6 s: about 830 kB/s, 1.2 s left */
    sh_progress_done(p);
    memout_close(&m);
    const char *frame = last_frame(&m);
    assert_non_null(strstr(frame, "]  50% 1.0\xc2\xa0MB/2.0\xc2\xa0MB "));
    assert_non_null(strstr(frame, "\xc2\xa0kB/s 0:01\n"));
    free(m.buf);
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

/* The visible text of each terminal line the output leaves: what follows the last '\r' before
 * each '\n' (and at the end). */
static char **visible_lines(const char *out)
{
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *cr = strrchr(*l, '\r');
        if (cr)
            memmove(*l, cr + 1, strlen(cr + 1) + 1);
    }
    return lines;
}

/* Every percentage drawn, in order. */
static GArray *percentages(const char *out)
{
    GArray *all = g_array_new(FALSE, FALSE, sizeof(int));
    for (const char *p = strchr(out, '%'); p; p = strchr(p + 1, '%')) {
        const char *q = p;
        while (q > out && (q[-1] == ' ' || g_ascii_isdigit(q[-1])))
            q--;
        int v = atoi(q);
        g_array_append_val(all, v);
    }
    return all;
}

static void a_line_printed_under_the_bar_starts_on_a_blank_line(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "Checking pages", 793);
    sh_progress_add(p, 7); /* the first add draws */
    sh_progress_suspend();
    fprintf(m.f, "93.000.036.001.015/012345678901_NguyenVanA/ — FAILED\n");
    sh_progress_resume();
    sh_progress_suspend(); /* nested, as sh_warn inside a caller's pair */
    sh_progress_suspend();
    fprintf(m.f, "second line\n");
    sh_progress_resume();
    sh_progress_resume();
    sh_progress_add(p, 786);
    sh_progress_done(p);
    memout_close(&m);
    /* Nothing runs into the bar: "7/793.000.036…" was the bug. */
    assert_null(strstr(m.buf, "7/79393"));
    char **lines = visible_lines(m.buf);
    assert_string_equal(lines[0], "93.000.036.001.015/012345678901_NguyenVanA/ — FAILED");
    assert_string_equal(lines[1], "second line");
    check_frame(lines[2], "Checking pages", 100, 793, 793, "");
    assert_string_equal(lines[3], "");
    assert_null(lines[4]);
    g_strfreev(lines);
    /* The frame was blanked with as many spaces as it is wide, then drawn again below. */
    const char *frame_end = strstr(m.buf, "7/793");
    assert_non_null(frame_end);
    frame_end += strlen("7/793");
    size_t width = (size_t)(frame_end - (m.buf + 1));
    assert_int_equal(frame_end[0], '\r');
    assert_int_equal(strspn(frame_end + 1, " "), width);
    assert_int_equal(frame_end[1 + width], '\r');
    const char *after = strstr(m.buf, "FAILED\n") + strlen("FAILED\n");
    assert_memory_equal(after, "\rChecking pages [", strlen("\rChecking pages ["));
    free(m.buf);
}

static void a_message_is_never_printed_into_the_bar(void **state)
{
    (void)state;
    /* sh_warn writes to stderr: point stderr at a file and draw the bar there too. */
    char *dir = test_tmpdir("progress");
    char *path = g_build_filename(dir, "stderr.txt", NULL);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
    sh_log_level before = sh_log_get_level();
    sh_log_set_level(SH_LOG_NORMAL);
    sh_progress *p = sh_progress_new_on(stderr, true, "sign", 4);
    sh_progress_add(p, 1);
    sh_warn("the stamp is placed lower");
    sh_progress_add(p, 3);
    sh_progress_done(p);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    sh_log_set_level(before);
    gchar *out = NULL;
    assert_true(g_file_get_contents(path, &out, NULL, NULL));
    char **lines = visible_lines(out);
    assert_string_equal(lines[0], "warning: the stamp is placed lower");
    check_frame(lines[1], "sign", 100, 4, 4, "");
    g_strfreev(lines);
    g_free(out);
    g_free(path);
    test_rmtree(dir);
    g_free(dir);
}

static void the_percentage_never_goes_back_when_the_total_grows(void **state)
{
    (void)state;
    memout m;
    memout_open(&m);
    sh_progress *p = sh_progress_new_on(m.f, true, "pages", 10);
    sh_progress_add(p, 5); /* 50% */
    sh_progress_grow(p, 10);
    sh_progress_suspend(); /* resume draws at once, whatever the time since the last frame */
    sh_progress_resume();
    assert_int_equal(fflush(m.f), 0);
    check_frame(last_frame(&m), "pages", 50, 5, 20, ""); /* 25% by count: 50% stays */
    sh_progress_add(p, 9);
    sh_progress_suspend();
    sh_progress_resume();
    assert_int_equal(fflush(m.f), 0);
    /* The rest of the bar stands for the rest of the work: 50 + 50 × 9/15. */
    check_frame(last_frame(&m), "pages", 80, 14, 20, "");
    sh_progress_grow(p, 1000);
    sh_progress_add(p, 1);
    sh_progress_suspend();
    sh_progress_resume();
    sh_progress_add(p, 1005);
    sh_progress_done(p);
    memout_close(&m);
    GArray *all = percentages(m.buf);
    assert_true(all->len >= 4);
    for (guint i = 1; i < all->len; i++)
        if (g_array_index(all, int, i) < g_array_index(all, int, i - 1))
            fail_msg("the percentage went back from %d to %d: %s", g_array_index(all, int, i - 1),
                     g_array_index(all, int, i), m.buf);
    assert_int_equal(g_array_index(all, int, all->len - 1), 100);
    g_array_free(all, TRUE);
    free(m.buf);
}

/* Draw on a pseudo-terminal `cols` wide; returns what the terminal received. */
static char *draw_on_pty(int cols, const char *label)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    struct termios t;
    assert_int_equal(tcgetattr(slave, &t), 0);
    cfmakeraw(&t); /* bytes as written: no "\n" → "\r\n" */
    assert_int_equal(tcsetattr(slave, TCSANOW, &t), 0);
    struct winsize ws = {.ws_row = 24, .ws_col = (unsigned short)cols};
    assert_int_equal(ioctl(slave, TIOCSWINSZ, &ws), 0);
    FILE *f = fdopen(slave, "w");
    assert_non_null(f);
    sh_progress *p = sh_progress_new_on(f, true, label, 1000);
    sh_progress_add(p, 500);
    sh_progress_done(p);
    fclose(f);
    GString *got = g_string_new(NULL);
    char buf[4096];
    int flags = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, flags | O_NONBLOCK);
    for (;;) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0)
            break;
        g_string_append_len(got, buf, n);
    }
    close(master);
    return g_string_free(got, FALSE);
}

static void the_frame_fits_a_narrow_terminal(void **state)
{
    (void)state;
    static const struct {
        int cols;
        bool bar;
    } CASES[] = {{80, true}, {60, true}, {50, false}, {30, false}, {12, false}, {4, false}};
    const char *label = "Đang kiểm tra các trang"; /* 23 characters, 31 bytes */
    for (size_t i = 0; i < G_N_ELEMENTS(CASES); i++) {
        char *out = draw_on_pty(CASES[i].cols, label);
        char **lines = visible_lines(out);
        assert_non_null(lines[0]);
        for (char **l = lines; *l; l++) {
            glong w = g_utf8_strlen(*l, -1);
            if (w > CASES[i].cols - 1)
                fail_msg("%d columns: a frame of %ld: \"%s\"", CASES[i].cols, w, *l);
        }
        assert_true(g_utf8_validate(out, -1, NULL));
        assert_non_null(strstr(lines[0], CASES[i].cols > 12 ? "50% 500/1000" : "50%"));
        assert_int_equal(strchr(lines[0], '[') != NULL, CASES[i].bar);
        if (CASES[i].cols == 80)
            check_frame(lines[0], label, 50, 500, 1000, "");
        g_strfreev(lines);
        g_free(out);
    }
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
        cmocka_unit_test(a_line_printed_under_the_bar_starts_on_a_blank_line),
        cmocka_unit_test(a_message_is_never_printed_into_the_bar),
        cmocka_unit_test(the_percentage_never_goes_back_when_the_total_grows),
        cmocka_unit_test(the_frame_fits_a_narrow_terminal),
        cmocka_unit_test(null_is_accepted),
        cmocka_unit_test(a_bytes_bar_shows_sizes_rate_and_time_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
