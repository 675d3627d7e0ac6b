/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: built-in ONNX inference (oneDNN), as a predictor for the explainer.
 *
 * Supported: ONNX IR versions 3-8, opsets 7-17, one float input (float16 models run in
 * float32): image classifiers, CNNs and transformers (all 22 torchvision 0.14 classification
 * architectures, ViT, Swin and ConvNeXt included), built from Conv, BatchNormalization,
 * InstanceNormalization, LayerNormalization, LRN, the activations (Relu, LeakyRelu, PRelu,
 * Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Abs, Erf, Sqrt, Exp, Log, Reciprocal, Pow,
 * Neg, Elu, Selu, Softplus, Softsign), Add/Sub/Mul/Div/Min/Max/Sum/Mean/Mod (broadcasting),
 * comparisons and Where, pooling, Gemm, MatMul (batched, both sides computed), Softmax and
 * LogSoftmax, the Reduce* family, Resize/Upsample (nearest; linear on the last two axes),
 * Concat, Split, Slice, Gather, Tile, Expand, ScatterND, Pad, Flatten, Reshape, Squeeze,
 * Unsqueeze, Transpose, Dropout, Identity, and Shape/Constant/ConstantOfShape/Cast/Range on
 * shapes. Whatever depends only on shapes is folded into constants when a batch size is
 * planned. Anything else is refused by name (the node and the operator) when loading.
 * The input layout (NCHW or NHWC) and size come from the model's input shape. A model
 * whose input declares a fixed batch is still run at other batch sizes when that works,
 * else in batches of exactly its declared size.
 *
 * A model runs one batch at a time: share it between threads only with a lock
 * (anchor_predictor_create_serialized in predict.h is one). */
#ifndef ANCHOR_ONNX_H
#define ANCHOR_ONNX_H

#include <stdbool.h>

#include "anchor/predict.h"
#include "anchor/resize.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The number format of the heavy operators (Conv, Gemm, MatMul with constant weights).
 * BF16 keeps their weights and inputs in bfloat16 (8-bit mantissa), accumulating and
 * writing float32, when the CPU computes bfloat16 natively (AVX512-BF16 or AMX, as oneDNN
 * detects at run time); every other operator stays float32. On other CPUs a BF16 model runs
 * in FP32: anchor_model_precision says which one a model got. FP32 is exact to the model. */
typedef enum anchor_precision { ANCHOR_PRECISION_FP32 = 0, ANCHOR_PRECISION_BF16 = 1 } anchor_precision;
/* "fp32" or "bf16" (any case); fails naming the text otherwise. */
ANCHOR_API anchor_status anchor_precision_parse(const char *text, anchor_precision *out, anchor_error *err);
ANCHOR_API const char *anchor_precision_name(anchor_precision p);

typedef struct anchor_onnx_options {
    const char *preprocess; /* "raw" (default), "raw-bgr", "inception", "caffe", "torch" */
    bool softmax;           /* apply softmax to the model's output (for logits) */
    int threads;            /* 0 = all cores */
    int64_t max_batch;      /* images per engine run; 0 = engine's choice (32) */
    anchor_precision precision; /* FP32 (default) or BF16 */
} anchor_onnx_options;
ANCHOR_API void anchor_onnx_options_default(anchor_onnx_options *opt);

typedef struct anchor_model anchor_model;

/* Load and plan a model. A model file is treated as untrusted input: the graph is checked
 * once here (known operators and attributes, arities, omitted inputs, outputs, shapes), and
 * what it may make the loader allocate is bounded (256 MiB plus 16 bytes per byte of the
 * file; activations per image at batch sizes the caller chooses). Training-mode
 * attributes and anything not computed exactly are refused by name. Fails with a one-line
 * message naming the file, the node or tensor, and the problem. */
ANCHOR_API anchor_status anchor_model_load(const char *path, const anchor_onnx_options *opt, anchor_model **out,
                                anchor_error *err);
ANCHOR_API void anchor_model_destroy(anchor_model *m);
/* The image size the model takes (from its input shape). */
ANCHOR_API int64_t anchor_model_input_height(const anchor_model *m);
ANCHOR_API int64_t anchor_model_input_width(const anchor_model *m);
ANCHOR_API int64_t anchor_model_input_channels(const anchor_model *m);
ANCHOR_API int64_t anchor_model_num_classes(const anchor_model *m);
/* The precision the model runs in: the one asked for, or FP32 when BF16 was asked for on a
 * CPU without native bfloat16 (callers tell their users so). */
ANCHOR_API anchor_precision anchor_model_precision(const anchor_model *m);
/* In BF16, images whose two best scores came out near a tie are scored again in FP32 and
 * those scores kept, so that the top-1 label is FP32's: how many, since the model was
 * loaded (0 in FP32). */
ANCHOR_API int64_t anchor_model_rechecked(const anchor_model *m);
/* The instruction set oneDNN runs this process's kernels with, as oneDNN names it
 * ("avx512_core_bf16", "avx512_core_amx", "avx2"...); a static string. */
ANCHOR_API const char *anchor_model_isa(const anchor_model *m);

/* Score a batch of H x W x C images (uint8 0..255, or float32/float64 0..255 as in a
 * photo, RGB) after the model's preprocessing; writes N x num_classes scores into `out`.
 * H, W and C must be the model's (resize first); a model whose input is not rank 4 takes
 * no images. */
ANCHOR_API anchor_status anchor_model_predict(anchor_model *m, const anchor_image *batch,
                                              anchor_prediction *out,
                                              anchor_error *err);

/* A predictor handle that owns the model (destroyed with the predictor). */
ANCHOR_API anchor_status anchor_predictor_create_model(anchor_model *model, anchor_predictor **out, anchor_error *err);

#ifdef __cplusplus
}
#endif
#endif
