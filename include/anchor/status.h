/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: status codes and error messages.
 *
 * Every fallible call returns an anchor_status and, when it fails, writes a one-line
 * human-readable message into the caller's anchor_error (which may be NULL when the caller
 * does not want the text). There is no global "last error": the message lives where the
 * caller put it, so concurrent calls never clobber each other. */
#ifndef ANCHOR_STATUS_H
#define ANCHOR_STATUS_H

#include "anchor/export.h"
#include "anchor/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum anchor_status {
    ANCHOR_OK = 0,
    ANCHOR_ERR_INVALID_ARGUMENT, /* a parameter out of range, a bad flag, wrong shapes */
    ANCHOR_ERR_IO,               /* a file or pipe could not be opened, read or written */
    ANCHOR_ERR_FORMAT,           /* corrupt, truncated or malformed input data */
    ANCHOR_ERR_UNSUPPORTED,      /* valid input that this version does not handle */
    ANCHOR_ERR_LIMIT,            /* sizes beyond a documented limit */
    ANCHOR_ERR_NOMEM,            /* allocation failed */
    ANCHOR_ERR_PREDICTOR,        /* the classifier failed or answered wrongly */
    ANCHOR_ERR_TIMEOUT,          /* the classifier did not answer in time */
    ANCHOR_ERR_INTERNAL          /* a bug: please report it */
} anchor_status;

#define ANCHOR_ERROR_MESSAGE_MAX 1024

typedef struct anchor_error {
    anchor_status status;
    char message[ANCHOR_ERROR_MESSAGE_MAX];
} anchor_error;

/* A short constant name for a status, e.g. "invalid argument". */
ANCHOR_API const char *anchor_status_name(anchor_status status);

/* Record a failure: sets err->status and formats err->message (printf-style), then
 * returns status, so that `return anchor_error_set(err, ANCHOR_ERR_IO, "...")` reads well.
 * Safe with err == NULL. User predictor callbacks use it to report their own failures. */
ANCHOR_API anchor_status anchor_error_set(anchor_error *err, anchor_status status, const char *fmt, ...)
    ANCHOR_PRINTF(3, 4);

/* Put "context: " in front of an existing message, e.g. the file name. Returns err->status. */
ANCHOR_API anchor_status anchor_error_prefix(anchor_error *err, const char *fmt, ...)
    ANCHOR_PRINTF(2, 3);

ANCHOR_API void anchor_error_clear(anchor_error *err);

/* The version of the library linked, "MAJOR.MINOR.PATCH" (the headers' is ANCHOR_VERSION_STRING). */
ANCHOR_API const char *anchor_version(void);

#ifdef __cplusplus
}
#endif
#endif
