#include "render/seam.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "render/clip.h"

/* A geometry being built: points, part starts, polygon starts. */
typedef struct builder {
    double *xy;
    uint32_t *parts, *polys;
    size_t n, nparts, npolys, cap, pcap, ycap;
    bool failed;
} builder_t;

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (q == NULL) return false;
    *p = q, *cap = c;
    return true;
}

static void add_part(builder_t *b, const double *xy, size_t n)
{
    if (b->failed || n == 0) return;
    if (!grow((void **)&b->xy, &b->cap, b->n + n, 2 * sizeof(double)) ||
        !grow((void **)&b->parts, &b->pcap, b->nparts + 1, sizeof(uint32_t))) {
        b->failed = true;
        return;
    }
    memcpy(b->xy + 2 * b->n, xy, 2 * n * sizeof(double));
    b->parts[b->nparts++] = (uint32_t)b->n;
    b->n += n;
}

static void add_poly(builder_t *b)
{
    if (!b->failed && !grow((void **)&b->polys, &b->ycap, b->npolys + 1, sizeof(uint32_t)))
        b->failed = true;
    if (!b->failed) b->polys[b->npolys++] = (uint32_t)b->nparts;
}

static double wrap180(double d)
{
    return d - 360 * floor((d + 180) / 360);
}

/* Part [first, first + n) of g unwrapped into u, starting within c +-180.
 * True if that changed it or it leaves c +-180 (it needs cutting). */
static bool unwrap(const geom_t *g, uint32_t first, uint32_t n, double c, double *u)
{
    bool change = false;
    for (uint32_t i = 0; i < n; i++) {
        const double *p = &g->ll[2 * (first + i)];
        u[2 * i + 1] = p[1];
        u[2 * i] = i == 0 ? c + wrap180(p[0] - c) : u[2 * i - 2] + wrap180(p[0] - p[-2]);
        change = change || u[2 * i] != p[0] || fabs(u[2 * i] - c) > 180;
    }
    return change;
}

typedef struct run_arg {
    builder_t *b;
} run_arg_t;

static void emit_run(const double *xy, size_t n, double offset, void *arg)
{
    (void)offset;
    add_part(((run_arg_t *)arg)->b, xy, n);
}

/* The pieces of g in each copy of the world (shifted by -360, 0, +360). */
static void cut(const geom_t *g, double c, double *u, double *out, double *tmp, builder_t *b)
{
    bool area = g->type == GEOM_POLYGON || g->type == GEOM_MULTIPOLYGON;
    bbox_t world = {c - 180, -90, c + 180, 90};
    run_arg_t arg = {b};
    for (int k = -1; k <= 1; k++) {
        uint32_t npolys = area ? g->npolys : 1;
        for (uint32_t y = 0; y < npolys; y++) {
            uint32_t p0 = area ? g->poly_start[y] : 0, p1 = area ? g->poly_start[y + 1] : g->nparts;
            for (uint32_t p = p0; p < p1; p++) {
                uint32_t first = g->part_start[p], n = g->part_start[p + 1] - first;
                unwrap(g, first, n, c, u);
                for (uint32_t i = 0; i < n; i++)
                    u[2 * i] += 360.0 * k;
                if (!area) {
                    clip_line(u, n, world, tmp, emit_run, &arg);
                    continue;
                }
                size_t m = clip_ring(u, n, world, out, tmp);
                if (p == p0 && m < 3) break; /* no exterior in this copy: no holes */
                if (m >= 3) {
                    if (p == p0) add_poly(b);
                    add_part(b, out, m);
                }
            }
        }
    }
}

static bool needs_cut(const geom_t *g, double c, double *u)
{
    if (g->type == GEOM_POINT || g->type == GEOM_MULTIPOINT) return false;
    for (uint32_t p = 0; p < g->nparts; p++) {
        uint32_t first = g->part_start[p], n = g->part_start[p + 1] - first;
        if (!unwrap(g, first, n, c, u)) continue;
        bool ring = g->type == GEOM_POLYGON || g->type == GEOM_MULTIPOLYGON;
        if (ring && n > 1 && fabs(u[2 * (n - 1)] - u[0]) > 180) return false; /* circles a pole */
        return true;
    }
    return false;
}

static uint32_t most_points(const geom_t *g)
{
    uint32_t most = 1;
    for (uint32_t p = 0; p < g->nparts; p++)
        if (g->part_start[p + 1] - g->part_start[p] > most)
            most = g->part_start[p + 1] - g->part_start[p];
    return most;
}

geom_t *seam_split(const geom_t *g, double c)
{
    size_t room = CLIP_RING_ROOM((size_t)most_points(g));
    double *u = malloc(3 * room * 2 * sizeof(double));
    builder_t b = {0};
    geom_t *out = NULL;
    if (u == NULL || !needs_cut(g, c, u)) goto done;
    cut(g, c, u, u + 2 * room, u + 4 * room, &b);
    if (b.failed || b.nparts == 0 || b.n > UINT32_MAX) goto done;
    bool area = g->type == GEOM_POLYGON || g->type == GEOM_MULTIPOLYGON;
    geom_type_t type = area ? (b.npolys > 1 ? GEOM_MULTIPOLYGON : GEOM_POLYGON)
                            : (b.nparts > 1 ? GEOM_MULTILINESTRING : GEOM_LINESTRING);
    out = geom_create(type, (uint32_t)b.n, (uint32_t)b.nparts, area ? (uint32_t)b.npolys : 0);
    if (out == NULL) goto done;
    memcpy(out->ll, b.xy, 2 * b.n * sizeof(double));
    memcpy(out->part_start, b.parts, b.nparts * sizeof(uint32_t));
    if (area) memcpy(out->poly_start, b.polys, b.npolys * sizeof(uint32_t));
    geom_update_bbox(out);
done:
    free(u);
    free(b.xy);
    free(b.parts);
    free(b.polys);
    return out;
}
