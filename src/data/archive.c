#include "data/archive.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/mbtiles.h"
#include "data/pmtiles.h"
#include "data/tiledir.h"

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

int archive_format_of(const char *path, const char *format_name, archive_format_t *out,
                      error_t *err)
{
    static const char *const names[] = {"mbtiles", "pmtiles", "dir"};
    if (format_name) {
        for (int f = 0; f < 3; f++)
            if (strcmp(format_name, names[f]) == 0) {
                *out = (archive_format_t)f;
                return ERR_OK;
            }
        return error_set(err, ERR_INVALID, "format '%s': use mbtiles, pmtiles or dir", format_name);
    }
    *out = ends_with(path, ".mbtiles")   ? ARCHIVE_MBTILES
           : ends_with(path, ".pmtiles") ? ARCHIVE_PMTILES
                                         : ARCHIVE_DIR;
    return ERR_OK;
}

const char *archive_format_name(archive_format_t f)
{
    return f == ARCHIVE_MBTILES ? "MBTiles" : f == ARCHIVE_PMTILES ? "PMTiles" : "directory";
}

/* --- info ----------------------------------------------------------------------- */

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

int archive_info_copy(archive_info_t *dst, const archive_info_t *src)
{
    *dst = *src;
    dst->name = dup_opt(src->name);
    dst->description = dup_opt(src->description);
    dst->attribution = dup_opt(src->attribution);
    dst->seed = dup_opt(src->seed);
    if ((src->name && !dst->name) || (src->description && !dst->description) ||
        (src->attribution && !dst->attribution) || (src->seed && !dst->seed)) {
        archive_info_clear(dst);
        return ERR_NOMEM;
    }
    return ERR_OK;
}

void archive_info_clear(archive_info_t *info)
{
    free(info->name);
    free(info->description);
    free(info->attribution);
    free(info->seed);
    info->name = info->description = info->attribution = info->seed = NULL;
}

char *archive_info_json(const archive_info_t *i)
{
    json_t *seed = i->seed ? json_loads(i->seed, 0, NULL) : NULL;
    json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:s, s:i, s:i, s:i, s:[ffff], s:[ffi]}",
                          "tilejson", "3.0.0", "name", i->name, "description", i->description,
                          "attribution", i->attribution, "format", "png", "type", "baselayer",
                          "minzoom", i->minzoom, "maxzoom", i->maxzoom, "tileSize", i->tile_px,
                          "bounds", i->bounds[0], i->bounds[1], i->bounds[2], i->bounds[3],
                          "center", i->center[0], i->center[1], (int)i->center[2]);
    if (o && seed) json_object_set(o, "coopmap_seed", seed);
    char *text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(seed);
    json_decref(o);
    return text;
}

static char *string_member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static void numbers(json_t *arr, double *out, size_t n)
{
    if (!json_is_array(arr) || json_array_size(arr) < n) return;
    for (size_t k = 0; k < n; k++)
        if (json_is_number(json_array_get(arr, k)))
            out[k] = json_number_value(json_array_get(arr, k));
}

int archive_info_parse(const char *text, const char *path, archive_info_t *i, error_t *err)
{
    *i = (archive_info_t){
        .maxzoom = 22, .tile_px = 256, .bounds = {-180, -85.051129, 180, 85.051129}};
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return error_set(err, ERR_FORMAT, "%s: the metadata is not a JSON object", path);
    }
    i->name = string_member(o, "name");
    i->description = string_member(o, "description");
    i->attribution = string_member(o, "attribution");
    json_t *seed = json_object_get(o, "coopmap_seed");
    if (seed) i->seed = json_dumps(seed, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (json_is_integer(json_object_get(o, "minzoom")))
        i->minzoom = (int)json_integer_value(json_object_get(o, "minzoom"));
    if (json_is_integer(json_object_get(o, "maxzoom")))
        i->maxzoom = (int)json_integer_value(json_object_get(o, "maxzoom"));
    if (json_integer_value(json_object_get(o, "tileSize")) == 512) i->tile_px = 512;
    numbers(json_object_get(o, "bounds"), i->bounds, 4);
    numbers(json_object_get(o, "center"), i->center, 3);
    json_decref(o);
    return ERR_OK;
}

/* --- reading -------------------------------------------------------------------- */

struct archive {
    archive_format_t format;
    archive_info_t info;
    mbtiles_t *mb;
    pmtiles_t *pm;
    tiledir_t *dir;
};

static int pmtiles_info(const pmtiles_t *pm, const char *path, archive_info_t *info, error_t *err)
{
    const pmtiles_meta_t *m = pmtiles_meta(pm);
    if (m->tile_type != PMTILES_TYPE_PNG)
        return error_set(err, ERR_FORMAT, "%s: holds no PNG tiles", path);
    int rc = archive_info_parse(m->json ? m->json : "{}", path, info, err);
    if (rc != ERR_OK) return rc;
    info->minzoom = m->minzoom;
    info->maxzoom = m->maxzoom;
    memcpy(info->bounds, m->bounds, sizeof(info->bounds));
    info->center[0] = m->center[0];
    info->center[1] = m->center[1];
    info->center[2] = m->center_zoom;
    return ERR_OK;
}

int archive_open(const char *path, archive_t **out, error_t *err)
{
    *out = NULL;
    archive_t *a = calloc(1, sizeof(*a));
    if (a == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    archive_format_of(path, NULL, &a->format, err);
    int rc;
    if (a->format == ARCHIVE_MBTILES) {
        rc = mbtiles_open(path, false, &a->mb, err);
        if (rc == ERR_OK) rc = mbtiles_read_info(a->mb, &a->info, err);
    } else if (a->format == ARCHIVE_PMTILES) {
        rc = pmtiles_open(path, &a->pm, err);
        if (rc == ERR_OK) rc = pmtiles_info(a->pm, path, &a->info, err);
    } else {
        rc = tiledir_open(path, false, &a->dir, err);
        if (rc == ERR_OK) rc = tiledir_read_info(a->dir, &a->info, err);
        if (rc == ERR_NOTFOUND) /* a bare tree: zooms as the server allows */
            rc = archive_info_parse("{}", path, &a->info, err);
    }
    if (rc != ERR_OK) {
        archive_close(a);
        return rc;
    }
    *out = a;
    return ERR_OK;
}

archive_t *archive_close(archive_t *a)
{
    if (a == NULL) return NULL;
    mbtiles_close(a->mb);
    pmtiles_close(a->pm);
    tiledir_close(a->dir);
    archive_info_clear(&a->info);
    free(a);
    return NULL;
}

int archive_get(archive_t *a, int z, uint32_t x, uint32_t y, unsigned char **data, size_t *len,
                error_t *err)
{
    *data = NULL;
    *len = 0;
    if (z < a->info.minzoom || z > a->info.maxzoom)
        return error_set(err, ERR_NOTFOUND, "no tile %d/%u/%u: the archive holds zooms %d..%d", z,
                         x, y, a->info.minzoom, a->info.maxzoom);
    if (a->mb) return mbtiles_get(a->mb, z, x, y, data, len, err);
    if (a->pm) return pmtiles_get(a->pm, z, x, y, data, len, err);
    return tiledir_get(a->dir, z, x, y, data, len, err);
}

const archive_info_t *archive_info(const archive_t *a)
{
    return &a->info;
}

archive_format_t archive_format(const archive_t *a)
{
    return a->format;
}
