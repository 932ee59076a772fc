/* FNV-1a, 64 bit: a fast fingerprint of bytes (ETags, cache keys, data
 * versions), not a security hash. */
#ifndef COOPMAP_HASH_H
#define COOPMAP_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HASH_FNV_START 0xcbf29ce484222325ULL

/* Continues hash h over data[0..n-1]; start with HASH_FNV_START. */
static inline uint64_t hash_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* The same over a NUL-terminated string (without its NUL). */
static inline uint64_t hash_fnv1a_str(uint64_t h, const char *s)
{
    return hash_fnv1a(h, s, strlen(s));
}

#endif
