/* detached.c — detached CMS signatures of files other than PDFs (a package's tag manifest, a
 * receipt, a progress snapshot): made with the signer's key (key.c, pkcs11.c) and cms.c's DER
 * assembly, with a signing-time attribute since there is no /M; checked with cms.c's checks
 * under the rules of sign.h; and the signer's key handed out to decrypt what was encrypted to
 * the receiving organisation. */
#include "sign_impl.h"

#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
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

/* ---- many signatures against one trust store: certificates parsed once, chains built once ---- */

#define CERTS_KEPT 64  /* distinct certificates kept parsed by a verifier */
#define CHAINS_KEPT 64 /* distinct chains that held */

typedef struct {
    uint8_t id[SH_SHA256_LEN]; /* of the certificate's DER */
    X509 *cert;
} kept_cert;

typedef struct {
    uint8_t id[SH_SHA256_LEN]; /* of the signer's and the signature's certificates (chain_id) */
    STACK_OF(X509) * chain;    /* as X509_verify_cert built it, up to the anchor */
} kept_chain;

struct sg_detached_verifier {
    X509_STORE *trust;
    GMutex lock;
    kept_cert certs[CERTS_KEPT];
    size_t n_certs;
    kept_chain chains[CHAINS_KEPT];
    size_t n_chains;
};

/* One signature parsed: its CMS and its certificates, with the DER hash of each when known. */
typedef struct {
    sg_detached_verifier *v;
    CMS_ContentInfo *cms;
    STACK_OF(X509) * certs;
    uint8_t (*ids)[SH_SHA256_LEN]; /* of certs, in order; NULL: not known (no chain kept) */
} parsed_sig;

sg_detached_verifier *sg_detached_verifier_new(X509_STORE *trust)
{
    sg_detached_verifier *v = g_new0(sg_detached_verifier, 1);
    v->trust = trust;
    g_mutex_init(&v->lock);
    return v;
}

void sg_detached_verifier_free(sg_detached_verifier *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_certs; i++)
        X509_free(v->certs[i].cert);
    for (size_t i = 0; i < v->n_chains; i++)
        sk_X509_pop_free(v->chains[i].chain, X509_free);
    g_mutex_clear(&v->lock);
    g_free(v);
}

/* A DER element at *p (before end) with a one-byte tag and a definite length of at most 4
 * bytes: its tag and content; *p moved past it. */
static bool der_next(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **body,
                     size_t *body_len)
{
    const uint8_t *q = *p;
    if (end - q < 2 || (q[0] & 0x1f) == 0x1f)
        return false;
    size_t n = q[1], hdr = 2;
    if (n & 0x80) {
        size_t k = n & 0x7f;
        if (k == 0 || k > 4 || (size_t)(end - q) < 2 + k)
            return false;
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = n << 8 | q[2 + i];
        hdr += k;
    }
    if (n > (size_t)(end - q) - hdr)
        return false;
    *tag = q[0];
    *body = q + hdr;
    *body_len = n;
    *p = q + hdr + n;
    return true;
}

/* The ContentInfo der[0..len) (DER, nothing after it) without its SignedData's certificates,
 * and those certificates' SET in certs[0..*certs_len); NULL when it is not of that shape. The
 * certificates are not signed: the signature holds them only for the checker to find. */
static GByteArray *without_certs(const uint8_t *der, size_t len, const uint8_t **certs,
                                 size_t *certs_len)
{
    const uint8_t *p = der, *end = der + len, *ci, *x0, *sd, *skip;
    size_t ci_len, x0_len, sd_len, skip_len;
    uint8_t tag, t0, t1;
    if (!der_next(&p, end, &tag, &ci, &ci_len) || tag != DER_SEQUENCE || p != end)
        return NULL;
    p = ci;
    end = ci + ci_len;
    if (!der_next(&p, end, &tag, &skip, &skip_len) || tag != DER_OID)
        return NULL;
    const uint8_t *oid_end = p;
    if (!der_next(&p, end, &t0, &x0, &x0_len) || !der_next(&x0, x0 + x0_len, &t1, &sd, &sd_len) ||
        t0 != DER_CTX0 || t1 != DER_SEQUENCE || p != end || x0 != p)
        return NULL;
    p = sd;
    end = sd + sd_len;
    for (int i = 0; i < 3; i++) /* version, digestAlgorithms, encapContentInfo */
        if (!der_next(&p, end, &tag, &skip, &skip_len))
            return NULL;
    const uint8_t *cut = p;
    if (!der_next(&p, end, &tag, certs, certs_len) || tag != DER_CTX0)
        return NULL;
    GByteArray *body = g_byte_array_new(), *x = g_byte_array_new(), *c = g_byte_array_new();
    g_byte_array_append(body, sd, (guint)(cut - sd));
    g_byte_array_append(body, p, (guint)(end - p));
    sg_der_put_wrapped(x, DER_SEQUENCE, body);
    g_byte_array_append(c, ci, (guint)(oid_end - ci));
    sg_der_put_wrapped(c, DER_CTX0, x);
    GByteArray *out = g_byte_array_new();
    sg_der_put_wrapped(out, DER_SEQUENCE, c);
    return out;
}

/* The certificate der[0..len) (exactly), parsed once per verifier; NULL when it is not one. */
static X509 *cert_of(sg_detached_verifier *v, const uint8_t *der, size_t len,
                     uint8_t id[SH_SHA256_LEN])
{
    sh_sha256_buf(der, len, id);
    X509 *x = NULL;
    g_mutex_lock(&v->lock);
    for (size_t i = 0; i < v->n_certs && !x; i++)
        if (memcmp(v->certs[i].id, id, SH_SHA256_LEN) == 0 && X509_up_ref(v->certs[i].cert) == 1)
            x = v->certs[i].cert;
    g_mutex_unlock(&v->lock);
    if (x)
        return x;
    const unsigned char *p = der;
    x = d2i_X509(NULL, &p, (long)len);
    if (x && p != der + len) {
        X509_free(x);
        return NULL;
    }
    g_mutex_lock(&v->lock);
    if (x && v->n_certs < CERTS_KEPT && X509_up_ref(x) == 1) {
        memcpy(v->certs[v->n_certs].id, id, SH_SHA256_LEN);
        v->certs[v->n_certs++].cert = x;
    }
    g_mutex_unlock(&v->lock);
    return x;
}

/* The certificates of the SET set[0..len), each one a Certificate, parsed through the
 * verifier's; false when one is not. */
static bool certs_of(parsed_sig *ps, const uint8_t *set, size_t len)
{
    ps->certs = sk_X509_new_null();
    size_t n = 0;
    for (const uint8_t *p = set, *cert; p < set + len; n++) {
        const uint8_t *at = p;
        size_t cert_len;
        uint8_t tag;
        if (!ps->certs || !der_next(&p, set + len, &tag, &cert, &cert_len) || tag != DER_SEQUENCE)
            return false;
        ps->ids = g_realloc(ps->ids, (n + 1) * sizeof *ps->ids);
        X509 *x = cert_of(ps->v, at, (size_t)(p - at), ps->ids[n]);
        if (!x)
            return false;
        if (sk_X509_push(ps->certs, x) <= 0) {
            X509_free(x);
            return false;
        }
    }
    return true;
}

static void parsed_clear(parsed_sig *ps)
{
    CMS_ContentInfo_free(ps->cms);
    sk_X509_pop_free(ps->certs, X509_free);
    g_free(ps->ids);
    ps->cms = NULL;
    ps->certs = NULL;
    ps->ids = NULL;
}

/* der parsed: through the verifier's certificates when it has the usual shape, else whole (and
 * then exactly as sg_verify_detached parses it). */
static void parse_sig(parsed_sig *ps, const uint8_t *der, size_t len)
{
    ERR_set_mark();
    const uint8_t *set = NULL;
    size_t set_len = 0;
    GByteArray *rest = ps->v ? without_certs(der, len, &set, &set_len) : NULL;
    if (rest && certs_of(ps, set, set_len))
        ps->cms = sg_cms_parse(rest->data, rest->len);
    if (rest)
        g_byte_array_free(rest, TRUE);
    if (!ps->cms) {
        parsed_clear(ps);
        ps->cms = sg_cms_parse(der, len);
        ps->certs = ps->cms ? CMS_get1_certs(ps->cms) : NULL;
    }
    ERR_pop_to_mark();
}

/* The id of a chain: the signer's certificate and all the signature's, in order. */
static bool chain_id(const parsed_sig *ps, X509 *signer, STACK_OF(X509) * certs,
                     uint8_t id[SH_SHA256_LEN])
{
    if (!ps->ids || certs != ps->certs)
        return false;
    int n = sk_X509_num(certs), at = -1;
    for (int i = 0; i < n && at < 0; i++)
        at = sk_X509_value(certs, i) == signer ? i : -1;
    if (at < 0)
        return false;
    GChecksum *h = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(h, ps->ids[at], SH_SHA256_LEN);
    for (int i = 0; i < n; i++)
        g_checksum_update(h, ps->ids[i], SH_SHA256_LEN);
    gsize id_len = SH_SHA256_LEN;
    g_checksum_get_digest(h, id, &id_len);
    g_checksum_free(h);
    return true;
}

/* Every certificate of chain valid at `at`, as X509_verify_cert checks it. */
static bool valid_at(STACK_OF(X509) * chain, int64_t at)
{
    time_t t = (time_t)at;
    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        if (X509_cmp_time(X509_get0_notBefore(x), &t) >= 0 ||
            X509_cmp_time(X509_get0_notAfter(x), &t) <= 0)
            return false;
    }
    return true;
}

static bool chain_known(void *arg, X509 *signer, STACK_OF(X509) * certs, int64_t at)
{
    parsed_sig *ps = arg;
    uint8_t id[SH_SHA256_LEN];
    if (at <= 0 || !chain_id(ps, signer, certs, id))
        return false;
    bool ok = false;
    g_mutex_lock(&ps->v->lock);
    for (size_t i = 0; i < ps->v->n_chains && !ok; i++)
        ok = memcmp(ps->v->chains[i].id, id, SH_SHA256_LEN) == 0 &&
             valid_at(ps->v->chains[i].chain, at);
    g_mutex_unlock(&ps->v->lock);
    return ok;
}

static void chain_held(void *arg, X509 *signer, STACK_OF(X509) * certs, X509_STORE_CTX *ctx)
{
    parsed_sig *ps = arg;
    uint8_t id[SH_SHA256_LEN];
    if (!chain_id(ps, signer, certs, id))
        return;
    STACK_OF(X509) *chain = X509_STORE_CTX_get1_chain(ctx);
    g_mutex_lock(&ps->v->lock);
    if (chain && ps->v->n_chains < CHAINS_KEPT) {
        memcpy(ps->v->chains[ps->v->n_chains].id, id, SH_SHA256_LEN);
        ps->v->chains[ps->v->n_chains++].chain = chain;
        chain = NULL;
    }
    g_mutex_unlock(&ps->v->lock);
    sk_X509_pop_free(chain, X509_free);
}

/* sg_verify_detached, with a verifier (NULL: none) for the certificates and chains. */
static sh_status check(sg_detached_verifier *v, X509_STORE *trust, const uint8_t *der,
                       size_t der_len, const void *data, size_t len, sg_detached_report *rep,
                       sh_error *err)
{
    memset(rep, 0, sizeof *rep);
    rep->state = SG_SIG_INVALID;
    if (!data && len)
        return sh_fail(err, SH_INTERNAL, "sg_verify_detached: no data");
    rep->problem = framing_problem(der, der_len);
    if (rep->problem)
        return SH_OK;
    parsed_sig ps = {.v = v};
    parse_sig(&ps, der, der_len);
    /* the data hashed with the signer's own digest algorithm (none: the check says why) */
    const EVP_MD *md = sg_cms_parsed_md(ps.cms);
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (md && EVP_Digest(data ? data : "", len, digest, &digest_len, md, NULL) != 1) {
        parsed_clear(&ps);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    sg_cms_check c;
    /* the chain must hold now: signing-time is the signer's claim, nothing vouches for it */
    sg_cms_chain chain = {.trust = trust, .at = (int64_t)time(NULL)};
    if (v && ps.ids) {
        chain.known = chain_known;
        chain.held = chain_held;
        chain.arg = &ps;
    }
    sg_cms_verify_parsed(ps.cms, ps.certs, md ? digest : NULL, digest_len, false, &chain, &c);
    parsed_clear(&ps);
    rep->signer_cn = g_strdup(c.signer_cn);
    rep->signer_org = g_strdup(c.signer_org);
    memcpy(rep->cert_sha256, c.cert_sha256, sizeof rep->cert_sha256);
    rep->signed_at = c.signing_time;
    rep->state = judge(&c, &rep->problem);
    sg_cms_check_clear(&c);
    return SH_OK;
}

sh_status sg_verify_detached(const uint8_t *der, size_t der_len, const void *data, size_t len,
                             X509_STORE *trust, sg_detached_report *rep, sh_error *err)
{
    return check(NULL, trust, der, der_len, data, len, rep, err);
}

sh_status sg_detached_verify(sg_detached_verifier *v, const uint8_t *der, size_t der_len,
                             const void *data, size_t len, sg_detached_report *rep, sh_error *err)
{
    return check(v, v->trust, der, der_len, data, len, rep, err);
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
