/* sohoa plan import: the deadlines of the approved plan (CV1361 III.1, IV.6) per organisation
 * prefix, subject group and completion measure. The file is the whole plan: an import replaces
 * every row of the one before. */
#include <stdarg.h>
#include <string.h>

#include <sqlite3.h>

#include "import_impl.h"

#define PLAN_MAX_ROWS 100000

enum { COL_ORG, COL_GROUP, COL_MEASURE, COL_START, COL_DEADLINE, N_COLS };

static const sh_csv_column columns[N_COLS] = {
    [COL_ORG] = {"org",
                 "Mã tổ chức",
                 true,
                 {"org", "prefix", "org_code", "ma to chuc", "to chuc", "to chuc dang", "don vi",
                  NULL}},
    [COL_GROUP] = {"group",
                   "Nhóm",
                   false,
                   {"group", "subject_group", "nhom", "nhom doi tuong", "doi tuong", NULL}},
    [COL_MEASURE] = {"measure",
                     "Mức hoàn thành",
                     false,
                     {"measure", "muc hoan thanh", "muc do", "chi tieu", NULL}},
    [COL_START] = {"start",
                   "Ngày bắt đầu",
                   false,
                   {"start", "start_date", "ngay bat dau", "bat dau", "tu ngay", NULL}},
    [COL_DEADLINE] = {"deadline",
                      "Hạn hoàn thành",
                      true,
                      {"deadline", "han", "han hoan thanh", "thoi han", "den ngay", NULL}},
};

typedef struct {
    char prefix[32];
    int group;
    const char *measure; /* "complete" or "priority1" */
    char start[11], deadline[11];
    int line;
} plan_row;

typedef struct {
    pg_imp_file file;
    char today[11];
    GArray *rows;   /* plan_row */
    GHashTable *at; /* "prefix/group/measure" → line */
} plan;

/* ---- one row ---- */

/* "93", "93.000" … "93.000.036.001.015": one to five groups of 2, 3, 3, 3 and 3 digits. */
static bool prefix_valid(const char *s)
{
    static const int width[5] = {2, 3, 3, 3, 3};
    for (int level = 0; level < 5; level++) {
        for (int i = 0; i < width[level]; i++, s++)
            if (!g_ascii_isdigit(*s))
                return false;
        if (!*s)
            return true;
        if (*s++ != '.')
            return false;
    }
    return false;
}

/* "column "HEADING": " and what is wrong with the value (fmt: a translated message). */
static void bad_value(const pg_imp_file *f, int col, GString *problems, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad_value(const pg_imp_file *f, int col, GString *problems, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    pg_imp_add(problems,
               g_strdup_printf(_("column \"%s\": %s"), sh_csv_heading(&f->header, col), what));
    g_free(what);
}

static void read_prefix(const pg_imp_file *f, const char *v, plan_row *p, GString *problems)
{
    char *sv = sh_csv_shown(v);
    if (!*v)
        pg_imp_add(problems, g_strdup_printf(_("column \"%s\" is empty"),
                                             sh_csv_heading(&f->header, COL_ORG)));
    else if (!prefix_valid(v))
        bad_value(f, COL_ORG, problems,
                  _("\"%s\" is not an organisation code or a prefix of one (93, 93.000, … "
                    "93.000.036.001.015)"),
                  sv);
    else
        g_strlcpy(p->prefix, v, sizeof p->prefix);
    g_free(sv);
}

static void read_group(const pg_imp_file *f, const char *v, plan_row *p, GString *problems)
{
    char *sv = sh_csv_shown(v);
    if (!*v || strcmp(v, "0") == 0)
        p->group = 0;
    else if (strlen(v) == 1 && v[0] >= '1' && v[0] <= '4')
        p->group = v[0] - '0';
    else
        bad_value(f, COL_GROUP, problems,
                  _("\"%s\" is not a subject group 1, 2, 3 or 4 (empty: every group)"), sv);
    g_free(sv);
}

static void read_measure(const pg_imp_file *f, const char *v, plan_row *p, GString *problems)
{
    char *sv = sh_csv_shown(v);
    char *key = sh_csv_key(v);
    if (!*key || strcmp(key, "complete") == 0 || strcmp(key, "toanbo") == 0)
        p->measure = "complete";
    else if (strcmp(key, "priority1") == 0 || strcmp(key, "uutien1") == 0)
        p->measure = "priority1";
    else
        bad_value(f, COL_MEASURE, problems,
                  _("\"%s\" is neither complete (toàn bộ) nor priority1 (ưu tiên 1)"), sv);
    g_free(key);
    g_free(sv);
}

static bool read_date(const pg_imp_file *f, int col, const char *v, char out[11], GString *problems)
{
    if (pg_imp_date_valid(v)) {
        memcpy(out, v, 11);
        return true;
    }
    char *sv = sh_csv_shown(v);
    bad_value(f, col, problems,
              _("\"%s\" is not a date YYYY-MM-DD such as 2026-12-31; in Excel, format the "
                "column as Text, or as the date format yyyy-mm-dd"),
              sv);
    g_free(sv);
    return false;
}

static void read_dates(const plan *pl, const sh_csv_row *row, plan_row *p, GString *problems)
{
    const pg_imp_file *f = &pl->file;
    const char *start = sh_csv_cell(&f->header, row, COL_START);
    const char *deadline = sh_csv_cell(&f->header, row, COL_DEADLINE);
    bool ok = true;
    if (*start)
        ok = read_date(f, COL_START, start, p->start, problems);
    else
        memcpy(p->start, pl->today, 11);
    if (!*deadline) {
        pg_imp_add(problems, g_strdup_printf(_("column \"%s\" is empty"),
                                             sh_csv_heading(&f->header, COL_DEADLINE)));
        return;
    }
    ok = read_date(f, COL_DEADLINE, deadline, p->deadline, problems) && ok;
    if (ok && strcmp(p->deadline, p->start) <= 0)
        pg_imp_add(problems, g_strdup_printf(_("the deadline %s is not after the start %s; "
                                               "correct one of them"),
                                             p->deadline, p->start));
}

static void read_plan_row(plan *pl, const sh_csv_row *row)
{
    const sh_csv_header *h = &pl->file.header;
    GString *problems = g_string_new(NULL);
    plan_row p = {.line = row->line};
    read_prefix(&pl->file, sh_csv_cell(h, row, COL_ORG), &p, problems);
    read_group(&pl->file, sh_csv_cell(h, row, COL_GROUP), &p, problems);
    read_measure(&pl->file, sh_csv_cell(h, row, COL_MEASURE), &p, problems);
    read_dates(pl, row, &p, problems);
    pg_imp_shape(&pl->file, row, problems);
    char *at = g_strdup_printf("%s/%d/%s", p.prefix, p.group, p.measure ? p.measure : "");
    int earlier = problems->len ? 0 : GPOINTER_TO_INT(g_hash_table_lookup(pl->at, at));
    if (earlier)
        pg_imp_add(problems, g_strdup_printf(_("line %d already sets a deadline for %s, the same "
                                               "group and measure; keep one row"),
                                             earlier, p.prefix));
    if (problems->len) {
        g_free(at);
        pg_imp_refuse(&pl->file, row->line, problems);
        return;
    }
    g_string_free(problems, TRUE);
    g_hash_table_insert(pl->at, at, GINT_TO_POINTER(p.line));
    g_array_append_val(pl->rows, p);
}

/* ---- the ledger ---- */

static sh_status replace_plan(sh_ledger *l, const plan *pl, pg_import_result *res, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(l);
    sqlite3_stmt *q = NULL;
    bool ok = sqlite3_exec(db, "DELETE FROM plan", NULL, NULL, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db,
                                 "INSERT INTO plan(prefix, subject_group, measure, start_date, "
                                 "deadline, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                 -1, &q, NULL) == SQLITE_OK;
    for (guint i = 0; ok && i < pl->rows->len; i++) {
        const plan_row *p = &g_array_index(pl->rows, plan_row, i);
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, p->prefix, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, p->group);
        sqlite3_bind_text(q, 3, p->measure, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, p->start, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, p->deadline, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 6, res->import_id);
        ok = sqlite3_step(q) == SQLITE_DONE;
    }
    sqlite3_finalize(q);
    if (!ok)
        return sh_ledger_fail(l, err, N_("record the plan"));
    res->planned = pl->rows->len;
    return SH_OK;
}

static void plan_details(sh_json *j, const pg_import_result *r)
{
    sh_json_kv_int(j, "planned", (int64_t)r->planned);
}

static sh_status record(sh_ledger *l, const sh_actor *actor, const char *path, const plan *pl,
                        pg_import_result *res, sh_error *err)
{
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    st = pg_imp_begin_record(l, "plan", path, res, err);
    if (st == SH_OK)
        st = replace_plan(l, pl, res, err);
    if (st == SH_OK)
        st = pg_imp_end_record(l, actor, "plan.import", &pl->file, plan_details, pl->rows->len, res,
                               err);
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    if (st != SH_OK) {
        sh_ledger_rollback(l);
        res->import_id = res->audit_id = 0;
        res->planned = 0;
    }
    return st;
}

/* The station's day, where an empty start begins. */
static void local_today(char out[11])
{
    GDateTime *now = g_date_time_new_now_local();
    char *day = g_date_time_format(now, "%Y-%m-%d");
    g_strlcpy(out, day, 11);
    g_free(day);
    g_date_time_unref(now);
}

sh_status pg_plan_import(sh_ledger *l, const sh_actor *actor, const char *path,
                         pg_import_result *res, sh_error *err)
{
    memset(res, 0, sizeof *res);
    sh_status st = sh_actor_check(actor, err);
    if (st != SH_OK)
        return st;
    plan pl = {.rows = g_array_new(FALSE, TRUE, sizeof(plan_row)),
               .at = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    local_today(pl.today);
    st = pg_imp_open(&pl.file, path, columns, N_COLS, res, err);
    for (bool got = st == SH_OK; got;) {
        sh_csv_row row;
        st = pg_imp_next(&pl.file, &row, &got, res, err);
        if (st == SH_OK && got && res->rows > PLAN_MAX_ROWS)
            st = sh_fail(err, SH_INPUT, _("%s: more than %d rows; split the sheet into several"),
                         pl.file.name, PLAN_MAX_ROWS);
        if (st == SH_OK && got)
            read_plan_row(&pl, &row);
        got = got && st == SH_OK;
    }
    if (st == SH_OK && res->rows == 0)
        st = sh_fail(err, SH_INPUT,
                     _("%s sets no deadline under its header; the plan is left as it was"),
                     pl.file.name);
    if (st == SH_OK && pl.rows->len)
        st = record(l, actor, path, &pl, res, err);
    sh_status found = pg_imp_close(&pl.file, res);
    g_hash_table_destroy(pl.at);
    g_array_free(pl.rows, TRUE);
    return st == SH_OK ? found : st;
}
