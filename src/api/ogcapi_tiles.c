/* OGC API - Tiles 1.0 over coopmap's tiles:
 *   /tileMatrixSets, /tileMatrixSets/{tms}       (OGC 2D TMS 2.0 JSON)
 *   /collections/{id}/tiles                      vector tilesets list
 *   /collections/{id}/tiles/{tms}                a tileset
 *   /collections/{id}/tiles/{tms}/{z}/{y}/{x}    one layer's MVT
 *   /map/tiles, /map/tiles/WebMercatorQuad       the map (PNG) tileset
 * {tms} is WebMercatorQuad or, for vector tiles, WorldCRS84Quad (which GDAL
 * before 3.8 needs: it reads a collection's lon/lat extent as coordinates of
 * the tile matrix set). The map tiles themselves are
 * /tiles/default/{z}/{x}/{y}.png, named by the tileset's URL template. */
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

#define REL_SCHEME "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
#define MVT_TYPE   "application/vnd.mapbox-vector-tile"
#define ORIGIN     20037508.3427892
#define TMS_BASE   "http://www.opengis.net/def/tilematrixset/OGC/1.0/"

/* A tile matrix set of OGC 2D TMS 2.0 Annex D; z0 has width0 x 1 tiles of
 * 256 px of cell0 CRS units. */
typedef struct tms {
    const char *id, *title, *crs, *wkss, *axes[2];
    tile_grid_t grid;
    bbox_t bounds; /* in the CRS */
    double cell0, metres_per_unit;
    int width0;
} tms_t;

static const tms_t TMS[] = {
    {"WebMercatorQuad",
     "Google Maps Compatible for the World",
     OGC_EPSG3857,
     "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
     {"X", "Y"},
     TILE_GRID_MERCATOR,
     {-ORIGIN, -ORIGIN, ORIGIN, ORIGIN},
     2 * ORIGIN / 256,
     1,
     1},
    {"WorldCRS84Quad",
     "CRS84 for the World",
     OGC_CRS84,
     "http://www.opengis.net/def/wkss/OGC/1.0/GoogleCRS84Quad",
     {"Lon", "Lat"},
     TILE_GRID_CRS84,
     {-180, -90, 180, 90},
     180.0 / 256,
     111319.49079327357, /* metres per degree on the WGS 84 equator: 6378137 * pi / 180 */
     2},
};
#define NTMS (sizeof(TMS) / sizeof(TMS[0]))

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

/* The request's tile matrix set, or NULL after a 404; the map is in the
 * first (WebMercatorQuad) only. */
static const tms_t *find_tms(const http_request_t *req, http_response_t *resp, bool map)
{
    const char *id = http_request_param(req, "tileMatrixSetId");
    for (size_t i = 0; i < (map ? 1 : NTMS); i++)
        if (strcmp(id, TMS[i].id) == 0) return &TMS[i];
    http_error(resp, 404, "no tile matrix set '%.60s'; %s", id,
               map ? "the map tiles are in WebMercatorQuad"
                   : "coopmap's vector tiles are in WebMercatorQuad and WorldCRS84Quad");
    return NULL;
}

/* --- the tile matrix sets ------------------------------------------------------ */

void ogcapi_tile_matrix_sets(const http_request_t *req, http_response_t *resp, void *ctx)
{
    char base[256], path[128];
    ogc_base_url(req, ctx, base, sizeof(base));
    json_t *list = json_array();
    for (size_t i = 0; i < NTMS; i++) {
        snprintf(path, sizeof(path), "/tileMatrixSets/%s", TMS[i].id);
        json_t *links = json_pack("[o]", tlink(base, path, "self", "application/json", TMS[i].id));
        char uri[128];
        snprintf(uri, sizeof(uri), TMS_BASE "%s", TMS[i].id);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "id", TMS[i].id, "title",
                                              TMS[i].title, "uri", uri, "links", links));
    }
    api_send_json(resp, json_pack("{s:o}", "tileMatrixSets", list), "application/json");
}

static json_t *matrix(const tms_t *m, int z)
{
    double cell = m->cell0 / ldexp(1, z);
    double left = m->bounds.minx, top = m->bounds.maxy;
    json_int_t n = (json_int_t)1 << z;
    char id[16];
    snprintf(id, sizeof(id), "%d", z);
    json_t *j = json_pack("{s:s, s:f, s:f, s:s, s:[ff], s:i, s:i, s:I, s:I}", "id", id,
                          "scaleDenominator", cell * m->metres_per_unit / 0.00028, "cellSize", cell,
                          "cornerOfOrigin", "topLeft", "pointOfOrigin", left, top, "tileWidth", 256,
                          "tileHeight", 256, "matrixWidth", n * m->width0, "matrixHeight", n);
    json_object_set_new(j, "identifier", json_string(id)); /* the TMS 1.0 names */
    json_object_set_new(j, "topLeftCorner", json_pack("[ff]", left, top));
    return j;
}

void ogcapi_tile_matrix_set(const http_request_t *req, http_response_t *resp, void *ctx)
{
    const tms_t *m = find_tms(req, resp, false);
    if (m == NULL) return;
    json_t *matrices = json_array();
    for (int z = 0; z <= max_zoom(ctx); z++)
        json_array_append_new(matrices, matrix(m, z));
    char uri[128];
    snprintf(uri, sizeof(uri), TMS_BASE "%s", m->id);
    /* OGC 2D TMS 2.0, with the 1.0 names too (identifier, supportedCRS,
     * boundingBox, topLeftCorner) that GDAL before 3.8 reads. */
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:[ss], s:s, s:o}", "id", m->id, "title",
                            m->title, "uri", uri, "crs", m->crs, "orderedAxes", m->axes[0],
                            m->axes[1], "wellKnownScaleSet", m->wkss, "tileMatrices", matrices);
    json_object_set_new(doc, "type", json_string("TileMatrixSetType"));
    json_object_set_new(doc, "identifier", json_string(m->id));
    json_object_set_new(doc, "supportedCRS", json_string(m->crs));
    json_object_set_new(doc, "boundingBox",
                        json_pack("{s:s, s:s, s:[ff], s:[ff]}", "type", "BoundingBoxType", "crs",
                                  m->crs, "lowerCorner", m->bounds.minx, m->bounds.miny,
                                  "upperCorner", m->bounds.maxx, m->bounds.maxy));
    api_send_json(resp, doc, "application/json");
}

/* --- tilesets ------------------------------------------------------------------------ */

/* A tileset description; items: the tiles' URL template. */
static json_t *tileset(const tms_t *m, const char *base, const char *self, const char *title,
                       bool vector, const char *items, bbox_t extent)
{
    char scheme[128], uri[128];
    snprintf(scheme, sizeof(scheme), "/tileMatrixSets/%s", m->id);
    snprintf(uri, sizeof(uri), TMS_BASE "%s", m->id);
    json_t *links = json_array();
    json_array_append_new(links, tlink(base, self, "self", "application/json", title));
    json_array_append_new(links, tlink(base, scheme, REL_SCHEME, "application/json", m->id));
    json_array_append_new(links, tlink(base, items, "item", vector ? MVT_TYPE : "image/png",
                                       vector ? "Mapbox vector tiles" : "PNG tiles"));
    double lat = m->grid == TILE_GRID_MERCATOR ? CRS_MERC_MAX_LAT : 90;
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:[ff], s:[ff], s:s}, s:o}", "title", title,
                     "dataType", vector ? "vector" : "map", "crs", m->crs, "tileMatrixSetURI", uri,
                     "boundingBox", "lowerLeft", fmax(extent.minx, -180), fmax(extent.miny, -lat),
                     "upperRight", fmin(extent.maxx, 180), fmin(extent.maxy, lat), "crs", OGC_CRS84,
                     "links", links);
}

/* Adds a tilesets-list entry for the tileset ts at self (ts is taken). */
static void list_add(json_t *list, json_t *ts, const char *base, const char *self)
{
    json_t *entry = json_deep_copy(ts);
    json_t *links = json_array();
    json_array_append_new(links, tlink(base, self, "self", "application/json", NULL));
    json_object_set_new(entry, "links", links);
    json_decref(ts);
    json_array_append_new(list, entry);
}

static const layer_t *collection(const http_request_t *req, http_response_t *resp, dataset_t *ds)
{
    const char *id = http_request_param(req, "collectionId");
    const layer_t *l = dataset_find_layer(ds, id);
    if (l == NULL) http_error(resp, 404, "no collection '%.60s'; see /collections", id);
    return l;
}

static json_t *collection_tileset(const tms_t *m, const layer_t *l, const char *base, char *self,
                                  size_t size)
{
    char items[512];
    snprintf(self, size, "/collections/%s/tiles/%s", l->id, m->id);
    snprintf(items, sizeof(items), "/collections/%s/tiles/%s/{tileMatrix}/{tileRow}/{tileCol}",
             l->id, m->id);
    return tileset(m, base, self, l->title, true, items, l->extent);
}

void ogcapi_collection_tilesets(const http_request_t *req, http_response_t *resp, void *ctx)
{
    dataset_t *ds = app_acquire(ctx);
    const layer_t *l = collection(req, resp, ds);
    if (l) {
        char base[256], self[512];
        ogc_base_url(req, ctx, base, sizeof(base));
        json_t *list = json_array();
        for (size_t i = 0; i < NTMS; i++)
            list_add(list, collection_tileset(&TMS[i], l, base, self, sizeof(self)), base, self);
        api_send_json(resp, json_pack("{s:o}", "tilesets", list), "application/json");
    }
    dataset_unref(ds);
}

void ogcapi_collection_tileset(const http_request_t *req, http_response_t *resp, void *ctx)
{
    const tms_t *m = find_tms(req, resp, false);
    if (m == NULL) return;
    dataset_t *ds = app_acquire(ctx);
    const layer_t *l = collection(req, resp, ds);
    if (l) {
        char base[256], self[512];
        ogc_base_url(req, ctx, base, sizeof(base));
        api_send_json(resp, collection_tileset(m, l, base, self, sizeof(self)), "application/json");
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
    const tms_t *m = find_tms(req, resp, false);
    if (m == NULL) return;
    uint32_t z, row, col;
    if (whole(http_request_param(req, "tileMatrix"), &z) ||
        whole(http_request_param(req, "tileRow"), &row) ||
        whole(http_request_param(req, "tileCol"), &col)) {
        http_error(resp, 400,
                   "a tile is /collections/{id}/tiles/%s/{tileMatrix}/{tileRow}/{tileCol}, "
                   "whole numbers",
                   m->id);
        return;
    }
    dataset_t *ds = app_acquire(ctx);
    const layer_t *l = collection(req, resp, ds);
    char id[128];
    if (l) snprintf(id, sizeof(id), "%s", l->id);
    dataset_unref(ds);
    if (l) api_vector_tile(resp, ctx, m->grid, (tile_t){(int)(z > 99 ? 99 : z), col, row}, id);
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
    json_t *ts =
        tileset(&TMS[0], base, "/map/tiles/WebMercatorQuad", dataset_title(ds), false, items, all);
    dataset_unref(ds);
    return ts;
}

void ogcapi_map_tilesets(const http_request_t *req, http_response_t *resp, void *ctx)
{
    char base[256];
    json_t *list = json_array();
    list_add(list, map_tileset(req, ctx, base, sizeof(base)), base, "/map/tiles/WebMercatorQuad");
    api_send_json(resp, json_pack("{s:o}", "tilesets", list), "application/json");
}

void ogcapi_map_tileset(const http_request_t *req, http_response_t *resp, void *ctx)
{
    if (find_tms(req, resp, true) == NULL) return;
    char base[256];
    api_send_json(resp, map_tileset(req, ctx, base, sizeof(base)), "application/json");
}
