#include "data/dataset.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/source.h"
#include "util/hash.h"
#include "util/text.h"

typedef struct attachment {
    char key[64];
    void *obj;
    void (*destroy)(void *obj);
    struct attachment *next;
} attachment_t;

struct dataset {
    atomic_int refs;
    pthread_mutex_t lock;      /* guards the attachments */
    attachment_t *attachments; /* what later stages derive, freed first */
    layer_t **layers;
    size_t nlayers;
    char *title, *description, *attribution, *attribution_short;
    contact_t contact;
    char version[17];
    time_t loaded_at;
    double load_ms;
};

/* Strings are hashed with their NUL, so "ab","c" and "a","bc" differ. */
static uint64_t hash_str(uint64_t h, const char *s)
{
    return hash_fnv1a(h, s, strlen(s) + 1);
}

static uint64_t hash_layer(uint64_t h, const layer_t *layer)
{
    h = hash_str(h, layer->id);
    for (size_t i = 0; i < layer->nfields; i++)
        h = hash_str(h, layer->fields[i].name);
    for (size_t i = 0; i < layer->nfeatures; i++) {
        const feature_t *f = &layer->features[i];
        h = hash_str(h, f->id);
        h = hash_fnv1a(h, f->geom->ll, 2 * sizeof(double) * f->geom->npoints);
        for (size_t k = 0; k < layer->nfields; k++) {
            const value_t *v = &f->values[k];
            if (v->is_null)
                h = hash_fnv1a(h, "\xff", 1);
            else if (layer->fields[k].type == FIELD_STRING)
                h = hash_str(h, v->u.s);
            else
                h = hash_fnv1a(h, &v->u, sizeof(v->u));
        }
    }
    return h;
}

static void free_dataset(dataset_t *ds)
{
    for (attachment_t *a = ds->attachments, *next; a; a = next) {
        next = a->next;
        a->destroy(a->obj);
        free(a);
    }
    pthread_mutex_destroy(&ds->lock);
    for (size_t i = 0; i < ds->nlayers; i++)
        layer_destroy(ds->layers[i]);
    free(ds->layers);
    free(ds->title);
    free(ds->description);
    free(ds->attribution);
    free(ds->attribution_short);
    contact_free(&ds->contact);
    free(ds);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int dataset_load_with(const project_t *project, const dataset_hook_fn *hooks, size_t nhooks,
                      dataset_t **out, error_t *err)
{
    double start = now_ms();
    *out = NULL;
    dataset_t *ds = calloc(1, sizeof(*ds));
    if (ds == NULL || !(ds->layers = calloc(project->nlayers, sizeof(layer_t *)))) {
        free(ds);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    atomic_init(&ds->refs, 1);
    pthread_mutex_init(&ds->lock, NULL);
    ds->title = text_dup(project->title);
    ds->description = text_dup(project->description);
    ds->attribution = text_dup(project->attribution);
    ds->attribution_short =
        text_dup(project->attribution_short ? project->attribution_short : project->attribution);
    const contact_t *pc = &project->contact;
    ds->contact = (contact_t){text_dup(pc->person), text_dup(pc->organization),
                              text_dup(pc->position), text_dup(pc->email), text_dup(pc->phone)};
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < project->nlayers; i++)
        if ((rc = source_load(&project->layers[i], &ds->layers[i], err)) == ERR_OK) ds->nlayers++;
    for (size_t i = 0; rc == ERR_OK && i < nhooks; i++)
        rc = hooks[i](ds, project, err);
    if (rc != ERR_OK) {
        free_dataset(ds);
        return rc;
    }
    uint64_t h = HASH_FNV_START; /* over every layer, those of the hooks too */
    for (size_t i = 0; i < ds->nlayers; i++)
        h = hash_layer(h, ds->layers[i]);
    snprintf(ds->version, sizeof(ds->version), "%016" PRIx64, h);
    ds->loaded_at = time(NULL);
    ds->load_ms = now_ms() - start;
    *out = ds;
    return ERR_OK;
}

int dataset_load(const project_t *project, dataset_t **out, error_t *err)
{
    return dataset_load_with(project, NULL, 0, out, err);
}

int dataset_add_layer(dataset_t *ds, layer_t *layer, error_t *err)
{
    if (dataset_find_layer(ds, layer->id)) {
        error_set(err, ERR_DUPLICATE, "layer id '%s' is taken", layer->id);
        layer_destroy(layer);
        return ERR_DUPLICATE;
    }
    layer_t **layers = realloc(ds->layers, (ds->nlayers + 1) * sizeof(*layers));
    if (layers == NULL) {
        layer_destroy(layer);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    ds->layers = layers;
    ds->layers[ds->nlayers++] = layer;
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

bbox_t dataset_extent(const dataset_t *ds)
{
    bbox_t all = bbox_empty();
    for (size_t i = 0; i < ds->nlayers; i++)
        all = bbox_union(all, ds->layers[i]->extent);
    return all;
}

void *dataset_attachment(dataset_t *ds, const char *key, void *(*create)(void *arg),
                         void (*destroy)(void *obj), void *arg)
{
    pthread_mutex_lock(&ds->lock);
    attachment_t *a = ds->attachments;
    while (a && strcmp(a->key, key) != 0)
        a = a->next;
    if (a == NULL && create && (a = calloc(1, sizeof(*a))) != NULL) {
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
    pthread_mutex_unlock(&ds->lock);
    return obj;
}

const contact_t *dataset_contact(const dataset_t *ds)
{
    return &ds->contact;
}

const char *dataset_attribution_short(const dataset_t *ds)
{
    return ds->attribution_short;
}
