/* sohoa inventory import FILE.csv and sohoa plan import FILE.csv (issue 17): the list of dossiers
 * to digitise and the plan's deadlines, taken in by progress (pg_inventory_import,
 * pg_plan_import). Here: the verb, the workspace and what the operator sees. */
#include "cli.h"

#include <string.h>

#include <glib.h>

#include "progress/progress.h"

enum { O_JSON };

static const cli_option OPTIONS[] = {
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item INVENTORY_VERBS[] = {
    {"import", N_("FILE.csv"),
     N_("take in the list of dossiers to digitise: one row per member, with the columns org "
        "(Mã tổ chức), cccd (Số CCCD; for a member without one, the CMND or passport number "
        "the dossier folder carries), name (Họ và tên) and group (Nhóm, 1 to 4)")},
    {0},
};

static const cli_item PLAN_VERBS[] = {
    {"import", N_("FILE.csv"),
     N_("take in the plan's deadlines, replacing the plan: one row per organisation code or "
        "prefix, with the columns org (Mã tổ chức), group (Nhóm, empty: every group), measure "
        "(Mức hoàn thành: complete or priority1, empty: complete), start (Ngày bắt đầu, "
        "YYYY-MM-DD, empty: today) and deadline (Hạn hoàn thành, YYYY-MM-DD)")},
    {0},
};

static int run_inventory(const cli_globals *g, const cli_value *opt, int nargs, char **args);
static int run_plan(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_inventory = {
    .name = "inventory",
    .summary = N_("take in the list of dossiers to digitise, the base of every progress figure"),
    .usage = N_("sohoa inventory import FILE.csv [--json]"),
    .description =
        N_("The inventory lists the dossiers to digitise, one row per Party member: the "
           "organisation code M1.M2.M3.M4.M5, the CCCD as the dossier folder carries it, the full "
           "name and the subject group 1 to 4 (guide I.2: 1 managed by the committee, 2 key "
           "leaders, 3 often used, 4 the rest). It is the denominator of every percentage sohoa "
           "report shows.\n\n"
           "The file is CSV as Excel saves it: comma or semicolon, UTF-8 with or without a BOM, "
           "quoted cells; the first line names the columns, in English (org, cccd, name, group) or "
           "Vietnamese (Mã tổ chức, Số CCCD, Họ và tên, Nhóm), in any order. A bad row is reported "
           "with its line number and what to do; the other rows are imported all the same.\n\n"
           "Importing again updates the members already listed (a new name or group) and adds the "
           "new ones; a member is never listed twice, and a member missing from the new file stays "
           "listed. Each import is recorded with the file's SHA-256 in the ledger and in the audit "
           "log, whose entry holds counts only, never a name or a CCCD."),
    .verbs = INVENTORY_VERBS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 every row is imported, 1 some rows were refused (the others "
                      "are imported), 2 bad arguments, 3 the file cannot be read or is not such "
                      "a CSV file, 4 the ledger or the disk failed."),
    .run = run_inventory,
};

const cli_command cli_cmd_plan = {
    .name = "plan",
    .summary = N_("take in the plan's deadlines per organisation and subject group"),
    .usage = N_("sohoa plan import FILE.csv [--json]"),
    .description =
        N_("The plan sets when digitisation must be done: per organisation code or prefix of one "
           "(93 for the whole province, 93.000.036 for a district's organisations, a full code for "
           "one organisation), per subject group or for every group, and for the whole dossier "
           "(complete) or for its priority-1 documents (priority1). The report's timeliness "
           "(on time, due soon, overdue) and targets come from it, the longest prefix applying.\n\n"
           "The file is CSV as Excel saves it, with English (org, group, measure, start, deadline) "
           "or Vietnamese headings (Mã tổ chức, Nhóm, Mức hoàn thành, Ngày bắt đầu, Hạn hoàn "
           "thành). Dates are YYYY-MM-DD; the deadline must come after the start. The measure may "
           "be written toàn bộ or ưu tiên 1.\n\n"
           "The file is the whole plan: importing it replaces the plan before it. A bad row is "
           "reported with its line number and left out; correct it and import the file again."),
    .verbs = PLAN_VERBS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 every row is imported, 1 some rows were refused (the others "
                      "are imported), 2 bad arguments, 3 the file cannot be read or is not such "
                      "a CSV file, 4 the ledger or the disk failed."),
    .run = run_plan,
};

typedef sh_status (*import_fn)(sh_ledger *l, const sh_actor *actor, const char *path,
                               pg_import_result *res, sh_error *err);

/* ---- output */

static void result_json(sh_json *j, const char *file, bool plan, const pg_import_result *r)
{
    sh_json_kv_str(j, "file", file);
    sh_json_kv_str(j, "sha256", r->sha256);
    sh_json_kv_int(j, "rows", (int64_t)r->rows);
    if (plan) {
        sh_json_kv_int(j, "planned", (int64_t)r->planned);
    } else {
        sh_json_kv_int(j, "added", (int64_t)r->added);
        sh_json_kv_int(j, "updated", (int64_t)r->updated);
        sh_json_kv_int(j, "unchanged", (int64_t)r->unchanged);
    }
    sh_json_kv_int_or_null(j, "import_id", r->import_id, r->import_id != 0);
    sh_json_kv_int_or_null(j, "audit_id", r->audit_id, r->audit_id != 0);
    sh_json_kv_array(j, "refused");
    for (size_t i = 0; i < r->n_problems; i++) {
        sh_json_begin_object(j);
        sh_json_kv_int(j, "line", r->problems[i].line);
        sh_json_kv_str(j, "problem", r->problems[i].problem);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
}

static void result_text(const cli_out *o, const char *file, bool plan, const pg_import_result *r)
{
    for (size_t i = 0; i < r->n_problems; i++)
        cli_say_err("%s:%d: %s\n", file, r->problems[i].line, r->problems[i].problem);
    if (plan)
        cli_say(o, CLI_NOTE, _("%s: %zu rows read, %zu deadlines in the plan now, %zu refused.\n"),
                file, r->rows, r->planned, r->n_problems);
    else
        cli_say(o, CLI_NOTE,
                _("%s: %zu rows read: %zu members added, %zu updated, %zu unchanged, %zu "
                  "refused.\n"),
                file, r->rows, r->added, r->updated, r->unchanged, r->n_problems);
    if (r->n_problems)
        cli_say(o, CLI_RESULT,
                r->import_id ? _("The refused rows were left out: correct them as each line says, "
                                 "then import the file again.\n")
                             : _("Nothing was imported: correct the rows as each line says, then "
                                 "import the file again.\n"));
}

static int import(const cli_globals *g, const char *file, bool plan, import_fn fn)
{
    sh_error err;
    sh_error_clear(&err);
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    sh_actor actor;
    sh_status st = cli_open_workspace(g, NULL, &ws, &ledger, &err);
    if (st == SH_OK)
        st = cli_actor(g, &ws, &actor, &err);
    pg_import_result res = {0};
    if (st == SH_OK)
        st = fn(ledger, &actor, file, &res, &err);
    int status;
    if (st == SH_OK || st == SH_FINDINGS) {
        char *shown = nm_shown(file);
        cli_out out;
        cli_out_open(&out, g);
        if (out.json)
            result_json(out.json, shown, plan, &res);
        else
            result_text(&out, shown, plan, &res);
        status = cli_out_close(&out, (int)st);
        g_free(shown);
    } else {
        status = cli_report(&err);
    }
    pg_import_result_clear(&res);
    sh_ledger_close(ledger);
    if (ws.root)
        sh_workspace_close(&ws);
    return status;
}

static int run(const char *command, const cli_globals *g, int nargs, char **args, bool plan,
               import_fn fn)
{
    int status;
    if (nargs != 2 || strcmp(args[0], "import") != 0) {
        sh_error err;
        sh_error_clear(&err);
        cli_usage(&err, command, _("expected import FILE.csv; see \"sohoa help %s\""), command);
        status = cli_report(&err);
    } else {
        status = import(g, args[1], plan, fn);
    }
    g_free(args);
    return status;
}

static int run_inventory(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    (void)opt;
    return run("inventory", g, nargs, args, false, pg_inventory_import);
}

static int run_plan(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    (void)opt;
    return run("plan", g, nargs, args, true, pg_plan_import);
}
