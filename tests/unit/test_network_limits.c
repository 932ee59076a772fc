/* The bounds on one request's network work: deadlines that stop builds,
 * metrics and writers (ERR_TIMEOUT), the cap on ties (ERR_TOOBIG, before
 * building when the model says how many), the cap on output bytes, the
 * estimates the service refuses with before any work, and town lookups by
 * name that do not scan every town. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "network/graph.h"
#include "network/network.h"
#include "network/network_out.h"
#include "testutil.h"
#include "util/clock.h"

#define N 1500

static layer_t *towns;
static network_source_t src;

/* A deadline that has passed already (0 would mean none). */
static const deadline_t PASSED = {1};

static int setup(void **state)
{
    (void)state;
    towns = synth_towns(N, 2024, 97);
    src = (network_source_t){towns, NULL, 0, 1, -1, -1, NULL};
    return towns ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    layer_destroy(towns);
    return 0;
}

static network_params_t params_of(const char *model, const char *k, const char *km)
{
    network_params_t p;
    error_t err = {0};
    if (network_params_parse(&p, model, k, km, NULL, NULL, &err) != ERR_OK)
        fail_msg("%s: %s", model, err.message);
    return p;
}

/* Builds under limits; returns the status, err holding the message. */
static int build_limited(const char *model, const char *k, const char *km, network_limits_t limits,
                         network_t **net, error_t *err)
{
    network_params_t p = params_of(model, k, km);
    *err = (error_t){0};
    return network_build_limited(&src, &p, &limits, net, err);
}

static void expect_phrase(const error_t *err, const char *phrase)
{
    if (strstr(err->message, phrase) == NULL) fail_msg("'%s' lacks '%s'", err->message, phrase);
}

static void test_builds_stop_at_the_deadline(void **state)
{
    (void)state;
    static const char *const models[][3] = {{"complete", NULL, NULL}, {"knn", "3", NULL},
                                            {"within", NULL, "5"},    {"mst", NULL, NULL},
                                            {"delaunay", NULL, NULL}, {"gabriel", NULL, NULL},
                                            {"rng", NULL, NULL}};
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        network_t *net = (network_t *)1;
        error_t err;
        int rc = build_limited(models[i][0], models[i][1], models[i][2],
                               (network_limits_t){PASSED, 0, 0}, &net, &err);
        if (rc != ERR_TIMEOUT) fail_msg("%s: %d (%s)", models[i][0], rc, err.message);
        assert_null(net);
        expect_phrase(&err, "did not finish");
        expect_phrase(&err, models[i][0]);
    }
}

/* A build that would run for a minute and take gigabytes (every pair of
 * 20,000 towns within 50 km: some 40 million ties) stops soon after its
 * deadline. */
static void test_a_long_build_stops_in_time(void **state)
{
    (void)state;
    layer_t *many = synth_towns(20000, 7, 0);
    assert_non_null(many);
    network_source_t big = {many, NULL, 0, 1, -1, -1, NULL};
    network_params_t p = params_of("within", NULL, "50");
    network_limits_t lim = {deadline_in(0.3), 0, 0};
    network_t *net = (network_t *)1;
    error_t err = {0};
    int64_t t0 = clock_now_ns();
    assert_int_equal(network_build_limited(&big, &p, &lim, &net, &err), ERR_TIMEOUT);
    double s = (double)(clock_now_ns() - t0) / 1e9;
    print_message("within 50 km on 20,000 towns stopped after %.3f s: %s\n", s, err.message);
    assert_null(net);
    assert_true(s < 2.0);
    layer_destroy(many);
}

static void test_ties_cap(void **state)
{
    (void)state;
    network_t *net = (network_t *)1;
    error_t err;
    /* complete: known in advance, refused before any tie is made */
    assert_int_equal(
        build_limited("complete", NULL, NULL, (network_limits_t){{0}, 1000, 0}, &net, &err),
        ERR_TOOBIG);
    assert_null(net);
    expect_phrase(&err, "would have 1124250 ties");
    /* knn: at least n k / 2 */
    assert_int_equal(build_limited("knn", "5", NULL, (network_limits_t){{0}, 3000, 0}, &net, &err),
                     ERR_TOOBIG);
    expect_phrase(&err, "would have at least 3750 ties");
    /* within: unknown in advance, stopped while building */
    assert_int_equal(
        build_limited("within", NULL, "20", (network_limits_t){{0}, 5000, 0}, &net, &err),
        ERR_TOOBIG);
    assert_null(net);
    expect_phrase(&err, "more than 5000 ties");
    assert_int_equal(
        build_limited("delaunay", NULL, NULL, (network_limits_t){{0}, N, 0}, &net, &err),
        ERR_TOOBIG);
    /* exactly at the limit is fine */
    assert_int_equal(
        build_limited("mst", NULL, NULL, (network_limits_t){{0}, N - 1, 0}, &net, &err), ERR_OK);
    assert_int_equal(net->nedges, N - 1);
    network_unref(net);
}

/* The bounds the service refuses with before building hold for what the
 * build makes. */
static void test_estimates_bound_the_ties(void **state)
{
    (void)state;
    static const char *const models[][3] = {
        {"complete", NULL, NULL}, {"knn", "1", NULL},  {"knn", "6", NULL},
        {"within", NULL, "8"},    {"mst", NULL, NULL}, {"delaunay", NULL, NULL},
        {"gabriel", NULL, NULL},  {"rng", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        network_params_t p = params_of(models[i][0], models[i][1], models[i][2]);
        network_estimate_t e = network_estimate(&src, &p);
        network_t *net = NULL;
        error_t err = {0};
        assert_int_equal(network_build(&src, &p, &net, &err), ERR_OK);
        assert_int_equal(e.nodes, net->nnodes);
        if (!(e.ties_min <= (double)net->nedges && (double)net->nedges <= e.ties_max))
            fail_msg("%s: %zu ties outside %.0f..%.0f", models[i][0], net->nedges, e.ties_min,
                     e.ties_max);
        network_unref(net);
    }
    network_params_t p;
    error_t err = {0};
    assert_int_equal(network_params_parse(&p, "complete", NULL, NULL, "true", "SI", &err), 0);
    network_estimate_t e = network_estimate(&src, &p);
    assert_true(e.nodes > 0 && e.nodes < N);
    assert_true(e.ties_min == 0); /* cross_border=true may drop any */
}

static network_t *with_metrics(const char *model)
{
    network_params_t p = params_of(model, NULL, NULL);
    network_t *net = NULL;
    error_t err = {0};
    assert_int_equal(network_build(&src, &p, &net, &err), ERR_OK);
    assert_int_equal(network_metrics(net), ERR_OK);
    return net;
}

static void test_writers_keep_to_limits(void **state)
{
    (void)state;
    network_t *net = with_metrics("gabriel");
    buf_t b = BUF_INIT;
    assert_int_equal(network_write_geojson_limited(&b, net, NULL), ERR_OK);
    double est = network_geojson_bytes(net);
    print_message("GeoJSON of %zu ties: %zu bytes, estimated %.0f\n", net->nedges, b.len, est);
    assert_true(est >= (double)b.len && est < 1.5 * (double)b.len);
    size_t full = b.len;
    buf_free(&b);

    network_limits_t small = {{0}, 0, full / 10};
    assert_int_equal(network_write_geojson_limited(&b, net, &small), ERR_TOOBIG);
    assert_true(b.len > full / 10 && b.len < full / 5); /* stopped soon after the limit */
    buf_free(&b);
    network_limits_t late = {PASSED, 0, 0};
    assert_int_equal(network_write_geojson_limited(&b, net, &late), ERR_TIMEOUT);
    buf_free(&b);

    assert_int_equal(network_write_metrics_limited(&b, net, NULL), ERR_OK);
    est = network_metrics_bytes(net);
    assert_true(est >= (double)b.len && est < 1.5 * (double)b.len);
    full = b.len;
    buf_free(&b);
    small.max_bytes = full / 2;
    assert_int_equal(network_write_metrics_limited(&b, net, &small), ERR_TOOBIG);
    buf_free(&b);
    assert_int_equal(network_write_metrics_limited(&b, net, &late), ERR_TIMEOUT);
    buf_free(&b);
    network_unref(net);
}

static void test_distances_keep_to_limits(void **state)
{
    (void)state;
    uint32_t *from = NULL, *to = NULL;
    size_t nfrom, nto;
    error_t err = {0};
    assert_int_equal(
        network_find_nodes(&src, "town 1,town 2,Town 3,17,town 1499", &from, &nfrom, &err), ERR_OK);
    assert_int_equal(network_find_nodes(&src, NULL, &to, &nto, &err), ERR_OK);
    static const distances_format_t formats[] = {DISTANCES_JSON, DISTANCES_CSV,
                                                 DISTANCES_CSV_PAIRS};
    for (size_t f = 0; f < 3; f++) {
        buf_t b = BUF_INIT;
        assert_int_equal(
            network_write_distances_limited(&b, &src, from, nfrom, to, nto, formats[f], NULL),
            ERR_OK);
        double est = network_distances_bytes(&src, from, nfrom, to, nto, formats[f]);
        print_message("distances format %d: %zu bytes, estimated %.0f\n", (int)formats[f], b.len,
                      est);
        assert_true(est >= (double)b.len && est < 1.5 * (double)b.len);
        size_t full = b.len;
        buf_free(&b);
        network_limits_t small = {{0}, 0, full / 3};
        assert_int_equal(
            network_write_distances_limited(&b, &src, from, nfrom, to, nto, formats[f], &small),
            ERR_TOOBIG);
        buf_free(&b);
        network_limits_t late = {PASSED, 0, 0};
        assert_int_equal(
            network_write_distances_limited(&b, &src, from, nfrom, to, nto, formats[f], &late),
            ERR_TIMEOUT);
        buf_free(&b);
    }
    free(from);
    free(to);
}

static void test_metrics_stop_at_the_deadline(void **state)
{
    (void)state;
    network_t *net = NULL;
    network_params_t p = params_of("delaunay", NULL, NULL);
    error_t err = {0};
    assert_int_equal(network_build(&src, &p, &net, &err), ERR_OK);
    assert_int_equal(network_metrics_until(net, PASSED), ERR_TIMEOUT);
    assert_null(net->metrics); /* nothing kept: a later call tries again */
    assert_int_equal(network_metrics_until(net, DEADLINE_NONE), ERR_OK);
    assert_non_null(net->metrics);
    network_unref(net);
}

/* The name index finds exactly what the scan of every town finds. */
static void test_names_index_equals_scan(void **state)
{
    (void)state;
    network_source_t indexed = src;
    assert_int_equal(network_names_index(&indexed), ERR_OK);
    char name[64];
    for (int i = 0; i < N + 20; i += 7) {
        snprintf(name, sizeof(name), i % 2 ? "TOWN %d" : "town %d", i);
        assert_int_equal(network_find_node(&indexed, name), network_find_node(&src, name));
    }
    static const char *const odd[] = {"", "town", "town 5 ", "17", "Town 1499", "town 10000"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        assert_int_equal(network_find_node(&indexed, odd[i]), network_find_node(&src, odd[i]));
    assert_int_equal(network_find_node(&indexed, "town 5"), 5);
    network_names_free(&indexed);
    assert_null(indexed.names);
}

static void test_graph_metrics_deadline(void **state)
{
    (void)state;
    /* A 40,000-node grid: all-pairs metrics take many seconds. */
    const uint32_t side = 200, n = side * side;
    graph_edge_t *e = malloc(2 * (size_t)n * sizeof(*e));
    size_t m = 0;
    for (uint32_t y = 0; y < side; y++)
        for (uint32_t x = 0; x < side; x++) {
            uint32_t v = y * side + x;
            if (x + 1 < side) e[m++] = (graph_edge_t){v, v + 1, 1.0 + (v % 7) * 0.1};
            if (y + 1 < side) e[m++] = (graph_edge_t){v, v + side, 1.0 + (v % 5) * 0.1};
        }
    graph_node_metrics_t *nm = calloc(n, sizeof(*nm));
    assert_int_equal(graph_metrics_until(n, e, m, nm, NULL, PASSED), ERR_TIMEOUT);
    int64_t t0 = clock_now_ns();
    assert_int_equal(graph_metrics_until(n, e, m, nm, NULL, deadline_in(0.2)), ERR_TIMEOUT);
    double s = (double)(clock_now_ns() - t0) / 1e9;
    print_message("metrics of a %u-node grid stopped after %.3f s\n", n, s);
    assert_true(s < 1.5);
    free(nm);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builds_stop_at_the_deadline),
        cmocka_unit_test(test_a_long_build_stops_in_time),
        cmocka_unit_test(test_ties_cap),
        cmocka_unit_test(test_estimates_bound_the_ties),
        cmocka_unit_test(test_writers_keep_to_limits),
        cmocka_unit_test(test_distances_keep_to_limits),
        cmocka_unit_test(test_metrics_stop_at_the_deadline),
        cmocka_unit_test(test_names_index_equals_scan),
        cmocka_unit_test(test_graph_metrics_deadline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
