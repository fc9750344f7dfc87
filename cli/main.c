/* sohoa: global options, then one subcommand. */
#include "cli.h"

#include <string.h>

#include <glib.h>

typedef struct {
    const char *name;
    int (*run)(const cli_globals *g, int argc, char **argv);
    const char *summary; /* N_() text, translated when printed */
} command;

static const command COMMANDS[] = {
    {"init", cmd_init, N_("create a workspace (sohoa.ini and the ledger)")},
    {"audit", cmd_audit, N_("the audit log: note, verify, show, export")},
    {"catalog", cmd_catalog, N_("the 104 document types of Phụ lục 1")},
    {"name", cmd_name, N_("canonical file and folder names (Phụ lục 2)")},
    {"ingest", cmd_ingest, N_("scanner files to one lossless PDF per document")},
    {"document", cmd_document, N_("correct a document's record: its expected page count")},
    {"validate", cmd_validate, N_("check dossiers, documents and pages before sign-off")},
    {"sign", cmd_sign, N_("sign passed PDFs with the organisation's certificate and stamp")},
    {"verify", cmd_verify, N_("check the signatures of signed PDFs")},
};

static void print_usage(void)
{
    printf(_("Usage: sohoa [OPTIONS] COMMAND [ARGUMENTS]\n"
             "\n"
             "sohoa turns scanned Party-member dossiers into validated, signed electronic\n"
             "dossiers (Công văn 1361-CV/BTCTW).\n"
             "\n"
             "Commands:\n"));
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        printf("  %-10s %s\n", COMMANDS[i].name, _(COMMANDS[i].summary));
    printf(_("\n"
             "Options for every command:\n"
             "  --workspace DIR    the workspace (default: found above the current folder)\n"
             "  --config FILE      read this configuration instead of DIR/sohoa.ini\n"
             "  --operator NAME    the person doing the work (default: sohoa.ini)\n"
             "  --lang vi|en       language of messages (default: from LANG)\n"
             "  --json             print one JSON document on standard output\n"
             "  -q, --quiet        print only errors\n"
             "  -v, --verbose      print more detail\n"
             "  -h, --help         show help; \"sohoa COMMAND --help\" for a command\n"
             "  --version          show the version\n"
             "\n"
             "Exit status: 0 all good; 1 findings; 2 usage error; 3 unreadable input or\n"
             "unusable key; 4 internal error.\n"));
}

static int run_command(const cli_globals *g, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (strcmp(argv[0], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(g, argc - 1, argv + 1);
    fprintf(stderr, _("sohoa: unknown command \"%s\"; \"sohoa --help\" lists them\n"), argv[0]);
    return SH_USAGE;
}

int main(int argc, char **argv)
{
    cli_globals g = {0};
    bool quiet = false, verbose = false, version = false;
    const cli_opt globals[] = {
        {"--workspace", &g.workspace, NULL},
        {"--config", &g.config, NULL},
        {"--lang", &g.lang, NULL},
        {"--operator", &g.operator_name, NULL},
        {"--json", NULL, &g.json},
        {"--quiet", NULL, &quiet},
        {"-q", NULL, &quiet},
        {"--verbose", NULL, &verbose},
        {"-v", NULL, &verbose},
        {"--help", NULL, &g.help},
        {"-h", NULL, &g.help},
        {"--version", NULL, &version},
        {NULL, NULL, NULL},
    };
    sh_error err;
    sh_error_clear(&err);
    char **args = NULL;
    int nargs = 0;
    /* The language first, so that even a usage error is in the operator's language. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], "--lang=", 7) == 0)
            g.lang = argv[i] + 7;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            g.lang = argv[++i];
    if (sh_i18n_init(g.lang, &err) != SH_OK) {
        sh_i18n_init(NULL, NULL);
        return cli_report(&err);
    }
    if (cli_parse(argc - 1, argv + 1, globals, true, "sohoa", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    sh_log_set_level(quiet ? SH_LOG_QUIET : verbose ? SH_LOG_VERBOSE : SH_LOG_NORMAL);

    /* "sohoa help audit" is "sohoa audit --help". */
    char **rest = args;
    int nrest = nargs;
    if (nrest > 1 && strcmp(rest[0], "help") == 0) {
        g.help = true;
        rest++;
        nrest--;
    }
    int status = SH_OK;
    if (version) {
        printf("sohoa %s\n", SOHOA_VERSION);
    } else if (nrest == 0 || strcmp(rest[0], "help") == 0) {
        print_usage();
        status = (nrest == 0 && !g.help) ? SH_USAGE : SH_OK;
    } else {
        sh_debug("sohoa %s, command \"%s\"", SOHOA_VERSION, rest[0]);
        status = run_command(&g, nrest, rest);
    }
    g_free(args);
    return status;
}
