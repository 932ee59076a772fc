/* The service's endpoints: the route table and its handlers. Handlers read
 * the dataset and encode responses; they never touch sockets. */
#ifndef COOPMAP_API_H
#define COOPMAP_API_H

#include <stdbool.h>
#include <stddef.h>

#include "data/dataset.h"
#include "http/http.h"
#include "render/tile.h"

/* The route table (static); handlers expect an app_t * as ctx. */
const http_route_t *api_routes(size_t *count);

/* Operations: /health, /ready, /metrics (api_ops.c). */
void api_health(const http_request_t *req, http_response_t *resp, void *ctx);
void api_ready(const http_request_t *req, http_response_t *resp, void *ctx);
void api_metrics(const http_request_t *req, http_response_t *resp, void *ctx);

/* Tiles and static maps (api_tiles.c, api_map.c). */
void api_tiles_list(const http_request_t *req, http_response_t *resp, void *ctx);
void api_tilejson(const http_request_t *req, http_response_t *resp, void *ctx);
void api_styles(const http_request_t *req, http_response_t *resp, void *ctx);
void api_style(const http_request_t *req, http_response_t *resp, void *ctx);
void api_maplibre(const http_request_t *req, http_response_t *resp, void *ctx);
void api_glyphs(const http_request_t *req, http_response_t *resp, void *ctx);
void api_tile(const http_request_t *req, http_response_t *resp, void *ctx);

/* For a map that draws a network (/map.png?network=mst&k=..&km=..&cross_border=..):
 * parses the model and its parameters into *params and refuses, with the
 * same 4xx as /network, what its size alone puts over the limits. Returns
 * 1 to draw it, 0 when no network is asked for, -1 after an error. */
struct network_params;
int api_map_network(const http_request_t *req, http_response_t *resp, void *ctx, dataset_t *ds,
                    struct network_params *params);

/* The ties of that network as a layer named "network", within the limits
 * and the response's deadline; the caller frees it with layer_destroy().
 * After a failure the response holds the error (503 late, 413 too big). */
int api_map_network_layer(http_response_t *resp, void *ctx, dataset_t *ds,
                          const struct network_params *params, layer_t **out);

/* ?lang=sl|de|hu|en and ?labels=bilingual: the language of a map's labels
 * (see style_localize()); *lang is NULL without one. 0, or -1 after a 400. */
int api_map_language(const http_request_t *req, http_response_t *resp, const char **lang,
                     bool *bilingual);

/* Answers the vector tile of tile: every layer, or one (layer not NULL),
 * from the cache or rendered on the tile pool (shared by /tiles/vector
 * and the OGC API - Tiles routes). */
void api_vector_tile(http_response_t *resp, void *ctx, tile_grid_t grid, tile_t tile,
                     const char *layer);

/* OGC API - Tiles (ogcapi_tiles.c): the tile matrix set, the vector
 * tilesets of each collection and their tiles in {z}/{y}/{x} order, and
 * the map tilesets of the PNG tiles. */
void ogcapi_tile_matrix_sets(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_tile_matrix_set(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_collection_tilesets(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_collection_tileset(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_collection_tile(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_map_tilesets(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_map_tileset(const http_request_t *req, http_response_t *resp, void *ctx);
void api_map(const http_request_t *req, http_response_t *resp, void *ctx);

/* WMS 1.3.0 and 1.1.1 (wms.c, wms_caps.c, wms_info.c). */
void api_wms(const http_request_t *req, http_response_t *resp, void *ctx);

/* Browser pages and their assets (api_web.c). */
void api_viewer(const http_request_t *req, http_response_t *resp, void *ctx);
void api_embed(const http_request_t *req, http_response_t *resp, void *ctx);
void api_embed_builder(const http_request_t *req, http_response_t *resp, void *ctx);
void api_web_file(const http_request_t *req, http_response_t *resp, void *ctx);
void api_leaflet(const http_request_t *req, http_response_t *resp, void *ctx);
void api_leaflet_image(const http_request_t *req, http_response_t *resp, void *ctx);

/* Network endpoints (api_network.c). */
void api_distances(const http_request_t *req, http_response_t *resp, void *ctx);
void api_network(const http_request_t *req, http_response_t *resp, void *ctx);
void api_network_metrics(const http_request_t *req, http_response_t *resp, void *ctx);
void api_geodesic(const http_request_t *req, http_response_t *resp, void *ctx);

#endif
