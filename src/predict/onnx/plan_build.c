/* SPDX-License-Identifier: Apache-2.0 */
/* Building blocks of a plan, shared by every operator planner: values (constants and runtime
 * tensors), steps, layout conversions, attribute and constant-input readers, broadcasting.
 *
 * Runtime tensors carry oneDNN memory descriptors so that a chain of oneDNN primitives can
 * stay in the blocked layouts oneDNN prefers; `anc_plan_plain` and `anc_plan_in_layout`
 * insert a reorder (once per value and layout) where an operator needs another layout.
 * Constants stay host tensors until a runtime operator needs them (`anc_plan_materialize`),
 * which is what lets shape arithmetic be folded while planning. */
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/plan_build.h"

dnnl_memory_desc_t anc_plan_plain_md(const ox_shape *s)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims, strides;
    int nd = s->ndims ? s->ndims : 1;
    int64_t st = 1;
    for (int i = nd - 1; i >= 0; i--) {
        dims[i] = s->ndims ? s->d[i] : 1;
        strides[i] = st;
        st *= dims[i];
    }
    dnnl_memory_desc_init_by_strides(&md, nd, dims, dnnl_f32, strides);
    return md;
}

anchor_status anc_plan_grow(void **arr, int *cap, int need, size_t esize, anchor_error *err)
{
    if (need <= *cap)
        return ANCHOR_OK;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*arr, (size_t)nc * esize);
    if (!q)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory planning the model");
    memset((char *)q + (size_t)*cap * esize, 0, (size_t)(nc - *cap) * esize);
    *arr = q;
    *cap = nc;
    return ANCHOR_OK;
}

anchor_status anc_plan_new_value(ox_plan *p, int *id)
{
    anchor_status st = anc_plan_grow((void **)&p->v, &p->capv, p->nv + 1, sizeof *p->v, p->err);
    if (st)
        return st;
    pval *v = &p->v[p->nv];
    memset(v, 0, sizeof *v);
    v->alias = v->plain = v->alt = -1;
    v->first = LIFE_FOREVER;
    v->last = -1;
    *id = p->nv++;
    return ANCHOR_OK;
}

anchor_status anc_plan_set_rt(ox_plan *p, int id, const ox_shape *shape, const dnnl_memory_desc_t *md,
                              const char *ctx)
{
    int64_t count = 1;
    for (int i = 0; i < shape->ndims; i++) {
        if (shape->d[i] < 1 || shape->d[i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: cannot resolve a shape (dimension %d is %lld)",
                                    ctx, i, (long long)shape->d[i]);
        count *= shape->d[i];
        if (count > OX_MAX_TENSOR_ELEMS)
            return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: a tensor of more than %lld elements", ctx,
                                    (long long)OX_MAX_TENSOR_ELEMS);
    }
    pval *v = &p->v[id];
    v->kind = PV_RT;
    v->shape = *shape;
    v->md = md ? *md : anc_plan_plain_md(shape);
    return ANCHOR_OK;
}

anchor_status anc_plan_new_rt(ox_plan *p, int *id, const ox_shape *shape, const dnnl_memory_desc_t *md,
                              const char *ctx)
{
    anchor_status st = anc_plan_new_value(p, id);
    return st ? st : anc_plan_set_rt(p, *id, shape, md, ctx);
}

void anc_plan_set_const(ox_plan *p, int id, ox_tensor *t)
{
    pval *v = &p->v[id];
    if (v->c_owned)
        anc_ox_tensor_free(v->c);
    v->kind = PV_CONST;
    v->c = t;
    v->c_owned = 1;
    v->shape = t->shape;
}

anchor_status anc_plan_add_step(ox_plan *p, pstep **out)
{
    anchor_status st = anc_plan_grow((void **)&p->s, &p->caps, p->ns + 1, sizeof *p->s, p->err);
    if (st)
        return st;
    pstep *s = &p->s[p->ns++];
    memset(s, 0, sizeof *s);
    s->in[0] = s->in[1] = s->in[2] = s->out = -1;
    *out = s;
    return ANCHOR_OK;
}


/* A primitive from a descriptor; the step takes ownership of the primitive. */
anchor_status anc_plan_prim_step(ox_plan *p, dnnl_primitive_desc_t pd, pstep **out, const char *ctx)
{
    pstep *s;
    anchor_status st = anc_plan_add_step(p, &s);
    if (st) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    dnnl_status_t d = dnnl_primitive_create(&s->prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (d != dnnl_success)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN cannot create a primitive (status %d)",
                                ctx, (int)d);
    *out = s;
    return ANCHOR_OK;
}

/* Constants in oneDNN's layouts (reordered weights, folded BatchNormalization) are the
 * same in every plan that picks the same layout for the same node, whatever its batch
 * size: the model keeps them, keyed by node, rank among the node's constant arguments,
 * argument and memory descriptor, so a plan for a new batch size reuses them instead of
 * reordering (and first touching) them again. */
struct ox_weights {
    int node, seq, kind;
    dnnl_memory_desc_t md;
    void *buf;
};

void anc_ox_weights_free(anchor_model *m)
{
    for (int i = 0; i < m->n_weights; i++)
        free(m->weights[i].buf);
    free(m->weights);
    m->weights = NULL;
    m->n_weights = m->cap_weights = 0;
}

static void *weights_find(const anchor_model *m, int node, int seq, int kind, const dnnl_memory_desc_t *md)
{
    for (int i = 0; i < m->n_weights; i++)
        if (m->weights[i].node == node && m->weights[i].seq == seq && m->weights[i].kind == kind &&
            dnnl_memory_desc_equal(&m->weights[i].md, md))
            return m->weights[i].buf;
    return NULL;
}

/* Constant data (row-major `src_md`) in `dst_md`, from the model's cache or converted now
 * and added to it. */
anchor_status anc_plan_const_arg(ox_plan *p, pstep *s, int kind, const float *data, const dnnl_memory_desc_t *src_md,
                                 const dnnl_memory_desc_t *dst_md, const char *ctx)
{
    anchor_model *m = p->m;
    int k = s->nconst;
    int seq = p->node_consts++;
    void *cached = weights_find(m, p->node, seq, kind, dst_md);
    if (cached) {
        DN(dnnl_memory_create(&s->cmem[k], dst_md, p->eng, cached), "a weights memory");
        s->cargk[k] = kind;
        s->cbuf[k] = cached;
        s->nconst++;
        return ANCHOR_OK;
    }
    size_t size = dnnl_memory_desc_get_size(dst_md);
    anchor_status st = anc_ox_budget_charge(&p->budget, (int64_t)size, p->err);
    if (st)
        return anchor_error_prefix(p->err, "%s", ctx);
    if ((st = anc_plan_grow((void **)&m->weights, &m->cap_weights, m->n_weights + 1, sizeof *m->weights, p->err)))
        return st;
    void *buf = aligned_alloc(64, (size + 63) / 64 * 64 + 64);
    if (!buf)
        return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory for weights", ctx);
    memset(buf, 0, size);
    dnnl_memory_t dst;
    if (dnnl_memory_create(&dst, dst_md, p->eng, buf) != dnnl_success) {
        free(buf);
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN refused a weights memory", ctx);
    }
    dnnl_status_t d = dnnl_success;
    if (dnnl_memory_desc_equal(src_md, dst_md)) {
        memcpy(buf, data, size);
    } else {
        dnnl_memory_t src;
        d = dnnl_memory_create(&src, src_md, p->eng, (void *)data);
        dnnl_primitive_desc_t pd;
        dnnl_primitive_t r;
        if (d == dnnl_success) {
            d = dnnl_reorder_primitive_desc_create(&pd, src_md, p->eng, dst_md, p->eng, NULL);
            if (d == dnnl_success) {
                d = dnnl_primitive_create(&r, pd);
                dnnl_primitive_desc_destroy(pd);
            }
            if (d == dnnl_success) {
                dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
                d = dnnl_primitive_execute(r, p->stream, 2, a);
                dnnl_stream_wait(p->stream);
                dnnl_primitive_destroy(r);
            }
            dnnl_memory_destroy(src);
        }
    }
    if (d != dnnl_success) {
        dnnl_memory_destroy(dst);
        free(buf);
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN cannot reorder weights (status %d)", ctx,
                                (int)d);
    }
    m->weights[m->n_weights++] =
        (struct ox_weights){.node = p->node, .seq = seq, .kind = kind, .md = *dst_md, .buf = buf};
    s->cmem[k] = dst;
    s->cargk[k] = kind;
    s->cbuf[k] = buf;
    s->nconst++;
    return ANCHOR_OK;
}

/* A constant used as a runtime tensor: copied to float32 storage of its own. */
anchor_status anc_plan_materialize(ox_plan *p, int id, int *out, const char *ctx)
{
    pval *v = &p->v[id];
    if (v->kind == PV_RT) {
        *out = id;
        return ANCHOR_OK;
    }
    ox_shape sh = v->c->shape;
    if (sh.ndims == 0) {
        sh.ndims = 1;
        sh.d[0] = 1;
    }
    int nid;
    anchor_status st = anc_plan_new_rt(p, &nid, &sh, NULL, ctx);
    if (st)
        return st;
    v = &p->v[id];
    if ((st = anc_ox_budget_charge(&p->budget, v->c->count * 4, p->err)))
        return anchor_error_prefix(p->err, "%s", ctx);
    float *buf = aligned_alloc(64, ((size_t)v->c->count * 4 + 63) / 64 * 64 + 64);
    if (!buf)
        return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
    for (int64_t i = 0; i < v->c->count; i++)
        buf[i] = v->c->type == OX_F32 ? ((float *)v->c->data)[i] : (float)((int64_t *)v->c->data)[i];
    p->v[nid].ext = buf;
    p->v[nid].first = -1;
    *out = nid;
    return ANCHOR_OK;
}

anchor_status anc_plan_reorder_to(ox_plan *p, int id, const dnnl_memory_desc_t *md, int *out, const char *ctx)
{
    int nid;
    ox_shape sh = p->v[id].shape;
    anchor_status st = anc_plan_new_rt(p, &nid, &sh, md, ctx);
    if (st)
        return st;
    dnnl_primitive_desc_t pd;
    DN(dnnl_reorder_primitive_desc_create(&pd, &p->v[id].md, p->eng, md, p->eng, NULL), "a reorder");
    pstep *s;
    if ((st = anc_plan_prim_step(p, pd, &s, ctx)))
        return st;
    step_arg(s, DNNL_ARG_FROM, id);
    step_arg(s, DNNL_ARG_TO, nid);
    *out = nid;
    return ANCHOR_OK;
}

/* The value in the given layout, reordering (once) if needed. */
anchor_status anc_plan_in_layout(ox_plan *p, int id, const dnnl_memory_desc_t *md, int *out, const char *ctx)
{
    anchor_status st = anc_plan_materialize(p, id, &id, ctx);
    if (st)
        return st;
    if (dnnl_memory_desc_equal(&p->v[id].md, md)) {
        *out = id;
        return ANCHOR_OK;
    }
    int alt = p->v[id].alt;
    if (alt >= 0 && dnnl_memory_desc_equal(&p->v[alt].md, md)) {
        *out = alt;
        return ANCHOR_OK;
    }
    if ((st = anc_plan_reorder_to(p, id, md, out, ctx)))
        return st;
    p->v[id].alt = *out;
    return ANCHOR_OK;
}

anchor_status anc_plan_plain(ox_plan *p, int id, int *out, const char *ctx)
{
    anchor_status st = anc_plan_materialize(p, id, &id, ctx);
    if (st)
        return st;
    dnnl_memory_desc_t md = anc_plan_plain_md(&p->v[id].shape);
    if (dnnl_memory_desc_equal(&p->v[id].md, &md)) {
        *out = id;
        return ANCHOR_OK;
    }
    if (p->v[id].plain >= 0) {
        *out = p->v[id].plain;
        return ANCHOR_OK;
    }
    if ((st = anc_plan_reorder_to(p, id, &md, out, ctx)))
        return st;
    p->v[id].plain = *out;
    return ANCHOR_OK;
}

/* `dst` becomes a row-major view of `src` with another shape (same element count). */
anchor_status anc_plan_view(ox_plan *p, int src, int dst, const ox_shape *shape, const char *ctx)
{
    int ps;
    anchor_status st = anc_plan_plain(p, src, &ps, ctx);
    if (st)
        return st;
    if (anc_ox_shape_count(shape) != anc_ox_shape_count(&p->v[ps].shape))
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: cannot reshape %lld elements to %lld", ctx,
                                (long long)anc_ox_shape_count(&p->v[ps].shape), (long long)anc_ox_shape_count(shape));
    if ((st = anc_plan_set_rt(p, dst, shape, NULL, ctx)))
        return st;
    p->v[dst].alias = ps;
    return ANCHOR_OK;
}

/* ---- attributes ---------------------------------------------------------------------- */
int anc_plan_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = anc_ox_attr(n, name);
    if (!a)
        return -1;
    int k = (int)a->n_ints < max ? (int)a->n_ints : max;
    for (int i = 0; i < k; i++)
        out[i] = a->ints[i];
    return (int)a->n_ints;
}

const char *anc_plan_attr_str(const Onnx__NodeProto *n, const char *name, char *buf, size_t size, const char *dflt)
{
    const Onnx__AttributeProto *a = anc_ox_attr(n, name);
    if (!a || !a->has_s) {
        snprintf(buf, size, "%s", dflt);
        return buf;
    }
    size_t k = a->s.len < size - 1 ? a->s.len : size - 1;
    memcpy(buf, a->s.data, k);
    buf[k] = 0;
    return buf;
}

/* An optional constant input as int64 values (shapes, axes, pads). Returns count or -1. */
int anc_plan_const_ints(ox_plan *p, int id, int64_t *out, int max)
{
    if (id < 0 || p->v[id].kind != PV_CONST)
        return -1;
    const ox_tensor *t = p->v[id].c;
    if (t->count > max)
        return -1;
    for (int64_t i = 0; i < t->count; i++)
        out[i] = t->type == OX_I64 ? ((int64_t *)t->data)[i] : ox_sat_i64(((float *)t->data)[i]);
    return (int)t->count;
}

int anc_plan_const_float(ox_plan *p, int id, float *out)
{
    if (id < 0 || p->v[id].kind != PV_CONST || p->v[id].c->count != 1)
        return 0;
    const ox_tensor *t = p->v[id].c;
    *out = t->type == OX_F32 ? ((float *)t->data)[0] : (float)((int64_t *)t->data)[0]; /* int64 -> float is defined */
    return 1;
}

/* The only node reading value `id` after node `after`, or -1 (several readers, or a
 * graph output, which must stay observable). */
int anc_plan_sole_consumer(ox_plan *p, int id, int after)
{
    if (id < 0 || id >= p->g->n_values || p->g->consumers[id] != 1 || id == p->g->output)
        return -1;
    for (int j = after + 1; j < p->g->n_nodes; j++) {
        const Onnx__NodeProto *n = p->g->g->node[j];
        for (size_t k = 0; k < n->n_input; k++)
            if (p->g->node_in[j][k] == id)
                return p->done[j] ? -1 : j;
    }
    return -1;
}

anchor_status anc_plan_c_step(ox_plan *p, step_fn fn, int in0, int in1, int out, pstep **res)
{
    pstep *s;
    anchor_status st = anc_plan_add_step(p, &s);
    if (st)
        return st;
    s->fn = fn;
    s->in[0] = in0;
    s->in[1] = in1;
    s->out = out;
    *res = s;
    return ANCHOR_OK;
}

/* ---- constant folding ---------------------------------------------------------------- */
anchor_status anc_plan_broadcast_shape(const ox_shape *a, const ox_shape *b, ox_shape *out, const char *ctx,
                                       anchor_error *err)
{
    int nd = a->ndims > b->ndims ? a->ndims : b->ndims;
    out->ndims = nd;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndims), ib = i - (nd - b->ndims);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: shapes do not broadcast (dimension %d: %lld vs %lld)",
                                    ctx, i, (long long)da, (long long)db);
        out->d[i] = da == 1 ? db : da;
    }
    return ANCHOR_OK;
}

/* Strides of `s` seen through the broadcast shape `out` (0 along broadcast dimensions). */
void anc_plan_broadcast_strides(const ox_shape *s, const ox_shape *out, int64_t *strides)
{
    int64_t st = 1;
    for (int i = out->ndims - 1; i >= 0; i--) {
        int is = i - (out->ndims - s->ndims);
        int64_t d = is >= 0 ? s->d[is] : 1;
        strides[i] = d == 1 ? 0 : st;
        st *= d;
    }
}

/* Kernel, stride, dilation and padding attributes in a sane range before any arithmetic
 * on them (a hostile file could make the shape computations overflow). */
anchor_status anc_plan_check_window(ox_plan *p, const char *ctx, int nsp, const int64_t *k, const int64_t *s,
                                    const int64_t *d, const int64_t *pads)
{
    for (int i = 0; i < nsp; i++)
        if (k[i] < 0 || k[i] > OX_MAX_DIM_VALUE || s[i] < 1 || s[i] > OX_MAX_DIM_VALUE || d[i] < 1 ||
            d[i] > OX_MAX_DIM_VALUE || pads[i] < 0 || pads[i] > OX_MAX_DIM_VALUE || pads[nsp + i] < 0 ||
            pads[nsp + i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: kernel, stride, dilation or padding out of range",
                                    ctx);
    return ANCHOR_OK;
}

anchor_status anc_plan_check_output(ox_plan *p, const ox_shape *ys, const char *ctx)
{
    int64_t n = anc_ox_shape_elems(ys);
    if (n < 0 || n > (p->budget.limit - p->budget.used) / (int64_t)sizeof(float))
        return anchor_error_set(p->err, ANCHOR_ERR_LIMIT, "%s: an output of that shape would pass the model's memory limit of %lld MiB",
                                ctx, (long long)(p->budget.limit >> 20));
    return ANCHOR_OK;
}

anchor_status anc_plan_fold_reshaped(ox_plan *p, int src, int out, const ox_shape *sh)
{
    ox_tensor *t;
    const ox_tensor *s = p->v[src].c;
    anchor_status st = anc_ox_tensor_new(&t, s->type, sh, &p->budget, p->err);
    if (st)
        return st;
    if (t->count != s->count) {
        int64_t want = t->count;
        anc_ox_tensor_free(t);
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "cannot reshape %lld elements to %lld",
                                (long long)s->count, (long long)want);
    }
    memcpy(t->data, s->data, (size_t)s->count * (s->type == OX_F32 ? 4 : 8));
    anc_plan_set_const(p, out, t);
    return ANCHOR_OK;
}
