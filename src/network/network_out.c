#include "network/network_out.h"

#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/geodesy.h"
#include "data/geojson.h"

#define MAX_LINE_POINTS 512

static const feature_t *node_feature(const network_t *net, uint32_t node)
{
    return &net->nodes_layer->features[net->node_feature[node]];
}

static const char *node_text(const network_t *net, uint32_t node, int field)
{
    const value_t *v = field >= 0 ? &node_feature(net, node)->values[field] : NULL;
    return v && !v->is_null && net->nodes_layer->fields[field].type == FIELD_STRING ? v->u.s : "";
}

/* "AT-SI": the two countries of a tie, sorted; one code when the same. */
static void tie_countries(const network_t *net, const network_edge_t *e, char *out, size_t size)
{
    const char *a = node_text(net, e->a, net->country_field);
    const char *b = node_text(net, e->b, net->country_field);
    if (strcmp(a, b) == 0)
        snprintf(out, size, "%s", a);
    else
        snprintf(out, size, "%s-%s", strcmp(a, b) < 0 ? a : b, strcmp(a, b) < 0 ? b : a);
}

static geom_t *tie_line(const network_t *net, const network_edge_t *e)
{
    double pts[2 * MAX_LINE_POINTS];
    const double *p = node_feature(net, e->a)->geom->ll, *q = node_feature(net, e->b)->geom->ll;
    size_t n = geodesy_line(p[0], p[1], q[0], q[1], NETWORK_STEP_M, pts, MAX_LINE_POINTS);
    geom_t *g = geom_create(GEOM_LINESTRING, (uint32_t)n, 1, 0);
    if (g) {
        memcpy(g->ll, pts, 2 * n * sizeof(double));
        g->part_start[0] = 0;
    }
    return g;
}

double network_geojson_vertices(const network_t *net)
{
    double v = (double)net->nnodes;
    for (size_t i = 0; i < net->nedges; i++) {
        double n = ceil(net->edges[i].km * 1000 / NETWORK_STEP_M) + 1;
        v += n < MAX_LINE_POINTS ? n : MAX_LINE_POINTS;
    }
    return v;
}

/* A tie's feature id: its towns' ids, "8-10". */
static void tie_id(const network_t *net, const network_edge_t *e, char *out, size_t size)
{
    snprintf(out, size, "%s-%s", node_feature(net, e->a)->id, node_feature(net, e->b)->id);
}

static value_t *tie_values(const network_t *net, const network_edge_t *e)
{
    char countries[16];
    value_t *v = calloc(7, sizeof(*v));
    if (v == NULL) return NULL;
    tie_countries(net, e, countries, sizeof(countries));
    v[0].u.s = strdup(node_text(net, e->a, net->name_field));
    v[1].u.s = strdup(node_text(net, e->b, net->name_field));
    v[2].u.s = strdup(node_feature(net, e->a)->id);
    v[3].u.s = strdup(node_feature(net, e->b)->id);
    v[4].u.r = e->km;
    v[5].u.i = e->cross_border;
    v[6].u.s = strdup(countries);
    for (int i = 0; i < 7; i++)
        if ((i < 4 || i == 6) && v[i].u.s == NULL)
            v[i].is_null = 1; /* out of memory: the layer still frees cleanly */
    return v;
}

int network_to_layer(const network_t *net, const char *id, const char *title, layer_t **out,
                     error_t *err)
{
    static const struct {
        const char *name;
        field_type_t type;
    } fields[] = {{"from", FIELD_STRING},      {"to", FIELD_STRING},
                  {"from_id", FIELD_STRING},   {"to_id", FIELD_STRING},
                  {"distance_km", FIELD_REAL}, {"cross_border", FIELD_BOOLEAN},
                  {"countries", FIELD_STRING}};
    char description[256];
    snprintf(description, sizeof(description),
             "Ties between the towns under the '%s' model, along the geodesic.",
             network_model_name(net->params.model));
    layer_t *layer = layer_create(id, title, description);
    int rc = layer ? ERR_OK : ERR_NOMEM;
    for (size_t i = 0; rc == ERR_OK && i < sizeof(fields) / sizeof(fields[0]); i++)
        if (layer_add_field(layer, fields[i].name, fields[i].type) < 0) rc = ERR_NOMEM;
    for (size_t i = 0; rc == ERR_OK && i < net->nedges; i++) {
        geom_t *g = tie_line(net, &net->edges[i]);
        char text[160];
        tie_id(net, &net->edges[i], text, sizeof(text));
        char *fid = strdup(text);
        value_t *v = tie_values(net, &net->edges[i]);
        if (g == NULL || fid == NULL || v == NULL) {
            geom_destroy(g);
            free(fid);
            free(v);
            rc = ERR_NOMEM;
        } else {
            rc = layer_add_feature(layer, fid, g, v);
        }
    }
    if (rc == ERR_OK && layer) {
        layer->source = strdup("(computed)");
        layer->source_layer = strdup(network_model_name(net->params.model));
        layer->source_crs = strdup("EPSG:4326");
        layer->geom_type = GEOM_LINESTRING;
        rc = layer_finish(layer, err);
    }
    if (rc != ERR_OK) {
        layer_destroy(layer);
        return rc == ERR_NOMEM ? error_set(err, ERR_NOMEM, "out of memory") : rc;
    }
    *out = layer;
    return ERR_OK;
}

/* Writes s cut to `width` characters (not bytes: names are UTF-8) and
 * padded with spaces to that width; right-aligned if width < 0. */
static void write_padded(buf_t *b, const char *s, int width)
{
    bool right = width < 0;
    int w = right ? -width : width, chars = 0;
    const char *end = s;
    while (*end && chars < w) {
        end++;
        while (((unsigned char)*end & 0xC0) == 0x80)
            end++;
        chars++;
    }
    if (right) buf_printf(b, "%*s", w - chars, "");
    buf_append(b, s, (size_t)(end - s));
    if (!right) buf_printf(b, "%*s", w - chars, "");
}

static void write_params(buf_t *b, const network_params_t *p)
{
    buf_printf(b, "\"model\":\"%s\",\"parameters\":{", network_model_name(p->model));
    int n = 0;
    if (p->model == NETWORK_KNN) buf_printf(b, "\"k\":%u", p->k), n++;
    if (p->model == NETWORK_WITHIN) {
        buf_puts(b, "\"km\":");
        geojson_number(b, p->km);
        n++;
    }
    buf_printf(b, "%s\"cross_border\":%s,\"country\":[", n ? "," : "",
               p->cross_border ? "true" : "false");
    for (size_t i = 0; i < p->ncountries; i++) {
        buf_puts(b, i ? "," : "");
        geojson_string(b, p->countries[i]);
    }
    buf_puts(b, "]}");
}

/* Kilometres to the metre, other metrics to 6 significant digits. */
static void km(buf_t *b, double v)
{
    buf_printf(b, "%.3f", v);
}

static void write_summary(buf_t *b, const graph_summary_t *s)
{
    buf_printf(b, "\"summary\":{\"nodes\":%zu,\"edges\":%zu,\"total_length_km\":", s->nodes,
               s->edges);
    km(b, s->total_length);
    buf_printf(b, ",\"density\":%.6g,\"components\":%u,\"diameter_km\":", s->density,
               s->components);
    km(b, s->diameter);
    buf_puts(b, ",\"average_path_km\":");
    km(b, s->average_path);
    buf_puts(b, "}");
}

static void write_node_metrics(buf_t *b, const network_t *net, uint32_t i)
{
    const graph_node_metrics_t *m = &net->metrics[i];
    buf_puts(b, "\"name\":");
    geojson_string(b, node_text(net, i, net->name_field));
    buf_puts(b, ",\"country\":");
    geojson_string(b, node_text(net, i, net->country_field));
    buf_printf(b, ",\"degree\":%u,\"weighted_degree_km\":", m->degree);
    km(b, m->weighted_degree);
    buf_printf(b,
               ",\"closeness\":%.6g,\"harmonic\":%.6g,\"betweenness\":%.6g,\"component\":%u,"
               "\"eccentricity_km\":",
               m->closeness, m->harmonic, m->betweenness, m->component);
    km(b, m->eccentricity);
}

static void write_tie_properties(buf_t *b, const network_t *net, const network_edge_t *e)
{
    char countries[16];
    tie_countries(net, e, countries, sizeof(countries));
    buf_puts(b, "{\"kind\":\"tie\",\"from\":");
    geojson_string(b, node_text(net, e->a, net->name_field));
    buf_puts(b, ",\"to\":");
    geojson_string(b, node_text(net, e->b, net->name_field));
    buf_puts(b, ",\"from_id\":");
    geojson_id(b, node_feature(net, e->a)->id);
    buf_puts(b, ",\"to_id\":");
    geojson_id(b, node_feature(net, e->b)->id);
    buf_puts(b, ",\"distance_km\":");
    km(b, e->km);
    buf_printf(b, ",\"cross_border\":%s,\"countries\":\"%s\"", e->cross_border ? "true" : "false",
               countries);
    if (e->tie >= 0 && net->ties_layer) { /* the tie's own attributes */
        const layer_t *t = net->ties_layer;
        const feature_t *f = &t->features[e->tie];
        buf_puts(b, ",\"tie\":");
        geojson_properties(b, t, f, NULL);
    }
    buf_puts(b, "}");
}

/* ERR_NOMEM, ERR_TOOBIG or ERR_TIMEOUT when writing must stop; checked
 * after each feature or row, so a limit is passed by one at most. */
static int out_check(const buf_t *b, const network_limits_t *lim)
{
    if (b->failed) return ERR_NOMEM;
    if (lim == NULL) return ERR_OK;
    if (lim->max_bytes && b->len > lim->max_bytes) return ERR_TOOBIG;
    return deadline_passed(lim->deadline) ? ERR_TIMEOUT : ERR_OK;
}

static int write_tie_feature(buf_t *b, const network_t *net, const network_edge_t *e, bool first)
{
    geom_t *g = tie_line(net, e);
    if (g == NULL) {
        b->failed = true;
        return ERR_NOMEM;
    }
    char id[160];
    tie_id(net, e, id, sizeof(id));
    buf_puts(b, first ? "{\"type\":\"Feature\",\"id\":" : ",{\"type\":\"Feature\",\"id\":");
    geojson_string(b, id);
    buf_puts(b, ",\"geometry\":");
    geojson_geometry(b, g, CRS_CRS84);
    geom_destroy(g);
    buf_puts(b, ",\"properties\":");
    write_tie_properties(b, net, e);
    buf_puts(b, "}");
    return ERR_OK;
}

static void write_town_feature(buf_t *b, const network_t *net, uint32_t i, bool first)
{
    const feature_t *f = node_feature(net, i);
    buf_puts(b, first ? "{\"type\":\"Feature\",\"id\":" : ",{\"type\":\"Feature\",\"id\":");
    geojson_id(b, f->id);
    buf_puts(b, ",\"geometry\":");
    geojson_geometry(b, f->geom, CRS_CRS84);
    buf_puts(b, ",\"properties\":{\"kind\":\"town\",");
    write_node_metrics(b, net, i);
    buf_puts(b, "}}");
}

void network_write_geojson(buf_t *b, const network_t *net)
{
    network_write_geojson_limited(b, net, NULL);
}

int network_write_geojson_limited(buf_t *b, const network_t *net, const network_limits_t *lim)
{
    buf_puts(b, "{\"type\":\"FeatureCollection\",");
    write_params(b, &net->params);
    buf_puts(b, ",");
    write_summary(b, &net->summary);
    buf_puts(b, ",\"features\":[");
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < net->nedges; i++)
        if ((rc = write_tie_feature(b, net, &net->edges[i], i == 0)) == ERR_OK)
            rc = out_check(b, lim);
    for (uint32_t i = 0; rc == ERR_OK && i < net->nnodes; i++) {
        write_town_feature(b, net, i, net->nedges == 0 && i == 0);
        rc = out_check(b, lim);
    }
    buf_puts(b, "]}");
    return rc == ERR_OK ? out_check(b, NULL) : rc;
}

void network_write_metrics(buf_t *b, const network_t *net)
{
    network_write_metrics_limited(b, net, NULL);
}

int network_write_metrics_limited(buf_t *b, const network_t *net, const network_limits_t *lim)
{
    buf_puts(b, "{");
    write_params(b, &net->params);
    buf_puts(b, ",");
    write_summary(b, &net->summary);
    buf_puts(b, ",\"nodes\":[");
    int rc = ERR_OK;
    for (uint32_t i = 0; rc == ERR_OK && i < net->nnodes; i++) {
        buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        geojson_id(b, node_feature(net, i)->id);
        buf_puts(b, ",");
        write_node_metrics(b, net, i);
        buf_puts(b, "}");
        rc = out_check(b, lim);
    }
    buf_puts(b, "]}\n");
    return rc == ERR_OK ? out_check(b, NULL) : rc;
}

void network_write_table(buf_t *b, const network_t *net)
{
    const graph_summary_t *s = &net->summary;
    buf_printf(b,
               "network '%s': %zu towns, %zu ties, %.1f km in all, density %.3f, "
               "%u component%s, diameter %.1f km, average path %.1f km\n\n",
               network_model_name(net->params.model), s->nodes, s->edges, s->total_length,
               s->density, s->components, s->components == 1 ? "" : "s", s->diameter,
               s->average_path);
    buf_printf(b, "%-18s %-3s %6s %10s %9s %11s %4s %9s\n", "town", "cc", "degree", "weighted",
               "closeness", "betweenness", "comp", "eccentr.");
    for (uint32_t i = 0; i < net->nnodes; i++) {
        const graph_node_metrics_t *m = &net->metrics[i];
        write_padded(b, node_text(net, i, net->name_field), 18);
        buf_printf(b, " %-3s %6u %7.1f km %9.4f %11.4f %4u %6.1f km\n",
                   node_text(net, i, net->country_field), m->degree, m->weighted_degree,
                   m->closeness, m->betweenness, m->component, m->eccentricity);
    }
}

static const char *town_name(const network_source_t *src, uint32_t feature)
{
    const value_t *v = &src->nodes->features[feature].values[src->name_field];
    return v->is_null || src->nodes->fields[src->name_field].type != FIELD_STRING ? "" : v->u.s;
}

/* RFC 4180: quoted when it holds a comma, quote or line break. */
static void csv_field(buf_t *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        buf_puts(b, s);
        return;
    }
    buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            buf_append(b, "\"\"", 2);
        else
            buf_append(b, s, 1);
    }
    buf_append(b, "\"", 1);
}

static geodesy_inverse_t between(const network_source_t *src, uint32_t a, uint32_t c)
{
    const double *p = src->nodes->features[a].geom->ll, *q = src->nodes->features[c].geom->ll;
    return geodesy_inverse(p[0], p[1], q[0], q[1]);
}

/* The from and to lists with ids and names. */
static void distances_towns(buf_t *b, const network_source_t *src, const uint32_t *from,
                            size_t nfrom, const uint32_t *to, size_t nto)
{
    const uint32_t *lists[2] = {from, to};
    size_t counts[2] = {nfrom, nto};
    for (int l = 0; l < 2; l++) {
        buf_puts(b, l ? ",\"to\":[" : ",\"from\":[");
        for (size_t i = 0; i < counts[l]; i++) {
            buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
            geojson_id(b, src->nodes->features[lists[l][i]].id);
            buf_puts(b, ",\"name\":");
            geojson_string(b, town_name(src, lists[l][i]));
            buf_puts(b, "}");
        }
        buf_puts(b, "]");
    }
}

/* Each pair's geodesic for both the matrix and the pairs: computed once
 * into memo when there is room for it (pairs x 24 bytes), else twice. */
static geodesy_inverse_t pair_geodesic(const network_source_t *src, geodesy_inverse_t *memo,
                                       bool fill, size_t at, uint32_t a, uint32_t c)
{
    if (memo && !fill) return memo[at];
    geodesy_inverse_t g = between(src, a, c);
    if (memo) memo[at] = g;
    return g;
}

static int distances_json(buf_t *b, const network_source_t *src, const uint32_t *from, size_t nfrom,
                          const uint32_t *to, size_t nto, const network_limits_t *lim)
{
    geodesy_inverse_t *memo =
        nto && nfrom <= SIZE_MAX / sizeof(*memo) / nto ? malloc(nfrom * nto * sizeof(*memo)) : NULL;
    buf_puts(b, "{\"unit\":\"km\"");
    distances_towns(b, src, from, nfrom, to, nto);
    buf_puts(b, ",\"matrix_km\":[");
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < nfrom; i++) {
        buf_puts(b, i ? ",[" : "[");
        for (size_t j = 0; j < nto; j++)
            buf_printf(b, "%s%.6f", j ? "," : "",
                       pair_geodesic(src, memo, true, i * nto + j, from[i], to[j]).metres / 1000);
        buf_puts(b, "]");
        rc = out_check(b, lim);
    }
    buf_puts(b, "],\"pairs\":[");
    for (size_t i = 0; rc == ERR_OK && i < nfrom; i++) {
        for (size_t j = 0; j < nto; j++) {
            geodesy_inverse_t g = pair_geodesic(src, memo, false, i * nto + j, from[i], to[j]);
            buf_puts(b, i || j ? ",{\"from\":" : "{\"from\":");
            geojson_string(b, town_name(src, from[i]));
            buf_puts(b, ",\"to\":");
            geojson_string(b, town_name(src, to[j]));
            buf_printf(b,
                       ",\"distance_km\":%.6f,\"initial_azimuth\":%.6f,"
                       "\"final_azimuth\":%.6f}",
                       g.metres / 1000, g.azi1, g.azi2);
        }
        rc = out_check(b, lim);
    }
    buf_puts(b, "]}\n");
    free(memo);
    return rc;
}

static int distances_csv_pairs(buf_t *b, const network_source_t *src, const uint32_t *from,
                               size_t nfrom, const uint32_t *to, size_t nto,
                               const network_limits_t *lim)
{
    int rc = ERR_OK;
    buf_puts(b, "from,to,distance_km,initial_azimuth,final_azimuth\r\n");
    for (size_t i = 0; rc == ERR_OK && i < nfrom; i++) {
        for (size_t j = 0; j < nto; j++) {
            geodesy_inverse_t g = between(src, from[i], to[j]);
            csv_field(b, town_name(src, from[i]));
            buf_puts(b, ",");
            csv_field(b, town_name(src, to[j]));
            buf_printf(b, ",%.6f,%.6f,%.6f\r\n", g.metres / 1000, g.azi1, g.azi2);
        }
        rc = out_check(b, lim);
    }
    return rc;
}

/* The matrix as CSV with a header row, or aligned for a terminal. */
static int distances_matrix(buf_t *b, const network_source_t *src, const uint32_t *from,
                            size_t nfrom, const uint32_t *to, size_t nto, bool csv,
                            const network_limits_t *lim)
{
    int rc = ERR_OK;
    buf_puts(b, csv ? "from" : "km                 ");
    for (size_t j = 0; j < nto; j++) {
        buf_puts(b, csv ? "," : " ");
        if (csv)
            csv_field(b, town_name(src, to[j]));
        else
            write_padded(b, town_name(src, to[j]), -8);
    }
    buf_puts(b, csv ? "\r\n" : "\n");
    for (size_t i = 0; rc == ERR_OK && i < nfrom; i++) {
        if (csv)
            csv_field(b, town_name(src, from[i]));
        else
            write_padded(b, town_name(src, from[i]), 18);
        for (size_t j = 0; j < nto; j++)
            buf_printf(b, csv ? ",%.3f" : " %8.1f", between(src, from[i], to[j]).metres / 1000);
        buf_puts(b, csv ? "\r\n" : "\n");
        rc = out_check(b, lim);
    }
    return rc;
}

void network_write_distances(buf_t *b, const network_source_t *src, const uint32_t *from,
                             size_t nfrom, const uint32_t *to, size_t nto,
                             distances_format_t format)
{
    network_write_distances_limited(b, src, from, nfrom, to, nto, format, NULL);
}

int network_write_distances_limited(buf_t *b, const network_source_t *src, const uint32_t *from,
                                    size_t nfrom, const uint32_t *to, size_t nto,
                                    distances_format_t format, const network_limits_t *lim)
{
    int rc = format == DISTANCES_JSON ? distances_json(b, src, from, nfrom, to, nto, lim)
             : format == DISTANCES_CSV_PAIRS
                 ? distances_csv_pairs(b, src, from, nfrom, to, nto, lim)
                 : distances_matrix(b, src, from, nfrom, to, nto, format == DISTANCES_CSV, lim);
    return rc == ERR_OK ? out_check(b, NULL) : rc;
}

/* --- sizes, before writing ------------------------------------------------------ */

/* Bytes of a node's name and id, as the writers quote them (escapes aside:
 * the writers' own check catches what they add). */
static double name_id_bytes(const network_t *net, uint32_t node)
{
    return (double)(strlen(node_text(net, node, net->name_field)) +
                    strlen(node_feature(net, node)->id));
}

/* Per feature: the fixed text of the writers with numbers at their longest
 * (coordinates "[-179.1234567,-89.1234567]," are 27 bytes). */
#define TIE_FIXED     200.0
#define VERTEX_BYTES  27.0
#define TOWN_FIXED    330.0
#define METRICS_FIXED 230.0
#define PAIR_JSON     118.0
#define PAIR_CSV      40.0
#define CELL_CSV      10.0
#define LIST_ENTRY    24.0

double network_geojson_bytes(const network_t *net)
{
    double bytes = 512 + VERTEX_BYTES * network_geojson_vertices(net);
    for (size_t i = 0; i < net->nedges; i++)
        bytes += TIE_FIXED +
                 2 * (name_id_bytes(net, net->edges[i].a) + name_id_bytes(net, net->edges[i].b));
    for (uint32_t i = 0; i < net->nnodes; i++)
        bytes += TOWN_FIXED + name_id_bytes(net, i);
    return bytes;
}

double network_metrics_bytes(const network_t *net)
{
    double bytes = 512;
    for (uint32_t i = 0; i < net->nnodes; i++)
        bytes += METRICS_FIXED + name_id_bytes(net, i);
    return bytes;
}

/* Bytes of the names (and ids, for JSON) of a list of towns. */
static double list_bytes(const network_source_t *src, const uint32_t *list, size_t n, bool ids)
{
    double bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += (double)strlen(town_name(src, list[i])) +
                 (ids ? (double)strlen(src->nodes->features[list[i]].id) + LIST_ENTRY : 0);
    return bytes;
}

double network_distances_bytes(const network_source_t *src, const uint32_t *from, size_t nfrom,
                               const uint32_t *to, size_t nto, distances_format_t format)
{
    double pairs = (double)nfrom * (double)nto, names_from = list_bytes(src, from, nfrom, false),
           names_to = list_bytes(src, to, nto, false);
    /* Every pair names both of its towns: each from name nto times. */
    double pair_names = names_from * (double)nto + names_to * (double)nfrom;
    switch (format) {
    case DISTANCES_JSON:
        return 64 + list_bytes(src, from, nfrom, true) + list_bytes(src, to, nto, true) +
               pairs * PAIR_JSON + pair_names;
    case DISTANCES_CSV_PAIRS:
        return 64 + pairs * PAIR_CSV + pair_names;
    default:
        return 64 + names_from + names_to + (double)(nfrom + nto) * 8 + pairs * CELL_CSV;
    }
}
