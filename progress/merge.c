/* The province's view (progress.h, "snapshots and merge"; docs/progress.md): the newest snapshot
 * of each station summed. Files are ordered by the station and sequence number their first bytes
 * name, then each is read, verified and parsed once, compared with the station's previous one
 * and dropped: memory holds the sum (one row per organisation), a station's two latest
 * snapshots and one entry per file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "snapshot_impl.h"

#define PEEK_BYTES 4096
#define P7S_MAX ((size_t)1 << 20)

#define WINDOW 16     /* files read, verified and parsed at once by the pool's threads */
#define SPARE_ROWS 32 /* finished reports' rows kept for the next ones */

typedef struct merging merging;

/* Memory a load reuses instead of asking the allocator (whose fresh pages cost a fault each):
 * the file's bytes, and the rows array of a finished report. */
typedef struct {
    char *buf;
    size_t buf_cap;
    pg_org_row *rows;
    size_t rows_cap;
} scratch;

struct merging {
    pg_merge_result *res;
    char *const *paths;
    sg_detached_verifier *verifier; /* the trust store's: certificates parsed, chains built once */
    const pg_config *config;
    GDateTime *now;
    GHashTable *org_index, *week_index; /* code → position + 1 in the sum */
    size_t rows_cap, weeks_cap, stations_cap, flags_cap;
    size_t n_used;
    scratch spare[SPARE_ROWS]; /* rows only; taken and given back on the merging thread */
    size_t n_spare;
};

/* One loaded snapshot. sig: the SHA-256 of its signature, which covers the JSON's digest: two
 * files with the same signature are copies of one snapshot (hashing the signature, a few KiB,
 * instead of the JSON again keeps the merge at one pass of SHA-256 over the data). */
typedef struct {
    pg_report *rep;
    size_t rows_cap; /* the room of rep->rows */
    size_t idx;
    uint8_t sig[SH_SHA256_LEN];
} loaded;

/* A file in the order it is merged in, loaded ahead by the pool. */
typedef struct {
    size_t idx; /* into paths and res->seen */
    char station[64];
    int64_t seq;
    merging *m;
    scratch *sc; /* while it is loaded ahead */
    loaded pre;  /* pre.rep NULL: refused (or already taken) */
} order_item;

/* The files loaded ahead of the one being merged: at most WINDOW parsed snapshots at a time. */
typedef struct {
    merging *m;
    order_item *items;
    size_t n, upto;
    sh_pool *pool;
    scratch slot[WINDOW]; /* one per file loaded ahead */
} loader;

void pg_merge_result_clear(pg_merge_result *m)
{
    pg_report_free(m->report);
    for (size_t i = 0; i < m->n_seen; i++) {
        g_free(m->seen[i].path);
        g_free(m->seen[i].problem);
        g_free(m->seen[i].signer);
    }
    g_free(m->seen);
    for (size_t i = 0; i < m->n_flags; i++)
        g_free(m->flags[i].message);
    g_free(m->flags);
    memset(m, 0, sizeof *m);
}

static void refuse(pg_snapshot_seen *s, char *problem)
{
    s->fate = PG_SNAP_REFUSED;
    g_free(s->problem);
    s->problem = problem;
}

static void add_flag(merging *m, const char *station, const char *code, char *message)
{
    pg_merge_result *res = m->res;
    if (res->n_flags == m->flags_cap) {
        m->flags_cap = m->flags_cap ? 2 * m->flags_cap : 8;
        res->flags = g_renew(pg_merge_flag, res->flags, m->flags_cap);
    }
    pg_merge_flag *f = &res->flags[res->n_flags++];
    g_strlcpy(f->station, station, sizeof f->station);
    f->code = code;
    f->message = message;
}

/* ---- one file: read, verify, parse */

static char *verify(const char *path, const char *data, size_t len, sg_detached_verifier *v,
                    char **signer, uint8_t sig[SH_SHA256_LEN])
{
    char *p7s = g_strconcat(path, ".p7s", NULL), *der = NULL, *problem = NULL;
    size_t der_len = 0;
    sh_error e;
    sh_error_clear(&e);
    if (sh_read_file(p7s, P7S_MAX, &der, &der_len, &e) != SH_OK) {
        problem = g_strdup_printf(_("its signature %s cannot be read: %s"), p7s, e.msg);
    } else {
        sg_detached_report vr = {0};
        if (sg_detached_verify(v, (const uint8_t *)der, der_len, data, len, &vr, &e) != SH_OK)
            problem = g_strdup(e.msg);
        else if (vr.state != SG_SIG_VALID)
            problem = g_strdup(vr.problem ? vr.problem : _("the signature is not valid"));
        else
            *signer = g_strdup(vr.signer_cn);
        sh_sha256_buf(der, der_len, sig);
        sg_detached_report_clear(&vr);
    }
    free(der);
    g_free(p7s);
    return problem;
}

/* The snapshot of paths[idx], or NULL with the file refused (the reason in res->seen). With sc,
 * its memory is used (and its rows handed to the report); without, the load's own. */
static bool load(merging *m, size_t idx, scratch *sc, loaded *out)
{
    pg_snapshot_seen *s = &m->res->seen[idx];
    scratch own = {0}, *use = sc ? sc : &own;
    size_t len = 0;
    sh_error e;
    sh_error_clear(&e);
    *out = (loaded){.idx = idx};
    if (sh_read_file_into(s->path, PG_SNAPSHOT_MAX, &use->buf, &use->buf_cap, &len, &e) != SH_OK) {
        refuse(s, g_strdup(e.msg));
        free(own.buf);
        return false;
    }
    g_free(s->signer);
    s->signer = NULL;
    char *problem = verify(s->path, use->buf, len, m->verifier, &s->signer, out->sig);
    if (!problem) { /* the rows become the report's, or are freed */
        if (pg_snapshot_parse_into(use->buf, len, s->path, use->rows, use->rows_cap, &out->rep,
                                   &out->rows_cap, &e) != SH_OK)
            problem = g_strdup(e.msg);
        use->rows = NULL;
        use->rows_cap = 0;
    }
    if (!problem) {
        g_strlcpy(s->station, out->rep->station, sizeof s->station);
        s->seq = out->rep->seq;
        g_strlcpy(s->as_of, out->rep->as_of, sizeof s->as_of);
    }
    free(own.buf);
    if (problem)
        refuse(s, problem);
    return !problem;
}

/* A finished report freed, its rows kept for a later load. */
static void drop(merging *m, loaded *l)
{
    if (l->rep && l->rep->rows && m->n_spare < SPARE_ROWS) {
        m->spare[m->n_spare++] = (scratch){.rows = l->rep->rows, .rows_cap = l->rows_cap};
        l->rep->rows = NULL;
    }
    pg_report_free(l->rep);
    l->rep = NULL;
}

/* The station and sequence number of a file from its first bytes; a file that does not begin as
 * a snapshot is read whole at once (refused, or ordered by what it says). */
static bool order_of(merging *m, size_t idx, order_item *o)
{
    *o = (order_item){.idx = idx};
    FILE *f = fopen(m->paths[idx], "rb");
    char buf[PEEK_BYTES];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    if (n > 0 && pg_snapshot_peek(buf, n, o->station, &o->seq))
        return true;
    loaded l;
    if (!load(m, idx, NULL, &l))
        return false;
    g_strlcpy(o->station, l.rep->station, sizeof o->station);
    o->seq = l.rep->seq;
    pg_report_free(l.rep);
    return true;
}

static int by_station_seq(const void *a, const void *b)
{
    const order_item *x = a, *y = b;
    int c = strcmp(x->station, y->station);
    if (c == 0)
        c = x->seq < y->seq ? -1 : x->seq > y->seq;
    if (c == 0)
        c = x->idx < y->idx ? -1 : x->idx > y->idx;
    return c;
}

/* ---- the sum */

static pg_org_row *sum_row(merging *m, const pg_org_row *r)
{
    pg_report *sum = m->res->report;
    size_t at = GPOINTER_TO_SIZE(g_hash_table_lookup(m->org_index, r->org));
    if (at)
        return &sum->rows[at - 1];
    if (sum->n_rows == m->rows_cap) {
        m->rows_cap = m->rows_cap ? 2 * m->rows_cap : 64;
        sum->rows = g_renew(pg_org_row, sum->rows, m->rows_cap);
    }
    pg_org_row *row = &sum->rows[sum->n_rows++];
    memset(row, 0, sizeof *row);
    memcpy(row->org, r->org, sizeof row->org);
    row->level = r->level;
    g_hash_table_insert(m->org_index, g_strdup(r->org), GSIZE_TO_POINTER(sum->n_rows));
    return row;
}

static void add_counts(uint64_t *to, const uint64_t *from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        to[i] += from[i];
}

/* overdue > due_soon > on_time > no plan */
static int severity(pg_timeliness t)
{
    return t == PG_OVERDUE ? 3 : t == PG_DUE_SOON ? 2 : t == PG_ON_TIME ? 1 : 0;
}

static void fold_row(pg_org_row *to, const pg_org_row *r)
{
    add_counts(to->stage, r->stage, PG_N_STAGES);
    add_counts(to->in_period, r->in_period, PG_N_STAGES);
    add_counts(&to->by_group[0][0], &r->by_group[0][0], 8);
    uint64_t from[] = {r->unlisted,
                       r->rejected_dossiers,
                       r->done,
                       r->in_progress,
                       r->not_started,
                       r->priority1_complete,
                       r->complete,
                       r->documents,
                       r->pages,
                       r->rejected.validation,
                       r->rejected.receipts,
                       r->rejected.rescans,
                       r->target};
    uint64_t *into[] = {&to->unlisted,
                        &to->rejected_dossiers,
                        &to->done,
                        &to->in_progress,
                        &to->not_started,
                        &to->priority1_complete,
                        &to->complete,
                        &to->documents,
                        &to->pages,
                        &to->rejected.validation,
                        &to->rejected.receipts,
                        &to->rejected.rescans,
                        &to->target};
    for (size_t i = 0; i < G_N_ELEMENTS(from); i++)
        *into[i] += from[i];
    to->per_day += r->per_day;
    to->per_week += r->per_week;
    if (r->deadline[0] && (!to->deadline[0] || strcmp(r->deadline, to->deadline) < 0))
        memcpy(to->deadline, r->deadline, sizeof to->deadline);
    if (severity(r->timeliness) > severity(to->timeliness))
        to->timeliness = r->timeliness;
}

static void fold_week(merging *m, const pg_week *w)
{
    pg_report *sum = m->res->report;
    size_t at = GPOINTER_TO_SIZE(g_hash_table_lookup(m->week_index, w->week));
    if (!at) {
        if (sum->n_weeks == m->weeks_cap) {
            m->weeks_cap = m->weeks_cap ? 2 * m->weeks_cap : 64;
            sum->weeks = g_renew(pg_week, sum->weeks, m->weeks_cap);
        }
        sum->weeks[sum->n_weeks] = (pg_week){0};
        memcpy(sum->weeks[sum->n_weeks].week, w->week, sizeof w->week);
        at = ++sum->n_weeks;
        g_hash_table_insert(m->week_index, g_strdup(w->week), GSIZE_TO_POINTER(at));
    }
    pg_week *to = &sum->weeks[at - 1];
    to->scanned += w->scanned;
    to->signed_ += w->signed_;
    to->accepted += w->accepted;
    to->planned += w->planned;
}

static GDateTime *time_of(const char *t)
{
    GTimeZone *utc = g_time_zone_new_utc();
    GDateTime *d = t ? g_date_time_new_from_iso8601(t, utc) : NULL;
    g_time_zone_unref(utc);
    return d;
}

/* The station's newest snapshot summed, its row added, flagged when stale. */
static void fold(merging *m, const pg_report *rep)
{
    pg_report *sum = m->res->report;
    for (size_t i = 0; i < rep->n_rows; i++)
        fold_row(sum_row(m, &rep->rows[i]), &rep->rows[i]);
    for (size_t i = 0; i < rep->n_weeks; i++)
        fold_week(m, &rep->weeks[i]);
    if (m->n_used++ == 0 || strcmp(rep->as_of, sum->as_of) > 0)
        g_strlcpy(sum->as_of, rep->as_of, sizeof sum->as_of);
    if (!sum->period[0]) {
        memcpy(sum->period, rep->period, sizeof sum->period);
        memcpy(sum->period_start, rep->period_start, sizeof sum->period_start);
    }
    if (sum->n_stations == m->stations_cap) {
        m->stations_cap = m->stations_cap ? 2 * m->stations_cap : 16;
        sum->stations = g_renew(pg_station_row, sum->stations, m->stations_cap);
    }
    pg_station_row *s = &sum->stations[sum->n_stations++];
    *s = (pg_station_row){.seq = rep->seq};
    memcpy(s->station, rep->station, sizeof s->station);
    memcpy(s->as_of, rep->as_of, sizeof s->as_of);
    GDateTime *at = time_of(rep->as_of);
    s->stale = at && g_date_time_difference(m->now, at) >
                         (GTimeSpan)m->config->stale_days * G_TIME_SPAN_DAY;
    if (at)
        g_date_time_unref(at);
    if (s->stale)
        add_flag(m, s->station, "station.stale",
                 g_strdup_printf(_("station %s: its newest snapshot (%lld) is as of %s, more than "
                                   "%d days ago: ask the station for a new one"),
                                 s->station, (long long)s->seq, s->as_of, m->config->stale_days));
}

/* ---- checks between two snapshots of a station */

/* r's row of org at or after *j (rows by code, the total "" first), or NULL. */
static const pg_org_row *row_in(const pg_report *r, const char *org, size_t *j)
{
    while (*j < r->n_rows && strcmp(r->rows[*j].org, org) < 0)
        (*j)++;
    return *j < r->n_rows && strcmp(r->rows[*j].org, org) == 0 ? &r->rows[*j] : NULL;
}

/* The first stage count of an organisation that is lower in next than in prev (an organisation
 * missing from next counts 0): its description, or NULL. */
static char *decrease(const pg_report *prev, const pg_report *next)
{
    static const pg_org_row zero = {0};
    size_t j = 0;
    for (size_t i = 0; i < prev->n_rows; i++) {
        const pg_org_row *a = &prev->rows[i], *b = row_in(next, a->org, &j);
        b = b ? b : &zero;
        for (int s = 0; s < PG_N_STAGES; s++)
            if (b->stage[s] < a->stage[s])
                return g_strdup_printf(_("%s \"%s\" went from %llu to %llu"),
                                       a->org[0] ? a->org : _("the total"),
                                       pg_stage_key((pg_stage)s), (unsigned long long)a->stage[s],
                                       (unsigned long long)b->stage[s]);
    }
    return NULL;
}

static void compare(merging *m, const loaded *prev, const loaded *next)
{
    const pg_report *a = prev->rep, *b = next->rep;
    if (b->seq > a->seq + 1)
        add_flag(m, b->station, "station.sequence_gap",
                 g_strdup_printf(_("station %s: snapshots %lld to %lld are missing between "
                                   "the ones given (%lld and %lld): ask the station for them"),
                                 b->station, (long long)a->seq + 1, (long long)b->seq - 1,
                                 (long long)a->seq, (long long)b->seq));
    char *what = decrease(a, b);
    if (what)
        add_flag(m, b->station, "station.count_decreased",
                 g_strdup_printf(_("station %s: from snapshot %lld to %lld a count went down "
                                   "(%s): ask the station why"),
                                 b->station, (long long)a->seq, (long long)b->seq, what));
    g_free(what);
}

/* Two different snapshots with one sequence number: neither can be believed. */
static void conflict(merging *m, loaded *a, loaded *b)
{
    pg_snapshot_seen *sa = &m->res->seen[a->idx], *sb = &m->res->seen[b->idx];
    char *msg = g_strdup_printf(_("station %s has two different snapshots numbered %lld (%s and "
                                  "%s): ask the station which one it exported"),
                                sa->station, (long long)sa->seq, sa->path, sb->path);
    refuse(sa, msg);
    refuse(sb, g_strdup(msg));
    drop(m, a);
    drop(m, b);
}

/* After a conflict took the newest away: the highest older one of the station is used. */
static void use_older(merging *m, const order_item *items, size_t n, loaded *cur)
{
    for (size_t k = n; k-- > 0;) {
        if (m->res->seen[items[k].idx].fate != PG_SNAP_OLDER)
            continue;
        if (load(m, items[k].idx, NULL, cur))
            m->res->seen[items[k].idx].fate = PG_SNAP_USED;
        return;
    }
}

static void preload(void *arg)
{
    order_item *o = arg;
    if (!load(o->m, o->idx, o->sc, &o->pre))
        o->pre.rep = NULL;
}

/* items[k] and the next ones loaded, in parallel when the pool could be made. */
static void ensure_loaded(loader *ld, size_t k)
{
    if (k < ld->upto)
        return;
    merging *m = ld->m;
    size_t end = k + WINDOW < ld->n ? k + WINDOW : ld->n;
    for (size_t i = k; i < end; i++) {
        scratch *sc = &ld->slot[i - k];
        if (!sc->rows && m->n_spare > 0)
            *sc = (scratch){.buf = sc->buf,
                            .buf_cap = sc->buf_cap,
                            .rows = m->spare[--m->n_spare].rows,
                            .rows_cap = m->spare[m->n_spare].rows_cap};
        ld->items[i].m = m;
        ld->items[i].sc = sc;
        if (!ld->pool || sh_pool_submit(ld->pool, preload, &ld->items[i], NULL) != SH_OK)
            preload(&ld->items[i]);
    }
    if (ld->pool)
        sh_pool_wait(ld->pool);
    for (size_t i = k; i < end; i++)
        ld->items[i].sc = NULL; /* a slot's rows not taken stay for the next window */
    ld->upto = end;
}

/* One file of a station, in order, against the one before it (cur). */
static void step(merging *m, order_item *o, loaded *cur)
{
    loaded next = o->pre;
    o->pre.rep = NULL;
    pg_snapshot_seen *s = &m->res->seen[o->idx];
    if (!next.rep)
        return;
    if (strcmp(next.rep->station, o->station) != 0 || next.rep->seq != o->seq) {
        refuse(s, g_strdup(_("the file changed while it was being read: merge again")));
        drop(m, &next);
        return;
    }
    if (cur->rep && cur->rep->seq == next.rep->seq) {
        if (memcmp(cur->sig, next.sig, sizeof cur->sig) ==
            0) { /* the same file twice: summed once */
            s->fate = PG_SNAP_OLDER;
            drop(m, &next);
        } else {
            conflict(m, cur, &next);
        }
        return;
    }
    if (cur->rep) {
        compare(m, cur, &next);
        m->res->seen[cur->idx].fate = PG_SNAP_OLDER;
        drop(m, cur);
    }
    s->fate = PG_SNAP_USED;
    *cur = next;
}

static void merge_station(loader *ld, size_t from, size_t n)
{
    merging *m = ld->m;
    order_item *items = ld->items + from;
    loaded cur = {0};
    for (size_t k = 0; k < n; k++) {
        ensure_loaded(ld, from + k);
        step(m, &items[k], &cur);
    }
    if (!cur.rep)
        use_older(m, items, n, &cur);
    if (cur.rep)
        fold(m, cur.rep);
    drop(m, &cur);
}

static int by_code(const void *a, const void *b)
{
    return strcmp(((const pg_org_row *)a)->org, ((const pg_org_row *)b)->org);
}

static int by_week(const void *a, const void *b)
{
    return strcmp(((const pg_week *)a)->week, ((const pg_week *)b)->week);
}

static sh_status outcome(const merging *m, size_t n, sh_error *err)
{
    const pg_merge_result *res = m->res;
    size_t refused = 0;
    for (size_t i = 0; i < res->n_seen; i++)
        refused += res->seen[i].fate == PG_SNAP_REFUSED;
    if (m->n_used == 0)
        return sh_fail(err, SH_INPUT,
                       _("none of the %zu snapshots could be used: see why each was refused"), n);
    if (refused || res->n_flags)
        return sh_fail(err, SH_FINDINGS, _("%zu snapshots refused, %zu warnings about stations"),
                       refused, res->n_flags);
    return SH_OK;
}

static void merge_all(merging *m, size_t n)
{
    order_item *items = g_new0(order_item, n);
    size_t n_items = 0;
    for (size_t i = 0; i < n; i++)
        if (order_of(m, i, &items[n_items]))
            n_items++;
    if (n_items)
        qsort(items, n_items, sizeof *items, by_station_seq);
    loader ld = {.m = m, .items = items, .n = n_items, .pool = sh_pool_new(0, NULL)};
    for (size_t a = 0, b = 0; a < n_items; a = b) {
        for (b = a + 1; b < n_items && strcmp(items[b].station, items[a].station) == 0; b++)
            ;
        merge_station(&ld, a, b - a);
    }
    sh_pool_free(ld.pool);
    for (size_t i = 0; i < WINDOW; i++) {
        free(ld.slot[i].buf);
        g_free(ld.slot[i].rows);
    }
    for (size_t i = 0; i < m->n_spare; i++)
        g_free(m->spare[i].rows);
    g_free(items);
}

sh_status pg_merge(char *const *paths, size_t n, X509_STORE *trust, const pg_config *config,
                   const char *now, pg_merge_result *res, sh_error *err)
{
    memset(res, 0, sizeof *res);
    res->report = g_new0(pg_report, 1);
    res->seen = g_new0(pg_snapshot_seen, n ? n : 1);
    res->n_seen = n;
    for (size_t i = 0; i < n; i++)
        res->seen[i] = (pg_snapshot_seen){.path = g_strdup(paths[i]), .fate = PG_SNAP_REFUSED};
    merging m = {.res = res, .paths = paths, .config = config};
    m.now = now ? time_of(now) : g_date_time_new_now_utc();
    if (!m.now)
        return sh_fail(err, SH_USAGE, _("%s is not a time (YYYY-MM-DDTHH:MM:SSZ)"), now);
    m.org_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m.week_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m.verifier = sg_detached_verifier_new(trust);
    merge_all(&m, n);
    sg_detached_verifier_free(m.verifier);
    pg_report *sum = res->report;
    if (sum->n_rows)
        qsort(sum->rows, sum->n_rows, sizeof *sum->rows, by_code);
    if (sum->n_weeks)
        qsort(sum->weeks, sum->n_weeks, sizeof *sum->weeks, by_week);
    g_hash_table_destroy(m.org_index);
    g_hash_table_destroy(m.week_index);
    g_date_time_unref(m.now);
    return outcome(&m, n, err);
}
