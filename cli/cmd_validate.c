/* sohoa validate: the checks before sign-off, reported on the terminal, as JSON or as an HTML
 * page, with each file's verdict recorded in the workspace's ledger. */
#include "cli.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "validate/validate.h"

enum { O_HTML, O_JOBS, O_JSON };

static const cli_option OPTIONS[] = {
    [O_HTML] = {"html", 0, CLI_FILE, N_("FILE"),
                N_("also write a report page (opens offline in any browser) with a picture of "
                   "every page that has a problem")},
    [O_JOBS] = {"jobs", 0, CLI_INT, N_("N"),
                N_("pages analysed at once (default: one per processor core)"), 1, 256},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL,
                N_("print the results as one JSON document (docs/validate.md)"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("PATH..."),
     N_("a workspace, a folder of organisations, an organisation folder, a dossier folder, or "
        "one PDF file")},
    {0},
};

static int run_validate(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_validate = {
    .name = "validate",
    .summary = N_("check dossiers, documents and pages before sign-off"),
    .usage = N_("sohoa validate PATH... [--html FILE] [--jobs N]"),
    .description =
        N_("Check dossiers before sign-off: names and folders (as sohoa name check), "
           "every PDF (opens, not protected, PDF 1.4 or later, the expected page count), "
           "every page (blank, not upright, skewed, cut off or a corner missing, "
           "resolution, scanned twice), and each dossier's priority-1 documents."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .notes = N_("Inside a workspace each file's verdict is recorded in the ledger: sohoa sign "
                "signs only files that passed, unchanged since."),
    .exit_status = N_("Exit status: 0 everything passed, 1 a problem was found, 2 bad arguments, "
                      "3 something could not be read, 4 the ledger could not be written."),
    .run = run_validate,
};

typedef struct {
    const cli_globals *g;
    cli_out out; /* --json: the "files" array is open in it */
    vd_html *html;
    sh_error html_err;
} output;

/* validate's terminal report writes to a FILE: taken whole, then said in one go, and only when
 * there is something to say (the bar is not blanked and drawn again for nothing). */
static void say_report(const cli_out *o, void (*write)(FILE *, const void *), const void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        write(mem, arg);
        fclose(mem);
    }
    if (len)
        cli_say(o, CLI_RESULT, "%s", text); /* the level is decided by vd_text_* */
    free(text);
}

static void write_entry(FILE *f, const void *r) { vd_text_entry(f, r, sh_log_get_level()); }
static void write_verdict(FILE *f, const void *sum) { vd_text_verdict(f, sum, true); }
static void write_summary(FILE *f, const void *sum) { vd_text_summary(f, sum); }

/* Printed while the progress bar may be on the terminal: its line is cleared first. */
static void entry_out(const vd_file_report *r, void *ctx)
{
    output *o = ctx;
    if (o->out.json)
        vd_json_entry(o->out.json, r);
    else
        say_report(&o->out, write_entry, r);
    if (o->html && o->html_err.status == SH_OK) /* a failure is reported once, at the end */
        o->html_err.status = vd_html_add(o->html, r, &o->html_err);
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
    vd_options o = {.config = vd_config_get(&ws.config),
                    .jobs = jobs ? jobs : vd_config_get(&ws.config)->jobs,
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

static int run_validate(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *html = opt[O_HTML].text;
    sh_error err;
    sh_error_clear(&err);
    int jobs = (int)opt[O_JOBS].num;
    if (nargs == 0)
        cli_usage(&err, "validate", _("name at least one folder or PDF file to check"));
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
    cli_out_open(&out.out, g);
    if (out.out.json)
        sh_json_kv_array(out.out.json, "files");
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
            cli_report(&e);
            worst = st > worst ? st : worst;
            sum.incomplete++;
        }
    }
    sh_progress_done(progress);
    sum.seconds = (double)(g_get_monotonic_time() - start) / 1e6;
    int status = worst != SH_OK ? (int)worst : sum.errors ? SH_FINDINGS : SH_OK;
    if (out.html) {
        if (out.html_err.status == SH_OK)
            out.html_err.status =
                vd_html_finish(out.html, nargs == 1 ? args[0] : "…", &sum, &out.html_err);
        else
            vd_html_abort(out.html);
        if (out.html_err.status != SH_OK) {
            cli_report(&out.html_err);
            status = status > (int)out.html_err.status ? status : (int)out.html_err.status;
        }
    }
    if (out.out.json) {
        sh_json_end_array(out.out.json);
        vd_json_summary(out.out.json, &sum);
    } else if (sh_log_get_level() == SH_LOG_QUIET) {
        say_report(&out.out, write_verdict, &sum);
    } else {
        say_report(&out.out, write_summary, &sum);
        if (html && out.html_err.status == SH_OK)
            cli_say(&out.out, CLI_NOTE, _("Report: %s\n"), html);
    }
    g_free(args);
    return cli_out_close(&out.out, status);
}
