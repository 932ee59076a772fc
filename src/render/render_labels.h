/* Labels in the global pixel frame of a zoom (so every tile shows exactly
 * the same labels at the same places), highest priority first, never
 * overlapping; decided lazily for the neighbourhood of the views drawn and
 * remembered per style and zoom within a memory budget; then drawn in any
 * view they touch. Text is laid out by Pango, with hinting off so a label
 * scales exactly between 1x and 2x. */
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

/* Does, for the style's labels of ds, what does not depend on the zoom
 * (text bounds, priority order), so that the first tile does not wait for
 * it. Optional: done on first use otherwise. */
void labels_prepare(const style_t *style, dataset_t *ds);

typedef struct labels_item {
    const style_layer_t *layer;
    char *text;
    bbox_t box; /* global CSS pixels, halo included */
} labels_item_t;

/* The labels placed in the view, for tests and tools: a malloc'd array in
 * *out that the caller frees with labels_list_free(). Returns the count,
 * or (size_t)-1 when out of memory. */
size_t labels_list(const render_view_t *v, const style_t *style, dataset_t *ds,
                   labels_item_t **out);
void labels_list_free(labels_item_t *items, size_t n);

/* Bytes held for placements over every dataset and style: per dataset and
 * style the text bounds, per zoom the candidates and the labels decided
 * so far. */
size_t labels_cache_bytes(void);

/* The budget for the per-zoom placements (default 64 MB): the least
 * recently used zooms not being drawn are forgotten beyond it (and decided
 * again, identically, when asked for). */
void labels_set_cache_budget(size_t bytes);

/* Labels not placed because their laid-out size exceeded the bound used to
 * find their neighbours (expected: 0). */
size_t labels_over_bound(void);

#endif
