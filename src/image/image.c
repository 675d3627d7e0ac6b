/* SPDX-License-Identifier: Apache-2.0 */
/* The NHWC image/array handle (include/anchor/image.h). Sizes are validated against the
 * documented limits before any allocation, so absurd headers fail cleanly. A handle
 * either owns its pixels or borrows the caller's (anchor_image_wrap, so a front end such
 * as the Python package hands over a NumPy buffer without a copy); every stage reads
 * both alike, only destroy tells them apart. */
#include "image/image_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t anchor_dtype_size(anchor_dtype dtype)
{
    switch (dtype) {
    case ANCHOR_DTYPE_U8: return 1;
    case ANCHOR_DTYPE_U16: return 2;
    case ANCHOR_DTYPE_I32: return 4;
    case ANCHOR_DTYPE_I64: return 8;
    case ANCHOR_DTYPE_F32: return 4;
    case ANCHOR_DTYPE_F64: return 8;
    }
    return 0;
}

const char *anchor_dtype_name(anchor_dtype dtype)
{
    switch (dtype) {
    case ANCHOR_DTYPE_U8: return "uint8";
    case ANCHOR_DTYPE_U16: return "uint16";
    case ANCHOR_DTYPE_I32: return "int32";
    case ANCHOR_DTYPE_I64: return "int64";
    case ANCHOR_DTYPE_F32: return "float32";
    case ANCHOR_DTYPE_F64: return "float64";
    }
    return "unknown";
}

anchor_status anc_image_check_shape(int64_t n, int64_t h, int64_t w, int64_t c,
                                       anchor_dtype dtype, anchor_error *err)
{
    size_t es = anchor_dtype_size(dtype);
    if (es == 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "unknown dtype %d", (int)dtype);
    if (n < 1 || h < 1 || w < 1 || c < 1)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                "empty image shape %lldx%lldx%lldx%lld (every dimension must be >= 1)",
                                (long long)n, (long long)h, (long long)w, (long long)c);
    if (h > ANCHOR_MAX_DIM || w > ANCHOR_MAX_DIM || h * w > ANCHOR_MAX_PIXELS)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                "image of %lldx%lld pixels is beyond the limit (%d per side, %lld in all)",
                                (long long)w, (long long)h, ANCHOR_MAX_DIM, ANCHOR_MAX_PIXELS);
    if (c > ANCHOR_MAX_CHANNELS)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%lld channels is beyond the limit of %d",
                                (long long)c, ANCHOR_MAX_CHANNELS);
    long double bytes = (long double)n * h * w * c * es;
    if (bytes > (long double)ANCHOR_MAX_BYTES)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%lld images of %lldx%lldx%lld is beyond the %lld-byte limit",
                                (long long)n, (long long)h, (long long)w, (long long)c, ANCHOR_MAX_BYTES);
    return ANCHOR_OK;
}

anchor_status anchor_image_create(int64_t n, int64_t h, int64_t w, int64_t c, anchor_dtype dtype, anchor_image **out,
                                  anchor_error *err)
{
    *out = NULL;
    anchor_status st = anc_image_check_shape(n, h, w, c, dtype, err);
    if (st)
        return st;
    anchor_image *img = calloc(1, sizeof *img);
    size_t bytes = (size_t)n * (size_t)h * (size_t)w * (size_t)c * anchor_dtype_size(dtype);
    void *data = img ? calloc(1, bytes) : NULL;
    if (!data) {
        free(img);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "cannot allocate %zu bytes for a %lldx%lldx%lldx%lld image",
                                bytes, (long long)n, (long long)h, (long long)w, (long long)c);
    }
    img->n = n;
    img->h = h;
    img->w = w;
    img->c = c;
    img->dtype = dtype;
    img->data = data;
    *out = img;
    return ANCHOR_OK;
}

anchor_status anchor_image_wrap(void *data, int64_t n, int64_t h, int64_t w, int64_t c, anchor_dtype dtype,
                                anchor_image **out, anchor_error *err)
{
    *out = NULL;
    if (!data)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "image wrap: no pixel buffer (NULL)");
    anchor_status st = anc_image_check_shape(n, h, w, c, dtype, err);
    if (st)
        return st;
    /* the stages read pixels through typed pointers */
    if ((uintptr_t)data % anchor_dtype_size(dtype))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "image wrap: a %s buffer must be aligned to %zu bytes, this one is at %p",
                                anchor_dtype_name(dtype), anchor_dtype_size(dtype), data);
    anchor_image *img = calloc(1, sizeof *img);
    if (!img)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for an image handle");
    *img = (anchor_image){n, h, w, c, dtype, data, true};
    *out = img;
    return ANCHOR_OK;
}

anchor_status anchor_image_clone(const anchor_image *src, anchor_image **out, anchor_error *err)
{
    anchor_status st = anchor_image_create(src->n, src->h, src->w, src->c, src->dtype, out, err);
    if (st == ANCHOR_OK)
        memcpy((*out)->data, src->data, anchor_image_nbytes(src));
    return st;
}

anchor_status anchor_image_slice(const anchor_image *batch, int64_t index, anchor_image **out, anchor_error *err)
{
    *out = NULL;
    if (index < 0 || index >= batch->n)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "image %lld of a batch of %lld",
                                (long long)index, (long long)batch->n);
    anchor_status st = anchor_image_create(1, batch->h, batch->w, batch->c, batch->dtype, out, err);
    if (st)
        return st;
    size_t one = anchor_image_nbytes(*out);
    memcpy((*out)->data, (const unsigned char *)batch->data + one * (size_t)index, one);
    return ANCHOR_OK;
}

/* One element of any dtype as a double: exact for every integer dtype we hold and for
 * both float dtypes, so converting through it rounds once, like NumPy's astype. */
static double element(const void *data, anchor_dtype dtype, size_t i)
{
    switch (dtype) {
    case ANCHOR_DTYPE_U8: return ((const uint8_t *)data)[i];
    case ANCHOR_DTYPE_U16: return ((const uint16_t *)data)[i];
    case ANCHOR_DTYPE_I32: return ((const int32_t *)data)[i];
    case ANCHOR_DTYPE_I64: return (double)((const int64_t *)data)[i];
    case ANCHOR_DTYPE_F32: return ((const float *)data)[i];
    case ANCHOR_DTYPE_F64: return ((const double *)data)[i];
    }
    return 0;
}

anchor_status anchor_image_convert(const anchor_image *src, anchor_dtype dtype, anchor_image **out,
                                   anchor_error *err)
{
    *out = NULL;
    if (dtype == src->dtype)
        return anchor_image_clone(src, out, err);
    if (dtype != ANCHOR_DTYPE_F32 && dtype != ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                                "image convert: %s to %s is not supported (only to float32 or float64)",
                                anchor_dtype_name(src->dtype), anchor_dtype_name(dtype));
    anchor_status st = anchor_image_create(src->n, src->h, src->w, src->c, dtype, out, err);
    if (st)
        return st;
    size_t count = (size_t)src->n * (size_t)src->h * (size_t)src->w * (size_t)src->c;
    if (dtype == ANCHOR_DTYPE_F32) {
        float *dst = (*out)->data;
        if (src->dtype == ANCHOR_DTYPE_I64) /* int64 -> float32 rounds once, straight from the integer */
            for (size_t i = 0; i < count; i++)
                dst[i] = (float)((const int64_t *)src->data)[i];
        else
            for (size_t i = 0; i < count; i++)
                dst[i] = (float)element(src->data, src->dtype, i);
    } else {
        double *dst = (*out)->data;
        for (size_t i = 0; i < count; i++)
            dst[i] = element(src->data, src->dtype, i);
    }
    return ANCHOR_OK;
}

anchor_status anchor_image_stack(const anchor_image *const *images, int64_t count, anchor_image **out,
                                 anchor_error *err)
{
    *out = NULL;
    if (count < 1 || !images)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "image stack: no images to stack");
    const anchor_image *first = images[0];
    int64_t total = 0;
    for (int64_t k = 0; k < count; k++) {
        const anchor_image *im = images[k];
        if (!im)
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "image stack: image %lld is NULL", (long long)k);
        if (im->h != first->h || im->w != first->w || im->c != first->c || im->dtype != first->dtype)
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                    "image stack: image %lld is %lldx%lldx%lld %s but image 0 is %lldx%lldx%lld %s "
                                    "(HxWxC)",
                                    (long long)k, (long long)im->h, (long long)im->w, (long long)im->c,
                                    anchor_dtype_name(im->dtype), (long long)first->h, (long long)first->w,
                                    (long long)first->c, anchor_dtype_name(first->dtype));
        total += im->n;
    }
    anchor_status st = anchor_image_create(total, first->h, first->w, first->c, first->dtype, out, err);
    if (st)
        return st;
    unsigned char *dst = (*out)->data;
    for (int64_t k = 0; k < count; k++) {
        memcpy(dst, images[k]->data, anchor_image_nbytes(images[k]));
        dst += anchor_image_nbytes(images[k]);
    }
    return ANCHOR_OK;
}

void anchor_image_destroy(anchor_image *image)
{
    if (image) {
        if (!image->borrowed)
            free(image->data);
        free(image);
    }
}

int64_t anchor_image_count(const anchor_image *image) { return image->n; }
int64_t anchor_image_height(const anchor_image *image) { return image->h; }
int64_t anchor_image_width(const anchor_image *image) { return image->w; }
int64_t anchor_image_channels(const anchor_image *image) { return image->c; }
anchor_dtype anchor_image_dtype(const anchor_image *image) { return image->dtype; }
void *anchor_image_data(anchor_image *image) { return image->data; }
const void *anchor_image_cdata(const anchor_image *image) { return image->data; }

size_t anchor_image_nbytes(const anchor_image *image)
{
    return (size_t)image->n * (size_t)image->h * (size_t)image->w * (size_t)image->c *
           anchor_dtype_size(image->dtype);
}

anchor_status anchor_image_check_finite(const anchor_image *image, const char *what, anchor_error *err)
{
    if (image->dtype != ANCHOR_DTYPE_F32 && image->dtype != ANCHOR_DTYPE_F64)
        return ANCHOR_OK;
    size_t count = (size_t)(image->n * image->h * image->w * image->c);
    for (size_t i = 0; i < count; i++) {
        double v = image->dtype == ANCHOR_DTYPE_F32 ? (double)((const float *)image->data)[i]
                                                    : ((const double *)image->data)[i];
        if (isfinite(v))
            continue;
        size_t c = i % (size_t)image->c, x = i / (size_t)image->c % (size_t)image->w;
        size_t y = i / (size_t)(image->c * image->w) % (size_t)image->h;
        size_t k = i / (size_t)(image->c * image->w * image->h);
        char where[64] = "";
        if (image->n > 1)
            snprintf(where, sizeof where, "image %zu, ", k);
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "%s has a non-finite value (%g) at %srow %zu, column %zu, channel %zu; pixels must be "
                                "finite numbers",
                                what, v, where, y, x, c);
    }
    return ANCHOR_OK;
}
