/* fuzz_style: style_parse() on any text. A style it accepts must then pass
 * style_check_layers() against the default data or fail with a message;
 * one that passes is evaluated the way the renderer does, for every
 * feature of its layers at several zooms: numbers finite, colours in
 * 0..1, dashes finite and >= 0, labels valid UTF-8. Never a crash. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "render/style.h"
#include "util/text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const layer_t *layers[16];
static size_t nlayers;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    dataset_t *ds = fuzz_dataset();
    for (nlayers = 0; nlayers < dataset_layer_count(ds) && nlayers < 16; nlayers++)
        layers[nlayers] = dataset_layer(ds, nlayers);
    return 0;
}

static const layer_t *data_of(const style_layer_t *l)
{
    const char *source = style_layer_source(l);
    for (size_t i = 0; source && i < nlayers; i++)
        if (strcmp(layers[i]->id, source) == 0) return layers[i];
    return NULL;
}

static void check_color(style_color_t c, const char *layer, int prop)
{
    double v[4] = {c.r, c.g, c.b, c.a};
    for (int i = 0; i < 4; i++)
        if (!(v[i] >= 0 && v[i] <= 1))
            fuzz_fail("layer '%s': colour property %d has component %d = %g", layer, prop, i, v[i]);
}

/* Every property, as the renderer would ask for it, for one feature (or
 * none: f NULL). */
static void evaluate(const style_layer_t *l, const layer_t *data, const feature_t *f, double zoom)
{
    const char *id = style_layer_id(l);
    (void)style_layer_visible(l, zoom);
    if (f) (void)style_filter(l, data, f, zoom);
    for (int p = 0; p < STYLE_PROP_COUNT; p++) {
        double x = style_number(l, (style_prop_t)p, zoom, data, f);
        if (!isfinite(x)) fuzz_fail("layer '%s': property %d is %g", id, p, x);
        check_color(style_color(l, (style_prop_t)p, zoom, data, f), id, p);
    }
    char label[256];
    if (style_text(l, data, f, label, sizeof(label)) && !text_utf8_valid(label, strlen(label)))
        fuzz_fail("layer '%s': label is not UTF-8", id);
}

static void check_layer(const style_layer_t *l)
{
    static const double zooms[] = {0, 3.5, 9, 12.25, 18, 22, -1, 1e300};
    const layer_t *data = data_of(l);
    size_t n = 0;
    const double *dash = style_line_dasharray(l, &n);
    for (size_t i = 0; i < n; i++)
        if (!(dash[i] >= 0) || !isfinite(dash[i]))
            fuzz_fail("layer '%s': dash %zu is %g", style_layer_id(l), i, dash[i]);
    const char *const *anchors;
    size_t na = style_text_anchors(l, &anchors);
    for (size_t i = 0; i < na; i++)
        if (anchors[i] == NULL) fuzz_fail("layer '%s': anchor %zu is NULL", style_layer_id(l), i);
    double dx, dy;
    style_text_offset(l, &dx, &dy);
    if (!isfinite(dx) || !isfinite(dy) || style_text_font(l) == NULL ||
        style_text_anchor(l) == NULL)
        fuzz_fail("layer '%s': bad text layout", style_layer_id(l));
    for (size_t z = 0; z < sizeof(zooms) / sizeof(zooms[0]); z++) {
        evaluate(l, NULL, NULL, zooms[z]);
        for (size_t i = 0; data && i < data->nfeatures; i++)
            evaluate(l, data, &data->features[i], zooms[z]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    style_t *style = NULL;
    error_t err = {0};
    int rc = style_parse(text, "fuzz.json", &style, &err);
    if (rc != ERR_OK) {
        if (style != NULL || err.message[0] == '\0') fuzz_fail("refused %d without a message", rc);
        free(text);
        return 0;
    }
    if (style_id(style) == NULL || style_title(style) == NULL) fuzz_fail("no id or title");
    err = (error_t){0};
    rc = style_check_layers(style, layers, nlayers, &err);
    if (rc != ERR_OK && err.message[0] == '\0') fuzz_fail("check refused %d without a message", rc);
    if (rc == ERR_OK)
        for (size_t i = 0; i < style_layer_count(style); i++)
            check_layer(style_layer(style, i));
    style_destroy(style);
    free(text);
    return 0;
}
