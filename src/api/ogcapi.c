#include "api/ogcapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/ogcapi_html.h"

/* --- helpers ------------------------------------------------------------ */

/* q-value of a media type in an Accept header (0 if absent); "* / *" and
 * "type/ *" count as that type. */
static double accept_q(const char *accept, const char *type)
{
    double best = 0;
    size_t major = strcspn(type, "/");
    for (const char *p = accept; p && *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, ";,");
        const char *end = p + strcspn(p, ",");
        double q = 1;
        const char *qp = strstr(p, "q=");
        if (qp && qp < end) q = strtod(qp + 2, NULL);
        bool match =
            (n == strlen(type) && strncasecmp(p, type, n) == 0) ||
            (n == 3 && strncmp(p, "*/*", 3) == 0) ||
            (n == major + 2 && strncasecmp(p, type, major + 1) == 0 && p[major + 1] == '*');
        if (match && q > best) best = q;
        p = end;
    }
    return best;
}

/* The HTML pages' language: the Accept-Language entry with the highest q
 * that is sl, de, hu or en (de-AT is de); English without one. */
static const char *ogc_language(const char *accept)
{
    static const char *const langs[] = {"sl", "de", "hu", "en"};
    const char *best = "en", *p = accept ? accept : "";
    double best_q = 0;
    while (*p) {
        p += strspn(p, " ,");
        const char *end = p + strcspn(p, ",");
        size_t n = strcspn(p, ";,- ");
        double q = 1;
        const char *qp = strstr(p, "q=");
        if (qp && qp < end) q = strtod(qp + 2, NULL);
        for (size_t i = 0; i < 4; i++)
            if (n == 2 && strncasecmp(p, langs[i], 2) == 0 && q > best_q) {
                best = langs[i];
                best_q = q;
            }
        p = end;
    }
    return best;
}

/* The representation asked for by ?f= or, failing that, Accept. Returns -1
 * after setting a 406 error for an unknown f. */
static int ogc_negotiate(const http_request_t *req, http_response_t *resp, ogc_format_t *out)
{
    const char *f = http_request_query(req, "f");
    if (f) {
        if (strcmp(f, "json") == 0 || strcmp(f, "geojson") == 0) {
            *out = OGC_JSON;
            return 0;
        }
        if (strcmp(f, "html") == 0) {
            *out = OGC_HTML;
            return 0;
        }
        static const char *const downloads[] = {"csv", "gpkg", "fgb"};
        const char *path = http_request_path(req);
        size_t n = strlen(path);
        bool items = n >= 6 && strcmp(path + n - 6, "/items") == 0;
        for (int i = 0; items && i < 3; i++)
            if (strcmp(f, downloads[i]) == 0) {
                *out = (ogc_format_t)(OGC_CSV + i);
                return 0;
            }
        http_error(resp, 406, "f=%.40s is not offered; use f=json or f=html%s", f,
                   items ? " (or csv, gpkg, fgb)" : "");
        return -1;
    }
    const char *accept = http_request_header(req, "Accept");
    double html = accept ? accept_q(accept, "text/html") : 0;
    double json = accept ? accept_q(accept, "application/json") : 1;
    double geojson = accept ? accept_q(accept, "application/geo+json") : 1;
    /* A browser asks for text/html first; API clients for JSON or anything. */
    *out = html > json && html > geojson ? OGC_HTML : OGC_JSON;
    return 0;
}

static bool plausible_host(const char *host)
{
    size_t n = host ? strlen(host) : 0;
    return n > 0 && n < 200 &&
           strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

void ogc_base_url(const http_request_t *req, void *ctx, char *out, size_t size)
{
    const char *base = app_base_url(ctx);
    const char *host = http_request_header(req, "Host");
    if (base)
        snprintf(out, size, "%s", base);
    else
        snprintf(out, size, "http://%s", plausible_host(host) ? host : "localhost");
}

/* A link object {"href", "rel", "type", "title"}; title may be NULL. */
static json_t *ogc_link(const char *href, const char *rel, const char *type, const char *title)
{
    json_t *link = json_pack("{s:s, s:s, s:s}", "href", href, "rel", rel, "type", type);
    if (link && title) json_object_set_new(link, "title", json_string(title));
    return link;
}

/* Appends a link to base + path to the array links. */
static void ogc_add_link(json_t *links, const char *base, const char *path, const char *rel,
                         const char *type, const char *title)
{
    char href[512];
    snprintf(href, sizeof(href), "%s%s", base, path);
    json_array_append_new(links, ogc_link(href, rel, type, title));
}

int ogc_parse_crs(const char *text, crs_id_t *out)
{
    static const struct {
        const char *name;
        crs_id_t crs;
    } names[] = {
        {OGC_CRS84, CRS_CRS84},        {"CRS84", CRS_CRS84},         {"OGC:CRS84", CRS_CRS84},
        {"[OGC:CRS84]", CRS_CRS84},    {OGC_EPSG4326, CRS_EPSG4326}, {"EPSG:4326", CRS_EPSG4326},
        {"[EPSG:4326]", CRS_EPSG4326}, {OGC_EPSG3857, CRS_EPSG3857}, {"EPSG:3857", CRS_EPSG3857},
        {"[EPSG:3857]", CRS_EPSG3857},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].crs;
            return 0;
        }
    return -1;
}

const char *ogc_crs_uri(crs_id_t crs)
{
    switch (crs) {
    case CRS_EPSG4326:
        return OGC_EPSG4326;
    case CRS_EPSG3857:
        return OGC_EPSG3857;
    case CRS_CRS84:
        break;
    }
    return OGC_CRS84;
}

const layer_t *ogc_collection(const http_request_t *req, http_response_t *resp, const dataset_t *ds)
{
    const char *id = http_request_param(req, "collectionId");
    const layer_t *layer = id ? dataset_find_layer(ds, id) : NULL;
    if (layer == NULL)
        http_error(resp, 404, "no collection '%.100s'; see /collections", id ? id : "");
    return layer;
}

int ogc_begin(const http_request_t *req, http_response_t *resp, void *ctx, ogc_page_t *page)
{
    if (ogc_negotiate(req, resp, &page->fmt) != 0) return -1;
    page->lang = ogc_language(http_request_header(req, "Accept-Language"));
    http_response_header(resp, "Vary", "Accept-Language"); /* the HTML's language */
    page->ds = app_acquire(ctx);
    http_response_last_modified(resp, dataset_loaded_at(page->ds));
    ogc_base_url(req, ctx, page->base, sizeof(page->base));
    return 0;
}

void ogc_send_html(http_response_t *resp, buf_t *b, const ogc_page_t *page)
{
    http_response_header(resp, "Content-Language", page->lang);
    api_send_html(resp, b);
}

void ogc_end(ogc_page_t *page)
{
    dataset_unref(page->ds);
    page->ds = NULL;
}

/* --- landing page, conformance, collections ------------------------------- */

/* rel=enclosure links to the layer's CSV, GeoPackage and FlatGeobuf. */
static void add_downloads(json_t *links, const char *base, const layer_t *layer)
{
    static const struct {
        const char *f, *type, *what;
    } downloads[] = {{"csv", "text/csv", "CSV"},
                     {"gpkg", "application/geopackage+sqlite3", "GeoPackage"},
                     {"fgb", "application/flatgeobuf", "FlatGeobuf"}};
    for (size_t i = 0; i < sizeof(downloads) / sizeof(downloads[0]); i++) {
        char path[192], title[192];
        snprintf(path, sizeof(path), "/collections/%s/items?f=%s", layer->id, downloads[i].f);
        snprintf(title, sizeof(title), "%s as %s", layer->id, downloads[i].what);
        ogc_add_link(links, base, path, "enclosure", downloads[i].type, title);
    }
}

void ogcapi_landing(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    if (pg.fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_landing(&b, pg.ds, &(html_ctx_t){pg.base, pg.lang});
        ogc_send_html(resp, &b, &pg);
        ogc_end(&pg);
        return;
    }
    json_t *links = json_array();
    ogc_add_link(links, pg.base, "/?f=json", "self", "application/json", "This document");
    ogc_add_link(links, pg.base, "/?f=html", "alternate", "text/html", "This document as HTML");
    ogc_add_link(links, pg.base, "/api", "service-desc",
                 "application/vnd.oai.openapi+json;version=3.0",
                 "The API definition (OpenAPI 3.0)");
    ogc_add_link(links, pg.base, "/api?f=html", "service-doc", "text/html",
                 "The API documentation");
    ogc_add_link(links, pg.base, "/conformance", "conformance", "application/json",
                 "Conformance classes implemented");
    ogc_add_link(links, pg.base, "/collections", "data", "application/json", "The collections");
    ogc_add_link(links, pg.base, "/map/tiles",
                 "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map", "application/json",
                 "Map tiles");
    ogc_add_link(links, pg.base, "/tileMatrixSets",
                 "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "application/json",
                 "Tile matrix sets");
    ogc_add_link(links, pg.base, "/styles", "http://www.opengis.net/def/rel/ogc/1.0/styles",
                 "application/json", "Map styles");
    for (size_t i = 0; i < dataset_layer_count(pg.ds); i++)
        add_downloads(links, pg.base, dataset_layer(pg.ds, i));
    const char *desc = dataset_description(pg.ds), *attr = dataset_attribution(pg.ds);
    json_t *obj = json_pack("{s:s, s:s, s:s, s:o}", "title", dataset_title(pg.ds), "description",
                            desc ? desc : "", "attribution", attr ? attr : "", "links", links);
    ogc_end(&pg);
    api_send_json(resp, obj, "application/json");
}

static const char *const conformance[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
};

void ogcapi_conformance(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    size_t n = sizeof(conformance) / sizeof(conformance[0]);
    if (pg.fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_conformance(&b, conformance, n, &(html_ctx_t){pg.base, pg.lang});
        ogc_send_html(resp, &b, &pg);
    } else {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, json_string(conformance[i]));
        api_send_json(resp, json_pack("{s:o}", "conformsTo", list), "application/json");
    }
    ogc_end(&pg);
}

/* The collection document (JSON) for one layer. */
static json_t *ogc_collection_json(const layer_t *layer, const char *base)
{
    char path[256];
    json_t *links = json_array();
    snprintf(path, sizeof(path), "/collections/%s", layer->id);
    ogc_add_link(links, base, path, "self", "application/json", layer->title);
    snprintf(path, sizeof(path), "/collections/%s?f=html", layer->id);
    ogc_add_link(links, base, path, "alternate", "text/html", layer->title);
    snprintf(path, sizeof(path), "/collections/%s/items", layer->id);
    ogc_add_link(links, base, path, "items", "application/geo+json", "Features");
    snprintf(path, sizeof(path), "/collections/%s/items?f=html", layer->id);
    ogc_add_link(links, base, path, "items", "text/html", "Features as HTML");
    snprintf(path, sizeof(path), "/collections/%s/queryables", layer->id);
    ogc_add_link(links, base, path, "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                 "application/schema+json", "Queryables (for filter and sortby)");
    snprintf(path, sizeof(path), "/collections/%s/schema", layer->id);
    ogc_add_link(links, base, path, "describedby", "application/schema+json",
                 "Schema of the features");
    ogc_add_link(links, base, path, "http://www.opengis.net/def/rel/ogc/1.0/schema",
                 "application/schema+json", "Schema of the features");
    add_downloads(links, base, layer);
    snprintf(path, sizeof(path), "/collections/%s/tiles", layer->id);
    ogc_add_link(links, base, path, "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                 "application/json", "Vector tiles of this collection");
    ogc_add_link(links, base, "/map/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map",
                 "application/json", "Map tiles of the whole map");
    bbox_t e = layer->extent;
    return json_pack("{s:s, s:s, s:s, s:{s:{s:[[ffff]], s:s}}, s:s, s:[sss], s:s, s:o}", "id",
                     layer->id, "title", layer->title, "description",
                     layer->description ? layer->description : "", "extent", "spatial", "bbox",
                     e.minx, e.miny, e.maxx, e.maxy, "crs", OGC_CRS84, "itemType", "feature", "crs",
                     OGC_CRS84, OGC_EPSG4326, OGC_EPSG3857, "storageCrs", OGC_CRS84, "links",
                     links);
}

void ogcapi_collections(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    if (pg.fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_collections(&b, pg.ds, &(html_ctx_t){pg.base, pg.lang});
        ogc_send_html(resp, &b, &pg);
        ogc_end(&pg);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < dataset_layer_count(pg.ds); i++)
        json_array_append_new(list, ogc_collection_json(dataset_layer(pg.ds, i), pg.base));
    json_t *links = json_array();
    ogc_add_link(links, pg.base, "/collections", "self", "application/json", "Collections");
    ogc_add_link(links, pg.base, "/collections?f=html", "alternate", "text/html", "Collections");
    json_t *obj = json_pack("{s:o, s:o, s:[sss]}", "links", links, "collections", list, "crs",
                            OGC_CRS84, OGC_EPSG4326, OGC_EPSG3857);
    ogc_end(&pg);
    api_send_json(resp, obj, "application/json");
}

void ogcapi_collection(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    const layer_t *layer = ogc_collection(req, resp, pg.ds);
    if (layer && pg.fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_collection(&b, pg.ds, layer, &(html_ctx_t){pg.base, pg.lang});
        ogc_send_html(resp, &b, &pg);
    } else if (layer) {
        api_send_json(resp, ogc_collection_json(layer, pg.base), "application/json");
    }
    ogc_end(&pg);
}
