#include "testutil.h"

#include <stdio.h>
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
