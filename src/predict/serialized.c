/* SPDX-License-Identifier: Apache-2.0 */
/* A predictor that lets one thread at a time into another: the pipe and the ONNX engine each
 * answer one batch at a time, so concurrent explanations (batch jobs) share them through this
 * door rather than each locking on its own. */
#include <pthread.h>
#include <stdlib.h>

#include "anchor/predict.h"

typedef struct serialized {
    anchor_predictor *inner;
    pthread_mutex_t lock;
} serialized;

static anchor_status serialized_predict(void *user, const anchor_image *batch, anchor_prediction *out,
                                        anchor_error *err)
{
    serialized *s = user;
    pthread_mutex_lock(&s->lock);
    anchor_status st = anchor_predictor_predict(s->inner, batch, out, err);
    pthread_mutex_unlock(&s->lock);
    return st;
}

static void serialized_destroy(void *user)
{
    serialized *s = user;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

anchor_status anchor_predictor_create_serialized(anchor_predictor *inner, anchor_predictor **out,
                                                 anchor_error *err)
{
    *out = NULL;
    if (!inner)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "no predictor to share");
    serialized *s = calloc(1, sizeof *s);
    if (!s)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    s->inner = inner;
    pthread_mutex_init(&s->lock, NULL);
    anchor_status st = anchor_predictor_create_callback(serialized_predict, s, serialized_destroy, out, err);
    if (st)
        serialized_destroy(s);
    return st;
}
