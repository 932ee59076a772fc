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

static double dist2(const double *p, const double *a, const double *b)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = a[0] + t * dx - p[0], ey = a[1] + t * dy - p[1];
    return ex * ex + ey * ey;
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

static void douglas_peucker(arc_t *a, double tol2, uint8_t *keep, uint32_t *stack)
{
    size_t top = 0;
    keep[arc_at(a, 0)] = keep[arc_at(a, a->len)] = 1;
    stack[top++] = 0;
    stack[top++] = (uint32_t)a->len;
    while (top) {
        uint32_t hi = stack[--top], lo = stack[--top];
        const double *p = a->xy + 2 * arc_at(a, lo), *q = a->xy + 2 * arc_at(a, hi);
        double best = tol2;
        uint32_t at = 0;
        for (uint32_t j = lo + 1; j < hi; j++) {
            double d = dist2(a->xy + 2 * arc_at(a, j), p, q);
            if (d > best) {
                best = d;
                at = j;
            }
        }
        if (at == 0) continue;
        keep[arc_at(a, at)] = 1;
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
static void mark(const double *xy, const uint8_t *node, size_t m, bool ring, double tol2,
                 uint8_t *keep, uint32_t *stack)
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
        douglas_peucker(&a, tol2, keep, stack);
        s = e;
    }
}

size_t simplify_part(double *xy, const uint8_t *node, size_t n, bool ring, double tol,
                     void *scratch)
{
    bool closed = ring && n > 1 && same(xy, xy + 2 * (n - 1));
    size_t m = closed ? n - 1 : n;
    if (tol <= 0 || m < 3) return n;
    uint32_t *stack = scratch; /* at most m pairs are pending at once */
    uint8_t *keep = (uint8_t *)(stack + 2 * m);
    mark(xy, node, m, ring, tol * tol, keep, stack);
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
