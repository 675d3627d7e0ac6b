#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Three shards as three processes, as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) and a
# Slurm array (SLURM_ARRAY_TASK_ID from 1) would start them, joined by anchor report: the
# merged results equal one unsharded run, every image once, folders linked where they are.
source "$(dirname "$0")/common.sh"
make_photos
P=$work/photos

"$bin" explain "$P" --recursive --predict-cmd "$predict" -o "$work/whole" --quiet
[ $? -eq 3 ] && ok || bad "the unsharded run (one broken image) should exit 3"
JOB_COMPLETION_INDEX=0 "$bin" explain "$P" --recursive --shard auto/3 --predict-cmd "$predict" -o "$work/s0" --quiet &
p0=$!
JOB_COMPLETION_INDEX=1 "$bin" explain "$P" --recursive --shard auto/3 --predict-cmd "$predict" -o "$work/s1" --quiet &
p1=$!
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 \
  "$bin" explain "$P" --recursive --shard auto --predict-cmd "$predict" -o "$work/s2" --quiet &
p2=$!
wait $p0; r0=$?
wait $p1; r1=$?
wait $p2; r2=$?
# sorted: broken.png cat.npy cat.png dog.png sub/cat.png sub/owl.png -> shard 0 has broken and dog
[ "$r0 $r1 $r2" = "3 0 0" ] && ok || bad "shard exit codes: $r0 $r1 $r2 (want 3 0 0)"
for s in 0 1 2; do
  [ "$(wc -l <"$work/s$s/results.jsonl")" -eq 2 ] && ok || bad "shard $s has $(wc -l <"$work/s$s/results.jsonl") images"
done
"$bin" report "$work/s0" "$work/s1" "$work/s2" -o "$work/merged" >"$work/stdout" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "6 images: 5 explained, 1 failed" "$work/stdout" && ok || bad "report: exit $rc, $(cat "$work/stdout")"
a=$(results_core "$work/whole/results.jsonl") b=$(results_core "$work/merged/results.jsonl")
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "merged shards differ from one run: $a // $b"
$py - "$work/merged" <<'PY' && ok || bad "merged outputs do not point at the shard folders"
import json, os, sys
d = sys.argv[1]
for line in open(f"{d}/results.jsonl"):
    r = json.loads(line)
    assert r["output"].startswith("../s"), r["output"]
    if r["status"] != "ERROR":
        assert os.path.isfile(os.path.join(d, r["output"], "explanation.json")), r["output"]
PY
n=$(grep -c 'class="card ' "$work/merged/report.html")
[ "$n" -eq 6 ] && ok || bad "merged report.html has $n cards"
# the same shards given twice, and a rebuilt single folder, change nothing
"$bin" report "$work/s0" "$work/s1" "$work/s2" "$work/s1" -o "$work/merged2" >/dev/null 2>&1
[ "$(results_core "$work/merged2/results.jsonl")" = "$a" ] && ok || bad "a shard given twice changed the merge"
cp "$work/whole/results.jsonl" "$work/before.jsonl"
"$bin" report "$work/whole" >/dev/null 2>&1
cmp -s "$work/whole/results.jsonl" "$work/before.jsonl" && ok || bad "rebuilding one folder's report changed results.jsonl"
finish
