/* The report as CSV for any tool: one row per organisation row (the whole first, then each
 * prefix before the codes under it), the JSON's English keys flattened as headings, numbers as
 * numbers, a suppressed count as "<N" and nothing for what does not apply. RFC 4180 line ends. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "progress/progress.h"

static void put_count(GString *s, uint64_t v, int min_cell)
{
    if (v == PG_SUPPRESSED)
        g_string_append_printf(s, ",<%d", min_cell);
    else
        g_string_append_printf(s, ",%llu", (unsigned long long)v);
}

static void put_rate(GString *s, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (isfinite(v))
        g_string_append_printf(s, ",%s", g_ascii_formatd(buf, sizeof buf, "%.2f", v));
    else
        g_string_append_c(s, ',');
}

static void header(GString *s)
{
    g_string_append(s, "org,level");
    for (int i = 0; i < PG_N_STAGES; i++)
        g_string_append_printf(s, ",%s", pg_stage_key((pg_stage)i));
    g_string_append(s, ",rejected,unlisted,done,in_progress,not_started,priority1_complete,"
                       "complete,documents,pages,rejected_validation,rejected_receipts,"
                       "rejected_rescans");
    for (int i = 0; i < PG_N_STAGES; i++)
        g_string_append_printf(s, ",in_period_%s", pg_stage_key((pg_stage)i));
    g_string_append(s, ",per_day,per_week,deadline,target,timeliness");
    for (int g = 1; g <= 4; g++)
        g_string_append_printf(s, ",group%d_inventoried,group%d_accepted", g, g);
    g_string_append(s, ",priority1_deadline,priority1_target,priority1_timeliness\r\n");
}

/* deadline, target, timeliness: empty without a plan line */
static void plan(GString *s, const char *deadline, uint64_t target, pg_timeliness t, int min_cell)
{
    g_string_append_printf(s, ",%s", deadline);
    if (deadline[0])
        put_count(s, target, min_cell);
    else
        g_string_append_c(s, ',');
    const char *key = pg_timeliness_key(t);
    g_string_append_printf(s, ",%s", key ? key : "");
}

static void row(GString *s, const pg_org_row *r, int min_cell)
{
    g_string_append_printf(s, "%s,%d", r->org, r->level);
    for (int i = 0; i < PG_N_STAGES; i++)
        put_count(s, r->stage[i], min_cell);
    const uint64_t counts[] = {r->rejected_dossiers,
                               r->unlisted,
                               r->done,
                               r->in_progress,
                               r->not_started,
                               r->priority1_complete,
                               r->complete,
                               r->documents,
                               r->pages,
                               r->rejected.validation,
                               r->rejected.receipts,
                               r->rejected.rescans};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
        put_count(s, counts[i], min_cell);
    for (int i = 0; i < PG_N_STAGES; i++)
        put_count(s, r->in_period[i], min_cell);
    put_rate(s, r->per_day);
    put_rate(s, r->per_week);
    plan(s, r->deadline, r->target, r->timeliness, min_cell);
    for (int g = 0; g < 4; g++) {
        put_count(s, r->by_group[g][0], min_cell);
        put_count(s, r->by_group[g][1], min_cell);
    }
    /* the priority-1 plan line last: the columns before keep their places */
    plan(s, r->priority1_deadline, r->priority1_target, r->priority1_timeliness, min_cell);
    g_string_append(s, "\r\n");
}

sh_status pg_report_write_csv(const pg_report *r, const char *path, sh_error *err)
{
    GString *s = g_string_new(NULL);
    header(s);
    for (size_t i = 0; i < r->n_rows; i++)
        row(s, &r->rows[i], r->min_cell);
    sh_status st = sh_write_file_atomic(path, s->str, s->len, 0, err);
    g_string_free(s, TRUE);
    return st;
}
