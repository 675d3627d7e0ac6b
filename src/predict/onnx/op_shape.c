/* SPDX-License-Identifier: Apache-2.0 */
/* Operators that move data without arithmetic: Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity and Dropout (views of the same row-major storage), Transpose (a reorder through
 * permuted strides), Concat and Pad. On constants they are computed while planning, since
 * that is how exporters build shapes. A zero Pad before an AveragePool becomes the pool's
 * own padding. */
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/kernels.h"
#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

anchor_status anc_op_concat(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int all_const = 1;
    for (int k = 0; k < c->nin; k++)
        all_const &= p->v[c->in[k]].kind == PV_CONST;
    int nd = p->v[c->in[0]].shape.ndims;
    int64_t axis = norm_axis(anc_ox_attr_int(c->n, "axis", 0), nd);
    if (axis < 0 || axis >= nd)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range", ctx);
    ox_shape ys = p->v[c->in[0]].shape;
    ys.d[axis] = 0;
    for (int k = 0; k < c->nin; k++) {
        const ox_shape *s = &p->v[c->in[k]].shape;
        int ok = s->ndims == nd;
        for (int i = 0; i < nd && ok; i++)
            ok = i == axis || s->d[i] == ys.d[i];
        if (!ok)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: input %d has a shape that does not concatenate", ctx, k);
        ys.d[axis] += s->d[axis];
    }
    if (all_const) {
        ox_tensor *t;
        int any_f = 0;
        for (int k = 0; k < c->nin; k++)
            any_f |= p->v[c->in[k]].c->type == OX_F32;
        if ((st = anc_ox_tensor_new(&t, any_f ? OX_F32 : OX_I64, &ys, &p->budget, p->err)))
            return st;
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
            outer *= ys.d[i];
        for (int i = (int)axis + 1; i < nd; i++)
            inner *= ys.d[i];
        int64_t e = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int k = 0; k < c->nin; k++) {
                const ox_tensor *s = p->v[c->in[k]].c;
                int64_t chunk = s->shape.d[axis] * inner;
                for (int64_t q = 0; q < chunk; q++)
                    tset(t, e++, tget(s, o * chunk + q));
            }
        anc_plan_set_const(p, c->out[0], t);
        return ANCHOR_OK;
    }
    if (c->nin > 39)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: more than 39 inputs", ctx);
    dnnl_memory_desc_t mds[64];
    int ids[64];
    for (int k = 0; k < c->nin; k++) {
        if ((st = anc_plan_materialize(p, c->in[k], &ids[k], ctx)))
            return st;
        mds[k] = p->v[ids[k]].md;
    }
    dnnl_memory_desc_t my;
    dnnl_dims_t dy;
    for (int i = 0; i < nd; i++)
        dy[i] = ys.d[i];
    dnnl_memory_desc_init_by_tag(&my, nd, dy, dnnl_f32, dnnl_format_tag_any);
    dnnl_primitive_desc_t pd;
    DN(dnnl_concat_primitive_desc_create(&pd, &my, c->nin, (int)axis, mds, NULL, p->eng), "a concat");
    dnnl_memory_desc_t got = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    pstep *sp;
    if ((st = anc_plan_prim_step(p, pd, &sp, ctx)))
        return st;
    if (c->nin + 1 > STEP_ARGS) {
        /* many inputs: keep them in the step's int parameters instead */
        sp->nargs = 0;
        sp->ip[39] = c->nin;
        for (int k = 0; k < c->nin; k++)
            sp->ip[k] = ids[k];
    } else {
        for (int k = 0; k < c->nin; k++)
            step_arg(sp, DNNL_ARG_MULTIPLE_SRC + k, ids[k]);
    }
    if ((st = anc_plan_set_rt(p, c->out[0], &ys, &got, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_DST, c->out[0]);
    return ANCHOR_OK;
}

/* Reshape, Flatten, Squeeze, Unsqueeze: new shapes for the same row-major data. */
anchor_status anc_op_reshape(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx, *op = c->n->op_type;
    int x = IN(c, 0), y = c->out[0];
    ox_shape xs = p->v[x].shape, ys = {0};
    int64_t v[OX_MAX_DIMS * 2];
    int nv;
    if (!strcmp(op, "Reshape")) {
        nv = anc_plan_const_ints(p, IN(c, 1), v, OX_MAX_DIMS);
        if (nv < 0 && p->g->opset < 5)
            nv = anc_plan_attr_ints(c->n, "shape", v, OX_MAX_DIMS);
        if (nv < 0 || nv > OX_MAX_DIMS)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: cannot resolve the target shape (it must be "
                                    "a constant, or computed from shapes)", ctx);
        int allowzero = (int)anc_ox_attr_int(c->n, "allowzero", 0), infer = -1;
        int64_t known = 1;
        ys.ndims = nv;
        for (int i = 0; i < nv; i++) {
            ys.d[i] = v[i] == 0 && !allowzero ? (i < xs.ndims ? xs.d[i] : 0) : v[i];
            if (ys.d[i] == -1) {
                if (infer >= 0)
                    return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: two -1 in the target shape", ctx);
                infer = i;
            } else if (ys.d[i] < 0 || ys.d[i] > OX_MAX_DIM_VALUE) {
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: target dimension %lld out of range", ctx,
                                        (long long)ys.d[i]);
            } else if ((known *= ys.d[i]) > OX_MAX_TENSOR_ELEMS) {
                return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: target shape too large", ctx);
            }
        }
        if (infer >= 0)
            ys.d[infer] = known ? anc_ox_shape_count(&xs) / known : 0;
    } else if (!strcmp(op, "Flatten")) {
        int64_t axis = norm_axis(anc_ox_attr_int(c->n, "axis", 1), xs.ndims), a = 1, b = 1;
        if (axis < 0 || axis > xs.ndims)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range", ctx);
        for (int i = 0; i < xs.ndims; i++)
            *(i < axis ? &a : &b) *= xs.d[i];
        ys.ndims = 2;
        ys.d[0] = a;
        ys.d[1] = b;
    } else {
        int squeeze = !strcmp(op, "Squeeze");
        nv = p->g->opset >= 13 ? anc_plan_const_ints(p, IN(c, 1), v, OX_MAX_DIMS)
                               : anc_plan_attr_ints(c->n, "axes", v, OX_MAX_DIMS);
        if (nv < 0 && !squeeze)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: axes must be constant", ctx);
        char mark[OX_MAX_DIMS * 2] = {0};
        int rank = squeeze ? xs.ndims : xs.ndims + nv;
        if (rank > OX_MAX_DIMS)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: rank above %d", ctx, OX_MAX_DIMS);
        for (int i = 0; i < nv; i++) {
            int64_t ax = norm_axis(v[i], rank);
            if (ax < 0 || ax >= rank || (squeeze && xs.d[ax] != 1))
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: bad axis %lld", ctx, (long long)v[i]);
            mark[ax] = 1;
        }
        if (squeeze) {
            for (int i = 0; i < xs.ndims; i++)
                if (!(nv < 0 ? xs.d[i] == 1 : mark[i]))
                    ys.d[ys.ndims++] = xs.d[i];
        } else {
            for (int i = 0, k = 0; i < rank; i++)
                ys.d[ys.ndims++] = mark[i] ? 1 : xs.d[k++];
        }
    }
    if (p->v[x].kind == PV_CONST)
        return anc_plan_fold_reshaped(p, x, y, &ys);
    return anc_plan_view(p, x, y, &ys, ctx);
}

anchor_status anc_op_transpose(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st;
    int is_const = p->v[x].kind == PV_CONST;
    if (is_const)
        xp = x;
    else if ((st = anc_plan_plain(p, x, &xp, ctx)))
        return st;
    ox_shape xs = p->v[xp].shape, ys = xs;
    int64_t perm[OX_MAX_DIMS];
    int np = anc_plan_attr_ints(c->n, "perm", perm, OX_MAX_DIMS);
    if (np < 0) {
        np = xs.ndims;
        for (int i = 0; i < np; i++)
            perm[i] = np - 1 - i;
    }
    if (np != xs.ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: perm has %d entries for rank %d", ctx, np, xs.ndims);
    int64_t str[OX_MAX_DIMS], acc = 1;
    for (int i = xs.ndims - 1; i >= 0; i--) {
        str[i] = acc;
        acc *= xs.d[i];
    }
    dnnl_dims_t dims, strides;
    char seen[OX_MAX_DIMS] = {0};
    for (int i = 0; i < np; i++) {
        if (perm[i] < 0 || perm[i] >= np || seen[perm[i]])
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: perm is not a permutation", ctx);
        seen[perm[i]] = 1;
        ys.d[i] = xs.d[perm[i]];
        dims[i] = ys.d[i];
        strides[i] = str[perm[i]];
    }
    if (is_const) { /* shape arithmetic: permute now */
        ox_tensor *t;
        const ox_tensor *src = p->v[x].c;
        if ((st = anc_ox_tensor_new(&t, src->type, &ys, &p->budget, p->err)))
            return st;
        for (int64_t e = 0; e < t->count; e++) {
            int64_t r = e, off = 0;
            for (int i = ys.ndims - 1; i >= 0; i--) {
                off += (r % ys.d[i]) * strides[i];
                r /= ys.d[i];
            }
            tset(t, e, tget(src, off));
        }
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    /* read the input through permuted strides, write row-major */
    int xv;
    dnnl_memory_desc_t mx;
    DN(dnnl_memory_desc_init_by_strides(&mx, np, dims, dnnl_f32, strides), "a transpose");
    if ((st = anc_plan_new_value(p, &xv)) || (st = anc_plan_set_rt(p, xv, &ys, &mx, ctx)))
        return st;
    p->v[xv].alias = xp;
    int out;
    dnnl_memory_desc_t my = anc_plan_plain_md(&ys);
    if ((st = anc_plan_reorder_to(p, xv, &my, &out, ctx)))
        return st;
    /* `out` is a fresh value; make it the node's output by aliasing */
    if ((st = anc_plan_set_rt(p, y, &ys, NULL, ctx)))
        return st;
    p->v[y].alias = out;
    return ANCHOR_OK;
}

anchor_status anc_op_pad(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st;
    if ((st = anc_plan_materialize(p, x, &x, ctx)))
        return st;
    ox_shape xs = p->v[x].shape, ys = xs;
    int64_t pads[2 * OX_MAX_DIMS];
    int np = p->g->opset >= 11 ? anc_plan_const_ints(p, IN(c, 1), pads, 2 * OX_MAX_DIMS)
                               : anc_plan_attr_ints(c->n, "pads", pads, 2 * OX_MAX_DIMS);
    if (np != 2 * xs.ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: pads must be %d constants", ctx, 2 * xs.ndims);
    for (int i = 0; i < np; i++)
        if (pads[i] < -OX_MAX_DIM_VALUE || pads[i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: padding %lld out of range", ctx, (long long)pads[i]);
    float value = 0;
    if (p->g->opset >= 11) {
        if (IN(c, 2) >= 0 && !anc_plan_const_float(p, IN(c, 2), &value))
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: constant_value must be a constant", ctx);
    } else {
        value = anc_ox_attr_float(c->n, "value", 0.f);
    }
    char mode[32];
    anc_plan_attr_str(c->n, "mode", mode, sizeof mode, "constant");
    int m = !strcmp(mode, "constant") ? 0 : !strcmp(mode, "reflect") ? 1 : !strcmp(mode, "edge") ? 2 : -1;
    if (m < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: pad mode '%s'", ctx, mode);
    /* Zero padding of the spatial dimensions before an AveragePool without padding of its
     * own: one pool that counts the padding, in whatever layout the input has. */
    int j = anc_plan_sole_consumer(p, y, c->node);
    if (j >= 0 && m == 0 && value == 0.f && xs.ndims >= 3 && xs.ndims <= 5 &&
        !strcmp(p->g->g->node[j]->op_type, "AveragePool")) {
        const Onnx__NodeProto *pn = p->g->g->node[j];
        int64_t pp[6] = {0};
        char ap[32];
        int ok = !anc_ox_attr_int(pn, "ceil_mode", 0) &&
                 !strcmp(anc_plan_attr_str(pn, "auto_pad", ap, sizeof ap, "NOTSET"), "NOTSET");
        anc_plan_attr_ints(pn, "pads", pp, 6);
        for (int i = 0; i < 6; i++)
            ok &= pp[i] == 0;
        int nd = xs.ndims, nsp = nd - 2;
        ok &= pads[0] == 0 && pads[1] == 0 && pads[nd] == 0 && pads[nd + 1] == 0;
        int64_t sp[6];
        for (int i = 0; i < nsp; i++) {
            sp[i] = pads[2 + i];
            sp[nsp + i] = pads[nd + 2 + i];
            ok &= sp[i] >= 0 && sp[nsp + i] >= 0;
        }
        if (ok) {
            nctx pc = {.node = j, .n = pn, .in = p->g->node_in[j], .out = p->g->node_out[j]};
            pc.nin = (int)pn->n_input;
            pc.nout = (int)pn->n_output;
            anc_ox_node_label(pn, pc.ctx, sizeof pc.ctx);
            p->done[j] = 1;
            return anc_op_pool_ex(p, &pc, 0, 0, sp, x, pc.out[0]);
        }
    }
    if ((st = anc_plan_plain(p, x, &xp, ctx)))
        return st;
    for (int i = 0; i < xs.ndims; i++)
        ys.d[i] = xs.d[i] + pads[i] + pads[xs.ndims + i];
    if ((st = anc_plan_set_rt(p, y, &ys, NULL, ctx)))
        return st;
    pstep *sp;
    if ((st = anc_plan_c_step(p, anc_k_pad, xp, -1, y, &sp)))
        return st;
    sp->ip[0] = xs.ndims;
    for (int i = 0; i < xs.ndims; i++) {
        sp->ip[1 + i] = xs.d[i];
        sp->ip[9 + i] = ys.d[i];
        sp->ip[17 + i] = pads[i];
    }
    sp->ip[25] = m;
    sp->fp[0] = value;
    return ANCHOR_OK;
}

/* Dropout is the identity in inference, and in training mode with a ratio of 0 (nothing
 * dropped, a scale of 1: torchvision 0.14's Swin calls F.dropout(attn, p=0.0) with the
 * default training=True, which torch exports as training_mode=true). Anything else would
 * drop at random: refused. */
static int dropout_is_identity(ox_plan *p, const nctx *c)
{
    int t = IN(c, 2), r = IN(c, 1);
    float v, ratio;
    if (t < 0)
        return 1;
    if (!anc_plan_const_float(p, t, &v))
        return 0;
    return v == 0 || (r >= 0 && anc_plan_const_float(p, r, &ratio) && ratio == 0);
}

/* Identity, and Dropout in inference: the output is the input. */
anchor_status anc_op_identity(ox_plan *p, const nctx *c)
{
    int x = IN(c, 0), y = c->out[0];
    if (!strcmp(c->n->op_type, "Dropout") && !dropout_is_identity(p, c))
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: training_mode must be a constant false, or "
                                "ratio a constant 0 (inference only)", c->ctx);
    if (p->v[x].kind == PV_CONST) {
        ox_shape sh = p->v[x].c->shape;
        return anc_plan_fold_reshaped(p, x, y, &sh);
    }
    ox_shape sh = p->v[x].shape;
    dnnl_memory_desc_t md = p->v[x].md;
    anchor_status st = anc_plan_set_rt(p, y, &sh, &md, c->ctx);
    if (!st)
        p->v[y].alias = x;
    return st;
}
