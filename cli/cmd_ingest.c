/* sohoa ingest: page files to the dossier's PDF, one document from the command line or many
 * from a batch sheet. */
#include "cli.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"
#include "validate/validate.h"

enum {
    O_ORG,
    O_CCCD,
    O_NAME,
    O_TYPE,
    O_SEQ,
    O_DPI,
    O_EXPECTED,
    O_REPLACE,
    O_REASON,
    O_MANIFEST,
};

static const cli_option OPTIONS[] = {
    [O_ORG] = {"org", 0, CLI_STRING, N_("CODE"),
               N_("organisation code, for example 93.000.036.001.015")},
    [O_CCCD] = {"cccd", 0, CLI_STRING, N_("NUMBER"),
                N_("the member's key: the 12-digit CCCD, or without one the CMND's 9 digits or the "
                   "passport number")},
    [O_NAME] = {"name", 0, CLI_STRING, N_("\"Họ và tên\""),
                N_("the member's full name, with diacritics")},
    [O_TYPE] = {"type", 0, CLI_STRING, N_("STT"),
                N_("the document type, 1 to 104 (sohoa catalog lists them)")},
    [O_SEQ] = {"seq", 0, CLI_INT, N_("N"),
               N_("SoThuTu, when the dossier holds several documents of the type; without it: "
                  "the next one if the type already has numbered documents, none if it is the "
                  "first"),
               1, NM_SEQ_MAX},
    [O_DPI] = {"dpi", 0, CLI_INT, N_("N"), N_("resolution of images that do not record one"), 50,
               4800},
    [O_EXPECTED] = {"expected-pages", 0, CLI_INT, N_("N"),
                    N_("how many pages the paper document has (checked)"), 1, 100000},
    [O_REPLACE] = {"replace", 0, CLI_FLAG, NULL,
                   N_("a rescan: this document replaces the one already there; the old file (and "
                      "its signed copy) is kept under .sohoa/superseded, and it must be validated "
                      "and signed again")},
    [O_REASON] = {"reason", 0, CLI_STRING, N_("TEXT"),
                  N_("why it is rescanned (recorded in the audit log); required with --replace")},
    [O_MANIFEST] = {"manifest", 0, CLI_FILE, N_("FILE"),
                    N_("a batch sheet (CSV from Excel), one row per document: see docs/ingest.md "
                       "for its columns")},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("FILE..."),
     N_("the pages in order; a folder gives its image files in name order (2.tif before "
        "10.tif); a multi-page TIFF gives all its pages")},
    {0},
};

static int run_ingest(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_ingest = {
    .name = "ingest",
    .summary = N_("scanner files to one lossless PDF per document"),
    .usage = N_("sohoa ingest --org CODE --cccd NUMBER --name \"Họ và tên\" --type STT\n"
                "    [--seq N] [--dpi N] [--expected-pages N]\n"
                "    [--replace --reason TEXT] FILE...\n"
                "sohoa ingest --manifest BATCH.csv"),
    .description =
        N_("Make one PDF per document from scanner files (TIFF, JPEG, PNG), without "
           "losing a pixel, named and placed by the guide: ORG/CCCD_Name/NN.Name[.Seq].pdf "
           "in the workspace. A scanner's own PDF is copied as it is under the right name."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .notes = N_("An existing file is never replaced without --replace. A document already made "
                "from the same files is reported as done, so a batch sheet can be run again after "
                "a bad row is fixed. The PDF and its sources are recorded in the ledger."),
    .run = run_ingest,
};

typedef struct {
    const cli_globals *g;
    cli_out out;
    sh_json *json;     /* --json: the "documents" array, put in out's document at the end */
    sh_json *findings; /* --json: the "findings" array (warnings and failed documents) */
    size_t written, failed, already, replaced;
    int pages;
    int status; /* the worst so far */
} run;

/* --type 2, or a title that names one type clearly ("Ly lich dang vien"). */
static sh_status parse_type(const char *text, int *stt, sh_error *err)
{
    long long v;
    if (text && g_ascii_isdigit(text[0])) {
        sh_status st = cli_int_value("ingest", "type", text, 1, NM_CATALOG_SIZE, &v, err);
        *stt = (int)v;
        return st;
    }
    nm_match m[4];
    size_t n = text ? nm_match_title(text, m, 4) : 0;
    if (!nm_match_is_clear(m, n))
        return cli_usage(err, "ingest",
                         _("--type takes the STT of a document type (1 to %d); \"sohoa catalog\" "
                           "lists them"),
                         NM_CATALOG_SIZE);
    *stt = m[0].type->stt;
    return SH_OK;
}

static int64_t creation_time(void)
{
    /* Reproducible builds' convention: the same inputs give the same bytes. */
    const char *e = getenv("SOURCE_DATE_EPOCH");
    if (e && *e) {
        char *end;
        long long v = strtoll(e, &end, 10);
        if (!*end && v >= 0)
            return v;
    }
    return (int64_t)time(NULL);
}

/* A document's record, left open for what only some records have. */
static void put_document(sh_json *j, const in_result *res, int row, const char *status)
{
    sh_json_begin_object(j);
    if (row)
        sh_json_kv_int(j, "row", row);
    sh_json_kv_str(j, "status", status);
    sh_json_kv_str(j, "path", res->rel_path);
    sh_json_kv_int(j, "pages", res->pages);
    sh_json_kv_int(j, "seq", res->seq);
    sh_json_kv_int(j, "bytes", (int64_t)res->bytes);
    sh_json_kv_str(j, "sha256", res->sha256);
}

/* A document made before from the same files: nothing was written. */
static void report_already(run *r, const in_result *res, int row)
{
    r->already++;
    if (r->json) {
        put_document(r->json, res, row, "already_done");
        sh_json_end_object(r->json);
    } else {
        cli_say(&r->out, CLI_NOTE,
                ngettext("already done: %s (%d page, made from these same files before)\n",
                         "already done: %s (%d pages, made from these same files before)\n",
                         res->pages),
                res->rel_path, res->pages);
    }
}

static void report_done(run *r, const in_result *res, int row)
{
    if (res->already_done) {
        report_already(r, res, row);
        return;
    }
    r->written++;
    r->replaced += res->kept_as != NULL;
    r->pages += res->pages;
    if (r->json) {
        put_document(r->json, res, row, res->kept_as ? "replaced" : "written");
        sh_json_kv_bool(r->json, "copied_pdf", res->copied_pdf);
        if (res->kept_as) {
            sh_json_kv_object(r->json, "replaced");
            sh_json_kv_str(r->json, "sha256", res->replaced_sha256);
            sh_json_kv_str(r->json, "kept_as", res->kept_as);
            sh_json_kv_str(r->json, "signed_kept_as", res->signed_kept_as);
            sh_json_end_object(r->json);
        }
        sh_json_end_object(r->json);
        return;
    }
    /* -q: errors only; the document's row and audit entry are its record */
    if (res->kept_as) {
        cli_say(&r->out, CLI_NOTE,
                ngettext("replaced %s (%d page); the old file is kept as %s\n",
                         "replaced %s (%d pages); the old file is kept as %s\n", res->pages),
                res->rel_path, res->pages, res->kept_as);
        if (res->signed_kept_as)
            cli_say(&r->out, CLI_NOTE,
                    _("  its signed copy is kept as %s; validate and sign the new file\n"),
                    res->signed_kept_as);
    } else if (res->copied_pdf) {
        cli_say(&r->out, CLI_NOTE,
                ngettext("copied %s (%d page, the scanner's PDF as it is)\n",
                         "copied %s (%d pages, the scanner's PDF as it is)\n", res->pages),
                res->rel_path, res->pages);
    } else {
        cli_say(&r->out, CLI_NOTE,
                ngettext("wrote %s (%d page)\n", "wrote %s (%d pages)\n", res->pages),
                res->rel_path, res->pages);
    }
}

static void report_failed(run *r, const sh_error *err, const char *sheet, int row)
{
    r->failed++;
    if ((int)err->status > r->status)
        r->status = err->status;
    if (r->findings) {
        sh_json_begin_object(r->findings);
        sh_json_kv_str(r->findings, "code", "ingest.failed");
        sh_json_kv_str(r->findings, "severity", "error");
        if (row)
            sh_json_kv_int(r->findings, "row", row);
        sh_json_kv_int(r->findings, "status", err->status);
        sh_json_kv_str(r->findings, "message", err->msg);
        sh_json_end_object(r->findings);
    } else if (row) {
        cli_say_err(_("sohoa: %s, row %d: %s\n"), sheet, row, err->msg);
    } else {
        cli_report(err);
    }
}

static void warning_out(const sh_finding *f, void *ctx)
{
    run *r = ctx;
    if (r->findings)
        sh_finding_json(r->findings, f);
    else
        cli_finding_err(f, &r->out);
}

/* The documents, the findings and the counts, in the run's document. */
static void put_run(run *r)
{
    sh_json_end_array(r->json);
    sh_json_end_array(r->findings);
    const char *docs = sh_json_finish(r->json, NULL), *finds = sh_json_finish(r->findings, NULL);
    sh_json *j = r->out.json;
    sh_json_kv_raw(j, "documents", docs ? docs : "[]");
    sh_json_kv_raw(j, "findings", finds ? finds : "[]");
    sh_json_kv_object(j, "summary");
    sh_json_kv_int(j, "documents", (int64_t)r->written);
    sh_json_kv_int(j, "pages", r->pages);
    sh_json_kv_int(j, "failed", (int64_t)r->failed);
    sh_json_kv_int(j, "already_done", (int64_t)r->already);
    sh_json_kv_int(j, "replaced", (int64_t)r->replaced);
    sh_json_end_object(j);
    sh_json_free(r->json);
    sh_json_free(r->findings);
    r->json = r->findings = NULL;
}

/* ---- a batch sheet ---- */

/* Several rows of one dossier and type without a Seq: each gets the next one, starting at 1.
 * Counted once per sheet (a sheet may hold 100,000 rows). */
static char *group_key(const in_manifest_row *row)
{
    return g_strdup_printf("%s\x1f%s\x1f%d", row->org_code, row->cccd, row->type_stt);
}

static GHashTable *count_unnumbered(const in_manifest_row *rows, size_t n)
{
    GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].problem || rows[i].seq)
            continue;
        char *key = group_key(&rows[i]);
        guint c = GPOINTER_TO_UINT(g_hash_table_lookup(counts, key));
        g_hash_table_replace(counts, key, GUINT_TO_POINTER(c + 1));
    }
    return counts;
}

static bool more_of_type(GHashTable *counts, const in_manifest_row *row)
{
    if (row->seq)
        return false;
    char *key = group_key(row);
    bool more = GPOINTER_TO_UINT(g_hash_table_lookup(counts, key)) > 1;
    g_free(key);
    return more;
}

static void ingest_sheet(run *r, const char *sheet, const in_context *ctx)
{
    sh_error err;
    sh_error_clear(&err);
    char *text = NULL;
    size_t len = 0;
    in_manifest_row *rows = NULL;
    size_t n = 0;
    if (sh_read_file(sheet, IN_MANIFEST_MAX_BYTES, &text, &len, &err) != SH_OK ||
        in_manifest_parse(text, len, sheet, &rows, &n, &err) != SH_OK) {
        report_failed(r, &err, sheet, 0);
        g_free(text);
        return;
    }
    g_free(text);
    /* Source paths in the sheet are relative to the sheet's folder, wherever sohoa runs. */
    char *base = g_path_get_dirname(sheet);
    GHashTable *unnumbered = count_unnumbered(rows, n);
    for (size_t i = 0; i < n; i++) {
        in_manifest_row *row = &rows[i];
        sh_error_clear(&err);
        if (row->problem) {
            sh_fail(&err, SH_INPUT, "%s", row->problem);
            report_failed(r, &err, sheet, row->row);
            continue;
        }
        char **sources = g_new0(char *, row->n_sources + 1);
        for (size_t k = 0; k < row->n_sources; k++)
            sources[k] = g_path_is_absolute(row->sources[k])
                             ? g_strdup(row->sources[k])
                             : g_build_filename(base, row->sources[k], NULL);
        in_document doc = {row->org_code,
                           row->cccd,
                           row->person_name,
                           row->type_stt,
                           row->seq,
                           more_of_type(unnumbered, row),
                           row->dpi,
                           row->expected_pages,
                           sources,
                           row->n_sources,
                           row->replace_reason};
        in_result res;
        if (in_ingest_document(&doc, ctx, &res, &err) == SH_OK)
            report_done(r, &res, row->row);
        else
            report_failed(r, &err, sheet, row->row);
        in_result_clear(&res);
        g_strfreev(sources);
    }
    g_hash_table_destroy(unnumbered);
    g_free(base);
    in_manifest_free(rows, n);
}

static int run_ingest(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *org = opt[O_ORG].text, *cccd = opt[O_CCCD].text, *person = opt[O_NAME].text;
    const char *type = opt[O_TYPE].text, *manifest = opt[O_MANIFEST].text;
    const char *reason = opt[O_REASON].text;
    bool replace = opt[O_REPLACE].count > 0;
    bool numbers = opt[O_SEQ].count || opt[O_DPI].count || opt[O_EXPECTED].count;
    sh_error err;
    sh_error_clear(&err);

    in_document doc = {org,
                       cccd,
                       person,
                       0,
                       (int)opt[O_SEQ].num,
                       false,
                       (int)opt[O_DPI].num,
                       (int)opt[O_EXPECTED].num,
                       args,
                       (size_t)nargs,
                       replace ? reason : NULL};
    if (manifest) {
        if (org || cccd || person || type || numbers || nargs || replace || reason)
            cli_usage(&err, "ingest",
                      _("--manifest takes the documents from the sheet; give no other options or "
                        "files with it (a rescan in a sheet: fill the row's replace_reason "
                        "column)"));
    } else if (replace && (!reason || !*reason))
        cli_usage(&err, "ingest",
                  _("--replace needs --reason \"why\": the audit log records why a document was "
                    "rescanned, for example --reason \"page 3 was missing\""));
    else if (reason && !replace)
        cli_usage(&err, "ingest",
                  _("--reason goes with --replace (a rescan of a document already there)"));
    else if (!org || !cccd || !person || !type)
        cli_usage(&err, "ingest",
                  _("give --org CODE, --cccd NUMBER, --name \"Họ và tên\", --type STT and the "
                    "page files (or --manifest BATCH.csv)"));
    else if (nargs == 0)
        cli_usage(&err, "ingest", "%s", _("give the page files (or a folder of them)"));
    else
        parse_type(type, &doc.type_stt, &err);
    if (err.status != SH_OK) {
        g_free(args);
        return cli_report(&err);
    }

    sh_workspace ws;
    sh_ledger *ledger = NULL;
    sh_actor actor;
    if (cli_open_workspace(g, NULL, &ws, &ledger, &err) != SH_OK) {
        g_free(args);
        return cli_report(&err);
    }
    run r = {.g = g};
    sh_publish_recovery rec;
    /* First what a killed run left: documents it recorded are put in place (or their loss is
     * recorded), before any name is chosen from what the folders hold. */
    if (cli_actor(g, &ws, &actor, &err) == SH_OK &&
        in_supersede_recover(ledger, ws.root, NULL, &err) == SH_OK &&
        sh_publish_recover(ledger, ws.root, &actor, &rec, &err) == SH_OK) {
        nm_rules rules;
        nm_rules_from_config(&rules, &ws.config);
        in_context ctx = {.root = ws.root,
                          .rules = &rules,
                          .min_dpi = vd_config_get(&ws.config)->min_dpi,
                          .creation_time = creation_time(),
                          .ledger = ledger,
                          .actor = &actor,
                          .warn = warning_out,
                          .warn_ctx = &r};
        in_limits_from_config(&ctx.limits, &ws.config);
        cli_out_open(&r.out, g);
        if (r.out.json) {
            r.json = sh_json_new();
            r.findings = sh_json_new();
            sh_json_begin_array(r.json);
            sh_json_begin_array(r.findings);
        }
        if (manifest)
            ingest_sheet(&r, manifest, &ctx);
        else {
            in_result res;
            if (in_ingest_document(&doc, &ctx, &res, &err) == SH_OK)
                report_done(&r, &res, 0);
            else
                report_failed(&r, &err, NULL, 0);
            in_result_clear(&res);
            sh_error_clear(&err);
        }
    }
    int status = err.status != SH_OK ? cli_out_fail(&r.out, &err) : r.status;
    if (r.out.json) {
        put_run(&r);
        status = cli_out_close(&r.out, status);
    } else if (manifest && err.status == SH_OK && r.already == 0)
        sh_info(_("%zu documents written (%d pages); %zu failed"), r.written, r.pages, r.failed);
    else if (manifest && err.status == SH_OK)
        sh_info(_("%zu documents written (%d pages), %zu already done before; %zu failed"),
                r.written, r.pages, r.already, r.failed);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws);
    g_free(args);
    return status;
}
