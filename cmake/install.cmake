# SPDX-License-Identifier: Apache-2.0
# What `cmake --install` puts under the prefix:
#   bin/anchor                                the CLI
#   lib/libanchor.so{,.0,.0.1.0}              the shared library (SONAME libanchor.so.MAJOR)
#   lib/libanchor.a                           the static library, internals made local
#   include/anchor/*.h                        the public headers
#   lib/pkgconfig/anchor.pc                   for `pkg-config --cflags --libs [--static] anchor`
#   lib/cmake/anchor/                         for find_package(anchor) -> anchor::anchor
#   share/doc/anchor/{LICENSE,NOTICE}
# anchor.pc locates the prefix from its own place (${pcfiledir}), so an installed tree can
# be moved as a whole.
include(CMakePackageConfigHelpers)

install(TARGETS anchor_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS anchor_shared EXPORT anchorTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${ANCHOR_DIST_DIR}/libanchor.a DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE ${CMAKE_SOURCE_DIR}/NOTICE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/anchor DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# anchor.pc: the shared library by default; with --static the archive needs its
# dependencies, the pkg-config ones by name and the rest as flags (libcurl as -lcurl:
# its own .pc would ask for the static archives of every TLS and HTTP/2 library it uses).
set(ANCHOR_PC_REQUIRES_PRIVATE "libpng libjpeg libcjson zlib ${ANCHOR_PC_REQUIRES_ONNX}")
set(ANCHOR_PC_LIBS_PRIVATE "${ANCHOR_PC_LIBS_ONNX} -lcurl ${CMAKE_THREAD_LIBS_INIT} -lm")
string(STRIP "${ANCHOR_PC_REQUIRES_PRIVATE}" ANCHOR_PC_REQUIRES_PRIVATE)
string(STRIP "${ANCHOR_PC_LIBS_PRIVATE}" ANCHOR_PC_LIBS_PRIVATE)
string(REGEX REPLACE "  +" " " ANCHOR_PC_LIBS_PRIVATE "${ANCHOR_PC_LIBS_PRIVATE}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/anchor.pc.in ${CMAKE_BINARY_DIR}/anchor.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/anchor.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(ANCHOR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/anchor)
install(EXPORT anchorTargets NAMESPACE anchor:: DESTINATION ${ANCHOR_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only the same MAJOR.MINOR is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/anchorConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_SOURCE_DIR}/cmake/anchorConfig.cmake ${CMAKE_BINARY_DIR}/anchorConfigVersion.cmake
        DESTINATION ${ANCHOR_CMAKE_DIR})
