/* fuzz_geojson: the GeoJSON writer. The first byte picks what to write:
 *  0: geojson_string() of any bytes (invalid UTF-8 too): the output parses
 *     with jansson to the input with each byte that is not well-formed
 *     UTF-8 replaced by U+FFFD;
 *  1: geojson_number() of any double: null for nan and infinities, else
 *     a JSON number that reads back exactly;
 *  2: geojson_geometry() of every type with any doubles (1e308, inf, nan,
 *     -0 and raw bits) in CRS84, EPSG:4326 and EPSG:3857: valid JSON of
 *     the right shape, non-finite values as null, positions in range to
 *     half the last decimal (5e-8 degrees, 5e-3 m), others as documented. */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "data/geojson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes in, one at a time; zeros once they run out. */
typedef struct input {
    const uint8_t *p;
    size_t n;
} input_t;

static unsigned byte(input_t *in)
{
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

static double raw_double(input_t *in)
{
    uint8_t b[8] = {0};
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)byte(in);
    double v;
    memcpy(&v, b, sizeof(v));
    return v;
}

/* A selector byte: one of the interesting values, or 8 raw bytes. */
static double coordinate(input_t *in)
{
    static const double special[] = {
        0,
        -0.0,
        1e308,
        -1e308,
        INFINITY,
        -INFINITY,
        NAN,
        180,
        -180,
        90,
        -85.0511,
        16.1234567,
        46.5,
        5e-8,
        -5e-8,
        1e-320,
        4.9e-324,
        900719925,
        1e15,
        9007199254.740993,
        123456.789012345,
        20037508.342789244,
        -20037508.342789244,
    };
    unsigned s = byte(in);
    size_t n = sizeof(special) / sizeof(special[0]);
    return s < n ? special[s] : s < 128 ? (double)(int)(s - 64) / 7.0 : raw_double(in);
}

/* --- strings -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), or 0: decoded
 * here by code point, independently of text_utf8_seq(). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xE0) == 0xC0 ? 2
                 : (s[0] & 0xF0) == 0xE0 ? 3
                 : (s[0] & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (len == 0 || len > n) return 0;
    uint32_t cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

/* The input as the writer should deliver it: invalid bytes as U+FFFD. */
static char *repaired(const char *s)
{
    size_t n = strlen(s), k = 0;
    char *out = malloc(3 * n + 1);
    if (out == NULL) fuzz_fail("out of memory");
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len((const unsigned char *)s + i, n - i);
        if (len) {
            memcpy(out + k, s + i, len);
            k += len, i += len;
        } else {
            memcpy(out + k, "\xEF\xBF\xBD", 3);
            k += 3, i++;
        }
    }
    out[k] = '\0';
    return out;
}

static void check_string(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    buf_t b = BUF_INIT;
    geojson_string(&b, s);
    json_error_t jerr;
    json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY, &jerr);
    if (!json_is_string(j)) fuzz_fail("geojson_string: invalid JSON (%s): %s", jerr.text, b.data);
    char *want = repaired(s);
    if (json_string_length(j) != strlen(want) || strcmp(json_string_value(j), want) != 0)
        fuzz_fail("geojson_string: '%s' reads back as '%s'", want, json_string_value(j));
    free(want);
    json_decref(j);
    buf_free(&b);
    free(s);
}

/* --- numbers -------------------------------------------------------------- */

static json_t *parse_any(const buf_t *b, const char *what)
{
    json_error_t jerr;
    json_t *j = json_loadb(b->data, b->len, JSON_DECODE_ANY, &jerr);
    if (j == NULL) fuzz_fail("%s: invalid JSON (%s): %s", what, jerr.text, b->data);
    return j;
}

static void check_number(input_t *in)
{
    double v = byte(in) & 1 ? coordinate(in) : raw_double(in);
    buf_t b = BUF_INIT;
    geojson_number(&b, v);
    json_t *j = parse_any(&b, "geojson_number");
    if (!isfinite(v)) {
        if (!json_is_null(j)) fuzz_fail("geojson_number(%g) = %s", v, b.data);
    } else if (!json_is_number(j) || json_number_value(j) != v || strtod(b.data, NULL) != v) {
        fuzz_fail("geojson_number(%.17g) = %s reads back as %.17g", v, b.data,
                  json_number_value(j));
    }
    json_decref(j);
    buf_free(&b);
}

/* --- geometries ----------------------------------------------------------- */

static geom_t *make_geom(input_t *in)
{
    geom_type_t type = (geom_type_t)(byte(in) % 7);
    uint32_t sizes[64], nparts = 0, npolys = 0, npoints = 0, rings[8];
    switch (type) {
    case GEOM_NONE:
        break;
    case GEOM_POINT:
        npoints = 1;
        break;
    case GEOM_MULTIPOINT:
        npoints = byte(in) % 16;
        break;
    case GEOM_LINESTRING:
        nparts = 1;
        npoints = sizes[0] = byte(in) % 16;
        break;
    case GEOM_MULTILINESTRING:
    case GEOM_POLYGON:
    case GEOM_MULTIPOLYGON:
        npolys = type == GEOM_MULTIPOLYGON ? byte(in) % 5 : type == GEOM_POLYGON;
        for (uint32_t k = 0; k < (npolys ? npolys : 1); k++) {
            rings[k] = byte(in) % 5;
            for (uint32_t r = 0; r < rings[k]; r++)
                npoints += sizes[nparts++] = byte(in) % 9;
        }
        break;
    }
    geom_t *g = geom_create(type, npoints, nparts, npolys);
    if (g == NULL) fuzz_fail("out of memory");
    for (uint32_t p = 0, at = 0; p < nparts; at += sizes[p++])
        g->part_start[p] = at;
    for (uint32_t k = 0, at = 0; k < npolys; at += rings[k++])
        g->poly_start[k] = at;
    for (uint32_t i = 0; i < 4 * npoints; i++)
        g->ll[i] = coordinate(in); /* ll and merc are one block */
    return g;
}

static void check_value(json_t *j, double v, double scale, double range, const char *text)
{
    if (!isfinite(v)) {
        if (!json_is_null(j)) fuzz_fail("%g is not null in %s", v, text);
        return;
    }
    if (!json_is_number(j)) fuzz_fail("%.17g is not a number in %s", v, text);
    double got = json_number_value(j), err = fabs(got - v);
    bool fixed = fabs(round(v * scale)) < 9007199254740992.0;
    double tol = fabs(v) <= range ? 0.5 / scale * (1 + 1e-9) + range * 1e-15
                 : fixed          ? 1 / scale + fabs(v) * 2.3e-16
                                  : 0;
    if (!(err <= tol))
        fuzz_fail("%.17g written as %.17g (off by %g, allowed %g) in %s", v, got, err, tol, text);
}

static void check_run(const geom_t *g, json_t *run, uint32_t first, uint32_t end, crs_id_t crs,
                      const char *text)
{
    if (!json_is_array(run) || json_array_size(run) != end - first)
        fuzz_fail("points %u..%u: wrong array in %s", first, end, text);
    for (uint32_t i = first; i < end; i++) {
        json_t *pos = json_array_get(run, i - first);
        if (!json_is_array(pos) || json_array_size(pos) != 2)
            fuzz_fail("position %u: not a pair in %s", i, text);
        const double *xy = crs == CRS_EPSG3857 ? g->merc : g->ll;
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (crs == CRS_EPSG4326) x = xy[2 * i + 1], y = xy[2 * i];
        double scale = crs == CRS_EPSG3857 ? 1e2 : 1e7;
        double range = crs == CRS_EPSG3857 ? 2.1e7 : 180;
        check_value(json_array_get(pos, 0), x, scale, range, text);
        check_value(json_array_get(pos, 1), y, scale, range, text);
    }
}

static void check_parts(const geom_t *g, json_t *parts, uint32_t first, uint32_t end, crs_id_t crs,
                        const char *text)
{
    if (!json_is_array(parts) || json_array_size(parts) != end - first)
        fuzz_fail("parts %u..%u: wrong array in %s", first, end, text);
    for (uint32_t p = first; p < end; p++)
        check_run(g, json_array_get(parts, p - first), g->part_start[p], g->part_start[p + 1], crs,
                  text);
}

static void check_geometry(input_t *in)
{
    crs_id_t crs = (crs_id_t)(byte(in) % 3);
    geom_t *g = make_geom(in);
    buf_t b = BUF_INIT;
    geojson_geometry(&b, g, crs);
    json_t *j = parse_any(&b, "geojson_geometry");
    json_t *c = json_object_get(j, "coordinates");
    const char *type = json_string_value(json_object_get(j, "type"));
    if (type == NULL || strcmp(type, geom_type_name(g->type)) != 0 || !json_is_array(c))
        fuzz_fail("not a %s geometry: %s", geom_type_name(g->type), b.data);
    switch (g->type) {
    case GEOM_NONE:
        if (json_array_size(c) != 0) fuzz_fail("coordinates of nothing: %s", b.data);
        break;
    case GEOM_POINT: {
        json_t *wrap = json_pack("[O]", c);
        check_run(g, wrap, 0, 1, crs, b.data);
        json_decref(wrap);
        break;
    }
    case GEOM_MULTIPOINT:
        check_run(g, c, 0, g->npoints, crs, b.data);
        break;
    case GEOM_LINESTRING:
        check_run(g, c, g->part_start[0], g->part_start[1], crs, b.data);
        break;
    case GEOM_MULTILINESTRING:
    case GEOM_POLYGON:
        check_parts(g, c, 0, g->nparts, crs, b.data);
        break;
    case GEOM_MULTIPOLYGON:
        if (json_array_size(c) != g->npolys) fuzz_fail("wrong polygon count: %s", b.data);
        for (uint32_t k = 0; k < g->npolys; k++)
            check_parts(g, json_array_get(c, k), g->poly_start[k], g->poly_start[k + 1], crs,
                        b.data);
        break;
    }
    json_decref(j);
    buf_free(&b);
    geom_destroy(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    input_t in = {data + 1, size - 1};
    switch (data[0] % 3) {
    case 0:
        check_string(data + 1, size - 1);
        break;
    case 1:
        check_number(&in);
        break;
    case 2:
        check_geometry(&in);
        break;
    }
    return 0;
}
