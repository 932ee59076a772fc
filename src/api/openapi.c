/* GET /api: the OpenAPI 3.0 definition of the service, built from the
 * loaded collections (each collection's items path lists its queryables). */
#include <stdio.h>
#include <string.h>

#include "api/ogcapi.h"
#include "api/ogcapi_html.h"

static json_t *ref(const char *name)
{
    char text[128];
    snprintf(text, sizeof(text), "#/components/parameters/%s", name);
    return json_pack("{s:s}", "$ref", text);
}

static json_t *param(const char *name, const char *in, const char *desc, json_t *schema)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:o, s:b}", "name", name, "in", in, "description", desc,
                     "required", strcmp(in, "path") == 0, "schema", schema, "explode", 0);
}

static json_t *crs_enum(void)
{
    return json_pack("{s:s, s:s, s:[sss]}", "type", "string", "format", "uri", "enum", OGC_CRS84,
                     OGC_EPSG4326, OGC_EPSG3857);
}

static json_t *components(const dataset_t *ds)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < dataset_layer_count(ds); i++)
        json_array_append_new(ids, json_string(dataset_layer(ds, i)->id));
    json_t *params = json_object();
    json_object_set_new(
        params, "f",
        param("f", "query", "Output format (default: by Accept)",
              json_pack("{s:s, s:[ss]}", "type", "string", "enum", "json", "html")));
    json_object_set_new(
        params, "f-items",
        param("f", "query",
              "Output format (default: by Accept); csv, gpkg and fgb are downloads of every "
              "matching feature (or of limit/offset when given)",
              json_pack("{s:s, s:[sssss]}", "type", "string", "enum", "json", "html", "csv", "gpkg",
                        "fgb")));
    json_object_set_new(params, "filter",
                        param("filter", "query",
                              "A CQL2 filter (OGC API - Features Part 3): cql2-text or cql2-json, "
                              "over the collection's queryables",
                              json_pack("{s:s}", "type", "string")));
    json_object_set_new(
        params, "filter-lang",
        param("filter-lang", "query",
              "The encoding of filter (cql-text: the draft's name of "
              "cql2-text, which GDAL 3.6 sends)",
              json_pack("{s:s, s:[sss], s:s}", "type", "string", "enum", "cql2-text", "cql2-json",
                        "cql-text", "default", "cql2-text")));
    json_object_set_new(params, "filter-crs",
                        param("filter-crs", "query", "CRS of the filter's geometries", crs_enum()));
    json_object_set_new(
        params, "sortby",
        param("sortby", "query",
              "Comma-separated queryables, each with + (ascending, the default) or - before it",
              json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string")));
    json_object_set_new(params, "skipGeometry",
                        param("skipGeometry", "query", "Leave the geometries out (null)",
                              json_pack("{s:s, s:b}", "type", "boolean", "default", 0)));
    json_object_set_new(params, "collectionId",
                        param("collectionId", "path", "A collection id",
                              json_pack("{s:s, s:o}", "type", "string", "enum", ids)));
    json_object_set_new(
        params, "featureId",
        param("featureId", "path", "A feature id", json_pack("{s:s}", "type", "string")));
    json_object_set_new(params, "bbox",
                        param("bbox", "query",
                              "minx,miny,maxx,maxy (or the 6-number 3D form) in bbox-crs; "
                              "west > east crosses the antimeridian",
                              json_pack("{s:s, s:i, s:i, s:{s:s}}", "type", "array", "minItems", 4,
                                        "maxItems", 6, "items", "type", "number")));
    json_object_set_new(params, "bbox-crs", param("bbox-crs", "query", "CRS of bbox", crs_enum()));
    json_object_set_new(params, "crs", param("crs", "query", "CRS of the output", crs_enum()));
    json_object_set_new(params, "limit",
                        param("limit", "query", "Features per page (larger values are capped)",
                              json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 1,
                                        "maximum", OGC_LIMIT_MAX, "default", OGC_LIMIT_DEFAULT)));
    json_object_set_new(
        params, "offset",
        param("offset", "query", "Features to skip",
              json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 0, "default", 0)));
    json_object_set_new(
        params, "properties",
        param("properties", "query", "Comma-separated properties to include",
              json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string")));
    json_object_set_new(params, "datetime",
                        param("datetime", "query", "Accepted; the data has no time",
                              json_pack("{s:s}", "type", "string")));
    json_object_set_new(params, "tileMatrixSetId",
                        param("tileMatrixSetId", "path",
                              "A tile matrix set (the map tiles: WebMercatorQuad only)",
                              json_pack("{s:s, s:[ss]}", "type", "string", "enum",
                                        "WebMercatorQuad", "WorldCRS84Quad")));
    static const char *const tile_params[][2] = {{"tileMatrix", "Zoom level"},
                                                 {"tileRow", "Row, from the north"},
                                                 {"tileCol", "Column, from the west"}};
    for (size_t i = 0; i < 3; i++)
        json_object_set_new(params, tile_params[i][0],
                            param(tile_params[i][0], "path", tile_params[i][1],
                                  json_pack("{s:s, s:i}", "type", "integer", "minimum", 0)));
    json_object_set_new(params, "styleId",
                        param("styleId", "path", "A style id (\"default.json\" or \"default\")",
                              json_pack("{s:s}", "type", "string")));
    json_t *error =
        json_pack("{s:s, s:{s:{s:{s:s, s:[ss], s:{s:{s:s}, s:{s:s}}}}}}", "description",
                  "An error: {code, description}", "content", "application/json", "schema", "type",
                  "object", "required", "code", "description", "properties", "code", "type",
                  "string", "description", "type", "string");
    return json_pack("{s:o, s:{s:o}}", "parameters", params, "responses", "Error", error);
}

static json_t *ok(const char *desc, const char *type)
{
    return json_pack("{s:{s:s, s:{s:{s:{s:s}}}}, s:{s:s}, s:{s:s}, s:{s:s}}", "200", "description",
                     desc, "content", type, "schema", "type", "object", "400", "$ref",
                     "#/components/responses/Error", "404", "$ref", "#/components/responses/Error",
                     "406", "$ref", "#/components/responses/Error");
}

static json_t *get(const char *id, const char *summary, json_t *params, json_t *responses)
{
    return json_pack("{s:{s:s, s:s, s:o, s:o}}", "get", "operationId", id, "summary", summary,
                     "parameters", params, "responses", responses);
}

static json_t *items_path(const layer_t *l)
{
    json_t *params =
        json_pack("[ooooooooooooo]", ref("f-items"), ref("bbox"), ref("bbox-crs"), ref("crs"),
                  ref("limit"), ref("offset"), ref("properties"), ref("datetime"), ref("filter"),
                  ref("filter-lang"), ref("filter-crs"), ref("sortby"), ref("skipGeometry"));
    for (size_t k = 0; k < l->nfields; k++) {
        const char *type = field_type_name(l->fields[k].type);
        json_array_append_new(params, param(l->fields[k].name, "query", "Equals this value",
                                            json_pack("{s:s}", "type", type)));
    }
    char id[160], summary[300];
    snprintf(id, sizeof(id), "getItems_%s", l->id);
    snprintf(summary, sizeof(summary), "Features of %s", l->title);
    return get(id, summary, params, ok("A GeoJSON FeatureCollection", "application/geo+json"));
}

static json_t *item_path(const layer_t *l)
{
    char id[160], summary[300];
    snprintf(id, sizeof(id), "getItem_%s", l->id);
    snprintf(summary, sizeof(summary), "One feature of %s", l->title);
    return get(id, summary, json_pack("[ooo]", ref("featureId"), ref("f"), ref("crs")),
               ok("A GeoJSON Feature", "application/geo+json"));
}

/* OGC API - Tiles and Styles. */
static void add_tiles_paths(json_t *paths)
{
    static const char *const simple[][4] = {
        {"/tileMatrixSets", "getTileMatrixSets", "The tile matrix sets", ""},
        {"/tileMatrixSets/{tileMatrixSetId}", "getTileMatrixSet", "A tile matrix set (OGC TMS 2.0)",
         "tileMatrixSetId"},
        {"/collections/{collectionId}/tiles", "getCollectionTilesets",
         "The vector tilesets of a collection", "collectionId"},
        {"/map/tiles", "getMapTilesets", "The map tilesets (PNG)", ""},
        {"/map/tiles/{tileMatrixSetId}", "getMapTileset", "The map tileset", "tileMatrixSetId"},
        {"/styles", "getStyles", "The map styles", ""},
        {"/styles/{styleId}", "getStyle", "A style as a MapLibre Style Spec v8 document",
         "styleId"},
    };
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        json_object_set_new(
            paths, simple[i][0],
            get(simple[i][1], simple[i][2],
                simple[i][3][0] ? json_pack("[o]", ref(simple[i][3])) : json_array(),
                ok(simple[i][2], "application/json")));
    json_object_set_new(paths, "/collections/{collectionId}/tiles/{tileMatrixSetId}",
                        get("getCollectionTileset", "A vector tileset of a collection",
                            json_pack("[oo]", ref("collectionId"), ref("tileMatrixSetId")),
                            ok("The tileset", "application/json")));
    json_object_set_new(
        paths,
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        get("getCollectionTile", "A vector tile of one collection (204: no feature)",
            json_pack("[ooooo]", ref("collectionId"), ref("tileMatrixSetId"), ref("tileMatrix"),
                      ref("tileRow"), ref("tileCol")),
            ok("Mapbox Vector Tile", "application/vnd.mapbox-vector-tile")));
}

static json_t *build(const dataset_t *ds, const char *base)
{
    json_t *paths = json_object();
    json_object_set_new(paths, "/",
                        get("getLanding", "Landing page", json_pack("[o]", ref("f")),
                            ok("Links", "application/json")));
    json_object_set_new(paths, "/conformance",
                        get("getConformance", "Conformance classes", json_pack("[o]", ref("f")),
                            ok("conformsTo", "application/json")));
    json_object_set_new(paths, "/api",
                        get("getApi", "This API definition", json_pack("[o]", ref("f")),
                            ok("OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0")));
    json_object_set_new(paths, "/collections",
                        get("getCollections", "The collections", json_pack("[o]", ref("f")),
                            ok("Collections", "application/json")));
    json_object_set_new(paths, "/collections/{collectionId}",
                        get("getCollection", "One collection",
                            json_pack("[oo]", ref("collectionId"), ref("f")),
                            ok("A collection", "application/json")));
    json_object_set_new(paths, "/health",
                        get("getHealth", "Service status and data version", json_array(),
                            ok("Status", "application/json")));
    json_object_set_new(paths, "/ready",
                        get("getReady", "Ready for traffic: 200, or 503 while stopping",
                            json_array(), ok("Readiness", "application/json")));
    json_object_set_new(paths, "/metrics",
                        get("getMetrics", "Counters in the Prometheus text format", json_array(),
                            ok("Metrics", "text/plain")));
    add_tiles_paths(paths);
    for (size_t i = 0; i < dataset_layer_count(ds); i++) {
        const layer_t *l = dataset_layer(ds, i);
        char p[160];
        snprintf(p, sizeof(p), "/collections/%s/items", l->id);
        json_object_set_new(paths, p, items_path(l));
        snprintf(p, sizeof(p), "/collections/%s/items/{featureId}", l->id);
        json_object_set_new(paths, p, item_path(l));
        static const char *const schemas[][2] = {{"queryables", "Queryables of"},
                                                 {"schema", "Schema of the features of"}};
        for (size_t k = 0; k < 2; k++) {
            char id[160], summary[300];
            snprintf(p, sizeof(p), "/collections/%s/%s", l->id, schemas[k][0]);
            snprintf(id, sizeof(id), "get%s_%s", k ? "Schema" : "Queryables", l->id);
            snprintf(summary, sizeof(summary), "%s %s", schemas[k][1], l->title);
            json_object_set_new(paths, p,
                                get(id, summary, json_pack("[o]", ref("f")),
                                    ok("A JSON Schema", "application/schema+json")));
        }
    }
    const char *desc = dataset_description(ds);
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:o}", "openapi", "3.0.3", "info",
                     "title", dataset_title(ds), "version", COOPMAP_VERSION, "description",
                     desc ? desc : "", "servers", "url", base, "paths", paths, "components",
                     components(ds));
}

static const char *const summaries[][2] = {
    {"/", "Landing page"},
    {"/conformance", "Conformance classes"},
    {"/api", "This API definition (OpenAPI 3.0)"},
    {"/collections", "The collections"},
    {"/collections/{collectionId}", "One collection: extent, CRSs, links"},
    {"/collections/{collectionId}/items",
     "Features: bbox, bbox-crs, crs, limit, offset, properties, property=value filters, CQL2 "
     "filter, sortby, skipGeometry; f=csv, gpkg, fgb downloads"},
    {"/collections/{collectionId}/queryables", "What filter and sortby take (JSON Schema)"},
    {"/collections/{collectionId}/schema", "The features' schema (JSON Schema)"},
    {"/collections/{collectionId}/items/{featureId}", "One feature"},
    {"/health", "Service status and data version"},
    {"/ready", "Ready for traffic: 200, or 503 while stopping"},
    {"/metrics", "Counters, latencies, caches and queues in the Prometheus text format"},
    {"/tileMatrixSets/{tileMatrixSetId}", "OGC API - Tiles: the tile matrix set"},
    {"/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
     "OGC API - Tiles: a collection's vector tile"},
    {"/map/tiles/{tileMatrixSetId}", "OGC API - Tiles: the map tileset (PNG)"},
    {"/styles/{styleId}", "OGC API - Styles: a MapLibre style"},
};

void ogcapi_api(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    if (pg.fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_api(&b, summaries, sizeof(summaries) / sizeof(summaries[0]),
                 &(html_ctx_t){pg.base, pg.lang});
        ogc_send_html(resp, &b, &pg);
    } else {
        api_send_json(resp, build(pg.ds, pg.base), "application/vnd.oai.openapi+json;version=3.0");
    }
    ogc_end(&pg);
}
