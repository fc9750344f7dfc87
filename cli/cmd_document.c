/* sohoa document pages: corrections to what the ledger records about a document, each with its
 * audit entry. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "ingest/ingest.h"

enum { O_EXPECTED, O_REASON };

static const cli_option OPTIONS[] = {
    [O_EXPECTED] = {"expected", 0, CLI_INT, N_("N"), N_("the right number of pages"), 1, 100000},
    [O_REASON] = {"reason", 0, CLI_STRING, N_("TEXT"),
                  N_("why it is corrected, for example \"the paper document has 6 pages, not "
                     "5\"")},
    {0},
};

static const cli_item VERBS[] = {
    {"pages", N_("FILE"),
     N_("the number of pages the paper document has, which validate compares with the PDF "
        "(doc.page_count)")},
    {0},
};

static int run_document(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_document = {
    .name = "document",
    .summary = N_("correct a document's record: its expected page count"),
    .usage = N_("sohoa document pages FILE --expected N --reason TEXT"),
    .description = N_("Correct what the ledger records about a document made by sohoa ingest; "
                      "every correction is recorded in the audit log with the old value, the new "
                      "one and the reason."),
    .verbs = VERBS,
    .options = OPTIONS,
    .notes = N_("A document whose pages are missing is scanned again instead, with all its "
                "pages: sohoa ingest ... --replace --reason TEXT (docs/ingest.md)."),
    .run = run_document,
};

/* What was corrected: a record, or a line and a reminder. Returns the exit status. */
static int put_change(const cli_globals *g, const in_expected_change *c)
{
    cli_out o;
    cli_out_open(&o, g);
    if (o.json) {
        sh_json_kv_str(o.json, "path", c->rel_path);
        sh_json_kv_int(o.json, "pages", c->pages);
        sh_json_kv_object(o.json, "expected_pages");
        sh_json_kv_int_or_null(o.json, "old", c->old_expected, c->old_expected > 0);
        sh_json_kv_int(o.json, "new", c->new_expected);
        sh_json_end_object(o.json);
        sh_json_kv_bool(o.json, "changed", c->audit_id != 0);
        sh_json_kv_int_or_null(o.json, "audit_id", c->audit_id, c->audit_id != 0);
    } else if (c->audit_id == 0) {
        sh_info(_("%s: the expected page count is already %d; nothing was changed"), c->rel_path,
                c->new_expected);
    } else {
        char old[32];
        if (c->old_expected > 0)
            snprintf(old, sizeof old, "%d", c->old_expected);
        else
            g_strlcpy(old, _("none"), sizeof old);
        cli_say(&o, CLI_RESULT,
                _("%s: expected page count %d (was %s; the PDF has %d); recorded in audit entry "
                  "%lld\n"),
                c->rel_path, c->new_expected, old, c->pages, (long long)c->audit_id);
        sh_info("%s", _("validate the document again: its earlier verdict was given against the "
                        "old count"));
    }
    return cli_out_close(&o, SH_OK);
}

/* expected: 0 when --expected is not given. */
static int do_pages(const cli_globals *g, int nargs, char **args, int expected, const char *reason,
                    sh_error *err)
{
    if (nargs != 1)
        return cli_usage(err, "document pages", "%s",
                         _("give one document's PDF, --expected N and --reason TEXT"));
    if (!expected || !reason)
        return cli_usage(err, "document pages", "%s",
                         _("give --expected N (the right number of pages) and --reason TEXT "
                           "(why): the audit log records both"));
    if (access(args[0], F_OK) != 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), args[0]);
    sh_workspace ws;
    sh_ledger *ledger = NULL;
    sh_actor actor;
    char *start = g_path_get_dirname(args[0]); /* the workspace the document is in */
    sh_status opened = cli_open_workspace(g, start, &ws, &ledger, err);
    g_free(start);
    if (opened != SH_OK)
        return err->status;
    in_expected_change c = {0};
    sh_status st = cli_actor(g, &ws, &actor, err);
    if (st == SH_OK)
        st = in_set_expected_pages(ledger, ws.root, &actor, args[0], expected, reason, &c, err);
    if (st == SH_OK)
        st = put_change(g, &c);
    in_expected_change_clear(&c);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws);
    return st;
}

static int run_document(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *reason = opt[O_REASON].text;
    int expected = opt[O_EXPECTED].count ? (int)opt[O_EXPECTED].num : 0;
    sh_error err;
    sh_error_clear(&err);
    int status;
    if (nargs > 0 && strcmp(args[0], "pages") == 0)
        status = do_pages(g, nargs - 1, args + 1, expected, reason, &err);
    else
        status = cli_usage(&err, "document", "%s",
                           _("give what to correct: sohoa document pages FILE --expected N "
                             "--reason TEXT (see \"sohoa help document\")"));
    g_free(args);
    return status == SH_OK ? SH_OK : cli_report(&err);
}
