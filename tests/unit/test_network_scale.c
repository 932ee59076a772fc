/* Networks over 1,500 synthetic towns, where the models take their
 * scalable paths (planar neighbourhood search, MST on Delaunay edges),
 * against brute force over every geodesic pair. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "network/geodesy.h"
#include "network/graph.h"
#include "network/network.h"
#include "testutil.h"

#define N 1500

static layer_t *towns;
static network_source_t src;
static double *km; /* N x N geodesic distances */

static int setup(void **state)
{
    (void)state;
    uint64_t seed = 2024;
    towns = synth_towns(N, seed, 97);
    if (!towns) return -1;
    src = (network_source_t){towns, NULL, 0, 1, -1, -1};
    km = malloc((size_t)N * N * sizeof(double));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            const double *p = towns->features[i].geom->ll, *q = towns->features[j].geom->ll;
            km[i * N + j] = geodesy_inverse(p[0], p[1], q[0], q[1]).metres / 1000;
        }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    layer_destroy(towns);
    free(km);
    return 0;
}

static network_t *build(const char *model, const char *k, const char *kmtext)
{
    network_params_t params;
    network_t *net = NULL;
    error_t err = {0};
    if (network_params_parse(&params, model, k, kmtext, NULL, NULL, &err) != ERR_OK ||
        network_build(&src, &params, &net, &err) != ERR_OK)
        fail_msg("%s: %s", model, err.message);
    assert_int_equal(net->nnodes, N);
    return net;
}

static bool has_edge(const network_t *net, uint32_t a, uint32_t b)
{
    /* edges are sorted by (a, b): binary search */
    size_t lo = 0, hi = net->nedges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const network_edge_t *e = &net->edges[mid];
        if (e->a == a && e->b == b) return true;
        if (e->a < a || (e->a == a && e->b < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void test_mst_on_delaunay_equals_exact(void **state)
{
    (void)state;
    network_t *net = build("mst", NULL, NULL);
    graph_edge_t *tree = NULL;
    size_t m = 0;
    assert_int_equal(graph_mst(N, km, &tree, &m), 0);
    double exact = 0, ours = 0;
    for (size_t i = 0; i < m; i++)
        exact += tree[i].w;
    for (size_t i = 0; i < net->nedges; i++)
        ours += net->edges[i].km;
    assert_int_equal(net->nedges, N - 1);
    assert_near(ours, exact, 1e-6);
    free(tree);
    network_unref(net);
}

static void test_knn_equals_brute_force(void **state)
{
    (void)state;
    const int k = 4;
    network_t *net = build("knn", "4", NULL);
    size_t expected = 0;
    for (uint32_t a = 0; a < N; a++)
        for (uint32_t b = a + 1; b < N; b++) {
            int rank_ab = 0, rank_ba = 0; /* how many come before b for a, and a for b */
            for (uint32_t c = 0; c < N && (rank_ab < k || rank_ba < k); c++) {
                double ac = km[a * N + c], ab = km[a * N + b], bc = km[b * N + c];
                rank_ab += c != a && (ac < ab || (ac == ab && c < b));
                rank_ba += c != b && (bc < ab || (bc == ab && c < a));
            }
            bool tied = rank_ab < k || rank_ba < k;
            if (tied != has_edge(net, a, b))
                fail_msg("knn: %u-%u should%s be tied", a, b, tied ? "" : " not");
            expected += tied;
        }
    assert_int_equal(net->nedges, expected);
    network_unref(net);
}

static void test_within_equals_brute_force(void **state)
{
    (void)state;
    network_t *net = build("within", NULL, "6.5");
    size_t expected = 0;
    for (uint32_t a = 0; a < N; a++)
        for (uint32_t b = a + 1; b < N; b++) {
            bool tied = km[a * N + b] <= 6.5;
            if (tied != has_edge(net, a, b))
                fail_msg("within: %u-%u (%.4f km)", a, b, km[a * N + b]);
            expected += tied;
        }
    assert_int_equal(net->nedges, expected);
    network_unref(net);
}

static void test_complete_is_bounded(void **state)
{
    (void)state;
    network_params_t params;
    network_t *net = (network_t *)1;
    error_t err = {0};
    assert_int_equal(network_params_parse(&params, "complete", NULL, NULL, NULL, NULL, &err), 0);
    /* 1,500 towns are allowed (1,124,250 ties); the limit is documented. */
    assert_int_equal(network_build(&src, &params, &net, &err), ERR_OK);
    assert_int_equal(net->nedges, (size_t)N * (N - 1) / 2);
    network_unref(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mst_on_delaunay_equals_exact),
        cmocka_unit_test(test_knn_equals_brute_force),
        cmocka_unit_test(test_within_equals_brute_force),
        cmocka_unit_test(test_complete_is_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
