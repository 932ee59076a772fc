/* Web Mercator against PROJ's own cs2cs (run for real, not copied numbers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/crs.h"
#include "testutil.h"

#define NPOINTS 2000

static void make_points(double *ll)
{
    uint64_t s = 42;
    for (int i = 0; i < NPOINTS; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v = (double)(s >> 11) / 9007199254740992.0;
        /* Half the points in the border area, half anywhere Mercator is defined. */
        if (i % 2) {
            ll[2 * i] = 14.8 + u * 2.8;
            ll[2 * i + 1] = 46.0 + v * 1.6;
        } else {
            ll[2 * i] = -180 + u * 360;
            ll[2 * i + 1] = -85 + v * 170;
        }
    }
}

static void test_matches_cs2cs(void **state)
{
    (void)state;
    static double ll[2 * NPOINTS], merc[2 * NPOINTS];
    make_points(ll);
    char in[] = "/tmp/coopmap-crs-XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    for (int i = 0; i < NPOINTS; i++) /* EPSG:4326 is lat, lon in cs2cs */
        fprintf(fp, "%.10f %.10f\n", ll[2 * i + 1], ll[2 * i]);
    fclose(fp);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cs2cs -f %%.6f EPSG:4326 EPSG:3857 < %s", in);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    crs_lonlat_to_merc(ll, merc, NPOINTS);
    int n = 0;
    double x, y, z;
    while (n < NPOINTS && fscanf(out, "%lf %lf %lf", &x, &y, &z) == 3) {
        assert_near(merc[2 * n], x, 1e-3);
        assert_near(merc[2 * n + 1], y, 1e-3);
        n++;
    }
    int status = pclose(out);
    unlink(in);
    assert_int_equal(status, 0);
    assert_int_equal(n, NPOINTS); /* cs2cs ran and answered every point */
}

/* The EPSG:3035 projection used for planar networks equals PROJ's own
 * EPSG:4326 -> EPSG:3035 (cs2cs prints northing first). */
static void test_laea_matches_cs2cs(void **state)
{
    (void)state;
    static double ll[2 * NPOINTS], xy[2 * NPOINTS];
    make_points(ll);
    for (int i = 0; i < NPOINTS; i++) /* Europe only: the projection's domain */
        ll[2 * i] = fmod(fabs(ll[2 * i]), 40) - 10,
               ll[2 * i + 1] = fmod(fabs(ll[2 * i + 1]), 35) + 35;
    char in[] = "/tmp/coopmap-laea-XXXXXX";
    int fd = mkstemp(in);
    FILE *fp = fdopen(fd, "w");
    for (int i = 0; i < NPOINTS; i++)
        fprintf(fp, "%.10f %.10f\n", ll[2 * i + 1], ll[2 * i]);
    fclose(fp);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cs2cs -f %%.6f EPSG:4326 EPSG:3035 < %s", in);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    assert_int_equal(crs_lonlat_to_laea(ll, xy, NPOINTS), 0);
    int n = 0;
    double north, east, z;
    while (n < NPOINTS && fscanf(out, "%lf %lf %lf", &north, &east, &z) == 3) {
        assert_near(xy[2 * n], east, 1e-3);
        assert_near(xy[2 * n + 1], north, 1e-3);
        n++;
    }
    pclose(out);
    unlink(in);
    assert_int_equal(n, NPOINTS);
}

static void test_round_trip_and_clamp(void **state)
{
    (void)state;
    double ll[] = {16.15437, 46.41139, -179.9, 85.0, 180, 89.9};
    double merc[6], back[6];
    crs_lonlat_to_merc(ll, merc, 3);
    crs_merc_to_lonlat(merc, back, 3);
    for (int i = 0; i < 4; i++)
        assert_near(back[i], ll[i], 1e-9);
    /* Beyond the Mercator limit, latitude is clamped: y equals the x extent. */
    assert_near(merc[4], CRS_MERC_EXTENT, 1e-6);
    assert_near(merc[5], CRS_MERC_EXTENT, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_cs2cs),
        cmocka_unit_test(test_laea_matches_cs2cs),
        cmocka_unit_test(test_round_trip_and_clamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
