/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the ONNX planner: placing a finished plan's runtime values in memory. */
#ifndef ANCHOR_ONNX_PLAN_MEMORY_H
#define ANCHOR_ONNX_PLAN_MEMORY_H

#include "predict/onnx/plan_build.h"

/* Lifetimes, blocks, oneDNN memories and bound primitive arguments for plan p. */
anchor_status anc_plan_finalize(ox_plan *p);
/* Points p's runtime values into the model's activation arena, growing the arena when p
 * needs more; a no-op when they already do. */
anchor_status anc_plan_bind(ox_plan *p, anchor_error *err);

#endif
