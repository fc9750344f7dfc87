/* sohoa init [DIR] --station ID --operator NAME */
#include "cli.h"

#include <glib.h>

static void print_help(void)
{
    printf(_("Usage: sohoa init [DIR] --station ID --operator NAME\n"
             "\n"
             "Create a workspace in DIR (default: the current folder): DIR/sohoa.ini and the\n"
             "ledger DIR/.sohoa/ledger.db. An existing workspace is never overwritten.\n"
             "\n"
             "  --station ID       this scan station's ID, for example HN-XA-01\n"
             "  --operator NAME    the person setting it up, for example \"Nguyễn Văn A\"\n"));
}

int cmd_init(const cli_globals *g, int argc, char **argv)
{
    const char *station = NULL;
    const cli_opt opts[] = {{"--station", &station, NULL}, {NULL, NULL, NULL}};
    sh_error err;
    sh_error_clear(&err);
    char **args = NULL;
    int nargs = 0;
    if (g->help) {
        print_help();
        return SH_OK;
    }
    if (cli_parse(argc, argv, opts, false, "init", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    int status = SH_OK;
    const char *dir = nargs > 0 ? args[0] : ".";
    if (nargs > 1) {
        sh_fail(&err, SH_USAGE, _("init: one folder at most; see \"sohoa init --help\""));
    } else if (!station) {
        sh_fail(&err, SH_USAGE,
                _("init: --station ID is required (for example --station HN-XA-01)"));
    } else if (!g->operator_name) {
        sh_fail(&err, SH_USAGE,
                _("init: --operator NAME is required: every action is recorded under a "
                  "person's name"));
    } else if (sh_workspace_create(dir, station, g->operator_name, &err) == SH_OK) {
        char *root = g_canonicalize_filename(dir, NULL);
        if (g->json) {
            sh_json *j = sh_json_new();
            sh_json_begin_object(j);
            sh_json_key(j, "workspace");
            sh_json_string(j, root);
            sh_json_key(j, "station");
            sh_json_string(j, station);
            sh_json_key(j, "operator");
            sh_json_string(j, g->operator_name);
            sh_json_end_object(j);
            status = cli_print_json(j, SH_OK);
            sh_json_free(j);
        } else {
            sh_info(_("Created workspace %s (station %s, operator %s)."), root, station,
                    g->operator_name);
        }
        g_free(root);
    }
    if (err.status != SH_OK)
        status = cli_report(&err);
    g_free(args);
    return status;
}
