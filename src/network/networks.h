/* The networks of a dataset: where they come from (the project's "network"
 * object resolved to the loaded layers and fields), the default model
 * served as a collection, and the cache of networks built per parameter
 * set. All of it hangs on the dataset as an attachment, so the data stage
 * knows nothing of networks, and a reload starts with a fresh cache. */
#ifndef COOPMAP_NETWORKS_H
#define COOPMAP_NETWORKS_H

#include <stddef.h>

#include "data/dataset.h"
#include "network/network.h"

/* A dataset_hook_fn: resolves project->network against ds's layers, builds
 * the default model and adds it as a layer, and attaches the source and an
 * empty cache. Does nothing for a project without a network. */
int networks_attach(dataset_t *ds, const project_t *project, error_t *err);

/* The resolved source, or NULL when the project has no network. Borrowed
 * from the dataset. */
const network_source_t *networks_source(dataset_t *ds);

/* The network for these parameters: from the dataset's cache, or built and
 * cached. *out is a reference the caller releases with network_unref().
 * ERR_INVALID with a message for parameters that do not fit the data,
 * ERR_NOTFOUND when the project has no network. */
int networks_get(dataset_t *ds, const network_params_t *params, network_t **out, error_t *err);

/* networks_get() whose build, when one is needed, keeps to limits (NULL:
 * none; see network_build_limited()). A cached network is returned
 * whatever it holds: the limits are the service's, the same for every
 * build. */
int networks_get_limited(dataset_t *ds, const network_params_t *params,
                         const network_limits_t *limits, network_t **out, error_t *err);

/* The bytes each dataset's cache may hold (default 64 MiB; the oldest
 * networks go first). Set before serving. */
void networks_set_cache_budget(size_t bytes);
void networks_cache_stats(dataset_t *ds, size_t *bytes, size_t *entries);

#endif
