/* validate — the checks a scan team runs before sign-off (Công văn 1361, III.2 and IV.3): names
 * and structure, each document, each page, each dossier. Checks report findings (core's
 * sh_finding, codes as in docs/) to a sink as they go.
 *
 * vd_validate_path runs them all over a tree (run.c): names as `sohoa name check` sees them,
 * every PDF as a document, every page analysed in parallel (page.c, from the page's own scan
 * where it has one: page_source.c), duplicates across each dossier, the priority-1 documents of
 * each dossier; verdicts go to the ledger, reports to the writers below. */
#ifndef SOHOA_VALIDATE_H
#define SOHOA_VALIDATE_H

#include "core/core.h"
#include "naming/naming.h"
#include <stdint.h>
#include <stdio.h>

/* ---- reports ----
 * What one validation run found, file by file, and the writers that show it: the terminal and
 * JSON (report_text.c) and a self-contained HTML page (report_html.c). The run (run.c) fills one
 * vd_file_report per file or folder that has something to say and hands it to each writer as soon
 * as its dossier is done, so that memory does not grow with the size of the batch. */

/* A finding, owned (sh_finding points into storage that is gone once the check returns). */
typedef struct {
    char *code; /* "page.rotated" */
    sh_severity severity;
    int page; /* 1-based; 0 when not about one page */
    char *message;
    char *suggestion; /* may be NULL */
    bool fixable;
    struct {
        const char *key; /* a string literal of the check: "angle", "confidence" … */
        double value;
    } values[SH_FINDING_VALUES];
    int n_values;
} vd_finding;

/* page.duplicate: the page that a flagged page repeats, or nearly (then where they differ), so
 * that the report can show the two side by side for a person to confirm. */
#define VD_TWIN_AREAS 4

typedef struct {
    int page;       /* 1-based; 0: none */
    char *file;     /* the other page's file name when it is in another document, else NULL */
    bool confident; /* the same sheet (an error), or alike but for a few places (a warning) */
    uint8_t *px;    /* the other page's picture, w × h, like the thumbnail's; NULL if none */
    uint32_t w, h;
    int n_areas; /* where the two differ: rectangles as fractions of each picture */
    struct {
        float x, y, w, h;
    } here[VD_TWIN_AREAS], there[VD_TWIN_AREAS];
} vd_twin;

/* A small grey picture of a flagged page as the reader would see it (upright as displayed, not
 * as it should be), with what to mark on it. */
typedef struct {
    int page;        /* 1-based */
    uint32_t w, h;   /* pixels, at most VD_THUMB_MAX on the longer side */
    uint8_t *px;     /* w × h bytes, 0 black, rows w bytes apart */
    int rotate;      /* page.rotated: clockwise degrees to make it upright; 0 when upright */
    double skew_deg; /* page.skewed: the measured tilt, counter-clockwise positive; 0 if none */
    bool skewed;
    int cropped_edges; /* page.cropped: VD_EDGE_* bits of validate/page.h, in thumbnail
                          coordinates */
    int corner;        /* page.cropped: VD_CORNER_* of the missing corner, or 0 */
    bool blank;
    int duplicate_of; /* page.duplicate: the page it repeats (in this file), or 0 */
    vd_twin twin;     /* page.duplicate: the page it repeats (here or in another file) */
    bool low_dpi;
} vd_thumb;

#define VD_THUMB_MAX 360

typedef enum {
    VD_ENTRY_FILE,   /* a PDF document (or another file in a dossier) */
    VD_ENTRY_FOLDER, /* an organisation or dossier folder: name.* and dossier.* findings */
} vd_entry_kind;

typedef struct {
    vd_entry_kind kind;
    char *path;      /* as the user named it (UTF-8, made valid) */
    char *org;       /* the organisation code of its folder ("93.000.036.001.015"), or NULL */
    char *dossier;   /* the dossier folder's name ("012345678901_NguyenVanA"), or NULL */
    bool has_sha256; /* files that could be read */
    char sha256[SH_SHA256_HEX_LEN + 1];
    int pages;   /* 0 for folders and unreadable files */
    bool passed; /* no error among the findings */
    vd_finding *findings;
    size_t n_findings;
    vd_thumb *thumbs; /* flagged pages, in page order (only when thumbnails were asked for) */
    size_t n_thumbs;
    int *priority1; /* dossier folders: the STTs of the priority-1 types present */
    size_t n_priority1;
} vd_file_report;

typedef struct {
    size_t files, passed, failed; /* files only (folders are not counted) */
    uint64_t pages;
    size_t dossiers;
    size_t errors, warnings;
    size_t unrecorded; /* PDFs in a workspace whose verdict could not go to the ledger */
    size_t incomplete; /* PATHs not checked in full: unreadable (or a folder under them), a
                          bad configuration, a workspace or ledger that would not open, a
                          check that could not run */
    double seconds;    /* wall-clock time of the run */
} vd_summary;

void vd_file_report_free(vd_file_report *r);

/* ---- terminal and JSON (report_text.c) ---- */

/* One entry for the operator: what is wrong, on which page, what to do. Entries without
 * findings are left out unless SH_LOG_VERBOSE; with SH_LOG_QUIET, only the errors of the entries
 * that failed are shown. */
void vd_text_entry(FILE *out, const vd_file_report *r, sh_log_level level);
/* The closing lines: counts, and what to do next. "Everything passed" only when at least one
 * file was checked, every PATH in full, and every verdict recorded. */
void vd_text_summary(FILE *out, const vd_summary *s);
/* The what-to-do-next lines alone; with problems_only, only those saying that something was
 * not checked or not recorded (what -q keeps). */
void vd_text_verdict(FILE *out, const vd_summary *s, bool problems_only);
/* One element of the "files" array of DESIGN.md's validate JSON, and its "summary" member. */
void vd_json_entry(sh_json *j, const vd_file_report *r);
void vd_json_summary(sh_json *j, const vd_summary *s);

/* ---- HTML (report_html.c) ----
 * One self-contained page that works offline: no network, no external file, no script needed to
 * read it. Written as the run goes: the failing documents to a temporary file beside `path`,
 * then, at the end, the page (summary counts and a chart per organisation first, then those
 * documents with a thumbnail of every flagged page, the problem marked on it: rotation arrow,
 * skew angle, cropped edge or corner, "blank", "duplicate of page N", "low resolution"; a page
 * of a duplicate pair beside the page it repeats, where they differ framed), published
 * atomically. A file that passed is shown only for a pair to look at (a page.duplicate
 * warning). Texts in the language of the messages (gettext). */
typedef struct vd_html vd_html;

SH_NODISCARD sh_status vd_html_begin(const char *path, vd_html **out, sh_error *err);
/* Every entry, passed or failed: passed ones count in the chart, failed ones are shown. */
SH_NODISCARD sh_status vd_html_add(vd_html *h, const vd_file_report *r, sh_error *err);
/* `title_path`: what was validated, shown in the heading. Frees h. */
SH_NODISCARD sh_status vd_html_finish(vd_html *h, const char *title_path, const vd_summary *sum,
                                      sh_error *err);
/* Drop the report being written. NULL is accepted. */
void vd_html_abort(vd_html *h);

/* ---- one document (document.c) ---- */

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

/* ---- [validate] of sohoa.ini, validate's own section (config.c) ---- */

typedef struct {
    int min_dpi;                         /* lowest acceptable resolution, pixels per inch */
    double max_skew_deg;                 /* largest acceptable skew */
    int required_types[NM_CATALOG_SIZE]; /* STTs every dossier must hold */
    int n_required_types;
    int jobs; /* 0: one per core */
} vd_config;

/* The table of [validate]: a program that reads it lists this section (sh_config_use_sections). */
extern const sh_config_section vd_config_section;
/* The [validate] values of cfg; NULL when the program does not list vd_config_section. */
const vd_config *vd_config_get(const sh_config *cfg);

/* ---- a whole run (run.c) ---- */

/* Given each entry once its dossier is done, in walk order. The report is the callee's to read,
 * not to keep: it is freed on return. */
typedef void (*vd_entry_fn)(const vd_file_report *r, void *ctx);

typedef struct {
    const vd_config *config; /* [validate]: min_dpi, max_skew_deg, required_types */
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
 * was is in err), SH_INTERNAL when the ledger could not be written or a check itself failed (a
 * library missing); findings do not change the status. */
SH_NODISCARD sh_status vd_validate_path(const char *path, const vd_options *o, vd_summary *sum,
                                        sh_error *err);

/* A stored finding as core's sh_finding (for JSON and the ledger); path may be NULL. */
void vd_finding_view(const vd_finding *f, const char *path, sh_finding *out);

#endif
