/* Proximity graph tests: every result is checked against the brute-force
 * definitions, evaluated exactly in 128-bit integers. To make that possible
 * each point set lies on a binary grid: coordinates are integers times
 * 2^-shift (4,000,000.0009765625 metres, say), which the module sees as
 * ordinary doubles while the oracle works on the integers. Sets come from a
 * fixed-seed PRNG so a failure reproduces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "network/proximity.h"
#include "testutil.h"

/* Overridable so a valgrind run can use fewer; CI runs the full count. */
#ifndef BIG_N
#define BIG_N 100000
#endif

typedef __int128 i128;

/* Differences stay below 2^30, so in-circle determinants stay below 2^126. */
#define MAX_SPAN ((int64_t)1 << 29)

struct set {
    size_t n;
    int shift;
    int64_t *x, *y; /* exact coordinates times 2^shift */
    double *xy;
};

static int64_t rnd_below(uint64_t *s, int64_t n)
{
    return (int64_t)(rnd_u64(s) % (uint64_t)n);
}

static int64_t rnd_range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + rnd_below(s, hi - lo + 1);
}

static struct set *set_new(size_t n, int shift)
{
    struct set *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->n = n;
    s->shift = shift;
    s->x = calloc(n + 1, sizeof(*s->x));
    s->y = calloc(n + 1, sizeof(*s->y));
    s->xy = calloc(2 * n + 1, sizeof(*s->xy));
    assert_true(s->x && s->y && s->xy);
    return s;
}

static void set_put(struct set *s, size_t i, int64_t x, int64_t y)
{
    assert_true(llabs(x) < ((int64_t)1 << 53) && llabs(y) < ((int64_t)1 << 53));
    s->x[i] = x;
    s->y[i] = y;
    s->xy[2 * i] = ldexp((double)x, -s->shift);
    s->xy[2 * i + 1] = ldexp((double)y, -s->shift);
}

static void set_free(struct set *s)
{
    free(s->x);
    free(s->y);
    free(s->xy);
    free(s);
}

/* ---- exact oracle ------------------------------------------------------ */

static int sgn(i128 v)
{
    return (v > 0) - (v < 0);
}

static int o_orient(const struct set *s, size_t a, size_t b, size_t c)
{
    i128 l = (i128)(s->x[a] - s->x[c]) * (s->y[b] - s->y[c]);
    i128 r = (i128)(s->y[a] - s->y[c]) * (s->x[b] - s->x[c]);
    return sgn(l - r);
}

/* Positive when d is strictly inside the circle through a, b, c (ccw). */
static int o_incircle(const struct set *s, size_t a, size_t b, size_t c, size_t d)
{
    i128 adx = s->x[a] - s->x[d], ady = s->y[a] - s->y[d];
    i128 bdx = s->x[b] - s->x[d], bdy = s->y[b] - s->y[d];
    i128 cdx = s->x[c] - s->x[d], cdy = s->y[c] - s->y[d];
    i128 la = adx * adx + ady * ady, lb = bdx * bdx + bdy * bdy, lc = cdx * cdx + cdy * cdy;
    return sgn(la * (bdx * cdy - cdx * bdy) + lb * (cdx * ady - adx * cdy) +
               lc * (adx * bdy - bdx * ady));
}

/* Negative when r is strictly inside the circle of diameter ab. */
static int o_dot(const struct set *s, size_t a, size_t b, size_t r)
{
    i128 t = (i128)(s->x[a] - s->x[r]) * (s->x[b] - s->x[r]);
    return sgn(t + (i128)(s->y[a] - s->y[r]) * (s->y[b] - s->y[r]));
}

static i128 o_d2(const struct set *s, size_t a, size_t b)
{
    i128 dx = s->x[a] - s->x[b], dy = s->y[a] - s->y[b];
    return dx * dx + dy * dy;
}

static bool o_in_lune(const struct set *s, size_t a, size_t b, size_t r)
{
    i128 d = o_d2(s, a, b);
    return o_d2(s, a, r) < d && o_d2(s, b, r) < d;
}

static bool o_gabriel(const struct set *s, size_t a, size_t b)
{
    for (size_t r = 0; r < s->n; r++)
        if (o_dot(s, a, b, r) < 0) return false;
    return true;
}

static bool o_rng(const struct set *s, size_t a, size_t b)
{
    for (size_t r = 0; r < s->n; r++)
        if (o_in_lune(s, a, b, r)) return false;
    return true;
}

static bool o_on_diametral(const struct set *s, size_t a, size_t b)
{
    for (size_t r = 0; r < s->n; r++)
        if (o_dot(s, a, b, r) == 0 && o_d2(s, a, r) != 0 && o_d2(s, b, r) != 0) return true;
    return false;
}

static bool same_pos(const struct set *s, size_t a, size_t b)
{
    return s->x[a] == s->x[b] && s->y[a] == s->y[b];
}

/* ---- set analysis ------------------------------------------------------ */

struct key {
    int64_t x, y;
    size_t i;
};

static int cmp_key(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Everything the checks need to know about a set: which point stands for
 * each position, the distinct points in (x, y) order, and the number of
 * them on the convex hull's boundary. */
struct info {
    size_t *canon; /* lowest index at the same position */
    size_t *order; /* distinct points, sorted */
    size_t u, h;
    bool collinear; /* all distinct points on one line (or fewer than 3) */
};

static size_t hull_count(const struct set *s, const size_t *p, size_t u)
{
    size_t *hull = malloc((2 * u + 1) * sizeof(*hull)), k = 0, count = 0;
    assert_non_null(hull);
    /* Andrew's monotone chain, strict turns only. */
    for (size_t i = 0; i < u; i++) {
        while (k >= 2 && o_orient(s, hull[k - 2], hull[k - 1], p[i]) <= 0)
            k--;
        hull[k++] = p[i];
    }
    for (size_t i = u - 1, lower = k + 1; i-- > 0;) {
        while (k >= lower && o_orient(s, hull[k - 2], hull[k - 1], p[i]) <= 0)
            k--;
        hull[k++] = p[i];
    }
    k--; /* the first point closes the loop */
    /* Points on a hull edge count too: they have no triangle outside. */
    for (size_t i = 0; i < u; i++) {
        for (size_t j = 0; j < k; j++) {
            size_t a = hull[j], b = hull[j + 1];
            if (o_orient(s, a, b, p[i]) == 0 && o_dot(s, a, b, p[i]) <= 0) {
                count++;
                break;
            }
        }
    }
    free(hull);
    return count;
}

static struct info analyse(const struct set *s)
{
    struct info in = {NULL, NULL, 0, 0, true};
    struct key *k = malloc((s->n + 1) * sizeof(*k));
    in.canon = malloc((s->n + 1) * sizeof(*in.canon));
    in.order = malloc((s->n + 1) * sizeof(*in.order));
    assert_true(k && in.canon && in.order);
    for (size_t i = 0; i < s->n; i++)
        k[i] = (struct key){s->x[i], s->y[i], i};
    qsort(k, s->n, sizeof(*k), cmp_key);
    for (size_t i = 0, first = 0; i < s->n; i++) {
        if (i == 0 || k[i].x != k[first].x || k[i].y != k[first].y) {
            first = i;
            in.order[in.u++] = k[i].i;
        }
        in.canon[k[i].i] = k[first].i;
    }
    free(k);
    for (size_t i = 2; i < in.u; i++)
        if (o_orient(s, in.order[0], in.order[1], in.order[i]) != 0) in.collinear = false;
    if (!in.collinear) in.h = hull_count(s, in.order, in.u);
    return in;
}

static void info_free(struct info *in)
{
    free(in->canon);
    free(in->order);
}

/* ---- graph helpers ----------------------------------------------------- */

static int cmp_edge(const void *pa, const void *pb)
{
    const proximity_edge_t *a = pa, *b = pb;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static bool has_edge(const proximity_edge_t *e, size_t ne, size_t a, size_t b)
{
    proximity_edge_t key = {(uint32_t)(a < b ? a : b), (uint32_t)(a < b ? b : a)};
    return ne > 0 && bsearch(&key, e, ne, sizeof(*e), cmp_edge) != NULL;
}

static void expect_sorted_valid(const proximity_edge_t *e, size_t ne, size_t n)
{
    for (size_t k = 0; k < ne; k++) {
        assert_true(e[k].a < e[k].b);
        assert_true(e[k].b < n);
        if (k > 0) assert_true(cmp_edge(&e[k - 1], &e[k]) < 0);
    }
}

/* Is every edge of sub also in sup? Both sorted. */
static bool subset(const proximity_edge_t *sub, size_t nsub, const proximity_edge_t *sup,
                   size_t nsup)
{
    size_t j = 0;
    for (size_t i = 0; i < nsub; i++) {
        while (j < nsup && cmp_edge(&sup[j], &sub[i]) < 0)
            j++;
        if (j == nsup || cmp_edge(&sup[j], &sub[i]) != 0) return false;
    }
    return true;
}

/* Neighbours of each point sorted by index, zero-length edges left out. */
struct adj {
    size_t *start;
    size_t *nbr;
};

static int cmp_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

static struct adj adj_build(const struct set *s, const proximity_edge_t *e, size_t ne)
{
    struct adj g;
    g.start = calloc(s->n + 2, sizeof(*g.start));
    g.nbr = malloc((2 * ne + 1) * sizeof(*g.nbr));
    assert_true(g.start && g.nbr);
    for (size_t k = 0; k < ne; k++) {
        if (same_pos(s, e[k].a, e[k].b)) continue;
        g.start[e[k].a + 2]++;
        g.start[e[k].b + 2]++;
    }
    for (size_t v = 0; v < s->n; v++)
        g.start[v + 2] += g.start[v + 1];
    for (size_t k = 0; k < ne; k++) {
        if (same_pos(s, e[k].a, e[k].b)) continue;
        g.nbr[g.start[e[k].a + 1]++] = e[k].b;
        g.nbr[g.start[e[k].b + 1]++] = e[k].a;
    }
    for (size_t v = 0; v < s->n; v++)
        qsort(&g.nbr[g.start[v]], g.start[v + 1] - g.start[v], sizeof(size_t), cmp_size);
    return g;
}

static void adj_free(struct adj *g)
{
    free(g->start);
    free(g->nbr);
}

/* ---- Delaunay checks --------------------------------------------------- */

/* Duplicates hang off their position's lowest index by one edge each; every
 * other edge joins two distinct positions' representatives. Returns the
 * number of those others. */
static size_t expect_duplicate_rule(const struct set *s, const struct info *in,
                                    const proximity_edge_t *e, size_t ne)
{
    size_t *deg = calloc(s->n + 1, sizeof(*deg)), core = 0;
    assert_non_null(deg);
    for (size_t k = 0; k < ne; k++) {
        size_t a = e[k].a, b = e[k].b;
        deg[a]++, deg[b]++;
        if (in->canon[b] != b) {
            assert_int_equal(in->canon[b], a);
        } else {
            assert_int_equal(in->canon[a], a);
            assert_false(same_pos(s, a, b));
            core++;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        if (in->canon[i] == i) continue;
        assert_int_equal(deg[i], 1);
        assert_true(has_edge(e, ne, in->canon[i], i));
    }
    free(deg);
    return core;
}

/* No point lies inside an edge and no two edges cross: O(e^2). */
static void expect_plane(const struct set *s, const struct info *in, const proximity_edge_t *e,
                         size_t ne)
{
    for (size_t k = 0; k < ne; k++) {
        size_t a = e[k].a, b = e[k].b;
        if (same_pos(s, a, b)) continue;
        for (size_t i = 0; i < in->u; i++) {
            size_t p = in->order[i];
            assert_false(o_orient(s, a, b, p) == 0 && o_dot(s, a, b, p) < 0);
        }
        for (size_t j = k + 1; j < ne; j++) {
            size_t c = e[j].a, d = e[j].b;
            if (same_pos(s, c, d) || a == c || a == d || b == c || b == d) continue;
            bool cross = o_orient(s, a, b, c) * o_orient(s, a, b, d) < 0 &&
                         o_orient(s, c, d, a) * o_orient(s, c, d, b) < 0;
            if (cross) fail_msg("edges %zu-%zu and %zu-%zu cross", a, b, c, d);
        }
    }
}

/* No point of the candidate list strictly inside triangle abc (ccw). */
static bool empty_triangle(const struct set *s, size_t a, size_t b, size_t c, const size_t *cand,
                           size_t ncand)
{
    for (size_t i = 0; i < ncand; i++) {
        size_t p = cand[i];
        if (o_orient(s, a, b, p) > 0 && o_orient(s, b, c, p) > 0 && o_orient(s, c, a, p) > 0)
            return false;
    }
    return true;
}

static void expect_empty_circle(const struct set *s, size_t a, size_t b, size_t c,
                                const size_t *cand, size_t ncand)
{
    for (size_t i = 0; i < ncand; i++) {
        if (o_incircle(s, a, b, c, cand[i]) > 0)
            fail_msg("point %zu inside the circumcircle of %zu %zu %zu", cand[i], a, b, c);
    }
}

/* Finds the faces among the 3-cycles and checks their circumcircles. With
 * full, against every point; otherwise against the triangle's neighbours,
 * which for a triangulation is equivalent (locally Delaunay everywhere
 * implies Delaunay) and keeps big sets fast. Returns the face count. */
static size_t check_faces(const struct set *s, const struct info *in, const struct adj *g,
                          bool full)
{
    size_t faces = 0, *local = malloc((3 * s->n + 1) * sizeof(*local));
    assert_non_null(local);
    for (size_t a = 0; a < s->n; a++) {
        for (size_t i = g->start[a]; i < g->start[a + 1]; i++) {
            size_t b = g->nbr[i], j = g->start[a], k = g->start[b];
            if (b < a) continue;
            /* Common neighbours c > b by merging the sorted lists. */
            while (j < g->start[a + 1] && k < g->start[b + 1]) {
                size_t ca = g->nbr[j], cb = g->nbr[k], p = a, q = b, c = ca, nl = 0;
                if (ca != cb) {
                    ca < cb ? j++ : k++;
                    continue;
                }
                j++, k++;
                if (c < b) continue;
                if (o_orient(s, p, q, c) < 0) p = b, q = a;
                const size_t *cand = in->order;
                size_t ncand = in->u;
                if (!full) {
                    size_t v3[3] = {a, b, c};
                    for (int t = 0; t < 3; t++)
                        for (size_t m = g->start[v3[t]]; m < g->start[v3[t] + 1]; m++)
                            local[nl++] = g->nbr[m];
                    cand = local;
                    ncand = nl;
                }
                /* A 3-cycle with a point inside is not a face; in a
                 * triangulation one of a's neighbours would be inside. */
                if (!empty_triangle(s, p, q, c, full ? cand : &g->nbr[g->start[a]],
                                    full ? ncand : g->start[a + 1] - g->start[a]))
                    continue;
                faces++;
                expect_empty_circle(s, p, q, c, cand, ncand);
            }
        }
    }
    free(local);
    return faces;
}

enum depth {
    LOCAL, /* circumcircles against neighbours only: for big sets */
    FULL,  /* everything against every point */
    PLANE  /* no circumcircles: coordinates too big for the in-circle oracle */
};

/* All the properties of a Delaunay triangulation of s that an edge list
 * can show. */
static void check_delaunay(const struct set *s, const proximity_edge_t *e, size_t ne,
                           enum depth depth)
{
    struct info in = analyse(s);
    size_t core;
    expect_sorted_valid(e, ne, s->n);
    core = expect_duplicate_rule(s, &in, e, ne);
    if (in.collinear) {
        /* The path through the distinct points in order along the line. */
        assert_int_equal(core, in.u > 0 ? in.u - 1 : 0);
        for (size_t i = 1; i < in.u; i++)
            assert_true(has_edge(e, ne, in.order[i - 1], in.order[i]));
    } else {
        struct adj g = adj_build(s, e, ne);
        /* Euler: a triangulation of u points, h on the hull boundary. */
        assert_int_equal(core, 3 * in.u - 3 - in.h);
        if (depth != LOCAL) expect_plane(s, &in, e, ne);
        if (depth != PLANE)
            assert_int_equal(check_faces(s, &in, &g, depth == FULL), 2 * in.u - 2 - in.h);
        adj_free(&g);
    }
    info_free(&in);
}

/* ---- Gabriel and RNG checks -------------------------------------------- */

/* Prim's algorithm over the distinct points, O(u^2). */
static void expect_mst_in(const struct set *s, const struct info *in, const proximity_edge_t *rng,
                          size_t nrng)
{
    size_t u = in->u, *from = malloc((u + 1) * sizeof(*from));
    i128 *best = malloc((u + 1) * sizeof(*best));
    bool *done = calloc(u + 1, sizeof(*done));
    assert_true(from && best && done);
    for (size_t i = 0; i < u; i++)
        best[i] = -1, from[i] = 0;
    for (size_t step = 0, v = 0; step < u; step++) {
        done[v] = true;
        if (step > 0) assert_true(has_edge(rng, nrng, in->order[from[v]], in->order[v]));
        size_t next = u;
        for (size_t w = 0; w < u; w++) {
            if (done[w]) continue;
            i128 d = o_d2(s, in->order[v], in->order[w]);
            if (best[w] < 0 || d < best[w]) best[w] = d, from[w] = v;
            if (next == u || best[w] < best[next]) next = w;
        }
        v = next;
    }
    free(from);
    free(best);
    free(done);
}

struct graphs {
    proximity_edge_t *dt, *gab, *rng;
    size_t ndt, ngab, nrng;
};

static struct graphs compute(const struct set *s)
{
    struct graphs g = {NULL, NULL, NULL, 0, 0, 0};
    assert_int_equal(proximity_delaunay(s->xy, s->n, &g.dt, &g.ndt), 0);
    assert_int_equal(proximity_gabriel(s->xy, s->n, g.dt, g.ndt, &g.gab, &g.ngab), 0);
    assert_int_equal(proximity_rng(s->xy, s->n, g.dt, g.ndt, &g.rng, &g.nrng), 0);
    assert_true((g.dt == NULL) == (g.ndt == 0));
    assert_true((g.gab == NULL) == (g.ngab == 0));
    assert_true((g.rng == NULL) == (g.nrng == 0));
    return g;
}

static void graphs_free(struct graphs *g)
{
    free(g->dt);
    free(g->gab);
    free(g->rng);
}

/* RNG within Gabriel within Delaunay, each exactly the Delaunay edges that
 * pass the brute-force definition over all n points, and the Euclidean MST
 * within the RNG. With all_pairs, also every pair of points: a Gabriel or
 * RNG pair may be missing only if it is not in this triangulation, which
 * needs a point on its diametral circle (never, if general). */
static void check_filters(const struct set *s, const struct graphs *g, bool all_pairs, bool general)
{
    struct info in = analyse(s);
    expect_sorted_valid(g->gab, g->ngab, s->n);
    expect_sorted_valid(g->rng, g->nrng, s->n);
    assert_true(subset(g->gab, g->ngab, g->dt, g->ndt));
    assert_true(subset(g->rng, g->nrng, g->gab, g->ngab));
    for (size_t k = 0; k < g->ndt; k++) {
        size_t a = g->dt[k].a, b = g->dt[k].b;
        bool gab = o_gabriel(s, a, b), rng = gab && o_rng(s, a, b);
        if (gab != has_edge(g->gab, g->ngab, a, b))
            fail_msg("edge %zu-%zu: Gabriel %d by definition", a, b, gab);
        if (rng != has_edge(g->rng, g->nrng, a, b))
            fail_msg("edge %zu-%zu: RNG %d by definition", a, b, rng);
    }
    /* RNG pairs are Gabriel pairs, and one in this triangulation was
     * checked above, so Gabriel pairs cover both. */
    for (size_t i = 0; all_pairs && i < in.u; i++) {
        for (size_t j = i + 1; j < in.u; j++) {
            size_t a = in.order[i], b = in.order[j];
            if (!o_gabriel(s, a, b) || has_edge(g->gab, g->ngab, a, b)) continue;
            assert_false(general);
            assert_true(o_on_diametral(s, a, b));
        }
    }
    if (in.u > 1) expect_mst_in(s, &in, g->rng, g->nrng);
    for (size_t i = 0; i < s->n; i++)
        if (in.canon[i] != i) assert_true(has_edge(g->rng, g->nrng, in.canon[i], i));
    info_free(&in);
}

static void check_all(const struct set *s, bool full, bool general)
{
    struct graphs g = compute(s);
    check_delaunay(s, g.dt, g.ndt, full ? FULL : LOCAL);
    check_filters(s, &g, full, general);
    graphs_free(&g);
}

/* ---- point sets -------------------------------------------------------- */

/* EPSG:3035-like metres on a 2^-10 m grid. */
#define BASE_X ((int64_t)4000000 << 10)
#define BASE_Y ((int64_t)3000000 << 10)

static struct set *gen_uniform(uint64_t *seed, size_t n, size_t dup_percent)
{
    struct set *s = set_new(n, 10);
    for (size_t i = 0; i < n; i++) {
        size_t j = i > 0 && (size_t)rnd_below(seed, 100) < dup_percent
                       ? (size_t)rnd_below(seed, (int64_t)i)
                       : i;
        if (j < i)
            set_put(s, i, s->x[j], s->y[j]);
        else
            set_put(s, i, BASE_X + rnd_below(seed, MAX_SPAN), BASE_Y + rnd_below(seed, MAX_SPAN));
    }
    return s;
}

/* Most points on a few lines (axis-parallel and slanted), some repeated,
 * the rest scattered. */
static struct set *gen_lines(uint64_t *seed, size_t n)
{
    static const int64_t dir[][2] = {{1, 0}, {0, 1}, {1, 1}, {3, -7}, {2, 5}};
    struct set *s = set_new(n, 4);
    int64_t ox[5], oy[5];
    for (int l = 0; l < 5; l++)
        ox[l] = rnd_range(seed, 1 << 20, 1 << 22), oy[l] = rnd_range(seed, 1 << 20, 1 << 22);
    for (size_t i = 0; i < n; i++) {
        int l = (int)rnd_below(seed, 6);
        int64_t t = rnd_range(seed, -40, 40) * 4096;
        if (l == 5)
            set_put(s, i, rnd_below(seed, 1 << 23), rnd_below(seed, 1 << 23));
        else
            set_put(s, i, ox[l] + t * dir[l][0], oy[l] + t * dir[l][1]);
    }
    return s;
}

/* A w x h grid of 1 km cells, cocircular everywhere; with holes and
 * repeats when sparse is set. */
static struct set *gen_grid(uint64_t *seed, size_t w, size_t h, bool sparse)
{
    struct set *s = set_new(w * h, 0);
    size_t k = 0;
    for (size_t i = 0; i < w * h; i++) {
        size_t c = sparse ? (size_t)rnd_below(seed, (int64_t)(w * h)) : i;
        set_put(s, k++, 4321000 + 1000 * (int64_t)(c % w), 2100000 + 1000 * (int64_t)(c / w));
    }
    return s;
}

/* The 108 lattice points of x^2 + y^2 = 1105^2, exactly cocircular, in
 * shuffled order, plus the centre when asked. */
static struct set *gen_circle(uint64_t *seed, bool centre)
{
    const int64_t r = 1105;
    struct set *s = set_new(109, 0);
    size_t k = 0;
    for (int64_t x = -r; x <= r; x++) {
        int64_t y = (int64_t)llround(sqrt((double)(r * r - x * x)));
        if (x * x + y * y != r * r) continue;
        set_put(s, k++, 1000000 + x, 2000000 + y);
        if (y != 0) set_put(s, k++, 1000000 + x, 2000000 - y);
    }
    assert_int_equal(k, 108);
    for (size_t i = k; i-- > 1;) {
        size_t j = (size_t)rnd_below(seed, (int64_t)i + 1);
        int64_t tx = s->x[i], ty = s->y[i];
        set_put(s, i, s->x[j], s->y[j]);
        set_put(s, j, tx, ty);
    }
    if (centre) set_put(s, k++, 1000000, 2000000);
    s->n = k;
    return s;
}

/* Points on a circle of radius 2^27 rounded to integers, and its centre:
 * nearly cocircular, so the in-circle filter fails and exact arithmetic
 * decides. */
static struct set *gen_near_circle(uint64_t *seed, size_t n)
{
    struct set *s = set_new(n + 1, 0);
    for (size_t i = 0; i < n; i++) {
        double a = 6.283185307179586 * (double)rnd_below(seed, 1 << 30) / (1 << 30);
        set_put(s, i, llround(0x1p27 * cos(a)), llround(0x1p27 * sin(a)));
    }
    set_put(s, n, 0, 0);
    return s;
}

/* Clusters a few millimetres wide (1e-9 of the coordinates) up to 250 m
 * apart, on a 2^-20 m grid. */
static struct set *gen_clusters(uint64_t *seed, size_t n)
{
    struct set *s = set_new(n, 20);
    int64_t cx[6], cy[6];
    for (int c = 0; c < 6; c++)
        cx[c] = ((int64_t)4000000 << 20) + rnd_below(seed, 1 << 28),
        cy[c] = ((int64_t)3000000 << 20) + rnd_below(seed, 1 << 28);
    for (size_t i = 0; i < n; i++) {
        int c = (int)rnd_below(seed, 6);
        set_put(s, i, cx[c] + rnd_range(seed, -4096, 4096), cy[c] + rnd_range(seed, -4096, 4096));
    }
    return s;
}

/* Points a few ulps apart around (4e6, 3e6): the doubles next to each other. */
static struct set *gen_ulps(uint64_t *seed, size_t n)
{
    struct set *s = set_new(n, 31);
    for (size_t i = 0; i < n; i++)
        set_put(s, i, ((int64_t)4000000 << 31) + rnd_below(seed, 24),
                ((int64_t)3000000 << 31) + rnd_below(seed, 24));
    return s;
}

/* Lattice points i*u + j*v for consecutive Fibonacci vectors u, v: det(u, v)
 * is 1, so rows of points lie 1/|u| ~ 2e-8 units apart along a line of
 * slope ~1.618, and orientation and in-circle determinants of 2^58-sized
 * products come out at a few units, far below double rounding. Only
 * exact arithmetic gets these right. */
static struct set *gen_skinny(uint64_t *seed, size_t n)
{
    const int64_t u[2] = {39088169, 63245986}, v[2] = {24157817, 39088169}; /* F38..F40 */
    struct set *s = set_new(n, 0);
    for (size_t i = 0; i < n; i++) {
        int64_t a = rnd_below(seed, 8), b = rnd_range(seed, -6, 6);
        set_put(s, i, 1000 + a * u[0] + b * v[0], 1000 + a * u[1] + b * v[1]);
    }
    return s;
}

/* ---- tests ------------------------------------------------------------- */

static void test_random_general(void **state)
{
    uint64_t seed = 1;
    (void)state;
    for (int rep = 0; rep < 4; rep++) {
        struct set *s = gen_uniform(&seed, 150 + 50 * (size_t)rep, 0);
        check_all(s, true, true);
        set_free(s);
    }
}

static void test_random_duplicates(void **state)
{
    uint64_t seed = 2;
    (void)state;
    for (int rep = 0; rep < 3; rep++) {
        struct set *s = gen_uniform(&seed, 200, 10 + 20 * (size_t)rep);
        check_all(s, true, true);
        set_free(s);
    }
}

static void test_collinear_heavy(void **state)
{
    uint64_t seed = 3;
    (void)state;
    for (int rep = 0; rep < 3; rep++) {
        struct set *s = gen_lines(&seed, 250);
        check_all(s, true, false);
        set_free(s);
    }
}

static void test_grids(void **state)
{
    uint64_t seed = 4;
    struct set *s = gen_grid(&seed, 15, 13, false);
    (void)state;
    check_all(s, true, false);
    set_free(s);
    s = gen_grid(&seed, 16, 16, true); /* holes and repeats */
    check_all(s, true, false);
    set_free(s);
    s = gen_grid(&seed, 1, 40, false); /* a column */
    check_all(s, true, false);
    set_free(s);
    s = gen_grid(&seed, 2, 30, false); /* two columns: all squares */
    check_all(s, true, false);
    set_free(s);
}

static void test_circle(void **state)
{
    uint64_t seed = 5;
    struct set *s = gen_circle(&seed, false);
    (void)state;
    check_all(s, true, false);
    set_free(s);
    s = gen_circle(&seed, true);
    check_all(s, true, false);
    set_free(s);
    s = gen_near_circle(&seed, 200);
    check_all(s, true, false);
    set_free(s);
}

static void test_skinny(void **state)
{
    uint64_t seed = 11;
    (void)state;
    for (size_t n = 3; n < 120; n += n / 2) {
        struct set *s = gen_skinny(&seed, n);
        check_all(s, true, false);
        set_free(s);
    }
}

/* Coordinates up to 2^53 of both signs, so differences need 54 bits and the
 * exact arithmetic must carry their rounding errors. The in-circle oracle
 * would overflow: planarity, the edge count and Gabriel and RNG are checked
 * instead, and collinear sets must still give the path. */
static void test_huge_coordinates(void **state)
{
    const int64_t big = ((int64_t)1 << 53) - 1, third = big / 3;
    uint64_t seed = 13;
    (void)state;
    for (int rep = 0; rep < 60; rep++) {
        /* Few points, far apart, so that even neighbours differ hugely. */
        struct set *s = set_new(rep % 20 == 19 ? 150 : 3 + (size_t)(rep % 10), 0);
        for (size_t i = 0; i < s->n; i++) {
            int64_t t = rnd_range(&seed, -third, third);
            if (rep % 2 == 0)
                set_put(s, i, 3 * t, 5 - 2 * t);
            else if (i % 4 == 0)
                set_put(s, i, rnd_range(&seed, -9, 9), rnd_range(&seed, -9, 9));
            else
                set_put(s, i, 3 * t, rnd_range(&seed, -big, big));
        }
        struct graphs g = compute(s);
        check_delaunay(s, g.dt, g.ndt, PLANE);
        check_filters(s, &g, true, false);
        graphs_free(&g);
        set_free(s);
    }
}

/* x*e1 + y*e2 == gcd(x, y), by the extended Euclidean algorithm. */
static int64_t ext_gcd(int64_t x, int64_t y, int64_t *e1, int64_t *e2)
{
    int64_t a1 = 1, a2 = 0, b1 = 0, b2 = 1;
    while (y != 0) {
        int64_t q = x / y, t = x - q * y, t1 = a1 - q * b1, t2 = a2 - q * b2;
        x = y, y = t, a1 = b1, a2 = b2, b1 = t1, b2 = t2;
    }
    *e1 = a1, *e2 = a2;
    return x;
}

/* Triangles whose Gabriel and RNG answers hinge on a difference of one unit
 * between 2^58-sized dot products or squared distances. */
static void test_near_ties(void **state)
{
    uint64_t seed = 12;
    (void)state;
    for (int rep = 0; rep < 200; rep++) {
        struct set *s = set_new(3 + (size_t)(rep % 2), 0);
        int64_t k = rep % 4 < 2 ? 1 : -1, x = rnd_range(&seed, 1 << 27, 1 << 28), y, e1, e2;
        do
            y = rnd_range(&seed, 1 << 27, 1 << 28);
        while (ext_gcd(x, y, &e1, &e2) != 1);
        set_put(s, 0, 1000, 1000);
        if (rep % 8 < 4) {
            /* r = (x, y), b = r + w with w.r = -k: r is inside the circle
             * of diameter ab exactly when k > 0. */
            set_put(s, 1, 1000 + x, 1000 + y);
            set_put(s, 2, 1000 + x - y + k * e1, 1000 + y + x + k * e2);
        } else {
            /* |a - r|^2 = |a - b|^2 - 2k with b and r close together. */
            set_put(s, 1, 1000 + x, 1000 + x - 1 + k);
            set_put(s, 2, 1000 + x + k, 1000 + x - 1);
        }
        if (s->n > 3) set_put(s, 3, rnd_range(&seed, 0, 1 << 29), rnd_range(&seed, 0, 1 << 29));
        check_all(s, true, false);
        set_free(s);
    }
}

static void test_clusters(void **state)
{
    uint64_t seed = 6;
    (void)state;
    for (int rep = 0; rep < 2; rep++) {
        struct set *s = gen_clusters(&seed, 240);
        check_all(s, true, false);
        set_free(s);
    }
    struct set *s = gen_ulps(&seed, 200);
    check_all(s, true, false);
    set_free(s);
}

/* Bigger sets, checked locally (still exactly), against the brute-force
 * definitions of Gabriel and RNG, and for the MST. */
static void test_medium_sets(void **state)
{
    uint64_t seed = 7;
    struct set *sets[] = {gen_uniform(&seed, 2000, 5), gen_clusters(&seed, 2000),
                          gen_lines(&seed, 2000), gen_grid(&seed, 40, 50, true)};
    (void)state;
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        check_all(sets[i], false, false);
        set_free(sets[i]);
    }
}

/* 100,000 points: the triangulation count and local Delaunay property, and
 * the inclusions between the graphs. A full grid exercises the exact
 * in-circle on every merge step. */
static void test_large_sets(void **state)
{
    uint64_t seed = 8;
    size_t side = (size_t)sqrt((double)BIG_N);
    struct set *sets[] = {gen_uniform(&seed, BIG_N, 1), gen_grid(&seed, side, side, false)};
    (void)state;
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        struct graphs g = compute(sets[i]);
        check_delaunay(sets[i], g.dt, g.ndt, LOCAL);
        expect_sorted_valid(g.gab, g.ngab, sets[i]->n);
        expect_sorted_valid(g.rng, g.nrng, sets[i]->n);
        assert_true(subset(g.gab, g.ngab, g.dt, g.ndt));
        assert_true(subset(g.rng, g.nrng, g.gab, g.ngab));
        assert_true(g.nrng >= sets[i]->n - 1); /* contains a spanning tree */
        graphs_free(&g);
        set_free(sets[i]);
    }
}

/* All points on one line, in random order with repeats: the path. */
static void test_collinear_path(void **state)
{
    static const int64_t dir[][2] = {{1, 0}, {0, 1}, {3, -2}, {-5, 5}};
    uint64_t seed = 9;
    (void)state;
    for (size_t d = 0; d < 4; d++) {
        struct set *s = set_new(500, 0);
        for (size_t i = 0; i < s->n; i++) {
            int64_t t = rnd_below(&seed, 400);
            set_put(s, i, 4000000 + t * dir[d][0], 3000000 + t * dir[d][1]);
        }
        struct graphs g = compute(s);
        check_delaunay(s, g.dt, g.ndt, FULL);
        /* Every path edge is Gabriel and RNG; so is every duplicate's. */
        assert_int_equal(g.ngab, g.ndt);
        assert_int_equal(g.nrng, g.ndt);
        check_filters(s, &g, true, false);
        graphs_free(&g);
        set_free(s);
    }
}

static void expect_edges(const double *xy, size_t n, const proximity_edge_t *want, size_t nwant)
{
    proximity_edge_t *e = (proximity_edge_t *)&e; /* must be overwritten */
    size_t ne = 12345;
    assert_int_equal(proximity_delaunay(xy, n, &e, &ne), 0);
    assert_int_equal(ne, nwant);
    if (nwant == 0) assert_null(e);
    for (size_t i = 0; i < nwant; i++) {
        assert_int_equal(e[i].a, want[i].a);
        assert_int_equal(e[i].b, want[i].b);
    }
    free(e);
}

static void test_tiny(void **state)
{
    const double two[] = {1, 2, 3, 4}, same[] = {5, 5, 5, 5}, zeros[] = {0, 0, -0.0, 0};
    const double line[] = {0, 0, 2, 0, 1, 0}, tri[] = {0, 0, 4, 1, 1, 3};
    const double square[] = {0, 0, 1, 0, 1, 1, 0, 1};
    const proximity_edge_t e01[] = {{0, 1}}, eline[] = {{0, 2}, {1, 2}};
    const proximity_edge_t etri[] = {{0, 1}, {0, 2}, {1, 2}};
    proximity_edge_t *e = NULL;
    size_t ne = 0;
    (void)state;
    expect_edges(NULL, 0, NULL, 0);
    expect_edges(two, 1, NULL, 0);
    expect_edges(two, 2, e01, 1);
    expect_edges(same, 2, e01, 1);
    expect_edges(zeros, 2, e01, 1); /* -0 == 0: one position */
    expect_edges(line, 3, eline, 2);
    expect_edges(tri, 3, etri, 3);
    /* A square: its four sides and one diagonal. */
    assert_int_equal(proximity_delaunay(square, 4, &e, &ne), 0);
    assert_int_equal(ne, 5);
    assert_true(has_edge(e, ne, 0, 1) && has_edge(e, ne, 1, 2) && has_edge(e, ne, 2, 3) &&
                has_edge(e, ne, 0, 3));
    assert_true(has_edge(e, ne, 0, 2) != has_edge(e, ne, 1, 3));
    free(e);
}

static void test_filters_tiny(void **state)
{
    /* A flat triangle: the long side fails Gabriel; an isosceles one with a
     * 70 degree apex keeps all three sides in Gabriel but not in RNG. */
    const double flat[] = {0, 0, 10, 0, 5, 1}, iso[] = {0, 0, 10, 0, 5, 7};
    const proximity_edge_t all[] = {{0, 1}, {0, 2}, {1, 2}}, bad[] = {{0, 3}};
    proximity_edge_t *out = (proximity_edge_t *)&out;
    size_t nout = 99;
    (void)state;
    assert_int_equal(proximity_gabriel(flat, 3, all, 3, &out, &nout), 0);
    assert_int_equal(nout, 2);
    assert_true(has_edge(out, nout, 0, 2) && has_edge(out, nout, 1, 2));
    free(out);
    assert_int_equal(proximity_gabriel(iso, 3, all, 3, &out, &nout), 0);
    assert_int_equal(nout, 3);
    free(out);
    assert_int_equal(proximity_rng(iso, 3, all, 3, &out, &nout), 0);
    assert_int_equal(nout, 2);
    assert_false(has_edge(out, nout, 0, 1));
    free(out);
    /* No edges in, none out. */
    out = (proximity_edge_t *)&out;
    assert_int_equal(proximity_rng(iso, 3, NULL, 0, &out, &nout), 0);
    assert_null(out);
    assert_int_equal(nout, 0);
    assert_int_equal(proximity_gabriel(NULL, 0, NULL, 0, &out, &nout), 0);
    assert_null(out);
    /* An edge naming a missing point. */
    out = (proximity_edge_t *)&out;
    assert_int_equal(proximity_gabriel(iso, 3, bad, 1, &out, &nout), ERR_INVALID);
    assert_null(out);
    assert_int_equal(nout, 0);
    assert_int_equal(proximity_rng(iso, 3, (proximity_edge_t[]){{1, 1}}, 1, &out, &nout),
                     ERR_INVALID);
}

static void test_all_duplicates(void **state)
{
    enum { N = 300 };
    double xy[2 * N];
    struct set *s = set_new(N, 0);
    (void)state;
    for (size_t i = 0; i < N; i++)
        set_put(s, i, 4000000, 3000000), xy[2 * i] = 7.5, xy[2 * i + 1] = -1;
    struct graphs g = compute(s);
    assert_int_equal(g.ndt, N - 1);
    for (size_t i = 0; i < g.ndt; i++)
        assert_true(g.dt[i].a == 0 && g.dt[i].b == i + 1);
    assert_int_equal(g.ngab, N - 1);
    assert_int_equal(g.nrng, N - 1);
    check_filters(s, &g, true, false);
    graphs_free(&g);
    set_free(s);
    /* Two positions, many copies of each: one real edge. */
    for (size_t i = 0; i < N; i += 2)
        xy[2 * i] = 8.5;
    proximity_edge_t *e;
    size_t ne;
    assert_int_equal(proximity_delaunay(xy, N, &e, &ne), 0);
    assert_int_equal(ne, N - 1);
    assert_true(has_edge(e, ne, 0, 1));
    free(e);
}

static void test_bad_input(void **state)
{
    double xy[] = {0, 0, 1, 1, 2, 0, 3, 3};
    proximity_edge_t *e = (proximity_edge_t *)&e;
    size_t ne = 5;
    (void)state;
    xy[5] = NAN;
    assert_int_equal(proximity_delaunay(xy, 4, &e, &ne), ERR_INVALID);
    assert_null(e);
    assert_int_equal(ne, 0);
    assert_int_equal(proximity_gabriel(xy, 4, NULL, 0, &e, &ne), ERR_INVALID);
    assert_int_equal(proximity_rng(xy, 4, NULL, 0, &e, &ne), ERR_INVALID);
    xy[5] = -INFINITY;
    assert_int_equal(proximity_delaunay(xy, 4, &e, &ne), ERR_INVALID);
    xy[5] = 0;
    /* Checked before the array is read: it is not that long. */
    assert_int_equal(proximity_delaunay(xy, ((size_t)1 << 31) + 1, &e, &ne), ERR_INVALID);
    assert_int_equal(proximity_delaunay(NULL, 3, &e, &ne), ERR_INVALID);
    assert_int_equal(proximity_delaunay(xy, 4, NULL, &ne), ERR_INVALID);
    assert_int_equal(proximity_delaunay(xy, 4, &e, NULL), ERR_INVALID);
    assert_null(e);
    assert_int_equal(proximity_delaunay(xy, 4, &e, &ne), 0);
    assert_int_equal(ne, 5);
    free(e);
}

/* Scaling by a power of two changes no predicate, so neither the result;
 * 2^1000 and 2^-1000 push products far past the double range. */
static void test_extreme_scales(void **state)
{
    uint64_t seed = 10;
    struct set *s = gen_clusters(&seed, 300);
    double *big = malloc(2 * s->n * sizeof(*big)), *small = malloc(2 * s->n * sizeof(*small));
    (void)state;
    assert_true(big && small);
    for (size_t i = 0; i < 2 * s->n; i++) {
        double v = s->xy[i] - 4e6; /* exact: within a binade of 4e6 */
        s->xy[i] = v;
        big[i] = ldexp(v, 1000);
        small[i] = ldexp(v, -1000);
    }
    struct graphs g = compute(s);
    for (int t = 0; t < 2; t++) {
        const double *xy = t ? small : big;
        proximity_edge_t *e, *gab, *rng;
        size_t ne, ngab, nrng;
        assert_int_equal(proximity_delaunay(xy, s->n, &e, &ne), 0);
        assert_int_equal(proximity_gabriel(xy, s->n, e, ne, &gab, &ngab), 0);
        assert_int_equal(proximity_rng(xy, s->n, e, ne, &rng, &nrng), 0);
        assert_int_equal(ne, g.ndt);
        assert_memory_equal(e, g.dt, ne * sizeof(*e));
        assert_int_equal(ngab, g.ngab);
        assert_memory_equal(gab, g.gab, ngab * sizeof(*gab));
        assert_int_equal(nrng, g.nrng);
        assert_memory_equal(rng, g.rng, nrng * sizeof(*rng));
        free(e);
        free(gab);
        free(rng);
    }
    /* Wildly mixed magnitudes: tiny coordinates round together next to
     * huge ones, but the result is still a valid edge list. */
    for (size_t i = 0; i < 2 * s->n; i++)
        big[i] = i % 7 == 0 ? ldexp(s->xy[i], 900) : ldexp(s->xy[i], -900);
    proximity_edge_t *e;
    size_t ne;
    assert_int_equal(proximity_delaunay(big, s->n, &e, &ne), 0);
    expect_sorted_valid(e, ne, s->n);
    assert_true(ne >= s->n - 1 && ne <= 3 * s->n);
    free(e);
    graphs_free(&g);
    free(big);
    free(small);
    set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny),
        cmocka_unit_test(test_filters_tiny),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_all_duplicates),
        cmocka_unit_test(test_collinear_path),
        cmocka_unit_test(test_random_general),
        cmocka_unit_test(test_random_duplicates),
        cmocka_unit_test(test_collinear_heavy),
        cmocka_unit_test(test_grids),
        cmocka_unit_test(test_circle),
        cmocka_unit_test(test_clusters),
        cmocka_unit_test(test_skinny),
        cmocka_unit_test(test_near_ties),
        cmocka_unit_test(test_huge_coordinates),
        cmocka_unit_test(test_extreme_scales),
        cmocka_unit_test(test_medium_sets),
        cmocka_unit_test(test_large_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
