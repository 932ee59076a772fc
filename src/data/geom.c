#include "data/geom.h"

#include <stdlib.h>
#include <string.h>

geom_t *geom_create(geom_type_t type, uint32_t npoints, uint32_t nparts, uint32_t npolys)
{
    size_t size = sizeof(geom_t) + sizeof(double) * 4 * (size_t)npoints +
                  sizeof(uint32_t) * ((size_t)nparts + 1 + (size_t)npolys + 1) + npoints;
    geom_t *g = calloc(1, size);
    if (g == NULL) return NULL;
    g->type = type;
    g->npoints = npoints;
    g->nparts = nparts;
    g->npolys = npolys;
    /* Doubles first, right after the header, keeps them 8-byte aligned. */
    g->ll = (double *)(g + 1);
    g->merc = g->ll + 2 * (size_t)npoints;
    g->part_start = (uint32_t *)(g->merc + 2 * (size_t)npoints);
    g->poly_start = g->part_start + nparts + 1;
    g->node = (uint8_t *)(g->poly_start + npolys + 1);
    g->part_start[nparts] = npoints;
    g->poly_start[npolys] = nparts;
    g->bbox = bbox_empty();
    return g;
}

geom_t *geom_destroy(geom_t *g)
{
    free(g);
    return NULL;
}

/* Room for need items of size in *p (doubling). */
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

bool geom_builder_points(geom_builder_t *b, const double *xy, size_t n)
{
    if (!grow((void **)&b->xy, &b->cap, b->n + n, 2 * sizeof(double))) return false;
    memmove(b->xy + 2 * b->n, xy, 2 * n * sizeof(double));
    b->n += n;
    return true;
}

bool geom_builder_part(geom_builder_t *b)
{
    if (!grow((void **)&b->parts, &b->pcap, b->nparts + 1, sizeof(uint32_t))) return false;
    b->parts[b->nparts++] = (uint32_t)b->n;
    return true;
}

bool geom_builder_poly(geom_builder_t *b)
{
    if (!grow((void **)&b->polys, &b->ycap, b->npolys + 1, sizeof(uint32_t))) return false;
    b->polys[b->npolys++] = (uint32_t)b->nparts;
    return true;
}

geom_t *geom_builder_finish(const geom_builder_t *b, geom_type_t type)
{
    bool area = type == GEOM_POLYGON || type == GEOM_MULTIPOLYGON;
    bool pts = type == GEOM_POINT || type == GEOM_MULTIPOINT;
    if (b->n > UINT32_MAX / 4) return NULL;
    geom_t *g = geom_create(type, (uint32_t)b->n, pts ? 0 : (uint32_t)b->nparts,
                            area ? (uint32_t)b->npolys : 0);
    if (g == NULL) return NULL;
    memcpy(g->ll, b->xy, 2 * b->n * sizeof(double));
    if (!pts) memcpy(g->part_start, b->parts, b->nparts * sizeof(uint32_t));
    if (area) memcpy(g->poly_start, b->polys, b->npolys * sizeof(uint32_t));
    geom_update_bbox(g);
    return g;
}

void geom_builder_free(geom_builder_t *b)
{
    free(b->xy);
    free(b->parts);
    free(b->polys);
    *b = (geom_builder_t){0};
}

void geom_update_bbox(geom_t *g)
{
    bbox_t b = bbox_empty();
    for (uint32_t i = 0; i < g->npoints; i++)
        b = bbox_extend_xy(b, g->ll[2 * i], g->ll[2 * i + 1]);
    g->bbox = b;
}

const char *geom_type_name(geom_type_t type)
{
    switch (type) {
    case GEOM_POINT:
        return "Point";
    case GEOM_LINESTRING:
        return "LineString";
    case GEOM_POLYGON:
        return "Polygon";
    case GEOM_MULTIPOINT:
        return "MultiPoint";
    case GEOM_MULTILINESTRING:
        return "MultiLineString";
    case GEOM_MULTIPOLYGON:
        return "MultiPolygon";
    case GEOM_NONE:
        break;
    }
    return "None";
}

static bool ring_crossings_odd(const double *xy, uint32_t n, double x, double y)
{
    bool inside = false;
    for (uint32_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1];
        double xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
}

bool geom_contains_point(const geom_t *g, double lon, double lat)
{
    if (g->type != GEOM_POLYGON && g->type != GEOM_MULTIPOLYGON) return false;
    if (!bbox_contains_xy(g->bbox, lon, lat)) return false;
    for (uint32_t k = 0; k < g->npolys; k++) {
        bool inside = false;
        for (uint32_t p = g->poly_start[k]; p < g->poly_start[k + 1]; p++) {
            uint32_t first = g->part_start[p], n = g->part_start[p + 1] - first;
            if (n >= 3 && ring_crossings_odd(g->ll + 2 * (size_t)first, n, lon, lat))
                inside = !inside;
        }
        if (inside) return true;
    }
    return false;
}

double geom_ring_area(const double *xy, uint32_t n)
{
    double sum = 0;
    for (uint32_t i = 0, j = n ? n - 1 : 0; i < n; j = i++)
        sum += (xy[2 * j] * xy[2 * i + 1]) - (xy[2 * i] * xy[2 * j + 1]);
    return sum / 2;
}

static void reverse_ring(double *xy, uint32_t n)
{
    for (uint32_t i = 0, j = n - 1; i < j; i++, j--) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        xy[2 * i] = xy[2 * j];
        xy[2 * i + 1] = xy[2 * j + 1];
        xy[2 * j] = x;
        xy[2 * j + 1] = y;
    }
}

void geom_orient_rings(geom_t *g)
{
    for (uint32_t k = 0; k < g->npolys; k++) {
        for (uint32_t p = g->poly_start[k]; p < g->poly_start[k + 1]; p++) {
            uint32_t first = g->part_start[p], n = g->part_start[p + 1] - first;
            double *ring = g->ll + 2 * (size_t)first;
            bool exterior = p == g->poly_start[k];
            double area = geom_ring_area(ring, n);
            if ((exterior && area < 0) || (!exterior && area > 0)) reverse_ring(ring, n);
        }
    }
}

/* Liang-Barsky clipping: does segment a-b meet the box? */
static bool segment_meets_box(double ax, double ay, double bx, double by, bbox_t box)
{
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {ax - box.minx, box.maxx - ax, ay - box.miny, box.maxy - ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return false;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0 && t > t0)
            t0 = t;
        else if (p[i] > 0 && t < t1)
            t1 = t;
        if (t0 > t1) return false;
    }
    return true;
}

bool geom_intersects_bbox(const geom_t *g, bbox_t box)
{
    if (!bbox_intersects(g->bbox, box)) return false;
    if (g->type == GEOM_POINT || g->type == GEOM_MULTIPOINT) {
        for (uint32_t i = 0; i < g->npoints; i++)
            if (bbox_contains_xy(box, g->ll[2 * i], g->ll[2 * i + 1])) return true;
        return false;
    }
    for (uint32_t p = 0; p < g->nparts; p++) {
        for (uint32_t i = g->part_start[p]; i + 1 < g->part_start[p + 1]; i++) {
            const double *a = g->ll + 2 * (size_t)i;
            if (segment_meets_box(a[0], a[1], a[2], a[3], box)) return true;
        }
    }
    /* No edge meets the box: it is wholly inside a polygon or outside. */
    return geom_contains_point(g, box.minx, box.miny);
}
