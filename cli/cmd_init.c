/* sohoa init [DIR] --station ID --operator NAME */
#include "cli.h"

#include <glib.h>

enum { O_STATION, O_OPERATOR };

static const cli_option OPTIONS[] = {
    [O_STATION] = {"station", 0, CLI_STRING, N_("ID"),
                   N_("this scan station's ID, for example HN-XA-01")},
    [O_OPERATOR] = {"operator", 0, CLI_STRING, N_("NAME"),
                    N_("the person setting it up, for example \"Nguyễn Văn A\""),
                    .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("DIR"), N_("the folder of the new workspace (default: the current folder)")},
    {0},
};

static int run_init(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_init = {
    .name = "init",
    .summary = N_("create a workspace (sohoa.ini and the ledger)"),
    .usage = N_("sohoa init [DIR] --station ID --operator NAME"),
    .description =
        N_("Create a workspace in DIR (default: the current folder): DIR/sohoa.ini and "
           "the ledger DIR/.sohoa/ledger.db. An existing workspace is never overwritten."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .run = run_init,
};

static int run_init(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *station = opt[O_STATION].text;
    sh_error err;
    sh_error_clear(&err);
    int status = SH_OK;
    const char *dir = nargs > 0 ? args[0] : ".";
    if (nargs > 1) {
        cli_usage(&err, "init", _("one folder at most; see \"sohoa help init\""));
    } else if (!station) {
        cli_usage(&err, "init", _("--station ID is required (for example --station HN-XA-01)"));
    } else if (!g->operator_name) {
        cli_usage(&err, "init",
                  _("--operator NAME is required: every action is recorded under a person's "
                    "name"));
    } else if (sh_workspace_create(dir, station, g->operator_name, &err) == SH_OK) {
        char *root = g_canonicalize_filename(dir, NULL);
        cli_out o;
        cli_out_open(&o, g);
        if (o.json) {
            sh_json_kv_str(o.json, "workspace", root);
            sh_json_kv_str(o.json, "station", station);
            sh_json_kv_str(o.json, "operator", g->operator_name);
        } else {
            sh_info(_("Created workspace %s (station %s, operator %s)."), root, station,
                    g->operator_name);
        }
        status = cli_out_close(&o, SH_OK);
        g_free(root);
    }
    if (err.status != SH_OK)
        status = cli_report(&err);
    g_free(args);
    return status;
}
