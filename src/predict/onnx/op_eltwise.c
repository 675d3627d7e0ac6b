/* SPDX-License-Identifier: Apache-2.0 */
/* Elementwise operators: the activations oneDNN computes as eltwise operations (also used
 * as Conv post-ops, hence anc_op_as_eltwise) and the broadcasting Add/Sub/Mul/Div, folded
 * on constants, run on oneDNN's binary primitive when it broadcasts in the ONNX way, and
 * on a C kernel otherwise. */
#include <dnnl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/kernels.h"
#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

/* The node as one or two oneDNN eltwise operations, or 0 when it is not an activation
 * (or has runtime parameters). */
int anc_op_as_eltwise(ox_plan *p, int node, eltwise_op *e)
{
    const Onnx__NodeProto *n = p->g->g->node[node];
    const int *in = p->g->node_in[node];
    const char *op = n->op_type;
    memset(e, 0, sizeof *e);
    e->n = 1;
    if (!strcmp(op, "Relu")) {
        e->alg[0] = dnnl_eltwise_relu;
    } else if (!strcmp(op, "LeakyRelu")) {
        e->alg[0] = dnnl_eltwise_relu;
        e->alpha[0] = anc_ox_attr_float(n, "alpha", 0.01f);
    } else if (!strcmp(op, "Sigmoid")) {
        e->alg[0] = dnnl_eltwise_logistic;
    } else if (!strcmp(op, "Tanh")) {
        e->alg[0] = dnnl_eltwise_tanh;
    } else if (!strcmp(op, "Abs")) {
        e->alg[0] = dnnl_eltwise_abs;
    } else if (!strcmp(op, "Sqrt")) {
        e->alg[0] = dnnl_eltwise_sqrt;
    } else if (!strcmp(op, "Exp")) {
        e->alg[0] = dnnl_eltwise_exp;
    } else if (!strcmp(op, "Neg")) {
        e->alg[0] = dnnl_eltwise_linear;
        e->alpha[0] = -1.f;
    } else if (!strcmp(op, "Reciprocal")) {
        e->alg[0] = dnnl_eltwise_pow;
        e->alpha[0] = 1.f;
        e->beta[0] = -1.f;
    } else if (!strcmp(op, "Pow")) { /* a constant exponent only */
        e->alg[0] = dnnl_eltwise_pow;
        e->alpha[0] = 1.f;
        if (n->n_input < 2 || in[1] < 0 || !anc_plan_const_float(p, in[1], &e->beta[0]))
            return 0;
    } else if (!strcmp(op, "Elu")) {
        e->alg[0] = dnnl_eltwise_elu;
        e->alpha[0] = anc_ox_attr_float(n, "alpha", 1.f);
    } else if (!strcmp(op, "Selu")) { /* gamma * elu_alpha(x) */
        e->n = 2;
        e->alg[0] = dnnl_eltwise_elu;
        e->alpha[0] = anc_ox_attr_float(n, "alpha", 1.67326319217681884765625f);
        e->alg[1] = dnnl_eltwise_linear;
        e->alpha[1] = anc_ox_attr_float(n, "gamma", 1.05070102214813232421875f);
    } else if (!strcmp(op, "HardSwish")) {
        e->alg[0] = dnnl_eltwise_hardswish;
    } else if (!strcmp(op, "HardSigmoid")) {
        e->n = 2;
        e->alg[0] = dnnl_eltwise_linear;
        e->alpha[0] = anc_ox_attr_float(n, "alpha", 0.2f);
        e->beta[0] = anc_ox_attr_float(n, "beta", 0.5f);
        e->alg[1] = dnnl_eltwise_clip;
        e->alpha[1] = 0;
        e->beta[1] = 1;
    } else if (!strcmp(op, "Clip")) {
        float lo = -FLT_MAX, hi = FLT_MAX;
        if (p->g->opset < 11) {
            lo = anc_ox_attr_float(n, "min", -FLT_MAX);
            hi = anc_ox_attr_float(n, "max", FLT_MAX);
        } else {
            int k = (int)n->n_input;
            if (k > 1 && in[1] >= 0 && !anc_plan_const_float(p, in[1], &lo))
                return 0;
            if (k > 2 && in[2] >= 0 && !anc_plan_const_float(p, in[2], &hi))
                return 0;
        }
        e->alg[0] = dnnl_eltwise_clip;
        e->alpha[0] = lo;
        e->beta[0] = hi;
    } else {
        return 0;
    }
    return 1;
}

/* Standalone activations. A two-part one (HardSigmoid: linear, then clip) is two eltwise
 * primitives rather than one with a post-op: oneDNN 2.6 drops the post-op on rank-1
 * tensors (HardSigmoid returned zeros), and the arithmetic is the same. */
anchor_status anc_op_eltwise(ox_plan *p, const nctx *c)
{
    eltwise_op e;
    int x = IN(c, 0);
    const char *ctx = c->ctx;
    anchor_status st = anc_plan_materialize(p, x, &x, ctx);
    if (st)
        return st;
    if (!anc_op_as_eltwise(p, c->node, &e))
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: parameters must be constants", ctx);
    ox_shape sh = p->v[x].shape;
    dnnl_memory_desc_t md = p->v[x].md;
    for (int q = 0; q < e.n; q++) {
        dnnl_eltwise_desc_t ed;
        DN(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, e.alg[q], &md, e.alpha[q], e.beta[q]),
           "an activation");
        dnnl_primitive_desc_t pd;
        DN(dnnl_primitive_desc_create(&pd, &ed, NULL, p->eng, NULL), "an activation");
        pstep *s;
        int y = c->out[0];
        if ((st = anc_plan_prim_step(p, pd, &s, ctx)))
            return st;
        if (q + 1 < e.n)
            st = anc_plan_new_rt(p, &y, &sh, &md, ctx);
        else
            st = anc_plan_set_rt(p, y, &sh, &md, ctx);
        if (st)
            return st;
        step_arg(s, DNNL_ARG_SRC, x);
        step_arg(s, DNNL_ARG_DST, y);
        x = y;
    }
    return ANCHOR_OK;
}

/* Erf and Softsign, which oneDNN 2.6 has no eltwise operation for, and Log and Softplus,
 * whose oneDNN 2.6 eltwise operations are approximations (Log(1) gave -1.4e-6, failing
 * ONNX's test_log_example; Softplus was off by up to 87 % of its value below x = -8): a C
 * kernel on row-major data, with libm's correctly rounded-or-nearly functions. */
anchor_status anc_op_unary(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st = anc_plan_plain(p, x, &xp, ctx);
    if (st)
        return st;
    ox_shape sh = p->v[xp].shape;
    pstep *s;
    if ((st = anc_plan_set_rt(p, y, &sh, NULL, ctx)) || (st = anc_plan_c_step(p, anc_k_unary, xp, -1, y, &s)))
        return st;
    s->ip[0] = anc_ox_shape_count(&sh);
    s->ip[1] = c->variant;
    return ANCHOR_OK;
}

static anchor_status fold_binary(ox_plan *p, int op, int a, int b, int out, const char *ctx)
{
    const ox_tensor *ta = p->v[a].c, *tb = p->v[b].c;
    ox_shape sh;
    anchor_status st = anc_plan_broadcast_shape(&ta->shape, &tb->shape, &sh, ctx, p->err);
    if (st)
        return st;
    ox_tensor *t;
    if ((st = anc_ox_tensor_new(&t, ta->type == OX_I64 && tb->type == OX_I64 ? OX_I64 : OX_F32, &sh, &p->budget, p->err)))
        return st;
    int64_t sa[OX_MAX_DIMS], sb[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    anc_plan_broadcast_strides(&ta->shape, &sh, sa);
    anc_plan_broadcast_strides(&tb->shape, &sh, sb);
    for (int64_t e = 0; e < t->count; e++) {
        int64_t oa = 0, ob = 0, r = e;
        for (int i = sh.ndims - 1; i >= 0; i--) {
            idx[i] = r % sh.d[i];
            r /= sh.d[i];
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        double x = tget(ta, oa), y = tget(tb, ob), v;
        if (t->type == OX_I64 && op == 3)
            v = y != 0 ? (double)((int64_t)x / (int64_t)y) : 0;
        else
            v = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
        tset(t, e, v);
    }
    anc_plan_set_const(p, out, t);
    return ANCHOR_OK;
}

anchor_status anc_op_binary(ox_plan *p, const nctx *c)
{
    int op = c->variant;
    const char *ctx = c->ctx;
    anchor_status st;
    int a = IN(c, 0), b = IN(c, 1), y = c->out[0];
    if (a < 0 || b < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: needs two inputs", ctx);
    if (p->v[a].kind == PV_CONST && p->v[b].kind == PV_CONST)
        return fold_binary(p, op, a, b, y, ctx);
    ox_shape ys;
    if ((st = anc_plan_broadcast_shape(&p->v[a].shape, &p->v[b].shape, &ys, ctx, p->err)))
        return st;
    int commutative = op == 0 || op == 2;
    if (!shape_eq(&p->v[a].shape, &ys) && commutative && shape_eq(&p->v[b].shape, &ys)) {
        int t = a;
        a = b;
        b = t;
    }
    static const dnnl_alg_kind_t algs[4] = {dnnl_binary_add, dnnl_binary_sub, dnnl_binary_mul, dnnl_binary_div};
    if (shape_eq(&p->v[a].shape, &ys) && p->v[a].kind == PV_RT) {
        /* oneDNN: src0 in its own layout, src1 broadcast (row-major, same rank) or same shape */
        int b1;
        if (shape_eq(&p->v[b].shape, &ys)) {
            /* in src0's layout: with two layouts (ViT's residual sum of a transposed view and
             * a row-major tensor) oneDNN 2.6 falls back to its reference binary, which took
             * 36 % of ViT-B/16; a reorder and the vectorised binary take a tenth of that */
            if ((st = anc_plan_in_layout(p, b, &p->v[a].md, &b1, ctx)))
                return st;
        } else {
            int bp;
            if ((st = anc_plan_plain(p, b, &bp, ctx)) || (st = anc_plan_new_value(p, &b1)))
                return st;
            ox_shape bs = {.ndims = ys.ndims};
            int off = ys.ndims - p->v[bp].shape.ndims;
            for (int i = 0; i < ys.ndims; i++)
                bs.d[i] = i < off ? 1 : p->v[bp].shape.d[i - off];
            if ((st = anc_plan_set_rt(p, b1, &bs, NULL, ctx)))
                return st;
            p->v[b1].alias = bp;
        }
        dnnl_binary_desc_t bd;
        /* same shape: b1 is in a's layout, which oneDNN's equality allows to differ in the
         * strides of size-1 dimensions; the vectorised binary wants the very same descriptor */
        dnnl_memory_desc_t ma = p->v[a].md, mb = shape_eq(&p->v[b].shape, &ys) ? ma : p->v[b1].md;
        DN(dnnl_binary_desc_init(&bd, algs[op], &ma, &mb, &ma), "a binary operation");
        dnnl_primitive_desc_t pd;
        DN(dnnl_primitive_desc_create(&pd, &bd, NULL, p->eng, NULL), "a binary operation");
        pstep *sp;
        if ((st = anc_plan_prim_step(p, pd, &sp, ctx)) || (st = anc_plan_set_rt(p, y, &ys, &ma, ctx)))
            return st;
        step_arg(sp, DNNL_ARG_SRC_0, a);
        step_arg(sp, DNNL_ARG_SRC_1, b1);
        step_arg(sp, DNNL_ARG_DST, y);
        return ANCHOR_OK;
    }
    int ap, bp;
    if ((st = anc_plan_plain(p, a, &ap, ctx)) || (st = anc_plan_plain(p, b, &bp, ctx)) ||
        (st = anc_plan_set_rt(p, y, &ys, NULL, ctx)))
        return st;
    if (ys.ndims > OX_MAX_DIMS)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: rank too high", ctx);
    pstep *sp;
    if ((st = anc_plan_c_step(p, anc_k_binary, ap, bp, y, &sp)))
        return st;
    sp->ip[0] = ys.ndims;
    for (int i = 0; i < ys.ndims; i++)
        sp->ip[1 + i] = ys.d[i];
    anc_plan_broadcast_strides(&p->v[ap].shape, &ys, &sp->ip[9]);
    anc_plan_broadcast_strides(&p->v[bp].shape, &ys, &sp->ip[17]);
    sp->ip[25] = op;
    return ANCHOR_OK;
}
