/* sohoa pack, assembled: the options and certificates checked, the key prepared before the
 * secret is asked, what goes in chosen from the ledger (pack_select.c), every signed file
 * hashed and scanned for active content on all cores, the volumes planned at dossier
 * boundaries, written hidden (pack_write.c), then recorded in one transaction and published
 * (core's publish-and-record protocol: no volume is ever visible that the ledger does not know). */
#include "pack_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "pdf/pdf.h"

#define MAX_RECIPIENTS 16

/* ---- the recipients' certificates ---- */

static sh_status load_recipient(const char *path, X509 **out, sh_error *err)
{
    char *pem = NULL;
    size_t len = 0;
    sh_status st = sh_read_file(path, 1u << 20, &pem, &len, err);
    if (st != SH_OK)
        return st;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    free(pem);
    if (!cert)
        return sh_fail(err, SH_INPUT,
                       _("%s is not a PEM certificate: give the receiver's certificate "
                         "(-----BEGIN CERTIFICATE-----)"),
                       path);
    EVP_PKEY *key = X509_get0_pubkey(cert);
    int id = key ? EVP_PKEY_get_base_id(key) : 0;
    char group[32] = "";
    size_t glen = 0;
    bool ok = (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048) ||
              (id == EVP_PKEY_EC &&
               EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &glen) == 1 &&
               strcmp(group, "prime256v1") == 0);
    if (!ok) {
        X509_free(cert);
        return sh_fail(err, SH_INPUT,
                       _("%s: packages are encrypted to RSA keys of 2048 bits or more or to EC "
                         "P-256 keys; this certificate has another key"),
                       path);
    }
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
        sh_warn(_("%s has expired: make sure the receiver can still decrypt with its key"), path);
    uint32_t usage = X509_get_key_usage(cert);
    if (usage != UINT32_MAX && !(usage & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)))
        sh_warn(_("%s is not meant for encryption (its key usage allows neither key "
                  "encipherment nor key agreement): check that it is the receiver's "
                  "encryption certificate"),
                path);
    *out = cert;
    return SH_OK;
}

static void recipients_free(X509 **certs, int n)
{
    for (int i = 0; i < n; i++)
        X509_free(certs[i]);
}

/* ---- checks of the options ---- */

/* path with every symbolic link resolved, for the part that exists (the rest appended as given);
 * free(). NULL when not even its first folder can be resolved. */
static char *resolved(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    char *parent = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    char *out = NULL;
    if (strcmp(parent, path) != 0) {
        char *rp = resolved(parent);
        if (rp) {
            char *joined = g_build_filename(rp, base, NULL);
            out = strdup(joined);
            g_free(joined);
            free(rp);
        }
    }
    g_free(parent);
    g_free(base);
    return out;
}

static sh_status check_options(const up_pack_options *o, sh_error *err)
{
    if (!o->basis || !*o->basis || strpbrk(o->basis, "\r\n") ||
        !sh_utf8_valid(o->basis, strlen(o->basis)))
        return sh_fail(err, SH_USAGE,
                       _("pack: --basis must name the document that authorises this transfer, "
                         "on one line (for example \"Công văn 123-CV/TU ngày 01/12/2026\")"));
    if (o->n_recipients < 1 || o->n_recipients > MAX_RECIPIENTS)
        return sh_fail(err, SH_USAGE,
                       _("pack: give the receiver's certificate with --to CERT.pem (1 to %d, or "
                         "receiver_cert in sohoa.ini)"),
                       MAX_RECIPIENTS);
    if (o->max_volume < (1u << 20))
        return sh_fail(err, SH_USAGE, _("pack: --max-volume must be at least 1 MiB"));
    char *out = resolved(o->out_dir);
    char *root = realpath(o->ws->root, NULL);
    size_t n = root ? strlen(root) : 0;
    bool inside = out && root && strncmp(out, root, n) == 0 && out[n] == '/';
    bool is_root = out && root && strcmp(out, root) == 0;
    free(root);
    free(out);
    if (is_root)
        return sh_fail(err, SH_USAGE,
                       _("pack: --out %s is the workspace itself: packages would mix with the "
                         "organisation folders; name a folder inside it (default: packages)"),
                       o->out_dir);
    if (!inside)
        return sh_fail(err, SH_USAGE,
                       _("pack: the output folder %s is outside the workspace %s: packages are "
                         "recorded in its ledger, so they are written inside it; copy them to a "
                         "medium afterwards"),
                       o->out_dir, o->ws->root);
    return SH_OK;
}

/* The organisation's key, prepared (no secret); sg_signer_unlock_asking unlocks it once there is
 * something to pack. */
static sh_status prepare_signer(const up_pack_options *o, sg_signer **out, sh_error *err)
{
    sg_signer_options so = {.key = o->key};
    return sg_signer_prepare(&so, out, err);
}

/* ---- the hash and content pass, on every core ---- */

typedef struct {
    const char *root;
    up_pack_doc *doc;
    char *problem; /* held back: why */
    sh_status status;
    sh_error err;
} hash_task;

static void hash_one(void *arg)
{
    hash_task *t = arg;
    t->status = up_pack_hash_doc(t->root, t->doc, &t->problem, &t->err);
    if (t->status != SH_OK || t->problem)
        return;
    char *abs = g_build_filename(t->root, t->doc->path, NULL);
    char *found = NULL;
    t->status = pdf_active_content(abs, &found, &t->err);
    if (t->status == SH_OK && found)
        t->problem = g_strdup_printf(_("%s holds active content (%s), which is never sent "
                                       "(pack.active_content): remove it from the dossier, "
                                       "scan the paper again and sign anew"),
                                     abs, found);
    g_free(found);
    g_free(abs);
}

/* Hash every document of org; dossiers with a problem go to held() and are dropped from org.
 * Returns SH_FINDINGS when any was held back, an error when the pass could not run. */
static sh_status hash_org(const up_pack_options *o, sh_pool *pool, up_pack_org *org, int *held,
                          sh_error *err)
{
    int n = 0;
    for (int i = 0; i < org->n_dossiers; i++)
        n += org->dossiers[i].n_docs;
    hash_task *tasks = g_new0(hash_task, n ? n : 1);
    int k = 0;
    sh_status st = SH_OK;
    for (int i = 0; i < org->n_dossiers && st == SH_OK; i++)
        for (int m = 0; m < org->dossiers[i].n_docs && st == SH_OK; m++, k++) {
            tasks[k] = (hash_task){.root = o->ws->root, .doc = &org->dossiers[i].docs[m]};
            st = sh_pool_submit(pool, hash_one, &tasks[k], err);
        }
    sh_pool_wait(pool);
    sh_status worst = st;
    k = 0;
    int kept = 0;
    for (int i = 0; i < org->n_dossiers; i++) {
        up_pack_dossier *d = &org->dossiers[i];
        const char *why = NULL;
        for (int m = 0; m < d->n_docs; m++, k++) {
            hash_task *t = &tasks[k];
            if (!why && t->status != SH_OK)
                why = t->err.msg;
            if (!why && t->problem)
                why = t->problem;
        }
        d->bytes = 0;
        for (int m = 0; m < d->n_docs; m++)
            d->bytes += d->docs[m].bytes;
        if (why) {
            char *folder = g_build_filename(o->ws->root, d->folder, NULL);
            if (o->held)
                o->held(folder, why, o->ctx);
            g_free(folder);
            up_pack_dossier_clear(d);
            (*held)++;
            if (worst == SH_OK)
                worst = SH_FINDINGS;
        } else {
            org->dossiers[kept++] = *d;
        }
    }
    org->n_dossiers = kept;
    for (int i = 0; i < n; i++)
        g_free(tasks[i].problem);
    g_free(tasks);
    return worst;
}

/* ---- volumes ---- */

/* The first dossier of each volume: fill up to max_volume of payload, never split a dossier;
 * one larger than the cap is alone. starts[n_volumes] = n_dossiers. */
static int plan_volumes(const up_pack_org *org, uint64_t max_volume, int *starts)
{
    int n = 0;
    uint64_t used = 0;
    for (int i = 0; i < org->n_dossiers; i++) {
        uint64_t b = org->dossiers[i].bytes;
        if (i == 0 || used + b > max_volume) {
            starts[n++] = i;
            used = 0;
        }
        used += b;
    }
    starts[n] = org->n_dossiers;
    return n;
}

static char *volume_path(const char *dir, const char *id, int k, int n)
{
    return n == 1 ? g_strdup_printf("%s/%s.zip.p7m", dir, id)
                  : g_strdup_printf("%s/%s.part%d-of-%d.zip.p7m", dir, id, k, n);
}

/* ---- one organisation: write, record, publish ---- */

typedef struct {
    int first, count; /* dossiers [first, first + count) of the org */
    int documents;
    bool oversized;
    sh_atomic_file *file;
    char *path;
    up_volume_written w;
    int64_t intent;
} volume;

typedef struct {
    const up_pack_options *o;
    sg_signer *signer;
    X509 **recipients;
    const char *out_dir; /* o->out_dir with its symbolic links resolved, as the root is */
    char station_time[32];
    int64_t unix_time;
    int64_t head_id;
    char head_hash[SH_SHA256_HEX_LEN + 1];
} packer;

static void corrects_of(const up_pack_org *org, GPtrArray *out)
{
    for (int i = 0; i < org->n_dossiers; i++)
        for (char **c = org->dossiers[i].corrects; c && *c; c++) {
            bool seen = false;
            for (guint k = 0; k < out->len && !seen; k++)
                seen = strcmp(g_ptr_array_index(out, k), *c) == 0;
            if (!seen)
                g_ptr_array_add(out, *c);
        }
    g_ptr_array_add(out, NULL);
}

static sh_status audit_head(sh_ledger *l, int64_t *id, char hash[SH_SHA256_HEX_LEN + 1],
                            sh_error *err)
{
    sqlite3_stmt *q = NULL;
    *id = 0;
    hash[0] = '\0';
    if (sqlite3_prepare_v2(sh_ledger_db(l), "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, "audit head");
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        g_strlcpy(hash, (const char *)sqlite3_column_text(q, 1), SH_SHA256_HEX_LEN + 1);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, "audit head");
}

static sh_status write_volumes(packer *p, const up_pack_org *org, const char *id,
                               char *const *corrects, volume *vols, int n, sh_error *err)
{
    const up_pack_options *o = p->o;
    char *dir = g_build_filename(p->out_dir, org->org, NULL);
    sh_status st = SH_OK;
    if (g_mkdir_with_parents(dir, 0755) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot create the folder %s"), dir);
    else
        SH_IGNORE_RESULT(sh_temp_sweep_dir(o->ledger, o->ws->root, dir));
    for (int k = 0; k < n && st == SH_OK; k++) {
        volume *v = &vols[k];
        v->path = volume_path(dir, id, k + 1, n);
        v->file = sh_atomic_open(v->path, SH_ATOMIC_NO_REPLACE | SH_ATOMIC_PRIVATE, err);
        if (!v->file) {
            st = err->status;
            break;
        }
        const up_pack_dossier **ds = g_new(const up_pack_dossier *, v->count);
        for (int i = 0; i < v->count; i++)
            ds[i] = &org->dossiers[v->first + i];
        up_volume_spec spec = {.root = o->ws->root,
                               .package_id = id,
                               .volume = k + 1,
                               .volumes = n,
                               .org = org->org,
                               .source_organization = sg_signer_organisation(p->signer),
                               .station = o->actor->station,
                               .operator_name = o->actor->operator_name,
                               .created_at = p->station_time,
                               .created_unix = p->unix_time,
                               .basis = o->basis,
                               .corrects = corrects,
                               .signer_cert_sha256 = sg_signer_cert_sha256(p->signer),
                               .audit_head_id = p->head_id,
                               .audit_head_hash = p->head_hash,
                               .dossiers = ds,
                               .n_dossiers = v->count};
        st = up_pack_write_volume(&spec, p->signer, p->recipients, o->n_recipients, v->file, &v->w,
                                  err);
        g_free(ds);
        if (st == SH_OK)
            st = sh_atomic_seal(v->file, err);
    }
    g_free(dir);
    return st;
}

static char *audit_details(const packer *p, const up_pack_org *org, const char *id,
                           char *const *corrects, const volume *vols, int n, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "package", id);
    sh_json_kv_str(j, "organisation", org->org);
    sh_json_kv_str(j, "basis", p->o->basis);
    sh_json_kv_array(j, "corrects");
    for (char *const *c = corrects; *c; c++)
        sh_json_string(j, *c);
    sh_json_end_array(j);
    sh_json_kv_array(j, "recipients");
    for (int i = 0; i < p->o->n_recipients; i++) {
        uint8_t md[32];
        unsigned len = 0;
        SH_IGNORE_RESULT(X509_digest(p->recipients[i], EVP_sha256(), md, &len));
        sh_json_begin_object(j);
        sh_json_kv_sha256(j, "cert_sha256", md);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
    sh_json_kv_array(j, "volumes");
    for (int k = 0; k < n; k++) {
        char *rel = g_strdup(vols[k].path + strlen(p->o->ws->root) + 1);
        sh_json_begin_object(j);
        sh_json_kv_str(j, "path", rel);
        sh_json_kv_str(j, "sha256", vols[k].w.sha256);
        sh_json_kv_int(j, "bytes", (int64_t)vols[k].w.bytes);
        sh_json_kv_int(j, "dossiers", vols[k].count);
        sh_json_kv_int(j, "documents", vols[k].documents);
        sh_json_end_object(j);
        g_free(rel);
    }
    sh_json_end_array(j);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, err);
    char *out = text ? g_strdup(text) : NULL;
    sh_json_free(j);
    return out;
}

static sh_status exec_bind(sh_ledger *l, const char *sql, const char *const *text,
                           const int64_t *ints, const char *types, sh_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l), sql, -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, "pack");
    int ti = 0, ii = 0;
    for (int i = 0; types[i]; i++) {
        if (types[i] == 't')
            sqlite3_bind_text(q, i + 1, text[ti++], -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(q, i + 1, ints[ii++]);
    }
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? SH_OK : sh_ledger_fail(l, err, "pack");
}

static sh_status record_rows(packer *p, const up_pack_org *org, const char *id,
                             const char *corrects_json, const volume *vols, int n, int64_t audit_id,
                             sh_error *err)
{
    sh_ledger *l = p->o->ledger;
    const char *pt[] = {id, org->org, p->o->basis, corrects_json, p->station_time};
    int64_t pi[] = {n, audit_id};
    sh_status st = exec_bind(l,
                             "INSERT INTO packages (id, org_code, basis, corrects, created_at, "
                             "volumes, audit_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             pt, pi, "tttttii", err);
    size_t root_len = strlen(p->o->ws->root) + 1;
    for (int k = 0; k < n && st == SH_OK; k++) {
        const volume *v = &vols[k];
        const char *vt[] = {id, v->path + root_len, v->w.sha256};
        int64_t vi[] = {k + 1, (int64_t)v->w.bytes, v->count, v->documents};
        st = exec_bind(l,
                       "INSERT INTO package_volumes (package_id, path, sha256, volume, bytes, "
                       "dossiers, documents) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       vt, vi, "tttiiii", err);
        for (int i = v->first; i < v->first + v->count && st == SH_OK; i++) {
            const up_pack_dossier *d = &org->dossiers[i];
            for (int m = 0; m < d->n_docs && st == SH_OK; m++) {
                const char *dt[] = {id, d->folder, d->docs[m].path, d->docs[m].sha256};
                int64_t di[] = {k + 1};
                st = exec_bind(l,
                               "INSERT INTO package_documents (package_id, dossier, path, "
                               "sha256, volume) VALUES (?, ?, ?, ?, ?)",
                               dt, di, "tttti", err);
            }
        }
    }
    return st;
}

/* One transaction: the package, its volumes and documents, its audit entry, the intents that
 * publish the volume files; then the files renamed into place. */
static sh_status record_and_publish(packer *p, const up_pack_org *org, const char *id,
                                    char *const *corrects, volume *vols, int n, sh_error *err)
{
    sh_ledger *l = p->o->ledger;
    char *details = audit_details(p, org, id, corrects, vols, n, err);
    if (!details)
        return SH_INTERNAL;
    sh_json *cj = sh_json_new();
    sh_json_begin_array(cj);
    for (char *const *c = corrects; *c; c++)
        sh_json_string(cj, *c);
    sh_json_end_array(cj);
    char *corrects_json = g_strdup(sh_json_finish(cj, NULL));
    sh_json_free(cj);
    int64_t audit_id = 0;
    sh_status st = sh_ledger_begin(l, err);
    if (st == SH_OK)
        st = sh_audit_append(l, p->o->actor, "package.pack", org->org, details, &audit_id, err);
    if (st == SH_OK)
        st = record_rows(p, org, id, corrects_json, vols, n, audit_id, err);
    for (int k = 0; k < n && st == SH_OK; k++)
        st = sh_publish_intend(l, p->o->ws->root, vols[k].file, vols[k].w.sha256, &vols[k].intent,
                               err);
    if (st == SH_OK)
        st = sh_ledger_commit(l, err);
    else
        sh_ledger_rollback(l);
    g_free(details);
    g_free(corrects_json);
    if (st != SH_OK)
        return st;
    for (int k = 0; k < n; k++) {
        sh_error e2;
        sh_error_clear(&e2);
        sh_status s2 = sh_publish_finish(l, vols[k].file, vols[k].intent, &e2);
        vols[k].file = NULL;
        if (s2 != SH_OK && st == SH_OK) {
            st = s2;
            *err = e2;
        }
    }
    return st;
}

static void report_volumes(const packer *p, const up_pack_org *org, const char *id,
                           char *const *corrects, const volume *vols, int n, up_pack_summary *sum)
{
    sum->packages++;
    for (int k = 0; k < n; k++) {
        const volume *v = &vols[k];
        sum->volumes++;
        sum->dossiers += v->count;
        sum->documents += v->documents;
        sum->bytes += v->w.bytes;
        up_volume_report r = {.package = id,
                              .org = org->org,
                              .volume = k + 1,
                              .volumes = n,
                              .path = v->path,
                              .bytes = v->w.bytes,
                              .dossiers = v->count,
                              .documents = v->documents,
                              .payload_bytes = v->w.payload_bytes,
                              .corrects = corrects,
                              .oversized = v->oversized};
        memcpy(r.sha256, v->w.sha256, sizeof r.sha256);
        if (p->o->volume)
            p->o->volume(&r, p->o->ctx);
    }
}

static sh_status pack_org(packer *p, const up_pack_org *org, up_pack_summary *sum, sh_error *err)
{
    if (org->n_dossiers == 0)
        return SH_OK;
    int *starts = g_new(int, org->n_dossiers + 1);
    int n = plan_volumes(org, p->o->max_volume, starts);
    volume *vols = g_new0(volume, n);
    for (int k = 0; k < n; k++) {
        vols[k].first = starts[k];
        vols[k].count = starts[k + 1] - starts[k];
        for (int i = vols[k].first; i < starts[k + 1]; i++)
            vols[k].documents += org->dossiers[i].n_docs;
        vols[k].oversized = org->dossiers[vols[k].first].bytes > p->o->max_volume;
    }
    g_free(starts);
    char id[UP_PACKAGE_ID_LEN + 1];
    GPtrArray *corrects = g_ptr_array_new();
    corrects_of(org, corrects);
    char *const *cor = (char *const *)corrects->pdata;
    /* The time and the chain's head as this package is made (after the previous one's entry). */
    sh_utc_now(p->station_time);
    p->unix_time = (int64_t)time(NULL);
    sh_status st = audit_head(p->o->ledger, &p->head_id, p->head_hash, err);
    if (st == SH_OK)
        st = up_package_id_new(g_get_real_time() / 1000, id, err);
    if (st == SH_OK)
        st = write_volumes(p, org, id, cor, vols, n, err);
    if (st == SH_OK)
        st = record_and_publish(p, org, id, cor, vols, n, err);
    if (st == SH_OK)
        report_volumes(p, org, id, cor, vols, n, sum);
    for (int k = 0; k < n; k++) {
        sh_atomic_abort(vols[k].file);
        g_free(vols[k].path);
    }
    g_free(vols);
    g_ptr_array_free(corrects, TRUE);
    return st;
}

/* ---- the whole run ---- */

/* Temp files a killed run left in the package folders, whatever organisation they were for. */
static void sweep_out_dir(const up_pack_options *o, const char *out_dir)
{
    GDir *dir = g_dir_open(out_dir, 0, NULL);
    if (!dir)
        return;
    for (const char *name; (name = g_dir_read_name(dir)) != NULL;) {
        char *sub = g_build_filename(out_dir, name, NULL);
        if (g_file_test(sub, G_FILE_TEST_IS_DIR) && !g_file_test(sub, G_FILE_TEST_IS_SYMLINK))
            SH_IGNORE_RESULT(sh_temp_sweep_dir(o->ledger, o->ws->root, sub));
        g_free(sub);
    }
    g_dir_close(dir);
}

static void held_count(const char *path, const char *reason, void *ctx)
{
    const up_pack_options *o = ((void **)ctx)[0];
    int *held = ((void **)ctx)[1];
    (*held)++;
    if (o->held)
        o->held(path, reason, o->ctx);
}

static bool plan_empty(const up_pack_plan *plan)
{
    for (int i = 0; i < plan->n_orgs; i++)
        if (plan->orgs[i].n_dossiers > 0)
            return false;
    return true;
}

static sh_status pack_plan(packer *p, up_pack_plan *plan, up_pack_summary *sum, sh_error *err)
{
    sh_pool *pool = sh_pool_new(0, err);
    if (!pool)
        return SH_INTERNAL;
    sh_status worst = SH_OK, st = SH_OK;
    for (int i = 0; i < plan->n_orgs && st == SH_OK; i++) {
        st = hash_org(p->o, pool, &plan->orgs[i], &sum->held_back, err);
        if (st == SH_FINDINGS) {
            worst = SH_FINDINGS;
            st = SH_OK;
        }
    }
    sh_pool_free(pool);
    for (int i = 0; i < plan->n_orgs && st == SH_OK; i++)
        st = pack_org(p, &plan->orgs[i], sum, err);
    return st != SH_OK ? st : worst;
}

sh_status up_pack(char *const *paths, int n_paths, const up_pack_options *o, up_pack_summary *sum,
                  sh_error *err)
{
    memset(sum, 0, sizeof *sum);
    sh_status st = check_options(o, err);
    /* One pack at a time: two runs choosing the same dossiers would pack them twice. */
    int lock = st == SH_OK ? sh_workspace_lock(o->ws, "pack",
                                               _("another sohoa pack is running in this "
                                                 "workspace: waiting for it to finish"),
                                               err)
                           : -1;
    if (st == SH_OK && lock < 0)
        st = SH_INTERNAL;
    X509 *certs[MAX_RECIPIENTS] = {0};
    int n_certs = 0;
    for (; st == SH_OK && n_certs < o->n_recipients; n_certs++)
        st = load_recipient(o->recipients[n_certs], &certs[n_certs], err);
    sh_publish_recovery rec;
    if (st == SH_OK)
        st = sh_publish_recover(o->ledger, o->ws->root, o->actor, &rec, err);
    char *out_dir = st == SH_OK ? resolved(o->out_dir) : NULL;
    if (st == SH_OK)
        sweep_out_dir(o, out_dir);
    sg_signer *signer = NULL;
    if (st == SH_OK)
        st = prepare_signer(o, &signer, err);
    up_pack_plan plan = {0};
    void *held_ctx[2] = {(void *)o, &sum->held_back};
    if (st == SH_OK)
        st = up_pack_select(o->ws, o->ledger, o->signed_suffix, paths, n_paths, held_count,
                            held_ctx, &plan, err);
    sum->unchanged = plan.unchanged;
    sh_status worst = sum->held_back ? SH_FINDINGS : SH_OK;
    if (st == SH_OK && !plan_empty(&plan))
        st = sg_signer_unlock_asking(signer, o->secret, o->pin_file, err);
    if (st == SH_OK) {
        packer p = {.o = o, .signer = signer, .recipients = certs, .out_dir = out_dir};
        st = pack_plan(&p, &plan, sum, err);
    }
    up_pack_plan_clear(&plan);
    sg_signer_close(signer);
    recipients_free(certs, n_certs);
    free(out_dir);
    if (lock >= 0)
        close(lock);
    if (st != SH_OK)
        return st;
    return worst;
}
