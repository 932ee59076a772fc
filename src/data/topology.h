/* The nodes of a layer's lines and polygon boundaries: the vertices where
 * features meet or part (a vertex with more than two distinct neighbours over
 * all the layer's rings and lines) and the ends of lines. Between two nodes a
 * boundary is one arc however many features share it, so a simplifier that
 * keeps nodes and treats each arc alike leaves no slivers between neighbours.
 * Shared vertices are recognised by equal coordinates, as in topologically
 * clean data (NUTS, GISCO, OSM-derived boundaries). */
#ifndef COOPMAP_TOPOLOGY_H
#define COOPMAP_TOPOLOGY_H

#include "data/layer.h"

/* Sets geom->node of every line and polygon of the layer (after its Web
 * Mercator coordinates are computed). Returns ERR_OK or ERR_NOMEM. */
int topology_mark_nodes(layer_t *layer);

#endif
