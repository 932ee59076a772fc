/* The shipped default data: the 24 towns of City Cooperation, each inside
 * its own NUTS-3 region and its country. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/project.h"
#include "testutil.h"

static dataset_t *ds;

static int setup(void **state)
{
    (void)state;
    ds = load_default_dataset();
    return ds ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dataset_unref(ds);
    return 0;
}

static const char *str(const layer_t *l, const feature_t *f, const char *field)
{
    int i = layer_field_index(l, field);
    assert_true(i >= 0);
    return f->values[i].is_null ? NULL : f->values[i].u.s;
}

/* The member list as the project's partners name it (see geodata/SOURCES.md). */
static const char *members[][2] = {
    {"Bad Radkersburg", "AT"}, {"Fehring", "AT"},        {"Feldbach", "AT"}, {"Friedberg", "AT"},
    {"Fürstenfeld", "AT"},     {"Gleisdorf", "AT"},      {"Hartberg", "AT"}, {"Weiz", "AT"},
    {"Murska Sobota", "SI"},   {"Gornja Radgona", "SI"}, {"Ptuj", "SI"},     {"Lendava", "SI"},
    {"Ljutomer", "SI"},        {"Radenci", "SI"},        {"Lenart", "SI"},   {"Ormož", "SI"},
    {"Beltinci", "SI"},        {"Letenye", "HU"},        {"Lenti", "HU"},    {"Zalalövő", "HU"},
    {"Őriszentpéter", "HU"},   {"Szentgotthárd", "HU"},  {"Körmend", "HU"},  {"Vasvár", "HU"},
};

static void test_24_towns_by_country(void **state)
{
    (void)state;
    const layer_t *towns = dataset_find_layer(ds, "towns");
    assert_non_null(towns);
    assert_int_equal(towns->nfeatures, 24);
    int at = 0, si = 0, hu = 0;
    for (size_t m = 0; m < 24; m++) {
        const feature_t *hit = NULL;
        for (size_t i = 0; i < towns->nfeatures; i++)
            if (strcmp(str(towns, &towns->features[i], "name"), members[m][0]) == 0)
                hit = &towns->features[i];
        if (hit == NULL) fail_msg("town %s is missing", members[m][0]);
        const char *country = str(towns, hit, "country");
        assert_string_equal(country, members[m][1]);
        at += strcmp(country, "AT") == 0;
        si += strcmp(country, "SI") == 0;
        hu += strcmp(country, "HU") == 0;
    }
    assert_int_equal(at, 8);
    assert_int_equal(si, 9);
    assert_int_equal(hu, 7);
}

/* Finds, through the spatial index, the one feature of `layer` whose
 * polygon contains the point and whose `field` equals `level`-filter. */
static const feature_t *containing(const layer_t *layer, double lon, double lat, int level,
                                   int *count)
{
    uint32_t *ids = NULL;
    size_t n = layer_query_bbox(layer, (bbox_t){lon, lat, lon, lat}, &ids);
    int li = layer_field_index(layer, "level");
    const feature_t *found = NULL;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        const feature_t *f = &layer->features[ids[i]];
        if (f->values[li].u.i == level && geom_contains_point(f->geom, lon, lat)) {
            found = f;
            (*count)++;
        }
    }
    free(ids);
    return found;
}

static void test_towns_inside_their_regions(void **state)
{
    (void)state;
    const layer_t *towns = dataset_find_layer(ds, "towns");
    const layer_t *regions = dataset_find_layer(ds, "regions");
    const layer_t *countries = dataset_find_layer(ds, "countries");
    for (size_t i = 0; i < towns->nfeatures; i++) {
        const feature_t *t = &towns->features[i];
        double lon = t->geom->ll[0], lat = t->geom->ll[1];
        int count;
        const feature_t *r3 = containing(regions, lon, lat, 3, &count);
        if (count != 1 || strcmp(r3->id, str(towns, t, "nuts3")) != 0)
            fail_msg("%s is in %d NUTS-3 regions (%s), expected only %s", str(towns, t, "name"),
                     count, r3 ? r3->id : "none", str(towns, t, "nuts3"));
        const feature_t *r2 = containing(regions, lon, lat, 2, &count);
        assert_int_equal(count, 1);
        assert_string_equal(r2->id, str(towns, t, "nuts2"));
        const feature_t *c = containing(countries, lon, lat, 0, &count);
        assert_int_equal(count, 1);
        assert_string_equal(c->id, str(towns, t, "country"));
    }
}

static void test_all_layers_present(void **state)
{
    (void)state;
    assert_int_equal(dataset_find_layer(ds, "regions")->nfeatures, 40);
    assert_int_equal(dataset_find_layer(ds, "countries")->nfeatures, 4);
    assert_int_equal(dataset_find_layer(ds, "rivers")->nfeatures, 21);
    assert_non_null(strstr(dataset_attribution(ds), "GeoNames"));
    assert_non_null(strstr(dataset_attribution(ds), "EuroGeographics"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_24_towns_by_country),
        cmocka_unit_test(test_towns_inside_their_regions),
        cmocka_unit_test(test_all_layers_present),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
