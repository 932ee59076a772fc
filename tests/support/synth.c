#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t rnd_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

double rnd_unit(uint64_t *s)
{
    return (double)(rnd_u64(s) >> 11) * 0x1.0p-53;
}

layer_t *synth_towns(size_t n, uint64_t seed, size_t dup_every)
{
    layer_t *l = layer_create("towns", NULL, NULL);
    if (!l) return NULL;
    layer_add_field(l, "name", FIELD_STRING);
    layer_add_field(l, "country", FIELD_STRING);
    for (size_t i = 0; i < n; i++) {
        geom_t *g = geom_create(GEOM_POINT, 1, 0, 0);
        g->ll[0] = 14.8 + 2.8 * rnd_unit(&seed);
        g->ll[1] = 46.0 + 1.6 * rnd_unit(&seed);
        if (dup_every && i % dup_every == 5 && i > 0)
            memcpy(g->ll, l->features[i - 1].geom->ll, 2 * sizeof(double));
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
        fprintf(stderr, "synth_towns: %s\n", err.message);
        layer_destroy(l);
        return NULL;
    }
    return l;
}
