#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor explain's batch mode on bad input: each case exits 2 with a message naming the
# problem, before any work: no output folder appears and the classifier never starts.
source "$(dirname "$0")/common.sh"
make_photos
P=$work/photos
mkdir -p "$work/empty" "$work/unreadable"
touch "$work/unreadable/x.png"
chmod 000 "$work/unreadable"
: >"$work/empty.txt"
printf '# comment only\n\n' >"$work/comments.txt"
printf '%s\n%s\n' "$P/cat.png" "$P/nothere.png" >"$work/badline.txt"
printf '%s\n' "$P/sub" >"$work/dirline.txt"
# a classifier that records being started: it must never be
starter="sh -c 'touch $work/started; exec $predict'"

expect() { # NEEDLE -- args... (after "explain")
  local needle=$1
  shift 2
  rm -rf "$work/out" "$work/started"
  "$bin" explain "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  if [ $rc -ne 2 ]; then
    bad "[$*]: want exit 2, got $rc: $(cat "$work/stderr")"
  elif ! grep -qF -- "$needle" "$work/stderr"; then
    bad "[$*]: want '$needle' in: $(cat "$work/stderr")"
  elif [ -e "$work/out" ] || [ -e "$work/started" ]; then
    bad "[$*]: work was done (output folder or classifier started)"
  else
    ok
  fi
}
expect "$work/missing: No such file" -- "$P" "$work/missing" --predict-cmd "$starter" -o "$work/out"
expect "no images in the folder" -- "$work/empty" --predict-cmd "$starter" -o "$work/out"
if [ "$(id -u)" != 0 ]; then # root reads any folder
  expect "cannot read the folder" -- "$work/unreadable" --predict-cmd "$starter" -o "$work/out"
fi
expect "the list names no images" -- "@$work/empty.txt" --predict-cmd "$starter" -o "$work/out"
expect "the list names no images" -- "@$work/comments.txt" --predict-cmd "$starter" -o "$work/out"
expect "cannot read the list" -- "@$work/nolist.txt" --predict-cmd "$starter" -o "$work/out"
expect "badline.txt line 2: $P/nothere.png" -- "@$work/badline.txt" --predict-cmd "$starter" -o "$work/out"
expect "dirline.txt line 1: $P/sub: not a file" -- "@$work/dirline.txt" --predict-cmd "$starter" -o "$work/out"
expect "is inside the input folder" -- "$P" --predict-cmd "$starter" -o "$P/out"
expect "is inside the input folder" -- "$P" --predict-cmd "$starter" -o "$P"
expect "out of range" -- "$P" --shard 3/3 --predict-cmd "$starter" -o "$work/out"
expect "expected I/N" -- "$P" --shard 1 --predict-cmd "$starter" -o "$work/out"
expect "not a shard count" -- "$P" --shard 0/x --predict-cmd "$starter" -o "$work/out"
expect "neither JOB_COMPLETION_INDEX" -- "$P" --shard auto --predict-cmd "$starter" -o "$work/out"
JOB_COMPLETION_INDEX=4 expect "out of range" -- "$P" --shard auto/4 --predict-cmd "$starter" -o "$work/out"
JOB_COMPLETION_INDEX=1 expect "--shard auto/N" -- "$P" --shard auto --predict-cmd "$starter" -o "$work/out"
SLURM_ARRAY_TASK_ID=2 expect "SLURM_ARRAY_TASK_COUNT is not set" -- "$P" --shard auto --predict-cmd "$starter" -o "$work/out"
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 expect "shard 4 of 4 is out of range" -- \
  "$P" --shard auto --predict-cmd "$starter" -o "$work/out"
expect "--jobs: 0 is out of range" -- "$P" --jobs 0 --predict-cmd "$starter" -o "$work/out"
expect "--labels $work/nolabels.txt" -- "$P" --labels "$work/nolabels.txt" --predict-cmd "$starter" -o "$work/out"
: >"$work/out.file"
expect "exists and is not a folder" -- "$P" --predict-cmd "$starter" -o "$work/out.file"
expect "no output directory" -- "$P" --predict-cmd "$starter"
# anchor report
rm -rf "$work/out"
"$bin" report "$work/empty" -o "$work/merged" >/dev/null 2>"$work/stderr"
[ $? -eq 1 ] && grep -q "no results.jsonl" "$work/stderr" && ok || bad "report of a non-batch folder: $(cat "$work/stderr")"
"$bin" report "$work/empty" "$P" >/dev/null 2>"$work/stderr"
[ $? -eq 2 ] && grep -q "with -o OUTDIR" "$work/stderr" && ok || bad "report of two folders without -o"
chmod 700 "$work/unreadable"
finish
