/* sohoa report [PATH], and its verbs export and merge (cmd_report_snapshot.c): what supervisors
 * see, counts only (docs/progress.md). The table of options is shared by the three, so that
 * export takes the same --as-of and --period as the report it signs. */
#include "cmd_report.h"

#include <glib.h>
#include <string.h>

#include "validate/validate.h"

static const cli_option OPTIONS[] = {
    [R_AS_OF] = {"as-of", 0, CLI_STRING, N_("TIME"),
                 N_("count only what the ledger knew at this time: 2026-12-01 (the end of that "
                    "day, UTC) or 2026-12-01T08:00:00Z (default: now); the inventory and the "
                    "plan are taken as they are now, since each import replaces the plan and no "
                    "earlier plan is kept")},
    [R_PERIOD] = {"period", 0, CLI_STRING, N_("PERIOD"),
                  N_("the period of the in-period figures and rates: month, quarter, half or "
                     "year (the one holding the as-of day; default: month), or "
                     "2026-11-01..2026-12-06")},
    [R_HTML] = {"html", 0, CLI_FILE, N_("FILE"),
                N_("also write the dashboard: one self-contained page that opens offline, in "
                   "Vietnamese (--lang en: in English)")},
    [R_CSV] = {"csv", 0, CLI_FILE, N_("FILE"),
               N_("also write one row per organisation and prefix as CSV (UTF-8, English "
                  "headings)")},
    [R_XLSX] = {"xlsx", 0, CLI_FILE, N_("FILE"), N_("also write the report as a spreadsheet")},
    [R_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the report as one JSON document"),
                .flags = CLI_GLOBAL},
    [R_MIN_CELL] = {"min-cell", 0, CLI_INT, N_("N"),
                    N_("show counts from 1 to N-1 as \"<N\" (null in JSON), so that small "
                       "groups cannot be singled out (default: min_cell in sohoa.ini, 0)"),
                    0, 1000000},
    [R_TRUST] = {"trust", 0, CLI_FILE, N_("CA.pem"),
                 N_("with merge: the certificates (CA or signers) snapshots must be signed "
                    "under")},
    CLI_KEY_OPTIONS(R_P12, R_MODULE, R_TOKEN, R_KEY, R_PIN_ENV, R_PIN_FILE,
                    N_("with export: the organisation's key and certificate in a PKCS#12 file "
                       "(.p12, .pfx): it signs the snapshot"),
                    CLI_PKCS11_MODULE_HELP),
    {0},
};

static const cli_item VERBS[] = {
    {"export", N_("FILE"),
     N_("write this station's signed snapshot (FILE and FILE.p7s) for the province: counts, "
        "no names")},
    {"merge", N_("SNAPSHOT..."),
     N_("sum the newest trusted snapshot of each station; flag stale stations, gaps and counts "
        "that went down")},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("PATH"),
     N_("the workspace, or an organisation folder in it (or an organisation code or prefix "
        "such as 93.000): only the organisations under it (default: the whole workspace)")},
    {0},
};

static int run_report(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_report = {
    .name = "report",
    .summary = N_("progress for supervisors: dossiers in each stage per organisation"),
    .usage = N_("sohoa report [PATH] [--as-of TIME] [--period PERIOD] [--min-cell N] [--html "
                "FILE] [--csv FILE] [--xlsx FILE] [--json]\n"
                "sohoa report export FILE (--pkcs12 FILE | --pkcs11-module LIB) [--as-of TIME] "
                "[--period PERIOD]\n"
                "sohoa report merge SNAPSHOT... --trust CA.pem [--min-cell N] [--html FILE] "
                "[--csv FILE] [--xlsx FILE] [--json]"),
    .description =
        N_("Counts the dossiers of each organisation in every stage: inventoried, paper "
           "received, scanned, checked, signed, packed, delivered, accepted and paper returned, "
           "with roll-ups at every level of the organisation code and for the whole. Stage "
           "counts are cumulative: a signed dossier is also counted as checked and scanned. "
           "Each row also gives the result (done, in progress, not started), both completion "
           "measures, documents and pages, rejections, the period's figures and rates, and the "
           "plan's deadline, target and timeliness.\n\n"
           "Counts only: no name, CCCD or file name ever appears. Each report is recorded in "
           "the audit log (report.read), since it reads personal data."),
    .verbs = VERBS,
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .notes = N_("The stages and measures are explained in docs/progress.md. What is printed: "
                "with no --json, --html, --csv or --xlsx, a table of the main counts; with "
                "--json, the JSON document alone on stdout; --html, --csv and --xlsx write the "
                "whole report to their files, each announced by one line (on stderr with "
                "--json), and no table. Each row, an organisation or a prefix, is judged against "
                "the plan line of its own code (the longest prefix of it that the plan names); "
                "a row without one, such as the whole, takes the earliest deadline below it."),
    .exit_status = N_("Exit status: 0 the report was made; 1 (merge) snapshots were refused or "
                      "stations flagged; 2 usage error; 3 the ledger or a snapshot could not be "
                      "read; 4 internal error."),
    .run = run_report,
};

/* ---- the views ---- */

static sh_status print_json(const pg_report *r, sh_error *err)
{
    sh_json *j = sh_json_new();
    pg_report_json(j, r);
    const char *text = sh_json_finish(j, err);
    sh_status st = SH_INTERNAL;
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        st = fflush(stdout) == 0 ? SH_OK : sh_fail(err, SH_INTERNAL, _("cannot write stdout"));
    }
    sh_json_free(j);
    return st;
}

/* The dashboard is for supervisors who read Vietnamese: in Vietnamese unless --lang says
 * otherwise, whatever the station's locale. */
static const char *view_lang(const cli_globals *g) { return g->lang ? g->lang : "vi"; }

bool cli_report_json(const cli_globals *g, const cli_value *opt)
{
    return g->json || opt[R_JSON].count > 0;
}

/* One line per file written (line is freed): on stdout (not with -q), or on stderr beside a JSON
 * document. */
static void say_wrote(const cli_globals *g, const cli_value *opt, char *line)
{
    if (cli_report_json(g, opt)) {
        sh_info("%s", line);
    } else {
        cli_out o;
        cli_globals plain = *g;
        plain.json = false;
        cli_out_open(&o, &plain);
        cli_say(&o, CLI_NOTE, "%s\n", line);
        SH_IGNORE_RESULT(cli_out_close(&o, SH_OK)); /* a line for a person: nothing to close */
    }
    g_free(line);
}

sh_status cli_report_views(const cli_globals *g, const cli_value *opt, const pg_report *r,
                           sh_error *err)
{
    sh_status st = SH_OK;
    if (opt[R_HTML].text &&
        (st = pg_report_write_html(r, opt[R_HTML].text, view_lang(g), err)) == SH_OK)
        say_wrote(g, opt, g_strdup_printf(_("Wrote the dashboard to %s"), opt[R_HTML].text));
    if (st == SH_OK && opt[R_CSV].text &&
        (st = pg_report_write_csv(r, opt[R_CSV].text, err)) == SH_OK)
        say_wrote(g, opt, g_strdup_printf(_("Wrote the CSV table to %s"), opt[R_CSV].text));
    if (st == SH_OK && opt[R_XLSX].text &&
        (st = pg_report_write_xlsx(r, opt[R_XLSX].text, err)) == SH_OK)
        say_wrote(g, opt, g_strdup_printf(_("Wrote the spreadsheet to %s"), opt[R_XLSX].text));
    if (st == SH_OK && cli_report_json(g, opt))
        st = print_json(r, err);
    return st;
}

/* ---- the table for a person ---- */

enum { N_COLS = 7 }; /* organisation, listed, scanned, signed, accepted, result, timeliness */

/* text padded to width characters (not bytes: Vietnamese headings), left or right. */
static void pad(GString *line, const char *text, int width, bool right)
{
    int n = (int)g_utf8_strlen(text, -1);
    if (!right)
        g_string_append(line, text);
    for (int i = n; i < width; i++)
        g_string_append_c(line, ' ');
    if (right)
        g_string_append(line, text);
    g_string_append_c(line, ' ');
}

static void put_line(const cli_out *o, const char *const cols[N_COLS], const int width[N_COLS])
{
    GString *line = g_string_new(NULL);
    for (int i = 0; i < N_COLS; i++)
        pad(line, cols[i], i == N_COLS - 1 ? 0 : width[i], i >= 1 && i <= 4);
    g_string_truncate(line, line->len - 1);
    cli_say(o, CLI_RESULT, "%s\n", line->str);
    g_string_free(line, TRUE);
}

static void cell(char *out, size_t size, uint64_t v, int min_cell)
{
    if (v == PG_SUPPRESSED)
        g_snprintf(out, size, "<%d", min_cell);
    else
        g_snprintf(out, size, "%llu", (unsigned long long)v);
}

static void print_row(const cli_out *o, const pg_report *r, const pg_org_row *row,
                      const int width[N_COLS])
{
    char c[7][24];
    const uint64_t v[7] = {row->stage[PG_INVENTORIED],
                           row->stage[PG_SCANNED],
                           row->stage[PG_SIGNED],
                           row->stage[PG_ACCEPTED],
                           row->done,
                           row->in_progress,
                           row->not_started};
    for (int i = 0; i < 7; i++)
        cell(c[i], sizeof c[i], v[i], r->min_cell);
    char org[48], result[80];
    g_snprintf(org, sizeof org, "%*s%s", row->level, "", row->level ? row->org : _("(all)"));
    g_snprintf(result, sizeof result, "%s/%s/%s", c[4], c[5], c[6]);
    const char *cols[N_COLS] = {
        org, c[0], c[1], c[2], c[3], result, pg_timeliness_label(row->timeliness)};
    put_line(o, cols, width);
}

static void print_table(const cli_globals *g, const pg_report *r)
{
    cli_out o;
    cli_globals plain = *g;
    plain.json = false;
    cli_out_open(&o, &plain);
    cli_say(&o, CLI_NOTE, _("Progress as of %s, period %s\n"), r->as_of, r->period);
    const char *head[N_COLS] = {_("organisation"), _("listed"),         _("scanned"),   _("signed"),
                                _("accepted"),     _("done/doing/not"), _("timeliness")};
    int width[N_COLS] = {24, 9, 9, 9, 9, 16, 0};
    for (int i = 0; i < N_COLS; i++)
        width[i] = MAX(width[i], (int)g_utf8_strlen(head[i], -1));
    put_line(&o, head, width);
    for (size_t i = 0; i < r->n_rows; i++)
        print_row(&o, r, &r->rows[i], width);
    SH_IGNORE_RESULT(cli_out_close(&o, SH_OK)); /* lines for a person: nothing to close */
}

/* ---- PATH ---- */

/* The workspace → every organisation; a folder inside it → the organisation code it starts
 * with; a code or prefix as text → itself. */
static sh_status prefix_of(const sh_workspace *ws, const char *path, char **prefix, sh_error *err)
{
    *prefix = NULL;
    if (!path)
        return SH_OK;
    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        bool code = *path && strlen(path) < 32;
        for (const char *p = path; code && *p; p++)
            code = g_ascii_isdigit(*p) || *p == '.';
        if (!code)
            return cli_usage(err, "report",
                             _("%s is neither a folder nor an organisation code: give the "
                               "workspace, an organisation folder in it, or a code such as "
                               "93.000"),
                             path);
        *prefix = g_strdup(path);
        return SH_OK;
    }
    char *rel = sh_workspace_relpath(ws->root, path);
    if (!rel)
        return cli_usage(err, "report",
                         _("%s is outside the workspace %s: give an organisation folder in it"),
                         path, ws->root);
    char *slash = strchr(rel, '/');
    if (slash)
        *slash = '\0';
    if (*rel && strcmp(rel, ".") != 0)
        *prefix = g_strdup(rel);
    g_free(rel);
    return SH_OK;
}

/* Opened for writing when it can be, so that the read is recorded; else read only. */
static sh_status open_ledger(const cli_globals *g, const char *path, sh_workspace *ws,
                             sh_ledger **l, sh_error *err)
{
    const char *start = path && g_file_test(path, G_FILE_TEST_IS_DIR) ? path : NULL;
    sh_status st = sh_workspace_open(g->workspace, start, g->config, ws, err);
    if (st != SH_OK)
        return st;
    st = sh_ledger_writable(ws->ledger_path) ? sh_ledger_open(ws->ledger_path, false, l, err)
                                             : sh_ledger_open_readonly(ws->ledger_path, l, err);
    if (st != SH_OK)
        sh_workspace_close(ws);
    return st;
}

static sh_status compute(const cli_globals *g, const cli_value *opt, const sh_workspace *ws,
                         sh_ledger *l, const char *prefix, pg_report **r, sh_error *err)
{
    sh_actor actor;
    if (!sh_ledger_is_readonly(l) && cli_actor(g, ws, &actor, err) != SH_OK)
        return err->status;
    const pg_config *pc = pg_config_get(&ws->config);
    const vd_config *vc = vd_config_get(&ws->config);
    pg_report_options o = {.as_of = opt[R_AS_OF].text,
                           .period = opt[R_PERIOD].text,
                           .prefix = prefix,
                           .min_cell = opt[R_MIN_CELL].count ? (int)opt[R_MIN_CELL].num
                                                             : (pc ? pc->min_cell : 0),
                           .config = pc,
                           .required_types = vc ? vc->required_types : NULL,
                           .n_required_types = vc ? vc->n_required_types : 0};
    sh_status st = pg_report_compute(l, sh_ledger_is_readonly(l) ? NULL : &actor, &o, r, err);
    if (st == SH_OK && sh_ledger_is_readonly(l))
        sh_warn(_("this report is not recorded in the audit log: the ledger %s cannot be "
                  "written here (read-only media, or no permission)"),
                ws->ledger_path);
    return st;
}

static sh_status report(const cli_globals *g, const cli_value *opt, int nargs, char **args,
                        sh_error *err)
{
    if (nargs > 1)
        return cli_usage(err, "report", _("give at most one PATH"));
    if (opt[R_TRUST].text || opt[R_P12].text || opt[R_MODULE].text || opt[R_TOKEN].text ||
        opt[R_KEY].text || opt[R_PIN_ENV].text || opt[R_PIN_FILE].text)
        return cli_usage(err, "report", _("--trust goes with merge, the key options with export"));
    const char *path = nargs ? args[0] : NULL;
    sh_workspace ws = {0};
    sh_ledger *l = NULL;
    char *prefix = NULL;
    pg_report *r = NULL;
    sh_status st = open_ledger(g, path, &ws, &l, err);
    if (st == SH_OK)
        st = prefix_of(&ws, path, &prefix, err);
    if (st == SH_OK)
        st = compute(g, opt, &ws, l, prefix, &r, err);
    sh_ledger_close(l);
    sh_workspace_close(&ws); /* on every path: a workspace not opened is all zeros */
    g_free(prefix);
    if (st == SH_OK && !r)
        st = sh_fail(err, SH_INTERNAL, "no report");
    if (st == SH_OK)
        st = cli_report_views(g, opt, r, err);
    /* The table when nothing else is asked for: files are announced a line each, --json
     * keeps stdout for the document. */
    if (st == SH_OK && !cli_report_json(g, opt) && !opt[R_HTML].text && !opt[R_CSV].text &&
        !opt[R_XLSX].text)
        print_table(g, r);
    pg_report_free(r);
    return st;
}

static int run_report(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *verb = nargs > 0 ? args[0] : "";
    int status;
    if (strcmp(verb, "export") == 0)
        status = cli_report_export(g, opt, nargs - 1, args + 1);
    else if (strcmp(verb, "merge") == 0)
        status = cli_report_merge(g, opt, nargs - 1, args + 1);
    else {
        sh_error err;
        sh_error_clear(&err);
        status = report(g, opt, nargs, args, &err);
        if (status != SH_OK)
            status = cli_report(&err);
    }
    g_free(args);
    return status;
}
