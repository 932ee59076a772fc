#include "render/render_labels.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/crs.h"

#ifndef M_SQRT1_2
#define M_SQRT1_2 0.70710678118654752440
#endif

#define MAX_ZOOM_CACHED 30
#define LABEL_PAD       2.0 /* CSS pixels kept clear around each label */

typedef struct label {
    const style_layer_t *layer;
    char *text;
    const char *font;
    double x, y; /* layout's top-left, global CSS pixels */
    bbox_t box;  /* what it covers, halo included */
    double size, halo;
    style_color_t color, halo_color;
} label_t;

typedef struct label_set {
    label_t *labels;
    size_t n;
    size_t bytes; /* what the set holds: itself, its labels, their texts */
} label_set_t;

/* Bytes of placements cached over every dataset and style, for /metrics. */
static atomic_size_t cached_bytes;

size_t labels_cache_bytes(void)
{
    return atomic_load_explicit(&cached_bytes, memory_order_relaxed);
}

typedef struct label_cache {
    pthread_mutex_t lock;
    label_set_t *zoom[MAX_ZOOM_CACHED + 1]; /* integer zooms, filled lazily */
} label_cache_t;

static void set_free(label_set_t *set)
{
    if (set == NULL) return;
    for (size_t i = 0; i < set->n; i++)
        free(set->labels[i].text);
    free(set->labels);
    free(set);
}

/* Same font options when measuring and when drawing: no hinting, so a
 * layout's size is exactly proportional to its font size. */
static void configure(PangoContext *pc)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(pc, fo);
    cairo_font_options_destroy(fo);
}

static PangoLayout *make_layout(cairo_t *cr, const char *font, double px, const char *text)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    configure(pango_layout_get_context(layout));
    pango_layout_context_changed(layout);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_font_description_set_absolute_size(fd, px * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, text, -1);
    return layout;
}

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

typedef struct candidate {
    label_t label; /* box and position filled in when placed */
    double key;    /* symbol-sort-key: lower first */
    size_t order;  /* style layer order, then feature order: ties */
    double px, py; /* the anchor point, global CSS pixels */
    double w, h;   /* the text's size */
} candidate_t;

static int cmp_candidate(const void *x, const void *y)
{
    const candidate_t *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* Puts the label at one anchor: the offset goes with the anchor, as a
 * radial distance when there are several anchors to try (MapLibre's
 * text-radial-offset), as given when there is one. */
static void put_at(candidate_t *c, const char *anchor, bool variable)
{
    label_t *l = &c->label;
    double ox, oy, dx, dy;
    style_text_offset(l->layer, &ox, &oy);
    if (variable) {
        double r = fmax(fabs(ox), fabs(oy)), d = strchr(anchor, '-') ? r * M_SQRT1_2 : r;
        ox = strstr(anchor, "left") ? d : strstr(anchor, "right") ? -d : 0;
        oy = strncmp(anchor, "top", 3) == 0 ? d : strncmp(anchor, "bottom", 6) == 0 ? -d : 0;
    }
    anchor_offset(anchor, c->w, c->h, &dx, &dy);
    l->x = c->px + dx + ox * l->size;
    l->y = c->py + dy + oy * l->size;
    double pad = l->halo + 1;
    l->box = (bbox_t){l->x - pad, l->y - pad, l->x + c->w + pad, l->y + c->h + pad};
}

static bool measure(cairo_t *cr, const style_layer_t *sl, const layer_t *data, const feature_t *f,
                    double zoom, candidate_t *c)
{
    label_t *out = &c->label;
    char text[512];
    if (f->geom->npoints == 0 || !style_text(sl, data, f, text, sizeof(text))) return false;
    double size = style_number(sl, STYLE_TEXT_SIZE, zoom, data, f);
    if (!(size > 0)) return false;
    /* Static maps come at any fractional zoom, so their sizes would be new
     * every time, and Pango, fontconfig and cairo keep every font size they
     * have seen: a quarter pixel is invisible and keeps those caches
     * bounded. Whole zooms (tiles) keep the style's exact sizes. */
    if (zoom != floor(zoom)) size = fmax(0.25, round(size * 4) / 4);
    PangoLayout *layout = make_layout(cr, style_text_font(sl), size, text);
    int pw, ph;
    pango_layout_get_size(layout, &pw, &ph);
    g_object_unref(layout);
    c->w = (double)pw / PANGO_SCALE, c->h = (double)ph / PANGO_SCALE;
    /* Points label their point; lines and polygons their first vertex. */
    double res = tile_resolution(zoom);
    c->px = (f->geom->merc[0] + CRS_MERC_EXTENT) / res;
    c->py = (CRS_MERC_EXTENT - f->geom->merc[1]) / res;
    out->layer = sl;
    out->font = style_text_font(sl);
    out->size = size;
    out->halo = style_number(sl, STYLE_TEXT_HALO_WIDTH, zoom, data, f);
    out->color = style_color(sl, STYLE_TEXT_COLOR, zoom, data, f);
    out->halo_color = style_color(sl, STYLE_TEXT_HALO_COLOR, zoom, data, f);
    out->text = strdup(text);
    return out->text != NULL;
}

static bool collides(const label_set_t *placed, bbox_t box)
{
    bbox_t padded = {box.minx - LABEL_PAD, box.miny - LABEL_PAD, box.maxx + LABEL_PAD,
                     box.maxy + LABEL_PAD};
    for (size_t i = 0; i < placed->n; i++)
        if (bbox_intersects(placed->labels[i].box, padded)) return true;
    return false;
}

/* Gathers every candidate label of every visible symbol layer. Layers
 * higher in the style go first, as in MapLibre. */
static candidate_t *gather(const style_t *style, dataset_t *ds, double zoom, size_t *n)
{
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(surface);
    candidate_t *c = NULL;
    size_t cap = 0, order = 0;
    *n = 0;
    for (size_t i = style_layer_count(style); i-- > 0;) {
        const style_layer_t *sl = style_layer(style, i);
        const layer_t *data = style_layer_type(sl) == STYLE_SYMBOL
                                  ? dataset_find_layer(ds, style_layer_source(sl))
                                  : NULL;
        if (data == NULL || !style_layer_visible(sl, zoom)) continue;
        for (size_t k = 0; k < data->nfeatures; k++, order++) {
            const feature_t *f = &data->features[k];
            if (!style_filter(sl, data, f, zoom)) continue;
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                candidate_t *grown = realloc(c, cap * sizeof(*c));
                if (grown == NULL) break;
                c = grown;
            }
            if (measure(cr, sl, data, f, zoom, &c[*n])) {
                c[*n].key = style_number(sl, STYLE_SYMBOL_SORT_KEY, zoom, data, f);
                c[*n].order = order;
                (*n)++;
            }
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return c;
}

static label_set_t *place(const style_t *style, dataset_t *ds, double zoom)
{
    size_t n = 0;
    candidate_t *c = gather(style, ds, zoom, &n);
    label_set_t *set = calloc(1, sizeof(*set));
    if (set == NULL || (n && (set->labels = malloc(n * sizeof(label_t))) == NULL)) {
        for (size_t i = 0; i < n; i++)
            free(c[i].label.text);
        free(c);
        free(set);
        return NULL;
    }
    qsort(c, n, sizeof(*c), cmp_candidate);
    for (size_t i = 0; i < n; i++) {
        const char *const *anchors;
        size_t na = style_text_anchors(c[i].label.layer, &anchors), a = 0;
        for (; a < na; a++) {
            put_at(&c[i], anchors[a], na > 1);
            if (!collides(set, c[i].label.box)) break;
        }
        if (a == na)
            free(c[i].label.text);
        else
            set->labels[set->n++] = c[i].label;
    }
    free(c);
    if (set->n < n) { /* keep only what was placed */
        label_t *fit = realloc(set->labels, (set->n ? set->n : 1) * sizeof(label_t));
        if (fit) set->labels = fit;
    }
    set->bytes = sizeof(*set) + set->n * sizeof(label_t);
    for (size_t i = 0; i < set->n; i++)
        set->bytes += strlen(set->labels[i].text) + 1;
    return set;
}

static void *cache_create(void *arg)
{
    (void)arg;
    label_cache_t *cache = calloc(1, sizeof(*cache));
    if (cache) pthread_mutex_init(&cache->lock, NULL);
    return cache;
}

static void cache_destroy(void *obj)
{
    label_cache_t *cache = obj;
    for (int z = 0; z <= MAX_ZOOM_CACHED; z++) {
        if (cache->zoom[z]) atomic_fetch_sub(&cached_bytes, cache->zoom[z]->bytes);
        set_free(cache->zoom[z]);
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

/* The placement for this zoom: cached per dataset and style for whole
 * zooms (tiles); made afresh for fractional zooms (static maps), in which
 * case *owned is set and the caller frees it. */
static label_set_t *placement(const style_t *style, dataset_t *ds, double zoom, bool *owned)
{
    *owned = false;
    int z = (int)zoom;
    if (zoom != (double)z || z < 0 || z > MAX_ZOOM_CACHED) {
        *owned = true;
        return place(style, ds, zoom);
    }
    char key[64];
    snprintf(key, sizeof(key), "labels:%p", (const void *)style);
    label_cache_t *cache = dataset_attachment(ds, key, cache_create, cache_destroy, NULL);
    if (cache == NULL) return NULL;
    pthread_mutex_lock(&cache->lock);
    if (cache->zoom[z] == NULL && (cache->zoom[z] = place(style, ds, zoom)) != NULL)
        atomic_fetch_add(&cached_bytes, cache->zoom[z]->bytes);
    label_set_t *set = cache->zoom[z];
    pthread_mutex_unlock(&cache->lock);
    return set;
}

static bbox_t view_box(const render_view_t *v)
{
    return (bbox_t){v->origin_x, v->origin_y, v->origin_x + v->width, v->origin_y + v->height};
}

bool labels_touch(const render_view_t *v, const style_t *style, dataset_t *ds,
                  const style_layer_t *sl)
{
    bool owned, hit = false;
    label_set_t *set = placement(style, ds, v->zoom, &owned);
    bbox_t view = view_box(v);
    for (size_t i = 0; set && i < set->n && !hit; i++)
        hit = set->labels[i].layer == sl && bbox_intersects(set->labels[i].box, view);
    if (owned) set_free(set);
    return hit;
}

static void draw_label(cairo_t *cr, const render_view_t *v, const label_t *l)
{
    double s = v->scale;
    PangoLayout *layout = make_layout(cr, l->font, l->size * s, l->text);
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

void labels_draw(cairo_t *cr, const render_view_t *v, const style_t *style, dataset_t *ds,
                 const style_layer_t *sl)
{
    bool owned;
    label_set_t *set = placement(style, ds, v->zoom, &owned);
    bbox_t view = view_box(v);
    for (size_t i = 0; set && i < set->n; i++)
        if (set->labels[i].layer == sl && bbox_intersects(set->labels[i].box, view))
            draw_label(cr, v, &set->labels[i]);
    if (owned) set_free(set);
}
