/* The counting queries of report.c (private to progress/): each dossier's facts, read from the
 * ledger in two ordered streams merged one dossier at a time, so that memory never grows with
 * the number of dossiers. */
#ifndef SOHOA_PROGRESS_REPORT_COUNT_IMPL_H
#define SOHOA_PROGRESS_REPORT_COUNT_IMPL_H

#include "progress/progress.h"

#define PG_TIME_MAX 32

/* What the ledger knows of one dossier at the as-of time. at[s] is the time stage s was reached
 * ("" when it was not); stages are cumulative, PG_PAPER_RETURNED on its own. */
typedef struct {
    char org[32];
    bool listed;    /* on the inventory */
    int group;      /* the inventory's subject group 1-4, 0 when not listed */
    bool in_ledger; /* has a dossier row with a document by the as-of time */
    char at[PG_N_STAGES][PG_TIME_MAX];
    uint64_t documents, pages;
    uint64_t failed_validations, rescans;
    bool rejected_receipt; /* a package holding it was rejected */
    bool priority1_complete;
    char priority1_at[PG_TIME_MAX]; /* when it became so: its last priority-1 acceptance */
} pg_dossier_facts;

typedef void (*pg_dossier_fn)(const pg_dossier_facts *f, void *ctx);
typedef void (*pg_org_count_fn)(const char *org, uint64_t n, void *ctx);
/* measure: "complete" or "priority1" */
typedef void (*pg_plan_fn)(const char *prefix, const char *measure, const char *start,
                           const char *deadline, void *ctx);

typedef struct {
    /* facts up to this time only: the as-of bound, 2026-12-06T17:00:00Z (after …:00.xxxZ too) */
    const char *until;
    const char *prefix; /* organisations under this code, or NULL */
    const char *org;    /* with member: one dossier only */
    const char *member;
    const int *required_types;
    int n_required_types;
} pg_count_query;

/* Calls fn once per dossier: those in the ledger, then those only on the inventory. Inside the
 * caller's read transaction. */
SH_NODISCARD sh_status pg_count_dossiers(sh_ledger *l, const pg_count_query *q, pg_dossier_fn fn,
                                         void *ctx, sh_error *err);
/* Packages the receiver rejected, per organisation. */
SH_NODISCARD sh_status pg_count_rejected_packages(sh_ledger *l, const pg_count_query *q,
                                                  pg_org_count_fn fn, void *ctx, sh_error *err);
/* The plan's lines for every group (subject_group 0), both measures ('complete' and
 * 'priority1'); the lines of one subject group are not read. */
SH_NODISCARD sh_status pg_count_plan(sh_ledger *l, pg_plan_fn fn, void *ctx, sh_error *err);
/* The sha256 of the last import of kind ("inventory" / "plan") into out ("" when none). */
SH_NODISCARD sh_status pg_count_import_version(sh_ledger *l, const char *kind,
                                               char out[SH_SHA256_HEX_LEN + 1], sh_error *err);

#endif
