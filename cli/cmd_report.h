/* sohoa report and its verbs export and merge: one command, one option table (cmd_report.c),
 * the verbs' code in cmd_report_snapshot.c. Private to those two files. */
#ifndef SOHOA_CMD_REPORT_H
#define SOHOA_CMD_REPORT_H

#include "cli.h"
#include "progress/progress.h"

/* The indices of cli_cmd_report's options. */
enum {
    R_AS_OF,    /* --as-of T */
    R_PERIOD,   /* --period month|quarter|half|year|FROM..TO */
    R_HTML,     /* --html FILE: the dashboard */
    R_CSV,      /* --csv FILE */
    R_XLSX,     /* --xlsx FILE */
    R_JSON,     /* --json (global) */
    R_MIN_CELL, /* --min-cell N */
    R_TRUST,    /* merge: --trust CA.pem */
    R_P12,      /* export: the key options (CLI_KEY_OPTIONS) */
    R_MODULE,
    R_TOKEN,
    R_KEY,
    R_PIN_ENV,
    R_PIN_FILE,
    R_N_OPTIONS
};

/* --json, given before the command or after it. */
bool cli_report_json(const cli_globals *g, const cli_value *opt);
/* Writes the views the options ask for (--html, --csv, --xlsx; --json to stdout) of r, and
 * says what was written, a line per file (on stderr with --json); lang from the global --lang. */
SH_NODISCARD sh_status cli_report_views(const cli_globals *g, const cli_value *opt,
                                        const pg_report *r, sh_error *err);
/* sohoa report export FILE ... and sohoa report merge SNAPSHOT... (cmd_report_snapshot.c):
 * args are the arguments after the verb; the exit status. */
int cli_report_export(const cli_globals *g, const cli_value *opt, int nargs, char **args);
int cli_report_merge(const cli_globals *g, const cli_value *opt, int nargs, char **args);

#endif
