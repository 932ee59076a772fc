/* OGC API - Tiles 1.0 over coopmap's tiles, in WebMercatorQuad only:
 *   /tileMatrixSets, /tileMatrixSets/WebMercatorQuad   (OGC 2D TMS 2.0 JSON)
 *   /collections/{id}/tiles                            vector tilesets list
 *   /collections/{id}/tiles/WebMercatorQuad            the tileset
 *   /collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x} one layer's MVT
 *   /map/tiles, /map/tiles/WebMercatorQuad             the map (PNG) tileset
 * The map tiles themselves are /tiles/default/{z}/{x}/{y}.png, named by the
 * tileset's URL template. */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/ogcapi.h"
#include "api/send.h"
#include "data/crs.h"
#include "data/dataset.h"
#include "render/tiles.h"

#define TMS_ID     "WebMercatorQuad"
#define TMS_URI    "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
#define REL_SCHEME "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
#define MVT_TYPE   "application/vnd.mapbox-vector-tile"
#define ORIGIN     20037508.3427892

static json_t *tlink(const char *base, const char *path, const char *rel, const char *type,
                     const char *title)
{
    char href[1024];
    snprintf(href, sizeof(href), "%s%s", base, path);
    json_t *l = json_pack("{s:s, s:s, s:s}", "href", href, "rel", rel, "type", type);
    if (title) json_object_set_new(l, "title", json_string(title));
    return l;
}

static int max_zoom(void *ctx)
{
    tiles_t *t = app_tiles(ctx);
    return t ? tiles_max_zoom(t) : 18;
}

static bool known_tms(const http_request_t *req, http_response_t *resp)
{
    const char *id = http_request_param(req, "tileMatrixSetId");
    if (strcmp(id, TMS_ID) == 0) return true;
    http_error(resp, 404, "no tile matrix set '%.60s'; coopmap tiles in " TMS_ID, id);
    return false;
}

/* --- the tile matrix set ------------------------------------------------------- */

void ogcapi_tile_matrix_sets(const http_request_t *req, http_response_t *resp, void *ctx)
{
    char base[256];
    ogc_base_url(req, ctx, base, sizeof(base));
    json_t *links = json_pack("[o]", tlink(base, "/tileMatrixSets/" TMS_ID, "self",
                                           "application/json", "WebMercatorQuad"));
    api_send_json(resp,
                  json_pack("{s:[{s:s, s:s, s:s, s:o}]}", "tileMatrixSets", "id", TMS_ID, "title",
                            "Google Maps Compatible for the World", "uri", TMS_URI, "links", links),
                  "application/json");
}

void ogcapi_tile_matrix_set(const http_request_t *req, http_response_t *resp, void *ctx)
{
    if (!known_tms(req, resp)) return;
    json_t *matrices = json_array();
    for (int z = 0; z <= max_zoom(ctx); z++) {
        double cell = 2 * ORIGIN / 256 / ldexp(1, z);
        json_int_t n = (json_int_t)1 << z;
        char id[16];
        snprintf(id, sizeof(id), "%d", z);
        json_t *m = json_pack(
            "{s:s, s:f, s:f, s:s, s:[ff], s:i, s:i, s:I, s:I}", "id", id, "scaleDenominator",
            cell / 0.00028, "cellSize", cell, "cornerOfOrigin", "topLeft", "pointOfOrigin", -ORIGIN,
            ORIGIN, "tileWidth", 256, "tileHeight", 256, "matrixWidth", n, "matrixHeight", n);
        json_object_set_new(m, "identifier", json_string(id)); /* the TMS 1.0 names */
        json_object_set_new(m, "topLeftCorner", json_pack("[ff]", -ORIGIN, ORIGIN));
        json_array_append_new(matrices, m);
    }
    /* OGC 2D TMS 2.0, with the 1.0 names too (identifier, supportedCRS,
     * boundingBox, topLeftCorner) that GDAL before 3.8 reads. */
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:[ss], s:s, s:o}", "id", TMS_ID, "title",
                            "Google Maps Compatible for the World", "uri", TMS_URI, "crs",
                            OGC_EPSG3857, "orderedAxes", "X", "Y", "wellKnownScaleSet",
                            "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
                            "tileMatrices", matrices);
    json_object_set_new(doc, "type", json_string("TileMatrixSetType"));
    json_object_set_new(doc, "identifier", json_string(TMS_ID));
    json_object_set_new(doc, "supportedCRS", json_string(OGC_EPSG3857));
    json_object_set_new(doc, "boundingBox",
                        json_pack("{s:s, s:s, s:[ff], s:[ff]}", "type", "BoundingBoxType", "crs",
                                  OGC_EPSG3857, "lowerCorner", -ORIGIN, -ORIGIN, "upperCorner",
                                  ORIGIN, ORIGIN));
    api_send_json(resp, doc, "application/json");
}

/* --- tilesets ------------------------------------------------------------------------ */

/* A tileset description; items: the tiles' URL template. */
static json_t *tileset(const char *base, const char *self, const char *title, bool vector,
                       const char *items, bbox_t extent)
{
    json_t *links = json_array();
    json_array_append_new(links, tlink(base, self, "self", "application/json", title));
    json_array_append_new(links, tlink(base, "/tileMatrixSets/" TMS_ID, REL_SCHEME,
                                       "application/json", "WebMercatorQuad"));
    json_array_append_new(links, tlink(base, items, "item", vector ? MVT_TYPE : "image/png",
                                       vector ? "Mapbox vector tiles" : "PNG tiles"));
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:[ff], s:[ff], s:s}, s:o}", "title", title,
                     "dataType", vector ? "vector" : "map", "crs", OGC_EPSG3857, "tileMatrixSetURI",
                     TMS_URI, "boundingBox", "lowerLeft", fmax(extent.minx, -180),
                     fmax(extent.miny, -CRS_MERC_MAX_LAT), "upperRight", fmin(extent.maxx, 180),
                     fmin(extent.maxy, CRS_MERC_MAX_LAT), "crs", OGC_CRS84, "links", links);
}

/* A tilesets list of one entry, the tileset at self. */
static json_t *tilesets_list(json_t *one, const char *base, const char *self)
{
    json_t *entry = json_deep_copy(one);
    json_t *links = json_array();
    json_array_append_new(links, tlink(base, self, "self", "application/json", NULL));
    json_object_set_new(entry, "links", links);
    json_decref(one);
    return json_pack("{s:[o]}", "tilesets", entry);
}

static const layer_t *collection(const http_request_t *req, http_response_t *resp, dataset_t *ds)
{
    const char *id = http_request_param(req, "collectionId");
    const layer_t *l = dataset_find_layer(ds, id);
    if (l == NULL) http_error(resp, 404, "no collection '%.60s'; see /collections", id);
    return l;
}

static json_t *collection_tileset(const layer_t *l, const char *base, char *self, size_t size)
{
    char items[512];
    snprintf(self, size, "/collections/%s/tiles/" TMS_ID, l->id);
    snprintf(items, sizeof(items),
             "/collections/%s/tiles/" TMS_ID "/{tileMatrix}/{tileRow}/{tileCol}", l->id);
    return tileset(base, self, l->title, true, items, l->extent);
}

void ogcapi_collection_tilesets(const http_request_t *req, http_response_t *resp, void *ctx)
{
    dataset_t *ds = app_acquire(ctx);
    const layer_t *l = collection(req, resp, ds);
    if (l) {
        char base[256], self[512];
        ogc_base_url(req, ctx, base, sizeof(base));
        json_t *ts = collection_tileset(l, base, self, sizeof(self));
        api_send_json(resp, tilesets_list(ts, base, self), "application/json");
    }
    dataset_unref(ds);
}

void ogcapi_collection_tileset(const http_request_t *req, http_response_t *resp, void *ctx)
{
    if (!known_tms(req, resp)) return;
    dataset_t *ds = app_acquire(ctx);
    const layer_t *l = collection(req, resp, ds);
    if (l) {
        char base[256], self[512];
        ogc_base_url(req, ctx, base, sizeof(base));
        api_send_json(resp, collection_tileset(l, base, self, sizeof(self)), "application/json");
    }
    dataset_unref(ds);
}

static int whole(const char *s, uint32_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n) return -1;
    *out = (uint32_t)strtoul(s, NULL, 10);
    return 0;
}

void ogcapi_collection_tile(const http_request_t *req, http_response_t *resp, void *ctx)
{
    if (!known_tms(req, resp)) return;
    uint32_t z, row, col;
    if (whole(http_request_param(req, "tileMatrix"), &z) ||
        whole(http_request_param(req, "tileRow"), &row) ||
        whole(http_request_param(req, "tileCol"), &col)) {
        http_error(resp, 400,
                   "a tile is /collections/{id}/tiles/" TMS_ID
                   "/{tileMatrix}/{tileRow}/{tileCol}, whole numbers");
        return;
    }
    dataset_t *ds = app_acquire(ctx);
    const layer_t *l = collection(req, resp, ds);
    char id[128];
    if (l) snprintf(id, sizeof(id), "%s", l->id);
    dataset_unref(ds);
    if (l) api_vector_tile(resp, ctx, (tile_t){(int)(z > 99 ? 99 : z), col, row}, id);
}

/* --- the map ---------------------------------------------------------------------------- */

static json_t *map_tileset(const http_request_t *req, void *ctx, char *base, size_t size)
{
    ogc_base_url(req, ctx, base, size);
    dataset_t *ds = app_acquire(ctx);
    bbox_t all = dataset_extent(ds);
    /* The map is the default style's (or the first style's). */
    tiles_t *t = app_tiles(ctx);
    const style_t *style = t ? tiles_style(t, "default") : NULL;
    if (style == NULL && t && tiles_style_count(t) > 0) style = tiles_style_at(t, 0);
    char items[256];
    snprintf(items, sizeof(items), "/tiles/%s/{tileMatrix}/{tileCol}/{tileRow}.png",
             style ? style_id(style) : "default");
    json_t *ts = tileset(base, "/map/tiles/" TMS_ID, dataset_title(ds), false, items, all);
    dataset_unref(ds);
    return ts;
}

void ogcapi_map_tilesets(const http_request_t *req, http_response_t *resp, void *ctx)
{
    char base[256];
    json_t *ts = map_tileset(req, ctx, base, sizeof(base));
    api_send_json(resp, tilesets_list(ts, base, "/map/tiles/" TMS_ID), "application/json");
}

void ogcapi_map_tileset(const http_request_t *req, http_response_t *resp, void *ctx)
{
    if (!known_tms(req, resp)) return;
    char base[256];
    api_send_json(resp, map_tileset(req, ctx, base, sizeof(base)), "application/json");
}
