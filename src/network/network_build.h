/* Internals of network building, shared by network.c (orchestration) and
 * network_models.c (the models); nothing else includes this. */
#ifndef COOPMAP_NETWORK_BUILD_H
#define COOPMAP_NETWORK_BUILD_H

#include "data/index.h"
#include "network/network.h"

typedef struct build {
    const network_source_t *src;
    network_t *net;
    error_t *err;
    size_t cap;   /* edges allocated in net->edges */
    double *xy;   /* nodes in EPSG:3035 metres */
    index_t *ix;  /* over xy, for neighbourhood searches */
    double slack; /* planar / geodesic distance lies within [1/slack, slack] */
    bool planar;  /* xy, ix and slack are usable */
    network_limits_t limits;
} build_t;

/* ERR_TIMEOUT, with a message, once the build's deadline has passed: the
 * models call it between towns. */
int network_build_check_time(build_t *b);

/* Projects the selected nodes to EPSG:3035 and indexes them; when the
 * nodes lie too far from the projection's centre for a useful bound
 * (b->planar false), the models fall back to comparing every pair. */
int network_planar_setup(build_t *b);
void network_build_cleanup(build_t *b);

int network_model_complete(build_t *b);
int network_model_within(build_t *b);
int network_model_knn(build_t *b);
int network_model_mst(build_t *b);
int network_model_proximity(build_t *b); /* delaunay, gabriel, rng */
int network_model_edges(build_t *b);

#endif
