/* GET /styles and /styles/{id}.json: the map styles as MapLibre Style
 * Spec v8 documents for the browser (the minimal part of OGC API - Styles):
 * the style file as it is, with the vector tiles as its source and
 * absolute URLs for them and the glyphs; and the glyphs themselves,
 * /fonts/{fontstack}/{range}.pbf. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/ogcapi.h"
#include "api/send.h"
#include "render/tiles.h"
#include "util/text.h"

#define SOURCE "coopmap"

static const style_t *find_style(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = app_tiles(ctx);
    const char *name = http_request_param(req, "styleId");
    char id[128];
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".json") == 0) n -= 5;
    snprintf(id, sizeof(id), "%.*s", (int)(n < 100 ? n : 100), name);
    const char *lang;
    bool bilingual;
    if (api_map_language(req, resp, &lang, &bilingual) != 0) return NULL;
    const style_t *style = t ? tiles_style_lang(t, id, lang, bilingual) : NULL;
    if (style == NULL) http_error(resp, 404, "no style '%s'; see /styles", id);
    return style;
}

/* A copy of the style file made complete for MapLibre GL JS. */
static json_t *browser_style(const style_t *style, const char *base)
{
    char url[512];
    json_t *doc = json_deep_copy(style_document(style));
    snprintf(url, sizeof(url), "%s/tiles/vector.json", base);
    json_object_set_new(doc, "sources",
                        json_pack("{s:{s:s, s:s}}", SOURCE, "type", "vector", "url", url));
    snprintf(url, sizeof(url), "%s/fonts/{fontstack}/{range}.pbf", base);
    json_object_set_new(doc, "glyphs", json_string(url));
    json_t *layers = json_object_get(doc, "layers");
    size_t i;
    json_t *layer;
    json_array_foreach(layers, i, layer)
    {
        const char *type = json_string_value(json_object_get(layer, "type"));
        if (type && strcmp(type, "background") != 0)
            json_object_set_new(layer, "source", json_string(SOURCE));
    }
    return doc;
}

void api_style(const http_request_t *req, http_response_t *resp, void *ctx)
{
    const style_t *style = find_style(req, resp, ctx);
    if (style == NULL) return;
    char base[256];
    ogc_base_url(req, ctx, base, sizeof(base));
    api_send_json(resp, browser_style(style, base), "application/vnd.mapbox.style+json");
}

void api_styles(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = app_tiles(ctx);
    char base[256], url[512];
    ogc_base_url(req, ctx, base, sizeof(base));
    json_t *list = json_array();
    for (size_t i = 0; t && i < tiles_style_count(t); i++) {
        const style_t *s = tiles_style_at(t, i);
        snprintf(url, sizeof(url), "%s/styles/%s.json", base, style_id(s));
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s}]}", "id", style_id(s), "title",
                            style_title(s), "links", "href", url, "rel", "stylesheet", "type",
                            "application/vnd.mapbox.style+json", "title", "MapLibre style"));
    }
    api_send_json(resp, json_pack("{s:o}", "styles", list), "application/json");
}

/* --- glyphs ------------------------------------------------------------------------ */

typedef struct glyph_job {
    tiles_t *tiles;
    char stack[257];
    unsigned start;
} glyph_job_t;

static void glyph_job(void *arg, http_response_t *resp)
{
    glyph_job_t *j = arg;
    tile_blob_t *blob = NULL;
    error_t err = {0};
    int rc = tiles_get_glyphs(j->tiles, j->stack, j->start, &blob, &err);
    if (rc == ERR_OK)
        api_send_blob(resp, blob, "application/x-protobuf");
    else
        http_error(resp, rc == ERR_NOTFOUND ? 404 : 500, "%s", err.message);
}

/* GET /fonts/{fontstack}/{start}-{end}.pbf: drawn on the tile pool once,
 * then from the cache. */
void api_glyphs(const http_request_t *req, http_response_t *resp, void *ctx)
{
    tiles_t *t = app_tiles(ctx);
    const char *stack = http_request_param(req, "fontstack");
    const char *range = http_request_param(req, "range");
    unsigned start = 0, end = 0;
    int used = 0;
    size_t n = strlen(stack);
    if (sscanf(range, "%5u-%5u.pbf%n", &start, &end, &used) != 2 || range[used] != '\0' ||
        start % 256 != 0 || end != start + 255 || end > 65535) {
        http_error(resp, 400,
                   "a glyph range is /fonts/{fontstack}/{N}-{N+255}.pbf with N a "
                   "multiple of 256 below 65536");
        return;
    }
    if (n == 0 || n > 256 || !text_utf8_valid(stack, n) || strpbrk(stack, "\r\n\t")) {
        http_error(resp, 400, "a font stack is 1 to 256 bytes of UTF-8, names comma-separated");
        return;
    }
    if (t == NULL) {
        http_error(resp, 404, "this server renders no tiles");
        return;
    }
    glyph_job_t *job = malloc(sizeof(*job));
    if (job == NULL) {
        http_error(resp, 500, "out of memory");
        return;
    }
    job->tiles = t;
    job->start = start;
    snprintf(job->stack, sizeof(job->stack), "%s", stack);
    http_defer(resp, HTTP_WORK_TILE, glyph_job, free, job);
}
