/* SPDX-License-Identifier: Apache-2.0 */
/* Reductions over an axis: Softmax (a C kernel, with the pre-opset-13 flattening rule) and
 * ReduceMean (oneDNN's reduction primitive). */
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/kernels.h"
#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

anchor_status anc_op_softmax(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st = anc_plan_plain(p, x, &xp, ctx);
    if (st)
        return st;
    ox_shape xs = p->v[xp].shape;
    int64_t axis = norm_axis(anc_ox_attr_int(c->n, "axis", p->g->opset < 13 ? 1 : -1), xs.ndims);
    if (axis < 0 || axis >= xs.ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range", ctx);
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < xs.ndims; i++) {
        if (i < axis)
            outer *= xs.d[i];
        else if (i == axis || p->g->opset < 13) /* before opset 13: flattened from axis on */
            n *= xs.d[i];
        else
            inner *= xs.d[i];
    }
    if ((st = anc_plan_set_rt(p, y, &xs, NULL, ctx)))
        return st;
    pstep *sp;
    if ((st = anc_plan_c_step(p, anc_k_softmax, xp, -1, y, &sp)))
        return st;
    sp->ip[0] = outer;
    sp->ip[1] = n;
    sp->ip[2] = inner;
    return ANCHOR_OK;
}

anchor_status anc_op_reduce_mean(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st = anc_plan_plain(p, x, &xp, ctx);
    if (st)
        return st;
    ox_shape xs = p->v[xp].shape, ks = xs, ys = {0};
    int64_t axes[OX_MAX_DIMS];
    int na = anc_plan_attr_ints(c->n, "axes", axes, OX_MAX_DIMS);
    int keep = (int)anc_ox_attr_int(c->n, "keepdims", 1);
    char mark[OX_MAX_DIMS] = {0};
    for (int i = 0; i < (na < 0 ? xs.ndims : na); i++) {
        int64_t a = na < 0 ? i : norm_axis(axes[i], xs.ndims);
        if (a < 0 || a >= xs.ndims)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range", ctx);
        mark[a] = 1;
        ks.d[a] = 1;
    }
    for (int i = 0; i < xs.ndims; i++)
        if (!mark[i] || keep)
            ys.d[ys.ndims++] = ks.d[i];
    dnnl_memory_desc_t mk = anc_plan_plain_md(&ks), mx = p->v[xp].md;
    dnnl_reduction_desc_t rd;
    DN(dnnl_reduction_desc_init(&rd, dnnl_reduction_mean, &mx, &mk, 0.f, 0.f), "a reduction");
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &rd, NULL, p->eng, NULL), "a reduction");
    pstep *sp;
    int kv;
    if ((st = anc_plan_prim_step(p, pd, &sp, ctx)) || (st = anc_plan_new_rt(p, &kv, &ks, &mk, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, xp);
    step_arg(sp, DNNL_ARG_DST, kv);
    if ((st = anc_plan_set_rt(p, y, &ys, NULL, ctx)))
        return st;
    p->v[y].alias = kv;
    return ANCHOR_OK;
}
