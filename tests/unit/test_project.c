/* Project files: parsing, path resolution, and clear errors. */
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

static void test_default_project(void **state)
{
    (void)state;
    project_t *p = NULL;
    error_t err = {0};
    assert_int_equal(project_load(geodata_path("coopmap.json"), &p, &err), ERR_OK);
    assert_int_equal(p->nlayers, 5);
    assert_non_null(p->network);
    assert_string_equal(p->network->model, "mst");
    assert_string_equal(p->network->ties, "ties");
    assert_string_equal(p->layers[0].id, "towns");
    assert_string_equal(p->layers[1].id_field, "code");
    /* Relative sources resolve against the project file's directory. */
    assert_string_equal(p->layers[0].source, geodata_path("cities.geojson"));
    assert_non_null(strstr(p->attribution, "EuroGeographics"));
    project_destroy(p);
}

static void expect_error(const char *file, int code, const char *phrase)
{
    project_t *p = (project_t *)1;
    error_t err = {0};
    assert_int_equal(project_load(fixture_path(file), &p, &err), code);
    assert_null(p);
    if (strstr(err.message, file) == NULL || strstr(err.message, phrase) == NULL)
        fail_msg("message for %s lacks '%s': %s", file, phrase, err.message);
}

static void test_bad_projects(void **state)
{
    (void)state;
    expect_error("no-such-project.json", ERR_IO, "cannot open project file");
    expect_error("project-badjson.json", ERR_FORMAT, "invalid JSON");
    expect_error("project-nolayers.json", ERR_INVALID, "\"layers\" must be a non-empty array");
    expect_error("project-dupid.json", ERR_DUPLICATE, "layer id 'towns' is used twice");
    expect_error("project-badid.json", ERR_INVALID, "\"id\" must be lower-case");
}

/* All or nothing: one bad layer and no dataset at all. */
static void test_dataset_all_or_nothing(void **state)
{
    (void)state;
    project_t *p = NULL;
    dataset_t *ds = (dataset_t *)1;
    error_t err = {0};
    assert_int_equal(project_load(fixture_path("project-onebad.json"), &p, &err), ERR_OK);
    assert_int_equal(dataset_load(p, &ds, &err), ERR_EMPTY);
    assert_null(ds);
    assert_non_null(strstr(err.message, "empty.geojson"));
    project_destroy(p);
}

static void test_dataset_version_is_content_hash(void **state)
{
    (void)state;
    project_t *p = NULL;
    dataset_t *a = NULL, *b = NULL, *c = NULL;
    error_t err = {0};
    assert_int_equal(project_load(fixture_path("project-sample.json"), &p, &err), ERR_OK);
    assert_int_equal(dataset_load(p, &a, &err), ERR_OK);
    assert_int_equal(dataset_load(p, &b, &err), ERR_OK);
    assert_string_equal(dataset_version(a), dataset_version(b));
    assert_int_equal(strlen(dataset_version(a)), 16);
    /* Same towns, other CRS in the file: coordinates differ in the last bits. */
    free(p->layers[0].source);
    p->layers[0].source = strdup(fixture_path("towns-3035.geojson"));
    free(p->layers[0].layer);
    p->layers[0].layer = NULL;
    assert_int_equal(dataset_load(p, &c, &err), ERR_OK);
    assert_string_not_equal(dataset_version(a), dataset_version(c));
    assert_non_null(dataset_find_layer(a, "towns"));
    assert_null(dataset_find_layer(a, "nope"));
    dataset_unref(a);
    dataset_unref(b);
    dataset_unref(c);
    project_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_project),
        cmocka_unit_test(test_bad_projects),
        cmocka_unit_test(test_dataset_all_or_nothing),
        cmocka_unit_test(test_dataset_version_is_content_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
