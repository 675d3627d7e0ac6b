/* PNG placeholder: replaced by the libpng implementation. */
#include "image/codec.h"
anchor_status anchor_png_load_raw(anchor_image **out, const char *path, anchor_error *err)
{
    *out = NULL;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: PNG reading is not built yet", path);
}
anchor_status anchor_png_save(const anchor_image *image, const char *path, anchor_error *err)
{
    (void)image;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: PNG writing is not built yet", path);
}
