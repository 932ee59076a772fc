/* PNG encoding of cairo image surfaces, tuned for map tiles: libpng's
 * default settings took 90 % of a tile's time; flat map colours compress
 * well with the Up filter and fast deflate settings. */
#ifndef COOPMAP_PNG_H
#define COOPMAP_PNG_H

#include <cairo.h>
#include <stddef.h>

/* Encodes an ARGB32 image surface (premultiplied, as cairo keeps it) as an
 * 8-bit RGB PNG when fully opaque, RGBA otherwise. *out is malloc'd (the
 * caller frees). Returns 0, or -1 on allocation failure. */
int png_encode(cairo_surface_t *surface, unsigned char **out, size_t *len);

#endif
