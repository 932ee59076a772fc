/* WMS GetCapabilities, 1.3.0 or (when asked for) 1.1.1: the service from
 * the project, a layer group of the whole map with every collection and
 * network model in it, each with its extent in lon/lat and in every
 * listed CRS (in the CRS's own axis order for 1.3.0, x/y for 1.1.1), the
 * styles with their legends. */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/ogcapi.h"
#include "api/send.h"
#include "api/wms.h"

static const char *const formats[] = {"image/png", "image/svg+xml", "application/pdf", NULL};
static const char *const info_formats[] = {"application/json", "application/geo+json", "text/html",
                                           "text/plain", NULL};

/* One document being written. */
typedef struct caps {
    buf_t b;
    bool v111;
    const char *base; /* "http://host:port" */
    dataset_t *ds;
    void *ctx;
} caps_t;

static void text_element(buf_t *b, const char *indent, const char *name, const char *text)
{
    buf_printf(b, "%s<%s>", indent, name);
    wms_xml(b, text ? text : "");
    buf_printf(b, "</%s>\n", name);
}

static void online(buf_t *b, const char *base, const char *tail)
{
    buf_puts(b, "<OnlineResource xlink:type=\"simple\" xlink:href=\"");
    wms_xml(b, base);
    buf_printf(b, "%s\"/>", tail);
}

static void operation(caps_t *c, const char *name, const char *const *types)
{
    buf_printf(&c->b, "      <%s>\n", name);
    for (const char *const *t = types; *t; t++)
        text_element(&c->b, "        ", "Format", *t);
    buf_puts(&c->b, "        <DCPType><HTTP><Get>");
    online(&c->b, c->base, "/wms?");
    buf_printf(&c->b, "</Get></HTTP></DCPType>\n      </%s>\n", name);
}

/* ContactInformation, when the project names a contact. */
static void contact(buf_t *b, const contact_t *k)
{
    if (!k->person && !k->organization && !k->position && !k->email && !k->phone) return;
    buf_puts(b, "    <ContactInformation>\n");
    if (k->person || k->organization) {
        buf_puts(b, "      <ContactPersonPrimary>\n");
        text_element(b, "        ", "ContactPerson", k->person);
        text_element(b, "        ", "ContactOrganization", k->organization);
        buf_puts(b, "      </ContactPersonPrimary>\n");
    }
    if (k->position) text_element(b, "      ", "ContactPosition", k->position);
    if (k->phone) text_element(b, "      ", "ContactVoiceTelephone", k->phone);
    if (k->email) text_element(b, "      ", "ContactElectronicMailAddress", k->email);
    buf_puts(b, "    </ContactInformation>\n");
}

static void service(caps_t *c)
{
    buf_t *b = &c->b;
    buf_printf(b, "  <Service>\n    <Name>%s</Name>\n", c->v111 ? "OGC:WMS" : "WMS");
    text_element(b, "    ", "Title", dataset_title(c->ds));
    text_element(b, "    ", "Abstract", dataset_description(c->ds));
    buf_puts(b, "    <KeywordList><Keyword>City Cooperation</Keyword><Keyword>towns</Keyword>"
                "<Keyword>NUTS</Keyword><Keyword>cooperation network</Keyword></KeywordList>\n"
                "    ");
    online(b, c->base, "/wms?");
    buf_puts(b, "\n");
    contact(b, dataset_contact(c->ds));
    buf_puts(b, "    <Fees>none</Fees>\n    <AccessConstraints>none</AccessConstraints>\n");
    if (!c->v111)
        buf_printf(b,
                   "    <LayerLimit>%d</LayerLimit>\n    <MaxWidth>%d</MaxWidth>\n"
                   "    <MaxHeight>%d</MaxHeight>\n",
                   WMS_MAX_LAYERS, API_MAP_MAX_PX, API_MAP_MAX_PX);
    buf_puts(b, "  </Service>\n");
}

/* The lon/lat box and one BoundingBox per CRS; a CRS that cannot hold
 * the extent is left out of it. */
static void extents(caps_t *c, bbox_t ll, const char *indent)
{
    buf_t *b = &c->b;
    if (c->v111)
        buf_printf(
            b, "%s<LatLonBoundingBox minx=\"%.6f\" miny=\"%.6f\" maxx=\"%.6f\" maxy=\"%.6f\"/>\n",
            indent, ll.minx, ll.miny, ll.maxx, ll.maxy);
    else
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
        bool swap = !c->v111 && crs_northing_first(crs);
        const char *fmt = crs_is_geographic(crs) ? "%.6f" : "%.1f";
        double vals[4] = {swap ? xy.miny : xy.minx, swap ? xy.minx : xy.miny,
                          swap ? xy.maxy : xy.maxx, swap ? xy.maxx : xy.maxy};
        char v[4][40];
        for (int k = 0; k < 4; k++)
            snprintf(v[k], sizeof(v[k]), fmt, vals[k]);
        buf_printf(b,
                   "%s<BoundingBox %s=\"%s\" minx=\"%s\" miny=\"%s\" maxx=\"%s\" maxy=\"%s\"/>\n",
                   indent, c->v111 ? "SRS" : "CRS", *code, v[0], v[1], v[2], v[3]);
    }
}

static void styles(caps_t *c, const char *layer, const char *indent)
{
    buf_t *b = &c->b;
    tiles_t *t = app_tiles(c->ctx);
    for (size_t i = 0; i < tiles_style_count(t); i++) {
        const style_t *s = tiles_style_at(t, i);
        buf_printf(b, "%s<Style>\n%s  <Name>", indent, indent);
        wms_xml(b, style_id(s));
        buf_printf(b, "</Name>\n%s  <Title>", indent);
        wms_xml(b, style_title(s));
        buf_printf(b, "</Title>\n%s  <LegendURL><Format>image/png</Format>", indent);
        buf_t tail = BUF_INIT;
        buf_printf(&tail, "/wms?SERVICE=WMS&amp;VERSION=%s&amp;REQUEST=GetLegendGraphic&amp;LAYER=",
                   c->v111 ? "1.1.1" : "1.3.0");
        wms_xml(&tail, layer);
        buf_puts(&tail, "&amp;STYLE=");
        wms_xml(&tail, style_id(s));
        buf_puts(&tail, "&amp;FORMAT=image/png&amp;SLD_VERSION=1.1.0");
        online(b, c->base, tail.data ? tail.data : "");
        buf_free(&tail);
        buf_printf(b, "</LegendURL>\n%s</Style>\n", indent);
    }
}

static void child(caps_t *c, const char *name, const char *title, const char *abstract, bbox_t ll,
                  bool queryable)
{
    buf_printf(&c->b, "      <Layer queryable=\"%d\" opaque=\"0\">\n", queryable);
    text_element(&c->b, "        ", "Name", name);
    text_element(&c->b, "        ", "Title", title);
    if (abstract) text_element(&c->b, "        ", "Abstract", abstract);
    extents(c, ll, "        ");
    buf_puts(&c->b, "      </Layer>\n");
}

static void layers(caps_t *c)
{
    buf_t *b = &c->b;
    bbox_t all = dataset_extent(c->ds);
    buf_puts(b, "    <Layer queryable=\"0\">\n");
    text_element(b, "      ", "Name", WMS_ROOT);
    text_element(b, "      ", "Title", dataset_title(c->ds));
    text_element(b, "      ", "Abstract", dataset_description(c->ds));
    for (const char *const *code = wms_crs_list; *code; code++)
        buf_printf(b, "      <%s>%s</%s>\n", c->v111 ? "SRS" : "CRS", *code,
                   c->v111 ? "SRS" : "CRS");
    extents(c, all, "      ");
    if (dataset_attribution_short(c->ds)) {
        buf_puts(b, "      <Attribution><Title>");
        wms_xml(b, dataset_attribution_short(c->ds));
        buf_puts(b, "</Title></Attribution>\n");
    }
    styles(c, WMS_ROOT, "      ");
    for (size_t i = 0; i < dataset_layer_count(c->ds); i++) {
        const layer_t *l = dataset_layer(c->ds, i);
        child(c, l->id, l->title ? l->title : l->id, l->description,
              bbox_is_empty(l->extent) ? all : l->extent, true);
    }
    for (int m = NETWORK_COMPLETE; m <= NETWORK_EDGES; m++) {
        char name[64], title[96];
        snprintf(name, sizeof(name), "network-%s", network_model_name((network_model_t)m));
        snprintf(title, sizeof(title), "Cooperation network: %s (default parameters)",
                 network_model_name((network_model_t)m));
        child(c, name, title, NULL, all, false);
    }
    buf_puts(b, "    </Layer>\n");
}

static const char head_130[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<WMS_Capabilities version=\"1.3.0\" xmlns=\"http://www.opengis.net/wms\""
    " xmlns:sld=\"http://www.opengis.net/sld\" xmlns:xlink=\"http://www.w3.org/1999/xlink\""
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
    " xsi:schemaLocation=\"http://www.opengis.net/wms"
    " http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd http://www.opengis.net/sld"
    " http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd\">\n";

static const char head_111[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE WMT_MS_Capabilities SYSTEM"
    " \"http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd\">\n"
    "<WMT_MS_Capabilities version=\"1.1.1\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n";

void wms_capabilities(const wms_params_t *p, const http_request_t *req, http_response_t *resp,
                      void *ctx)
{
    char base[512];
    ogc_base_url(req, ctx, base, sizeof(base));
    /* 1.3.0 unless 1.1.x is asked for (version negotiation). */
    bool v111 = p->version && strncmp(p->version, "1.1", 3) == 0;
    caps_t c = {BUF_INIT, v111, base, app_acquire(ctx), ctx};
    static const char *const xml[] = {"text/xml", NULL}, *const png[] = {"image/png", NULL};
    static const char *const xml111[] = {"application/vnd.ogc.wms_xml", NULL};
    buf_puts(&c.b, v111 ? head_111 : head_130);
    service(&c);
    buf_puts(&c.b, "  <Capability>\n    <Request>\n");
    operation(&c, "GetCapabilities", v111 ? xml111 : xml);
    operation(&c, "GetMap", formats);
    operation(&c, "GetFeatureInfo", info_formats);
    operation(&c, v111 ? "GetLegendGraphic" : "sld:GetLegendGraphic", png);
    buf_printf(&c.b, "    </Request>\n    <Exception><Format>%s</Format></Exception>\n",
               v111 ? "application/vnd.ogc.se_xml" : "XML");
    layers(&c);
    buf_printf(&c.b, "  </Capability>\n</%s>\n", v111 ? "WMT_MS_Capabilities" : "WMS_Capabilities");
    http_response_last_modified(resp, dataset_loaded_at(c.ds));
    dataset_unref(c.ds);
    api_send_buf(resp, &c.b, v111 ? "application/vnd.ogc.wms_xml" : "text/xml");
}
