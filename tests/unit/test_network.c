/* Networks on the shipped towns: every model's defining property checked
 * independently, parameters refused with clear messages, the cache. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "network/networks.h"
#include "data/dataset.h"
#include "network/geodesy.h"
#include "network/network.h"
#include "data/project.h"
#include "testutil.h"
#include "util/text.h"

static dataset_t *ds;
static const network_source_t *src;

static int setup(void **state)
{
    (void)state;
    ds = load_default_dataset();
    src = ds ? networks_source(ds) : NULL;
    return src ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dataset_unref(ds);
    return 0;
}

static network_t *build(const char *model, const char *k, const char *km, const char *cross,
                        const char *country)
{
    network_params_t params;
    network_t *net = NULL;
    error_t err = {0};
    if (network_params_parse(&params, model, k, km, cross, country, &err) != ERR_OK ||
        network_build(src, &params, &net, &err) != ERR_OK || network_metrics(net) != ERR_OK)
        fail_msg("%s: %s", model, err.message);
    return net;
}

static double km_between(const network_t *net, uint32_t a, uint32_t b)
{
    const double *p = net->nodes_layer->features[net->node_feature[a]].geom->ll;
    const double *q = net->nodes_layer->features[net->node_feature[b]].geom->ll;
    return geodesy_inverse(p[0], p[1], q[0], q[1]).metres / 1000;
}

static bool has_edge(const network_t *net, uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < net->nedges; i++)
        if (net->edges[i].a == (a < b ? a : b) && net->edges[i].b == (a < b ? b : a)) return true;
    return false;
}

static bool subset(const network_t *small, const network_t *big)
{
    for (size_t i = 0; i < small->nedges; i++)
        if (!has_edge(big, small->edges[i].a, small->edges[i].b)) return false;
    return true;
}

static void test_complete_and_within(void **state)
{
    (void)state;
    network_t *all = build("complete", NULL, NULL, NULL, NULL);
    assert_int_equal(all->nnodes, 24);
    assert_int_equal(all->nedges, 276);
    assert_near(all->summary.density, 1.0, 1e-12);
    network_t *near = build("within", NULL, "25", NULL, NULL);
    for (uint32_t a = 0; a < 24; a++)
        for (uint32_t b = a + 1; b < 24; b++)
            assert_int_equal(has_edge(near, a, b), km_between(near, a, b) <= 25);
    assert_true(near->nedges > 0 && near->nedges < 276);
    network_unref(all);
    network_unref(near);
}

static void test_knn(void **state)
{
    (void)state;
    network_t *net = build("knn", "3", NULL, NULL, NULL);
    for (uint32_t a = 0; a < net->nnodes; a++)
        assert_true(net->metrics[a].degree >= 3);
    /* Brute force: the union of everyone's 3 nearest. */
    size_t expected = 0;
    for (uint32_t a = 0; a < 24; a++)
        for (uint32_t b = a + 1; b < 24; b++) {
            int rank_ab = 0, rank_ba = 0;
            for (uint32_t c = 0; c < 24; c++) {
                rank_ab += c != a && (km_between(net, a, c) < km_between(net, a, b) ||
                                      (km_between(net, a, c) == km_between(net, a, b) && c < b));
                rank_ba += c != b && (km_between(net, b, c) < km_between(net, b, a) ||
                                      (km_between(net, b, c) == km_between(net, b, a) && c < a));
            }
            bool tied = rank_ab < 3 || rank_ba < 3;
            assert_int_equal(has_edge(net, a, b), tied);
            expected += tied;
        }
    assert_int_equal(net->nedges, expected);
    network_unref(net);
}

typedef struct pair {
    double km;
    uint32_t a, b;
} pair_t;

static int cmp_pair(const void *x, const void *y)
{
    double d = ((const pair_t *)x)->km - ((const pair_t *)y)->km;
    return (d > 0) - (d < 0);
}

static uint32_t root(uint32_t *parent, uint32_t v)
{
    while (parent[v] != v)
        v = parent[v] = parent[parent[v]];
    return v;
}

/* MST: n-1 ties, one component, the same total length as Kruskal's
 * algorithm written here over all 276 geodesic distances. */
static void test_mst(void **state)
{
    (void)state;
    network_t *net = build("mst", NULL, NULL, NULL, NULL);
    assert_int_equal(net->nedges, 23);
    assert_int_equal(net->summary.components, 1);
    pair_t pairs[276];
    uint32_t parent[24];
    size_t np = 0;
    for (uint32_t a = 0; a < 24; a++) {
        parent[a] = a;
        for (uint32_t b = a + 1; b < 24; b++)
            pairs[np++] = (pair_t){km_between(net, a, b), a, b};
    }
    qsort(pairs, np, sizeof(pairs[0]), cmp_pair);
    double kruskal = 0;
    for (size_t i = 0; i < np; i++) {
        uint32_t ra = root(parent, pairs[i].a), rb = root(parent, pairs[i].b);
        if (ra != rb) {
            parent[ra] = rb;
            kruskal += pairs[i].km;
        }
    }
    assert_near(net->summary.total_length, kruskal, 1e-9);
    double total = 0;
    for (size_t i = 0; i < net->nedges; i++)
        total += net->edges[i].km;
    assert_near(total, kruskal, 1e-9);
    network_unref(net);
}

static void test_proximity_chain(void **state)
{
    (void)state;
    network_t *dt = build("delaunay", NULL, NULL, NULL, NULL);
    network_t *gg = build("gabriel", NULL, NULL, NULL, NULL);
    network_t *rng = build("rng", NULL, NULL, NULL, NULL);
    network_t *mst = build("mst", NULL, NULL, NULL, NULL);
    assert_true(dt->nedges >= gg->nedges && gg->nedges >= rng->nedges);
    assert_true(subset(gg, dt));
    assert_true(subset(rng, gg));
    assert_true(subset(mst, rng)); /* the geodesic MST within the planar RNG here */
    assert_int_equal(dt->summary.components, 1);
    /* A planar triangulation of 24 points has at most 3n - 6 edges. */
    assert_true(dt->nedges <= 3 * 24 - 6);
    network_unref(dt);
    network_unref(gg);
    network_unref(rng);
    network_unref(mst);
}

static void test_filters(void **state)
{
    (void)state;
    network_t *cross = build("complete", NULL, NULL, "true", NULL);
    for (size_t i = 0; i < cross->nedges; i++)
        assert_true(cross->edges[i].cross_border);
    /* 8 AT x 9 SI + 8 AT x 7 HU + 9 SI x 7 HU */
    assert_int_equal(cross->nedges, 8 * 9 + 8 * 7 + 9 * 7);
    network_t *two = build("complete", NULL, NULL, NULL, "si,AT");
    assert_int_equal(two->nnodes, 17);
    assert_int_equal(two->nedges, 17 * 16 / 2);
    network_unref(cross);
    network_unref(two);
}

static void test_edges_model(void **state)
{
    (void)state;
    network_t *net = build("edges", NULL, NULL, NULL, NULL);
    assert_int_equal(net->nedges, src->ties->nfeatures);
    for (size_t i = 0; i < net->nedges; i++)
        assert_true(net->edges[i].tie >= 0);
    network_unref(net);
}

static void expect_invalid(const char *model, const char *k, const char *km, const char *country,
                           const char *phrase)
{
    network_params_t params;
    network_t *net = NULL;
    error_t err = {0};
    int rc = network_params_parse(&params, model, k, km, NULL, country, &err);
    if (rc == ERR_OK) rc = network_build(src, &params, &net, &err);
    assert_int_equal(rc, ERR_INVALID);
    assert_null(net);
    if (strstr(err.message, phrase) == NULL) fail_msg("'%s' lacks '%s'", err.message, phrase);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    expect_invalid("knn", "0", NULL, NULL, "k:");
    expect_invalid("knn", "24", NULL, NULL, "k: must be 1..23 for 24 towns");
    expect_invalid("knn", "-2", NULL, NULL, "k:");
    expect_invalid("within", NULL, "-5", NULL, "km:");
    expect_invalid("within", NULL, "abc", NULL, "km:");
    expect_invalid("star", NULL, NULL, NULL, "unknown model 'star'");
    expect_invalid("mst", NULL, NULL, "XX", "country: no town in 'XX'");
    expect_invalid("mst", NULL, NULL, "Austria", "country:");
}

static void test_names_fold_and_cache(void **state)
{
    (void)state;
    assert_true(network_find_node(src, "ORMOZ") >= 0);
    assert_int_equal(network_find_node(src, "ormož"), network_find_node(src, "Ormož"));
    assert_int_equal(network_find_node(src, "oriszentpeter"),
                     network_find_node(src, "Őriszentpéter"));
    assert_int_equal(network_find_node(src, "Fuerstenfeld"), -1);
    char folded[64];
    text_fold("Zalalövő Szentgotthárd KÖRMEND Straße", folded, sizeof(folded));
    assert_string_equal(folded, "zalalovo szentgotthard kormend strasse");

    network_params_t params;
    error_t err;
    network_t *a = NULL, *b = NULL;
    assert_int_equal(network_params_parse(&params, "gabriel", NULL, NULL, NULL, NULL, &err), 0);
    assert_int_equal(networks_get(ds, &params, &a, &err), ERR_OK);
    assert_int_equal(networks_get(ds, &params, &b, &err), ERR_OK);
    assert_ptr_equal(a, b); /* the second came from the cache */
    network_unref(a);
    network_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_and_within),
        cmocka_unit_test(test_knn),
        cmocka_unit_test(test_mst),
        cmocka_unit_test(test_proximity_chain),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_edges_model),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_names_fold_and_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
