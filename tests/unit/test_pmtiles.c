/* PMTiles v3: tile ids, writing and reading back (small, with leaf
 * directories, deterministic), and files that lie. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/pmtiles.h"

#define MAX_KEYS 4096

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The bytes of a content key: its 8 bytes, then a pattern of a length
 * that depends on it. */
static unsigned char *content_bytes(uint64_t key, size_t *len)
{
    *len = 8 + (size_t)(key * 7919 % 300);
    unsigned char *b = malloc(*len);
    assert_non_null(b);
    for (size_t i = 0; i < *len; i++)
        b[i] = i < 8 ? (unsigned char)(key >> (8 * i)) : (unsigned char)(key * 31 + i * 7);
    return b;
}

typedef struct source {
    unsigned reads[MAX_KEYS];
    int nreads, fail_at; /* fail the fail_at-th read (1-based; 0: never) */
    bool empty;          /* hand over 0 bytes */
} source_t;

static int read_content(void *arg, uint64_t key, unsigned char **data, size_t *len, error_t *err)
{
    source_t *src = arg;
    assert_true(key < MAX_KEYS);
    src->reads[key]++;
    if (++src->nreads == src->fail_at) return error_set(err, ERR_IO, "content %d fails", (int)key);
    *data = content_bytes(key, len);
    if (src->empty) *len = 0;
    return ERR_OK;
}

static char *make_dir(void)
{
    char *d = strdup("/tmp/test_pmtiles.XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char path[512];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        assert_int_equal(unlink(path), 0);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void set_byte(const char *path, size_t at, unsigned char v)
{
    size_t len;
    unsigned char *f = slurp(path, &len);
    assert_true(at < len);
    f[at] = v;
    spit(path, f, len);
    free(f);
}

static uint64_t le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static const pmtiles_meta_t test_meta = {.tile_type = PMTILES_TYPE_PNG,
                                         .minzoom = 0,
                                         .maxzoom = 3,
                                         .center_zoom = 2,
                                         .bounds = {14.8, 46.0, 17.6, 47.6},
                                         .center = {16.2, -46.8},
                                         .json = "{\"name\":\"test\"}"};

static void test_tile_ids(void **state)
{
    (void)state;
    assert_int_equal(pmtiles_tile_id(0, 0, 0), 0);
    assert_int_equal(pmtiles_tile_id(1, 0, 0), 1);
    assert_int_equal(pmtiles_tile_id(1, 0, 1), 2);
    assert_int_equal(pmtiles_tile_id(1, 1, 1), 3);
    assert_int_equal(pmtiles_tile_id(1, 1, 0), 4);
    assert_int_equal(pmtiles_tile_id(2, 0, 0), 5);
    assert_int_equal(pmtiles_tile_id(3, 0, 0), 21);
    /* The last tile of z26 is the one before z27's first. */
    uint64_t z27 = ((UINT64_C(1) << 54) - 1) / 3;
    uint32_t m = (1u << 26) - 1;
    assert_true(pmtiles_tile_id(26, m, 0) == z27 - 1);

    /* Every tile of z0..8 maps to the next id, and back. */
    uint64_t want = 0;
    for (int z = 0; z <= 8; z++) {
        uint32_t n = 1u << z;
        for (uint64_t d = 0; d < (uint64_t)n * n; d++, want++) {
            int zz;
            uint32_t x, y;
            pmtiles_tile_zxy(want, &zz, &x, &y);
            if (zz != z || x >= n || y >= n || pmtiles_tile_id(z, x, y) != want)
                fail_msg("id %llu: %d/%u/%u", (unsigned long long)want, zz, x, y);
        }
    }
    uint64_t s = 1;
    for (int i = 0; i < 200000; i++) {
        int z = (int)(rnd(&s) % 27), zz;
        uint32_t x = (uint32_t)(rnd(&s) & ((1u << z) - 1)), y = (uint32_t)(rnd(&s) >> 40);
        y &= (1u << z) - 1;
        uint32_t xx, yy;
        pmtiles_tile_zxy(pmtiles_tile_id(z, x, y), &zz, &xx, &yy);
        if (zz != z || xx != x || yy != y) fail_msg("%d/%u/%u -> %d/%u/%u", z, x, y, zz, xx, yy);
    }
}

typedef struct tile {
    int z;
    uint32_t x, y;
    uint64_t key;
} tile_t;

/* z0..2 complete (z2 all one content: a run of 16), 20 tiles of z3 among
 * four contents, one shared with z0. */
static size_t small_tiles(tile_t *t)
{
    size_t n = 0;
    t[n++] = (tile_t){0, 0, 0, 100};
    for (uint32_t i = 0; i < 4; i++)
        t[n++] = (tile_t){1, i & 1, i >> 1, 101 + i};
    for (uint32_t i = 0; i < 16; i++)
        t[n++] = (tile_t){2, i & 3, i >> 2, 7};
    static const uint64_t keys[] = {7, 8, 9, 100};
    for (uint32_t i = 0; i < 20; i++)
        t[n++] = (tile_t){3, (i * 3) & 7, (i * 5 / 8) & 7, keys[i % 4]};
    return n;
}

static void to_entries(const tile_t *t, size_t n, pmtiles_entry_t *e, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        e[i] = (pmtiles_entry_t){pmtiles_tile_id(t[i].z, t[i].x, t[i].y), t[i].key};
    for (size_t i = n - 1; i > 0; i--) { /* shuffled: the writer sorts */
        size_t j = (size_t)(rnd(&seed) % (i + 1));
        pmtiles_entry_t tmp = e[i];
        e[i] = e[j];
        e[j] = tmp;
    }
}

static void expect_tile(const pmtiles_t *p, int z, uint32_t x, uint32_t y, uint64_t key)
{
    unsigned char *data = NULL;
    size_t len = 0, want_len;
    error_t err = {0};
    if (pmtiles_get(p, z, x, y, &data, &len, &err) != ERR_OK)
        fail_msg("%d/%u/%u: %s", z, x, y, err.message);
    unsigned char *want = content_bytes(key, &want_len);
    assert_int_equal(len, want_len);
    assert_memory_equal(data, want, len);
    free(want);
    free(data);
}

static void expect_absent(const pmtiles_t *p, int z, uint32_t x, uint32_t y)
{
    unsigned char *data = (unsigned char *)"x";
    size_t len = 1;
    error_t err = {0};
    assert_int_equal(pmtiles_get(p, z, x, y, &data, &len, &err), ERR_NOTFOUND);
    assert_null(data);
    assert_int_equal(len, 0);
}

static void test_small(void **state)
{
    (void)state;
    char *dir = make_dir(), path[256];
    snprintf(path, sizeof(path), "%s/a.pmtiles", dir);
    tile_t t[64];
    size_t n = small_tiles(t);
    pmtiles_entry_t e[64];
    to_entries(t, n, e, 42);
    source_t *src = calloc(1, sizeof(*src));
    pmtiles_stats_t st = {0};
    error_t err = {0};
    if (pmtiles_write(path, e, n, &test_meta, read_content, src, &st, &err) != ERR_OK)
        fail_msg("%s", err.message);
    assert_int_equal(count_files(dir), 1);

    /* Keys 100..104, 7, 8, 9, each read once; the z2 run is one entry. */
    assert_int_equal(st.addressed, n);
    assert_int_equal(st.contents, 8);
    assert_true(st.entries <= n - 15);
    for (uint64_t k = 0; k < MAX_KEYS; k++)
        assert_true(src->reads[k] <= 1);
    assert_int_equal(src->nreads, 8);

    size_t flen;
    unsigned char *f = slurp(path, &flen);
    assert_int_equal(st.file_bytes, flen);
    assert_memory_equal(f, "PMTiles\x03", 8);
    assert_int_equal(le(f + 8, 8), 127);                   /* root offset */
    assert_int_equal(le(f + 56, 8) + le(f + 64, 8), flen); /* data runs to the end */
    assert_int_equal(le(f + 72, 8), n);                    /* addressed */
    assert_int_equal(le(f + 80, 8), st.entries);           /* entries */
    assert_int_equal(le(f + 88, 8), 8);                    /* contents */
    assert_int_equal(f[96], 1);                            /* clustered */
    assert_int_equal(f[97], 2);                            /* gzip directories */
    assert_int_equal(f[98], 1);                            /* tiles uncompressed */
    assert_int_equal(f[99], 2);                            /* PNG */
    assert_int_equal(f[100], 0);
    assert_int_equal(f[101], 3);
    assert_int_equal((int32_t)le(f + 102, 4), 148000000);
    assert_int_equal((int32_t)le(f + 106, 4), 460000000);
    assert_int_equal((int32_t)le(f + 110, 4), 176000000);
    assert_int_equal((int32_t)le(f + 114, 4), 476000000);
    assert_int_equal(f[118], 2);
    assert_int_equal((int32_t)le(f + 119, 4), 162000000);
    assert_int_equal((int32_t)le(f + 123, 4), -468000000);
    assert_int_equal(le(f + 48, 8), 0); /* no leaves needed */
    free(f);

    pmtiles_t *p = NULL;
    if (pmtiles_open(path, &p, &err) != ERR_OK) fail_msg("%s", err.message);
    for (size_t i = 0; i < n; i++)
        expect_tile(p, t[i].z, t[i].x, t[i].y, t[i].key);
    const pmtiles_meta_t *m = pmtiles_meta(p);
    assert_string_equal(m->json, "{\"name\":\"test\"}");
    assert_int_equal(m->tile_type, PMTILES_TYPE_PNG);
    assert_int_equal(m->maxzoom, 3);
    assert_int_equal(m->center_zoom, 2);
    assert_true(m->bounds[1] == 46.0 && m->bounds[2] == 17.6 && m->center[1] == -46.8);
    pmtiles_stats_t counts;
    pmtiles_counts(p, &counts);
    assert_memory_equal(&counts, &st, sizeof(st));

    int have[8][8] = {{0}};
    for (size_t i = 0; i < n; i++)
        if (t[i].z == 3) have[t[i].x][t[i].y] = 1;
    for (uint32_t x = 0; x < 8; x++)
        for (uint32_t y = 0; y < 8; y++)
            if (!have[x][y]) expect_absent(p, 3, x, y);
    expect_absent(p, 4, 0, 0);
    expect_absent(p, 3, 8, 0);
    expect_absent(p, 2, 0, 4);
    expect_absent(p, 27, 0, 0);
    expect_absent(p, -1, 0, 0);
    p = pmtiles_close(p);
    assert_null(p);
    assert_null(pmtiles_close(NULL));

    /* No JSON given: "{}". */
    pmtiles_meta_t bare = test_meta;
    bare.json = NULL;
    assert_int_equal(pmtiles_write(path, e, n, &bare, read_content, src, NULL, &err), ERR_OK);
    assert_int_equal(pmtiles_open(path, &p, &err), ERR_OK);
    assert_string_equal(pmtiles_meta(p)->json, "{}");
    pmtiles_close(p);
    free(src);
    remove_dir(dir);
}

/* Enough entries that the root cannot hold them: leaf directories. */
#define LARGE_N    200000
#define LARGE_KEYS 1000

static uint64_t large_key(uint64_t id)
{
    /* Mostly scattered keys, with stretches of one key for runs. */
    return (id / 64) % 5 == 0 ? 3 : (id * 0x9e3779b97f4a7c15ULL >> 40) % LARGE_KEYS;
}

static void write_large(const char *path, pmtiles_stats_t *st)
{
    pmtiles_entry_t *e = malloc(LARGE_N * sizeof(*e));
    assert_non_null(e);
    for (uint64_t i = 0; i < LARGE_N; i++)
        e[i] = (pmtiles_entry_t){LARGE_N - 1 - i, large_key(LARGE_N - 1 - i)};
    source_t *src = calloc(1, sizeof(*src));
    error_t err = {0};
    if (pmtiles_write(path, e, LARGE_N, &test_meta, read_content, src, st, &err) != ERR_OK)
        fail_msg("%s", err.message);
    assert_int_equal(src->nreads, LARGE_KEYS);
    free(src);
    free(e);
}

typedef struct reader {
    const pmtiles_t *p;
    uint64_t start;
    int failures;
} reader_t;

static void *read_many(void *arg)
{
    reader_t *r = arg;
    for (uint64_t id = r->start; id < LARGE_N; id += 13) {
        int z;
        uint32_t x, y;
        pmtiles_tile_zxy(id, &z, &x, &y);
        unsigned char *data;
        size_t len, want_len;
        error_t err;
        unsigned char *want = content_bytes(large_key(id), &want_len);
        if (pmtiles_get(r->p, z, x, y, &data, &len, &err) != ERR_OK || len != want_len ||
            memcmp(data, want, len) != 0)
            r->failures++;
        else
            free(data);
        free(want);
    }
    return NULL;
}

static void test_large(void **state)
{
    (void)state;
    char *dir = make_dir(), path[256], path2[256];
    snprintf(path, sizeof(path), "%s/big.pmtiles", dir);
    snprintf(path2, sizeof(path2), "%s/big2.pmtiles", dir);
    pmtiles_stats_t st;
    write_large(path, &st);
    assert_int_equal(st.addressed, LARGE_N);
    assert_int_equal(st.contents, LARGE_KEYS);
    assert_true(st.entries < LARGE_N);
    assert_true(st.entries > LARGE_N / 2);

    size_t flen;
    unsigned char *f = slurp(path, &flen);
    assert_true(127 + le(f + 16, 8) < 16384);
    assert_true(le(f + 48, 8) > 0);
    assert_int_equal(le(f + 80, 8), st.entries);

    /* Deterministic: the same tiles give the same bytes. */
    pmtiles_stats_t st2;
    write_large(path2, &st2);
    size_t flen2;
    unsigned char *f2 = slurp(path2, &flen2);
    assert_int_equal(flen, flen2);
    assert_memory_equal(f, f2, flen);
    free(f);
    free(f2);

    pmtiles_t *p = NULL;
    error_t err = {0};
    if (pmtiles_open(path, &p, &err) != ERR_OK) fail_msg("%s", err.message);
    reader_t r[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (reader_t){p, (uint64_t)i * 3, 0};
        assert_int_equal(pthread_create(&th[i], NULL, read_many, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    expect_tile(p, 0, 0, 0, large_key(0));
    int z;
    uint32_t x, y;
    pmtiles_tile_zxy(LARGE_N - 1, &z, &x, &y);
    expect_tile(p, z, x, y, large_key(LARGE_N - 1));
    pmtiles_tile_zxy(LARGE_N, &z, &x, &y);
    expect_absent(p, z, x, y);
    expect_absent(p, 12, 0, 0);
    pmtiles_close(p);
    remove_dir(dir);
}

static void test_refusals(void **state)
{
    (void)state;
    char *dir = make_dir(), path[256];
    snprintf(path, sizeof(path), "%s/r.pmtiles", dir);
    tile_t t[64];
    size_t n = small_tiles(t);
    pmtiles_entry_t e[64];
    to_entries(t, n, e, 7);
    source_t *src = calloc(1, sizeof(*src));
    error_t err = {0};

    assert_int_equal(pmtiles_write(path, e, 0, &test_meta, read_content, src, NULL, &err),
                     ERR_EMPTY);
    e[3].tile_id = e[9].tile_id;
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err),
                     ERR_INVALID);
    assert_non_null(strstr(err.message, "twice"));
    to_entries(t, n, e, 7);
    pmtiles_meta_t bad = test_meta;
    bad.maxzoom = 40;
    assert_int_equal(pmtiles_write(path, e, n, &bad, read_content, src, NULL, &err), ERR_INVALID);
    e[0].tile_id = pmtiles_tile_id(27, 0, 0); /* beyond z26 */
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err),
                     ERR_INVALID);
    to_entries(t, n, e, 7);
    assert_int_equal(src->nreads, 0);
    src->empty = true; /* a tile must have bytes */
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err),
                     ERR_INVALID);
    memset(src, 0, sizeof(*src));
    assert_int_equal(count_files(dir), 0);

    /* A read failing half way leaves neither the archive nor a temporary
     * file, and keeps an archive that was there before. */
    src->fail_at = 5;
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err), ERR_IO);
    assert_non_null(strstr(err.message, "fails"));
    assert_int_equal(count_files(dir), 0);
    memset(src, 0, sizeof(*src));
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err), ERR_OK);
    memset(src, 0, sizeof(*src));
    src->fail_at = 2;
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err), ERR_IO);
    assert_int_equal(count_files(dir), 1);
    pmtiles_t *p = NULL;
    assert_int_equal(pmtiles_open(path, &p, &err), ERR_OK);
    pmtiles_close(p);

    snprintf(path, sizeof(path), "%s/none/x.pmtiles", dir);
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err), ERR_IO);
    assert_int_equal(pmtiles_open(path, &p, &err), ERR_IO);
    assert_null(p);
    free(src);
    remove_dir(dir);
}

/* --- hostile files ------------------------------------------------------------ */

static void expect_format(const char *path, const char *what)
{
    pmtiles_t *p = (pmtiles_t *)&p; /* not NULL: a failed open must clear it */
    error_t err = {0};
    int rc = pmtiles_open(path, &p, &err);
    if (rc != ERR_FORMAT) fail_msg("%s: got %d (%s)", what, rc, err.message);
    assert_null(p);
    assert_non_null(strstr(err.message, path));
}

static void varint(unsigned char **p, uint64_t v)
{
    do {
        *(*p)++ = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v);
}

/* A directory of n entries (id, offset, length, run), zlib-compressed
 * unless raw; returns its length. */
static size_t make_dir_bytes(unsigned char *out, size_t cap, const uint64_t (*ent)[4], size_t n,
                             bool raw)
{
    unsigned char tmp[4096], *p = tmp;
    varint(&p, n);
    for (size_t i = 0; i < n; i++)
        varint(&p, ent[i][0] - (i ? ent[i - 1][0] : 0));
    for (int col = 3; col >= 1; col--)
        for (size_t i = 0; i < n; i++)
            varint(&p, ent[i][col] + (col == 1)); /* offsets stored + 1 */
    if (raw) {
        memcpy(out, tmp, (size_t)(p - tmp));
        return (size_t)(p - tmp);
    }
    uLongf len = cap;
    assert_int_equal(compress2(out, &len, tmp, (uLong)(p - tmp), 9), Z_OK);
    return len;
}

/* Header, root, leaves and `data` bytes of tile data. */
static void make_file(const char *path, const unsigned char *root, size_t root_len,
                      const unsigned char *leaves, size_t leaf_len, size_t data)
{
    size_t total = 127 + root_len + leaf_len + data;
    unsigned char *f = calloc(1, total);
    assert_non_null(f);
    memcpy(f, "PMTiles\x03", 8);
    uint64_t v[] = {
        127, root_len, 127 + root_len, 0, 127 + root_len, leaf_len, 127 + root_len + leaf_len,
        data};
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 8; b++)
            f[8 + 8 * i + b] = (unsigned char)(v[i] >> (8 * b));
    f[97] = 2;
    f[99] = 2;
    memcpy(f + 127, root, root_len);
    if (leaf_len) memcpy(f + 127 + root_len, leaves, leaf_len);
    memset(f + 127 + root_len + leaf_len, 'd', data);
    spit(path, f, total);
    free(f);
}

static void test_handmade(void **state)
{
    (void)state;
    char *dir = make_dir(), path[256];
    snprintf(path, sizeof(path), "%s/h.pmtiles", dir);
    unsigned char root[4096], leaf[4096];
    size_t rn, ln;
    pmtiles_t *p = NULL;
    error_t err = {0};

    /* Offsets are stored +1 by make_dir_bytes; columns id, off, len, run. */
    static const uint64_t ok[][4] = {{0, 0, 4, 1}, {1, 4, 2, 3}, {9, 0, 4, 1}};
    rn = make_dir_bytes(root, sizeof(root), ok, 3, false);
    make_file(path, root, rn, NULL, 0, 6);
    if (pmtiles_open(path, &p, &err) != ERR_OK) fail_msg("%s", err.message);
    unsigned char *data;
    size_t len;
    assert_int_equal(pmtiles_get(p, 1, 1, 1, &data, &len, &err), ERR_OK); /* id 3, in the run */
    assert_int_equal(len, 2);
    free(data);
    assert_string_equal(pmtiles_meta(p)->json, "{}");
    expect_absent(p, 1, 1, 0); /* id 4 */
    pmtiles_close(p);

    /* Uncompressed directories are read as such. */
    rn = make_dir_bytes(root, sizeof(root), ok, 3, true);
    make_file(path, root, rn, NULL, 0, 6);
    set_byte(path, 97, 1);
    assert_int_equal(pmtiles_open(path, &p, &err), ERR_OK);
    pmtiles_close(p);

    static const uint64_t beyond[][4] = {{0, 0, 4, 1}, {1, 4, 3, 1}};
    rn = make_dir_bytes(root, sizeof(root), beyond, 2, false);
    make_file(path, root, rn, NULL, 0, 6);
    expect_format(path, "tile beyond the data");

    static const uint64_t overlap[][4] = {{0, 0, 1, 5}, {3, 0, 1, 1}};
    rn = make_dir_bytes(root, sizeof(root), overlap, 2, false);
    make_file(path, root, rn, NULL, 0, 6);
    expect_format(path, "overlapping runs");

    static const uint64_t zero_len[][4] = {{0, 0, 0, 1}};
    rn = make_dir_bytes(root, sizeof(root), zero_len, 1, false);
    make_file(path, root, rn, NULL, 0, 6);
    expect_format(path, "empty tile");

    /* A leaf pointing to itself: nesting stops. */
    uint64_t ptr[][4] = {{0, 0, 16, 0}};
    for (int i = 0; (ln = make_dir_bytes(leaf, sizeof(leaf), ptr, 1, false)) != ptr[0][2]; i++) {
        assert_true(i < 10); /* until the leaf's length is the one it gives */
        ptr[0][2] = ln;
    }
    rn = make_dir_bytes(root, sizeof(root), ptr, 1, false);
    make_file(path, root, rn, leaf, ln, 6);
    expect_format(path, "self-referencing leaf");

    /* Two root entries sharing one leaf: the second copy is out of order. */
    ln = make_dir_bytes(leaf, sizeof(leaf), ok, 3, false);
    uint64_t twice[][4] = {{0, 0, ln, 0}, {5, 0, ln, 0}};
    rn = make_dir_bytes(root, sizeof(root), twice, 2, false);
    make_file(path, root, rn, leaf, ln, 6);
    expect_format(path, "a leaf used twice");
    uint64_t once[][4] = {{0, 0, ln, 0}};
    rn = make_dir_bytes(root, sizeof(root), once, 1, false);
    make_file(path, root, rn, leaf, ln, 6);
    assert_int_equal(pmtiles_open(path, &p, &err), ERR_OK);
    pmtiles_close(p);

    /* A leaf beyond the leaf section. */
    uint64_t far[][4] = {{0, 1, ln, 0}};
    rn = make_dir_bytes(root, sizeof(root), far, 1, false);
    make_file(path, root, rn, leaf, ln, 6);
    expect_format(path, "leaf beyond its section");

    /* Hand-written raw bytes: a huge count, an offset of "follows" first,
     * a varint that never ends, trailing bytes. */
    static const struct {
        unsigned char b[16];
        size_t n;
        const char *what;
    } raw[] = {
        {{0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0}, 10, "huge count"},
        {{1, 0, 1, 4, 0}, 5, "first offset follows nothing"},
        {{1, 0, 1, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
         15,
         "varint over 64 bits"},
        {{1, 0, 1, 4, 1, 9}, 6, "trailing bytes"},
        {{0}, 1, "no entries"},
    };
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        uLongf zl = sizeof(root);
        assert_int_equal(compress2(root, &zl, raw[i].b, (uLong)raw[i].n, 9), Z_OK);
        make_file(path, root, zl, NULL, 0, 6);
        expect_format(path, raw[i].what);
    }

    /* A leaf inflating past the limit (64 MiB of zeros in ~64 KiB). */
    size_t big = (size_t)65 << 20;
    unsigned char *zeros = calloc(1, big), *bomb = malloc(big / 500);
    uLongf bl = big / 500;
    assert_int_equal(compress2(bomb, &bl, zeros, (uLong)big, 9), Z_OK);
    uint64_t to_bomb[][4] = {{0, 0, bl, 0}};
    rn = make_dir_bytes(root, sizeof(root), to_bomb, 1, false);
    make_file(path, root, rn, bomb, bl, 6);
    expect_format(path, "decompression bomb");
    free(zeros);
    free(bomb);
    remove_dir(dir);
}

static void test_damaged(void **state)
{
    (void)state;
    char *dir = make_dir(), path[256], bad[256];
    snprintf(path, sizeof(path), "%s/good.pmtiles", dir);
    snprintf(bad, sizeof(bad), "%s/bad.pmtiles", dir);
    tile_t t[64];
    size_t n = small_tiles(t);
    pmtiles_entry_t e[64];
    to_entries(t, n, e, 3);
    source_t *src = calloc(1, sizeof(*src));
    error_t err = {0};
    assert_int_equal(pmtiles_write(path, e, n, &test_meta, read_content, src, NULL, &err), ERR_OK);
    free(src);
    size_t len;
    unsigned char *f = slurp(path, &len), *g = malloc(len);
    size_t root_end = 127 + le(f + 16, 8);

    spit(bad, f, 0);
    expect_format(bad, "empty file");
    spit(bad, f, 100);
    expect_format(bad, "truncated header");
    /* Cut inside the root, metadata or tiles: a section ends beyond the file. */
    for (size_t cut = 127; cut < len; cut += 1 + cut / 16) {
        spit(bad, f, cut);
        expect_format(bad, "truncated file");
    }

    static const struct {
        size_t at;
        unsigned char v;
        const char *what;
    } pokes[] = {
        {0, 'X', "bad magic"},
        {7, 2, "version 2"},
        {97, 3, "brotli directories"},
        {97, 0, "unknown compression"},
        {15, 0x80, "root offset beyond the file"},
        {23, 1, "root length beyond the file"},
        {9, 0x40, "root past 16 KiB"},
        {39, 1, "metadata beyond the file"},
        {71, 1, "tile data beyond the file"},
    };
    for (size_t i = 0; i < sizeof(pokes) / sizeof(pokes[0]); i++) {
        memcpy(g, f, len);
        g[pokes[i].at] = pokes[i].v;
        spit(bad, g, len);
        expect_format(bad, pokes[i].what);
    }
    memcpy(g, f, len);
    memset(g + 16, 0, 8); /* root length 0 */
    spit(bad, g, len);
    expect_format(bad, "empty root");

    /* Garbage in place of the root directory. */
    uint64_t s = 99;
    memcpy(g, f, len);
    for (size_t i = 127; i < root_end; i++)
        g[i] = (unsigned char)rnd(&s);
    spit(bad, g, len);
    expect_format(bad, "garbage root");

    /* Random damage anywhere: an error or an archive, never a crash. */
    for (int round = 0; round < 3000; round++) {
        memcpy(g, f, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            size_t at = (size_t)(rnd(&s) % (round % 2 ? root_end : len));
            g[at] ^= (unsigned char)(1 + rnd(&s) % 255);
        }
        spit(bad, g, len);
        pmtiles_t *p = NULL;
        int rc = pmtiles_open(bad, &p, &err);
        assert_true(rc == ERR_OK || rc == ERR_FORMAT);
        for (size_t i = 0; p && i < n; i++) {
            unsigned char *d = NULL;
            size_t dl;
            if (pmtiles_get(p, t[i].z, t[i].x, t[i].y, &d, &dl, &err) == ERR_OK) free(d);
        }
        pmtiles_close(p);
    }
    free(f);
    free(g);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tile_ids), cmocka_unit_test(test_small),
        cmocka_unit_test(test_large),    cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_handmade), cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
