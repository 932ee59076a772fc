/* A static map rendered on the worker pool: shared by /map.png|svg|pdf
 * and WMS GetMap (api_map.c, wms.c). */
#ifndef COOPMAP_API_MAP_H
#define COOPMAP_API_MAP_H

#include "http/http.h"
#include "network/network.h"
#include "render/render_static.h"
#include "render/tiles.h"

#define API_MAP_MAX_PX      4096
#define API_MAP_MAX_SOURCES 16

typedef struct map_job {
    render_view_t view;
    tiles_t *tiles;
    void *ctx; /* the app, for the network's limits */
    const style_t *style;
    dataset_t *ds; /* a reference, released by api_map_queue() */
    static_format_t format;
    render_options_t opt;    /* overlay and attribution are set when it runs */
    bool attribution;        /* draw the dataset's short attribution */
    bool network;            /* draw the ties of params over the map */
    network_params_t params; /* ?network=&k=&km=&cross_border= */
    /* opt.select.sources points into these when a subset is drawn */
    char source_names[API_MAP_MAX_SOURCES][64];
    const char *sources[API_MAP_MAX_SOURCES + 1];
} map_job_t;

/* Exactly want finite numbers in text ("1,2,3,4"): 0, or -1 (also for
 * NULL). For the map parameters of /map.* and WMS. */
int api_finite_numbers(const char *text, double *v, int want);

/* A whole number lo..hi in text: 0, or -1 (also for NULL or ""). */
int api_whole(const char *text, int lo, int hi, int *out);

/* A job with the app's tiles and a reference to its dataset, the rest
 * zero; NULL when out of memory (after a 503 in resp). */
map_job_t *api_map_job(http_response_t *resp, void *ctx);

/* Where maps in a CRS measure their zoom: the middle of the data
 * (render_crs_view's ref; NAN, NAN without data). */
void api_map_ref(void *ctx, double ref[2]);

/* Frees a job not queued (and its dataset reference). */
void api_map_job_free(void *job);

/* Refuses the job with 413 if it is over the pixel limit, else renders
 * it on the pool (small maps beside the tiles, large ones on the heavy
 * queue). Takes the job either way. */
void api_map_queue(http_response_t *resp, map_job_t *job);

#endif
