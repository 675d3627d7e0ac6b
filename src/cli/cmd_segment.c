/* anchor segment: placeholder until its issue lands (exits 2, never claims success). */
#include "cli/cli.h"

int cmd_segment(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("segment", "not built yet");
    return 2;
}
