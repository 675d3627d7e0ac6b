/* SPDX-License-Identifier: Apache-2.0 */
/* anchor report: join the folders of a sharded batch (or rebuild one folder's report) into
 * one results.jsonl, results.csv and report.html, with anchor_batch_merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anchor/anchor.h>
#include <anchor/batch.h>
#include "cli.h"

#define CMD "report"

static void usage(FILE *out)
{
    fprintf(out, "usage: anchor report DIR... [-o OUTDIR]\n"
                 "\n"
                 "Joins the results of `anchor explain` batch folders, e.g. the shards of one run made with\n"
                 "--shard, into OUTDIR: results.jsonl and results.csv (one line per image, sorted by path) and\n"
                 "report.html, whose pictures link to the image folders where they are. An image found in\n"
                 "several folders keeps its successful result. With one DIR and no -o, rebuilds DIR's report.\n"
                 "\n"
                 "Exit status: 0 every image explained, 3 some failed, 1 none explained or an error, 2 bad usage.\n");
}

int cmd_report(int argc, char **argv)
{
    const char *outdir = NULL;
    const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    int n = 0;
    if (!dirs) {
        cli_error(CMD, "out of memory");
        return 1;
    }
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto done;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                cli_error(CMD, "%s needs a value", a);
                goto done;
            }
            outdir = argv[++i];
        } else if (a[0] == '-') {
            cli_error(CMD, "unknown option '%s' (see anchor report --help)", a);
            goto done;
        } else {
            dirs[n++] = a;
        }
    }
    if (!n) {
        cli_error(CMD, "no batch folders given (see anchor report --help)");
        goto done;
    }
    if (!outdir && n > 1) {
        cli_error(CMD, "%d folders given: name the merged folder with -o OUTDIR", n);
        goto done;
    }
    anchor_error err;
    anchor_error_clear(&err);
    anchor_batch_summary sum;
    if (anchor_batch_merge(dirs, n, outdir ? outdir : dirs[0], &sum, &err)) {
        cli_error(CMD, "%s", err.message);
        rc = 1;
        goto done;
    }
    printf("%lld images: %lld explained, %lld failed; written %s/report.html\n", (long long)sum.total,
           (long long)sum.ok, (long long)sum.failed, outdir ? outdir : dirs[0]);
    rc = sum.failed == 0 ? 0 : sum.ok == 0 ? 1 : 3;
done:
    free(dirs);
    return rc;
}
