/* The BagIt tag files of a package (RFC 8493; docs/package.md, "BagIt tag files"): writing them
 * from the payload the packer streamed, and checking a received bag against the payload the
 * receiver streamed. Private to upload until pack and receive are assembled from it. */
#ifndef SOHOA_UPLOAD_BAG_IMPL_H
#define SOHOA_UPLOAD_BAG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define UP_BAG_SHA256_HEX 64
#define UP_BAG_SHA512_HEX 128
/* Bounds on what the checker reads: each tag file, each line, the entries of a manifest. A
 * manifest-sha512.txt of 1,000,000 entries with paths of 70 bytes is 196 MB: the byte bound
 * lets the entry bound be reached. */
#define UP_BAG_MAX_TAG_BYTES ((size_t)256 << 20)
#define UP_BAG_MAX_LINE 8192
#define UP_BAG_MAX_ENTRIES 1000000

/* A payload file: its path in the bag ("data/…", UTF-8, '/' separators), size and digests as
 * lower-case hex. The packer and the receiver compute them while streaming the file. */
typedef struct {
    const char *path;
    uint64_t size;
    char sha256[UP_BAG_SHA256_HEX + 1];
    char sha512[UP_BAG_SHA512_HEX + 1];
} up_bag_entry;

/* bag-info.txt. Every value is one line (no CR or LF) and not empty; group and count only when
 * the package is split into volumes (bag_total > 1), else NULL and 0. */
typedef struct {
    const char *source_organization;
    const char *external_identifier;        /* the package ID (up_package_id_valid) */
    const char *bagging_date;               /* YYYY-MM-DD */
    const char *internal_sender_identifier; /* the station */
    const char *basis;                      /* written as Sohoa-Basis */
    const char *bag_group_identifier;
    unsigned bag_count, bag_total; /* Bag-Count: "<count> of <total>" */
} up_bag_info;

/* A tag file by its name at the top of the bag ("bagit.txt", "package.json" …) and its bytes. */
typedef struct {
    const char *name;
    const char *data;
    size_t len;
} up_bag_tag;

typedef enum { UP_BAG_SHA256, UP_BAG_SHA512 } up_bag_alg;

/* The writers return the exact file text in *out (g_free), LF line ends, no BOM, the same bytes
 * for the same input. */
/* "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n". */
SH_NODISCARD sh_status up_bag_write_bagit(char **out, size_t *len, sh_error *err);
/* bag-info.txt, Payload-Oxum counted from the n entries. SH_INTERNAL on a value the caller
 * should never have passed (empty, a line break, a bad count). */
SH_NODISCARD sh_status up_bag_write_info(const up_bag_info *info, const up_bag_entry *entries,
                                         size_t n, char **out, size_t *len, sh_error *err);
/* manifest-sha256.txt or manifest-sha512.txt: "<hex>  <path>" lines sorted bytewise by path,
 * CR, LF and % in paths percent-encoded. SH_INTERNAL on a duplicate path or a bad digest. */
SH_NODISCARD sh_status up_bag_write_manifest(up_bag_alg alg, const up_bag_entry *entries, size_t n,
                                             char **out, size_t *len, sh_error *err);
/* tagmanifest-sha512.txt over the n tag files given (never itself), sorted by name. */
SH_NODISCARD sh_status up_bag_write_tagmanifest(const up_bag_tag *tags, size_t n, char **out,
                                                size_t *len, sh_error *err);

/* SHA-512 of data as lower-case hex (the tag manifest's digest). */
void up_bag_sha512_hex(const void *data, size_t len, char hex[UP_BAG_SHA512_HEX + 1]);

/* The value of label (matched ignoring case; the first when repeated; folded lines joined) in
 * the "Label: value" text[0..len) of bagit.txt or bag-info.txt; NULL when absent. g_free. */
char *up_bag_field_value(const char *text, size_t len, const char *label);

/* Check a received bag: its tag files (all files at the top of the bag, tagmanifest-sha512.txt
 * among them) against the payload files seen in the package (every file under data/). Each
 * problem is one finding (codes receive.bag.*, docs/package.md) to sink, in one full pass;
 * *n_errors (may be NULL) counts them. SH_FINDINGS when there was any, SH_OK when the bag is
 * valid, SH_INTERNAL when memory ran out. */
SH_NODISCARD sh_status up_bag_check(const up_bag_tag *tags, size_t n_tags,
                                    const up_bag_entry *payload, size_t n_payload,
                                    sh_finding_sink sink, void *ctx, size_t *n_errors,
                                    sh_error *err);

#endif
