/* The receiver's receipt (schema sohoa-receipt/1, docs/package.md "The receipt") read back at the
 * station (receipt_read.c), for up_receipt_store (receipt.c) and import-receipts
 * (receipt_import.c). Private to upload/. */
#ifndef SOHOA_UPLOAD_RECEIPT_IMPL_H
#define SOHOA_UPLOAD_RECEIPT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "upload/upload.h"

#define UP_RECEIPT_SCHEMA "sohoa-receipt/1"
/* Bounds: the JSON (a receipt of 9,999 volumes and every finding code is far smaller), its
 * detached signature, each string, each list. */
#define UP_RECEIPT_JSON_MAX ((size_t)1 << 20)
#define UP_RECEIPT_P7S_MAX ((size_t)1 << 20)
#define UP_RECEIPT_STRING_MAX 1024
#define UP_RECEIPT_LIST_MAX 10000

/* One volume file the receiver was given. */
typedef struct {
    char *file;                         /* its name there */
    int64_t volume, of;                 /* 0 when null (the receiver could not read it) */
    int64_t bytes;                      /* as received */
    char sha256[SH_SHA256_HEX_LEN + 1]; /* as received; "" when null */
} up_rc_volume;

typedef struct {
    char *schema;
    char package[UP_PACKAGE_ID_LEN + 1];
    char *organisation; /* NULL when null */
    char *verdict;      /* "accepted" or "rejected" */
    bool accepted;
    up_rc_volume *volumes;
    size_t n_volumes;
    int64_t dossiers, documents;
    char **findings; /* n_findings codes, then NULL */
    size_t n_findings;
    char *received_at;
    char *receiver_cn, *receiver_org; /* NULL when null */
    char receiver_cert_sha256[SH_SHA256_HEX_LEN + 1];
} up_receipt;

/* Parse text[0..len) into *out (cleared first; up_receipt_clear it whatever the result). Strict:
 * one JSON object of exactly the keys of sohoa-receipt/1 (any order, each once; so also in the
 * receiver's objects), values of the right types, strings UTF-8 without NUL, SHA-256 values 64
 * lower-case hex digits; the schema's name, a package ID, an organisation code or null, the
 * verdict "accepted" or "rejected" (accepted: no finding), codes of letters, digits, "." and "_",
 * received_at YYYY-MM-DDTHH:MM:SS(.mmm)Z; nothing after the object but blanks; at most
 * UP_RECEIPT_JSON_MAX bytes. what names the receipt in the message ("the receipt SOURCE").
 * SH_FINDINGS with err saying what is wrong and at which byte. */
SH_NODISCARD sh_status up_receipt_parse(const char *text, size_t len, const char *what,
                                        up_receipt *out, sh_error *err);
void up_receipt_clear(up_receipt *r);

#endif
