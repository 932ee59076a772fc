/* GET /map.png, /map.svg, /map.pdf: a static map of a bbox or a centre and
 * zoom, rendered on the worker pool. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_map.h"
#include "data/crs.h"
#include "util/clock.h"
#include "api/app.h"

#define MAX_PX           API_MAP_MAX_PX
#define SMALL_MAP_PIXELS (1024.0 * 1024.0)

static void render_map_job(void *arg, http_response_t *resp)
{
    map_job_t *j = arg;
    static const char *const types[] = {"image/png", "image/svg+xml", "application/pdf"};
    unsigned char *data = NULL;
    size_t len = 0;
    error_t err = {0};
    int64_t start = clock_now_ns();
    layer_t *ties = NULL;
    render_overlay_t overlay = {tiles_ties_style(j->tiles), NULL};
    if (j->network && api_map_network_layer(resp, j->ctx, j->ds, &j->params, &ties) != ERR_OK) {
        tiles_count_render(j->tiles, TILES_RENDER_MAP, clock_now_ns() - start);
        return; /* the response has the error */
    }
    overlay.data = ties;
    render_options_t opt = j->opt;
    opt.overlay = ties ? &overlay : NULL;
    opt.attribution = j->attribution ? dataset_attribution_short(j->ds) : NULL;
    if (render_static(&j->view, j->style, j->ds, &opt, j->format, &data, &len, &err) != ERR_OK)
        http_error(resp, 500, "%s", err.message);
    else
        http_response_body(resp, 200, types[j->format], (char *)data, len);
    layer_destroy(ties);
    tiles_count_render(j->tiles, TILES_RENDER_MAP, clock_now_ns() - start);
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
}

void api_map_job_free(void *arg)
{
    map_job_t *j = arg;
    dataset_unref(j->ds);
    free(j);
}

void api_map_ref(void *ctx, double ref[2])
{
    dataset_t *ds = app_acquire(ctx);
    bbox_t all = dataset_extent(ds);
    dataset_unref(ds);
    ref[0] = bbox_is_empty(all) ? NAN : (all.minx + all.maxx) / 2;
    ref[1] = bbox_is_empty(all) ? NAN : (all.miny + all.maxy) / 2;
}

map_job_t *api_map_job(http_response_t *resp, void *ctx)
{
    map_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        http_error(resp, 503, "out of memory");
        return NULL;
    }
    job->tiles = app_tiles(ctx);
    job->ctx = ctx;
    job->ds = app_acquire(ctx);
    return job;
}

void api_map_queue(http_response_t *resp, map_job_t *job)
{
    const render_view_t *v = &job->view;
    double pixels = v->width * v->scale * v->height * v->scale;
    double max = app_limits(job->ctx)->max_map_pixels;
    if (pixels > max) {
        http_error(resp, 413,
                   "a map of %.0f pixels is over the limit of %.0f (width x height x scale^2)",
                   pixels, max);
        api_map_job_free(job);
        return;
    }
    bool heavy = pixels > SMALL_MAP_PIXELS || job->network;
    http_defer(resp, heavy ? HTTP_WORK_HEAVY : HTTP_WORK_TILE, render_map_job, api_map_job_free,
               job);
}

/* Exactly `want` finite numbers. */
int api_finite_numbers(const char *text, double *v, int want)
{
    if (text == NULL || http_parse_numbers(text, v, want) != want) return -1;
    for (int i = 0; i < want; i++)
        if (!isfinite(v[i])) return -1;
    return 0;
}

int api_whole(const char *text, int lo, int hi, int *out)
{
    char *end;
    long v = text && *text ? strtol(text, &end, 10) : 0;
    if (text == NULL || *text == '\0' || *end != '\0' || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int size_param(const http_request_t *req, const char *name, int def, int *out,
                      http_response_t *resp)
{
    const char *text = http_request_query(req, name);
    *out = def;
    if (text && api_whole(text, 1, MAX_PX, out) != 0) {
        http_error(resp, 400, "%s: must be a whole number of pixels, 1..%d", name, MAX_PX);
        return -1;
    }
    return 0;
}

/* Fills the view from bbox or center+zoom; sets a 400 and returns -1. */
static int parse_view(const http_request_t *req, http_response_t *resp, void *ctx, render_view_t *v,
                      int max_zoom)
{
    int width, height;
    double scale = 1, b[4], c[2], zoom;
    const char *bbox = http_request_query(req, "bbox"), *center = http_request_query(req, "center");
    const char *zt = http_request_query(req, "zoom"), *st = http_request_query(req, "scale");
    if (size_param(req, "width", 800, &width, resp) ||
        size_param(req, "height", 600, &height, resp))
        return -1;
    if (st && strcmp(st, "1") != 0 && strcmp(st, "2") != 0) {
        http_error(resp, 400, "scale: 1 or 2");
        return -1;
    }
    scale = st ? atof(st) : 1;
    const char *crs_text = http_request_query(req, "crs");
    if (crs_text) {
        error_t err = {0};
        const crs_t *crs = crs_get(crs_text, &err);
        if (crs == NULL) {
            http_error(resp, 400, "crs: %s", err.message);
            return -1;
        }
        if (!bbox || api_finite_numbers(bbox, b, 4) || b[0] >= b[2] || b[1] >= b[3]) {
            http_error(resp, 400,
                       "with crs, give bbox=minx,miny,maxx,maxy in its units, "
                       "easting first, min < max");
            return -1;
        }
        double ref[2];
        api_map_ref(ctx, ref);
        if (render_crs_view(crs, (bbox_t){b[0], b[1], b[2], b[3]}, width, height, scale, ref, v,
                            &err) != ERR_OK) {
            http_error(resp, 400, "bbox: %s", err.message);
            return -1;
        }
        return 0;
    }
    if (bbox) {
        if (api_finite_numbers(bbox, b, 4) || b[0] >= b[2] || b[1] >= b[3] || b[0] < -180 ||
            b[2] > 180 || b[1] < -CRS_MERC_MAX_LAT || b[3] > CRS_MERC_MAX_LAT) {
            http_error(resp, 400,
                       "bbox: want west,south,east,north in degrees, west < east, "
                       "south < north");
            return -1;
        }
        *v = render_bbox_view((bbox_t){b[0], b[1], b[2], b[3]}, width, height, scale, max_zoom);
        return 0;
    }
    char *end = NULL;
    zoom = zt ? strtod(zt, &end) : -1;
    if (!center || api_finite_numbers(center, c, 2) || fabs(c[0]) > 180 ||
        fabs(c[1]) > CRS_MERC_MAX_LAT || !zt || *end != '\0' || !(zoom >= 0 && zoom <= max_zoom)) {
        http_error(resp, 400,
                   "give bbox=west,south,east,north, or center=lon,lat and "
                   "zoom=0..%d",
                   max_zoom);
        return -1;
    }
    *v = render_center_view(c[0], c[1], zoom, width, height, scale);
    return 0;
}

void api_map(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = app_tiles(ctx);
    static const char *const known[] = {
        "bbox", "center", "zoom", "width",   "height", "style", "scale",        "north",
        "lang", "labels", "crs",  "network", "k",      "km",    "cross_border", NULL};
    const char *path = http_request_path(req), *bad = http_request_unknown_query(req, known);
    static_format_t format = strstr(path, ".svg")   ? STATIC_SVG
                             : strstr(path, ".pdf") ? STATIC_PDF
                                                    : STATIC_PNG;
    if (t == NULL) {
        http_error(resp, 404, "this server renders no maps");
        return;
    }
    if (bad) {
        http_error(resp, 400, "unknown parameter '%.60s'", bad);
        return;
    }
    const char *name = http_request_query(req, "style"), *lang;
    bool bilingual;
    if (api_map_language(req, resp, &lang, &bilingual) != 0) return;
    const style_t *style = tiles_style_lang(t, name ? name : "default", lang, bilingual);
    if (style == NULL) {
        http_error(resp, 404, "no style '%.60s'; see /tiles", name ? name : "default");
        return;
    }
    render_view_t view;
    if (parse_view(req, resp, ctx, &view, tiles_max_zoom(t)) != 0) return;
    const char *north = http_request_query(req, "north");
    map_job_t *job = api_map_job(resp, ctx);
    if (job == NULL) return;
    job->view = view;
    job->view.whole_labels = true; /* one image: no label cut at its edge */
    job->style = style;
    job->format = format;
    job->attribution = true;
    job->opt.north_arrow = north && (strcmp(north, "true") == 0 || strcmp(north, "1") == 0);
    int wanted = api_map_network(req, resp, ctx, job->ds, &job->params);
    if (wanted < 0) {
        api_map_job_free(job);
        return;
    }
    job->network = wanted == 1;
    api_map_queue(resp, job);
}
