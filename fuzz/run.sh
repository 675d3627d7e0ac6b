#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run every fuzz target of a build (fuzz/CMakeLists.txt) for SECONDS each, in one process each,
# one after the other:  bash fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Seed corpora are made here from tests/fixtures (never committed): photos for the image
# decoder (behind the mode byte the target reads first), .npy files for .npy and label
# maps (with gray PNGs for the latter), and a few well-formed and lying answers for the
# pipe answer parser; the ONNX loader gets the small ONNX fixtures and the hostile files of
# fuzz/onnx_corpus.sh, its dictionary fuzz/onnx.dict, and issue 9's bounds (10 s a run, 2 GB).
# New inputs found go to BUILD_DIR/fuzz-corpus/<target>, crashes to
# BUILD_DIR/fuzz-crash/. Prints, per target, executions and whether anything was found.
set -u
build=${1:?build dir} seconds=${2:?seconds}
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
fx=$src/tests/fixtures
corpus=$build/fuzz-corpus seeds=$build/fuzz-seeds crash=$build/fuzz-crash
mkdir -p "$crash"

seed_files() { # TARGET: seed files (small ones) on stdout
  case $1 in
  fuzz_image_decode) find "$fx" \( -name '*.png' -o -name '*.jpg' -o -name '*.jpeg' \) -size -64k ;;
  fuzz_npy) find "$fx" -name '*.npy' -size -64k ;;
  fuzz_labels) find "$fx" -name '*.npy' -size -64k; find "$fx/image" -name '*gray*.png' -size -64k ;;
  *) ;;
  esac
}

make_seeds() { # TARGET DIR
  local t=$1 d=$2 i=0 f
  mkdir -p "$d"
  for f in $(seed_files "$t" | head -n 200); do
    i=$((i + 1))
    if [ "$t" = fuzz_image_decode ]; then
      { printf '\001'; cat "$f"; } >"$d/seed_$i"
    else
      cp "$f" "$d/seed_$i"
    fi
  done
  if [ "$t" = fuzz_pipe_answer ]; then # count byte, chunk byte, then an answer .npy
    local h
    for h in "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }:48" \
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1000), }:8000" \
      "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }:16" \
      "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }:2" \
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 1), }:48"; do
      local dict=${h%:*} n=${h##*:} pad
      pad=$(printf '%*s' $((117 - ${#dict})) '')
      i=$((i + 1))
      { printf '\001\007\223NUMPY\001\000v\000%s%s\n' "$dict" "$pad"; head -c "$n" /dev/urandom; } >"$d/seed_$i"
    done
  fi
}

# Per-target libFuzzer flags: the ONNX loader is held to issue 9's limits.
target_flags() {
  case $1 in
  fuzz_onnx_load) echo "-dict=$src/fuzz/onnx.dict -timeout=10 -rss_limit_mb=2048" ;;
  *) echo "-rss_limit_mb=4096" ;;
  esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(cd "$build/fuzz" && ls fuzz_* 2>/dev/null | grep -v '\.'))
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets in $build/fuzz (configure with -DANCHOR_FUZZ=ON)"; exit 1; }
status=0
for t in "${targets[@]}"; do
  rm -rf "$seeds/$t"
  if [ "$t" = fuzz_onnx_load ]; then
    bash "$src/fuzz/onnx_corpus.sh" "$seeds/$t" >/dev/null
  else
    make_seeds "$t" "$seeds/$t"
  fi
  mkdir -p "$corpus/$t"
  log=$build/fuzz-$t.log
  "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 $(target_flags "$t") \
    -artifact_prefix="$crash/$t-" "$corpus/$t" "$seeds/$t" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  if [ $rc -eq 0 ]; then
    echo "$t: ${execs:-?} executions in ${seconds} s, no finding"
  else
    status=1
    echo "$t: FINDING after ${execs:-?} executions (exit $rc), see $log and $crash/"
    grep -m 3 -E 'ERROR|SUMMARY' "$log" | sed 's/^/    /'
  fi
done
exit $status
