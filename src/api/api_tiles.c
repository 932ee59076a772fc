/* GET /tiles, /tiles/{style}.json (TileJSON), /tiles/{style}/{z}/{x}/{y}.png
 * (and @2x), the vector tiles /tiles/vector/{z}/{x}/{y}.mvt and their
 * /tiles/vector.json, and /map.{png,svg,pdf}. Cached tiles are answered on the HTTP
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
#include "data/tilesets.h"
#include "util/hash.h"

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

/* The cached bytes go out as they are: the response holds a reference. */
static void send_blob(http_response_t *resp, tile_blob_t *blob)
{
    api_send_blob(resp, blob, "image/png");
}

/* --- tiles -------------------------------------------------------------------- */

typedef struct tile_job {
    tiles_t *tiles;
    dataset_t *ds; /* a reference, released by the job */
    const style_t *style;
    tile_t tile;
    double scale;
    char layer[128];  /* vector tiles: one layer ("": all) */
    tile_grid_t grid; /* vector tiles */
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

/* A tile of a pre-rendered tile set: read on this thread (a lookup and
 * one read of a few kilobytes), with the ETag a rendered tile of the same
 * bytes has. */
static void send_archived(http_response_t *resp, dataset_t *ds, const tileset_t *set, tile_t tile,
                          double scale)
{
    if (scale != 1) {
        http_error(resp, 404, "tile set '%s' has one tile size: /tiles/%s/{z}/{x}/{y}.png", set->id,
                   set->id);
        return;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    error_t err = {0};
    int rc = archive_get(set->archive, tile.z, tile.x, tile.y, &data, &len, &err);
    if (rc == ERR_NOTFOUND) {
        http_error(resp, 404, "tile set '%s' has no tile %d/%u/%u", set->id, tile.z, tile.x,
                   tile.y);
        return;
    }
    if (rc != ERR_OK) {
        http_error(resp, rc == ERR_NOMEM ? 503 : 500, "tile set '%s': %s", set->id, err.message);
        return;
    }
    char etag[24];
    snprintf(etag, sizeof(etag), "\"%016llx\"",
             (unsigned long long)hash_fnv1a(HASH_FNV_START, data, len));
    http_response_body(resp, 200, "image/png", (char *)data, len);
    http_response_header(resp, "ETag", etag);
    http_response_last_modified(resp, dataset_loaded_at(ds));
}

/* A cached tile goes out at once (the common case: no thread hop); a miss
 * is rendered on the tile pool by run(). Takes over job->ds's reference. */
static void answer_tile(http_response_t *resp, tile_blob_t *cached,
                        void (*send)(http_response_t *, tile_blob_t *),
                        void (*run)(void *, http_response_t *), const tile_job_t *job)
{
    if (cached) {
        send(resp, cached);
        http_response_last_modified(resp, dataset_loaded_at(job->ds));
        dataset_unref(job->ds);
        return;
    }
    tile_job_t *copy = malloc(sizeof(*copy));
    if (copy == NULL) {
        dataset_unref(job->ds);
        http_error(resp, 500, "out of memory");
        return;
    }
    *copy = *job;
    http_defer(resp, HTTP_WORK_TILE, run, free_tile_job, copy);
}

/* --- vector tiles ------------------------------------------------------------- */

static void send_vector(http_response_t *resp, tile_blob_t *blob)
{
    if (blob->len == 0) { /* no feature: nothing to send (MapLibre draws nothing) */
        tile_blob_unref(blob);
        http_response_body(resp, 204, "application/vnd.mapbox-vector-tile", NULL, 0);
        return;
    }
    api_send_blob(resp, blob, "application/vnd.mapbox-vector-tile");
}

static void vector_tile_job(void *arg, http_response_t *resp)
{
    tile_job_t *j = arg;
    tile_blob_t *blob = NULL;
    error_t err = {0};
    if (tiles_get_vector(j->tiles, j->ds, j->grid, j->tile, j->layer[0] ? j->layer : NULL, &blob,
                         &err) != ERR_OK)
        http_error(resp, 500, "%s", err.message);
    else
        send_vector(resp, blob);
    http_response_last_modified(resp, dataset_loaded_at(j->ds));
}

void api_vector_tile(http_response_t *resp, void *ctx, tile_grid_t grid, tile_t tile,
                     const char *layer)
{
    tiles_t *t = tiles_or_404(resp, ctx);
    if (t == NULL) return;
    if (!tile_valid_in(grid, tile, tiles_max_zoom(t))) {
        http_error(resp, 404, "no tile %d/%u/%u: zoom runs 0..%d and x, y 0..%s-1", tile.z, tile.x,
                   tile.y, tiles_max_zoom(t),
                   grid == TILE_GRID_CRS84 ? "2^(zoom+1), 2^zoom" : "2^zoom");
        return;
    }
    dataset_t *ds = app_acquire(ctx);
    tile_job_t job = {t, ds, NULL, tile, 1, "", grid};
    if (layer) snprintf(job.layer, sizeof(job.layer), "%s", layer);
    answer_tile(resp, tiles_peek_vector(t, ds, grid, tile, layer), send_vector, vector_tile_job,
                &job);
}

/* GET /tiles/vector/{z}/{x}/{y}.mvt */
static void vector_tile(const http_request_t *req, http_response_t *resp, void *ctx)
{
    const char *zt = http_request_param(req, "z"), *xt = http_request_param(req, "x");
    const char *yt = http_request_param(req, "y");
    size_t ylen = strspn(yt, "0123456789");
    uint32_t z, x, y;
    if (parse_uint(zt, strlen(zt), &z) || parse_uint(xt, strlen(xt), &x) ||
        strcmp(yt + ylen, ".mvt") != 0 || parse_uint(yt, ylen, &y)) {
        http_error(resp, 400,
                   "vector tile address must be /tiles/vector/{z}/{x}/{y}.mvt with "
                   "whole numbers");
        return;
    }
    api_vector_tile(resp, ctx, TILE_GRID_MERCATOR, (tile_t){(int)(z > 99 ? 99 : z), x, y}, NULL);
}

int api_map_language(const http_request_t *req, http_response_t *resp, const char **lang,
                     bool *bilingual)
{
    const char *l = http_request_query(req, "lang"), *labels = http_request_query(req, "labels");
    *lang = l;
    *bilingual = labels && strcmp(labels, "bilingual") == 0;
    if (l && !style_lang_known(l)) {
        http_error(resp, 400, "lang must be sl, de, hu or en (got '%.20s')", l);
        return -1;
    }
    if (labels && !*bilingual) {
        http_error(resp, 400, "labels must be 'bilingual' or left out (got '%.20s')", labels);
        return -1;
    }
    return 0;
}

/* "?lang=de&labels=bilingual" for a style variant's URLs, "" for the style. */
static void language_query(char *out, size_t size, const char *lang, bool bilingual)
{
    snprintf(out, size, "%s%s%s%s", lang || bilingual ? "?" : "", lang ? "lang=" : "",
             lang ? lang : "", bilingual ? (lang ? "&labels=bilingual" : "labels=bilingual") : "");
}

void api_tile(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = tiles_or_404(resp, ctx);
    tile_t tile;
    double scale;
    if (t && strcmp(http_request_param(req, "style"), "vector") == 0) {
        vector_tile(req, resp, ctx);
        return;
    }
    const char *lang;
    bool bilingual;
    if (t == NULL || parse_tile(req, resp, t, &tile, &scale) != 0 ||
        api_map_language(req, resp, &lang, &bilingual) != 0)
        return;
    const char *name = http_request_param(req, "style");
    const style_t *style = tiles_style_lang(t, name, lang, bilingual);
    dataset_t *ds = app_acquire(ctx);
    const tileset_t *set = style ? NULL : tilesets_find(ds, name);
    if (style == NULL) {
        if (set)
            send_archived(resp, ds, set, tile, scale);
        else
            http_error(resp, 404, "no style or tile set '%.60s'; see /tiles", name);
        dataset_unref(ds);
        return;
    }
    tile_job_t job = {t, ds, style, tile, scale, ""};
    answer_tile(resp, tiles_peek(t, ds, style, tile, scale), send_blob, render_tile_job, &job);
}

/* --- TileJSON and the list of styles --------------------------------------------- */

static json_t *tilejson(const style_t *style, const tiles_t *t, dataset_t *ds, const char *base,
                        const char *query)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/tiles/%s/{z}/{x}/{y}.png%s", base, style_id(style), query);
    /* Bounds: every layer; centre: the towns (or everything) at zoom 9. */
    bbox_t all = dataset_extent(ds), focus = bbox_empty();
    const network_source_t *src = networks_source(ds);
    focus = src ? src->nodes->extent : all;
    const char *attr = dataset_attribution_short(ds);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:i, s:i, s:[ffff], s:[ffi], s:s, s:i}",
                     "tilejson", "3.0.0", "name", style_title(style), "scheme", "xyz", "tiles", url,
                     "attribution", attr ? attr : "", "minzoom", 0, "maxzoom", tiles_max_zoom(t),
                     "bounds", fmax(all.minx, -180), fmax(all.miny, -CRS_MERC_MAX_LAT),
                     fmin(all.maxx, 180), fmin(all.maxy, CRS_MERC_MAX_LAT), "center",
                     (focus.minx + focus.maxx) / 2, (focus.miny + focus.maxy) / 2, 9, "version",
                     COOPMAP_VERSION, "tileSize", 256);
}

static const char *vector_field_type(field_type_t t)
{
    return t == FIELD_STRING ? "String" : t == FIELD_BOOLEAN ? "Boolean" : "Number";
}

/* TileJSON 3.0 of the vector tiles, with every layer and its fields. */
static json_t *vector_tilejson(const tiles_t *t, dataset_t *ds, const char *base)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/tiles/vector/{z}/{x}/{y}.mvt", base);
    json_t *layers = json_array();
    bbox_t all = dataset_extent(ds);
    for (size_t i = 0; i < dataset_layer_count(ds); i++) {
        const layer_t *l = dataset_layer(ds, i);
        json_t *fields = json_object();
        for (size_t k = 0; k < l->nfields; k++)
            json_object_set_new(fields, l->fields[k].name,
                                json_string(vector_field_type(l->fields[k].type)));
        if (layer_field_index(l, "id") < 0)
            json_object_set_new(fields, "id", json_string("String"));
        json_array_append_new(layers, json_pack("{s:s, s:s, s:o, s:i, s:i}", "id", l->id,
                                                "description", l->title, "fields", fields,
                                                "minzoom", 0, "maxzoom", tiles_max_zoom(t)));
    }
    const char *attr = dataset_attribution_short(ds);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:i, s:i, s:[ffff], s:[ffi], s:o, s:s}",
                     "tilejson", "3.0.0", "name", dataset_title(ds), "scheme", "xyz", "tiles", url,
                     "attribution", attr ? attr : "", "minzoom", 0, "maxzoom", tiles_max_zoom(t),
                     "bounds", fmax(all.minx, -180), fmax(all.miny, -CRS_MERC_MAX_LAT),
                     fmin(all.maxx, 180), fmin(all.maxy, CRS_MERC_MAX_LAT), "center",
                     (all.minx + all.maxx) / 2, (all.miny + all.maxy) / 2, 7, "vector_layers",
                     layers, "format", "pbf");
}

/* TileJSON of a tile set: what its archive says of itself. */
static json_t *tileset_json(const tileset_t *set, dataset_t *ds, const char *base)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/tiles/%s/{z}/{x}/{y}.png", base, set->id);
    const archive_info_t *i = archive_info(set->archive);
    const char *attr = i->attribution ? i->attribution : dataset_attribution_short(ds);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:i, s:i, s:[ffff], s:[ffi], s:i, s:s}",
                     "tilejson", "3.0.0", "name", set->title, "scheme", "xyz", "tiles", url,
                     "attribution", attr ? attr : "", "minzoom", i->minzoom, "maxzoom", i->maxzoom,
                     "bounds", i->bounds[0], i->bounds[1], i->bounds[2], i->bounds[3], "center",
                     i->center[0], i->center[1], (int)i->center[2], "tileSize", i->tile_px,
                     "format", "png");
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
    const char *lang;
    bool bilingual;
    char query[64];
    if (api_map_language(req, resp, &lang, &bilingual) != 0) return;
    language_query(query, sizeof(query), lang, bilingual);
    const style_t *style = tiles_style_lang(t, id, lang, bilingual);
    dataset_t *ds = app_acquire(ctx);
    const tileset_t *set = style ? NULL : tilesets_find(ds, id);
    char base[256];
    ogc_base_url(req, ctx, base, sizeof(base));
    if (strcmp(id, "vector") == 0) {
        http_response_last_modified(resp, dataset_loaded_at(ds));
        api_send_json(resp, vector_tilejson(t, ds, base), "application/json");
    } else if (style || set) {
        http_response_last_modified(resp, dataset_loaded_at(ds));
        api_send_json(resp,
                      style ? tilejson(style, t, ds, base, query) : tileset_json(set, ds, base),
                      "application/json");
    } else {
        http_error(resp, 404, "no style or tile set '%s'; see /tiles", id);
    }
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
    dataset_t *ds = app_acquire(ctx);
    json_t *sets = json_array();
    for (size_t i = 0; i < tilesets_count(ds); i++) {
        const tileset_t *set = tilesets_at(ds, i);
        const archive_info_t *info = archive_info(set->archive);
        char tiles_url[512];
        snprintf(url, sizeof(url), "%s/tiles/%s.json", base, set->id);
        snprintf(tiles_url, sizeof(tiles_url), "%s/tiles/%s/{z}/{x}/{y}.png", base, set->id);
        json_array_append_new(sets, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "id", set->id,
                                              "title", set->title, "format",
                                              archive_format_name(archive_format(set->archive)),
                                              "tilejson", url, "tiles", tiles_url, "minzoom",
                                              info->minzoom, "maxzoom", info->maxzoom));
    }
    dataset_unref(ds);
    char vector_json[512], vector_tiles[512];
    snprintf(vector_json, sizeof(vector_json), "%s/tiles/vector.json", base);
    snprintf(vector_tiles, sizeof(vector_tiles), "%s/tiles/vector/{z}/{x}/{y}.mvt", base);
    api_send_json(resp,
                  json_pack("{s:o, s:o, s:{s:s, s:s}}", "styles", list, "archives", sets, "vector",
                            "tilejson", vector_json, "tiles", vector_tiles),
                  "application/json");
}
