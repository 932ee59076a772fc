/* Internals shared by the http module's files (http.c, http_finalize.c);
 * nothing outside src/http*.c includes this. */
#ifndef COOPMAP_HTTP_INTERNAL_H
#define COOPMAP_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <time.h>

#include "http.h"

#define MAX_PARAMS  4
#define MAX_HEADERS 16

struct http_server {
    struct MHD_Daemon *daemon;
    http_config_t cfg;
    uint16_t port;
};

struct http_response {
    time_t last_modified;      /* 0: none */
    http_deferred_fn defer_fn; /* set by http_defer() */
    void *defer_arg;
    int status;
    const char *content_type;
    char *body;
    size_t len;
    char *error; /* description, when status >= 400 */
    size_t nheaders;
    char *headers[MAX_HEADERS][2];
};

/* One per connection request: created on the first callback, freed in the
 * completion callback (request_completed). */
struct http_request {
    struct MHD_Connection *conn;
    const char *method, *path;
    const char *param_name[MAX_PARAMS];
    char *param_value[MAX_PARAMS];
    size_t nparams;
    struct timespec start;
    int status;
    size_t bytes;
    http_response_t *done; /* a deferred response, ready once resumed */
};

/* Adds CORS, caching and ETag headers, answers conditional requests with
 * 304 and gzips large bodies the client accepts: what every endpoint gets
 * without its handler asking. */
void http_finalize(const http_server_t *srv, const http_request_t *req, http_response_t *resp);

/* The named header's value already set on resp, or NULL. */
const char *http_response_get_header(const http_response_t *resp, const char *name);

#endif
