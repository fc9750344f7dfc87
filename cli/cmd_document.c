/* sohoa document pages: corrections to what the ledger records about a document, each with its
 * audit entry. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "ingest/ingest.h"

static void print_help(void)
{
    printf(_("Usage: sohoa document pages FILE --expected N --reason TEXT\n"
             "\n"
             "Correct what the ledger records about a document made by sohoa ingest; every\n"
             "correction is recorded in the audit log with the old value, the new one and\n"
             "the reason.\n"
             "\n"
             "  pages FILE         the number of pages the paper document has, which\n"
             "                     validate compares with the PDF (doc.page_count)\n"
             "  --expected N       the right number of pages\n"
             "  --reason TEXT      why it is corrected, for example \"the paper document has\n"
             "                     6 pages, not 5\"\n"
             "\n"
             "A document whose pages are missing is scanned again instead, with all its\n"
             "pages: sohoa ingest ... --replace --reason TEXT (docs/ingest.md).\n"));
}

static int do_pages(const cli_globals *g, int nargs, char **args, const char *expected_text,
                    const char *reason, sh_error *err)
{
    if (nargs != 1)
        return sh_fail(err, SH_USAGE, "%s",
                       _("document pages: give one document's PDF, --expected N and --reason "
                         "TEXT"));
    if (!expected_text || !reason)
        return sh_fail(err, SH_USAGE, "%s",
                       _("document pages: give --expected N (the right number of pages) and "
                         "--reason TEXT (why): the audit log records both"));
    char *end;
    long expected = strtol(expected_text, &end, 10);
    if (!*expected_text || *end || expected < 1 || expected > 100000)
        return sh_fail(err, SH_USAGE, _("document pages: --expected takes a number from %d to %d"),
                       1, 100000);
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
        st =
            in_set_expected_pages(ledger, ws.root, &actor, args[0], (int)expected, reason, &c, err);
    if (st == SH_OK && g->json) {
        sh_json *j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_kv_str(j, "path", c.rel_path);
        sh_json_kv_int(j, "pages", c.pages);
        sh_json_key(j, "expected_pages");
        sh_json_begin_object(j);
        sh_json_key(j, "old");
        if (c.old_expected > 0)
            sh_json_int(j, c.old_expected);
        else
            sh_json_null(j);
        sh_json_kv_int(j, "new", c.new_expected);
        sh_json_end_object(j);
        sh_json_kv_bool(j, "changed", c.audit_id != 0);
        sh_json_key(j, "audit_id");
        if (c.audit_id)
            sh_json_int(j, c.audit_id);
        else
            sh_json_null(j);
        sh_json_end_object(j);
        st = cli_print_json(j, SH_OK);
        sh_json_free(j);
    } else if (st == SH_OK && c.audit_id == 0) {
        sh_info(_("%s: the expected page count is already %d; nothing was changed"), c.rel_path,
                c.new_expected);
    } else if (st == SH_OK) {
        char old[32];
        if (c.old_expected > 0)
            snprintf(old, sizeof old, "%d", c.old_expected);
        else
            g_strlcpy(old, _("none"), sizeof old);
        printf(_("%s: expected page count %d (was %s; the PDF has %d); recorded in audit entry "
                 "%lld\n"),
               c.rel_path, c.new_expected, old, c.pages, (long long)c.audit_id);
        sh_info("%s", _("validate the document again: its earlier verdict was given against the "
                        "old count"));
    }
    in_expected_change_clear(&c);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws);
    return st;
}

int cmd_document(const cli_globals *g, int argc, char **argv)
{
    if (g->help) {
        print_help();
        return SH_OK;
    }
    const char *expected = NULL, *reason = NULL;
    const cli_opt opts[] = {
        {"--expected", &expected, NULL}, {"--reason", &reason, NULL}, {NULL, NULL, NULL}};
    sh_error err;
    sh_error_clear(&err);
    char **args = NULL;
    int nargs = 0;
    if (cli_parse(argc, argv, opts, false, "document", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    int status;
    if (nargs > 0 && strcmp(args[0], "pages") == 0)
        status = do_pages(g, nargs - 1, args + 1, expected, reason, &err);
    else
        status = sh_fail(&err, SH_USAGE, "%s",
                         _("document: give what to correct: sohoa document pages FILE --expected "
                           "N --reason TEXT (see \"sohoa document --help\")"));
    g_free(args);
    return status == SH_OK ? SH_OK : cli_report(&err);
}
