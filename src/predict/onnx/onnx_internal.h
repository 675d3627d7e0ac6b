/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the ONNX engine: the loaded graph, constant tensors, and the per-batch plan.
 *
 * Loading (load.c) parses the file with protobuf-c, converts every initializer to a
 * constant tensor (tensor.c: float32, float16 widened to float32, or int64 for shapes and
 * indices) and checks that every operator is one we run (ops.c), so that a bad model fails
 * at load time. Planning (plan.c, one op_*.c file per operator family, plan_build.c,
 * kernels.c, plan_memory.c) turns the graph into a list of oneDNN primitives and small C
 * kernels for one batch size: shapes are resolved, shape arithmetic is folded into constants,
 * BatchNormalization is folded into the Conv before it, activations and residual sums
 * become post-ops, and activations live in a few reused buffers. */
#ifndef ANCHOR_ONNX_INTERNAL_H
#define ANCHOR_ONNX_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/onnx.h"
/* The protobuf-c types, declared here so that tests can include this header without the
 * generated code (a repeated identical typedef is valid C11). */
typedef struct Onnx__ModelProto Onnx__ModelProto;
typedef struct Onnx__GraphProto Onnx__GraphProto;
typedef struct Onnx__NodeProto Onnx__NodeProto;
typedef struct Onnx__AttributeProto Onnx__AttributeProto;
typedef struct Onnx__TensorProto Onnx__TensorProto;

#define OX_MAX_DIMS 8
/* Bounds checked before anything is allocated. */
#define OX_MAX_DIM_VALUE (1LL << 28)
#define OX_MAX_TENSOR_ELEMS (1LL << 30)  /* 4 GiB of float32 per tensor */
#define OX_MAX_FILE_BYTES ((size_t)2 << 30)  /* protobuf's own 2 GiB limit */
#define OX_MAX_PLANS 16
/* What a model may make the loader and planner allocate (constants, folded tensors,
 * weights in oneDNN's layouts, activations of one image): a floor, plus a multiple of the
 * file's size. A legitimate model's weights are in its file and its activations per image
 * are of the order of its weights; a file of a few hundred bytes asking for gigabytes
 * (ConstantOfShape, a huge declared input) is refused before it gets them. */
#define OX_MEM_FLOOR ((int64_t)256 << 20)
#define OX_MEM_PER_FILE_BYTE 16
/* Within that, what folding may make (the tensors a plan computes from constants): shape
 * arithmetic is tiny and the largest legitimate folds are of weights already in the file (a
 * float16 weight cast to float, a transposed one), so a floor plus a few times the file.
 * Folding costs time in proportion to what it makes: without this sub-limit a file of a
 * kilobyte chaining ConstantOfShape, Concat and Slice over 10^7 elements took seconds. */
#define OX_FOLD_FLOOR ((int64_t)32 << 20)
#define OX_FOLD_PER_FILE_BYTE 4

typedef struct ox_budget {
    int64_t limit, used;
    int64_t fold_limit, fold_used; /* tensors made while planning (fold_limit 0: loading, none) */
    size_t file_bytes;
} ox_budget;

/* double to float and to int64 without C's undefined out-of-range conversions: values
 * beyond float's range become infinities, beyond int64's saturate, NaN becomes 0. */
static inline float ox_sat_f32(double v)
{
    return v > 3.4028234663852886e38 ? (float)INFINITY : v < -3.4028234663852886e38 ? -(float)INFINITY : (float)v;
}
static inline int64_t ox_sat_i64(double v)
{
    return v != v ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
}

typedef enum ox_type { OX_F32 = 1, OX_I64 = 2 } ox_type;

typedef struct ox_shape {
    int ndims;
    int64_t d[OX_MAX_DIMS];
} ox_shape;

/* A constant tensor (initializer, Constant node, or a folded result). */
typedef struct ox_tensor {
    ox_type type;
    ox_shape shape;
    int64_t count;
    void *data; /* float * or int64_t *, owned */
} ox_tensor;

typedef struct ox_graph {
    Onnx__ModelProto *proto;
    const Onnx__GraphProto *g;
    int64_t opset;
    /* Values: every name in the graph gets an id. */
    int n_values;
    char **names;          /* borrowed from proto */
    ox_tensor **init;      /* per value: initializer or NULL */
    int input;             /* the runtime input's value id */
    ox_shape input_shape;  /* -1 where the batch dimension is symbolic */
    int output;            /* the output's value id */
    /* Nodes, with inputs/outputs resolved to value ids (-1 = absent optional). */
    int n_nodes;
    int **node_in;
    int **node_out;
    int *consumers;        /* per value: how many node inputs read it */
    const struct ox_op **node_op; /* per node: its dispatch row */
    ox_budget budget;      /* what loading used; each plan starts from it */
} ox_graph;

struct anchor_model {
    ox_graph graph;
    anchor_onnx_options opt;
    char preprocess[16];
    char *path;
    /* The image the model takes. */
    int nhwc;              /* input layout: 1 = NHWC, 0 = NCHW */
    int64_t in_h, in_w, in_c;
    int64_t num_classes;
    int64_t fixed_batch;   /* 0, or the declared batch once other sizes proved wrong */
    bool bf16;             /* heavy operators in bfloat16 (asked for, and the CPU has it) */
    int64_t rechecked;     /* bf16 rows run again in fp32 (near ties, model.c) */
    struct ox_plan *plans[OX_MAX_PLANS];
    uint64_t plan_clock[OX_MAX_PLANS], clock;
    struct ox_weights *weights; /* constants in oneDNN's layouts, shared by the plans (plan_build.c) */
    int n_weights, cap_weights;
    void *arena;           /* the activations of whichever plan runs (plan_memory.c) */
    size_t arena_bytes;
    float *input_buf;      /* preprocessing scratch */
    size_t input_cap;
    struct dnnl_engine *engine;
    struct dnnl_stream *stream;
};

/* load.c */
anchor_status anc_ox_graph_load(ox_graph *g, const char *path, anchor_error *err);
/* The same from bytes in memory; `name` names the model in messages. */
anchor_status anc_ox_graph_parse(ox_graph *g, const unsigned char *bytes, size_t size, const char *name,
                             anchor_error *err);
void anc_ox_graph_free(ox_graph *g);

/* tensor.c */
const Onnx__AttributeProto *anc_ox_attr(const Onnx__NodeProto *n, const char *name);
int64_t anc_ox_attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt);
float anc_ox_attr_float(const Onnx__NodeProto *n, const char *name, float dflt);
/* Both charge the tensor's bytes to `b` (when not NULL), refusing what exceeds it. */
anchor_status anc_ox_tensor_from_proto(ox_tensor **out, const Onnx__TensorProto *t, const char *what, ox_budget *b,
                                   anchor_error *err);
anchor_status anc_ox_tensor_new(ox_tensor **out, ox_type type, const ox_shape *shape, ox_budget *b, anchor_error *err);
void anc_ox_tensor_free(ox_tensor *t);
/* Adds `bytes` to the budget, or fails with a message saying what the limit is. */
anchor_status anc_ox_budget_charge(ox_budget *b, int64_t bytes, anchor_error *err);
/* The element count of a shape whose dimensions are each in 0..OX_MAX_DIM_VALUE, or -1 when
 * a dimension is out of that range or the product passes OX_MAX_TENSOR_ELEMS (checked at
 * every step, so it never overflows). */
int64_t anc_ox_shape_elems(const ox_shape *s);
/* The element count of a shape already checked with anc_ox_shape_elems. */
int64_t anc_ox_shape_count(const ox_shape *s);
const char *anc_ox_node_label(const Onnx__NodeProto *n, char *buf, size_t size);

/* plan.c */
typedef struct ox_plan ox_plan;
struct nctx;

/* ops.c: an operator we run, and the planner (op_*.c) that plans its nodes. */
typedef struct ox_op {
    const char *name;
    anchor_status (*plan)(ox_plan *p, const struct nctx *c);
    int variant;          /* passed to the planner in nctx.variant */
    int min_in, max_in;   /* inputs; the first min_in must be present (max_in -1: any number, all present) */
    int max_out;          /* outputs it may declare; only the first may be read (the rest are training-time);
                           * -1: any number, all computed (Split) */
    const char *attrs;    /* the attributes it knows, space separated; any other one is refused */
} ox_op;
/* The row for an ai.onnx operator name, or NULL when we do not run it. */
const ox_op *anc_ox_op_find(const char *op_type);

anchor_status anc_ox_plan_create(ox_plan **out, anchor_model *m, int64_t batch, anchor_error *err);
void anc_ox_plan_destroy(ox_plan *p);
/* The plan's input buffer (batch x the model's input shape, float32, model layout) and
 * output (batch x classes). */
float *anc_ox_plan_input(ox_plan *p); /* NULL when out of memory */
const float *anc_ox_plan_output(ox_plan *p);
int64_t anc_ox_plan_output_count(const ox_plan *p); /* per image */
anchor_status anc_ox_plan_run(ox_plan *p, anchor_error *err);
/* FLOPs of one image (2 x multiply-adds of Conv, Gemm and MatMul). */
double anc_ox_plan_flops(const ox_plan *p);
/* What the model, its folded constants and this plan's activations were charged, in bytes. */
int64_t anc_ox_plan_bytes(const ox_plan *p);

/* plan_build.c: frees the model's weight cache. */
void anc_ox_weights_free(anchor_model *m);

/* model.c: run a raw input tensor (already preprocessed, the model's layout and size) for
 * n images; writes n x num_classes floats (before the softmax option). For tests. */
anchor_status anc_model_run_tensor(anchor_model *m, const float *input, int64_t n, float *out,
                                      anchor_error *err);
/* anchor_model_load from bytes in memory (the fuzz target's door); `name` names the model. */
anchor_status anc_ox_model_load_bytes(anchor_model **out, const unsigned char *bytes, size_t size, const char *name,
                                  const anchor_onnx_options *opt, anchor_error *err);
anchor_status anc_ox_model_plan(anchor_model *m, int64_t batch, ox_plan **out, anchor_error *err);

#endif
