/* Lon/lat (WGS84) <-> Web Mercator (EPSG:3857).
 *
 * EPSG:3857 is the spherical Mercator formula applied to WGS84 degrees, so
 * it is computed here directly: it runs for every vertex on the rendering
 * hot path and needs no PROJ context per thread. tests/unit/test_crs.c
 * checks it against PROJ's own cs2cs to 1 mm. Sources in any other CRS are
 * reprojected to lon/lat by the source module through OGR/PROJ. */
#ifndef COOPMAP_CRS_H
#define COOPMAP_CRS_H

#include <stddef.h>

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

#endif
