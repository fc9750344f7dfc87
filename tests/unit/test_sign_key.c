/* The signing key: PKCS#12 files and a SoftHSM2 token made by tests/sign_fixtures.sh, and the
 * PIN or passphrase. Signatures are judged by OpenSSL with the certificate's public key, and RSA
 * ones also against `openssl dgst -sign` with the key file (PKCS#1 v1.5 is deterministic). */
#include "testutil.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign_impl.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "123456"
#define P12_PASS "p12-pass"
#define ORG_CN "Văn phòng Đảng ủy xã Tân Phú"

static char *fx; /* the fixtures folder */
static bool have_softhsm;

static int make_fixtures(void **state)
{
    (void)state;
    char *util = g_find_program_in_path("softhsm2-util");
    char *tool = g_find_program_in_path("pkcs11-tool");
    have_softhsm = access(MODULE, R_OK) == 0 && util && tool;
    g_free(util);
    g_free(tool);
    const char *src = getenv("SOHOA_SOURCE");
    char *dir = src && *src ? g_build_filename(src, "tests", NULL) : g_path_get_dirname(__FILE__);
    char *script = g_build_filename(dir, src && *src ? "" : "..", "sign_fixtures.sh", NULL);
    fx = test_tmpdir("sign-key");
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
    return ok ? 0 : -1;
}

static int drop_fixtures(void **state)
{
    (void)state;
    test_rmtree(fx);
    g_free(fx);
    return 0;
}

static char *fxp(const char *name) { return test_path(fx, name); }

/* ---- helpers ---- */

/* The key of src opened with secret (the test fails otherwise). */
static sg_key *opened(const sg_key_source *src, const char *secret)
{
    sg_key *k = NULL;
    sh_error err = {0};
    assert_int_equal(sg_key_open(src, secret, &k, &err), SH_OK);
    return k;
}

/* Opening the key of src with secret is refused as SH_INPUT, with no key; why is in err. */
static void assert_refused(const sg_key_source *src, const char *secret, sh_error *err)
{
    sg_key *k = NULL;
    assert_int_equal(sg_key_open(src, secret, &k, err), SH_INPUT);
    assert_null(k);
}

/* The PKCS#12 file name of the fixtures, opened with pass. */
static sg_key *p12_opened(const char *name, const char *pass)
{
    char *path = fxp(name);
    sg_key_source src = {.pkcs12 = path};
    sg_key *k = opened(&src, pass);
    g_free(path);
    return k;
}

static void assert_p12_refused(const char *name, const char *pass, sh_error *err)
{
    char *path = fxp(name);
    sg_key_source src = {.pkcs12 = path};
    assert_refused(&src, pass, err);
    g_free(path);
}

/* The key labelled key on the SoftHSM2 token labelled token (NULL: no label given). */
static sg_key *token_opened(const char *token, const char *key)
{
    sg_key_source src = {.pkcs11_module = MODULE, .token_label = token, .key_label = key};
    return opened(&src, PIN);
}

static void assert_token_refused(const char *token, const char *key, const char *pin, sh_error *err)
{
    sg_key_source src = {.pkcs11_module = MODULE, .token_label = token, .key_label = key};
    assert_refused(&src, pin, err);
}

/* Each of says (up to NULL) is in the message msg. */
static void assert_all_in(const char *msg, const char *const says[])
{
    for (size_t i = 0; says[i]; i++)
        test_assert_contains(msg, says[i]);
}

/* assert_says(msg, "a", "b"): the message msg says "a" and "b". */
#define assert_says(msg, ...) assert_all_in(msg, (const char *const[]){__VA_ARGS__, NULL})

/* The tests on the SoftHSM2 token need SoftHSM2 and its tools: without them they fail. */
static void need_softhsm(void)
{
    if (!have_softhsm)
        fail_msg("this test needs SoftHSM2 (%s, softhsm2-util) and pkcs11-tool (opensc); "
                 "scripts/install-deps.sh installs them",
                 MODULE);
}

/* Run a shell command in the fixtures folder; whether it exited 0. */
static bool run_in_fixtures(const char *cmd)
{
    char *full = g_strdup_printf("cd '%s' && %s", fx, cmd);
    bool ok = false;
    g_free(test_run(full, &ok));
    g_free(full);
    return ok;
}

static char *cn_of(X509 *x)
{
    X509_NAME *name = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    assert_true(i >= 0);
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    assert_true(len >= 0);
    char *cn = g_strndup((const char *)utf8, (gsize)len);
    OPENSSL_free(utf8);
    return cn;
}

static void assert_cn(X509 *x, const char *expected)
{
    char *cn = cn_of(x);
    assert_string_equal(cn, expected);
    g_free(cn);
}

/* The chain is the intermediate, then the root. */
static void assert_test_chain(sg_key *k)
{
    STACK_OF(X509) *chain = sg_key_chain(k);
    assert_non_null(chain);
    assert_int_equal(sk_X509_num(chain), 2);
    assert_cn(sk_X509_value(chain, 0), "Sohoa Test Issuing CA");
    assert_cn(sk_X509_value(chain, 1), "Sohoa Test Root CA");
}

static bool verifies(X509 *cert, const uint8_t *sig, size_t sig_len, const void *data, size_t len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Sign a text; the signature verifies with the certificate's key, and not for other text.
 * Returns the signature's length. */
static size_t sign_and_verify(sg_key *k, uint8_t sig[512])
{
    static const char text[] = "Hồ sơ đảng viên 0001";
    sh_error err = {0};
    size_t sig_len = 0;
    assert_true(sg_key_max_signature(k) <= 512);
    assert_int_equal(sg_key_sign(k, (const uint8_t *)text, strlen(text), sig, &sig_len, &err),
                     SH_OK);
    assert_true(sig_len > 0 && sig_len <= sg_key_max_signature(k));
    assert_true(verifies(sg_key_cert(k), sig, sig_len, text, strlen(text)));
    assert_false(verifies(sg_key_cert(k), sig, sig_len, text, strlen(text) - 1));
    return sig_len;
}

/* RSA PKCS#1 v1.5 is deterministic: the signature is the one `openssl dgst` makes with the
 * key file. */
static void assert_same_as_openssl(const uint8_t *sig, size_t sig_len, const char *key_file)
{
    static const char text[] = "Hồ sơ đảng viên 0001";
    char *data = fxp("data.txt");
    char *key = fxp(key_file);
    test_write(data, text, strlen(text));
    char *cmd = g_strdup_printf("openssl dgst -sha256 -sign '%s' '%s' | od -An -v -tx1", key, data);
    bool ok = false;
    char *expected = test_run(cmd, &ok);
    assert_true(ok);
    GString *got = g_string_new(NULL);
    for (size_t i = 0; i < sig_len; i++)
        g_string_append_printf(got, "%02x", sig[i]);
    GString *want = g_string_new(NULL);
    for (const char *c = expected; *c; c++)
        if (g_ascii_isxdigit(*c))
            g_string_append_c(want, *c);
    assert_string_equal(got->str, want->str);
    g_string_free(want, TRUE);
    g_string_free(got, TRUE);
    g_free(expected);
    g_free(cmd);
    g_free(key);
    g_free(data);
}

static void assert_ecdsa_der(const uint8_t *sig, size_t sig_len)
{
    const unsigned char *p = sig;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
    assert_non_null(s);
    assert_ptr_equal(p, sig + sig_len); /* nothing after the DER */
    ECDSA_SIG_free(s);
}

/* The organisation's RSA-2048 key of the fixtures, with the test chain. */
static void assert_org_rsa(sg_key *k)
{
    assert_int_equal(sg_key_kind_of(k), SG_KEY_RSA);
    assert_int_equal(sg_key_max_signature(k), 256);
    assert_cn(sg_key_cert(k), ORG_CN);
    assert_test_chain(k);
}

/* Signatures by k verify, and are DER ECDSA signatures with nothing after them; times: as many
 * as that with one login. */
static void assert_signs_ecdsa_der(sg_key *k, int times)
{
    uint8_t sig[512];
    for (int i = 0; i < times; i++) {
        size_t len = sign_and_verify(k, sig);
        assert_ecdsa_der(sig, len);
    }
}

/* ---- PKCS#12 ---- */

static void p12_rsa_opens_and_signs(void **state)
{
    (void)state;
    sg_key *k = p12_opened("org-rsa.p12", P12_PASS);
    assert_org_rsa(k);
    uint8_t sig[512];
    size_t len = sign_and_verify(k, sig);
    assert_int_equal(len, 256);
    assert_same_as_openssl(sig, len, "org-rsa.key");
    sg_key_close(k);
}

static void p12_wrong_passphrase(void **state)
{
    (void)state;
    sh_error err = {0};
    assert_p12_refused("org-rsa.p12", "not-the-pass", &err);
    assert_says(err.msg, "wrong passphrase", "org-rsa.p12");
    assert_null(strstr(err.msg, "not-the-pass"));
    /* no passphrase at all for a file that has one */
    assert_p12_refused("org-rsa.p12", NULL, &err);
    test_assert_contains(err.msg, "wrong passphrase");
}

static void p12_empty_passphrase(void **state)
{
    (void)state;
    const char *passes[] = {NULL, ""};
    for (size_t i = 0; i < 2; i++) {
        sg_key *k = p12_opened("org-rsa-nopass.p12", passes[i]);
        assert_cn(sg_key_cert(k), ORG_CN);
        assert_test_chain(k);
        sg_key_close(k);
    }
}

static void p12_ec_signs_der(void **state)
{
    (void)state;
    sg_key *k = p12_opened("org-ec.p12", P12_PASS);
    assert_int_equal(sg_key_kind_of(k), SG_KEY_EC_P256);
    assert_int_equal(sg_key_max_signature(k), 72);
    assert_test_chain(k);
    assert_signs_ecdsa_der(k, 1);
    sg_key_close(k);
}

static void p12_rsa3072_accepted(void **state)
{
    (void)state;
    assert_true(run_in_fixtures("openssl pkcs12 -export -inkey org-rsa3072.key -in "
                                "org-rsa3072.pem -passout pass:x -out org-rsa3072.p12"));
    sg_key *k = p12_opened("org-rsa3072.p12", "x");
    assert_int_equal(sg_key_max_signature(k), 384);
    /* no CA certificates in this file: an empty chain, not NULL */
    assert_non_null(sg_key_chain(k));
    assert_int_equal(sk_X509_num(sg_key_chain(k)), 0);
    uint8_t sig[512];
    size_t len = sign_and_verify(k, sig);
    assert_same_as_openssl(sig, len, "org-rsa3072.key");
    sg_key_close(k);
}

/* Old Windows exports encrypt the certificates with RC2-40, which only OpenSSL's legacy provider
 * has. */
static void p12_legacy_encryption_opens(void **state)
{
    (void)state;
    if (!run_in_fixtures("openssl pkcs12 -export -legacy -inkey org-rsa.key -in org-rsa.pem "
                         "-certfile chain.pem -passout pass:old -out legacy.p12"))
        fail_msg("openssl cannot make an RC2-40 PKCS#12 file (its legacy provider is missing)");
    sg_key *k = p12_opened("legacy.p12", "old");
    assert_test_chain(k);
    uint8_t sig[512];
    sign_and_verify(k, sig);
    sg_key_close(k);
}

static void p12_rsa1024_refused(void **state)
{
    (void)state;
    assert_true(run_in_fixtures(
        "openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out weak.pem -subj /CN=weak "
        "-days 30 && openssl pkcs12 -export -inkey weak.key -in weak.pem -passout pass:x "
        "-out weak.p12"));
    sh_error err = {0};
    assert_p12_refused("weak.p12", "x", &err);
    assert_says(err.msg, "weak.p12", "RSA of 1024 bits");
}

static void p12_not_pkcs12(void **state)
{
    (void)state;
    sh_error err = {0};
    assert_p12_refused("org-rsa.pem", "x", &err);
    assert_says(err.msg, "org-rsa.pem", "PKCS#12");
    assert_p12_refused("no-such.p12", "x", &err);
    test_assert_contains(err.msg, "no-such.p12");
}

static void source_must_be_one(void **state)
{
    (void)state;
    sg_key *k = NULL;
    sh_error err = {0};
    sg_key_source none = {0};
    assert_int_equal(sg_key_open(&none, "x", &k, &err), SH_USAGE);
    sg_key_source both = {.pkcs12 = "a.p12", .pkcs11_module = MODULE};
    assert_int_equal(sg_key_open(&both, "x", &k, &err), SH_USAGE);
    test_assert_contains(err.msg, "--pkcs12");
    assert_null(k);
}

/* ---- PKCS#11 on SoftHSM2 ---- */

static void p11_rsa_signs(void **state)
{
    (void)state;
    need_softhsm();
    sg_key *k = token_opened("sohoa-test", "org-rsa");
    assert_org_rsa(k);
    uint8_t sig[512];
    for (int i = 0; i < 3; i++) { /* one login, many signatures */
        size_t len = sign_and_verify(k, sig);
        assert_same_as_openssl(sig, len, "org-rsa.key");
    }
    sg_key_close(k);
}

static void p11_ec_signs_der(void **state)
{
    (void)state;
    need_softhsm();
    sg_key *k = token_opened("sohoa-test", "org-ec");
    assert_int_equal(sg_key_kind_of(k), SG_KEY_EC_P256);
    assert_test_chain(k);
    assert_signs_ecdsa_der(k, 3);
    sg_key_close(k);
}

static void p11_only_key_chosen_without_labels(void **state)
{
    (void)state;
    need_softhsm();
    sg_key *k = token_opened("sohoa-other", NULL);
    assert_cn(sg_key_cert(k), "Another signer");
    /* the CA certificates are not on that token */
    assert_int_equal(sk_X509_num(sg_key_chain(k)), 0);
    sg_key_close(k);
}

static void p11_key_not_of_its_certificate(void **state)
{
    (void)state;
    need_softhsm();
    sh_error err = {0};
    assert_token_refused("sohoa-mismatch", NULL, PIN, &err);
    assert_says(err.msg, "mismatch", "does not belong to its certificate");
}

static void p11_wrong_pin(void **state)
{
    (void)state;
    need_softhsm();
    sh_error err = {0};
    assert_token_refused("sohoa-test", "org-rsa", "987654", &err);
    assert_says(err.msg, "wrong PIN", "sohoa-test");
    assert_null(strstr(err.msg, "987654"));
    /* SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN: the message passes it on */
    test_assert_contains(err.msg, "few tries are left");
    /* the right PIN still works afterwards */
    sg_key_close(token_opened("sohoa-test", "org-rsa"));
}

static void p11_several_keys_listed(void **state)
{
    (void)state;
    need_softhsm();
    sh_error err = {0};
    assert_token_refused("sohoa-test", NULL, PIN, &err);
    assert_says(err.msg, "\"org-rsa\"", "\"org-ec\"", "--key");
}

static void p11_key_label_not_found(void **state)
{
    (void)state;
    need_softhsm();
    sh_error err = {0};
    assert_token_refused("sohoa-test", "no-such-key", PIN, &err);
    test_assert_contains(err.msg, "no-such-key");
}

static void p11_token_not_found(void **state)
{
    (void)state;
    need_softhsm();
    sh_error err = {0};
    assert_token_refused("no-such-token", "org-rsa", PIN, &err);
    assert_says(err.msg, "no-such-token", "\"sohoa-test\"");
}

static void p11_several_tokens_listed(void **state)
{
    (void)state;
    need_softhsm();
    sh_error err = {0};
    assert_token_refused(NULL, "org-rsa", PIN, &err);
    assert_says(err.msg, "\"sohoa-test\"", "\"sohoa-other\"", "--token");
}

static void p11_missing_module(void **state)
{
    (void)state;
    sh_error err = {0};
    char *missing = fxp("no-such-module.so");
    sg_key_source src = {.pkcs11_module = missing};
    assert_refused(&src, PIN, &err);
    test_assert_contains(err.msg, missing);
    g_free(missing);
}

static void p11_not_a_module(void **state)
{
    (void)state;
    /* a shared library that is surely there and is no PKCS#11 module: libcrypto */
    Dl_info info;
    assert_true(dladdr((void *)EVP_sha256, &info) != 0 && info.dli_fname);
    sh_error err = {0};
    sg_key_source src = {.pkcs11_module = info.dli_fname};
    assert_refused(&src, PIN, &err);
    test_assert_contains(err.msg, info.dli_fname);
    test_assert_contains(err.msg, "not a PKCS#11 module");
}

/* ---- checked before the secret is asked (sg_key_prepare) ---- */

/* Preparing the key of src is refused as SH_INPUT, with nothing prepared; why is in err. */
static void assert_prepare_refused(const sg_key_source *src, sh_error *err)
{
    sg_key_pending *p = NULL;
    assert_int_equal(sg_key_prepare(src, &p, err), SH_INPUT);
    assert_null(p);
}

/* Module, token and key label are checked without the PIN: a mistake there costs no PIN. */
static void p11_checked_before_the_pin(void **state)
{
    (void)state;
    need_softhsm();
    sh_error err = {0};
    sg_key_source missing = {.pkcs11_module = "/nonexistent/libtoken.so"};
    assert_prepare_refused(&missing, &err);
    test_assert_contains(err.msg, "/nonexistent/libtoken.so");
    sg_key_source no_token = {.pkcs11_module = MODULE, .token_label = "no-such-token"};
    assert_prepare_refused(&no_token, &err);
    assert_says(err.msg, "no-such-token", "\"sohoa-test\"");
    sg_key_source no_key = {
        .pkcs11_module = MODULE, .token_label = "sohoa-test", .key_label = "no-such-key"};
    assert_prepare_refused(&no_key, &err);
    /* the labels it shows before login are offered */
    assert_says(err.msg, "no-such-key", "\"org-rsa\"", "\"org-ec\"", "--key");
    /* the right ones: prepared, a PIN wanted, then opened with it */
    sg_key_source good = {
        .pkcs11_module = MODULE, .token_label = "sohoa-test", .key_label = "org-ec"};
    sg_key_pending *p = NULL;
    assert_int_equal(sg_key_prepare(&good, &p, &err), SH_OK);
    assert_true(sg_key_needs_secret(p));
    sg_key *k = NULL;
    assert_int_equal(sg_key_unlock(&p, PIN, &k, &err), SH_OK);
    assert_null(p);
    assert_int_equal(sg_key_kind_of(k), SG_KEY_EC_P256);
    sg_key_close(k);
    /* a wrong PIN after a good preparation: refused at unlock, nothing left over */
    assert_int_equal(sg_key_prepare(&good, &p, &err), SH_OK);
    assert_int_equal(sg_key_unlock(&p, "987654", &k, &err), SH_INPUT);
    assert_null(p);
    assert_null(k);
    test_assert_contains(err.msg, "wrong PIN");
}

/* --key may name the certificate's label: its key (same CKA_ID) signs. */
static void p11_key_chosen_by_its_certificate_label(void **state)
{
    (void)state;
    need_softhsm();
    sg_key *k = token_opened("sohoa-other", "other-cert");
    assert_cn(sg_key_cert(k), "Another signer");
    sg_key_close(k);
}

/* A PKCS#12 file is read and decoded before the passphrase is asked; one without a passphrase
 * asks for none. */
static void p12_checked_before_the_passphrase(void **state)
{
    (void)state;
    sh_error err = {0};
    char *text = fxp("ca.cnf");
    sg_key_source not_p12 = {.pkcs12 = text};
    assert_prepare_refused(&not_p12, &err);
    assert_says(err.msg, text, "PKCS#12");
    g_free(text);
    const char *names[2] = {"org-rsa.p12", "org-rsa-nopass.p12"};
    for (int i = 0; i < 2; i++) {
        char *path = fxp(names[i]);
        sg_key_source src = {.pkcs12 = path};
        sg_key_pending *p = NULL;
        assert_int_equal(sg_key_prepare(&src, &p, &err), SH_OK);
        assert_int_equal(sg_key_needs_secret(p), i == 0);
        sg_key *k = NULL;
        assert_int_equal(sg_key_unlock(&p, i == 0 ? P12_PASS : NULL, &k, &err), SH_OK);
        assert_org_rsa(k);
        sg_key_close(k);
        g_free(path);
    }
}

/* ---- the secret ---- */

/* The secret read from the environment variable env (or else the file path) is want. */
static void assert_secret(const char *env, const char *path, const char *want)
{
    char *s = NULL;
    sh_error err = {0};
    assert_int_equal(sg_secret_get(env, path, "PIN: ", &s, &err), SH_OK);
    assert_string_equal(s, want);
    sg_secret_free(s);
}

/* Reading the secret from env (or else path) is refused as SH_USAGE, with no secret, and the
 * message names what. */
static void assert_secret_refused(const char *env, const char *path, const char *what)
{
    char *s = NULL;
    sh_error err = {0};
    assert_int_equal(sg_secret_get(env, path, "PIN: ", &s, &err), SH_USAGE);
    assert_null(s);
    test_assert_contains(err.msg, what);
}

static void secret_from_env(void **state)
{
    (void)state;
    setenv("SOHOA_TEST_PIN", "12 34 56", 1);
    char *value = getenv("SOHOA_TEST_PIN"); /* glibc keeps setenv's strings: still readable */
    assert_non_null(value);
    assert_secret("SOHOA_TEST_PIN", "/nonexistent", "12 34 56");
    /* taken out of the environment at once, and its bytes wiped where they were */
    assert_null(getenv("SOHOA_TEST_PIN"));
    for (size_t i = 0; i < strlen("12 34 56"); i++)
        assert_int_equal(value[i], 0);
    /* (the initial environment, what /proc/PID/environ shows: tests/cli/test_sign.sh) */
}

static void secret_env_missing_or_empty(void **state)
{
    (void)state;
    unsetenv("SOHOA_TEST_NO_PIN");
    assert_secret_refused("SOHOA_TEST_NO_PIN", NULL, "SOHOA_TEST_NO_PIN");
    setenv("SOHOA_TEST_NO_PIN", "", 1);
    assert_secret_refused("SOHOA_TEST_NO_PIN", NULL, "SOHOA_TEST_NO_PIN");
    unsetenv("SOHOA_TEST_NO_PIN");
}

static void secret_from_file(void **state)
{
    (void)state;
    char *path = fxp("pin.txt");
    static const char content[] = "p@ss word\r\nsecond line\n";
    test_write(path, content, strlen(content));
    sh_log_set_level(SH_LOG_QUIET); /* these files are not private: the warning is tested below */
    assert_secret(NULL, path, "p@ss word");
    /* no newline at the end */
    test_write(path, "654321", 6);
    assert_secret(NULL, path, "654321");
    /* an empty first line */
    test_write(path, "\nlater\n", 7);
    assert_secret_refused(NULL, path, path);
    g_free(path);
    path = fxp("no-pin-file");
    assert_secret_refused(NULL, path, path);
    g_free(path);
    sh_log_set_level(SH_LOG_NORMAL);
}

/* What reading the PIN file at path writes on stderr (g_free). */
static char *stderr_reading(const char *path)
{
    char *log = fxp("stderr.txt");
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    char *s = NULL;
    sh_error err = {0};
    sh_status st = sg_secret_get(NULL, path, "PIN: ", &s, &err);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    assert_int_equal(st, SH_OK);
    sg_secret_free(s);
    char *text = NULL;
    assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_free(log);
    return text;
}

static void secret_file_readable_by_others_warns(void **state)
{
    (void)state;
    char *path = fxp("shared-pin.txt");
    test_write(path, "246810\n", 7);
    assert_int_equal(chmod(path, 0644), 0);
    char *text = stderr_reading(path);
    test_assert_contains(text, path);
    test_assert_contains(text, "chmod 600");
    assert_null(strstr(text, "246810"));
    g_free(text);
    assert_int_equal(chmod(path, 0600), 0);
    text = stderr_reading(path);
    assert_string_equal(text, "");
    g_free(text);
    g_free(path);
}

static bool ask_without_terminal(const void *arg)
{
    (void)arg;
    if (setsid() < 0) /* a new session has no controlling terminal */
        return false;
    char *s = NULL;
    sh_error err = {0};
    return sg_secret_get(NULL, NULL, "PIN: ", &s, &err) == SH_USAGE && !s &&
           strstr(err.msg, "--pin-env") && strstr(err.msg, "--pin-file");
}

static void secret_no_terminal(void **state)
{
    (void)state;
    assert_true(test_isolated(ask_without_terminal, NULL));
}

/* Run child(arg) in a child process on a pseudo-terminal, wait for prompt on its screen, type
 * typed and a newline; the report the child made (g_free) and, in *screen (g_free), all that
 * the terminal showed. */
typedef char *(*pty_child_fn)(const void *arg);

static char *on_terminal(pty_child_fn child, const void *arg, const char *prompt, const char *typed,
                         char **screen_out)
{
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    int master = -1;
    fflush(NULL);
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        char *report = child(arg);
        ssize_t n = write(pipefd[1], report, strlen(report));
        _exit(n > 0 ? 0 : 1);
    }
    close(pipefd[1]);
    GString *screen = g_string_new(NULL);
    char buf[256];
    while (!strstr(screen->str, prompt)) {
        struct pollfd pf = {.fd = master, .events = POLLIN};
        if (poll(&pf, 1, 20000) != 1) { /* another prompt, or none */
            kill(pid, SIGKILL);
            fail_msg("no prompt \"%s\" in 20 s; the terminal shows: %s", prompt, screen->str);
        }
        ssize_t n = read(master, buf, sizeof buf - 1);
        assert_true(n > 0);
        g_string_append_len(screen, buf, n);
    }
    char *line = g_strconcat(typed, "\n", NULL);
    assert_int_equal(write(master, line, strlen(line)), (ssize_t)strlen(line));
    g_free(line);
    char report[256] = "";
    ssize_t n = read(pipefd[0], report, sizeof report - 1);
    assert_true(n > 0);
    report[n] = '\0';
    /* what the terminal showed after the prompt */
    int flags = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, flags | O_NONBLOCK);
    while ((n = read(master, buf, sizeof buf - 1)) > 0)
        g_string_append_len(screen, buf, n);
    int status = 0;
    waitpid(pid, &status, 0);
    close(master);
    close(pipefd[0]);
    *screen_out = g_string_free(screen, FALSE);
    return g_strdup(report);
}

static char *ask_on_terminal(const void *arg)
{
    (void)arg;
    char *s = NULL;
    sh_error err = {0};
    sh_status st = sg_secret_get(NULL, NULL, "Mã PIN: ", &s, &err);
    struct termios after;
    bool echo_back = tcgetattr(STDIN_FILENO, &after) == 0 && (after.c_lflag & ECHO);
    return g_strdup_printf("%d %d %s", st, echo_back, s ? s : "(null)");
}

/* On a pseudo-terminal: the prompt shows, the PIN typed is not echoed, echo is back after. */
static void secret_from_terminal_without_echo(void **state)
{
    (void)state;
    char *screen = NULL;
    char *report = on_terminal(ask_on_terminal, NULL, "Mã PIN: ", "s3cr3t", &screen);
    assert_string_equal(report, "0 1 s3cr3t");
    assert_null(strstr(screen, "s3cr3t"));
    g_free(report);
    g_free(screen);
}

/* ---- the signer unlocked with the secret given, the PIN file or the terminal ---- */

/* A signer of src prepared (no stamp), then sg_signer_unlock_asking(secret, pin_file): the
 * status; the signer's CN in cn (g_free) when it opened, the error in err. */
static sh_status unlock_asking(const sg_key_source *src, const char *secret, const char *pin_file,
                               char **cn, sh_error *err)
{
    sg_signer_options o = {.key = *src};
    sg_signer *s = NULL;
    *cn = NULL;
    sh_status st = sg_signer_prepare(&o, &s, err); /* no assert: also run in a child */
    if (st == SH_OK)
        st = sg_signer_unlock_asking(s, secret, pin_file, err);
    if (st == SH_OK)
        *cn = g_strdup(sg_signer_cn(s));
    sg_signer_close(s);
    return st;
}

static void signer_unlock_asking_sources(void **state)
{
    (void)state;
    char *p12 = fxp("org-rsa.p12"), *nopass = fxp("org-rsa-nopass.p12");
    char *pin = fxp("unlock-pin.txt"), *wrong = fxp("unlock-wrong.txt");
    char *missing = fxp("no-such-pin.txt");
    test_write(pin, P12_PASS "\n", strlen(P12_PASS) + 1);
    test_write(wrong, "not-the-pass\n", 13);
    assert_int_equal(chmod(pin, 0600) | chmod(wrong, 0600), 0);
    sg_key_source src = {.pkcs12 = p12}, src_nopass = {.pkcs12 = nopass};
    sh_error err = {0};
    char *cn = NULL;
    /* the secret given wins: the PIN file is not read */
    assert_int_equal(unlock_asking(&src, P12_PASS, missing, &cn, &err), SH_OK);
    assert_string_equal(cn, ORG_CN);
    g_free(cn);
    /* else the PIN file's first line */
    assert_int_equal(unlock_asking(&src, NULL, pin, &cn, &err), SH_OK);
    assert_string_equal(cn, ORG_CN);
    g_free(cn);
    assert_int_equal(unlock_asking(&src, NULL, wrong, &cn, &err), SH_INPUT);
    assert_null(cn);
    assert_says(err.msg, "wrong passphrase", "org-rsa.p12");
    /* a PIN file that is not there: SH_USAGE naming it */
    assert_int_equal(unlock_asking(&src, NULL, missing, &cn, &err), SH_USAGE);
    assert_null(cn);
    test_assert_contains(err.msg, missing);
    /* a key without a passphrase asks nothing and reads no file */
    assert_int_equal(unlock_asking(&src_nopass, NULL, missing, &cn, &err), SH_OK);
    assert_string_equal(cn, ORG_CN);
    g_free(cn);
    g_free(p12);
    g_free(nopass);
    g_free(pin);
    g_free(wrong);
    g_free(missing);
}

static char *unlock_on_terminal(const void *arg)
{
    char *cn = NULL;
    sh_error err = {0};
    sh_status st = unlock_asking(arg, NULL, NULL, &cn, &err);
    char *report = g_strdup_printf("%d %s", st, cn ? cn : err.msg);
    g_free(cn);
    return report;
}

/* With neither secret nor PIN file, asked on the terminal: "Passphrase of the key file: " for
 * a PKCS#12 file, "PIN of the token: " for a token; what is typed unlocks it, unseen. */
static void signer_unlock_asking_on_terminal(void **state)
{
    (void)state;
    need_softhsm();
    char *p12 = fxp("org-rsa.p12");
    sg_key_source file = {.pkcs12 = p12};
    sg_key_source token = {
        .pkcs11_module = MODULE, .token_label = "sohoa-test", .key_label = "org-rsa"};
    const struct {
        const sg_key_source *src;
        const char *prompt, *other, *typed;
    } cases[] = {{&file, "Passphrase of the key file: ", "PIN of the token", P12_PASS},
                 {&token, "PIN of the token: ", "Passphrase", PIN}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *screen = NULL;
        char *report =
            on_terminal(unlock_on_terminal, cases[i].src, cases[i].prompt, cases[i].typed, &screen);
        assert_string_equal(report, "0 " ORG_CN);
        assert_null(strstr(screen, cases[i].typed));
        assert_null(strstr(screen, cases[i].other));
        g_free(report);
        g_free(screen);
    }
    g_free(p12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(p12_rsa_opens_and_signs),
        cmocka_unit_test(p12_wrong_passphrase),
        cmocka_unit_test(p12_empty_passphrase),
        cmocka_unit_test(p12_ec_signs_der),
        cmocka_unit_test(p12_rsa3072_accepted),
        cmocka_unit_test(p12_legacy_encryption_opens),
        cmocka_unit_test(p12_rsa1024_refused),
        cmocka_unit_test(p12_not_pkcs12),
        cmocka_unit_test(source_must_be_one),
        cmocka_unit_test(p11_rsa_signs),
        cmocka_unit_test(p11_ec_signs_der),
        cmocka_unit_test(p11_only_key_chosen_without_labels),
        cmocka_unit_test(p11_key_not_of_its_certificate),
        cmocka_unit_test(p11_wrong_pin),
        cmocka_unit_test(p11_several_keys_listed),
        cmocka_unit_test(p11_key_label_not_found),
        cmocka_unit_test(p11_token_not_found),
        cmocka_unit_test(p11_several_tokens_listed),
        cmocka_unit_test(p11_missing_module),
        cmocka_unit_test(p11_not_a_module),
        cmocka_unit_test(p11_checked_before_the_pin),
        cmocka_unit_test(p11_key_chosen_by_its_certificate_label),
        cmocka_unit_test(p12_checked_before_the_passphrase),
        cmocka_unit_test(secret_from_env),
        cmocka_unit_test(secret_env_missing_or_empty),
        cmocka_unit_test(secret_from_file),
        cmocka_unit_test(secret_file_readable_by_others_warns),
        cmocka_unit_test(secret_no_terminal),
        cmocka_unit_test(secret_from_terminal_without_echo),
        cmocka_unit_test(signer_unlock_asking_sources),
        cmocka_unit_test(signer_unlock_asking_on_terminal),
    };
    return cmocka_run_group_tests(tests, make_fixtures, drop_fixtures);
}
