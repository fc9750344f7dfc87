/* sohoa handover (issue 17): being written. */
#include "cli.h"

static int run_placeholder(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    (void)g, (void)opt, (void)nargs, (void)args;
    return SH_INTERNAL;
}

static const cli_option NO_OPTIONS[] = {{0}};

const cli_command cli_cmd_handover = {.name = "handover",
                                      .summary = "(being written)",
                                      .usage = "sohoa handover",
                                      .options = NO_OPTIONS,
                                      .run = run_placeholder};
