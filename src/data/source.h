/* Reading layers through GDAL/OGR: the only module that includes GDAL.
 *
 * Any OGR vector source works (GeoJSON, GeoPackage, Shapefile, PostGIS via
 * "PG:..."). Geometries are reprojected to WGS84 lon/lat (traditional GIS
 * axis order), invalid polygons are repaired with GEOS MakeValid through OGR
 * when GDAL has GEOS, and attributes are typed. */
#ifndef COOPMAP_SOURCE_H
#define COOPMAP_SOURCE_H

#include "util/error.h"
#include "data/layer.h"
#include "data/project.h"

/* Loads one layer completely and seals it (layer_finish). On success *out is
 * a layer the caller frees with layer_destroy(); on failure *out is NULL and
 * err names the source, the layer and the problem. */
int source_load(const layer_spec_t *spec, layer_t **out, error_t *err);

/* "GDAL 3.6.2, PROJ 9.1.1, GEOS 3.11.1" into buf. */
void source_versions(char *buf, size_t size);

/* Copies an OGR source string into out (size bytes, NUL-terminated) with
 * its password hidden: libpq's password=... (quoted or not) and a URI's
 * user:password@ become "***". For every message, log line and listing
 * that shows a source. */
void source_redact(const char *src, char *out, size_t size);

#endif
