/* Spatial index tests: every query is checked against a brute-force scan of
 * the same boxes. Data come from a fixed-seed PRNG so a failure reproduces;
 * a failing query prints its number and box. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "data/index.h"

/* Overridable so a valgrind run can use fewer; CI runs the full count. */
#ifndef QUERY_COUNT
#define QUERY_COUNT 100000
#endif

#define NPOINTS  10000
#define NPOLYS   5000
#define NTHREADS 4

static const bbox_t world = {-180, -90, 180, 90};

static double rnd_range(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * rnd_unit(s);
}

static size_t rnd_below(uint64_t *s, size_t n)
{
    return (size_t)(rnd_u64(s) % n);
}

/* Half the points sit on a whole-degree grid, so integer query edges land
 * exactly on them; some are exact duplicates of earlier points. */
static bbox_t *make_points(uint64_t *s, size_t n)
{
    bbox_t *b = malloc(n * sizeof(*b));
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        double x = rnd_range(s, world.minx, world.maxx), y = rnd_range(s, world.miny, world.maxy);
        if (rnd_u64(s) & 1) x = round(x), y = round(y);
        b[i] = (bbox_t){x, y, x, y};
        if (i > 0 && rnd_below(s, 20) == 0) b[i] = b[rnd_below(s, i)];
    }
    return b;
}

/* Boxes from 1e-5 to ~30 % of the world, including lines, points and boxes
 * that stick out of the world. */
static bbox_t *make_polys(uint64_t *s, size_t n)
{
    bbox_t *b = malloc(n * sizeof(*b));
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        double cx = rnd_range(s, world.minx, world.maxx), cy = rnd_range(s, world.miny, world.maxy);
        double w = 360 * pow(10, rnd_range(s, -5, -0.5)), h = 180 * pow(10, rnd_range(s, -5, -0.5));
        switch (rnd_below(s, 10)) {
        case 0:
            w = 0;
            break;
        case 1:
            h = 0;
            break;
        case 2:
            w = h = 0;
            break;
        case 3:
            cx = round(cx), cy = round(cy), w = round(w), h = round(h);
            break;
        default:
            break;
        }
        b[i] = (bbox_t){cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
    }
    return b;
}

static bbox_t box_at(uint64_t *s, double max_side)
{
    double x = rnd_range(s, -200, 200), y = rnd_range(s, -100, 100);
    return (bbox_t){x, y, x + rnd_range(s, 0, max_side), y + rnd_range(s, 0, max_side)};
}

/* A box entirely beyond one side of the world. */
static bbox_t box_outside(uint64_t *s)
{
    double a = rnd_range(s, 0.001, 50), b = rnd_range(s, -300, 300);
    switch (rnd_below(s, 4)) {
    case 0:
        return (bbox_t){world.maxx + a, b, world.maxx + 2 * a, b + a};
    case 1:
        return (bbox_t){world.minx - 2 * a, b, world.minx - a, b + a};
    case 2:
        return (bbox_t){b, world.maxy + a, b + a, world.maxy + 2 * a};
    default:
        return (bbox_t){b, world.miny - 2 * a, b + a, world.miny - a};
    }
}

/* A box sharing exactly one edge or corner with item b, or one that misses
 * it by the smallest representable gap. */
static bbox_t box_touching(uint64_t *s, bbox_t b)
{
    double w = rnd_range(s, 0, 10), lo = b.miny - rnd_range(s, 0, 5),
           hi = b.maxy + rnd_range(s, 0, 5);
    switch (rnd_below(s, 6)) {
    case 0:
        return (bbox_t){b.maxx, lo, b.maxx + w, hi};
    case 1:
        return (bbox_t){b.minx - w, lo, b.minx, hi};
    case 2:
        return (bbox_t){b.minx - w, b.maxy, b.maxx + w, b.maxy + w};
    case 3:
        return (bbox_t){b.minx - w, b.miny - w, b.maxx + w, b.miny};
    case 4:
        return (bbox_t){b.maxx, b.maxy, b.maxx + w, b.maxy + w};
    default:
        return (bbox_t){nextafter(b.maxx, INFINITY), lo, b.maxx + w + 1, hi};
    }
}

/* Mostly small and medium boxes, as a map server sees; the rarer kinds pin
 * down edges, misses and whole-world requests. */
static bbox_t random_query(uint64_t *s, const bbox_t *items, size_t n)
{
    bbox_t item = items[rnd_below(s, n)], q;
    switch (rnd_below(s, 16)) {
    case 0:
    case 1:
    case 2:
        return box_at(s, 0.5);
    case 3:
    case 4:
    case 5:
        return box_at(s, 5);
    case 6:
    case 7:
        return box_at(s, 60);
    case 8:
        return box_at(s, 400);
    case 9:
        q = world, q.minx -= rnd_range(s, 0, 1), q.maxy += rnd_range(s, 0, 1);
        return q;
    case 10:
        return box_outside(s);
    case 11: /* zero area, on an item's corner */
        return (bbox_t){item.maxx, item.miny, item.maxx, item.miny};
    case 12: /* zero width */
        q = box_at(s, 30), q.maxx = q.minx;
        return q;
    case 13:
    case 14:
        return box_touching(s, item);
    default:
        q = box_at(s, 20);
        return (bbox_t){round(q.minx), round(q.miny), round(q.maxx), round(q.maxy)};
    }
}

static size_t brute_force(const bbox_t *items, size_t n, bbox_t q, uint32_t *out)
{
    size_t k = 0;
    /* bbox_intersects spelled with & so it compiles branch-free: hits are
     * random, and the oracle must stay cheap enough for 100,000 queries. */
    for (size_t i = 0; i < n; i++) {
        const bbox_t *b = &items[i];
        out[k] = (uint32_t)i;
        k += (b->minx <= q.maxx) & (q.minx <= b->maxx) & (b->miny <= q.maxy) & (q.miny <= b->maxy);
    }
    return k;
}

static int count_visit(uint32_t id, void *arg)
{
    (void)id;
    ++*(size_t *)arg;
    return 0;
}

/* Asserts the index reports exactly the brute-force id set, sorted; returns
 * its size. */
static size_t expect_same(const index_t *ix, const bbox_t *items, size_t n, bbox_t q,
                          uint32_t *scratch, size_t qno)
{
    uint32_t *ids = NULL;
    size_t want = brute_force(items, n, q, scratch), visits = 0;
    size_t got = index_query_ids(ix, q, &ids);
    int same =
        got == want && (want == 0 ? ids == NULL : !memcmp(ids, scratch, want * sizeof(*ids)));
    free(ids);
    if (!same) {
        print_error("query %zu (%.17g %.17g %.17g %.17g): index %zu ids, brute force %zu\n", qno,
                    q.minx, q.miny, q.maxx, q.maxy, got, want);
        fail();
    }
    assert_int_equal(index_query(ix, q, count_visit, &visits), want);
    assert_int_equal(visits, want);
    return want;
}

struct mix {
    size_t none, all, some;
};

/* Runs `count` random queries; the returned mix lets callers check that
 * misses, full covers and partial hits were all exercised. */
static struct mix check_random_queries(const bbox_t *items, size_t n, uint64_t seed, size_t count)
{
    uint32_t *scratch = malloc(n * sizeof(*scratch));
    index_t *ix = index_create(items, n);
    struct mix m = {0, 0, 0};
    assert_non_null(scratch);
    assert_non_null(ix);
    assert_int_equal(index_count(ix), n);
    for (size_t i = 0; i < count; i++) {
        size_t k = expect_same(ix, items, n, random_query(&seed, items, n), scratch, i);
        m.none += k == 0, m.all += k == n, m.some += k > 0 && k < n;
    }
    assert_true(m.none > 0 && m.all > 0);
    index_destroy(ix);
    free(scratch);
    return m;
}

static void expect_varied(struct mix m, size_t count)
{
    assert_true(m.none > count / 50);
    assert_true(m.all > count / 50);
    assert_true(m.some > count / 3);
}

static void test_points_match_brute_force(void **state)
{
    uint64_t seed = 1;
    bbox_t *pts = make_points(&seed, NPOINTS);
    (void)state;
    expect_varied(check_random_queries(pts, NPOINTS, 101, QUERY_COUNT), QUERY_COUNT);
    free(pts);
}

static void test_polys_match_brute_force(void **state)
{
    uint64_t seed = 2;
    bbox_t *polys = make_polys(&seed, NPOLYS);
    (void)state;
    expect_varied(check_random_queries(polys, NPOLYS, 202, QUERY_COUNT), QUERY_COUNT);
    free(polys);
}

/* Sizes around multiples and powers of the node size stress the level
 * arithmetic: partial last nodes, single-child roots. */
static void test_many_sizes_match_brute_force(void **state)
{
    static const size_t sizes[] = {2,   3,   15,  16,  17,  31,   32,   33,   255,
                                   256, 257, 271, 272, 273, 4095, 4096, 4097, 4113};
    uint64_t seed = 3;
    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        bbox_t *items = i % 2 ? make_points(&seed, sizes[i]) : make_polys(&seed, sizes[i]);
        check_random_queries(items, sizes[i], 300 + i, 2000);
        free(items);
    }
}

static void test_empty_index(void **state)
{
    bbox_t b = {0, 0, 1, 1};
    uint32_t *ids = (uint32_t *)&b;
    size_t visits = 0;
    index_t *ix = index_create(NULL, 0);
    (void)state;
    assert_non_null(ix);
    assert_int_equal(index_count(ix), 0);
    assert_int_equal(index_query(ix, world, count_visit, &visits), 0);
    assert_int_equal(visits, 0);
    assert_int_equal(index_query_ids(ix, world, &ids), 0);
    assert_null(ids);
    assert_null(index_destroy(ix));

    ix = index_create(&b, 0);
    assert_non_null(ix);
    assert_int_equal(index_query(ix, b, count_visit, &visits), 0);
    index_destroy(ix);
}

static size_t query_ids(const index_t *ix, bbox_t q, uint32_t *first)
{
    uint32_t *ids = NULL;
    size_t n = index_query_ids(ix, q, &ids);
    *first = n > 0 ? ids[0] : UINT32_MAX;
    free(ids);
    return n;
}

static void test_single_item(void **state)
{
    bbox_t b = {1, 2, 3, 4};
    index_t *ix = index_create(&b, 1);
    uint32_t id;
    (void)state;
    assert_non_null(ix);
    assert_int_equal(index_count(ix), 1);
    assert_int_equal(query_ids(ix, (bbox_t){2, 3, 2.5, 3.5}, &id), 1);
    assert_int_equal(id, 0);
    assert_int_equal(query_ids(ix, (bbox_t){0, 0, 10, 10}, &id), 1);
    assert_int_equal(query_ids(ix, (bbox_t){3, 4, 5, 5}, &id), 1);  /* corner */
    assert_int_equal(query_ids(ix, (bbox_t){-1, 0, 1, 2}, &id), 1); /* corner */
    assert_int_equal(query_ids(ix, (bbox_t){3, 4, 3, 4}, &id), 1);  /* point */
    assert_int_equal(query_ids(ix, (bbox_t){nextafter(3, 4), 0, 5, 5}, &id), 0);
    assert_int_equal(query_ids(ix, (bbox_t){-5, -5, 0.5, 10}, &id), 0);
    index_destroy(ix);

    b = (bbox_t){7, 7, 7, 7}; /* a point item */
    ix = index_create(&b, 1);
    assert_int_equal(query_ids(ix, b, &id), 1);
    assert_int_equal(query_ids(ix, (bbox_t){7, 0, 7, 6.999}, &id), 0);
    assert_int_equal(query_ids(ix, (bbox_t){0, 7, 7, 7}, &id), 1);
    index_destroy(ix);
}

static void expect_all_ids(const index_t *ix, bbox_t q, size_t n)
{
    uint32_t *ids = NULL;
    assert_int_equal(index_query_ids(ix, q, &ids), n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], i);
    free(ids);
}

static void test_all_duplicates(void **state)
{
    enum { N = 1000 };
    bbox_t boxes[N], pts[N];
    uint32_t id;
    (void)state;
    for (size_t i = 0; i < N; i++)
        boxes[i] = (bbox_t){10, 20, 30, 40}, pts[i] = (bbox_t){-5, 5, -5, 5};
    index_t *ix = index_create(boxes, N);
    assert_non_null(ix);
    expect_all_ids(ix, world, N);
    expect_all_ids(ix, (bbox_t){30, 40, 31, 41}, N);
    expect_all_ids(ix, (bbox_t){15, 25, 15, 25}, N);
    assert_int_equal(query_ids(ix, (bbox_t){31, 0, 40, 50}, &id), 0);
    index_destroy(ix);

    ix = index_create(pts, N);
    assert_non_null(ix);
    expect_all_ids(ix, (bbox_t){-5, 5, -5, 5}, N);
    expect_all_ids(ix, (bbox_t){-6, 5, -5, 6}, N);
    assert_int_equal(query_ids(ix, (bbox_t){-5, 5.5, -5, 6}, &id), 0);
    index_destroy(ix);
}

/* Zero-width or zero-height extents make the Hilbert mapping degenerate;
 * results must not depend on it. */
static void test_degenerate_extents(void **state)
{
    enum { N = 3000 };
    bbox_t *items = malloc(N * sizeof(*items));
    uint64_t seed = 4;
    (void)state;
    assert_non_null(items);
    for (size_t i = 0; i < N; i++) {
        double y = round(rnd_range(&seed, -90, 90));
        items[i] = (bbox_t){5, y, 5, y};
    }
    check_random_queries(items, N, 401, 3000);
    for (size_t i = 0; i < N; i++) {
        double x = rnd_range(&seed, -180, 180);
        items[i] = (bbox_t){x, 0, x + rnd_range(&seed, 0, 3), 0};
    }
    check_random_queries(items, N, 402, 3000);
    free(items);
}

/* Empty, NaN and infinite boxes: the index must agree with bbox_intersects
 * on them rather than crash or lose neighbours. */
static void test_odd_boxes(void **state)
{
    enum { N = 2000 };
    uint64_t seed = 5;
    bbox_t *items = make_polys(&seed, N);
    uint32_t *scratch = malloc(N * sizeof(*scratch));
    (void)state;
    assert_non_null(scratch);
    for (size_t i = 0; i < N; i += 97) {
        items[i] = bbox_empty();
        items[i + 1].minx = NAN;
        items[i + 2] = (bbox_t){-INFINITY, 0, INFINITY, 1};
    }
    index_t *ix = index_create(items, N);
    assert_non_null(ix);
    for (size_t i = 0; i < 2000; i++)
        expect_same(ix, items, N, random_query(&seed, items, N), scratch, i);
    expect_same(ix, items, N, (bbox_t){-INFINITY, -INFINITY, INFINITY, INFINITY}, scratch, 0);
    assert_int_equal(expect_same(ix, items, N, bbox_empty(), scratch, 0), 0);
    assert_int_equal(expect_same(ix, items, N, (bbox_t){NAN, 0, 1, 1}, scratch, 0), 0);
    index_destroy(ix);
    free(scratch);
    free(items);
}

struct stopper {
    size_t calls, stop_after;
    uint32_t seen[64];
};

static int stop_visit(uint32_t id, void *arg)
{
    struct stopper *st = arg;
    st->seen[st->calls++] = id;
    return st->calls >= st->stop_after;
}

static void test_early_stop(void **state)
{
    static const size_t stops[] = {1, 2, 15, 16, 17, 33, 64};
    uint64_t seed = 6;
    bbox_t *pts = make_points(&seed, 10000);
    index_t *ix = index_create(pts, 10000);
    (void)state;
    assert_non_null(ix);
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        struct stopper st = {0, stops[i], {0}};
        assert_int_equal(index_query(ix, world, stop_visit, &st), stops[i]);
        assert_int_equal(st.calls, stops[i]);
        for (size_t a = 0; a < st.calls; a++) {
            assert_true(st.seen[a] < 10000);
            for (size_t b = a + 1; b < st.calls; b++)
                assert_int_not_equal(st.seen[a], st.seen[b]);
        }
    }
    index_destroy(ix);
    free(pts);
}

static void test_destroy_null(void **state)
{
    (void)state;
    assert_null(index_destroy(NULL));
    assert_int_equal(index_count(NULL), 0);
}

static void test_boxes_are_copied(void **state)
{
    bbox_t boxes[40];
    uint32_t id;
    (void)state;
    for (size_t i = 0; i < 40; i++)
        boxes[i] = (bbox_t){(double)i, 0, i + 0.5, 1};
    index_t *ix = index_create(boxes, 40);
    for (size_t i = 0; i < 40; i++)
        boxes[i] = (bbox_t){1000, 1000, 1001, 1001};
    assert_int_equal(query_ids(ix, (bbox_t){12.25, 0.5, 12.25, 0.5}, &id), 1);
    assert_int_equal(id, 12);
    assert_int_equal(query_ids(ix, (bbox_t){999, 999, 2000, 2000}, &id), 0);
    index_destroy(ix);
}

struct reader {
    const index_t *ix;
    const bbox_t *items;
    size_t n, mismatches;
    uint64_t seed;
};

/* cmocka asserts are not thread-safe: readers only count mismatches. */
static void *reader_main(void *arg)
{
    struct reader *r = arg;
    for (size_t i = 0; i < 2000; i++) {
        bbox_t q = random_query(&r->seed, r->items, r->n);
        size_t want = 0, got = 0;
        for (size_t k = 0; k < r->n; k++)
            want += bbox_intersects(r->items[k], q);
        r->mismatches += index_query(r->ix, q, count_visit, &got) != want || got != want;
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    uint64_t seed = 7;
    bbox_t *pts = make_points(&seed, 10000);
    index_t *ix = index_create(pts, 10000);
    pthread_t th[NTHREADS];
    struct reader rd[NTHREADS];
    size_t started = 0;
    (void)state;
    assert_non_null(ix);
    for (; started < NTHREADS; started++) {
        rd[started] = (struct reader){ix, pts, 10000, 0, 700 + started};
        if (pthread_create(&th[started], NULL, reader_main, &rd[started]) != 0) break;
    }
    /* Join before asserting: a failed assert must not leave readers running
     * on freed data. */
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(started, NTHREADS);
    for (size_t i = 0; i < NTHREADS; i++)
        assert_int_equal(rd[i].mismatches, 0);
    index_destroy(ix);
    free(pts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_destroy_null),
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_single_item),
        cmocka_unit_test(test_all_duplicates),
        cmocka_unit_test(test_boxes_are_copied),
        cmocka_unit_test(test_early_stop),
        cmocka_unit_test(test_degenerate_extents),
        cmocka_unit_test(test_odd_boxes),
        cmocka_unit_test(test_many_sizes_match_brute_force),
        cmocka_unit_test(test_points_match_brute_force),
        cmocka_unit_test(test_polys_match_brute_force),
        cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
