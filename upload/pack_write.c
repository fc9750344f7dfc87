/* pack's writing half: the signed files hashed (SHA-256, the ledger's; SHA-512, BagIt's), and one
 * volume written as a bag in a stored ZIP streamed into the AuthEnvelopedData, straight into
 * the hidden temp file that publication will rename (docs/package.md, "The package file").
 * Nothing but ciphertext ever reaches the disk. */
#include "pack_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "bag_impl.h"
#include "envelope_impl.h"
#include "zip_impl.h"

#define READ_BUF (1u << 20)

/* ---- the hash pass ---- */

typedef struct {
    EVP_MD_CTX *sha256, *sha512;
} hashes;

static bool hashes_init(hashes *h)
{
    h->sha256 = EVP_MD_CTX_new();
    h->sha512 = EVP_MD_CTX_new();
    return h->sha256 && EVP_DigestInit_ex(h->sha256, EVP_sha256(), NULL) == 1 && h->sha512 &&
           EVP_DigestInit_ex(h->sha512, EVP_sha512(), NULL) == 1;
}

static void hashes_free(hashes *h)
{
    EVP_MD_CTX_free(h->sha256);
    EVP_MD_CTX_free(h->sha512);
}

static void hashes_final(hashes *h, char sha256[SH_SHA256_HEX_LEN + 1],
                         char sha512[UP_SHA512_HEX_LEN + 1])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    SH_IGNORE_RESULT(EVP_DigestFinal_ex(h->sha256, md, &n));
    sh_hex(md, n, sha256);
    SH_IGNORE_RESULT(EVP_DigestFinal_ex(h->sha512, md, &n));
    sh_hex(md, n, sha512);
}

/* Open a payload file: a regular file, not through a symbolic link. */
static int open_payload(const char *root, const char *rel, char **abs, sh_error *err)
{
    *abs = g_build_filename(root, rel, NULL);
    int fd = open(*abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), *abs), -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return sh_fail(err, SH_INPUT, _("%s is not a regular file"), *abs), -1;
    }
    return fd;
}

sh_status up_pack_hash_doc(const char *root, up_pack_doc *doc, char **problem, sh_error *err)
{
    *problem = NULL;
    char *abs = NULL;
    int fd = open_payload(root, doc->path, &abs, err);
    if (fd < 0) {
        g_free(abs);
        return SH_INPUT;
    }
    hashes h;
    uint8_t *buf = malloc(READ_BUF);
    sh_status st = SH_OK;
    if (!buf || !hashes_init(&h)) {
        st = sh_fail(err, SH_INTERNAL, _("out of memory"));
        h.sha256 = h.sha512 = NULL;
    }
    uint64_t total = 0;
    uLong crc = crc32(0L, Z_NULL, 0);
    while (st == SH_OK) {
        ssize_t n = read(fd, buf, READ_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            st = sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), abs);
        if (n <= 0)
            break;
        total += (uint64_t)n;
        crc = crc32_z(crc, buf, (size_t)n);
        if (EVP_DigestUpdate(h.sha256, buf, (size_t)n) != 1 ||
            EVP_DigestUpdate(h.sha512, buf, (size_t)n) != 1)
            st = sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    close(fd);
    free(buf);
    if (st == SH_OK) {
        char sha256[SH_SHA256_HEX_LEN + 1];
        hashes_final(&h, sha256, doc->sha512);
        if (strcmp(sha256, doc->sha256) != 0)
            *problem = g_strdup_printf(_("%s is not the file that was signed: its content changed "
                                         "after signing (SHA-256 %.12s…, the ledger has "
                                         "%.12s…); sign the dossier again"),
                                       doc->path, sha256, doc->sha256);
        doc->bytes = total;
        doc->crc32 = (uint32_t)crc;
    }
    hashes_free(&h);
    g_free(abs);
    return st;
}

/* ---- package.json ---- */

/* "data/<org>/<dossier>" from a root-relative dossier folder "…/<org>/<dossier>". */
static char *payload_folder(const up_pack_dossier *d)
{
    const char *slash = strrchr(d->folder, '/');
    const char *name = slash ? slash + 1 : d->folder;
    return g_strdup_printf("data/%s/%s", d->org, name);
}

/* "data/<org>/<dossier>/<file>" for a document of d. */
static char *payload_path(const up_pack_dossier *d, const up_pack_doc *doc)
{
    const char *slash = strrchr(doc->path, '/');
    char *folder = payload_folder(d);
    char *p = g_strdup_printf("%s/%s", folder, slash ? slash + 1 : doc->path);
    g_free(folder);
    return p;
}

/* The managing organisation: the cell's code without its last level. */
static char *managing_org(const char *cell)
{
    const char *dot = strrchr(cell, '.');
    return dot ? g_strndup(cell, (gsize)(dot - cell)) : g_strdup(cell);
}

static void audit_ref(sh_json *j, int64_t id, const char *action, const char *hash)
{
    if (id <= 0)
        return;
    sh_json_begin_object(j);
    sh_json_kv_int(j, "id", id);
    sh_json_kv_str(j, "action", action);
    sh_json_kv_str(j, "hash", hash);
    sh_json_end_object(j);
}

static void doc_json(sh_json *j, const up_pack_dossier *d, const up_pack_doc *doc)
{
    char *path = payload_path(d, doc);
    sh_json_begin_object(j);
    sh_json_kv_str(j, "path", path);
    sh_json_kv_int(j, "stt", doc->stt);
    sh_json_kv_str(j, "type", doc->type_name);
    sh_json_kv_int_or_null(j, "seq", doc->seq, doc->seq > 0);
    sh_json_kv_int(j, "pages", doc->pages);
    sh_json_kv_int(j, "bytes", (int64_t)doc->bytes);
    sh_json_kv_str(j, "sha256", doc->sha256);
    sh_json_kv_str(j, "original_sha256", doc->original_sha256);
    sh_json_kv_str(j, "signer_cert_sha256", doc->cert_sha256);
    sh_json_kv_str(j, "signed_at", doc->signed_at);
    sh_json_kv_object(j, "validation");
    sh_json_kv_str(j, "verdict", "pass");
    sh_json_kv_str(j, "at", doc->validated_at);
    sh_json_end_object(j);
    sh_json_kv_array(j, "audit");
    audit_ref(j, doc->validate_audit_id, "document.validate", doc->validate_audit_hash);
    audit_ref(j, doc->sign_audit_id, "document.sign", doc->sign_audit_hash);
    sh_json_end_array(j);
    sh_json_end_object(j);
    g_free(path);
}

static void dossier_json(sh_json *j, const up_pack_dossier *d)
{
    char *folder = payload_folder(d);
    char *managing = managing_org(d->org);
    sh_json_begin_object(j);
    sh_json_kv_str(j, "folder", folder);
    sh_json_kv_object(j, "identity");
    sh_json_kv_str(j, "kind", d->key_kind);
    sh_json_kv_str(j, "key", d->key);
    sh_json_end_object(j);
    sh_json_kv_str(j, "name", d->name);
    sh_json_kv_str(j, "cell", d->org);
    sh_json_kv_str(j, "organisation", managing);
    sh_json_kv_array(j, "documents");
    for (int i = 0; i < d->n_docs; i++)
        doc_json(j, d, &d->docs[i]);
    sh_json_end_array(j);
    sh_json_end_object(j);
    g_free(folder);
    g_free(managing);
}

sh_status up_pack_json(const up_volume_spec *v, char **out, size_t *len, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "schema", "sohoa-package/1");
    sh_json_kv_str(j, "package", v->package_id);
    sh_json_kv_int(j, "volume", v->volume);
    sh_json_kv_int(j, "volumes", v->volumes);
    sh_json_kv_str(j, "organisation", v->org);
    sh_json_kv_str(j, "station", v->station);
    sh_json_kv_str(j, "operator", v->operator_name);
    sh_json_kv_str(j, "created_at", v->created_at);
    sh_json_kv_str(j, "basis", v->basis);
    sh_json_kv_array(j, "corrects");
    for (char *const *c = v->corrects; c && *c; c++)
        sh_json_string(j, *c);
    sh_json_end_array(j);
    sh_json_kv_int(j, "share_level", 3);
    sh_json_kv_str(j, "catalog", "1361-CV/BTCTW");
    sh_json_kv_str(j, "signer_cert_sha256", v->signer_cert_sha256);
    sh_json_kv_array(j, "dossiers");
    for (int i = 0; i < v->n_dossiers; i++)
        dossier_json(j, v->dossiers[i]);
    sh_json_end_array(j);
    sh_json_kv_object(j, "audit_head");
    sh_json_kv_int(j, "id", v->audit_head_id);
    sh_json_kv_str(j, "hash", v->audit_head_hash);
    sh_json_end_object(j);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, err);
    sh_status st = SH_OK;
    if (!text) {
        st = SH_INTERNAL;
    } else {
        *len = strlen(text) + 1;
        *out = g_strdup_printf("%s\n", text);
    }
    sh_json_free(j);
    return st;
}

/* ---- the tag files ---- */

enum { TAG_BAGIT, TAG_INFO, TAG_JSON, TAG_M256, TAG_M512, TAG_TAGM, TAG_SIG, N_TAGS };
static const char *const TAG_NAMES[N_TAGS] = {
    "bagit.txt",
    "bag-info.txt",
    "package.json",
    "manifest-sha256.txt",
    "manifest-sha512.txt",
    "tagmanifest-sha512.txt",
    "tagmanifest-sha512.txt.p7s",
};

typedef struct {
    char *data[N_TAGS];
    size_t len[N_TAGS];
} tag_files;

static void tag_files_clear(tag_files *t)
{
    for (int i = 0; i < N_TAGS; i++)
        g_free(t->data[i]);
}

/* The payload entries of the volume (paths g_free'd by the caller), in dossier, document order. */
static up_bag_entry *payload_entries(const up_volume_spec *v, size_t *n)
{
    size_t count = 0;
    for (int i = 0; i < v->n_dossiers; i++)
        count += (size_t)v->dossiers[i]->n_docs;
    up_bag_entry *e = g_new0(up_bag_entry, count ? count : 1);
    size_t k = 0;
    for (int i = 0; i < v->n_dossiers; i++) {
        const up_pack_dossier *d = v->dossiers[i];
        for (int m = 0; m < d->n_docs; m++, k++) {
            e[k].path = payload_path(d, &d->docs[m]);
            e[k].size = d->docs[m].bytes;
            memcpy(e[k].sha256, d->docs[m].sha256, sizeof e[k].sha256);
            memcpy(e[k].sha512, d->docs[m].sha512, sizeof e[k].sha512);
        }
    }
    *n = count;
    return e;
}

static void payload_entries_free(up_bag_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_free((char *)e[i].path);
    g_free(e);
}

static sh_status make_tags(const up_volume_spec *v, sg_signer *signer, const up_bag_entry *payload,
                           size_t n_payload, tag_files *t, sh_error *err)
{
    char date[11];
    memcpy(date, v->created_at, 10);
    date[10] = '\0';
    char group[UP_PACKAGE_ID_LEN + 1];
    g_strlcpy(group, v->package_id, sizeof group);
    up_bag_info info = {.source_organization = v->source_organization,
                        .external_identifier = v->package_id,
                        .bagging_date = date,
                        .internal_sender_identifier = v->station,
                        .basis = v->basis,
                        .bag_group_identifier = v->volumes > 1 ? group : NULL,
                        .bag_count = v->volumes > 1 ? (unsigned)v->volume : 0,
                        .bag_total = v->volumes > 1 ? (unsigned)v->volumes : 0};
    sh_status st = up_bag_write_bagit(&t->data[TAG_BAGIT], &t->len[TAG_BAGIT], err);
    if (st == SH_OK)
        st = up_bag_write_info(&info, payload, n_payload, &t->data[TAG_INFO], &t->len[TAG_INFO],
                               err);
    if (st == SH_OK)
        st = up_pack_json(v, &t->data[TAG_JSON], &t->len[TAG_JSON], err);
    if (st == SH_OK)
        st = up_bag_write_manifest(UP_BAG_SHA256, payload, n_payload, &t->data[TAG_M256],
                                   &t->len[TAG_M256], err);
    if (st == SH_OK)
        st = up_bag_write_manifest(UP_BAG_SHA512, payload, n_payload, &t->data[TAG_M512],
                                   &t->len[TAG_M512], err);
    if (st != SH_OK)
        return st;
    up_bag_tag listed[TAG_TAGM];
    for (int i = 0; i < TAG_TAGM; i++)
        listed[i] = (up_bag_tag){TAG_NAMES[i], t->data[i], t->len[i]};
    st = up_bag_write_tagmanifest(listed, TAG_TAGM, &t->data[TAG_TAGM], &t->len[TAG_TAGM], err);
    if (st != SH_OK)
        return st;
    uint8_t *der = NULL;
    size_t der_len = 0;
    st = sg_signer_sign_detached(signer, t->data[TAG_TAGM], t->len[TAG_TAGM], v->created_unix, &der,
                                 &der_len, err);
    if (st == SH_OK) {
        t->data[TAG_SIG] = (char *)der;
        t->len[TAG_SIG] = der_len;
    }
    return st;
}

/* ---- the streams: payload file → ZIP → envelope → temp file ---- */

static sh_status to_envelope(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    return up_envelope_write(ctx, buf, len, err);
}

/* A payload file read for the ZIP. Its CRC-32, which the ZIP writer computes anyway, must be the
 * one of the hash pass: a file rewritten in between is caught without hashing it again. */
typedef struct {
    int fd;
    const char *path;
} payload_source;

static sh_status from_payload(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    payload_source *p = ctx;
    for (;;) {
        ssize_t n = read(p->fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), p->path);
        *got = (size_t)n;
        return SH_OK;
    }
}

static sh_status add_payload(up_zip_writer *z, const char *root, const char *bag,
                             const up_pack_doc *doc, const up_bag_entry *e, time_t mtime,
                             sh_error *err)
{
    char *abs = NULL;
    int fd = open_payload(root, doc->path, &abs, err);
    if (fd < 0) {
        g_free(abs);
        return SH_INPUT;
    }
    SH_IGNORE_RESULT(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    payload_source src = {fd, abs};
    char *name = g_strdup_printf("%s/%s", bag, e->path);
    sh_status st = up_zip_add_file(z, name, doc->bytes, mtime, from_payload, &src, err);
    if (st == SH_OK && up_zip_writer_last_crc(z) != doc->crc32)
        st = sh_fail(err, SH_INPUT,
                     _("%s changed while it was being packed; nothing was written: run sohoa "
                       "pack again"),
                     abs);
    close(fd);
    g_free(name);
    g_free(abs);
    return st;
}

static sh_status write_zip(up_zip_writer *z, const up_volume_spec *v, const tag_files *t,
                           const up_bag_entry *payload, sh_error *err)
{
    time_t mtime = (time_t)v->created_unix;
    sh_status st = SH_OK;
    for (int i = 0; i < N_TAGS && st == SH_OK; i++) {
        char *name = g_strdup_printf("%s/%s", v->package_id, TAG_NAMES[i]);
        st = up_zip_add_memory(z, name, t->data[i], t->len[i], mtime, err);
        g_free(name);
    }
    size_t k = 0;
    for (int i = 0; i < v->n_dossiers && st == SH_OK; i++) {
        const up_pack_dossier *d = v->dossiers[i];
        for (int m = 0; m < d->n_docs && st == SH_OK; m++, k++)
            st = add_payload(z, v->root, v->package_id, &d->docs[m], &payload[k], mtime, err);
    }
    if (st == SH_OK)
        st = up_zip_finish(z, err);
    return st;
}

sh_status up_pack_write_volume(const up_volume_spec *v, sg_signer *signer, X509 *const *recipients,
                               int n_recipients, sh_atomic_file *f, up_volume_written *out,
                               sh_error *err)
{
    size_t n_payload = 0;
    up_bag_entry *payload = payload_entries(v, &n_payload);
    tag_files tags = {0};
    sh_status st = make_tags(v, signer, payload, n_payload, &tags, err);
    up_cipher_sink *sink = NULL;
    if (st == SH_OK && !(sink = up_cipher_sink_new(f, err)))
        st = SH_INTERNAL;
    up_envelope_writer *env = NULL;
    if (st == SH_OK) {
        env = up_envelope_begin(recipients, n_recipients, up_cipher_sink_write, sink, err);
        if (!env)
            st = err && err->status != SH_OK ? err->status : SH_INTERNAL;
    }
    up_zip_writer *z = NULL;
    if (st == SH_OK && !(z = up_zip_writer_new(to_envelope, env)))
        st = sh_fail(err, SH_INTERNAL, _("out of memory"));
    if (st == SH_OK)
        st = write_zip(z, v, &tags, payload, err);
    if (st == SH_OK) {
        out->payload_bytes = 0;
        for (size_t i = 0; i < n_payload; i++)
            out->payload_bytes += payload[i].size;
        out->zip_bytes = up_zip_writer_bytes(z);
        st = up_envelope_finish(env, err);
        env = NULL;
    }
    if (st == SH_OK)
        st = up_cipher_sink_finish(sink, out->sha256, &out->bytes, err);
    up_zip_writer_free(z);
    up_envelope_abort(env);
    up_cipher_sink_free(sink);
    tag_files_clear(&tags);
    payload_entries_free(payload, n_payload);
    return st;
}
