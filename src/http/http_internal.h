/* Internals shared by the http module's files; nothing outside src/http*.c
 * includes this. http_parse.c and http_request.c know nothing of
 * libmicrohttpd (they also serve http_offline()); http.c and http_conn.c
 * are the glue to it. */
#ifndef COOPMAP_HTTP_INTERNAL_H
#define COOPMAP_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "util/arena.h"
#include "http/http.h"
#include "util/stats.h"

#define MAX_ROUTE_PARAMS 6
#define MAX_RESP_HEADERS 16

/* Status codes counted one by one in the metrics; others go to "other". */
#define HTTP_NSTATUS 16
extern const int http_counted_status[HTTP_NSTATUS];
struct http_response {
    time_t last_modified; /* 0: none */
    int status;
    const char *content_type;
    const char *body;
    size_t len;
    void (*release)(void *arg); /* frees the body (NULL: nothing to free) */
    void *release_arg;
    char *error; /* description, when status >= 400 */
    int reject;  /* an http_reject_t to count, or -1 */
    /* Set by http_defer(). */
    http_deferred_fn defer_run;
    void (*defer_release)(void *arg);
    void *defer_arg;
    http_work_t work;
    deadline_t deadline;
    size_t nheaders;
    char *headers[MAX_RESP_HEADERS][2];
};

typedef struct http_kv {
    const char *name, *value;
} http_kv_t;

typedef struct http_conn http_conn_t;
typedef struct http_conns http_conns_t;

/* One per request: made when the request line arrives, freed when the
 * response has gone (or the connection died). Strings live in the arena. */
struct http_request {
    const http_server_t *srv;
    struct MHD_Connection *conn; /* NULL offline */
    http_conn_t *track;          /* head-deadline record; NULL offline */
    arena_t arena;
    const char *method, *version;
    const char *target;    /* as received */
    const char *path;      /* decoded */
    const char **segments; /* the path's segments, each decoded: "/a/b" is a, b */
    size_t nsegments;
    http_kv_t *query;
    size_t nquery;
    http_kv_t *headers;
    size_t nheaders, head_bytes;
    const char *line_target; /* where libmicrohttpd's request line holds the target */
    size_t line_target_len;  /* its length as a C string, before the query was cut */
    int early_status;        /* the target parser's verdict: 0 or a 4xx */
    const char *early_error;
    const char *param_name[MAX_ROUTE_PARAMS]; /* point into the pattern, end at '}' */
    const char *param_value[MAX_ROUTE_PARAMS];
    size_t nparams;
    size_t route; /* matched route, or nroutes */
    int64_t start_ns;
    int status, reject;
    size_t bytes;
    bool begun, prepared;
    http_response_t *done; /* a deferred response, ready once resumed */
};

struct http_server {
    struct MHD_Daemon *daemon;
    http_config_t cfg;
    uint16_t port;
    http_conns_t *conns;
    atomic_uint_fast64_t *requests; /* [(nroutes + 1) * HTTP_NSTATUS] */
    stats_hist_t *latency;          /* [nroutes + 1]: the last is "no route" */
    atomic_uint_fast64_t rejected[HTTP_NREJECT];
};

/* --- http_parse.c --- */

/* Parses a request target ("/a%20b?x=1&y=2", or the absolute form) into
 * req->path and req->query, allocated from req->arena. Returns 0, or the
 * status to answer (400, 414) with *why (a static or arena string). */
int http_parse_target(http_request_t *req, const char *target, const http_limits_t *lim,
                      const char **why);

/* --- http_request.c --- */

/* Allocates a request for a target; NULL when out of memory. */
http_request_t *http_request_new(const http_server_t *srv, const char *target);
void http_request_free(http_request_t *req);

/* Copies a header into the request (for the handlers' lookups). */
int http_request_add_header(http_request_t *req, const char *name, const char *value);

/* Checks what can be checked once the head is in: the target's verdict,
 * the head's size, Host, Transfer-Encoding, a body, the method. Returns
 * false after setting an error on resp (the connection is then closed). */
bool http_request_acceptable(http_request_t *req, http_response_t *resp);

/* Matches the route and runs its handler (which may defer). */
void http_request_dispatch(http_request_t *req, http_response_t *resp);

/* Makes the body of an error, adds CORS, caching, ETag, 304, gzip. */
void http_response_prepare(const http_server_t *srv, const http_request_t *req,
                           http_response_t *resp);

/* Frees what the response owns (body included, if still there). */
void http_response_free(http_response_t *resp);

/* Runs deferred work right now (no pool, offline), then releases it. */
void http_run_deferred(http_response_t *resp);

/* Counts a finished request in the server's metrics. */
void http_count(http_server_t *srv, const http_request_t *req);

/* --- http_finalize.c --- */

/* Adds CORS, caching and ETag headers, answers conditional requests with
 * 304 and gzips large bodies the client accepts: what every endpoint gets
 * without its handler asking. */
void http_finalize(const http_server_t *srv, const http_request_t *req, http_response_t *resp);

/* Replaces the body with one the response owns (malloc'd). */
void http_response_own_body(http_response_t *resp, char *body, size_t len);

/* --- http_conn.c --- */

/* Tracks connections (accept policy with the connection limits, and the
 * watchdog that closes connections whose request head is late). */
http_conns_t *http_conns_create(http_server_t *srv);
void http_conns_destroy(http_conns_t *c);
void http_conns_stop(http_conns_t *c); /* stops the watchdog thread */
size_t http_conns_open(http_conns_t *c);

/* libmicrohttpd hooks (cls: the http_conns_t): the accept policy, and
 * connection start/close. */
enum MHD_Result http_conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);

/* A request head has arrived on the connection / its response has gone
 * and the next head is awaited. */
void http_conn_head_done(http_conns_t *c, http_conn_t *track);
void http_conn_idle(http_conns_t *c, http_conn_t *track);

#endif
