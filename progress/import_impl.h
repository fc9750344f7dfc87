/* What inventory.c and plan.c share (import.c): the file read whole and hashed, its CSV header
 * matched, the rows refused, and the imports row with its audit entry. */
#ifndef SOHOA_PROGRESS_IMPORT_IMPL_H
#define SOHOA_PROGRESS_IMPORT_IMPL_H

#include <glib.h>

#include "progress/progress.h"

#define PG_IMPORT_MAX_BYTES ((size_t)64 << 20)
#define PG_IMPORT_MAX_ROWS 1000000 /* a province's members fit many times over */

typedef struct {
    char *data; /* the file's bytes, as hashed */
    size_t len;
    char *name; /* the path as given, as text for messages */
    sh_csv_reader *csv;
    sh_csv_header header;
    GArray *problems; /* pg_row_problem */
} pg_imp_file;

/* Read path (bounded), hash it into res->sha256, open the CSV and match its header against
 * cols. SH_INPUT naming the file when any of that fails. Close f whatever the outcome. */
SH_NODISCARD sh_status pg_imp_open(pg_imp_file *f, const char *path, const sh_csv_column *cols,
                                   int n_cols, pg_import_result *res, sh_error *err);
/* The next data row; counts it in res->rows. */
SH_NODISCARD sh_status pg_imp_next(pg_imp_file *f, sh_csv_row *row, bool *got,
                                   pg_import_result *res, sh_error *err);
/* Refuse the row at line for the reasons in problems (taken over, "; "-joined). */
void pg_imp_refuse(pg_imp_file *f, int line, GString *problems);
/* Hand the refused rows over to res (SH_FINDINGS when there are any). */
sh_status pg_imp_close(pg_imp_file *f, pg_import_result *res);

/* "; " between the reasons one row is refused for; msg is taken over. */
void pg_imp_add(GString *problems, char *msg);
/* The shape problems of the row (sh_csv_shape_problem) into problems. */
void pg_imp_shape(const pg_imp_file *f, const sh_csv_row *row, GString *problems);

/* Inside the caller's transaction: the imports row (kind "inventory" or "plan"), before the
 * rows that name it (res->import_id). */
SH_NODISCARD sh_status pg_imp_begin_record(sh_ledger *l, const char *kind, const char *path,
                                           pg_import_result *res, sh_error *err);
/* The audit entry (action, details: the file's sha256, the import's id, the rows refused in f
 * and the counts given by details_fn, never a name or a CCCD), its id in the imports row, rows =
 * n_rows. */
SH_NODISCARD sh_status pg_imp_end_record(sh_ledger *l, const sh_actor *actor, const char *action,
                                         const pg_imp_file *f,
                                         void (*details_fn)(sh_json *j, const pg_import_result *r),
                                         size_t n_rows, pg_import_result *res, sh_error *err);

/* Is s a date YYYY-MM-DD of the calendar? */
bool pg_imp_date_valid(const char *s);

#endif
