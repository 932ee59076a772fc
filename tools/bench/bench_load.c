/* Load time of a project (default: the shipped one): project file, every
 * layer through OGR, reprojection, ids and spatial indexes, the whole
 * all-or-nothing dataset_load(). Prints min / median / max over N runs.
 *
 *   build/tools/bench/bench_load [--runs N] [--project FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "data/dataset.h"
#include "data/project.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = 30;
    const char *path = project_default_path();
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--project") == 0)
            path = argv[i + 1];
    }
    if (runs < 1 || runs > 10000) {
        fprintf(stderr, "bench_load: --runs wants 1..10000\n");
        return 2;
    }
    double *ms = calloc((size_t)runs, sizeof(double));
    size_t features = 0;
    for (int r = 0; r < runs; r++) {
        error_t err = {0};
        dataset_t *ds = NULL;
        double t0 = now_ms();
        if (app_load(path, NULL, &ds, &err) != ERR_OK) {
            fprintf(stderr, "bench_load: %s\n", err.message);
            return 1;
        }
        ms[r] = now_ms() - t0;
        features = 0;
        for (size_t i = 0; i < dataset_layer_count(ds); i++)
            features += dataset_layer(ds, i)->nfeatures;
        dataset_unref(ds);
    }
    qsort(ms, (size_t)runs, sizeof(double), cmp_double);
    printf("load %s: %zu features, %d runs: min %.1f ms, median %.1f ms, max %.1f ms "
           "(target < 100 ms)\n",
           path, features, runs, ms[0], ms[runs / 2], ms[runs - 1]);
    free(ms);
    return 0;
}
