#include "render/render_labels.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/crs.h"
#include "render/label_metrics.h"
#include "render/reproject.h"

#ifndef M_SQRT1_2
#define M_SQRT1_2 0.70710678118654752440
#endif

#define MAX_ZOOM_CACHED 30
/* States of other frames (a fractional zoom, another CRS), kept per style
 * and dataset by CRS and resolution: a WMS client asks for many images
 * at a few scales. */
#define CRS_STATES 8
#define CRS_SLOT0  (MAX_ZOOM_CACHED + 1)
#define LABEL_PAD  2.0  /* CSS pixels kept clear around each label */
#define REACH_EPS  0.01 /* outward rounding of the float bounds, px */

/* The placement is MapLibre's greedy one: candidates in priority order
 * (symbol-sort-key, then style layer from the top, then feature order),
 * each placed at its first anchor whose box meets no label placed
 * before it. A candidate's fate depends only on the higher-priority
 * candidates whose boxes could meet its own, so it is decided on demand:
 * those first (recursively), then itself, and remembered per zoom. To
 * know which candidates could meet, each has a bound of every box it may
 * take (its "reach", from label_metrics.h, before measuring exactly), and
 * every zoom the largest reach. A label whose exact size exceeds its bound
 * (never seen; counted) is not placed, so the guarantees hold regardless. */

typedef struct label {
    const style_layer_t *layer;
    char *text;
    const char *font;
    double x, y; /* layout's top-left, global CSS pixels */
    bbox_t box;  /* what it covers, halo included */
    double size, halo;
    style_color_t color, halo_color;
    double key;   /* priority, */
    size_t order; /* for drawing in placement order */
    int32_t next; /* the next placed label of its cell, -1 */
} label_t;

/* Per dataset and style, whatever the zoom: the text bounds of one symbol
 * layer's features. */
typedef struct text_bounds {
    const style_layer_t *sl;
    const layer_t *data;
    float *w_em;    /* per feature: width bound per px of size; < 0: no text */
    float *w_lo;    /* per feature: width lower bound per px of size */
    uint8_t *lines; /* per feature */
    float line_em;  /* bound of a line's height per px of size */
    float line_lo;  /* lower bound */
    /* What the filter, text-size, symbol-sort-key and text-halo-width
     * read (STYLE_READS_*); what reads the feature but not the zoom is
     * kept per feature (else NULL), and a filter that reads no zoom is
     * applied here (w_em < 0). */
    unsigned in_filter, in_size, in_key, in_halo;
    float *size, *halo;
    double *key;
} text_bounds_t;

enum { UNDECIDED, PLACED, REJECTED };

typedef struct cand {
    double px, py;    /* its point, global px */
    double key;       /* symbol-sort-key: lower first */
    float size, halo; /* text size and halo width at this zoom */
    float reach[4];   /* bound of every box it may take, from its point, px */
    uint32_t feature; /* in its slot's layer */
    uint32_t rank;    /* in priority order: 0 first */
    int32_t label;    /* in the zoom's labels when placed */
    uint16_t slot;    /* in the zoom's slots */
    uint8_t state;    /* UNDECIDED, PLACED, REJECTED */
} cand_t;

typedef struct zslot { /* a symbol layer visible at this zoom */
    const text_bounds_t *tb;
    size_t order0; /* tie order of its first feature */
    size_t nanchors;
    double ax[9], ay[9]; /* per anchor: layout offset in text widths, heights */
    double ox[9], oy[9]; /* and in ems (text-offset) */
    double size, halo;   /* when the same for every feature */
    bool pass;           /* the filter, when the same for every feature */
} zslot_t;

struct label_cache;

typedef struct cell_run {
    uint64_t key;          /* cy << 32 | cx, + 1 (0: free slot) */
    uint32_t start, count; /* in by_cell, in priority order */
    int32_t placed;        /* the labels placed so far: first, chained by next */
    uint32_t undecided;    /* of its candidates; 0: only placed[] matters */
} cell_run_t;

typedef struct zoom_state {
    pthread_mutex_t lock; /* guards decisions and labels */
    double zoom;
    /* The frame: global pixel (0, 0) and a pixel in map units; Web
     * Mercator, or a view's CRS, whose geometries per cache slot are in
     * proj[] (borrowed from the dataset, or own[]). */
    double x0, y0, ux, uy;
    const crs_t *crs;
    const projected_t **proj;
    projected_t **own; /* those of proj[] made for this state alone (nown) */
    size_t nown;
    zslot_t *slots;
    size_t nslots;
    cand_t *cands;
    size_t ncands;
    double rx, ry; /* the largest reach of any candidate, each way */
    /* The candidates by grid cell (cells of cell px, hashed: the frame of
     * a high zoom is millions of pixels wide): cells[] holds each used
     * cell's run in by_cell[]. */
    double cell;
    uint32_t *by_cell;
    uint32_t *by_rank; /* the candidates in priority order */
    struct cell_run *cells;
    size_t cells_cap;
    label_t *labels;
    size_t nlabels, cap;
    size_t bytes, accounted; /* held; counted in cached_bytes so far */
    /* under lru_lock: */
    struct zoom_state *prev, *next;
    struct label_cache *owner; /* NULL: a one-off state (all frame slots held) */
    int z, refs;
} zoom_state_t;

/* What a candidate is at every zoom, kept in priority order so that a
 * zoom's candidates are made by reading one array in order. */
typedef struct fixed {
    double mx, my; /* its point, Web Mercator */
    double key;
    float w_em, size, halo; /* size, halo: NaN when they depend on the zoom */
    uint32_t feature;
    uint16_t slot; /* in the cache's bounds */
    uint8_t lines;
} fixed_t;

typedef struct label_cache {
    pthread_mutex_t build; /* one builder of bounds and zoom states at a time */
    const style_t *style;
    dataset_t *ds;
    text_bounds_t *tb;
    size_t ntb, tb_bytes;
    bool tb_ready;
    /* When no sort key reads the zoom: every (slot << 32 | feature) with a
     * text, in priority order, the same at every zoom. Else NULL. */
    struct fixed *prio;
    size_t nprio;
    zoom_state_t *zoom[CRS_SLOT0 + CRS_STATES]; /* whole zooms, then CRS frames; under lru_lock */
} label_cache_t;

/* All zoom states of all caches, most recently used first, within the
 * budget: evicting one only costs deciding its labels again (the same). */
static pthread_mutex_t lru_lock = PTHREAD_MUTEX_INITIALIZER;
static zoom_state_t *lru_head, *lru_tail;
static size_t lru_bytes, budget = 64u << 20;
static atomic_size_t cached_bytes, over_bound;

size_t labels_cache_bytes(void)
{
    return atomic_load_explicit(&cached_bytes, memory_order_relaxed);
}

size_t labels_over_bound(void)
{
    return atomic_load_explicit(&over_bound, memory_order_relaxed);
}

void labels_set_cache_budget(size_t bytes)
{
    pthread_mutex_lock(&lru_lock);
    budget = bytes;
    pthread_mutex_unlock(&lru_lock);
}

/* ---------------------------------------------------------------- text bounds */

static void free_bounds(label_cache_t *c)
{
    for (size_t i = 0; i < c->ntb; i++)
        free(c->tb[i].w_em), free(c->tb[i].w_lo), free(c->tb[i].lines), free(c->tb[i].size),
            free(c->tb[i].halo), free(c->tb[i].key);
    free(c->prio);
    c->prio = NULL;
    free(c->tb);
    c->tb = NULL, c->ntb = 0;
}

/* Evaluates what does not depend on the zoom once, for every zoom. */
static bool per_feature(text_bounds_t *tb)
{
    size_t n = tb->data->nfeatures;
    tb->in_filter = style_filter_inputs(tb->sl);
    tb->in_size = style_prop_inputs(tb->sl, STYLE_TEXT_SIZE);
    tb->in_key = style_prop_inputs(tb->sl, STYLE_SYMBOL_SORT_KEY);
    tb->in_halo = style_prop_inputs(tb->sl, STYLE_TEXT_HALO_WIDTH);
    bool fixed_size = tb->in_size == STYLE_READS_FEATURE,
         fixed_halo = tb->in_halo == STYLE_READS_FEATURE;
    if ((fixed_size && (tb->size = malloc((n ? n : 1) * sizeof(float))) == NULL) ||
        (fixed_halo && (tb->halo = malloc((n ? n : 1) * sizeof(float))) == NULL) ||
        (!(tb->in_key & STYLE_READS_ZOOM) &&
         (tb->key = malloc((n ? n : 1) * sizeof(double))) == NULL))
        return false;
    for (size_t k = 0; k < n; k++) {
        const feature_t *f = &tb->data->features[k];
        if (!(tb->in_filter & STYLE_READS_ZOOM) && !style_filter(tb->sl, tb->data, f, 0))
            tb->w_em[k] = -1;
        if (tb->size) tb->size[k] = (float)style_number(tb->sl, STYLE_TEXT_SIZE, 0, tb->data, f);
        if (tb->halo)
            tb->halo[k] = (float)style_number(tb->sl, STYLE_TEXT_HALO_WIDTH, 0, tb->data, f);
        if (tb->key) {
            double key = style_number(tb->sl, STYLE_SYMBOL_SORT_KEY, 0, tb->data, f);
            tb->key[k] = isnan(key) ? INFINITY : key;
        }
    }
    return true;
}

static bool bound_layer(cairo_t *cr, text_bounds_t *tb)
{
    size_t n = tb->data->nfeatures;
    tb->w_em = malloc((n ? n : 1) * sizeof(float));
    tb->w_lo = malloc((n ? n : 1) * sizeof(float));
    tb->lines = malloc(n ? n : 1);
    if (tb->w_em == NULL || tb->w_lo == NULL || tb->lines == NULL) return false;
    const char *font = style_text_font(tb->sl);
    char text[512];
    for (size_t k = 0; k < n; k++) {
        const feature_t *f = &tb->data->features[k];
        tb->w_em[k] = tb->w_lo[k] = -1, tb->lines[k] = 1;
        if (f->geom->npoints && style_text(tb->sl, tb->data, f, text, sizeof(text)))
            label_text_bound(cr, font, text, &tb->w_em[k], &tb->w_lo[k], &tb->lines[k]);
    }
    label_line_bound(font, &tb->line_em, &tb->line_lo);
    return per_feature(tb);
}

typedef struct sprio {
    double key;
    uint64_t at; /* slot << 32 | feature: ties go by slot, then feature */
} sprio_t;

static int cmp_sprio(const void *x, const void *y)
{
    const sprio_t *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->at > b->at) - (a->at < b->at);
}

static fixed_t fixed_of(const text_bounds_t *tb, uint16_t t, size_t k)
{
    const feature_t *f = &tb->data->features[k];
    return (fixed_t){f->geom->merc[0],
                     f->geom->merc[1],
                     tb->key ? tb->key[k] : NAN,
                     tb->w_em[k],
                     tb->size ? tb->size[k] : NAN,
                     tb->halo ? tb->halo[k] : NAN,
                     (uint32_t)k,
                     t,
                     tb->lines[k]};
}

/* The priority order of every zoom, when no sort key reads the zoom
 * (ties: style layer from the top, then feature order, whichever layers
 * are visible). Under c->build. */
static bool static_order(label_cache_t *c)
{
    size_t n = 0;
    for (size_t t = 0; t < c->ntb; t++) {
        if (c->tb[t].key == NULL) return true; /* ranked per zoom */
        n += c->tb[t].data->nfeatures;
    }
    sprio_t *p = malloc((n ? n : 1) * sizeof(sprio_t));
    c->prio = malloc((n ? n : 1) * sizeof(fixed_t));
    if (p == NULL || c->prio == NULL) {
        free(p);
        return false;
    }
    for (size_t t = 0; t < c->ntb; t++)
        for (size_t k = 0; k < c->tb[t].data->nfeatures; k++)
            if (c->tb[t].w_em[k] >= 0)
                p[c->nprio++] = (sprio_t){c->tb[t].key[k], (uint64_t)t << 32 | k};
    qsort(p, c->nprio, sizeof(sprio_t), cmp_sprio);
    for (size_t i = 0; i < c->nprio; i++)
        c->prio[i] = fixed_of(&c->tb[p[i].at >> 32], (uint16_t)(p[i].at >> 32),
                              (size_t)(p[i].at & 0xffffffffu));
    free(p);
    c->tb_bytes += c->nprio * sizeof(fixed_t);
    return true;
}

/* Every symbol layer with data, from the top of the style down (the
 * order MapLibre places them in). Under c->build. */
static bool make_bounds(label_cache_t *c)
{
    if (c->tb_ready) return true;
    size_t nl = style_layer_count(c->style);
    c->tb = calloc(nl ? nl : 1, sizeof(*c->tb));
    if (c->tb == NULL) return false;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(surface);
    bool ok = true;
    for (size_t i = nl; ok && i-- > 0;) {
        const style_layer_t *sl = style_layer(c->style, i);
        const layer_t *data = style_layer_type(sl) == STYLE_SYMBOL
                                  ? dataset_find_layer(c->ds, style_layer_source(sl))
                                  : NULL;
        if (data == NULL) continue;
        c->tb[c->ntb] = (text_bounds_t){.sl = sl, .data = data};
        ok = bound_layer(cr, &c->tb[c->ntb++]);
        c->tb_bytes += data->nfeatures * (4 * sizeof(float) + sizeof(double) + 1);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    if (!ok) {
        free_bounds(c);
        c->tb_bytes = 0;
        return false;
    }
    if (!static_order(c)) {
        free_bounds(c);
        c->tb_bytes = 0;
        return false;
    }
    atomic_fetch_add(&cached_bytes, c->tb_bytes);
    c->tb_ready = true;
    return true;
}

/* ---------------------------------------------------------------- boxes */

/* Where the layout's top-left goes for an anchor point (MapLibre's
 * text-anchor: the part of the text that sits at the point). */
static void anchor_offset(const char *anchor, double w, double h, double *dx, double *dy)
{
    *dx = -w / 2, *dy = -h / 2;
    if (strstr(anchor, "left"))
        *dx = 0;
    else if (strstr(anchor, "right"))
        *dx = -w;
    if (strncmp(anchor, "top", 3) == 0)
        *dy = 0;
    else if (strncmp(anchor, "bottom", 6) == 0)
        *dy = -h;
}

/* The layout's top-left for anchor a, relative to the point. */
static void put_at(const zslot_t *s, size_t a, double w, double h, double size, double *x,
                   double *y)
{
    *x = s->ax[a] * w + s->ox[a] * size, *y = s->ay[a] * h + s->oy[a] * size;
}

/* Precomputes the anchors of slot s: the offset goes with the anchor, as
 * a radial distance when there are several anchors to try (MapLibre's
 * text-radial-offset), as given when there is one. */
static void set_anchors(zslot_t *s, const style_layer_t *sl)
{
    const char *const *anchors;
    double ox0, oy0;
    style_text_offset(sl, &ox0, &oy0);
    s->nanchors = style_text_anchors(sl, &anchors);
    if (s->nanchors > 9) s->nanchors = 9;
    for (size_t a = 0; a < s->nanchors; a++) {
        const char *anchor = anchors[a];
        double ox = ox0, oy = oy0;
        if (s->nanchors > 1) {
            double r = fmax(fabs(ox), fabs(oy)), d = strchr(anchor, '-') ? r * M_SQRT1_2 : r;
            ox = strstr(anchor, "left") ? d : strstr(anchor, "right") ? -d : 0;
            oy = strncmp(anchor, "top", 3) == 0 ? d : strncmp(anchor, "bottom", 6) == 0 ? -d : 0;
        }
        anchor_offset(anchor, 1, 1, &s->ax[a], &s->ay[a]);
        s->ox[a] = ox, s->oy[a] = oy;
    }
}

static bbox_t label_box(double x, double y, double w, double h, double halo)
{
    double pad = halo + 1;
    return (bbox_t){x - pad, y - pad, x + w + pad, y + h + pad};
}

static bbox_t padded(bbox_t b, double px, double py)
{
    return (bbox_t){b.minx - px, b.miny - py, b.maxx + px, b.maxy + py};
}

/* The union of the boxes of every anchor for a text of at most w x h.
 * Boxes grow with w and h, so any exact box lies inside. */
static void reach_of(const zslot_t *s, double w, double h, double size, double halo, float r[4])
{
    bbox_t u = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t a = 0; a < s->nanchors; a++) {
        double x, y;
        put_at(s, a, w, h, size, &x, &y);
        bbox_t b = label_box(x, y, w, h, halo);
        u = (bbox_t){fmin(u.minx, b.minx), fmin(u.miny, b.miny), fmax(u.maxx, b.maxx),
                     fmax(u.maxy, b.maxy)};
    }
    r[0] = (float)(u.minx - REACH_EPS), r[1] = (float)(u.miny - REACH_EPS);
    r[2] = (float)(u.maxx + REACH_EPS), r[3] = (float)(u.maxy + REACH_EPS);
}

static bbox_t reach_box(const cand_t *c)
{
    return (bbox_t){c->px + c->reach[0], c->py + c->reach[1], c->px + c->reach[2],
                    c->py + c->reach[3]};
}

static bool before(const cand_t *a, const cand_t *b)
{
    return a->rank < b->rank;
}

/* ---------------------------------------------------------------- zoom states */

static void state_free(zoom_state_t *st)
{
    if (st == NULL) return;
    for (size_t i = 0; i < st->nlabels; i++)
        free(st->labels[i].text);
    free(st->labels);
    free(st->slots);
    free(st->by_cell);
    free(st->by_rank);
    free(st->cells);
    free(st->cands);
    for (size_t t = 0; st->own && t < st->nown; t++)
        reproject_free(st->own[t]);
    free(st->own);
    free(st->proj);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* Fills candidate c from x, for zoom slot s, if it is one. */
static bool make_cand(const zoom_state_t *st, uint16_t s, const fixed_t *x, cand_t *c)
{
    const zslot_t *slot = &st->slots[s];
    const text_bounds_t *tb = slot->tb;
    const double z = st->zoom;
    const feature_t *f = NULL; /* read only for what depends on the zoom and the feature */
#define FEATURE (f ? f : (f = &tb->data->features[x->feature]))
    if (x->w_em < 0) return false;
    if (tb->in_filter & STYLE_READS_ZOOM &&
        !(tb->in_filter & STYLE_READS_FEATURE ? style_filter(tb->sl, tb->data, FEATURE, z)
                                              : slot->pass))
        return false;
    double size = !isnan(x->size) ? x->size
                  : tb->in_size & STYLE_READS_FEATURE
                      ? style_number(tb->sl, STYLE_TEXT_SIZE, z, tb->data, FEATURE)
                      : slot->size;
    if (!(size > 0)) return false;
    /* Static maps come at any fractional zoom, so their sizes would be new
     * every time, and Pango, fontconfig and cairo keep every font size they
     * have seen: a quarter pixel is invisible and keeps those caches
     * bounded. Whole zooms (tiles) keep the style's exact sizes. */
    if (z != floor(z)) size = fmax(0.25, round(size * 4) / 4);
    double key =
        tb->key ? x->key : style_number(tb->sl, STYLE_SYMBOL_SORT_KEY, z, tb->data, FEATURE);
    double halo = !isnan(x->halo) ? x->halo
                  : tb->in_halo & STYLE_READS_FEATURE
                      ? style_number(tb->sl, STYLE_TEXT_HALO_WIDTH, z, tb->data, FEATURE)
                      : slot->halo;
#undef FEATURE
    /* Points label their point; lines and polygons their first vertex. */
    double mx = x->mx, my = x->my;
    if (st->crs) {
        const projected_t *p = st->proj[x->slot];
        const geom_t *g = p ? p->geoms[x->feature] : NULL;
        if (g == NULL) return false;
        mx = g->merc[0], my = g->merc[1];
    }
    *c = (cand_t){.px = (mx - st->x0) / st->ux,
                  .py = (st->y0 - my) / st->uy,
                  .key = isnan(key) ? INFINITY : key,
                  .size = (float)size,
                  .halo = (float)halo,
                  .feature = x->feature,
                  .label = -1,
                  .slot = s,
                  .state = UNDECIDED};
    reach_of(slot, x->w_em * size, x->lines * tb->line_em * size, size, halo, c->reach);
    return true;
}

static uint64_t cell_key(const zoom_state_t *st, double x, double y)
{
    /* (frames are at most 2^30 px at zoom 22; cells at least 16 px) */
    uint64_t cx = (uint64_t)fmax(0, floor(x / st->cell)),
             cy = (uint64_t)fmax(0, floor(y / st->cell));
    return (cy << 32 | cx) + 1;
}

/* The run of a cell, or where it would go. */
static cell_run_t *cell_slot(const zoom_state_t *st, uint64_t key)
{
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15u) >> 20) & (st->cells_cap - 1);
    while (st->cells[h].key && st->cells[h].key != key)
        h = (h + 1) & (st->cells_cap - 1);
    return &st->cells[h];
}

typedef struct prio {
    double key;
    size_t order;
    uint32_t cand;
} prio_t;

static int cmp_prio(const void *x, const void *y)
{
    const prio_t *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* Ranks the candidates: symbol-sort-key, then style layer from the top,
 * then feature order. */
static bool rank_cands(zoom_state_t *st)
{
    prio_t *p = malloc((st->ncands ? st->ncands : 1) * sizeof(prio_t));
    st->by_rank = malloc((st->ncands ? st->ncands : 1) * sizeof(uint32_t));
    if (p == NULL || st->by_rank == NULL) {
        free(p);
        return false;
    }
    for (size_t i = 0; i < st->ncands; i++) {
        const cand_t *c = &st->cands[i];
        p[i] = (prio_t){c->key, st->slots[c->slot].order0 + c->feature, (uint32_t)i};
    }
    qsort(p, st->ncands, sizeof(prio_t), cmp_prio);
    for (size_t k = 0; k < st->ncands; k++) {
        st->by_rank[k] = p[k].cand;
        st->cands[p[k].cand].rank = (uint32_t)k;
    }
    free(p);
    st->bytes += st->ncands * sizeof(uint32_t);
    return true;
}

/* Buckets the candidates by cell: cells twice the largest reach, so a
 * neighbourhood is a few cells. Two passes: count, then place. */
static bool make_grid(zoom_state_t *st)
{
    st->cell = fmax(16, 2 * fmax(st->rx, st->ry));
    st->cells_cap = 16;
    while (st->cells_cap < st->ncands + st->ncands / 3) /* (the used cells are fewer) */
        st->cells_cap *= 2;
    st->cells = calloc(st->cells_cap, sizeof(cell_run_t));
    st->by_cell = malloc((st->ncands ? st->ncands : 1) * sizeof(uint32_t));
    if (st->cells == NULL || st->by_cell == NULL) return false;
    for (size_t i = 0; i < st->ncands; i++) {
        uint64_t key = cell_key(st, st->cands[i].px, st->cands[i].py);
        cell_run_t *r = cell_slot(st, key);
        if (r->key == 0) r->placed = -1;
        r->key = key, r->count++, r->undecided++;
    }
    uint32_t start = 0;
    for (size_t h = 0; h < st->cells_cap; h++)
        if (st->cells[h].key)
            st->cells[h].start = start, start += st->cells[h].count, st->cells[h].count = 0;
    for (size_t k = 0; k < st->ncands; k++) { /* in priority order */
        uint32_t i = st->by_rank ? st->by_rank[k] : (uint32_t)k;
        cell_run_t *r = cell_slot(st, cell_key(st, st->cands[i].px, st->cands[i].py));
        st->by_cell[r->start + r->count++] = i;
    }
    st->bytes += st->cells_cap * sizeof(cell_run_t) + st->ncands * sizeof(uint32_t);
    return true;
}

/* The slots of the symbol layers visible at the zoom; map[t] is cache
 * slot t's, or -1. */
static void make_slots(zoom_state_t *st, const label_cache_t *c, int *map)
{
    size_t order = 0;
    for (size_t t = 0; t < c->ntb; t++) {
        const text_bounds_t *tb = &c->tb[t];
        map[t] = -1;
        if (!style_layer_visible(tb->sl, st->zoom)) continue;
        zslot_t *slot = &st->slots[st->nslots];
        slot->tb = tb;
        slot->order0 = order;
        set_anchors(slot, tb->sl);
        slot->size = style_number(tb->sl, STYLE_TEXT_SIZE, st->zoom, tb->data, NULL);
        slot->halo = style_number(tb->sl, STYLE_TEXT_HALO_WIDTH, st->zoom, tb->data, NULL);
        slot->pass = style_filter(tb->sl, tb->data, NULL, st->zoom);
        map[t] = (int)st->nslots++;
        order += tb->data->nfeatures;
    }
}

static void add_cand(zoom_state_t *st, int slot, const fixed_t *x)
{
    cand_t *cd = &st->cands[st->ncands];
    if (slot < 0 || !make_cand(st, (uint16_t)slot, x, cd)) return;
    cd->rank = (uint32_t)st->ncands++;
    st->rx = fmax(st->rx, fmax(-cd->reach[0], cd->reach[2]));
    st->ry = fmax(st->ry, fmax(-cd->reach[1], cd->reach[3]));
}

/* The candidates of every symbol layer visible at the zoom, with the
 * largest reach. O(features), no text laid out; in priority order at once
 * when the cache knows it. */
static bool fill_state(zoom_state_t *st, const label_cache_t *c)
{
    size_t total = 0;
    for (size_t i = 0; i < c->ntb; i++)
        total += c->tb[i].data->nfeatures;
    int *map = malloc((c->ntb ? c->ntb : 1) * sizeof(int));
    st->slots = calloc(c->ntb ? c->ntb : 1, sizeof(zslot_t));
    st->cands = malloc((total ? total : 1) * sizeof(cand_t));
    if (map == NULL || st->slots == NULL || st->cands == NULL) {
        free(map);
        return false;
    }
    make_slots(st, c, map);
    if (c->prio)
        for (size_t i = 0; i < c->nprio; i++)
            add_cand(st, map[c->prio[i].slot], &c->prio[i]);
    else
        for (size_t t = 0; t < c->ntb; t++)
            for (size_t k = 0; map[t] >= 0 && k < c->tb[t].data->nfeatures; k++) {
                fixed_t x = fixed_of(&c->tb[t], (uint16_t)t, k);
                add_cand(st, map[t], &x);
            }
    free(map);
    st->bytes += sizeof(*st) + c->ntb * sizeof(zslot_t) + st->ncands * sizeof(cand_t);
    if (st->ncands < total) { /* keep what is a candidate */
        cand_t *fit = realloc(st->cands, (st->ncands ? st->ncands : 1) * sizeof(cand_t));
        if (fit) st->cands = fit;
    }
    return (c->prio || rank_cands(st)) && make_grid(st);
}

/* The state of the view's zoom, in its frame. */
static zoom_state_t *state_create(const label_cache_t *c, const render_view_t *v)
{
    zoom_state_t *st = calloc(1, sizeof(*st));
    if (st == NULL) return NULL;
    pthread_mutex_init(&st->lock, NULL);
    st->zoom = v->zoom, st->z = -1;
    st->x0 = -CRS_MERC_EXTENT, st->y0 = CRS_MERC_EXTENT;
    st->ux = st->uy = tile_resolution(v->zoom);
    if (v->crs) {
        st->crs = v->crs, st->x0 = v->x0, st->y0 = v->y0, st->ux = v->rx, st->uy = v->ry;
        st->proj = calloc(c->ntb ? c->ntb : 1, sizeof(*st->proj));
        st->own = calloc(c->ntb ? c->ntb : 1, sizeof(*st->own));
        st->nown = st->own ? c->ntb : 0;
        for (size_t t = 0; st->proj && st->own && t < c->ntb; t++)
            st->proj[t] = reproject_get(c->ds, c->tb[t].data, v->crs, &st->own[t]);
    }
    if ((v->crs && (st->proj == NULL || st->own == NULL)) || !fill_state(st, c)) {
        state_free(st);
        return NULL;
    }
    return st;
}

/* ---------------------------------------------------------------- lazy decisions */

typedef struct ids {
    uint32_t *v;
    size_t n, cap;
} ids_t;

static bool ids_push(ids_t *a, uint32_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        uint32_t *grown = realloc(a->v, cap * sizeof(uint32_t));
        if (grown == NULL) return false;
        a->v = grown, a->cap = cap;
    }
    a->v[a->n++] = x;
    return true;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* The run of the cell at (cx, cy) of the grid; its key is 0 when empty. */
static const cell_run_t *run_at(const zoom_state_t *st, double cx, double cy)
{
    return cell_slot(st, ((uint64_t)cy << 32 | (uint64_t)cx) + 1);
}

typedef struct cell_range {
    double x0, x1, y0, y1;
} cell_range_t;

static cell_range_t cells_of(const zoom_state_t *st, bbox_t box)
{
    return (cell_range_t){fmax(0, floor(box.minx / st->cell)), floor(box.maxx / st->cell),
                          fmax(0, floor(box.miny / st->cell)), floor(box.maxy / st->cell)};
}

/* The higher-priority candidates whose reach meets i's padded reach (the
 * only ones that can decide i's fate), highest priority first, so that
 * what they place can reject the others without further ado. */
static bool deps_of(const zoom_state_t *st, uint32_t i, ids_t *deps)
{
    const cand_t *ci = &st->cands[i];
    bbox_t near = padded(reach_box(ci), LABEL_PAD, LABEL_PAD);
    cell_range_t g = cells_of(st, padded(near, st->rx, st->ry));
    for (double cy = g.y0; cy <= g.y1; cy++)
        for (double cx = g.x0; cx <= g.x1; cx++) {
            const cell_run_t *r = run_at(st, cx, cy);
            for (uint32_t k = 0; r->key && k < r->count; k++) {
                const cand_t *cj = &st->cands[st->by_cell[r->start + k]];
                if (!before(cj, ci)) break; /* the rest of the cell comes after i */
                if (bbox_intersects(reach_box(cj), near) && !ids_push(deps, cj->rank)) return false;
            }
        }
    if (deps->n) qsort(deps->v, deps->n, sizeof(uint32_t), cmp_u32);
    for (size_t k = 0; st->by_rank && k < deps->n; k++)
        deps->v[k] = st->by_rank[deps->v[k]];
    return true;
}

/* Is every anchor of i already taken by a placed label? Those are all of
 * higher priority: one of lower priority that could reach i would have
 * waited for i. Tested with the smallest box i could have, so it holds for
 * the exact one; one pass over the placed labels near all anchors (they
 * lie within rx, ry of their point, which is in their cell). */
static bool taken(const zoom_state_t *st, uint32_t i)
{
    const cand_t *c = &st->cands[i];
    const zslot_t *s = &st->slots[c->slot];
    double w = s->tb->w_lo[c->feature] * c->size;
    double h = s->tb->lines[c->feature] * s->tb->line_lo * c->size;
    bbox_t near[9], all = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t a = 0; a < s->nanchors; a++) {
        double x, y;
        put_at(s, a, w, h, c->size, &x, &y);
        near[a] = padded(label_box(c->px + x, c->py + y, w, h, c->halo), LABEL_PAD, LABEL_PAD);
        all = (bbox_t){fmin(all.minx, near[a].minx), fmin(all.miny, near[a].miny),
                       fmax(all.maxx, near[a].maxx), fmax(all.maxy, near[a].maxy)};
    }
    unsigned free_mask = (1u << s->nanchors) - 1;
    cell_range_t g = cells_of(st, padded(all, st->rx, st->ry));
    for (double cy = g.y0; cy <= g.y1; cy++)
        for (double cx = g.x0; cx <= g.x1; cx++) {
            const cell_run_t *r = run_at(st, cx, cy);
            for (int32_t l = r->key ? r->placed : -1; l >= 0; l = st->labels[l].next) {
                bbox_t box = st->labels[l].box;
                if (!bbox_intersects(box, all)) continue;
                for (size_t a = 0; a < s->nanchors; a++)
                    if (free_mask >> a & 1 && bbox_intersects(box, near[a]))
                        free_mask &= ~(1u << a);
                if (free_mask == 0) return true;
            }
        }
    return false;
}

/* Notes placed candidate i in its cell. */
static void note_placed(zoom_state_t *st, uint32_t i)
{
    cell_run_t *r = cell_slot(st, cell_key(st, st->cands[i].px, st->cands[i].py));
    st->labels[st->cands[i].label].next = r->placed;
    r->placed = st->cands[i].label;
}

static bool add_label(zoom_state_t *st, const label_t *l)
{
    if (st->nlabels == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 64;
        label_t *grown = realloc(st->labels, cap * sizeof(label_t));
        if (grown == NULL) return false;
        st->labels = grown, st->cap = cap;
        st->bytes += (cap - st->nlabels) * sizeof(label_t);
    }
    st->labels[st->nlabels++] = *l;
    st->bytes += strlen(l->text) + 1;
    return true;
}

/* Decides candidate i, whose dependencies are all decided. */
static void finalize(zoom_state_t *st, cairo_t *cr, uint32_t i, const ids_t *deps)
{
    cand_t *c = &st->cands[i];
    const zslot_t *s = &st->slots[c->slot];
    const feature_t *f = &s->tb->data->features[c->feature];
    char text[512];
    c->state = REJECTED;
    if (!style_text(s->tb->sl, s->tb->data, f, text, sizeof(text))) return;
    PangoLayout *layout = label_layout(cr, style_text_font(s->tb->sl), c->size, text);
    int pw, ph;
    pango_layout_get_size(layout, &pw, &ph);
    g_object_unref(layout);
    double w = (double)pw / PANGO_SCALE, h = (double)ph / PANGO_SCALE, px = c->px, py = c->py;
    if (w > s->tb->w_em[c->feature] * c->size ||
        h > s->tb->lines[c->feature] * s->tb->line_em * c->size) {
        atomic_fetch_add(&over_bound, 1);
        return;
    }
    for (size_t a = 0; a < s->nanchors; a++) {
        double x, y;
        put_at(s, a, w, h, c->size, &x, &y);
        bbox_t box = label_box(px + x, py + y, w, h, c->halo);
        bbox_t near = padded(box, LABEL_PAD, LABEL_PAD);
        bool hit = false;
        for (size_t k = 0; k < deps->n && !hit; k++) {
            const cand_t *d = &st->cands[deps->v[k]];
            hit = d->state == PLACED && bbox_intersects(st->labels[d->label].box, near);
        }
        if (hit) continue;
        label_t l = {s->tb->sl,
                     strdup(text),
                     style_text_font(s->tb->sl),
                     px + x,
                     py + y,
                     box,
                     c->size,
                     c->halo,
                     style_color(s->tb->sl, STYLE_TEXT_COLOR, st->zoom, s->tb->data, f),
                     style_color(s->tb->sl, STYLE_TEXT_HALO_COLOR, st->zoom, s->tb->data, f),
                     c->key,
                     s->order0 + c->feature};
        if (l.text == NULL || !add_label(st, &l)) {
            free(l.text);
            return;
        }
        c->label = (int32_t)(st->nlabels - 1);
        c->state = PLACED;
        note_placed(st, i);
        return;
    }
}

/* Counts candidate i decided in its cell. */
static void decided(zoom_state_t *st, uint32_t i)
{
    cell_slot(st, cell_key(st, st->cands[i].px, st->cands[i].py))->undecided--;
}

typedef struct frame {
    uint32_t cand;
    size_t next;
    ids_t deps;
    bool have_deps;
} frame_t;

/* Decides candidate root and, first, every higher-priority candidate it
 * depends on (depth first, without recursion: priorities fall along any
 * chain, so there are no cycles). Under st->lock. */
static bool decide(zoom_state_t *st, cairo_t *cr, uint32_t root)
{
    if (st->cands[root].state != UNDECIDED) return true;
    frame_t *stack = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (uint32_t push = root; ok;) {
        if (push != UINT32_MAX) {
            if (n == cap) {
                cap = cap ? 2 * cap : 32;
                frame_t *grown = realloc(stack, cap * sizeof(frame_t));
                if (grown == NULL) {
                    ok = false;
                    break;
                }
                stack = grown;
            }
            stack[n++] = (frame_t){push, 0, {0}, false};
            push = UINT32_MAX;
        }
        frame_t *f = &stack[n - 1];
        if (!f->have_deps && taken(st, f->cand)) {
            st->cands[f->cand].state = REJECTED;
            decided(st, f->cand);
            if (--n == 0) break;
            continue;
        }
        if (!f->have_deps) ok = f->have_deps = deps_of(st, f->cand, &f->deps);
        while (ok && f->next < f->deps.n && st->cands[f->deps.v[f->next]].state != UNDECIDED)
            f->next++;
        if (!ok) break;
        if (f->next < f->deps.n) {
            push = f->deps.v[f->next];
            continue;
        }
        finalize(st, cr, f->cand, &f->deps);
        decided(st, f->cand);
        free(f->deps.v);
        if (--n == 0) break;
    }
    for (size_t i = 0; i < n; i++)
        free(stack[i].deps.v);
    free(stack);
    return ok;
}

/* ---------------------------------------------------------------- caches */

static void lru_unlink(zoom_state_t *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        lru_head = st->next;
    if (st->next)
        st->next->prev = st->prev;
    else
        lru_tail = st->prev;
    st->prev = st->next = NULL;
}

static void lru_front(zoom_state_t *st)
{
    st->next = lru_head;
    if (lru_head) lru_head->prev = st;
    lru_head = st;
    if (lru_tail == NULL) lru_tail = st;
}

/* Drops one cached state from everything. Under lru_lock, refs == 0. */
static void lru_drop(zoom_state_t *st)
{
    lru_unlink(st);
    st->owner->zoom[st->z] = NULL;
    lru_bytes -= st->accounted;
    atomic_fetch_sub(&cached_bytes, st->accounted);
    state_free(st);
}

/* Least recently used states that no request holds go until the budget
 * holds. Under lru_lock. */
static void lru_evict(void)
{
    for (zoom_state_t *st = lru_tail; st && lru_bytes > budget;) {
        zoom_state_t *prev = st->prev;
        if (st->refs == 0) lru_drop(st);
        st = prev;
    }
}

/* Counts what st holds now. Under st->lock. */
static void account(zoom_state_t *st)
{
    if (st->owner == NULL || st->bytes == st->accounted) return;
    pthread_mutex_lock(&lru_lock);
    size_t delta = st->bytes - st->accounted;
    st->accounted = st->bytes;
    lru_bytes += delta;
    atomic_fetch_add(&cached_bytes, delta);
    pthread_mutex_unlock(&lru_lock);
}

typedef struct cache_key {
    const style_t *style;
    dataset_t *ds;
} cache_key_t;

static void *cache_create(void *arg)
{
    const cache_key_t *k = arg;
    label_cache_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    pthread_mutex_init(&c->build, NULL);
    c->style = k->style, c->ds = k->ds;
    return c;
}

static void cache_destroy(void *obj)
{
    label_cache_t *c = obj;
    pthread_mutex_lock(&lru_lock);
    for (int z = 0; z < CRS_SLOT0 + CRS_STATES; z++)
        if (c->zoom[z]) lru_drop(c->zoom[z]); /* the dataset is gone: nobody holds it */
    pthread_mutex_unlock(&lru_lock);
    atomic_fetch_sub(&cached_bytes, c->tb_bytes);
    free_bounds(c);
    pthread_mutex_destroy(&c->build);
    free(c);
}

/* A reference to st (NULL passes), now the most recently used. Under
 * lru_lock. */
static zoom_state_t *hold(zoom_state_t *st)
{
    if (st) {
        st->refs++;
        lru_unlink(st);
        lru_front(st);
    }
    return st;
}

static zoom_state_t *cached(label_cache_t *c, int z)
{
    pthread_mutex_lock(&lru_lock);
    zoom_state_t *st = hold(c->zoom[z]);
    pthread_mutex_unlock(&lru_lock);
    return st;
}

/* The state of this zoom with a reference the caller gives back with
 * release(): cached per dataset and style for whole zooms (tiles), and
 * in a few slots for other frames (fractional zooms, other CRSs: static
 * maps and WMS). NULL when out of memory. */
static label_cache_t *cache_of(const style_t *style, dataset_t *ds)
{
    char key[64];
    snprintf(key, sizeof(key), "labels:%p", (const void *)style);
    cache_key_t arg = {style, ds};
    return dataset_attachment(ds, key, cache_create, cache_destroy, &arg);
}

void labels_prepare(const style_t *style, dataset_t *ds)
{
    label_cache_t *c = cache_of(style, ds);
    if (c == NULL) return;
    pthread_mutex_lock(&c->build);
    make_bounds(c); /* (on failure, the first view tries again) */
    pthread_mutex_unlock(&c->build);
}

/* Does state st place the labels of view v (the same frame)? */
static bool same_frame(const zoom_state_t *st, const render_view_t *v)
{
    if (st == NULL || st->crs != v->crs || fabs(st->zoom - v->zoom) > 1e-9) return false;
    return v->crs == NULL ||
           (st->x0 == v->x0 && st->y0 == v->y0 && fabs(st->ux - v->rx) <= 1e-9 * v->rx &&
            fabs(st->uy - v->ry) <= 1e-9 * v->ry);
}

/* The cached state of v's CRS frame with a reference, or NULL. */
static zoom_state_t *cached_crs(label_cache_t *c, const render_view_t *v)
{
    pthread_mutex_lock(&lru_lock);
    zoom_state_t *st = NULL;
    for (int k = CRS_SLOT0; k < CRS_SLOT0 + CRS_STATES && st == NULL; k++)
        if (same_frame(c->zoom[k], v)) st = c->zoom[k];
    hold(st);
    pthread_mutex_unlock(&lru_lock);
    return st;
}

/* A slot for a new CRS state: a free one, or one that nobody holds
 * (dropped); -1 if all are held. Under lru_lock. */
static int crs_slot(label_cache_t *c)
{
    int pick = -1;
    for (int k = CRS_SLOT0; k < CRS_SLOT0 + CRS_STATES; k++) {
        if (c->zoom[k] == NULL) return k;
        if (c->zoom[k]->refs == 0) pick = k;
    }
    if (pick >= 0) lru_drop(c->zoom[pick]);
    return pick;
}

static zoom_state_t *acquire(const style_t *style, dataset_t *ds, const render_view_t *v)
{
    label_cache_t *c = cache_of(style, ds);
    if (c == NULL) return NULL;
    double zoom = v->zoom;
    int z = (int)zoom;
    bool whole = !v->crs && zoom == (double)z && z >= 0 && z <= MAX_ZOOM_CACHED;
    zoom_state_t *st = whole ? cached(c, z) : cached_crs(c, v);
    if (st) return st;
    pthread_mutex_lock(&c->build);
    st = whole ? cached(c, z) : cached_crs(c, v);
    if (st) { /* built meanwhile */
        pthread_mutex_unlock(&c->build);
        return st;
    }
    st = make_bounds(c) ? state_create(c, v) : NULL;
    if (st) {
        pthread_mutex_lock(&lru_lock);
        int slot = whole ? z : crs_slot(c);
        if (slot >= 0) {
            st->owner = c, st->z = slot, st->refs = 1;
            c->zoom[slot] = st;
            lru_front(st);
        }
        pthread_mutex_unlock(&lru_lock);
        pthread_mutex_lock(&st->lock);
        if (slot >= 0) account(st);
        pthread_mutex_unlock(&st->lock);
    }
    pthread_mutex_unlock(&c->build);
    return st;
}

static void release(zoom_state_t *st)
{
    if (st == NULL) return;
    if (st->owner == NULL) {
        state_free(st);
        return;
    }
    pthread_mutex_lock(&lru_lock);
    st->refs--;
    lru_evict();
    pthread_mutex_unlock(&lru_lock);
}

/* ---------------------------------------------------------------- views */

static bbox_t view_box(const render_view_t *v)
{
    return (bbox_t){v->origin_x, v->origin_y, v->origin_x + v->width, v->origin_y + v->height};
}

/* Copies (shallow: texts stay the state's) the labels of symbol layer sl
 * (NULL: any) placed in the view into *out, deciding what has to be. The
 * caller frees *out, and uses it while it holds st. Returns the count, or
 * (size_t)-1 when out of memory. */
static bool add_out(label_t **out, size_t *n, size_t *cap, const label_t *l)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        label_t *grown = realloc(*out, *cap * sizeof(label_t));
        if (grown == NULL) return false;
        *out = grown;
    }
    (*out)[(*n)++] = *l;
    return true;
}

/* Decides the candidates of cell run r that could show in view; once
 * all of a cell's are, only its placed labels are looked at. */
static bool decide_cell(zoom_state_t *st, cairo_t *cr, const cell_run_t *r, bbox_t view)
{
    for (uint32_t k = 0; r->undecided && k < r->count; k++) {
        uint32_t i = st->by_cell[r->start + k];
        if (st->cands[i].state == UNDECIDED && bbox_intersects(reach_box(&st->cands[i]), view) &&
            !decide(st, cr, i))
            return false;
    }
    return true;
}

static size_t view_labels(zoom_state_t *st, const render_view_t *v, const style_layer_t *sl,
                          label_t **out)
{
    bbox_t view = view_box(v);
    size_t n = 0, cap = 0;
    *out = NULL;
    pthread_mutex_lock(&st->lock);
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(surface);
    bool ok = true;
    /* A label meeting the view has its point within rx, ry of it. */
    cell_range_t g = cells_of(st, padded(view, st->rx, st->ry));
    for (double cy = g.y0; ok && st->ncands && cy <= g.y1; cy++)
        for (double cx = g.x0; ok && cx <= g.x1; cx++) {
            const cell_run_t *r = run_at(st, cx, cy);
            if (r->key == 0 || !(ok = decide_cell(st, cr, r, view))) continue;
            for (int32_t l = r->placed; ok && l >= 0; l = st->labels[l].next)
                if ((sl == NULL || st->labels[l].layer == sl) &&
                    bbox_intersects(st->labels[l].box, view))
                    ok = add_out(out, &n, &cap, &st->labels[l]);
        }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    account(st);
    pthread_mutex_unlock(&st->lock);
    if (!ok) {
        free(*out);
        *out = NULL;
        return (size_t)-1;
    }
    return n;
}

bool labels_touch(const render_view_t *v, const style_t *style, dataset_t *ds,
                  const style_layer_t *sl)
{
    zoom_state_t *st = acquire(style, ds, v);
    label_t *l = NULL;
    size_t n = st ? view_labels(st, v, sl, &l) : 0;
    free(l);
    release(st);
    return n > 0 && n != (size_t)-1;
}

static void draw_label(cairo_t *cr, const render_view_t *v, const label_t *l)
{
    double s = v->scale;
    PangoLayout *layout = label_layout(cr, l->font, l->size * s, l->text);
    double x = (l->x - v->origin_x) * s, y = (l->y - v->origin_y) * s;
    if (l->halo > 0 && l->halo_color.a > 0) {
        cairo_new_path(cr);
        cairo_move_to(cr, x, y);
        pango_cairo_layout_path(cr, layout);
        cairo_set_source_rgba(cr, l->halo_color.r, l->halo_color.g, l->halo_color.b,
                              l->halo_color.a);
        cairo_set_line_width(cr, 2 * l->halo * s);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, x, y);
    cairo_set_source_rgba(cr, l->color.r, l->color.g, l->color.b, l->color.a);
    pango_cairo_show_layout(cr, layout);
    g_object_unref(layout);
}

/* Placement order, as the labels were placed when all were placed at
 * once (only the halos' antialiased fringes could tell). */
static int cmp_placed(const void *x, const void *y)
{
    const label_t *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

void labels_draw(cairo_t *cr, const render_view_t *v, const style_t *style, dataset_t *ds,
                 const style_layer_t *sl)
{
    zoom_state_t *st = acquire(style, ds, v);
    label_t *l = NULL;
    size_t n = st ? view_labels(st, v, sl, &l) : 0;
    if (n == (size_t)-1) n = 0;
    if (n) qsort(l, n, sizeof(label_t), cmp_placed);
    bbox_t view = view_box(v);
    for (size_t i = 0; i < n; i++)
        if (!v->whole_labels || bbox_contains(view, l[i].box)) draw_label(cr, v, &l[i]);
    free(l);
    release(st);
}

size_t labels_list(const render_view_t *v, const style_t *style, dataset_t *ds, labels_item_t **out)
{
    *out = NULL;
    zoom_state_t *st = acquire(style, ds, v);
    label_t *l = NULL;
    size_t n = st ? view_labels(st, v, NULL, &l) : (size_t)-1;
    if (n != (size_t)-1 && n && (*out = calloc(n, sizeof(labels_item_t))) == NULL) n = (size_t)-1;
    for (size_t i = 0; n != (size_t)-1 && i < n; i++) {
        (*out)[i] = (labels_item_t){l[i].layer, strdup(l[i].text), l[i].box};
        if ((*out)[i].text == NULL) {
            labels_list_free(*out, i);
            *out = NULL, n = (size_t)-1;
        }
    }
    free(l);
    release(st);
    return n;
}

void labels_list_free(labels_item_t *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free(items[i].text);
    free(items);
}
