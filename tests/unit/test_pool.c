/* The thread pool: every submitted task runs exactly once, sh_pool_wait returns only when all of
 * them have finished, the pool can be reused after a wait, sh_pool_free drains what is queued,
 * threads <= 0 means one per core, and the queue is bounded (a producer blocks in
 * sh_pool_submit instead of queueing without limit). */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ---- every task exactly once ---- */

typedef struct {
    atomic_int *runs; /* one slot per task */
    atomic_int *total;
    int index;
} count_arg;

static void count_task(void *p)
{
    count_arg *a = p;
    atomic_fetch_add(&a->runs[a->index], 1);
    atomic_fetch_add(a->total, 1);
}

static void ten_thousand_tasks_each_run_exactly_once(void **state)
{
    (void)state;
    enum { N = 10000 };
    atomic_int *runs = calloc(N, sizeof *runs);
    count_arg *args = calloc(N, sizeof *args);
    assert_non_null(runs);
    assert_non_null(args);
    atomic_int total = 0;
    sh_error err = {0};
    sh_pool *pool = sh_pool_new(4, &err);
    assert_non_null(pool);
    for (int i = 0; i < N; i++) {
        args[i] = (count_arg){runs, &total, i};
        assert_int_equal(sh_pool_submit(pool, count_task, &args[i], &err), SH_OK);
    }
    sh_pool_wait(pool);
    assert_int_equal(atomic_load(&total), N);
    for (int i = 0; i < N; i++)
        assert_int_equal(atomic_load(&runs[i]), 1);
    sh_pool_free(pool);
    free(args);
    free(runs);
}

/* ---- waiting ---- */

static atomic_int slow_finished;

static void slow_task(void *p)
{
    sleep_ms((long)(intptr_t)p);
    atomic_fetch_add(&slow_finished, 1);
}

static void wait_returns_only_after_every_task_finished(void **state)
{
    (void)state;
    sh_error err = {0};
    sh_pool *pool = sh_pool_new(3, &err);
    assert_non_null(pool);
    atomic_store(&slow_finished, 0);
    for (int i = 0; i < 30; i++)
        assert_int_equal(sh_pool_submit(pool, slow_task, (void *)(intptr_t)(2 + i % 5), &err),
                         SH_OK);
    sh_pool_wait(pool);
    /* Read at once: a wait that returned early would see unfinished tasks here. */
    assert_int_equal(atomic_load(&slow_finished), 30);
    /* Also when nothing is left in the queue and every task is already running. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(sh_pool_submit(pool, slow_task, (void *)(intptr_t)50, &err), SH_OK);
    sleep_ms(10);
    sh_pool_wait(pool);
    assert_int_equal(atomic_load(&slow_finished), 33);
    sh_pool_free(pool);
}

static void wait_on_an_idle_pool_returns(void **state)
{
    (void)state;
    sh_pool *pool = sh_pool_new(2, NULL);
    assert_non_null(pool);
    sh_pool_wait(pool);
    sh_pool_wait(pool);
    sh_pool_free(pool);
}

static void pool_is_reusable_after_wait(void **state)
{
    (void)state;
    sh_error err = {0};
    sh_pool *pool = sh_pool_new(2, &err);
    assert_non_null(pool);
    atomic_store(&slow_finished, 0);
    for (int round = 1; round <= 3; round++) {
        for (int i = 0; i < 10; i++)
            assert_int_equal(sh_pool_submit(pool, slow_task, (void *)(intptr_t)1, &err), SH_OK);
        sh_pool_wait(pool);
        assert_int_equal(atomic_load(&slow_finished), round * 10);
    }
    sh_pool_free(pool);
}

static void free_runs_the_tasks_still_queued(void **state)
{
    (void)state;
    sh_error err = {0};
    sh_pool *pool = sh_pool_new(2, &err);
    assert_non_null(pool);
    atomic_store(&slow_finished, 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(sh_pool_submit(pool, slow_task, (void *)(intptr_t)1, &err), SH_OK);
    sh_pool_free(pool); /* "Wait, then stop the workers" */
    assert_int_equal(atomic_load(&slow_finished), 20);
}

/* ---- thread count ---- */

static void zero_or_negative_threads_means_one_per_core(void **state)
{
    (void)state;
    assert_true(sh_cpu_count() >= 1);
    sh_pool *pool = sh_pool_new(0, NULL);
    assert_non_null(pool);
    assert_int_equal(sh_pool_threads(pool), sh_cpu_count());
    sh_pool_free(pool);
    pool = sh_pool_new(-3, NULL);
    assert_non_null(pool);
    assert_int_equal(sh_pool_threads(pool), sh_cpu_count());
    sh_pool_free(pool);
}

static void explicit_thread_count_is_used(void **state)
{
    (void)state;
    sh_pool *pool = sh_pool_new(3, NULL);
    assert_non_null(pool);
    assert_int_equal(sh_pool_threads(pool), 3);
    sh_pool_free(pool);
}

/* ---- bounded queue ---- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    atomic_bool entered;  /* the worker is inside the blocking task */
    atomic_int ran;       /* tasks finished */
    atomic_int submitted; /* sh_pool_submit calls that returned */
    sh_pool *pool;
    int to_submit;
} gate;

static void gated_task(void *p)
{
    gate *g = p;
    atomic_store(&g->entered, true);
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    atomic_fetch_add(&g->ran, 1);
}

static void *submitter(void *p)
{
    gate *g = p;
    for (int i = 0; i < g->to_submit; i++) {
        if (sh_pool_submit(g->pool, gated_task, g, NULL) != SH_OK)
            break;
        atomic_fetch_add(&g->submitted, 1);
    }
    return NULL;
}

static void submit_blocks_when_the_queue_is_full(void **state)
{
    (void)state;
    enum { THREADS = 1, TOTAL = 40 };
    gate g = {.open = false, .to_submit = TOTAL};
    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.cond, NULL);
    g.pool = sh_pool_new(THREADS, NULL);
    assert_non_null(g.pool);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, submitter, &g), 0);

    /* Let the worker take the first task and the producer run as far as it can. */
    for (int i = 0; i < 2000 && !atomic_load(&g.entered); i++)
        sleep_ms(1);
    assert_true(atomic_load(&g.entered));
    /* Wait (at most 5 s) until the count of submits stops growing for 200 ms. */
    int settled = -1;
    for (int i = 0; i < 25; i++) {
        int before = atomic_load(&g.submitted);
        sleep_ms(200);
        if (atomic_load(&g.submitted) == before) {
            settled = before;
            break;
        }
    }
    /* The producer is blocked with one task taken by the worker and at most threads*4
     * waiting in the queue, not all of them queued. */
    assert_true(settled >= 1);
    assert_true(settled <= 1 + THREADS * 4);
    assert_int_equal(atomic_load(&g.ran), 0);

    pthread_mutex_lock(&g.lock);
    g.open = true;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    assert_int_equal(pthread_join(t, NULL), 0);
    sh_pool_wait(g.pool);
    assert_int_equal(atomic_load(&g.submitted), TOTAL);
    assert_int_equal(atomic_load(&g.ran), TOTAL);
    sh_pool_free(g.pool);
    pthread_cond_destroy(&g.cond);
    pthread_mutex_destroy(&g.lock);
}

static void free_accepts_null(void **state)
{
    (void)state;
    sh_pool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ten_thousand_tasks_each_run_exactly_once),
        cmocka_unit_test(wait_returns_only_after_every_task_finished),
        cmocka_unit_test(wait_on_an_idle_pool_returns),
        cmocka_unit_test(pool_is_reusable_after_wait),
        cmocka_unit_test(free_runs_the_tasks_still_queued),
        cmocka_unit_test(zero_or_negative_threads_means_one_per_core),
        cmocka_unit_test(explicit_thread_count_is_used),
        cmocka_unit_test(submit_blocks_when_the_queue_is_full),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
