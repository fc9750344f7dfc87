/* progress — what supervisors see (DESIGN.md, issue 17; docs/progress.md): the list of dossiers
 * to digitise (inventory), the plan's deadlines, the paper dossiers handed over and returned, the
 * stage each dossier has reached counted per organisation with roll-ups at every prefix, the
 * signed snapshots a station exports and their merge at the province, and the views of a report
 * (a self-contained HTML dashboard, XLSX, CSV, JSON).
 *
 * Counts only: nothing here ever carries a name, a CCCD or a file name out of the ledger. The
 * module reads the ledger through core and signs and verifies snapshots with sign's public API.
 *
 * Private parts: the CSV tables (inventory.c, plan.c), the handover record's PDF (handover_pdf.c),
 * the counting queries (report_count_impl.h), the snapshot's JSON (snapshot_impl.h), the writers
 * (view_*.c). */
#ifndef SOHOA_PROGRESS_H
#define SOHOA_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "core/core.h"
#include "sign/sign.h"

/* ---- [report] of sohoa.ini (config.c) ---- */

typedef struct {
    int due_soon_days;   /* a deadline this many working days away or less is "due soon" (5) */
    int stale_days;      /* merge flags a station with no snapshot this many days old (7) */
    int min_cell;        /* the default --min-cell: counts below it are suppressed (0: none) */
    bool working_day[7]; /* "working_days": [0] Monday ... [6] Sunday (Monday to Friday) */
    char *holidays;      /* "holidays": YYYY-MM-DD days off, ';'-separated, or NULL */
} pg_config;

extern const sh_config_section pg_config_section;
/* The [report] values of cfg; NULL when the program does not list pg_config_section. */
const pg_config *pg_config_get(const sh_config *cfg);
/* Working days after `from` up to and including `to` (both YYYY-MM-DD); negative when to is
 * before from; 0 for a date that does not parse. */
int pg_working_days_between(const pg_config *c, const char *from, const char *to);

/* ---- inventory and plan (inventory.c, plan.c) ----
 * CSV as Excel writes it (comma or semicolon, UTF-8 with or without BOM, quoted fields), English
 * or Vietnamese headings. Inventory columns: org, cccd (or the temporary key), name, group
 * (1-4). Plan columns: org (a code or a prefix), group (1-4, empty: every group), measure
 * (complete | priority1, empty: complete), start (YYYY-MM-DD, empty: the import's day),
 * deadline (YYYY-MM-DD). A bad row is reported with its line number and the rest go on. */

typedef struct {
    int line;      /* 1-based line of the file where the row starts (the header is 1) */
    char *problem; /* translated: what is wrong and what to do */
} pg_row_problem;

typedef struct {
    size_t rows;              /* data rows read */
    size_t added, updated;    /* inventory: new members, members whose row changed */
    size_t unchanged;         /* inventory: rows as they were */
    size_t planned;           /* plan: rows in the plan now */
    pg_row_problem *problems; /* the rows refused, in file order */
    size_t n_problems;
    int64_t import_id; /* imports.id; 0 when nothing was written */
    char sha256[SH_SHA256_HEX_LEN + 1];
    int64_t audit_id;
} pg_import_result;
void pg_import_result_clear(pg_import_result *r);

/* One transaction: the good rows, an imports row and an audit entry ("inventory.import" /
 * "plan.import", with the file's hash and counts, never a name or CCCD). A file with bad rows
 * still imports its good ones (SH_FINDINGS); SH_INPUT when the file as a whole cannot be read
 * (naming it). Re-importing the same member updates the row, never duplicates it. */
SH_NODISCARD sh_status pg_inventory_import(sh_ledger *l, const sh_actor *actor, const char *path,
                                           pg_import_result *res, sh_error *err);
SH_NODISCARD sh_status pg_plan_import(sh_ledger *l, const sh_actor *actor, const char *path,
                                      pg_import_result *res, sh_error *err);

/* ---- paper handover (handover.c, handover_pdf.c) ---- */

typedef enum { PG_HANDOVER_RECEIVE, PG_HANDOVER_RETURN } pg_handover_direction;

typedef struct {
    pg_handover_direction direction;
    const char *org_code;     /* the organisation folder's code M1.M2.M3.M4.M5 */
    const char *member_key;   /* the CCCD, or the temporary key */
    int pages;                /* 0: not counted */
    const char *note;         /* may be NULL */
    const char *force_reason; /* what is refused otherwise, recorded (see below); NULL */
    /* how a return judges the dossier's stage (pg_dossier_stage's options): [report] and
     * [validate] required_types; NULL / 0: the defaults */
    const pg_config *config;
    const int *required_types;
    int n_required_types;
} pg_handover;

/* Records one handover (a handovers row and a "dossier.handover" audit entry, in one
 * transaction). SH_USAGE for a bad code; SH_FINDINGS when a return is refused (the dossier is
 * not accepted yet, or not held: never received or already returned) or a second receipt of a
 * dossier held, unless force_reason; what to do in err. */
SH_NODISCARD sh_status pg_handover_record(sh_ledger *l, const sh_actor *actor, const pg_handover *h,
                                          int64_t *audit_id, sh_error *err);
/* Writes the handover record (biên bản giao nhận) of `day` (YYYY-MM-DD, the station's local
 * day) as a PDF at path (atomically): in Vietnamese, the dossiers handed over that day in each
 * direction with their page counts and places for both parties' signatures. The record names
 * the members: it is for the two parties, never for a report. font_path: a TrueType font with
 * Vietnamese glyphs ([sign] font). */
SH_NODISCARD sh_status pg_handover_print(sh_ledger *l, const char *day, const char *font_path,
                                         const char *station, const char *path, sh_error *err);

/* ---- the counts (report.c) ---- */

/* The stages a dossier goes through, in order. Counts are cumulative: a dossier is counted in
 * every stage up to the one it has reached (a signed dossier is also checked and scanned). */
typedef enum {
    PG_INVENTORIED,    /* on the inventory */
    PG_PAPER_RECEIVED, /* a handover receive is recorded (or a later stage is reached) */
    PG_SCANNED,        /* every required type ([validate] required_types) ingested */
    PG_CHECKED,        /* scanned, and every current document's last validation passed */
    PG_SIGNED,         /* checked, and every current document signed */
    PG_PACKED,         /* signed, and every signed document in a package */
    PG_DELIVERED,      /* packed, and every such package has a receipt */
    PG_ACCEPTED,       /* delivered, and every such receipt says accepted */
    PG_PAPER_RETURNED, /* a handover return is recorded: counted on its own, not cumulative */
    PG_N_STAGES
} pg_stage;

/* "paper_received": the key in JSON, CSV headings and snapshots. */
const char *pg_stage_key(pg_stage s);
/* "Đã nhận hồ sơ giấy" / "paper received": translated, for people. */
const char *pg_stage_label(pg_stage s);

/* HD11 III.1đ: against the plan's deadline. */
typedef enum {
    PG_NO_PLAN,  /* no deadline applies */
    PG_ON_TIME,  /* đúng hạn: done by the deadline, or the deadline is further than due_soon */
    PG_DUE_SOON, /* sắp đến hạn: not done and within due_soon_days working days */
    PG_OVERDUE,  /* quá hạn: not done and the deadline has passed (or done after it) */
} pg_timeliness;
const char *pg_timeliness_key(pg_timeliness t); /* NULL, "on_time", "due_soon", "overdue" */
const char *pg_timeliness_label(pg_timeliness t);

/* Why dossiers went back a step. */
typedef struct {
    uint64_t validation; /* documents whose validation failed (each failing verdict counted) */
    uint64_t receipts;   /* packages the receiver rejected */
    uint64_t rescans;    /* documents superseded by a rescan */
} pg_rejections;

/* A count below the report's min_cell (but not 0), not shown: null in JSON, "<N" in views.
 * Snapshots are never suppressed (merge sums exact counts and suppresses at the end). */
#define PG_SUPPRESSED UINT64_MAX

/* One organisation code, or a prefix of codes rolled up (level = parts: "93" is 1, a full code
 * 5). The whole report is the row with level 0 and org "". */
typedef struct {
    char org[32];
    int level;
    uint64_t stage[PG_N_STAGES]; /* dossiers, cumulative as above */
    uint64_t unlisted;           /* dossiers in the ledger that are not on the inventory */
    uint64_t rejected_dossiers;  /* dossiers with any rejection below ("dossiers.rejected") */
    uint64_t done, in_progress, not_started; /* HD11's result: accepted / between / no paper */
    uint64_t priority1_complete;             /* every priority-1 document accepted */
    uint64_t complete;                       /* every document accepted (= accepted) */
    uint64_t documents, pages;               /* current documents and their pages */
    pg_rejections rejected;
    /* the period [period_start, as_of]: dossiers that reached the stage in it */
    uint64_t in_period[PG_N_STAGES];
    double per_day, per_week; /* dossiers scanned per working day / per week in the period */
    /* the plan line of the row's own code (the longest plan prefix that is the code or above it;
       a row with none, such as the whole: the rows under it, earliest deadline, targets summed,
       worst timeliness), measure 'complete', every group */
    char deadline[11]; /* YYYY-MM-DD, "" without a plan */
    uint64_t target;   /* dossiers that should be done by as_of on the plan line */
    pg_timeliness timeliness;
    /* the same for the measure 'priority1' (priority-1 documents complete); not in snapshots */
    char priority1_deadline[11];
    uint64_t priority1_target;
    pg_timeliness priority1_timeliness;
    uint64_t by_group[4][2]; /* [group-1]: {inventoried, accepted} */
} pg_org_row;

/* Cumulative counts of the whole report at the end of each week (Monday-based), for the
 * dashboard's progress line against the plan line. */
typedef struct {
    char week[11]; /* YYYY-MM-DD, the Monday */
    uint64_t scanned, signed_, accepted, planned;
} pg_week;

/* merge: one station summed, with its newest snapshot */
typedef struct {
    char station[64];
    int64_t seq;
    char as_of[32];
    bool stale; /* older than [report] stale_days */
} pg_station_row;

typedef struct {
    char as_of[32];        /* RFC 3339, UTC */
    char period[32];       /* "2026-12", "2026-Q4", "2026-H2", "2026", or "FROM..TO" */
    char period_start[11]; /* YYYY-MM-DD */
    pg_org_row *rows;      /* the whole (level 0) first, then by org code: each prefix before the
                              codes under it */
    size_t n_rows;
    pg_week *weeks;
    size_t n_weeks;
    int min_cell; /* counts 1..min_cell-1 were replaced by PG_SUPPRESSED */
    /* for snapshots and merges (snapshot.c) */
    char station[64];
    int64_t seq;
    char audit_head[SH_SHA256_HEX_LEN + 1];
    char inventory_version[SH_SHA256_HEX_LEN + 1]; /* the last inventory import's sha256, "" */
    char plan_version[SH_SHA256_HEX_LEN + 1];
    pg_station_row *stations; /* merge only: the stations summed (NULL for one station) */
    size_t n_stations;
} pg_report;
void pg_report_free(pg_report *r);

typedef struct {
    const char *as_of;  /* RFC 3339 or YYYY-MM-DD (end of that day); NULL: now */
    const char *period; /* "month" (default), "quarter", "half", "year", "YYYY-MM-DD..YYYY-MM-DD" */
    const char *prefix; /* only organisations under this code (PATH of `report`), or NULL */
    int min_cell;       /* suppress counts 1..min_cell-1 (0: show all) */
    const pg_config *config;
    const int *required_types; /* [validate] required_types */
    int n_required_types;
} pg_report_options;

/* Counts everything from the ledger in one read transaction, and records the read ("report.read"
 * audit entry: who looked, at which organisations) unless the ledger is read-only. Memory grows
 * with the number of organisations, not of dossiers. */
SH_NODISCARD sh_status pg_report_compute(sh_ledger *l, const sh_actor *actor,
                                         const pg_report_options *o, pg_report **out,
                                         sh_error *err);

/* Replaces the counts 1..min_cell-1 of every row and week by PG_SUPPRESSED (and the rates that
 * would give a hidden count away by NaN); sets r->min_cell. After any summing: pg_report_compute
 * calls it on its roll-ups, merge's caller on the sum of the snapshots. */
void pg_report_suppress(pg_report *r, int min_cell);

/* The stage one dossier has reached (the highest of PG_INVENTORIED..PG_ACCEPTED that holds,
 * by the same rules as the counts), for handover's "return only after acceptance"; SH_INPUT
 * when no dossier of that organisation and member is in the ledger or the inventory. */
SH_NODISCARD sh_status pg_dossier_stage(sh_ledger *l, const pg_report_options *o,
                                        const char *org_code, const char *member_key,
                                        pg_stage *reached, sh_error *err);

/* ---- views (view_json.c, view_csv.c, view_html.c, view_xlsx.c) ----
 * Each writes the whole report to path atomically (JSON to a stream); lang "vi" or "en" for
 * the headings (JSON keys are always English). */
void pg_report_json(sh_json *j, const pg_report *r);
SH_NODISCARD sh_status pg_report_write_csv(const pg_report *r, const char *path, sh_error *err);
SH_NODISCARD sh_status pg_report_write_html(const pg_report *r, const char *path, const char *lang,
                                            sh_error *err);
SH_NODISCARD sh_status pg_report_write_xlsx(const pg_report *r, const char *path, sh_error *err);

/* ---- snapshots and merge (snapshot.c, merge.c) ---- */

/* Writes this station's signed snapshot: the report as pg_report_json with station, the next
 * sequence number, the audit chain's head and the inventory and plan versions, to path, with
 * the detached CMS signature (DER) in path.p7s; a copy of both is kept as
 * .sohoa/snapshots/<seq>.json(.p7s), published and recorded (snapshots row, "report.export"
 * audit entry) in one transaction. */
SH_NODISCARD sh_status pg_snapshot_export(sh_ledger *l, const char *root, const sh_actor *actor,
                                          const pg_report *r, sg_signer *signer, const char *path,
                                          int64_t *seq, sh_error *err);

/* What merge thought of one snapshot file. */
typedef enum {
    PG_SNAP_USED,    /* the newest of its station: summed */
    PG_SNAP_OLDER,   /* an older one of a station: not summed, checked for gaps and drops */
    PG_SNAP_REFUSED, /* bad signature, untrusted signer, altered, unreadable */
} pg_snapshot_fate;

typedef struct {
    char *path;
    pg_snapshot_fate fate;
    char *problem; /* translated, for REFUSED */
    char station[64];
    int64_t seq;
    char as_of[32];
    char *signer; /* the signer's subject CN */
} pg_snapshot_seen;

/* A station's warning: stale (newest as_of older than stale_days), a gap in its sequence
 * numbers among the files given, or a count that went down from one snapshot to the next. */
typedef struct {
    char station[64];
    char *message;    /* translated */
    const char *code; /* "station.stale", "station.sequence_gap", "station.count_decreased" */
} pg_merge_flag;

typedef struct {
    pg_report *report; /* the sum of the newest snapshot of each station; rows by org code */
    pg_snapshot_seen *seen;
    size_t n_seen;
    pg_merge_flag *flags;
    size_t n_flags;
} pg_merge_result;
void pg_merge_result_clear(pg_merge_result *m);

/* Reads, verifies (each FILE with FILE.p7s against trust, sg_trust_load's store) and sums
 * the snapshots. Each file is bounded (size, depth, rows) and refused whole when anything is
 * wrong. SH_FINDINGS when some were refused or flagged, SH_INPUT when none could be used. */
SH_NODISCARD sh_status pg_merge(char *const *paths, size_t n, X509_STORE *trust,
                                const pg_config *config, const char *now, pg_merge_result *res,
                                sh_error *err);

#endif
