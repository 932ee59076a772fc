/* A growable byte buffer for building response bodies and strings.
 *
 * Allocation failures are sticky: once an append fails, buf->failed is set,
 * later appends do nothing, and the owner checks once at the end. */
#ifndef COOPMAP_BUF_H
#define COOPMAP_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct buf {
    char *data; /* NUL-terminated when not failed; owned by the buf */
    size_t len;
    size_t cap;
    bool failed;
} buf_t;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

void buf_append(buf_t *b, const char *s, size_t n);
void buf_puts(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string literal: quotes, escapes for '"', '\\' and
 * control characters; UTF-8 kept as it is, except that bytes which are not
 * well-formed UTF-8 become U+FFFD, so the output is always valid JSON. */
void buf_json_string(buf_t *b, const char *s);

/* Appends s percent-encoded for a URL's path segment or query value:
 * everything but letters, digits and "-_.~,:" becomes %XX. */
void buf_url_encode(buf_t *b, const char *s);

/* Hands the bytes to the caller, who frees them with free(); the buf is
 * left empty. Returns NULL if any append failed. */
char *buf_steal(buf_t *b, size_t *len);

void buf_free(buf_t *b);

#endif
