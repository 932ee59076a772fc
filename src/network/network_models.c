/* The network models. Neighbourhoods (knn, within, mst candidates) are
 * found in the plane (EPSG:3035) through the spatial index, then measured
 * along the geodesic: O(n log n) rather than all n² pairs. The plane is
 * only a filter; every kept distance is geodesic, and the search radii are
 * widened by the projection's worst scale error so nothing is missed. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/crs.h"
#include "network/geodesy.h"
#include "network/network_build.h"
#include "network/proximity.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Below this many towns the MST compares every pair (exact, cheap); above,
 * it runs on the Delaunay edges, which hold the MST of any planar metric. */
#define EXACT_MST_MAX 1000

static const double *node_ll(const network_t *net, size_t i)
{
    return net->nodes_layer->features[net->node_feature[i]].geom->ll;
}

static double geodesic_km(const network_t *net, uint32_t a, uint32_t c)
{
    const double *p = node_ll(net, a), *q = node_ll(net, c);
    return geodesy_inverse(p[0], p[1], q[0], q[1]).metres / 1000;
}

/* Adds the tie a-c with its geodesic length (km < 0: measure it), or
 * ERR_TOOBIG once the limit on ties is reached. */
static int add_tie(build_t *b, uint32_t a, uint32_t c, double km, int32_t tie)
{
    network_t *net = b->net;
    if (b->limits.max_ties && net->nedges >= b->limits.max_ties)
        return error_set(b->err, ERR_TOOBIG,
                         "the '%s' network of %zu towns would have more than %zu ties",
                         network_model_name(net->params.model), net->nnodes, b->limits.max_ties);
    if (a > c) {
        uint32_t t = a;
        a = c, c = t;
    }
    if (net->nedges == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        network_edge_t *e = realloc(net->edges, cap * sizeof(*e));
        if (e == NULL) return error_set(b->err, ERR_NOMEM, "out of memory");
        net->edges = e;
        b->cap = cap;
    }
    const layer_t *l = net->nodes_layer;
    const char *ca = network_text(l, &l->features[net->node_feature[a]], net->country_field);
    const char *cc = network_text(l, &l->features[net->node_feature[c]], net->country_field);
    net->edges[net->nedges++] =
        (network_edge_t){a, c, km >= 0 ? km : geodesic_km(net, a, c), strcmp(ca, cc) != 0, tie};
    return ERR_OK;
}

/* --- the plane -------------------------------------------------------------- */

/* EPSG:3035 scales distances by between cos(c/2) and 1/cos(c/2) at an
 * angular distance c from its centre (52N 10E); 2 % more covers the
 * ellipsoid and segments that bend away from the nodes. */
static double scale_slack(const network_t *net)
{
    const double rad = M_PI / 180, lat0 = 52 * rad, lon0 = 10 * rad;
    double worst = 0;
    for (size_t i = 0; i < net->nnodes; i++) {
        const double *p = node_ll(net, i);
        double cosc =
            sin(lat0) * sin(p[1] * rad) + cos(lat0) * cos(p[1] * rad) * cos(p[0] * rad - lon0);
        double c = acos(fmax(-1, fmin(1, cosc)));
        worst = fmax(worst, c);
    }
    return worst < 120 * rad ? 1.02 / cos(worst / 2) : 0;
}

int network_planar_setup(build_t *b)
{
    network_t *net = b->net;
    size_t n = net->nnodes;
    b->slack = scale_slack(net);
    if (b->slack == 0 || n == 0) return ERR_OK; /* b->planar stays false: pairwise fallbacks */
    b->xy = malloc(2 * n * sizeof(double));
    bbox_t *boxes = malloc(n * sizeof(bbox_t));
    int rc = b->xy && boxes ? ERR_OK : error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == ERR_OK && i < n; i++)
        memcpy(b->xy + 2 * i, node_ll(net, i), 2 * sizeof(double));
    if (rc == ERR_OK && crs_lonlat_to_laea(b->xy, b->xy, n) != 0)
        rc = error_set(b->err, ERR_CRS, "PROJ cannot project the towns to EPSG:3035");
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        double x = b->xy[2 * i], y = b->xy[2 * i + 1];
        boxes[i] = (bbox_t){x, y, x, y};
    }
    if (rc == ERR_OK && (b->ix = index_create(boxes, n)) == NULL)
        rc = error_set(b->err, ERR_NOMEM, "out of memory");
    free(boxes);
    b->planar = rc == ERR_OK;
    return rc;
}

void network_build_cleanup(build_t *b)
{
    free(b->xy);
    index_destroy(b->ix);
    b->xy = NULL;
    b->ix = NULL;
}

static double planar_m(const build_t *b, uint32_t a, uint32_t c)
{
    return hypot(b->xy[2 * a] - b->xy[2 * c], b->xy[2 * a + 1] - b->xy[2 * c + 1]);
}

/* Nodes whose planar position lies within radius r of node a (a included),
 * ascending, into *ids (malloc'd; the caller frees). */
static size_t planar_near(const build_t *b, uint32_t a, double r, uint32_t **ids)
{
    double x = b->xy[2 * a], y = b->xy[2 * a + 1];
    size_t n = index_query_ids(b->ix, (bbox_t){x - r, y - r, x + r, y + r}, ids);
    if (n == (size_t)-1) return n;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (planar_m(b, a, (*ids)[i]) <= r) (*ids)[kept++] = (*ids)[i];
    return kept;
}

/* --- models ------------------------------------------------------------------- */

int network_model_complete(build_t *b)
{
    size_t n = b->net->nnodes;
    int rc = ERR_OK;
    for (uint32_t i = 0; rc == ERR_OK && i < n; i++) {
        rc = network_build_check_time(b);
        for (uint32_t j = i + 1; rc == ERR_OK && j < n; j++)
            rc = add_tie(b, i, j, -1, -1);
    }
    return rc;
}

int network_model_within(build_t *b)
{
    network_t *net = b->net;
    double limit = net->params.km;
    for (uint32_t i = 0; i < net->nnodes; i++) {
        uint32_t *near = NULL;
        size_t m = 0;
        if (network_build_check_time(b) != ERR_OK) return ERR_TIMEOUT;
        if (b->planar) {
            m = planar_near(b, i, limit * 1000 * b->slack, &near);
            if (m == (size_t)-1) return error_set(b->err, ERR_NOMEM, "out of memory");
        }
        size_t count = b->planar ? m : net->nnodes;
        int rc = ERR_OK;
        for (size_t t = 0; rc == ERR_OK && t < count; t++) {
            uint32_t j = b->planar ? near[t] : (uint32_t)t;
            double km;
            if (j > i && (km = geodesic_km(net, i, j)) <= limit) rc = add_tie(b, i, j, km, -1);
        }
        free(near);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

/* (km, node) pairs, sorted by distance then index for deterministic ties. */
typedef struct ranked {
    double km;
    uint32_t node;
} ranked_t;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked_t *a = x, *b = y;
    if (a->km != b->km) return a->km < b->km ? -1 : 1;
    return (a->node > b->node) - (a->node < b->node);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The candidates for node i's k geodesic nearest: every node, or those
 * within the planar radius that must contain them (the k-th planar
 * nearest's distance, widened by the scale slack on both sides). */
static size_t knn_candidates(const build_t *b, uint32_t i, size_t k, double r0, uint32_t **out)
{
    size_t n = b->net->nnodes;
    if (!b->planar || k + 1 >= n) {
        *out = malloc(n * sizeof(uint32_t));
        for (size_t j = 0; *out && j < n; j++)
            (*out)[j] = (uint32_t)j;
        return *out ? n : (size_t)-1;
    }
    /* From a sixteenth of the uniform guess: real towns crowd, and a
     * radius too large for a dense area costs more than a few doublings. */
    for (double r = r0 / 16;; r *= 2) {
        uint32_t *near = NULL;
        size_t m = planar_near(b, i, r, &near);
        if (m == (size_t)-1) return m;
        if (m > k) { /* i itself plus at least k others */
            double *d = malloc(m * sizeof(double));
            if (d == NULL) {
                free(near);
                return (size_t)-1;
            }
            for (size_t t = 0; t < m; t++)
                d[t] = planar_m(b, i, near[t]);
            qsort(d, m, sizeof(double), cmp_double);
            double kth = d[k]; /* d[0] is i itself */
            free(d);
            free(near);
            return planar_near(b, i, kth * b->slack * b->slack, out);
        }
        free(near);
    }
}

/* Planar radius expected to hold about k+1 nodes: a first guess only. */
static double knn_radius(const build_t *b, size_t k)
{
    bbox_t e = bbox_empty();
    for (size_t i = 0; i < b->net->nnodes; i++)
        e = bbox_extend_xy(e, b->xy[2 * i], b->xy[2 * i + 1]);
    double area = (e.maxx - e.minx) * (e.maxy - e.miny);
    double r = sqrt(area * (double)(k + 1) / (M_PI * (double)b->net->nnodes)) * 1.5;
    return r > 1 ? r : 1;
}

static int cmp_pair(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

int network_model_knn(build_t *b)
{
    network_t *net = b->net;
    size_t n = net->nnodes, k = net->params.k, npairs = 0;
    uint64_t *pairs = malloc((n * k + 1) * sizeof(uint64_t));
    ranked_t *r = malloc((n + 1) * sizeof(ranked_t));
    double r0 = b->planar ? knn_radius(b, k) : 0;
    int rc = pairs && r ? ERR_OK : error_set(b->err, ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; rc == ERR_OK && i < n; i++) {
        if ((rc = network_build_check_time(b)) != ERR_OK) break;
        uint32_t *cand = NULL;
        size_t m = knn_candidates(b, i, k, r0, &cand), used = 0;
        if (m == (size_t)-1) {
            rc = error_set(b->err, ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t t = 0; t < m; t++)
            if (cand[t] != i) r[used++] = (ranked_t){geodesic_km(net, i, cand[t]), cand[t]};
        free(cand);
        qsort(r, used, sizeof(*r), cmp_ranked);
        for (size_t t = 0; t < k && t < used; t++) {
            uint32_t lo = i < r[t].node ? i : r[t].node, hi = i < r[t].node ? r[t].node : i;
            pairs[npairs++] = (uint64_t)lo << 32 | hi;
        }
    }
    if (rc == ERR_OK) qsort(pairs, npairs, sizeof(uint64_t), cmp_pair);
    for (size_t t = 0; rc == ERR_OK && t < npairs; t++)
        if (t == 0 || pairs[t] != pairs[t - 1])
            rc = add_tie(b, (uint32_t)(pairs[t] >> 32), (uint32_t)pairs[t], -1, -1);
    free(pairs);
    free(r);
    return rc;
}

/* --- minimum spanning tree ----------------------------------------------------- */

static int mst_exact(build_t *b)
{
    size_t n = b->net->nnodes;
    double *km = malloc((n ? n * n : 1) * sizeof(double));
    graph_edge_t *tree = NULL;
    size_t m = 0;
    if (km == NULL) return error_set(b->err, ERR_NOMEM, "out of memory");
    int rc = ERR_OK;
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = network_build_check_time(b)) != ERR_OK) break;
        km[i * n + i] = 0;
        for (uint32_t j = i + 1; j < n; j++)
            km[i * n + j] = km[j * n + i] = geodesic_km(b->net, i, j);
    }
    if (rc != ERR_OK) {
        free(km);
        return rc;
    }
    rc = graph_mst(n, km, &tree, &m);
    if (rc != ERR_OK) error_set(b->err, rc, "the minimum spanning tree failed: %s", error_str(rc));
    for (size_t i = 0; rc == ERR_OK && i < m; i++)
        rc = add_tie(b, tree[i].a, tree[i].b, tree[i].w, -1);
    free(tree);
    free(km);
    return rc;
}

typedef struct weighted {
    double km;
    uint32_t a, c;
} weighted_t;

static int cmp_weighted(const void *x, const void *y)
{
    const weighted_t *p = x, *q = y;
    if (p->km != q->km) return p->km < q->km ? -1 : 1;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->c > q->c) - (p->c < q->c);
}

static uint32_t find_root(uint32_t *parent, uint32_t v)
{
    while (parent[v] != v)
        v = parent[v] = parent[parent[v]];
    return v;
}

/* Kruskal over the Delaunay edges weighted by geodesic length. */
static int mst_delaunay(build_t *b)
{
    size_t n = b->net->nnodes, ndt = 0;
    proximity_edge_t *dt = NULL;
    int prc = proximity_delaunay(b->xy, n, &dt, &ndt);
    if (prc != ERR_OK)
        return error_set(b->err, prc, "the Delaunay triangulation failed: %s", error_str(prc));
    weighted_t *w = malloc((ndt ? ndt : 1) * sizeof(*w));
    uint32_t *parent = malloc(n * sizeof(uint32_t));
    int rc =
        w && parent ? network_build_check_time(b) : error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == ERR_OK && i < ndt; i++)
        w[i] = (weighted_t){geodesic_km(b->net, dt[i].a, dt[i].b), dt[i].a, dt[i].b};
    for (uint32_t v = 0; rc == ERR_OK && v < n; v++)
        parent[v] = v;
    if (rc == ERR_OK) qsort(w, ndt, sizeof(*w), cmp_weighted);
    for (size_t i = 0; rc == ERR_OK && i < ndt; i++) {
        uint32_t ra = find_root(parent, w[i].a), rc2 = find_root(parent, w[i].c);
        if (ra != rc2) {
            parent[ra] = rc2;
            rc = add_tie(b, w[i].a, w[i].c, w[i].km, -1);
        }
    }
    free(dt);
    free(w);
    free(parent);
    return rc;
}

int network_model_mst(build_t *b)
{
    return b->net->nnodes <= EXACT_MST_MAX || !b->planar ? mst_exact(b) : mst_delaunay(b);
}

/* --- Delaunay, Gabriel, RNG ---------------------------------------------------- */

/* Planar constructions, made in EPSG:3035 (equal-area, centred on Europe),
 * not on raw lon/lat. */
int network_model_proximity(build_t *b)
{
    size_t n = b->net->nnodes;
    proximity_edge_t *dt = NULL, *sub = NULL, *use;
    size_t ndt = 0, nsub = 0, nuse;
    if (!b->planar)
        return error_set(b->err, ERR_INVALID,
                         "model: the towns lie too far from Europe for "
                         "EPSG:3035, which %s is built in",
                         network_model_name(b->net->params.model));
    int rc = ERR_OK;
    int prc = proximity_delaunay(b->xy, n, &dt, &ndt);
    if (prc != ERR_OK)
        rc = error_set(b->err, prc, "the Delaunay triangulation failed: %s", error_str(prc));
    use = dt, nuse = ndt;
    if (rc == ERR_OK) rc = network_build_check_time(b);
    if (rc == ERR_OK && b->net->params.model != NETWORK_DELAUNAY) {
        prc = b->net->params.model == NETWORK_GABRIEL
                  ? proximity_gabriel(b->xy, n, dt, ndt, &sub, &nsub)
                  : proximity_rng(b->xy, n, dt, ndt, &sub, &nsub);
        if (prc != ERR_OK)
            rc = error_set(b->err, prc, "the %s graph failed: %s",
                           network_model_name(b->net->params.model), error_str(prc));
        use = sub, nuse = nsub;
    }
    for (size_t i = 0; rc == ERR_OK && i < nuse; i++)
        rc = add_tie(b, use[i].a, use[i].b, -1, -1);
    free(dt);
    free(sub);
    return rc;
}

/* --- ties from data -------------------------------------------------------------- */

/* The node of a ties-layer end (node_of: nodes-layer feature to node, -1
 * when not selected), or -1 in *node. */
static int tie_end(build_t *b, const int32_t *node_of, const feature_t *tie, int field, int *node)
{
    const layer_t *ties = b->src->ties;
    char text[64];
    const value_t *v = &tie->values[field];
    const char *name = text;
    if (v->is_null)
        return error_set(b->err, ERR_INVALID, "tie %s has no %s", tie->id,
                         ties->fields[field].name);
    if (ties->fields[field].type == FIELD_STRING)
        name = v->u.s;
    else
        snprintf(text, sizeof(text), "%lld", (long long)v->u.i);
    int feature = network_find_node(b->src, name);
    if (feature < 0)
        return error_set(b->err, ERR_INVALID, "tie %s names '%s', which is no town", tie->id, name);
    *node = node_of[feature];
    return ERR_OK;
}

static int cmp_tie(const void *x, const void *y)
{
    const network_edge_t *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return (p->tie > q->tie) - (p->tie < q->tie);
}

/* A pair named by several ties keeps the first of them. */
static void drop_repeated_ties(network_t *net)
{
    size_t kept = 0;
    if (net->nedges) qsort(net->edges, net->nedges, sizeof(*net->edges), cmp_tie);
    for (size_t e = 0; e < net->nedges; e++)
        if (kept == 0 || net->edges[e].a != net->edges[kept - 1].a ||
            net->edges[e].b != net->edges[kept - 1].b)
            net->edges[kept++] = net->edges[e];
    net->nedges = kept;
}

static int add_ties_of_layer(build_t *b, const int32_t *node_of)
{
    const layer_t *ties = b->src->ties;
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < ties->nfeatures; i++) {
        int a, c;
        if ((rc = network_build_check_time(b)) != ERR_OK ||
            (rc = tie_end(b, node_of, &ties->features[i], b->src->from_field, &a)) != ERR_OK ||
            (rc = tie_end(b, node_of, &ties->features[i], b->src->to_field, &c)) != ERR_OK)
            break;
        if (a >= 0 && c >= 0 && a != c) /* else outside the selected countries, or a loop */
            rc = add_tie(b, (uint32_t)a, (uint32_t)c, -1, (int32_t)i);
    }
    return rc;
}

int network_model_edges(build_t *b)
{
    const layer_t *ties = b->src->ties, *nodes = b->src->nodes;
    if (ties == NULL || b->src->from_field < 0 || b->src->to_field < 0)
        return error_set(b->err, ERR_INVALID,
                         "model: 'edges' needs a ties layer with from and to fields in the "
                         "project");
    int32_t *node_of = malloc((nodes->nfeatures + 1) * sizeof(*node_of));
    if (node_of == NULL) return error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t f = 0; f < nodes->nfeatures; f++)
        node_of[f] = -1;
    for (size_t v = 0; v < b->net->nnodes; v++)
        node_of[b->net->node_feature[v]] = (int32_t)v;
    int rc = add_ties_of_layer(b, node_of);
    free(node_of);
    if (rc == ERR_OK) drop_repeated_ties(b->net);
    return rc;
}
