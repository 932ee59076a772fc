#include "util/arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 2048

struct arena_chunk {
    arena_chunk_t *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(arena_t *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    arena_chunk_t *c = a->chunks;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof(*c) + size);
        if (c == NULL) return NULL;
        c->next = a->chunks;
        c->size = size;
        c->used = 0;
        a->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used += n;
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void arena_free(arena_t *a)
{
    for (arena_chunk_t *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->chunks = NULL;
    a->used = 0;
}
