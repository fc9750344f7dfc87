/* The part of inventory and plan imports they share: the file read whole (bounded) and hashed
 * (its hash is the version a snapshot names), the CSV header, the refused rows, and the record
 * of the import in the ledger and the audit chain. */
#include "import_impl.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "naming/naming.h"

void pg_import_result_clear(pg_import_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_problems; i++)
        g_free(r->problems[i].problem);
    g_free(r->problems);
    memset(r, 0, sizeof *r);
}

sh_status pg_imp_open(pg_imp_file *f, const char *path, const sh_csv_column *cols, int n_cols,
                      pg_import_result *res, sh_error *err)
{
    memset(f, 0, sizeof *f);
    f->problems = g_array_new(FALSE, TRUE, sizeof(pg_row_problem));
    f->name = nm_shown(path);
    sh_status st = sh_read_file(path, PG_IMPORT_MAX_BYTES, &f->data, &f->len, err);
    if (st != SH_OK)
        return st; /* SH_INPUT (or out of memory), naming the file */
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(f->data, f->len, digest);
    sh_hex(digest, SH_SHA256_LEN, res->sha256);
    st = sh_csv_open(f->data, f->len, f->name, PG_IMPORT_MAX_BYTES, PG_IMPORT_MAX_ROWS, &f->csv,
                     err);
    if (st != SH_OK)
        return st;
    sh_csv_row row;
    bool got = false;
    st = sh_csv_next(f->csv, &row, &got, err);
    if (st == SH_OK && !got)
        st = sh_fail(err, SH_INPUT, _("%s: no header line naming the columns"), f->name);
    if (st == SH_OK)
        st = sh_csv_header_read(&f->header, cols, n_cols, &row, f->name, err);
    return st;
}

sh_status pg_imp_next(pg_imp_file *f, sh_csv_row *row, bool *got, pg_import_result *res,
                      sh_error *err)
{
    sh_status st = sh_csv_next(f->csv, row, got, err);
    if (st == SH_OK && *got)
        res->rows++;
    return st;
}

void pg_imp_add(GString *problems, char *msg)
{
    if (problems->len)
        g_string_append(problems, "; ");
    g_string_append(problems, msg);
    g_free(msg);
}

void pg_imp_shape(const pg_imp_file *f, const sh_csv_row *row, GString *problems)
{
    char *shape = sh_csv_shape_problem(&f->header, row, sh_csv_separator(f->csv));
    if (shape)
        pg_imp_add(problems, shape);
}

void pg_imp_refuse(pg_imp_file *f, int line, GString *problems)
{
    pg_row_problem p = {line, g_string_free(problems, FALSE)};
    g_array_append_val(f->problems, p);
}

sh_status pg_imp_close(pg_imp_file *f, pg_import_result *res)
{
    sh_csv_header_clear(&f->header);
    sh_csv_free(f->csv);
    g_free(f->data);
    g_free(f->name);
    res->n_problems = f->problems ? f->problems->len : 0;
    res->problems = f->problems ? (pg_row_problem *)(void *)g_array_free(f->problems, FALSE) : NULL;
    if (res->n_problems == 0) {
        g_free(res->problems);
        res->problems = NULL;
    }
    memset(f, 0, sizeof *f);
    return res->n_problems ? SH_FINDINGS : SH_OK;
}

sh_status pg_imp_begin_record(sh_ledger *l, const char *kind, const char *path,
                              pg_import_result *res, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(l);
    sqlite3_stmt *q = NULL;
    char now[32];
    sh_utc_now(now);
    char *source = nm_shown(path);
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO imports(kind, source, sha256, rows, imported_at) "
                                "VALUES (?1, ?2, ?3, 0, ?4)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, res->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    g_free(source);
    if (rc != SQLITE_DONE)
        return sh_ledger_fail(l, err, N_("record the import"));
    res->import_id = sqlite3_last_insert_rowid(db);
    return SH_OK;
}

sh_status pg_imp_end_record(sh_ledger *l, const sh_actor *actor, const char *action,
                            const pg_imp_file *f,
                            void (*details_fn)(sh_json *j, const pg_import_result *r),
                            size_t n_rows, pg_import_result *res, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_int(j, "import", res->import_id);
    sh_json_kv_str(j, "sha256", res->sha256);
    sh_json_kv_int(j, "rows", (int64_t)res->rows);
    details_fn(j, res);
    sh_json_kv_int(j, "refused", (int64_t)f->problems->len);
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, err);
    sh_status st = details ? sh_audit_append(l, actor, action, NULL, details, &res->audit_id, err)
                           : SH_INTERNAL;
    sh_json_free(j);
    if (st != SH_OK)
        return st;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(
        sh_ledger_db(l), "UPDATE imports SET rows = ?1, audit_id = ?2 WHERE id = ?3", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)n_rows);
        sqlite3_bind_int64(q, 2, res->audit_id);
        sqlite3_bind_int64(q, 3, res->import_id);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, N_("record the import"));
}

bool pg_imp_date_valid(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !g_ascii_isdigit(s[i]))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    return y >= 1900 && y <= 9999 && g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}
