/* pack's parts (private to upload/): what goes in (pack_select.c, from the ledger) and how it
 * is written (pack_write.c: hashes, bag, ZIP, envelope, publication). pack.c runs them. */
#ifndef SOHOA_UPLOAD_PACK_IMPL_H
#define SOHOA_UPLOAD_PACK_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/core.h"
#include "sign/sign.h"
#include "upload/upload.h"

#define UP_SHA512_HEX_LEN 128

/* A signed document to pack, as the ledger records it. Paths are relative to the workspace
 * root, '/' separators. */
typedef struct {
    char *path;      /* the signed file: "93.000.036.001.015/012345678901_NguyenVanA/02.Ly lich dang
                        vien_signed.pdf" */
    char *original;  /* the validated original it was made from */
    int stt;         /* the type's number in the catalog */
    int seq;         /* SoThuTu of a repeated type, 0 when none */
    char *type_name; /* as printed in the catalog (NFC) */
    int pages;
    uint64_t bytes;                     /* of the signed file on disk (stat) when selected */
    char sha256[SH_SHA256_HEX_LEN + 1]; /* signatures.output_sha256 */
    char original_sha256[SH_SHA256_HEX_LEN + 1]; /* signatures.input_sha256 */
    char cert_sha256[SH_SHA256_HEX_LEN + 1];     /* signatures.cert_sha256 */
    char signed_at[32];
    char validated_at[32]; /* of the passed validation of original_sha256 */
    /* the audit entries that recorded the validation and the signature (0 / "" when absent) */
    int64_t validate_audit_id, sign_audit_id;
    char validate_audit_hash[SH_SHA256_HEX_LEN + 1], sign_audit_hash[SH_SHA256_HEX_LEN + 1];
    /* filled by pack_write.c's hash pass */
    char sha512[UP_SHA512_HEX_LEN + 1];
    uint32_t crc32;
} up_pack_doc;

typedef struct {
    char *folder;      /* "93.000.036.001.015/012345678901_NguyenVanA" */
    char *org;         /* "93.000.036.001.015" */
    char *key_kind;    /* "cccd", or "cmnd", "passport" for a temporary key (nm_key_kind_name) */
    char *key;         /* the identity key: the CCCD's 12 digits, a CMND's 9, C1234567 */
    char *name;        /* the member's name as written (NFC), from the ledger; else the folder's */
    up_pack_doc *docs; /* sorted by path */
    int n_docs;
    uint64_t bytes;  /* sum of docs[].bytes */
    char **corrects; /* package IDs that carried an earlier state of it, NULL-terminated */
} up_pack_dossier;

typedef struct {
    char *org;
    up_pack_dossier *dossiers; /* sorted by folder */
    int n_dossiers;
} up_pack_org;

typedef struct {
    up_pack_org *orgs; /* sorted by org */
    int n_orgs;
    int unchanged; /* dossiers packed before and unchanged since: left out */
} up_pack_plan;

/* What goes in, from the ledger and the file system (no file is read, only stat'ed): every
 * dossier folder under paths[0..n) (files or folders in the workspace; n == 0: the root) whose
 * every document (each PDF of the folder that is not a signed copy) has a signature row whose
 * signed copy exists with the recorded size... and whose input passed validation, and that no
 * later validation or rescan made stale. A dossier that does not qualify is passed to held()
 * with the reason (unsigned, failed, changed, missing, being written by another run) and left
 * out. A dossier whose signed files (path, sha256) are exactly those of the last package that
 * carried it is left out and counted in unchanged. Errors: SH_USAGE for a path outside the
 * workspace or that does not exist, SH_INPUT for an unreadable folder, SH_INTERNAL (ledger). */
SH_NODISCARD sh_status up_pack_select(const sh_workspace *ws, sh_ledger *ledger,
                                      const char *signed_suffix, char *const *paths, int n_paths,
                                      up_held_fn held, void *ctx, up_pack_plan *plan,
                                      sh_error *err);
void up_pack_plan_clear(up_pack_plan *plan);
void up_pack_dossier_clear(up_pack_dossier *d);

/* ---- writing (pack_write.c) ---- */

/* Hash the signed file doc->path (under root) with SHA-256 and SHA-512: doc->sha512 and
 * doc->bytes are filled; when its SHA-256 is not the ledger's (doc->sha256), *problem says so
 * (g_free; the dossier is held back). SH_INPUT when it cannot be read (a symbolic link, not a
 * regular file, gone). */
SH_NODISCARD sh_status up_pack_hash_doc(const char *root, up_pack_doc *doc, char **problem,
                                        sh_error *err);

/* One volume to write. */
typedef struct {
    const char *root; /* the workspace root: the documents' paths are relative to it */
    const char *package_id;
    int volume, volumes;
    const char *org;
    const char *source_organization; /* as the signer's certificate or [sign] says (NFC) */
    const char *station, *operator_name;
    const char *created_at; /* 2026-12-06T10:00:00.000Z */
    int64_t created_unix;
    const char *basis;
    char *const *corrects; /* NULL-terminated; may be NULL */
    const char *signer_cert_sha256;
    int64_t audit_head_id;
    const char *audit_head_hash;
    const up_pack_dossier *const *dossiers; /* this volume's, sorted by folder */
    int n_dossiers;
} up_volume_spec;

typedef struct {
    char sha256[SH_SHA256_HEX_LEN + 1]; /* of the encrypted file */
    uint64_t bytes;                     /* of the encrypted file */
    uint64_t zip_bytes, payload_bytes;
} up_volume_written;

/* The encrypted bytes' way to the hidden temp file (pack_sink.c): hashed and written by a
 * writer thread while the next ones are encrypted. up_cipher_sink_write is an up_sink_fn. */
typedef struct up_cipher_sink up_cipher_sink;
up_cipher_sink *up_cipher_sink_new(sh_atomic_file *file, sh_error *err);
SH_NODISCARD sh_status up_cipher_sink_write(void *ctx, const uint8_t *buf, size_t len,
                                            sh_error *err);
/* The last bytes written, the writer stopped: the SHA-256 and size of what the file holds. */
SH_NODISCARD sh_status up_cipher_sink_finish(up_cipher_sink *s, char sha256[SH_SHA256_HEX_LEN + 1],
                                             uint64_t *bytes, sh_error *err);
void up_cipher_sink_free(up_cipher_sink *s); /* NULL is accepted */

/* package.json of the volume (docs/package.md), its text in *out (g_free). */
SH_NODISCARD sh_status up_pack_json(const up_volume_spec *v, char **out, size_t *len,
                                    sh_error *err);
/* Write the volume into f (an sh_atomic_file still open): the bag's tag files, the tag manifest
 * signed with signer (stampless, unlocked), the ZIP, all encrypted to the recipients on the
 * way. Every payload file is hashed again while it is read: one that changed since
 * up_pack_hash_doc is SH_INPUT. On failure f holds garbage: the caller aborts it. */
SH_NODISCARD sh_status up_pack_write_volume(const up_volume_spec *v, sg_signer *signer,
                                            X509 *const *recipients, int n_recipients,
                                            sh_atomic_file *f, up_volume_written *out,
                                            sh_error *err);

#endif
