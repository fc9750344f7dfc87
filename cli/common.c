/* Option parsing, workspace opening and error reporting shared by the commands. */
#include "cli.h"

#include <string.h>

#include <glib.h>

static const cli_opt *find_opt(const cli_opt *opts, const char *name, size_t len)
{
    for (; opts && opts->name; opts++)
        if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

sh_status cli_parse(int argc, char **argv, const cli_opt *opts, bool keep_unknown,
                    const char *command, char ***args, int *nargs, sh_error *err)
{
    char **out = g_new0(char *, (size_t)argc + 1);
    int n = 0;
    bool options_ended = false;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (options_ended || a[0] != '-' || a[1] == '\0') {
            out[n++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_ended = true;
            if (keep_unknown) /* the command's own pass must see it too */
                out[n++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        const cli_opt *o = find_opt(opts, a, name_len);
        if (!o) {
            if (keep_unknown) {
                out[n++] = a;
                continue;
            }
            g_free(out);
            return sh_fail(err, SH_USAGE, _("%s: unknown option %s; see \"sohoa %s --help\""),
                           command, a, command);
        }
        if (o->flag) {
            if (eq) {
                g_free(out);
                return sh_fail(err, SH_USAGE, _("%s: option %s takes no value"), command, o->name);
            }
            *o->flag = true;
        } else if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            g_free(out);
            return sh_fail(err, SH_USAGE, _("%s: option %s needs a value"), command, o->name);
        }
    }
    *args = out;
    *nargs = n;
    return SH_OK;
}

sh_status cli_open_workspace(const cli_globals *g, const char *start, sh_workspace *ws,
                             sh_ledger **ledger, sh_error *err)
{
    *ledger = NULL;
    sh_status st = sh_workspace_open(g->workspace, start, g->config, ws, err);
    if (st != SH_OK)
        return st;
    sh_debug("workspace %s, configuration %s, ledger %s", ws->root, ws->config_path,
             ws->ledger_path);
    st = sh_ledger_open(ws->ledger_path, false, ledger, err);
    if (st != SH_OK)
        sh_workspace_close(ws);
    return st;
}

sh_status cli_open_workspace_readonly(const cli_globals *g, const char *start, sh_workspace *ws,
                                      sh_ledger **ledger, sh_error *err)
{
    *ledger = NULL;
    sh_status st = sh_workspace_open(g->workspace, start, g->config, ws, err);
    if (st != SH_OK)
        return st;
    sh_debug("workspace %s, configuration %s, ledger %s (read only)", ws->root, ws->config_path,
             ws->ledger_path);
    st = sh_ledger_open_readonly(ws->ledger_path, ledger, err);
    if (st != SH_OK)
        sh_workspace_close(ws);
    return st;
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
        fprintf(stderr, "sohoa: %s\n", err->msg);
    return err->status == SH_OK ? SH_INTERNAL : (int)err->status;
}

int cli_print_json(sh_json *j, int status)
{
    sh_error err;
    const char *text = sh_json_finish(j, &err);
    if (!text)
        return cli_report(&err);
    printf("%s\n", text);
    return status;
}

/* Where findings go: printed for a person, or into the JSON document. */
static void print_finding(FILE *out, const sh_finding *f)
{
    const char *severity = f->severity == SH_ERROR ? _("error") : _("warning");
    if (f->path)
        fprintf(out, "%s: %s %s: %s\n", f->path, severity, f->code, f->message);
    else
        fprintf(out, "%s %s: %s\n", severity, f->code, f->message);
    if (f->suggestion)
        fprintf(out, "    → %s%s\n", f->suggestion, f->fixable ? "" : _(" (to be confirmed)"));
}

void cli_finding_out(const sh_finding *f, void *ctx)
{
    if (ctx)
        sh_finding_json(ctx, f);
    else
        print_finding(stdout, f);
}

/* For commands whose stdout is a result that scripts use (name folder); -q silences warnings. */
void cli_finding_err(const sh_finding *f, void *ctx)
{
    if (ctx)
        sh_finding_json(ctx, f);
    else if (f->severity == SH_ERROR || sh_log_get_level() != SH_LOG_QUIET)
        print_finding(stderr, f);
}
