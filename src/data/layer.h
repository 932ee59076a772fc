/* A loaded layer: typed attributes, geometries in lon/lat and Web Mercator,
 * stable feature ids, and a spatial index. Built by the source module, then
 * sealed by layer_finish(); immutable afterwards, so any number of request
 * threads may read it while a dataset holds a reference. */
#ifndef COOPMAP_LAYER_H
#define COOPMAP_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "data/bbox.h"
#include "util/error.h"
#include "data/geom.h"
#include "data/index.h"

/* FIELD_BOOLEAN values are stored in u.i as 0 or 1. */
typedef enum field_type { FIELD_INTEGER, FIELD_REAL, FIELD_STRING, FIELD_BOOLEAN } field_type_t;

typedef struct field {
    char *name;
    field_type_t type;
} field_t;

typedef struct value {
    int is_null;
    union {
        int64_t i;
        double r;
        char *s;
    } u;
} value_t;

typedef struct feature {
    char *id;        /* stable id: the id field's value, or the source FID */
    geom_t *geom;    /* never NULL once loaded */
    value_t *values; /* one per layer field */
} feature_t;

typedef struct layer {
    char *id, *title, *description;
    char *source;          /* OGR data source string as opened */
    char *source_layer;    /* OGR layer name */
    char *id_field;        /* NULL: ids are the source FIDs */
    char *source_crs;      /* e.g. "EPSG:3035", as found in the source */
    geom_type_t geom_type; /* common type, or GEOM_NONE if mixed */
    field_t *fields;
    size_t nfields;
    feature_t *features;
    size_t nfeatures, capacity;
    bbox_t extent;      /* lon/lat */
    bbox_t extent_merc; /* Web Mercator metres */
    index_t *index;     /* over feature lon/lat boxes; ids are feature indices */
    uint32_t *by_id;    /* feature indices sorted by id */
} layer_t;

/* Creates an empty layer with copies of the given names (title and
 * description may be NULL). Free with layer_destroy(). */
layer_t *layer_create(const char *id, const char *title, const char *description);

layer_t *layer_destroy(layer_t *layer);

/* Adds a field; the name is copied. Returns its index or ERR_NOMEM. */
int layer_add_field(layer_t *layer, const char *name, field_type_t type);

/* Appends a feature that takes ownership of id (malloc'd), geom and values
 * (malloc'd array of nfields values whose strings are malloc'd). On failure
 * they are freed and ERR_NOMEM returned. */
int layer_add_feature(layer_t *layer, char *id, geom_t *geom, value_t *values);

/* Computes Web Mercator coordinates and extents, sorts ids (failing on a
 * duplicate with a message naming it) and builds the spatial index. */
int layer_finish(layer_t *layer, error_t *err);

/* Index of the named field, or -1. */
int layer_field_index(const layer_t *layer, const char *name);

/* The feature with this id, or NULL. Borrowed from the layer. */
const feature_t *layer_find(const layer_t *layer, const char *id);

/* Ids of features whose lon/lat box intersects q, ascending: see
 * index_query_ids() for ownership. */
size_t layer_query_bbox(const layer_t *layer, bbox_t q, uint32_t **ids);

const char *field_type_name(field_type_t type);

#endif
