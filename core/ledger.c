/* The SQLite ledger: WAL, busy timeout, forward-only schema migrations. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct sh_ledger {
    sqlite3 *db;
    char *path;
    GArray *done_intents; /* int64 ids of published files' intents, deleted lazily (publish.c) */
};

/* Long enough for another process to finish a batch of writes; short enough that a stuck
 * process is reported instead of hanging a scan team forever. */
#define BUSY_TIMEOUT_MS 30000

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
};
#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof *MIGRATIONS))
_Static_assert(N_MIGRATIONS == SH_LEDGER_SCHEMA_VERSION, "one migration per schema version");

static sh_status db_fail(sh_ledger *l, sh_error *err, const char *what)
{
    int code = sqlite3_errcode(l->db);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return sh_fail(err, SH_INPUT,
                       _("the ledger %s is damaged or is not a sohoa ledger (%s); restore it from "
                         "the backup copy"),
                       l->path, sqlite3_errmsg(l->db));
    if (code == SQLITE_BUSY)
        return sh_fail(err, SH_INTERNAL,
                       _("the ledger %s stayed locked by another sohoa process for %d s; wait for "
                         "it to finish and try again"),
                       l->path, BUSY_TIMEOUT_MS / 1000);
    if (code == SQLITE_FULL)
        return sh_fail(err, SH_INTERNAL, _("the disk holding %s is full"), l->path);
    return sh_fail(err, SH_INTERNAL, _("ledger %s: %s: %s"), l->path, what, sqlite3_errmsg(l->db));
}

static sh_status exec(sh_ledger *l, const char *sql, sh_error *err)
{
    if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(l, err, sql);
    return SH_OK;
}

static int read_user_version(sh_ledger *l)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
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
        return db_fail(l, err, "PRAGMA user_version");
    }
    if (v > SH_LEDGER_SCHEMA_VERSION) {
        sh_ledger_rollback(l);
        return sh_fail(err, SH_INPUT,
                       _("the ledger %s was written by a newer sohoa (schema %d, this one knows "
                         "up to %d); install that version"),
                       l->path, v, SH_LEDGER_SCHEMA_VERSION);
    }
    for (; v < SH_LEDGER_SCHEMA_VERSION; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if ((st = exec(l, MIGRATIONS[v], err)) != SH_OK || (st = exec(l, pragma, err)) != SH_OK) {
            sh_ledger_rollback(l);
            return st;
        }
    }
    return sh_ledger_commit(l, err);
}

sh_status sh_ledger_open(const char *path, bool create, sh_ledger **out, sh_error *err)
{
    *out = NULL;
    sh_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path))) {
        free(l);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &l->db, flags, NULL) != SQLITE_OK) {
        sh_status st = sh_fail(err, SH_INPUT, _("cannot open the ledger %s: %s"), path,
                               l->db ? sqlite3_errmsg(l->db) : "out of memory");
        sh_ledger_close(l);
        return st;
    }
    sqlite3_extended_result_codes(l->db, 0);
    sqlite3_busy_timeout(l->db, BUSY_TIMEOUT_MS);
    /* synchronous=FULL: an audit entry that was reported written survives a power cut. */
    sh_status st = exec(l,
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                        "PRAGMA foreign_keys = ON;",
                        err);
    if (st == SH_OK)
        st = migrate(l, err);
    if (st != SH_OK) {
        sh_ledger_close(l);
        return st;
    }
    *out = l;
    return SH_OK;
}

void sh_ledger_close(sh_ledger *l)
{
    if (!l)
        return;
    sh_publish_flush_(l);
    if (l->done_intents)
        g_array_free(l->done_intents, TRUE);
    sqlite3_close_v2(l->db);
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

sh_status sh_ledger_begin(sh_ledger *l, sh_error *err) { return exec(l, "BEGIN IMMEDIATE", err); }
sh_status sh_ledger_begin_read(sh_ledger *l, sh_error *err) { return exec(l, "BEGIN", err); }
sh_status sh_ledger_commit(sh_ledger *l, sh_error *err)
{
    sh_status st = exec(l, "COMMIT", err);
    if (st != SH_OK)
        sh_ledger_rollback(l);
    return st;
}
void sh_ledger_rollback(sh_ledger *l)
{
    if (!sqlite3_get_autocommit(l->db))
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Shared with audit.c, which needs the same error wording. */
sh_status sh_ledger_fail_(sh_ledger *l, sh_error *err, const char *what)
{
    return db_fail(l, err, what);
}
