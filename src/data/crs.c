#include "data/crs.h"

#include <math.h>
#include <proj.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* --- any CRS ------------------------------------------------------------------ */

struct crs {
    char code[24];
    pthread_mutex_t lock; /* a PJ and its context serve one thread at a time */
    PJ_CONTEXT *ctx;
    PJ *pj; /* EPSG:4326 -> the CRS, normalised to lon/lat in, easting first out */
    bool geographic, mercator, north_first;
    bbox_t area;
    double centre_lon; /* of the area of use, which may cross the antimeridian */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static crs_t *registry[CRS_REGISTRY_MAX + CRS_RESERVED_MAX];
static size_t nregistry, nothers; /* all made; those not reserved */
static char reserved[CRS_RESERVED_MAX][24];
static size_t nreserved;

/* "epsg:3794" -> "EPSG:3794"; "CRS:84" and "OGC:CRS84" -> "CRS:84".
 * -1 for anything else (PROJ never sees free text from a request). */
static int normalise(const char *code, char out[24])
{
    if (strcasecmp(code, "CRS:84") == 0 || strcasecmp(code, "OGC:CRS84") == 0) {
        strcpy(out, "CRS:84");
        return 0;
    }
    if (strncasecmp(code, "EPSG:", 5) != 0) return -1;
    size_t n = strlen(code + 5);
    if (n == 0 || n > 9 || strspn(code + 5, "0123456789") != n) return -1;
    snprintf(out, 24, "EPSG:%s", code + 5);
    return 0;
}

/* The first axis of the CRS's coordinate system points north or south. */
static bool first_axis_north(PJ_CONTEXT *ctx, const PJ *crs)
{
    PJ *cs = proj_crs_get_coordinate_system(ctx, crs);
    const char *dir = NULL;
    bool north = cs &&
                 proj_cs_get_axis_info(ctx, cs, 0, NULL, NULL, &dir, NULL, NULL, NULL, NULL) &&
                 dir && (strcasecmp(dir, "north") == 0 || strcasecmp(dir, "south") == 0);
    proj_destroy(cs);
    return north;
}

static void crs_free(crs_t *c)
{
    if (c == NULL) return;
    proj_destroy(c->pj);
    proj_context_destroy(c->ctx);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Makes the CRS (about 10 ms of PROJ database work); NULL with err. */
static crs_t *crs_make(const char *code, error_t *err)
{
    crs_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return error_set(err, ERR_NOMEM, "out of memory"), NULL;
    snprintf(c->code, sizeof(c->code), "%s", code);
    pthread_mutex_init(&c->lock, NULL);
    c->ctx = proj_context_create();
    proj_log_level(c->ctx, PJ_LOG_NONE);
    const char *def = strcmp(code, "CRS:84") == 0 ? "OGC:CRS84" : code;
    PJ *crs = c->ctx ? proj_create(c->ctx, def) : NULL;
    PJ_TYPE type = crs ? proj_get_type(crs) : PJ_TYPE_UNKNOWN;
    if (type != PJ_TYPE_PROJECTED_CRS && type != PJ_TYPE_GEOGRAPHIC_2D_CRS) {
        proj_destroy(crs);
        crs_free(c);
        return error_set(err, ERR_CRS, "%s: not a projected or 2D geographic CRS PROJ knows", code),
               NULL;
    }
    c->geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS;
    c->mercator = strcmp(code, "EPSG:3857") == 0;
    c->north_first = first_axis_north(c->ctx, crs);
    double w, s, e, n;
    c->area = (bbox_t){-180, -90, 180, 90};
    bool known = proj_get_area_of_use(c->ctx, crs, &w, &s, &e, &n, NULL) && w > -1000;
    if (known && w < e) c->area = (bbox_t){w, s, e, n};
    c->centre_lon = !known ? 0 : w <= e ? (w + e) / 2 : fmod((w + e + 360) / 2 + 180, 360) - 180;
    PJ *op = proj_create_crs_to_crs(c->ctx, "EPSG:4326", def, NULL);
    c->pj = op ? proj_normalize_for_visualization(c->ctx, op) : NULL;
    proj_destroy(op);
    proj_destroy(crs);
    if (c->pj == NULL) {
        crs_free(c);
        return error_set(err, ERR_CRS, "%s: PROJ cannot transform lon/lat to it", code), NULL;
    }
    return c;
}

static bool is_reserved(const char *norm)
{
    for (size_t i = 0; i < nreserved; i++)
        if (strcmp(reserved[i], norm) == 0) return true;
    return false;
}

void crs_reserve(const char *const *codes)
{
    pthread_mutex_lock(&registry_lock);
    for (; *codes && nreserved < CRS_RESERVED_MAX; codes++)
        if (normalise(*codes, reserved[nreserved]) == 0 && !is_reserved(reserved[nreserved]))
            nreserved++;
    pthread_mutex_unlock(&registry_lock);
}

const crs_t *crs_get(const char *code, error_t *err)
{
    char norm[24];
    if (code == NULL || normalise(code, norm) != 0)
        return error_set(err, ERR_CRS, "unknown CRS: want EPSG:<code> or CRS:84"), NULL;
    pthread_mutex_lock(&registry_lock);
    crs_t *c = NULL;
    for (size_t i = 0; i < nregistry && c == NULL; i++)
        if (strcmp(registry[i]->code, norm) == 0) c = registry[i];
    bool mine = is_reserved(norm);
    if (c == NULL && !mine && nothers == CRS_REGISTRY_MAX) {
        error_set(err, ERR_TOOBIG, "%s: this server already uses %d other CRSs, its limit", norm,
                  CRS_REGISTRY_MAX);
    } else if (c == NULL && (c = crs_make(norm, err)) != NULL) {
        registry[nregistry++] = c;
        nothers += !mine;
    }
    pthread_mutex_unlock(&registry_lock);
    return c;
}

void crs_registry_free(void)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < nregistry; i++)
        crs_free(registry[i]);
    nregistry = nothers = 0;
    pthread_mutex_unlock(&registry_lock);
}

const char *crs_code(const crs_t *crs)
{
    return crs->code;
}
bool crs_is_geographic(const crs_t *crs)
{
    return crs->geographic;
}
bool crs_is_web_mercator(const crs_t *crs)
{
    return crs->mercator;
}
bool crs_northing_first(const crs_t *crs)
{
    return crs->north_first;
}
bbox_t crs_area(const crs_t *crs)
{
    return crs->area;
}

double crs_centre_lon(const crs_t *crs)
{
    return crs->centre_lon;
}

static size_t transform(const crs_t *crs, PJ_DIRECTION dir, const double *in, double *out, size_t n)
{
    crs_t *c = (crs_t *)crs; /* the lock is the only thing that changes */
    if (in != out) memmove(out, in, 2 * n * sizeof(double));
    pthread_mutex_lock(&c->lock);
    proj_errno_reset(c->pj);
    proj_trans_generic(c->pj, dir, out, 2 * sizeof(double), n, out + 1, 2 * sizeof(double), n, NULL,
                       0, 0, NULL, 0, 0);
    pthread_mutex_unlock(&c->lock);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(out[2 * i]) && isfinite(out[2 * i + 1]) && fabs(out[2 * i]) < 1e15) {
            ok++;
        } else {
            out[2 * i] = out[2 * i + 1] = HUGE_VAL;
        }
    }
    return ok;
}

size_t crs_forward(const crs_t *crs, const double *ll, double *xy, size_t n)
{
    return transform(crs, PJ_FWD, ll, xy, n);
}

size_t crs_inverse(const crs_t *crs, const double *xy, double *ll, size_t n)
{
    return transform(crs, PJ_INV, xy, ll, n);
}

static int bounds(const crs_t *crs, PJ_DIRECTION dir, bbox_t in, bbox_t *out)
{
    crs_t *c = (crs_t *)crs;
    pthread_mutex_lock(&c->lock);
    int ok = proj_trans_bounds(c->ctx, c->pj, dir, in.minx, in.miny, in.maxx, in.maxy, &out->minx,
                               &out->miny, &out->maxx, &out->maxy, 21);
    pthread_mutex_unlock(&c->lock);
    return ok && isfinite(out->minx) && isfinite(out->maxy) && out->minx <= out->maxx &&
                   out->miny <= out->maxy
               ? 0
               : -1;
}

int crs_box_to_lonlat(const crs_t *crs, bbox_t xy, bbox_t *ll)
{
    return bounds(crs, PJ_INV, xy, ll);
}

int crs_box_from_lonlat(const crs_t *crs, bbox_t ll, bbox_t *xy)
{
    return bounds(crs, PJ_FWD, ll, xy);
}
