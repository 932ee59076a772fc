/* Shared by the fuzz targets: the default data and service, set up once
 * per process, and the checks every HTTP answer must pass. */
#ifndef COOPMAP_FUZZUTIL_H
#define COOPMAP_FUZZUTIL_H

#include <stddef.h>

#include "data/dataset.h"
#include "http/http.h"

/* Prints the message and aborts, so libFuzzer records the input. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* "$COOPMAP_ROOT/name", or the source tree's; a static buffer. */
const char *fuzz_path(const char *name);

/* The default project (geodata/coopmap.json), loaded once; aborts if it
 * does not load. Borrowed: it lives as long as the process. */
dataset_t *fuzz_dataset(void);

/* The service as `coopmap serve` wires it (app, tiles from styles/, the
 * route table), without pools: deferred work runs inline. Built once;
 * borrowed. Maps are limited to 256 x 256 device pixels (see fuzzutil.c). */
const http_config_t *fuzz_service(void);

/* One request to cfg (fuzz_service() or a copy) through http_offline() and the checks: no status >=
 * 500, every 4xx a JSON object with string "code" and "description", every 200 JSON body valid JSON
 * and every 200 text body (HTML, CSV, scripts) valid UTF-8. headers: nheaders name/value pairs. */
void fuzz_request(const http_config_t *cfg, const char *method, const char *version,
                  const char *target, const char *const (*headers)[2], size_t nheaders);

/* A NUL-terminated copy of data (malloc'd; the caller frees). */
char *fuzz_strndup(const unsigned char *data, size_t size);

#endif
