/* sohoa validate: the checks before sign-off, reported on the terminal, as JSON or as an HTML
 * page, with each file's verdict recorded in the workspace's ledger. */
#include "cli.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "validate/validate.h"

static void print_help(void)
{
    printf(_("Usage: sohoa validate PATH... [--html FILE] [--jobs N]\n"
             "\n"
             "Check dossiers before sign-off: names and folders (as sohoa name check), every\n"
             "PDF (opens, not protected, PDF 1.4 or later, the expected page count), every\n"
             "page (blank, not upright, skewed, cut off or a corner missing, resolution,\n"
             "scanned twice), and each dossier's priority-1 documents.\n"
             "\n"
             "  PATH...      a workspace, a folder of organisations, an organisation\n"
             "               folder, a dossier folder, or one PDF file\n"
             "  --html FILE  also write a report page (opens offline in any browser) with a\n"
             "               picture of every page that has a problem\n"
             "  --jobs N     pages analysed at once (default: one per processor core)\n"
             "  --json       print the results as one JSON document (docs/validate.md)\n"
             "\n"
             "Inside a workspace each file's verdict is recorded in the ledger: sohoa sign\n"
             "signs only files that passed, unchanged since. Exit status: 0 everything passed,\n"
             "1 a problem was found, 3 something could not be read, 4 the ledger could not\n"
             "be written.\n"));
}

typedef struct {
    const cli_globals *g;
    sh_json *json; /* --json: the "files" array is open in it */
    vd_html *html;
    sh_error html_err;
} output;

/* Printed while the progress bar may be on the terminal: its line is cleared first. */
static void entry_out(const vd_file_report *r, void *ctx)
{
    output *o = ctx;
    if (o->json) {
        vd_json_entry(o->json, r);
    } else {
        /* Written whole, in one go, and only when there is something to say: the bar is not
         * blanked and drawn again for an entry that prints nothing. */
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (mem) {
            vd_text_entry(mem, r, sh_log_get_level());
            fclose(mem);
        }
        if (len) {
            sh_progress_suspend();
            fwrite(text, 1, len, stdout);
            fflush(stdout);
            sh_progress_resume();
        }
        free(text);
    }
    if (o->html && o->html_err.status == SH_OK)
        vd_html_add(o->html, r, &o->html_err);
}

static sh_status parse_jobs(const char *text, int *jobs, sh_error *err)
{
    char *end;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || v < 1 || v > 256)
        return sh_fail(err, SH_USAGE, _("validate: --jobs takes a number from 1 to 256"));
    *jobs = (int)v;
    return SH_OK;
}

/* One PATH under its own workspace (or none): the rules, the ledger, the operator. */
static sh_status validate_one(const cli_globals *g, const char *path, int jobs,
                              sh_progress *progress, output *out, vd_summary *sum, sh_error *err)
{
    sh_workspace ws;
    bool found;
    sh_status st = sh_workspace_open_optional(g->workspace, path, g->config, &ws, &found, err);
    if (st != SH_OK)
        return st;
    if (found)
        sh_debug("%s: workspace %s", path, ws.root);
    else
        sh_debug("%s: outside any workspace; the default settings apply", path);
    vd_options o = {.config = &ws.config,
                    .jobs = jobs ? jobs : ws.config.jobs,
                    .thumbnails = out->html != NULL,
                    .progress = progress,
                    .entry = entry_out,
                    .ctx = out};
    nm_rules_from_config(&o.rules, &ws.config);
    sh_ledger *ledger = NULL;
    sh_actor actor;
    if (found) {
        /* Verdicts are recorded under a named operator; without one the ledger is only read
         * (expected page counts), read-only, so that validate works on read-only media too. */
        sh_error why;
        bool named = cli_actor(g, &ws, &actor, &why) == SH_OK;
        bool writable = sh_ledger_writable(ws.ledger_path);
        st = named && writable ? sh_ledger_open(ws.ledger_path, false, &ledger, err)
                               : sh_ledger_open_readonly(ws.ledger_path, &ledger, err);
        if (st != SH_OK) {
            sh_workspace_close(&ws);
            return st;
        }
        o.ledger = ledger;
        o.root = ws.root;
        if (named && writable)
            o.actor = &actor;
        else if (named)
            sh_warn(_("the verdicts are not recorded, so sohoa sign will not accept these files: "
                      "the ledger %s cannot be written here (read-only media, or no permission)"),
                    ws.ledger_path);
        else
            sh_warn(_("the verdicts are not recorded, so sohoa sign will not accept these files: "
                      "%s"),
                    why.msg);
    }
    st = vd_validate_path(path, &o, sum, err);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws);
    return st;
}

int cmd_validate(const cli_globals *g, int argc, char **argv)
{
    const char *html = NULL, *jobs_text = NULL;
    const cli_opt opts[] = {{"--html", &html, NULL}, {"--jobs", &jobs_text, NULL}, {0}};
    char **args;
    int nargs;
    sh_error err;
    sh_error_clear(&err);
    if (cli_parse(argc, argv, opts, false, "validate", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    if (g->help) {
        print_help();
        g_free(args);
        return 0;
    }
    int jobs = 0;
    if (nargs == 0)
        sh_fail(&err, SH_USAGE, _("validate: name at least one folder or PDF file to check"));
    else if (jobs_text)
        parse_jobs(jobs_text, &jobs, &err);
    if (err.status != SH_OK) {
        g_free(args);
        return cli_report(&err);
    }
    output out = {.g = g};
    sh_error_clear(&out.html_err);
    if (html && vd_html_begin(html, &out.html, &err) != SH_OK) {
        g_free(args);
        return cli_report(&err);
    }
    if (g->json) {
        out.json = sh_json_new();
        sh_json_begin_object(out.json);
        sh_json_key(out.json, "files");
        sh_json_begin_array(out.json);
    }
    sh_progress *progress = sh_progress_new(_("Checking pages"), 0);
    vd_summary sum = {0};
    int64_t start = g_get_monotonic_time();
    sh_status worst = SH_OK;
    for (int i = 0; i < nargs; i++) {
        sh_error e;
        sh_error_clear(&e);
        sh_status st = validate_one(g, args[i], jobs, progress, &out, &sum, &e);
        if (st != SH_OK) {
            /* Say it and go on: one unreadable path must not hide the rest of the batch; and
             * the summary must not say that everything passed. */
            sh_progress_suspend();
            fprintf(stderr, "sohoa: %s\n", e.msg);
            sh_progress_resume();
            worst = st > worst ? st : worst;
            sum.incomplete++;
        }
    }
    sh_progress_done(progress);
    sum.seconds = (double)(g_get_monotonic_time() - start) / 1e6;
    int status = worst != SH_OK ? (int)worst : sum.errors ? SH_FINDINGS : SH_OK;
    if (out.html) {
        if (out.html_err.status == SH_OK)
            vd_html_finish(out.html, nargs == 1 ? args[0] : "…", &sum, &out.html_err);
        else
            vd_html_abort(out.html);
        if (out.html_err.status != SH_OK) {
            fprintf(stderr, "sohoa: %s\n", out.html_err.msg);
            status = status > (int)out.html_err.status ? status : (int)out.html_err.status;
        }
    }
    if (out.json) {
        sh_json_end_array(out.json);
        vd_json_summary(out.json, &sum);
        sh_json_end_object(out.json);
        status = cli_print_json(out.json, status);
        sh_json_free(out.json);
    } else if (sh_log_get_level() == SH_LOG_QUIET) {
        vd_text_verdict(stdout, &sum, true);
    } else {
        vd_text_summary(stdout, &sum);
        if (html && out.html_err.status == SH_OK)
            printf(_("Report: %s\n"), html);
    }
    g_free(args);
    return status;
}
