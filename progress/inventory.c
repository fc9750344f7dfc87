/* sohoa inventory import: the list of dossiers to digitise, the denominator of every
 * percentage. A member is known by organisation code and CCCD (or the temporary key of a member
 * without one: CMND, passport number), as the dossier folder names them (naming's checks decide
 * what is valid, so every listed member can have a folder); a re-import updates the member's
 * row, never adds a second one. The name is kept in the inventory table only: the audit entry
 * holds the file's hash and counts. */
#include <string.h>

#include <sqlite3.h>

#include "import_impl.h"
#include "naming/naming.h"

enum { COL_ORG, COL_CCCD, COL_NAME, COL_GROUP, N_COLS };

/* Headings as sh_csv_key compares them: case, diacritics, spaces and punctuation aside. */
static const sh_csv_column columns[N_COLS] = {
    [COL_ORG] = {"org",
                 "Mã tổ chức",
                 true,
                 {"org", "org_code", "ma to chuc", "to chuc", "to chuc dang", "ma chi bo", "chi bo",
                  NULL}},
    [COL_CCCD] = {"cccd",
                  "Số CCCD",
                  true,
                  {"cccd", "so cccd", "member_key", "ma dinh danh", "so dinh danh", "cccd/cmnd",
                   "so cccd/cmnd", NULL}},
    [COL_NAME] = {"name", "Họ và tên", true, {"name", "ho va ten", "ho ten", NULL}},
    [COL_GROUP] = {"group",
                   "Nhóm",
                   true,
                   {"group", "subject_group", "nhom", "nhom doi tuong", "doi tuong", NULL}},
};

typedef struct {
    char *org, *key, *name;
    int group;
    int line;
} member;

typedef struct {
    pg_imp_file file;
    nm_rules rules;
    GArray *members;     /* member: the rows to write */
    GHashTable *by_pair; /* "org\ncccd" → line */
    GHashTable *by_cccd; /* cccd (the member's own string) → its index + 1 in members */
} inventory;

/* ---- one row ---- */

typedef struct {
    char msg[1024]; /* the first error naming reports */
} naming_sink;

static void first_error(const sh_finding *f, void *ctx)
{
    naming_sink *s = ctx;
    if (f->severity == SH_ERROR && !s->msg[0])
        g_strlcpy(s->msg, f->message, sizeof s->msg);
}

/* What Excel does to a number typed in a cell not formatted as Text: the digits the key had
 * (a CCCD's 12, a CMND's 9) when it lost its leading 0 or became a number; 0 when not so. */
static int excel_mangled(const char *v)
{
    size_t n = strlen(v), digits = strspn(v, "0123456789");
    if (strstr(v, "E+") || strstr(v, "e+") || (n == 11 && digits == 11))
        return 12;
    return n == 8 && digits == 8 ? 9 : 0;
}

/* The member key: a CCCD, or a member's temporary key (a CMND or passport number, accepted;
 * naming's warning name.temporary_key is for the folder). */
static void check_cccd(const inventory *inv, const sh_csv_header *h, const char *v,
                       GString *problems)
{
    int lost = excel_mangled(v);
    if (lost) {
        char *sv = sh_csv_shown(v);
        pg_imp_add(problems, g_strdup_printf(_("column \"%s\": \"%s\" has lost its leading 0 or "
                                               "become a number in Excel; format the column as "
                                               "Text and type the %d digits again"),
                                             sh_csv_heading(h, COL_CCCD), sv, lost));
        g_free(sv);
        return;
    }
    naming_sink s = {0};
    if (!nm_check_key(v, NULL, &inv->rules, first_error, &s))
        pg_imp_add(problems, g_strdup(s.msg));
}

static void check_text(const sh_csv_header *h, int col, const char *v, GString *problems)
{
    if (*v)
        return;
    pg_imp_add(problems, g_strdup_printf(_("column \"%s\" is empty"), sh_csv_heading(h, col)));
}

static void check_org(const sh_csv_header *h, const char *v, GString *problems)
{
    if (!*v || nm_org_code_valid(v))
        return;
    char *sv = sh_csv_shown(v);
    pg_imp_add(problems,
               g_strdup_printf(_("column \"%s\": \"%s\" is not an organisation code "
                                 "M1.M2.M3.M4.M5 (five groups of 2, 3, 3, 3 and 3 digits, like "
                                 "93.000.036.001.015)"),
                               sh_csv_heading(h, COL_ORG), sv));
    g_free(sv);
}

/* A full name is two words or more; a digit means another column's value (a CCCD, a group). */
static void check_name(const sh_csv_header *h, const char *v, GString *problems)
{
    if (!*v)
        return;
    char **words = g_strsplit_set(v, " \t\n", -1);
    int n = 0;
    for (char **w = words; *w; w++)
        n += **w != '\0';
    g_strfreev(words);
    if (n >= 2 && !strpbrk(v, "0123456789"))
        return;
    char *sv = sh_csv_shown(v);
    pg_imp_add(problems, g_strdup_printf(_("column \"%s\": \"%s\" is not a full name (two "
                                           "words or more, no digits)"),
                                         sh_csv_heading(h, COL_NAME), sv));
    g_free(sv);
}

static int check_group(const sh_csv_header *h, const char *v, GString *problems)
{
    if (strlen(v) == 1 && v[0] >= '1' && v[0] <= '4')
        return v[0] - '0';
    if (!*v) {
        check_text(h, COL_GROUP, v, problems);
        return 0;
    }
    char *sv = sh_csv_shown(v);
    pg_imp_add(problems, g_strdup_printf(_("column \"%s\": \"%s\" is not a subject group 1, 2, 3 "
                                           "or 4 (guide I.2)"),
                                         sh_csv_heading(h, COL_GROUP), sv));
    g_free(sv);
    return 0;
}

/* The same member twice in the file, or one CCCD under two organisations: one dossier each. */
static void check_twice(const inventory *inv, const member *m, GString *problems)
{
    char *pair = g_strconcat(m->org, "\n", m->key, NULL);
    int earlier = GPOINTER_TO_INT(g_hash_table_lookup(inv->by_pair, pair));
    g_free(pair);
    if (earlier) {
        pg_imp_add(problems,
                   g_strdup_printf(_("this member is already on line %d; keep one row"), earlier));
        return;
    }
    guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(inv->by_cccd, m->key));
    if (idx) {
        const member *o = &g_array_index(inv->members, member, idx - 1);
        pg_imp_add(problems,
                   g_strdup_printf(_("The member key %s is already on line %d, under %s: a member "
                                     "has one dossier; keep the row of the right "
                                     "organisation"),
                                   m->key, o->line, o->org));
    }
}

static void read_member(inventory *inv, const sh_csv_row *row)
{
    const sh_csv_header *h = &inv->file.header;
    GString *problems = g_string_new(NULL);
    member m = {.line = row->line};
    const char *org = sh_csv_cell(h, row, COL_ORG), *cccd = sh_csv_cell(h, row, COL_CCCD);
    const char *name = sh_csv_cell(h, row, COL_NAME);
    check_text(h, COL_ORG, org, problems);
    check_org(h, org, problems);
    check_text(h, COL_CCCD, cccd, problems);
    if (*cccd)
        check_cccd(inv, h, cccd, problems);
    check_text(h, COL_NAME, name, problems);
    check_name(h, name, problems);
    m.group = check_group(h, sh_csv_cell(h, row, COL_GROUP), problems);
    pg_imp_shape(&inv->file, row, problems);
    m.org = (char *)org;
    m.key = (char *)cccd;
    if (!problems->len)
        check_twice(inv, &m, problems);
    if (problems->len) {
        pg_imp_refuse(&inv->file, row->line, problems);
        return;
    }
    g_string_free(problems, TRUE);
    m.org = g_strdup(org);
    m.key = g_strdup(cccd);
    m.name = g_strdup(name);
    g_array_append_val(inv->members, m);
    g_hash_table_insert(inv->by_pair, g_strconcat(m.org, "\n", m.key, NULL),
                        GINT_TO_POINTER(m.line));
    g_hash_table_insert(inv->by_cccd, m.key, GUINT_TO_POINTER(inv->members->len));
}

/* ---- the ledger ---- */

typedef struct {
    sqlite3_stmt *get, *add, *set;
} statements;

static void statements_free(statements *s)
{
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->add);
    sqlite3_finalize(s->set);
}

static bool statements_prepare(sqlite3 *db, statements *s)
{
    return sqlite3_prepare_v2(db,
                              "SELECT person_name, subject_group FROM inventory "
                              "WHERE org_code = ?1 AND member_key = ?2",
                              -1, &s->get, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db,
                              "INSERT INTO inventory(org_code, member_key, person_name, "
                              "subject_group, import_id, first_import_id) VALUES (?1, ?2, ?3, "
                              "?4, ?5, ?5)",
                              -1, &s->add, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db,
                              "UPDATE inventory SET person_name = ?3, subject_group = ?4, "
                              "import_id = ?5 WHERE org_code = ?1 AND member_key = ?2",
                              -1, &s->set, NULL) == SQLITE_OK;
}

/* 0 absent, 1 as it is, 2 different; -1 on a failure. */
static int compare(sqlite3_stmt *get, const member *m)
{
    sqlite3_reset(get);
    sqlite3_bind_text(get, 1, m->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(get, 2, m->key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(get);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return -1;
    const char *name = (const char *)sqlite3_column_text(get, 0);
    bool same = name && strcmp(name, m->name) == 0 && sqlite3_column_int(get, 1) == m->group;
    return same ? 1 : 2;
}

static bool write_member(sqlite3_stmt *q, const member *m, int64_t import_id)
{
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, m->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, m->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 4, m->group);
    sqlite3_bind_int64(q, 5, import_id);
    return sqlite3_step(q) == SQLITE_DONE;
}

static sh_status upsert(sh_ledger *l, const inventory *inv, pg_import_result *res, sh_error *err)
{
    statements s = {0};
    bool ok = statements_prepare(sh_ledger_db(l), &s);
    for (guint i = 0; ok && i < inv->members->len; i++) {
        const member *m = &g_array_index(inv->members, member, i);
        int was = compare(s.get, m);
        ok = was >= 0;
        if (was == 0) {
            ok = write_member(s.add, m, res->import_id);
            res->added++;
        } else if (was == 2) {
            ok = write_member(s.set, m, res->import_id);
            res->updated++;
        } else if (was == 1) {
            res->unchanged++;
        }
    }
    sh_status st = ok ? SH_OK : sh_ledger_fail(l, err, N_("record the inventory"));
    statements_free(&s);
    return st;
}

static void inventory_details(sh_json *j, const pg_import_result *r)
{
    sh_json_kv_int(j, "added", (int64_t)r->added);
    sh_json_kv_int(j, "updated", (int64_t)r->updated);
    sh_json_kv_int(j, "unchanged", (int64_t)r->unchanged);
}

static sh_status record(sh_ledger *l, const sh_actor *actor, const char *path, const inventory *inv,
                        pg_import_result *res, sh_error *err)
{
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    st = pg_imp_begin_record(l, "inventory", path, res, err);
    if (st == SH_OK)
        st = upsert(l, inv, res, err);
    if (st == SH_OK)
        st = pg_imp_end_record(l, actor, "inventory.import", &inv->file, inventory_details,
                               inv->members->len, res, err);
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    if (st != SH_OK) {
        sh_ledger_rollback(l);
        res->import_id = res->audit_id = 0;
        res->added = res->updated = res->unchanged = 0;
    }
    return st;
}

static void member_clear(void *p)
{
    member *m = p;
    g_free(m->org);
    g_free(m->key);
    g_free(m->name);
}

sh_status pg_inventory_import(sh_ledger *l, const sh_actor *actor, const char *path,
                              pg_import_result *res, sh_error *err)
{
    memset(res, 0, sizeof *res);
    sh_status st = sh_actor_check(actor, err);
    if (st != SH_OK)
        return st;
    inventory inv = {.members = g_array_new(FALSE, TRUE, sizeof(member)),
                     .by_pair = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                     .by_cccd = g_hash_table_new(g_str_hash, g_str_equal)};
    g_array_set_clear_func(inv.members, member_clear);
    nm_rules_default(&inv.rules);
    st = pg_imp_open(&inv.file, path, columns, N_COLS, res, err);
    for (bool got = st == SH_OK; got;) {
        sh_csv_row row;
        st = pg_imp_next(&inv.file, &row, &got, res, err);
        if (st == SH_OK && got)
            read_member(&inv, &row);
    }
    if (st == SH_OK && res->rows == 0)
        st = sh_fail(err, SH_INPUT, _("%s lists no member under its header; nothing imported"),
                     inv.file.name);
    if (st == SH_OK && inv.members->len)
        st = record(l, actor, path, &inv, res, err);
    sh_status found = pg_imp_close(&inv.file, res);
    g_hash_table_destroy(inv.by_pair);
    g_hash_table_destroy(inv.by_cccd);
    g_array_free(inv.members, TRUE);
    return st == SH_OK ? found : st;
}
