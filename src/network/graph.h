/* Weighted undirected graphs for cooperation networks between towns: nodes
 * are towns 0..n-1, edge weights distances in km.
 *
 * Functions over caller-owned arrays; the only shared state is the thread
 * count of graph_set_threads(), so any number of threads may call them at
 * once. Node metrics follow NetworkX's definitions (noted per field) so
 * results can be cross-checked against it.
 *
 * Status codes (util/error.h): ERR_OK, ERR_NOMEM on allocation failure,
 * ERR_INVALID on invalid input: a distance or weight that is negative or
 * NaN, an infinite edge weight, an edge endpoint >= n, a self-loop, a
 * parallel edge (a, b) given twice in either orientation, or n too large
 * (n > UINT32_MAX, or an n×n matrix that cannot be addressed), ERR_TIMEOUT
 * when a deadline passed. Output is unspecified on error. */
#ifndef COOPMAP_GRAPH_H
#define COOPMAP_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"

/* Undirected edge between nodes a and b (a != b) of length w >= 0 km. */
typedef struct graph_edge {
    uint32_t a, b;
    double w;
} graph_edge_t;

/* Minimum spanning tree by Prim, O(n²) time, from the n×n row-major
 * distance matrix dist. The matrix must be symmetric; only the entries above
 * the diagonal are read. +INFINITY means "no edge", in which case the result
 * is a minimum spanning forest (one tree per reachable group of nodes).
 *
 * On success *out is a malloc'd array of *nout edges the caller frees (NULL
 * when *nout == 0), each with a < b, sorted by (a, b). Ties are broken
 * towards lower node indices, so the result depends only on dist. */
int graph_mst(size_t n, const double *dist, graph_edge_t **out, size_t *nout);

typedef struct graph_node_metrics {
    uint32_t degree;        /* number of incident edges */
    double weighted_degree; /* sum of incident edge weights (km) */
    /* Wasserman–Faust closeness, as NetworkX closeness_centrality(G,
     * distance='w', wf_improved=True): (r / s) * (r / (n - 1)) with r the
     * number of other nodes reachable and s the sum of their distances. 0
     * when r == 0, and also when s == 0 (only zero-length edges lead away). */
    double closeness;
    /* Sum of 1/d over reachable other nodes, skipping d == 0, as NetworkX
     * harmonic_centrality(G, distance='w'). */
    double harmonic;
    /* Brandes betweenness on weighted shortest paths, as NetworkX
     * betweenness_centrality(G, weight='w', normalized=True): the sum over
     * unordered pairs {s, t} not containing v of the fraction of shortest
     * s–t paths through v, divided by (n-1)(n-2)/2; 0 when n <= 2. Path
     * lengths within a relative 1e-12 of each other count as equal, so
     * paths summing the same edges in another order tie (NetworkX compares
     * exactly and may split such paths differently). Zero-length edges make
     * the path count ill-defined (a zero-length cycle); paths along them are
     * then counted in one direction only, and NetworkX differs there too. */
    double betweenness;
    /* Largest shortest-path distance (km) to a node of the same component;
     * 0 for an isolated node. (NetworkX refuses disconnected graphs.) */
    double eccentricity;
    /* Connected component id 0, 1, 2, ... in order of each component's
     * lowest node index: node 0 is always in component 0. */
    uint32_t component;
} graph_node_metrics_t;

typedef struct graph_summary {
    size_t nodes, edges;
    double total_length; /* sum of edge weights (km) */
    double density;      /* 2m / (n(n-1)); 0 when n < 2 */
    uint32_t components; /* number of connected components (0 when n == 0) */
    double diameter;     /* largest eccentricity (km) */
    /* Mean shortest-path length over ordered pairs of distinct nodes in the
     * same component; 0 if there are none. Equals NetworkX
     * average_shortest_path_length(G, weight='w') on a connected graph. */
    double average_path;
} graph_summary_t;

/* Computes the metrics above for the graph of n nodes and the m edges
 * edges[0..m-1] (edges may be NULL when m == 0). Fills nodes[0..n-1] and
 * *summary; either may be NULL when not wanted. Shortest paths by Dijkstra
 * from every node: O(n (n + m) log n) time, O(n + m) extra memory. */
int graph_metrics(size_t n, const graph_edge_t *edges, size_t m, graph_node_metrics_t *nodes,
                  graph_summary_t *summary);

/* graph_metrics() that gives up with ERR_TIMEOUT once the deadline has passed
 * (checked before each single-source run): for requests that must not hold
 * a worker for minutes. */
int graph_metrics_until(size_t n, const graph_edge_t *edges, size_t m, graph_node_metrics_t *nodes,
                        graph_summary_t *summary, deadline_t deadline);

/* All-pairs shortest-path lengths into the caller's n×n row-major array
 * dist: dist[i*n + j] is the distance from i to j, 0 on the diagonal,
 * INFINITY when j cannot be reached from i. Same input rules as
 * graph_metrics(). */
int graph_shortest_paths(size_t n, const graph_edge_t *edges, size_t m, double *dist);

/* graph_metrics() spreads the single-source runs of graphs with 256 nodes
 * or more over this many threads (0, the default: one per core; at most
 * 16). Results agree to rounding whatever the count. */
void graph_set_threads(unsigned n);

#endif
