#include "network/networks.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network_out.h"

#define CACHE_ENTRIES 64
#define ATTACHMENT    "networks"

/* Bytes the networks cached per dataset may hold (set once at start). */
static size_t cache_budget = (size_t)64 << 20;

typedef struct cached_network {
    char key[192];
    network_t *net;
} cached_network_t;

typedef struct networks {
    network_source_t src;
    pthread_mutex_t lock;                  /* guards the cache */
    cached_network_t cache[CACHE_ENTRIES]; /* oldest first */
    size_t ncache, bytes;
} networks_t;

static void *hand_over(void *prepared)
{
    return prepared;
}

static void networks_free(void *obj)
{
    networks_t *n = obj;
    for (size_t i = 0; i < n->ncache; i++)
        network_unref(n->cache[i].net);
    network_names_free(&n->src);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

static int find_field(const layer_t *layer, const char *name, int *out, error_t *err)
{
    *out = layer_field_index(layer, name);
    if (*out < 0)
        return error_set(err, ERR_NOTFOUND, "network: layer '%s' has no field '%s'", layer->id,
                         name);
    return ERR_OK;
}

static int resolve(dataset_t *ds, const network_spec_t *spec, network_source_t *src, error_t *err)
{
    src->nodes = dataset_find_layer(ds, spec->nodes);
    if (src->nodes == NULL)
        return error_set(err, ERR_NOTFOUND, "network: no layer '%s' for the towns", spec->nodes);
    if (src->nodes->geom_type != GEOM_POINT)
        return error_set(err, ERR_INVALID, "network: layer '%s' must hold points", spec->nodes);
    int rc = find_field(src->nodes, spec->name_field, &src->name_field, err);
    if (rc == ERR_OK) rc = find_field(src->nodes, spec->country_field, &src->country_field, err);
    src->from_field = src->to_field = -1;
    if (rc == ERR_OK && spec->ties) {
        src->ties = dataset_find_layer(ds, spec->ties);
        if (src->ties == NULL)
            return error_set(err, ERR_NOTFOUND, "network: no layer '%s' for the ties", spec->ties);
        rc = find_field(src->ties, spec->from_field, &src->from_field, err);
        if (rc == ERR_OK) rc = find_field(src->ties, spec->to_field, &src->to_field, err);
    }
    if (rc == ERR_OK && network_names_index(src) != ERR_OK)
        rc = error_set(err, ERR_NOMEM, "out of memory");
    return rc;
}

/* The default model as a layer of its own (the network collection). */
static int default_layer(const network_source_t *src, const network_spec_t *spec, layer_t **out,
                         error_t *err)
{
    network_params_t params = {.k = spec->k, .km = spec->km};
    network_t *net = NULL;
    *out = NULL;
    if (network_model_parse(spec->model, &params.model) != 0)
        return error_set(err, ERR_INVALID, "network: unknown model '%s'", spec->model);
    int rc = network_build(src, &params, &net, err);
    if (rc == ERR_OK) rc = network_to_layer(net, spec->collection, spec->title, out, err);
    network_unref(net);
    return rc;
}

int networks_attach(dataset_t *ds, const project_t *project, error_t *err)
{
    const network_spec_t *spec = project->network;
    if (spec == NULL) return ERR_OK;
    if (dataset_find_layer(ds, spec->collection))
        return error_set(err, ERR_DUPLICATE, "network: collection id '%s' is taken by a layer",
                         spec->collection);
    networks_t *n = calloc(1, sizeof(*n));
    if (n == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    pthread_mutex_init(&n->lock, NULL);
    layer_t *layer = NULL;
    int rc = resolve(ds, spec, &n->src, err);
    if (rc == ERR_OK) rc = default_layer(&n->src, spec, &layer, err);
    if (rc == ERR_OK) rc = dataset_add_layer(ds, layer, err); /* takes the layer */
    if (rc == ERR_OK && dataset_attachment(ds, ATTACHMENT, hand_over, networks_free, n) != n)
        rc = error_set(err, ERR_NOMEM, "out of memory");
    if (rc != ERR_OK) networks_free(n);
    return rc;
}

static networks_t *of(dataset_t *ds)
{
    return dataset_attachment(ds, ATTACHMENT, NULL, NULL, NULL);
}

const network_source_t *networks_source(dataset_t *ds)
{
    networks_t *n = of(ds);
    return n ? &n->src : NULL;
}

/* Drops the oldest cached network (requests holding it keep it). Lock held. */
static void evict_oldest(networks_t *n)
{
    network_t *net = n->cache[0].net;
    n->bytes -= network_bytes(net);
    network_unref(net);
    memmove(n->cache, n->cache + 1, --n->ncache * sizeof(n->cache[0]));
}

/* Keeps net under key unless the key is taken (two requests built the same
 * network at once: the second keeps its copy uncached) or it is too big. */
static void remember(networks_t *n, const char *key, network_t *net)
{
    size_t bytes = network_bytes(net);
    pthread_mutex_lock(&n->lock);
    bool taken = false;
    for (size_t i = 0; i < n->ncache && !taken; i++)
        taken = strcmp(n->cache[i].key, key) == 0;
    if (!taken && bytes <= cache_budget) {
        while (n->ncache > 0 && (n->ncache == CACHE_ENTRIES || n->bytes + bytes > cache_budget))
            evict_oldest(n);
        snprintf(n->cache[n->ncache].key, sizeof(n->cache[0].key), "%s", key);
        n->cache[n->ncache++].net = network_ref(net);
        n->bytes += bytes;
    }
    pthread_mutex_unlock(&n->lock);
}

int networks_get(dataset_t *ds, const network_params_t *params, network_t **out, error_t *err)
{
    return networks_get_limited(ds, params, NULL, out, err);
}

int networks_get_limited(dataset_t *ds, const network_params_t *params,
                         const network_limits_t *limits, network_t **out, error_t *err)
{
    networks_t *n = of(ds);
    char key[192];
    *out = NULL;
    if (n == NULL) return error_set(err, ERR_NOTFOUND, "this project defines no network");
    network_params_key(params, key, sizeof(key));
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < n->ncache && *out == NULL; i++)
        if (strcmp(n->cache[i].key, key) == 0) *out = network_ref(n->cache[i].net);
    pthread_mutex_unlock(&n->lock);
    if (*out) return ERR_OK;
    int rc = network_build_limited(&n->src, params, limits, out, err);
    if (rc == ERR_OK) remember(n, key, *out);
    return rc;
}

void networks_set_cache_budget(size_t bytes)
{
    cache_budget = bytes;
}

void networks_cache_stats(dataset_t *ds, size_t *bytes, size_t *entries)
{
    networks_t *n = of(ds);
    *bytes = *entries = 0;
    if (n == NULL) return;
    pthread_mutex_lock(&n->lock);
    *bytes = n->bytes;
    *entries = n->ncache;
    pthread_mutex_unlock(&n->lock);
}
