/* MBTiles 1.3 (https://github.com/mapbox/mbtiles-spec): tiles in an SQLite
 * file. The only module that uses libsqlite3.
 *
 * Written in the deduplicated layout many tools use: `map` (zoom_level,
 * tile_column, tile_row, tile_id) and `images` (tile_data, tile_id) with
 * `tiles` a view joining them, so identical tiles are stored once and
 * every MBTiles reader still sees a plain `tiles` table. Rows are TMS
 * (tile_row counts from the south); this interface takes XYZ. Writes go
 * in transactions of a few hundred tiles. Thread-safe: one connection
 * behind a mutex. */
#ifndef COOPMAP_MBTILES_H
#define COOPMAP_MBTILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/archive.h"
#include "util/error.h"

typedef struct mbtiles mbtiles_t;

/* Opens path read-only, or for writing (creating the file and its tables
 * when there is none). Free with mbtiles_close(), which commits. */
int mbtiles_open(const char *path, bool write, mbtiles_t **out, error_t *err);
mbtiles_t *mbtiles_close(mbtiles_t *m);

/* The metadata table, as archive_info_t (the caller clears *info with
 * archive_info_clear()), and replacing it. */
int mbtiles_read_info(mbtiles_t *m, archive_info_t *info, error_t *err);
int mbtiles_write_info(mbtiles_t *m, const archive_info_t *info, error_t *err);

/* A tile's bytes (malloc'd; the caller frees them) or ERR_NOTFOUND. */
int mbtiles_get(mbtiles_t *m, int z, uint32_t x, uint32_t y, unsigned char **data, size_t *len,
                error_t *err);
bool mbtiles_has(mbtiles_t *m, int z, uint32_t x, uint32_t y);

/* Stores a tile (data borrowed), replacing one at the same address. */
int mbtiles_put(mbtiles_t *m, int z, uint32_t x, uint32_t y, const unsigned char *data, size_t len,
                error_t *err);
int mbtiles_commit(mbtiles_t *m, error_t *err);

/* Tiles, their bytes and the duplicates among them (file_bytes left 0). */
int mbtiles_stats(mbtiles_t *m, archive_stats_t *stats, error_t *err);

/* Calls fn for every tile with a key naming its bytes (equal keys: equal
 * bytes), and the bytes of a key (malloc'd; the caller frees them). */
typedef int (*mbtiles_each_fn)(void *arg, int z, uint32_t x, uint32_t y, uint64_t content);
int mbtiles_each(mbtiles_t *m, mbtiles_each_fn fn, void *arg, error_t *err);
int mbtiles_content(mbtiles_t *m, uint64_t content, unsigned char **data, size_t *len,
                    error_t *err);

#endif
