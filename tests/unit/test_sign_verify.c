/* sg_verify_file on a PDF signed here with sg_sign_file, the organisation's PKCS#12 file made by
 * tests/sign_fixtures.sh (chain: test root, issuing CA, org-rsa): valid and trusted; one byte
 * changed inside the signed range: invalid; bytes appended after the signature: the signature
 * no longer covers the whole file; a trust store without the root (another root, or none):
 * untrusted; a PDF without a signature: a file-level problem. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pdf/pdf.h"
#include "sign/sign.h"

#define P12_PASS "p12-pass"
#define ORG_CN "Văn phòng Đảng ủy xã Tân Phú"
#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define CREATOR "sohoa test"

typedef struct {
    char *dir;        /* scratch: the keys, the plain and the signed PDF */
    char *plain;      /* one page, never signed */
    char *signed_pdf; /* plain, signed by org-rsa */
    X509_STORE *trust;
} fixture;

/* tests/sign_fixtures.sh into dir/keys (its source folder from SOHOA_SOURCE or this file). */
static char *make_keys(const char *dir)
{
    const char *src = getenv("SOHOA_SOURCE");
    char *unit = g_path_get_dirname(__FILE__);
    char *tests = src && *src ? g_build_filename(src, "tests", NULL) : g_path_get_dirname(unit);
    g_free(unit);
    char *script = g_build_filename(tests, "sign_fixtures.sh", NULL);
    char *keys = test_path(dir, "keys");
    char *cmd = g_strdup_printf("bash '%s' '%s' 2>&1", script, keys);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("%s failed:\n%s", cmd, out);
    g_free(out);
    g_free(cmd);
    g_free(script);
    g_free(tests);
    return keys;
}

/* A one-page PDF: an image drawn over the page, an info dictionary naming CREATOR. */
static void write_plain(const char *path)
{
    sh_error err;
    pdf_writer *w = pdf_writer_new(path, 4, false, &err);
    if (!w)
        fail_msg("pdf_writer_new: %s", err.msg);
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int page = pdf_object_reserve(w), image = pdf_object_reserve(w);
    int content = pdf_object_reserve(w), info = pdf_object_reserve(w);
    test_pdf_page_tree(w, catalog, pages, page);
    pdf_object_begin(w, page);
    pdf_printf(w,
               "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /XObject "
               "<< /Im1 %d 0 R >> >> /Contents %d 0 R >>",
               pages, image, content);
    pdf_object_end(w);
    static const unsigned char pixels[8] = {0, 64, 128, 255, 255, 128, 64, 0};
    pdf_stream_begin(w, image,
                     "/Type /XObject /Subtype /Image /Width 4 /Height 2 /ColorSpace /DeviceGray "
                     "/BitsPerComponent 8",
                     sizeof pixels);
    pdf_write(w, pixels, sizeof pixels);
    pdf_stream_end(w);
    const char *ops = "q 595 0 0 842 0 0 cm /Im1 Do Q";
    pdf_stream_begin(w, content, "", PDF_LENGTH_LATER);
    pdf_write(w, ops, strlen(ops));
    pdf_stream_end(w);
    pdf_object_begin(w, info);
    pdf_printf(w, "<< /Creator (" CREATOR ") >>");
    pdf_object_end(w);
    if (pdf_writer_finish(w, catalog, info, NULL, &err) != SH_OK)
        fail_msg("pdf_writer_finish: %s", err.msg);
}

static void sign_plain(const char *keys, const char *in, const char *out)
{
    char *p12 = test_path(keys, "org-rsa.p12");
    sg_signer_options o = {.key = {.pkcs12 = p12},
                           .secret = P12_PASS,
                           .font_path = FONT,
                           .stamp_width_mm = 70,
                           .stamp_margin_mm = 10,
                           .placement = SG_PLACE_FIXED};
    sg_signer *s = NULL;
    sh_error err;
    sh_error_clear(&err);
    if (sg_signer_open(&o, &s, &err) != SH_OK)
        fail_msg("sg_signer_open %s: %s", p12, err.msg);
    sg_sign_result res;
    if (sg_sign_file(s, in, NULL, out, &res, &err) != SH_OK)
        fail_msg("sg_sign_file %s: %s", in, err.msg);
    sg_signer_close(s);
    g_free(p12);
}

static int setup(void **state)
{
    fixture *f = g_new0(fixture, 1);
    f->dir = test_tmpdir("sign-verify");
    char *keys = make_keys(f->dir);
    f->plain = test_path(f->dir, "plain.pdf");
    f->signed_pdf = test_path(f->dir, "plain_signed.pdf");
    write_plain(f->plain);
    sign_plain(keys, f->plain, f->signed_pdf);
    char *ca = test_path(keys, "ca.pem");
    sh_error err;
    sh_error_clear(&err);
    if (sg_trust_load(ca, &f->trust, &err) != SH_OK)
        fail_msg("sg_trust_load %s: %s", ca, err.msg);
    g_free(ca);
    g_free(keys);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f) /* the setup failed */
        return 0;
    X509_STORE_free(f->trust);
    test_rmtree(f->dir);
    g_free(f->dir);
    g_free(f->plain);
    g_free(f->signed_pdf);
    g_free(f);
    return 0;
}

/* A copy of the signed file to tamper with (g_free). */
static char *copy_of_signed(const fixture *f, const char *name, size_t *len, char **bytes)
{
    char *path = test_path(f->dir, name);
    *bytes = test_slurp(f->signed_pdf, len);
    return path;
}

static void verify_ok(const char *path, X509_STORE *trust, sg_verify_report *rep)
{
    sh_error err;
    sh_error_clear(&err);
    memset(rep, 0, sizeof *rep);
    if (sg_verify_file(path, trust, rep, &err) != SH_OK)
        fail_msg("sg_verify_file %s: %s", path, err.msg);
}

static void signed_file_is_valid(void **state)
{
    fixture *f = *state;
    sg_verify_report rep;
    verify_ok(f->signed_pdf, f->trust, &rep);
    assert_int_equal(rep.n_sigs, 1);
    const sg_signature_report *s = &rep.sigs[0];
    assert_int_equal(s->state, SG_SIG_VALID);
    assert_true(s->covers_whole);
    assert_int_equal(s->signed_bytes, rep.file_bytes);
    assert_string_equal(s->signer_cn, ORG_CN);
    assert_string_equal(s->subfilter, "ETSI.CAdES.detached");
    assert_false(s->weak);
    assert_null(s->problems);
    assert_false(rep.modified_after);
    assert_null(rep.problem);
    assert_true(rep.ok);
    assert_int_equal(sg_verify_status(&rep), SH_OK);
    sg_verify_report_clear(&rep);
}

/* "sohoa test" in the info dictionary, inside the signed range, becomes "Sohoa test". */
static void byte_changed_in_signed_range_is_invalid(void **state)
{
    fixture *f = *state;
    size_t len;
    char *bytes;
    char *path = copy_of_signed(f, "flipped.pdf", &len, &bytes);
    char *at = memmem(bytes, len, "(" CREATOR ")", strlen("(" CREATOR ")")); /* binary: no strstr */
    assert_non_null(at);
    at[1] = 'S';
    test_write(path, bytes, len);
    sg_verify_report rep;
    verify_ok(path, f->trust, &rep);
    assert_int_equal(rep.n_sigs, 1);
    assert_int_equal(rep.sigs[0].state, SG_SIG_INVALID);
    assert_non_null(rep.sigs[0].problems);
    assert_false(rep.ok);
    assert_int_equal(sg_verify_status(&rep), SH_FINDINGS);
    sg_verify_report_clear(&rep);
    g_free(bytes);
    g_free(path);
}

/* Bytes after the signed revision: the signature still holds for what it signed, but no longer
 * covers the whole file. */
static void bytes_appended_are_not_covered(void **state)
{
    fixture *f = *state;
    size_t len;
    char *bytes;
    char *path = copy_of_signed(f, "appended.pdf", &len, &bytes);
    static const char more[] = "\n% appended after signing\n";
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, (const guint8 *)bytes, (guint)len);
    g_byte_array_append(b, (const guint8 *)more, sizeof more - 1);
    test_write(path, (const char *)b->data, b->len);
    sg_verify_report rep;
    verify_ok(path, f->trust, &rep);
    assert_int_equal(rep.n_sigs, 1);
    assert_int_equal(rep.sigs[0].state, SG_SIG_VALID);
    assert_false(rep.sigs[0].covers_whole);
    assert_int_equal(rep.sigs[0].signed_bytes, len);
    assert_int_equal(rep.file_bytes, len + sizeof more - 1);
    assert_true(rep.modified_after);
    assert_false(rep.ok);
    assert_int_equal(sg_verify_status(&rep), SH_FINDINGS);
    sg_verify_report_clear(&rep);
    g_byte_array_free(b, TRUE);
    g_free(bytes);
    g_free(path);
}

/* A self-signed root that issued nothing here. */
static X509_STORE *other_root(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    assert_true(key && x);
    assert_int_equal(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                (const unsigned char *)"Another root", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    X509_STORE *store = X509_STORE_new();
    assert_int_equal(X509_STORE_add_cert(store, x), 1);
    X509_free(x);
    EVP_PKEY_free(key);
    return store;
}

static void untrusted_root_is_untrusted(void **state)
{
    fixture *f = *state;
    X509_STORE *other = other_root();
    X509_STORE *stores[] = {other, NULL}; /* another root; no trust anchors at all */
    for (size_t i = 0; i < G_N_ELEMENTS(stores); i++) {
        sg_verify_report rep;
        verify_ok(f->signed_pdf, stores[i], &rep);
        assert_int_equal(rep.n_sigs, 1);
        assert_int_equal(rep.sigs[0].state, SG_SIG_UNTRUSTED);
        assert_true(rep.sigs[0].covers_whole);
        assert_false(rep.ok);
        assert_int_equal(sg_verify_status(&rep), SH_FINDINGS);
        sg_verify_report_clear(&rep);
    }
    X509_STORE_free(other);
}

static void unsigned_pdf_is_a_problem(void **state)
{
    fixture *f = *state;
    sg_verify_report rep;
    verify_ok(f->plain, f->trust, &rep);
    assert_int_equal(rep.n_sigs, 0);
    assert_non_null(rep.problem);
    assert_false(rep.ok);
    assert_int_equal(sg_verify_status(&rep), SH_FINDINGS);
    sg_verify_report_clear(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signed_file_is_valid),
        cmocka_unit_test(byte_changed_in_signed_range_is_invalid),
        cmocka_unit_test(bytes_appended_are_not_covered),
        cmocka_unit_test(untrusted_root_is_untrusted),
        cmocka_unit_test(unsigned_pdf_is_a_problem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
