/* Glyph ranges for MapLibre GL JS: 256 code points of a font stack as
 * signed distance fields (24 px, 3 px border, radius 8, cutoff 0.25, the
 * values MapLibre expects), from the fonts the raster renderer uses,
 * found by fontconfig and drawn with FreeType: so the browser shows Ormož,
 * Őriszentpéter and Szentgotthárd in the same DejaVu as the PNG tiles. */
#ifndef COOPMAP_GLYPHS_H
#define COOPMAP_GLYPHS_H

#include <stddef.h>

#include "util/error.h"

/* The encoded range start..start+255 (start a multiple of 256, below
 * 65536) of the first font of the comma-separated stack that is
 * installed (DejaVu Sans if none is); malloc'd, the caller frees it.
 * ERR_INVALID for a bad range, ERR_NOTFOUND when no font is found. */
int glyphs_range(const char *stack, unsigned start, unsigned char **data, size_t *len,
                 error_t *err);

#endif
