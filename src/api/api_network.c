/* GET /distances, /network and /network/metrics: parse, ask the dataset
 * for a (cached) network or the geodesics, encode. What stays small runs
 * on the HTTP thread; the rest on the heavy queue under the request
 * timeout, which the builds, the metrics and the writers check. What would
 * cost more than the configured limits is refused with 413, before any
 * work when the size is known in advance (town pairs, a model's ties, the
 * metrics' least cost), after the build otherwise; every refusal names the
 * limit, its option and a way round it. */
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

#define MB (1024.0 * 1024.0)

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
    return code == ERR_INVALID ? 400 : code == ERR_NOTFOUND ? 404 : code == ERR_NOMEM ? 503 : 500;
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

static network_limits_t limits_of(const app_limits_t *l, deadline_t deadline)
{
    return (network_limits_t){deadline, (size_t)l->max_ties, (size_t)l->max_response_bytes};
}

/* 503 for work stopped by the request timeout; what says what stopped. */
static void refuse_late(http_response_t *resp, const app_limits_t *l, const char *what,
                        const char *advice)
{
    http_error_busy(resp, HTTP_REJECT_DEADLINE, 10,
                    "%s within the request timeout of %g s (--request-timeout); %s", what,
                    l->request_timeout, advice);
}

static void refuse_bytes(http_response_t *resp, const app_limits_t *l, double bytes,
                         const char *advice)
{
    http_error(resp, 413,
               "the answer would be about %.0f MB, over the limit of %.0f MB "
               "(--max-response-mb); %s",
               ceil(bytes / MB), l->max_response_bytes / MB, advice);
}

/* --- /distances ------------------------------------------------------------- */

typedef struct distances_job {
    dataset_t *ds; /* a reference */
    uint32_t *from, *to;
    size_t nfrom, nto;
    distances_format_t format;
    app_limits_t limits;
} distances_job_t;

#define DISTANCES_ADVICE                                                                           \
    "ask for fewer towns at a time, or use the command line: coopmap distances --project FILE "    \
    "--from LIST --to LIST --csv"

static void run_distances(void *arg, http_response_t *resp)
{
    distances_job_t *j = arg;
    network_limits_t lim = limits_of(&j->limits, http_response_deadline(resp));
    buf_t b = BUF_INIT;
    int rc = network_write_distances_limited(&b, networks_source(j->ds), j->from, j->nfrom, j->to,
                                             j->nto, j->format, &lim);
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
    if (rc == ERR_OK) {
        api_send_buf(resp, &b,
                     j->format == DISTANCES_JSON ? "application/json"
                                                 : "text/csv; charset=utf-8; header=present");
        return;
    }
    size_t len = b.len;
    buf_free(&b);
    char what[96];
    snprintf(what, sizeof(what), "computing %zu x %zu distances did not finish", j->nfrom, j->nto);
    if (rc == ERR_TIMEOUT)
        refuse_late(resp, &j->limits, what, DISTANCES_ADVICE);
    else if (rc == ERR_TOOBIG)
        refuse_bytes(resp, &j->limits, (double)len, DISTANCES_ADVICE);
    else
        http_error(resp, 503, "out of memory computing the distances");
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

/* 0, or -1 after a 413 for more pairs or bytes than the limits allow. */
static int distances_within_limits(const distances_job_t *j, const network_source_t *src,
                                   http_response_t *resp)
{
    double pairs = (double)j->nfrom * (double)j->nto, max = j->limits.max_distance_pairs;
    if (pairs > max) {
        http_error(resp, 413,
                   "%.0f town pairs are over the limit of %.0f (--max-distance-pairs); %s", pairs,
                   max, DISTANCES_ADVICE);
        return -1;
    }
    double bytes = network_distances_bytes(src, j->from, j->nfrom, j->to, j->nto, j->format);
    if (bytes > j->limits.max_response_bytes) {
        refuse_bytes(resp, &j->limits, bytes, DISTANCES_ADVICE);
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
    j->limits = *app_limits(ctx);
    const network_source_t *src = network_source(resp, j->ds);
    error_t err = {0};
    if (src &&
        (network_find_nodes(src, http_request_query(req, "from"), &j->from, &j->nfrom, &err) ||
         network_find_nodes(src, http_request_query(req, "to"), &j->to, &j->nto, &err))) {
        http_error(resp, 400, "%s%s", j->from == NULL ? "from: " : "to: ", err.message);
        src = NULL;
    }
    if (src && distances_within_limits(j, src, resp) != 0) src = NULL;
    if (src == NULL) {
        free_distances(j);
        return;
    }
    run_or_defer(resp, (double)j->nfrom * (double)j->nto <= INLINE_PAIRS, run_distances,
                 free_distances, j);
}

/* --- /network and /network/metrics ------------------------------------------- */

typedef struct network_job {
    dataset_t *ds; /* a reference */
    network_params_t params;
    app_limits_t limits;
    bool geojson;  /* /network (else /network/metrics) */
    char cli[256]; /* the command that computes it without limits */
} network_job_t;

/* The command line has no deadline and no size limit: it is the way to
 * what the service refuses. */
static void cli_command(network_job_t *j)
{
    const network_params_t *p = &j->params;
    char *out = j->cli;
    size_t size = sizeof(j->cli), n;
    n = (size_t)snprintf(out, size, "coopmap network --project FILE --model %s",
                         network_model_name(p->model));
    if (p->model == NETWORK_KNN && n < size)
        n += (size_t)snprintf(out + n, size - n, " --k %u", p->k);
    if (p->model == NETWORK_WITHIN && n < size)
        n += (size_t)snprintf(out + n, size - n, " --km %g", p->km);
    if (p->cross_border && n < size) n += (size_t)snprintf(out + n, size - n, " --cross-border");
    for (size_t i = 0; i < p->ncountries && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : " --country ", p->countries[i]);
    if (n < size) snprintf(out + n, size - n, "%s", j->geojson ? " --geojson" : " --json");
}

static void refuse_cost(http_response_t *resp, const network_job_t *j, size_t nodes, double ties,
                        bool at_least)
{
    double cost = (double)nodes * ((double)nodes + ties);
    char what[96];
    if (at_least && ties == 0) /* nothing known of the ties yet: the towns alone are too many */
        snprintf(what, sizeof(what), "%zu towns (cost at least %.3g", nodes, cost);
    else
        snprintf(what, sizeof(what), "%zu towns and %s%.0f ties (cost %s%.3g", nodes,
                 at_least ? "at least " : "", ties, at_least ? "at least " : "", cost);
    http_error(resp, 413,
               "the metrics of %s: towns x (towns + ties)) are over the limit of %.3g "
               "(--max-network-cost); choose a sparser model or fewer countries, or compute them "
               "with the command line: %s",
               what, j->limits.max_network_cost, j->cli);
}

static void refuse_ties(http_response_t *resp, const network_job_t *j, const char *what)
{
    http_error(resp, 413,
               "%s, over the limit of %.0f (--max-ties); choose a smaller k or km, fewer "
               "countries or a sparser model (mst, rng, gabriel, delaunay)",
               what, j->limits.max_ties);
}

#define NETWORK_ADVICE "choose a sparser model or fewer countries, or use the command line: "

static void refuse_network_late(http_response_t *resp, const network_job_t *j, const char *what)
{
    char advice[sizeof(j->cli) + 80];
    snprintf(advice, sizeof(advice), NETWORK_ADVICE "%s", j->cli);
    refuse_late(resp, &j->limits, what, advice);
}

/* Checks the built network against the limits; 0 or -1 after a 413. */
static int within_limits(const network_job_t *j, const network_t *net, http_response_t *resp)
{
    double vertices = j->geojson ? network_geojson_vertices(net) : 0;
    if (network_metrics_cost(net) > j->limits.max_network_cost) {
        refuse_cost(resp, j, net->nnodes, (double)net->nedges, false);
        return -1;
    }
    if (vertices > j->limits.max_network_vertices) {
        http_error(resp, 413,
                   "the GeoJSON of %zu ties would hold %.0f vertices, over the limit of %.0f "
                   "(--max-network-vertices); use /network/metrics or a sparser model",
                   net->nedges, vertices, j->limits.max_network_vertices);
        return -1;
    }
    double bytes = j->geojson ? network_geojson_bytes(net) : network_metrics_bytes(net);
    if (bytes > j->limits.max_response_bytes) {
        refuse_bytes(resp, &j->limits, bytes,
                     j->geojson ? "use /network/metrics, a sparser model or fewer countries"
                                : "choose fewer countries");
        return -1;
    }
    return 0;
}

/* Metrics, then the body; refusals for what stops them. */
static void answer(const network_job_t *j, network_t *net, const network_limits_t *lim,
                   http_response_t *resp)
{
    char what[128];
    int rc = network_metrics_until(net, lim->deadline);
    snprintf(what, sizeof(what), "computing the metrics of %zu towns and %zu ties did not finish",
             net->nnodes, net->nedges);
    buf_t b = BUF_INIT;
    if (rc == ERR_OK) {
        rc = j->geojson ? network_write_geojson_limited(&b, net, lim)
                        : network_write_metrics_limited(&b, net, lim);
        snprintf(what, sizeof(what), "writing the network did not finish");
    }
    if (rc == ERR_OK)
        api_send_buf(resp, &b, j->geojson ? "application/geo+json" : "application/json");
    else if (rc == ERR_TIMEOUT)
        refuse_network_late(resp, j, what);
    else if (rc == ERR_TOOBIG)
        refuse_bytes(resp, &j->limits, (double)b.len, "choose a sparser model or fewer countries");
    else
        http_error(resp, status_of(rc), "computing the network failed: %s", error_str(rc));
    buf_free(&b);
}

static void run_network(void *arg, http_response_t *resp)
{
    network_job_t *j = arg;
    network_limits_t lim = limits_of(&j->limits, http_response_deadline(resp));
    network_t *net = NULL;
    error_t err = {0};
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
    int rc = networks_get_limited(j->ds, &j->params, &lim, &net, &err);
    if (rc == ERR_TIMEOUT)
        refuse_network_late(resp, j, err.message);
    else if (rc == ERR_TOOBIG)
        refuse_ties(resp, j, err.message);
    else if (rc != ERR_OK)
        http_error(resp, status_of(err.code), "%s", err.message);
    else if (within_limits(j, net, resp) == 0)
        answer(j, net, &lim, resp);
    network_unref(net);
}

static void free_network(void *arg)
{
    network_job_t *j = arg;
    dataset_unref(j->ds);
    free(j);
}

/* Refuses at once what the model's size alone puts over a limit: a
 * complete network of 100,000 towns never makes a tie. 0 or -1 after a
 * 413; *small says whether the work is cheap enough to run inline. */
static int refuse_early(const network_job_t *j, const network_source_t *src, http_response_t *resp,
                        bool *small)
{
    network_estimate_t e = network_estimate(src, &j->params);
    double n = (double)e.nodes;
    *small = n * (n + e.ties_max) <= INLINE_COST;
    if (e.ties_min > j->limits.max_ties) {
        char what[128];
        snprintf(what, sizeof(what), "the '%s' network of %zu towns would have %s%.0f ties",
                 network_model_name(j->params.model), e.nodes,
                 e.ties_min < e.ties_max ? "at least " : "", e.ties_min);
        refuse_ties(resp, j, what);
        return -1;
    }
    if (n * (n + e.ties_min) > j->limits.max_network_cost) {
        refuse_cost(resp, j, e.nodes, e.ties_min, e.ties_min < e.ties_max);
        return -1;
    }
    return 0;
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
    bool small = false;
    if (src && network_params_parse(&j->params, http_request_query(req, "model"),
                                    http_request_query(req, "k"), http_request_query(req, "km"),
                                    http_request_query(req, "cross_border"),
                                    http_request_query(req, "country"), &err) != ERR_OK) {
        http_error(resp, status_of(err.code), "%s", err.message);
        src = NULL;
    }
    if (src) cli_command(j);
    if (src && refuse_early(j, src, resp, &small) != 0) src = NULL;
    if (src == NULL) {
        free_network(j);
        return;
    }
    run_or_defer(resp, small, run_network, free_network, j);
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

/* --- networks drawn on maps ------------------------------------------------------ */

int api_map_network(const http_request_t *req, http_response_t *resp, void *ctx, dataset_t *ds,
                    network_params_t *params)
{
    const char *model = http_request_query(req, "network");
    if (model == NULL) return 0;
    const network_source_t *src = network_source(resp, ds);
    error_t err = {0};
    network_job_t j = {.ds = ds, .limits = *app_limits(ctx)};
    if (src == NULL) return -1;
    if (network_params_parse(&j.params, model, http_request_query(req, "k"),
                             http_request_query(req, "km"), http_request_query(req, "cross_border"),
                             NULL, &err) != ERR_OK) {
        http_error(resp, status_of(err.code), "%s", err.message);
        return -1;
    }
    bool small;
    if (refuse_early(&j, src, resp, &small) != 0) return -1;
    *params = j.params;
    return 1;
}

int api_map_network_layer(http_response_t *resp, void *ctx, dataset_t *ds,
                          const network_params_t *params, layer_t **out)
{
    network_job_t j = {.ds = ds, .limits = *app_limits(ctx), .params = *params};
    network_limits_t lim = limits_of(&j.limits, http_response_deadline(resp));
    network_t *net = NULL;
    error_t err = {0};
    int rc = networks_get_limited(ds, params, &lim, &net, &err);
    if (rc == ERR_TIMEOUT)
        refuse_network_late(resp, &j, err.message);
    else if (rc == ERR_TOOBIG)
        refuse_ties(resp, &j, err.message);
    else if (rc != ERR_OK)
        http_error(resp, status_of(err.code), "%s", err.message);
    else if ((rc = network_to_layer(net, "network", "ties", out, &err)) != ERR_OK)
        http_error(resp, 500, "%s", err.message);
    network_unref(net);
    return rc;
}
