/* In-memory geometries: flat coordinate arrays in lon/lat (WGS84, x = lon)
 * and in Web Mercator metres (EPSG:3857), with part and polygon offsets.
 *
 *   Point/MultiPoint:          npoints coordinates, no parts.
 *   LineString:                1 part;  MultiLineString: nparts parts.
 *   Polygon:                   1 polygon whose parts are its rings (outer
 *                              first); MultiPolygon: npolys polygons.
 * Part p spans points [part_start[p], part_start[p+1]); polygon k spans
 * parts [poly_start[k], poly_start[k+1]). */
#ifndef COOPMAP_GEOM_H
#define COOPMAP_GEOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/bbox.h"

typedef enum geom_type {
    GEOM_NONE = 0,
    GEOM_POINT,
    GEOM_LINESTRING,
    GEOM_POLYGON,
    GEOM_MULTIPOINT,
    GEOM_MULTILINESTRING,
    GEOM_MULTIPOLYGON
} geom_type_t;

/* A vertex that simplification must keep: an end of a line, or a point where
 * the boundaries of a layer's features meet or part. */
#define GEOM_NODE 1

typedef struct geom {
    geom_type_t type;
    uint32_t npoints, nparts, npolys;
    double *ll;           /* 2 * npoints: lon, lat */
    double *merc;         /* 2 * npoints: x, y metres */
    uint32_t *part_start; /* nparts + 1 */
    uint32_t *poly_start; /* npolys + 1 */
    uint8_t *node;        /* npoints: GEOM_NODE where boundaries meet (topology.h) */
    bbox_t bbox;          /* lon/lat extent */
} geom_t;

/* Allocates a geometry with room for the given counts in one block; the
 * offset arrays' last entries are preset to the totals. Free with
 * geom_destroy(). Returns NULL on allocation failure. */
geom_t *geom_create(geom_type_t type, uint32_t npoints, uint32_t nparts, uint32_t npolys);

geom_t *geom_destroy(geom_t *g);

/* A geometry built piece by piece (parsers, cutters): points appended,
 * and where each part and each polygon starts. Zero-initialise; free with
 * geom_builder_free(). The appenders return false when out of memory. */
typedef struct geom_builder {
    double *xy; /* lon, lat */
    uint32_t *parts, *polys;
    size_t n, nparts, npolys, cap, pcap, ycap;
} geom_builder_t;

bool geom_builder_points(geom_builder_t *b, const double *xy, size_t n);
bool geom_builder_part(geom_builder_t *b); /* a part starts at the next point */
bool geom_builder_poly(geom_builder_t *b); /* a polygon starts at the next part */
/* A new geometry of type (lon/lat, bbox set) from what b holds: parts for
 * lines and polygons, polygons for polygons. NULL when out of memory. */
geom_t *geom_builder_finish(const geom_builder_t *b, geom_type_t type);
void geom_builder_free(geom_builder_t *b);

/* Recomputes g->bbox from g->ll. */
void geom_update_bbox(geom_t *g);

/* "Point", "MultiPolygon", ... as GeoJSON spells them. */
const char *geom_type_name(geom_type_t type);

/* True if (lon, lat) lies inside a (Multi)Polygon (even-odd rule over each
 * polygon's rings; points on an edge may go either way). False for other
 * types. */
bool geom_contains_point(const geom_t *g, double lon, double lat);

/* True if the geometry (lon/lat) touches or overlaps the box: exact for
 * points and lines, and for polygons also when the box lies inside. */
bool geom_intersects_bbox(const geom_t *g, bbox_t box);

/* Spatial predicates in lon/lat, planar (geom_relate.c): do a and b share
 * a point (touching counts)? Is a within b (every point of a in b, some
 * in its interior)? S_CONTAINS(a, b) is geom_within(b, a), S_DISJOINT
 * !geom_intersects(). */
bool geom_intersects(const geom_t *a, const geom_t *b);
bool geom_within(const geom_t *a, const geom_t *b);

/* Reverses rings as RFC 7946 wants: exterior rings counter-clockwise,
 * holes clockwise (first ring of each polygon is its exterior). */
void geom_orient_rings(geom_t *g);

/* Signed area of a ring in coordinate units (positive: counter-clockwise). */
double geom_ring_area(const double *xy, uint32_t n);

#endif
