/* Downloads of a layer's features: CSV (attributes, lon/lat for points,
 * WKT), and GeoPackage and FlatGeobuf through GDAL's own drivers, written
 * into memory (/vsimem/). */
#ifndef COOPMAP_EXPORT_H
#define COOPMAP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/layer.h"
#include "util/buf.h"
#include "util/error.h"

typedef enum export_format { EXPORT_GPKG, EXPORT_FGB } export_format_t;

/* Appends features ids[0..n) of layer as CSV (RFC 4180, UTF-8): a header
 * row "id,<fields>[,lon,lat],wkt" (lon, lat for point layers), then one
 * row each; fields: which to write (NULL: all). */
void export_csv(buf_t *b, const layer_t *layer, const uint32_t *ids, size_t n, const bool *fields);

/* The same features as a GeoPackage or FlatGeobuf file (one layer named
 * after the layer, EPSG:4326 lon/lat): *out malloc'd, the caller frees. */
int export_file(const layer_t *layer, const uint32_t *ids, size_t n, const bool *fields,
                export_format_t fmt, unsigned char **out, size_t *len, error_t *err);

#endif
