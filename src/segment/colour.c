/* SPDX-License-Identifier: Apache-2.0 */
/* RGB -> CIE-Lab equal to skimage 0.19.3's color.rgb2lab, bit for bit.
 *
 * skimage works on whole arrays with numpy, in the array's own float type (a float32
 * image stays float32: every Python constant is rounded to float32 first):
 *   1. sRGB expansion: v > 0.04045 ? ((v + 0.055) / 1.055) ^ 2.4 : v / 12.92
 *   2. XYZ = rgb @ M^T, where numpy's matmul goes through the reference BLAS, which sums
 *      ((0 + r*m0) + g*m1) + b*m2 without fused multiply-adds
 *   3. divide by the D65 / 2 degree white (0.95047, 1, 1.08883)
 *   4. f(t) = t > 0.008856 ? cbrt(t) : 7.787 * t + 16/116
 *   5. L = 116 fy - 16, a = 500 (fx - fy), b = 200 (fy - fz)
 * pow and cbrt are libm's, as numpy's are on machines without AVX-512 (see filters.h).
 * The code is written out twice because the float32 version must round every step. */
#include "segment/filters.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double xyz_from_rgb[3][3] = {
    {0.412453, 0.357580, 0.180423},
    {0.212671, 0.715160, 0.072169},
    {0.019334, 0.119193, 0.950227},
};
static const double d65_white[3] = {0.95047, 1., 1.08883};

/* sRGB expansion of one value in [0, 1]. */
static double linear_f64(double v) { return v > 0.04045 ? pow((v + 0.055) / 1.055, 2.4) : v / 12.92; }

/* Linear RGB -> Lab. */
static void lab_from_linear_f64(const double lin[3], double *out)
{
    double f[3];
    for (int c = 0; c < 3; c++) {
        double t = 0.0;
        t += lin[0] * xyz_from_rgb[c][0];
        t += lin[1] * xyz_from_rgb[c][1];
        t += lin[2] * xyz_from_rgb[c][2];
        t /= d65_white[c];
        f[c] = t > 0.008856 ? cbrt(t) : 7.787 * t + 16. / 116.;
    }
    out[0] = (116. * f[1]) - 16.;
    out[1] = 500.0 * (f[0] - f[1]);
    out[2] = 200.0 * (f[1] - f[2]);
}

void anc_seg_rgb2lab_f64(double *rgb, size_t npix)
{
    for (size_t i = 0; i < npix; i++) {
        double *p = rgb + 3 * i;
        double lin[3] = {linear_f64(p[0]), linear_f64(p[1]), linear_f64(p[2])};
        lab_from_linear_f64(lin, p);
    }
}

/* uint8 pixels: the 256 rescaled values are expanded once, and each distinct colour is
 * converted once (a photo repeats colours; the three cube roots dominate the cost). The
 * cache is an open-addressing table keyed by the 24-bit colour; when it is full, further
 * new colours are simply converted without being remembered. */
#define LAB_CACHE_MAX_BITS 18 /* 2 MB of table: beyond, misses cost more than cube roots */
void anc_seg_rgb2lab_u8_f64(const uint8_t *rgb, size_t npix, const double value[256], double *const lab[3])
{
    double lin[256];
    for (int v = 0; v < 256; v++)
        lin[v] = linear_f64(value[v]);
    int bits = 4;
    while (bits < LAB_CACHE_MAX_BITS && ((size_t)1 << bits) < npix)
        bits++;
    size_t cap = (size_t)1 << bits, mask = cap - 1, limit = cap / 2, used = 0;
    uint32_t *keys = calloc(cap, sizeof *keys); /* colour + 1; 0 = empty */
    uint32_t *slot = malloc(cap * sizeof *slot);
    double *store = malloc(limit * 3 * sizeof *store);
    for (size_t i = 0; i < npix; i++) {
        const uint8_t *p = rgb + 3 * i;
        double out[3];
        uint32_t key = ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) + 1;
        size_t h = keys && slot && store ? (size_t)((key * 2654435761u) >> (32 - bits)) & mask : 0;
        int found = 0;
        if (keys && slot && store) {
            while (keys[h] && keys[h] != key)
                h = (h + 1) & mask;
            if (keys[h] == key) {
                memcpy(out, store + 3 * (size_t)slot[h], sizeof out);
                found = 1;
            }
        }
        if (!found) {
            double l[3] = {lin[p[0]], lin[p[1]], lin[p[2]]};
            lab_from_linear_f64(l, out);
            if (keys && slot && store && used < limit) {
                keys[h] = key;
                slot[h] = (uint32_t)used;
                memcpy(store + 3 * used, out, sizeof out);
                used++;
            }
        }
        lab[0][i] = out[0];
        lab[1][i] = out[1];
        lab[2][i] = out[2];
    }
    free(keys);
    free(slot);
    free(store);
}

/* One float32 pixel, in place, every constant rounded to float32 as numpy does. */
static void lab_f32(float *p)
{
    /* numpy casts the float64 constants to float32: (float) of the double, not a float
     * literal (the two can differ by double rounding) */
    float m[3][3], white[3];
    for (int r = 0; r < 3; r++) {
        white[r] = (float)d65_white[r];
        for (int c = 0; c < 3; c++)
            m[r][c] = (float)xyz_from_rgb[r][c];
    }
    const float knee = (float)0.04045, offset = (float)0.055, denom = (float)1.055, gamma = (float)2.4,
                slope = (float)12.92, lab_knee = (float)0.008856, lab_slope = (float)7.787,
                lab_offset = (float)(16. / 116.);
    float lin[3], f[3];
    for (int c = 0; c < 3; c++) {
        float v = p[c];
        lin[c] = v > knee ? powf((v + offset) / denom, gamma) : v / slope;
    }
    for (int c = 0; c < 3; c++) {
        float t = 0.0f;
        t += lin[0] * m[c][0];
        t += lin[1] * m[c][1];
        t += lin[2] * m[c][2];
        t /= white[c];
        f[c] = t > lab_knee ? cbrtf(t) : lab_slope * t + lab_offset;
    }
    p[0] = (116.f * f[1]) - 16.f;
    p[1] = 500.0f * (f[0] - f[1]);
    p[2] = 200.0f * (f[1] - f[2]);
}

/* float32 images are often uint8 photos divided by 255, so colours repeat: the same
 * kind of cache as for uint8, keyed by the three values' bits. */
void anc_seg_rgb2lab_f32(float *rgb, size_t npix)
{
    int bits = 4;
    while (bits < LAB_CACHE_MAX_BITS && ((size_t)1 << bits) < 2 * npix)
        bits++;
    size_t cap = (size_t)1 << bits, mask = cap - 1, used = 0, limit = cap / 2;
    uint32_t(*keys)[3] = malloc(cap * sizeof *keys);
    float(*vals)[3] = malloc(cap * sizeof *vals);
    unsigned char *full = calloc(cap, 1);
    int cache = keys && vals && full;
    for (size_t i = 0; i < npix; i++) {
        float *p = rgb + 3 * i;
        if (!cache) {
            lab_f32(p);
            continue;
        }
        uint32_t key[3];
        memcpy(key, p, sizeof key);
        uint32_t hash = (key[0] * 2654435761u) ^ (key[1] * 2246822519u) ^ (key[2] * 3266489917u);
        size_t h = (size_t)(hash >> (32 - bits)) & mask;
        while (full[h] && memcmp(keys[h], key, sizeof key))
            h = (h + 1) & mask;
        if (full[h]) {
            memcpy(p, vals[h], sizeof vals[h]);
            continue;
        }
        lab_f32(p);
        if (used < limit) {
            full[h] = 1;
            memcpy(keys[h], key, sizeof key);
            memcpy(vals[h], p, sizeof vals[h]);
            used++;
        }
    }
    free(keys);
    free(vals);
    free(full);
}
