/* SLIC placeholder: replaced by the skimage-equal implementation. */
#include "anchor/segment.h"
void anchor_slic_params_skimage(anchor_slic_params *p)
{
    *p = (anchor_slic_params){100, 10.0, 10, 0.0, {1.0, 1.0}, -1, 1, 0.5, 3.0, 0, 1};
}
void anchor_slic_params_alibi(anchor_slic_params *p)
{
    anchor_slic_params_skimage(p);
    p->n_segments = 10;
    p->sigma = 0.5;
    p->start_label = 0;
}
anchor_status anchor_slic(const anchor_image *image, const anchor_slic_params *p, anchor_image **labels,
                          anchor_error *err)
{
    (void)image; (void)p; *labels = NULL;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "slic is not built yet");
}
