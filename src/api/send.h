/* The one way every endpoint sends a 200 body: JSON documents with one
 * number policy (15 significant digits: 15.61667, not 15.616669999999999),
 * built buffers, HTML pages. A failure to encode becomes a 503. */
#ifndef COOPMAP_SEND_H
#define COOPMAP_SEND_H

#include <jansson.h>

#include "http/http.h"
#include "util/buf.h"

/* Sends obj (reference stolen) as a 200 body of the given type. */
void api_send_json(http_response_t *resp, json_t *obj, const char *content_type);

/* Sends b's bytes as a 200 body (b is emptied). */
void api_send_buf(http_response_t *resp, buf_t *b, const char *content_type);

/* Sends b's bytes as a 200 HTML page. */
void api_send_html(http_response_t *resp, buf_t *b);

/* Sends a cached blob (tiles, glyphs) as a 200 body with its ETag, without
 * a copy: the response takes over the caller's reference. */
struct tile_blob;
void api_send_blob(http_response_t *resp, struct tile_blob *blob, const char *content_type);

#endif
