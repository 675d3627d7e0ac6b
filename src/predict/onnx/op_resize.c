/* SPDX-License-Identifier: Apache-2.0 */
/* Resize (opsets 10, 11, 13+) and Upsample (opsets 7 to 9): nearest on any axes, and
 * linear on the last two (bilinear, or 1-D linear on a rank-3 input), as PyTorch's
 * F.interpolate exports them: nearest with asymmetric coordinates and floor rounding,
 * bilinear with pytorch_half_pixel or align_corners coordinates. half_pixel,
 * tf_half_pixel_for_nn and the four nearest_modes of ONNX are computed too;
 * tf_crop_and_resize and cubic are refused by name.
 *
 * Every source coordinate depends only on the output position along its own axis, so it
 * is computed once while planning, into a per-axis table (nearest: the source index;
 * linear: the two source indices and their weights), kept as a constant beside the step.
 * The run-time loops then only look up tables: an odometer over the output rows, and the
 * innermost loop along the last axis. The coordinate arithmetic is ONNX's formulas in
 * float (what ONNX Runtime does), and the bilinear blend is PyTorch's
 * h0 * (w0 * a + w1 * b) + h1 * (w0 * c + w1 * d), so outputs match torch to a rounding. */
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

enum { CT_HALF_PIXEL, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_HALF_PIXEL_NN };
enum { NR_ROUND_PREFER_FLOOR, NR_ROUND_PREFER_CEIL, NR_FLOOR, NR_CEIL };

/* Indices fit a float exactly below 2^24, which bounds the tables' index values. */
#define RESIZE_MAX_DIM (1 << 24)

/* resized_len: ONNX's length_resized, the output length when sizes were given, else in_len x
 * scale unrounded. */
static float source_coordinate(int ct, int64_t x, float scale, int64_t in_len, int64_t out_len, float resized_len)
{
    float xf = (float)x;
    switch (ct) {
    case CT_HALF_PIXEL: return (xf + 0.5f) / scale - 0.5f;
    case CT_PYTORCH_HALF_PIXEL: return out_len > 1 ? (xf + 0.5f) / scale - 0.5f : 0.f;
    /* with scales that do not give a whole length (onnx's
     * test_resize_downsample_scales_linear_align_corners: 4 x 0.6) it is not the output length */
    case CT_ALIGN_CORNERS: return out_len == 1 ? 0.f : xf * (float)(in_len - 1) / (resized_len - 1.f);
    case CT_TF_HALF_PIXEL_NN: return (xf + 0.5f) / scale;
    default: return xf / scale;
    }
}

static int64_t nearest_index(int nr, float c, int64_t in_len)
{
    double r;
    switch (nr) {
    case NR_ROUND_PREFER_FLOOR: r = c == floorf(c) + 0.5f ? floorf(c) : roundf(c); break;
    case NR_ROUND_PREFER_CEIL: r = c == floorf(c) + 0.5f ? ceilf(c) : roundf(c); break;
    case NR_FLOOR: r = floorf(c); break;
    default: r = ceilf(c);
    }
    return r < 0 ? 0 : r > (double)(in_len - 1) ? in_len - 1 : (int64_t)r;
}

/* The shapes and tables a resize needs. Tables: nearest, for every axis in turn, one
 * source index per output position; linear, for each of the last two axes, four floats
 * per output position (index 0, index 1, weight 0, weight 1). */
typedef struct resize_geom {
    ox_shape in, out;
    int linear;
    int from_sizes; /* the node gave sizes, not scales */
} resize_geom;

static void resize_nearest(const resize_geom *g, const float *tab, const float *x, float *y)
{
    int nd = g->in.ndims;
    int64_t istr[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0}, acc = 1, rows = 1;
    const float *axis_tab[OX_MAX_DIMS];
    for (int i = nd - 1; i >= 0; i--) {
        istr[i] = acc;
        acc *= g->in.d[i];
    }
    for (int i = 0, at = 0; i < nd; at += (int)g->out.d[i], i++)
        axis_tab[i] = tab + at;
    for (int i = 0; i < nd - 1; i++)
        rows *= g->out.d[i];
    int64_t w = g->out.d[nd - 1];
    const float *last = axis_tab[nd - 1];
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        for (int i = 0; i < nd - 1; i++)
            off += (int64_t)axis_tab[i][idx[i]] * istr[i];
        const float *xr = x + off;
        float *yr = y + r * w;
        for (int64_t k = 0; k < w; k++)
            yr[k] = xr[(int64_t)last[k]];
        for (int i = nd - 2; i >= 0; i--) {
            if (++idx[i] < g->out.d[i])
                break;
            idx[i] = 0;
        }
    }
}

static void resize_linear(const resize_geom *g, const float *tab, const float *x, float *y)
{
    int nd = g->in.ndims;
    int64_t H = g->in.d[nd - 2], W = g->in.d[nd - 1], OH = g->out.d[nd - 2], OW = g->out.d[nd - 1], planes = 1;
    for (int i = 0; i < nd - 2; i++)
        planes *= g->in.d[i];
    const float *th = tab, *tw = tab + 4 * OH;
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * H * W;
        float *yp = y + pl * OH * OW;
        for (int64_t oy = 0; oy < OH; oy++) {
            const float *r0 = xp + (int64_t)th[4 * oy] * W, *r1 = xp + (int64_t)th[4 * oy + 1] * W;
            float h0 = th[4 * oy + 2], h1 = th[4 * oy + 3];
            float *yr = yp + oy * OW;
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t a = (int64_t)tw[4 * ox], b = (int64_t)tw[4 * ox + 1];
                float w0 = tw[4 * ox + 2], w1 = tw[4 * ox + 3];
                yr[ox] = h0 * (w0 * r0[a] + w1 * r0[b]) + h1 * (w0 * r1[a] + w1 * r1[b]);
            }
        }
    }
}

/* ip: [0]=ndims [1..8]=in dims [9..16]=out dims [17]=linear; in: x, table */
static void k_resize(ox_plan *p, const pstep *s)
{
    resize_geom g = {.in.ndims = (int)s->ip[0], .out.ndims = (int)s->ip[0], .linear = (int)s->ip[17]};
    for (int i = 0; i < g.in.ndims; i++) {
        g.in.d[i] = s->ip[1 + i];
        g.out.d[i] = s->ip[9 + i];
    }
    (g.linear ? resize_linear : resize_nearest)(&g, p->v[s->in[1]].ptr, p->v[s->in[0]].ptr, p->v[s->out].ptr);
}

static int pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

/* Reads the node's mode, coordinates, scales or sizes; fills the output shape and the
 * per-axis scales the coordinate formulas use. */
static anchor_status resize_params(ox_plan *p, const nctx *c, const ox_shape *xs, ox_shape *ys, float *scale,
                                   int *from_sizes, int *linear, int *ct, int *nr)
{
    const char *ctx = c->ctx;
    int upsample = !strcmp(c->n->op_type, "Upsample"), nd = xs->ndims;
    char buf[64];
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    int mode = pick(anc_plan_attr_str(c->n, "mode", buf, sizeof buf, "nearest"), modes, 3);
    if (mode < 0 || mode == 2)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                "%s: mode '%s' is not computed (nearest and linear are)", ctx, buf);
    *linear = mode == 1;
    *ct = CT_ASYMMETRIC;
    *nr = NR_FLOOR;
    if (!upsample && p->g->opset >= 11) {
        static const char *const cts[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                          "tf_half_pixel_for_nn"};
        *ct =
            pick(anc_plan_attr_str(c->n, "coordinate_transformation_mode", buf, sizeof buf, "half_pixel"), cts, 5);
        if (*ct < 0)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                    "%s: coordinate_transformation_mode '%s' is not "
                                    "computed",
                                    ctx, buf);
        static const char *const nrs[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
        *nr = pick(anc_plan_attr_str(c->n, "nearest_mode", buf, sizeof buf, "round_prefer_floor"), nrs, 4);
        if (*nr < 0)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: nearest_mode '%s' is not computed", ctx,
                                    buf);
    }
    /* scales: Upsample-7's attribute, else the input after X (and roi from opset 11) */
    double sc[OX_MAX_DIMS];
    int nsc = -1, nsz = -1;
    int64_t sizes[OX_MAX_DIMS];
    if (upsample && p->g->opset < 9) {
        const Onnx__AttributeProto *a = anc_ox_attr(c->n, "scales");
        if (!a || (int)a->n_floats != nd)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: needs %d scales", ctx, nd);
        for (int i = 0; i < nd; i++)
            sc[i] = a->floats[i];
        nsc = nd;
    } else {
        int si = IN(c, upsample || p->g->opset < 11 ? 1 : 2), zi = upsample || p->g->opset < 11 ? -1 : IN(c, 3);
        if (si >= 0) {
            if (p->v[si].kind != PV_CONST)
                return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: the scales must be constants", ctx);
            const ox_tensor *t = p->v[si].c;
            if (t->count > 0) {
                if (t->count != nd)
                    return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: %lld scales for rank %d", ctx,
                                            (long long)t->count, nd);
                for (int i = 0; i < nd; i++)
                    sc[i] = tget(t, i);
                nsc = nd;
            }
        }
        if (zi >= 0) {
            if (p->v[zi].kind != PV_CONST)
                return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: the sizes must be constants", ctx);
            nsz = p->v[zi].c->count > 0 ? anc_plan_const_ints(p, zi, sizes, OX_MAX_DIMS) : -1;
            if (p->v[zi].c->count > 0 && nsz != nd)
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: %lld sizes for rank %d", ctx,
                                        (long long)p->v[zi].c->count, nd);
        }
    }
    if ((nsc < 0) == (nsz < 0))
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: needs exactly one of scales and sizes", ctx);
    ys->ndims = nd;
    *from_sizes = nsz > 0;
    for (int i = 0; i < nd; i++) {
        if (xs->d[i] < 1 || xs->d[i] > RESIZE_MAX_DIM)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: input dimension %d is %lld", ctx, i,
                                    (long long)xs->d[i]);
        if (nsz > 0) {
            if (sizes[i] < 1 || sizes[i] > RESIZE_MAX_DIM)
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: output size %lld on axis %d", ctx,
                                        (long long)sizes[i], i);
            ys->d[i] = sizes[i];
            scale[i] = (float)sizes[i] / (float)xs->d[i];
        } else {
            double o = floor((double)xs->d[i] * sc[i]);
            if (!(sc[i] > 0) || !(o >= 1) || o > RESIZE_MAX_DIM)
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                        "%s: scale %g on axis %d gives an output size of %g", ctx, sc[i], i, o);
            ys->d[i] = (int64_t)o;
            scale[i] = (float)sc[i];
        }
    }
    if (*linear) {
        for (int i = 0; i < nd - 2; i++)
            if (ys->d[i] != xs->d[i])
                return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                        "%s: linear resizing of axis %d (only the last "
                                        "two axes are)",
                                        ctx, i);
        if (nd < 2)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: linear resizing of a rank-%d tensor", ctx,
                                    nd);
    }
    return ANCHOR_OK;
}

/* The coordinate tables (see resize_geom), as a float32 constant of `count` values. */
static anchor_status resize_table(ox_plan *p, const resize_geom *g, const float *scale, int ct, int nr,
                                  ox_tensor **out)
{
    int nd = g->in.ndims;
    ox_shape ts = {.ndims = 1, .d = {0}};
    for (int i = g->linear ? nd - 2 : 0; i < nd; i++)
        ts.d[0] += g->linear ? 4 * g->out.d[i] : g->out.d[i];
    anchor_status st = anc_ox_tensor_new(out, OX_F32, &ts, &p->budget, p->err);
    if (st)
        return st;
    float *t = (*out)->data;
    for (int i = g->linear ? nd - 2 : 0; i < nd; i++) {
        int64_t in = g->in.d[i], on = g->out.d[i];
        for (int64_t k = 0; k < on; k++) {
            float cx = source_coordinate(ct, k, scale[i], in, on, g->from_sizes ? (float)on : (float)in * scale[i]);
            if (!g->linear) {
                *t++ = (float)nearest_index(nr, cx, in);
                continue;
            }
            /* linear: clamp the coordinate to the input, as PyTorch's source index does */
            if (cx < 0)
                cx = 0;
            if (cx > (float)(in - 1))
                cx = (float)(in - 1);
            int64_t i0 = (int64_t)floorf(cx), i1 = i0 + 1 < in ? i0 + 1 : in - 1;
            float l1 = cx - (float)i0;
            *t++ = (float)i0;
            *t++ = (float)i1;
            *t++ = 1.f - l1;
            *t++ = l1;
        }
    }
    return ANCHOR_OK;
}

anchor_status anc_op_resize(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int x = IN(c, 0), y = c->out[0], ct = 0, nr = 0;
    resize_geom g = {.in = p->v[x].shape};
    float scale[OX_MAX_DIMS];
    if (g.in.ndims < 1)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: a scalar input", ctx);
    if ((st = resize_params(p, c, &g.in, &g.out, scale, &g.from_sizes, &g.linear, &ct, &nr)))
        return st;
    if (anc_ox_shape_elems(&g.out) < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: the output would have too many elements", ctx);
    ox_tensor *tab;
    if ((st = resize_table(p, &g, scale, ct, nr, &tab)))
        return anchor_error_prefix(p->err, "%s", ctx);
    if (p->v[x].kind == PV_CONST) { /* fold */
        ox_tensor *xt, *yt;
        ox_shape xs = g.in;
        if ((st = anc_ox_tensor_new(&xt, OX_F32, &xs, &p->budget, p->err)) ||
            (st = anc_ox_tensor_new(&yt, OX_F32, &g.out, &p->budget, p->err))) {
            anc_ox_tensor_free(tab);
            return anchor_error_prefix(p->err, "%s", ctx);
        }
        for (int64_t i = 0; i < xt->count; i++)
            ((float *)xt->data)[i] = ox_sat_f32(tget(p->v[x].c, i));
        (g.linear ? resize_linear : resize_nearest)(&g, tab->data, xt->data, yt->data);
        anc_ox_tensor_free(xt);
        anc_ox_tensor_free(tab);
        anc_plan_set_const(p, y, yt);
        return ANCHOR_OK;
    }
    int xp, tv, tp;
    if ((st = anc_plan_plain(p, x, &xp, ctx)) || (st = anc_plan_new_value(p, &tv))) {
        anc_ox_tensor_free(tab);
        return st;
    }
    anc_plan_set_const(p, tv, tab);
    pstep *s;
    if ((st = anc_plan_materialize(p, tv, &tp, ctx)) || (st = anc_plan_set_rt(p, y, &g.out, NULL, ctx)) ||
        (st = anc_plan_c_step(p, k_resize, xp, tp, y, &s)))
        return st;
    s->ip[0] = g.in.ndims;
    for (int i = 0; i < g.in.ndims; i++) {
        s->ip[1 + i] = g.in.d[i];
        s->ip[9 + i] = g.out.d[i];
    }
    s->ip[17] = g.linear;
    return ANCHOR_OK;
}
