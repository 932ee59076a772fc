/* PMTiles v3: the header, Hilbert tile ids, directory coding, the writer
 * and the reader. The file being read is treated as hostile: every count,
 * offset and length is checked against the bytes that hold it before use. */
#define ZLIB_CONST
#include "data/pmtiles.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/buf.h"

#define HEADER_LEN 127
#define ROOT_LIMIT 16384 /* header and root lie within the first 16 KiB */
#define MAX_ZOOM   26
#define LEAF_START 4096 /* entries per leaf on the first try */
/* Reader limits: nesting, one decompressed directory or metadata, and
 * all entries decoded together (24 bytes each in memory). */
#define MAX_DEPTH      4
#define MAX_DIR_BYTES  ((size_t)64 << 20)
#define MAX_META_BYTES ((size_t)64 << 20)
#define MAX_ENTRIES    ((size_t)1 << 26)

enum { COMPRESS_NONE = 1, COMPRESS_GZIP = 2 };

typedef struct entry {
    uint64_t tile_id, offset;
    uint32_t length, run; /* run 0: a leaf directory */
} entry_t;

/* The header's fields after magic and version, in file order; the
 * coordinates are int32 bits (1e-7 degrees). */
typedef union header {
    struct {
        uint64_t root_off, root_len, meta_off, meta_len, leaf_off, leaf_len, data_off, data_len;
        uint64_t addressed, entries, contents;
        uint64_t clustered, internal, tile_comp, tile_type, minzoom, maxzoom, bounds[4];
        uint64_t center_zoom, center[2];
    };
    uint64_t field[24];
} header_t;

_Static_assert(sizeof(header_t) == 24 * sizeof(uint64_t), "header fields");
static const unsigned char widths[24] = {8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 1,
                                         1, 1, 1, 1, 1, 4, 4, 4, 4, 1, 4, 4};

struct pmtiles {
    int fd;
    char *path;
    header_t h;
    uint64_t file_bytes;
    entry_t *entries; /* tiles only, ascending and disjoint */
    size_t n, cap;
    size_t decoded; /* entries of every directory, against MAX_ENTRIES */
    pmtiles_meta_t meta;
};

static uint64_t tile_bytes(const entry_t *e, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (uint64_t)e[i].length * e[i].run;
    return sum;
}

/* --- tile ids --------------------------------------------------------------- */

/* The Hilbert curve's turn of a quadrant within an s x s grid. */
static void rotate(uint32_t s, uint32_t *x, uint32_t *y, uint32_t rx, uint32_t ry)
{
    if (ry != 0) return;
    uint32_t t = rx ? s - 1 - *x : *x;
    *x = rx ? s - 1 - *y : *y;
    *y = t;
}

uint64_t pmtiles_tile_id(int z, uint32_t x, uint32_t y)
{
    if (z < 0 || z > 31) return UINT64_MAX; /* no such tile; 4^z would overflow */
    uint64_t id = ((UINT64_C(1) << (2 * z)) - 1) / 3;
    for (uint32_t s = z > 0 ? UINT32_C(1) << (z - 1) : 0; s > 0; s >>= 1) {
        uint32_t rx = (x & s) != 0, ry = (y & s) != 0;
        id += (uint64_t)s * s * ((3 * rx) ^ ry);
        x &= s - 1; /* only the bits below s still count */
        y &= s - 1;
        rotate(s, &x, &y, rx, ry);
    }
    return id;
}

void pmtiles_tile_zxy(uint64_t id, int *z, uint32_t *x, uint32_t *y)
{
    int zz = 0;
    for (uint64_t base = 0; zz < 31 && id - base >= UINT64_C(1) << (2 * zz); zz++)
        base += UINT64_C(1) << (2 * zz);
    uint64_t t = id - ((UINT64_C(1) << (2 * zz)) - 1) / 3;
    *x = *y = 0;
    for (uint32_t s = 1; s < (UINT32_C(1) << zz); s <<= 1, t >>= 2) {
        uint32_t rx = 1 & (uint32_t)(t >> 1), ry = 1 & (uint32_t)(t ^ rx);
        rotate(s, x, y, rx, ry);
        *x += s * rx;
        *y += s * ry;
    }
    *z = zz;
}

/* --- bytes ------------------------------------------------------------------ */

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_header(unsigned char *p, const header_t *h)
{
    memcpy(p, "PMTiles\x03", 8);
    for (int i = 0, at = 8; i < 24; at += widths[i++])
        put_le(p + at, h->field[i], widths[i]);
}

static void get_header(const unsigned char *p, header_t *h)
{
    for (int i = 0, at = 8; i < 24; at += widths[i++])
        h->field[i] = get_le(p + at, widths[i]);
}

static void put_varint(buf_t *b, uint64_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
    buf_append(b, tmp, n);
}

/* Unsigned LEB128 at *pos; false when truncated or over 64 bits. */
static bool get_varint(const unsigned char *b, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        unsigned char c = b[(*pos)++];
        if (shift == 63 && c > 1) return false;
        x |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) {
            *v = x;
            return true;
        }
    }
    return false;
}

static bool get_u32(const unsigned char *b, size_t len, size_t *pos, uint32_t *v)
{
    uint64_t x;
    if (!get_varint(b, len, pos, &x) || x > UINT32_MAX) return false;
    *v = (uint32_t)x;
    return true;
}

/* Appends the gzip stream of in[0..len) to out. Fixed settings and zlib's
 * default header (mtime 0) keep equal input giving equal bytes. */
static int gzip_append(const void *in, size_t len, buf_t *out)
{
    if (len > UINT_MAX) return ERR_TOOBIG;
    z_stream zs = {0};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ERR_NOMEM;
    unsigned char chunk[16384];
    zs.next_in = in;
    zs.avail_in = (uInt)len;
    int zrc;
    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof(chunk);
        zrc = deflate(&zs, Z_FINISH);
        buf_append(out, (const char *)chunk, sizeof(chunk) - zs.avail_out);
    } while (zrc == Z_OK);
    deflateEnd(&zs);
    return zrc == Z_STREAM_END && !out->failed ? ERR_OK : ERR_NOMEM;
}

/* Inflates gzip or zlib data into a malloc'd buffer of at most max bytes
 * (plus a NUL). ERR_FORMAT for corrupt or truncated data, ERR_TOOBIG
 * over max. */
static int gunzip(const unsigned char *in, size_t len, size_t max, unsigned char **out,
                  size_t *out_len)
{
    z_stream zs = {.next_in = in, .avail_in = (uInt)len};
    if (len > UINT_MAX || max >= UINT_MAX) return ERR_TOOBIG;
    if (inflateInit2(&zs, 15 + 32) != Z_OK) return ERR_NOMEM;
    unsigned char *b = NULL;
    size_t cap = 0;
    int rc = ERR_OK, zrc = Z_OK;
    while (rc == ERR_OK && zrc != Z_STREAM_END) {
        if (zs.total_out == cap) { /* grow, up to one byte over max to tell */
            cap = cap ? cap * 2 : 4 * len + 256;
            cap = cap < max + 1 ? cap : max + 1;
            unsigned char *nb = zs.total_out < cap ? realloc(b, cap + 1) : NULL;
            if (nb == NULL) rc = zs.total_out < cap ? ERR_NOMEM : ERR_TOOBIG;
            if (nb == NULL) break;
            b = nb;
        }
        zs.next_out = b + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc == Z_MEM_ERROR)
            rc = ERR_NOMEM;
        else if (zrc != Z_OK && zrc != Z_STREAM_END)
            rc = ERR_FORMAT;
        else if (zs.total_out > max)
            rc = ERR_TOOBIG;
    }
    size_t n = zs.total_out;
    inflateEnd(&zs);
    if (rc == ERR_OK) {
        b[n] = '\0';
        *out = b;
        *out_len = n;
    } else {
        free(b);
    }
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* 0, or -1 with errno set (EIO for a file that ends early). */
static int pread_all(int fd, void *data, size_t len, uint64_t off)
{
    char *p = data;
    while (len > 0) {
        if (off > (uint64_t)INT64_MAX) return errno = EINVAL, -1;
        ssize_t k = pread(fd, p, len, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k == 0) errno = EIO;
        if (k <= 0) return -1;
        p += k;
        len -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* --- directories -------------------------------------------------------------- */

static void encode_dir(const entry_t *e, size_t n, buf_t *raw)
{
    put_varint(raw, n);
    for (size_t i = 0; i < n; i++)
        put_varint(raw, e[i].tile_id - (i > 0 ? e[i - 1].tile_id : 0));
    for (size_t i = 0; i < n; i++)
        put_varint(raw, e[i].run);
    for (size_t i = 0; i < n; i++)
        put_varint(raw, e[i].length);
    for (size_t i = 0; i < n; i++) {
        bool follows = i > 0 && e[i].offset == e[i - 1].offset + e[i - 1].length;
        put_varint(raw, follows ? 0 : e[i].offset + 1);
    }
}

/* Appends the compressed directory of e[0..n) to out. */
static int pack_dir(const entry_t *e, size_t n, buf_t *out)
{
    buf_t raw = BUF_INIT;
    encode_dir(e, n, &raw);
    int rc = raw.failed ? ERR_NOMEM : gzip_append(raw.data, raw.len, out);
    buf_free(&raw);
    return rc;
}

/* Leaves of `per_leaf` entries each into *leaves, and a root of pointers
 * to them into *root. */
static int pack_leaves(const entry_t *e, size_t n, size_t per_leaf, buf_t *root, buf_t *leaves)
{
    size_t nleaves = (n + per_leaf - 1) / per_leaf;
    entry_t *ptr = calloc(nleaves, sizeof(*ptr));
    int rc = ptr ? ERR_OK : ERR_NOMEM;
    for (size_t i = 0; i < nleaves && rc == ERR_OK; i++) {
        size_t start = i * per_leaf, k = n - start < per_leaf ? n - start : per_leaf;
        size_t before = leaves->len;
        rc = pack_dir(e + start, k, leaves);
        if (rc == ERR_OK && leaves->len - before > UINT32_MAX) rc = ERR_TOOBIG;
        ptr[i] = (entry_t){e[start].tile_id, before, (uint32_t)(leaves->len - before), 0};
    }
    if (rc == ERR_OK) rc = pack_dir(ptr, nleaves, root);
    free(ptr);
    return rc;
}

/* Everything in the root when it fits the first 16 KiB; else leaves,
 * doubling their size until the root of pointers fits. */
static int build_dirs(const entry_t *e, size_t n, buf_t *root, buf_t *leaves)
{
    int rc = pack_dir(e, n, root);
    for (size_t per_leaf = LEAF_START; rc == ERR_OK && HEADER_LEN + root->len >= ROOT_LIMIT;
         per_leaf *= 2) {
        buf_free(root);
        buf_free(leaves);
        rc = pack_leaves(e, n, per_leaf, root, leaves);
    }
    return rc;
}

/* Parses one decompressed directory into a malloc'd array; on ERR_FORMAT
 * *why says what is wrong. Offsets and ids are checked for overflow. */
static int decode_dir(const unsigned char *b, size_t len, entry_t **out, size_t *nout,
                      const char **why)
{
    size_t pos = 0;
    uint64_t n = 0, v = 0;
    *why = "has a bad entry count"; /* each entry takes 4 bytes at least */
    if (!get_varint(b, len, &pos, &n) || n == 0 || n > (len - pos) / 4) return ERR_FORMAT;
    entry_t *e = calloc((size_t)n, sizeof(*e));
    if (e == NULL) return ERR_NOMEM;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        uint64_t prev = i > 0 ? e[i - 1].tile_id : 0;
        ok = get_varint(b, len, &pos, &v) && (i == 0 || v > 0) && v <= UINT64_MAX - prev;
        e[i].tile_id = prev + v;
    }
    for (size_t i = 0; ok && i < n; i++)
        ok = get_u32(b, len, &pos, &e[i].run);
    for (size_t i = 0; ok && i < n; i++)
        ok = get_u32(b, len, &pos, &e[i].length);
    for (size_t i = 0; ok && i < n; i++) {
        const entry_t *prev = i > 0 ? &e[i - 1] : NULL;
        ok = get_varint(b, len, &pos, &v) &&
             (v > 0 || (prev && prev->offset <= UINT64_MAX - prev->length));
        e[i].offset = v > 0 ? v - 1 : prev ? prev->offset + prev->length : 0;
    }
    *why = ok ? "has trailing bytes" : "has bad entries (ids out of order, or values too large)";
    if (!ok || pos != len) {
        free(e);
        return ERR_FORMAT;
    }
    *out = e;
    *nout = (size_t)n;
    return ERR_OK;
}

/* --- writing ------------------------------------------------------------------ */

/* Where a content key's bytes went; length 0 marks a free slot. */
typedef struct slot {
    uint64_t key, offset;
    uint32_t length;
} slot_t;

typedef struct writer {
    const char *path;
    char *tmp; /* the archive until renamed over path */
    int fd, data_fd;
    slot_t *slots; /* open addressing, at most half full */
    size_t nslots, used;
    entry_t *dir;
    size_t ndir;
    uint64_t data_len;
    pmtiles_read_fn read;
    void *arg;
} writer_t;

static int cmp_entry(const void *a, const void *b)
{
    uint64_t x = ((const pmtiles_entry_t *)a)->tile_id, y = ((const pmtiles_entry_t *)b)->tile_id;
    return (x > y) - (x < y);
}

/* Sorts the entries and checks them and the header values. */
static int check_input(const char *path, pmtiles_entry_t *e, size_t n, const pmtiles_meta_t *m,
                       error_t *err)
{
    bool ok = m && m->tile_type >= 0 && m->tile_type <= 255 && m->minzoom >= 0 &&
              m->minzoom <= m->maxzoom && m->maxzoom <= MAX_ZOOM && m->center_zoom >= 0 &&
              m->center_zoom <= MAX_ZOOM;
    for (int i = 0; i < 4; i++)
        ok = ok && isfinite(m->bounds[i]) && (i > 1 || isfinite(m->center[i]));
    if (!ok)
        return error_set(err, ERR_INVALID, "%s: no metadata, or a bad tile type, zoom or bounds",
                         path);
    if (n == 0) return error_set(err, ERR_EMPTY, "%s: no tiles to write", path);
    qsort(e, n, sizeof(*e), cmp_entry);
    uint64_t end = ((UINT64_C(1) << (2 * (MAX_ZOOM + 1))) - 1) / 3;
    if (e[n - 1].tile_id >= end)
        return error_set(err, ERR_INVALID, "%s: tile id %" PRIu64 " is beyond zoom %d", path,
                         e[n - 1].tile_id, MAX_ZOOM);
    for (size_t i = 1; i < n; i++)
        if (e[i].tile_id == e[i - 1].tile_id) {
            int z;
            uint32_t x, y;
            pmtiles_tile_zxy(e[i].tile_id, &z, &x, &y);
            return error_set(err, ERR_INVALID, "%s: tile %d/%u/%u is listed twice", path, z, x, y);
        }
    return ERR_OK;
}

/* Degrees as the header's 1e-7 degree integers, clamped to the globe. */
static int32_t e7(double deg, double limit)
{
    deg = deg < -limit ? -limit : deg > limit ? limit : deg;
    return (int32_t)lround(deg * 1e7);
}

static uint64_t mix(uint64_t k)
{
    k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9ULL;
    k = (k ^ (k >> 27)) * 0x94d049bb133111ebULL;
    return k ^ (k >> 31);
}

static slot_t *lookup(slot_t *slots, size_t nslots, uint64_t key)
{
    size_t i = (size_t)mix(key) & (nslots - 1);
    while (slots[i].length != 0 && slots[i].key != key)
        i = (i + 1) & (nslots - 1);
    return &slots[i];
}

static int grow_slots(writer_t *w)
{
    size_t n = w->nslots ? w->nslots * 2 : 1024;
    slot_t *s = calloc(n, sizeof(*s));
    if (s == NULL) return ERR_NOMEM;
    for (size_t i = 0; i < w->nslots; i++)
        if (w->slots[i].length != 0) *lookup(s, n, w->slots[i].key) = w->slots[i];
    free(w->slots);
    w->slots = s;
    w->nslots = n;
    return ERR_OK;
}

/* Reads a content met for the first time and appends it to the data. */
static int add_content(writer_t *w, slot_t *s, uint64_t key, error_t *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = w->read(w->arg, key, &data, &len, err);
    if (rc >= 0 && (len == 0 || len > UINT32_MAX))
        rc =
            error_set(err, ERR_INVALID, "%s: content %" PRIu64 " has %zu bytes", w->path, key, len);
    if (rc >= 0 && write_all(w->data_fd, data, len) < 0)
        rc = error_set(err, ERR_IO, "cannot write tile data for %s: %s", w->path, strerror(errno));
    free(data);
    if (rc < 0) return rc;
    *s = (slot_t){key, w->data_len, (uint32_t)len};
    w->data_len += len;
    w->used++;
    return ERR_OK;
}

/* The tile data in tile id order, each content once, and the entries
 * pointing to it, consecutive repeats as runs. */
static int store_tiles(writer_t *w, const pmtiles_entry_t *e, size_t n, error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        if (2 * (w->used + 1) > w->nslots && grow_slots(w) != ERR_OK)
            return error_set(err, ERR_NOMEM, "out of memory");
        slot_t *s = lookup(w->slots, w->nslots, e[i].content);
        int rc = s->length ? ERR_OK : add_content(w, s, e[i].content, err);
        if (rc < 0) return rc;
        entry_t *last = w->ndir ? &w->dir[w->ndir - 1] : NULL;
        if (last && last->offset == s->offset && last->run < UINT32_MAX &&
            e[i].tile_id == last->tile_id + last->run)
            last->run++;
        else
            w->dir[w->ndir++] = (entry_t){e[i].tile_id, s->offset, s->length, 1};
    }
    return ERR_OK;
}

/* The archive's temporary file beside path, and the tile data's, which
 * is unlinked at once so that nothing is left of it whatever happens. */
static int open_temps(writer_t *w, error_t *err)
{
    size_t n = strlen(w->path) + 16;
    char *tmp = malloc(n), *data = malloc(n);
    int rc = tmp && data ? ERR_OK : error_set(err, ERR_NOMEM, "out of memory");
    if (rc == ERR_OK) {
        snprintf(tmp, n, "%s.tmp-XXXXXX", w->path);
        snprintf(data, n, "%s.data-XXXXXX", w->path);
        if ((w->fd = mkstemp(tmp)) < 0 || (w->data_fd = mkstemp(data)) < 0)
            rc = error_set(err, ERR_IO, "cannot create %s: %s", w->fd < 0 ? tmp : data,
                           strerror(errno));
    }
    if (w->fd >= 0) {
        fchmod(w->fd, 0644); /* mkstemp's 0600 would hide the archive from a server */
        w->tmp = tmp;
        tmp = NULL;
    }
    if (w->data_fd >= 0) unlink(data);
    free(tmp);
    free(data);
    return rc;
}

static int copy_data(writer_t *w)
{
    char chunk[65536];
    for (uint64_t off = 0; off < w->data_len;) {
        size_t k = w->data_len - off < sizeof(chunk) ? (size_t)(w->data_len - off) : sizeof(chunk);
        if (pread_all(w->data_fd, chunk, k, off) < 0 || write_all(w->fd, chunk, k) < 0) return -1;
        off += k;
    }
    return 0;
}

static int finish_file(writer_t *w, const header_t *h, const buf_t *root, const buf_t *meta,
                       const buf_t *leaves, error_t *err)
{
    unsigned char hb[HEADER_LEN];
    put_header(hb, h);
    bool ok =
        write_all(w->fd, hb, sizeof(hb)) == 0 && write_all(w->fd, root->data, root->len) == 0 &&
        write_all(w->fd, meta->data, meta->len) == 0 &&
        write_all(w->fd, leaves->data, leaves->len) == 0 && copy_data(w) == 0 && fsync(w->fd) == 0;
    int e = ok ? 0 : errno;
    if (close(w->fd) != 0 && ok) ok = false, e = errno;
    w->fd = -1;
    if (ok && rename(w->tmp, w->path) != 0) ok = false, e = errno;
    if (!ok) return error_set(err, ERR_IO, "cannot write %s: %s", w->path, strerror(e));
    free(w->tmp);
    w->tmp = NULL; /* renamed: nothing to remove */
    return ERR_OK;
}

static header_t make_header(const writer_t *w, size_t n, const pmtiles_meta_t *m, size_t root,
                            size_t meta, size_t leaves)
{
    header_t h = {.root_off = HEADER_LEN,
                  .root_len = root,
                  .meta_len = meta,
                  .leaf_len = leaves,
                  .data_len = w->data_len,
                  .addressed = n,
                  .entries = w->ndir,
                  .contents = w->used,
                  .clustered = 1,
                  .internal = COMPRESS_GZIP,
                  .tile_comp = m->tile_type == PMTILES_TYPE_MVT ? 0 : COMPRESS_NONE, /* unknown */
                  .tile_type = (uint64_t)m->tile_type,
                  .minzoom = (uint64_t)m->minzoom,
                  .maxzoom = (uint64_t)m->maxzoom,
                  .center_zoom = (uint64_t)m->center_zoom};
    h.meta_off = h.root_off + root;
    h.leaf_off = h.meta_off + meta;
    h.data_off = h.leaf_off + leaves;
    for (int i = 0; i < 4; i++)
        h.bounds[i] = (uint32_t)e7(m->bounds[i], i % 2 ? 90 : 180);
    h.center[0] = (uint32_t)e7(m->center[0], 180);
    h.center[1] = (uint32_t)e7(m->center[1], 90);
    return h;
}

int pmtiles_write(const char *path, pmtiles_entry_t *entries, size_t n, const pmtiles_meta_t *meta,
                  pmtiles_read_fn read_fn, void *arg, pmtiles_stats_t *stats, error_t *err)
{
    writer_t w = {.path = path, .fd = -1, .data_fd = -1, .read = read_fn, .arg = arg};
    buf_t root = BUF_INIT, leaves = BUF_INIT, meta_gz = BUF_INIT;
    int rc = check_input(path, entries, n, meta, err);
    if (rc != ERR_OK) goto out;
    if ((w.dir = calloc(n, sizeof(*w.dir))) == NULL) {
        rc = error_set(err, ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = open_temps(&w, err)) < 0 || (rc = store_tiles(&w, entries, n, err)) < 0) goto out;
    const char *json = meta->json ? meta->json : "{}";
    rc = build_dirs(w.dir, w.ndir, &root, &leaves);
    if (rc == ERR_OK) rc = gzip_append(json, strlen(json), &meta_gz);
    if (rc != ERR_OK) {
        rc = error_set(err, rc, "%s: cannot compress the directories or metadata", path);
        goto out;
    }
    header_t h = make_header(&w, n, meta, root.len, meta_gz.len, leaves.len);
    if ((rc = finish_file(&w, &h, &root, &meta_gz, &leaves, err)) < 0) goto out;
    if (stats)
        *stats = (pmtiles_stats_t){n, w.ndir, w.used, h.data_off + h.data_len,
                                   tile_bytes(w.dir, w.ndir)};
out:
    if (w.fd >= 0) close(w.fd);
    if (w.data_fd >= 0) close(w.data_fd);
    if (w.tmp) unlink(w.tmp);
    free(w.tmp);
    free(w.slots);
    free(w.dir);
    buf_free(&root);
    buf_free(&leaves);
    buf_free(&meta_gz);
    return rc;
}

/* --- reading ------------------------------------------------------------------ */

/* A section's bytes, decompressed as the header says, in a malloc'd
 * NUL-terminated buffer. */
static int unpack(pmtiles_t *p, uint64_t off, uint64_t len, size_t max, const char *what,
                  unsigned char **out, size_t *out_len, error_t *err)
{
    *out = NULL;
    unsigned char *raw = NULL;
    /* Deflate grows incompressible data by well under 1/8. */
    int rc = len > max + max / 8 + 1024 ? ERR_TOOBIG : ERR_OK;
    if (rc == ERR_OK && (raw = malloc(len + 1)) == NULL) rc = ERR_NOMEM;
    if (rc == ERR_OK && pread_all(p->fd, raw, len, off) < 0)
        rc = error_set(err, ERR_IO, "%s: cannot read %s: %s", p->path, what, strerror(errno));
    if (rc == ERR_OK && p->h.internal == COMPRESS_GZIP) {
        rc = gunzip(raw, len, max, out, out_len);
    } else if (rc == ERR_OK) {
        rc = len > max ? ERR_TOOBIG : ERR_OK;
        raw[len] = '\0';
        *out = raw;
        *out_len = len;
        raw = NULL;
    }
    free(raw);
    if (rc == ERR_NOMEM) error_set(err, rc, "out of memory");
    if (rc == ERR_FORMAT || rc == ERR_TOOBIG)
        rc = error_set(err, ERR_FORMAT, "%s: %s is %s", p->path, what,
                       rc == ERR_FORMAT ? "not valid gzip data" : "too large");
    if (rc != ERR_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static bool within(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static int read_header(pmtiles_t *p, error_t *err)
{
    struct stat st;
    unsigned char b[HEADER_LEN];
    if (fstat(p->fd, &st) != 0) return error_set(err, ERR_IO, "%s: %s", p->path, strerror(errno));
    p->file_bytes = (uint64_t)st.st_size;
    if (p->file_bytes < HEADER_LEN)
        return error_set(err, ERR_FORMAT, "%s: too short for a PMTiles header", p->path);
    if (pread_all(p->fd, b, sizeof(b), 0) < 0)
        return error_set(err, ERR_IO, "%s: %s", p->path, strerror(errno));
    if (memcmp(b, "PMTiles", 7) != 0)
        return error_set(err, ERR_FORMAT, "%s: not a PMTiles archive", p->path);
    if (b[7] != 3)
        return error_set(err, ERR_FORMAT, "%s: PMTiles version %d, only 3 is supported", p->path,
                         b[7]);
    header_t *h = &p->h;
    get_header(b, h);
    const char *bad = NULL;
    if (h->internal != COMPRESS_NONE && h->internal != COMPRESS_GZIP)
        bad = "an unsupported directory compression";
    else if (h->root_len == 0)
        bad = "an empty root directory";
    else if (!within(h->root_off, h->root_len, ROOT_LIMIT))
        bad = "a root directory outside the first 16 KiB";
    else if (!within(h->root_off, h->root_len, p->file_bytes) ||
             !within(h->meta_off, h->meta_len, p->file_bytes) ||
             !within(h->leaf_off, h->leaf_len, p->file_bytes) ||
             !within(h->data_off, h->data_len, p->file_bytes))
        bad = "sections beyond the end of the file";
    if (bad) return error_set(err, ERR_FORMAT, "%s: header gives %s", p->path, bad);
    return ERR_OK;
}

static double degrees(uint64_t e7_bits)
{
    return (int32_t)(uint32_t)e7_bits / 1e7;
}

static int read_meta(pmtiles_t *p, error_t *err)
{
    const header_t *h = &p->h;
    pmtiles_meta_t *m = &p->meta;
    m->tile_type = (int)h->tile_type;
    m->minzoom = (int)h->minzoom;
    m->maxzoom = (int)h->maxzoom;
    m->center_zoom = (int)h->center_zoom;
    for (int i = 0; i < 4; i++)
        m->bounds[i] = degrees(h->bounds[i]);
    m->center[0] = degrees(h->center[0]);
    m->center[1] = degrees(h->center[1]);
    if (h->meta_len == 0) {
        m->json = strdup("{}");
        return m->json ? ERR_OK : error_set(err, ERR_NOMEM, "out of memory");
    }
    unsigned char *json = NULL;
    size_t len = 0;
    int rc = unpack(p, h->meta_off, h->meta_len, MAX_META_BYTES, "the metadata", &json, &len, err);
    m->json = (char *)json;
    return rc;
}

static int add_tile(pmtiles_t *p, const entry_t *e, error_t *err)
{
    const entry_t *last = p->n ? &p->entries[p->n - 1] : NULL;
    if (e->length == 0 || !within(e->offset, e->length, p->h.data_len))
        return error_set(err, ERR_FORMAT, "%s: tile id %" PRIu64 " points outside the tile data",
                         p->path, e->tile_id);
    if ((last && (e->tile_id < last->tile_id || e->tile_id - last->tile_id < last->run)) ||
        e->tile_id > UINT64_MAX - e->run)
        return error_set(err, ERR_FORMAT, "%s: tile id %" PRIu64 " is out of order", p->path,
                         e->tile_id);
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        entry_t *v = realloc(p->entries, cap * sizeof(*v));
        if (v == NULL) return error_set(err, ERR_NOMEM, "out of memory");
        p->entries = v;
        p->cap = cap;
    }
    p->entries[p->n++] = *e;
    return ERR_OK;
}

/* Reads the directory at off (absolute), its tiles appended in order and
 * its leaves read in place. */
static int read_dir(pmtiles_t *p, uint64_t off, uint64_t len, int depth, error_t *err)
{
    char what[64] = "the root directory";
    if (depth > 0) snprintf(what, sizeof(what), "the leaf directory at %" PRIu64, off);
    unsigned char *raw = NULL;
    size_t raw_len = 0, n = 0;
    entry_t *e = NULL;
    const char *why = "";
    int rc = unpack(p, off, len, MAX_DIR_BYTES, what, &raw, &raw_len, err);
    if (rc != ERR_OK) goto out;
    rc = decode_dir(raw, raw_len, &e, &n, &why);
    if (rc == ERR_OK && n > MAX_ENTRIES - p->decoded) why = "makes too many entries";
    if (rc == ERR_OK && n > MAX_ENTRIES - p->decoded) rc = ERR_FORMAT;
    if (rc != ERR_OK) {
        rc = rc == ERR_NOMEM ? error_set(err, rc, "out of memory")
                             : error_set(err, ERR_FORMAT, "%s: %s %s", p->path, what, why);
        goto out;
    }
    p->decoded += n;
    for (size_t i = 0; i < n && rc == ERR_OK; i++) {
        if (e[i].run > 0) {
            rc = add_tile(p, &e[i], err);
        } else if (depth + 1 >= MAX_DEPTH || e[i].length == 0 ||
                   !within(e[i].offset, e[i].length, p->h.leaf_len)) {
            rc = error_set(err, ERR_FORMAT, "%s: %s points to a leaf %s", p->path, what,
                           depth + 1 >= MAX_DEPTH ? "nested too deep" : "outside its section");
        } else {
            rc = read_dir(p, p->h.leaf_off + e[i].offset, e[i].length, depth + 1, err);
        }
    }
out:
    free(raw);
    free(e);
    return rc;
}

int pmtiles_open(const char *path, pmtiles_t **out, error_t *err)
{
    *out = NULL;
    pmtiles_t *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->path = strdup(path)) == NULL) {
        free(p);
        return error_set(err, ERR_NOMEM, "out of memory");
    }
    int rc = ERR_OK;
    if ((p->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = error_set(err, ERR_IO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if ((rc = read_header(p, err)) < 0 || (rc = read_meta(p, err)) < 0 ||
        (rc = read_dir(p, p->h.root_off, p->h.root_len, 0, err)) < 0)
        goto out;
    *out = p;
    p = NULL;
out:
    pmtiles_close(p);
    return rc;
}

pmtiles_t *pmtiles_close(pmtiles_t *p)
{
    if (p == NULL) return NULL;
    if (p->fd >= 0) close(p->fd);
    free(p->entries);
    free(p->meta.json);
    free(p->path);
    free(p);
    return NULL;
}

/* The entry whose run covers id, or NULL. */
static const entry_t *find(const pmtiles_t *p, uint64_t id)
{
    size_t lo = 0, hi = p->n; /* first entry with tile_id > id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->entries[mid].tile_id <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) return NULL;
    const entry_t *e = &p->entries[lo - 1];
    return id - e->tile_id < e->run ? e : NULL;
}

int pmtiles_get(const pmtiles_t *p, int z, uint32_t x, uint32_t y, unsigned char **data,
                size_t *len, error_t *err)
{
    *data = NULL;
    *len = 0;
    const entry_t *e = NULL;
    if (z >= 0 && z <= MAX_ZOOM && (x >> z) == 0 && (y >> z) == 0)
        e = find(p, pmtiles_tile_id(z, x, y));
    if (e == NULL) return error_set(err, ERR_NOTFOUND, "%s: no tile %d/%u/%u", p->path, z, x, y);
    unsigned char *b = malloc(e->length);
    if (b == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    if (pread_all(p->fd, b, e->length, p->h.data_off + e->offset) < 0) {
        free(b);
        return error_set(err, ERR_IO, "%s: cannot read tile %d/%u/%u: %s", p->path, z, x, y,
                         strerror(errno));
    }
    *data = b;
    *len = e->length;
    return ERR_OK;
}

const pmtiles_meta_t *pmtiles_meta(const pmtiles_t *p)
{
    return &p->meta;
}

void pmtiles_counts(const pmtiles_t *p, pmtiles_stats_t *out)
{
    *out = (pmtiles_stats_t){p->h.addressed, p->h.entries, p->h.contents, p->file_bytes,
                             tile_bytes(p->entries, p->n)};
}
