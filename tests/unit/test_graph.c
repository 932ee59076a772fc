/* Graph tests: small hand-checked networks, then random graphs checked
 * against independent brute force: Floyd–Warshall for distances, shortest
 * path counting by definition for betweenness, Kruskal and all spanning
 * trees (via Prüfer sequences) for the MST. Data come from a fixed-seed
 * PRNG so a failure reproduces; a failing check names its trial. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "network/graph.h"
#include "util/error.h"
#include "testutil.h"

/* Looser than the module's own 1e-12 so the reference, which sums paths in
 * another order, sees the same ties. */
#define REF_TIE 1e-9

static size_t rnd_below(uint64_t *s, size_t n)
{
    return (size_t)(rnd_u64(s) % n);
}

static void expect_close(double got, double want, const char *what, int trial, size_t v)
{
    if (got == want) return; /* also equal infinities */
    if (!(fabs(got - want) <= 1e-9 * fmax(1, fabs(want))))
        fail_msg("trial %d, node %zu: %s = %.15g, want %.15g", trial, v, what, got, want);
}

static void expect_uint(uint64_t got, uint64_t want, const char *what, int trial, size_t v)
{
    if (got != want)
        fail_msg("trial %d, node %zu: %s = %llu, want %llu", trial, v, what,
                 (unsigned long long)got, (unsigned long long)want);
}

static int ref_ties(double a, double b)
{
    return fabs(a - b) <= REF_TIE * fmax(1, fmax(fabs(a), fabs(b)));
}

/* ---- Reference implementations ---------------------------------------- */

static double *edge_matrix(size_t n, const graph_edge_t *e, size_t m)
{
    double *w = malloc((n * n + 1) * sizeof(*w));
    assert_non_null(w);
    for (size_t i = 0; i < n * n; i++)
        w[i] = INFINITY;
    for (size_t k = 0; k < m; k++)
        w[e[k].a * n + e[k].b] = w[e[k].b * n + e[k].a] = e[k].w;
    return w;
}

static double *floyd_warshall(size_t n, const graph_edge_t *e, size_t m)
{
    double *d = edge_matrix(n, e, m);
    for (size_t i = 0; i < n; i++)
        d[i * n + i] = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (d[i * n + k] + d[k * n + j] < d[i * n + j])
                    d[i * n + j] = d[i * n + k] + d[k * n + j];
    return d;
}

static const double *sort_key;

static int cmp_by_key(const void *x, const void *y)
{
    double a = sort_key[*(const size_t *)x], b = sort_key[*(const size_t *)y];
    return (a > b) - (a < b);
}

/* sigma[s*n + v]: the number of shortest s–v paths, by dynamic programming
 * over the shortest-path DAG that the distances d imply. Needs positive
 * weights, so every predecessor is strictly nearer. */
static double *count_paths(size_t n, const double *w, const double *d)
{
    double *sigma = calloc(n * n + 1, sizeof(*sigma));
    size_t *order = malloc((n + 1) * sizeof(*order));
    assert_non_null(sigma);
    assert_non_null(order);
    for (size_t s = 0; s < n; s++) {
        for (size_t v = 0; v < n; v++)
            order[v] = v;
        sort_key = d + s * n;
        qsort(order, n, sizeof(*order), cmp_by_key);
        sigma[s * n + s] = 1;
        for (size_t i = 0; i < n; i++) {
            size_t v = order[i];
            if (v == s || d[s * n + v] == INFINITY) continue;
            for (size_t u = 0; u < n; u++)
                if (w[u * n + v] < INFINITY && ref_ties(d[s * n + u] + w[u * n + v], d[s * n + v]))
                    sigma[s * n + v] += sigma[s * n + u];
        }
    }
    free(order);
    return sigma;
}

/* Every metric straight from its definition over all-pairs distances. */
static void reference_metrics(size_t n, const graph_edge_t *e, size_t m, graph_node_metrics_t *nm,
                              graph_summary_t *sum)
{
    double *w = edge_matrix(n, e, m), *d = floyd_warshall(n, e, m);
    double *sigma = count_paths(n, w, d), path_sum = 0;
    size_t pairs = 0;
    memset(nm, 0, n * sizeof(*nm));
    memset(sum, 0, sizeof(*sum));
    sum->nodes = n;
    sum->edges = m;
    for (size_t k = 0; k < m; k++) {
        nm[e[k].a].degree++, nm[e[k].b].degree++;
        nm[e[k].a].weighted_degree += e[k].w, nm[e[k].b].weighted_degree += e[k].w;
        sum->total_length += e[k].w;
    }
    for (size_t v = 0; v < n; v++) {
        double total = 0;
        size_t r = 0, first = v;
        for (size_t u = 0; u < n; u++) {
            double duv = d[v * n + u];
            if (u == v || duv == INFINITY) continue;
            r++, total += duv;
            nm[v].harmonic += duv > 0 ? 1 / duv : 0;
            nm[v].eccentricity = fmax(nm[v].eccentricity, duv);
            if (u < first) first = u;
        }
        nm[v].closeness = r > 0 && total > 0 ? (double)r / total * (double)r / (double)(n - 1) : 0;
        nm[v].component = first == v ? sum->components++ : nm[first].component;
        path_sum += total, pairs += r;
        sum->diameter = fmax(sum->diameter, nm[v].eccentricity);
        for (size_t s = 0; s < n; s++)
            for (size_t t = s + 1; t < n; t++)
                if (s != v && t != v && d[s * n + t] < INFINITY &&
                    ref_ties(d[s * n + v] + d[v * n + t], d[s * n + t]))
                    nm[v].betweenness += sigma[s * n + v] * sigma[v * n + t] / sigma[s * n + t];
        nm[v].betweenness = n > 2 ? nm[v].betweenness / ((double)(n - 1) * (n - 2) / 2) : 0;
    }
    sum->density = n < 2 ? 0 : 2.0 * (double)m / ((double)n * (double)(n - 1));
    sum->average_path = pairs > 0 ? path_sum / (double)pairs : 0;
    free(w);
    free(d);
    free(sigma);
}

static void expect_metrics(size_t n, const graph_node_metrics_t *got, const graph_summary_t *gs,
                           const graph_node_metrics_t *want, const graph_summary_t *ws, int trial)
{
    for (size_t v = 0; v < n; v++) {
        expect_uint(got[v].degree, want[v].degree, "degree", trial, v);
        expect_close(got[v].weighted_degree, want[v].weighted_degree, "weighted_degree", trial, v);
        expect_close(got[v].closeness, want[v].closeness, "closeness", trial, v);
        expect_close(got[v].harmonic, want[v].harmonic, "harmonic", trial, v);
        expect_close(got[v].betweenness, want[v].betweenness, "betweenness", trial, v);
        expect_close(got[v].eccentricity, want[v].eccentricity, "eccentricity", trial, v);
        expect_uint(got[v].component, want[v].component, "component", trial, v);
    }
    expect_uint(gs->nodes, ws->nodes, "summary nodes", trial, 0);
    expect_uint(gs->edges, ws->edges, "summary edges", trial, 0);
    expect_close(gs->total_length, ws->total_length, "summary total_length", trial, 0);
    expect_close(gs->density, ws->density, "summary density", trial, 0);
    expect_uint(gs->components, ws->components, "summary components", trial, 0);
    expect_close(gs->diameter, ws->diameter, "summary diameter", trial, 0);
    expect_close(gs->average_path, ws->average_path, "summary average_path", trial, 0);
}

/* ---- Random graphs ----------------------------------------------------- */

enum weights {
    W_SMALL_INT, /* 1..3: many equal-length alternative paths */
    W_TENTHS,    /* 0.1..0.5: ties exact in arithmetic, not in floating point */
    W_UNIFORM    /* 0.5..100: ties have probability zero */
};

static double rnd_weight(uint64_t *s, enum weights kind)
{
    switch (kind) {
    case W_SMALL_INT:
        return (double)(1 + rnd_below(s, 3));
    case W_TENTHS:
        return (double)(1 + rnd_below(s, 5)) / 10;
    default:
        return 0.5 + 99.5 * rnd_unit(s);
    }
}

/* Each pair joined with probability p, edges shuffled and randomly
 * oriented. The caller frees *edges. */
static size_t random_graph(uint64_t *s, size_t n, double p, enum weights kind, graph_edge_t **edges)
{
    graph_edge_t *e = malloc((n * (n - 1) / 2 + 1) * sizeof(*e));
    size_t m = 0;
    assert_non_null(e);
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = a + 1; b < n; b++)
            if (rnd_unit(s) < p) {
                int flip = rnd_u64(s) & 1;
                e[m++] = (graph_edge_t){flip ? b : a, flip ? a : b, rnd_weight(s, kind)};
            }
    for (size_t i = m; i > 1; i--) {
        size_t j = rnd_below(s, i);
        graph_edge_t t = e[i - 1];
        e[i - 1] = e[j];
        e[j] = t;
    }
    *edges = e;
    return m;
}

/* ---- Hand-checked networks --------------------------------------------- */

static void metrics_of(size_t n, const graph_edge_t *e, size_t m, graph_node_metrics_t *nm,
                       graph_summary_t *sum)
{
    assert_int_equal(graph_metrics(n, e, m, nm, sum), 0);
}

/* a–b–c with lengths 1 and 2. */
static void test_path(void **state)
{
    const graph_edge_t e[] = {{0, 1, 1}, {2, 1, 2}};
    graph_node_metrics_t nm[3];
    graph_summary_t sum;
    (void)state;
    metrics_of(3, e, 2, nm, &sum);
    assert_int_equal(nm[0].degree, 1);
    assert_int_equal(nm[1].degree, 2);
    assert_near(nm[1].weighted_degree, 3, 1e-15);
    /* closeness = (r/s)(r/(n-1)) with r = 2, n - 1 = 2: just 2/s. */
    assert_near(nm[0].closeness, 2.0 / 4, 1e-15);
    assert_near(nm[1].closeness, 2.0 / 3, 1e-15);
    assert_near(nm[2].closeness, 2.0 / 5, 1e-15);
    assert_near(nm[0].harmonic, 1 + 1.0 / 3, 1e-15);
    assert_near(nm[1].harmonic, 1.5, 1e-15);
    assert_near(nm[2].harmonic, 0.5 + 1.0 / 3, 1e-15);
    assert_near(nm[0].betweenness, 0, 0);
    assert_near(nm[1].betweenness, 1, 1e-15);
    assert_near(nm[2].betweenness, 0, 0);
    assert_near(nm[0].eccentricity, 3, 0);
    assert_near(nm[1].eccentricity, 2, 0);
    assert_near(nm[2].eccentricity, 3, 0);
    for (int v = 0; v < 3; v++)
        assert_int_equal(nm[v].component, 0);
    assert_int_equal(sum.nodes, 3);
    assert_int_equal(sum.edges, 2);
    assert_near(sum.total_length, 3, 0);
    assert_near(sum.density, 2.0 / 3, 1e-15);
    assert_int_equal(sum.components, 1);
    assert_near(sum.diameter, 3, 0);
    assert_near(sum.average_path, 2, 1e-15);
}

/* Centre 0, leaves 1..4 at 1, 2, 3, 4 km. */
static void test_star(void **state)
{
    const graph_edge_t e[] = {{0, 1, 1}, {2, 0, 2}, {0, 3, 3}, {4, 0, 4}};
    graph_node_metrics_t nm[5];
    graph_summary_t sum;
    (void)state;
    metrics_of(5, e, 4, nm, &sum);
    assert_int_equal(nm[0].degree, 4);
    assert_near(nm[0].weighted_degree, 10, 0);
    assert_near(nm[0].closeness, 4.0 / 10, 1e-15);
    assert_near(nm[1].closeness, 4.0 / (1 + 3 + 4 + 5), 1e-15);
    assert_near(nm[4].closeness, 4.0 / (5 + 6 + 7 + 4), 1e-15);
    assert_near(nm[0].harmonic, 1 + 0.5 + 1.0 / 3 + 0.25, 1e-15);
    /* The centre lies on the only path between each of the 6 leaf pairs. */
    assert_near(nm[0].betweenness, 1, 1e-15);
    for (int v = 1; v < 5; v++) {
        assert_near(nm[v].betweenness, 0, 0);
        assert_int_equal(nm[v].degree, 1);
    }
    assert_near(nm[0].eccentricity, 4, 0);
    assert_near(nm[1].eccentricity, 5, 0);
    assert_near(nm[4].eccentricity, 7, 0);
    assert_near(sum.diameter, 7, 0);
    assert_near(sum.density, 8.0 / 20, 1e-15);
    /* Centre–leaf pairs sum to 10, leaf pairs to 3 * 10; both ways. */
    assert_near(sum.average_path, 2 * (10 + 30) / 20.0, 1e-15);
}

/* {0, 2, 4}, {1, 5} and the isolated node 3. */
static void test_disconnected(void **state)
{
    const graph_edge_t e[] = {{0, 2, 3}, {4, 2, 1}, {1, 5, 2}};
    const uint32_t comp[] = {0, 1, 0, 2, 0, 1};
    const double ecc[] = {4, 2, 3, 0, 4, 2};
    graph_node_metrics_t nm[6];
    graph_summary_t sum;
    (void)state;
    metrics_of(6, e, 3, nm, &sum);
    for (int v = 0; v < 6; v++) {
        assert_int_equal(nm[v].component, comp[v]);
        assert_near(nm[v].eccentricity, ecc[v], 0);
    }
    assert_near(nm[0].closeness, 2.0 / 7 * 2.0 / 5, 1e-15);
    assert_near(nm[1].closeness, 1.0 / 2 * 1.0 / 5, 1e-15);
    assert_near(nm[3].closeness, 0, 0);
    assert_near(nm[3].harmonic, 0, 0);
    assert_int_equal(nm[3].degree, 0);
    assert_near(nm[3].weighted_degree, 0, 0);
    assert_near(nm[2].betweenness, 1.0 / 10, 1e-15);
    assert_near(nm[3].betweenness, 0, 0);
    assert_int_equal(sum.components, 3);
    assert_near(sum.total_length, 6, 0);
    assert_near(sum.density, 6.0 / 30, 1e-15);
    assert_near(sum.diameter, 4, 0);
    /* (3 + 4 + 1) * 2 and 2 * 2 over 6 + 2 ordered pairs. */
    assert_near(sum.average_path, 20.0 / 8, 1e-15);
}

static void test_tiny(void **state)
{
    const graph_edge_t e = {1, 0, 5};
    graph_node_metrics_t nm[2];
    graph_summary_t sum;
    (void)state;

    metrics_of(0, NULL, 0, NULL, &sum);
    assert_int_equal(sum.nodes, 0);
    assert_int_equal(sum.components, 0);
    assert_near(sum.density, 0, 0);
    assert_near(sum.average_path, 0, 0);

    metrics_of(1, NULL, 0, nm, &sum);
    assert_int_equal(nm[0].degree, 0);
    assert_int_equal(nm[0].component, 0);
    assert_near(nm[0].closeness, 0, 0);
    assert_near(nm[0].betweenness, 0, 0);
    assert_near(nm[0].eccentricity, 0, 0);
    assert_int_equal(sum.components, 1);
    assert_near(sum.density, 0, 0);
    assert_near(sum.diameter, 0, 0);

    metrics_of(2, &e, 1, nm, &sum);
    for (int v = 0; v < 2; v++) {
        assert_near(nm[v].closeness, 1.0 / 5, 1e-15);
        assert_near(nm[v].harmonic, 1.0 / 5, 1e-15);
        assert_near(nm[v].betweenness, 0, 0);
        assert_near(nm[v].eccentricity, 5, 0);
    }
    assert_near(sum.density, 1, 0);
    assert_near(sum.diameter, 5, 0);
    assert_near(sum.average_path, 5, 0);

    metrics_of(2, NULL, 0, nm, &sum);
    assert_int_equal(nm[1].component, 1);
    assert_int_equal(sum.components, 2);
    assert_near(sum.average_path, 0, 0);
}

static void test_equal_alternatives(void **state)
{
    /* Square: opposite corners have two paths, each through one node. */
    const graph_edge_t square[] = {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 0, 1}};
    /* 0.1 + 0.2 is 0.30000000000000004, yet ties the direct 0.3. */
    const graph_edge_t triangle[] = {{0, 1, 0.1}, {1, 2, 0.2}, {0, 2, 0.3}};
    graph_node_metrics_t nm[4];
    (void)state;
    metrics_of(4, square, 4, nm, NULL);
    for (int v = 0; v < 4; v++)
        assert_near(nm[v].betweenness, 0.5 / 3, 1e-15);
    metrics_of(3, triangle, 3, nm, NULL);
    assert_near(nm[0].betweenness, 0, 0);
    assert_near(nm[1].betweenness, 0.5, 1e-15);
    assert_near(nm[2].betweenness, 0, 0);
}

static void test_zero_length_edges(void **state)
{
    const graph_edge_t zero[] = {{0, 1, 0}, {1, 2, 0}};
    const graph_edge_t mixed[] = {{0, 1, 0}, {1, 2, 5}};
    graph_node_metrics_t nm[3];
    graph_summary_t sum;
    (void)state;
    /* Reachable at total distance 0: closeness 0 by definition. */
    metrics_of(3, zero, 2, nm, &sum);
    for (int v = 0; v < 3; v++) {
        assert_near(nm[v].closeness, 0, 0);
        assert_near(nm[v].harmonic, 0, 0);
        assert_near(nm[v].eccentricity, 0, 0);
    }
    assert_near(nm[1].betweenness, 1, 1e-15);
    assert_int_equal(sum.components, 1);
    assert_near(sum.average_path, 0, 0);
    /* The zero distance counts towards closeness, not harmonic. */
    metrics_of(3, mixed, 2, nm, &sum);
    assert_near(nm[0].closeness, 2.0 / 5, 1e-15);
    assert_near(nm[0].harmonic, 1.0 / 5, 1e-15);
    assert_near(nm[1].harmonic, 1.0 / 5, 1e-15);
    assert_near(sum.average_path, (0 + 5 + 5) * 2 / 6.0, 1e-15);
}

static void test_rejects_bad_edges(void **state)
{
    const graph_edge_t bad[][2] = {
        {{0, 1, 1}, {2, 2, 1}},        /* self-loop */
        {{0, 1, 1}, {0, 1, 1}},        /* parallel */
        {{0, 1, 1}, {1, 0, 2}},        /* parallel, other way round */
        {{0, 1, 1}, {1, 3, 1}},        /* node out of range */
        {{0, 1, 1}, {1, 2, -1}},       /* negative */
        {{0, 1, 1}, {1, 2, NAN}},      /* NaN */
        {{0, 1, 1}, {1, 2, INFINITY}}, /* infinite */
    };
    graph_node_metrics_t nm[3];
    graph_summary_t sum;
    double d[9];
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(graph_metrics(3, bad[i], 2, nm, &sum), ERR_INVALID);
        assert_int_equal(graph_shortest_paths(3, bad[i], 2, d), ERR_INVALID);
    }
    assert_int_equal(graph_metrics(0, bad[0], 1, NULL, NULL), ERR_INVALID);
}

static void test_optional_outputs(void **state)
{
    const graph_edge_t e[] = {{0, 1, 1}, {2, 1, 2}};
    graph_node_metrics_t nm[3];
    graph_summary_t sum;
    (void)state;
    metrics_of(3, e, 2, NULL, &sum);
    assert_near(sum.average_path, 2, 1e-15);
    metrics_of(3, e, 2, nm, NULL);
    assert_near(nm[1].betweenness, 1, 1e-15);
}

/* ---- Random graphs against brute force --------------------------------- */

static void test_shortest_paths_match_floyd(void **state)
{
    uint64_t seed = 101;
    (void)state;
    for (int trial = 0; trial < 150; trial++) {
        size_t n = 1 + rnd_below(&seed, 60);
        double p = rnd_unit(&seed) * (trial % 3 == 0 ? 0.1 : 0.5);
        graph_edge_t *e;
        size_t m = random_graph(&seed, n, p, (enum weights)(trial % 3), &e);
        double *want = floyd_warshall(n, e, m), *got = malloc(n * n * sizeof(*got));
        assert_non_null(got);
        assert_int_equal(graph_shortest_paths(n, e, m, got), 0);
        for (size_t i = 0; i < n * n; i++)
            expect_close(got[i], want[i], "distance", trial, i);
        free(got);
        free(want);
        free(e);
    }
}

static void test_metrics_match_brute_force(void **state)
{
    uint64_t seed = 202;
    (void)state;
    for (int trial = 0; trial < 400; trial++) {
        size_t n = 1 + rnd_below(&seed, trial < 300 ? 12 : 30);
        double p = 0.1 + 0.6 * rnd_unit(&seed);
        graph_edge_t *e;
        size_t m = random_graph(&seed, n, p, (enum weights)(trial % 3), &e);
        graph_node_metrics_t *got = malloc(n * sizeof(*got)), *want = malloc(n * sizeof(*want));
        graph_summary_t gs, ws;
        assert_non_null(got);
        assert_non_null(want);
        assert_int_equal(graph_metrics(n, e, m, got, &gs), 0);
        reference_metrics(n, e, m, want, &ws);
        expect_metrics(n, got, &gs, want, &ws, trial);
        free(got);
        free(want);
        free(e);
    }
}

/* A grid has very many equal-length paths: exact counting matters. */
static void test_grid_betweenness(void **state)
{
    enum { SIDE = 6, N = SIDE * SIDE };
    graph_edge_t e[2 * SIDE * (SIDE - 1)];
    graph_node_metrics_t got[N], want[N];
    graph_summary_t gs, ws;
    size_t m = 0;
    (void)state;
    for (uint32_t r = 0; r < SIDE; r++)
        for (uint32_t c = 0; c < SIDE; c++) {
            if (c + 1 < SIDE) e[m++] = (graph_edge_t){r * SIDE + c, r * SIDE + c + 1, 2};
            if (r + 1 < SIDE) e[m++] = (graph_edge_t){r * SIDE + c, (r + 1) * SIDE + c, 2};
        }
    assert_int_equal(graph_metrics(N, e, m, got, &gs), 0);
    reference_metrics(N, e, m, want, &ws);
    expect_metrics(N, got, &gs, want, &ws, 0);
    assert_near(gs.diameter, 4 * (SIDE - 1), 0);
}

/* Edge order and orientation must not matter beyond rounding. */
static void test_metrics_ignore_edge_order(void **state)
{
    uint64_t seed = 303;
    (void)state;
    for (int trial = 0; trial < 40; trial++) {
        size_t n = 2 + rnd_below(&seed, 40);
        graph_edge_t *e;
        size_t m = random_graph(&seed, n, 0.2, (enum weights)(trial % 3), &e);
        graph_node_metrics_t *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
        graph_summary_t sa, sb;
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(graph_metrics(n, e, m, a, &sa), 0);
        for (size_t i = 0; i < m; i++) {
            uint32_t t = e[i].a;
            e[i].a = e[i].b;
            e[i].b = t;
        }
        for (size_t i = 0; i < m / 2; i++) {
            graph_edge_t t = e[i];
            e[i] = e[m - 1 - i];
            e[m - 1 - i] = t;
        }
        assert_int_equal(graph_metrics(n, e, m, b, &sb), 0);
        expect_metrics(n, b, &sb, a, &sa, trial);
        free(a);
        free(b);
        free(e);
    }
}

/* ---- Minimum spanning tree --------------------------------------------- */

static size_t find(size_t *parent, size_t v)
{
    while (parent[v] != v)
        v = parent[v] = parent[parent[v]];
    return v;
}

/* Checks the shape of an MST result: a < b, sorted, lengths taken from the
 * matrix, no cycle. Returns the number of trees (components) it forms. */
static size_t check_forest(size_t n, const double *dist, const graph_edge_t *e, size_t ne)
{
    size_t *parent = malloc((n + 1) * sizeof(*parent)), trees = n;
    assert_non_null(parent);
    for (size_t v = 0; v < n; v++)
        parent[v] = v;
    for (size_t i = 0; i < ne; i++) {
        assert_true(e[i].a < e[i].b);
        assert_true(e[i].b < n);
        if (i > 0)
            assert_true(e[i - 1].a < e[i].a || (e[i - 1].a == e[i].a && e[i - 1].b < e[i].b));
        assert_true(e[i].w == dist[e[i].a * n + e[i].b]);
        size_t ra = find(parent, e[i].a), rb = find(parent, e[i].b);
        assert_true(ra != rb);
        parent[ra] = rb;
        trees--;
    }
    free(parent);
    return trees;
}

static double mst_total(size_t n, const double *dist, size_t *ne, size_t *trees)
{
    graph_edge_t *e;
    double total = 0;
    assert_int_equal(graph_mst(n, dist, &e, ne), 0);
    *trees = check_forest(n, dist, e, *ne);
    for (size_t i = 0; i < *ne; i++)
        total += e[i].w;
    free(e);
    return total;
}

static const double *kruskal_dist;

static int cmp_pair(const void *x, const void *y)
{
    double a = kruskal_dist[*(const size_t *)x], b = kruskal_dist[*(const size_t *)y];
    return (a > b) - (a < b);
}

/* Minimum spanning forest length: pairs by length, joining trees greedily. */
static double kruskal(size_t n, const double *dist, size_t *edges)
{
    size_t *pairs = malloc((n * n + 1) * sizeof(*pairs)), np = 0;
    size_t *parent = malloc((n + 1) * sizeof(*parent));
    double total = 0;
    assert_non_null(pairs);
    assert_non_null(parent);
    for (size_t i = 0; i < n; i++) {
        parent[i] = i;
        for (size_t j = i + 1; j < n; j++)
            if (dist[i * n + j] < INFINITY) pairs[np++] = i * n + j;
    }
    kruskal_dist = dist;
    qsort(pairs, np, sizeof(*pairs), cmp_pair);
    *edges = 0;
    for (size_t k = 0; k < np; k++) {
        size_t ra = find(parent, pairs[k] / n), rb = find(parent, pairs[k] % n);
        if (ra == rb) continue;
        parent[ra] = rb;
        total += dist[pairs[k]];
        ++*edges;
    }
    free(pairs);
    free(parent);
    return total;
}

enum points { P_UNIFORM, P_GRID, P_INT_MATRIX };

/* Distances between random points (P_GRID: on a coarse integer grid, so
 * with ties and duplicates), or a random symmetric matrix of 1..4. The
 * caller frees the result. */
static double *random_matrix(uint64_t *s, size_t n, enum points kind)
{
    double *d = malloc((n * n + 1) * sizeof(*d)), *x = malloc((2 * n + 1) * sizeof(*x));
    assert_non_null(d);
    assert_non_null(x);
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = kind == P_GRID ? (double)rnd_below(s, 5) : 1000 * rnd_unit(s);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) {
            double v = hypot(x[2 * i] - x[2 * j], x[2 * i + 1] - x[2 * j + 1]);
            if (kind == P_INT_MATRIX) v = (double)(1 + rnd_below(s, 4));
            d[i * n + j] = d[j * n + i] = i == j ? 0 : v;
        }
    free(x);
    return d;
}

/* Decodes Prüfer sequence seq (n - 2 entries, n >= 2) and sums the tree's
 * edge lengths. */
static double pruefer_length(size_t n, const size_t *seq, const double *dist)
{
    size_t degree[8];
    double total = 0;
    for (size_t v = 0; v < n; v++)
        degree[v] = 1;
    for (size_t i = 0; i + 2 < n; i++)
        degree[seq[i]]++;
    for (size_t i = 0; i + 2 < n; i++) {
        size_t leaf = 0;
        while (degree[leaf] != 1)
            leaf++;
        total += dist[leaf * n + seq[i]];
        degree[leaf]--, degree[seq[i]]--;
    }
    size_t u = 0, v;
    while (degree[u] != 1)
        u++;
    for (v = u + 1; degree[v] != 1; v++)
        ;
    return total + dist[u * n + v];
}

/* Lightest of all n^(n-2) spanning trees (Cayley), for n <= 7. */
static double exhaustive_mst(size_t n, const double *dist)
{
    size_t seq[6] = {0};
    double best = INFINITY;
    if (n < 2) return 0;
    for (;;) {
        best = fmin(best, pruefer_length(n, seq, dist));
        size_t i = 0;
        while (i + 2 < n && ++seq[i] == n)
            seq[i++] = 0;
        if (i + 2 >= n) break;
    }
    return best;
}

static void test_mst_exhaustive_small(void **state)
{
    uint64_t seed = 404;
    (void)state;
    for (int trial = 0; trial < 60; trial++) {
        size_t n = 1 + (size_t)trial % 7, ne, trees;
        double *d = random_matrix(&seed, n, (enum points)(trial / 7 % 3));
        double got = mst_total(n, d, &ne, &trees);
        assert_int_equal(ne, n - 1);
        assert_int_equal(trees, 1);
        expect_close(got, exhaustive_mst(n, d), "MST length", trial, n);
        free(d);
    }
}

static void test_mst_matches_kruskal(void **state)
{
    static const size_t sizes[] = {2, 3, 5, 10, 31, 64, 150, 300};
    uint64_t seed = 505;
    (void)state;
    for (int trial = 0; trial < 48; trial++) {
        size_t n = sizes[trial % 8], ne, trees, kne;
        double *d = random_matrix(&seed, n, (enum points)(trial / 8 % 3));
        double got = mst_total(n, d, &ne, &trees);
        assert_int_equal(ne, n - 1);
        assert_int_equal(trees, 1);
        expect_close(got, kruskal(n, d, &kne), "MST length", trial, n);
        free(d);
    }
}

/* +INFINITY between groups: one tree per group, isolated nodes alone. */
static void test_mst_forest(void **state)
{
    uint64_t seed = 606;
    (void)state;
    for (int trial = 0; trial < 20; trial++) {
        size_t n = 3 + rnd_below(&seed, 60), groups = 1 + rnd_below(&seed, 4), ne, trees, kne;
        double *d = random_matrix(&seed, n, (enum points)(trial % 3));
        size_t *group = malloc(n * sizeof(*group)), used = 0;
        assert_non_null(group);
        for (size_t v = 0; v < n; v++)
            group[v] = rnd_below(&seed, groups);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (group[i] != group[j]) d[i * n + j] = INFINITY;
        for (size_t g = 0; g < groups; g++)
            for (size_t v = 0; v < n; v++)
                if (group[v] == g) {
                    used++;
                    break;
                }
        double got = mst_total(n, d, &ne, &trees);
        expect_close(got, kruskal(n, d, &kne), "forest length", trial, n);
        assert_int_equal(ne, kne);
        assert_int_equal(trees, used);
        assert_int_equal(ne, n - used);
        free(group);
        free(d);
    }
}

static void test_mst_edge_cases(void **state)
{
    const double inf = INFINITY;
    const double none[] = {0, inf, inf, inf, 0, inf, inf, inf, 0};
    /* Only the upper triangle is read: rubbish below it is ignored. */
    const double upper[] = {0, 2, 1, -7, 0, 1, NAN, -1, 0};
    const double nan[] = {0, NAN, 1, NAN, 0, 1, 1, 1, 0};
    const double neg[] = {0, 1, -1, 1, 0, 1, -1, 1, 0};
    const double tie[] = {0, 2, 9, 1, 2, 0, 5, 9, 9, 5, 0, 5, 1, 9, 5, 0};
    static graph_edge_t stale;
    double ones[25], one = 0;
    graph_edge_t *e = &stale; /* must be reset to NULL */
    size_t ne = 99;
    (void)state;

    assert_int_equal(graph_mst(0, NULL, &e, &ne), 0);
    assert_null(e);
    assert_int_equal(ne, 0);
    assert_int_equal(graph_mst(1, &one, &e, &ne), 0);
    assert_null(e);
    assert_int_equal(ne, 0);
    assert_int_equal(graph_mst(3, none, &e, &ne), 0);
    assert_null(e);
    assert_int_equal(ne, 0);

    assert_int_equal(graph_mst(3, upper, &e, &ne), 0);
    assert_int_equal(ne, 2);
    assert_true(e[0].a == 0 && e[0].b == 2 && e[0].w == 1);
    assert_true(e[1].a == 1 && e[1].b == 2 && e[1].w == 1);
    free(e);

    assert_int_equal(graph_mst(3, nan, &e, &ne), ERR_INVALID);
    assert_null(e);
    assert_int_equal(graph_mst(3, neg, &e, &ne), ERR_INVALID);
    assert_null(e);

    /* All lengths equal: every tie goes to the lowest index, a star on 0. */
    for (size_t i = 0; i < 25; i++)
        ones[i] = i % 6 == 0 ? 0 : 1;
    assert_int_equal(graph_mst(5, ones, &e, &ne), 0);
    assert_int_equal(ne, 4);
    for (uint32_t i = 0; i < 4; i++)
        assert_true(e[i].a == 0 && e[i].b == i + 1);
    free(e);

    /* 2 is 5 km from both 3 (joined first) and 1: the lower index wins. */
    assert_int_equal(graph_mst(4, tie, &e, &ne), 0);
    assert_int_equal(ne, 3);
    assert_true(e[0].a == 0 && e[0].b == 1 && e[0].w == 2);
    assert_true(e[1].a == 0 && e[1].b == 3 && e[1].w == 1);
    assert_true(e[2].a == 1 && e[2].b == 2 && e[2].w == 5);
    free(e);
}

/* The network module's use: metrics of an MST are those of a tree. */
static void test_mst_metrics(void **state)
{
    uint64_t seed = 707;
    size_t n = 40, ne;
    double *d = random_matrix(&seed, n, P_UNIFORM), total = 0;
    graph_edge_t *e;
    graph_node_metrics_t nm[40];
    graph_summary_t sum;
    (void)state;
    assert_int_equal(graph_mst(n, d, &e, &ne), 0);
    for (size_t i = 0; i < ne; i++)
        total += e[i].w;
    metrics_of(n, e, ne, nm, &sum);
    assert_int_equal(sum.components, 1);
    assert_int_equal(sum.edges, n - 1);
    expect_close(sum.total_length, total, "total_length", 0, 0);
    free(e);
    free(d);
}

/* Big graphs are split over threads: any thread count gives the same
 * metrics as one thread, on a 700-node graph with several components. */
static void test_threads_agree(void **state)
{
    (void)state;
    const size_t n = 700;
    uint64_t seed = 77;
    graph_edge_t *e = malloc(4 * n * sizeof(*e));
    unsigned char *used = calloc(n * n, 1);
    size_t m = 0;
    /* Blocks of 150 nodes are the components; edges only inside a block. */
    for (size_t t = 0; t < 3 * n; t++) {
        uint32_t v = (uint32_t)(rnd_u64(&seed) % n);
        uint32_t u = (uint32_t)(v / 150 * 150 + rnd_u64(&seed) % 150);
        if (u >= n || u == v || used[u * n + v]) continue;
        used[u * n + v] = used[v * n + u] = 1;
        e[m++] = (graph_edge_t){u, v, 1 + (double)(rnd_u64(&seed) % 3)}; /* integer ties */
    }
    free(used);
    graph_node_metrics_t *one = calloc(n, sizeof(*one)), *many = calloc(n, sizeof(*many));
    graph_summary_t s1, s4;
    graph_set_threads(1);
    int rc1 = graph_metrics(n, e, m, one, &s1);
    graph_set_threads(4);
    int rc4 = graph_metrics(n, e, m, many, &s4);
    graph_set_threads(0);
    assert_int_equal(rc1, 0);
    assert_int_equal(rc4, 0);
    assert_true(s1.components > 1);
    assert_int_equal(s1.components, s4.components);
    assert_near(s1.average_path, s4.average_path, 1e-9 * s1.average_path);
    assert_near(s1.diameter, s4.diameter, 0);
    for (size_t v = 0; v < n; v++) {
        assert_int_equal(one[v].component, many[v].component);
        assert_near(one[v].betweenness, many[v].betweenness, 1e-12);
        assert_near(one[v].closeness, many[v].closeness, 1e-15);
        assert_near(one[v].eccentricity, many[v].eccentricity, 0);
    }
    free(one);
    free(many);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_star),
        cmocka_unit_test(test_disconnected),
        cmocka_unit_test(test_tiny),
        cmocka_unit_test(test_equal_alternatives),
        cmocka_unit_test(test_zero_length_edges),
        cmocka_unit_test(test_rejects_bad_edges),
        cmocka_unit_test(test_optional_outputs),
        cmocka_unit_test(test_shortest_paths_match_floyd),
        cmocka_unit_test(test_metrics_match_brute_force),
        cmocka_unit_test(test_grid_betweenness),
        cmocka_unit_test(test_metrics_ignore_edge_order),
        cmocka_unit_test(test_mst_exhaustive_small),
        cmocka_unit_test(test_mst_matches_kruskal),
        cmocka_unit_test(test_mst_forest),
        cmocka_unit_test(test_mst_edge_cases),
        cmocka_unit_test(test_mst_metrics),
        cmocka_unit_test(test_threads_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
