#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor segment` end to end: labels equal to alibi's reference segments (RGB, gray,
# float32, resized from the original photo), the picture, K on stdout, and every kind of
# bad input failing with a one-line message that names the culprit and leaving no file.
set -u
BIN=${ANCHOR_BIN:?ANCHOR_BIN not set}
SHARED=${ANCHOR_SHARED:-}
if [ -z "$SHARED" ] || [ ! -f "$SHARED/SPEC.md" ]; then
    echo "SKIP: ../shared (the shared data folder) is absent"
    exit 77
fi
A=$SHARED/fixtures/alibi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# the int32 data of two .npy label maps of the same shape (header formats may differ)
same_labels() {
    local n=$3
    cmp -s <(tail -c "$n" "$1") <(tail -c "$n" "$2")
}

# --- success ------------------------------------------------------------------------
"$BIN" segment --help >"$T/help" 2>&1 && grep -q "usage: anchor segment" "$T/help" && ok || bad "--help"

check_case() { # name input expected-K [extra args...]
    local name=$1 input=$2 k=$3
    shift 3
    rm -f "$T/l.npy" "$T/l.png"
    local out
    out=$("$BIN" segment "$input" -o "$T/l.npy" --png "$T/l.png" "$@" 2>"$T/err")
    local rc=$?
    [ $rc -eq 0 ] || { bad "$name: exit $rc: $(cat "$T/err")"; return; }
    [ "$out" = "$k" ] && ok || bad "$name: printed '$out', expected K=$k"
    local n=$((299 * 299 * 4))
    same_labels "$T/l.npy" "$A/$name/segments.npy" $n && ok || bad "$name: labels differ from alibi's segments.npy"
    [ "$(head -c 8 "$T/l.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && ok || bad "$name: no PNG written"
    ls "$T" | grep -q tmp && bad "$name: temporary file left" || ok
}
check_case case01_chelsea_default "$A/case01_chelsea_default/image.png" 4
check_case case06_chelsea_gray "$A/case06_chelsea_gray/image.png" 5
check_case case08_float32 "$A/case08_float32/image.npy" 4
# --resize to the size it already has passes a float image through, as Pillow copies
check_case case08_float32 "$A/case08_float32/image.npy" 4 --resize 299x299
check_case case03_coffee_kserve "$A/case03_coffee_kserve/image.png" 15 \
    --seg-arg n_segments=15 --seg-arg compactness=20 --seg-arg sigma=0.5 --seg-arg start_label=0
# from the original photo, resized as Pillow does (alibi's users resize with PIL)
check_case case01_chelsea_default "$SHARED/images/chelsea.png" 4 --resize 299x299 --resize-filter bicubic
# start_label=1 (skimage's default once any kwarg is given) is still written 0..K-1
rm -f "$T/l.npy"
out=$("$BIN" segment "$A/case01_chelsea_default/image.png" -o "$T/l.npy" --seg-arg n_segments=10 --seg-arg sigma=0.5 2>"$T/err")
[ "$out" = "4" ] && same_labels "$T/l.npy" "$A/case01_chelsea_default/segments.npy" $((299 * 299 * 4)) && ok ||
    bad "start_label=1 not normalised to 0..K-1 ($out)"
# the other methods run through the same command
out=$("$BIN" segment "$A/case01_chelsea_default/image.png" -o "$T/g.npy" --method grid --seg-arg rows=3 --seg-arg cols=2 2>"$T/err")
[ "$out" = "6" ] && ok || bad "grid 3x2: printed '$out': $(cat "$T/err")"

# --- bad input: exit non-zero, one line naming the problem, no output --------------------
expect_fail() { # label needle args...
    local label=$1 needle=$2
    shift 2
    rm -f "$T"/out.*
    "$BIN" segment "$@" >"$T/stdout" 2>"$T/stderr"
    local rc=$?
    [ $rc -ne 0 ] || { bad "$label: exit 0"; return; }
    [ "$(wc -l <"$T/stderr")" -eq 1 ] || { bad "$label: expected one line, got: $(cat "$T/stderr")"; return; }
    grep -qF -- "$needle" "$T/stderr" && ok || bad "$label: message lacks '$needle': $(cat "$T/stderr")"
    [ -z "$(ls "$T" | grep '^out\.')" ] && ok || bad "$label: left $(ls "$T" | grep '^out\.')"
}
IMG=$A/case01_chelsea_default/image.png
expect_fail "unknown key" "bogus" "$IMG" -o "$T/out.npy" --png "$T/out.png" --seg-arg bogus=1
expect_fail "wrong type" "n_segments=abc" "$IMG" -o "$T/out.npy" --seg-arg n_segments=abc
expect_fail "bool type" "enforce_connectivity=maybe" "$IMG" -o "$T/out.npy" --seg-arg enforce_connectivity=maybe
expect_fail "n_segments 0" "n_segments=0" "$IMG" -o "$T/out.npy" --seg-arg n_segments=0
expect_fail "n_segments < 0" "n_segments=-3" "$IMG" -o "$T/out.npy" --seg-arg n_segments=-3
expect_fail "compactness 0" "compactness=0" "$IMG" -o "$T/out.npy" --seg-arg compactness=0
expect_fail "compactness < 0" "compactness=-1" "$IMG" -o "$T/out.npy" --seg-arg compactness=-1
expect_fail "no =" "--seg-arg 'sigma'" "$IMG" -o "$T/out.npy" --seg-arg sigma
expect_fail "bad method" "kmeans" "$IMG" -o "$T/out.npy" --method kmeans
expect_fail "bad resize 0" "--resize '0x10'" "$IMG" -o "$T/out.npy" --resize 0x10
expect_fail "bad resize text" "--resize 'big'" "$IMG" -o "$T/out.npy" --resize big
expect_fail "bad resize absurd" "--resize '70000x70000'" "$IMG" -o "$T/out.npy" --resize 70000x70000
expect_fail "bad filter" "--resize-filter" "$IMG" -o "$T/out.npy" --resize 10x10 --resize-filter cubic
expect_fail "resize float" "--resize 10x10: resize: only one uint8" "$A/case08_float32/image.npy" -o "$T/out.npy" --resize 10x10
expect_fail "missing file" "$T/nope.png" "$T/nope.png" -o "$T/out.npy"
head -c 3000 "$IMG" >"$T/cut.png"
expect_fail "truncated PNG" "$T/cut.png" "$T/cut.png" -o "$T/out.npy"
head -c $(($(stat -c %s "$SHARED/images/rocket.jpg") / 2)) "$SHARED/images/rocket.jpg" >"$T/half.jpg"
expect_fail "JPEG cut in half" "$T/half.jpg" "$T/half.jpg" -o "$T/out.npy"
echo "hello" >"$T/text.png"
expect_fail "not an image" "$T/text.png" "$T/text.png" -o "$T/out.npy"
expect_fail "unknown option" "--frobnicate" "$IMG" -o "$T/out.npy" --frobnicate
expect_fail "no output" "-o" "$IMG"
expect_fail "no image" "IMAGE" -o "$T/out.npy"
# the picture cannot be written: the label map written just before must not stay either
expect_fail "png in a missing folder" "$T/nodir/x.png" "$IMG" -o "$T/out.npy" --png "$T/nodir/x.png"
mkdir -p "$T/ro" && chmod 555 "$T/ro"
if [ ! -w "$T/ro" ]; then # (root can write anywhere)
    expect_fail "unwritable png" "$T/ro/x.png" "$IMG" -o "$T/out.npy" --png "$T/ro/x.png"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
