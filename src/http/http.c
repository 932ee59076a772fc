/* The glue to libmicrohttpd: start and stop, its callbacks, queueing
 * responses, and suspending connections while deferred work runs. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "http/http_internal.h"
#include "util/log.h"
#include "util/pool.h"

/* Called with the request line, before libmicrohttpd splits or unescapes
 * it: coopmap parses the target itself (see http_parse.c). Its query is
 * then cut off in libmicrohttpd's buffer (the URI points into that
 * writable buffer; the arguments are parsed from it right after this
 * returns), so libmicrohttpd never builds its own argument list: with
 * about a thousand parameters that list overflows the connection's memory
 * pool and libmicrohttpd 0.9.75 then leaves the client without an answer. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    http_request_t *req = http_request_new(cls, uri);
    if (req) {
        req->line_target = uri;
        req->line_target_len = strlen(uri);
    }
    char *query = strchr(uri, '?');
    if (query && query[1]) query[1] = '\0';
    return req;
}

static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    return http_request_add_header(cls, key, value) == 0 ? MHD_YES : MHD_NO;
}

static void release_nothing(void *arg)
{
    (void)arg;
}

static enum MHD_Result queue(http_server_t *srv, struct MHD_Connection *conn, http_request_t *req,
                             http_response_t *resp)
{
    if (!req->prepared) http_response_prepare(srv, req, resp);
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        resp->len, (void *)resp->body, resp->release ? resp->release : release_nothing,
        resp->release_arg);
    if (r == NULL) return MHD_NO;
    resp->release = NULL; /* libmicrohttpd releases the body now */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "coopmap/" COOPMAP_VERSION);
    for (size_t i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
    req->status = resp->status;
    req->bytes = resp->len;
    if (resp->reject >= 0) req->reject = resp->reject;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

typedef struct deferred {
    http_request_t *req;
    struct MHD_Connection *conn;
    http_response_t *resp;
} deferred_t;

static void run_job(void *arg)
{
    deferred_t *d = arg;
    http_run_deferred(d->resp);
    /* The ETag's hash and gzip of a large answer are work too: done here,
     * not on the HTTP thread that sends it. */
    http_response_prepare(d->req->srv, d->req, d->resp);
    d->req->prepared = true;
    d->req->done = d->resp;
    MHD_resume_connection(d->conn); /* on_request() is called again and sends it */
    free(d);
}

/* Moves the response to the heap and hands it to the work's pool; the
 * connection sleeps until run_job() resumes it. Returns false when the
 * work was refused (resp then holds a 503) or ran at once. */
static bool defer(http_server_t *srv, struct MHD_Connection *conn, http_request_t *req,
                  http_response_t *resp)
{
    http_work_t work = resp->work;
    double timeout = srv->cfg.work_timeout_s[work];
    if (timeout > 0) resp->deadline = (deadline_t){req->start_ns + (int64_t)(timeout * 1e9)};
    pool_t *pool = srv->cfg.pools[work];
    if (pool == NULL) {
        http_run_deferred(resp);
        return false;
    }
    deferred_t *d = malloc(sizeof(*d));
    http_response_t *heap = d ? malloc(sizeof(*heap)) : NULL;
    int rc = POOL_NOMEM;
    if (heap) {
        *heap = *resp;
        *d = (deferred_t){req, conn, heap};
        MHD_suspend_connection(conn);
        rc = pool_submit(pool, run_job, d);
        if (rc == POOL_OK) {
            memset(resp, 0, sizeof(*resp));
            return true;
        }
        MHD_resume_connection(conn);
        *resp = *heap;
    }
    free(heap);
    free(d);
    resp->defer_run = NULL;
    if (resp->defer_release) resp->defer_release(resp->defer_arg);
    resp->defer_release = NULL;
    http_error_busy(resp, HTTP_REJECT_QUEUE_FULL, work == HTTP_WORK_HEAVY ? 10 : 1,
                    "the service is busy (%s queue full); try again shortly",
                    work == HTTP_WORK_HEAVY ? "computation" : "rendering");
    return false;
}

/* libmicrohttpd hands over the method, target and version as C strings
 * cut from one request line in its buffer: "GET\0/a\0HTTP/1.1". A NUL byte
 * the client sent inside one of them would silently shorten it, so the
 * three must sit exactly end to end (spaces allowed after the method).
 * Pointers outside that line (another layout) are not judged. */
static bool line_has_nul(const http_request_t *req, const char *method, const char *version)
{
    const char *t = req->line_target;
    if (t == NULL || method >= t || t - method > 64) return false;
    const char *after = method + strlen(method) + 1;
    while (after < t && *after == ' ')
        after++;
    if (after != t) return true;
    if (version[0] == '\0' || version <= t || version > t + 65536) return false;
    return version != t + req->line_target_len + 1;
}

/* The head is in: copy what the handlers read and refuse what no
 * endpoint can take (answered at once; libmicrohttpd then closes). */
static enum MHD_Result begin(http_server_t *srv, struct MHD_Connection *conn, http_request_t *req,
                             const char *method, const char *version)
{
    req->begun = true;
    req->conn = conn;
    req->method = method;
    req->version = version;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->track = ci ? ci->socket_context : NULL;
    http_conn_head_done(srv->conns, req->track);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, copy_header, req);
    if (line_has_nul(req, method, version)) {
        req->early_status = 400;
        req->early_error = "the request line holds a NUL byte";
    }
    http_response_t resp = {.status = 200, .content_type = "application/json", .reject = -1};
    if (http_request_acceptable(req, &resp)) return MHD_YES;
    enum MHD_Result ret = queue(srv, conn, req, &resp);
    http_response_free(&resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)upload_data;
    http_server_t *srv = cls;
    http_request_t *req = *con_cls;
    if (req == NULL && (req = *con_cls = http_request_new(srv, url)) == NULL) return MHD_NO;
    if (!req->begun) return begin(srv, conn, req, method, version);
    if (*upload_data_size != 0) { /* bodies are refused in begin(); never reached */
        *upload_data_size = 0;
        return MHD_YES;
    }
    enum MHD_Result ret;
    if (req->done) { /* resumed: the deferred work is finished */
        http_response_t *resp = req->done;
        req->done = NULL;
        ret = queue(srv, conn, req, resp);
        http_response_free(resp);
        free(resp);
        return ret;
    }
    http_response_t resp = {.status = 200, .content_type = "application/json", .reject = -1};
    http_request_dispatch(req, &resp);
    if (resp.defer_run && defer(srv, conn, req, &resp)) return MHD_YES;
    ret = queue(srv, conn, req, &resp);
    http_response_free(&resp);
    return ret;
}

static void client_address(struct MHD_Connection *conn, char *out, size_t size)
{
    snprintf(out, size, "-");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL) return;
    const struct sockaddr *sa = ci->client_addr;
    const void *ip = sa->sa_family == AF_INET6
                         ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                         : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    inet_ntop(sa->sa_family, ip, out, (socklen_t)size);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server_t *srv = cls;
    http_request_t *req = *con_cls;
    if (req == NULL) return;
    if (req->begun) {
        http_count(srv, req);
        http_conn_idle(srv->conns, req->track); /* the next head is due from now */
    }
    if (srv->cfg.access_log && req->method) {
        char addr[INET6_ADDRSTRLEN];
        client_address(conn, addr, sizeof(addr));
        log_access(&(log_access_t){addr, req->method, req->target, req->status, req->bytes,
                                   (double)(clock_now_ns() - req->start_ns) / 1e6,
                                   toe != MHD_REQUEST_TERMINATED_COMPLETED_OK});
    }
    http_request_free(req);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages become warning lines in our log, at most
 * ten a second: a flood of broken clients must not flood the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    static _Atomic int64_t window;
    static atomic_int in_window, dropped;
    int64_t now = clock_now_ns() / 1000000000;
    if (atomic_exchange(&window, now) != now) {
        int lost = atomic_exchange(&dropped, 0);
        atomic_store(&in_window, 0);
        if (lost) log_warn("libmicrohttpd: %d more messages dropped", lost);
    }
    if (atomic_fetch_add(&in_window, 1) >= 10) {
        atomic_fetch_add(&dropped, 1);
        return;
    }
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

/* Raises the open-files limit to what the connection limit needs (as far
 * as the hard limit allows), or lowers the connection limit to fit. */
static unsigned fit_open_files(unsigned max_connections)
{
    const rlim_t reserve = 128; /* data sources, fonts, epoll, pipes */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return max_connections;
    rlim_t want = (rlim_t)max_connections + reserve;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur >= want) return max_connections;
    unsigned fit = rl.rlim_cur > 2 * reserve ? (unsigned)(rl.rlim_cur - reserve) : 64;
    log_warn("open-files limit %llu: serving at most %u connections instead of %u",
             (unsigned long long)rl.rlim_cur, fit, max_connections);
    return fit;
}

static void free_server(http_server_t *srv)
{
    http_conns_destroy(srv->conns);
    free(srv->requests);
    free(srv->latency);
    free(srv);
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
    http_limits_t *lim = &srv->cfg.limits;
    http_limits_default(lim);
    lim->max_connections = fit_open_files(lim->max_connections);
    if (srv->cfg.gzip_min_bytes == 0) srv->cfg.gzip_min_bytes = 1024;
    size_t nr = cfg->nroutes + 1;
    srv->requests = calloc(nr * HTTP_NSTATUS, sizeof(*srv->requests));
    srv->latency = calloc(nr, sizeof(*srv->latency));
    srv->conns = http_conns_create(srv);
    if (srv->requests == NULL || srv->latency == NULL || srv->conns == NULL) {
        free_server(srv);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, http_conns_accept, srv->conns, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        cfg->threads > 1 ? cfg->threads : 1, MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout_s,
        /* The accept policy enforces the limit; libmicrohttpd's own (split
         * over its threads) only has to stay out of the way. */
        MHD_OPTION_CONNECTION_LIMIT, lim->max_connections + 64u * (cfg->threads + 1),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)4 * lim->max_header_bytes,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv,
        MHD_OPTION_NOTIFY_CONNECTION, http_conns_notify, srv->conns, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        free_server(srv);
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
    http_conns_stop(srv->conns);
    MHD_stop_daemon(srv->daemon);
    free_server(srv);
    return NULL;
}

uint16_t http_server_port(const http_server_t *srv)
{
    return srv->port;
}

void http_server_write_metrics(const http_server_t *srv, buf_t *b)
{
    const http_config_t *cfg = &srv->cfg;
    char labels[320];
    stats_write_family(b, "coopmap_http_requests_total", "counter",
                       "Requests answered, by route and status.");
    for (size_t r = 0; r <= cfg->nroutes; r++)
        for (size_t s = 0; s < HTTP_NSTATUS; s++) {
            uint64_t n =
                atomic_load_explicit(&srv->requests[r * HTTP_NSTATUS + s], memory_order_relaxed);
            if (n == 0 || (http_counted_status[s] == 0 && s != HTTP_NSTATUS - 1)) continue;
            char status[8];
            if (http_counted_status[s])
                snprintf(status, sizeof(status), "%d", http_counted_status[s]);
            else
                snprintf(status, sizeof(status), "other");
            snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%s\"",
                     r < cfg->nroutes ? cfg->routes[r].pattern : "none", status);
            stats_write_count(b, "coopmap_http_requests_total", labels, n);
        }
    stats_write_family(b, "coopmap_http_request_duration_seconds", "histogram",
                       "Time from the request line to the end of the response, by route.");
    for (size_t r = 0; r <= cfg->nroutes; r++) {
        if (stats_hist_count(&srv->latency[r]) == 0) continue; /* keep the scrape small */
        snprintf(labels, sizeof(labels), "route=\"%s\"",
                 r < cfg->nroutes ? cfg->routes[r].pattern : "none");
        stats_write_hist(b, "coopmap_http_request_duration_seconds", labels, &srv->latency[r]);
    }
    stats_write_family(b, "coopmap_http_rejected_total", "counter",
                       "Requests and connections refused, by reason.");
    for (int i = 0; i < HTTP_NREJECT; i++) {
        snprintf(labels, sizeof(labels), "reason=\"%s\"", http_reject_name((http_reject_t)i));
        stats_write_count(b, "coopmap_http_rejected_total", labels,
                          atomic_load_explicit(&srv->rejected[i], memory_order_relaxed));
    }
    stats_write_family(b, "coopmap_http_connections", "gauge", "Connections open now.");
    stats_write_count(b, "coopmap_http_connections", NULL, http_conns_open(srv->conns));
    stats_write_family(b, "coopmap_http_connections_max", "gauge",
                       "The connection limits: in all, and per client address.");
    stats_write_count(b, "coopmap_http_connections_max", "scope=\"all\"",
                      cfg->limits.max_connections);
    stats_write_count(b, "coopmap_http_connections_max", "scope=\"per_ip\"",
                      cfg->limits.max_per_ip);
}
