/* The tally: each dossier's facts summed into its organisation's row as they stream by (memory
 * grows with organisations and weeks, never with dossiers); then every prefix level and the
 * whole rolled up, the plan's deadline, target and timeliness, the rates, the weekly series, and
 * last the suppression of small counts, which must come after the sums (a suppressed count
 * summed would be wrong, and small counts could be worked back from totals otherwise). */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_impl.h"

#define MAX_WEEKS 520 /* ten years of weekly points: the series keeps the newest */

typedef struct {
    pg_org_row row;
    uint64_t listed_accepted;        /* accepted dossiers on the inventory */
    uint64_t listed_p1;              /* dossiers on the inventory with priority-1 complete */
    char last_accepted[PG_TIME_MAX]; /* when the last of them was accepted */
    char last_p1[PG_TIME_MAX];       /* when the last of them had priority-1 complete */
    int plan_start, plan_deadline;   /* julian days of the plan line, 0 without a plan */
} tally_row;

typedef struct {
    uint64_t scanned, signed_, accepted;
} week_counts;

typedef struct {
    char prefix[32];
    bool priority1;      /* the measure: priority-1 documents, else the whole dossier */
    int start, deadline; /* julian */
    char deadline_day[11];
} plan_line;

struct pg_tally {
    pg_tally_context c;
    GHashTable *by_org; /* org code → index in rows + 1 */
    GArray *rows;       /* tally_row */
    GHashTable *weeks;  /* julian Monday → week_counts */
    GArray *plan;       /* plan_line */
};

pg_tally *pg_tally_new(const pg_tally_context *c)
{
    pg_tally *t = g_new0(pg_tally, 1);
    t->c = *c;
    t->by_org = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    t->rows = g_array_new(FALSE, TRUE, sizeof(tally_row));
    t->weeks = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    t->plan = g_array_new(FALSE, TRUE, sizeof(plan_line));
    return t;
}

void pg_tally_free(pg_tally *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->by_org);
    g_array_free(t->rows, TRUE);
    g_hash_table_destroy(t->weeks);
    g_array_free(t->plan, TRUE);
    g_free(t);
}

static int org_level(const char *org)
{
    if (!*org)
        return 0;
    int n = 1;
    for (const char *p = org; *p; p++)
        n += *p == '.';
    return n;
}

static tally_row *row_for(GHashTable *index, GArray *rows, const char *org)
{
    gpointer at = g_hash_table_lookup(index, org);
    if (at)
        return &g_array_index(rows, tally_row, GPOINTER_TO_SIZE(at) - 1);
    tally_row r;
    memset(&r, 0, sizeof r);
    g_strlcpy(r.row.org, org, sizeof r.row.org);
    r.row.level = org_level(r.row.org);
    g_array_append_val(rows, r);
    g_hash_table_insert(index, g_strdup(r.row.org), GSIZE_TO_POINTER(rows->len));
    return &g_array_index(rows, tally_row, rows->len - 1);
}

static void count_week(pg_tally *t, const char *at, size_t field)
{
    int j = *at ? pg_julian(at) : 0;
    if (!j)
        return;
    gpointer key = GINT_TO_POINTER(pg_monday(j));
    week_counts *w = g_hash_table_lookup(t->weeks, key);
    if (!w) {
        w = g_new0(week_counts, 1);
        g_hash_table_insert(t->weeks, key, w);
    }
    (*(uint64_t *)((char *)w + field))++;
}

static void stage_counts(pg_tally *t, pg_org_row *r, const pg_dossier_facts *f)
{
    const pg_period *p = t->c.period;
    for (int s = 0; s < PG_N_STAGES; s++) {
        const char *at = f->at[s];
        if (s == PG_INVENTORIED ? !f->listed : !*at)
            continue;
        r->stage[s]++;
        if (*at && strcmp(at, p->from) >= 0 && strcmp(at, p->to) <= 0)
            r->in_period[s]++;
    }
}

static void result_counts(pg_org_row *r, const pg_dossier_facts *f)
{
    if (*f->at[PG_ACCEPTED])
        r->done++;
    else if (*f->at[PG_PAPER_RECEIVED])
        r->in_progress++;
    else
        r->not_started++;
    r->complete += *f->at[PG_ACCEPTED] != '\0';
    r->priority1_complete += f->priority1_complete;
}

void pg_tally_dossier(const pg_dossier_facts *f, void *ctx)
{
    pg_tally *t = ctx;
    tally_row *tr = row_for(t->by_org, t->rows, f->org);
    pg_org_row *r = &tr->row;
    stage_counts(t, r, f);
    result_counts(r, f);
    r->unlisted += !f->listed;
    r->documents += f->documents;
    r->pages += f->pages;
    r->rejected.validation += f->failed_validations;
    r->rejected.rescans += f->rescans;
    r->rejected_dossiers += f->failed_validations || f->rescans || f->rejected_receipt;
    bool accepted = *f->at[PG_ACCEPTED] != '\0';
    if (f->listed && f->group >= 1 && f->group <= 4) {
        r->by_group[f->group - 1][0]++;
        r->by_group[f->group - 1][1] += accepted;
    }
    tr->listed_p1 += f->listed && f->priority1_complete;
    if (f->listed && f->priority1_complete && strcmp(f->priority1_at, tr->last_p1) > 0)
        g_strlcpy(tr->last_p1, f->priority1_at, sizeof tr->last_p1);
    if (f->listed && accepted) {
        tr->listed_accepted++;
        if (strcmp(f->at[PG_ACCEPTED], tr->last_accepted) > 0)
            g_strlcpy(tr->last_accepted, f->at[PG_ACCEPTED], sizeof tr->last_accepted);
    }
    count_week(t, f->at[PG_SCANNED], offsetof(week_counts, scanned));
    count_week(t, f->at[PG_SIGNED], offsetof(week_counts, signed_));
    count_week(t, f->at[PG_ACCEPTED], offsetof(week_counts, accepted));
}

void pg_tally_rejected_packages(const char *org, uint64_t n, void *ctx)
{
    pg_tally *t = ctx;
    row_for(t->by_org, t->rows, org)->row.rejected.receipts += n;
}

void pg_tally_plan(const char *prefix, const char *measure, const char *start, const char *deadline,
                   void *ctx)
{
    pg_tally *t = ctx;
    plan_line p;
    memset(&p, 0, sizeof p);
    p.priority1 = strcmp(measure, "priority1") == 0;
    p.start = pg_julian(start);
    p.deadline = pg_julian(deadline);
    if (!p.start || !p.deadline || strlen(prefix) >= sizeof p.prefix)
        return; /* plan import checks its rows; a bad one here is skipped, not guessed at */
    g_strlcpy(p.prefix, prefix, sizeof p.prefix);
    g_strlcpy(p.deadline_day, deadline, sizeof p.deadline_day);
    g_array_append_val(t->plan, p);
}

/* ---- the plan ---- */

static bool is_under(const char *org, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(org, prefix, n) == 0 && (org[n] == '\0' || org[n] == '.' || n == 0);
}

/* The plan line of the longest prefix (at a dot boundary) that is org or above it, for the
 * measure; NULL when none (the whole, org "", never has one). */
static const plan_line *plan_for(const pg_tally *t, const char *org, bool priority1)
{
    const plan_line *best = NULL;
    for (guint i = 0; i < t->plan->len; i++) {
        const plan_line *p = &g_array_index(t->plan, plan_line, i);
        if (p->priority1 == priority1 && is_under(org, p->prefix) &&
            (!best || strlen(p->prefix) > strlen(best->prefix)))
            best = p;
    }
    return best;
}

/* The share of the plan line elapsed by day j (calendar days, both ends counted). */
static double plan_share(int start, int deadline, int j)
{
    if (j < start)
        return 0.0;
    if (j >= deadline)
        return 1.0;
    return (double)(j - start + 1) / (double)(deadline - start + 1);
}

static uint64_t planned(uint64_t inventoried, int start, int deadline, int j)
{
    return (uint64_t)floor((double)inventoried * plan_share(start, deadline, j) + 0.5);
}

/* done_at: when the measure was met (the last dossier accepted, or its priority-1 documents). */
static pg_timeliness judge(const pg_tally *t, bool done, const char *done_at, const char *deadline)
{
    const pg_when *w = t->c.when;
    if (done)
        return !done_at || strncmp(done_at, deadline, 10) <= 0 ? PG_ON_TIME : PG_OVERDUE;
    if (strcmp(w->day, deadline) > 0)
        return PG_OVERDUE;
    int due_soon = t->c.config ? t->c.config->due_soon_days : 5;
    int left = t->c.config ? pg_working_days_between(t->c.config, w->day, deadline)
                           : pg_julian(deadline) - pg_julian(w->day);
    return left <= due_soon ? PG_DUE_SOON : PG_ON_TIME;
}

/* Where a row keeps the plan of one measure. */
typedef struct {
    char *deadline; /* char[11] */
    uint64_t *target;
    pg_timeliness *timeliness;
} plan_slot;

static plan_slot slot_of(pg_org_row *r, bool priority1)
{
    if (priority1)
        return (plan_slot){r->priority1_deadline, &r->priority1_target, &r->priority1_timeliness};
    return (plan_slot){r->deadline, &r->target, &r->timeliness};
}

/* The row's own plan line: its counts against it. False when no line applies. */
static bool apply_plan(const pg_tally *t, tally_row *tr, bool priority1)
{
    const plan_line *p = plan_for(t, tr->row.org, priority1);
    if (!p)
        return false;
    plan_slot s = slot_of(&tr->row, priority1);
    uint64_t inventoried = tr->row.stage[PG_INVENTORIED];
    g_strlcpy(s.deadline, p->deadline_day, sizeof tr->row.deadline);
    *s.target = planned(inventoried, p->start, p->deadline, pg_julian(t->c.when->day));
    uint64_t met = priority1 ? tr->listed_p1 : tr->listed_accepted;
    *s.timeliness = judge(t, inventoried > 0 && met >= inventoried,
                          priority1 ? tr->last_p1 : tr->last_accepted, p->deadline_day);
    return true;
}

/* A row without a line of its own takes the rows right under it as merge sums stations: the
 * targets summed, the earliest deadline, the worst timeliness. */
static void add_plan(pg_org_row *d, pg_org_row *s, bool priority1)
{
    plan_slot to = slot_of(d, priority1), from = slot_of(s, priority1);
    if (!from.deadline[0])
        return;
    *to.target += *from.target;
    if (!to.deadline[0] || strcmp(from.deadline, to.deadline) < 0)
        g_strlcpy(to.deadline, from.deadline, sizeof d->deadline);
    if (*from.timeliness > *to.timeliness)
        *to.timeliness = *from.timeliness;
}

/* ---- roll-ups ---- */

static void add_counts(pg_org_row *d, const pg_org_row *s)
{
    for (int i = 0; i < PG_N_STAGES; i++) {
        d->stage[i] += s->stage[i];
        d->in_period[i] += s->in_period[i];
    }
    d->unlisted += s->unlisted;
    d->rejected_dossiers += s->rejected_dossiers;
    d->done += s->done;
    d->in_progress += s->in_progress;
    d->not_started += s->not_started;
    d->priority1_complete += s->priority1_complete;
    d->complete += s->complete;
    d->documents += s->documents;
    d->pages += s->pages;
    d->rejected.validation += s->rejected.validation;
    d->rejected.receipts += s->rejected.receipts;
    d->rejected.rescans += s->rejected.rescans;
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < 2; k++)
            d->by_group[g][k] += s->by_group[g][k];
}

/* Each organisation's counts into its own row, every prefix above it and the whole. */
static void roll_up(const tally_row *leaf, GHashTable *index, GArray *out)
{
    char prefix[32];
    g_strlcpy(prefix, leaf->row.org, sizeof prefix);
    for (;;) {
        tally_row *r = row_for(index, out, prefix);
        add_counts(&r->row, &leaf->row);
        r->listed_accepted += leaf->listed_accepted;
        r->listed_p1 += leaf->listed_p1;
        if (strcmp(leaf->last_accepted, r->last_accepted) > 0)
            g_strlcpy(r->last_accepted, leaf->last_accepted, sizeof r->last_accepted);
        if (strcmp(leaf->last_p1, r->last_p1) > 0)
            g_strlcpy(r->last_p1, leaf->last_p1, sizeof r->last_p1);
        if (!*prefix)
            break;
        char *dot = strrchr(prefix, '.');
        *(dot ? dot : prefix) = '\0';
    }
}

/* The index in out of the row right above org (the whole above "93"). */
static guint parent_of(GHashTable *index, const char *org)
{
    char prefix[32];
    g_strlcpy(prefix, org, sizeof prefix);
    char *dot = strrchr(prefix, '.');
    *(dot ? dot : prefix) = '\0';
    return (guint)GPOINTER_TO_SIZE(g_hash_table_lookup(index, prefix)) - 1;
}

/* Every row against its own plan line (the longest prefix of its code the plan names); then,
 * from the deepest level up, each row without one from the rows right under it. */
static void plan_rows(const pg_tally *t, GHashTable *index, GArray *out, bool priority1)
{
    bool *own = g_new0(bool, out->len);
    int deepest = 0;
    for (guint i = 0; i < out->len; i++) {
        tally_row *tr = &g_array_index(out, tally_row, i);
        own[i] = apply_plan(t, tr, priority1);
        deepest = MAX(deepest, tr->row.level);
    }
    for (int level = deepest; level > 0; level--)
        for (guint i = 0; i < out->len; i++) {
            pg_org_row *r = &g_array_index(out, tally_row, i).row;
            if (r->level != level)
                continue;
            guint up = parent_of(index, r->org);
            if (up < out->len && !own[up])
                add_plan(&g_array_index(out, tally_row, up).row, r, priority1);
        }
    g_free(own);
}

static int by_org(const void *a, const void *b)
{
    const pg_org_row *x = a, *y = b;
    if (x->level == 0 || y->level == 0)
        return x->level == 0 ? (y->level == 0 ? 0 : -1) : 1;
    return strcmp(x->org, y->org); /* a prefix sorts before the longer codes under it */
}

/* ---- rates, weeks, suppression ---- */

/* Working days in the period so far: pg_working_days_between counts the days after its first
 * argument, so start from the day before the period. */
static int period_working_days(const pg_tally *t)
{
    const pg_period *p = t->c.period;
    int j = pg_julian(p->start), last = pg_julian(p->last_day);
    if (!t->c.config)
        return last - j + 1;
    char before[11];
    pg_julian_day(j - 1, before);
    return pg_working_days_between(t->c.config, before, p->last_day);
}

static void rates(const pg_tally *t, int working, pg_org_row *r)
{
    const pg_period *p = t->c.period;
    int days = pg_julian(p->last_day) - pg_julian(p->start) + 1;
    double scanned = (double)r->in_period[PG_SCANNED];
    r->per_day = working > 0 ? scanned / working : 0.0;
    r->per_week = days > 0 ? scanned * 7.0 / days : 0.0;
}

static sh_status weekly_series(pg_tally *t, const GArray *leaves, pg_report *r)
{
    int last = pg_monday(pg_julian(t->c.when->day)), first = last;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, t->weeks);
    while (g_hash_table_iter_next(&it, &key, &value))
        first = MIN(first, GPOINTER_TO_INT(key));
    for (guint i = 0; i < t->plan->len; i++)
        first = MIN(first, pg_monday(g_array_index(t->plan, plan_line, i).start));
    first = MAX(first, last - 7 * (MAX_WEEKS - 1));
    week_counts sum = {0};
    g_hash_table_iter_init(&it, t->weeks);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (GPOINTER_TO_INT(key) < first) {
            const week_counts *w = value;
            sum.scanned += w->scanned, sum.signed_ += w->signed_, sum.accepted += w->accepted;
        }
    int n_weeks = (last - first) / 7 + 1;
    r->n_weeks = (size_t)n_weeks;
    r->weeks = g_new0(pg_week, r->n_weeks);
    int today = pg_julian(t->c.when->day);
    for (size_t i = 0; i < r->n_weeks; i++) {
        int monday = first + 7 * (int)i;
        const week_counts *w = g_hash_table_lookup(t->weeks, GINT_TO_POINTER(monday));
        if (w)
            sum.scanned += w->scanned, sum.signed_ += w->signed_, sum.accepted += w->accepted;
        pg_week *out = &r->weeks[i];
        pg_julian_day(monday, out->week);
        out->scanned = sum.scanned, out->signed_ = sum.signed_, out->accepted = sum.accepted;
        int end = MIN(monday + 6, today);
        for (guint k = 0; k < leaves->len; k++) {
            const tally_row *l = &g_array_index(leaves, tally_row, k);
            if (l->plan_start)
                out->planned +=
                    planned(l->row.stage[PG_INVENTORIED], l->plan_start, l->plan_deadline, end);
        }
    }
    return SH_OK;
}

static void suppress(uint64_t *v, int min_cell)
{
    if (*v >= 1 && *v < (uint64_t)min_cell)
        *v = PG_SUPPRESSED;
}

static void suppress_row(pg_org_row *r, int min_cell)
{
    uint64_t *counts[] = {&r->unlisted,
                          &r->rejected_dossiers,
                          &r->done,
                          &r->in_progress,
                          &r->not_started,
                          &r->priority1_complete,
                          &r->complete,
                          &r->documents,
                          &r->pages,
                          &r->rejected.validation,
                          &r->rejected.receipts,
                          &r->rejected.rescans,
                          &r->target,
                          &r->priority1_target};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
        suppress(counts[i], min_cell);
    for (int s = 0; s < PG_N_STAGES; s++) {
        suppress(&r->stage[s], min_cell);
        suppress(&r->in_period[s], min_cell);
    }
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < 2; k++)
            suppress(&r->by_group[g][k], min_cell);
    if (r->in_period[PG_SCANNED] == PG_SUPPRESSED)
        r->per_day = r->per_week = NAN; /* a rate would give the hidden count away */
}

void pg_report_suppress(pg_report *r, int min_cell)
{
    r->min_cell = min_cell;
    if (min_cell <= 1)
        return;
    for (size_t i = 0; i < r->n_rows; i++)
        suppress_row(&r->rows[i], min_cell);
    for (size_t i = 0; i < r->n_weeks; i++) {
        suppress(&r->weeks[i].scanned, min_cell);
        suppress(&r->weeks[i].signed_, min_cell);
        suppress(&r->weeks[i].accepted, min_cell);
        suppress(&r->weeks[i].planned, min_cell);
    }
}

sh_status pg_tally_finish(pg_tally *t, pg_report *r, sh_error *err)
{
    GHashTable *index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GArray *out = g_array_new(FALSE, TRUE, sizeof(tally_row));
    row_for(index, out, ""); /* the whole, even when empty */
    for (guint i = 0; i < t->rows->len; i++) {
        tally_row *leaf = &g_array_index(t->rows, tally_row, i);
        const plan_line *p = plan_for(t, leaf->row.org, false);
        leaf->plan_start = p ? p->start : 0; /* the weekly plan line: the sum of the leaves' */
        leaf->plan_deadline = p ? p->deadline : 0;
        roll_up(leaf, index, out);
    }
    plan_rows(t, index, out, false);
    plan_rows(t, index, out, true);
    g_hash_table_destroy(index);
    r->rows = g_new0(pg_org_row, out->len);
    int working = period_working_days(t);
    for (guint i = 0; i < out->len; i++) {
        const pg_org_row *row = &g_array_index(out, tally_row, i).row;
        if (row->level > 0 && row->level < t->c.prefix_level)
            continue; /* above the prefix asked for: the same counts again */
        r->rows[r->n_rows] = *row;
        rates(t, working, &r->rows[r->n_rows++]);
    }
    g_array_free(out, TRUE);
    qsort(r->rows, r->n_rows, sizeof *r->rows, by_org);
    sh_status st = weekly_series(t, t->rows, r);
    if (st == SH_OK)
        pg_report_suppress(r, t->c.min_cell);
    (void)err;
    return st;
}
