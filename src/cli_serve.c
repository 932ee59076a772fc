/* `coopmap serve`: load, build the tile service and the worker pools,
 * listen, and wait for signals (SIGHUP reloads, SIGTERM/SIGINT stop). */
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/crs.h"
#include "network/networks.h"
#include "api/api.h"
#include "util/clock.h"
#include "api/app.h"
#include "http/http.h"
#include "util/log.h"
#include "util/pool.h"
#include "render/render_labels.h"
#include "render/tiles.h"
#include "cli_internal.h"

/* /ready says 503 for the grace period while everything else still
 * serves; a second SIGTERM or SIGINT ends it early. */
static void drain(const sigset_t *set, double grace)
{
    if (grace <= 0) return;
    log_info("draining for %.1f s (/ready is 503)", grace);
    struct timespec ts = {(time_t)grace, (long)((grace - (double)(time_t)grace) * 1e9)};
    int64_t end = clock_now_ns() + (int64_t)(grace * 1e9);
    while (clock_now_ns() < end) {
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) return;
        int64_t left = end - clock_now_ns();
        ts = (struct timespec){(time_t)(left / 1000000000), (long)(left % 1000000000)};
    }
}

static void wait_for_signals(app_t *app, const sigset_t *set, double grace)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0) continue;
        if (sig != SIGHUP) {
            log_info("signal %d: shutting down", sig);
            app_set_stopping(app);
            drain(set, grace);
            return;
        }
        error_t err = {0};
        if (app_reload(app, &err) == ERR_OK) {
            dataset_t *ds = app_acquire(app);
            log_info("reloaded: data version %s", dataset_version(ds));
            dataset_unref(ds);
        } else {
            dataset_t *ds = app_acquire(app);
            log_error("reload failed, still serving data version %s: %s", dataset_version(ds),
                      err.message);
            dataset_unref(ds);
        }
    }
}

/* Loads the styles; the data is checked against them as it loads, so a
 * bad style stops the start with a message naming file, layer and property. */
static tiles_t *load_tiles(const options_t *o)
{
    tiles_config_t cfg = {o->styles, (size_t)o->n.tile_cache_mb << 20, (int)o->n.max_zoom};
    tiles_t *tiles = NULL;
    error_t err = {0};
    if (tiles_create(&cfg, &tiles, &err) != ERR_OK) {
        fprintf(stderr, "coopmap: error: %s\n", err.message);
        return tiles_destroy(tiles);
    }
    return tiles;
}

/* Everything serve() starts, stopped and freed in reverse by
 * serve_cleanup(). */
typedef struct served {
    app_t *app;
    tiles_t *tiles;
    pool_t *pools[HTTP_NWORK];
    http_server_t *srv;
} served_t;

static void serve_cleanup(served_t *s)
{
    for (int i = 0; i < HTTP_NWORK; i++) /* finishes deferred responses */
        if (s->pools[i]) pool_stop(s->pools[i]);
    http_server_stop(s->srv);
    for (int i = 0; i < HTTP_NWORK; i++)
        pool_destroy(s->pools[i]);
    app_destroy(s->app);
    tiles_destroy(s->tiles);
    crs_registry_free(); /* after the datasets, whose projections name them */
}

/* Tiles render on one worker per core; heavy work on a few workers at a
 * lower CPU priority, so it uses what the tiles leave. */
static int make_pools(const options_t *o, served_t *s)
{
    pool_config_t tiles = {0, (size_t)o->n.tile_queue, 0, "render"};
    pool_config_t heavy = {(size_t)o->n.heavy_threads, (size_t)o->n.heavy_queue, 10, "heavy"};
    s->pools[HTTP_WORK_TILE] = pool_create(&tiles);
    s->pools[HTTP_WORK_HEAVY] = pool_create(&heavy);
    if (s->pools[HTTP_WORK_TILE] == NULL || s->pools[HTTP_WORK_HEAVY] == NULL) return -1;
    app_set_pools(s->app, s->pools[HTTP_WORK_TILE], s->pools[HTTP_WORK_HEAVY]);
    return 0;
}

static int configure_app(const options_t *o, served_t *s)
{
    app_limits_t limits = {o->n.max_map_pixels,   o->n.max_distance_pairs,
                           o->n.max_network_cost, o->n.max_network_vertices,
                           o->n.max_ties,         o->n.max_response_mb * 1024 * 1024,
                           o->n.request_timeout};
    app_set_limits(s->app, &limits);
    app_set_tiles(s->app, s->tiles);
    networks_set_cache_budget((size_t)o->n.network_cache_mb << 20);
    labels_set_cache_budget((size_t)o->n.label_cache_mb << 20);
    return app_set_base_url(s->app, o->base_url) != ERR_OK ||
                   app_set_frame_ancestors(s->app, o->frame_ancestors) != ERR_OK
               ? -1
               : 0;
}

static http_config_t http_config(const options_t *o, served_t *s)
{
    size_t nroutes;
    const http_route_t *routes = api_routes(&nroutes);
    http_config_t cfg = {.address = o->address,
                         .port = (uint16_t)o->port,
                         .threads = o->n.threads ? (unsigned)o->n.threads : 4,
                         .limits = {.head_timeout_s = (unsigned)o->n.head_timeout,
                                    .idle_timeout_s = (unsigned)o->n.idle_timeout,
                                    .max_connections = (unsigned)o->n.max_connections,
                                    .max_per_ip = (unsigned)o->n.max_per_ip},
                         .routes = routes,
                         .nroutes = nroutes,
                         .ctx = s->app,
                         .access_log = !o->quiet,
                         .cors_origin = o->cors_origin,
                         .cache_control = o->cache_control,
                         .work_timeout_s = {o->n.tile_timeout, o->n.request_timeout}};
    for (int i = 0; i < HTTP_NWORK; i++)
        cfg.pools[i] = s->pools[i];
    return cfg;
}

int cli_serve(const options_t *o)
{
    served_t s = {0};
    dataset_t *ds = NULL;
    /* Block the signals before any thread exists (GDAL's, the pools', the
     * server's) so only sigwait sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_set_format(o->log_format && strcmp(o->log_format, "json") == 0 ? LOG_JSON : LOG_TEXT);
    if ((s.tiles = load_tiles(o)) == NULL) return 1;
    if (cli_load(o->project, s.tiles, &ds) != ERR_OK ||
        (s.app = app_create(o->project, ds)) == NULL) {
        dataset_unref(ds);
        tiles_destroy(s.tiles);
        return 1;
    }
    if (configure_app(o, &s) != 0 || make_pools(o, &s) != 0) {
        fprintf(stderr, "coopmap: error: out of memory or threads\n");
        serve_cleanup(&s);
        return 1;
    }
    log_set_level(o->quiet ? LOG_WARN : LOG_INFO);
    http_config_t cfg = http_config(o, &s);
    error_t err = {0};
    if (http_server_start(&cfg, &s.srv, &err) != ERR_OK) {
        fprintf(stderr, "coopmap: error: %s\n", err.message);
        serve_cleanup(&s);
        return 1;
    }
    const char *fmt = strchr(o->address, ':') ? "http://[%s]:%u/" : "http://%s:%u/";
    char url[128];
    snprintf(url, sizeof(url), fmt, o->address, (unsigned)http_server_port(s.srv));
    printf("coopmap %s serving %zu layers (data version %s) at %s\n", COOPMAP_VERSION,
           dataset_layer_count(ds), dataset_version(ds), url);
    fflush(stdout);
    wait_for_signals(s.app, &set, o->n.shutdown_grace);
    serve_cleanup(&s);
    return 0;
}
