/* Networks out: as a layer (so the OGC API and the renderer serve the
 * default network like any other layer), as GeoJSON with node metrics, as
 * metrics JSON, and as a text table for the command line. */
#ifndef COOPMAP_NETWORK_OUT_H
#define COOPMAP_NETWORK_OUT_H

#include "util/buf.h"
#include "data/layer.h"
#include "network/network.h"

/* Ties are drawn along the geodesic with a vertex at least every
 * NETWORK_STEP_M metres, so they stay true at every zoom. */
#define NETWORK_STEP_M 2000.0

/* A sealed layer of the ties as LineStrings with from, to, from_id, to_id,
 * distance_km, cross_border and countries. Freed with layer_destroy(). */
int network_to_layer(const network_t *net, const char *id, const char *title, layer_t **out,
                     error_t *err);

/* These three need the metrics: call network_metrics(net) first. */

/* A GeoJSON FeatureCollection: ties (LineStrings), then towns (Points)
 * carrying their metrics; "model", "parameters" and "summary" members. */
void network_write_geojson(buf_t *b, const network_t *net);

/* The vertices network_write_geojson() writes (ties and towns): what a
 * request's size limit is compared with. */
double network_geojson_vertices(const network_t *net);

/* {"model", "parameters", "summary", "nodes": [...]} */
void network_write_metrics(buf_t *b, const network_t *net);

/* The writers within limits (NULL: none): ERR_OK, or ERR_TIMEOUT past
 * lim->deadline, ERR_TOOBIG once b holds more than lim->max_bytes, ERR_NOMEM;
 * checked after each feature or row. On failure b holds a partial text the
 * caller discards (buf_free()). */
int network_write_geojson_limited(buf_t *b, const network_t *net, const network_limits_t *lim);
int network_write_metrics_limited(buf_t *b, const network_t *net, const network_limits_t *lim);

/* About the bytes the writers will produce (a little more, as a rule): for
 * refusing a response too large before any of it is computed. */
double network_geojson_bytes(const network_t *net);
double network_metrics_bytes(const network_t *net);

/* A readable table of the towns' metrics and the summary. */
void network_write_table(buf_t *b, const network_t *net);

/* The geodesic distance matrix between two lists of nodes-layer features
 * (see network_find_nodes()). */
typedef enum distances_format {
    DISTANCES_JSON,      /* from, to, matrix_km and pairs with azimuths */
    DISTANCES_CSV,       /* a matrix with a header row of the "to" towns */
    DISTANCES_CSV_PAIRS, /* from,to,distance_km,initial_azimuth,final_azimuth */
    DISTANCES_TEXT       /* the matrix aligned for a terminal */
} distances_format_t;

void network_write_distances(buf_t *b, const network_source_t *src, const uint32_t *from,
                             size_t nfrom, const uint32_t *to, size_t nto,
                             distances_format_t format);
int network_write_distances_limited(buf_t *b, const network_source_t *src, const uint32_t *from,
                                    size_t nfrom, const uint32_t *to, size_t nto,
                                    distances_format_t format, const network_limits_t *lim);
double network_distances_bytes(const network_source_t *src, const uint32_t *from, size_t nfrom,
                               const uint32_t *to, size_t nto, distances_format_t format);

#endif
