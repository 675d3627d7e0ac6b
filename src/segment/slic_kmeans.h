/* SPDX-License-Identifier: Apache-2.0 */
/* SLIC's k-means loop for one float type: included by slic.c twice, with
 *   T        the float type (double or float)
 *   S(name)  name##_f64 or name##_f32
 *   T_MAX    skimage's initial distance (DBL_MAX cast to T)
 * See slic.c for what is computed; this file is about doing it fast without changing a bit.
 *
 * Assignment. Pixels are visited in bands of rows; for each band, the centres whose
 * windows meet it are taken in index order, so every pixel still sees the centres in
 * skimage's order while the band's rows stay in cache. (A per-block lower-bound skip of
 * centres was tried: exact, but it cost more than it saved on photos.)
 *
 * Update. Sums run in raster order as in skimage; runs of equal labels accumulate in
 * registers before being stored (the same additions in the same order). For float64 the
 * coordinate sums are integers below 2^53, hence exact in any order, and use int64. */

/* Centre k over rows y0..y1-1, columns x0..x1-1: skimage's distance and strict update.
 * dx2 is scratch for the squared column offsets, the same for every row. */
static void S(assign_rect)(slic_run *r, T *const *chan, const T *xs, T *dist, T *dx2, const T *ck, int32_t kk,
                           int64_t y0, int64_t y1, int64_t x0, int64_t x1, T dz, T sy, T sx, T spatial_weight,
                           T max_colour)
{
    const int64_t w = r->w, nc = r->c;
    const T cy = ck[1], cx = ck[2];
    for (int64_t x = x0; x < x1; x++) {
        T dx = sx * (cx - xs[x]);
        dx2[x] = dx * dx;
    }
    for (int64_t y = y0; y < y1; y++) {
        T dy = sy * (cy - (T)y);
        dy *= dy;
        const T dzy = dz + dy;
        T *drow = dist + y * w;
        int32_t *lrow = r->label + y * w;
        if (nc == 3 && !r->slic_zero) {
            S(assign_row3)(chan[0] + y * w, chan[1] + y * w, chan[2] + y * w, dx2, drow, lrow, x0, x1, dzy,
                           spatial_weight, ck + 3, kk);
        } else if (nc == 3) {
            S(assign_row3_zero)(chan[0] + y * w, chan[1] + y * w, chan[2] + y * w, dx2, drow, lrow, x0, x1, dzy,
                                spatial_weight, ck + 3, max_colour, kk);
        } else {
            for (int64_t x = x0; x < x1; x++) {
                T d = (dzy + dx2[x]) * spatial_weight;
                T cd = (T)0;
                for (int64_t ch = 0; ch < nc; ch++) {
                    T t = chan[ch][y * w + x] - ck[3 + ch];
                    cd += t * t;
                }
                if (r->slic_zero)
                    cd /= max_colour;
                d += cd;
                if (drow[x] > d) {
                    drow[x] = d;
                    lrow[x] = kk;
                }
            }
        }
    }
}

static void S(kmeans)(slic_run *r, T *const *chan, const T *xs, T *seg, T spatial_weight, const T spacing[3],
                      T *dist, T *max_colour, int64_t *count, int64_t (*box)[4], S(scratch) *sums)
{
    const int64_t h = r->h, w = r->w, nc = r->c, nk = r->n_centres, nf = 3 + nc;
    const T sz = spacing[0], sy = spacing[1], sx = spacing[2];
    for (int64_t k = 0; k < nk; k++)
        max_colour[k] = (T)1;
    for (int iter = 0; iter < r->max_iter; iter++) {
        /* windows: skimage truncates max(c - 2 s, 0) and min(c + 2 s + 1, n); a NaN centre
         * (an emptied cluster) gets an empty window, as the NaN cast does in practice */
        for (int64_t k = 0; k < nk; k++) {
            T cz = seg[k * nf], cy = seg[k * nf + 1], cx = seg[k * nf + 2];
            if (isnan(cz) || isnan(cy) || isnan(cx)) {
                box[k][0] = box[k][1] = box[k][2] = box[k][3] = 0;
                continue;
            }
            T lo = cz - (T)(2 * r->win[0]), hi = cz + (T)(2 * r->win[0]) + (T)1;
            int64_t z0 = (int64_t)((T)0 > lo ? (T)0 : lo), z1 = (int64_t)((T)1 < hi ? (T)1 : hi);
            lo = cy - (T)(2 * r->win[1]);
            hi = cy + (T)(2 * r->win[1]) + (T)1;
            box[k][0] = (int64_t)((T)0 > lo ? (T)0 : lo);
            box[k][1] = (int64_t)((T)h < hi ? (T)h : hi);
            lo = cx - (T)(2 * r->win[2]);
            hi = cx + (T)(2 * r->win[2]) + (T)1;
            box[k][2] = (int64_t)((T)0 > lo ? (T)0 : lo);
            box[k][3] = (int64_t)((T)w < hi ? (T)w : hi);
            if (!(z0 <= 0 && z1 > 0))
                box[k][1] = box[k][0]; /* the only depth slice is outside the window */
        }
        for (int64_t i = 0; i < h * w; i++)
            dist[i] = T_MAX;
        for (int64_t band = 0; band < h; band += SLIC_BAND_ROWS) {
            const int64_t band_end = band + SLIC_BAND_ROWS < h ? band + SLIC_BAND_ROWS : h;
            for (int64_t k = 0; k < nk; k++) {
                const int64_t y0 = box[k][0] > band ? box[k][0] : band;
                const int64_t y1 = box[k][1] < band_end ? box[k][1] : band_end;
                if (y0 >= y1 || box[k][2] >= box[k][3])
                    continue;
                const T *ck = seg + k * nf;
                T dz = sz * (ck[0] - (T)0);
                dz *= dz;
                S(assign_rect)(r, chan, xs, dist, sums->dx2, ck, (int32_t)k, y0, y1, box[k][2], box[k][3], dz, sy, sx,
                               spatial_weight, max_colour[k]);
            }
        }
        if (iter == r->max_iter - 1)
            break; /* skimage updates the centres once more, but nothing reads them */

        /* new centres: sums in raster order, then divided by the count (0/0 = NaN) */
        memset(seg, 0, (size_t)(nk * nf) * sizeof *seg);
        memset(count, 0, (size_t)nk * sizeof *count);
#ifdef SLIC_EXACT_INT_COORDS
        int64_t *ysum = sums->ysum, *xsum = sums->xsum;
        memset(ysum, 0, (size_t)nk * sizeof *ysum);
        memset(xsum, 0, (size_t)nk * sizeof *xsum);
#endif
        for (int64_t y = 0; y < h; y++) {
            const int32_t *lrow = r->label + y * w;
            int64_t x = 0;
            while (x < w) {
                const int32_t k = lrow[x];
                int64_t end = x + 1;
                while (end < w && lrow[end] == k)
                    end++;
                if (k < 0) { /* skimage would index centre -1 here; it cannot happen on a grid */
                    x = end;
                    continue;
                }
                T *ck = seg + k * nf;
                count[k] += end - x;
#ifdef SLIC_EXACT_INT_COORDS
                ysum[k] += y * (end - x);
                xsum[k] += (x + end - 1) * (end - x) / 2;
#else
                {
                    T sy_acc = ck[1], sx_acc = ck[2];
                    const T yf = (T)y;
                    for (int64_t i = x; i < end; i++) {
                        sy_acc += yf;
                        sx_acc += xs[i];
                    }
                    ck[1] = sy_acc;
                    ck[2] = sx_acc;
                }
#endif
                if (nc == 3) { /* three independent chains side by side */
                    const T *p0 = chan[0] + y * w, *p1 = chan[1] + y * w, *p2 = chan[2] + y * w;
                    T a0 = ck[3], a1 = ck[4], a2 = ck[5];
                    for (int64_t i = x; i < end; i++) {
                        a0 += p0[i];
                        a1 += p1[i];
                        a2 += p2[i];
                    }
                    ck[3] = a0;
                    ck[4] = a1;
                    ck[5] = a2;
                } else {
                    for (int64_t ch = 0; ch < nc; ch++) {
                        const T *p = chan[ch] + y * w;
                        T acc = ck[3 + ch];
                        for (int64_t i = x; i < end; i++)
                            acc += p[i];
                        ck[3 + ch] = acc;
                    }
                }
                x = end;
            }
        }
        for (int64_t k = 0; k < nk; k++) {
#ifdef SLIC_EXACT_INT_COORDS
            seg[k * nf + 1] = (T)ysum[k];
            seg[k * nf + 2] = (T)xsum[k];
#endif
            for (int64_t f = 0; f < nf; f++)
                seg[k * nf + f] /= (T)count[k];
        }
        if (r->slic_zero)
            for (int64_t i = 0; i < h * w; i++) {
                int32_t k = r->label[i];
                if (k < 0)
                    continue;
                T cd = (T)0;
                for (int64_t ch = 0; ch < nc; ch++) {
                    T t = chan[ch][i] - seg[k * nf + 3 + ch];
                    cd += t * t;
                }
                if (max_colour[k] < cd)
                    max_colour[k] = cd;
            }
    }
}
