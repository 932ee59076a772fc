/* Counters and latency histograms that any thread may bump without a
 * lock, and their Prometheus text exposition (version 0.0.4). */
#ifndef COOPMAP_STATS_H
#define COOPMAP_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "util/buf.h"

/* Upper bounds of the histogram buckets in seconds, then +Inf. */
#define STATS_NBUCKETS 15

typedef struct stats_hist {
    atomic_uint_fast64_t bucket[STATS_NBUCKETS + 1]; /* not cumulative; last: +Inf */
    atomic_uint_fast64_t sum_ns;
} stats_hist_t;

/* Records one observation of ns nanoseconds. */
void stats_hist_add(stats_hist_t *h, int64_t ns);

/* Observations so far. */
uint64_t stats_hist_count(const stats_hist_t *h);

/* "# HELP" and "# TYPE" lines for a metric family. */
void stats_write_family(buf_t *b, const char *name, const char *type, const char *help);

/* One sample line: name{labels} value (labels may be NULL or ""). */
void stats_write_value(buf_t *b, const char *name, const char *labels, double value);
void stats_write_count(buf_t *b, const char *name, const char *labels, uint64_t value);

/* The _bucket, _sum and _count lines of a histogram sample. */
void stats_write_hist(buf_t *b, const char *name, const char *labels, const stats_hist_t *h);

/* Appends s as a Prometheus label value: quotes, with \\, \" and \n
 * escaped. */
void stats_label_value(buf_t *b, const char *s);

#endif
