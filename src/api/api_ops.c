/* For the people who run coopmap: GET /health (what serves), /ready (may
 * a load balancer send traffic here?) and /metrics (Prometheus). */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network/networks.h"
#include "api/api.h"
#include "api/app.h"
#include "api/send.h"
#include "util/pool.h"
#include "util/stats.h"
#include "render/tiles.h"

static void format_time(time_t t, char *out, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Operations answers are never cached. */
static void send_now(http_response_t *resp, json_t *obj)
{
    http_response_header(resp, "Cache-Control", "no-store");
    api_send_json(resp, obj, "application/json");
}

void api_health(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)req;
    app_t *app = ctx;
    dataset_t *ds = app_acquire(app);
    char loaded[32], started[32];
    format_time(dataset_loaded_at(ds), loaded, sizeof(loaded));
    format_time(app_started_at(app), started, sizeof(started));
    json_t *layers = json_object();
    for (size_t i = 0; i < dataset_layer_count(ds); i++) {
        const layer_t *layer = dataset_layer(ds, i);
        json_object_set_new(layers, layer->id, json_integer((json_int_t)layer->nfeatures));
    }
    json_t *obj =
        json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:o}", "status", "ok", "version", COOPMAP_VERSION,
                  "data_version", dataset_version(ds), "loaded_at", loaded, "load_ms",
                  dataset_load_ms(ds), "started_at", started, "layers", layers);
    dataset_unref(ds);
    struct tiles *tiles = app_tiles(app);
    if (tiles && obj) {
        size_t bytes, entries, hits, misses;
        tilecache_stats(tiles_cache(tiles), &bytes, &entries, &hits, &misses);
        json_object_set_new(obj, "tile_cache",
                            json_pack("{s:I, s:I, s:I, s:I}", "bytes", (json_int_t)bytes, "entries",
                                      (json_int_t)entries, "hits", (json_int_t)hits, "misses",
                                      (json_int_t)misses));
    }
    send_now(resp, obj);
}

void api_ready(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)req;
    app_t *app = ctx;
    if (app_stopping(app)) {
        http_response_header(resp, "Retry-After", "5");
        http_error(resp, 503, "the service is stopping");
        return;
    }
    dataset_t *ds = app_acquire(app);
    json_t *obj = json_pack("{s:b, s:s}", "ready", 1, "data_version", dataset_version(ds));
    dataset_unref(ds);
    send_now(resp, obj);
}

/* --- /metrics ------------------------------------------------------------------ */

static void pool_metrics(buf_t *b, struct pool *p, const char *name)
{
    if (p == NULL) return;
    pool_stats_t s;
    char labels[48];
    pool_get_stats(p, &s);
    snprintf(labels, sizeof(labels), "queue=\"%s\"", name);
    stats_write_count(b, "coopmap_queue_depth", labels, s.queued);
    stats_write_count(b, "coopmap_queue_running", labels, s.running);
    stats_write_count(b, "coopmap_queue_capacity", labels, s.max_queue);
    stats_write_count(b, "coopmap_queue_workers", labels, s.threads);
    stats_write_count(b, "coopmap_queue_done_total", labels, s.done);
    stats_write_count(b, "coopmap_queue_refused_total", labels, s.refused);
}

static void queue_metrics(buf_t *b, app_t *app)
{
    stats_write_family(b, "coopmap_queue_depth", "gauge", "Jobs waiting, by queue.");
    stats_write_family(b, "coopmap_queue_running", "gauge", "Jobs running, by queue.");
    stats_write_family(b, "coopmap_queue_capacity", "gauge", "Jobs that may wait, by queue.");
    stats_write_family(b, "coopmap_queue_workers", "gauge", "Worker threads, by queue.");
    stats_write_family(b, "coopmap_queue_done_total", "counter", "Jobs done, by queue.");
    stats_write_family(b, "coopmap_queue_refused_total", "counter",
                       "Jobs refused because the queue was full.");
    pool_metrics(b, app_pool(app, false), "tiles");
    pool_metrics(b, app_pool(app, true), "heavy");
}

static void data_metrics(buf_t *b, app_t *app)
{
    dataset_t *ds = app_acquire(app);
    buf_t labels = BUF_INIT;
    buf_puts(&labels, "version=");
    stats_label_value(&labels, dataset_version(ds));
    stats_write_family(b, "coopmap_data_info", "gauge", "The data version serving (always 1).");
    stats_write_count(b, "coopmap_data_info", labels.data, 1);
    stats_write_family(b, "coopmap_data_loaded_timestamp_seconds", "gauge",
                       "When the serving data finished loading.");
    stats_write_count(b, "coopmap_data_loaded_timestamp_seconds", NULL,
                      (uint64_t)dataset_loaded_at(ds));
    stats_write_family(b, "coopmap_data_load_seconds", "gauge", "How long that load took.");
    stats_write_value(b, "coopmap_data_load_seconds", NULL, dataset_load_ms(ds) / 1e3);
    stats_write_family(b, "coopmap_data_features", "gauge", "Features per layer.");
    for (size_t i = 0; i < dataset_layer_count(ds); i++) {
        buf_free(&labels);
        buf_puts(&labels, "layer=");
        stats_label_value(&labels, dataset_layer(ds, i)->id);
        stats_write_count(b, "coopmap_data_features", labels.data, dataset_layer(ds, i)->nfeatures);
    }
    buf_free(&labels);
    size_t bytes, entries;
    networks_cache_stats(ds, &bytes, &entries);
    stats_write_family(b, "coopmap_network_cache_bytes", "gauge", "Bytes of cached networks.");
    stats_write_count(b, "coopmap_network_cache_bytes", NULL, bytes);
    stats_write_family(b, "coopmap_network_cache_entries", "gauge", "Networks cached.");
    stats_write_count(b, "coopmap_network_cache_entries", NULL, entries);
    dataset_unref(ds);
    uint64_t ok, failed;
    app_reloads(app, &ok, &failed);
    stats_write_family(b, "coopmap_reloads_total", "counter", "Reloads (SIGHUP), by result.");
    stats_write_count(b, "coopmap_reloads_total", "result=\"ok\"", ok);
    stats_write_count(b, "coopmap_reloads_total", "result=\"failed\"", failed);
}

/* Resident memory and open files, from /proc (Linux). */
static void process_metrics(buf_t *b, app_t *app)
{
    long pages = 0, rss = 0;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (fp) {
        if (fscanf(fp, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(fp);
    }
    size_t fds = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *de; d && (de = readdir(d));)
        fds += de->d_name[0] != '.';
    if (d) closedir(d);
    stats_write_family(b, "process_resident_memory_bytes", "gauge", "Resident memory size.");
    stats_write_count(b, "process_resident_memory_bytes", NULL,
                      (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE));
    stats_write_family(b, "process_open_fds", "gauge", "Open file descriptors.");
    stats_write_count(b, "process_open_fds", NULL, fds);
    stats_write_family(b, "process_start_time_seconds", "gauge", "Start time (Unix seconds).");
    stats_write_count(b, "process_start_time_seconds", NULL, (uint64_t)app_started_at(app));
}

void api_metrics(const http_request_t *req, http_response_t *resp, void *ctx)
{
    app_t *app = ctx;
    buf_t b = BUF_INIT;
    stats_write_family(&b, "coopmap_build_info", "gauge", "The version running (always 1).");
    stats_write_count(&b, "coopmap_build_info", "version=\"" COOPMAP_VERSION "\"", 1);
    const http_server_t *srv = http_request_server(req);
    if (srv) http_server_write_metrics(srv, &b);
    queue_metrics(&b, app);
    if (app_tiles(app)) tiles_write_metrics(app_tiles(app), &b);
    data_metrics(&b, app);
    process_metrics(&b, app);
    http_response_header(resp, "Cache-Control", "no-store");
    api_send_buf(resp, &b, "text/plain; version=0.0.4; charset=utf-8");
}
