/* SPDX-License-Identifier: Apache-2.0 */
/* Front door for photos and arrays: read the whole file, recognise the format by its
 * first bytes (never by the name), and hand the bytes to the PNG, JPEG or .npy reader.
 * Every message names the file. */
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "image/image_internal.h"
#include "image/npy.h"
#include "image/photo.h"

static anchor_status decode_named(anchor_image **out, const unsigned char *bytes, size_t size,
                                  const char *name, anchor_color_mode mode, anchor_error *err)
{
    if (anc_png_sniff(bytes, size))
        return anc_png_decode_photo(out, bytes, size, name, mode, err);
    if (anc_jpeg_sniff(bytes, size))
        return anc_jpeg_decode_photo(out, bytes, size, name, mode, err);
    if (size == 0)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: empty file, not an image", name);
    return anchor_error_set(err, ANCHOR_ERR_FORMAT,
                            "%s: unknown image format (only PNG and JPEG photos are read)", name);
}

anchor_status anchor_image_decode(const void *bytes, size_t size, anchor_color_mode mode, anchor_image **out,
                                  anchor_error *err)
{
    *out = NULL;
    if (!bytes && size)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "<memory>: no bytes to decode");
    return decode_named(out, bytes ? bytes : "", size, "<memory>", mode, err);
}

anchor_status anchor_image_load(const char *path, anchor_color_mode mode, anchor_image **out, anchor_error *err)
{
    *out = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0;
    anchor_status st = anc_read_file(path, &bytes, &size, ANCHOR_PHOTO_MAX_FILE_BYTES, err);
    if (st)
        return st;
    st = decode_named(out, bytes, size, path, mode, err);
    free(bytes);
    return st;
}

anchor_status anchor_image_load_any(const char *path, anchor_color_mode mode, anchor_image **out,
                                    anchor_error *err)
{
    /* read once and sniff the bytes: standard input cannot be opened twice */
    *out = NULL;
    unsigned char *bytes = NULL;
    size_t size = 0;
    anchor_status st = anc_read_file(path, &bytes, &size, (size_t)ANCHOR_MAX_BYTES + 4096, err);
    if (st)
        return st;
    if (size >= 6 && memcmp(bytes, "\x93NUMPY", 6) == 0)
        st = anc_npy_decode_image(out, bytes, size, path, err);
    else if (size > ANCHOR_PHOTO_MAX_FILE_BYTES)
        st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: larger than the %zu-byte limit for a photo", path,
                              (size_t)ANCHOR_PHOTO_MAX_FILE_BYTES);
    else
        st = decode_named(out, bytes, size, path, mode, err);
    free(bytes);
    return st;
}
