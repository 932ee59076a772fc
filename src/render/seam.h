/* Geometries cut at a CRS's seam, the meridian opposite the longitude its
 * world is centred on (the antimeridian for most): a line or ring that
 * crosses it would otherwise be drawn right across the map. */
#ifndef COOPMAP_SEAM_H
#define COOPMAP_SEAM_H

#include "data/geom.h"

/* g (lon/lat) with every part unwrapped (no step of more than 180 degrees
 * of longitude: such a step crosses the seam the short way) and cut into
 * pieces within centre_lon +-180: a new geometry (lon/lat only; free with
 * geom_destroy()), or NULL when g needs no cut (or no memory is left: g
 * is then drawn as it is). Rings that circle a pole are left as they are. */
geom_t *seam_split(const geom_t *g, double centre_lon);

#endif
