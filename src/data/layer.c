#include "data/layer.h"

#include <stdlib.h>
#include <string.h>

#include "data/crs.h"
#include "data/topology.h"
#include "util/text.h"

layer_t *layer_create(const char *id, const char *title, const char *description)
{
    layer_t *layer = calloc(1, sizeof(*layer));
    if (layer == NULL) return NULL;
    layer->id = strdup(id);
    layer->title = strdup(title ? title : id);
    layer->description = text_dup(description);
    layer->extent = bbox_empty();
    layer->extent_merc = bbox_empty();
    if (!layer->id || !layer->title || (description && !layer->description))
        return layer_destroy(layer);
    return layer;
}

static void free_values(value_t *values, const field_t *fields, size_t nfields)
{
    if (values == NULL) return;
    for (size_t i = 0; i < nfields; i++)
        if (fields[i].type == FIELD_STRING && !values[i].is_null) free(values[i].u.s);
    free(values);
}

layer_t *layer_destroy(layer_t *layer)
{
    if (layer == NULL) return NULL;
    for (size_t i = 0; i < layer->nfeatures; i++) {
        feature_t *f = &layer->features[i];
        free(f->id);
        geom_destroy(f->geom);
        free_values(f->values, layer->fields, layer->nfields);
    }
    for (size_t i = 0; i < layer->nfields; i++)
        free(layer->fields[i].name);
    free(layer->fields);
    free(layer->features);
    free(layer->by_id);
    index_destroy(layer->index);
    free(layer->id);
    free(layer->title);
    free(layer->description);
    free(layer->source);
    free(layer->source_layer);
    free(layer->id_field);
    free(layer->source_crs);
    free(layer);
    return NULL;
}

int layer_add_field(layer_t *layer, const char *name, field_type_t type)
{
    field_t *fields = realloc(layer->fields, (layer->nfields + 1) * sizeof(*fields));
    if (fields == NULL) return ERR_NOMEM;
    layer->fields = fields;
    char *copy = strdup(name);
    if (copy == NULL) return ERR_NOMEM;
    fields[layer->nfields] = (field_t){copy, type};
    return (int)layer->nfields++;
}

int layer_add_feature(layer_t *layer, char *id, geom_t *geom, value_t *values)
{
    if (layer->nfeatures == layer->capacity) {
        size_t cap = layer->capacity ? layer->capacity * 2 : 64;
        feature_t *features = realloc(layer->features, cap * sizeof(*features));
        if (features == NULL) {
            free(id);
            geom_destroy(geom);
            free_values(values, layer->fields, layer->nfields);
            return ERR_NOMEM;
        }
        layer->features = features;
        layer->capacity = cap;
    }
    layer->features[layer->nfeatures++] = (feature_t){id, geom, values};
    return ERR_OK;
}

int layer_field_index(const layer_t *layer, const char *name)
{
    for (size_t i = 0; i < layer->nfields; i++)
        if (strcmp(layer->fields[i].name, name) == 0) return (int)i;
    return -1;
}

typedef struct id_entry {
    const char *id;
    uint32_t index;
} id_entry_t;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const id_entry_t *)a)->id, ((const id_entry_t *)b)->id);
}

/* Sorts feature indices by id for layer_find(); a duplicate fails here. */
static int sort_ids(layer_t *layer, error_t *err)
{
    size_t n = layer->nfeatures;
    id_entry_t *entries = malloc((n ? n : 1) * sizeof(*entries));
    layer->by_id = malloc((n ? n : 1) * sizeof(uint32_t));
    if (entries == NULL || layer->by_id == NULL) {
        free(entries);
        return error_set(err, ERR_NOMEM, "out of memory sorting ids");
    }
    for (size_t i = 0; i < n; i++)
        entries[i] = (id_entry_t){layer->features[i].id, (uint32_t)i};
    qsort(entries, n, sizeof(*entries), cmp_entry);
    int rc = ERR_OK;
    for (size_t i = 0; i < n; i++) {
        layer->by_id[i] = entries[i].index;
        if (i > 0 && rc == ERR_OK && strcmp(entries[i - 1].id, entries[i].id) == 0)
            rc = error_set(err, ERR_DUPLICATE, "duplicate feature id '%s' (field '%s')",
                           entries[i].id, layer->id_field ? layer->id_field : "FID");
    }
    free(entries);
    return rc;
}

static int build_index(layer_t *layer, error_t *err)
{
    bbox_t *boxes = malloc((layer->nfeatures ? layer->nfeatures : 1) * sizeof(*boxes));
    if (boxes == NULL) return error_set(err, ERR_NOMEM, "out of memory building the spatial index");
    for (size_t i = 0; i < layer->nfeatures; i++)
        boxes[i] = layer->features[i].geom->bbox;
    layer->index = index_create(boxes, layer->nfeatures);
    free(boxes);
    if (layer->index == NULL)
        return error_set(err, ERR_NOMEM, "out of memory building the spatial index");
    return ERR_OK;
}

int layer_finish(layer_t *layer, error_t *err)
{
    layer->extent = bbox_empty();
    layer->extent_merc = bbox_empty();
    for (size_t i = 0; i < layer->nfeatures; i++) {
        geom_t *g = layer->features[i].geom;
        geom_update_bbox(g);
        crs_lonlat_to_merc(g->ll, g->merc, g->npoints);
        layer->extent = bbox_union(layer->extent, g->bbox);
        for (uint32_t k = 0; k < g->npoints; k++)
            layer->extent_merc =
                bbox_extend_xy(layer->extent_merc, g->merc[2 * k], g->merc[2 * k + 1]);
    }
    if (topology_mark_nodes(layer) != ERR_OK)
        return error_set(err, ERR_NOMEM, "out of memory finding shared boundaries");
    int rc = sort_ids(layer, err);
    if (rc == ERR_OK) rc = build_index(layer, err);
    return rc;
}

const feature_t *layer_find(const layer_t *layer, const char *id)
{
    size_t lo = 0, hi = layer->nfeatures;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const feature_t *f = &layer->features[layer->by_id[mid]];
        int c = strcmp(id, f->id);
        if (c == 0) return f;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t layer_query_bbox(const layer_t *layer, bbox_t q, uint32_t **ids)
{
    return index_query_ids(layer->index, q, ids);
}

const char *field_type_name(field_type_t type)
{
    switch (type) {
    case FIELD_INTEGER:
        return "integer";
    case FIELD_REAL:
        return "number";
    case FIELD_STRING:
        return "string";
    case FIELD_BOOLEAN:
        return "boolean";
    }
    return "unknown";
}
