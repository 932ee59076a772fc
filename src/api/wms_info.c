/* WMS GetFeatureInfo: the features under a pixel of a GetMap, topmost
 * layer first (polygons that hold the pixel's centre, points and lines
 * within HIT_PX), with their attributes, and towns with the metrics of
 * the default network. Run on the heavy queue: the metrics of a big
 * network take time, under the request's deadline. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/send.h"
#include "api/wms.h"
#include "data/geojson.h"
#include "network/networks.h"
#include "render/reproject.h"

#define HIT_PX            5.0
#define MAX_FEATURE_COUNT 50

typedef enum info_format { INFO_JSON, INFO_GEOJSON, INFO_HTML, INFO_TEXT } info_format_t;

typedef struct info_job {
    wms_map_t m;
    void *ctx;
    dataset_t *ds;
    info_format_t format;
    int i, j, count;
    size_t nquery;
    char query[WMS_MAX_LAYERS][64];
} info_job_t;

typedef struct hit {
    const layer_t *layer;
    uint32_t feature;
} hit_t;

/* Distance in pixels from (px, py) to segment a-b, all in pixels. */
static double seg_dist(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
    t = fmax(0, fmin(1, t));
    return hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/* Is g (x/y in the CRS, g->merc) within HIT_PX of the point (x, y)? */
static bool near(const geom_t *g, double x, double y, double rx, double ry)
{
    if (g->type == GEOM_POINT || g->type == GEOM_MULTIPOINT) {
        for (uint32_t k = 0; k < g->npoints; k++)
            if (hypot((g->merc[2 * k] - x) / rx, (g->merc[2 * k + 1] - y) / ry) <= HIT_PX)
                return true;
        return false;
    }
    for (uint32_t p = 0; p < g->nparts; p++)
        for (uint32_t k = g->part_start[p] + 1; k < g->part_start[p + 1]; k++) {
            const double *a = &g->merc[2 * (k - 1)], *b = &g->merc[2 * k];
            if (seg_dist(x / rx, y / ry, a[0] / rx, a[1] / ry, b[0] / rx, b[1] / ry) <= HIT_PX)
                return true;
        }
    return false;
}

/* The top of the style's layers drawing source: later is higher. */
static int rank_of(const style_t *style, const char *source)
{
    int rank = -1;
    for (size_t i = 0; i < style_layer_count(style); i++) {
        const char *s = style_layer_source(style_layer(style, i));
        if (s && strcmp(s, source) == 0) rank = (int)i;
    }
    return rank;
}

/* Up to count features of layer at the point, appended to hits. */
static size_t layer_hits(info_job_t *j, const layer_t *layer, double x, double y, double lon,
                         double lat, bbox_t near_ll, hit_t *hits, size_t nhits)
{
    projected_t *own = NULL;
    const projected_t *proj = reproject_get(j->ds, layer, j->m.crs, &own);
    uint32_t *ids = NULL;
    size_t n = proj ? layer_query_bbox(layer, near_ll, &ids) : 0, found = 0;
    double rx = (j->m.box.maxx - j->m.box.minx) / j->m.width;
    double ry = (j->m.box.maxy - j->m.box.miny) / j->m.height;
    for (size_t k = 0; k < n && n != (size_t)-1 && (int)found < j->count; k++) {
        const geom_t *g = layer->features[ids[k]].geom, *pg = proj->geoms[ids[k]];
        bool area = g->type == GEOM_POLYGON || g->type == GEOM_MULTIPOLYGON;
        if (pg == NULL || !(area ? geom_contains_point(g, lon, lat) : near(pg, x, y, rx, ry)))
            continue;
        hits[nhits + found++] = (hit_t){layer, ids[k]};
    }
    free(ids);
    reproject_free(own);
    return found;
}

/* The metrics of the default network for town f, or NULL. */
static const graph_node_metrics_t *town_metrics(network_t *net, const layer_t *layer, uint32_t f)
{
    if (net == NULL || net->nodes_layer != layer || net->metrics == NULL) return NULL;
    for (size_t k = 0; k < net->nnodes; k++)
        if (net->node_feature[k] == f) return &net->metrics[k];
    return NULL;
}

static network_t *default_network(info_job_t *j, http_response_t *resp)
{
    const network_source_t *src = networks_source(j->ds);
    network_params_t params;
    network_t *net = NULL;
    if (src == NULL || network_params_parse(&params, NULL, NULL, NULL, NULL, NULL, NULL) != ERR_OK)
        return NULL;
    const app_limits_t *al = app_limits(j->ctx);
    network_limits_t lim = {http_response_deadline(resp), (size_t)al->max_ties,
                            (size_t)al->max_response_bytes};
    if (networks_get_limited(j->ds, &params, &lim, &net, NULL) != ERR_OK) return NULL;
    double cost = (double)net->nnodes * (double)(net->nnodes + net->nedges);
    if (cost > al->max_network_cost ||
        network_metrics_until(net, http_response_deadline(resp)) != ERR_OK) {
        network_unref(net);
        return NULL;
    }
    return net;
}

static void metric_json(buf_t *b, const graph_node_metrics_t *mt)
{
    buf_printf(b, ",\"degree\":%u,\"weighted_degree\":", mt->degree);
    geojson_number(b, mt->weighted_degree);
    buf_puts(b, ",\"closeness\":");
    geojson_number(b, mt->closeness);
    buf_puts(b, ",\"betweenness\":");
    geojson_number(b, mt->betweenness);
}

static void write_json(buf_t *b, const hit_t *hits, size_t n, network_t *net)
{
    buf_puts(b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (size_t k = 0; k < n; k++) {
        const layer_t *l = hits[k].layer;
        const feature_t *f = &l->features[hits[k].feature];
        const graph_node_metrics_t *mt = town_metrics(net, l, hits[k].feature);
        buf_puts(b, k ? ",{\"type\":\"Feature\",\"id\":" : "{\"type\":\"Feature\",\"id\":");
        geojson_id(b, f->id);
        buf_puts(b, ",\"layer\":");
        geojson_string(b, l->id);
        buf_puts(b, ",\"geometry\":");
        geojson_geometry(b, f->geom, CRS_CRS84);
        buf_puts(b, ",\"properties\":");
        geojson_properties(b, l, f, NULL);
        if (mt) {
            b->len--; /* reopen the properties object */
            metric_json(b, mt);
            buf_puts(b, "}");
        }
        buf_puts(b, "}");
    }
    buf_puts(b, "]}");
}

static void quoted(buf_t *b, const char *s)
{
    buf_printf(b, "'%s'", s);
}

/* Field k of f for the HTML or the text answer (nulls: empty, NULL). */
static void value_text(buf_t *b, const layer_t *l, const feature_t *f, size_t k, bool html)
{
    const value_t *v = &f->values[k];
    if (v->is_null)
        buf_puts(b, html ? "" : "NULL");
    else
        geojson_value_as(b, l->fields[k].type, v, html ? wms_xml : quoted);
}

static void write_text(buf_t *b, const hit_t *hits, size_t n, network_t *net, bool html)
{
    if (html)
        buf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Feature info"
                    "</title></head><body>\n");
    if (n == 0) buf_puts(b, html ? "<p>No features here.</p>\n" : "No features here.\n");
    for (size_t h = 0; h < n; h++) {
        const layer_t *l = hits[h].layer;
        const feature_t *f = &l->features[hits[h].feature];
        const graph_node_metrics_t *mt = town_metrics(net, l, hits[h].feature);
        if (html) {
            buf_puts(b, "<table>\n<caption>");
            wms_xml(b, l->id);
            buf_puts(b, " ");
            wms_xml(b, f->id);
            buf_puts(b, "</caption>\n");
        } else {
            buf_printf(b, "Layer '%s'\n  Feature %s:\n", l->id, f->id);
        }
        for (size_t k = 0; k < l->nfields; k++) {
            if (html) {
                buf_puts(b, "<tr><th>");
                wms_xml(b, l->fields[k].name);
                buf_puts(b, "</th><td>");
            } else {
                buf_printf(b, "    %s = ", l->fields[k].name);
            }
            value_text(b, l, f, k, html);
            buf_puts(b, html ? "</td></tr>\n" : "\n");
        }
        if (mt && html)
            buf_printf(b,
                       "<tr><th>degree</th><td>%u</td></tr><tr><th>weighted_degree</th>"
                       "<td>%.3f</td></tr><tr><th>closeness</th><td>%.6f</td></tr>"
                       "<tr><th>betweenness</th><td>%.6f</td></tr>\n",
                       mt->degree, mt->weighted_degree, mt->closeness, mt->betweenness);
        else if (mt)
            buf_printf(b,
                       "    degree = %u\n    weighted_degree = %.3f\n    closeness = %.6f\n"
                       "    betweenness = %.6f\n",
                       mt->degree, mt->weighted_degree, mt->closeness, mt->betweenness);
        if (html) buf_puts(b, "</table>\n");
    }
    if (html) buf_puts(b, "</body></html>\n");
}

static void run_info(void *arg, http_response_t *resp)
{
    info_job_t *j = arg;
    double rx = (j->m.box.maxx - j->m.box.minx) / j->m.width;
    double ry = (j->m.box.maxy - j->m.box.miny) / j->m.height;
    double xy[2] = {j->m.box.minx + (j->i + 0.5) * rx, j->m.box.maxy - (j->j + 0.5) * ry}, ll[2];
    bbox_t near_ll;
    bbox_t near_xy = {xy[0] - HIT_PX * rx, xy[1] - HIT_PX * ry, xy[0] + HIT_PX * rx,
                      xy[1] + HIT_PX * ry};
    hit_t *hits = calloc(WMS_MAX_LAYERS * MAX_FEATURE_COUNT, sizeof(hit_t));
    size_t n = 0;
    if (hits == NULL) {
        http_error(resp, 503, "out of memory");
        return;
    }
    if (crs_inverse(j->m.crs, xy, ll, 1) == 1 &&
        crs_box_to_lonlat(j->m.crs, near_xy, &near_ll) == 0) {
        /* the query layers, topmost first */
        int order[WMS_MAX_LAYERS];
        for (size_t k = 0; k < j->nquery; k++)
            order[k] = (int)k;
        for (size_t a = 1; a < j->nquery; a++) /* insertion sort: at most 16 */
            for (size_t b = a; b > 0 && rank_of(j->m.style, j->query[order[b]]) >
                                            rank_of(j->m.style, j->query[order[b - 1]]);
                 b--) {
                int t = order[b];
                order[b] = order[b - 1];
                order[b - 1] = t;
            }
        for (size_t k = 0; k < j->nquery; k++) {
            const layer_t *layer = dataset_find_layer(j->ds, j->query[order[k]]);
            if (layer) n += layer_hits(j, layer, xy[0], xy[1], ll[0], ll[1], near_ll, hits, n);
        }
    }
    network_t *net = NULL;
    for (size_t k = 0; k < n && net == NULL; k++) {
        const network_source_t *src = networks_source(j->ds);
        if (src && hits[k].layer == src->nodes) net = default_network(j, resp);
    }
    buf_t b = BUF_INIT;
    static const char *const types[] = {"application/json", "application/geo+json",
                                        "text/html; charset=utf-8", "text/plain; charset=utf-8"};
    if (j->format == INFO_JSON || j->format == INFO_GEOJSON)
        write_json(&b, hits, n, net);
    else
        write_text(&b, hits, n, net, j->format == INFO_HTML);
    network_unref(net);
    free(hits);
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
    api_send_buf(resp, &b, types[j->format]);
}

static void free_info(void *arg)
{
    info_job_t *j = arg;
    dataset_unref(j->ds);
    free(j);
}

static int parse_format(const char *f, info_format_t *out)
{
    static const char *const names[] = {"application/json", "application/geo+json", "text/html",
                                        "text/plain"};
    if (f == NULL) {
        *out = INFO_TEXT;
        return 0;
    }
    for (int k = 0; k < 4; k++)
        if (strcasecmp(f, names[k]) == 0) {
            *out = (info_format_t)k;
            return 0;
        }
    return -1;
}

/* QUERY_LAYERS: each among LAYERS (the root stands for its collections)
 * and queryable (a collection). */
static int parse_query_layers(const wms_params_t *p, http_response_t *resp, info_job_t *j)
{
    bool v111 = j->m.v111, root = false;
    const char *text = p->query_layers;
    if (text == NULL || *text == '\0') {
        wms_exception(resp, v111, "MissingParameterValue", "QUERY_LAYERS is missing");
        return -1;
    }
    for (size_t k = 0; k < j->m.nlayers; k++)
        root = root || strcmp(j->m.layers[k], WMS_ROOT) == 0;
    j->nquery = 0;
    for (const char *s = text;;) {
        size_t len = strcspn(s, ",");
        if (j->nquery == WMS_MAX_LAYERS || len >= 64) {
            wms_exception(resp, v111, "InvalidParameterValue", "QUERY_LAYERS: too many");
            return -1;
        }
        char *name = j->query[j->nquery];
        memcpy(name, s, len);
        name[len] = '\0';
        bool listed = false;
        for (size_t k = 0; k < j->m.nlayers; k++)
            listed = listed || strcmp(j->m.layers[k], name) == 0;
        bool collection = dataset_find_layer(j->ds, name) != NULL;
        if (!wms_layer_known(j->ds, name) || (!listed && !(root && collection))) {
            wms_exception(resp, v111, "LayerNotDefined",
                          "QUERY_LAYERS: '%.63s' is not among LAYERS", name);
            return -1;
        }
        if (!collection && strcmp(name, WMS_ROOT) != 0) {
            wms_exception(resp, v111, "LayerNotQueryable", "layer '%.63s' is not queryable", name);
            return -1;
        }
        if (strcmp(name, WMS_ROOT) == 0) { /* the group: every collection */
            for (size_t k = 0; k < dataset_layer_count(j->ds) && j->nquery < WMS_MAX_LAYERS; k++)
                snprintf(j->query[j->nquery++], 64, "%s", dataset_layer(j->ds, k)->id);
        } else {
            j->nquery++;
        }
        if (s[len] == '\0') return 0;
        s += len + 1;
    }
}

void wms_feature_info(const wms_params_t *p, http_response_t *resp, void *ctx)
{
    info_job_t *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        http_error(resp, 503, "out of memory");
        return;
    }
    j->ctx = ctx;
    j->ds = app_acquire(ctx);
    j->m.v111 = p->version && strcmp(p->version, "1.1.1") == 0;
    bool v111 = j->m.v111;
    const char *ti = v111 ? p->x : p->i, *tj = v111 ? p->y : p->j;
    if (wms_parse_map(p, resp, ctx, j->ds, &j->m) != 0 || parse_query_layers(p, resp, j) != 0)
        goto fail;
    if (parse_format(p->info_format, &j->format) != 0) {
        wms_exception(resp, v111, "InvalidFormat",
                      "INFO_FORMAT: application/json, application/geo+json, text/html or "
                      "text/plain");
        goto fail;
    }
    if (ti == NULL || tj == NULL) {
        wms_exception(resp, v111, "MissingParameterValue", "%s and %s are needed", v111 ? "X" : "I",
                      v111 ? "Y" : "J");
        goto fail;
    }
    if (api_whole(ti, 0, j->m.width - 1, &j->i) || api_whole(tj, 0, j->m.height - 1, &j->j)) {
        wms_exception(resp, v111, "InvalidPoint", "%s, %s: a pixel of the map, 0..%d, 0..%d",
                      v111 ? "X" : "I", v111 ? "Y" : "J", j->m.width - 1, j->m.height - 1);
        goto fail;
    }
    j->count = 1;
    if (p->feature_count && api_whole(p->feature_count, 1, MAX_FEATURE_COUNT, &j->count)) {
        wms_exception(resp, v111, "InvalidParameterValue", "FEATURE_COUNT: 1..%d",
                      MAX_FEATURE_COUNT);
        goto fail;
    }
    for (size_t k = 0; k < j->m.nlayers; k++) /* the copy's own strings */
        j->m.layers[k] = j->m.layer_text[k];
    http_defer(resp, HTTP_WORK_HEAVY, run_info, free_info, j);
    return;
fail:
    free_info(j);
}
