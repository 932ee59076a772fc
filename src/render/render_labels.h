/* Labels: placed once per style and zoom over the whole dataset in the
 * global pixel frame (so every tile shows exactly the same labels at the
 * same places), highest priority first, never overlapping; then drawn in
 * any view they touch. Text is laid out by Pango, with hinting off so a
 * label scales exactly between 1x and 2x. */
#ifndef COOPMAP_RENDER_LABELS_H
#define COOPMAP_RENDER_LABELS_H

#include <cairo.h>
#include <stdbool.h>

#include "data/dataset.h"
#include "render/render_draw.h"
#include "render/style.h"

/* Draws the labels of symbol layer sl that touch the view. */
void labels_draw(cairo_t *cr, const render_view_t *v, const style_t *style, dataset_t *ds,
                 const style_layer_t *sl);

/* Does any label of symbol layer sl touch the view? */
bool labels_touch(const render_view_t *v, const style_t *style, dataset_t *ds,
                  const style_layer_t *sl);

/* Bytes of label placements held in the per-dataset caches (all of them):
 * one placement per style and whole zoom, freed with the dataset. */
size_t labels_cache_bytes(void);

#endif
