/* Static maps for printing and embedding: one view drawn as PNG, SVG or
 * PDF (cairo's vector surfaces keep lines and text as vectors), with a
 * scale bar, the attribution and optionally a north arrow. */
#ifndef COOPMAP_RENDER_STATIC_H
#define COOPMAP_RENDER_STATIC_H

#include <stdbool.h>

#include "render/render.h"

typedef enum static_format { STATIC_PNG, STATIC_SVG, STATIC_PDF } static_format_t;

/* Renders the view; *out is malloc'd (the caller frees). attribution may
 * be NULL. */
int render_static(const render_view_t *v, const style_t *style, dataset_t *ds,
                  const char *attribution, bool north_arrow, static_format_t format,
                  unsigned char **out, size_t *len, error_t *err);

#endif
