/* Shared by the CLI's command files only: global options, option parsing, workspace opening
 * and error reporting. Commands print; the modules below them never do. */
#ifndef SOHOA_CLI_H
#define SOHOA_CLI_H

#include "core/core.h"
#include "naming/naming.h"

typedef struct {
    const char *workspace;     /* --workspace */
    const char *config;        /* --config */
    const char *lang;          /* --lang */
    const char *operator_name; /* --operator */
    bool json;                 /* --json */
    bool help;                 /* -h / --help after the command */
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

/* The workspace named by --workspace or found above `start` (the current folder when NULL),
 * and its ledger. */
sh_status cli_open_workspace(const cli_globals *g, const char *start, sh_workspace *ws,
                             sh_ledger **ledger, sh_error *err);
/* The same with the ledger opened for reading only (works on read-only media), for commands
 * that only look. */
sh_status cli_open_workspace_readonly(const cli_globals *g, const char *start, sh_workspace *ws,
                                      sh_ledger **ledger, sh_error *err);
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
int cmd_ingest(const cli_globals *g, int argc, char **argv);
int cmd_document(const cli_globals *g, int argc, char **argv);
int cmd_validate(const cli_globals *g, int argc, char **argv);
int cmd_sign(const cli_globals *g, int argc, char **argv);
int cmd_verify(const cli_globals *g, int argc, char **argv);

/* The naming rules for a command on `start`: those of the workspace named by --workspace or
 * found above start (the current folder when NULL), else the defaults (or --config). The rules
 * point into ws, which the caller closes. */
sh_status cli_naming_rules(const cli_globals *g, const char *start, sh_workspace *ws,
                           nm_rules *rules, sh_error *err);
/* Print a finding for a person, or add it to the JSON document ctx when not NULL. */
void cli_finding_out(const sh_finding *f, void *ctx);
/* The same on stderr, for commands whose stdout is a result scripts use; -q silences warnings. */
void cli_finding_err(const sh_finding *f, void *ctx);

/* The verbs of "sohoa name" that walk folders (cmd_name_check.c). */
/* Each PATH is reported on its own (findings, then any error on stderr): no sh_error out. */
int name_check(const cli_globals *g, int npaths, char **paths);
int name_fix(const cli_globals *g, const char *path, bool apply, const char *undo_journal,
             sh_error *err);

#endif
