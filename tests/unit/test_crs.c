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
        double u = rnd_unit(&s), v = rnd_unit(&s);
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

/* Runs PROJ's cs2cs from EPSG:4326 (lat, lon order) to target on the lon/lat
 * pairs ll and stores the first two numbers it prints per point in out, in
 * its order. Returns how many points it answered; fails the test when
 * cs2cs does not run or exits non-zero. */
static int run_cs2cs(const char *target, const double *ll, double *out)
{
    char in[] = "/tmp/coopmap-crs-XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    for (int i = 0; i < NPOINTS; i++)
        fprintf(fp, "%.10f %.10f\n", ll[2 * i + 1], ll[2 * i]);
    fclose(fp);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cs2cs -f %%.6f EPSG:4326 %s < %s", target, in);
    FILE *pipe = popen(cmd, "r");
    assert_non_null(pipe);
    int n = 0;
    double z;
    while (n < NPOINTS && fscanf(pipe, "%lf %lf %lf", &out[2 * n], &out[2 * n + 1], &z) == 3)
        n++;
    int status = pclose(pipe);
    unlink(in);
    assert_int_equal(status, 0);
    return n;
}

static void test_matches_cs2cs(void **state)
{
    (void)state;
    static double ll[2 * NPOINTS], merc[2 * NPOINTS], ref[2 * NPOINTS];
    make_points(ll);
    crs_lonlat_to_merc(ll, merc, NPOINTS);
    assert_int_equal(run_cs2cs("EPSG:3857", ll, ref), NPOINTS); /* every point answered */
    for (int i = 0; i < NPOINTS; i++) {
        assert_near(merc[2 * i], ref[2 * i], 1e-3);
        assert_near(merc[2 * i + 1], ref[2 * i + 1], 1e-3);
    }
}

/* The EPSG:3035 projection used for planar networks equals PROJ's own
 * EPSG:4326 -> EPSG:3035 (cs2cs prints northing first). */
static void test_laea_matches_cs2cs(void **state)
{
    (void)state;
    static double ll[2 * NPOINTS], xy[2 * NPOINTS], ref[2 * NPOINTS];
    make_points(ll);
    for (int i = 0; i < NPOINTS; i++) /* Europe only: the projection's domain */
        ll[2 * i] = fmod(fabs(ll[2 * i]), 40) - 10,
               ll[2 * i + 1] = fmod(fabs(ll[2 * i + 1]), 35) + 35;
    assert_int_equal(crs_lonlat_to_laea(ll, xy, NPOINTS), 0);
    assert_int_equal(run_cs2cs("EPSG:3035", ll, ref), NPOINTS);
    for (int i = 0; i < NPOINTS; i++) {
        assert_near(xy[2 * i], ref[2 * i + 1], 1e-3);
        assert_near(xy[2 * i + 1], ref[2 * i], 1e-3);
    }
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
