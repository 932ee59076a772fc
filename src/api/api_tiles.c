/* GET /tiles, /tiles/{style}.json (TileJSON), /tiles/{style}/{z}/{x}/{y}.png
 * (and @2x) and /map.{png,svg,pdf}. Cached tiles are answered on the HTTP
 * thread; rendering is deferred to the worker pool. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/networks.h"
#include "api/api.h"
#include "data/crs.h"
#include "api/app.h"
#include "api/send.h"
#include "api/ogcapi.h"
#include "render/render_static.h"
#include "render/tiles.h"

#define STATIC_MAX_PX 4096

/* --- parsing ------------------------------------------------------------------ */

static int parse_uint(const char *text, size_t len, uint32_t *out)
{
    if (len == 0 || len > 9 || strspn(text, "0123456789") < len) return -1;
    *out = 0;
    for (size_t i = 0; i < len; i++)
        *out = *out * 10 + (uint32_t)(text[i] - '0');
    return 0;
}

/* "123.png" or "123@2x.png". */
static int parse_y(const char *text, uint32_t *y, double *scale)
{
    size_t digits = strspn(text, "0123456789");
    const char *rest = text + digits;
    if (strcmp(rest, ".png") == 0)
        *scale = 1;
    else if (strcmp(rest, "@2x.png") == 0)
        *scale = 2;
    else
        return -1;
    return parse_uint(text, digits, y);
}

static tiles_t *tiles_or_404(http_response_t *resp, void *ctx)
{
    tiles_t *t = app_tiles(ctx);
    if (t == NULL) http_error(resp, 404, "this server renders no tiles");
    return t;
}

static void release_blob(void *blob)
{
    tile_blob_unref(blob);
}

/* The cached bytes go out as they are: the response holds a reference. */
static void send_blob(http_response_t *resp, tile_blob_t *blob)
{
    http_response_body_ref(resp, 200, "image/png", blob->data, blob->len, release_blob, blob);
    http_response_header(resp, "ETag", blob->etag);
}

/* --- tiles -------------------------------------------------------------------- */

typedef struct tile_job {
    tiles_t *tiles;
    dataset_t *ds; /* a reference, released by the job */
    const style_t *style;
    tile_t tile;
    double scale;
} tile_job_t;

static void render_tile_job(void *arg, http_response_t *resp)
{
    tile_job_t *j = arg;
    tile_blob_t *blob = NULL;
    error_t err = {0};
    if (tiles_get(j->tiles, j->ds, j->style, j->tile, j->scale, &blob, &err) != ERR_OK)
        http_error(resp, 500, "%s", err.message);
    else
        send_blob(resp, blob); /* the response takes the reference */
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
}

static void free_tile_job(void *arg)
{
    tile_job_t *j = arg;
    dataset_unref(j->ds);
    free(j);
}

static int parse_tile(const http_request_t *req, http_response_t *resp, const tiles_t *t,
                      tile_t *tile, double *scale)
{
    const char *zt = http_request_param(req, "z"), *xt = http_request_param(req, "x");
    uint32_t z, x, y;
    if (parse_uint(zt, strlen(zt), &z) || parse_uint(xt, strlen(xt), &x) ||
        parse_y(http_request_param(req, "y"), &y, scale)) {
        http_error(resp, 400,
                   "tile address must be /tiles/{style}/{z}/{x}/{y}.png or "
                   "{y}@2x.png with whole numbers");
        return -1;
    }
    *tile = (tile_t){(int)(z > 99 ? 99 : z), x, y};
    if (!tile_valid(*tile, tiles_max_zoom(t))) {
        http_error(resp, 404, "no tile %u/%u/%u: zoom runs 0..%d and x, y 0..2^zoom-1", z, x, y,
                   tiles_max_zoom(t));
        return -1;
    }
    return 0;
}

void api_tile(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = tiles_or_404(resp, ctx);
    tile_t tile;
    double scale;
    if (t == NULL || parse_tile(req, resp, t, &tile, &scale) != 0) return;
    const char *name = http_request_param(req, "style");
    const style_t *style = tiles_style(t, name);
    if (style == NULL) {
        http_error(resp, 404, "no style '%.60s'; see /tiles", name);
        return;
    }
    dataset_t *ds = app_acquire(ctx);
    tile_blob_t *blob = tiles_peek(t, ds, style, tile, scale);
    if (blob) { /* the common case: straight from the cache, no thread hop */
        send_blob(resp, blob);
        http_response_last_modified(resp, dataset_loaded_at(ds));
        dataset_unref(ds);
        return;
    }
    tile_job_t *job = malloc(sizeof(*job));
    if (job == NULL) {
        dataset_unref(ds);
        http_error(resp, 500, "out of memory");
        return;
    }
    *job = (tile_job_t){t, ds, style, tile, scale};
    http_defer(resp, HTTP_WORK_TILE, render_tile_job, free_tile_job, job);
}

/* --- TileJSON and the list of styles --------------------------------------------- */

static json_t *tilejson(const style_t *style, const tiles_t *t, dataset_t *ds, const char *base)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/tiles/%s/{z}/{x}/{y}.png", base, style_id(style));
    /* Bounds: every layer; centre: the towns (or everything) at zoom 9. */
    bbox_t all = bbox_empty(), focus = bbox_empty();
    for (size_t i = 0; i < dataset_layer_count(ds); i++)
        all = bbox_union(all, dataset_layer(ds, i)->extent);
    const network_source_t *src = networks_source(ds);
    focus = src ? src->nodes->extent : all;
    const char *attr = dataset_attribution_short(ds);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:i, s:i, s:[ffff], s:[ffi], s:s}", "tilejson",
                     "3.0.0", "name", style_title(style), "scheme", "xyz", "tiles", url,
                     "attribution", attr ? attr : "", "minzoom", 0, "maxzoom", tiles_max_zoom(t),
                     "bounds", fmax(all.minx, -180), fmax(all.miny, -CRS_MERC_MAX_LAT),
                     fmin(all.maxx, 180), fmin(all.maxy, CRS_MERC_MAX_LAT), "center",
                     (focus.minx + focus.maxx) / 2, (focus.miny + focus.maxy) / 2, 9, "version",
                     COOPMAP_VERSION);
}

void api_tilejson(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = tiles_or_404(resp, ctx);
    if (t == NULL) return;
    const char *name = http_request_param(req, "style");
    size_t n = strlen(name);
    char id[128];
    if (n <= 5 || n > 100 || strcmp(name + n - 5, ".json") != 0) {
        http_error(resp, 404, "no resource at %s; TileJSON is /tiles/{style}.json",
                   http_request_path(req));
        return;
    }
    snprintf(id, sizeof(id), "%.*s", (int)(n - 5), name);
    const style_t *style = tiles_style(t, id);
    if (style == NULL) {
        http_error(resp, 404, "no style '%s'; see /tiles", id);
        return;
    }
    char base[256];
    ogc_base_url(req, ctx, base, sizeof(base));
    dataset_t *ds = app_acquire(ctx);
    http_response_last_modified(resp, dataset_loaded_at(ds));
    api_send_json(resp, tilejson(style, t, ds, base), "application/json");
    dataset_unref(ds);
}

void api_tiles_list(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = tiles_or_404(resp, ctx);
    if (t == NULL) return;
    char base[256], url[512];
    ogc_base_url(req, ctx, base, sizeof(base));
    json_t *list = json_array();
    for (size_t i = 0; i < tiles_style_count(t); i++) {
        const style_t *s = tiles_style_at(t, i);
        snprintf(url, sizeof(url), "%s/tiles/%s.json", base, style_id(s));
        json_t *item = json_pack("{s:s, s:s, s:s}", "id", style_id(s), "title", style_title(s),
                                 "tilejson", url);
        snprintf(url, sizeof(url), "%s/tiles/%s/{z}/{x}/{y}.png", base, style_id(s));
        json_object_set_new(item, "tiles", json_string(url));
        json_array_append_new(list, item);
    }
    api_send_json(resp, json_pack("{s:o}", "styles", list), "application/json");
}
