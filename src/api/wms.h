/* WMS 1.3.0 (and 1.1.1) at /wms, for the api stage's WMS files: the
 * request's parameters and what GetMap and GetFeatureInfo share. */
#ifndef COOPMAP_WMS_H
#define COOPMAP_WMS_H

#include <stdbool.h>

#include "api/api_map.h"
#include "data/crs.h"
#include "http/http.h"
#include "util/buf.h"

#define WMS_MAX_LAYERS 16
#define WMS_ROOT       "coopmap" /* the layer group of the whole map */

/* The parameters, by name whatever its case (WMS names are
 * case-insensitive); NULL when absent. Borrowed from the request. */
typedef struct wms_params {
    const char *service, *version, *request, *layers, *styles, *crs, *srs, *bbox, *width, *height,
        *format, *transparent, *bgcolor, *query_layers, *info_format, *feature_count, *i, *j, *x,
        *y, *layer, *style, *tiled;
} wms_params_t;

/* A GetMap's view, parsed (GetFeatureInfo adds its point to it). */
typedef struct wms_map {
    bool v111; /* VERSION=1.1.1: SRS, x/y order, X/Y */
    const crs_t *crs;
    bbox_t box; /* CRS units, easting first */
    int width, height;
    const style_t *style;
    size_t nlayers;
    const char *layers[WMS_MAX_LAYERS]; /* borrowed from the request */
    char layer_text[WMS_MAX_LAYERS][64];
} wms_map_t;

/* Writes a ServiceExceptionReport (status 400) with code (NULL: none). */
void wms_exception(http_response_t *resp, bool v111, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The route's error_body: any other error as a ServiceExceptionReport. */
char *wms_error_body(int status, const char *description, const char **type, size_t *len);

/* Appends s with XML's five special characters escaped, and control
 * characters (which XML 1.0 cannot carry) and bytes of no well-formed
 * UTF-8 sequence as '?'. */
void wms_xml(buf_t *b, const char *s);

/* Parses what GetMap and GetFeatureInfo share into *m; -1 after an
 * exception in resp. */
int wms_parse_map(const wms_params_t *p, http_response_t *resp, void *ctx, dataset_t *ds,
                  wms_map_t *m);

/* Is name a layer: the root, a collection, or network-<model>? */
bool wms_layer_known(dataset_t *ds, const char *name);

/* The CRSs the capabilities list. */
extern const char *const wms_crs_list[];

void wms_capabilities(const wms_params_t *p, const http_request_t *req, http_response_t *resp,
                      void *ctx);
void wms_feature_info(const wms_params_t *p, http_response_t *resp, void *ctx);

#endif
