/* Drawing with cairo, for the render stage's files (render.c, the static
 * maps, the labels): what render.h keeps from everyone else. */
#ifndef COOPMAP_RENDER_DRAW_H
#define COOPMAP_RENDER_DRAW_H

#include <cairo.h>
#include <pango/pangocairo.h>

#include "render/render.h"

/* Draws the style's layers (those sel selects; sel may be NULL) over the
 * view into cr, whose user space must be
 * device pixels with the view's top-left at (0, 0). Cairo errors are
 * sticky: the caller checks the surface status once afterwards. */
void render_draw(cairo_t *cr, const render_view_t *v, const style_t *style, dataset_t *ds,
                 const render_select_t *sel);

/* The same with one layer as the data of every layer of the style (no
 * labels): an overlay such as the ties of a network made for a request. */
void render_draw_layer(cairo_t *cr, const render_view_t *v, const style_t *style,
                       const layer_t *data);

/* A layout of text in DejaVu Sans at size px, for map furniture and
 * legends (not labels: render_labels.h); the caller unrefs it. */
PangoLayout *render_text_layout(cairo_t *cr, const char *text, double size);

#endif
