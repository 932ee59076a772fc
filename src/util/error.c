#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *error_str(int code)
{
    switch (code) {
    case ERR_OK:
        return "ok";
    case ERR_NOMEM:
        return "out of memory";
    case ERR_IO:
        return "cannot read";
    case ERR_FORMAT:
        return "unreadable format";
    case ERR_NOTFOUND:
        return "not found";
    case ERR_INVALID:
        return "invalid value";
    case ERR_CRS:
        return "coordinate reference system problem";
    case ERR_DUPLICATE:
        return "duplicate";
    case ERR_EMPTY:
        return "empty";
    case ERR_GEOMETRY:
        return "invalid geometry";
    case ERR_SYSTEM:
        return "system error";
    case ERR_TIMEOUT:
        return "deadline passed";
    case ERR_TOOBIG:
        return "over a limit";
    }
    return "unknown error";
}

int error_set(error_t *err, int code, const char *fmt, ...)
{
    if (err == NULL) return code;
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}
