/* SPDX-License-Identifier: Apache-2.0 */
/* C kernels on row-major float32 data: broadcasting binary operations, Pad,
 * PyTorch's ceil_mode average pooling, Erf and Softsign. They run where oneDNN has no primitive that computes
 * exactly what ONNX (or PyTorch, for the exported models) specifies; each reads its shape
 * parameters from the step's ip slots, written by the operator planner that added it. */
#include <math.h>
#include <stdint.h>

#include "predict/onnx/kernels.h"
#include "predict/onnx/ops.h"

/* ip: [0]=ndims, [1..8]=out dims, [9..16]=a strides (0 = broadcast), [17..24]=b strides, [25]=op */
static float bin_apply(int op, float a, float b)
{
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    default: return a / b;
    }
}

void anc_k_binary(ox_plan *p, const pstep *s)
{
    const float *a = p->v[s->in[0]].ptr, *b = p->v[s->in[1]].ptr;
    float *y = p->v[s->out].ptr;
    int nd = (int)s->ip[0], op = (int)s->ip[25];
    int64_t idx[OX_MAX_DIMS] = {0}, total = 1;
    for (int i = 0; i < nd; i++)
        total *= s->ip[1 + i];
    int64_t oa = 0, ob = 0;
    for (int64_t e = 0; e < total; e++) {
        y[e] = bin_apply(op, a[oa], b[ob]);
        for (int i = nd - 1; i >= 0; i--) { /* odometer over the output index */
            idx[i]++;
            oa += s->ip[9 + i];
            ob += s->ip[17 + i];
            if (idx[i] < s->ip[1 + i])
                break;
            oa -= s->ip[9 + i] * idx[i];
            ob -= s->ip[17 + i] * idx[i];
            idx[i] = 0;
        }
    }
}

/* ip: [0]=ndims, [1..8]=in dims, [9..16]=out dims, [17..24]=pad begin, [25]=mode (0 const, 1 reflect, 2 edge) */
void anc_k_pad(ox_plan *p, const pstep *s)
{
    const float *x = p->v[s->in[0]].ptr;
    float *y = p->v[s->out].ptr;
    int nd = (int)s->ip[0], mode = (int)s->ip[25];
    int64_t idx[OX_MAX_DIMS] = {0}, total = 1, istr[OX_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        total *= s->ip[9 + i];
    int64_t st = 1;
    for (int i = nd - 1; i >= 0; i--) {
        istr[i] = st;
        st *= s->ip[1 + i];
    }
    for (int64_t e = 0; e < total; e++) {
        int64_t off = 0;
        int inside = 1;
        for (int i = 0; i < nd; i++) {
            int64_t c = idx[i] - s->ip[17 + i], n = s->ip[1 + i];
            if (c < 0 || c >= n) {
                if (mode == 0) {
                    inside = 0;
                    break;
                } else if (mode == 2) {
                    c = c < 0 ? 0 : n - 1;
                } else if (n == 1) {
                    c = 0;
                } else {
                    int64_t period = 2 * (n - 1);
                    c = ((c % period) + period) % period;
                    if (c >= n)
                        c = period - c;
                }
            }
            off += c * istr[i];
        }
        y[e] = inside ? x[off] : s->fp[0];
        for (int i = nd - 1; i >= 0; i--) {
            if (++idx[i] < s->ip[9 + i])
                break;
            idx[i] = 0;
        }
    }
}

/* Average pooling, 2-D NCHW row-major, PyTorch's divisor with ceil_mode: the window is
 * clipped to the padded extent (H + pad_end) when counting padding, and to the image
 * when not. ip: [0..3]=N C H W, [4..5]=OH OW, [6..7]=k, [8..9]=stride, [10..11]=pad begin,
 * [12..13]=pad end, [14]=count_include_pad */
void anc_k_avgpool(ox_plan *p, const pstep *s)
{
    const float *x = p->v[s->in[0]].ptr;
    float *y = p->v[s->out].ptr;
    const int64_t *q = s->ip;
    int64_t NC = q[0] * q[1], H = q[2], W = q[3], OH = q[4], OW = q[5];
    for (int64_t c = 0; c < NC; c++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t h0 = oh * q[8] - q[10], w0 = ow * q[9] - q[11];
                int64_t h1 = h0 + q[6] < H + q[12] ? h0 + q[6] : H + q[12];
                int64_t w1 = w0 + q[7] < W + q[13] ? w0 + q[7] : W + q[13];
                int64_t div = (h1 - h0) * (w1 - w0);
                int64_t ha = h0 < 0 ? 0 : h0, wa = w0 < 0 ? 0 : w0, hb = h1 < H ? h1 : H, wb = w1 < W ? w1 : W;
                double sum = 0;
                for (int64_t h = ha; h < hb; h++)
                    for (int64_t w = wa; w < wb; w++)
                        sum += x[(c * H + h) * W + w];
                if (!q[14])
                    div = (hb - ha) * (wb - wa);
                y[(c * OH + oh) * OW + ow] = div > 0 ? (float)(sum / div) : 0.f;
            }
}

float anc_round_half(double v)
{
    if (!isfinite(v) || v == 0)
        return (float)v;
    int e;
    frexp(v, &e); /* |v| = m 2^e with m in [0.5, 1): float16's spacing there is 2^(e - 11), or
                   * 2^-24 among its subnormals; scaling by it is exact, rint ties to even */
    int q = (e - 1 < -14 ? -14 : e - 1) - 10;
    double r = ldexp(rint(ldexp(v, -q)), q);
    return fabs(r) > 65504 ? (float)copysign(INFINITY, v) : (float)r;
}

/* ip: [0]=count, [1]=which (OX_UNARY_*) */
void anc_k_unary(ox_plan *p, const pstep *s)
{
    const float *x = p->v[s->in[0]].ptr;
    float *y = p->v[s->out].ptr;
    int64_t n = s->ip[0];
    switch (s->ip[1]) {
    case OX_UNARY_ERF:
        for (int64_t i = 0; i < n; i++)
            y[i] = erff(x[i]);
        break;
    case OX_UNARY_SOFTSIGN:
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] / (1.0f + fabsf(x[i]));
        break;
    case OX_UNARY_LOG:
        for (int64_t i = 0; i < n; i++)
            y[i] = logf(x[i]);
        break;
    case OX_UNARY_SOFTPLUS: /* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, no cancellation */
        for (int64_t i = 0; i < n; i++)
            y[i] = (x[i] > 0 ? x[i] : 0.f) + log1pf(expf(-fabsf(x[i])));
        break;
    case OX_UNARY_ROUND_HALF:
        for (int64_t i = 0; i < n; i++)
            y[i] = anc_round_half(x[i]);
        break;
    }
}
