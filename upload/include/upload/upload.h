/* upload — packages and their delivery (DESIGN.md, issues 15 and 16): signed dossiers packed as
 * BagIt bags in a stored ZIP, the tag manifest signed with the organisation's key, the whole
 * encrypted to the receivers' certificates (CMS AuthEnvelopedData, AES-256-GCM); their full
 * check at the receiving end; their transfer (tus over libcurl, removable media) and receipts.
 *
 * Built so far (issue 15 in progress): package identifiers (here), and the private parts pack
 * and receive will be assembled from: the stored ZIP, written and read as streams (zip_impl.h),
 * the CMS AuthEnvelopedData encrypted and decrypted as streams (envelope_impl.h), the BagIt tag
 * files written and checked (bag_impl.h). */
#ifndef SOHOA_UPLOAD_H
#define SOHOA_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/core.h"
#include "sign/sign.h"

/* [upload] of sohoa.ini (config.c). Strings are NULL when unset. */
typedef struct {
    char *endpoint;      /* the receiving service (issue 16) */
    char *package_dir;   /* where pack writes packages, relative to the workspace root */
    char *receiver_cert; /* PEM: the default --to of pack */
    int max_volume_mb;   /* the default --max-volume, in MiB */
} up_config;

/* The table of [upload]: a program that reads it lists this section (sh_config_use_sections). */
extern const sh_config_section up_config_section;
/* The [upload] values of cfg; NULL when the program does not list up_config_section. */
const up_config *up_config_get(const sh_config *cfg);

/* [receive] of sohoa.ini (config.c): the defaults of `sohoa receive` in a workspace, and what the
 * receiving hub (hub/) runs it with. Paths relative to the workspace root; NULL when unset. */
typedef struct {
    char *pkcs12;   /* the receiver's key */
    char *pin_env;  /* the environment variable holding its passphrase */
    char *pin_file; /* or the file */
    char *trust;    /* the senders' CA certificates (PEM) */
    char *into;     /* where accepted packages are extracted */
} up_receive_config;

extern const sh_config_section up_receive_config_section;
const up_receive_config *up_receive_config_get(const sh_config *cfg);

/* A package ID: a ULID (26 characters of Crockford's base 32: 48 bits of milliseconds since
 * 1970, then 80 random bits), so that IDs sort by the time they were made and need no
 * coordination between stations. */
#define UP_PACKAGE_ID_LEN 26

/* A new ID for the time unix_ms, from the operating system's random source. */
SH_NODISCARD sh_status up_package_id_new(int64_t unix_ms, char out[UP_PACKAGE_ID_LEN + 1],
                                         sh_error *err);
/* Is text a package ID as up_package_id_new writes them (upper case, the time in range)? */
bool up_package_id_valid(const char *text);

/* ---------------------------------------------------------------------------------------------
 * pack (pack.c, pack_select.c, pack_write.c): signed dossiers into packages, one per organisation
 * folder and run, in volumes (docs/package.md).
 */

/* A volume written, published and recorded. */
typedef struct {
    const char *package;                /* the package ID */
    const char *org;                    /* M1.M2.M3.M4.M5 */
    int volume, volumes;                /* 1-based k of n */
    const char *path;                   /* the .zip.p7m, absolute */
    uint64_t bytes;                     /* of the .zip.p7m */
    char sha256[SH_SHA256_HEX_LEN + 1]; /* of the .zip.p7m */
    int dossiers, documents;
    uint64_t payload_bytes;
    char *const *corrects; /* the package IDs it corrects, NULL-terminated */
    bool oversized;        /* one dossier larger than max_volume, alone in its volume */
} up_volume_report;

/* Why a dossier (or a whole folder) is not packed: a translated sentence saying what to do. */
typedef void (*up_held_fn)(const char *path, const char *reason, void *ctx);
typedef void (*up_volume_fn)(const up_volume_report *v, void *ctx);

typedef struct {
    const sh_workspace *ws;
    sh_ledger *ledger; /* open for writing */
    const sh_actor *actor;
    const char *signed_suffix;     /* [naming] signed_suffix */
    const char *const *recipients; /* PEM certificate files (--to), 1..16 */
    int n_recipients;
    sg_key_source key;    /* the organisation's key (signs the tag manifest) */
    const char *secret;   /* the PIN or passphrase already read (--pin-env), or NULL */
    const char *pin_file; /* else read from this file when needed, else asked on the terminal */
    const char *out_dir;  /* absolute, inside the workspace */
    uint64_t max_volume;  /* payload bytes per volume */
    const char *basis;    /* --basis: one line, not empty */
    up_held_fn held;      /* each dossier held back, in path order */
    up_volume_fn volume;  /* each volume once published and recorded */
    void *ctx;
} up_pack_options;

typedef struct {
    int packages, volumes, dossiers, documents, held_back, unchanged;
    uint64_t bytes;
} up_pack_summary;

/* Pack every dossier under paths[0..n) (default: the workspace root) whose documents are all
 * signed and unchanged; dossiers packed before and unchanged since are skipped (counted in
 * unchanged), changed ones go into a package that names the earlier one in `corrects`.
 * Interrupted publications of earlier runs are completed first. Each volume is published with
 * core's publish-and-record protocol (visible only once the ledger holds it). Returns the worst
 * status: SH_FINDINGS when something was held back, SH_USAGE / SH_INPUT for bad options, a key
 * or certificate that cannot be used, active content (pack.active_content) in a file. */
SH_NODISCARD sh_status up_pack(char *const *paths, int n_paths, const up_pack_options *o,
                               up_pack_summary *sum, sh_error *err);

/* ---------------------------------------------------------------------------------------------
 * receive (receive*.c, package_read.c): the receiving end's full check of packages, the
 * extraction of valid ones and signed receipts (docs/package.md, "Receiving").
 */

/* A package once judged: every volume file given for it, read and checked. */
typedef struct {
    const char *id;           /* the package ID; NULL when no volume could be read far enough */
    const char *org;          /* package.json's organisation (M1.M2.M3.M4.M5); NULL when unknown */
    int volumes;              /* volume files given for it */
    const char *const *files; /* those files, as given (volumes of them) */
    bool accepted;            /* no finding of severity error */
    int dossiers, documents;
    const sh_finding *findings; /* codes receive.*, in the order found */
    size_t n_findings;
    size_t more_findings;  /* findings beyond the UP_RECEIVE_FINDINGS_MAX kept, counted only */
    sh_status status;      /* SH_OK accepted, SH_FINDINGS rejected, SH_INPUT a volume file
                              unreadable or not encrypted for this key */
    const char *extracted; /* DIR/<id> when extracted now; else NULL */
    const char *receipt;   /* DIR/receipts/<id>.json when written; else NULL */
} up_receive_report;

#define UP_RECEIVE_FINDINGS_MAX 1000

typedef void (*up_receive_fn)(const up_receive_report *r, void *ctx);

typedef struct {
    sg_signer *signer;     /* unlocked; its key (PKCS#12) decrypts, and signs the receipts */
    X509_STORE *trust;     /* anchors for the tag manifest's and the PDFs' signatures */
    const char *into;      /* extract valid packages and write receipts in DIR; NULL: check only */
    const char *tmp_dir;   /* decrypted volumes (hidden: O_TMPFILE); NULL: into, else $TMPDIR */
    up_receive_fn package; /* each package once judged, in the order of its first file */
    void *ctx;
} up_receive_options;

typedef struct {
    int packages, accepted, rejected, unreadable, receipts;
} up_receive_summary;

/* Check each volume file (decrypted into a hidden temporary file with bounded memory, nothing
 * trusted before the tag), group them by package, check each package in full, report it to
 * o->package; with o->into, publish a valid package as DIR/<id> in one rename and write a
 * receipt (accepted or rejected) signed with the receiver's key. Returns the worst status of
 * the packages (SH_FINDINGS, SH_INPUT), or an error that stopped the run in err: SH_USAGE when
 * the key cannot decrypt (a token's key never leaves it) or DIR is unusable, SH_INTERNAL (disk
 * full, out of memory). */
SH_NODISCARD sh_status up_receive(char *const *files, int n_files, const up_receive_options *o,
                                  up_receive_summary *sum, sh_error *err);

#endif
