#include "data/crs.h"

#include <math.h>
#include <proj.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define DEG2RAD (M_PI / 180.0)

void crs_lonlat_to_merc(const double *ll, double *merc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double lon = ll[2 * i], lat = ll[2 * i + 1];
        if (lat > CRS_MERC_MAX_LAT)
            lat = CRS_MERC_MAX_LAT;
        else if (lat < -CRS_MERC_MAX_LAT)
            lat = -CRS_MERC_MAX_LAT;
        merc[2 * i] = CRS_MERC_RADIUS * lon * DEG2RAD;
        merc[2 * i + 1] = CRS_MERC_RADIUS * log(tan(M_PI / 4 + lat * DEG2RAD / 2));
    }
}

void crs_merc_to_lonlat(const double *merc, double *ll, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = merc[2 * i], y = merc[2 * i + 1];
        ll[2 * i] = x / CRS_MERC_RADIUS / DEG2RAD;
        ll[2 * i + 1] = (2 * atan(exp(y / CRS_MERC_RADIUS)) - M_PI / 2) / DEG2RAD;
    }
}

/* EPSG:3035's projection spelled out: the same numbers as PROJ's
 * EPSG:4326 -> EPSG:3035 (whose datum step is a null shift), without the
 * ~10 ms database lookup per call. test_crs checks it against cs2cs. */
static const char laea_pipeline[] =
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
    "+step +proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80";

int crs_lonlat_to_laea(const double *ll, double *xy, size_t n)
{
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *pj = ctx ? proj_create(ctx, laea_pipeline) : NULL; /* lon/lat in, x/y out */
    int rc = -1;
    if (pj) {
        memmove(xy, ll, 2 * n * sizeof(double));
        size_t done = proj_trans_generic(pj, PJ_FWD, xy, 2 * sizeof(double), n, xy + 1,
                                         2 * sizeof(double), n, NULL, 0, 0, NULL, 0, 0);
        rc = done == n && proj_errno(pj) == 0 ? 0 : -1;
    }
    proj_destroy(pj);
    proj_context_destroy(ctx);
    return rc;
}
