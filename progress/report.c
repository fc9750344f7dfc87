/* The counts (issue 17, docs/progress.md "What is counted"): the stage each dossier has reached,
 * per organisation with roll-ups, read in one read transaction, and the read recorded in the
 * audit chain (reads of personal data are logged, QĐ-HT Đ16.6) without a name in it. */
#include <glib.h>
#include <string.h>

#include "report_impl.h"

static const char *const STAGE_KEYS[PG_N_STAGES] = {
    "inventoried", "paper_received", "scanned",  "checked",        "signed",
    "packed",      "delivered",      "accepted", "paper_returned",
};

static const char *const STAGE_LABELS[PG_N_STAGES] = {
    N_("inventoried"), N_("paper received"), N_("scanned"),  N_("checked"),        N_("signed"),
    N_("packed"),      N_("delivered"),      N_("accepted"), N_("paper returned"),
};

const char *pg_stage_key(pg_stage s) { return (unsigned)s < PG_N_STAGES ? STAGE_KEYS[s] : ""; }

const char *pg_stage_label(pg_stage s)
{
    return (unsigned)s < PG_N_STAGES ? _(STAGE_LABELS[s]) : "";
}

const char *pg_timeliness_key(pg_timeliness t)
{
    switch (t) {
    case PG_ON_TIME:
        return "on_time";
    case PG_DUE_SOON:
        return "due_soon";
    case PG_OVERDUE:
        return "overdue";
    default:
        return NULL;
    }
}

const char *pg_timeliness_label(pg_timeliness t)
{
    switch (t) {
    case PG_ON_TIME:
        return _("on time");
    case PG_DUE_SOON:
        return _("due soon");
    case PG_OVERDUE:
        return _("overdue");
    default:
        return _("no plan");
    }
}

/* Every part of a report is g_malloc'd: rows, weeks, stations and the report itself (merge and
 * snapshots build theirs the same way). */
void pg_report_free(pg_report *r)
{
    if (!r)
        return;
    g_free(r->rows);
    g_free(r->weeks);
    g_free(r->stations);
    g_free(r);
}

static sh_status check_prefix(const char *prefix, sh_error *err)
{
    if (!prefix || !*prefix)
        return SH_OK;
    size_t n = strlen(prefix);
    bool ok = n < 32 && prefix[0] != '.' && prefix[n - 1] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = g_ascii_isalnum(prefix[i]) || prefix[i] == '.';
    return ok ? SH_OK
              : sh_fail(err, SH_USAGE,
                        _("\"%s\" is not an organisation code or prefix: write it as M1.M2.M3 "
                          "(93, 93.000, ...)"),
                        prefix);
}

static int prefix_level(const char *prefix)
{
    int n = prefix && *prefix ? 1 : 0;
    for (const char *p = prefix; n && *p; p++)
        n += *p == '.';
    return n;
}

/* Everything read in one snapshot of the ledger. */
static sh_status read_counts(sh_ledger *l, const pg_count_query *q, pg_tally *t, pg_report *r,
                             sh_error *err)
{
    sh_status st = sh_ledger_begin_read(l, err);
    if (st != SH_OK)
        return st;
    st = pg_count_import_version(l, "inventory", r->inventory_version, err);
    if (st == SH_OK)
        st = pg_count_import_version(l, "plan", r->plan_version, err);
    if (st == SH_OK)
        st = pg_count_plan(l, pg_tally_plan, t, err);
    if (st == SH_OK)
        st = pg_count_dossiers(l, q, pg_tally_dossier, t, err);
    if (st == SH_OK)
        st = pg_count_rejected_packages(l, q, pg_tally_rejected_packages, t, err);
    sh_ledger_rollback(l);
    return st;
}

/* "report.read": who looked at which organisations, as of when: never a name. */
static sh_status record_read(sh_ledger *l, const sh_actor *actor, const pg_report_options *o,
                             const pg_report *r, sh_error *err)
{
    if (!actor || sh_ledger_is_readonly(l))
        return SH_OK;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "prefix", o->prefix && *o->prefix ? o->prefix : NULL);
    sh_json_kv_str(j, "as_of", r->as_of);
    sh_json_kv_str(j, "period", r->period);
    sh_json_kv_int(j, "min_cell", r->min_cell);
    sh_json_kv_int(j, "rows", (int64_t)r->n_rows);
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, err);
    sh_status st = details ? sh_audit_record(l, actor, "report.read", o->prefix ? o->prefix : "",
                                             details, NULL, err)
                           : SH_INTERNAL;
    sh_json_free(j);
    return st;
}

static sh_status prepare(const pg_report_options *o, pg_when *w, pg_period *p, sh_error *err)
{
    sh_status st = check_prefix(o->prefix, err);
    if (st == SH_OK)
        st = pg_when_parse(o->as_of, w, err);
    if (st == SH_OK)
        st = pg_period_parse(o->period, w, p, err);
    if (st == SH_OK && o->min_cell < 0)
        st = sh_fail(err, SH_USAGE, _("--min-cell must be 0 or more"));
    return st;
}

sh_status pg_report_compute(sh_ledger *l, const sh_actor *actor, const pg_report_options *o,
                            pg_report **out, sh_error *err)
{
    *out = NULL;
    pg_when w;
    pg_period p;
    sh_status st = prepare(o, &w, &p, err);
    if (st != SH_OK)
        return st;
    pg_report *r = g_new0(pg_report, 1);
    g_strlcpy(r->as_of, w.as_of, sizeof r->as_of);
    g_strlcpy(r->period, p.name, sizeof r->period);
    g_strlcpy(r->period_start, p.start, sizeof r->period_start);
    pg_tally_context c = {.when = &w,
                          .period = &p,
                          .config = o->config,
                          .min_cell = o->min_cell,
                          .prefix_level = prefix_level(o->prefix)};
    pg_tally *t = pg_tally_new(&c);
    pg_count_query q = {.until = w.until,
                        .prefix = o->prefix,
                        .required_types = o->required_types,
                        .n_required_types = o->n_required_types};
    st = read_counts(l, &q, t, r, err);
    if (st == SH_OK)
        st = pg_tally_finish(t, r, err);
    pg_tally_free(t);
    if (st == SH_OK)
        st = record_read(l, actor, o, r, err);
    if (st != SH_OK) {
        pg_report_free(r);
        return st;
    }
    *out = r;
    return SH_OK;
}

/* ---- one dossier ---- */

typedef struct {
    bool found;
    pg_stage reached;
} stage_probe;

static void probe_dossier(const pg_dossier_facts *f, void *ctx)
{
    stage_probe *p = ctx;
    pg_stage s = PG_ACCEPTED;
    while (s > PG_PAPER_RECEIVED && !*f->at[s])
        s--;
    if (s == PG_PAPER_RECEIVED && !*f->at[s])
        s = PG_INVENTORIED;
    if (!p->found || s > p->reached)
        p->reached = s;
    p->found = true;
}

sh_status pg_dossier_stage(sh_ledger *l, const pg_report_options *o, const char *org_code,
                           const char *member_key, pg_stage *reached, sh_error *err)
{
    pg_when w;
    sh_status st = pg_when_parse(o ? o->as_of : NULL, &w, err);
    if (st != SH_OK)
        return st;
    pg_count_query q = {.until = w.until,
                        .org = org_code,
                        .member = member_key,
                        .required_types = o ? o->required_types : NULL,
                        .n_required_types = o ? o->n_required_types : 0};
    stage_probe probe = {false, PG_INVENTORIED};
    st = sh_ledger_begin_read(l, err);
    if (st != SH_OK)
        return st;
    st = pg_count_dossiers(l, &q, probe_dossier, &probe, err);
    sh_ledger_rollback(l);
    if (st == SH_OK && !probe.found)
        return sh_fail(err, SH_INPUT,
                       _("No dossier of organisation %s for this member is in the ledger or the "
                         "inventory: check the organisation code and the CCCD"),
                       org_code);
    *reached = probe.reached;
    return st;
}
