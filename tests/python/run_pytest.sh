#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs python/tests with pytest on the library named by ANCHOR_LIBRARY; $1 is the -m
# selection ("not slow" or "slow"). Exit 77 (skip) when the shared data folder is absent,
# after running whatever does not need it.
set -u
src=${ANCHOR_SOURCE:?}
py=/usr/bin/python3
if ! $py -c 'import numpy, pytest' 2>/dev/null; then
    echo "python_pytest: $py lacks numpy or pytest (apt-get install python3-numpy python3-pytest)"
    exit 77
fi
cd "$src/python" || exit 1
$py -m pytest -q -p no:cacheprovider -m "$1" tests
rc=$?
if [ ! -d "${ANCHOR_SHARED:-}/fixtures/alibi" ]; then
    echo "python_pytest: the shared data folder ${ANCHOR_SHARED:-} is absent: fixture tests skipped"
    [ $rc -eq 0 ] || [ $rc -eq 5 ] && exit 77
fi
exit $rc
