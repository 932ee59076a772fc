#include "util/text.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Base letters for U+00C0..U+017F, in code point order; '?' passes the
 * character through unchanged. */
static const char latin1[] = "aaaaaaaceeeeiiii"      /* C0-CF */
                             "dnooooo?ouuuuyts"      /* D0-DF: D7 is x-sign, DE thorn, DF sharp s */
                             "aaaaaaaceeeeiiii"      /* E0-EF */
                             "dnooooo?ouuuuyty";     /* F0-FF */
static const char latin_ext_a[] = "aaaaaaccccccccdd" /* 100-10F */
                                  "ddeeeeeeeeeegggg" /* 110-11F */
                                  "gggghhhhiiiiiiii" /* 120-12F */
                                  "ii??jjkkklllllll" /* 130-13F: IJ ligatures pass */
                                  "lllnnnnnnnnnoooo" /* 140-14F */
                                  "oo??rrrrrrssssss" /* 150-15F: OE ligatures pass */
                                  "ssttttttuuuuuuuu" /* 160-16F */
                                  "uuuuwwyyyzzzzzzs"; /* 170-17F */

static char fold_code(unsigned cp)
{
    if (cp >= 0xC0 && cp <= 0xFF) return latin1[cp - 0xC0];
    if (cp >= 0x100 && cp <= 0x17F) return latin_ext_a[cp - 0x100];
    return '?';
}

void text_fold(const char *s, char *out, size_t size)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n + 2 < size) {
        if (p[0] >= 0xC2 && p[0] <= 0xC5 && (p[1] & 0xC0) == 0x80) {
            unsigned cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            char base = fold_code(cp);
            if (cp == 0xDF) { /* ß */
                out[n++] = 's';
                out[n++] = 's';
                p += 2;
                continue;
            }
            if (base != '?') {
                out[n++] = base;
                p += 2;
                continue;
            }
        }
        unsigned char c = *p++;
        out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
}

/* Is U+00C0..U+017F code point cp an upper-case letter? */
static bool latin_upper(unsigned cp)
{
    if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;
    if (cp >= 0x100 && cp <= 0x137) return cp % 2 == 0;
    if (cp >= 0x139 && cp <= 0x148) return cp % 2 == 1;
    if (cp >= 0x14A && cp <= 0x177) return cp % 2 == 0;
    return cp == 0x178 || (cp >= 0x179 && cp <= 0x17E && cp % 2 == 1);
}

/* Its lower-case letter (the code point itself when it has none). */
static unsigned latin_lower(unsigned cp)
{
    if (!latin_upper(cp)) return cp;
    if (cp <= 0xDE) return cp + 0x20;
    if (cp == 0x178) return 0xFF;
    return cp == 0x130 ? 'i' : cp + 1;
}

static size_t put_cp(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    out[0] = (char)(0xC0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
}

void text_fold_as(const char *s, bool lower, bool unaccent, char *out, size_t size)
{
    if (lower && unaccent) {
        text_fold(s, out, size);
        return;
    }
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n + 3 < size) {
        if (p[0] >= 0xC3 && p[0] <= 0xC5 && (p[1] & 0xC0) == 0x80) {
            unsigned cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            char base = cp >= 0xC0 ? fold_code(cp) : '?';
            if (unaccent && base != '?' && cp != 0xDF && cp != 0xDE && cp != 0xFE) {
                out[n++] = latin_upper(cp) ? (char)(base - 32) : base;
            } else {
                n += put_cp(lower ? latin_lower(cp) : cp, out + n);
            }
            p += 2;
            continue;
        }
        unsigned char c = *p++;
        out[n++] = (char)(lower && c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
}

const char *text_list_next(const char **cursor, size_t *len)
{
    const char *p = *cursor;
    if (p == NULL || *p == '\0') return NULL;
    *len = strcspn(p, ",");
    *cursor = p + *len + (p[*len] == ',');
    return p;
}

char *text_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

int text_equal_folded(const char *a, const char *b)
{
    char fa[256], fb[256];
    text_fold(a, fa, sizeof(fa));
    text_fold(b, fb, sizeof(fb));
    return strcmp(fa, fb) == 0;
}

size_t text_utf8_seq(const unsigned char *s, size_t n)
{
    if (n == 0) return 0;
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    if (len == 0 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    /* The second byte's range rules out overlongs, surrogates and > U+10FFFF. */
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

int text_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { /* ASCII runs are the common case */
            i++;
            continue;
        }
        size_t len = text_utf8_seq(p + i, n - i);
        if (len == 0) return 0;
        i += len;
    }
    return 1;
}

char *text_utf8_repair(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1); /* each bad byte may become 3 */
    if (out == NULL) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t len = text_utf8_seq((const unsigned char *)s + i, n - i);
        if (len) {
            memcpy(out + k, s + i, len);
            k += len, i += len;
        } else {
            memcpy(out + k, "\xEF\xBF\xBD", 3);
            k += 3, i++;
        }
    }
    out[k] = '\0';
    return out;
}
