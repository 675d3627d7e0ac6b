/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the ONNX planner: the C kernels (steps without a good oneDNN match), each
 * on row-major float32 data, with its parameters in the step's ip/fp slots (see kernels.c). */
#ifndef ANCHOR_ONNX_KERNELS_H
#define ANCHOR_ONNX_KERNELS_H

#include "predict/onnx/plan_build.h"

void anc_k_binary(ox_plan *p, const pstep *s);
void anc_k_pad(ox_plan *p, const pstep *s);
void anc_k_avgpool(ox_plan *p, const pstep *s);

void anc_k_unary(ox_plan *p, const pstep *s);
/* v rounded to the nearest float16 (ties to even; beyond 65504 an infinity), as a float:
 * what Cast to FLOAT16 leaves of a value, for folding and at run time. */
float anc_round_half(double v);

#endif
