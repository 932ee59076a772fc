/* What style.c (files, layers, properties) and style_expr.c (colours and
 * compiled values) share. Not for other modules: they use style.h. */
#ifndef COOPMAP_STYLE_INTERNAL_H
#define COOPMAP_STYLE_INTERNAL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "util/error.h"
#include "data/layer.h"
#include "render/style.h"

/* The type of a value at evaluation time. V_ANY is only a static type:
 * "known per feature" (what ["get", ...] gives), or "anything" when asked
 * for. */
typedef enum vtype { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_COLOR, V_ANY } vtype_t;

/* A value during evaluation. Strings are borrowed from the compiled
 * expression or from the feature, so evaluation never allocates. */
typedef struct sval {
    vtype_t type;
    union {
        bool b;
        double n;
        const char *s;
        style_color_t c;
    } u;
} sval_t;

/* A feature attribute read by name. Data layers are not known when the
 * style loads, and one style serves every dataset a reload brings, so the
 * name is what counts: `hint` remembers the field's index in the layer last
 * checked by style_check_layers(), and each read verifies it with one
 * strcmp (a miss falls back to a scan of the layer's fields and is still
 * right). The hint is atomic, so a check during a reload races with no
 * render thread. */
typedef struct field_ref {
    char *name;
    atomic_int hint;
} field_ref_t;

typedef struct expr expr_t;

/* Where a value sits, for messages, and what it may read. */
typedef struct compile_ctx {
    const char *where; /* "styles/x.json: layer 'towns': paint 'circle-color'" */
    bool data;         /* may read feature attributes */
    error_t *err;
} compile_ctx_t;

typedef struct eval_ctx {
    double zoom;
    const layer_t *data; /* may be NULL */
    const feature_t *f;  /* may be NULL */
} eval_ctx_t;

/* A property value: a literal, a legacy function ({"stops": ...}) or an
 * expression, checked against the wanted type (V_NUMBER, V_COLOR, V_BOOL,
 * V_STRING or V_ANY). On failure err says where and why (ERR_INVALID) and
 * *out is NULL. Free with expr_free(). */
int expr_compile_value(json_t *j, vtype_t want, const compile_ctx_t *c, expr_t **out);

/* A filter: legacy (["==", "field", value]) or expression form. */
int expr_compile_filter(json_t *j, const compile_ctx_t *c, expr_t **out);

void expr_free(expr_t *e);

sval_t expr_eval(const expr_t *e, const eval_ctx_t *c);

/* The value if the expression is a constant (no zoom, no data). */
bool expr_constant(const expr_t *e, sval_t *out);

/* Calls fn on every field the expression reads, stopping at the first
 * non-zero return, which it returns. */
int expr_each_field(expr_t *e, int (*fn)(field_ref_t *ref, void *arg), void *arg);

/* What the expression reads: STYLE_READS_ZOOM, STYLE_READS_FEATURE. */
unsigned expr_inputs(const expr_t *e);

/* Index of the field in data, or -1; uses and never changes the hint. */
int field_index(const field_ref_t *ref, const layer_t *data);

/* Parses a CSS colour: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(), rgba(),
 * hsl(), hsla() and a few names. Returns 0, or -1 if s is not a colour. */
int color_parse(const char *s, style_color_t *out);

#endif
