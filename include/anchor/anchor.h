/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: explain image classifiers with Anchors, the same answers as alibi's AnchorImage.
 * The umbrella header; each stage of the pipeline has its own. */
#ifndef ANCHOR_ANCHOR_H
#define ANCHOR_ANCHOR_H

#include "anchor/export.h"
#include "anchor/version.h"
#include "anchor/status.h"
#include "anchor/image.h"
#include "anchor/resize.h"
#include "anchor/segment.h"
#include "anchor/render.h"
#include "anchor/predict.h"
#include "anchor/explain.h"
#include "anchor/output.h"
#include "anchor/onnx.h"
#include "anchor/remote.h"
#include "anchor/batch.h"

#endif
