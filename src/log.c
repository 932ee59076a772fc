#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int current_level = LOG_INFO;

void log_set_level(int level)
{
    current_level = level;
}

int log_level(void)
{
    return current_level;
}

void log_msg(int level, const char *fmt, ...)
{
    static const char *names[] = {"", "error", "warning", "info"};
    if (level > current_level) return;
    char line[2048];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fputs per line keeps lines from different threads whole. */
    char out[2200];
    snprintf(out, sizeof(out), "%s.%03ldZ %s: %s\n", stamp, ts.tv_nsec / 1000000L, names[level],
             line);
    fputs(out, stderr);
}
