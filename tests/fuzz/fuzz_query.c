/* fuzz_query: the endpoints that take parameters, with the input as their
 * query string (or path segments). The first byte picks the route (low
 * six bits) and asks for HTML (bit 7) or gzip (bit 6); the rest follows
 * the route's prefix, with spaces, control bytes and '#' percent-encoded
 * so that the target stays well-formed and the parameters are reached.
 * Same checks as fuzz_http: no 5xx, 4xx as JSON exceptions (WMS: its
 * XML ones), 200 JSON valid, 200 text valid UTF-8. Use with query.dict. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each prefix is followed by the rest of the input. */
static const char *const prefixes[] = {
    "/collections/towns/items?",
    "/collections/regions/items?",
    "/collections/countries/items?",
    "/collections/rivers/items?",
    "/collections/ties/items?",
    "/collections/network/items?",
    "/distances?",
    "/network?",
    "/network/metrics?",
    "/tiles/", /* {style}/{z}/{x}/{y}.png, {style}.json */
    "/map.png?",
    "/map.svg?",
    "/map.pdf?",
    "/geodesic?",
    "/collections/towns/items/", /* {featureId}?crs=... */
    "/collections/regions/items/",
    "/collections/", /* {collectionId} */
    "/embed?",
    "/viewer?",
    "/?",
    "/api?",
    "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&",
    "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=coopmap&QUERY_LAYERS=towns&",
    "/wms?",
    "/collections/towns/items?filter=",
    "/collections/regions/items?filter-lang=cql2-json&filter=",
    "/collections/towns/items?f=csv&sortby=",
};
#define NPREFIXES (sizeof(prefixes) / sizeof(prefixes[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_service();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096) return 0;
    const char *prefix = prefixes[(data[0] & 0x3f) % NPREFIXES];
    size_t plen = strlen(prefix);
    char *target = malloc(plen + 3 * size + 1);
    if (target == NULL) fuzz_fail("out of memory");
    memcpy(target, prefix, plen);
    char *t = target + plen;
    for (size_t i = 1; i < size; i++) {
        unsigned char c = data[i];
        if (c <= ' ' || c == 0x7f || c == '#')
            t += sprintf(t, "%%%02X", c);
        else
            *t++ = (char)c;
    }
    *t = '\0';
    const char *headers[3][2] = {{"Host", "localhost"}};
    size_t nheaders = 1;
    if (data[0] & 0x80) {
        headers[nheaders][0] = "Accept";
        headers[nheaders++][1] = "text/html";
    }
    if (data[0] & 0x40) {
        headers[nheaders][0] = "Accept-Encoding";
        headers[nheaders++][1] = "gzip";
    }
    fuzz_request(fuzz_service(), "GET", "HTTP/1.1", target, (const char *const(*)[2])headers,
                 nheaders);
    free(target);
    return 0;
}
