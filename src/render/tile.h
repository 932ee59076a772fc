/* XYZ tile arithmetic in Web Mercator (EPSG:3857, the GoogleMapsCompatible
 * tile matrix set): pure functions, no state. */
#ifndef COOPMAP_TILE_H
#define COOPMAP_TILE_H

#include <stdbool.h>
#include <stdint.h>

#include "data/bbox.h"

#define TILE_SIZE 256 /* CSS pixels per tile side */

typedef struct tile {
    int z;
    uint32_t x, y;
} tile_t;

/* True if 0 <= z <= max_zoom and x, y lie within 0 .. 2^z - 1. */
bool tile_valid(tile_t t, int max_zoom);

/* The tile matrix sets tiles come in: WebMercatorQuad (2^z x 2^z tiles of
 * the Web Mercator square, everything here) and, for vector tiles, OGC's
 * WorldCRS84Quad (plate carree: 2^(z+1) x 2^z tiles of 180/2^z degrees). */
typedef enum tile_grid { TILE_GRID_MERCATOR = 0, TILE_GRID_CRS84 } tile_grid_t;

/* tile_valid() in either grid. */
bool tile_valid_in(tile_grid_t grid, tile_t t, int max_zoom);

/* A WorldCRS84Quad tile's extent in lon/lat degrees. */
bbox_t tile_bounds_crs84(tile_t t);

/* The tile's extent in Web Mercator metres. */
bbox_t tile_bounds_merc(tile_t t);

/* The tile's extent in lon/lat degrees. */
bbox_t tile_bounds_lonlat(tile_t t);

/* Metres per CSS pixel at zoom z (256-pixel tiles). */
double tile_resolution(double z);

/* The tile containing a lon/lat point at zoom z (clamped to the grid). */
tile_t tile_at(double lon, double lat, int z);

#endif
