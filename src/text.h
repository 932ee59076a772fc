/* Text matching for names typed by people: "ormoz", "ORMOŽ" and "Ormož"
 * are the same town. */
#ifndef COOPMAP_TEXT_H
#define COOPMAP_TEXT_H

#include <stddef.h>

/* Writes s folded to lower case without diacritics (Latin letters of
 * U+00C0..U+017F mapped to their base letter, ß to ss) into out (size
 * bytes, always NUL-terminated). Other characters pass through. */
void text_fold(const char *s, char *out, size_t size);

/* Equal after folding? */
int text_equal_folded(const char *a, const char *b);

#endif
