/* SPDX-License-Identifier: Apache-2.0 */
/* The `anchor` command line: a thin layer over the library. Each command lives in its own
 * cmd_*.c and returns the process exit status (0 ok, 1 failure, 2 usage error). */
#ifndef ANCHOR_CLI_H
#define ANCHOR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <anchor/onnx.h>

int cmd_segment(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_serve(int argc, char **argv); /* cmd_serve.c, on src/serve */
int cmd_report(int argc, char **argv);

/* Print "anchor <command>: <message>" on stderr. */
void cli_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse "WIDTHxHEIGHT" (or 'X'), each part 1..ANCHOR_MAX_DIM; 1 if valid, else 0 and
 * *w, *h untouched. (cli_args.c) */
int cli_parse_size(const char *s, int64_t *w, int64_t *h);

/* The value of `flag`, one of the command's `valued` flags: *val as given after '=' (non-NULL)
 * or the next argument (advancing *i). 1 on success; 0 after printing why not (an unknown
 * option, or no value left), for the caller's exit status 2. (cli_args.c) */
int cli_flag_value(const char *command, const char *flag, const char *const *valued, size_t n_valued, int argc,
                   char **argv, int *i, const char **val);

/* After loading a model asked to run in `asked`: a one-line notice on stderr when it runs
 * in another precision (BF16 on a CPU without bfloat16), and with `verbose` the precision
 * and the instruction set oneDNN chose. (cli_args.c) */
void cli_model_notice(const char *command, const anchor_model *m, anchor_precision asked, bool verbose);

#endif
