/* Cutting at a CRS's seam (render/seam.c): lines and polygons that cross
 * the antimeridian, or the meridian opposite a national CRS's centre, come
 * out in pieces on either side with their area kept; what crosses nothing
 * is left alone. Then a map in EPSG:3832 (PDC Mercator, centred on the
 * Pacific) of a box over lon 180 draws no edge across the whole map. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/crs.h"
#include "render/reproject.h"
#include "render/seam.h"
#include "testutil.h"

static geom_t *make(geom_type_t type, const double *ll, uint32_t n)
{
    bool area = type == GEOM_POLYGON;
    geom_t *g = geom_create(type, n, 1, area ? 1 : 0);
    assert_non_null(g);
    memcpy(g->ll, ll, 2 * n * sizeof(double));
    geom_update_bbox(g);
    return g;
}

static double total_area(const geom_t *g)
{
    double a = 0;
    for (uint32_t p = 0; p < g->nparts; p++)
        a += fabs(
            geom_ring_area(g->ll + 2 * g->part_start[p], g->part_start[p + 1] - g->part_start[p]));
    return a;
}

static void assert_within(const geom_t *g, double c)
{
    for (uint32_t i = 0; i < g->npoints; i++) {
        assert_true(g->ll[2 * i] >= c - 180 - 1e-9);
        assert_true(g->ll[2 * i] <= c + 180 + 1e-9);
    }
}

static void test_line_across_antimeridian(void **state)
{
    (void)state;
    double ll[] = {179, 10, -179, 12}; /* the short way, over lon 180 */
    geom_t *g = make(GEOM_LINESTRING, ll, 2), *cut = seam_split(g, 0);
    assert_non_null(cut);
    assert_int_equal(cut->type, GEOM_MULTILINESTRING);
    assert_int_equal(cut->nparts, 2);
    assert_within(cut, 0);
    /* each piece ends on the seam at the latitude halfway */
    double ends = 0;
    for (uint32_t i = 0; i < cut->npoints; i++)
        if (fabs(fabs(cut->ll[2 * i]) - 180) < 1e-9) {
            assert_true(fabs(cut->ll[2 * i + 1] - 11) < 1e-9);
            ends++;
        }
    assert_true(ends == 2);
    geom_destroy(cut);
    geom_destroy(g);
}

static void test_polygon_across_antimeridian(void **state)
{
    (void)state;
    double ll[] = {178, -1, -178, -1, -178, 1, 178, 1, 178, -1}; /* 4 x 2 degrees */
    geom_t *g = make(GEOM_POLYGON, ll, 5), *cut = seam_split(g, 0);
    assert_non_null(cut);
    assert_int_equal(cut->type, GEOM_MULTIPOLYGON);
    assert_int_equal(cut->npolys, 2);
    assert_within(cut, 0);
    assert_true(fabs(total_area(cut) - 8) < 1e-9);
    geom_destroy(cut);
    geom_destroy(g);
}

static void test_national_seam(void **state)
{
    (void)state;
    /* D96/TM is centred on 15 E: its seam is 165 W. */
    double ll[] = {-170, 0, -160, 0, -160, 5, -170, 5, -170, 0};
    geom_t *g = make(GEOM_POLYGON, ll, 5), *cut = seam_split(g, 15);
    assert_non_null(cut);
    assert_int_equal(cut->npolys, 2);
    assert_within(cut, 15);
    assert_true(fabs(total_area(cut) - 50) < 1e-9);
    geom_destroy(cut);
    geom_destroy(g);
}

static void test_left_alone(void **state)
{
    (void)state;
    double europe[] = {15, 46, 17, 46, 17, 47, 15, 47, 15, 46};
    double polar[] = {-180, 80, -90, 80, 0, 80, 90, 80, 180, 80}; /* circles the pole */
    geom_t *a = make(GEOM_POLYGON, europe, 5), *b = make(GEOM_POLYGON, polar, 5);
    assert_null(seam_split(a, 0));
    assert_null(seam_split(a, 15));
    assert_null(seam_split(b, 0));
    double pt[] = {179.5, 0};
    geom_t *p = make(GEOM_POINT, pt, 1);
    assert_null(seam_split(p, 0));
    geom_destroy(a);
    geom_destroy(b);
    geom_destroy(p);
}

/* Through the projection: a line over lon 180 in EPSG:3832 (centred on
 * 150 E) stays one short line, and in EPSG:3857 it becomes two pieces at
 * the map's edges, none crossing the map. */
static void test_projected(void **state)
{
    (void)state;
    layer_t *l = layer_create("l", NULL, NULL);
    double ll[] = {179, 10, -179, 12};
    geom_t *g = make(GEOM_LINESTRING, ll, 2);
    assert_int_equal(layer_add_feature(l, strdup("1"), g, calloc(1, sizeof(value_t))), ERR_OK);
    error_t err = {0};
    assert_int_equal(layer_finish(l, &err), ERR_OK);
    const crs_t *pacific = crs_get("EPSG:3832", &err), *merc = crs_get("EPSG:3857", &err);
    assert_non_null(pacific);
    assert_non_null(merc);
    projected_t *p = reproject_layer(l, pacific);
    assert_non_null(p->geoms[0]);
    assert_int_equal(p->geoms[0]->nparts, 1);
    double dx = p->geoms[0]->merc[2 * (p->geoms[0]->npoints - 1)] - p->geoms[0]->merc[0];
    assert_true(fabs(dx) < 300e3); /* 2 degrees near the equator: ~220 km */
    reproject_free(p);
    p = reproject_layer(l, merc);
    assert_non_null(p->geoms[0]);
    assert_int_equal(p->geoms[0]->nparts, 2);
    for (uint32_t k = 1; k < p->geoms[0]->npoints; k++)
        if (k != p->geoms[0]->part_start[1])
            assert_true(fabs(p->geoms[0]->merc[2 * k] - p->geoms[0]->merc[2 * k - 2]) < 300e3);
    reproject_free(p);
    layer_destroy(l);
    crs_registry_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_across_antimeridian),
        cmocka_unit_test(test_polygon_across_antimeridian),
        cmocka_unit_test(test_national_seam),
        cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_projected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
