#include "data/export.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/geojson.h"

/* --- CSV ---------------------------------------------------------------------- */

/* A field, quoted when it holds a comma, a quote or a line break. */
static void csv_text(buf_t *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        buf_puts(b, s);
        return;
    }
    buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"') buf_append(b, "\"", 1);
        buf_append(b, s, 1);
    }
    buf_append(b, "\"", 1);
}

static void wkt_coords(buf_t *b, const double *xy, uint32_t n)
{
    buf_append(b, "(", 1);
    for (uint32_t i = 0; i < n; i++) {
        if (i) buf_append(b, ",", 1);
        buf_printf(b, "%.7f %.7f", xy[2 * i], xy[2 * i + 1]);
    }
    buf_append(b, ")", 1);
}

static void wkt_polygon(buf_t *b, const geom_t *g, uint32_t k)
{
    buf_append(b, "(", 1);
    for (uint32_t p = g->poly_start[k]; p < g->poly_start[k + 1]; p++) {
        if (p > g->poly_start[k]) buf_append(b, ",", 1);
        wkt_coords(b, g->ll + 2 * (size_t)g->part_start[p],
                   g->part_start[p + 1] - g->part_start[p]);
    }
    buf_append(b, ")", 1);
}

/* WKT in lon/lat; written into its own buffer, as it goes in quotes. */
static void wkt(buf_t *b, const geom_t *g)
{
    switch (g->type) {
    case GEOM_POINT:
        buf_printf(b, "POINT (%.7f %.7f)", g->ll[0], g->ll[1]);
        return;
    case GEOM_MULTIPOINT:
        buf_puts(b, "MULTIPOINT ");
        wkt_coords(b, g->ll, g->npoints);
        return;
    case GEOM_LINESTRING:
        buf_puts(b, "LINESTRING ");
        wkt_coords(b, g->ll, g->npoints);
        return;
    case GEOM_MULTILINESTRING:
        buf_puts(b, "MULTILINESTRING (");
        for (uint32_t p = 0; p < g->nparts; p++) {
            if (p) buf_append(b, ",", 1);
            wkt_coords(b, g->ll + 2 * (size_t)g->part_start[p],
                       g->part_start[p + 1] - g->part_start[p]);
        }
        buf_append(b, ")", 1);
        return;
    case GEOM_POLYGON:
        buf_puts(b, "POLYGON ");
        wkt_polygon(b, g, 0);
        return;
    case GEOM_MULTIPOLYGON:
        buf_puts(b, "MULTIPOLYGON (");
        for (uint32_t k = 0; k < g->npolys; k++) {
            if (k) buf_append(b, ",", 1);
            wkt_polygon(b, g, k);
        }
        buf_append(b, ")", 1);
        return;
    default:
        return;
    }
}

void export_csv(buf_t *b, const layer_t *layer, const uint32_t *ids, size_t n, const bool *fields)
{
    bool points = layer->geom_type == GEOM_POINT;
    buf_puts(b, "id");
    for (size_t k = 0; k < layer->nfields; k++) {
        if (fields && !fields[k]) continue;
        buf_append(b, ",", 1);
        csv_text(b, layer->fields[k].name);
    }
    buf_puts(b, points ? ",lon,lat,wkt\r\n" : ",wkt\r\n");
    buf_t w = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const feature_t *f = &layer->features[ids[i]];
        csv_text(b, f->id);
        for (size_t k = 0; k < layer->nfields; k++) {
            if (fields && !fields[k]) continue;
            buf_append(b, ",", 1);
            if (!f->values[k].is_null) /* a null is an empty field */
                geojson_value_as(b, layer->fields[k].type, &f->values[k], csv_text);
        }
        if (points) buf_printf(b, ",%.7f,%.7f", f->geom->ll[0], f->geom->ll[1]);
        w.len = 0;
        wkt(&w, f->geom);
        buf_append(b, ",", 1);
        csv_text(b, w.data ? w.data : "");
        buf_puts(b, "\r\n");
    }
    buf_free(&w);
}

/* --- GeoPackage and FlatGeobuf ---------------------------------------------------- */

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;
static atomic_uint file_seq;

static void gdal_init(void)
{
    GDALAllRegister();
}

static OGRGeometryH ring_or_line(const geom_t *g, uint32_t p, OGRwkbGeometryType t)
{
    OGRGeometryH h = OGR_G_CreateGeometry(t);
    for (uint32_t i = g->part_start[p]; i < g->part_start[p + 1]; i++)
        OGR_G_AddPoint_2D(h, g->ll[2 * (size_t)i], g->ll[2 * (size_t)i + 1]);
    return h;
}

static OGRGeometryH polygon(const geom_t *g, uint32_t k)
{
    OGRGeometryH h = OGR_G_CreateGeometry(wkbPolygon);
    for (uint32_t p = g->poly_start[k]; p < g->poly_start[k + 1]; p++)
        OGR_G_AddGeometryDirectly(h, ring_or_line(g, p, wkbLinearRing));
    return h;
}

/* Our geometry as OGR's (the caller destroys it). */
static OGRGeometryH to_ogr(const geom_t *g)
{
    OGRGeometryH h = NULL;
    switch (g->type) {
    case GEOM_POINT:
        h = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(h, 0, g->ll[0], g->ll[1]);
        return h;
    case GEOM_MULTIPOINT:
        h = OGR_G_CreateGeometry(wkbMultiPoint);
        for (uint32_t i = 0; i < g->npoints; i++) {
            OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(pt, 0, g->ll[2 * (size_t)i], g->ll[2 * (size_t)i + 1]);
            OGR_G_AddGeometryDirectly(h, pt);
        }
        return h;
    case GEOM_LINESTRING:
        return ring_or_line(g, 0, wkbLineString);
    case GEOM_MULTILINESTRING:
        h = OGR_G_CreateGeometry(wkbMultiLineString);
        for (uint32_t p = 0; p < g->nparts; p++)
            OGR_G_AddGeometryDirectly(h, ring_or_line(g, p, wkbLineString));
        return h;
    case GEOM_POLYGON:
        return polygon(g, 0);
    case GEOM_MULTIPOLYGON:
        h = OGR_G_CreateGeometry(wkbMultiPolygon);
        for (uint32_t k = 0; k < g->npolys; k++)
            OGR_G_AddGeometryDirectly(h, polygon(g, k));
        return h;
    default:
        return NULL;
    }
}

static OGRwkbGeometryType ogr_type(geom_type_t t)
{
    static const OGRwkbGeometryType map[] = {wkbUnknown,     wkbPoint,      wkbLineString,
                                             wkbPolygon,     wkbMultiPoint, wkbMultiLineString,
                                             wkbMultiPolygon};
    return (unsigned)t < sizeof(map) / sizeof(map[0]) ? map[t] : wkbUnknown;
}

static bool add_fields(OGRLayerH ol, const layer_t *layer, const bool *fields)
{
    static const OGRFieldType types[] = {OFTInteger64, OFTReal, OFTString, OFTInteger};
    for (size_t k = 0; k < layer->nfields; k++) {
        if (fields && !fields[k]) continue;
        OGRFieldDefnH fd = OGR_Fld_Create(layer->fields[k].name, types[layer->fields[k].type]);
        if (layer->fields[k].type == FIELD_BOOLEAN) OGR_Fld_SetSubType(fd, OFSTBoolean);
        OGRErr e = OGR_L_CreateField(ol, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE) return false;
    }
    return true;
}

static bool add_feature(OGRLayerH ol, const layer_t *layer, const feature_t *f, const bool *fields)
{
    OGRFeatureH of = OGR_F_Create(OGR_L_GetLayerDefn(ol));
    int out = 0;
    for (size_t k = 0; k < layer->nfields; k++) {
        if (fields && !fields[k]) continue;
        const value_t *v = &f->values[k];
        if (v->is_null)
            OGR_F_SetFieldNull(of, out);
        else if (layer->fields[k].type == FIELD_STRING)
            OGR_F_SetFieldString(of, out, v->u.s);
        else if (layer->fields[k].type == FIELD_REAL)
            OGR_F_SetFieldDouble(of, out, v->u.r);
        else
            OGR_F_SetFieldInteger64(of, out, v->u.i);
        out++;
    }
    OGRGeometryH g = to_ogr(f->geom);
    if (g) OGR_F_SetGeometryDirectly(of, g);
    bool ok = OGR_L_CreateFeature(ol, of) == OGRERR_NONE;
    OGR_F_Destroy(of);
    return ok;
}

int export_file(const layer_t *layer, const uint32_t *ids, size_t n, const bool *fields,
                export_format_t fmt, unsigned char **out, size_t *len, error_t *err)
{
    pthread_once(&gdal_once, gdal_init);
    const char *driver_name = fmt == EXPORT_GPKG ? "GPKG" : "FlatGeobuf";
    char path[96];
    snprintf(path, sizeof(path), "/vsimem/coopmap-export-%u.%s", atomic_fetch_add(&file_seq, 1),
             fmt == EXPORT_GPKG ? "gpkg" : "fgb");
    GDALDriverH drv = GDALGetDriverByName(driver_name);
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    if (ds == NULL) return error_set(err, ERR_SYSTEM, "GDAL cannot write %s", driver_name);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER); /* lon, lat */
    /* FlatGeobuf's spatial index would sort the features along a curve:
     * a download keeps the order asked for (sortby). */
    char *options[] = {fmt == EXPORT_FGB ? "SPATIAL_INDEX=NO" : NULL, NULL};
    OGRLayerH ol = GDALDatasetCreateLayer(ds, layer->id, srs, ogr_type(layer->geom_type), options);
    OSRRelease(srs);
    bool ok = ol && add_fields(ol, layer, fields);
    if (ok && fmt == EXPORT_GPKG) GDALDatasetStartTransaction(ds, FALSE);
    for (size_t i = 0; ok && i < n; i++)
        ok = add_feature(ol, layer, &layer->features[ids[i]], fields);
    if (ok && fmt == EXPORT_GPKG) GDALDatasetCommitTransaction(ds);
    GDALClose(ds);
    vsi_l_offset size = 0;
    GByte *data = ok ? VSIGetMemFileBuffer(path, &size, TRUE) : NULL;
    VSIUnlink(path);
    if (fmt == EXPORT_GPKG) { /* SQLite's side files, if any */
        char side[112];
        snprintf(side, sizeof(side), "%s-journal", path);
        VSIUnlink(side);
    }
    if (data == NULL) return error_set(err, ERR_SYSTEM, "GDAL failed writing %s", driver_name);
    *out = malloc(size ? size : 1);
    if (*out) memcpy(*out, data, size);
    CPLFree(data);
    if (*out == NULL) return error_set(err, ERR_NOMEM, "out of memory");
    *len = (size_t)size;
    return ERR_OK;
}
