/* quickshift placeholder: replaced by the skimage-equal implementation. */
#include "anchor/segment.h"
void anchor_quickshift_params_skimage(anchor_quickshift_params *p)
{
    *p = (anchor_quickshift_params){1.0, 5.0, 10.0, 0.0, 1, 42};
}
anchor_status anchor_quickshift(const anchor_image *image, const anchor_quickshift_params *p, anchor_image **labels,
                                anchor_error *err)
{
    (void)image; (void)p; *labels = NULL;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "quickshift is not built yet");
}
