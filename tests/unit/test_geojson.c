/* GeoJSON encoding: hand-written number formatting against printf/strtod,
 * string escaping, ids, and whole geometries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/geojson.h"
#include "testutil.h"

static char *encode_point(double lon, double lat, crs_id_t crs)
{
    geom_t *g = geom_create(GEOM_POINT, 1, 0, 0);
    g->ll[0] = lon;
    g->ll[1] = lat;
    g->merc[0] = lon * 1000;
    g->merc[1] = lat * 1000;
    buf_t b = BUF_INIT;
    geojson_geometry(&b, g, crs);
    geom_destroy(g);
    return buf_steal(&b, NULL);
}

static void test_point_text(void **state)
{
    (void)state;
    char *s = encode_point(16.15437, 46.41139, CRS_CRS84);
    assert_string_equal(s, "{\"type\":\"Point\",\"coordinates\":[16.15437,46.41139]}");
    free(s);
    s = encode_point(16.15437, 46.41139, CRS_EPSG4326); /* lat, lon */
    assert_string_equal(s, "{\"type\":\"Point\",\"coordinates\":[46.41139,16.15437]}");
    free(s);
    s = encode_point(-0.00000001, -179.123456789, CRS_CRS84);
    assert_string_equal(s, "{\"type\":\"Point\",\"coordinates\":[0,-179.1234568]}");
    free(s);
    s = encode_point(1.5, -2.25, CRS_EPSG3857); /* metres to the centimetre */
    assert_string_equal(s, "{\"type\":\"Point\",\"coordinates\":[1500,-2250]}");
    free(s);
}

/* Every formatted coordinate reads back as the value rounded to 1e-7. */
static void test_coordinates_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 99;
    for (int i = 0; i < 100000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double lon = ((double)(seed >> 11) / 9007199254740992.0) * 360 - 180;
        double lat = lon / 2;
        char *s = encode_point(lon, lat, CRS_CRS84);
        const char *c = strchr(s, '[') + 1;
        char *end;
        double x = strtod(c, &end);
        double y = strtod(end + 1, NULL);
        assert_near(x, round(lon * 1e7) / 1e7, 1e-12);
        assert_near(y, round(lat * 1e7) / 1e7, 1e-12);
        assert_near(x, lon, 0.5e-7 + 1e-12);
        free(s);
    }
}

static void test_numbers_and_strings(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    geojson_number(&b, 0.1);
    buf_puts(&b, " ");
    geojson_number(&b, 1.0 / 3);
    buf_puts(&b, " ");
    geojson_number(&b, NAN);
    buf_puts(&b, " ");
    geojson_string(&b, "Ormož \"x\"\\\n\t\x01");
    buf_puts(&b, " ");
    geojson_id(&b, "12");
    buf_puts(&b, " ");
    geojson_id(&b, "012");
    buf_puts(&b, " ");
    geojson_id(&b, "AT11");
    char *s = buf_steal(&b, NULL);
    assert_string_equal(s, "0.1 0.3333333333333333 null \"Ormož \\\"x\\\"\\\\\\n\\t\\u0001\" 12 "
                           "\"012\" \"AT11\"");
    assert_true(strtod("0.3333333333333333", NULL) == 1.0 / 3); /* shortest exact */
    free(s);
}

static void test_polygon_nesting(void **state)
{
    (void)state;
    /* Two polygons, the second with a hole. */
    geom_t *g = geom_create(GEOM_MULTIPOLYGON, 12, 3, 2);
    const double xy[] = {0, 0, 1, 0, 1, 1, 0, 0, 2, 2, 6, 2, 6, 6, 2, 2, 3, 3, 4, 4, 5, 3, 3, 3};
    memcpy(g->ll, xy, sizeof(xy));
    g->part_start[0] = 0, g->part_start[1] = 4, g->part_start[2] = 8;
    g->poly_start[0] = 0, g->poly_start[1] = 1;
    buf_t b = BUF_INIT;
    geojson_geometry(&b, g, CRS_CRS84);
    char *s = buf_steal(&b, NULL);
    assert_string_equal(s,
                        "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[0,0]]],"
                        "[[[2,2],[6,2],[6,6],[2,2]],[[3,3],[4,4],[5,3],[3,3]]]]}");
    free(s);
    geom_destroy(g);
}

/* Whatever a coordinate holds (loading refuses these, but the writer must
 * not depend on it), the output is short, valid JSON: the fixed-point
 * path once overflowed a stack buffer on 1e308. */
static void test_extreme_values(void **state)
{
    (void)state;
    const double values[] = {
        1e308,     -1e308, 1.7976931348623157e308, 9.1e15, -9.1e15, 4.9e-324, -0.0, INFINITY,
        -INFINITY, NAN};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        for (int crs = CRS_CRS84; crs <= CRS_EPSG3857; crs++) {
            char *s = encode_point(values[i], 46.5, (crs_id_t)crs);
            assert_true(strlen(s) < 120);
            json_error_t err;
            json_t *v = json_loads(s, 0, &err);
            if (v == NULL) fail_msg("value %g crs %d: not JSON: %s", values[i], crs, s);
            json_t *x = json_array_get(json_object_get(v, "coordinates"), crs == CRS_EPSG4326);
            if (isfinite(values[i]) && crs != CRS_EPSG3857 && fabs(values[i]) >= 1e15)
                assert_near(json_number_value(x) / values[i], 1, 1e-15);
            json_decref(v);
            free(s);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_text),          cmocka_unit_test(test_coordinates_round_trip),
        cmocka_unit_test(test_numbers_and_strings), cmocka_unit_test(test_polygon_nesting),
        cmocka_unit_test(test_extreme_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
