#include "api/ogcapi_html.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "data/geojson.h"

/* The pages' words in each language (en, sl, de, hu: LANG_*). The format
 * strings of one word take the same arguments in every language. */
enum { LANG_EN, LANG_SL, LANG_DE, LANG_HU, NLANGS };
typedef enum word {
    W_HOME,
    W_COLLECTIONS,
    W_API_DOC,
    W_CONFORMANCE,
    W_COLLECTION,
    W_FEATURES,
    W_EXTENT_LONLAT,
    W_DATA,
    W_BROWSE,
    W_AS_GEOJSON,
    W_PROPERTIES,
    W_NAME,
    W_TYPE,
    W_COUNT_TYPE,
    W_N_OF,
    W_VERTICES,
    W_LONLAT,
    W_DEFINITION,
    W_WHAT,
    NWORDS
} word_t;
static const char *const WORDS[NWORDS][NLANGS] = {
    [W_HOME] = {"Home", "Domov", "Start", "Kezdőlap"},
    [W_COLLECTIONS] = {"Collections", "Zbirke", "Sammlungen", "Gyűjtemények"},
    [W_API_DOC] = {"API documentation", "Dokumentacija API", "API-Dokumentation",
                   "API-dokumentáció"},
    [W_CONFORMANCE] = {"Conformance", "Skladnost", "Konformität", "Megfelelőség"},
    [W_COLLECTION] = {"Collection", "Zbirka", "Sammlung", "Gyűjtemény"},
    [W_FEATURES] = {"Features", "Objekti", "Objekte", "Objektumok"},
    [W_EXTENT_LONLAT] = {"Extent (lon/lat)", "Obseg (dolžina/širina)", "Ausdehnung (Länge/Breite)",
                         "Kiterjedés (hossz./szél.)"},
    [W_DATA] = {"Data", "Podatki", "Daten", "Adatok"},
    [W_BROWSE] = {"Browse the features", "Brskaj po objektih", "Objekte durchsehen",
                  "Objektumok böngészése"},
    [W_AS_GEOJSON] = {"Features as GeoJSON", "Objekti kot GeoJSON", "Objekte als GeoJSON",
                      "Objektumok GeoJSON-ként"},
    [W_PROPERTIES] = {"Properties", "Lastnosti", "Eigenschaften", "Tulajdonságok"},
    [W_NAME] = {"Name", "Ime", "Name", "Név"},
    [W_TYPE] = {"Type", "Vrsta", "Typ", "Típus"},
    [W_COUNT_TYPE] = {"%zu features (%s). Extent: ", "Objektov: %zu (%s). Obseg: ",
                      "%zu Objekte (%s). Ausdehnung: ", "%zu objektum (%s). Kiterjedés: "},
    [W_N_OF] = {"%zu of %zu features.", "Prikazanih: %zu od %zu.", "%zu von %zu Objekten.",
                "%zu / %zu objektum."},
    [W_VERTICES] = {"%s with %u vertices, within ", "%s, oglišč: %u, znotraj ",
                    "%s, Stützpunkte: %u, innerhalb ", "%s, csúcspontok: %u, ezen belül: "},
    [W_LONLAT] = {"(lon/lat)", "(dolžina/širina)", "(Länge/Breite)", "(hossz./szél.)"},
    [W_DEFINITION] = {"The machine-readable definition is", "Strojno berljiva definicija je",
                      "Die maschinenlesbare Beschreibung ist", "A géppel olvasható leírás:"},
    [W_WHAT] = {"What", "Kaj", "Was", "Mi"},
};

static int lang_index(const char *lang)
{
    static const char *const codes[NLANGS] = {"en", "sl", "de", "hu"};
    for (int i = 0; lang && i < NLANGS; i++)
        if (strcmp(lang, codes[i]) == 0) return i;
    return LANG_EN;
}

static const char *w(const html_ctx_t *h, word_t word)
{
    return WORDS[word][lang_index(h->lang)];
}

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

static void page_start(buf_t *b, const char *title, const html_ctx_t *h)
{
    const char *base = h->base;
    buf_printf(b,
               "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>",
               h->lang ? h->lang : "en");
    html_escape(b, title);
    buf_puts(b, "</title><style>"
                "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;"
                "padding:0 1em;color:#222}a{color:#0b57a4}table{border-collapse:collapse}"
                "td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;"
                "vertical-align:top}nav{margin-bottom:1em;color:#666}code{background:#f4f4f4}"
                "footer{margin-top:2em;font-size:85%;color:#555;white-space:pre-line}"
                "</style></head><body><nav><a href=\"");
    html_escape(b, base);
    buf_printf(b, "/?f=html\">%s</a> · <a href=\"", w(h, W_HOME));
    html_escape(b, base);
    buf_printf(b, "/collections?f=html\">%s</a> · <a href=\"", w(h, W_COLLECTIONS));
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

void html_landing(buf_t *b, const dataset_t *ds, const html_ctx_t *h)
{
    const char *base = h->base;
    page_start(b, dataset_title(ds), h);
    if (dataset_description(ds)) {
        buf_puts(b, "<p>");
        html_escape(b, dataset_description(ds));
        buf_puts(b, "</p>");
    }
    buf_puts(b, "<ul><li>");
    link(b, base, "/collections?f=html", w(h, W_COLLECTIONS));
    buf_puts(b, " (<a href=\"");
    html_escape(b, base);
    buf_puts(b, "/collections?f=json\">JSON</a>)</li><li>");
    link(b, base, "/api?f=html", w(h, W_API_DOC));
    buf_puts(b, " (<a href=\"");
    html_escape(b, base);
    buf_puts(b, "/api\">OpenAPI 3.0</a>)</li><li>");
    link(b, base, "/conformance?f=html", w(h, W_CONFORMANCE));
    buf_puts(b, "</li></ul>");
    page_end(b, ds);
}

void html_conformance(buf_t *b, const char *const *classes, size_t n, const html_ctx_t *h)
{
    page_start(b, w(h, W_CONFORMANCE), h);
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

void html_collections(buf_t *b, const dataset_t *ds, const html_ctx_t *h)
{
    const char *base = h->base;
    page_start(b, w(h, W_COLLECTIONS), h);
    buf_printf(b, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
               w(h, W_COLLECTION), w(h, W_FEATURES), w(h, W_EXTENT_LONLAT), w(h, W_DATA));
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

void html_collection(buf_t *b, const dataset_t *ds, const layer_t *l, const html_ctx_t *h)
{
    char path[160];
    const char *base = h->base;
    page_start(b, l->title, h);
    if (l->description) {
        buf_puts(b, "<p>");
        html_escape(b, l->description);
        buf_puts(b, "</p>");
    }
    buf_puts(b, "<p>");
    buf_printf(b, w(h, W_COUNT_TYPE), l->nfeatures, geom_type_name(l->geom_type));
    extent_text(b, l);
    buf_puts(b, ".</p><ul><li>");
    snprintf(path, sizeof(path), "/collections/%s/items?f=html", l->id);
    link(b, base, path, w(h, W_BROWSE));
    buf_puts(b, "</li><li>");
    snprintf(path, sizeof(path), "/collections/%s/items?f=json", l->id);
    link(b, base, path, w(h, W_AS_GEOJSON));
    /* Downloads: the formats' own names, the same in every language. */
    static const char *const downloads[][2] = {
        {"csv", "CSV"}, {"gpkg", "GeoPackage"}, {"fgb", "FlatGeobuf"}};
    buf_puts(b, "</li><li>");
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "/collections/%s/items?f=%s", l->id, downloads[i][0]);
        if (i) buf_puts(b, " · ");
        link(b, base, path, downloads[i][1]);
    }
    buf_printf(b, "</li></ul><h2>%s</h2><table><tr><th>%s</th><th>%s</th></tr>", w(h, W_PROPERTIES),
               w(h, W_NAME), w(h, W_TYPE));
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
    if (!v->is_null) geojson_value_as(b, field->type, v, html_escape);
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
                size_t matched, const html_ctx_t *h)
{
    const char *base = h->base;
    page_start(b, l->title, h);
    buf_puts(b, "<p>");
    buf_printf(b, w(h, W_N_OF), n, matched);
    buf_puts(b, "</p><table><tr><th>id</th>");
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
                  const html_ctx_t *h)
{
    char title[256];
    snprintf(title, sizeof(title), "%s %s", l->title, f->id);
    page_start(b, title, h);
    buf_puts(b, "<p>");
    buf_printf(b, w(h, W_VERTICES), geom_type_name(f->geom->type), f->geom->npoints);
    buf_printf(b, "%.5f, %.5f, %.5f, %.5f %s.</p><table>", f->geom->bbox.minx, f->geom->bbox.miny,
               f->geom->bbox.maxx, f->geom->bbox.maxy, w(h, W_LONLAT));
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

void html_api(buf_t *b, const char *const (*paths)[2], size_t n, const html_ctx_t *h)
{
    page_start(b, "API", h);
    buf_printf(b, "<p>%s <a href=\"", w(h, W_DEFINITION));
    html_escape(b, h->base);
    buf_printf(b, "/api\">OpenAPI 3.0 JSON</a>.</p><table><tr><th>GET</th><th>%s</th></tr>",
               w(h, W_WHAT));
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
