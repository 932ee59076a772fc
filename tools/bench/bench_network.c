/* Network models on synthetic towns spread over the border area: the time
 * of each model's build and of the metrics, in one run.
 *
 *   build/tools/bench/bench_network [--towns N] [--seed S]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "network/network.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static layer_t *synthetic_towns(size_t n, uint64_t seed)
{
    layer_t *l = layer_create("towns", NULL, NULL);
    layer_add_field(l, "name", FIELD_STRING);
    layer_add_field(l, "country", FIELD_STRING);
    for (size_t i = 0; i < n; i++) {
        geom_t *g = geom_create(GEOM_POINT, 1, 0, 0);
        g->ll[0] = 14.8 + 2.8 * (double)(next(&seed) >> 11) * 0x1.0p-53;
        g->ll[1] = 46.0 + 1.6 * (double)(next(&seed) >> 11) * 0x1.0p-53;
        value_t *v = calloc(2, sizeof(value_t));
        char text[32];
        snprintf(text, sizeof(text), "town %zu", i);
        v[0].u.s = strdup(text);
        v[1].u.s = strdup(g->ll[0] < 16 ? "AT" : g->ll[1] < 46.6 ? "SI" : "HU");
        snprintf(text, sizeof(text), "%zu", i);
        layer_add_feature(l, strdup(text), g, v);
    }
    error_t err;
    if (layer_finish(l, &err) != ERR_OK) {
        fprintf(stderr, "bench_network: %s\n", err.message);
        exit(1);
    }
    return l;
}

static void run(const network_source_t *src, const char *model, const char *k, const char *km,
                int metrics)
{
    network_params_t params;
    network_t *net = NULL;
    error_t err = {0};
    if (network_params_parse(&params, model, k, km, NULL, NULL, &err) != ERR_OK) {
        fprintf(stderr, "bench_network: %s\n", err.message);
        exit(1);
    }
    double t0 = now_s();
    if (network_build(src, &params, &net, &err) != ERR_OK) {
        fprintf(stderr, "bench_network: %s: %s\n", model, err.message);
        exit(1);
    }
    double t1 = now_s();
    double tm = 0;
    if (metrics) {
        network_metrics(net);
        tm = now_s() - t1;
    }
    char label[48];
    snprintf(label, sizeof(label), "%s%s%s%s%s", model, k ? " k=" : "", k ? k : "",
             km ? " km=" : "", km ? km : "");
    printf("%-16s %8zu ties %9.3f s", label, net->nedges, t1 - t0);
    if (metrics)
        printf("   metrics %7.3f s (diameter %.1f km, %u component%s)", tm, net->summary.diameter,
               net->summary.components, net->summary.components == 1 ? "" : "s");
    printf("\n");
    network_unref(net);
}

int main(int argc, char **argv)
{
    size_t n = 10000;
    uint64_t seed = 42;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--towns") == 0)
            n = (size_t)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
    }
    if (n < 3 || n > 1000000) {
        fprintf(stderr, "bench_network: --towns wants 3..1000000\n");
        return 2;
    }
    layer_t *towns = synthetic_towns(n, seed);
    network_source_t src = {towns, NULL, 0, 1, -1, -1};
    printf("%zu synthetic towns over lon 14.8..17.6, lat 46.0..47.6 (seed %llu)\n", n,
           (unsigned long long)seed);
    run(&src, "knn", "3", NULL, 0);
    run(&src, "within", NULL, "5", 0);
    run(&src, "mst", NULL, NULL, 1);
    run(&src, "delaunay", NULL, NULL, 1);
    run(&src, "gabriel", NULL, NULL, 0);
    run(&src, "rng", NULL, NULL, 0);
    layer_destroy(towns);
    return 0;
}
