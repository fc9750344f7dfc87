/* Detached signatures of files other than PDFs (sign/detached.c), with the keys of
 * tests/sign_fixtures.sh: made from a PKCS#12 file (RSA, EC) and a SoftHSM2 token, judged by our
 * sg_verify_detached and by `openssl cms -verify`; damaged, forged, untrusted and garbage
 * signatures give a state and a problem, never a crash; a signer without a stamp signs no PDF;
 * the decryption key comes from a PKCS#12 file only. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sign_impl.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "123456"
#define P12_PASS "p12-pass"
#define ORG_CN "Văn phòng Đảng ủy xã Tân Phú"
#define ORG_O "Đảng ủy xã Tân Phú"
#define AT_UTC INT64_C(1795000000) /* 2026-11-18: a UTCTime */
#define AT_GEN INT64_C(2556144000) /* 2051-01-01: a GeneralizedTime */
#define DATA "bag-info.txt 0123456789abcdef\nmanifest-sha256.txt Hồ sơ đảng viên 0001\n"

static char *fx; /* the fixtures folder */
static X509_STORE *trust;

static int make_fixtures(void **state)
{
    (void)state;
    const char *src = getenv("SOHOA_SOURCE");
    char *dir = src && *src ? g_build_filename(src, "tests", NULL) : g_path_get_dirname(__FILE__);
    char *script = g_build_filename(dir, src && *src ? "" : "..", "sign_fixtures.sh", NULL);
    fx = test_tmpdir("sign-detached");
    char *cmd = g_strdup_printf("bash '%s' '%s' 2>&1", script, fx);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        print_error("%s failed:\n%s\n", cmd, out);
    g_free(out);
    g_free(cmd);
    g_free(script);
    g_free(dir);
    char *conf = test_path(fx, "softhsm2.conf");
    setenv("SOFTHSM2_CONF", conf, 1);
    g_free(conf);
    char *ca = test_path(fx, "ca.pem");
    sh_error err = {0};
    if (ok && sg_trust_load(ca, &trust, &err) != SH_OK) {
        print_error("%s\n", err.msg);
        ok = false;
    }
    g_free(ca);
    return ok ? 0 : -1;
}

static int drop_fixtures(void **state)
{
    (void)state;
    X509_STORE_free(trust);
    test_rmtree(fx);
    g_free(fx);
    return 0;
}

static char *fxp(const char *name) { return test_path(fx, name); }

/* ---- helpers ---- */

/* A signer without a stamp, unlocked: the PKCS#12 file of the fixtures, or (p12 NULL) the key
 * labelled key_label on the token "sohoa-test". */
static sg_signer *signer(const char *p12, const char *key_label)
{
    char *path = p12 ? fxp(p12) : NULL;
    if (!p12) {
        test_need_tool("softhsm2-util");
        if (access(MODULE, R_OK) != 0)
            fail_msg("this test needs SoftHSM2 (%s)", MODULE);
    }
    sg_signer_options o = {.key = {.pkcs12 = path,
                                   .pkcs11_module = p12 ? NULL : MODULE,
                                   .token_label = p12 ? NULL : "sohoa-test",
                                   .key_label = key_label},
                           .secret = p12 ? P12_PASS : PIN};
    sg_signer *s = NULL;
    sh_error err = {0};
    sh_status st = sg_signer_open(&o, &s, &err);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    g_free(path);
    return s;
}

static uint8_t *sign(sg_signer *s, const char *data, int64_t at, size_t *len)
{
    uint8_t *der = NULL;
    sh_error err = {0};
    sh_status st = sg_signer_sign_detached(s, data, strlen(data), at, &der, len, &err);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    assert_non_null(der);
    return der;
}

/* sg_verify_detached's state for der over data with store; the report in rep. */
static sg_sig_state check(const uint8_t *der, size_t der_len, const char *data, X509_STORE *store,
                          sg_detached_report *rep)
{
    sh_error err = {0};
    assert_int_equal(sg_verify_detached(der, der_len, data, strlen(data), store, rep, &err), SH_OK);
    if (rep->state == SG_SIG_VALID)
        assert_null(rep->problem);
    else
        assert_true(rep->problem && *rep->problem);
    return rep->state;
}

/* The state, the report cleared; the problem must say `says` (NULL: valid). */
static void assert_state(const uint8_t *der, size_t der_len, const char *data, X509_STORE *store,
                         sg_sig_state want, const char *says)
{
    sg_detached_report rep;
    sg_sig_state got = check(der, der_len, data, store, &rep);
    if (got != want)
        fail_msg("state %d, expected %d (%s)", got, want, rep.problem ? rep.problem : "");
    if (says)
        test_assert_contains(rep.problem, says);
    sg_detached_report_clear(&rep);
}

/* `openssl cms -verify` of der over data against the fixtures' root: whether it verifies. */
static bool openssl_verifies(const uint8_t *der, size_t der_len, const char *data)
{
    test_need_tool("openssl");
    char *sig = fxp("judge.sig"), *content = fxp("judge.txt"), *ca = fxp("ca.pem");
    test_write(sig, (const char *)der, der_len);
    test_write(content, data, strlen(data));
    char *cmd = g_strdup_printf("openssl cms -verify -binary -inform DER -in '%s' -content '%s' "
                                "-CAfile '%s' -purpose any -out /dev/null",
                                sig, content, ca);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    g_free(cmd);
    g_free(ca);
    g_free(content);
    g_free(sig);
    return ok;
}

/* `openssl asn1parse` of der: its text (g_free). */
static char *asn1_text(const uint8_t *der, size_t der_len)
{
    test_need_tool("openssl");
    char *sig = fxp("parse.sig");
    test_write(sig, (const char *)der, der_len);
    char *cmd = g_strdup_printf("openssl asn1parse -inform DER -in '%s'", sig);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    assert_true(ok);
    g_free(cmd);
    g_free(sig);
    return out;
}

/* A signature made by `openssl cms -sign` with the fixtures' org-rsa key and extra options,
 * over DATA; g_free. */
/* DATA signed by `openssl cms -sign` with the fixtures' KEY and PEM, the certificates of CERTS
 * added, and options. */
static uint8_t *openssl_signs(const char *key, const char *pem, const char *certs,
                              const char *options, size_t *len)
{
    test_need_tool("openssl");
    char *content = fxp("ossl.txt"), *sig = fxp("ossl.sig");
    test_write(content, DATA, strlen(DATA));
    char *cmd = g_strdup_printf("cd '%s' && openssl cms -sign -binary -outform DER -in '%s' "
                                "-signer '%s' -inkey '%s' -certfile '%s' %s -out '%s'",
                                fx, content, pem, key, certs, options, sig);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    uint8_t *der = (uint8_t *)test_slurp(sig, len);
    g_free(cmd);
    g_free(sig);
    g_free(content);
    return der;
}

static uint8_t *openssl_signed(const char *options, size_t *len)
{
    return openssl_signs("org-rsa.key", "org-rsa.pem", "chain.pem", options, len);
}

static uint8_t *openssl_signed_with(const char *key, const char *pem, const char *certs,
                                    size_t *len)
{
    return openssl_signs(key, pem, certs, "", len);
}

/* A signature of s over DATA verifies, by us and by OpenSSL, and names the signer. */
static void assert_round_trip(sg_signer *s)
{
    size_t len = 0;
    uint8_t *der = sign(s, DATA, AT_UTC, &len);
    sg_detached_report rep;
    assert_int_equal(check(der, len, DATA, trust, &rep), SG_SIG_VALID);
    assert_string_equal(rep.signer_cn, ORG_CN);
    assert_string_equal(rep.signer_org, ORG_O);
    assert_string_equal(rep.cert_sha256, sg_signer_cert_sha256(s));
    assert_int_equal(rep.signed_at, AT_UTC);
    sg_detached_report_clear(&rep);
    assert_true(openssl_verifies(der, len, DATA));
    /* and not over other data, by either */
    assert_false(openssl_verifies(der, len, DATA "x"));
    assert_state(der, len, DATA "x", trust, SG_SIG_INVALID, "changed");
    g_free(der);
}

/* ---- making them ---- */

static void p12_rsa_verifies(void **state)
{
    (void)state;
    sg_signer *s = signer("org-rsa.p12", NULL);
    assert_round_trip(s);
    sg_signer_close(s);
}

static void p12_ec_verifies(void **state)
{
    (void)state;
    sg_signer *s = signer("org-ec.p12", NULL);
    assert_round_trip(s);
    sg_signer_close(s);
}

static void token_rsa_verifies(void **state)
{
    (void)state;
    sg_signer *s = signer(NULL, "org-rsa");
    assert_round_trip(s);
    sg_signer_close(s);
}

static void token_ec_verifies(void **state)
{
    (void)state;
    sg_signer *s = signer(NULL, "org-ec");
    assert_round_trip(s);
    sg_signer_close(s);
}

/* RFC 5652 11.3: UTCTime up to 2049, GeneralizedTime from 2050; 0 is now. */
static void signing_time_encoded(void **state)
{
    (void)state;
    sg_signer *s = signer("org-rsa.p12", NULL);
    size_t len = 0;
    uint8_t *der = sign(s, DATA, AT_UTC, &len);
    char *text = asn1_text(der, len);
    test_assert_contains(text, ":signingTime");
    test_assert_contains(text, "UTCTIME           :261118110640Z");
    test_assert_contains(text, ":messageDigest");
    test_assert_contains(text, "id-smime-aa-signingCertificateV2");
    g_free(text);
    g_free(der);
    der = sign(s, DATA, AT_GEN, &len);
    text = asn1_text(der, len);
    test_assert_contains(text, "GENERALIZEDTIME   :20510101000000Z");
    g_free(text);
    sg_detached_report rep;
    assert_int_equal(check(der, len, DATA, trust, &rep), SG_SIG_VALID);
    assert_int_equal(rep.signed_at, AT_GEN);
    sg_detached_report_clear(&rep);
    assert_true(openssl_verifies(der, len, DATA));
    g_free(der);
    int64_t before = (int64_t)time(NULL);
    der = sign(s, DATA, 0, &len);
    assert_int_equal(check(der, len, DATA, trust, &rep), SG_SIG_VALID);
    assert_true(rep.signed_at >= before && rep.signed_at <= (int64_t)time(NULL));
    sg_detached_report_clear(&rep);
    g_free(der);
    sg_signer_close(s);
}

static void empty_data_signed(void **state)
{
    (void)state;
    sg_signer *s = signer("org-ec.p12", NULL);
    size_t len = 0;
    uint8_t *der = sign(s, "", AT_UTC, &len);
    assert_state(der, len, "", trust, SG_SIG_VALID, NULL);
    assert_true(openssl_verifies(der, len, ""));
    assert_state(der, len, "a", trust, SG_SIG_INVALID, "changed");
    g_free(der);
    sg_signer_close(s);
}

/* ---- what is refused ---- */

static void flipped_bytes_invalid(void **state)
{
    (void)state;
    sg_signer *s = signer("org-rsa.p12", NULL);
    size_t len = 0;
    uint8_t *der = sign(s, DATA, AT_UTC, &len);
    char *data = g_strdup(DATA);
    data[5] ^= 1;
    assert_state(der, len, data, trust, SG_SIG_INVALID, "changed after it was signed");
    g_free(data);
    der[len - 1] ^= 1; /* the signature value ends the DER */
    assert_state(der, len, DATA, trust, SG_SIG_INVALID, "signature value does not match");
    assert_false(openssl_verifies(der, len, DATA));
    g_free(der);
    sg_signer_close(s);
}

static void untrusted_signer(void **state)
{
    (void)state;
    test_need_tool("openssl");
    sg_signer *s = signer("org-rsa.p12", NULL);
    size_t len = 0;
    uint8_t *der = sign(s, DATA, AT_UTC, &len);
    assert_state(der, len, DATA, NULL, SG_SIG_UNTRUSTED, "not trusted");
    char *cmd = g_strdup_printf("cd '%s' && openssl req -x509 -newkey ec -pkeyopt "
                                "ec_paramgen_curve:prime256v1 -nodes -keyout other-ca.key "
                                "-out other-ca.pem -subj /CN=Other -days 30",
                                fx);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    g_free(cmd);
    char *pem = fxp("other-ca.pem");
    X509_STORE *other = NULL;
    sh_error err = {0};
    assert_int_equal(sg_trust_load(pem, &other, &err), SH_OK);
    assert_state(der, len, DATA, other, SG_SIG_UNTRUSTED, "not trusted");
    X509_STORE_free(other);
    g_free(pem);
    g_free(der);
    sg_signer_close(s);
}

static void truncated_and_trailing(void **state)
{
    (void)state;
    sg_signer *s = signer("org-ec.p12", NULL);
    size_t len = 0;
    uint8_t *der = sign(s, DATA, AT_UTC, &len);
    assert_state(der, len - 1, DATA, trust, SG_SIG_INVALID, "cut short");
    assert_state(der, len / 2, DATA, trust, SG_SIG_INVALID, "cut short");
    assert_state(der, 3, DATA, trust, SG_SIG_INVALID, NULL);
    assert_state(der, 1, DATA, trust, SG_SIG_INVALID, NULL);
    uint8_t *longer = g_malloc0(len + 2);
    memcpy(longer, der, len);
    assert_state(longer, len + 2, DATA, trust, SG_SIG_INVALID, "after its end");
    /* an inner length made wrong: the header holds, the inside does not */
    memcpy(longer, der, len);
    longer[5] ^= 0x40;
    assert_state(longer, len, DATA, trust, SG_SIG_INVALID, NULL);
    g_free(longer);
    g_free(der);
    sg_signer_close(s);
}

static void empty_and_garbage(void **state)
{
    (void)state;
    assert_state(NULL, 0, DATA, trust, SG_SIG_INVALID, "empty");
    static const uint8_t one = 0x30;
    assert_state(&one, 0, DATA, trust, SG_SIG_INVALID, "empty");
    size_t big = (size_t)2 << 20;
    uint8_t *junk = g_malloc(big);
    GRand *r = g_rand_new_with_seed(7);
    for (size_t i = 0; i < big; i++)
        junk[i] = (uint8_t)g_rand_int(r);
    assert_state(junk, big, DATA, trust, SG_SIG_INVALID, "more than a signature can be");
    /* a SEQUENCE header that claims the rest, then noise: a whole element that is no CMS */
    size_t n = (size_t)1 << 20;
    junk[0] = 0x30;
    junk[1] = 0x83;
    junk[2] = (uint8_t)((n - 5) >> 16);
    junk[3] = (uint8_t)((n - 5) >> 8);
    junk[4] = (uint8_t)(n - 5);
    assert_state(junk, n, DATA, trust, SG_SIG_INVALID, "CMS SignedData");
    for (int round = 0; round < 200; round++) { /* small random ones, some of them SEQUENCEs */
        size_t m = 2 + g_rand_int_range(r, 0, 300);
        for (size_t i = 0; i < m; i++)
            junk[i] = (uint8_t)g_rand_int(r);
        if (round % 2) {
            junk[0] = 0x30;
            junk[1] = (uint8_t)(m - 2 < 0x80 ? m - 2 : 0x80);
        }
        sg_detached_report rep;
        assert_int_equal(check(junk, m, DATA, trust, &rep), SG_SIG_INVALID);
        sg_detached_report_clear(&rep);
    }
    g_rand_free(r);
    g_free(junk);
}

/* Signatures made by OpenSSL: with its signed attributes (no ESS) valid; without signed
 * attributes, with the content inside, or with SHA-1, not. */
static void other_producers(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *der = openssl_signed("", &len);
    assert_state(der, len, DATA, trust, SG_SIG_VALID, NULL);
    g_free(der);
    der = openssl_signed("-cades", &len);
    assert_state(der, len, DATA, trust, SG_SIG_VALID, NULL);
    g_free(der);
    der = openssl_signed("-noattr", &len);
    assert_state(der, len, DATA, trust, SG_SIG_INVALID, "no signed attributes");
    g_free(der);
    der = openssl_signed("-nodetach", &len);
    assert_state(der, len, DATA, trust, SG_SIG_INVALID, "content of its own");
    g_free(der);
    der = openssl_signed("-md sha1", &len);
    assert_state(der, len, DATA, trust, SG_SIG_UNCHECKED, "SHA-1");
    g_free(der);
}

/* ---- many signatures through one verifier (sg_detached_verify) ---- */

/* The verifier's judgement of der over data is sg_verify_detached's, and is `want`. */
static void assert_verifier(sg_detached_verifier *v, const uint8_t *der, size_t der_len,
                            const char *data, sg_sig_state want)
{
    sg_detached_report got, alone;
    sh_error err = {0};
    assert_int_equal(sg_detached_verify(v, der, der_len, data, strlen(data), &got, &err), SH_OK);
    assert_int_equal(sg_verify_detached(der, der_len, data, strlen(data), trust, &alone, &err),
                     SH_OK);
    if (got.state != want)
        fail_msg("state %d, expected %d (%s)", got.state, want, got.problem ? got.problem : "");
    assert_int_equal(got.state, alone.state);
    assert_string_equal(got.problem ? got.problem : "", alone.problem ? alone.problem : "");
    assert_string_equal(got.signer_cn ? got.signer_cn : "", alone.signer_cn ? alone.signer_cn : "");
    assert_string_equal(got.cert_sha256, alone.cert_sha256);
    sg_detached_report_clear(&got);
    sg_detached_report_clear(&alone);
}

/* After a trusted signature has put its certificates and chain in the verifier's cache, a key
 * that no anchor vouches for is still untrusted, even carrying the trusted certificates; an
 * expired signer is untrusted; the trusted signature over changed bytes is invalid: the cache
 * cannot be poisoned, and every judgement is sg_verify_detached's. */
static void verifier_cache_not_poisoned(void **state)
{
    (void)state;
    test_need_tool("openssl");
    char *cmd = g_strdup_printf("cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout "
                                "stranger.key -out stranger.pem -subj /CN=Stranger -days 30 && "
                                "cat org-rsa.pem chain.pem >trusted-certs.pem",
                                fx);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    g_free(cmd);
    sg_signer *s = signer("org-rsa.p12", NULL);
    size_t len = 0, x_len = 0, old_len = 0, ec_len = 0;
    uint8_t *der = sign(s, DATA, AT_UTC, &len);
    uint8_t *x = openssl_signed_with("stranger.key", "stranger.pem", "trusted-certs.pem", &x_len);
    uint8_t *old = openssl_signed_with("org-expired.key", "org-expired.pem", "chain.pem", &old_len);
    uint8_t *ec = openssl_signed_with("org-ec.key", "org-ec.pem", "chain.pem", &ec_len);
    sg_detached_verifier *v = sg_detached_verifier_new(trust);
    for (int round = 0; round < 2; round++) { /* the second: everything cached */
        assert_verifier(v, der, len, DATA, SG_SIG_VALID);
        assert_verifier(v, x, x_len, DATA, SG_SIG_UNTRUSTED);
        assert_verifier(v, old, old_len, DATA, SG_SIG_UNTRUSTED);
        assert_verifier(v, der, len, DATA "changed", SG_SIG_INVALID);
        assert_verifier(v, ec, ec_len, DATA, SG_SIG_VALID);
        assert_verifier(v, ec, ec_len - 1, DATA, SG_SIG_INVALID);
    }
    sg_detached_verifier_free(v);
    /* a verifier without anchors trusts nothing, cached or not */
    v = sg_detached_verifier_new(NULL);
    sg_detached_report rep;
    sh_error err = {0};
    assert_int_equal(sg_detached_verify(v, der, len, DATA, strlen(DATA), &rep, &err), SH_OK);
    assert_int_equal(rep.state, SG_SIG_UNTRUSTED);
    sg_detached_report_clear(&rep);
    sg_detached_verifier_free(v);
    g_free(der);
    g_free(x);
    g_free(old);
    g_free(ec);
    sg_signer_close(s);
}

/* ---- the signer without a stamp ---- */

static void stampless_signs_no_pdf(void **state)
{
    (void)state;
    char *p12 = fxp("org-rsa.p12");
    /* no font, and a seal that does not exist: neither is read */
    sg_signer_options o = {
        .key = {.pkcs12 = p12}, .secret = P12_PASS, .seal_path = "/nonexistent/seal.png"};
    sg_signer *s = NULL;
    sh_error err = {0};
    assert_int_equal(sg_signer_prepare(&o, &s, &err), SH_OK);
    assert_true(sg_signer_needs_secret(s));
    assert_int_equal(sg_signer_unlock(s, P12_PASS, &err), SH_OK);
    assert_string_equal(sg_signer_cn(s), ORG_CN);
    char *in = test_put_pdf(fx, "in.pdf"), *out = fxp("out.pdf");
    sg_sign_result res;
    assert_int_equal(sg_sign_file(s, in, NULL, out, &res, &err), SH_USAGE);
    test_assert_contains(err.msg, "in.pdf");
    test_assert_contains(err.msg, "without a stamp");
    sh_atomic_file *sealed = (sh_atomic_file *)&err;
    assert_int_equal(sg_sign_file_sealed(s, in, NULL, out, &res, &sealed, &err), SH_USAGE);
    assert_null(sealed);
    assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    /* and it makes detached signatures */
    size_t len = 0;
    uint8_t *der = sign(s, DATA, AT_UTC, &len);
    assert_state(der, len, DATA, trust, SG_SIG_VALID, NULL);
    g_free(der);
    sg_signer_close(s);
    g_free(out);
    g_free(in);
    g_free(p12);
}

/* ---- the key for decryption ---- */

static void decryption_key_from_p12(void **state)
{
    (void)state;
    sg_signer *s = signer("org-rsa.p12", NULL);
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    sh_error err = {0};
    assert_int_equal(sg_signer_decryption_key(s, &cert, &key, &err), SH_OK);
    assert_true(cert && key);
    sg_signer_close(s); /* up-referenced: they outlive the signer */
    assert_int_equal(EVP_PKEY_eq(key, X509_get0_pubkey(cert)), 1);
    char *pem = fxp("org-rsa.pem");
    size_t n = 0;
    char *text = test_slurp(pem, &n);
    BIO *bio = BIO_new_mem_buf(text, (int)n);
    X509 *want = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(want);
    assert_int_equal(X509_cmp(cert, want), 0);
    /* it decrypts what was encrypted to the certificate (RSA-OAEP) */
    static const unsigned char secret[] = "khoá nội dung";
    unsigned char enc[512], dec[512];
    size_t enc_len = sizeof enc, dec_len = sizeof dec;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL);
    assert_true(c && EVP_PKEY_encrypt_init(c) == 1 &&
                EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
                EVP_PKEY_encrypt(c, enc, &enc_len, secret, sizeof secret) == 1);
    EVP_PKEY_CTX_free(c);
    c = EVP_PKEY_CTX_new(key, NULL);
    assert_true(c && EVP_PKEY_decrypt_init(c) == 1 &&
                EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
                EVP_PKEY_decrypt(c, dec, &dec_len, enc, enc_len) == 1);
    EVP_PKEY_CTX_free(c);
    assert_int_equal(dec_len, sizeof secret);
    assert_memory_equal(dec, secret, sizeof secret);
    X509_free(want);
    BIO_free(bio);
    g_free(text);
    g_free(pem);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void decryption_key_not_from_token(void **state)
{
    (void)state;
    sg_signer *s = signer(NULL, "org-rsa");
    X509 *cert = (X509 *)&cert;
    EVP_PKEY *key = (EVP_PKEY *)&key;
    sh_error err = {0};
    assert_int_equal(sg_signer_decryption_key(s, &cert, &key, &err), SH_USAGE);
    assert_null(cert);
    assert_null(key);
    test_assert_contains(err.msg, "sohoa-test");
    test_assert_contains(err.msg, "PKCS#12");
    sg_signer_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(p12_rsa_verifies),
        cmocka_unit_test(p12_ec_verifies),
        cmocka_unit_test(token_rsa_verifies),
        cmocka_unit_test(token_ec_verifies),
        cmocka_unit_test(signing_time_encoded),
        cmocka_unit_test(empty_data_signed),
        cmocka_unit_test(flipped_bytes_invalid),
        cmocka_unit_test(untrusted_signer),
        cmocka_unit_test(truncated_and_trailing),
        cmocka_unit_test(empty_and_garbage),
        cmocka_unit_test(other_producers),
        cmocka_unit_test(verifier_cache_not_poisoned),
        cmocka_unit_test(stampless_signs_no_pdf),
        cmocka_unit_test(decryption_key_from_p12),
        cmocka_unit_test(decryption_key_not_from_token),
    };
    return cmocka_run_group_tests(tests, make_fixtures, drop_fixtures);
}
