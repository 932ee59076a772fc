/* A bump allocator for memory that lives exactly as long as one request:
 * many small allocations, one arena_reset() or arena_free() at the end. */
#ifndef COOPMAP_ARENA_H
#define COOPMAP_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk_t;

typedef struct arena {
    arena_chunk_t *chunks; /* newest first */
    size_t used;           /* bytes handed out, over every chunk */
} arena_t;

#define ARENA_INIT                                                                                 \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* n bytes aligned for any type, owned by the arena; NULL when out of
 * memory. */
void *arena_alloc(arena_t *a, size_t n);

/* A NUL-terminated copy of s[0..n-1] in the arena (s may hold NULs: the
 * copy keeps them). NULL when out of memory. */
char *arena_strndup(arena_t *a, const char *s, size_t n);

/* Frees every chunk; the arena is empty and usable again. */
void arena_free(arena_t *a);

#endif
