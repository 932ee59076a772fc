/* A project's pre-rendered tile sets ("tiles" in the project file),
 * opened while its dataset loads (a dataset_load_with() hook) and kept
 * with it: a reload reopens them, and a missing or broken archive fails
 * the load like a broken layer. */
#ifndef COOPMAP_TILESETS_H
#define COOPMAP_TILESETS_H

#include <stddef.h>

#include "data/archive.h"
#include "data/dataset.h"

typedef struct tileset {
    char *id, *title;
    archive_t *archive;
} tileset_t;

/* The hook: opens every tile set of the project. */
int tilesets_attach(dataset_t *ds, const project_t *project, error_t *err);

/* Borrowed from the dataset; NULL when there is no such tile set. */
size_t tilesets_count(dataset_t *ds);
const tileset_t *tilesets_at(dataset_t *ds, size_t i);
const tileset_t *tilesets_find(dataset_t *ds, const char *id);

#endif
