/* Option parsing, workspace opening and error reporting shared by the commands. */
#include "cli.h"

#include <string.h>

#include <glib.h>

/* The workspace and its ledger, for writing or only for reading. */
static sh_status open_workspace(const cli_globals *g, const char *start, bool readonly,
                                sh_workspace *ws, sh_ledger **ledger, sh_error *err)
{
    *ledger = NULL;
    sh_status st = sh_workspace_open(g->workspace, start, g->config, ws, err);
    if (st != SH_OK)
        return st;
    sh_debug("workspace %s, configuration %s, ledger %s%s", ws->root, ws->config_path,
             ws->ledger_path, readonly ? " (read only)" : "");
    st = readonly ? sh_ledger_open_readonly(ws->ledger_path, ledger, err)
                  : sh_ledger_open(ws->ledger_path, false, ledger, err);
    if (st != SH_OK)
        sh_workspace_close(ws);
    return st;
}

sh_status cli_open_workspace(const cli_globals *g, const char *start, sh_workspace *ws,
                             sh_ledger **ledger, sh_error *err)
{
    return open_workspace(g, start, false, ws, ledger, err);
}

sh_status cli_open_workspace_readonly(const cli_globals *g, const char *start, sh_workspace *ws,
                                      sh_ledger **ledger, sh_error *err)
{
    return open_workspace(g, start, true, ws, ledger, err);
}

sh_status cli_naming_rules(const cli_globals *g, const char *start, sh_workspace *ws,
                           nm_rules *rules, sh_error *err)
{
    bool found;
    sh_status st = sh_workspace_open_optional(g->workspace, start, g->config, ws, &found, err);
    if (st == SH_OK)
        nm_rules_from_config(rules, &ws->config);
    if (st == SH_OK && found)
        sh_debug("%s: the naming rules of the workspace %s (%s)", start ? start : ".", ws->root,
                 ws->config_path);
    else if (st == SH_OK)
        sh_debug("%s: outside any workspace: the default naming rules%s", start ? start : ".",
                 g->config ? ", and --config" : "");
    return st;
}

sh_status cli_actor(const cli_globals *g, const sh_workspace *ws, sh_actor *actor, sh_error *err)
{
    actor->station = ws->config.station_id;
    actor->operator_name = g->operator_name ? g->operator_name : ws->config.operator_name;
    sh_status st = sh_actor_check(actor, err);
    if (st == SH_OK)
        sh_debug("operator %s, station %s", actor->operator_name, actor->station);
    return st;
}

int cli_report(const sh_error *err)
{
    if (err->msg[0])
        cli_say_err("sohoa: %s\n", err->msg);
    return err->status == SH_OK ? SH_INTERNAL : (int)err->status;
}

sh_status cli_key_source(const sh_config *cfg, const char *command, const char *pkcs12,
                         const char *module, const char *token, const char *key, sg_key_source *src,
                         sh_error *err)
{
    const sg_config *c = sg_config_get(cfg);
    if (!module && !pkcs12 && c->pkcs11_module)
        module = c->pkcs11_module;
    if (!module == !pkcs12)
        return cli_usage(err, command,
                         _("say where the key is: --pkcs12 FILE or --pkcs11-module LIB (or "
                           "pkcs11_module in sohoa.ini), one of them"));
    *src = (sg_key_source){.pkcs12 = pkcs12,
                           .pkcs11_module = pkcs12 ? NULL : module,
                           .token_label = token ? token : c->token_label,
                           .key_label = key ? key : c->key_label};
    if (src->token_label && !*src->token_label)
        src->token_label = NULL;
    if (src->key_label && !*src->key_label)
        src->key_label = NULL;
    return SH_OK;
}
