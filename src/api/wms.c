/* GET /wms: WMS 1.3.0 (and 1.1.1) GetCapabilities, GetMap,
 * GetFeatureInfo and GetLegendGraphic. Maps are drawn by the static map
 * renderer in the requested CRS; layers are the collections, a group of
 * the whole map and the network models. Errors are ServiceExceptionReport
 * documents with the standard's codes. */
#include "api/wms.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/app.h"
#include "network/networks.h"
#include "render/legend.h"
#include "util/text.h"

const char *const wms_crs_list[] = {"CRS:84",     "EPSG:4326",  "EPSG:4258",  "EPSG:3857",
                                    "EPSG:3035",  "EPSG:3794",  "EPSG:31287", "EPSG:31256",
                                    "EPSG:31255", "EPSG:23700", NULL};

void wms_xml(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t seq = c < 0x80 ? 1 : text_utf8_seq((const unsigned char *)s + i, n - i);
        if (seq > 1) { /* well-formed: as it is */
            buf_append(b, s + i, seq);
            i += seq;
            continue;
        }
        i++;
        switch (c) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&apos;");
            break;
        default:
            /* XML 1.0 has no control characters; a sequence cut short
             * (a message truncated mid-character) is no UTF-8. */
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x80) c = '?';
            buf_append(b, (const char *)&c, 1);
        }
    }
}

static char *exception_doc(bool v111, const char *code, const char *text, size_t *len)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (v111)
        buf_puts(&b, "<ServiceExceptionReport version=\"1.1.1\">\n");
    else
        buf_puts(&b,
                 "<ServiceExceptionReport version=\"1.3.0\" xmlns=\"http://www.opengis.net/ogc\""
                 " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                 " xsi:schemaLocation=\"http://www.opengis.net/ogc"
                 " http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd\">\n");
    buf_puts(&b, "  <ServiceException");
    if (code) buf_printf(&b, " code=\"%s\"", code);
    buf_puts(&b, ">");
    wms_xml(&b, text);
    buf_puts(&b, "</ServiceException>\n</ServiceExceptionReport>\n");
    return buf_steal(&b, len);
}

void wms_exception(http_response_t *resp, bool v111, const char *code, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    size_t len = 0;
    char *doc = exception_doc(v111, code, text, &len);
    if (doc == NULL) {
        http_error(resp, 503, "out of memory");
        return;
    }
    http_response_body(resp, 400, v111 ? "application/vnd.ogc.se_xml" : "text/xml", doc, len);
}

char *wms_error_body(int status, const char *description, const char **type, size_t *len)
{
    *type = "text/xml";
    bool bad_request = status == 400 || status == 413 || status == 414 || status == 431;
    return exception_doc(false, bad_request ? "InvalidParameterValue" : NULL, description, len);
}

/* --- parameters ---------------------------------------------------------------- */

typedef struct name_slot {
    const char *name;
    size_t offset;
} name_slot_t;

#define SLOT(n, f)                                                                                 \
    {                                                                                              \
        n, offsetof(wms_params_t, f)                                                               \
    }
static const name_slot_t slots[] = {
    SLOT("SERVICE", service),
    SLOT("VERSION", version),
    SLOT("REQUEST", request),
    SLOT("LAYERS", layers),
    SLOT("STYLES", styles),
    SLOT("CRS", crs),
    SLOT("SRS", srs),
    SLOT("BBOX", bbox),
    SLOT("WIDTH", width),
    SLOT("HEIGHT", height),
    SLOT("FORMAT", format),
    SLOT("TRANSPARENT", transparent),
    SLOT("BGCOLOR", bgcolor),
    SLOT("QUERY_LAYERS", query_layers),
    SLOT("INFO_FORMAT", info_format),
    SLOT("FEATURE_COUNT", feature_count),
    SLOT("I", i),
    SLOT("J", j),
    SLOT("X", x),
    SLOT("Y", y),
    SLOT("LAYER", layer),
    SLOT("STYLE", style),
    SLOT("TILED", tiled),
};

static int take_param(const char *name, const char *value, void *arg)
{
    for (size_t k = 0; k < sizeof(slots) / sizeof(slots[0]); k++)
        if (strcasecmp(name, slots[k].name) == 0) {
            const char **field = (const char **)((char *)arg + slots[k].offset);
            if (*field == NULL) *field = value; /* the first wins */
        }
    return 0;
}

bool wms_layer_known(dataset_t *ds, const char *name)
{
    network_model_t model;
    if (strcmp(name, WMS_ROOT) == 0 || dataset_find_layer(ds, name)) return true;
    return strncmp(name, "network-", 8) == 0 && network_model_parse(name + 8, &model) == ERR_OK;
}

/* Splits a comma list into at most max pieces of at most 63 bytes. */
static int split(const char *text, char out[][64], size_t max, size_t *n)
{
    *n = 0;
    for (const char *p = text;;) {
        size_t len = strcspn(p, ",");
        if (*n == max || len >= 64) return -1;
        memcpy(out[*n], p, len);
        out[(*n)++][len] = '\0';
        if (p[len] == '\0') return 0;
        p += len + 1;
    }
}

static int parse_layers(const wms_params_t *p, http_response_t *resp, dataset_t *ds, wms_map_t *m)
{
    if (p->layers == NULL || *p->layers == '\0') {
        wms_exception(resp, m->v111, "MissingParameterValue", "LAYERS is missing");
        return -1;
    }
    if (split(p->layers, m->layer_text, WMS_MAX_LAYERS, &m->nlayers) != 0) {
        wms_exception(resp, m->v111, "InvalidParameterValue",
                      "LAYERS: at most %d layers, of at most 63 bytes each", WMS_MAX_LAYERS);
        return -1;
    }
    for (size_t k = 0; k < m->nlayers; k++) {
        m->layers[k] = m->layer_text[k];
        if (!wms_layer_known(ds, m->layers[k])) {
            wms_exception(resp, m->v111, "LayerNotDefined",
                          "no layer '%.63s'; see REQUEST=GetCapabilities", m->layers[k]);
            return -1;
        }
    }
    return 0;
}

/* STYLES: empty, or one entry per layer, each empty or a style; since a
 * coopmap style covers every layer, the named ones must agree. */
static int parse_styles(const wms_params_t *p, http_response_t *resp, void *ctx, wms_map_t *m)
{
    char names[WMS_MAX_LAYERS][64];
    size_t n = 0;
    const style_t *chosen = NULL;
    if (p->styles && *p->styles && split(p->styles, names, WMS_MAX_LAYERS, &n) != 0) {
        wms_exception(resp, m->v111, "StyleNotDefined", "STYLES: too many or too long");
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        if (names[k][0] == '\0') continue;
        const style_t *s = tiles_style(app_tiles(ctx), names[k]);
        if (s == NULL || (chosen && chosen != s)) {
            if (s)
                wms_exception(resp, m->v111, "StyleNotDefined",
                              "a style covers every layer: give one style for all");
            else
                wms_exception(resp, m->v111, "StyleNotDefined",
                              "no style '%.63s'; see REQUEST=GetCapabilities", names[k]);
            return -1;
        }
        chosen = s;
    }
    m->style = chosen ? chosen : tiles_style(app_tiles(ctx), "default");
    if (m->style == NULL) {
        wms_exception(resp, m->v111, "StyleNotDefined", "this server has no default style");
        return -1;
    }
    return 0;
}

static int parse_crs_bbox(const wms_params_t *p, http_response_t *resp, wms_map_t *m)
{
    const char *name = m->v111 ? "SRS" : "CRS", *text = m->v111 ? p->srs : p->crs;
    const char *bad_crs = m->v111 ? "InvalidSRS" : "InvalidCRS";
    if (text == NULL || *text == '\0') {
        wms_exception(resp, m->v111, "MissingParameterValue", "%s is missing", name);
        return -1;
    }
    error_t err = {0};
    if ((m->crs = crs_get(text, &err)) == NULL) {
        wms_exception(resp, m->v111, bad_crs, "%s=%.40s: %s", name, text, err.message);
        return -1;
    }
    double b[4];
    if (p->bbox == NULL) {
        wms_exception(resp, m->v111, "MissingParameterValue", "BBOX is missing");
        return -1;
    }
    if (api_finite_numbers(p->bbox, b, 4) != 0 || b[0] >= b[2] || b[1] >= b[3]) {
        wms_exception(resp, m->v111, "InvalidParameterValue",
                      "BBOX: want minx,miny,maxx,maxy (four numbers, min < max)");
        return -1;
    }
    /* 1.3.0 gives the box in the CRS's own axis order (lat/lon for EPSG:4326). */
    bool swap = !m->v111 && crs_northing_first(m->crs);
    m->box = swap ? (bbox_t){b[1], b[0], b[3], b[2]} : (bbox_t){b[0], b[1], b[2], b[3]};
    return 0;
}

int wms_parse_map(const wms_params_t *p, http_response_t *resp, void *ctx, dataset_t *ds,
                  wms_map_t *m)
{
    if (parse_layers(p, resp, ds, m) || parse_styles(p, resp, ctx, m) || parse_crs_bbox(p, resp, m))
        return -1;
    if (p->width == NULL || p->height == NULL) {
        wms_exception(resp, m->v111, "MissingParameterValue", "WIDTH and HEIGHT are needed");
        return -1;
    }
    if (api_whole(p->width, 1, API_MAP_MAX_PX, &m->width) ||
        api_whole(p->height, 1, API_MAP_MAX_PX, &m->height) ||
        (double)m->width * m->height > app_limits(ctx)->max_map_pixels) {
        wms_exception(resp, m->v111, "InvalidParameterValue",
                      "WIDTH, HEIGHT: whole numbers of pixels, 1..%d each, at most %.0f in all",
                      API_MAP_MAX_PX, app_limits(ctx)->max_map_pixels);
        return -1;
    }
    return 0;
}

/* --- GetMap -------------------------------------------------------------------- */

static int parse_format(const char *f, static_format_t *out)
{
    if (f == NULL || strcasecmp(f, "image/png") == 0 || strncasecmp(f, "image/png;", 10) == 0)
        *out = STATIC_PNG;
    else if (strcasecmp(f, "image/svg+xml") == 0 || strcasecmp(f, "image/svg") == 0)
        *out = STATIC_SVG;
    else if (strcasecmp(f, "application/pdf") == 0)
        *out = STATIC_PDF;
    else
        return -1;
    return 0;
}

static int parse_bgcolor(const char *text, style_color_t *c)
{
    if (text == NULL) return 1;
    if (strlen(text) != 8 || strncasecmp(text, "0x", 2) != 0 ||
        strspn(text + 2, "0123456789abcdefABCDEF") != 6)
        return -1;
    unsigned long v = strtoul(text + 2, NULL, 16);
    *c = (style_color_t){((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0, 1};
    return 0;
}

/* Fills the job's layers: the style's layers of the collections asked
 * for (all for the root) and the ties of at most one network model. */
static int select_layers(const wms_map_t *m, http_response_t *resp, map_job_t *job)
{
    size_t n = 0;
    bool all = false;
    for (size_t k = 0; k < m->nlayers; k++) {
        const char *name = m->layers[k];
        if (strcmp(name, WMS_ROOT) == 0) {
            all = true;
        } else if (strncmp(name, "network-", 8) == 0) {
            error_t err = {0};
            if (job->network) {
                wms_exception(resp, m->v111, "InvalidParameterValue",
                              "LAYERS: one network-* layer per map");
                return -1;
            }
            if (network_params_parse(&job->params, name + 8, NULL, NULL, NULL, NULL, &err) !=
                ERR_OK) {
                wms_exception(resp, m->v111, "LayerNotDefined", "%s", err.message);
                return -1;
            }
            job->network = true;
        } else {
            snprintf(job->source_names[n], sizeof(job->source_names[n]), "%s", name);
            job->sources[n] = job->source_names[n];
            n++;
        }
    }
    job->sources[n] = NULL;
    job->opt.select.sources = all ? NULL : job->sources;
    return 0;
}

static void get_map(const wms_params_t *p, http_response_t *resp, void *ctx, bool v111)
{
    dataset_t *ds = app_acquire(ctx);
    wms_map_t m = {.v111 = v111};
    static_format_t format;
    style_color_t bg;
    int has_bg;
    error_t err = {0};
    render_view_t view;
    const char *tr = p->transparent;
    if (wms_parse_map(p, resp, ctx, ds, &m) != 0) goto done;
    if (parse_format(p->format, &format) != 0) {
        wms_exception(resp, v111, "InvalidFormat",
                      "FORMAT: image/png, image/svg+xml or application/pdf");
        goto done;
    }
    if (tr && strcasecmp(tr, "true") != 0 && strcasecmp(tr, "false") != 0) {
        wms_exception(resp, v111, "InvalidParameterValue", "TRANSPARENT: TRUE or FALSE");
        goto done;
    }
    if ((has_bg = parse_bgcolor(p->bgcolor, &bg)) < 0) {
        wms_exception(resp, v111, "InvalidParameterValue", "BGCOLOR: 0xRRGGBB");
        goto done;
    }
    double ref[2];
    api_map_ref(ctx, ref);
    if (render_crs_view(m.crs, m.box, m.width, m.height, 1, ref, &view, &err) != ERR_OK) {
        wms_exception(resp, v111, "InvalidParameterValue", "BBOX: %s", err.message);
        goto done;
    }
    map_job_t *job = api_map_job(resp, ctx);
    if (job == NULL) goto done;
    job->view = view;
    /* One image drops the labels its edge would cut; TILED=TRUE (a tile
     * of a mosaic, as GeoServer spells it) keeps them, to run on into
     * the neighbours, placed in the same frame. */
    job->view.whole_labels = !(p->tiled && strcasecmp(p->tiled, "true") == 0);
    job->style = m.style;
    job->format = format;
    job->opt.bare = true;
    job->opt.select.transparent = tr && strcasecmp(tr, "true") == 0;
    job->opt.select.has_background = has_bg == 0;
    job->opt.select.background = bg;
    if (select_layers(&m, resp, job) != 0) {
        api_map_job_free(job);
        goto done;
    }
    api_map_queue(resp, job);
done:
    dataset_unref(ds);
}

/* --- GetLegendGraphic ----------------------------------------------------------- */

static void get_legend(const wms_params_t *p, http_response_t *resp, void *ctx, bool v111)
{
    dataset_t *ds = app_acquire(ctx);
    const char *layer = p->layer;
    wms_params_t one = {.layers = layer, .styles = p->style};
    wms_map_t m = {.v111 = v111};
    static_format_t format;
    unsigned char *png = NULL;
    size_t len = 0;
    error_t err = {0};
    if (parse_layers(&one, resp, ds, &m) || parse_styles(&one, resp, ctx, &m)) goto done;
    if (parse_format(p->format, &format) != 0 || format != STATIC_PNG) {
        wms_exception(resp, v111, "InvalidFormat", "FORMAT: image/png");
        goto done;
    }
    const char *source = strcmp(layer, WMS_ROOT) == 0 ? NULL : layer;
    const style_t *style = m.style;
    if (strncmp(layer, "network-", 8) == 0) style = tiles_ties_style(app_tiles(ctx)), source = NULL;
    if (render_legend(style, source, 10, &png, &len, &err) != ERR_OK) {
        wms_exception(resp, v111, err.code == ERR_NOTFOUND ? "LayerNotDefined" : NULL, "%s",
                      err.message);
        goto done;
    }
    http_response_body(resp, 200, "image/png", (char *)png, len);
done:
    dataset_unref(ds);
}

/* --- the endpoint ------------------------------------------------------------------ */

void api_wms(const http_request_t *req, http_response_t *resp, void *ctx)
{
    wms_params_t p = {0};
    http_request_query_each(req, take_param, &p);
    if (app_tiles(ctx) == NULL) {
        http_error(resp, 404, "this server renders no maps");
        return;
    }
    bool v111 = p.version && strcmp(p.version, "1.1.1") == 0;
    if (p.service && strcasecmp(p.service, "WMS") != 0) {
        wms_exception(resp, v111, "InvalidParameterValue", "SERVICE: WMS");
        return;
    }
    if (p.request == NULL) {
        wms_exception(resp, v111, "MissingParameterValue",
                      "REQUEST is missing: GetCapabilities, GetMap, GetFeatureInfo or "
                      "GetLegendGraphic");
        return;
    }
    bool caps = strcasecmp(p.request, "GetCapabilities") == 0;
    if (!caps && p.version && strcmp(p.version, "1.3.0") != 0 && !v111) {
        wms_exception(resp, false, "InvalidParameterValue", "VERSION: 1.3.0 or 1.1.1");
        return;
    }
    if (caps)
        wms_capabilities(&p, req, resp, ctx);
    else if (strcasecmp(p.request, "GetMap") == 0 || strcasecmp(p.request, "map") == 0)
        get_map(&p, resp, ctx, v111);
    else if (strcasecmp(p.request, "GetFeatureInfo") == 0)
        wms_feature_info(&p, resp, ctx);
    else if (strcasecmp(p.request, "GetLegendGraphic") == 0)
        get_legend(&p, resp, ctx, v111);
    else
        wms_exception(resp, v111, "OperationNotSupported",
                      "REQUEST=%.40s: GetCapabilities, GetMap, GetFeatureInfo or "
                      "GetLegendGraphic",
                      p.request);
}
