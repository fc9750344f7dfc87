/* The hash-chained audit log. See docs/audit.md for the encoding an inspector can recompute. */
#include "core_impl.h"

#include <string.h>
#include <time.h>

#include <glib.h>
#include <sqlite3.h>

static const char GENESIS_HASH[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

void sh_utc_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", date, (int)(ts.tv_nsec / 1000000));
}

bool sh_time_filter_valid(const char *t)
{
    /* YYYY-MM-DD, then optionally THH:MM, :SS, .mmm, Z: the prefixes of what we store. */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddd";
    size_t n = strlen(t);
    if (n > 0 && t[n - 1] == 'Z')
        n--;
    if (n != 10 && n != 16 && n != 19 && n != 23) /* date, THH:MM, :SS, .mmm */
        return false;
    for (size_t i = 0; i < n; i++) {
        if (shape[i] == 'd' ? !g_ascii_isdigit(t[i]) : t[i] != shape[i])
            return false;
    }
    int month = (t[5] - '0') * 10 + (t[6] - '0'), day = (t[8] - '0') * 10 + (t[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

void sh_audit_entry_clear(sh_audit_entry *e)
{
    g_free(e->station);
    g_free(e->operator_name);
    g_free(e->action);
    g_free(e->subject);
    g_free(e->details);
    memset(e, 0, sizeof *e);
}

sh_status sh_actor_check(const sh_actor *actor, sh_error *err)
{
    if (!actor->station || !*actor->station)
        return sh_fail(err, SH_USAGE, _("no station ID: set [station] id in sohoa.ini"));
    if (!actor->operator_name || !*actor->operator_name)
        return sh_fail(err, SH_USAGE,
                       _("no operator named: every change is recorded under a person's name; give "
                         "--operator \"Họ và tên\" or set [station] operator in sohoa.ini"));
    return sh_check_operator_name(actor->operator_name, err);
}

char *sh_audit_canonical(const sh_audit_entry *e)
{
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    sh_json_int(j, e->id);
    sh_json_string(j, e->time);
    sh_json_string(j, e->station ? e->station : "");
    sh_json_string(j, e->operator_name ? e->operator_name : "");
    sh_json_string(j, e->action ? e->action : "");
    sh_json_string(j, e->subject ? e->subject : "");
    sh_json_string(j, e->details ? e->details : "");
    sh_json_end_array(j);
    const char *text = sh_json_finish(j, NULL);
    char *copy = text ? g_strdup(text) : NULL;
    sh_json_free(j);
    return copy; /* NULL when a field is not valid UTF-8: such an entry cannot verify */
}

void sh_audit_compute_hash(const sh_audit_entry *e, char hash[SH_SHA256_HEX_LEN + 1])
{
    char *canonical = sh_audit_canonical(e);
    if (!canonical) {
        memset(hash, 'x', SH_SHA256_HEX_LEN); /* matches no stored hash */
        hash[SH_SHA256_HEX_LEN] = '\0';
        return;
    }
    GString *input = g_string_new(e->prev_hash);
    g_string_append(input, canonical);
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(input->str, input->len, digest);
    sh_hex(digest, sizeof digest, hash);
    g_string_free(input, TRUE);
    g_free(canonical);
}

static bool valid_action(const char *a)
{
    if (!a || !*a || strlen(a) > 64)
        return false;
    for (const char *p = a; *p; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '.' && *p != '_')
            return false;
    return true;
}

sh_status sh_audit_append(sh_ledger *l, const sh_actor *actor, const char *action,
                          const char *subject, const char *details, int64_t *out_id, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(l);
    if (sqlite3_get_autocommit(db))
        return sh_fail(err, SH_INTERNAL, "audit entry %s outside a transaction", action);
    sh_status st = sh_actor_check(actor, err);
    if (st != SH_OK)
        return st;
    if (!valid_action(action))
        return sh_fail(err, SH_INTERNAL, "audit action \"%s\" is not a dotted lower-case name",
                       action ? action : "");
    if (!details)
        details = "{}";
    if (!sh_json_valid(details, strlen(details)))
        return sh_fail(err, SH_INTERNAL, "audit details for %s are not JSON", action);
    if (subject && !sh_utf8_valid(subject, strlen(subject)))
        return sh_fail(err, SH_USAGE, _("--subject: the text is not valid UTF-8"));

    sh_audit_entry e = {0};
    g_strlcpy(e.prev_hash, GENESIS_HASH, sizeof e.prev_hash);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", -1, &q,
                           NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("read the audit head"));
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        e.id = sqlite3_column_int64(q, 0);
        const unsigned char *h = sqlite3_column_text(q, 1);
        g_strlcpy(e.prev_hash, h ? (const char *)h : "", sizeof e.prev_hash);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sh_ledger_fail(l, err, N_("read the audit head"));
    e.id++;
    sh_utc_now(e.time);
    e.station = (char *)actor->station;
    e.operator_name = (char *)actor->operator_name;
    e.action = (char *)action;
    e.subject = (char *)(subject ? subject : "");
    e.details = (char *)details;
    sh_audit_compute_hash(&e, e.hash);

    if (sqlite3_prepare_v2(db,
                           "INSERT INTO audit (id, time, station, operator, action, subject, "
                           "details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("append to the audit chain"));
    sqlite3_bind_int64(q, 1, e.id);
    sqlite3_bind_text(q, 2, e.time, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, e.station, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, e.operator_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, e.action, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, e.subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, e.details, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, e.prev_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 9, e.hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return sh_ledger_fail(l, err, N_("append to the audit chain"));
    if (out_id)
        *out_id = e.id;
    return SH_OK;
}

sh_status sh_audit_record(sh_ledger *l, const sh_actor *actor, const char *action,
                          const char *subject, const char *details, int64_t *out_id, sh_error *err)
{
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    st = sh_audit_append(l, actor, action, subject, details, out_id, err);
    if (st != SH_OK) {
        sh_ledger_rollback(l);
        return st;
    }
    return sh_ledger_commit(l, err);
}

static char *column_dup(sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    return g_strdup(t ? (const char *)t : "");
}

/* Columns: id, time, station, operator, action, subject, details, prev_hash, hash. */
static void read_entry(sqlite3_stmt *q, sh_audit_entry *e)
{
    sh_audit_entry_clear(e);
    e->id = sqlite3_column_int64(q, 0);
    const unsigned char *t = sqlite3_column_text(q, 1);
    g_strlcpy(e->time, t ? (const char *)t : "", sizeof e->time);
    e->station = column_dup(q, 2);
    e->operator_name = column_dup(q, 3);
    e->action = column_dup(q, 4);
    e->subject = column_dup(q, 5);
    e->details = column_dup(q, 6);
    t = sqlite3_column_text(q, 7);
    g_strlcpy(e->prev_hash, t ? (const char *)t : "", sizeof e->prev_hash);
    t = sqlite3_column_text(q, 8);
    g_strlcpy(e->hash, t ? (const char *)t : "", sizeof e->hash);
}

#define ENTRY_COLUMNS "id, time, station, operator, action, subject, details, prev_hash, hash"

static void set_bad(sh_audit_verdict *v, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_bad(sh_audit_verdict *v, int64_t id, const char *fmt, ...)
{
    v->intact = false;
    v->first_bad_id = id;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof v->reason, fmt, ap);
    va_end(ap);
}

/* Entries first..next-1 are gone: name the first one, and where the chain picks up again. */
static void report_gap(sh_audit_verdict *v, int64_t first, int64_t next)
{
    long long a = first, b = next - 1, n = next;
    if (first == 1 && a == b)
        set_bad(v, first, _("entry 1 is missing (deleted): the chain starts at entry %lld"), n);
    else if (first == 1)
        set_bad(v, first,
                _("entries 1 to %lld are missing (deleted): the chain starts at entry %lld"), b, n);
    else if (a == b)
        set_bad(v, first, _("entry %lld is missing (deleted): entry %lld follows entry %lld"), a, n,
                a - 1);
    else
        set_bad(v, first,
                _("entries %lld to %lld are missing (deleted): entry %lld follows entry %lld"), a,
                b, n, a - 1);
}

bool sh_audit_anchor_parse(const char *text, sh_audit_anchor *anchor)
{
    char *end;
    long long id = g_ascii_strtoll(text, &end, 10);
    if (end == text || id < 1 || *end != ':' || strlen(end + 1) != SH_SHA256_HEX_LEN)
        return false;
    for (const char *h = end + 1; *h; h++)
        if (!g_ascii_isxdigit(*h))
            return false;
    anchor->id = id;
    g_strlcpy(anchor->hash, end + 1, sizeof anchor->hash);
    for (char *h = anchor->hash; *h; h++)
        *h = g_ascii_tolower(*h);
    return true;
}

sh_status sh_audit_verify(sh_ledger *l, const sh_audit_anchor *anchor, sh_audit_verdict *v,
                          sh_error *err)
{
    memset(v, 0, sizeof *v);
    v->intact = true;
    g_strlcpy(v->head_hash, GENESIS_HASH, sizeof v->head_hash);
    sqlite3 *db = sh_ledger_db(l);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT " ENTRY_COLUMNS " FROM audit ORDER BY id", -1, &q, NULL) !=
        SQLITE_OK)
        return sh_ledger_fail(l, err, N_("read the audit chain"));
    sh_audit_entry e = {0};
    int64_t expected_id = 1;
    char expected_prev[SH_SHA256_HEX_LEN + 1];
    g_strlcpy(expected_prev, GENESIS_HASH, sizeof expected_prev);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        read_entry(q, &e);
        v->entries++;
        if (v->intact) {
            char computed[SH_SHA256_HEX_LEN + 1];
            sh_audit_compute_hash(&e, computed);
            if (e.id > expected_id)
                report_gap(v, expected_id, e.id);
            else if (e.id < expected_id)
                set_bad(v, e.id, _("entry %lld is out of order"), (long long)e.id);
            else if (strcmp(e.prev_hash, expected_prev) != 0)
                set_bad(v, e.id,
                        _("entry %lld does not follow from entry %lld: one of them was replaced "
                          "or moved"),
                        (long long)e.id, (long long)e.id - 1);
            else if (strcmp(computed, e.hash) != 0)
                set_bad(v, e.id,
                        _("entry %lld was altered after it was written: its contents no longer "
                          "match its hash"),
                        (long long)e.id);
            else if (anchor && e.id == anchor->id && strcmp(e.hash, anchor->hash) != 0)
                set_bad(v, e.id,
                        _("entry %lld is not the one written down earlier (its hash differs): "
                          "the chain was rewritten from there on"),
                        (long long)e.id);
        }
        expected_id = e.id + 1;
        g_strlcpy(expected_prev, e.hash, sizeof expected_prev);
        v->head_id = e.id;
        g_strlcpy(v->head_hash, e.hash, sizeof v->head_hash);
    }
    sqlite3_finalize(q);
    sh_audit_entry_clear(&e);
    if (rc != SQLITE_DONE)
        return sh_ledger_fail(l, err, N_("read the audit chain"));
    if (v->intact && anchor && anchor->id > v->head_id)
        set_bad(v, v->head_id + 1,
                _("entries from %lld on are gone: the chain was cut back to entry %lld, but entry "
                  "%lld was written down earlier"),
                (long long)v->head_id + 1, (long long)v->head_id, (long long)anchor->id);
    return SH_OK;
}

sh_status sh_audit_each(sh_ledger *l, const sh_audit_filter *filter, sh_audit_visit_fn fn,
                        void *ctx, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(l);
    sqlite3_stmt *q = NULL;
    /* Stored times end in Z; a filter's optional Z is dropped so that prefixes compare right. */
    char since[32] = "";
    if (filter && filter->since) {
        g_strlcpy(since, filter->since, sizeof since);
        size_t n = strlen(since);
        if (n && since[n - 1] == 'Z')
            since[n - 1] = '\0';
    }
    const char *action = filter && filter->action ? filter->action : "";
    if (sqlite3_prepare_v2(db,
                           "SELECT " ENTRY_COLUMNS " FROM audit"
                           " WHERE time >= ?1 AND (?2 = '' OR action = ?2"
                           "   OR substr(action, 1, length(?2) + 1) = ?2 || '.')"
                           " ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("read the audit chain"));
    sqlite3_bind_text(q, 1, since, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, action, -1, SQLITE_STATIC);
    sh_audit_entry e = {0};
    sh_status st = SH_OK;
    int rc;
    while (st == SH_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        read_entry(q, &e);
        st = fn(&e, ctx, err);
    }
    sqlite3_finalize(q);
    sh_audit_entry_clear(&e);
    if (st == SH_OK && rc != SQLITE_DONE)
        return sh_ledger_fail(l, err, N_("read the audit chain"));
    return st;
}

void sh_audit_entry_json(sh_json *j, const sh_audit_entry *e)
{
    sh_json_begin_object(j);
    sh_json_kv_int(j, "id", e->id);
    sh_json_kv_str(j, "time", e->time);
    sh_json_kv_str(j, "station", e->station);
    sh_json_kv_str(j, "operator", e->operator_name);
    sh_json_kv_str(j, "action", e->action);
    sh_json_kv_str(j, "subject", e->subject);
    sh_json_kv_str(j, "details", e->details);
    sh_json_kv_str(j, "prev_hash", e->prev_hash);
    sh_json_kv_str(j, "hash", e->hash);
    sh_json_end_object(j);
}
