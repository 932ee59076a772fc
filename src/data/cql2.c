/* CQL2: the JSON encoding's parser, binding a tree to a layer's fields
 * (with type checks), and evaluation with SQL's three-valued logic. */
#include "data/cql2.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/cql2_internal.h"
#include "util/text.h"

struct cql2 {
    cnode_t *root;
    const layer_t *layer;
};

/* --- nodes ------------------------------------------------------------------ */

cnode_t *cnode_new(cbuild_t *b, cnode_kind_t kind, int pos)
{
    if (++b->nodes > CQL2_MAX_NODES) {
        if (b->err->code == ERR_OK)
            error_set(b->err, ERR_INVALID, "filter: more than %d terms", CQL2_MAX_NODES);
        return NULL;
    }
    cnode_t *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        error_set(b->err, ERR_NOMEM, "out of memory");
        return NULL;
    }
    n->kind = kind, n->pos = pos, n->field = -1;
    return n;
}

bool cnode_add(cbuild_t *b, cnode_t *n, cnode_t *kid)
{
    cnode_t **kids = realloc(n->kids, (n->nkids + 1) * sizeof(*kids));
    if (kids == NULL) {
        error_set(b->err, ERR_NOMEM, "out of memory");
        cnode_free(kid);
        return false;
    }
    n->kids = kids;
    n->kids[n->nkids++] = kid;
    return true;
}

void cnode_free(cnode_t *n)
{
    if (n == NULL) return;
    for (size_t i = 0; i < n->nkids; i++)
        cnode_free(n->kids[i]);
    free(n->kids);
    free(n->s);
    geom_destroy(n->g);
    free(n);
}

void cql2_geom_to_lonlat(geom_t *g, crs_id_t crs)
{
    for (uint32_t i = 0; i < g->npoints; i++) {
        double *p = g->ll + 2 * (size_t)i;
        if (crs == CRS_EPSG4326) {
            double t = p[0];
            p[0] = p[1], p[1] = t;
        } else if (crs == CRS_EPSG3857) {
            crs_merc_to_lonlat(p, p, 1);
        }
    }
    geom_update_bbox(g);
}

/* --- the JSON encoding ---------------------------------------------------------- */

typedef struct jparse {
    cbuild_t *b;
    crs_id_t crs;
    int depth;
} jparse_t;

static cnode_t *jfail(jparse_t *j, const char *fmt, const char *what)
{
    if (j->b->err->code == ERR_OK)
        error_set(j->b->err, ERR_INVALID, "filter (cql2-json): %s%.60s", fmt, what ? what : "");
    return NULL;
}

/* GeoJSON coordinates into a geometry (the geometry's own layout). */
static bool jpoint(json_t *c, double *xy)
{
    if (!json_is_array(c) || json_array_size(c) != 2 || !json_is_number(json_array_get(c, 0)) ||
        !json_is_number(json_array_get(c, 1)))
        return false;
    xy[0] = json_number_value(json_array_get(c, 0)),
    xy[1] = json_number_value(json_array_get(c, 1));
    return isfinite(xy[0]) && isfinite(xy[1]);
}

/* Counts (pass 1) or fills (pass 2) points, parts and polygons of the
 * coordinates at nesting depth `level` (0: a point). */
typedef struct jgeom {
    geom_t *g;
    size_t n, parts, polys;
} jgeom_t;

static bool jwalk(json_t *c, int level, jgeom_t *w, int part_level, int poly_level)
{
    if (level == 0) {
        if (w->g && !jpoint(c, w->g->ll + 2 * w->n)) return false;
        double tmp[2];
        if (w->g == NULL && !jpoint(c, tmp)) return false;
        w->n++;
        return w->n <= 1000000;
    }
    if (!json_is_array(c) || (level >= 1 && json_array_size(c) == 0)) return false;
    if (level == poly_level) {
        if (w->g) w->g->poly_start[w->polys] = (uint32_t)w->parts;
        w->polys++;
    }
    if (level == part_level) {
        if (w->g) w->g->part_start[w->parts] = (uint32_t)w->n;
        w->parts++;
    }
    size_t i;
    json_t *v;
    json_array_foreach(c, i, v) if (!jwalk(v, level - 1, w, part_level, poly_level)) return false;
    return true;
}

static cnode_t *jgeometry(jparse_t *j, json_t *obj)
{
    static const struct {
        const char *name;
        geom_type_t type;
        int levels, part, poly; /* array depth of the coordinates, of a part, of a polygon */
    } types[] = {{"Point", GEOM_POINT, 0, -1, -1},
                 {"MultiPoint", GEOM_MULTIPOINT, 1, -1, -1},
                 {"LineString", GEOM_LINESTRING, 1, 1, -1},
                 {"MultiLineString", GEOM_MULTILINESTRING, 2, 1, -1},
                 {"Polygon", GEOM_POLYGON, 2, 1, 2},
                 {"MultiPolygon", GEOM_MULTIPOLYGON, 3, 1, 2}};
    const char *type = json_string_value(json_object_get(obj, "type"));
    json_t *coords = json_object_get(obj, "coordinates");
    for (size_t t = 0; type && t < sizeof(types) / sizeof(types[0]); t++) {
        if (strcmp(type, types[t].name) != 0) continue;
        jgeom_t w = {0};
        if (!jwalk(coords, types[t].levels, &w, types[t].part, types[t].poly))
            return jfail(j, "bad coordinates for a ", type);
        cnode_t *n = cnode_new(j->b, V_GEOM, 0);
        if (n == NULL) return NULL;
        n->g = geom_create(types[t].type, (uint32_t)w.n, (uint32_t)w.parts, (uint32_t)w.polys);
        if (n->g == NULL) return cnode_free(n), jfail(j, "out of memory", NULL);
        w = (jgeom_t){n->g, 0, 0, 0};
        jwalk(coords, types[t].levels, &w, types[t].part, types[t].poly);
        cql2_geom_to_lonlat(n->g, j->crs);
        return n;
    }
    return jfail(j, "unsupported geometry type ", type ? type : "(none)");
}

static cnode_t *jbbox(jparse_t *j, json_t *arr)
{
    double v[6];
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    for (size_t i = 0; i < n && i < 6; i++) {
        if (!json_is_number(json_array_get(arr, i)))
            n = 0;
        else
            v[i] = json_number_value(json_array_get(arr, i));
    }
    if (n != 4 && n != 6) return jfail(j, "bbox takes 4 numbers", NULL);
    int hi = n == 6 ? 3 : 2;
    if (v[0] > v[hi] || v[1] > v[hi + 1]) return jfail(j, "bbox: min > max", NULL);
    cnode_t *node = cnode_new(j->b, V_GEOM, 0);
    if (node == NULL || (node->g = geom_create(GEOM_POLYGON, 5, 1, 1)) == NULL)
        return cnode_free(node), jfail(j, "out of memory", NULL);
    double ring[10] = {v[0], v[1], v[hi], v[1], v[hi], v[hi + 1], v[0], v[hi + 1], v[0], v[1]};
    memcpy(node->g->ll, ring, sizeof(ring));
    cql2_geom_to_lonlat(node->g, j->crs);
    return node;
}

static cnode_t *jnode(jparse_t *j, json_t *v);

static const struct {
    const char *name;
    cnode_kind_t kind;
    int op;
    int nargs; /* -1: any (2 or more for and/or) */
} jops[] = {{"and", C_AND, 0, -1},
            {"or", C_OR, 0, -1},
            {"not", C_NOT, 0, 1},
            {"=", C_CMP, C_EQ, 2},
            {"<>", C_CMP, C_NE, 2},
            {"<", C_CMP, C_LT, 2},
            {">", C_CMP, C_GT, 2},
            {"<=", C_CMP, C_LE, 2},
            {">=", C_CMP, C_GE, 2},
            {"like", C_LIKE, 0, 2},
            {"between", C_BETWEEN, 0, 3},
            {"in", C_IN, 0, 2},
            {"isNull", C_ISNULL, 0, 1},
            {"casei", V_FOLD, FOLD_CASE, 1},
            {"accenti", V_FOLD, FOLD_ACCENTS, 1},
            {"s_intersects", C_SPATIAL, C_S_INTERSECTS, 2},
            {"s_disjoint", C_SPATIAL, C_S_DISJOINT, 2},
            {"s_within", C_SPATIAL, C_S_WITHIN, 2},
            {"s_contains", C_SPATIAL, C_S_CONTAINS, 2}};

static cnode_t *jop(jparse_t *j, const char *op, json_t *args)
{
    for (size_t k = 0; k < sizeof(jops) / sizeof(jops[0]); k++) {
        if (strcmp(op, jops[k].name) != 0) continue;
        size_t n = json_is_array(args) ? json_array_size(args) : 0;
        if (!json_is_array(args)) return jfail(j, "\"args\" must be an array for ", op);
        if ((jops[k].nargs >= 0 && n != (size_t)jops[k].nargs) || (jops[k].nargs < 0 && n < 2))
            return jfail(j, "wrong number of arguments for ", op);
        cnode_t *node = cnode_new(j->b, jops[k].kind, 0);
        if (node == NULL) return NULL;
        node->op = jops[k].op;
        for (size_t i = 0; i < n; i++) {
            json_t *a = json_array_get(args, i);
            if (jops[k].kind == C_IN && i == 1) { /* the list */
                if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 1000)
                    return cnode_free(node), jfail(j, "\"in\" takes a value and a list", NULL);
                size_t m;
                json_t *item;
                json_array_foreach(a, m, item)
                {
                    cnode_t *kid = jnode(j, item);
                    if (kid == NULL || !cnode_add(j->b, node, kid)) return cnode_free(node), NULL;
                }
                continue;
            }
            cnode_t *kid = jnode(j, a);
            if (kid == NULL || !cnode_add(j->b, node, kid)) return cnode_free(node), NULL;
        }
        return node;
    }
    if (strncmp(op, "s_", 2) == 0 || strncmp(op, "t_", 2) == 0 || strncmp(op, "a_", 2) == 0)
        return jfail(j, "this operator is not supported (see /conformance): ", op);
    return jfail(j, "unknown operator ", op);
}

static cnode_t *jnode(jparse_t *j, json_t *v)
{
    if (++j->depth > CQL2_MAX_DEPTH) return jfail(j, "nested deeper than 64 levels", NULL);
    cnode_t *n = NULL;
    if (json_is_string(v)) {
        if ((n = cnode_new(j->b, V_STR, 0)) && (n->s = strdup(json_string_value(v))) == NULL)
            cnode_free(n), n = jfail(j, "out of memory", NULL);
    } else if (json_is_number(v)) {
        if ((n = cnode_new(j->b, V_NUM, 0))) n->n = json_number_value(v);
    } else if (json_is_boolean(v)) {
        if ((n = cnode_new(j->b, V_BOOLEAN, 0))) n->b = json_is_true(v);
    } else if (json_is_object(v) && json_is_string(json_object_get(v, "property"))) {
        if ((n = cnode_new(j->b, V_PROP, 0)) &&
            (n->s = strdup(json_string_value(json_object_get(v, "property")))) == NULL)
            cnode_free(n), n = jfail(j, "out of memory", NULL);
    } else if (json_is_object(v) && json_is_string(json_object_get(v, "op"))) {
        n = jop(j, json_string_value(json_object_get(v, "op")), json_object_get(v, "args"));
    } else if (json_is_object(v) && json_object_get(v, "bbox")) {
        n = jbbox(j, json_object_get(v, "bbox"));
    } else if (json_is_object(v) && json_object_get(v, "coordinates")) {
        n = jgeometry(j, v);
    } else if (json_is_object(v) &&
               (json_object_get(v, "timestamp") || json_object_get(v, "date") ||
                json_object_get(v, "interval"))) {
        n = jfail(j, "temporal values are not supported", NULL);
    } else {
        n = jfail(j, "not an expression: want an op, a property, a literal or a geometry", NULL);
    }
    j->depth--;
    return n;
}

static cnode_t *parse_json(const char *text, crs_id_t crs, cbuild_t *b)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        error_set(b->err, ERR_INVALID, "filter (cql2-json): not JSON at %d: %s", jerr.position + 1,
                  jerr.text);
        return NULL;
    }
    jparse_t j = {b, crs, 0};
    cnode_t *n = jnode(&j, root);
    json_decref(root);
    return n;
}

/* --- binding and types --------------------------------------------------------- */

typedef enum vtype { T_NONE, T_STR, T_NUM, T_BOOL, T_GEOM } vtype_t;

static const char *const type_names[] = {"nothing", "a string", "a number", "a boolean",
                                         "a geometry"};

typedef struct binder {
    const layer_t *layer;
    error_t *err;
} binder_t;

static int bfail(binder_t *b, const cnode_t *n, const char *fmt, const char *a, const char *c)
{
    char where[32] = "";
    if (n->pos) snprintf(where, sizeof(where), " at %d", n->pos);
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, a ? a : "", c ? c : "");
    return error_set(b->err, ERR_INVALID, "filter%s: %s", where, msg);
}

static vtype_t field_type(const layer_t *l, int f)
{
    switch (l->fields[f].type) {
    case FIELD_STRING:
        return T_STR;
    case FIELD_BOOLEAN:
        return T_BOOL;
    default:
        return T_NUM;
    }
}

/* The type of value node n, binding properties; T_NONE after an error. */
static vtype_t value_type(binder_t *b, cnode_t *n)
{
    switch (n->kind) {
    case V_STR:
        return T_STR;
    case V_NUM:
        return T_NUM;
    case V_BOOLEAN:
        return T_BOOL;
    case V_GEOM:
        return T_GEOM;
    case V_PROP:
        if (strcmp(n->s, "geometry") == 0) return T_GEOM;
        if ((n->field = layer_field_index(b->layer, n->s)) < 0) {
            char q[160];
            snprintf(q, sizeof(q), "/collections/%s/queryables", b->layer->id);
            bfail(b, n, "unknown property '%.60s'; see %s for the properties", n->s, q);
            return T_NONE;
        }
        return field_type(b->layer, n->field);
    case V_FOLD: {
        vtype_t t = value_type(b, n->kids[0]);
        if (t != T_NONE && t != T_STR) {
            bfail(b, n, "CASEI and ACCENTI take a string, not %s%s", type_names[t], NULL);
            return T_NONE;
        }
        return t;
    }
    default:
        bfail(b, n, "a predicate where a value belongs%s%s", NULL, NULL);
        return T_NONE;
    }
}

static bool is_value(const cnode_t *n)
{
    return n->kind >= V_PROP;
}

static int bind(binder_t *b, cnode_t *n)
{
    vtype_t t[1002];
    if (n->kind == C_AND || n->kind == C_OR || n->kind == C_NOT) {
        for (size_t i = 0; i < n->nkids; i++) {
            if (n->kids[i]->kind == V_BOOLEAN) n->kids[i]->kind = C_BOOL; /* true, false */
            if (is_value(n->kids[i]))
                return bfail(b, n->kids[i], "a value where a predicate belongs%s%s", NULL, NULL);
            if (bind(b, n->kids[i]) != ERR_OK) return b->err->code;
        }
        return ERR_OK;
    }
    if (n->kind == C_BOOL) return ERR_OK;
    if (is_value(n)) return bfail(b, n, "a value where a predicate belongs%s%s", NULL, NULL);
    for (size_t i = 0; i < n->nkids && i < 1002; i++) {
        if (!is_value(n->kids[i]))
            return bfail(b, n->kids[i], "a predicate where a value belongs%s%s", NULL, NULL);
        if ((t[i] = value_type(b, n->kids[i])) == T_NONE) return b->err->code;
    }
    switch (n->kind) {
    case C_SPATIAL:
        if (t[0] != T_GEOM || t[1] != T_GEOM)
            return bfail(b, n,
                         "spatial functions compare geometries: the property 'geometry' "
                         "and a literal%s%s",
                         NULL, NULL);
        return ERR_OK;
    case C_ISNULL:
        if (n->kids[0]->kind != V_PROP && n->kids[0]->kind != V_FOLD)
            return bfail(b, n, "IS NULL takes a property%s%s", NULL, NULL);
        return ERR_OK;
    case C_LIKE:
        if (t[0] != T_STR || t[1] != T_STR)
            return bfail(b, n, "LIKE compares strings%s%s", NULL, NULL);
        return ERR_OK;
    default:
        for (size_t i = 1; i < n->nkids; i++)
            if (t[i] != t[0] || t[0] == T_GEOM)
                return bfail(b, n, "cannot compare %s with %s", type_names[t[0]], type_names[t[i]]);
        if (n->kind == C_CMP && t[0] == T_BOOL && n->op != C_EQ && n->op != C_NE)
            return bfail(b, n, "booleans take only = and <>%s%s", NULL, NULL);
        return ERR_OK;
    }
}

int cql2_parse(const char *text, cql2_lang_t lang, const layer_t *layer, crs_id_t crs, cql2_t **out,
               error_t *err)
{
    *out = NULL;
    error_t local = {0};
    if (err == NULL) err = &local;
    err->code = ERR_OK;
    cbuild_t b = {0, err};
    cnode_t *root = lang == CQL2_JSON ? parse_json(text, crs, &b) : cql2_parse_text(text, crs, &b);
    if (root == NULL)
        return err->code != ERR_OK ? err->code : error_set(err, ERR_INVALID, "filter: empty");
    binder_t bd = {layer, err};
    if (root->kind == V_BOOLEAN) root->kind = C_BOOL; /* filter=true */
    if (is_value(root)) {
        bfail(&bd, root, "the filter is a value, not a predicate%s%s", NULL, NULL);
    } else if (bind(&bd, root) == ERR_OK) {
        cql2_t *f = malloc(sizeof(*f));
        if (f == NULL) {
            cnode_free(root);
            return error_set(err, ERR_NOMEM, "out of memory");
        }
        *f = (cql2_t){root, layer};
        *out = f;
        return ERR_OK;
    }
    cnode_free(root);
    return err->code;
}

void cql2_free(cql2_t *f)
{
    if (f == NULL) return;
    cnode_free(f->root);
    free(f);
}

/* --- evaluation ------------------------------------------------------------------ */

enum { NO = 0, YES = 1, UNKNOWN = 2 };

typedef struct val {
    vtype_t type; /* T_NONE: NULL */
    const char *s;
    double n;
    bool b;
    const geom_t *g;
    char buf[512]; /* folded strings */
} val_t;

static void fold_into(const char *s, int flags, char *out, size_t size)
{
    text_fold_as(s, flags & FOLD_CASE, flags & FOLD_ACCENTS, out, size);
}

static void eval_value(const cql2_t *f, const cnode_t *n, uint32_t i, val_t *v)
{
    const feature_t *feat = &f->layer->features[i];
    v->type = T_NONE;
    switch (n->kind) {
    case V_STR:
        v->type = T_STR, v->s = n->s;
        return;
    case V_NUM:
        v->type = T_NUM, v->n = n->n;
        return;
    case V_BOOLEAN:
        v->type = T_BOOL, v->b = n->b;
        return;
    case V_GEOM:
        v->type = T_GEOM, v->g = n->g;
        return;
    case V_PROP: {
        if (n->field < 0) {
            v->type = T_GEOM, v->g = feat->geom;
            return;
        }
        const value_t *x = &feat->values[n->field];
        if (x->is_null) return;
        switch (f->layer->fields[n->field].type) {
        case FIELD_STRING:
            v->type = T_STR, v->s = x->u.s;
            return;
        case FIELD_INTEGER:
            v->type = T_NUM, v->n = (double)x->u.i;
            return;
        case FIELD_REAL:
            v->type = T_NUM, v->n = x->u.r;
            return;
        case FIELD_BOOLEAN:
            v->type = T_BOOL, v->b = x->u.i != 0;
            return;
        }
        return;
    }
    case V_FOLD: {
        val_t inner;
        eval_value(f, n->kids[0], i, &inner);
        if (inner.type != T_STR) return;
        fold_into(inner.s, n->op, v->buf, sizeof(v->buf));
        v->type = T_STR, v->s = v->buf;
        return;
    }
    default:
        return;
    }
}

/* <0, 0, >0 for values of one type (strings by UTF-8 bytes). */
static int compare(const val_t *a, const val_t *b)
{
    if (a->type == T_STR) return strcmp(a->s, b->s);
    if (a->type == T_BOOL) return (int)a->b - (int)b->b;
    return a->n < b->n ? -1 : a->n > b->n;
}

/* SQL LIKE: % any run, _ one character, \ escapes the next. */
static bool like(const char *s, const char *p)
{
    while (*p) {
        if (*p == '%') {
            while (*p == '%')
                p++;
            if (*p == '\0') return true;
            for (; *s; s++)
                if (like(s, p)) return true;
            return false;
        }
        if (*s == '\0') return false;
        if (*p == '_') {
            s++; /* one UTF-8 character */
            while (((unsigned char)*s & 0xC0) == 0x80)
                s++;
            p++;
            continue;
        }
        if (*p == '\\' && p[1]) p++;
        if (*p != *s) return false;
        p++, s++;
    }
    return *s == '\0';
}

static int eval(const cql2_t *f, const cnode_t *n, uint32_t i);

static int eval_logic(const cql2_t *f, const cnode_t *n, uint32_t i)
{
    int acc = n->kind == C_AND ? YES : NO;
    for (size_t k = 0; k < n->nkids; k++) {
        int r = eval(f, n->kids[k], i);
        if (n->kind == C_AND) {
            if (r == NO) return NO;
            if (r == UNKNOWN) acc = UNKNOWN;
        } else {
            if (r == YES) return YES;
            if (r == UNKNOWN) acc = UNKNOWN;
        }
    }
    return acc;
}

static int negated(int r, bool negate)
{
    return r == UNKNOWN || !negate ? r : r == YES ? NO : YES;
}

static int eval_spatial(const cql2_t *f, const cnode_t *n, uint32_t i)
{
    val_t a, b;
    eval_value(f, n->kids[0], i, &a);
    eval_value(f, n->kids[1], i, &b);
    if (a.g == NULL || b.g == NULL) return UNKNOWN;
    switch (n->op) {
    case C_S_INTERSECTS:
        return geom_intersects(a.g, b.g) ? YES : NO;
    case C_S_DISJOINT:
        return geom_intersects(a.g, b.g) ? NO : YES;
    case C_S_WITHIN:
        return geom_within(a.g, b.g) ? YES : NO;
    default:
        return geom_within(b.g, a.g) ? YES : NO;
    }
}

static int eval(const cql2_t *f, const cnode_t *n, uint32_t i)
{
    val_t a, b, c;
    switch (n->kind) {
    case C_AND:
    case C_OR:
        return eval_logic(f, n, i);
    case C_NOT: {
        int r = eval(f, n->kids[0], i);
        return r == UNKNOWN ? UNKNOWN : r == YES ? NO : YES;
    }
    case C_BOOL:
        return n->b ? YES : NO;
    case C_SPATIAL:
        return eval_spatial(f, n, i);
    case C_ISNULL:
        eval_value(f, n->kids[0], i, &a);
        return negated(a.type == T_NONE ? YES : NO, n->negate);
    default:
        break;
    }
    eval_value(f, n->kids[0], i, &a);
    if (a.type == T_NONE) return UNKNOWN;
    if (n->kind == C_IN) {
        int acc = NO;
        for (size_t k = 1; k < n->nkids && acc != YES; k++) {
            eval_value(f, n->kids[k], i, &b);
            if (b.type == T_NONE)
                acc = UNKNOWN;
            else if (compare(&a, &b) == 0)
                acc = YES;
        }
        return negated(acc, n->negate);
    }
    eval_value(f, n->kids[1], i, &b);
    if (b.type == T_NONE) return UNKNOWN;
    if (n->kind == C_LIKE) return negated(like(a.s, b.s) ? YES : NO, n->negate);
    if (n->kind == C_BETWEEN) {
        eval_value(f, n->kids[2], i, &c);
        if (c.type == T_NONE) return UNKNOWN;
        return negated(compare(&a, &b) >= 0 && compare(&a, &c) <= 0 ? YES : NO, n->negate);
    }
    int d = compare(&a, &b);
    bool r = n->op == C_EQ   ? d == 0
             : n->op == C_NE ? d != 0
             : n->op == C_LT ? d < 0
             : n->op == C_GT ? d > 0
             : n->op == C_LE ? d <= 0
                             : d >= 0;
    return r ? YES : NO;
}

bool cql2_match(const cql2_t *f, uint32_t i)
{
    return eval(f, f->root, i) == YES;
}

/* The box of the literal of a spatial predicate that must hold. */
static bool spatial_box(const cnode_t *n, bbox_t *out)
{
    if (n->kind == C_SPATIAL && n->op != C_S_DISJOINT) {
        for (size_t k = 0; k < 2; k++)
            if (n->kids[k]->kind == V_GEOM) {
                *out = n->kids[k]->g->bbox;
                return true;
            }
        return false;
    }
    if (n->kind != C_AND) return false;
    bool any = false;
    for (size_t k = 0; k < n->nkids; k++) {
        bbox_t b;
        if (!spatial_box(n->kids[k], &b)) continue;
        if (!any) {
            *out = b;
        } else {
            out->minx = fmax(out->minx, b.minx), out->miny = fmax(out->miny, b.miny);
            out->maxx = fmin(out->maxx, b.maxx), out->maxy = fmin(out->maxy, b.maxy);
        }
        any = true;
    }
    return any;
}

bool cql2_bbox(const cql2_t *f, bbox_t *out)
{
    return spatial_box(f->root, out);
}
