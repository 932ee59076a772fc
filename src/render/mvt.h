/* Mapbox Vector Tiles 2.1 of a dataset: one tile layer per coopmap layer,
 * geometry in a 4096-unit extent with a 64-unit buffer, simplified keeping
 * shared boundaries shared (simplify.h), clipped, snapped to the tile
 * grid, attributes typed, feature ids set. Encoded with libprotobuf-c. */
#ifndef COOPMAP_MVT_H
#define COOPMAP_MVT_H

#include <stddef.h>

#include "data/dataset.h"
#include "render/tile.h"
#include "util/error.h"

#define MVT_EXTENT 4096
#define MVT_BUFFER 64

/* The bytes of tile t of the grid (malloc'd; the caller frees them), of
 * every layer, or of the one named only (NULL: all). *len is 0 (and *data
 * NULL) when no layer has a feature in the tile. */
int mvt_tile(dataset_t *ds, tile_grid_t grid, tile_t t, const char *only, unsigned char **data,
             size_t *len, error_t *err);

#endif
