/* Status codes and the caller-owned error object.
 *
 * Functions that can fail return an int status: 0 on success, one of the
 * negative ERR_* codes otherwise, and write a human-readable detail into an
 * error_t the caller owns (never a global). */
#ifndef COOPMAP_ERROR_H
#define COOPMAP_ERROR_H

enum {
    ERR_OK = 0,
    ERR_NOMEM = -1,
    ERR_IO = -2,       /* file missing or unreadable */
    ERR_FORMAT = -3,   /* not a readable data source, bad JSON */
    ERR_NOTFOUND = -4, /* unknown layer, field, feature */
    ERR_INVALID = -5,  /* bad argument or configuration value */
    ERR_CRS = -6,      /* missing or unusable coordinate reference system */
    ERR_DUPLICATE = -7,
    ERR_EMPTY = -8,
    ERR_GEOMETRY = -9,
    ERR_SYSTEM = -10,  /* socket, thread or other OS failure */
    ERR_TIMEOUT = -11, /* a deadline passed before the work was done */
    ERR_TOOBIG = -12   /* over a configured size or cost limit */
};

typedef struct error {
    int code;
    char message[1024];
} error_t;

/* Static description of a status code. */
const char *error_str(int code);

/* Records code and a printf-style message in err (which may be NULL);
 * returns code so callers can `return error_set(err, ERR_IO, ...)`. */
int error_set(error_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
