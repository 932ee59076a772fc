/* A fixed pool of worker threads running jobs in submission order: slow
 * work (rendering) runs here so the HTTP threads keep serving. */
#ifndef COOPMAP_POOL_H
#define COOPMAP_POOL_H

#include <stddef.h>

typedef struct pool pool_t;

/* Starts `threads` workers (0: one per core). NULL on failure. */
pool_t *pool_create(size_t threads);

/* Queues fn(arg) to run on a worker. Returns 0, or -1 if the pool is
 * shutting down or out of memory (fn is then not called). */
int pool_submit(pool_t *pool, void (*fn)(void *arg), void *arg);

/* Runs every queued job and stops the workers; afterwards pool_submit()
 * refuses (callers then run the job themselves). The pool stays valid
 * until pool_destroy(). */
void pool_stop(pool_t *pool);

/* Stops the pool if needed and frees it; NULL is a no-op. */
pool_t *pool_destroy(pool_t *pool);

size_t pool_threads(const pool_t *pool);

#endif
