/* A dataset: every layer of a project, loaded all-or-nothing, with a
 * content version. Reference-counted so a reload can swap in a new dataset
 * while requests that hold the old one finish with it. */
#ifndef COOPMAP_DATASET_H
#define COOPMAP_DATASET_H

#include <stddef.h>
#include <time.h>

#include "util/error.h"
#include "data/layer.h"
#include "data/project.h"

typedef struct dataset dataset_t;

/* Loads every layer of the project. Either all layers load and *out holds a
 * dataset with one reference (release with dataset_unref()), or nothing is
 * kept, *out is NULL and err says what failed. */
int dataset_load(const project_t *project, dataset_t **out, error_t *err);

/* What a later stage adds while a dataset loads, after its layers and
 * before its version is computed: layers derived from the others
 * (dataset_add_layer) and objects kept with it (dataset_attachment). The
 * dataset knows nothing of what they are. A failure fails the load. */
typedef int (*dataset_hook_fn)(dataset_t *ds, const project_t *project, error_t *err);

/* dataset_load() that runs the hooks, in order, once the layers are in. */
int dataset_load_with(const project_t *project, const dataset_hook_fn *hooks, size_t nhooks,
                      dataset_t **out, error_t *err);

/* Adds a sealed layer (taken over; freed on failure) while loading, from a
 * hook only: ERR_DUPLICATE when its id is taken. */
int dataset_add_layer(dataset_t *ds, layer_t *layer, error_t *err);

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
const contact_t *dataset_contact(const dataset_t *ds);      /* fields may be NULL */

/* 16 hex digits hashed from every id, coordinate and attribute value: the
 * same data gives the same version on every load and every machine. */
const char *dataset_version(const dataset_t *ds);

/* Data derived from this dataset by later stages (label placements, the
 * networks), kept with it and freed with it, before its layers: returns the
 * object stored under key, creating it with create(arg) the first time
 * (NULL if that fails, or if create is NULL and there is none). The object
 * is destroyed with destroy() when the dataset is freed. Borrowed;
 * thread-safe (the creator must make the object itself thread-safe). */
void *dataset_attachment(dataset_t *ds, const char *key, void *(*create)(void *arg),
                         void (*destroy)(void *obj), void *arg);

/* The lon/lat extent of every layer together. */
bbox_t dataset_extent(const dataset_t *ds);

/* When the load finished, and how long it took. */
time_t dataset_loaded_at(const dataset_t *ds);
double dataset_load_ms(const dataset_t *ds);

#endif
