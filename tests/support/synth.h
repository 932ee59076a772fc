/* Synthetic data shared by the unit tests and the benchmarks, so both
 * measure and check the same towns. */
#ifndef COOPMAP_SYNTH_H
#define COOPMAP_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "data/layer.h"

/* splitmix64: tiny, good enough, and identical on every platform, so a
 * failing seed reproduces anywhere. */
uint64_t rnd_u64(uint64_t *state);

/* Uniform in [0, 1). */
double rnd_unit(uint64_t *state);

/* A finished "towns" layer of n points spread uniformly over the border
 * area (lon 14.8..17.6, lat 46.0..47.6), fields name ("town i") and
 * country (AT/SI/HU by position), ids "0".."n-1". With dup_every > 0,
 * town i takes town i-1's position when i % dup_every == 5, so ties and
 * coincident points are exercised. The caller owns the layer
 * (layer_destroy); NULL on failure. */
layer_t *synth_towns(size_t n, uint64_t seed, size_t dup_every);

/* Writes a project (project.json in dir, which must exist) whose towns are
 * n synthetic points in the area of synth_towns() with the fields the
 * shipped styles read (name, population, project_partner for one town in
 * 50), beside the shipped regions, countries and rivers of geodata_dir.
 * Names mix lengths and diacritics. Returns the project's path in a
 * static buffer, or NULL when a file cannot be written. */
const char *synth_project(const char *dir, const char *geodata_dir, size_t n, uint64_t seed);

#endif
