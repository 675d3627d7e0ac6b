#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGKILL `anchor explain` at 30 random moments, during the search and while OUTDIR is
# written, and check each time:
#  - OUTDIR is whole (explanation.json parses and every file it names is there) or absent;
#  - the next run (here one that fails fast, after its output check) leaves no
#    OUTDIR.tmp.* / OUTDIR.old.* behind;
#  - no predictor process is left (the fake predictor carries a unique token).
# Half the moments are uniform over a whole run, half fall in its last 40% (segment
# writing, the last model calls and the many example PNGs).
# The predictor is mean_predictor (C, fast) started through a shell with the token as a
# comment-free argument of `exec`, so runs are short and many kills land in the writing.
# Env: ANCHOR_BIN, ANCHOR_SOURCE, ANCHOR_MEAN_PREDICTOR. Needs /usr/bin/python3 with numpy.
set -u
bin=${ANCHOR_BIN:?} src=${ANCHOR_SOURCE:?} mean=${ANCHOR_MEAN_PREDICTOR:?}
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null ||
  { echo "SKIP: needs /usr/bin/python3 with numpy"; exit 77; }
W=$(mktemp -d /tmp/anchor_kill.XXXXXX)
token="anchor-kill-test-$$"
token_pids() {
  ps -eo pid=,stat=,args= | awk -v t="$token" 'index($0, t) && $2 !~ /^Z/ && !/awk/ && !/ps -eo/ {print $1}'
}
cleanup() {
  local pids
  pids=$(token_pids)
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT

/usr/bin/python3 - "$W" "$src/tests/cli" <<'PY' || exit 1
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from pngio import write_png
y, x = np.mgrid[0:48, 0:64]
write_png(f"{sys.argv[1]}/photo.png", np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8))
PY
P="$mean $token"
args=("$W/photo.png" --seg-arg n_segments=20 --threshold 0.99 --n-covered-ex 100 --predict-cmd "$P" -o "$W/out")
run() { "$bin" explain "${args[@]}"; }

# whole: explanation.json ends with its closing brace, and every file it names is there
whole_or_absent() {
  local d="$W/out" f
  [ -e "$d" ] || return 0
  [ "$(tail -c 2 "$d/explanation.json" 2>/dev/null)" = "}" ] || { echo "explanation.json missing or cut"; return 1; }
  for f in anchor.png segments.npy segments.png overlay.png \
    $(grep -o '"examples/[a-z_0-9]*\.png"' "$d/explanation.json" | tr -d '"'); do
    [ -s "$d/$f" ] || { echo "incomplete OUTDIR: no $f"; return 1; }
  done
}

now() { date +%s.%N; }
t0=$(now)
run >/dev/null 2>"$W/stderr" || { echo "FAIL the reference run: $(cat "$W/stderr")"; exit 1; }
T=$(echo "$(now) - $t0" | bc)
echo "a whole run takes $T s"
rm -rf "$W/out"

fail=0 in_writing=0
for i in $(seq 1 30); do
  if [ $((i % 2)) -eq 0 ]; then
    at=$(echo "scale=3; $T * (0.6 + 0.4 * $RANDOM / 32767)" | bc)
  else
    at=$(echo "scale=3; $T * $RANDOM / 32767" | bc)
  fi
  [ $((i % 4)) -lt 2 ] && rm -rf "$W/out" # half the runs create OUTDIR, half replace it
  "$bin" explain "${args[@]}" >/dev/null 2>&1 & # a simple command: $! is anchor itself
  pid=$!
  sleep "$at"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  compgen -G "$W/out.tmp.$pid" >/dev/null && in_writing=$((in_writing + 1))
  why=""
  msg=$(whole_or_absent 2>&1) || why="$why $msg;"
  # the next run: fails at once on a missing image, after it has checked OUTDIR
  "$bin" explain "$W/missing.png" --predict-cmd "$P" -o "$W/out" >/dev/null 2>&1
  compgen -G "$W/out.*" >/dev/null && why="$why left after the next run: $(ls -d "$W"/out.* | tr '\n' ' ');"
  msg=$(whole_or_absent 2>&1) || why="$why after the next run: $msg;"
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(token_pids)" ] && break; sleep 0.1; done
  pids=$(token_pids)
  [ -z "$pids" ] || { why="$why predictor processes left: $pids;"; kill -KILL $pids 2>/dev/null; }
  state=absent
  [ -e "$W/out" ] && state=whole
  if [ -z "$why" ]; then
    echo "ok   kill $i at $at s: OUTDIR $state"
  else
    fail=$((fail + 1))
    echo "FAIL kill $i at $at s:$why"
  fi
done
echo "$in_writing of 30 kills fell while OUTDIR.tmp was being written"
# and a last whole run after all that
if run >/dev/null 2>"$W/stderr" && whole_or_absent && [ -e "$W/out" ] && ! compgen -G "$W/out.*" >/dev/null; then
  echo "ok   a whole run after the kills"
else
  fail=$((fail + 1)); echo "FAIL the run after the kills: $(cat "$W/stderr")"
fi
echo "$fail failed"
[ $fail -eq 0 ]
