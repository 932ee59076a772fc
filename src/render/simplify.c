#include "render/simplify.h"

/* An arc: m points of a part taken cyclically from start for len steps,
 * forwards or backwards. */
typedef struct arc {
    const double *xy;
    size_t m, start, len;
    bool forward;
} arc_t;

static size_t arc_at(const arc_t *a, size_t j)
{
    return a->forward ? (a->start + j) % a->m : (a->start + a->len - j) % a->m;
}

static bool less(const double *p, const double *q)
{
    return p[0] < q[0] || (p[0] == q[0] && p[1] < q[1]);
}

static bool same(const double *p, const double *q)
{
    return p[0] == q[0] && p[1] == q[1];
}

/* Runs the arc from its smaller end; for a loop (both ends one point), towards
 * the smaller of the two neighbours of that point. */
static void orient(arc_t *a)
{
    const double *s = a->xy + 2 * a->start, *e = a->xy + 2 * ((a->start + a->len) % a->m);
    if (!same(s, e)) {
        a->forward = less(s, e);
        return;
    }
    const double *next = a->xy + 2 * ((a->start + 1) % a->m);
    const double *prev = a->xy + 2 * ((a->start + a->len - 1) % a->m);
    a->forward = !less(prev, next);
}

/* Points j0..j1 of the arc in its order into pts, without a division per
 * point; returns their box. */
static bbox_t gather(const arc_t *a, size_t j0, size_t j1, double *pts)
{
    size_t i = arc_at(a, j0);
    bbox_t box = bbox_empty();
    for (size_t j = 0; j <= j1 - j0; j++) {
        pts[2 * j] = a->xy[2 * i];
        pts[2 * j + 1] = a->xy[2 * i + 1];
        box = bbox_extend_xy(box, pts[2 * j], pts[2 * j + 1]);
        i = a->forward ? (i + 1 == a->m ? 0 : i + 1) : (i == 0 ? a->m - 1 : i - 1);
    }
    return box;
}

/* The point of pts(lo, hi) farthest from the segment pts[lo]-pts[hi], if
 * farther than sqrt(tol2); else 0. */
static uint32_t farthest(const double *pts, uint32_t lo, uint32_t hi, double tol2)
{
    double ax = pts[2 * lo], ay = pts[2 * lo + 1];
    double dx = pts[2 * hi] - ax, dy = pts[2 * hi + 1] - ay, len2 = dx * dx + dy * dy;
    double inv = len2 > 0 ? 1 / len2 : 0, best = tol2;
    uint32_t at = 0;
    for (uint32_t j = lo + 1; j < hi; j++) {
        double px = pts[2 * j] - ax, py = pts[2 * j + 1] - ay;
        double t = (px * dx + py * dy) * inv;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double ex = t * dx - px, ey = t * dy - py, d = ex * ex + ey * ey;
        if (d > best) {
            best = d;
            at = j;
        }
    }
    return at;
}

/* Simplifies steps j0..j1 of the arc (both ends kept): all its points stay
 * if it lies outside the box, where nothing of it shows. */
static void douglas_peucker(const arc_t *a, size_t j0, size_t j1, const simplify_t *opt,
                            double *pts, uint8_t *keep, uint32_t *stack)
{
    bbox_t box = gather(a, j0, j1, pts);
    bool outside = opt->box && !bbox_intersects(box, *opt->box);
    keep[arc_at(a, j0)] = keep[arc_at(a, j1)] = 1;
    if (outside) {
        for (size_t j = j0 + 1; j < j1; j++)
            keep[arc_at(a, j)] = 1;
        return;
    }
    size_t top = 0;
    stack[top++] = 0;
    stack[top++] = (uint32_t)(j1 - j0);
    while (top) {
        uint32_t hi = stack[--top], lo = stack[--top];
        uint32_t at = hi - lo > 1 ? farthest(pts, lo, hi, opt->tol * opt->tol) : 0;
        if (at == 0) continue;
        keep[arc_at(a, j0 + at)] = 1;
        stack[top++] = lo;
        stack[top++] = at;
        stack[top++] = at;
        stack[top++] = hi;
    }
}

static size_t smallest(const double *xy, size_t m)
{
    size_t best = 0;
    for (size_t i = 1; i < m; i++)
        if (less(xy + 2 * i, xy + 2 * best)) best = i;
    return best;
}

/* Marks the points to keep of the m (open) points, arc by arc. */
static void mark(const double *xy, const uint8_t *node, size_t m, bool ring, const simplify_t *opt,
                 double *pts, uint8_t *keep, uint32_t *stack)
{
    size_t first = m; /* the first node */
    for (size_t i = 0; i < m; i++) {
        keep[i] = node && node[i];
        if (!ring && (i == 0 || i + 1 == m)) keep[i] = 1;
        if (keep[i] && first == m) first = i;
    }
    if (first == m) keep[first = smallest(xy, m)] = 1;
    size_t last = ring ? first + m : m - 1; /* arcs end at the next node */
    for (size_t s = first; s < last;) {
        size_t e = s + 1;
        while (e < last && !keep[e % m])
            e++;
        arc_t a = {xy, m, s % m, e - s, true};
        orient(&a);
        for (size_t j = 0; j < a.len; j += SIMPLIFY_CHUNK)
            douglas_peucker(&a, j, j + SIMPLIFY_CHUNK < a.len ? j + SIMPLIFY_CHUNK : a.len, opt,
                            pts, keep, stack);
        s = e;
    }
}

size_t simplify_part(double *xy, const uint8_t *node, size_t n, bool ring, const simplify_t *opt,
                     void *scratch)
{
    bool closed = ring && n > 1 && same(xy, xy + 2 * (n - 1));
    size_t m = closed ? n - 1 : n;
    if (opt->tol <= 0 || m < 3) return n;
    double *pts = scratch; /* m + 1 points, then the stack, then the flags */
    uint32_t *stack = (uint32_t *)(pts + 2 * (m + 1)); /* at most m pairs pending */
    uint8_t *keep = (uint8_t *)(stack + 2 * m);
    mark(xy, node, m, ring, opt, pts, keep, stack);
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (!keep[i]) continue;
        xy[2 * k] = xy[2 * i];
        xy[2 * k + 1] = xy[2 * i + 1];
        k++;
    }
    if (closed) {
        xy[2 * k] = xy[0];
        xy[2 * k + 1] = xy[1];
        k++;
    }
    return k;
}
