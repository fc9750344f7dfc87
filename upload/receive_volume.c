/* One volume file: decrypted as a stream into a hidden temporary file (O_TMPFILE, nothing
 * trusted before the tag), then its ZIP walked once from that file: the tag files into memory
 * (bounded), the signature checked before the first payload byte, each payload file streamed
 * through SHA-256 and SHA-512 into the extraction (or a temporary file) and its PDF signatures
 * checked; at the end the bag and package.json. */
#include "receive_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "envelope_impl.h"

#define CHUNK (256u * 1024u)

/* ---- streams over descriptors */

typedef struct {
    int fd;
    EVP_MD_CTX *hash; /* of the bytes read, or NULL */
    uint64_t bytes;
    bool failed; /* a read failed */
} fd_stream;

static sh_status fd_source(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    fd_stream *s = ctx;
    ssize_t n;
    do
        n = read(s->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        s->failed = true;
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot read the package"));
    }
    if (s->hash && n > 0)
        EVP_DigestUpdate(s->hash, buf, (size_t)n);
    s->bytes += (uint64_t)n;
    *got = (size_t)n;
    return SH_OK;
}

static sh_status fd_sink(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    fd_stream *s = ctx;
    if (!up_rx_write_all(s->fd, buf, len))
        return sh_fail_errno(err, SH_INTERNAL, errno,
                             _("cannot write the decrypted package to a temporary file"));
    return SH_OK;
}

bool up_rx_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* ---- the package a finding belongs to */

up_rx_package *up_rx_reading_package(up_rx_reading *v)
{
    if (!v->pkg)
        v->pkg = up_rx_package_for(v->rx, v->name_id[0] ? v->name_id : NULL);
    return v->pkg;
}

/* The package ID a file name starts with ("<id>.zip.p7m", "<id>.part2-of-3.zip.p7m"). */
static void id_from_name(const char *file, char id[UP_PACKAGE_ID_LEN + 1])
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    id[0] = '\0';
    if (strlen(base) > UP_PACKAGE_ID_LEN && base[UP_PACKAGE_ID_LEN] == '.') {
        memcpy(id, base, UP_PACKAGE_ID_LEN);
        id[UP_PACKAGE_ID_LEN] = '\0';
        if (!up_package_id_valid(id))
            id[0] = '\0';
    }
}

/* ---- decryption */

static sh_status decrypt(up_rx_reading *v, int in, int tmp, bool *ok, sh_error *err)
{
    *ok = false;
    fd_stream src = {.fd = in, .hash = EVP_MD_CTX_new()};
    fd_stream dst = {.fd = tmp};
    if (!src.hash || EVP_DigestInit_ex(src.hash, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(src.hash);
        return sh_fail(err, SH_INTERNAL, "receive: SHA-256 unavailable");
    }
    bool not_for_key = false;
    sh_error e;
    sh_error_clear(&e);
    sh_status st = up_envelope_decrypt_why(fd_source, &src, v->rx->cert, v->rx->key, fd_sink, &dst,
                                           &not_for_key, &e);
    /* The digest of every byte read, as received (what the sender's ledger holds). */
    uint8_t md[32];
    unsigned mdlen = 0;
    if (EVP_DigestFinal_ex(src.hash, md, &mdlen) == 1 && mdlen == 32)
        sh_hex(md, 32, v->vol.sha256);
    EVP_MD_CTX_free(src.hash);
    v->vol.bytes = src.bytes;
    if (st == SH_OK) {
        *ok = true;
        return SH_OK;
    }
    if (st == SH_INTERNAL)
        return sh_fail(err, st, "%s", e.msg);
    const char *code = not_for_key  ? "receive.decrypt.wrong_key"
                       : src.failed ? "receive.file.unreadable"
                                    : "receive.decrypt.damaged";
    up_rx_report(up_rx_reading_package(v), code, SH_ERROR, v->vol.file, 0, "%s", e.msg);
    return SH_OK;
}

/* ---- tag files */

static bool is_signature(const char *rel) { return strcmp(rel, UP_RX_SIGNATURE) == 0; }

/* The current entry's bytes into a new buffer of size bytes (g_free), or NULL when the ZIP
 * failed (*zst says how). */
static uint8_t *read_entry(up_zip_reader *zr, uint64_t size, sh_status *zst, sh_error *err)
{
    uint8_t *data = g_try_malloc((size_t)size + 1);
    if (!data) {
        *zst = sh_fail(err, SH_INTERNAL, "receive: out of memory");
        return NULL;
    }
    size_t have = 0, got = 0;
    do {
        *zst = up_zip_read(zr, data + have, (size_t)size + 1 - have, &got, err);
        have += got;
    } while (*zst == SH_OK && got > 0 && have <= size);
    if (*zst != SH_OK) {
        g_free(data);
        return NULL;
    }
    data[have] = 0;
    return data;
}

static sh_status tag_entry(up_rx_reading *v, up_zip_reader *zr, const up_zip_entry *e,
                           const char *rel, sh_error *err)
{
    bool sig = is_signature(rel);
    uint64_t bound = sig ? UP_RX_P7S_MAX : UP_BAG_MAX_TAG_BYTES - v->tag_bytes;
    if (e->size > bound) {
        up_rx_report(up_rx_reading_package(v),
                     sig ? "receive.signature.invalid" : "receive.bag.syntax", SH_ERROR, rel,
                     v->vol.volume,
                     sig ? _("%s is larger than the 1 MiB a signature may take.")
                         : _("%s: the tag files are larger than 256 MiB together."),
                     rel);
        return SH_OK; /* skipped: up_zip_next reads and checks it */
    }
    if (!sig && v->n_tags == UP_RX_TAGS_MAX) {
        up_rx_report(up_rx_reading_package(v), "receive.zip.layout", SH_ERROR, rel, 0,
                     _("%s: the bag has more than %d tag files."), rel, UP_RX_TAGS_MAX);
        return SH_OK;
    }
    sh_status zst = SH_OK;
    uint8_t *data = read_entry(zr, e->size, &zst, err);
    if (!data)
        return zst;
    if (sig) {
        g_free(v->p7s);
        v->p7s = data;
        v->p7s_len = (size_t)e->size;
        return SH_OK;
    }
    v->tags[v->n_tags++] = (up_bag_tag){g_strdup(rel), (const char *)data, (size_t)e->size};
    v->tag_bytes += (size_t)e->size;
    return SH_OK;
}

/* ---- payload files */

typedef struct {
    EVP_MD_CTX *h256, *h512;
    uint8_t *buf;
} hashing;

static sh_status output_for(up_rx_reading *v, const char *rel, int *out, sh_error *err)
{
    *out = -1;
    up_rx_package *pkg = up_rx_reading_package(v);
    if (v->rx->o->into && pkg->id && v->top && strcmp(pkg->id, v->top) == 0) {
        sh_status st = up_rx_staging_file(v->rx, pkg, rel, out, err);
        if (st != SH_OK)
            return st;
        if (*out < 0 && errno == EEXIST)
            up_rx_report(pkg, "receive.volumes.overlap", SH_ERROR, rel, v->vol.volume,
                         _("%s is in more than one volume of the package."), rel);
        else if (*out < 0)
            up_rx_report(pkg, "receive.zip.layout", SH_ERROR, rel, v->vol.volume,
                         _("%s cannot be extracted: a file and a folder have the same name."), rel);
    }
    return *out >= 0 ? SH_OK : up_rx_temp_file(v->rx, out, err);
}

static void hex_final(EVP_MD_CTX *h, char *hex)
{
    uint8_t md[64];
    unsigned n = 0;
    if (EVP_DigestFinal_ex(h, md, &n) == 1)
        sh_hex(md, n, hex);
}

/* Streams the entry into out through both digests; *zip_ok false when the ZIP failed. */
static sh_status copy_entry(up_zip_reader *zr, hashing *h, int out, up_bag_entry *be, bool *zip_ok,
                            sh_error *err)
{
    *zip_ok = false;
    if (EVP_DigestInit_ex(h->h256, EVP_sha256(), NULL) != 1 ||
        EVP_DigestInit_ex(h->h512, EVP_sha512(), NULL) != 1)
        return sh_fail(err, SH_INTERNAL, "receive: SHA-2 unavailable");
    size_t got = 0;
    do {
        sh_status st = up_zip_read(zr, h->buf, CHUNK, &got, err);
        if (st != SH_OK)
            return st;
        EVP_DigestUpdate(h->h256, h->buf, got);
        EVP_DigestUpdate(h->h512, h->buf, got);
        if (got && !up_rx_write_all(out, h->buf, got))
            return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write %s"), be->path);
        be->size += got;
    } while (got > 0);
    hex_final(h->h256, be->sha256);
    hex_final(h->h512, be->sha512);
    *zip_ok = true;
    return SH_OK;
}

static void front_checks(up_rx_reading *v);

static sh_status payload_entry(up_rx_reading *v, up_zip_reader *zr, hashing *h, const char *rel,
                               sh_error *err)
{
    front_checks(v);
    int out = -1;
    sh_status st = output_for(v, rel, &out, err);
    if (st != SH_OK)
        return st;
    up_bag_entry be = {.path = g_strdup(rel)};
    bool zip_ok = false;
    st = copy_entry(zr, h, out, &be, &zip_ok, err);
    if (st == SH_OK && zip_ok && v->pkg->staging_fd >= 0 && fsync(out) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write %s"), rel);
    if (st != SH_OK || !zip_ok) {
        close(out);
        g_free((char *)be.path);
        return st;
    }
    up_rx_cert cert = {""};
    up_rx_check_pdf(v, rel, out, &cert);
    close(out);
    g_array_append_val(v->payload, be);
    g_array_append_val(v->certs, cert);
    return SH_OK;
}

/* ---- the ZIP */

static const char *const ZIP_CODES[UP_ZIP_REASON_COUNT] = {
    [UP_ZIP_OK] = "receive.zip.bad_format",
    [UP_ZIP_NAME_EMPTY] = "receive.zip.name_empty",
    [UP_ZIP_NAME_TOO_LONG] = "receive.zip.name_too_long",
    [UP_ZIP_NAME_NOT_UTF8] = "receive.zip.name_not_utf8",
    [UP_ZIP_NAME_CONTROL] = "receive.zip.name_control",
    [UP_ZIP_NAME_ABSOLUTE] = "receive.zip.name_absolute",
    [UP_ZIP_NAME_BACKSLASH] = "receive.zip.name_backslash",
    [UP_ZIP_NAME_DRIVE] = "receive.zip.name_drive",
    [UP_ZIP_NAME_DOTDOT] = "receive.zip.name_dotdot",
    [UP_ZIP_NAME_EMPTY_COMPONENT] = "receive.zip.name_empty_component",
    [UP_ZIP_NAME_NOT_NFC] = "receive.zip.name_not_nfc",
    [UP_ZIP_NAME_DUPLICATE] = "receive.zip.name_duplicate",
    [UP_ZIP_NAME_CASE_COLLISION] = "receive.zip.name_case_collision",
    [UP_ZIP_NOT_REGULAR] = "receive.zip.not_regular",
    [UP_ZIP_METHOD] = "receive.zip.method",
    [UP_ZIP_ENCRYPTED] = "receive.zip.encrypted",
    [UP_ZIP_TOO_MANY] = "receive.zip.too_many",
    [UP_ZIP_TRUNCATED] = "receive.zip.truncated",
    [UP_ZIP_SIZE_MISMATCH] = "receive.zip.size_mismatch",
    [UP_ZIP_CRC_MISMATCH] = "receive.zip.crc_mismatch",
    [UP_ZIP_CENTRAL_MISMATCH] = "receive.zip.central_mismatch",
    [UP_ZIP_BAD_FORMAT] = "receive.zip.bad_format",
};

/* The entry's name inside the bag, or NULL (reported) when it is not under the one folder. */
static const char *inside_bag(up_rx_reading *v, const char *name)
{
    const char *slash = strchr(name, '/');
    if (!v->top) {
        v->top = g_strndup(name, slash ? (size_t)(slash - name) : strlen(name));
        if (up_package_id_valid(v->top))
            v->pkg = v->pkg ? v->pkg : up_rx_package_for(v->rx, v->top);
        else
            up_rx_report(up_rx_reading_package(v), "receive.zip.top_folder", SH_ERROR, v->top, 0,
                         _("The package's folder %s is not named by a package ID."), v->top);
    }
    size_t n = strlen(v->top);
    if (strncmp(name, v->top, n) != 0 || name[n] != '/' || !name[n + 1]) {
        up_rx_report(up_rx_reading_package(v), "receive.zip.top_folder", SH_ERROR, name, 0,
                     _("%s is not inside the package's one folder %s."), name, v->top);
        return NULL;
    }
    return name + n + 1;
}

static sh_status walk_entry(up_rx_reading *v, up_zip_reader *zr, hashing *h, const up_zip_entry *e,
                            sh_error *err)
{
    const char *rel = inside_bag(v, e->name);
    if (!rel)
        return SH_OK;
    if (strncmp(rel, UP_RX_DATA_PREFIX, strlen(UP_RX_DATA_PREFIX)) == 0)
        return payload_entry(v, zr, h, rel, err);
    return tag_entry(v, zr, e, rel, err);
}

/* Walks the ZIP; *complete when it was read to its end and found sound. */
static sh_status walk_zip(up_rx_reading *v, int tmp, bool *complete, sh_error *err)
{
    *complete = false;
    fd_stream src = {.fd = tmp};
    up_zip_reader *zr = up_zip_reader_new(fd_source, &src);
    hashing h = {EVP_MD_CTX_new(), EVP_MD_CTX_new(), g_try_malloc(CHUNK)};
    sh_status st = zr && h.h256 && h.h512 && h.buf
                       ? SH_OK
                       : sh_fail(err, SH_INTERNAL, "receive: out of memory");
    while (st == SH_OK) {
        up_zip_entry e;
        bool end = false;
        st = up_zip_next(zr, &e, &end, err);
        if (st != SH_OK || end)
            break;
        st = walk_entry(v, zr, &h, &e, err);
    }
    if (st == SH_FINDINGS) { /* a defect of the ZIP: reported, the volume is read no further */
        up_rx_report(up_rx_reading_package(v), ZIP_CODES[up_zip_reader_reason(zr)], SH_ERROR,
                     v->vol.file, 0, "%s", err->msg);
        sh_error_clear(err);
        st = SH_OK;
    } else if (st == SH_OK) {
        *complete = true;
    }
    up_zip_reader_free(zr);
    EVP_MD_CTX_free(h.h256);
    EVP_MD_CTX_free(h.h512);
    g_free(h.buf);
    return st;
}

/* ---- the checks at the end of the volume */

static void bag_sink(const sh_finding *f, void *ctx)
{
    up_rx_reading *v = ctx;
    up_rx_add_finding(up_rx_reading_package(v), f, v->vol.volume);
}

static const up_bag_tag *tag_named(const up_rx_reading *v, const char *name)
{
    for (size_t i = 0; i < v->n_tags; i++)
        if (strcmp(v->tags[i].name, name) == 0)
            return &v->tags[i];
    return NULL;
}

/* package.json, for the volume's number and organisation even when the bag is broken. */
static void read_package_json(up_rx_reading *v)
{
    const up_bag_tag *t = tag_named(v, "package.json");
    if (!t) {
        up_rx_report(up_rx_reading_package(v), "receive.package_json.missing", SH_ERROR,
                     "package.json", 0, _("The bag has no package.json."));
        return;
    }
    sh_error e;
    sh_error_clear(&e);
    if (up_package_json_parse(t->data, t->len, &v->pj, &e) != SH_OK) {
        up_rx_report(up_rx_reading_package(v), "receive.package_json.syntax", SH_ERROR,
                     "package.json", 0, "%s", e.msg);
        return;
    }
    v->pj_ok = true;
    v->vol.volume = (int)v->pj.volume;
    v->vol.volumes = (int)v->pj.volumes;
    v->vol.org = g_strdup(v->pj.organisation);
    v->vol.package_json = g_memdup2(t->data, t->len);
    v->vol.package_json_len = t->len;
}

/* Before the first payload byte (or at the end when there is none): the signature, and the
 * volume's place in its package. */
static void front_checks(up_rx_reading *v)
{
    if (v->signature_done)
        return;
    up_rx_check_signature(v);
    v->signature_done = true;
    const up_bag_tag *info = tag_named(v, "bag-info.txt");
    if (info)
        v->vol.group = up_bag_field_value(info->data, info->len, "Bag-Group-Identifier");
    read_package_json(v);
}

static sh_status check_volume(up_rx_reading *v, bool complete, sh_error *err)
{
    front_checks(v);
    if (!complete)
        return SH_OK; /* the bag and package.json mean nothing against a partial payload */
    sh_status st = up_bag_check(v->tags, v->n_tags, (const up_bag_entry *)(void *)v->payload->data,
                                v->payload->len, bag_sink, v, NULL, err);
    if (st == SH_FINDINGS)
        st = SH_OK;
    if (st == SH_OK && v->pj_ok)
        up_rx_check_package_json(v);
    return st;
}

/* ---- one volume */

static void reading_clear(up_rx_reading *v)
{
    for (size_t i = 0; i < v->n_tags; i++) {
        g_free((char *)v->tags[i].name);
        g_free((char *)v->tags[i].data);
    }
    for (guint i = 0; v->payload && i < v->payload->len; i++)
        g_free((char *)g_array_index(v->payload, up_bag_entry, i).path);
    if (v->payload)
        g_array_free(v->payload, TRUE);
    if (v->certs)
        g_array_free(v->certs, TRUE);
    g_free(v->p7s);
    g_free(v->top);
    up_package_json_clear(&v->pj);
    g_free(v->vol.file);
    g_free(v->vol.group);
    g_free(v->vol.org);
    g_free(v->vol.package_json);
}

/* A byte-identical copy of a volume read already (the same file given twice): read once. */
static bool read_before(up_rx_reading *v)
{
    for (guint i = 0; i < v->rx->packages->len; i++) {
        up_rx_package *pkg = g_ptr_array_index(v->rx->packages, i);
        for (guint k = 0; k < pkg->volumes->len; k++) {
            const up_rx_volume *same = &g_array_index(pkg->volumes, up_rx_volume, k);
            if (strcmp(same->sha256, v->vol.sha256) != 0)
                continue;
            up_rx_report(pkg, "receive.volumes.duplicate", SH_WARNING, v->vol.file, same->volume,
                         _("%s is the same file as %s: read once."), v->vol.file, same->file);
            return true;
        }
    }
    return false;
}

static sh_status read_open(up_rx_reading *v, int in, sh_error *err)
{
    int tmp = -1;
    sh_status st = up_rx_temp_file(v->rx, &tmp, err);
    bool ok = false;
    if (st == SH_OK)
        st = decrypt(v, in, tmp, &ok, err);
    if (st == SH_OK && ok && read_before(v))
        ok = false, v->skipped = true;
    if (st == SH_OK && ok && lseek(tmp, 0, SEEK_SET) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, "receive: lseek");
    bool complete = false;
    if (st == SH_OK && ok)
        st = walk_zip(v, tmp, &complete, err);
    if (st == SH_OK && ok)
        st = check_volume(v, complete, err);
    v->vol.complete = complete;
    if (tmp >= 0)
        close(tmp);
    return st;
}

sh_status up_rx_read_volume(up_rx *rx, const char *file, sh_error *err)
{
    up_rx_reading v = {.rx = rx};
    v.vol.file = g_strdup(file);
    id_from_name(file, v.name_id);
    v.payload = g_array_new(FALSE, TRUE, sizeof(up_bag_entry));
    v.certs = g_array_new(FALSE, TRUE, sizeof(up_rx_cert));
    sh_status st = SH_OK;
    sh_error e;
    sh_error_clear(&e);
    int in = sh_open_regular(file, &e);
    if (in < 0)
        up_rx_report(up_rx_reading_package(&v), "receive.file.unreadable", SH_ERROR, file, 0, "%s",
                     e.msg);
    else
        st = read_open(&v, in, err);
    if (in >= 0)
        close(in);
    if (st == SH_OK && !v.skipped) {
        g_array_append_val(up_rx_reading_package(&v)->volumes, v.vol);
        v.vol = (up_rx_volume){0}; /* the package's now */
    }
    reading_clear(&v);
    return st;
}
