/* SPDX-License-Identifier: Apache-2.0 */
/* anchor: explain an image classifier's prediction with Anchors (alibi's AnchorImage). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <anchor/anchor.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"explain", cmd_explain, "find the superpixels that keep a classifier's prediction (the anchor)"},
    {"predict", cmd_predict, "print a model's top classes for images"},
    {"report", cmd_report, "join batch folders (shards) into one results table and report.html"},
    {"segment", cmd_segment, "cut an image into superpixels (slic, quickshift, felzenszwalb, grid)"},
    {"serve", cmd_serve, "serve explanations and the model over HTTP (KServe v1/v2, Open Inference Protocol)"},
};

void cli_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "anchor %s: ", command);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: anchor <command> [options]\n\n"
                 "Explains why an image classifier made its prediction, with Anchors (Ribeiro et al. 2018),\n"
                 "giving the same answers as alibi's AnchorImage.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`anchor <command> --help` describes each command. `anchor --version` prints the version.\n");
}

/* The ONNX engine runs on oneDNN's OpenMP threads, and libgomp's default is to spin for
 * a while after each parallel region. Between forward passes the explainer segments and
 * samples on one thread, --jobs runs other images, serve answers other requests: spinning
 * threads take the cores those need (up to 20x slower on a loaded machine), while a
 * yielding wait costs a quiet run about 1 % (docs/architecture.md, "Threads"). libgomp
 * reads OMP_WAIT_POLICY once, when it is loaded, before main: so the CLI sets it and
 * re-executes itself (same pid, same arguments) unless the user chose a policy. */
static void omp_wait_passive(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1))
        return;
    execv("/proc/self/exe", argv);
    /* no /proc: carry on with the default policy rather than fail */
}

int main(int argc, char **argv)
{
    omp_wait_passive(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("anchor %s\n", anchor_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "anchor: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
