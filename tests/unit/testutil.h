/* Helpers shared by the unit tests. */
#ifndef COOPMAP_TESTUTIL_H
#define COOPMAP_TESTUTIL_H

/* Returns "$COOPMAP_FIXTURES/name" in a static buffer (tests are
 * single-threaded). */
const char *fixture_path(const char *name);

/* Returns "$COOPMAP_GEODATA/name" in a static buffer. */
const char *geodata_path(const char *name);

#endif
