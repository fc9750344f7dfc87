/* Bounded streaming AuthEnvelopedData decryption. Our own BER reader walks the envelope; the
 * recipient infos (at most 16 of at most 64 KiB) are handed to OpenSSL in a small synthetic
 * envelope without content, which finds the one for our key and unwraps the content key (RSA-OAEP
 * or ECDH + X9.63 KDF + AES key unwrap) into a ready AES-256-GCM context. The content octets then
 * stream through that context into the caller's sink; the tag, which follows the content, is
 * checked at the end, and only then does the call return SH_OK. */
#include "envelope_impl.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>

enum { BUF_SIZE = 64 * 1024, MAX_DEPTH = 16, TAG_LEN = 16 };

#define ANY_END UINT64_MAX

static const uint8_t OID_AUTH_ENVELOPED[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                             0x01, 0x09, 0x10, 0x01, 0x17};
static const uint8_t OID_DATA[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
static const uint8_t OID_AES256_GCM[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2E};

typedef struct {
    up_source_fn read;
    void *ctx;
    uint8_t buf[BUF_SIZE];
    size_t pos, len;
    bool eof;
    uint64_t off; /* bytes consumed */
} reader;

typedef struct {
    uint8_t tag;
    bool indefinite;
    uint64_t len; /* content length when definite */
    uint64_t end; /* offset after the content when definite, else ANY_END */
    size_t hdr_len;
    uint8_t hdr[16]; /* the identifier and length octets as read */
} tlv;

/* A growable byte buffer with a hard cap. */
typedef struct {
    uint8_t *data;
    size_t len, cap, max;
} bytes;

static sh_status damaged(sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("the package is truncated or is not a valid encrypted package"));
}

static sh_status fill(reader *r, sh_error *err)
{
    if (r->pos < r->len || r->eof)
        return SH_OK;
    size_t got = 0;
    sh_status st = r->read(r->ctx, r->buf, sizeof r->buf, &got, err);
    if (st != SH_OK)
        return st;
    if (got > sizeof r->buf)
        return sh_fail(err, SH_INTERNAL, "envelope: the source overran its buffer");
    r->pos = 0;
    r->len = got;
    r->eof = got == 0;
    return SH_OK;
}

/* Up to want bytes, pointed into the reader's buffer; truncation is an error. */
static sh_status take(reader *r, size_t want, const uint8_t **p, size_t *n, sh_error *err)
{
    sh_status st = fill(r, err);
    if (st != SH_OK)
        return st;
    if (r->pos >= r->len)
        return damaged(err);
    *n = r->len - r->pos < want ? r->len - r->pos : want;
    *p = r->buf + r->pos;
    r->pos += *n;
    r->off += *n;
    return SH_OK;
}

static sh_status take_byte(reader *r, uint8_t *b, sh_error *err)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    sh_status st = take(r, 1, &p, &n, err);
    if (st == SH_OK)
        *b = *p;
    return st;
}

static sh_status bytes_add(bytes *b, const uint8_t *p, size_t n, sh_error *err)
{
    if (n > b->max - b->len)
        return sh_fail(err, SH_INPUT,
                       _("the encrypted package has a header part that is too large"));
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown)
            return sh_fail(err, SH_INTERNAL, "out of memory");
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return SH_OK;
}

/* The identifier and length octets of the next element, which must end by parent_end. Only
 * low tag numbers occur in CMS; an indefinite length only on a constructed element. */
static sh_status read_tlv(reader *r, uint64_t parent_end, tlv *t, sh_error *err)
{
    memset(t, 0, sizeof *t);
    uint8_t b = 0;
    sh_status st = take_byte(r, &b, err);
    if (st != SH_OK)
        return st;
    t->tag = b;
    t->hdr[t->hdr_len++] = b;
    if ((b & 0x1F) == 0x1F || (st = take_byte(r, &b, err)) != SH_OK)
        return st != SH_OK ? st : damaged(err);
    t->hdr[t->hdr_len++] = b;
    if (b == 0x80) {
        t->indefinite = true;
        t->end = ANY_END;
        return (t->tag & 0x20) ? SH_OK : damaged(err);
    }
    if (b & 0x80) {
        int n = b & 0x7F;
        if (n > 8 || n == 0)
            return damaged(err);
        for (int i = 0; i < n; i++) {
            if ((st = take_byte(r, &b, err)) != SH_OK)
                return st;
            t->hdr[t->hdr_len++] = b;
            if (t->len >> 55)
                return damaged(err);
            t->len = (t->len << 8) | b;
        }
    } else {
        t->len = b;
    }
    t->end = r->off + t->len;
    return parent_end != ANY_END && t->end > parent_end ? damaged(err) : SH_OK;
}

static sh_status expect(reader *r, uint64_t parent_end, uint8_t tag, tlv *t, sh_error *err)
{
    sh_status st = read_tlv(r, parent_end, t, err);
    if (st == SH_OK && t->tag != tag)
        return damaged(err);
    return st;
}

/* The end of a constructed element: the end-of-contents octets, or its definite end reached. */
static sh_status close_tlv(reader *r, const tlv *t, sh_error *err)
{
    if (!t->indefinite)
        return r->off == t->end ? SH_OK : damaged(err);
    uint8_t a = 0xFF, b = 0xFF;
    sh_status st = take_byte(r, &a, err);
    if (st == SH_OK)
        st = take_byte(r, &b, err);
    return st != SH_OK ? st : (a == 0 && b == 0 ? SH_OK : damaged(err));
}

/* Whether the next element is the end-of-contents of an indefinite element, or the definite end
 * has been reached. */
static sh_status at_end(reader *r, const tlv *t, bool *end, sh_error *err)
{
    if (!t->indefinite) {
        *end = r->off >= t->end;
        return SH_OK;
    }
    sh_status st = fill(r, err);
    if (st != SH_OK)
        return st;
    if (r->pos >= r->len)
        return damaged(err);
    *end = r->buf[r->pos] == 0;
    return SH_OK;
}

static sh_status copy_content(reader *r, uint64_t len, bytes *out, sh_error *err)
{
    while (len > 0) {
        const uint8_t *p = NULL;
        size_t n = 0;
        sh_status st = take(r, len > SIZE_MAX ? SIZE_MAX : (size_t)len, &p, &n, err);
        if (st == SH_OK)
            st = bytes_add(out, p, n, err);
        if (st != SH_OK)
            return st;
        len -= n;
    }
    return SH_OK;
}

/* Copy one whole element (its header read into t) into out as read, nested indefinite lengths
 * and all. */
static sh_status copy_rest(reader *r, const tlv *t, bytes *out, int depth, sh_error *err)
{
    sh_status st = bytes_add(out, t->hdr, t->hdr_len, err);
    if (st != SH_OK || !t->indefinite)
        return st != SH_OK ? st : copy_content(r, t->len, out, err);
    if (depth >= MAX_DEPTH)
        return damaged(err);
    for (;;) {
        tlv child;
        if ((st = read_tlv(r, ANY_END, &child, err)) != SH_OK)
            return st;
        if (child.tag == 0 && child.hdr[1] == 0)
            return bytes_add(out, child.hdr, 2, err);
        if ((st = copy_rest(r, &child, out, depth + 1, err)) != SH_OK)
            return st;
    }
}

static sh_status skip_rest(reader *r, const tlv *t, sh_error *err)
{
    bytes scratch = {.max = UP_ENVELOPE_MAX_RECIPIENT_INFO};
    sh_status st = copy_rest(r, t, &scratch, 0, err);
    free(scratch.data);
    return st;
}

static sh_status expect_oid(reader *r, uint64_t parent_end, const uint8_t *oid, size_t oid_len,
                            sh_error *err)
{
    tlv t;
    sh_status st = expect(r, parent_end, 0x06, &t, err);
    if (st != SH_OK)
        return st;
    if (t.len > 64)
        return damaged(err);
    uint8_t got[64];
    for (uint64_t i = 0; i < t.len && st == SH_OK; i++)
        st = take_byte(r, &got[i], err);
    if (st != SH_OK)
        return st;
    if (t.len != oid_len || memcmp(got, oid, oid_len) != 0)
        return sh_fail(err, SH_INPUT,
                       _("the package is not encrypted the way sohoa expects (CMS "
                         "AuthEnvelopedData with AES-256-GCM)"));
    return SH_OK;
}

/* The DER length octets of len. */
static size_t der_len(size_t len, uint8_t out[5])
{
    if (len < 0x80) {
        out[0] = (uint8_t)len;
        return 1;
    }
    size_t n = len > 0xFFFFFF ? 4 : len > 0xFFFF ? 3 : len > 0xFF ? 2 : 1;
    out[0] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    return 1 + n;
}

static sh_status wrap(bytes *out, uint8_t tag, const bytes *in, sh_error *err)
{
    uint8_t len[5];
    size_t n = der_len(in->len, len);
    sh_status st = bytes_add(out, &tag, 1, err);
    if (st == SH_OK)
        st = bytes_add(out, len, n, err);
    return st == SH_OK ? bytes_add(out, in->data, in->len, err) : st;
}

typedef struct {
    reader r;
    tlv ci, x0, aed, eci;
    bytes head;  /* version and originatorInfo, as read */
    bytes ris;   /* the recipient infos, as read */
    bytes algid; /* the content-encryption AlgorithmIdentifier, as read */
    CMS_ContentInfo *cms;
    BIO *null_bio, *cipher_bio;
    EVP_CIPHER_CTX *cipher; /* owned by cipher_bio */
    up_sink_fn write;
    void *wctx;
    bool not_for_key; /* failed because no recipient info is for this key */
    uint8_t out[BUF_SIZE];
} decryptor;

static sh_status read_recipients(decryptor *d, const tlv *set, sh_error *err)
{
    int n = 0;
    for (;;) {
        bool end = false;
        sh_status st = at_end(&d->r, set, &end, err);
        if (st != SH_OK || end)
            return st != SH_OK ? st : n == 0 ? damaged(err) : close_tlv(&d->r, set, err);
        tlv ri;
        if ((st = read_tlv(&d->r, set->end, &ri, err)) != SH_OK)
            return st;
        if (++n > UP_ENVELOPE_MAX_RECIPIENTS)
            return sh_fail(err, SH_INPUT, _("the encrypted package has more than %d recipients"),
                           UP_ENVELOPE_MAX_RECIPIENTS);
        d->ris.max = d->ris.len + UP_ENVELOPE_MAX_RECIPIENT_INFO;
        if ((st = copy_rest(&d->r, &ri, &d->ris, 0, err)) != SH_OK)
            return st;
    }
}

/* ContentInfo, AuthEnvelopedData up to and including the recipient infos. */
static sh_status read_front(decryptor *d, sh_error *err)
{
    reader *r = &d->r;
    tlv t;
    sh_status st = expect(r, ANY_END, 0x30, &d->ci, err);
    if (st == SH_OK)
        st = expect_oid(r, d->ci.end, OID_AUTH_ENVELOPED, sizeof OID_AUTH_ENVELOPED, err);
    if (st == SH_OK)
        st = expect(r, d->ci.end, 0xA0, &d->x0, err);
    if (st == SH_OK)
        st = expect(r, d->x0.end, 0x30, &d->aed, err);
    if (st == SH_OK)
        st = expect(r, d->aed.end, 0x02, &t, err);
    if (st == SH_OK)
        st = t.len <= 4 ? copy_rest(r, &t, &d->head, 0, err) : damaged(err);
    if (st == SH_OK)
        st = read_tlv(r, d->aed.end, &t, err);
    if (st == SH_OK && t.tag == 0xA0) { /* originatorInfo */
        st = copy_rest(r, &t, &d->head, 0, err);
        if (st == SH_OK)
            st = read_tlv(r, d->aed.end, &t, err);
    }
    if (st != SH_OK)
        return st;
    return t.tag == 0x31 ? read_recipients(d, &t, err) : damaged(err);
}

/* authEncryptedContentInfo up to the encrypted content: id-data and AES-256-GCM. */
static sh_status read_content_info(decryptor *d, sh_error *err)
{
    reader *r = &d->r;
    tlv alg;
    sh_status st = expect(r, d->aed.end, 0x30, &d->eci, err);
    if (st == SH_OK)
        st = expect_oid(r, d->eci.end, OID_DATA, sizeof OID_DATA, err);
    if (st == SH_OK)
        st = expect(r, d->eci.end, 0x30, &alg, err);
    if (st == SH_OK)
        st = copy_rest(r, &alg, &d->algid, 0, err);
    if (st != SH_OK)
        return st;
    const uint8_t *p = d->algid.data + alg.hdr_len;
    size_t left = d->algid.len - alg.hdr_len;
    if (left < 2 + sizeof OID_AES256_GCM || p[0] != 0x06 || p[1] != sizeof OID_AES256_GCM ||
        memcmp(p + 2, OID_AES256_GCM, sizeof OID_AES256_GCM) != 0)
        return sh_fail(err, SH_INPUT,
                       _("the package is not encrypted the way sohoa expects (CMS "
                         "AuthEnvelopedData with AES-256-GCM)"));
    return SH_OK;
}

/* A content-less copy of the envelope's header, DER, for OpenSSL to decode. */
static sh_status synthesize(const decryptor *d, bytes *ci, sh_error *err)
{
    static const uint8_t oid_data_tlv[] = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                           0xF7, 0x0D, 0x01, 0x07, 0x01};
    static const uint8_t oid_aed_tlv[] = {0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                          0x0D, 0x01, 0x09, 0x10, 0x01, 0x17};
    static const uint8_t dummy_mac[2 + TAG_LEN] = {0x04, TAG_LEN};
    size_t max = 4 * 1024 * 1024;
    bytes eci = {.max = max}, aed = {.max = max}, seq = {.max = max}, x0 = {.max = max};
    sh_status st = bytes_add(&eci, oid_data_tlv, sizeof oid_data_tlv, err);
    if (st == SH_OK)
        st = bytes_add(&eci, d->algid.data, d->algid.len, err);
    if (st == SH_OK)
        st = bytes_add(&aed, d->head.data, d->head.len, err);
    if (st == SH_OK)
        st = wrap(&aed, 0x31, &d->ris, err);
    if (st == SH_OK)
        st = wrap(&aed, 0x30, &eci, err);
    if (st == SH_OK)
        st = bytes_add(&aed, dummy_mac, sizeof dummy_mac, err);
    if (st == SH_OK)
        st = wrap(&seq, 0x30, &aed, err);
    if (st == SH_OK)
        st = bytes_add(&x0, oid_aed_tlv, sizeof oid_aed_tlv, err);
    if (st == SH_OK)
        st = wrap(&x0, 0xA0, &seq, err);
    if (st == SH_OK)
        st = wrap(ci, 0x30, &x0, err);
    free(eci.data);
    free(aed.data);
    free(seq.data);
    free(x0.data);
    return st;
}

/* OpenSSL finds our recipient info, unwraps the content key and readies AES-256-GCM. */
static sh_status unwrap_key(decryptor *d, X509 *cert, EVP_PKEY *key, sh_error *err)
{
    bytes ci = {.max = 8 * 1024 * 1024};
    sh_status st = synthesize(d, &ci, err);
    const unsigned char *p = ci.data;
    if (st == SH_OK && !(d->cms = d2i_CMS_ContentInfo(NULL, &p, (long)ci.len)))
        st = damaged(err);
    free(ci.data);
    if (st != SH_OK) {
        ERR_clear_error();
        return st;
    }
    /* OpenSSL hides a failed RSA unwrap behind a random key (against Bleichenbacher-style
     * oracles), which would surface as a tag mismatch: tell a key from another certificate
     * first. */
    if (X509_check_private_key(cert, key) != 1 ||
        CMS_decrypt_set1_pkey_and_peer(d->cms, key, cert, NULL) != 1) {
        ERR_clear_error();
        d->not_for_key = true;
        return sh_fail(err, SH_INPUT, _("this package is not encrypted for this key"));
    }
    d->null_bio = BIO_new(BIO_s_null());
    d->cipher_bio = d->null_bio ? CMS_dataInit(d->cms, d->null_bio) : NULL;
    if (!d->cipher_bio || BIO_get_cipher_ctx(d->cipher_bio, &d->cipher) != 1 || !d->cipher) {
        ERR_clear_error();
        return damaged(err);
    }
    return SH_OK;
}

static sh_status decrypt_octets(decryptor *d, uint64_t len, sh_error *err)
{
    while (len > 0) {
        const uint8_t *p = NULL;
        size_t n = 0;
        sh_status st = take(&d->r, len > BUF_SIZE ? BUF_SIZE : (size_t)len, &p, &n, err);
        if (st != SH_OK)
            return st;
        int outl = 0;
        if (EVP_DecryptUpdate(d->cipher, d->out, &outl, p, (int)n) != 1 || outl < 0)
            return sh_fail(err, SH_INTERNAL, "envelope: AES-GCM decryption failed");
        if (outl > 0 && (st = d->write(d->wctx, d->out, (size_t)outl, err)) != SH_OK)
            return st;
        len -= n;
    }
    return SH_OK;
}

/* The encrypted content: [0] IMPLICIT OCTET STRING, primitive or in (nested) chunks. */
static sh_status decrypt_content(decryptor *d, const tlv *t, int depth, sh_error *err)
{
    if (!(t->tag & 0x20))
        return decrypt_octets(d, t->len, err);
    if (depth > 4)
        return damaged(err);
    for (;;) {
        bool end = false;
        sh_status st = at_end(&d->r, t, &end, err);
        if (st != SH_OK || end)
            return st != SH_OK ? st : close_tlv(&d->r, t, err);
        tlv chunk;
        if ((st = read_tlv(&d->r, t->end, &chunk, err)) != SH_OK)
            return st;
        if (chunk.tag != 0x04 && chunk.tag != 0x24)
            return damaged(err);
        if ((st = decrypt_content(d, &chunk, depth + 1, err)) != SH_OK)
            return st;
    }
}

/* After the content: no authAttrs, the 16-byte tag, unauthAttrs skipped, the closing octets,
 * nothing after. */
static sh_status read_back(decryptor *d, uint8_t mac[TAG_LEN], sh_error *err)
{
    reader *r = &d->r;
    tlv t;
    sh_status st = read_tlv(r, d->aed.end, &t, err);
    if (st == SH_OK && t.tag == 0xA1)
        return sh_fail(err, SH_INPUT,
                       _("the encrypted package has authenticated attributes, which sohoa does "
                         "not support"));
    if (st == SH_OK && (t.tag != 0x04 || t.len != TAG_LEN))
        return damaged(err);
    for (int i = 0; i < TAG_LEN && st == SH_OK; i++)
        st = take_byte(r, &mac[i], err);
    bool end = false;
    if (st == SH_OK)
        st = at_end(r, &d->aed, &end, err);
    if (st == SH_OK && !end) {
        st = expect(r, d->aed.end, 0xA2, &t, err);
        if (st == SH_OK)
            st = skip_rest(r, &t, err);
    }
    if (st == SH_OK)
        st = close_tlv(r, &d->aed, err);
    if (st == SH_OK)
        st = close_tlv(r, &d->x0, err);
    if (st == SH_OK)
        st = close_tlv(r, &d->ci, err);
    if (st == SH_OK)
        st = fill(r, err);
    if (st == SH_OK && (r->pos < r->len || !r->eof))
        return damaged(err);
    return st;
}

static sh_status run(decryptor *d, X509 *cert, EVP_PKEY *key, sh_error *err)
{
    tlv content;
    uint8_t mac[TAG_LEN];
    sh_status st = read_front(d, err);
    if (st == SH_OK)
        st = read_content_info(d, err);
    if (st == SH_OK)
        st = unwrap_key(d, cert, key, err);
    if (st == SH_OK)
        st = read_tlv(&d->r, d->eci.end, &content, err);
    if (st == SH_OK && content.tag != 0x80 && content.tag != 0xA0)
        st = damaged(err); /* absent (detached) content is not a package */
    if (st == SH_OK)
        st = decrypt_content(d, &content, 0, err);
    if (st == SH_OK)
        st = close_tlv(&d->r, &d->eci, err);
    if (st == SH_OK)
        st = read_back(d, mac, err);
    if (st != SH_OK)
        return st;
    int outl = 0;
    if (EVP_CIPHER_CTX_ctrl(d->cipher, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, mac) != 1 ||
        EVP_DecryptFinal_ex(d->cipher, d->out, &outl) != 1 || outl != 0) {
        ERR_clear_error();
        return sh_fail(err, SH_INPUT, _("the package was altered or damaged"));
    }
    return SH_OK;
}

sh_status up_envelope_decrypt(up_source_fn read, void *rctx, X509 *cert, EVP_PKEY *key,
                              up_sink_fn write, void *wctx, sh_error *err)
{
    return up_envelope_decrypt_why(read, rctx, cert, key, write, wctx, NULL, err);
}

sh_status up_envelope_decrypt_why(up_source_fn read, void *rctx, X509 *cert, EVP_PKEY *key,
                                  up_sink_fn write, void *wctx, bool *not_for_key, sh_error *err)
{
    if (not_for_key)
        *not_for_key = false;
    if (!read || !cert || !key || !write)
        return sh_fail(err, SH_INTERNAL, "envelope: missing argument");
    decryptor *d = calloc(1, sizeof *d);
    if (!d)
        return sh_fail(err, SH_INTERNAL, "out of memory");
    d->r.read = read;
    d->r.ctx = rctx;
    d->write = write;
    d->wctx = wctx;
    d->head.max = UP_ENVELOPE_MAX_RECIPIENT_INFO;
    d->algid.max = 256;
    sh_status st = run(d, cert, key, err);
    if (not_for_key)
        *not_for_key = d->not_for_key;
    BIO_free_all(d->cipher_bio ? d->cipher_bio : d->null_bio);
    CMS_ContentInfo_free(d->cms);
    free(d->head.data);
    free(d->ris.data);
    free(d->algid.data);
    OPENSSL_cleanse(d->out, sizeof d->out);
    free(d);
    return st;
}
