/* Paper handover (CV1361 IV.6, last paragraph): the paper dossier handed to the scan team and
 * given back, each a handovers row and a "dossier.handover" audit entry in one transaction.
 * A dossier is "held" between a receipt and the next return. Refused without --force: a return
 * of a dossier that is not held, a return before the receiver accepted the dossier, and a
 * second receipt of a dossier already held (sheets brought later are recorded with a reason). */
#include "progress/progress.h"

#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "naming/naming.h"

#define NOTE_MAX 1000 /* bytes of a note or a reason: a sentence or two, not a file */
#define PAGES_MAX 100000

/* ---- checks of what is given ---- */

typedef struct {
    char error[1024];
} first_error;

static void keep_error(const sh_finding *f, void *p)
{
    first_error *e = p;
    if (f->severity == SH_ERROR && !e->error[0])
        g_strlcpy(e->error, f->message, sizeof e->error);
}

static bool text_ok(const char *text)
{
    return !text || (strlen(text) <= NOTE_MAX && g_utf8_validate(text, -1, NULL));
}

/* The organisation code and the member key by the rules of dossier folders (naming). */
static sh_status check_handover(const pg_handover *h, sh_error *err)
{
    nm_rules rules;
    nm_rules_default(&rules);
    first_error e = {{0}};
    if (!h->org_code || !nm_check_org_code(h->org_code, NULL, &rules, keep_error, &e))
        return sh_fail(err, SH_USAGE, "%s",
                       e.error[0] ? e.error : _("give the organisation code (--org)"));
    /* A CCCD, or the temporary key (CMND, passport number) of a member without one. */
    if (!h->member_key || !nm_check_key(h->member_key, NULL, &rules, keep_error, &e))
        return sh_fail(err, SH_USAGE, "%s",
                       e.error[0] ? e.error : _("give the member's CCCD (--cccd)"));
    if (h->pages < 0 || h->pages > PAGES_MAX)
        return sh_fail(err, SH_USAGE, _("the page count %d is out of range: give 1 to %d"),
                       h->pages, PAGES_MAX);
    if (!text_ok(h->note))
        return sh_fail(err, SH_USAGE, _("the note must be UTF-8 text of at most %d bytes"),
                       NOTE_MAX);
    if (!text_ok(h->force_reason))
        return sh_fail(err, SH_USAGE, _("the reason must be UTF-8 text of at most %d bytes"),
                       NOTE_MAX);
    if (h->force_reason && !*h->force_reason)
        return sh_fail(err, SH_USAGE, "%s", _("say why it is forced: --force REASON"));
    return SH_OK;
}

/* ---- the ledger ---- */

static sh_status db_fail(sh_ledger *l, sh_error *err)
{
    return sh_ledger_fail(l, err, N_("record the handover"));
}

/* The last handover of the dossier: its direction (NULL: none) and time, g_free'd. */
static sh_status last_handover(sh_ledger *l, const pg_handover *h, char **direction, char **at,
                               sh_error *err)
{
    *direction = *at = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "SELECT direction, at FROM handovers WHERE org_code = ? AND "
                           "member_key = ? ORDER BY id DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(l, err);
    sqlite3_bind_text(q, 1, h->org_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, h->member_key, -1, SQLITE_STATIC);
    sh_status st = SH_OK;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *direction = g_strdup((const char *)sqlite3_column_text(q, 0));
        *at = g_strdup((const char *)sqlite3_column_text(q, 1));
    } else if (rc != SQLITE_DONE) {
        st = db_fail(l, err);
    }
    sqlite3_finalize(q);
    return st;
}

/* A stored UTC time as the station's local "06/12/2026 14:05". g_free() it. */
static char *local_time_text(const char *at)
{
    GDateTime *t = at ? g_date_time_new_from_iso8601(at, NULL) : NULL;
    GDateTime *local = t ? g_date_time_to_local(t) : NULL;
    char *s = local ? g_date_time_format(local, "%d/%m/%Y %H:%M") : g_strdup(at ? at : "?");
    if (local)
        g_date_time_unref(local);
    if (t)
        g_date_time_unref(t);
    return s;
}

/* Receipt after receipt, return without a receipt: refused unless forced. */
static sh_status check_sequence(sh_ledger *l, const pg_handover *h, sh_error *err)
{
    char *last = NULL, *at = NULL;
    sh_status st = last_handover(l, h, &last, &at, err);
    bool held = last && strcmp(last, "receive") == 0;
    char *when = local_time_text(at);
    if (st == SH_OK && h->direction == PG_HANDOVER_RECEIVE && held && !h->force_reason)
        st = sh_fail(err, SH_FINDINGS,
                     _("the paper dossier %s/%s was received on %s and has not been returned; "
                       "sheets brought later are a receipt of their own: receive again with "
                       "--force REASON (what was brought)"),
                     h->org_code, h->member_key, when);
    else if (st == SH_OK && h->direction == PG_HANDOVER_RETURN && last && !held && !h->force_reason)
        st = sh_fail(err, SH_FINDINGS,
                     _("the paper dossier %s/%s was already returned on %s; there is nothing to "
                       "return (or --force REASON)"),
                     h->org_code, h->member_key, when);
    else if (st == SH_OK && h->direction == PG_HANDOVER_RETURN && !last && !h->force_reason)
        st = sh_fail(err, SH_FINDINGS,
                     _("the paper dossier %s/%s was never received here; record its receipt "
                       "first (sohoa handover receive), or --force REASON"),
                     h->org_code, h->member_key);
    g_free(when);
    g_free(last);
    g_free(at);
    return st;
}

/* A return before the receiver accepted the dossier: refused unless forced. The stage reached
 * goes to *stage (-1 when the ledger and the inventory do not know the dossier). */
static sh_status check_accepted(sh_ledger *l, const pg_handover *h, int *stage, sh_error *err)
{
    *stage = -1;
    if (h->direction != PG_HANDOVER_RETURN)
        return SH_OK;
    pg_report_options o = {.config = h->config,
                           .required_types = h->required_types,
                           .n_required_types = h->n_required_types};
    pg_stage reached = PG_INVENTORIED;
    sh_error e;
    sh_error_clear(&e);
    sh_status st = pg_dossier_stage(l, &o, h->org_code, h->member_key, &reached, &e);
    if (st == SH_OK)
        *stage = (int)reached;
    else if (st != SH_INPUT) { /* SH_INPUT: a dossier never ingested nor inventoried */
        *err = e;
        return st;
    }
    if (h->force_reason || (st == SH_OK && reached >= PG_ACCEPTED))
        return SH_OK;
    /* Unknown to the ledger and the inventory, a dossier held is at "paper received". */
    pg_stage at = st == SH_OK ? reached : PG_PAPER_RECEIVED;
    const char *label = pg_stage_label(at);
    if (!label || !*label)
        label = pg_stage_key(at);
    return sh_fail(err, SH_FINDINGS,
                   _("the dossier %s/%s is not accepted by the receiver yet (stage: %s); return "
                     "the paper after the receiver's acceptance receipt (sohoa upload or "
                     "import-receipts), or --force REASON"),
                   h->org_code, h->member_key, label);
}

/* The dossier as other audit entries name it: its folder "ORG/CCCD_HoTen" when ingested, else
 * built from the inventory's name, else "ORG/CCCD". g_free() it. */
static char *dossier_subject(sh_ledger *l, const pg_handover *h)
{
    sqlite3_stmt *q = NULL;
    char *subject = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "SELECT folder, NULL FROM dossiers WHERE folder >= ?1 || '/' || ?2 "
                           "|| '_' AND folder < ?1 || '/' || ?2 || '`' UNION ALL SELECT NULL, "
                           "person_name FROM inventory WHERE org_code = ?1 AND member_key = ?2 "
                           "LIMIT 1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, h->org_code, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, h->member_key, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            const char *folder = (const char *)sqlite3_column_text(q, 0);
            char *ascii = folder ? NULL : nm_person_name((const char *)sqlite3_column_text(q, 1));
            if (folder)
                subject = g_strdup(folder);
            else if (ascii)
                subject = g_strdup_printf("%s/%s_%s", h->org_code, h->member_key, ascii);
            g_free(ascii);
        }
    }
    sqlite3_finalize(q);
    return subject ? subject : g_strdup_printf("%s/%s", h->org_code, h->member_key);
}

static const char *direction_key(pg_handover_direction d)
{
    return d == PG_HANDOVER_RETURN ? "return" : "receive";
}

static char *details_json(const pg_handover *h, int stage)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "direction", direction_key(h->direction));
    sh_json_kv_str(j, "org", h->org_code);
    sh_json_kv_str(j, "member_key", h->member_key);
    sh_json_kv_int_or_null(j, "pages", h->pages, h->pages > 0);
    sh_json_kv_str(j, "note", h->note);
    sh_json_kv_str(j, "forced_reason", h->force_reason);
    if (h->direction == PG_HANDOVER_RETURN)
        sh_json_kv_str(j, "stage", stage >= 0 ? pg_stage_key((pg_stage)stage) : NULL);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, NULL);
    char *out = text ? g_strdup(text) : NULL;
    sh_json_free(j);
    return out;
}

static sh_status insert_row(sh_ledger *l, const pg_handover *h, int64_t audit_id, sh_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           /* the time, station and operator of its audit entry */
                           "INSERT INTO handovers(org_code, member_key, direction, pages, note, "
                           "forced_reason, at, station, operator, audit_id) "
                           "SELECT ?, ?, ?, ?, ?, ?, time, station, operator, id FROM audit "
                           "WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(l, err);
    sqlite3_bind_text(q, 1, h->org_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, h->member_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, direction_key(h->direction), -1, SQLITE_STATIC);
    if (h->pages > 0)
        sqlite3_bind_int(q, 4, h->pages);
    if (h->note && *h->note)
        sqlite3_bind_text(q, 5, h->note, -1, SQLITE_STATIC);
    if (h->force_reason)
        sqlite3_bind_text(q, 6, h->force_reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, audit_id);
    sh_status st = sqlite3_step(q) == SQLITE_DONE && sqlite3_changes(sh_ledger_db(l)) == 1
                       ? SH_OK
                       : db_fail(l, err);
    sqlite3_finalize(q);
    return st;
}

/* Inside the write transaction: the sequence checked again (another run may have recorded in
 * between), then the audit entry and the row that names it. */
static sh_status record(sh_ledger *l, const sh_actor *actor, const pg_handover *h, int stage,
                        int64_t *audit_id, sh_error *err)
{
    sh_status st = check_sequence(l, h, err);
    char *details = st == SH_OK ? details_json(h, stage) : NULL;
    if (st == SH_OK && !details)
        st = sh_fail(err, SH_INTERNAL, _("out of memory"));
    char *subject = dossier_subject(l, h);
    int64_t id = 0;
    if (st == SH_OK)
        st = sh_audit_append(l, actor, "dossier.handover", subject, details, &id, err);
    if (st == SH_OK)
        st = insert_row(l, h, id, err);
    if (st == SH_OK && audit_id)
        *audit_id = id;
    g_free(subject);
    g_free(details);
    return st;
}

sh_status pg_handover_record(sh_ledger *l, const sh_actor *actor, const pg_handover *h,
                             int64_t *audit_id, sh_error *err)
{
    sh_status st = check_handover(h, err);
    if (st == SH_OK)
        st = sh_actor_check(actor, err);
    /* Checked before the write lock too, so that the refusal that says most comes first: a
     * dossier never received is refused as such, not as "not accepted". */
    if (st == SH_OK)
        st = check_sequence(l, h, err);
    int stage = -1;
    if (st == SH_OK)
        st = check_accepted(l, h, &stage, err);
    if (st == SH_OK)
        st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    st = record(l, actor, h, stage, audit_id, err);
    if (st == SH_OK)
        return sh_ledger_commit(l, err);
    sh_ledger_rollback(l);
    return st;
}
