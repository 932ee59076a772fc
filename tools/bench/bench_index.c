/* Spatial index benchmark: builds indexes over synthetic points and polygon
 * boxes, then times the same bbox queries through the index and by a
 * brute-force scan. Both must agree on every hit count (exit 1 if not).
 * Each timed loop has a time budget, so the run stays well under a minute
 * whatever the flags. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/index.h"
#include "synth.h"

#define BRUTE_BUDGET_S  2.5  /* cap on each brute-force loop */
#define INDEX_BUDGET_S  2.0  /* cap on each index loop */
#define INDEX_MIN_S     0.25 /* index loops repeat until this long, for stable rates */
#define TARGET_SPEEDUP  100.0
#define TARGET_FRACTION 0.001

static const bbox_t world = {-180, -90, 180, 90};
static const double fractions[] = {0.0001, 0.001, 0.01};

struct options {
    size_t points, polys, queries;
    uint64_t seed;
};

struct dataset {
    const char *name;
    bbox_t *boxes;
    size_t n;
    index_t *ix;
    double build_s;
};

/* Loops run queries round-robin; `done` may exceed the query count when
 * rounds repeat. */
struct run {
    size_t done;
    double secs;
};

typedef size_t (*query_fn)(const struct dataset *d, bbox_t q);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double rnd_range(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(rnd_u64(s) >> 11) * 0x1.0p-53);
}

static bbox_t *make_points(uint64_t *s, size_t n)
{
    bbox_t *b = malloc((n ? n : 1) * sizeof(*b));
    for (size_t i = 0; b && i < n; i++) {
        double x = rnd_range(s, world.minx, world.maxx), y = rnd_range(s, world.miny, world.maxy);
        b[i] = (bbox_t){x, y, x, y};
    }
    return b;
}

/* Polygon-like boxes from 0.01 % to 10 % of the world's width and height,
 * log-uniform, as a mix of parcels, districts and regions would be. */
static bbox_t *make_polys(uint64_t *s, size_t n)
{
    bbox_t *b = malloc((n ? n : 1) * sizeof(*b));
    double ww = world.maxx - world.minx, wh = world.maxy - world.miny;
    for (size_t i = 0; b && i < n; i++) {
        double w = ww * pow(10, rnd_range(s, -4, -1)), h = wh * pow(10, rnd_range(s, -4, -1));
        double x = rnd_range(s, world.minx, world.maxx - w),
               y = rnd_range(s, world.miny, world.maxy - h);
        b[i] = (bbox_t){x, y, x + w, y + h};
    }
    return b;
}

/* Query boxes covering `fraction` of the world's area, with its aspect. */
static bbox_t *make_queries(uint64_t *s, size_t n, double fraction)
{
    bbox_t *q = malloc(n * sizeof(*q));
    double w = (world.maxx - world.minx) * sqrt(fraction);
    double h = (world.maxy - world.miny) * sqrt(fraction);
    for (size_t i = 0; q && i < n; i++) {
        double x = rnd_range(s, world.minx, world.maxx - w),
               y = rnd_range(s, world.miny, world.maxy - h);
        q[i] = (bbox_t){x, y, x + w, y + h};
    }
    return q;
}

static int ignore_hit(uint32_t id, void *arg)
{
    (void)id;
    (void)arg;
    return 0;
}

static size_t query_index(const struct dataset *d, bbox_t q)
{
    return index_query(d->ix, q, ignore_hit, NULL);
}

/* A fair baseline: one tight pass, bbox_intersects written with & so it
 * compiles without branches. */
static size_t query_brute(const struct dataset *d, bbox_t q)
{
    size_t hits = 0;
    for (size_t i = 0; i < d->n; i++) {
        const bbox_t *b = &d->boxes[i];
        hits +=
            (b->minx <= q.maxx) & (q.minx <= b->maxx) & (b->miny <= q.maxy) & (q.miny <= b->maxy);
    }
    return hits;
}

/* Runs queries round-robin until all ran and min_s passed, or max_s passed.
 * The clock is read every 16 queries to keep it out of the measurement. */
static struct run run_queries(const struct dataset *d, query_fn fn, const bbox_t *qs, size_t nq,
                              size_t *counts, double min_s, double max_s)
{
    double t0 = now(), el = 0;
    size_t i = 0;
    for (;;) {
        counts[i % nq] = fn(d, qs[i % nq]);
        i++;
        if (i % 16 != 0 && i != nq) continue;
        el = now() - t0;
        if ((i >= nq && el >= min_s) || el >= max_s) break;
    }
    return (struct run){i, el};
}

/* Returns the number of queries both loops ran with the same counts, or
 * -1 after reporting the first disagreement. */
static long verify(const size_t *a, const size_t *b, size_t n, const bbox_t *qs)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] == b[i]) continue;
        fprintf(stderr, "MISMATCH query %zu (%g %g %g %g): index %zu, brute force %zu\n", i,
                qs[i].minx, qs[i].miny, qs[i].maxx, qs[i].maxy, a[i], b[i]);
        return -1;
    }
    return (long)n;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* One table row; returns the speedup, or a negative value on mismatch or
 * allocation failure. */
static double bench_row(const struct dataset *d, double fraction, const struct options *o,
                        uint64_t *seed)
{
    bbox_t *qs = make_queries(seed, o->queries, fraction);
    size_t *ci = calloc(o->queries, sizeof(*ci)), *cb = calloc(o->queries, sizeof(*cb));
    double speedup = -1;
    if (!qs || !ci || !cb) goto out;
    struct run ri = run_queries(d, query_index, qs, o->queries, ci, INDEX_MIN_S, INDEX_BUDGET_S);
    struct run rb = run_queries(d, query_brute, qs, o->queries, cb, 0, BRUTE_BUDGET_S);
    size_t checked = min_size(min_size(ri.done, rb.done), o->queries), hits = 0;
    if (verify(ci, cb, checked, qs) < 0) goto out;
    for (size_t i = 0; i < checked; i++)
        hits += ci[i];
    double qi = (double)ri.done / ri.secs, qb = (double)rb.done / rb.secs;
    speedup = qi / qb;
    printf("%-7s %9zu %9.1f %8.2f %% %10.1f %12.0f %11.0f %8.0fx %8zu\n", d->name, d->n,
           d->build_s * 1e3, fraction * 100, (double)hits / (double)checked, qi, qb, speedup,
           checked);
out:
    free(qs);
    free(ci);
    free(cb);
    return speedup;
}

static int build(struct dataset *d)
{
    double t0 = now();
    d->ix = index_create(d->boxes, d->n);
    d->build_s = now() - t0;
    return d->ix ? 0 : -1;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    if (!s || *s < '0' || *s > '9') return -1;
    v = strtoull(s, &end, 10);
    if (*end || v > SIZE_MAX) return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        size_t v;
        if (i + 1 >= argc || parse_size(argv[i + 1], &v) < 0) return -1;
        if (!strcmp(argv[i], "--points"))
            o->points = v;
        else if (!strcmp(argv[i], "--polys"))
            o->polys = v;
        else if (!strcmp(argv[i], "--queries"))
            o->queries = v;
        else if (!strcmp(argv[i], "--seed"))
            o->seed = v;
        else
            return -1;
        i++;
    }
    return o->queries > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct options o = {1000000, 10000, 2000, 42};
    struct dataset ds[2] = {{"points", NULL, 0, NULL, 0}, {"polys", NULL, 0, NULL, 0}};
    int status = 1, target_met = 1;
    if (parse_options(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: %s [--points N] [--polys N] [--queries N>0] [--seed S]\n", argv[0]);
        return 2;
    }
    uint64_t seed = o.seed;
    ds[0].n = o.points, ds[0].boxes = make_points(&seed, o.points);
    ds[1].n = o.polys, ds[1].boxes = make_polys(&seed, o.polys);
    if (!ds[0].boxes || !ds[1].boxes || build(&ds[0]) < 0 || build(&ds[1]) < 0) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }
    printf("bench_index: seed %" PRIu64 ", %zu queries per row, world %g..%g x %g..%g\n", o.seed,
           o.queries, world.minx, world.maxx, world.miny, world.maxy);
    printf("%-7s %9s %9s %10s %10s %12s %11s %9s %8s\n", "data", "items", "build ms", "query box",
           "hits/query", "index q/s", "brute q/s", "speedup", "checked");
    for (size_t d = 0; d < 2; d++) {
        for (size_t f = 0; f < sizeof(fractions) / sizeof(fractions[0]); f++) {
            double s = bench_row(&ds[d], fractions[f], &o, &seed);
            if (s < 0) goto out;
            if (fractions[f] == TARGET_FRACTION && d == 0 && s < TARGET_SPEEDUP) target_met = 0;
        }
    }
    printf("counts agree; points at %.1f %% boxes: %s %.0fx target\n", TARGET_FRACTION * 100,
           target_met ? "meets" : "MISSES", TARGET_SPEEDUP);
    status = 0;
out:
    for (size_t d = 0; d < 2; d++) {
        index_destroy(ds[d].ix);
        free(ds[d].boxes);
    }
    return status;
}
