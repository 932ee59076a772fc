#include "render/seam.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "render/clip.h"

/* The pieces being gathered; failed once memory ran out. */
typedef struct builder {
    geom_builder_t g;
    bool failed;
} builder_t;

static void add_part(builder_t *b, const double *xy, size_t n)
{
    if (!b->failed && n)
        b->failed = !geom_builder_part(&b->g) || !geom_builder_points(&b->g, xy, n);
}

static void add_poly(builder_t *b)
{
    if (!b->failed) b->failed = !geom_builder_poly(&b->g);
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
    if (b.failed || b.g.nparts == 0) goto done;
    bool area = g->type == GEOM_POLYGON || g->type == GEOM_MULTIPOLYGON;
    out =
        geom_builder_finish(&b.g, area ? (b.g.npolys > 1 ? GEOM_MULTIPOLYGON : GEOM_POLYGON)
                                       : (b.g.nparts > 1 ? GEOM_MULTILINESTRING : GEOM_LINESTRING));
done:
    free(u);
    geom_builder_free(&b.g);
    return out;
}
