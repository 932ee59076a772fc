/* Lon/lat (WGS84) <-> Web Mercator (EPSG:3857).
 *
 * EPSG:3857 is the spherical Mercator formula applied to WGS84 degrees, so
 * it is computed here directly: it runs for every vertex on the rendering
 * hot path and needs no PROJ context per thread. tests/unit/test_crs.c
 * checks it against PROJ's own cs2cs to 1 mm. Sources in any other CRS are
 * reprojected to lon/lat by the source module through OGR/PROJ. */
#ifndef COOPMAP_CRS_H
#define COOPMAP_CRS_H

#include <stdbool.h>
#include <stddef.h>

#include "data/bbox.h"
#include "util/error.h"

#define CRS_MERC_RADIUS  6378137.0
#define CRS_MERC_MAX_LAT 85.0511287798066 /* latitude where y = x range */
#define CRS_MERC_EXTENT  20037508.342789244

/* The CRSs features are served in: CRS84 is lon/lat (RFC 7946); EPSG:4326
 * is the same datum in its official lat/lon axis order; EPSG:3857 is Web
 * Mercator metres. Output (GeoJSON) and input (bbox-crs) alike. */
typedef enum crs_id { CRS_CRS84, CRS_EPSG4326, CRS_EPSG3857 } crs_id_t;

/* Converts n lon/lat pairs (degrees) to Web Mercator metres. ll and merc
 * may alias. Latitudes beyond +-CRS_MERC_MAX_LAT are clamped to it. */
void crs_lonlat_to_merc(const double *ll, double *merc, size_t n);

void crs_merc_to_lonlat(const double *merc, double *ll, size_t n);

/* Projects n lon/lat pairs to EPSG:3035 (ETRS89 / LAEA Europe, metres,
 * easting first) through PROJ, for planar geometry on European data. A
 * PROJ context is made per call, so any thread may call it. Returns 0, or
 * -1 if PROJ cannot make or run the transformation. */
int crs_lonlat_to_laea(const double *ll, double *xy, size_t n);

/* --- any CRS that PROJ knows, for maps drawn in it -------------------------- */

/* A CRS by its code ("EPSG:3794", "CRS:84"), with the transformation from
 * lon/lat (WGS84) to it in easting-first order, whatever the CRS's own axis
 * order. Every function may be called from any thread (each CRS serialises
 * its own PROJ calls). */
typedef struct crs crs_t;

#define CRS_REGISTRY_MAX 32 /* CRSs a process makes besides the reserved (PROJ objects, caches) */
#define CRS_RESERVED_MAX 16

/* Codes crs_get() always makes, whatever the limit (the CRSs a service
 * lists): hostile requests for other codes cannot use their places up.
 * Copied; call before serving. */
void crs_reserve(const char *const *codes);

/* The CRS of code, made on first use and kept for the process (borrowed).
 * Accepts "EPSG:<digits>", "CRS:84" and "OGC:CRS84", case-insensitive;
 * only projected and 2D geographic CRSs. NULL with ERR_CRS for one PROJ
 * does not know or another kind, ERR_TOOBIG beyond CRS_REGISTRY_MAX others
 * than the reserved. */
const crs_t *crs_get(const char *code, error_t *err);

/* Frees every CRS made by crs_get() (at exit; nothing may use them after). */
void crs_registry_free(void);

const char *crs_code(const crs_t *crs); /* as normalised: "EPSG:3794", "CRS:84" */
bool crs_is_geographic(const crs_t *crs);
bool crs_is_web_mercator(const crs_t *crs); /* EPSG:3857: the tiles' own frame */
/* The CRS's official axis order starts with north (latitude, northing):
 * EPSG:4326, 3035, 31287 ... WMS 1.3.0 takes BBOX in that order. */
bool crs_northing_first(const crs_t *crs);
/* The area of use in lon/lat (the whole world if PROJ gives none, or if
 * it crosses the antimeridian). */
bbox_t crs_area(const crs_t *crs);
/* The longitude the CRS's world is centred on (the middle of its area of
 * use): maps in it are cut at the meridian opposite. */
double crs_centre_lon(const crs_t *crs);

/* lon/lat -> x/y (easting first), n points, in place allowed; a point
 * that does not project gets HUGE_VAL. Returns the count projected. */
size_t crs_forward(const crs_t *crs, const double *ll, double *xy, size_t n);
/* x/y -> lon/lat, the same way. */
size_t crs_inverse(const crs_t *crs, const double *xy, double *ll, size_t n);
/* The box, in lon/lat, that holds box xy of the CRS (its edges densified),
 * and back. 0, or -1 if PROJ cannot. */
int crs_box_to_lonlat(const crs_t *crs, bbox_t xy, bbox_t *ll);
int crs_box_from_lonlat(const crs_t *crs, bbox_t ll, bbox_t *xy);

#endif
