/* Feature selection: bbox through the index against a brute-force scan,
 * the antimeridian, bbox CRSs, and attribute filters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "data/crs.h"
#include "data/query.h"
#include "testutil.h"

static uint64_t seed = 1;

static double rnd(double lo, double hi)
{
    return lo + (hi - lo) * rnd_unit(&seed);
}

/* n random points over the whole world, with an integer and a string field. */
static layer_t *random_points(size_t n)
{
    layer_t *l = layer_create("pts", NULL, NULL);
    layer_add_field(l, "rank", FIELD_INTEGER);
    layer_add_field(l, "kind", FIELD_STRING);
    for (size_t i = 0; i < n; i++) {
        geom_t *g = geom_create(GEOM_POINT, 1, 0, 0);
        g->ll[0] = rnd(-180, 180);
        g->ll[1] = rnd(-85, 85);
        value_t *v = calloc(2, sizeof(value_t));
        v[0].u.i = (int64_t)(i % 7);
        v[1].u.s = strdup(i % 2 ? "odd" : "even");
        char id[32];
        snprintf(id, sizeof(id), "%zu", i);
        layer_add_feature(l, strdup(id), g, v);
    }
    error_t err;
    assert_int_equal(layer_finish(l, &err), ERR_OK);
    return l;
}

static size_t brute(const layer_t *l, const bbox_t *boxes, int nboxes)
{
    size_t n = 0;
    for (size_t i = 0; i < l->nfeatures; i++) {
        const double *p = l->features[i].geom->ll;
        for (int k = 0; k < nboxes; k++)
            if (bbox_contains_xy(boxes[k], p[0], p[1])) {
                n++;
                break;
            }
    }
    return n;
}

static void test_bbox_matches_brute_force(void **state)
{
    (void)state;
    layer_t *l = random_points(5000);
    for (int t = 0; t < 2000; t++) {
        double v[4] = {rnd(-180, 180), rnd(-85, 85), 0, 0};
        v[2] = v[0] + rnd(0, 60), v[3] = v[1] + rnd(0, 30);
        if (v[2] > 180) v[2] -= 360; /* wraps: crosses the antimeridian */
        if (v[3] > 90) v[3] = 90;
        query_t q = {0};
        error_t err;
        assert_int_equal(query_set_bbox(&q, v, CRS_CRS84, &err), ERR_OK);
        assert_int_equal(q.nboxes, v[0] > v[2] ? 2 : 1);
        uint32_t *ids;
        size_t n;
        assert_int_equal(query_run(l, &q, &ids, &n), ERR_OK);
        assert_int_equal(n, brute(l, q.boxes, q.nboxes));
        for (size_t i = 1; i < n; i++)
            assert_true(ids[i - 1] < ids[i]); /* layer order, no duplicates */
        free(ids);
    }
    layer_destroy(l);
}

static void test_bbox_crs_and_errors(void **state)
{
    (void)state;
    query_t a = {0}, b = {0}, c = {0};
    error_t err;
    double ll[4] = {15.9, 46.5, 16.3, 46.8};
    double latlon[4] = {46.5, 15.9, 46.8, 16.3};
    double merc[4];
    crs_lonlat_to_merc(ll, merc, 2);
    assert_int_equal(query_set_bbox(&a, ll, CRS_CRS84, &err), ERR_OK);
    assert_int_equal(query_set_bbox(&b, latlon, CRS_EPSG4326, &err), ERR_OK);
    assert_int_equal(query_set_bbox(&c, merc, CRS_EPSG3857, &err), ERR_OK);
    assert_memory_equal(&a.boxes[0], &b.boxes[0], sizeof(bbox_t));
    assert_near(c.boxes[0].minx, 15.9, 1e-9);
    assert_near(c.boxes[0].maxy, 46.8, 1e-9);
    double bad[][4] = {{0, 95, 1, 96}, {0, 10, 1, 5}, {-200, 0, 1, 1}, {NAN, 0, 1, 1}};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(query_set_bbox(&a, bad[i], CRS_CRS84, &err), ERR_INVALID);
}

static void test_filters(void **state)
{
    (void)state;
    layer_t *l = random_points(700);
    query_t q = {0};
    error_t err;
    assert_int_equal(query_add_filter(&q, l, "rank", "3", &err), ERR_OK);
    assert_int_equal(query_add_filter(&q, l, "kind", "odd", &err), ERR_OK);
    assert_int_equal(query_add_filter(&q, l, "rank", "x", &err), ERR_INVALID);
    assert_int_equal(query_add_filter(&q, l, "nope", "1", &err), ERR_NOTFOUND);
    uint32_t *ids;
    size_t n;
    assert_int_equal(query_run(l, &q, &ids, &n), ERR_OK);
    size_t expect = 0;
    for (size_t i = 0; i < 700; i++)
        expect += i % 7 == 3 && i % 2 == 1;
    assert_int_equal(n, expect);
    for (size_t i = 0; i < n; i++)
        assert_true(ids[i] % 7 == 3 && ids[i] % 2 == 1);
    free(ids);
    layer_destroy(l);
}

/* A box inside a polygon, touching only its interior, still selects it. */
static void test_polygon_exact(void **state)
{
    (void)state;
    geom_t *g = geom_create(GEOM_POLYGON, 4, 1, 1);
    const double tri[] = {0, 0, 10, 0, 0, 10, 0, 0};
    memcpy(g->ll, tri, sizeof(tri));
    g->part_start[0] = 0;
    g->poly_start[0] = 0;
    geom_update_bbox(g);
    assert_true(geom_intersects_bbox(g, (bbox_t){1, 1, 2, 2}));   /* inside */
    assert_true(geom_intersects_bbox(g, (bbox_t){-1, -1, 1, 1})); /* over an edge */
    assert_false(geom_intersects_bbox(g, (bbox_t){6, 6, 9, 9}));  /* in bbox, off the shape */
    geom_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bbox_matches_brute_force),
        cmocka_unit_test(test_bbox_crs_and_errors),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_polygon_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
