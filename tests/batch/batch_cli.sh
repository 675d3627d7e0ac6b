#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor explain on a folder: every image's folder equals a single-image run of the same
# image (same seed, same classifier program), with --jobs 2; results.jsonl/csv hold one
# line per image; a broken image is recorded and the run goes on (exit 3); a rerun skips
# complete images, --force redoes them, and a run killed midway loses only the images in
# flight.
source "$(dirname "$0")/common.sh"
make_photos
P=$work/photos

"$bin" explain "$P" --recursive --jobs 2 --predict-cmd "$predict" -o "$work/out" >"$work/stdout" 2>"$work/stderr"
rc=$?
[ $rc -eq 3 ] && ok || bad "a batch with one broken image: want exit 3, got $rc: $(cat "$work/stderr")"
# not a terminal: one plain line per image
n=$(grep -c '^\[[0-9]/6\] ' "$work/stderr")
[ "$n" -eq 6 ] && ok || bad "want 6 progress lines, got $n: $(cat "$work/stderr")"
grep -q '6 images: 5 explained (0 from an earlier run), 1 failed' "$work/stdout" && ok || bad "summary: $(cat "$work/stdout")"

# on a terminal (a pty from util-linux's script): a bar with done/total, rate, ETA, current image
if command -v script >/dev/null; then
  printf '%s\n' "$P/dog.png" "$P/sub/owl.png" >"$work/two.txt"
  script -qc "'$bin' explain @'$work/two.txt' --predict-cmd '$predict' -o '$work/tty'" /dev/null >"$work/tty.log" 2>&1
  tr '\r' '\n' <"$work/tty.log" | grep -Eq '^\[#{24}\] 2/2 [0-9.]+ img/s ETA 0:00  0 failed' && ok ||
    bad "no progress bar on a terminal: $(cat -v "$work/tty.log")"
  tr '\r' '\n' <"$work/tty.log" | grep -Eq '^\[#{12}-{12}\] 1/2 .*(dog|sub/owl)\.png' && ok ||
    bad "the bar does not name the current image: $(cat -v "$work/tty.log")"
fi

# names from relative paths, collision-safe (cat.npy and cat.png share a stem)
for d in cat cat-2 dog sub__cat sub__owl; do
  [ -f "$work/out/$d/explanation.json" ] && ok || bad "no $d/explanation.json"
done
[ ! -e "$work/out/broken" ] && ok || bad "the broken image left a folder"
$py - "$work/out" <<'PY' && ok || bad "results.jsonl / results.csv"
import csv, json, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(f"{d}/results.jsonl")]
assert [r["path"] for r in rows] == ["broken.png", "cat.npy", "cat.png", "dog.png", "sub/cat.png", "sub/owl.png"], rows
assert [r["output"] for r in rows] == ["broken", "cat", "cat-2", "dog", "sub__cat", "sub__owl"], rows
bad = rows[0]
assert bad["status"] == "ERROR" and "broken.png" in bad["error"] and bad["precision"] is None, bad
for r in rows[1:]:
    e = json.load(open(f"{d}/{r['output']}/explanation.json"))
    assert r["status"] == e["status"] and r["anchor"] == e["data"]["raw"]["feature"], (r, e["status"])
    assert r["precision"] == e["data"]["precision"] and r["coverage"] == e["data"]["coverage"], r
    assert r["class_index"] == e["data"]["raw"]["instance_label"], r
    assert r["images_predicted"] == e["stats"]["images_predicted"] and r["n_segments"] == e["stats"]["n_segments"]
table = list(csv.DictReader(open(f"{d}/results.csv")))
assert [t["path"] for t in table] == [r["path"] for r in rows]
for t, r in zip(table, rows):
    assert t["status"] == r["status"] and t["anchor"] == " ".join(map(str, r["anchor"])), (t, r)
    if r["precision"] is not None:
        assert float(t["precision"]) == r["precision"] and float(t["coverage"]) == r["coverage"]
PY

# each image's folder equals a single-image run's
for pair in cat.npy:cat sub/owl.png:sub__owl; do
  f=${pair%%:*} d=${pair##*:}
  "$bin" explain "$P/$f" --predict-cmd "$predict" -o "$work/single_$d" >/dev/null 2>&1 || bad "single run of $f failed"
  a=$(explanation_core "$work/single_$d/explanation.json") b=$(explanation_core "$work/out/$d/explanation.json")
  [ "$a" = "$b" ] && ok || bad "$f: batch $b != single $a"
  cmp -s "$work/single_$d/anchor.png" "$work/out/$d/anchor.png" && cmp -s "$work/single_$d/segments.npy" \
    "$work/out/$d/segments.npy" && ok || bad "$f: anchor.png or segments.npy differ from a single run"
done

# a rerun skips the complete images and retries the failed one
stamp=$(stat -c %Y.%i "$work/out/dog/explanation.json")
"$bin" explain "$P" --recursive --predict-cmd "$predict" -o "$work/out" --quiet >"$work/stdout" 2>&1
rc=$?
[ $rc -eq 3 ] && [ ! -s "$work/stdout" ] && ok || bad "--quiet rerun: exit $rc, output $(cat "$work/stdout")"
[ "$(stat -c %Y.%i "$work/out/dog/explanation.json")" = "$stamp" ] && ok || bad "a rerun redid dog"
[ "$(wc -l <"$work/out/results.jsonl")" -eq 6 ] && ok || bad "rerun: results.jsonl has $(wc -l <"$work/out/results.jsonl") lines"
"$bin" explain "$P" --recursive --predict-cmd "$predict" -o "$work/out" >"$work/stdout" 2>&1
grep -q '5 explained (5 from an earlier run)' "$work/stdout" && ok || bad "rerun summary: $(cat "$work/stdout")"
# --force redoes them (a new folder, same answer)
before=$(results_core "$work/out/results.jsonl")
rm "$P/broken.png"
"$bin" explain "$P" --recursive --force --jobs 2 --predict-cmd "$predict" -o "$work/out" >"$work/stdout" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || bad "--force without the broken image: want exit 0, got $rc: $(cat "$work/stdout")"
[ "$(stat -c %Y.%i "$work/out/dog/explanation.json")" != "$stamp" ] && ok || bad "--force did not redo dog"
after=$(results_core "$work/out/results.jsonl")
[ "$(echo "$before" | grep -v broken.png)" = "$after" ] && ok || bad "--force changed the answers: $before // $after"

# killed midway: at most the images in flight are lost, the rerun completes the list
rm -rf "$work/out2"
"$bin" explain "$P" --recursive --predict-cmd "$predict" -o "$work/out2" --quiet &
pid=$!
for _ in $(seq 1 600); do
  [ -s "$work/out2/results.jsonl" ] && break
  sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null
done_before=$(wc -l <"$work/out2/results.jsonl")
[ "$done_before" -ge 1 ] && [ "$done_before" -lt 5 ] && ok || bad "kill: $done_before lines before the kill"
for d in "$work"/out2/*/; do
  case "$d" in *.tmp.*/|*.old.*/) continue ;; esac # the killed writer's own temporary folder
  [ -f "$d/explanation.json" ] || bad "a half-written folder $d after the kill"
done
"$bin" explain "$P" --recursive --predict-cmd "$predict" -o "$work/out2" >"$work/stdout" 2>&1
rc=$?
left=$(find "$work/out2" -maxdepth 1 -name '*.tmp.*' -o -maxdepth 1 -name '*.old.*')
[ -z "$left" ] && ok || bad "the rerun left the killed run's temporary folders: $left"
[ $rc -eq 0 ] && grep -q "5 images: 5 explained ($done_before from an earlier run)" "$work/stdout" && ok ||
  bad "rerun after a kill: exit $rc, $(cat "$work/stdout")"
[ "$(results_core "$work/out2/results.jsonl")" = "$after" ] && ok || bad "after a kill and a rerun the answers differ"
finish
