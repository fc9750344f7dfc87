/* sohoa ingest: page files to the dossier's PDF, one document from the command line or many
 * from a batch sheet. */
#include "cli.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"

static void print_help(void)
{
    printf(_("Usage: sohoa ingest --org CODE --cccd NUMBER --name \"Họ và tên\" --type STT\n"
             "                    [--seq N] [--dpi N] [--expected-pages N]\n"
             "                    [--replace --reason TEXT] FILE...\n"
             "       sohoa ingest --manifest BATCH.csv\n"
             "\n"
             "Make one PDF per document from scanner files (TIFF, JPEG, PNG), without losing a\n"
             "pixel, named and placed by the guide: ORG/CCCD_Name/NN.Name[.Seq].pdf in the\n"
             "workspace. A scanner's own PDF is copied as it is under the right name.\n"
             "\n"
             "  FILE...            the pages in order; a folder gives its image files in\n"
             "                     name order (2.tif before 10.tif); a multi-page TIFF gives\n"
             "                     all its pages\n"
             "  --org CODE         organisation code, for example 93.000.036.001.015\n"
             "  --cccd NUMBER      the member's 12-digit citizen ID\n"
             "  --name \"Họ và tên\" the member's full name, with diacritics\n"
             "  --type STT         the document type, 1 to 104 (sohoa catalog lists them)\n"
             "  --seq N            SoThuTu, when the dossier holds several documents of the\n"
             "                     type; without it: the next one if the type already has\n"
             "                     numbered documents, none if it is the first\n"
             "  --dpi N            resolution of images that do not record one\n"
             "  --expected-pages N how many pages the paper document has (checked)\n"
             "  --replace          a rescan: this document replaces the one already there;\n"
             "                     the old file (and its signed copy) is kept under\n"
             "                     .sohoa/superseded, and it must be validated and signed\n"
             "                     again\n"
             "  --reason TEXT      why it is rescanned (recorded in the audit log); required\n"
             "                     with --replace\n"
             "  --manifest FILE    a batch sheet (CSV from Excel), one row per document:\n"
             "                     see docs/ingest.md for its columns\n"
             "\n"
             "An existing file is never replaced without --replace. A document already made\n"
             "from the same files is reported as done, so a batch sheet can be run again\n"
             "after a bad row is fixed. The PDF and its sources are recorded in the ledger.\n"));
}

typedef struct {
    const cli_globals *g;
    sh_json *json;     /* --json: the document being built */
    sh_json *findings; /* warnings collected for JSON (in the same document) */
    size_t written, failed, already, replaced;
    int pages;
    int status; /* the worst so far */
} run;

static sh_status parse_int(const char *text, const char *opt, int lo, int hi, int *out,
                           sh_error *err)
{
    char *end;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || v < lo || v > hi)
        return sh_fail(err, SH_USAGE, _("ingest: %s takes a number from %d to %d"), opt, lo, hi);
    *out = (int)v;
    return SH_OK;
}

/* --type 2, or a title that names one type clearly ("Ly lich dang vien"). */
static sh_status parse_type(const char *text, int *stt, sh_error *err)
{
    if (text && g_ascii_isdigit(text[0]))
        return parse_int(text, "--type", 1, NM_CATALOG_SIZE, stt, err);
    nm_match m[4];
    size_t n = text ? nm_match_title(text, m, 4) : 0;
    if (!nm_match_is_clear(m, n))
        return sh_fail(err, SH_USAGE,
                       _("ingest: --type takes the STT of a document type (1 to 104); \"sohoa "
                         "catalog\" lists them"));
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

/* A document made before from the same files: nothing was written. */
static void report_already(run *r, const in_result *res, int row)
{
    r->already++;
    if (r->json) {
        sh_json_begin_object(r->json);
        if (row)
            sh_json_kv_int(r->json, "row", row);
        sh_json_kv_str(r->json, "status", "already_done");
        sh_json_kv_str(r->json, "path", res->rel_path);
        sh_json_kv_int(r->json, "pages", res->pages);
        sh_json_kv_int(r->json, "seq", res->seq);
        sh_json_kv_int(r->json, "bytes", (int64_t)res->bytes);
        sh_json_kv_str(r->json, "sha256", res->sha256);
        sh_json_end_object(r->json);
    } else if (sh_log_get_level() != SH_LOG_QUIET)
        printf(ngettext("already done: %s (%d page, made from these same files before)\n",
                        "already done: %s (%d pages, made from these same files before)\n",
                        res->pages),
               res->rel_path, res->pages);
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
        sh_json_begin_object(r->json);
        if (row) {
            sh_json_key(r->json, "row");
            sh_json_int(r->json, row);
        }
        sh_json_kv_str(r->json, "status", res->kept_as ? "replaced" : "written");
        sh_json_key(r->json, "path");
        sh_json_string(r->json, res->rel_path);
        sh_json_key(r->json, "pages");
        sh_json_int(r->json, res->pages);
        sh_json_key(r->json, "seq");
        sh_json_int(r->json, res->seq);
        sh_json_key(r->json, "bytes");
        sh_json_int(r->json, (int64_t)res->bytes);
        sh_json_key(r->json, "sha256");
        sh_json_string(r->json, res->sha256);
        sh_json_key(r->json, "copied_pdf");
        sh_json_bool(r->json, res->copied_pdf);
        if (res->kept_as) {
            sh_json_key(r->json, "replaced");
            sh_json_begin_object(r->json);
            sh_json_kv_str(r->json, "sha256", res->replaced_sha256);
            sh_json_kv_str(r->json, "kept_as", res->kept_as);
            sh_json_kv_str(r->json, "signed_kept_as", res->signed_kept_as);
            sh_json_end_object(r->json);
        }
        sh_json_end_object(r->json);
    } else if (sh_log_get_level() == SH_LOG_QUIET) {
        /* -q: errors only; the document's row and audit entry are its record */
    } else if (res->kept_as) {
        printf(ngettext("replaced %s (%d page); the old file is kept as %s\n",
                        "replaced %s (%d pages); the old file is kept as %s\n", res->pages),
               res->rel_path, res->pages, res->kept_as);
        if (res->signed_kept_as)
            printf(_("  its signed copy is kept as %s; validate and sign the new file\n"),
                   res->signed_kept_as);
    } else if (res->copied_pdf)
        printf(ngettext("copied %s (%d page, the scanner's PDF as it is)\n",
                        "copied %s (%d pages, the scanner's PDF as it is)\n", res->pages),
               res->rel_path, res->pages);
    else
        printf(ngettext("wrote %s (%d page)\n", "wrote %s (%d pages)\n", res->pages), res->rel_path,
               res->pages);
}

static void report_failed(run *r, const sh_error *err, const char *sheet, int row)
{
    r->failed++;
    if ((int)err->status > r->status)
        r->status = err->status;
    if (r->json) {
        sh_json_begin_object(r->findings);
        sh_json_key(r->findings, "code");
        sh_json_string(r->findings, "ingest.failed");
        sh_json_key(r->findings, "severity");
        sh_json_string(r->findings, "error");
        if (row) {
            sh_json_key(r->findings, "row");
            sh_json_int(r->findings, row);
        }
        sh_json_key(r->findings, "status");
        sh_json_int(r->findings, err->status);
        sh_json_key(r->findings, "message");
        sh_json_string(r->findings, err->msg);
        sh_json_end_object(r->findings);
    } else if (row)
        fprintf(stderr, _("sohoa: %s, row %d: %s\n"), sheet, row, err->msg);
    else
        cli_report(err);
}

static void warning_out(const sh_finding *f, void *ctx)
{
    run *r = ctx;
    cli_finding_err(f, r->findings);
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

int cmd_ingest(const cli_globals *g, int argc, char **argv)
{
    if (g->help) {
        print_help();
        return SH_OK;
    }
    const char *org = NULL, *cccd = NULL, *person = NULL, *type = NULL, *seq = NULL;
    const char *dpi = NULL, *expected = NULL, *manifest = NULL, *reason = NULL;
    bool replace = false;
    const cli_opt opts[] = {{"--org", &org, NULL},
                            {"--cccd", &cccd, NULL},
                            {"--name", &person, NULL},
                            {"--type", &type, NULL},
                            {"--seq", &seq, NULL},
                            {"--dpi", &dpi, NULL},
                            {"--expected-pages", &expected, NULL},
                            {"--manifest", &manifest, NULL},
                            {"--replace", NULL, &replace},
                            {"--reason", &reason, NULL},
                            {NULL, NULL, NULL}};
    sh_error err;
    sh_error_clear(&err);
    char **args = NULL;
    int nargs = 0;
    if (cli_parse(argc, argv, opts, false, "ingest", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);

    in_document doc = {
        org, cccd, person, 0, 0, false, 0, 0, args, (size_t)nargs, replace ? reason : NULL};
    if (manifest) {
        if (org || cccd || person || type || seq || dpi || expected || nargs || replace || reason)
            sh_fail(&err, SH_USAGE,
                    _("ingest: --manifest takes the documents from the sheet; give no other "
                      "options or files with it (a rescan in a sheet: fill the row's "
                      "replace_reason column)"));
    } else if (replace && (!reason || !*reason))
        sh_fail(&err, SH_USAGE,
                _("ingest: --replace needs --reason \"why\": the audit log records why a "
                  "document was rescanned, for example --reason \"page 3 was missing\""));
    else if (reason && !replace)
        sh_fail(&err, SH_USAGE,
                _("ingest: --reason goes with --replace (a rescan of a document already "
                  "there)"));
    else if (!org || !cccd || !person || !type)
        sh_fail(&err, SH_USAGE,
                _("ingest: give --org CODE, --cccd NUMBER, --name \"Họ và tên\", --type STT and "
                  "the page files (or --manifest BATCH.csv)"));
    else if (nargs == 0)
        sh_fail(&err, SH_USAGE, "%s", _("ingest: give the page files (or a folder of them)"));
    else if (parse_type(type, &doc.type_stt, &err) == SH_OK &&
             (!seq || parse_int(seq, "--seq", 1, NM_SEQ_MAX, &doc.seq, &err) == SH_OK) &&
             (!dpi || parse_int(dpi, "--dpi", 50, 4800, &doc.dpi, &err) == SH_OK))
        if (expected)
            parse_int(expected, "--expected-pages", 1, 100000, &doc.expected_pages, &err);
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
                          .min_dpi = ws.config.min_dpi,
                          .creation_time = creation_time(),
                          .ledger = ledger,
                          .actor = &actor,
                          .warn = warning_out,
                          .warn_ctx = &r};
        in_limits_from_config(&ctx.limits, &ws.config);
        if (g->json) {
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
    int status = err.status != SH_OK ? cli_report(&err) : r.status;
    if (r.json) {
        sh_json_end_array(r.json);
        sh_json_end_array(r.findings);
        const char *docs = sh_json_finish(r.json, NULL), *finds = sh_json_finish(r.findings, NULL);
        sh_json *j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_key(j, "documents");
        sh_json_raw(j, docs ? docs : "[]");
        sh_json_key(j, "findings");
        sh_json_raw(j, finds ? finds : "[]");
        sh_json_key(j, "summary");
        sh_json_begin_object(j);
        sh_json_key(j, "documents");
        sh_json_int(j, (int64_t)r.written);
        sh_json_key(j, "pages");
        sh_json_int(j, r.pages);
        sh_json_key(j, "failed");
        sh_json_int(j, (int64_t)r.failed);
        sh_json_kv_int(j, "already_done", (int64_t)r.already);
        sh_json_kv_int(j, "replaced", (int64_t)r.replaced);
        sh_json_end_object(j);
        sh_json_end_object(j);
        status = cli_print_json(j, status);
        sh_json_free(j);
        sh_json_free(r.json);
        sh_json_free(r.findings);
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
