#include "data/geojson.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes v rounded to `decimals` places with trailing zeros dropped; out
 * needs 32 bytes. Returns the length. Faster than printf and exact for the
 * magnitudes of coordinates (|v| * 10^decimals < 2^53); anything larger
 * (which loading never lets through) is written as %.17g, at most 24
 * characters, and a non-finite value as null. */
static size_t format_fixed(char *out, double v, int decimals, double scale)
{
    double r = round(v * scale);
    if (!(fabs(r) < 9007199254740992.0)) {
        int n = isfinite(v) ? snprintf(out, 32, "%.17g", v) : snprintf(out, 32, "null");
        return n > 0 && n < 32 ? (size_t)n : 0;
    }
    int64_t n = (int64_t)r;
    char *p = out;
    if (n < 0) {
        *p++ = '-';
        n = -n;
    }
    char digits[24];
    int len = 0;
    do {
        digits[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0 || len <= decimals);
    for (int i = len - 1; i >= decimals; i--) /* integer part */
        *p++ = digits[i];
    int last = 0; /* trailing zeros of the fraction are dropped */
    while (last < decimals && digits[last] == '0')
        last++;
    if (last < decimals) {
        *p++ = '.';
        for (int i = decimals - 1; i >= last; i--)
            *p++ = digits[i];
    }
    if (p == out + 1 && out[0] == '-') /* "-0" */
        p = out, *p++ = '0';
    *p = '\0';
    return (size_t)(p - out);
}

static void write_position(buf_t *b, const geom_t *g, uint32_t i, crs_id_t crs)
{
    char text[72];
    size_t n = 0;
    double x, y;
    int decimals = 7;
    double scale = 1e7;
    if (crs == CRS_EPSG3857) {
        x = g->merc[2 * i], y = g->merc[2 * i + 1];
        decimals = 2, scale = 1e2;
    } else if (crs == CRS_EPSG4326) {
        x = g->ll[2 * i + 1], y = g->ll[2 * i];
    } else {
        x = g->ll[2 * i], y = g->ll[2 * i + 1];
    }
    text[n++] = '[';
    n += format_fixed(text + n, x, decimals, scale);
    text[n++] = ',';
    n += format_fixed(text + n, y, decimals, scale);
    text[n++] = ']';
    buf_append(b, text, n);
}

static void write_run(buf_t *b, const geom_t *g, uint32_t first, uint32_t end, crs_id_t crs)
{
    buf_append(b, "[", 1);
    for (uint32_t i = first; i < end; i++) {
        if (i > first) buf_append(b, ",", 1);
        write_position(b, g, i, crs);
    }
    buf_append(b, "]", 1);
}

static void write_parts(buf_t *b, const geom_t *g, uint32_t first, uint32_t end, crs_id_t crs)
{
    buf_append(b, "[", 1);
    for (uint32_t p = first; p < end; p++) {
        if (p > first) buf_append(b, ",", 1);
        write_run(b, g, g->part_start[p], g->part_start[p + 1], crs);
    }
    buf_append(b, "]", 1);
}

void geojson_geometry(buf_t *b, const geom_t *g, crs_id_t crs)
{
    buf_puts(b, "{\"type\":\"");
    buf_puts(b, geom_type_name(g->type));
    buf_puts(b, "\",\"coordinates\":");
    switch (g->type) {
    case GEOM_POINT:
        write_position(b, g, 0, crs);
        break;
    case GEOM_MULTIPOINT:
        write_run(b, g, 0, g->npoints, crs);
        break;
    case GEOM_LINESTRING:
        write_run(b, g, g->part_start[0], g->part_start[1], crs);
        break;
    case GEOM_MULTILINESTRING:
    case GEOM_POLYGON:
        write_parts(b, g, 0, g->nparts, crs);
        break;
    case GEOM_MULTIPOLYGON:
        buf_append(b, "[", 1);
        for (uint32_t k = 0; k < g->npolys; k++) {
            if (k > 0) buf_append(b, ",", 1);
            write_parts(b, g, g->poly_start[k], g->poly_start[k + 1], crs);
        }
        buf_append(b, "]", 1);
        break;
    case GEOM_NONE:
        buf_puts(b, "[]");
        break;
    }
    buf_append(b, "}", 1);
}

void geojson_string(buf_t *b, const char *s)
{
    buf_json_string(b, s);
}

void geojson_number(buf_t *b, double v)
{
    if (!isfinite(v)) {
        buf_puts(b, "null");
        return;
    }
    char text[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof(text), "%.*g", digits, v);
        if (strtod(text, NULL) == v) break;
    }
    buf_puts(b, text);
}

void geojson_id(buf_t *b, const char *id)
{
    size_t n = strlen(id);
    bool numeric = n > 0 && n < 16 && strspn(id, "0123456789") == n && (id[0] != '0' || n == 1);
    if (numeric)
        buf_append(b, id, n);
    else
        geojson_string(b, id);
}

void geojson_value_as(buf_t *b, field_type_t type, const value_t *v,
                      void (*string)(buf_t *, const char *))
{
    char text[32];
    switch (type) {
    case FIELD_INTEGER:
        snprintf(text, sizeof(text), "%" PRId64, v->u.i);
        buf_puts(b, text);
        break;
    case FIELD_REAL:
        geojson_number(b, v->u.r);
        break;
    case FIELD_STRING:
        string(b, v->u.s);
        break;
    case FIELD_BOOLEAN:
        buf_puts(b, v->u.i ? "true" : "false");
        break;
    }
}

static void write_value(buf_t *b, field_type_t type, const value_t *v)
{
    if (v->is_null)
        buf_puts(b, "null");
    else
        geojson_value_as(b, type, v, geojson_string);
}

void geojson_feature(buf_t *b, const layer_t *layer, const feature_t *f, const geojson_opts_t *opts)
{
    buf_puts(b, "{\"type\":\"Feature\",\"id\":");
    geojson_id(b, f->id);
    buf_puts(b, ",\"geometry\":");
    if (opts->no_geometry)
        buf_puts(b, "null");
    else
        geojson_geometry(b, f->geom, opts->crs);
    buf_puts(b, ",\"properties\":");
    geojson_properties(b, layer, f, opts->fields);
    buf_puts(b, "}");
}

void geojson_properties(buf_t *b, const layer_t *layer, const feature_t *f, const bool *fields)
{
    buf_append(b, "{", 1);
    bool first = true;
    for (size_t i = 0; i < layer->nfields; i++) {
        if (fields && !fields[i]) continue;
        if (!first) buf_append(b, ",", 1);
        first = false;
        geojson_string(b, layer->fields[i].name);
        buf_append(b, ":", 1);
        write_value(b, layer->fields[i].type, &f->values[i]);
    }
    buf_append(b, "}", 1);
}
