/* Axis-aligned bounding boxes: small values passed by value. */
#ifndef COOPMAP_BBOX_H
#define COOPMAP_BBOX_H

#include <math.h>
#include <stdbool.h>

typedef struct bbox {
    double minx, miny, maxx, maxy;
} bbox_t;

/* An empty box: extending it by any point gives that point. */
static inline bbox_t bbox_empty(void)
{
    return (bbox_t){INFINITY, INFINITY, -INFINITY, -INFINITY};
}

static inline bool bbox_is_empty(bbox_t b)
{
    return !(b.minx <= b.maxx && b.miny <= b.maxy);
}

static inline bbox_t bbox_extend_xy(bbox_t b, double x, double y)
{
    if (x < b.minx) b.minx = x;
    if (y < b.miny) b.miny = y;
    if (x > b.maxx) b.maxx = x;
    if (y > b.maxy) b.maxy = y;
    return b;
}

static inline bbox_t bbox_union(bbox_t a, bbox_t b)
{
    if (b.minx < a.minx) a.minx = b.minx;
    if (b.miny < a.miny) a.miny = b.miny;
    if (b.maxx > a.maxx) a.maxx = b.maxx;
    if (b.maxy > a.maxy) a.maxy = b.maxy;
    return a;
}

/* Closed-interval test: boxes that only touch do intersect. */
static inline bool bbox_intersects(bbox_t a, bbox_t b)
{
    return a.minx <= b.maxx && b.minx <= a.maxx && a.miny <= b.maxy && b.miny <= a.maxy;
}

static inline bool bbox_contains_xy(bbox_t b, double x, double y)
{
    return x >= b.minx && x <= b.maxx && y >= b.miny && y <= b.maxy;
}

/* Is inner wholly inside outer? */
static inline bool bbox_contains(bbox_t outer, bbox_t inner)
{
    return inner.minx >= outer.minx && inner.maxx <= outer.maxx && inner.miny >= outer.miny &&
           inner.maxy <= outer.maxy;
}

#endif
