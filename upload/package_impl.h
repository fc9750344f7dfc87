/* package.json (schema sohoa-package/1, docs/package.md) read back at the receiving end: a
 * bounded, schema-directed JSON parser (package_read.c). Private to upload/. */
#ifndef SOHOA_UPLOAD_PACKAGE_IMPL_H
#define SOHOA_UPLOAD_PACKAGE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "upload/upload.h"

#define UP_PACKAGE_SCHEMA "sohoa-package/1"
/* Bounds: the file (a volume of 1 GiB holds a few MB of it), strings, list lengths. */
#define UP_PACKAGE_JSON_MAX ((size_t)64 << 20)
#define UP_PACKAGE_STRING_MAX 4096
#define UP_PACKAGE_LIST_MAX 1000000

typedef struct {
    char *path;
    int64_t stt;
    char *type;
    int64_t seq; /* 0 when null */
    int64_t pages;
    int64_t bytes;
    char sha256[SH_SHA256_HEX_LEN + 1];
    char original_sha256[SH_SHA256_HEX_LEN + 1];
    char signer_cert_sha256[SH_SHA256_HEX_LEN + 1];
    char *signed_at;
    char *validation_verdict, *validation_at;
    size_t n_audit; /* the audit entries, checked for shape only */
} up_pkg_document;

typedef struct {
    char *folder;
    char *identity_kind, *identity_key;
    char *name;
    char *cell, *organisation;
    up_pkg_document *docs;
    size_t n_docs;
} up_pkg_dossier;

typedef struct {
    char *schema;
    char package[UP_PACKAGE_ID_LEN + 1];
    int64_t volume, volumes;
    char *organisation, *station, *operator_name, *created_at, *basis;
    char **corrects; /* n_corrects of them */
    size_t n_corrects;
    int64_t share_level;
    char *catalog;
    char signer_cert_sha256[SH_SHA256_HEX_LEN + 1];
    up_pkg_dossier *dossiers;
    size_t n_dossiers;
    int64_t audit_head_id;
    char audit_head_hash[SH_SHA256_HEX_LEN + 1];
} up_package_json;

/* Parse text[0..len) into *out (cleared first; up_package_json_clear it whatever the result).
 * Strict: one JSON object of exactly the keys of sohoa-package/1 (any order, each once), values
 * of the right types, strings valid UTF-8 without NUL, SHA-256 values 64 lower-case hex digits,
 * IDs ULIDs; nothing after the object but blanks. SH_FINDINGS with err saying what is wrong and
 * at which byte; SH_INTERNAL when memory runs out. */
SH_NODISCARD sh_status up_package_json_parse(const char *text, size_t len, up_package_json *out,
                                             sh_error *err);
void up_package_json_clear(up_package_json *p);

#endif
