#include "render/tiles.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "render/glyphs.h"
#include "render/mvt.h"
#include "render/render.h"
#include "render/render_labels.h"
#include "render/render_static.h"
#include "util/stats.h"

#define MAX_STYLES       32
#define BACKGROUND_BYTES ((size_t)8 << 20)

/* Each style's variants for the map languages: 4 languages, each plain or
 * with bilingual names, and bilingual names alone (style_localize()). */
#define NLANGS    4
#define NVARIANTS (2 * NLANGS + 1)

struct tiles {
    style_t *styles[MAX_STYLES];
    style_t *variants[MAX_STYLES][NVARIANTS];
    style_t *ties; /* render_ties_style() */
    size_t nstyles;
    tilecache_t *cache;
    tilecache_t *backgrounds; /* always on: one tile per style, zoom, scale */
    size_t cache_max;
    int max_zoom;
    stats_hist_t render[3]; /* tiles_render_t */
};

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The style files of a directory, sorted so the style order is stable. */
static int list_styles(const char *dir, char **names, size_t *n, error_t *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) return error_set(err, ERR_IO, "%s: cannot open the styles directory", dir);
    struct dirent *de;
    *n = 0;
    while ((de = readdir(d)) != NULL && *n < MAX_STYLES) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0 && de->d_name[0] != '.')
            names[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof(char *), cmp_name);
    return *n ? ERR_OK : error_set(err, ERR_EMPTY, "%s: no *.json styles", dir);
}

static const char *const langs[NLANGS] = STYLE_LANGS;

/* Which of the variants: -1 for the style itself. */
static int variant_index(const char *lang, bool bilingual)
{
    int li = -1;
    for (int i = 0; lang && i < NLANGS; i++)
        if (strcmp(lang, langs[i]) == 0) li = i;
    if (li < 0 && !bilingual) return -1;
    return bilingual ? (li < 0 ? 2 * NLANGS : NLANGS + li) : li;
}

static int make_variants(const style_t *base, style_t **variants, error_t *err)
{
    for (int v = 0; v < NVARIANTS; v++) {
        const char *lang = v < 2 * NLANGS ? langs[v % NLANGS] : NULL;
        int rc = style_localize(base, lang, v >= NLANGS, &variants[v], err);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

int tiles_create(const tiles_config_t *cfg, tiles_t **out, error_t *err)
{
    char *names[MAX_STYLES];
    size_t n = 0;
    *out = NULL;
    int rc = list_styles(cfg->styles_dir, names, &n, err);
    tiles_t *t = rc == ERR_OK ? calloc(1, sizeof(*t)) : NULL;
    if (rc == ERR_OK && t == NULL) rc = error_set(err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", cfg->styles_dir, names[i]);
        rc = style_load(path, &t->styles[t->nstyles], err);
        if (rc == ERR_OK) rc = make_variants(t->styles[t->nstyles], t->variants[t->nstyles], err);
        if (rc == ERR_OK || t->styles[t->nstyles]) t->nstyles++; /* so tiles_destroy() frees it */
        if (rc == ERR_OK && strcmp(style_id(t->styles[t->nstyles - 1]), "vector") == 0)
            rc = error_set(err, ERR_INVALID, "%s: the style id 'vector' names the vector tiles",
                           path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    if (rc == ERR_OK && (t->ties = render_ties_style(err)) == NULL)
        rc = err->code ? err->code : ERR_NOMEM;
    if (rc == ERR_OK) {
        t->max_zoom = cfg->max_zoom;
        t->cache_max = cfg->cache_bytes;
        t->cache = tilecache_create(cfg->cache_bytes);
        t->backgrounds = tilecache_create(BACKGROUND_BYTES);
        if (t->cache == NULL || t->backgrounds == NULL)
            rc = error_set(err, ERR_NOMEM, "out of memory");
    }
    if (rc != ERR_OK) {
        tiles_destroy(t);
        return rc;
    }
    *out = t;
    return ERR_OK;
}

tiles_t *tiles_destroy(tiles_t *t)
{
    if (t == NULL) return NULL;
    for (size_t i = 0; i < t->nstyles; i++) {
        style_destroy(t->styles[i]);
        for (int v = 0; v < NVARIANTS; v++)
            style_destroy(t->variants[i][v]);
    }
    style_destroy(t->ties);
    tilecache_destroy(t->cache);
    tilecache_destroy(t->backgrounds);
    free(t);
    return NULL;
}

int tiles_check(const tiles_t *t, const dataset_t *ds, error_t *err)
{
    const layer_t *layers[64];
    size_t n = dataset_layer_count(ds);
    for (size_t i = 0; i < n && i < 64; i++)
        layers[i] = dataset_layer(ds, i);
    for (size_t i = 0; i < t->nstyles; i++) {
        int rc = style_check_layers(t->styles[i], layers, n < 64 ? n : 64, err);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

void tiles_prepare(const tiles_t *t, dataset_t *ds)
{
    for (size_t i = 0; i < t->nstyles; i++)
        labels_prepare(t->styles[i], ds);
}

size_t tiles_style_count(const tiles_t *t)
{
    return t->nstyles;
}

const style_t *tiles_style_at(const tiles_t *t, size_t i)
{
    return i < t->nstyles ? t->styles[i] : NULL;
}

const style_t *tiles_style(const tiles_t *t, const char *id)
{
    return tiles_style_lang(t, id, NULL, false);
}

const style_t *tiles_style_lang(const tiles_t *t, const char *id, const char *lang, bool bilingual)
{
    int v = variant_index(lang, bilingual);
    for (size_t i = 0; i < t->nstyles; i++)
        if (strcmp(style_id(t->styles[i]), id) == 0)
            return v < 0 ? t->styles[i] : t->variants[i][v];
    return NULL;
}

const style_t *tiles_ties_style(const tiles_t *t)
{
    return t->ties;
}

int tiles_max_zoom(const tiles_t *t)
{
    return t->max_zoom;
}

tilecache_t *tiles_cache(const tiles_t *t)
{
    return t->cache;
}

typedef struct job {
    tiles_t *tiles;
    const render_view_t *view;
    const style_t *style;
    dataset_t *ds;
} job_t;

static int make_png(void *arg, unsigned char **data, size_t *len, error_t *err)
{
    job_t *j = arg;
    int64_t start = clock_now_ns();
    int rc = render_png(j->view, j->style, j->ds, data, len, err);
    tiles_count_render(j->tiles, TILES_RENDER_TILE, clock_now_ns() - start);
    return rc;
}

void tiles_count_render(tiles_t *t, tiles_render_t kind, int64_t ns)
{
    stats_hist_add(&t->render[kind], ns);
}

static void cache_metrics(buf_t *b, tilecache_t *c, const char *name, size_t max)
{
    size_t bytes, entries, hits, misses;
    char labels[64];
    tilecache_stats(c, &bytes, &entries, &hits, &misses);
    snprintf(labels, sizeof(labels), "cache=\"%s\"", name);
    stats_write_count(b, "coopmap_tile_cache_hits_total", labels, hits);
    stats_write_count(b, "coopmap_tile_cache_misses_total", labels, misses);
    stats_write_count(b, "coopmap_tile_cache_bytes", labels, bytes);
    stats_write_count(b, "coopmap_tile_cache_max_bytes", labels, max);
    stats_write_count(b, "coopmap_tile_cache_entries", labels, entries);
}

void tiles_write_metrics(tiles_t *t, buf_t *b)
{
    stats_write_family(b, "coopmap_tile_cache_hits_total", "counter", "Tile cache hits.");
    stats_write_family(b, "coopmap_tile_cache_misses_total", "counter", "Tile cache misses.");
    stats_write_family(b, "coopmap_tile_cache_bytes", "gauge", "Bytes of PNG held.");
    stats_write_family(b, "coopmap_tile_cache_max_bytes", "gauge", "The cache's budget.");
    stats_write_family(b, "coopmap_tile_cache_entries", "gauge", "Tiles held.");
    cache_metrics(b, t->cache, "tiles", t->cache_max);
    cache_metrics(b, t->backgrounds, "backgrounds", BACKGROUND_BYTES);
    stats_write_family(b, "coopmap_label_cache_bytes", "gauge",
                       "Bytes of label placements held (text bounds per style, decisions per "
                       "zoom).");
    stats_write_count(b, "coopmap_label_cache_bytes", NULL, labels_cache_bytes());
    stats_write_family(b, "coopmap_labels_over_bound_total", "counter",
                       "Labels left out because their laid-out size exceeded its bound (0 "
                       "expected).");
    stats_write_count(b, "coopmap_labels_over_bound_total", NULL, labels_over_bound());
    stats_write_family(b, "coopmap_render_duration_seconds", "histogram",
                       "Time spent drawing and encoding, by kind.");
    stats_write_hist(b, "coopmap_render_duration_seconds", "kind=\"tile\"", &t->render[0]);
    stats_write_hist(b, "coopmap_render_duration_seconds", "kind=\"map\"", &t->render[1]);
    stats_write_hist(b, "coopmap_render_duration_seconds", "kind=\"vector\"", &t->render[2]);
}

typedef struct vector_job {
    tiles_t *tiles;
    dataset_t *ds;
    tile_grid_t grid;
    tile_t tile;
    const char *layer;
} vector_job_t;

static int make_mvt(void *arg, unsigned char **data, size_t *len, error_t *err)
{
    vector_job_t *j = arg;
    int64_t start = clock_now_ns();
    int rc = mvt_tile(j->ds, j->grid, j->tile, j->layer, data, len, err);
    tiles_count_render(j->tiles, TILES_RENDER_VECTOR, clock_now_ns() - start);
    if (rc == ERR_OK && *data == NULL) *data = malloc(1); /* the cache wants a buffer */
    return rc == ERR_OK && *data == NULL ? error_set(err, ERR_NOMEM, "out of memory") : rc;
}

static void vector_key(char *key, size_t size, const dataset_t *ds, tile_grid_t grid, tile_t tile,
                       const char *layer)
{
    snprintf(key, size, "mvt%s/%.100s/%d/%u/%u#%s", grid == TILE_GRID_CRS84 ? "84" : "",
             layer ? layer : "", tile.z, tile.x, tile.y, dataset_version(ds));
}

int tiles_get_vector(tiles_t *t, dataset_t *ds, tile_grid_t grid, tile_t tile, const char *layer,
                     tile_blob_t **out, error_t *err)
{
    vector_job_t job = {t, ds, grid, tile, layer};
    char key[256];
    vector_key(key, sizeof(key), ds, grid, tile, layer);
    return tilecache_get(t->cache, key, make_mvt, &job, out, err);
}

tile_blob_t *tiles_peek_vector(tiles_t *t, dataset_t *ds, tile_grid_t grid, tile_t tile,
                               const char *layer)
{
    char key[256];
    vector_key(key, sizeof(key), ds, grid, tile, layer);
    return tilecache_peek(t->cache, key);
}

typedef struct glyph_job {
    const char *stack;
    unsigned start;
} glyph_job_t;

static int make_glyphs(void *arg, unsigned char **data, size_t *len, error_t *err)
{
    glyph_job_t *j = arg;
    return glyphs_range(j->stack, j->start, data, len, err);
}

int tiles_get_glyphs(tiles_t *t, const char *stack, unsigned start, tile_blob_t **out, error_t *err)
{
    glyph_job_t job = {stack, start};
    char key[400];
    snprintf(key, sizeof(key), "glyphs/%u/%.300s", start, stack);
    return tilecache_get(t->cache, key, make_glyphs, &job, out, err);
}

/* Cache keys carry the data version: a reload never serves old tiles. */
static void tile_key(char *key, size_t size, const dataset_t *ds, const style_t *style, tile_t tile,
                     double scale)
{
    snprintf(key, size, "%s%s%s/%d/%u/%u@%g#%s", style_id(style), *style_lang(style) ? "~" : "",
             style_lang(style), tile.z, tile.x, tile.y, scale, dataset_version(ds));
}

tile_blob_t *tiles_peek(tiles_t *t, dataset_t *ds, const style_t *style, tile_t tile, double scale)
{
    char key[256];
    tile_key(key, sizeof(key), ds, style, tile, scale);
    return tilecache_peek(t->cache, key);
}

int tiles_get(tiles_t *t, dataset_t *ds, const style_t *style, tile_t tile, double scale,
              tile_blob_t **out, error_t *err)
{
    render_view_t view = render_tile_view(tile, scale);
    job_t job = {t, &view, style, ds};
    char key[256];
    if (render_view_is_empty(&view, style, ds)) {
        /* Any tile of this zoom with nothing on it looks the same. */
        snprintf(key, sizeof(key), "bg/%s/%d@%g#%s", style_id(style), tile.z, scale,
                 dataset_version(ds));
        return tilecache_get(t->backgrounds, key, make_png, &job, out, err);
    }
    tile_key(key, sizeof(key), ds, style, tile, scale);
    return tilecache_get(t->cache, key, make_png, &job, out, err);
}
