/* A dataset: every layer of a project, loaded all-or-nothing, with a
 * content version. Reference-counted so a reload can swap in a new dataset
 * while requests that hold the old one finish with it. */
#ifndef COOPMAP_DATASET_H
#define COOPMAP_DATASET_H

#include <stddef.h>
#include <time.h>

#include "util/error.h"
#include "data/layer.h"
#include "network/network.h"
#include "data/project.h"

typedef struct dataset dataset_t;

/* Loads every layer of the project. Either all layers load and *out holds a
 * dataset with one reference (release with dataset_unref()), or nothing is
 * kept, *out is NULL and err says what failed. */
int dataset_load(const project_t *project, dataset_t **out, error_t *err);

/* Takes another reference; returns ds. Thread-safe. */
dataset_t *dataset_ref(dataset_t *ds);

/* Drops a reference, freeing the dataset with the last one; NULL is a no-op.
 * Thread-safe. */
void dataset_unref(dataset_t *ds);

size_t dataset_layer_count(const dataset_t *ds);

/* Borrowed from the dataset: valid while the caller holds a reference. */
const layer_t *dataset_layer(const dataset_t *ds, size_t i);
const layer_t *dataset_find_layer(const dataset_t *ds, const char *id);

const char *dataset_title(const dataset_t *ds);
const char *dataset_description(const dataset_t *ds);       /* may be NULL */
const char *dataset_attribution(const dataset_t *ds);       /* may be NULL */
const char *dataset_attribution_short(const dataset_t *ds); /* one line, may be NULL */

/* 16 hex digits hashed from every id, coordinate and attribute value: the
 * same data gives the same version on every load and every machine. */
const char *dataset_version(const dataset_t *ds);

/* Where networks come from (the project's "network" object resolved to
 * layers and fields), or NULL if the project has none. Borrowed. */
const network_source_t *dataset_network_source(const dataset_t *ds);

/* The network for these parameters: from the dataset's cache, or built and
 * cached (the cache lives and dies with the dataset, so a reload starts
 * afresh). *out is a reference the caller releases with network_unref().
 * ERR_INVALID with a message for parameters that do not fit the data. */
int dataset_network(dataset_t *ds, const network_params_t *params, network_t **out, error_t *err);

/* The bytes each dataset's network cache may hold (default 64 MiB; the
 * oldest networks go first). Set before serving. */
void dataset_set_network_cache(size_t bytes);
void dataset_network_cache_stats(dataset_t *ds, size_t *bytes, size_t *entries);

/* Data derived from this dataset by other modules (e.g. label placements),
 * kept with it and freed with it: returns the object stored under key,
 * creating it with create(arg) the first time (NULL if that fails). The
 * object is destroyed with destroy() when the dataset is freed. Borrowed;
 * thread-safe (the creator must make the object itself thread-safe). */
void *dataset_attachment(dataset_t *ds, const char *key, void *(*create)(void *arg),
                         void (*destroy)(void *obj), void *arg);

/* When the load finished, and how long it took. */
time_t dataset_loaded_at(const dataset_t *ds);
double dataset_load_ms(const dataset_t *ds);

#endif
