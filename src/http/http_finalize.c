#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "http/http_internal.h"
#include "util/hash.h"

/* The named header's value already set on resp, or NULL. */
static const char *http_response_get_header(const http_response_t *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i][0], name) == 0) return resp->headers[i][1];
    return NULL;
}

/* Replaces the value of a header set on resp (which must be there). */
static void replace_header(http_response_t *resp, const char *name, const char *value)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i][0], name) == 0) {
            char *v = strdup(value);
            if (v == NULL) return;
            free(resp->headers[i][1]);
            resp->headers[i][1] = v;
            return;
        }
}

/* Does an If-None-Match list ("a", W/"b", *) name this entity tag? Weak
 * comparison, as RFC 9110 asks for If-None-Match. */
static bool etag_listed(const char *list, const char *etag)
{
    size_t n = strlen(etag);
    for (const char *p = list; *p;) {
        p += strspn(p, " \t,");
        if (*p == '*') return true;
        if (strncmp(p, "W/", 2) == 0) p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ')) return true;
        p += strcspn(p, ",");
    }
    return false;
}

static const char *find_gzip(const char *s)
{
    for (; s && *s; s++)
        if (strncasecmp(s, "gzip", 4) == 0) return s;
    return NULL;
}

/* Accept-Encoding names gzip with a non-zero q? */
static bool accepts_gzip(const char *accept)
{
    for (const char *p = find_gzip(accept); p; p = find_gzip(p + 4)) {
        const char *end = p + 4 + strcspn(p + 4, ",");
        const char *q = strstr(p, "q=");
        if (q == NULL || q > end || strtod(q + 2, NULL) > 0) return true;
    }
    return false;
}

static bool compressible(const char *type)
{
    return strstr(type, "json") || strncmp(type, "text/", 5) == 0 || strstr(type, "javascript") ||
           strstr(type, "xml") || strstr(type, "vector-tile");
}

static int gzip_body(http_response_t *resp)
{
    z_stream z = {0};
    if (deflateInit2(&z, 4, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    uLong cap = deflateBound(&z, (uLong)resp->len);
    unsigned char *out = malloc(cap);
    int rc = -1;
    if (out) {
        z.next_in = (unsigned char *)resp->body;
        z.avail_in = (uInt)resp->len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
            http_response_own_body(resp, (char *)out, z.total_out);
            out = NULL;
            rc = 0;
        }
    }
    free(out);
    deflateEnd(&z);
    return rc;
}

static void add_cors(const http_config_t *cfg, http_response_t *resp)
{
    const char *origin = cfg->cors_origin ? cfg->cors_origin : "*";
    if (origin[0] == '\0') return;
    http_response_header(resp, "Access-Control-Allow-Origin", origin);
    http_response_header(resp, "Access-Control-Expose-Headers",
                         "ETag, Content-Crs, Link, Last-Modified");
}

static void format_http_date(time_t t, char *out, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void http_finalize(const http_server_t *srv, const http_request_t *req, http_response_t *resp)
{
    const http_config_t *cfg = &srv->cfg;
    add_cors(cfg, resp);
    if (resp->status == 204 && http_response_get_header(resp, "Cache-Control") == NULL)
        http_response_header(resp, "Cache-Control", /* an empty vector tile, cacheable */
                             cfg->cache_control ? cfg->cache_control : "public, max-age=60");
    if (resp->status != 200 || resp->body == NULL) return;
    bool gzip = compressible(resp->content_type) && resp->len >= cfg->gzip_min_bytes &&
                accepts_gzip(http_request_header(req, "Accept-Encoding"));
    const char *vary =
        http_response_get_header(resp, "Vary"); /* a handler's own, e.g. Accept-Language */
    if (compressible(resp->content_type) && vary) {
        char both[200];
        snprintf(both, sizeof(both), "Accept, Accept-Encoding, %.150s", vary);
        replace_header(resp, "Vary", both);
    } else if (compressible(resp->content_type)) {
        http_response_header(resp, "Vary", "Accept, Accept-Encoding");
    }
    /* A strong tag per representation: the gzip bytes differ, so their tag
     * does. Handlers that know their tag already (cached tiles) set it. */
    char etag[72];
    const char *preset = http_response_get_header(resp, "ETag");
    if (preset && gzip && strlen(preset) >= 2) { /* "<tag>" of the bytes: "<tag>-gz" */
        snprintf(etag, sizeof(etag), "%.*s-gz\"", (int)strlen(preset) - 1, preset);
        replace_header(resp, "ETag", etag);
    } else if (preset) {
        snprintf(etag, sizeof(etag), "%s", preset);
    } else {
        snprintf(etag, sizeof(etag), "\"%016llx%s\"",
                 (unsigned long long)hash_fnv1a(HASH_FNV_START, resp->body, resp->len),
                 gzip ? "-gz" : "");
        http_response_header(resp, "ETag", etag);
    }
    if (http_response_get_header(resp, "Cache-Control") == NULL)
        http_response_header(resp, "Cache-Control",
                             cfg->cache_control ? cfg->cache_control : "public, max-age=60");
    if (resp->last_modified) {
        char date[64];
        format_http_date(resp->last_modified, date, sizeof(date));
        http_response_header(resp, "Last-Modified", date);
    }
    const char *inm = http_request_header(req, "If-None-Match");
    if (inm && etag_listed(inm, etag)) {
        resp->status = 304;
        http_response_body_ref(resp, 304, resp->content_type, "", 0, NULL, NULL);
        return;
    }
    if (gzip && gzip_body(resp) == 0) http_response_header(resp, "Content-Encoding", "gzip");
}
