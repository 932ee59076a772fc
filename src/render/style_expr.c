/* Style values: CSS colours, literals, legacy functions and a subset of
 * MapLibre expressions, compiled once from JSON into small trees whose
 * evaluation reads the zoom and the feature and never allocates. Filters
 * are expressions too; the legacy filter forms compile to the same nodes. */
#include "render/style_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum op {
    OP_LITERAL,
    OP_GET,
    OP_HAS,
    OP_ZOOM,
    OP_ID,
    OP_GEOMETRY_TYPE,
    OP_ARITH,
    OP_COMPARE,
    OP_IN,
    OP_ALL,
    OP_ANY,
    OP_NOT,
    OP_INTERPOLATE,
    OP_STEP,
    OP_MATCH,
    OP_CASE,
    OP_COALESCE
} op_t;

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_GT, CMP_LE, CMP_GE };

struct expr {
    op_t op;
    int sub;           /* OP_ARITH: operator char; OP_COMPARE: CMP_*; OP_HAS, OP_IN: negated */
    vtype_t type;      /* static result type; V_ANY if known only per feature */
    sval_t value;      /* OP_LITERAL; owns its string */
    field_ref_t field; /* OP_GET, OP_HAS */
    expr_t *input;     /* OP_IN, OP_INTERPOLATE, OP_STEP, OP_MATCH */
    expr_t *fallback;  /* OP_MATCH and OP_CASE's last output; a legacy function's default */
    expr_t **args;
    size_t nargs;
    double *stops;     /* OP_INTERPOLATE: input of each arg; OP_STEP: of each arg after the first */
    double base;       /* OP_INTERPOLATE: 1 is linear */
    sval_t *labels;    /* OP_IN, OP_MATCH; own their strings */
    size_t *label_arg; /* OP_MATCH: the output each label selects */
    size_t nlabels;
};

/* ---- colours ---- */

static const struct {
    const char *name;
    unsigned rgb;
} named_colors[] = {
    {"black", 0x000000},   {"silver", 0xc0c0c0}, {"gray", 0x808080},  {"grey", 0x808080},
    {"white", 0xffffff},   {"maroon", 0x800000}, {"red", 0xff0000},   {"purple", 0x800080},
    {"fuchsia", 0xff00ff}, {"green", 0x008000},  {"lime", 0x00ff00},  {"olive", 0x808000},
    {"yellow", 0xffff00},  {"navy", 0x000080},   {"blue", 0x0000ff},  {"teal", 0x008080},
    {"aqua", 0x00ffff},    {"orange", 0xffa500}, {"brown", 0xa52a2a}, {"pink", 0xffc0cb},
};

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int parse_hex(const char *s, size_t n, style_color_t *out)
{
    double ch[4] = {0, 0, 0, 1};
    if (n != 3 && n != 4 && n != 6 && n != 8) return -1;
    size_t width = n <= 4 ? 1 : 2;
    for (size_t i = 0; i < n / width; i++) {
        int hi = hex_digit(s[i * width]), lo = hex_digit(s[i * width + width - 1]);
        if (hi < 0 || lo < 0) return -1;
        ch[i] = (hi * 16 + lo) / 255.0; /* #abc is #aabbcc */
    }
    *out = (style_color_t){ch[0], ch[1], ch[2], ch[3]};
    return 0;
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

static double hue_part(double m1, double m2, double h)
{
    h -= floor(h);
    if (h * 6 < 1) return m1 + (m2 - m1) * h * 6;
    if (h * 2 < 1) return m2;
    if (h * 3 < 2) return m1 + (m2 - m1) * (2.0 / 3 - h) * 6;
    return m1;
}

/* "rgb(", "rgba(", "hsl(", "hsla(" followed by n comma-separated numbers,
 * each perhaps with '%', then ')'. */
static int parse_function(const char *s, style_color_t *out)
{
    bool hsl = strncasecmp(s, "hsl", 3) == 0;
    if (!hsl && strncasecmp(s, "rgb", 3) != 0) return -1;
    bool alpha = s[3] == 'a' || s[3] == 'A';
    const char *p = s + 3 + alpha;
    if (*p != '(') return -1;
    double v[4] = {0, 0, 0, 1};
    bool pct[4] = {false};
    int n = alpha ? 4 : 3;
    p++;
    for (int i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p || !isfinite(v[i])) return -1;
        p = end;
        if (*p == '%')
            pct[i] = true, p++;
        else if (hsl && i == 0 && strncmp(p, "deg", 3) == 0)
            p += 3;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != (i == n - 1 ? ')' : ',')) return -1;
        p++;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '\0') return -1;
    double a = clamp01(pct[3] ? v[3] / 100 : v[3]);
    if (hsl) {
        double h = v[0] / 360, sat = clamp01(v[1] / 100), l = clamp01(v[2] / 100);
        double m2 = l <= 0.5 ? l * (sat + 1) : l + sat - l * sat, m1 = l * 2 - m2;
        *out = (style_color_t){hue_part(m1, m2, h + 1.0 / 3), hue_part(m1, m2, h),
                               hue_part(m1, m2, h - 1.0 / 3), a};
    } else {
        for (int i = 0; i < 3; i++)
            v[i] = clamp01(pct[i] ? v[i] / 100 : v[i] / 255);
        *out = (style_color_t){v[0], v[1], v[2], a};
    }
    return 0;
}

int color_parse(const char *s, style_color_t *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char buf[64];
    if (n == 0 || n >= sizeof(buf)) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (buf[0] == '#') return parse_hex(buf + 1, n - 1, out);
    if (strcasecmp(buf, "transparent") == 0) {
        *out = (style_color_t){0, 0, 0, 0};
        return 0;
    }
    for (size_t i = 0; i < sizeof(named_colors) / sizeof(named_colors[0]); i++)
        if (strcasecmp(buf, named_colors[i].name) == 0) {
            unsigned c = named_colors[i].rgb;
            *out = (style_color_t){(c >> 16) / 255.0, ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0,
                                   1};
            return 0;
        }
    return parse_function(buf, out);
}

/* ---- fields ---- */

int field_index(const field_ref_t *ref, const layer_t *data)
{
    int h = atomic_load_explicit(&((field_ref_t *)ref)->hint, memory_order_relaxed);
    if (h >= 0 && (size_t)h < data->nfields && strcmp(data->fields[h].name, ref->name) == 0)
        return h;
    return layer_field_index(data, ref->name);
}

/* Attribute value of f (null when f or data is NULL or the layer lacks the
 * field). */
static sval_t field_read(const field_ref_t *ref, const layer_t *data, const feature_t *f)
{
    sval_t v = {.type = V_NULL};
    int i = data && f ? field_index(ref, data) : -1;
    if (i < 0 || f->values[i].is_null) return v;
    const value_t *x = &f->values[i];
    switch (data->fields[i].type) {
    case FIELD_INTEGER:
        v.type = V_NUMBER, v.u.n = (double)x->u.i;
        break;
    case FIELD_REAL:
        v.type = V_NUMBER, v.u.n = x->u.r;
        break;
    case FIELD_STRING:
        v.type = V_STRING, v.u.s = x->u.s;
        break;
    case FIELD_BOOLEAN:
        v.type = V_BOOL, v.u.b = x->u.i != 0;
        break;
    }
    return v;
}

/* ---- building ---- */

static void free_value(sval_t *v)
{
    if (v->type == V_STRING) free((char *)v->u.s);
    v->type = V_NULL;
}

void expr_free(expr_t *e)
{
    if (e == NULL) return;
    free_value(&e->value);
    free(e->field.name);
    expr_free(e->input);
    expr_free(e->fallback);
    for (size_t i = 0; i < e->nargs; i++)
        expr_free(e->args[i]);
    free(e->args);
    free(e->stops);
    for (size_t i = 0; i < e->nlabels; i++)
        free_value(&e->labels[i]);
    free(e->labels);
    free(e->label_arg);
    free(e);
}

static int fail(const compile_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const compile_ctx_t *c, const char *fmt, ...)
{
    char detail[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return error_set(c->err, ERR_INVALID, "%s: %s", c->where, detail);
}

static int nomem(const compile_ctx_t *c)
{
    return error_set(c->err, ERR_NOMEM, "out of memory");
}

static expr_t *new_expr(op_t op, vtype_t type)
{
    expr_t *e = calloc(1, sizeof(*e));
    if (e) {
        e->op = op;
        e->type = type;
        e->base = 1;
        atomic_init(&e->field.hint, -1);
    }
    return e;
}

static const char *type_name(vtype_t t)
{
    switch (t) {
    case V_NULL:
        return "null";
    case V_BOOL:
        return "true or false";
    case V_NUMBER:
        return "a number";
    case V_STRING:
        return "a string";
    case V_COLOR:
        return "a colour";
    case V_ANY:
        break;
    }
    return "a value";
}

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/* A JSON scalar as a value of the wanted type; colours are parsed here. */
static int literal(json_t *j, vtype_t want, const compile_ctx_t *c, sval_t *out)
{
    out->type = V_NULL;
    if (json_is_string(j) && want == V_COLOR) {
        if (color_parse(json_string_value(j), &out->u.c) != 0)
            return fail(c, "'%s' is not a colour", json_string_value(j));
        out->type = V_COLOR;
        return ERR_OK;
    }
    vtype_t got = json_is_string(j)    ? V_STRING
                  : json_is_number(j)  ? V_NUMBER
                  : json_is_boolean(j) ? V_BOOL
                  : json_is_null(j)    ? V_NULL
                                       : V_ANY;
    if (got == V_ANY || (want != V_ANY && got != want)) {
        if (json_is_string(j))
            return fail(c, "want %s, got the string '%s'", type_name(want), json_string_value(j));
        return fail(c, "want %s, got %s", type_name(want), json_kind(j));
    }
    if (got == V_STRING && (out->u.s = strdup(json_string_value(j))) == NULL) return nomem(c);
    out->type = got;
    if (got == V_NUMBER) out->u.n = json_number_value(j);
    if (got == V_BOOL) out->u.b = json_is_true(j);
    return ERR_OK;
}

static int new_literal(json_t *j, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    sval_t v;
    int rc = literal(j, want, c, &v);
    if (rc != ERR_OK) return rc;
    if ((*out = new_expr(OP_LITERAL, v.type)) == NULL) {
        free_value(&v);
        return nomem(c);
    }
    (*out)->value = v;
    return ERR_OK;
}

/* A field by name: "$type" and "$id" are the legacy filters' geometry type
 * and feature id. */
static int new_field(op_t op, const char *name, const compile_ctx_t *c, expr_t **out)
{
    if (!c->data) return fail(c, "cannot read feature data (field '%s') here", name);
    if (op == OP_GET && strcmp(name, "$type") == 0)
        *out = new_expr(OP_GEOMETRY_TYPE, V_STRING);
    else if (op == OP_GET && strcmp(name, "$id") == 0)
        *out = new_expr(OP_ID, V_STRING);
    else if ((*out = new_expr(op, op == OP_HAS ? V_BOOL : V_ANY)) != NULL &&
             ((*out)->field.name = strdup(name)) == NULL) {
        expr_free(*out);
        *out = NULL;
    }
    return *out ? ERR_OK : nomem(c);
}

static int compile(json_t *j, vtype_t want, const compile_ctx_t *c, expr_t **out);

/* Room for n argument slots, all NULL. */
static int alloc_args(expr_t *e, size_t n, bool stops, const compile_ctx_t *c)
{
    e->args = calloc(n ? n : 1, sizeof(*e->args));
    if (stops) e->stops = calloc(n ? n : 1, sizeof(*e->stops));
    if (e->args == NULL || (stops && e->stops == NULL)) return nomem(c);
    e->nargs = n;
    return ERR_OK;
}

/* Compiles j[first..] into e->args, each of the wanted type. */
static int compile_args(expr_t *e, json_t *j, size_t first, vtype_t want, const compile_ctx_t *c)
{
    size_t n = json_array_size(j) - first;
    int rc = alloc_args(e, n, false, c);
    for (size_t i = 0; rc == ERR_OK && i < n; i++)
        rc = compile(json_array_get(j, first + i), want, c, &e->args[i]);
    return rc;
}

/* The common static type of some outputs, or V_ANY if they differ. */
static vtype_t common_type(expr_t *const *v, size_t n, const expr_t *extra)
{
    vtype_t t = n ? v[0]->type : extra ? extra->type : V_ANY;
    for (size_t i = 1; i < n; i++)
        if (v[i]->type != t) return V_ANY;
    return extra && extra->type != t ? V_ANY : t;
}

typedef int (*compile_fn)(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c,
                          expr_t **out);

static int c_get(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    (void)want;
    json_t *name = json_array_get(j, 1);
    if (json_array_size(j) != 2 || !json_is_string(name))
        return fail(c, "'%s' takes one field name: [\"%s\", \"name\"]", op, op);
    int rc = new_field(op[0] == 'g' ? OP_GET : OP_HAS, json_string_value(name), c, out);
    if (rc == ERR_OK && op[0] == '!') (*out)->sub = 1;
    return rc;
}

static int c_nullary(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    (void)want;
    if (json_array_size(j) != 1) return fail(c, "'%s' takes no arguments", op);
    if (op[0] != 'z' && !c->data) return fail(c, "cannot read feature data ('%s') here", op);
    *out = op[0] == 'z'   ? new_expr(OP_ZOOM, V_NUMBER)
           : op[0] == 'i' ? new_expr(OP_ID, V_STRING)
                          : new_expr(OP_GEOMETRY_TYPE, V_STRING);
    return *out ? ERR_OK : nomem(c);
}

static int c_literal(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    json_t *v = json_array_get(j, 1);
    if (json_array_size(j) != 2 || json_is_array(v) || json_is_object(v))
        return fail(c, "'%s' takes one number, string or boolean here", op);
    return new_literal(v, want, c, out);
}

static int c_arith(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    (void)want;
    size_t n = json_array_size(j) - 1;
    static const struct {
        const char *name, sub;
        size_t min, max;
    } table[] = {{"+", '+', 2, 99},   {"*", '*', 2, 99}, {"-", '-', 1, 2},    {"/", '/', 2, 2},
                 {"%", '%', 2, 2},    {"^", '^', 2, 2},  {"min", 'n', 1, 99}, {"max", 'x', 1, 99},
                 {"sqrt", 's', 1, 1}, {"abs", 'a', 1, 1}};
    size_t k = 0;
    while (strcmp(table[k].name, op) != 0)
        k++;
    if (n < table[k].min || n > table[k].max) {
        const char *count = table[k].max == 1 ? "one number"
                            : table[k].max == 2
                                ? (table[k].min == 1 ? "one or two numbers" : "two numbers")
                            : table[k].min == 1 ? "one or more numbers"
                                                : "two or more numbers";
        return fail(c, "'%s' takes %s", op, count);
    }
    if ((*out = new_expr(OP_ARITH, V_NUMBER)) == NULL) return nomem(c);
    (*out)->sub = table[k].sub;
    return compile_args(*out, j, 1, V_NUMBER, c);
}

/* Legacy ["==", "field", value] when the first operand is a bare string and
 * the second no expression; otherwise both operands are expressions. */
static int c_compare(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    (void)want;
    static const char *const names[] = {"==", "!=", "<", ">", "<=", ">="};
    json_t *a = json_array_get(j, 1), *b = json_array_get(j, 2);
    if (json_array_size(j) != 3)
        return fail(c,
                    "'%s' takes two operands: [\"%s\", \"field\", value] or "
                    "[\"%s\", [\"get\", \"field\"], value]",
                    op, op, op);
    if ((*out = new_expr(OP_COMPARE, V_BOOL)) == NULL || alloc_args(*out, 2, false, c) != ERR_OK)
        return nomem(c);
    while (strcmp(names[(*out)->sub], op) != 0)
        (*out)->sub++;
    if (json_is_string(a) && !json_is_array(b)) {
        if (json_is_object(b)) return fail(c, "'%s': cannot compare with an object", op);
        int rc = new_field(OP_GET, json_string_value(a), c, &(*out)->args[0]);
        return rc != ERR_OK ? rc : new_literal(b, V_ANY, c, &(*out)->args[1]);
    }
    int rc = compile(a, V_ANY, c, &(*out)->args[0]);
    return rc != ERR_OK ? rc : compile(b, V_ANY, c, &(*out)->args[1]);
}

/* Literal labels from j[first..] (scalars, or one ["literal", [...]]). */
static int labels(expr_t *e, json_t *j, size_t first, const char *op, const compile_ctx_t *c)
{
    json_t *lit = json_array_get(j, first);
    if (json_array_size(j) == first + 1 && json_is_array(lit) &&
        json_is_string(json_array_get(lit, 0)) &&
        strcmp(json_string_value(json_array_get(lit, 0)), "literal") == 0) {
        if (json_array_size(lit) != 2 || !json_is_array(json_array_get(lit, 1)))
            return fail(c, "'%s': want [\"literal\", [value, ...]]", op);
        j = json_array_get(lit, 1);
        first = 0;
    }
    size_t n = json_array_size(j) - first;
    if ((e->labels = calloc(n ? n : 1, sizeof(*e->labels))) == NULL) return nomem(c);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(j, first + i);
        if (json_is_array(v) || json_is_object(v))
            return fail(c, "'%s': values must be strings, numbers or booleans, got %s", op,
                        json_kind(v));
        int rc = literal(v, V_ANY, c, &e->labels[i]);
        if (rc != ERR_OK) return rc;
        e->nlabels++;
    }
    return ERR_OK;
}

/* ["in", "field", v1, ...] (legacy), ["in", expr, v1, ...] or
 * ["in", expr, ["literal", [v1, ...]]]; "!in" negates. */
static int c_in(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    (void)want;
    json_t *a = json_array_get(j, 1);
    if (json_array_size(j) < 2)
        return fail(c, "'%s' needs a field: [\"%s\", \"field\", value, ...]", op, op);
    if ((*out = new_expr(OP_IN, V_BOOL)) == NULL) return nomem(c);
    (*out)->sub = op[0] == '!';
    int rc = json_is_string(a) ? new_field(OP_GET, json_string_value(a), c, &(*out)->input)
                               : compile(a, V_ANY, c, &(*out)->input);
    return rc != ERR_OK ? rc : labels(*out, j, 2, op, c);
}

/* "all", "any", "none" and "!": the children are filters in either form. */
static int c_logic(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    (void)want;
    bool not = strcmp(op, "!") == 0, none = strcmp(op, "none") == 0;
    if (not &&json_array_size(j) != 2) return fail(c, "'!' takes one operand");
    if ((*out = new_expr(not ? OP_NOT : op[1] == 'l' ? OP_ALL : OP_ANY, V_BOOL)) == NULL)
        return nomem(c);
    int rc = compile_args(*out, j, 1, V_BOOL, c);
    if (rc != ERR_OK || !none) return rc;
    expr_t *any = *out; /* ["none", ...] is ["!", ["any", ...]] */
    if ((*out = new_expr(OP_NOT, V_BOOL)) == NULL || alloc_args(*out, 1, false, c) != ERR_OK) {
        expr_free(any);
        return nomem(c);
    }
    (*out)->args[0] = any;
    return ERR_OK;
}

/* What interpolate and legacy exponential functions can give. */
static int interpolatable(vtype_t want, const char *op, const compile_ctx_t *c, vtype_t *out)
{
    if (want != V_ANY && want != V_NUMBER && want != V_COLOR)
        return fail(c, "'%s' gives a number or a colour, but %s is wanted", op, type_name(want));
    *out = want == V_COLOR ? V_COLOR : V_NUMBER;
    return ERR_OK;
}

/* Stop inputs must be literal numbers in increasing order. */
static int stop_input(json_t *v, expr_t *e, size_t i, const char *op, const compile_ctx_t *c)
{
    if (!json_is_number(v))
        return fail(c, "'%s': stop inputs must be numbers, got %s", op, json_kind(v));
    e->stops[i] = json_number_value(v);
    if (i > 0 && !(e->stops[i] > e->stops[i - 1]))
        return fail(c, "'%s': stop inputs must increase (%g after %g)", op, e->stops[i],
                    e->stops[i - 1]);
    return ERR_OK;
}

/* ["interpolate", ["linear"] | ["exponential", base], input, in0, out0, ...] */
static int c_interpolate(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c,
                         expr_t **out)
{
    vtype_t ow = V_NUMBER;
    int rc = interpolatable(want, op, c, &ow);
    size_t n = json_array_size(j);
    if (rc != ERR_OK) return rc;
    if (n < 5 || (n - 3) % 2 != 0)
        return fail(c, "'interpolate' wants [\"interpolate\", [\"linear\"], input, "
                       "stop, output, ...] with at least one stop");
    json_t *how = json_array_get(j, 1);
    const char *kind = json_string_value(json_array_get(how, 0));
    double base = 1;
    if (kind && strcmp(kind, "linear") == 0 && json_array_size(how) == 1)
        base = 1;
    else if (kind && strcmp(kind, "exponential") == 0 && json_array_size(how) == 2 &&
             json_is_number(json_array_get(how, 1)) &&
             json_number_value(json_array_get(how, 1)) > 0)
        base = json_number_value(json_array_get(how, 1));
    else
        return fail(c, "'interpolate': the type must be [\"linear\"] or [\"exponential\", base] "
                       "with base > 0");
    if ((*out = new_expr(OP_INTERPOLATE, ow)) == NULL ||
        alloc_args(*out, (n - 3) / 2, true, c) != ERR_OK)
        return nomem(c);
    (*out)->base = base;
    rc = compile(json_array_get(j, 2), V_NUMBER, c, &(*out)->input);
    for (size_t i = 0; rc == ERR_OK && i < (*out)->nargs; i++)
        if ((rc = stop_input(json_array_get(j, 3 + 2 * i), *out, i, op, c)) == ERR_OK)
            rc = compile(json_array_get(j, 4 + 2 * i), ow, c, &(*out)->args[i]);
    return rc;
}

/* ["step", input, out0, in1, out1, ...] */
static int c_step(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    size_t n = json_array_size(j);
    if (n < 3 || n % 2 != 1)
        return fail(c, "'step' wants [\"step\", input, output, stop, output, ...]");
    if ((*out = new_expr(OP_STEP, want)) == NULL || alloc_args(*out, (n - 1) / 2, true, c))
        return nomem(c);
    int rc = compile(json_array_get(j, 1), V_NUMBER, c, &(*out)->input);
    if (rc == ERR_OK) rc = compile(json_array_get(j, 2), want, c, &(*out)->args[0]);
    for (size_t i = 1; rc == ERR_OK && i < (*out)->nargs; i++)
        if ((rc = stop_input(json_array_get(j, 1 + 2 * i), *out, i - 1, op, c)) == ERR_OK)
            rc = compile(json_array_get(j, 2 + 2 * i), want, c, &(*out)->args[i]);
    if (rc == ERR_OK && want == V_ANY)
        (*out)->type = common_type((*out)->args, (*out)->nargs, NULL);
    return rc;
}

/* ["match", input, label or [labels], output, ..., fallback] */
static int c_match(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    size_t n = json_array_size(j);
    if (n < 5 || n % 2 != 1)
        return fail(c, "'match' wants [\"match\", input, label, output, ..., fallback]");
    size_t pairs = (n - 3) / 2, nlabels = 0;
    for (size_t i = 0; i < pairs; i++) {
        json_t *l = json_array_get(j, 2 + 2 * i);
        nlabels += json_is_array(l) ? json_array_size(l) : 1;
    }
    expr_t *e = *out = new_expr(OP_MATCH, want);
    if (e == NULL || alloc_args(e, pairs, false, c) != ERR_OK ||
        (e->labels = calloc(nlabels + 1, sizeof(*e->labels))) == NULL ||
        (e->label_arg = calloc(nlabels + 1, sizeof(*e->label_arg))) == NULL)
        return nomem(c);
    int rc = compile(json_array_get(j, 1), V_ANY, c, &e->input);
    for (size_t i = 0; rc == ERR_OK && i < pairs; i++) {
        json_t *l = json_array_get(j, 2 + 2 * i);
        size_t nl = json_is_array(l) ? json_array_size(l) : 1;
        if (nl == 0) return fail(c, "'%s': empty label list", op);
        for (size_t k = 0; rc == ERR_OK && k < nl; k++) {
            json_t *v = json_is_array(l) ? json_array_get(l, k) : l;
            if (!json_is_string(v) && !json_is_number(v))
                return fail(c, "'%s': labels must be strings or numbers, got %s", op, json_kind(v));
            e->label_arg[e->nlabels] = i;
            rc = literal(v, V_ANY, c, &e->labels[e->nlabels]);
            e->nlabels += rc == ERR_OK;
        }
        if (rc == ERR_OK) rc = compile(json_array_get(j, 3 + 2 * i), want, c, &e->args[i]);
    }
    if (rc == ERR_OK) rc = compile(json_array_get(j, n - 1), want, c, &e->fallback);
    if (rc == ERR_OK && want == V_ANY) e->type = common_type(e->args, e->nargs, e->fallback);
    return rc;
}

/* ["case", condition, output, ..., fallback] */
static int c_case(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    (void)op;
    size_t n = json_array_size(j);
    if (n < 4 || n % 2 != 0)
        return fail(c, "'case' wants [\"case\", condition, output, ..., fallback]");
    if ((*out = new_expr(OP_CASE, want)) == NULL || alloc_args(*out, n - 2, false, c) != ERR_OK)
        return nomem(c);
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < n - 2; i++)
        rc = compile(json_array_get(j, 1 + i), i % 2 ? want : V_BOOL, c, &(*out)->args[i]);
    if (rc == ERR_OK) rc = compile(json_array_get(j, n - 1), want, c, &(*out)->fallback);
    return rc;
}

static int c_coalesce(json_t *j, const char *op, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    if (json_array_size(j) < 2) return fail(c, "'%s' takes one or more values", op);
    if ((*out = new_expr(OP_COALESCE, want)) == NULL) return nomem(c);
    int rc = compile_args(*out, j, 1, want, c);
    if (rc == ERR_OK && want == V_ANY)
        (*out)->type = common_type((*out)->args, (*out)->nargs, NULL);
    return rc;
}

static const struct {
    const char *name;
    compile_fn fn;
} operators[] = {
    {"get", c_get},         {"has", c_get},
    {"!has", c_get},        {"zoom", c_nullary},
    {"id", c_nullary},      {"geometry-type", c_nullary},
    {"literal", c_literal}, {"+", c_arith},
    {"-", c_arith},         {"*", c_arith},
    {"/", c_arith},         {"%", c_arith},
    {"^", c_arith},         {"min", c_arith},
    {"max", c_arith},       {"sqrt", c_arith},
    {"abs", c_arith},       {"==", c_compare},
    {"!=", c_compare},      {"<", c_compare},
    {">", c_compare},       {"<=", c_compare},
    {">=", c_compare},      {"in", c_in},
    {"!in", c_in},          {"all", c_logic},
    {"any", c_logic},       {"none", c_logic},
    {"!", c_logic},         {"interpolate", c_interpolate},
    {"step", c_step},       {"match", c_match},
    {"case", c_case},       {"coalesce", c_coalesce},
};

static int compile_call(json_t *j, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    const char *op = json_string_value(json_array_get(j, 0));
    if (op == NULL)
        return fail(c, "an expression is an array that starts with an operator name, "
                       "e.g. [\"get\", \"name\"]");
    size_t k = 0, nops = sizeof(operators) / sizeof(operators[0]);
    while (k < nops && strcmp(operators[k].name, op) != 0)
        k++;
    if (k == nops) return fail(c, "unknown or unsupported expression operator '%s'", op);
    int rc = operators[k].fn(j, op, want, c, out);
    if (rc == ERR_OK && want != V_ANY && (*out)->type != V_ANY && (*out)->type != want)
        rc = fail(c, "'%s' gives %s where %s is wanted", op, type_name((*out)->type),
                  type_name(want));
    return rc;
}

static int compile(json_t *j, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    *out = NULL;
    int rc;
    if (json_is_array(j))
        rc = compile_call(j, want, c, out);
    else if (json_is_object(j))
        rc = fail(c, "want %s, got an object", type_name(want));
    else
        rc = new_literal(j, want, c, out);
    if (rc != ERR_OK) {
        expr_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- legacy functions: {"stops": [[in, out], ...], "base", "type",
 * "property", "default"} ---- */

static int function_stops(json_t *stops, expr_t *e, vtype_t want, bool categorical,
                          const compile_ctx_t *c)
{
    size_t n = json_array_size(stops);
    if (!json_is_array(stops) || n == 0)
        return fail(c, "a function needs a non-empty \"stops\" array");
    if (alloc_args(e, n, !categorical, c) != ERR_OK ||
        (categorical && ((e->labels = calloc(n, sizeof(*e->labels))) == NULL ||
                         (e->label_arg = calloc(n, sizeof(*e->label_arg))) == NULL)))
        return nomem(c);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(stops, i), *in = json_array_get(s, 0);
        if (!json_is_array(s) || json_array_size(s) != 2)
            return fail(c, "each stop is a pair [input, output]");
        if (json_is_object(in))
            return fail(c, "zoom-and-property functions are not supported; use an expression");
        int rc;
        if (categorical) {
            if (!json_is_string(in) && !json_is_number(in) && !json_is_boolean(in))
                return fail(c, "stop inputs must be strings, numbers or booleans");
            e->label_arg[i] = i;
            if ((rc = literal(in, V_ANY, c, &e->labels[i])) != ERR_OK) return rc;
            e->nlabels++;
        } else if ((rc = stop_input(in, e, i, "stops", c)) != ERR_OK) {
            return rc;
        }
        if ((rc = compile(json_array_get(s, 1), want, c, &e->args[i])) != ERR_OK) return rc;
    }
    return ERR_OK;
}

static int compile_function(json_t *j, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "stops") && strcmp(key, "base") && strcmp(key, "type") &&
            strcmp(key, "property") && strcmp(key, "default") && strcmp(key, "colorSpace"))
            return fail(c, "unknown function member '%s'", key);
    }
    json_t *base = json_object_get(j, "base"), *type = json_object_get(j, "type");
    json_t *prop = json_object_get(j, "property"), *def = json_object_get(j, "default");
    json_t *space = json_object_get(j, "colorSpace");
    const char *t = json_string_value(type);
    if (type && !(t && (!strcmp(t, "exponential") || !strcmp(t, "interval") ||
                        !strcmp(t, "categorical") || !strcmp(t, "identity"))))
        return fail(c, "function \"type\" must be exponential, interval, categorical or identity");
    if (base && !(json_is_number(base) && json_number_value(base) > 0))
        return fail(c, "function \"base\" must be a number > 0");
    if (prop && !json_is_string(prop)) return fail(c, "function \"property\" must be a field name");
    if (space && !(json_is_string(space) && !strcmp(json_string_value(space), "rgb")))
        return fail(c, "only \"colorSpace\": \"rgb\" is supported");
    if (t == NULL) t = want == V_NUMBER || want == V_COLOR ? "exponential" : "interval";
    if (prop == NULL && strcmp(t, "exponential") && strcmp(t, "interval"))
        return fail(c, "%s functions need a \"property\"", t);
    vtype_t ow = want;
    int rc = ERR_OK;
    if (strcmp(t, "exponential") == 0 && (rc = interpolatable(want, t, c, &ow)) != ERR_OK)
        return rc;

    expr_t *input = NULL, *e = NULL;
    rc = prop ? new_field(OP_GET, json_string_value(prop), c, &input)
              : ((input = new_expr(OP_ZOOM, V_NUMBER)) ? ERR_OK : nomem(c));
    if (rc == ERR_OK && strcmp(t, "identity") == 0) {
        if ((e = new_expr(OP_COALESCE, want)) == NULL || alloc_args(e, 1, false, c) != ERR_OK)
            rc = nomem(c);
        else
            e->args[0] = input, input = NULL;
    } else if (rc == ERR_OK) {
        op_t op = t[0] == 'e' ? OP_INTERPOLATE : t[0] == 'i' ? OP_STEP : OP_MATCH;
        if ((e = new_expr(op, ow)) == NULL)
            rc = nomem(c);
        else {
            e->input = input, input = NULL;
            e->base = base ? json_number_value(base) : 1;
            rc = function_stops(json_object_get(j, "stops"), e, ow, op == OP_MATCH, c);
        }
        /* An interval function gives its first output below the first stop
         * too: a step whose first stop input is dropped. */
        if (rc == ERR_OK && op == OP_STEP)
            memmove(e->stops, e->stops + 1, (e->nargs - 1) * sizeof(*e->stops));
    }
    if (rc == ERR_OK && def) rc = compile(def, ow, c, &e->fallback);
    if (rc == ERR_OK && e->op == OP_COALESCE && e->fallback) {
        expr_t **args = realloc(e->args, 2 * sizeof(*args));
        if (args == NULL)
            rc = nomem(c);
        else
            e->args = args, e->args[e->nargs++] = e->fallback, e->fallback = NULL;
    }
    expr_free(input);
    if (rc != ERR_OK) {
        expr_free(e);
        e = NULL;
    }
    *out = e;
    return rc;
}

int expr_compile_value(json_t *j, vtype_t want, const compile_ctx_t *c, expr_t **out)
{
    *out = NULL;
    if (json_is_object(j) && json_object_get(j, "stops") == NULL &&
        json_object_get(j, "type") == NULL)
        return fail(c, "want %s, a function {\"stops\": ...} or an expression, got an object",
                    type_name(want));
    return json_is_object(j) ? compile_function(j, want, c, out) : compile(j, want, c, out);
}

int expr_compile_filter(json_t *j, const compile_ctx_t *c, expr_t **out)
{
    *out = NULL;
    if (!json_is_array(j) && !json_is_boolean(j))
        return fail(c, "a filter is an array such as [\"==\", \"field\", value], got %s",
                    json_kind(j));
    return compile(j, V_BOOL, c, out);
}

bool expr_constant(const expr_t *e, sval_t *out)
{
    if (e->op != OP_LITERAL) return false;
    *out = e->value;
    return true;
}

int expr_each_field(expr_t *e, int (*fn)(field_ref_t *ref, void *arg), void *arg)
{
    int rc = 0;
    if (e == NULL) return 0;
    if ((e->op == OP_GET || e->op == OP_HAS) && (rc = fn(&e->field, arg)) != 0) return rc;
    if ((rc = expr_each_field(e->input, fn, arg)) != 0 ||
        (rc = expr_each_field(e->fallback, fn, arg)) != 0)
        return rc;
    for (size_t i = 0; i < e->nargs; i++)
        if ((rc = expr_each_field(e->args[i], fn, arg)) != 0) return rc;
    return 0;
}

unsigned expr_inputs(const expr_t *e)
{
    if (e == NULL) return 0;
    unsigned in =
        e->op == OP_ZOOM ? STYLE_READS_ZOOM
        : e->op == OP_GET || e->op == OP_HAS || e->op == OP_ID || e->op == OP_GEOMETRY_TYPE
            ? STYLE_READS_FEATURE
            : 0;
    in |= expr_inputs(e->input) | expr_inputs(e->fallback);
    for (size_t i = 0; i < e->nargs; i++)
        in |= expr_inputs(e->args[i]);
    return in;
}

/* ---- evaluation ---- */

static const sval_t null_value = {.type = V_NULL};

static sval_t number(double n)
{
    return (sval_t){.type = V_NUMBER, .u.n = n};
}

static sval_t boolean(bool b)
{
    return (sval_t){.type = V_BOOL, .u.b = b};
}

static bool equal(sval_t a, sval_t b)
{
    if (a.type != b.type) return false;
    switch (a.type) {
    case V_NULL:
        return true;
    case V_BOOL:
        return a.u.b == b.u.b;
    case V_NUMBER:
        return a.u.n == b.u.n;
    case V_STRING:
        return strcmp(a.u.s, b.u.s) == 0;
    case V_COLOR:
        return a.u.c.r == b.u.c.r && a.u.c.g == b.u.c.g && a.u.c.b == b.u.c.b && a.u.c.a == b.u.c.a;
    case V_ANY:
        break;
    }
    return false;
}

/* A null attribute equals only a literal null; values of different types
 * are unequal and unordered. */
static bool compare(int op, sval_t a, sval_t b)
{
    if (op == CMP_EQ || op == CMP_NE) return equal(a, b) == (op == CMP_EQ);
    int d;
    if (a.type == V_NUMBER && b.type == V_NUMBER && !isnan(a.u.n) && !isnan(b.u.n))
        d = (a.u.n > b.u.n) - (a.u.n < b.u.n);
    else if (a.type == V_STRING && b.type == V_STRING)
        d = strcmp(a.u.s, b.u.s);
    else
        return false;
    switch (op) {
    case CMP_LT:
        return d < 0;
    case CMP_GT:
        return d > 0;
    case CMP_LE:
        return d <= 0;
    default:
        return d >= 0;
    }
}

static sval_t arith(const expr_t *e, const eval_ctx_t *c)
{
    double acc = 0;
    for (size_t i = 0; i < e->nargs; i++) {
        sval_t v = expr_eval(e->args[i], c);
        if (v.type != V_NUMBER) return null_value;
        double x = v.u.n;
        if (i == 0) {
            acc = e->sub == '-' && e->nargs == 1 ? -x : x;
            continue;
        }
        switch (e->sub) {
        case '+':
            acc += x;
            break;
        case '*':
            acc *= x;
            break;
        case '-':
            acc -= x;
            break;
        case '/':
            acc /= x;
            break;
        case '%':
            acc = fmod(acc, x);
            break;
        case '^':
            acc = pow(acc, x);
            break;
        case 'n':
            acc = x < acc ? x : acc;
            break;
        case 'x':
            acc = x > acc ? x : acc;
            break;
        }
    }
    if (e->sub == 's')
        acc = sqrt(acc);
    else if (e->sub == 'a')
        acc = fabs(acc);
    return isfinite(acc) ? number(acc) : null_value;
}

static double interp_t(double base, double x, double lo, double hi)
{
    double span = hi - lo, at = x - lo;
    if (span <= 0) return 0;
    if (base == 1) return at / span;
    return (pow(base, at) - 1) / (pow(base, span) - 1);
}

static sval_t interpolate(const expr_t *e, const eval_ctx_t *c, double x)
{
    size_t n = e->nargs, lo = 0, hi = n - 1;
    if (x <= e->stops[0]) return expr_eval(e->args[0], c);
    if (x >= e->stops[hi]) return expr_eval(e->args[hi], c);
    while (hi - lo > 1) { /* stops[lo] < x < stops[hi] */
        size_t mid = lo + (hi - lo) / 2;
        if (e->stops[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    double t = interp_t(e->base, x, e->stops[lo], e->stops[hi]);
    sval_t a = expr_eval(e->args[lo], c), b = expr_eval(e->args[hi], c);
    if (a.type == V_NUMBER && b.type == V_NUMBER) return number(a.u.n + (b.u.n - a.u.n) * t);
    if (a.type == V_COLOR && b.type == V_COLOR) {
        style_color_t p = a.u.c, q = b.u.c;
        return (sval_t){.type = V_COLOR,
                        .u.c = {p.r + (q.r - p.r) * t, p.g + (q.g - p.g) * t, p.b + (q.b - p.b) * t,
                                p.a + (q.a - p.a) * t}};
    }
    return null_value;
}

/* The output of the last stop at or below x; the first output below all. */
static sval_t step(const expr_t *e, const eval_ctx_t *c, double x)
{
    size_t lo = 0, hi = e->nargs - 1; /* stops[i] belongs to args[i + 1] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->stops[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return expr_eval(e->args[lo], c);
}

static const char *geometry_type(const feature_t *f)
{
    switch (f->geom->type) {
    case GEOM_POINT:
    case GEOM_MULTIPOINT:
        return "Point";
    case GEOM_LINESTRING:
    case GEOM_MULTILINESTRING:
        return "LineString";
    case GEOM_POLYGON:
    case GEOM_MULTIPOLYGON:
        return "Polygon";
    case GEOM_NONE:
        break;
    }
    return "Unknown";
}

sval_t expr_eval(const expr_t *e, const eval_ctx_t *c)
{
    switch (e->op) {
    case OP_LITERAL:
        return e->value;
    case OP_GET:
        return field_read(&e->field, c->data, c->f);
    case OP_HAS:
        return boolean((field_read(&e->field, c->data, c->f).type != V_NULL) != e->sub);
    case OP_ZOOM:
        return number(c->zoom);
    case OP_ID:
        return c->f ? (sval_t){.type = V_STRING, .u.s = c->f->id} : null_value;
    case OP_GEOMETRY_TYPE:
        return c->f && c->f->geom ? (sval_t){.type = V_STRING, .u.s = geometry_type(c->f)}
                                  : null_value;
    case OP_ARITH:
        return arith(e, c);
    case OP_COMPARE:
        return boolean(compare(e->sub, expr_eval(e->args[0], c), expr_eval(e->args[1], c)));
    case OP_IN: {
        sval_t v = expr_eval(e->input, c);
        for (size_t i = 0; i < e->nlabels; i++)
            if (v.type != V_NULL && equal(v, e->labels[i])) return boolean(!e->sub);
        return boolean(e->sub);
    }
    case OP_ALL:
    case OP_ANY:
        for (size_t i = 0; i < e->nargs; i++) {
            sval_t v = expr_eval(e->args[i], c);
            if ((v.type == V_BOOL && v.u.b) == (e->op == OP_ANY)) return boolean(e->op == OP_ANY);
        }
        return boolean(e->op == OP_ALL);
    case OP_NOT: {
        sval_t v = expr_eval(e->args[0], c);
        return boolean(!(v.type == V_BOOL && v.u.b));
    }
    case OP_INTERPOLATE:
    case OP_STEP: {
        sval_t x = expr_eval(e->input, c);
        if (x.type != V_NUMBER || isnan(x.u.n))
            return e->fallback ? expr_eval(e->fallback, c) : null_value;
        return e->op == OP_STEP ? step(e, c, x.u.n) : interpolate(e, c, x.u.n);
    }
    case OP_MATCH: {
        sval_t v = expr_eval(e->input, c);
        for (size_t i = 0; i < e->nlabels; i++)
            if (equal(v, e->labels[i])) return expr_eval(e->args[e->label_arg[i]], c);
        return e->fallback ? expr_eval(e->fallback, c) : null_value;
    }
    case OP_CASE:
        for (size_t i = 0; i + 1 < e->nargs; i += 2) {
            sval_t v = expr_eval(e->args[i], c);
            if (v.type == V_BOOL && v.u.b) return expr_eval(e->args[i + 1], c);
        }
        return expr_eval(e->fallback, c);
    case OP_COALESCE:
        for (size_t i = 0; i < e->nargs; i++) {
            sval_t v = expr_eval(e->args[i], c);
            if (v.type != V_NULL) return v;
        }
        return null_value;
    }
    return null_value;
}
