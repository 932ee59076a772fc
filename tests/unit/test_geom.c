/* Geometry storage, ring orientation and point-in-polygon. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "data/geom.h"
#include "testutil.h"

/* A 4x4 square with a 2x2 hole, both written clockwise. */
static geom_t *square_with_hole(void)
{
    static const double ring[] = {0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1};
    geom_t *g = geom_create(GEOM_POLYGON, 10, 2, 1);
    memcpy(g->ll, ring, sizeof(ring));
    g->part_start[0] = 0;
    g->part_start[1] = 5;
    g->poly_start[0] = 0;
    geom_update_bbox(g);
    return g;
}

static void test_orientation_rfc7946(void **state)
{
    (void)state;
    geom_t *g = square_with_hole();
    assert_near(geom_ring_area(g->ll, 5), -16, 1e-12);
    geom_orient_rings(g);
    assert_near(geom_ring_area(g->ll, 5), 16, 1e-12);      /* exterior: CCW */
    assert_near(geom_ring_area(g->ll + 10, 5), -4, 1e-12); /* hole: CW */
    assert_int_equal(g->part_start[2], 10);
    assert_int_equal(g->poly_start[1], 2);
    geom_destroy(g);
}

static void test_contains_respects_holes(void **state)
{
    (void)state;
    geom_t *g = square_with_hole();
    assert_true(geom_contains_point(g, 0.5, 0.5));
    assert_true(geom_contains_point(g, 3.5, 2));
    assert_false(geom_contains_point(g, 2, 2)); /* in the hole */
    assert_false(geom_contains_point(g, 5, 2));
    assert_false(geom_contains_point(g, -0.1, 2));
    assert_near(g->bbox.maxx, 4, 0);
    assert_near(g->bbox.miny, 0, 0);
    geom_destroy(g);
}

static void test_points_contain_nothing(void **state)
{
    (void)state;
    geom_t *p = geom_create(GEOM_POINT, 1, 0, 0);
    p->ll[0] = 1;
    p->ll[1] = 2;
    geom_update_bbox(p);
    assert_false(geom_contains_point(p, 1, 2));
    assert_string_equal(geom_type_name(p->type), "Point");
    assert_null(geom_destroy(p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orientation_rfc7946),
        cmocka_unit_test(test_contains_respects_holes),
        cmocka_unit_test(test_points_contain_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
