/* Spatial predicates between two geometries in lon/lat (CQL2's
 * S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS), planar, exact up to
 * floating point: points on an edge count as touching. */
#include "data/geom.h"

#include <math.h>
#include <stddef.h>

static bool areal(const geom_t *g)
{
    return g->type == GEOM_POLYGON || g->type == GEOM_MULTIPOLYGON;
}

static bool pointy(const geom_t *g)
{
    return g->type == GEOM_POINT || g->type == GEOM_MULTIPOINT;
}

static double orient(const double *a, const double *b, const double *c)
{
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/* c on segment a-b, given it is collinear with it. */
static bool within_box(const double *a, const double *b, const double *c)
{
    return fmin(a[0], b[0]) <= c[0] && c[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= c[1] &&
           c[1] <= fmax(a[1], b[1]);
}

static bool segments_meet(const double *a, const double *b, const double *c, const double *d)
{
    double o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)))
        return true;
    return (o1 == 0 && within_box(a, b, c)) || (o2 == 0 && within_box(a, b, d)) ||
           (o3 == 0 && within_box(c, d, a)) || (o4 == 0 && within_box(c, d, b));
}

/* Does an edge of a meet an edge of b? Edges are consecutive vertices of
 * a part (rings are closed by repeating their first point, as loaded). */
static bool any_edge_pair(const geom_t *a, const geom_t *b)
{
    for (uint32_t p = 0; p < a->nparts; p++)
        for (uint32_t i = a->part_start[p]; i + 1 < a->part_start[p + 1]; i++) {
            const double *s = a->ll + 2 * (size_t)i;
            bbox_t sb = {fmin(s[0], s[2]), fmin(s[1], s[3]), fmax(s[0], s[2]), fmax(s[1], s[3])};
            if (!bbox_intersects(sb, b->bbox)) continue;
            for (uint32_t q = 0; q < b->nparts; q++)
                for (uint32_t j = b->part_start[q]; j + 1 < b->part_start[q + 1]; j++) {
                    const double *t = b->ll + 2 * (size_t)j;
                    if (segments_meet(s, s + 2, t, t + 2)) return true;
                }
        }
    return false;
}

/* Is point p on an edge of g (lines and polygon rings)? */
static bool on_edge(const geom_t *g, const double *p)
{
    for (uint32_t q = 0; q < g->nparts; q++)
        for (uint32_t j = g->part_start[q]; j + 1 < g->part_start[q + 1]; j++) {
            const double *t = g->ll + 2 * (size_t)j;
            if (orient(t, t + 2, p) == 0 && within_box(t, t + 2, p)) return true;
        }
    return false;
}

/* Does point p touch g: equal to one of its points, on an edge, or inside? */
static bool point_touches(const geom_t *g, const double *p)
{
    if (!bbox_contains_xy(g->bbox, p[0], p[1])) return false;
    if (pointy(g)) {
        for (uint32_t i = 0; i < g->npoints; i++)
            if (g->ll[2 * i] == p[0] && g->ll[2 * i + 1] == p[1]) return true;
        return false;
    }
    return on_edge(g, p) || geom_contains_point(g, p[0], p[1]);
}

/* Does a part of a start inside polygon(s) b? */
static bool part_inside(const geom_t *a, const geom_t *b)
{
    if (!areal(b)) return false;
    for (uint32_t p = 0; p < a->nparts; p++) {
        const double *v = a->ll + 2 * (size_t)a->part_start[p];
        if (geom_contains_point(b, v[0], v[1])) return true;
    }
    return false;
}

bool geom_intersects(const geom_t *a, const geom_t *b)
{
    if (!bbox_intersects(a->bbox, b->bbox)) return false;
    if (pointy(a) || pointy(b)) {
        const geom_t *pts = pointy(a) ? a : b, *other = pointy(a) ? b : a;
        for (uint32_t i = 0; i < pts->npoints; i++)
            if (point_touches(other, pts->ll + 2 * (size_t)i)) return true;
        return false;
    }
    if (any_edge_pair(a, b)) return true;
    /* No edges meet: each part of one lies wholly inside the other, or
     * apart from it; a vertex of each part tells which. */
    return part_inside(a, b) || part_inside(b, a);
}

/* Edges of a that cross b's edges properly (not merely touching). */
static bool edges_cross(const geom_t *a, const geom_t *b)
{
    for (uint32_t p = 0; p < a->nparts; p++)
        for (uint32_t i = a->part_start[p]; i + 1 < a->part_start[p + 1]; i++) {
            const double *s = a->ll + 2 * (size_t)i;
            for (uint32_t q = 0; q < b->nparts; q++)
                for (uint32_t j = b->part_start[q]; j + 1 < b->part_start[q + 1]; j++) {
                    const double *t = b->ll + 2 * (size_t)j;
                    double o1 = orient(s, s + 2, t), o2 = orient(s, s + 2, t + 2);
                    double o3 = orient(t, t + 2, s), o4 = orient(t, t + 2, s + 2);
                    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) &&
                        ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)))
                        return true;
                }
        }
    return false;
}

bool geom_within(const geom_t *a, const geom_t *b)
{
    if (a->npoints == 0 || !bbox_intersects(a->bbox, b->bbox)) return false;
    if (a->bbox.minx < b->bbox.minx || a->bbox.maxx > b->bbox.maxx || a->bbox.miny < b->bbox.miny ||
        a->bbox.maxy > b->bbox.maxy)
        return false;
    if (pointy(b)) { /* only points are within points */
        if (!pointy(a)) return false;
        for (uint32_t i = 0; i < a->npoints; i++)
            if (!point_touches(b, a->ll + 2 * (size_t)i)) return false;
        return true;
    }
    if (!areal(b)) { /* within a line: every vertex on it, and (for lines) nothing beside */
        if (areal(a)) return false;
        for (uint32_t i = 0; i < a->npoints; i++)
            if (!on_edge(b, a->ll + 2 * (size_t)i)) return false;
        return true;
    }
    /* Within a polygon: every vertex inside or on its boundary, no edge
     * crossing the boundary, and some point strictly inside. */
    bool inside = false;
    for (uint32_t i = 0; i < a->npoints; i++) {
        const double *p = a->ll + 2 * (size_t)i;
        bool edge = on_edge(b, p);
        if (!edge && !geom_contains_point(b, p[0], p[1])) return false;
        inside = inside || !edge;
    }
    return inside && !edges_cross(a, b);
}
