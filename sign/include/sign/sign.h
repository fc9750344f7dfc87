/* sign — PAdES baseline B-B signatures of the organisation on passed PDFs: the key (a PKCS#12
 * file or a PKCS#11 token), the visible stamp at the top right of page 1, the signature added by
 * an incremental update that leaves every original byte in place; and their verification.
 *
 * Use: sg_sign_path signs a batch as `sohoa sign` does (batch.c): the walk, the plan from the
 * ledger's verdicts, the key checked before the secret is asked, each file published and
 * recorded. Below it: sg_signer_prepare (everything that needs no secret), sg_signer_unlock
 * (the token is logged in once), sg_sign_file per document, sg_signer_close.
 * sg_verify_file checks every signature of a file. */
#ifndef SOHOA_SIGN_H
#define SOHOA_SIGN_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/core.h"

/* Where the key is: exactly one of pkcs12 and pkcs11_module. */
typedef struct {
    const char *pkcs12;        /* a PKCS#12 file (.p12, .pfx) */
    const char *pkcs11_module; /* a PKCS#11 module (.so) of the token */
    const char *token_label;   /* NULL: the only token present */
    const char *key_label;     /* NULL: the only private key that has a certificate */
} sg_key_source;

/* Where the stamp goes on page 1, always in the top-right region of the page as displayed
 * (Circular 01/2019): */
typedef enum {
    SG_PLACE_AUTO,  /* where it covers the least ink (measured on the page rendered) */
    SG_PLACE_FIXED, /* in the corner, stamp_margin_mm from the top and right edges */
} sg_placement;

/* [sign] of sohoa.ini, sign's own section (config.c). Strings are NULL when unset. */
typedef struct {
    char *pkcs11_module; /* the token's PKCS#11 library */
    char *token_label;
    char *key_label;
    char *organisation; /* NULL: the certificate's O */
    char *seal_image;
    char *font;
    double stamp_width_mm;
    double stamp_margin_mm;
    sg_placement stamp_place; /* auto (default): the least ink; fixed: the corner */
} sg_config;

/* The table of [sign]: a program that reads it lists this section (sh_config_use_sections). */
extern const sh_config_section sg_config_section;
/* The [sign] values of cfg; NULL when the program does not list sg_config_section. */
const sg_config *sg_config_get(const sh_config *cfg);

typedef struct {
    sg_key_source key;
    const char *secret;       /* passphrase or PIN; wiped by the caller after sg_signer_open */
    const char *organisation; /* the stamp's organisation line; NULL: the certificate's O */
    const char *font_path;    /* the stamp's font; NULL: no stamp, detached signatures only */
    const char *seal_path;    /* the seal image (PNG), or NULL (unused without a font) */
    double stamp_width_mm;    /* the stamp's width as displayed */
    double stamp_margin_mm;   /* from the top and right edges of page 1 as displayed */
    sg_placement placement;
} sg_signer_options;

typedef struct sg_signer sg_signer;

/* Everything that can be checked without the secret (o->secret is not used): the PKCS#12 file
 * read; the PKCS#11 module loaded, the token chosen, the key label looked for among what the
 * token shows before login; the font and the seal read, the stamp's size. A mistake there
 * costs the operator no PIN entry. Errors as sg_key_open's (SH_INPUT for a key that cannot be
 * used, with what to do) and the stamp's (the font or seal named). */
SH_NODISCARD sh_status sg_signer_prepare(const sg_signer_options *o, sg_signer **out,
                                         sh_error *err);
/* Whether sg_signer_unlock needs a secret: false for a PKCS#12 file without a passphrase and a
 * token that needs no login or has its own PIN pad. */
bool sg_signer_needs_secret(const sg_signer *s);
/* Open the key with the secret (NULL: none), read the certificate, make the stamp. On failure
 * the signer stays prepared but cannot sign; close it. */
SH_NODISCARD sh_status sg_signer_unlock(sg_signer *s, const char *secret, sh_error *err);
/* sg_signer_unlock with the secret the operator gives, as sign, pack and receive ask it: secret
 * when not NULL (already read, e.g. from --pin-env); else, when the key needs one, the first
 * line of pin_file when given (sg_secret_get: a warning when the file can be read by group or
 * others), else asked on the terminal without echo ("Passphrase of the key file: " or "PIN of
 * the token: "). A secret read here is wiped before returning. Errors as sg_secret_get's and
 * sg_signer_unlock's; on failure the signer stays prepared but cannot sign: close it. */
SH_NODISCARD sh_status sg_signer_unlock_asking(sg_signer *s, const char *secret,
                                               const char *pin_file, sh_error *err);
/* sg_signer_prepare then sg_signer_unlock with o->secret. */
SH_NODISCARD sh_status sg_signer_open(const sg_signer_options *o, sg_signer **out, sh_error *err);
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
SH_NODISCARD sh_status sg_sign_file(sg_signer *s, const char *in, const char *expect_sha256,
                                    const char *out, sg_sign_result *res, sh_error *err);
/* The same, but the signed file is not put in place: it is handed over in *sealed, on disk and
 * still hidden (pdf_writer_hand_over), for the caller to record and publish (sh_publish_intend,
 * sh_publish_finish in core.h) or drop (sh_atomic_abort). *sealed is NULL on failure. */
SH_NODISCARD sh_status sg_sign_file_sealed(sg_signer *s, const char *in, const char *expect_sha256,
                                           const char *out, sg_sign_result *res,
                                           sh_atomic_file **sealed, sh_error *err);

/* ---- the secret (secret.c) ----
 * A PIN or passphrase: from the environment variable env_var when given (it must be set; its
 * value is then wiped from the process's environment at once, so that /proc/PID/environ and
 * core dumps no longer hold it), else the first line of pin_file when given (its trailing
 * CR/LF removed; a warning when the file can be read by group or others), else asked on the
 * terminal (/dev/tty) without echo with the (translated) prompt. SH_USAGE naming the variable
 * or file when it is missing or empty, or when there is no source and no terminal. The secret
 * lives in locked memory (mlock, never in a core dump: MADV_DONTDUMP) and is wiped by
 * sg_secret_free. */
SH_NODISCARD sh_status sg_secret_get(const char *env_var, const char *pin_file, const char *prompt,
                                     char **secret, sh_error *err);
void sg_secret_free(char *secret); /* NULL is accepted */

/* ---- a batch (batch.c): what `sohoa sign PATH...` does ---- */

typedef enum {
    SG_FILE_SIGNED,    /* signed now, published and recorded (forced or not) */
    SG_FILE_ALREADY,   /* its signed copy exists and the ledger records it */
    SG_FILE_REFUSED,   /* not signed, for a reason the operator can fix (a finding: exit 1) */
    SG_FILE_ELSEWHERE, /* another sohoa run is signing it at this moment: a note, no problem */
    SG_FILE_ERROR,     /* could not be signed, or a folder could not be read */
} sg_file_state;

typedef struct {
    const char *path;   /* as walked (a folder for a folder that could not be read) */
    const char *output; /* its signed copy; NULL for a folder */
    sg_file_state state;
    sh_status status;   /* SG_FILE_ERROR: what kind of error (the exit status it calls for) */
    bool forced;        /* signed with --force though it had not passed, or changed since */
    const char *reason; /* refused, error, forced: why, a translated sentence; else NULL */
    const sg_sign_result *result; /* SG_FILE_SIGNED; else NULL */
} sg_file_report;

typedef void (*sg_file_fn)(const sg_file_report *r, void *ctx);

typedef struct {
    const sh_workspace *ws;    /* the root */
    const char *signed_suffix; /* [naming] signed_suffix: "_signed" or ".signed" */
    sh_ledger *ledger;         /* the workspace's, open for writing */
    const sh_actor *actor;     /* who signs: every signature's audit entry names them */
    /* The key, organisation, font, seal, stamp. signer.secret NULL: read from pin_file when
     * given, else asked on the terminal, and only when something is to be signed and every
     * check that needs no secret has passed. */
    sg_signer_options signer;
    const char *pin_file;
    bool force;      /* also sign files that did not pass validation or changed since */
    sg_file_fn file; /* each file (and unreadable folder) once its fate is known, path order */
    void *ctx;
} sg_batch_options;

typedef struct {
    int signed_n, already, refused, elsewhere, errors;
} sg_summary;

/* Sign every PDF under paths[0..n) (files or folders inside the workspace; signed copies are
 * never signed again) that passed validation and has not changed since, as <name><suffix>.pdf
 * beside it. Interrupted publications of earlier runs are completed first, and temp files that
 * killed runs left in the folders written to are removed. Each signed file is published with
 * core's publish-and-record protocol: it is visible only once the ledger holds its signatures
 * row and audit entry. A file another sohoa run is signing is left to it (SG_FILE_ELSEWHERE).
 *
 * Returns the worst status of the run: per file and per folder problems go to o->file (and
 * count), with SH_INPUT for an unreadable folder; a problem that stops the whole batch (a path
 * that does not exist: SH_USAGE; the key cannot be used: SH_INPUT; the ledger: SH_INTERNAL)
 * is in err, with no file reported. Refusals do not change the status. */
SH_NODISCARD sh_status sg_sign_path(char *const *paths, int n_paths, const sg_batch_options *o,
                                    sg_summary *sum, sh_error *err);

/* ---- verification ---- */

typedef enum {
    SG_SIG_VALID,     /* cryptographically valid, trusted, covering what it says */
    SG_SIG_UNTRUSTED, /* valid, but the certificate does not chain to a trust anchor */
    SG_SIG_INVALID,   /* digest, signature, ByteRange or structure wrong: an attack or damage */
    SG_SIG_UNCHECKED, /* of a kind verify cannot check (a /SubFilter, a digest or signature
                         algorithm it does not know): neither valid nor invalid */
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
    bool weak;         /* valid, but its digest algorithm (SHA-1) is weak: said in problems */
    char *problems;    /* translated sentences, one per line; NULL when none */
} sg_signature_report;

typedef struct {
    sg_signature_report *sigs;
    int n_sigs;
    uint64_t file_bytes;
    bool modified_after; /* something follows the last signed revision */
    char *problem;       /* a file-level problem (no signature, unreadable …); NULL when none */
    bool unchecked;      /* a signature could not be checked here (SG_SIG_UNCHECKED) */
    bool ok;             /* every signature valid, trusted, and covering the whole file */
} sg_verify_report;

/* Load trust anchors (PEM, one or more certificates). SH_INPUT naming the file. */
SH_NODISCARD sh_status sg_trust_load(const char *pem_path, X509_STORE **out, sh_error *err);
/* Check every signature of path. SH_INPUT when the file cannot be read at all; a file that is
 * not a signed PDF is a report with `problem` set. trust NULL: no signature can be trusted. */
SH_NODISCARD sh_status sg_verify_file(const char *path, X509_STORE *trust, sg_verify_report *rep,
                                      sh_error *err);
/* What a report calls for: SH_OK when ok; SH_FINDINGS when a signature is invalid, untrusted or
 * partial, the file changed after signing or has no signature; SH_INPUT when the only thing
 * wrong is a signature that cannot be checked here (docs/sign.md: exit 3). */
SH_NODISCARD sh_status sg_verify_status(const sg_verify_report *rep);
void sg_verify_report_clear(sg_verify_report *rep);

/* ---- detached signatures of files other than PDFs (detached.c): a package's tag manifest,
 * a receipt, a progress snapshot ----
 * A signer made by sg_signer_prepare with o->font_path NULL has no stamp: it cannot sign PDFs
 * (sg_sign_file says so) but makes detached signatures, and its preparation reads no font. */

/* A detached CMS SignedData (DER) over data[0..len) with the signer's key: SHA-256, signed
 * attributes content-type (id-data), message-digest, ESS signing-certificate-v2 and
 * signing-time (`at`, unix seconds), the signer's certificate and its chain. Checkable with
 * `openssl cms -verify -binary -inform DER -content FILE`. *der is g_free'd by the caller. */
SH_NODISCARD sh_status sg_signer_sign_detached(sg_signer *s, const void *data, size_t len,
                                               int64_t at, uint8_t **der, size_t *der_len,
                                               sh_error *err);

typedef struct {
    sg_sig_state state; /* VALID: the digest, the signature and the chain to trust all hold */
    char *problem;      /* why not VALID, a translated sentence; NULL when valid */
    char *signer_cn, *signer_org;
    char cert_sha256[SH_SHA256_HEX_LEN + 1]; /* of the signer's certificate ("" when unread) */
    int64_t signed_at;                       /* its signing-time attribute; 0 when absent */
} sg_detached_report;

/* Check a detached CMS SignedData der[0..der_len) over data[0..len): exactly one signer, the
 * message digest, the signature, the chain to trust (NULL: untrusted) valid now. Never fails on
 * what it is given (a malformed CMS is SG_SIG_INVALID with the problem); SH_INTERNAL only when
 * memory runs out. Bounded: der_len at most 1 MiB. */
SH_NODISCARD sh_status sg_verify_detached(const uint8_t *der, size_t der_len, const void *data,
                                          size_t len, X509_STORE *trust, sg_detached_report *rep,
                                          sh_error *err);
void sg_detached_report_clear(sg_detached_report *rep);

/* Many detached signatures checked against one trust store (trust is borrowed: it outlives the
 * verifier), e.g. a province merge's snapshots: each sg_detached_verify checks exactly what
 * sg_verify_detached checks (every signature over its exact bytes, every signer chained to
 * trust now), but a certificate met before is not parsed again and a chain that held for the
 * very same certificates (by the SHA-256 of their DER) is not built again while all its
 * certificates are still valid. Safe to use from several threads at once. */
typedef struct sg_detached_verifier sg_detached_verifier;
sg_detached_verifier *sg_detached_verifier_new(X509_STORE *trust);
void sg_detached_verifier_free(sg_detached_verifier *v);
SH_NODISCARD sh_status sg_detached_verify(sg_detached_verifier *v, const uint8_t *der,
                                          size_t der_len, const void *data, size_t len,
                                          sg_detached_report *rep, sh_error *err);

/* The unlocked signer's private key and certificate (up-referenced: EVP_PKEY_free, X509_free),
 * to decrypt what was encrypted to it (a package at the receiving end). Only a key from a
 * PKCS#12 file can be handed out: a token's key never leaves it (SH_USAGE saying so). */
SH_NODISCARD sh_status sg_signer_decryption_key(const sg_signer *s, X509 **cert, EVP_PKEY **key,
                                                sh_error *err);

/* A signing time as the stamp shows it, in Vietnam's time (UTC+7 all year): "21/11/2026
 * 10:05:09 +07:00". */
#define SG_TIME_TEXT_LEN 64
void sg_time_stamp_text(int64_t unix_time, char out[SG_TIME_TEXT_LEN]);

/* ---- text in a PDF of our own (text_font.c): the stamp's font machinery for other documents
 * (the handover record). A TrueType subset of the characters the document shows, embedded as a
 * CIDFontType2 with its widths and a ToUnicode map, so that the text extracts as written. Text is
 * placed as given, not shaped: Vietnamese in NFC with a font that has its precomposed letters
 * (DejaVu Sans, [sign] font) shows right. */
typedef struct sg_text_font sg_text_font;
typedef struct pdf_writer pdf_writer; /* pdf/pdf.h */

/* The font at path, subset to every character of texts[0..n) (UTF-8, taken in NFC). SH_INPUT
 * naming the font when it cannot be read or used or lacks a character; SH_INPUT when a text is
 * not UTF-8. */
SH_NODISCARD sh_status sg_text_font_load(const char *path, const char *const *texts, size_t n,
                                         sg_text_font **out, sh_error *err);
void sg_text_font_free(sg_text_font *f); /* NULL is accepted */
/* Write the font's objects into w; the object number of its Type0 font, for a page's
 * /Resources << /Font << /F1 N 0 R >> >> (0 when none could be reserved). Once per file. */
int sg_text_font_write(const sg_text_font *f, pdf_writer *w);
/* utf8 as the font's glyph codes, a PDF hex string "<0012002A>" for Tj; a character outside the
 * subset shows as .notdef. NULL when utf8 is not UTF-8. g_free() it. */
char *sg_text_font_encode(const sg_text_font *f, const char *utf8);
/* The width of utf8 set at size points, in points (0 when it is not UTF-8). */
double sg_text_font_width(const sg_text_font *f, const char *utf8, double size);
/* The font's ascent and descent (negative), in 1/1000 em. */
void sg_text_font_metrics(const sg_text_font *f, int *ascent, int *descent);

#endif
