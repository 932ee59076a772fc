/* Legends (WMS GetLegendGraphic): a row per style layer, its swatch drawn
 * with the layer's paint at a zoom, and its id. */
#ifndef COOPMAP_LEGEND_H
#define COOPMAP_LEGEND_H

#include <stddef.h>

#include "render/style.h"
#include "util/error.h"

/* The legend of the style's layers of source (NULL: every layer but the
 * background) as PNG; *png is malloc'd, the caller frees. ERR_NOTFOUND
 * when no layer of the style draws source. */
int render_legend(const style_t *style, const char *source, double zoom, unsigned char **png,
                  size_t *len, error_t *err);

#endif
