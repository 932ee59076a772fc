/* Shared by the command-line files (cli.c, cli_network.c). */
#ifndef COOPMAP_CLI_INTERNAL_H
#define COOPMAP_CLI_INTERNAL_H

#include "dataset.h"

typedef struct options {
    const char *command;
    const char *project;
    char address[64];
    unsigned port;
    unsigned threads;
    int quiet, json, csv, geojson, cross_border;
    const char *from, *to, *model, *k, *km, *country;
    const char *base_url, *cors_origin, *cache_control;
    const char *styles; /* directory of map styles */
    const char *frame_ancestors;
    long tile_cache_mb; /* in-memory tile cache; 0 = off */
    int max_zoom;
} options_t;

/* Loads the project's dataset, printing one error line on failure. */
int cli_load(const char *path, dataset_t **ds);

/* `coopmap distances` and `coopmap network`; return the exit status. */
int cli_distances(const options_t *o);
int cli_network(const options_t *o);

#endif
