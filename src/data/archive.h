/* Tile archives: what `coopmap seed` writes and a project's "tiles" serve
 * from, behind one interface over three formats: MBTiles 1.3
 * (data/mbtiles.c), PMTiles v3 (data/pmtiles.c) and a {z}/{x}/{y}.png
 * directory tree (data/tiledir.c). Tiles are addressed in XYZ order (y
 * down from the north), whatever the format stores. */
#ifndef COOPMAP_ARCHIVE_H
#define COOPMAP_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef enum archive_format { ARCHIVE_MBTILES, ARCHIVE_PMTILES, ARCHIVE_DIR } archive_format_t;

/* The format a name asks for: format_name ("mbtiles", "pmtiles", "dir")
 * when given, else the path's extension (.mbtiles, .pmtiles; anything else
 * is a directory). ERR_INVALID for an unknown format_name. */
int archive_format_of(const char *path, const char *format_name, archive_format_t *out,
                      error_t *err);
const char *archive_format_name(archive_format_t f);

/* What an archive says of itself; strings may be NULL. */
typedef struct archive_info {
    char *name, *description, *attribution;
    int minzoom, maxzoom;
    double bounds[4]; /* west, south, east, north (degrees) */
    double center[3]; /* lon, lat, zoom */
    int tile_px;      /* 256, or 512 for tiles seeded at scale 2 */
    char *seed;       /* the parameters of the seed that made it, as JSON text */
} archive_info_t;

/* Deep copy (strings duplicated) and freeing of the strings. */
int archive_info_copy(archive_info_t *dst, const archive_info_t *src);
void archive_info_clear(archive_info_t *info);

/* As a TileJSON 3.0 object with the seed under "coopmap_seed" (malloc'd
 * text; the caller frees it), and back (filling what the text has). */
char *archive_info_json(const archive_info_t *info);
int archive_info_parse(const char *text, const char *path, archive_info_t *info, error_t *err);

/* --- reading ---------------------------------------------------------------- */

typedef struct archive archive_t;

/* Opens an archive of any of the formats (by its name, as above) for
 * reading. Free with archive_close(). Reading is thread-safe. */
int archive_open(const char *path, archive_t **out, error_t *err);
archive_t *archive_close(archive_t *a);

/* The PNG bytes of z/x/y (malloc'd; the caller frees them); ERR_NOTFOUND
 * when the archive has no such tile. */
int archive_get(archive_t *a, int z, uint32_t x, uint32_t y, unsigned char **data, size_t *len,
                error_t *err);

const archive_info_t *archive_info(const archive_t *a); /* borrowed */
archive_format_t archive_format(const archive_t *a);

/* --- writing ---------------------------------------------------------------- */

typedef struct archive_writer archive_writer_t;

/* Opens path for a seed described by info (info->seed identifies it).
 * An unfinished or finished seed with the same info->seed continues:
 * archive_writer_has() then says which tiles are there. A file or
 * directory holding anything else is refused (ERR_DUPLICATE, naming it),
 * never overwritten. MBTiles and PMTiles are written through an SQLite
 * file in transactions (for PMTiles, path + ".part", turned into the
 * archive by archive_writer_finish()), so a crash loses at most the last
 * uncommitted tiles and never leaves a corrupt file. Thread-safe. */
int archive_writer_open(const char *path, archive_format_t format, const archive_info_t *info,
                        archive_writer_t **out, error_t *err);

bool archive_writer_has(archive_writer_t *w, int z, uint32_t x, uint32_t y);

/* Stores a tile (data borrowed). */
int archive_writer_put(archive_writer_t *w, int z, uint32_t x, uint32_t y,
                       const unsigned char *data, size_t len, error_t *err);

typedef struct archive_stats {
    uint64_t tiles;      /* tiles in the archive */
    uint64_t bytes;      /* their bytes, each tile counted */
    uint64_t duplicates; /* tiles whose bytes an earlier tile already had */
    uint64_t file_bytes; /* what the archive takes on disk */
} archive_stats_t;

/* Commits and completes the archive (PMTiles: writes it and removes the
 * .part file) and frees w, whatever the outcome. stats may be NULL. */
int archive_writer_finish(archive_writer_t *w, archive_stats_t *stats, error_t *err);

/* Commits what is stored and frees w, leaving an unfinished archive that
 * the same seed continues. NULL is a no-op. */
void archive_writer_close(archive_writer_t *w);

#endif
