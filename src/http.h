/* HTTP server on libmicrohttpd: the only module that includes it.
 *
 * It parses requests, matches them against one route table, calls the
 * route's handler and writes what the handler put in the response. Errors
 * from every handler go through http_error(), the single place that turns
 * a status into the JSON exception body {"code": ..., "description": ...}.
 * It computes nothing geographic. */
#ifndef COOPMAP_HTTP_H
#define COOPMAP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

typedef struct http_request http_request_t;
typedef struct http_response http_response_t;

/* Fills resp (a body with http_response_body() or an error with
 * http_error()). ctx is the server's http_config_t.ctx. */
typedef void (*http_handler_fn)(const http_request_t *req, http_response_t *resp, void *ctx);

typedef struct http_route {
    const char *pattern; /* "/collections/{collectionId}/items": {x} matches one segment */
    http_handler_fn handler;
} http_route_t;

struct pool;

typedef struct http_config {
    const char *address; /* numeric IPv4 or IPv6 address */
    uint16_t port;       /* 0: any free port (see http_server_port) */
    unsigned threads;
    unsigned timeout_s;      /* idle connections are closed after this */
    size_t max_header_bytes; /* larger request heads get 431 (default 16 KiB) */
    const http_route_t *routes;
    size_t nroutes;
    void *ctx;
    int access_log;            /* one log line per request */
    const char *cors_origin;   /* Access-Control-Allow-Origin; NULL: "*", "": no CORS */
    const char *cache_control; /* for 200s whose handler set none; NULL: max-age=60 */
    size_t gzip_min_bytes;     /* smaller bodies are sent as they are */
    struct pool *pool;         /* runs deferred work (http_defer); borrowed, may be NULL */
} http_config_t;

typedef struct http_server http_server_t;

/* Binds and starts serving on a thread pool. The route table and ctx are
 * borrowed and must outlive the server. Stop with http_server_stop(). */
int http_server_start(const http_config_t *cfg, http_server_t **out, error_t *err);

/* Stops accepting, waits for running requests, frees; NULL is a no-op. */
http_server_t *http_server_stop(http_server_t *srv);

uint16_t http_server_port(const http_server_t *srv);

/* Request accessors; the strings are borrowed for the handler's duration
 * and already percent-decoded. NULL when absent. */
const char *http_request_method(const http_request_t *req);
const char *http_request_path(const http_request_t *req);
const char *http_request_param(const http_request_t *req, const char *name);
const char *http_request_query(const http_request_t *req, const char *name);
const char *http_request_header(const http_request_t *req, const char *name);

/* Calls fn for every query parameter in order; stops early when fn returns
 * non-zero and returns that value (0 if it never did). */
typedef int (*http_query_fn)(const char *name, const char *value, void *arg);
int http_request_query_each(const http_request_t *req, http_query_fn fn, void *arg);

/* The first query parameter whose name is not in the NULL-terminated list
 * known, or NULL when every one is known. Borrowed like the accessors. */
const char *http_request_unknown_query(const http_request_t *req, const char *const *known);

/* Parses a comma-separated list of numbers ("16.1,46.5,16.2,46.7") into
 * v[0..max-1]. Returns how many it holds, max + 1 meaning "more than max"
 * (only the first max are stored), or -1 when it is not such a list or a
 * number overflows. Non-finite values (nan, inf) are returned as given. */
int http_parse_numbers(const char *text, double *v, int max);

/* Sets the status and a body the response takes ownership of (malloc'd;
 * freed by libmicrohttpd once sent). */
void http_response_body(http_response_t *resp, int status, const char *content_type, char *body,
                        size_t len);

/* Sets Last-Modified (the data's load time, typically). */
void http_response_last_modified(http_response_t *resp, time_t when);

/* Adds a header; name and value are copied. */
void http_response_header(http_response_t *resp, const char *name, const char *value);

/* Finishes the response off the HTTP threads: the handler returns at once,
 * the connection waits suspended (no HTTP thread blocks on it), and later
 * fn(arg, resp) fills resp on the worker pool, after which the response
 * is sent as usual. fn must not read the request: the handler copies what
 * it needs into arg, and fn frees arg. Without a pool, fn runs at once. */
typedef void (*http_deferred_fn)(void *arg, http_response_t *resp);
void http_defer(http_response_t *resp, http_deferred_fn fn, void *arg);

/* Sets an error status and a description for the JSON exception body. */
void http_error(http_response_t *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The exception "code" for a status, e.g. 404 -> "NotFound". */
const char *http_status_code_name(int status);

#endif
