/* The SQLite ledger: WAL, busy timeout, forward-only schema migrations; opened for writing by
 * the commands that record, for reading only (read-only media too) by those that look. Only
 * "sohoa init" creates one: a ledger that is missing, empty or without a schema is an error. */
#include "core_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

struct sh_ledger {
    sqlite3 *db;
    char *path;
    bool read_only;
    char *copy_dir;       /* a private copy read instead of path (read-only media with a WAL) */
    GArray *done_intents; /* int64 ids of published files' intents, deleted lazily (publish.c) */
};

/* Long enough for another process to finish a batch of writes; short enough that a stuck
 * process is reported instead of hanging a scan team forever. */
#define BUSY_TIMEOUT_MS 30000
/* The row of document_state of the documents matching `where` (alias d), recomputed from the
 * tables its facts come from (migration 8); a document in no dossier has none. Deleted, then
 * inserted: a trigger's INSERT OR REPLACE would take the conflict rule of the statement that
 * fired it (an INSERT OR IGNORE would keep the old row). */
#define DOCUMENT_STATE_OF(where)                                                                   \
    "DELETE FROM document_state WHERE (dossier_id, document_id) IN"                                \
    " (SELECT d.dossier_id, d.id FROM documents d WHERE " where ");"                               \
    "INSERT INTO document_state (dossier_id, document_id, type_stt, pages,"                        \
    " created_at, verdict, signature, newest)"                                                     \
    " SELECT d.dossier_id, d.id, d.type_stt, d.pages, d.created_at,"                               \
    "  (SELECT v.verdict || ' ' || v.validated_at FROM validations v WHERE v.sha256 = d.sha256"    \
    "   ORDER BY v.validated_at DESC LIMIT 1),"                                                    \
    "  (SELECT min(s.signed_at) || '|' || coalesce(group_concat(pd.package_id, ' '), '')"          \
    "   FROM signatures s LEFT JOIN package_documents pd ON pd.sha256 = s.output_sha256"           \
    "   WHERE s.input_sha256 = d.sha256),"                                                         \
    "  max(d.created_at,"                                                                          \
    "   coalesce((SELECT max(v.validated_at) FROM validations v WHERE v.sha256 = d.sha256), ''),"  \
    "   coalesce((SELECT max(s.signed_at) FROM signatures s WHERE s.input_sha256 = d.sha256), "    \
    "''))"                                                                                         \
    " FROM documents d WHERE d.dossier_id IS NOT NULL AND " where ";"
/* MIGRATIONS[i] takes the schema from version i to i + 1. Append; never edit a shipped one. */
static const char *const MIGRATIONS[] = {
    /* 1: the audit chain, complete, and the first shape of the state tables. */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  time TEXT NOT NULL,"
    "  station TEXT NOT NULL,"
    "  operator TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  subject TEXT NOT NULL DEFAULT '',"
    "  details TEXT NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE INDEX audit_by_time ON audit(time);"
    "CREATE TABLE dossiers ("
    "  id INTEGER PRIMARY KEY,"
    "  org_code TEXT NOT NULL,"
    "  cccd TEXT NOT NULL,"
    "  person_name TEXT NOT NULL,"
    "  folder TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE TABLE documents ("
    "  id INTEGER PRIMARY KEY,"
    "  dossier_id INTEGER REFERENCES dossiers(id),"
    "  path TEXT NOT NULL UNIQUE,"
    "  type_stt INTEGER NOT NULL,"
    "  seq INTEGER,"
    "  sha256 TEXT NOT NULL,"
    "  pages INTEGER NOT NULL,"
    "  expected_pages INTEGER,"
    "  created_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE TABLE validations ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),"
    "  findings TEXT NOT NULL,"
    "  validated_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE INDEX validations_by_sha256 ON validations(sha256);"
    "CREATE TABLE signatures ("
    "  id INTEGER PRIMARY KEY,"
    "  input_path TEXT NOT NULL,"
    "  input_sha256 TEXT NOT NULL,"
    "  output_path TEXT NOT NULL,"
    "  output_sha256 TEXT NOT NULL,"
    "  cert_sha256 TEXT NOT NULL,"
    "  signed_at TEXT NOT NULL,"
    "  forced INTEGER NOT NULL DEFAULT 0,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE TABLE bundles ("
    "  id INTEGER PRIMARY KEY,"
    "  org_code TEXT NOT NULL,"
    "  path TEXT NOT NULL UNIQUE,"
    "  sha256 TEXT NOT NULL,"
    "  files INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE TABLE transfers ("
    "  id INTEGER PRIMARY KEY,"
    "  bundle_id INTEGER NOT NULL REFERENCES bundles(id),"
    "  state TEXT NOT NULL,"
    "  bytes_sent INTEGER NOT NULL DEFAULT 0,"
    "  updated_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));",
    /* 2: the scanner files each ingested document was made from, in page order. */
    "CREATE TABLE document_sources ("
    "  document_id INTEGER NOT NULL REFERENCES documents(id),"
    "  position INTEGER NOT NULL,"
    "  path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  pages INTEGER NOT NULL,"
    "  PRIMARY KEY (document_id, position));"
    "CREATE INDEX document_sources_by_sha256 ON document_sources(sha256);",
    /* 3: intents to publish a recorded file (publish.c); lookups of a path's verdicts and
     * signatures without a scan of the whole table. */
    "CREATE TABLE publications ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL,"
    "  temp_path TEXT NOT NULL UNIQUE,"
    "  sha256 TEXT NOT NULL,"
    "  started_at TEXT NOT NULL);"
    "CREATE INDEX validations_by_path ON validations(path);"
    "CREATE INDEX signatures_by_input_path ON signatures(input_path);"
    "CREATE INDEX signatures_by_output_path ON signatures(output_path);",
    /* 4: rescans (ingest/supersede.c): a document superseded by another, why, and where its
     * old file and signed copy are kept under .sohoa/superseded. done = 0: the intent, recorded
     * before the old files move, while the new document's temp file (temp_path) is being
     * recorded; a dead run's is undone by the next ingest. done = 1: in effect, with its audit
     * entry. */
    "CREATE TABLE supersessions ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL,"
    "  old_sha256 TEXT NOT NULL,"
    "  new_sha256 TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  superseded_at TEXT NOT NULL,"
    "  temp_path TEXT,"
    "  done INTEGER NOT NULL DEFAULT 0,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE INDEX supersessions_by_path ON supersessions(path);"
    "CREATE INDEX supersessions_pending ON supersessions(done) WHERE done = 0;"
    "CREATE TABLE superseded_files ("
    "  supersession_id INTEGER NOT NULL REFERENCES supersessions(id),"
    "  path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  kept_as TEXT NOT NULL UNIQUE,"
    "  PRIMARY KEY (supersession_id, path));",
    /* 5: packages (issue 15). The first shapes of bundles and transfers were never written:
     * they give way to packages, their volume files and the documents they carry; transfers
     * come back with upload (issue 16). A package row, its volumes and documents and its audit
     * entry are one transaction with the intents that publish its volume files. */
    "DROP TABLE transfers;"
    "DROP TABLE bundles;"
    "CREATE TABLE packages ("
    "  id TEXT PRIMARY KEY,"    /* the package ID (a ULID), the bag's External-Identifier */
    "  org_code TEXT NOT NULL," /* the organisation folder M1.M2.M3.M4.M5 */
    "  volumes INTEGER NOT NULL,"
    "  basis TEXT NOT NULL,"    /* the authorising document (--basis) */
    "  corrects TEXT NOT NULL," /* JSON array of the package IDs it corrects */
    "  created_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE INDEX packages_by_org ON packages(org_code);"
    "CREATE TABLE package_volumes ("
    "  package_id TEXT NOT NULL REFERENCES packages(id),"
    "  volume INTEGER NOT NULL,"   /* 1-based */
    "  path TEXT NOT NULL UNIQUE," /* the .zip.p7m, relative to the workspace root */
    "  sha256 TEXT NOT NULL,"      /* of the encrypted file as written */
    "  bytes INTEGER NOT NULL,"
    "  dossiers INTEGER NOT NULL,"
    "  documents INTEGER NOT NULL,"
    "  PRIMARY KEY (package_id, volume));"
    "CREATE TABLE package_documents ("
    "  package_id TEXT NOT NULL REFERENCES packages(id),"
    "  volume INTEGER NOT NULL,"
    "  dossier TEXT NOT NULL," /* the dossier folder, relative to the root */
    "  path TEXT NOT NULL,"    /* the signed file, relative to the root */
    "  sha256 TEXT NOT NULL,"  /* of the signed file packed */
    "  PRIMARY KEY (package_id, path));"
    "CREATE INDEX package_documents_by_dossier ON package_documents(dossier);",
    /* 6: delivery (issue 16). uploads: one row per volume and endpoint, its tus URL stored in
     * the transaction that starts the transfer, so that a killed run resumes there. transfers:
     * the log of every attempt, over the network or onto a medium (Quy dinh ket noi D30.2:
     * who, when, what, the outcome); a row whose outcome is still 'started' is an attempt that
     * was killed. receipts: the receiver's signed receipts, verified, one per package. */
    "CREATE TABLE uploads ("
    "  package_id TEXT NOT NULL REFERENCES packages(id),"
    "  volume INTEGER NOT NULL,"
    "  endpoint TEXT NOT NULL,"            /* the creation URL the volume goes to */
    "  url TEXT,"                          /* the upload's URL once the server made it */
    "  offset INTEGER NOT NULL DEFAULT 0," /* bytes the server held when last asked */
    "  length INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL DEFAULT 0," /* every byte on the server, its digest checked */
    "  error TEXT,"                          /* the last failure, in words, or NULL */
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (package_id, volume, endpoint));"
    "CREATE TABLE transfers ("
    "  id INTEGER PRIMARY KEY,"
    "  started_at TEXT NOT NULL,"
    "  ended_at TEXT,"
    "  station TEXT NOT NULL,"
    "  operator TEXT NOT NULL,"
    "  channel TEXT NOT NULL," /* 'tus' or 'medium' */
    "  target TEXT NOT NULL,"  /* the endpoint, or the medium: UUID, label and folder */
    "  org_code TEXT NOT NULL,"
    "  package_id TEXT NOT NULL REFERENCES packages(id),"
    "  volume INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL DEFAULT 0," /* bytes sent or copied by this attempt */
    "  outcome TEXT NOT NULL,"            /* started, sent, complete, failed, exported */
    "  error TEXT,"
    "  receipt_sha256 TEXT,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE INDEX transfers_by_package ON transfers(package_id, volume);"
    "CREATE TABLE receipts ("
    "  package_id TEXT PRIMARY KEY REFERENCES packages(id),"
    "  verdict TEXT NOT NULL,"     /* accepted or rejected */
    "  findings TEXT NOT NULL,"    /* JSON array of the receiver's codes */
    "  received_at TEXT NOT NULL," /* the receiver's time */
    "  receiver TEXT NOT NULL,"    /* the signer's subject CN */
    "  path TEXT NOT NULL UNIQUE," /* .sohoa/receipts/<id>.json, relative to the root */
    "  sha256 TEXT NOT NULL,"      /* of the JSON as signed */
    "  stored_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));",
    /* 7: progress (issue 17). imports: each inventory or plan file taken in (its hash is the
     * version a snapshot names). inventory: the dossiers to digitise, the denominator; a member
     * is known by the CCCD or, without one, the temporary key the dossier folder carries.
     * plan: deadlines per organisation prefix, subject group (0: every group) and measure; a
     * plan import replaces the whole plan. handovers: the paper dossier given to the scan team
     * and given back (CV1361 IV.6). snapshots: the signed aggregates this station exported, its
     * sequence numbers only growing. */
    "CREATE TABLE imports ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('inventory', 'plan')),"
    "  source TEXT NOT NULL," /* the file's name as given */
    "  sha256 TEXT NOT NULL," /* of the file's bytes */
    "  rows INTEGER NOT NULL,"
    "  imported_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE TABLE inventory ("
    "  org_code TEXT NOT NULL,"
    "  member_key TEXT NOT NULL," /* the CCCD, or the temporary key of a member without one */
    "  person_name TEXT NOT NULL,"
    "  subject_group INTEGER NOT NULL CHECK (subject_group BETWEEN 1 AND 4),"
    "  import_id INTEGER NOT NULL REFERENCES imports(id)," /* the import that last wrote it */
    "  PRIMARY KEY (org_code, member_key));"
    "CREATE TABLE plan ("
    "  prefix TEXT NOT NULL," /* an organisation code or a prefix of one: "93", "93.000" */
    "  subject_group INTEGER NOT NULL CHECK (subject_group BETWEEN 0 AND 4),"
    "  measure TEXT NOT NULL CHECK (measure IN ('complete', 'priority1')),"
    "  start_date TEXT NOT NULL," /* YYYY-MM-DD: where the plan line starts */
    "  deadline TEXT NOT NULL,"   /* YYYY-MM-DD: the last day */
    "  import_id INTEGER NOT NULL REFERENCES imports(id),"
    "  PRIMARY KEY (prefix, subject_group, measure));"
    "CREATE TABLE handovers ("
    "  id INTEGER PRIMARY KEY,"
    "  org_code TEXT NOT NULL,"
    "  member_key TEXT NOT NULL,"
    "  direction TEXT NOT NULL CHECK (direction IN ('receive', 'return')),"
    "  pages INTEGER,"      /* the paper pages counted, when they were */
    "  note TEXT,"          /* what the parties noted (missing sheets...) */
    "  forced_reason TEXT," /* a return before the dossier was accepted (--force) */
    "  at TEXT NOT NULL,"
    "  station TEXT NOT NULL,"
    "  operator TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));"
    "CREATE INDEX handovers_by_member ON handovers(org_code, member_key);"
    "CREATE INDEX handovers_by_time ON handovers(at);"
    /* the report's reads (progress/report_count.c), each answered from one index without
     * touching the table: documents by dossier, the last verdict on some bytes, the signature
     * of some bytes, the packages holding a signed copy, failed verdicts by path, dossiers by
     * member */
    "CREATE INDEX documents_by_dossier ON documents(dossier_id, created_at, sha256, type_stt,"
    "  pages);"
    "CREATE INDEX validations_by_sha256_time ON validations(sha256, validated_at, verdict);"
    "CREATE INDEX signatures_by_input_sha256 ON signatures(input_sha256, signed_at,"
    "  output_sha256);"
    "CREATE INDEX package_documents_by_sha256 ON package_documents(sha256, package_id);"
    "CREATE INDEX validations_failed ON validations(path, validated_at) WHERE verdict = 'fail';"
    "CREATE INDEX dossiers_by_member ON dossiers(org_code, cccd);"
    "CREATE TABLE snapshots ("
    "  seq INTEGER PRIMARY KEY,"   /* 1, 2, ...: never reused, never going down */
    "  as_of TEXT NOT NULL,"       /* the time the counts are for */
    "  path TEXT NOT NULL UNIQUE," /* the station's copy, relative to the root */
    "  sha256 TEXT NOT NULL,"      /* of the JSON as signed */
    "  audit_head TEXT NOT NULL,"  /* the audit chain's last hash, anchored outside */
    "  created_at TEXT NOT NULL,"
    "  audit_id INTEGER REFERENCES audit(id));",
    /* 8: the report at scale (issue 17). document_state: each document's facts that the
     * report reads (its last verdict, its first signature and the packages holding its
     * signed copy), kept by triggers on every table they come from, so that no command can
     * forget them and the report reads one row per document in dossier order instead of
     * three searches of 64-character keys (docs/benchmarks.md). newest: the latest time among
     * a row's facts; the report reads this table only when its as-of time is at or after
     * every one (an earlier --as-of takes the searches of migration 7). inventory: the import
     * that first listed a member, so that a re-import does not move "inventoried".
     * clang-format is off here: it cuts strings joined to macros into pieces. */
    // clang-format off
    "CREATE TABLE document_state ("
    "  dossier_id INTEGER NOT NULL,"
    "  document_id INTEGER NOT NULL,"
    "  type_stt INTEGER NOT NULL,"
    "  pages INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  verdict TEXT,"   /* "pass|fail <time>": the last verdict on its bytes, or NULL */
    "  signature TEXT," /* "<first signed_at>|<package id> ...", or NULL when not signed */
    "  newest TEXT NOT NULL,"
    "  PRIMARY KEY (dossier_id, document_id)) WITHOUT ROWID;"
    "CREATE INDEX document_state_by_newest ON document_state(newest);"
    "CREATE INDEX documents_by_sha256 ON documents(sha256);"
    "CREATE INDEX signatures_by_output_sha256 ON signatures(output_sha256, input_sha256);"
    DOCUMENT_STATE_OF("1")
    "CREATE TRIGGER document_state_insert AFTER INSERT ON documents BEGIN "
    DOCUMENT_STATE_OF("d.id = NEW.id") "END;"
    "CREATE TRIGGER document_state_update AFTER UPDATE ON documents BEGIN "
    "  DELETE FROM document_state WHERE dossier_id = OLD.dossier_id AND document_id = OLD.id;"
    DOCUMENT_STATE_OF("d.id = NEW.id") "END;"
    "CREATE TRIGGER document_state_delete AFTER DELETE ON documents BEGIN "
    "  DELETE FROM document_state WHERE dossier_id = OLD.dossier_id AND document_id = OLD.id;"
    "END;"
    "CREATE TRIGGER document_state_verdict AFTER INSERT ON validations BEGIN "
    DOCUMENT_STATE_OF("d.sha256 = NEW.sha256") "END;"
    "CREATE TRIGGER document_state_signature AFTER INSERT ON signatures BEGIN "
    DOCUMENT_STATE_OF("d.sha256 = NEW.input_sha256") "END;"
    "CREATE TRIGGER document_state_package AFTER INSERT ON package_documents BEGIN "
    DOCUMENT_STATE_OF("d.sha256 IN (SELECT s.input_sha256 FROM signatures s"
                      " WHERE s.output_sha256 = NEW.sha256)") "END;"
    "ALTER TABLE inventory ADD COLUMN first_import_id INTEGER REFERENCES imports(id);"
    "UPDATE inventory SET first_import_id = import_id;",
    // clang-format on
};
#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof *MIGRATIONS))
_Static_assert(N_MIGRATIONS == SH_LEDGER_SCHEMA_VERSION, "one migration per schema version");

/* ---- what went wrong, in words an operator can act on ---- */

static char *folder_of(const char *path) { return g_path_get_dirname(path); }

/* Is the disk holding path full (for this user: root may use the reserved blocks)? */
static bool disk_full(const char *path)
{
    char *dir = folder_of(path);
    struct statvfs sv;
    bool full = statvfs(dir, &sv) == 0 && (geteuid() == 0 ? sv.f_bfree : sv.f_bavail) == 0;
    g_free(dir);
    return full;
}

/* Can the ledger not be written here: read-only media, or no permission on it or its folder? */
static bool not_writable(const char *path)
{
    char *dir = folder_of(path);
    struct statvfs sv;
    bool ro = (statvfs(dir, &sv) == 0 && (sv.f_flag & ST_RDONLY)) || access(dir, W_OK) != 0 ||
              (access(path, F_OK) == 0 && access(path, W_OK) != 0);
    g_free(dir);
    return ro;
}

static sh_status db_fail(sh_ledger *l, sh_error *err, const char *what)
{
    int code = sqlite3_errcode(l->db) & 0xff;
    /* The errno of the system call behind an I/O failure (it is not reset by other errors). */
    bool io = code == SQLITE_IOERR || code == SQLITE_CANTOPEN || code == SQLITE_FULL;
    int sys = io ? sqlite3_system_errno(l->db) : 0;
    const char *detail = sqlite3_errmsg(l->db);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return sh_fail(err, SH_INPUT,
                       _("the ledger %s is damaged or is not a sohoa ledger (%s); restore it from "
                         "the backup copy"),
                       l->path, detail);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return sh_fail(err, SH_INTERNAL,
                       _("the ledger %s stayed locked by another sohoa process for %d s; wait for "
                         "it to finish and try again"),
                       l->path, BUSY_TIMEOUT_MS / 1000);
    if (code == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT ||
        ((code == SQLITE_IOERR || code == SQLITE_CANTOPEN) && disk_full(l->path)))
        return sh_fail(err, SH_INTERNAL,
                       _("the disk holding the ledger %s is full; nothing was recorded. Free some "
                         "space on it, then run the command again"),
                       l->path);
    if (code == SQLITE_NOMEM)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    if (code == SQLITE_READONLY || sys == EROFS ||
        ((code == SQLITE_CANTOPEN || code == SQLITE_IOERR || code == SQLITE_PERM ||
          code == SQLITE_AUTH) &&
         not_writable(l->path)))
        return sh_fail(err, SH_INTERNAL,
                       _("the ledger %s cannot be written (read-only media, or no permission to "
                         "write it or its folder); this command records what it does: run it on "
                         "the station's working copy, or ask who looks after the station"),
                       l->path);
    if (code == SQLITE_IOERR || code == SQLITE_CANTOPEN)
        return sh_fail(err, SH_INTERNAL,
                       _("the ledger %s could not be read or written (%s%s%s); check the disk, "
                         "then try again"),
                       l->path, detail, sys ? ": " : "", sys ? g_strerror(sys) : "");
    return sh_fail(err, SH_INTERNAL,
                   _("the ledger %s could not %s (%s); nothing of it was recorded. Run the "
                     "command again; if this comes back, keep the ledger as it is and report it"),
                   l->path, _(what), detail);
}

sh_status sh_ledger_fail(sh_ledger *l, sh_error *err, const char *what)
{
    return db_fail(l, err, what);
}

/* Run SQL; `what` (marked with N_) says in words what it does, for the message. */
static sh_status exec(sh_ledger *l, const char *sql, const char *what, sh_error *err)
{
    if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(l, err, what);
    return SH_OK;
}

/* ---- the schema ---- */

/* One integer from a query; SQLite's code when it failed. */
static int query_int(sh_ledger *l, const char *sql, int *value)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(l->db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            *value = sqlite3_column_int(q, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(q);
    return rc;
}

static int read_user_version(sh_ledger *l)
{
    int v = -1;
    return query_int(l, "PRAGMA user_version", &v) == SQLITE_OK ? v : -1;
}

/* Before anything is written: the file holds a sohoa ledger this sohoa can read. A new, empty
 * database is accepted only when `fresh_ok` (sohoa init). */
static sh_status check_schema(sh_ledger *l, bool fresh_ok, sh_error *err)
{
    int v = -1, tables = -1;
    if (query_int(l, "PRAGMA user_version", &v) != SQLITE_OK ||
        query_int(l, "SELECT count(*) FROM sqlite_master", &tables) != SQLITE_OK)
        return db_fail(l, err, N_("read the ledger's schema"));
    if (v == 0 && !(fresh_ok && tables == 0))
        return sh_fail(err, SH_INPUT,
                       _("the ledger %s holds no sohoa records (no schema): it is not the "
                         "workspace's ledger any more. Restore it from the backup copy before "
                         "going on; only \"sohoa init\" makes a new one"),
                       l->path);
    if (v > SH_LEDGER_SCHEMA_VERSION)
        return sh_fail(err, SH_INPUT,
                       _("the ledger %s was written by a newer sohoa (schema %d, this one knows "
                         "up to %d); install that version"),
                       l->path, v, SH_LEDGER_SCHEMA_VERSION);
    return SH_OK;
}

static sh_status migrate(sh_ledger *l, sh_error *err)
{
    /* Under the write lock, so that two processes opening a new ledger migrate it once. */
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    int v = read_user_version(l);
    if (v < 0) {
        sh_ledger_rollback(l);
        return db_fail(l, err, N_("read the ledger's schema"));
    }
    for (; v < SH_LEDGER_SCHEMA_VERSION; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if ((st = exec(l, MIGRATIONS[v], N_("bring the ledger's schema up to date"), err)) !=
                SH_OK ||
            (st = exec(l, pragma, N_("bring the ledger's schema up to date"), err)) != SH_OK) {
            sh_ledger_rollback(l);
            return st;
        }
    }
    return sh_ledger_commit(l, err);
}

/* ---- opening ---- */

/* An existing workspace's ledger is there and not empty: only "sohoa init" makes one, so a
 * missing or truncated ledger is never silently replaced by a new, empty chain. */
static sh_status check_present(const char *path, sh_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return sh_fail(err, SH_INPUT,
                           _("the ledger %s is missing; restore it from the backup copy before "
                             "going on (only \"sohoa init\" makes a new ledger)"),
                           path);
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot open the ledger %s"), path);
    }
    if (!S_ISREG(sb.st_mode))
        return sh_fail(err, SH_INPUT, _("the ledger %s is not a regular file"), path);
    if (sb.st_size == 0)
        return sh_fail(err, SH_INPUT,
                       _("the ledger %s is empty (0 bytes): the records it held are gone from "
                         "this disk. Restore it from the backup copy before going on; nothing "
                         "was changed"),
                       path);
    return SH_OK;
}

static sh_ledger *ledger_new(const char *path, sh_error *err)
{
    sh_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path))) {
        free(l);
        sh_fail(err, SH_INTERNAL, _("out of memory"));
        return NULL;
    }
    return l;
}

static sh_status open_db(sh_ledger *l, const char *name, int flags, sh_error *err)
{
    if (sqlite3_open_v2(name, &l->db, flags, NULL) != SQLITE_OK) {
        if (!l->db)
            return sh_fail(err, SH_INTERNAL, _("out of memory"));
        return db_fail(l, err, N_("open the ledger"));
    }
    sqlite3_extended_result_codes(l->db, 0);
    sqlite3_busy_timeout(l->db, BUSY_TIMEOUT_MS);
    return SH_OK;
}

sh_status sh_ledger_open(const char *path, bool create, sh_ledger **out, sh_error *err)
{
    *out = NULL;
    sh_status st = create ? SH_OK : check_present(path, err);
    if (st != SH_OK)
        return st;
    sh_ledger *l = ledger_new(path, err);
    if (!l)
        return SH_INTERNAL;
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    st = open_db(l, path, flags, err);
    if (st == SH_OK && sqlite3_db_readonly(l->db, "main") == 1)
        st = sh_fail(err, SH_INTERNAL,
                     _("the ledger %s cannot be written (read-only media, or no permission to "
                       "write it or its folder); this command records what it does: run it on "
                       "the station's working copy, or ask who looks after the station"),
                     path);
    if (st == SH_OK)
        st = check_schema(l, create, err);
    /* synchronous=FULL: an audit entry that was reported written survives a power cut. */
    if (st == SH_OK)
        st = exec(l,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                  "PRAGMA foreign_keys = ON;",
                  N_("open the ledger"), err);
    if (st == SH_OK)
        st = migrate(l, err);
    if (st != SH_OK) {
        sh_ledger_close(l);
        return st;
    }
    *out = l;
    return SH_OK;
}

/* file:PATH?PARAMS as an SQLite URI: the characters with a meaning there escaped. */
static char *file_uri(const char *path, const char *params)
{
    GString *u = g_string_new("file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            g_string_append_printf(u, "%%%02X", (unsigned char)*p);
        else
            g_string_append_c(u, *p);
    }
    g_string_append_printf(u, "?%s", params);
    return g_string_free(u, FALSE);
}

/* Copy one file into dir under the same base name, streaming (a ledger may be large). */
static bool copy_into(const char *from, const char *dir)
{
    char *base = g_path_get_basename(from), *to = g_build_filename(dir, base, NULL);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = in >= 0 && out >= 0;
    char *buf = g_malloc(256 * 1024);
    while (ok) {
        ssize_t n = read(in, buf, 256 * 1024);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        for (ssize_t done = 0; ok && done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            ok = w > 0;
            done += ok ? w : 0;
        }
    }
    g_free(buf);
    if (out >= 0 && close(out) != 0)
        ok = false;
    if (in >= 0)
        close(in);
    g_free(base);
    g_free(to);
    return ok;
}

static void remove_copy(sh_ledger *l)
{
    if (!l->copy_dir)
        return;
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    char *base = g_path_get_basename(l->path);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char *p = g_strdup_printf("%s/%s%s", l->copy_dir, base, suffixes[i]);
        g_unlink(p);
        g_free(p);
    }
    g_free(base);
    g_rmdir(l->copy_dir);
    g_free(l->copy_dir);
    l->copy_dir = NULL;
}

static void close_db(sh_ledger *l)
{
    sqlite3_close_v2(l->db);
    l->db = NULL;
}

/* Open for reading, and check that a query can run (SQLite opens lazily). */
static int try_read(sh_ledger *l, const char *name)
{
    int rc = sqlite3_open_v2(name, &l->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(l->db, 0);
        sqlite3_busy_timeout(l->db, BUSY_TIMEOUT_MS);
        int v;
        rc = query_int(l, "PRAGMA user_version", &v);
    }
    return rc;
}

static off_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

sh_status sh_ledger_open_readonly(const char *path, sh_ledger **out, sh_error *err)
{
    *out = NULL;
    sh_status st = check_present(path, err);
    if (st != SH_OK)
        return st;
    sh_ledger *l = ledger_new(path, err);
    if (!l)
        return SH_INTERNAL;
    l->read_only = true;
    char *uri = file_uri(path, "mode=ro");
    int rc = try_read(l, uri);
    g_free(uri);
    if (rc == SQLITE_CANTOPEN || rc == SQLITE_IOERR || rc == SQLITE_FULL || rc == SQLITE_READONLY) {
        /* Read-only media (or a full disk): WAL needs the -shm file, which cannot be made
         * there. Without a WAL file the database is all in the main file, which can be read as
         * it is; with one, its committed transactions count too, so both files are read from a
         * private copy. */
        close_db(l);
        char *wal = g_strconcat(path, "-wal", NULL);
        off_t wal_size = file_size(wal);
        if (wal_size <= 0) {
            uri = file_uri(path, "immutable=1");
            rc = try_read(l, uri);
            g_free(uri);
        } else if ((l->copy_dir = g_dir_make_tmp("sohoa-ledger-XXXXXX", NULL)) &&
                   copy_into(path, l->copy_dir) && copy_into(wal, l->copy_dir)) {
            char *base = g_path_get_basename(path);
            char *copy = g_build_filename(l->copy_dir, base, NULL);
            uri = file_uri(copy, "mode=ro");
            sh_debug("reading a private copy of %s and its WAL in %s", path, l->copy_dir);
            rc = try_read(l, uri);
            g_free(uri);
            g_free(copy);
            g_free(base);
        } else {
            g_free(wal);
            st = sh_fail(err, SH_INTERNAL,
                         _("the ledger %s is on read-only media with unfinished writes beside it "
                           "(%s-wal); they could not be copied to a temporary folder to be "
                           "read: free some space there (TMPDIR), then try again"),
                         path, path);
            sh_ledger_close(l);
            return st;
        }
        g_free(wal);
    }
    if (rc != SQLITE_OK)
        st = db_fail(l, err, N_("read the ledger"));
    if (st == SH_OK)
        st = check_schema(l, false, err);
    if (st != SH_OK) {
        sh_ledger_close(l);
        return st;
    }
    *out = l;
    return SH_OK;
}

bool sh_ledger_is_readonly(const sh_ledger *l) { return l->read_only; }

bool sh_ledger_writable(const char *path) { return !not_writable(path); }

void sh_ledger_close(sh_ledger *l)
{
    if (!l)
        return;
    if (l->db && !l->read_only)
        sh_publish_flush_(l);
    if (l->done_intents)
        g_array_free(l->done_intents, TRUE);
    close_db(l);
    remove_copy(l);
    free(l->path);
    free(l);
}

int sh_ledger_schema_version(sh_ledger *l) { return read_user_version(l); }
GArray *sh_ledger_done_intents_(sh_ledger *l)
{
    if (!l->done_intents)
        l->done_intents = g_array_new(FALSE, FALSE, sizeof(int64_t));
    return l->done_intents;
}
struct sqlite3 *sh_ledger_db(sh_ledger *l) { return l->db; }

sh_status sh_ledger_begin(sh_ledger *l, sh_error *err)
{
    if (l->read_only)
        return sh_fail(err, SH_INTERNAL, "ledger %s opened read-only: no write transaction",
                       l->path);
    return exec(l, "BEGIN IMMEDIATE", N_("start recording"), err);
}
sh_status sh_ledger_begin_read(sh_ledger *l, sh_error *err)
{
    return exec(l, "BEGIN", N_("read the ledger"), err);
}
sh_status sh_ledger_commit(sh_ledger *l, sh_error *err)
{
    sh_status st = exec(l, "COMMIT", N_("save what was recorded"), err);
    if (st != SH_OK)
        sh_ledger_rollback(l);
    return st;
}
void sh_ledger_rollback(sh_ledger *l)
{
    if (!sqlite3_get_autocommit(l->db))
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}
