/* Proximity graphs of planar points: Delaunay triangulation, Gabriel graph
 * and relative neighbourhood graph (RNG).
 *
 * Pure geometry on plane coordinates; the caller projects first (towns go to
 * EPSG:3035 metres). The predicates are evaluated exactly, so collinear,
 * cocircular, duplicate or nearly coincident points give a correct answer,
 * never a crash or a hang. No global state: any number of threads may call
 * these functions at once.
 *
 * Points are xy[2 * i], xy[2 * i + 1] for i < n, and an edge names two of
 * them by index. Exact duplicates: of the points sharing one position, the
 * lowest index takes part in the graph; every other one gets a single
 * zero-length edge to it and no other edge, in all three graphs.
 *
 * Coordinates are scaled by a power of two before the predicates see them,
 * which changes nothing, and any coordinate below about 2^-147 times the
 * largest magnitude in the input is rounded to a multiple of about 2^-200
 * times it. That
 * keeps exact arithmetic free of underflow; metre-scale input never comes
 * near it (points that differ only below that resolution count as
 * duplicates). */
#ifndef COOPMAP_PROXIMITY_H
#define COOPMAP_PROXIMITY_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Status codes (util/error.h): ERR_OK; ERR_NOMEM when allocation failed
 * or there are over ~357 million points; ERR_INVALID for a NULL pointer, a
 * non-finite coordinate, n > 2^31 or a bad edge. */

/* An undirected edge between points a and b, a < b. */
typedef struct proximity_edge {
    uint32_t a, b;
} proximity_edge_t;

/* Edges of the Delaunay triangulation of xy[0 .. 2n-1], sorted by (a, b),
 * each once. Where several triangulations are Delaunay (four or more points
 * on a circle with none inside, as in a square grid) one of them is
 * returned, deterministically. Collinear points give the path joining
 * consecutive points along their line. Runs in O(n log n) (divide and
 * conquer on a quad-edge structure).
 *
 * On success returns 0 and stores a malloc'd array the caller frees in
 * *edges (NULL when there is no edge, as for n < 2) and its length in
 * *nedges. On failure returns PROXIMITY_ENOMEM or PROXIMITY_EINVAL and
 * stores NULL and 0 (when the pointers allow it). */
int proximity_delaunay(const double *xy, size_t n, proximity_edge_t **edges, size_t *nedges);

/* Gabriel graph: the edges (a, b) of dt with no point strictly inside the
 * circle of diameter ab. dt must be the proximity_delaunay() result for the
 * same points; the answer comes from each edge's neighbours in it, which
 * exact predicates make sufficient. O(n log n).
 *
 * Output, ownership and errors as for proximity_delaunay(); kept edges stay
 * in dt's order. Edge indices >= n, or a == b, give PROXIMITY_EINVAL. */
int proximity_gabriel(const double *xy, size_t n, const proximity_edge_t *dt, size_t ndt,
                      proximity_edge_t **out, size_t *nout);

/* Relative neighbourhood graph: the edges (a, b) of dt with no point r for
 * which max(d(a, r), d(b, r)) < d(a, b). Same contract as
 * proximity_gabriel(), and a subset of it.
 *
 * Cost: O(n log n), plus for each Gabriel edge not ruled out by its nearest
 * neighbours in the triangulation, a search through the points within d(a,
 * b) of whichever endpoint has fewer of them. Near-linear on towns, random
 * sets, grids and even 100,000 points around their centre (all well under a
 * second); quadratic only in contrived worst cases. */
int proximity_rng(const double *xy, size_t n, const proximity_edge_t *dt, size_t ndt,
                  proximity_edge_t **out, size_t *nout);

#endif
