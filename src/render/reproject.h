/* Layers drawn in a CRS other than Web Mercator: each feature's geometry
 * projected once per CRS (densified first, so long edges bend as they
 * should), kept with the dataset like the label placements. */
#ifndef COOPMAP_REPROJECT_H
#define COOPMAP_REPROJECT_H

#include "data/crs.h"
#include "data/dataset.h"

/* One geometry per feature of the layer, in the feature's order: its merc
 * holds x/y in the CRS (easting first) and ll the lon/lat of the same
 * vertices; NULL where the feature lies outside the CRS's area of use or
 * does not project. */
typedef struct projected {
    geom_t **geoms;
    size_t n;
    size_t bytes; /* held, when kept with a dataset */
} projected_t;

/* The layer's geometries in crs: made on first use and kept with ds
 * (borrowed until ds is freed), within a memory budget for all datasets
 * together; past it, or without ds, made for the caller, who frees *own
 * with reproject_free() (*own is NULL otherwise). NULL when out of
 * memory. */
const projected_t *reproject_get(dataset_t *ds, const layer_t *layer, const crs_t *crs,
                                 projected_t **own);

/* The same always made for the caller: free with reproject_free(). */
projected_t *reproject_layer(const layer_t *layer, const crs_t *crs);
void reproject_free(projected_t *p);

#endif
