/* GeoJSON encoding of layers' features (RFC 7946), straight into a buf_t:
 * this is the hot path of every /items response, so numbers are formatted
 * by hand and nothing is built as a tree first. */
#ifndef COOPMAP_GEOJSON_H
#define COOPMAP_GEOJSON_H

#include <stdbool.h>
#include <stdint.h>

#include "data/crs.h"
#include "util/buf.h"
#include "data/layer.h"

typedef struct geojson_opts {
    crs_id_t crs;
    const bool *fields; /* per layer field: include it? NULL: all fields */
    bool no_geometry;   /* "geometry": null (skipGeometry) */
} geojson_opts_t;

/* Appends one Feature object: id, geometry, properties. */
void geojson_feature(buf_t *b, const layer_t *layer, const feature_t *f,
                     const geojson_opts_t *opts);

/* Appends the properties object of a feature (fields: as in opts). */
void geojson_properties(buf_t *b, const layer_t *layer, const feature_t *f, const bool *fields);

/* Appends a geometry object; ~1 cm precision in every CRS. */
void geojson_geometry(buf_t *b, const geom_t *g, crs_id_t crs);

/* Appends s as a JSON string literal (quotes, escapes; UTF-8 kept). */
void geojson_string(buf_t *b, const char *s);

/* Appends the shortest decimal that reads back as exactly v; null for
 * NaN and infinities, which JSON cannot carry. */
void geojson_number(buf_t *b, double v);

/* Appends a non-null value as JSON writes numbers and booleans (integers
 * whole, reals in their shortest exact form), its string through string():
 * one form of values for the GeoJSON, CSV, HTML and WMS writers. */
void geojson_value_as(buf_t *b, field_type_t type, const value_t *v,
                      void (*string)(buf_t *, const char *));

/* Appends a feature id: a JSON number when it is a plain integer, so
 * clients such as GDAL keep it as the FID; a string otherwise. */
void geojson_id(buf_t *b, const char *id);

#endif
