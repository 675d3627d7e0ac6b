#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run examples/explain_with_callback on a shared photo (skip when ../shared is absent).
set -u
photo=${ANCHOR_SHARED:-/nonexistent}/images/chelsea.png
if [ ! -f "$photo" ]; then echo "SKIP: $photo is absent (../shared)"; exit 77; fi
"$1" "$photo"
