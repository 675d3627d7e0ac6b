/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the ONNX planner: a plan under construction, and the helpers with which every
 * operator planner (op_*.c) builds it.
 *
 * A plan is a list of values (constants, or runtime tensors with a oneDNN memory descriptor,
 * possibly a view of another value's storage) and a list of steps (a oneDNN primitive with
 * its arguments, or a C kernel from kernels.c). Operator planners read their inputs' values,
 * add steps and define their outputs' values; plan_memory.c then places runtime values in
 * memory and plan.c runs the steps. Layering, with no cycle: plan.c -> ops.c (dispatch) ->
 * op_*.c -> plan_build.c, kernels.c -> tensor.c. */
#ifndef ANCHOR_ONNX_PLAN_BUILD_H
#define ANCHOR_ONNX_PLAN_BUILD_H

#include <dnnl.h>
#include <stdint.h>

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
    void *cbuf[4];  /* the constants' data: the model's (its weight cache), never freed by the plan */
    void *owned;    /* a C step's own table (indices, offsets), freed with the plan */
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
    size_t *block_size, *block_at; /* each block's size and offset in the model's arena */
    int nblocks;
    size_t arena_bytes;  /* what this plan's activations need of the arena */
    void *bound;         /* the arena the values' pointers point into, or NULL */
    int input_v, output_v;
    double flops;
    int64_t out_per_image;
    anchor_error *err;
    int node, node_consts; /* the node being planned and its constant arguments so far (key the
                            * model's weight cache) */
    ox_budget budget; /* starts from the graph's; charged for folded constants, weights and activations */
};

/* ---- small helpers -------------------------------------------------------------------- */
#define DN(call, what)                                                                                        \
    do {                                                                                                      \
        dnnl_status_t dn_ = (call);                                                                           \
        if (dn_ != dnnl_success)                                                                              \
            return anchor_error_set(p->err, ANCHOR_ERR_UNSUPPORTED, "%s: oneDNN refused %s (status %d)", ctx, \
                                    what, (int)dn_);                                                          \
    } while (0)

/* The node being planned. */
typedef struct nctx {
    int node;
    const Onnx__NodeProto *n;
    const int *in, *out;
    int nin, nout;
    int variant; /* the dispatch row's variant (which binary operation, which pool...) */
    char ctx[300];
} nctx;

static inline int IN(const nctx *c, int k) { return k < c->nin ? c->in[k] : -1; }

static inline int shape_eq(const ox_shape *a, const ox_shape *b)
{
    if (a->ndims != b->ndims)
        return 0;
    for (int i = 0; i < a->ndims; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

static inline void step_arg(pstep *s, int kind, int value)
{
    s->argk[s->nargs] = kind;
    s->argv[s->nargs++] = value;
}

static inline int64_t norm_axis(int64_t axis, int ndims) { return axis < 0 ? axis + ndims : axis; }

static inline double tget(const ox_tensor *t, int64_t i)
{
    return t->type == OX_F32 ? ((float *)t->data)[i] : (double)((int64_t *)t->data)[i];
}

static inline void tset(ox_tensor *t, int64_t i, double v)
{
    if (t->type == OX_F32)
        ((float *)t->data)[i] = ox_sat_f32(v);
    else
        ((int64_t *)t->data)[i] = ox_sat_i64(v);
}

/* plan_build.c */
dnnl_memory_desc_t anc_plan_plain_md(const ox_shape *s);
anchor_status anc_plan_grow(void **arr, int *cap, int need, size_t esize, anchor_error *err);
anchor_status anc_plan_new_value(ox_plan *p, int *id);
anchor_status anc_plan_set_rt(ox_plan *p, int id, const ox_shape *shape, const dnnl_memory_desc_t *md,
                              const char *ctx);
anchor_status anc_plan_new_rt(ox_plan *p, int *id, const ox_shape *shape, const dnnl_memory_desc_t *md,
                              const char *ctx);
void anc_plan_set_const(ox_plan *p, int id, ox_tensor *t);
anchor_status anc_plan_add_step(ox_plan *p, pstep **out);
anchor_status anc_plan_prim_step(ox_plan *p, dnnl_primitive_desc_t pd, pstep **out, const char *ctx);
anchor_status anc_plan_const_arg(ox_plan *p, pstep *s, int kind, const float *data, const dnnl_memory_desc_t *src_md,
                                 const dnnl_memory_desc_t *dst_md, const char *ctx);
anchor_status anc_plan_materialize(ox_plan *p, int id, int *out, const char *ctx);
anchor_status anc_plan_reorder_to(ox_plan *p, int id, const dnnl_memory_desc_t *md, int *out, const char *ctx);
anchor_status anc_plan_in_layout(ox_plan *p, int id, const dnnl_memory_desc_t *md, int *out, const char *ctx);
anchor_status anc_plan_plain(ox_plan *p, int id, int *out, const char *ctx);
anchor_status anc_plan_view(ox_plan *p, int src, int dst, const ox_shape *shape, const char *ctx);
int anc_plan_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max);
const char *anc_plan_attr_str(const Onnx__NodeProto *n, const char *name, char *buf, size_t size, const char *dflt);
int anc_plan_const_ints(ox_plan *p, int id, int64_t *out, int max);
int anc_plan_const_float(ox_plan *p, int id, float *out);
int anc_plan_sole_consumer(ox_plan *p, int id, int after);
anchor_status anc_plan_c_step(ox_plan *p, step_fn fn, int in0, int in1, int out, pstep **res);
anchor_status anc_plan_broadcast_shape(const ox_shape *a, const ox_shape *b, ox_shape *out, const char *ctx,
                                       anchor_error *err);
void anc_plan_broadcast_strides(const ox_shape *s, const ox_shape *out, int64_t *strides);
anchor_status anc_plan_check_window(ox_plan *p, const char *ctx, int nsp, const int64_t *k, const int64_t *s,
                                    const int64_t *d, const int64_t *pads);
/* Refuses an output shape whose float32 storage would pass what the budget has left, before
 * oneDNN is asked for a primitive (it may spend seconds creating one for a 10^8-wide output). */
anchor_status anc_plan_check_output(ox_plan *p, const ox_shape *ys, const char *ctx);
anchor_status anc_plan_fold_reshaped(ox_plan *p, int src, int out, const ox_shape *sh);

#endif
