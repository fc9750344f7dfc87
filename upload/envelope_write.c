/* Streaming AuthEnvelopedData encryption with OpenSSL's CMS streaming API: the CMS BIO chain
 * writes BER with indefinite lengths, each write one OCTET STRING chunk, into a BIO whose bytes
 * go to the caller's sink. */
#include "envelope_impl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

struct up_envelope_writer {
    CMS_ContentInfo *cms;
    BIO *sink_bio; /* the end of the chain: calls write */
    BIO *cms_bio;  /* the head of the chain: takes the plaintext */
    up_sink_fn write;
    void *ctx;
    sh_status sink_status; /* the sink's failure, kept to return it */
    sh_error sink_err;
};

static BIO_METHOD *sink_method;

static int sink_bio_write(BIO *b, const char *buf, int len)
{
    up_envelope_writer *w = BIO_get_data(b);
    if (!w || len < 0 || w->sink_status != SH_OK)
        return -1;
    sh_status st = w->write(w->ctx, (const uint8_t *)buf, (size_t)len, &w->sink_err);
    if (st != SH_OK) {
        w->sink_status = st;
        return -1;
    }
    return len;
}

static long sink_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int sink_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void make_sink_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sohoa sink");
    if (m && BIO_meth_set_write(m, sink_bio_write) == 1 &&
        BIO_meth_set_ctrl(m, sink_bio_ctrl) == 1 && BIO_meth_set_create(m, sink_bio_create) == 1) {
        sink_method = m;
        return;
    }
    BIO_meth_free(m);
}

static sh_status ossl_fail(sh_error *err, const char *what)
{
    char detail[256];
    ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
    ERR_clear_error();
    return sh_fail(err, SH_INTERNAL, _("encryption: %s failed (%s)"), what, detail);
}

/* RSAES-OAEP with SHA-256 and MGF1-SHA-256 (the parameters are then written explicitly). */
static int set_oaep(EVP_PKEY_CTX *pctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

static bool is_p256(const EVP_PKEY *pkey)
{
    char group[64];
    size_t len = 0;
    return EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof group, &len) == 1 &&
           strcmp(group, "prime256v1") == 0;
}

static sh_status add_recipient(CMS_ContentInfo *cms, X509 *cert, int index, sh_error *err)
{
    EVP_PKEY *pkey = X509_get0_pubkey(cert);
    int type = pkey ? EVP_PKEY_get_base_id(pkey) : EVP_PKEY_NONE;
    if (type != EVP_PKEY_RSA && !(type == EVP_PKEY_EC && is_p256(pkey)))
        return sh_fail(err, SH_INPUT,
                       _("encryption: recipient certificate %d has neither an RSA nor an EC P-256 "
                         "key"),
                       index + 1);
    CMS_RecipientInfo *ri = CMS_add1_recipient_cert(cms, cert, CMS_KEY_PARAM);
    EVP_PKEY_CTX *pctx = ri ? CMS_RecipientInfo_get0_pkey_ctx(ri) : NULL;
    if (!pctx)
        return ossl_fail(err, _("adding a recipient"));
    /* EC: X9.63 KDF with SHA-256 (OpenSSL's default is SHA-1); the wrap follows the AES-256 key. */
    int ok = type == EVP_PKEY_RSA ? set_oaep(pctx)
                                  : EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) > 0;
    if (!ok)
        return ossl_fail(err, _("setting the key transport parameters"));
    return SH_OK;
}

static sh_status start_chain(up_envelope_writer *w, sh_error *err)
{
    w->sink_bio = BIO_new(sink_method);
    if (!w->sink_bio)
        return ossl_fail(err, _("creating the output"));
    BIO_set_data(w->sink_bio, w);
    w->cms_bio = BIO_new_CMS(w->sink_bio, w->cms);
    if (!w->cms_bio)
        return ossl_fail(err, _("starting the envelope"));
    return SH_OK;
}

up_envelope_writer *up_envelope_begin(X509 *const *recipients, int n, up_sink_fn write, void *ctx,
                                      sh_error *err)
{
    if (!recipients || n < 1 || n > UP_ENVELOPE_MAX_RECIPIENTS || !write) {
        (void)sh_fail(err, SH_INTERNAL, "encryption: %d recipients", n);
        return NULL;
    }
    static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
    if (!CRYPTO_THREAD_run_once(&once, make_sink_method) || !sink_method) {
        (void)ossl_fail(err, _("creating the output method"));
        return NULL;
    }
    up_envelope_writer *w = calloc(1, sizeof *w);
    if (!w) {
        (void)sh_fail(err, SH_INTERNAL, "out of memory");
        return NULL;
    }
    w->write = write;
    w->ctx = ctx;
    unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_STREAM;
    w->cms = CMS_encrypt(NULL, NULL, EVP_aes_256_gcm(), flags);
    sh_status st = w->cms ? SH_OK : ossl_fail(err, _("creating the envelope"));
    for (int i = 0; st == SH_OK && i < n; i++)
        st = add_recipient(w->cms, recipients[i], i, err);
    if (st == SH_OK)
        st = start_chain(w, err);
    if (st != SH_OK) {
        up_envelope_abort(w);
        return NULL;
    }
    return w;
}

static sh_status write_failed(up_envelope_writer *w, sh_error *err)
{
    if (w->sink_status != SH_OK) {
        if (err)
            *err = w->sink_err;
        return w->sink_status;
    }
    return ossl_fail(err, _("encrypting"));
}

sh_status up_envelope_write(up_envelope_writer *w, const uint8_t *buf, size_t len, sh_error *err)
{
    while (len > 0) {
        int part = len > (1u << 20) ? 1 << 20 : (int)len;
        if (BIO_write(w->cms_bio, buf, part) != part)
            return write_failed(w, err);
        buf += part;
        len -= (size_t)part;
    }
    return SH_OK;
}

sh_status up_envelope_finish(up_envelope_writer *w, sh_error *err)
{
    /* The flush computes the tag and writes it and the end-of-contents octets. */
    sh_status st =
        BIO_flush(w->cms_bio) == 1 && w->sink_status == SH_OK ? SH_OK : write_failed(w, err);
    up_envelope_abort(w);
    return st;
}

void up_envelope_abort(up_envelope_writer *w)
{
    if (!w)
        return;
    /* Free the CMS BIOs down to, not including, the sink BIO. */
    BIO *b = w->cms_bio;
    while (b && b != w->sink_bio) {
        BIO *next = BIO_pop(b);
        BIO_free(b);
        b = next;
    }
    BIO_free(w->sink_bio);
    CMS_ContentInfo_free(w->cms);
    free(w);
}
