/* anchor predict: placeholder until its issue lands (exits 2, never claims success). */
#include "cli/cli.h"

int cmd_predict(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("predict", "not built yet");
    return 2;
}
