/* validate — the checks a scan team runs before sign-off (Công văn 1361, III.2 and IV.3): names
 * and structure, each document, each page, each dossier. Checks report findings (core's
 * sh_finding, codes as in docs/) to a sink as they go.
 *
 * Today: the document checks. To come (issue 5): page analysis, dossier checks, the walk over
 * a tree with the ledger verdicts, and the reports. */
#ifndef SOHOA_VALIDATE_H
#define SOHOA_VALIDATE_H

#include "core/core.h"

typedef struct {
    int pages;         /* 0 when the file does not open */
    int version_major; /* as the file declares it */
    int version_minor;
    bool opened;
} vd_document_info;

/* The checks of one PDF file as a document: it opens (pdf.unreadable), is not protected by a
 * password (pdf.encrypted), declares PDF 1.4 or later (pdf.version), has pages (pdf.no_pages),
 * and has expected_pages of them when that is known (> 0; doc.page_count). Findings carry path
 * as given; every one is an error. Returns false when any was reported. */
bool vd_check_document(const char *path, int expected_pages, sh_finding_sink sink, void *ctx,
                       vd_document_info *info);

#endif
