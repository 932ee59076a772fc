/* Helpers shared by the unit tests. */
#ifndef COOPMAP_TESTUTIL_H
#define COOPMAP_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* Returns "$COOPMAP_FIXTURES/name" in a static buffer (tests are
 * single-threaded). */
const char *fixture_path(const char *name);

/* Returns "$COOPMAP_GEODATA/name" in a static buffer. */
const char *geodata_path(const char *name);

struct dataset;

/* Loads the shipped default project (geodata/coopmap.json); NULL after
 * printing the error. The caller releases it with dataset_unref(). */
struct dataset *load_default_dataset(void);

/* rnd_u64, rnd_unit, synth_towns: shared with the benchmarks. */
#include "synth.h"

/* |a - b| <= eps for doubles, with both values in the failure message
 * (cmocka 1.1.5 has no double comparison). Needs <cmocka.h> first. */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.12g, %s = %.12g, differ by more than %g", #a, a_, #b, b_,             \
                     (double)(eps));                                                               \
    } while (0)

#endif
