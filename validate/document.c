/* A PDF as a document: does it open, is it locked, which version, how many pages. Poppler (via
 * pdf_doc_open) does the reading; a file it cannot read is a finding, never a crash. */
#include <glib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "validate/validate.h"

static void report(sh_finding_sink sink, void *ctx, const char *code, const char *path,
                   const char *message, const char *key, double value)
{
    sh_finding f = {.code = code, .severity = SH_ERROR, .path = path, .message = message};
    if (key)
        sh_finding_value(&f, key, value);
    sink(&f, ctx);
}

bool vd_check_document(const char *path, int expected_pages, sh_finding_sink sink, void *ctx,
                       vd_document_info *info)
{
    memset(info, 0, sizeof *info);
    pdf_doc *doc;
    pdf_doc_problem problem;
    sh_error err;
    if (pdf_doc_open(path, &doc, &problem, &err) != SH_OK) {
        /* The reader's message already says what to do; the code says what kind of failure. */
        report(sink, ctx, problem == PDF_DOC_ENCRYPTED ? "pdf.encrypted" : "pdf.unreadable", path,
               err.msg, NULL, 0);
        return false;
    }
    info->opened = true;
    info->pages = pdf_doc_pages(doc);
    pdf_doc_version(doc, &info->version_major, &info->version_minor);
    pdf_doc_close(doc);

    bool ok = true;
    if (info->version_major * 10 + info->version_minor < 14) {
        char *msg = g_strdup_printf(_("the file is PDF %d.%d; PDF 1.4 or later is required "
                                      "(Circular 02/2019/TT-BNV): ingest the scans again"),
                                    info->version_major, info->version_minor);
        report(sink, ctx, "pdf.version", path, msg, "version",
               info->version_major + info->version_minor / 10.0);
        g_free(msg);
        ok = false;
    }
    if (info->pages == 0) {
        report(sink, ctx, "pdf.no_pages", path, _("the file has no pages: scan the document again"),
               NULL, 0);
        ok = false;
    } else if (expected_pages > 0 && info->pages != expected_pages) {
        char *msg = g_strdup_printf(
            _("the document has %d pages but %d were expected: if pages are missing, scan the "
              "whole document again and ingest it with --replace --reason \"why\"; if the "
              "expected count is wrong, correct it: sohoa document pages \"%s\" --expected N "
              "--reason \"why\""),
            info->pages, expected_pages, path);
        report(sink, ctx, "doc.page_count", path, msg, "pages", info->pages);
        g_free(msg);
        ok = false;
    }
    return ok;
}
