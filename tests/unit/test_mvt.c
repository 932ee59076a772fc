/* The vector tile encoder, decoded with libprotobuf-c: layers and their
 * fields, feature ids, geometry commands, exterior rings clockwise on
 * screen (positive area), everything within the extent and its buffer,
 * empty tiles, and towns exactly where their coordinates say. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <mvt.pb-c.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "render/mvt.h"
#include "render/tile.h"
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

static VectorTile__Tile *encode(tile_t t)
{
    unsigned char *data = NULL;
    size_t len = 0;
    error_t err = {0};
    assert_int_equal(mvt_tile(ds, TILE_GRID_MERCATOR, t, NULL, &data, &len, &err), ERR_OK);
    if (len == 0) return NULL;
    VectorTile__Tile *tile = vector_tile__tile__unpack(NULL, len, data);
    free(data);
    assert_non_null(tile);
    return tile;
}

static int32_t unzig(uint32_t v)
{
    return (int32_t)(v >> 1) ^ -(int32_t)(v & 1);
}

/* Walks a feature's commands: each ring's points (x, y pairs) and count,
 * passed to fn; checks the command stream is well formed. */
typedef void (*ring_fn)(const int32_t *xy, size_t n, void *arg);
static void walk(const VectorTile__Tile__Feature *f, ring_fn fn, void *arg)
{
    int32_t x = 0, y = 0, pts[2 * 20000];
    size_t n = 0;
    for (size_t i = 0; i < f->n_geometry;) {
        uint32_t id = f->geometry[i] & 7, count = f->geometry[i] >> 3;
        i++;
        assert_true(id == 1 || id == 2 || id == 7);
        if (id == 7) {
            assert_int_equal(count, 1);
            fn(pts, n, arg);
            n = 0;
            continue;
        }
        if (id == 1 && f->type != VECTOR_TILE__TILE__GEOM_TYPE__POINT) {
            if (n && f->type == VECTOR_TILE__TILE__GEOM_TYPE__LINESTRING) fn(pts, n, arg);
            n = 0;
        }
        for (uint32_t k = 0; k < count; k++, i += 2) {
            assert_true(i + 1 < f->n_geometry + 1);
            x += unzig(f->geometry[i]);
            y += unzig(f->geometry[i + 1]);
            assert_true(x >= -MVT_BUFFER && x <= MVT_EXTENT + MVT_BUFFER);
            assert_true(y >= -MVT_BUFFER && y <= MVT_EXTENT + MVT_BUFFER);
            assert_true(n < 20000);
            pts[2 * n] = x;
            pts[2 * n + 1] = y;
            n++;
        }
    }
    if (n && f->type != VECTOR_TILE__TILE__GEOM_TYPE__POLYGON) fn(pts, n, arg);
}

typedef struct rings {
    int exterior, holes;
} rings_t;

static void count_ring(const int32_t *p, size_t n, void *arg)
{
    rings_t *r = arg;
    int64_t a = 0;
    assert_true(n >= 3);
    for (size_t i = 0, j = n - 1; i < n; j = i++)
        a += (int64_t)p[2 * j] * p[2 * i + 1] - (int64_t)p[2 * i] * p[2 * j + 1];
    assert_true(a != 0);
    if (a > 0)
        r->exterior++;
    else
        r->holes++;
}

static const VectorTile__Tile__Layer *find_layer(const VectorTile__Tile *t, const char *name)
{
    for (size_t i = 0; i < t->n_layers; i++)
        if (strcmp(t->layers[i]->name, name) == 0) return t->layers[i];
    return NULL;
}

static void test_layers_and_polygons(void **state)
{
    (void)state;
    VectorTile__Tile *t = encode((tile_t){9, 278, 180});
    assert_non_null(t);
    const VectorTile__Tile__Layer *regions = find_layer(t, "regions");
    assert_non_null(regions);
    assert_non_null(find_layer(t, "towns"));
    for (size_t i = 0; i < t->n_layers; i++) {
        assert_int_equal(t->layers[i]->version, 2);
        assert_int_equal(t->layers[i]->extent, MVT_EXTENT);
    }
    assert_string_equal(regions->keys[regions->n_keys - 1], "id");
    for (size_t i = 0; i < regions->n_features; i++) {
        const VectorTile__Tile__Feature *f = regions->features[i];
        assert_true(f->has_id && f->id > 0);
        assert_int_equal(f->type, VECTOR_TILE__TILE__GEOM_TYPE__POLYGON);
        assert_true(f->n_tags % 2 == 0);
        for (size_t k = 0; k < f->n_tags; k += 2) {
            assert_true(f->tags[k] < regions->n_keys);
            assert_true(f->tags[k + 1] < regions->n_values);
        }
        rings_t r = {0};
        walk(f, count_ring, &r);
        assert_true(r.exterior >= 1); /* every polygon starts with one, clockwise */
        if (i > 0) assert_true(f->id != regions->features[i - 1]->id);
    }
    vector_tile__tile__free_unpacked(t, NULL);
}

static void test_towns_where_they_are(void **state)
{
    (void)state;
    tile_t tt = {10, 557, 361};
    VectorTile__Tile *t = encode(tt);
    const VectorTile__Tile__Layer *towns = find_layer(t, "towns");
    assert_non_null(towns);
    const layer_t *src = dataset_find_layer(ds, "towns");
    bbox_t m = tile_bounds_merc(tt);
    double scale = MVT_EXTENT / (m.maxx - m.minx);
    size_t inside = 0;
    for (size_t i = 0; i < src->nfeatures; i++) {
        const double *p = src->features[i].geom->merc;
        double x = (p[0] - m.minx) * scale, y = (m.maxy - p[1]) * scale;
        if (x < 0 || x > MVT_EXTENT || y < 0 || y > MVT_EXTENT) continue;
        inside++;
        const VectorTile__Tile__Feature *f = NULL;
        for (size_t k = 0; k < towns->n_features; k++)
            if (towns->features[k]->id == i + 1) f = towns->features[k];
        assert_non_null(f);
        assert_int_equal(f->n_geometry, 3); /* MoveTo(1) x y */
        assert_int_equal(f->geometry[0], (1 << 3) | 1);
        assert_near(unzig(f->geometry[1]), x, 0.5);
        assert_near(unzig(f->geometry[2]), y, 0.5);
    }
    assert_true(inside > 0);
    vector_tile__tile__free_unpacked(t, NULL);
}

static void test_empty_tile(void **state)
{
    (void)state;
    unsigned char *data = (unsigned char *)"x";
    size_t len = 99;
    error_t err = {0};
    assert_int_equal(mvt_tile(ds, TILE_GRID_MERCATOR, (tile_t){10, 0, 0}, NULL, &data, &len, &err),
                     ERR_OK);
    assert_null(data);
    assert_int_equal(len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers_and_polygons),
        cmocka_unit_test(test_towns_where_they_are),
        cmocka_unit_test(test_empty_tile),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
