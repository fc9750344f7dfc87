/* detached.c — detached CMS signatures of files other than PDFs (a package's tag manifest, a
 * receipt, a progress snapshot): made with the signer's key (key.c, pkcs11.c) and cms.c's DER
 * assembly, with a signing-time attribute since there is no /M; checked with cms.c's checks
 * under the rules of sign.h; and the signer's key handed out to decrypt what was encrypted to
 * the receiving organisation. */
#include "sign_impl.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "der_impl.h"

/* A signature holds a few certificates and a few hundred bytes of its own: 1 MiB is plenty, and
 * bounds what an attacker's file costs to read. */
#define DETACHED_MAX_BYTES ((size_t)1 << 20)

/* ---- signing ---- */

sh_status sg_signer_sign_detached(sg_signer *s, const void *data, size_t len, int64_t at,
                                  uint8_t **der, size_t *der_len, sh_error *err)
{
    *der = NULL;
    *der_len = 0;
    sg_key *k = s ? sg_signer_key(s) : NULL;
    if (!k)
        return sh_fail(err, SH_INTERNAL, "sg_signer_sign_detached: the signer is not unlocked");
    if (!data && len)
        return sh_fail(err, SH_INTERNAL, "sg_signer_sign_detached: no data");
    if (at == 0)
        at = (int64_t)time(NULL);
    uint8_t digest[SG_SHA256_LEN];
    sh_sha256_buf(data ? data : "", len, digest);
    X509 *cert = sg_key_cert(k);
    GByteArray *attrs = sg_cms_signed_attrs_at(cert, digest, at);
    if (!attrs)
        return sh_fail(err, SH_INTERNAL,
                       "sg_signer_sign_detached: the signing time %lld cannot be written",
                       (long long)at);
    size_t max_sig = sg_key_max_signature(k), sig_len = 0;
    uint8_t *sig = g_malloc(max_sig);
    sh_status st = sg_key_sign(k, attrs->data, attrs->len, sig, &sig_len, err);
    GByteArray *cms = NULL;
    if (st == SH_OK)
        cms = sg_cms_build(cert, sg_key_chain(k), sg_key_kind_of(k), attrs, sig, sig_len);
    if (st == SH_OK && !cms)
        st = sh_fail(err, SH_INTERNAL, "sg_signer_sign_detached: the CMS cannot be assembled");
    OPENSSL_cleanse(sig, max_sig);
    g_free(sig);
    g_byte_array_free(attrs, TRUE);
    if (st != SH_OK)
        return st;
    *der_len = cms->len;
    *der = g_byte_array_free(cms, FALSE);
    return SH_OK;
}

/* ---- checking ---- */

/* Why der[0..len) is not one whole element that can be a ContentInfo (a SEQUENCE), a translated
 * sentence (g_free); NULL when it is, or when it uses BER's indefinite length (the parser finds
 * its end). Says "cut short" and "bytes after it" apart: a copy that stopped early is common. */
static char *framing_problem(const uint8_t *der, size_t len)
{
    if (!der || len == 0)
        return g_strdup(_("the signature is empty"));
    if (len > DETACHED_MAX_BYTES)
        return g_strdup_printf(_("the signature is %zu bytes long, more than a signature can be "
                                 "(at most %zu): it is not a signature"),
                               len, DETACHED_MAX_BYTES);
    if (len < 2 || der[0] != DER_SEQUENCE)
        return g_strdup(_("the signature is not a CMS SignedData: it is damaged or of another "
                          "kind"));
    if (der[1] == 0x80)
        return NULL;
    size_t hdr = 2, body = der[1];
    if (der[1] & 0x80) {
        size_t n = der[1] & 0x7f;
        if (n > 4 || len < 2 + n)
            return g_strdup(_("the signature is not a CMS SignedData: it is damaged or of "
                              "another kind"));
        body = 0;
        for (size_t i = 0; i < n; i++)
            body = (body << 8) | der[2 + i];
        hdr += n;
    }
    if (body > len - hdr)
        return g_strdup_printf(_("the signature is cut short: %zu bytes of %zu; copy it again "
                                 "from its source"),
                               len, hdr + body);
    if (body < len - hdr)
        return g_strdup_printf(_("the signature has %zu bytes after its end: it is damaged"),
                               len - hdr - body);
    return NULL;
}

/* The state cms.c's checks call for, and why (g_free; NULL when valid). Signed attributes are
 * required, the ESS signing-certificate only checked when present (other producers, such as
 * `openssl cms -sign` without -cades, leave it out); a weak digest (SHA-1) is not vouched for. */
static sg_sig_state judge(const sg_cms_check *c, char **problem)
{
    sg_sig_state state = SG_SIG_INVALID;
    if (c->parsed && c->unsupported) {
        state = SG_SIG_UNCHECKED;
    } else if (c->parsed && !c->has_signed_attrs) {
        *problem = g_strdup(_("the signature has no signed attributes (content-type, "
                              "message-digest), which a detached signature must have"));
        return SG_SIG_INVALID;
    } else if (c->parsed && c->detached && c->digest_ok && c->attrs_ok && c->signature_ok) {
        if (c->weak_digest) {
            *problem = g_strdup_printf(_("the signature's digest algorithm %s is weak (a "
                                         "signature with it can be forged): it is not accepted; "
                                         "sign again with SHA-256"),
                                       c->digest_name);
            return SG_SIG_UNCHECKED;
        }
        state = c->chain_ok ? SG_SIG_VALID : SG_SIG_UNTRUSTED;
    }
    if (state != SG_SIG_VALID) /* cms.c's first failure: unreadable, changed, forged, untrusted */
        *problem = g_strdup(c->problem ? c->problem : _("the signature cannot be read"));
    return state;
}

sh_status sg_verify_detached(const uint8_t *der, size_t der_len, const void *data, size_t len,
                             X509_STORE *trust, sg_detached_report *rep, sh_error *err)
{
    memset(rep, 0, sizeof *rep);
    rep->state = SG_SIG_INVALID;
    if (!data && len)
        return sh_fail(err, SH_INTERNAL, "sg_verify_detached: no data");
    rep->problem = framing_problem(der, der_len);
    if (rep->problem)
        return SH_OK;
    /* the data hashed with the signer's own digest algorithm (none: the check says why) */
    const EVP_MD *md = sg_cms_digest_md(der, der_len);
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (md && EVP_Digest(data ? data : "", len, digest, &digest_len, md, NULL) != 1)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    sg_cms_check c;
    /* the chain must hold now: signing-time is the signer's claim, nothing vouches for it */
    sg_cms_verify(der, der_len, md ? digest : NULL, digest_len, false, trust, (int64_t)time(NULL),
                  &c);
    rep->signer_cn = g_strdup(c.signer_cn);
    rep->signer_org = g_strdup(c.signer_org);
    memcpy(rep->cert_sha256, c.cert_sha256, sizeof rep->cert_sha256);
    rep->signed_at = c.signing_time;
    rep->state = judge(&c, &rep->problem);
    sg_cms_check_clear(&c);
    return SH_OK;
}

void sg_detached_report_clear(sg_detached_report *rep)
{
    if (!rep)
        return;
    g_free(rep->problem);
    g_free(rep->signer_cn);
    g_free(rep->signer_org);
    memset(rep, 0, sizeof *rep);
}

/* ---- the key for decryption ---- */

sh_status sg_signer_decryption_key(const sg_signer *s, X509 **cert, EVP_PKEY **key, sh_error *err)
{
    *cert = NULL;
    *key = NULL;
    sg_key *k = s ? sg_signer_key(s) : NULL;
    if (!k)
        return sh_fail(err, SH_INTERNAL, "sg_signer_decryption_key: the signer is not unlocked");
    EVP_PKEY *pkey = sg_key_private(k);
    if (!pkey) {
        const char *label = sg_key_token_label(k);
        return sh_fail(err, SH_USAGE,
                       _("the key of token %s cannot decrypt here: use the PKCS#12 file of the "
                         "receiving organisation"),
                       label && *label ? label : "?");
    }
    X509 *x = sg_key_cert(k);
    if (EVP_PKEY_up_ref(pkey) != 1)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    if (X509_up_ref(x) != 1) {
        EVP_PKEY_free(pkey);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    *cert = x;
    *key = pkey;
    return SH_OK;
}
