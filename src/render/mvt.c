#include "render/mvt.h"

#include <math.h>
#include <mvt.pb-c.h> /* generated from mvt.proto at build time */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/clip.h"
#include "render/simplify.h"
#include "util/arena.h"
#include "util/hash.h"

typedef VectorTile__Tile__Layer mvt_layer_t;
typedef VectorTile__Tile__Feature mvt_feature_t;
typedef VectorTile__Tile__Value mvt_value_t;

/* Tile coordinates of Web Mercator metres, or of lon/lat degrees. */
typedef struct frame {
    double minx, maxy, scale; /* units per metre (degree) */
    bbox_t clip;              /* the extent and its buffer, in tile units */
    bool lonlat;              /* from geom->ll rather than geom->merc */
} frame_t;

/* Growing arrays of commands, in the arena. */
typedef struct cmds {
    uint32_t *v;
    size_t n, cap;
    int32_t cx, cy; /* the cursor, across the feature's commands */
    arena_t *arena;
} cmds_t;

static int push(cmds_t *c, uint32_t v)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *nv = arena_alloc(c->arena, cap * sizeof(*nv));
        if (nv == NULL) return -1;
        if (c->n) memcpy(nv, c->v, c->n * sizeof(*nv));
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n++] = v;
    return 0;
}

static uint32_t command(int id, size_t count)
{
    return (uint32_t)id | (uint32_t)(count << 3);
}

static uint32_t zigzag(int32_t n)
{
    return ((uint32_t)n << 1) ^ (uint32_t)(n >> 31);
}

static int move_cursor(cmds_t *c, int32_t x, int32_t y)
{
    int rc = push(c, zigzag(x - c->cx)) | push(c, zigzag(y - c->cy));
    c->cx = x;
    c->cy = y;
    return rc;
}

/* Snaps points to the grid, dropping repeats; returns the count left. For
 * a ring, a last point equal to the first goes too. */
static size_t snap(const double *xy, size_t n, bool ring, int32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t x = (int32_t)lround(xy[2 * i]), y = (int32_t)lround(xy[2 * i + 1]);
        if (k && out[2 * k - 2] == x && out[2 * k - 1] == y) continue;
        out[2 * k] = x;
        out[2 * k + 1] = y;
        k++;
    }
    if (ring && k > 1 && out[0] == out[2 * k - 2] && out[1] == out[2 * k - 1]) k--;
    return k;
}

/* Twice the signed area in tile units (y down: positive is clockwise on
 * screen, the orientation MVT wants of exterior rings). */
static int64_t area2(const int32_t *p, size_t n)
{
    int64_t a = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++)
        a += (int64_t)p[2 * j] * p[2 * i + 1] - (int64_t)p[2 * i] * p[2 * j + 1];
    return a;
}

static int emit_run(cmds_t *c, const int32_t *p, size_t n, bool ring, bool reverse)
{
    int rc = push(c, command(1, 1));
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t k = reverse ? (n - i) % n : i; /* reversed rings keep their start */
        if (i == 1) rc = push(c, command(2, n - 1));
        if (rc == 0) rc = move_cursor(c, p[2 * k], p[2 * k + 1]);
    }
    if (rc == 0 && ring) rc = push(c, command(7, 1));
    return rc;
}

/* --- geometry ---------------------------------------------------------------- */

/* Douglas-Peucker tolerance in tile units: one unit of the 4096 grid, as
 * tippecanoe's default; under a sixteenth of a pixel of a 256 px tile. */
#define SIMPLIFY_TOLERANCE 1.0

/* Scratch for one part: tile coordinates, clipped, snapped. */
typedef struct scratch {
    double *xy, *clipped, *tmp;
    int32_t *snapped;
    void *simplify;
    size_t cap; /* points */
} scratch_t;

static int reserve(scratch_t *s, size_t n, arena_t *a)
{
    size_t need = CLIP_RING_ROOM(n);
    if (need <= s->cap) return 0;
    s->xy = arena_alloc(a, need * 2 * sizeof(double));
    s->clipped = arena_alloc(a, need * 2 * sizeof(double));
    s->tmp = arena_alloc(a, need * 2 * sizeof(double));
    s->snapped = arena_alloc(a, need * 2 * sizeof(int32_t));
    s->simplify = arena_alloc(a, SIMPLIFY_SCRATCH(need));
    s->cap = need;
    return s->xy && s->clipped && s->tmp && s->snapped && s->simplify ? 0 : -1;
}

/* Points [from, from + n) of g in tile units. */
static void to_tile(const frame_t *f, const geom_t *g, uint32_t from, size_t n, double *out)
{
    const double *p = (f->lonlat ? g->ll : g->merc) + 2 * (size_t)from;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (p[2 * i] - f->minx) * f->scale;
        out[2 * i + 1] = (f->maxy - p[2 * i + 1]) * f->scale;
    }
}

static int add_points(const geom_t *g, const frame_t *f, cmds_t *c, scratch_t *s)
{
    if (reserve(s, g->npoints, c->arena) != 0) return -1;
    to_tile(f, g, 0, g->npoints, s->xy);
    size_t k = 0;
    for (size_t i = 0; i < g->npoints; i++) {
        double x = s->xy[2 * i], y = s->xy[2 * i + 1];
        if (x < f->clip.minx || x > f->clip.maxx || y < f->clip.miny || y > f->clip.maxy) continue;
        s->snapped[2 * k] = (int32_t)lround(x);
        s->snapped[2 * k + 1] = (int32_t)lround(y);
        k++;
    }
    if (k == 0) return 0;
    int rc = push(c, command(1, k));
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = move_cursor(c, s->snapped[2 * i], s->snapped[2 * i + 1]);
    return rc;
}

typedef struct line_ctx {
    cmds_t *c;
    scratch_t *s;
    int rc;
} line_ctx_t;

static void emit_line(const double *xy, size_t n, double offset, void *arg)
{
    line_ctx_t *l = arg;
    (void)offset;
    size_t k = snap(xy, n, false, l->s->snapped);
    if (k >= 2 && l->rc == 0) l->rc = emit_run(l->c, l->s->snapped, k, false, false);
}

static int add_lines(const geom_t *g, const frame_t *f, cmds_t *c, scratch_t *s)
{
    line_ctx_t l = {c, s, 0};
    simplify_t opt = {SIMPLIFY_TOLERANCE, &f->clip};
    for (uint32_t p = 0; p < g->nparts && l.rc == 0; p++) {
        uint32_t a = g->part_start[p], n = g->part_start[p + 1] - a;
        if (reserve(s, n, c->arena) != 0) return -1;
        to_tile(f, g, a, n, s->xy);
        n = (uint32_t)simplify_part(s->xy, g->node + a, n, false, &opt, s->simplify);
        clip_line(s->xy, n, f->clip, s->tmp, emit_line, &l);
    }
    return l.rc;
}

/* One ring, clipped and snapped; exterior rings positive, holes negative.
 * Returns 1 if it was written, 0 if nothing of it is left. */
static int add_ring(const geom_t *g, uint32_t part, bool exterior, const frame_t *f, cmds_t *c,
                    scratch_t *s)
{
    uint32_t a = g->part_start[part], n = g->part_start[part + 1] - a;
    if (reserve(s, n, c->arena) != 0) return -1;
    to_tile(f, g, a, n, s->xy);
    simplify_t opt = {SIMPLIFY_TOLERANCE, &f->clip};
    n = (uint32_t)simplify_part(s->xy, g->node + a, n, true, &opt, s->simplify);
    size_t m = clip_ring(s->xy, n, f->clip, s->clipped, s->tmp);
    size_t k = snap(s->clipped, m, true, s->snapped);
    if (k < 3) return 0;
    int64_t area = area2(s->snapped, k);
    if (area == 0) return 0;
    int rc = emit_run(c, s->snapped, k, true, (area > 0) != exterior);
    return rc == 0 ? 1 : -1;
}

static int add_polygons(const geom_t *g, const frame_t *f, cmds_t *c, scratch_t *s)
{
    uint32_t npolys = g->npolys ? g->npolys : 1;
    for (uint32_t k = 0; k < npolys; k++) {
        uint32_t first = g->npolys ? g->poly_start[k] : 0;
        uint32_t end = g->npolys ? g->poly_start[k + 1] : g->nparts;
        int rc = add_ring(g, first, true, f, c, s);
        if (rc < 0) return -1;
        for (uint32_t p = first + 1; rc > 0 && p < end; p++) /* holes of a kept exterior */
            if (add_ring(g, p, false, f, c, s) < 0) return -1;
    }
    return 0;
}

static VectorTile__Tile__GeomType geom_kind(geom_type_t t)
{
    switch (t) {
    case GEOM_POINT:
    case GEOM_MULTIPOINT:
        return VECTOR_TILE__TILE__GEOM_TYPE__POINT;
    case GEOM_LINESTRING:
    case GEOM_MULTILINESTRING:
        return VECTOR_TILE__TILE__GEOM_TYPE__LINESTRING;
    case GEOM_POLYGON:
    case GEOM_MULTIPOLYGON:
        return VECTOR_TILE__TILE__GEOM_TYPE__POLYGON;
    default:
        return VECTOR_TILE__TILE__GEOM_TYPE__UNKNOWN;
    }
}

static int add_geometry(const geom_t *g, const frame_t *f, cmds_t *c, scratch_t *s)
{
    switch (geom_kind(g->type)) {
    case VECTOR_TILE__TILE__GEOM_TYPE__POINT:
        return add_points(g, f, c, s);
    case VECTOR_TILE__TILE__GEOM_TYPE__LINESTRING:
        return add_lines(g, f, c, s);
    case VECTOR_TILE__TILE__GEOM_TYPE__POLYGON:
        return add_polygons(g, f, c, s);
    default:
        return 0;
    }
}

/* --- attributes ---------------------------------------------------------------- */

/* A layer's values, each stored once: an open-addressing table of indices
 * into layer->values. */
typedef struct values {
    uint32_t *slots; /* index + 1; 0 is empty */
    size_t cap;
    size_t max; /* room in layer->values */
} values_t;

static uint64_t value_hash(const mvt_value_t *v)
{
    const void *p;
    size_t n;
    if (v->string_value) {
        p = v->string_value;
        n = strlen(v->string_value);
    } else if (v->has_int_value) {
        p = &v->int_value;
        n = sizeof(v->int_value);
    } else if (v->has_double_value) {
        p = &v->double_value;
        n = sizeof(v->double_value);
    } else {
        p = &v->bool_value;
        n = sizeof(v->bool_value);
    }
    return hash_fnv1a(HASH_FNV_START, p, n) ^
           (uint64_t)(v->has_int_value | v->has_double_value << 1 | v->has_bool_value << 2);
}

static bool value_equal(const mvt_value_t *a, const mvt_value_t *b)
{
    if ((a->string_value == NULL) != (b->string_value == NULL)) return false;
    if (a->string_value) return strcmp(a->string_value, b->string_value) == 0;
    if (a->has_int_value != b->has_int_value || a->has_double_value != b->has_double_value)
        return false;
    if (a->has_int_value) return a->int_value == b->int_value;
    if (a->has_double_value) return memcmp(&a->double_value, &b->double_value, 8) == 0;
    return a->bool_value == b->bool_value;
}

/* The index of v in the layer's values, adding it if new. */
static int value_index(mvt_layer_t *l, values_t *t, const mvt_value_t *v, arena_t *a, uint32_t *out)
{
    size_t j = value_hash(v) & (t->cap - 1);
    for (; t->slots[j]; j = (j + 1) & (t->cap - 1))
        if (value_equal(l->values[t->slots[j] - 1], v)) {
            *out = t->slots[j] - 1;
            return 0;
        }
    mvt_value_t *copy = arena_alloc(a, sizeof(*copy));
    if (copy == NULL || l->n_values >= t->max) return -1;
    *copy = *v;
    l->values[l->n_values++] = copy;
    t->slots[j] = (uint32_t)l->n_values;
    *out = (uint32_t)(l->n_values - 1);
    return 0;
}

static bool make_value(const field_t *f, const value_t *v, mvt_value_t *out)
{
    *out = (mvt_value_t)VECTOR_TILE__TILE__VALUE__INIT;
    if (v->is_null) return false;
    switch (f->type) {
    case FIELD_INTEGER:
        out->has_int_value = 1, out->int_value = v->u.i;
        break;
    case FIELD_REAL:
        if (!isfinite(v->u.r)) return false;
        out->has_double_value = 1, out->double_value = v->u.r;
        break;
    case FIELD_BOOLEAN:
        out->has_bool_value = 1, out->bool_value = v->u.i != 0;
        break;
    case FIELD_STRING:
        out->string_value = v->u.s;
        break;
    }
    return true;
}

/* --- layers ---------------------------------------------------------------------- */

typedef struct builder {
    const layer_t *src;
    mvt_layer_t *layer;
    values_t values;
    bool id_key; /* the coopmap id goes out as the "id" attribute */
    arena_t *arena;
} builder_t;

static int set_tags(builder_t *b, const feature_t *feat, mvt_feature_t *out)
{
    size_t nf = b->src->nfields;
    out->tags = arena_alloc(b->arena, 2 * (nf + 1) * sizeof(uint32_t));
    if (out->tags == NULL) return -1;
    mvt_value_t v;
    uint32_t index;
    for (size_t k = 0; k < nf; k++) {
        if (!make_value(&b->src->fields[k], &feat->values[k], &v)) continue;
        if (value_index(b->layer, &b->values, &v, b->arena, &index) != 0) return -1;
        out->tags[out->n_tags++] = (uint32_t)k;
        out->tags[out->n_tags++] = index;
    }
    if (b->id_key) {
        v = (mvt_value_t)VECTOR_TILE__TILE__VALUE__INIT;
        v.string_value = feat->id;
        if (value_index(b->layer, &b->values, &v, b->arena, &index) != 0) return -1;
        out->tags[out->n_tags++] = (uint32_t)nf;
        out->tags[out->n_tags++] = index;
    }
    return 0;
}

static int builder_init(builder_t *b, const layer_t *src, size_t nfeatures, arena_t *a)
{
    *b = (builder_t){.src = src, .arena = a, .id_key = layer_field_index(src, "id") < 0};
    mvt_layer_t *l = b->layer = arena_alloc(a, sizeof(*l));
    if (l == NULL) return -1;
    *l = (mvt_layer_t)VECTOR_TILE__TILE__LAYER__INIT;
    l->version = 2;
    l->name = src->id;
    l->has_extent = 1;
    l->extent = MVT_EXTENT;
    l->keys = arena_alloc(a, (src->nfields + 1) * sizeof(char *));
    l->features = arena_alloc(a, (nfeatures ? nfeatures : 1) * sizeof(*l->features));
    b->values.max = nfeatures * (src->nfields + 1) + 1;
    l->values = arena_alloc(a, b->values.max * sizeof(*l->values));
    for (b->values.cap = 16; b->values.cap < 2 * b->values.max;)
        b->values.cap *= 2;
    b->values.slots = arena_alloc(a, b->values.cap * sizeof(uint32_t));
    if (!l->keys || !l->features || !l->values || !b->values.slots) return -1;
    memset(b->values.slots, 0, b->values.cap * sizeof(uint32_t));
    for (size_t k = 0; k < src->nfields; k++)
        l->keys[l->n_keys++] = src->fields[k].name;
    if (b->id_key) l->keys[l->n_keys++] = "id";
    return 0;
}

static int add_feature(builder_t *b, uint32_t index, const frame_t *f, scratch_t *s)
{
    const feature_t *feat = &b->src->features[index];
    cmds_t c = {.arena = b->arena};
    if (add_geometry(feat->geom, f, &c, s) != 0) return -1;
    if (c.n == 0) return 0; /* nothing of it in this tile */
    mvt_feature_t *out = arena_alloc(b->arena, sizeof(*out));
    if (out == NULL) return -1;
    *out = (mvt_feature_t)VECTOR_TILE__TILE__FEATURE__INIT;
    out->has_id = 1;
    out->id = (uint64_t)index + 1; /* stable for a data version; the coopmap id is "id" */
    out->has_type = 1;
    out->type = geom_kind(feat->geom->type);
    out->geometry = c.v;
    out->n_geometry = c.n;
    if (set_tags(b, feat, out) != 0) return -1;
    b->layer->features[b->layer->n_features++] = out;
    return 0;
}

static frame_t tile_frame(tile_grid_t grid, tile_t t)
{
    bool lonlat = grid == TILE_GRID_CRS84;
    bbox_t m = lonlat ? tile_bounds_crs84(t) : tile_bounds_merc(t);
    double scale = MVT_EXTENT / (m.maxx - m.minx);
    return (frame_t){m.minx,
                     m.maxy,
                     scale,
                     {-MVT_BUFFER, -MVT_BUFFER, MVT_EXTENT + MVT_BUFFER, MVT_EXTENT + MVT_BUFFER},
                     lonlat};
}

/* The lon/lat box of the tile and its buffer. */
static bbox_t query_box(tile_grid_t grid, tile_t t)
{
    bool lonlat = grid == TILE_GRID_CRS84;
    bbox_t ll = lonlat ? tile_bounds_crs84(t) : tile_bounds_lonlat(t);
    double pad = (double)MVT_BUFFER / MVT_EXTENT;
    double dx = (ll.maxx - ll.minx) * pad;
    /* Latitude is not linear in Mercator; pad with the larger side. */
    double dy = fmax(ll.maxy - ll.miny, 1e-12) * pad * (lonlat ? 1 : 1.5);
    return (bbox_t){ll.minx - dx, fmax(ll.miny - dy, -90), ll.maxx + dx, fmin(ll.maxy + dy, 90)};
}

static int build_layer(const layer_t *src, tile_grid_t grid, tile_t t, arena_t *a,
                       mvt_layer_t **out)
{
    *out = NULL;
    uint32_t *ids = NULL;
    size_t n = layer_query_bbox(src, query_box(grid, t), &ids);
    builder_t b;
    frame_t f = tile_frame(grid, t);
    scratch_t s = {0};
    int rc = builder_init(&b, src, n, a);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_feature(&b, ids[i], &f, &s);
    free(ids);
    if (rc == 0 && b.layer->n_features > 0) *out = b.layer;
    return rc;
}

int mvt_tile(dataset_t *ds, tile_grid_t grid, tile_t t, const char *only, unsigned char **data,
             size_t *len, error_t *err)
{
    *data = NULL;
    *len = 0;
    arena_t arena = ARENA_INIT;
    VectorTile__Tile tile = VECTOR_TILE__TILE__INIT;
    size_t nlayers = dataset_layer_count(ds);
    tile.layers = arena_alloc(&arena, (nlayers ? nlayers : 1) * sizeof(*tile.layers));
    int rc = tile.layers ? ERR_OK : ERR_NOMEM;
    for (size_t i = 0; i < nlayers && rc == ERR_OK; i++) {
        mvt_layer_t *l = NULL;
        if (only && strcmp(dataset_layer(ds, i)->id, only) != 0) continue;
        if (build_layer(dataset_layer(ds, i), grid, t, &arena, &l) != 0) rc = ERR_NOMEM;
        if (l) tile.layers[tile.n_layers++] = l;
    }
    if (rc == ERR_OK && tile.n_layers > 0) {
        *len = vector_tile__tile__get_packed_size(&tile);
        *data = malloc(*len);
        if (*data == NULL)
            rc = ERR_NOMEM;
        else
            vector_tile__tile__pack(&tile, *data);
    }
    arena_free(&arena);
    if (rc != ERR_OK) {
        *len = 0;
        return error_set(err, rc, "out of memory encoding tile %d/%u/%u", t.z, t.x, t.y);
    }
    return ERR_OK;
}
