/* Writing archives for `coopmap seed` (see archive.h): MBTiles and
 * directories directly, PMTiles through an MBTiles ".part" file that
 * archive_writer_finish() turns into the archive in tile-id order. */
#include "data/archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/mbtiles.h"
#include "data/pmtiles.h"
#include "data/tiledir.h"

struct archive_writer {
    archive_format_t format;
    archive_info_t info;
    char *path, *part; /* part: the PMTiles' staging file */
    mbtiles_t *mb;
    tiledir_t *dir;
    pmtiles_t *done; /* a finished PMTiles of the same seed: nothing to do */
};

/* An empty file counts as none: SQLite leaves one when a run dies before
 * its first transaction. */
static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && (st.st_size > 0 || S_ISDIR(st.st_mode));
}

/* An existing archive must come from the same seed. */
static int check_same_seed(const char *path, const archive_info_t *old, const char *seed,
                           error_t *err)
{
    if (old->seed && seed && strcmp(old->seed, seed) == 0) return ERR_OK;
    if (old->seed == NULL)
        return error_set(err, ERR_DUPLICATE,
                         "%s exists and was not made by coopmap seed; it is not overwritten "
                         "(remove it or choose another --out)",
                         path);
    return error_set(err, ERR_DUPLICATE,
                     "%s holds another seed (%s); it is not overwritten (remove it or choose "
                     "another --out)",
                     path, old->seed);
}

/* An MBTiles to write into: new, or one of the same seed to continue
 * (looked at read-only first: anything else is left untouched). */
static int open_mbtiles(const char *path, const archive_info_t *info, mbtiles_t **out, error_t *err)
{
    *out = NULL;
    if (exists(path)) {
        mbtiles_t *old = NULL;
        archive_info_t oi;
        error_t e = {0};
        int rc = mbtiles_open(path, false, &old, &e);
        if (rc == ERR_OK) rc = mbtiles_read_info(old, &oi, &e);
        mbtiles_close(old);
        if (rc != ERR_OK)
            return error_set(err, ERR_DUPLICATE,
                             "%s exists and is not an MBTiles file; it is not overwritten "
                             "(remove it or choose another --out)",
                             path);
        rc = check_same_seed(path, &oi, info->seed, err);
        archive_info_clear(&oi);
        if (rc != ERR_OK) return rc;
    }
    int rc = mbtiles_open(path, true, out, err);
    if (rc == ERR_OK) rc = mbtiles_write_info(*out, info, err);
    if (rc != ERR_OK) *out = mbtiles_close(*out);
    return rc;
}

static int open_dir(const char *path, const archive_info_t *info, tiledir_t **out, error_t *err)
{
    int rc = tiledir_open(path, true, out, err);
    if (rc != ERR_OK) return rc;
    archive_info_t old;
    rc = tiledir_read_info(*out, &old, err);
    if (rc == ERR_OK) {
        rc = check_same_seed(path, &old, info->seed, err);
        archive_info_clear(&old);
    } else if (rc == ERR_NOTFOUND) {
        rc = tiledir_empty(*out) ? ERR_OK
                                 : error_set(err, ERR_DUPLICATE,
                                             "%s is a directory with other files; it is not "
                                             "written into (remove it or choose another --out)",
                                             path);
    }
    if (rc == ERR_OK) rc = tiledir_prepare(*out, err);
    if (rc == ERR_OK) rc = tiledir_write_info(*out, info, err);
    if (rc != ERR_OK) *out = tiledir_close(*out);
    return rc;
}

/* An existing PMTiles must be of the same seed; without a .part file it is
 * finished, and kept open for its counts. */
static int check_pmtiles(archive_writer_t *w, const archive_info_t *info, error_t *err)
{
    if (!exists(w->path)) return ERR_OK;
    archive_t *a = NULL;
    error_t e = {0};
    int rc = archive_open(w->path, &a, &e);
    if (rc == ERR_OK)
        rc = check_same_seed(w->path, archive_info(a), info->seed, err);
    else
        rc = error_set(err, ERR_DUPLICATE,
                       "%s exists and is not a PMTiles archive; it is not overwritten", w->path);
    archive_close(a);
    if (rc == ERR_OK && !exists(w->part)) rc = pmtiles_open(w->path, &w->done, err);
    return rc;
}

int archive_writer_open(const char *path, archive_format_t format, const archive_info_t *info,
                        archive_writer_t **out, error_t *err)
{
    *out = NULL;
    archive_writer_t *w = calloc(1, sizeof(*w));
    if (w == NULL || (w->path = strdup(path)) == NULL ||
        archive_info_copy(&w->info, info) != ERR_OK) {
        if (w) free(w->path);
        free(w);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    w->format = format;
    int rc = ERR_OK;
    if (format == ARCHIVE_MBTILES) {
        rc = open_mbtiles(path, info, &w->mb, err);
    } else if (format == ARCHIVE_DIR) {
        rc = open_dir(path, info, &w->dir, err);
    } else {
        size_t n = strlen(path) + 6;
        w->part = malloc(n);
        if (w->part == NULL) rc = error_set(err, ERR_NOMEM, "out of memory");
        if (rc == ERR_OK) snprintf(w->part, n, "%s.part", path);
        if (rc == ERR_OK) rc = check_pmtiles(w, info, err);
        if (rc == ERR_OK && !w->done) rc = open_mbtiles(w->part, info, &w->mb, err);
    }
    if (rc != ERR_OK) {
        archive_writer_close(w);
        return rc;
    }
    *out = w;
    return ERR_OK;
}

bool archive_writer_has(archive_writer_t *w, int z, uint32_t x, uint32_t y)
{
    if (w->done) return true;
    return w->mb ? mbtiles_has(w->mb, z, x, y) : tiledir_has(w->dir, z, x, y);
}

int archive_writer_put(archive_writer_t *w, int z, uint32_t x, uint32_t y,
                       const unsigned char *data, size_t len, error_t *err)
{
    if (w->done) return error_set(err, ERR_INVALID, "%s is finished", w->path);
    return w->mb ? mbtiles_put(w->mb, z, x, y, data, len, err)
                 : tiledir_put(w->dir, z, x, y, data, len, err);
}

void archive_writer_close(archive_writer_t *w)
{
    if (w == NULL) return;
    mbtiles_close(w->mb);
    tiledir_close(w->dir);
    pmtiles_close(w->done);
    archive_info_clear(&w->info);
    free(w->path);
    free(w->part);
    free(w);
}

/* --- PMTiles from the staging file --------------------------------------------- */

typedef struct collect {
    pmtiles_entry_t *v;
    size_t n, cap;
} collect_t;

static int collect_entry(void *arg, int z, uint32_t x, uint32_t y, uint64_t content)
{
    collect_t *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        pmtiles_entry_t *v = realloc(c->v, cap * sizeof(*v));
        if (v == NULL) return ERR_NOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (pmtiles_entry_t){pmtiles_tile_id(z, x, y), content};
    return ERR_OK;
}

static int read_content(void *arg, uint64_t content, unsigned char **data, size_t *len,
                        error_t *err)
{
    return mbtiles_content(arg, content, data, len, err);
}

static int write_pmtiles(archive_writer_t *w, archive_stats_t *s, error_t *err)
{
    collect_t c = {0};
    char *json = archive_info_json(&w->info);
    int rc = json ? mbtiles_each(w->mb, collect_entry, &c, err)
                  : error_set(err, ERR_NOMEM, "out of memory");
    if (rc == ERR_NOMEM && err && err->message[0] == '\0')
        error_set(err, ERR_NOMEM, "out of memory");
    const archive_info_t *i = &w->info;
    pmtiles_meta_t meta = {.tile_type = PMTILES_TYPE_PNG,
                           .minzoom = i->minzoom,
                           .maxzoom = i->maxzoom,
                           .center_zoom = (int)i->center[2],
                           .bounds = {i->bounds[0], i->bounds[1], i->bounds[2], i->bounds[3]},
                           .center = {i->center[0], i->center[1]},
                           .json = json};
    pmtiles_stats_t ps = {0};
    if (rc == ERR_OK && c.n == 0)
        rc = error_set(err, ERR_EMPTY, "no tiles to write into %s", w->path);
    if (rc == ERR_OK) rc = pmtiles_write(w->path, c.v, c.n, &meta, read_content, w->mb, &ps, err);
    if (rc == ERR_OK) s->file_bytes = ps.file_bytes;
    free(c.v);
    free(json);
    return rc;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int archive_writer_finish(archive_writer_t *w, archive_stats_t *stats, error_t *err)
{
    archive_stats_t s = {0};
    int rc = ERR_OK;
    if (w->done) {
        pmtiles_stats_t ps;
        pmtiles_counts(w->done, &ps);
        s = (archive_stats_t){ps.addressed, ps.tile_bytes, ps.addressed - ps.contents,
                              ps.file_bytes};
    } else if (w->dir) {
        rc = tiledir_finish(w->dir, err);
        if (rc == ERR_OK) rc = tiledir_stats(w->dir, w->info.minzoom, w->info.maxzoom, &s, err);
    } else {
        rc = mbtiles_stats(w->mb, &s, err);
        if (rc == ERR_OK && w->part) rc = write_pmtiles(w, &s, err);
        if (rc == ERR_OK && !w->part) s.file_bytes = file_size(w->path);
    }
    if (rc == ERR_OK && w->part && !w->done) {
        w->mb = mbtiles_close(w->mb);
        if (unlink(w->part) != 0 && errno != ENOENT)
            rc = error_set(err, ERR_IO, "cannot remove %s: %s", w->part, strerror(errno));
    }
    if (stats) *stats = s;
    archive_writer_close(w);
    return rc;
}
