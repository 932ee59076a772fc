/* GET /distances, /network and /network/metrics: parse, ask the dataset
 * for a (cached) network or the geodesics, encode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "app.h"
#include "geodesy.h"
#include "network_out.h"
#include "ogcapi.h"

/* Refuses parameters an endpoint does not know, naming the first. */
static int only_known(const http_request_t *req, http_response_t *resp, const char *const *names)
{
    const char *bad = http_request_unknown_query(req, names);
    if (bad == NULL) return 0;
    http_error(resp, 400, "unknown parameter '%.60s'", bad);
    return -1;
}

/* The dataset and its network source, or NULL after a 404. */
static const network_source_t *network_source(http_response_t *resp, dataset_t *ds)
{
    const network_source_t *src = dataset_network_source(ds);
    if (src == NULL) http_error(resp, 404, "this project defines no towns network");
    http_response_last_modified(resp, dataset_loaded_at(ds));
    return src;
}

static int status_of(int code)
{
    return code == ERR_INVALID ? 400 : code == ERR_NOTFOUND ? 404 : 500;
}

void api_distances(const http_request_t *req, http_response_t *resp, void *ctx)
{
    static const char *const names[] = {"from", "to", "f", "layout", NULL};
    const char *f = http_request_query(req, "f"), *layout = http_request_query(req, "layout");
    if (only_known(req, resp, names) != 0) return;
    distances_format_t format = DISTANCES_JSON;
    if (f && strcmp(f, "csv") == 0)
        format = layout && strcmp(layout, "pairs") == 0 ? DISTANCES_CSV_PAIRS : DISTANCES_CSV;
    else if (f && strcmp(f, "json") != 0) {
        http_error(resp, 406, "f=%.40s is not offered; use f=json or f=csv", f);
        return;
    }
    if (layout && strcmp(layout, "pairs") != 0 && strcmp(layout, "matrix") != 0) {
        http_error(resp, 400, "layout: use matrix or pairs");
        return;
    }
    dataset_t *ds = app_acquire(ctx);
    const network_source_t *src = network_source(resp, ds);
    uint32_t *from = NULL, *to = NULL;
    size_t nfrom = 0, nto = 0;
    error_t err = {0};
    if (src && (network_find_nodes(src, http_request_query(req, "from"), &from, &nfrom, &err) ||
                network_find_nodes(src, http_request_query(req, "to"), &to, &nto, &err))) {
        http_error(resp, 400, "%s%s", from == NULL ? "from: " : "to: ", err.message);
    } else if (src) {
        buf_t b = BUF_INIT;
        network_write_distances(&b, src, from, nfrom, to, nto, format);
        ogc_send_buf(resp, &b,
                     format == DISTANCES_JSON ? "application/json"
                                              : "text/csv; charset=utf-8; header=present");
    }
    free(from);
    free(to);
    dataset_unref(ds);
}

/* Parses the network parameters and gets the network, or sets an error. */
static network_t *network_for(const http_request_t *req, http_response_t *resp, dataset_t *ds)
{
    static const char *const names[] = {"model", "k", "km", "cross_border", "country", "f", NULL};
    const char *f = http_request_query(req, "f");
    if (only_known(req, resp, names) != 0 || network_source(resp, ds) == NULL) return NULL;
    if (f && strcmp(f, "json") != 0 && strcmp(f, "geojson") != 0) {
        http_error(resp, 406, "f=%.40s is not offered; use f=json", f);
        return NULL;
    }
    network_params_t params;
    network_t *net = NULL;
    error_t err = {0};
    if (network_params_parse(&params, http_request_query(req, "model"),
                             http_request_query(req, "k"), http_request_query(req, "km"),
                             http_request_query(req, "cross_border"),
                             http_request_query(req, "country"), &err) != ERR_OK ||
        dataset_network(ds, &params, &net, &err) != ERR_OK)
        http_error(resp, status_of(err.code), "%s", err.message);
    return net;
}

static void send_network(const http_request_t *req, http_response_t *resp, void *ctx,
                         void (*write)(buf_t *, const network_t *), const char *type)
{
    dataset_t *ds = app_acquire(ctx);
    network_t *net = network_for(req, resp, ds);
    if (net && network_metrics(net) != ERR_OK) {
        http_error(resp, 500, "out of memory computing the network metrics");
    } else if (net) {
        buf_t b = BUF_INIT;
        write(&b, net);
        ogc_send_buf(resp, &b, type);
    }
    network_unref(net);
    dataset_unref(ds);
}

void api_network(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_network(req, resp, ctx, network_write_geojson, "application/geo+json");
}

void api_network_metrics(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_network(req, resp, ctx, network_write_metrics, "application/json");
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
    ogc_send_buf(resp, &b, "application/json");
}
