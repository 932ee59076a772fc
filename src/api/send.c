#include "api/send.h"

#include "render/tilecache.h"

#include <stdlib.h>
#include <string.h>

void api_send_json(http_response_t *resp, json_t *obj, const char *content_type)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(obj);
    if (text == NULL) {
        http_error(resp, 503, "out of memory encoding the JSON document");
        return;
    }
    http_response_body(resp, 200, content_type, text, strlen(text));
}

void api_send_buf(http_response_t *resp, buf_t *b, const char *content_type)
{
    size_t len = 0;
    char *body = buf_steal(b, &len);
    if (body == NULL) {
        http_error(resp, 503, "out of memory building the response");
        return;
    }
    http_response_body(resp, 200, content_type, body, len);
}

void api_send_html(http_response_t *resp, buf_t *b)
{
    api_send_buf(resp, b, "text/html; charset=utf-8");
}

static void release_blob(void *blob)
{
    tile_blob_unref(blob);
}

void api_send_blob(http_response_t *resp, tile_blob_t *blob, const char *content_type)
{
    http_response_body_ref(resp, 200, content_type, blob->data, blob->len, release_blob, blob);
    http_response_header(resp, "ETag", blob->etag);
}
