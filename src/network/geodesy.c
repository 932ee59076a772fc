#include "network/geodesy.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>

static struct geod_geodesic wgs84;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;

static void init_wgs84(void)
{
    geod_init(&wgs84, 6378137.0, 1 / 298.257223563);
}

geodesy_inverse_t geodesy_inverse(double lon1, double lat1, double lon2, double lat2)
{
    pthread_once(&wgs84_once, init_wgs84);
    geodesy_inverse_t r;
    geod_inverse(&wgs84, lat1, lon1, lat2, lon2, &r.metres, &r.azi1, &r.azi2);
    return r;
}

size_t geodesy_line(double lon1, double lat1, double lon2, double lat2, double max_step,
                    double *out, size_t max_points)
{
    pthread_once(&wgs84_once, init_wgs84);
    struct geod_geodesicline line;
    geod_inverseline(&line, &wgs84, lat1, lon1, lat2, lon2, 0);
    size_t segments = max_step > 0 ? (size_t)ceil(line.s13 / max_step) : 1;
    if (segments < 1) segments = 1;
    if (segments > max_points - 1) segments = max_points - 1;
    for (size_t i = 0; i <= segments; i++) {
        double lat, lon;
        geod_position(&line, line.s13 * (double)i / (double)segments, &lat, &lon, NULL);
        out[2 * i] = lon;
        out[2 * i + 1] = lat;
    }
    /* The ends exactly as given, not as recomputed. */
    out[0] = lon1, out[1] = lat1;
    out[2 * segments] = lon2, out[2 * segments + 1] = lat2;
    return segments + 1;
}
