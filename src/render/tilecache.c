#include "render/tilecache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

typedef struct blob_impl {
    tile_blob_t pub; /* first: a tile_blob_t * is a blob_impl_t * */
    atomic_int refs;
} blob_impl_t;

/* A cache slot: ready (blob set) or being made (blob NULL, waiters sleep
 * on the cache's condition variable). */
typedef struct entry {
    char *key;
    uint64_t hash;
    blob_impl_t *blob;
    size_t bytes; /* what the entry holds: the PNG, the blob, the key, itself */
    int status;   /* the maker's result, once done */
    error_t *err; /* its message for the waiters, when it failed (rare: on the heap) */
    int waiters;
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* LRU list, ready entries only */
} entry_t;

struct tilecache {
    pthread_mutex_t lock;
    pthread_cond_t done;
    entry_t **buckets;
    size_t nbuckets, entries;
    entry_t *head, *tail; /* most and least recently used */
    size_t bytes, max_bytes, hits, misses;
};

tilecache_t *tilecache_create(size_t max_bytes)
{
    tilecache_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->nbuckets = 4096;
    c->buckets = calloc(c->nbuckets, sizeof(entry_t *));
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->done, NULL);
    return c;
}

void tile_blob_unref(tile_blob_t *blob)
{
    blob_impl_t *b = (blob_impl_t *)blob;
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
        free(b->pub.data);
        free(b);
    }
}

static tile_blob_t *ref(blob_impl_t *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return &b->pub;
}

static entry_t **slot(tilecache_t *c, const char *key, uint64_t h)
{
    entry_t **p = &c->buckets[h % c->nbuckets];
    while (*p && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
        p = &(*p)->hnext;
    return p;
}

static void lru_unlink(tilecache_t *c, entry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(tilecache_t *c, entry_t *e)
{
    e->next = c->head;
    e->prev = NULL;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (c->tail == NULL) c->tail = e;
}

static void remove_entry(tilecache_t *c, entry_t *e)
{
    entry_t **p = slot(c, e->key, e->hash);
    *p = e->hnext;
    if (e->blob) {
        lru_unlink(c, e);
        c->bytes -= e->bytes;
        tile_blob_unref(&e->blob->pub);
    }
    c->entries--;
    free(e->err);
    free(e->key);
    free(e);
}

/* Drops least recently used tiles until within budget; entries that
 * callers still wait on stay (they are dropped by a later eviction). */
static void evict(tilecache_t *c)
{
    entry_t *e = c->tail;
    while (c->bytes > c->max_bytes && e) {
        entry_t *prev = e->prev;
        if (e->waiters == 0) remove_entry(c, e);
        e = prev;
    }
}

static blob_impl_t *make_blob(unsigned char *data, size_t len)
{
    blob_impl_t *b = malloc(sizeof(*b));
    if (b == NULL) {
        free(data);
        return NULL;
    }
    b->pub.data = data;
    b->pub.len = len;
    uint64_t h = hash_fnv1a(HASH_FNV_START, data, len);
    snprintf(b->pub.etag, sizeof(b->pub.etag), "\"%016llx\"", (unsigned long long)h);
    atomic_init(&b->refs, 1);
    return b;
}

/* Without a cache: make it, no sharing. */
static int make_uncached(tilecache_make_fn make, void *arg, tile_blob_t **out, error_t *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = make(arg, &data, &len, err);
    if (rc != ERR_OK) return rc;
    blob_impl_t *b = make_blob(data, len);
    if (b == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    *out = &b->pub;
    return ERR_OK;
}

/* Waits for another caller's make; returns its result. Lock held. */
static int wait_for(tilecache_t *c, entry_t *e, tile_blob_t **out, error_t *err)
{
    e->waiters++;
    while (e->blob == NULL && e->status == ERR_OK)
        pthread_cond_wait(&c->done, &c->lock);
    e->waiters--;
    int rc = e->status;
    if (rc == ERR_OK)
        *out = ref(e->blob);
    else if (err && e->err)
        *err = *e->err;
    else
        error_set(err, rc, "rendering failed");
    if (rc != ERR_OK && e->waiters == 0) /* failures are not cached */
        remove_entry(c, e);
    return rc;
}

int tilecache_get(tilecache_t *c, const char *key, tilecache_make_fn make, void *arg,
                  tile_blob_t **out, error_t *err)
{
    *out = NULL;
    if (c->max_bytes == 0) return make_uncached(make, arg, out, err);
    uint64_t h = hash_fnv1a_str(HASH_FNV_START, key);
    pthread_mutex_lock(&c->lock);
    entry_t *e = *slot(c, key, h);
    if (e && e->blob) {
        c->hits++;
        lru_unlink(c, e);
        lru_push(c, e);
        *out = ref(e->blob);
        pthread_mutex_unlock(&c->lock);
        return ERR_OK;
    }
    if (e) { /* someone is making it */
        c->hits++;
        int rc = wait_for(c, e, out, err);
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    c->misses++;
    e = calloc(1, sizeof(*e));
    if (e == NULL || (e->key = strdup(key)) == NULL) {
        free(e);
        pthread_mutex_unlock(&c->lock);
        return make_uncached(make, arg, out, err);
    }
    e->hash = h;
    e->hnext = c->buckets[h % c->nbuckets];
    c->buckets[h % c->nbuckets] = e;
    c->entries++;
    pthread_mutex_unlock(&c->lock);

    unsigned char *data = NULL;
    size_t len = 0;
    error_t local = {0};
    int rc = make(arg, &data, &len, &local);
    blob_impl_t *b = rc == ERR_OK ? make_blob(data, len) : NULL;
    if (rc == ERR_OK && b == NULL) rc = error_set(&local, ERR_NOMEM, "out of memory");

    pthread_mutex_lock(&c->lock);
    if (rc == ERR_OK) {
        e->blob = b;
        e->bytes = len + sizeof(*b) + sizeof(*e) + strlen(e->key) + 1;
        c->bytes += e->bytes;
        lru_push(c, e);
        *out = ref(b);
        evict(c); /* may evict e itself if it alone exceeds the budget */
    } else {
        e->status = rc;
        if (err) *err = local;
        if (e->waiters == 0) {
            remove_entry(c, e);
        } else if ((e->err = malloc(sizeof(*e->err))) != NULL) {
            *e->err = local;
        }
    }
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

tile_blob_t *tilecache_peek(tilecache_t *c, const char *key)
{
    if (c->max_bytes == 0) return NULL;
    uint64_t h = hash_fnv1a_str(HASH_FNV_START, key);
    pthread_mutex_lock(&c->lock);
    entry_t *e = *slot(c, key, h);
    tile_blob_t *b = NULL;
    if (e && e->blob) {
        c->hits++;
        lru_unlink(c, e);
        lru_push(c, e);
        b = ref(e->blob);
    }
    pthread_mutex_unlock(&c->lock);
    return b;
}

void tilecache_stats(tilecache_t *c, size_t *bytes, size_t *entries, size_t *hits, size_t *misses)
{
    pthread_mutex_lock(&c->lock);
    *bytes = c->bytes;
    *entries = c->entries;
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->lock);
}

tilecache_t *tilecache_destroy(tilecache_t *c)
{
    if (c == NULL) return NULL;
    for (size_t i = 0; i < c->nbuckets; i++)
        while (c->buckets[i])
            remove_entry(c, c->buckets[i]);
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->lock);
    free(c->buckets);
    free(c);
    return NULL;
}
