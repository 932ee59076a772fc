/* CQL2 (data/cql2*.c) on a small layer: three-valued logic with nulls,
 * LIKE's wildcards and escapes, CASEI/ACCENTI, BETWEEN/IN, the spatial
 * predicates of data/geom_relate.c, the JSON encoding agreeing with the
 * text one, and errors that name their position, within the limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/cql2.h"
#include "data/geom.h"
#include "data/layer.h"
#include "testutil.h"

static layer_t *layer;

/* name, n (integer, may be NULL), point */
static const struct {
    const char *name;
    int n; /* -1: NULL */
    double lon, lat;
} rows[] = {{"Ormož", 5, 16.15, 46.41},
            {"Ptuj", 18, 15.87, 46.42},
            {"Lendava", -1, 16.45, 46.56},
            {"50%_off", 0, 10, 10},
            {"ORMOŽ", 7, 16.16, 46.40}};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int setup(void **state)
{
    (void)state;
    layer = layer_create("t", NULL, NULL);
    layer_add_field(layer, "name", FIELD_STRING);
    layer_add_field(layer, "n", FIELD_INTEGER);
    for (size_t i = 0; i < NROWS; i++) {
        value_t *v = calloc(2, sizeof(value_t));
        v[0].u.s = strdup(rows[i].name);
        v[1].is_null = rows[i].n < 0;
        v[1].u.i = rows[i].n;
        geom_t *g = geom_create(GEOM_POINT, 1, 0, 0);
        g->ll[0] = rows[i].lon, g->ll[1] = rows[i].lat;
        char id[8];
        snprintf(id, sizeof(id), "%zu", i);
        assert_int_equal(layer_add_feature(layer, strdup(id), g, v), ERR_OK);
    }
    error_t err = {0};
    assert_int_equal(layer_finish(layer, &err), ERR_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    layer_destroy(layer);
    return 0;
}

/* The selected rows as a bit mask. */
static unsigned run(const char *text, cql2_lang_t lang)
{
    cql2_t *f = NULL;
    error_t err = {0};
    int rc = cql2_parse(text, lang, layer, CRS_CRS84, &f, &err);
    if (rc != ERR_OK) fail_msg("%s: %s", text, err.message);
    unsigned mask = 0;
    for (uint32_t i = 0; i < NROWS; i++)
        if (cql2_match(f, i)) mask |= 1u << i;
    cql2_free(f);
    return mask;
}

static void test_logic(void **state)
{
    (void)state;
    assert_int_equal(run("n > 5", CQL2_TEXT), 0x2 | 0x10);
    assert_int_equal(run("NOT n > 5", CQL2_TEXT), 0x1 | 0x8); /* Lendava's NULL: unknown */
    assert_int_equal(run("n > 5 OR n IS NULL", CQL2_TEXT), 0x2 | 0x4 | 0x10);
    assert_int_equal(run("n IS NOT NULL AND NOT (n = 0)", CQL2_TEXT), 0x1 | 0x2 | 0x10);
    assert_int_equal(run("n BETWEEN 5 AND 7", CQL2_TEXT), 0x1 | 0x10);
    assert_int_equal(run("n NOT IN (5, 18)", CQL2_TEXT), 0x8 | 0x10);
    assert_int_equal(run("TRUE AND (n < 1 OR FALSE)", CQL2_TEXT), 0x8);
    assert_int_equal(run("n = n", CQL2_TEXT), 0x1 | 0x2 | 0x8 | 0x10); /* property-property */
    assert_int_equal(run("TRUE", CQL2_TEXT), 0x1f); /* a literal as the whole filter */
    assert_int_equal(run("n > 5 OR FALSE", CQL2_TEXT), 0x2 | 0x10);
    assert_int_equal(run("true", CQL2_JSON), 0x1f);
    assert_int_equal(run("{\"op\":\"not\",\"args\":[false]}", CQL2_JSON), 0x1f);
}

static void test_strings(void **state)
{
    (void)state;
    assert_int_equal(run("name LIKE 'P%'", CQL2_TEXT), 0x2);
    assert_int_equal(run("name LIKE 'Orm_ž'", CQL2_TEXT), 0x1); /* _ is one character */
    assert_int_equal(run("name LIKE '50\\%\\_%'", CQL2_TEXT), 0x8);
    assert_int_equal(run("name LIKE '50%'", CQL2_TEXT), 0x8);
    assert_int_equal(run("CASEI(name) = CASEI('ormož')", CQL2_TEXT), 0x1 | 0x10);
    assert_int_equal(run("ACCENTI(name) = ACCENTI('Ormoz')", CQL2_TEXT), 0x1);
    assert_int_equal(run("ACCENTI(CASEI(name)) = 'ormoz'", CQL2_TEXT), 0x1 | 0x10);
    assert_int_equal(run("name = 'It''s'", CQL2_TEXT), 0);
    assert_int_equal(run("\"name\" IN ('Ptuj', 'Lendava')", CQL2_TEXT), 0x2 | 0x4);
}

static void test_spatial(void **state)
{
    (void)state;
    assert_int_equal(run("S_INTERSECTS(geometry, BBOX(15, 46, 17, 47))", CQL2_TEXT), 0x17);
    assert_int_equal(run("S_DISJOINT(geometry, BBOX(15, 46, 17, 47))", CQL2_TEXT), 0x8);
    assert_int_equal(
        run("S_WITHIN(geometry, POLYGON((16 46, 17 46, 17 47, 16 47, 16 46)))", CQL2_TEXT),
        0x1 | 0x4 | 0x10);
    assert_int_equal(run("S_INTERSECTS(geometry, POINT(15.87 46.42))", CQL2_TEXT), 0x2);
    assert_int_equal(run("S_INTERSECTS(geometry, LINESTRING(15.87 46.0, 15.87 47.0))", CQL2_TEXT),
                     0x2); /* a point on the line */
    assert_int_equal(
        run("S_INTERSECTS(geometry, MULTIPOLYGON(((9 9, 11 9, 11 11, 9 11, 9 9)), ((15.8 46.4, "
            "15.9 46.4, 15.9 46.5, 15.8 46.5, 15.8 46.4))))",
            CQL2_TEXT),
        0x2 | 0x8);
    /* a later part of a literal holds the point (the first is far away) */
    assert_int_equal(run("S_INTERSECTS(BBOX(15.8, 46.4, 15.9, 46.5), geometry)", CQL2_TEXT), 0x2);
    assert_int_equal(
        run("S_CONTAINS(MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((15.8 46.4, 15.9 46.4, 15.9 "
            "46.5, 15.8 46.5, 15.8 46.4))), geometry)",
            CQL2_TEXT),
        0x2);
    assert_int_equal(run("S_CONTAINS(BBOX(15, 46, 17, 47), geometry) AND n > 6", CQL2_TEXT),
                     0x2 | 0x10);
    bbox_t box;
    cql2_t *f = NULL;
    assert_int_equal(cql2_parse("n > 1 AND S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))", CQL2_TEXT,
                                layer, CRS_CRS84, &f, NULL),
                     ERR_OK);
    assert_true(cql2_bbox(f, &box) && box.minx == 1 && box.maxy == 4); /* for the index */
    cql2_free(f);
    assert_int_equal(cql2_parse("n > 1 OR S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))", CQL2_TEXT,
                                layer, CRS_CRS84, &f, NULL),
                     ERR_OK);
    assert_false(cql2_bbox(f, &box)); /* OR: every feature may match */
    cql2_free(f);
}

static void test_json_agrees(void **state)
{
    (void)state;
    assert_int_equal(
        run("{\"op\":\"and\",\"args\":[{\"op\":\">\",\"args\":[{\"property\":\"n\"},5]},"
            "{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geometry\"},"
            "{\"bbox\":[15,46,17,47]}]}]}",
            CQL2_JSON),
        run("n > 5 AND S_INTERSECTS(geometry, BBOX(15,46,17,47))", CQL2_TEXT));
    assert_int_equal(
        run("{\"op\":\"in\",\"args\":[{\"property\":\"name\"},[\"Ptuj\",\"x\"]]}", CQL2_JSON), 0x2);
    assert_int_equal(
        run("{\"op\":\"like\",\"args\":[{\"op\":\"casei\",\"args\":[{\"property\":\"name\"}]},"
            "\"orm%\"]}",
            CQL2_JSON),
        0x1 | 0x10);
    assert_int_equal(run("{\"op\":\"isNull\",\"args\":[{\"property\":\"n\"}]}", CQL2_JSON), 0x4);
    assert_int_equal(
        run("{\"op\":\"s_within\",\"args\":[{\"property\":\"geometry\"},{\"type\":"
            "\"Polygon\",\"coordinates\":[[[16,46],[17,46],[17,47],[16,47],[16,46]]]}]}",
            CQL2_JSON),
        0x1 | 0x4 | 0x10);
}

/* Refused with ERR_INVALID and a message holding want. */
static void refused(const char *text, cql2_lang_t lang, const char *want)
{
    cql2_t *f = NULL;
    error_t err = {0};
    if (cql2_parse(text, lang, layer, CRS_CRS84, &f, &err) == ERR_OK)
        fail_msg("accepted: %s", text);
    assert_null(f);
    assert_int_equal(err.code, ERR_INVALID);
    if (strstr(err.message, want) == NULL) fail_msg("%s: '%s' lacks '%s'", text, err.message, want);
}

static void test_errors(void **state)
{
    (void)state;
    refused("n > 5 ANDD n < 3", CQL2_TEXT, "at 7 near 'ANDD'");
    refused("(n > 5", CQL2_TEXT, "at 7 (the end)");
    refused("name = 'open", CQL2_TEXT, "at 8");
    refused("nope = 1", CQL2_TEXT, "unknown property 'nope'");
    refused("nope = 1", CQL2_TEXT, "/collections/t/queryables");
    refused("n = 'x'", CQL2_TEXT, "cannot compare a number with a string");
    refused("n BETWEEN 1 2", CQL2_TEXT, "expected AND in BETWEEN");
    refused("n IN 1, 2", CQL2_TEXT, "expected '('");
    refused("S_TOUCHES(geometry, POINT(1 2))", CQL2_TEXT, "not supported");
    refused("FOO(n) = 1", CQL2_TEXT, "unknown function");
    refused("S_INTERSECTS(geometry, POLYGON((1 2, 3 4)))", CQL2_TEXT, "a ring needs 3 points");
    refused("S_INTERSECTS(geometry, POINT(1 2 3))", CQL2_TEXT, "only 2D");
    refused("n > 1e999", CQL2_TEXT, "at 5");
    refused("Ormož = 1", CQL2_TEXT, "unknown property 'Ormož'");
    refused("x = 1 AND ž > ", CQL2_TEXT, "at 15 (the end)"); /* characters, not bytes */
    refused("", CQL2_TEXT, "empty");
    refused("n", CQL2_TEXT, "expected a comparison");
    refused("{\"op\":\"and\",\"args\":{}}", CQL2_JSON, "must be an array");
    refused("{\"op\":\"t_before\",\"args\":[1,2]}", CQL2_JSON, "not supported");
    refused("[1,", CQL2_JSON, "not JSON");
    char deep[400];
    memset(deep, '(', 200);
    strcpy(deep + 200, "n > 1");
    refused(deep, CQL2_TEXT, "nested deeper than 64");
    size_t big = 5000 * 8;
    char *many = malloc(big + 16);
    strcpy(many, "n = 1");
    for (int i = 0; i < 5000; i++)
        strcat(many, " OR n=1");
    refused(many, CQL2_TEXT, "more than 4096 terms");
    free(many);
}

static geom_t *polygon_parts(const double *const *rings, uint32_t nrings)
{
    geom_t *g = geom_create(GEOM_MULTIPOLYGON, 5 * nrings, nrings, nrings);
    for (uint32_t r = 0; r < nrings; r++) {
        memcpy(g->ll + 10 * r, rings[r], 10 * sizeof(double));
        g->part_start[r] = 5 * r;
        g->poly_start[r] = r;
    }
    geom_update_bbox(g);
    return g;
}

/* Polygons and lines against multi-part literals: a part that lies
 * wholly inside, with no edges meeting, counts wherever it comes. */
static void test_parts_inside(void **state)
{
    (void)state;
    static const double big[] = {10, 10, 20, 10, 20, 20, 10, 20, 10, 10};
    static const double far[] = {0, 0, 1, 0, 1, 1, 0, 1, 0, 0};
    static const double small[] = {14, 14, 15, 14, 15, 15, 14, 15, 14, 14};
    const double *one[] = {big}, *two[] = {far, small}, *swapped[] = {small, far};
    geom_t *a = polygon_parts(one, 1), *b = polygon_parts(two, 2), *c = polygon_parts(swapped, 2);
    assert_true(geom_intersects(a, b) && geom_intersects(b, a));
    assert_true(geom_intersects(a, c) && geom_intersects(c, a));
    geom_t *line = geom_create(GEOM_MULTILINESTRING, 4, 2, 0);
    double xy[] = {0, 0, 1, 1, 14, 14.5, 15, 14.5};
    memcpy(line->ll, xy, sizeof(xy));
    line->part_start[1] = 2;
    geom_update_bbox(line);
    assert_true(geom_intersects(a, line) && geom_intersects(line, a));
    geom_destroy(a);
    geom_destroy(b);
    geom_destroy(c);
    geom_destroy(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logic),   cmocka_unit_test(test_strings),
        cmocka_unit_test(test_spatial), cmocka_unit_test(test_json_agrees),
        cmocka_unit_test(test_errors),  cmocka_unit_test(test_parts_inside),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
