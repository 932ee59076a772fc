#include "api/ogcapi_html.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "data/geojson.h"

/* Appends s with &, <, >, " and ' escaped. */
static void html_escape(buf_t *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        buf_append(b, run, (size_t)(s - run));
        buf_puts(b, rep);
        run = s + 1;
    }
    buf_append(b, run, (size_t)(s - run));
}

static void page_start(buf_t *b, const char *title, const char *base)
{
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>");
    html_escape(b, title);
    buf_puts(b, "</title><style>"
                "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;"
                "padding:0 1em;color:#222}a{color:#0b57a4}table{border-collapse:collapse}"
                "td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;"
                "vertical-align:top}nav{margin-bottom:1em;color:#666}code{background:#f4f4f4}"
                "footer{margin-top:2em;font-size:85%;color:#555;white-space:pre-line}"
                "</style></head><body><nav><a href=\"");
    html_escape(b, base);
    buf_puts(b, "/?f=html\">Home</a> · <a href=\"");
    html_escape(b, base);
    buf_puts(b, "/collections?f=html\">Collections</a> · <a href=\"");
    html_escape(b, base);
    buf_puts(b, "/api?f=html\">API</a></nav><h1>");
    html_escape(b, title);
    buf_puts(b, "</h1>\n");
}

static void page_end(buf_t *b, const dataset_t *ds)
{
    const char *attr = ds ? dataset_attribution(ds) : NULL;
    buf_puts(b, "<footer>");
    if (attr) html_escape(b, attr);
    buf_puts(b, "</footer></body></html>\n");
}

static void link(buf_t *b, const char *base, const char *path, const char *text)
{
    buf_puts(b, "<a href=\"");
    html_escape(b, base);
    html_escape(b, path);
    buf_puts(b, "\">");
    html_escape(b, text);
    buf_puts(b, "</a>");
}

void html_landing(buf_t *b, const dataset_t *ds, const char *base)
{
    page_start(b, dataset_title(ds), base);
    if (dataset_description(ds)) {
        buf_puts(b, "<p>");
        html_escape(b, dataset_description(ds));
        buf_puts(b, "</p>");
    }
    buf_puts(b, "<ul><li>");
    link(b, base, "/collections?f=html", "Collections");
    buf_puts(b, " (<a href=\"");
    html_escape(b, base);
    buf_puts(b, "/collections?f=json\">JSON</a>)</li><li>");
    link(b, base, "/api?f=html", "API documentation");
    buf_puts(b, " (<a href=\"");
    html_escape(b, base);
    buf_puts(b, "/api\">OpenAPI 3.0</a>)</li><li>");
    link(b, base, "/conformance?f=html", "Conformance");
    buf_puts(b, "</li></ul>");
    page_end(b, ds);
}

void html_conformance(buf_t *b, const char *const *classes, size_t n, const char *base)
{
    page_start(b, "Conformance", base);
    buf_puts(b, "<ul>");
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, "<li><code>");
        html_escape(b, classes[i]);
        buf_puts(b, "</code></li>");
    }
    buf_puts(b, "</ul>");
    page_end(b, NULL);
}

static void extent_text(buf_t *b, const layer_t *l)
{
    buf_printf(b, "%.5f, %.5f, %.5f, %.5f", l->extent.minx, l->extent.miny, l->extent.maxx,
               l->extent.maxy);
}

void html_collections(buf_t *b, const dataset_t *ds, const char *base)
{
    page_start(b, "Collections", base);
    buf_puts(b, "<table><tr><th>Collection</th><th>Features</th><th>Extent (lon/lat)</th>"
                "<th>Data</th></tr>");
    for (size_t i = 0; i < dataset_layer_count(ds); i++) {
        const layer_t *l = dataset_layer(ds, i);
        char path[160];
        buf_puts(b, "<tr><td>");
        snprintf(path, sizeof(path), "/collections/%s?f=html", l->id);
        link(b, base, path, l->title);
        buf_printf(b, "</td><td>%zu</td><td>", l->nfeatures);
        extent_text(b, l);
        buf_puts(b, "</td><td>");
        snprintf(path, sizeof(path), "/collections/%s/items?f=json&limit=%zu", l->id,
                 l->nfeatures < 10000 ? l->nfeatures : 10000);
        link(b, base, path, "GeoJSON");
        buf_puts(b, "</td></tr>");
    }
    buf_puts(b, "</table>");
    page_end(b, ds);
}

void html_collection(buf_t *b, const dataset_t *ds, const layer_t *l, const char *base)
{
    char path[160];
    page_start(b, l->title, base);
    if (l->description) {
        buf_puts(b, "<p>");
        html_escape(b, l->description);
        buf_puts(b, "</p>");
    }
    buf_printf(b, "<p>%zu features (%s). Extent: ", l->nfeatures, geom_type_name(l->geom_type));
    extent_text(b, l);
    buf_puts(b, ".</p><ul><li>");
    snprintf(path, sizeof(path), "/collections/%s/items?f=html", l->id);
    link(b, base, path, "Browse the features");
    buf_puts(b, "</li><li>");
    snprintf(path, sizeof(path), "/collections/%s/items?f=json", l->id);
    link(b, base, path, "Features as GeoJSON");
    buf_puts(b, "</li></ul><h2>Properties</h2><table><tr><th>Name</th><th>Type</th></tr>");
    for (size_t i = 0; i < l->nfields; i++) {
        buf_puts(b, "<tr><td>");
        html_escape(b, l->fields[i].name);
        buf_printf(b, "</td><td>%s</td></tr>", field_type_name(l->fields[i].type));
    }
    buf_puts(b, "</table>");
    page_end(b, ds);
}

static void value_text(buf_t *b, const field_t *field, const value_t *v)
{
    if (v->is_null) return;
    switch (field->type) {
    case FIELD_INTEGER:
        buf_printf(b, "%" PRId64, v->u.i);
        break;
    case FIELD_REAL:
        geojson_number(b, v->u.r);
        break;
    case FIELD_STRING:
        html_escape(b, v->u.s);
        break;
    case FIELD_BOOLEAN:
        buf_puts(b, v->u.i ? "true" : "false");
        break;
    }
}

static void feature_link(buf_t *b, const layer_t *l, const feature_t *f, const char *base)
{
    buf_puts(b, "<a href=\"");
    html_escape(b, base);
    buf_puts(b, "/collections/");
    html_escape(b, l->id);
    buf_puts(b, "/items/");
    buf_t id = BUF_INIT; /* percent-encoded for the URL, then escaped for HTML */
    buf_url_encode(&id, f->id);
    html_escape(b, id.data ? id.data : "");
    buf_free(&id);
    buf_puts(b, "?f=html\">");
    html_escape(b, f->id);
    buf_puts(b, "</a>");
}

void html_items(buf_t *b, const dataset_t *ds, const layer_t *l, const uint32_t *ids, size_t n,
                size_t matched, const char *base)
{
    page_start(b, l->title, base);
    buf_printf(b, "<p>%zu of %zu features.</p><table><tr><th>id</th>", n, matched);
    for (size_t k = 0; k < l->nfields; k++) {
        buf_puts(b, "<th>");
        html_escape(b, l->fields[k].name);
        buf_puts(b, "</th>");
    }
    buf_puts(b, "</tr>");
    for (size_t i = 0; i < n; i++) {
        const feature_t *f = &l->features[ids[i]];
        buf_puts(b, "<tr><td>");
        feature_link(b, l, f, base);
        buf_puts(b, "</td>");
        for (size_t k = 0; k < l->nfields; k++) {
            buf_puts(b, "<td>");
            value_text(b, &l->fields[k], &f->values[k]);
            buf_puts(b, "</td>");
        }
        buf_puts(b, "</tr>");
    }
    buf_puts(b, "</table>");
    page_end(b, ds);
}

void html_feature(buf_t *b, const dataset_t *ds, const layer_t *l, const feature_t *f,
                  const char *base)
{
    char title[256];
    snprintf(title, sizeof(title), "%s %s", l->title, f->id);
    page_start(b, title, base);
    buf_printf(b, "<p>%s with %u vertices, within ", geom_type_name(f->geom->type),
               f->geom->npoints);
    buf_printf(b, "%.5f, %.5f, %.5f, %.5f (lon/lat).</p><table>", f->geom->bbox.minx,
               f->geom->bbox.miny, f->geom->bbox.maxx, f->geom->bbox.maxy);
    for (size_t k = 0; k < l->nfields; k++) {
        buf_puts(b, "<tr><th>");
        html_escape(b, l->fields[k].name);
        buf_puts(b, "</th><td>");
        value_text(b, &l->fields[k], &f->values[k]);
        buf_puts(b, "</td></tr>");
    }
    buf_puts(b, "</table>");
    page_end(b, ds);
}

void html_api(buf_t *b, const char *const (*paths)[2], size_t n, const char *base)
{
    page_start(b, "API", base);
    buf_puts(b, "<p>The machine-readable definition is <a href=\"");
    html_escape(b, base);
    buf_puts(b, "/api\">OpenAPI 3.0 JSON</a>.</p><table><tr><th>GET</th><th>What</th></tr>");
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, "<tr><td><code>");
        html_escape(b, paths[i][0]);
        buf_puts(b, "</code></td><td>");
        html_escape(b, paths[i][1]);
        buf_puts(b, "</td></tr>");
    }
    buf_puts(b, "</table>");
    page_end(b, NULL);
}
