/* SPDX-License-Identifier: Apache-2.0 */
/* Convolution, pooling and normalisation operators: Conv (with the BatchNormalization,
 * activations and residual Add after it folded in as weights and post-ops), MaxPool,
 * AveragePool, their global forms, LRN and a standalone BatchNormalization.
 *
 * oneDNN computes these in its blocked layouts; the shape rules (auto_pad, ceil_mode and
 * PyTorch's divisor for average pooling) are ONNX's, checked here before oneDNN sees them. */
#include <dnnl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/kernels.h"
#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

static int storage_of(const ox_plan *p, int v)
{
    while (p->v[v].alias >= 0)
        v = p->v[v].alias;
    return v;
}

/* Whether a convolution may write its output over value v, the other addend of the
 * residual Add `add`: every value stored where v is (v, what it views, what views it, the
 * earlier links of a chain of in-place sums) is a graph value other than the model's
 * output, and every node reading one of them, `add` apart, has already been planned, hence
 * runs before. A ResNet or MobileNetV2 block's input is read by the block's first
 * convolution and by the Add: writing over it spares a copy per block. */
static bool sum_in_place(const ox_plan *p, int v, int add)
{
    int r = storage_of(p, v);
    for (int i = 0; i < p->nv; i++) {
        if (p->v[i].kind != PV_RT || storage_of(p, i) != r)
            continue;
        if (i >= p->g->n_values || i == p->g->output)
            return false;
        for (int j = 0; j < p->g->n_nodes; j++) {
            if (j == add || p->done[j])
                continue;
            for (size_t k = 0; k < p->g->g->node[j]->n_input; k++)
                if (p->g->node_in[j][k] == i)
                    return false;
        }
    }
    return true;
}

/* x * Sigmoid(x) (SiLU, torch's export of EfficientNet's and RegNetY's activation) on
 * the value y, read by exactly a Sigmoid and the Mul of y by its result: the Mul node,
 * with both nodes marked done, so that the convolution computes it as one swish post-op;
 * else -1. */
static int swish_after(ox_plan *p, int y, int after)
{
    const ox_graph *g = p->g;
    if (y < 0 || y >= g->n_values || g->consumers[y] != 2 || y == g->output)
        return -1;
    int sig = -1, mul = -1;
    for (int j = after + 1; j < g->n_nodes; j++) {
        const Onnx__NodeProto *n = g->g->node[j];
        for (size_t k = 0; k < n->n_input; k++) {
            if (g->node_in[j][k] != y)
                continue;
            if (p->done[j])
                return -1;
            if (!strcmp(n->op_type, "Sigmoid") && sig < 0)
                sig = j;
            else if (!strcmp(n->op_type, "Mul") && n->n_input == 2 && mul < 0)
                mul = j;
            else
                return -1;
        }
    }
    if (sig < 0 || mul < 0 || mul < sig)
        return -1;
    int s = g->node_out[sig][0], other = g->node_in[mul][0] == y ? g->node_in[mul][1] : g->node_in[mul][0];
    if (s < 0 || other != s || g->consumers[s] != 1 || s == g->output)
        return -1;
    p->done[sig] = p->done[mul] = 1;
    return mul;
}

anchor_status anc_op_conv(ox_plan *p, const nctx *c)
{
    anchor_status st;
    const char *ctx = c->ctx;
    int x = IN(c, 0), w = IN(c, 1), b = IN(c, 2);
    if ((st = anc_plan_materialize(p, x, &x, ctx)))
        return st;
    if (w < 0 || p->v[w].kind != PV_CONST || p->v[w].c->type != OX_F32)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Conv weights must be a float constant", ctx);
    if (b >= 0 && (p->v[b].kind != PV_CONST || p->v[b].c->type != OX_F32))
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Conv bias must be a float constant", ctx);
    const ox_shape xs = p->v[x].shape, ws = p->v[w].c->shape;
    int nd = xs.ndims, nsp = nd - 2;
    if (nsp < 1 || nsp > 3 || ws.ndims != nd)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: Conv input of rank %d with weights of rank %d", ctx,
                                nd, ws.ndims);
    for (int i = 0; i < ws.ndims; i++)
        if (ws.d[i] < 1)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: Conv weights have a zero dimension", ctx);
    int64_t group = anc_ox_attr_int(c->n, "group", 1), M = ws.d[0], C = xs.d[1];
    if (group < 1 || group > C || C != ws.d[1] * group || M % group) /* group > C first: no overflow */
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                "%s: %lld input channels do not fit weights %lldx%lld in %lld groups",
                                ctx, (long long)C, (long long)M, (long long)ws.d[1], (long long)group);
    int64_t k[3], s[3], d[3], pads[6] = {0}, pl[3], pr[3];
    ox_shape ys = xs;
    ys.d[1] = M;
    for (int i = 0; i < nsp; i++) {
        k[i] = ws.d[2 + i];
        s[i] = d[i] = 1;
    }
    anc_plan_attr_ints(c->n, "strides", s, 3);
    anc_plan_attr_ints(c->n, "dilations", d, 3);
    anc_plan_attr_ints(c->n, "pads", pads, 6);
    int64_t ks[3];
    int nks = anc_plan_attr_ints(c->n, "kernel_shape", ks, 3), ks_ok = nks < 0 || nks == nsp;
    for (int i = 0; i < nsp && nks >= 0 && ks_ok; i++)
        ks_ok = ks[i] == k[i];
    if (!ks_ok)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: kernel_shape does not match the weights", ctx);
    char ap[32];
    anc_plan_attr_str(c->n, "auto_pad", ap, sizeof ap, "NOTSET");
    anchor_status wst = anc_plan_check_window(p, ctx, nsp, k, s, d, pads);
    if (wst)
        return wst;
    for (int i = 0; i < nsp; i++) {
        int64_t in = xs.d[2 + i], ext = (k[i] - 1) * d[i] + 1;
        if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            int64_t out = (in + s[i] - 1) / s[i], total = (out - 1) * s[i] + ext - in;
            if (total < 0)
                total = 0;
            pl[i] = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
            pr[i] = total - pl[i];
        } else if (!strcmp(ap, "VALID")) {
            pl[i] = pr[i] = 0;
        } else {
            pl[i] = pads[i];
            pr[i] = pads[nsp + i];
        }
        ys.d[2 + i] = (in + pl[i] + pr[i] - ext) / s[i] + 1;
        if (in + pl[i] + pr[i] < ext)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: the kernel is larger than the padded input", ctx);
        d[i] -= 1; /* oneDNN counts dilation from 0 */
    }
    anchor_status ost = anc_plan_check_output(p, &ys, ctx);
    if (ost)
        return ost;
    /* Weights and bias, with a BatchNormalization that follows folded in. */
    int64_t wcount = p->v[w].c->count, per_out = wcount / M;
    float *wt = malloc((size_t)wcount * sizeof *wt), *bias = calloc((size_t)M, sizeof *bias);
    if (!wt || !bias) {
        free(wt);
        free(bias);
        return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
    }
    memcpy(wt, p->v[w].c->data, (size_t)wcount * sizeof *wt);
    if (b >= 0 && p->v[b].c->count == M)
        memcpy(bias, p->v[b].c->data, (size_t)M * sizeof *bias);
    int y = c->out[0];
    int j = anc_plan_sole_consumer(p, y, c->node);
    if (j >= 0 && !strcmp(p->g->g->node[j]->op_type, "BatchNormalization") && p->g->g->node[j]->n_input >= 5) {
        const int *bi = p->g->node_in[j];
        int ok = 1;
        for (int q = 1; q < 5; q++)
            ok &= bi[q] >= 0 && p->v[bi[q]].kind == PV_CONST && p->v[bi[q]].c->type == OX_F32 &&
                  p->v[bi[q]].c->count == M;
        if (ok) {
            const float *gam = p->v[bi[1]].c->data, *bet = p->v[bi[2]].c->data, *mean = p->v[bi[3]].c->data,
                        *var = p->v[bi[4]].c->data;
            float eps = anc_ox_attr_float(p->g->g->node[j], "epsilon", 1e-5f);
            for (int64_t m = 0; m < M; m++) {
                float sc = gam[m] / sqrtf(var[m] + eps);
                for (int64_t q = 0; q < per_out; q++)
                    wt[m * per_out + q] *= sc;
                bias[m] = (bias[m] - mean[m]) * sc + bet[m];
            }
            p->done[j] = 1;
            y = p->g->node_out[j][0];
        }
    }
    /* Activations and one residual sum as post-ops. */
    dnnl_post_ops_t po;
    dnnl_post_ops_create(&po);
    int sum_other = -1, add_node = -1;
    for (;;) {
        int mul = swish_after(p, y, c->node);
        if (mul >= 0) {
            dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_swish, 1.f, 0.f);
            y = p->g->node_out[mul][0];
            continue;
        }
        j = anc_plan_sole_consumer(p, y, c->node);
        if (j < 0)
            break;
        eltwise_op e;
        if (anc_op_as_eltwise(p, j, &e)) {
            for (int q = 0; q < e.n; q++)
                dnnl_post_ops_append_eltwise(po, 1.0f, e.alg[q], e.alpha[q], e.beta[q]);
        } else if (!strcmp(p->g->g->node[j]->op_type, "Add") && sum_other < 0 && p->g->g->node[j]->n_input == 2) {
            const int *ai = p->g->node_in[j];
            int other = ai[0] == y ? ai[1] : ai[0];
            if (other < 0 || other == y || p->v[other].kind != PV_RT || !shape_eq(&p->v[other].shape, &ys))
                break;
            sum_other = other;
            add_node = j;
            dnnl_post_ops_append_sum(po, 1.0f);
        } else {
            break;
        }
        p->done[j] = 1;
        y = p->g->node_out[j][0];
    }
    dnnl_primitive_attr_t attr;
    dnnl_primitive_attr_create(&attr);
    dnnl_primitive_attr_set_post_ops(attr, po);
    dnnl_post_ops_destroy(po);

    dnnl_dims_t dx, dw, dy, db = {M}, ds, dd, dpl, dpr;
    for (int i = 0; i < nd; i++) {
        dx[i] = xs.d[i];
        dy[i] = ys.d[i];
    }
    int wnd = group > 1 ? nd + 1 : nd;
    if (group > 1) {
        dw[0] = group;
        dw[1] = M / group;
        for (int i = 1; i < nd; i++)
            dw[i + 1] = ws.d[i];
    } else {
        for (int i = 0; i < nd; i++)
            dw[i] = ws.d[i];
    }
    for (int i = 0; i < nsp; i++) {
        ds[i] = s[i];
        dd[i] = d[i];
        dpl[i] = pl[i];
        dpr[i] = pr[i];
    }
    dnnl_memory_desc_t mx, mw, mb, my, mw_plain;
    /* bf16: the input and the weights in bfloat16, the output (and any sum into it) in
     * float32, so that the operators around stay float32; a shape oneDNN has no bfloat16
     * kernel for runs in float32. A Conv on the model's input stays float32: its error
     * reaches every later layer (SqueezeNet on perturbed photos: top-1 agreement with fp32
     * 96.3 % with it in bf16, 98.0 % without, for about a tenth of the FLOPs). */
    dnnl_data_type_t in_dt = p->m->bf16 && x != p->input_v ? dnnl_bf16 : dnnl_f32;
retry:
    dnnl_memory_desc_init_by_tag(&mx, nd, dx, in_dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&mw, wnd, dw, in_dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&mb, 1, db, dnnl_f32, dnnl_a);
    dnnl_memory_desc_init_by_tag(&my, nd, dy, dnnl_f32, dnnl_format_tag_any);
    {
        dnnl_dims_t wstr;
        int64_t acc = 1;
        for (int i = wnd - 1; i >= 0; i--) {
            wstr[i] = acc;
            acc *= dw[i];
        }
        dnnl_memory_desc_init_by_strides(&mw_plain, wnd, dw, dnnl_f32, wstr);
    }
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd = NULL;
    /* direct: with format_tag_any oneDNN 2.6 picks its brgemm kernels on NHWC here (Winograd
     * and nChw16c measured slower on InceptionV3) */
    dnnl_status_t ds_ = dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                                                   &mx, &mw, &mb, &my, ds, dd, dpl, dpr);
    if (ds_ == dnnl_success)
        ds_ = dnnl_primitive_desc_create(&pd, &cd, attr, p->eng, NULL);
    if (ds_ != dnnl_success && in_dt != dnnl_f32) {
        in_dt = dnnl_f32;
        goto retry;
    }
    dnnl_primitive_attr_destroy(attr);
    if (ds_ != dnnl_success) {
        free(wt);
        free(bias);
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN has no convolution for this shape (status %d)",
                                ctx, (int)ds_);
    }
    dnnl_memory_desc_t want_x = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    dnnl_memory_desc_t want_w = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t got_y = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    int xin;
    st = anc_plan_in_layout(p, x, &want_x, &xin, ctx);
    pstep *stp = NULL;
    if (!st)
        st = anc_plan_prim_step(p, pd, &stp, ctx);
    else
        dnnl_primitive_desc_destroy(pd);
    if (!st)
        st = anc_plan_const_arg(p, stp, DNNL_ARG_WEIGHTS, wt, &mw_plain, &want_w, ctx);
    if (!st)
        st = anc_plan_const_arg(p, stp, DNNL_ARG_BIAS, bias, &mb, &mb, ctx);
    free(wt);
    free(bias);
    if (st)
        return st;
    int step_index = (int)(stp - p->s);
    if ((st = anc_plan_set_rt(p, y, &ys, &got_y, ctx)))
        return st;
    if (sum_other >= 0) {
        /* The sum post-op adds into the destination: it must hold the other addend. */
        int target = sum_other;
        if (!dnnl_memory_desc_equal(&p->v[sum_other].md, &got_y) || !sum_in_place(p, sum_other, add_node)) {
            if ((st = anc_plan_reorder_to(p, sum_other, &got_y, &target, ctx)))
                return st;
            /* the copy must happen before the convolution: swap the two steps */
            pstep tmp = p->s[p->ns - 1];
            memmove(&p->s[step_index + 1], &p->s[step_index], (size_t)(p->ns - 1 - step_index) * sizeof *p->s);
            p->s[step_index] = tmp;
            step_index++;
        }
        p->v[y].alias = target;
    }
    stp = &p->s[step_index];
    step_arg(stp, DNNL_ARG_SRC, xin);
    step_arg(stp, DNNL_ARG_DST, y);
    double macs = (double)ys.d[0] * (double)M * (double)per_out;
    for (int i = 0; i < nsp; i++)
        macs *= (double)ys.d[2 + i];
    p->flops += 2 * macs;
    return ANCHOR_OK;
}

/* pre_pads (begin..., end... over spatial dimensions): zero padding of a Pad node folded
 * into this pool (torch exports avg_pool2d(padding=1) as Pad + AveragePool), with its
 * input x and the pool's output y; else NULL, -1, -1. */
anchor_status anc_op_pool_ex(ox_plan *p, const nctx *c, int is_max, int global, const int64_t *pre_pads, int x,
                                  int y_out)
{
    const char *ctx = c->ctx;
    anchor_status st = anc_plan_materialize(p, x, &x, ctx);
    if (st)
        return st;
    ox_shape xs = p->v[x].shape, ys = xs;
    int nd = xs.ndims, nsp = nd - 2;
    if (nsp < 1 || nsp > 3)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: pooling needs an input of rank 3 to 5, not %d", ctx, nd);
    int64_t k[3], s[3], d[3], pads[6] = {0}, pl[3], pr[3];
    int ceil_mode = global ? 0 : (int)anc_ox_attr_int(c->n, "ceil_mode", 0);
    int include_pad = !is_max && !global && (pre_pads || anc_ox_attr_int(c->n, "count_include_pad", 0));
    char ap[32];
    anc_plan_attr_str(c->n, "auto_pad", ap, sizeof ap, "NOTSET");
    for (int i = 0; i < nsp; i++) {
        k[i] = global ? xs.d[2 + i] : 0;
        s[i] = d[i] = 1;
    }
    if (!global) {
        if (anc_plan_attr_ints(c->n, "kernel_shape", k, 3) != nsp)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: kernel_shape must have %d values", ctx, nsp);
        anc_plan_attr_ints(c->n, "strides", s, 3);
        anc_plan_attr_ints(c->n, "dilations", d, 3);
        anc_plan_attr_ints(c->n, "pads", pads, 6);
        if (pre_pads)
            for (int i = 0; i < 2 * nsp; i++)
                pads[i] = pre_pads[i];
    }
    if ((st = anc_plan_check_window(p, ctx, nsp, k, s, d, pads)))
        return st;
    int extra_pad = 0;
    for (int i = 0; i < nsp; i++) {
        int64_t in = xs.d[2 + i], ext = (k[i] - 1) * d[i] + 1, out;
        if (k[i] < 1 || s[i] < 1 || d[i] < 1)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: kernel, stride or dilation below 1", ctx);
        if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            out = (in + s[i] - 1) / s[i];
            int64_t total = (out - 1) * s[i] + ext - in;
            if (total < 0)
                total = 0;
            pl[i] = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
            pr[i] = total - pl[i];
        } else {
            if (!strcmp(ap, "VALID"))
                pads[i] = pads[nsp + i] = 0;
            pl[i] = pads[i];
            pr[i] = pads[nsp + i];
            int64_t span = in + pl[i] + pr[i] - ext;
            if (span < 0)
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: the kernel is larger than the padded input", ctx);
            out = ceil_mode ? (span + s[i] - 1) / s[i] + 1 : span / s[i] + 1;
            /* as PyTorch: the last window must start inside the input or its left padding */
            if (ceil_mode && (out - 1) * s[i] >= in + pl[i])
                out--;
        }
        ys.d[2 + i] = out;
        int64_t need = (out - 1) * s[i] + ext - in - pl[i];
        if (need > pr[i]) {
            extra_pad = 1;
            pr[i] = need;
        }
        d[i] -= 1;
    }
    if ((st = anc_plan_check_output(p, &ys, ctx)))
        return st;
    if (include_pad && extra_pad) {
        /* oneDNN would count the ceil_mode overhang as padding; PyTorch does not. */
        if (nsp != 2 || d[0] || d[1])
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: AveragePool with ceil_mode and count_include_pad "
                                    "is only supported in 2-D without dilation", ctx);
        int xp, y = y_out;
        if ((st = anc_plan_plain(p, x, &xp, ctx)) || (st = anc_plan_set_rt(p, y, &ys, NULL, ctx)))
            return st;
        pstep *sp;
        if ((st = anc_plan_c_step(p, anc_k_avgpool, xp, -1, y, &sp)))
            return st;
        int64_t q[15] = {xs.d[0], xs.d[1], xs.d[2], xs.d[3], ys.d[2], ys.d[3], k[0], k[1], s[0], s[1],
                         pl[0], pl[1], pads[2], pads[3], 1};
        memcpy(sp->ip, q, sizeof q);
        return ANCHOR_OK;
    }
    dnnl_dims_t dx, dy, dk, ds, dd, dpl, dpr;
    for (int i = 0; i < nd; i++) {
        dx[i] = xs.d[i];
        dy[i] = ys.d[i];
    }
    for (int i = 0; i < nsp; i++) {
        dk[i] = k[i];
        ds[i] = s[i];
        dd[i] = d[i];
        dpl[i] = pl[i];
        dpr[i] = pr[i];
    }
    dnnl_memory_desc_t my;
    dnnl_memory_desc_init_by_tag(&my, nd, dy, dnnl_f32, dnnl_format_tag_any);
    dnnl_pooling_v2_desc_t pdsc;
    dnnl_alg_kind_t alg = is_max ? dnnl_pooling_max
                                 : include_pad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    DN(dnnl_pooling_v2_forward_desc_init(&pdsc, dnnl_forward_inference, alg, &p->v[x].md, &my, ds, dk, dd, dpl, dpr),
       "a pooling");
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &pdsc, NULL, p->eng, NULL), "a pooling");
    dnnl_memory_desc_t got = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    pstep *sp;
    if ((st = anc_plan_prim_step(p, pd, &sp, ctx)))
        return st;
    int y = y_out;
    if ((st = anc_plan_set_rt(p, y, &ys, &got, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, x);
    step_arg(sp, DNNL_ARG_DST, y);
    (void)dx;
    return ANCHOR_OK;
}

anchor_status anc_op_pool(ox_plan *p, const nctx *c)
{
    return anc_op_pool_ex(p, c, c->variant & OX_POOL_MAX, c->variant & OX_POOL_GLOBAL, NULL, IN(c, 0), c->out[0]);
}

anchor_status anc_op_lrn(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), y = c->out[0];
    anchor_status st = anc_plan_materialize(p, x, &x, ctx);
    if (st)
        return st;
    dnnl_lrn_desc_t ld;
    dnnl_memory_desc_t mx = p->v[x].md;
    DN(dnnl_lrn_forward_desc_init(&ld, dnnl_forward_inference, dnnl_lrn_across_channels, &mx,
                                  anc_ox_attr_int(c->n, "size", 1), anc_ox_attr_float(c->n, "alpha", 1e-4f),
                                  anc_ox_attr_float(c->n, "beta", 0.75f), anc_ox_attr_float(c->n, "bias", 1.f)),
       "an LRN");
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &ld, NULL, p->eng, NULL), "an LRN");
    pstep *sp;
    ox_shape sh = p->v[x].shape;
    if ((st = anc_plan_prim_step(p, pd, &sp, ctx)) || (st = anc_plan_set_rt(p, y, &sh, &mx, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, x);
    step_arg(sp, DNNL_ARG_DST, y);
    return ANCHOR_OK;
}

anchor_status anc_op_batchnorm(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), y = c->out[0];
    anchor_status st = anc_plan_materialize(p, x, &x, ctx);
    if (st)
        return st;
    int64_t C = p->v[x].shape.ndims > 1 ? p->v[x].shape.d[1] : 0;
    for (int k = 1; k < 5; k++) {
        int id = IN(c, k);
        if (id < 0 || p->v[id].kind != PV_CONST || p->v[id].c->type != OX_F32 || p->v[id].c->count != C)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: parameters must be %lld float constants", ctx,
                                    (long long)C);
    }
    dnnl_batch_normalization_desc_t bd;
    dnnl_memory_desc_t mx = p->v[x].md;
    DN(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_inference, &mx, anc_ox_attr_float(c->n, "epsilon", 1e-5f),
                                                  dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift),
       "a batch normalization");
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &bd, NULL, p->eng, NULL), "a batch normalization");
    pstep *sp;
    ox_shape sh = p->v[x].shape;
    if ((st = anc_plan_prim_step(p, pd, &sp, ctx)))
        return st;
    dnnl_memory_desc_t m1;
    dnnl_dims_t dc = {C};
    dnnl_memory_desc_init_by_tag(&m1, 1, dc, dnnl_f32, dnnl_a);
    static const int kinds[4] = {DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
    for (int k = 0; k < 4 && !st; k++)
        st = anc_plan_const_arg(p, sp, kinds[k], p->v[IN(c, k + 1)].c->data, &m1, &m1, ctx);
    if (st || (st = anc_plan_set_rt(p, y, &sh, &mx, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, x);
    step_arg(sp, DNNL_ARG_DST, y);
    return ANCHOR_OK;
}
