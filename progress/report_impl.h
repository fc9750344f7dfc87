/* The report's periods and calendar days (report_period.c) and its tally per organisation with
 * the roll-ups, plan and suppression (report_rollup.c). Private to progress/. */
#ifndef SOHOA_PROGRESS_REPORT_IMPL_H
#define SOHOA_PROGRESS_REPORT_IMPL_H

#include "report_count_impl.h"

/* ---- times and periods (report_period.c) ---- */

typedef struct {
    char as_of[PG_TIME_MAX]; /* shown: 2026-12-06T17:00:00Z */
    char until[PG_TIME_MAX]; /* compared with the ledger's times: 2026-12-06T17:00:00Z */
    char day[11];            /* the as-of day, UTC */
} pg_when;

typedef struct {
    char name[32];           /* 2026-12, 2026-Q4, 2026-H2, 2026, FROM..TO */
    char start[11], end[11]; /* its first and last day */
    char from[PG_TIME_MAX];  /* in-period facts: from <= time <= to */
    char to[PG_TIME_MAX];
    char last_day[11]; /* the period's last day, or the as-of day when earlier */
} pg_period;

/* as_of: RFC 3339 (an offset or Z; none: UTC), YYYY-MM-DD (the end of that day), or NULL (now).
 * SH_USAGE when it does not parse. */
SH_NODISCARD sh_status pg_when_parse(const char *as_of, pg_when *w, sh_error *err);
/* spec: NULL or "month", "quarter", "half", "year" (the one holding the as-of day), or
 * "YYYY-MM-DD..YYYY-MM-DD". SH_USAGE when it does not parse. */
SH_NODISCARD sh_status pg_period_parse(const char *spec, const pg_when *w, pg_period *p,
                                       sh_error *err);
/* Days since an epoch for YYYY-MM-DD (the start of a time string is enough); 0 when it does not
 * parse. */
int pg_julian(const char *day);
/* The Monday of the week holding julian day j, and back to YYYY-MM-DD. */
int pg_monday(int j);
void pg_julian_day(int j, char out[11]);

/* ---- the tally (report_rollup.c) ---- */

typedef struct pg_tally pg_tally;

typedef struct {
    const pg_when *when;
    const pg_period *period;
    const pg_config *config; /* may be NULL: Monday to Friday, due soon in 5 days */
    int min_cell;
    int prefix_level; /* rows above the report's prefix (but the whole) are left out */
} pg_tally_context;

pg_tally *pg_tally_new(const pg_tally_context *c);
void pg_tally_free(pg_tally *t);
/* pg_dossier_fn and pg_org_count_fn of report_count_impl.h, ctx a pg_tally. */
void pg_tally_dossier(const pg_dossier_facts *f, void *ctx);
void pg_tally_rejected_packages(const char *org, uint64_t n, void *ctx);
/* pg_plan_fn: a plan line (measure complete or priority1, every group) for a prefix; ctx a
 * pg_tally. */
void pg_tally_plan(const char *prefix, const char *measure, const char *start, const char *deadline,
                   void *ctx);
/* The rows (rolled up, sorted, with plan, rates and suppression) and the weekly series into r. */
SH_NODISCARD sh_status pg_tally_finish(pg_tally *t, pg_report *r, sh_error *err);

#endif
