/* The service's endpoints: the route table and its handlers. Handlers read
 * the dataset and encode responses; they never touch sockets. */
#ifndef COOPMAP_API_H
#define COOPMAP_API_H

#include <stddef.h>

#include "http.h"

/* The route table (static); handlers expect an app_t * as ctx. */
const http_route_t *api_routes(size_t *count);

#endif
