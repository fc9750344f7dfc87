/* cms.c — the PAdES B-B CMS: a detached SignedData assembled here in DER (OpenSSL's CMS_sign
 * always adds a signing-time, which B-B puts in /M instead, and its size is not known before
 * signing), its checks on verification (parsed with OpenSSL's bounded d2i), the certificate's
 * fields, and the trust anchors. */
#include "sign_impl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "der_impl.h"

#define TRUST_MAX_BYTES ((size_t)4 << 20)

/* ---- DER pieces ---- */

static void put_oid(GByteArray *out, int nid)
{
    const ASN1_OBJECT *o = OBJ_nid2obj(nid);
    sg_der_put(out, DER_OID, OBJ_get0_data(o), OBJ_length(o));
}

/* AlgorithmIdentifier; with_null: parameters NULL (RSA), else absent (RFC 5754, RFC 5758). */
static void put_algorithm(GByteArray *out, int nid, bool with_null)
{
    GByteArray *a = g_byte_array_new();
    put_oid(a, nid);
    if (with_null)
        sg_der_put(a, DER_NULL, NULL, 0);
    sg_der_put_wrapped(out, DER_SEQUENCE, a);
}

/* The DER of an OpenSSL value (a certificate, a name, an integer) as it is. */
static bool put_item(GByteArray *out, const void *value, const ASN1_ITEM *it)
{
    unsigned char *buf = NULL;
    int n = value ? ASN1_item_i2d((const ASN1_VALUE *)value, &buf, it) : -1;
    if (n <= 0 || !buf)
        return false;
    sg_der_put_raw(out, buf, (size_t)n);
    OPENSSL_free(buf);
    return true;
}

static bool put_issuer(GByteArray *out, X509 *cert)
{
    return put_item(out, X509_get_issuer_name(cert), ASN1_ITEM_rptr(X509_NAME));
}

static bool put_serial(GByteArray *out, X509 *cert)
{
    return put_item(out, X509_get0_serialNumber(cert), ASN1_ITEM_rptr(ASN1_INTEGER));
}

/* Attribute ::= SEQUENCE { attrType OID, attrValues SET { value } }; value is consumed. */
static GByteArray *attribute(int nid, GByteArray *value)
{
    GByteArray *a = g_byte_array_new();
    put_oid(a, nid);
    sg_der_put_wrapped(a, DER_SET, value);
    GByteArray *out = g_byte_array_new();
    sg_der_put_wrapped(out, DER_SEQUENCE, a);
    return out;
}

/* SigningCertificateV2 (RFC 5035) naming the signer: one ESSCertIDv2 with the default hash
 * algorithm (SHA-256, so omitted), the certificate's hash, and its issuer and serial. */
static GByteArray *signing_certificate_v2(X509 *signer)
{
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    if (!X509_digest(signer, EVP_sha256(), hash, &hash_len) || hash_len != SG_SHA256_LEN)
        return NULL;
    GByteArray *name = g_byte_array_new(), *issuer_serial = g_byte_array_new();
    bool ok = put_issuer(name, signer);
    GByteArray *general_name = g_byte_array_new();
    sg_der_put_wrapped(general_name, DER_CTX4, name); /* directoryName [4], explicit (a CHOICE) */
    sg_der_put_wrapped(issuer_serial, DER_SEQUENCE, general_name); /* GeneralNames */
    ok = ok && put_serial(issuer_serial, signer);
    GByteArray *cert_id = g_byte_array_new();
    sg_der_put(cert_id, DER_OCTET_STRING, hash, hash_len);
    sg_der_put_wrapped(cert_id, DER_SEQUENCE, issuer_serial);
    GByteArray *one = g_byte_array_new(), *certs = g_byte_array_new();
    sg_der_put_wrapped(one, DER_SEQUENCE, cert_id); /* ESSCertIDv2 */
    sg_der_put_wrapped(certs, DER_SEQUENCE, one);   /* certs SEQUENCE OF ESSCertIDv2 */
    GByteArray *v = g_byte_array_new();
    sg_der_put_wrapped(v, DER_SEQUENCE, certs); /* SigningCertificateV2, without policies */
    if (!ok) {
        g_byte_array_free(v, TRUE);
        return NULL;
    }
    return v;
}

static void free_bytes(gpointer p) { g_byte_array_free(p, TRUE); }

/* The signing-time value (RFC 5652 11.3): UTCTime for 1950 to 2049, GeneralizedTime otherwise,
 * in Z with whole seconds (ASN1_TIME_set chooses so). NULL before 1970 or after 9999. */
static GByteArray *signing_time(int64_t at)
{
    if (at < 0 || at > INT64_C(253402300799)) /* 9999-12-31T23:59:59Z */
        return NULL;
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)at);
    GByteArray *v = g_byte_array_new();
    bool ok = t && put_item(v, t, ASN1_ITEM_rptr(ASN1_TIME));
    ASN1_TIME_free(t);
    if (!ok) {
        g_byte_array_free(v, TRUE);
        return NULL;
    }
    return v;
}

static GByteArray *signed_attrs(X509 *signer, const uint8_t digest[SG_SHA256_LEN],
                                const int64_t *at)
{
    if (!signer || !digest)
        return NULL;
    GByteArray *when = at ? signing_time(*at) : NULL;
    if (at && !when)
        return NULL;
    GByteArray *ess = signing_certificate_v2(signer);
    if (!ess) {
        if (when)
            g_byte_array_free(when, TRUE);
        return NULL;
    }
    GPtrArray *attrs = g_ptr_array_new_with_free_func(free_bytes);
    if (when)
        g_ptr_array_add(attrs, attribute(NID_pkcs9_signingTime, when));
    GByteArray *v = g_byte_array_new();
    put_oid(v, NID_pkcs7_data);
    g_ptr_array_add(attrs, attribute(NID_pkcs9_contentType, v));
    v = g_byte_array_new();
    sg_der_put(v, DER_OCTET_STRING, digest, SG_SHA256_LEN);
    g_ptr_array_add(attrs, attribute(NID_pkcs9_messageDigest, v));
    g_ptr_array_add(attrs, attribute(NID_id_smime_aa_signingCertificateV2, ess));
    sg_der_sort_set(attrs); /* a SET OF: DER wants its elements sorted, and they are signed so */
    GByteArray *content = g_byte_array_new();
    for (guint i = 0; i < attrs->len; i++) {
        const GByteArray *a = g_ptr_array_index(attrs, i);
        sg_der_put_raw(content, a->data, a->len);
    }
    g_ptr_array_free(attrs, TRUE);
    GByteArray *out = g_byte_array_new();
    sg_der_put_wrapped(out, DER_SET, content);
    return out;
}

GByteArray *sg_cms_signed_attrs(X509 *signer, const uint8_t digest[SG_SHA256_LEN])
{
    return signed_attrs(signer, digest, NULL);
}

GByteArray *sg_cms_signed_attrs_at(X509 *signer, const uint8_t digest[SG_SHA256_LEN], int64_t at)
{
    return signed_attrs(signer, digest, &at);
}

static GByteArray *signer_info(X509 *signer, sg_key_kind kind, const GByteArray *signed_attrs,
                               const uint8_t *sig, size_t sig_len)
{
    GByteArray *si = g_byte_array_new(), *sid = g_byte_array_new();
    sg_der_put_small_int(si, 1); /* version 1: issuerAndSerialNumber */
    bool ok = put_issuer(sid, signer) && put_serial(sid, signer);
    sg_der_put_wrapped(si, DER_SEQUENCE, sid);
    put_algorithm(si, NID_sha256, false);
    /* signedAttrs [0] IMPLICIT: the SET's content under another tag (the SET is what is signed) */
    size_t hdr = 0;
    ok = ok && sg_der_element_header(signed_attrs->data, signed_attrs->len, &hdr);
    if (ok)
        sg_der_put(si, DER_CTX0, signed_attrs->data + hdr, signed_attrs->len - hdr);
    if (kind == SG_KEY_RSA)
        put_algorithm(si, NID_sha256WithRSAEncryption, true);
    else
        put_algorithm(si, NID_ecdsa_with_SHA256, false);
    sg_der_put(si, DER_OCTET_STRING, sig, sig_len);
    if (!ok) {
        g_byte_array_free(si, TRUE);
        return NULL;
    }
    return si;
}

GByteArray *sg_cms_build(X509 *signer, STACK_OF(X509) * chain, sg_key_kind kind,
                         const GByteArray *signed_attrs, const uint8_t *sig, size_t sig_len)
{
    if (!signer || !signed_attrs || signed_attrs->len < 2 || signed_attrs->data[0] != DER_SET ||
        (!sig && sig_len) || (kind != SG_KEY_RSA && kind != SG_KEY_EC_P256))
        return NULL;
    GByteArray *si = signer_info(signer, kind, signed_attrs, sig, sig_len);
    if (!si)
        return NULL;
    GByteArray *sd = g_byte_array_new();
    sg_der_put_small_int(sd, 1); /* version 1: id-data content, no attribute certificates */
    GByteArray *digests = g_byte_array_new();
    put_algorithm(digests, NID_sha256, false);
    sg_der_put_wrapped(sd, DER_SET, digests);
    GByteArray *encap = g_byte_array_new();
    put_oid(encap, NID_pkcs7_data); /* no eContent: detached */
    sg_der_put_wrapped(sd, DER_SEQUENCE, encap);
    /* certificates [0] IMPLICIT SET OF: the signer first, as producers do, not sorted */
    GByteArray *certs = g_byte_array_new();
    bool ok = put_item(certs, signer, ASN1_ITEM_rptr(X509));
    for (int i = 0; chain && i < sk_X509_num(chain); i++)
        ok = ok && put_item(certs, sk_X509_value(chain, i), ASN1_ITEM_rptr(X509));
    sg_der_put_wrapped(sd, DER_CTX0, certs);
    GByteArray *infos = g_byte_array_new();
    sg_der_put_wrapped(infos, DER_SEQUENCE, si);
    sg_der_put_wrapped(sd, DER_SET, infos);
    GByteArray *ci = g_byte_array_new();
    put_oid(ci, NID_pkcs7_signed);
    GByteArray *explicit0 = g_byte_array_new();
    sg_der_put_wrapped(explicit0, DER_SEQUENCE, sd);
    sg_der_put_wrapped(ci, DER_CTX0, explicit0);
    GByteArray *out = g_byte_array_new();
    sg_der_put_wrapped(out, DER_SEQUENCE, ci);
    if (!ok) {
        g_byte_array_free(out, TRUE);
        return NULL;
    }
    return out;
}

size_t sg_cms_size(X509 *signer, STACK_OF(X509) * chain, sg_key_kind kind, size_t sig_len)
{
    /* Build it: the attributes' size does not depend on the digest, nor the CMS's on the
     * signature's bytes, only on its length. */
    static const uint8_t zero_digest[SG_SHA256_LEN];
    GByteArray *attrs = sg_cms_signed_attrs(signer, zero_digest);
    if (!attrs)
        return 0;
    uint8_t *sig = g_malloc0(sig_len ? sig_len : 1);
    GByteArray *cms = sg_cms_build(signer, chain, kind, attrs, sig, sig_len);
    size_t n = cms ? cms->len : 0;
    if (cms)
        g_byte_array_free(cms, TRUE);
    g_free(sig);
    g_byte_array_free(attrs, TRUE);
    return n;
}

/* ---- the certificate ---- */

char *sg_cert_field(X509 *cert, int nid)
{
    if (!cert)
        return NULL;
    const X509_NAME *name = X509_get_subject_name(cert);
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0)
        return NULL;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char *utf8 = NULL;
    int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;
    if (n < 0 || !utf8)
        return NULL;
    char *raw = g_strndup((const char *)utf8, (gsize)n);
    OPENSSL_free(utf8);
    /* a UTF8String holding bytes that are not UTF-8: show what can be shown */
    char *v = g_utf8_make_valid(raw, -1);
    g_free(raw);
    return v;
}

void sg_cert_sha256_hex(X509 *cert, char hex[SH_SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    hex[0] = '\0';
    if (cert && X509_digest(cert, EVP_sha256(), md, &n) && n == SH_SHA256_LEN)
        sh_hex(md, n, hex);
}

/* ---- the trust anchors ---- */

/* Add every certificate of the PEM text to store; -1 when a certificate block is damaged. */
static int add_pem_certs(const char *data, size_t len, X509_STORE *store)
{
    BIO *bio = BIO_new_mem_buf(data, len > INT_MAX ? INT_MAX : (int)len);
    if (!bio)
        return -1;
    int n = 0;
    for (;;) {
        ERR_set_mark();
        /* CERTIFICATE and TRUSTED CERTIFICATE blocks; others (keys, CRLs) are skipped unread,
         * so nothing asks for a passphrase */
        X509 *x = PEM_read_bio_X509_AUX(bio, NULL, NULL, (void *)"");
        if (!x) {
            unsigned long e = ERR_peek_last_error();
            bool end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
            ERR_pop_to_mark();
            if (!end)
                n = -1 - n;
            break;
        }
        ERR_pop_to_mark();
        bool added = X509_STORE_add_cert(store, x) == 1;
        X509_free(x);
        if (!added) {
            n = -1 - n;
            break;
        }
        n++;
    }
    BIO_free(bio);
    return n;
}

sh_status sg_trust_load(const char *pem_path, X509_STORE **out, sh_error *err)
{
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    sh_status st = sh_read_file(pem_path, TRUST_MAX_BYTES, &data, &len, err);
    if (st != SH_OK)
        return st;
    X509_STORE *store = X509_STORE_new();
    if (!store) {
        free(data);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    int n = add_pem_certs(data, len, store);
    free(data);
    if (n < 0) {
        X509_STORE_free(store);
        return sh_fail(err, SH_INPUT,
                       _("%s: certificate %d is damaged; replace the file with a good copy of "
                         "the trust anchors (PEM certificates)"),
                       pem_path, -n);
    }
    if (n == 0) {
        X509_STORE_free(store);
        return sh_fail(err, SH_INPUT,
                       _("%s holds no certificate: give a PEM file (-----BEGIN CERTIFICATE-----) "
                         "with the trust anchors, such as the organisation's root certificate"),
                       pem_path);
    }
    /* an anchor is trusted as it is, a root or the organisation's issuing CA alike */
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    *out = store;
    return SH_OK;
}

/* ---- checking a CMS ---- */

/* The ContentInfo of der[0..len), followed by zeros only (the /Contents placeholder's padding).
 * BER with indefinite lengths, as some producers write, is accepted by d2i too. */
static CMS_ContentInfo *parse_padded(const uint8_t *der, size_t len)
{
    if (!der || len < 2 || der[0] != DER_SEQUENCE)
        return NULL;
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len > LONG_MAX ? LONG_MAX : (long)len);
    if (!cms)
        return NULL;
    for (const uint8_t *q = p; q < der + len; q++) {
        if (*q) {
            CMS_ContentInfo_free(cms);
            return NULL;
        }
    }
    return cms;
}

CMS_ContentInfo *sg_cms_parse(const uint8_t *der, size_t len) { return parse_padded(der, len); }

/* The first failure is what the report says: keep it, drop the later ones. */
static void fail_with(sg_cms_check *out, char *msg)
{
    if (!out->problem)
        out->problem = msg;
    else
        g_free(msg);
}

static void note_digest_algorithm(CMS_SignerInfo *si, sg_cms_check *out)
{
    X509_ALGOR *dig = NULL;
    const ASN1_OBJECT *obj = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
    if (dig)
        X509_ALGOR_get0(&obj, NULL, NULL, dig);
    int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
    if (nid != NID_undef)
        g_strlcpy(out->digest_algorithm, OBJ_nid2ln(nid), sizeof out->digest_algorithm);
    else if (!obj || OBJ_obj2txt(out->digest_algorithm, sizeof out->digest_algorithm, obj, 1) <= 0)
        g_strlcpy(out->digest_algorithm, "?", sizeof out->digest_algorithm);
}

/* The value of the signed attribute nid when there is exactly one such attribute with one value
 * of ASN.1 type `type`; NULL otherwise. */
static void *signed_attr(CMS_SignerInfo *si, int nid, int type)
{
    return CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, type);
}

/* The digest algorithms verify hashes the signed bytes with; SHA-1 among them, but weak. */
static const EVP_MD *accepted_md(int nid, bool *weak)
{
    *weak = nid == NID_sha1;
    switch (nid) {
    case NID_sha1:
        return EVP_sha1();
    case NID_sha224:
        return EVP_sha224();
    case NID_sha256:
        return EVP_sha256();
    case NID_sha384:
        return EVP_sha384();
    case NID_sha512:
        return EVP_sha512();
    case NID_sha3_256:
        return EVP_sha3_256();
    case NID_sha3_384:
        return EVP_sha3_384();
    case NID_sha3_512:
        return EVP_sha3_512();
    default:
        return NULL; /* MD5 and the like are broken; others are unknown here */
    }
}

static int digest_nid(CMS_SignerInfo *si)
{
    X509_ALGOR *dig = NULL;
    const ASN1_OBJECT *obj = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
    if (dig)
        X509_ALGOR_get0(&obj, NULL, NULL, dig);
    return obj ? OBJ_obj2nid(obj) : NID_undef;
}

/* The algorithm named a way an operator recognises: "SHA-384", else OpenSSL's name or the OID. */
static void algorithm_name(int nid, sg_cms_check *out)
{
    const EVP_MD *md = nid != NID_undef ? EVP_get_digestbynid(nid) : NULL;
    bool weak;
    if (accepted_md(nid, &weak) && md) {
        const char *sn = OBJ_nid2sn(nid); /* "SHA384", "SHA3-256" */
        if (g_str_has_prefix(sn, "SHA") && !g_str_has_prefix(sn, "SHA3") && sn[3] != '-')
            g_snprintf(out->digest_name, sizeof out->digest_name, "SHA-%s", sn + 3);
        else
            g_strlcpy(out->digest_name, sn, sizeof out->digest_name);
    } else if (nid != NID_undef) {
        g_strlcpy(out->digest_name, OBJ_nid2sn(nid), sizeof out->digest_name); /* "MD5" */
    } else {
        g_strlcpy(out->digest_name, out->digest_algorithm, sizeof out->digest_name);
    }
}

/* The message-digest attribute, or (without signed attributes, adbe.pkcs7.detached only) the
 * signature over the digest itself, against the digest of the signed bytes. */
static void check_digest(CMS_SignerInfo *si, const uint8_t *digest, size_t digest_len, bool pades,
                         sg_cms_check *out)
{
    note_digest_algorithm(si, out);
    int nid = digest_nid(si);
    algorithm_name(nid, out);
    const EVP_MD *md = accepted_md(nid, &out->weak_digest);
    if (!md) {
        out->unsupported = true;
        fail_with(out, g_strdup_printf(_("the signature's digest algorithm %s cannot be checked "
                                         "here (SHA-1, SHA-2 and SHA-3 can)"),
                                       out->digest_name));
        return;
    }
    if (digest && (size_t)EVP_MD_get_size(md) != digest_len) {
        fail_with(out, g_strdup_printf(_("the signature's digest algorithm %s is not the one the "
                                         "signed bytes were hashed with"),
                                       out->digest_name));
        return;
    }
    if (CMS_signed_get_attr_count(si) <= 0) {
        if (pades)
            fail_with(out, g_strdup(_("the signature has no signed attributes, which PAdES "
                                      "requires")));
        return; /* adbe.pkcs7.detached: check_signature compares the digest */
    }
    const ASN1_OCTET_STRING *mda = signed_attr(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING);
    if (!mda) {
        fail_with(out, g_strdup(_("the signature has no single message-digest attribute")));
        return;
    }
    out->digest_ok = digest && (size_t)ASN1_STRING_length(mda) == digest_len &&
                     CRYPTO_memcmp(ASN1_STRING_get0_data(mda), digest, digest_len) == 0;
    if (!out->digest_ok)
        fail_with(out, g_strdup(_("the document was changed after it was signed: its digest "
                                  "does not match the signature")));
}

/* The ESS signing-certificate(-v2) attribute names the signer (first) and, when it lists more,
 * certificates of the CMS. 1 yes, 0 no, -1 no such attribute or an unreadable one. */
static int check_signing_certificate(CMS_SignerInfo *si, X509 *signer, STACK_OF(X509) * certs)
{
    const ASN1_STRING *v2 = signed_attr(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE);
    const ASN1_STRING *v1 = signed_attr(si, NID_id_smime_aa_signingCertificate, V_ASN1_SEQUENCE);
    if (!v2 && !v1)
        return -1;
    ESS_SIGNING_CERT_V2 *ss2 = NULL;
    ESS_SIGNING_CERT *ss1 = NULL;
    const unsigned char *p;
    if (v2) {
        p = ASN1_STRING_get0_data(v2);
        ss2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(v2));
    }
    if (v1) {
        p = ASN1_STRING_get0_data(v1);
        ss1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(v1));
    }
    int r = -1;
    if ((!v2 || ss2) && (!v1 || ss1)) {
        r = 0;
        STACK_OF(X509) *chain = sk_X509_new_null();
        if (chain && signer && sk_X509_push(chain, signer) > 0) {
            for (int i = 0; certs && i < sk_X509_num(certs); i++)
                if (sk_X509_value(certs, i) != signer)
                    sk_X509_push(chain, sk_X509_value(certs, i));
            r = OSSL_ESS_check_signing_certs(ss1, ss2, chain, 1) == 1;
        }
        sk_X509_free(chain);
    }
    ESS_SIGNING_CERT_V2_free(ss2);
    ESS_SIGNING_CERT_free(ss1);
    return r;
}

/* PAdES (ETSI.CAdES.detached): content-type id-data and an ESS signing-certificate naming the
 * signer. adbe.pkcs7.detached (PDF 32000-1 12.8.3.3): signed attributes are optional, and when
 * present CMS itself asks for content-type and message-digest only. */
/* The signing-time attribute's value (UTCTime or GeneralizedTime, one attribute with one value)
 * in unix seconds; 0 when absent, repeated, unreadable or before 1970. */
static int64_t signing_time_of(CMS_SignerInfo *si)
{
    const ASN1_TIME *t = signed_attr(si, NID_pkcs9_signingTime, V_ASN1_UTCTIME);
    if (!t)
        t = signed_attr(si, NID_pkcs9_signingTime, V_ASN1_GENERALIZEDTIME);
    ASN1_TIME *epoch = t && ASN1_TIME_check(t) == 1 ? ASN1_TIME_set(NULL, 0) : NULL;
    int days = 0, secs = 0;
    int64_t at = 0;
    if (epoch && ASN1_TIME_diff(&days, &secs, epoch, t) == 1 && (days > 0 || secs > 0))
        at = (int64_t)days * 86400 + secs;
    ASN1_TIME_free(epoch);
    return at > 0 ? at : 0;
}

static void check_attrs(CMS_SignerInfo *si, X509 *signer, STACK_OF(X509) * certs, bool pades,
                        sg_cms_check *out)
{
    out->has_signing_time = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0;
    out->signing_time = out->has_signing_time ? signing_time_of(si) : 0;
    out->has_signed_attrs = CMS_signed_get_attr_count(si) > 0;
    if (CMS_signed_get_attr_count(si) <= 0) {
        if (pades)
            fail_with(out, g_strdup(_("the signature has no signed attributes, which PAdES "
                                      "requires")));
        out->attrs_ok = !pades;
        return;
    }
    const ASN1_OBJECT *ct = signed_attr(si, NID_pkcs9_contentType, V_ASN1_OBJECT);
    if (!ct || OBJ_obj2nid(ct) != NID_pkcs7_data) {
        fail_with(out, g_strdup(_("the signature's content-type attribute is missing or is not "
                                  "id-data")));
        return;
    }
    if (!signer) {
        fail_with(out, g_strdup(_("the signer's certificate is not in the signature")));
        return;
    }
    int r = check_signing_certificate(si, signer, certs);
    if (r < 0 && pades)
        fail_with(out, g_strdup(_("the signature has no readable signing-certificate attribute "
                                  "(ESS signing-certificate-v2), which PAdES requires")));
    else if (r == 0)
        fail_with(out, g_strdup(_("the signature's signing-certificate attribute names another "
                                  "certificate than the signer's")));
    out->attrs_ok = r == 1 || (r < 0 && !pades);
}

/* Can OpenSSL check a signature of this algorithm with this key? (Else the signature can be
 * neither confirmed nor refuted here.) */
static bool signature_checkable(CMS_SignerInfo *si, X509 *signer)
{
    X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &alg);
    if (alg)
        X509_ALGOR_get0(&obj, NULL, NULL, alg);
    int nid = obj ? OBJ_obj2nid(obj) : NID_undef, dig = NID_undef, pk = nid;
    if (nid != NID_undef && OBJ_find_sigid_algs(nid, &dig, &pk) != 1)
        pk = nid; /* a bare key algorithm (rsaEncryption), as CMS allows */
    EVP_PKEY *key = X509_get0_pubkey(signer);
    int type = key ? EVP_PKEY_get_base_id(key) : NID_undef;
    bool known_alg = pk == NID_rsaEncryption || pk == NID_rsassaPss ||
                     pk == NID_X9_62_id_ecPublicKey || pk == NID_dsa || pk == NID_ED25519 ||
                     pk == NID_ED448;
    bool known_key = type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS || type == EVP_PKEY_EC ||
                     type == EVP_PKEY_DSA || type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448;
    return known_alg && known_key;
}

/* Without signed attributes (adbe.pkcs7.detached) the signature is over the content's digest
 * itself: PKCS#1 v1.5 (the DigestInfo of that digest) or ECDSA. */
static bool verify_raw(CMS_SignerInfo *si, X509 *signer, const EVP_MD *md, const uint8_t *digest,
                       size_t digest_len)
{
    const ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
    EVP_PKEY *key = X509_get0_pubkey(signer);
    EVP_PKEY_CTX *ctx = key && sig && digest ? EVP_PKEY_CTX_new(key, NULL) : NULL;
    bool ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
              EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
              EVP_PKEY_verify(ctx, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
                              digest, digest_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static void check_signature(CMS_SignerInfo *si, X509 *signer, const uint8_t *digest,
                            size_t digest_len, sg_cms_check *out)
{
    if (!signer) {
        fail_with(out, g_strdup(_("the signer's certificate is not in the signature")));
        return;
    }
    if (!signature_checkable(si, signer)) {
        out->unsupported = true;
        fail_with(out, g_strdup(_("the signature's algorithm or its signer's key is of a kind "
                                  "that cannot be checked here (RSA, ECDSA, DSA and EdDSA can)")));
        return;
    }
    if (CMS_signed_get_attr_count(si) > 0) {
        CMS_SignerInfo_set1_signer_cert(si, signer);
        out->signature_ok = CMS_SignerInfo_verify(si) == 1;
        if (!out->signature_ok)
            fail_with(out, g_strdup(_("the signature value does not match the signer's "
                                      "certificate")));
        return;
    }
    bool weak;
    const EVP_MD *md = accepted_md(digest_nid(si), &weak);
    if (!md)
        return; /* said by check_digest */
    out->signature_ok = out->digest_ok = verify_raw(si, signer, md, digest, digest_len);
    if (!out->signature_ok)
        fail_with(out, g_strdup(_("the signature does not match the document's bytes with the "
                                  "signer's certificate: the document was changed after it was "
                                  "signed, or the signature is damaged")));
}

static void check_chain(X509 *signer, STACK_OF(X509) * certs, const sg_cms_chain *chain,
                        sg_cms_check *out)
{
    if (!chain->trust) {
        out->chain_problem = g_strdup(_("no trust anchors given (--trust)"));
    } else if (!signer) {
        out->chain_problem = g_strdup(_("the signer's certificate is not in the signature"));
    } else if (chain->known && chain->known(chain->arg, signer, certs, chain->at)) {
        out->chain_ok = true; /* built from exactly these certificates before, valid at `at` */
    } else {
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        if (ctx && X509_STORE_CTX_init(ctx, chain->trust, signer, certs) == 1) {
            /* organisation certificates have no S/MIME or code-signing usage: any purpose */
            X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
            if (chain->at > 0)
                X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)chain->at);
            out->chain_ok = X509_verify_cert(ctx) == 1;
            if (!out->chain_ok)
                out->chain_problem =
                    g_strdup(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
            else if (chain->held)
                chain->held(chain->arg, signer, certs, ctx);
        } else {
            out->chain_problem = g_strdup(_("out of memory"));
        }
        X509_STORE_CTX_free(ctx);
    }
    if (!out->chain_ok)
        fail_with(out, g_strdup_printf(_("the signer's certificate is not trusted: %s"),
                                       out->chain_problem));
}

static X509 *find_signer(CMS_SignerInfo *si, STACK_OF(X509) * certs)
{
    for (int i = 0; certs && i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
            return sk_X509_value(certs, i);
    return NULL;
}

static CMS_SignerInfo *sole_signer(CMS_ContentInfo *cms)
{
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
        return NULL;
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    return sis && sk_CMS_SignerInfo_num(sis) == 1 ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
}

void sg_cms_check_blob(const uint8_t *der, size_t len, const uint8_t digest[SG_SHA256_LEN],
                       X509_STORE *trust, int64_t at, sg_cms_check *out)
{
    sg_cms_verify(der, len, digest, SG_SHA256_LEN, true, trust, at, out);
}

const EVP_MD *sg_cms_digest_md(const uint8_t *der, size_t len)
{
    ERR_set_mark();
    CMS_ContentInfo *cms = parse_padded(der, len);
    CMS_SignerInfo *si = cms ? sole_signer(cms) : NULL;
    bool weak;
    const EVP_MD *md = si ? accepted_md(digest_nid(si), &weak) : NULL;
    CMS_ContentInfo_free(cms);
    ERR_pop_to_mark();
    return md;
}

char *sg_cms_signer_cn(const uint8_t *der, size_t len)
{
    ERR_set_mark();
    CMS_ContentInfo *cms = parse_padded(der, len);
    CMS_SignerInfo *si = cms ? sole_signer(cms) : NULL;
    STACK_OF(X509) *certs = si ? CMS_get1_certs(cms) : NULL;
    X509 *signer = si ? find_signer(si, certs) : NULL;
    char *cn = signer ? sg_cert_field(signer, NID_commonName) : NULL;
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    ERR_pop_to_mark();
    return cn;
}

static void not_signed_data(sg_cms_check *out)
{
    out->problem = g_strdup(_("the signature's data is not a CMS SignedData with exactly one "
                              "signer: it is damaged or of another kind"));
    out->chain_problem = g_strdup(_("the signature could not be read"));
}

const EVP_MD *sg_cms_parsed_md(CMS_ContentInfo *cms)
{
    CMS_SignerInfo *si = cms ? sole_signer(cms) : NULL;
    bool weak;
    return si ? accepted_md(digest_nid(si), &weak) : NULL;
}

void sg_cms_verify_parsed(CMS_ContentInfo *cms, STACK_OF(X509) * certs, const uint8_t *digest,
                          size_t digest_len, bool pades, const sg_cms_chain *chain,
                          sg_cms_check *out)
{
    memset(out, 0, sizeof *out);
    ERR_set_mark();
    CMS_SignerInfo *si = cms ? sole_signer(cms) : NULL;
    if (!si) {
        not_signed_data(out);
        ERR_pop_to_mark();
        return;
    }
    out->parsed = true;
    out->detached = CMS_is_detached(cms) == 1;
    if (!out->detached)
        fail_with(out, g_strdup(_("the signature holds content of its own instead of signing "
                                  "the document's bytes (not a detached signature)")));
    X509 *signer = find_signer(si, certs);
    if (signer) {
        out->signer_cn = sg_cert_field(signer, NID_commonName);
        out->signer_org = sg_cert_field(signer, NID_organizationName);
        sg_cert_sha256_hex(signer, out->cert_sha256);
    }
    check_digest(si, digest, digest_len, pades, out);
    check_attrs(si, signer, certs, pades, out);
    if (!out->unsupported)
        check_signature(si, signer, digest, digest_len, out);
    check_chain(signer, certs, chain, out);
    ERR_pop_to_mark();
}

void sg_cms_verify(const uint8_t *der, size_t len, const uint8_t *digest, size_t digest_len,
                   bool pades, X509_STORE *trust, int64_t at, sg_cms_check *out)
{
    ERR_set_mark();
    CMS_ContentInfo *cms = parse_padded(der, len);
    STACK_OF(X509) *certs = cms && sole_signer(cms) ? CMS_get1_certs(cms) : NULL;
    sg_cms_chain chain = {.trust = trust, .at = at};
    sg_cms_verify_parsed(cms, certs, digest, digest_len, pades, &chain, out);
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    ERR_pop_to_mark();
}

void sg_cms_check_clear(sg_cms_check *c)
{
    if (!c)
        return;
    g_free(c->chain_problem);
    g_free(c->problem);
    g_free(c->signer_cn);
    g_free(c->signer_org);
    memset(c, 0, sizeof *c);
}
