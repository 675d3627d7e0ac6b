/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: the version of these headers.
 *
 * The one place the version is written: CMakeLists.txt reads these three numbers for
 * project(VERSION), the shared library's SONAME (libanchor.so.MAJOR), anchor.pc and the
 * CMake package. anchor_version() (status.h) gives the version of the library actually
 * linked, which can differ from these macros when a program runs against a newer .so. */
#ifndef ANCHOR_VERSION_H
#define ANCHOR_VERSION_H

#define ANCHOR_VERSION_MAJOR 0
#define ANCHOR_VERSION_MINOR 1
#define ANCHOR_VERSION_PATCH 0

#define ANCHOR_VERSION_STRINGIFY_(x) #x
#define ANCHOR_VERSION_STRINGIFY(x) ANCHOR_VERSION_STRINGIFY_(x)
#define ANCHOR_VERSION_STRING                                                                        \
    ANCHOR_VERSION_STRINGIFY(ANCHOR_VERSION_MAJOR)                                                   \
    "." ANCHOR_VERSION_STRINGIFY(ANCHOR_VERSION_MINOR) "." ANCHOR_VERSION_STRINGIFY(ANCHOR_VERSION_PATCH)

#endif
