/* fuzz_numbers: http_parse_numbers() on any text and any max (0..8, the
 * first byte). Checks that the count it returns agrees with a plain
 * reference reading of the list (split on ',', each piece wholly a strtod
 * number without range error), that only v[0..max-1] are written, and that
 * each stored value is exactly what strtod gives for its piece (so finite,
 * or nan/inf as spelled). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

#define MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The piece's value, or -1 if it is not one whole number in range. */
static int piece(const char *s, size_t n, double *out)
{
    char *copy = fuzz_strndup((const unsigned char *)s, n), *end;
    errno = 0;
    *out = strtod(copy, &end);
    int ok = n > 0 && end == copy + n && errno != ERANGE;
    free(copy);
    return ok ? 0 : -1;
}

/* What http_parse_numbers() should return, and the values it should store. */
static int reference(const char *text, double *v, int max)
{
    int count = 0;
    for (const char *p = text;; p++) {
        size_t n = strcspn(p, ",");
        double d;
        if (piece(p, n, &d) != 0) return -1;
        if (count < max) v[count] = d;
        if (++count > max || p[n] == '\0') return count;
        p += n;
    }
}

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int max = data[0] % (MAX + 1);
    char *text = fuzz_strndup(data + 1, size - 1);
    double v[MAX + 1], want[MAX + 1];
    const double canary = 12345.678;
    for (int i = 0; i <= MAX; i++)
        v[i] = want[i] = canary;
    int n = http_parse_numbers(text, v, max);
    int ref = reference(text, want, max);
    if (n != ref) fuzz_fail("'%s' (max %d): returned %d, expected %d", text, max, n, ref);
    if (n != -1 && (n < 1 || n > max + 1))
        fuzz_fail("'%s' (max %d): returned %d, out of range", text, max, n);
    for (int i = 0; i <= MAX; i++) {
        if (i >= max || n < 0 || i >= n) {
            /* Nothing past max is written; on failure earlier slots may
             * hold what was read before the bad piece. */
            if (i >= max && !same(v[i], canary))
                fuzz_fail("'%s' (max %d): v[%d] written past max", text, max, i);
            continue;
        }
        if (!same(v[i], want[i]))
            fuzz_fail("'%s' (max %d): v[%d] = %.17g, strtod says %.17g", text, max, i, v[i],
                      want[i]);
        if (!isfinite(v[i]) && !strpbrk(text, "nNiI"))
            fuzz_fail("'%s': v[%d] = %g without nan or inf in the text", text, i, v[i]);
    }
    free(text);
    return 0;
}
