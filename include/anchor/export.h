/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: how public declarations are marked, in a way any C11 compiler parses.
 *
 * The library is compiled with -fvisibility=hidden, so only declarations marked ANCHOR_API
 * are exported from libanchor.so; everything else stays inside it. ANCHOR_BUILDING is
 * defined only while compiling the library itself: a program that includes these headers
 * sees plain declarations. ANCHOR_PRINTF lets GCC and Clang check the format string of
 * the printf-style calls; other compilers see nothing. */
#ifndef ANCHOR_EXPORT_H
#define ANCHOR_EXPORT_H

#if defined(ANCHOR_BUILDING) && (defined(__GNUC__) || defined(__clang__))
#define ANCHOR_API __attribute__((visibility("default")))
#else
#define ANCHOR_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ANCHOR_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define ANCHOR_PRINTF(fmt_index, first_arg)
#endif

#endif
