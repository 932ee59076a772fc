/* Monotonic time and deadlines: how long work may take, checked by the
 * work itself at points where stopping is safe. */
#ifndef COOPMAP_CLOCK_H
#define COOPMAP_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
static inline int64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A point in monotonic time; 0 means "no deadline". Passed by value. */
typedef struct deadline {
    int64_t at_ns;
} deadline_t;

#define DEADLINE_NONE ((deadline_t){0})

static inline deadline_t deadline_in(double seconds)
{
    return (deadline_t){clock_now_ns() + (int64_t)(seconds * 1e9)};
}

static inline bool deadline_passed(deadline_t d)
{
    return d.at_ns != 0 && clock_now_ns() >= d.at_ns;
}

#endif
