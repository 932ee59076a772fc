#include "ogcapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "ogcapi_html.h"

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
        if (qp && qp < end)
            q = strtod(qp + 2, NULL);
        bool match = (n == strlen(type) && strncasecmp(p, type, n) == 0) ||
                     (n == 3 && strncmp(p, "*/*", 3) == 0) ||
                     (n == major + 2 && strncasecmp(p, type, major + 1) == 0 && p[major + 1] == '*');
        if (match && q > best)
            best = q;
        p = end;
    }
    return best;
}

int ogc_negotiate(const http_request_t *req, http_response_t *resp, ogc_format_t *out)
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
        http_error(resp, 406, "f=%.40s is not offered; use f=json or f=html", f);
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

json_t *ogc_link(const char *href, const char *rel, const char *type, const char *title)
{
    json_t *link = json_pack("{s:s, s:s, s:s}", "href", href, "rel", rel, "type", type);
    if (link && title)
        json_object_set_new(link, "title", json_string(title));
    return link;
}

void ogc_send_json(http_response_t *resp, json_t *obj, const char *content_type)
{
    /* 15 significant digits: 15.61667, not 15.616669999999999. */
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(obj);
    if (text == NULL) {
        http_error(resp, 500, "cannot encode the JSON document");
        return;
    }
    http_response_body(resp, 200, content_type, text, strlen(text));
}

void ogc_send_buf(http_response_t *resp, buf_t *b, const char *content_type)
{
    size_t len = 0;
    char *body = buf_steal(b, &len);
    if (body == NULL) {
        http_error(resp, 500, "out of memory building the response");
        return;
    }
    http_response_body(resp, 200, content_type, body, len);
}

int ogc_parse_crs(const char *text, geojson_crs_t *out)
{
    static const struct {
        const char *name;
        geojson_crs_t crs;
    } names[] = {
        {OGC_CRS84, GEOJSON_CRS84},       {"CRS84", GEOJSON_CRS84},
        {"OGC:CRS84", GEOJSON_CRS84},     {"[OGC:CRS84]", GEOJSON_CRS84},
        {OGC_EPSG4326, GEOJSON_EPSG4326}, {"EPSG:4326", GEOJSON_EPSG4326},
        {"[EPSG:4326]", GEOJSON_EPSG4326}, {OGC_EPSG3857, GEOJSON_EPSG3857},
        {"EPSG:3857", GEOJSON_EPSG3857},  {"[EPSG:3857]", GEOJSON_EPSG3857},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].crs;
            return 0;
        }
    return -1;
}

const char *ogc_crs_uri(geojson_crs_t crs)
{
    switch (crs) {
    case GEOJSON_EPSG4326: return OGC_EPSG4326;
    case GEOJSON_EPSG3857: return OGC_EPSG3857;
    case GEOJSON_CRS84: break;
    }
    return OGC_CRS84;
}

const layer_t *ogc_collection(const http_request_t *req, http_response_t *resp,
                              const dataset_t *ds)
{
    const char *id = http_request_param(req, "collectionId");
    const layer_t *layer = id ? dataset_find_layer(ds, id) : NULL;
    if (layer == NULL)
        http_error(resp, 404, "no collection '%.100s'; see /collections", id ? id : "");
    return layer;
}

/* Handlers take the dataset once and stamp Last-Modified with its load time. */
static dataset_t *begin(http_response_t *resp, void *ctx)
{
    dataset_t *ds = app_acquire(ctx);
    http_response_last_modified(resp, dataset_loaded_at(ds));
    return ds;
}

/* --- landing page, conformance, collections ------------------------------- */

void ogcapi_landing(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_format_t fmt;
    char base[256], href[320];
    if (ogc_negotiate(req, resp, &fmt) != 0)
        return;
    dataset_t *ds = begin(resp, ctx);
    ogc_base_url(req, ctx, base, sizeof(base));
    if (fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_landing(&b, ds, base);
        ogc_send_buf(resp, &b, "text/html; charset=utf-8");
        dataset_unref(ds);
        return;
    }
    json_t *links = json_array();
    snprintf(href, sizeof(href), "%s/?f=json", base);
    json_array_append_new(links, ogc_link(href, "self", "application/json", "This document"));
    snprintf(href, sizeof(href), "%s/?f=html", base);
    json_array_append_new(links, ogc_link(href, "alternate", "text/html", "This document as HTML"));
    snprintf(href, sizeof(href), "%s/api", base);
    json_array_append_new(links, ogc_link(href, "service-desc",
                                          "application/vnd.oai.openapi+json;version=3.0",
                                          "The API definition (OpenAPI 3.0)"));
    snprintf(href, sizeof(href), "%s/api?f=html", base);
    json_array_append_new(links, ogc_link(href, "service-doc", "text/html",
                                          "The API documentation"));
    snprintf(href, sizeof(href), "%s/conformance", base);
    json_array_append_new(links, ogc_link(href, "conformance", "application/json",
                                          "Conformance classes implemented"));
    snprintf(href, sizeof(href), "%s/collections", base);
    json_array_append_new(links, ogc_link(href, "data", "application/json", "The collections"));
    const char *desc = dataset_description(ds), *attr = dataset_attribution(ds);
    json_t *obj = json_pack("{s:s, s:s, s:s, s:o}", "title", dataset_title(ds), "description",
                            desc ? desc : "", "attribution", attr ? attr : "", "links", links);
    dataset_unref(ds);
    ogc_send_json(resp, obj, "application/json");
}

static const char *const conformance[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
};

void ogcapi_conformance(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_format_t fmt;
    if (ogc_negotiate(req, resp, &fmt) != 0)
        return;
    dataset_t *ds = begin(resp, ctx);
    dataset_unref(ds);
    size_t n = sizeof(conformance) / sizeof(conformance[0]);
    if (fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_conformance(&b, conformance, n);
        ogc_send_buf(resp, &b, "text/html; charset=utf-8");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(conformance[i]));
    ogc_send_json(resp, json_pack("{s:o}", "conformsTo", list), "application/json");
}

json_t *ogc_collection_json(const layer_t *layer, const char *base)
{
    char href[512];
    json_t *links = json_array();
    snprintf(href, sizeof(href), "%s/collections/%s", base, layer->id);
    json_array_append_new(links, ogc_link(href, "self", "application/json", layer->title));
    snprintf(href, sizeof(href), "%s/collections/%s?f=html", base, layer->id);
    json_array_append_new(links, ogc_link(href, "alternate", "text/html", layer->title));
    snprintf(href, sizeof(href), "%s/collections/%s/items", base, layer->id);
    json_array_append_new(links, ogc_link(href, "items", "application/geo+json", "Features"));
    snprintf(href, sizeof(href), "%s/collections/%s/items?f=html", base, layer->id);
    json_array_append_new(links, ogc_link(href, "items", "text/html", "Features as HTML"));
    bbox_t e = layer->extent;
    return json_pack("{s:s, s:s, s:s, s:{s:{s:[[ffff]], s:s}}, s:s, s:[sss], s:s, s:o}", "id",
                     layer->id, "title", layer->title, "description",
                     layer->description ? layer->description : "", "extent", "spatial", "bbox",
                     e.minx, e.miny, e.maxx, e.maxy, "crs", OGC_CRS84, "itemType", "feature",
                     "crs", OGC_CRS84, OGC_EPSG4326, OGC_EPSG3857, "storageCrs", OGC_CRS84,
                     "links", links);
}

void ogcapi_collections(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_format_t fmt;
    char base[256], href[320];
    if (ogc_negotiate(req, resp, &fmt) != 0)
        return;
    dataset_t *ds = begin(resp, ctx);
    ogc_base_url(req, ctx, base, sizeof(base));
    if (fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_collections(&b, ds, base);
        ogc_send_buf(resp, &b, "text/html; charset=utf-8");
        dataset_unref(ds);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < dataset_layer_count(ds); i++)
        json_array_append_new(list, ogc_collection_json(dataset_layer(ds, i), base));
    json_t *links = json_array();
    snprintf(href, sizeof(href), "%s/collections", base);
    json_array_append_new(links, ogc_link(href, "self", "application/json", "Collections"));
    snprintf(href, sizeof(href), "%s/collections?f=html", base);
    json_array_append_new(links, ogc_link(href, "alternate", "text/html", "Collections"));
    json_t *obj = json_pack("{s:o, s:o, s:[sss]}", "links", links, "collections", list, "crs",
                            OGC_CRS84, OGC_EPSG4326, OGC_EPSG3857);
    dataset_unref(ds);
    ogc_send_json(resp, obj, "application/json");
}

void ogcapi_collection(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_format_t fmt;
    char base[256];
    if (ogc_negotiate(req, resp, &fmt) != 0)
        return;
    dataset_t *ds = begin(resp, ctx);
    const layer_t *layer = ogc_collection(req, resp, ds);
    ogc_base_url(req, ctx, base, sizeof(base));
    if (layer && fmt == OGC_HTML) {
        buf_t b = BUF_INIT;
        html_collection(&b, ds, layer, base);
        ogc_send_buf(resp, &b, "text/html; charset=utf-8");
    } else if (layer) {
        ogc_send_json(resp, ogc_collection_json(layer, base), "application/json");
    }
    dataset_unref(ds);
}
