/* The project file: which layers to load from where.
 *
 *   {
 *     "title": "...", "description": "...", "attribution": "...",
 *     "layers": [
 *       { "id": "towns", "title": "...", "description": "...",
 *         "source": "cities.geojson",   // OGR data source: path or "PG:..."
 *         "layer": "cities",            // OGR layer name (optional if one)
 *         "id_field": "code",           // optional: default is the OGR FID
 *         "attributes": ["name", ...] } // optional: default is all fields
 *     ]
 *   }
 * Relative paths are resolved against the project file's directory;
 * "attribution_file" may name a text file instead of "attribution", and
 * "attribution_short" is the one line maps show (default: "attribution").
 *
 * An optional "network" object says which layer holds the towns and which
 * network model is served as a collection:
 *   "network": { "nodes": "towns", "name_field": "name",
 *                "country_field": "country", "ties": "ties",
 *                "from_field": "from", "to_field": "to",
 *                "collection": "network", "title": "...",
 *                "model": "mst", "k": 3, "km": 25 }
 * (every member optional; these are the defaults, but for "ties").
 *
 * An optional "tiles" array names pre-rendered tile sets served beside the
 * styles at /tiles/{id}/{z}/{x}/{y}.png (made by `coopmap seed`, or by any
 * tool writing MBTiles, PMTiles or a {z}/{x}/{y}.png tree):
 *   "tiles": [ { "id": "seeded", "title": "...", "source": "x.pmtiles" } ] */
#ifndef COOPMAP_PROJECT_H
#define COOPMAP_PROJECT_H

#include <stddef.h>

#include "util/error.h"

typedef struct layer_spec {
    char *id, *title, *description;
    char *source;      /* resolved: absolute or relative to the cwd, or "PG:..." */
    char *layer;       /* NULL: the source's only layer */
    char *sql;         /* a query whose result is the layer (instead of layer); NULL: none */
    char *id_field;    /* NULL: the OGR FID */
    char **attributes; /* NULL: all fields */
    size_t nattributes;
} layer_spec_t;

typedef struct network_spec {
    char *nodes, *name_field, *country_field;
    char *ties, *from_field, *to_field; /* ties: NULL when the project has none */
    char *collection, *title;
    char *model;
    unsigned k;
    double km;
} network_spec_t;

typedef struct tileset_spec {
    char *id, *title; /* title: NULL for the archive's own name */
    char *source;     /* resolved like a layer's source */
} tileset_spec_t;

/* Who answers for the service (WMS capabilities); every field optional. */
typedef struct contact {
    char *person, *organization, *position, *email, *phone;
} contact_t;

typedef struct project {
    char *path;
    char *title, *description, *attribution;
    char *attribution_short; /* one line for map corners and TileJSON */
    contact_t contact;       /* "contact": {"person", "organization", ...} */
    layer_spec_t *layers;
    size_t nlayers;
    network_spec_t *network; /* NULL: no network */
    tileset_spec_t *tilesets;
    size_t ntilesets;
} project_t;

/* Frees the contact's strings (and zeroes it). */
void contact_free(contact_t *c);

/* Reads and validates a project file. On success *out is a project the
 * caller frees with project_destroy(). */
int project_load(const char *path, project_t **out, error_t *err);

/* The same from len bytes of text (no NUL needed); path stands for the
 * file: in messages, and relative sources and the attribution file are
 * resolved against its directory. */
int project_load_text(const char *text, size_t len, const char *path, project_t **out,
                      error_t *err);

project_t *project_destroy(project_t *p);

/* The default project shipped in geodata/ (a static string). */
const char *project_default_path(void);

#endif
