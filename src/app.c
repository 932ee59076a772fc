#include "app.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"
#include "tiles.h"

struct app {
    pthread_mutex_t lock; /* guards current: held only to swap or ref */
    dataset_t *current;
    char *project_path;
    char *base_url;
    char *frame_ancestors;
    struct tiles *tiles;
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

int app_reload(app_t *app, error_t *err)
{
    project_t *project = NULL;
    dataset_t *fresh = NULL;
    int rc = project_load(app->project_path, &project, err);
    if (rc == ERR_OK) rc = dataset_load(project, &fresh, err);
    if (rc == ERR_OK && app->tiles) rc = tiles_check(app->tiles, fresh, err);
    project_destroy(project);
    if (rc != ERR_OK) {
        dataset_unref(fresh);
        return rc;
    }
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
