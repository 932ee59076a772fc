#include "render/reproject.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/seam.h"

/* Edges longer than this (degrees, either way) get points in between:
 * 0.05 degrees is ~5 km, under a pixel of curvature at any scale where
 * such an edge is a few hundred pixels long. */
#define DENSIFY_DEG 0.05

/* Features this far (degrees) outside a projected CRS's area of use are
 * left out: far from its centre a projection folds over itself. */
#define AREA_MARGIN_DEG 10.0

/* At most this many points in place of one edge (7,200 would span the
 * globe at DENSIFY_DEG); and a geometry grows by at most DENSIFY_GROWTH
 * points per vertex, or it is projected as it is. */
#define DENSIFY_MAX_STEPS 256
#define DENSIFY_GROWTH    16

/* Projected geometries kept with datasets, all together: past this a
 * layer is projected for each request instead (hostile CRS churn on big
 * data must not take the memory). */
#define CACHE_BUDGET ((size_t)512 << 20)

static atomic_size_t cached_bytes;

static uint32_t steps(const double *a, const double *b)
{
    double d = fmax(fabs(b[0] - a[0]), fabs(b[1] - a[1]));
    return d > DENSIFY_DEG ? (uint32_t)fmin(ceil(d / DENSIFY_DEG), DENSIFY_MAX_STEPS) : 1;
}

/* Points of part [first, first + n) once densified. */
static size_t dense_count(const geom_t *g, uint32_t first, uint32_t n)
{
    size_t total = n;
    for (uint32_t i = 1; i < n; i++)
        total += steps(&g->ll[2 * (first + i - 1)], &g->ll[2 * (first + i)]) - 1;
    return total;
}

static size_t densify_part(const geom_t *g, uint32_t first, uint32_t n, bool dense, double *out)
{
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const double *b = &g->ll[2 * (first + i)];
        if (i > 0 && dense) {
            const double *a = b - 2;
            uint32_t s = steps(a, b);
            for (uint32_t j = 1; j < s; j++, k++) {
                out[2 * k] = a[0] + (b[0] - a[0]) * j / s;
                out[2 * k + 1] = a[1] + (b[1] - a[1]) * j / s;
            }
        }
        out[2 * k] = b[0], out[2 * k + 1] = b[1];
        k++;
    }
    return k;
}

/* g, which crosses no seam, densified and projected; NULL if any vertex
 * fails (or no memory). */
static geom_t *project_geom_whole(const geom_t *g, const crs_t *crs)
{
    bool points = g->type == GEOM_POINT || g->type == GEOM_MULTIPOINT;
    size_t total = points ? g->npoints : 0;
    for (uint32_t p = 0; !points && p < g->nparts; p++)
        total += dense_count(g, g->part_start[p], g->part_start[p + 1] - g->part_start[p]);
    bool dense = total <= (size_t)g->npoints * DENSIFY_GROWTH;
    if (!dense) total = g->npoints;
    geom_t *out = geom_create(g->type, (uint32_t)total, g->nparts, g->npolys);
    if (out == NULL) return NULL;
    if (points) {
        memcpy(out->ll, g->ll, 2 * total * sizeof(double));
    } else {
        size_t k = 0;
        for (uint32_t p = 0; p < g->nparts; p++) {
            out->part_start[p] = (uint32_t)k;
            k += densify_part(g, g->part_start[p], g->part_start[p + 1] - g->part_start[p], dense,
                              out->ll + 2 * k);
        }
    }
    if (g->npolys) memcpy(out->poly_start, g->poly_start, (g->npolys + 1) * sizeof(uint32_t));
    out->bbox = g->bbox;
    if (crs_forward(crs, out->ll, out->merc, total) != total) return geom_destroy(out);
    return out;
}

/* g densified and projected; NULL if any vertex fails (or no memory). */
static geom_t *project_geom(const geom_t *g, const crs_t *crs)
{
    geom_t *cut = seam_split(g, crs_centre_lon(crs));
    if (cut) {
        geom_t *out = project_geom_whole(cut, crs);
        if (out) out->bbox = g->bbox; /* the feature's, for the index it was found by */
        geom_destroy(cut);
        return out;
    }
    return project_geom_whole(g, crs);
}

static bool in_area(const crs_t *crs, bbox_t b)
{
    if (crs_is_geographic(crs)) return true;
    bbox_t a = crs_area(crs);
    a = (bbox_t){a.minx - AREA_MARGIN_DEG, a.miny - AREA_MARGIN_DEG, a.maxx + AREA_MARGIN_DEG,
                 a.maxy + AREA_MARGIN_DEG};
    return bbox_intersects(a, b);
}

static size_t bytes_of(const projected_t *p)
{
    size_t n = sizeof(*p) + (p->n + 1) * sizeof(geom_t *);
    for (size_t i = 0; i < p->n; i++)
        if (p->geoms[i])
            n += sizeof(geom_t) + p->geoms[i]->npoints * (4 * sizeof(double) + 1) +
                 (p->geoms[i]->nparts + p->geoms[i]->npolys + 2) * sizeof(uint32_t);
    return n;
}

projected_t *reproject_layer(const layer_t *layer, const crs_t *crs)
{
    projected_t *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->geoms = calloc(layer->nfeatures + 1, sizeof(geom_t *))) == NULL) {
        free(p);
        return NULL;
    }
    p->n = layer->nfeatures;
    for (size_t i = 0; i < layer->nfeatures; i++) {
        const geom_t *g = layer->features[i].geom;
        if (in_area(crs, g->bbox)) p->geoms[i] = project_geom(g, crs);
    }
    return p;
}

void reproject_free(projected_t *p)
{
    if (p == NULL) return;
    for (size_t i = 0; i < p->n; i++)
        geom_destroy(p->geoms[i]);
    free(p->geoms);
    free(p);
}

typedef struct key {
    const layer_t *layer;
    const crs_t *crs;
} reproject_key_t;

static void *create(void *arg)
{
    const reproject_key_t *k = arg;
    if (atomic_load(&cached_bytes) > CACHE_BUDGET) return NULL;
    projected_t *p = reproject_layer(k->layer, k->crs);
    if (p) atomic_fetch_add(&cached_bytes, p->bytes = bytes_of(p));
    return p;
}

static void destroy(void *obj)
{
    projected_t *p = obj;
    atomic_fetch_sub(&cached_bytes, p->bytes);
    reproject_free(p);
}

const projected_t *reproject_get(dataset_t *ds, const layer_t *layer, const crs_t *crs,
                                 projected_t **own)
{
    char key[64];
    snprintf(key, sizeof(key), "crs:%p:%p", (const void *)crs, (const void *)layer);
    reproject_key_t arg = {layer, crs};
    const projected_t *p = ds ? dataset_attachment(ds, key, create, destroy, &arg) : NULL;
    *own = p ? NULL : reproject_layer(layer, crs);
    return p ? p : *own;
}
