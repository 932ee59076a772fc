/* /collections/{collectionId}/items and /items/{featureId}. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ogcapi.h"
#include "api/ogcapi_html.h"
#include "data/cql2.h"
#include "data/export.h"
#include "data/query.h"
#include "util/text.h"

typedef struct items_params {
    const layer_t *layer;
    const char *bbox, *bbox_crs, *crs, *limit, *offset, *properties;
    const char *filter, *filter_lang, *filter_crs, *sortby, *skip_geometry;
    query_t query;
    error_t err;       /* the first bad parameter */
    buf_t passthrough; /* the filters, re-encoded for next/prev links */
} items_params_t;

static void keep_param(buf_t *b, const char *name, const char *value)
{
    buf_append(b, "&", 1);
    buf_url_encode(b, name);
    buf_append(b, "=", 1);
    buf_url_encode(b, value);
}

/* Sorts each query parameter into its slot; anything else must be a
 * queryable attribute, or the request is refused (OGC API-Features
 * /req/core/query-param-unknown). */
static int take_param(const char *name, const char *value, void *arg)
{
    items_params_t *p = arg;
    static const char *const ignored[] = {"f", "datetime"};
    const char **slots[] = {&p->bbox,       &p->bbox_crs,   &p->crs,          &p->limit,
                            &p->offset,     &p->properties, &p->filter,       &p->filter_lang,
                            &p->filter_crs, &p->sortby,     &p->skip_geometry};
    static const char *const names[] = {"bbox",       "bbox-crs",   "crs",         "limit",
                                        "offset",     "properties", "filter",      "filter-lang",
                                        "filter-crs", "sortby",     "skipGeometry"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0) {
            *slots[i] = value;
            if (slots[i] != &p->limit && slots[i] != &p->offset)
                keep_param(&p->passthrough, name, value);
            return 0;
        }
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (strcmp(name, ignored[i]) == 0) {
            if (i == 1) keep_param(&p->passthrough, name, value);
            return 0;
        }
    if (query_add_filter(&p->query, p->layer, name, value, &p->err) != ERR_OK) {
        if (p->err.code == ERR_NOTFOUND)
            error_set(&p->err, ERR_INVALID,
                      "unknown parameter '%.60s': not a standard "
                      "parameter nor a queryable of %s",
                      name, p->layer->id);
        return 1;
    }
    keep_param(&p->passthrough, name, value);
    return 0;
}

/* Parses "a,b,c,d" or the 6-number 3D form into minx, miny, maxx, maxy. */
static int parse_bbox(const char *text, double v[4], error_t *err)
{
    double n[6];
    int count = http_parse_numbers(text, n, 6);
    if (count < 0)
        return error_set(err, ERR_INVALID, "bbox: '%.60s' is not a list of numbers", text);
    if (count != 4 && count != 6)
        return error_set(err, ERR_INVALID, "bbox: want 4 or 6 numbers, got %d", count);
    int hi = count == 6 ? 3 : 2; /* 3D: minx,miny,minz,maxx,maxy,maxz */
    v[0] = n[0], v[1] = n[1], v[2] = n[hi], v[3] = n[hi + 1];
    return ERR_OK;
}

static int parse_count(const char *name, const char *text, size_t min, size_t *out, error_t *err)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0' || n < min)
        return error_set(err, ERR_INVALID, "%s: '%.40s' is not an integer >= %zu", name, text, min);
    *out = errno == ERANGE || n > SIZE_MAX / 4 ? SIZE_MAX / 4 : (size_t)n;
    return ERR_OK;
}

static int parse_properties(const layer_t *layer, const char *list, bool *mask, error_t *err)
{
    memset(mask, 0, layer->nfields * sizeof(bool));
    size_t n;
    for (const char *cur = list, *p; (p = text_list_next(&cur, &n));) {
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(n < 127 ? n : 127), p);
        int f = layer_field_index(layer, name);
        if (f < 0)
            return error_set(err, ERR_INVALID, "properties: %s has no property '%s'", layer->id,
                             name);
        mask[f] = true;
    }
    return ERR_OK;
}

typedef struct items_out {
    crs_id_t crs;
    size_t limit, offset;
    bool limited; /* limit given (downloads hold every match otherwise) */
    bool *mask;
    bool skip_geometry;
    cql2_t *cql; /* freed by the handler */
} items_out_t;

/* filter, filter-lang, filter-crs, sortby and skipGeometry. */
static int parse_part3(items_params_t *p, items_out_t *o)
{
    if (p->skip_geometry) {
        if (strcmp(p->skip_geometry, "true") != 0 && strcmp(p->skip_geometry, "false") != 0)
            return error_set(&p->err, ERR_INVALID, "skipGeometry: true or false");
        o->skip_geometry = strcmp(p->skip_geometry, "true") == 0;
    }
    if (p->sortby && query_add_sort(&p->query, p->layer, p->sortby, &p->err) != ERR_OK) return -1;
    cql2_lang_t lang = CQL2_TEXT;
    if (p->filter_lang && strcmp(p->filter_lang, "cql2-json") == 0)
        lang = CQL2_JSON;
    else if (p->filter_lang && strcmp(p->filter_lang, "cql2-text") != 0 &&
             strcmp(p->filter_lang, "cql-text") != 0) /* the draft's name: GDAL 3.6 */
        return error_set(&p->err, ERR_INVALID, "filter-lang: cql2-text or cql2-json");
    crs_id_t fcrs = CRS_CRS84;
    if (p->filter_crs && ogc_parse_crs(p->filter_crs, &fcrs) != 0)
        return error_set(&p->err, ERR_INVALID, "filter-crs: '%.80s' is not offered", p->filter_crs);
    if ((p->filter_lang || p->filter_crs) && p->filter == NULL)
        return error_set(&p->err, ERR_INVALID, "filter-lang and filter-crs need a filter");
    if (p->filter) {
        if (cql2_parse(p->filter, lang, p->layer, fcrs, &o->cql, &p->err) != ERR_OK) return -1;
        p->query.cql = o->cql;
    }
    return 0;
}

static int parse_all(const http_request_t *req, items_params_t *p, items_out_t *o)
{
    o->limit = OGC_LIMIT_DEFAULT;
    o->offset = 0;
    o->crs = CRS_CRS84;
    if (http_request_query_each(req, take_param, p)) return -1;
    if (p->crs && ogc_parse_crs(p->crs, &o->crs) != 0)
        return error_set(&p->err, ERR_INVALID, "crs: '%.80s' is not offered; use %s, %s or %s",
                         p->crs, OGC_CRS84, OGC_EPSG4326, OGC_EPSG3857);
    crs_id_t bcrs = CRS_CRS84;
    if (p->bbox_crs && ogc_parse_crs(p->bbox_crs, &bcrs) != 0)
        return error_set(&p->err, ERR_INVALID, "bbox-crs: '%.80s' is not offered", p->bbox_crs);
    if (p->bbox) {
        double v[4];
        if (parse_bbox(p->bbox, v, &p->err) != ERR_OK ||
            query_set_bbox(&p->query, v, bcrs, &p->err) != ERR_OK)
            return -1;
    }
    if (p->limit && parse_count("limit", p->limit, 1, &o->limit, &p->err) != ERR_OK) return -1;
    o->limited = p->limit != NULL;
    if (o->limit > OGC_LIMIT_MAX) /* the standard: a larger limit is not an error */
        o->limit = OGC_LIMIT_MAX;
    if (p->offset && parse_count("offset", p->offset, 0, &o->offset, &p->err) != ERR_OK) return -1;
    if (p->properties) {
        o->mask = malloc((p->layer->nfields + 1) * sizeof(bool));
        if (o->mask == NULL) return error_set(&p->err, ERR_NOMEM, "out of memory");
        if (parse_properties(p->layer, p->properties, o->mask, &p->err) != ERR_OK) return -1;
    }
    return parse_part3(p, o);
}

static void set_content_crs(http_response_t *resp, crs_id_t crs)
{
    char value[96];
    snprintf(value, sizeof(value), "<%s>", ogc_crs_uri(crs));
    http_response_header(resp, "Content-Crs", value);
}

static void add_link(buf_t *b, bool *first, const char *href, const char *rel, const char *type,
                     const char *title)
{
    buf_puts(b, *first ? "" : ",");
    *first = false;
    buf_puts(b, "{\"href\":");
    geojson_string(b, href);
    buf_printf(b, ",\"rel\":\"%s\",\"type\":\"%s\",\"title\":\"%s\"}", rel, type, title);
}

/* The items URL with this offset and the kept parameters, into out. */
static void page_url(const char *base, const items_params_t *p, const items_out_t *o, size_t offset,
                     const char *f, buf_t *out)
{
    buf_printf(out, "%s/collections/%s/items?f=%s&limit=%zu&offset=%zu", base, p->layer->id, f,
               o->limit, offset);
    if (p->passthrough.len) buf_append(out, p->passthrough.data, p->passthrough.len);
}

static void write_links(buf_t *b, const char *base, const items_params_t *p, const items_out_t *o,
                        size_t matched)
{
    struct {
        bool show;
        size_t offset;
        const char *rel, *f, *type, *title;
    } links[] = {
        {true, o->offset, "self", "json", "application/geo+json", "This page"},
        {true, o->offset, "alternate", "html", "text/html", "This page as HTML"},
        {o->offset + o->limit < matched, o->offset + o->limit, "next", "json",
         "application/geo+json", "Next page"},
        {o->offset > 0, o->offset > o->limit ? o->offset - o->limit : 0, "prev", "json",
         "application/geo+json", "Previous page"},
    };
    bool first = true;
    buf_puts(b, "\"links\":[");
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        if (!links[i].show) continue;
        buf_t url = BUF_INIT;
        page_url(base, p, o, links[i].offset, links[i].f, &url);
        add_link(b, &first, url.data ? url.data : "", links[i].rel, links[i].type, links[i].title);
        buf_free(&url);
    }
    char href[320];
    snprintf(href, sizeof(href), "%s/collections/%s", base, p->layer->id);
    add_link(b, &first, href, "collection", "application/json", "The collection");
    buf_puts(b, "]");
}

static void write_collection(buf_t *b, const char *base, const items_params_t *p,
                             const items_out_t *o, const uint32_t *ids, size_t matched)
{
    size_t start = o->offset < matched ? o->offset : matched;
    size_t end = matched - start > o->limit ? start + o->limit : matched;
    /* No timeStamp: the same data must give the same bytes, hence ETag. */
    buf_printf(b,
               "{\"type\":\"FeatureCollection\",\"numberMatched\":%zu,"
               "\"numberReturned\":%zu,",
               matched, end - start);
    write_links(b, base, p, o, matched);
    buf_puts(b, ",\"features\":[");
    geojson_opts_t opts = {.crs = o->crs, .fields = o->mask, .no_geometry = o->skip_geometry};
    for (size_t i = start; i < end; i++) {
        if (i > start) buf_append(b, ",", 1);
        geojson_feature(b, p->layer, &p->layer->features[ids[i]], &opts);
    }
    buf_puts(b, "]}");
}

/* A download, written on the heavy queue (GDAL takes its time on a big
 * layer). */
typedef struct download {
    dataset_t *ds; /* a reference: the layer lives in it */
    const layer_t *layer;
    uint32_t *ids;
    size_t n;
    bool *mask;
    ogc_format_t fmt;
} download_t;

static void run_download(void *arg, http_response_t *resp)
{
    download_t *d = arg;
    static const char *const ext[] = {"csv", "gpkg", "fgb"};
    static const char *const types[] = {"text/csv; charset=utf-8", "application/geopackage+sqlite3",
                                        "application/flatgeobuf"};
    int k = d->fmt - OGC_CSV;
    char disposition[160];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.%s\"", d->layer->id,
             ext[k]);
    if (d->fmt == OGC_CSV) {
        buf_t b = BUF_INIT;
        export_csv(&b, d->layer, d->ids, d->n, d->mask);
        api_send_buf(resp, &b, types[k]);
    } else {
        unsigned char *data = NULL;
        size_t len = 0;
        error_t err = {0};
        if (export_file(d->layer, d->ids, d->n, d->mask,
                        d->fmt == OGC_GPKG ? EXPORT_GPKG : EXPORT_FGB, &data, &len,
                        &err) != ERR_OK) {
            http_error(resp, 503, "%s", err.message);
            return;
        }
        http_response_body(resp, 200, types[k], (char *)data, len);
    }
    http_response_header(resp, "Content-Disposition", disposition);
    http_response_last_modified(resp, dataset_loaded_at(d->ds));
}

static void free_download(void *arg)
{
    download_t *d = arg;
    dataset_unref(d->ds);
    free(d->ids);
    free(d->mask);
    free(d);
}

#define DOWNLOAD_MAX 100000

/* Takes ids; the page's matches, or every one without a limit. */
static void send_download(http_response_t *resp, const ogc_page_t *pg, items_params_t *p,
                          items_out_t *o, uint32_t *ids, size_t matched)
{
    size_t start = o->offset < matched ? o->offset : matched;
    size_t n = o->limited && matched - start > o->limit ? o->limit : matched - start;
    download_t *d = n <= DOWNLOAD_MAX ? calloc(1, sizeof(*d)) : NULL;
    if (d == NULL) {
        free(ids);
        if (n > DOWNLOAD_MAX)
            http_error(resp, 413,
                       "a download of %zu features is over the limit of %d; page "
                       "it with limit and offset",
                       n, DOWNLOAD_MAX);
        else
            http_error(resp, 503, "out of memory");
        return;
    }
    if (start && n) memmove(ids, ids + start, n * sizeof(uint32_t));
    *d = (download_t){dataset_ref(pg->ds), p->layer, ids, n, o->mask, pg->fmt};
    o->mask = NULL; /* the job's now */
    http_defer(resp, HTTP_WORK_HEAVY, run_download, free_download, d);
}

static void send_items(http_response_t *resp, const ogc_page_t *pg, items_params_t *p,
                       items_out_t *o)
{
    uint32_t *ids = NULL;
    size_t matched = 0;
    if (query_run(p->layer, &p->query, &ids, &matched) != ERR_OK) {
        http_error(resp, 500, "out of memory running the query");
        return;
    }
    if (pg->fmt >= OGC_CSV) {
        send_download(resp, pg, p, o, ids, matched);
        return;
    }
    buf_t b = BUF_INIT;
    if (pg->fmt == OGC_HTML) {
        size_t start = o->offset < matched ? o->offset : matched;
        size_t n = matched - start > o->limit ? o->limit : matched - start;
        /* ids is NULL when nothing matched: no arithmetic on it then. */
        html_items(&b, pg->ds, p->layer, n ? ids + start : NULL, n, matched,
                   &(html_ctx_t){pg->base, pg->lang});
        ogc_send_html(resp, &b, pg);
    } else {
        write_collection(&b, pg->base, p, o, ids, matched);
        api_send_buf(resp, &b, "application/geo+json");
        set_content_crs(resp, o->crs);
    }
    free(ids);
}

void ogcapi_items(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    items_params_t p = {.layer = ogc_collection(req, resp, pg.ds), .passthrough = BUF_INIT};
    items_out_t o = {0};
    if (p.layer && parse_all(req, &p, &o) != 0)
        http_error(resp, 400, "%s", p.err.message);
    else if (p.layer)
        send_items(resp, &pg, &p, &o);
    free(o.mask);
    cql2_free(o.cql);
    buf_free(&p.passthrough);
    ogc_end(&pg);
}

static void write_item(buf_t *b, const layer_t *layer, const feature_t *f, crs_id_t crs,
                       const char *base)
{
    geojson_opts_t opts = {.crs = crs};
    geojson_feature(b, layer, f, &opts);
    if (!b->failed) b->len--; /* reopen the Feature object to add its links */
    bool first = true;
    buf_puts(b, ",\"links\":[");
    buf_t self = BUF_INIT;
    buf_printf(&self, "%s/collections/%s/items/", base, layer->id);
    buf_url_encode(&self, f->id);
    add_link(b, &first, self.data ? self.data : "", "self", "application/geo+json", "This feature");
    buf_puts(&self, "?f=html");
    add_link(b, &first, self.data ? self.data : "", "alternate", "text/html",
             "This feature as HTML");
    buf_free(&self);
    char href[512];
    snprintf(href, sizeof(href), "%s/collections/%s", base, layer->id);
    add_link(b, &first, href, "collection", "application/json", "The collection");
    buf_puts(b, "]}");
}

static void send_item(const http_request_t *req, http_response_t *resp, const ogc_page_t *pg,
                      const layer_t *layer)
{
    const char *id = http_request_param(req, "featureId");
    const feature_t *f = layer_find(layer, id);
    static const char *const known[] = {"f", "crs", NULL};
    const char *crs_text = http_request_query(req, "crs");
    const char *bad = http_request_unknown_query(req, known);
    crs_id_t crs = CRS_CRS84;
    if (bad) {
        http_error(resp, 400, "unknown parameter '%.60s' (a feature takes f and crs)", bad);
        return;
    }
    if (crs_text && ogc_parse_crs(crs_text, &crs) != 0) {
        http_error(resp, 400, "crs: '%.80s' is not offered", crs_text);
        return;
    }
    if (f == NULL) {
        http_error(resp, 404, "collection %s has no feature '%.100s'", layer->id, id);
        return;
    }
    buf_t b = BUF_INIT;
    if (pg->fmt == OGC_HTML) {
        html_feature(&b, pg->ds, layer, f, &(html_ctx_t){pg->base, pg->lang});
        ogc_send_html(resp, &b, pg);
        return;
    }
    write_item(&b, layer, f, crs, pg->base);
    api_send_buf(resp, &b, "application/geo+json");
    set_content_crs(resp, crs);
}

void ogcapi_item(const http_request_t *req, http_response_t *resp, void *ctx)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    const layer_t *layer = ogc_collection(req, resp, pg.ds);
    if (layer) send_item(req, resp, &pg, layer);
    ogc_end(&pg);
}
