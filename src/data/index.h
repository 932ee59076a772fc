/* Spatial index: an immutable packed Hilbert R-tree over item boxes.
 *
 * Built once per layer after loading; answers "which items' boxes intersect
 * this box" without scanning every item. Read-only after creation, so any
 * number of threads may query one index at the same time. */
#ifndef COOPMAP_INDEX_H
#define COOPMAP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "data/bbox.h"

typedef struct index index_t;

/* Builds an index over boxes[0..n-1]; item i is reported as id i. The boxes
 * are copied. Returns NULL on allocation failure (n == 0 gives a valid,
 * empty index). The caller frees it with index_destroy(). */
index_t *index_create(const bbox_t *boxes, size_t n);

/* Frees the index; NULL is a no-op. Returns NULL so `ix = index_destroy(ix);`
 * reads well. */
index_t *index_destroy(index_t *ix);

size_t index_count(const index_t *ix);

/* Called once per item whose box intersects the query box (touching counts).
 * Return non-zero to stop the query early. */
typedef int (*index_visit_fn)(uint32_t id, void *arg);

/* Visits every item intersecting q, in no particular order. Returns the
 * number of items visited. */
size_t index_query(const index_t *ix, bbox_t q, index_visit_fn visit, void *arg);

/* Convenience: collects the ids of the items intersecting q into *ids
 * (a malloc'd array the caller frees; NULL when there are none), sorted
 * ascending. Returns the count, or (size_t)-1 on allocation failure. */
size_t index_query_ids(const index_t *ix, bbox_t q, uint32_t **ids);

#endif
