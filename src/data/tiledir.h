/* A {z}/{x}/{y}.png directory tree, as any static web server serves it,
 * with a metadata.json (TileJSON 3.0 plus the seed's parameters) at its
 * top. Each tile is written to a temporary file in .tmp/ and renamed, so a
 * tile file is either complete or absent. Thread-safe (no shared state but the
 * path). */
#ifndef COOPMAP_TILEDIR_H
#define COOPMAP_TILEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/archive.h"
#include "util/error.h"

typedef struct tiledir tiledir_t;

/* Opens a tree for reading (it must exist), or for writing (creating the
 * directory when there is none). Free with tiledir_close(). */
int tiledir_open(const char *path, bool write, tiledir_t **out, error_t *err);
tiledir_t *tiledir_close(tiledir_t *d);

/* For writing: empties the temporary folder (.tmp) a killed seed may
 * have left; tiledir_finish() removes it. */
int tiledir_prepare(tiledir_t *d, error_t *err);
int tiledir_finish(tiledir_t *d, error_t *err);

/* metadata.json as archive_info_t (ERR_NOTFOUND when there is none; the
 * caller clears *info), and writing it. */
int tiledir_read_info(tiledir_t *d, archive_info_t *info, error_t *err);
int tiledir_write_info(tiledir_t *d, const archive_info_t *info, error_t *err);

/* True when the directory holds nothing at all. */
bool tiledir_empty(tiledir_t *d);

int tiledir_get(tiledir_t *d, int z, uint32_t x, uint32_t y, unsigned char **data, size_t *len,
                error_t *err);
bool tiledir_has(tiledir_t *d, int z, uint32_t x, uint32_t y);
int tiledir_put(tiledir_t *d, int z, uint32_t x, uint32_t y, const unsigned char *data, size_t len,
                error_t *err);

/* Counts the tiles of zooms minzoom..maxzoom, their bytes and duplicates
 * (by reading every file), and the bytes on disk. */
int tiledir_stats(tiledir_t *d, int minzoom, int maxzoom, archive_stats_t *stats, error_t *err);

#endif
