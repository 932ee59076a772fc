/* Graph algorithms over compressed adjacency rows: Prim on a dense matrix
 * for the MST, and one Dijkstra per source that feeds every node metric at
 * once, including Brandes' dependency accumulation for betweenness. */
#include "network/graph.h"
#include "util/error.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Shortest-path lengths this close (relative) count as equal, so sums of
 * the same edges added in another order still tie. */
#define TIE_REL 1e-12

#define NOT_SEEN SIZE_MAX
#define SETTLED  (SIZE_MAX - 1)

/* Both directions of every edge; node v's neighbours are
 * nbr[off[v] .. off[v+1]-1]. */
struct adj {
    size_t n;
    size_t *off;
    uint32_t *nbr;
    double *w;
};

/* State of one single-source Dijkstra run, reused across sources. */
struct sssp {
    double *dist;    /* n; INFINITY when not reached */
    double *sigma;   /* n; number of shortest paths from the source */
    uint32_t *npred; /* n; predecessors on shortest paths ... */
    uint32_t *pred;  /* ... stored at pred[off[v]..], at most degree many */
    uint32_t *order; /* nodes in the order they were settled */
    size_t settled;  /* length of order */
    uint32_t *heap;  /* binary min-heap of reached, unsettled nodes */
    size_t *pos;     /* heap index, or NOT_SEEN / SETTLED */
    size_t heap_len;
};

static bool finite_nonneg(double w)
{
    return w >= 0 && w < INFINITY;
}

static int check_edges(size_t n, const graph_edge_t *edges, size_t m)
{
    if (n > UINT32_MAX) return ERR_INVALID;
    for (size_t i = 0; i < m; i++) {
        const graph_edge_t *e = &edges[i];
        if (e->a >= n || e->b >= n || e->a == e->b || !finite_nonneg(e->w)) return ERR_INVALID;
    }
    return 0;
}

static void adj_free(struct adj *g)
{
    free(g->off);
    free(g->nbr);
    free(g->w);
}

/* A node's neighbours are all distinct unless an edge was given twice. */
static bool has_parallel_edges(const struct adj *g, size_t *mark)
{
    for (size_t v = 0; v < g->n; v++)
        mark[v] = SIZE_MAX;
    for (size_t v = 0; v < g->n; v++) {
        for (size_t i = g->off[v]; i < g->off[v + 1]; i++) {
            if (mark[g->nbr[i]] == v) return true;
            mark[g->nbr[i]] = v;
        }
    }
    return false;
}

/* Validates the edges and builds the adjacency rows. On failure the caller
 * still calls adj_free(). */
static int adj_build(struct adj *g, size_t n, const graph_edge_t *edges, size_t m)
{
    size_t *cursor = NULL;
    int rc = check_edges(n, edges, m);
    memset(g, 0, sizeof(*g));
    if (rc < 0) return rc;
    g->n = n;
    g->off = calloc(n + 1, sizeof(*g->off));
    g->nbr = calloc(2 * m + 1, sizeof(*g->nbr));
    g->w = calloc(2 * m + 1, sizeof(*g->w));
    cursor = calloc(n + 1, sizeof(*cursor));
    rc = ERR_NOMEM;
    if (!g->off || !g->nbr || !g->w || !cursor) goto out;
    for (size_t i = 0; i < m; i++) {
        g->off[edges[i].a + 1]++;
        g->off[edges[i].b + 1]++;
    }
    for (size_t v = 0; v < n; v++)
        g->off[v + 1] += g->off[v];
    memcpy(cursor, g->off, n * sizeof(*cursor));
    for (size_t i = 0; i < m; i++) {
        uint32_t a = edges[i].a, b = edges[i].b;
        g->nbr[cursor[a]] = b;
        g->w[cursor[a]++] = edges[i].w;
        g->nbr[cursor[b]] = a;
        g->w[cursor[b]++] = edges[i].w;
    }
    /* The cursor array is free now: reuse it as the marks. */
    rc = has_parallel_edges(g, cursor) ? ERR_INVALID : 0;
out:
    free(cursor);
    return rc;
}

static void sssp_free(struct sssp *q, bool own_dist)
{
    if (own_dist) free(q->dist);
    free(q->sigma);
    free(q->npred);
    free(q->pred);
    free(q->order);
    free(q->heap);
    free(q->pos);
}

/* Allocates the workspace; dist too unless the caller supplies it per run.
 * On failure the caller still calls sssp_free(). */
static int sssp_alloc(struct sssp *q, const struct adj *g, bool own_dist)
{
    size_t n = g->n + 1; /* + 1: no zero-size allocations */
    memset(q, 0, sizeof(*q));
    if (own_dist) q->dist = calloc(n, sizeof(*q->dist));
    q->sigma = calloc(n, sizeof(*q->sigma));
    q->npred = calloc(n, sizeof(*q->npred));
    q->pred = calloc(g->off[g->n] + 1, sizeof(*q->pred));
    q->order = calloc(n, sizeof(*q->order));
    q->heap = calloc(n, sizeof(*q->heap));
    q->pos = calloc(n, sizeof(*q->pos));
    if ((own_dist && !q->dist) || !q->sigma || !q->npred || !q->pred || !q->order || !q->heap ||
        !q->pos)
        return ERR_NOMEM;
    return 0;
}

/* Heap order: by distance, then node index, so runs are reproducible. */
static bool before(const struct sssp *q, uint32_t a, uint32_t b)
{
    return q->dist[a] < q->dist[b] || (q->dist[a] == q->dist[b] && a < b);
}

static void heap_set(struct sssp *q, size_t i, uint32_t v)
{
    q->heap[i] = v;
    q->pos[v] = i;
}

static void sift_up(struct sssp *q, size_t i)
{
    uint32_t v = q->heap[i];
    while (i > 0 && before(q, v, q->heap[(i - 1) / 2])) {
        heap_set(q, i, q->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(q, i, v);
}

static void sift_down(struct sssp *q, size_t i)
{
    uint32_t v = q->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->heap_len) break;
        if (c + 1 < q->heap_len && before(q, q->heap[c + 1], q->heap[c])) c++;
        if (!before(q, q->heap[c], v)) break;
        heap_set(q, i, q->heap[c]);
        i = c;
    }
    heap_set(q, i, v);
}

static void heap_push(struct sssp *q, uint32_t v)
{
    heap_set(q, q->heap_len++, v);
    sift_up(q, q->heap_len - 1);
}

static uint32_t heap_pop(struct sssp *q)
{
    uint32_t top = q->heap[0];
    if (--q->heap_len > 0) {
        heap_set(q, 0, q->heap[q->heap_len]);
        sift_down(q, 0);
    }
    return top;
}

static bool ties(double a, double b)
{
    return fabs(a - b) <= TIE_REL * fmax(a, b);
}

/* Reaching u from settled v at distance nd: a shorter path replaces u's
 * predecessors, an equally short one adds v to them. */
static void relax(struct sssp *q, const struct adj *g, uint32_t v, uint32_t u, double nd)
{
    if (q->pos[u] == NOT_SEEN || (nd < q->dist[u] && !ties(nd, q->dist[u]))) {
        bool queued = q->pos[u] != NOT_SEEN;
        q->dist[u] = nd;
        q->sigma[u] = q->sigma[v];
        q->pred[g->off[u]] = v;
        q->npred[u] = 1;
        if (queued)
            sift_up(q, q->pos[u]);
        else
            heap_push(q, u);
    } else if (ties(nd, q->dist[u])) {
        q->sigma[u] += q->sigma[v];
        q->pred[g->off[u] + q->npred[u]++] = v;
    }
}

/* Dijkstra from s, counting shortest paths as Brandes needs. A node's
 * predecessors are all settled before it, so sigma[v] is final when v is
 * settled and the predecessor graph has no cycle even with zero-length
 * edges; the price is that a path through a node settled later at the same
 * distance is not counted. */
static void dijkstra(struct sssp *q, const struct adj *g, uint32_t s)
{
    for (size_t v = 0; v < g->n; v++) {
        q->dist[v] = INFINITY;
        q->pos[v] = NOT_SEEN;
    }
    q->settled = 0;
    q->heap_len = 0;
    q->dist[s] = 0;
    q->sigma[s] = 1;
    q->npred[s] = 0;
    heap_push(q, s);
    while (q->heap_len > 0) {
        uint32_t v = heap_pop(q);
        q->pos[v] = SETTLED;
        q->order[q->settled++] = v;
        for (size_t i = g->off[v]; i < g->off[v + 1]; i++) {
            uint32_t u = g->nbr[i];
            if (q->pos[u] != SETTLED) relax(q, g, v, u, q->dist[v] + g->w[i]);
        }
    }
}

/* Distance-based metrics of the source order[0] from one Dijkstra run;
 * returns the sum of its distances to the others. */
static double distance_metrics(const struct sssp *q, size_t n, graph_node_metrics_t *nm)
{
    double sum = 0, harmonic = 0, ecc = 0;
    size_t r = q->settled - 1;
    for (size_t i = 1; i < q->settled; i++) {
        double d = q->dist[q->order[i]];
        sum += d;
        if (d > 0) harmonic += 1 / d;
        if (d > ecc) ecc = d;
    }
    nm->closeness = r > 0 && sum > 0 ? ((double)r / sum) * ((double)r / (double)(n - 1)) : 0;
    nm->harmonic = harmonic;
    nm->eccentricity = ecc;
    return sum;
}

/* Brandes: each node's share of the shortest paths from the source, summed
 * from the farthest node back. delta is scratch of n entries. */
static void accumulate_betweenness(const struct sssp *q, const struct adj *g, double *delta,
                                   double *acc)
{
    for (size_t i = 0; i < q->settled; i++)
        delta[q->order[i]] = 0;
    for (size_t i = q->settled; i-- > 1;) {
        uint32_t w = q->order[i];
        double coeff = (1 + delta[w]) / q->sigma[w];
        for (uint32_t k = 0; k < q->npred[w]; k++) {
            uint32_t v = q->pred[g->off[w] + k];
            delta[v] += q->sigma[v] * coeff;
        }
        acc[w] += delta[w];
    }
}

static void local_metrics(const struct adj *g, graph_node_metrics_t *nodes)
{
    for (size_t v = 0; v < g->n; v++) {
        graph_node_metrics_t *nm = &nodes[v];
        memset(nm, 0, sizeof(*nm));
        nm->degree = (uint32_t)(g->off[v + 1] - g->off[v]);
        for (size_t i = g->off[v]; i < g->off[v + 1]; i++)
            nm->weighted_degree += g->w[i];
        nm->component = UINT32_MAX;
    }
}

static void summarise(size_t n, const graph_edge_t *edges, size_t m,
                      const graph_node_metrics_t *nodes, uint32_t ncomp, double path_sum,
                      size_t path_pairs, graph_summary_t *s)
{
    memset(s, 0, sizeof(*s));
    s->nodes = n;
    s->edges = m;
    for (size_t i = 0; i < m; i++)
        s->total_length += edges[i].w;
    s->density = n < 2 ? 0 : 2.0 * (double)m / ((double)n * (double)(n - 1));
    s->components = ncomp;
    for (size_t v = 0; v < n; v++)
        s->diameter = fmax(s->diameter, nodes[v].eccentricity);
    s->average_path = path_pairs > 0 ? path_sum / (double)path_pairs : 0;
}

/* Component ids by the lowest node index in each, in index order. */
static uint32_t label_components(const struct adj *g, graph_node_metrics_t *nm, uint32_t *queue)
{
    uint32_t ncomp = 0;
    for (size_t s = 0; s < g->n; s++) {
        if (nm[s].component != UINT32_MAX) continue;
        size_t head = 0, tail = 0;
        queue[tail++] = (uint32_t)s;
        nm[s].component = ncomp;
        while (head < tail) {
            uint32_t v = queue[head++];
            for (size_t i = g->off[v]; i < g->off[v + 1]; i++)
                if (nm[g->nbr[i]].component == UINT32_MAX) {
                    nm[g->nbr[i]].component = ncomp;
                    queue[tail++] = g->nbr[i];
                }
        }
        ncomp++;
    }
    return ncomp;
}

/* One worker's share of the sources: s = first, first + stride, ... Each
 * writes only its sources' distance metrics and its own betweenness sums,
 * so workers share nothing mutable. */
struct worker {
    const struct adj *g;
    deadline_t deadline;
    graph_node_metrics_t *nm;
    size_t first, stride;
    double *acc; /* n betweenness sums */
    double path_sum;
    size_t path_pairs;
    int rc;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    size_t n = w->g->n;
    struct sssp q = {0};
    double *delta = calloc(n + 1, sizeof(*delta));
    w->acc = calloc(n + 1, sizeof(*w->acc));
    w->rc = sssp_alloc(&q, w->g, true) == 0 && delta && w->acc ? 0 : ERR_NOMEM;
    /* A run costs far more than reading the clock: check before each. */
    for (size_t s = w->first; w->rc == 0 && s < n; s += w->stride) {
        if (deadline_passed(w->deadline)) {
            w->rc = ERR_TIMEOUT;
            break;
        }
        dijkstra(&q, w->g, (uint32_t)s);
        w->path_sum += distance_metrics(&q, n, &w->nm[s]);
        w->path_pairs += q.settled - 1;
        accumulate_betweenness(&q, w->g, delta, w->acc);
    }
    free(delta);
    sssp_free(&q, true);
    return NULL;
}

static atomic_uint thread_limit; /* 0: one per core */

void graph_set_threads(unsigned n)
{
    atomic_store(&thread_limit, n > 16 ? 16 : n);
}

/* Sources are independent: big graphs spread them over the cores. */
static size_t worker_count(size_t n)
{
    unsigned limit = atomic_load(&thread_limit);
    long cpus = limit ? (long)limit : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 256 || cpus < 2) return 1;
    return cpus > 16 ? 16 : (size_t)cpus;
}

static int run_workers(const struct adj *g, graph_node_metrics_t *nm, double *path_sum,
                       size_t *path_pairs, deadline_t deadline)
{
    size_t nw = worker_count(g->n), started = 1;
    struct worker w[16];
    pthread_t tid[16];
    for (size_t i = 0; i < nw; i++)
        w[i] = (struct worker){.g = g, .deadline = deadline, .nm = nm, .first = i, .stride = nw};
    for (; started < nw; started++)
        if (pthread_create(&tid[started], NULL, work, &w[started]) != 0) break;
    if (started < nw) /* fewer threads than hoped: redo the split */
        for (size_t i = 0; i < nw; i++)
            w[i].stride = started;
    work(&w[0]);
    int rc = w[0].rc;
    for (size_t i = 1; i < started; i++) {
        pthread_join(tid[i], NULL);
        if (w[i].rc) rc = w[i].rc;
    }
    /* Summed in worker order: the same result for the same worker count. */
    for (size_t i = 0; i < started && rc == 0; i++) {
        for (size_t v = 0; v < g->n; v++)
            nm[v].betweenness += w[i].acc[v];
        *path_sum += w[i].path_sum;
        *path_pairs += w[i].path_pairs;
    }
    for (size_t i = 0; i < started; i++)
        free(w[i].acc);
    return rc;
}

int graph_metrics(size_t n, const graph_edge_t *edges, size_t m, graph_node_metrics_t *nodes,
                  graph_summary_t *summary)
{
    return graph_metrics_until(n, edges, m, nodes, summary, DEADLINE_NONE);
}

int graph_metrics_until(size_t n, const graph_edge_t *edges, size_t m, graph_node_metrics_t *nodes,
                        graph_summary_t *summary, deadline_t deadline)
{
    struct adj g;
    graph_node_metrics_t *nm = nodes;
    uint32_t *queue = NULL;
    double path_sum = 0;
    size_t path_pairs = 0;
    uint32_t ncomp = 0;
    int rc = adj_build(&g, n, edges, m);
    if (rc < 0) goto out;
    rc = ERR_NOMEM;
    if (!nm) nm = calloc(n + 1, sizeof(*nm));
    queue = calloc(n + 1, sizeof(*queue));
    if (!nm || !queue) goto out;
    local_metrics(&g, nm);
    ncomp = label_components(&g, nm, queue);
    rc = run_workers(&g, nm, &path_sum, &path_pairs, deadline);
    if (rc < 0) goto out;
    /* Every unordered pair was counted from both ends. */
    for (size_t v = 0; v < n; v++)
        nm[v].betweenness = n > 2 ? nm[v].betweenness / ((double)(n - 1) * (double)(n - 2)) : 0;
    if (summary) summarise(n, edges, m, nm, ncomp, path_sum, path_pairs, summary);
    rc = 0;
out:
    free(queue);
    if (nm != nodes) free(nm);
    adj_free(&g);
    return rc;
}

int graph_shortest_paths(size_t n, const graph_edge_t *edges, size_t m, double *dist)
{
    struct adj g;
    struct sssp q = {0};
    int rc;
    if (n > 0 && n > SIZE_MAX / sizeof(double) / n) return ERR_INVALID;
    rc = adj_build(&g, n, edges, m);
    if (rc == 0) rc = sssp_alloc(&q, &g, false);
    /* Each run writes its row of the output in place. */
    for (size_t s = 0; rc == 0 && s < n; s++) {
        q.dist = dist + s * n;
        dijkstra(&q, &g, (uint32_t)s);
    }
    sssp_free(&q, false);
    adj_free(&g);
    return rc;
}

/* Upper-triangle entry for the unordered pair {i, j}. */
static double upper(const double *dist, size_t n, size_t i, size_t j)
{
    return i < j ? dist[i * n + j] : dist[j * n + i];
}

static int cmp_edge(const void *x, const void *y)
{
    const graph_edge_t *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

/* Next node to join the tree: the nearest to it, lowest index on ties; when
 * nothing left is reachable, the lowest index outside starts a new tree. */
static size_t nearest_outside(size_t n, const bool *in_tree, const double *best)
{
    size_t v = n;
    for (size_t u = 0; u < n; u++)
        if (!in_tree[u] && (v == n || best[u] < best[v])) v = u;
    return v;
}

int graph_mst(size_t n, const double *dist, graph_edge_t **out, size_t *nout)
{
    double *best = NULL;
    uint32_t *parent = NULL;
    bool *in_tree = NULL;
    graph_edge_t *tree = NULL;
    size_t ne = 0;
    int rc = ERR_INVALID;
    *out = NULL;
    *nout = 0;
    if (n > UINT32_MAX || (n > 0 && n > SIZE_MAX / sizeof(double) / n)) return ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (!(dist[i * n + j] >= 0)) return ERR_INVALID; /* negative or NaN */
    if (n < 2) return 0;
    best = malloc(n * sizeof(*best));
    parent = malloc(n * sizeof(*parent));
    in_tree = calloc(n, sizeof(*in_tree));
    tree = malloc((n - 1) * sizeof(*tree));
    rc = ERR_NOMEM;
    if (!best || !parent || !in_tree || !tree) goto out;
    for (size_t v = 0; v < n; v++) {
        best[v] = INFINITY;
        parent[v] = UINT32_MAX;
    }
    for (size_t k = 0; k < n; k++) {
        size_t v = nearest_outside(n, in_tree, best);
        in_tree[v] = true;
        if (parent[v] != UINT32_MAX) {
            uint32_t p = parent[v];
            tree[ne++] = (graph_edge_t){p < v ? p : (uint32_t)v, p < v ? (uint32_t)v : p, best[v]};
        }
        for (size_t u = 0; u < n; u++) {
            double d = upper(dist, n, u, v);
            if (in_tree[u] || d == INFINITY) continue;
            /* Equal lengths: keep the lower-index end already in the tree. */
            if (d < best[u] || (d == best[u] && v < parent[u])) {
                best[u] = d;
                parent[u] = (uint32_t)v;
            }
        }
    }
    qsort(tree, ne, sizeof(*tree), cmp_edge);
    rc = 0;
out:
    free(best);
    free(parent);
    free(in_tree);
    if (rc == 0 && ne > 0) {
        *out = tree;
        *nout = ne;
    } else {
        free(tree);
    }
    return rc;
}
