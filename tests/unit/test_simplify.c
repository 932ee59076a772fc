/* Nodes of shared boundaries (data/topology.c) and the simplifier that keeps
 * them (render/simplify.c): neighbours sharing a wiggly boundary, and an
 * enclave filling a hole, keep exactly the same points of it whatever their
 * rings' directions and starts; lines keep their ends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "data/layer.h"
#include "render/simplify.h"
#include "testutil.h"

#define WIGGLES 60

/* A polygon feature of one ring of n lon/lat points. */
static void add_ring_feature(layer_t *l, const char *id, const double *ll, uint32_t n)
{
    geom_t *g = geom_create(GEOM_POLYGON, n, 1, 1);
    assert_non_null(g);
    memcpy(g->ll, ll, 2 * n * sizeof(double));
    value_t *values = calloc(1, sizeof(value_t));
    assert_int_equal(layer_add_feature(l, strdup(id), g, values), ERR_OK);
}

/* The shared edge x = 1 from y = 0 to 1, wiggling by 1e-7 degrees (about
 * 1 cm) except one bump of 0.01 degrees at its middle. */
static double edge_x(int i)
{
    return i == WIGGLES / 2 ? 1.01 : 1 + ((i * 7919) % 5 - 2) * 5e-8;
}

static uint32_t square_west(double *ll)
{
    uint32_t n = 0;
    double pts[][2] = {{0, 0}, {1, 0}};
    for (int k = 0; k < 2; k++, n++)
        ll[2 * n] = pts[k][0], ll[2 * n + 1] = pts[k][1];
    for (int i = 1; i < WIGGLES; i++, n++)
        ll[2 * n] = edge_x(i), ll[2 * n + 1] = (double)i / WIGGLES;
    double rest[][2] = {{1, 1}, {0, 1}, {0, 0}};
    for (int k = 0; k < 3; k++, n++)
        ll[2 * n] = rest[k][0], ll[2 * n + 1] = rest[k][1];
    return n;
}

/* Starts elsewhere and runs the shared edge downwards. */
static uint32_t square_east(double *ll)
{
    uint32_t n = 0;
    double pts[][2] = {{2, 0}, {2, 1}, {1, 1}};
    for (int k = 0; k < 3; k++, n++)
        ll[2 * n] = pts[k][0], ll[2 * n + 1] = pts[k][1];
    for (int i = WIGGLES - 1; i >= 1; i--, n++)
        ll[2 * n] = edge_x(i), ll[2 * n + 1] = (double)i / WIGGLES;
    double rest[][2] = {{1, 0}, {2, 0}};
    for (int k = 0; k < 2; k++, n++)
        ll[2 * n] = rest[k][0], ll[2 * n + 1] = rest[k][1];
    return n;
}

static int cmp_point(const void *a, const void *b)
{
    const double *p = a, *q = b;
    return p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : p[1] < q[1] ? -1 : p[1] > q[1];
}

/* Simplifies a copy of feature f's ring; returns the points (sorted) that
 * lie within maxdx metres of x = xmid, and their count in *count. */
static double *simplified_near(const layer_t *l, size_t f, double xmid, double maxdx, double tol,
                               size_t *count)
{
    const geom_t *g = l->features[f].geom;
    double *xy = malloc(2 * g->npoints * sizeof(double));
    void *scratch = malloc(SIMPLIFY_SCRATCH(g->npoints));
    memcpy(xy, g->merc, 2 * g->npoints * sizeof(double));
    size_t n = simplify_part(xy, g->node, g->npoints, true, &(simplify_t){tol, NULL}, scratch);
    assert_true(n >= 4 && n < g->npoints);
    assert_memory_equal(xy, xy + 2 * (n - 1), 2 * sizeof(double)); /* still closed */
    size_t k = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (xy[2 * i] > xmid - maxdx && xy[2 * i] < xmid + maxdx) {
            xy[2 * k] = xy[2 * i];
            xy[2 * k + 1] = xy[2 * i + 1];
            k++;
        }
    qsort(xy, k, 2 * sizeof(double), cmp_point);
    free(scratch);
    *count = k;
    return xy;
}

static void test_neighbours_keep_one_boundary(void **state)
{
    (void)state;
    layer_t *l = layer_create("t", NULL, NULL);
    double ll[2 * (WIGGLES + 8)];
    add_ring_feature(l, "west", ll, square_west(ll));
    add_ring_feature(l, "east", ll, square_east(ll));
    error_t err = {0};
    assert_int_equal(layer_finish(l, &err), ERR_OK);
    const geom_t *w = l->features[0].geom;
    /* Nodes: the two ends of the shared edge only. */
    size_t nodes = 0;
    for (uint32_t i = 0; i + 1 < w->npoints; i++)
        nodes += w->node[i];
    assert_int_equal(nodes, 2);
    assert_int_equal(w->node[1], GEOM_NODE);           /* (1, 0) */
    assert_int_equal(w->node[WIGGLES + 1], GEOM_NODE); /* (1, 1) */
    assert_int_equal(w->node[WIGGLES / 2 + 1], 0);     /* the bump */
    double xmid = l->features[0].geom->merc[2];        /* x of (1, 0) */
    size_t nw, ne;
    double *pw = simplified_near(l, 0, xmid, 2000, 10, &nw);
    double *pe = simplified_near(l, 1, xmid, 2000, 10, &ne);
    assert_true(nw >= 3 && nw < WIGGLES / 4); /* the ends and the bump's corners */
    assert_int_equal(ne, nw);
    assert_memory_equal(pw, pe, nw * 2 * sizeof(double));
    free(pw);
    free(pe);
    layer_destroy(l);
}

/* A wiggly diamond of n + 1 points (closed) starting at point `start`,
 * clockwise or not. */
static uint32_t diamond(double *ll, int n, int start, bool reverse)
{
    for (int k = 0; k <= n; k++) {
        int i = (start + (reverse ? -k : k) + 2 * n) % n;
        double t = 6.283185307179586 * i / n, r = 0.2 + (i % 3) * 1e-7 + (i == 7) * 0.05;
        ll[2 * k] = 5 + r * cos(t);
        ll[2 * k + 1] = 5 + r * sin(t);
    }
    return (uint32_t)n + 1;
}

static void test_enclave_matches_its_hole(void **state)
{
    (void)state;
    layer_t *l = layer_create("t", NULL, NULL);
    double outer[] = {4, 4, 6, 4, 6, 6, 4, 6, 4, 4};
    double hole[2 * 41], enclave[2 * 41];
    uint32_t nh = diamond(hole, 40, 0, false), ne = diamond(enclave, 40, 13, true);
    geom_t *g = geom_create(GEOM_POLYGON, 5 + nh, 2, 1);
    memcpy(g->ll, outer, sizeof(outer));
    memcpy(g->ll + 10, hole, 2 * nh * sizeof(double));
    g->part_start[1] = 5;
    assert_int_equal(layer_add_feature(l, strdup("ring"), g, calloc(1, sizeof(value_t))), ERR_OK);
    add_ring_feature(l, "enclave", enclave, ne);
    error_t err = {0};
    assert_int_equal(layer_finish(l, &err), ERR_OK);
    const geom_t *e = l->features[1].geom;
    for (uint32_t i = 0; i < e->npoints; i++)
        assert_int_equal(e->node[i], 0);
    /* The hole's ring alone, simplified, against the enclave's. */
    double *xy = malloc(2 * nh * sizeof(double)), *exy = malloc(2 * ne * sizeof(double));
    void *scratch = malloc(SIMPLIFY_SCRATCH(ne));
    memcpy(xy, g->merc + 10, 2 * nh * sizeof(double));
    memcpy(exy, e->merc, 2 * ne * sizeof(double));
    size_t kh = simplify_part(xy, g->node + 5, nh, true, &(simplify_t){1000, NULL}, scratch);
    size_t ke = simplify_part(exy, e->node, ne, true, &(simplify_t){1000, NULL}, scratch);
    assert_true(kh > 4 && kh < nh);
    assert_int_equal(kh, ke);
    qsort(xy, kh - 1, 2 * sizeof(double), cmp_point);
    qsort(exy, ke - 1, 2 * sizeof(double), cmp_point);
    assert_memory_equal(xy, exy, 2 * (kh - 1) * sizeof(double));
    free(xy);
    free(exy);
    free(scratch);
    layer_destroy(l);
}

static void test_lines(void **state)
{
    (void)state;
    double xy[2 * 12], copy[2 * 12];
    for (int i = 0; i < 12; i++) { /* an L of two wiggly legs, its corner at i = 5 */
        xy[2 * i] = i <= 5 ? i : 5 + (i % 2) * 0.1;
        xy[2 * i + 1] = i <= 5 ? (i % 2) * 0.1 : i - 5;
    }
    memcpy(copy, xy, sizeof(xy));
    double scratch[SIMPLIFY_SCRATCH(12) / sizeof(double) + 1];
    assert_int_equal(simplify_part(copy, NULL, 12, false, &(simplify_t){0, NULL}, scratch), 12);
    assert_memory_equal(copy, xy, sizeof(xy));
    size_t n = simplify_part(copy, NULL, 12, false, &(simplify_t){0.5, NULL}, scratch);
    double want[] = {0, 0, 5, 0.1, 5.1, 6};
    assert_int_equal(n, 3);
    assert_memory_equal(copy, want, sizeof(want));
    /* A node in the middle of the flat part stays. */
    uint8_t node[12] = {0};
    node[8] = GEOM_NODE;
    memcpy(copy, xy, sizeof(xy));
    assert_int_equal(simplify_part(copy, node, 12, false, &(simplify_t){0.5, NULL}, scratch), 4);
    assert_true(copy[4] == 5 && copy[5] == 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neighbours_keep_one_boundary),
        cmocka_unit_test(test_enclave_matches_its_hole),
        cmocka_unit_test(test_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
