/* Map styles: reading a MapLibre-style JSON file (its layers, their members
 * and properties), checking it against a dataset, and the queries the
 * renderer makes per layer, zoom and feature. Values and filters compile in
 * style_expr.c. */
#include "render/style.h"
#include "render/style_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_FONT "DejaVu Sans"

/* A piece of text-field: literal text, or a {field} token (text NULL):
 * the first of its fields that the feature has (["coalesce", ["get", a],
 * ["get", b]] gives two). */
#define TEXT_FIELDS 4
typedef struct text_part {
    char *text;
    field_ref_t field[TEXT_FIELDS];
    size_t nfields;
} text_part_t;

struct style_layer {
    char *id, *source; /* source NULL for background */
    style_layer_type_t type;
    double minzoom, maxzoom;
    bool hidden;
    expr_t *filter;                  /* NULL: every feature */
    expr_t *props[STYLE_PROP_COUNT]; /* NULL: the spec's default */
    text_part_t *text;
    size_t ntext;
    char *font;             /* Pango family list; NULL: DEFAULT_FONT */
    const char *anchor;     /* static */
    const char *anchors[9]; /* text-variable-anchor, in order; static strings */
    size_t nanchors;
    double offset[2];
    double *dash;
    size_t ndash;
};

struct style {
    char *file, *id, *title;
    char lang[24]; /* of a variant (style_localize): "de", "de+bilingual"; "" */
    json_t *doc;   /* the file as read, for the browser's copy (style_document) */
    style_layer_t *layers;
    size_t nlayers;
};

/* ---- the properties ---- */

#define T_BACKGROUND (1u << STYLE_BACKGROUND)
#define T_FILL       (1u << STYLE_FILL)
#define T_LINE       (1u << STYLE_LINE)
#define T_CIRCLE     (1u << STYLE_CIRCLE)
#define T_SYMBOL     (1u << STYLE_SYMBOL)
#define T_ALL        (T_BACKGROUND | T_FILL | T_LINE | T_CIRCLE | T_SYMBOL)

static const char *const type_names[] = {"background", "fill", "line", "circle", "symbol"};

typedef enum kind { K_NUMBER, K_COLOR, K_ENUM, K_FONT, K_OFFSET, K_DASH, K_TEXT, K_ANCHORS } kind_t;

typedef struct prop_def {
    const char *name;
    bool layout;
    unsigned types;
    kind_t kind;
    int prop;                  /* style_prop_t for K_NUMBER and K_COLOR */
    const char *const *values; /* K_ENUM, NULL-terminated, default first */
} prop_def_t;

static const char *const visibility_values[] = {"visible", "none", NULL};
static const char *const anchor_values[] = {"center",       "left",     "right",     "top",
                                            "bottom",       "top-left", "top-right", "bottom-left",
                                            "bottom-right", NULL};
static const char *const cap_values[] = {"butt", "round", "square", NULL};
static const char *const join_values[] = {"miter", "bevel", "round", NULL};

static const prop_def_t prop_defs[] = {
    {"visibility", true, T_ALL, K_ENUM, -1, visibility_values},
    {"text-field", true, T_SYMBOL, K_TEXT, -1, NULL},
    {"text-font", true, T_SYMBOL, K_FONT, -1, NULL},
    {"text-size", true, T_SYMBOL, K_NUMBER, STYLE_TEXT_SIZE, NULL},
    {"text-anchor", true, T_SYMBOL, K_ENUM, -1, anchor_values},
    {"text-offset", true, T_SYMBOL, K_OFFSET, -1, NULL},
    {"text-variable-anchor", true, T_SYMBOL, K_ANCHORS, -1, anchor_values},
    {"symbol-sort-key", true, T_SYMBOL, K_NUMBER, STYLE_SYMBOL_SORT_KEY, NULL},
    /* Validated, not passed on: the renderer draws round caps and joins. */
    {"line-cap", true, T_LINE, K_ENUM, -1, cap_values},
    {"line-join", true, T_LINE, K_ENUM, -1, join_values},
    {"background-color", false, T_BACKGROUND, K_COLOR, STYLE_BACKGROUND_COLOR, NULL},
    {"background-opacity", false, T_BACKGROUND, K_NUMBER, STYLE_BACKGROUND_OPACITY, NULL},
    {"fill-color", false, T_FILL, K_COLOR, STYLE_FILL_COLOR, NULL},
    {"fill-opacity", false, T_FILL, K_NUMBER, STYLE_FILL_OPACITY, NULL},
    {"fill-outline-color", false, T_FILL, K_COLOR, STYLE_FILL_OUTLINE_COLOR, NULL},
    {"line-color", false, T_LINE, K_COLOR, STYLE_LINE_COLOR, NULL},
    {"line-width", false, T_LINE, K_NUMBER, STYLE_LINE_WIDTH, NULL},
    {"line-opacity", false, T_LINE, K_NUMBER, STYLE_LINE_OPACITY, NULL},
    {"line-dasharray", false, T_LINE, K_DASH, -1, NULL},
    {"circle-radius", false, T_CIRCLE, K_NUMBER, STYLE_CIRCLE_RADIUS, NULL},
    {"circle-color", false, T_CIRCLE, K_COLOR, STYLE_CIRCLE_COLOR, NULL},
    {"circle-opacity", false, T_CIRCLE, K_NUMBER, STYLE_CIRCLE_OPACITY, NULL},
    {"circle-stroke-color", false, T_CIRCLE, K_COLOR, STYLE_CIRCLE_STROKE_COLOR, NULL},
    {"circle-stroke-width", false, T_CIRCLE, K_NUMBER, STYLE_CIRCLE_STROKE_WIDTH, NULL},
    {"text-color", false, T_SYMBOL, K_COLOR, STYLE_TEXT_COLOR, NULL},
    {"text-halo-color", false, T_SYMBOL, K_COLOR, STYLE_TEXT_HALO_COLOR, NULL},
    {"text-halo-width", false, T_SYMBOL, K_NUMBER, STYLE_TEXT_HALO_WIDTH, NULL},
};

#define NPROP_DEFS (sizeof(prop_defs) / sizeof(prop_defs[0]))

/* Defaults and ranges from the MapLibre Style Spec. */
static const struct {
    bool color;
    double def, min, max;
    style_color_t color_def;
} prop_info[STYLE_PROP_COUNT] = {
    [STYLE_BACKGROUND_COLOR] = {true, 0, 0, 0, {0, 0, 0, 1}},
    [STYLE_BACKGROUND_OPACITY] = {false, 1, 0, 1, {0}},
    [STYLE_FILL_COLOR] = {true, 0, 0, 0, {0, 0, 0, 1}},
    [STYLE_FILL_OPACITY] = {false, 1, 0, 1, {0}},
    [STYLE_FILL_OUTLINE_COLOR] = {true, 0, 0, 0, {0, 0, 0, 1}},
    [STYLE_LINE_COLOR] = {true, 0, 0, 0, {0, 0, 0, 1}},
    [STYLE_LINE_WIDTH] = {false, 1, 0, INFINITY, {0}},
    [STYLE_LINE_OPACITY] = {false, 1, 0, 1, {0}},
    [STYLE_CIRCLE_RADIUS] = {false, 5, 0, INFINITY, {0}},
    [STYLE_CIRCLE_COLOR] = {true, 0, 0, 0, {0, 0, 0, 1}},
    [STYLE_CIRCLE_OPACITY] = {false, 1, 0, 1, {0}},
    [STYLE_CIRCLE_STROKE_COLOR] = {true, 0, 0, 0, {0, 0, 0, 1}},
    [STYLE_CIRCLE_STROKE_WIDTH] = {false, 0, 0, INFINITY, {0}},
    [STYLE_TEXT_SIZE] = {false, 16, 0, INFINITY, {0}},
    [STYLE_TEXT_COLOR] = {true, 0, 0, 0, {0, 0, 0, 1}},
    [STYLE_TEXT_HALO_COLOR] = {true, 0, 0, 0, {0, 0, 0, 0}},
    [STYLE_TEXT_HALO_WIDTH] = {false, 0, 0, INFINITY, {0}},
    [STYLE_SYMBOL_SORT_KEY] = {false, 0, -INFINITY, INFINITY, {0}},
};

static const prop_def_t *find_prop_def(const char *name)
{
    for (size_t i = 0; i < NPROP_DEFS; i++)
        if (strcmp(prop_defs[i].name, name) == 0) return &prop_defs[i];
    return NULL;
}

static const prop_def_t *prop_def_of(style_prop_t prop)
{
    for (size_t i = 0; i < NPROP_DEFS; i++)
        if (prop_defs[i].prop == (int)prop) return &prop_defs[i];
    return NULL;
}

/* ---- parsing properties ---- */

static int parse_enum(const prop_def_t *d, json_t *v, style_layer_t *l, const char *where,
                      error_t *err)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; s && d->values[i]; i++) {
        if (strcmp(s, d->values[i]) != 0) continue;
        if (d->values == visibility_values)
            l->hidden = i == 1;
        else if (d->values == anchor_values)
            l->anchor = d->values[i];
        return ERR_OK;
    }
    char list[256] = "";
    for (size_t i = 0; d->values[i]; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"", i ? ", " : "",
                 d->values[i]);
    if (s) return error_set(err, ERR_INVALID, "%s: want one of %s, got '%s'", where, list, s);
    return error_set(err, ERR_INVALID, "%s: want one of %s (a literal string)", where, list);
}

/* Words Pango reads as style rather than family at the end of a font name. */
static bool style_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "Regular",   "Normal",   "Book",       "Roman",         "Italic",    "Oblique",
        "Thin",      "Light",    "ExtraLight", "UltraLight",    "Medium",    "SemiBold",
        "Semi-Bold", "DemiBold", "Bold",       "ExtraBold",     "UltraBold", "Ultra-Bold",
        "Black",     "Heavy",    "Condensed",  "SemiCondensed", "Expanded",  NULL};
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && strncmp(words[i], w, n) == 0) return true;
    return false;
}

/* Length of the family part of a font name: without trailing style words. */
static size_t family_length(const char *name)
{
    size_t end = strlen(name);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && name[start - 1] != ' ')
            start--;
        if (start == 0 || !style_word(name + start, end - start)) break;
        end = start - 1;
    }
    return end;
}

/* ["Noto Sans Bold", "DejaVu Sans Bold"] becomes "Noto Sans,DejaVu Sans
 * Bold": Pango takes one family list and one set of style words, so every
 * name gives its family and the first gives the style ("Regular" goes). */
static int parse_font(json_t *v, style_layer_t *l, const char *where, error_t *err)
{
    size_t n = json_array_size(v), len = 1;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(v, i));
        if (name == NULL || family_length(name) == 0)
            n = 0;
        else
            len += strlen(name) + 1;
    }
    if (!json_is_array(v) || n == 0)
        return error_set(err, ERR_INVALID,
                         "%s: want an array of font names, such as "
                         "[\"DejaVu Sans Bold\"]",
                         where);
    const char *first = json_string_value(json_array_get(v, 0));
    if (n == 2 && strcmp(first, "Open Sans Regular") == 0 &&
        strcmp(json_string_value(json_array_get(v, 1)), "Arial Unicode MS Regular") == 0)
        return ERR_OK; /* the spec's default: ours is DejaVu Sans */
    if ((l->font = malloc(len)) == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    char *p = l->font;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(v, i));
        size_t fl = family_length(name);
        if (i > 0) *p++ = ',';
        memcpy(p, name, fl);
        p += fl;
    }
    for (const char *w = first + family_length(first); *w;) {
        size_t wl = strcspn(++w, " ");
        if (!(wl == 7 && strncmp(w, "Regular", 7) == 0)) {
            *p++ = ' ';
            memcpy(p, w, wl);
            p += wl;
        }
        w += wl;
    }
    *p = '\0';
    return ERR_OK;
}

/* Reads n non-negative numbers (or exactly n when exact). */
static int parse_numbers(json_t *v, double *out, size_t n, bool exact, bool positive)
{
    if (!json_is_array(v) || json_array_size(v) == 0 ||
        (exact ? json_array_size(v) != n : json_array_size(v) > n))
        return -1;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_number(x) || (positive && json_number_value(x) < 0)) return -1;
        out[i] = json_number_value(x);
    }
    return 0;
}

static int add_text_part(style_layer_t *l, const char *s, size_t n, bool field)
{
    text_part_t *parts = realloc(l->text, (l->ntext + 1) * sizeof(*parts));
    if (parts == NULL) return -1;
    l->text = parts;
    text_part_t *t = &parts[l->ntext];
    memset(t, 0, sizeof(*t));
    char *copy = strndup(s, n);
    if (copy == NULL) return -1;
    t->text = field ? NULL : copy;
    t->field[0].name = field ? copy : NULL;
    t->nfields = field;
    atomic_init(&t->field[0].hint, -1);
    l->ntext++;
    return 0;
}

/* Another field for the last part to fall back on. */
static int add_fallback(style_layer_t *l, const char *name)
{
    text_part_t *t = &l->text[l->ntext - 1];
    if ((t->field[t->nfields].name = strdup(name)) == NULL) return -1;
    atomic_init(&t->field[t->nfields].hint, -1);
    t->nfields++;
    return 0;
}

static const char *get_field(json_t *v) /* the field of ["get", "field"], or NULL */
{
    json_t *op = json_array_get(v, 0), *field = json_array_get(v, 1);
    return json_array_size(v) == 2 && json_is_string(op) &&
                   strcmp(json_string_value(op), "get") == 0 && json_is_string(field)
               ? json_string_value(field)
               : NULL;
}

/* ["coalesce", ["get", a], ["get", b], ...]: one part, the first field the
 * feature has. */
static int parse_coalesce(json_t *v, style_layer_t *l, const char *where, error_t *err)
{
    size_t n = json_array_size(v);
    for (size_t i = 1; i < n; i++)
        if (get_field(json_array_get(v, i)) == NULL || n - 1 > TEXT_FIELDS)
            return error_set(err, ERR_INVALID,
                             "%s: a text-field \"coalesce\" takes 1 to %d [\"get\", \"field\"]",
                             where, TEXT_FIELDS);
    const char *first = get_field(json_array_get(v, 1));
    if (n < 2 || add_text_part(l, first, strlen(first), true))
        return n < 2 ? error_set(err, ERR_INVALID, "%s: an empty \"coalesce\"", where)
                     : error_set(err, ERR_NOMEM, "out of memory");
    for (size_t i = 2; i < n; i++)
        if (add_fallback(l, get_field(json_array_get(v, i))))
            return error_set(err, ERR_NOMEM, "out of memory");
    return ERR_OK;
}

/* "{name} ({population})": literal text and {field} tokens; a '{' without
 * its '}' is text. ["get", "name"] is the same as "{name}"; ["coalesce",
 * ["get", ...], ...] reads the first of the fields the feature has. */
static int parse_text(json_t *v, style_layer_t *l, const char *where, error_t *err)
{
    const char *field = get_field(v);
    if (field)
        return add_text_part(l, field, strlen(field), true)
                   ? error_set(err, ERR_NOMEM, "out of memory")
                   : ERR_OK;
    json_t *op = json_array_get(v, 0);
    if (json_is_string(op) && strcmp(json_string_value(op), "coalesce") == 0)
        return parse_coalesce(v, l, where, err);
    if (!json_is_string(v))
        return error_set(err, ERR_INVALID,
                         "%s: want a string with {field} tokens, [\"get\", \"field\"] or "
                         "[\"coalesce\", [\"get\", \"field\"], ...]",
                         where);
    const char *s = json_string_value(v);
    while (*s) {
        const char *open = strchr(s, '{'), *close = open ? strchr(open + 1, '}') : NULL;
        const char *inner = open ? strchr(open + 1, '{') : NULL;
        bool token = close && close > open + 1 && (inner == NULL || inner > close);
        size_t lit = token ? (size_t)(open - s) : open ? (size_t)(open - s) + 1 : strlen(s);
        if ((lit && add_text_part(l, s, lit, false)) ||
            (token && add_text_part(l, open + 1, (size_t)(close - open - 1), true)))
            return error_set(err, ERR_NOMEM, "out of memory");
        s = token ? close + 1 : s + lit;
    }
    return ERR_OK;
}

/* A constant outside the property's range is an error, not a clamp. */
static int check_range(const expr_t *e, style_prop_t prop, const char *where, error_t *err)
{
    sval_t v;
    if (expr_constant(e, &v) && v.type == V_NUMBER &&
        (v.u.n < prop_info[prop].min || v.u.n > prop_info[prop].max)) {
        if (isinf(prop_info[prop].max))
            return error_set(err, ERR_INVALID, "%s: %g is below %g", where, v.u.n,
                             prop_info[prop].min);
        return error_set(err, ERR_INVALID, "%s: %g is outside %g..%g", where, v.u.n,
                         prop_info[prop].min, prop_info[prop].max);
    }
    return ERR_OK;
}

/* text-variable-anchor: anchors to try in order when the first collides. */
static int parse_anchors(json_t *v, style_layer_t *l, const char *where, error_t *err)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0 || n > 9)
        return error_set(err, ERR_INVALID, "%s: want an array of 1 to 9 anchors", where);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        size_t k = 0;
        while (s && anchor_values[k] && strcmp(anchor_values[k], s) != 0)
            k++;
        if (s == NULL || anchor_values[k] == NULL)
            return error_set(err, ERR_INVALID, "%s: '%s' is not an anchor", where,
                             s ? s : "(not a string)");
        l->anchors[i] = anchor_values[k];
    }
    l->nanchors = n;
    return ERR_OK;
}

static int parse_property(style_layer_t *l, const char *layer_where, bool layout, const char *key,
                          json_t *v, error_t *err)
{
    char where[512];
    snprintf(where, sizeof(where), "%s: %s '%s'", layer_where, layout ? "layout" : "paint", key);
    const prop_def_t *d = find_prop_def(key);
    if (d == NULL) return error_set(err, ERR_INVALID, "%s: unknown or unsupported property", where);
    if (d->layout != layout)
        return error_set(err, ERR_INVALID, "%s: is a %s property, not a %s one", where,
                         d->layout ? "layout" : "paint", layout ? "layout" : "paint");
    if (!(d->types & (1u << l->type)))
        return error_set(err, ERR_INVALID, "%s: not a property of %s layers", where,
                         type_names[l->type]);
    compile_ctx_t c = {where, l->type != STYLE_BACKGROUND, err};
    int rc;
    switch (d->kind) {
    case K_NUMBER:
    case K_COLOR:
        rc = expr_compile_value(v, d->kind == K_COLOR ? V_COLOR : V_NUMBER, &c, &l->props[d->prop]);
        return rc == ERR_OK && d->kind == K_NUMBER
                   ? check_range(l->props[d->prop], d->prop, where, err)
                   : rc;
    case K_ENUM:
        return parse_enum(d, v, l, where, err);
    case K_FONT:
        return parse_font(v, l, where, err);
    case K_OFFSET:
        if (parse_numbers(v, l->offset, 2, true, false) != 0)
            return error_set(err, ERR_INVALID, "%s: want [x, y] in ems", where);
        return ERR_OK;
    case K_DASH:
        if ((l->dash = calloc(json_array_size(v) + 1, sizeof(double))) == NULL)
            return error_set(err, ERR_NOMEM, "out of memory");
        if (parse_numbers(v, l->dash, json_array_size(v), false, true) != 0)
            return error_set(err, ERR_INVALID,
                             "%s: want an array of dash and gap lengths >= 0, in line widths",
                             where);
        l->ndash = json_array_size(v);
        return ERR_OK;
    case K_TEXT:
        return parse_text(v, l, where, err);
    case K_ANCHORS:
        return parse_anchors(v, l, where, err);
    }
    return ERR_OK;
}

static int parse_properties(style_layer_t *l, const char *where, json_t *obj, bool layout,
                            error_t *err)
{
    if (obj == NULL) return ERR_OK;
    if (!json_is_object(obj))
        return error_set(err, ERR_INVALID, "%s: \"%s\" must be an object", where,
                         layout ? "layout" : "paint");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int rc = parse_property(l, where, layout, key, v, err);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

/* ---- parsing layers and the style ---- */

static bool one_of(const char *key, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(key, list[i]) == 0) return true;
    return false;
}

static int parse_zoom(json_t *j, const char *key, double def, double *out, const char *where,
                      error_t *err)
{
    json_t *v = json_object_get(j, key);
    *out = def;
    if (v == NULL) return ERR_OK;
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 24)
        return error_set(err, ERR_INVALID, "%s: \"%s\" must be a number from 0 to 24", where, key);
    *out = json_number_value(v);
    return ERR_OK;
}

static int parse_layer_members(style_layer_t *l, const char *where, json_t *j, error_t *err)
{
    static const char *const members[] = {"id",      "type",     "source", "source-layer",
                                          "minzoom", "maxzoom",  "filter", "layout",
                                          "paint",   "metadata", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (!one_of(key, members))
            return error_set(err, ERR_INVALID, "%s: unknown member '%s'", where, key);
    }
    const char *type = json_string_value(json_object_get(j, "type"));
    size_t t = 0;
    while (type && t < 5 && strcmp(type_names[t], type) != 0)
        t++;
    if (type == NULL) return error_set(err, ERR_INVALID, "%s: \"type\" must be a string", where);
    if (t == 5)
        return error_set(err, ERR_INVALID,
                         "%s: unknown layer type '%s' (want background, fill, line, circle or "
                         "symbol)",
                         where, type);
    l->type = (style_layer_type_t)t;
    json_t *src = json_object_get(j, "source-layer");
    if (l->type == STYLE_BACKGROUND && (src || json_object_get(j, "filter")))
        return error_set(err, ERR_INVALID, "%s: a background layer takes no %s", where,
                         src ? "source-layer" : "filter");
    if (l->type != STYLE_BACKGROUND && !(json_is_string(src) && json_string_length(src) > 0))
        return error_set(err, ERR_INVALID,
                         "%s: \"source-layer\" must name a coopmap layer, e.g. \"towns\"", where);
    if (src && (l->source = strdup(json_string_value(src))) == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    int rc = parse_zoom(j, "minzoom", 0, &l->minzoom, where, err);
    if (rc == ERR_OK) rc = parse_zoom(j, "maxzoom", 24, &l->maxzoom, where, err);
    if (rc == ERR_OK && l->minzoom > l->maxzoom)
        rc = error_set(err, ERR_INVALID, "%s: minzoom %g is above maxzoom %g", where, l->minzoom,
                       l->maxzoom);
    json_t *filter = json_object_get(j, "filter");
    if (rc == ERR_OK && filter) {
        char fwhere[512];
        snprintf(fwhere, sizeof(fwhere), "%s: filter", where);
        compile_ctx_t c = {fwhere, true, err};
        rc = expr_compile_filter(filter, &c, &l->filter);
    }
    if (rc == ERR_OK) rc = parse_properties(l, where, json_object_get(j, "layout"), true, err);
    if (rc == ERR_OK) rc = parse_properties(l, where, json_object_get(j, "paint"), false, err);
    return rc;
}

static int parse_layer(style_t *s, size_t i, json_t *j, error_t *err)
{
    style_layer_t *l = &s->layers[i];
    if (!json_is_object(j))
        return error_set(err, ERR_INVALID, "%s: layers[%zu] is not an object", s->file, i);
    json_t *id = json_object_get(j, "id");
    if (!json_is_string(id) || json_string_length(id) == 0)
        return error_set(err, ERR_INVALID, "%s: layers[%zu]: \"id\" must be a non-empty string",
                         s->file, i);
    for (size_t k = 0; k < i; k++)
        if (strcmp(s->layers[k].id, json_string_value(id)) == 0)
            return error_set(err, ERR_DUPLICATE,
                             "%s: layer '%s': the id is used twice (layers[%zu] and [%zu])",
                             s->file, json_string_value(id), k, i);
    if ((l->id = strdup(json_string_value(id))) == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    char where[384];
    snprintf(where, sizeof(where), "%s: layer '%s'", s->file, l->id);
    return parse_layer_members(l, where, j, err);
}

static int parse_style(style_t *s, json_t *root, error_t *err)
{
    static const char *const members[] = {
        "version", "name",       "metadata", "center", "zoom",           "bearing", "pitch",
        "light",   "sources",    "sprite",   "glyphs", "transition",     "layers",  "terrain",
        "sky",     "projection", "state",    "roll",   "centerAltitude", NULL};
    if (!json_is_object(root))
        return error_set(err, ERR_INVALID, "%s: a style is a JSON object", s->file);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (!one_of(key, members))
            return error_set(err, ERR_INVALID, "%s: unknown top-level member '%s'", s->file, key);
    }
    json_t *version = json_object_get(root, "version"), *name = json_object_get(root, "name");
    json_t *layers = json_object_get(root, "layers");
    if (!json_is_integer(version) || json_integer_value(version) != 8)
        return error_set(err, ERR_INVALID, "%s: \"version\" must be 8", s->file);
    if (name && !json_is_string(name))
        return error_set(err, ERR_INVALID, "%s: \"name\" must be a string", s->file);
    if (!json_is_array(layers))
        return error_set(err, ERR_INVALID, "%s: \"layers\" must be an array", s->file);
    if ((s->title = strdup(name ? json_string_value(name) : s->id)) == NULL ||
        (s->layers = calloc(json_array_size(layers) + 1, sizeof(*s->layers))) == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    s->nlayers = json_array_size(layers);
    for (size_t i = 0; i < s->nlayers; i++) {
        int rc = parse_layer(s, i, json_array_get(layers, i), err);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

/* "styles/default.json" is "default". */
static char *id_from_name(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0) n -= 5;
    return strndup(base, n);
}

static int build(json_t *root, const char *name, style_t **out, error_t *err)
{
    style_t *s = calloc(1, sizeof(*s));
    int rc = ERR_OK;
    if (s == NULL || (s->file = strdup(name)) == NULL || (s->id = id_from_name(name)) == NULL)
        rc = error_set(err, ERR_NOMEM, "out of memory");
    else
        rc = parse_style(s, root, err);
    if (rc == ERR_OK) s->doc = json_incref(root);
    json_decref(root);
    if (rc != ERR_OK) {
        style_destroy(s);
        return rc;
    }
    *out = s;
    return ERR_OK;
}

int style_load(const char *path, style_t **out, error_t *err)
{
    json_error_t jerr;
    *out = NULL;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        FILE *fp = fopen(path, "r");
        if (fp == NULL) return error_set(err, ERR_IO, "%s: cannot open style file", path);
        fclose(fp);
        return error_set(err, ERR_FORMAT, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
                         jerr.column, jerr.text);
    }
    return build(root, path, out, err);
}

int style_parse(const char *json, const char *name, style_t **out, error_t *err)
{
    json_error_t jerr;
    *out = NULL;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return error_set(err, ERR_FORMAT, "%s:%d:%d: invalid JSON: %s", name, jerr.line,
                         jerr.column, jerr.text);
    return build(root, name, out, err);
}

const json_t *style_document(const style_t *s)
{
    return s->doc;
}

const char *style_lang(const style_t *s)
{
    return s->lang;
}

bool style_lang_known(const char *lang)
{
    static const char *const langs[] = STYLE_LANGS;
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
        if (strcmp(lang, langs[i]) == 0) return true;
    return false;
}

/* The label of a layer in the language: ["coalesce", ["get",
 * "name_bilingual"], ["get", "name_<lang>"], ["get", "name"]], the first
 * two as asked. */
static json_t *localized_name(const char *lang, bool bilingual)
{
    json_t *e = json_pack("[s]", "coalesce");
    char field[32];
    if (bilingual) json_array_append_new(e, json_pack("[ss]", "get", "name_bilingual"));
    snprintf(field, sizeof(field), "name_%s", lang ? lang : "");
    if (lang) json_array_append_new(e, json_pack("[ss]", "get", field));
    json_array_append_new(e, json_pack("[ss]", "get", "name"));
    return e;
}

static json_t *localize_document(const json_t *doc, const char *lang, bool bilingual)
{
    json_t *copy = json_deep_copy(doc), *layer;
    size_t i;
    json_array_foreach(json_object_get(copy, "layers"), i, layer)
    {
        json_t *layout = json_object_get(layer, "layout");
        json_t *text = json_object_get(layout, "text-field");
        const char *field = json_is_string(text) ? json_string_value(text) : get_field(text);
        if (field && strcmp(field, json_is_string(text) ? "{name}" : "name") == 0)
            json_object_set_new(layout, "text-field", localized_name(lang, bilingual));
    }
    return copy;
}

int style_localize(const style_t *base, const char *lang, bool bilingual, style_t **out,
                   error_t *err)
{
    *out = NULL;
    json_t *doc = localize_document(base->doc, lang, bilingual);
    if (doc == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    int rc = build(doc, base->file, out, err); /* takes doc */
    if (rc == ERR_OK)
        snprintf((*out)->lang, sizeof((*out)->lang), "%s%s", lang ? lang : "",
                 bilingual ? "+bilingual" : "");
    return rc;
}

style_t *style_destroy(style_t *s)
{
    if (s == NULL) return NULL;
    json_decref(s->doc);
    for (size_t i = 0; i < s->nlayers; i++) {
        style_layer_t *l = &s->layers[i];
        free(l->id);
        free(l->source);
        expr_free(l->filter);
        for (size_t p = 0; p < STYLE_PROP_COUNT; p++)
            expr_free(l->props[p]);
        for (size_t t = 0; t < l->ntext; t++) {
            free(l->text[t].text);
            for (size_t k = 0; k < l->text[t].nfields; k++)
                free(l->text[t].field[k].name);
        }
        free(l->text);
        free(l->font);
        free(l->dash);
    }
    free(s->layers);
    free(s->file);
    free(s->id);
    free(s->title);
    free(s);
    return NULL;
}

/* ---- queries ---- */

const char *style_id(const style_t *s)
{
    return s->id;
}

const char *style_title(const style_t *s)
{
    return s->title;
}

size_t style_layer_count(const style_t *s)
{
    return s->nlayers;
}

const style_layer_t *style_layer(const style_t *s, size_t i)
{
    return i < s->nlayers ? &s->layers[i] : NULL;
}

style_layer_type_t style_layer_type(const style_layer_t *l)
{
    return l->type;
}

const char *style_layer_id(const style_layer_t *l)
{
    return l->id;
}

const char *style_layer_source(const style_layer_t *l)
{
    return l->source;
}

bool style_layer_visible(const style_layer_t *l, double zoom)
{
    return !l->hidden && zoom >= l->minzoom && zoom < l->maxzoom;
}

bool style_filter(const style_layer_t *l, const layer_t *data, const feature_t *f, double zoom)
{
    if (l->filter == NULL) return true;
    eval_ctx_t c = {zoom, data, f};
    sval_t v = expr_eval(l->filter, &c);
    return v.type == V_BOOL && v.u.b;
}

bool style_has_property(const style_layer_t *l, style_prop_t prop)
{
    return (unsigned)prop < STYLE_PROP_COUNT && l->props[prop] != NULL;
}

unsigned style_prop_inputs(const style_layer_t *l, style_prop_t prop)
{
    return (unsigned)prop < STYLE_PROP_COUNT ? expr_inputs(l->props[prop]) : 0;
}

unsigned style_filter_inputs(const style_layer_t *l)
{
    return expr_inputs(l->filter);
}

double style_number(const style_layer_t *l, style_prop_t prop, double zoom, const layer_t *data,
                    const feature_t *f)
{
    if ((unsigned)prop >= STYLE_PROP_COUNT || prop_info[prop].color) return 0;
    double x = prop_info[prop].def;
    if (l->props[prop]) {
        eval_ctx_t c = {zoom, data, f};
        sval_t v = expr_eval(l->props[prop], &c);
        if (v.type == V_NUMBER && isfinite(v.u.n)) x = v.u.n;
    }
    return x < prop_info[prop].min   ? prop_info[prop].min
           : x > prop_info[prop].max ? prop_info[prop].max
                                     : x;
}

style_color_t style_color(const style_layer_t *l, style_prop_t prop, double zoom,
                          const layer_t *data, const feature_t *f)
{
    if ((unsigned)prop >= STYLE_PROP_COUNT || !prop_info[prop].color)
        return (style_color_t){0, 0, 0, 0};
    /* An unset outline is the fill's own colour, as in MapLibre. */
    if (prop == STYLE_FILL_OUTLINE_COLOR && l->props[prop] == NULL) prop = STYLE_FILL_COLOR;
    style_color_t out = prop_info[prop].color_def;
    if (l->props[prop]) {
        eval_ctx_t c = {zoom, data, f};
        sval_t v = expr_eval(l->props[prop], &c);
        if (v.type == V_COLOR)
            out = v.u.c;
        else if (v.type == V_STRING) /* from data: ["get", "colour"] */
            color_parse(v.u.s, &out);
    }
    return out;
}

const double *style_line_dasharray(const style_layer_t *l, size_t *n)
{
    *n = l->ndash;
    return l->ndash ? l->dash : NULL;
}

const char *style_text_font(const style_layer_t *l)
{
    return l->font ? l->font : DEFAULT_FONT;
}

const char *style_text_anchor(const style_layer_t *l)
{
    return l->nanchors ? l->anchors[0] : l->anchor ? l->anchor : "center";
}

size_t style_text_anchors(const style_layer_t *l, const char *const **anchors)
{
    static const char *const center[] = {"center"};
    if (l->nanchors) {
        *anchors = l->anchors;
        return l->nanchors;
    }
    *anchors = l->anchor ? &l->anchor : center;
    return 1;
}

void style_text_offset(const style_layer_t *l, double *dx, double *dy)
{
    *dx = l->offset[0];
    *dy = l->offset[1];
}

/* Shortest text that reads back as x. */
static void format_real(double x, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* Appends s to out[*n], keeping a NUL and never cutting a UTF-8 character.
 * Returns false once out is full. */
static bool append(char *out, size_t size, size_t *n, const char *s)
{
    size_t len = strlen(s), room = size - 1 - *n;
    bool fits = len <= room;
    if (!fits) {
        len = room;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(out + *n, s, len);
    *n += len;
    out[*n] = '\0';
    return fits;
}

bool style_text(const style_layer_t *l, const layer_t *data, const feature_t *f, char *out,
                size_t size)
{
    size_t n = 0;
    if (size == 0) return false;
    out[0] = '\0';
    for (size_t i = 0; i < l->ntext; i++) {
        const text_part_t *t = &l->text[i];
        const char *s = t->text;
        char num[32];
        int k = -1;
        for (size_t j = 0; s == NULL && data && f && j < t->nfields && k < 0; j++) {
            k = field_index(&t->field[j], data);
            if (k >= 0 && f->values[k].is_null) k = -1; /* on to the next */
        }
        if (s == NULL && (k < 0 || f->values[k].is_null))
            s = "";
        else if (s == NULL) {
            const value_t *v = &f->values[k];
            switch (data->fields[k].type) {
            case FIELD_STRING:
                s = v->u.s;
                break;
            case FIELD_INTEGER:
                snprintf(num, sizeof(num), "%" PRId64, v->u.i), s = num;
                break;
            case FIELD_REAL:
                format_real(v->u.r, num, sizeof(num)), s = num;
                break;
            case FIELD_BOOLEAN:
                s = v->u.i ? "true" : "false";
                break;
            }
        }
        if (!append(out, size, &n, s)) break;
    }
    return n > 0;
}

/* ---- checking against data ---- */

typedef struct check {
    const style_t *style;
    const style_layer_t *layer;
    const layer_t *data;
    const char *what;
    error_t *err;
} check_t;

static int check_field(field_ref_t *ref, void *arg)
{
    check_t *k = arg;
    int i = layer_field_index(k->data, ref->name);
    if (i >= 0) {
        atomic_store_explicit(&ref->hint, i, memory_order_relaxed);
        return ERR_OK;
    }
    char list[512] = "";
    for (size_t f = 0; f < k->data->nfields && strlen(list) + 4 < sizeof(list); f++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", f ? ", " : "",
                 k->data->fields[f].name);
    return error_set(k->err, ERR_NOTFOUND,
                     "%s: layer '%s': %s: layer '%s' has no field '%s' "
                     "(it has: %s)",
                     k->style->file, k->layer->id, k->what, k->data->id, ref->name, list);
}

static int check_layer(check_t *k, style_layer_t *l)
{
    int rc = ERR_OK;
    k->what = "filter";
    if ((rc = expr_each_field(l->filter, check_field, k)) != ERR_OK) return rc;
    char what[64];
    k->what = what;
    for (size_t p = 0; p < STYLE_PROP_COUNT; p++) {
        const prop_def_t *d = prop_def_of((style_prop_t)p);
        snprintf(what, sizeof(what), "%s '%s'", d->layout ? "layout" : "paint", d->name);
        if ((rc = expr_each_field(l->props[p], check_field, k)) != ERR_OK) return rc;
    }
    k->what = "layout 'text-field'";
    for (size_t t = 0; t < l->ntext; t++) /* the last field: those before may be missing */
        if (l->text[t].text == NULL &&
            (rc = check_field(&l->text[t].field[l->text[t].nfields - 1], k)) != ERR_OK)
            return rc;
    return ERR_OK;
}

int style_check_layers(const style_t *style, const layer_t *const *layers, size_t nlayers,
                       error_t *err)
{
    for (size_t i = 0; i < style->nlayers; i++) {
        style_layer_t *l = &style->layers[i];
        if (l->source == NULL) continue;
        const layer_t *data = NULL;
        for (size_t k = 0; k < nlayers && data == NULL; k++)
            if (strcmp(layers[k]->id, l->source) == 0) data = layers[k];
        if (data == NULL) {
            char list[512] = "";
            for (size_t k = 0; k < nlayers && strlen(list) + 4 < sizeof(list); k++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? ", " : "",
                         layers[k]->id);
            return error_set(err, ERR_NOTFOUND,
                             "%s: layer '%s': source-layer '%s' is not a layer of the data "
                             "(it has: %s)",
                             style->file, l->id, l->source, list);
        }
        check_t k = {style, l, data, NULL, err};
        int rc = check_layer(&k, l);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}
