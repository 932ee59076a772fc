/* Feature selection for the OGC API: a bbox through the spatial index, with
 * an exact geometry test, and equality filters on attributes. No HTTP here:
 * handlers parse parameters into a query_t and encode what it selects. */
#ifndef COOPMAP_QUERY_H
#define COOPMAP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/bbox.h"
#include "util/error.h"
#include "data/crs.h"
#include "data/layer.h"

#define QUERY_MAX_FILTERS 16

typedef struct query_filter {
    int field;         /* layer field index */
    const char *value; /* borrowed; the text as given */
    int64_t i;         /* parsed value for integer fields */
    double r;          /* parsed value for real fields */
} query_filter_t;

#define QUERY_MAX_SORT 8

typedef struct query_sort {
    int field; /* layer field index */
    bool descending;
} query_sort_t;

struct cql2;

typedef struct query {
    bbox_t boxes[2]; /* lon/lat; two when the bbox crosses the antimeridian */
    int nboxes;      /* 0: no spatial filter */
    query_filter_t filters[QUERY_MAX_FILTERS];
    size_t nfilters;
    const struct cql2 *cql; /* a CQL2 filter (borrowed), or NULL */
    query_sort_t sort[QUERY_MAX_SORT];
    size_t nsort; /* 0: in the layer's order */
} query_t;

/* Sets the spatial filter from minx, miny, maxx, maxy in the given CRS
 * (axis order of that CRS: EPSG:4326 gives lat, lon). west > east means
 * the box crosses the antimeridian. ERR_INVALID with a message when the
 * numbers are out of range. */
int query_set_bbox(query_t *q, const double v[4], crs_id_t crs, error_t *err);

/* Adds "field equals value". ERR_NOTFOUND for an unknown field, ERR_INVALID
 * for a value the field's type cannot hold. value is borrowed. */
int query_add_filter(query_t *q, const layer_t *layer, const char *field, const char *value,
                     error_t *err);

/* Adds the sort keys of sortby ("+name,-population": + or a space (a
 * URL's decoded +) or nothing for ascending, - for descending).
 * ERR_INVALID naming an unknown property or too many keys. */
int query_add_sort(query_t *q, const layer_t *layer, const char *sortby, error_t *err);

/* Selects the matching features (sorted by q's keys, stably, nulls last
 * either way): *ids (malloc'd, the caller frees; NULL if
 * none) holds their indices in layer order, *count how many. */
int query_run(const layer_t *layer, const query_t *q, uint32_t **ids, size_t *count);

#endif
