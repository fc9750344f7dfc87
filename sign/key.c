/* The signing key: a PKCS#12 file read through OpenSSL, or a key on a token that pkcs11.c
 * finds. Either way an sg_key signs SHA-256 digests with RSA PKCS#1 v1.5 or ECDSA P-256 and
 * holds the certificate and its chain. */
#include "sign_impl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#define P12_MAX_BYTES (1u << 20) /* a .p12 holds a key and a few certificates: a few KiB */
#define CHAIN_MAX_DEPTH 16
#define EC_P256_MAX_SIG 72 /* DER SEQUENCE of two INTEGERs of up to 33 bytes */

struct sg_key {
    sg_key_kind kind;
    size_t max_sig;
    X509 *cert;
    STACK_OF(X509) * chain; /* issuer first */
    EVP_PKEY *pkey;         /* PKCS#12: the private key; NULL on a token */
    sg_token *token;        /* PKCS#11: the session that signs; NULL for PKCS#12 */
};

/* The last OpenSSL error as text for a message, and the queue cleared. */
static const char *ossl_reason(char *buf, size_t n)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, buf, n);
    else
        snprintf(buf, n, "unknown error");
    ERR_clear_error();
    return buf;
}

/* Which of the two key kinds the certificate's public key is; SH_INPUT naming what it is
 * otherwise. `what` names the file or the token's key. */
static sh_status classify(X509 *cert, const char *what, sg_key_kind *kind, size_t *max_sig,
                          sh_error *err)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    if (!pub)
        return sh_fail(err, SH_INPUT, _("%s: the certificate's public key cannot be read"), what);
    int id = EVP_PKEY_get_base_id(pub);
    if (id == EVP_PKEY_RSA) {
        int bits = EVP_PKEY_get_bits(pub);
        if (bits >= 2048 && bits <= 4096) {
            *kind = SG_KEY_RSA;
            *max_sig = (size_t)EVP_PKEY_get_size(pub);
            return SH_OK;
        }
        return sh_fail(err, SH_INPUT,
                       _("%s: the key is RSA of %d bits; sohoa signs only with RSA keys of 2048 to "
                         "4096 bits or EC P-256 keys: ask the certificate authority for one"),
                       what, bits);
    }
    if (id == EVP_PKEY_EC) {
        char group[80] = "";
        size_t glen = 0;
        if (!EVP_PKEY_get_group_name(pub, group, sizeof group, &glen))
            snprintf(group, sizeof group, "?");
        if (strcmp(group, SN_X9_62_prime256v1) == 0 || strcmp(group, "P-256") == 0) {
            *kind = SG_KEY_EC_P256;
            *max_sig = EC_P256_MAX_SIG;
            return SH_OK;
        }
        return sh_fail(err, SH_INPUT,
                       _("%s: the key is EC on the curve %s; sohoa signs only with RSA keys of "
                         "2048 to 4096 bits or EC P-256 keys: ask the certificate authority for "
                         "one"),
                       what, group);
    }
    const char *type = EVP_PKEY_get0_type_name(pub);
    return sh_fail(err, SH_INPUT,
                   _("%s: the key is of type %s; sohoa signs only with RSA keys of 2048 to 4096 "
                     "bits or EC P-256 keys: ask the certificate authority for one"),
                   what, type ? type : OBJ_nid2sn(id));
}

static bool in_stack(STACK_OF(X509) * s, X509 *x)
{
    for (int i = 0; i < sk_X509_num(s); i++)
        if (X509_cmp(sk_X509_value(s, i), x) == 0)
            return true;
    return false;
}

/* The certificate of pool that issued `subject`: names and key identifiers match
 * (X509_check_issued) and its key verifies subject's signature. */
static X509 *find_issuer(STACK_OF(X509) * pool, X509 *subject)
{
    for (int i = 0; i < sk_X509_num(pool); i++) {
        X509 *c = sk_X509_value(pool, i);
        EVP_PKEY *pub = X509_get0_pubkey(c);
        if (X509_cmp(c, subject) != 0 && X509_check_issued(c, subject) == X509_V_OK && pub &&
            X509_verify(subject, pub) == 1)
            return c;
    }
    ERR_clear_error();
    return NULL;
}

/* The chain above leaf from the certificates of pool, issuer first, up to a self-signed one or
 * the first missing issuer; certificates that issue nothing in it are left out. NULL when out
 * of memory. */
static STACK_OF(X509) * chain_from(X509 *leaf, STACK_OF(X509) * pool)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    if (!chain)
        return NULL;
    X509 *cur = leaf;
    while (sk_X509_num(chain) < CHAIN_MAX_DEPTH && X509_self_signed(cur, 0) != 1) {
        X509 *issuer = find_issuer(pool, cur);
        if (!issuer || issuer == leaf || in_stack(chain, issuer))
            break;
        if (!sk_X509_push(chain, issuer)) {
            sk_X509_pop_free(chain, X509_free);
            return NULL;
        }
        X509_up_ref(issuer);
        cur = issuer;
    }
    ERR_clear_error();
    return chain;
}

/* The key of cert, classified (`what` names it in messages), with its chain from pool, which is
 * only read. Takes cert on success; on failure *out is NULL and cert is still the caller's. */
static sh_status key_new(X509 *cert, STACK_OF(X509) * pool, const char *what, sg_key **out,
                         sh_error *err)
{
    *out = NULL;
    sg_key_kind kind = SG_KEY_RSA;
    size_t max_sig = 0;
    sh_status st = classify(cert, what, &kind, &max_sig, err);
    if (st != SH_OK)
        return st;
    sg_key *k = calloc(1, sizeof *k);
    STACK_OF(X509) *chain = k ? chain_from(cert, pool) : NULL;
    if (!chain) {
        free(k);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    k->kind = kind;
    k->max_sig = max_sig;
    k->cert = cert;
    k->chain = chain;
    *out = k;
    return SH_OK;
}

/* ---- PKCS#12 ---- */

static PKCS12 *p12_decode(const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
    ERR_clear_error();
    return p12;
}

/* PKCS12_parse; for a bag in legacy encryption (RC2-40, old Windows exports) the legacy
 * provider is loaded and the parse tried again. */
static bool p12_parse(PKCS12 *p12, const char *pass, EVP_PKEY **pkey, X509 **cert,
                      STACK_OF(X509) * *ca)
{
    if (PKCS12_parse(p12, pass, pkey, cert, ca))
        return true;
    /* Only once per process: providers stay loaded until exit. */
    static bool tried_legacy;
    if (tried_legacy)
        return false;
    tried_legacy = true;
    if (!OSSL_PROVIDER_load(NULL, "legacy") || !OSSL_PROVIDER_load(NULL, "default"))
        return false;
    ERR_clear_error();
    return PKCS12_parse(p12, pass, pkey, cert, ca) == 1;
}

/* The passphrase that opens p12 (NULL or "" when none was given: files without one are made
 * either way), or SH_INPUT. */
static sh_status p12_passphrase(PKCS12 *p12, const char *path, const char *secret,
                                const char **pass, sh_error *err)
{
    if (!PKCS12_mac_present(p12)) {
        *pass = secret ? secret : "";
        return SH_OK;
    }
    if (secret && *secret) {
        *pass = secret;
        if (PKCS12_verify_mac(p12, secret, -1))
            return SH_OK;
    } else {
        *pass = NULL;
        if (PKCS12_verify_mac(p12, NULL, 0))
            return SH_OK;
        *pass = "";
        if (PKCS12_verify_mac(p12, "", 0))
            return SH_OK;
    }
    ERR_clear_error();
    return sh_fail(err, SH_INPUT,
                   _("wrong passphrase for %s: give the passphrase the key file was exported with"),
                   path);
}

/* The file read and decoded: what can be checked before the passphrase is asked. */
static sh_status p12_read(const char *path, PKCS12 **out, sh_error *err)
{
    char *data = NULL;
    size_t len = 0;
    sh_status st = sh_read_file(path, P12_MAX_BYTES, &data, &len, err);
    if (st != SH_OK)
        return st;
    *out = p12_decode(data, len);
    free(data);
    if (!*out)
        return sh_fail(err, SH_INPUT,
                       _("%s is not a PKCS#12 file (.p12, .pfx): export the key with its "
                         "certificate as PKCS#12"),
                       path);
    return SH_OK;
}

/* Whether p12 needs a passphrase: its integrity MAC does not verify without one. */
static bool p12_needs_passphrase(PKCS12 *p12)
{
    bool needs = PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, NULL, 0) &&
                 !PKCS12_verify_mac(p12, "", 0);
    ERR_clear_error();
    return needs;
}

static sh_status p12_unlock(PKCS12 *p12, const char *path, const char *secret, sg_key **out,
                            sh_error *err)
{
    const char *pass = NULL;
    sh_status st = p12_passphrase(p12, path, secret, &pass, err);
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *ca = NULL;
    char why[256];
    if (st == SH_OK && !p12_parse(p12, pass, &pkey, &cert, &ca))
        st = sh_fail(err, SH_INPUT, _("cannot read the key in %s (%s): export it again as PKCS#12"),
                     path, ossl_reason(why, sizeof why));
    if (st == SH_OK && (!pkey || !cert))
        st = sh_fail(err, SH_INPUT,
                     _("%s does not hold a private key with its certificate: export both into "
                       "the PKCS#12 file"),
                     path);
    sg_key *k = NULL;
    if (st == SH_OK)
        st = key_new(cert, ca, path, &k, err);
    sk_X509_pop_free(ca, X509_free);
    if (st != SH_OK) {
        ERR_clear_error();
        EVP_PKEY_free(pkey);
        X509_free(cert);
        return st;
    }
    k->pkey = pkey; /* k owns cert and pkey from here */
    if (X509_check_private_key(cert, pkey) != 1)
        st = sh_fail(err, SH_INPUT,
                     _("the private key in %s does not belong to its certificate: export the "
                       "key together with its own certificate"),
                     path);
    ERR_clear_error();
    if (st != SH_OK) {
        sg_key_close(k);
        return st;
    }
    *out = k;
    return SH_OK;
}

/* ---- PKCS#11: the key of a token, built by pkcs11.c ---- */

/* Sign a fixed text with the token and verify it with the certificate: a key and certificate
 * that do not belong together are found at open, not by the first reader of a signed file. */
static sh_status check_token_key(sg_key *k, const char *what, sh_error *err)
{
    static const uint8_t probe[] = "sohoa: does this key belong to its certificate?";
    uint8_t sig[512];
    size_t sig_len = 0;
    if (k->max_sig > sizeof sig)
        return sh_fail(err, SH_INTERNAL, _("%s: unexpected signature size"), what);
    sh_status st = sg_key_sign(k, probe, sizeof probe, sig, &sig_len, err);
    if (st != SH_OK)
        return st;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx &&
              EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(k->cert)) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_len, probe, sizeof probe) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        return sh_fail(err, SH_INPUT,
                       _("%s does not belong to its certificate (a test signature does not "
                         "verify): choose the key whose certificate has the same ID"),
                       what);
    return SH_OK;
}

/* Takes t and cert whatever the outcome; pool is only read. */
sh_status sg_key_from_token(sg_token *t, X509 *cert, STACK_OF(X509) * pool, const char *what,
                            sg_key **out, sh_error *err)
{
    sg_key *k = NULL;
    sh_status st = key_new(cert, pool, what, &k, err);
    if (st != SH_OK) {
        X509_free(cert);
        sg_token_close(t);
        return st;
    }
    k->token = t;
    st = check_token_key(k, what, err);
    if (st != SH_OK) {
        sg_key_close(k);
        return st;
    }
    *out = k;
    return SH_OK;
}

/* ---- the interface of sign_impl.h ---- */

struct sg_key_pending {
    char *p12_path; /* PKCS#12: the file, decoded */
    PKCS12 *p12;
    bool p12_needs_passphrase;
    sg_token *token; /* PKCS#11: the token chosen, a session open */
    char *key_label;
};

sh_status sg_key_prepare(const sg_key_source *src, sg_key_pending **out, sh_error *err)
{
    *out = NULL;
    bool p12 = src->pkcs12 && *src->pkcs12;
    bool p11 = src->pkcs11_module && *src->pkcs11_module;
    if (p12 == p11)
        return sh_fail(err, SH_USAGE,
                       _("give the signing key either as a PKCS#12 file (--pkcs12 FILE) or as a "
                         "token's PKCS#11 module (--pkcs11-module LIB): exactly one of the two"));
    sg_key_pending *p = g_new0(sg_key_pending, 1);
    sh_status st;
    if (p12) {
        p->p12_path = g_strdup(src->pkcs12);
        st = p12_read(src->pkcs12, &p->p12, err);
        if (st == SH_OK)
            p->p12_needs_passphrase = p12_needs_passphrase(p->p12);
    } else {
        p->key_label = src->key_label && *src->key_label ? g_strdup(src->key_label) : NULL;
        st = sg_pkcs11_prepare(src, &p->token, err);
    }
    if (st != SH_OK) {
        sg_key_pending_free(p);
        return st;
    }
    *out = p;
    return SH_OK;
}

bool sg_key_needs_secret(const sg_key_pending *p)
{
    return p->p12 ? p->p12_needs_passphrase : sg_token_needs_pin(p->token);
}

bool sg_key_is_file(const sg_key_pending *p) { return p->p12 != NULL; }

sh_status sg_key_unlock(sg_key_pending **pp, const char *secret, sg_key **out, sh_error *err)
{
    *out = NULL;
    sg_key_pending *p = *pp;
    *pp = NULL;
    sh_status st;
    if (p->p12) {
        st = p12_unlock(p->p12, p->p12_path, secret, out, err);
    } else {
        st = sg_pkcs11_unlock(p->token, p->key_label, secret, out, err);
        p->token = NULL; /* taken */
    }
    sg_key_pending_free(p);
    return st;
}

void sg_key_pending_free(sg_key_pending *p)
{
    if (!p)
        return;
    PKCS12_free(p->p12);
    g_free(p->p12_path);
    sg_token_close(p->token);
    g_free(p->key_label);
    g_free(p);
}

sh_status sg_key_open(const sg_key_source *src, const char *secret, sg_key **out, sh_error *err)
{
    *out = NULL;
    sg_key_pending *p = NULL;
    sh_status st = sg_key_prepare(src, &p, err);
    return st == SH_OK ? sg_key_unlock(&p, secret, out, err) : st;
}

sg_key_kind sg_key_kind_of(const sg_key *k) { return k->kind; }
X509 *sg_key_cert(const sg_key *k) { return k->cert; }
STACK_OF(X509) * sg_key_chain(const sg_key *k) { return k->chain; }
size_t sg_key_max_signature(const sg_key *k) { return k->max_sig; }
EVP_PKEY *sg_key_private(const sg_key *k) { return k->pkey; }
const char *sg_key_token_label(const sg_key *k)
{
    return k->token ? sg_token_label(k->token) : NULL;
}

sh_status sg_key_sign(sg_key *k, const uint8_t *data, size_t len, uint8_t *sig, size_t *sig_len,
                      sh_error *err)
{
    if (k->token) {
        uint8_t digest[SG_SHA256_LEN];
        sh_sha256_buf(data, len, digest);
        return sg_token_sign(k->token, k->kind, digest, sig, sig_len, k->max_sig, err);
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = k->max_sig;
    bool ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
              EVP_DigestSign(ctx, sig, &n, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        char why[256];
        return sh_fail(err, SH_INTERNAL, _("signing failed: %s"), ossl_reason(why, sizeof why));
    }
    *sig_len = n;
    return SH_OK;
}

void sg_key_close(sg_key *k)
{
    if (!k)
        return;
    if (k->token)
        sg_token_close(k->token);
    EVP_PKEY_free(k->pkey); /* OpenSSL clears the key's memory as it frees it */
    X509_free(k->cert);
    sk_X509_pop_free(k->chain, X509_free);
    free(k);
}
