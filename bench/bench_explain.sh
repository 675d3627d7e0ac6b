#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Explainer overhead and images sent to the model, ours against alibi's, per reference case.
# usage: bench/bench_explain.sh ANCHOR_BIN SHARED   (env BENCH_REPEAT, default 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/bench_explain.py" "$1" "$2"
