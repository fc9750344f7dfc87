/* A fixed set of worker threads over a bounded ring of tasks. */
#include "core/core.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    sh_task_fn fn;
    void *arg;
} pool_task;

struct sh_pool {
    pthread_mutex_t lock;
    pthread_cond_t has_task; /* workers wait here */
    pthread_cond_t has_room; /* submitters wait here when the ring is full */
    pthread_cond_t all_done; /* sh_pool_wait waits here */
    pool_task *ring;
    size_t cap, head, count;
    size_t running; /* tasks taken by a worker and not yet finished */
    bool stopping;
    int nthreads;
    pthread_t *threads;
};

int sh_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void *worker(void *p)
{
    sh_pool *pool = p;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->count == 0 && !pool->stopping)
            pthread_cond_wait(&pool->has_task, &pool->lock);
        if (pool->count == 0 && pool->stopping)
            break;
        pool_task t = pool->ring[pool->head];
        pool->head = (pool->head + 1) % pool->cap;
        pool->count--;
        pool->running++;
        pthread_cond_signal(&pool->has_room);
        pthread_mutex_unlock(&pool->lock);

        t.fn(t.arg);

        pthread_mutex_lock(&pool->lock);
        pool->running--;
        if (pool->count == 0 && pool->running == 0)
            pthread_cond_broadcast(&pool->all_done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

sh_pool *sh_pool_new(int threads, sh_error *err)
{
    if (threads <= 0)
        threads = sh_cpu_count();
    sh_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        sh_fail(err, SH_INTERNAL, _("out of memory"));
        return NULL;
    }
    /* A few tasks per worker keeps them busy without letting a producer run far ahead. */
    pool->cap = (size_t)threads * 4;
    pool->ring = calloc(pool->cap, sizeof *pool->ring);
    pool->threads = calloc((size_t)threads, sizeof *pool->threads);
    if (!pool->ring || !pool->threads) {
        free(pool->ring);
        free(pool->threads);
        free(pool);
        sh_fail(err, SH_INTERNAL, _("out of memory"));
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->has_task, NULL);
    pthread_cond_init(&pool->has_room, NULL);
    pthread_cond_init(&pool->all_done, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0) {
            pool->nthreads = i;
            sh_pool_free(pool);
            sh_fail(err, SH_INTERNAL, _("cannot start worker threads"));
            return NULL;
        }
    }
    pool->nthreads = threads;
    return pool;
}

sh_status sh_pool_submit(sh_pool *pool, sh_task_fn fn, void *arg, sh_error *err)
{
    pthread_mutex_lock(&pool->lock);
    while (pool->count == pool->cap && !pool->stopping)
        pthread_cond_wait(&pool->has_room, &pool->lock);
    if (pool->stopping) {
        pthread_mutex_unlock(&pool->lock);
        return sh_fail(err, SH_INTERNAL, "thread pool: submit after stop");
    }
    pool->ring[(pool->head + pool->count) % pool->cap] = (pool_task){fn, arg};
    pool->count++;
    pthread_cond_signal(&pool->has_task);
    pthread_mutex_unlock(&pool->lock);
    return SH_OK;
}

void sh_pool_wait(sh_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    while (pool->count > 0 || pool->running > 0)
        pthread_cond_wait(&pool->all_done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

void sh_pool_free(sh_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->has_task);
    pthread_cond_broadcast(&pool->has_room);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->has_task);
    pthread_cond_destroy(&pool->has_room);
    pthread_cond_destroy(&pool->all_done);
    free(pool->ring);
    free(pool->threads);
    free(pool);
}

int sh_pool_threads(const sh_pool *pool) { return pool->nthreads; }
