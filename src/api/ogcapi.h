/* OGC API - Features (Part 1 core, GeoJSON, HTML, OpenAPI 3.0; Part 2
 * CRS): the handlers behind the routes in api.c, and their shared helpers.
 * Handlers parse parameters, ask the query and geojson modules, and write;
 * they do no geometry themselves. */
#ifndef COOPMAP_OGCAPI_H
#define COOPMAP_OGCAPI_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"
#include "data/dataset.h"
#include "data/geojson.h"
#include "http/http.h"
#include "api/send.h"

/* Handlers (ctx is the app_t). */
void ogcapi_landing(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_conformance(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_api(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_collections(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_collection(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_items(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_item(const http_request_t *req, http_response_t *resp, void *ctx);
/* Part 3 queryables and Part 5 schema (ogcapi_schema.c). */
void ogcapi_queryables(const http_request_t *req, http_response_t *resp, void *ctx);
void ogcapi_schema(const http_request_t *req, http_response_t *resp, void *ctx);

/* --- shared by ogcapi*.c and openapi.c --- */

#define OGC_CRS84         "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define OGC_EPSG4326      "http://www.opengis.net/def/crs/EPSG/0/4326"
#define OGC_EPSG3857      "http://www.opengis.net/def/crs/EPSG/0/3857"
#define OGC_LIMIT_DEFAULT 1000 /* a whole layer of a few hundred features on one page */
#define OGC_LIMIT_MAX     10000

/* CSV, GPKG and FGB: downloads of items only. */
typedef enum ogc_format { OGC_JSON, OGC_HTML, OGC_CSV, OGC_GPKG, OGC_FGB } ogc_format_t;

/* "http://host:port" for links: the configured base URL, or the request's
 * Host header when it looks like a host name; never anything else. */
void ogc_base_url(const http_request_t *req, void *ctx, char *out, size_t size);

/* What every handler starts with: the negotiated format, a reference to
 * the current dataset (Last-Modified is set from it) and the base URL. */
typedef struct ogc_page {
    ogc_format_t fmt;
    const char *lang; /* of the HTML pages, from Accept-Language: "sl", "de", "hu", "en" */
    dataset_t *ds;    /* released by ogc_end() */
    char base[256];
} ogc_page_t;

/* Returns -1 (after setting a 406) when the format is not offered; then
 * there is nothing to end. */
int ogc_begin(const http_request_t *req, http_response_t *resp, void *ctx, ogc_page_t *page);
void ogc_end(ogc_page_t *page);

/* Sends an HTML page of the page's language (Content-Language); b is taken. */
void ogc_send_html(http_response_t *resp, buf_t *b, const ogc_page_t *page);

/* Output CRS from a crs/bbox-crs value: the URIs in OGC_*, or EPSG:4326,
 * EPSG:3857, CRS84 as short forms. -1 if unsupported. */
int ogc_parse_crs(const char *text, crs_id_t *out);
const char *ogc_crs_uri(crs_id_t crs);

/* The layer named by the {collectionId} path parameter, or NULL after
 * setting a 404. */
const layer_t *ogc_collection(const http_request_t *req, http_response_t *resp,
                              const dataset_t *ds);

#endif
