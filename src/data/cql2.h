/* CQL2 filters (OGC API - Features Part 3): text and JSON encodings
 * parsed once per request into an expression tree bound to a layer's
 * fields, then evaluated per feature with SQL's three-valued logic. What
 * is supported: comparisons, AND/OR/NOT, IS [NOT] NULL, LIKE, BETWEEN,
 * IN, CASEI, ACCENTI, property-property comparisons, and S_INTERSECTS,
 * S_DISJOINT, S_WITHIN, S_CONTAINS with WKT, BBOX and GeoJSON literals. */
#ifndef COOPMAP_CQL2_H
#define COOPMAP_CQL2_H

#include <stdbool.h>
#include <stdint.h>

#include "data/bbox.h"
#include "data/crs.h"
#include "data/layer.h"
#include "util/error.h"

typedef enum cql2_lang { CQL2_TEXT, CQL2_JSON } cql2_lang_t;

typedef struct cql2 cql2_t;

/* Parses text as a filter on layer, its geometry literals in crs (the
 * request's filter-crs). The caller frees *out with cql2_free().
 * ERR_INVALID with a message: for the text encoding the position (1-based
 * character) and the token of a syntax error ("at 17 near 'ANDD'"); an
 * unknown property named, with the layer's queryables. */
int cql2_parse(const char *text, cql2_lang_t lang, const layer_t *layer, crs_id_t crs, cql2_t **out,
               error_t *err);

/* Does the filter select feature i of the layer it was parsed for? */
bool cql2_match(const cql2_t *f, uint32_t i);

/* A lon/lat box every selected feature meets, when the filter has one (a
 * spatial literal the whole filter depends on): for the spatial index. */
bool cql2_bbox(const cql2_t *f, bbox_t *out);

void cql2_free(cql2_t *f);

#endif
