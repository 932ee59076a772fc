/* Plain HTML pages for the OGC API resources (the "html" conformance
 * class): readable in a browser, no framework, every value escaped. */
#ifndef COOPMAP_OGCAPI_HTML_H
#define COOPMAP_OGCAPI_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "data/dataset.h"

/* Where links point (the base URL) and the pages' language ("en", "sl",
 * "de", "hu"; the data's own names and values are shown as they are). */
typedef struct html_ctx {
    const char *base;
    const char *lang;
} html_ctx_t;

void html_landing(buf_t *b, const dataset_t *ds, const html_ctx_t *h);
void html_conformance(buf_t *b, const char *const *classes, size_t n, const html_ctx_t *h);
void html_collections(buf_t *b, const dataset_t *ds, const html_ctx_t *h);
void html_collection(buf_t *b, const dataset_t *ds, const layer_t *layer, const html_ctx_t *h);

/* One page of features: ids[0..n-1] of `matched` in all. */
void html_items(buf_t *b, const dataset_t *ds, const layer_t *layer, const uint32_t *ids, size_t n,
                size_t matched, const html_ctx_t *h);
void html_feature(buf_t *b, const dataset_t *ds, const layer_t *layer, const feature_t *f,
                  const html_ctx_t *h);

/* The API description: one row per path with its summary. paths are
 * (path, summary) pairs. */
void html_api(buf_t *b, const char *const (*paths)[2], size_t n, const html_ctx_t *h);

#endif
