/* grid placeholder. */
#include "anchor/segment.h"
anchor_status anchor_grid(int64_t height, int64_t width, const anchor_grid_params *p, anchor_image **labels,
                          anchor_error *err)
{
    (void)height; (void)width; (void)p; *labels = NULL;
    return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "grid is not built yet");
}
