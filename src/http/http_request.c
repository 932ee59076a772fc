/* A request's life without the socket: the handlers' accessors, the
 * response they fill, the protocol checks, routing, the one place an error
 * becomes its JSON body, and the offline entry for tests and fuzzing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_internal.h"

void http_limits_default(http_limits_t *l)
{
    if (l->head_timeout_s == 0) l->head_timeout_s = 10;
    if (l->idle_timeout_s == 0) l->idle_timeout_s = 30;
    if (l->max_connections == 0) l->max_connections = 4096;
    if (l->max_per_ip == 0) l->max_per_ip = 256;
    if (l->max_header_bytes == 0) l->max_header_bytes = 16384;
    if (l->max_target_bytes == 0) l->max_target_bytes = 8192;
    if (l->max_params == 0) l->max_params = 64;
}

const char *http_request_path(const http_request_t *req)
{
    return req->path;
}

const http_server_t *http_request_server(const http_request_t *req)
{
    return req->conn ? req->srv : NULL;
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
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0) return req->query[i].value;
    return NULL;
}

const char *http_request_header(const http_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
    return NULL;
}

int http_request_query_each(const http_request_t *req, http_query_fn fn, void *arg)
{
    for (size_t i = 0; i < req->nquery; i++) {
        int rc = fn(req->query[i].name, req->query[i].value, arg);
        if (rc) return rc;
    }
    return 0;
}

const char *http_request_unknown_query(const http_request_t *req, const char *const *known)
{
    for (size_t i = 0; i < req->nquery; i++) {
        const char *const *k = known;
        while (*k && strcmp(*k, req->query[i].name) != 0)
            k++;
        if (*k == NULL) return req->query[i].name;
    }
    return NULL;
}

/* --- the response ---------------------------------------------------------- */

static void release_body(http_response_t *resp)
{
    if (resp->release) resp->release(resp->release_arg);
    resp->release = NULL;
    resp->body = NULL;
    resp->len = 0;
}

void http_response_own_body(http_response_t *resp, char *body, size_t len)
{
    release_body(resp);
    resp->body = body;
    resp->len = len;
    resp->release = free;
    resp->release_arg = body;
}

void http_response_body(http_response_t *resp, int status, const char *content_type, char *body,
                        size_t len)
{
    http_response_own_body(resp, body, len);
    resp->status = status;
    resp->content_type = content_type;
}

void http_response_body_ref(http_response_t *resp, int status, const char *content_type,
                            const void *data, size_t len, void (*release)(void *arg), void *arg)
{
    release_body(resp);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = data;
    resp->len = len;
    resp->release = release;
    resp->release_arg = arg;
}

void http_response_last_modified(http_response_t *resp, time_t when)
{
    resp->last_modified = when;
}

void http_response_header(http_response_t *resp, const char *name, const char *value)
{
    if (resp->nheaders == MAX_RESP_HEADERS) return;
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

void http_defer(http_response_t *resp, http_work_t work, http_deferred_fn run,
                void (*release)(void *arg), void *arg)
{
    resp->defer_run = run;
    resp->defer_release = release;
    resp->defer_arg = arg;
    resp->work = work;
}

deadline_t http_response_deadline(const http_response_t *resp)
{
    return resp->deadline;
}

void http_run_deferred(http_response_t *resp)
{
    http_deferred_fn run = resp->defer_run;
    resp->defer_run = NULL;
    if (run && !deadline_passed(resp->deadline))
        run(resp->defer_arg, resp);
    else if (run)
        http_error_busy(resp, HTTP_REJECT_DEADLINE, 5,
                        "the request waited longer than its timeout to be served "
                        "(--request-timeout; --tile-timeout for tiles); try again shortly");
    if (resp->defer_release) resp->defer_release(resp->defer_arg);
    resp->defer_release = NULL;
}

static void set_error(http_response_t *resp, int status, const char *fmt, va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    free(resp->error);
    resp->error = strdup(text);
    resp->status = status;
    if (status == 413) resp->reject = HTTP_REJECT_COST;
}

void http_error(http_response_t *resp, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(resp, status, fmt, ap);
    va_end(ap);
}

void http_error_busy(http_response_t *resp, http_reject_t reason, unsigned retry_after,
                     const char *fmt, ...)
{
    char seconds[16];
    va_list ap;
    va_start(ap, fmt);
    set_error(resp, 503, fmt, ap);
    va_end(ap);
    resp->reject = (int)reason;
    snprintf(seconds, sizeof(seconds), "%u", retry_after);
    http_response_header(resp, "Retry-After", seconds);
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
    case 414:
        return "URITooLong";
    case 431:
        return "RequestHeaderFieldsTooLarge";
    case 503:
        return "ServiceUnavailable";
    }
    return status >= 500 ? "ServerError" : "BadRequest";
}

const char *http_reject_name(http_reject_t r)
{
    static const char *const names[HTTP_NREJECT] = {"malformed", "head_timeout", "connection_limit",
                                                    "ip_limit",  "queue_full",   "deadline",
                                                    "cost_limit"};
    return (unsigned)r < HTTP_NREJECT ? names[r] : "other";
}

void http_response_free(http_response_t *resp)
{
    release_body(resp);
    free(resp->error);
    resp->error = NULL;
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i][0]);
        free(resp->headers[i][1]);
    }
    resp->nheaders = 0;
    if (resp->defer_release) resp->defer_release(resp->defer_arg); /* never run */
    resp->defer_release = NULL;
}

/* The one place an error status becomes a body. Descriptions may echo
 * request text: the JSON writer keeps the body valid whatever it holds. */
static void render_error(const http_server_t *srv, const http_request_t *req, http_response_t *resp)
{
    for (size_t i = 0; srv && req->path && i < srv->cfg.nroutes; i++) {
        const http_route_t *r = &srv->cfg.routes[i];
        if (r->error_body == NULL || strcmp(r->pattern, req->path) != 0) continue;
        const char *type = NULL;
        size_t len = 0;
        char *body = r->error_body(resp->status, resp->error ? resp->error : "error", &type, &len);
        if (body) {
            http_response_body(resp, resp->status, type, body, len);
            return;
        }
    }
    buf_t b = BUF_INIT;
    buf_printf(&b, "{\"code\":\"%s\",\"description\":", http_status_code_name(resp->status));
    buf_json_string(&b, resp->error ? resp->error : "error");
    buf_puts(&b, "}");
    size_t len = 0;
    char *text = buf_steal(&b, &len);
    if (text == NULL) {
        static const char oom[] = "{\"code\":\"ServerError\",\"description\":\"out of memory\"}";
        resp->status = 503;
        http_response_body_ref(resp, 503, "application/json", oom, sizeof(oom) - 1, NULL, NULL);
        return;
    }
    http_response_body(resp, resp->status, "application/json", text, len);
}

void http_response_prepare(const http_server_t *srv, const http_request_t *req,
                           http_response_t *resp)
{
    bool own_error = resp->status >= 400 && resp->body && resp->error == NULL;
    if (!own_error && (resp->status >= 400 || (resp->body == NULL && resp->status != 204))) {
        if (resp->status < 400) http_error(resp, 500, "handler produced no body");
        render_error(srv, req, resp);
    }
    http_finalize(srv, req, resp);
}

/* --- the request ----------------------------------------------------------- */

http_request_t *http_request_new(const http_server_t *srv, const char *target)
{
    http_request_t *req = calloc(1, sizeof(*req));
    if (req == NULL) return NULL;
    req->srv = srv;
    req->start_ns = clock_now_ns();
    req->route = srv->cfg.nroutes;
    req->reject = -1;
    req->target = arena_strndup(&req->arena, target, strlen(target));
    if (req->target == NULL) {
        free(req);
        return NULL;
    }
    req->early_status = http_parse_target(req, target, &srv->cfg.limits, &req->early_error);
    if (req->path == NULL) req->path = "/"; /* refused anyway; the log needs one */
    return req;
}

void http_request_free(http_request_t *req)
{
    if (req == NULL) return;
    if (req->done) {
        http_response_free(req->done);
        free(req->done);
    }
    arena_free(&req->arena);
    free(req);
}

int http_request_add_header(http_request_t *req, const char *name, const char *value)
{
    if (value == NULL) value = "";
    req->head_bytes += strlen(name) + strlen(value) + 4;
    if (req->nheaders % 16 == 0) { /* grow in steps of 16 in the arena */
        http_kv_t *more = arena_alloc(&req->arena, (req->nheaders + 16) * sizeof(*more));
        if (more == NULL) return -1;
        if (req->nheaders) memcpy(more, req->headers, req->nheaders * sizeof(*more));
        req->headers = more;
    }
    http_kv_t *kv = &req->headers[req->nheaders];
    kv->name = arena_strndup(&req->arena, name, strlen(name));
    kv->value = arena_strndup(&req->arena, value, strlen(value));
    if (kv->name == NULL || kv->value == NULL) return -1;
    req->nheaders++;
    return 0;
}

static size_t count_header(const http_request_t *req, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < req->nheaders; i++)
        n += strcasecmp(req->headers[i].name, name) == 0;
    return n;
}

static bool body_allowed(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

#define ALLOWED "GET, HEAD, OPTIONS"

/* RFC 9112: Host exactly once in HTTP/1.1; a transfer coding we cannot
 * decode (or chunked twice, or beside Content-Length) is refused rather
 * than guessed at; and no endpoint takes a body. */
static bool check_framing(http_request_t *req, http_response_t *resp)
{
    size_t hosts = count_header(req, "Host");
    if ((strcmp(req->version, "HTTP/1.1") == 0 && hosts == 0) || hosts > 1) {
        http_error(resp, 400, "an HTTP/1.1 request needs exactly one Host header (got %zu)", hosts);
        return false;
    }
    const char *te = http_request_header(req, "Transfer-Encoding");
    const char *cl = http_request_header(req, "Content-Length");
    if (te &&
        (strcasecmp(te, "chunked") != 0 || count_header(req, "Transfer-Encoding") > 1 || cl)) {
        http_error(resp, 400, "Transfer-Encoding '%.40s'%s is not accepted; send no body", te,
                   cl ? " with Content-Length" : "");
        return false;
    }
    bool body = te || (cl && strspn(cl, "0") != strlen(cl));
    if (body && body_allowed(req->method)) {
        http_response_header(resp, "Allow", ALLOWED);
        http_error(resp, 405, "method %.20s is not allowed; use GET or HEAD", req->method);
        return false;
    }
    if (body) {
        http_error(resp, 413, "no endpoint takes a request body");
        resp->reject = HTTP_REJECT_MALFORMED;
        return false;
    }
    return true;
}

bool http_request_acceptable(http_request_t *req, http_response_t *resp)
{
    const http_limits_t *lim = &req->srv->cfg.limits;
    size_t head = strlen(req->target) + req->head_bytes;
    bool ok = false;
    if (req->early_status)
        http_error(resp, req->early_status, "%s", req->early_error);
    else if (head > lim->max_header_bytes)
        http_error(resp, 431, "request head of %zu bytes exceeds the limit of %zu", head,
                   lim->max_header_bytes);
    else
        ok = check_framing(req, resp);
    if (!ok && resp->reject < 0) resp->reject = HTTP_REJECT_MALFORMED;
    return ok;
}

/* Matches the request's path segments against a pattern's; on success
 * records the {param} values (borrowed from the request) in req. */
static bool match_route(const char *pattern, http_request_t *req)
{
    req->nparams = 0;
    const char *p = pattern + 1; /* patterns start with '/' */
    size_t i = 0;
    for (;; i++) {
        size_t n = strcspn(p, "/");
        if (i == req->nsegments) return false;
        const char *seg = req->segments[i];
        if (n > 1 && p[0] == '{' && p[n - 1] == '}') {
            if (seg[0] == '\0' || req->nparams == MAX_ROUTE_PARAMS) return false;
            req->param_name[req->nparams] = p + 1;
            req->param_value[req->nparams++] = seg;
        } else if (strlen(seg) != n || memcmp(seg, p, n) != 0) {
            return false;
        }
        if (p[n] == '\0') break;
        p += n + 1;
    }
    return i + 1 == req->nsegments;
}

/* CORS preflight (and plain OPTIONS): what may be asked, for a day. The
 * asked headers are echoed only when they are a plain token list. */
static void preflight(const http_request_t *req, http_response_t *resp)
{
    const char *asked = http_request_header(req, "Access-Control-Request-Headers");
    static const char token[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_, ";
    bool plain = asked && strlen(asked) < 512 && strspn(asked, token) == strlen(asked);
    http_response_header(resp, "Allow", ALLOWED);
    http_response_header(resp, "Access-Control-Allow-Methods", ALLOWED);
    http_response_header(resp, "Access-Control-Allow-Headers", plain ? asked : "*");
    http_response_header(resp, "Access-Control-Max-Age", "86400");
    http_response_body_ref(resp, 204, "text/plain", "", 0, NULL, NULL);
}

void http_request_dispatch(http_request_t *req, http_response_t *resp)
{
    const http_config_t *cfg = &req->srv->cfg;
    for (size_t i = 0; i < cfg->nroutes; i++) {
        if (!match_route(cfg->routes[i].pattern, req)) continue;
        req->route = i;
        if (strcmp(req->method, "OPTIONS") == 0) {
            preflight(req, resp);
        } else if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
            http_response_header(resp, "Allow", ALLOWED);
            http_error(resp, 405, "method %.20s is not allowed on %.200s; use GET or HEAD",
                       req->method, req->path);
        } else {
            cfg->routes[i].handler(req, resp, cfg->ctx);
        }
        return;
    }
    req->nparams = 0;
    http_error(resp, 404, "no resource at %.200s", req->path);
}

/* --- metrics ----------------------------------------------------------------- */

const int http_counted_status[HTTP_NSTATUS] = {200, 204, 304, 400, 404, 405, 406, 413,
                                               414, 431, 500, 501, 503, 0,   0,   0};

/* the last is 0: other */
static size_t http_status_index(int status)
{
    for (size_t i = 0; i < HTTP_NSTATUS && http_counted_status[i]; i++)
        if (http_counted_status[i] == status) return i;
    return HTTP_NSTATUS - 1;
}

void http_count(http_server_t *srv, const http_request_t *req)
{
    if (srv->requests == NULL) return;
    size_t r = req->route <= srv->cfg.nroutes ? req->route : srv->cfg.nroutes;
    atomic_fetch_add_explicit(&srv->requests[r * HTTP_NSTATUS + http_status_index(req->status)], 1,
                              memory_order_relaxed);
    stats_hist_add(&srv->latency[r], clock_now_ns() - req->start_ns);
    if (req->reject >= 0 && req->reject < HTTP_NREJECT)
        atomic_fetch_add_explicit(&srv->rejected[req->reject], 1, memory_order_relaxed);
}

/* --- offline ----------------------------------------------------------------- */

int http_offline(const http_config_t *cfg, const char *method, const char *version,
                 const char *target, const char *const (*headers)[2], size_t nheaders,
                 http_offline_t *out)
{
    http_server_t srv = {.cfg = *cfg};
    http_limits_default(&srv.cfg.limits);
    if (srv.cfg.gzip_min_bytes == 0) srv.cfg.gzip_min_bytes = 1024;
    memset(out, 0, sizeof(*out));
    http_request_t *req = http_request_new(&srv, target);
    if (req == NULL) return -1;
    req->method = method;
    req->version = version;
    http_response_t resp = {.status = 200, .content_type = "application/json", .reject = -1};
    for (size_t i = 0; i < nheaders; i++)
        http_request_add_header(req, headers[i][0], headers[i][1]);
    if (http_request_acceptable(req, &resp)) {
        http_request_dispatch(req, &resp);
        if (resp.defer_run) http_run_deferred(&resp);
    }
    http_response_prepare(&srv, req, &resp);
    out->status = resp.status;
    out->content_type = resp.content_type ? strdup(resp.content_type) : NULL;
    buf_t h = BUF_INIT;
    for (size_t i = 0; i < resp.nheaders; i++)
        buf_printf(&h, "%s: %s\r\n", resp.headers[i][0], resp.headers[i][1]);
    out->headers = buf_steal(&h, NULL);
    out->body = malloc(resp.len + 1);
    if (out->body) {
        if (resp.len) memcpy(out->body, resp.body, resp.len);
        out->body[resp.len] = '\0';
        out->len = resp.len;
    }
    http_response_free(&resp);
    http_request_free(req);
    return out->body ? 0 : -1;
}

void http_offline_free(http_offline_t *out)
{
    free(out->content_type);
    free(out->headers);
    free(out->body);
    memset(out, 0, sizeof(*out));
}
