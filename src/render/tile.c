#include "render/tile.h"

#include <math.h>

#include "data/crs.h"

bool tile_valid(tile_t t, int max_zoom)
{
    if (t.z < 0 || t.z > max_zoom || t.z > 30) return false;
    uint32_t n = (uint32_t)1 << t.z;
    return t.x < n && t.y < n;
}

bool tile_valid_in(tile_grid_t grid, tile_t t, int max_zoom)
{
    if (grid == TILE_GRID_MERCATOR) return tile_valid(t, max_zoom);
    if (t.z < 0 || t.z > max_zoom || t.z > 30) return false;
    uint32_t n = (uint32_t)1 << t.z;
    return t.x < 2 * n && t.y < n;
}

bbox_t tile_bounds_crs84(tile_t t)
{
    double span = 180.0 / (double)((uint64_t)1 << t.z);
    double minx = -180 + t.x * span, maxy = 90 - t.y * span;
    return (bbox_t){minx, maxy - span, minx + span, maxy};
}

bbox_t tile_bounds_merc(tile_t t)
{
    double span = 2 * CRS_MERC_EXTENT / (double)((uint64_t)1 << t.z);
    double minx = -CRS_MERC_EXTENT + t.x * span;
    double maxy = CRS_MERC_EXTENT - t.y * span;
    return (bbox_t){minx, maxy - span, minx + span, maxy};
}

bbox_t tile_bounds_lonlat(tile_t t)
{
    bbox_t m = tile_bounds_merc(t);
    double xy[4] = {m.minx, m.miny, m.maxx, m.maxy}, ll[4];
    crs_merc_to_lonlat(xy, ll, 2);
    return (bbox_t){ll[0], ll[1], ll[2], ll[3]};
}

double tile_resolution(double z)
{
    return 2 * CRS_MERC_EXTENT / (TILE_SIZE * pow(2, z));
}

tile_t tile_at(double lon, double lat, int z)
{
    double ll[2] = {lon, lat}, m[2];
    crs_lonlat_to_merc(ll, m, 1);
    double n = (double)((uint64_t)1 << z);
    double fx = (m[0] + CRS_MERC_EXTENT) / (2 * CRS_MERC_EXTENT) * n;
    double fy = (CRS_MERC_EXTENT - m[1]) / (2 * CRS_MERC_EXTENT) * n;
    uint32_t max = (uint32_t)n - 1;
    uint32_t x = fx < 0 ? 0 : fx > max ? max : (uint32_t)fx;
    uint32_t y = fy < 0 ? 0 : fy > max ? max : (uint32_t)fy;
    return (tile_t){z, x, y};
}
