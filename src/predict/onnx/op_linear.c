/* SPDX-License-Identifier: Apache-2.0 */
/* Linear operators: Gemm and MatMul, on oneDNN's matmul primitive with constant weights
 * reordered once to the layout it prefers. Gemm's alpha and beta are folded into the
 * weights and the bias, which is exact for the usual alpha = beta = 1.
 *
 * A MatMul whose right side has batch dimensions (attention's q @ k^T and attn @ v, both
 * computed at run time) is one batched oneDNN matmul: numpy's rules (ONNX MatMul is
 * numpy.matmul) pad the shorter operand's batch dimensions with leading ones and broadcast
 * dimensions of 1, which is exactly oneDNN's batch broadcasting, so no operand is copied. */
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

/* MatMul of two constants (shape arithmetic, or weights an exporter left unfolded), in
 * double with numpy's broadcasting, when it is small enough to do while planning; 0 to
 * leave it to run time. */
static int matmul_fold(ox_plan *p, const nctx *c, anchor_status *st)
{
    const ox_tensor *ta = p->v[IN(c, 0)].c, *tb = p->v[IN(c, 1)].c;
    ox_shape as = ta->shape, bs = tb->shape, pa, pb, ys;
    if (as.ndims < 1 || bs.ndims < 1)
        return 0;
    int a_row = as.ndims == 1, b_col = bs.ndims == 1;
    if (a_row) {
        as.ndims = 2, as.d[1] = as.d[0], as.d[0] = 1;
    }
    if (b_col) {
        bs.ndims = 2, bs.d[1] = 1;
    }
    int nd = as.ndims > bs.ndims ? as.ndims : bs.ndims;
    pa.ndims = pb.ndims = ys.ndims = nd;
    double batch = 1;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - as.ndims), ib = i - (nd - bs.ndims);
        pa.d[i] = ia >= 0 ? as.d[ia] : 1;
        pb.d[i] = ib >= 0 ? bs.d[ib] : 1;
        if (i < nd - 2) {
            if (pa.d[i] != pb.d[i] && pa.d[i] != 1 && pb.d[i] != 1)
                return 0; /* the runtime path names the problem */
            ys.d[i] = pa.d[i] == 1 ? pb.d[i] : pa.d[i];
            batch *= (double)ys.d[i];
        }
    }
    int64_t M = pa.d[nd - 2], K = pa.d[nd - 1], N = pb.d[nd - 1];
    if (pb.d[nd - 2] != K || M < 1 || K < 1 || N < 1 || batch * (double)M * (double)N * (double)K > 1e8)
        return 0;
    ys.d[nd - 2] = M;
    ys.d[nd - 1] = N;
    ox_shape out = ys; /* ONNX's result drops what a 1-D operand became */
    if (b_col)
        out.ndims--;
    if (a_row) {
        out.d[out.ndims - (b_col ? 1 : 2)] = out.d[out.ndims - 1];
        out.ndims--;
    }
    ox_tensor *t;
    if ((*st = anc_ox_tensor_new(&t, OX_F32, &out, &p->budget, p->err))) {
        anchor_error_prefix(p->err, "%s", c->ctx);
        return 1;
    }
    int64_t sa[OX_MAX_DIMS], sb[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    anc_plan_broadcast_strides(&pa, &ys, sa); /* strides in units of elements, 0 where broadcast */
    anc_plan_broadcast_strides(&pb, &ys, sb);
    float *y = t->data;
    for (int64_t bi = 0; bi < (int64_t)batch; bi++) {
        int64_t oa = 0, ob = 0, r = bi;
        for (int i = nd - 3; i >= 0; i--) {
            idx[i] = r % ys.d[i];
            r /= ys.d[i];
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++)
                    acc += tget(ta, oa + m * K + k) * tget(tb, ob + k * N + n);
                *y++ = ox_sat_f32(acc);
            }
    }
    anc_plan_set_const(p, c->out[0], t);
    *st = ANCHOR_OK;
    return 1;
}

/* numpy.matmul with a right operand of rank 3 or more: both operands row-major, padded
 * to the same rank with leading ones (a 1-D left operand is a row, dropped again). */
static anchor_status matmul_batched(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int a = IN(c, 0), b = IN(c, 1), y = c->out[0];
    if ((st = anc_plan_plain(p, a, &a, ctx)) || (st = anc_plan_plain(p, b, &b, ctx)))
        return st;
    ox_shape as = p->v[a].shape, bs = p->v[b].shape;
    if (as.ndims < 1 || bs.ndims > OX_MAX_DIMS || as.ndims > OX_MAX_DIMS)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: operand ranks %d and %d", ctx, as.ndims, bs.ndims);
    int a_row = as.ndims == 1;
    ox_shape a2s = as;
    if (a_row) {
        a2s.ndims = 2;
        a2s.d[0] = 1;
        a2s.d[1] = as.d[0];
    }
    int nd = a2s.ndims > bs.ndims ? a2s.ndims : bs.ndims;
    ox_shape pa = {.ndims = nd}, pb = {.ndims = nd}, ys = {.ndims = nd};
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a2s.ndims), ib = i - (nd - bs.ndims);
        pa.d[i] = ia >= 0 ? a2s.d[ia] : 1;
        pb.d[i] = ib >= 0 ? bs.d[ib] : 1;
    }
    int64_t M = pa.d[nd - 2], K = pa.d[nd - 1], N = pb.d[nd - 1];
    if (pb.d[nd - 2] != K)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: inner dimensions differ (%lld vs %lld)", ctx,
                                (long long)K, (long long)pb.d[nd - 2]);
    double batch = 1;
    for (int i = 0; i < nd - 2; i++) {
        if (pa.d[i] != pb.d[i] && pa.d[i] != 1 && pb.d[i] != 1)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                    "%s: batch dimensions do not broadcast (dimension %d: %lld vs %lld)", ctx, i,
                                    (long long)pa.d[i], (long long)pb.d[i]);
        ys.d[i] = pa.d[i] == 1 ? pb.d[i] : pa.d[i];
        batch *= (double)ys.d[i];
    }
    ys.d[nd - 2] = M;
    ys.d[nd - 1] = N;
    if (M < 1 || K < 1 || N < 1)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: an operand has a zero dimension", ctx);
    /* views of the operands at the common rank, and the result at it */
    int a2, b2, y2;
    dnnl_memory_desc_t ma = anc_plan_plain_md(&pa), mb = anc_plan_plain_md(&pb), my = anc_plan_plain_md(&ys);
    if ((st = anc_plan_new_rt(p, &a2, &pa, &ma, ctx)) || (st = anc_plan_new_rt(p, &b2, &pb, &mb, ctx)) ||
        (st = anc_plan_new_rt(p, &y2, &ys, &my, ctx)))
        return st;
    p->v[a2].alias = a;
    p->v[b2].alias = b;
    ox_shape out = ys; /* ONNX's result drops the row a 1-D left operand became */
    if (a_row) {
        out.d[nd - 2] = N;
        out.ndims = nd - 1;
    }
    if ((st = anc_plan_set_rt(p, y, &out, NULL, ctx)))
        return st;
    p->v[y2].alias = y;
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd;
    DN(dnnl_matmul_desc_init(&md, &ma, &mb, NULL, &my), "a batched matmul");
    DN(dnnl_primitive_desc_create(&pd, &md, NULL, p->eng, NULL), "a batched matmul");
    pstep *sp;
    if ((st = anc_plan_prim_step(p, pd, &sp, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, a2);
    step_arg(sp, DNNL_ARG_WEIGHTS, b2);
    step_arg(sp, DNNL_ARG_DST, y2);
    p->flops += 2.0 * batch * (double)M * (double)N * (double)K;
    return ANCHOR_OK;
}

/* The one node reading value id after node `after` whose operator is `op`, or -1. */
static int reader(ox_plan *p, int id, int after, const char *op)
{
    int j = anc_plan_sole_consumer(p, id, after);
    return j >= 0 && !strcmp(p->g->g->node[j]->op_type, op) ? j : -1;
}

/* The input of binary node j other than `id`, if it is a one-value constant near `want`. */
static int scalar_near(ox_plan *p, int j, int id, float want)
{
    const int *in = p->g->node_in[j];
    float v;
    if (p->g->g->node[j]->n_input != 2 || (in[0] == id) == (in[1] == id))
        return 0;
    return anc_op_scalar_ahead(p, in[0] == id ? in[1] : in[0], &v) && fabsf(v - want) <= 1e-6f * want;
}

/* Exact GELU as torch.onnx writes it, reading h: Div(h, sqrt 2) -> Erf -> Add 1, Mul(h, .),
 * Mul 0.5. Returns the last node, its five nodes in `nodes`, or -1. */
static int gelu_pattern(ox_plan *p, int h, int after, int *nodes)
{
    if (h < 0 || p->g->consumers[h] != 2 || h == p->g->output)
        return -1;
    int dv = -1, mu = -1;
    for (int j = after + 1; j < p->g->n_nodes; j++) {
        const Onnx__NodeProto *n = p->g->g->node[j];
        for (size_t k = 0; k < n->n_input; k++)
            if (p->g->node_in[j][k] == h) {
                if (!strcmp(n->op_type, "Div") && k == 0 && dv < 0)
                    dv = j;
                else if (!strcmp(n->op_type, "Mul") && mu < 0)
                    mu = j;
            }
    }
    if (dv < 0 || mu < 0 || p->done[dv] || p->done[mu] || !scalar_near(p, dv, h, 1.41421356f))
        return -1;
    int er = reader(p, p->g->node_out[dv][0], dv, "Erf");
    int ad = er >= 0 ? reader(p, p->g->node_out[er][0], er, "Add") : -1;
    if (ad < 0 || !scalar_near(p, ad, p->g->node_out[er][0], 1.f) ||
        anc_plan_sole_consumer(p, p->g->node_out[ad][0], ad) != mu)
        return -1;
    int half = reader(p, p->g->node_out[mu][0], mu, "Mul");
    if (half < 0 || !scalar_near(p, half, p->g->node_out[mu][0], 0.5f))
        return -1;
    nodes[0] = dv, nodes[1] = er, nodes[2] = ad, nodes[3] = mu, nodes[4] = half;
    return half;
}

/* What follows a MatMul by constant weights and runs inside it: an Add of a constant row
 * of N values (nn.Linear's bias, exported apart from the MatMul) as the matmul's bias, then
 * activations (exact GELU included) as eltwise post-ops, as transformer MLPs have them.
 * Returns the value the fused chain ends in; *bias (N floats, malloc'ed) when one was found. */
static int fuse_after_matmul(ox_plan *p, int node, int y, int rank, int64_t N, int gemm, float **bias,
                             dnnl_post_ops_t po)
{
    int j = gemm ? -1 : reader(p, y, node, "Add");
    if (j >= 0 && p->g->g->node[j]->n_input == 2) {
        const int *in = p->g->node_in[j];
        int b = in[0] == y ? in[1] : in[0];
        const ox_shape *bs = b >= 0 ? &p->v[b].shape : NULL;
        int row = b >= 0 && b != y && p->v[b].kind == PV_CONST && bs->ndims >= 1 && bs->ndims <= rank &&
                  bs->d[bs->ndims - 1] == N && p->v[b].c->count == N;
        if (row && (*bias = malloc((size_t)N * sizeof **bias))) {
            for (int64_t i = 0; i < N; i++)
                (*bias)[i] = ox_sat_f32(tget(p->v[b].c, i));
            p->done[j] = 1;
            y = p->g->node_out[j][0];
            node = j;
        }
    }
    for (;;) {
        eltwise_op e;
        int nodes[5], last;
        j = anc_plan_sole_consumer(p, y, node);
        if (j >= 0 && anc_op_as_eltwise(p, j, &e)) {
            for (int q = 0; q < e.n; q++)
                dnnl_post_ops_append_eltwise(po, 1.0f, e.alg[q], e.alpha[q], e.beta[q]);
            p->done[j] = 1;
        } else if ((last = gelu_pattern(p, y, node, nodes)) >= 0) {
            dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_gelu_erf, 0.f, 0.f);
            for (int k = 0; k < 5; k++)
                p->done[nodes[k]] = 1;
            j = last;
        } else {
            return y;
        }
        y = p->g->node_out[j][0];
        node = j;
    }
}

/* Gemm and MatMul on oneDNN's matmul: src (M x K) row-major or transposed through strides,
 * weights in the layout oneDNN prefers when constant. */
anchor_status anc_op_matmul(ox_plan *p, const nctx *c)
{
    int gemm = c->variant;
    const char *ctx = c->ctx;
    anchor_status st;
    int a = IN(c, 0), b = IN(c, 1), cc = IN(c, 2), y = c->out[0];
    if (!gemm && p->v[a].kind == PV_CONST && p->v[b].kind == PV_CONST && matmul_fold(p, c, &st))
        return st;
    if (!gemm && p->v[b].shape.ndims >= 3)
        return matmul_batched(p, c);
    if ((st = anc_plan_materialize(p, a, &a, ctx)) || (st = anc_plan_plain(p, a, &a, ctx)))
        return st;
    ox_shape as = p->v[a].shape, bs = p->v[b].shape;
    int transA = gemm ? (int)anc_ox_attr_int(c->n, "transA", 0) : 0,
        transB = gemm ? (int)anc_ox_attr_int(c->n, "transB", 0) : 0;
    float alpha = gemm ? anc_ox_attr_float(c->n, "alpha", 1.f) : 1.f,
          beta = gemm ? anc_ox_attr_float(c->n, "beta", 1.f) : 1.f;
    int64_t M, K, N, batch = 1;
    ox_shape ys;
    if (gemm) {
        if (as.ndims != 2 || bs.ndims != 2)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: Gemm needs 2-D inputs", ctx);
        M = transA ? as.d[1] : as.d[0];
        K = transA ? as.d[0] : as.d[1];
        N = transB ? bs.d[0] : bs.d[1];
        if ((transB ? bs.d[1] : bs.d[0]) != K)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: inner dimensions differ", ctx);
        ys.ndims = 2;
        ys.d[0] = M;
        ys.d[1] = N;
    } else {
        if (bs.ndims != 2 && bs.ndims != 1)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: a right operand of rank %d", ctx, bs.ndims);
        if (as.ndims < 1)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: empty operand", ctx);
        K = as.d[as.ndims - 1];
        N = bs.ndims == 2 ? bs.d[1] : 1;
        if (bs.d[0] != K)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: inner dimensions differ (%lld vs %lld)", ctx,
                                    (long long)K, (long long)bs.d[0]);
        M = anc_ox_shape_count(&as) / K;
        ys = as;
        if (bs.ndims == 2)
            ys.d[ys.ndims - 1] = N;
        else
            ys.ndims--;
        if (ys.ndims == 0) {
            ys.ndims = 1;
            ys.d[0] = 1;
        }
    }
    (void)batch;
    if (M < 1 || K < 1 || N < 1)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: an operand has a zero dimension", ctx);
    dnnl_dims_t da = {M, K}, dbb = {K, N}, dyy = {M, N}, sa, sb, d1n = {1, N};
    if (transA) {
        sa[0] = 1;
        sa[1] = M;
    } else {
        sa[0] = K;
        sa[1] = 1;
    }
    if (transB) {
        sb[0] = 1;
        sb[1] = K;
    } else {
        sb[0] = N;
        sb[1] = 1;
    }
    int bconst = p->v[b].kind == PV_CONST;
    /* bf16 (constant weights only): A is copied once into a bfloat16 twin of the same shape
     * and layout, the weights are reordered to bfloat16, Y stays float32 */
    dnnl_data_type_t in_dt = p->m->bf16 && bconst ? dnnl_bf16 : dnnl_f32;
    if (in_dt == dnnl_bf16) {
        dnnl_memory_desc_t plain = anc_plan_plain_md(&as);
        plain.data_type = dnnl_bf16;
        if ((st = anc_plan_in_layout(p, a, &plain, &a, ctx)))
            return st;
    }
    dnnl_memory_desc_t ma, mb, mb_any, my, mbias;
    dnnl_memory_desc_init_by_strides(&ma, 2, da, in_dt, sa);
    dnnl_memory_desc_init_by_strides(&mb, 2, dbb, dnnl_f32, sb);
    dnnl_memory_desc_init_by_tag(&my, 2, dyy, dnnl_f32, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&mbias, 2, d1n, dnnl_f32, dnnl_ab);
    if (bconst)
        dnnl_memory_desc_init_by_tag(&mb_any, 2, dbb, in_dt, dnnl_format_tag_any);
    else
        mb_any = mb;
    float *bias = NULL, *wts = NULL;
    if (cc >= 0) {
        if (p->v[cc].kind != PV_CONST)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Gemm with a runtime C", ctx);
        const ox_tensor *ct = p->v[cc].c;
        int row = ct->count == N && (ct->shape.ndims == 1 || (ct->shape.ndims == 2 && ct->shape.d[0] == 1));
        if (!row && ct->count != 1)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                    "%s: Gemm C must be a row of %lld values or a scalar", ctx, (long long)N);
        bias = malloc((size_t)N * sizeof *bias);
        if (!bias)
            return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
        for (int64_t i = 0; i < N; i++)
            bias[i] = beta * ox_sat_f32(tget(ct, row ? i : 0));
    }
    dnnl_primitive_attr_t attr;
    dnnl_primitive_attr_create(&attr);
    if (bconst && y >= 0) {
        dnnl_post_ops_t po;
        dnnl_post_ops_create(&po);
        float *fused_bias = NULL;
        y = fuse_after_matmul(p, c->node, y, ys.ndims, N, gemm || bias, &fused_bias, po);
        if (fused_bias)
            bias = fused_bias;
        dnnl_primitive_attr_set_post_ops(attr, po);
        dnnl_post_ops_destroy(po);
    }
    if (bconst) {
        int64_t cnt = p->v[b].c->count;
        wts = malloc((size_t)cnt * sizeof *wts);
        if (!wts) {
            free(bias);
            dnnl_primitive_attr_destroy(attr);
            return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
        }
        for (int64_t i = 0; i < cnt; i++)
            wts[i] = alpha * ox_sat_f32(tget(p->v[b].c, i));
    } else if (alpha != 1.f) {
        dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha);
    }
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t d = dnnl_matmul_desc_init(&md, &ma, &mb_any, bias ? &mbias : NULL, &my);
    if (d == dnnl_success)
        d = dnnl_primitive_desc_create(&pd, &md, attr, p->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    pstep *sp = NULL;
    if (d != dnnl_success)
        st = anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                              "%s: oneDNN has no matmul for this shape (status %d)", ctx, (int)d);
    else
        st = anc_plan_prim_step(p, pd, &sp, ctx);
    if (st) {
        free(bias);
        free(wts);
        return st;
    }
    /* primitive_desc was consumed by prim_step; ask the primitive for the weights layout */
    if (bconst) {
        const_dnnl_primitive_desc_t cpd;
        dnnl_primitive_get_primitive_desc(sp->prim, &cpd);
        dnnl_memory_desc_t want = *dnnl_primitive_desc_query_md(cpd, dnnl_query_weights_md, 0);
        st = anc_plan_const_arg(p, sp, DNNL_ARG_WEIGHTS, wts, &mb, &want, ctx);
    }
    if (!st && bias)
        st = anc_plan_const_arg(p, sp, DNNL_ARG_BIAS, bias, &mbias, &mbias, ctx);
    free(bias);
    free(wts);
    if (st)
        return st;
    int step_index = (int)(sp - p->s);
    int bin = -1;
    if (!bconst) {
        int bp, b2;
        if ((st = anc_plan_plain(p, b, &bp, ctx)) || (st = anc_plan_new_value(p, &b2)))
            return st;
        ox_shape s2 = {.ndims = 2, .d = {K, N}};
        if ((st = anc_plan_set_rt(p, b2, &s2, &mb, ctx)))
            return st;
        p->v[b2].alias = bp;
        bin = b2;
        if (p->ns - 1 != step_index) { /* a reorder was added after the matmul: move it before */
            pstep tmp = p->s[p->ns - 1];
            memmove(&p->s[step_index + 1], &p->s[step_index], (size_t)(p->ns - 1 - step_index) * sizeof *p->s);
            p->s[step_index] = tmp;
            step_index++;
        }
    }
    /* the matmul sees A as M x K (transposed through strides) and Y as M x N */
    int a2, y2;
    ox_shape s_a = {.ndims = 2, .d = {transA ? K : M, transA ? M : K}};
    if ((st = anc_plan_new_value(p, &a2)) || (st = anc_plan_set_rt(p, a2, &s_a, &ma, ctx)))
        return st;
    p->v[a2].alias = a;
    if ((st = anc_plan_set_rt(p, y, &ys, NULL, ctx)) || (st = anc_plan_new_value(p, &y2)))
        return st;
    ox_shape s_y = {.ndims = 2, .d = {M, N}};
    if ((st = anc_plan_set_rt(p, y2, &s_y, &my, ctx)))
        return st;
    p->v[y2].alias = y;
    sp = &p->s[step_index];
    step_arg(sp, DNNL_ARG_SRC, a2);
    if (bin >= 0)
        step_arg(sp, DNNL_ARG_WEIGHTS, bin);
    step_arg(sp, DNNL_ARG_DST, y2);
    p->flops += 2.0 * (double)M * (double)N * (double)K;
    return ANCHOR_OK;
}
