#include "data/mbtiles.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define BATCH 512 /* tiles per transaction */

struct mbtiles {
    sqlite3 *db;
    pthread_mutex_t lock;
    char *path;
    bool write, in_txn;
    unsigned pending;
    sqlite3_stmt *get, *has, *find_image, *put_image, *put_map;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS metadata (name TEXT, value TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS metadata_name ON metadata (name);"
    "CREATE TABLE IF NOT EXISTS map (zoom_level INTEGER, tile_column INTEGER,"
    " tile_row INTEGER, tile_id TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS map_index ON map (zoom_level, tile_column, tile_row);"
    "CREATE TABLE IF NOT EXISTS images (tile_data BLOB, tile_id TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS images_id ON images (tile_id);"
    "CREATE VIEW IF NOT EXISTS tiles AS SELECT map.zoom_level AS zoom_level,"
    " map.tile_column AS tile_column, map.tile_row AS tile_row, images.tile_data AS tile_data"
    " FROM map JOIN images ON images.tile_id = map.tile_id;";

static int db_error(mbtiles_t *m, error_t *err, const char *what)
{
    return error_set(err, ERR_IO, "%s: %s: %s", m->path, what, sqlite3_errmsg(m->db));
}

static uint32_t tms_row(int z, uint32_t y)
{
    return (uint32_t)((1u << z) - 1 - y);
}

static int prepare(mbtiles_t *m, sqlite3_stmt **st, const char *sql, error_t *err)
{
    if (sqlite3_prepare_v2(m->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(m, err, "not an MBTiles file");
    return ERR_OK;
}

static int prepare_all(mbtiles_t *m, error_t *err)
{
    int rc = prepare(m, &m->get,
                     "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ?"
                     " AND tile_row = ?",
                     err);
    if (rc == ERR_OK)
        rc = prepare(m, &m->has,
                     "SELECT 1 FROM tiles WHERE zoom_level = ? AND tile_column = ?"
                     " AND tile_row = ?",
                     err);
    if (rc != ERR_OK || !m->write) return rc;
    rc = prepare(m, &m->find_image, "SELECT tile_data FROM images WHERE tile_id = ?", err);
    if (rc == ERR_OK)
        rc =
            prepare(m, &m->put_image, "INSERT INTO images (tile_data, tile_id) VALUES (?, ?)", err);
    if (rc == ERR_OK)
        rc = prepare(m, &m->put_map,
                     "INSERT OR REPLACE INTO map (zoom_level, tile_column, tile_row, tile_id)"
                     " VALUES (?, ?, ?, ?)",
                     err);
    return rc;
}

int mbtiles_open(const char *path, bool write, mbtiles_t **out, error_t *err)
{
    *out = NULL;
    mbtiles_t *m = calloc(1, sizeof(*m));
    if (m == NULL || (m->path = strdup(path)) == NULL) {
        free(m);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&m->lock, NULL);
    m->write = write;
    int flags = SQLITE_OPEN_NOMUTEX |
                (write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
    int rc = ERR_OK;
    if (sqlite3_open_v2(path, &m->db, flags, NULL) != SQLITE_OK) {
        rc = db_error(m, err, "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(m->db, 5000);
    if (write && sqlite3_exec(m->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(m, err, "cannot create the MBTiles tables");
        goto out;
    }
    rc = prepare_all(m, err);
out:
    if (rc != ERR_OK) {
        mbtiles_close(m);
        return rc;
    }
    *out = m;
    return ERR_OK;
}

static int commit_locked(mbtiles_t *m, error_t *err)
{
    if (!m->in_txn) return ERR_OK;
    m->in_txn = false;
    m->pending = 0;
    if (sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(m, err, "cannot commit");
    return ERR_OK;
}

mbtiles_t *mbtiles_close(mbtiles_t *m)
{
    if (m == NULL) return NULL;
    if (m->db) {
        commit_locked(m, NULL);
        sqlite3_stmt *all[] = {m->get, m->has, m->find_image, m->put_image, m->put_map};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
            sqlite3_finalize(all[i]);
        sqlite3_close(m->db);
    }
    pthread_mutex_destroy(&m->lock);
    free(m->path);
    free(m);
    return NULL;
}

int mbtiles_commit(mbtiles_t *m, error_t *err)
{
    pthread_mutex_lock(&m->lock);
    int rc = commit_locked(m, err);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* --- metadata ------------------------------------------------------------------- */

static char *dup_or_null(const unsigned char *s)
{
    return s ? strdup((const char *)s) : NULL;
}

static void read_pair(archive_info_t *info, const char *name, const unsigned char *value)
{
    const char *v = value ? (const char *)value : "";
    double *b = info->bounds, *c = info->center;
    if (strcmp(name, "name") == 0 && !info->name) info->name = dup_or_null(value);
    if (strcmp(name, "description") == 0 && !info->description)
        info->description = dup_or_null(value);
    if (strcmp(name, "attribution") == 0 && !info->attribution)
        info->attribution = dup_or_null(value);
    if (strcmp(name, "coopmap_seed") == 0 && !info->seed) info->seed = dup_or_null(value);
    if (strcmp(name, "minzoom") == 0) info->minzoom = atoi(v);
    if (strcmp(name, "maxzoom") == 0) info->maxzoom = atoi(v);
    if (strcmp(name, "tilesize") == 0) info->tile_px = atoi(v);
    if (strcmp(name, "bounds") == 0) sscanf(v, "%lf,%lf,%lf,%lf", &b[0], &b[1], &b[2], &b[3]);
    if (strcmp(name, "center") == 0) sscanf(v, "%lf,%lf,%lf", &c[0], &c[1], &c[2]);
}

int mbtiles_read_info(mbtiles_t *m, archive_info_t *info, error_t *err)
{
    *info = (archive_info_t){
        .minzoom = 0, .maxzoom = 22, .tile_px = 256, .bounds = {-180, -85.051129, 180, 85.051129}};
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&m->lock);
    int rc = prepare(m, &st, "SELECT name, value FROM metadata", err);
    while (rc == ERR_OK && sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);
        if (name) read_pair(info, (const char *)name, sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&m->lock);
    if (info->tile_px != 512) info->tile_px = 256;
    if (rc != ERR_OK) archive_info_clear(info);
    return rc;
}

static int put_pair(mbtiles_t *m, sqlite3_stmt *st, const char *name, const char *value)
{
    if (value == NULL) return SQLITE_DONE;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    (void)m;
    return sqlite3_step(st);
}

int mbtiles_write_info(mbtiles_t *m, const archive_info_t *info, error_t *err)
{
    char bounds[128], center[96], minz[8], maxz[8], px[8];
    const double *b = info->bounds, *c = info->center;
    snprintf(bounds, sizeof(bounds), "%.7f,%.7f,%.7f,%.7f", b[0], b[1], b[2], b[3]);
    snprintf(center, sizeof(center), "%.7f,%.7f,%d", c[0], c[1], (int)c[2]);
    snprintf(minz, sizeof(minz), "%d", info->minzoom);
    snprintf(maxz, sizeof(maxz), "%d", info->maxzoom);
    snprintf(px, sizeof(px), "%d", info->tile_px);
    const char *pairs[][2] = {
        {"name", info->name ? info->name : "coopmap"},
        {"format", "png"},
        {"type", "baselayer"},
        {"version", "1.0"},
        {"description", info->description},
        {"attribution", info->attribution},
        {"bounds", bounds},
        {"center", center},
        {"minzoom", minz},
        {"maxzoom", maxz},
        {"tilesize", px},
        {"coopmap_seed", info->seed},
    };
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&m->lock);
    int rc = commit_locked(m, err);
    if (rc == ERR_OK)
        rc = prepare(m, &st, "INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)", err);
    for (size_t i = 0; rc == ERR_OK && i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if (put_pair(m, st, pairs[i][0], pairs[i][1]) != SQLITE_DONE)
            rc = db_error(m, err, "cannot write the metadata");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* --- tiles ---------------------------------------------------------------------- */

static void bind_zxy(sqlite3_stmt *st, int z, uint32_t x, uint32_t y)
{
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, z);
    sqlite3_bind_int64(st, 2, x);
    sqlite3_bind_int64(st, 3, tms_row(z, y));
}

static int copy_blob(sqlite3_stmt *st, int col, unsigned char **data, size_t *len)
{
    const void *blob = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    *data = malloc(n > 0 ? (size_t)n : 1);
    if (*data == NULL) return ERR_NOMEM;
    if (n > 0) memcpy(*data, blob, (size_t)n);
    *len = (size_t)n;
    return ERR_OK;
}

int mbtiles_get(mbtiles_t *m, int z, uint32_t x, uint32_t y, unsigned char **data, size_t *len,
                error_t *err)
{
    *data = NULL;
    *len = 0;
    if (z < 0 || z > 30) return error_set(err, ERR_NOTFOUND, "no such tile");
    pthread_mutex_lock(&m->lock);
    bind_zxy(m->get, z, x, y);
    int step = sqlite3_step(m->get), rc;
    if (step == SQLITE_ROW)
        rc = copy_blob(m->get, 0, data, len) == ERR_OK ? ERR_OK
                                                       : error_set(err, ERR_NOMEM, "out of memory");
    else if (step == SQLITE_DONE)
        rc = error_set(err, ERR_NOTFOUND, "no tile %d/%u/%u", z, x, y);
    else
        rc = db_error(m, err, "cannot read a tile");
    sqlite3_reset(m->get);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

bool mbtiles_has(mbtiles_t *m, int z, uint32_t x, uint32_t y)
{
    pthread_mutex_lock(&m->lock);
    bind_zxy(m->has, z, x, y);
    bool found = sqlite3_step(m->has) == SQLITE_ROW;
    sqlite3_reset(m->has);
    pthread_mutex_unlock(&m->lock);
    return found;
}

/* The images row for these bytes: an existing one with the same bytes, or
 * a new one. Keys are a hash of the bytes; a collision (same key, other
 * bytes) takes the next free suffix. */
static int image_key(mbtiles_t *m, const unsigned char *data, size_t len, char *key, size_t size,
                     error_t *err)
{
    uint64_t h = hash_fnv1a(HASH_FNV_START, data, len);
    for (unsigned k = 0; k < 1000; k++) {
        if (k == 0)
            snprintf(key, size, "%016llx%08zx", (unsigned long long)h, len);
        else
            snprintf(key, size, "%016llx%08zx-%u", (unsigned long long)h, len, k);
        sqlite3_reset(m->find_image);
        sqlite3_bind_text(m->find_image, 1, key, -1, SQLITE_STATIC);
        int step = sqlite3_step(m->find_image);
        if (step == SQLITE_ROW) {
            const void *old = sqlite3_column_blob(m->find_image, 0);
            bool same = (size_t)sqlite3_column_bytes(m->find_image, 0) == len &&
                        (len == 0 || memcmp(old, data, len) == 0);
            sqlite3_reset(m->find_image);
            if (same) return ERR_OK;
            continue;
        }
        sqlite3_reset(m->find_image);
        if (step != SQLITE_DONE) return db_error(m, err, "cannot look up a tile");
        sqlite3_reset(m->put_image);
        sqlite3_bind_blob(m->put_image, 1, data, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(m->put_image, 2, key, -1, SQLITE_STATIC);
        if (sqlite3_step(m->put_image) != SQLITE_DONE) return db_error(m, err, "cannot store");
        return ERR_OK;
    }
    return error_set(err, ERR_INVALID, "%s: too many hash collisions", m->path);
}

static int put_locked(mbtiles_t *m, int z, uint32_t x, uint32_t y, const unsigned char *data,
                      size_t len, error_t *err)
{
    if (!m->in_txn) {
        if (sqlite3_exec(m->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return db_error(m, err, "cannot begin a transaction");
        m->in_txn = true;
    }
    char key[48];
    int rc = image_key(m, data, len, key, sizeof(key), err);
    if (rc != ERR_OK) return rc;
    bind_zxy(m->put_map, z, x, y);
    sqlite3_bind_text(m->put_map, 4, key, -1, SQLITE_STATIC);
    if (sqlite3_step(m->put_map) != SQLITE_DONE) return db_error(m, err, "cannot store a tile");
    return ++m->pending >= BATCH ? commit_locked(m, err) : ERR_OK;
}

int mbtiles_put(mbtiles_t *m, int z, uint32_t x, uint32_t y, const unsigned char *data, size_t len,
                error_t *err)
{
    if (len > 0x7fffffff) return error_set(err, ERR_TOOBIG, "a tile of %zu bytes", len);
    pthread_mutex_lock(&m->lock);
    int rc = put_locked(m, z, x, y, data, len, err);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* --- whole-archive queries ------------------------------------------------------ */

static int count(mbtiles_t *m, const char *sql, uint64_t *out, error_t *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(m, &st, sql, err);
    if (rc == ERR_OK && sqlite3_step(st) == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    else if (rc == ERR_OK)
        rc = db_error(m, err, "cannot count the tiles");
    sqlite3_finalize(st);
    return rc;
}

int mbtiles_stats(mbtiles_t *m, archive_stats_t *s, error_t *err)
{
    *s = (archive_stats_t){0};
    uint64_t images = 0;
    pthread_mutex_lock(&m->lock);
    int rc = commit_locked(m, err);
    if (rc == ERR_OK) rc = count(m, "SELECT count(*) FROM map", &s->tiles, err);
    if (rc == ERR_OK)
        rc = count(m,
                   "SELECT coalesce(sum(length(images.tile_data)), 0) FROM map"
                   " JOIN images ON images.tile_id = map.tile_id",
                   &s->bytes, err);
    if (rc == ERR_OK) rc = count(m, "SELECT count(DISTINCT tile_id) FROM map", &images, err);
    pthread_mutex_unlock(&m->lock);
    s->duplicates = s->tiles - images;
    return rc;
}

int mbtiles_each(mbtiles_t *m, mbtiles_each_fn fn, void *arg, error_t *err)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&m->lock);
    int rc = commit_locked(m, err), step = SQLITE_DONE;
    if (rc == ERR_OK)
        rc = prepare(m, &st,
                     "SELECT map.zoom_level, map.tile_column, map.tile_row, images.rowid"
                     " FROM map JOIN images ON images.tile_id = map.tile_id",
                     err);
    while (rc == ERR_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int z = sqlite3_column_int(st, 0);
        sqlite3_int64 x = sqlite3_column_int64(st, 1), row = sqlite3_column_int64(st, 2);
        uint64_t n = z >= 0 && z <= 30 ? (uint64_t)1 << z : 0;
        if (x < 0 || row < 0 || (uint64_t)x >= n || (uint64_t)row >= n) {
            rc = error_set(err, ERR_FORMAT, "%s: tile %d/%lld/%lld is off the grid", m->path, z,
                           (long long)x, (long long)row);
            break;
        }
        rc = fn(arg, z, (uint32_t)x, tms_row(z, (uint32_t)row),
                (uint64_t)sqlite3_column_int64(st, 3));
    }
    if (rc == ERR_OK && step != SQLITE_DONE) rc = db_error(m, err, "cannot list the tiles");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mbtiles_content(mbtiles_t *m, uint64_t content, unsigned char **data, size_t *len, error_t *err)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&m->lock);
    int rc = prepare(m, &st, "SELECT tile_data FROM images WHERE rowid = ?", err);
    if (rc == ERR_OK) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)content);
        if (sqlite3_step(st) != SQLITE_ROW)
            rc = db_error(m, err, "cannot read a tile");
        else if (copy_blob(st, 0, data, len) != ERR_OK)
            rc = error_set(err, ERR_NOMEM, "out of memory");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&m->lock);
    return rc;
}
