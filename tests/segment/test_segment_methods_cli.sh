#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor segment --method quickshift|felzenszwalb|grid`: labels equal to skimage's (the
# fixtures of tools/make_segment_fixtures.py), K printed, and bad --seg-arg values refused
# with a message naming the key, a non-zero exit and no output file.
set -uo pipefail
bin=${ANCHOR_BIN:?} fix=${ANCHOR_FIXTURES:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() { # description, condition...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
# the int32 data of a .npy, whatever its header
data() { tail -c "$2" "$1"; }

gzip -dc "$fix/quickshift/img_chelsea299.npy.gz" >"$work/chelsea.npy"
gzip -dc "$fix/felzenszwalb/img_astronaut320x240.npy.gz" >"$work/astronaut.npy"
n_chelsea=$((299 * 299 * 4)) n_astronaut=$((320 * 240 * 4))

# fidelity through the CLI
run_case() { # method image fixture-area fixture-case nbytes k-expected seg-args...
  local method=$1 image=$2 area=$3 case=$4 nbytes=$5 k=$6
  shift 6
  local args=()
  for a in "$@"; do args+=(--seg-arg "$a"); done
  local out
  out=$("$bin" segment "$work/$image.npy" -o "$work/$case.npy" --method "$method" "${args[@]}" 2>"$work/err")
  check "$case: exit 0" test $? -eq 0
  check "$case: prints K = $k (got '$out')" test "$out" = "$k"
  gzip -dc "$fix/$area/$case.npy.gz" >"$work/want.npy"
  check "$case: labels equal skimage's" cmp -s <(data "$work/$case.npy" "$nbytes") <(data "$work/want.npy" "$nbytes")
}
run_case quickshift chelsea quickshift qs_lime_chelsea $n_chelsea 57 kernel_size=4 max_dist=200 ratio=0.2
run_case quickshift chelsea quickshift qs_default_chelsea $n_chelsea 133 ratio=1.0
run_case felzenszwalb astronaut felzenszwalb fz_lime_astronaut $n_astronaut 230 scale=100 sigma=0.5 min_size=50
run_case felzenszwalb astronaut felzenszwalb fz_default_astronaut $n_astronaut 919 scale=1

# grid: 3 x 5 tiles of a 299 x 299 image
out=$("$bin" segment "$work/chelsea.npy" -o "$work/grid.npy" --method grid --seg-arg rows=3 --seg-arg cols=5)
check "grid: exit 0, K = 15" test $? -eq 0 -a "$out" = 15

# bad values: message names the key, non-zero exit, no output
bad() { # method key=value expected-text
  local method=$1 kv=$2 text=$3
  rm -f "$work/bad.npy"
  "$bin" segment "$work/chelsea.npy" -o "$work/bad.npy" --method "$method" --seg-arg "$kv" 2>"$work/err" >/dev/null
  local rc=$?
  check "$method $kv: exit $rc != 0" test $rc -ne 0
  check "$method $kv: message mentions '$text': $(head -c 200 "$work/err")" grep -q -- "$text" "$work/err"
  check "$method $kv: no output file" test ! -e "$work/bad.npy"
}
bad quickshift kernel_size=0 kernel_size
bad quickshift kernel_size=-2 kernel_size
bad quickshift kernel_size=0.5 kernel_size
bad quickshift ratio=1.5 ratio
bad quickshift ratio=-0.1 ratio
bad quickshift max_dist=abc max_dist
bad quickshift random_seed=-1 random_seed
bad quickshift n_segments=3 n_segments
bad felzenszwalb scale=0 scale
bad felzenszwalb scale=-1 scale
bad felzenszwalb sigma=-1 sigma
bad felzenszwalb min_size=-5 min_size
bad felzenszwalb kernel_size=3 kernel_size
bad grid rows=0 rows
bad grid cols=-1 cols
bad grid rows=300 rows
bad grid cols=1000 cols
bad grid rows=x rows
exit $fail
