/* The receiver's receipts at the station (upload.h, up_receipt_store): parsed strictly
 * (receipt_read.c), the detached signature verified against receiver_trust, matched against
 * the package as this ledger packed it (every volume's SHA-256), then stored with core's
 * publish-and-record protocol: .sohoa/receipts/<id>.json and .json.p7s become visible only once
 * the receipts row and the audit entry "receipt.store" are committed.
 *
 * A stored rejected receipt that an accepted one replaces is kept beside it, renamed
 * <id>.rejected-<first 12 hex digits of its SHA-256>.json (and .json.p7s), named in the audit
 * entry; the rename is done inside the write transaction and undone when it fails. */
#include "receipt_impl.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <sqlite3.h>

#define RECEIPTS_DIR SH_WORKSPACE_STATE_DIR "/receipts"

/* ---- the package as the ledger has it ---- */

typedef struct {
    char sha256[SH_SHA256_HEX_LEN + 1];
    int64_t bytes;
    char *path; /* relative to the root */
} packed_volume;

typedef struct {
    bool known;
    char *org;
    int volumes;
    packed_volume *vol; /* [volume - 1] */
    bool has_receipt, stored_accepted;
    char stored_sha256[SH_SHA256_HEX_LEN + 1];
    char *stored_path; /* relative */
    char *stored_received_at;
} ledger_view;

static void view_clear(ledger_view *v)
{
    for (int i = 0; i < v->volumes && v->vol; i++)
        g_free(v->vol[i].path);
    g_free(v->vol);
    g_free(v->org);
    g_free(v->stored_path);
    g_free(v->stored_received_at);
    memset(v, 0, sizeof *v);
}

static char *col_dup(sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    return g_strdup(t ? (const char *)t : "");
}

static int load_package(sqlite3 *db, const char *id, ledger_view *v)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT org_code, volumes FROM packages WHERE id = ?1", -1, &q,
                           NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        v->known = true;
        v->org = col_dup(q, 0);
        int n = sqlite3_column_int(q, 1);
        v->volumes = n > 0 && n <= 9999 ? n : 0;
        v->vol = g_new0(packed_volume, v->volumes ? v->volumes : 1);
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(q);
    return rc;
}

static int load_volumes(sqlite3 *db, const char *id, ledger_view *v)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT volume, sha256, bytes, path FROM package_volumes"
                           " WHERE package_id = ?1",
                           -1, &q, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int k = sqlite3_column_int(q, 0);
        if (k < 1 || k > v->volumes)
            continue;
        packed_volume *pv = &v->vol[k - 1];
        g_strlcpy(pv->sha256, (const char *)sqlite3_column_text(q, 1), sizeof pv->sha256);
        pv->bytes = sqlite3_column_int64(q, 2);
        g_free(pv->path);
        pv->path = col_dup(q, 3);
    }
    sqlite3_finalize(q);
    return rc;
}

static int load_receipt(sqlite3 *db, const char *id, ledger_view *v)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT verdict, sha256, path, received_at FROM receipts"
                           " WHERE package_id = ?1",
                           -1, &q, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        v->has_receipt = true;
        v->stored_accepted = strcmp((const char *)sqlite3_column_text(q, 0), "accepted") == 0;
        g_strlcpy(v->stored_sha256, (const char *)sqlite3_column_text(q, 1),
                  sizeof v->stored_sha256);
        v->stored_path = col_dup(q, 2);
        v->stored_received_at = col_dup(q, 3);
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(q);
    return rc;
}

/* Inside a transaction. */
static sh_status load_view(sh_ledger *l, const char *id, ledger_view *v, sh_error *err)
{
    sqlite3 *db = sh_ledger_db(l);
    view_clear(v);
    int rc = load_package(db, id, v);
    if (rc == SQLITE_DONE && v->known)
        rc = load_volumes(db, id, v);
    if (rc == SQLITE_DONE && v->known)
        rc = load_receipt(db, id, v);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, N_("read the package's receipt"));
}

/* ---- the receipt against the package ---- */

/* The volume a receipt's entry without a number is (the receiver could not read it far
 * enough): the packed volume with its SHA-256, or 0. */
static int64_t volume_of_digest(const ledger_view *v, const char *sha256)
{
    for (int k = 0; k < v->volumes; k++)
        if (strcmp(v->vol[k].sha256, sha256) == 0)
            return k + 1;
    return 0;
}

static sh_status check_volume(const char *src, const up_receipt *rc, const ledger_view *v,
                              const up_rc_volume *entry, bool *seen, sh_error *err)
{
    up_rc_volume numbered = *entry;
    const up_rc_volume *rv = &numbered;
    if (!rv->sha256[0])
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s says the receiver could not read the file %s of "
                         "package %s: send that package's volumes again (sohoa upload, or "
                         "sohoa export), or ask the receiver"),
                       src, rv->file, rc->package);
    if (rv->volume == 0) {
        numbered.volume = volume_of_digest(v, rv->sha256);
        numbered.of = v->volumes;
    }
    if (rv->volume == 0)
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s says the receiver got the file %s with SHA-256 %s "
                         "(%lld bytes), which is no volume of package %s as packed: the "
                         "receiver got other bytes. Send the package's volumes again (sohoa "
                         "upload, or sohoa export), or ask the receiver"),
                       src, rv->file, rv->sha256, (long long)rv->bytes, rc->package);
    if (rv->of != v->volumes || rv->volume > v->volumes)
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s lists volume %lld of %lld of package %s, which has %d "
                         "volumes here: it is not a receipt for what this station packed; ask "
                         "the receiver"),
                       src, (long long)rv->volume, (long long)rv->of, rc->package, v->volumes);
    const packed_volume *pv = &v->vol[rv->volume - 1];
    if (seen[rv->volume - 1])
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s lists volume %lld of package %s twice: ask the "
                         "receiver"),
                       src, (long long)rv->volume, rc->package);
    seen[rv->volume - 1] = true;
    if (strcmp(pv->sha256, rv->sha256) != 0 || pv->bytes != rv->bytes)
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s says the receiver got volume %lld of package %s with "
                         "SHA-256 %s (%lld bytes), but %s was packed with SHA-256 %s (%lld "
                         "bytes): the receiver got other bytes. Send the volume again (sohoa "
                         "upload, or sohoa export), or ask the receiver"),
                       src, (long long)rv->volume, rc->package, rv->sha256, (long long)rv->bytes,
                       pv->path, pv->sha256, (long long)pv->bytes);
    return SH_OK;
}

static sh_status check_against(const char *src, const up_receipt *rc, const ledger_view *v,
                               sh_error *err)
{
    if (!v->known)
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s is for package %s, which this workspace never packed: "
                         "import it in the workspace that packed it, or ask the receiver"),
                       src, rc->package);
    if (rc->organisation && strcmp(rc->organisation, v->org) != 0)
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s names the organisation %s, but package %s was packed "
                         "for %s: ask the receiver"),
                       src, rc->organisation, rc->package, v->org);
    bool *seen = g_new0(bool, v->volumes ? v->volumes : 1);
    sh_status st = SH_OK;
    for (size_t i = 0; i < rc->n_volumes && st == SH_OK; i++)
        st = check_volume(src, rc, v, &rc->volumes[i], seen, err);
    for (int k = 0; k < v->volumes && st == SH_OK; k++)
        if (!seen[k])
            st = sh_fail(err, SH_FINDINGS,
                         _("the receipt %s does not list volume %d of %d of package %s (%s): "
                           "the receiver has not got it. Send it (sohoa upload, or sohoa "
                           "export), then bring the new receipt"),
                         src, k + 1, v->volumes, rc->package, v->vol[k].path);
    g_free(seen);
    return st;
}

/* ---- the signature ---- */

static sh_status check_signature(const up_receipt_options *o, const char *src, const uint8_t *json,
                                 size_t json_len, const uint8_t *p7s, size_t p7s_len,
                                 const up_receipt *rc, char **signer_cn, sh_error *err)
{
    sg_detached_report rep = {0};
    sh_status st = sg_verify_detached(p7s, p7s_len, json, json_len, o->trust, &rep, err);
    if (st != SH_OK)
        return st;
    const char *cn = rep.signer_cn ? rep.signer_cn : "?";
    if (rep.state == SG_SIG_UNTRUSTED)
        st = sh_fail(err, SH_FINDINGS,
                     _("the receipt %s is signed by \"%s\", a key that [upload] receiver_trust "
                       "does not trust: check receiver_trust in sohoa.ini (or --trust), or ask "
                       "the receiver which CA signs its receipts"),
                     src, cn);
    else if (rep.state != SG_SIG_VALID)
        st = sh_fail(err, SH_FINDINGS,
                     _("the receipt %s does not match its signature (%s): it was changed or "
                       "damaged on the way, or is not the receiver's; fetch it again (both "
                       "files), or ask the receiver"),
                     src, rep.problem ? rep.problem : "?");
    else if (strcmp(rep.cert_sha256, rc->receiver_cert_sha256) != 0)
        st = sh_fail(err, SH_FINDINGS,
                     _("the receipt %s names a receiver certificate other than the one that "
                       "signed it (\"%s\"): ask the receiver"),
                     src, cn);
    if (st == SH_OK)
        *signer_cn = g_strdup(cn);
    sg_detached_report_clear(&rep);
    return st;
}

/* ---- what to do ---- */

typedef enum {
    D_STORE,    /* no receipt yet */
    D_REPLACE,  /* the stored one is rejected, this one accepted */
    D_SAME,     /* this very receipt is stored */
    D_KEEP,     /* another receipt with the same verdict is stored: it stays */
    D_CONFLICT, /* the stored one is accepted, this one rejected */
} decision;

static decision decide(const ledger_view *v, const up_receipt *rc, const char *sha256)
{
    if (!v->has_receipt)
        return D_STORE;
    if (strcmp(v->stored_sha256, sha256) == 0)
        return D_SAME;
    if (v->stored_accepted == rc->accepted)
        return D_KEEP;
    return rc->accepted ? D_REPLACE : D_CONFLICT;
}

/* ---- the report, valid until the next call ---- */

static struct {
    char *package, *org, *receiver, *path;
    char **findings;
} last;

static void fill_report(up_receipt_report *r, const up_receipt *rc, const ledger_view *v,
                        const char *root, const char *rel, const char *sha256, const char *cn,
                        bool stored_now)
{
    g_free(last.package);
    g_free(last.org);
    g_free(last.receiver);
    g_free(last.path);
    g_strfreev(last.findings);
    last.package = g_strdup(rc->package);
    last.org = g_strdup(v->org);
    last.receiver = g_strdup(cn);
    last.path = g_build_filename(root, rel, NULL);
    last.findings = g_strdupv(rc->findings);
    memset(r, 0, sizeof *r);
    r->package = last.package;
    r->org = last.org;
    r->accepted = rc->accepted;
    r->findings = (const char *const *)last.findings;
    r->receiver = last.receiver;
    r->path = last.path;
    g_strlcpy(r->sha256, sha256, sizeof r->sha256);
    r->stored_now = stored_now;
}

/* ---- storing ---- */

typedef struct {
    const up_receipt_options *o;
    const char *source;
    const up_receipt *rc;
    const char *signer_cn;
    char sha256[SH_SHA256_HEX_LEN + 1];     /* of the JSON */
    char p7s_sha256[SH_SHA256_HEX_LEN + 1]; /* of its signature */
    char *rel_json, *rel_p7s;               /* .sohoa/receipts/<id>.json(.p7s) */
    char *kept_json, *kept_p7s;             /* absolute: where a replaced receipt goes */
    sh_atomic_file *f_json, *f_p7s;         /* sealed */
    int64_t i_json, i_p7s;
    bool moved; /* the replaced receipt was renamed aside in this transaction */
} storing;

static sh_status seal(const char *path, const uint8_t *data, size_t len, sh_atomic_file **f,
                      sh_error *err)
{
    *f = sh_atomic_open(path, 0, err);
    if (!*f)
        return err->status;
    sh_status st = sh_atomic_write(*f, data, len, err);
    if (st == SH_OK)
        st = sh_atomic_seal(*f, err);
    return st;
}

static sh_status seal_both(storing *s, const uint8_t *json, size_t json_len, const uint8_t *p7s,
                           size_t p7s_len, sh_error *err)
{
    const char *root = s->o->ws->root;
    char *dir = g_build_filename(root, RECEIPTS_DIR, NULL);
    sh_status st = SH_OK;
    if (g_mkdir_with_parents(dir, 0755) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot make the folder %s"), dir);
    g_free(dir);
    char *json_path = g_build_filename(root, s->rel_json, NULL);
    char *p7s_path = g_build_filename(root, s->rel_p7s, NULL);
    if (st == SH_OK)
        st = seal(json_path, json, json_len, &s->f_json, err);
    if (st == SH_OK)
        st = seal(p7s_path, p7s, p7s_len, &s->f_p7s, err);
    g_free(json_path);
    g_free(p7s_path);
    return st;
}

static char *audit_details(const storing *s, const ledger_view *v, decision d)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "package", s->rc->package);
    sh_json_kv_str(j, "verdict", s->rc->verdict);
    sh_json_kv_str(j, "sha256", s->sha256);
    sh_json_kv_str(j, "source", s->source);
    sh_json_kv_str(j, "path", s->rel_json);
    sh_json_kv_str(j, "receiver", s->signer_cn);
    if (d == D_REPLACE) {
        sh_json_kv_object(j, "replaces");
        sh_json_kv_str(j, "verdict", "rejected");
        sh_json_kv_str(j, "sha256", v->stored_sha256);
        sh_json_kv_str(j, "kept_as", s->kept_json + strlen(s->o->ws->root) + 1);
        sh_json_end_object(j);
    }
    sh_json_end_object(j);
    char *out = g_strdup(sh_json_finish(j, NULL));
    sh_json_free(j);
    return out;
}

static char *findings_json(const up_receipt *rc)
{
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    for (size_t i = 0; i < rc->n_findings; i++)
        sh_json_string(j, rc->findings[i]);
    sh_json_end_array(j);
    char *out = g_strdup(sh_json_finish(j, NULL));
    sh_json_free(j);
    return out;
}

static sh_status write_row(storing *s, decision d, int64_t audit_id, sh_error *err)
{
    sh_ledger *l = s->o->ledger;
    char now[32];
    sh_utc_now(now);
    char *findings = findings_json(s->rc);
    const char *sql =
        d == D_REPLACE
            ? "UPDATE receipts SET verdict = ?2, findings = ?3, received_at = ?4, receiver = ?5,"
              " path = ?6, sha256 = ?7, stored_at = ?8, audit_id = ?9 WHERE package_id = ?1"
            : "INSERT INTO receipts (package_id, verdict, findings, received_at, receiver, path,"
              " sha256, stored_at, audit_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(sh_ledger_db(l), sql, -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, s->rc->package, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, s->rc->verdict, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, findings, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, s->rc->received_at, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, s->signer_cn, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, s->rel_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 7, s->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 8, now, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 9, audit_id);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    g_free(findings);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, N_("record the receipt"));
}

/* The replaced receipt renamed aside, so that its name is free for the new one. A run killed
 * after this and before its commit left it aside already: nothing to do then. */
static sh_status move_aside(storing *s, sh_error *err)
{
    const char *root = s->o->ws->root;
    char *json = g_build_filename(root, s->rel_json, NULL);
    char *p7s = g_build_filename(root, s->rel_p7s, NULL);
    sh_status st = SH_OK;
    if (g_file_test(p7s, G_FILE_TEST_EXISTS))
        st = sh_rename_noreplace(p7s, s->kept_p7s, err);
    if (st == SH_OK && g_file_test(json, G_FILE_TEST_EXISTS))
        st = sh_rename_noreplace(json, s->kept_json, err);
    s->moved = st == SH_OK;
    g_free(json);
    g_free(p7s);
    return st;
}

/* The transaction failed: the replaced receipt goes back under its name. */
static void move_back(storing *s)
{
    if (!s->moved)
        return;
    const char *root = s->o->ws->root;
    char *json = g_build_filename(root, s->rel_json, NULL);
    char *p7s = g_build_filename(root, s->rel_p7s, NULL);
    if (g_file_test(s->kept_json, G_FILE_TEST_EXISTS))
        SH_IGNORE_RESULT(sh_rename_noreplace(s->kept_json, json, NULL)); /* best effort */
    if (g_file_test(s->kept_p7s, G_FILE_TEST_EXISTS))
        SH_IGNORE_RESULT(sh_rename_noreplace(s->kept_p7s, p7s, NULL));
    s->moved = false;
    g_free(json);
    g_free(p7s);
}

static sh_status record(storing *s, const ledger_view *v, decision d, sh_error *err)
{
    sh_ledger *l = s->o->ledger;
    char *details = audit_details(s, v, d);
    int64_t audit_id = 0;
    sh_status st =
        sh_audit_append(l, s->o->actor, "receipt.store", v->org, details, &audit_id, err);
    g_free(details);
    if (st == SH_OK)
        st = write_row(s, d, audit_id, err);
    if (st == SH_OK && d == D_REPLACE)
        st = move_aside(s, err);
    if (st == SH_OK)
        st = sh_publish_intend(l, s->o->ws->root, s->f_p7s, s->p7s_sha256, &s->i_p7s, err);
    if (st == SH_OK)
        st = sh_publish_intend(l, s->o->ws->root, s->f_json, s->sha256, &s->i_json, err);
    return st;
}

/* Where the stored rejected receipt of SHA-256 stored_sha256 is kept once replaced. */
static void kept_names(storing *s, const char *stored_sha256)
{
    g_free(s->kept_json);
    g_free(s->kept_p7s);
    s->kept_json = g_strdup_printf("%s/" RECEIPTS_DIR "/%s.rejected-%.12s.json", s->o->ws->root,
                                   s->rc->package, stored_sha256);
    s->kept_p7s = g_strconcat(s->kept_json, ".p7s", NULL);
}

/* Names of a receipt and of its copy kept aside. */
static void storing_names(storing *s, const char *stored_sha256)
{
    s->rel_json = g_strdup_printf(RECEIPTS_DIR "/%s.json", s->rc->package);
    s->rel_p7s = g_strconcat(s->rel_json, ".p7s", NULL);
    kept_names(s, stored_sha256);
}

static void storing_clear(storing *s)
{
    sh_atomic_abort(s->f_json);
    sh_atomic_abort(s->f_p7s);
    g_free(s->rel_json);
    g_free(s->rel_p7s);
    g_free(s->kept_json);
    g_free(s->kept_p7s);
}

/* A run killed between renaming a rejected receipt aside and its commit: the ledger still
 * names it under its own name; put it back. */
static void heal_aside(const up_receipt_options *o, const up_receipt *rc, const ledger_view *v)
{
    if (!v->has_receipt || v->stored_accepted)
        return;
    storing s = {.o = o, .rc = rc};
    storing_names(&s, v->stored_sha256);
    char *json = g_build_filename(o->ws->root, v->stored_path, NULL);
    if (!g_file_test(json, G_FILE_TEST_EXISTS) && g_file_test(s.kept_json, G_FILE_TEST_EXISTS)) {
        s.moved = true;
        move_back(&s);
    }
    g_free(json);
    storing_clear(&s);
}

/* Anything a killed run of this kind left in the receipts folder: its intents completed, its
 * unrecorded temp files removed. */
static sh_status recover(const up_receipt_options *o, const storing *s, sh_error *err)
{
    const char *root = o->ws->root;
    char *json = g_build_filename(root, s->rel_json, NULL);
    char *p7s = g_build_filename(root, s->rel_p7s, NULL);
    sh_status st = SH_OK;
    if (sh_publish_pending(o->ledger, root, json) || sh_publish_pending(o->ledger, root, p7s)) {
        sh_publish_recovery rec;
        st = sh_publish_recover(o->ledger, root, o->actor, &rec, err);
    }
    char *dir = g_build_filename(root, RECEIPTS_DIR, NULL);
    if (st == SH_OK && g_file_test(dir, G_FILE_TEST_IS_DIR))
        SH_IGNORE_RESULT(sh_temp_sweep_dir(o->ledger, root, dir)); /* a count */
    g_free(dir);
    g_free(json);
    g_free(p7s);
    return st;
}

/* The write transaction: decided again on what the ledger holds now (another run may have
 * stored a receipt since the first look); *d says what was done. */
static sh_status commit_store(storing *s, ledger_view *v, decision *d, sh_error *err)
{
    sh_ledger *l = s->o->ledger;
    sh_status st = sh_ledger_begin(l, err);
    if (st == SH_OK)
        st = load_view(l, s->rc->package, v, err);
    if (st == SH_OK) {
        *d = decide(v, s->rc, s->sha256);
        if (*d != D_STORE && *d != D_REPLACE) {
            sh_ledger_rollback(l);
            return SH_OK;
        }
        kept_names(s, v->stored_sha256);
        st = record(s, v, *d, err);
    } else {
        return st;
    }
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    if (st != SH_OK) {
        sh_ledger_rollback(l);
        move_back(s);
    }
    return st;
}

static sh_status publish(storing *s, sh_error *err)
{
    sh_status st = sh_publish_finish(s->o->ledger, s->f_p7s, s->i_p7s, err);
    s->f_p7s = NULL;
    sh_error e2;
    sh_error_clear(&e2);
    sh_status s2 = sh_publish_finish(s->o->ledger, s->f_json, s->i_json, &e2);
    s->f_json = NULL;
    if (st == SH_OK && s2 != SH_OK) {
        st = s2;
        *err = e2;
    }
    return st;
}

static sh_status store(storing *s, const uint8_t *json, size_t json_len, const uint8_t *p7s,
                       size_t p7s_len, ledger_view *v, decision *d, sh_error *err)
{
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(p7s, p7s_len, digest);
    sh_hex(digest, sizeof digest, s->p7s_sha256);
    sh_status st = recover(s->o, s, err);
    if (st == SH_OK)
        st = seal_both(s, json, json_len, p7s, p7s_len, err);
    if (st == SH_OK)
        st = commit_store(s, v, d, err);
    if (st == SH_OK && (*d == D_STORE || *d == D_REPLACE))
        st = publish(s, err);
    /* A name taken by a file the ledger does not know is the operator's to look at. */
    return st == SH_USAGE ? SH_FINDINGS : st;
}

/* What the ledger says, and what to make of it. */
static sh_status judge(const up_receipt_options *o, const char *src, const up_receipt *rc,
                       const char *sha256, ledger_view *v, decision *d, sh_error *err)
{
    /* A server answering /receipts/<id> with another package's receipt is not believed. */
    if (o->expect_package && strcmp(o->expect_package, rc->package) != 0)
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt %s is for package %s, not for %s that was asked for: ask "
                         "the receiver to check its service"),
                       src, rc->package, o->expect_package);
    sh_status st = sh_ledger_begin_read(o->ledger, err);
    if (st == SH_OK) {
        st = load_view(o->ledger, rc->package, v, err);
        sh_ledger_rollback(o->ledger);
    }
    if (st == SH_OK)
        st = check_against(src, rc, v, err);
    if (st == SH_OK) {
        heal_aside(o, rc, v);
        *d = decide(v, rc, sha256);
    }
    return st;
}

static sh_status conflict(const char *src, const up_receipt *rc, const ledger_view *v,
                          sh_error *err)
{
    return sh_fail(err, SH_FINDINGS,
                   _("the receipt %s rejects package %s, but the receiver accepted it before "
                     "(its receipt of %s is stored as %s): the stored receipt stays; ask the "
                     "receiver why"),
                   src, rc->package, v->stored_received_at, v->stored_path);
}

sh_status up_receipt_store(const up_receipt_options *o, const char *source, const uint8_t *json,
                           size_t json_len, const uint8_t *p7s, size_t p7s_len,
                           up_receipt_report *r, sh_error *err)
{
    memset(r, 0, sizeof *r);
    up_receipt rc;
    ledger_view v = {0};
    char *cn = NULL;
    char *what = g_strdup_printf(_("the receipt %s"), source);
    sh_status st = up_receipt_parse((const char *)json, json_len, what, &rc, err);
    g_free(what);
    if (st == SH_FINDINGS) {
        char *inner = g_strdup(err->msg);
        st = sh_fail(err, SH_FINDINGS,
                     _("%s. It is not a receipt sohoa can read: fetch it again, or ask the "
                       "receiver"),
                     inner);
        g_free(inner);
    }
    if (st == SH_OK)
        st = check_signature(o, source, json, json_len, p7s, p7s_len, &rc, &cn, err);
    char sha256[SH_SHA256_HEX_LEN + 1] = "";
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(json, json_len, digest);
    sh_hex(digest, sizeof digest, sha256);
    decision d = D_SAME;
    if (st == SH_OK)
        st = judge(o, source, &rc, sha256, &v, &d, err);
    if (st == SH_OK && (d == D_STORE || d == D_REPLACE)) {
        storing s = {.o = o, .source = source, .rc = &rc, .signer_cn = cn};
        memcpy(s.sha256, sha256, sizeof s.sha256);
        storing_names(&s, v.stored_sha256);
        st = store(&s, json, json_len, p7s, p7s_len, &v, &d, err);
        if (st == SH_OK && (d == D_STORE || d == D_REPLACE))
            fill_report(r, &rc, &v, o->ws->root, s.rel_json, sha256, cn, true);
        storing_clear(&s);
    }
    if (st == SH_OK && d == D_CONFLICT)
        st = conflict(source, &rc, &v, err);
    else if (st == SH_OK && (d == D_SAME || d == D_KEEP))
        fill_report(r, &rc, &v, o->ws->root, v.stored_path, v.stored_sha256, cn, false);
    view_clear(&v);
    up_receipt_clear(&rc);
    g_free(cn);
    return st;
}
