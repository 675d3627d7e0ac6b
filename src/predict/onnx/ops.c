/* SPDX-License-Identifier: Apache-2.0 */
/* The dispatch table: every ONNX operator we run, by name, with the planner that plans it
 * and that planner's variant. The loader refuses a model whose operators are not all
 * here, and the planner looks each node up here; so adding an operator is one planner
 * (in the op_*.c file of its family) and one row below. */
#include <string.h>

#include "predict/onnx/ops.h"

static const ox_op ops[] = {
    /* name, planner, variant, inputs min and max, outputs max, attributes */
    {"Conv", anc_op_conv, 0, 2, 3, 1, "auto_pad dilations group kernel_shape pads strides"},
    {"BatchNormalization", anc_op_batchnorm, 0, 5, 5, 1, "epsilon momentum spatial training_mode"},
    {"LRN", anc_op_lrn, 0, 1, 1, 1, "alpha beta bias size"},
    {"MaxPool", anc_op_pool, OX_POOL_MAX, 1, 1, 2, "auto_pad ceil_mode dilations kernel_shape pads storage_order strides"},
    {"AveragePool", anc_op_pool, 0, 1, 1, 1, "auto_pad ceil_mode count_include_pad kernel_shape pads strides"},
    {"GlobalAveragePool", anc_op_pool, OX_POOL_GLOBAL, 1, 1, 1, ""},
    {"GlobalMaxPool", anc_op_pool, OX_POOL_MAX | OX_POOL_GLOBAL, 1, 1, 1, ""},
    {"Relu", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"LeakyRelu", anc_op_eltwise, 0, 1, 1, 1, "alpha"},
    {"Clip", anc_op_eltwise, 0, 1, 3, 1, "min max"},
    {"Sigmoid", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"HardSigmoid", anc_op_eltwise, 0, 1, 1, 1, "alpha beta"},
    {"HardSwish", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"Tanh", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"Abs", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"Sqrt", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"Exp", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"Neg", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"Reciprocal", anc_op_eltwise, 0, 1, 1, 1, ""},
    {"Pow", anc_op_eltwise, 0, 2, 2, 1, ""},
    {"Elu", anc_op_eltwise, 0, 1, 1, 1, "alpha"},
    {"Selu", anc_op_eltwise, 0, 1, 1, 1, "alpha gamma"},
    {"Erf", anc_op_unary, OX_UNARY_ERF, 1, 1, 1, ""},
    {"Softsign", anc_op_unary, OX_UNARY_SOFTSIGN, 1, 1, 1, ""},
    {"Log", anc_op_unary, OX_UNARY_LOG, 1, 1, 1, ""},
    {"Softplus", anc_op_unary, OX_UNARY_SOFTPLUS, 1, 1, 1, ""},
    {"Add", anc_op_binary, OX_BIN_ADD, 2, 2, 1, ""},
    {"Sub", anc_op_binary, OX_BIN_SUB, 2, 2, 1, ""},
    {"Mul", anc_op_binary, OX_BIN_MUL, 2, 2, 1, ""},
    {"Div", anc_op_binary, OX_BIN_DIV, 2, 2, 1, ""},
    {"Gemm", anc_op_matmul, OX_GEMM, 2, 3, 1, "alpha beta transA transB"},
    {"MatMul", anc_op_matmul, OX_MATMUL, 2, 2, 1, ""},
    {"Softmax", anc_op_softmax, 0, 1, 1, 1, "axis"},
    {"LogSoftmax", anc_op_softmax, 1, 1, 1, 1, "axis"},
    {"ReduceMean", anc_op_reduce, OX_RED_MEAN, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceSum", anc_op_reduce, OX_RED_SUM, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceMax", anc_op_reduce, OX_RED_MAX, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceMin", anc_op_reduce, OX_RED_MIN, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceProd", anc_op_reduce, OX_RED_PROD, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceL1", anc_op_reduce, OX_RED_L1, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceL2", anc_op_reduce, OX_RED_L2, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceSumSquare", anc_op_reduce, OX_RED_SUMSQ, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"ReduceLogSumExp", anc_op_reduce, OX_RED_LSE, 1, 2, 1, "axes keepdims noop_with_empty_axes"},
    {"LayerNormalization", anc_op_layernorm, 0, 2, 3, 3, "axis epsilon stash_type"},
    {"InstanceNormalization", anc_op_instancenorm, 0, 3, 3, 1, "epsilon"},
    {"PRelu", anc_op_prelu, 0, 2, 2, 1, ""},
    {"Resize", anc_op_resize, 0, 1, 4, 1,
     "coordinate_transformation_mode cubic_coeff_a exclude_outside extrapolation_value mode nearest_mode"},
    {"Upsample", anc_op_resize, 0, 1, 2, 1, "mode scales"},
    {"Concat", anc_op_concat, 0, 1, -1, 1, "axis"},
    {"Reshape", anc_op_reshape, 0, 2, 2, 1, "allowzero"},
    {"Flatten", anc_op_reshape, 0, 1, 1, 1, "axis"},
    {"Squeeze", anc_op_reshape, 0, 1, 2, 1, "axes"},
    {"Unsqueeze", anc_op_reshape, 0, 1, 2, 1, "axes"},
    {"Transpose", anc_op_transpose, 0, 1, 1, 1, "perm"},
    {"Pad", anc_op_pad, 0, 1, 3, 1, "mode pads value"},
    {"Identity", anc_op_identity, 0, 1, 1, 1, ""},
    {"Dropout", anc_op_identity, 0, 1, 3, 2, "ratio seed"},
    {"Constant", anc_op_fold, 0, 0, 0, 1, "value value_float value_floats value_int value_ints"},
    {"Shape", anc_op_fold, 0, 1, 1, 1, "start end"},
    {"ConstantOfShape", anc_op_fold, 0, 1, 1, 1, "value"},
    {"Cast", anc_op_fold, 0, 1, 1, 1, "to"},
    {"Gather", anc_op_gather, 0, 2, 2, 1, "axis"},
    {"Slice", anc_op_slice, 0, 1, 5, 1, "axes ends starts"},
    {"Split", anc_op_split, 0, 1, 2, -1, "axis split"},
    {"Tile", anc_op_tile, 0, 2, 2, 1, ""},
    {"Expand", anc_op_expand, 0, 2, 2, 1, ""},
    {"Where", anc_op_elementwise, OX_EW_WHERE, 3, 3, 1, ""},
    {"Equal", anc_op_elementwise, OX_EW_EQUAL, 2, 2, 1, ""},
    {"Less", anc_op_elementwise, OX_EW_LESS, 2, 2, 1, ""},
    {"Greater", anc_op_elementwise, OX_EW_GREATER, 2, 2, 1, ""},
    {"LessOrEqual", anc_op_elementwise, OX_EW_LESS_EQUAL, 2, 2, 1, ""},
    {"GreaterOrEqual", anc_op_elementwise, OX_EW_GREATER_EQUAL, 2, 2, 1, ""},
    {"Not", anc_op_elementwise, OX_EW_NOT, 1, 1, 1, ""},
    {"And", anc_op_elementwise, OX_EW_AND, 2, 2, 1, ""},
    {"Or", anc_op_elementwise, OX_EW_OR, 2, 2, 1, ""},
    {"Xor", anc_op_elementwise, OX_EW_XOR, 2, 2, 1, ""},
    {"Mod", anc_op_elementwise, OX_EW_MOD, 2, 2, 1, "fmod"},
    {"Min", anc_op_elementwise, OX_EW_MIN, 1, -1, 1, ""},
    {"Max", anc_op_elementwise, OX_EW_MAX, 1, -1, 1, ""},
    {"Sum", anc_op_elementwise, OX_EW_SUM, 1, -1, 1, ""},
    {"Mean", anc_op_elementwise, OX_EW_MEAN, 1, -1, 1, ""},
    {"Range", anc_op_range, 0, 3, 3, 1, ""},
    {"ScatterND", anc_op_scatter_nd, 0, 3, 3, 1, "reduction"},
};

const ox_op *anc_ox_op_find(const char *op_type)
{
    if (!op_type)
        return NULL;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strcmp(ops[i].name, op_type))
            return &ops[i];
    return NULL;
}
