#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_internal.h"
#include "log.h"
#include "pool.h"

const char *http_request_method(const http_request_t *req)
{
    return req->method;
}

const char *http_request_path(const http_request_t *req)
{
    return req->path;
}

const char *http_request_param(const http_request_t *req, const char *name)
{
    /* Names point into the route pattern and end at '}', not NUL. */
    size_t len = strlen(name);
    for (size_t i = 0; i < req->nparams; i++)
        if (strncmp(req->param_name[i], name, len) == 0 && req->param_name[i][len] == '}')
            return req->param_value[i];
    return NULL;
}

const char *http_request_query(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct query_walk {
    http_query_fn fn;
    void *arg;
    int result;
} query_walk_t;

static enum MHD_Result walk_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    query_walk_t *w = cls;
    w->result = w->fn(key, value ? value : "", w->arg);
    return w->result ? MHD_NO : MHD_YES;
}

int http_request_query_each(const http_request_t *req, http_query_fn fn, void *arg)
{
    query_walk_t w = {fn, arg, 0};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, walk_one, &w);
    return w.result;
}

typedef struct unknown_walk {
    const char *const *known;
    const char *first;
} unknown_walk_t;

static int find_unknown(const char *name, const char *value, void *arg)
{
    (void)value;
    unknown_walk_t *w = arg;
    for (const char *const *k = w->known; *k; k++)
        if (strcmp(*k, name) == 0) return 0;
    w->first = name;
    return 1;
}

const char *http_request_unknown_query(const http_request_t *req, const char *const *known)
{
    unknown_walk_t w = {known, NULL};
    http_request_query_each(req, find_unknown, &w);
    return w.first;
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

const char *http_request_header(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void http_response_body(http_response_t *resp, int status, const char *content_type, char *body,
                        size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->len = len;
}

void http_defer(http_response_t *resp, http_deferred_fn fn, void *arg)
{
    resp->defer_fn = fn;
    resp->defer_arg = arg;
}

void http_response_last_modified(http_response_t *resp, time_t when)
{
    resp->last_modified = when;
}

void http_response_header(http_response_t *resp, const char *name, const char *value)
{
    if (resp->nheaders == MAX_HEADERS) return;
    char *n = strdup(name), *v = strdup(value);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return;
    }
    resp->headers[resp->nheaders][0] = n;
    resp->headers[resp->nheaders][1] = v;
    resp->nheaders++;
}

void http_error(http_response_t *resp, int status, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    free(resp->error);
    resp->error = strdup(text);
    resp->status = status;
}

const char *http_status_code_name(int status)
{
    switch (status) {
    case 400:
        return "InvalidParameterValue";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 406:
        return "NotAcceptable";
    case 413:
        return "PayloadTooLarge";
    case 431:
        return "RequestHeaderFieldsTooLarge";
    case 503:
        return "ServiceUnavailable";
    }
    return status >= 500 ? "ServerError" : "BadRequest";
}

/* The one place an error status becomes a body. */
static void render_error(http_response_t *resp)
{
    json_t *obj = json_pack("{s:s, s:s}", "code", http_status_code_name(resp->status),
                            "description", resp->error ? resp->error : "error");
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (text == NULL) {
        resp->status = 500;
        text = strdup("{\"code\":\"ServerError\",\"description\":\"out of memory\"}");
    }
    http_response_body(resp, resp->status, "application/json", text, text ? strlen(text) : 0);
}

/* Matches path against a pattern segment by segment; on success records
 * the {param} values (copied) in req. */
static int match_route(const char *pattern, const char *path, http_request_t *req)
{
    req->nparams = 0;
    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *close = strchr(pattern, '}');
            size_t n = strcspn(path, "/");
            if (close == NULL || n == 0 || req->nparams == MAX_PARAMS) return 0;
            req->param_name[req->nparams] = pattern + 1;
            req->param_value[req->nparams++] = strndup(path, n);
            pattern = close + 1;
            path += n;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static void clear_params(http_request_t *req)
{
    for (size_t i = 0; i < req->nparams; i++)
        free(req->param_value[i]);
    req->nparams = 0;
}

#define ALLOWED "GET, HEAD, OPTIONS"

/* CORS preflight (and plain OPTIONS): what may be asked, for a day. */
static void preflight(const http_request_t *req, http_response_t *resp)
{
    const char *asked = http_request_header(req, "Access-Control-Request-Headers");
    http_response_header(resp, "Allow", ALLOWED);
    http_response_header(resp, "Access-Control-Allow-Methods", ALLOWED);
    http_response_header(resp, "Access-Control-Allow-Headers", asked ? asked : "*");
    http_response_header(resp, "Access-Control-Max-Age", "86400");
    http_response_body(resp, 204, "text/plain", strdup(""), 0);
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static void dispatch(const http_server_t *srv, http_request_t *req, http_response_t *resp)
{
    const http_config_t *cfg = &srv->cfg;
    /* libmicrohttpd answers heads beyond its pool itself (HTML); below that
     * we refuse oversize heads here so the client gets the JSON error. */
    size_t head = strlen(req->path);
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_header_size, &head);
    if (head > cfg->max_header_bytes) {
        http_error(resp, 431, "request headers of %zu bytes exceed the limit of %zu", head,
                   cfg->max_header_bytes);
        return;
    }
    for (size_t i = 0; i < cfg->nroutes; i++) {
        if (!match_route(cfg->routes[i].pattern, req->path, req)) {
            clear_params(req);
            continue;
        }
        if (strcmp(req->method, "OPTIONS") == 0) {
            preflight(req, resp);
            return;
        }
        if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
            http_response_header(resp, "Allow", ALLOWED);
            http_error(resp, 405, "method %s is not allowed on %s; use GET or HEAD", req->method,
                       req->path);
            return;
        }
        cfg->routes[i].handler(req, resp, cfg->ctx);
        return;
    }
    http_error(resp, 404, "no resource at %s", req->path);
}

static enum MHD_Result queue(const http_server_t *srv, struct MHD_Connection *conn,
                             http_request_t *req, http_response_t *resp)
{
    if (resp->status >= 400 || resp->body == NULL) {
        if (resp->status < 400) http_error(resp, 500, "handler produced no body");
        render_error(resp);
    }
    http_finalize(srv, req, resp);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) return MHD_NO;
    resp->body = NULL; /* libmicrohttpd frees it now */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "coopmap/" COOPMAP_VERSION);
    for (size_t i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
    req->status = resp->status;
    req->bytes = resp->len;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static void response_free(http_response_t *resp)
{
    free(resp->body);
    free(resp->error);
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i][0]);
        free(resp->headers[i][1]);
    }
}

typedef struct deferred {
    http_request_t *req;
    struct MHD_Connection *conn;
    http_response_t *resp;
} deferred_t;

static void run_deferred(void *arg)
{
    deferred_t *d = arg;
    http_response_t *resp = d->resp;
    http_deferred_fn fn = resp->defer_fn;
    resp->defer_fn = NULL;
    fn(resp->defer_arg, resp);
    d->req->done = resp;
    MHD_resume_connection(d->conn); /* on_request() is called again and sends it */
    free(d);
}

/* Moves the response to the heap and hands it to the pool; the connection
 * sleeps until run_deferred() resumes it. Falls back to running inline. */
static void defer(const http_server_t *srv, struct MHD_Connection *conn, http_request_t *req,
                  http_response_t *resp)
{
    deferred_t *d = srv->cfg.pool ? malloc(sizeof(*d)) : NULL;
    http_response_t *heap = d ? malloc(sizeof(*heap)) : NULL;
    if (heap) {
        *heap = *resp;
        *d = (deferred_t){req, conn, heap};
        MHD_suspend_connection(conn);
        if (pool_submit(srv->cfg.pool, run_deferred, d) == 0) {
            memset(resp, 0, sizeof(*resp));
            return;
        }
        MHD_resume_connection(conn);
        *resp = *heap;
    }
    free(heap);
    free(d);
    http_deferred_fn fn = resp->defer_fn;
    resp->defer_fn = NULL;
    fn(resp->defer_arg, resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    http_server_t *srv = cls;
    http_request_t *req = *con_cls;
    if (req == NULL) {
        /* First call: headers only. Keep state for the access log. */
        req = calloc(1, sizeof(*req));
        if (req == NULL) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* no endpoint takes a body: discard it */
        return MHD_YES;
    }
    req->conn = conn;
    req->method = method;
    req->path = url;
    if (req->done) { /* resumed: the deferred work is finished */
        http_response_t *resp = req->done;
        req->done = NULL;
        enum MHD_Result ret = queue(srv, conn, req, resp);
        response_free(resp);
        free(resp);
        return ret;
    }
    http_response_t resp = {.status = 200, .content_type = "application/json"};
    dispatch(srv, req, &resp);
    clear_params(req);
    if (resp.defer_fn) {
        defer(srv, conn, req, &resp);
        if (resp.defer_fn == NULL && resp.status == 0) /* handed to the pool */
            return MHD_YES;
    }
    enum MHD_Result ret = queue(srv, conn, req, &resp);
    response_free(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server_t *srv = cls;
    http_request_t *req = *con_cls;
    if (req == NULL) return;
    if (srv->cfg.access_log && req->method) {
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        double ms = (double)(end.tv_sec - req->start.tv_sec) * 1e3 +
                    (double)(end.tv_nsec - req->start.tv_nsec) / 1e6;
        char addr[INET6_ADDRSTRLEN] = "-";
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            const void *ip = sa->sa_family == AF_INET6
                                 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                                 : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
            inet_ntop(sa->sa_family, ip, addr, sizeof(addr));
        }
        log_info("%s \"%s %s\" %d %zu %.2fms%s", addr, req->method, req->path, req->status,
                 req->bytes, ms, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
    }
    if (req->done) { /* finished while the server was stopping: never sent */
        response_free(req->done);
        free(req->done);
    }
    free(req);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages (e.g. a head too big even for its pool)
 * become single warning lines in our log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    log_warn("libmicrohttpd: %.200s", text);
}

static int make_addr(const http_config_t *cfg, struct sockaddr_storage *ss, error_t *err)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, cfg->address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(cfg->port);
        return ERR_OK;
    }
    if (inet_pton(AF_INET6, cfg->address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(cfg->port);
        return ERR_OK;
    }
    return error_set(err, ERR_INVALID, "'%s' is not a numeric IPv4 or IPv6 address", cfg->address);
}

int http_server_start(const http_config_t *cfg, http_server_t **out, error_t *err)
{
    struct sockaddr_storage ss;
    *out = NULL;
    int rc = make_addr(cfg, &ss, err);
    if (rc != ERR_OK) return rc;
    http_server_t *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    srv->cfg = *cfg;
    if (srv->cfg.max_header_bytes < 1024) srv->cfg.max_header_bytes = 16384;
    if (srv->cfg.gzip_min_bytes == 0) srv->cfg.gzip_min_bytes = 1024;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                         NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                         MHD_OPTION_THREAD_POOL_SIZE, cfg->threads > 1 ? cfg->threads : 1,
                         MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s ? cfg->timeout_s : 30,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)4 * srv->cfg.max_header_bytes,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        free(srv);
        return error_set(err, ERR_SYSTEM, "cannot listen on %s:%u (address in use or not local?)",
                         cfg->address, (unsigned)cfg->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : cfg->port;
    *out = srv;
    return ERR_OK;
}

http_server_t *http_server_stop(http_server_t *srv)
{
    if (srv == NULL) return NULL;
    MHD_stop_daemon(srv->daemon);
    free(srv);
    return NULL;
}

uint16_t http_server_port(const http_server_t *srv)
{
    return srv->port;
}
