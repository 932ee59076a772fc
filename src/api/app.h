/* The running service's state: the project path and the current dataset.
 *
 * Requests take a reference to the current dataset (app_acquire) and use it
 * until they finish; a reload loads a complete new dataset first and only
 * then swaps it in, so a failed reload leaves the old data serving. */
#ifndef COOPMAP_APP_H
#define COOPMAP_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "data/dataset.h"
#include "util/error.h"

typedef struct app app_t;

/* Takes over the caller's reference to ds; copies project_path. Free with
 * app_destroy(). */
app_t *app_create(const char *project_path, dataset_t *ds);

app_t *app_destroy(app_t *app);

/* A new reference to the current dataset; the caller releases it with
 * dataset_unref(). Thread-safe. */
dataset_t *app_acquire(app_t *app);

/* The one way a project is loaded, at start and on reload alike: the
 * project file, its layers, what the network stage derives (networks.h),
 * and, when tiles is not NULL, the check that its styles fit the data. *out
 * holds one reference (dataset_unref()); nothing is kept on failure. */
struct tiles;
int app_load(const char *project_path, const struct tiles *tiles, dataset_t **out, error_t *err);

/* Re-reads the project and its layers through app_load(). On success the new dataset serves
 * from the next request on; on failure nothing changes and err says why.
 * Counted in app_reloads(). */
int app_reload(app_t *app, error_t *err);

/* Reloads so far that succeeded and that failed. */
void app_reloads(const app_t *app, uint64_t *ok, uint64_t *failed);

/* Set when the service begins to stop: /ready then says 503. */
void app_set_stopping(app_t *app);
bool app_stopping(const app_t *app);

/* What one request may cost before it is refused with 413, and the
 * computations' deadline (kept by the HTTP server; here for the messages
 * that name it). */
typedef struct app_limits {
    double max_map_pixels;       /* device pixels of a static map */
    double max_distance_pairs;   /* from x to towns of one /distances */
    double max_network_cost;     /* a network's metrics: towns x (towns + ties) */
    double max_network_vertices; /* vertices of one /network GeoJSON */
    double max_ties;             /* ties one network build may make */
    double max_response_bytes;   /* one /network, /network/metrics or /distances body */
    double request_timeout;      /* seconds a computation may take, queue included */
} app_limits_t;

#define APP_LIMITS_DEFAULT                                                                         \
    {                                                                                              \
        4096.0 * 4096.0, 250000.0, 5e8, 5e6, 1e6, 128.0 * 1024 * 1024, 10                          \
    }

void app_set_limits(app_t *app, const app_limits_t *limits);
const app_limits_t *app_limits(const app_t *app);

/* The worker pools (borrowed), for the metrics: tile rendering, and
 * heavy computations. Either may be NULL. */
struct pool;
void app_set_pools(app_t *app, struct pool *tiles, struct pool *heavy);
struct pool *app_pool(const app_t *app, bool heavy);

time_t app_started_at(const app_t *app);

/* The tile service (borrowed; the caller keeps it alive while serving). A
 * reload whose data the styles do not fit is refused like a broken file. */
struct tiles;
void app_set_tiles(app_t *app, struct tiles *tiles);
struct tiles *app_tiles(const app_t *app);

/* Who may frame the browser pages: a CSP frame-ancestors source list
 * ("https://a.example https://b.example"), copied; NULL: anyone ("*"). */
int app_set_frame_ancestors(app_t *app, const char *sources);
const char *app_frame_ancestors(const app_t *app);

/* The public base URL for links (e.g. "https://maps.example.org/coopmap"),
 * copied; NULL: links use the request's Host header. Set before serving. */
int app_set_base_url(app_t *app, const char *base_url);
const char *app_base_url(const app_t *app);

#endif
