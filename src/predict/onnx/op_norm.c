/* SPDX-License-Identifier: Apache-2.0 */
/* Normalisations and PRelu: LayerNormalization (opset 17, and the opset-13 decomposition
 * torch.onnx writes for nn.LayerNorm, recognised and run as one), InstanceNormalization
 * and PRelu with a broadcast slope.
 *
 * Both normalisations are one C routine on row-major rows: LayerNormalization normalises
 * each row of D = prod(shape[axis:]) values, with a scale and bias per column;
 * InstanceNormalization each (image, channel) row of spatial values, with a scale and bias
 * per row's channel. The mean and the (biased) variance are two passes over the row in
 * double, so the result is within a float rounding of PyTorch's layer_norm and
 * instance_norm (which accumulate in float); the passes are plain strided-by-one loops over
 * a row, with no index arithmetic per element. At run time, a LayerNormalization (any axis:
 * the rows are flattened) with constant per-column scale and bias runs on oneDNN's
 * layer_normalization primitive instead, vectorised and threaded like the matmuls around it
 * in a transformer; the C routine folds constants and covers the other cases.
 *
 * The opset-13 decomposition (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, and
 * usually Mul scale and Add bias) is matched at plan time from its first ReduceMean, only
 * when every intermediate value is read by the next node of the pattern alone; otherwise
 * the nodes run one by one, which computes the same thing more slowly. */
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

/* Normalises `rows` rows of `d` values. Scale and bias (either may be NULL) are indexed by
 * column (per_row 0: count d, or 1 for one value) or by row % per_row (per_row > 0). */
static void normalize_rows(const float *x, float *y, int64_t rows, int64_t d, float eps, const float *scale,
                           int64_t scale_n, const float *bias, int64_t bias_n, int64_t per_row)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * d;
        float *yr = y + r * d;
        double s = 0, v = 0;
        for (int64_t i = 0; i < d; i++)
            s += xr[i];
        double mean = s / (double)d;
        for (int64_t i = 0; i < d; i++) {
            double t = xr[i] - mean;
            v += t * t;
        }
        float m = (float)mean, rstd = (float)(1.0 / sqrt(v / (double)d + (double)eps));
        if (per_row > 0 || (scale_n <= 1 && bias_n <= 1)) {
            int64_t ch = per_row > 0 ? r % per_row : 0;
            float g = scale ? scale[scale_n > 1 ? ch : 0] : 1.f, b = bias ? bias[bias_n > 1 ? ch : 0] : 0.f;
            float k = rstd * g;
            for (int64_t i = 0; i < d; i++)
                yr[i] = (xr[i] - m) * k + b;
        } else {
            for (int64_t i = 0; i < d; i++) {
                float t = (xr[i] - m) * rstd;
                t = scale ? t * scale[scale_n > 1 ? i : 0] : t;
                yr[i] = bias ? t + bias[bias_n > 1 ? i : 0] : t;
            }
        }
    }
}

/* ip: [0]=rows [1]=d [2]=per_row [3]=scale count [4]=bias count; fp[0]=epsilon;
 * in: x, scale (or -1), bias (or -1) */
static void k_normalize(ox_plan *p, const pstep *s)
{
    const float *scale = s->in[1] >= 0 ? p->v[s->in[1]].ptr : NULL,
                *bias = s->in[2] >= 0 ? p->v[s->in[2]].ptr : NULL;
    normalize_rows(p->v[s->in[0]].ptr, p->v[s->out].ptr, s->ip[0], s->ip[1], s->fp[0], scale, s->ip[3], bias,
                   s->ip[4], s->ip[2]);
}

/* Layer normalisation of rows x d on oneDNN's primitive (vectorised and threaded like the
 * matmuls around it), with constant per-column scale and shift. *done is 0 when oneDNN has
 * no implementation for it, to fall back to the C routine. */
static anchor_status plan_layernorm_dnnl(ox_plan *p, const char *ctx, int x, int scale, int bias, int y,
                                         int64_t rows, int64_t d, float eps, int *done)
{
    anchor_status st;
    *done = 0;
    ox_shape s2 = {.ndims = 2, .d = {rows, d}}, s1 = {.ndims = 1, .d = {d}};
    dnnl_memory_desc_t md = anc_plan_plain_md(&s2), mc = anc_plan_plain_md(&s1);
    dnnl_layer_normalization_desc_t ld;
    unsigned flags = (scale >= 0 ? dnnl_use_scale : 0u) | (bias >= 0 ? dnnl_use_shift : 0u);
    dnnl_primitive_desc_t pd;
    if (dnnl_layer_normalization_forward_desc_init(&ld, dnnl_forward_inference, &md, NULL, eps, flags) !=
            dnnl_success ||
        dnnl_primitive_desc_create(&pd, &ld, NULL, p->eng, NULL) != dnnl_success)
        return ANCHOR_OK;
    int xp, x2, y2;
    pstep *sp;
    if ((st = anc_plan_plain(p, x, &xp, ctx))) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    ox_shape xs = p->v[xp].shape;
    if ((st = anc_plan_prim_step(p, pd, &sp, ctx)))
        return st;
    int step_index = (int)(sp - p->s);
    for (int k = 0; k < 2; k++) {
        int v = k ? bias : scale;
        if (v < 0)
            continue;
        float *buf = malloc((size_t)d * sizeof *buf);
        if (!buf)
            return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
        for (int64_t i = 0; i < d; i++)
            buf[i] = ox_sat_f32(tget(p->v[v].c, i));
        st = anc_plan_const_arg(p, &p->s[step_index], k ? DNNL_ARG_SHIFT : DNNL_ARG_SCALE, buf, &mc, &mc, ctx);
        free(buf);
        if (st)
            return st;
    }
    if ((st = anc_plan_new_rt(p, &x2, &s2, &md, ctx)) || (st = anc_plan_set_rt(p, y, &xs, NULL, ctx)) ||
        (st = anc_plan_new_rt(p, &y2, &s2, &md, ctx)))
        return st;
    p->v[x2].alias = xp;
    p->v[y2].alias = y;
    sp = &p->s[step_index];
    step_arg(sp, DNNL_ARG_SRC, x2);
    step_arg(sp, DNNL_ARG_DST, y2);
    *done = 1;
    return ANCHOR_OK;
}

/* Plans y = normalize(x) with the given row split, folding when x is constant. Scale and
 * bias are values (or -1) whose element counts were checked by the caller. */
static anchor_status plan_normalize(ox_plan *p, const char *ctx, int x, int scale, int bias, int y, int64_t rows,
                                    int64_t d, int64_t per_row, float eps)
{
    anchor_status st;
    int64_t sn = scale >= 0 ? anc_ox_shape_count(&p->v[scale].shape) : 0;
    int64_t bn = bias >= 0 ? anc_ox_shape_count(&p->v[bias].shape) : 0;
    int all_const = p->v[x].kind == PV_CONST && (scale < 0 || p->v[scale].kind == PV_CONST) &&
                    (bias < 0 || p->v[bias].kind == PV_CONST);
    if (all_const) { /* fold: the same routine on float copies */
        ox_tensor *t;
        ox_shape xs = p->v[x].shape;
        if ((st = anc_ox_tensor_new(&t, OX_F32, &xs, &p->budget, p->err)))
            return anchor_error_prefix(p->err, "%s", ctx);
        float *buf = malloc((size_t)(t->count + sn + bn + 1) * sizeof *buf);
        if (!buf) {
            anc_ox_tensor_free(t);
            return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
        }
        for (int64_t i = 0; i < t->count; i++)
            buf[i] = ox_sat_f32(tget(p->v[x].c, i));
        for (int64_t i = 0; i < sn; i++)
            buf[t->count + i] = ox_sat_f32(tget(p->v[scale].c, i));
        for (int64_t i = 0; i < bn; i++)
            buf[t->count + sn + i] = ox_sat_f32(tget(p->v[bias].c, i));
        normalize_rows(buf, t->data, rows, d, eps, sn ? buf + t->count : NULL, sn, bn ? buf + t->count + sn : NULL,
                       bn, per_row);
        free(buf);
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    if (per_row == 0 && (scale < 0 || (p->v[scale].kind == PV_CONST && sn == d)) &&
        (bias < 0 || (p->v[bias].kind == PV_CONST && bn == d))) {
        int done;
        if ((st = plan_layernorm_dnnl(p, ctx, x, scale, bias, y, rows, d, eps, &done)) || done)
            return st;
    }
    int xp, sp_ = -1, bp = -1;
    if ((st = anc_plan_plain(p, x, &xp, ctx)) || (scale >= 0 && (st = anc_plan_plain(p, scale, &sp_, ctx))) ||
        (bias >= 0 && (st = anc_plan_plain(p, bias, &bp, ctx))))
        return st;
    ox_shape xs = p->v[xp].shape;
    pstep *s;
    if ((st = anc_plan_set_rt(p, y, &xs, NULL, ctx)) || (st = anc_plan_c_step(p, k_normalize, xp, sp_, y, &s)))
        return st;
    s->in[2] = bp;
    s->ip[0] = rows;
    s->ip[1] = d;
    s->ip[2] = per_row;
    s->ip[3] = sn;
    s->ip[4] = bn;
    s->fp[0] = eps;
    return ANCHOR_OK;
}

/* Scale or bias of a LayerNormalization: one value, or the normalised shape's count (ONNX
 * allows any shape broadcastable to it; exporters write exactly the normalised shape). */
static anchor_status check_affine(ox_plan *p, const char *ctx, int v, int64_t d, const char *what)
{
    if (v < 0)
        return ANCHOR_OK;
    int64_t n = anc_ox_shape_count(&p->v[v].shape);
    if (n != d && n != 1)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                "%s: %s has %lld values for a normalised size of %lld", ctx, what, (long long)n,
                                (long long)d);
    return ANCHOR_OK;
}

/* The row split of LayerNormalization over axis..end. */
static anchor_status layer_rows(ox_plan *p, const char *ctx, const ox_shape *xs, int64_t axis, int64_t *rows,
                                int64_t *d)
{
    int64_t a = norm_axis(axis, xs->ndims);
    if (xs->ndims < 1 || a < 0 || a >= xs->ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis %lld is out of range for rank %d", ctx,
                                (long long)axis, xs->ndims);
    *rows = 1;
    *d = 1;
    for (int i = 0; i < xs->ndims; i++)
        *(i < a ? rows : d) *= xs->d[i];
    return ANCHOR_OK;
}

anchor_status anc_op_layernorm(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    for (int k = 1; k < c->nout; k++) { /* Mean and InvStdDev: training-time outputs */
        int id = c->out[k];
        if (id >= 0 && (p->g->consumers[id] > 0 || id == p->g->output))
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                    "%s: output %d ('%s', the %s) is read; only the normalised output is computed",
                                    ctx, k, p->g->names[id], k == 1 ? "mean" : "inverse standard deviation");
    }
    int64_t stash = anc_ox_attr_int(c->n, "stash_type", 1);
    if (stash != 1)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: stash_type %lld (only 1, float, is computed)",
                                ctx, (long long)stash);
    int x = IN(c, 0), scale = IN(c, 1), bias = IN(c, 2);
    int64_t rows, d;
    if ((st = layer_rows(p, ctx, &p->v[x].shape, anc_ox_attr_int(c->n, "axis", -1), &rows, &d)) ||
        (st = check_affine(p, ctx, scale, d, "Scale")) || (st = check_affine(p, ctx, bias, d, "B")))
        return st;
    return plan_normalize(p, ctx, x, scale, bias, c->out[0], rows, d, 0,
                          anc_ox_attr_float(c->n, "epsilon", 1e-5f));
}

anchor_status anc_op_instancenorm(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int x = IN(c, 0), scale = IN(c, 1), bias = IN(c, 2);
    ox_shape xs = p->v[x].shape;
    if (xs.ndims < 3)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                "%s: input of rank %d (N, C and at least one spatial "
                                "dimension expected)",
                                ctx, xs.ndims);
    int64_t C = xs.d[1], rows = xs.d[0] * C, d = anc_ox_shape_count(&xs) / (rows > 0 ? rows : 1);
    for (int k = 1; k <= 2; k++) {
        const ox_shape *s = &p->v[k == 1 ? scale : bias].shape;
        if (s->ndims != 1 || s->d[0] != C)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: %s must have one value per channel (%lld)",
                                    ctx, k == 1 ? "scale" : "B", (long long)C);
    }
    if (rows < 1 || d < 1)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: an empty input", ctx);
    (void)st;
    return plan_normalize(p, ctx, x, scale, bias, c->out[0], rows, d, C,
                          anc_ox_attr_float(c->n, "epsilon", 1e-5f));
}

/* ---- the opset-13 LayerNorm decomposition --------------------------------------------- */

/* The node reading `id` after `after` if it is the only reader and has operator `op`. */
static int next_is(ox_plan *p, int id, int after, const char *op)
{
    int j = anc_plan_sole_consumer(p, id, after);
    return j >= 0 && !strcmp(p->g->g->node[j]->op_type, op) ? j : -1;
}

/* The other input of binary node j (the one that is not `id`), or -1. */
static int other_input(ox_plan *p, int j, int id)
{
    const int *in = p->g->node_in[j];
    if (p->g->g->node[j]->n_input != 2)
        return -1;
    return in[0] == id ? in[1] : in[1] == id ? in[0] : -1;
}

/* A scalar constant input of a pattern node. Exporters place the Constant node that makes
 * it just before its reader, after the pattern's first node, so it is folded now (a
 * Constant node depends on nothing, so planning it early changes nothing else). */
int anc_op_scalar_ahead(ox_plan *p, int id, float *out)
{
    if (id < 0)
        return 0;
    if (p->v[id].kind == PV_NONE) {
        for (int j = 0; j < p->g->n_nodes; j++) {
            const Onnx__NodeProto *n = p->g->g->node[j];
            if (n->n_output < 1 || p->g->node_out[j][0] != id)
                continue;
            if (strcmp(n->op_type, "Constant") || p->done[j])
                return 0;
            nctx c = {.node = j,
                      .n = n,
                      .in = p->g->node_in[j],
                      .out = p->g->node_out[j],
                      .nin = (int)n->n_input,
                      .nout = (int)n->n_output,
                      .variant = p->g->node_op[j]->variant};
            anc_ox_node_label(n, c.ctx, sizeof c.ctx);
            if (anc_op_fold(p, &c) != ANCHOR_OK) {
                memset(p->err, 0, sizeof *p->err); /* planned again in order, failing there */
                return 0;
            }
            p->done[j] = 1;
            break;
        }
    }
    return anc_plan_const_float(p, id, out);
}

/* Whether ReduceMean node j averages exactly the last axes from `axis` on, keeping them. */
static int mean_over_tail(ox_plan *p, int j, int ndims, int64_t *axis)
{
    const Onnx__NodeProto *n = p->g->g->node[j];
    int64_t axes[OX_MAX_DIMS];
    int na = anc_plan_attr_ints(n, "axes", axes, OX_MAX_DIMS);
    if (na < 1 || na > ndims || anc_ox_attr_int(n, "keepdims", 1) != 1 || n->n_input != 1)
        return 0;
    char mark[OX_MAX_DIMS] = {0};
    for (int i = 0; i < na; i++) {
        int64_t a = norm_axis(axes[i], ndims);
        if (a < 0 || a >= ndims || mark[a])
            return 0;
        mark[a] = 1;
    }
    for (int i = 0; i < ndims; i++)
        if (mark[i] != (i >= ndims - na))
            return 0;
    *axis = ndims - na;
    return 1;
}

/* Whether value v is a constant that broadcasts along x's axes before `axis` only: one
 * value, or exactly x's shape from `axis` on (with or without leading ones). Then the
 * Mul or Add it feeds is a per-column scale or bias of the normalised rows. */
static int affine_tail(ox_plan *p, int v, const ox_shape *xs, int64_t axis)
{
    if (v < 0 || p->v[v].kind != PV_CONST)
        return 0;
    const ox_shape *s = &p->v[v].shape;
    if (p->v[v].c->count == 1 && s->ndims <= xs->ndims)
        return 1;
    int64_t tail = xs->ndims - axis;
    if (s->ndims < tail || s->ndims > xs->ndims)
        return 0;
    for (int i = 0; i < s->ndims; i++) {
        int64_t want = i < s->ndims - tail ? 1 : xs->d[xs->ndims - s->ndims + i];
        if (s->d[i] != want)
            return 0;
    }
    return 1;
}

/* Tries the decomposition from ReduceMean node c->node: mean = ReduceMean(x);
 * d = Sub(x, mean); Pow(d, 2) -> ReduceMean -> Add(eps) -> Sqrt; n = Div(d, sqrt), then
 * optionally Mul(n, scale) and Add(., bias) with constant scale and bias. Returns 1 when
 * planned (the nodes are marked done), 0 when the nodes must run one by one. */
int anc_op_layernorm_pattern(ox_plan *p, const nctx *c, anchor_status *st)
{
    *st = ANCHOR_OK;
    int x = IN(c, 0), mean = c->out[0], i0 = c->node;
    if (x < 0 || p->v[x].kind != PV_RT)
        return 0;
    const ox_shape *xs = &p->v[x].shape;
    int64_t axis, axis2;
    if (!mean_over_tail(p, i0, xs->ndims, &axis))
        return 0;
    /* the mean is read by the Sub only; the Sub's output by Pow and Div (twice) */
    int sub = next_is(p, mean, i0, "Sub");
    if (sub < 0 || p->g->node_in[sub][0] != x || p->g->node_in[sub][1] != mean)
        return 0;
    int dv = p->g->node_out[sub][0];
    if (dv < 0 || p->g->consumers[dv] != 2 || dv == p->g->output)
        return 0;
    int pw = -1, dvd = -1;
    for (int j = sub + 1; j < p->g->n_nodes; j++) {
        const Onnx__NodeProto *n = p->g->g->node[j];
        if (n->n_input >= 1 && p->g->node_in[j][0] == dv) {
            if (!strcmp(n->op_type, "Pow") && pw < 0)
                pw = j;
            else if (!strcmp(n->op_type, "Div") && dvd < 0)
                dvd = j;
        }
    }
    float two, eps;
    if (pw < 0 || dvd < 0 || p->g->g->node[pw]->n_input != 2 ||
        !anc_op_scalar_ahead(p, p->g->node_in[pw][1], &two) || two != 2.f || p->done[pw] || p->done[dvd])
        return 0;
    int m2 = next_is(p, p->g->node_out[pw][0], pw, "ReduceMean");
    if (m2 < 0 || !mean_over_tail(p, m2, xs->ndims, &axis2) || axis2 != axis)
        return 0;
    int ad = next_is(p, p->g->node_out[m2][0], m2, "Add");
    if (ad < 0 || !anc_op_scalar_ahead(p, other_input(p, ad, p->g->node_out[m2][0]), &eps))
        return 0;
    int sq = next_is(p, p->g->node_out[ad][0], ad, "Sqrt");
    if (sq < 0 || anc_plan_sole_consumer(p, p->g->node_out[sq][0], sq) != dvd ||
        p->g->node_in[dvd][1] != p->g->node_out[sq][0])
        return 0;
    int64_t rows, d;
    if (layer_rows(p, c->ctx, xs, axis, &rows, &d))
        return 0;
    /* optional affine tail with constants of the normalised count (or one value) */
    int y = p->g->node_out[dvd][0], scale = -1, bias = -1, last = dvd;
    int mu = next_is(p, y, dvd, "Mul");
    if (mu >= 0) {
        int sv = other_input(p, mu, y);
        if (affine_tail(p, sv, xs, axis)) {
            scale = sv;
            last = mu;
            int a2 = next_is(p, p->g->node_out[mu][0], mu, "Add");
            int bv = a2 >= 0 ? other_input(p, a2, p->g->node_out[mu][0]) : -1;
            if (affine_tail(p, bv, xs, axis)) {
                bias = bv;
                last = a2;
            }
        }
    }
    int out = p->g->node_out[last][0];
    if (out < 0)
        return 0;
    *st = plan_normalize(p, c->ctx, x, scale, bias, out, rows, d, 0, eps);
    if (!*st) {
        int nodes[] = {sub, pw, m2, ad, sq, dvd, scale >= 0 ? mu : -1, bias >= 0 ? last : -1};
        for (size_t k = 0; k < sizeof nodes / sizeof *nodes; k++)
            if (nodes[k] >= 0)
                p->done[nodes[k]] = 1;
    }
    return 1;
}

/* ---- PRelu ---------------------------------------------------------------------------- */

/* y = x < 0 ? slope * x : x over `shape`, the slope broadcast through `ss` strides; the
 * last dimension is the inner loop (slope stride 0 or 1), an odometer walks the rest. */
static void prelu(const float *x, const float *slope, float *y, const ox_shape *shape, const int64_t *ss)
{
    int nd = shape->ndims;
    int64_t inner = nd ? shape->d[nd - 1] : 1, outer = 1, idx[OX_MAX_DIMS] = {0}, off = 0;
    int64_t s_in = nd ? ss[nd - 1] : 0;
    for (int i = 0; i < nd - 1; i++)
        outer *= shape->d[i];
    for (int64_t o = 0; o < outer; o++) {
        const float *xr = x + o * inner;
        float *yr = y + o * inner;
        const float *sr = slope + off;
        if (s_in)
            for (int64_t i = 0; i < inner; i++)
                yr[i] = xr[i] < 0 ? sr[i] * xr[i] : xr[i];
        else
            for (int64_t i = 0; i < inner; i++)
                yr[i] = xr[i] < 0 ? sr[0] * xr[i] : xr[i];
        for (int i = nd - 2; i >= 0; i--) {
            off += ss[i];
            if (++idx[i] < shape->d[i])
                break;
            off -= ss[i] * idx[i];
            idx[i] = 0;
        }
    }
}

/* ip: [0]=ndims [1..8]=dims [9..16]=slope strides */
static void k_prelu(ox_plan *p, const pstep *s)
{
    ox_shape sh = {.ndims = (int)s->ip[0]};
    for (int i = 0; i < sh.ndims; i++)
        sh.d[i] = s->ip[1 + i];
    prelu(p->v[s->in[0]].ptr, p->v[s->in[1]].ptr, p->v[s->out].ptr, &sh, &s->ip[9]);
}

anchor_status anc_op_prelu(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int x = IN(c, 0), sl = IN(c, 1), y = c->out[0];
    ox_shape xs = p->v[x].shape, ss = p->v[sl].shape, bs;
    /* the slope broadcasts to x (unidirectionally: the result has x's shape) */
    if ((st = anc_plan_broadcast_shape(&xs, &ss, &bs, ctx, p->err)))
        return st;
    if (!shape_eq(&bs, &xs))
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: the slope does not broadcast to the input's shape",
                                ctx);
    int64_t str[OX_MAX_DIMS] = {0};
    anc_plan_broadcast_strides(&ss, &xs, str);
    if (p->v[x].kind == PV_CONST && p->v[sl].kind == PV_CONST) {
        ox_tensor *t;
        int64_t ns = anc_ox_shape_count(&ss);
        if ((st = anc_ox_tensor_new(&t, OX_F32, &xs, &p->budget, p->err)))
            return anchor_error_prefix(p->err, "%s", ctx);
        float *buf = malloc((size_t)(t->count + ns + 1) * sizeof *buf);
        if (!buf) {
            anc_ox_tensor_free(t);
            return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
        }
        for (int64_t i = 0; i < t->count; i++)
            buf[i] = ox_sat_f32(tget(p->v[x].c, i));
        for (int64_t i = 0; i < ns; i++)
            buf[t->count + i] = ox_sat_f32(tget(p->v[sl].c, i));
        prelu(buf, buf + t->count, t->data, &xs, str);
        free(buf);
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    int xp, sp_;
    if ((st = anc_plan_plain(p, x, &xp, ctx)) || (st = anc_plan_plain(p, sl, &sp_, ctx)))
        return st;
    pstep *s;
    if ((st = anc_plan_set_rt(p, y, &xs, NULL, ctx)) || (st = anc_plan_c_step(p, k_prelu, xp, sp_, y, &s)))
        return st;
    s->ip[0] = xs.ndims;
    for (int i = 0; i < xs.ndims; i++) {
        s->ip[1 + i] = xs.d[i];
        s->ip[9 + i] = str[i];
    }
    return ANCHOR_OK;
}
