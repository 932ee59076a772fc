/* The browser pages (web/: the viewer and the embeddable map), Leaflet
 * from Debian's libjs-leaflet under /assets/leaflet/ and MapLibre GL JS
 * from web/vendor under /assets/maplibre/. Files are named by a
 * single path segment of safe characters and looked up only in those two
 * directories: no path from a request ever reaches the file system. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/app.h"

#define LEAFLET_DIR "/usr/share/javascript/leaflet"
#define MAX_FILE    (4u << 20)

static const char *web_dir(void)
{
    const char *dir = getenv("COOPMAP_WEB");
    return dir && *dir ? dir : COOPMAP_SOURCE_DIR "/web";
}

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".png", "image/png"},
                 {".svg", "image/svg+xml"},
                 {".json", "application/json"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return NULL;
}

/* One segment: letters, digits, '-', '_', '.', not starting with '.'. */
static int safe_name(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n < 100 && name[0] != '.' &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

static void send_file(http_response_t *resp, const char *dir, const char *name)
{
    const char *type = content_type(name);
    char path[4096];
    if (!safe_name(name) || type == NULL) {
        http_error(resp, 404, "no file '%.100s'", name);
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        http_error(resp, 404, "no file '%s'", name);
        return;
    }
    /* Exactly the file's size: a response holds only what it sends. */
    long size = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    char *data = size >= 0 && size <= MAX_FILE && fseek(fp, 0, SEEK_SET) == 0
                     ? malloc(size ? (size_t)size : 1)
                     : NULL;
    size_t n = data ? fread(data, 1, (size_t)size, fp) : 0;
    fclose(fp);
    if (data == NULL || n != (size_t)size) {
        free(data);
        http_error(resp, 404, "cannot read '%s'", name);
        return;
    }
    http_response_body(resp, 200, type, data, n);
}

/* Browser pages may be framed by the configured ancestors (default: any). */
static void send_page(const http_request_t *req, http_response_t *resp, void *ctx, const char *name)
{
    (void)req;
    char csp[600];
    const char *ancestors = app_frame_ancestors(ctx);
    snprintf(csp, sizeof(csp), "frame-ancestors %s", ancestors ? ancestors : "*");
    send_file(resp, web_dir(), name);
    http_response_header(resp, "Content-Security-Policy", csp);
    http_response_header(resp, "Cache-Control", "no-cache");
}

void api_viewer(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_page(req, resp, ctx, "viewer.html");
}

void api_embed(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_page(req, resp, ctx, "embed.html");
}

void api_embed_builder(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_page(req, resp, ctx, "builder.html");
}

void api_web_file(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)ctx;
    send_file(resp, web_dir(), http_request_param(req, "file"));
    http_response_header(resp, "Cache-Control", "no-cache");
}

void api_leaflet(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)ctx;
    send_file(resp, LEAFLET_DIR, http_request_param(req, "file"));
}

/* MapLibre GL JS and its Leaflet binding, installed from npm into
 * web/vendor by tools/run and tools/test (pinned by its package-lock). */
void api_maplibre(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)ctx;
    char dir[4096];
    const char *name = http_request_param(req, "file");
    if (strcmp(name, "leaflet-maplibre-gl.js") == 0)
        snprintf(dir, sizeof(dir), "%s/vendor/node_modules/@maplibre/maplibre-gl-leaflet",
                 web_dir());
    else
        snprintf(dir, sizeof(dir), "%s/vendor/node_modules/maplibre-gl/dist", web_dir());
    send_file(resp, dir, name);
}

void api_leaflet_image(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)ctx;
    send_file(resp, LEAFLET_DIR "/images", http_request_param(req, "file"));
}
