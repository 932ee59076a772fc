/* WMS GetCapabilities: the service from the project, a layer group of
 * the whole map with every collection and network model in it, each with
 * its extent in lon/lat and in every listed CRS (in that CRS's axis
 * order for 1.3.0), the styles with their legends. */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/ogcapi.h"
#include "api/send.h"
#include "api/wms.h"

static const char *const formats[] = {"image/png", "image/svg+xml", "application/pdf", NULL};
static const char *const info_formats[] = {"application/json", "application/geo+json", "text/html",
                                           "text/plain", NULL};

static void text_element(buf_t *b, const char *indent, const char *name, const char *text)
{
    buf_printf(b, "%s<%s>", indent, name);
    wms_xml(b, text ? text : "");
    buf_printf(b, "</%s>\n", name);
}

static void operation(buf_t *b, const char *name, const char *const *types, const char *url)
{
    buf_printf(b, "      <%s>\n", name);
    for (const char *const *t = types; *t; t++)
        text_element(b, "        ", "Format", *t);
    buf_puts(b, "        <DCPType><HTTP><Get><OnlineResource xlink:type=\"simple\" xlink:href=\"");
    wms_xml(b, url);
    buf_printf(b, "\"/></Get></HTTP></DCPType>\n      </%s>\n", name);
}

static void service(buf_t *b, dataset_t *ds, const char *url, void *ctx)
{
    buf_puts(b, "  <Service>\n    <Name>WMS</Name>\n");
    text_element(b, "    ", "Title", dataset_title(ds));
    text_element(b, "    ", "Abstract", dataset_description(ds));
    buf_puts(b, "    <KeywordList><Keyword>City Cooperation</Keyword><Keyword>towns</Keyword>"
                "<Keyword>NUTS</Keyword><Keyword>cooperation network</Keyword></KeywordList>\n");
    buf_puts(b, "    <OnlineResource xlink:type=\"simple\" xlink:href=\"");
    wms_xml(b, url);
    buf_puts(b, "\"/>\n    <Fees>none</Fees>\n    <AccessConstraints>none</AccessConstraints>\n");
    buf_printf(b,
               "    <LayerLimit>%d</LayerLimit>\n    <MaxWidth>%d</MaxWidth>\n"
               "    <MaxHeight>%d</MaxHeight>\n  </Service>\n",
               WMS_MAX_LAYERS, API_MAP_MAX_PX, API_MAP_MAX_PX);
    (void)ctx;
}

/* EX_GeographicBoundingBox and one BoundingBox per CRS; a CRS that
 * cannot hold the extent (or PROJ cannot make) is left out of it. */
static void extents(buf_t *b, bbox_t ll, const char *indent)
{
    buf_printf(b,
               "%s<EX_GeographicBoundingBox><westBoundLongitude>%.6f</westBoundLongitude>"
               "<eastBoundLongitude>%.6f</eastBoundLongitude><southBoundLatitude>%.6f"
               "</southBoundLatitude><northBoundLatitude>%.6f</northBoundLatitude>"
               "</EX_GeographicBoundingBox>\n",
               indent, ll.minx, ll.maxx, ll.miny, ll.maxy);
    for (const char *const *code = wms_crs_list; *code; code++) {
        const crs_t *crs = crs_get(*code, NULL);
        bbox_t xy;
        if (crs == NULL || crs_box_from_lonlat(crs, ll, &xy) != 0) continue;
        bool swap = crs_northing_first(crs);
        const char *fmt = crs_is_geographic(crs) ? "%.6f" : "%.1f";
        char v[4][40];
        double vals[4] = {swap ? xy.miny : xy.minx, swap ? xy.minx : xy.miny,
                          swap ? xy.maxy : xy.maxx, swap ? xy.maxx : xy.maxy};
        for (int k = 0; k < 4; k++)
            snprintf(v[k], sizeof(v[k]), fmt, vals[k]);
        buf_printf(b,
                   "%s<BoundingBox CRS=\"%s\" minx=\"%s\" miny=\"%s\" maxx=\"%s\" maxy=\"%s\"/>\n",
                   indent, *code, v[0], v[1], v[2], v[3]);
    }
}

static void styles(buf_t *b, void *ctx, const char *base, const char *layer, const char *indent)
{
    tiles_t *t = app_tiles(ctx);
    for (size_t i = 0; i < tiles_style_count(t); i++) {
        const style_t *s = tiles_style_at(t, i);
        buf_printf(b, "%s<Style>\n", indent);
        buf_printf(b, "%s  <Name>", indent);
        wms_xml(b, style_id(s));
        buf_printf(b, "</Name>\n%s  <Title>", indent);
        wms_xml(b, style_title(s));
        buf_printf(b,
                   "</Title>\n%s  <LegendURL><Format>image/png</Format>"
                   "<OnlineResource xlink:type=\"simple\" xlink:href=\"",
                   indent);
        buf_printf(b,
                   "%s/wms?SERVICE=WMS&amp;VERSION=1.3.0&amp;REQUEST=GetLegendGraphic&amp;"
                   "LAYER=",
                   base);
        wms_xml(b, layer);
        buf_puts(b, "&amp;STYLE=");
        wms_xml(b, style_id(s));
        buf_printf(b, "&amp;FORMAT=image/png&amp;SLD_VERSION=1.1.0\"/></LegendURL>\n%s</Style>\n",
                   indent);
    }
}

static void child(buf_t *b, const char *name, const char *title, const char *abstract, bbox_t ll,
                  bool queryable)
{
    buf_printf(b, "      <Layer queryable=\"%d\" opaque=\"0\">\n", queryable);
    text_element(b, "        ", "Name", name);
    text_element(b, "        ", "Title", title);
    if (abstract) text_element(b, "        ", "Abstract", abstract);
    extents(b, ll, "        ");
    buf_puts(b, "      </Layer>\n");
}

static void layers(buf_t *b, dataset_t *ds, void *ctx, const char *base)
{
    bbox_t all = dataset_extent(ds);
    buf_puts(b, "    <Layer queryable=\"0\">\n");
    text_element(b, "      ", "Name", WMS_ROOT);
    text_element(b, "      ", "Title", dataset_title(ds));
    text_element(b, "      ", "Abstract", dataset_description(ds));
    for (const char *const *code = wms_crs_list; *code; code++)
        buf_printf(b, "      <CRS>%s</CRS>\n", *code);
    extents(b, all, "      ");
    if (dataset_attribution_short(ds)) {
        buf_puts(b, "      <Attribution><Title>");
        wms_xml(b, dataset_attribution_short(ds));
        buf_puts(b, "</Title></Attribution>\n");
    }
    styles(b, ctx, base, WMS_ROOT, "      ");
    for (size_t i = 0; i < dataset_layer_count(ds); i++) {
        const layer_t *l = dataset_layer(ds, i);
        child(b, l->id, l->title ? l->title : l->id, l->description,
              bbox_is_empty(l->extent) ? all : l->extent, true);
    }
    for (int m = NETWORK_COMPLETE; m <= NETWORK_EDGES; m++) {
        char name[64], title[96];
        snprintf(name, sizeof(name), "network-%s", network_model_name((network_model_t)m));
        snprintf(title, sizeof(title), "Cooperation network: %s (default parameters)",
                 network_model_name((network_model_t)m));
        child(b, name, title, NULL, all, false);
    }
    buf_puts(b, "    </Layer>\n");
}

void wms_capabilities(const wms_params_t *p, const http_request_t *req, http_response_t *resp,
                      void *ctx)
{
    (void)p;
    char base[512], url[600];
    ogc_base_url(req, ctx, base, sizeof(base));
    snprintf(url, sizeof(url), "%s/wms?", base);
    dataset_t *ds = app_acquire(ctx);
    buf_t b = BUF_INIT;
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<WMS_Capabilities version=\"1.3.0\" xmlns=\"http://www.opengis.net/wms\""
                 " xmlns:sld=\"http://www.opengis.net/sld\""
                 " xmlns:xlink=\"http://www.w3.org/1999/xlink\""
                 " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                 " xsi:schemaLocation=\"http://www.opengis.net/wms"
                 " http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd"
                 " http://www.opengis.net/sld"
                 " http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd\">\n");
    service(&b, ds, url, ctx);
    buf_puts(&b, "  <Capability>\n    <Request>\n");
    static const char *const xml[] = {"text/xml", NULL}, *const png[] = {"image/png", NULL};
    operation(&b, "GetCapabilities", xml, url);
    operation(&b, "GetMap", formats, url);
    operation(&b, "GetFeatureInfo", info_formats, url);
    operation(&b, "sld:GetLegendGraphic", png, url);
    buf_puts(&b, "    </Request>\n    <Exception><Format>XML</Format></Exception>\n");
    layers(&b, ds, ctx, base);
    buf_puts(&b, "  </Capability>\n</WMS_Capabilities>\n");
    http_response_last_modified(resp, dataset_loaded_at(ds));
    dataset_unref(ds);
    api_send_buf(resp, &b, "text/xml");
}
