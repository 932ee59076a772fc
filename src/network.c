#include "network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crs.h"
#include "geodesy.h"
#include "proximity.h"
#include "text.h"

static const char *const model_names[] = {"complete", "knn",      "within", "mst",
                                          "delaunay", "gabriel", "rng",    "edges"};

const char *network_model_name(network_model_t model)
{
    return model_names[model];
}

int network_model_parse(const char *name, network_model_t *out)
{
    for (size_t i = 0; i < sizeof(model_names) / sizeof(model_names[0]); i++)
        if (strcmp(name, model_names[i]) == 0) {
            *out = (network_model_t)i;
            return 0;
        }
    return -1;
}

void network_params_key(const network_params_t *p, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", model_names[p->model]);
    if (p->model == NETWORK_KNN)
        n += snprintf(out + n, size - (size_t)n, ";k=%u", p->k);
    if (p->model == NETWORK_WITHIN)
        n += snprintf(out + n, size - (size_t)n, ";km=%.17g", p->km);
    if (p->cross_border)
        n += snprintf(out + n, size - (size_t)n, ";cross_border");
    for (size_t i = 0; i < p->ncountries && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, "%s%s", i ? "," : ";country=", p->countries[i]);
}

static const char *str_value(const layer_t *l, const feature_t *f, int field)
{
    if (field < 0 || f->values[field].is_null || l->fields[field].type != FIELD_STRING)
        return "";
    return f->values[field].u.s;
}

int network_find_node(const network_source_t *src, const char *text)
{
    const layer_t *l = src->nodes;
    const feature_t *byid = layer_find(l, text);
    if (byid)
        return (int)(byid - l->features);
    for (size_t i = 0; i < l->nfeatures; i++)
        if (text_equal_folded(str_value(l, &l->features[i], src->name_field), text))
            return (int)i;
    return -1;
}

int network_params_parse(network_params_t *p, const char *model, const char *k,
                         const char *km, const char *cross_border, const char *country,
                         error_t *err)
{
    *p = (network_params_t){.model = NETWORK_MST, .k = 3, .km = 25};
    char *end;
    if (model && network_model_parse(model, &p->model) != 0)
        return error_set(err, ERR_INVALID, "model: unknown model '%.40s'; use complete, knn, "
                                           "within, mst, delaunay, gabriel, rng or edges",
                         model);
    if (k) {
        long v = strtol(k, &end, 10);
        if (*k == '\0' || *end != '\0' || v < 1 || v > 100000)
            return error_set(err, ERR_INVALID, "k: '%.40s' is not a positive integer", k);
        p->k = (unsigned)v;
    }
    if (km) {
        p->km = strtod(km, &end);
        if (*km == '\0' || *end != '\0' || !(p->km > 0) || !isfinite(p->km))
            return error_set(err, ERR_INVALID, "km: '%.40s' is not a distance above 0", km);
    }
    if (cross_border) {
        bool yes = strcmp(cross_border, "true") == 0 || strcmp(cross_border, "1") == 0;
        if (!yes && strcmp(cross_border, "false") != 0 && strcmp(cross_border, "0") != 0)
            return error_set(err, ERR_INVALID, "cross_border: '%.20s' is not true or false",
                             cross_border);
        p->cross_border = yes;
    }
    for (const char *c = country; c && *c;) {
        size_t n = strcspn(c, ",");
        if (n != 2 || p->ncountries == NETWORK_MAX_COUNTRIES)
            return error_set(err, ERR_INVALID, "country: want up to %d two-letter codes like "
                                               "SI,AT, got '%.40s'", NETWORK_MAX_COUNTRIES,
                             country);
        snprintf(p->countries[p->ncountries++], 4, "%c%c", c[0] & ~0x20, c[1] & ~0x20);
        c += n + (c[n] == ',');
    }
    return ERR_OK;
}

int network_find_nodes(const network_source_t *src, const char *list, uint32_t **out, size_t *n,
                       error_t *err)
{
    size_t cap = src->nodes->nfeatures + 1;
    *n = 0;
    *out = malloc(cap * sizeof(uint32_t));
    if (*out == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    if (list == NULL || *list == '\0') {
        for (size_t i = 0; i < src->nodes->nfeatures; i++)
            (*out)[(*n)++] = (uint32_t)i;
        return ERR_OK;
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), p);
        int node = network_find_node(src, name);
        if (node < 0 || *n == cap) {
            free(*out);
            *out = NULL;
            return error_set(err, ERR_INVALID, node < 0 ? "unknown town '%s'"
                                                        : "too many towns, at '%s'", name);
        }
        (*out)[(*n)++] = (uint32_t)node;
        p += len + (p[len] == ',');
    }
    return ERR_OK;
}

/* --- building -------------------------------------------------------------- */

typedef struct build {
    const network_source_t *src;
    network_t *net;
    double *km;  /* nnodes x nnodes geodesic distances */
    size_t cap;  /* edges allocated */
    error_t *err;
} build_t;

static bool country_selected(const network_params_t *p, const char *country)
{
    if (p->ncountries == 0)
        return true;
    for (size_t i = 0; i < p->ncountries; i++)
        if (strcmp(p->countries[i], country) == 0)
            return true;
    return false;
}

static int select_nodes(build_t *b)
{
    const layer_t *l = b->src->nodes;
    network_t *net = b->net;
    net->node_feature = malloc((l->nfeatures ? l->nfeatures : 1) * sizeof(uint32_t));
    if (net->node_feature == NULL)
        return error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < l->nfeatures; i++) {
        const char *country = str_value(l, &l->features[i], b->src->country_field);
        if (country_selected(&net->params, country))
            net->node_feature[net->nnodes++] = (uint32_t)i;
    }
    for (size_t c = 0; c < net->params.ncountries; c++) {
        bool found = false;
        for (size_t i = 0; i < net->nnodes && !found; i++)
            found = strcmp(str_value(l, &l->features[net->node_feature[i]], b->src->country_field),
                           net->params.countries[c]) == 0;
        if (!found)
            return error_set(b->err, ERR_INVALID, "country: no town in '%s'",
                             net->params.countries[c]);
    }
    return ERR_OK;
}

static const double *node_ll(const network_t *net, size_t i)
{
    return net->nodes_layer->features[net->node_feature[i]].geom->ll;
}

static int distance_matrix(build_t *b)
{
    size_t n = b->net->nnodes;
    b->km = malloc((n ? n * n : 1) * sizeof(double));
    if (b->km == NULL)
        return error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        b->km[i * n + i] = 0;
        for (size_t j = i + 1; j < n; j++) {
            const double *p = node_ll(b->net, i), *q = node_ll(b->net, j);
            double d = geodesy_inverse(p[0], p[1], q[0], q[1]).metres / 1000;
            b->km[i * n + j] = b->km[j * n + i] = d;
        }
    }
    return ERR_OK;
}

static int add_edge(build_t *b, uint32_t a, uint32_t c, int32_t tie)
{
    network_t *net = b->net;
    if (a > c) {
        uint32_t t = a;
        a = c, c = t;
    }
    if (net->nedges == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        network_edge_t *e = realloc(net->edges, cap * sizeof(*e));
        if (e == NULL)
            return error_set(b->err, ERR_NOMEM, "out of memory");
        net->edges = e;
        b->cap = cap;
    }
    const layer_t *l = net->nodes_layer;
    const char *ca = str_value(l, &l->features[net->node_feature[a]], net->country_field);
    const char *cc = str_value(l, &l->features[net->node_feature[c]], net->country_field);
    net->edges[net->nedges++] = (network_edge_t){a, c, b->km[a * net->nnodes + c],
                                                 strcmp(ca, cc) != 0, tie};
    return ERR_OK;
}

static int model_complete(build_t *b)
{
    size_t n = b->net->nnodes;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (add_edge(b, i, j, -1) != ERR_OK)
                return ERR_NOMEM;
    return ERR_OK;
}

static int model_within(build_t *b)
{
    size_t n = b->net->nnodes;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (b->km[i * n + j] <= b->net->params.km && add_edge(b, i, j, -1) != ERR_OK)
                return ERR_NOMEM;
    return ERR_OK;
}

/* qsort has no context: sort (distance, index) pairs instead. */
typedef struct ranked {
    double km;
    uint32_t node;
} ranked_t;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked_t *a = x, *b = y;
    if (a->km != b->km)
        return a->km < b->km ? -1 : 1;
    return (a->node > b->node) - (a->node < b->node);
}

static int model_knn(build_t *b)
{
    size_t n = b->net->nnodes, k = b->net->params.k;
    ranked_t *r = malloc(n * sizeof(*r));
    unsigned char *tied = calloc(n * n, 1);
    int rc = r && tied ? ERR_OK : error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i)
                r[m++] = (ranked_t){b->km[i * n + j], (uint32_t)j};
        qsort(r, m, sizeof(*r), cmp_ranked);
        for (size_t t = 0; t < k && t < m; t++)
            tied[i * n + r[t].node] = tied[r[t].node * n + i] = 1;
    }
    for (uint32_t i = 0; rc == ERR_OK && i < n; i++)
        for (uint32_t j = i + 1; rc == ERR_OK && j < n; j++)
            if (tied[i * n + j])
                rc = add_edge(b, i, j, -1);
    free(r);
    free(tied);
    return rc;
}

static int model_mst(build_t *b)
{
    graph_edge_t *tree = NULL;
    size_t m = 0;
    if (graph_mst(b->net->nnodes, b->km, &tree, &m) != 0)
        return error_set(b->err, ERR_NOMEM, "out of memory");
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < m; i++)
        rc = add_edge(b, tree[i].a, tree[i].b, -1);
    free(tree);
    return rc;
}

/* Delaunay, Gabriel and RNG are planar constructions: made in EPSG:3035,
 * an equal-area projection centred on Europe, not on raw lon/lat. */
static int model_proximity(build_t *b)
{
    size_t n = b->net->nnodes;
    double *xy = malloc((n ? 2 * n : 1) * sizeof(double));
    proximity_edge_t *dt = NULL, *sub = NULL, *use;
    size_t ndt = 0, nsub = 0, nuse;
    if (xy == NULL)
        return error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        memcpy(xy + 2 * i, node_ll(b->net, i), 2 * sizeof(double));
    int rc = crs_lonlat_to_laea(xy, xy, n) == 0
                 ? ERR_OK
                 : error_set(b->err, ERR_CRS, "PROJ cannot project the towns to EPSG:3035");
    if (rc == ERR_OK && proximity_delaunay(xy, n, &dt, &ndt) != 0)
        rc = error_set(b->err, ERR_GEOMETRY, "the Delaunay triangulation failed");
    use = dt, nuse = ndt;
    if (rc == ERR_OK && b->net->params.model != NETWORK_DELAUNAY) {
        int prc = b->net->params.model == NETWORK_GABRIEL
                      ? proximity_gabriel(xy, n, dt, ndt, &sub, &nsub)
                      : proximity_rng(xy, n, dt, ndt, &sub, &nsub);
        if (prc != 0)
            rc = error_set(b->err, ERR_NOMEM, "out of memory");
        use = sub, nuse = nsub;
    }
    for (size_t i = 0; rc == ERR_OK && i < nuse; i++)
        rc = add_edge(b, use[i].a, use[i].b, -1);
    free(xy);
    free(dt);
    free(sub);
    return rc;
}

/* The node index of a nodes-layer feature, or -1 if it is not selected. */
static int node_of_feature(const network_t *net, int feature)
{
    for (size_t i = 0; i < net->nnodes; i++)
        if ((int)net->node_feature[i] == feature)
            return (int)i;
    return -1;
}

static int tie_end(build_t *b, const feature_t *tie, int field, int *node)
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
        return error_set(b->err, ERR_INVALID, "tie %s names '%s', which is no town", tie->id,
                         name);
    *node = node_of_feature(b->net, feature);
    return ERR_OK;
}

static int model_edges(build_t *b)
{
    const layer_t *ties = b->src->ties;
    if (ties == NULL || b->src->from_field < 0 || b->src->to_field < 0)
        return error_set(b->err, ERR_INVALID,
                         "model: 'edges' needs a ties layer with from and to fields in the "
                         "project");
    for (size_t i = 0; i < ties->nfeatures; i++) {
        int a, c;
        if (tie_end(b, &ties->features[i], b->src->from_field, &a) != ERR_OK ||
            tie_end(b, &ties->features[i], b->src->to_field, &c) != ERR_OK)
            return b->err->code;
        if (a < 0 || c < 0 || a == c) /* outside the selected countries, or a loop */
            continue;
        bool seen = false;
        for (size_t e = 0; e < b->net->nedges && !seen; e++)
            seen = b->net->edges[e].a == (uint32_t)(a < c ? a : c) &&
                   b->net->edges[e].b == (uint32_t)(a < c ? c : a);
        if (!seen && add_edge(b, (uint32_t)a, (uint32_t)c, (int32_t)i) != ERR_OK)
            return ERR_NOMEM;
    }
    return ERR_OK;
}

static int check_params(build_t *b)
{
    const network_params_t *p = &b->net->params;
    size_t n = b->net->nnodes;
    if (p->model == NETWORK_KNN && (p->k < 1 || p->k > (n > 1 ? n - 1 : 1)))
        return error_set(b->err, ERR_INVALID, "k: must be 1..%zu for %zu towns", n > 1 ? n - 1 : 1,
                         n);
    if (p->model == NETWORK_WITHIN && !(p->km > 0 && p->km <= 20040))
        return error_set(b->err, ERR_INVALID, "km: must be a distance above 0 and at most "
                                              "20040 (half the equator)");
    return ERR_OK;
}

static int cmp_edge(const void *x, const void *y)
{
    const network_edge_t *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static void keep_cross_border(network_t *net)
{
    size_t kept = 0;
    for (size_t i = 0; i < net->nedges; i++)
        if (net->edges[i].cross_border)
            net->edges[kept++] = net->edges[i];
    net->nedges = kept;
}

static int compute_metrics(build_t *b)
{
    network_t *net = b->net;
    graph_edge_t *ge = malloc((net->nedges ? net->nedges : 1) * sizeof(*ge));
    net->metrics = calloc(net->nnodes ? net->nnodes : 1, sizeof(*net->metrics));
    int rc = ge && net->metrics ? ERR_OK : error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == ERR_OK && i < net->nedges; i++)
        ge[i] = (graph_edge_t){net->edges[i].a, net->edges[i].b, net->edges[i].km};
    if (rc == ERR_OK && graph_metrics(net->nnodes, ge, net->nedges, net->metrics,
                                      &net->summary) != 0)
        rc = error_set(b->err, ERR_NOMEM, "out of memory computing metrics");
    free(ge);
    return rc;
}

static int (*const builders[])(build_t *) = {
    [NETWORK_COMPLETE] = model_complete, [NETWORK_KNN] = model_knn,
    [NETWORK_WITHIN] = model_within,     [NETWORK_MST] = model_mst,
    [NETWORK_DELAUNAY] = model_proximity, [NETWORK_GABRIEL] = model_proximity,
    [NETWORK_RNG] = model_proximity,     [NETWORK_EDGES] = model_edges,
};

int network_build(const network_source_t *src, const network_params_t *params, network_t **out,
                  error_t *err)
{
    *out = NULL;
    network_t *net = calloc(1, sizeof(*net));
    if (net == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    atomic_init(&net->refs, 1);
    net->params = *params;
    net->nodes_layer = src->nodes;
    net->ties_layer = src->ties;
    net->name_field = src->name_field;
    net->country_field = src->country_field;
    build_t b = {.src = src, .net = net, .err = err};
    int rc = select_nodes(&b);
    if (rc == ERR_OK)
        rc = check_params(&b);
    if (rc == ERR_OK)
        rc = distance_matrix(&b);
    if (rc == ERR_OK)
        rc = builders[params->model](&b);
    if (rc == ERR_OK) {
        if (params->cross_border)
            keep_cross_border(net);
        qsort(net->edges, net->nedges, sizeof(*net->edges), cmp_edge);
        rc = compute_metrics(&b);
    }
    free(b.km);
    if (rc != ERR_OK) {
        network_unref(net);
        return rc;
    }
    *out = net;
    return ERR_OK;
}

network_t *network_ref(network_t *net)
{
    atomic_fetch_add_explicit(&net->refs, 1, memory_order_relaxed);
    return net;
}

void network_unref(network_t *net)
{
    if (net == NULL || atomic_fetch_sub_explicit(&net->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(net->node_feature);
    free(net->edges);
    free(net->metrics);
    free(net);
}
