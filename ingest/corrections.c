/* Corrections to what was recorded at ingest, each with its audit entry: the page count a
 * document is expected to have (docs/ingest.md, "Correcting the expected page count"). */
#include <glib.h>
#include <sqlite3.h>
#include <string.h>

#include "ingest/ingest.h"

#define REASON_MAX_BYTES 4000

void in_expected_change_clear(in_expected_change *c)
{
    g_free(c->rel_path);
    memset(c, 0, sizeof *c);
}

static char *change_details(int old_expected, int expected, int pages, const char *reason)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_int_or_null(j, "old", old_expected, old_expected > 0);
    sh_json_kv_int(j, "new", expected);
    sh_json_kv_int(j, "pages", pages);
    sh_json_kv_str(j, "reason", reason);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, NULL);
    char *out = text ? g_strdup(text) : NULL;
    sh_json_free(j);
    return out;
}

sh_status in_set_expected_pages(sh_ledger *l, const char *root, const sh_actor *actor,
                                const char *path, int expected, const char *reason,
                                in_expected_change *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    size_t reason_len = reason ? strlen(reason) : 0;
    char *trimmed = g_strstrip(g_strdup(reason ? reason : ""));
    bool reason_ok =
        *trimmed && reason_len <= REASON_MAX_BYTES && sh_utf8_valid(reason, reason_len);
    g_free(trimmed);
    if (!reason_ok)
        return sh_fail(err, SH_USAGE,
                       _("document pages: the reason must be UTF-8 text of 1 to %d bytes, for "
                         "example \"the paper document has 6 pages, not 5\""),
                       REASON_MAX_BYTES);
    if (expected < 1 || expected > 100000)
        return sh_fail(err, SH_USAGE, _("document pages: --expected takes a number from %d to %d"),
                       1, 100000);
    char *rel = sh_workspace_relpath(root, path);
    if (!rel)
        return sh_fail(err, SH_USAGE,
                       _("%s is not a file inside the workspace %s; give the document's PDF, "
                         "for example ORG/CCCD_Name/02.Ly lich dang vien.pdf"),
                       path, root);
    sqlite3 *db = sh_ledger_db(l);
    sh_status st = sh_ledger_begin(l, err);
    sqlite3_stmt *q = NULL;
    int64_t id = 0;
    int old = 0, pages = 0;
    bool found = false;
    if (st == SH_OK) {
        if (sqlite3_prepare_v2(db,
                               "SELECT id, coalesce(expected_pages, 0), pages FROM documents "
                               "WHERE path = ?",
                               -1, &q, NULL) != SQLITE_OK)
            st = sh_ledger_fail(l, err, N_("read the documents"));
        else {
            sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
            int rc = sqlite3_step(q);
            if (rc == SQLITE_ROW) {
                found = true;
                id = sqlite3_column_int64(q, 0);
                old = sqlite3_column_int(q, 1);
                pages = sqlite3_column_int(q, 2);
            } else if (rc != SQLITE_DONE)
                st = sh_ledger_fail(l, err, N_("read the documents"));
        }
        sqlite3_finalize(q);
    }
    if (st == SH_OK && !found) {
        char *shown = nm_shown(rel);
        st = sh_fail(err, SH_USAGE,
                     _("the ledger has no document %s: only documents made by sohoa ingest have "
                       "an expected page count (ingest it, with --expected-pages N)"),
                     shown);
        g_free(shown);
    }
    char *details = NULL;
    if (st == SH_OK && old != expected) {
        details = change_details(old, expected, pages, reason);
        char *subject = nm_shown(rel);
        st = details ? sh_audit_append(l, actor, "document.expected_pages", subject, details,
                                       &out->audit_id, err)
                     : sh_fail(err, SH_INTERNAL, _("out of memory"));
        g_free(subject);
        if (st == SH_OK &&
            sqlite3_prepare_v2(db, "UPDATE documents SET expected_pages = ? WHERE id = ?", -1, &q,
                               NULL) != SQLITE_OK)
            st = sh_ledger_fail(l, err, N_("record the expected page count"));
        else if (st == SH_OK) {
            sqlite3_bind_int(q, 1, expected);
            sqlite3_bind_int64(q, 2, id);
            if (sqlite3_step(q) != SQLITE_DONE)
                st = sh_ledger_fail(l, err, N_("record the expected page count"));
            sqlite3_finalize(q);
        }
    }
    g_free(details);
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    else
        sh_ledger_rollback(l);
    if (st == SH_OK) {
        out->rel_path = rel;
        out->old_expected = old;
        out->new_expected = expected;
        out->pages = pages;
    } else
        g_free(rel);
    return st;
}
