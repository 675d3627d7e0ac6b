/* SPDX-License-Identifier: Apache-2.0 */
/* Status names and error-message formatting (see include/anchor/status.h). */
#include "anchor/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *anchor_status_name(anchor_status status)
{
    switch (status) {
    case ANCHOR_OK: return "ok";
    case ANCHOR_ERR_INVALID_ARGUMENT: return "invalid argument";
    case ANCHOR_ERR_IO: return "i/o error";
    case ANCHOR_ERR_FORMAT: return "malformed input";
    case ANCHOR_ERR_UNSUPPORTED: return "unsupported";
    case ANCHOR_ERR_LIMIT: return "limit exceeded";
    case ANCHOR_ERR_NOMEM: return "out of memory";
    case ANCHOR_ERR_PREDICTOR: return "predictor failed";
    case ANCHOR_ERR_TIMEOUT: return "timeout";
    case ANCHOR_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

anchor_status anchor_error_set(anchor_error *err, anchor_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

anchor_status anchor_error_prefix(anchor_error *err, const char *fmt, ...)
{
    if (!err)
        return ANCHOR_ERR_INTERNAL;
    char prefix[ANCHOR_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* prefix + ": " + message, cut to the buffer */
    char old[ANCHOR_ERROR_MESSAGE_MAX];
    memcpy(old, err->message, sizeof old);
    size_t n = strlen(prefix), cap = sizeof err->message - 1;
    if (n > cap)
        n = cap;
    memcpy(err->message, prefix, n);
    for (const char *t = ": "; *t && n < cap; t++)
        err->message[n++] = *t;
    for (const char *t = old; *t && n < cap; t++)
        err->message[n++] = *t;
    err->message[n] = '\0';
    return err->status;
}

void anchor_error_clear(anchor_error *err)
{
    if (err) {
        err->status = ANCHOR_OK;
        err->message[0] = '\0';
    }
}

const char *anchor_version(void) { return ANCHOR_VERSION_STRING; }
