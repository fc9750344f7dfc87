/* Shared by the CLI's command files only: global options, option parsing, workspace opening
 * and error reporting. Commands print; the modules below them never do. */
#ifndef SOHOA_CLI_H
#define SOHOA_CLI_H

#include "core/core.h"
#include "naming/naming.h"
#include "sign/sign.h"

typedef struct {
    const char *workspace;     /* --workspace */
    const char *config;        /* --config */
    const char *lang;          /* --lang */
    const char *operator_name; /* --operator */
    bool json;                 /* --json */
} cli_globals;

/* ---- commands and their options (options.c) ----
 * Each command is one cli_command, declared as data beside its code: its synopsis, description,
 * verbs or arguments, option table and exit status. The table drives parsing, the checks of
 * values (one wording for every command), "sohoa COMMAND --help", the manual page and the bash
 * completion (generate.c). docs/architecture.md: "Adding a command or an option". */
typedef enum {
    CLI_FLAG,   /* no value */
    CLI_STRING, /* any text */
    CLI_FILE,   /* a file's path (completed as a file) */
    CLI_DIR,    /* a folder's path */
    CLI_INT,    /* a whole number from lo to hi */
    CLI_REAL,   /* a number from lo to hi */
    CLI_ENUM,   /* one of choices */
} cli_kind;

enum {
    CLI_REPEAT = 1, /* may be given several times (cli_value.all); else twice is a usage error */
    CLI_GLOBAL = 2, /* a global option shown in this command's help: the global table parses it */
    CLI_HIDDEN = 4, /* parsed, not shown in the help, manual or completion */
};

typedef struct {
    const char *name; /* the long name, without "--" */
    char short_name;  /* -x, or 0 */
    cli_kind kind;
    const char *metavar;        /* N_(): what the value is ("FILE"); unused for flags, enums */
    const char *help;           /* N_(): one paragraph, wrapped when printed */
    double lo, hi;              /* CLI_INT, CLI_REAL */
    const char *const *choices; /* CLI_ENUM: NULL-terminated */
    unsigned flags;             /* CLI_REPEAT, CLI_GLOBAL, CLI_HIDDEN */
} cli_option;

/* A verb (name "note", args N_("TEXT")) or a positional argument (name NULL, args
 * N_("FILE...")), with its N_() help. */
typedef struct {
    const char *name;
    const char *args;
    const char *help;
} cli_item;

/* One option's value on the command line. */
typedef struct {
    const char *text; /* as given (the last one); NULL when not given */
    long long num;    /* CLI_INT: the number; CLI_ENUM: the index of the choice */
    double real;      /* CLI_REAL */
    int count;        /* times given: a flag is set when > 0 */
    const char **all; /* CLI_REPEAT: every value given, in order, NULL-terminated */
} cli_value;

typedef struct cli_command cli_command;

/* The parsed command line: the command, its options' values (indexed as its table), the
 * global options' values, and the other arguments (NULL once handed to the command). */
typedef struct {
    const cli_command *cmd;
    cli_value *opt;
    cli_value *global;
    char **args;
    int nargs;
} cli_args;

struct cli_command {
    const char *name;        /* "ingest" */
    const char *summary;     /* N_(): one line, in the list of commands */
    const char *usage;       /* N_(): synopsis lines, "\n"-separated, each "sohoa ingest ..." */
    const char *description; /* N_(): paragraphs ("\n\n" between), wrapped when printed */
    const cli_item *verbs;   /* NULL, or {0}-terminated */
    const cli_item *arguments;
    const cli_option *options; /* {0}-terminated */
    const char *notes;         /* N_(): paragraphs after the options, or NULL */
    const char *exit_status;   /* N_(): or NULL for the common one */
    /* opt: the values of options, indexed as the table; args: the other arguments, the
     * command's to g_free() */
    int (*run)(const cli_globals *g, const cli_value *opt, int nargs, char **args);
    const cli_command *const *commands; /* the top ("sohoa") only: every command */
};

/* Parse argv[0..argc) (without the program name) against top's global options, the command
 * named first and its options: "--name VALUE", "--name=VALUE", short forms, "--" ending the
 * options. A usage error (unknown option, missing or bad value) is in err, naming the command.
 * a is freed with cli_args_free, whatever the outcome. */
SH_NODISCARD sh_status cli_parse_line(const cli_command *top, int argc, char **argv, cli_args *a,
                                      sh_error *err);
void cli_args_free(cli_args *a);
const cli_command *cli_find_command(const cli_command *top, const char *name);
/* A usage error (exit 2) of `command` (NULL: of sohoa itself), for a command's own rules on
 * its options: "COMMAND: MESSAGE". */
sh_status cli_usage(sh_error *err, const char *command, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* text as a whole number from lo to hi, or the usage error that says so. */
SH_NODISCARD sh_status cli_int_value(const char *command, const char *option, const char *text,
                                     long long lo, long long hi, long long *out, sh_error *err);
/* The help of command c ("sohoa COMMAND --help"), or of sohoa itself when c is top; g_free(). */
char *cli_help_text(const cli_command *top, const cli_command *c);
void cli_print_help(const cli_command *top, const cli_command *c);
/* "-q, --quiet", "--dpi N", "--lang vi|en"; with roff, in the manual page's fonts. g_free(). */
char *cli_option_label(const cli_option *o, bool roff);
/* The manual page sohoa(1) in roff, and the bash completion script (generate.c). */
void cli_print_man(const cli_command *top);
void cli_print_completion(const cli_command *top);

/* The workspace named by --workspace or found above `start` (the current folder when NULL),
 * and its ledger. */
SH_NODISCARD sh_status cli_open_workspace(const cli_globals *g, const char *start, sh_workspace *ws,
                                          sh_ledger **ledger, sh_error *err);
/* The same with the ledger opened for reading only (works on read-only media), for commands
 * that only look. */
SH_NODISCARD sh_status cli_open_workspace_readonly(const cli_globals *g, const char *start,
                                                   sh_workspace *ws, sh_ledger **ledger,
                                                   sh_error *err);
/* The operator and station for a state-changing command: --operator, else sohoa.ini. */
SH_NODISCARD sh_status cli_actor(const cli_globals *g, const sh_workspace *ws, sh_actor *actor,
                                 sh_error *err);

/* The organisation's key from the options every key-using command has (sign, pack, receive):
 * --pkcs12 FILE or --pkcs11-module LIB [--token L] [--key L], with sohoa.ini's [sign] defaults;
 * SH_USAGE (naming command) when neither or both are said. */
SH_NODISCARD sh_status cli_key_source(const sh_config *cfg, const char *command, const char *pkcs12,
                                      const char *module, const char *token, const char *key,
                                      sg_key_source *src, sh_error *err);
/* Those options' rows in a command's OPTIONS, at its enum's indices p12..pin_file: --pkcs12
 * FILE and --pkcs11-module LIB with the command's own help (what the key does there;
 * CLI_PKCS11_MODULE_HELP when nothing more is to be said), then --token, --key, --pin-env and
 * --pin-file, the same everywhere. */
#define CLI_PKCS11_MODULE_HELP N_("the token's PKCS#11 module (sohoa.ini: pkcs11_module)")
#define CLI_KEY_OPTIONS(p12, module, token, key, pin_env, pin_file, p12_help, module_help)         \
    [p12] = {"pkcs12", 0, CLI_FILE, N_("FILE"), p12_help},                                         \
    [module] = {"pkcs11-module", 0, CLI_FILE, N_("LIB"), module_help},                             \
    [token] = {"token", 0, CLI_STRING, N_("LABEL"),                                                \
               N_("which token, when several are plugged in")},                                    \
    [key] = {"key", 0, CLI_STRING, N_("LABEL"),                                                    \
             N_("which key on the token, when it holds several")},                                 \
    [pin_env] = {"pin-env", 0, CLI_STRING, N_("VAR"),                                              \
                 N_("read the PIN or passphrase from environment variable VAR")},                  \
    [pin_file] = {"pin-file", 0, CLI_FILE, N_("FILE"),                                             \
                  N_("read it from the first line of FILE (mode 600); neither: it is asked on "    \
                     "the terminal, not shown")}

/* ---- configuration (config.c) ---- */

/* The sections of sohoa.ini this program reads, in the order of a new file, NULL-terminated;
 * main hands them to core (sh_config_use_sections) before anything else. */
extern const sh_config_section *const cli_config_sections[];

/* Print "sohoa: MESSAGE" on stderr (unless it is empty) and return the exit status. */
int cli_report(const sh_error *err);

/* ---- output (output.c): the one way a command prints its results ----
 * A command opens one cli_out for its run and describes its results: with --json as records
 * and fields of one document (o->json, written with core's sh_json_kv_* helpers), else as lines
 * for a person (cli_say). The contract, whatever the command:
 * - --json: stdout holds one JSON document and nothing else, or nothing at all when the command
 *   stops on an error (exit 2, 3 or 4); the error is "sohoa: MESSAGE" on stderr.
 * - A problem with one input among several (a path, a batch row, a file) does not stop the
 *   command: it is in the document where its shape has a place for it, else on stderr, and the
 *   document still comes, with the worst exit status.
 * - A document that grows with the data (audit show) is streamed (cli_out_flush) so that memory
 *   stays bounded; a failure part-way then leaves an unfinished document (not valid JSON) and
 *   the non-zero exit status says so.
 * - -q keeps only CLI_RESULT lines and errors; -v adds CLI_DETAIL lines. */
typedef struct {
    sh_json *json; /* --json: the document, its top object open; NULL: lines for a person */
} cli_out;

typedef enum {
    CLI_RESULT, /* what the command exists to print (a name, the catalog, a refusal): always */
    CLI_NOTE,   /* what was done, closing counts: not with -q */
    CLI_DETAIL, /* the routine fate of each file: only with -v */
} cli_level;

void cli_out_open(cli_out *o, const cli_globals *g);
/* Close the document and print it (--json); returns status, or 4 when the document could not be
 * written (then nothing is printed on stdout). */
int cli_out_close(cli_out *o, int status);
/* The command stopped: drop the document, report err on stderr; returns the exit status. */
int cli_out_fail(cli_out *o, const sh_error *err);
/* The same when the error is reported by the caller. */
void cli_out_drop(cli_out *o);
/* --json: write what the document holds so far, when it is large (see above). */
void cli_out_flush(cli_out *o);
/* A line for a person on stdout (nothing with --json, or when level is hidden by -q / -v). */
void cli_say(const cli_out *o, cli_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error line on stderr, shown even with -q and --json. */
void cli_say_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The commands (cmd_*.c). */
extern const cli_command cli_cmd_init, cli_cmd_audit, cli_cmd_catalog, cli_cmd_name, cli_cmd_ingest,
    cli_cmd_document, cli_cmd_validate, cli_cmd_sign, cli_cmd_verify, cli_cmd_pack, cli_cmd_receive;
extern const cli_command cli_cmd_upload;
extern const cli_command cli_cmd_import_receipts;
extern const cli_command cli_cmd_export;
extern const cli_command cli_cmd_inventory, cli_cmd_plan; /* cmd_inventory.c */
extern const cli_command cli_cmd_handover;
extern const cli_command cli_cmd_report;

/* The naming rules for a command on `start`: those of the workspace named by --workspace or
 * found above start (the current folder when NULL), else the defaults (or --config). The rules
 * point into ws, which the caller closes. */
SH_NODISCARD sh_status cli_naming_rules(const cli_globals *g, const char *start, sh_workspace *ws,
                                        nm_rules *rules, sh_error *err);
/* A finding (ctx: the cli_out) printed for a person, or added to the JSON document where it
 * stands (an array open in o->json). */
void cli_finding_out(const sh_finding *f, void *ctx);
/* The same on stderr, for commands whose stdout is a result scripts use; -q silences warnings. */
void cli_finding_err(const sh_finding *f, void *ctx);

/* The verbs of "sohoa name" that walk folders (cmd_name_check.c). */
/* Each PATH is reported on its own (findings, then any error on stderr): no sh_error out. */
int name_check(const cli_globals *g, int npaths, char **paths);
int name_fix(const cli_globals *g, const char *path, bool apply, const char *undo_journal,
             sh_error *err);

#endif
