/* Web Mercator against PROJ's own cs2cs (run for real, not copied numbers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Any CRS: crs_forward() and crs_inverse() against cs2cs (which prints
 * in the CRS's own axis order) on points of the border area, and the
 * axis order WMS 1.3.0 follows, as the EPSG registry gives it. */
static void test_national_crs(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        bool north_first;
    } crss[] = {{"EPSG:3794", false}, {"EPSG:23700", false}, {"EPSG:31287", true},
                {"EPSG:31256", true}, {"EPSG:31255", true},  {"EPSG:3035", true},
                {"EPSG:4258", true},  {"epsg:4326", true},   {"CRS:84", false}};
    static double ll[2 * NPOINTS], xy[2 * NPOINTS], ref[2 * NPOINTS], back[2 * NPOINTS];
    make_points(ll);
    for (int i = 0; i < NPOINTS; i++) /* lon 14.8..17.6, lat 46.0..47.6 */
        ll[2 * i] = 14.8 + fmod(fabs(ll[2 * i]), 2.8),
               ll[2 * i + 1] = 46.0 + fmod(fabs(ll[2 * i + 1]), 1.6);
    for (size_t c = 0; c < sizeof(crss) / sizeof(crss[0]); c++) {
        error_t err = {0};
        const crs_t *crs = crs_get(crss[c].code, &err);
        assert_non_null(crs);
        assert_int_equal(crs_northing_first(crs), crss[c].north_first);
        assert_int_equal(crs_forward(crs, ll, xy, NPOINTS), NPOINTS);
        const char *target = strcmp(crss[c].code, "CRS:84") == 0 ? "OGC:CRS84" : crss[c].code;
        assert_int_equal(run_cs2cs(target, ll, ref), NPOINTS);
        double tol = crs_is_geographic(crs) ? 1e-6 : 1e-3; /* cs2cs prints 6 decimals */
        int e = crss[c].north_first ? 1 : 0;               /* where cs2cs put the easting */
        for (int i = 0; i < NPOINTS; i++) {
            assert_near(xy[2 * i], ref[2 * i + e], tol);
            assert_near(xy[2 * i + 1], ref[2 * i + 1 - e], tol);
        }
        /* Within a metre: for MGI, PROJ may pick another of its datum shifts
         * (by area of use) for the way back. */
        assert_int_equal(crs_inverse(crs, xy, back, NPOINTS), NPOINTS);
        for (int i = 0; i < 2 * NPOINTS; i++)
            assert_near(back[i], ll[i], 1e-5);
    }
    assert_ptr_equal(crs_get("EPSG:3794", NULL), crs_get("epsg:3794", NULL)); /* one each */
}

static void test_crs_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"EPSG:4978",  "EPSG:999999",     "EPSG:", "EPSG:12a",
                                      "+proj=merc", "EPSG:1234567890", "urn:x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        error_t err = {0};
        assert_null(crs_get(bad[i], &err));
        assert_int_equal(err.code, ERR_CRS);
    }
    crs_registry_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_cs2cs),        cmocka_unit_test(test_laea_matches_cs2cs),
        cmocka_unit_test(test_round_trip_and_clamp), cmocka_unit_test(test_national_crs),
        cmocka_unit_test(test_crs_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
