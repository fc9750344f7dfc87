/* Shared by the CLI's command files only: global options, option parsing, workspace opening
 * and error reporting. Commands print; the modules below them never do. */
#ifndef SOHOA_CLI_H
#define SOHOA_CLI_H

#include "core/core.h"

typedef struct {
    const char *workspace; /* --workspace */
    const char *config;    /* --config */
    const char *lang;      /* --lang */
    const char *operator_name; /* --operator */
    bool json;             /* --json */
    bool help;             /* -h / --help after the command */
} cli_globals;

/* One option of a command: `--name VALUE` (value != NULL) or a flag `--name` (flag != NULL). */
typedef struct {
    const char *name;
    const char **value;
    bool *flag;
} cli_opt;

/* Parse argv[0..argc) against opts; collect the other arguments in *args (count in *nargs).
 * "--" ends the options. With keep_unknown, unknown options are kept as arguments (the global
 * pass); without it they are a usage error naming `command`. *args is g_free()d by the caller. */
sh_status cli_parse(int argc, char **argv, const cli_opt *opts, bool keep_unknown,
                    const char *command, char ***args, int *nargs, sh_error *err);

/* The workspace named by --workspace or found above the current folder, and its ledger. */
sh_status cli_open_workspace(const cli_globals *g, sh_workspace *ws, sh_ledger **ledger,
                             sh_error *err);
/* The operator and station for a state-changing command: --operator, else sohoa.ini. */
sh_status cli_actor(const cli_globals *g, const sh_workspace *ws, sh_actor *actor, sh_error *err);

/* Print "sohoa: MESSAGE" on stderr (unless it is empty) and return the exit status. */
int cli_report(const sh_error *err);
/* Print the JSON document on stdout, or the error; returns the exit status to use. */
int cli_print_json(sh_json *j, int status);

int cmd_init(const cli_globals *g, int argc, char **argv);
int cmd_audit(const cli_globals *g, int argc, char **argv);
int cmd_catalog(const cli_globals *g, int argc, char **argv);
int cmd_name(const cli_globals *g, int argc, char **argv);

#endif
