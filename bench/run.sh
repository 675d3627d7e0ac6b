#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: run every bench/bench_*.sh side by side with its reference and print ratios.
# Benchmarks need the reference packages (skimage, torch, ...): installed with --tools.
set -euo pipefail
bin=$(readlink -f "$1") shared=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../scripts/install-deps.sh" --tools
only=${BENCH:-}
for b in "$here"/bench_*.sh; do
  name=$(basename "$b" .sh)
  [ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
  echo "=== $name"
  bash "$b" "$bin" "$shared" || echo "$name failed (exit $?)"
done
