#include "fuzzutil.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "api/api.h"
#include "api/app.h"
#include "util/log.h"
#include "data/project.h"
#include "util/text.h"
#include "render/tiles.h"

/* fontconfig's caches live as long as the process (tests/lsan.supp says
 * the same for the other tests); built in so the targets run alone. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

const char *fuzz_path(const char *name)
{
    static char buf[4096];
    const char *root = getenv("COOPMAP_ROOT");
    snprintf(buf, sizeof(buf), "%s/%s", root ? root : COOPMAP_SOURCE_DIR, name);
    return buf;
}

char *fuzz_strndup(const unsigned char *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL) fuzz_fail("out of memory");
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

dataset_t *fuzz_dataset(void)
{
    static dataset_t *ds;
    if (ds) return ds;
    log_set_level(LOG_ERROR);
    error_t err = {0};
    if (app_load(fuzz_path("geodata/coopmap.json"), NULL, &ds, &err) != ERR_OK)
        fuzz_fail("cannot load the default project: %s", err.message);
    return ds;
}

/* Static maps render inline here, and a 4096 x 4096 one takes seconds
 * under the sanitizers: the cost limit is lowered so every map parameter
 * is still parsed and checked, and the 413 path taken, at fuzzing speed.
 * The tile cache is off so that every input answers the same way alone
 * as in a run (a tile renders in milliseconds at any zoom). */
#define FUZZ_MAP_PIXELS (256.0 * 256.0)

const http_config_t *fuzz_service(void)
{
    static http_config_t cfg;
    static app_t *app;
    if (app) return &cfg;
    dataset_t *ds = dataset_ref(fuzz_dataset());
    char styles[4096];
    snprintf(styles, sizeof(styles), "%s", fuzz_path("styles"));
    tiles_config_t tc = {styles, 0, 18};
    tiles_t *tiles = NULL;
    error_t err = {0};
    if (tiles_create(&tc, &tiles, &err) != ERR_OK || tiles_check(tiles, ds, &err) != ERR_OK)
        fuzz_fail("cannot load the styles: %s", err.message);
    app = app_create(fuzz_path("geodata/coopmap.json"), ds);
    if (app == NULL) fuzz_fail("app_create failed");
    app_limits_t limits = APP_LIMITS_DEFAULT;
    limits.max_map_pixels = FUZZ_MAP_PIXELS;
    app_set_limits(app, &limits);
    app_set_tiles(app, tiles);
    size_t nroutes;
    cfg.routes = api_routes(&nroutes);
    cfg.nroutes = nroutes;
    cfg.ctx = app;
    return &cfg;
}

/* The body, gunzipped when the server compressed it (malloc'd). */
static char *plain_body(const http_offline_t *r, size_t *len)
{
    const unsigned char *b = (const unsigned char *)r->body;
    if (r->len < 2 || b[0] != 0x1f || b[1] != 0x8b) {
        *len = r->len;
        return fuzz_strndup(b, r->len);
    }
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 16) != Z_OK) fuzz_fail("inflateInit2 failed");
    size_t cap = r->len * 4 + 1024;
    char *out = malloc(cap);
    z.next_in = (unsigned char *)r->body;
    z.avail_in = (uInt)r->len;
    int rc;
    do {
        if (out == NULL) fuzz_fail("out of memory");
        z.next_out = (unsigned char *)out + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        rc = inflate(&z, Z_FINISH);
        if (rc == Z_BUF_ERROR && z.avail_out == 0) out = realloc(out, cap *= 2);
    } while (rc == Z_BUF_ERROR && z.avail_out == 0);
    if (rc != Z_STREAM_END) fuzz_fail("status %d: body is not valid gzip", r->status);
    *len = z.total_out;
    inflateEnd(&z);
    return out;
}

static void check_error_body(const http_offline_t *r)
{
    json_error_t jerr;
    json_t *root = json_loadb(r->body, r->len, 0, &jerr);
    if (!json_is_object(root))
        fuzz_fail("status %d: body is not a JSON object (%s): %.200s", r->status, jerr.text,
                  r->body);
    json_t *code = json_object_get(root, "code"), *desc = json_object_get(root, "description");
    if (!json_is_string(code) || !json_is_string(desc))
        fuzz_fail("status %d: no string code and description: %.200s", r->status, r->body);
    if (strcmp(json_string_value(code), http_status_code_name(r->status)) != 0)
        fuzz_fail("status %d: code %s", r->status, json_string_value(code));
    if (r->content_type == NULL || strcmp(r->content_type, "application/json") != 0)
        fuzz_fail("status %d: content type %s", r->status, r->content_type);
    json_decref(root);
}

static void check_json_body(const http_offline_t *r)
{
    size_t len;
    char *body = plain_body(r, &len);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (root == NULL)
        fuzz_fail("status %d, %s: invalid JSON at %d:%d (%s): %.200s", r->status, r->content_type,
                  jerr.line, jerr.column, jerr.text, body);
    json_decref(root);
    free(body);
}

static void check_utf8_body(const http_offline_t *r)
{
    size_t len;
    char *body = plain_body(r, &len);
    if (!text_utf8_valid(body, len) || memchr(body, '\0', len))
        fuzz_fail("status %d, %s: body is not UTF-8 text", r->status, r->content_type);
    free(body);
}

/* WMS errors: a ServiceExceptionReport, UTF-8, whose message holds no
 * markup of its own (what the request echoes is escaped). */
static void check_wms_error(const http_offline_t *r)
{
    size_t len;
    char *body = plain_body(r, &len);
    const char *type = r->content_type ? r->content_type : "";
    const char *report = strstr(body, "<ServiceExceptionReport");
    const char *open = report ? strstr(report + 23, "<ServiceException") : NULL;
    const char *msg = open ? strchr(open, '>') : NULL, *end = strstr(body, "</ServiceException>");
    if (!text_utf8_valid(body, len) || memchr(body, '\0', len) || strncmp(body, "<?xml", 5) != 0 ||
        report == NULL || !strstr(body, "</ServiceExceptionReport>") || msg == NULL ||
        end == NULL || end < msg)
        fuzz_fail("status %d: not a ServiceExceptionReport: %.300s", r->status, body);
    for (const char *p = msg + 1; p < end; p++)
        if (*p == '<' || *p == '>')
            fuzz_fail("status %d: markup in the message: %.300s", r->status, body);
    if (strcmp(type, "text/xml") != 0 && strcmp(type, "application/vnd.ogc.se_xml") != 0)
        fuzz_fail("status %d: WMS exception as %s", r->status, type);
    free(body);
}

void fuzz_request(const http_config_t *cfg, const char *method, const char *version,
                  const char *target, const char *const (*headers)[2], size_t nheaders)
{
    http_offline_t r;
    if (http_offline(cfg, method, version, target, headers, nheaders, &r) != 0)
        fuzz_fail("http_offline failed (out of memory?)");
    if (r.status >= 500 || r.status < 100)
        fuzz_fail("%s %s: status %d: %.300s", method, target, r.status, r.body ? r.body : "");
    /* A target the request line cannot carry (spaces, control bytes, a
     * fragment) is refused before any route is known: JSON, as always. */
    bool plain = true;
    for (const unsigned char *c = (const unsigned char *)target; *c && plain; c++)
        plain = *c > ' ' && *c != 0x7f && *c != '#';
    /* The path, as the server finds it in the absolute form too. */
    const char *path = target;
    size_t scheme = strncasecmp(path, "http://", 7) == 0    ? 7
                    : strncasecmp(path, "https://", 8) == 0 ? 8
                                                            : 0;
    if (scheme) path += scheme + strcspn(path + scheme, "/?");
    bool wms = plain && strncmp(path, "/wms", 4) == 0 && (path[4] == '\0' || path[4] == '?');
    if (r.status >= 400 && wms)
        check_wms_error(&r);
    else if (r.status >= 400)
        check_error_body(&r);
    else if (r.status == 200 && r.content_type && strstr(r.content_type, "json"))
        check_json_body(&r);
    else if (r.status == 200 && r.content_type && strstr(r.content_type, "charset=utf-8"))
        check_utf8_body(&r);
    http_offline_free(&r);
}
