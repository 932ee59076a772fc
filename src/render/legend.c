#include "render/legend.h"

#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "render/png.h"
#include "render/render_draw.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define ROW      20.0 /* px per row */
#define SWATCH   16.0
#define FONT_PX  12.0
#define MAX_ROWS 64

static bool shown(const style_layer_t *sl, const char *source, double zoom)
{
    if (style_layer_type(sl) == STYLE_BACKGROUND || !style_layer_visible(sl, zoom)) return false;
    return source == NULL || strcmp(style_layer_source(sl), source) == 0;
}

static void rgba(cairo_t *cr, style_color_t c, double opacity)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity);
}

/* The swatch of sl in the box at (x, y), SWATCH px square. Paint that
 * depends on a feature takes the style's value without one. */
static void swatch(cairo_t *cr, const style_layer_t *sl, double zoom, double x, double y)
{
    double c = SWATCH / 2;
    switch (style_layer_type(sl)) {
    case STYLE_FILL:
        rgba(cr, style_color(sl, STYLE_FILL_COLOR, zoom, NULL, NULL),
             style_number(sl, STYLE_FILL_OPACITY, zoom, NULL, NULL));
        cairo_rectangle(cr, x + 1, y + 1, SWATCH - 2, SWATCH - 2);
        cairo_fill_preserve(cr);
        cairo_set_source_rgba(cr, 0.4, 0.4, 0.4, 1);
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
        break;
    case STYLE_LINE: {
        double w = fmin(fmax(style_number(sl, STYLE_LINE_WIDTH, zoom, NULL, NULL), 1), 6);
        size_t ndash = 0;
        const double *dash = style_line_dasharray(sl, &ndash);
        double dev[16];
        for (size_t i = 0; i < ndash && i < 16; i++)
            dev[i] = dash[i] * w;
        cairo_set_dash(cr, ndash ? dev : NULL, (int)(ndash < 16 ? ndash : 16), 0);
        rgba(cr, style_color(sl, STYLE_LINE_COLOR, zoom, NULL, NULL),
             style_number(sl, STYLE_LINE_OPACITY, zoom, NULL, NULL));
        cairo_set_line_width(cr, w);
        cairo_move_to(cr, x, y + c);
        cairo_line_to(cr, x + SWATCH, y + c);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        break;
    }
    case STYLE_CIRCLE: {
        double r = fmin(fmax(style_number(sl, STYLE_CIRCLE_RADIUS, zoom, NULL, NULL), 2), c - 1);
        double sw = fmin(style_number(sl, STYLE_CIRCLE_STROKE_WIDTH, zoom, NULL, NULL), 3);
        double opacity = style_number(sl, STYLE_CIRCLE_OPACITY, zoom, NULL, NULL);
        cairo_arc(cr, x + c, y + c, r, 0, 2 * M_PI);
        rgba(cr, style_color(sl, STYLE_CIRCLE_COLOR, zoom, NULL, NULL), opacity);
        cairo_fill_preserve(cr);
        rgba(cr, style_color(sl, STYLE_CIRCLE_STROKE_COLOR, zoom, NULL, NULL), opacity);
        cairo_set_line_width(cr, sw > 0 ? sw : 0);
        if (sw > 0) cairo_stroke(cr);
        cairo_new_path(cr);
        break;
    }
    case STYLE_SYMBOL: {
        PangoLayout *l = render_text_layout(cr, "Aa", FONT_PX);
        rgba(cr, style_color(sl, STYLE_TEXT_COLOR, zoom, NULL, NULL), 1);
        cairo_move_to(cr, x, y);
        pango_cairo_show_layout(cr, l);
        g_object_unref(l);
        break;
    }
    case STYLE_BACKGROUND:
        break;
    }
}

int render_legend(const style_t *style, const char *source, double zoom, unsigned char **png,
                  size_t *len, error_t *err)
{
    size_t rows = 0;
    int width = 0;
    cairo_surface_t *probe = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *pcr = cairo_create(probe);
    for (size_t i = 0; i < style_layer_count(style) && rows < MAX_ROWS; i++) {
        const style_layer_t *sl = style_layer(style, i);
        if (!shown(sl, source, zoom)) continue;
        PangoLayout *l = render_text_layout(pcr, style_layer_id(sl), FONT_PX);
        int w, h;
        pango_layout_get_pixel_size(l, &w, &h);
        g_object_unref(l);
        width = w > width ? w : width;
        rows++;
    }
    cairo_destroy(pcr);
    cairo_surface_destroy(probe);
    if (rows == 0)
        return error_set(err, ERR_NOTFOUND, "style '%s' draws nothing of '%s'", style_id(style),
                         source ? source : "any layer");
    int w = (int)(SWATCH + 12 + width), h = (int)(rows * ROW + 4);
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    /* Top to bottom as on the map: the style's last layer is drawn on top. */
    double y = 2;
    for (size_t i = style_layer_count(style); i-- > 0 && y < h - ROW + 2;) {
        const style_layer_t *sl = style_layer(style, i);
        if (!shown(sl, source, zoom)) continue;
        swatch(cr, sl, zoom, 4, y + (ROW - SWATCH) / 2);
        PangoLayout *l = render_text_layout(cr, style_layer_id(sl), FONT_PX);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        cairo_move_to(cr, SWATCH + 8, y + 2);
        pango_cairo_show_layout(cr, l);
        g_object_unref(l);
        y += ROW;
    }
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    int rc = st == CAIRO_STATUS_SUCCESS ? png_encode(surface, png, len) : -1;
    cairo_surface_destroy(surface);
    if (rc != 0) return error_set(err, ERR_SYSTEM, "legend: rendering failed");
    return ERR_OK;
}
