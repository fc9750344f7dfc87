/* A snapshot's JSON read back (snapshot_impl.h) through core's bounded, schema-directed reader:
 * the file comes from another station, so everything is checked before a count is summed.
 * Unknown keys are refused (a newer format is a new "format" value, never extra keys quietly
 * dropped from a sum). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "snapshot_impl.h"

#define C(type, key, member) SH_JR_FI(type, key, SH_JR_INT, member, 0, PG_COUNT_MAX)

/* The nine stages (cumulative) and the dossiers rejected or not on the inventory. */
static bool read_dossiers(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        C(pg_org_row, "inventoried", stage[PG_INVENTORIED]),
        C(pg_org_row, "paper_received", stage[PG_PAPER_RECEIVED]),
        C(pg_org_row, "scanned", stage[PG_SCANNED]),
        C(pg_org_row, "checked", stage[PG_CHECKED]),
        C(pg_org_row, "signed", stage[PG_SIGNED]),
        C(pg_org_row, "packed", stage[PG_PACKED]),
        C(pg_org_row, "delivered", stage[PG_DELIVERED]),
        C(pg_org_row, "accepted", stage[PG_ACCEPTED]),
        C(pg_org_row, "paper_returned", stage[PG_PAPER_RETURNED]),
        C(pg_org_row, "rejected", rejected_dossiers),
        C(pg_org_row, "unlisted", unlisted),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

/* The dossiers that reached each stage in the period. */
static bool read_in_period(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        C(pg_org_row, "inventoried", in_period[PG_INVENTORIED]),
        C(pg_org_row, "paper_received", in_period[PG_PAPER_RECEIVED]),
        C(pg_org_row, "scanned", in_period[PG_SCANNED]),
        C(pg_org_row, "checked", in_period[PG_CHECKED]),
        C(pg_org_row, "signed", in_period[PG_SIGNED]),
        C(pg_org_row, "packed", in_period[PG_PACKED]),
        C(pg_org_row, "delivered", in_period[PG_DELIVERED]),
        C(pg_org_row, "accepted", in_period[PG_ACCEPTED]),
        C(pg_org_row, "paper_returned", in_period[PG_PAPER_RETURNED]),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

static bool read_result(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        C(pg_org_row, "done", done),
        C(pg_org_row, "in_progress", in_progress),
        C(pg_org_row, "not_started", not_started),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

static bool read_rejections(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        C(pg_org_row, "validation", rejected.validation),
        C(pg_org_row, "receipts", rejected.receipts),
        C(pg_org_row, "rescans", rejected.rescans),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

/* s[0..n), when it is DDD or DDD.DDD with at most 15 digits, exactly as strtod reads it: both
 * the digits as a whole number and the power of ten are exact doubles, so one division rounds
 * once, correctly (Clinger's fast path). */
static bool plain_rate(const char *s, size_t n, double *v)
{
    uint64_t whole = 0;
    int digits = 0, decimals = -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' && decimals < 0 && i > 0 && i + 1 < n) {
            decimals = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || ++digits > 15)
            return false;
        whole = whole * 10 + (uint64_t)(s[i] - '0');
        decimals += decimals >= 0;
    }
    static const double TEN[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (digits == 0 || (n > 1 && s[0] == '0' && s[1] != '.'))
        return false; /* JSON has no leading zeros: the slow path refuses or reads them */
    *v = (double)whole / TEN[decimals > 0 ? decimals : 0];
    return true;
}

/* A rate: a JSON number from 0 to 2^53 (null, written for a hidden rate, reads as 0). */
static bool read_rate(sh_jr *r, double *v)
{
    *v = 0;
    if (sh_jr_peek(r, 'n'))
        return sh_jr_literal(r, "null");
    const char *q = r->p;
    while (
        q < r->end && q - r->p < 40 &&
        ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-'))
        q++;
    size_t n = (size_t)(q - r->p);
    if (plain_rate(r->p, n, v)) {
        r->p = q;
        return true;
    }
    char num[48];
    memcpy(num, r->p, n);
    num[n] = '\0';
    char *stop = NULL;
    *v = g_ascii_strtod(num, &stop);
    if (n == 0 || n >= 40 || *stop || !isfinite(*v) || *v < 0 || *v > 9007199254740992.0)
        return sh_jr_fail(r, _("a rate that is not a number from 0 to 2^53"));
    r->p = q;
    return true;
}

static bool read_per_day(sh_jr *r, void *obj)
{
    return read_rate(r, &((pg_org_row *)obj)->per_day);
}

static bool read_per_week(sh_jr *r, void *obj)
{
    return read_rate(r, &((pg_org_row *)obj)->per_week);
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* YYYY-MM-DD, a real day. */
static bool date_valid(const char *s)
{
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    return s[10] == '\0' && y > 0 && g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

static bool read_deadline(sh_jr *r, void *obj)
{
    pg_org_row *row = obj;
    row->deadline[0] = '\0';
    if (sh_jr_peek(r, 'n'))
        return sh_jr_literal(r, "null");
    return sh_jr_text(r, row->deadline, sizeof row->deadline) &&
           (date_valid(row->deadline) || sh_jr_fail(r, _("\"deadline\" is not a date")));
}

static bool read_timeliness(sh_jr *r, void *obj)
{
    pg_org_row *row = obj;
    row->timeliness = PG_NO_PLAN;
    if (sh_jr_peek(r, 'n'))
        return sh_jr_literal(r, "null");
    static const char *const KEYS[] = {"on_time", "due_soon", "overdue"};
    static const pg_timeliness VALUES[] = {PG_ON_TIME, PG_DUE_SOON, PG_OVERDUE};
    char s[16];
    if (!sh_jr_text(r, s, sizeof s))
        return false;
    for (size_t i = 0; i < 3; i++)
        if (strcmp(s, KEYS[i]) == 0) {
            row->timeliness = VALUES[i];
            return true;
        }
    return sh_jr_fail(r, _("\"timeliness\" is none of on_time, due_soon, overdue"));
}

typedef struct {
    int64_t group, inventoried, accepted;
} group_counts;

static bool read_groups(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_FI(group_counts, "group", SH_JR_INT, group, 1, 4),
        C(group_counts, "inventoried", inventoried),
        C(group_counts, "accepted", accepted),
    };
    pg_org_row *row = obj;
    unsigned seen = 0;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        group_counts g = {0};
        if (!sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), &g))
            return false;
        if (seen & (1u << g.group))
            return sh_jr_fail(r, _("group %d is given twice"), (int)g.group);
        seen |= 1u << g.group;
        row->by_group[g.group - 1][0] = (uint64_t)g.inventoried;
        row->by_group[g.group - 1][1] = (uint64_t)g.accepted;
    }
    return !r->failed && (seen == 0x1e || sh_jr_fail(r, _("\"groups\" lacks one of groups 1-4")));
}

/* "93", "93.000", …: `level` dot-separated groups of 2, 3, 3, 3, 3 digits; "" at level 0. */
static bool org_valid(const char *org, int level)
{
    static const size_t WIDTH[] = {2, 3, 3, 3, 3};
    const char *p = org;
    for (int i = 0; i < level; i++) {
        if (i > 0 && *p++ != '.')
            return false;
        for (size_t k = 0; k < WIDTH[i]; k++, p++)
            if (*p < '0' || *p > '9')
                return false;
    }
    return *p == '\0';
}

static const sh_jr_field ROW_FIELDS[] = {
    SH_JR_FT(pg_org_row, "org", org),
    SH_JR_FI(pg_org_row, "level", SH_JR_INT, level, 0, 5),
    SH_JR_FN("dossiers", read_dossiers),
    SH_JR_FN("result", read_result),
    C(pg_org_row, "priority1_complete", priority1_complete),
    C(pg_org_row, "complete", complete),
    C(pg_org_row, "documents", documents),
    C(pg_org_row, "pages", pages),
    SH_JR_FN("rejections", read_rejections),
    SH_JR_FN("in_period", read_in_period),
    SH_JR_FN("per_day", read_per_day),
    SH_JR_FN("per_week", read_per_week),
    SH_JR_FN("deadline", read_deadline),
    SH_JR_FI(pg_org_row, "target", SH_JR_INT_OR_NULL, target, 0, PG_COUNT_MAX),
    SH_JR_FN("timeliness", read_timeliness),
    SH_JR_FN("groups", read_groups),
};

/* One row; `total` says whether it must be the whole (level 0) or an organisation. */
static bool read_row(sh_jr *r, pg_org_row *row, bool total)
{
    if (!sh_jr_object(r, ROW_FIELDS, SH_JR_COUNT(ROW_FIELDS), row))
        return false;
    if ((row->level == 0) != total || !org_valid(row->org, row->level))
        return sh_jr_fail(r, _("\"org\" and \"level\" are not an organisation code and its level"));
    return true;
}

/* The report being read, and the room its rows array has. obj of REPORT_FIELDS' functions. */
typedef struct {
    pg_report rep; /* first: the fields' offsets are the report's */
    size_t rows_cap;
} parsing;

/* One more row, zeroed; NULL (the failure recorded) past the list bound. */
static pg_org_row *row_room(sh_jr *r, parsing *p)
{
    pg_report *rep = &p->rep;
    if (rep->n_rows >= r->list_max) {
        sh_jr_fail(r, _("a list longer than %zu items"), r->list_max);
        return NULL;
    }
    if (rep->n_rows == p->rows_cap) {
        p->rows_cap = p->rows_cap ? 2 * p->rows_cap : 16;
        rep->rows = g_renew(pg_org_row, rep->rows, p->rows_cap);
    }
    pg_org_row *row = &rep->rows[rep->n_rows++];
    memset(row, 0, sizeof *row);
    return row;
}

/* rows[0] is the total, whichever of "total" and "organisations" comes first. */
static bool total_room(sh_jr *r, parsing *p) { return p->rep.n_rows > 0 || row_room(r, p); }

static bool read_total(sh_jr *r, void *obj)
{
    parsing *p = obj;
    if (!total_room(r, p))
        return false;
    if (sh_jr_peek(r, 'n'))
        return sh_jr_literal(r, "null");
    return read_row(r, &p->rep.rows[0], true);
}

static bool read_organisations(sh_jr *r, void *obj)
{
    parsing *p = obj;
    if (!total_room(r, p))
        return false;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        pg_org_row *row = row_room(r, p);
        if (!row || !read_row(r, row, false))
            return false;
    }
    return !r->failed;
}

static bool read_weeks(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_FT(pg_week, "week", week), C(pg_week, "scanned", scanned),
        C(pg_week, "signed", signed_),   C(pg_week, "accepted", accepted),
        C(pg_week, "planned", planned),
    };
    pg_report *rep = obj;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        pg_week *w = sh_jr_grow(r, (void **)&rep->weeks, &rep->n_weeks, sizeof *w);
        if (!w || !sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), w))
            return false;
        if (!date_valid(w->week))
            return sh_jr_fail(r, _("\"week\" is not a date"));
    }
    return !r->failed;
}

/* A snapshot is one station's: its "stations" list (a merge's) is empty. */
static bool read_stations(sh_jr *r, void *obj)
{
    (void)obj;
    bool first = true;
    if (sh_jr_next_item(r, &first))
        return sh_jr_fail(r, _("\"stations\" is not empty: this is a merge, not a snapshot"));
    return !r->failed;
}

static bool read_format(sh_jr *r, void *obj)
{
    (void)obj;
    char format[32];
    return sh_jr_text(r, format, sizeof format) &&
           (strcmp(format, PG_SNAPSHOT_FORMAT) == 0 ||
            sh_jr_fail(r, _("the format is not %s"), PG_SNAPSHOT_FORMAT));
}

#define R(key, member) SH_JR_FT(pg_report, key, member)
#define H(key, member) SH_JR_F(pg_report, key, SH_JR_HEX_OR_NULL, member)

static const sh_jr_field REPORT_FIELDS[] = {
    SH_JR_FN("format", read_format),
    R("as_of", as_of),
    R("period", period),
    R("period_start", period_start),
    SH_JR_FI(pg_report, "min_cell", SH_JR_INT, min_cell, 0, 0),
    R("station", station),
    SH_JR_FI(pg_report, "seq", SH_JR_INT, seq, 1, PG_COUNT_MAX),
    H("audit_head", audit_head),
    H("inventory_version", inventory_version),
    H("plan_version", plan_version),
    SH_JR_FN("total", read_total),
    SH_JR_FN("organisations", read_organisations),
    SH_JR_FN("weeks", read_weeks),
    SH_JR_FN("stations", read_stations),
};

static int by_org(const void *a, const void *b)
{
    return strcmp(((const pg_org_row *)a)->org, ((const pg_org_row *)b)->org);
}

static bool time_valid(const char *s)
{
    GTimeZone *utc = g_time_zone_new_utc();
    GDateTime *t = g_date_time_new_from_iso8601(s, utc);
    g_time_zone_unref(utc);
    if (t)
        g_date_time_unref(t);
    return t != NULL;
}

/* The rows by code, each once; the values that the shape alone does not check. */
static void check_values(sh_jr *r, pg_report *rep)
{
    bool sorted = true; /* as the writer puts them: no sort needed */
    for (size_t i = 2; i < rep->n_rows && sorted; i++)
        sorted = strcmp(rep->rows[i - 1].org, rep->rows[i].org) < 0;
    if (!sorted)
        qsort(rep->rows + 1, rep->n_rows - 1, sizeof *rep->rows, by_org);
    for (size_t i = 2; i < rep->n_rows && !r->failed; i++)
        if (strcmp(rep->rows[i - 1].org, rep->rows[i].org) == 0)
            sh_jr_fail(r, _("the organisation %s is given twice"), rep->rows[i].org);
    if (!r->failed && !rep->station[0])
        sh_jr_fail(r, _("\"station\" is empty"));
    if (!r->failed && !time_valid(rep->as_of))
        sh_jr_fail(r, _("\"as_of\" is not a time"));
}

sh_status pg_snapshot_parse_into(const char *text, size_t len, const char *what, pg_org_row *rows,
                                 size_t rows_cap, pg_report **out, size_t *out_rows_cap,
                                 sh_error *err)
{
    parsing p = {.rep = {.rows = rows}, .rows_cap = rows ? rows_cap : 0};
    pg_report *rep = &p.rep;
    sh_jr r;
    sh_jr_init(&r, text, len, what, PG_SNAPSHOT_FORMAT, PG_SNAPSHOT_STRING_MAX,
               PG_SNAPSHOT_ROWS_MAX, err);
    if (len > PG_SNAPSHOT_MAX)
        sh_jr_fail(&r, _("the file is larger than %zu MiB"), PG_SNAPSHOT_MAX >> 20);
    else if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        sh_jr_fail(&r, _("a byte-order mark"));
    if (sh_jr_object(&r, REPORT_FIELDS, SH_JR_COUNT(REPORT_FIELDS), rep) && sh_jr_end(&r))
        check_values(&r, rep);
    *out = NULL;
    if (out_rows_cap)
        *out_rows_cap = 0;
    if (r.failed) {
        pg_report_free(g_memdup2(rep, sizeof *rep));
        return SH_FINDINGS;
    }
    *out = g_memdup2(rep, sizeof *rep);
    if (out_rows_cap)
        *out_rows_cap = p.rows_cap;
    return SH_OK;
}

sh_status pg_snapshot_parse(const char *text, size_t len, const char *what, pg_report **out,
                            sh_error *err)
{
    return pg_snapshot_parse_into(text, len, what, NULL, 0, out, NULL, err);
}

/* ---- the station and sequence number at the start */

static bool skip_value(sh_jr *r)
{
    if (sh_jr_peek(r, '"')) {
        g_free(sh_jr_string(r));
        return !r->failed;
    }
    if (sh_jr_peek(r, 'n'))
        return sh_jr_literal(r, "null");
    int64_t v = 0;
    return sh_jr_int(r, 0, PG_COUNT_MAX, &v);
}

bool pg_snapshot_peek(const char *text, size_t len, char station[64], int64_t *seq)
{
    sh_error err;
    sh_jr r;
    sh_jr_init(&r, text, len, "", "", PG_SNAPSHOT_STRING_MAX, 1, &err);
    bool first = true, has_station = false, has_seq = false;
    char *key = NULL;
    while (!(has_station && has_seq) && sh_jr_next_key(&r, &first, &key)) {
        if (strcmp(key, "station") == 0)
            has_station = sh_jr_text(&r, station, 64);
        else if (strcmp(key, "seq") == 0)
            has_seq = sh_jr_int(&r, 1, PG_COUNT_MAX, seq);
        else if (!skip_value(&r))
            has_station = has_seq = false;
        g_free(key);
        if (r.failed)
            return false;
    }
    return has_station && has_seq;
}
