/* validate — the checks a scan team runs before sign-off (Công văn 1361, III.2 and IV.3): names
 * and structure, each document, each page, each dossier. Checks report findings (core's
 * sh_finding, codes as in docs/) to a sink as they go.
 *
 * vd_validate_path runs them all over a tree (run.c): names as `sohoa name check` sees them,
 * every PDF as a document, every page analysed in parallel (page.c, from the page's own scan
 * where it has one: page_source.c), duplicates across each dossier, the priority-1 documents of
 * each dossier; verdicts go to the ledger, reports to the writers of report.h. */
#ifndef SOHOA_VALIDATE_H
#define SOHOA_VALIDATE_H

#include "core/core.h"
#include "naming/naming.h"
#include "validate/report.h"

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

/* ---- a whole run (run.c) ---- */

/* Given each entry once its dossier is done, in walk order. The report is the callee's to read,
 * not to keep: it is freed on return. */
typedef void (*vd_entry_fn)(const vd_file_report *r, void *ctx);

typedef struct {
    const sh_config *config; /* [validate]: min_dpi, max_skew_deg, required_types */
    nm_rules rules;
    int jobs;              /* threads for the pages; <= 0: one per core */
    bool thumbnails;       /* keep a picture of each flagged page (for the HTML report) */
    sh_progress *progress; /* pages done; NULL for none */
    /* Inside a workspace: the verdicts and an audit entry per file go to the ledger (paths
     * relative to root); expected page counts come from it. NULL outside one. actor NULL: the
     * ledger is read, not written. */
    sh_ledger *ledger;
    const char *root;
    const sh_actor *actor;
    vd_entry_fn entry;
    void *ctx;
} vd_options;

/* Validate path (a file, a dossier, an organisation folder, a folder of them, a workspace).
 * Adds to *sum. SH_INPUT when something could not be read (the rest is still checked; what it
 * was is in err), SH_INTERNAL when the ledger could not be written or a check itself failed (a library missing); findings do not
 * change the status. */
sh_status vd_validate_path(const char *path, const vd_options *o, vd_summary *sum, sh_error *err);

/* A stored finding as core's sh_finding (for JSON and the ledger); path may be NULL. */
void vd_finding_view(const vd_finding *f, const char *path, sh_finding *out);

#endif
