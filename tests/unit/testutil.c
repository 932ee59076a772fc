#include "testutil.h"

#include <stdio.h>

#include "api/app.h"
#include "data/dataset.h"
#include "data/project.h"
#include <stdlib.h>

static const char *join(const char *env, const char *fallback, const char *name)
{
    static char buf[4096];
    const char *dir = getenv(env);
    snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : fallback, name);
    return buf;
}

const char *fixture_path(const char *name)
{
    return join("COOPMAP_FIXTURES", "tests/fixtures", name);
}

const char *geodata_path(const char *name)
{
    return join("COOPMAP_GEODATA", "geodata", name);
}

dataset_t *load_default_dataset(void)
{
    dataset_t *ds = NULL;
    error_t err = {0};
    if (app_load(geodata_path("coopmap.json"), NULL, &ds, &err) != ERR_OK)
        fprintf(stderr, "%s\n", err.message);
    return ds;
}
