/* The request target: coopmap decodes it itself rather than trusting
 * libmicrohttpd's in-place unescaping, which cuts strings at a decoded %00
 * and passes invalid UTF-8 through. Every path and query string a handler
 * sees is decoded, NUL-free and valid UTF-8. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_internal.h"
#include "util/text.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

enum { DECODE_OK, DECODE_ESCAPE, DECODE_NUL, DECODE_UTF8, DECODE_NOMEM };

/* Percent-decodes s[0..n-1] (and '+' to space in query parts) into the
 * arena. */
static int decode(arena_t *a, const char *s, size_t n, bool plus, const char **out)
{
    char *d = arena_alloc(a, n + 1);
    if (d == NULL) return DECODE_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return DECODE_ESCAPE;
            c = (char)(hi << 4 | lo);
            if (c == '\0') return DECODE_NUL;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        d[k++] = c;
    }
    d[k] = '\0';
    if (!text_utf8_valid(d, k)) return DECODE_UTF8;
    *out = d;
    return DECODE_OK;
}

/* A reason in the request's arena (a fixed text if that fails). */
__attribute__((format(printf, 2, 3))) static const char *reason(arena_t *a, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    const char *copy = arena_strndup(a, text, strlen(text));
    return copy ? copy : "malformed request target";
}

/* The reason for a decoding failure, naming where it happened. */
static const char *decode_error(arena_t *a, int rc, const char *where)
{
    static const char *const what[] = {"", "a malformed percent-escape (want %XX)",
                                       "a NUL byte (%00)", "bytes that are not UTF-8",
                                       "no memory left"};
    return reason(a, "%s has %s", where, what[rc]);
}

/* Skips "http://host" in the absolute form; returns the path's start. */
static const char *skip_authority(const char *t)
{
    size_t scheme = strncasecmp(t, "http://", 7) == 0    ? 7
                    : strncasecmp(t, "https://", 8) == 0 ? 8
                                                         : 0;
    if (scheme == 0) return t;
    return t + scheme + strcspn(t + scheme, "/?");
}

static int parse_query(http_request_t *req, const char *q, const http_limits_t *lim,
                       const char **why)
{
    size_t count = 0; /* non-empty pieces between '&'s */
    for (const char *p = q; *p;) {
        size_t n = strcspn(p, "&");
        count += n > 0;
        p += n + (p[n] == '&');
    }
    if (count > lim->max_params) {
        *why = reason(&req->arena, "too many query parameters: %zu, at most %u", count,
                      lim->max_params);
        return 400;
    }
    req->query = arena_alloc(&req->arena, (count ? count : 1) * sizeof(*req->query));
    if (req->query == NULL) return *why = "out of memory", 503;
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n == 0) {
            q++;
            continue;
        }
        const char *eq = memchr(q, '=', n);
        size_t nlen = eq ? (size_t)(eq - q) : n;
        http_kv_t *kv = &req->query[req->nquery];
        int rc = decode(&req->arena, q, nlen, true, &kv->name);
        if (rc != DECODE_OK)
            return *why = decode_error(&req->arena, rc, "a query parameter name"), 400;
        rc = eq ? decode(&req->arena, eq + 1, n - nlen - 1, true, &kv->value)
                : (kv->value = "", DECODE_OK);
        if (rc != DECODE_OK) {
            const char *where =
                reason(&req->arena, "the value of query parameter '%.40s'", kv->name);
            return *why = decode_error(&req->arena, rc, where), 400;
        }
        req->nquery++;
        q += n;
    }
    return 0;
}

/* The path's segments, each decoded on its own: routes match segments,
 * so a feature id may hold an encoded slash ("AT%2F22"). The whole path
 * was decoded and checked already. */
static int split_segments(http_request_t *req, const char *p, size_t n)
{
    size_t count = 1;
    for (size_t i = 0; i < n; i++)
        count += p[i] == '/';
    req->segments = arena_alloc(&req->arena, count * sizeof(*req->segments));
    if (req->segments == NULL) return -1;
    for (size_t i = 0, start = 0; i <= n; i++) {
        if (i < n && p[i] != '/') continue;
        if (decode(&req->arena, p + start, i - start, false, &req->segments[req->nsegments]) !=
            DECODE_OK)
            return -1;
        req->nsegments++;
        start = i + 1;
    }
    return 0;
}

int http_parse_target(http_request_t *req, const char *target, const http_limits_t *lim,
                      const char **why)
{
    size_t len = strlen(target);
    if (len > lim->max_target_bytes) {
        *why = reason(&req->arena, "request target of %zu bytes; at most %zu", len,
                      lim->max_target_bytes);
        return 414;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c <= ' ' || c == 0x7f || c == '#') {
            *why = "the request target has spaces, control characters or a fragment";
            return 400;
        }
    }
    const char *p = skip_authority(target);
    if (*p == '\0' || *p == '?') { /* "http://host" and "http://host?x": the root */
        req->path = "/";
    } else if (*p != '/' && strcmp(p, "*") != 0) {
        *why = "the request target must start with '/'";
        return 400;
    }
    size_t plen = strcspn(p, "?");
    if (req->path == NULL) {
        int rc = decode(&req->arena, p, plen, false, &req->path);
        if (rc != DECODE_OK) return *why = decode_error(&req->arena, rc, "the path"), 400;
        if (*p == '/' && split_segments(req, p + 1, plen - 1) != 0)
            return *why = "out of memory", 503;
    } else {
        static const char *root[] = {""};
        req->segments = root;
        req->nsegments = 1;
    }
    return p[plen] == '?' ? parse_query(req, p + plen + 1, lim, why) : 0;
}

int http_parse_numbers(const char *text, double *v, int max)
{
    int count = 0;
    const char *p = text;
    while (count <= max) { /* one past max tells "too many" */
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno == ERANGE) return -1;
        if (count < max) v[count] = d;
        count++;
        if (*end == '\0') break;
        if (*end != ',') return -1;
        p = end + 1;
    }
    return count;
}
