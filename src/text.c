#include "text.h"

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

int text_equal_folded(const char *a, const char *b)
{
    char fa[256], fb[256];
    text_fold(a, fa, sizeof(fa));
    text_fold(b, fb, sizeof(fb));
    return strcmp(fa, fb) == 0;
}
