/* SPDX-License-Identifier: Apache-2.0 */
/* Operators computed while planning, on constants: Constant, Shape, ConstantOfShape and
 * Cast (Gather and Slice, which also run on activations, are in op_index.c). Exporters use them for shape arithmetic, which is static for a given
 * batch size, so folding them leaves none at run time (Cast of a runtime float tensor is a
 * view). */
#include <dnnl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/kernels.h"
#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

/* Shape, Constant, ConstantOfShape, Cast: computed now, on constants. */
anchor_status anc_op_fold(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx, *op = c->n->op_type;
    anchor_status st;
    int y = c->out[0];
    ox_tensor *t = NULL;
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *a;
        if ((a = anc_ox_attr(c->n, "value")) && a->t) {
            if ((st = anc_ox_tensor_from_proto(&t, a->t, ctx, &p->budget, p->err)))
                return st;
        } else if ((a = anc_ox_attr(c->n, "value_float")) || (a = anc_ox_attr(c->n, "value_int"))) {
            ox_shape s0 = {0};
            int isf = !strcmp(a->name, "value_float");
            if ((st = anc_ox_tensor_new(&t, isf ? OX_F32 : OX_I64, &s0, &p->budget, p->err)))
                return st;
            tset(t, 0, isf ? a->f : (double)a->i);
        } else if ((a = anc_ox_attr(c->n, "value_floats")) || (a = anc_ox_attr(c->n, "value_ints"))) {
            int isf = !strcmp(a->name, "value_floats");
            ox_shape s1 = {.ndims = 1, .d = {isf ? (int64_t)a->n_floats : (int64_t)a->n_ints}};
            if ((st = anc_ox_tensor_new(&t, isf ? OX_F32 : OX_I64, &s1, &p->budget, p->err)))
                return st;
            for (int64_t i = 0; i < s1.d[0]; i++)
                tset(t, i, isf ? a->floats[i] : (double)a->ints[i]);
        } else {
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Constant without a supported value", ctx);
        }
    } else if (!strcmp(op, "Shape")) {
        const ox_shape *xs = &p->v[IN(c, 0)].shape;
        int64_t start = norm_axis(anc_ox_attr_int(c->n, "start", 0), xs->ndims);
        int64_t end = norm_axis(anc_ox_attr_int(c->n, "end", xs->ndims), xs->ndims);
        start = start < 0 ? 0 : start > xs->ndims ? xs->ndims : start;
        end = end < start ? start : end > xs->ndims ? xs->ndims : end;
        ox_shape s1 = {.ndims = 1, .d = {end - start}};
        if ((st = anc_ox_tensor_new(&t, OX_I64, &s1, &p->budget, p->err)))
            return st;
        for (int64_t i = start; i < end; i++)
            ((int64_t *)t->data)[i - start] = xs->d[i];
    } else if (!strcmp(op, "ConstantOfShape")) {
        int64_t dims[OX_MAX_DIMS];
        int nd = anc_plan_const_ints(p, IN(c, 0), dims, OX_MAX_DIMS);
        if (nd < 0)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: cannot resolve the shape", ctx);
        ox_shape s = {.ndims = nd};
        memcpy(s.d, dims, sizeof(int64_t) * (size_t)nd);
        const Onnx__AttributeProto *a = anc_ox_attr(c->n, "value");
        ox_tensor *v = NULL;
        if (a && a->t && (st = anc_ox_tensor_from_proto(&v, a->t, ctx, &p->budget, p->err)))
            return st;
        st = anc_ox_tensor_new(&t, v ? v->type : OX_F32, &s, &p->budget, p->err);
        if (!st)
            for (int64_t i = 0; i < t->count; i++)
                tset(t, i, v && v->count ? tget(v, 0) : 0.0);
        anc_ox_tensor_free(v);
        if (st)
            return anchor_error_prefix(p->err, "%s", ctx);
    } else if (!strcmp(op, "Cast")) {
        /* float and double are kept as float (double's extra digits are not ours to give);
         * float16 rounds to its 11 significant bits; bfloat16 is refused, its rounding being
         * unspecified (ONNX 1.12's test truncates, ONNX Runtime rounds to nearest) */
        int64_t to = anc_ox_attr_int(c->n, "to", 1);
        int isf = to == 1 || to == 10 || to == 11;
        int x = IN(c, 0);
        if (to == 16)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Cast to bfloat16 is not supported", ctx);
        if (p->v[x].kind == PV_RT && to == 10) {
            nctx round = *c;
            round.variant = OX_UNARY_ROUND_HALF;
            return anc_op_unary(p, &round);
        }
        if (p->v[x].kind == PV_RT) {
            if (!isf)
                return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Cast of a runtime tensor to type %lld", ctx,
                                        (long long)to);
            ox_shape sh = p->v[x].shape;
            dnnl_memory_desc_t md = p->v[x].md;
            if ((st = anc_plan_set_rt(p, y, &sh, &md, ctx)))
                return st;
            p->v[y].alias = x;
            return ANCHOR_OK;
        }
        const ox_tensor *s = p->v[x].c;
        if ((st = anc_ox_tensor_new(&t, isf ? OX_F32 : OX_I64, &s->shape, &p->budget, p->err)))
            return st;
        for (int64_t i = 0; i < t->count; i++) {
            double v = tget(s, i);
            tset(t, i, to == 10 ? anc_round_half(v) : isf ? v : (to == 9 ? (v != 0) : trunc(v)));
        }
    }
    anc_plan_set_const(p, y, t);
    return ANCHOR_OK;
}
