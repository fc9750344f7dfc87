/* sign — PAdES baseline B-B signatures of the organisation on passed PDFs: the key (a PKCS#12
 * file or a PKCS#11 token), the visible stamp at the top right of page 1, the signature added by
 * an incremental update that leaves every original byte in place; and their verification.
 *
 * Use: sg_signer_open once per batch (the token is logged in once), sg_sign_file per document,
 * sg_signer_close. sg_verify_file checks every signature of a file. */
#ifndef SOHOA_SIGN_H
#define SOHOA_SIGN_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/core.h"

/* Where the key is: exactly one of pkcs12 and pkcs11_module. */
typedef struct {
    const char *pkcs12;        /* a PKCS#12 file (.p12, .pfx) */
    const char *pkcs11_module; /* a PKCS#11 module (.so) of the token */
    const char *token_label;   /* NULL: the only token present */
    const char *key_label;     /* NULL: the only private key that has a certificate */
} sg_key_source;

typedef struct {
    sg_key_source key;
    const char *secret;       /* passphrase or PIN; wiped by the caller after sg_signer_open */
    const char *organisation; /* the stamp's organisation line; NULL: the certificate's O */
    const char *font_path;    /* the stamp's font */
    const char *seal_path;    /* the seal image (PNG), or NULL */
    double stamp_width_mm;    /* the stamp's width as displayed */
    double stamp_margin_mm;   /* from the top and right edges of page 1 as displayed */
} sg_signer_options;

typedef struct sg_signer sg_signer;

/* Open the key, read the certificate, prepare the stamp. Errors as sg_key_open's (SH_INPUT for
 * a key that cannot be used, with what to do) and the stamp's (the font or seal named). */
sh_status sg_signer_open(const sg_signer_options *o, sg_signer **out, sh_error *err);
const char *sg_signer_cn(const sg_signer *s);           /* the certificate's CN, UTF-8 */
const char *sg_signer_organisation(const sg_signer *s); /* as the stamp shows it */
const char *sg_signer_cert_sha256(const sg_signer *s);  /* hex, of the certificate's DER */
void sg_signer_close(sg_signer *s);                     /* NULL is accepted */

typedef struct {
    char input_sha256[SH_SHA256_HEX_LEN + 1];  /* of the original, as it was read */
    char output_sha256[SH_SHA256_HEX_LEN + 1]; /* of the signed file */
    int64_t signed_at;                         /* unix seconds, the /M of the signature */
    uint64_t output_bytes;
} sg_sign_result;

/* Sign the PDF `in` into `out`: the original's bytes, then an update with the signature field
 * and its stamp on page 1, the signature over the whole file but its /Contents. Written to a
 * temp file beside out and published only when complete; an existing out is never replaced
 * (SH_USAGE). With expect_sha256 (hex), the bytes copied must have that digest (the ones that
 * passed validation), else SH_FINDINGS and nothing is written: the file is read once. SH_INPUT
 * naming `in` when it is not a PDF we can sign (unreadable, encrypted, a damaged
 * cross-reference). */
sh_status sg_sign_file(sg_signer *s, const char *in, const char *expect_sha256, const char *out,
                       sg_sign_result *res, sh_error *err);

/* ---- verification ---- */

typedef enum {
    SG_SIG_VALID,     /* cryptographically valid, trusted, covering what it says */
    SG_SIG_UNTRUSTED, /* valid, but the certificate does not chain to a trust anchor */
    SG_SIG_INVALID,   /* digest, signature, ByteRange or structure wrong: an attack or damage */
} sg_sig_state;

typedef struct {
    char *field; /* the signature field's name (/T), UTF-8 */
    sg_sig_state state;
    bool covers_whole;     /* its ByteRange ends at the end of the file */
    uint64_t signed_bytes; /* the revision it signs: bytes [0, signed_bytes) */
    char *subfilter;       /* ETSI.CAdES.detached, adbe.pkcs7.detached, … */
    char *signer_cn, *signer_org;
    char cert_sha256[SH_SHA256_HEX_LEN + 1];
    int64_t signed_at; /* from /M; 0 when absent or unreadable */
    char *problems;    /* translated sentences, one per line; NULL when none */
} sg_signature_report;

typedef struct {
    sg_signature_report *sigs;
    int n_sigs;
    uint64_t file_bytes;
    bool modified_after; /* something follows the last signed revision */
    char *problem;       /* a file-level problem (no signature, unreadable …); NULL when none */
    bool ok;             /* every signature valid, trusted, and one covers the whole file */
} sg_verify_report;

/* Load trust anchors (PEM, one or more certificates). SH_INPUT naming the file. */
sh_status sg_trust_load(const char *pem_path, X509_STORE **out, sh_error *err);
/* Check every signature of path. SH_INPUT when the file cannot be read at all; a file that is
 * not a signed PDF is a report with `problem` set. trust NULL: no signature can be trusted. */
sh_status sg_verify_file(const char *path, X509_STORE *trust, sg_verify_report *rep, sh_error *err);
void sg_verify_report_clear(sg_verify_report *rep);

#endif
