/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the ONNX planner: the operator planners (op_*.c), one function per operator
 * family, each reading its node from an nctx and adding steps to the plan. ops.c maps
 * operator names to them; adding an operator means one planner and one row there. */
#ifndef ANCHOR_ONNX_OPS_H
#define ANCHOR_ONNX_OPS_H

#include "predict/onnx/plan_build.h"

/* Variants of one planner, from the dispatch row. */
enum { OX_BIN_ADD = 0, OX_BIN_SUB = 1, OX_BIN_MUL = 2, OX_BIN_DIV = 3 };
enum { OX_POOL_MAX = 1, OX_POOL_GLOBAL = 2 };
enum { OX_MATMUL = 0, OX_GEMM = 1 };

/* op_conv.c */
anchor_status anc_op_conv(ox_plan *p, const nctx *c);
anchor_status anc_op_pool(ox_plan *p, const nctx *c);
/* pre_pads: the begin and end zero padding of a Pad node folded into an AveragePool. */
anchor_status anc_op_pool_ex(ox_plan *p, const nctx *c, int is_max, int global, const int64_t *pre_pads, int x,
                             int y_out);
anchor_status anc_op_lrn(ox_plan *p, const nctx *c);
anchor_status anc_op_batchnorm(ox_plan *p, const nctx *c);

/* op_eltwise.c */
typedef struct eltwise_op {
    int n;
    dnnl_alg_kind_t alg[2];
    float alpha[2], beta[2];
} eltwise_op;

/* The node as one or two oneDNN eltwise operations, or 0 when it is not an activation
 * (or has runtime parameters). */
int anc_op_as_eltwise(ox_plan *p, int node, eltwise_op *e);
anchor_status anc_op_eltwise(ox_plan *p, const nctx *c);
anchor_status anc_op_binary(ox_plan *p, const nctx *c);
enum { OX_UNARY_ERF = 0, OX_UNARY_SOFTSIGN = 1, OX_UNARY_LOG = 2, OX_UNARY_SOFTPLUS = 3,
       OX_UNARY_ROUND_HALF = 4 };
anchor_status anc_op_unary(ox_plan *p, const nctx *c);

/* op_linear.c */
anchor_status anc_op_matmul(ox_plan *p, const nctx *c);

/* op_reduce.c: Softmax's variant is 1 for LogSoftmax; Reduce*'s says which reduction */
enum { OX_RED_MEAN, OX_RED_SUM, OX_RED_MAX, OX_RED_MIN, OX_RED_PROD, OX_RED_L1, OX_RED_L2, OX_RED_SUMSQ, OX_RED_LSE };
anchor_status anc_op_softmax(ox_plan *p, const nctx *c);
anchor_status anc_op_reduce(ox_plan *p, const nctx *c);

/* op_norm.c */
anchor_status anc_op_layernorm(ox_plan *p, const nctx *c);
anchor_status anc_op_instancenorm(ox_plan *p, const nctx *c);
anchor_status anc_op_prelu(ox_plan *p, const nctx *c);
/* From a ReduceMean node: 1 when it starts the opset-13 LayerNorm decomposition and the
 * whole pattern was planned as one (*st says how that went), 0 to plan it alone. */
int anc_op_layernorm_pattern(ox_plan *p, const nctx *c, anchor_status *st);
/* Whether value id is a one-value constant, folding the Constant node that makes it when
 * that node comes later in the graph (patterns look ahead of the planning order). */
int anc_op_scalar_ahead(ox_plan *p, int id, float *out);

/* op_resize.c: Resize and Upsample */
anchor_status anc_op_resize(ox_plan *p, const nctx *c);

/* op_shape.c */
anchor_status anc_op_concat(ox_plan *p, const nctx *c);
anchor_status anc_op_reshape(ox_plan *p, const nctx *c);
anchor_status anc_op_transpose(ox_plan *p, const nctx *c);
anchor_status anc_op_pad(ox_plan *p, const nctx *c);
anchor_status anc_op_identity(ox_plan *p, const nctx *c);

/* op_index.c; the elementwise variants, in this order: */
enum { OX_EW_WHERE = 0, OX_EW_EQUAL, OX_EW_LESS, OX_EW_GREATER, OX_EW_LESS_EQUAL, OX_EW_GREATER_EQUAL, OX_EW_NOT,
       OX_EW_AND, OX_EW_OR, OX_EW_XOR, OX_EW_MOD, OX_EW_FMOD, OX_EW_MIN, OX_EW_MAX, OX_EW_SUM, OX_EW_MEAN };
anchor_status anc_op_gather(ox_plan *p, const nctx *c);
anchor_status anc_op_slice(ox_plan *p, const nctx *c);
anchor_status anc_op_split(ox_plan *p, const nctx *c);
anchor_status anc_op_tile(ox_plan *p, const nctx *c);
anchor_status anc_op_expand(ox_plan *p, const nctx *c);
anchor_status anc_op_elementwise(ox_plan *p, const nctx *c);
anchor_status anc_op_range(ox_plan *p, const nctx *c);
anchor_status anc_op_scatter_nd(ox_plan *p, const nctx *c);

/* op_fold.c */
anchor_status anc_op_fold(ox_plan *p, const nctx *c);

#endif
