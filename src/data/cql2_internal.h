/* The expression tree shared by the CQL2 parsers (cql2_text.c, and the
 * JSON one in cql2.c) and the evaluator (cql2.c). */
#ifndef COOPMAP_CQL2_INTERNAL_H
#define COOPMAP_CQL2_INTERNAL_H

#include "data/cql2.h"
#include "data/geom.h"

#define CQL2_MAX_DEPTH 64   /* nesting of parentheses, functions and operators */
#define CQL2_MAX_NODES 4096 /* nodes of one filter */

typedef enum cnode_kind {
    /* predicates */
    C_AND,
    C_OR,
    C_NOT,
    C_CMP,     /* op: one of C_EQ..C_GE; kids: a, b */
    C_LIKE,    /* kids: value, pattern */
    C_BETWEEN, /* kids: value, low, high */
    C_IN,      /* kids: value, then the list */
    C_ISNULL,  /* kids: value */
    C_SPATIAL, /* op: C_S_*; kids: two geometries */
    C_BOOL,    /* a TRUE or FALSE predicate (b) */
    /* values */
    V_PROP, /* name; field: the layer's index, or -1 for the geometry */
    V_STR,
    V_NUM,
    V_BOOLEAN,
    V_GEOM,
    V_FOLD /* fold (CASEI, ACCENTI) of kids[0] */
} cnode_kind_t;

enum { C_EQ, C_NE, C_LT, C_GT, C_LE, C_GE };
enum { C_S_INTERSECTS, C_S_DISJOINT, C_S_WITHIN, C_S_CONTAINS };
enum { FOLD_CASE = 1, FOLD_ACCENTS = 2 };

typedef struct cnode {
    cnode_kind_t kind;
    int op;      /* C_CMP, C_SPATIAL: which; V_FOLD: FOLD_* bits */
    bool negate; /* NOT LIKE, NOT BETWEEN, NOT IN, IS NOT NULL */
    int pos;     /* 1-based character of the text where it starts (0: JSON) */
    char *s;     /* V_PROP name, V_STR value (malloc'd) */
    double n;    /* V_NUM */
    bool b;      /* V_BOOLEAN, C_BOOL */
    geom_t *g;   /* V_GEOM, lon/lat */
    int field;   /* V_PROP, once bound */
    struct cnode **kids;
    size_t nkids;
} cnode_t;

/* A tree being built: nodes are counted against CQL2_MAX_NODES. */
typedef struct cbuild {
    size_t nodes;
    error_t *err;
} cbuild_t;

/* A new node (NULL after ERR_NOMEM or the node limit in b->err). */
cnode_t *cnode_new(cbuild_t *b, cnode_kind_t kind, int pos);
/* Appends kid to n's kids; false (kid freed) when out of memory. */
bool cnode_add(cbuild_t *b, cnode_t *n, cnode_t *kid);
void cnode_free(cnode_t *n);

/* Moves a geometry from the filter-crs into lon/lat and sets its box. */
void cql2_geom_to_lonlat(geom_t *g, crs_id_t crs);

/* Parses the text encoding into a tree (unbound); NULL with b->err. */
cnode_t *cql2_parse_text(const char *text, crs_id_t crs, cbuild_t *b);

#endif
