#include "render/render_static.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/png.h"
#include "render/render_draw.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct sink {
    unsigned char *data;
    size_t len, cap;
} sink_t;

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
    sink_t *s = closure;
    if (s->len + length > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 65536;
        while (cap < s->len + length)
            cap *= 2;
        unsigned char *p = realloc(s->data, cap);
        if (p == NULL) return CAIRO_STATUS_NO_MEMORY;
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, data, length);
    s->len += length;
    return CAIRO_STATUS_SUCCESS;
}

PangoLayout *render_text_layout(cairo_t *cr, const char *text, double size)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans");
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, text, -1);
    return layout;
}

static void text_at(cairo_t *cr, const char *text, double size, double x, double y, bool right)
{
    PangoLayout *layout = render_text_layout(cr, text, size);
    int w, h;
    pango_layout_get_pixel_size(layout, &w, &h);
    double left = right ? x - w : x, top = y - h;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8); /* a plate keeps it readable on any map */
    cairo_rectangle(cr, left - 3, top - 1, w + 6, h + 2);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_move_to(cr, left, top);
    pango_cairo_show_layout(cr, layout);
    g_object_unref(layout);
}

/* A bar of a round length (1, 2 or 5 x 10^k m) of at most 120 px, measured
 * at the view's centre latitude. */
static void scale_bar(cairo_t *cr, const render_view_t *v)
{
    double m_per_px = render_view_metres_per_px(v);
    if (!(m_per_px > 0) || !isfinite(m_per_px)) return;
    double target = 120 * m_per_px, len = 1;
    while (len * 10 <= target)
        len *= 10;
    len *= target >= 5 * len ? 5 : target >= 2 * len ? 2 : 1;
    double px = len / m_per_px, x = 12, y = v->height - 14.0;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
    cairo_rectangle(cr, x - 4, y - 20, px + 8, 26);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_set_line_width(cr, 2);
    cairo_move_to(cr, x, y - 5);
    cairo_line_to(cr, x, y);
    cairo_line_to(cr, x + px, y);
    cairo_line_to(cr, x + px, y - 5);
    cairo_stroke(cr);
    char label[32];
    if (len >= 1000)
        snprintf(label, sizeof(label), "%g km", len / 1000);
    else
        snprintf(label, sizeof(label), "%g m", len);
    PangoLayout *layout = render_text_layout(cr, label, 11);
    cairo_move_to(cr, x + 4, y - 18);
    pango_cairo_show_layout(cr, layout);
    g_object_unref(layout);
}

static void north_arrow(cairo_t *cr, const render_view_t *v)
{
    double x = v->width - 24.0, y = 16;
    cairo_set_source_rgba(cr, 0.15, 0.15, 0.15, 0.9);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + 8, y + 22);
    cairo_line_to(cr, x, y + 17);
    cairo_line_to(cr, x - 8, y + 22);
    cairo_close_path(cr);
    cairo_fill(cr);
    text_at(cr, "N", 11, x - 4, y + 38, false);
}

static cairo_surface_t *make_surface(const render_view_t *v, static_format_t f, sink_t *sink)
{
    int w = (int)lround(v->width * v->scale), h = (int)lround(v->height * v->scale);
    switch (f) {
    case STATIC_SVG:
        return cairo_svg_surface_create_for_stream(sink_write, sink, w, h);
    case STATIC_PDF:
        return cairo_pdf_surface_create_for_stream(sink_write, sink, w, h);
    case STATIC_PNG:
        break;
    }
    return cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
}

style_t *render_ties_style(error_t *err)
{
    static const char doc[] =
        "{\"version\": 8, \"name\": \"ties\", \"layers\": ["
        "{\"id\": \"domestic\", \"type\": \"line\", \"source-layer\": \"network\","
        " \"filter\": [\"!=\", [\"get\", \"cross_border\"], true],"
        " \"paint\": {\"line-color\": \"#0072B2\", \"line-width\": 2, \"line-opacity\": 0.9,"
        " \"line-dasharray\": [3, 2]}},"
        "{\"id\": \"cross-border\", \"type\": \"line\", \"source-layer\": \"network\","
        " \"filter\": [\"==\", [\"get\", \"cross_border\"], true],"
        " \"paint\": {\"line-color\": \"#D55E00\", \"line-width\": 3, \"line-opacity\": 0.9}}]}";
    style_t *s = NULL;
    return style_parse(doc, "ties.json", &s, err) == ERR_OK ? s : NULL;
}

int render_static(const render_view_t *v, const style_t *style, dataset_t *ds,
                  const render_options_t *opt, static_format_t format, unsigned char **out,
                  size_t *len, error_t *err)
{
    sink_t sink = {0};
    cairo_surface_t *surface = make_surface(v, format, &sink);
    cairo_t *cr = cairo_create(surface);
    render_draw(cr, v, style, ds, &opt->select);
    if (opt->overlay) render_draw_layer(cr, v, opt->overlay->style, opt->overlay->data);
    cairo_scale(cr, v->scale, v->scale); /* the furniture is laid out in CSS pixels */
    if (!opt->bare) {
        scale_bar(cr, v);
        if (opt->north_arrow) north_arrow(cr, v);
        if (opt->attribution)
            text_at(cr, opt->attribution, 10, v->width - 6.0, v->height - 4.0, true);
    }
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    /* PNG through the tiles' encoder: several times faster than cairo's. */
    if (st == CAIRO_STATUS_SUCCESS && format == STATIC_PNG &&
        png_encode(surface, &sink.data, &sink.len) != 0)
        st = CAIRO_STATUS_NO_MEMORY;
    cairo_surface_finish(surface); /* SVG and PDF are written out here */
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (st != CAIRO_STATUS_SUCCESS) {
        free(sink.data);
        return error_set(err, ERR_SYSTEM, "rendering failed: %s", cairo_status_to_string(st));
    }
    *out = sink.data;
    *len = sink.len;
    return ERR_OK;
}
