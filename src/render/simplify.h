/* Douglas-Peucker simplification that keeps shared boundaries shared: it
 * keeps every node (geom->node, see data/topology.h) and line end, and runs
 * each arc between two nodes from its lexicographically smaller end, so the
 * two polygons on either side of a boundary keep exactly the same points. A
 * ring without nodes is anchored at its smallest point, so an enclave and
 * the hole it fills agree too. Pure functions. */
#ifndef COOPMAP_SIMPLIFY_H
#define COOPMAP_SIMPLIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/bbox.h"

/* Arcs are simplified in runs of this many steps from their start: the cost
 * of a tile is then that of the runs it shows (the others keep their
 * points), and both sides of a boundary still cut it alike. */
#define SIMPLIFY_CHUNK 32

typedef struct simplify {
    double tol;        /* points farther than this from the simplified shape stay */
    const bbox_t *box; /* only what is inside matters (NULL: everywhere) */
} simplify_t;

/* Bytes of scratch simplify_part() needs for n points; aligned for doubles. */
#define SIMPLIFY_SCRATCH(n) (((size_t)(n) + 1) * (2 * sizeof(double) + 2 * sizeof(uint32_t) + 1))

/* Simplifies a ring (a last point repeating the first stays the last) or a
 * line of n points (xy pairs) in place; node may be NULL (no nodes).
 * Returns the count left. Points are kept in their order; a ring may start
 * at another of its points. */
size_t simplify_part(double *xy, const uint8_t *node, size_t n, bool ring, const simplify_t *opt,
                     void *scratch);

#endif
