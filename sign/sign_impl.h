/* sign_impl.h — private to the sign module: keys and secrets (key.c, pkcs11.c, secret.c), the CMS
 * signature (cms.c) and the visible stamp (stamp.c). sign.h is the module's public face. */
#ifndef SOHOA_SIGN_SIGN_IMPL_H
#define SOHOA_SIGN_SIGN_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

#include "core/core.h"
#include "pdf/pdf.h"
#include "sign/sign.h"

#define SG_SHA256_LEN 32

/* ---- keys (key.c: PKCS#12 through OpenSSL; pkcs11.c: a PKCS#11 module, dlopen'ed) ---- */

typedef enum {
    SG_KEY_RSA,     /* RSA 2048 to 4096 bits, PKCS#1 v1.5 with SHA-256 */
    SG_KEY_EC_P256, /* ECDSA on P-256 with SHA-256 */
} sg_key_kind;

typedef struct sg_key sg_key;

/* Open the signing key of src with its secret (the PKCS#12 passphrase or the token's user
 * PIN; NULL or "" for a PKCS#12 file without one). Errors name the file, module or token and
 * say what to do; never the secret:
 *  SH_INPUT: file or module unreadable, not PKCS#12 / not a PKCS#11 module, wrong passphrase or
 *            PIN (the token's tries left when it tells), PIN locked, token not found, several
 *            tokens or keys and no label to choose (the labels are listed), no certificate for
 *            the key, a key that is neither RSA 2048–4096 nor EC P-256;
 *  SH_INTERNAL: OpenSSL or the module failing otherwise. */
SH_NODISCARD sh_status sg_key_open(const sg_key_source *src, const char *secret, sg_key **out,
                                   sh_error *err);

/* sg_key_open in two steps, so that everything that needs no secret is checked before the
 * operator is asked for it. sg_key_prepare: the PKCS#12 file read and decoded; the PKCS#11
 * module loaded, the token chosen, a session opened and the key label looked for among the
 * objects the token shows before login. Errors as sg_key_open's. */
typedef struct sg_key_pending sg_key_pending;
SH_NODISCARD sh_status sg_key_prepare(const sg_key_source *src, sg_key_pending **out,
                                      sh_error *err);
/* False when no secret is needed: a PKCS#12 file without a passphrase, a token that needs no
 * login or has its own PIN pad. */
bool sg_key_needs_secret(const sg_key_pending *p);
/* True for a PKCS#12 file (its secret is a passphrase), false for a token (a PIN). */
bool sg_key_is_file(const sg_key_pending *p);
/* The rest of sg_key_open. p is used up whatever the outcome (and set to NULL). */
SH_NODISCARD sh_status sg_key_unlock(sg_key_pending **p, const char *secret, sg_key **out,
                                     sh_error *err);
void sg_key_pending_free(sg_key_pending *p); /* NULL is accepted */
sg_key_kind sg_key_kind_of(const sg_key *k);
/* The signer's certificate; owned by the key. */
X509 *sg_key_cert(const sg_key *k);
/* The rest of the chain, the issuer first, up to the root when it is there (may be empty, never
 * NULL): the PKCS#12 file's other certificates, or the token's certificates that issue the
 * signer's (and theirs). Owned by the key. */
STACK_OF(X509) * sg_key_chain(const sg_key *k);
/* The longest signature the key gives, in bytes: RSA the modulus size; P-256 72 (DER). */
size_t sg_key_max_signature(const sg_key *k);
/* The private key of a key read from a PKCS#12 file, owned by the key; NULL for a token's key,
 * which never leaves the token. */
EVP_PKEY *sg_key_private(const sg_key *k);
/* The label of the token the key is on; NULL for a key from a PKCS#12 file. */
const char *sg_key_token_label(const sg_key *k);
/* Sign `data` (hashed here with SHA-256): RSA PKCS#1 v1.5 (on a token CKM_RSA_PKCS over the
 * DigestInfo, which every token has), ECDSA as a DER ECDSA-Sig-Value (a token's raw r‖s is
 * converted). `sig` has room for sg_key_max_signature bytes. One call at a time per key. */
SH_NODISCARD sh_status sg_key_sign(sg_key *k, const uint8_t *data, size_t len, uint8_t *sig,
                                   size_t *sig_len, sh_error *err);
/* Log out of the token, unload the module, wipe and free. NULL is accepted. */
void sg_key_close(sg_key *k);

/* Between key.c and pkcs11.c: the PKCS#11 half of sg_key_prepare and sg_key_unlock, and the
 * token session a key made from a token signs with. */
typedef struct sg_token sg_token; /* a session on a token, logged in on one key (pkcs11.c) */
/* The module loaded, the token chosen, a session opened, the key label checked. */
SH_NODISCARD sh_status sg_pkcs11_prepare(const sg_key_source *src, sg_token **out, sh_error *err);
bool sg_token_needs_pin(const sg_token *t);
const char *sg_token_label(const sg_token *t); /* as the token shows it, safe to print */
/* Log in, choose the key (labelled key_label, on the key or on its certificate), read its
 * certificate and chain. Takes t whatever the outcome. */
SH_NODISCARD sh_status sg_pkcs11_unlock(sg_token *t, const char *key_label, const char *pin,
                                        sg_key **out, sh_error *err);
SH_NODISCARD sh_status sg_token_sign(sg_token *t, sg_key_kind kind,
                                     const uint8_t digest[SG_SHA256_LEN], uint8_t *sig,
                                     size_t *sig_len, size_t max_len, sh_error *err);
void sg_token_close(sg_token *t);
/* Takes t and cert whatever the outcome; builds the chain from pool and checks that the key
 * matches the certificate with a test signature. */
SH_NODISCARD sh_status sg_key_from_token(sg_token *t, X509 *cert, STACK_OF(X509) * pool,
                                         const char *what, sg_key **out, sh_error *err);

/* ---- the signer (sign.c) ---- */

/* The signer's key once unlocked (owned by the signer); NULL before. */
sg_key *sg_signer_key(const sg_signer *s);

/* ---- CMS (cms.c): a PAdES B-B SignedData, assembled here in DER so its size is exact ---- */

/* The signed attributes for the document digest, DER-encoded as a SET OF (tag 0x31, the bytes
 * that get signed), in DER order: content-type (id-data), message-digest, ESS
 * signing-certificate-v2 (SHA-256 of the signer's certificate, its issuer and serial). No
 * signing-time: PAdES puts the time in the signature dictionary's /M. */
GByteArray *sg_cms_signed_attrs(X509 *signer, const uint8_t digest[SG_SHA256_LEN]);
/* The same with a signing-time attribute of `at` (unix seconds, 1970 to 9999: UTCTime for 1950
 * to 2049, GeneralizedTime after, RFC 5652 11.3), for detached signatures of files (detached.c),
 * which have no /M. NULL when `at` is out of that range. */
GByteArray *sg_cms_signed_attrs_at(X509 *signer, const uint8_t digest[SG_SHA256_LEN], int64_t at);
/* The ContentInfo of a detached SignedData: version 1, digest SHA-256, encapsulated content
 * id-data without content, the certificates (signer first, then chain), one SignerInfo
 * (issuerAndSerialNumber, the signed attributes as [0], sha256WithRSAEncryption or
 * ecdsa-with-SHA256, the signature). */
GByteArray *sg_cms_build(X509 *signer, STACK_OF(X509) * chain, sg_key_kind kind,
                         const GByteArray *signed_attrs, const uint8_t *sig, size_t sig_len);
/* The size sg_cms_build gives with a signature of sig_len bytes (a shorter ECDSA signature
 * gives a shorter CMS): the /Contents placeholder is sized from it. */
size_t sg_cms_size(X509 *signer, STACK_OF(X509) * chain, sg_key_kind kind, size_t sig_len);

/* A certificate's subject field (NID_commonName, NID_organizationName, …) as UTF-8, g_free;
 * NULL when absent. */
char *sg_cert_field(X509 *cert, int nid);
/* SHA-256 of the certificate's DER, lowercase hex. */
void sg_cert_sha256_hex(X509 *cert, char hex[SH_SHA256_HEX_LEN + 1]);

/* The checks of one CMS blob from a signature's /Contents. */
typedef struct {
    bool parsed;           /* a SignedData with exactly one SignerInfo (trailing zeros allowed) */
    bool detached;         /* no encapsulated content (PAdES) */
    bool digest_ok;        /* its message-digest is the digest of the signed byte ranges */
    bool attrs_ok;         /* content-type is id-data; signing-certificate-v2 (or v1) names the
                              signer's certificate; signed attributes present */
    bool signature_ok;     /* the signer's public key verifies the signature over the attributes */
    bool has_signing_time; /* a signing-time attribute (not B-B; informational) */
    int64_t signing_time;  /* its value, unix seconds; 0 when absent or unreadable */
    bool has_signed_attrs; /* the SignerInfo has signed attributes */
    bool chain_ok;         /* the signer's certificate chains to a trust anchor, every certificate
                              valid at the signing time */
    char *chain_problem;   /* why not (OpenSSL's verify error text, or "no trust anchors") */
    char *problem;         /* the first failure above, a translated sentence; NULL when all ok */
    char *signer_cn;       /* the signer certificate's CN, O (UTF-8; NULL when absent) */
    char *signer_org;
    char cert_sha256[SH_SHA256_HEX_LEN + 1];
    char digest_algorithm[32]; /* "sha256" … */
    char digest_name[32];      /* "SHA-256" …, for messages */
    bool weak_digest;          /* SHA-1: checked, but forgeable with enough computing */
    bool unsupported;          /* an algorithm or key this build cannot check: the signature is
                                  neither confirmed nor refuted (problem says which) */
} sg_cms_check;

/* Check der[0..len) (zero padding after the DER allowed) against the digest of the signed byte
 * ranges; trust: the anchors (NULL: chain_ok false, chain_problem says so); at: the signing time
 * (unix seconds) at which the chain must be valid. Never fails: everything found goes in out. */
void sg_cms_check_blob(const uint8_t *der, size_t len, const uint8_t digest[SG_SHA256_LEN],
                       X509_STORE *trust, int64_t at, sg_cms_check *out);
/* The same for a digest of any length, by the rules of the signature's /SubFilter: pades for
 * ETSI.CAdES.detached (signed attributes with content-type and ESS signing-certificate
 * required), else those of adbe.pkcs7.detached (signed attributes optional: without them the
 * signature is checked over the digest itself). */
void sg_cms_verify(const uint8_t *der, size_t len, const uint8_t *digest, size_t digest_len,
                   bool pades, X509_STORE *trust, int64_t at, sg_cms_check *out);
/* The digest algorithm the CMS's one signer used, to hash the signed bytes with before
 * sg_cms_verify: SHA-1, SHA-2 or SHA-3; NULL for any other (or no CMS: sg_cms_verify says
 * why). */
const EVP_MD *sg_cms_digest_md(const uint8_t *der, size_t len);
void sg_cms_check_clear(sg_cms_check *c);
/* The CN of the signer's certificate of a CMS SignedData (zero padding allowed), g_free; NULL
 * when it cannot be read. */
char *sg_cms_signer_cn(const uint8_t *der, size_t len);

/* The chain check of sg_cms_verify_parsed: the anchors (NULL: untrusted), the time (unix
 * seconds, > 0) at which every certificate must be valid, and an optional cache: `known` says
 * that a chain built from exactly signer and certs held before and is valid at `at` (no chain is
 * built then); `held` is told of each chain X509_verify_cert built (its ctx). */
typedef struct {
    X509_STORE *trust;
    int64_t at;
    bool (*known)(void *arg, X509 *signer, STACK_OF(X509) * certs, int64_t at);
    void (*held)(void *arg, X509 *signer, STACK_OF(X509) * certs, X509_STORE_CTX *ctx);
    void *arg;
} sg_cms_chain;

/* der[0..len) parsed (zero padding after it allowed), or NULL; CMS_ContentInfo_free. */
CMS_ContentInfo *sg_cms_parse(const uint8_t *der, size_t len);
/* The digest algorithm of a parsed CMS's one signer, as sg_cms_digest_md. */
const EVP_MD *sg_cms_parsed_md(CMS_ContentInfo *cms);
/* sg_cms_verify's checks of a parsed CMS (NULL: unreadable) whose certificates are certs (those
 * it holds, or the same ones parsed elsewhere: they are not signed). */
void sg_cms_verify_parsed(CMS_ContentInfo *cms, STACK_OF(X509) * certs, const uint8_t *digest,
                          size_t digest_len, bool pades, const sg_cms_chain *chain,
                          sg_cms_check *out);

/* ---- the stamp (stamp.c): the visible signature ---- */

typedef struct sg_stamp sg_stamp;

typedef struct {
    const char *font_path;    /* TrueType/OpenType font with Vietnamese letters */
    const char *seal_path;    /* the seal: PNG, alpha → /SMask; NULL: a stamp without a seal */
    const char *organisation; /* UTF-8 lines of the stamp */
    const char *signer;
    double width_mm; /* the stamp's width as displayed */
} sg_stamp_spec;

/* Prepare a batch's stamp once: the font subset (the glyphs of the organisation, signer, labels,
 * and every character a time line can hold: digits, '/', ':', '+', space), its ToUnicode map,
 * the seal's colour and alpha planes, all compressed. The seal is drawn at its actual size (its
 * PNG pHYs; 300 ppi when absent), scaled down only when it would not fit the stamp. SH_INPUT
 * naming the font or seal file when it cannot be read or used (a font without a glyph for a
 * letter of the text included). */
SH_NODISCARD sh_status sg_stamp_new(const sg_stamp_spec *spec, sg_stamp **out, sh_error *err);
/* What sg_stamp_new checks that needs no certificate, before the secret is asked: the width,
 * the font (it opens and has the letters of the labels, the time and the organisation when
 * given), the seal (a PNG that decodes). Errors as sg_stamp_new's. */
SH_NODISCARD sh_status sg_stamp_check(const sg_stamp_spec *spec, sh_error *err);
/* The stamp's size as displayed, in points. */
void sg_stamp_size(const sg_stamp *s, double *width_pt, double *height_pt);
/* Write the stamp's objects into w: a form XObject (/BBox [0 0 width height], the seal, the
 * organisation, "Người ký: …" signer, "Thời gian: " time_text lines) drawn upright on a page
 * shown with `rotate` (0, 90, 180, 270) and `scale` times its size (0 < scale <= 1: a page
 * smaller than the stamp), both in the form's /Matrix, the font (Type0, CIDFontType2 subset
 * with /FontFile2, /W widths, /ToUnicode) and the seal image with /SMask. Returns the form's
 * object number; 0 when w has failed (w's error says why). */
SH_NODISCARD int sg_stamp_write(const sg_stamp *s, pdf_writer *w, const char *time_text, int rotate,
                                double scale);

/* ---- where the stamp goes (stamp_place.c) ---- */

typedef struct {
    double rect[4]; /* the widget's /Rect in default user space (x0 y0 x1 y1) */
    double scale;   /* the stamp's scale: 1, or less on a page too small for it */
    bool moved;     /* auto placement chose another place than the corner */
} sg_stamp_spot;

/* Where a stamp of w × h points (as displayed) goes on page `index` of the file at path (open
 * in r, NULL when it is not), whose
 * visible box (x0 y0 x1 y1) is shown turned by rotate (0, 90, 180, 270): always inside the
 * top-right quarter of the page as displayed, at least margin from its top and right edges
 * (stamp and margin scaled down together when the page is too small for them, so the stamp
 * stays inside the box). SG_PLACE_FIXED: in the corner. SG_PLACE_AUTO: the page is pictured
 * (a JPEG scan decoded small by sg_scan_grey, anything else rendered by pdf_doc_render_grey)
 * and the place in that region where the stamp covers the least ink is chosen, the nearest to
 * the corner among equals; a page that cannot be pictured gets the corner. Never fails. */
void sg_stamp_place(const char *path, pdf_reader *r, int index, const double box[4], int rotate,
                    double w, double h, double margin, sg_placement mode, sg_stamp_spot *out);
/* Page index of r as displayed (its /Rotate applied), in grey (0 black), when it is one
 * upright JPEG image edge to edge and nothing else: decoded by libjpeg at the smallest DCT scale
 * that gives at least min_ppi. *px g_malloc'ed, rows *w bytes apart (stamp_scan.c). */
typedef enum {
    SG_SCAN_OK,     /* *px holds the page */
    SG_SCAN_NONE,   /* not such a page, or a JPEG of a kind left to Poppler (CMYK) */
    SG_SCAN_BROKEN, /* such a page, but its JPEG data are damaged: nothing to measure */
} sg_scan;
SH_NODISCARD sg_scan sg_scan_grey(pdf_reader *r, int index, double min_ppi, uint8_t **px,
                                  uint32_t *w, uint32_t *h);
/* The same choice on a grey picture (0 black, px_w × px_h pixels, rows px_w bytes apart) of a
 * page displayed page_w × page_h points, for a stamp of w × h points and its margin (scaled
 * already): where its top-left corner goes, in points from the top-left corner of the page as
 * displayed (*x, *y). For tests. */
void sg_stamp_least_ink(const uint8_t *px, uint32_t px_w, uint32_t px_h, double page_w,
                        double page_h, double w, double h, double margin, double *x, double *y);
void sg_stamp_free(sg_stamp *s); /* NULL is accepted */

/* ---- times (pdftime.c): Vietnam's time, UTC+7 all year, is what the stamp and /M show ---- */

/* "D:20261121100509+07'00'" */
void sg_time_pdf_date(int64_t unix_time, char out[SG_TIME_TEXT_LEN]);
/* A PDF date (D:YYYY[MM[DD[HH[mm[SS[O[HH'[mm']]]]]]]], O one of + - Z) to unix seconds; false
 * when malformed. */
SH_NODISCARD bool sg_time_parse_pdf_date(const char *s, int64_t *unix_time);

#endif
