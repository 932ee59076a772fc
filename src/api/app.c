#include "api/app.h"
#include "api/wms.h"
#include "data/crs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "data/project.h"
#include "data/tilesets.h"
#include "network/networks.h"
#include "render/tiles.h"

struct app {
    pthread_mutex_t lock; /* guards current: held only to swap or ref */
    dataset_t *current;
    char *project_path;
    char *base_url;
    char *frame_ancestors;
    struct tiles *tiles;
    struct pool *pools[2];
    app_limits_t limits;
    atomic_uint_fast64_t reloads_ok, reloads_failed;
    atomic_bool stopping;
    time_t started_at;
};

app_t *app_create(const char *project_path, dataset_t *ds)
{
    app_t *app = calloc(1, sizeof(*app));
    if (app == NULL || (app->project_path = strdup(project_path)) == NULL) {
        free(app);
        return NULL;
    }
    pthread_mutex_init(&app->lock, NULL);
    app->current = ds;
    app->started_at = time(NULL);
    app->limits = (app_limits_t)APP_LIMITS_DEFAULT;
    crs_reserve(wms_crs_list); /* what GetCapabilities lists always works */
    return app;
}

app_t *app_destroy(app_t *app)
{
    if (app == NULL) return NULL;
    dataset_unref(app->current);
    pthread_mutex_destroy(&app->lock);
    free(app->project_path);
    free(app->base_url);
    free(app->frame_ancestors);
    free(app);
    return NULL;
}

dataset_t *app_acquire(app_t *app)
{
    pthread_mutex_lock(&app->lock);
    dataset_t *ds = dataset_ref(app->current);
    pthread_mutex_unlock(&app->lock);
    return ds;
}

int app_load(const char *project_path, const struct tiles *tiles, dataset_t **out, error_t *err)
{
    static const dataset_hook_fn hooks[] = {networks_attach, tilesets_attach};
    project_t *project = NULL;
    *out = NULL;
    int rc = project_load(project_path, &project, err);
    if (rc == ERR_OK) rc = dataset_load_with(project, hooks, 2, out, err);
    if (rc == ERR_OK && tiles) rc = tiles_check(tiles, *out, err);
    for (size_t i = 0; rc == ERR_OK && tiles && i < tilesets_count(*out); i++)
        if (tiles_style(tiles, tilesets_at(*out, i)->id))
            rc = error_set(err, ERR_DUPLICATE, "tile set '%s' has the id of a style",
                           tilesets_at(*out, i)->id);
    if (rc == ERR_OK && tiles) tiles_prepare(tiles, *out);
    project_destroy(project);
    if (rc != ERR_OK) {
        dataset_unref(*out);
        *out = NULL;
    }
    return rc;
}

int app_reload(app_t *app, error_t *err)
{
    dataset_t *fresh = NULL;
    int rc = app_load(app->project_path, app->tiles, &fresh, err);
    if (rc != ERR_OK) {
        atomic_fetch_add(&app->reloads_failed, 1);
        return rc;
    }
    atomic_fetch_add(&app->reloads_ok, 1);
    pthread_mutex_lock(&app->lock);
    dataset_t *old = app->current;
    app->current = fresh;
    pthread_mutex_unlock(&app->lock);
    dataset_unref(old); /* freed when its last request finishes */
    return ERR_OK;
}

time_t app_started_at(const app_t *app)
{
    return app->started_at;
}

int app_set_base_url(app_t *app, const char *base_url)
{
    free(app->base_url);
    app->base_url = NULL;
    if (base_url == NULL) return ERR_OK;
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/') /* links append "/collections" etc. */
        n--;
    app->base_url = strndup(base_url, n);
    return app->base_url ? ERR_OK : ERR_NOMEM;
}

const char *app_base_url(const app_t *app)
{
    return app->base_url;
}

void app_set_tiles(app_t *app, struct tiles *tiles)
{
    app->tiles = tiles;
}

struct tiles *app_tiles(const app_t *app)
{
    return app->tiles;
}

int app_set_frame_ancestors(app_t *app, const char *sources)
{
    free(app->frame_ancestors);
    app->frame_ancestors = sources ? strdup(sources) : NULL;
    return sources && app->frame_ancestors == NULL ? ERR_NOMEM : ERR_OK;
}

const char *app_frame_ancestors(const app_t *app)
{
    return app->frame_ancestors;
}

void app_reloads(const app_t *app, uint64_t *ok, uint64_t *failed)
{
    *ok = atomic_load(&app->reloads_ok);
    *failed = atomic_load(&app->reloads_failed);
}

void app_set_stopping(app_t *app)
{
    atomic_store(&app->stopping, true);
}

bool app_stopping(const app_t *app)
{
    return atomic_load(&app->stopping);
}

void app_set_limits(app_t *app, const app_limits_t *limits)
{
    app->limits = *limits;
}

const app_limits_t *app_limits(const app_t *app)
{
    return &app->limits;
}

void app_set_pools(app_t *app, struct pool *tiles, struct pool *heavy)
{
    app->pools[0] = tiles;
    app->pools[1] = heavy;
}

struct pool *app_pool(const app_t *app, bool heavy)
{
    return app->pools[heavy];
}
