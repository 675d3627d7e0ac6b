#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CLI's OpenMP wait policy (src/cli/main.c, docs/architecture.md "Threads"): libgomp
# reads OMP_WAIT_POLICY when it is loaded, so anchor sets it to passive and re-executes
# itself unless the user chose a policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT). What the
# process ended up with is observed from the outside: a --predict-cmd program inherits
# anchor's environment, and this one writes the variable down and exits (so the
# explanation then fails, which is not what is tested here).
# Env: ANCHOR_BIN, ANCHOR_FIXTURES.
set -u
bin=${ANCHOR_BIN:?} fix=${ANCHOR_FIXTURES:?}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
# the policy the predictor program saw, with the given environment changes
seen() {
  rm -f "$W/seen"
  env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "$@" "$bin" explain "$fix/image/decode/rgb8.png" -o "$W/out" \
    --predict-cmd "printf '%s' \"\${OMP_WAIT_POLICY-unset}\" > '$W/seen'" >/dev/null 2>&1
  cat "$W/seen" 2>/dev/null || echo "(the predictor never started)"
}
check() {
  local want=$1 got
  shift
  got=$(seen "$@")
  if [ "$got" = "$want" ]; then
    echo "ok: ${*:-(nothing set)} -> $got"
  else
    echo "FAIL: ${*:-(nothing set)}: the predictor saw OMP_WAIT_POLICY '$got', expected '$want'"
    fail=1
  fi
}
check passive
check active OMP_WAIT_POLICY=active
check unset GOMP_SPINCOUNT=1000
exit $fail
