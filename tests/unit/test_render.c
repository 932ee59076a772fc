/* Rendering: seamless tile edges, @2x density, tile bounds against PROJ,
 * and golden images per style compared per pixel with a tolerance.
 *
 * Golden files live in tests/golden/; regenerate them on purpose only,
 * with tools/update-golden (which runs this test with
 * COOPMAP_UPDATE_GOLDEN=1), and look at them before committing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/crs.h"
#include "data/dataset.h"
#include "data/project.h"
#include "api/app.h"
#include "render/render_draw.h"
#include "render/render_labels.h"
#include "testutil.h"
#include "render/tiles.h"

static dataset_t *ds, *big; /* the shipped data; 20,000 synthetic towns */
static tiles_t *tiles;
static char big_dir[] = "/tmp/coopmap-render-XXXXXX";

static int setup(void **state)
{
    (void)state;
    error_t err = {0};
    char styles[4096];
    snprintf(styles, sizeof(styles), "%s/../styles",
             getenv("COOPMAP_GEODATA") ? getenv("COOPMAP_GEODATA") : "geodata");
    tiles_config_t cfg = {styles, 16u << 20, 18};
    ds = load_default_dataset();
    int rc = ds ? tiles_create(&cfg, &tiles, &err) : ERR_IO;
    if (rc == ERR_OK) rc = tiles_check(tiles, ds, &err);
    const char *big_project = rc == ERR_OK && mkdtemp(big_dir)
                                  ? synth_project(big_dir, geodata_path(""), 20000, 3)
                                  : NULL;
    if (rc == ERR_OK) rc = big_project ? app_load(big_project, tiles, &big, &err) : ERR_IO;
    if (rc != ERR_OK) print_error("%s\n", err.message);
    return rc == ERR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tiles_destroy(tiles);
    dataset_unref(ds);
    dataset_unref(big);
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", big_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* An image surface drawn directly (no PNG round trip). */
static cairo_surface_t *draw_ds(dataset_t *d, const render_view_t *v, const style_t *style)
{
    int w = (int)(v->width * v->scale), h = (int)(v->height * v->scale);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(s);
    render_draw(cr, v, style, d, NULL);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

static cairo_surface_t *draw(const render_view_t *v, const style_t *style)
{
    return draw_ds(ds, v, style);
}

static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    const unsigned char *row =
        cairo_image_surface_get_data(s) + y * cairo_image_surface_get_stride(s);
    return ((const uint32_t *)row)[x];
}

static int channel_diff(uint32_t a, uint32_t b)
{
    int worst = 0;
    for (int shift = 0; shift < 32; shift += 8) {
        int d = abs((int)((a >> shift) & 255) - (int)((b >> shift) & 255));
        if (d > worst) worst = d;
    }
    return worst;
}

/* The four tiles of the 2x2 block at lon/lat, at zoom z, put side by side,
 * equal the same area rendered as one 512x512 image. */
static void check_seams(dataset_t *d, double lon, double lat, int z, long max_bad)
{
    const style_t *style = tiles_style(tiles, "default");
    assert_non_null(style);
    tile_t base = tile_at(lon, lat, z);
    base.x &= ~1u, base.y &= ~1u;
    render_view_t whole_view = render_tile_view(base, 1);
    whole_view.width = whole_view.height = 512;
    cairo_surface_t *whole = draw_ds(d, &whole_view, style);
    labels_item_t *labels = NULL;
    size_t nlabels = labels_list(&whole_view, style, d, &labels);
    labels_list_free(labels, nlabels);
    assert_true(nlabels > 0 && nlabels != (size_t)-1); /* there are labels to cut */
    int worst = 0;
    long differing = 0, bad = 0; /* by more than 2, 16 levels */
    for (int q = 0; q < 4; q++) {
        tile_t t = {z, base.x + (q & 1), base.y + (q >> 1)};
        render_view_t v = render_tile_view(t, 1);
        cairo_surface_t *part = draw_ds(d, &v, style);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++) {
                int dv = channel_diff(pixel(part, x, y),
                                      pixel(whole, x + 256 * (q & 1), y + 256 * (q >> 1)));
                worst = dv > worst ? dv : worst;
                differing += dv > 2;
                bad += dv > 16;
            }
        cairo_surface_destroy(part);
    }
    cairo_surface_destroy(whole);
    /* Same coordinates (snapped to cairo's 1/256 px grid, shifted by
     * whole pixels) and the same global label placement. What remains
     * is cairo choosing its compositing path by each operation's
     * extent (a whole-image stroke vs a tile-sized one), which rounds
     * blended translucent strokes differently by a level or two, and a
     * few edge pixels more (on dense data, a few glyph edges by up to
     * 60, max_bad). A cut or doubled label, a dash out of phase or a
     * shifted line differs by 50-255 levels over hundreds of pixels. */
    printf("z%d at %.2f,%.2f: worst %d levels, %ld of 262144 pixels over 2, %ld over 16\n", z, lon,
           lat, worst, differing, bad);
    if (bad > max_bad || differing > 262144 / 500)
        fail_msg("z%d: stitched tiles differ from the whole by up to %d levels (%ld px "
                 "over 2 levels)",
                 z, worst, differing);
}

static void test_seamless_edges(void **state)
{
    (void)state;
    for (int z = 8; z <= 12; z += 2)
        check_seams(ds, 16.1, 46.7, z, 0); /* Murska Sobota: labels nearby */
}

/* The same on 20,000 towns, where most labels collide and each view
 * decides the labels of its own neighbourhood (a new place and zoom each
 * time, so nothing is decided before the 512 px view asks). */
static void test_seamless_edges_large(void **state)
{
    (void)state;
    for (int z = 8; z <= 14; z++)
        check_seams(big, 15.2 + 0.15 * (z - 8), 46.3 + 0.1 * (z - 8), z, 32);
}

/* @2x: twice the pixels over the same ground; averaged 2x2 it matches 1x. */
static void test_2x_is_same_area(void **state)
{
    (void)state;
    const style_t *style = tiles_style(tiles, "default");
    tile_t t = tile_at(16.1, 46.7, 10);
    render_view_t v1 = render_tile_view(t, 1), v2 = render_tile_view(t, 2);
    cairo_surface_t *one = draw(&v1, style), *two = draw(&v2, style);
    assert_int_equal(cairo_image_surface_get_width(two), 512);
    double total = 0;
    long far = 0;
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++) {
            uint32_t a = pixel(one, x, y);
            for (int shift = 0; shift < 24; shift += 8) {
                int sum = 0;
                for (int k = 0; k < 4; k++)
                    sum += (int)((pixel(two, 2 * x + (k & 1), 2 * y + (k >> 1)) >> shift) & 255);
                int d = abs(sum / 4 - (int)((a >> shift) & 255));
                total += d;
                far += d > 48;
            }
        }
    double mean = total / (256.0 * 256 * 3);
    cairo_surface_destroy(one);
    cairo_surface_destroy(two);
    /* Anti-aliasing differs at every edge (thin dashes and text most: a
     * few % of channels), but any other area or offset (a @2x tile of the
     * wrong quarter, say) differs by tens of levels on average. */
    if (mean > 3 || far > 256 * 256 * 3 * 3 / 100)
        fail_msg("@2x averaged differs from 1x: mean %.2f levels, %ld channels > 48", mean, far);
}

/* Tile corners agree with PROJ's cs2cs (EPSG:4326 -> EPSG:3857) to 1 mm. */
static void test_tile_bounds_vs_proj(void **state)
{
    (void)state;
    tile_t tiles_[] = {
        {0, 0, 0}, {7, 70, 44}, {10, 557, 360}, {12, 2230, 1441}, {18, 142793, 92245}};
    char in[] = "/tmp/coopmap-tile-XXXXXX";
    FILE *fp = fdopen(mkstemp(in), "w");
    for (size_t i = 0; i < 5; i++) {
        bbox_t ll = tile_bounds_lonlat(tiles_[i]);
        fprintf(fp, "%.12f %.12f\n%.12f %.12f\n", ll.maxy, ll.minx, ll.miny, ll.maxx);
    }
    fclose(fp);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cs2cs -f %%.4f EPSG:4326 EPSG:3857 < %s", in);
    FILE *out = popen(cmd, "r");
    for (size_t i = 0; i < 5; i++) {
        bbox_t m = tile_bounds_merc(tiles_[i]);
        double x0, y0, x1, y1, z;
        assert_int_equal(fscanf(out, "%lf %lf %lf %lf %lf %lf", &x0, &y0, &z, &x1, &y1, &z), 6);
        assert_near(x0, m.minx, 1e-3);
        assert_near(y0, m.maxy, 1e-3);
        assert_near(x1, m.maxx, 1e-3);
        assert_near(y1, m.miny, 1e-3);
    }
    assert_int_equal(pclose(out), 0);
    unlink(in);
    assert_true(tile_valid((tile_t){18, 262143, 0}, 18));
    assert_false(tile_valid((tile_t){19, 0, 0}, 18));
    assert_false(tile_valid((tile_t){3, 8, 0}, 18));
}

static const char *golden_dir(void)
{
    static char dir[4096];
    const char *fixtures = getenv("COOPMAP_FIXTURES");
    snprintf(dir, sizeof(dir), "%s/../golden", fixtures ? fixtures : "tests/fixtures");
    return dir;
}

/* Each golden tile, rendered now, against the file: per-pixel tolerance of
 * 8 levels on at most 0.5 % of pixels (font rasterisation may shift a
 * little between FreeType builds; a changed style or geometry moves far
 * more). */
static void check_golden(const char *style_id, tile_t t, double scale)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s-%d-%u-%u%s.png", golden_dir(), style_id, t.z, t.x, t.y,
             scale == 2 ? "@2x" : "");
    tile_blob_t *blob = NULL;
    error_t err = {0};
    assert_int_equal(tiles_get(tiles, ds, tiles_style(tiles, style_id), t, scale, &blob, &err),
                     ERR_OK);
    const char *update = getenv("COOPMAP_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        fwrite(blob->data, 1, blob->len, fp);
        fclose(fp);
        printf("wrote %s\n", path);
        tile_blob_unref(blob);
        return;
    }
    char now[4200];
    snprintf(now, sizeof(now), "/tmp/coopmap-golden-%d.png", (int)getpid());
    FILE *fp = fopen(now, "wb");
    fwrite(blob->data, 1, blob->len, fp);
    fclose(fp);
    tile_blob_unref(blob);
    cairo_surface_t *a = cairo_image_surface_create_from_png(path);
    cairo_surface_t *b = cairo_image_surface_create_from_png(now);
    unlink(now);
    if (cairo_surface_status(a) != CAIRO_STATUS_SUCCESS)
        fail_msg("cannot read golden %s (run tools/update-golden)", path);
    assert_int_equal(cairo_surface_status(b), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
    assert_int_equal(w, cairo_image_surface_get_width(b));
    assert_int_equal(h, cairo_image_surface_get_height(b));
    long over = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            over += channel_diff(pixel(a, x, y), pixel(b, x, y)) > 8;
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
    if (over > (long)w * h / 200)
        fail_msg("%s: %ld pixels differ by more than 8 levels", path, over);
}

static void test_golden_tiles(void **state)
{
    (void)state;
    const char *styles[] = {"default", "light"};
    for (int s = 0; s < 2; s++) {
        check_golden(styles[s], tile_at(16.1, 46.7, 8), 1);
        check_golden(styles[s], tile_at(16.1, 46.7, 10), 1);
        check_golden(styles[s], tile_at(16.2, 46.65, 12), 1);
        check_golden(styles[s], tile_at(16.1, 46.7, 10), 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seamless_edges),  cmocka_unit_test(test_seamless_edges_large),
        cmocka_unit_test(test_2x_is_same_area), cmocka_unit_test(test_tile_bounds_vs_proj),
        cmocka_unit_test(test_golden_tiles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
