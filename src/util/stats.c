#include "util/stats.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const double stats_bucket_le[STATS_NBUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

void stats_hist_add(stats_hist_t *h, int64_t ns)
{
    if (ns < 0) ns = 0;
    double s = (double)ns / 1e9;
    size_t i = 0;
    while (i < STATS_NBUCKETS && s > stats_bucket_le[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)ns, memory_order_relaxed);
}

uint64_t stats_hist_count(const stats_hist_t *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= STATS_NBUCKETS; i++)
        n += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
    return n;
}

void stats_write_family(buf_t *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(buf_t *b, const char *name, const char *suffix, const char *labels,
                   const char *extra)
{
    buf_puts(b, name);
    buf_puts(b, suffix);
    bool any = labels && *labels;
    if (any || extra) {
        buf_puts(b, "{");
        if (any) buf_puts(b, labels);
        if (extra) {
            if (any) buf_puts(b, ",");
            buf_puts(b, extra);
        }
        buf_puts(b, "}");
    }
    buf_puts(b, " ");
}

void stats_write_value(buf_t *b, const char *name, const char *labels, double value)
{
    sample(b, name, "", labels, NULL);
    buf_printf(b, "%.17g\n", value);
}

void stats_write_count(buf_t *b, const char *name, const char *labels, uint64_t value)
{
    sample(b, name, "", labels, NULL);
    buf_printf(b, "%" PRIu64 "\n", value);
}

void stats_write_hist(buf_t *b, const char *name, const char *labels, const stats_hist_t *h)
{
    uint64_t cumulative = 0;
    char le[48];
    for (size_t i = 0; i <= STATS_NBUCKETS; i++) {
        cumulative += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < STATS_NBUCKETS)
            snprintf(le, sizeof(le), "le=\"%g\"", stats_bucket_le[i]);
        else
            snprintf(le, sizeof(le), "le=\"+Inf\"");
        sample(b, name, "_bucket", labels, le);
        buf_printf(b, "%" PRIu64 "\n", cumulative);
    }
    sample(b, name, "_sum", labels, NULL);
    buf_printf(b, "%.9f\n", (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9);
    sample(b, name, "_count", labels, NULL);
    buf_printf(b, "%" PRIu64 "\n", cumulative); /* equals +Inf, as Prometheus expects */
}

void stats_label_value(buf_t *b, const char *s)
{
    buf_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            buf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            buf_puts(b, "\\n");
        else
            buf_append(b, s, 1);
    }
    buf_puts(b, "\"");
}
