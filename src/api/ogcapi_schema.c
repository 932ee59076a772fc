/* /collections/{id}/queryables (Part 3) and /collections/{id}/schema
 * (Part 5): JSON Schemas of a collection's properties. */
#include <stdio.h>
#include <string.h>

#include "api/ogcapi.h"

static const char *geometry_format(geom_type_t t)
{
    switch (t) {
    case GEOM_POINT:
        return "geometry-point";
    case GEOM_MULTIPOINT:
        return "geometry-multipoint";
    case GEOM_LINESTRING:
        return "geometry-linestring";
    case GEOM_MULTILINESTRING:
        return "geometry-multilinestring";
    case GEOM_POLYGON:
        return "geometry-polygon";
    case GEOM_MULTIPOLYGON:
        return "geometry-multipolygon";
    default:
        return "geometry-any";
    }
}

static const char *field_json_type(field_type_t t)
{
    return t == FIELD_STRING    ? "string"
           : t == FIELD_INTEGER ? "integer"
           : t == FIELD_REAL    ? "number"
                                : "boolean";
}

/* The schema of layer's properties; as Part 5's schema (roles, the id)
 * or as Part 3's queryables. */
static json_t *schema_of(const layer_t *layer, const char *base, bool queryables)
{
    char id[512];
    snprintf(id, sizeof(id), "%s/collections/%s/%s", base, layer->id,
             queryables ? "queryables" : "schema");
    json_t *props = json_object();
    json_t *geom = json_pack("{s:s, s:s, s:s}", "title", "geometry", "format",
                             geometry_format(layer->geom_type), "x-ogc-role", "primary-geometry");
    json_object_set_new(props, "geometry", geom);
    for (size_t i = 0; i < layer->nfields; i++) {
        const field_t *f = &layer->fields[i];
        json_t *p = json_pack("{s:s, s:s}", "title", f->name, "type", field_json_type(f->type));
        if (!queryables && layer->id_field && strcmp(layer->id_field, f->name) == 0)
            json_object_set_new(p, "x-ogc-role", json_string("id"));
        json_object_set_new(props, f->name, p);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "$schema",
                     "https://json-schema.org/draft/2020-12/schema", "$id", id, "type", "object",
                     "title", layer->title ? layer->title : layer->id, "properties", props,
                     "additionalProperties", !queryables);
}

static void send_schema(const http_request_t *req, http_response_t *resp, void *ctx,
                        bool queryables)
{
    ogc_page_t pg;
    if (ogc_begin(req, resp, ctx, &pg) != 0) return;
    const layer_t *layer = ogc_collection(req, resp, pg.ds);
    static const char *const known[] = {"f", NULL};
    const char *bad = http_request_unknown_query(req, known);
    if (layer && bad)
        http_error(resp, 400, "unknown parameter '%.60s' (this resource takes f)", bad);
    else if (layer)
        api_send_json(resp, schema_of(layer, pg.base, queryables), "application/schema+json");
    ogc_end(&pg);
}

void ogcapi_queryables(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_schema(req, resp, ctx, true);
}

void ogcapi_schema(const http_request_t *req, http_response_t *resp, void *ctx)
{
    send_schema(req, resp, ctx, false);
}
