/* pack's parts (private to upload/): what goes in (pack_select.c, from the ledger) and how it
 * is written (pack_write.c: hashes, bag, ZIP, envelope, publication). pack.c runs them. */
#ifndef SOHOA_UPLOAD_PACK_IMPL_H
#define SOHOA_UPLOAD_PACK_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
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
    char *key_kind;    /* "cccd" (later also "cmnd", "passport") */
    char *key;         /* the identity key: the CCCD's 12 digits */
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

#endif
