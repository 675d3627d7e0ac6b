/* The dispatch table: every ONNX operator we run, by name, with the planner that plans it
 * and that planner's variant. The loader refuses a model whose operators are not all
 * here, and the planner looks each node up here; so adding an operator is one planner
 * (in the op_*.c file of its family) and one row below. */
#include <string.h>

#include "predict/onnx/ops.h"

static const ox_op ops[] = {
    {"Conv", anc_op_conv, 0},
    {"BatchNormalization", anc_op_batchnorm, 0},
    {"LRN", anc_op_lrn, 0},
    {"MaxPool", anc_op_pool, OX_POOL_MAX},
    {"AveragePool", anc_op_pool, 0},
    {"GlobalAveragePool", anc_op_pool, OX_POOL_GLOBAL},
    {"GlobalMaxPool", anc_op_pool, OX_POOL_MAX | OX_POOL_GLOBAL},
    {"Relu", anc_op_eltwise, 0},
    {"LeakyRelu", anc_op_eltwise, 0},
    {"Clip", anc_op_eltwise, 0},
    {"Sigmoid", anc_op_eltwise, 0},
    {"HardSigmoid", anc_op_eltwise, 0},
    {"HardSwish", anc_op_eltwise, 0},
    {"Tanh", anc_op_eltwise, 0},
    {"Abs", anc_op_eltwise, 0},
    {"Add", anc_op_binary, OX_BIN_ADD},
    {"Sub", anc_op_binary, OX_BIN_SUB},
    {"Mul", anc_op_binary, OX_BIN_MUL},
    {"Div", anc_op_binary, OX_BIN_DIV},
    {"Gemm", anc_op_matmul, OX_GEMM},
    {"MatMul", anc_op_matmul, OX_MATMUL},
    {"Softmax", anc_op_softmax, 0},
    {"ReduceMean", anc_op_reduce_mean, 0},
    {"Concat", anc_op_concat, 0},
    {"Reshape", anc_op_reshape, 0},
    {"Flatten", anc_op_reshape, 0},
    {"Squeeze", anc_op_reshape, 0},
    {"Unsqueeze", anc_op_reshape, 0},
    {"Transpose", anc_op_transpose, 0},
    {"Pad", anc_op_pad, 0},
    {"Identity", anc_op_identity, 0},
    {"Dropout", anc_op_identity, 0},
    {"Constant", anc_op_fold, 0},
    {"Shape", anc_op_fold, 0},
    {"ConstantOfShape", anc_op_fold, 0},
    {"Cast", anc_op_fold, 0},
    {"Gather", anc_op_fold, 0},
    {"Slice", anc_op_fold, 0},
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
