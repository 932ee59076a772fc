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

/* Renders the view, and the overlay over it if not NULL; *out is malloc'd
 * (the caller frees). attribution may be NULL. */
int render_static(const render_view_t *v, const style_t *style, dataset_t *ds,
                  const render_overlay_t *overlay, const char *attribution, bool north_arrow,
                  static_format_t format, unsigned char **out, size_t *len, error_t *err);

/* The style the viewer draws a network's ties in (cross-border orange and
 * wide, within a country blue and dashed), for render_overlay_t; a new
 * style, or NULL. Free with style_destroy(). */
style_t *render_ties_style(error_t *err);

#endif
