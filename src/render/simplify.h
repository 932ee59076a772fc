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

/* Bytes of scratch simplify_part() needs for n points. */
#define SIMPLIFY_SCRATCH(n) ((size_t)(n) * (1 + 2 * sizeof(uint32_t)) + 16)

/* Simplifies a ring (a last point repeating the first stays the last) or a
 * line of n points (xy pairs) in place, keeping points farther than tol from
 * the simplified shape; node may be NULL (no nodes). Returns the count left.
 * Points are kept in their order; a ring may start at another of its points. */
size_t simplify_part(double *xy, const uint8_t *node, size_t n, bool ring, double tol,
                     void *scratch);

#endif
