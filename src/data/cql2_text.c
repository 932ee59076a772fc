/* CQL2's text encoding: a tokenizer and a recursive-descent parser, with
 * WKT and BBOX literals. Errors name the 1-based character where the
 * offending token starts, and the token. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/cql2_internal.h"

typedef enum tok_kind { T_END, T_IDENT, T_QIDENT, T_STRING, T_NUMBER, T_PUNCT, T_BAD } tok_kind_t;

typedef struct token {
    tok_kind_t kind;
    const char *start; /* in the text */
    size_t len;
    char *text; /* T_STRING, T_QIDENT: the unescaped value (malloc'd) */
    double num;
} token_t;

typedef struct parser {
    const char *src, *p;
    token_t tok;
    int depth;
    crs_id_t crs;
    cbuild_t *b;
    bool failed;
} parser_t;

/* 1-based character (not byte) position of s in the text. */
static int char_pos(const parser_t *ps, const char *s)
{
    int n = 1;
    for (const char *q = ps->src; q < s; q++)
        n += ((unsigned char)*q & 0xC0) != 0x80;
    return n;
}

static int tok_pos(const parser_t *ps)
{
    return char_pos(ps, ps->tok.start);
}

/* Fails the parse (the first failure wins) at the current token. */
static void *fail(parser_t *ps, const char *what)
{
    if (ps->failed) return NULL;
    ps->failed = true;
    if (ps->tok.kind == T_END)
        error_set(ps->b->err, ERR_INVALID, "filter: syntax error at %d (the end): %s", tok_pos(ps),
                  what);
    else
        error_set(ps->b->err, ERR_INVALID, "filter: syntax error at %d near '%.*s': %s",
                  tok_pos(ps), (int)(ps->tok.len < 40 ? ps->tok.len : 40), ps->tok.start, what);
    return NULL;
}

static bool is_ident_start(int c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_ident(int c)
{
    return isalnum(c) || c == '_' || c == ':' || c == '.' || c >= 0x80;
}

/* A quoted run (' or "), the quote doubled to escape it; NULL if open. */
static char *quoted(parser_t *ps, char q, const char **end)
{
    const char *s = ps->p + 1;
    size_t cap = strlen(s) + 1, n = 0;
    char *out = malloc(cap);
    if (out == NULL) return NULL;
    for (;; s++) {
        if (*s == '\0') {
            free(out);
            return NULL;
        }
        if (*s == q) {
            if (s[1] != q) break;
            s++;
        }
        out[n++] = *s;
    }
    out[n] = '\0';
    *end = s + 1;
    return out;
}

static void next(parser_t *ps)
{
    free(ps->tok.text);
    ps->tok = (token_t){0};
    while (isspace((unsigned char)*ps->p))
        ps->p++;
    token_t *t = &ps->tok;
    t->start = ps->p;
    unsigned char c = (unsigned char)*ps->p;
    const char *end = ps->p + 1;
    if (c == '\0') {
        t->kind = T_END;
        end = ps->p;
    } else if (c == '\'' || c == '"') {
        t->text = quoted(ps, (char)c, &end);
        t->kind = t->text ? (c == '\'' ? T_STRING : T_QIDENT) : T_BAD;
        if (t->text == NULL) end = ps->p + strlen(ps->p);
    } else if (isdigit(c) || ((c == '-' || c == '+' || c == '.') &&
                              (isdigit((unsigned char)ps->p[1]) || ps->p[1] == '.'))) {
        char *e;
        t->num = strtod(ps->p, &e);
        t->kind = e > ps->p && isfinite(t->num) && !is_ident((unsigned char)*e) ? T_NUMBER : T_BAD;
        end = e > ps->p ? e : ps->p + 1;
        while (t->kind == T_BAD && is_ident((unsigned char)*end))
            end++;
    } else if (is_ident_start(c)) {
        while (is_ident((unsigned char)*end))
            end++;
        t->kind = T_IDENT;
    } else if ((c == '<' && (ps->p[1] == '>' || ps->p[1] == '=')) ||
               (c == '>' && ps->p[1] == '=')) {
        t->kind = T_PUNCT;
        end = ps->p + 2;
    } else if (strchr("=<>(),", c)) {
        t->kind = T_PUNCT;
    } else {
        t->kind = T_BAD;
    }
    t->len = (size_t)(end - ps->p);
    ps->p = end;
}

static bool is_kw(const parser_t *ps, const char *kw)
{
    return ps->tok.kind == T_IDENT && ps->tok.len == strlen(kw) &&
           strncasecmp(ps->tok.start, kw, ps->tok.len) == 0;
}

static bool is_punct(const parser_t *ps, const char *p)
{
    return ps->tok.kind == T_PUNCT && ps->tok.len == strlen(p) &&
           strncmp(ps->tok.start, p, ps->tok.len) == 0;
}

static bool expect(parser_t *ps, const char *p, const char *what)
{
    if (!is_punct(ps, p)) return fail(ps, what), false;
    next(ps);
    return true;
}

static bool enter(parser_t *ps)
{
    if (++ps->depth <= CQL2_MAX_DEPTH) return true;
    fail(ps, "nested deeper than 64 levels");
    return false;
}

/* --- geometry literals ---------------------------------------------------- */

static bool number(parser_t *ps, double *v)
{
    if (ps->tok.kind != T_NUMBER) return fail(ps, "expected a number"), false;
    *v = ps->tok.num;
    next(ps);
    return true;
}

/* "x y" (a third number, Z, is refused). */
static bool point(parser_t *ps, geom_builder_t *c)
{
    double x, y;
    if (!number(ps, &x) || !number(ps, &y)) return false;
    if (ps->tok.kind == T_NUMBER) return fail(ps, "only 2D coordinates"), false;
    double xy[2] = {x, y};
    if (c->n >= 1000000 || !geom_builder_points(c, xy, 1))
        return fail(ps, "too many coordinates"), false;
    return true;
}

static bool start_part(parser_t *ps, geom_builder_t *c)
{
    return geom_builder_part(c) || (fail(ps, "out of memory"), false);
}

/* "(x y, x y, ...)", a ring closed if it is not; at least min points. */
static bool point_list(parser_t *ps, geom_builder_t *c, size_t min, bool ring)
{
    if (!expect(ps, "(", "expected '(' before coordinates") || !start_part(ps, c)) return false;
    size_t first = c->n;
    do {
        if (c->n > first && !expect(ps, ",", "expected ',' or ')'")) return false;
        if (!point(ps, c)) return false;
    } while (!is_punct(ps, ")"));
    next(ps);
    if (ring && (c->xy[2 * first] != c->xy[2 * (c->n - 1)] ||
                 c->xy[2 * first + 1] != c->xy[2 * (c->n - 1) + 1])) {
        double start[2] = {c->xy[2 * first], c->xy[2 * first + 1]}; /* (xy may move) */
        if (!geom_builder_points(c, start, 1)) return fail(ps, "out of memory"), false;
    }
    if (c->n - first < min)
        return fail(ps, ring ? "a ring needs 3 points" : "a line needs 2 points"), false;
    return true;
}

static bool polygon_body(parser_t *ps, geom_builder_t *c)
{
    if (!geom_builder_poly(c)) return fail(ps, "out of memory"), false;
    if (!expect(ps, "(", "expected '(' before a polygon's rings")) return false;
    do {
        if (c->nparts > c->polys[c->npolys - 1] && !expect(ps, ",", "expected ',' or ')'"))
            return false;
        if (!point_list(ps, c, 4, true)) return false;
    } while (!is_punct(ps, ")"));
    next(ps);
    return true;
}

/* MULTIPOINT takes "(1 2, 3 4)" and "((1 2), (3 4))". */
static bool multipoint_body(parser_t *ps, geom_builder_t *c)
{
    if (!expect(ps, "(", "expected '('")) return false;
    do {
        if (c->n && !expect(ps, ",", "expected ',' or ')'")) return false;
        bool paren = is_punct(ps, "(");
        if (paren) next(ps);
        if (!point(ps, c) || (paren && !expect(ps, ")", "expected ')'"))) return false;
    } while (!is_punct(ps, ")"));
    next(ps);
    return true;
}

static const struct {
    const char *kw;
    geom_type_t type;
} wkt_types[] = {{"POINT", GEOM_POINT},
                 {"LINESTRING", GEOM_LINESTRING},
                 {"POLYGON", GEOM_POLYGON},
                 {"MULTIPOINT", GEOM_MULTIPOINT},
                 {"MULTILINESTRING", GEOM_MULTILINESTRING},
                 {"MULTIPOLYGON", GEOM_MULTIPOLYGON}};

static bool geometry_keyword(const parser_t *ps)
{
    for (size_t i = 0; i < sizeof(wkt_types) / sizeof(wkt_types[0]); i++)
        if (is_kw(ps, wkt_types[i].kw)) return true;
    return is_kw(ps, "BBOX") || is_kw(ps, "GEOMETRYCOLLECTION") || is_kw(ps, "ENVELOPE");
}

static bool wkt_body(parser_t *ps, geom_type_t type, geom_builder_t *c)
{
    switch (type) {
    case GEOM_POINT:
        return expect(ps, "(", "expected '('") && point(ps, c) && expect(ps, ")", "expected ')'");
    case GEOM_LINESTRING:
        return point_list(ps, c, 2, false);
    case GEOM_POLYGON:
        return polygon_body(ps, c);
    case GEOM_MULTIPOINT:
        return multipoint_body(ps, c);
    case GEOM_MULTILINESTRING:
    case GEOM_MULTIPOLYGON:
        if (!expect(ps, "(", "expected '('")) return false;
        do {
            if ((type == GEOM_MULTIPOLYGON ? c->npolys : c->nparts) &&
                !expect(ps, ",", "expected ',' or ')'"))
                return false;
            if (!(type == GEOM_MULTIPOLYGON ? polygon_body(ps, c) : point_list(ps, c, 2, false)))
                return false;
        } while (!is_punct(ps, ")"));
        next(ps);
        return true;
    default:
        return false;
    }
}

/* BBOX(minx, miny, maxx, maxy) (or the 6-number 3D form) as a polygon. */
static bool bbox_body(parser_t *ps, geom_builder_t *c)
{
    double v[6];
    int n = 0;
    if (!expect(ps, "(", "expected '('")) return false;
    do {
        if (n && !expect(ps, ",", "expected ',' or ')'")) return false;
        if (n == 6 || !number(ps, &v[n++]))
            return n == 6 ? fail(ps, "BBOX takes 4 numbers"), false : false;
    } while (!is_punct(ps, ")"));
    if (n != 4 && n != 6) return fail(ps, "BBOX takes 4 numbers"), false;
    int hi = n == 6 ? 3 : 2;
    double x0 = v[0], y0 = v[1], x1 = v[hi], y1 = v[hi + 1];
    if (x0 > x1 || y0 > y1) return fail(ps, "BBOX: min > max"), false;
    next(ps);
    double ring[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    if (!geom_builder_poly(c) || !start_part(ps, c) || !geom_builder_points(c, ring, 5))
        return fail(ps, "out of memory"), false;
    return true;
}

static cnode_t *geometry(parser_t *ps)
{
    int pos = tok_pos(ps);
    geom_type_t type = GEOM_POLYGON;
    bool bbox = is_kw(ps, "BBOX");
    for (size_t i = 0; i < sizeof(wkt_types) / sizeof(wkt_types[0]); i++)
        if (is_kw(ps, wkt_types[i].kw)) type = wkt_types[i].type;
    if (!bbox && (is_kw(ps, "GEOMETRYCOLLECTION") || is_kw(ps, "ENVELOPE")))
        return fail(ps, "GEOMETRYCOLLECTION and ENVELOPE are not supported; use BBOX");
    next(ps);
    geom_builder_t c = {0};
    cnode_t *n = NULL;
    if ((bbox ? bbox_body(ps, &c) : wkt_body(ps, type, &c)) &&
        (n = cnode_new(ps->b, V_GEOM, pos)) != NULL) {
        n->g = geom_builder_finish(&c, type);
        if (n->g == NULL) {
            cnode_free(n);
            n = fail(ps, "out of memory");
        } else {
            cql2_geom_to_lonlat(n->g, ps->crs);
        }
    }
    geom_builder_free(&c);
    return n;
}

/* --- values and predicates ------------------------------------------------- */

static cnode_t *expression(parser_t *ps);

static cnode_t *value(parser_t *ps);

/* CASEI(v) / ACCENTI(v) */
static cnode_t *fold(parser_t *ps, int flag)
{
    int pos = tok_pos(ps);
    next(ps);
    if (!expect(ps, "(", "expected '(' after CASEI or ACCENTI") || !enter(ps)) return NULL;
    cnode_t *kid = value(ps), *n = kid ? cnode_new(ps->b, V_FOLD, pos) : NULL;
    ps->depth--;
    if (n == NULL || !cnode_add(ps->b, n, kid)) {
        if (n == NULL) cnode_free(kid);
        cnode_free(n);
        return NULL;
    }
    n->op = flag;
    if (!expect(ps, ")", "expected ')' to close CASEI or ACCENTI")) return cnode_free(n), NULL;
    return n;
}

static const char *const unsupported_fns[] = {"S_EQUALS",  "S_TOUCHES", "S_OVERLAPS",
                                              "S_CROSSES", "T_",        "A_",
                                              "INTERVAL",  "TIMESTAMP", "DATE"};

static cnode_t *value(parser_t *ps)
{
    int pos = tok_pos(ps);
    cnode_t *n = NULL;
    if (ps->tok.kind == T_STRING) {
        if ((n = cnode_new(ps->b, V_STR, pos)) != NULL) n->s = ps->tok.text, ps->tok.text = NULL;
    } else if (ps->tok.kind == T_NUMBER) {
        if ((n = cnode_new(ps->b, V_NUM, pos)) != NULL) n->n = ps->tok.num;
    } else if (is_kw(ps, "TRUE") || is_kw(ps, "FALSE")) {
        if ((n = cnode_new(ps->b, V_BOOLEAN, pos)) != NULL) n->b = is_kw(ps, "TRUE");
    } else if (is_kw(ps, "CASEI") || is_kw(ps, "ACCENTI")) {
        return fold(ps, is_kw(ps, "CASEI") ? FOLD_CASE : FOLD_ACCENTS);
    } else if (geometry_keyword(ps)) {
        return geometry(ps);
    } else if (ps->tok.kind == T_IDENT || ps->tok.kind == T_QIDENT) {
        const char *p = ps->p;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '(' && ps->tok.kind == T_IDENT) {
            for (size_t i = 0; i < sizeof(unsupported_fns) / sizeof(unsupported_fns[0]); i++)
                if (strncasecmp(ps->tok.start, unsupported_fns[i], strlen(unsupported_fns[i])) == 0)
                    return fail(ps, "this function is not supported (see /conformance)");
            return fail(ps, "unknown function");
        }
        static const char *const reserved[] = {"AND",     "OR", "NOT", "LIKE",
                                               "BETWEEN", "IN", "IS",  "NULL"};
        for (size_t i = 0; ps->tok.kind == T_IDENT && i < sizeof(reserved) / sizeof(reserved[0]);
             i++)
            if (is_kw(ps, reserved[i])) return fail(ps, "expected a value");
        if ((n = cnode_new(ps->b, V_PROP, pos)) == NULL) return NULL;
        n->s = ps->tok.kind == T_QIDENT ? ps->tok.text : strndup(ps->tok.start, ps->tok.len);
        if (ps->tok.kind == T_QIDENT) ps->tok.text = NULL;
        if (n->s == NULL) return cnode_free(n), fail(ps, "out of memory");
    } else {
        return fail(ps, ps->tok.kind == T_BAD
                            ? "not a token (an unterminated string, a bad number?)"
                            : "expected a value");
    }
    if (n) next(ps);
    return n;
}

/* Builds kind with kids (all freed on failure). */
static cnode_t *node_of(parser_t *ps, cnode_kind_t kind, int pos, cnode_t **kids, size_t nkids)
{
    cnode_t *n = cnode_new(ps->b, kind, pos);
    for (size_t i = 0; i < nkids; i++) {
        if (n && !cnode_add(ps->b, n, kids[i])) {
            cnode_free(n);
            n = NULL;
        } else if (n == NULL) {
            cnode_free(kids[i]);
        }
    }
    return n;
}

static int cmp_op(const parser_t *ps)
{
    static const char *const ops[] = {"=", "<>", "<", ">", "<=", ">="};
    for (int i = 0; i < 6; i++)
        if (is_punct(ps, ops[i])) return i;
    return -1;
}

static const char *const spatial_fns[] = {"S_INTERSECTS", "S_DISJOINT", "S_WITHIN", "S_CONTAINS"};

static cnode_t *spatial(parser_t *ps, int op)
{
    int pos = tok_pos(ps);
    next(ps);
    cnode_t *kids[2] = {NULL, NULL};
    if (!expect(ps, "(", "expected '(' after a spatial function") || !enter(ps)) return NULL;
    kids[0] = value(ps);
    if (kids[0] && expect(ps, ",", "a spatial function takes two arguments")) kids[1] = value(ps);
    ps->depth--;
    if (kids[1] == NULL || !expect(ps, ")", "a spatial function takes two arguments")) {
        cnode_free(kids[0]);
        cnode_free(kids[1]);
        return NULL;
    }
    cnode_t *n = node_of(ps, C_SPATIAL, pos, kids, 2);
    if (n) n->op = op;
    return n;
}

/* After value a: the rest of a comparison, LIKE, BETWEEN, IN or IS NULL. */
static cnode_t *comparison(parser_t *ps, cnode_t *a, int pos)
{
    int op = cmp_op(ps);
    if (op >= 0) {
        next(ps);
        cnode_t *b = value(ps), *kids[2] = {a, b};
        if (b == NULL) return cnode_free(a), NULL;
        cnode_t *n = node_of(ps, C_CMP, pos, kids, 2);
        if (n) n->op = op;
        return n;
    }
    bool negate = false;
    if (is_kw(ps, "IS")) {
        next(ps);
        if (is_kw(ps, "NOT")) negate = true, next(ps);
        if (!is_kw(ps, "NULL")) return cnode_free(a), fail(ps, "expected NULL after IS [NOT]");
        next(ps);
        cnode_t *n = node_of(ps, C_ISNULL, pos, &a, 1);
        if (n) n->negate = negate;
        return n;
    }
    if (is_kw(ps, "NOT")) negate = true, next(ps);
    cnode_t *kids[1002] = {a};
    size_t nk = 1;
    cnode_kind_t kind;
    if (is_kw(ps, "LIKE")) {
        next(ps);
        kind = C_LIKE;
        if ((kids[nk] = value(ps)) != NULL)
            nk++;
        else
            goto bad;
    } else if (is_kw(ps, "BETWEEN")) {
        next(ps);
        kind = C_BETWEEN;
        if ((kids[nk] = value(ps)) == NULL) goto bad;
        nk++;
        if (!is_kw(ps, "AND")) {
            fail(ps, "expected AND in BETWEEN");
            goto bad;
        }
        next(ps);
        if ((kids[nk] = value(ps)) == NULL) goto bad;
        nk++;
    } else if (is_kw(ps, "IN")) {
        next(ps);
        kind = C_IN;
        if (!expect(ps, "(", "expected '(' and a list after IN")) goto bad;
        do {
            if (nk > 1 && !expect(ps, ",", "expected ',' or ')' in the IN list")) goto bad;
            if (nk == 1001) {
                fail(ps, "an IN list has at most 1000 values");
                goto bad;
            }
            if ((kids[nk] = value(ps)) == NULL) goto bad;
            nk++;
        } while (!is_punct(ps, ")"));
        next(ps);
    } else {
        fail(ps, negate
                     ? "expected LIKE, BETWEEN or IN after NOT"
                     : "expected a comparison (=, <>, <, >, <=, >=, LIKE, BETWEEN, IN, IS NULL)");
        goto bad;
    }
    cnode_t *n = node_of(ps, kind, pos, kids, nk);
    if (n) n->negate = negate;
    return n;
bad:
    for (size_t i = 0; i < nk; i++)
        cnode_free(kids[i]);
    return NULL;
}

static cnode_t *predicate(parser_t *ps)
{
    int pos = tok_pos(ps);
    if (is_punct(ps, "(")) {
        next(ps);
        if (!enter(ps)) return NULL;
        cnode_t *e = expression(ps);
        ps->depth--;
        if (e && !expect(ps, ")", "expected ')'")) return cnode_free(e), NULL;
        return e;
    }
    for (int i = 0; i < 4; i++)
        if (is_kw(ps, spatial_fns[i])) return spatial(ps, i);
    if (is_kw(ps, "TRUE") || is_kw(ps, "FALSE")) { /* a predicate, unless compared */
        const char *p = ps->p;
        while (isspace((unsigned char)*p))
            p++;
        if ((*p == '\0' || !strchr("=<>", *p)) && strncasecmp(p, "IS", 2) != 0) {
            cnode_t *n = cnode_new(ps->b, C_BOOL, pos);
            if (n) n->b = is_kw(ps, "TRUE");
            next(ps);
            return n;
        }
    }
    cnode_t *a = value(ps);
    return a ? comparison(ps, a, pos) : NULL;
}

static cnode_t *negation(parser_t *ps)
{
    if (!is_kw(ps, "NOT")) return predicate(ps);
    int pos = tok_pos(ps);
    next(ps);
    if (!enter(ps)) return NULL;
    cnode_t *kid = negation(ps);
    ps->depth--;
    return kid ? node_of(ps, C_NOT, pos, &kid, 1) : NULL;
}

/* A chain of AND (or of OR) as one node with every operand. */
static cnode_t *chain(parser_t *ps, const char *kw, cnode_kind_t kind,
                      cnode_t *(*operand)(parser_t *))
{
    int pos = tok_pos(ps);
    cnode_t *first = operand(ps);
    if (first == NULL || !is_kw(ps, kw)) return first;
    cnode_t *n = node_of(ps, kind, pos, &first, 1);
    while (n && is_kw(ps, kw)) {
        next(ps);
        cnode_t *kid = operand(ps);
        if (kid == NULL || !cnode_add(ps->b, n, kid)) return cnode_free(n), NULL;
    }
    return n;
}

static cnode_t *conjunction(parser_t *ps)
{
    return chain(ps, "AND", C_AND, negation);
}

static cnode_t *expression(parser_t *ps)
{
    return chain(ps, "OR", C_OR, conjunction);
}

cnode_t *cql2_parse_text(const char *text, crs_id_t crs, cbuild_t *b)
{
    parser_t ps = {.src = text, .p = text, .crs = crs, .b = b};
    next(&ps);
    if (ps.tok.kind == T_END) {
        fail(&ps, "the filter is empty");
        return NULL;
    }
    cnode_t *e = expression(&ps);
    if (e && ps.tok.kind != T_END) {
        fail(&ps, "expected AND, OR or the end of the filter");
        cnode_free(e);
        e = NULL;
    }
    free(ps.tok.text);
    if (e == NULL && !ps.failed && b->err->code == ERR_OK)
        error_set(b->err, ERR_INVALID, "filter: cannot be parsed");
    return e;
}
