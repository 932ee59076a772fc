#include "render/clip.h"

#include <math.h>
#include <stdbool.h>

/* One Sutherland-Hodgman pass against the half-plane of one box edge:
 * edge 0..3 = left, right, bottom (min y), top (max y). */
static bool inside(const double *p, int edge, bbox_t b)
{
    switch (edge) {
    case 0:
        return p[0] >= b.minx;
    case 1:
        return p[0] <= b.maxx;
    case 2:
        return p[1] >= b.miny;
    default:
        return p[1] <= b.maxy;
    }
}

static void cross(const double *p, const double *q, int edge, bbox_t b, double *out)
{
    double t;
    switch (edge) {
    case 0:
        t = (b.minx - p[0]) / (q[0] - p[0]);
        break;
    case 1:
        t = (b.maxx - p[0]) / (q[0] - p[0]);
        break;
    case 2:
        t = (b.miny - p[1]) / (q[1] - p[1]);
        break;
    default:
        t = (b.maxy - p[1]) / (q[1] - p[1]);
        break;
    }
    out[0] = p[0] + t * (q[0] - p[0]);
    out[1] = p[1] + t * (q[1] - p[1]);
    /* Land exactly on the edge despite rounding. */
    if (edge == 0)
        out[0] = b.minx;
    else if (edge == 1)
        out[0] = b.maxx;
    else if (edge == 2)
        out[1] = b.miny;
    else
        out[1] = b.maxy;
}

static size_t clip_edge(const double *in, size_t n, int edge, bbox_t b, double *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const double *p = in + 2 * i, *q = in + 2 * ((i + 1) % n);
        bool pin = inside(p, edge, b), qin = inside(q, edge, b);
        if (pin) {
            out[2 * m] = p[0];
            out[2 * m + 1] = p[1];
            m++;
        }
        if (pin != qin) {
            cross(p, q, edge, b, out + 2 * m);
            m++;
        }
    }
    return m;
}

size_t clip_ring(const double *xy, size_t n, bbox_t box, double *out, double *tmp)
{
    if (n > 1 && xy[0] == xy[2 * (n - 1)] && xy[1] == xy[2 * (n - 1) + 1])
        n--; /* work on the open ring */
    if (n < 3) return 0;
    /* Ping-pong between out and tmp so the last pass lands in out. */
    size_t m = clip_edge(xy, n, 0, box, tmp);
    m = clip_edge(tmp, m, 1, box, out);
    m = clip_edge(out, m, 2, box, tmp);
    m = clip_edge(tmp, m, 3, box, out);
    return m >= 3 ? m : 0;
}

/* Liang-Barsky: the part of segment p-q inside the box, as t0 <= t1. */
static bool clip_segment(const double *p, const double *q, bbox_t b, double *t0, double *t1)
{
    double dx = q[0] - p[0], dy = q[1] - p[1];
    const double pp[4] = {-dx, dx, -dy, dy};
    const double qq[4] = {p[0] - b.minx, b.maxx - p[0], p[1] - b.miny, b.maxy - p[1]};
    *t0 = 0, *t1 = 1;
    for (int i = 0; i < 4; i++) {
        if (pp[i] == 0) {
            if (qq[i] < 0) return false;
            continue;
        }
        double t = qq[i] / pp[i];
        if (pp[i] < 0 && t > *t0)
            *t0 = t;
        else if (pp[i] > 0 && t < *t1)
            *t1 = t;
        if (*t0 > *t1) return false;
    }
    return true;
}

void clip_line(const double *xy, size_t n, bbox_t box, double *scratch, clip_emit_fn emit,
               void *arg)
{
    size_t m = 0;     /* points in the current run */
    double along = 0; /* length of the polyline before segment i */
    double start = 0; /* where the current run starts along it */
    for (size_t i = 0; i + 1 < n; i++) {
        const double *p = xy + 2 * i, *q = xy + 2 * i + 2;
        double len = hypot(q[0] - p[0], q[1] - p[1]), t0, t1;
        if (!clip_segment(p, q, box, &t0, &t1)) {
            if (m >= 2) emit(scratch, m, start, arg);
            m = 0;
            along += len;
            continue;
        }
        if (m == 0 || t0 > 0) { /* a run starts (again) here */
            if (m >= 2) emit(scratch, m, start, arg);
            scratch[0] = p[0] + t0 * (q[0] - p[0]);
            scratch[1] = p[1] + t0 * (q[1] - p[1]);
            start = along + t0 * len;
            m = 1;
        }
        scratch[2 * m] = p[0] + t1 * (q[0] - p[0]);
        scratch[2 * m + 1] = p[1] + t1 * (q[1] - p[1]);
        m++;
        if (t1 < 1) {
            emit(scratch, m, start, arg);
            m = 0;
        }
        along += len;
    }
    if (m >= 2) emit(scratch, m, start, arg);
}
