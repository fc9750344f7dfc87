/* CMS AuthEnvelopedData (RFC 5083, 5084): AES-256-GCM encryption of a package to one or more
 * recipients, and bounded streaming decryption (private to upload/).
 *
 * Encryption writes ContentInfo{id-ct-authEnvelopedData} in BER, the content as indefinite-length
 * OCTET STRING chunks, with one KeyTransRecipientInfo (RSAES-OAEP, SHA-256, MGF1-SHA-256) per RSA
 * certificate and one KeyAgreeRecipientInfo (dhSinglePass-stdDH-sha256kdf-scheme, id-aes256-wrap)
 * per EC certificate. Memory stays constant whatever the size. */
#ifndef SOHOA_UPLOAD_ENVELOPE_IMPL_H
#define SOHOA_UPLOAD_ENVELOPE_IMPL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/core.h"
#include "stream_impl.h"

typedef struct up_envelope_writer up_envelope_writer;

/* Start an envelope for n (1..16) recipient certificates (RSA or EC P-256); its bytes go to
 * write(ctx, ...). NULL with err filled on failure. */
up_envelope_writer *up_envelope_begin(X509 *const *recipients, int n, up_sink_fn write, void *ctx,
                                      sh_error *err);
/* Encrypt the next len bytes of content. */
SH_NODISCARD sh_status up_envelope_write(up_envelope_writer *w, const uint8_t *buf, size_t len,
                                         sh_error *err);
/* Write the authentication tag and the end of the envelope, then free w (always, even on
 * failure). */
SH_NODISCARD sh_status up_envelope_finish(up_envelope_writer *w, sh_error *err);
/* Abandon an envelope (after a failure elsewhere): frees w; NULL is fine. */
void up_envelope_abort(up_envelope_writer *w);

/* Decrypt an envelope read from read(rctx, ...) with the recipient's certificate and private key,
 * passing the plaintext to write(wctx, ...) as it is decrypted.
 *
 * The plaintext passed to write is UNVERIFIED until this function returns SH_OK: the sink must be
 * a temporary file or a running hash, and the caller must discard everything it received when the
 * result is not SH_OK. Only SH_OK means the authentication tag matched and every byte is genuine.
 * Errors: SH_INPUT for a malformed, truncated or unsupported envelope, for "not encrypted for this
 * key" and for "altered or damaged" (tag mismatch); the sink's or read's own status otherwise. */
SH_NODISCARD sh_status up_envelope_decrypt(up_source_fn read, void *rctx, X509 *cert, EVP_PKEY *key,
                                           up_sink_fn write, void *wctx, sh_error *err);

/* The same; on failure *not_for_key (may be NULL) tells "not encrypted for this key" (no
 * recipient info for cert) from every other SH_INPUT (damaged, truncated, unsupported). */
SH_NODISCARD sh_status up_envelope_decrypt_why(up_source_fn read, void *rctx, X509 *cert,
                                               EVP_PKEY *key, up_sink_fn write, void *wctx,
                                               bool *not_for_key, sh_error *err);

/* Limits of the decryptor. */
enum {
    UP_ENVELOPE_MAX_RECIPIENTS = 16,
    UP_ENVELOPE_MAX_RECIPIENT_INFO = 64 * 1024,
};

#endif
