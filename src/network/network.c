#include "network/network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network_build.h"
#include "util/text.h"

static const char *const model_names[] = {"complete", "knn",     "within", "mst",
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
            return ERR_OK;
        }
    return ERR_INVALID;
}

void network_params_key(const network_params_t *p, char *out, size_t size)
{
    int n = snprintf(out, size, "%s", model_names[p->model]);
    if (p->model == NETWORK_KNN) n += snprintf(out + n, size - (size_t)n, ";k=%u", p->k);
    if (p->model == NETWORK_WITHIN) n += snprintf(out + n, size - (size_t)n, ";km=%.17g", p->km);
    if (p->cross_border) n += snprintf(out + n, size - (size_t)n, ";cross_border");
    for (size_t i = 0; i < p->ncountries && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, "%s%s", i ? "," : ";country=", p->countries[i]);
}

const char *network_text(const layer_t *l, const feature_t *f, int field)
{
    if (field < 0 || f->values[field].is_null || l->fields[field].type != FIELD_STRING) return "";
    return f->values[field].u.s;
}

/* --- towns by name ----------------------------------------------------------- */

/* Folded as text_equal_folded() folds: to at most 255 bytes. */
#define FOLDED_MAX 256

static int cmp_name(const void *x, const void *y)
{
    const network_name_t *a = x, *b = y;
    int c = strcmp(a->folded, b->folded);
    return c ? c : (a->feature > b->feature) - (a->feature < b->feature);
}

int network_names_index(network_source_t *src)
{
    const layer_t *l = src->nodes;
    size_t n = l->nfeatures, text = 0;
    char folded[FOLDED_MAX];
    for (size_t i = 0; i < n; i++) {
        text_fold(network_text(l, &l->features[i], src->name_field), folded, sizeof(folded));
        text += strlen(folded) + 1;
    }
    /* One block: the entries, then their names. */
    network_name_t *names = malloc(n * sizeof(*names) + text + 1);
    if (names == NULL) return ERR_NOMEM;
    char *at = (char *)(names + n);
    for (size_t i = 0; i < n; i++) {
        text_fold(network_text(l, &l->features[i], src->name_field), folded, sizeof(folded));
        size_t len = strlen(folded) + 1;
        names[i] = (network_name_t){memcpy(at, folded, len), (uint32_t)i};
        at += len;
    }
    qsort(names, n, sizeof(*names), cmp_name);
    src->names = names;
    return ERR_OK;
}

void network_names_free(network_source_t *src)
{
    free(src->names);
    src->names = NULL;
}

/* The lowest feature with that folded name: the one the scan would find. */
static int find_by_name(const network_source_t *src, const char *text)
{
    char key[FOLDED_MAX];
    size_t lo = 0, hi = src->nodes->nfeatures;
    text_fold(text, key, sizeof(key));
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(src->names[mid].folded, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < src->nodes->nfeatures && strcmp(src->names[lo].folded, key) == 0
               ? (int)src->names[lo].feature
               : -1;
}

int network_find_node(const network_source_t *src, const char *text)
{
    const layer_t *l = src->nodes;
    const feature_t *byid = layer_find(l, text);
    if (byid) return (int)(byid - l->features);
    if (src->names) return find_by_name(src, text);
    for (size_t i = 0; i < l->nfeatures; i++)
        if (text_equal_folded(network_text(l, &l->features[i], src->name_field), text))
            return (int)i;
    return -1;
}

int network_params_parse(network_params_t *p, const char *model, const char *k, const char *km,
                         const char *cross_border, const char *country, error_t *err)
{
    *p = (network_params_t){.model = NETWORK_MST, .k = 3, .km = 25};
    char *end;
    if (model && network_model_parse(model, &p->model) != 0)
        return error_set(err, ERR_INVALID,
                         "model: unknown model '%.40s'; use complete, knn, "
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
    size_t n;
    for (const char *cur = country, *c; (c = text_list_next(&cur, &n));) {
        if (n != 2 || p->ncountries == NETWORK_MAX_COUNTRIES)
            return error_set(err, ERR_INVALID,
                             "country: want up to %d two-letter codes like "
                             "SI,AT, got '%.40s'",
                             NETWORK_MAX_COUNTRIES, country);
        snprintf(p->countries[p->ncountries++], 4, "%c%c", c[0] & ~0x20, c[1] & ~0x20);
    }
    return ERR_OK;
}

int network_find_nodes(const network_source_t *src, const char *list, uint32_t **out, size_t *n,
                       error_t *err)
{
    size_t cap = src->nodes->nfeatures + 1;
    *n = 0;
    *out = malloc(cap * sizeof(uint32_t));
    if (*out == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    if (list == NULL || *list == '\0') {
        for (size_t i = 0; i < src->nodes->nfeatures; i++)
            (*out)[(*n)++] = (uint32_t)i;
        return ERR_OK;
    }
    size_t len;
    for (const char *cur = list, *p; (p = text_list_next(&cur, &len));) {
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), p);
        int node = network_find_node(src, name);
        if (node < 0 || *n == cap) {
            free(*out);
            *out = NULL;
            return error_set(err, ERR_INVALID,
                             node < 0 ? "unknown town '%s'" : "too many towns, at '%s'", name);
        }
        (*out)[(*n)++] = (uint32_t)node;
    }
    return ERR_OK;
}

/* --- building -------------------------------------------------------------- */

static bool country_selected(const network_params_t *p, const char *country)
{
    if (p->ncountries == 0) return true;
    for (size_t i = 0; i < p->ncountries; i++)
        if (strcmp(p->countries[i], country) == 0) return true;
    return false;
}

static int select_nodes(build_t *b)
{
    const layer_t *l = b->src->nodes;
    network_t *net = b->net;
    net->node_feature = malloc((l->nfeatures ? l->nfeatures : 1) * sizeof(uint32_t));
    if (net->node_feature == NULL) return error_set(b->err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < l->nfeatures; i++) {
        const char *country = network_text(l, &l->features[i], b->src->country_field);
        if (country_selected(&net->params, country)) net->node_feature[net->nnodes++] = (uint32_t)i;
    }
    for (size_t c = 0; c < net->params.ncountries; c++) {
        bool found = false;
        for (size_t i = 0; i < net->nnodes && !found; i++)
            found =
                strcmp(network_text(l, &l->features[net->node_feature[i]], b->src->country_field),
                       net->params.countries[c]) == 0;
        if (!found)
            return error_set(b->err, ERR_INVALID, "country: no town in '%s'",
                             net->params.countries[c]);
    }
    return ERR_OK;
}

/* Bounds on the ties a model makes on n towns, before the cross-border
 * filter; every pair when the model sets no better bound. */
static void ties_bounds(const network_source_t *src, const network_params_t *p, double n,
                        double *lo, double *hi)
{
    double pairs = n > 1 ? n * (n - 1) / 2 : 0, k = fmin(p->k, n > 1 ? n - 1 : 0);
    *lo = 0, *hi = pairs;
    switch (p->model) {
    case NETWORK_COMPLETE:
        *lo = pairs;
        break;
    case NETWORK_KNN: /* every town has k distinct neighbours */
        *lo = ceil(n * k / 2), *hi = fmin(pairs, n * k);
        break;
    case NETWORK_MST:
        *lo = *hi = n > 0 ? n - 1 : 0;
        break;
    case NETWORK_DELAUNAY: /* planar: at most 3n - 6, one more per duplicate */
    case NETWORK_GABRIEL:
    case NETWORK_RNG:
        *hi = fmin(pairs, 3 * n);
        break;
    case NETWORK_EDGES:
        *hi = fmin(pairs, src->ties ? (double)src->ties->nfeatures : 0);
        break;
    case NETWORK_WITHIN:
        break;
    }
}

network_estimate_t network_estimate(const network_source_t *src, const network_params_t *params)
{
    network_estimate_t e = {.nodes = src->nodes->nfeatures};
    if (params->ncountries) {
        e.nodes = 0;
        for (size_t i = 0; i < src->nodes->nfeatures; i++)
            e.nodes += country_selected(
                params, network_text(src->nodes, &src->nodes->features[i], src->country_field));
    }
    ties_bounds(src, params, (double)e.nodes, &e.ties_min, &e.ties_max);
    if (params->cross_border) e.ties_min = 0;
    return e;
}

int network_build_check_time(build_t *b)
{
    if (!deadline_passed(b->limits.deadline)) return ERR_OK;
    return error_set(b->err, ERR_TIMEOUT, "building the '%s' network of %zu towns did not finish",
                     network_model_name(b->net->params.model), b->net->nnodes);
}

/* Refuses, before making any tie, a model that must make too many. */
static int check_ties(build_t *b)
{
    double lo, hi;
    size_t max = b->limits.max_ties;
    ties_bounds(b->src, &b->net->params, (double)b->net->nnodes, &lo, &hi);
    if (max == 0 || lo <= (double)max) return ERR_OK;
    return error_set(b->err, ERR_TOOBIG, "the '%s' network of %zu towns would have %s%.0f ties",
                     network_model_name(b->net->params.model), b->net->nnodes,
                     lo < hi ? "at least " : "", lo);
}

static int check_params(build_t *b)
{
    const network_params_t *p = &b->net->params;
    size_t n = b->net->nnodes;
    if (p->model == NETWORK_KNN && (p->k < 1 || p->k > (n > 1 ? n - 1 : 1)))
        return error_set(b->err, ERR_INVALID, "k: must be 1..%zu for %zu towns", n > 1 ? n - 1 : 1,
                         n);
    if (p->model == NETWORK_COMPLETE && n > NETWORK_COMPLETE_MAX)
        return error_set(b->err, ERR_INVALID,
                         "model: complete on %zu towns would make %zu ties; "
                         "it is offered up to %d towns",
                         n, n * (n - 1) / 2, NETWORK_COMPLETE_MAX);
    if (p->model == NETWORK_WITHIN && !(p->km > 0 && p->km <= 20040))
        return error_set(b->err, ERR_INVALID,
                         "km: must be a distance above 0 and at most "
                         "20040 (half the equator)");
    return ERR_OK;
}

static int cmp_edge(const void *x, const void *y)
{
    const network_edge_t *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static void keep_cross_border(network_t *net)
{
    size_t kept = 0;
    for (size_t i = 0; i < net->nedges; i++)
        if (net->edges[i].cross_border) net->edges[kept++] = net->edges[i];
    net->nedges = kept;
}

static int (*const builders[])(build_t *) = {
    [NETWORK_COMPLETE] = network_model_complete,  [NETWORK_KNN] = network_model_knn,
    [NETWORK_WITHIN] = network_model_within,      [NETWORK_MST] = network_model_mst,
    [NETWORK_DELAUNAY] = network_model_proximity, [NETWORK_GABRIEL] = network_model_proximity,
    [NETWORK_RNG] = network_model_proximity,      [NETWORK_EDGES] = network_model_edges,
};

int network_build(const network_source_t *src, const network_params_t *params, network_t **out,
                  error_t *err)
{
    return network_build_limited(src, params, NULL, out, err);
}

int network_build_limited(const network_source_t *src, const network_params_t *params,
                          const network_limits_t *limits, network_t **out, error_t *err)
{
    *out = NULL;
    network_t *net = calloc(1, sizeof(*net));
    if (net == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    atomic_init(&net->refs, 1);
    pthread_mutex_init(&net->metrics_lock, NULL);
    net->params = *params;
    net->nodes_layer = src->nodes;
    net->ties_layer = src->ties;
    net->name_field = src->name_field;
    net->country_field = src->country_field;
    build_t b = {.src = src, .net = net, .err = err};
    if (limits) b.limits = *limits;
    int rc = select_nodes(&b);
    if (rc == ERR_OK) rc = check_params(&b);
    if (rc == ERR_OK) rc = check_ties(&b);
    if (rc == ERR_OK) rc = network_planar_setup(&b);
    if (rc == ERR_OK) rc = network_build_check_time(&b);
    if (rc == ERR_OK) rc = builders[params->model](&b);
    if (rc == ERR_OK) {
        if (params->cross_border) keep_cross_border(net);
        if (net->nedges) /* edges is NULL when there are none */
            qsort(net->edges, net->nedges, sizeof(*net->edges), cmp_edge);
    }
    network_build_cleanup(&b);
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
    if (net == NULL || atomic_fetch_sub_explicit(&net->refs, 1, memory_order_acq_rel) != 1) return;
    pthread_mutex_destroy(&net->metrics_lock);
    free(net->node_feature);
    free(net->edges);
    free(net->metrics);
    free(net);
}

int network_metrics(network_t *net)
{
    return network_metrics_until(net, DEADLINE_NONE);
}

int network_metrics_until(network_t *net, deadline_t deadline)
{
    pthread_mutex_lock(&net->metrics_lock);
    int rc = ERR_OK;
    if (net->metrics == NULL) {
        graph_edge_t *ge = malloc((net->nedges ? net->nedges : 1) * sizeof(*ge));
        graph_node_metrics_t *m = calloc(net->nnodes ? net->nnodes : 1, sizeof(*m));
        for (size_t i = 0; ge && i < net->nedges; i++)
            ge[i] = (graph_edge_t){net->edges[i].a, net->edges[i].b, net->edges[i].km};
        rc = ge && m ? graph_metrics_until(net->nnodes, ge, net->nedges, m, &net->summary, deadline)
                     : ERR_NOMEM;
        if (rc == ERR_OK) net->metrics = m, m = NULL;
        free(ge);
        free(m);
    }
    pthread_mutex_unlock(&net->metrics_lock);
    return rc;
}

double network_metrics_cost(const network_t *net)
{
    return (double)net->nnodes * (double)(net->nnodes + net->nedges);
}

size_t network_bytes(const network_t *net)
{
    /* Metrics counted as if computed: an upper bound, read without the
     * metrics lock (which a long computation may hold). */
    return sizeof(*net) + net->nnodes * (sizeof(*net->node_feature) + sizeof(*net->metrics)) +
           net->nedges * sizeof(*net->edges);
}
