/* Cooperation networks between towns: which towns are tied under a model,
 * how long each tie is along the WGS84 geodesic, and the network metrics.
 *
 * A network is computed from a nodes layer (the towns: points with a name
 * and a country field) and, for the "edges" model, a ties layer whose
 * features name two towns. It is immutable once built; the dataset caches
 * networks per parameter set (see networks_get() in networks.h). */
#ifndef COOPMAP_NETWORK_H
#define COOPMAP_NETWORK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "network/graph.h"
#include "data/layer.h"

typedef enum network_model {
    NETWORK_COMPLETE, /* every town with every other: the joint declaration */
    NETWORK_KNN,      /* each town with its k nearest */
    NETWORK_WITHIN,   /* every pair at most km apart */
    NETWORK_MST,      /* minimum spanning tree on geodesic distance */
    NETWORK_DELAUNAY, /* Delaunay triangulation in EPSG:3035 */
    NETWORK_GABRIEL,  /* Gabriel graph (subset of Delaunay) */
    NETWORK_RNG,      /* relative neighbourhood graph (subset of Gabriel) */
    NETWORK_EDGES     /* ties read from the ties layer */
} network_model_t;

#define NETWORK_MAX_COUNTRIES 8

typedef struct network_params {
    network_model_t model;
    unsigned k;                               /* knn */
    double km;                                /* within */
    bool cross_border;                        /* keep only ties between different countries */
    char countries[NETWORK_MAX_COUNTRIES][4]; /* restrict nodes; none: all */
    size_t ncountries;
} network_params_t;

/* Which fields and layers a network is built from (from the project file). */
typedef struct network_source {
    const layer_t *nodes;          /* borrowed */
    const layer_t *ties;           /* borrowed; NULL if the project has none */
    int name_field, country_field; /* in nodes */
    int from_field, to_field;      /* in ties: town names or ids */
    /* Optional, from network_names_index() (NULL: each lookup reads every
     * name): one per nodes-layer feature, by folded name, then index. */
    struct network_name *names;
} network_source_t;

typedef struct network_name {
    char *folded; /* malloc'd */
    uint32_t feature;
} network_name_t;

/* Fills src->names so network_find_node() takes log n comparisons, not n:
 * a town list of a request on 100,000 towns must not hold an HTTP thread.
 * The caller frees it with network_names_free(). ERR_NOMEM (src
 * unchanged). */
int network_names_index(network_source_t *src);
void network_names_free(network_source_t *src);

typedef struct network_edge {
    uint32_t a, b; /* node indices, a < b */
    double km;     /* geodesic length */
    bool cross_border;
    int32_t tie; /* feature index in the ties layer, or -1 */
} network_edge_t;

typedef struct network {
    atomic_int refs;
    pthread_mutex_t metrics_lock; /* guards the lazy metrics below */
    network_params_t params;
    const layer_t *nodes_layer, *ties_layer; /* borrowed from the dataset */
    int name_field, country_field;
    size_t nnodes;
    uint32_t *node_feature; /* nodes-layer feature index of each node */
    network_edge_t *edges;
    size_t nedges;
    graph_node_metrics_t *metrics; /* one per node; NULL until network_metrics() */
    graph_summary_t summary;       /* valid once metrics are */
} network_t;

/* "complete" grows as n²: offered up to this many towns. */
#define NETWORK_COMPLETE_MAX 2000

/* Bounds on one request's network work; zeros mean none. Past deadline,
 * builds, metrics and outputs give up with ERR_TIMEOUT. A build that would
 * make more than max_ties ties stops with ERR_TOOBIG, before making any
 * when the model says how many it makes; an output that grows beyond
 * max_bytes stops with ERR_TOOBIG. */
typedef struct network_limits {
    deadline_t deadline;
    size_t max_ties;
    size_t max_bytes;
} network_limits_t;

/* What a network will hold, known before it is built (cheap: one pass over
 * the towns for a country filter): its towns exactly, its ties between
 * two bounds (ties_max is every pair when the model sets no better one). */
typedef struct network_estimate {
    size_t nodes;
    double ties_min, ties_max;
} network_estimate_t;

network_estimate_t network_estimate(const network_source_t *src, const network_params_t *params);

/* Names for models and back; ERR_INVALID for an unknown name. */
const char *network_model_name(network_model_t model);
int network_model_parse(const char *name, network_model_t *out);

/* Checks the parameters against the nodes (e.g. k within 1..n-1) and
 * builds the network. *out holds one reference, released with
 * network_unref(); on failure err says which parameter is wrong
 * (ERR_INVALID) or what failed. */
int network_build(const network_source_t *src, const network_params_t *params, network_t **out,
                  error_t *err);

/* network_build() within limits (NULL: none): also ERR_TIMEOUT and
 * ERR_TOOBIG, with a message naming the model and the towns. */
int network_build_limited(const network_source_t *src, const network_params_t *params,
                          const network_limits_t *limits, network_t **out, error_t *err);

/* Computes the node metrics and the summary the first time it is called
 * (all-pairs shortest paths: O(n m log n), the slow part for thousands of
 * towns); later calls return at once. Thread-safe. ERR_OK, ERR_NOMEM, or
 * ERR_INVALID for a network graph_metrics() refuses. */
int network_metrics(network_t *net);

/* network_metrics() that returns ERR_TIMEOUT (computing nothing) once the
 * deadline has passed; a later call tries again. */
int network_metrics_until(network_t *net, deadline_t deadline);

/* The work the metrics take, in single-source steps times their size,
 * n (n + m): what a request's cost limit is compared with. */
double network_metrics_cost(const network_t *net);

/* Memory the network holds, its metrics counted as computed. */
size_t network_bytes(const network_t *net);

/* The text of a string field of a feature, or "" (null, not a string, or
 * field < 0). Borrowed from the layer. */
const char *network_text(const layer_t *l, const feature_t *f, int field);

/* Reference counting (thread-safe): caches and requests share networks. */
network_t *network_ref(network_t *net);
void network_unref(network_t *net); /* NULL is a no-op */

/* A canonical text for the parameters (cache key), into out. */
void network_params_key(const network_params_t *p, char *out, size_t size);

/* Fills params from request or command-line text (any may be NULL: the
 * default). model: a model name (default "mst"); k, km: numbers;
 * cross_border: "true"/"false"; country: "SI,AT". ERR_INVALID with a
 * message naming the parameter. Limits that depend on the data (k below
 * the town count) are checked by network_build(). */
int network_params_parse(network_params_t *params, const char *model, const char *k, const char *km,
                         const char *cross_border, const char *country, error_t *err);

/* Resolves "Ptuj,Lendava,3" (names, folded, or feature ids) to nodes-layer
 * feature indices in *out (malloc'd, the caller frees); NULL or "" means
 * every town. ERR_INVALID naming the first unknown town. */
int network_find_nodes(const network_source_t *src, const char *list, uint32_t **out, size_t *n,
                       error_t *err);

/* The node whose name (folded: case and accents ignored) or feature id is
 * `text`, or -1. */
int network_find_node(const network_source_t *src, const char *text);

#endif
