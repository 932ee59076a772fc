#include "data/dataset.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network_out.h"
#include "data/source.h"

#define NETWORK_CACHE 64

/* Bytes the networks cached per dataset may hold (set once at start). */
static size_t network_cache_budget = (size_t)64 << 20;

typedef struct cached_network {
    char key[192];
    network_t *net;
} cached_network_t;

typedef struct attachment {
    char key[64];
    void *obj;
    void (*destroy)(void *obj);
    struct attachment *next;
} attachment_t;

struct dataset {
    atomic_int refs;
    attachment_t *attachments; /* guarded by cache_lock */
    network_source_t net_src;
    bool has_network;
    pthread_mutex_t cache_lock;            /* guards the cache below */
    cached_network_t cache[NETWORK_CACHE]; /* oldest first */
    size_t ncache, cache_bytes;
    layer_t **layers;
    size_t nlayers;
    char *title, *description, *attribution, *attribution_short;
    char version[17];
    time_t loaded_at;
    double load_ms;
};

/* FNV-1a, 64 bit: a fingerprint of the content, not a security hash. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1);
}

static uint64_t hash_layer(uint64_t h, const layer_t *layer)
{
    h = hash_str(h, layer->id);
    for (size_t i = 0; i < layer->nfields; i++)
        h = hash_str(h, layer->fields[i].name);
    for (size_t i = 0; i < layer->nfeatures; i++) {
        const feature_t *f = &layer->features[i];
        h = hash_str(h, f->id);
        h = fnv(h, f->geom->ll, 2 * sizeof(double) * f->geom->npoints);
        for (size_t k = 0; k < layer->nfields; k++) {
            const value_t *v = &f->values[k];
            if (v->is_null)
                h = fnv(h, "\xff", 1);
            else if (layer->fields[k].type == FIELD_STRING)
                h = hash_str(h, v->u.s);
            else
                h = fnv(h, &v->u, sizeof(v->u));
        }
    }
    return h;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void free_dataset(dataset_t *ds)
{
    for (size_t i = 0; i < ds->ncache; i++)
        network_unref(ds->cache[i].net);
    for (attachment_t *a = ds->attachments, *next; a; a = next) {
        next = a->next;
        a->destroy(a->obj);
        free(a);
    }
    pthread_mutex_destroy(&ds->cache_lock);
    for (size_t i = 0; i < ds->nlayers; i++)
        layer_destroy(ds->layers[i]);
    free(ds->layers);
    free(ds->title);
    free(ds->description);
    free(ds->attribution);
    free(ds->attribution_short);
    free(ds);
}

static int find_field(const layer_t *layer, const char *name, int *out, error_t *err)
{
    *out = layer_field_index(layer, name);
    if (*out < 0)
        return error_set(err, ERR_NOTFOUND, "network: layer '%s' has no field '%s'", layer->id,
                         name);
    return ERR_OK;
}

static int resolve_network(dataset_t *ds, const network_spec_t *spec, error_t *err)
{
    network_source_t *src = &ds->net_src;
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
    ds->has_network = rc == ERR_OK;
    return rc;
}

/* Resolves the project's network and adds its default model as a layer. */
static int setup_network(dataset_t *ds, const network_spec_t *spec, error_t *err)
{
    network_params_t params = {.k = spec->k, .km = spec->km};
    network_t *net = NULL;
    layer_t *layer = NULL;
    if (dataset_find_layer(ds, spec->collection))
        return error_set(err, ERR_DUPLICATE, "network: collection id '%s' is taken by a layer",
                         spec->collection);
    int rc = resolve_network(ds, spec, err);
    if (rc == ERR_OK && network_model_parse(spec->model, &params.model) != 0)
        rc = error_set(err, ERR_INVALID, "network: unknown model '%s'", spec->model);
    if (rc == ERR_OK) rc = network_build(&ds->net_src, &params, &net, err);
    if (rc == ERR_OK) rc = network_to_layer(net, spec->collection, spec->title, &layer, err);
    network_unref(net);
    layer_t **layers =
        rc == ERR_OK ? realloc(ds->layers, (ds->nlayers + 1) * sizeof(*layers)) : NULL;
    if (rc == ERR_OK && layers == NULL) rc = error_set(err, ERR_NOMEM, "out of memory");
    if (rc != ERR_OK) {
        layer_destroy(layer);
        return rc;
    }
    ds->layers = layers;
    ds->layers[ds->nlayers++] = layer;
    return ERR_OK;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int dataset_load(const project_t *project, dataset_t **out, error_t *err)
{
    double start = now_ms();
    *out = NULL;
    dataset_t *ds = calloc(1, sizeof(*ds));
    if (ds == NULL || !(ds->layers = calloc(project->nlayers, sizeof(layer_t *)))) {
        free(ds);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    atomic_init(&ds->refs, 1);
    pthread_mutex_init(&ds->cache_lock, NULL);
    ds->title = dup_or_null(project->title);
    ds->description = dup_or_null(project->description);
    ds->attribution = dup_or_null(project->attribution);
    ds->attribution_short =
        dup_or_null(project->attribution_short ? project->attribution_short : project->attribution);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < project->nlayers; i++) {
        int rc = source_load(&project->layers[i], &ds->layers[i], err);
        if (rc != ERR_OK) {
            free_dataset(ds);
            return rc;
        }
        ds->nlayers++;
        h = hash_layer(h, ds->layers[i]);
    }
    if (project->network) {
        int rc = setup_network(ds, project->network, err);
        if (rc != ERR_OK) {
            free_dataset(ds);
            return rc;
        }
        h = hash_layer(h, ds->layers[ds->nlayers - 1]);
    }
    snprintf(ds->version, sizeof(ds->version), "%016" PRIx64, h);
    ds->loaded_at = time(NULL);
    ds->load_ms = now_ms() - start;
    *out = ds;
    return ERR_OK;
}

dataset_t *dataset_ref(dataset_t *ds)
{
    atomic_fetch_add_explicit(&ds->refs, 1, memory_order_relaxed);
    return ds;
}

void dataset_unref(dataset_t *ds)
{
    if (ds && atomic_fetch_sub_explicit(&ds->refs, 1, memory_order_acq_rel) == 1) free_dataset(ds);
}

size_t dataset_layer_count(const dataset_t *ds)
{
    return ds->nlayers;
}

const layer_t *dataset_layer(const dataset_t *ds, size_t i)
{
    return i < ds->nlayers ? ds->layers[i] : NULL;
}

const layer_t *dataset_find_layer(const dataset_t *ds, const char *id)
{
    for (size_t i = 0; i < ds->nlayers; i++)
        if (strcmp(ds->layers[i]->id, id) == 0) return ds->layers[i];
    return NULL;
}

const char *dataset_title(const dataset_t *ds)
{
    return ds->title ? ds->title : "coopmap";
}

const char *dataset_description(const dataset_t *ds)
{
    return ds->description;
}

const char *dataset_attribution(const dataset_t *ds)
{
    return ds->attribution;
}

const char *dataset_version(const dataset_t *ds)
{
    return ds->version;
}

time_t dataset_loaded_at(const dataset_t *ds)
{
    return ds->loaded_at;
}

double dataset_load_ms(const dataset_t *ds)
{
    return ds->load_ms;
}

const network_source_t *dataset_network_source(const dataset_t *ds)
{
    return ds->has_network ? &ds->net_src : NULL;
}

/* Drops the oldest cached network (requests holding it keep it). Lock held. */
static void evict_oldest(dataset_t *ds)
{
    network_t *net = ds->cache[0].net;
    ds->cache_bytes -= network_bytes(net);
    network_unref(net);
    memmove(ds->cache, ds->cache + 1, --ds->ncache * sizeof(ds->cache[0]));
}

void dataset_set_network_cache(size_t bytes)
{
    network_cache_budget = bytes;
}

void dataset_network_cache_stats(dataset_t *ds, size_t *bytes, size_t *entries)
{
    pthread_mutex_lock(&ds->cache_lock);
    *bytes = ds->cache_bytes;
    *entries = ds->ncache;
    pthread_mutex_unlock(&ds->cache_lock);
}

int dataset_network(dataset_t *ds, const network_params_t *params, network_t **out, error_t *err)
{
    char key[192];
    *out = NULL;
    if (!ds->has_network) return error_set(err, ERR_NOTFOUND, "this project defines no network");
    network_params_key(params, key, sizeof(key));
    pthread_mutex_lock(&ds->cache_lock);
    for (size_t i = 0; i < ds->ncache && *out == NULL; i++)
        if (strcmp(ds->cache[i].key, key) == 0) *out = network_ref(ds->cache[i].net);
    pthread_mutex_unlock(&ds->cache_lock);
    if (*out) return ERR_OK;
    int rc = network_build(&ds->net_src, params, out, err);
    if (rc != ERR_OK) return rc;
    /* Two requests may build the same network at once; the second one
     * simply finds the key taken and keeps its own copy uncached. */
    size_t bytes = network_bytes(*out);
    pthread_mutex_lock(&ds->cache_lock);
    bool taken = false;
    for (size_t i = 0; i < ds->ncache && !taken; i++)
        taken = strcmp(ds->cache[i].key, key) == 0;
    if (!taken && bytes <= network_cache_budget) {
        while (ds->ncache > 0 &&
               (ds->ncache == NETWORK_CACHE || ds->cache_bytes + bytes > network_cache_budget))
            evict_oldest(ds);
        snprintf(ds->cache[ds->ncache].key, sizeof(key), "%s", key);
        ds->cache[ds->ncache++].net = network_ref(*out);
        ds->cache_bytes += bytes;
    }
    pthread_mutex_unlock(&ds->cache_lock);
    return ERR_OK;
}

void *dataset_attachment(dataset_t *ds, const char *key, void *(*create)(void *arg),
                         void (*destroy)(void *obj), void *arg)
{
    pthread_mutex_lock(&ds->cache_lock);
    attachment_t *a = ds->attachments;
    while (a && strcmp(a->key, key) != 0)
        a = a->next;
    if (a == NULL && (a = calloc(1, sizeof(*a))) != NULL) {
        snprintf(a->key, sizeof(a->key), "%s", key);
        a->obj = create(arg);
        a->destroy = destroy;
        if (a->obj == NULL) {
            free(a);
            a = NULL;
        } else {
            a->next = ds->attachments;
            ds->attachments = a;
        }
    }
    void *obj = a ? a->obj : NULL;
    pthread_mutex_unlock(&ds->cache_lock);
    return obj;
}

const char *dataset_attribution_short(const dataset_t *ds)
{
    return ds->attribution_short;
}
