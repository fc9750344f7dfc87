/* sohoa report export and merge (issue 17): being written. */
#include "cmd_report.h"

int cli_report_export(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    (void)g, (void)opt, (void)nargs, (void)args;
    return SH_INTERNAL;
}

int cli_report_merge(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    (void)g, (void)opt, (void)nargs, (void)args;
    return SH_INTERNAL;
}
