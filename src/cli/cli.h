/* The `anchor` command line: a thin layer over the library. Each command lives in its own
 * cmd_*.c and returns the process exit status (0 ok, 1 failure, 2 usage error). */
#ifndef ANCHOR_CLI_H
#define ANCHOR_CLI_H

int cmd_segment(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_predict(int argc, char **argv);

/* Print "anchor <command>: <message>" on stderr. */
void cli_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
