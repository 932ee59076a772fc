/* Text matching for names typed by people: "ormoz", "ORMOŽ" and "Ormož"
 * are the same town. */
#ifndef COOPMAP_TEXT_H
#define COOPMAP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Writes s folded to lower case without diacritics (Latin letters of
 * U+00C0..U+017F mapped to their base letter, ß to ss) into out (size
 * bytes, always NUL-terminated). Other characters pass through. */
void text_fold(const char *s, char *out, size_t size);

/* text_fold() with a choice: lower case (lower), and base letters for the
 * Latin letters of U+00C0..U+017F (unaccent; their case kept). For CQL2's
 * CASEI and ACCENTI. */
void text_fold_as(const char *s, bool lower, bool unaccent, char *out, size_t size);

/* strdup() that passes NULL through. The caller frees the copy. */
char *text_dup(const char *s);

/* Walks a comma-separated list such as "SI,AT": returns the next item
 * (not NUL-terminated; its length in *len, possibly 0 for ",,") and moves
 * *cursor past it and its comma; NULL at the end. A trailing comma ends
 * the list. Items point into the caller's string. */
const char *text_list_next(const char **cursor, size_t *len);

/* Equal after folding? */
int text_equal_folded(const char *a, const char *b);

/* Is s[0..n-1] well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF)? NUL bytes count as valid here;
 * callers that must refuse them check separately. */
int text_utf8_valid(const char *s, size_t n);

/* A malloc'd copy of s in which every byte that does not belong to
 * well-formed UTF-8 is replaced by U+FFFD (the caller frees); NULL when
 * out of memory. */
char *text_utf8_repair(const char *s);

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 if the bytes
 * at s[0..n-1] do not start one. */
size_t text_utf8_seq(const unsigned char *s, size_t n);

#endif
