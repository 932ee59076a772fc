#include "api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "ogcapi.h"
#include "tiles.h"

static void format_time(time_t t, char *out, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Serialises obj (reference stolen) as the 200 response body. */
static void send_json(http_response_t *resp, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (text == NULL) {
        http_error(resp, 500, "out of memory encoding JSON");
        return;
    }
    http_response_body(resp, 200, "application/json", text, strlen(text));
}

static void handle_health(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)req;
    app_t *app = ctx;
    dataset_t *ds = app_acquire(app);
    char loaded[32], started[32];
    format_time(dataset_loaded_at(ds), loaded, sizeof(loaded));
    format_time(app_started_at(app), started, sizeof(started));
    json_t *layers = json_object();
    for (size_t i = 0; i < dataset_layer_count(ds); i++) {
        const layer_t *layer = dataset_layer(ds, i);
        json_object_set_new(layers, layer->id, json_integer((json_int_t)layer->nfeatures));
    }
    json_t *obj =
        json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:o}", "status", "ok", "version", COOPMAP_VERSION,
                  "data_version", dataset_version(ds), "loaded_at", loaded, "load_ms",
                  dataset_load_ms(ds), "started_at", started, "layers", layers);
    dataset_unref(ds);
    struct tiles *tiles = app_tiles(app);
    if (tiles && obj) {
        size_t bytes, entries, hits, misses;
        tilecache_stats(tiles_cache(tiles), &bytes, &entries, &hits, &misses);
        json_object_set_new(obj, "tile_cache",
                            json_pack("{s:I, s:I, s:I, s:I}", "bytes", (json_int_t)bytes, "entries",
                                      (json_int_t)entries, "hits", (json_int_t)hits, "misses",
                                      (json_int_t)misses));
    }
    http_response_header(resp, "Cache-Control", "no-store");
    send_json(resp, obj);
}

static const http_route_t routes[] = {
    {"/", ogcapi_landing},
    {"/health", handle_health},
    {"/conformance", ogcapi_conformance},
    {"/api", ogcapi_api},
    {"/collections", ogcapi_collections},
    {"/collections/{collectionId}", ogcapi_collection},
    {"/collections/{collectionId}/items", ogcapi_items},
    {"/collections/{collectionId}/items/{featureId}", ogcapi_item},
    {"/distances", api_distances},
    {"/network", api_network},
    {"/network/metrics", api_network_metrics},
    {"/tiles", api_tiles_list},
    {"/tiles/{style}", api_tilejson},
    {"/tiles/{style}/{z}/{x}/{y}", api_tile},
    {"/map.png", api_map},
    {"/map.svg", api_map},
    {"/map.pdf", api_map},
    {"/viewer", api_viewer},
    {"/embed", api_embed},
    {"/web/{file}", api_web_file},
    {"/assets/leaflet/{file}", api_leaflet},
    {"/assets/leaflet/images/{file}", api_leaflet_image},
    {"/geodesic", api_geodesic},
};

const http_route_t *api_routes(size_t *count)
{
    *count = sizeof(routes) / sizeof(routes[0]);
    return routes;
}
