/* fuzz_http: whole requests through http_offline(), the server's own
 * parsing, protocol checks, routing and every handler. The input is split
 * on '\n': method, HTTP version, request target, then up to 8 header lines
 * "Name: value" (an empty method means GET, an empty version HTTP/1.0).
 * Checks (fuzzutil.c): never a 5xx, every 4xx a JSON exception object,
 * every 200 JSON body valid JSON and text body valid UTF-8. The request
 * limits are lowered (target 2 KiB, head 3 KiB, 32 parameters) so that
 * inputs of libFuzzer's default 4 KiB reach the 414, 431 and 400 paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

#define MAX_HEADERS 8

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static http_config_t cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    cfg = *fuzz_service();
    cfg.limits.max_target_bytes = 2048;
    cfg.limits.max_header_bytes = 3072;
    cfg.limits.max_params = 32;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size); /* a NUL byte ends the input */
    char *line[3 + MAX_HEADERS];
    size_t n = 0;
    for (char *p = text; p && n < 3 + MAX_HEADERS;) {
        line[n++] = p;
        p = strchr(p, '\n');
        if (p) *p++ = '\0';
    }
    while (n < 3)
        line[n++] = "";
    const char *method = line[0][0] ? line[0] : "GET";
    const char *version = line[1][0] ? line[1] : "HTTP/1.0";
    const char *headers[MAX_HEADERS][2];
    size_t nheaders = 0;
    for (size_t i = 3; i < n; i++) {
        char *colon = strchr(line[i], ':');
        headers[nheaders][0] = line[i];
        headers[nheaders][1] = "";
        if (colon) {
            *colon++ = '\0';
            headers[nheaders][1] = colon + strspn(colon, " \t");
        }
        nheaders++;
    }
    fuzz_request(&cfg, method, version, line[2], (const char *const(*)[2])headers, nheaders);
    free(text);
    return 0;
}
