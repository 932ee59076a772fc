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
#include "synth.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    layer_t *towns = synth_towns(n, seed, 0);
    if (!towns) return 1;
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
