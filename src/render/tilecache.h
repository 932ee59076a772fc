/* An in-memory LRU of encoded tiles, bounded in bytes, with single-flight
 * filling: when several requests miss the same key at once, one renders
 * and the others wait for its result. Thread-safe. */
#ifndef COOPMAP_TILECACHE_H
#define COOPMAP_TILECACHE_H

#include <stddef.h>

#include "util/error.h"

typedef struct tilecache tilecache_t;

/* An immutable encoded tile, reference-counted: a response can copy it
 * while the cache evicts it. */
typedef struct tile_blob {
    unsigned char *data;
    size_t len;
    char etag[24]; /* "\"<16 hex>\"" */
} tile_blob_t;

/* max_bytes 0: nothing is kept (every get renders). */
tilecache_t *tilecache_create(size_t max_bytes);
tilecache_t *tilecache_destroy(tilecache_t *c);

/* Fills *out with the blob for key (the caller releases it with
 * tile_blob_unref()): from the cache, or made by make(arg, &data, &len,
 * err) — called once per key however many callers wait for it, and its
 * data (malloc'd) is taken over. */
typedef int (*tilecache_make_fn)(void *arg, unsigned char **data, size_t *len, error_t *err);
int tilecache_get(tilecache_t *c, const char *key, tilecache_make_fn make, void *arg,
                  tile_blob_t **out, error_t *err);

/* The blob if cached (a new reference), else NULL; never renders. */
tile_blob_t *tilecache_peek(tilecache_t *c, const char *key);

void tile_blob_unref(tile_blob_t *blob);

/* Counters for /health: bytes held (PNG bytes plus each entry's own
 * bookkeeping, all the cache really keeps), entries, hits, misses. */
void tilecache_stats(tilecache_t *c, size_t *bytes, size_t *entries, size_t *hits, size_t *misses);

#endif
