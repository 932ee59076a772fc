#include "data/project.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *project_default_path(void)
{
    return COOPMAP_SOURCE_DIR "/geodata/coopmap.json";
}

/* "PG:dbname=x", "GPKG:/p.gpkg:layer", "/vsizip/..." are passed to OGR as
 * they are; anything else that is relative is taken from the project dir. */
static int is_path(const char *s)
{
    if (s[0] == '/') return 0;
    const char *colon = strchr(s, ':');
    if (colon && colon - s >= 2 &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                  "vwxyz0123456789_") == (size_t)(colon - s))
        return 0;
    return 1;
}

static char *resolve(const char *project_path, const char *source)
{
    if (!is_path(source)) return strdup(source);
    const char *slash = strrchr(project_path, '/');
    size_t dirlen = slash ? (size_t)(slash - project_path) + 1 : 0;
    char *out = malloc(dirlen + strlen(source) + 1);
    if (out) {
        memcpy(out, project_path, dirlen);
        strcpy(out + dirlen, source);
    }
    return out;
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) return NULL;
    char *text = NULL;
    struct stat st; /* a directory opens, and "ends" at LONG_MAX */
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && fseek(fp, 0, SEEK_END) == 0) {
        long n = ftell(fp);
        if (n >= 0 && fseek(fp, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1))) {
            size_t got = fread(text, 1, (size_t)n, fp);
            text[got] = '\0';
            while (got > 0 && (text[got - 1] == '\n' || text[got - 1] == '\r'))
                text[--got] = '\0';
        }
    }
    fclose(fp);
    return text;
}

/* Copies an optional string member; returns -1 if present but not a string. */
static int opt_string(json_t *obj, const char *key, char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) return 0;
    if (!json_is_string(v)) return -1;
    *out = strdup(json_string_value(v));
    return *out ? 0 : -1;
}

static int parse_attributes(json_t *arr, layer_spec_t *spec)
{
    if (arr == NULL) return 0;
    if (!json_is_array(arr)) return -1;
    spec->nattributes = json_array_size(arr);
    spec->attributes = calloc(spec->nattributes + 1, sizeof(char *));
    if (spec->attributes == NULL) return -1;
    for (size_t i = 0; i < spec->nattributes; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || !(spec->attributes[i] = strdup(json_string_value(v)))) return -1;
    }
    return 0;
}

static bool valid_id(const char *id)
{
    return id && id[0] && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(id);
}

static int parse_layer(const char *path, size_t i, json_t *obj, project_t *p, error_t *err)
{
    layer_spec_t *spec = &p->layers[i];
    char *source = NULL;
    if (!json_is_object(obj))
        return error_set(err, ERR_FORMAT, "%s: layers[%zu] is not an object", path, i);
    if (opt_string(obj, "id", &spec->id) || opt_string(obj, "title", &spec->title) ||
        opt_string(obj, "description", &spec->description) || opt_string(obj, "source", &source) ||
        opt_string(obj, "layer", &spec->layer) || opt_string(obj, "sql", &spec->sql) ||
        opt_string(obj, "id_field", &spec->id_field) ||
        parse_attributes(json_object_get(obj, "attributes"), spec)) {
        free(source);
        return error_set(err, ERR_FORMAT, "%s: layers[%zu]: a member has the wrong type", path, i);
    }
    if (!valid_id(spec->id)) {
        free(source);
        return error_set(err, ERR_INVALID,
                         "%s: layers[%zu]: \"id\" must be lower-case letters, digits, _ or -", path,
                         i);
    }
    if (source == NULL)
        return error_set(err, ERR_INVALID, "%s: layer '%s' has no \"source\"", path, spec->id);
    spec->source = resolve(path, source);
    free(source);
    for (size_t k = 0; k < i; k++)
        if (strcmp(p->layers[k].id, spec->id) == 0)
            return error_set(err, ERR_DUPLICATE, "%s: layer id '%s' is used twice", path, spec->id);
    return spec->source ? ERR_OK : error_set(err, ERR_NOMEM, "out of memory");
}

static int parse_tileset(const char *path, size_t i, json_t *obj, project_t *p, error_t *err)
{
    tileset_spec_t *t = &p->tilesets[i];
    char *source = NULL;
    if (!json_is_object(obj) || opt_string(obj, "id", &t->id) ||
        opt_string(obj, "title", &t->title) || opt_string(obj, "source", &source)) {
        free(source);
        return error_set(err, ERR_FORMAT, "%s: tiles[%zu] must be an object of strings", path, i);
    }
    if (!valid_id(t->id)) {
        free(source);
        return error_set(err, ERR_INVALID,
                         "%s: tiles[%zu]: \"id\" must be lower-case letters, digits, _ or -", path,
                         i);
    }
    if (source == NULL)
        return error_set(err, ERR_INVALID, "%s: tile set '%s' has no \"source\"", path, t->id);
    t->source = resolve(path, source);
    free(source);
    for (size_t k = 0; k < i; k++)
        if (strcmp(p->tilesets[k].id, t->id) == 0)
            return error_set(err, ERR_DUPLICATE, "%s: tile set id '%s' is used twice", path, t->id);
    return t->source ? ERR_OK : error_set(err, ERR_NOMEM, "out of memory");
}

static int parse_tilesets(const char *path, json_t *arr, project_t *p, error_t *err)
{
    if (arr == NULL) return ERR_OK;
    if (!json_is_array(arr))
        return error_set(err, ERR_FORMAT, "%s: \"tiles\" must be an array", path);
    p->ntilesets = json_array_size(arr);
    p->tilesets = calloc(p->ntilesets ? p->ntilesets : 1, sizeof(*p->tilesets));
    if (p->tilesets == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->ntilesets; i++) {
        int rc = parse_tileset(path, i, json_array_get(arr, i), p, err);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}

static int default_string(char **field, const char *value)
{
    if (*field == NULL) *field = strdup(value);
    return *field ? 0 : -1;
}

static int parse_network(const char *path, json_t *obj, project_t *p, error_t *err)
{
    if (obj == NULL) return ERR_OK;
    network_spec_t *n = p->network = calloc(1, sizeof(*n));
    if (n == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    json_t *k = json_object_get(obj, "k"), *km = json_object_get(obj, "km");
    if (!json_is_object(obj) || opt_string(obj, "nodes", &n->nodes) ||
        opt_string(obj, "name_field", &n->name_field) ||
        opt_string(obj, "country_field", &n->country_field) || opt_string(obj, "ties", &n->ties) ||
        opt_string(obj, "from_field", &n->from_field) ||
        opt_string(obj, "to_field", &n->to_field) ||
        opt_string(obj, "collection", &n->collection) || opt_string(obj, "title", &n->title) ||
        opt_string(obj, "model", &n->model) || (k && !json_is_integer(k)) ||
        (km && !json_is_number(km)))
        return error_set(err, ERR_FORMAT, "%s: \"network\": a member has the wrong type", path);
    n->k = k ? (unsigned)json_integer_value(k) : 3;
    n->km = km ? json_number_value(km) : 25;
    if (default_string(&n->nodes, "towns") || default_string(&n->name_field, "name") ||
        default_string(&n->country_field, "country") || default_string(&n->from_field, "from") ||
        default_string(&n->to_field, "to") || default_string(&n->collection, "network") ||
        default_string(&n->title, "Cooperation network") || default_string(&n->model, "mst"))
        return error_set(err, ERR_NOMEM, "out of memory");
    return ERR_OK;
}

void contact_free(contact_t *c)
{
    free(c->person);
    free(c->organization);
    free(c->position);
    free(c->email);
    free(c->phone);
    *c = (contact_t){0};
}

static int parse_project(const char *path, json_t *root, project_t *p, error_t *err)
{
    if (!json_is_object(root))
        return error_set(err, ERR_FORMAT, "%s: the project must be a JSON object", path);
    char *attribution_file = NULL;
    if (opt_string(root, "title", &p->title) || opt_string(root, "description", &p->description) ||
        opt_string(root, "attribution", &p->attribution) ||
        opt_string(root, "attribution_file", &attribution_file) ||
        opt_string(root, "attribution_short", &p->attribution_short)) {
        free(attribution_file);
        return error_set(err, ERR_FORMAT, "%s: a top-level member has the wrong type", path);
    }
    json_t *contact = json_object_get(root, "contact");
    contact_t *c = &p->contact;
    if (contact &&
        (!json_is_object(contact) || opt_string(contact, "person", &c->person) ||
         opt_string(contact, "organization", &c->organization) ||
         opt_string(contact, "position", &c->position) || opt_string(contact, "email", &c->email) ||
         opt_string(contact, "phone", &c->phone))) {
        free(attribution_file);
        return error_set(err, ERR_FORMAT,
                         "%s: \"contact\" must be an object of strings (person, organization, "
                         "position, email, phone)",
                         path);
    }
    if (attribution_file) {
        char *full = resolve(path, attribution_file);
        free(attribution_file);
        free(p->attribution);
        p->attribution = full ? read_text(full) : NULL;
        if (p->attribution == NULL) {
            error_set(err, ERR_IO, "%s: cannot read attribution file %s", path, full ? full : "");
            free(full);
            return ERR_IO;
        }
        free(full);
    }
    json_t *layers = json_object_get(root, "layers");
    if (!json_is_array(layers) || json_array_size(layers) == 0)
        return error_set(err, ERR_INVALID, "%s: \"layers\" must be a non-empty array", path);
    p->nlayers = json_array_size(layers);
    p->layers = calloc(p->nlayers, sizeof(*p->layers));
    if (p->layers == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->nlayers; i++) {
        int rc = parse_layer(path, i, json_array_get(layers, i), p, err);
        if (rc != ERR_OK) return rc;
    }
    int rc = parse_network(path, json_object_get(root, "network"), p, err);
    return rc == ERR_OK ? parse_tilesets(path, json_object_get(root, "tiles"), p, err) : rc;
}

/* Validates a parsed project file (root is borrowed). */
static int from_json(const char *path, json_t *root, project_t **out, error_t *err)
{
    project_t *p = calloc(1, sizeof(*p));
    int rc = ERR_NOMEM;
    if (p == NULL || (p->path = strdup(path)) == NULL)
        error_set(err, ERR_NOMEM, "out of memory");
    else
        rc = parse_project(path, root, p, err);
    if (rc != ERR_OK) {
        project_destroy(p);
        return rc;
    }
    if (p->title == NULL) p->title = strdup("coopmap");
    *out = p;
    return ERR_OK;
}

int project_load(const char *path, project_t **out, error_t *err)
{
    json_error_t jerr;
    *out = NULL;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        FILE *fp = fopen(path, "r");
        if (fp == NULL) return error_set(err, ERR_IO, "%s: cannot open project file", path);
        fclose(fp);
        return error_set(err, ERR_FORMAT, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
                         jerr.column, jerr.text);
    }
    int rc = from_json(path, root, out, err);
    json_decref(root);
    return rc;
}

int project_load_text(const char *text, size_t len, const char *path, project_t **out, error_t *err)
{
    json_error_t jerr;
    *out = NULL;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (root == NULL)
        return error_set(err, ERR_FORMAT, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
                         jerr.column, jerr.text);
    int rc = from_json(path, root, out, err);
    json_decref(root);
    return rc;
}

project_t *project_destroy(project_t *p)
{
    if (p == NULL) return NULL;
    for (size_t i = 0; i < p->nlayers; i++) {
        layer_spec_t *s = &p->layers[i];
        free(s->id);
        free(s->title);
        free(s->description);
        free(s->source);
        free(s->layer);
        free(s->sql);
        free(s->id_field);
        for (size_t k = 0; k < s->nattributes; k++)
            free(s->attributes[k]);
        free(s->attributes);
    }
    free(p->layers);
    for (size_t i = 0; i < p->ntilesets; i++) {
        free(p->tilesets[i].id);
        free(p->tilesets[i].title);
        free(p->tilesets[i].source);
    }
    free(p->tilesets);
    if (p->network) {
        network_spec_t *n = p->network;
        char *strings[] = {n->nodes,    n->name_field, n->country_field, n->ties, n->from_field,
                           n->to_field, n->collection, n->title,         n->model};
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
            free(strings[i]);
        free(n);
    }
    free(p->path);
    free(p->title);
    free(p->description);
    free(p->attribution);
    free(p->attribution_short);
    contact_free(&p->contact);
    free(p);
    return NULL;
}
