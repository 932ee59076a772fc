#include "data/source.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <math.h>
#include <proj.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/log.h"
#include "util/text.h"

/* Everything one load needs; freed in one place (load_cleanup). */
typedef struct load {
    const layer_spec_t *spec;
    GDALDatasetH ds;
    OGRLayerH ogr_layer;
    OGRLayerH sql_layer; /* the result set of spec->sql, to release */
    OGRSpatialReferenceH wgs84;
    OGRCoordinateTransformationH to_wgs84; /* NULL when already WGS84 */
    int *src_field;                        /* OGR field index per layer field */
    int id_src_field;                      /* -1: use the FID */
    int repaired;
    size_t bad_text; /* strings that were not UTF-8 (repaired) */
    bbox_t area;     /* the source CRS's area of use, widened; lon/lat */
    layer_t *layer;
    error_t *err;
} load_t;

/* Copies the value at s (libpq: 'quoted' with \\ escapes, or up to a
 * space) as "***"; returns where it ends. */
static const char *skip_value(const char *s)
{
    if (*s != '\'') return s + strcspn(s, " \t");
    for (s++; *s && *s != '\''; s++)
        if (*s == '\\' && s[1]) s++;
    return *s ? s + 1 : s;
}

void source_redact(const char *src, char *out, size_t size)
{
    size_t n = 0;
    if (size == 0) return;
    for (const char *p = src; *p && n + 1 < size;) {
        const char *at = strchr(p, '@'), *scheme = strstr(p, "://");
        if (strncasecmp(p, "password", 8) == 0 && p[8 + strspn(p + 8, " ")] == '=') {
            const char *v = p + 8 + strspn(p + 8, " ") + 1;
            n += (size_t)snprintf(out + n, size - n, "password=***");
            p = skip_value(v + strspn(v, " "));
        } else if (scheme && scheme == p && at && at > p + 3 &&
                   memchr(p + 3, ':', (size_t)(at - p - 3))) { /* URI user:password@ */
            const char *colon = memchr(p + 3, ':', (size_t)(at - p - 3));
            n += (size_t)snprintf(out + n, size - n, "%.*s:***", (int)(colon - p), p);
            p = at;
        } else {
            out[n++] = *p++;
        }
        if (n >= size) n = size - 1;
    }
    out[n] = '\0';
}

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

static void gdal_init(void)
{
    GDALAllRegister();
    /* GDAL's messages reach the user through error_t, not its own stderr. */
    CPLSetErrorHandler(CPLQuietErrorHandler);
}

/* libpq's messages span lines; a log line and an error are one line. */
static void one_line(char *s)
{
    size_t n = 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i];
        if (c == ' ' && (n == 0 || s[n - 1] == ' ')) continue;
        s[n++] = c;
    }
    while (n && s[n - 1] == ' ')
        n--;
    s[n] = '\0';
}

/* Every message starts with the source and layer, so a user with several
 * layers knows which one to fix. */
#define LOAD_FAIL(ld, code, ...) load_fail((ld), (code), __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static int load_fail(load_t *ld, int code, const char *fmt,
                                                           ...)
{
    char raw[768], detail[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    source_redact(raw, detail, sizeof(detail)); /* (GDAL may quote the connection) */
    one_line(detail);
    const char *lname = ld->spec->sql     ? "(sql)"
                        : ld->spec->layer ? ld->spec->layer
                                          : "(first layer)";
    char src[512];
    source_redact(ld->spec->source, src, sizeof(src));
    return error_set(ld->err, code, "%s (layer '%s', coopmap layer '%s'): %s", src, lname,
                     ld->spec->id, detail);
}

static const char *gdal_message(void)
{
    const char *msg = CPLGetLastErrorMsg();
    return msg && msg[0] ? msg : "no detail from GDAL";
}

static int open_source(load_t *ld)
{
    const char *src = ld->spec->source;
    struct stat st;
    int looks_like_file = strncmp(src, "PG:", 3) != 0 && strchr(src, ':') == NULL;
    if (looks_like_file && stat(src, &st) != 0)
        return LOAD_FAIL(ld, ERR_IO, "missing file: no such file or directory");
    CPLErrorReset();
    ld->ds = GDALOpenEx(src, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (ld->ds == NULL && !looks_like_file && strncmp(src, "PG:", 3) == 0)
        return LOAD_FAIL(ld, ERR_IO, "cannot connect to the database: %s", gdal_message());
    if (ld->ds == NULL)
        return LOAD_FAIL(ld, ERR_FORMAT,
                         "unreadable format: GDAL cannot open it as vector data (%s)",
                         gdal_message());
    return ERR_OK;
}

static void list_layers(GDALDatasetH ds, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < GDALDatasetGetLayerCount(ds) && used < size; i++) {
        const char *name = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
        int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", name);
        if (n < 0) break;
        used += (size_t)n;
    }
}

static int pick_layer(load_t *ld)
{
    int count = GDALDatasetGetLayerCount(ld->ds);
    char names[512];
    if (ld->spec->sql) { /* released by load_cleanup() */
        CPLErrorReset();
        ld->ogr_layer = ld->sql_layer = GDALDatasetExecuteSQL(ld->ds, ld->spec->sql, NULL, NULL);
        return ld->ogr_layer ? ERR_OK
                             : LOAD_FAIL(ld, ERR_INVALID, "the query failed: %s", gdal_message());
    }
    list_layers(ld->ds, names, sizeof(names));
    if (ld->spec->layer)
        ld->ogr_layer = GDALDatasetGetLayerByName(ld->ds, ld->spec->layer);
    else if (count == 1)
        ld->ogr_layer = GDALDatasetGetLayer(ld->ds, 0);
    else if (count == 0)
        return LOAD_FAIL(ld, ERR_EMPTY, "the source has no layers");
    else
        return LOAD_FAIL(ld, ERR_INVALID, "the source has %d layers; name one of: %s", count,
                         names);
    if (ld->ogr_layer == NULL)
        return LOAD_FAIL(ld, ERR_NOTFOUND, "unknown layer; the source has: %s", names);
    return ERR_OK;
}

/* Where the source CRS is valid, from PROJ's area of use, widened by a
 * margin: projections stay usable a little beyond it, but a coordinate
 * far outside is a wrong CRS or a broken value, not data. */
static void set_area(load_t *ld, OGRSpatialReferenceH src)
{
    const double margin = 10;
    double w, s, e, n;
    const char *name = NULL;
    ld->area = (bbox_t){-180, -90, 180, 90};
    if (OSRIsGeographic(src) || !OSRGetAreaOfUse(src, &w, &s, &e, &n, &name) || w < -1000) return;
    if (w > e) return; /* across the antimeridian: the whole range is fine */
    ld->area = (bbox_t){fmax(w - margin, -180), fmax(s - margin, -90), fmin(e + margin, 180),
                        fmin(n + margin, 90)};
}

static int setup_crs(load_t *ld)
{
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(ld->ogr_layer);
    if (src == NULL)
        return LOAD_FAIL(ld, ERR_CRS, "no CRS: the layer declares no coordinate reference system");
    ld->wgs84 = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(ld->wgs84, 4326);
    /* lon/lat order whatever the EPSG axis order says. */
    OSRSetAxisMappingStrategy(ld->wgs84, OAMS_TRADITIONAL_GIS_ORDER);

    const char *auth = OSRGetAuthorityName(src, NULL);
    const char *code = OSRGetAuthorityCode(src, NULL);
    char crs[128];
    if (auth && code)
        snprintf(crs, sizeof(crs), "%s:%s", auth, code);
    else
        snprintf(crs, sizeof(crs), "%s", OSRGetName(src) ? OSRGetName(src) : "unknown");
    ld->layer->source_crs = strdup(crs);
    set_area(ld, src);

    if (OSRIsSame(src, ld->wgs84)) {
        int n = 0;
        const int *map = OSRGetDataAxisToSRSAxisMapping(src, &n);
        if (n >= 2 && map[0] == 2 && map[1] == 1) return ERR_OK; /* stored lon/lat already */
    }
    ld->to_wgs84 = OCTNewCoordinateTransformation(src, ld->wgs84);
    if (ld->to_wgs84 == NULL)
        return LOAD_FAIL(ld, ERR_CRS, "no transformation from %s to WGS84 (%s)", crs,
                         gdal_message());
    return ERR_OK;
}

/* A copy of a string from the source; bytes that are not UTF-8 (a
 * Shapefile without its .cpg, say) become U+FFFD, counted for a warning. */
static char *checked_text(load_t *ld, const char *s)
{
    if (text_utf8_valid(s, strlen(s))) return strdup(s);
    ld->bad_text++;
    return text_utf8_repair(s);
}

static field_type_t map_field_type(OGRFieldType t, OGRFieldSubType sub)
{
    if (t == OFTInteger && sub == OFSTBoolean) return FIELD_BOOLEAN;
    switch (t) {
    case OFTInteger:
    case OFTInteger64:
        return FIELD_INTEGER;
    case OFTReal:
        return FIELD_REAL;
    default:
        return FIELD_STRING;
    }
}

static int add_field_from(load_t *ld, OGRFeatureDefnH defn, int src_index)
{
    OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, src_index);
    char *name = checked_text(ld, OGR_Fld_GetNameRef(fd));
    int rc = name ? layer_add_field(ld->layer, name,
                                    map_field_type(OGR_Fld_GetType(fd), OGR_Fld_GetSubType(fd)))
                  : ERR_NOMEM;
    free(name);
    if (rc < 0) return LOAD_FAIL(ld, ERR_NOMEM, "out of memory");
    ld->src_field[rc] = src_index;
    return ERR_OK;
}

static int setup_fields(load_t *ld)
{
    const layer_spec_t *spec = ld->spec;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(ld->ogr_layer);
    int nsrc = OGR_FD_GetFieldCount(defn);
    ld->src_field = calloc((size_t)nsrc + spec->nattributes + 1, sizeof(int));
    if (ld->src_field == NULL) return LOAD_FAIL(ld, ERR_NOMEM, "out of memory");
    ld->id_src_field = -1;
    if (spec->id_field) {
        ld->id_src_field = OGR_FD_GetFieldIndex(defn, spec->id_field);
        if (ld->id_src_field < 0)
            return LOAD_FAIL(ld, ERR_NOTFOUND, "id field '%s' does not exist", spec->id_field);
    }
    if (spec->attributes == NULL) {
        for (int i = 0; i < nsrc; i++)
            if (add_field_from(ld, defn, i) != ERR_OK) return ld->err->code;
        return ERR_OK;
    }
    for (size_t k = 0; k < spec->nattributes; k++) {
        int i = OGR_FD_GetFieldIndex(defn, spec->attributes[k]);
        if (i < 0)
            return LOAD_FAIL(ld, ERR_NOTFOUND, "attribute '%s' does not exist",
                             spec->attributes[k]);
        if (add_field_from(ld, defn, i) != ERR_OK) return ld->err->code;
    }
    return ERR_OK;
}

static void load_cleanup(load_t *ld)
{
    free(ld->src_field);
    if (ld->to_wgs84) OCTDestroyCoordinateTransformation(ld->to_wgs84);
    if (ld->wgs84) OSRDestroySpatialReference(ld->wgs84);
    if (ld->sql_layer) GDALDatasetReleaseResultSet(ld->ds, ld->sql_layer);
    if (ld->ds) GDALClose(ld->ds);
}

/* Geometry conversion: OGR geometry -> geom_t. Counting first lets one
 * allocation hold every coordinate and offset. */
static void count_parts(OGRGeometryH g, uint32_t *npoints, uint32_t *nparts, uint32_t *npolys)
{
    switch (wkbFlatten(OGR_G_GetGeometryType(g))) {
    case wkbPoint:
        *npoints += 1;
        break;
    case wkbLineString:
    case wkbLinearRing:
        *npoints += (uint32_t)OGR_G_GetPointCount(g);
        *nparts += 1;
        break;
    case wkbPolygon:
        *npolys += 1;
        /* fallthrough */
    case wkbMultiPoint:
    case wkbMultiLineString:
    case wkbMultiPolygon:
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            count_parts(OGR_G_GetGeometryRef(g, i), npoints, nparts, npolys);
        break;
    default:
        break;
    }
}

typedef struct fill {
    geom_t *g;
    uint32_t point, part, poly;
} fill_t;

static void fill_parts(OGRGeometryH h, fill_t *f)
{
    geom_t *g = f->g;
    switch (wkbFlatten(OGR_G_GetGeometryType(h))) {
    case wkbPoint:
        g->ll[2 * f->point] = OGR_G_GetX(h, 0);
        g->ll[2 * f->point + 1] = OGR_G_GetY(h, 0);
        f->point++;
        break;
    case wkbLineString:
    case wkbLinearRing: {
        int n = OGR_G_GetPointCount(h);
        double *xy = g->ll + 2 * (size_t)f->point;
        OGR_G_GetPoints(h, xy, 2 * sizeof(double), xy + 1, 2 * sizeof(double), NULL, 0);
        g->part_start[f->part++] = f->point;
        f->point += (uint32_t)n;
        break;
    }
    case wkbPolygon:
        g->poly_start[f->poly++] = f->part;
        /* fallthrough */
    default:
        for (int i = 0; i < OGR_G_GetGeometryCount(h); i++)
            fill_parts(OGR_G_GetGeometryRef(h, i), f);
        break;
    }
}

static geom_type_t map_geom_type(OGRwkbGeometryType t)
{
    switch (wkbFlatten(t)) {
    case wkbPoint:
        return GEOM_POINT;
    case wkbLineString:
        return GEOM_LINESTRING;
    case wkbPolygon:
        return GEOM_POLYGON;
    case wkbMultiPoint:
        return GEOM_MULTIPOINT;
    case wkbMultiLineString:
        return GEOM_MULTILINESTRING;
    case wkbMultiPolygon:
        return GEOM_MULTIPOLYGON;
    default:
        return GEOM_NONE;
    }
}

static geom_t *convert_geometry(OGRGeometryH h)
{
    geom_type_t type = map_geom_type(OGR_G_GetGeometryType(h));
    uint32_t npoints = 0, nparts = 0, npolys = 0;
    count_parts(h, &npoints, &nparts, &npolys);
    geom_t *g = type == GEOM_NONE ? NULL : geom_create(type, npoints, nparts, npolys);
    if (g == NULL) return NULL;
    fill_t f = {g, 0, 0, 0};
    fill_parts(h, &f);
    geom_orient_rings(g);
    return g;
}

static int have_geos(void)
{
    int major, minor, patch;
    return OGRGetGEOSVersion(&major, &minor, &patch);
}

/* Polygons that GEOS finds invalid are repaired (keeping their structure),
 * with a warning; without GEOS they are only checked for broken rings. */
static int make_valid(load_t *ld, OGRGeometryH *h, long long fid)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(*h));
    if (t != wkbPolygon && t != wkbMultiPolygon) return ERR_OK;
    if (!have_geos()) return ERR_OK;
    CPLErrorReset();
    if (OGR_G_IsValid(*h)) return ERR_OK;
    char *opts[] = {"METHOD=STRUCTURE", NULL};
    OGRGeometryH fixed = OGR_G_MakeValidEx(*h, opts);
    if (fixed == NULL) fixed = OGR_G_MakeValid(*h);
    if (fixed && wkbFlatten(OGR_G_GetGeometryType(fixed)) == wkbGeometryCollection)
        fixed = OGR_G_ForceToMultiPolygon(fixed);
    OGRwkbGeometryType ft = fixed ? wkbFlatten(OGR_G_GetGeometryType(fixed)) : wkbUnknown;
    if (ft != wkbPolygon && ft != wkbMultiPolygon) {
        if (fixed) OGR_G_DestroyGeometry(fixed);
        return LOAD_FAIL(ld, ERR_GEOMETRY,
                         "invalid geometry in feature %lld that MakeValid "
                         "cannot repair (%s)",
                         fid, gdal_message());
    }
    OGR_G_DestroyGeometry(*h);
    *h = fixed;
    ld->repaired++;
    log_warn("%s (layer '%s'): repaired invalid geometry of feature %lld with GEOS MakeValid",
             ld->layer->source, ld->layer->source_layer, fid);
    return ERR_OK;
}

static bool coordinate_ok(const bbox_t *a, double lon, double lat)
{
    return isfinite(lon) && isfinite(lat) && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 &&
           lon >= a->minx && lon <= a->maxx && lat >= a->miny && lat <= a->maxy;
}

/* The first vertex (lon/lat) of h that coordinate_ok() refuses; false if
 * there is none. */
static bool find_bad_vertex(const load_t *ld, OGRGeometryH h, double *lon, double *lat)
{
    int n = OGR_G_GetGeometryCount(h);
    if (n > 0) {
        for (int i = 0; i < n; i++)
            if (find_bad_vertex(ld, OGR_G_GetGeometryRef(h, i), lon, lat)) return true;
        return false;
    }
    for (int i = 0; i < OGR_G_GetPointCount(h); i++) {
        *lon = OGR_G_GetX(h, i), *lat = OGR_G_GetY(h, i);
        if (!coordinate_ok(&ld->area, *lon, *lat)) return true;
    }
    return false;
}

/* Every coordinate finite, a real longitude and latitude, and inside the
 * source CRS's area: what the renderer, the index and the writers assume.
 * Checked before any repair, so a broken vertex is reported, not mended. */
static int check_coordinates(load_t *ld, OGRGeometryH h, long long fid)
{
    double lon, lat;
    if (!find_bad_vertex(ld, h, &lon, &lat)) return ERR_OK;
    return LOAD_FAIL(ld, ERR_GEOMETRY, "feature %lld: coordinate (%.10g, %.10g) in lon/lat is %s",
                     fid, lon, lat,
                     !isfinite(lon) || !isfinite(lat)    ? "not a finite number"
                     : fabs(lon) > 180 || fabs(lat) > 90 ? "outside lon -180..180, lat -90..90"
                                                         : "far outside the area where the "
                                                           "layer's CRS is valid");
}

static int read_geometry(load_t *ld, OGRFeatureH feat, geom_t **out)
{
    long long fid = (long long)OGR_F_GetFID(feat);
    OGRGeometryH h = OGR_F_StealGeometry(feat);
    *out = NULL;
    if (h == NULL || OGR_G_IsEmpty(h)) {
        if (h) OGR_G_DestroyGeometry(h);
        return LOAD_FAIL(ld, ERR_GEOMETRY, "feature %lld has no geometry", fid);
    }
    if (OGR_G_HasCurveGeometry(h, FALSE)) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(h, 0, NULL);
        OGR_G_DestroyGeometry(h);
        h = lin;
    }
    int rc = h ? ERR_OK : LOAD_FAIL(ld, ERR_GEOMETRY, "feature %lld: cannot linearise", fid);
    if (rc == ERR_OK && ld->to_wgs84 && OGR_G_Transform(h, ld->to_wgs84) != OGRERR_NONE)
        rc = LOAD_FAIL(ld, ERR_CRS, "feature %lld cannot be reprojected to WGS84", fid);
    if (rc == ERR_OK) rc = check_coordinates(ld, h, fid);
    if (rc == ERR_OK) rc = make_valid(ld, &h, fid);
    if (rc == ERR_OK && (*out = convert_geometry(h)) == NULL)
        rc = LOAD_FAIL(ld, ERR_GEOMETRY, "feature %lld: unsupported geometry type %s", fid,
                       OGRGeometryTypeToName(OGR_G_GetGeometryType(h)));
    if (h) OGR_G_DestroyGeometry(h);
    return rc;
}

static char *feature_id(load_t *ld, OGRFeatureH feat)
{
    char text[64];
    if (ld->id_src_field < 0) {
        snprintf(text, sizeof(text), "%lld", (long long)OGR_F_GetFID(feat));
        return strdup(text);
    }
    if (!OGR_F_IsFieldSetAndNotNull(feat, ld->id_src_field)) return NULL;
    return checked_text(ld, OGR_F_GetFieldAsString(feat, ld->id_src_field));
}

static value_t *read_values(load_t *ld, OGRFeatureH feat)
{
    layer_t *layer = ld->layer;
    value_t *values = calloc(layer->nfields ? layer->nfields : 1, sizeof(*values));
    for (size_t i = 0; values && i < layer->nfields; i++) {
        int src = ld->src_field[i];
        value_t *v = &values[i];
        v->is_null = !OGR_F_IsFieldSetAndNotNull(feat, src);
        if (v->is_null) continue;
        switch (layer->fields[i].type) {
        case FIELD_INTEGER:
        case FIELD_BOOLEAN:
            v->u.i = OGR_F_GetFieldAsInteger64(feat, src);
            break;
        case FIELD_REAL:
            v->u.r = OGR_F_GetFieldAsDouble(feat, src);
            break;
        case FIELD_STRING:
            v->u.s = checked_text(ld, OGR_F_GetFieldAsString(feat, src));
            v->is_null = v->u.s == NULL;
            break;
        }
    }
    return values;
}

static int read_feature(load_t *ld, OGRFeatureH feat)
{
    long long fid = (long long)OGR_F_GetFID(feat);
    geom_t *geom = NULL;
    int rc = read_geometry(ld, feat, &geom);
    if (rc != ERR_OK) return rc;
    char *id = feature_id(ld, feat);
    if (id == NULL) {
        geom_destroy(geom);
        return LOAD_FAIL(ld, ERR_INVALID, "feature %lld has no value in id field '%s'", fid,
                         ld->spec->id_field);
    }
    value_t *values = read_values(ld, feat);
    if (values == NULL) {
        free(id);
        geom_destroy(geom);
        return LOAD_FAIL(ld, ERR_NOMEM, "out of memory");
    }
    if (layer_add_feature(ld->layer, id, geom, values) != ERR_OK)
        return LOAD_FAIL(ld, ERR_NOMEM, "out of memory");
    return ERR_OK;
}

static int read_features(load_t *ld)
{
    layer_t *layer = ld->layer;
    OGR_L_ResetReading(ld->ogr_layer);
    OGRFeatureH feat;
    int rc = ERR_OK;
    while (rc == ERR_OK && (feat = OGR_L_GetNextFeature(ld->ogr_layer)) != NULL) {
        rc = read_feature(ld, feat);
        OGR_F_Destroy(feat);
    }
    if (rc != ERR_OK) return rc;
    if (ld->bad_text)
        log_warn("%s (layer '%s'): %zu strings were not UTF-8; their bad bytes read as U+FFFD "
                 "(set the source's encoding, e.g. a .cpg file for a Shapefile)",
                 layer->source, layer->source_layer, ld->bad_text);
    if (CPLGetLastErrorType() >= CE_Failure && layer->nfeatures == 0)
        return LOAD_FAIL(ld, ERR_FORMAT, "read error: %s", gdal_message());
    layer->geom_type = layer->nfeatures ? layer->features[0].geom->type : GEOM_NONE;
    for (size_t i = 1; i < layer->nfeatures; i++)
        if (layer->features[i].geom->type != layer->geom_type) layer->geom_type = GEOM_NONE;
    return ERR_OK;
}

int source_load(const layer_spec_t *spec, layer_t **out, error_t *err)
{
    pthread_once(&gdal_once, gdal_init);
    load_t ld = {.spec = spec, .err = err, .id_src_field = -1};
    *out = NULL;
    ld.layer = layer_create(spec->id, spec->title, spec->description);
    if (ld.layer == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    int rc = open_source(&ld);
    if (rc == ERR_OK) rc = pick_layer(&ld);
    if (rc == ERR_OK) {
        char src[512];
        source_redact(spec->source, src, sizeof(src)); /* it is shown: no password */
        ld.layer->source = strdup(src);
        ld.layer->source_layer = strdup(OGR_L_GetName(ld.ogr_layer));
        ld.layer->id_field = spec->id_field ? strdup(spec->id_field) : NULL;
        rc = setup_crs(&ld);
    }
    if (rc == ERR_OK) rc = setup_fields(&ld);
    if (rc == ERR_OK) rc = read_features(&ld);
    if (rc == ERR_OK && ld.layer->nfeatures == 0)
        rc = LOAD_FAIL(&ld, ERR_EMPTY, "empty layer: no features");
    if (rc == ERR_OK) {
        error_t sub = {0};
        rc = layer_finish(ld.layer, &sub);
        if (rc != ERR_OK) LOAD_FAIL(&ld, rc, "%s", sub.message);
    }
    load_cleanup(&ld);
    if (rc != ERR_OK) {
        layer_destroy(ld.layer);
        return rc;
    }
    *out = ld.layer;
    return ERR_OK;
}

void source_versions(char *buf, size_t size)
{
    int major = 0, minor = 0, patch = 0;
    char geos[32] = "none";
    if (OGRGetGEOSVersion(&major, &minor, &patch))
        snprintf(geos, sizeof(geos), "%d.%d.%d", major, minor, patch);
    snprintf(buf, size, "GDAL %s, PROJ %d.%d.%d, GEOS %s", GDALVersionInfo("RELEASE_NAME"),
             PROJ_VERSION_MAJOR, PROJ_VERSION_MINOR, PROJ_VERSION_PATCH, geos);
}
