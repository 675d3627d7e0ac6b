/* SPDX-License-Identifier: Apache-2.0 */
/* Indexing, comparison and selection operators: Gather, Slice, Split, Tile, Expand (data
 * movement), Where, Equal/Less/Greater/LessOrEqual/GreaterOrEqual/Not/And/Or/Xor, Mod,
 * Min/Max/Sum/Mean (broadcasting elementwise), Range and ScatterND (reductions none, add
 * and mul), as ONNX (opsets 7-17) defines them.
 *
 * Exporters use all of them in shape arithmetic (ViT's class token, Swin-T's shifted
 * windows and attention mask, ShuffleNetV2's channel split), which is static for a given
 * batch size and folds while planning; some of them also run on activations (torch.roll is
 * Slice + Concat, x[:, 0] is a Gather, chunk() is a Split or Slices). Each operator has ONE
 * routine on plain row-major buffers, used both to fold constants (float32 or int64) and
 * as the run-time C kernel (float32), so folding and running cannot disagree:
 *   - every data movement here is a strided copy: output element at multi-index i reads the
 *     input at base + sum_k i_k * stride_k. Slice is negative or long strides, Expand is zero
 *     strides, Tile is a view of rank 2r whose pairs (repeat, dim) have strides (0, stride),
 *     a scalar Gather is a Slice without its axis. Only Gather with an index tensor needs a
 *     list of indices (kept by the step when it runs);
 *   - every elementwise operator is one broadcasting loop computing in double (exact for
 *     float32 inputs and for int64 values below 2^53, which is what shapes hold) and
 *     rounding once to the output type.
 * Booleans are our int64 0/1 in constants (as Cast to bool writes them) and float 0/1 at
 * run time. Indices and the inputs of Range must be constants; an index out of range is
 * refused with a message naming the node, never read. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"

#define MAX_VIEW (2 * OX_MAX_DIMS) /* Tile's rank-2r view */

/* ---- strided copy: Slice, Expand, Tile, Split, scalar Gather ------------------------- */
typedef struct view {
    int nd;
    int64_t dims[MAX_VIEW], str[MAX_VIEW], base;
} view;

static void copy_view(const void *src, void *dst, int esize, const view *w)
{
    int64_t idx[MAX_VIEW] = {0}, total = 1, off = w->base;
    for (int i = 0; i < w->nd; i++)
        total *= w->dims[i];
    for (int64_t e = 0; e < total; e++) {
        if (esize == 4)
            ((float *)dst)[e] = ((const float *)src)[off];
        else
            ((int64_t *)dst)[e] = ((const int64_t *)src)[off];
        for (int i = w->nd - 1; i >= 0; i--) { /* odometer */
            off += w->str[i];
            if (++idx[i] < w->dims[i])
                break;
            off -= w->str[i] * idx[i];
            idx[i] = 0;
        }
    }
}

/* ip: [0]=nd, [1..16]=dims, [17..32]=strides, [33]=base */
static void k_view(ox_plan *p, const pstep *s)
{
    view w = {.nd = (int)s->ip[0], .base = s->ip[33]};
    for (int i = 0; i < w.nd; i++) {
        w.dims[i] = s->ip[1 + i];
        w.str[i] = s->ip[17 + i];
    }
    copy_view(p->v[s->in[0]].ptr, p->v[s->out].ptr, 4, &w);
}

static void row_strides(const ox_shape *s, int64_t *str)
{
    int64_t acc = 1;
    for (int i = s->ndims - 1; i >= 0; i--) {
        str[i] = acc;
        acc *= s->d[i];
    }
}

/* Output `y` (shape ys) as the view `w` of input `x`: folded when x is a constant, a
 * k_view step otherwise. */
static anchor_status emit_view(ox_plan *p, const char *ctx, int x, int y, const ox_shape *ys, const view *w)
{
    anchor_status st;
    if (p->v[x].kind == PV_CONST) {
        const ox_tensor *s = p->v[x].c;
        ox_tensor *t;
        if ((st = anc_ox_tensor_new(&t, s->type, ys, &p->budget, p->err)))
            return anchor_error_prefix(p->err, "%s", ctx);
        if (t->count)
            copy_view(s->data, t->data, s->type == OX_F32 ? 4 : 8, w);
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    int xp;
    pstep *sp;
    if ((st = anc_plan_plain(p, x, &xp, ctx)) || (st = anc_plan_set_rt(p, y, ys, NULL, ctx)) ||
        (st = anc_plan_c_step(p, k_view, xp, -1, y, &sp)))
        return st;
    sp->ip[0] = w->nd;
    for (int i = 0; i < w->nd; i++) {
        sp->ip[1 + i] = w->dims[i];
        sp->ip[17 + i] = w->str[i];
    }
    sp->ip[33] = w->base;
    return ANCHOR_OK;
}

/* The identity view of shape s. */
static view whole(const ox_shape *s)
{
    view w = {.nd = s->ndims};
    memcpy(w.dims, s->d, sizeof(int64_t) * (size_t)s->ndims);
    row_strides(s, w.str);
    return w;
}

anchor_status anc_op_slice(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0);
    const ox_shape *xs = &p->v[x].shape;
    int64_t starts[OX_MAX_DIMS], ends[OX_MAX_DIMS], axes[OX_MAX_DIMS], steps[OX_MAX_DIMS];
    int ns, ne, na, nst;
    if (p->g->opset >= 10) {
        ns = anc_plan_const_ints(p, IN(c, 1), starts, OX_MAX_DIMS);
        ne = anc_plan_const_ints(p, IN(c, 2), ends, OX_MAX_DIMS);
        na = anc_plan_const_ints(p, IN(c, 3), axes, OX_MAX_DIMS);
        nst = anc_plan_const_ints(p, IN(c, 4), steps, OX_MAX_DIMS);
        if ((IN(c, 3) >= 0 && na < 0) || (IN(c, 4) >= 0 && nst < 0))
            ns = -1;
    } else {
        ns = anc_plan_attr_ints(c->n, "starts", starts, OX_MAX_DIMS);
        ne = anc_plan_attr_ints(c->n, "ends", ends, OX_MAX_DIMS);
        na = anc_plan_attr_ints(c->n, "axes", axes, OX_MAX_DIMS);
        nst = -1;
    }
    if (ns < 0 || ne < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: starts and ends must be constants", ctx);
    if (ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns) || ns > xs->ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                "%s: starts, ends, axes and steps differ in length or exceed the rank %d", ctx,
                                xs->ndims);
    view w = whole(xs);
    ox_shape ys = *xs;
    char seen[OX_MAX_DIMS] = {0};
    for (int i = 0; i < ns; i++) {
        int64_t a = na >= 0 ? norm_axis(axes[i], xs->ndims) : i;
        if (a < 0 || a >= xs->ndims || seen[a])
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis %lld out of range or repeated", ctx,
                                    (long long)(na >= 0 ? axes[i] : i));
        seen[a] = 1;
        int64_t stp = nst >= 0 ? steps[i] : 1, n = xs->d[a];
        if (stp == 0)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: step 0 on axis %lld", ctx, (long long)a);
        int64_t s = stp > n ? n + 1 : stp < -n ? -n - 1 : stp, b = starts[i], e = ends[i];
        b = b < 0 ? (b < -n ? -1 : b + n) : b > n ? n : b;
        e = e < 0 ? (e < -n ? -1 : e + n) : e > n ? n : e;
        if (s > 0) {
            b = b < 0 ? 0 : b;
            e = e < 0 ? 0 : e;
        } else {
            b = b > n - 1 ? n - 1 : b;
            e = e > n - 1 ? n - 1 : e;
        }
        int64_t len = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
        ys.d[a] = w.dims[a] = len > 0 ? len : 0;
        if (len > 0)
            w.base += b * w.str[a];
        w.str[a] *= s;
    }
    return emit_view(p, ctx, x, c->out[0], &ys, &w);
}

/* ---- Gather -------------------------------------------------------------------------- */
static void gather_rows(const void *src, void *dst, int esize, int64_t outer, int64_t n, int64_t inner,
                        const int64_t *idx, int64_t k)
{
    size_t row = (size_t)inner * (size_t)esize;
    char *d = dst;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < k; j++, d += row)
            memcpy(d, (const char *)src + (size_t)(o * n + idx[j]) * row, row);
}

/* ip: [0]=outer, [1]=n, [2]=inner, [3]=index count; the indices are the step's own table */
static void k_gather(ox_plan *p, const pstep *s)
{
    gather_rows(p->v[s->in[0]].ptr, p->v[s->out].ptr, 4, s->ip[0], s->ip[1], s->ip[2], s->owned, s->ip[3]);
}

anchor_status anc_op_gather(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int x = IN(c, 0), ix = IN(c, 1), y = c->out[0];
    if (p->v[ix].kind != PV_CONST)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                "%s: indices computed at run time are not supported", ctx);
    const ox_shape *xs = &p->v[x].shape;
    const ox_tensor *it = p->v[ix].c;
    int64_t axis = norm_axis(anc_ox_attr_int(c->n, "axis", 0), xs->ndims);
    if (axis < 0 || axis >= xs->ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range for rank %d", ctx, xs->ndims);
    if (xs->ndims - 1 + it->shape.ndims > OX_MAX_DIMS)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: output rank above %d", ctx, OX_MAX_DIMS);
    int64_t n = xs->d[axis], outer = 1, inner = 1;
    ox_shape ys = {0};
    for (int i = 0; i < axis; i++)
        outer *= (ys.d[ys.ndims++] = xs->d[i]);
    for (int i = 0; i < it->shape.ndims; i++)
        ys.d[ys.ndims++] = it->shape.d[i];
    for (int i = (int)axis + 1; i < xs->ndims; i++)
        inner *= (ys.d[ys.ndims++] = xs->d[i]);
    if (anc_ox_shape_elems(&ys) < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: the output is too large", ctx);
    int64_t *idx = malloc(sizeof *idx * (size_t)(it->count + 1));
    if (!idx)
        return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
    for (int64_t k = 0; k < it->count; k++) {
        int64_t j = it->type == OX_I64 ? ((int64_t *)it->data)[k] : ox_sat_i64(((float *)it->data)[k]);
        if (j < -n || j >= n) {
            free(idx);
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                    "%s: index %lld out of range for a dimension of %lld", ctx, (long long)j,
                                    (long long)n);
        }
        idx[k] = j < 0 ? j + n : j;
    }
    if (it->shape.ndims == 0) { /* one index: a slice without the axis */
        view w = whole(xs);
        w.base = idx[0] * w.str[axis];
        for (int i = (int)axis; i + 1 < w.nd; i++) {
            w.dims[i] = w.dims[i + 1];
            w.str[i] = w.str[i + 1];
        }
        w.nd--;
        free(idx);
        return emit_view(p, ctx, x, y, &ys, &w);
    }
    if (p->v[x].kind == PV_CONST) {
        const ox_tensor *s = p->v[x].c;
        ox_tensor *t;
        if ((st = anc_ox_tensor_new(&t, s->type, &ys, &p->budget, p->err))) {
            free(idx);
            return anchor_error_prefix(p->err, "%s", ctx);
        }
        if (t->count)
            gather_rows(s->data, t->data, s->type == OX_F32 ? 4 : 8, outer, n, inner, idx, it->count);
        free(idx);
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    int xp;
    pstep *sp;
    if ((st = anc_ox_budget_charge(&p->budget, it->count * 8, p->err)) || (st = anc_plan_plain(p, x, &xp, ctx)) ||
        (st = anc_plan_set_rt(p, y, &ys, NULL, ctx)) || (st = anc_plan_c_step(p, k_gather, xp, -1, y, &sp))) {
        free(idx);
        return st;
    }
    sp->owned = idx;
    sp->ip[0] = outer;
    sp->ip[1] = n;
    sp->ip[2] = inner;
    sp->ip[3] = it->count;
    return ANCHOR_OK;
}

/* ---- Split, Tile, Expand ------------------------------------------------------------- */
anchor_status anc_op_split(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int x = IN(c, 0);
    const ox_shape shape = p->v[x].shape, *xs = &shape; /* a copy: planning an output may move p->v */
    int64_t axis = norm_axis(anc_ox_attr_int(c->n, "axis", 0), xs->ndims);
    if (axis < 0 || axis >= xs->ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range for rank %d", ctx, xs->ndims);
    int64_t parts[64];
    int np;
    if (c->nout > 64)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: more than 64 outputs", ctx);
    if (p->g->opset >= 13 && IN(c, 1) >= 0) {
        np = anc_plan_const_ints(p, IN(c, 1), parts, 64);
        if (np < 0)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: split must be a constant", ctx);
    } else {
        np = p->g->opset < 13 ? anc_plan_attr_ints(c->n, "split", parts, 64) : -1;
    }
    int64_t n = xs->d[axis], sum = 0;
    if (np < 0) { /* equal parts */
        np = c->nout;
        if (n % np)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                    "%s: a dimension of %lld does not split in %d equal parts", ctx, (long long)n,
                                    np);
        for (int k = 0; k < np; k++)
            parts[k] = n / np;
    }
    if (np != c->nout)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: %d split sizes for %d outputs", ctx, np, c->nout);
    for (int k = 0; k < np; k++) {
        if (parts[k] < 0 || parts[k] > n)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: split size %lld out of range", ctx,
                                    (long long)parts[k]);
        sum += parts[k];
    }
    if (sum != n)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: split sizes add up to %lld, not %lld", ctx,
                                (long long)sum, (long long)n);
    int64_t at = 0;
    for (int k = 0; k < np; k++) {
        view w = whole(xs);
        ox_shape ys = *xs;
        ys.d[axis] = w.dims[axis] = parts[k];
        w.base = at * w.str[axis];
        at += parts[k];
        if (c->out[k] >= 0 && (st = emit_view(p, ctx, x, c->out[k], &ys, &w)))
            return st;
    }
    return ANCHOR_OK;
}

anchor_status anc_op_tile(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0);
    const ox_shape *xs = &p->v[x].shape;
    int64_t rep[OX_MAX_DIMS];
    int nr = anc_plan_const_ints(p, IN(c, 1), rep, OX_MAX_DIMS);
    if (nr < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: repeats must be a constant", ctx);
    if (nr != xs->ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: %d repeats for rank %d", ctx, nr, xs->ndims);
    view w = {.nd = 2 * xs->ndims};
    ox_shape ys = *xs;
    int64_t str[OX_MAX_DIMS];
    row_strides(xs, str);
    for (int i = 0; i < xs->ndims; i++) {
        if (rep[i] < 0 || rep[i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: repeat %lld out of range", ctx,
                                    (long long)rep[i]);
        w.dims[2 * i] = rep[i];
        w.dims[2 * i + 1] = xs->d[i];
        w.str[2 * i + 1] = str[i];
        ys.d[i] = rep[i] * xs->d[i]; /* both <= 2^28 */
        if (ys.d[i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: a dimension of %lld", ctx, (long long)ys.d[i]);
    }
    if (anc_ox_shape_elems(&ys) < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: the output is too large", ctx);
    return emit_view(p, ctx, x, c->out[0], &ys, &w);
}

anchor_status anc_op_expand(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0);
    anchor_status st;
    int64_t dims[OX_MAX_DIMS];
    int nd = anc_plan_const_ints(p, IN(c, 1), dims, OX_MAX_DIMS);
    if (nd < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: the shape must be a constant of rank <= %d",
                                ctx, OX_MAX_DIMS);
    ox_shape want = {.ndims = nd}, ys;
    for (int i = 0; i < nd; i++) {
        if (dims[i] < 0 || dims[i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: dimension %lld out of range", ctx,
                                    (long long)dims[i]);
        want.d[i] = dims[i];
    }
    const ox_shape *xs = &p->v[x].shape;
    if ((st = anc_plan_broadcast_shape(xs, &want, &ys, ctx, p->err)))
        return st;
    if (anc_ox_shape_elems(&ys) < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: the output is too large", ctx);
    view w = {.nd = ys.ndims};
    memcpy(w.dims, ys.d, sizeof(int64_t) * (size_t)ys.ndims);
    anc_plan_broadcast_strides(xs, &ys, w.str);
    return emit_view(p, ctx, x, c->out[0], &ys, &w);
}

/* ---- broadcasting elementwise -------------------------------------------------------- */

static double ew_apply(int op, const double *a, double mean_n)
{
    switch (op) {
    case OX_EW_WHERE: return a[0] != 0 ? a[1] : a[2];
    case OX_EW_EQUAL: return a[0] == a[1];
    case OX_EW_LESS: return a[0] < a[1];
    case OX_EW_GREATER: return a[0] > a[1];
    case OX_EW_LESS_EQUAL: return a[0] <= a[1];
    case OX_EW_GREATER_EQUAL: return a[0] >= a[1];
    case OX_EW_NOT: return a[0] == 0;
    case OX_EW_AND: return a[0] != 0 && a[1] != 0;
    case OX_EW_OR: return a[0] != 0 || a[1] != 0;
    case OX_EW_XOR: return (a[0] != 0) != (a[1] != 0);
    case OX_EW_FMOD: return fmod(a[0], a[1]); /* C's sign: the dividend's */
    case OX_EW_MOD: {                         /* Python's sign: the divisor's */
        double r = fmod(a[0], a[1]);
        return r != 0 && (r < 0) != (a[1] < 0) ? r + a[1] : r;
    }
    /* NaN propagates, as in numpy's minimum/maximum (what ONNX's reference uses) */
    case OX_EW_MIN: return a[0] != a[0] || a[1] != a[1] ? NAN : a[0] < a[1] ? a[0] : a[1];
    case OX_EW_MAX: return a[0] != a[0] || a[1] != a[1] ? NAN : a[0] > a[1] ? a[0] : a[1];
    case OX_EW_SUM: return a[0] + a[1];
    default: return (a[0] + a[1]) / mean_n; /* the last step of Mean */
    }
}

typedef struct ew_in {
    const void *data;
    ox_type type;
    int64_t str[OX_MAX_DIMS];
} ew_in;

/* out[e] = op(inputs at e, broadcast), in double, rounded once to the output's type.
 * Float sums of two terms are then exactly float sums (a double holds them exactly). */
static void ew_eval(int op, int nin, const ew_in *in, const ox_shape *ys, void *out, ox_type otype, double mean_n)
{
    int64_t idx[OX_MAX_DIMS] = {0}, off[3] = {0}, total = anc_ox_shape_count(ys);
    int nd = ys->ndims;
    for (int64_t e = 0; e < total; e++) {
        double a[3];
        for (int k = 0; k < nin; k++)
            a[k] = in[k].type == OX_F32 ? ((const float *)in[k].data)[off[k]]
                                        : (double)((const int64_t *)in[k].data)[off[k]];
        double v = ew_apply(op, a, mean_n);
        if (otype == OX_F32)
            ((float *)out)[e] = ox_sat_f32(v);
        else
            ((int64_t *)out)[e] = ox_sat_i64(v);
        for (int i = nd - 1; i >= 0; i--) {
            for (int k = 0; k < nin; k++)
                off[k] += in[k].str[i];
            if (++idx[i] < ys->d[i])
                break;
            for (int k = 0; k < nin; k++)
                off[k] -= in[k].str[i] * idx[i];
            idx[i] = 0;
        }
    }
}

/* ip: [0]=nd, [1..8]=dims, [9..16],[17..24],[25..32]=strides of in[0..2], [33]=op, [34]=nin; fp[0]=Mean's n */
static void k_ew(ox_plan *p, const pstep *s)
{
    ox_shape ys = {.ndims = (int)s->ip[0]};
    ew_in in[3];
    int nin = (int)s->ip[34];
    for (int i = 0; i < ys.ndims; i++)
        ys.d[i] = s->ip[1 + i];
    for (int k = 0; k < nin; k++) {
        in[k].data = p->v[s->in[k]].ptr;
        in[k].type = OX_F32;
        for (int i = 0; i < ys.ndims; i++)
            in[k].str[i] = s->ip[9 + 8 * k + i];
    }
    ew_eval((int)s->ip[33], nin, in, &ys, p->v[s->out].ptr, OX_F32, s->fp[0]);
}

/* One elementwise step: y = op(ids[0..nin-1]), folded when all are constants. */
static anchor_status ew_step(ox_plan *p, const char *ctx, int op, int nin, const int *ids, int y, double mean_n)
{
    anchor_status st;
    ox_shape ys = p->v[ids[0]].shape, acc;
    int all_const = 1;
    for (int k = 1; k < nin; k++) {
        acc = ys;
        if ((st = anc_plan_broadcast_shape(&acc, &p->v[ids[k]].shape, &ys, ctx, p->err)))
            return st;
    }
    for (int k = 0; k < nin; k++)
        all_const &= p->v[ids[k]].kind == PV_CONST;
    if (all_const) {
        int any_f = 0;
        for (int k = op == OX_EW_WHERE ? 1 : 0; k < nin; k++)
            any_f |= p->v[ids[k]].c->type == OX_F32;
        ox_type ot = op >= OX_EW_EQUAL && op <= OX_EW_XOR ? OX_I64 : any_f || op == OX_EW_MEAN ? OX_F32 : OX_I64;
        ox_tensor *t;
        if ((st = anc_ox_tensor_new(&t, ot, &ys, &p->budget, p->err)))
            return anchor_error_prefix(p->err, "%s", ctx);
        ew_in in[3];
        for (int k = 0; k < nin; k++) {
            in[k].data = p->v[ids[k]].c->data;
            in[k].type = p->v[ids[k]].c->type;
            anc_plan_broadcast_strides(&p->v[ids[k]].c->shape, &ys, in[k].str);
        }
        if (t->count)
            ew_eval(op, nin, in, &ys, t->data, ot, mean_n);
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    int xp[3];
    for (int k = 0; k < nin; k++)
        if ((st = anc_plan_plain(p, ids[k], &xp[k], ctx)))
            return st;
    /* a constant scalar materialised as [1] still broadcasts the same way */
    if (ys.ndims == 0) {
        ys.ndims = 1;
        ys.d[0] = 1;
    }
    pstep *sp;
    if ((st = anc_plan_set_rt(p, y, &ys, NULL, ctx)) || (st = anc_plan_c_step(p, k_ew, xp[0], -1, y, &sp)))
        return st;
    for (int k = 1; k < nin; k++)
        sp->in[k] = xp[k];
    sp->ip[0] = ys.ndims;
    for (int i = 0; i < ys.ndims; i++)
        sp->ip[1 + i] = ys.d[i];
    for (int k = 0; k < nin; k++)
        anc_plan_broadcast_strides(&p->v[xp[k]].shape, &ys, &sp->ip[9 + 8 * k]);
    sp->ip[33] = op;
    sp->ip[34] = nin;
    sp->fp[0] = (float)mean_n;
    return ANCHOR_OK;
}

/* The variant is the EW_* operation; Mod's fmod attribute picks C's or Python's sign.
 * Variadic Min/Max/Sum/Mean fold left to right, one pair at a time, as ONNX Runtime does. */
anchor_status anc_op_elementwise(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int op = c->variant, y = c->out[0];
    if (op == OX_EW_MOD && anc_ox_attr_int(c->n, "fmod", 0))
        op = OX_EW_FMOD;
    if (op == OX_EW_WHERE || op == OX_EW_NOT || (op >= OX_EW_EQUAL && op <= OX_EW_FMOD))
        return ew_step(p, ctx, op, op == OX_EW_WHERE ? 3 : op == OX_EW_NOT ? 1 : 2, c->in, y, 1);
    if (c->nin == 1) { /* one input: itself (a copy, so that the output is a value of its own) */
        view w = whole(&p->v[c->in[0]].shape);
        ox_shape ys = p->v[c->in[0]].shape;
        if (p->v[c->in[0]].kind == PV_RT && ys.ndims == 0)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: a 0-d runtime input", ctx);
        return emit_view(p, ctx, c->in[0], y, &ys, &w);
    }
    int acc = c->in[0];
    for (int k = 1; k < c->nin; k++) {
        int last = k == c->nin - 1, out = y, ids[2] = {acc, c->in[k]};
        anchor_status st;
        if (!last && (st = anc_plan_new_value(p, &out)))
            return st;
        int step_op = op == OX_EW_MEAN && !last ? OX_EW_SUM : op;
        if ((st = ew_step(p, ctx, step_op, 2, ids, out, (double)c->nin)))
            return st;
        acc = out;
    }
    return ANCHOR_OK;
}

/* ---- Range, ScatterND ---------------------------------------------------------------- */
anchor_status anc_op_range(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    const ox_tensor *a[3];
    int any_f = 0;
    for (int k = 0; k < 3; k++) {
        int id = IN(c, k);
        if (p->v[id].kind != PV_CONST || p->v[id].c->count != 1)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                    "%s: start, limit and delta must be constant scalars", ctx);
        a[k] = p->v[id].c;
        any_f |= a[k]->type == OX_F32;
    }
    double start = tget(a[0], 0), limit = tget(a[1], 0), delta = tget(a[2], 0);
    if (delta == 0 || delta != delta || start != start || limit != limit)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: delta is 0 or a value is NaN", ctx);
    double n = ceil((limit - start) / delta);
    n = n > 0 ? n : 0;
    if (n > (double)OX_MAX_DIM_VALUE)
        return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: %.0f elements", ctx, n);
    ox_shape ys = {.ndims = 1, .d = {(int64_t)n}};
    ox_tensor *t;
    if ((st = anc_ox_tensor_new(&t, any_f ? OX_F32 : OX_I64, &ys, &p->budget, p->err)))
        return anchor_error_prefix(p->err, "%s", ctx);
    for (int64_t i = 0; i < t->count; i++)
        tset(t, i, start + (double)i * delta);
    anc_plan_set_const(p, c->out[0], t);
    return ANCHOR_OK;
}

/* dst (a copy of data) gets the update slices at the given element offsets, in order:
 * replaced (reduction none; a repeated index: the last write wins, which ONNX leaves
 * unspecified), added or multiplied (int64 wrapping, as numpy's reference does). */
enum { SCATTER_NONE, SCATTER_ADD, SCATTER_MUL };
static void scatter_rows(void *dst, const void *upd, ox_type type, int red, const int64_t *offs, int64_t k,
                         int64_t slice)
{
    for (int64_t j = 0; j < k; j++)
        for (int64_t i = 0; i < slice; i++) {
            int64_t at = offs[j] + i, from = j * slice + i;
            if (type == OX_F32) {
                float *d = (float *)dst + at, u = ((const float *)upd)[from];
                *d = red == SCATTER_NONE ? u : red == SCATTER_ADD ? *d + u : *d * u;
            } else {
                uint64_t *d = (uint64_t *)dst + at, u = ((const uint64_t *)upd)[from];
                *d = red == SCATTER_NONE ? u : red == SCATTER_ADD ? *d + u : *d * u;
            }
        }
}

/* ip: [0]=data count, [1]=tuples, [2]=slice, [3]=reduction; offsets in the step's own table */
static void k_scatter(ox_plan *p, const pstep *s)
{
    memcpy(p->v[s->out].ptr, p->v[s->in[0]].ptr, (size_t)s->ip[0] * 4);
    scatter_rows(p->v[s->out].ptr, p->v[s->in[1]].ptr, OX_F32, (int)s->ip[3], s->owned, s->ip[1], s->ip[2]);
}

anchor_status anc_op_scatter_nd(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int x = IN(c, 0), ix = IN(c, 1), u = IN(c, 2), y = c->out[0];
    char red[32];
    anc_plan_attr_str(c->n, "reduction", red, sizeof red, "none");
    int reduction = !strcmp(red, "none")  ? SCATTER_NONE
                    : !strcmp(red, "add") ? SCATTER_ADD
                    : !strcmp(red, "mul") ? SCATTER_MUL
                                          : -1;
    if (reduction < 0) /* max and min are opset 18's */
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: reduction '%s'", ctx, red);
    if (p->v[ix].kind != PV_CONST)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED,
                                "%s: indices computed at run time are not supported", ctx);
    const ox_shape *ds = &p->v[x].shape, *us = &p->v[u].shape;
    const ox_tensor *it = p->v[ix].c;
    int r = ds->ndims, q = it->shape.ndims, last = q ? (int)it->shape.d[q - 1] : -1;
    /* updates' shape must be indices.shape[:-1] + data.shape[last:] */
    int ok = q >= 1 && last >= 1 && last <= r && us->ndims == q - 1 + r - last;
    for (int i = 0; ok && i < q - 1; i++)
        ok = us->d[i] == it->shape.d[i];
    for (int i = last; ok && i < r; i++)
        ok = us->d[q - 1 + i - last] == ds->d[i];
    if (!ok)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                "%s: the shapes of data, indices and updates do not agree", ctx);
    int64_t str[OX_MAX_DIMS], slice = 1, k = it->count / last;
    row_strides(ds, str);
    for (int i = last; i < r; i++)
        slice *= ds->d[i];
    int64_t *offs = malloc(sizeof *offs * (size_t)(k + 1));
    if (!offs)
        return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
    for (int64_t j = 0; j < k; j++) {
        offs[j] = 0;
        for (int i = 0; i < last; i++) {
            int64_t v = ox_sat_i64(tget(it, j * last + i)), n = ds->d[i];
            if (v < -n || v >= n) {
                free(offs);
                return anchor_error_set(p->err, ANCHOR_ERR_FORMAT,
                                        "%s: index %lld out of range for a dimension of %lld", ctx,
                                        (long long)v, (long long)n);
            }
            offs[j] += (v < 0 ? v + n : v) * str[i];
        }
    }
    if (p->v[x].kind == PV_CONST && p->v[u].kind == PV_CONST) {
        const ox_tensor *d = p->v[x].c, *up = p->v[u].c;
        ox_tensor *t = NULL, *uc = NULL;
        /* updates in data's type (the exporter's types agree; ours may not, after a Cast) */
        if (!(st = anc_ox_tensor_new(&t, d->type, &d->shape, &p->budget, p->err)) &&
            !(st = anc_ox_tensor_new(&uc, d->type, &up->shape, &p->budget, p->err))) {
            memcpy(t->data, d->data, (size_t)d->count * (d->type == OX_F32 ? 4 : 8));
            for (int64_t i = 0; i < up->count; i++)
                tset(uc, i, tget(up, i));
            scatter_rows(t->data, uc->data, d->type, reduction, offs, k, slice);
        }
        anc_ox_tensor_free(uc);
        free(offs);
        if (st) {
            anc_ox_tensor_free(t);
            return anchor_error_prefix(p->err, "%s", ctx);
        }
        anc_plan_set_const(p, y, t);
        return ANCHOR_OK;
    }
    int xp, upp;
    pstep *sp;
    ox_shape ys = *ds;
    if ((st = anc_ox_budget_charge(&p->budget, k * 8, p->err)) || (st = anc_plan_plain(p, x, &xp, ctx)) ||
        (st = anc_plan_plain(p, u, &upp, ctx)) || (st = anc_plan_set_rt(p, y, &ys, NULL, ctx)) ||
        (st = anc_plan_c_step(p, k_scatter, xp, upp, y, &sp))) {
        free(offs);
        return st;
    }
    sp->owned = offs;
    sp->ip[0] = anc_ox_shape_count(&ys);
    sp->ip[1] = k;
    sp->ip[2] = slice;
    sp->ip[3] = reduction;
    return ANCHOR_OK;
}
