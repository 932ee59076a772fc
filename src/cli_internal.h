/* Shared by the command-line files (cli.c, cli_serve.c, cli_network.c). */
#ifndef COOPMAP_CLI_INTERNAL_H
#define COOPMAP_CLI_INTERNAL_H

#include "data/dataset.h"

/* serve's numbers: limits, queues, timeouts and caches (see the usage text
 * in cli.c for what each means and its default). */
typedef struct serve_numbers {
    double threads, tile_cache_mb, max_zoom, network_cache_mb, label_cache_mb;
    double head_timeout, idle_timeout, max_connections, max_per_ip;
    double tile_queue, tile_timeout, heavy_threads, heavy_queue, request_timeout;
    double max_map_pixels, max_distance_pairs, max_network_cost, max_network_vertices;
    double max_ties, max_response_mb;
    double shutdown_grace;
    double scale; /* seed */
} serve_numbers_t;

typedef struct options {
    const char *command;
    const char *project;
    char address[64];
    unsigned port;
    int quiet, json, csv, geojson, cross_border;
    const char *from, *to, *model, *k, *km, *country;
    const char *base_url, *cors_origin, *cache_control;
    const char *styles; /* directory of map styles */
    const char *frame_ancestors;
    const char *log_format;                         /* "text" or "json" */
    const char *style, *zoom, *bbox, *out, *format; /* seed */
    serve_numbers_t n;
} options_t;

/* Loads the project's dataset through app_load() (checking it against
 * the styles when tiles is not NULL), printing one error line on failure. */
struct tiles;
int cli_load(const char *path, const struct tiles *tiles, dataset_t **ds);

/* `coopmap serve`, `distances`, `network` and `seed`; return the exit
 * status. */
int cli_serve(const options_t *o);
int cli_distances(const options_t *o);
int cli_network(const options_t *o);
int cli_seed(const options_t *o);

#endif
