#include "data/tilesets.h"

#include <stdlib.h>
#include <string.h>

#define ATTACHMENT "tilesets"

typedef struct tilesets {
    tileset_t *v;
    size_t n;
} tilesets_t;

static void tilesets_free(void *obj)
{
    tilesets_t *t = obj;
    if (t == NULL) return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].id);
        free(t->v[i].title);
        archive_close(t->v[i].archive);
    }
    free(t->v);
    free(t);
}

static void *hand_over(void *arg)
{
    return arg;
}

static int open_one(const tileset_spec_t *spec, tileset_t *out, error_t *err)
{
    error_t e = {0};
    int rc = archive_open(spec->source, &out->archive, &e);
    if (rc != ERR_OK) return error_set(err, rc, "tile set '%s': %s", spec->id, e.message);
    const archive_info_t *info = archive_info(out->archive);
    const char *title = spec->title ? spec->title : info->name ? info->name : spec->id;
    out->id = strdup(spec->id);
    out->title = strdup(title);
    return out->id && out->title ? ERR_OK : error_set(err, ERR_NOMEM, "out of memory");
}

int tilesets_attach(dataset_t *ds, const project_t *project, error_t *err)
{
    if (project->ntilesets == 0) return ERR_OK;
    tilesets_t *t = calloc(1, sizeof(*t));
    if (t == NULL || (t->v = calloc(project->ntilesets, sizeof(*t->v))) == NULL) {
        free(t);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    int rc = ERR_OK;
    for (; t->n < project->ntilesets && rc == ERR_OK; t->n++)
        rc = open_one(&project->tilesets[t->n], &t->v[t->n], err);
    if (rc == ERR_OK && dataset_attachment(ds, ATTACHMENT, hand_over, tilesets_free, t) != t)
        rc = error_set(err, ERR_NOMEM, "out of memory");
    if (rc != ERR_OK) tilesets_free(t);
    return rc;
}

static tilesets_t *get(dataset_t *ds)
{
    return dataset_attachment(ds, ATTACHMENT, NULL, NULL, NULL);
}

size_t tilesets_count(dataset_t *ds)
{
    tilesets_t *t = get(ds);
    return t ? t->n : 0;
}

const tileset_t *tilesets_at(dataset_t *ds, size_t i)
{
    tilesets_t *t = get(ds);
    return t && i < t->n ? &t->v[i] : NULL;
}

const tileset_t *tilesets_find(dataset_t *ds, const char *id)
{
    tilesets_t *t = get(ds);
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->v[i].id, id) == 0) return &t->v[i];
    return NULL;
}
