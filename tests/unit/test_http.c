/* The HTTP layer without a socket (http_offline): target decoding, the
 * UTF-8, NUL and size checks, protocol checks (Host, Transfer-Encoding,
 * bodies, methods), routing, error bodies that are always JSON, 304s and
 * deferred work. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "testutil.h"

/* /echo?q=...: returns q as a JSON string (or the names of all parameters). */
static void echo(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)ctx;
    const char *q = http_request_query(req, "q");
    buf_t b = BUF_INIT;
    buf_json_string(&b, q ? q : "");
    size_t len = 0;
    char *body = buf_steal(&b, &len);
    http_response_body(resp, 200, "application/json", body, len);
}

static void item(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)ctx;
    char *body = strdup(http_request_param(req, "id"));
    http_response_body(resp, 200, "text/plain", body, strlen(body));
}

/* An error whose description holds bytes that are not UTF-8. */
static void broken(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    http_error(resp, 400, "bad \xff\xfe value \"%s\"", "x\n");
}

static int runs, releases;

static void run_job(void *arg, http_response_t *resp)
{
    runs++;
    char *body = strdup(arg);
    http_response_body(resp, 200, "text/plain", body, strlen(body));
}

static void release_job(void *arg)
{
    (void)arg;
    releases++;
}

static void deferred(const http_request_t *req, http_response_t *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    http_defer(resp, HTTP_WORK_HEAVY, run_job, release_job, "done later");
}

static const http_route_t routes[] = {
    {"/echo", echo}, {"/items/{id}", item}, {"/broken", broken}, {"/defer", deferred}};

static const http_config_t config = {.routes = routes, .nroutes = 4};

static const char *const host[][2] = {{"Host", "localhost"}};

/* GET target over HTTP/1.1 with a Host header; returns the status. */
static int get(const char *target, http_offline_t *out)
{
    assert_int_equal(http_offline(&config, "GET", "HTTP/1.1", target, host, 1, out), 0);
    return out->status;
}

/* The body must be {"code": ..., "description": ...}; returns the description. */
static char *error_description(const http_offline_t *out)
{
    json_error_t jerr;
    json_t *obj = json_loadb(out->body, out->len, 0, &jerr);
    if (obj == NULL) fail_msg("error body is not JSON (%s): %s", jerr.text, out->body);
    assert_string_equal(out->content_type, "application/json");
    assert_true(json_is_string(json_object_get(obj, "code")));
    const char *d = json_string_value(json_object_get(obj, "description"));
    assert_non_null(d);
    char *copy = strdup(d);
    json_decref(obj);
    return copy;
}

static void expect(const char *target, int status, const char *in_description)
{
    http_offline_t out;
    int got = get(target, &out);
    if (got != status) fail_msg("%s: status %d, want %d: %s", target, got, status, out.body);
    if (in_description) {
        char *d = error_description(&out);
        if (strstr(d, in_description) == NULL)
            fail_msg("%s: description '%s' lacks '%s'", target, d, in_description);
        free(d);
    }
    http_offline_free(&out);
}

static void expect_body(const char *target, const char *body)
{
    http_offline_t out;
    assert_int_equal(get(target, &out), 200);
    assert_string_equal(out.body, body);
    http_offline_free(&out);
}

static void test_decoding(void **state)
{
    (void)state;
    expect_body("/echo?q=Ormo%C5%BE", "\"Ormož\"");
    expect_body("/echo?q=%C5%90riszentp%C3%A9ter", "\"Őriszentpéter\"");
    expect_body("/echo?q=Ormož", "\"Ormož\"");   /* raw UTF-8 bytes pass */
    expect_body("/echo?q=a+b%2Bc", "\"a b+c\""); /* form encoding: + is a space */
    expect_body("/echo?x=1&&q=2&", "\"2\"");     /* empty pieces are skipped */
    expect_body("/echo?q=1&q=2", "\"1\"");       /* the first one counts */
    expect_body("/echo?q", "\"\"");
    expect_body("/items/a%2Fb", "a/b"); /* a segment may hold a decoded slash */
    expect_body("/items/Lendava%20Lendva", "Lendava Lendva");
    expect_body("http://example.org/echo?q=abs", "\"abs\""); /* absolute form */
}

static void test_nul_and_utf8(void **state)
{
    (void)state;
    expect("/echo%00/anything", 400, "NUL");
    expect("/echo?q=1%00", 400, "NUL");
    expect("/echo?q%00=1", 400, "NUL");
    expect("/items/%ff%fe", 400, "not UTF-8");
    expect("/echo?q=%c3%28", 400, "value of query parameter 'q' has bytes that are not UTF-8");
    expect("/echo?%c3%28=1", 400, "parameter name");
    expect("/echo?q=%c0%af", 400, "UTF-8");       /* overlong '/' */
    expect("/echo?q=%ed%a0%80", 400, "UTF-8");    /* a surrogate */
    expect("/echo?q=%f4%90%80%80", 400, "UTF-8"); /* above U+10FFFF */
    expect("/echo?q=\xc3", 400, "UTF-8");         /* a raw truncated sequence */
    expect("/echo?q=%zz", 400, "percent-escape");
    expect("/echo?q=%4", 400, "percent-escape");
    expect("/echo?q=a b", 400, "spaces");
    expect("/echo?q=a\x01", 400, "control");
    expect("/echo#frag", 400, "fragment");
    expect("echo", 400, "start with '/'");
}

static void test_limits(void **state)
{
    (void)state;
    buf_t b = BUF_INIT;
    buf_puts(&b, "/echo?q=x");
    for (int i = 1; i < 64; i++)
        buf_printf(&b, "&p%d=1", i);
    expect(b.data, 200, NULL); /* 64 parameters: the limit */
    buf_puts(&b, "&one=more");
    expect(b.data, 400, "too many query parameters: 65, at most 64");
    buf_free(&b);
    for (int i = 0; i < 1000; i++) /* the probe: 1,000 parameters, ~7 KB */
        buf_printf(&b, "%sp%d=1", i ? "&" : "/echo?", i);
    expect(b.data, 400, "too many query parameters: 1000, at most 64");
    buf_free(&b);
    buf_puts(&b, "/echo?");
    for (int i = 0; i < 500; i++)
        buf_printf(&b, "%sp=%d", i ? "&" : "", i);
    expect(b.data, 400, "too many query parameters: 500");
    buf_free(&b);
    buf_puts(&b, "/echo?q=");
    for (int i = 0; i < 8200; i++)
        buf_puts(&b, "a");
    expect(b.data, 414, "at most 8192");
    buf_free(&b);
}

static int request(const char *method, const char *version, const char *const (*headers)[2],
                   size_t n, http_offline_t *out)
{
    assert_int_equal(http_offline(&config, method, version, "/echo?q=1", headers, n, out), 0);
    return out->status;
}

static void expect_request(const char *method, const char *version, const char *const (*headers)[2],
                           size_t n, int status, const char *text)
{
    http_offline_t out;
    int got = request(method, version, headers, n, &out);
    if (got != status)
        fail_msg("%s %s: status %d, want %d: %s", method, version, got, status, out.body);
    if (text) {
        char *d = error_description(&out);
        if (strstr(d, text) == NULL) fail_msg("description '%s' lacks '%s'", d, text);
        free(d);
    }
    http_offline_free(&out);
}

static void test_protocol(void **state)
{
    (void)state;
    expect_request("GET", "HTTP/1.1", NULL, 0, 400, "exactly one Host header (got 0)");
    expect_request("GET", "HTTP/1.0", NULL, 0, 200, NULL); /* 1.0 needs none */
    const char *const two_hosts[][2] = {{"Host", "a"}, {"host", "b"}};
    expect_request("GET", "HTTP/1.1", two_hosts, 2, 400, "got 2");
    const char *const te[][2] = {{"Host", "a"}, {"Transfer-Encoding", "gzip, chunked"}};
    expect_request("GET", "HTTP/1.1", te, 2, 400, "Transfer-Encoding 'gzip, chunked'");
    const char *const te2[][2] = {{"Host", "a"}, {"Transfer-Encoding", "chunked, chunked"}};
    expect_request("GET", "HTTP/1.1", te2, 2, 400, "not accepted");
    const char *const te_cl[][2] = {
        {"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "4"}};
    expect_request("GET", "HTTP/1.1", te_cl, 3, 400, "with Content-Length");
    const char *const chunked[][2] = {{"Host", "a"}, {"Transfer-Encoding", "chunked"}};
    expect_request("GET", "HTTP/1.1", chunked, 2, 413, "no endpoint takes a request body");
    const char *const body[][2] = {{"Host", "a"}, {"Content-Length", "10"}};
    expect_request("GET", "HTTP/1.1", body, 2, 413, NULL);
    expect_request("POST", "HTTP/1.1", body, 2, 405, "POST is not allowed");
    const char *const empty[][2] = {{"Host", "a"}, {"Content-Length", "0"}};
    expect_request("GET", "HTTP/1.1", empty, 2, 200, NULL);
    expect_request("PUT", "HTTP/1.1", host, 1, 405, "PUT is not allowed on /echo");
    expect_request("OPTIONS", "HTTP/1.1", host, 1, 204, NULL);
    expect_request("HEAD", "HTTP/1.1", host, 1, 200, NULL);
    char big[20000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const char *const oversize[][2] = {{"Host", "a"}, {"X-Big", big}};
    expect_request("GET", "HTTP/1.1", oversize, 2, 431, "exceeds the limit of 16384");
}

static void test_routes_and_errors(void **state)
{
    (void)state;
    expect("/no/such/thing", 404, "no resource at /no/such/thing");
    expect("/items", 404, NULL);
    expect("/items/", 404, NULL); /* {id} needs at least one character */
    expect("/items/a/b", 404, NULL);
    http_offline_t out;
    assert_int_equal(get("/broken", &out), 400);
    char *d = error_description(&out); /* valid JSON despite the bad bytes */
    assert_string_equal(d, "bad \xef\xbf\xbd\xef\xbf\xbd value \"x\n\"");
    free(d);
    http_offline_free(&out);
    assert_int_equal(get("/echo?q=1", &out), 200);
    assert_non_null(strstr(out.headers, "ETag: \""));
    assert_non_null(strstr(out.headers, "Access-Control-Allow-Origin: *"));
    char etag[64];
    const char *e = strstr(out.headers, "ETag: ") + 6;
    snprintf(etag, sizeof(etag), "%.*s", (int)strcspn(e, "\r"), e);
    http_offline_free(&out);
    const char *const inm[][2] = {{"Host", "a"}, {"If-None-Match", etag}};
    assert_int_equal(http_offline(&config, "GET", "HTTP/1.1", "/echo?q=1", inm, 2, &out), 0);
    assert_int_equal(out.status, 304);
    assert_int_equal(out.len, 0);
    http_offline_free(&out);
}

static void test_deferred(void **state)
{
    (void)state;
    runs = releases = 0;
    expect_body("/defer", "done later");
    assert_int_equal(runs, 1);
    assert_int_equal(releases, 1);
}

static void test_numbers(void **state)
{
    (void)state;
    double v[4];
    assert_int_equal(http_parse_numbers("16.1,46.5,16.2,46.7", v, 4), 4);
    assert_near(v[3], 46.7, 0);
    assert_int_equal(http_parse_numbers("1,2,3,4,5", v, 4), 5);
    assert_int_equal(http_parse_numbers("1,,2", v, 4), -1);
    assert_int_equal(http_parse_numbers("1,2,", v, 4), -1);
    assert_int_equal(http_parse_numbers("", v, 4), -1);
    assert_int_equal(http_parse_numbers("1e999", v, 4), -1); /* overflow */
    assert_int_equal(http_parse_numbers("x", v, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_nul_and_utf8),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_protocol),
        cmocka_unit_test(test_routes_and_errors),
        cmocka_unit_test(test_deferred),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
