/* anchor explain: placeholder until its issue lands (exits 2, never claims success). */
#include "cli/cli.h"

int cmd_explain(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("explain", "not built yet");
    return 2;
}
