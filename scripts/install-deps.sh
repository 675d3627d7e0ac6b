#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what anchor needs on Debian 12 with apt-get, only what is missing.
#   build:  compiler, CMake, libpng, libjpeg-turbo, cJSON, oneDNN, protobuf-c, ONNX's proto,
#           libmicrohttpd and libcurl (anchor serve, remote predictors); curl for the serve tests
#   tests:  python3 with numpy (the shared toy predictor speaks the pipe protocol in Python) and
#           Pillow (the serve tests send photos as KServe clients do); pytest, venv, pip and
#           setuptools for the Python package (python/)
#   fuzz:   clang with libFuzzer (libclang-rt-14-dev) and clang's OpenMP (libomp-14-dev, for
#           the ONNX engine in the clang build); bc, procps and util-linux (script) for the
#           kill and terminal tests; chromium for the report.html browser test
#   tools/bench (not needed by `make check`): pass --tools for skimage, Pillow, torch,
#           torchvision, onnx, wrk, and node + npm (bench_ort.sh installs ONNX Runtime from npm)
set -euo pipefail
pkgs=(build-essential cmake pkg-config libpng-dev libjpeg62-turbo-dev zlib1g-dev libcjson-dev
      libmicrohttpd-dev libcurl4-openssl-dev curl
      libdnnl-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev python3 python3-numpy python3-pil
      python3-pytest python3-venv python3-pip python3-setuptools
      clang libclang-rt-14-dev libomp-14-dev bc procps util-linux chromium)
if [ "${1:-}" = "--tools" ]; then
  pkgs+=(python3-skimage python3-pil python3-torch python3-torchvision python3-onnx python3-scipy wrk nodejs)
  # NodeSource's nodejs carries npm and conflicts with Debian's npm package
  command -v npm >/dev/null || pkgs+=(npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
