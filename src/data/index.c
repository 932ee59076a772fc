/* Packed Hilbert R-tree, after flatbush: items sorted along a Hilbert curve,
 * then grouped NODE_SIZE at a time into parent boxes, level by level, all in
 * flat arrays. Nothing changes after index_create(), which is what makes
 * concurrent queries safe without locks. */
#include "data/index.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NODE_BITS 4
#define NODE_SIZE (1u << NODE_BITS)
/* Positions are uint32_t, so at most 2^32 items: 8 node levels above them. */
#define MAX_LEVELS  10
#define HILBERT_MAX 65535.0

struct index {
    size_t n;
    uint32_t nlevels;               /* including the items' level 0 */
    uint32_t level_end[MAX_LEVELS]; /* one past each level's last position */
    bbox_t *boxes;                  /* items in Hilbert order, then each node level; root last */
    uint32_t *refs;                 /* items: original id; nodes: position of first child */
    /* Every item has min <= max (so no NaN). Only then does a node lying
     * inside the query imply that all its items intersect it. */
    bool proper;
};

/* A node to expand: its position and the level it sits on. */
struct frame {
    uint32_t pos;
    uint32_t level;
};

static uint32_t level_start(const index_t *ix, uint32_t level)
{
    return level == 0 ? 0 : ix->level_end[level - 1];
}

/* Hilbert index of (x, y) on a 2^16 grid; branch-free version from
 * github.com/rawrunprotected/hilbert_curves (public domain). */
static uint32_t hilbert(uint32_t x, uint32_t y)
{
    uint32_t a = x ^ y, b = 0xFFFF ^ a, c = 0xFFFF ^ (x | y), d = x & (y ^ 0xFFFF);
    uint32_t na = a | (b >> 1), nb = (a >> 1) ^ a;
    uint32_t nc = ((c >> 1) ^ (b & (d >> 1))) ^ c, nd = ((a & (c >> 1)) ^ (d >> 1)) ^ d;

    a = na, b = nb, c = nc, d = nd;
    na = (a & (a >> 2)) ^ (b & (b >> 2));
    nb = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
    nc ^= (a & (c >> 2)) ^ (b & (d >> 2));
    nd ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

    a = na, b = nb, c = nc, d = nd;
    na = (a & (a >> 4)) ^ (b & (b >> 4));
    nb = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
    nc ^= (a & (c >> 4)) ^ (b & (d >> 4));
    nd ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

    a = na, b = nb, c = nc, d = nd;
    c ^= (a & (c >> 8)) ^ (b & (d >> 8));
    d ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

    a = c ^ (c >> 1);
    b = d ^ (d >> 1);
    uint32_t i0 = x ^ y, i1 = b | (0xFFFF ^ (i0 | a));
    i0 = (i0 | (i0 << 8)) & 0x00FF00FF;
    i0 = (i0 | (i0 << 4)) & 0x0F0F0F0F;
    i0 = (i0 | (i0 << 2)) & 0x33333333;
    i0 = (i0 | (i0 << 1)) & 0x55555555;
    i1 = (i1 | (i1 << 8)) & 0x00FF00FF;
    i1 = (i1 | (i1 << 4)) & 0x0F0F0F0F;
    i1 = (i1 | (i1 << 2)) & 0x33333333;
    i1 = (i1 | (i1 << 1)) & 0x55555555;
    return (i1 << 1) | i0;
}

/* Grid cell of v along an axis; NaN, infinite or zero spans land in cell 0
 * so odd boxes only cost locality, never correctness. */
static uint32_t grid_cell(double v, double lo, double span)
{
    double t = span > 0 ? (v - lo) / span * HILBERT_MAX : 0.0;
    if (!(t >= 0)) return 0;
    if (t > HILBERT_MAX) return (uint32_t)HILBERT_MAX;
    return (uint32_t)t;
}

/* Hilbert value of each box centre, on a grid spanning all the boxes. */
static uint32_t *hilbert_values(const bbox_t *boxes, size_t n)
{
    uint32_t *hv = calloc(n, sizeof(*hv));
    bbox_t ext = bbox_empty();
    if (!hv) return NULL;
    for (size_t i = 0; i < n; i++)
        ext = bbox_union(ext, boxes[i]);
    double w = ext.maxx - ext.minx, h = ext.maxy - ext.miny;
    for (size_t i = 0; i < n; i++) {
        /* Halve before adding so huge coordinates cannot overflow. */
        double cx = boxes[i].minx * 0.5 + boxes[i].maxx * 0.5;
        double cy = boxes[i].miny * 0.5 + boxes[i].maxy * 0.5;
        hv[i] = hilbert(grid_cell(cx, ext.minx, w), grid_cell(cy, ext.miny, h));
    }
    return hv;
}

static uint32_t digit(const uint32_t *key, uint32_t id, unsigned shift)
{
    return ((key ? key[id] : id) >> shift) & 0xFF;
}

/* Stable LSD radix sort of ids by key[id], or by the id itself when key is
 * NULL, one byte per pass: linear time, which qsort is not at millions of
 * items or thousands of hits. */
static int radix_sort(uint32_t *ids, size_t n, const uint32_t *key, unsigned passes)
{
    uint32_t *tmp = calloc(n, sizeof(*tmp));
    uint32_t *src = ids, *dst = tmp;
    if (!tmp) return -1;
    for (unsigned shift = 0; shift < 8 * passes; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[digit(key, src[i], shift) + 1]++;
        for (size_t b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            dst[count[digit(key, src[i], shift)]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != ids) memcpy(ids, src, n * sizeof(*ids));
    free(tmp);
    return 0;
}

/* Item ids in Hilbert order of their box centres; ties keep id order. */
static uint32_t *hilbert_order(const bbox_t *boxes, size_t n)
{
    uint32_t *hv = hilbert_values(boxes, n), *ids = calloc(n, sizeof(*ids));
    int ok = hv && ids;
    for (size_t i = 0; ok && i < n; i++)
        ids[i] = (uint32_t)i;
    ok = ok && radix_sort(ids, n, hv, 4) == 0;
    free(hv);
    if (!ok) {
        free(ids);
        ids = NULL;
    }
    return ids;
}

/* Fills level_end; fails if positions would not fit in uint32_t. Always adds
 * at least one node level, so the root is a node even for a single item. */
static int plan_levels(index_t *ix, size_t n)
{
    uint64_t total = n, count = n;
    if (n > UINT32_MAX) return -1;
    ix->nlevels = 0;
    ix->level_end[ix->nlevels++] = (uint32_t)n;
    do {
        count = (count + NODE_SIZE - 1) / NODE_SIZE;
        total += count;
        if (total > UINT32_MAX) return -1;
        ix->level_end[ix->nlevels++] = (uint32_t)total;
    } while (count > 1);
    return 0;
}

static void place_items(index_t *ix, const bbox_t *boxes, const uint32_t *order)
{
    ix->proper = true;
    for (size_t i = 0; i < ix->n; i++) {
        bbox_t b = boxes[order[i]];
        ix->boxes[i] = b;
        ix->refs[i] = order[i];
        ix->proper = ix->proper && b.minx <= b.maxx && b.miny <= b.maxy;
    }
}

static void build_nodes(index_t *ix)
{
    for (uint32_t level = 1; level < ix->nlevels; level++) {
        uint32_t child = level_start(ix, level - 1), child_end = ix->level_end[level - 1];
        for (uint32_t pos = level_start(ix, level); child < child_end; pos++) {
            uint32_t end = child_end - child > NODE_SIZE ? child + NODE_SIZE : child_end;
            bbox_t b = bbox_empty();
            ix->refs[pos] = child;
            for (; child < end; child++)
                b = bbox_union(b, ix->boxes[child]);
            ix->boxes[pos] = b;
        }
    }
}

index_t *index_create(const bbox_t *boxes, size_t n)
{
    index_t *ix = calloc(1, sizeof(*ix));
    uint32_t *order = NULL;
    size_t total;
    int ok = 0;
    if (!ix) return NULL;
    ix->n = n;
    if (n == 0) return ix;
    if (plan_levels(ix, n) < 0) goto out;
    total = ix->level_end[ix->nlevels - 1];
    ix->boxes = calloc(total, sizeof(*ix->boxes));
    ix->refs = calloc(total, sizeof(*ix->refs));
    order = hilbert_order(boxes, n);
    if (!ix->boxes || !ix->refs || !order) goto out;
    place_items(ix, boxes, order);
    build_nodes(ix);
    ok = 1;
out:
    free(order);
    return ok ? ix : index_destroy(ix);
}

index_t *index_destroy(index_t *ix)
{
    if (!ix) return NULL;
    free(ix->boxes);
    free(ix->refs);
    free(ix);
    return NULL;
}

size_t index_count(const index_t *ix)
{
    return ix ? ix->n : 0;
}

static bool inside(bbox_t b, bbox_t q)
{
    return q.minx <= b.minx && b.maxx <= q.maxx && q.miny <= b.miny && b.maxy <= q.maxy;
}

/* Visits every item under node f, all known to match without testing. The
 * tree is packed, so they are contiguous in level 0: reading refs alone
 * skips the item boxes, the bulk of the memory a query touches. */
static bool visit_all(const index_t *ix, struct frame f, index_visit_fn visit, void *arg,
                      size_t *hits)
{
    uint64_t span = (uint64_t)1 << (NODE_BITS * f.level);
    uint64_t first = (f.pos - level_start(ix, f.level)) * span;
    uint64_t end = ix->n - first > span ? first + span : ix->n;
    for (uint64_t i = first; i < end; i++) {
        ++*hits;
        if (visit(ix->refs[i], arg)) return true;
    }
    return false;
}

size_t index_query(const index_t *ix, bbox_t q, index_visit_fn visit, void *arg)
{
    /* Depth-first, each expanded node pushes at most NODE_SIZE children, so
     * the stack never holds more than NODE_SIZE per level: no malloc. */
    struct frame stack[NODE_SIZE * MAX_LEVELS];
    size_t sp = 0, hits = 0;
    if (!ix || ix->n == 0) return 0;
    stack[sp++] = (struct frame){ix->level_end[ix->nlevels - 1] - 1, ix->nlevels - 1};
    while (sp > 0) {
        struct frame f = stack[--sp];
        uint32_t child = ix->refs[f.pos], end = ix->level_end[f.level - 1];
        if (end - child > NODE_SIZE) end = child + NODE_SIZE;
        for (; child < end; child++) {
            struct frame c = {child, f.level - 1};
            if (!bbox_intersects(ix->boxes[child], q)) continue;
            if (c.level == 0) {
                hits++;
                if (visit(ix->refs[child], arg)) return hits;
            } else if (ix->proper && inside(ix->boxes[child], q)) {
                if (visit_all(ix, c, visit, arg, &hits)) return hits;
            } else {
                stack[sp++] = c;
            }
        }
    }
    return hits;
}

struct collect {
    uint32_t *ids;
    size_t len, cap;
    int failed;
};

static int collect_id(uint32_t id, void *arg)
{
    struct collect *c = arg;
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *p = realloc(c->ids, cap * sizeof(*p));
        if (!p) {
            c->failed = 1;
            return 1;
        }
        c->ids = p;
        c->cap = cap;
    }
    c->ids[c->len++] = id;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* qsort is fine for a handful of hits; radix wins beyond that. Ids are
 * below n, so only as many byte passes as n needs. */
static int sort_ids(uint32_t *ids, size_t len, size_t n)
{
    unsigned passes = 1;
    if (len < 64) {
        qsort(ids, len, sizeof(*ids), cmp_u32);
        return 0;
    }
    while (passes < 4 && (n - 1) >> (8 * passes))
        passes++;
    return radix_sort(ids, len, NULL, passes);
}

size_t index_query_ids(const index_t *ix, bbox_t q, uint32_t **ids)
{
    struct collect c = {0};
    index_query(ix, q, collect_id, &c);
    if (c.failed || (c.len > 1 && sort_ids(c.ids, c.len, ix->n) < 0)) {
        free(c.ids);
        *ids = NULL;
        return (size_t)-1;
    }
    *ids = c.ids;
    return c.len;
}
