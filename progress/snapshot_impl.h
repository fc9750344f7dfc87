/* The snapshot's JSON read back (snapshot_read.c): the shape pg_report_json writes
 * (docs/progress.md, "Snapshots and the province merge"), read by core's bounded reader into a
 * pg_report. Private to progress/ (and its fuzz target). */
#ifndef SOHOA_PROGRESS_SNAPSHOT_IMPL_H
#define SOHOA_PROGRESS_SNAPSHOT_IMPL_H

#include "progress/progress.h"

#define PG_SNAPSHOT_FORMAT "sohoa-progress/1"
#define PG_SNAPSHOT_MAX ((size_t)16 << 20) /* bytes of one snapshot's JSON */
#define PG_SNAPSHOT_ROWS_MAX 100000        /* organisation rows, and weeks */
#define PG_SNAPSHOT_STRING_MAX 64          /* bytes of a key or a string */
#define PG_COUNT_MAX (INT64_C(1) << 53)    /* a count: exact in any JSON reader */

/* Parse text[0..len) (not NUL-terminated) into a new report (pg_report_free): every key of the
 * format present once and no other (unknown keys are refused), counts whole numbers 0..2^53, org
 * codes and their levels checked, the organisation rows sorted by code and none twice, a station
 * and a sequence number present, min_cell 0. SH_FINDINGS with "WHAT, byte N: what is wrong". */
SH_NODISCARD sh_status pg_snapshot_parse(const char *text, size_t len, const char *what,
                                         pg_report **out, sh_error *err);

/* pg_snapshot_parse with rows[0..rows_cap) (g_malloc'd, or NULL) as the start of the report's
 * rows: it becomes the report's (grown when too small; freed on failure), its room in
 * *out_rows_cap (may be NULL). Reusing a finished report's rows spares the allocator. */
SH_NODISCARD sh_status pg_snapshot_parse_into(const char *text, size_t len, const char *what,
                                              pg_org_row *rows, size_t rows_cap, pg_report **out,
                                              size_t *out_rows_cap, sh_error *err);

/* The station and sequence number from the start of text (the writer puts them before the
 * counts), without reading or checking the rest: false when they are not there. */
bool pg_snapshot_peek(const char *text, size_t len, char station[64], int64_t *seq);

#endif
