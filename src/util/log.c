#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"

static int current_level = LOG_INFO;
static log_format_t current_format = LOG_TEXT;
static const char *const level_names[] = {"", "error", "warning", "info"};

void log_set_level(int level)
{
    current_level = level;
}

void log_set_format(log_format_t format)
{
    current_format = format;
}

static void stamp(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char base[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%.20s.%03dZ", base, (int)(ts.tv_nsec / 1000000L % 1000));
}

/* One fputs per line keeps lines from different threads whole. */
static void emit(buf_t *b)
{
    buf_puts(b, "\n");
    if (!b->failed) fputs(b->data, stderr);
    buf_free(b);
}

static void begin_json(buf_t *b, int level)
{
    char when[40];
    stamp(when, sizeof(when));
    buf_printf(b, "{\"time\":\"%s\",\"level\":\"%s\"", when, level_names[level]);
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > current_level) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    buf_t b = BUF_INIT;
    if (current_format == LOG_JSON) {
        begin_json(&b, level);
        buf_puts(&b, ",\"msg\":");
        buf_json_string(&b, line);
        buf_puts(&b, "}");
    } else {
        char when[40];
        stamp(when, sizeof(when));
        buf_printf(&b, "%s %s: %s", when, level_names[level], line);
    }
    emit(&b);
}

/* Client text in a text line: at most 300 bytes, no control characters. */
static void put_text(buf_t *b, const char *s)
{
    size_t n = strnlen(s, 300);
    for (size_t i = 0; i < n; i++) {
        char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        buf_append(b, &c, 1);
    }
}

void log_access(const log_access_t *a)
{
    if (LOG_INFO > current_level) return;
    buf_t b = BUF_INIT;
    if (current_format == LOG_JSON) {
        begin_json(&b, LOG_INFO);
        buf_puts(&b, ",\"msg\":\"access\",\"remote\":");
        buf_json_string(&b, a->remote);
        buf_puts(&b, ",\"method\":");
        buf_json_string(&b, a->method);
        buf_puts(&b, ",\"target\":");
        buf_json_string(&b, a->target);
        buf_printf(&b, ",\"status\":%d,\"bytes\":%zu,\"ms\":%.3f,\"aborted\":%s}", a->status,
                   a->bytes, a->ms, a->aborted ? "true" : "false");
    } else {
        char when[40];
        stamp(when, sizeof(when));
        buf_printf(&b, "%s info: %s \"", when, a->remote);
        put_text(&b, a->method);
        buf_puts(&b, " ");
        put_text(&b, a->target);
        buf_printf(&b, "\" %d %zu %.2fms%s", a->status, a->bytes, a->ms,
                   a->aborted ? " aborted" : "");
    }
    emit(&b);
}
