/* Loading through OGR: counts, typed attributes, UTF-8, reprojection, and
 * one clear message for every kind of bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "data/layer.h"
#include "data/source.h"
#include "testutil.h"

static int load(const char *file, const char *layer, const char *id_field, layer_t **out,
                error_t *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", fixture_path(file));
    layer_spec_t spec = {.id = "test",
                         .title = "Test",
                         .source = path,
                         .layer = (char *)layer,
                         .id_field = (char *)id_field};
    return source_load(&spec, out, err);
}

static const value_t *value(const layer_t *l, const feature_t *f, const char *field)
{
    int i = layer_field_index(l, field);
    assert_true(i >= 0);
    return &f->values[i];
}

static void test_loads_typed_attributes(void **state)
{
    (void)state;
    layer_t *l = NULL;
    error_t err = {0};
    assert_int_equal(load("towns-sample.geojson", "towns", "code", &l, &err), ERR_OK);
    assert_int_equal(l->nfeatures, 3);
    assert_int_equal(l->geom_type, GEOM_POINT);
    assert_string_equal(l->source_crs, "EPSG:4326");
    assert_int_equal(l->fields[layer_field_index(l, "population")].type, FIELD_INTEGER);
    assert_int_equal(l->fields[layer_field_index(l, "share")].type, FIELD_REAL);
    assert_int_equal(l->fields[layer_field_index(l, "name")].type, FIELD_STRING);

    const feature_t *orm = layer_find(l, "SI-ORM");
    assert_non_null(orm);
    assert_string_equal(value(l, orm, "name")->u.s, "Ormož");
    assert_int_equal(value(l, orm, "population")->u.i, 2104);
    assert_true(value(l, orm, "note")->is_null);
    assert_near(orm->geom->ll[0], 16.15437, 1e-12);
    assert_near(orm->geom->ll[1], 46.41139, 1e-12);

    const feature_t *ori = layer_find(l, "HU-ORI");
    assert_non_null(ori);
    assert_string_equal(value(l, ori, "name")->u.s, "Őriszentpéter");
    assert_near(value(l, ori, "share")->u.r, 0.5, 0);
    assert_string_equal(value(l, layer_find(l, "AT-FUR"), "name")->u.s, "Fürstenfeld");
    assert_null(layer_find(l, "XX"));
    layer_destroy(l);
}

static void test_fid_ids_and_attribute_subset(void **state)
{
    (void)state;
    layer_t *l = NULL;
    error_t err = {0};
    char path[4096];
    snprintf(path, sizeof(path), "%s", fixture_path("towns-sample.geojson"));
    char *attrs[] = {"name", "population"};
    layer_spec_t spec = {.id = "t", .source = path, .attributes = attrs, .nattributes = 2};
    assert_int_equal(source_load(&spec, &l, &err), ERR_OK);
    assert_int_equal(l->nfields, 2);
    assert_string_equal(l->fields[0].name, "name");
    assert_string_equal(l->fields[1].name, "population");
    assert_string_equal(l->features[0].id, "0");
    assert_string_equal(l->features[2].id, "2");
    layer_destroy(l);

    char *bad[] = {"name", "elevation"};
    spec.attributes = bad;
    assert_int_equal(source_load(&spec, &l, &err), ERR_NOTFOUND);
    assert_null(l);
    assert_non_null(strstr(err.message, "attribute 'elevation' does not exist"));
}

/* The same towns stored in EPSG:3035 (LAEA Europe) load to the same lon/lat. */
static void test_reprojects_from_laea(void **state)
{
    (void)state;
    layer_t *ll = NULL, *laea = NULL;
    error_t err = {0};
    assert_int_equal(load("towns-sample.geojson", NULL, "code", &ll, &err), ERR_OK);
    assert_int_equal(load("towns-3035.geojson", NULL, "code", &laea, &err), ERR_OK);
    assert_string_equal(laea->source_crs, "EPSG:3035");
    assert_int_equal(laea->nfeatures, ll->nfeatures);
    for (size_t i = 0; i < ll->nfeatures; i++) {
        const feature_t *a = &ll->features[i];
        const feature_t *b = layer_find(laea, a->id);
        assert_non_null(b);
        /* cs2cs wrote the fixture with 0.1 mm; 1e-8 degrees is about 1 mm. */
        assert_near(a->geom->ll[0], b->geom->ll[0], 1e-8);
        assert_near(a->geom->ll[1], b->geom->ll[1], 1e-8);
        assert_near(a->geom->merc[0], b->geom->merc[0], 1e-3);
        assert_near(a->geom->merc[1], b->geom->merc[1], 1e-3);
    }
    layer_destroy(ll);
    layer_destroy(laea);
}

static void test_repairs_invalid_polygon(void **state)
{
    (void)state;
    layer_t *l = NULL;
    error_t err = {0};
    assert_int_equal(load("bowtie.geojson", NULL, "code", &l, &err), ERR_OK);
    const feature_t *sq = layer_find(l, "square");
    /* Written clockwise; stored counter-clockwise as RFC 7946 asks. */
    assert_int_equal(sq->geom->type, GEOM_POLYGON);
    assert_true(geom_ring_area(sq->geom->ll, sq->geom->npoints) > 0);
    assert_near(geom_ring_area(sq->geom->ll, sq->geom->npoints), 1.0, 1e-12);
    /* The bow tie becomes two valid triangles of a quarter degree² each. */
    const feature_t *bt = layer_find(l, "bowtie");
    assert_int_equal(bt->geom->type, GEOM_MULTIPOLYGON);
    assert_int_equal(bt->geom->npolys, 2);
    double total = 0;
    for (uint32_t p = 0; p < bt->geom->nparts; p++) {
        uint32_t first = bt->geom->part_start[p];
        double a = geom_ring_area(bt->geom->ll + 2 * first, bt->geom->part_start[p + 1] - first);
        assert_true(a > 0);
        total += a;
    }
    assert_near(total, 0.5, 1e-12);
    assert_true(geom_contains_point(bt->geom, 16.1, 46.5));
    assert_true(geom_contains_point(bt->geom, 16.9, 46.5));
    assert_false(geom_contains_point(bt->geom, 16.5, 46.2));
    layer_destroy(l);
}

/* Each bad input: the status, and a message naming the file and problem. */
static void expect_failure(const char *file, const char *layer, const char *id_field, int code,
                           const char *phrase)
{
    layer_t *l = (layer_t *)1;
    error_t err = {0};
    assert_int_equal(load(file, layer, id_field, &l, &err), code);
    assert_null(l);
    if (strstr(err.message, file) == NULL || strstr(err.message, phrase) == NULL)
        fail_msg("message for %s lacks '%s': %s", file, phrase, err.message);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    expect_failure("no-such-file.geojson", NULL, NULL, ERR_IO, "missing file");
    expect_failure("towns-sample.geojson", "nope", NULL, ERR_NOTFOUND,
                   "unknown layer; the source has: towns");
    expect_failure("garbage.geojson", NULL, NULL, ERR_FORMAT, "unreadable format");
    expect_failure("nocrs.vrt", NULL, NULL, ERR_CRS, "no CRS");
    expect_failure("dups.geojson", NULL, "code", ERR_DUPLICATE, "duplicate feature id 'SI031'");
    expect_failure("empty.geojson", NULL, NULL, ERR_EMPTY, "empty layer");
    expect_failure("nullid.geojson", NULL, "code", ERR_INVALID, "no value in id field 'code'");
    expect_failure("towns-sample.geojson", NULL, "serial", ERR_NOTFOUND,
                   "id field 'serial' does not exist");
    /* Coordinates are checked before anything else looks at them. */
    expect_failure("coord-huge.geojson", NULL, "code", ERR_GEOMETRY,
                   "feature 1: coordinate (1e+308, 46.5) in lon/lat is outside lon -180..180");
    expect_failure("coord-lat.geojson", NULL, NULL, ERR_GEOMETRY,
                   "feature 1: coordinate (15.87, 95) in lon/lat is outside");
    expect_failure("coord-far-3035.geojson", NULL, NULL, ERR_GEOMETRY,
                   "far outside the area where the layer's CRS is valid");
}

/* Strings that are not UTF-8 are kept with U+FFFD for the bad bytes. */
static void test_repairs_bad_text(void **state)
{
    (void)state;
    layer_t *l = NULL;
    error_t err = {0};
    assert_int_equal(load("latin2.vrt", NULL, "code", &l, &err), ERR_OK);
    assert_string_equal(value(l, layer_find(l, "A"), "name")->u.s, "Ormo\xef\xbf\xbd");
    assert_string_equal(value(l, layer_find(l, "B"), "name")->u.s, "Lendava");
    layer_destroy(l);
}

/* Passwords never leave a connection string: libpq's key=value form,
 * quoted with escapes or not, and a URI's user:password@. */
static void test_redacts_passwords(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"PG:host=db dbname=geo user=u password=s3cret port=5432",
         "PG:host=db dbname=geo user=u password=*** port=5432"},
        {"PG:password = 'two words \\' quoted' dbname=geo", "PG:password=*** dbname=geo"},
        {"PG:dbname=geo PASSWORD=x", "PG:dbname=geo password=***"},
        {"PG:postgresql://u:s3cret@db/geo", "PG:postgresql://u:***@db/geo"},
        {"postgresql://u@db/geo", "postgresql://u@db/geo"},
        {"geodata/cities.geojson", "geodata/cities.geojson"},
        {"PG:dbname=geo password=", "PG:dbname=geo password=***"},
    };
    char out[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        source_redact(cases[i][0], out, sizeof(out));
        assert_string_equal(out, cases[i][1]);
        assert_null(strstr(out, "s3cret"));
    }
    source_redact("PG:password=abcdefgh dbname=geo", out, 8); /* cut, still NUL-ended */
    assert_int_equal(strlen(out), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_typed_attributes),
        cmocka_unit_test(test_fid_ids_and_attribute_subset),
        cmocka_unit_test(test_reprojects_from_laea),
        cmocka_unit_test(test_repairs_invalid_polygon),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_repairs_bad_text),
        cmocka_unit_test(test_redacts_passwords),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
