/* PMTiles v3 archives (https://github.com/protomaps/PMTiles, spec v3):
 * one file of tiles with a directory, readable by HTTP range requests.
 *
 * Written in one pass from a list of tiles in any order: sorted by Hilbert
 * tile id, identical contents stored once (clustered: data in tile-id
 * order, a repeat points back to its first copy), consecutive repeats
 * run-length encoded, directories gzip-compressed, leaf directories when
 * the root would not fit the first 16 KiB. Read back by keeping every
 * directory entry in memory and pread()ing the tile bytes. */
#ifndef COOPMAP_PMTILES_H
#define COOPMAP_PMTILES_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum { PMTILES_TYPE_UNKNOWN = 0, PMTILES_TYPE_MVT = 1, PMTILES_TYPE_PNG = 2 };

/* What the header says of the tiles, and the JSON metadata. */
typedef struct pmtiles_meta {
    int tile_type; /* PMTILES_TYPE_* */
    int minzoom, maxzoom, center_zoom;
    double bounds[4]; /* west, south, east, north (degrees) */
    double center[2]; /* lon, lat */
    char *json;       /* the metadata JSON object as text (NUL-terminated) */
} pmtiles_meta_t;

/* The Hilbert tile id of z/x/y (z 0..26; x, y < 2^z), and back. */
uint64_t pmtiles_tile_id(int z, uint32_t x, uint32_t y);
void pmtiles_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y);

/* One tile to write: its id and a key naming its bytes; equal keys mean
 * identical bytes (different keys may still hold identical bytes: those
 * are not merged). */
typedef struct pmtiles_entry {
    uint64_t tile_id;
    uint64_t content;
} pmtiles_entry_t;

/* Hands over the bytes of a content key: *data is malloc'd and freed by
 * the writer. */
typedef int (*pmtiles_read_fn)(void *arg, uint64_t content, unsigned char **data, size_t *len,
                               error_t *err);

typedef struct pmtiles_stats {
    uint64_t addressed; /* tiles */
    uint64_t entries;   /* directory entries pointing to tile data */
    uint64_t contents;  /* distinct contents stored */
    uint64_t file_bytes;
    uint64_t tile_bytes; /* bytes of the addressed tiles, each counted */
} pmtiles_stats_t;

/* Writes the archive to path atomically (a temporary file in the same
 * directory, renamed over path once complete and flushed): entries are
 * sorted in place; each content is read once through read(). meta->json
 * may be NULL ("{}"). stats may be NULL. */
int pmtiles_write(const char *path, pmtiles_entry_t *entries, size_t n, const pmtiles_meta_t *meta,
                  pmtiles_read_fn read, void *arg, pmtiles_stats_t *stats, error_t *err);

typedef struct pmtiles pmtiles_t;

/* Opens an archive for reading: checks the header, reads every directory
 * (root and leaves). Free with pmtiles_close(). Thread-safe to read. */
int pmtiles_open(const char *path, pmtiles_t **out, error_t *err);
pmtiles_t *pmtiles_close(pmtiles_t *p);

/* The tile's bytes (malloc'd; the caller frees them), ERR_NOTFOUND when
 * the archive has no such tile. */
int pmtiles_get(const pmtiles_t *p, int z, uint32_t x, uint32_t y, unsigned char **data,
                size_t *len, error_t *err);

/* Borrowed from the archive. */
const pmtiles_meta_t *pmtiles_meta(const pmtiles_t *p);

/* The counts the header records. */
void pmtiles_counts(const pmtiles_t *p, pmtiles_stats_t *out);

#endif
