/* The tile service: the styles, the tile cache, and rendering a tile of a
 * dataset through them. Shared by all request threads. */
#ifndef COOPMAP_TILES_H
#define COOPMAP_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "data/dataset.h"
#include "util/error.h"
#include "render/style.h"
#include "render/tile.h"
#include "render/tilecache.h"

typedef struct tiles_config {
    const char *styles_dir; /* every *.json in it is a style */
    size_t cache_bytes;     /* 0: no tile cache */
    int max_zoom;           /* 0..22 */
} tiles_config_t;

typedef struct tiles tiles_t;

/* Loads the styles (failing on the first bad one, naming it). Free with
 * tiles_destroy(). */
int tiles_create(const tiles_config_t *cfg, tiles_t **out, error_t *err);
tiles_t *tiles_destroy(tiles_t *t);

/* Checks every style against a dataset's layers (see style_check_layers). */
int tiles_check(const tiles_t *t, const dataset_t *ds, error_t *err);

/* Prepares every style's labels for ds (see labels_prepare()). */
void tiles_prepare(const tiles_t *t, dataset_t *ds);

size_t tiles_style_count(const tiles_t *t);
const style_t *tiles_style_at(const tiles_t *t, size_t i);
const style_t *tiles_style(const tiles_t *t, const char *id);

/* The style maps draw a network's ties in (render_ties_style()); borrowed. */
const style_t *tiles_ties_style(const tiles_t *t);

/* The style's variant whose labels follow the language (sl, de, hu, en;
 * NULL: the style's own labels) and, if bilingual, show official bilingual
 * names (see style_localize()). NULL for an unknown id; an unknown language
 * is taken as none (callers check it with style_lang_known()). */
const style_t *tiles_style_lang(const tiles_t *t, const char *id, const char *lang,
                                bool bilingual); /* NULL if unknown */
int tiles_max_zoom(const tiles_t *t);

/* The PNG of a tile (scale 1 or 2): from the cache, or rendered once
 * however many ask at the same time. Tiles where only the background would
 * show share one cached background tile per style, zoom and scale. The
 * caller releases *out with tile_blob_unref(). */
int tiles_get(tiles_t *t, dataset_t *ds, const style_t *style, tile_t tile, double scale,
              tile_blob_t **out, error_t *err);

/* The cached PNG if there is one, without rendering (NULL otherwise). */
tile_blob_t *tiles_peek(tiles_t *t, dataset_t *ds, const style_t *style, tile_t tile, double scale);

/* The Mapbox Vector Tile of a tile of the grid (see mvt.h), cached like
 * the PNGs; a tile with no feature is a blob of length 0; layer NULL: every
 * layer, else that one only. Released with tile_blob_unref(). */
int tiles_get_vector(tiles_t *t, dataset_t *ds, tile_grid_t grid, tile_t tile, const char *layer,
                     tile_blob_t **out, error_t *err);
tile_blob_t *tiles_peek_vector(tiles_t *t, dataset_t *ds, tile_grid_t grid, tile_t tile,
                               const char *layer);

/* A glyph range of a font stack (see glyphs.h), cached with the tiles. */
int tiles_get_glyphs(tiles_t *t, const char *stack, unsigned start, tile_blob_t **out,
                     error_t *err);

tilecache_t *tiles_cache(const tiles_t *t);

/* Render times, for the metrics: tiles are counted by tiles_get(), static
 * maps by their caller. */
typedef enum tiles_render {
    TILES_RENDER_TILE,
    TILES_RENDER_MAP,
    TILES_RENDER_VECTOR
} tiles_render_t;
void tiles_count_render(tiles_t *t, tiles_render_t kind, int64_t ns);

/* Appends the caches' and renderers' counters in the Prometheus format. */
void tiles_write_metrics(tiles_t *t, buf_t *b);

#endif
