# SPDX-License-Identifier: Apache-2.0
# Shared set-up of the batch tests (sourced): a work folder with a few small photos made
# here (no ../shared pictures needed), the toy classifier of the alibi fixtures as a pipe
# program, and JSON helpers in Python.
# Env: ANCHOR_BIN (the CLI), ANCHOR_SOURCE (repo root), ANCHOR_SHARED (../shared).
set -u
bin=${ANCHOR_BIN:?} src=${ANCHOR_SOURCE:?} shared=${ANCHOR_SHARED:-}
py=/usr/bin/python3
toy="$shared/predictors/toy_linear.py"
if [ ! -f "$toy" ]; then
  echo "SKIP: $toy not found (the shared folder holds the toy classifier)"
  exit 77
fi
predict="$py $toy"
work=$(mktemp -d /tmp/anchor_batch_test.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit $?
}

# photos/: five 64 x 48 pictures (cat.png and cat.npy share a stem; one in a sub-folder has
# the same name as one above), and one broken file
make_photos() {
  mkdir -p "$work/photos/sub"
  $py - "$work/photos" "$src/tests/cli" <<'PY' || exit 1
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from pngio import write_png
d = sys.argv[1]
y, x = np.mgrid[0:48, 0:64]
for k, name in enumerate(["cat.png", "cat.npy", "dog.png", "sub/owl.png", "sub/cat.png"]):
    img = np.stack([(x * (3 + k)) % 256, (y * (5 + 2 * k)) % 256, ((x + y) * (k + 1)) % 256], axis=-1)
    img = img.astype(np.uint8)
    if name.endswith(".npy"):
        np.save(f"{d}/{name}", img)
    else:
        write_png(f"{d}/{name}", img)
open(f"{d}/broken.png", "wb").write(b"\x89PNG\r\n\x1a\nnot really")
PY
}

# the fields of results.jsonl that do not depend on timing or folders, one line per image
results_core() {
  $py - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(json.dumps({k: r[k] for k in ("path", "status", "error", "class_index", "anchor", "n_segments",
                                         "precision", "coverage", "images_predicted")}, sort_keys=True))
PY
}

# an explanation.json's answer: anchor, precisions, coverages, batch sizes, label
explanation_core() {
  $py - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
raw = d["data"]["raw"]
print(json.dumps([raw["feature"], raw["precision"], raw["coverage"], d["data"]["precision"], d["data"]["coverage"],
                  raw["instance_label"], d["stats"]["batch_sizes"], d["status"]]))
PY
}
