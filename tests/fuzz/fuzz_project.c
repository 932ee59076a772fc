/* fuzz_project: project_load_text() on any text, as if it were a file in
 * geodata/ (relative sources and the attribution file resolve there). A
 * refusal has a message; an accepted project has a title, one or more
 * layers with distinct well-formed ids and a source each, an attribution
 * when it named a file, and the network defaults filled in. Nothing is
 * loaded from the sources. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "data/project.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The attribution file is read: only names without a '/' are let through
 * (files and directories of geodata/, and ".."), so the fuzzer cannot open
 * devices or FIFOs elsewhere. Returns -1 to skip, else whether it names
 * one. */
static int attribution_file(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    const char *name = json_string_value(json_object_get(root, "attribution_file"));
    int rc = name == NULL ? 0 : strchr(name, '/') ? -1 : 1;
    json_decref(root);
    return rc;
}

static void check(const project_t *p, const char *path)
{
    if (p->path == NULL || strcmp(p->path, path) != 0 || p->title == NULL)
        fuzz_fail("no path or title");
    if (p->nlayers == 0) fuzz_fail("no layers");
    for (size_t i = 0; i < p->nlayers; i++) {
        const layer_spec_t *s = &p->layers[i];
        if (s->id == NULL || s->id[0] == '\0' ||
            strspn(s->id, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s->id))
            fuzz_fail("layer %zu: bad id", i);
        if (s->source == NULL) fuzz_fail("layer %zu: no source", i);
        for (size_t k = 0; k < s->nattributes; k++)
            if (s->attributes[k] == NULL) fuzz_fail("layer %zu: attribute %zu is NULL", i, k);
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->layers[k].id, s->id) == 0) fuzz_fail("id '%s' twice", s->id);
    }
    const network_spec_t *n = p->network;
    if (n && (!n->nodes || !n->name_field || !n->country_field || !n->from_field || !n->to_field ||
              !n->collection || !n->title || !n->model))
        fuzz_fail("network defaults missing");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int named = attribution_file(data, size);
    if (named < 0) return 0;
    char path[4096];
    snprintf(path, sizeof(path), "%s", fuzz_path("geodata/fuzz-project.json"));
    project_t *p = NULL;
    error_t err = {0};
    int rc = project_load_text((const char *)data, size, path, &p, &err);
    if (rc != ERR_OK) {
        if (p != NULL || rc >= 0 || err.message[0] == '\0')
            fuzz_fail("refused %d without a message", rc);
        return 0;
    }
    check(p, path);
    if (named && p->attribution == NULL) fuzz_fail("attribution file named but not read");
    project_destroy(p);
    return 0;
}
