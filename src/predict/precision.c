/* SPDX-License-Identifier: Apache-2.0 */
/* The names of anchor_precision, for the command line and the C API alike.
 *
 * Built with or without the ONNX engine (one ABI): a program may parse --precision before
 * it knows whether the library can run a model at all. */
#include <stddef.h>
#include <strings.h>

#include "anchor/onnx.h"

anchor_status anchor_precision_parse(const char *text, anchor_precision *out, anchor_error *err)
{
    if (text && !strcasecmp(text, "fp32")) {
        *out = ANCHOR_PRECISION_FP32;
        return ANCHOR_OK;
    }
    if (text && !strcasecmp(text, "bf16")) {
        *out = ANCHOR_PRECISION_BF16;
        return ANCHOR_OK;
    }
    return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "unknown precision '%s' (fp32, bf16)",
                            text ? text : "(null)");
}

const char *anchor_precision_name(anchor_precision p)
{
    return p == ANCHOR_PRECISION_BF16 ? "bf16" : p == ANCHOR_PRECISION_FP32 ? "fp32" : "unknown";
}
