# SPDX-License-Identifier: Apache-2.0
# find_package(anchor) -> the imported target anchor::anchor (libanchor.so and its headers).
# The shared library carries its own dependencies, so nothing else needs finding.
include(${CMAKE_CURRENT_LIST_DIR}/anchorTargets.cmake)
