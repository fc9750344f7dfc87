/* Helpers shared by the ledger, audit and workspace tests: raw SQL on the ledger (to look at it
 * or tamper with it) and collecting audit entries. Include after testutil.h. */
#ifndef SOHOA_AUDIT_FIXTURE_H
#define SOHOA_AUDIT_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

/* Run SQL on the ledger's connection; fail the test with SQLite's message if it fails. */
static inline void fx_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        print_error("SQL failed: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        fail();
    }
}

/* The first column of the first row of a query, as an integer (-1 when there is no row). */
static inline int64_t fx_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    return v;
}

/* The first column of the first row of a query, as text; g_free() it (NULL when no row). */
static inline char *fx_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    char *v = NULL;
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        v = g_strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return v;
}

/* A new ledger at dir/name, opened with create. */
static inline sh_ledger *fx_ledger_new(const char *dir, const char *name)
{
    char *path = test_path(dir, name);
    sh_ledger *l = NULL;
    sh_error err = {0};
    sh_status st = sh_ledger_open(path, true, &l, &err);
    if (st != SH_OK)
        fail_msg("cannot open %s: %s", path, err.msg);
    g_free(path);
    return l;
}

/* Copies of the entries visited by sh_audit_each. */
typedef struct {
    sh_audit_entry *items;
    size_t n, cap;
} fx_entries;

static inline sh_status fx_collect(const sh_audit_entry *e, void *ctx, sh_error *err)
{
    (void)err;
    fx_entries *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->items = realloc(c->items, c->cap * sizeof *c->items);
        assert_non_null(c->items);
    }
    sh_audit_entry *copy = &c->items[c->n++];
    *copy = *e;
    copy->station = g_strdup(e->station);
    copy->operator_name = g_strdup(e->operator_name);
    copy->action = g_strdup(e->action);
    copy->subject = g_strdup(e->subject);
    copy->details = g_strdup(e->details);
    return SH_OK;
}

static inline void fx_entries_free(fx_entries *c)
{
    for (size_t i = 0; i < c->n; i++)
        sh_audit_entry_clear(&c->items[i]);
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* All entries matching filter (NULL for all), in id order. */
static inline fx_entries fx_each(sh_ledger *l, const sh_audit_filter *filter)
{
    fx_entries c = {0};
    sh_error err = {0};
    sh_status st = sh_audit_each(l, filter, fx_collect, &c, &err);
    if (st != SH_OK)
        fail_msg("sh_audit_each: %s", err.msg);
    return c;
}

#endif
