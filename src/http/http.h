/* HTTP server on libmicrohttpd: the only module that includes it.
 *
 * It parses requests (the request target by its own parser: percent-
 * decoding, UTF-8 and NUL checks, limits), refuses what no endpoint can
 * take before any handler runs, matches the path against one route table,
 * calls the route's handler and writes what the handler put in the
 * response. Errors from every handler go through http_error(), and one
 * place turns a status into the JSON exception body {"code", "description"}.
 * It also bounds what clients can hold: connections in all and per address,
 * time to send a request head, idle time, and the queues of deferred work.
 * It computes nothing geographic. */
#ifndef COOPMAP_HTTP_H
#define COOPMAP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"

typedef struct http_request http_request_t;
typedef struct http_response http_response_t;

/* Fills resp (a body with http_response_body() or an error with
 * http_error()). ctx is the server's http_config_t.ctx. */
typedef void (*http_handler_fn)(const http_request_t *req, http_response_t *resp, void *ctx);

/* An error body in a route's own format (WMS: its XML exception) for an
 * error the handler did not write itself (a malformed request, a refused
 * or late job): malloc'd, its media type in *type; NULL for the JSON. */
typedef char *(*http_error_body_fn)(int status, const char *description, const char **type,
                                    size_t *len);

typedef struct http_route {
    const char *pattern; /* "/collections/{collectionId}/items": {x} matches one segment */
    http_handler_fn handler;
    http_error_body_fn error_body; /* NULL: JSON; used for requests to exactly this path */
} http_route_t;

struct pool;

/* Where deferred work runs: tiles (and small maps) on one pool, heavy
 * computations on another, so neither starves the other. */
typedef enum http_work { HTTP_WORK_TILE, HTTP_WORK_HEAVY, HTTP_NWORK } http_work_t;

/* What a client may hold or send. Zeros take the defaults shown. */
typedef struct http_limits {
    unsigned head_timeout_s;  /* a request head must be complete this long after the
                                 connection opened or the previous response ended (10) */
    unsigned idle_timeout_s;  /* a connection with no bytes either way is closed (30) */
    unsigned max_connections; /* open at once; beyond, new ones are closed at once (4096;
                                 lowered to fit the open-files limit) */
    unsigned max_per_ip;      /* open at once from one client address (256) */
    size_t max_header_bytes;  /* larger request heads get 431 (16 KiB) */
    size_t max_target_bytes;  /* longer request targets (path and query) get 414 (8 KiB) */
    unsigned max_params;      /* more query parameters get 400 (64) */
} http_limits_t;

/* Fills zero members of l with the defaults. */
void http_limits_default(http_limits_t *l);

typedef struct http_config {
    const char *address; /* numeric IPv4 or IPv6 address */
    uint16_t port;       /* 0: any free port (see http_server_port) */
    unsigned threads;
    http_limits_t limits;
    const http_route_t *routes;
    size_t nroutes;
    void *ctx;
    int access_log;                    /* one log line per request */
    const char *cors_origin;           /* Access-Control-Allow-Origin; NULL: "*", "": no CORS */
    const char *cache_control;         /* for 200s whose handler set none; NULL: max-age=60 */
    size_t gzip_min_bytes;             /* smaller bodies are sent as they are */
    struct pool *pools[HTTP_NWORK];    /* run deferred work (http_defer); borrowed, NULL: inline */
    double work_timeout_s[HTTP_NWORK]; /* deferred work not done this long after the request
                                          arrived is answered 503; 0: no deadline */
} http_config_t;

typedef struct http_server http_server_t;

/* Binds and starts serving on a thread pool. The route table and ctx are
 * borrowed and must outlive the server. Stop with http_server_stop(). */
int http_server_start(const http_config_t *cfg, http_server_t **out, error_t *err);

/* Stops accepting, waits for running requests, frees; NULL is a no-op. */
http_server_t *http_server_stop(http_server_t *srv);

uint16_t http_server_port(const http_server_t *srv);

/* Appends the server's counters in the Prometheus text format: requests
 * by route and status, latency histograms, open connections, refusals by
 * reason. */
void http_server_write_metrics(const http_server_t *srv, buf_t *b);

/* Request accessors; the strings are borrowed for the handler's duration,
 * percent-decoded, valid UTF-8 and free of NUL bytes. NULL when absent. */
const char *http_request_path(const http_request_t *req);
const char *http_request_param(const http_request_t *req, const char *name);
const char *http_request_query(const http_request_t *req, const char *name);
const char *http_request_header(const http_request_t *req, const char *name);

/* The server the request came to (for /metrics); NULL for offline requests. */
const http_server_t *http_request_server(const http_request_t *req);

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
 * freed once sent). */
void http_response_body(http_response_t *resp, int status, const char *content_type, char *body,
                        size_t len);

/* Sets a body the response borrows until release(arg) is called (once,
 * when it has been sent or dropped): cached tiles go out without a copy. */
void http_response_body_ref(http_response_t *resp, int status, const char *content_type,
                            const void *data, size_t len, void (*release)(void *arg), void *arg);

/* Sets Last-Modified (the data's load time, typically). */
void http_response_last_modified(http_response_t *resp, time_t when);

/* Adds a header; name and value are copied. */
void http_response_header(http_response_t *resp, const char *name, const char *value);

/* Finishes the response off the HTTP threads: the handler returns at once,
 * the connection waits suspended (no HTTP thread blocks on it), and later
 * run(arg, resp) fills resp on the pool for `work`, after which the
 * response is sent as usual. run must not read the request: the handler
 * copies what it needs into arg. release(arg) is called exactly once, after
 * run or instead of it when the work is refused (queue full: 503) or waited
 * past its deadline (503). Without a pool, run happens at once. */
typedef void (*http_deferred_fn)(void *arg, http_response_t *resp);
void http_defer(http_response_t *resp, http_work_t work, http_deferred_fn run,
                void (*release)(void *arg), void *arg);

/* The deadline of the deferred work filling resp (DEADLINE_NONE if none):
 * long computations check it and give up with http_error_busy(). */
deadline_t http_response_deadline(const http_response_t *resp);

/* Sets an error status and a description for the JSON exception body (or
 * the route's error_body). A handler that writes its own error document
 * calls http_response_body() with the status instead: that body is kept. */
void http_error(http_response_t *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Why a request was refused without being served, for the metrics. */
typedef enum http_reject {
    HTTP_REJECT_MALFORMED,    /* a request the parser or the protocol checks refused */
    HTTP_REJECT_HEAD_TIMEOUT, /* the head did not arrive in time: connection closed */
    HTTP_REJECT_CONN_LIMIT,   /* too many connections: closed at once */
    HTTP_REJECT_IP_LIMIT,     /* too many connections from one address */
    HTTP_REJECT_QUEUE_FULL,   /* a work queue was full: 503 */
    HTTP_REJECT_DEADLINE,     /* the work's deadline passed: 503 */
    HTTP_REJECT_COST,         /* over a cost limit: 413 */
    HTTP_NREJECT
} http_reject_t;

const char *http_reject_name(http_reject_t r);

/* 503 with Retry-After (seconds) for work refused or abandoned, counted
 * under reason. */
void http_error_busy(http_response_t *resp, http_reject_t reason, unsigned retry_after,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The exception "code" for a status, e.g. 404 -> "NotFound". */
const char *http_status_code_name(int status);

/* One request through the same parsing, checks, routing and handlers as
 * the server, without a socket (deferred work runs inline): for tests and
 * fuzzing. headers holds nheaders name/value pairs. The result's body is
 * malloc'd; free it with http_offline_free(). */
typedef struct http_offline {
    int status;
    char *content_type; /* NULL if none */
    char *headers;      /* the other headers, "Name: value\r\n" each */
    char *body;
    size_t len;
} http_offline_t;

int http_offline(const http_config_t *cfg, const char *method, const char *version,
                 const char *target, const char *const (*headers)[2], size_t nheaders,
                 http_offline_t *out);
void http_offline_free(http_offline_t *out);

#endif
