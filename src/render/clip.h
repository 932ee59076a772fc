/* Clipping in device pixels, so that paths handed to cairo stay within
 * its fixed-point range at any zoom. Pure functions. */
#ifndef COOPMAP_CLIP_H
#define COOPMAP_CLIP_H

#include <stddef.h>

#include "data/bbox.h"

#define CLIP_RING_ROOM(n) (5 * (n) + 8)

/* Clips a closed ring (n points, xy pairs; last may repeat the first) to
 * the box with Sutherland-Hodgman. Writes the result into out (room for
 * CLIP_RING_ROOM(n) points) and returns its point count (0 if nothing is
 * left). tmp is scratch of the same size. Each of the 4 passes adds at
 * most one point per crossing of the ring with that edge's line, hence 5n. The result may have
 * edges along the box, which is why callers clip to a box larger than what they show. */
size_t clip_ring(const double *xy, size_t n, bbox_t box, double *out, double *tmp);

/* Calls emit() for each maximal run of a polyline inside the box, with
 * the run's points (at least 2) and how far along the whole polyline the
 * run starts (so dash patterns keep their phase however the line is cut).
 * scratch has room for n points. */
typedef void (*clip_emit_fn)(const double *xy, size_t n, double offset, void *arg);
void clip_line(const double *xy, size_t n, bbox_t box, double *scratch, clip_emit_fn emit,
               void *arg);

#endif
