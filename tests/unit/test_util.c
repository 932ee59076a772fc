/* The utilities the hardening rests on: UTF-8 checks and repair, the JSON
 * and URL writers, the request arena, the bounded worker pool and the
 * Prometheus writer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/pool.h"
#include "util/stats.h"
#include "testutil.h"
#include "util/text.h"

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int valid;
    } cases[] = {
        {"", 1},
        {"Ormož, Őriszentpéter, Fürstenfeld", 1},
        {"\xe2\x82\xac", 1},         /* € */
        {"\xf0\x9f\x97\xba", 1},     /* U+1F5FA, a map */
        {"\xf4\x8f\xbf\xbf", 1},     /* U+10FFFF */
        {"\xc3", 0},                 /* truncated */
        {"\xc3\x28", 0},             /* bad continuation */
        {"\xc0\xaf", 0},             /* overlong '/' */
        {"\xe0\x80\xaf", 0},         /* overlong, 3 bytes */
        {"\xed\xa0\x80", 0},         /* surrogate D800 */
        {"\xf4\x90\x80\x80", 0},     /* above U+10FFFF */
        {"\xf8\x88\x80\x80\x80", 0}, /* 5-byte form */
        {"\xff", 0},
        {"abc\x80", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (text_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].valid)
            fail_msg("case %zu: want %d", i, cases[i].valid);
    char *r = text_utf8_repair("a\xff"
                               "b\xc3\x28"
                               "Ž");
    assert_string_equal(r, "a\xef\xbf\xbd"
                           "b\xef\xbf\xbd(Ž");
    assert_true(text_utf8_valid(r, strlen(r)));
    free(r);
}

/* Random bytes through buf_json_string always give a JSON string that
 * jansson reads back (equal to the input where the input was UTF-8). */
static void test_json_string(void **state)
{
    (void)state;
    uint64_t seed = 7;
    for (int round = 0; round < 20000; round++) {
        char in[24];
        size_t n = 1 + rnd_u64(&seed) % (sizeof(in) - 1);
        for (size_t i = 0; i < n - 1; i++) {
            unsigned c = (unsigned)(rnd_u64(&seed) % 256);
            in[i] = (char)(c ? c : 'x');
        }
        in[n - 1] = '\0';
        buf_t b = BUF_INIT;
        buf_puts(&b, "[");
        buf_json_string(&b, in);
        buf_puts(&b, "]");
        json_error_t err;
        json_t *v = json_loads(b.data, 0, &err);
        if (v == NULL) fail_msg("round %d: not JSON: %s (%s)", round, b.data, err.text);
        if (text_utf8_valid(in, strlen(in)))
            assert_string_equal(json_string_value(json_array_get(v, 0)), in);
        json_decref(v);
        buf_free(&b);
    }
    buf_t b = BUF_INIT;
    buf_json_string(&b, "q\"\\\n\t\x01/");
    assert_string_equal(b.data, "\"q\\\"\\\\\\n\\t\\u0001/\"");
    buf_free(&b);
}

static void test_url_encode(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_url_encode(&b, "AT/22 Ormož?&=#");
    assert_string_equal(b.data, "AT%2F22%20Ormo%C5%BE%3F%26%3D%23");
    buf_free(&b);
}

/* Items as typed, empty ones kept, a trailing comma ends the list. */
static void test_list_next(void **state)
{
    (void)state;
    const char *cur = "SI,,Ormož,AT,", *item;
    const char *want[] = {"SI", "", "Ormož", "AT"};
    size_t len, n = 0;
    while ((item = text_list_next(&cur, &len))) {
        assert_true(n < 4);
        assert_int_equal(len, strlen(want[n]));
        assert_memory_equal(item, want[n], len);
        n++;
    }
    assert_int_equal(n, 4);
    cur = NULL;
    assert_null(text_list_next(&cur, &len));
    cur = "";
    assert_null(text_list_next(&cur, &len));
}

static void test_arena(void **state)
{
    (void)state;
    arena_t a = ARENA_INIT;
    char *first = arena_strndup(&a, "Ptuj", 4);
    for (int i = 0; i < 1000; i++) { /* many chunks, all aligned */
        void *p = arena_alloc(&a, (size_t)(i % 97) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        memset(p, 0xab, (size_t)(i % 97) + 1);
    }
    void *big = arena_alloc(&a, 100000); /* larger than a chunk */
    assert_non_null(big);
    memset(big, 0, 100000);
    assert_string_equal(first, "Ptuj"); /* untouched by later allocations */
    char nul[] = {'a', 0, 'b'};
    char *copy = arena_strndup(&a, nul, 3);
    assert_memory_equal(copy, nul, 3);
    assert_int_equal(copy[3], 0);
    arena_free(&a);
    assert_null(a.chunks);
}

/* A job that holds its worker until released. */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open, started, finished;
} gate_t;

static void gated_job(void *arg)
{
    gate_t *g = arg;
    pthread_mutex_lock(&g->lock);
    g->started++;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    g->finished++;
    pthread_mutex_unlock(&g->lock);
}

static void test_pool_bounded(void **state)
{
    (void)state;
    gate_t g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    pool_config_t cfg = {.threads = 1, .max_queue = 2, .nice = 5, .name = "test"};
    pool_t *p = pool_create(&cfg);
    assert_non_null(p);
    assert_int_equal(pool_submit(p, gated_job, &g), POOL_OK);
    pthread_mutex_lock(&g.lock); /* wait until the worker holds the first */
    while (g.started == 0)
        pthread_cond_wait(&g.cond, &g.lock);
    pthread_mutex_unlock(&g.lock);
    assert_int_equal(pool_submit(p, gated_job, &g), POOL_OK);
    assert_int_equal(pool_submit(p, gated_job, &g), POOL_OK);
    assert_int_equal(pool_submit(p, gated_job, &g), POOL_FULL); /* 2 wait already */
    pool_stats_t s;
    pool_get_stats(p, &s);
    assert_int_equal(s.queued, 2);
    assert_int_equal(s.running, 1);
    assert_int_equal(s.refused, 1);
    assert_int_equal(s.max_queue, 2);
    pthread_mutex_lock(&g.lock);
    g.open = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    pool_stop(p); /* runs what was queued */
    assert_int_equal(g.finished, 3);
    assert_int_equal(pool_submit(p, gated_job, &g), POOL_STOPPED);
    pool_get_stats(p, &s);
    assert_int_equal(s.done, 3);
    pool_destroy(p);
}

static void test_prometheus(void **state)
{
    (void)state;
    stats_hist_t h = {0};
    stats_hist_add(&h, 300000);      /* 0.3 ms */
    stats_hist_add(&h, 2000000);     /* 2 ms */
    stats_hist_add(&h, 40000000000); /* 40 s: beyond the last bound */
    assert_int_equal(stats_hist_count(&h), 3);
    buf_t b = BUF_INIT;
    stats_write_family(&b, "x_seconds", "histogram", "Test.");
    stats_write_hist(&b, "x_seconds", "route=\"/a\"", &h);
    assert_non_null(strstr(b.data, "# TYPE x_seconds histogram\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{route=\"/a\",le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{route=\"/a\",le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{route=\"/a\",le=\"30\"} 2\n"));
    assert_non_null(strstr(b.data, "x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(b.data, "x_seconds_count{route=\"/a\"} 3\n"));
    assert_non_null(strstr(b.data, "x_seconds_sum{route=\"/a\"} 40.002300000\n"));
    buf_free(&b);
    stats_label_value(&b, "a\"b\\c\nd");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\"");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),       cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_url_encode), cmocka_unit_test(test_list_next),
        cmocka_unit_test(test_arena),      cmocka_unit_test(test_pool_bounded),
        cmocka_unit_test(test_prometheus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
