/* SPDX-License-Identifier: Apache-2.0 */
/* Argument helpers shared by the `anchor` commands.
 *
 * A size is written WIDTHxHEIGHT (as Pillow's Image.resize takes (width, height)); both
 * parts are plain decimal integers in 1..ANCHOR_MAX_DIM, with nothing around them, so a
 * typo is refused before any file is read. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void cli_model_notice(const char *command, const anchor_model *m, anchor_precision asked, bool verbose)
{
    anchor_precision got = anchor_model_precision(m);
    if (got != asked)
        fprintf(stderr, "anchor %s: notice: this CPU has no native bfloat16 (oneDNN ISA %s): running in %s\n", command,
                anchor_model_isa(m), anchor_precision_name(got));
    if (verbose)
        fprintf(stderr, "anchor %s: onnx engine: precision %s, oneDNN ISA %s\n", command, anchor_precision_name(got),
                anchor_model_isa(m));
}

int cli_flag_value(const char *command, const char *flag, const char *const *valued, size_t n_valued, int argc,
                   char **argv, int *i, const char **val)
{
    bool known = false;
    for (size_t k = 0; k < n_valued; k++)
        known |= !strcmp(flag, valued[k]);
    if (!known) {
        cli_error(command, "unknown option '%s' (see anchor %s --help)", flag, command);
        return 0;
    }
    if (!*val) {
        if (*i + 1 >= argc) {
            cli_error(command, "%s needs a value", flag);
            return 0;
        }
        *val = argv[++*i];
    }
    return 1;
}
