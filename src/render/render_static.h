/* Static maps for printing and embedding: one view drawn as PNG, SVG or
 * PDF (cairo's vector surfaces keep lines and text as vectors), with a
 * scale bar, the attribution and optionally a north arrow. */
#ifndef COOPMAP_RENDER_STATIC_H
#define COOPMAP_RENDER_STATIC_H

#include <stdbool.h>

#include "render/render.h"

typedef enum static_format { STATIC_PNG, STATIC_SVG, STATIC_PDF } static_format_t;

/* Something drawn over the style: a layer with its own style (both
 * borrowed), e.g. the ties of the network a request asked for. */
typedef struct render_overlay {
    const style_t *style;
    const layer_t *data;
} render_overlay_t;

/* What a static map shows besides the style. Zero: the style alone, with
 * its scale bar. */
typedef struct render_options {
    const render_overlay_t *overlay; /* drawn over the map; NULL: none */
    const char *attribution;         /* NULL: none */
    bool north_arrow;
    bool bare;              /* no scale bar, attribution or arrow: WMS images, cut into tiles */
    render_select_t select; /* which of the style's layers, what background */
} render_options_t;

/* Renders the view as opt says; *out is malloc'd (the caller frees). */
int render_static(const render_view_t *v, const style_t *style, dataset_t *ds,
                  const render_options_t *opt, static_format_t format, unsigned char **out,
                  size_t *len, error_t *err);

/* The style the viewer draws a network's ties in (cross-border orange and
 * wide, within a country blue and dashed), for render_overlay_t; a new
 * style, or NULL. Free with style_destroy(). */
style_t *render_ties_style(error_t *err);

#endif
