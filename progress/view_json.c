/* The report as JSON (`report --json`, snapshot files, `report merge --json`): keys always in
 * English and in a fixed order, so that snapshots compare and merge field by field. A count
 * suppressed by min_cell is null, never a number that could be mistaken for a real one. */
#include <glib.h>
#include <math.h>

#include "progress/progress.h"

/* The nine stage keys of "dossiers" and "in_period" (paper_returned included). */
static void stage_counts(sh_json *j, const uint64_t *stage)
{
    for (int s = 0; s < PG_N_STAGES; s++)
        sh_json_kv_int_or_null(j, pg_stage_key((pg_stage)s), (int64_t)stage[s],
                               stage[s] != PG_SUPPRESSED);
}

static void count(sh_json *j, const char *key, uint64_t v)
{
    sh_json_kv_int_or_null(j, key, (int64_t)v, v != PG_SUPPRESSED);
}

/* Non-finite rates (hidden with a suppressed count) are null. */
static void rate(sh_json *j, const char *key, double v)
{
    if (isfinite(v))
        sh_json_kv_double(j, key, v);
    else
        sh_json_kv_null(j, key);
}

static void dossiers(sh_json *j, const pg_org_row *r)
{
    sh_json_kv_object(j, "dossiers");
    stage_counts(j, r->stage);
    count(j, "rejected", r->rejected_dossiers);
    count(j, "unlisted", r->unlisted);
    sh_json_end_object(j);
    sh_json_kv_object(j, "result");
    count(j, "done", r->done);
    count(j, "in_progress", r->in_progress);
    count(j, "not_started", r->not_started);
    sh_json_end_object(j);
}

static void plan(sh_json *j, const char *prefix, const char *deadline, uint64_t target,
                 pg_timeliness t)
{
    char key[32];
    g_snprintf(key, sizeof key, "%sdeadline", prefix);
    sh_json_kv_str(j, key, deadline[0] ? deadline : NULL);
    g_snprintf(key, sizeof key, "%starget", prefix);
    if (deadline[0])
        count(j, key, target);
    else
        sh_json_kv_null(j, key);
    g_snprintf(key, sizeof key, "%stimeliness", prefix);
    sh_json_kv_str(j, key, pg_timeliness_key(t));
}

/* priority1: the priority-1 plan's keys too. A snapshot (format sohoa-progress/1, whose reader
 * refuses unknown keys) has none. */
static void plan_and_groups(sh_json *j, const pg_org_row *r, bool priority1)
{
    plan(j, "", r->deadline, r->target, r->timeliness);
    if (priority1)
        plan(j, "priority1_", r->priority1_deadline, r->priority1_target, r->priority1_timeliness);
    sh_json_kv_array(j, "groups");
    for (int g = 0; g < 4; g++) {
        sh_json_begin_object(j);
        sh_json_kv_int(j, "group", g + 1);
        count(j, "inventoried", r->by_group[g][0]);
        count(j, "accepted", r->by_group[g][1]);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
}

static void row(sh_json *j, const pg_org_row *r, bool priority1)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "org", r->org);
    sh_json_kv_int(j, "level", r->level);
    dossiers(j, r);
    count(j, "priority1_complete", r->priority1_complete);
    count(j, "complete", r->complete);
    count(j, "documents", r->documents);
    count(j, "pages", r->pages);
    sh_json_kv_object(j, "rejections");
    count(j, "validation", r->rejected.validation);
    count(j, "receipts", r->rejected.receipts);
    count(j, "rescans", r->rejected.rescans);
    sh_json_end_object(j);
    sh_json_kv_object(j, "in_period");
    stage_counts(j, r->in_period);
    sh_json_end_object(j);
    rate(j, "per_day", r->per_day);
    rate(j, "per_week", r->per_week);
    plan_and_groups(j, r, priority1);
    sh_json_end_object(j);
}

static void weeks(sh_json *j, const pg_report *r)
{
    sh_json_kv_array(j, "weeks");
    for (size_t i = 0; i < r->n_weeks; i++) {
        const pg_week *w = &r->weeks[i];
        sh_json_begin_object(j);
        sh_json_kv_str(j, "week", w->week);
        count(j, "scanned", w->scanned);
        count(j, "signed", w->signed_);
        count(j, "accepted", w->accepted);
        count(j, "planned", w->planned);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
}

static void stations(sh_json *j, const pg_report *r)
{
    sh_json_kv_array(j, "stations");
    for (size_t i = 0; r->stations && i < r->n_stations; i++) {
        const pg_station_row *s = &r->stations[i];
        sh_json_begin_object(j);
        sh_json_kv_str(j, "station", s->station);
        sh_json_kv_int(j, "seq", s->seq);
        sh_json_kv_str(j, "as_of", s->as_of);
        sh_json_kv_bool(j, "stale", s->stale);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
}

static void str_or_null(sh_json *j, const char *key, const char *v)
{
    sh_json_kv_str(j, key, v[0] ? v : NULL);
}

void pg_report_json(sh_json *j, const pg_report *r)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "format", "sohoa-progress/1");
    sh_json_kv_str(j, "as_of", r->as_of);
    sh_json_kv_str(j, "period", r->period);
    sh_json_kv_str(j, "period_start", r->period_start);
    sh_json_kv_int(j, "min_cell", r->min_cell);
    str_or_null(j, "station", r->station);
    sh_json_kv_int_or_null(j, "seq", r->seq, r->seq != 0);
    str_or_null(j, "audit_head", r->audit_head);
    str_or_null(j, "inventory_version", r->inventory_version);
    str_or_null(j, "plan_version", r->plan_version);
    bool priority1 = r->seq == 0; /* not a snapshot */
    sh_json_key(j, "total");
    if (r->n_rows > 0)
        row(j, &r->rows[0], priority1);
    else
        sh_json_null(j);
    sh_json_kv_array(j, "organisations");
    for (size_t i = 1; i < r->n_rows; i++)
        row(j, &r->rows[i], priority1);
    sh_json_end_array(j);
    weeks(j, r);
    stations(j, r);
    sh_json_end_object(j);
}
