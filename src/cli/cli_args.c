/* SPDX-License-Identifier: Apache-2.0 */
/* Argument helpers shared by the `anchor` commands.
 *
 * A size is written WIDTHxHEIGHT (as Pillow's Image.resize takes (width, height)); both
 * parts are plain decimal integers in 1..ANCHOR_MAX_DIM, with nothing around them, so a
 * typo is refused before any file is read. */
#include <errno.h>
#include <stdlib.h>

#include <anchor/image.h>

#include "cli.h"

int cli_parse_size(const char *s, int64_t *w, int64_t *h)
{
    char *end;
    errno = 0;
    long long a = strtoll(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X') || errno)
        return 0;
    const char *rest = end + 1;
    long long b = strtoll(rest, &end, 10);
    if (end == rest || *end || errno)
        return 0;
    if (a < 1 || b < 1 || a > ANCHOR_MAX_DIM || b > ANCHOR_MAX_DIM)
        return 0;
    *w = a;
    *h = b;
    return 1;
}
