#include "dataset.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

struct dataset {
    atomic_int refs;
    layer_t **layers;
    size_t nlayers;
    char *title, *description, *attribution;
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
    for (size_t i = 0; i < ds->nlayers; i++)
        layer_destroy(ds->layers[i]);
    free(ds->layers);
    free(ds->title);
    free(ds->description);
    free(ds->attribution);
    free(ds);
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
    ds->title = dup_or_null(project->title);
    ds->description = dup_or_null(project->description);
    ds->attribution = dup_or_null(project->attribution);
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
    if (ds && atomic_fetch_sub_explicit(&ds->refs, 1, memory_order_acq_rel) == 1)
        free_dataset(ds);
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
        if (strcmp(ds->layers[i]->id, id) == 0)
            return ds->layers[i];
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
