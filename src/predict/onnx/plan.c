/* Planning and running an ONNX graph for one batch size on oneDNN.
 *
 * The graph is walked once in its (topological) node order. Each value is either a
 * constant (initializers, and everything computed from constants and shapes alone: Shape,
 * Gather, ConstantOfShape, Cast, Unsqueeze, Concat of shapes... are folded here, which is
 * why a plan is built per batch size: the batch enters the folded shapes) or a runtime
 * tensor with a oneDNN memory descriptor. Heavy operators become oneDNN primitives with
 * format_tag_any, so oneDNN picks its blocked layouts (e.g. nChw16c) and consecutive
 * Conv/Pool/Concat stay in them; reorders are inserted only where a layout-sensitive
 * operator (Reshape, Softmax, Gemm...) needs the plain row-major order. A Conv absorbs the
 * BatchNormalization after it (weights and bias rescaled), then activations (eltwise
 * post-ops) and a residual Add (sum post-op, writing into the other addend's buffer when
 * nothing else reads it). Small operators without a good oneDNN match (Softmax, Pad,
 * broadcasting corner cases) are plain C loops on row-major data.
 *
 * Memory: after the walk, each runtime value's lifetime (first and last step touching
 * it) is known; values are packed into a few blocks, a block being reused as soon as
 * its previous tenant is dead (best fit, grown when needed). Views (Reshape, Flatten,
 * Identity, ...) share their source's block. Then memories and primitive arguments are
 * bound once, so running the plan is just executing the steps in order. */
#include <dnnl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "predict/onnx/onnx_internal.h"

enum { PV_NONE = 0, PV_CONST, PV_RT };
#define STEP_ARGS 8
#define LIFE_FOREVER 0x3fffffff

typedef struct pval {
    int kind;
    ox_tensor *c;
    int c_owned;
    ox_shape shape;
    dnnl_memory_desc_t md;
    int alias; /* shares the storage of this value, or -1 */
    int first, last, block;
    float *ext; /* own storage (materialised constants) */
    dnnl_memory_t mem;
    float *ptr;
    int plain, alt; /* cached plain-layout copy and last other-layout copy, or -1 */
} pval;

typedef struct pstep pstep;
typedef void (*step_fn)(ox_plan *p, const pstep *s);
struct pstep {
    dnnl_primitive_t prim;
    int nargs;
    int argk[STEP_ARGS], argv[STEP_ARGS];
    int nconst;
    int cargk[4];
    dnnl_memory_t cmem[4];
    void *cbuf[4];
    dnnl_exec_arg_t exec[STEP_ARGS + 4];
    step_fn fn;
    int in[3], out;
    int64_t ip[40];
    float fp[4];
};

struct ox_plan {
    anchor_model *m;
    const ox_graph *g;
    int64_t batch;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    pval *v;
    int nv, capv;
    pstep *s;
    int ns, caps;
    char *done;
    float **blocks;
    size_t *block_size;
    int nblocks;
    int input_v, output_v;
    double flops;
    int64_t out_per_image;
    anchor_error *err;
};

/* ---- small helpers -------------------------------------------------------------------- */
#define DN(call, what)                                                                                        \
    do {                                                                                                      \
        dnnl_status_t dn_ = (call);                                                                           \
        if (dn_ != dnnl_success)                                                                              \
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN refused %s (status %d)", ctx, \
                                    what, (int)dn_);                                                          \
    } while (0)

static int shape_eq(const ox_shape *a, const ox_shape *b)
{
    if (a->ndims != b->ndims)
        return 0;
    for (int i = 0; i < a->ndims; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

static dnnl_memory_desc_t plain_md(const ox_shape *s)
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

static anchor_status grow(void **arr, int *cap, int need, size_t esize, anchor_error *err)
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

static anchor_status new_value(ox_plan *p, int *id)
{
    anchor_status st = grow((void **)&p->v, &p->capv, p->nv + 1, sizeof *p->v, p->err);
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

static anchor_status set_rt(ox_plan *p, int id, const ox_shape *shape, const dnnl_memory_desc_t *md,
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
    v->md = md ? *md : plain_md(shape);
    return ANCHOR_OK;
}

static anchor_status new_rt(ox_plan *p, int *id, const ox_shape *shape, const dnnl_memory_desc_t *md,
                            const char *ctx)
{
    anchor_status st = new_value(p, id);
    return st ? st : set_rt(p, *id, shape, md, ctx);
}

static void set_const(ox_plan *p, int id, ox_tensor *t)
{
    pval *v = &p->v[id];
    if (v->c_owned)
        ox_tensor_free(v->c);
    v->kind = PV_CONST;
    v->c = t;
    v->c_owned = 1;
    v->shape = t->shape;
}

static anchor_status add_step(ox_plan *p, pstep **out)
{
    anchor_status st = grow((void **)&p->s, &p->caps, p->ns + 1, sizeof *p->s, p->err);
    if (st)
        return st;
    pstep *s = &p->s[p->ns++];
    memset(s, 0, sizeof *s);
    s->in[0] = s->in[1] = s->in[2] = s->out = -1;
    *out = s;
    return ANCHOR_OK;
}

static void step_arg(pstep *s, int kind, int value)
{
    s->argk[s->nargs] = kind;
    s->argv[s->nargs++] = value;
}

/* A primitive from a descriptor; the step takes ownership of the primitive. */
static anchor_status prim_step(ox_plan *p, dnnl_primitive_desc_t pd, pstep **out, const char *ctx)
{
    pstep *s;
    anchor_status st = add_step(p, &s);
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

/* Constant data (row-major `src_md`) converted to `dst_md` now, owned by the step. */
static anchor_status const_arg(ox_plan *p, pstep *s, int kind, const float *data, const dnnl_memory_desc_t *src_md,
                               const dnnl_memory_desc_t *dst_md, const char *ctx)
{
    size_t size = dnnl_memory_desc_get_size(dst_md);
    void *buf = aligned_alloc(64, (size + 63) / 64 * 64 + 64);
    if (!buf)
        return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory for weights", ctx);
    memset(buf, 0, size);
    int k = s->nconst++;
    s->cargk[k] = kind;
    s->cbuf[k] = buf;
    DN(dnnl_memory_create(&s->cmem[k], dst_md, p->eng, buf), "a weights memory");
    if (dnnl_memory_desc_equal(src_md, dst_md)) {
        memcpy(buf, data, size);
        return ANCHOR_OK;
    }
    dnnl_memory_t src;
    DN(dnnl_memory_create(&src, src_md, p->eng, (void *)data), "a weights memory");
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t r;
    dnnl_status_t d = dnnl_reorder_primitive_desc_create(&pd, src_md, p->eng, dst_md, p->eng, NULL);
    if (d == dnnl_success) {
        d = dnnl_primitive_create(&r, pd);
        dnnl_primitive_desc_destroy(pd);
    }
    if (d == dnnl_success) {
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, s->cmem[k]}};
        d = dnnl_primitive_execute(r, p->stream, 2, a);
        dnnl_stream_wait(p->stream);
        dnnl_primitive_destroy(r);
    }
    dnnl_memory_destroy(src);
    if (d != dnnl_success)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN cannot reorder weights (status %d)", ctx,
                                (int)d);
    return ANCHOR_OK;
}

/* A constant used as a runtime tensor: copied to float32 storage of its own. */
static anchor_status materialize(ox_plan *p, int id, int *out, const char *ctx)
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
    anchor_status st = new_rt(p, &nid, &sh, NULL, ctx);
    if (st)
        return st;
    v = &p->v[id];
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

static anchor_status reorder_to(ox_plan *p, int id, const dnnl_memory_desc_t *md, int *out, const char *ctx)
{
    int nid;
    ox_shape sh = p->v[id].shape;
    anchor_status st = new_rt(p, &nid, &sh, md, ctx);
    if (st)
        return st;
    dnnl_primitive_desc_t pd;
    DN(dnnl_reorder_primitive_desc_create(&pd, &p->v[id].md, p->eng, md, p->eng, NULL), "a reorder");
    pstep *s;
    if ((st = prim_step(p, pd, &s, ctx)))
        return st;
    step_arg(s, DNNL_ARG_FROM, id);
    step_arg(s, DNNL_ARG_TO, nid);
    *out = nid;
    return ANCHOR_OK;
}

/* The value in the given layout, reordering (once) if needed. */
static anchor_status in_layout(ox_plan *p, int id, const dnnl_memory_desc_t *md, int *out, const char *ctx)
{
    anchor_status st = materialize(p, id, &id, ctx);
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
    if ((st = reorder_to(p, id, md, out, ctx)))
        return st;
    p->v[id].alt = *out;
    return ANCHOR_OK;
}

static anchor_status plain(ox_plan *p, int id, int *out, const char *ctx)
{
    anchor_status st = materialize(p, id, &id, ctx);
    if (st)
        return st;
    dnnl_memory_desc_t md = plain_md(&p->v[id].shape);
    if (dnnl_memory_desc_equal(&p->v[id].md, &md)) {
        *out = id;
        return ANCHOR_OK;
    }
    if (p->v[id].plain >= 0) {
        *out = p->v[id].plain;
        return ANCHOR_OK;
    }
    if ((st = reorder_to(p, id, &md, out, ctx)))
        return st;
    p->v[id].plain = *out;
    return ANCHOR_OK;
}

/* `dst` becomes a row-major view of `src` with another shape (same element count). */
static anchor_status view(ox_plan *p, int src, int dst, const ox_shape *shape, const char *ctx)
{
    int ps;
    anchor_status st = plain(p, src, &ps, ctx);
    if (st)
        return st;
    if (ox_shape_count(shape) != ox_shape_count(&p->v[ps].shape))
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: cannot reshape %lld elements to %lld", ctx,
                                (long long)ox_shape_count(&p->v[ps].shape), (long long)ox_shape_count(shape));
    if ((st = set_rt(p, dst, shape, NULL, ctx)))
        return st;
    p->v[dst].alias = ps;
    return ANCHOR_OK;
}

static int64_t norm_axis(int64_t axis, int ndims) { return axis < 0 ? axis + ndims : axis; }

/* ---- attributes ---------------------------------------------------------------------- */
static int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a)
        return -1;
    int k = (int)a->n_ints < max ? (int)a->n_ints : max;
    for (int i = 0; i < k; i++)
        out[i] = a->ints[i];
    return (int)a->n_ints;
}

static const char *attr_str(const Onnx__NodeProto *n, const char *name, char *buf, size_t size, const char *dflt)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
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
static int const_ints(ox_plan *p, int id, int64_t *out, int max)
{
    if (id < 0 || p->v[id].kind != PV_CONST)
        return -1;
    const ox_tensor *t = p->v[id].c;
    if (t->count > max)
        return -1;
    for (int64_t i = 0; i < t->count; i++)
        out[i] = t->type == OX_I64 ? ((int64_t *)t->data)[i] : (int64_t)((float *)t->data)[i];
    return (int)t->count;
}

static int const_float(ox_plan *p, int id, float *out)
{
    if (id < 0 || p->v[id].kind != PV_CONST || p->v[id].c->count != 1)
        return 0;
    const ox_tensor *t = p->v[id].c;
    *out = t->type == OX_F32 ? ((float *)t->data)[0] : (float)((int64_t *)t->data)[0];
    return 1;
}

/* ---- activations ----------------------------------------------------------------------- */
typedef struct eltwise_op {
    int n;
    dnnl_alg_kind_t alg[2];
    float alpha[2], beta[2];
} eltwise_op;

/* The node as one or two oneDNN eltwise operations, or 0 when it is not an activation
 * (or has runtime parameters). */
static int as_eltwise(ox_plan *p, int node, eltwise_op *e)
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
        e->alpha[0] = ox_attr_float(n, "alpha", 0.01f);
    } else if (!strcmp(op, "Sigmoid")) {
        e->alg[0] = dnnl_eltwise_logistic;
    } else if (!strcmp(op, "Tanh")) {
        e->alg[0] = dnnl_eltwise_tanh;
    } else if (!strcmp(op, "Abs")) {
        e->alg[0] = dnnl_eltwise_abs;
    } else if (!strcmp(op, "HardSwish")) {
        e->alg[0] = dnnl_eltwise_hardswish;
    } else if (!strcmp(op, "HardSigmoid")) {
        e->n = 2;
        e->alg[0] = dnnl_eltwise_linear;
        e->alpha[0] = ox_attr_float(n, "alpha", 0.2f);
        e->beta[0] = ox_attr_float(n, "beta", 0.5f);
        e->alg[1] = dnnl_eltwise_clip;
        e->alpha[1] = 0;
        e->beta[1] = 1;
    } else if (!strcmp(op, "Clip")) {
        float lo = -FLT_MAX, hi = FLT_MAX;
        if (p->g->opset < 11) {
            lo = ox_attr_float(n, "min", -FLT_MAX);
            hi = ox_attr_float(n, "max", FLT_MAX);
        } else {
            int k = (int)n->n_input;
            if (k > 1 && in[1] >= 0 && !const_float(p, in[1], &lo))
                return 0;
            if (k > 2 && in[2] >= 0 && !const_float(p, in[2], &hi))
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

/* The only node reading value `id` after node `after`, or -1 (several readers, or a
 * graph output, which must stay observable). */
static int sole_consumer(ox_plan *p, int id, int after)
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

/* ---- C kernels on row-major data ------------------------------------------------------- */
static void k_softmax(ox_plan *p, const pstep *s)
{
    const float *x = p->v[s->in[0]].ptr;
    float *y = p->v[s->out].ptr;
    int64_t outer = s->ip[0], n = s->ip[1], inner = s->ip[2];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xs = x + o * n * inner + i;
            float *ys = y + o * n * inner + i;
            float mx = -INFINITY;
            for (int64_t k = 0; k < n; k++)
                mx = xs[k * inner] > mx ? xs[k * inner] : mx;
            double sum = 0;
            for (int64_t k = 0; k < n; k++) {
                ys[k * inner] = expf(xs[k * inner] - mx);
                sum += ys[k * inner];
            }
            float inv = (float)(1.0 / sum);
            for (int64_t k = 0; k < n; k++)
                ys[k * inner] *= inv;
        }
}

/* ip: [0]=ndims, [1..8]=out dims, [9..16]=a strides (0 = broadcast), [17..24]=b strides, [25]=op */
static float bin_apply(int op, float a, float b)
{
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    default: return a / b;
    }
}

static void k_binary(ox_plan *p, const pstep *s)
{
    const float *a = p->v[s->in[0]].ptr, *b = p->v[s->in[1]].ptr;
    float *y = p->v[s->out].ptr;
    int nd = (int)s->ip[0], op = (int)s->ip[25];
    int64_t idx[OX_MAX_DIMS] = {0}, total = 1;
    for (int i = 0; i < nd; i++)
        total *= s->ip[1 + i];
    int64_t oa = 0, ob = 0;
    for (int64_t e = 0; e < total; e++) {
        y[e] = bin_apply(op, a[oa], b[ob]);
        for (int i = nd - 1; i >= 0; i--) { /* odometer over the output index */
            idx[i]++;
            oa += s->ip[9 + i];
            ob += s->ip[17 + i];
            if (idx[i] < s->ip[1 + i])
                break;
            oa -= s->ip[9 + i] * idx[i];
            ob -= s->ip[17 + i] * idx[i];
            idx[i] = 0;
        }
    }
}

/* ip: [0]=ndims, [1..8]=in dims, [9..16]=out dims, [17..24]=pad begin, [25]=mode (0 const, 1 reflect, 2 edge) */
static void k_pad(ox_plan *p, const pstep *s)
{
    const float *x = p->v[s->in[0]].ptr;
    float *y = p->v[s->out].ptr;
    int nd = (int)s->ip[0], mode = (int)s->ip[25];
    int64_t idx[OX_MAX_DIMS] = {0}, total = 1, istr[OX_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        total *= s->ip[9 + i];
    int64_t st = 1;
    for (int i = nd - 1; i >= 0; i--) {
        istr[i] = st;
        st *= s->ip[1 + i];
    }
    for (int64_t e = 0; e < total; e++) {
        int64_t off = 0;
        int inside = 1;
        for (int i = 0; i < nd; i++) {
            int64_t c = idx[i] - s->ip[17 + i], n = s->ip[1 + i];
            if (c < 0 || c >= n) {
                if (mode == 0) {
                    inside = 0;
                    break;
                } else if (mode == 2) {
                    c = c < 0 ? 0 : n - 1;
                } else if (n == 1) {
                    c = 0;
                } else {
                    int64_t period = 2 * (n - 1);
                    c = ((c % period) + period) % period;
                    if (c >= n)
                        c = period - c;
                }
            }
            off += c * istr[i];
        }
        y[e] = inside ? x[off] : s->fp[0];
        for (int i = nd - 1; i >= 0; i--) {
            if (++idx[i] < s->ip[9 + i])
                break;
            idx[i] = 0;
        }
    }
}

/* Average pooling, 2-D NCHW row-major, PyTorch's divisor with ceil_mode: the window is
 * clipped to the padded extent (H + pad_end) when counting padding, and to the image
 * when not. ip: [0..3]=N C H W, [4..5]=OH OW, [6..7]=k, [8..9]=stride, [10..11]=pad begin,
 * [12..13]=pad end, [14]=count_include_pad */
static void k_avgpool(ox_plan *p, const pstep *s)
{
    const float *x = p->v[s->in[0]].ptr;
    float *y = p->v[s->out].ptr;
    const int64_t *q = s->ip;
    int64_t NC = q[0] * q[1], H = q[2], W = q[3], OH = q[4], OW = q[5];
    for (int64_t c = 0; c < NC; c++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t h0 = oh * q[8] - q[10], w0 = ow * q[9] - q[11];
                int64_t h1 = h0 + q[6] < H + q[12] ? h0 + q[6] : H + q[12];
                int64_t w1 = w0 + q[7] < W + q[13] ? w0 + q[7] : W + q[13];
                int64_t div = (h1 - h0) * (w1 - w0);
                int64_t ha = h0 < 0 ? 0 : h0, wa = w0 < 0 ? 0 : w0, hb = h1 < H ? h1 : H, wb = w1 < W ? w1 : W;
                double sum = 0;
                for (int64_t h = ha; h < hb; h++)
                    for (int64_t w = wa; w < wb; w++)
                        sum += x[(c * H + h) * W + w];
                if (!q[14])
                    div = (hb - ha) * (wb - wa);
                y[(c * OH + oh) * OW + ow] = div > 0 ? (float)(sum / div) : 0.f;
            }
}

static anchor_status c_step(ox_plan *p, step_fn fn, int in0, int in1, int out, pstep **res)
{
    pstep *s;
    anchor_status st = add_step(p, &s);
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
static anchor_status broadcast_shape(const ox_shape *a, const ox_shape *b, ox_shape *out, const char *ctx,
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
static void broadcast_strides(const ox_shape *s, const ox_shape *out, int64_t *strides)
{
    int64_t st = 1;
    for (int i = out->ndims - 1; i >= 0; i--) {
        int is = i - (out->ndims - s->ndims);
        int64_t d = is >= 0 ? s->d[is] : 1;
        strides[i] = d == 1 ? 0 : st;
        st *= d;
    }
}

static double tget(const ox_tensor *t, int64_t i)
{
    return t->type == OX_F32 ? ((float *)t->data)[i] : (double)((int64_t *)t->data)[i];
}

static void tset(ox_tensor *t, int64_t i, double v)
{
    if (t->type == OX_F32)
        ((float *)t->data)[i] = (float)v;
    else /* out-of-range conversions are undefined in C: saturate */
        ((int64_t *)t->data)[i] = v != v ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
}

/* Kernel, stride, dilation and padding attributes in a sane range before any arithmetic
 * on them (a hostile file could make the shape computations overflow). */
static anchor_status check_window(ox_plan *p, const char *ctx, int nsp, const int64_t *k, const int64_t *s,
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

static anchor_status fold_binary(ox_plan *p, int op, int a, int b, int out, const char *ctx)
{
    const ox_tensor *ta = p->v[a].c, *tb = p->v[b].c;
    ox_shape sh;
    anchor_status st = broadcast_shape(&ta->shape, &tb->shape, &sh, ctx, p->err);
    if (st)
        return st;
    ox_tensor *t;
    if ((st = ox_tensor_new(&t, ta->type == OX_I64 && tb->type == OX_I64 ? OX_I64 : OX_F32, &sh, p->err)))
        return st;
    int64_t sa[OX_MAX_DIMS], sb[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    broadcast_strides(&ta->shape, &sh, sa);
    broadcast_strides(&tb->shape, &sh, sb);
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
    set_const(p, out, t);
    return ANCHOR_OK;
}

static anchor_status fold_reshaped(ox_plan *p, int src, int out, const ox_shape *sh)
{
    ox_tensor *t;
    const ox_tensor *s = p->v[src].c;
    anchor_status st = ox_tensor_new(&t, s->type, sh, p->err);
    if (st)
        return st;
    if (t->count != s->count) {
        ox_tensor_free(t);
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "cannot reshape %lld elements to %lld",
                                (long long)s->count, (long long)t->count);
    }
    memcpy(t->data, s->data, (size_t)s->count * (s->type == OX_F32 ? 4 : 8));
    set_const(p, out, t);
    return ANCHOR_OK;
}

/* ---- operator planners ---------------------------------------------------------------- */
typedef struct nctx {
    int node;
    const Onnx__NodeProto *n;
    const int *in, *out;
    int nin, nout;
    char ctx[300];
} nctx;

static int IN(const nctx *c, int k) { return k < c->nin ? c->in[k] : -1; }

static anchor_status plan_conv(ox_plan *p, const nctx *c)
{
    anchor_status st;
    const char *ctx = c->ctx;
    int x = IN(c, 0), w = IN(c, 1), b = IN(c, 2);
    if ((st = materialize(p, x, &x, ctx)))
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
    int64_t group = ox_attr_int(c->n, "group", 1), M = ws.d[0], C = xs.d[1];
    if (group < 1 || C != ws.d[1] * group || M % group)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: %lld input channels do not fit weights %lldx%lld in %lld groups",
                                ctx, (long long)C, (long long)M, (long long)ws.d[1], (long long)group);
    int64_t k[3], s[3], d[3], pads[6] = {0}, pl[3], pr[3];
    ox_shape ys = xs;
    ys.d[1] = M;
    for (int i = 0; i < nsp; i++) {
        k[i] = ws.d[2 + i];
        s[i] = d[i] = 1;
    }
    attr_ints(c->n, "strides", s, 3);
    attr_ints(c->n, "dilations", d, 3);
    attr_ints(c->n, "pads", pads, 6);
    char ap[32];
    attr_str(c->n, "auto_pad", ap, sizeof ap, "NOTSET");
    anchor_status wst = check_window(p, ctx, nsp, k, s, d, pads);
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
    int j = sole_consumer(p, y, c->node);
    if (j >= 0 && !strcmp(p->g->g->node[j]->op_type, "BatchNormalization") && p->g->g->node[j]->n_input >= 5) {
        const int *bi = p->g->node_in[j];
        int ok = 1;
        for (int q = 1; q < 5; q++)
            ok &= bi[q] >= 0 && p->v[bi[q]].kind == PV_CONST && p->v[bi[q]].c->type == OX_F32 &&
                  p->v[bi[q]].c->count == M;
        if (ok) {
            const float *gam = p->v[bi[1]].c->data, *bet = p->v[bi[2]].c->data, *mean = p->v[bi[3]].c->data,
                        *var = p->v[bi[4]].c->data;
            float eps = ox_attr_float(p->g->g->node[j], "epsilon", 1e-5f);
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
    int sum_other = -1;
    for (;;) {
        j = sole_consumer(p, y, c->node);
        if (j < 0)
            break;
        eltwise_op e;
        if (as_eltwise(p, j, &e)) {
            for (int q = 0; q < e.n; q++)
                dnnl_post_ops_append_eltwise(po, 1.0f, e.alg[q], e.alpha[q], e.beta[q]);
        } else if (!strcmp(p->g->g->node[j]->op_type, "Add") && sum_other < 0 && p->g->g->node[j]->n_input == 2) {
            const int *ai = p->g->node_in[j];
            int other = ai[0] == y ? ai[1] : ai[0];
            if (other < 0 || other == y || p->v[other].kind != PV_RT || !shape_eq(&p->v[other].shape, &ys))
                break;
            sum_other = other;
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
    dnnl_memory_desc_init_by_tag(&mx, nd, dx, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&mw, wnd, dw, dnnl_f32, dnnl_format_tag_any);
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
    st = in_layout(p, x, &want_x, &xin, ctx);
    pstep *stp = NULL;
    if (!st)
        st = prim_step(p, pd, &stp, ctx);
    else
        dnnl_primitive_desc_destroy(pd);
    if (!st)
        st = const_arg(p, stp, DNNL_ARG_WEIGHTS, wt, &mw_plain, &want_w, ctx);
    if (!st)
        st = const_arg(p, stp, DNNL_ARG_BIAS, bias, &mb, &mb, ctx);
    free(wt);
    free(bias);
    if (st)
        return st;
    int step_index = (int)(stp - p->s);
    if ((st = set_rt(p, y, &ys, &got_y, ctx)))
        return st;
    if (sum_other >= 0) {
        /* The sum post-op adds into the destination: it must hold the other addend. */
        int target = sum_other;
        if (!dnnl_memory_desc_equal(&p->v[sum_other].md, &got_y) || p->g->consumers[sum_other] != 1 ||
            sum_other == p->g->output || sum_other >= p->g->n_values) {
            if ((st = reorder_to(p, sum_other, &got_y, &target, ctx)))
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

static anchor_status plan_eltwise(ox_plan *p, const nctx *c)
{
    eltwise_op e;
    int x = IN(c, 0);
    anchor_status st = materialize(p, x, &x, c->ctx);
    if (st)
        return st;
    if (!as_eltwise(p, c->node, &e))
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: parameters must be constants", c->ctx);
    const char *ctx = c->ctx;
    dnnl_eltwise_desc_t ed;
    DN(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, e.alg[0], &p->v[x].md, e.alpha[0], e.beta[0]),
       "an activation");
    dnnl_primitive_attr_t attr;
    dnnl_primitive_attr_create(&attr);
    if (e.n > 1) {
        dnnl_post_ops_t po;
        dnnl_post_ops_create(&po);
        dnnl_post_ops_append_eltwise(po, 1.0f, e.alg[1], e.alpha[1], e.beta[1]);
        dnnl_primitive_attr_set_post_ops(attr, po);
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    dnnl_status_t d = dnnl_primitive_desc_create(&pd, &ed, attr, p->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    DN(d, "an activation");
    pstep *s;
    if ((st = prim_step(p, pd, &s, ctx)))
        return st;
    int y = c->out[0];
    ox_shape sh = p->v[x].shape;
    dnnl_memory_desc_t md = p->v[x].md;
    if ((st = set_rt(p, y, &sh, &md, ctx)))
        return st;
    step_arg(s, DNNL_ARG_SRC, x);
    step_arg(s, DNNL_ARG_DST, y);
    return ANCHOR_OK;
}

/* pre_pads (begin..., end... over spatial dimensions): zero padding of a Pad node folded
 * into this pool (torch exports avg_pool2d(padding=1) as Pad + AveragePool), with its
 * input x and the pool's output y; else NULL, -1, -1. */
static anchor_status plan_pool_ex(ox_plan *p, const nctx *c, int is_max, int global, const int64_t *pre_pads, int x,
                                  int y_out)
{
    const char *ctx = c->ctx;
    anchor_status st = materialize(p, x, &x, ctx);
    if (st)
        return st;
    ox_shape xs = p->v[x].shape, ys = xs;
    int nd = xs.ndims, nsp = nd - 2;
    if (nsp < 1 || nsp > 3)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: pooling needs an input of rank 3 to 5, not %d", ctx, nd);
    int64_t k[3], s[3], d[3], pads[6] = {0}, pl[3], pr[3];
    int ceil_mode = global ? 0 : (int)ox_attr_int(c->n, "ceil_mode", 0);
    int include_pad = !is_max && !global && (pre_pads || ox_attr_int(c->n, "count_include_pad", 0));
    char ap[32];
    attr_str(c->n, "auto_pad", ap, sizeof ap, "NOTSET");
    for (int i = 0; i < nsp; i++) {
        k[i] = global ? xs.d[2 + i] : 0;
        s[i] = d[i] = 1;
    }
    if (!global) {
        if (attr_ints(c->n, "kernel_shape", k, 3) != nsp)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: kernel_shape must have %d values", ctx, nsp);
        attr_ints(c->n, "strides", s, 3);
        attr_ints(c->n, "dilations", d, 3);
        attr_ints(c->n, "pads", pads, 6);
        if (pre_pads)
            for (int i = 0; i < 2 * nsp; i++)
                pads[i] = pre_pads[i];
    }
    if ((st = check_window(p, ctx, nsp, k, s, d, pads)))
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
    if (include_pad && extra_pad) {
        /* oneDNN would count the ceil_mode overhang as padding; PyTorch does not. */
        if (nsp != 2 || d[0] || d[1])
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: AveragePool with ceil_mode and count_include_pad "
                                    "is only supported in 2-D without dilation", ctx);
        int xp, y = y_out;
        if ((st = plain(p, x, &xp, ctx)) || (st = set_rt(p, y, &ys, NULL, ctx)))
            return st;
        pstep *sp;
        if ((st = c_step(p, k_avgpool, xp, -1, y, &sp)))
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
    if ((st = prim_step(p, pd, &sp, ctx)))
        return st;
    int y = y_out;
    if ((st = set_rt(p, y, &ys, &got, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, x);
    step_arg(sp, DNNL_ARG_DST, y);
    (void)dx;
    return ANCHOR_OK;
}

static anchor_status plan_pool(ox_plan *p, const nctx *c, int is_max, int global)
{
    return plan_pool_ex(p, c, is_max, global, NULL, IN(c, 0), c->out[0]);
}

static anchor_status plan_concat(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int all_const = 1;
    for (int k = 0; k < c->nin; k++)
        all_const &= p->v[c->in[k]].kind == PV_CONST;
    int nd = p->v[c->in[0]].shape.ndims;
    int64_t axis = norm_axis(ox_attr_int(c->n, "axis", 0), nd);
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
        if ((st = ox_tensor_new(&t, any_f ? OX_F32 : OX_I64, &ys, p->err)))
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
        set_const(p, c->out[0], t);
        return ANCHOR_OK;
    }
    if (c->nin > 39)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: more than 39 inputs", ctx);
    dnnl_memory_desc_t mds[64];
    int ids[64];
    for (int k = 0; k < c->nin; k++) {
        if ((st = materialize(p, c->in[k], &ids[k], ctx)))
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
    if ((st = prim_step(p, pd, &sp, ctx)))
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
    if ((st = set_rt(p, c->out[0], &ys, &got, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_DST, c->out[0]);
    return ANCHOR_OK;
}

static anchor_status plan_binary(ox_plan *p, const nctx *c, int op)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int a = IN(c, 0), b = IN(c, 1), y = c->out[0];
    if (a < 0 || b < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: needs two inputs", ctx);
    if (p->v[a].kind == PV_CONST && p->v[b].kind == PV_CONST)
        return fold_binary(p, op, a, b, y, ctx);
    ox_shape ys;
    if ((st = broadcast_shape(&p->v[a].shape, &p->v[b].shape, &ys, ctx, p->err)))
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
            if ((st = materialize(p, b, &b1, ctx)))
                return st;
        } else {
            int bp;
            if ((st = plain(p, b, &bp, ctx)) || (st = new_value(p, &b1)))
                return st;
            ox_shape bs = {.ndims = ys.ndims};
            int off = ys.ndims - p->v[bp].shape.ndims;
            for (int i = 0; i < ys.ndims; i++)
                bs.d[i] = i < off ? 1 : p->v[bp].shape.d[i - off];
            if ((st = set_rt(p, b1, &bs, NULL, ctx)))
                return st;
            p->v[b1].alias = bp;
        }
        dnnl_binary_desc_t bd;
        dnnl_memory_desc_t ma = p->v[a].md, mb = p->v[b1].md;
        DN(dnnl_binary_desc_init(&bd, algs[op], &ma, &mb, &ma), "a binary operation");
        dnnl_primitive_desc_t pd;
        DN(dnnl_primitive_desc_create(&pd, &bd, NULL, p->eng, NULL), "a binary operation");
        pstep *sp;
        if ((st = prim_step(p, pd, &sp, ctx)) || (st = set_rt(p, y, &ys, &ma, ctx)))
            return st;
        step_arg(sp, DNNL_ARG_SRC_0, a);
        step_arg(sp, DNNL_ARG_SRC_1, b1);
        step_arg(sp, DNNL_ARG_DST, y);
        return ANCHOR_OK;
    }
    int ap, bp;
    if ((st = plain(p, a, &ap, ctx)) || (st = plain(p, b, &bp, ctx)) || (st = set_rt(p, y, &ys, NULL, ctx)))
        return st;
    if (ys.ndims > OX_MAX_DIMS)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: rank too high", ctx);
    pstep *sp;
    if ((st = c_step(p, k_binary, ap, bp, y, &sp)))
        return st;
    sp->ip[0] = ys.ndims;
    for (int i = 0; i < ys.ndims; i++)
        sp->ip[1 + i] = ys.d[i];
    broadcast_strides(&p->v[ap].shape, &ys, &sp->ip[9]);
    broadcast_strides(&p->v[bp].shape, &ys, &sp->ip[17]);
    sp->ip[25] = op;
    return ANCHOR_OK;
}

/* Gemm and MatMul on oneDNN's matmul: src (M x K) row-major or transposed through strides,
 * weights in the layout oneDNN prefers when constant. */
static anchor_status plan_matmul(ox_plan *p, const nctx *c, int gemm)
{
    const char *ctx = c->ctx;
    anchor_status st;
    int a = IN(c, 0), b = IN(c, 1), cc = IN(c, 2), y = c->out[0];
    if ((st = materialize(p, a, &a, ctx)) || (st = plain(p, a, &a, ctx)))
        return st;
    ox_shape as = p->v[a].shape, bs = p->v[b].shape;
    int transA = gemm ? (int)ox_attr_int(c->n, "transA", 0) : 0, transB = gemm ? (int)ox_attr_int(c->n, "transB", 0) : 0;
    float alpha = gemm ? ox_attr_float(c->n, "alpha", 1.f) : 1.f, beta = gemm ? ox_attr_float(c->n, "beta", 1.f) : 1.f;
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
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: MatMul with a batched right operand", ctx);
        if (as.ndims < 1)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: empty operand", ctx);
        K = as.d[as.ndims - 1];
        N = bs.ndims == 2 ? bs.d[1] : 1;
        if (bs.d[0] != K)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: inner dimensions differ (%lld vs %lld)", ctx,
                                    (long long)K, (long long)bs.d[0]);
        M = ox_shape_count(&as) / K;
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
    dnnl_memory_desc_t ma, mb, mb_any, my, mbias;
    dnnl_memory_desc_init_by_strides(&ma, 2, da, dnnl_f32, sa);
    dnnl_memory_desc_init_by_strides(&mb, 2, dbb, dnnl_f32, sb);
    dnnl_memory_desc_init_by_tag(&my, 2, dyy, dnnl_f32, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&mbias, 2, d1n, dnnl_f32, dnnl_ab);
    int bconst = p->v[b].kind == PV_CONST;
    if (bconst)
        dnnl_memory_desc_init_by_tag(&mb_any, 2, dbb, dnnl_f32, dnnl_format_tag_any);
    else
        mb_any = mb;
    float *bias = NULL, *wts = NULL;
    if (cc >= 0) {
        if (p->v[cc].kind != PV_CONST)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Gemm with a runtime C", ctx);
        const ox_tensor *ct = p->v[cc].c;
        int row = ct->count == N && (ct->shape.ndims == 1 || (ct->shape.ndims == 2 && ct->shape.d[0] == 1));
        if (!row && ct->count != 1)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Gemm C must be a row of %lld values or a scalar",
                                    ctx, (long long)N);
        bias = malloc((size_t)N * sizeof *bias);
        if (!bias)
            return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
        for (int64_t i = 0; i < N; i++)
            bias[i] = beta * (float)tget(ct, row ? i : 0);
    }
    dnnl_primitive_attr_t attr;
    dnnl_primitive_attr_create(&attr);
    if (bconst) {
        int64_t cnt = p->v[b].c->count;
        wts = malloc((size_t)cnt * sizeof *wts);
        if (!wts) {
            free(bias);
            dnnl_primitive_attr_destroy(attr);
            return anchor_error_set(p->err, ANCHOR_ERR_NOMEM, "%s: out of memory", ctx);
        }
        for (int64_t i = 0; i < cnt; i++)
            wts[i] = alpha * (float)tget(p->v[b].c, i);
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
        st = anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN has no matmul for this shape (status %d)",
                              ctx, (int)d);
    else
        st = prim_step(p, pd, &sp, ctx);
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
        st = const_arg(p, sp, DNNL_ARG_WEIGHTS, wts, &mb, &want, ctx);
    }
    if (!st && bias)
        st = const_arg(p, sp, DNNL_ARG_BIAS, bias, &mbias, &mbias, ctx);
    free(bias);
    free(wts);
    if (st)
        return st;
    int step_index = (int)(sp - p->s);
    int bin = -1;
    if (!bconst) {
        int bp, b2;
        if ((st = plain(p, b, &bp, ctx)) || (st = new_value(p, &b2)))
            return st;
        ox_shape s2 = {.ndims = 2, .d = {K, N}};
        if ((st = set_rt(p, b2, &s2, &mb, ctx)))
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
    if ((st = new_value(p, &a2)) || (st = set_rt(p, a2, &s_a, &ma, ctx)))
        return st;
    p->v[a2].alias = a;
    if ((st = set_rt(p, y, &ys, NULL, ctx)) || (st = new_value(p, &y2)))
        return st;
    ox_shape s_y = {.ndims = 2, .d = {M, N}};
    if ((st = set_rt(p, y2, &s_y, &my, ctx)))
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

static anchor_status plan_softmax(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st = plain(p, x, &xp, ctx);
    if (st)
        return st;
    ox_shape xs = p->v[xp].shape;
    int64_t axis = norm_axis(ox_attr_int(c->n, "axis", p->g->opset < 13 ? 1 : -1), xs.ndims);
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
    if ((st = set_rt(p, y, &xs, NULL, ctx)))
        return st;
    pstep *sp;
    if ((st = c_step(p, k_softmax, xp, -1, y, &sp)))
        return st;
    sp->ip[0] = outer;
    sp->ip[1] = n;
    sp->ip[2] = inner;
    return ANCHOR_OK;
}

/* Reshape, Flatten, Squeeze, Unsqueeze: new shapes for the same row-major data. */
static anchor_status plan_shape_op(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx, *op = c->n->op_type;
    int x = IN(c, 0), y = c->out[0];
    ox_shape xs = p->v[x].shape, ys = {0};
    int64_t v[OX_MAX_DIMS * 2];
    int nv;
    if (!strcmp(op, "Reshape")) {
        nv = const_ints(p, IN(c, 1), v, OX_MAX_DIMS);
        if (nv < 0 && p->g->opset < 5)
            nv = attr_ints(c->n, "shape", v, OX_MAX_DIMS);
        if (nv < 0 || nv > OX_MAX_DIMS)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: cannot resolve the target shape (it must be "
                                    "a constant, or computed from shapes)", ctx);
        int allowzero = (int)ox_attr_int(c->n, "allowzero", 0), infer = -1;
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
            ys.d[infer] = known ? ox_shape_count(&xs) / known : 0;
    } else if (!strcmp(op, "Flatten")) {
        int64_t axis = norm_axis(ox_attr_int(c->n, "axis", 1), xs.ndims), a = 1, b = 1;
        if (axis < 0 || axis > xs.ndims)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: axis out of range", ctx);
        for (int i = 0; i < xs.ndims; i++)
            *(i < axis ? &a : &b) *= xs.d[i];
        ys.ndims = 2;
        ys.d[0] = a;
        ys.d[1] = b;
    } else {
        int squeeze = !strcmp(op, "Squeeze");
        nv = p->g->opset >= 13 ? const_ints(p, IN(c, 1), v, OX_MAX_DIMS) : attr_ints(c->n, "axes", v, OX_MAX_DIMS);
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
        return fold_reshaped(p, x, y, &ys);
    return view(p, x, y, &ys, ctx);
}

static anchor_status plan_transpose(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st;
    int is_const = p->v[x].kind == PV_CONST;
    if (is_const)
        xp = x;
    else if ((st = plain(p, x, &xp, ctx)))
        return st;
    ox_shape xs = p->v[xp].shape, ys = xs;
    int64_t perm[OX_MAX_DIMS];
    int np = attr_ints(c->n, "perm", perm, OX_MAX_DIMS);
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
        if ((st = ox_tensor_new(&t, src->type, &ys, p->err)))
            return st;
        for (int64_t e = 0; e < t->count; e++) {
            int64_t r = e, off = 0;
            for (int i = ys.ndims - 1; i >= 0; i--) {
                off += (r % ys.d[i]) * strides[i];
                r /= ys.d[i];
            }
            tset(t, e, tget(src, off));
        }
        set_const(p, y, t);
        return ANCHOR_OK;
    }
    /* read the input through permuted strides, write row-major */
    int xv;
    dnnl_memory_desc_t mx;
    DN(dnnl_memory_desc_init_by_strides(&mx, np, dims, dnnl_f32, strides), "a transpose");
    if ((st = new_value(p, &xv)) || (st = set_rt(p, xv, &ys, &mx, ctx)))
        return st;
    p->v[xv].alias = xp;
    int out;
    dnnl_memory_desc_t my = plain_md(&ys);
    if ((st = reorder_to(p, xv, &my, &out, ctx)))
        return st;
    /* `out` is a fresh value; make it the node's output by aliasing */
    if ((st = set_rt(p, y, &ys, NULL, ctx)))
        return st;
    p->v[y].alias = out;
    return ANCHOR_OK;
}

static anchor_status plan_pad(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st;
    if ((st = materialize(p, x, &x, ctx)))
        return st;
    ox_shape xs = p->v[x].shape, ys = xs;
    int64_t pads[2 * OX_MAX_DIMS];
    int np = p->g->opset >= 11 ? const_ints(p, IN(c, 1), pads, 2 * OX_MAX_DIMS)
                               : attr_ints(c->n, "pads", pads, 2 * OX_MAX_DIMS);
    if (np != 2 * xs.ndims)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: pads must be %d constants", ctx, 2 * xs.ndims);
    for (int i = 0; i < np; i++)
        if (pads[i] < -OX_MAX_DIM_VALUE || pads[i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: padding %lld out of range", ctx, (long long)pads[i]);
    float value = 0;
    if (p->g->opset >= 11) {
        if (IN(c, 2) >= 0 && !const_float(p, IN(c, 2), &value))
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: constant_value must be a constant", ctx);
    } else {
        value = ox_attr_float(c->n, "value", 0.f);
    }
    char mode[32];
    attr_str(c->n, "mode", mode, sizeof mode, "constant");
    int m = !strcmp(mode, "constant") ? 0 : !strcmp(mode, "reflect") ? 1 : !strcmp(mode, "edge") ? 2 : -1;
    if (m < 0)
        return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: pad mode '%s'", ctx, mode);
    /* Zero padding of the spatial dimensions before an AveragePool without padding of its
     * own: one pool that counts the padding, in whatever layout the input has. */
    int j = sole_consumer(p, y, c->node);
    if (j >= 0 && m == 0 && value == 0.f && xs.ndims >= 3 && xs.ndims <= 5 &&
        !strcmp(p->g->g->node[j]->op_type, "AveragePool")) {
        const Onnx__NodeProto *pn = p->g->g->node[j];
        int64_t pp[6] = {0};
        char ap[32];
        int ok = !ox_attr_int(pn, "ceil_mode", 0) && !strcmp(attr_str(pn, "auto_pad", ap, sizeof ap, "NOTSET"), "NOTSET");
        attr_ints(pn, "pads", pp, 6);
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
            ox_node_label(pn, pc.ctx, sizeof pc.ctx);
            p->done[j] = 1;
            return plan_pool_ex(p, &pc, 0, 0, sp, x, pc.out[0]);
        }
    }
    if ((st = plain(p, x, &xp, ctx)))
        return st;
    for (int i = 0; i < xs.ndims; i++)
        ys.d[i] = xs.d[i] + pads[i] + pads[xs.ndims + i];
    if ((st = set_rt(p, y, &ys, NULL, ctx)))
        return st;
    pstep *sp;
    if ((st = c_step(p, k_pad, xp, -1, y, &sp)))
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

static anchor_status plan_reduce_mean(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), xp, y = c->out[0];
    anchor_status st = plain(p, x, &xp, ctx);
    if (st)
        return st;
    ox_shape xs = p->v[xp].shape, ks = xs, ys = {0};
    int64_t axes[OX_MAX_DIMS];
    int na = attr_ints(c->n, "axes", axes, OX_MAX_DIMS);
    int keep = (int)ox_attr_int(c->n, "keepdims", 1);
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
    dnnl_memory_desc_t mk = plain_md(&ks), mx = p->v[xp].md;
    dnnl_reduction_desc_t rd;
    DN(dnnl_reduction_desc_init(&rd, dnnl_reduction_mean, &mx, &mk, 0.f, 0.f), "a reduction");
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &rd, NULL, p->eng, NULL), "a reduction");
    pstep *sp;
    int kv;
    if ((st = prim_step(p, pd, &sp, ctx)) || (st = new_rt(p, &kv, &ks, &mk, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, xp);
    step_arg(sp, DNNL_ARG_DST, kv);
    if ((st = set_rt(p, y, &ys, NULL, ctx)))
        return st;
    p->v[y].alias = kv;
    return ANCHOR_OK;
}

static anchor_status plan_lrn(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), y = c->out[0];
    anchor_status st = materialize(p, x, &x, ctx);
    if (st)
        return st;
    dnnl_lrn_desc_t ld;
    dnnl_memory_desc_t mx = p->v[x].md;
    DN(dnnl_lrn_forward_desc_init(&ld, dnnl_forward_inference, dnnl_lrn_across_channels, &mx,
                                  ox_attr_int(c->n, "size", 1), ox_attr_float(c->n, "alpha", 1e-4f),
                                  ox_attr_float(c->n, "beta", 0.75f), ox_attr_float(c->n, "bias", 1.f)),
       "an LRN");
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &ld, NULL, p->eng, NULL), "an LRN");
    pstep *sp;
    ox_shape sh = p->v[x].shape;
    if ((st = prim_step(p, pd, &sp, ctx)) || (st = set_rt(p, y, &sh, &mx, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, x);
    step_arg(sp, DNNL_ARG_DST, y);
    return ANCHOR_OK;
}

static anchor_status plan_batchnorm(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx;
    int x = IN(c, 0), y = c->out[0];
    anchor_status st = materialize(p, x, &x, ctx);
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
    DN(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_inference, &mx, ox_attr_float(c->n, "epsilon", 1e-5f),
                                                  dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift),
       "a batch normalization");
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, &bd, NULL, p->eng, NULL), "a batch normalization");
    pstep *sp;
    ox_shape sh = p->v[x].shape;
    if ((st = prim_step(p, pd, &sp, ctx)))
        return st;
    dnnl_memory_desc_t m1;
    dnnl_dims_t dc = {C};
    dnnl_memory_desc_init_by_tag(&m1, 1, dc, dnnl_f32, dnnl_a);
    static const int kinds[4] = {DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
    for (int k = 0; k < 4 && !st; k++)
        st = const_arg(p, sp, kinds[k], p->v[IN(c, k + 1)].c->data, &m1, &m1, ctx);
    if (st || (st = set_rt(p, y, &sh, &mx, ctx)))
        return st;
    step_arg(sp, DNNL_ARG_SRC, x);
    step_arg(sp, DNNL_ARG_DST, y);
    return ANCHOR_OK;
}

/* Shape, Gather, Constant, ConstantOfShape, Cast, Slice: computed now, on constants. */
static anchor_status plan_fold(ox_plan *p, const nctx *c)
{
    const char *ctx = c->ctx, *op = c->n->op_type;
    anchor_status st;
    int y = c->out[0];
    ox_tensor *t = NULL;
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *a;
        if ((a = ox_attr(c->n, "value")) && a->t) {
            if ((st = ox_tensor_from_proto(&t, a->t, ctx, p->err)))
                return st;
        } else if ((a = ox_attr(c->n, "value_float")) || (a = ox_attr(c->n, "value_int"))) {
            ox_shape s0 = {0};
            int isf = !strcmp(a->name, "value_float");
            if ((st = ox_tensor_new(&t, isf ? OX_F32 : OX_I64, &s0, p->err)))
                return st;
            tset(t, 0, isf ? a->f : (double)a->i);
        } else if ((a = ox_attr(c->n, "value_floats")) || (a = ox_attr(c->n, "value_ints"))) {
            int isf = !strcmp(a->name, "value_floats");
            ox_shape s1 = {.ndims = 1, .d = {isf ? (int64_t)a->n_floats : (int64_t)a->n_ints}};
            if ((st = ox_tensor_new(&t, isf ? OX_F32 : OX_I64, &s1, p->err)))
                return st;
            for (int64_t i = 0; i < s1.d[0]; i++)
                tset(t, i, isf ? a->floats[i] : (double)a->ints[i]);
        } else {
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Constant without a supported value", ctx);
        }
    } else if (!strcmp(op, "Shape")) {
        const ox_shape *xs = &p->v[IN(c, 0)].shape;
        int64_t start = norm_axis(ox_attr_int(c->n, "start", 0), xs->ndims);
        int64_t end = norm_axis(ox_attr_int(c->n, "end", xs->ndims), xs->ndims);
        start = start < 0 ? 0 : start > xs->ndims ? xs->ndims : start;
        end = end < start ? start : end > xs->ndims ? xs->ndims : end;
        ox_shape s1 = {.ndims = 1, .d = {end - start}};
        if ((st = ox_tensor_new(&t, OX_I64, &s1, p->err)))
            return st;
        for (int64_t i = start; i < end; i++)
            ((int64_t *)t->data)[i - start] = xs->d[i];
    } else if (!strcmp(op, "ConstantOfShape")) {
        int64_t dims[OX_MAX_DIMS];
        int nd = const_ints(p, IN(c, 0), dims, OX_MAX_DIMS);
        if (nd < 0)
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: cannot resolve the shape", ctx);
        ox_shape s = {.ndims = nd};
        memcpy(s.d, dims, sizeof(int64_t) * (size_t)nd);
        const Onnx__AttributeProto *a = ox_attr(c->n, "value");
        ox_tensor *v = NULL;
        if (a && a->t && (st = ox_tensor_from_proto(&v, a->t, ctx, p->err)))
            return st;
        st = ox_tensor_new(&t, v ? v->type : OX_F32, &s, p->err);
        if (!st)
            for (int64_t i = 0; i < t->count; i++)
                tset(t, i, v && v->count ? tget(v, 0) : 0.0);
        ox_tensor_free(v);
        if (st)
            return anchor_error_prefix(p->err, "%s", ctx);
    } else if (!strcmp(op, "Cast")) {
        int64_t to = ox_attr_int(c->n, "to", 1);
        int isf = to == 1 || to == 10 || to == 11 || to == 16;
        int x = IN(c, 0);
        if (p->v[x].kind == PV_RT) {
            if (!isf)
                return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: Cast of a runtime tensor to type %lld", ctx,
                                        (long long)to);
            ox_shape sh = p->v[x].shape;
            dnnl_memory_desc_t md = p->v[x].md;
            if ((st = set_rt(p, y, &sh, &md, ctx)))
                return st;
            p->v[y].alias = x;
            return ANCHOR_OK;
        }
        const ox_tensor *s = p->v[x].c;
        if ((st = ox_tensor_new(&t, isf ? OX_F32 : OX_I64, &s->shape, p->err)))
            return st;
        for (int64_t i = 0; i < t->count; i++) {
            double v = tget(s, i);
            tset(t, i, isf ? v : (to == 9 ? (v != 0) : trunc(v)));
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
            int64_t axis = norm_axis(ox_attr_int(c->n, "axis", 0), xs->ndims);
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
            if ((st = ox_tensor_new(&t, s->type, &ys, p->err)))
                return st;
            int64_t e = 0, n = xs->d[axis];
            for (int64_t o = 0; o < outer; o++)
                for (int64_t k = 0; k < it->count; k++) {
                    int64_t j = (int64_t)tget(it, k);
                    j = j < 0 ? j + n : j;
                    if (j < 0 || j >= n) {
                        ox_tensor_free(t);
                        return anchor_error_set(p->err, ANCHOR_ERR_FORMAT, "%s: index out of range", ctx);
                    }
                    for (int64_t q = 0; q < inner; q++)
                        tset(t, e++, tget(s, (o * n + j) * inner + q));
                }
        } else { /* Slice */
            int64_t starts[OX_MAX_DIMS], ends[OX_MAX_DIMS], axes[OX_MAX_DIMS], steps[OX_MAX_DIMS];
            int ns, ne, na, nst;
            if (p->g->opset >= 10) {
                ns = const_ints(p, IN(c, 1), starts, OX_MAX_DIMS);
                ne = const_ints(p, IN(c, 2), ends, OX_MAX_DIMS);
                na = const_ints(p, IN(c, 3), axes, OX_MAX_DIMS);
                nst = const_ints(p, IN(c, 4), steps, OX_MAX_DIMS);
            } else {
                ns = attr_ints(c->n, "starts", starts, OX_MAX_DIMS);
                ne = attr_ints(c->n, "ends", ends, OX_MAX_DIMS);
                na = attr_ints(c->n, "axes", axes, OX_MAX_DIMS);
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
            if ((st = ox_tensor_new(&t, s->type, &ys, p->err)))
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
    set_const(p, y, t);
    return ANCHOR_OK;
}

static anchor_status plan_node(ox_plan *p, nctx *c)
{
    const char *op = c->n->op_type;
    if (!strcmp(op, "Conv"))
        return plan_conv(p, c);
    if (!strcmp(op, "Relu") || !strcmp(op, "LeakyRelu") || !strcmp(op, "Clip") || !strcmp(op, "Sigmoid") ||
        !strcmp(op, "HardSigmoid") || !strcmp(op, "HardSwish") || !strcmp(op, "Tanh") || !strcmp(op, "Abs"))
        return plan_eltwise(p, c);
    if (!strcmp(op, "Add"))
        return plan_binary(p, c, 0);
    if (!strcmp(op, "Sub"))
        return plan_binary(p, c, 1);
    if (!strcmp(op, "Mul"))
        return plan_binary(p, c, 2);
    if (!strcmp(op, "Div"))
        return plan_binary(p, c, 3);
    if (!strcmp(op, "MaxPool"))
        return plan_pool(p, c, 1, 0);
    if (!strcmp(op, "AveragePool"))
        return plan_pool(p, c, 0, 0);
    if (!strcmp(op, "GlobalAveragePool"))
        return plan_pool(p, c, 0, 1);
    if (!strcmp(op, "GlobalMaxPool"))
        return plan_pool(p, c, 1, 1);
    if (!strcmp(op, "Concat"))
        return plan_concat(p, c);
    if (!strcmp(op, "Gemm"))
        return plan_matmul(p, c, 1);
    if (!strcmp(op, "MatMul"))
        return plan_matmul(p, c, 0);
    if (!strcmp(op, "Softmax"))
        return plan_softmax(p, c);
    if (!strcmp(op, "Reshape") || !strcmp(op, "Flatten") || !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze"))
        return plan_shape_op(p, c);
    if (!strcmp(op, "Transpose"))
        return plan_transpose(p, c);
    if (!strcmp(op, "Pad"))
        return plan_pad(p, c);
    if (!strcmp(op, "ReduceMean"))
        return plan_reduce_mean(p, c);
    if (!strcmp(op, "LRN"))
        return plan_lrn(p, c);
    if (!strcmp(op, "BatchNormalization"))
        return plan_batchnorm(p, c);
    if (!strcmp(op, "Dropout") || !strcmp(op, "Identity")) {
        int x = IN(c, 0), y = c->out[0];
        if (p->v[x].kind == PV_CONST) {
            ox_shape sh = p->v[x].c->shape;
            return fold_reshaped(p, x, y, &sh);
        }
        ox_shape sh = p->v[x].shape;
        dnnl_memory_desc_t md = p->v[x].md;
        anchor_status st = set_rt(p, y, &sh, &md, c->ctx);
        if (!st)
            p->v[y].alias = x;
        return st;
    }
    if (!strcmp(op, "Shape") || !strcmp(op, "Gather") || !strcmp(op, "Constant") || !strcmp(op, "ConstantOfShape") ||
        !strcmp(op, "Cast") || !strcmp(op, "Slice"))
        return plan_fold(p, c);
    return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: unsupported operator %s", c->ctx, op);
}

/* ---- memory -------------------------------------------------------------------------- */
static int root_of(const ox_plan *p, int id)
{
    while (p->v[id].alias >= 0)
        id = p->v[id].alias;
    return id;
}

static void step_values(const pstep *s, int *ids, int *n)
{
    *n = 0;
    for (int k = 0; k < s->nargs; k++)
        ids[(*n)++] = s->argv[k];
    if (s->prim && s->ip[39])
        for (int k = 0; k < s->ip[39]; k++)
            ids[(*n)++] = (int)s->ip[k];
    for (int k = 0; k < 3; k++)
        if (s->in[k] >= 0)
            ids[(*n)++] = s->in[k];
    if (s->out >= 0)
        ids[(*n)++] = s->out;
}

static anchor_status finalize(ox_plan *p)
{
    anchor_error *err = p->err;
    int ids[80], n;
    for (int t = 0; t < p->ns; t++) {
        step_values(&p->s[t], ids, &n);
        for (int k = 0; k < n; k++) {
            int r = root_of(p, ids[k]);
            if (t < p->v[r].first)
                p->v[r].first = t;
            if (t > p->v[r].last)
                p->v[r].last = t;
        }
    }
    int in_root = root_of(p, p->input_v), out_root = root_of(p, p->output_v);
    p->v[in_root].first = -1;
    if (p->v[in_root].last < 0)
        p->v[in_root].last = 0;
    p->v[out_root].last = LIFE_FOREVER;
    if (p->v[out_root].first == LIFE_FOREVER)
        p->v[out_root].first = -1;
    /* Sizes of roots: the largest view of each. */
    size_t *need = calloc((size_t)p->nv, sizeof *need);
    int *order = malloc((size_t)p->nv * sizeof *order);
    int *owner_last = malloc((size_t)p->nv * sizeof *owner_last);
    p->block_size = calloc((size_t)p->nv, sizeof *p->block_size);
    p->blocks = calloc((size_t)p->nv, sizeof *p->blocks);
    if (!need || !order || !owner_last || !p->block_size || !p->blocks) {
        free(need);
        free(order);
        free(owner_last);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory planning buffers");
    }
    for (int i = 0; i < p->nv; i++) {
        if (p->v[i].kind != PV_RT)
            continue;
        int r = root_of(p, i);
        size_t sz = dnnl_memory_desc_get_size(&p->v[i].md);
        if (sz > need[r])
            need[r] = sz;
    }
    int nroots = 0;
    for (int i = 0; i < p->nv; i++)
        if (p->v[i].kind == PV_RT && p->v[i].alias < 0 && !p->v[i].ext && p->v[i].first != LIFE_FOREVER)
            order[nroots++] = i;
    /* roots by first use (insertion sort: they are nearly sorted already) */
    for (int i = 1; i < nroots; i++) {
        int x = order[i], j = i - 1;
        while (j >= 0 && p->v[order[j]].first > p->v[x].first) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = x;
    }
    for (int i = 0; i < nroots; i++) {
        int r = order[i], best = -1, largest = -1;
        for (int b = 0; b < p->nblocks; b++) {
            if (owner_last[b] >= p->v[r].first)
                continue;
            if (p->block_size[b] >= need[r] && (best < 0 || p->block_size[b] < p->block_size[best]))
                best = b;
            if (largest < 0 || p->block_size[b] > p->block_size[largest])
                largest = b;
        }
        if (best < 0 && largest >= 0) {
            best = largest;
            p->block_size[best] = need[r];
        }
        if (best < 0) {
            best = p->nblocks++;
            p->block_size[best] = need[r];
        }
        owner_last[best] = p->v[r].last;
        p->v[r].block = best;
    }
    free(order);
    free(owner_last);
    size_t total = 0;
    anchor_status st = ANCHOR_OK;
    for (int b = 0; b < p->nblocks && !st; b++) {
        size_t sz = (p->block_size[b] + 63) / 64 * 64 + 64;
        total += sz;
        if (total > (size_t)ANCHOR_MAX_BYTES)
            st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "the model needs more than %lld bytes of activations",
                                  (long long)ANCHOR_MAX_BYTES);
        else if (!(p->blocks[b] = aligned_alloc(64, sz)))
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for %zu bytes of activations", sz);
        else
            memset(p->blocks[b], 0, sz);
    }
    free(need);
    if (st)
        return st;
    for (int i = 0; i < p->nv; i++) {
        if (p->v[i].kind != PV_RT)
            continue;
        int r = root_of(p, i);
        p->v[i].ptr = p->v[r].ext ? p->v[r].ext : p->v[r].first == LIFE_FOREVER ? NULL : p->blocks[p->v[r].block];
        if (!p->v[i].ptr)
            continue; /* never used */
        if (dnnl_memory_create(&p->v[i].mem, &p->v[i].md, p->eng, p->v[i].ptr) != dnnl_success)
            return anchor_error_set(err, ANCHOR_ERR_INTERNAL, "oneDNN cannot create a memory");
    }
    for (int t = 0; t < p->ns; t++) {
        pstep *s = &p->s[t];
        if (!s->prim)
            continue;
        int k = 0;
        for (int a = 0; a < s->nargs; a++) {
            s->exec[k].arg = s->argk[a];
            s->exec[k++].memory = p->v[s->argv[a]].mem;
        }
        for (int a = 0; a < s->nconst; a++) {
            s->exec[k].arg = s->cargk[a];
            s->exec[k++].memory = s->cmem[a];
        }
        s->nargs = k; /* from now on, exec holds everything */
    }
    return ANCHOR_OK;
}

/* ---- public (internal) API -------------------------------------------------------------- */
void ox_plan_destroy(ox_plan *p)
{
    if (!p)
        return;
    for (int t = 0; t < p->ns; t++) {
        pstep *s = &p->s[t];
        if (s->prim)
            dnnl_primitive_destroy(s->prim);
        for (int k = 0; k < s->nconst; k++) {
            dnnl_memory_destroy(s->cmem[k]);
            free(s->cbuf[k]);
        }
    }
    for (int i = 0; i < p->nv; i++) {
        if (p->v[i].mem)
            dnnl_memory_destroy(p->v[i].mem);
        free(p->v[i].ext);
        if (p->v[i].c_owned)
            ox_tensor_free(p->v[i].c);
    }
    for (int b = 0; b < p->nblocks; b++)
        free(p->blocks[b]);
    free(p->blocks);
    free(p->block_size);
    free(p->v);
    free(p->s);
    free(p->done);
    free(p);
}

anchor_status ox_plan_create(ox_plan **out, anchor_model *m, int64_t batch, anchor_error *err)
{
    *out = NULL;
    const ox_graph *g = &m->graph;
    ox_plan *p = calloc(1, sizeof *p);
    if (!p)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory planning the model");
    p->m = m;
    p->g = g;
    p->batch = batch;
    p->eng = m->engine;
    p->stream = m->stream;
    p->err = err;
    p->done = calloc((size_t)g->n_nodes + 1, 1);
    anchor_status st = p->done ? ANCHOR_OK : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_values && !st; i++) {
        int id;
        st = new_value(p, &id);
        if (!st && g->init[i]) {
            p->v[id].kind = PV_CONST;
            p->v[id].c = g->init[i];
            p->v[id].shape = g->init[i]->shape;
        }
    }
    if (!st) {
        ox_shape in = g->input_shape;
        in.d[0] = batch;
        p->input_v = g->input;
        st = set_rt(p, g->input, &in, NULL, "the model input");
    }
    for (int i = 0; i < g->n_nodes && !st; i++) {
        if (p->done[i])
            continue;
        nctx c = {.node = i, .n = g->g->node[i], .in = g->node_in[i], .out = g->node_out[i]};
        c.nin = (int)c.n->n_input;
        c.nout = (int)c.n->n_output;
        ox_node_label(c.n, c.ctx, sizeof c.ctx);
        if (c.nout < 1 || c.out[0] < 0) {
            st = anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s has no output", c.ctx);
            break;
        }
        for (int k = 0; k < c.nin && !st; k++)
            if (c.in[k] >= 0 && p->v[c.in[k]].kind == PV_NONE)
                st = anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s reads '%s', which nothing before it produces", c.ctx,
                                      g->names[c.in[k]]);
        if (!st && c.nin < 1 && strcmp(c.n->op_type, "Constant"))
            st = anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s has no input", c.ctx);
        if (!st)
            st = plan_node(p, &c);
    }
    if (!st && p->v[g->output].kind != PV_RT)
        st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "the output '%s' %s", g->names[g->output],
                              p->v[g->output].kind == PV_CONST ? "does not depend on the input" : "is never computed");
    if (!st) {
        ox_shape os = p->v[g->output].shape;
        if (os.ndims < 1 || os.d[0] != batch)
            st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "the output '%s' does not have the batch as its first "
                                  "dimension", g->names[g->output]);
        else
            p->out_per_image = ox_shape_count(&os) / batch;
    }
    if (!st)
        st = plain(p, g->output, &p->output_v, "the model output");
    if (!st)
        st = finalize(p);
    p->err = NULL;
    if (st) {
        ox_plan_destroy(p);
        return st;
    }
    p->flops /= (double)batch;
    *out = p;
    return ANCHOR_OK;
}

float *ox_plan_input(ox_plan *p) { return p->v[p->input_v].ptr; }
const float *ox_plan_output(ox_plan *p) { return p->v[p->output_v].ptr; }
int64_t ox_plan_output_count(const ox_plan *p) { return p->out_per_image; }
double ox_plan_flops(const ox_plan *p) { return p->flops; }

anchor_status ox_plan_run(ox_plan *p, anchor_error *err)
{
    for (int t = 0; t < p->ns; t++) {
        const pstep *s = &p->s[t];
        if (s->prim) {
            dnnl_exec_arg_t many[70];
            const dnnl_exec_arg_t *args = s->exec;
            int nargs = s->nargs;
            if (s->ip[39]) { /* concat with many sources */
                int k = 0;
                for (int a = 0; a < s->ip[39]; a++) {
                    many[k].arg = DNNL_ARG_MULTIPLE_SRC + a;
                    many[k++].memory = p->v[s->ip[a]].mem;
                }
                for (int a = 0; a < s->nargs; a++)
                    many[k++] = s->exec[a];
                args = many;
                nargs = k;
            }
            dnnl_status_t d = dnnl_primitive_execute(s->prim, p->stream, nargs, args);
            if (d != dnnl_success)
                return anchor_error_set(err, ANCHOR_ERR_INTERNAL, "oneDNN failed to run step %d (status %d)", t, (int)d);
        } else {
            dnnl_stream_wait(p->stream);
            s->fn(p, s);
        }
    }
    dnnl_stream_wait(p->stream);
    return ANCHOR_OK;
}
