/* Map styles: the shipped styles against the default data, colours, zoom
 * and data functions, every filter operator on the real towns, text
 * tokens, defaults, and the exact message for each kind of bad style. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/project.h"
#include "render/style.h"
#include "render/style_internal.h"
#include "testutil.h"

static dataset_t *ds;
static const layer_t *layers[16];
static size_t nlayers;

static int setup(void **state)
{
    (void)state;
    if ((ds = load_default_dataset()) == NULL) return -1;
    nlayers = dataset_layer_count(ds);
    for (size_t i = 0; i < nlayers && i < 16; i++)
        layers[i] = dataset_layer(ds, i);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dataset_unref(ds);
    return 0;
}

static const char *styles_path(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s/styles/%s", COOPMAP_SOURCE_DIR, name);
    return buf;
}

static style_t *parse_ok(const char *json)
{
    style_t *s = NULL;
    error_t err = {0};
    if (style_parse(json, "test.json", &s, &err) != ERR_OK) fail_msg("%s", err.message);
    return s;
}

/* A style of one layer, given as JSON. */
static style_t *layer_style(const char *layer)
{
    char buf[8192];
    snprintf(buf, sizeof(buf), "{\"version\": 8, \"layers\": [%s]}", layer);
    return parse_ok(buf);
}

static const layer_t *data(const char *id)
{
    const layer_t *l = dataset_find_layer(ds, id);
    assert_non_null(l);
    return l;
}

static const char *str(const layer_t *l, const feature_t *f, const char *field)
{
    int i = layer_field_index(l, field);
    assert_true(i >= 0);
    return f->values[i].is_null ? NULL : f->values[i].u.s;
}

static const feature_t *town(const char *name)
{
    const layer_t *towns = data("towns");
    for (size_t i = 0; i < towns->nfeatures; i++)
        if (strcmp(str(towns, &towns->features[i], "name"), name) == 0) return &towns->features[i];
    fail_msg("no town %s", name);
    return NULL;
}

static const style_layer_t *find_layer(const style_t *s, const char *id)
{
    for (size_t i = 0; i < style_layer_count(s); i++)
        if (strcmp(style_layer_id(style_layer(s, i)), id) == 0) return style_layer(s, i);
    fail_msg("style has no layer %s", id);
    return NULL;
}

static void assert_color(style_color_t c, double r, double g, double b, double a)
{
    assert_near(c.r, r, 1e-9);
    assert_near(c.g, g, 1e-9);
    assert_near(c.b, b, 1e-9);
    assert_near(c.a, a, 1e-9);
}

static void assert_hex(style_color_t c, unsigned rgb)
{
    assert_color(c, (rgb >> 16) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0, 1);
}

/* ---- the shipped styles ---- */

static void test_shipped_styles_load_and_check(void **state)
{
    (void)state;
    const char *names[] = {"default.json", "light.json"};
    for (size_t k = 0; k < 2; k++) {
        style_t *s = NULL;
        error_t err = {0};
        if (style_load(styles_path(names[k]), &s, &err) != ERR_OK) fail_msg("%s", err.message);
        assert_true(style_layer_count(s) >= 6);
        assert_int_equal(style_layer_type(style_layer(s, 0)), STYLE_BACKGROUND);
        assert_null(style_layer_source(style_layer(s, 0)));
        if (style_check_layers(s, layers, nlayers, &err) != ERR_OK) fail_msg("%s", err.message);
        for (size_t i = 1; i < style_layer_count(s); i++)
            assert_non_null(style_layer_source(style_layer(s, i)));
        style_destroy(s);
    }
}

static void test_default_style(void **state)
{
    (void)state;
    style_t *s = NULL;
    error_t err = {0};
    assert_int_equal(style_load(styles_path("default.json"), &s, &err), ERR_OK);
    assert_int_equal(style_check_layers(s, layers, nlayers, &err), ERR_OK);
    assert_string_equal(style_id(s), "default");
    assert_string_equal(style_title(s), "City Cooperation");

    /* Countries: one tint each. */
    const layer_t *countries = data("countries");
    const style_layer_t *fill = find_layer(s, "countries");
    assert_int_equal(style_layer_type(fill), STYLE_FILL);
    const unsigned want[][2] = {{'A' << 8 | 'T', 0xFFF2D9},
                                {'S' << 8 | 'I', 0xEBD3E4},
                                {'H' << 8 | 'U', 0xD5DCCE},
                                {'H' << 8 | 'R', 0xF2F0EF}};
    for (size_t i = 0; i < countries->nfeatures; i++) {
        const feature_t *f = &countries->features[i];
        const char *code = str(countries, f, "code");
        for (size_t k = 0; k < 4; k++)
            if ((unsigned)(code[0] << 8 | code[1]) == want[k][0])
                assert_hex(style_color(fill, STYLE_FILL_COLOR, 9, countries, f), want[k][1]);
    }

    /* Network: every tie in exactly one of the two layers, by cross_border. */
    const layer_t *net = data("network");
    const style_layer_t *dom = find_layer(s, "network-domestic");
    const style_layer_t *cross = find_layer(s, "network-cross-border");
    int cb = layer_field_index(net, "cross_border");
    size_t ncross = 0;
    assert_true(net->nfeatures > 0);
    for (size_t i = 0; i < net->nfeatures; i++) {
        const feature_t *f = &net->features[i];
        bool is_cross = f->values[cb].u.i != 0;
        assert_int_equal(style_filter(cross, net, f, 9), is_cross);
        assert_int_equal(style_filter(dom, net, f, 9), !is_cross);
        ncross += is_cross;
    }
    assert_true(ncross > 0 && ncross < net->nfeatures);
    assert_hex(style_color(cross, STYLE_LINE_COLOR, 9, net, &net->features[0]), 0xD55E00);
    assert_hex(style_color(dom, STYLE_LINE_COLOR, 9, net, &net->features[0]), 0x0072B2);
    size_t ndash;
    assert_non_null(style_line_dasharray(dom, &ndash));
    assert_int_equal(ndash, 2);
    assert_null(style_line_dasharray(cross, &ndash));
    assert_int_equal(ndash, 0);

    /* Partner towns: filled dots and bold labels; the rest hollow. */
    const layer_t *towns = data("towns");
    const style_layer_t *circles = find_layer(s, "towns");
    const style_layer_t *labels = find_layer(s, "town-labels");
    const style_layer_t *partners = find_layer(s, "partner-labels");
    assert_hex(style_color(circles, STYLE_CIRCLE_COLOR, 10, towns, town("Ptuj")), 0x1F1F1F);
    assert_hex(style_color(circles, STYLE_CIRCLE_COLOR, 10, towns, town("Weiz")), 0xFFFFFF);
    size_t nlabels = 0, npartners = 0;
    for (size_t i = 0; i < towns->nfeatures; i++) {
        nlabels += style_filter(labels, towns, &towns->features[i], 10);
        npartners += style_filter(partners, towns, &towns->features[i], 10);
    }
    assert_int_equal(nlabels, 21);
    assert_int_equal(npartners, 3);
    assert_string_equal(style_text_font(labels), "DejaVu Sans");
    assert_string_equal(style_text_font(partners), "DejaVu Sans Bold");
    assert_string_equal(style_text_anchor(labels), "left");
    double dx, dy;
    style_text_offset(labels, &dx, &dy);
    assert_near(dx, 0.9, 1e-12);
    assert_near(dy, 0, 1e-12);
    /* Bigger towns first; partners before all. */
    assert_near(style_number(labels, STYLE_SYMBOL_SORT_KEY, 10, towns, town("Körmend")), -12368,
                1e-9);
    assert_near(style_number(partners, STYLE_SYMBOL_SORT_KEY, 10, towns, town("Ljutomer")), -103460,
                1e-9);
    assert_false(style_layer_visible(labels, 6.5));
    assert_true(style_layer_visible(labels, 7));
    assert_true(style_layer_visible(partners, 6));
    style_destroy(s);
}

/* circle-radius: linear in zoom between 7, 10 and 13, each stop linear in
 * population between 300, 1000, 5000 and 20000. */
static double expected_radius(double zoom, double pop)
{
    static const double pops[] = {300, 1000, 5000, 20000};
    static const double r[3][4] = {
        {1.6, 2.0, 2.8, 3.8}, {2.8, 3.4, 4.6, 6.5}, {4.5, 5.5, 7.5, 10.5}};
    double at[3];
    for (int z = 0; z < 3; z++) {
        at[z] = pop <= pops[0] ? r[z][0] : r[z][3];
        for (int k = 0; k < 3; k++)
            if (pop > pops[k] && pop <= pops[k + 1])
                at[z] =
                    r[z][k] + (r[z][k + 1] - r[z][k]) * (pop - pops[k]) / (pops[k + 1] - pops[k]);
    }
    if (zoom <= 7) return at[0];
    if (zoom >= 13) return at[2];
    int z = zoom < 10 ? 0 : 1;
    double t = (zoom - (7 + 3 * z)) / 3;
    return at[z] + (at[z + 1] - at[z]) * t;
}

static void test_data_driven_radius(void **state)
{
    (void)state;
    style_t *s = NULL;
    error_t err = {0};
    assert_int_equal(style_load(styles_path("default.json"), &s, &err), ERR_OK);
    assert_int_equal(style_check_layers(s, layers, nlayers, &err), ERR_OK);
    const style_layer_t *circles = find_layer(s, "towns");
    const layer_t *towns = data("towns");
    int pop = layer_field_index(towns, "population");
    const double zooms[] = {5, 7, 8.5, 10, 11, 13, 16};
    for (size_t i = 0; i < towns->nfeatures; i++) {
        const feature_t *f = &towns->features[i];
        double p = (double)f->values[pop].u.i;
        for (size_t z = 0; z < sizeof(zooms) / sizeof(zooms[0]); z++)
            assert_near(style_number(circles, STYLE_CIRCLE_RADIUS, zooms[z], towns, f),
                        expected_radius(zooms[z], p), 1e-9);
    }
    /* Ptuj (18,164) is drawn bigger than Friedberg (308) at every zoom. */
    for (double z = 6; z <= 14; z += 0.5)
        assert_true(style_number(circles, STYLE_CIRCLE_RADIUS, z, towns, town("Ptuj")) >
                    style_number(circles, STYLE_CIRCLE_RADIUS, z, towns, town("Friedberg")) + 1);
    /* Without a feature the data value is missing: the spec's default. */
    assert_near(style_number(circles, STYLE_CIRCLE_RADIUS, 10, NULL, NULL), 5, 0);
    style_destroy(s);
}

/* ---- colours ---- */

static void test_colors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double r, g, b, a;
    } good[] = {
        {"#fff", 1, 1, 1, 1},
        {"#FFF", 1, 1, 1, 1},
        {"#f00", 1, 0, 0, 1},
        {"#0f08", 0, 1, 0, 0x88 / 255.0},
        {"#336699", 0x33 / 255.0, 0x66 / 255.0, 0x99 / 255.0, 1},
        {"#33669980", 0x33 / 255.0, 0x66 / 255.0, 0x99 / 255.0, 0x80 / 255.0},
        {"rgb(255, 128, 0)", 1, 128 / 255.0, 0, 1},
        {"rgb(255,128,0)", 1, 128 / 255.0, 0, 1},
        {"rgb(100%, 50%, 0%)", 1, 0.5, 0, 1},
        {"rgba(0, 0, 255, 0.25)", 0, 0, 1, 0.25},
        {"rgba(0,0,255,25%)", 0, 0, 1, 0.25},
        {"rgb(300, -5, 0)", 1, 0, 0, 1},
        {"hsl(0, 100%, 50%)", 1, 0, 0, 1},
        {"hsl(120, 100%, 25%)", 0, 0.5, 0, 1},
        {"hsl(240deg, 100%, 50%)", 0, 0, 1, 1},
        {"hsl(60, 100%, 50%)", 1, 1, 0, 1},
        {"hsl(0, 0%, 50%)", 0.5, 0.5, 0.5, 1},
        {"hsla(180, 100%, 50%, 0.5)", 0, 1, 1, 0.5},
        {"hsl(-120, 100%, 50%)", 0, 0, 1, 1},
        {"white", 1, 1, 1, 1},
        {"Black", 0, 0, 0, 1},
        {"transparent", 0, 0, 0, 0},
        {"grey", 128 / 255.0, 128 / 255.0, 128 / 255.0, 1},
        {"orange", 1, 165 / 255.0, 0, 1},
        {"  #000  ", 0, 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        style_color_t c = {-1, -1, -1, -1};
        if (color_parse(good[i].text, &c) != 0) fail_msg("'%s' should parse", good[i].text);
        assert_color(c, good[i].r, good[i].g, good[i].b, good[i].a);
    }
    static const char *const bad[] = {
        "",
        "#",
        "#ff",
        "#fffff",
        "#ggg",
        "#1234567",
        "bluish",
        "rgb(1,2)",
        "rgb(1,2,3",
        "rgb(1,2,3,4)",
        "rgba(1,2,3)",
        "hsl(1,2%)",
        "rgb(a,b,c)",
        "rgb(1,2,3) x",
        "rgb(nan,0,0)",
        "rgb (1,2,3)",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        style_color_t c;
        if (color_parse(bad[i], &c) == 0) fail_msg("'%s' should not parse", bad[i]);
    }
    /* Through a style, in each colour property. */
    style_t *s = layer_style("{\"id\": \"bg\", \"type\": \"background\", \"paint\": "
                             "{\"background-color\": \"hsla(240, 100%, 50%, 0.5)\"}}");
    assert_color(style_color(style_layer(s, 0), STYLE_BACKGROUND_COLOR, 3, NULL, NULL), 0, 0, 1,
                 0.5);
    style_destroy(s);
}

/* ---- zoom functions and expressions ---- */

static double number_at(const style_layer_t *l, style_prop_t p, double zoom)
{
    return style_number(l, p, zoom, NULL, NULL);
}

static void test_zoom_functions(void **state)
{
    (void)state;
    style_t *s = parse_ok(
        "{\"version\": 8, \"layers\": ["
        "{\"id\": \"stops\", \"type\": \"line\", \"source-layer\": \"rivers\", \"paint\": {"
        "  \"line-width\": {\"stops\": [[6, 1], [10, 5], [14, 9]]},"
        "  \"line-opacity\": {\"base\": 2, \"stops\": [[0, 0], [10, 1]]},"
        "  \"line-color\": {\"stops\": [[5, \"#000000\"], [7, \"#ffffff\"]]}}},"
        "{\"id\": \"expr\", \"type\": \"line\", \"source-layer\": \"rivers\", \"paint\": {"
        "  \"line-width\": [\"interpolate\", [\"linear\"], [\"zoom\"], 6, 1, 10, 5, 14, 9],"
        "  \"line-opacity\": [\"interpolate\", [\"exponential\", 2], [\"zoom\"], 0, 0, 10, 1],"
        "  \"line-color\": [\"interpolate\", [\"linear\"], [\"zoom\"], 5, \"rgba(0,0,0,0)\", "
        "                  7, \"rgba(255,255,255,1)\"]}},"
        "{\"id\": \"step\", \"type\": \"circle\", \"source-layer\": \"towns\", \"paint\": {"
        "  \"circle-radius\": [\"step\", [\"zoom\"], 2, 8, 4, 11, 6],"
        "  \"circle-stroke-width\": {\"type\": \"interval\", \"stops\": [[8, 1], [11, 2]]},"
        "  \"circle-opacity\": [\"/\", [\"-\", [\"zoom\"], 4], [\"*\", 2, 4]],"
        "  \"circle-color\": [\"step\", [\"zoom\"], \"red\", 10, \"blue\"]}}"
        "]}");
    for (int k = 0; k < 2; k++) {
        const style_layer_t *l = style_layer(s, (size_t)k);
        /* At, between, below and above the stops. */
        assert_near(number_at(l, STYLE_LINE_WIDTH, 6), 1, 1e-12);
        assert_near(number_at(l, STYLE_LINE_WIDTH, 8), 3, 1e-12);
        assert_near(number_at(l, STYLE_LINE_WIDTH, 10), 5, 1e-12);
        assert_near(number_at(l, STYLE_LINE_WIDTH, 11), 6, 1e-12);
        assert_near(number_at(l, STYLE_LINE_WIDTH, 14), 9, 1e-12);
        assert_near(number_at(l, STYLE_LINE_WIDTH, 2), 1, 1e-12);
        assert_near(number_at(l, STYLE_LINE_WIDTH, 20), 9, 1e-12);
        /* Exponential, base 2: (2^z - 1) / (2^10 - 1). */
        assert_near(number_at(l, STYLE_LINE_OPACITY, 0), 0, 1e-12);
        assert_near(number_at(l, STYLE_LINE_OPACITY, 5), 31.0 / 1023, 1e-12);
        assert_near(number_at(l, STYLE_LINE_OPACITY, 9), 511.0 / 1023, 1e-12);
        assert_near(number_at(l, STYLE_LINE_OPACITY, 10), 1, 1e-12);
        /* Colours in RGB. */
        style_color_t c = style_color(l, STYLE_LINE_COLOR, 6, NULL, NULL);
        assert_near(c.r, 0.5, 1e-12);
        assert_near(c.b, 0.5, 1e-12);
        assert_near(c.a, k == 0 ? 1 : 0.5, 1e-12);
        assert_color(style_color(l, STYLE_LINE_COLOR, 4, NULL, NULL), 0, 0, 0, k == 0 ? 1 : 0);
        assert_color(style_color(l, STYLE_LINE_COLOR, 9, NULL, NULL), 1, 1, 1, 1);
    }
    const style_layer_t *l = style_layer(s, 2);
    assert_near(number_at(l, STYLE_CIRCLE_RADIUS, 5), 2, 0);
    assert_near(number_at(l, STYLE_CIRCLE_RADIUS, 7.999), 2, 0);
    assert_near(number_at(l, STYLE_CIRCLE_RADIUS, 8), 4, 0);
    assert_near(number_at(l, STYLE_CIRCLE_RADIUS, 10.5), 4, 0);
    assert_near(number_at(l, STYLE_CIRCLE_RADIUS, 11), 6, 0);
    assert_near(number_at(l, STYLE_CIRCLE_RADIUS, 22), 6, 0);
    /* A legacy interval function keeps its first output below the first stop. */
    assert_near(number_at(l, STYLE_CIRCLE_STROKE_WIDTH, 3), 1, 0);
    assert_near(number_at(l, STYLE_CIRCLE_STROKE_WIDTH, 8), 1, 0);
    assert_near(number_at(l, STYLE_CIRCLE_STROKE_WIDTH, 10.9), 1, 0);
    assert_near(number_at(l, STYLE_CIRCLE_STROKE_WIDTH, 11), 2, 0);
    /* Arithmetic, clamped to the property's range. */
    assert_near(number_at(l, STYLE_CIRCLE_OPACITY, 6), 0.25, 1e-12);
    assert_near(number_at(l, STYLE_CIRCLE_OPACITY, 2), 0, 0);
    assert_near(number_at(l, STYLE_CIRCLE_OPACITY, 20), 1, 0);
    assert_hex(style_color(l, STYLE_CIRCLE_COLOR, 9.9, NULL, NULL), 0xFF0000);
    assert_hex(style_color(l, STYLE_CIRCLE_COLOR, 10, NULL, NULL), 0x0000FF);
    style_destroy(s);
}

static void test_data_functions(void **state)
{
    (void)state;
    style_t *s = parse_ok(
        "{\"version\": 8, \"layers\": ["
        "{\"id\": \"t\", \"type\": \"circle\", \"source-layer\": \"towns\", \"paint\": {"
        "  \"circle-radius\": {\"property\": \"population\", \"stops\": [[1000, 2], [11000, 12]]},"
        "  \"circle-stroke-width\": {\"property\": \"population\", \"type\": \"interval\","
        "                            \"stops\": [[0, 1], [5000, 2], [10000, 3]]},"
        "  \"circle-color\": {\"property\": \"country\", \"type\": \"categorical\","
        "                     \"stops\": [[\"AT\", \"#ff0000\"], [\"SI\", \"#00ff00\"]],"
        "                     \"default\": \"#0000ff\"},"
        "  \"circle-opacity\": [\"match\", [\"get\", \"country\"], [\"AT\", \"HU\"], 0.5, 1],"
        "  \"circle-stroke-color\": [\"coalesce\", [\"get\", \"project_partner\"], \"#123456\"]"
        "}},"
        "{\"id\": \"u\", \"type\": \"symbol\", \"source-layer\": \"towns\", \"layout\": {"
        "  \"text-size\": [\"step\", [\"get\", \"population\"], 10, 5000, 12, 10000, 14],"
        "  \"symbol-sort-key\": [\"-\", [\"sqrt\", [\"get\", \"population\"]]]"
        "}}]}");
    error_t err = {0};
    assert_int_equal(style_check_layers(s, layers, nlayers, &err), ERR_OK);
    const layer_t *towns = data("towns");
    const style_layer_t *l = style_layer(s, 0), *u = style_layer(s, 1);
    /* Radius: linear in population, clamped outside the stops. */
    assert_near(style_number(l, STYLE_CIRCLE_RADIUS, 9, towns, town("Friedberg")), 2, 1e-12);
    assert_near(style_number(l, STYLE_CIRCLE_RADIUS, 9, towns, town("Weiz")), 2 + 8.221, 1e-12);
    assert_near(style_number(l, STYLE_CIRCLE_RADIUS, 9, towns, town("Ptuj")), 12, 1e-12);
    assert_near(style_number(l, STYLE_CIRCLE_RADIUS, 9, towns, town("Fehring")), 2.675, 1e-12);
    assert_near(style_number(l, STYLE_CIRCLE_STROKE_WIDTH, 9, towns, town("Friedberg")), 1, 0);
    assert_near(style_number(l, STYLE_CIRCLE_STROKE_WIDTH, 9, towns, town("Lenti")), 2, 0);
    assert_near(style_number(l, STYLE_CIRCLE_STROKE_WIDTH, 9, towns, town("Körmend")), 3, 0);
    assert_hex(style_color(l, STYLE_CIRCLE_COLOR, 9, towns, town("Weiz")), 0xFF0000);
    assert_hex(style_color(l, STYLE_CIRCLE_COLOR, 9, towns, town("Ptuj")), 0x00FF00);
    assert_hex(style_color(l, STYLE_CIRCLE_COLOR, 9, towns, town("Lenti")), 0x0000FF);
    assert_near(style_number(l, STYLE_CIRCLE_OPACITY, 9, towns, town("Lenti")), 0.5, 0);
    assert_near(style_number(l, STYLE_CIRCLE_OPACITY, 9, towns, town("Weiz")), 0.5, 0);
    assert_near(style_number(l, STYLE_CIRCLE_OPACITY, 9, towns, town("Ptuj")), 1, 0);
    /* A string from data that is no colour: the default (black). */
    assert_hex(style_color(l, STYLE_CIRCLE_STROKE_COLOR, 9, towns, town("Ptuj")), 0x000000);
    assert_hex(style_color(l, STYLE_CIRCLE_STROKE_COLOR, 9, towns, town("Weiz")), 0x123456);
    assert_near(style_number(u, STYLE_TEXT_SIZE, 9, towns, town("Friedberg")), 10, 0);
    assert_near(style_number(u, STYLE_TEXT_SIZE, 9, towns, town("Weiz")), 12, 0);
    assert_near(style_number(u, STYLE_TEXT_SIZE, 9, towns, town("Ptuj")), 14, 0);
    assert_near(style_number(u, STYLE_SYMBOL_SORT_KEY, 9, towns, town("Friedberg")), -sqrt(308.0),
                1e-12);
    style_destroy(s);

    /* The light style's legacy property function: an interval on wdb_level. */
    assert_int_equal(style_load(styles_path("light.json"), &s, &err), ERR_OK);
    assert_int_equal(style_check_layers(s, layers, nlayers, &err), ERR_OK);
    const layer_t *rivers = data("rivers");
    const style_layer_t *r = find_layer(s, "rivers");
    int level = layer_field_index(rivers, "wdb_level");
    for (size_t i = 0; i < rivers->nfeatures; i++) {
        const feature_t *f = &rivers->features[i];
        assert_true(style_filter(r, rivers, f, 8));
        assert_near(style_number(r, STYLE_LINE_WIDTH, 8, rivers, f),
                    f->values[level].u.i == 2 ? 1.2 : 0.6, 0);
    }
    const style_layer_t *labels = find_layer(s, "town-labels");
    assert_near(style_number(labels, STYLE_SYMBOL_SORT_KEY, 9, towns, town("Ptuj")), -18164, 1e-9);
    style_destroy(s);
}

/* ---- filters ---- */

static size_t count_towns(const char *filter, double zoom)
{
    char buf[2048];
    snprintf(buf, sizeof(buf),
             "{\"id\": \"t\", \"type\": \"circle\", \"source-layer\": \"towns\", \"filter\": %s}",
             filter);
    style_t *s = layer_style(buf);
    error_t err = {0};
    if (style_check_layers(s, layers, nlayers, &err) != ERR_OK) fail_msg("%s", err.message);
    const layer_t *towns = data("towns");
    size_t n = 0;
    for (size_t i = 0; i < towns->nfeatures; i++)
        n += style_filter(style_layer(s, 0), towns, &towns->features[i], zoom);
    style_destroy(s);
    return n;
}

static void test_filters(void **state)
{
    (void)state;
    static const struct {
        const char *filter;
        size_t count;
    } cases[] = {
        /* Legacy forms. */
        {"[\"==\", \"country\", \"SI\"]", 9},
        {"[\"!=\", \"country\", \"SI\"]", 15},
        {"[\"<\", \"population\", 2000]", 4},  /* 308, 1160, 1368, 1675 */
        {"[\">\", \"population\", 10000]", 3}, /* 11107, 12368, 18164 */
        {"[\"<=\", \"population\", 1368]", 3},
        {"[\">=\", \"population\", 12368]", 2},
        {"[\"==\", \"population\", 1368]", 1},
        {"[\"<\", \"name\", \"C\"]", 2}, /* Bad Radkersburg, Beltinci */
        {"[\"in\", \"country\", \"AT\", \"HU\"]", 15},
        {"[\"!in\", \"country\", \"AT\", \"HU\"]", 9},
        {"[\"in\", \"population\", 308, 1160, 99]", 2},
        {"[\"has\", \"project_partner\"]", 3},
        {"[\"!has\", \"project_partner\"]", 21},
        {"[\"all\", [\"==\", \"country\", \"SI\"], [\">\", \"population\", 3000]]", 6},
        {"[\"any\", [\"==\", \"name\", \"Ptuj\"], [\"==\", \"name\", \"Weiz\"]]", 2},
        {"[\"none\", [\"==\", \"country\", \"SI\"], [\"==\", \"country\", \"AT\"]]", 7},
        {"[\"all\"]", 24},
        {"[\"any\"]", 0},
        {"[\"==\", \"name\", \"Őriszentpéter\"]", 1},
        {"[\"==\", \"$type\", \"Point\"]", 24},
        {"[\"==\", \"$type\", \"Polygon\"]", 0},
        /* Types are strict, and null equals only null. */
        {"[\"==\", \"population\", \"1368\"]", 0},
        {"[\"==\", \"country\", 1]", 0},
        {"[\"==\", \"project_partner\", \"\"]", 0},
        {"[\"!=\", \"project_partner\", \"x\"]", 24},
        {"[\"==\", \"project_partner\", null]", 21},
        {"[\"<\", \"project_partner\", \"zzz\"]", 3},
        /* Expression forms. */
        {"[\"==\", [\"get\", \"country\"], \"SI\"]", 9},
        {"[\"!=\", [\"get\", \"country\"], \"SI\"]", 15},
        {"[\"<\", [\"get\", \"population\"], 2000]", 4},
        {"[\">\", [\"get\", \"population\"], 10000]", 3},
        {"[\"<=\", [\"get\", \"population\"], 1368]", 3},
        {"[\">=\", [\"get\", \"population\"], 12368]", 2},
        {"[\">=\", [\"*\", 2, [\"get\", \"population\"]], 24736]", 2},
        {"[\"in\", [\"get\", \"country\"], [\"literal\", [\"AT\", \"HU\"]]]", 15},
        {"[\"!in\", [\"get\", \"country\"], [\"literal\", [\"AT\", \"HU\"]]]", 9},
        {"[\"!\", [\"==\", [\"get\", \"country\"], \"SI\"]]", 15},
        {"[\"has\", \"project_partner\"]", 3},
        {"[\"!=\", [\"get\", \"project_partner\"], null]", 3},
        {"[\"all\", [\"==\", [\"get\", \"country\"], \"HU\"], [\"<\", [\"get\", \"population\"], "
         "5000]]",
         4},
        {"[\"any\", [\"==\", [\"get\", \"country\"], \"HU\"], [\"has\", \"project_partner\"]]", 10},
        {"[\"match\", [\"get\", \"country\"], [\"AT\", \"SI\"], true, false]", 17},
        {"[\"case\", [\">\", [\"get\", \"population\"], 10000], true, false]", 3},
        {"[\"==\", [\"geometry-type\"], \"Point\"]", 24},
        {"[\"==\", [\"get\", \"name\"], \"Ormož\"]", 1},
        {"true", 24},
        {"false", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = count_towns(cases[i].filter, 10);
        if (n != cases[i].count)
            fail_msg("%s passes %zu towns, want %zu", cases[i].filter, n, cases[i].count);
    }
    /* Zoom in filters. */
    assert_int_equal(count_towns("[\">=\", [\"zoom\"], 9]", 8.99), 0);
    assert_int_equal(count_towns("[\">=\", [\"zoom\"], 9]", 9), 24);
    assert_int_equal(count_towns("[\"all\", [\"<\", [\"zoom\"], 9], [\"==\", [\"get\", "
                                 "\"country\"], \"AT\"]]",
                                 8),
                     8);

    /* ["==", "country", "SI"] passes exactly the nine Slovenian towns. */
    static const char *const si[] = {"Murska Sobota", "Gornja Radgona", "Ptuj",
                                     "Lendava",       "Ljutomer",       "Radenci",
                                     "Lenart",        "Ormož",          "Beltinci"};
    style_t *s = layer_style("{\"id\": \"t\", \"type\": \"circle\", \"source-layer\": \"towns\", "
                             "\"filter\": [\"==\", \"country\", \"SI\"]}");
    const layer_t *towns = data("towns");
    for (size_t i = 0; i < towns->nfeatures; i++) {
        const char *name = str(towns, &towns->features[i], "name");
        bool want = false;
        for (size_t k = 0; k < 9; k++)
            want |= strcmp(si[k], name) == 0;
        assert_int_equal(style_filter(style_layer(s, 0), towns, &towns->features[i], 10), want);
    }
    style_destroy(s);

    /* Booleans: the network's cross_border. */
    const layer_t *net = data("network");
    int cb = layer_field_index(net, "cross_border");
    size_t cross = 0;
    for (size_t i = 0; i < net->nfeatures; i++)
        cross += net->features[i].values[cb].u.i != 0;
    const char *bools[] = {"[\"==\", \"cross_border\", true]", "[\"==\", \"cross_border\", false]",
                           "[\"get\", \"cross_border\"]"};
    const size_t want[] = {cross, net->nfeatures - cross, cross};
    for (size_t k = 0; k < 3; k++) {
        char buf[512];
        snprintf(buf, sizeof(buf),
                 "{\"id\": \"n\", \"type\": \"line\", \"source-layer\": \"network\", "
                 "\"filter\": %s}",
                 bools[k]);
        s = layer_style(buf);
        size_t n = 0;
        for (size_t i = 0; i < net->nfeatures; i++)
            n += style_filter(style_layer(s, 0), net, &net->features[i], 10);
        assert_int_equal(n, want[k]);
        style_destroy(s);
    }
}

/* ---- text, fonts and defaults ---- */

/* A one-feature layer with one field of each type, built by hand. */
static layer_t *typed_layer(bool reversed)
{
    layer_t *l = layer_create("things", NULL, NULL);
    const char *names[] = {"name", "n", "x", "b", "none"};
    const field_type_t types[] = {FIELD_STRING, FIELD_INTEGER, FIELD_REAL, FIELD_BOOLEAN,
                                  FIELD_STRING};
    for (int i = 0; i < 5; i++) {
        int k = reversed ? 4 - i : i;
        assert_true(layer_add_field(l, names[k], types[k]) >= 0);
    }
    value_t *v = calloc(5, sizeof(*v));
    for (int i = 0; i < 5; i++) {
        int k = reversed ? 4 - i : i;
        switch (k) {
        case 0:
            v[i].u.s = strdup("Őriszentpéter");
            break;
        case 1:
            v[i].u.i = reversed ? -5 : INT64_C(9007199254740993);
            break;
        case 2:
            v[i].u.r = reversed ? 1e21 : 0.1;
            break;
        case 3:
            v[i].u.i = 1;
            break;
        case 4:
            v[i].is_null = 1;
            break;
        }
    }
    geom_t *g = geom_create(GEOM_POINT, 1, 0, 0);
    assert_int_equal(layer_add_feature(l, strdup("1"), g, v), ERR_OK);
    return l;
}

static void test_text(void **state)
{
    (void)state;
    char out[256];
    style_t *s =
        parse_ok("{\"version\": 8, \"layers\": ["
                 "{\"id\": \"a\", \"type\": \"symbol\", \"source-layer\": \"things\", \"layout\": "
                 "{\"text-field\": \"{name} ({n}) {x} {b}{none}|{ {}} {name\"}},"
                 "{\"id\": \"b\", \"type\": \"symbol\", \"source-layer\": \"things\", \"layout\": "
                 "{\"text-field\": [\"get\", \"name\"]}},"
                 "{\"id\": \"c\", \"type\": \"symbol\", \"source-layer\": \"things\", \"layout\": "
                 "{\"text-field\": \"{none}\"}},"
                 "{\"id\": \"d\", \"type\": \"symbol\", \"source-layer\": \"towns\", \"layout\": "
                 "{\"text-field\": \"{name} · {population}\"}}"
                 "]}");
    layer_t *things = typed_layer(false), *flipped = typed_layer(true);
    const layer_t *only = things;
    error_t err = {0};
    const style_layer_t *a = style_layer(s, 0), *b = style_layer(s, 1), *c = style_layer(s, 2);
    assert_true(style_text(a, things, &things->features[0], out, sizeof(out)));
    assert_string_equal(out, "Őriszentpéter (9007199254740993) 0.1 true|{ {}} {name");
    assert_true(style_text(b, things, &things->features[0], out, sizeof(out)));
    assert_string_equal(out, "Őriszentpéter");
    assert_false(style_text(c, things, &things->features[0], out, sizeof(out)));
    assert_string_equal(out, "");
    /* Fields by name, whatever their order in the layer (the hint set by
     * the check points elsewhere there). */
    assert_int_equal(style_check_layers(s, &only, 1, &err), ERR_NOTFOUND); /* no towns */
    assert_true(style_text(a, flipped, &flipped->features[0], out, sizeof(out)));
    assert_string_equal(out, "Őriszentpéter (-5) 1e+21 true|{ {}} {name");
    /* Never half a UTF-8 character: Ő is two bytes. */
    assert_true(style_text(b, things, &things->features[0], out, 3));
    assert_string_equal(out, "Ő");
    assert_false(style_text(b, things, &things->features[0], out, 2));
    assert_string_equal(out, "");
    assert_true(style_text(b, things, &things->features[0], out, 5));
    assert_string_equal(out, "Őri");
    /* Reals print the shortest text that reads back. */
    things->features[0].values[2].u.r = 1.0 / 3;
    assert_true(style_text(a, things, &things->features[0], out, sizeof(out)));
    assert_non_null(strstr(out, " 0.3333333333333333 "));
    things->features[0].values[2].u.r = 46.68806;
    assert_true(style_text(a, things, &things->features[0], out, sizeof(out)));
    assert_non_null(strstr(out, " 46.68806 "));
    /* Real towns. */
    const layer_t *towns = data("towns");
    assert_true(style_text(style_layer(s, 3), towns, town("Őriszentpéter"), out, sizeof(out)));
    assert_string_equal(out, "Őriszentpéter · 1160");
    assert_true(style_text(style_layer(s, 3), towns, town("Zalalövő"), out, sizeof(out)));
    assert_string_equal(out, "Zalalövő · 3195");
    style_destroy(s);
    layer_destroy(things);
    layer_destroy(flipped);
}

/* The town's value of a string field, from the data (NULL if null). */
static const char *town_field(const char *town_name, const char *field)
{
    const layer_t *towns = data("towns");
    int k = layer_field_index(towns, field);
    assert_true(k >= 0);
    const feature_t *f = town(town_name);
    return f->values[k].is_null ? NULL : f->values[k].u.s;
}

static void test_languages(void **state)
{
    (void)state;
    char out[256];
    style_t *s = parse_ok("{\"version\": 8, \"layers\": ["
                          "{\"id\": \"a\", \"type\": \"symbol\", \"source-layer\": \"things\", "
                          "\"layout\": {\"text-field\": [\"coalesce\", [\"get\", \"none\"], "
                          "[\"get\", \"nowhere\"], [\"get\", \"name\"]]}},"
                          "{\"id\": \"b\", \"type\": \"symbol\", \"source-layer\": \"towns\", "
                          "\"layout\": {\"text-field\": \"{name}\"}},"
                          "{\"id\": \"c\", \"type\": \"symbol\", \"source-layer\": \"towns\", "
                          "\"layout\": {\"text-field\": \"{name} \u00b7 {population}\"}}"
                          "]}");
    layer_t *things = typed_layer(false);
    /* A null field and a missing one are passed over. */
    assert_true(style_text(style_layer(s, 0), things, &things->features[0], out, sizeof(out)));
    assert_string_equal(out, "Őriszentpéter");
    assert_string_equal(style_lang(s), "");
    error_t err = {0};
    style_t *de = NULL, *bi = NULL;
    assert_int_equal(style_localize(s, "de", false, &de, &err), ERR_OK);
    assert_int_equal(style_localize(s, "sl", true, &bi, &err), ERR_OK);
    assert_string_equal(style_lang(de), "de");
    assert_string_equal(style_lang(bi), "sl+bilingual");
    assert_string_equal(style_id(de), style_id(s));
    const layer_t *towns = data("towns");
    static const char *const names[] = {"Ptuj", "Lendava", "Lenti", "Murska Sobota"};
    for (size_t i = 0; i < 4; i++) {
        const char *want = town_field(names[i], "name_de");
        assert_true(style_text(style_layer(de, 1), towns, town(names[i]), out, sizeof(out)));
        assert_string_equal(out, want ? want : town_field(names[i], "name"));
        want = town_field(names[i], "name_bilingual");
        if (want == NULL) want = town_field(names[i], "name_sl");
        assert_true(style_text(style_layer(bi, 1), towns, town(names[i]), out, sizeof(out)));
        assert_string_equal(out, want ? want : town_field(names[i], "name"));
    }
    assert_null(town_field("Lenti", "name_de")); /* so the fallback was tried */
    assert_non_null(town_field("Lendava", "name_bilingual"));
    /* Other text-fields stay as they are. */
    assert_true(style_text(style_layer(de, 2), towns, town("Ptuj"), out, sizeof(out)));
    assert_non_null(strstr(out, town_field("Ptuj", "name")));
    style_destroy(de);
    style_destroy(bi);
    style_destroy(s);
    layer_destroy(things);
    static const char *const bad[] = {
        "[\"coalesce\"]",
        "[\"coalesce\", \"name\"]",
        "[\"coalesce\", [\"get\", \"a\"], [\"get\", \"b\"], [\"get\", \"c\"], [\"get\", \"d\"], "
        "[\"get\", \"e\"]]",
        "[\"coalesce\", [\"get\", \"a\"], [\"zoom\"]]",
    };
    for (size_t i = 0; i < 4; i++) {
        char json[512];
        snprintf(json, sizeof(json),
                 "{\"version\": 8, \"layers\": [{\"id\": \"a\", \"type\": \"symbol\", "
                 "\"source-layer\": \"things\", \"layout\": {\"text-field\": %s}}]}",
                 bad[i]);
        style_t *b = NULL;
        assert_int_equal(style_parse(json, "bad.json", &b, &err), ERR_INVALID);
        assert_non_null(strstr(err.message, "text-field"));
    }
}

static void test_fonts(void **state)
{
    (void)state;
    static const struct {
        const char *fonts, *want;
    } cases[] = {
        {"[\"Open Sans Regular\", \"Arial Unicode MS Regular\"]", "DejaVu Sans"},
        {"[\"DejaVu Sans Regular\"]", "DejaVu Sans"},
        {"[\"DejaVu Sans Bold\"]", "DejaVu Sans Bold"},
        {"[\"Noto Sans Bold Italic\", \"DejaVu Sans Bold\"]", "Noto Sans,DejaVu Sans Bold Italic"},
        {"[\"DejaVu Sans Condensed Bold\"]", "DejaVu Sans Condensed Bold"},
        {"[\"DejaVu Serif\", \"DejaVu Sans\"]", "DejaVu Serif,DejaVu Sans"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[512];
        snprintf(buf, sizeof(buf),
                 "{\"id\": \"l\", \"type\": \"symbol\", \"source-layer\": \"towns\", "
                 "\"layout\": {\"text-font\": %s}}",
                 cases[i].fonts);
        style_t *s = layer_style(buf);
        assert_string_equal(style_text_font(style_layer(s, 0)), cases[i].want);
        style_destroy(s);
    }
}

static void test_defaults(void **state)
{
    (void)state;
    style_t *s = parse_ok(
        "{\"version\": 8, \"name\": \"Bare\", \"sources\": {}, \"sprite\": \"x\", "
        "\"glyphs\": \"y\", \"layers\": ["
        "{\"id\": \"bg\", \"type\": \"background\"},"
        "{\"id\": \"f\", \"type\": \"fill\", \"source-layer\": \"regions\", "
        " \"paint\": {\"fill-color\": \"#336699\"}},"
        "{\"id\": \"l\", \"type\": \"line\", \"source-layer\": \"rivers\", \"minzoom\": 8, "
        " \"maxzoom\": 12, \"layout\": {\"line-cap\": \"round\", \"line-join\": \"bevel\"}},"
        "{\"id\": \"c\", \"type\": \"circle\", \"source-layer\": \"towns\", "
        " \"layout\": {\"visibility\": \"none\"}},"
        "{\"id\": \"s\", \"type\": \"symbol\", \"source-layer\": \"towns\"}"
        "]}");
    assert_string_equal(style_id(s), "test");
    assert_string_equal(style_title(s), "Bare");
    assert_int_equal(style_layer_count(s), 5);
    assert_null(style_layer(s, 5));
    const style_layer_t *bg = style_layer(s, 0), *f = style_layer(s, 1), *l = style_layer(s, 2);
    const style_layer_t *c = style_layer(s, 3), *t = style_layer(s, 4);
    assert_hex(style_color(bg, STYLE_BACKGROUND_COLOR, 5, NULL, NULL), 0x000000);
    assert_near(style_number(bg, STYLE_BACKGROUND_OPACITY, 5, NULL, NULL), 1, 0);
    assert_hex(style_color(f, STYLE_FILL_COLOR, 5, NULL, NULL), 0x336699);
    assert_true(style_has_property(f, STYLE_FILL_COLOR));
    assert_false(style_has_property(f, STYLE_FILL_OUTLINE_COLOR));
    assert_hex(style_color(f, STYLE_FILL_OUTLINE_COLOR, 5, NULL, NULL), 0x336699);
    assert_near(style_number(f, STYLE_FILL_OPACITY, 5, NULL, NULL), 1, 0);
    assert_near(style_number(l, STYLE_LINE_WIDTH, 5, NULL, NULL), 1, 0);
    assert_near(style_number(l, STYLE_LINE_OPACITY, 5, NULL, NULL), 1, 0);
    assert_hex(style_color(l, STYLE_LINE_COLOR, 5, NULL, NULL), 0x000000);
    size_t n = 99;
    assert_null(style_line_dasharray(l, &n));
    assert_int_equal(n, 0);
    assert_false(style_layer_visible(l, 7.99));
    assert_true(style_layer_visible(l, 8));
    assert_true(style_layer_visible(l, 11.99));
    assert_false(style_layer_visible(l, 12));
    assert_false(style_layer_visible(c, 10));
    assert_true(style_layer_visible(t, 0));
    assert_true(style_layer_visible(t, 23.9));
    assert_near(style_number(c, STYLE_CIRCLE_RADIUS, 5, NULL, NULL), 5, 0);
    assert_hex(style_color(c, STYLE_CIRCLE_COLOR, 5, NULL, NULL), 0x000000);
    assert_near(style_number(c, STYLE_CIRCLE_OPACITY, 5, NULL, NULL), 1, 0);
    assert_near(style_number(c, STYLE_CIRCLE_STROKE_WIDTH, 5, NULL, NULL), 0, 0);
    assert_hex(style_color(c, STYLE_CIRCLE_STROKE_COLOR, 5, NULL, NULL), 0x000000);
    assert_near(style_number(t, STYLE_TEXT_SIZE, 5, NULL, NULL), 16, 0);
    assert_hex(style_color(t, STYLE_TEXT_COLOR, 5, NULL, NULL), 0x000000);
    assert_color(style_color(t, STYLE_TEXT_HALO_COLOR, 5, NULL, NULL), 0, 0, 0, 0);
    assert_near(style_number(t, STYLE_TEXT_HALO_WIDTH, 5, NULL, NULL), 0, 0);
    assert_near(style_number(t, STYLE_SYMBOL_SORT_KEY, 5, NULL, NULL), 0, 0);
    assert_string_equal(style_text_anchor(t), "center");
    assert_string_equal(style_text_font(t), "DejaVu Sans");
    double dx = 1, dy = 1;
    style_text_offset(t, &dx, &dy);
    assert_near(dx, 0, 0);
    assert_near(dy, 0, 0);
    char out[16] = "x";
    assert_false(style_text(t, data("towns"), town("Ptuj"), out, sizeof(out)));
    assert_true(style_filter(t, data("towns"), town("Ptuj"), 5));
    /* A property asked of the wrong kind gives nothing rather than garbage. */
    assert_near(style_number(c, STYLE_CIRCLE_COLOR, 5, NULL, NULL), 0, 0);
    assert_color(style_color(c, STYLE_CIRCLE_RADIUS, 5, NULL, NULL), 0, 0, 0, 0);
    style_destroy(s);
    assert_null(style_destroy(NULL));
}

/* ---- bad styles ---- */

#define LAYER(type, src, rest)                                                                     \
    "{\"version\": 8, \"layers\": [{\"id\": \"towns\", \"type\": \"" type "\", "                   \
    "\"source-layer\": \"" src "\"" rest "}]}"

static void test_bad_styles(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int code;
        const char *message;
    } cases[] = {
        {"{\"version\": 8,\n \"layers\": [\n {\"id\": \"a\",, }]}", ERR_FORMAT,
         "styles/bad.json:3:13: invalid JSON: string or '}' expected near ','"},
        {"{\"version\": 8, \"layers\": [], \"layers\": []}", ERR_FORMAT,
         "styles/bad.json:1:37: invalid JSON: duplicate object key near '\"layers\"'"},
        {"[]", ERR_INVALID, "styles/bad.json: a style is a JSON object"},
        {"{\"version\": 7, \"layers\": []}", ERR_INVALID, "styles/bad.json: \"version\" must be 8"},
        {"{\"version\": 8}", ERR_INVALID, "styles/bad.json: \"layers\" must be an array"},
        {"{\"version\": 8, \"layer\": []}", ERR_INVALID,
         "styles/bad.json: unknown top-level member 'layer'"},
        {"{\"version\": 8, \"layers\": [{\"type\": \"fill\"}]}", ERR_INVALID,
         "styles/bad.json: layers[0]: \"id\" must be a non-empty string"},
        {LAYER("raster", "towns", ""), ERR_INVALID,
         "styles/bad.json: layer 'towns': unknown layer type 'raster' (want background, fill, "
         "line, circle or symbol)"},
        {"{\"version\": 8, \"layers\": [{\"id\": \"towns\", \"type\": \"circle\"}]}", ERR_INVALID,
         "styles/bad.json: layer 'towns': \"source-layer\" must name a coopmap layer, e.g. "
         "\"towns\""},
        {"{\"version\": 8, \"layers\": [{\"id\": \"bg\", \"type\": \"background\", "
         "\"source-layer\": \"towns\"}]}",
         ERR_INVALID, "styles/bad.json: layer 'bg': a background layer takes no source-layer"},
        {LAYER("circle", "towns", ", \"sourcelayer\": \"x\""), ERR_INVALID,
         "styles/bad.json: layer 'towns': unknown member 'sourcelayer'"},
        {"{\"version\": 8, \"layers\": [{\"id\": \"towns\", \"type\": \"circle\", "
         "\"source-layer\": \"towns\"}, {\"id\": \"towns\", \"type\": \"symbol\", "
         "\"source-layer\": \"towns\"}]}",
         ERR_DUPLICATE, "styles/bad.json: layer 'towns': the id is used twice (layers[0] and [1])"},
        {LAYER("circle", "towns", ", \"minzoom\": 30"), ERR_INVALID,
         "styles/bad.json: layer 'towns': \"minzoom\" must be a number from 0 to 24"},
        {LAYER("circle", "towns", ", \"paint\": {\"circle-colour\": \"red\"}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-colour': unknown or unsupported property"},
        {LAYER("fill", "towns", ", \"paint\": {\"circle-color\": \"red\"}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-color': not a property of fill layers"},
        {LAYER("symbol", "towns", ", \"paint\": {\"text-field\": \"{name}\"}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'text-field': is a layout property, not a paint "
         "one"},
        {LAYER("circle", "towns", ", \"paint\": {\"circle-color\": \"bluish\"}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-color': 'bluish' is not a colour"},
        {LAYER("circle", "towns",
               ", \"paint\": {\"circle-color\": [\"interpolate\", "
               "[\"linear\"], [\"zoom\"], 5, \"red\", 9, \"bluish\"]}"),
         ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-color': 'bluish' is not a colour"},
        {LAYER("circle", "towns", ", \"paint\": {\"circle-color\": 3}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-color': want a colour, got a number"},
        {LAYER("line", "towns", ", \"paint\": {\"line-width\": \"wide\"}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'line-width': want a number, got the string "
         "'wide'"},
        {LAYER("circle", "towns", ", \"paint\": {\"circle-radius\": true}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': want a number, got true or "
         "false"},
        {LAYER("fill", "towns", ", \"paint\": {\"fill-opacity\": 1.5}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'fill-opacity': 1.5 is outside 0..1"},
        {LAYER("line", "towns", ", \"paint\": {\"line-width\": -1}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'line-width': -1 is below 0"},
        {LAYER("line", "towns", ", \"paint\": {\"line-dasharray\": [2, \"x\"]}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'line-dasharray': want an array of dash and gap "
         "lengths >= 0, in line widths"},
        {LAYER("circle", "towns",
               ", \"paint\": {\"circle-radius\": [\"interpolat\", "
               "[\"linear\"], [\"zoom\"], 5, 1]}"),
         ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': unknown or unsupported "
         "expression operator 'interpolat'"},
        {LAYER("circle", "towns",
               ", \"paint\": {\"circle-radius\": [\"interpolate\", "
               "[\"linear\"], [\"zoom\"], 10, 1, 5, 2]}"),
         ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': 'interpolate': stop inputs must "
         "increase (5 after 10)"},
        {LAYER("circle", "towns",
               ", \"paint\": {\"circle-radius\": [\"interpolate\", "
               "[\"cubic-bezier\", 0, 0, 1, 1], [\"zoom\"], 5, 1]}"),
         ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': 'interpolate': the type must be "
         "[\"linear\"] or [\"exponential\", base] with base > 0"},
        {LAYER("circle", "towns",
               ", \"paint\": {\"circle-radius\": {\"stops\": [[5, 1]], "
               "\"bas\": 2}}"),
         ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': unknown function member 'bas'"},
        {LAYER("circle", "towns", ", \"paint\": {\"circle-radius\": {\"base\": 2}}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': want a number, a function "
         "{\"stops\": ...} or an expression, got an object"},
        {LAYER("circle", "towns", ", \"paint\": {\"circle-radius\": [\"==\", 1, 1]}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': '==' gives true or false where a "
         "number is wanted"},
        {LAYER("circle", "towns", ", \"paint\": {\"circle-radius\": [\"-\", 1, 2, 3]}"),
         ERR_INVALID,
         "styles/bad.json: layer 'towns': paint 'circle-radius': '-' takes one or two numbers"},
        {"{\"version\": 8, \"layers\": [{\"id\": \"bg\", \"type\": \"background\", \"paint\": "
         "{\"background-color\": [\"get\", \"colour\"]}}]}",
         ERR_INVALID,
         "styles/bad.json: layer 'bg': paint 'background-color': cannot read feature data (field "
         "'colour') here"},
        {LAYER("symbol", "towns", ", \"layout\": {\"text-anchor\": \"middle\"}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': layout 'text-anchor': want one of \"center\", \"left\", "
         "\"right\", \"top\", \"bottom\", \"top-left\", \"top-right\", \"bottom-left\", "
         "\"bottom-right\", got 'middle'"},
        {LAYER("circle", "towns", ", \"layout\": {\"visibility\": false}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': layout 'visibility': want one of \"visible\", \"none\" "
         "(a literal string)"},
        {LAYER("symbol", "towns", ", \"layout\": {\"text-offset\": [1]}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': layout 'text-offset': want [x, y] in ems"},
        {LAYER("symbol", "towns", ", \"layout\": {\"text-font\": \"DejaVu Sans\"}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': layout 'text-font': want an array of font names, such "
         "as [\"DejaVu Sans Bold\"]"},
        {LAYER("symbol", "towns", ", \"layout\": {\"text-field\": 3}"), ERR_INVALID,
         "styles/bad.json: layer 'towns': layout 'text-field': want a string with {field} tokens, "
         "[\"get\", \"field\"] or [\"coalesce\", [\"get\", \"field\"], ...]"},
        {LAYER("circle", "towns", ", \"filter\": [\"=\", \"country\", \"SI\"]"), ERR_INVALID,
         "styles/bad.json: layer 'towns': filter: unknown or unsupported expression operator '='"},
        {LAYER("circle", "towns", ", \"filter\": \"country\""), ERR_INVALID,
         "styles/bad.json: layer 'towns': filter: a filter is an array such as [\"==\", "
         "\"field\", value], got a string"},
        {LAYER("circle", "towns", ", \"filter\": [\"==\", \"country\"]"), ERR_INVALID,
         "styles/bad.json: layer 'towns': filter: '==' takes two operands: [\"==\", \"field\", "
         "value] or [\"==\", [\"get\", \"field\"], value]"},
        {LAYER("circle", "towns", ", \"filter\": [\"in\", \"country\", [\"SI\"]]"), ERR_INVALID,
         "styles/bad.json: layer 'towns': filter: 'in': values must be strings, numbers or "
         "booleans, got an array"},
        {LAYER("circle", "towns", ", \"filter\": [\"+\", 1, 2]"), ERR_INVALID,
         "styles/bad.json: layer 'towns': filter: '+' gives a number where true or false is "
         "wanted"},
    };
    int wrong = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        style_t *s = (style_t *)1;
        error_t err = {0};
        int rc = style_parse(cases[i].json, "styles/bad.json", &s, &err);
        if (rc != cases[i].code || strcmp(err.message, cases[i].message) != 0) {
            print_error("case %zu: got %d '%s'\n  want %d '%s'\n", i, rc, err.message,
                        cases[i].code, cases[i].message);
            wrong++;
        }
        assert_null(s);
    }
    assert_int_equal(wrong, 0);
}

static void test_bad_files(void **state)
{
    (void)state;
    style_t *s = (style_t *)1;
    error_t err = {0};
    assert_int_equal(style_load("/nonexistent/x.json", &s, &err), ERR_IO);
    assert_string_equal(err.message, "/nonexistent/x.json: cannot open style file");
    assert_null(s);
    char path[] = "/tmp/coopmap-style-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "{\n  \"version\": 8,\n  \"layers\": [\n    {\"id\": \"x\" \"type\"}\n]}";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    assert_int_equal(style_load(path, &s, &err), ERR_FORMAT);
    char want[256];
    snprintf(want, sizeof(want), "%s:4:21: invalid JSON: '}' expected near '\"type\"'", path);
    assert_string_equal(err.message, want);
    unlink(path);
}

static void test_check_layers(void **state)
{
    (void)state;
    error_t err = {0};
    style_t *s = layer_style("{\"id\": \"t\", \"type\": \"circle\", \"source-layer\": \"townz\"}");
    assert_int_equal(style_check_layers(s, layers, nlayers, &err), ERR_NOTFOUND);
    assert_string_equal(err.message, "test.json: layer 't': source-layer 'townz' is not a layer "
                                     "of the data (it has: towns, regions, countries, rivers, "
                                     "ties, network)");
    style_destroy(s);
    static const struct {
        const char *layer, *prefix;
    } cases[] = {
        {"\"filter\": [\"==\", \"contry\", \"SI\"]",
         "test.json: layer 't': filter: layer 'towns' has no field 'contry' (it has: name, "},
        {"\"filter\": [\"all\", [\"has\", \"name\"], [\"in\", [\"get\", \"nam\"], \"x\"]]",
         "test.json: layer 't': filter: layer 'towns' has no field 'nam' (it has: name, "},
        {"\"paint\": {\"circle-radius\": {\"property\": \"pop\", \"stops\": [[0, 1]]}}",
         "test.json: layer 't': paint 'circle-radius': layer 'towns' has no field 'pop' (it "
         "has: name, "},
        {"\"paint\": {\"circle-color\": [\"match\", [\"get\", \"kind\"], \"a\", \"red\", "
         "\"blue\"]}",
         "test.json: layer 't': paint 'circle-color': layer 'towns' has no field 'kind' (it has: "
         "name, "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[1024];
        snprintf(buf, sizeof(buf),
                 "{\"id\": \"t\", \"type\": \"circle\", \"source-layer\": \"towns\", %s}",
                 cases[i].layer);
        s = layer_style(buf);
        assert_int_equal(style_check_layers(s, layers, nlayers, &err), ERR_NOTFOUND);
        if (strncmp(err.message, cases[i].prefix, strlen(cases[i].prefix)) != 0 ||
            strstr(err.message, "population") == NULL)
            fail_msg("got '%s', want '%s...'", err.message, cases[i].prefix);
        style_destroy(s);
    }
    s = layer_style("{\"id\": \"t\", \"type\": \"symbol\", \"source-layer\": \"towns\", "
                    "\"layout\": {\"text-field\": \"{name} {nmae}\"}}");
    assert_int_equal(style_check_layers(s, layers, nlayers, &err), ERR_NOTFOUND);
    assert_non_null(strstr(err.message, "test.json: layer 't': layout 'text-field': layer "
                                        "'towns' has no field 'nmae' (it has: "));
    style_destroy(s);
}

/* Render threads evaluate while a reload checks the style against a layer
 * whose fields sit elsewhere: every answer stays right. */
typedef struct race {
    const style_layer_t *layer;
    const layer_t *a, *b;
    int wrong;
} race_t;

static void *evaluate(void *arg)
{
    race_t *r = arg;
    char out[64];
    for (int i = 0; i < 20000; i++) {
        const layer_t *l = i % 2 ? r->a : r->b;
        if (!style_filter(r->layer, l, &l->features[0], 10) ||
            !style_text(r->layer, l, &l->features[0], out, sizeof(out)) ||
            strcmp(out, "Őriszentpéter") != 0)
            r->wrong++;
    }
    return NULL;
}

static void test_concurrent_checks(void **state)
{
    (void)state;
    layer_t *a = typed_layer(false), *b = typed_layer(true);
    style_t *s = layer_style("{\"id\": \"t\", \"type\": \"symbol\", \"source-layer\": \"things\", "
                             "\"filter\": [\"all\", [\"==\", \"b\", true], [\"has\", \"x\"], "
                             "[\"!has\", \"none\"]], \"layout\": {\"text-field\": \"{name}\"}}");
    race_t r[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (race_t){style_layer(s, 0), a, b, 0};
        assert_int_equal(pthread_create(&t[i], NULL, evaluate, &r[i]), 0);
    }
    for (int i = 0; i < 2000; i++) {
        const layer_t *one = i % 2 ? a : b;
        error_t err = {0};
        assert_int_equal(style_check_layers(s, &one, 1, &err), ERR_OK);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].wrong, 0);
    }
    style_destroy(s);
    layer_destroy(a);
    layer_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_styles_load_and_check),
        cmocka_unit_test(test_default_style),
        cmocka_unit_test(test_data_driven_radius),
        cmocka_unit_test(test_colors),
        cmocka_unit_test(test_zoom_functions),
        cmocka_unit_test(test_data_functions),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_fonts),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad_styles),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_check_layers),
        cmocka_unit_test(test_concurrent_checks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
