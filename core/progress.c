/* A one-line progress bar on stderr, redrawn at most ten times a second. */
#include "core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define REDRAW_NS 100000000LL

struct sh_progress {
    FILE *out;
    bool enabled;
    char label[64];
    uint64_t total, done;
    int64_t last_draw_ns;
    pthread_mutex_t lock;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

sh_progress *sh_progress_new_on(FILE *out, bool enabled, const char *label, uint64_t total)
{
    sh_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL; /* a progress bar is never worth failing a command for */
    p->out = out;
    p->enabled = enabled;
    p->total = total;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

sh_progress *sh_progress_new(const char *label, uint64_t total)
{
    bool on = isatty(STDERR_FILENO) && sh_log_get_level() != SH_LOG_QUIET;
    return sh_progress_new_on(stderr, on, label, total);
}

static void draw(sh_progress *p)
{
    uint64_t done = p->done > p->total ? p->total : p->done;
    int filled = p->total ? (int)(done * BAR_WIDTH / p->total) : BAR_WIDTH;
    int percent = p->total ? (int)(done * 100 / p->total) : 100;
    char bar[BAR_WIDTH + 1];
    memset(bar, '#', (size_t)filled);
    memset(bar + filled, '.', (size_t)(BAR_WIDTH - filled));
    bar[BAR_WIDTH] = '\0';
    fprintf(p->out, "\r%s [%s] %3d%% %llu/%llu", p->label, bar, percent, (unsigned long long)done,
            (unsigned long long)p->total);
    fflush(p->out);
}

void sh_progress_add(sh_progress *p, uint64_t n)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->done += n;
    if (p->enabled) {
        int64_t t = now_ns();
        if (t - p->last_draw_ns >= REDRAW_NS) {
            p->last_draw_ns = t;
            draw(p);
        }
    }
    pthread_mutex_unlock(&p->lock);
}

void sh_progress_grow(sh_progress *p, uint64_t n)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->total += n;
    pthread_mutex_unlock(&p->lock);
}

void sh_progress_done(sh_progress *p)
{
    if (!p)
        return;
    if (p->enabled) {
        draw(p);
        fputc('\n', p->out);
        fflush(p->out);
    }
    pthread_mutex_destroy(&p->lock);
    free(p);
}
