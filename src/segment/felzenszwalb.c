/* Felzenszwalb-Huttenlocher graph segmentation, label for label equal to scikit-image
 * 0.19.3's felzenszwalb.
 *
 * The image is a graph with 8-connectivity; each edge weighs the Euclidean colour distance
 * of its two pixels. Edges are visited by increasing weight and two regions are joined when
 * the edge is lighter than both regions' internal difference plus scale / size (Int(C) is
 * the heaviest edge of the region's spanning tree, which with sorted edges is simply the
 * weight of the edge that last grew it). A second pass over the same order joins every
 * region smaller than min_size to its neighbour. skimage computes this as follows, and so
 * do we:
 *   1. img_as_float64 (uint8 as v * (1/255)), then scipy's gaussian_filter with sigma on
 *      rows and columns (mode 'reflect'); scale becomes scale / 255.
 *   2. Edge weights sqrt(((0 + d0^2) + d1^2) + d2^2) (numpy's sum over the channel axis),
 *      concatenated as right, down, down-right, up-right edges, each block in raster order
 *      of the upper-left pixel of its 2 x 2 cell.
 *   3. np.argsort(weights): numpy 1.24's introsort ("quicksort": median of three, insertion
 *      sort below 16 elements, heapsort past 2 log2(n) levels). It is not stable, and the
 *      order of equal weights changes which regions merge (above all in the min_size pass
 *      on unsmoothed images, where equal weights are common), so we run that very
 *      algorithm, on (weight, index) pairs so the comparisons read contiguous memory.
 *   4. skimage keeps the thresholds in C floats: an edge of weight w (double) joins
 *      regions a and b iff w < min((float)(Int(a) + scale / |a|), (float)(Int(b) +
 *      scale / |b|)); then Int = w, |ab| = |a| + |b|.
 *   5. Regions are numbered by their first pixel in raster order (skimage's union-find
 *      keeps the smallest index as root, then np.unique(..., return_inverse=True)).
 * The partition does not depend on the union-find's internals, so ours uses union by size
 * with path halving. */
#include "anchor/segment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"
#include "segment/filters.h"

void anchor_felzenszwalb_params_skimage(anchor_felzenszwalb_params *p)
{
    *p = (anchor_felzenszwalb_params){1.0, 0.8, 20};
}

/* ---- numpy's argsort(kind='quicksort') on doubles --------------------------------------- */

typedef struct fz_item {
    double w;
    int64_t idx;
} fz_item;

#define FZ_SMALL_SORT 15

static void fz_swap(fz_item *a, fz_item *b)
{
    fz_item t = *a;
    *a = *b;
    *b = t;
}

/* numpy's heapsort fallback, on 1-based positions of a[0..n-1] */
static void fz_heapsort(fz_item *a0, int64_t n)
{
    fz_item *a = a0 - 1, tmp;
    int64_t i, j, l;
    for (l = n >> 1; l > 0; --l) {
        tmp = a[l];
        for (i = l, j = l << 1; j <= n;) {
            if (j < n && a[j].w < a[j + 1].w)
                j += 1;
            if (tmp.w < a[j].w) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        tmp = a[n];
        a[n] = a[1];
        n -= 1;
        for (i = 1, j = 2; j <= n;) {
            if (j < n && a[j].w < a[j + 1].w)
                j++;
            if (tmp.w < a[j].w) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
}

static int fz_msb(uint64_t n)
{
    int d = 0;
    while (n >>= 1)
        d++;
    return d;
}

/* The same sequence of comparisons and swaps as numpy's aquicksort_ (weights have no
 * NaN, so numpy's NaN-aware "less" is plain <). */
static void fz_introsort(fz_item *v, int64_t num)
{
    if (num < 2)
        return;
    fz_item *pl = v, *pr = v + num - 1;
    fz_item *stack[128], **sp = stack;
    int depth[128], *dp = depth;
    int cdepth = fz_msb((uint64_t)num) * 2;
    for (;;) {
        if (cdepth < 0) {
            fz_heapsort(pl, pr - pl + 1);
            goto pop;
        }
        while (pr - pl > FZ_SMALL_SORT) {
            fz_item *pm = pl + ((pr - pl) >> 1);
            if (pm->w < pl->w)
                fz_swap(pm, pl);
            if (pr->w < pm->w)
                fz_swap(pr, pm);
            if (pm->w < pl->w)
                fz_swap(pm, pl);
            double vp = pm->w;
            fz_item *pi = pl, *pj = pr - 1;
            fz_swap(pm, pj);
            for (;;) {
                do
                    ++pi;
                while (pi->w < vp);
                do
                    --pj;
                while (vp < pj->w);
                if (pi >= pj)
                    break;
                fz_swap(pi, pj);
            }
            fz_swap(pi, pr - 1);
            /* push the larger partition, continue with the smaller */
            if (pi - pl < pr - pi) {
                *sp++ = pi + 1;
                *sp++ = pr;
                pr = pi - 1;
            } else {
                *sp++ = pl;
                *sp++ = pi - 1;
                pl = pi + 1;
            }
            *dp++ = --cdepth;
        }
        for (fz_item *pi = pl + 1; pi <= pr; ++pi) {
            fz_item vi = *pi, *pj = pi, *pk = pi - 1;
            while (pj > pl && vi.w < pk->w)
                *pj-- = *pk--;
            *pj = vi;
        }
    pop:
        if (sp == stack)
            break;
        pr = *(--sp);
        pl = *(--sp);
        cdepth = *(--dp);
    }
}

/* ---- the graph ------------------------------------------------------------------------ */

static int64_t fz_find(int64_t *parent, int64_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* The two pixels of edge e in skimage's concatenated order. */
static void fz_edge_ends(int64_t e, int64_t h, int64_t w, int64_t *a, int64_t *b)
{
    int64_t n_right = h * (w - 1), n_down = (h - 1) * w, n_diag = (h - 1) * (w - 1);
    if (e < n_right) {
        int64_t r = e / (w - 1), c = e % (w - 1);
        *a = r * w + c + 1, *b = r * w + c;
        return;
    }
    e -= n_right;
    if (e < n_down) {
        *a = e + w, *b = e;
        return;
    }
    e -= n_down; /* here h, w >= 2, so n_diag > 0 */
    int up = e >= n_diag;
    if (up)
        e -= n_diag;
    int64_t r = e / (w - 1), c = e % (w - 1);
    if (!up)
        *a = (r + 1) * w + c + 1, *b = r * w + c;
    else
        *a = r * w + c + 1, *b = (r + 1) * w + c;
}

static double fz_dist(const double *img, int64_t nc, int64_t p, int64_t q)
{
    double s = 0.0;
    for (int64_t ch = 0; ch < nc; ch++) {
        double d = img[p * nc + ch] - img[q * nc + ch];
        s += d * d;
    }
    return sqrt(s);
}

static anchor_status fz_check(const anchor_image *image, const anchor_felzenszwalb_params *p, anchor_error *err)
{
    if (image->n != 1)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "felzenszwalb takes one image, not a batch of %lld",
                                (long long)image->n);
    if (image->c < 1 || image->c > 4)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "felzenszwalb: %lld channels; 1 to 4 are supported",
                                (long long)image->c);
    if (image->dtype != ANCHOR_DTYPE_U8 && image->dtype != ANCHOR_DTYPE_U16 && image->dtype != ANCHOR_DTYPE_F32 &&
        image->dtype != ANCHOR_DTYPE_F64)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "felzenszwalb: images of dtype %s are not supported",
                                anchor_dtype_name(image->dtype));
    if (!(p->scale > 0.0) || !isfinite(p->scale))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "felzenszwalb: scale=%g must be a finite number > 0",
                                p->scale);
    if (!(p->sigma >= 0.0) || !isfinite(p->sigma))
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "felzenszwalb: sigma=%g must be finite and >= 0",
                                p->sigma);
    if (p->min_size < 0)
        return anchor_error_set(err, ANCHOR_ERR_INVALID_ARGUMENT, "felzenszwalb: min_size=%d must be >= 0",
                                p->min_size);
    return ANCHOR_OK;
}

anchor_status anchor_felzenszwalb(const anchor_image *image, const anchor_felzenszwalb_params *p,
                                  anchor_image **labels, anchor_error *err)
{
    *labels = NULL;
    anchor_status st = fz_check(image, p, err);
    if (st)
        return st;
    int64_t h = image->h, w = image->w, nc = image->c, n = h * w;
    size_t count = (size_t)n * (size_t)nc;
    int64_t n_edges = h * (w - 1) + (h - 1) * w + 2 * (h - 1) * (w - 1);
    double *img = malloc(count * sizeof *img);
    fz_item *edges = malloc((size_t)(n_edges > 0 ? n_edges : 1) * sizeof *edges);
    int64_t *parent = malloc((size_t)n * sizeof *parent), *size = malloc((size_t)n * sizeof *size);
    double *cint = malloc((size_t)n * sizeof *cint);
    int32_t *label_of_root = NULL;
    if (!img || !edges || !parent || !size || !cint) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "felzenszwalb: out of memory for a %lldx%lld image",
                              (long long)h, (long long)w);
        goto done;
    }

    /* 1. img_as_float64 and the Gaussian */
    switch (image->dtype) {
    case ANCHOR_DTYPE_U8:
        for (size_t i = 0; i < count; i++)
            img[i] = (double)((const uint8_t *)image->data)[i] * (1.0 / 255.0);
        break;
    case ANCHOR_DTYPE_U16:
        for (size_t i = 0; i < count; i++)
            img[i] = (double)((const uint16_t *)image->data)[i] * (1.0 / 65535.0);
        break;
    case ANCHOR_DTYPE_F32:
        for (size_t i = 0; i < count; i++)
            img[i] = (double)((const float *)image->data)[i];
        break;
    default: memcpy(img, image->data, count * sizeof *img); break;
    }
    if ((st = seg_gaussian_f64(img, h, w, nc, p->sigma, p->sigma, err)))
        goto done;
    double scale = p->scale / 255.0;

    /* 2 and 3. weights in skimage's edge order, then numpy's sort */
    for (int64_t e = 0; e < n_edges; e++) {
        int64_t a, b;
        fz_edge_ends(e, h, w, &a, &b);
        edges[e].w = fz_dist(img, nc, a, b);
        edges[e].idx = e;
    }
    fz_introsort(edges, n_edges);

    /* 4. greedy merging, then the min_size pass */
    for (int64_t i = 0; i < n; i++) {
        parent[i] = i;
        size[i] = 1;
        cint[i] = 0.0;
    }
    for (int64_t k = 0; k < n_edges; k++) {
        int64_t a, b;
        fz_edge_ends(edges[k].idx, h, w, &a, &b);
        int64_t ra = fz_find(parent, a), rb = fz_find(parent, b);
        if (ra == rb)
            continue;
        float inner_a = (float)(cint[ra] + scale / (double)size[ra]);
        float inner_b = (float)(cint[rb] + scale / (double)size[rb]);
        float inner = inner_b < inner_a ? inner_b : inner_a;
        if (!(edges[k].w < (double)inner))
            continue;
        if (size[ra] < size[rb]) {
            int64_t t = ra;
            ra = rb, rb = t;
        }
        parent[rb] = ra;
        size[ra] += size[rb];
        cint[ra] = edges[k].w;
    }
    for (int64_t k = 0; k < n_edges; k++) {
        int64_t a, b;
        fz_edge_ends(edges[k].idx, h, w, &a, &b);
        int64_t ra = fz_find(parent, a), rb = fz_find(parent, b);
        if (ra == rb || (size[ra] >= p->min_size && size[rb] >= p->min_size))
            continue;
        if (size[ra] < size[rb]) {
            int64_t t = ra;
            ra = rb, rb = t;
        }
        parent[rb] = ra;
        size[ra] += size[rb];
    }

    /* 5. regions numbered by first pixel */
    label_of_root = malloc((size_t)n * sizeof *label_of_root);
    if (!label_of_root) {
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "felzenszwalb: out of memory");
        goto done;
    }
    if ((st = anchor_image_create(labels, 1, h, w, 1, ANCHOR_DTYPE_I32, err)))
        goto done;
    int32_t *out = (*labels)->data;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++)
        label_of_root[i] = -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = fz_find(parent, i);
        if (label_of_root[r] < 0) {
            if (k >= ANCHOR_MAX_SEGMENTS) {
                st = anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                      "felzenszwalb: more than %d segments; raise scale or min_size",
                                      ANCHOR_MAX_SEGMENTS);
                anchor_image_destroy(*labels);
                *labels = NULL;
                goto done;
            }
            label_of_root[r] = k++;
        }
        out[i] = label_of_root[r];
    }
done:
    free(img);
    free(edges);
    free(parent);
    free(size);
    free(cint);
    free(label_of_root);
    return st;
}
