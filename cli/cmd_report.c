/* sohoa report (issue 17): being written. */
#include "cmd_report.h"

static int run_placeholder(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    (void)g, (void)opt, (void)nargs, (void)args;
    return SH_INTERNAL;
}

static const cli_option NO_OPTIONS[] = {{0}};

const cli_command cli_cmd_report = {.name = "report",
                                    .summary = "(being written)",
                                    .usage = "sohoa report",
                                    .options = NO_OPTIONS,
                                    .run = run_placeholder};

sh_status cli_report_views(const cli_globals *g, const cli_value *opt, const pg_report *r,
                           sh_error *err)
{
    (void)g, (void)opt, (void)r;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
