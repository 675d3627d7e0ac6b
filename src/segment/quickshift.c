/* Quick shift superpixels, label for label equal to scikit-image 0.19.3's quickshift.
 *
 * Quick shift (Vedaldi & Soatto, 2008) is mode seeking in the joint (colour, row, col)
 * space. skimage computes it as follows, and so do we:
 *   1. img_as_float (uint8 -> float64 as v * (1/255); float32 stays float32), rgb2lab when
 *      convert2lab, a Gaussian of sigma along rows and columns when sigma > 0, then every
 *      value times ratio (in the image's float type).
 *   2. densities start as numpy.random.default_rng(random_seed).normal(scale=1e-5,
 *      size=(H, W)), cast to the float type: tie-breaking noise (numpy_pcg64.c).
 *   3. density(p) += exp(-d(p, q) / (2 kernel_size^2)) for every q in the (2w+1)^2 window
 *      around p, w = ceil(3 kernel_size), clipped to the image, in raster order of q, where
 *      d = sum over channels of (p_c - q_c)^2, then + (row difference)^2, then + (column
 *      difference)^2, each step rounded in the float type.
 *   4. parent(p) = the q in the window with density(q) > density(p) at the smallest d (the
 *      first such q in raster order on ties), or p itself; a parent farther than max_dist
 *      (sqrt(d) > max_dist, compared in the float type) is dropped.
 *   5. Every pixel is labelled by the root of its tree, and the roots are numbered in
 *      raster order (np.unique(..., return_inverse=True)).
 *
 * Floating point must match to the last bit, since density comparisons decide the trees.
 * Two facts make step 3 about twice as fast without changing a bit: d(p, q) == d(q, p)
 * exactly (the differences only change sign before being squared), and p's window, read
 * in raster order, lists first the pixels before p, then p (exp(0) = 1), then those after
 * it. So we visit pixels in raster order and, at pixel q, compute each term shared with a
 * later pixel p once and add it to both running sums: every running sum still receives
 * its terms in skimage's order. exp is libm's, the same one skimage's compiled Cython
 * calls. For float32 images skimage's Cython keeps densities in float32 and adds each
 * double exp() to them in double before rounding: we do the same.
 *
 * Parameter checks follow skimage (kernel_size >= 1; random_seed a non-negative C int);
 * ratio must be in [0, 1] as documented. */
#include "anchor/segment.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"
#include "segment/filters.h"
#include "segment/numpy_pcg64.h"

void anchor_quickshift_params_skimage(anchor_quickshift_params *p)
{
    *p = (anchor_quickshift_params){1.0, 5.0, 10.0, 0.0, 1, 42};
}

/* Steps 3 and 4 for one float type. T is float or double; the exp term is always double
 * and is added to T densities in double, rounding once (C's compound assignment). */
#define QS_DEFINE_CORE(SUFFIX, T, BIG)                                                                            \
    static void qs_densities_##SUFFIX(const T *img, int64_t h, int64_t w, int64_t nc, int64_t kw, T inv_k2,   \
                                      T *dens)                                                                  \
    {                                                                                                          \
        for (int64_t r = 0; r < h; r++) {                                                                      \
            int64_t r_max = r + kw + 1 < h ? r + kw + 1 : h;                                                   \
            for (int64_t c = 0; c < w; c++) {                                                                  \
                int64_t c_min = c - kw > 0 ? c - kw : 0, c_max = c + kw + 1 < w ? c + kw + 1 : w;              \
                const T *pq = img + (r * w + c) * nc;                                                          \
                T *dq = dens + r * w + c;                                                                      \
                double acc = (double)*dq + 1.0; /* the term of q itself: exp(-0) */                            \
                T sq = (T)acc;                                                                                 \
                for (int64_t r2 = r; r2 < r_max; r2++) {                                                       \
                    int64_t c_from = r2 == r ? c + 1 : c_min;                                                  \
                    T tr = (T)(r - r2);                                                                        \
                    T dr2 = tr * tr;                                                                           \
                    const T *pp = img + (r2 * w + c_from) * nc;                                                \
                    T *dp = dens + r2 * w + c_from;                                                            \
                    for (int64_t c2 = c_from; c2 < c_max; c2++, pp += nc, dp++) {                              \
                        T dist = 0;                                                                            \
                        if (nc == 3) {                                                                         \
                            T t0 = pq[0] - pp[0], t1 = pq[1] - pp[1], t2 = pq[2] - pp[2];                      \
                            dist += t0 * t0;                                                                   \
                            dist += t1 * t1;                                                                   \
                            dist += t2 * t2;                                                                   \
                        } else {                                                                               \
                            for (int64_t ch = 0; ch < nc; ch++) {                                              \
                                T t = pq[ch] - pp[ch];                                                         \
                                dist += t * t;                                                                 \
                            }                                                                                  \
                        }                                                                                      \
                        dist += dr2;                                                                           \
                        T tc = (T)(c - c2);                                                                    \
                        dist += tc * tc;                                                                       \
                        double e = exp(dist * inv_k2);                                                         \
                        sq = (T)((double)sq + e);                                                              \
                        *dp = (T)((double)*dp + e);                                                            \
                    }                                                                                          \
                }                                                                                              \
                *dq = sq;                                                                                      \
            }                                                                                                  \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    static void qs_parents_##SUFFIX(const T *img, int64_t h, int64_t w, int64_t nc, int64_t kw, const T *dens, \
                                    T max_dist, int64_t *parent)                                               \
    {                                                                                                          \
        for (int64_t r = 0; r < h; r++) {                                                                      \
            int64_t r_min = r - kw > 0 ? r - kw : 0, r_max = r + kw + 1 < h ? r + kw + 1 : h;                  \
            for (int64_t c = 0; c < w; c++) {                                                                  \
                int64_t c_min = c - kw > 0 ? c - kw : 0, c_max = c + kw + 1 < w ? c + kw + 1 : w;              \
                int64_t self = r * w + c, best = self;                                                         \
                const T *pq = img + self * nc;                                                                 \
                T current = dens[self];                                                                        \
                T closest = BIG;                                                                               \
                for (int64_t r2 = r_min; r2 < r_max; r2++) {                                                   \
                    T tr = (T)(r - r2);                                                                        \
                    T dr2 = tr * tr;                                                                           \
                    for (int64_t c2 = c_min; c2 < c_max; c2++) {                                               \
                        if (!(dens[r2 * w + c2] > current))                                                    \
                            continue;                                                                          \
                        const T *pp = img + (r2 * w + c2) * nc;                                                \
                        T dist = 0;                                                                            \
                        for (int64_t ch = 0; ch < nc; ch++) {                                                  \
                            T t = pq[ch] - pp[ch];                                                             \
                            dist += t * t;                                                                     \
                        }                                                                                      \
                        dist += dr2;                                                                           \
                        T tc = (T)(c - c2);                                                                    \
                        dist += tc * tc;                                                                       \
                        if (dist < closest) {                                                                  \
                            closest = dist;                                                                    \
                            best = r2 * w + c2;                                                                \
                        }                                                                                      \
                    }                                                                                          \
                }                                                                                              \
                T dist_parent = (T)sqrt((double)closest);                                                      \
                parent[self] = dist_parent > max_dist ? self : best;                                           \
            }                                                                                                  \
        }                                                                                                      \
    }

/* skimage starts the search at DBL_MAX; in float32 that becomes +inf. */
QS_DEFINE_CORE(f64, double, DBL_MAX)
QS_DEFINE_CORE(f32, float, INFINITY)

/* Roots of the parent forest numbered in raster order. Parents always have a strictly
 * higher density, so following them terminates. */
static anchor_status qs_label_roots(int64_t *parent, int64_t n, int32_t *out, anchor_error *err)
{
    /* number the roots first: label of root = its rank among roots in raster order */
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (parent[i] == i) {
            if (k >= ANCHOR_MAX_SEGMENTS)
                return anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                        "quickshift: more than %d segments; raise kernel_size or max_dist",
                                        ANCHOR_MAX_SEGMENTS);
            out[i] = (int32_t)k++;
        }
    for (int64_t i = 0; i < n; i++) {
        int64_t root = i;
        while (parent[root] != root)
            root = parent[root];
        /* compress the path so later pixels stop early */
        for (int64_t j = i; parent[j] != root && j != root;) {
            int64_t next = parent[j];
            parent[j] = root;
            j = next;
        }
        out[i] = out[root];
    }
    return ANCHOR_OK;
}

/* ceil(3 kernel_size) as an integer; windows are clipped to the image, so any radius
 * beyond its size acts like the size (and cannot overflow). */
static int64_t window_radius(double r, int64_t h, int64_t w)
{
    double limit = (double)(h > w ? h : w);
    return (int64_t)(r < limit ? r : limit);
}

static anchor_status qs_check(const anchor_image *image, const anchor_quickshift_params *p, anchor_error *err)
{
    if (image->n != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift takes one image, not a batch of %lld",
                                (long long)image->n);
    if (p->convert2lab && image->c != 3)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "quickshift: convert2lab needs a 3-channel RGB image, not %lld channels",
                                (long long)image->c);
    if (image->dtype != ANCHOR_DTYPE_U8 && image->dtype != ANCHOR_DTYPE_U16 && image->dtype != ANCHOR_DTYPE_F32 &&
        image->dtype != ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "quickshift: images of dtype %s are not supported",
                                anchor_dtype_name(image->dtype));
    if (!(p->ratio >= 0.0 && p->ratio <= 1.0))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift: ratio=%g must be in [0, 1]", p->ratio);
    if (!(p->kernel_size >= 1.0) || !isfinite(p->kernel_size))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "quickshift: kernel_size=%g must be a finite number >= 1 (as skimage requires)",
                                p->kernel_size);
    if (!(p->max_dist > 0.0) || isnan(p->max_dist))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift: max_dist=%g must be > 0", p->max_dist);
    if (!(p->sigma >= 0.0) || !isfinite(p->sigma))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "quickshift: sigma=%g must be finite and >= 0",
                                p->sigma);
    if (p->random_seed < 0 || p->random_seed > 2147483647)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT,
                                "quickshift: random_seed=%lld must be in [0, 2147483647] (skimage takes a C int)",
                                (long long)p->random_seed);
    return ANCHOR_OK;
}

anchor_status anchor_quickshift(const anchor_image *image, const anchor_quickshift_params *p, anchor_image **labels,
                                anchor_error *err)
{
    *labels = NULL;
    anchor_status st = qs_check(image, p, err);
    if (st)
        return st;
    int64_t h = image->h, w = image->w, nc = image->c, n = h * w;
    size_t count = (size_t)n * (size_t)nc;
    int is_f32 = image->dtype == ANCHOR_DTYPE_F32;
    size_t es = is_f32 ? sizeof(float) : sizeof(double);
    void *img = malloc(count * es);
    void *dens = malloc((size_t)n * es);
    int64_t *parent = malloc((size_t)n * sizeof *parent);
    if (!img || !dens || !parent) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "quickshift: out of memory for a %lldx%lld image",
                              (long long)h, (long long)w);
        goto done;
    }

    /* 1. img_as_float, rgb2lab, Gaussian, * ratio */
    if (is_f32) {
        float *f = img;
        memcpy(f, image->data, count * sizeof *f);
        if (p->convert2lab)
            seg_rgb2lab_f32(f, (size_t)n);
        if ((st = seg_gaussian_f32(f, h, w, nc, p->sigma, p->sigma, err)))
            goto done;
        float ratio = (float)p->ratio; /* numpy casts the Python float to the array's type */
        for (size_t i = 0; i < count; i++)
            f[i] *= ratio;
    } else {
        double *d = img;
        if (image->dtype == ANCHOR_DTYPE_U8) {
            const uint8_t *s = image->data;
            for (size_t i = 0; i < count; i++)
                d[i] = (double)s[i] * (1.0 / 255.0);
        } else if (image->dtype == ANCHOR_DTYPE_U16) {
            const uint16_t *s = image->data;
            for (size_t i = 0; i < count; i++)
                d[i] = (double)s[i] * (1.0 / 65535.0);
        } else {
            memcpy(d, image->data, count * sizeof *d);
        }
        if (p->convert2lab)
            seg_rgb2lab_f64(d, (size_t)n);
        if ((st = seg_gaussian_f64(d, h, w, nc, p->sigma, p->sigma, err)))
            goto done;
        for (size_t i = 0; i < count; i++)
            d[i] *= p->ratio;
    }

    /* 2. the tie-breaking noise, drawn in raster order */
    seg_pcg64 rng;
    seg_pcg64_seed(&rng, (uint64_t)p->random_seed);
    for (int64_t i = 0; i < n; i++) {
        double noise = 0.0 + 1e-05 * seg_pcg64_standard_normal(&rng);
        if (is_f32)
            ((float *)dens)[i] = (float)noise;
        else
            ((double *)dens)[i] = noise;
    }

    /* 3 and 4, in the precision skimage's fused Cython picks for the image */
    if (is_f32) {
        float ks = (float)p->kernel_size;
        float inv_k2 = (float)(-0.5 / (double)(ks * ks));
        int64_t kw = window_radius(ceil((double)(3.0f * ks)), h, w);
        qs_densities_f32(img, h, w, nc, kw, inv_k2, dens);
        qs_parents_f32(img, h, w, nc, kw, dens, (float)p->max_dist, parent);
    } else {
        double ks = p->kernel_size;
        double inv_k2 = -0.5 / (ks * ks);
        int64_t kw = window_radius(ceil(3.0 * ks), h, w);
        qs_densities_f64(img, h, w, nc, kw, inv_k2, dens);
        qs_parents_f64(img, h, w, nc, kw, dens, p->max_dist, parent);
    }

    /* 5. roots numbered in raster order */
    if ((st = anchor_image_create(labels, 1, h, w, 1, ANCHOR_DTYPE_I32, err)))
        goto done;
    if ((st = qs_label_roots(parent, n, (*labels)->data, err))) {
        anchor_image_destroy(*labels);
        *labels = NULL;
    }
done:
    free(img);
    free(dens);
    free(parent);
    return st;
}
