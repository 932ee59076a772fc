#include "render/render_draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/clip.h"
#include "render/png.h"
#include "data/crs.h"
#include "render/render_labels.h"
#include "render/reproject.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Geometry is fetched and clipped with this margin (CSS pixels) around the
 * view, so strokes and circles reaching in from outside are drawn, and the
 * clip's own edges stay out of sight. */
#define MARGIN 64.0

typedef struct scratch {
    double *a, *b, *c; /* device coordinates, clip output, clip scratch */
    size_t cap;        /* points each */
} scratch_t;

static bool reserve(scratch_t *s, size_t points)
{
    size_t need = CLIP_RING_ROOM(points);
    if (need <= s->cap) return true;
    double *a = realloc(s->a, 2 * need * sizeof(double));
    double *b = a ? realloc(s->b, 2 * need * sizeof(double)) : NULL;
    double *c = b ? realloc(s->c, 2 * need * sizeof(double)) : NULL;
    if (a) s->a = a;
    if (b) s->b = b;
    if (c) s->c = c;
    if (c == NULL) return false;
    s->cap = need;
    return true;
}

/* Drawing state for one render_draw() call. */
typedef struct pass {
    cairo_t *cr;
    const render_view_t *v;
    double x0, y0, rx, ry;   /* the frame: global pixel (0, 0) and a pixel, in map units */
    bbox_t clip;             /* device pixels, view plus margin */
    dataset_t *ds;           /* for cached projections; NULL: one layer of a request */
    const projected_t *proj; /* the layer being drawn in the view's CRS; NULL: Web Mercator */
    scratch_t s;
} pass_t;

render_view_t render_tile_view(tile_t t, double scale)
{
    return (render_view_t){
        (double)t.z, (double)t.x * TILE_SIZE, (double)t.y * TILE_SIZE, TILE_SIZE, TILE_SIZE, scale};
}

render_view_t render_center_view(double lon, double lat, double zoom, int width, int height,
                                 double scale)
{
    double ll[2] = {lon, lat}, m[2];
    crs_lonlat_to_merc(ll, m, 1);
    double res = tile_resolution(zoom);
    double gx = (m[0] + CRS_MERC_EXTENT) / res, gy = (CRS_MERC_EXTENT - m[1]) / res;
    return (render_view_t){zoom, gx - width / 2.0, gy - height / 2.0, width, height, scale};
}

/* The largest zoom at which a lon/lat box fits in width x height. */
static double render_fit_zoom(bbox_t ll, int width, int height)
{
    double xy[4] = {ll.minx, ll.miny, ll.maxx, ll.maxy}, m[4];
    crs_lonlat_to_merc(xy, m, 2);
    double w = fmax(m[2] - m[0], 1e-3), h = fmax(m[3] - m[1], 1e-3);
    double res = fmax(w / width, h / height);
    return log2(2 * CRS_MERC_EXTENT / (TILE_SIZE * res));
}

render_view_t render_bbox_view(bbox_t ll, int width, int height, double scale, double max_zoom)
{
    double zoom = fmin(render_fit_zoom(ll, width, height), max_zoom);
    double xy[4] = {ll.minx, ll.miny, ll.maxx, ll.maxy}, m[4], mid[2], centre[2];
    crs_lonlat_to_merc(xy, m, 2);
    mid[0] = (m[0] + m[2]) / 2, mid[1] = (m[1] + m[3]) / 2;
    crs_merc_to_lonlat(mid, centre, 1);
    return render_center_view(centre[0], centre[1], zoom, width, height, scale);
}

/* The CRS box a view shows, and its pixels in CRS units. */
static bbox_t crs_box(const render_view_t *v, double margin)
{
    return (bbox_t){
        v->x0 + (v->origin_x - margin) * v->rx, v->y0 - (v->origin_y + v->height + margin) * v->ry,
        v->x0 + (v->origin_x + v->width + margin) * v->rx, v->y0 - (v->origin_y - margin) * v->ry};
}

/* Ground metres per pixel at x/y of the CRS, by the haversine of a
 * pixel's step each way, divided by the cosine of the latitude: the
 * resolution of a Web Mercator zoom there. NAN where it does not project. */
static double mercator_resolution(const crs_t *crs, double x, double y, double rx, double ry)
{
    double xy[6] = {x, y, x + rx, y, x, y + ry}, ll[6];
    if (crs_inverse(crs, xy, ll, 3) != 3) return NAN;
    double d[2];
    for (int k = 0; k < 2; k++) {
        double la1 = ll[1] * M_PI / 180, la2 = ll[2 * k + 3] * M_PI / 180;
        double dla = la2 - la1, dlo = (ll[2 * k + 2] - ll[0]) * M_PI / 180;
        double h = sin(dla / 2) * sin(dla / 2) + cos(la1) * cos(la2) * sin(dlo / 2) * sin(dlo / 2);
        d[k] = 2 * CRS_MERC_RADIUS * asin(fmin(1, sqrt(h)));
    }
    return sqrt(d[0] * d[1]) / cos(ll[1] * M_PI / 180);
}

double render_view_metres_per_px(const render_view_t *v)
{
    bbox_t ll = render_view_lonlat(v);
    double lat = (ll.miny + ll.maxy) / 2 * M_PI / 180;
    if (v->crs == NULL) return tile_resolution(v->zoom) * cos(lat);
    double cx = v->x0 + (v->origin_x + v->width / 2.0) * v->rx;
    double cy = v->y0 - (v->origin_y + v->height / 2.0) * v->ry;
    return mercator_resolution(v->crs, cx, cy, v->rx, v->ry) * cos(lat);
}

int render_crs_view(const crs_t *crs, bbox_t box, int width, int height, double scale,
                    const double ref[2], render_view_t *out, error_t *err)
{
    double rx = (box.maxx - box.minx) / width, ry = (box.maxy - box.miny) / height;
    if (crs_is_web_mercator(crs) && fabs(rx / ry - 1) < 1e-9) { /* the tiles' frame */
        double zoom = log2(2 * CRS_MERC_EXTENT / (TILE_SIZE * rx));
        if (!(zoom >= RENDER_MIN_ZOOM && zoom <= RENDER_MAX_ZOOM))
            return error_set(err, ERR_INVALID, "a scale of %.3g m per pixel: want %.3g to %.3g", rx,
                             tile_resolution(RENDER_MAX_ZOOM), tile_resolution(RENDER_MIN_ZOOM));
        double res = tile_resolution(zoom);
        *out = (render_view_t){zoom,
                               (box.minx + CRS_MERC_EXTENT) / res,
                               (CRS_MERC_EXTENT - box.maxy) / res,
                               width,
                               height,
                               scale};
        return ERR_OK;
    }
    /* A frame fixed per CRS (its area of use, padded), so that images
     * side by side at one resolution place their labels alike. */
    bbox_t area;
    if (crs_box_from_lonlat(crs, crs_area(crs), &area) != 0) area = box;
    double x0 = area.minx - (area.maxx - area.minx), y0 = area.maxy + (area.maxy - area.miny);
    /* The zoom, for the style, is measured at one place (ref, else the
     * middle of the CRS's area), not the view's: images side by side
     * must draw their labels at the same sizes. */
    bbox_t use = crs_area(crs);
    double at[2] = {(use.minx + use.maxx) / 2, (use.miny + use.maxy) / 2}, xy[2];
    if (ref && bbox_contains_xy(use, ref[0], ref[1])) at[0] = ref[0], at[1] = ref[1];
    double ground =
        crs_forward(crs, at, xy, 1) == 1 ? mercator_resolution(crs, xy[0], xy[1], rx, ry) : NAN;
    bbox_t shown;
    if (!(ground > 0) || !isfinite(ground) || crs_box_to_lonlat(crs, box, &shown) != 0)
        return error_set(err, ERR_INVALID, "the box is outside what %s can show", crs_code(crs));
    double zoom = log2(2 * CRS_MERC_EXTENT / (TILE_SIZE * ground));
    if (!(zoom >= RENDER_MIN_ZOOM && zoom <= RENDER_MAX_ZOOM))
        return error_set(err, ERR_INVALID, "a scale of %.3g m per pixel: want %.3g to %.3g", ground,
                         tile_resolution(RENDER_MAX_ZOOM), tile_resolution(RENDER_MIN_ZOOM));
    *out = (render_view_t){.zoom = zoom,
                           .origin_x = (box.minx - x0) / rx,
                           .origin_y = (y0 - box.maxy) / ry,
                           .width = width,
                           .height = height,
                           .scale = scale,
                           .crs = crs,
                           .x0 = x0,
                           .y0 = y0,
                           .rx = rx,
                           .ry = ry};
    return ERR_OK;
}

bbox_t render_view_lonlat(const render_view_t *v)
{
    if (v->crs) {
        bbox_t ll;
        return crs_box_to_lonlat(v->crs, crs_box(v, 0), &ll) == 0 ? ll : bbox_empty();
    }
    double res = tile_resolution(v->zoom);
    double m[4] = {
        v->origin_x * res - CRS_MERC_EXTENT, CRS_MERC_EXTENT - (v->origin_y + v->height) * res,
        (v->origin_x + v->width) * res - CRS_MERC_EXTENT, CRS_MERC_EXTENT - v->origin_y * res};
    double ll[4];
    crs_merc_to_lonlat(m, ll, 2);
    return (bbox_t){ll[0], ll[1], ll[2], ll[3]};
}

/* The view plus a margin, in lon/lat, for the spatial index. */
static bbox_t query_box(const render_view_t *v, double margin)
{
    if (v->crs) {
        bbox_t ll;
        return crs_box_to_lonlat(v->crs, crs_box(v, margin), &ll) == 0 ? ll : bbox_empty();
    }
    render_view_t wide = *v;
    wide.origin_x -= margin;
    wide.origin_y -= margin;
    wide.width += (int)(2 * margin);
    wide.height += (int)(2 * margin);
    return render_view_lonlat(&wide);
}

/* Global pixels are snapped to cairo's own fixed-point grid (1/256 px)
 * before the view's origin is subtracted: for tiles the origin is a whole
 * number, so every tile hands cairo exactly the same coordinates, shifted,
 * and neighbouring tiles rasterise identically along their common edge. */
static void to_device(const pass_t *p, const double *xy, size_t n, double *out)
{
    const render_view_t *v = p->v;
    for (size_t i = 0; i < n; i++) {
        double gx = round((xy[2 * i] - p->x0) / p->rx * 256) / 256;
        double gy = round((p->y0 - xy[2 * i + 1]) / p->ry * 256) / 256;
        out[2 * i] = (gx - v->origin_x) * v->scale;
        out[2 * i + 1] = (gy - v->origin_y) * v->scale;
    }
}

static void set_color(cairo_t *cr, style_color_t c, double opacity)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity);
}

/* --- fill ------------------------------------------------------------------- */

static bool add_rings(pass_t *p, const geom_t *g)
{
    bool any = false;
    for (uint32_t r = 0; r < g->nparts; r++) {
        uint32_t first = g->part_start[r], n = g->part_start[r + 1] - first;
        if (!reserve(&p->s, n)) return any;
        to_device(p, g->merc + 2 * (size_t)first, n, p->s.a);
        size_t m = clip_ring(p->s.a, n, p->clip, p->s.b, p->s.c);
        if (m == 0) continue;
        cairo_move_to(p->cr, p->s.b[0], p->s.b[1]);
        for (size_t i = 1; i < m; i++)
            cairo_line_to(p->cr, p->s.b[2 * i], p->s.b[2 * i + 1]);
        cairo_close_path(p->cr);
        any = true;
    }
    return any;
}

static void draw_fill(pass_t *p, const style_layer_t *sl, const layer_t *data, const feature_t *f,
                      const geom_t *g)
{
    if (g->type != GEOM_POLYGON && g->type != GEOM_MULTIPOLYGON) return;
    double z = p->v->zoom;
    cairo_new_path(p->cr);
    if (!add_rings(p, g)) return;
    double opacity = style_number(sl, STYLE_FILL_OPACITY, z, data, f);
    style_color_t outline = {0};
    if (style_has_property(sl, STYLE_FILL_OUTLINE_COLOR))
        outline = style_color(sl, STYLE_FILL_OUTLINE_COLOR, z, data, f);
    set_color(p->cr, style_color(sl, STYLE_FILL_COLOR, z, data, f), opacity);
    cairo_set_fill_rule(p->cr, CAIRO_FILL_RULE_EVEN_ODD);
    if (outline.a > 0) {
        cairo_fill_preserve(p->cr);
        set_color(p->cr, outline, opacity);
        cairo_set_line_width(p->cr, p->v->scale);
        cairo_stroke(p->cr);
    } else {
        cairo_fill(p->cr);
    }
}

/* --- line -------------------------------------------------------------------- */

/* Solid lines collect every run into one path and stroke once; dashed
 * runs are stroked one by one, each with the dash phase of where it
 * starts along the whole line, so cut lines dash as if whole. */
typedef struct line_pen {
    cairo_t *cr;
    const double *dash; /* device pixels; NULL: solid */
    int ndash;
} line_pen_t;

static void emit_run(const double *xy, size_t n, double offset, void *arg)
{
    line_pen_t *pen = arg;
    cairo_move_to(pen->cr, xy[0], xy[1]);
    for (size_t i = 1; i < n; i++)
        cairo_line_to(pen->cr, xy[2 * i], xy[2 * i + 1]);
    if (pen->dash) {
        cairo_set_dash(pen->cr, pen->dash, pen->ndash, offset);
        cairo_stroke(pen->cr);
    }
}

static void add_lines(pass_t *p, const geom_t *g, line_pen_t *pen)
{
    for (uint32_t r = 0; r < g->nparts; r++) {
        uint32_t first = g->part_start[r], n = g->part_start[r + 1] - first;
        if (!reserve(&p->s, n)) return;
        to_device(p, g->merc + 2 * (size_t)first, n, p->s.a);
        if (g->type == GEOM_POLYGON || g->type == GEOM_MULTIPOLYGON) { /* outlines: closed */
            p->s.a[2 * n] = p->s.a[0];
            p->s.a[2 * n + 1] = p->s.a[1];
            n += p->s.a[0] != p->s.a[2 * n - 2] || p->s.a[1] != p->s.a[2 * n - 1];
        }
        clip_line(p->s.a, n, p->clip, p->s.b, emit_run, pen);
    }
}

static void draw_line(pass_t *p, const style_layer_t *sl, const layer_t *data, const feature_t *f,
                      const geom_t *g)
{
    if (g->type == GEOM_POINT || g->type == GEOM_MULTIPOINT) return;
    double z = p->v->zoom;
    double width = style_number(sl, STYLE_LINE_WIDTH, z, data, f) * p->v->scale;
    if (width <= 0) return;
    size_t ndash = 0;
    const double *dash = style_line_dasharray(sl, &ndash);
    double dev[16];
    for (size_t i = 0; i < ndash && i < 16; i++)
        dev[i] = dash[i] * width;
    line_pen_t pen = {p->cr, ndash ? dev : NULL, (int)(ndash < 16 ? ndash : 16)};
    cairo_set_line_width(p->cr, width);
    cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(p->cr, ndash ? CAIRO_LINE_CAP_BUTT : CAIRO_LINE_CAP_ROUND);
    set_color(p->cr, style_color(sl, STYLE_LINE_COLOR, z, data, f),
              style_number(sl, STYLE_LINE_OPACITY, z, data, f));
    cairo_new_path(p->cr);
    add_lines(p, g, &pen);
    if (ndash == 0) cairo_stroke(p->cr);
    cairo_set_dash(p->cr, NULL, 0, 0);
}

/* --- circle ------------------------------------------------------------------ */

static void draw_circle(pass_t *p, const style_layer_t *sl, const layer_t *data, const feature_t *f,
                        const geom_t *g)
{
    if (g->type != GEOM_POINT && g->type != GEOM_MULTIPOINT) return;
    double z = p->v->zoom, s = p->v->scale;
    double r = style_number(sl, STYLE_CIRCLE_RADIUS, z, data, f) * s;
    double sw = style_number(sl, STYLE_CIRCLE_STROKE_WIDTH, z, data, f) * s;
    double opacity = style_number(sl, STYLE_CIRCLE_OPACITY, z, data, f);
    style_color_t fill = style_color(sl, STYLE_CIRCLE_COLOR, z, data, f);
    style_color_t stroke = style_color(sl, STYLE_CIRCLE_STROKE_COLOR, z, data, f);
    for (uint32_t i = 0; i < g->npoints; i++) {
        double d[2];
        to_device(p, g->merc + 2 * (size_t)i, 1, d);
        if (!bbox_contains_xy(p->clip, d[0], d[1])) continue;
        cairo_new_path(p->cr);
        cairo_arc(p->cr, d[0], d[1], r, 0, 2 * M_PI);
        set_color(p->cr, fill, opacity);
        if (sw > 0) {
            cairo_fill_preserve(p->cr);
            set_color(p->cr, stroke, opacity);
            cairo_set_line_width(p->cr, sw);
            cairo_stroke(p->cr);
        } else {
            cairo_fill(p->cr);
        }
    }
}

/* --- layers -------------------------------------------------------------------- */

typedef void (*draw_fn)(pass_t *, const style_layer_t *, const layer_t *, const feature_t *,
                        const geom_t *);

static void draw_features(pass_t *p, const style_layer_t *sl, const layer_t *data, draw_fn draw)
{
    projected_t *own = NULL;
    if (p->v->crs) p->proj = reproject_get(p->ds, data, p->v->crs, &own);
    if (p->v->crs && p->proj == NULL) return;
    uint32_t *ids = NULL;
    size_t n = layer_query_bbox(data, query_box(p->v, MARGIN), &ids);
    for (size_t i = 0; i < n && n != (size_t)-1; i++) {
        const feature_t *f = &data->features[ids[i]];
        const geom_t *g = p->proj ? p->proj->geoms[ids[i]] : f->geom;
        if (g && style_filter(sl, data, f, p->v->zoom)) draw(p, sl, data, f, g);
    }
    free(ids);
    reproject_free(own);
    p->proj = NULL;
}

static bool selected(const render_select_t *sel, const char *source)
{
    if (sel == NULL || sel->sources == NULL) return true;
    for (const char *const *s = sel->sources; *s; s++)
        if (source && strcmp(*s, source) == 0) return true;
    return false;
}

static void paint_background(cairo_t *cr, const render_view_t *v, const style_layer_t *sl,
                             const render_select_t *sel)
{
    if (sel && sel->transparent) return;
    double opacity = style_number(sl, STYLE_BACKGROUND_OPACITY, v->zoom, NULL, NULL);
    if (sel && sel->has_background)
        set_color(cr, sel->background, 1);
    else
        set_color(cr, style_color(sl, STYLE_BACKGROUND_COLOR, v->zoom, NULL, NULL), opacity);
    cairo_paint(cr);
}

/* Draws the style over the view with the dataset's layers (those sel
 * selects), or with `only` for every layer when the dataset is NULL. */
static void draw(cairo_t *cr, const render_view_t *v, const style_t *style, dataset_t *ds,
                 const layer_t *only, const render_select_t *sel)
{
    pass_t p = {.cr = cr, .v = v, .ds = ds};
    if (v->crs) {
        p.x0 = v->x0, p.y0 = v->y0, p.rx = v->rx, p.ry = v->ry;
    } else {
        p.x0 = -CRS_MERC_EXTENT, p.y0 = CRS_MERC_EXTENT, p.rx = p.ry = tile_resolution(v->zoom);
    }
    p.clip = (bbox_t){-MARGIN * v->scale, -MARGIN * v->scale, (v->width + MARGIN) * v->scale,
                      (v->height + MARGIN) * v->scale};
    for (size_t i = 0; i < style_layer_count(style); i++) {
        const style_layer_t *sl = style_layer(style, i);
        if (!style_layer_visible(sl, v->zoom)) continue;
        style_layer_type_t type = style_layer_type(sl);
        if (type == STYLE_BACKGROUND) {
            paint_background(cr, v, sl, sel);
            continue;
        }
        if (!selected(sel, style_layer_source(sl))) continue;
        const layer_t *data = ds ? dataset_find_layer(ds, style_layer_source(sl)) : only;
        if (data == NULL) continue;
        if (type == STYLE_SYMBOL) {
            if (ds) labels_draw(cr, v, style, ds, sl);
        } else {
            draw_features(&p, sl, data,
                          type == STYLE_FILL   ? draw_fill
                          : type == STYLE_LINE ? draw_line
                                               : draw_circle);
        }
    }
    free(p.s.a);
    free(p.s.b);
    free(p.s.c);
}

void render_draw(cairo_t *cr, const render_view_t *v, const style_t *style, dataset_t *ds,
                 const render_select_t *sel)
{
    draw(cr, v, style, ds, NULL, sel);
}

void render_draw_layer(cairo_t *cr, const render_view_t *v, const style_t *style,
                       const layer_t *data)
{
    draw(cr, v, style, NULL, data, NULL);
}

bool render_view_is_empty(const render_view_t *v, const style_t *style, dataset_t *ds)
{
    bbox_t box = query_box(v, MARGIN);
    for (size_t i = 0; i < style_layer_count(style); i++) {
        const style_layer_t *sl = style_layer(style, i);
        if (!style_layer_visible(sl, v->zoom) || style_layer_type(sl) == STYLE_BACKGROUND) continue;
        const layer_t *data = dataset_find_layer(ds, style_layer_source(sl));
        if (data == NULL) continue;
        if (style_layer_type(sl) == STYLE_SYMBOL) {
            if (labels_touch(v, style, ds, sl)) return false;
            continue;
        }
        uint32_t *ids = NULL;
        size_t n = layer_query_bbox(data, box, &ids);
        bool hit = false;
        for (size_t k = 0; k < n && n != (size_t)-1 && !hit; k++)
            hit = style_filter(sl, data, &data->features[ids[k]], v->zoom) &&
                  geom_intersects_bbox(data->features[ids[k]].geom, box);
        free(ids);
        if (hit) return false;
    }
    return true;
}

int render_png(const render_view_t *v, const style_t *style, dataset_t *ds, unsigned char **png,
               size_t *len, error_t *err)
{
    int w = (int)lround(v->width * v->scale), h = (int)lround(v->height * v->scale);
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(surface);
    render_draw(cr, v, style, ds, NULL);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    int rc = st == CAIRO_STATUS_SUCCESS ? png_encode(surface, png, len) : 0;
    cairo_surface_destroy(surface);
    if (st != CAIRO_STATUS_SUCCESS)
        return error_set(err, ERR_SYSTEM, "rendering failed: %s", cairo_status_to_string(st));
    return rc == 0 ? ERR_OK : error_set(err, ERR_NOMEM, "out of memory encoding PNG");
}
