/* up_receive on packages built here with the private writers (bag.c, zip.c, envelope_write.c), a
 * real detached signature of the tag manifest (org-rsa.p12 of tests/sign_fixtures.sh) and real
 * signed PDFs (sg_sign_file), encrypted to the receiver (org-ec.p12). A valid package is
 * accepted, extracted byte for byte and gets a receipt `openssl cms -verify` accepts; each
 * hostile package is one clear finding, and leaves no partial tree and no temporary file.
 * Also: the package.json parser's strictness.
 *
 * With arguments `--make-big DIR MIB` it is the tool that makes a big package for the memory
 * measurement (docs/package.md, "Receiving"): keys in DIR/keys, DIR/<id>.zip.p7m of MIB MiB of
 * signed PDFs, encrypted to org-ec. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bag_impl.h"
#include "envelope_impl.h"
#include "package_impl.h"
#include "pdf/pdf.h"
#include "sign/sign.h"
#include "upload/upload.h"
#include "zip_impl.h"

#define P12_PASS "p12-pass"
#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define ORG "93.000.036.001.015"
#define DOSSIER "012345678901_NguyenVanA"
#define DOSSIER2 "098765432109_TranThiB"
#define MTIME 1790000000

static struct {
    char *dir, *keys;
    sg_signer *sender;   /* org-rsa, stampless: signs tag manifests */
    sg_signer *rogue;    /* a self-signed key nobody trusts */
    sg_signer *receiver; /* org-ec: decrypts, signs receipts */
    X509 *receiver_cert, *other_cert;
    X509_STORE *trust;
    GBytes *pdf[3]; /* signed PDFs */
    GBytes *broken; /* pdf[0] with a byte changed inside its signed range */
    char *pdf_cert; /* the PDFs' signer's certificate SHA-256 */
    int serial;
} F;

/* ---- fixtures ---- */

static void run_ok(const char *cmd)
{
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("command failed: %s\n%s", cmd, out);
    g_free(out);
}

static char *make_keys(const char *dir)
{
    const char *src = getenv("SOHOA_SOURCE");
    char *unit = g_path_get_dirname(__FILE__);
    char *tests = src && *src ? g_build_filename(src, "tests", NULL) : g_path_get_dirname(unit);
    g_free(unit);
    char *keys = test_path(dir, "keys");
    char *cmd = g_strdup_printf("bash '%s/sign_fixtures.sh' '%s' 2>&1", tests, keys);
    run_ok(cmd);
    g_free(cmd);
    cmd = g_strdup_printf(
        "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=Rogue -days 2 "
        "-keyout rogue.key -out rogue.pem 2>&1 && openssl pkcs12 -export -inkey rogue.key -in "
        "rogue.pem -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -passout pass:" P12_PASS
        " -out rogue.p12 2>&1",
        keys);
    run_ok(cmd);
    g_free(cmd);
    g_free(tests);
    return keys;
}

static sg_signer *signer(const char *p12, const char *font)
{
    char *path = test_path(F.keys, p12);
    sg_signer_options o = {.key = {.pkcs12 = path},
                           .secret = P12_PASS,
                           .font_path = font,
                           .stamp_width_mm = 70,
                           .stamp_margin_mm = 10,
                           .placement = SG_PLACE_FIXED};
    sg_signer *s = NULL;
    sh_error err;
    sh_error_clear(&err);
    if (sg_signer_open(&o, &s, &err) != SH_OK)
        fail_msg("sg_signer_open %s: %s", path, err.msg);
    g_free(path);
    return s;
}

static X509 *read_cert(const char *name)
{
    char *path = test_path(F.keys, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    g_free(path);
    assert_non_null(c);
    return c;
}

/* A one-page PDF whose image holds `image` bytes of noise (seeded), its info naming `creator`. */
static void write_plain(const char *path, const char *creator, size_t image)
{
    sh_error err;
    pdf_writer *w = pdf_writer_new(path, 4, false, &err);
    if (!w)
        fail_msg("pdf_writer_new: %s", err.msg);
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int page = pdf_object_reserve(w), img = pdf_object_reserve(w);
    int content = pdf_object_reserve(w), info = pdf_object_reserve(w);
    test_pdf_page_tree(w, catalog, pages, page);
    pdf_object_begin(w, page);
    pdf_printf(w,
               "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /XObject "
               "<< /Im1 %d 0 R >> >> /Contents %d 0 R >>",
               pages, img, content);
    pdf_object_end(w);
    size_t width = 1024, height = image / 1024 ? image / 1024 : 1;
    char dict[200];
    snprintf(dict, sizeof dict,
             "/Type /XObject /Subtype /Image /Width %zu /Height %zu /ColorSpace /DeviceGray "
             "/BitsPerComponent 8",
             width, height);
    pdf_stream_begin(w, img, dict, (int64_t)(width * height));
    GRand *rand = g_rand_new_with_seed(7);
    guint8 row[1024];
    for (size_t y = 0; y < height; y++) {
        for (size_t x = 0; x < width; x++)
            row[x] = (guint8)g_rand_int(rand);
        pdf_write(w, row, width);
    }
    g_rand_free(rand);
    pdf_stream_end(w);
    const char *ops = "q 595 0 0 842 0 0 cm /Im1 Do Q";
    pdf_stream_begin(w, content, "", PDF_LENGTH_LATER);
    pdf_write(w, ops, strlen(ops));
    pdf_stream_end(w);
    pdf_object_begin(w, info);
    pdf_printf(w, "<< /Creator (%s) >>", creator);
    pdf_object_end(w);
    if (pdf_writer_finish(w, catalog, info, NULL, &err) != SH_OK)
        fail_msg("pdf_writer_finish: %s", err.msg);
}

static char *signed_pdf(sg_signer *s, const char *name, size_t image)
{
    char *plain = g_strdup_printf("%s/%s.pdf", F.dir, name);
    char *out = g_strdup_printf("%s/%s_signed.pdf", F.dir, name);
    write_plain(plain, name, image);
    sg_sign_result res;
    sh_error err;
    sh_error_clear(&err);
    if (sg_sign_file(s, plain, NULL, out, &res, &err) != SH_OK)
        fail_msg("sg_sign_file %s: %s", plain, err.msg);
    g_free(plain);
    return out;
}

static GBytes *slurp(const char *path)
{
    size_t len;
    char *data = test_slurp(path, &len);
    return g_bytes_new_take(data, len);
}

static void fixtures(const char *dir)
{
    F.dir = g_strdup(dir);
    F.keys = make_keys(dir);
    F.sender = signer("org-rsa.p12", NULL);
    F.rogue = signer("rogue.p12", NULL);
    F.receiver = signer("org-ec.p12", NULL);
    F.receiver_cert = read_cert("org-ec.pem");
    F.other_cert = read_cert("other-rsa.pem");
    char *ca = test_path(F.keys, "ca.pem");
    sh_error err;
    sh_error_clear(&err);
    if (sg_trust_load(ca, &F.trust, &err) != SH_OK)
        fail_msg("sg_trust_load: %s", err.msg);
    g_free(ca);
    F.pdf_cert = g_strdup(sg_signer_cert_sha256(F.sender));
}

static int setup(void **state)
{
    (void)state;
    test_need_tool("openssl");
    char *dir = test_tmpdir("receive");
    fixtures(dir);
    g_free(dir);
    sg_signer *stamper = signer("org-rsa.p12", FONT);
    static const char *const names[3] = {"02.Ly lich", "03.Don xin", "04.Nghi quyet"};
    for (int i = 0; i < 3; i++) {
        char *path = signed_pdf(stamper, names[i], 2048);
        F.pdf[i] = slurp(path);
        g_free(path);
    }
    sg_signer_close(stamper);
    size_t len;
    const char *bytes = g_bytes_get_data(F.pdf[0], &len);
    char *copy = g_memdup2(bytes, len);
    char *at = memmem(copy, len, "(02.Ly lich)", 12);
    assert_non_null(at);
    at[1] = '9';
    F.broken = g_bytes_new_take(copy, len);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sg_signer_close(F.sender);
    sg_signer_close(F.rogue);
    sg_signer_close(F.receiver);
    X509_free(F.receiver_cert);
    X509_free(F.other_cert);
    X509_STORE_free(F.trust);
    for (int i = 0; i < 3; i++)
        g_bytes_unref(F.pdf[i]);
    g_bytes_unref(F.broken);
    test_rmtree(F.dir);
    g_free(F.dir);
    g_free(F.keys);
    g_free(F.pdf_cert);
    return 0;
}

/* ---- building a package ---- */

typedef struct {
    const char *folder; /* DOSSIER… */
    const char *file;   /* "02.Ly lich_signed.pdf" */
    GBytes *bytes;
} doc_spec;

typedef struct {
    char id[UP_PACKAGE_ID_LEN + 1];
    int volume, volumes;
    doc_spec docs[4];
    int n_docs;
    sg_signer *signer;                 /* NULL: F.sender */
    const char *sign_over;             /* sign this text instead of the tag manifest */
    int pj_bytes_delta;                /* added to the first document's "bytes" in package.json */
    const char *patch_from, *patch_to; /* replaced in the ZIP's bytes (same length) */
    bool bomb;                         /* the first payload entry's sizes made huge */
    bool unsigned_bag;                 /* no tagmanifest-sha512.txt.p7s */
    X509 *recipient;                   /* NULL: F.receiver_cert */
    GString *tagmanifest;              /* out: the tag manifest signed over */
} pkg_spec;

static void hexdig(const EVP_MD *md, const void *data, size_t len, char *hex)
{
    uint8_t out[64];
    unsigned n = 0;
    EVP_Digest(data, len, out, &n, md, NULL);
    sh_hex(out, n, hex);
}

static char *payload_path(const doc_spec *d)
{
    return g_strdup_printf("data/" ORG "/%s/%s", d->folder, d->file);
}

static void document_json(sh_json *j, const doc_spec *d, const up_bag_entry *e, int delta)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "path", e->path);
    sh_json_kv_int(j, "stt", 2);
    sh_json_kv_str(j, "type", "Lý lịch đảng viên");
    sh_json_kv_null(j, "seq");
    sh_json_kv_int(j, "pages", 1);
    sh_json_kv_int(j, "bytes", (int64_t)e->size + delta);
    sh_json_kv_str(j, "sha256", e->sha256);
    sh_json_kv_str(j, "original_sha256", e->sha256);
    sh_json_kv_str(j, "signer_cert_sha256", F.pdf_cert);
    sh_json_kv_str(j, "signed_at", "2026-12-01T01:02:03.000Z");
    sh_json_kv_object(j, "validation");
    sh_json_kv_str(j, "verdict", "pass");
    sh_json_kv_str(j, "at", "2026-12-01T01:00:00.000Z");
    sh_json_end_object(j);
    sh_json_kv_array(j, "audit");
    sh_json_begin_object(j);
    sh_json_kv_int(j, "id", 7);
    sh_json_kv_str(j, "action", "sign");
    sh_json_kv_str(j, "hash", e->sha256);
    sh_json_end_object(j);
    sh_json_end_array(j);
    sh_json_end_object(j);
    (void)d;
}

static char *package_json(const pkg_spec *p, const up_bag_entry *e)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "schema", "sohoa-package/1");
    sh_json_kv_str(j, "package", p->id);
    sh_json_kv_int(j, "volume", p->volume);
    sh_json_kv_int(j, "volumes", p->volumes);
    sh_json_kv_str(j, "organisation", ORG);
    sh_json_kv_str(j, "station", "T-01");
    sh_json_kv_str(j, "operator", "Nguyễn Văn A");
    sh_json_kv_str(j, "created_at", "2026-12-01T02:00:00.000Z");
    sh_json_kv_str(j, "basis", "QĐ 12/2026");
    sh_json_kv_array(j, "corrects");
    sh_json_end_array(j);
    sh_json_kv_int(j, "share_level", 3);
    sh_json_kv_str(j, "catalog", "1361-CV/BTCTW");
    sh_json_kv_str(j, "signer_cert_sha256",
                   sg_signer_cert_sha256(p->signer ? p->signer : F.sender));
    sh_json_kv_array(j, "dossiers");
    for (int i = 0; i < p->n_docs; i++) {
        if (i > 0 && strcmp(p->docs[i].folder, p->docs[i - 1].folder) == 0)
            continue;
        sh_json_begin_object(j);
        char *folder = g_strdup_printf("data/" ORG "/%s", p->docs[i].folder);
        sh_json_kv_str(j, "folder", folder);
        g_free(folder);
        sh_json_kv_object(j, "identity");
        sh_json_kv_str(j, "kind", "cccd");
        sh_json_kv_str(j, "key", "012345678901");
        sh_json_end_object(j);
        sh_json_kv_str(j, "name", "Nguyễn Văn A");
        sh_json_kv_str(j, "cell", ORG);
        sh_json_kv_str(j, "organisation", "93.000.036.001");
        sh_json_kv_array(j, "documents");
        for (int k = i; k < p->n_docs && strcmp(p->docs[k].folder, p->docs[i].folder) == 0; k++)
            document_json(j, &p->docs[k], &e[k], k == 0 ? p->pj_bytes_delta : 0);
        sh_json_end_array(j);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
    sh_json_kv_object(j, "audit_head");
    sh_json_kv_int(j, "id", 9);
    sh_json_kv_str(j, "hash", e[0].sha256);
    sh_json_end_object(j);
    sh_json_end_object(j);
    sh_error err;
    const char *text = sh_json_finish(j, &err);
    assert_non_null(text);
    char *out = g_strdup(text);
    sh_json_free(j);
    return out;
}

static sh_status to_bytes(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    (void)err;
    g_byte_array_append(ctx, buf, (guint)len);
    return SH_OK;
}

static void zip_add(up_zip_writer *w, const char *id, const char *name, const void *data,
                    size_t len)
{
    char *full = g_strdup_printf("%s/%s", id, name);
    sh_error err;
    sh_error_clear(&err);
    if (up_zip_add_memory(w, full, data, len, MTIME, &err) != SH_OK)
        fail_msg("zip %s: %s", full, err.msg);
    g_free(full);
}

typedef struct {
    char *text;
    size_t len;
    const char *name;
} tag_text;

/* The tag files of p over the payload e, in the ZIP's order; the signature last. */
static int tag_files(pkg_spec *p, const up_bag_entry *e, tag_text t[7])
{
    sh_error err;
    sh_error_clear(&err);
    char group[UP_PACKAGE_ID_LEN + 1];
    strcpy(group, p->id);
    up_bag_info info = {.source_organization = "Đảng ủy xã Tân Phú",
                        .external_identifier = p->id,
                        .bagging_date = "2026-12-01",
                        .internal_sender_identifier = "T-01",
                        .basis = "QĐ 12/2026",
                        .bag_group_identifier = p->volumes > 1 ? group : NULL,
                        .bag_count = p->volumes > 1 ? (unsigned)p->volume : 0,
                        .bag_total = p->volumes > 1 ? (unsigned)p->volumes : 0};
    t[0].name = "bagit.txt";
    assert_int_equal(up_bag_write_bagit(&t[0].text, &t[0].len, &err), SH_OK);
    t[1].name = "bag-info.txt";
    assert_int_equal(up_bag_write_info(&info, e, (size_t)p->n_docs, &t[1].text, &t[1].len, &err),
                     SH_OK);
    t[2].name = "package.json";
    t[2].text = package_json(p, e);
    t[2].len = strlen(t[2].text);
    t[3].name = "manifest-sha256.txt";
    assert_int_equal(
        up_bag_write_manifest(UP_BAG_SHA256, e, (size_t)p->n_docs, &t[3].text, &t[3].len, &err),
        SH_OK);
    t[4].name = "manifest-sha512.txt";
    assert_int_equal(
        up_bag_write_manifest(UP_BAG_SHA512, e, (size_t)p->n_docs, &t[4].text, &t[4].len, &err),
        SH_OK);
    up_bag_tag tags[5];
    for (int i = 0; i < 5; i++)
        tags[i] = (up_bag_tag){t[i].name, t[i].text, t[i].len};
    t[5].name = "tagmanifest-sha512.txt";
    assert_int_equal(up_bag_write_tagmanifest(tags, 5, &t[5].text, &t[5].len, &err), SH_OK);
    if (p->tagmanifest)
        g_string_assign(p->tagmanifest, t[5].text);
    const char *over = p->sign_over ? p->sign_over : t[5].text;
    uint8_t *der = NULL;
    size_t der_len = 0;
    if (sg_signer_sign_detached(p->signer ? p->signer : F.sender, over, strlen(over), 0, &der,
                                &der_len, &err) != SH_OK)
        fail_msg("sign: %s", err.msg);
    t[6] = (tag_text){(char *)der, der_len, "tagmanifest-sha512.txt.p7s"};
    if (p->unsigned_bag) {
        g_free(der);
        return 6;
    }
    return 7;
}

static uint16_t rd16(const guint8 *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* from becomes to (the same length) in the entries' names only, in the local headers and the
 * central directory alike: the data and the CRCs stay as they are. */
static void patch_names(GByteArray *zip, const char *from, const char *to)
{
    size_t n = strlen(from);
    assert_int_equal(n, strlen(to));
    int hits = 0;
    for (guint8 *at = zip->data; at + 46 < zip->data + zip->len; at++) {
        bool local = memcmp(at, "PK\x03\x04", 4) == 0, central = memcmp(at, "PK\x01\x02", 4) == 0;
        if (!local && !central)
            continue;
        guint8 *name = at + (local ? 30 : 46);
        size_t len = rd16(at + (local ? 26 : 28));
        guint8 *hit = memmem(name, len, from, n);
        if (hit) {
            memcpy(hit, to, n);
            hits++;
        }
    }
    assert_true(hits >= 2);
}

/* The ZIP's first local header whose name holds "/data/": its sizes become 0x7FFFFFF0. */
static void bomb(GByteArray *zip)
{
    guint8 *at = memmem(zip->data, zip->len, "/data/", 6);
    assert_non_null(at);
    while (at > zip->data && memcmp(at, "PK\x03\x04", 4) != 0)
        at--;
    const guint8 huge[4] = {0xF0, 0xFF, 0xFF, 0x7F};
    memcpy(at + 18, huge, 4);
    memcpy(at + 22, huge, 4);
}

static GByteArray *build_zip(pkg_spec *p)
{
    up_bag_entry e[4] = {{0}};
    const int n = p->n_docs;
    assert_true(n >= 1 && n <= 4);
    for (int i = 0; i < n; i++) {
        size_t len;
        const void *data = g_bytes_get_data(p->docs[i].bytes, &len);
        e[i] = (up_bag_entry){.path = payload_path(&p->docs[i]), .size = len};
        hexdig(EVP_sha256(), data, len, e[i].sha256);
        hexdig(EVP_sha512(), data, len, e[i].sha512);
    }
    tag_text t[7];
    int n_tags = tag_files(p, e, t);
    GByteArray *zip = g_byte_array_new();
    up_zip_writer *w = up_zip_writer_new(to_bytes, zip);
    for (int i = 0; i < n_tags; i++)
        zip_add(w, p->id, t[i].name, t[i].text, t[i].len);
    for (int i = 0; i < n; i++) {
        size_t len;
        const void *data = g_bytes_get_data(p->docs[i].bytes, &len);
        zip_add(w, p->id, e[i].path, data, len);
    }
    sh_error err;
    assert_int_equal(up_zip_finish(w, &err), SH_OK);
    up_zip_writer_free(w);
    for (int i = 0; i < n_tags; i++)
        g_free(t[i].text);
    for (int i = 0; i < n; i++)
        g_free((char *)e[i].path);
    if (p->patch_from)
        patch_names(zip, p->patch_from, p->patch_to);
    if (p->bomb)
        bomb(zip);
    return zip;
}

/* The package's file in dir: <id>.zip.p7m or <id>.part<k>-of-<n>.zip.p7m. */
static char *write_package(pkg_spec *p, const char *dir)
{
    GByteArray *zip = build_zip(p);
    char *path = p->volumes > 1 ? g_strdup_printf("%s/%s.part%d-of-%d.zip.p7m", dir, p->id,
                                                  p->volume, p->volumes)
                                : g_strdup_printf("%s/%s.zip.p7m", dir, p->id);
    GByteArray *enc = g_byte_array_new();
    X509 *to = p->recipient ? p->recipient : F.receiver_cert;
    sh_error err;
    sh_error_clear(&err);
    up_envelope_writer *w = up_envelope_begin(&to, 1, to_bytes, enc, &err);
    assert_non_null(w);
    assert_int_equal(up_envelope_write(w, zip->data, zip->len, &err), SH_OK);
    assert_int_equal(up_envelope_finish(w, &err), SH_OK);
    test_write(path, (const char *)enc->data, enc->len);
    g_byte_array_free(zip, TRUE);
    g_byte_array_free(enc, TRUE);
    return path;
}

/* A package of three signed PDFs in two dossiers, with a fresh ID. */
static pkg_spec valid_spec(void)
{
    pkg_spec p = {.volume = 1, .volumes = 1, .n_docs = 3};
    sh_error err;
    assert_int_equal(up_package_id_new(1790000000000 + F.serial++, p.id, &err), SH_OK);
    p.docs[0] = (doc_spec){DOSSIER, "02.Ly lich_signed.pdf", F.pdf[0]};
    p.docs[1] = (doc_spec){DOSSIER, "03.Don xin_signed.pdf", F.pdf[1]};
    p.docs[2] = (doc_spec){DOSSIER2, "04.Nghi quyet_signed.pdf", F.pdf[2]};
    return p;
}

/* ---- receiving ---- */

typedef struct {
    int packages;
    GString *codes; /* every finding's code, " "-separated */
    bool accepted;
    sh_status status;
    char *receipt, *extracted, *id;
} seen;

static void on_package(const up_receive_report *r, void *ctx)
{
    seen *s = ctx;
    s->packages++;
    for (size_t i = 0; i < r->n_findings; i++) {
        g_string_append_printf(s->codes, "%s ", r->findings[i].code);
        if (getenv("RX_DEBUG"))
            print_message("  %s %s: %s\n", r->findings[i].code,
                          r->findings[i].path ? r->findings[i].path : "", r->findings[i].message);
    }
    s->accepted = r->accepted;
    s->status = r->status;
    g_free(s->receipt);
    g_free(s->extracted);
    g_free(s->id);
    s->receipt = g_strdup(r->receipt);
    s->extracted = g_strdup(r->extracted);
    s->id = g_strdup(r->id);
}

static void seen_clear(seen *s)
{
    g_string_free(s->codes, TRUE);
    g_free(s->receipt);
    g_free(s->extracted);
    g_free(s->id);
}

static sh_status receive(char **files, int n, const char *into, seen *s)
{
    *s = (seen){.codes = g_string_new(NULL)};
    up_receive_options o = {
        .signer = F.receiver, .trust = F.trust, .into = into, .package = on_package, .ctx = s};
    up_receive_summary sum;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = up_receive(files, n, &o, &sum, &err);
    if (err.msg[0])
        print_message("up_receive: %s\n", err.msg);
    return st;
}

/* A fresh case folder dir/NAME with an empty into/ folder; its path (g_free). */
static char *case_dir(const char *name)
{
    char *dir = g_strdup_printf("%s/%s", F.dir, name);
    char *into = g_strdup_printf("%s/into", dir);
    assert_int_equal(g_mkdir_with_parents(into, 0700), 0);
    g_free(into);
    return dir;
}

/* into holds exactly the names given (NULL-terminated): no partial tree, no temporary file. */
static void assert_only(const char *into, const char *const *names)
{
    DIR *d = opendir(into);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        bool known = false;
        for (int i = 0; names[i]; i++)
            known = known || strcmp(names[i], de->d_name) == 0;
        if (!known)
            fail_msg("%s holds %s", into, de->d_name);
        n++;
    }
    closedir(d);
    int want = 0;
    while (names[want])
        want++;
    assert_int_equal(n, want);
}

static void verify_receipt(const char *receipt, const char *verdict)
{
    char *cmd = g_strdup_printf("openssl cms -verify -binary -inform DER -in '%s.p7s' -content "
                                "'%s' -CAfile '%s/ca.pem' -purpose any -out /dev/null 2>&1",
                                receipt, receipt, F.keys);
    run_ok(cmd);
    g_free(cmd);
    size_t len;
    char *text = test_slurp(receipt, &len);
    char *want = g_strdup_printf("\"verdict\":\"%s\"", verdict);
    test_assert_contains(text, want);
    test_assert_contains(text, "\"schema\":\"sohoa-receipt/1\"");
    test_assert_contains(text, "\"cert_sha256\":\"");
    g_free(want);
    g_free(text);
}

/* Builds spec p into case folder name, receives it: rejected with code, nothing extracted, a
 * rejected receipt (unless no_receipt). */
static void assert_rejected_as(pkg_spec *p, const char *name, const char *code, sh_status want)
{
    char *dir = case_dir(name);
    char *file = write_package(p, dir);
    char *into = g_strdup_printf("%s/into", dir);
    seen s;
    assert_int_equal(receive(&file, 1, into, &s), want);
    assert_int_equal(s.packages, 1);
    assert_false(s.accepted);
    test_assert_contains(s.codes->str, code);
    assert_null(s.extracted);
    if (want == SH_INPUT) {
        assert_null(s.receipt);
        assert_only(into, (const char *const[]){NULL});
    } else {
        assert_non_null(s.receipt);
        verify_receipt(s.receipt, "rejected");
        char *json = test_slurp(s.receipt, &(size_t){0});
        test_assert_contains(json, code);
        g_free(json);
        assert_only(into, (const char *const[]){"receipts", NULL});
    }
    seen_clear(&s);
    g_free(into);
    g_free(file);
    g_free(dir);
}

/* ---- the tests ---- */

static void assert_same_file(const char *path, GBytes *want)
{
    size_t len, want_len;
    char *got = test_slurp(path, &len);
    const void *w = g_bytes_get_data(want, &want_len);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, w, len);
    g_free(got);
}

static void valid_package_is_extracted_with_receipt(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    char *dir = case_dir("valid");
    char *file = write_package(&p, dir);
    char *into = g_strdup_printf("%s/into", dir);
    seen s;
    assert_int_equal(receive(&file, 1, into, &s), SH_OK);
    assert_true(s.accepted);
    assert_string_equal(s.codes->str, "");
    assert_non_null(s.extracted);
    for (int i = 0; i < p.n_docs; i++) {
        char *path =
            g_strdup_printf("%s/%s/" ORG "/%s/%s", into, p.id, p.docs[i].folder, p.docs[i].file);
        assert_same_file(path, p.docs[i].bytes);
        g_free(path);
    }
    char *pj = g_strdup_printf("%s/%s/package.json", into, p.id);
    char *text = test_slurp(pj, &(size_t){0});
    test_assert_contains(text, "\"schema\":\"sohoa-package/1\"");
    g_free(text);
    g_free(pj);
    verify_receipt(s.receipt, "accepted");
    assert_only(into, (const char *const[]){p.id, "receipts", NULL});
    /* Received again: the folder is left as it is (a warning), a new receipt. */
    seen again;
    assert_int_equal(receive(&file, 1, into, &again), SH_OK);
    test_assert_contains(again.codes->str, "receive.extract.exists");
    assert_true(again.accepted);
    seen_clear(&again);
    /* A damaged copy named like it: rejected, and the receipt stays "accepted". */
    char *copy_dir = case_dir("valid/copy");
    char *copy = g_strdup_printf("%s/%s.zip.p7m", copy_dir, p.id);
    test_write(copy, "garbage", 7);
    assert_int_equal(receive(&copy, 1, into, &again), SH_FINDINGS);
    assert_null(again.receipt);
    verify_receipt(s.receipt, "accepted");
    seen_clear(&again);
    g_free(copy);
    g_free(copy_dir);
    seen_clear(&s);
    /* What killed runs left: swept, unless changed a moment ago (its run may be about to lock
     * it). */
    char *old = g_strdup_printf("%s/.receiving-%s-AAAAAA", into, p.id);
    char *young = g_strdup_printf("%s/.receiving-%s-BBBBBB", into, p.id);
    char *inside = g_strdup_printf("%s/part.pdf", old);
    assert_int_equal(g_mkdir_with_parents(old, 0700), 0);
    assert_int_equal(g_mkdir_with_parents(young, 0700), 0);
    test_write(inside, "x", 1);
    struct timespec hour_ago[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    assert_int_equal(utimensat(AT_FDCWD, old, hour_ago, 0), 0);
    assert_int_equal(receive(&file, 1, into, &again), SH_OK);
    seen_clear(&again);
    assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
    assert_true(g_file_test(young, G_FILE_TEST_IS_DIR));
    assert_int_equal(rmdir(young), 0);
    g_free(old);
    g_free(young);
    g_free(inside);
    /* Without --into: checked only, nothing written. */
    assert_int_equal(receive(&file, 1, NULL, &s), SH_OK);
    assert_null(s.receipt);
    seen_clear(&s);
    g_free(into);
    g_free(file);
    g_free(dir);
}

/* Damage after encryption: a byte flipped, the file cut. */
static void damage(const char *name, bool truncate)
{
    pkg_spec p = valid_spec();
    char *dir = case_dir(name);
    char *file = write_package(&p, dir);
    size_t len;
    char *bytes = test_slurp(file, &len);
    if (truncate)
        len = len / 2;
    else
        bytes[len / 2] ^= 0x01;
    test_write(file, bytes, len);
    g_free(bytes);
    char *into = g_strdup_printf("%s/into", dir);
    seen s;
    assert_int_equal(receive(&file, 1, into, &s), SH_FINDINGS);
    test_assert_contains(s.codes->str, "receive.decrypt.damaged");
    assert_string_equal(s.id, p.id); /* from the file name */
    verify_receipt(s.receipt, "rejected");
    assert_only(into, (const char *const[]){"receipts", NULL});
    seen_clear(&s);
    g_free(into);
    g_free(file);
    g_free(dir);
}

static void flipped_byte_is_damaged(void **state)
{
    (void)state;
    damage("flipped", false);
}

static void truncated_is_damaged(void **state)
{
    (void)state;
    damage("truncated", true);
}

static void wrong_recipient_is_unreadable(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.recipient = F.other_cert;
    assert_rejected_as(&p, "wrong-key", "receive.decrypt.wrong_key", SH_INPUT);
}

static void untrusted_signer_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.signer = F.rogue;
    assert_rejected_as(&p, "rogue", "receive.signature.untrusted", SH_FINDINGS);
}

static void swapped_payload_breaks_signature(void **state)
{
    (void)state;
    pkg_spec orig = valid_spec();
    orig.tagmanifest = g_string_new(NULL);
    GByteArray *zip = build_zip(&orig);
    g_byte_array_free(zip, TRUE);
    pkg_spec p = orig;
    p.tagmanifest = NULL;
    p.docs[0].bytes = F.pdf[1]; /* another signed PDF, manifests made anew */
    p.sign_over = orig.tagmanifest->str;
    assert_rejected_as(&p, "swapped", "receive.signature.invalid", SH_FINDINGS);
    g_string_free(orig.tagmanifest, TRUE);
}

static void dotdot_entry_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.patch_from = "data/" ORG "/" DOSSIER2 "/";
    /* the same length: "data/" + 18 + "/" + 22 + "/" = 46 bytes */
    p.patch_to = "data/../../../../../../../../../../../../../x/";
    assert_rejected_as(&p, "dotdot", "receive.zip.name_dotdot", SH_FINDINGS);
}

static void zip_bomb_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.bomb = true;
    assert_rejected_as(&p, "bomb", "receive.zip.truncated", SH_FINDINGS);
}

static void duplicate_entry_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.patch_from = "03.Don xin_signed.pdf";
    p.patch_to = "02.Ly lich_signed.pdf"; /* both 21 bytes */
    assert_rejected_as(&p, "duplicate", "receive.zip.name_duplicate", SH_FINDINGS);
}

static void package_json_disagreeing_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.pj_bytes_delta = 1;
    assert_rejected_as(&p, "pj", "receive.package_json.document", SH_FINDINGS);
}

static void broken_pdf_signature_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.docs[0].bytes = F.broken;
    assert_rejected_as(&p, "broken-pdf", "receive.pdf.invalid", SH_FINDINGS);
}

static void volumes_of_a_group(void **state)
{
    (void)state;
    pkg_spec v1 = valid_spec();
    v1.volumes = 2;
    v1.n_docs = 2; /* the first dossier */
    pkg_spec v2 = v1;
    v2.volume = 2;
    v2.n_docs = 1;
    v2.docs[0] = (doc_spec){DOSSIER2, "04.Nghi quyet_signed.pdf", F.pdf[2]};
    char *dir = case_dir("volumes");
    char *files[2] = {write_package(&v1, dir), write_package(&v2, dir)};
    char *into = g_strdup_printf("%s/into", dir);
    seen s;
    /* volume 2 missing */
    assert_int_equal(receive(files, 1, into, &s), SH_FINDINGS);
    test_assert_contains(s.codes->str, "receive.volumes.missing");
    assert_only(into, (const char *const[]){"receipts", NULL});
    seen_clear(&s);
    /* volume 1 twice, encrypted twice (other bytes): refused */
    char *again_dir = case_dir("volumes/again");
    char *twice[2] = {files[0], write_package(&v1, again_dir)};
    assert_int_equal(receive(twice, 2, into, &s), SH_FINDINGS);
    test_assert_contains(s.codes->str, "receive.volumes.duplicate");
    assert_only(into, (const char *const[]){"receipts", NULL});
    seen_clear(&s);
    g_free(twice[1]);
    g_free(again_dir);
    /* the same file twice: read once (a warning), the package whole */
    char *same[3] = {files[0], files[1], files[0]};
    assert_int_equal(receive(same, 3, into, &s), SH_OK);
    test_assert_contains(s.codes->str, "receive.volumes.duplicate");
    assert_true(s.accepted);
    seen_clear(&s);
    char *id_dir = g_strdup_printf("%s/%s", into, v1.id);
    test_rmtree(id_dir);
    g_free(id_dir);
    /* both, in the other order: one package, extracted whole */
    char *both[2] = {files[1], files[0]};
    assert_int_equal(receive(both, 2, into, &s), SH_OK);
    assert_int_equal(s.packages, 1);
    assert_true(s.accepted);
    char *path =
        g_strdup_printf("%s/%s/" ORG "/" DOSSIER2 "/04.Nghi quyet_signed.pdf", into, v1.id);
    assert_same_file(path, F.pdf[2]);
    g_free(path);
    path = g_strdup_printf("%s/%s/package.part2-of-2.json", into, v1.id);
    assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    g_free(path);
    verify_receipt(s.receipt, "accepted");
    seen_clear(&s);
    g_free(into);
    g_free(files[0]);
    g_free(files[1]);
    g_free(dir);
}

static void unsigned_bag_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    p.unsigned_bag = true;
    assert_rejected_as(&p, "unsigned", "receive.signature.missing", SH_FINDINGS);
}

static void payload_not_a_pdf_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    GBytes *text = g_bytes_new_static("not a PDF\n", 10);
    p.docs[1].bytes = text;
    assert_rejected_as(&p, "not-pdf", "receive.pdf.unsigned", SH_FINDINGS);
    g_bytes_unref(text);
}

static void entry_outside_the_folder_is_refused(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    char other[UP_PACKAGE_ID_LEN + 1];
    sh_error err;
    assert_int_equal(up_package_id_new(1790000000000 + F.serial++, other, &err), SH_OK);
    char *from = g_strdup_printf("%s/data/", p.id), *to = g_strdup_printf("%s/data/", other);
    p.patch_from = from;
    p.patch_to = to;
    assert_rejected_as(&p, "outside", "receive.zip.top_folder", SH_FINDINGS);
    g_free(from);
    g_free(to);
}

static void missing_file_is_unreadable(void **state)
{
    (void)state;
    char *file = g_strdup_printf("%s/no-such.zip.p7m", F.dir);
    seen s;
    assert_int_equal(receive(&file, 1, NULL, &s), SH_INPUT);
    test_assert_contains(s.codes->str, "receive.file.unreadable");
    seen_clear(&s);
    g_free(file);
}

/* ---- package.json's parser ---- */

static void parser_is_strict(void **state)
{
    (void)state;
    pkg_spec p = valid_spec();
    up_bag_entry e[3];
    for (int i = 0; i < 3; i++) {
        e[i] = (up_bag_entry){.path = payload_path(&p.docs[i]), .size = 10};
        strcpy(e[i].sha256, F.pdf_cert);
    }
    char *good = package_json(&p, e);
    up_package_json pj;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(up_package_json_parse(good, strlen(good), &pj, &err), SH_OK);
    assert_int_equal(pj.n_dossiers, 2);
    assert_int_equal(pj.dossiers[0].n_docs, 2);
    assert_string_equal(pj.dossiers[0].name, "Nguyễn Văn A");
    up_package_json_clear(&pj);
    struct {
        const char *from, *to;
    } bad[] = {
        {"\"share_level\":3", "\"share_level\":3.0"},
        {"\"share_level\":3", "\"share_level\":\"3\""},
        {"\"schema\":\"sohoa-package/1\"", "\"schema\":\"sohoa-package/2\""},
        {"\"volume\":1", "\"volume\":7"},
        {"\"catalog\"", "\"catalogue\""},
        {"\"station\":\"T-01\"", "\"station\":\"T\\u0000\""},
        {"\"station\":\"T-01\"", "\"station\":\"\\ud800\""},
        {"\"corrects\":[]", "\"corrects\":[\"x\"]"},
        {"\"seq\":null", "\"seq\":nul"},
        {"\"catalog\":\"1361-CV/BTCTW\"", "\"catalog\":\"1361-CV/BTCTW\",\"catalog\":\"x\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *at = strstr(good, bad[i].from);
        assert_non_null(at);
        char *text = g_strdup_printf("%.*s%s%s", (int)(at - good), good, bad[i].to,
                                     at + strlen(bad[i].from));
        sh_error_clear(&err);
        if (up_package_json_parse(text, strlen(text), &pj, &err) != SH_FINDINGS)
            fail_msg("accepted: %s", bad[i].to);
        test_assert_contains(err.msg, "package.json, byte");
        up_package_json_clear(&pj);
        g_free(text);
    }
    char *trailing = g_strconcat(good, " x", NULL);
    assert_int_equal(up_package_json_parse(trailing, strlen(trailing), &pj, &err), SH_FINDINGS);
    up_package_json_clear(&pj);
    g_free(trailing);
    for (size_t cut = 0; cut < strlen(good); cut += 97) {
        assert_int_equal(up_package_json_parse(good, cut, &pj, &err), SH_FINDINGS);
        up_package_json_clear(&pj);
    }
    g_free(good);
    for (int i = 0; i < 3; i++)
        g_free((char *)e[i].path);
    /* The fuzzer's seeds parse. */
    const char *src = getenv("SOHOA_SOURCE");
    char *unit = g_path_get_dirname(__FILE__);
    char *root = src && *src ? g_strdup(src) : g_build_filename(unit, "..", "..", NULL);
    static const char *const seeds[] = {"valid", "escapes-pretty"};
    for (size_t i = 0; i < 2; i++) {
        char *path = g_build_filename(root, "fuzz", "corpus", "package", seeds[i], NULL);
        size_t len;
        char *text = test_slurp(path, &len);
        sh_error_clear(&err);
        if (up_package_json_parse(text, len, &pj, &err) != SH_OK)
            fail_msg("%s: %s", path, err.msg);
        assert_int_equal(pj.n_corrects, 1);
        up_package_json_clear(&pj);
        g_free(text);
        g_free(path);
    }
    g_free(root);
    g_free(unit);
}

/* ---- the big package for the memory measurement ---- */

typedef struct {
    int fd;
} file_sink;

static sh_status to_fd(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    const file_sink *s = ctx;
    if (write(s->fd, buf, len) != (ssize_t)len)
        return sh_fail(err, SH_INTERNAL, "write failed");
    return SH_OK;
}

typedef struct {
    up_envelope_writer *env;
} zip_to_env;

static sh_status zip_sink(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    zip_to_env *z = ctx;
    return up_envelope_write(z->env, buf, len, err);
}

static int make_big(const char *dir, int mib)
{
    fixtures(dir);
    sg_signer *stamper = signer("org-rsa.p12", FONT);
    char *pdf = signed_pdf(stamper, "99.Big", (size_t)8 << 20);
    sg_signer_close(stamper);
    GBytes *bytes = slurp(pdf);
    int n = mib / 8 > 0 ? mib / 8 : 1;
    pkg_spec p = {.volume = 1, .volumes = 1};
    sh_error err;
    assert_int_equal(up_package_id_new(1790000000000, p.id, &err), SH_OK);
    /* n documents of n/16+1 dossiers: the same signed PDF under other names */
    up_bag_entry *e = g_new0(up_bag_entry, (size_t)n);
    size_t len;
    const void *data = g_bytes_get_data(bytes, &len);
    char sha256[65], sha512[129];
    hexdig(EVP_sha256(), data, len, sha256);
    hexdig(EVP_sha512(), data, len, sha512);
    for (int i = 0; i < n; i++) {
        e[i].path =
            g_strdup_printf("data/" ORG "/%012d_Member/%02d.Doc_signed.pdf", i / 16, i % 16 + 1);
        e[i].size = len;
        strcpy(e[i].sha256, sha256);
        strcpy(e[i].sha512, sha512);
    }
    /* package.json of n documents: written here directly */
    GString *pj = g_string_new(NULL);
    g_string_append_printf(pj,
                           "{\"schema\":\"sohoa-package/1\",\"package\":\"%s\",\"volume\":1,"
                           "\"volumes\":1,\"organisation\":\"" ORG "\",\"station\":\"T-01\","
                           "\"operator\":\"A\",\"created_at\":\"2026-12-01T00:00:00.000Z\","
                           "\"basis\":\"b\",\"corrects\":[],\"share_level\":3,\"catalog\":"
                           "\"1361-CV/BTCTW\",\"signer_cert_sha256\":\"%s\",\"dossiers\":[",
                           p.id, F.pdf_cert);
    for (int i = 0; i < n; i++) {
        if (i % 16 == 0)
            g_string_append_printf(pj,
                                   "%s{\"folder\":\"data/" ORG "/%012d_Member\",\"identity\":{"
                                   "\"kind\":\"cccd\",\"key\":\"%012d\"},\"name\":\"M\","
                                   "\"cell\":\"" ORG "\",\"organisation\":\"93.000.036.001\","
                                   "\"documents\":[",
                                   i ? "]}," : "", i / 16, i / 16);
        g_string_append_printf(
            pj,
            "%s{\"path\":\"%s\",\"stt\":%d,\"type\":\"T\",\"seq\":null,\"pages\":1,\"bytes\":%zu,"
            "\"sha256\":\"%s\",\"original_sha256\":\"%s\",\"signer_cert_sha256\":\"%s\","
            "\"signed_at\":\"x\",\"validation\":{\"verdict\":\"pass\",\"at\":\"x\"},\"audit\":[]}",
            i % 16 ? "," : "", e[i].path, i % 16 + 1, len, sha256, sha256, F.pdf_cert);
    }
    g_string_append_printf(pj, "]}],\"audit_head\":{\"id\":1,\"hash\":\"%s\"}}", sha256);
    tag_text t[7] = {
        {NULL, 0, "bagit.txt"}, {NULL, 0, "bag-info.txt"}, {pj->str, pj->len, "package.json"}};
    up_bag_info info = {.source_organization = "O",
                        .external_identifier = p.id,
                        .bagging_date = "2026-12-01",
                        .internal_sender_identifier = "T-01",
                        .basis = "b"};
    assert_int_equal(up_bag_write_bagit(&t[0].text, &t[0].len, &err), SH_OK);
    assert_int_equal(up_bag_write_info(&info, e, (size_t)n, &t[1].text, &t[1].len, &err), SH_OK);
    t[3].name = "manifest-sha256.txt";
    t[4].name = "manifest-sha512.txt";
    assert_int_equal(
        up_bag_write_manifest(UP_BAG_SHA256, e, (size_t)n, &t[3].text, &t[3].len, &err), SH_OK);
    assert_int_equal(
        up_bag_write_manifest(UP_BAG_SHA512, e, (size_t)n, &t[4].text, &t[4].len, &err), SH_OK);
    up_bag_tag tags[5];
    for (int i = 0; i < 5; i++)
        tags[i] = (up_bag_tag){t[i].name, t[i].text, t[i].len};
    t[5].name = "tagmanifest-sha512.txt";
    assert_int_equal(up_bag_write_tagmanifest(tags, 5, &t[5].text, &t[5].len, &err), SH_OK);
    uint8_t *der = NULL;
    size_t der_len = 0;
    assert_int_equal(
        sg_signer_sign_detached(F.sender, t[5].text, t[5].len, 0, &der, &der_len, &err), SH_OK);
    t[6] = (tag_text){(char *)der, der_len, "tagmanifest-sha512.txt.p7s"};
    char *out = g_strdup_printf("%s/%s.zip.p7m", dir, p.id);
    file_sink fs = {open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)};
    assert_true(fs.fd >= 0);
    zip_to_env z = {up_envelope_begin(&F.receiver_cert, 1, to_fd, &fs, &err)};
    assert_non_null(z.env);
    up_zip_writer *w = up_zip_writer_new(zip_sink, &z);
    for (int i = 0; i < 7; i++)
        zip_add(w, p.id, t[i].name, t[i].text, t[i].len);
    for (int i = 0; i < n; i++) {
        int fd = open(pdf, O_RDONLY);
        char *name = g_strdup_printf("%s/%s", p.id, e[i].path);
        assert_int_equal(up_zip_add_fd(w, name, fd, MTIME, &err), SH_OK);
        g_free(name);
        close(fd);
    }
    assert_int_equal(up_zip_finish(w, &err), SH_OK);
    up_zip_writer_free(w);
    assert_int_equal(up_envelope_finish(z.env, &err), SH_OK);
    close(fs.fd);
    printf("%s\n", out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--make-big") == 0)
        return make_big(argv[2], atoi(argv[3]));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_package_is_extracted_with_receipt),
        cmocka_unit_test(flipped_byte_is_damaged),
        cmocka_unit_test(truncated_is_damaged),
        cmocka_unit_test(wrong_recipient_is_unreadable),
        cmocka_unit_test(untrusted_signer_is_refused),
        cmocka_unit_test(swapped_payload_breaks_signature),
        cmocka_unit_test(dotdot_entry_is_refused),
        cmocka_unit_test(zip_bomb_is_refused),
        cmocka_unit_test(duplicate_entry_is_refused),
        cmocka_unit_test(package_json_disagreeing_is_refused),
        cmocka_unit_test(broken_pdf_signature_is_refused),
        cmocka_unit_test(volumes_of_a_group),
        cmocka_unit_test(unsigned_bag_is_refused),
        cmocka_unit_test(payload_not_a_pdf_is_refused),
        cmocka_unit_test(entry_outside_the_folder_is_refused),
        cmocka_unit_test(missing_file_is_unreadable),
        cmocka_unit_test(parser_is_strict),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
