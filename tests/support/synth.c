#include "synth.h"

#include <stdbool.h>
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

static bool write_towns(const char *path, size_t n, uint64_t seed)
{
    static const char *const stems[] = {"Ormož",   "Őriszentpéter", "Lendava",
                                        "Győr",    "Murska Sobota", "Sankt Anna am Aigen",
                                        "Ptuj",    "Zalaegerszeg",  "Bad Radkersburg",
                                        "Ljutomer"};
    FILE *f = fopen(path, "w");
    if (f == NULL) return false;
    fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
    for (size_t i = 0; i < n; i++) {
        double lon = 14.8 + 2.8 * rnd_unit(&seed), lat = 46.0 + 1.6 * rnd_unit(&seed);
        unsigned pop = 300 + (unsigned)(rnd_u64(&seed) % 60000);
        fprintf(f,
                "%s{\"type\":\"Feature\",\"properties\":{\"name\":\"%s %zu\",\"population\":%u,"
                "\"country\":\"%s\",\"project_partner\":%s},\"geometry\":{\"type\":\"Point\","
                "\"coordinates\":[%.6f,%.6f]}}",
                i ? "," : "", stems[i % 10], i, pop,
                lon < 16     ? "AT"
                : lat < 46.6 ? "SI"
                             : "HU",
                i % 50 == 7 ? "\"partner\"" : "null", lon, lat);
    }
    fputs("]}\n", f);
    return fclose(f) == 0;
}

const char *synth_project(const char *dir, const char *geodata_dir, size_t n, uint64_t seed)
{
    static char project[4096];
    char towns[4096];
    snprintf(towns, sizeof(towns), "%s/towns.geojson", dir);
    snprintf(project, sizeof(project), "%s/project.json", dir);
    if (!write_towns(towns, n, seed)) return NULL;
    FILE *f = fopen(project, "w");
    if (f == NULL) return NULL;
    fprintf(f,
            "{\"title\":\"%zu synthetic towns\",\"attribution\":\"synthetic\",\"layers\":["
            "{\"id\":\"towns\",\"source\":\"%s\"},"
            "{\"id\":\"regions\",\"source\":\"%s/regions.geojson\",\"id_field\":\"code\"},"
            "{\"id\":\"countries\",\"source\":\"%s/countries.geojson\",\"id_field\":\"code\"},"
            "{\"id\":\"rivers\",\"source\":\"%s/rivers.geojson\"}],"
            "\"network\":{\"nodes\":\"towns\",\"name_field\":\"name\",\"collection\":\"network\","
            "\"model\":\"mst\"}}\n",
            n, towns, geodata_dir, geodata_dir, geodata_dir);
    return fclose(f) == 0 ? project : NULL;
}
