/* A fixed pool of worker threads running jobs in submission order from a
 * bounded queue: slow work (rendering, heavy computations) runs here so
 * the HTTP threads keep serving, and a full queue is refused at once
 * rather than growing without end. */
#ifndef COOPMAP_POOL_H
#define COOPMAP_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct pool pool_t;

typedef struct pool_config {
    size_t threads;   /* 0: one per core */
    size_t max_queue; /* jobs waiting beyond the running ones; 0: unbounded */
    int nice;         /* added to the workers' nice value (Linux: per thread); 0: none */
    const char *name; /* thread name prefix, at most 10 characters */
} pool_config_t;

/* Starts the workers. NULL on failure. */
pool_t *pool_create(const pool_config_t *cfg);

enum { POOL_OK = 0, POOL_FULL = -1, POOL_STOPPED = -2, POOL_NOMEM = -3 };

/* Queues fn(arg) to run on a worker. Returns POOL_OK, or POOL_FULL when
 * max_queue jobs already wait, POOL_STOPPED when the pool is shutting
 * down, POOL_NOMEM: in every failure fn is not called. */
int pool_submit(pool_t *pool, void (*fn)(void *arg), void *arg);

/* Runs every queued job and stops the workers; afterwards pool_submit()
 * refuses (callers then run the job themselves). The pool stays valid
 * until pool_destroy(). */
void pool_stop(pool_t *pool);

/* Stops the pool if needed and frees it; NULL is a no-op. */
pool_t *pool_destroy(pool_t *pool);

typedef struct pool_stats {
    size_t threads, max_queue;
    size_t queued, running; /* now */
    uint64_t done, refused; /* since start */
} pool_stats_t;

void pool_get_stats(pool_t *pool, pool_stats_t *out);

#endif
