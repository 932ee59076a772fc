/* Lazy label placement against the placement it must equal: every
 * candidate of the whole map measured and placed greedily in priority
 * order (the way coopmap placed labels before, kept here as the oracle),
 * on thousands of synthetic towns dense enough that most labels collide.
 * Views are asked for in a shuffled order on a fresh dataset each zoom, so
 * what is decided first changes, and must not matter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "data/crs.h"
#include "render/label_metrics.h"
#include "render/render_labels.h"
#include "render/tiles.h"
#include "testutil.h"

#define N_TOWNS   4000
#define LABEL_PAD 2.0 /* as render_labels.c */

static char dir[] = "/tmp/coopmap-labels-XXXXXX";
static const char *project;
static tiles_t *tiles;

typedef struct ref {
    const style_layer_t *layer;
    char text[512];
    double key;
    size_t order;
    double px, py, w, h, size, halo;
    bbox_t box;
} ref_t;

static int cmp_ref(const void *x, const void *y)
{
    const ref_t *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* Every candidate at zoom z, measured exactly. */
static ref_t *candidates(const style_t *style, dataset_t *ds, double z, size_t *n)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(s);
    ref_t *c = NULL;
    size_t order = 0, cap = 0;
    *n = 0;
    for (size_t i = style_layer_count(style); i-- > 0;) {
        const style_layer_t *sl = style_layer(style, i);
        const layer_t *data = style_layer_type(sl) == STYLE_SYMBOL
                                  ? dataset_find_layer(ds, style_layer_source(sl))
                                  : NULL;
        if (data == NULL || !style_layer_visible(sl, z)) continue;
        for (size_t k = 0; k < data->nfeatures; k++, order++) {
            const feature_t *f = &data->features[k];
            if (*n == cap) c = realloc(c, (cap = cap ? 2 * cap : 256) * sizeof(ref_t));
            ref_t *r = &c[*n];
            if (!style_filter(sl, data, f, z) || !style_text(sl, data, f, r->text, 512)) continue;
            r->size = style_number(sl, STYLE_TEXT_SIZE, z, data, f);
            if (!(r->size > 0)) continue;
            PangoLayout *layout = label_layout(cr, style_text_font(sl), r->size, r->text);
            int pw, ph;
            pango_layout_get_size(layout, &pw, &ph);
            g_object_unref(layout);
            r->w = (double)pw / PANGO_SCALE, r->h = (double)ph / PANGO_SCALE;
            double res = tile_resolution(z);
            r->px = (f->geom->merc[0] + CRS_MERC_EXTENT) / res;
            r->py = (CRS_MERC_EXTENT - f->geom->merc[1]) / res;
            r->layer = sl, r->order = order;
            r->key = style_number(sl, STYLE_SYMBOL_SORT_KEY, z, data, f);
            r->halo = style_number(sl, STYLE_TEXT_HALO_WIDTH, z, data, f);
            (*n)++;
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return c;
}

/* The box at one anchor (MapLibre's text-anchor with a radial offset when
 * there are several anchors). */
static bbox_t box_at(const ref_t *r, const char *anchor, size_t nanchors)
{
    double ox, oy;
    style_text_offset(r->layer, &ox, &oy);
    if (nanchors > 1) {
        double d = fmax(fabs(ox), fabs(oy)) * (strchr(anchor, '-') ? sqrt(0.5) : 1);
        ox = strstr(anchor, "left") ? d : strstr(anchor, "right") ? -d : 0;
        oy = strncmp(anchor, "top", 3) == 0 ? d : strncmp(anchor, "bottom", 6) == 0 ? -d : 0;
    }
    double dx = strstr(anchor, "left") ? 0 : strstr(anchor, "right") ? -r->w : -r->w / 2;
    double dy = strncmp(anchor, "top", 3) == 0      ? 0
                : strncmp(anchor, "bottom", 6) == 0 ? -r->h
                                                    : -r->h / 2;
    double x = r->px + dx + ox * r->size, y = r->py + dy + oy * r->size, pad = r->halo + 1;
    return (bbox_t){x - pad, y - pad, x + r->w + pad, y + r->h + pad};
}

/* The greedy placement over the whole map; returns the placed labels. */
static ref_t *place_all(const style_t *style, dataset_t *ds, double z, size_t *nplaced)
{
    size_t n;
    ref_t *c = candidates(style, ds, z, &n);
    qsort(c, n, sizeof(ref_t), cmp_ref);
    *nplaced = 0;
    for (size_t i = 0; i < n; i++) {
        const char *const *anchors;
        size_t na = style_text_anchors(c[i].layer, &anchors);
        for (size_t a = 0; a < na; a++) {
            bbox_t b = box_at(&c[i], anchors[a], na);
            bbox_t near = {b.minx - LABEL_PAD, b.miny - LABEL_PAD, b.maxx + LABEL_PAD,
                           b.maxy + LABEL_PAD};
            bool hit = false;
            for (size_t k = 0; k < *nplaced && !hit; k++)
                hit = bbox_intersects(c[k].box, near);
            if (!hit) {
                c[i].box = b;
                c[(*nplaced)++] = c[i];
                break;
            }
        }
    }
    return c;
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL) return -1;
    char geodata[4096];
    snprintf(geodata, sizeof(geodata), "%s", geodata_path(""));
    project = synth_project(dir, geodata, N_TOWNS, 7);
    char styles[4200];
    snprintf(styles, sizeof(styles), "%s/../styles", geodata);
    tiles_config_t cfg = {styles, 16u << 20, 18};
    error_t err = {0};
    if (project == NULL || tiles_create(&cfg, &tiles, &err) != ERR_OK) {
        print_error("%s\n", err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tiles_destroy(tiles);
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int same_label(const labels_item_t *a, const ref_t *b)
{
    /* (the same sums in another order: equal to the last bits) */
    return a->layer == b->layer && strcmp(a->text, b->text) == 0 &&
           fabs(a->box.minx - b->box.minx) < 1e-6 && fabs(a->box.miny - b->box.miny) < 1e-6 &&
           fabs(a->box.maxx - b->box.maxx) < 1e-6 && fabs(a->box.maxy - b->box.maxy) < 1e-6;
}

/* One view: the lazy labels are exactly the oracle's that meet it. */
static size_t check_view(const style_t *style, dataset_t *ds, const render_view_t *v,
                         const ref_t *placed, size_t nplaced)
{
    labels_item_t *got = NULL;
    size_t n = labels_list(v, style, ds, &got), want = 0;
    assert_true(n != (size_t)-1);
    bbox_t view = {v->origin_x, v->origin_y, v->origin_x + v->width, v->origin_y + v->height};
    for (size_t k = 0; k < nplaced; k++) {
        if (!bbox_intersects(placed[k].box, view)) continue;
        want++;
        size_t i = 0;
        while (i < n && !same_label(&got[i], &placed[k]))
            i++;
        if (i == n)
            fail_msg("z%g: '%s' at %.2f,%.2f is placed when all are, not lazily", v->zoom,
                     placed[k].text, placed[k].box.minx, placed[k].box.miny);
    }
    assert_int_equal(n, want); /* and nothing else */
    labels_list_free(got, n);
    return n;
}

static void test_lazy_equals_global(void **state)
{
    (void)state;
    const style_t *style = tiles_style(tiles, "default");
    assert_non_null(style);
    uint64_t seed = 11;
    for (int z = 8; z <= 13; z++) {
        dataset_t *ds = NULL;
        error_t err = {0};
        if (app_load(project, tiles, &ds, &err) != ERR_OK) fail_msg("%s", err.message);
        size_t nplaced;
        ref_t *placed = place_all(style, ds, z, &nplaced);
        /* 40 tiles over the area in a random order, then the whole area. */
        tile_t lo = tile_at(14.8, 47.6, z), hi = tile_at(17.6, 46.0, z);
        size_t seen = 0;
        for (int i = 0; i < 40; i++) {
            tile_t t = {z, lo.x + (uint32_t)(rnd_u64(&seed) % (hi.x - lo.x + 1)),
                        lo.y + (uint32_t)(rnd_u64(&seed) % (hi.y - lo.y + 1))};
            render_view_t v = render_tile_view(t, 1);
            seen += check_view(style, ds, &v, placed, nplaced);
        }
        render_view_t all = render_tile_view(lo, 1);
        all.width = (hi.x - lo.x + 1) * 256.0, all.height = (hi.y - lo.y + 1) * 256.0;
        size_t total = check_view(style, ds, &all, placed, nplaced);
        printf("z%d: %zu labels placed of %d towns; 40 tiles showed %zu\n", z, total, N_TOWNS,
               seen);
        assert_true(total > 50 && total < N_TOWNS); /* dense: many collide */
        assert_int_equal(labels_over_bound(), 0);
        free(placed);
        dataset_unref(ds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_lazy_equals_global)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
