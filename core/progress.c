/* A one-line progress bar on stderr, redrawn at most ten times a second.
 *
 * Other lines written while a bar is on the terminal (results on stdout, messages on stderr)
 * are bracketed by sh_progress_suspend / sh_progress_resume: the bar's line is blanked first, so
 * a line never starts in the middle of the bar ("7/793.000.036…"), and the bar is drawn again
 * below it. One lock serialises drawing for the whole process: worker threads that count pages
 * wait while a line is being printed. The percentage shown never goes back when more work is
 * found on the way (sh_progress_grow); it waits until the count catches up. */
#include "core/core.h"

#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define BAR_MIN_WIDTH 10
#define REDRAW_NS 100000000LL

struct sh_progress {
    FILE *out;
    bool enabled;
    char label[64];
    uint64_t total, done;
    /* When more work is found, the percentage goes on from where it was: from anchor_percent at
     * anchor_done to 100 at the new total, never back. */
    int anchor_percent;
    uint64_t anchor_done;
    int64_t last_draw_ns;
    int shown_percent; /* the highest percentage drawn: never shown lower */
    int columns;       /* of the terminal; 0 when unknown */
    size_t drawn_cols; /* width of the frame on the line now; 0 when the line is clear */
    bool bytes;        /* counts are bytes: sizes, rate and time left (sh_progress_set_bytes) */
    int64_t start_ns;  /* when units were first counted: the rate is measured from there */
    uint64_t start_done;
};

/* Recursive: a message printed through sh_warn inside a suspend/resume pair takes it again. */
static pthread_mutex_t term_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static sh_progress *on_screen; /* the bar whose frame is on its line, or NULL */
static int suspended;          /* depth of sh_progress_suspend */
static bool redraw_on_resume;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int terminal_columns(FILE *out)
{
    struct winsize ws;
    int fd = fileno(out);
    if (fd < 0 || !isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) != 0)
        return 0;
    return ws.ws_col;
}

sh_progress *sh_progress_new_on(FILE *out, bool enabled, const char *label, uint64_t total)
{
    sh_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL; /* a progress bar is never worth failing a command for */
    p->out = out;
    p->enabled = enabled;
    p->total = total;
    p->columns = enabled ? terminal_columns(out) : 0;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    /* A label cut in the middle of a character would not be text. */
    const char *end;
    if (!g_utf8_validate(p->label, -1, &end))
        p->label[end - p->label] = '\0';
    return p;
}

sh_progress *sh_progress_new(const char *label, uint64_t total)
{
    bool on = isatty(STDERR_FILENO) && sh_log_get_level() != SH_LOG_QUIET;
    return sh_progress_new_on(stderr, on, label, total);
}

/* Blank the frame on the line, leaving the cursor at its start. Under term_lock. */
static void erase(sh_progress *p)
{
    if (!p->drawn_cols)
        return;
    fprintf(p->out, "\r%*s\r", (int)p->drawn_cols, "");
    fflush(p->out);
    p->drawn_cols = 0;
}

/* Under term_lock. */
static int current_percent(const sh_progress *p)
{
    uint64_t done = p->done > p->total ? p->total : p->done;
    if (done >= p->total)
        return 100;
    if (done <= p->anchor_done)
        return p->anchor_percent;
    return p->anchor_percent + (int)((uint64_t)(100 - p->anchor_percent) * (done - p->anchor_done) /
                                     (p->total - p->anchor_done));
}

/* "45% 12.3 MB/40.0 MB 2.1 MB/s 0:13": sizes, the rate since the first byte and the time left
 * at that rate (once there is a rate to speak of). Under term_lock. */
static int byte_counts(const sh_progress *p, uint64_t done, int percent, char *out, size_t size)
{
    char *d = g_format_size(done), *t = g_format_size(p->total);
    int n = snprintf(out, size, "%3d%% %s/%s", percent, d, t);
    g_free(d);
    g_free(t);
    double secs = (double)(now_ns() - p->start_ns) / 1e9;
    if (p->start_ns && secs >= 0.5 && done > p->start_done && n > 0 && (size_t)n < size) {
        double rate = (double)(done - p->start_done) / secs;
        char *r = g_format_size((uint64_t)rate);
        uint64_t left = rate > 0 ? (uint64_t)((double)(p->total - done) / rate) : 0;
        n += snprintf(out + n, size - (size_t)n, " %s/s %llu:%02llu", r,
                      (unsigned long long)(left / 60), (unsigned long long)(left % 60));
        g_free(r);
    }
    return n;
}

/* Under term_lock. */
static void draw(sh_progress *p)
{
    uint64_t done = p->done > p->total ? p->total : p->done;
    int percent = current_percent(p);
    if (percent < p->shown_percent)
        percent = p->shown_percent;
    p->shown_percent = percent;
    char counts[128];
    int counts_len = p->bytes ? byte_counts(p, done, percent, counts, sizeof counts)
                              : snprintf(counts, sizeof counts, "%3d%% %llu/%llu", percent,
                                         (unsigned long long)done, (unsigned long long)p->total);
    if (counts_len < 0 || (size_t)counts_len >= sizeof counts || p->bytes)
        counts_len = (int)g_utf8_strlen(counts, -1); /* columns: sizes have a no-break space */
    /* "label [####......] 50% 5/10", narrower on a narrow terminal: a frame that wraps could not
     * be redrawn in place. The last column is left free (some terminals wrap on it). */
    size_t label_cols = (size_t)g_utf8_strlen(p->label, -1), keep = label_cols;
    size_t fixed = label_cols + 4 + (size_t)counts_len;
    int width = BAR_WIDTH;
    if (p->columns > 0) {
        size_t room = (size_t)p->columns - 1;
        if (fixed + BAR_WIDTH > room)
            width = fixed + BAR_MIN_WIDTH <= room ? (int)(room - fixed) : 0;
        if (width == 0 && label_cols + 1 + (size_t)counts_len > room)
            keep = room > (size_t)counts_len + 1 ? room - (size_t)counts_len - 1 : 0;
    }
    int label_bytes = (int)(g_utf8_offset_to_pointer(p->label, (glong)keep) - p->label);
    if (width > 0) {
        int filled = width * percent / 100;
        char bar[BAR_WIDTH + 1];
        memset(bar, '#', (size_t)filled);
        memset(bar + filled, '.', (size_t)(width - filled));
        bar[width] = '\0';
        fprintf(p->out, "\r%.*s [%s] %s", label_bytes, p->label, bar, counts);
        p->drawn_cols = fixed + (size_t)width;
    } else if (keep || p->columns - 1 >= counts_len) {
        fprintf(p->out, "\r%.*s%s%s", label_bytes, p->label, keep ? " " : "", counts);
        p->drawn_cols = keep + (keep ? 1 : 0) + (size_t)counts_len;
    } else { /* a very narrow terminal: the percentage alone */
        int n = fprintf(p->out, "\r%d%%", percent);
        p->drawn_cols = n > 1 ? (size_t)n - 1 : 0;
    }
    fflush(p->out);
    on_screen = p;
}

void sh_progress_add(sh_progress *p, uint64_t n)
{
    if (!p)
        return;
    pthread_mutex_lock(&term_lock);
    p->done += n;
    if (p->bytes && !p->start_ns && n) { /* the first count may be a jump (a resumed upload) */
        p->start_ns = now_ns();
        p->start_done = p->done;
    }
    if (p->enabled && !suspended) {
        int64_t t = now_ns();
        if (t - p->last_draw_ns >= REDRAW_NS) {
            p->last_draw_ns = t;
            draw(p);
        }
    }
    pthread_mutex_unlock(&term_lock);
}

void sh_progress_grow(sh_progress *p, uint64_t n)
{
    if (!p)
        return;
    pthread_mutex_lock(&term_lock);
    /* The rest of the bar now stands for the rest of the work, the new work included. */
    p->anchor_percent = p->total ? current_percent(p) : 0;
    if (p->anchor_percent < p->shown_percent)
        p->anchor_percent = p->shown_percent;
    p->anchor_done = p->done > p->total ? p->total : p->done;
    p->total += n;
    pthread_mutex_unlock(&term_lock);
}

bool sh_progress_shown(const sh_progress *p) { return p && p->enabled; }

void sh_progress_set_bytes(sh_progress *p)
{
    if (p)
        p->bytes = true;
}

void sh_progress_suspend(void)
{
    pthread_mutex_lock(&term_lock); /* held until sh_progress_resume */
    if (suspended++ == 0) {
        redraw_on_resume = on_screen && on_screen->drawn_cols;
        if (on_screen)
            erase(on_screen);
    }
}

void sh_progress_resume(void)
{
    if (suspended > 0 && --suspended == 0 && redraw_on_resume && on_screen) {
        draw(on_screen);
        redraw_on_resume = false;
    }
    pthread_mutex_unlock(&term_lock);
}

void sh_progress_done(sh_progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&term_lock);
    if (p->enabled) {
        draw(p);
        fputc('\n', p->out);
        fflush(p->out);
    }
    if (on_screen == p)
        on_screen = NULL;
    pthread_mutex_unlock(&term_lock);
    free(p);
}
