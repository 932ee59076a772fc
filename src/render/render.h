/* Map rendering: views (what part of the map, at which zoom and scale)
 * and the rendered PNG of a view. The drawing itself, with cairo, is in
 * render_draw.h, for the render stage's own files only.
 *
 * Everything is placed in one global pixel frame per zoom (Web Mercator
 * pixels at that zoom), and labels are placed once per zoom over the whole
 * dataset, so neighbouring tiles agree pixel for pixel at their edges and
 * no label is cut or drawn twice. */
#ifndef COOPMAP_RENDER_H
#define COOPMAP_RENDER_H

#include <stdbool.h>

#include "data/crs.h"
#include "data/dataset.h"
#include "util/error.h"
#include "render/style.h"
#include "render/tile.h"

typedef struct render_view {
    double zoom;     /* map zoom (style functions, label placement) */
    double origin_x; /* top-left corner in global CSS pixels at this zoom */
    double origin_y;
    int width, height; /* CSS pixels */
    double scale;      /* device pixels per CSS pixel: 1, or 2 for @2x */
    /* NULL: the frame above, Web Mercator pixels at the zoom (tiles).
     * Else a view drawn in this CRS (render_crs_view): global pixel (0, 0)
     * is (x0, y0) in CRS units (easting first), a pixel is rx by ry units,
     * and the zoom is the one of the same ground resolution at the view's
     * centre, for the style. */
    const crs_t *crs;
    double x0, y0, rx, ry;
    /* Draw only the labels wholly inside the view: a single image (a
     * static map, a WMS GetMap) rather than a tile of a mosaic, whose
     * labels run on into its neighbours. */
    bool whole_labels;
} render_view_t;

/* Which of a style's layers to draw (a WMS GetMap's LAYERS), and the
 * background. Zero: all, on the style's background. */
typedef struct render_select {
    const char *const *sources; /* NULL-terminated source ids; NULL: every one */
    bool transparent;           /* no background at all */
    bool has_background;        /* this colour instead of the style's */
    style_color_t background;
} render_select_t;

/* The view of a tile, at scale 1 or 2. */
render_view_t render_tile_view(tile_t t, double scale);

/* A view of width x height CSS pixels centred on a lon/lat point. */
render_view_t render_center_view(double lon, double lat, double zoom, int width, int height,
                                 double scale);

/* A view of width x height CSS pixels showing a lon/lat box whole, centred
 * on its middle in Web Mercator, at most at max_zoom. */
render_view_t render_bbox_view(bbox_t lonlat, int width, int height, double scale, double max_zoom);

/* A view of width x height CSS pixels showing box (CRS units, easting
 * first) of crs: in EPSG:3857 with square pixels, the tiles' own frame.
 * Its zoom is that of a Web Mercator map of the same ground resolution at
 * ref (lon/lat; NULL, or outside the CRS's area: the area's middle), the
 * same for every box of a resolution. ERR_INVALID with a message when the
 * box has no lon/lat in the CRS. */
#define RENDER_MIN_ZOOM (-4.0) /* the scales maps in a CRS may have, as zooms */
#define RENDER_MAX_ZOOM 26.0
int render_crs_view(const crs_t *crs, bbox_t box, int width, int height, double scale,
                    const double ref[2], render_view_t *out, error_t *err);

/* Ground metres per CSS pixel at the view's centre (scale bars). */
double render_view_metres_per_px(const render_view_t *v);

/* The view's extent in lon/lat. */
bbox_t render_view_lonlat(const render_view_t *v);

/* True if nothing but the style's background would be drawn: tiles far
 * from the data are answered from a cached background tile. */
bool render_view_is_empty(const render_view_t *v, const style_t *style, dataset_t *ds);

/* Renders the view to PNG bytes (malloc'd, the caller frees). */
int render_png(const render_view_t *v, const style_t *style, dataset_t *ds, unsigned char **png,
               size_t *len, error_t *err);

#endif
