/* `coopmap seed`: renders every tile of an area and zoom range into an
 * archive (MBTiles, PMTiles or a directory tree) on one worker per core,
 * continuing an interrupted seed of the same parameters. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/app.h"
#include "data/archive.h"
#include "data/crs.h"
#include "data/dataset.h"
#include "render/render_labels.h"
#include "render/tiles.h"
#include "util/clock.h"
#include "cli_internal.h"

#define MAX_SEED_TILES 4e9 /* more is a mistake in --zoom or --bbox */

/* What to seed, checked before anything loads. */
typedef struct seed_plan {
    archive_format_t format;
    int zmin, zmax;
    double bbox[4]; /* NAN: the data's extent */
    double scale;
    unsigned threads;
    tile_t lo[23], hi[23]; /* per zoom: the first and last tile (x, y) */
    uint64_t first[24];    /* tiles before zoom z, counted from zmin */
    uint64_t total;
} seed_plan_t;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "coopmap seed: ");
    fprintf(stderr, fmt, arg ? arg : "");
    fprintf(stderr, "\n");
    return 2;
}

static int parse_zoom(const char *text, int max_zoom, seed_plan_t *p)
{
    char *end;
    if (text == NULL) return usage_error("--zoom MIN-MAX is needed (e.g. --zoom 7-13)", NULL);
    long a = strtol(text, &end, 10), b = a;
    if (end != text && *end == '-') {
        const char *rest = end + 1;
        b = strtol(rest, &end, 10);
        if (end == rest) end = (char *)text;
    }
    if (end == text || *end != '\0' || a < 0 || b < 0)
        return usage_error("--zoom wants MIN-MAX or one zoom, whole numbers: got '%s'", text);
    if (a > b) return usage_error("--zoom '%s' runs backwards: write the lower zoom first", text);
    if (b > max_zoom) {
        fprintf(stderr, "coopmap seed: --zoom '%s' goes beyond zoom %d\n", text, max_zoom);
        return 2;
    }
    p->zmin = (int)a;
    p->zmax = (int)b;
    return 0;
}

static int parse_bbox(const char *text, double *b)
{
    b[0] = b[1] = b[2] = b[3] = NAN;
    if (text == NULL) return 0;
    char *end;
    const char *s = text;
    for (int i = 0; i < 4; i++) {
        b[i] = strtod(s, &end);
        if (end == s || (i < 3 && *end != ',') || !isfinite(b[i])) break;
        s = end + (i < 3);
        if (i == 3 && *end == '\0') {
            if (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] >= b[2] ||
                b[1] >= b[3])
                return usage_error("--bbox '%s' is not west,south,east,north within -180..180 "
                                   "and -90..90 with west < east and south < north",
                                   text);
            if (b[1] >= CRS_MERC_MAX_LAT || b[3] <= -CRS_MERC_MAX_LAT)
                return usage_error("--bbox '%s' lies outside the Web Mercator world "
                                   "(latitudes -85.0511..85.0511)",
                                   text);
            return 0;
        }
    }
    return usage_error("--bbox wants four numbers west,south,east,north: got '%s'", text);
}

/* The output must be writable before minutes of loading and rendering:
 * its directory (or, for a tree that exists, itself) a writable directory. */
static int check_writable(const char *path, archive_format_t f)
{
    char dir[4096];
    struct stat st;
    snprintf(dir, sizeof(dir), "%s", path);
    if (f != ARCHIVE_DIR || stat(path, &st) != 0) {
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            strcpy(dir, ".");
    }
    errno = 0;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) errno = ENOTDIR;
    if (errno == 0 && access(dir, W_OK) == 0) return 0;
    fprintf(stderr, "coopmap seed: cannot write %s: %s\n", path, strerror(errno));
    return 2;
}

static int plan_seed(const options_t *o, seed_plan_t *p)
{
    *p = (seed_plan_t){.scale = o->n.scale ? o->n.scale : 1};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    p->threads = o->n.threads ? (unsigned)o->n.threads : cores > 0 ? (unsigned)cores : 1;
    if (o->out == NULL || o->out[0] == '\0')
        return usage_error("--out FILE is needed (x.mbtiles, x.pmtiles or a directory)", NULL);
    error_t err = {0};
    if (archive_format_of(o->out, o->format, &p->format, &err) != ERR_OK)
        return usage_error("--%s", err.message);
    int rc = parse_zoom(o->zoom, (int)o->n.max_zoom, p);
    if (rc == 0) rc = parse_bbox(o->bbox, p->bbox);
    return rc ? rc : check_writable(o->out, p->format);
}

/* The tiles of each zoom over the box, and their count. */
static int count_tiles(seed_plan_t *p)
{
    double *b = p->bbox;
    double s = fmax(b[1], -CRS_MERC_MAX_LAT), n = fmin(b[3], CRS_MERC_MAX_LAT);
    double total = 0;
    for (int z = p->zmin; z <= p->zmax; z++) {
        p->lo[z] = tile_at(b[0], n, z);
        p->hi[z] = tile_at(b[2], s, z);
        /* A box ending on a tile edge does not take the next tile. */
        bbox_t hb = tile_bounds_lonlat(p->hi[z]);
        if (p->hi[z].x > p->lo[z].x && hb.minx >= b[2]) p->hi[z].x--;
        if (p->hi[z].y > p->lo[z].y && hb.maxy <= s) p->hi[z].y--;
        p->first[z - p->zmin] = (uint64_t)total;
        total += (double)(p->hi[z].x - p->lo[z].x + 1) * (double)(p->hi[z].y - p->lo[z].y + 1);
    }
    if (total > MAX_SEED_TILES) {
        fprintf(stderr, "coopmap seed: %.0f tiles; narrow --zoom or --bbox (at most %.0f)\n", total,
                MAX_SEED_TILES);
        return 2;
    }
    p->total = (uint64_t)total;
    p->first[p->zmax - p->zmin + 1] = p->total;
    return 0;
}

static tile_t tile_of(const seed_plan_t *p, uint64_t i)
{
    int z = p->zmin;
    while (i >= p->first[z - p->zmin + 1])
        z++;
    uint64_t k = i - p->first[z - p->zmin], w = p->hi[z].x - p->lo[z].x + 1;
    return (tile_t){z, p->lo[z].x + (uint32_t)(k % w), p->lo[z].y + (uint32_t)(k / w)};
}

/* --- the archive's description ---------------------------------------------------- */

static void data_extent(dataset_t *ds, double *b)
{
    bbox_t all = dataset_extent(ds);
    b[0] = fmax(all.minx, -180);
    b[1] = fmax(all.miny, -CRS_MERC_MAX_LAT);
    b[2] = fmin(all.maxx, 180);
    b[3] = fmin(all.maxy, CRS_MERC_MAX_LAT);
}

/* The seed's identity: what must match for a run to continue another. */
static char *seed_json(const seed_plan_t *p, const char *style, dataset_t *ds)
{
    json_t *o = json_pack("{s:s, s:f, s:[ii], s:[ffff], s:s}", "style", style, "scale", p->scale,
                          "zoom", p->zmin, p->zmax, "bbox", p->bbox[0], p->bbox[1], p->bbox[2],
                          p->bbox[3], "data_version", dataset_version(ds));
    char *text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    return text;
}

static archive_info_t seed_info(const seed_plan_t *p, const style_t *style, dataset_t *ds)
{
    const char *attr = dataset_attribution_short(ds);
    archive_info_t i = {.name = (char *)style_title(style),
                        .description = (char *)dataset_title(ds),
                        .attribution = (char *)attr,
                        .minzoom = p->zmin,
                        .maxzoom = p->zmax,
                        .bounds = {p->bbox[0], p->bbox[1], p->bbox[2], p->bbox[3]},
                        .center = {(p->bbox[0] + p->bbox[2]) / 2, (p->bbox[1] + p->bbox[3]) / 2,
                                   fmax(p->zmin, fmin(p->zmax, 9))},
                        .tile_px = p->scale == 2 ? 512 : 256};
    return i;
}

/* --- the workers ------------------------------------------------------------------ */

typedef struct seed_run {
    const seed_plan_t *plan;
    tiles_t *tiles;
    dataset_t *ds;
    const style_t *style;
    archive_writer_t *out;
    atomic_uint_fast64_t next, rendered, skipped, bytes;
    atomic_bool stop, failed;
    bool quiet;           /* no progress */
    pthread_mutex_t lock; /* err */
    error_t err;
} seed_run_t;

static void fail(seed_run_t *r, const error_t *e)
{
    pthread_mutex_lock(&r->lock);
    if (!atomic_load(&r->failed)) r->err = *e;
    atomic_store(&r->failed, true);
    atomic_store(&r->stop, true);
    pthread_mutex_unlock(&r->lock);
}

static void *seed_worker(void *arg)
{
    seed_run_t *r = arg;
    while (!atomic_load(&r->stop)) {
        uint64_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->plan->total) break;
        tile_t t = tile_of(r->plan, i);
        if (archive_writer_has(r->out, t.z, t.x, t.y)) {
            atomic_fetch_add(&r->skipped, 1);
            continue;
        }
        tile_blob_t *blob = NULL;
        error_t e = {0};
        int rc = tiles_get(r->tiles, r->ds, r->style, t, r->plan->scale, &blob, &e);
        if (rc == ERR_OK) rc = archive_writer_put(r->out, t.z, t.x, t.y, blob->data, blob->len, &e);
        if (rc == ERR_OK) atomic_fetch_add(&r->bytes, blob->len);
        if (blob) tile_blob_unref(blob);
        if (rc != ERR_OK) {
            fail(r, &e);
            break;
        }
        atomic_fetch_add(&r->rendered, 1);
    }
    return NULL;
}

/* "12:34" or "1:02:03". */
static void duration(double s, char *out, size_t size)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, size, "%ld:%02ld", t / 60, t % 60);
}

/* A bar redrawn in place on a terminal, a plain line every few seconds
 * otherwise (logs, CI). */
static void progress(seed_run_t *r, int64_t start_ns, bool tty, bool last)
{
    uint64_t rendered = atomic_load(&r->rendered), skipped = atomic_load(&r->skipped);
    uint64_t done = rendered + skipped, total = r->plan->total;
    double secs = (double)(clock_now_ns() - start_ns) / 1e9;
    double rate = secs > 0 ? (double)rendered / secs : 0;
    char eta[32] = "?";
    if (rate > 0) duration((double)(total - done) / rate, eta, sizeof(eta));
    double pct = total ? 100.0 * (double)done / (double)total : 100;
    if (tty) {
        char bar[31];
        int fill = (int)(pct * 30 / 100);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %llu/%llu %5.1f%% %.0f tiles/s ETA %s   %s", bar,
                (unsigned long long)done, (unsigned long long)total, pct, rate, eta,
                last ? "\n" : "");
    } else {
        fprintf(stderr, "seed: %llu/%llu tiles (%.1f%%), %.0f tiles/s, ETA %s\n",
                (unsigned long long)done, (unsigned long long)total, pct, rate, eta);
    }
    fflush(stderr);
}

/* Waits for the workers, drawing progress; SIGINT or SIGTERM stop them
 * (what is stored stays for the next run). Returns the signal, or 0. */
static int watch(seed_run_t *r, pthread_t *threads, unsigned n, const sigset_t *set)
{
    bool tty = isatty(STDERR_FILENO);
    int64_t start = clock_now_ns(), last_line = start;
    int sig = 0;
    while (atomic_load(&r->rendered) + atomic_load(&r->skipped) < r->plan->total &&
           !atomic_load(&r->failed)) {
        struct timespec wait = {0, 250000000};
        int got = sigtimedwait(set, NULL, &wait);
        if (got > 0) {
            sig = got;
            atomic_store(&r->stop, true);
            break;
        }
        if (!r->quiet && (tty || clock_now_ns() - last_line >= 5000000000LL)) {
            progress(r, start, tty, false);
            last_line = clock_now_ns();
        }
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    if (!r->quiet) progress(r, start, tty, true);
    return sig;
}

static int run_workers(seed_run_t *r, const sigset_t *set)
{
    pthread_t *threads = calloc(r->plan->threads, sizeof(*threads));
    unsigned started = 0;
    while (threads && started < r->plan->threads &&
           pthread_create(&threads[started], NULL, seed_worker, r) == 0)
        started++;
    if (started == 0) {
        free(threads);
        fprintf(stderr, "coopmap seed: error: cannot start threads\n");
        return -1;
    }
    int sig = watch(r, threads, started, set);
    free(threads);
    return sig;
}

/* --- the command ------------------------------------------------------------------ */

static void report(const char *out, archive_format_t f, const seed_run_t *r,
                   const archive_stats_t *s, double secs)
{
    uint64_t rendered = atomic_load(&r->rendered);
    printf("seeded %s (%s): %llu tiles, %llu rendered now in %.1f s (%.0f tiles/s on %u "
           "threads), %llu there already\n",
           out, archive_format_name(f), (unsigned long long)s->tiles, (unsigned long long)rendered,
           secs, secs > 0 ? (double)rendered / secs : 0, r->plan->threads,
           (unsigned long long)atomic_load(&r->skipped));
    printf("  %.1f MB of tiles, %llu duplicates (%.0f%%), %.1f MB on disk\n",
           (double)s->bytes / 1e6, (unsigned long long)s->duplicates,
           s->tiles ? 100.0 * (double)s->duplicates / (double)s->tiles : 0,
           (double)s->file_bytes / 1e6);
}

static int open_output(const options_t *o, seed_plan_t *p, const style_t *style, dataset_t *ds,
                       archive_writer_t **w)
{
    if (isnan(p->bbox[0])) data_extent(ds, p->bbox);
    if (count_tiles(p) != 0) return 2;
    archive_info_t info = seed_info(p, style, ds);
    info.seed = seed_json(p, style_id(style), ds);
    error_t err = {0};
    int rc = info.seed ? archive_writer_open(o->out, p->format, &info, w, &err) : ERR_NOMEM;
    free(info.seed);
    if (rc == ERR_OK) return 0;
    fprintf(stderr, "coopmap seed: %s\n", rc == ERR_NOMEM ? "out of memory" : err.message);
    return rc == ERR_DUPLICATE ? 2 : 1;
}

static int seed_with(const options_t *o, seed_plan_t *p, tiles_t *tiles, const sigset_t *set)
{
    const char *id = o->style ? o->style : "default";
    const style_t *style = tiles_style(tiles, id);
    if (style == NULL) return usage_error("no style '%s' (see --styles)", id);
    dataset_t *ds = NULL;
    if (cli_load(o->project, tiles, &ds) != ERR_OK) return 1;
    archive_writer_t *w = NULL;
    int status = open_output(o, p, style, ds, &w);
    if (status != 0) {
        dataset_unref(ds);
        return status;
    }
    seed_run_t r = {
        .plan = p, .tiles = tiles, .ds = ds, .style = style, .out = w, .quiet = o->quiet};
    pthread_mutex_init(&r.lock, NULL);
    int64_t start = clock_now_ns();
    int sig = run_workers(&r, set);
    if (sig != 0 || r.failed || sig < 0) {
        archive_writer_close(w);
        if (r.failed) fprintf(stderr, "coopmap seed: error: %s\n", r.err.message);
        if (sig > 0)
            fprintf(stderr, "coopmap seed: stopped by signal %d; the same command continues\n",
                    sig);
        status = sig > 0 ? 128 + sig : 1;
    } else {
        archive_stats_t s;
        error_t err = {0};
        if (archive_writer_finish(w, &s, &err) != ERR_OK) {
            fprintf(stderr, "coopmap seed: error: %s\n", err.message);
            status = 1;
        } else {
            report(o->out, p->format, &r, &s, (double)(clock_now_ns() - start) / 1e9);
        }
    }
    pthread_mutex_destroy(&r.lock);
    dataset_unref(ds);
    return status;
}

int cli_seed(const options_t *o)
{
    seed_plan_t plan;
    int status = plan_seed(o, &plan);
    if (status != 0) return status;
    /* Threads inherit the mask: only watch() takes the signals. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    tiles_config_t cfg = {o->styles, (size_t)32 << 20, (int)o->n.max_zoom};
    tiles_t *tiles = NULL;
    error_t err = {0};
    labels_set_cache_budget((size_t)o->n.label_cache_mb << 20);
    if (tiles_create(&cfg, &tiles, &err) != ERR_OK) {
        fprintf(stderr, "coopmap seed: error: %s\n", err.message);
        status = 1;
    } else {
        status = seed_with(o, &plan, tiles, &set);
    }
    tiles_destroy(tiles);
    return status;
}
