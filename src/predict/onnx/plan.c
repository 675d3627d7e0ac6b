/* SPDX-License-Identifier: Apache-2.0 */
/* Planning and running an ONNX graph for one batch size on oneDNN.
 *
 * The graph is walked once in its (topological) node order, each node planned by the
 * planner its operator's row in ops.c names. Each value is either a constant
 * (initializers, and everything computed from constants and shapes alone: Shape, Gather,
 * ConstantOfShape, Cast, Unsqueeze, Concat of shapes... are folded, which is why a plan is
 * built per batch size: the batch enters the folded shapes) or a runtime tensor with a
 * oneDNN memory descriptor. Heavy operators become oneDNN primitives with
 * format_tag_any, so oneDNN picks its blocked layouts (e.g. nChw16c) and consecutive
 * Conv/Pool/Concat stay in them; reorders are inserted only where a layout-sensitive
 * operator (Reshape, Softmax, Gemm...) needs the plain row-major order. A Conv absorbs the
 * BatchNormalization after it (weights and bias rescaled), then activations (eltwise
 * post-ops) and a residual Add (sum post-op, writing into the other addend's buffer when
 * nothing else reads it). Small operators without a good oneDNN match are C kernels
 * (kernels.c). plan_memory.c then places the runtime values in reused blocks and binds
 * every primitive's arguments once, so running the plan is executing the steps in order.
 *
 * The rooms, with no cycle: plan.c (this driver) -> ops.c (dispatch) -> op_*.c
 * (operators) -> plan_build.c (values, steps, layouts) and kernels.c -> tensor.c. */
#include <dnnl.h>
#include <stdlib.h>
#include <string.h>

#include "predict/onnx/ops.h"
#include "predict/onnx/plan_build.h"
#include "predict/onnx/plan_memory.h"

void anc_ox_plan_destroy(ox_plan *p)
{
    if (!p)
        return;
    for (int t = 0; t < p->ns; t++) {
        pstep *s = &p->s[t];
        if (s->prim)
            dnnl_primitive_destroy(s->prim);
        for (int k = 0; k < s->nconst; k++)
            dnnl_memory_destroy(s->cmem[k]); /* the data is the model's (its weight cache) */
        free(s->owned);
    }
    for (int i = 0; i < p->nv; i++) {
        if (p->v[i].mem)
            dnnl_memory_destroy(p->v[i].mem);
        free(p->v[i].ext);
        if (p->v[i].c_owned)
            anc_ox_tensor_free(p->v[i].c);
    }
    free(p->block_size);
    free(p->block_at);
    free(p->v);
    free(p->s);
    free(p->done);
    free(p);
}

/* Plans node i (and whatever nodes its planner fuses into it, marking them done). */
static anchor_status plan_node(ox_plan *p, int i)
{
    const ox_graph *g = p->g;
    anchor_error *err = p->err;
    anchor_status st = ANCHOR_OK;
    nctx c = {.node = i, .n = g->g->node[i], .in = g->node_in[i], .out = g->node_out[i]};
    c.nin = (int)c.n->n_input;
    c.nout = (int)c.n->n_output;
    anc_ox_node_label(c.n, c.ctx, sizeof c.ctx);
    /* arities, required inputs and the first output were checked at load (load.c);
     * what only planning knows is whether an input has been computed yet */
    for (int k = 0; k < c.nin && !st; k++)
        if (c.in[k] >= 0 && p->v[c.in[k]].kind == PV_NONE)
            st = anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s reads '%s', which nothing before it produces", c.ctx,
                                  g->names[c.in[k]]);
    if (!st) {
        c.variant = g->node_op[i]->variant;
        p->node = i;
        p->node_consts = 0;
        st = g->node_op[i]->plan(p, &c);
        if (st && !strstr(err->message, c.ctx)) /* every message names its node */
            anchor_error_prefix(err, "%s", c.ctx);
    }
    p->done[i] = 1;
    return st;
}

anchor_status anc_ox_plan_create(ox_plan **out, anchor_model *m, int64_t batch, anchor_error *err)
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
    p->budget = g->budget;
    p->budget.fold_limit = OX_FOLD_FLOOR + OX_FOLD_PER_FILE_BYTE * (int64_t)g->budget.file_bytes;
    p->budget.fold_used = 0;
    p->done = calloc((size_t)g->n_nodes + 1, 1);
    anchor_status st = p->done ? ANCHOR_OK : anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_values && !st; i++) {
        int id;
        st = anc_plan_new_value(p, &id);
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
        st = anc_plan_set_rt(p, g->input, &in, NULL, "the model input");
    }
    /* Constant nodes first: they read nothing, and a planner that fuses the nodes after
     * its own (Conv + Clip, whose bounds torch exports as Constant nodes placed after the
     * Conv) can only fuse a node whose inputs are already known. */
    for (int i = 0; i < g->n_nodes && !st; i++)
        if (!strcmp(g->g->node[i]->op_type, "Constant"))
            st = plan_node(p, i);
    for (int i = 0; i < g->n_nodes && !st; i++)
        if (!p->done[i])
            st = plan_node(p, i);
    if (!st && p->v[g->output].kind != PV_RT)
        st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "the output '%s' %s", g->names[g->output],
                              p->v[g->output].kind == PV_CONST ? "does not depend on the input" : "is never computed");
    if (!st) {
        ox_shape os = p->v[g->output].shape;
        if (os.ndims < 1 || os.d[0] != batch)
            st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "the output '%s' does not have the batch as its first "
                                  "dimension", g->names[g->output]);
        else
            p->out_per_image = anc_ox_shape_count(&os) / batch;
    }
    if (!st)
        st = anc_plan_plain(p, g->output, &p->output_v, "the model output");
    if (!st)
        st = anc_plan_finalize(p);
    p->err = NULL;
    if (st) {
        anc_ox_plan_destroy(p);
        return st;
    }
    p->flops /= (double)batch;
    *out = p;
    return ANCHOR_OK;
}

float *anc_ox_plan_input(ox_plan *p)
{
    /* another plan may have grown the arena since this one last ran */
    return anc_plan_bind(p, NULL) ? NULL : p->v[p->input_v].ptr;
}
const float *anc_ox_plan_output(ox_plan *p) { return p->v[p->output_v].ptr; }
int64_t anc_ox_plan_output_count(const ox_plan *p) { return p->out_per_image; }
double anc_ox_plan_flops(const ox_plan *p) { return p->flops; }
int64_t anc_ox_plan_bytes(const ox_plan *p) { return p->budget.used; }

anchor_status anc_ox_plan_run(ox_plan *p, anchor_error *err)
{
    anchor_status st = anc_plan_bind(p, err);
    if (st)
        return st;
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
