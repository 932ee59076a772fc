/* Logging to stderr: one line per event, safe from any thread, as text or
 * as JSON lines (one object per line, for log collectors). */
#ifndef COOPMAP_LOG_H
#define COOPMAP_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum { LOG_QUIET = 0, LOG_ERROR = 1, LOG_WARN = 2, LOG_INFO = 3 };

typedef enum log_format { LOG_TEXT, LOG_JSON } log_format_t;

void log_set_level(int level);
void log_set_format(log_format_t format);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)

/* One access-log line (at info level). Strings may come from clients:
 * control characters are replaced in text lines and escaped in JSON. */
typedef struct log_access {
    const char *remote, *method, *target;
    int status;
    size_t bytes;
    double ms;
    bool aborted;
} log_access_t;

void log_access(const log_access_t *a);

#endif
