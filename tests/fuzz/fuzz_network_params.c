/* fuzz_network_params: network_params_parse() and network_find_nodes() on
 * the default data's towns. The input is up to six NUL-separated texts:
 * model, k, km, cross_border, country and a town list; the first byte's
 * bits 0..5 say which are given (the others are NULL) and bit 6 builds
 * the network when the parameters parse. Checks: a refusal is ERR_INVALID
 * naming the parameter; accepted values are in range; every town found is
 * one of the layer's and agrees with network_find_node(); a built network
 * has sane edges and finite metrics. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/networks.h"
#include "fuzzutil.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (networks_source(fuzz_dataset()) == NULL) fuzz_fail("the default data has no towns");
    return 0;
}

static void check_params(const network_params_t *p, const char *k, const char *km)
{
    if (p->model > NETWORK_EDGES) fuzz_fail("model %d", (int)p->model);
    if (p->k < 1 || p->k > 100000 || (k && (long)p->k != strtol(k, NULL, 10)))
        fuzz_fail("k = %u from '%s'", p->k, k ? k : "(default)");
    if (!(p->km > 0) || !isfinite(p->km)) fuzz_fail("km = %g from '%s'", p->km, km ? km : "");
    if (p->ncountries > NETWORK_MAX_COUNTRIES) fuzz_fail("%zu countries", p->ncountries);
    for (size_t i = 0; i < p->ncountries; i++)
        if (memchr(p->countries[i], '\0', sizeof(p->countries[i])) == NULL)
            fuzz_fail("country %zu is not terminated", i);
    char key[192];
    network_params_key(p, key, sizeof(key));
    if (strlen(key) >= 100) fuzz_fail("key '%s' is suspiciously long", key);
}

static void check_refusal(int rc, const error_t *err, const char *const *text)
{
    static const char *const names[] = {"model: ", "k: ", "km: ", "cross_border: ", "country: "};
    if (rc != ERR_INVALID) fuzz_fail("refused with %d: %s", rc, err->message);
    for (size_t i = 0; i < 5; i++)
        if (text[i] && strncmp(err->message, names[i], strlen(names[i])) == 0) return;
    fuzz_fail("the message names no given parameter: %s", err->message);
}

static void check_nodes(const network_source_t *src, const char *list)
{
    uint32_t *nodes = NULL;
    size_t n = 0;
    error_t err = {0};
    size_t total = src->nodes->nfeatures;
    int rc = network_find_nodes(src, list, &nodes, &n, &err);
    if (rc != ERR_OK) {
        if (rc != ERR_INVALID || nodes != NULL || err.message[0] == '\0')
            fuzz_fail("find_nodes('%s') failed badly: %d %s", list, rc, err.message);
        return;
    }
    if (list == NULL || list[0] == '\0') {
        if (n != total) fuzz_fail("an empty list gave %zu towns", n);
    } else {
        size_t i = 0;
        for (const char *p = list; *p; i++) {
            size_t len = strcspn(p, ",");
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)(len < 127 ? len : 127), p);
            if (i >= n || (int)nodes[i] != network_find_node(src, name))
                fuzz_fail("find_nodes('%s'): town %zu ('%s') differs", list, i, name);
            p += len + (p[len] == ',');
        }
        if (i != n) fuzz_fail("find_nodes('%s'): %zu towns for %zu names", list, n, i);
    }
    for (size_t i = 0; i < n; i++)
        if (nodes[i] >= total) fuzz_fail("town index %u of %zu", nodes[i], total);
    free(nodes);
}

static void check_build(const network_source_t *src, const network_params_t *p)
{
    network_t *net = NULL;
    error_t err = {0};
    int rc = network_build(src, p, &net, &err);
    if (rc != ERR_OK) {
        if (rc != ERR_INVALID || net != NULL || err.message[0] == '\0')
            fuzz_fail("network_build failed badly: %d %s", rc, err.message);
        return;
    }
    if (net->nnodes > src->nodes->nfeatures) fuzz_fail("%zu nodes", net->nnodes);
    for (size_t i = 0; i < net->nedges; i++) {
        const network_edge_t *e = &net->edges[i];
        if (e->a >= e->b || e->b >= net->nnodes || !(e->km >= 0) || !isfinite(e->km))
            fuzz_fail("edge %zu: %u-%u, %g km", i, e->a, e->b, e->km);
        if (p->cross_border && !e->cross_border) fuzz_fail("a domestic tie in a cross-border net");
    }
    if (network_metrics(net) != ERR_OK) fuzz_fail("network_metrics failed");
    for (size_t i = 0; i < net->nnodes; i++) {
        const graph_node_metrics_t *m = &net->metrics[i];
        if (!isfinite(m->closeness) || !isfinite(m->betweenness) || !isfinite(m->harmonic) ||
            !isfinite(m->eccentricity) || m->degree > net->nedges)
            fuzz_fail("node %zu: metrics not finite", i);
    }
    network_unref(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    char *text = fuzz_strndup(data + 1, size - 1);
    const char *field[6] = {NULL};
    const char *p = text, *end = text + size - 1;
    for (int i = 0; i < 6; i++) {
        if (data[0] & (1u << i)) field[i] = p < end ? p : "";
        if (p < end) p += strlen(p) + 1;
    }
    const network_source_t *src = networks_source(fuzz_dataset());
    network_params_t params;
    error_t err = {0};
    int rc = network_params_parse(&params, field[0], field[1], field[2], field[3], field[4], &err);
    if (rc != ERR_OK) {
        check_refusal(rc, &err, field);
    } else {
        check_params(&params, field[1], field[2]);
        if (data[0] & 0x40) check_build(src, &params);
    }
    check_nodes(src, field[5]);
    free(text);
    return 0;
}
