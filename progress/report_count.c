/* The counting queries: two streams ordered by dossier id (the dossiers with their inventory
 * row and handovers; their current documents with each one's verdict, signature, package and
 * receipt), merged here one dossier at a time, then the members only on the inventory. SQLite
 * does the lookups through indexes; C keeps one dossier in memory at a time. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "naming/naming.h"
#include "report_count_impl.h"

/* Which dossiers: every one, those under a prefix, or one member of one organisation. */
static char *filter_sql(const pg_count_query *q, const char *t, const char *member_col)
{
    if (q->org)
        return sqlite3_mprintf("%s.org_code = ?2 AND %s.%s = ?3", t, t, member_col);
    if (q->prefix && *q->prefix)
        return sqlite3_mprintf("(%s.org_code = ?2 OR substr(%s.org_code, 1, length(?2) + 1) = "
                               "?2 || '.')",
                               t, t);
    return sqlite3_mprintf("1");
}

#define HANDOVER_AT(agg, dir, t, member)                                                           \
    "(SELECT " agg "(h.at) FROM handovers h WHERE h.org_code = " t ".org_code AND "                \
    "h.member_key = " t "." member " AND h.direction = '" dir "' AND h.at <= ?1)"
/* The dossiers with their inventory row (when the member was first listed: a re-import does
 * not move it) and their paper handovers. */
static const char DOSSIERS_SQL[] =
    "SELECT ds.id, ds.org_code, i.subject_group, m.imported_at,"
    " " HANDOVER_AT("min", "receive", "ds",
                    "cccd") ","
                            " " HANDOVER_AT("max", "return", "ds",
                                            "cccd") ""
                                                    " FROM dossiers ds LEFT JOIN inventory i ON "
                                                    "i.org_code = ds.org_code AND"
                                                    "  i.member_key = ds.cccd LEFT JOIN imports m "
                                                    "ON m.id = i.first_import_id"
                                                    " WHERE %s ORDER BY ds.id";

/* Rejections by dossier: the versions of its files that validate failed (each once however
 * often it was validated; signed copies aside, they are checked again after signing), and its
 * rescans. Few rows (failures are rare), read from the partial index of failed verdicts and
 * matched to their dossier by folder (the path up to its last slash). */
#define FOLDER_OF(path) "rtrim(" path ", replace(" path ", '/', ''))"
static const char REJECTIONS_SQL[] =
    "SELECT ds.id, sum(r.failed), sum(r.rescans) FROM ("
    " SELECT " FOLDER_OF(
        "v.path") " AS dir, count(DISTINCT v.sha256) AS failed, 0 AS rescans"
                  "  FROM validations v WHERE v.verdict = 'fail' AND v.validated_at <= ?1"
                  "  AND v.path NOT LIKE '%%\\_signed.pdf' ESCAPE '\\' GROUP BY dir"
                  " UNION ALL SELECT " FOLDER_OF(
                      "x.path") ", 0, count(*) FROM supersessions x"
                                "  WHERE x.done = 1 AND x.superseded_at <= ?1 GROUP BY 1) r"
                                " JOIN dossiers ds ON ds.folder = substr(r.dir, 1, length(r.dir) - "
                                "1)"
                                " WHERE %s GROUP BY ds.id ORDER BY ds.id";

/* Per current document: the last verdict on its bytes, its first signature and the packages
 * holding its signed copy (matched in C with the packages read beforehand). Two forms with the
 * same columns: document_state, kept by the ledger's triggers, when every fact in it is at or
 * before the as-of time (the usual case: a report of now), one row per document; otherwise the
 * searches of the covering indexes of migration 7, which see the ledger as it was then. */
static const char DOCUMENT_STATE_SQL[] =
    "SELECT dossier_id, type_stt, pages, created_at, verdict, signature FROM document_state"
    " WHERE newest <= ?1%s ORDER BY dossier_id";

static const char DOCUMENTS_SQL[] =
    "SELECT d.dossier_id, d.type_stt, d.pages, d.created_at,"
    " (SELECT v.verdict || ' ' || v.validated_at FROM validations v WHERE v.sha256 = d.sha256"
    "  AND v.validated_at <= ?1 ORDER BY v.validated_at DESC LIMIT 1),"
    " (SELECT min(s.signed_at) || '|' || coalesce(group_concat(pd.package_id, ' '), '')"
    "  FROM signatures s LEFT JOIN package_documents pd ON pd.sha256 = s.output_sha256"
    "  WHERE s.input_sha256 = d.sha256 AND s.signed_at <= ?1)"
    " FROM documents d WHERE d.dossier_id IS NOT NULL AND d.created_at <= ?1%s"
    " ORDER BY d.dossier_id";

static const char INVENTORY_SQL[] =
    "SELECT i.org_code, i.subject_group, m.imported_at,"
    " " HANDOVER_AT("min", "receive", "i",
                    "member_key") ","
                                  " " HANDOVER_AT(
                                      "max", "return", "i",
                                      "member_key") ""
                                                    " FROM inventory i JOIN imports m ON m.id = "
                                                    "i.first_import_id WHERE %s AND NOT EXISTS"
                                                    " (SELECT 1 FROM dossiers ds WHERE ds.org_code "
                                                    "= i.org_code AND ds.cccd = i.member_key)";

static sh_status prepare(sh_ledger *l, const pg_count_query *q, const char *fmt, const char *table,
                         const char *member_col, sqlite3_stmt **out, sh_error *err)
{
    char *filter = filter_sql(q, table, member_col);
    bool documents = fmt == DOCUMENTS_SQL || fmt == DOCUMENT_STATE_SQL;
    if (filter && documents) { /* only the documents of those dossiers, if any */
        char *in = strcmp(filter, "1") == 0 ? sqlite3_mprintf("")
                                            : sqlite3_mprintf(" AND dossier_id IN (SELECT"
                                                              " ds.id FROM dossiers ds WHERE %s)",
                                                              filter);
        sqlite3_free(filter);
        filter = in;
    }
    char *sql = filter ? sqlite3_mprintf(fmt, filter) : NULL;
    sqlite3_free(filter);
    if (!sql)
        return sh_fail(err, SH_INTERNAL, _("Out of memory."));
    int rc = sqlite3_prepare_v2(sh_ledger_db(l), sql, -1, out, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("count the dossiers"));
    sqlite3_bind_text(*out, 1, q->until, -1, SQLITE_STATIC);
    const char *who = q->org ? q->org : q->prefix;
    if (who && *who)
        sqlite3_bind_text(*out, 2, who, -1, SQLITE_STATIC);
    if (q->org)
        sqlite3_bind_text(*out, 3, q->member, -1, SQLITE_STATIC);
    return SH_OK;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

static void keep_max(char *dst, const char *t)
{
    if (strcmp(t, dst) > 0)
        g_strlcpy(dst, t, PG_TIME_MAX);
}

/* A package known at the as-of time, with its receipt if one was stored by then. */
typedef struct {
    char created[PG_TIME_MAX];
    char verdict; /* 'a'ccepted, 'r'ejected, 0: no receipt yet */
    char stored[PG_TIME_MAX];
} package_state;

/* One dossier's documents, folded as they stream by. */
typedef struct {
    GHashTable *packages; /* package id → package_state: as many as packages, not dossiers */
    bool type_seen[NM_CATALOG_SIZE + 1];
    uint64_t n, pages;
    bool all_checked, all_signed, all_packed, all_delivered, all_accepted, p1_accepted;
    bool rejected_receipt; /* a package holding a current document was rejected */
    char first[PG_TIME_MAX];
    char p1_at[PG_TIME_MAX];           /* the latest acceptance of a priority-1 document */
    char at[PG_N_STAGES][PG_TIME_MAX]; /* the latest fact of each stage */
} doc_fold;

static void fold_reset(doc_fold *f)
{
    GHashTable *packages = f->packages;
    memset(f, 0, sizeof *f);
    f->packages = packages;
    f->all_checked = f->all_signed = f->all_packed = f->all_delivered = f->all_accepted = true;
    f->p1_accepted = true;
}

/* The newest of the packages (space-separated ids) that existed at the as-of time: a rejected
 * package followed by its accepted correction counts as accepted. */
static const package_state *newest_package(doc_fold *f, const char *ids)
{
    const package_state *best = NULL;
    char id[128];
    while (*ids) {
        size_t n = strcspn(ids, " ");
        g_strlcpy(id, ids, MIN(sizeof id, n + 1));
        const package_state *p = g_hash_table_lookup(f->packages, id);
        if (p && p->verdict == 'r')
            f->rejected_receipt = true;
        if (p && (!best || strcmp(p->created, best->created) > 0))
            best = p;
        ids += n + (ids[n] == ' ');
    }
    return best;
}

static void fold_package(doc_fold *f, const char *ids, bool priority1)
{
    const package_state *p = newest_package(f, ids);
    bool delivered = p && p->verdict, accepted = delivered && p->verdict == 'a';
    f->all_packed = f->all_packed && p;
    f->all_delivered = f->all_delivered && delivered;
    f->all_accepted = f->all_accepted && accepted;
    f->p1_accepted = f->p1_accepted && (accepted || !priority1);
    if (accepted && priority1)
        keep_max(f->p1_at, p->stored);
    if (p)
        keep_max(f->at[PG_PACKED], p->created);
    if (delivered)
        keep_max(f->at[PG_DELIVERED], p->stored);
    if (accepted)
        keep_max(f->at[PG_ACCEPTED], p->stored);
}

/* "2026-...Z|ID ID": the first signature's time and the packages holding the signed copy. */
static void fold_signature(doc_fold *f, const char *sig, bool priority1)
{
    const char *bar = strchr(sig, '|');
    if (!bar || bar == sig) {
        f->all_signed = false;
        fold_package(f, "", priority1);
        return;
    }
    char at[PG_TIME_MAX];
    g_strlcpy(at, sig, MIN(sizeof at, (size_t)(bar - sig) + 1));
    keep_max(f->at[PG_SIGNED], at);
    fold_package(f, bar + 1, priority1);
}

static void fold_document(doc_fold *f, sqlite3_stmt *s)
{
    int type = sqlite3_column_int(s, 1);
    const nm_doc_type *t = nm_catalog_find(type);
    if (type >= 1 && type <= NM_CATALOG_SIZE)
        f->type_seen[type] = true;
    f->n++;
    f->pages += (uint64_t)sqlite3_column_int64(s, 2);
    const char *created = col_text(s, 3);
    if (!f->first[0] || strcmp(created, f->first) < 0)
        g_strlcpy(f->first, created, PG_TIME_MAX);
    keep_max(f->at[PG_SCANNED], created);
    const char *val = col_text(s, 4);
    if (strncmp(val, "pass ", 5) == 0)
        keep_max(f->at[PG_CHECKED], val + 5);
    else
        f->all_checked = false;
    fold_signature(f, col_text(s, 5), t && t->priority == 1);
}

static bool required_present(const doc_fold *f, const pg_count_query *q)
{
    if (f->n == 0)
        return false;
    for (int i = 0; i < q->n_required_types; i++) {
        int t = q->required_types[i];
        if (t >= 1 && t <= NM_CATALOG_SIZE && !f->type_seen[t])
            return false;
    }
    return true;
}

/* A stage holds when the one before it does and all its documents pass; it is reached at the
 * latest of the facts it needs. */
static void stages_from_documents(pg_dossier_facts *d, const doc_fold *f, const pg_count_query *q)
{
    bool ok[PG_N_STAGES] = {false};
    ok[PG_SCANNED] = required_present(f, q);
    ok[PG_CHECKED] = ok[PG_SCANNED] && f->all_checked;
    ok[PG_SIGNED] = ok[PG_CHECKED] && f->all_signed;
    ok[PG_PACKED] = ok[PG_SIGNED] && f->all_packed;
    ok[PG_DELIVERED] = ok[PG_PACKED] && f->all_delivered;
    ok[PG_ACCEPTED] = ok[PG_DELIVERED] && f->all_accepted;
    for (int s = PG_SCANNED; s <= PG_ACCEPTED; s++) {
        if (!ok[s])
            break;
        g_strlcpy(d->at[s], f->at[s], PG_TIME_MAX);
        keep_max(d->at[s], d->at[s - 1]);
    }
    d->documents = f->n;
    d->pages = f->pages;
    d->priority1_complete = ok[PG_SCANNED] && f->p1_accepted;
    if (d->priority1_complete) /* no priority-1 document at all: complete once scanned */
        g_strlcpy(d->priority1_at, *f->p1_at ? f->p1_at : d->at[PG_SCANNED], PG_TIME_MAX);
}

/* Paper received: the handover, else the first document ingested (paper must have come). */
static void paper_stages(pg_dossier_facts *d, const char *received, const char *returned,
                         const char *first_document)
{
    if (*received)
        g_strlcpy(d->at[PG_PAPER_RECEIVED], received, PG_TIME_MAX);
    else if (*first_document)
        g_strlcpy(d->at[PG_PAPER_RECEIVED], first_document, PG_TIME_MAX);
    if (*returned)
        g_strlcpy(d->at[PG_PAPER_RETURNED], returned, PG_TIME_MAX);
}

/* A query ordered by dossier id (its column 0), read alongside the dossiers. */
typedef struct {
    sqlite3_stmt *s;
    int rc; /* SQLITE_ROW while s holds an unread row */
} side_stream;

/* Moves to the first row of dossier id or after it; true when that row is dossier id's. */
static bool side_seek(side_stream *side, int64_t id)
{
    while (side->rc == SQLITE_ROW && sqlite3_column_int64(side->s, 0) < id)
        side->rc = sqlite3_step(side->s);
    return side->rc == SQLITE_ROW && sqlite3_column_int64(side->s, 0) == id;
}

static bool side_ok(const side_stream *side)
{
    return side->rc == SQLITE_ROW || side->rc == SQLITE_DONE;
}

typedef struct {
    sh_ledger *l;
    const pg_count_query *q;
    side_stream docs, rejections;
    doc_fold fold;
} merger;

static void fold_dossier_documents(merger *m, int64_t id)
{
    fold_reset(&m->fold);
    for (; side_seek(&m->docs, id); m->docs.rc = sqlite3_step(m->docs.s))
        fold_document(&m->fold, m->docs.s);
}

static void dossier_from_row(merger *m, sqlite3_stmt *s, pg_dossier_facts *d)
{
    memset(d, 0, sizeof *d);
    g_strlcpy(d->org, col_text(s, 1), sizeof d->org);
    d->listed = sqlite3_column_type(s, 2) != SQLITE_NULL;
    d->group = d->listed ? sqlite3_column_int(s, 2) : 0;
    if (d->listed)
        g_strlcpy(d->at[PG_INVENTORIED], col_text(s, 3), PG_TIME_MAX);
    int64_t id = sqlite3_column_int64(s, 0);
    fold_dossier_documents(m, id);
    d->in_ledger = m->fold.n > 0;
    stages_from_documents(d, &m->fold, m->q);
    paper_stages(d, col_text(s, 4), col_text(s, 5), m->fold.first);
    d->rejected_receipt = m->fold.rejected_receipt;
    if (side_seek(&m->rejections, id)) {
        d->failed_validations = (uint64_t)sqlite3_column_int64(m->rejections.s, 1);
        d->rescans = (uint64_t)sqlite3_column_int64(m->rejections.s, 2);
    }
}

/* Every package made by the as-of time, with its receipt stored by then. */
static sh_status load_packages(sh_ledger *l, const pg_count_query *q, GHashTable *packages,
                               sh_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "SELECT p.id, p.created_at, r.verdict, r.stored_at FROM packages p"
                           " LEFT JOIN receipts r ON r.package_id = p.id AND r.stored_at <= ?1"
                           " WHERE p.created_at <= ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("count the dossiers"));
    sqlite3_bind_text(s, 1, q->until, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        package_state *p = g_new0(package_state, 1);
        g_strlcpy(p->created, col_text(s, 1), sizeof p->created);
        const char *verdict = col_text(s, 2);
        p->verdict = strcmp(verdict, "accepted") == 0   ? 'a'
                     : strcmp(verdict, "rejected") == 0 ? 'r'
                                                        : 0;
        g_strlcpy(p->stored, col_text(s, 3), sizeof p->stored);
        g_hash_table_replace(packages, g_strdup(col_text(s, 0)), p);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, N_("count the dossiers"));
}

/* Which form of the documents' query answers for the as-of time (DOCUMENT_STATE_SQL). */
static sh_status documents_sql(sh_ledger *l, const pg_count_query *q, const char **sql,
                               sh_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "SELECT coalesce(max(newest), '') <= ?1 FROM document_state", -1, &s,
                           NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("count the dossiers"));
    sqlite3_bind_text(s, 1, q->until, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *sql = rc == SQLITE_ROW && sqlite3_column_int(s, 0) ? DOCUMENT_STATE_SQL : DOCUMENTS_SQL;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? SH_OK : sh_ledger_fail(l, err, N_("count the dossiers"));
}

static sh_status side_open(merger *m, const char *sql, side_stream *side, sh_error *err)
{
    sh_status st = prepare(m->l, m->q, sql, "ds", "cccd", &side->s, err);
    if (st == SH_OK)
        side->rc = sqlite3_step(side->s);
    return st;
}

static sh_status stream_dossiers(merger *m, pg_dossier_fn fn, void *ctx, sh_error *err)
{
    sqlite3_stmt *s = NULL;
    const char *docs_sql = DOCUMENTS_SQL;
    sh_status st = load_packages(m->l, m->q, m->fold.packages, err);
    if (st == SH_OK)
        st = documents_sql(m->l, m->q, &docs_sql, err);
    if (st == SH_OK)
        st = prepare(m->l, m->q, DOSSIERS_SQL, "ds", "cccd", &s, err);
    if (st == SH_OK)
        st = side_open(m, docs_sql, &m->docs, err);
    if (st == SH_OK)
        st = side_open(m, REJECTIONS_SQL, &m->rejections, err);
    int rc = SQLITE_DONE;
    while (st == SH_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        pg_dossier_facts d;
        dossier_from_row(m, s, &d);
        if (d.in_ledger || d.listed)
            fn(&d, ctx);
    }
    if (st == SH_OK && (rc != SQLITE_DONE || !side_ok(&m->docs) || !side_ok(&m->rejections)))
        st = sh_ledger_fail(m->l, err, N_("count the dossiers"));
    sqlite3_finalize(s);
    sqlite3_finalize(m->docs.s);
    sqlite3_finalize(m->rejections.s);
    return st;
}

static sh_status stream_inventory(sh_ledger *l, const pg_count_query *q, pg_dossier_fn fn,
                                  void *ctx, sh_error *err)
{
    sqlite3_stmt *s = NULL;
    sh_status st = prepare(l, q, INVENTORY_SQL, "i", "member_key", &s, err);
    int rc = SQLITE_DONE;
    while (st == SH_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        pg_dossier_facts d;
        memset(&d, 0, sizeof d);
        g_strlcpy(d.org, col_text(s, 0), sizeof d.org);
        d.listed = true;
        d.group = sqlite3_column_int(s, 1);
        g_strlcpy(d.at[PG_INVENTORIED], col_text(s, 2), PG_TIME_MAX);
        paper_stages(&d, col_text(s, 3), col_text(s, 4), "");
        fn(&d, ctx);
    }
    if (st == SH_OK && rc != SQLITE_DONE)
        st = sh_ledger_fail(l, err, N_("count the dossiers"));
    sqlite3_finalize(s);
    return st;
}

sh_status pg_count_dossiers(sh_ledger *l, const pg_count_query *q, pg_dossier_fn fn, void *ctx,
                            sh_error *err)
{
    /* The three streams and the lookups of the dossiers' query touch pages all over the
     * ledger: SQLite's default 2 MiB cache made half of the time re-reads (pread) of pages
     * just evicted. 16 MiB, whatever the size of the ledger. */
    sqlite3_exec(sh_ledger_db(l), "PRAGMA cache_size = -16384", NULL, NULL, NULL);
    merger m = {.l = l, .q = q};
    m.fold.packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    sh_status st = stream_dossiers(&m, fn, ctx, err);
    g_hash_table_destroy(m.fold.packages);
    return st == SH_OK ? stream_inventory(l, q, fn, ctx, err) : st;
}

sh_status pg_count_rejected_packages(sh_ledger *l, const pg_count_query *q, pg_org_count_fn fn,
                                     void *ctx, sh_error *err)
{
    sqlite3_stmt *s = NULL;
    sh_status st = prepare(l, q,
                           "SELECT p.org_code, count(*) FROM receipts r JOIN packages p ON p.id ="
                           " r.package_id WHERE r.verdict = 'rejected' AND r.stored_at <= ?1"
                           " AND %s GROUP BY p.org_code",
                           "p", "org_code", &s, err);
    int rc = SQLITE_DONE;
    while (st == SH_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
        fn(col_text(s, 0), (uint64_t)sqlite3_column_int64(s, 1), ctx);
    if (st == SH_OK && rc != SQLITE_DONE)
        st = sh_ledger_fail(l, err, N_("count the dossiers"));
    sqlite3_finalize(s);
    return st;
}

sh_status pg_count_plan(sh_ledger *l, pg_plan_fn fn, void *ctx, sh_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "SELECT prefix, measure, start_date, deadline FROM plan WHERE measure "
                           "IN ('complete', 'priority1') AND subject_group = 0",
                           -1, &s, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("count the dossiers"));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        fn(col_text(s, 0), col_text(s, 1), col_text(s, 2), col_text(s, 3), ctx);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, N_("count the dossiers"));
}

sh_status pg_count_import_version(sh_ledger *l, const char *kind, char out[SH_SHA256_HEX_LEN + 1],
                                  sh_error *err)
{
    out[0] = '\0';
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "SELECT sha256 FROM imports WHERE kind = ? ORDER BY id DESC LIMIT 1", -1,
                           &s, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("count the dossiers"));
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        g_strlcpy(out, col_text(s, 0), SH_SHA256_HEX_LEN + 1);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SH_OK
                                                 : sh_ledger_fail(l, err, N_("count the dossiers"));
}
