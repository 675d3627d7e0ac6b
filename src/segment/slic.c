/* SPDX-License-Identifier: Apache-2.0 */
/* SLIC superpixels with the labels of scikit-image 0.19.3's segmentation.slic.
 *
 * SLIC (Achanta et al. 2012) is k-means on (position, colour) with each centre looking
 * only at a window around itself. skimage's version, which we follow step by step
 * because a single different label changes alibi's anchor:
 *   1. img_as_float (uint8 -> u * (1/255) in float64; float32 stays float32), then the
 *      whole image is shifted to min 0 and divided by its max (if non-zero).
 *   2. 3-channel images go to CIE-Lab (colour.c), unless convert2lab is false.
 *   3. Seeds sit on util.regular_grid((1, H, W), n_segments); the window half-widths are
 *      2 * the steps of a *second* regular_grid call with the number of seeds found, and
 *      the spatial weight is 1 / S^2 with S = the largest step of the first call.
 *   4. sigma > 0: scipy's gaussian_filter with sigma / spacing on depth, rows and columns
 *      (gaussian.c), then every value times 1 / compactness.
 *   5. max_num_iter rounds of: every centre k (in index order) claims the pixels of its
 *      window whose distance ((dz + dy + dx) * w_s + |colour - c_k|^2, spacing-scaled
 *      offsets, SLIC-zero dividing the colour part by the centre's running maximum) is
 *      strictly below the best so far; then every centre becomes the mean of its pixels,
 *      summed in raster order. The "nothing changed" exit never fires in skimage (the
 *      distances are reset each round), so all rounds run.
 *   6. Connectivity (enforce_connectivity): a raster scan starts a breadth-first flood of
 *      each unvisited same-label 4-connected component (capped at max_size pixels); a
 *      component below min_size takes the label of the last differently-labelled
 *      neighbour it touched; others get the next label from start_label on.
 * All arithmetic is in the image's float type (float32 for float32 images), in skimage's
 * order of operations, so the results are equal bit for bit.
 *
 * Speed (skimage's loops are compiled Cython too): colour channels are stored planar, the
 * assignment runs over bands of rows with all centres per band (slic_kmeans.h), and its
 * row loop is vectorised, with an AVX2 / AVX-512 clone picked at run time on x86-64.
 * Colours of uint8 images go through a per-colour cache (colour.c). */
#include "anchor/segment.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"
#include "segment/filters.h"

void anchor_slic_params_skimage(anchor_slic_params *p)
{
    *p = (anchor_slic_params){100, 10.0, 10, 0.0, {1.0, 1.0}, -1, true, 0.5, 3.0, false, 1};
}

void anchor_slic_params_default(anchor_slic_params *p) { anchor_slic_params_skimage(p); }

void anchor_slic_params_alibi(anchor_slic_params *p)
{
    anchor_slic_params_skimage(p);
    p->n_segments = 10;
    p->sigma = 0.5;
    p->start_label = 0;
}

/* ---- util.regular_grid --------------------------------------------------------------
 * Steps of about (size / n)^(1/ndim) per axis; an axis shorter than its step is taken
 * whole and the others recomputed. Axes are handled in increasing length (a stable sort,
 * like numpy's argsort on three values). start = floor(step / 2), step = round half even. */
typedef struct slic_grid {
    int64_t start[3], step[3];
    double step_f[3]; /* the float steps skimage's _get_grid_centroids reports */
} slic_grid;

static void regular_grid(const int64_t shape[3], int64_t n_points, slic_grid *g)
{
    double space = (double)(shape[0] * shape[1] * shape[2]);
    if (space <= (double)n_points) {
        for (int i = 0; i < 3; i++) {
            g->start[i] = 0;
            g->step[i] = 1;
            g->step_f[i] = 1.0;
        }
        return;
    }
    int order[3] = {0, 1, 2};
    for (int i = 1; i < 3; i++) /* stable insertion sort */
        for (int j = i; j > 0 && shape[order[j - 1]] > shape[order[j]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double sorted[3], steps[3];
    for (int i = 0; i < 3; i++) {
        sorted[i] = (double)shape[order[i]];
        steps[i] = pow(space / (double)n_points, 1.0 / 3);
    }
    if (sorted[0] < steps[0] || sorted[1] < steps[1] || sorted[2] < steps[2]) {
        for (int dim = 0; dim < 2; dim++) {
            steps[dim] = sorted[dim];
            double rest = 1;
            for (int j = dim + 1; j < 3; j++)
                rest *= sorted[j];
            for (int j = dim + 1; j < 3; j++)
                steps[j] = pow(rest / (double)n_points, 1.0 / (double)(3 - dim - 1));
            if (sorted[0] >= steps[0] && sorted[1] >= steps[1] && sorted[2] >= steps[2])
                break;
        }
    }
    for (int i = 0; i < 3; i++) {
        int axis = order[i];
        g->start[axis] = (int64_t)floor(steps[i] / 2);
        g->step[axis] = (int64_t)rint(steps[i]);
        g->step_f[axis] = (double)g->step[axis];
    }
}

/* ---- k-means, once per float type ---------------------------------------------------- */

typedef struct slic_run {
    int64_t h, w, c;         /* image size; depth is 1 */
    int64_t n_centres;       /* seeds */
    int64_t win[3];          /* window half-steps (second regular_grid) */
    int max_iter, slic_zero;
    int32_t *label;          /* k per pixel, -1 = never assigned */
} slic_run;

/* The inner loop for 3 channels: one row of a centre's window. Written so that the
 * compiler vectorises it (restrict, branch-free select, squared column offsets from a
 * table); the operations per pixel are exactly skimage's. On x86-64 GCC also builds AVX2
 * and AVX-512 clones chosen at run time. Fused multiply-adds would round differently:
 * AVX2 alone has none, and contraction is switched off for these functions (ISO C mode
 * does too), so every lane rounds exactly as the scalar code does; the fixture tests
 * pass with each clone. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(ANCHOR_NO_CLONES)
#define SLIC_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=off")))
#else
#define SLIC_CLONES
#endif

#define DEFINE_ROW_KERNELS(T, SUFFIX)                                                                            \
    SLIC_CLONES static void assign_row3_##SUFFIX(                                                               \
        const T *restrict p0, const T *restrict p1, const T *restrict p2, const T *restrict dx2, T *restrict drow, \
        int32_t *restrict lrow, int64_t x0, int64_t x1, T dzy, T sw, const T *colour, int32_t k)                 \
    {                                                                                                           \
        const T c0 = colour[0], c1 = colour[1], c2 = colour[2];                                                 \
        for (int64_t x = x0; x < x1; x++) {                                                                     \
            T d = (dzy + dx2[x]) * sw;                                                                          \
            T t0 = p0[x] - c0, t1 = p1[x] - c1, t2 = p2[x] - c2;                                                \
            T col = t0 * t0;                                                                                    \
            col += t1 * t1;                                                                                     \
            col += t2 * t2;                                                                                     \
            d += col;                                                                                           \
            T old = drow[x];                                                                                    \
            int32_t l = lrow[x];                                                                                \
            drow[x] = old > d ? d : old;                                                                        \
            lrow[x] = old > d ? k : l;                                                                          \
        }                                                                                                       \
    }                                                                                                           \
    SLIC_CLONES static void assign_row3_zero_##SUFFIX(                                                          \
        const T *restrict p0, const T *restrict p1, const T *restrict p2, const T *restrict dx2, T *restrict drow, \
        int32_t *restrict lrow, int64_t x0, int64_t x1, T dzy, T sw, const T *colour, T max_colour, int32_t k)   \
    {                                                                                                           \
        const T c0 = colour[0], c1 = colour[1], c2 = colour[2];                                                 \
        for (int64_t x = x0; x < x1; x++) {                                                                     \
            T d = (dzy + dx2[x]) * sw;                                                                          \
            T t0 = p0[x] - c0, t1 = p1[x] - c1, t2 = p2[x] - c2;                                                \
            T col = t0 * t0;                                                                                    \
            col += t1 * t1;                                                                                     \
            col += t2 * t2;                                                                                     \
            col /= max_colour;                                                                                  \
            d += col;                                                                                           \
            T old = drow[x];                                                                                    \
            int32_t l = lrow[x];                                                                                \
            drow[x] = old > d ? d : old;                                                                        \
            lrow[x] = old > d ? k : l;                                                                          \
        }                                                                                                       \
    }

DEFINE_ROW_KERNELS(double, f64)
DEFINE_ROW_KERNELS(float, f32)

#define SLIC_BAND_ROWS 16

/* Scratch for k-means: exact float64 coordinate sums, squared column offsets. */
typedef struct scratch_f64 {
    int64_t *ysum, *xsum;
    double *dx2;
} scratch_f64;
typedef struct scratch_f32 {
    int64_t *ysum, *xsum;
    float *dx2;
} scratch_f32;

#define T double
#define S(name) name##_f64
#define T_MAX DBL_MAX
#define SLIC_EXACT_INT_COORDS
#include "segment/slic_kmeans.h"
#undef SLIC_EXACT_INT_COORDS
#undef T_MAX
#undef S
#undef T

#define T float
#define S(name) name##_f32
#define T_MAX INFINITY
#include "segment/slic_kmeans.h"
#undef T_MAX
#undef S
#undef T


/* ---- connectivity ------------------------------------------------------------------- */

/* skimage's _enforce_label_connectivity_cython on a depth-1 volume. seg holds the k-means
 * labels (k + start_label, start_label - 1 for "none"); out receives the new labels. */
static anchor_status enforce_connectivity(const int32_t *seg, int32_t *out, int64_t h, int64_t w, int64_t min_size,
                                          int64_t max_size, int start_label, anchor_error *err)
{
    const int32_t none = start_label - 1;
    int64_t cap = max_size > 1 ? max_size : 1;
    if (cap > h * w)
        cap = h * w;
    int64_t *queue = malloc((size_t)cap * sizeof *queue);
    if (!queue)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (slic connectivity)");
    for (int64_t i = 0; i < h * w; i++)
        out[i] = none;
    int32_t next_label = (int32_t)start_label;
    static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            int64_t start = y * w + x;
            if (seg[start] == none || out[start] > none)
                continue;
            int32_t adjacent = next_label, label = seg[start];
            out[start] = next_label;
            int64_t size = 1, visited = 0;
            queue[0] = start;
            while (visited < size && size < max_size) {
                int64_t py = queue[visited] / w, px = queue[visited] % w;
                for (int i = 0; i < 4; i++) {
                    int64_t yy = py + dy[i], xx = px + dx[i];
                    if (xx < 0 || xx >= w || yy < 0 || yy >= h)
                        continue;
                    int64_t q = yy * w + xx;
                    if (seg[q] == label && out[q] == none) {
                        out[q] = next_label;
                        queue[size++] = q;
                        if (size >= max_size)
                            break;
                    } else if (out[q] > none && out[q] != next_label) {
                        adjacent = out[q];
                    }
                }
                visited++;
            }
            if (size < min_size) {
                for (int64_t i = 0; i < size; i++)
                    out[queue[i]] = adjacent;
            } else {
                next_label++;
            }
        }
    free(queue);
    return ANCHOR_OK;
}

/* ---- driver ------------------------------------------------------------------------- */

static anchor_status check_params(const anchor_image *im, const anchor_slic_params *p, anchor_error *err)
{
    if (im->n != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic takes one image, not a batch of %lld",
                                (long long)im->n);
    if (im->c < 1 || im->c > ANCHOR_MAX_CHANNELS)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "slic: %lld channels", (long long)im->c);
    if (im->dtype != ANCHOR_DTYPE_U8 && im->dtype != ANCHOR_DTYPE_U16 && im->dtype != ANCHOR_DTYPE_F32 &&
        im->dtype != ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "slic: %s images are not supported (uint8, uint16, "
                                "float32, float64)", anchor_dtype_name(im->dtype));
    if (p->n_segments <= 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic: n_segments must be > 0, not %d",
                                p->n_segments);
    if (!(p->compactness > 0) || !isfinite(p->compactness))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic: compactness must be > 0, not %g",
                                p->compactness);
    if (p->max_num_iter < 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic: max_num_iter must be >= 0");
    if (!(p->sigma >= 0) || !isfinite(p->sigma))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic: sigma must be >= 0, not %g", p->sigma);
    for (int i = 0; i < 2; i++)
        if (!(p->spacing[i] > 0) || !isfinite(p->spacing[i]))
            return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic: spacing must be > 0");
    if (p->convert2lab == 1 && im->c != 3)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "slic: convert2lab needs an RGB image, not %lld channels", (long long)im->c);
    if (p->start_label != 0 && p->start_label != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic: start_label must be 0 or 1");
    if (!(p->min_size_factor >= 0) || !(p->max_size_factor > 0) || !isfinite(p->min_size_factor) ||
        !isfinite(p->max_size_factor))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "slic: min_size_factor must be >= 0 and max_size_factor > 0");
    return ANCHOR_OK;
}

/* img_as_float + the global rescale to [0, 1], then rgb2lab, interleaved H x W x C. */
/* uint8 RGB to Lab planes: the 256 possible values are rescaled once, and colour.c
 * converts each distinct colour once; writes planes[0..2]. */
static void u8_to_lab_planes(const anchor_image *im, double *const planes[3])
{
    size_t n = (size_t)(im->h * im->w * im->c);
    const uint8_t *src = im->data;
    uint8_t lo = 255, hi = 0;
    for (size_t i = 0; i < n; i++) {
        lo = src[i] < lo ? src[i] : lo;
        hi = src[i] > hi ? src[i] : hi;
    }
    double value[256];
    double vmin = lo * (1.0 / 255), vmax = hi * (1.0 / 255) - vmin;
    for (int v = 0; v < 256; v++) {
        value[v] = v * (1.0 / 255) - vmin;
        if (vmax != 0)
            value[v] /= vmax;
    }
    anc_seg_rgb2lab_u8_f64(src, (size_t)(im->h * im->w), value, planes);
}

/* skimage's slic rescales a float image to [0, 1] in place: minus its minimum, then divided
 * by the new maximum unless that is 0, each in the image's own float type. */
#define DEFINE_RESCALE_UNIT(T, SUFFIX)                  \
    static void rescale_unit_##SUFFIX(T *out, size_t n) \
    {                                                   \
        T lo = out[0], hi;                              \
        for (size_t i = 1; i < n; i++)                  \
            lo = out[i] < lo ? out[i] : lo;             \
        for (size_t i = 0; i < n; i++)                  \
            out[i] -= lo;                               \
        hi = out[0];                                    \
        for (size_t i = 1; i < n; i++)                  \
            hi = out[i] > hi ? out[i] : hi;             \
        if (hi != 0)                                    \
            for (size_t i = 0; i < n; i++)              \
                out[i] /= hi;                           \
    }
DEFINE_RESCALE_UNIT(double, f64)
DEFINE_RESCALE_UNIT(float, f32)

static void to_float_f64(const anchor_image *im, int lab, double *out)
{
    size_t n = (size_t)(im->h * im->w * im->c);
    for (size_t i = 0; i < n; i++) {
        switch (im->dtype) {
        case ANCHOR_DTYPE_U8: out[i] = ((const uint8_t *)im->data)[i] * (1.0 / 255); break;
        case ANCHOR_DTYPE_U16: out[i] = ((const uint16_t *)im->data)[i] * (1.0 / 65535); break;
        default: out[i] = ((const double *)im->data)[i]; break;
        }
    }
    rescale_unit_f64(out, n);
    if (lab)
        anc_seg_rgb2lab_f64(out, (size_t)(im->h * im->w));
}

static void to_float_f32(const anchor_image *im, int lab, float *out)
{
    size_t n = (size_t)(im->h * im->w * im->c);
    memcpy(out, im->data, n * sizeof *out);
    rescale_unit_f32(out, n);
    if (lab)
        anc_seg_rgb2lab_f32(out, (size_t)(im->h * im->w));
}

static int has_non_finite(const anchor_image *im)
{
    size_t n = (size_t)(im->h * im->w * im->c);
    if (im->dtype == ANCHOR_DTYPE_F32) {
        for (size_t i = 0; i < n; i++)
            if (!isfinite(((const float *)im->data)[i]))
                return 1;
    } else if (im->dtype == ANCHOR_DTYPE_F64) {
        for (size_t i = 0; i < n; i++)
            if (!isfinite(((const double *)im->data)[i]))
                return 1;
    }
    return 0;
}

anchor_status anchor_slic(const anchor_image *image, const anchor_slic_params *p, anchor_image **labels,
                          anchor_error *err)
{
    *labels = NULL;
    anchor_status st = check_params(image, p, err);
    if (st)
        return st;
    if (has_non_finite(image))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "slic: the image has NaN or infinite values");
    const int64_t h = image->h, w = image->w, nc = image->c, npix = h * w;
    const int single = image->dtype == ANCHOR_DTYPE_F32;
    const size_t tsize = single ? sizeof(float) : sizeof(double);
    const int lab = nc == 3 && p->convert2lab != 0;

    /* seeds and steps */
    const int64_t shape[3] = {1, h, w};
    slic_grid seeds, windows;
    regular_grid(shape, p->n_segments, &seeds);
    int64_t ny = (h - seeds.start[1] + seeds.step[1] - 1) / seeds.step[1];
    int64_t nx = (w - seeds.start[2] + seeds.step[2] - 1) / seeds.step[2];
    int64_t nk = ny * nx; /* depth 1: one seed plane */
    regular_grid(shape, nk, &windows);
    double step = seeds.step_f[0];
    for (int i = 1; i < 3; i++)
        step = seeds.step_f[i] > step ? seeds.step_f[i] : step;
    const float step_f = (float)step; /* _slic_cython takes `float step` */

    slic_run run = {.h = h, .w = w, .c = nc, .n_centres = nk, .max_iter = p->max_num_iter,
                    .slic_zero = p->slic_zero};
    for (int i = 0; i < 3; i++)
        run.win[i] = windows.step[i];

    const int64_t nf = 3 + nc;
    void *img = single ? malloc((size_t)(npix * nc) * tsize) : NULL; /* float32: interleaved work copy */
    void *planar = malloc((size_t)(npix * nc) * tsize);
    void *dist = malloc((size_t)npix * tsize);
    void *segs = malloc((size_t)(nk * nf) * tsize);
    void *maxc = malloc((size_t)nk * tsize);
    int64_t *count = malloc((size_t)nk * sizeof *count);
    int64_t(*box)[4] = malloc((size_t)nk * sizeof *box);
    run.label = malloc((size_t)npix * sizeof *run.label);
    scratch_f64 sums = {malloc((size_t)nk * sizeof(int64_t)), malloc((size_t)nk * sizeof(int64_t)),
                        malloc((size_t)w * sizeof(double))}; /* (the float32 run reuses these) */
    int32_t *final = NULL;
    if ((single && !img) || !planar || !dist || !segs || !maxc || !count || !box || !run.label || !sums.ysum ||
        !sums.xsum || !sums.dx2) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (slic on %lldx%lld)", (long long)h, (long long)w);
        goto done;
    }
    for (int64_t i = 0; i < npix; i++)
        run.label[i] = -1;

    if (single) {
        float *im = img, *pl = planar, *sg = segs;
        float sp[3] = {1.0f, (float)p->spacing[0], (float)p->spacing[1]};
        to_float_f32(image, lab, im);
        if (p->sigma > 0) {
            double sig[3];
            for (int i = 0; i < 3; i++)
                sig[i] = (double)((float)p->sigma / sp[i]);
            if ((st = anc_seg_gaussian_zyx_f32(im, h, w, nc, sig, 1, err)))
                goto done;
        }
        const float ratio = (float)(1.0 / p->compactness);
        for (int64_t i = 0; i < npix; i++)
            for (int64_t ch = 0; ch < nc; ch++)
                pl[ch * npix + i] = im[i * nc + ch] * ratio;
        int64_t k = 0;
        for (int64_t y = seeds.start[1]; y < h; y += seeds.step[1])
            for (int64_t x = seeds.start[2]; x < w; x += seeds.step[2], k++) {
                float *ck = sg + k * nf;
                ck[0] = 0.0f;
                ck[1] = (float)y;
                ck[2] = (float)x;
                for (int64_t ch = 0; ch < nc; ch++)
                    ck[3 + ch] = 0.0f;
            }
        float *chan[ANCHOR_MAX_CHANNELS];
        for (int64_t ch = 0; ch < nc; ch++)
            chan[ch] = pl + ch * npix;
        const float sw = (float)(1.0 / (double)(step_f * step_f));
        float *xs = malloc((size_t)w * sizeof *xs);
        if (!xs) {
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (slic)");
            goto done;
        }
        for (int64_t x = 0; x < w; x++)
            xs[x] = (float)x;
        scratch_f32 sums32 = {sums.ysum, sums.xsum, (float *)sums.dx2};
        kmeans_f32(&run, chan, xs, sg, sw, sp, dist, maxc, count, box, &sums32);
        free(xs);
    } else {
        double *pl = planar, *sg = segs;
        double sp[3] = {1.0, p->spacing[0], p->spacing[1]};
        double *chan[ANCHOR_MAX_CHANNELS];
        for (int64_t ch = 0; ch < nc; ch++)
            chan[ch] = pl + ch * npix;
        /* straight to channel planes: each channel is filtered on its own anyway, so
         * filtering the planes one by one gives the same values */
        if (image->dtype == ANCHOR_DTYPE_U8 && lab) {
            u8_to_lab_planes(image, chan);
        } else {
            double *im = malloc((size_t)(npix * nc) * sizeof *im);
            if (!im) {
                st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (slic)");
                goto done;
            }
            to_float_f64(image, lab, im);
            for (int64_t i = 0; i < npix; i++)
                for (int64_t ch = 0; ch < nc; ch++)
                    chan[ch][i] = im[i * nc + ch];
            free(im);
        }
        if (p->sigma > 0) {
            double sig[3];
            for (int i = 0; i < 3; i++)
                sig[i] = p->sigma / sp[i];
            for (int64_t ch = 0; ch < nc; ch++)
                if ((st = anc_seg_gaussian_zyx_f64(chan[ch], h, w, 1, sig, 0, err)))
                    goto done;
        }
        const double ratio = 1.0 / p->compactness;
        for (int64_t i = 0; i < npix * nc; i++)
            pl[i] *= ratio;
        int64_t k = 0;
        for (int64_t y = seeds.start[1]; y < h; y += seeds.step[1])
            for (int64_t x = seeds.start[2]; x < w; x += seeds.step[2], k++) {
                double *ck = sg + k * nf;
                ck[0] = 0.0;
                ck[1] = (double)y;
                ck[2] = (double)x;
                for (int64_t ch = 0; ch < nc; ch++)
                    ck[3 + ch] = 0.0;
            }
        const double sw = 1.0 / (double)(step_f * step_f);
        double *xs = malloc((size_t)w * sizeof *xs);
        if (!xs) {
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory (slic)");
            goto done;
        }
        for (int64_t x = 0; x < w; x++)
            xs[x] = (double)x;
        kmeans_f64(&run, chan, xs, sg, sw, sp, dist, maxc, count, box, &sums);
        free(xs);
    }

    if ((st = anchor_image_create(1, h, w, 1, ANCHOR_DTYPE_I32, labels, err)))
        goto done;
    final = (*labels)->data;
    for (int64_t i = 0; i < npix; i++)
        run.label[i] += p->start_label; /* -1 (never assigned) becomes skimage's start_label - 1 */
    if (p->enforce_connectivity) {
        double segment_size = (double)npix / (double)nk;
        int64_t min_size = (int64_t)(p->min_size_factor * segment_size);
        int64_t max_size = (int64_t)(p->max_size_factor * segment_size);
        st = enforce_connectivity(run.label, final, h, w, min_size, max_size, p->start_label, err);
        if (st) {
            anchor_image_destroy(*labels);
            *labels = NULL;
        }
    } else {
        memcpy(final, run.label, (size_t)npix * sizeof *final);
    }
done:
    free(img);
    free(planar);
    free(dist);
    free(segs);
    free(maxc);
    free(count);
    free(box);
    free(run.label);
    free(sums.ysum);
    free(sums.xsum);
    free(sums.dx2);
    return st;
}
