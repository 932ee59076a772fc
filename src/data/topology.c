#include "data/topology.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

/* One distinct vertex: where it is and the first two distinct neighbours met
 * at it; a third makes it a node. Pointers go into the geometries' merc. */
typedef struct vertex {
    const double *at;
    const double *nb[2];
    uint8_t nnb, node;
} vertex_t;

typedef struct table {
    vertex_t *slots;
    size_t mask;
} table_t;

static bool same(const double *a, const double *b)
{
    return a[0] == b[0] && a[1] == b[1];
}

static size_t slot_of(const table_t *t, const double *p)
{
    double xy[2] = {p[0] + 0.0, p[1] + 0.0}; /* -0.0 and 0.0 hash alike */
    size_t i = (size_t)hash_fnv1a(HASH_FNV_START, xy, sizeof(xy)) & t->mask;
    while (t->slots[i].at != NULL && !same(t->slots[i].at, p))
        i = (i + 1) & t->mask;
    return i;
}

static vertex_t *lookup(table_t *t, const double *p)
{
    vertex_t *v = &t->slots[slot_of(t, p)];
    if (v->at == NULL) v->at = p;
    return v;
}

static void add_neighbour(vertex_t *v, const double *nb)
{
    if (same(nb, v->at)) return; /* a repeated point */
    for (uint8_t k = 0; k < v->nnb; k++)
        if (same(v->nb[k], nb)) return;
    if (v->nnb < 2)
        v->nb[v->nnb++] = nb;
    else
        v->node = 1;
}

static bool is_ring_type(geom_type_t t)
{
    return t == GEOM_POLYGON || t == GEOM_MULTIPOLYGON;
}

static bool is_linear(geom_type_t t)
{
    return is_ring_type(t) || t == GEOM_LINESTRING || t == GEOM_MULTILINESTRING;
}

/* Points of a part without a ring's closing repeat of its first point. */
static uint32_t open_count(const double *p, uint32_t n, bool ring)
{
    return ring && n > 1 && same(p, p + 2 * (n - 1)) ? n - 1 : n;
}

static void visit_part(table_t *t, const double *p, uint32_t n, bool ring)
{
    uint32_t m = open_count(p, n, ring);
    for (uint32_t i = 0; i < m; i++) {
        vertex_t *v = lookup(t, p + 2 * i);
        bool end = !ring && (i == 0 || i == m - 1);
        if (end) v->node = 1;
        if (ring || i > 0) add_neighbour(v, p + 2 * ((i + m - 1) % m));
        if (ring || i + 1 < m) add_neighbour(v, p + 2 * ((i + 1) % m));
    }
}

static void visit(table_t *t, const geom_t *g)
{
    bool ring = is_ring_type(g->type);
    for (uint32_t part = 0; part < g->nparts; part++) {
        uint32_t a = g->part_start[part];
        visit_part(t, g->merc + 2 * a, g->part_start[part + 1] - a, ring);
    }
}

static void mark(const table_t *t, geom_t *g)
{
    for (uint32_t i = 0; i < g->npoints; i++)
        g->node[i] = t->slots[slot_of(t, g->merc + 2 * i)].node ? GEOM_NODE : 0;
}

int topology_mark_nodes(layer_t *layer)
{
    size_t total = 0;
    for (size_t i = 0; i < layer->nfeatures; i++)
        if (is_linear(layer->features[i].geom->type)) total += layer->features[i].geom->npoints;
    if (total == 0) return ERR_OK;
    size_t cap = 16;
    while (cap < 2 * total)
        cap *= 2;
    table_t t = {calloc(cap, sizeof(vertex_t)), cap - 1};
    if (t.slots == NULL) return ERR_NOMEM;
    for (size_t i = 0; i < layer->nfeatures; i++)
        if (is_linear(layer->features[i].geom->type)) visit(&t, layer->features[i].geom);
    for (size_t i = 0; i < layer->nfeatures; i++)
        if (is_linear(layer->features[i].geom->type)) mark(&t, layer->features[i].geom);
    free(t.slots);
    return ERR_OK;
}
