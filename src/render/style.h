/* Map styles: a documented subset of the MapLibre Style Spec (see
 * styles/README.md), parsed and validated once, then evaluated per feature
 * and zoom by the renderer. Immutable after loading: any number of render
 * threads may evaluate one style at the same time. */
#ifndef COOPMAP_STYLE_H
#define COOPMAP_STYLE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "data/layer.h"

typedef struct style style_t;
typedef struct style_layer style_layer_t;

typedef enum style_layer_type {
    STYLE_BACKGROUND,
    STYLE_FILL,
    STYLE_LINE,
    STYLE_CIRCLE,
    STYLE_SYMBOL
} style_layer_type_t;

/* Colours are straight (not premultiplied) RGBA, each 0..1. */
typedef struct style_color {
    double r, g, b, a;
} style_color_t;

/* Paint and layout properties the renderer asks for. Each is valid only for
 * the layer types the spec gives it. */
typedef enum style_prop {
    STYLE_BACKGROUND_COLOR,
    STYLE_BACKGROUND_OPACITY,
    STYLE_FILL_COLOR,
    STYLE_FILL_OPACITY,
    STYLE_FILL_OUTLINE_COLOR,
    STYLE_LINE_COLOR,
    STYLE_LINE_WIDTH,
    STYLE_LINE_OPACITY,
    STYLE_CIRCLE_RADIUS,
    STYLE_CIRCLE_COLOR,
    STYLE_CIRCLE_OPACITY,
    STYLE_CIRCLE_STROKE_COLOR,
    STYLE_CIRCLE_STROKE_WIDTH,
    STYLE_TEXT_SIZE,
    STYLE_TEXT_COLOR,
    STYLE_TEXT_HALO_COLOR,
    STYLE_TEXT_HALO_WIDTH,
    STYLE_SYMBOL_SORT_KEY, /* lower keys are placed first */
    STYLE_PROP_COUNT
} style_prop_t;

/* Reads and validates a style file. On failure err names the file, the
 * layer id and the property ("styles/x.json: layer 'towns': paint
 * 'circle-color': 'bluish' is not a colour"). The caller frees *out with
 * style_destroy(). */
int style_load(const char *path, style_t **out, error_t *err);

/* The same from text; `name` stands for the file in messages. */
int style_parse(const char *json, const char *name, style_t **out, error_t *err);

style_t *style_destroy(style_t *style);

/* The languages maps may be drawn in: features name themselves in them
 * with name_sl, name_de, ... (geodata/SOURCES.md). */
#define STYLE_LANGS                                                                                \
    {                                                                                              \
        "sl", "de", "hu", "en"                                                                     \
    }
bool style_lang_known(const char *lang);

/* A variant of the style whose labels follow a language (lang NULL: none)
 * and, if bilingual, show a place's official bilingual name first: every
 * text-field that is "{name}" or ["get", "name"] reads name_bilingual (if
 * bilingual), then name_<lang>, then name, the first the feature has. Its
 * id is the base's; style_lang() tells them apart. Free with
 * style_destroy(). */
int style_localize(const style_t *base, const char *lang, bool bilingual, style_t **out,
                   error_t *err);

struct json_t;
/* "" for a style as loaded; "de", "de+bilingual", "+bilingual" for variants. */
const char *style_lang(const style_t *style);

/* The style's id: the file name without .json (e.g. "default"). */
const char *style_id(const style_t *style);

/* The style file as read (a jansson object; borrowed, never modified). */
const struct json_t *style_document(const style_t *style);
const char *style_title(const style_t *style); /* "name" member, or the id */

size_t style_layer_count(const style_t *style);
const style_layer_t *style_layer(const style_t *style, size_t i); /* bottom to top */

style_layer_type_t style_layer_type(const style_layer_t *l);
const char *style_layer_id(const style_layer_t *l);
const char *style_layer_source(const style_layer_t *l); /* source-layer; NULL: background */

/* minzoom <= zoom < maxzoom and layout visibility is not "none". */
bool style_layer_visible(const style_layer_t *l, double zoom);

/* Does the feature pass the layer's filter (true when it has none)? */
bool style_filter(const style_layer_t *l, const layer_t *data, const feature_t *f, double zoom);

/* A property at this zoom for this feature (zoom functions, `stops`,
 * `interpolate`/`step` on ["zoom"] or ["get", field]); the spec's default
 * when the layer does not set it. f and data may be NULL for layer-wide
 * values (background). */
double style_number(const style_layer_t *l, style_prop_t prop, double zoom, const layer_t *data,
                    const feature_t *f);
style_color_t style_color(const style_layer_t *l, style_prop_t prop, double zoom,
                          const layer_t *data, const feature_t *f);

/* What a property or the filter reads, so that callers can compute it once
 * for every zoom or every feature: a mask of these. */
#define STYLE_READS_ZOOM    1u
#define STYLE_READS_FEATURE 2u
unsigned style_prop_inputs(const style_layer_t *l, style_prop_t prop);
unsigned style_filter_inputs(const style_layer_t *l);

/* Does the layer set this property itself (rather than take the default)?
 * Lets the renderer skip work, e.g. an unset fill-outline-color, which
 * style_color() reports as the fill colour, as MapLibre draws it. */
bool style_has_property(const style_layer_t *l, style_prop_t prop);

/* line-dasharray in line widths; *n = 0 when solid. Borrowed. */
const double *style_line_dasharray(const style_layer_t *l, size_t *n);

/* text-field with {field} tokens replaced by the feature's values, into
 * out. Returns false when the result is empty (nothing to draw). */
bool style_text(const style_layer_t *l, const layer_t *data, const feature_t *f, char *out,
                size_t size);

/* text-font as a Pango font family list ("DejaVu Sans Bold"); borrowed. */
const char *style_text_font(const style_layer_t *l);

/* text-anchor ("center", "top", "bottom", "left", "right", "top-left", ...)
 * and text-offset in ems. */
const char *style_text_anchor(const style_layer_t *l);
void style_text_offset(const style_layer_t *l, double *dx, double *dy);

/* The anchors to try, in order: text-variable-anchor when set (a label
 * that collides at one anchor is tried at the next), else text-anchor
 * alone. Borrowed. */
size_t style_text_anchors(const style_layer_t *l, const char *const **anchors);

/* Checks that every source-layer names a layer of the dataset (and every
 * field a filter or expression reads exists in it), so a typo is an error
 * at start-up, not an empty map. */
int style_check_layers(const style_t *style, const layer_t *const *layers, size_t nlayers,
                       error_t *err);

#endif
