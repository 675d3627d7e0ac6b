/* felzenszwalb placeholder: replaced by the skimage-equal implementation. */
#include "anchor/segment.h"
void anchor_felzenszwalb_params_skimage(anchor_felzenszwalb_params *p)
{
    *p = (anchor_felzenszwalb_params){1.0, 0.8, 20};
}
anchor_status anchor_felzenszwalb(const anchor_image *image, const anchor_felzenszwalb_params *p,
                                  anchor_image **labels, anchor_error *err)
{
    (void)image; (void)p; *labels = NULL;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "felzenszwalb is not built yet");
}
