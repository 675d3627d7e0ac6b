/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal test harness: CHECK records failures without stopping, and the closing line
 * says "N passed, N failed". Exit 77 means skipped (e.g. ../shared absent). */
#ifndef ANCHOR_TEST_HARNESS_H
#define ANCHOR_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>

static int harness_passed, harness_failed;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            harness_passed++;                                                         \
        } else {                                                                      \
            harness_failed++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                             \
    } while (0)

#define CHECKF(cond, ...)                                                    \
    do {                                                                     \
        if (cond) {                                                          \
            harness_passed++;                                                \
        } else {                                                             \
            harness_failed++;                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static inline int harness_finish(void)
{
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

/* The shared data folder from the environment, or exit 77 (skip) with a message. */
static inline const char *harness_shared_or_skip(void)
{
    const char *s = getenv("ANCHOR_SHARED");
    char probe[4096];
    if (s) {
        snprintf(probe, sizeof probe, "%s/SPEC.md", s);
        FILE *f = fopen(probe, "r");
        if (f) {
            fclose(f);
            return s;
        }
    }
    printf("SKIP: ../shared (the shared data folder) is absent; set ANCHOR_SHARED to its path\n");
    exit(77);
}

#endif
