#include "data/query.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/crs.h"
#include "data/cql2.h"
#include "util/text.h"

int query_set_bbox(query_t *q, const double v[4], crs_id_t crs, error_t *err)
{
    double minx = v[0], miny = v[1], maxx = v[2], maxy = v[3];
    if (crs == CRS_EPSG4326) { /* lat, lon */
        minx = v[1], miny = v[0], maxx = v[3], maxy = v[2];
    } else if (crs == CRS_EPSG3857) {
        double m[4] = {v[0], v[1], v[2], v[3]}, ll[4];
        for (int i = 0; i < 4; i++)
            if (!isfinite(m[i]) || fabs(m[i]) > CRS_MERC_EXTENT * 1.0001)
                return error_set(err, ERR_INVALID, "bbox: %g is outside EPSG:3857", m[i]);
        crs_merc_to_lonlat(m, ll, 2);
        minx = ll[0], miny = ll[1], maxx = ll[2], maxy = ll[3];
    }
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i])) return error_set(err, ERR_INVALID, "bbox: numbers must be finite");
    if (minx < -180 || maxx > 180 || minx > 180 || maxx < -180)
        return error_set(err, ERR_INVALID, "bbox: longitudes must lie in -180..180");
    if (miny < -90 || maxy > 90)
        return error_set(err, ERR_INVALID, "bbox: latitudes must lie in -90..90");
    if (miny > maxy)
        return error_set(err, ERR_INVALID,
                         "bbox: the south edge %g is north of the north "
                         "edge %g",
                         miny, maxy);
    q->nboxes = 1;
    q->boxes[0] = (bbox_t){minx, miny, maxx, maxy};
    if (minx > maxx) { /* crossing the antimeridian: two boxes */
        q->boxes[0] = (bbox_t){minx, miny, 180, maxy};
        q->boxes[1] = (bbox_t){-180, miny, maxx, maxy};
        q->nboxes = 2;
    }
    return ERR_OK;
}

int query_add_filter(query_t *q, const layer_t *layer, const char *field, const char *value,
                     error_t *err)
{
    int f = layer_field_index(layer, field);
    if (f < 0)
        return error_set(err, ERR_NOTFOUND, "'%s' is not a queryable of %s", field, layer->id);
    if (q->nfilters == QUERY_MAX_FILTERS)
        return error_set(err, ERR_INVALID, "at most %d property filters", QUERY_MAX_FILTERS);
    query_filter_t *flt = &q->filters[q->nfilters];
    *flt = (query_filter_t){.field = f, .value = value};
    char *end;
    errno = 0;
    if (layer->fields[f].type == FIELD_BOOLEAN) {
        bool yes = strcmp(value, "true") == 0 || strcmp(value, "1") == 0;
        if (!yes && strcmp(value, "false") != 0 && strcmp(value, "0") != 0)
            return error_set(err, ERR_INVALID, "%s: '%s' is not true or false", field, value);
        flt->i = yes;
    } else if (layer->fields[f].type == FIELD_INTEGER) {
        flt->i = strtoll(value, &end, 10);
        if (*value == '\0' || *end != '\0' || errno)
            return error_set(err, ERR_INVALID, "%s: '%s' is not an integer", field, value);
    } else if (layer->fields[f].type == FIELD_REAL) {
        flt->r = strtod(value, &end);
        if (*value == '\0' || *end != '\0' || errno || !isfinite(flt->r))
            return error_set(err, ERR_INVALID, "%s: '%s' is not a number", field, value);
    }
    q->nfilters++;
    return ERR_OK;
}

static bool filters_match(const layer_t *layer, const feature_t *f, const query_t *q)
{
    for (size_t k = 0; k < q->nfilters; k++) {
        const query_filter_t *flt = &q->filters[k];
        const value_t *v = &f->values[flt->field];
        if (v->is_null) return false;
        switch (layer->fields[flt->field].type) {
        case FIELD_INTEGER:
        case FIELD_BOOLEAN:
            if (v->u.i != flt->i) return false;
            break;
        case FIELD_REAL:
            if (v->u.r != flt->r) return false;
            break;
        case FIELD_STRING:
            if (strcmp(v->u.s, flt->value) != 0) return false;
            break;
        }
    }
    return true;
}

static bool in_boxes(const geom_t *g, const query_t *q)
{
    for (int i = 0; i < q->nboxes; i++)
        if (geom_intersects_bbox(g, q->boxes[i])) return true;
    return false;
}

/* Candidates: every feature, or the index's hits for each box (merged,
 * ascending, without duplicates). */
static int candidates(const layer_t *layer, const query_t *q, uint32_t **ids, size_t *n)
{
    bbox_t cbox;
    if (q->nboxes == 0 && q->cql && cql2_bbox(q->cql, &cbox)) { /* the filter's spatial literal */
        *n = layer_query_bbox(layer, cbox, ids);
        return *n == (size_t)-1 ? (*n = 0, ERR_NOMEM) : ERR_OK;
    }
    if (q->nboxes == 0) {
        *n = layer->nfeatures;
        *ids = malloc((*n ? *n : 1) * sizeof(uint32_t));
        if (*ids == NULL) return ERR_NOMEM;
        for (size_t i = 0; i < *n; i++)
            (*ids)[i] = (uint32_t)i;
        return ERR_OK;
    }
    uint32_t *a = NULL, *b = NULL;
    size_t na = layer_query_bbox(layer, q->boxes[0], &a);
    size_t nb = q->nboxes > 1 ? layer_query_bbox(layer, q->boxes[1], &b) : 0;
    if (na == (size_t)-1 || nb == (size_t)-1) {
        free(a);
        free(b);
        return ERR_NOMEM;
    }
    if (nb == 0) {
        *ids = a, *n = na;
        return ERR_OK;
    }
    uint32_t *out = malloc((na + nb) * sizeof(uint32_t));
    size_t i = 0, j = 0, k = 0;
    while (out && (i < na || j < nb)) {
        uint32_t next = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
        i += i < na && a[i] == next;
        j += j < nb && b[j] == next;
        out[k++] = next;
    }
    free(a);
    free(b);
    *ids = out, *n = k;
    return out ? ERR_OK : ERR_NOMEM;
}

int query_add_sort(query_t *q, const layer_t *layer, const char *sortby, error_t *err)
{
    size_t n;
    for (const char *cur = sortby, *p; (p = text_list_next(&cur, &n));) {
        bool desc = n && *p == '-';
        if (n && (*p == '-' || *p == '+' || *p == ' ')) p++, n--;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(n < 127 ? n : 127), p);
        int field = layer_field_index(layer, name);
        if (field < 0)
            return error_set(err, ERR_INVALID,
                             "sortby: %s has no property '%s' (see /collections/%s/queryables)",
                             layer->id, name, layer->id);
        if (q->nsort == QUERY_MAX_SORT)
            return error_set(err, ERR_INVALID, "sortby: at most %d keys", QUERY_MAX_SORT);
        q->sort[q->nsort++] = (query_sort_t){field, desc};
    }
    return ERR_OK;
}

/* qsort has no context argument: the layer and keys of the sort under
 * way, per thread. */
static _Thread_local const layer_t *sort_layer;
static _Thread_local const query_t *sort_query;

static int cmp_value(const field_t *f, const value_t *a, const value_t *b)
{
    if (f->type == FIELD_STRING) return strcmp(a->u.s, b->u.s);
    if (f->type == FIELD_REAL) return a->u.r < b->u.r ? -1 : a->u.r > b->u.r;
    return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
}

static int cmp_ids(const void *x, const void *y)
{
    uint32_t ia = *(const uint32_t *)x, ib = *(const uint32_t *)y;
    const feature_t *fa = &sort_layer->features[ia], *fb = &sort_layer->features[ib];
    for (size_t k = 0; k < sort_query->nsort; k++) {
        const query_sort_t *s = &sort_query->sort[k];
        const value_t *a = &fa->values[s->field], *b = &fb->values[s->field];
        if (a->is_null || b->is_null) { /* nulls last, either way */
            if (a->is_null != b->is_null) return a->is_null ? 1 : -1;
            continue;
        }
        int d = cmp_value(&sort_layer->fields[s->field], a, b);
        if (d) return s->descending ? -d : d;
    }
    return (ia > ib) - (ia < ib); /* stable: the layer's order */
}

static void sort_ids(const layer_t *layer, const query_t *q, uint32_t *ids, size_t n)
{
    sort_layer = layer, sort_query = q;
    qsort(ids, n, sizeof(uint32_t), cmp_ids);
}

int query_run(const layer_t *layer, const query_t *q, uint32_t **ids, size_t *count)
{
    uint32_t *cand = NULL;
    size_t n = 0;
    *ids = NULL;
    *count = 0;
    int rc = candidates(layer, q, &cand, &n);
    if (rc != ERR_OK) return rc;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const feature_t *f = &layer->features[cand[i]];
        if ((q->nboxes == 0 || in_boxes(f->geom, q)) && filters_match(layer, f, q) &&
            (q->cql == NULL || cql2_match(q->cql, cand[i])))
            cand[kept++] = cand[i];
    }
    if (q->nsort && kept > 1) sort_ids(layer, q, cand, kept);
    if (kept == 0) {
        free(cand);
        cand = NULL;
    }
    *ids = cand;
    *count = kept;
    return ERR_OK;
}
