#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the build into a temporary prefix and use it as a user would:
#  1. the expected files (libanchor.so.MAJOR.MINOR.PATCH and its links, libanchor.a, the
#     headers, the CLI, anchor.pc, the CMake package);
#  2. the public headers parse as plain C11 without GNU extensions, and as C++;
#  3. examples/explain_with_callback.c built with `pkg-config --cflags --libs anchor` alone,
#     run against the installed libanchor.so.0;
#  4. the same example through find_package(anchor) in a fresh CMake project;
#  5. tests/install/static_link.c, which defines internal names of its own, linked against
#     the installed libanchor.a with `pkg-config --static` and run;
#  6. the installed libanchor.a defines no global symbol outside the anchor_ API.
# Env: ANCHOR_BUILD (the build tree), ANCHOR_SOURCE (the repo), ANCHOR_CC, ANCHOR_SHARED.
set -euo pipefail
build=${ANCHOR_BUILD:?} src=${ANCHOR_SOURCE:?} cc=${ANCHOR_CC:-cc}
work=$(mktemp -d /tmp/anchor_install.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
libdir=$prefix/lib
for f in lib/libanchor.so.0.1.0 lib/libanchor.a include/anchor/anchor.h include/anchor/export.h \
         include/anchor/version.h bin/anchor lib/pkgconfig/anchor.pc lib/cmake/anchor/anchorConfig.cmake \
         lib/cmake/anchor/anchorConfigVersion.cmake lib/cmake/anchor/anchorTargets.cmake; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
[ "$(readlink "$libdir/libanchor.so.0")" = libanchor.so.0.1.0 ] || fail "libanchor.so.0 does not point to libanchor.so.0.1.0"
[ "$(readlink "$libdir/libanchor.so")" = libanchor.so.0 ] || fail "libanchor.so does not point to libanchor.so.0"
soname=$(readelf -d "$libdir/libanchor.so.0.1.0" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libanchor.so.0 ] || fail "SONAME is '$soname', expected libanchor.so.0"
"$prefix/bin/anchor" --version >/dev/null 2>&1 || "$prefix/bin/anchor" --help >/dev/null || fail "the installed CLI does not run"

# 2. any C11 compiler: no GNU extension may be needed (__GNUC__ hidden), and C++ callers
printf '#include <anchor/anchor.h>\nint main(void) { return anchor_version() == 0; }\n' >"$work/plain.c"
$cc -std=c11 -pedantic-errors -Wall -Wextra -Werror -U__GNUC__ -fsyntax-only -I"$prefix/include" "$work/plain.c" \
  || fail "the public headers do not parse as plain C11"
if command -v c++ >/dev/null; then
  cp "$work/plain.c" "$work/plain.cpp"
  c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" "$work/plain.cpp" \
    || fail "the public headers do not parse as C++"
fi

# a photo for the example: the shared one, else a small generated PNG
photo=${ANCHOR_SHARED:-/nonexistent}/images/chelsea.png
if [ ! -f "$photo" ]; then
  photo=$work/photo.png
  /usr/bin/python3 - "$photo" "$src/tests/cli" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from pngio import write_png
y, x = np.mgrid[0:96, 0:128]
write_png(sys.argv[1], np.stack([x * 2, y * 2, (x * y) % 256], axis=-1).astype(np.uint8))
PY
fi

# 3. pkg-config alone, against the shared library
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion anchor)" = 0.1.0 ] || fail "pkg-config --modversion anchor: $(pkg-config --modversion anchor)"
# shellcheck disable=SC2046
$cc -o "$work/example_pc" "$src/examples/explain_with_callback.c" $(pkg-config --cflags --libs anchor) \
  || fail "examples/explain_with_callback.c does not build with pkg-config --cflags --libs anchor"
LD_LIBRARY_PATH=$libdir ldd "$work/example_pc" | grep "libanchor.so.0 => $libdir/libanchor.so.0" >/dev/null \
  || fail "the example is not linked against the installed libanchor.so.0"
LD_LIBRARY_PATH=$libdir "$work/example_pc" "$photo" >"$work/pc.out" || fail "the pkg-config example failed"
grep -q "is in the anchor" "$work/pc.out" || { cat "$work/pc.out"; fail "the pkg-config example found a wrong anchor"; }

# 4. find_package(anchor) in a fresh CMake project
cmake -S "$src/tests/install/find_package" -B "$work/user" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
      -DEXAMPLE_SOURCE="$src/examples/explain_with_callback.c" >"$work/user.log" 2>&1 \
  || { cat "$work/user.log"; fail "find_package(anchor) failed"; }
cmake --build "$work/user" >>"$work/user.log" 2>&1 || { cat "$work/user.log"; fail "the find_package project does not build"; }
LD_LIBRARY_PATH=$libdir "$work/user/explain_with_callback" "$photo" >"$work/cmake.out" || fail "the find_package example failed"
cmp -s "$work/pc.out" "$work/cmake.out" || fail "the find_package example answers differently from the pkg-config one"

# 5. the static archive, with clashing internal names in the program
# shellcheck disable=SC2046
$cc -o "$work/static_link" "$src/tests/install/static_link.c" -I"$prefix/include" "$libdir/libanchor.a" \
    $(pkg-config --static --libs anchor | sed 's/-lanchor\b//') \
  || fail "a program defining np_randint and onnx__model_proto__unpack does not link against libanchor.a"
ldd "$work/static_link" | grep libanchor >/dev/null && fail "static_link uses a shared libanchor"
"$work/static_link" || fail "static_link failed"

# 6. nothing but the API is global in the archive
leaked=$(nm --defined-only -g "$libdir/libanchor.a" | awk 'NF == 3 && $3 !~ /^anchor_/ {print $3}')
[ -z "$leaked" ] || fail "libanchor.a defines global non-API symbols: $(echo $leaked | head -c 300)"
echo "install tree OK: $(cat "$work/pc.out" | tr '\n' ' ')"
