#include "api/api.h"
#include "api/wms.h"

#include "api/ogcapi.h"

static const http_route_t routes[] = {
    {"/", ogcapi_landing},
    {"/health", api_health},
    {"/ready", api_ready},
    {"/metrics", api_metrics},
    {"/conformance", ogcapi_conformance},
    {"/api", ogcapi_api},
    {"/collections", ogcapi_collections},
    {"/collections/{collectionId}", ogcapi_collection},
    {"/collections/{collectionId}/items", ogcapi_items},
    {"/collections/{collectionId}/queryables", ogcapi_queryables},
    {"/collections/{collectionId}/schema", ogcapi_schema},
    {"/collections/{collectionId}/items/{featureId}", ogcapi_item},
    {"/collections/{collectionId}/tiles", ogcapi_collection_tilesets},
    {"/collections/{collectionId}/tiles/{tileMatrixSetId}", ogcapi_collection_tileset},
    {"/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
     ogcapi_collection_tile},
    {"/tileMatrixSets", ogcapi_tile_matrix_sets},
    {"/tileMatrixSets/{tileMatrixSetId}", ogcapi_tile_matrix_set},
    {"/map/tiles", ogcapi_map_tilesets},
    {"/map/tiles/{tileMatrixSetId}", ogcapi_map_tileset},
    {"/distances", api_distances},
    {"/network", api_network},
    {"/network/metrics", api_network_metrics},
    {"/tiles", api_tiles_list},
    {"/tiles/{style}", api_tilejson},
    {"/tiles/{style}/{z}/{x}/{y}", api_tile},
    {"/styles", api_styles},
    {"/styles/{styleId}", api_style},
    {"/fonts/{fontstack}/{range}", api_glyphs},
    {"/wms", api_wms, wms_error_body},
    {"/map.png", api_map},
    {"/map.svg", api_map},
    {"/map.pdf", api_map},
    {"/viewer", api_viewer},
    {"/embed", api_embed},
    {"/embed/builder", api_embed_builder},
    {"/web/{file}", api_web_file},
    {"/assets/leaflet/{file}", api_leaflet},
    {"/assets/leaflet/images/{file}", api_leaflet_image},
    {"/assets/maplibre/{file}", api_maplibre},
    {"/geodesic", api_geodesic},
};

const http_route_t *api_routes(size_t *count)
{
    *count = sizeof(routes) / sizeof(routes[0]);
    return routes;
}
