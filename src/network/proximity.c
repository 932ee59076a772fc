/* Delaunay triangulation by Guibas and Stolfi's divide and conquer on a
 * quad-edge structure (ACM Trans. Graphics 4(2), 1985); Gabriel and relative
 * neighbourhood graphs filter its edges.
 *
 * The algorithm is only as good as its two predicates, orientation and
 * in-circle: one wrong sign and the merge step can loop or tangle edges. Both
 * are evaluated in double precision first, and when the result is within
 * its rounding-error bound of zero, again exactly with floating-point
 * expansions (sums of non-overlapping doubles, after Priest and Shewchuk).
 * With exact signs, collinear and cocircular inputs need no special case:
 * strict tests make ties resolve consistently. */
#include "network/proximity.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define EPS  0x1p-53 /* unit roundoff */

/* Filter bounds, about twice the forward error of the double evaluations
 * below (3-4 roundings for orientation, about 11 for in-circle), so a sign
 * that passes the filter is certain. */
#define ORIENT_BOUND   (8 * EPS)
#define INCIRCLE_BOUND (24 * EPS)
#define DIST_BOUND     (16 * EPS)

/* ---- exact arithmetic ---------------------------------------------------
 *
 * An expansion is an array of doubles, increasing in magnitude, whose
 * binary digits do not overlap, so its exact value is their sum and its sign
 * that of the last (largest) one. Zero components are dropped. Exactness
 * needs every product to stay clear of overflow and underflow, which
 * normalise() guarantees. */

static void two_sum(double a, double b, double *s, double *err)
{
    double x = a + b, bv = x - a, av = x - bv;
    *s = x;
    *err = (a - av) + (b - bv);
}

/* fma() rounds once, so the error term is exact even where the compiler
 * contracts other expressions. */
static void two_prod(double a, double b, double *p, double *err)
{
    double x = a * b;
    *p = x;
    *err = fma(a, b, -x);
}

/* Adds b to h[0..len) in place (room for len + 1); returns the new length. */
static int grow(double *h, int len, double b)
{
    int k = 0;
    for (int i = 0; i < len; i++) {
        double err;
        two_sum(b, h[i], &b, &err);
        if (err != 0) h[k++] = err;
    }
    if (b != 0) h[k++] = b;
    return k;
}

/* Adds sign * f to h[0..len) in place; h has room for len + flen. */
static int add(double *h, int len, const double *f, int flen, double sign)
{
    for (int i = 0; i < flen; i++)
        len = grow(h, len, sign * f[i]);
    return len;
}

/* h = e * f; h has room for 2 * elen * flen components. */
static int mul(const double *e, int elen, const double *f, int flen, double *h)
{
    int len = 0;
    for (int i = 0; i < elen; i++) {
        for (int j = 0; j < flen; j++) {
            double p, err;
            two_prod(e[i], f[j], &p, &err);
            len = grow(h, len, err);
            len = grow(h, len, p);
        }
    }
    return len;
}

/* h = a - b exactly, at most two components. */
static int diff(double a, double b, double *h)
{
    double s, err;
    int len = 0;
    two_sum(a, -b, &s, &err);
    if (err != 0) h[len++] = err;
    if (s != 0) h[len++] = s;
    return len;
}

static int sign_of(const double *h, int len)
{
    return len == 0 ? 0 : h[len - 1] > 0 ? 1 : -1;
}

/* h = e*f - g*k for two-component e, f, g, k (room for 16). */
static int cross(const double *e, int ne, const double *f, int nf, const double *g, int ng,
                 const double *k, int nk, double *h)
{
    double t[8];
    int len = mul(e, ne, f, nf, h);
    int nt = mul(g, ng, k, nk, t);
    return add(h, len, t, nt, -1);
}

/* h = e*e + f*f for two-component e, f (room for 16). */
static int lift(const double *e, int ne, const double *f, int nf, double *h)
{
    double t[8];
    int len = mul(e, ne, e, ne, h);
    int nt = mul(f, nf, f, nf, t);
    return add(h, len, t, nt, 1);
}

static int orient_exact(const double *a, const double *b, const double *c)
{
    double acx[2], acy[2], bcx[2], bcy[2], det[16];
    int nacx = diff(a[0], c[0], acx), nacy = diff(a[1], c[1], acy);
    int nbcx = diff(b[0], c[0], bcx), nbcy = diff(b[1], c[1], bcy);
    return sign_of(det, cross(acx, nacx, bcy, nbcy, acy, nacy, bcx, nbcx, det));
}

static int incircle_exact(const double *a, const double *b, const double *c, const double *d)
{
    double dx[3][2], dy[3][2], lifts[3][16], crosses[3][16], term[512], det[1536];
    int nx[3], ny[3], nl[3], nc[3], len = 0;
    const double *p[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        nx[i] = diff(p[i][0], d[0], dx[i]);
        ny[i] = diff(p[i][1], d[1], dy[i]);
        nl[i] = lift(dx[i], nx[i], dy[i], ny[i], lifts[i]);
    }
    /* Cofactor of row i: the 2x2 minor of the other two rows, in cyclic
     * order so every term enters with a plus sign. */
    for (int i = 0; i < 3; i++) {
        int j = (i + 1) % 3, k = (i + 2) % 3;
        nc[i] = cross(dx[j], nx[j], dy[k], ny[k], dx[k], nx[k], dy[j], ny[j], crosses[i]);
    }
    for (int i = 0; i < 3; i++) {
        int nt = mul(lifts[i], nl[i], crosses[i], nc[i], term);
        len = add(det, len, term, nt, 1);
    }
    return sign_of(det, len);
}

/* Sign of (a - r) . (b - r): negative when r is strictly inside the circle
 * of diameter ab. */
static int dot_sign(const double *a, const double *b, const double *r)
{
    double tx = (a[0] - r[0]) * (b[0] - r[0]), ty = (a[1] - r[1]) * (b[1] - r[1]);
    double det = tx + ty, bound = DIST_BOUND * (fabs(tx) + fabs(ty));
    double arx[2], ary[2], brx[2], bry[2], h[16], t[8];
    if (det > bound) return 1;
    if (-det > bound) return -1;
    int nax = diff(a[0], r[0], arx), nay = diff(a[1], r[1], ary);
    int nbx = diff(b[0], r[0], brx), nby = diff(b[1], r[1], bry);
    int len = mul(arx, nax, brx, nbx, h), nt = mul(ary, nay, bry, nby, t);
    return sign_of(h, add(h, len, t, nt, 1));
}

/* Sign of |a - r|^2 - |a - b|^2: negative when r is strictly nearer to a
 * than b is. */
static int dist_cmp(const double *a, const double *r, const double *b)
{
    double rx = a[0] - r[0], ry = a[1] - r[1], bx = a[0] - b[0], by = a[1] - b[1];
    double dr = rx * rx + ry * ry, db = bx * bx + by * by;
    double det = dr - db, bound = DIST_BOUND * (dr + db);
    double ex[2], ey[2], fx[2], fy[2], h[32], t[16];
    if (det > bound) return 1;
    if (-det > bound) return -1;
    int nex = diff(a[0], r[0], ex), ney = diff(a[1], r[1], ey);
    int nfx = diff(a[0], b[0], fx), nfy = diff(a[1], b[1], fy);
    int len = lift(ex, nex, ey, ney, h), nt = lift(fx, nfx, fy, nfy, t);
    return sign_of(h, add(h, len, t, nt, -1));
}

/* Positive when a, b, c turn counterclockwise, zero when collinear. */
static int orient(const double *a, const double *b, const double *c)
{
    double l = (a[0] - c[0]) * (b[1] - c[1]), r = (a[1] - c[1]) * (b[0] - c[0]);
    double det = l - r, bound = ORIENT_BOUND * (fabs(l) + fabs(r));
    if (det > bound) return 1;
    if (-det > bound) return -1;
    return orient_exact(a, b, c);
}

/* Positive when d lies strictly inside the circle through a, b, c (taken
 * counterclockwise), zero when on it. */
static int incircle(const double *a, const double *b, const double *c, const double *d)
{
    double adx = a[0] - d[0], ady = a[1] - d[1], bdx = b[0] - d[0], bdy = b[1] - d[1];
    double cdx = c[0] - d[0], cdy = c[1] - d[1];
    double bc = bdx * cdy, cb = cdx * bdy, ca = cdx * ady, ac = adx * cdy;
    double ab = adx * bdy, ba = bdx * ady;
    double la = adx * adx + ady * ady, lb = bdx * bdx + bdy * bdy, lc = cdx * cdx + cdy * cdy;
    double det = la * (bc - cb) + lb * (ca - ac) + lc * (ab - ba);
    double perm =
        (fabs(bc) + fabs(cb)) * la + (fabs(ca) + fabs(ac)) * lb + (fabs(ab) + fabs(ba)) * lc;
    double bound = INCIRCLE_BOUND * perm;
    if (det > bound) return 1;
    if (-det > bound) return -1;
    return incircle_exact(a, b, c, d);
}

/* ---- input ------------------------------------------------------------- */

/* Copies xy scaled by a power of two so the largest magnitude lies in
 * [1, 2), rounding anything below 2^-147 to a multiple of 2^-200. Every
 * coordinate is then a multiple of 2^-200 below 2, so every product the
 * predicates form is either zero or between 2^-800 and 2^12: no overflow, no
 * underflow, exact error terms. Scaling by a power of two changes no sign. */
static int normalise(const double *xy, size_t n, double **out)
{
    double maxabs = 0, *p;
    int e;
    *out = NULL;
    for (size_t i = 0; i < 2 * n; i++) {
        if (!isfinite(xy[i])) return ERR_INVALID;
        if (fabs(xy[i]) > maxabs) maxabs = fabs(xy[i]);
    }
    p = malloc(2 * n * sizeof(*p) + 1);
    if (!p) return ERR_NOMEM;
    frexp(maxabs, &e); /* maxabs = f * 2^e, 0.5 <= f < 1 */
    for (size_t i = 0; i < 2 * n; i++) {
        double s = ldexp(xy[i], 1 - e);
        if (fabs(s) < 0x1p-147) s = ldexp(nearbyint(ldexp(xy[i], 1 - e + 200)), -200);
        p[i] = s;
    }
    *out = p;
    return 0;
}

static int check_args(const double *xy, size_t n, const void *out, const size_t *nout)
{
    if (!out || !nout || n > ((size_t)1 << 31) || (n > 0 && !xy)) return ERR_INVALID;
    /* Keeps every size computed from n clear of overflow on 32-bit hosts. */
    if (n > SIZE_MAX / 64) return ERR_NOMEM;
    return 0;
}

/* ---- quad-edge structure ------------------------------------------------
 *
 * Each undirected edge is a record of four directed edges numbered 4q..4q+3:
 * the edge, its dual rotated 90 degrees, its reverse, and the reverse dual.
 * An edge reference is that number; next[] holds each one's Onext. */

struct mesh {
    const double *p;
    uint32_t *next;
    uint32_t *org; /* origin point of each primal edge (even numbers); NONE if free */
    uint32_t cap, used, free_head;
};

static uint32_t rot(uint32_t e)
{
    return (e & ~3u) | ((e + 1) & 3u);
}

static uint32_t invrot(uint32_t e)
{
    return (e & ~3u) | ((e + 3) & 3u);
}

static uint32_t sym(uint32_t e)
{
    return e ^ 2u;
}

static uint32_t onext(const struct mesh *m, uint32_t e)
{
    return m->next[e];
}

static uint32_t oprev(const struct mesh *m, uint32_t e)
{
    return rot(m->next[rot(e)]);
}

static uint32_t lnext(const struct mesh *m, uint32_t e)
{
    return rot(m->next[invrot(e)]);
}

static uint32_t rprev(const struct mesh *m, uint32_t e)
{
    return m->next[sym(e)];
}

static uint32_t org(const struct mesh *m, uint32_t e)
{
    return m->org[e];
}

static uint32_t dest(const struct mesh *m, uint32_t e)
{
    return m->org[sym(e)];
}

static const double *pt(const struct mesh *m, uint32_t v)
{
    return &m->p[2 * (size_t)v];
}

static void splice(struct mesh *m, uint32_t a, uint32_t b)
{
    uint32_t alpha = rot(m->next[a]), beta = rot(m->next[b]);
    uint32_t na = m->next[a], nb = m->next[b], nal = m->next[alpha], nbe = m->next[beta];
    m->next[a] = nb;
    m->next[b] = na;
    m->next[alpha] = nbe;
    m->next[beta] = nal;
}

/* A planar graph on u points has at most 3u - 6 edges and deletions precede
 * insertions in the merge, so the records sized in build_mesh() suffice;
 * running out would be a bug, reported as an allocation failure. */
static int make_edge(struct mesh *m, uint32_t a, uint32_t b, uint32_t *out)
{
    uint32_t e;
    if (m->free_head != NONE) {
        e = m->free_head;
        m->free_head = m->next[e];
    } else {
        if (m->used == m->cap) return ERR_NOMEM;
        e = 4 * m->used++;
    }
    m->next[e] = e;
    m->next[e + 1] = e + 3;
    m->next[e + 2] = e + 2;
    m->next[e + 3] = e + 1;
    m->org[e] = a;
    m->org[e + 2] = b;
    *out = e;
    return 0;
}

static void delete_edge(struct mesh *m, uint32_t e)
{
    uint32_t q = e & ~3u;
    splice(m, e, oprev(m, e));
    splice(m, sym(e), oprev(m, sym(e)));
    m->org[q] = m->org[q + 2] = NONE;
    m->next[q] = m->free_head;
    m->free_head = q;
}

/* New edge from the end of a to the start of b, sharing a's left face. */
static int connect(struct mesh *m, uint32_t a, uint32_t b, uint32_t *out)
{
    uint32_t e;
    if (make_edge(m, dest(m, a), org(m, b), &e) != 0) return ERR_NOMEM;
    splice(m, e, lnext(m, a));
    splice(m, sym(e), b);
    *out = e;
    return 0;
}

static bool rightof(const struct mesh *m, uint32_t v, uint32_t e)
{
    return orient(pt(m, v), pt(m, dest(m, e)), pt(m, org(m, e))) > 0;
}

static bool leftof(const struct mesh *m, uint32_t v, uint32_t e)
{
    return orient(pt(m, v), pt(m, org(m, e)), pt(m, dest(m, e))) > 0;
}

static bool in_circle(const struct mesh *m, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    return incircle(pt(m, a), pt(m, b), pt(m, c), pt(m, d)) > 0;
}

/* ---- divide and conquer ------------------------------------------------ */

/* Two or three points: a segment, a chain, or a triangle. */
static int build_small(struct mesh *m, const uint32_t *s, size_t n, uint32_t *le, uint32_t *re)
{
    uint32_t a, b, c = 0;
    int o;
    if (make_edge(m, s[0], s[1], &a) != 0) return ERR_NOMEM;
    if (n == 2) {
        *le = a;
        *re = sym(a);
        return 0;
    }
    if (make_edge(m, s[1], s[2], &b) != 0) return ERR_NOMEM;
    splice(m, sym(a), b);
    o = orient(pt(m, s[0]), pt(m, s[1]), pt(m, s[2]));
    if (o != 0 && connect(m, b, a, &c) != 0) return ERR_NOMEM;
    if (o < 0) {
        *le = sym(c);
        *re = c;
    } else {
        *le = a;
        *re = sym(b);
    }
    return 0;
}

/* Deletes the left candidates whose triangle with basel has a later
 * candidate inside its circumcircle; returns the surviving one. */
static uint32_t prune_left(struct mesh *m, uint32_t basel, uint32_t cand)
{
    while (in_circle(m, dest(m, basel), org(m, basel), dest(m, cand), dest(m, onext(m, cand)))) {
        uint32_t t = onext(m, cand);
        delete_edge(m, cand);
        cand = t;
    }
    return cand;
}

static uint32_t prune_right(struct mesh *m, uint32_t basel, uint32_t cand)
{
    while (in_circle(m, dest(m, basel), org(m, basel), dest(m, cand), dest(m, oprev(m, cand)))) {
        uint32_t t = oprev(m, cand);
        delete_edge(m, cand);
        cand = t;
    }
    return cand;
}

/* Zips two triangulations together upward from their lower common tangent.
 * ldi/rdi are the inner hull edges of the left and right halves (ccw out of
 * the left one's rightmost point, cw out of the right one's leftmost);
 * ldo/rdo the outer ones, updated if the tangent replaces them. */
static int merge(struct mesh *m, uint32_t ldi, uint32_t rdi, uint32_t *ldo, uint32_t *rdo)
{
    uint32_t basel;
    for (;;) {
        if (leftof(m, org(m, rdi), ldi))
            ldi = lnext(m, ldi);
        else if (rightof(m, org(m, ldi), rdi))
            rdi = rprev(m, rdi);
        else
            break;
    }
    if (connect(m, sym(rdi), ldi, &basel) != 0) return ERR_NOMEM;
    if (org(m, ldi) == org(m, *ldo)) *ldo = sym(basel);
    if (org(m, rdi) == org(m, *rdo)) *rdo = basel;
    for (;;) {
        uint32_t lcand = onext(m, sym(basel)), rcand;
        bool lvalid, rvalid;
        if (rightof(m, dest(m, lcand), basel)) lcand = prune_left(m, basel, lcand);
        rcand = oprev(m, basel);
        if (rightof(m, dest(m, rcand), basel)) rcand = prune_right(m, basel, rcand);
        lvalid = rightof(m, dest(m, lcand), basel);
        rvalid = rightof(m, dest(m, rcand), basel);
        if (!lvalid && !rvalid) break;
        /* The next cross edge goes to whichever candidate's circle with
         * basel is empty of the other. */
        if (!lvalid || (rvalid && in_circle(m, dest(m, lcand), org(m, lcand), org(m, rcand),
                                            dest(m, rcand)))) {
            if (connect(m, rcand, sym(basel), &basel) != 0) return ERR_NOMEM;
        } else {
            if (connect(m, sym(basel), sym(lcand), &basel) != 0) return ERR_NOMEM;
        }
    }
    return 0;
}

/* Triangulates s[0..n-1], distinct points sorted by (x, y), n >= 2. *le is
 * the ccw convex hull edge out of the leftmost point, *re the cw one out of
 * the rightmost. Recursion depth is log2(n). */
static int build(struct mesh *m, const uint32_t *s, size_t n, uint32_t *le, uint32_t *re)
{
    uint32_t ldo, ldi, rdi, rdo;
    size_t half = n / 2;
    if (n <= 3) return build_small(m, s, n, le, re);
    if (build(m, s, half, &ldo, &ldi) != 0 || build(m, s + half, n - half, &rdi, &rdo) != 0)
        return ERR_NOMEM;
    if (merge(m, ldi, rdi, &ldo, &rdo) != 0) return ERR_NOMEM;
    *le = ldo;
    *re = rdo;
    return 0;
}

/* ---- proximity_delaunay ------------------------------------------------ */

struct sorted {
    double x, y;
    uint32_t id;
};

static int cmp_sorted(const void *pa, const void *pb)
{
    const struct sorted *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static int cmp_edge(const void *pa, const void *pb)
{
    const proximity_edge_t *a = pa, *b = pb;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

/* Points in (x, y) order, lowest index first among equals. Writes the
 * distinct ones to uniq (count in *nu) and, for every other one, an edge to
 * the first of its position into dups (count in *nd). */
static int sort_points(const double *p, size_t n, uint32_t *uniq, size_t *nu,
                       proximity_edge_t *dups, size_t *nd)
{
    struct sorted *s = malloc(n * sizeof(*s) + 1);
    if (!s) return ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        s[i] = (struct sorted){p[2 * i], p[2 * i + 1], (uint32_t)i};
    qsort(s, n, sizeof(*s), cmp_sorted);
    *nu = *nd = 0;
    for (size_t i = 0, first = 0; i < n; i++) {
        if (i > 0 && s[i].x == s[first].x && s[i].y == s[first].y) {
            dups[(*nd)++] = (proximity_edge_t){s[first].id, s[i].id};
        } else {
            first = i;
            uniq[(*nu)++] = s[i].id;
        }
    }
    free(s);
    return 0;
}

/* Triangulates the distinct points and appends the edges to out. */
static int triangulate(const double *p, const uint32_t *uniq, size_t nu, proximity_edge_t *out,
                       size_t *nout)
{
    struct mesh m = {p, NULL, NULL, 0, 0, NONE};
    uint32_t le, re;
    int rc = ERR_NOMEM;
    if (nu < 2) return 0;
    if (nu > (UINT32_MAX / 4 - 1) / 3) return ERR_NOMEM;
    m.cap = (uint32_t)(3 * nu);
    m.next = malloc(4 * (size_t)m.cap * sizeof(*m.next));
    m.org = malloc(4 * (size_t)m.cap * sizeof(*m.org));
    if (!m.next || !m.org) goto out;
    rc = build(&m, uniq, nu, &le, &re);
    if (rc != 0) goto out;
    for (uint32_t q = 0; q < m.used; q++) {
        uint32_t a = m.org[4 * q], b = m.org[4 * q + 2];
        if (a == NONE) continue;
        out[(*nout)++] = a < b ? (proximity_edge_t){a, b} : (proximity_edge_t){b, a};
    }
out:
    free(m.org);
    free(m.next);
    return rc;
}

int proximity_delaunay(const double *xy, size_t n, proximity_edge_t **edges, size_t *nedges)
{
    double *p = NULL;
    uint32_t *uniq = NULL;
    proximity_edge_t *out = NULL;
    size_t nu = 0, nout = 0;
    int rc = check_args(xy, n, edges, nedges);
    if (rc != 0) goto out;
    rc = normalise(xy, n, &p);
    if (rc != 0 || n < 2) goto out;
    rc = ERR_NOMEM;
    uniq = malloc(n * sizeof(*uniq));
    out = malloc(3 * n * sizeof(*out)); /* 3u - 6 edges plus n - u duplicates */
    if (!uniq || !out) goto out;
    rc = sort_points(p, n, uniq, &nu, out, &nout);
    if (rc == 0) rc = triangulate(p, uniq, nu, out, &nout);
    if (rc == 0) qsort(out, nout, sizeof(*out), cmp_edge);
out:
    free(uniq);
    free(p);
    if (rc != 0 || nout == 0) {
        free(out);
        out = NULL;
        nout = 0;
    }
    if (edges) *edges = out;
    if (nedges) *nedges = nout;
    return rc;
}

/* ---- neighbour fans ----------------------------------------------------
 *
 * Gabriel and RNG get only the triangulation's edges; they rebuild each
 * point's neighbours sorted by angle, which makes the two triangles on
 * either side of an edge ab the ones formed with b's angular neighbours
 * around a. Zero-length (duplicate) edges are left out. */

struct spoke {
    uint32_t v; /* the neighbour */
    size_t k;   /* index of the edge in dt */
};

struct fans {
    size_t *start; /* point v's spokes are spoke[start[v] .. start[v + 1]) */
    struct spoke *spoke;
};

static bool same_point(const double *p, uint32_t a, uint32_t b)
{
    return p[2 * (size_t)a] == p[2 * (size_t)b] && p[2 * (size_t)a + 1] == p[2 * (size_t)b + 1];
}

/* Upper half-plane, angles in [0, pi), sorts first. */
static bool upper(const double *c, const double *u)
{
    return u[1] > c[1] || (u[1] == c[1] && u[0] > c[0]);
}

static bool angle_before(const double *p, uint32_t c, uint32_t u, uint32_t v)
{
    const double *pc = &p[2 * (size_t)c], *pu = &p[2 * (size_t)u], *pv = &p[2 * (size_t)v];
    bool hu = upper(pc, pu), hv = upper(pc, pv);
    if (hu != hv) return hu;
    return orient(pc, pu, pv) > 0;
}

/* Merge sort by angle around c: a point's degree can reach n. */
static void sort_fan(const double *p, uint32_t c, struct spoke *s, size_t n, struct spoke *tmp)
{
    size_t half = n / 2, i = 0, j = half, k = 0;
    if (n < 8) {
        for (size_t a = 1; a < n; a++) {
            struct spoke x = s[a];
            size_t b = a;
            for (; b > 0 && angle_before(p, c, x.v, s[b - 1].v); b--)
                s[b] = s[b - 1];
            s[b] = x;
        }
        return;
    }
    sort_fan(p, c, s, half, tmp);
    sort_fan(p, c, s + half, n - half, tmp);
    while (i < half && j < n)
        tmp[k++] = angle_before(p, c, s[j].v, s[i].v) ? s[j++] : s[i++];
    while (i < half)
        tmp[k++] = s[i++];
    memcpy(s, tmp, k * sizeof(*s));
}

static void fans_free(struct fans *f)
{
    free(f->start);
    free(f->spoke);
}

static int fans_build(const double *p, size_t n, const proximity_edge_t *dt, size_t ndt,
                      struct fans *f)
{
    struct spoke *tmp = NULL;
    size_t maxdeg = 0;
    f->start = calloc(n + 2, sizeof(*f->start));
    f->spoke = malloc(2 * ndt * sizeof(*f->spoke) + 1);
    if (!f->start || !f->spoke) return ERR_NOMEM;
    for (size_t k = 0; k < ndt; k++) {
        if (same_point(p, dt[k].a, dt[k].b)) continue;
        f->start[dt[k].a + 2]++;
        f->start[dt[k].b + 2]++;
    }
    for (size_t v = 0; v < n; v++) {
        if (f->start[v + 2] > maxdeg) maxdeg = f->start[v + 2];
        f->start[v + 2] += f->start[v + 1];
    }
    /* start[v + 1] is now where v's spokes begin; filling advances it to
     * where they end, which is where v + 1's begin. */
    for (size_t k = 0; k < ndt; k++) {
        uint32_t a = dt[k].a, b = dt[k].b;
        if (same_point(p, a, b)) continue;
        f->spoke[f->start[a + 1]++] = (struct spoke){b, k};
        f->spoke[f->start[b + 1]++] = (struct spoke){a, k};
    }
    tmp = malloc(maxdeg * sizeof(*tmp) + 1);
    if (!tmp) return ERR_NOMEM;
    for (size_t v = 0; v < n; v++)
        sort_fan(p, (uint32_t)v, &f->spoke[f->start[v]], f->start[v + 1] - f->start[v], tmp);
    free(tmp);
    return 0;
}

/* ---- Gabriel and RNG --------------------------------------------------- */

static const double *at(const double *p, uint32_t v)
{
    return &p[2 * (size_t)v];
}

/* r strictly inside the lune of ab: nearer to both a and b than they are to
 * each other. */
static bool in_lune(const double *p, uint32_t a, uint32_t b, uint32_t r)
{
    return dist_cmp(at(p, a), at(p, r), at(p, b)) < 0 && dist_cmp(at(p, b), at(p, r), at(p, a)) < 0;
}

/* Calls test(a, b, c) for the angular neighbours c on either side of each
 * spoke a -> b (the apexes of the triangles beside ab, or a hull gap, which
 * only adds a harmless extra test) and clears keep[k] when it is true. With
 * a_side, only spokes leaving dt[k].a are looked at. */
static void check_apexes(const double *p, size_t n, const proximity_edge_t *dt,
                         const struct fans *f, bool a_side, bool *keep,
                         bool (*test)(const double *, uint32_t, uint32_t, uint32_t))
{
    for (size_t v = 0; v < n; v++) {
        const struct spoke *s = &f->spoke[f->start[v]];
        size_t d = f->start[v + 1] - f->start[v];
        for (size_t i = 0; d >= 2 && i < d; i++) {
            uint32_t b = s[i].v, c1 = s[(i + d - 1) % d].v, c2 = s[(i + 1) % d].v;
            size_t k = s[i].k;
            if (!keep[k] || (a_side && dt[k].a != v)) continue;
            if (test(p, (uint32_t)v, b, c1) || test(p, (uint32_t)v, b, c2)) keep[k] = false;
        }
    }
}

static bool in_diametral(const double *p, uint32_t a, uint32_t b, uint32_t r)
{
    return dot_sign(at(p, a), at(p, b), at(p, r)) < 0;
}

/* Breadth-first search from `from` through the points strictly nearer to it
 * than `other`, one neighbour per step so two can run interleaved. It
 * reaches all of them: in a Delaunay triangulation every point but `from`
 * has a neighbour strictly nearer to `from` (walk towards `from` through the
 * Voronoi cells), so each lies on a path that only gets nearer. */
struct search {
    uint32_t *queue, *mark;
    size_t head, tail, pos, end; /* spokes pos..end of the point being expanded */
    uint32_t from, other;
};

enum { SEARCH_MORE, SEARCH_DONE, SEARCH_WITNESS };

static void search_start(struct search *s, uint32_t from, uint32_t other, uint32_t stamp)
{
    s->from = from;
    s->other = other;
    s->head = s->tail = s->pos = s->end = 0;
    s->queue[s->tail++] = from;
    s->mark[from] = stamp;
}

static int search_step(struct search *s, const double *p, const struct fans *f, uint32_t stamp)
{
    uint32_t y;
    if (s->pos == s->end) {
        if (s->head == s->tail) return SEARCH_DONE;
        uint32_t x = s->queue[s->head++];
        s->pos = f->start[x];
        s->end = f->start[x + 1];
        return SEARCH_MORE;
    }
    y = f->spoke[s->pos++].v;
    if (s->mark[y] == stamp) return SEARCH_MORE;
    s->mark[y] = stamp;
    if (dist_cmp(at(p, s->from), at(p, y), at(p, s->other)) >= 0) return SEARCH_MORE;
    if (dist_cmp(at(p, s->other), at(p, y), at(p, s->from)) < 0) return SEARCH_WITNESS;
    s->queue[s->tail++] = y;
    return SEARCH_MORE;
}

/* The lune of ab lies in both searched disks, so whichever search finishes
 * first without meeting a point of it proves it empty. */
static bool lune_empty(const double *p, const struct fans *f, struct search *sa, struct search *sb,
                       uint32_t a, uint32_t b, uint32_t stamp)
{
    search_start(sa, a, b, stamp);
    search_start(sb, b, a, stamp);
    for (;;) {
        int ra = search_step(sa, p, f, stamp), rb;
        if (ra != SEARCH_MORE) return ra == SEARCH_DONE;
        rb = search_step(sb, p, f, stamp);
        if (rb != SEARCH_MORE) return rb == SEARCH_DONE;
    }
}

static int rng_filter(const double *p, size_t n, const proximity_edge_t *dt, size_t ndt,
                      const struct fans *f, bool *keep)
{
    struct search sa = {0}, sb = {0};
    uint32_t stamp = 0;
    int rc = ERR_NOMEM;
    /* Cheap first: most non-RNG edges have an apex in their lune. */
    check_apexes(p, n, dt, f, false, keep, in_lune);
    sa.queue = malloc(n * sizeof(*sa.queue));
    sb.queue = malloc(n * sizeof(*sb.queue));
    sa.mark = calloc(n, sizeof(*sa.mark));
    sb.mark = calloc(n, sizeof(*sb.mark));
    if (!sa.queue || !sb.queue || !sa.mark || !sb.mark) goto out;
    for (size_t k = 0; k < ndt; k++) {
        if (!keep[k] || same_point(p, dt[k].a, dt[k].b)) continue;
        if (++stamp == 0) {
            memset(sa.mark, 0, n * sizeof(*sa.mark));
            memset(sb.mark, 0, n * sizeof(*sb.mark));
            stamp = 1;
        }
        keep[k] = lune_empty(p, f, &sa, &sb, dt[k].a, dt[k].b, stamp);
    }
    rc = 0;
out:
    free(sa.queue);
    free(sb.queue);
    free(sa.mark);
    free(sb.mark);
    return rc;
}

static int filter(const double *xy, size_t n, const proximity_edge_t *dt, size_t ndt, bool rng,
                  proximity_edge_t **out, size_t *nout)
{
    double *p = NULL;
    bool *keep = NULL;
    struct fans f = {NULL, NULL};
    proximity_edge_t *res = NULL;
    size_t nres = 0;
    int rc = check_args(xy, n, out, nout);
    if (rc == 0 && ndt > 0 && !dt) rc = ERR_INVALID;
    if (rc == 0 && ndt > SIZE_MAX / 64) rc = ERR_NOMEM;
    for (size_t k = 0; rc == 0 && k < ndt; k++)
        if (dt[k].a >= n || dt[k].b >= n || dt[k].a == dt[k].b) rc = ERR_INVALID;
    if (rc == 0) rc = normalise(xy, n, &p);
    if (rc != 0 || ndt == 0) goto out;
    rc = ERR_NOMEM;
    keep = malloc(ndt * sizeof(*keep));
    res = malloc(ndt * sizeof(*res));
    if (!keep || !res) goto out;
    for (size_t k = 0; k < ndt; k++)
        keep[k] = true;
    rc = fans_build(p, n, dt, ndt, &f);
    if (rc != 0) goto out;
    /* Any point inside the diametral circle puts a triangle apex there. */
    check_apexes(p, n, dt, &f, true, keep, in_diametral);
    if (rng) rc = rng_filter(p, n, dt, ndt, &f, keep);
    for (size_t k = 0; rc == 0 && k < ndt; k++)
        if (keep[k]) res[nres++] = dt[k];
out:
    fans_free(&f);
    free(keep);
    free(p);
    if (rc != 0 || nres == 0) {
        free(res);
        res = NULL;
        nres = 0;
    }
    if (out) *out = res;
    if (nout) *nout = nres;
    return rc;
}

int proximity_gabriel(const double *xy, size_t n, const proximity_edge_t *dt, size_t ndt,
                      proximity_edge_t **out, size_t *nout)
{
    return filter(xy, n, dt, ndt, false, out, nout);
}

int proximity_rng(const double *xy, size_t n, const proximity_edge_t *dt, size_t ndt,
                  proximity_edge_t **out, size_t *nout)
{
    return filter(xy, n, dt, ndt, true, out, nout);
}
