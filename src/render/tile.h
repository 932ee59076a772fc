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

/* The tile's extent in Web Mercator metres. */
bbox_t tile_bounds_merc(tile_t t);

/* The tile's extent in lon/lat degrees. */
bbox_t tile_bounds_lonlat(tile_t t);

/* Metres per CSS pixel at zoom z (256-pixel tiles). */
double tile_resolution(double z);

/* The tile containing a lon/lat point at zoom z (clamped to the grid). */
tile_t tile_at(double lon, double lat, int z);

#endif
