/* The PAdES B-B CMS of sign/cms.c: keys and certificates made here with OpenSSL (a root, an
 * intermediate, RSA-2048 and P-256 leaves named in Vietnamese, an expired leaf, an unrelated
 * root); the CMS built from a signature over sg_cms_signed_attrs, judged by `openssl cms
 * -verify`; its exact size; sg_cms_check_blob on good, tampered, untrusted, expired, foreign
 * (openssl cms -sign) and garbage inputs; the certificate's fields; sg_trust_load. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "sign_impl.h"

#define DAY (24 * 3600L)
#define YEAR (365 * DAY)

static const char *const LEAF_CN = "Văn phòng Đảng ủy xã Tân Phú";
static const char *const LEAF_O = "Đảng ủy xã Tân Phú";

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
} ident;

static struct {
    char *dir;
    time_t now;
    ident root, inter, leaf, ec_leaf, expired, other_root;
    STACK_OF(X509) * chain;  /* the intermediate */
    STACK_OF(X509) * none;   /* empty */
    X509_STORE *store;       /* the root */
    X509_STORE *other_store; /* the unrelated root */
    uint8_t digest[SG_SHA256_LEN];
    char *data_path; /* a file whose SHA-256 is digest */
} F;

static const char DATA[] = "%PDF-1.7 the signed byte ranges of a dossier";

static uint8_t *find(const GByteArray *hay, const void *needle, size_t n)
{
    for (size_t i = 0; n && i + n <= hay->len; i++)
        if (memcmp(hay->data + i, needle, n) == 0)
            return hay->data + i;
    return NULL;
}

/* ---- making keys and certificates ---- */

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

/* A certificate for key, issued by issuer (NULL: self-signed), valid over [from, to]. */
static X509 *make_cert(EVP_PKEY *key, const ident *issuer, const char *cn, const char *o,
                       long serial, bool ca, time_t from, time_t to)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8,
                                                (const unsigned char *)"VN", -1, -1, 0),
                     1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0),
        1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
        1);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : name);
    ASN1_TIME_set(X509_getm_notBefore(x), from);
    ASN1_TIME_set(X509_getm_notAfter(x), to);
    X509_set_pubkey(x, key);
    X509 *icert = issuer ? issuer->cert : x;
    if (ca) {
        add_ext(x, icert, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, icert, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, icert, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, icert, NID_key_usage, "critical,digitalSignature,nonRepudiation");
    }
    assert_true(X509_sign(x, issuer ? issuer->key : key, EVP_sha256()) > 0);
    return x;
}

static EVP_PKEY *rsa_key(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); }
static EVP_PKEY *ec_key(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }

static void write_pem_cert(const char *path, X509 *const *certs, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++)
        assert_int_equal(PEM_write_X509(f, certs[i]), 1);
    assert_int_equal(fclose(f), 0);
}

static char *put_cert(const char *name, X509 *cert)
{
    char *p = test_path(F.dir, name);
    write_pem_cert(p, &cert, 1);
    return p;
}

static char *put_key(const char *name, EVP_PKEY *key)
{
    char *p = test_path(F.dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    return p;
}

static X509_STORE *store_of(X509 *anchor)
{
    X509_STORE *s = X509_STORE_new();
    assert_int_equal(X509_STORE_add_cert(s, anchor), 1);
    return s;
}

static int setup(void **state)
{
    (void)state;
    F.dir = test_tmpdir("sign-cms");
    F.now = time(NULL);
    time_t t = F.now;
    F.root.key = ec_key();
    F.root.cert = make_cert(F.root.key, NULL, "Gốc thử nghiệm", "Ban Tổ chức", 1, true,
                            t - 10 * YEAR, t + 10 * YEAR);
    F.inter.key = rsa_key();
    F.inter.cert = make_cert(F.inter.key, &F.root, "CA trung gian", "Ban Tổ chức", 2, true,
                             t - 5 * YEAR, t + 5 * YEAR);
    F.leaf.key = rsa_key();
    F.leaf.cert =
        make_cert(F.leaf.key, &F.inter, LEAF_CN, LEAF_O, 0x1234567890L, false, t - YEAR, t + YEAR);
    F.ec_leaf.key = ec_key();
    F.ec_leaf.cert =
        make_cert(F.ec_leaf.key, &F.inter, "Chi bộ 3", LEAF_O, 200, false, t - YEAR, t + YEAR);
    F.expired.key = ec_key();
    F.expired.cert =
        make_cert(F.expired.key, &F.inter, "Hết hạn", LEAF_O, 201, false, t - 3 * YEAR, t - YEAR);
    F.other_root.key = ec_key();
    F.other_root.cert = make_cert(F.other_root.key, NULL, "Gốc khác", "Nơi khác", 9, true,
                                  t - 10 * YEAR, t + 10 * YEAR);
    assert_non_null(F.root.key);
    assert_non_null(F.leaf.key);
    F.chain = sk_X509_new_null();
    sk_X509_push(F.chain, F.inter.cert);
    F.none = sk_X509_new_null();
    F.store = store_of(F.root.cert);
    F.other_store = store_of(F.other_root.cert);
    sh_sha256_buf(DATA, strlen(DATA), F.digest);
    F.data_path = test_path(F.dir, "data.bin");
    test_write(F.data_path, DATA, strlen(DATA));
    return 0;
}

static void free_ident(ident *i)
{
    X509_free(i->cert);
    EVP_PKEY_free(i->key);
}

static int teardown(void **state)
{
    (void)state;
    free_ident(&F.root);
    free_ident(&F.inter);
    free_ident(&F.leaf);
    free_ident(&F.ec_leaf);
    free_ident(&F.expired);
    free_ident(&F.other_root);
    sk_X509_free(F.chain);
    sk_X509_free(F.none);
    X509_STORE_free(F.store);
    X509_STORE_free(F.other_store);
    test_rmtree(F.dir);
    g_free(F.dir);
    g_free(F.data_path);
    return 0;
}

/* ---- signing as sg_sign_file does: the attributes, a signature over them, the CMS ---- */

static sg_key_kind kind_of(const ident *id)
{
    return EVP_PKEY_is_a(id->key, "RSA") ? SG_KEY_RSA : SG_KEY_EC_P256;
}

static size_t sign_bytes(EVP_PKEY *key, const GByteArray *msg, uint8_t sig[512])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    size_t n = 512;
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &n, msg->data, msg->len), 1);
    EVP_MD_CTX_free(m);
    return n;
}

static GByteArray *sign_cms(const ident *id, STACK_OF(X509) * chain, const uint8_t *digest)
{
    GByteArray *attrs = sg_cms_signed_attrs(id->cert, digest);
    assert_non_null(attrs);
    uint8_t sig[512];
    size_t n = sign_bytes(id->key, attrs, sig);
    GByteArray *cms = sg_cms_build(id->cert, chain, kind_of(id), attrs, sig, n);
    assert_non_null(cms);
    assert_int_equal(cms->len, sg_cms_size(id->cert, chain, kind_of(id), n));
    g_byte_array_free(attrs, TRUE);
    return cms;
}

static char *write_blob(const char *name, const GByteArray *b)
{
    char *p = test_path(F.dir, name);
    test_write(p, (const char *)b->data, b->len);
    return p;
}

/* -cades: openssl checks the ESS signing-certificate-v2 too (it names the signer) */
static bool openssl_verifies(const char *sig, const char *content, const char *ca)
{
    char *cmd = g_strdup_printf("openssl cms -verify -cades -binary -inform DER -in '%s' "
                                "-content '%s' -CAfile '%s' -purpose any -out /dev/null",
                                sig, content, ca);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    g_free(cmd);
    return ok;
}

static bool all_ok(const sg_cms_check *c)
{
    return c->parsed && c->detached && c->digest_ok && c->attrs_ok && c->signature_ok &&
           c->chain_ok;
}

/* sg_cms_check_blob on all of cms, for the digest and the anchors given, signed at `at`
 * (sg_cms_check_clear the verdict). */
static sg_cms_check checked(const GByteArray *cms, const uint8_t *digest, X509_STORE *store,
                            time_t at)
{
    sg_cms_check c;
    sg_cms_check_blob(cms->data, cms->len, digest, store, (int64_t)at, &c);
    return c;
}

/* The chain is refused in c, chain_problem saying says (NULL: for whatever reason). */
static void assert_chain_refused(const sg_cms_check *c, const char *says)
{
    assert_false(c->chain_ok);
    if (says)
        test_assert_contains(c->chain_problem, says);
    else
        assert_non_null(c->chain_problem);
}

/* All is right in c but the chain, refused as assert_chain_refused says. */
static void assert_all_but_chain(const sg_cms_check *c, const char *says)
{
    assert_true(c->signature_ok && c->digest_ok && c->attrs_ok);
    assert_chain_refused(c, says);
}

/* c: the CMS parsed and its digest is right, but its signature value does not match. */
static void assert_bad_signature(const sg_cms_check *c)
{
    assert_true(c->parsed);
    assert_true(c->digest_ok);
    assert_false(c->signature_ok);
    test_assert_contains(c->problem, "signature value does not match");
}

/* ---- openssl judges what we build ---- */

static void judged_by_openssl(const ident *id, const char *name)
{
    GByteArray *cms = sign_cms(id, F.chain, F.digest);
    char *sig = write_blob(name, cms);
    char *root = put_cert("root.pem", F.root.cert);
    assert_true(openssl_verifies(sig, F.data_path, root));
    /* the judge can say no: other content */
    char *other = test_path(F.dir, "other.bin");
    test_write(other, "something else", 14);
    assert_false(openssl_verifies(sig, other, root));

    char *cmd = g_strdup_printf("openssl cms -cmsout -print -inform DER -in '%s'", sig);
    bool ok = false;
    char *print = test_run(cmd, &ok);
    assert_true(ok);
    test_assert_contains(print, "id-smime-aa-signingCertificateV2");
    test_assert_contains(print, "messageDigest");
    test_assert_contains(print, "contentType");
    assert_null(strstr(print, "signingTime"));
    test_assert_contains(print, "eContent: <ABSENT>"); /* detached */
    g_free(print);
    g_free(cmd);
    g_free(other);
    g_free(root);
    g_free(sig);
    g_byte_array_free(cms, TRUE);
}

static void openssl_verifies_rsa(void **state)
{
    (void)state;
    judged_by_openssl(&F.leaf, "rsa.der");
}

static void openssl_verifies_ec(void **state)
{
    (void)state;
    judged_by_openssl(&F.ec_leaf, "ec.der");
}

static void signed_attrs_shape(void **state)
{
    (void)state;
    GByteArray *a = sg_cms_signed_attrs(F.leaf.cert, F.digest);
    assert_non_null(a);
    assert_int_equal(a->data[0], 0x31);
    /* the digest is in them once, and nothing but the digest differs for another one */
    assert_non_null(find(a, F.digest, SG_SHA256_LEN));
    uint8_t other[SG_SHA256_LEN] = {0};
    GByteArray *b = sg_cms_signed_attrs(F.leaf.cert, other);
    assert_int_equal(a->len, b->len);
    size_t diff = 0;
    for (guint i = 0; i < a->len; i++)
        diff += a->data[i] != b->data[i];
    assert_true(diff > 0 && diff <= SG_SHA256_LEN);
    assert_null(sg_cms_signed_attrs(NULL, F.digest));
    g_byte_array_free(a, TRUE);
    g_byte_array_free(b, TRUE);
}

/* ---- the size reserved for /Contents is exact ---- */

static size_t built_len(const ident *id, STACK_OF(X509) * chain, size_t sig_len)
{
    GByteArray *attrs = sg_cms_signed_attrs(id->cert, F.digest);
    uint8_t *sig = g_malloc(sig_len ? sig_len : 1);
    memset(sig, 0x5a, sig_len);
    GByteArray *cms = sg_cms_build(id->cert, chain, kind_of(id), attrs, sig, sig_len);
    assert_non_null(cms);
    size_t n = cms->len;
    g_byte_array_free(cms, TRUE);
    g_byte_array_free(attrs, TRUE);
    g_free(sig);
    return n;
}

static void size_is_exact(void **state)
{
    (void)state;
    assert_int_equal(sg_cms_size(F.leaf.cert, F.chain, SG_KEY_RSA, 256),
                     built_len(&F.leaf, F.chain, 256));
    for (size_t n = 70; n <= 72; n++)
        assert_int_equal(sg_cms_size(F.ec_leaf.cert, F.chain, SG_KEY_EC_P256, n),
                         built_len(&F.ec_leaf, F.chain, n));
    /* across the length-field boundaries of every enclosing element */
    for (size_t n = 0; n <= 600; n++)
        assert_int_equal(sg_cms_size(F.leaf.cert, F.none, SG_KEY_RSA, n),
                         built_len(&F.leaf, F.none, n));
    assert_int_equal(sg_cms_size(F.leaf.cert, F.chain, SG_KEY_RSA, 70000),
                     built_len(&F.leaf, F.chain, 70000));
    /* a real ECDSA signature fits the room made for the longest */
    GByteArray *cms = sign_cms(&F.ec_leaf, F.chain, F.digest);
    assert_true(cms->len <= sg_cms_size(F.ec_leaf.cert, F.chain, SG_KEY_EC_P256, 72));
    assert_true(sg_cms_size(F.ec_leaf.cert, F.chain, SG_KEY_EC_P256, 68) <
                sg_cms_size(F.ec_leaf.cert, F.chain, SG_KEY_EC_P256, 72));
    g_byte_array_free(cms, TRUE);
    assert_int_equal(sg_cms_size(NULL, F.chain, SG_KEY_RSA, 256), 0);
}

/* ---- checking ---- */

static void check_good(const ident *id)
{
    GByteArray *cms = sign_cms(id, F.chain, F.digest);
    /* as in /Contents: zero padding after the DER */
    size_t room = 16384;
    uint8_t *padded = g_malloc0(room);
    memcpy(padded, cms->data, cms->len);
    sg_cms_check c;
    sg_cms_check_blob(padded, room, F.digest, F.store, (int64_t)F.now, &c);
    if (c.problem)
        print_error("problem: %s\n", c.problem);
    assert_true(all_ok(&c));
    assert_false(c.has_signing_time);
    assert_null(c.problem);
    assert_null(c.chain_problem);
    assert_string_equal(c.digest_algorithm, "sha256");
    char hex[SH_SHA256_HEX_LEN + 1];
    sg_cert_sha256_hex(id->cert, hex);
    assert_string_equal(c.cert_sha256, hex);
    char *cn = sg_cert_field(id->cert, NID_commonName);
    assert_string_equal(c.signer_cn, cn);
    assert_string_equal(c.signer_org, LEAF_O);
    g_free(cn);
    sg_cms_check_clear(&c);
    assert_null(c.problem);
    /* without padding too */
    c = checked(cms, F.digest, F.store, F.now);
    assert_true(all_ok(&c));
    sg_cms_check_clear(&c);
    g_free(padded);
    g_byte_array_free(cms, TRUE);
}

static void check_all_ok_rsa(void **state)
{
    (void)state;
    check_good(&F.leaf);
}

static void check_all_ok_ec(void **state)
{
    (void)state;
    check_good(&F.ec_leaf);
}

static void check_other_digest(void **state)
{
    (void)state;
    GByteArray *cms = sign_cms(&F.leaf, F.chain, F.digest);
    uint8_t other[SG_SHA256_LEN];
    memcpy(other, F.digest, sizeof other);
    other[31] ^= 1;
    sg_cms_check c = checked(cms, other, F.store, F.now);
    assert_true(c.parsed && c.signature_ok && c.attrs_ok && c.chain_ok);
    assert_false(c.digest_ok);
    test_assert_contains(c.problem, "changed after it was signed");
    sg_cms_check_clear(&c);
    g_byte_array_free(cms, TRUE);
}

static void check_flipped_signature(void **state)
{
    (void)state;
    GByteArray *cms = sign_cms(&F.leaf, F.chain, F.digest);
    cms->data[cms->len - 1] ^= 0x01; /* the signature value is the CMS's last bytes */
    sg_cms_check c = checked(cms, F.digest, F.store, F.now);
    assert_bad_signature(&c);
    sg_cms_check_clear(&c);
    g_byte_array_free(cms, TRUE);
}

/* The document changed and its new digest written into the CMS: the signature catches it. */
static void check_forged_digest_attribute(void **state)
{
    (void)state;
    GByteArray *cms = sign_cms(&F.ec_leaf, F.chain, F.digest);
    uint8_t *at = find(cms, F.digest, SG_SHA256_LEN);
    assert_non_null(at);
    at[0] ^= 0xff;
    uint8_t forged[SG_SHA256_LEN];
    memcpy(forged, at, sizeof forged);
    sg_cms_check c = checked(cms, forged, F.store, F.now);
    assert_bad_signature(&c);
    assert_false(all_ok(&c));
    sg_cms_check_clear(&c);
    g_byte_array_free(cms, TRUE);
}

static void check_chain_cases(void **state)
{
    (void)state;
    sg_cms_check c;
    /* the intermediate neither in the CMS nor among the anchors */
    GByteArray *alone = sign_cms(&F.leaf, F.none, F.digest);
    c = checked(alone, F.digest, F.store, F.now);
    assert_all_but_chain(&c, "local issuer");
    test_assert_contains(c.problem, "not trusted");
    sg_cms_check_clear(&c);
    g_byte_array_free(alone, TRUE);

    GByteArray *cms = sign_cms(&F.leaf, F.chain, F.digest);
    /* an unrelated root */
    c = checked(cms, F.digest, F.other_store, F.now);
    assert_all_but_chain(&c, NULL);
    sg_cms_check_clear(&c);
    /* no anchors at all */
    c = checked(cms, F.digest, NULL, F.now);
    assert_all_but_chain(&c, "no trust anchors");
    assert_string_equal(c.signer_cn, LEAF_CN);
    sg_cms_check_clear(&c);
    /* a time before the leaf was issued */
    c = checked(cms, F.digest, F.store, F.now - 2 * YEAR);
    assert_chain_refused(&c, "not yet valid");
    sg_cms_check_clear(&c);
    g_byte_array_free(cms, TRUE);
}

static void check_expired_leaf(void **state)
{
    (void)state;
    GByteArray *cms = sign_cms(&F.expired, F.chain, F.digest);
    sg_cms_check c;
    /* signed while it was valid */
    c = checked(cms, F.digest, F.store, F.now - 2 * YEAR);
    assert_true(all_ok(&c));
    sg_cms_check_clear(&c);
    /* signed after it expired */
    c = checked(cms, F.digest, F.store, F.now);
    assert_all_but_chain(&c, "expired");
    sg_cms_check_clear(&c);
    g_byte_array_free(cms, TRUE);
}

static void assert_unparsed(const uint8_t *der, size_t len)
{
    sg_cms_check c;
    sg_cms_check_blob(der, len, F.digest, F.store, (int64_t)F.now, &c);
    assert_false(c.parsed);
    assert_false(c.digest_ok || c.signature_ok || c.chain_ok || c.attrs_ok);
    assert_non_null(c.problem);
    sg_cms_check_clear(&c);
}

static void check_garbage(void **state)
{
    (void)state;
    assert_unparsed(NULL, 0);
    assert_unparsed(NULL, 100);
    uint8_t zeros[64] = {0};
    assert_unparsed(zeros, sizeof zeros);
    uint8_t junk[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    assert_unparsed(junk, sizeof junk);
    junk[0] = 0x30;
    junk[1] = 0x84; /* a four-byte length, far beyond the data */
    assert_unparsed(junk, sizeof junk);

    GByteArray *cms = sign_cms(&F.leaf, F.chain, F.digest);
    for (size_t n = 0; n < cms->len; n++) { /* every truncation, each in a tight buffer */
        uint8_t *t = g_memdup2(cms->data, n);
        assert_unparsed(t, n);
        g_free(t);
    }
    /* trailing bytes that are not zero padding */
    uint8_t *padded = g_malloc0(cms->len + 100);
    memcpy(padded, cms->data, cms->len);
    padded[cms->len + 50] = 1;
    assert_unparsed(padded, cms->len + 100);
    g_free(padded);
    g_byte_array_free(cms, TRUE);
}

/* OpenSSL's encoding of what der[0..len) decodes to (its certificates sorted as DER wants). */
static GByteArray *reencoded(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    unsigned char *out = NULL;
    int n = cms ? i2d_CMS_ContentInfo(cms, &out) : -1;
    GByteArray *b = g_byte_array_new();
    if (n > 0)
        g_byte_array_append(b, out, (guint)n);
    OPENSSL_free(out);
    CMS_ContentInfo_free(cms);
    return b;
}

/* Does changed decode to what orig does? OpenSSL re-encodes the signed attributes to check
 * their signature, so a non-DER spelling of the very same attributes (a SET tag without its
 * constructed bit, say) passes: the same signature, not a forgery. */
static bool same_when_reencoded(const uint8_t *changed, const GByteArray *orig)
{
    GByteArray *a = reencoded(changed, orig->len), *b = reencoded(orig->data, orig->len);
    bool same = a->len > 0 && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
    g_byte_array_free(a, TRUE);
    g_byte_array_free(b, TRUE);
    return same;
}

/* Single-byte changes everywhere in a good CMS: no crash, the verdict consistent with the problem,
 * and a change in the signed attributes, the signature or the signer's certificate never
 * passes, unless it only spells the same thing another way. */
static void check_every_byte_changed(void **state)
{
    (void)state;
    GByteArray *cms = sign_cms(&F.leaf, F.chain, F.digest);
    GByteArray *attrs = sg_cms_signed_attrs(F.leaf.cert, F.digest);
    unsigned char *leaf_der = NULL;
    int leaf_len = i2d_X509(F.leaf.cert, &leaf_der);
    /* where the attributes' content, the leaf and the signature are */
    size_t hdr = attrs->data[1] & 0x80 ? 2 + (attrs->data[1] & 0x7fu) : 2;
    const uint8_t *a = find(cms, attrs->data + hdr, attrs->len - hdr);
    const uint8_t *l = find(cms, leaf_der, (size_t)leaf_len);
    assert_non_null(a);
    assert_non_null(l);
    size_t a_at = (size_t)(a - cms->data), l_at = (size_t)(l - cms->data);
    size_t sig_at = cms->len - 256;
    uint8_t *m = g_memdup2(cms->data, cms->len);
    for (size_t i = 0; i < cms->len; i++) {
        bool protected_byte = (i >= a_at && i < a_at + attrs->len - hdr) ||
                              (i >= l_at && i < l_at + (size_t)leaf_len) || i >= sig_at;
        /* one bit (which one moves along) and the whole byte: every bit would take long */
        const uint8_t flips[2] = {(uint8_t)(1u << (i % 8)), 0xff};
        for (int k = 0; k < 2; k++) {
            m[i] ^= flips[k];
            sg_cms_check c;
            sg_cms_check_blob(m, cms->len, F.digest, F.store, (int64_t)F.now, &c);
            assert_true((c.problem == NULL) == all_ok(&c));
            if (protected_byte && all_ok(&c) && !same_when_reencoded(m, cms))
                fail_msg("byte %zu of %u ^ %02x went unnoticed", i, cms->len, flips[k]);
            sg_cms_check_clear(&c);
            m[i] = cms->data[i];
        }
    }
    g_free(m);
    OPENSSL_free(leaf_der);
    g_byte_array_free(attrs, TRUE);
    g_byte_array_free(cms, TRUE);
}

/* ---- CMS from another producer: openssl cms -sign ---- */

static GByteArray *openssl_signed(const char *name, const char *extra)
{
    char *key = put_key("leaf.key", F.leaf.key);
    char *leaf = put_cert("leaf.pem", F.leaf.cert);
    char *inter = put_cert("inter.pem", F.inter.cert);
    char *out = test_path(F.dir, name);
    char *cmd = g_strdup_printf("openssl cms -sign -binary -md sha256 -in '%s' -signer '%s' "
                                "-inkey '%s' -certfile '%s' -outform DER -out '%s' %s",
                                F.data_path, leaf, key, inter, out, extra);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    size_t len = 0;
    char *data = test_slurp(out, &len);
    GByteArray *b = g_byte_array_new_take((guint8 *)data, len);
    g_free(cmd);
    g_free(out);
    g_free(inter);
    g_free(leaf);
    g_free(key);
    return b;
}

static void check_openssl_cms_sign(void **state)
{
    (void)state;
    sg_cms_check c;
    /* plain CMS: signing-time, no ESS signing-certificate: not PAdES */
    GByteArray *plain = openssl_signed("plain.der", "");
    /* the judge of openssl_verifies_* refuses a CMS without the ESS attribute */
    char *plain_path = test_path(F.dir, "plain.der");
    char *root = put_cert("root.pem", F.root.cert);
    assert_false(openssl_verifies(plain_path, F.data_path, root));
    g_free(root);
    g_free(plain_path);
    c = checked(plain, F.digest, F.store, F.now);
    assert_true(c.parsed && c.detached && c.digest_ok && c.signature_ok && c.chain_ok);
    assert_true(c.has_signing_time);
    assert_false(c.attrs_ok);
    test_assert_contains(c.problem, "signing-certificate");
    sg_cms_check_clear(&c);
    g_byte_array_free(plain, TRUE);
    /* CAdES: with the ESS signing-certificate-v2 */
    GByteArray *cades = openssl_signed("cades.der", "-cades");
    c = checked(cades, F.digest, F.store, F.now);
    assert_true(all_ok(&c));
    assert_true(c.has_signing_time);
    sg_cms_check_clear(&c);
    g_byte_array_free(cades, TRUE);
    /* the content inside the CMS */
    GByteArray *attached = openssl_signed("attached.der", "-nodetach");
    c = checked(attached, F.digest, F.store, F.now);
    assert_true(c.parsed && !c.detached);
    test_assert_contains(c.problem, "detached");
    sg_cms_check_clear(&c);
    g_byte_array_free(attached, TRUE);
}

/* ---- the certificate's fields ---- */

static void cert_fields(void **state)
{
    (void)state;
    char *cn = sg_cert_field(F.leaf.cert, NID_commonName);
    char *o = sg_cert_field(F.leaf.cert, NID_organizationName);
    assert_string_equal(cn, LEAF_CN);
    assert_string_equal(o, LEAF_O);
    assert_null(sg_cert_field(F.leaf.cert, NID_localityName));
    assert_null(sg_cert_field(NULL, NID_commonName));
    g_free(cn);
    g_free(o);
}

static void cert_sha256_matches_openssl(void **state)
{
    (void)state;
    char *pem = put_cert("fp.pem", F.leaf.cert);
    char *cmd = g_strdup_printf("openssl x509 -in '%s' -noout -fingerprint -sha256", pem);
    bool ok = false;
    char *fp = test_run(cmd, &ok);
    assert_true(ok);
    /* "sha256 Fingerprint=AB:CD:…" → "abcd…" */
    GString *want = g_string_new(NULL);
    for (const char *p = strchr(fp, '=') + 1; *p && *p != '\n'; p++)
        if (*p != ':')
            g_string_append_c(want, g_ascii_tolower(*p));
    char hex[SH_SHA256_HEX_LEN + 1];
    sg_cert_sha256_hex(F.leaf.cert, hex);
    assert_string_equal(hex, want->str);
    g_string_free(want, TRUE);
    g_free(fp);
    g_free(cmd);
    g_free(pem);
}

/* ---- trust anchors ---- */

/* The anchors of the PEM file at path, as sg_trust_load reads them (X509_STORE_free). */
static X509_STORE *trust_loaded(const char *path)
{
    X509_STORE *s = NULL;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sg_trust_load(path, &s, &err), SH_OK);
    assert_non_null(s);
    return s;
}

static void trust_load_two_certs(void **state)
{
    (void)state;
    char *p = test_path(F.dir, "anchors.pem");
    X509 *two[2] = {F.other_root.cert, F.root.cert};
    write_pem_cert(p, two, 2);
    X509_STORE *s = trust_loaded(p);
    STACK_OF(X509) *certs = X509_STORE_get1_all_certs(s);
    assert_int_equal(sk_X509_num(certs), 2);
    sk_X509_pop_free(certs, X509_free);
    /* the second anchor is the one that counts here */
    GByteArray *cms = sign_cms(&F.leaf, F.chain, F.digest);
    sg_cms_check c = checked(cms, F.digest, s, F.now);
    assert_true(c.chain_ok);
    sg_cms_check_clear(&c);
    g_byte_array_free(cms, TRUE);
    X509_STORE_free(s);
    g_free(p);
}

/* An intermediate given as the anchor is trusted as it is, without its root. */
static void trust_load_intermediate_anchor(void **state)
{
    (void)state;
    char *p = put_cert("issuing-ca.pem", F.inter.cert);
    X509_STORE *s = trust_loaded(p);
    GByteArray *cms = sign_cms(&F.ec_leaf, F.none, F.digest);
    sg_cms_check c = checked(cms, F.digest, s, F.now);
    assert_true(all_ok(&c));
    sg_cms_check_clear(&c);
    /* and a leaf of another CA still is not */
    g_byte_array_free(cms, TRUE);
    X509_STORE_free(s);
    char *other = put_cert("other-root.pem", F.other_root.cert);
    s = trust_loaded(other);
    cms = sign_cms(&F.ec_leaf, F.chain, F.digest);
    c = checked(cms, F.digest, s, F.now);
    assert_false(c.chain_ok);
    sg_cms_check_clear(&c);
    g_byte_array_free(cms, TRUE);
    X509_STORE_free(s);
    g_free(other);
    g_free(p);
}

static void assert_trust_refused(const char *name, const char *content, const char *says)
{
    char *p = test_path(F.dir, name);
    if (content)
        test_write(p, content, strlen(content));
    X509_STORE *s = F.store; /* must be reset to NULL */
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sg_trust_load(p, &s, &err), SH_INPUT);
    assert_null(s);
    test_assert_contains(err.msg, p);
    if (says)
        test_assert_contains(err.msg, says);
    g_free(p);
}

static void trust_load_refuses(void **state)
{
    (void)state;
    assert_trust_refused("notpem.txt", "this is not a certificate\n", "no certificate");
    assert_trust_refused("missing.pem", NULL, NULL);
    assert_trust_refused(
        "damaged.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "damaged");
    /* a private key alone is not an anchor, and is not asked a passphrase for */
    char *kp = put_key("key-only.pem", F.root.key);
    size_t key_len = 0;
    char *key_pem = test_slurp(kp, &key_len);
    assert_trust_refused("key-only.pem", key_pem, "no certificate");
    g_free(key_pem);
    g_free(kp);
    /* too large to be a file of anchors */
    char *big = g_malloc(5u << 20);
    memset(big, 'A', 5u << 20);
    big[(5u << 20) - 1] = '\0';
    assert_trust_refused("huge.pem", big, NULL);
    g_free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openssl_verifies_rsa),
        cmocka_unit_test(openssl_verifies_ec),
        cmocka_unit_test(signed_attrs_shape),
        cmocka_unit_test(size_is_exact),
        cmocka_unit_test(check_all_ok_rsa),
        cmocka_unit_test(check_all_ok_ec),
        cmocka_unit_test(check_other_digest),
        cmocka_unit_test(check_flipped_signature),
        cmocka_unit_test(check_forged_digest_attribute),
        cmocka_unit_test(check_chain_cases),
        cmocka_unit_test(check_expired_leaf),
        cmocka_unit_test(check_garbage),
        cmocka_unit_test(check_every_byte_changed),
        cmocka_unit_test(check_openssl_cms_sign),
        cmocka_unit_test(cert_fields),
        cmocka_unit_test(cert_sha256_matches_openssl),
        cmocka_unit_test(trust_load_two_certs),
        cmocka_unit_test(trust_load_intermediate_anchor),
        cmocka_unit_test(trust_load_refuses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
