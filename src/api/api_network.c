/* GET /distances, /network and /network/metrics: parse, ask the dataset
 * for a (cached) network or the geodesics, encode. What stays small runs
 * on the HTTP thread; the rest on the heavy queue with a deadline, and
 * what would cost more than the configured limits is refused with 413. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/networks.h"
#include "api/api.h"
#include "api/app.h"
#include "network/geodesy.h"
#include "network/network_out.h"
#include "api/ogcapi.h"

/* Work below these runs inline: a few milliseconds at most. */
#define INLINE_PAIRS 10000.0
#define INLINE_COST  2e6

/* Refuses parameters an endpoint does not know, naming the first. */
static int only_known(const http_request_t *req, http_response_t *resp, const char *const *names)
{
    const char *bad = http_request_unknown_query(req, names);
    if (bad == NULL) return 0;
    http_error(resp, 400, "unknown parameter '%.60s'", bad);
    return -1;
}

/* The dataset's network source, or NULL after a 404. */
static const network_source_t *network_source(http_response_t *resp, dataset_t *ds)
{
    const network_source_t *src = networks_source(ds);
    if (src == NULL) http_error(resp, 404, "this project defines no towns network");
    http_response_last_modified(resp, dataset_loaded_at(ds));
    return src;
}

static int status_of(int code)
{
    return code == ERR_INVALID ? 400 : code == ERR_NOTFOUND ? 404 : 500;
}

/* Runs job inline when small, or on the heavy queue. */
static void run_or_defer(http_response_t *resp, bool small, http_deferred_fn run,
                         void (*release)(void *), void *job)
{
    if (small) {
        run(job, resp);
        release(job);
    } else {
        http_defer(resp, HTTP_WORK_HEAVY, run, release, job);
    }
}

/* --- /distances ------------------------------------------------------------- */

typedef struct distances_job {
    dataset_t *ds; /* a reference */
    uint32_t *from, *to;
    size_t nfrom, nto;
    distances_format_t format;
} distances_job_t;

static void run_distances(void *arg, http_response_t *resp)
{
    distances_job_t *j = arg;
    buf_t b = BUF_INIT;
    network_write_distances(&b, networks_source(j->ds), j->from, j->nfrom, j->to, j->nto,
                            j->format);
    api_send_buf(resp, &b,
                 j->format == DISTANCES_JSON ? "application/json"
                                             : "text/csv; charset=utf-8; header=present");
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
}

static void free_distances(void *arg)
{
    distances_job_t *j = arg;
    free(j->from);
    free(j->to);
    dataset_unref(j->ds);
    free(j);
}

static int distances_format(const http_request_t *req, http_response_t *resp,
                            distances_format_t *format)
{
    const char *f = http_request_query(req, "f"), *layout = http_request_query(req, "layout");
    *format = DISTANCES_JSON;
    if (f && strcmp(f, "csv") == 0) {
        *format = layout && strcmp(layout, "pairs") == 0 ? DISTANCES_CSV_PAIRS : DISTANCES_CSV;
    } else if (f && strcmp(f, "json") != 0) {
        http_error(resp, 406, "f=%.40s is not offered; use f=json or f=csv", f);
        return -1;
    }
    if (layout && strcmp(layout, "pairs") != 0 && strcmp(layout, "matrix") != 0) {
        http_error(resp, 400, "layout: use matrix or pairs");
        return -1;
    }
    return 0;
}

void api_distances(const http_request_t *req, http_response_t *resp, void *ctx)
{
    static const char *const names[] = {"from", "to", "f", "layout", NULL};
    distances_format_t format;
    if (only_known(req, resp, names) != 0 || distances_format(req, resp, &format) != 0) return;
    distances_job_t *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        http_error(resp, 503, "out of memory");
        return;
    }
    j->ds = app_acquire(ctx);
    j->format = format;
    const network_source_t *src = network_source(resp, j->ds);
    error_t err = {0};
    if (src &&
        (network_find_nodes(src, http_request_query(req, "from"), &j->from, &j->nfrom, &err) ||
         network_find_nodes(src, http_request_query(req, "to"), &j->to, &j->nto, &err))) {
        http_error(resp, 400, "%s%s", j->from == NULL ? "from: " : "to: ", err.message);
        src = NULL;
    }
    double pairs = (double)j->nfrom * (double)j->nto, max = app_limits(ctx)->max_distance_pairs;
    if (src && pairs > max) {
        http_error(resp, 413, "%.0f town pairs are over the limit of %.0f; ask for fewer towns",
                   pairs, max);
        src = NULL;
    }
    if (src == NULL) {
        free_distances(j);
        return;
    }
    run_or_defer(resp, pairs <= INLINE_PAIRS, run_distances, free_distances, j);
}

/* --- /network and /network/metrics ------------------------------------------- */

typedef struct network_job {
    dataset_t *ds; /* a reference */
    network_params_t params;
    app_limits_t limits;
    bool geojson; /* /network (else /network/metrics) */
} network_job_t;

/* Checks the built network against the limits; 0 or -1 after a 413. */
static int within_limits(const network_job_t *j, const network_t *net, http_response_t *resp)
{
    double cost = network_metrics_cost(net),
           vertices = j->geojson ? network_geojson_vertices(net) : 0;
    if (cost > j->limits.max_network_cost) {
        http_error(resp, 413,
                   "the metrics of %zu towns and %zu ties (cost %.3g) are over the limit of "
                   "%.3g; choose a sparser model or fewer countries",
                   net->nnodes, net->nedges, cost, j->limits.max_network_cost);
        return -1;
    }
    if (vertices > j->limits.max_network_vertices) {
        http_error(resp, 413,
                   "the GeoJSON of %zu ties would hold %.0f vertices, over the limit of %.0f; "
                   "use /network/metrics or a sparser model",
                   net->nedges, vertices, j->limits.max_network_vertices);
        return -1;
    }
    return 0;
}

static void run_network(void *arg, http_response_t *resp)
{
    network_job_t *j = arg;
    network_t *net = NULL;
    error_t err = {0};
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
    if (networks_get(j->ds, &j->params, &net, &err) != ERR_OK) {
        http_error(resp, status_of(err.code), "%s", err.message);
        return;
    }
    int rc = within_limits(j, net, resp) != 0
                 ? ERR_TOOBIG
                 : network_metrics_until(net, http_response_deadline(resp));
    if (rc == ERR_TIMEOUT) {
        http_error_busy(resp, HTTP_REJECT_DEADLINE, 10,
                        "computing the metrics of %zu towns did not finish in time", net->nnodes);
    } else if (rc == ERR_NOMEM) {
        http_error(resp, 503, "out of memory computing the network metrics");
    } else if (rc == ERR_OK) {
        buf_t b = BUF_INIT;
        (j->geojson ? network_write_geojson : network_write_metrics)(&b, net);
        api_send_buf(resp, &b, j->geojson ? "application/geo+json" : "application/json");
    }
    network_unref(net);
}

static void free_network(void *arg)
{
    network_job_t *j = arg;
    dataset_unref(j->ds);
    free(j);
}

/* An upper bound of the metrics' cost before the network exists. */
static double estimated_cost(const network_source_t *src, const network_params_t *p)
{
    double n = (double)src->nodes->nfeatures, m;
    switch (p->model) {
    case NETWORK_KNN:
        m = n * p->k;
        break;
    case NETWORK_MST:
        m = n;
        break;
    case NETWORK_DELAUNAY:
    case NETWORK_GABRIEL:
    case NETWORK_RNG:
        m = 3 * n;
        break;
    case NETWORK_EDGES:
        m = src->ties ? (double)src->ties->nfeatures : 0;
        break;
    default: /* complete, within: every pair at worst */
        m = n * (n - 1) / 2;
    }
    return n * (n + m);
}

static void send_network(const http_request_t *req, http_response_t *resp, void *ctx, bool geojson)
{
    static const char *const names[] = {"model", "k", "km", "cross_border", "country", "f", NULL};
    const char *f = http_request_query(req, "f");
    if (only_known(req, resp, names) != 0) return;
    if (f && strcmp(f, "json") != 0 && strcmp(f, "geojson") != 0) {
        http_error(resp, 406, "f=%.40s is not offered; use f=json", f);
        return;
    }
    network_job_t *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        http_error(resp, 503, "out of memory");
        return;
    }
    *j = (network_job_t){.ds = app_acquire(ctx), .limits = *app_limits(ctx), .geojson = geojson};
    const network_source_t *src = network_source(resp, j->ds);
    error_t err = {0};
    if (src && network_params_parse(&j->params, http_request_query(req, "model"),
                                    http_request_query(req, "k"), http_request_query(req, "km"),
                                    http_request_query(req, "cross_border"),
                                    http_request_query(req, "country"), &err) != ERR_OK) {
        http_error(resp, status_of(err.code), "%s", err.message);
        src = NULL;
    }
    double cost = src ? estimated_cost(src, &j->params) : 0;
    if (src && j->params.model == NETWORK_COMPLETE && cost > j->limits.max_network_cost) {
        /* Exact for the complete model: refused before building it. */
        http_error(resp, 413,
                   "the metrics of the complete network of %zu towns (cost %.3g) are over the "
                   "limit of %.3g; choose a sparser model or fewer countries",
                   src->nodes->nfeatures, cost, j->limits.max_network_cost);
        src = NULL;
    }
    if (src == NULL) {
        free_network(j);
        return;
    }
    run_or_defer(resp, cost <= INLINE_COST, run_network, free_network, j);
}

void api_network(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_network(req, resp, ctx, true);
}

void api_network_metrics(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_network(req, resp, ctx, false);
}

/* "lon,lat" with lon in -180..180 and lat in -90..90. */
static int parse_point(const char *text, double *lon, double *lat)
{
    double v[2];
    if (text == NULL || http_parse_numbers(text, v, 2) != 2) return -1;
    *lon = v[0], *lat = v[1];
    return fabs(*lon) <= 180 && fabs(*lat) <= 90 ? 0 : -1;
}

/* GET /geodesic?from=lon,lat&to=lon,lat: the geodesic between any two
 * points (the viewer's measuring tool). */
void api_geodesic(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)ctx;
    static const char *const names[] = {"from", "to", NULL};
    double lon1, lat1, lon2, lat2;
    if (only_known(req, resp, names) != 0) return;
    if (parse_point(http_request_query(req, "from"), &lon1, &lat1) ||
        parse_point(http_request_query(req, "to"), &lon2, &lat2)) {
        http_error(resp, 400, "from, to: want lon,lat in degrees (lon -180..180, lat -90..90)");
        return;
    }
    geodesy_inverse_t g = geodesy_inverse(lon1, lat1, lon2, lat2);
    buf_t b = BUF_INIT;
    buf_printf(&b,
               "{\"from\":[%.7f,%.7f],\"to\":[%.7f,%.7f],\"distance_km\":%.6f,"
               "\"initial_azimuth\":%.6f,\"final_azimuth\":%.6f}",
               lon1, lat1, lon2, lat2, g.metres / 1000, g.azi1, g.azi2);
    api_send_buf(resp, &b, "application/json");
}
