/* Geodesics on the WGS84 ellipsoid with PROJ's implementation of Karney's
 * algorithms (geodesic.h). The ellipsoid object is set up once and only
 * read afterwards, so every function here is safe from any thread. */
#ifndef COOPMAP_GEODESY_H
#define COOPMAP_GEODESY_H

#include <stddef.h>

typedef struct geodesy_inverse {
    double metres; /* along the geodesic */
    double azi1;   /* initial azimuth at the first point, degrees from north */
    double azi2;   /* final azimuth at the second point (forward, not back) */
} geodesy_inverse_t;

/* The geodesic between two lon/lat points (degrees). */
geodesy_inverse_t geodesy_inverse(double lon1, double lat1, double lon2, double lat2);

/* Writes points along the geodesic, both ends included, no two more than
 * max_step metres apart, as lon/lat pairs into out (room for max_points
 * points, at least 2). Returns the number of points written. */
size_t geodesy_line(double lon1, double lat1, double lon2, double lat2, double max_step,
                    double *out, size_t max_points);

#endif
