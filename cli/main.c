/* sohoa: global options, then one command. The commands and their options are described by
 * tables (cli.h); this file holds the global ones, "sohoa help", and the dispatch. */
#include "cli.h"

#include <string.h>

#include <glib.h>

enum { G_WORKSPACE, G_CONFIG, G_OPERATOR, G_LANG, G_JSON, G_QUIET, G_VERBOSE, G_HELP, G_VERSION };

static const char *const LANGUAGES[] = {"vi", "en", NULL};

static const cli_option GLOBAL_OPTIONS[] = {
    [G_WORKSPACE] = {"workspace", 0, CLI_DIR, N_("DIR"),
                     N_("the workspace (default: found above the current folder)")},
    [G_CONFIG] = {"config", 0, CLI_FILE, N_("FILE"),
                  N_("read this configuration instead of DIR/sohoa.ini")},
    [G_OPERATOR] = {"operator", 0, CLI_STRING, N_("NAME"),
                    N_("the person doing the work (default: sohoa.ini)")},
    [G_LANG] = {"lang", 0, CLI_ENUM, NULL, N_("language of messages (default: from LANG)"),
                .choices = LANGUAGES},
    [G_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print one JSON document on standard output")},
    [G_QUIET] = {"quiet", 'q', CLI_FLAG, NULL, N_("print only errors")},
    [G_VERBOSE] = {"verbose", 'v', CLI_FLAG, NULL, N_("print more detail")},
    [G_HELP] = {"help", 'h', CLI_FLAG, NULL,
                N_("show help; \"sohoa COMMAND --help\" for a command")},
    [G_VERSION] = {"version", 0, CLI_FLAG, NULL, N_("show the version")},
    {0},
};

/* ---- sohoa help ---- */

enum { H_MAN, H_COMPLETION };

static const char *const SHELLS[] = {"bash", NULL};

/* Hidden: the build makes the manual page and the completion script with them. */
static const cli_option HELP_OPTIONS[] = {
    [H_MAN] = {"man", 0, CLI_FLAG, NULL, "the manual page sohoa(1), in roff", .flags = CLI_HIDDEN},
    [H_COMPLETION] = {"completion", 0, CLI_ENUM, NULL, "the completion script of a shell",
                      .choices = SHELLS, .flags = CLI_HIDDEN},
    {0},
};

static const cli_item HELP_ARGUMENTS[] = {
    {NULL, N_("COMMAND"), N_("the command to describe; without it, the list of commands")},
    {0},
};

static int run_help(const cli_globals *g, const cli_value *opt, int nargs, char **args);

static const cli_command HELP = {
    .name = "help",
    .summary = N_("the help of a command: \"sohoa help ingest\" is \"sohoa ingest --help\""),
    .usage = N_("sohoa help [COMMAND]"),
    .arguments = HELP_ARGUMENTS,
    .options = HELP_OPTIONS,
    .run = run_help,
};

static const cli_command *const COMMANDS[] = {
    &cli_cmd_init,
    &cli_cmd_audit,
    &cli_cmd_catalog,
    &cli_cmd_name,
    &cli_cmd_ingest,
    &cli_cmd_document,
    &cli_cmd_validate,
    &cli_cmd_sign,
    &cli_cmd_verify,
    &cli_cmd_pack,
    &cli_cmd_receive,
    &cli_cmd_upload,
    &cli_cmd_import_receipts,
    &cli_cmd_export,
    &cli_cmd_inventory,
    &cli_cmd_plan,
    &cli_cmd_handover,
    &cli_cmd_report,
    &HELP,
    NULL,
};

static const cli_command SOHOA = {
    .name = "sohoa",
    .summary = N_("scanned Party-member dossiers to validated, signed electronic dossiers"),
    .usage = N_("sohoa [OPTIONS] COMMAND [ARGUMENTS]"),
    .description = N_("sohoa turns scanned Party-member dossiers into validated, signed "
                      "electronic dossiers (Công văn 1361-CV/BTCTW)."),
    .options = GLOBAL_OPTIONS,
    .exit_status = N_("Exit status: 0 all good; 1 findings; 2 usage error; 3 unreadable input "
                      "or unusable key; 4 internal error."),
    .commands = COMMANDS,
};

static int run_help(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    (void)g;
    sh_error err;
    sh_error_clear(&err);
    bool man = opt[H_MAN].count > 0, completion = opt[H_COMPLETION].count > 0;
    const cli_command *c = nargs == 1 ? cli_find_command(&SOHOA, args[0]) : &SOHOA;
    if (nargs > 1 || (nargs && (man || completion)) || (man && completion))
        cli_usage(&err, "help", _("give one command, or none for the list of commands"));
    else if (!c)
        cli_usage(&err, "help", _("unknown command \"%s\"; \"sohoa help\" lists them"), args[0]);
    else if (man)
        cli_print_man(&SOHOA);
    else if (completion)
        cli_print_completion(&SOHOA);
    else
        cli_print_help(&SOHOA, c);
    g_free(args);
    return err.status == SH_OK ? SH_OK : cli_report(&err);
}

/* ---- the dispatch ---- */

static void set_globals(const cli_value *v, cli_globals *g)
{
    g->workspace = v[G_WORKSPACE].text;
    g->config = v[G_CONFIG].text;
    g->operator_name = v[G_OPERATOR].text;
    g->lang = v[G_LANG].text;
    g->json = v[G_JSON].count > 0;
    sh_log_set_level(v[G_QUIET].count     ? SH_LOG_QUIET
                     : v[G_VERBOSE].count ? SH_LOG_VERBOSE
                                          : SH_LOG_NORMAL);
}

static int dispatch(cli_args *a)
{
    cli_globals g = {0};
    set_globals(a->global, &g);
    if (a->global[G_VERSION].count) {
        printf("sohoa %s\n", SOHOA_VERSION);
        return SH_OK;
    }
    if (!a->cmd || a->global[G_HELP].count) {
        cli_print_help(&SOHOA, a->cmd ? a->cmd : &SOHOA);
        return a->cmd || a->global[G_HELP].count ? SH_OK : SH_USAGE;
    }
    sh_debug("sohoa %s, command \"%s\"", SOHOA_VERSION, a->cmd->name);
    char **args = a->args;
    a->args = NULL; /* the command's now */
    return a->cmd->run(&g, a->opt, a->nargs, args);
}

int main(int argc, char **argv)
{
    sh_error err;
    sh_error_clear(&err);
    sh_config_use_sections(cli_config_sections); /* the sohoa.ini this program reads */
    /* The language first, so that even a usage error is in the operator's language. */
    const char *lang = NULL;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], "--lang=", 7) == 0)
            lang = argv[i] + 7;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            lang = argv[++i];
    if (sh_i18n_init(lang, &err) != SH_OK) {
        /* the environment's language for the message about --lang (that cannot fail) */
        sh_status st = sh_i18n_init(NULL, NULL);
        (void)st;
        return cli_report(&err);
    }
    cli_args a;
    int status = cli_parse_line(&SOHOA, argc - 1, argv + 1, &a, &err) == SH_OK ? dispatch(&a)
                                                                               : cli_report(&err);
    cli_args_free(&a);
    return status;
}
