/* SPDX-License-Identifier: Apache-2.0 */
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
 *      order of equal weights can change which regions merge (above all in the min_size
 *      pass on unsmoothed images, where equal weights are common). We sort with a radix
 *      sort instead, detect while merging whether the order of equal weights could matter
 *      (see fz_merge), and only then run numpy's very algorithm (fz_introsort, src/numpy/np_introsort.h) and merge
 *      again.
 *   4. skimage keeps the thresholds in C floats: an edge of weight w (double) joins
 *      regions a and b iff w < min((float)(Int(a) + scale / |a|), (float)(Int(b) +
 *      scale / |b|)); then Int = w, |ab| = |a| + |b|.
 *   5. Regions are numbered by their first pixel in raster order (skimage's union-find
 *      keeps the smallest index as root, then np.unique(..., return_inverse=True)).
 * The partition does not depend on how regions are represented; ours are "quick-find" lists
 * with union by size (fz_regions). */
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS and madvise's MADV_HUGEPAGE */
#include "anchor/segment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "image/image_internal.h"
#include "segment/felzenszwalb_internal.h"
#include "segment/filters.h"

void anchor_felzenszwalb_params_skimage(anchor_felzenszwalb_params *p)
{
    *p = (anchor_felzenszwalb_params){1.0, 0.8, 20};
}

void anchor_felzenszwalb_params_default(anchor_felzenszwalb_params *p) { anchor_felzenszwalb_params_skimage(p); }

/* ---- numpy's argsort(kind='quicksort') on doubles --------------------------------------- */

/* An edge: its weight, the weight's radix key (fz_key), and its first pixel with the edge's
 * direction in the top bits (pixel counts are below 2^28); the other pixel follows from
 * the direction (fz_ends). */
typedef struct fz_item {
    double w;
    uint32_t key, at;
} fz_item;

#define FZ_PIXEL_MASK 0x0fffffffu
#define FZ_DIR_SHIFT 28
enum { FZ_RIGHT, FZ_DOWN, FZ_DOWN_RIGHT, FZ_UP_RIGHT };

/* numpy's introsort on the items themselves, in place (src/numpy/np_introsort.h): the same
 * sequence of comparisons and swaps as numpy's aquicksort_ on the weights, so equal weights
 * end in numpy's order (weights have no NaN, so numpy's NaN-aware "less" is plain <). */
#define NP_INTROSORT_NAME fz_introsort_items
#define NP_INTROSORT_T fz_item
#define NP_INTROSORT_CTX const void *
#define NP_INTROSORT_LESS(ctx, a, b) ((a).w < (b).w)
#include "numpy/np_introsort.h"

static void fz_introsort(fz_item *v, int64_t num)
{
    fz_introsort_items(NULL, v, num);
}

/* ---- a fast sort, and when its order is as good as numpy's -------------------------------
 * Only the order of *equal* weights can differ between two correct sorts, and it only
 * matters in two situations, which fz_merge detects: (1) in the main pass, when joining two
 * regions by an edge of weight w leaves a region whose float32 threshold rounds to <= w
 * while more edges of weight w follow (otherwise the regions an equal-weight run joins are
 * the same in any order: every region taking part has a threshold above w before and after);
 * (2) in the min_size pass, when at the start of a run of equal weights a region smaller
 * than min_size could be joined to two different regions by edges of the run (otherwise
 * every edge of the run that can join regions does so in any order: a small region stays
 * small until its one partner takes it, a big one may take several, and edges that cannot
 * join at the start never become able to, as regions only grow). Then we sort again with numpy's introsort. The fast sort is an LSD radix sort
 * on the weight rounded to float32 (monotonic, so only runs of equal float keys can be out
 * of order), finished by an insertion pass on the exact doubles. */

static uint32_t fz_key(double w)
{
    float f = (float)w;
    uint32_t k;
    memcpy(&k, &f, sizeof k);
    return k; /* weights are >= 0: the bits order like the values */
}

/* Sorts in[] into out[]; in[] is used as scratch space. */
static void fz_radix_sort(fz_item *in, fz_item *out, int64_t n)
{
    enum { BITS = 11, BUCKETS = 1 << BITS };
    const size_t count_bytes = sizeof(uint32_t[3][BUCKETS]);
    uint32_t (*count)[BUCKETS] = malloc(count_bytes);
    if (!count) { /* too little memory for 24 KiB: sort in place with the slow exact sort */
        memcpy(out, in, (size_t)n * sizeof *out);
        fz_introsort(out, n);
        return;
    }
    memset(count, 0, count_bytes);
    for (int64_t i = 0; i < n; i++) {
        uint32_t k = in[i].key;
        count[0][k & (BUCKETS - 1)]++;
        count[1][(k >> BITS) & (BUCKETS - 1)]++;
        count[2][k >> (2 * BITS)]++;
    }
    for (int d = 0; d < 3; d++) {
        uint32_t sum = 0;
        for (int b = 0; b < BUCKETS; b++) {
            uint32_t c = count[d][b];
            count[d][b] = sum;
            sum += c;
        }
    }
    const fz_item *src = in;
    for (int d = 0; d < 3; d++) {
        fz_item *dst = d == 1 ? in : out; /* in -> out -> in -> out */
        uint32_t *pos = count[d];
        for (int64_t i = 0; i < n; i++)
            dst[pos[(src[i].key >> (d * BITS)) & (BUCKETS - 1)]++] = src[i];
        src = dst;
    }
    free(count);
    /* equal float keys may hold different doubles: finish by insertion on w */
    for (int64_t i = 1; i < n; i++) {
        if (!(out[i].w < out[i - 1].w))
            continue;
        fz_item v = out[i];
        int64_t j = i;
        while (j > 0 && v.w < out[j - 1].w) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = v;
    }
}

/* ---- the graph ------------------------------------------------------------------------ */

/* The regions, as "quick-find" with union by size: every pixel holds its region's
 * representative, so the sorted edges, which touch pixels in random order, cost two loads
 * from a small array instead of two pointer chases; a join relabels the smaller region
 * (each pixel is relabelled at most log2(n) times). thr is skimage's float32 threshold of
 * a region, Int(C) + scale / |C| rounded to float, kept up to date at each join (neither
 * term changes in between). */
typedef struct fz_regions {
    uint32_t *label; /* representative of each pixel's region */
    uint32_t *next;  /* the members of a region as a list from its representative */
    uint32_t *last;  /* the list's last member (at representatives) */
    uint32_t *size;  /* at representatives */
    float *thr;      /* at representatives */
} fz_regions;

#define FZ_NONE UINT32_MAX

/* Joins the regions of representatives ra != rb; returns the new representative. */
static uint32_t fz_join(fz_regions *g, uint32_t ra, uint32_t rb)
{
    if (g->size[ra] < g->size[rb]) {
        uint32_t t = ra;
        ra = rb, rb = t;
    }
    for (uint32_t x = rb; x != FZ_NONE; x = g->next[x])
        g->label[x] = ra;
    g->next[g->last[ra]] = rb;
    g->last[ra] = g->last[rb];
    g->size[ra] += g->size[rb];
    return ra;
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

/* Edges in skimage's order: right, down, down-right, up-right, each block in raster order
 * of the upper-left pixel of its 2 x 2 cell. */
static fz_item fz_edge(const double *img, int64_t nc, int64_t a, int64_t b, unsigned dir)
{
    double w = fz_dist(img, nc, a, b);
    return (fz_item){w, fz_key(w), (uint32_t)a | (uint32_t)dir << FZ_DIR_SHIFT};
}

static void fz_edges(const double *img, int64_t h, int64_t w, int64_t nc, fz_item *e)
{
    int64_t k = 0;
    for (int64_t r = 0; r < h; r++)
        for (int64_t c = 0; c + 1 < w; c++) {
            int64_t p = r * w + c;
            e[k++] = fz_edge(img, nc, p + 1, p, FZ_RIGHT);
        }
    for (int64_t p = 0; p < (h - 1) * w; p++)
        e[k++] = fz_edge(img, nc, p + w, p, FZ_DOWN);
    for (int64_t r = 0; r + 1 < h; r++)
        for (int64_t c = 0; c + 1 < w; c++) {
            int64_t p = r * w + c;
            e[k++] = fz_edge(img, nc, p + w + 1, p, FZ_DOWN_RIGHT);
        }
    for (int64_t r = 0; r + 1 < h; r++)
        for (int64_t c = 0; c + 1 < w; c++) {
            int64_t p = r * w + c;
            e[k++] = fz_edge(img, nc, p + 1, p + w, FZ_UP_RIGHT);
        }
}

/* The two pixels of an edge (b from a and the direction, for an image w wide). */
static inline void fz_ends(const fz_item *e, const int64_t offset[4], uint32_t *a, uint32_t *b)
{
    *a = e->at & FZ_PIXEL_MASK;
    *b = (uint32_t)((int64_t)*a + offset[e->at >> FZ_DIR_SHIFT]);
}

#define FZ_AHEAD 16
#if defined(__GNUC__)
#define fz_prefetch(addr) __builtin_prefetch(addr)
#else
#define fz_prefetch(addr) ((void)(addr))
#endif

/* Both passes over sorted edges. With check set, returns 0 as soon as the order of equal
 * weights could matter (see above); otherwise 1. */
static int fz_merge(const fz_item *e, int64_t m, int64_t n, int64_t width, double scale, int64_t min_size, int check,
                    fz_regions *g, uint8_t *small)
{
    const int64_t offset[4] = {-1, -width, -width - 1, width - 1};
    uint32_t a, b;
    const float thr1 = (float)(0.0 + scale / 1.0); /* a single pixel: Int = 0, |C| = 1 */
    uint32_t *label = g->label, *size = g->size;
    for (int64_t i = 0; i < n; i++) {
        label[i] = g->last[i] = (uint32_t)i;
        g->next[i] = FZ_NONE;
        size[i] = 1;
        g->thr[i] = thr1;
    }
    for (int64_t k = 0; k < m; k++) {
        if (k + FZ_AHEAD < m) { /* sorted edges touch pixels at random: ask ahead */
            fz_ends(&e[k + FZ_AHEAD], offset, &a, &b);
            fz_prefetch(&label[a]);
            fz_prefetch(&label[b]);
        }
        fz_ends(&e[k], offset, &a, &b);
        uint32_t ra = label[a], rb = label[b];
        if (ra == rb)
            continue;
        /* skimage's thresholds are C floats; the weight is compared in double */
        float inner = g->thr[rb] < g->thr[ra] ? g->thr[rb] : g->thr[ra];
        if (!(e[k].w < (double)inner))
            continue;
        uint32_t root = fz_join(g, ra, rb);
        g->thr[root] = (float)(e[k].w + scale / (double)size[root]);
        if (check && k + 1 < m && e[k + 1].w == e[k].w && !((double)g->thr[root] > e[k].w))
            return 0;
    }
    /* mark the pixels of regions below min_size, and unmark them as their regions grow: an
     * edge between two big regions can never join them (regions only grow), so the
     * min_size pass skips it at once */
    for (int64_t i = 0; i < n; i++)
        small[i] = size[label[i]] < min_size;
    for (int64_t k = 0; k < m; k++) {
        if (check && (k == 0 || e[k - 1].w != e[k].w) && k + 1 < m && e[k + 1].w == e[k].w) {
            /* a run of equal weights starts: a small region (< min_size) that two of its
             * edges could join to two different regions makes the order matter */
            enum { MAX_ELIGIBLE = 64 };
            uint32_t pairs[MAX_ELIGIBLE][2];
            int n_pairs = 0;
            for (int64_t j = k; j < m && e[j].w == e[k].w; j++) {
                fz_ends(&e[j], offset, &a, &b);
                uint32_t ra = label[a], rb = label[b];
                if (ra == rb || (size[ra] >= min_size && size[rb] >= min_size))
                    continue;
                int duplicate = 0;
                for (int i = 0; i < n_pairs && !duplicate; i++) {
                    uint32_t x = pairs[i][0], y = pairs[i][1];
                    if ((x == ra && y == rb) || (x == rb && y == ra)) {
                        duplicate = 1;
                    } else if (((x == ra || y == ra) && size[ra] < min_size) ||
                               ((x == rb || y == rb) && size[rb] < min_size)) {
                        return 0;
                    }
                }
                if (duplicate)
                    continue;
                if (n_pairs == MAX_ELIGIBLE)
                    return 0;
                pairs[n_pairs][0] = ra, pairs[n_pairs][1] = rb, n_pairs++;
            }
        }
        if (k + FZ_AHEAD < m) {
            fz_ends(&e[k + FZ_AHEAD], offset, &a, &b);
            fz_prefetch(&small[a]);
            fz_prefetch(&small[b]);
        }
        fz_ends(&e[k], offset, &a, &b);
        if (!small[a] && !small[b])
            continue;
        uint32_t ra = label[a], rb = label[b];
        if (ra == rb || (size[ra] >= min_size && size[rb] >= min_size))
            continue;
        if (size[ra] + size[rb] >= min_size) { /* the joined region is big: unmark it */
            for (uint32_t i = 0; i < 2; i++) {
                uint32_t r = i ? rb : ra;
                if (size[r] < min_size)
                    for (uint32_t x = r; x != FZ_NONE; x = g->next[x])
                        small[x] = 0;
            }
        }
        fz_join(g, ra, rb);
    }
    return 1;
}

/* The two edge arrays are large (16 bytes per edge, four edges per pixel) and used once:
 * with 4 KiB pages, faulting them in costs a good part of the run on big images. Where the
 * kernel offers transparent huge pages on request, we ask for them. */
#define FZ_BIG ((size_t)32 << 20) /* below this (about 700 x 700 pixels), malloc was faster */
static void *fz_big_alloc(size_t bytes)
{
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
    if (bytes >= FZ_BIG) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure is harmless */
            return p;
        }
    }
#endif
    return malloc(bytes);
}

static void fz_big_free(void *p, size_t bytes)
{
    if (!p)
        return;
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
    if (bytes >= FZ_BIG) {
        munmap(p, bytes);
        return;
    }
#endif
    free(p);
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
    return anc_seg_felzenszwalb_sorted(image, p, 0, labels, NULL, err);
}

anchor_status anc_seg_felzenszwalb_sorted(const anchor_image *image, const anchor_felzenszwalb_params *p, int exact_sort,
                                      anchor_image **labels, int *used_fallback, anchor_error *err)
{
    *labels = NULL;
    if (used_fallback)
        *used_fallback = 0;
    anchor_status st = fz_check(image, p, err);
    if (st)
        return st;
    int64_t h = image->h, w = image->w, nc = image->c, n = h * w;
    size_t count = (size_t)n * (size_t)nc;
    int64_t m = h * (w - 1) + (h - 1) * w + 2 * (h - 1) * (w - 1);
    size_t me = (size_t)(m > 0 ? m : 1);
    double *img = malloc(count * sizeof *img);
    fz_item *edges = fz_big_alloc(me * sizeof *edges), *sorted = fz_big_alloc(me * sizeof *sorted);
    fz_regions g = {malloc((size_t)n * sizeof(uint32_t)), malloc((size_t)n * sizeof(uint32_t)),
                    malloc((size_t)n * sizeof(uint32_t)), malloc((size_t)n * sizeof(uint32_t)),
                    malloc((size_t)n * sizeof(float))};
    uint8_t *small = malloc((size_t)n);
    int32_t *label_of_root = malloc((size_t)n * sizeof *label_of_root);
    if (!img || !edges || !sorted || !g.label || !g.next || !g.last || !g.size || !g.thr || !small ||
        !label_of_root) {
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
    if ((st = anc_seg_gaussian_f64(img, h, w, nc, p->sigma, p->sigma, err)))
        goto done;
    double scale = p->scale / 255.0;

    /* 2 to 4: weights, a fast sort, the merging; numpy's sort when ties could matter */
    if (!exact_sort) {
        fz_edges(img, h, w, nc, edges);
        fz_radix_sort(edges, sorted, m); /* edges[] is scratch from here */
    }
    if (exact_sort || !fz_merge(sorted, m, n, w, scale, p->min_size, 1, &g, small)) {
        if (used_fallback)
            *used_fallback = !exact_sort;
        fz_edges(img, h, w, nc, sorted); /* skimage's order again, for numpy's sort */
        fz_introsort(sorted, m);
        fz_merge(sorted, m, n, w, scale, p->min_size, 0, &g, small);
    }

    /* 5. regions numbered by first pixel */
    if ((st = anchor_image_create(1, h, w, 1, ANCHOR_DTYPE_I32, labels, err)))
        goto done;
    int32_t *out = (*labels)->data;
    int32_t k = 0;
    for (int64_t i = 0; i < n; i++)
        label_of_root[i] = -1;
    for (int64_t i = 0; i < n; i++) {
        uint32_t r = g.label[i];
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
    fz_big_free(edges, me * sizeof *edges);
    fz_big_free(sorted, me * sizeof *sorted);
    free(g.label);
    free(g.next);
    free(g.last);
    free(g.size);
    free(g.thr);
    free(small);
    free(label_of_root);
    return st;
}
