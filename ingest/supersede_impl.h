/* Inside the ingest module only: re-runs and rescans (supersede.c), the steps document.c calls
 * around its own (docs/ingest.md, "Re-runs" and "Rescans"). */
#ifndef SOHOA_INGEST_SUPERSEDE_IMPL_H
#define SOHOA_INGEST_SUPERSEDE_IMPL_H

#include "source_impl.h"

/* A file a rescan moves out of the document's place. Paths relative to the workspace root. */
typedef struct {
    char *rel;     /* where it is: ORG/CCCD_Name/02.Ly lich dang vien.pdf */
    char *kept_as; /* where it goes: .sohoa/superseded/STAMP/ORG/CCCD_Name/02.… */
    char sha256[SH_SHA256_HEX_LEN + 1];
} in_moved_file;

/* What to do with one document, decided before anything is written. */
typedef struct {
    bool done;          /* made from these very files already: out describes it, write nothing */
    int seq;            /* the Seq to use; -1 when document.c's own rules choose it */
    int expected_pages; /* to record when the command gives none (the replaced one's), or 0 */
    bool replace;       /* a rescan: the file at the destination is moved away first */
    /* A rescan only: */
    const char *reason;
    char *rel_path; /* the document replaced */
    bool recorded;  /* the ledger had a documents row for it */
    char recorded_sha256[SH_SHA256_HEX_LEN + 1];
    int old_pages;          /* as recorded; 0 when not recorded */
    in_moved_file files[2]; /* the document, then its signed copy if any */
    size_t n_files;
    int64_t supersession; /* its id, once recorded */
} in_plan;

/* Decide, from the ledger and the dossier folder, before anything is written: already done (the
 * ledger records a document of this folder and type, and Seq when given, made from sources with
 * the same SHA-256s in the same order, and its file is there as recorded), made again in its
 * recorded place (that file is gone), a rescan's target (doc->replace_reason), or left to the
 * Seq rules. A destination that exists and was not made from these files is SH_USAGE saying how
 * to go on (--replace for a rescan). */
SH_NODISCARD sh_status in_plan_document(const in_document *doc, const in_context *ctx,
                                        const char *folder_rel, const nm_doc_type *type,
                                        in_source *const *sources, size_t n_sources, in_plan *plan,
                                        in_result *out, sh_error *err);

/* Before document.c's transaction, the new file sealed under its temp name (temp_path, locked
 * by this process): record the intent (the supersession, not in effect, and the files it moves),
 * then move the old files under .sohoa/superseded, never replacing anything there. out gets
 * where they went. On failure everything is put back. */
SH_NODISCARD sh_status in_supersede_begin(const in_context *ctx, in_plan *plan, in_result *out,
                                          const char *temp_path, sh_error *err);

/* Inside document.c's transaction, before its own rows: check that the replaced document is
 * still as planned, put the supersession in effect and append its "document.supersede" audit
 * entry. r is the new document (its sha256). */
SH_NODISCARD sh_status in_supersede_record(const in_context *ctx, in_plan *plan, const in_result *r,
                                           sh_error *err);

/* That transaction failed: the old files are put back in their places and the intent dropped
 * (what cannot be put back now, the next ingest's in_supersede_recover does). */
void in_supersede_undo(const in_context *ctx, in_plan *plan);

/* Free the plan; the folders made under .sohoa/superseded for a rescan that was never recorded
 * are removed (when still empty). */
void in_plan_clear(const in_context *ctx, in_plan *plan);

#endif
