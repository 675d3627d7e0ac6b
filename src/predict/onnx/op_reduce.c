/* SPDX-License-Identifier: Apache-2.0 */
/* Reductions: Softmax and LogSoftmax over an axis (with the pre-opset-13 rule that
 * flattens everything from the axis on), and the Reduce* family (Mean, Sum, Max, Min,
 * Prod, L1, L2, SumSquare, LogSumExp) over any set of axes, with the axes as an attribute
 * or, from opset 13 (ReduceSum) and 18 (the others), as a constant input.
 *
 * One C routine per operator on row-major buffers, used both to fold constants while
 * planning (shape arithmetic) and at run time (Softmax runs on oneDNN's softmax where it
 * has one, since a transformer spends a tenth of its time there). A set of reduced axes is split into runs of
 * adjacent axes, each run one pass over (outer, n, inner) with the inner dimension as the
 * contiguous innermost loop and accumulation in double: the passes compose because every
 * reduction here is associative over axes (the mean divides by the whole count at the
 * end, LogSumExp of LogSumExps is the LogSumExp, the L1/L2 transforms apply in the first
 * pass and the square root in the last). Where the exported model's reference is PyTorch,
 * which accumulates in float, double accumulation keeps us within its own rounding. */
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

/* ---- Softmax and LogSoftmax ----------------------------------------------------------- */

static void softmax(const float *x, float *y, int64_t outer, int64_t n, int64_t inner, int log_of)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xs = x + o * n * inner + i;
            float *ys = y + o * n * inner + i;
            float mx = -INFINITY;
            for (int64_t k = 0; k < n; k++)
                mx = xs[k * inner] > mx ? xs[k * inner] : mx;
            double sum = 0;
            if (log_of) {
                for (int64_t k = 0; k < n; k++)
                    sum += expf(xs[k * inner] - mx);
                float lse = (float)log(sum);
                for (int64_t k = 0; k < n; k++)
                    ys[k * inner] = xs[k * inner] - mx - lse;
            } else {
                for (int64_t k = 0; k < n; k++) {
                    ys[k * inner] = expf(xs[k * inner] - mx);
                    sum += ys[k * inner];
                }
                float inv = (float)(1.0 / sum);
                for (int64_t k = 0; k < n; k++)
                    ys[k * inner] *= inv;
            }
        }
}

/* ip: [0]=outer [1]=n [2]=inner [3]=log */
static void k_softmax(ox_plan *p, const pstep *s)
{
    softmax(p->v[s->in[0]].ptr, p->v[s->out].ptr, s->ip[0], s->ip[1], s->ip[2], (int)s->ip[3]);
}

/* A constant as a float32 tensor of the same shape (folding computes in float32, as the
 * runtime does). */
static anchor_status const_as_f32(ox_plan *p, int id, ox_tensor **out, const char *ctx)
{
    const ox_tensor *c = p->v[id].c;
    anchor_status st = anc_ox_tensor_new(out, OX_F32, &c->shape, &p->budget, p->err);
    if (st)
        return anchor_error_prefix(p->err, "%s", ctx);
    for (int64_t i = 0; i < c->count; i++)
        ((float *)(*out)->data)[i] = ox_sat_f32(tget(c, i));
    return ANCHOR_OK;
}

anchor_status anc_op_softmax(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), y = c->out[0];
    anchor_status st;
    ox_shape xs = p->v[x].shape;
    int64_t axis_attr = anc_ox_attr_int(c->n, "axis", p->g->opset < 13 ? 1 : -1);
    int64_t axis = norm_axis(axis_attr, xs.ndims);
    if (xs.ndims < 1 || axis < 0 || axis >= xs.ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis %lld is out of range for rank %d", ctx,
                                (long long)axis_attr, xs.ndims);
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < xs.ndims; i++) {
        if (i < axis)
            outer *= xs.d[i];
        else if (i == axis || p->g->opset < 13) /* before opset 13: flattened from axis on */
            n *= xs.d[i];
        else
            inner *= xs.d[i];
    }
    if (p->v[x].kind == PV_CONST) {
        ox_tensor *t;
        if ((st = const_as_f32(p, x, &t, ctx)))
            return st;
        softmax(t->data, t->data, outer, n, inner, c->variant);
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    int xp;
    pstep *sp;
    if ((st = anc_plan_plain(p, x, &xp, ctx)) || (st = anc_plan_set_rt(p, y, &xs, NULL, ctx)))
        return st;
    /* oneDNN's softmax (vectorised, threaded: attention's softmax is a tenth of a ViT's
     * time) on the (outer, n, inner) view; the C routine where oneDNN has none */
    ox_shape s3 = {.ndims = inner > 1 ? 3 : 2, .d = {outer, n, inner}};
    dnnl_memory_desc_t md = anc_plan_plain_md(&s3);
    dnnl_softmax_v2_desc_t sd;
    dnnl_primitive_desc_t pd;
    if (dnnl_softmax_v2_forward_desc_init(&sd, dnnl_forward_inference,
                                          c->variant ? dnnl_softmax_log : dnnl_softmax_accurate, &md, &md,
                                          1) == dnnl_success &&
        dnnl_primitive_desc_create(&pd, &sd, NULL, p->eng, NULL) == dnnl_success) {
        int x3, y3;
        if ((st = anc_plan_prim_step(p, pd, &sp, ctx)) || (st = anc_plan_new_rt(p, &x3, &s3, &md, ctx)) ||
            (st = anc_plan_new_rt(p, &y3, &s3, &md, ctx)))
            return st;
        p->v[x3].alias = xp;
        p->v[y3].alias = y;
        sp = &p->s[p->ns - 1];
        step_arg(sp, DNNL_ARG_SRC, x3);
        step_arg(sp, DNNL_ARG_DST, y3);
        return ANCHOR_OK;
    }
    if ((st = anc_plan_c_step(p, k_softmax, xp, -1, y, &sp)))
        return st;
    sp->ip[0] = outer;
    sp->ip[1] = n;
    sp->ip[2] = inner;
    sp->ip[3] = c->variant;
    return ANCHOR_OK;
}

/* ---- Reduce* -------------------------------------------------------------------------- */

/* How one pass accumulates, transforms its inputs first, and finishes. */
enum { ACC_SUM, ACC_MAX, ACC_MIN, ACC_PROD, ACC_LSE };
enum { PRE_NONE, PRE_ABS, PRE_SQUARE };
enum { POST_NONE, POST_DIV, POST_SQRT };

typedef struct reduce_pass {
    int64_t outer, n, inner;
    int acc, pre, post;
    double div; /* POST_DIV: the count the mean divides by */
} reduce_pass;

#define RED_CHUNK 256

static double pre_apply(int pre, float v)
{
    return pre == PRE_ABS ? fabs(v) : pre == PRE_SQUARE ? (double)v * v : v;
}

/* y[o, i] = reduce over k of x[o, k, i]: the accumulators of up to RED_CHUNK inner
 * positions live on the stack, and the innermost loop walks contiguous memory. */
static void reduce_pass_run(const reduce_pass *q, const float *x, float *y)
{
    double acc[RED_CHUNK], mx[RED_CHUNK];
    for (int64_t o = 0; o < q->outer; o++)
        for (int64_t i0 = 0; i0 < q->inner; i0 += RED_CHUNK) {
            int64_t w = q->inner - i0 < RED_CHUNK ? q->inner - i0 : RED_CHUNK;
            const float *xo = x + o * q->n * q->inner + i0;
            if (q->acc == ACC_LSE) { /* log(sum(exp(x - max))) + max, as torch.logsumexp */
                for (int64_t i = 0; i < w; i++) {
                    mx[i] = -INFINITY;
                    acc[i] = 0;
                }
                for (int64_t k = 0; k < q->n; k++)
                    for (int64_t i = 0; i < w; i++)
                        mx[i] = xo[k * q->inner + i] > mx[i] ? xo[k * q->inner + i] : mx[i];
                for (int64_t i = 0; i < w; i++)
                    if (isinf(mx[i]))
                        mx[i] = 0;
                for (int64_t k = 0; k < q->n; k++)
                    for (int64_t i = 0; i < w; i++)
                        acc[i] += exp(xo[k * q->inner + i] - mx[i]);
                for (int64_t i = 0; i < w; i++)
                    acc[i] = log(acc[i]) + mx[i];
            } else {
                for (int64_t i = 0; i < w; i++)
                    acc[i] = pre_apply(q->pre, xo[i]);
                for (int64_t k = 1; k < q->n; k++) {
                    const float *xk = xo + k * q->inner;
                    switch (q->acc) {
                    case ACC_SUM:
                        for (int64_t i = 0; i < w; i++)
                            acc[i] += pre_apply(q->pre, xk[i]);
                        break;
                    case ACC_MAX: /* NaN propagates, as in torch.amax */
                        for (int64_t i = 0; i < w; i++)
                            acc[i] = xk[i] > acc[i] || xk[i] != xk[i] ? xk[i] : acc[i];
                        break;
                    case ACC_MIN:
                        for (int64_t i = 0; i < w; i++)
                            acc[i] = xk[i] < acc[i] || xk[i] != xk[i] ? xk[i] : acc[i];
                        break;
                    default:
                        for (int64_t i = 0; i < w; i++)
                            acc[i] *= xk[i];
                    }
                }
            }
            float *yo = y + o * q->inner + i0;
            for (int64_t i = 0; i < w; i++)
                yo[i] = ox_sat_f32(q->post == POST_DIV    ? acc[i] / q->div
                                   : q->post == POST_SQRT ? sqrt(acc[i])
                                                          : acc[i]);
        }
}

/* ip: [0]=outer [1]=n [2]=inner [3]=acc [4]=pre [5]=post [6]=divisor */
static void k_reduce(ox_plan *p, const pstep *s)
{
    reduce_pass q = {s->ip[0], s->ip[1], s->ip[2], (int)s->ip[3], (int)s->ip[4], (int)s->ip[5], (double)s->ip[6]};
    reduce_pass_run(&q, p->v[s->in[0]].ptr, p->v[s->out].ptr);
}

/* The reduced axes of node c (attribute, or constant second input), marked in `mark`;
 * *any is 0 for "nothing to reduce" (noop_with_empty_axes with no axes). */
static anchor_status reduce_axes(ox_plan *p, const nctx *c, int ndims, char *mark, int *any)
{
    const char *ctx = c->ctx;
    int64_t axes[OX_MAX_DIMS];
    int na = -1, ai = IN(c, 1);
    if (ai >= 0) {
        int from = c->variant == OX_RED_SUM ? 13 : 18;
        if (p->g->opset < from)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axes as an input before opset %d", ctx, from);
        if (anc_ox_attr(c->n, "axes"))
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axes given both as an attribute and an input",
                                    ctx);
        if (p->v[ai].kind != PV_CONST)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: the axes input must be a constant", ctx);
        na = anc_plan_const_ints(p, ai, axes, OX_MAX_DIMS);
        if (na < 0)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: more axes than dimensions", ctx);
    } else {
        na = anc_plan_attr_ints(c->n, "axes", axes, OX_MAX_DIMS);
        if (na > OX_MAX_DIMS)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: more axes than dimensions", ctx);
    }
    memset(mark, 0, OX_MAX_DIMS);
    *any = 1;
    if (na <= 0) {
        if (anc_ox_attr_int(c->n, "noop_with_empty_axes", 0)) {
            *any = 0;
            return ANCHOR_OK;
        }
        memset(mark, 1, (size_t)ndims);
        return ANCHOR_OK;
    }
    for (int i = 0; i < na; i++) {
        int64_t a = norm_axis(axes[i], ndims);
        if (a < 0 || a >= ndims)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis %lld is out of range for rank %d", ctx,
                                    (long long)axes[i], ndims);
        if (mark[a])
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis %lld appears twice", ctx,
                                    (long long)axes[i]);
        mark[a] = 1;
    }
    return ANCHOR_OK;
}

/* The passes for reducing the marked axes of `xs`, last run first. Returns their count. */
static int reduce_plan_passes(int variant, const ox_shape *xs, const char *mark, reduce_pass *passes)
{
    static const struct {
        int acc, pre, post;
    } kinds[] = {
        [OX_RED_MEAN] = {ACC_SUM, PRE_NONE, POST_DIV},   [OX_RED_SUM] = {ACC_SUM, PRE_NONE, POST_NONE},
        [OX_RED_MAX] = {ACC_MAX, PRE_NONE, POST_NONE},   [OX_RED_MIN] = {ACC_MIN, PRE_NONE, POST_NONE},
        [OX_RED_PROD] = {ACC_PROD, PRE_NONE, POST_NONE}, [OX_RED_L1] = {ACC_SUM, PRE_ABS, POST_NONE},
        [OX_RED_L2] = {ACC_SUM, PRE_SQUARE, POST_SQRT},  [OX_RED_SUMSQ] = {ACC_SUM, PRE_SQUARE, POST_NONE},
        [OX_RED_LSE] = {ACC_LSE, PRE_NONE, POST_NONE}};
    ox_shape cur = *xs;
    int np = 0;
    double total = 1;
    for (int b = xs->ndims - 1; b >= 0;) {
        if (!mark[b]) {
            b--;
            continue;
        }
        int a = b;
        while (a > 0 && mark[a - 1])
            a--;
        reduce_pass *q = &passes[np++];
        q->outer = q->n = q->inner = 1;
        for (int i = 0; i < xs->ndims; i++)
            *(i < a ? &q->outer : i <= b ? &q->n : &q->inner) *= cur.d[i];
        for (int i = a; i <= b; i++)
            cur.d[i] = 1;
        total *= (double)q->n;
        q->acc = kinds[variant].acc;
        q->pre = np == 1 ? kinds[variant].pre : PRE_NONE;
        q->post = POST_NONE;
        q->div = 1;
        b = a - 1;
    }
    if (np) {
        passes[np - 1].post = kinds[variant].post;
        passes[np - 1].div = total;
    }
    return np;
}

anchor_status anc_op_reduce(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int x = IN(c, 0), y = c->out[0], any;
    if (c->variant == OX_RED_MEAN) { /* the opset-13 LayerNorm decomposition starts here */
        if (anc_op_layernorm_pattern(p, c, &st))
            return st;
    }
    ox_shape xs = p->v[x].shape, ks = xs, ys = {0};
    char mark[OX_MAX_DIMS];
    if ((st = reduce_axes(p, c, xs.ndims, mark, &any)))
        return st;
    int keep = (int)anc_ox_attr_int(c->n, "keepdims", 1);
    for (int i = 0; i < xs.ndims; i++)
        if (mark[i])
            ks.d[i] = 1;
    for (int i = 0; i < xs.ndims; i++)
        if (!mark[i] || keep)
            ys.d[ys.ndims++] = ks.d[i];
    reduce_pass passes[OX_MAX_DIMS];
    int np = any ? reduce_plan_passes(c->variant, &xs, mark, passes) : 0;
    if (anc_ox_shape_elems(&xs) < 1)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: an empty input", ctx);
    if (p->v[x].kind == PV_CONST) { /* fold, pass by pass, in place: each pass shrinks the data */
        ox_tensor *t;
        if ((st = const_as_f32(p, x, &t, ctx)))
            return st;
        for (int k = 0; k < np; k++)
            reduce_pass_run(&passes[k], t->data, t->data); /* output index <= input index */
        t->shape = ys;
        t->count = anc_ox_shape_count(&ys);
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    int cur;
    if ((st = anc_plan_plain(p, x, &cur, ctx)))
        return st;
    if (np == 0)
        return anc_plan_view(p, cur, y, &ys, ctx);
    for (int k = 0; k < np; k++) {
        /* between passes, the data is (outer, inner) row-major: the next pass's own split */
        int out;
        pstep *sp;
        if ((st = anc_plan_new_value(p, &out)))
            return st;
        if (k == np - 1) {
            if ((st = anc_plan_set_rt(p, out, &ks, NULL, ctx)))
                return st;
        } else {
            ox_shape flat = {.ndims = 2, .d = {passes[k].outer, passes[k].inner}};
            if ((st = anc_plan_set_rt(p, out, &flat, NULL, ctx)))
                return st;
        }
        if ((st = anc_plan_c_step(p, k_reduce, cur, -1, out, &sp)))
            return st;
        sp->ip[0] = passes[k].outer;
        sp->ip[1] = passes[k].n;
        sp->ip[2] = passes[k].inner;
        sp->ip[3] = passes[k].acc;
        sp->ip[4] = passes[k].pre;
        sp->ip[5] = passes[k].post;
        sp->ip[6] = (int64_t)passes[k].div;
        cur = out;
    }
    return anc_plan_view(p, cur, y, &ys, ctx);
}
