/* SPDX-License-Identifier: Apache-2.0 */
/* Operators computed while planning, on constants: Constant, Shape, ConstantOfShape, Cast,
 * Gather and Slice. Exporters use them for shape arithmetic, which is static for a given
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

/* Shape, Gather, Constant, ConstantOfShape, Cast, Slice: computed now, on constants. */
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
    } else {
        /* Gather and Slice need constant data (shape arithmetic) */
        int x = IN(c, 0);
        if (p->v[x].kind != PV_CONST)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: %s of a runtime tensor is not supported", ctx, op);
        const ox_tensor *s = p->v[x].c;
        const ox_shape *xs = &s->shape;
        if (!strcmp(op, "Gather")) {
            int idx = IN(c, 1);
            if (idx < 0 || p->v[idx].kind != PV_CONST)
                return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: runtime indices", ctx);
            const ox_tensor *it = p->v[idx].c;
            int64_t axis = norm_axis(anc_ox_attr_int(c->n, "axis", 0), xs->ndims);
            if (axis < 0 || axis >= xs->ndims || xs->ndims - 1 + it->shape.ndims > OX_MAX_DIMS)
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range", ctx);
            ox_shape ys = {0};
            int64_t outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) {
                ys.d[ys.ndims++] = xs->d[i];
                outer *= xs->d[i];
            }
            for (int i = 0; i < it->shape.ndims; i++)
                ys.d[ys.ndims++] = it->shape.d[i];
            for (int i = (int)axis + 1; i < xs->ndims; i++) {
                ys.d[ys.ndims++] = xs->d[i];
                inner *= xs->d[i];
            }
            if ((st = anc_ox_tensor_new(&t, s->type, &ys, &p->budget, p->err)))
                return st;
            int64_t e = 0, n = xs->d[axis];
            for (int64_t o = 0; o < outer; o++)
                for (int64_t k = 0; k < it->count; k++) {
                    int64_t j = ox_sat_i64(tget(it, k));
                    j = j < 0 ? j + n : j;
                    if (j < 0 || j >= n) {
                        anc_ox_tensor_free(t);
                        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: index out of range", ctx);
                    }
                    for (int64_t q = 0; q < inner; q++)
                        tset(t, e++, tget(s, (o * n + j) * inner + q));
                }
        } else { /* Slice */
            int64_t starts[OX_MAX_DIMS], ends[OX_MAX_DIMS], axes[OX_MAX_DIMS], steps[OX_MAX_DIMS];
            int ns, ne, na, nst;
            if (p->g->opset >= 10) {
                ns = anc_plan_const_ints(p, IN(c, 1), starts, OX_MAX_DIMS);
                ne = anc_plan_const_ints(p, IN(c, 2), ends, OX_MAX_DIMS);
                na = anc_plan_const_ints(p, IN(c, 3), axes, OX_MAX_DIMS);
                nst = anc_plan_const_ints(p, IN(c, 4), steps, OX_MAX_DIMS);
            } else {
                ns = anc_plan_attr_ints(c->n, "starts", starts, OX_MAX_DIMS);
                ne = anc_plan_attr_ints(c->n, "ends", ends, OX_MAX_DIMS);
                na = anc_plan_attr_ints(c->n, "axes", axes, OX_MAX_DIMS);
                nst = -1;
            }
            if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns) || ns > xs->ndims)
                return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: starts/ends/axes must be constants", ctx);
            int64_t lo[OX_MAX_DIMS], step[OX_MAX_DIMS];
            ox_shape ys = *xs;
            for (int i = 0; i < xs->ndims; i++) {
                lo[i] = 0;
                step[i] = 1;
            }
            for (int i = 0; i < ns; i++) {
                int64_t a = na >= 0 ? norm_axis(axes[i], xs->ndims) : i, n;
                if (a < 0 || a >= xs->ndims)
                    return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range", ctx);
                n = xs->d[a];
                int64_t stp = nst >= 0 ? steps[i] : 1, b = starts[i], e = ends[i];
                if (stp == 0)
                    return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: Slice step 0", ctx);
                /* a step longer than the axis takes one element at most: clamp it before any
                 * arithmetic (a hostile step of 2^63 - 1 overflowed the length below) */
                stp = stp > n ? n + 1 : stp < -n ? -n - 1 : stp;
                b = b < 0 ? b + n : b;
                e = e < 0 ? e + n : e;
                if (stp > 0) {
                    b = b < 0 ? 0 : b > n ? n : b;
                    e = e < 0 ? 0 : e > n ? n : e;
                } else { /* backwards: from b down to e + 1 */
                    b = b < 0 ? -1 : b > n - 1 ? n - 1 : b;
                    e = e < -1 ? -1 : e > n - 1 ? n - 1 : e;
                }
                int64_t len = stp > 0 ? (e - b + stp - 1) / stp : (b - e + (-stp) - 1) / (-stp);
                lo[a] = b;
                step[a] = stp;
                ys.d[a] = len > 0 ? len : 0;
            }
            if ((st = anc_ox_tensor_new(&t, s->type, &ys, &p->budget, p->err)))
                return st;
            for (int64_t e = 0; e < t->count; e++) {
                int64_t r = e, off = 0, mul = 1;
                for (int i = ys.ndims - 1; i >= 0; i--) {
                    int64_t q = r % ys.d[i];
                    r /= ys.d[i];
                    off += (lo[i] + q * step[i]) * mul;
                    mul *= xs->d[i];
                }
                tset(t, e, tget(s, off));
            }
        }
    }
    anc_plan_set_const(p, y, t);
    return ANCHOR_OK;
}
