/* upload — packages and their delivery (DESIGN.md, issues 15 and 16): signed dossiers packed as
 * BagIt bags in a stored ZIP, the tag manifest signed with the organisation's key, the whole
 * encrypted to the receivers' certificates (CMS AuthEnvelopedData, AES-256-GCM); their full
 * check at the receiving end; their transfer (tus over libcurl, removable media) and receipts.
 *
 * Private parts: the stored ZIP, written and read as streams (zip_impl.h), the CMS
 * AuthEnvelopedData encrypted and decrypted as streams (envelope_impl.h), the BagIt tag files
 * (bag_impl.h), the tus client (tus_impl.h), the volumes to deliver and the transfer log
 * (deliver_impl.h). */
#ifndef SOHOA_UPLOAD_H
#define SOHOA_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/core.h"
#include "sign/sign.h"

/* [upload] of sohoa.ini (config.c). Strings are NULL when unset. */
typedef struct {
    char *endpoint;       /* the receiving service's tus creation URL (https://host/files/) */
    char *package_dir;    /* where pack writes packages, relative to the workspace root */
    char *receiver_cert;  /* PEM: the default --to of pack */
    int max_volume_mb;    /* the default --max-volume, in MiB */
    char *ca_file;        /* the receiver's TLS CA (PEM); NULL: the system's CAs */
    char *client_cert;    /* PEM, for mutual TLS, or NULL */
    char *client_key;     /* PEM, or NULL (the key is in client_cert) */
    char *receiver_trust; /* the CA (PEM) of the receiver's receipt-signing key */
    int rate_limit_kib;   /* "rate_limit": KiB per second at most, 0 no limit */
    int chunk_size_kib;   /* "chunk_size": KiB per PATCH */
    int stall_seconds;    /* no byte moving for this long: the attempt is over, resumed */
    int give_up_after;    /* seconds of failing in a row before the run stops (exit 1) */
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

/* ---------------------------------------------------------------------------------------------
 * Delivery (issue 16, docs/upload.md): package volumes sent to the receiver over tus (upload.c),
 * or copied onto a medium for the air gap (export.c); the receiver's signed receipts fetched or
 * brought back, verified and stored (receipt.c). Every attempt is logged in the ledger's
 * transfers table with an audit entry.
 */

/* A package's stage, as `upload --status` shows it. */
typedef enum {
    UP_STAGE_PENDING,  /* nothing sent yet */
    UP_STAGE_SENDING,  /* some volume started (or exported onto a medium), not all received */
    UP_STAGE_RECEIVED, /* every volume's bytes on the server, digests checked; no receipt yet */
    UP_STAGE_ACCEPTED, /* the receiver's ACCEPTED receipt is stored */
    UP_STAGE_REJECTED, /* its REJECTED receipt is stored */
} up_stage;

/* "pending", "sending", "received", "accepted", "rejected": stable words for JSON. */
const char *up_stage_word(up_stage s);

/* A receipt once verified and stored (receipt.c). */
typedef struct {
    const char *package;                /* the package ID */
    const char *org;                    /* the organisation code the package was packed for */
    bool accepted;                      /* the verdict */
    const char *const *findings;        /* the receiver's codes, NULL-terminated (rejected) */
    const char *receiver;               /* the receipt signer's subject CN */
    const char *path;                   /* .sohoa/receipts/<id>.json, absolute */
    char sha256[SH_SHA256_HEX_LEN + 1]; /* of the receipt's JSON */
    bool stored_now;     /* false: the same receipt was stored before (nothing changed) */
    const char *source;  /* import-receipts: the file it was read from */
    const char *refused; /* import-receipts: why it was refused (the rest may be NULL) */
} up_receipt_report;

typedef void (*up_receipt_fn)(const up_receipt_report *r, void *ctx);

typedef struct {
    const sh_workspace *ws;
    sh_ledger *ledger; /* open for writing */
    const sh_actor *actor;
    X509_STORE *trust; /* [upload] receiver_trust: the anchors of the receipt's signature */
    const char *expect_package; /* the package asked for (upload), or NULL (import: any) */
} up_receipt_options;

/* Verify a receipt brought by source (a URL or a file, for messages and the audit entry):
 * json[0..json_len) is sohoa-receipt/1 (bounded: 1 MiB; parsed strictly: unknown, missing or
 * repeated keys refused), p7s its detached CMS signature, which must verify against o->trust
 * (one signer, chain valid now; the receipt's receiver.cert_sha256 must be the signer's); it
 * must name a package this ledger packed, and list every one of its volumes, each once, with
 * the SHA-256 and size it was packed with. Then store it: .sohoa/receipts/<id>.json and
 * .json.p7s published and recorded (receipts row, audit entry "receipt.store", subject the
 * package's organisation) in one transaction. What is stored already decides:
 * - the same receipt (same JSON): SH_OK, stored_now false;
 * - a rejected one, and this one accepted (a package later received whole): replaced, SH_OK;
 *   the rejected one is kept as .sohoa/receipts/<id>.rejected-<12 hex>.json(.p7s), named in
 *   the audit entry;
 * - another receipt with the same verdict (the receiver wrote it again): the stored one stays,
 *   SH_OK, stored_now false, r describing the stored one (path, sha256);
 * - an accepted one, and this one rejected: SH_FINDINGS (ask the receiver).
 * Publications a killed run left for the same receipt are completed first. r is filled on
 * SH_OK, valid until the next call (one thread at a time).
 * Statuses: SH_OK, SH_FINDINGS refused (untrusted or bad signature, another package, another
 * digest, not a receipt: err names the source, says which and what to do), SH_INTERNAL (disk,
 * ledger). */
SH_NODISCARD sh_status up_receipt_store(const up_receipt_options *o, const char *source,
                                        const uint8_t *json, size_t json_len, const uint8_t *p7s,
                                        size_t p7s_len, up_receipt_report *r, sh_error *err);

/* import-receipts: every DIR/<id>.json with its .json.p7s beside it (also DIR/receipts/..., as
 * `sohoa receive --into DIR` leaves them; other files are not looked at), in path order,
 * verified and stored as up_receipt_store does, after completing what a killed run left
 * (sh_publish_recover). Each is reported to fn: stored (stored_now), already stored, or refused
 * (r->refused says why; the other fields but source may be NULL). *stored counts those stored
 * now. Returns SH_FINDINGS when one was refused, SH_INPUT when DIR cannot be read or holds no
 * receipt, SH_INTERNAL (disk, ledger: the run stops there). */
SH_NODISCARD sh_status up_import_receipts(const char *dir, const up_receipt_options *o,
                                          up_receipt_fn fn, void *ctx, int *stored, sh_error *err);

/* One volume's delivery, as upload and export report it. */
typedef struct {
    const char *package, *org;
    int volume, volumes;
    const char *path;   /* the .zip.p7m, absolute */
    uint64_t bytes;     /* its size */
    uint64_t sent;      /* bytes sent (copied) in this run, retransmissions included */
    bool resumed;       /* continued an upload an earlier run started */
    bool already;       /* nothing to send: the server held every byte, or a receipt exists */
    up_stage stage;     /* the package's stage after this volume */
    const char *error;  /* why it failed, or NULL */
    const char *target; /* the endpoint, or the copy on the medium */
} up_delivery_report;

typedef void (*up_delivery_fn)(const up_delivery_report *r, void *ctx);
/* Bytes moving, for a progress bar: of this volume, and of the run's total. */
typedef void (*up_bytes_fn)(uint64_t done, uint64_t total, void *ctx);

typedef struct {
    const sh_workspace *ws;
    sh_ledger *ledger; /* open for writing */
    const sh_actor *actor;
    const up_config *cfg; /* [upload]: TLS files, limits, chunk size... */
    const char *endpoint; /* --to, else cfg->endpoint */
    X509_STORE *trust;    /* receiver_trust, to verify receipts; NULL: none fetched */
    unsigned backoff_ms;  /* the first backoff, 0: the default (tests shorten it) */
    /* seconds to wait for the receipt of a package this run sent bytes of (-1: 60, 0: one
     * look); a package that was already whole on the server gets one look, no wait: its
     * receiver had time, and a server that gives no receipts must not make every rerun wait */
    int receipt_wait;
    up_delivery_fn volume; /* each volume once done (or failed) */
    up_receipt_fn receipt; /* each receipt stored */
    up_bytes_fn bytes;     /* bytes moving */
    void *ctx;
} up_upload_options;

typedef struct {
    int packages, volumes, sent_volumes, already, failed, receipts;
    uint64_t bytes_sent;
    int awaiting;   /* upload: packages received whole whose receipt could not be had yet */
    bool resumable; /* upload: the run stopped on the network or the receiver (SH_INTERNAL), its
                     * state kept: the next run resumes (exit 1, not 4) */
} up_delivery_summary;

/* upload: files (package volumes pack made here: their paths, or NULL for every volume of
 * every package without a receipt) sent with tus, each resumed where an earlier run left it;
 * then each complete package's receipt fetched, verified and stored. Returns the worst
 * status: SH_OK, SH_FINDINGS (a receipt refused, a package rejected), SH_INTERNAL with the
 * network failing for give_up_after seconds (state kept: the next run resumes; sum->resumable),
 * SH_USAGE (configuration), SH_INPUT (a file that is no volume of this ledger, a refusal by the
 * server). A failure of one volume or receipt does not stop the others (the network's, the
 * configuration's and the ledger's do): err holds the first problem, later ones are reported
 * through sh_warn as they come. */
SH_NODISCARD sh_status up_upload(char *const *files, int n_files, const up_upload_options *o,
                                 up_delivery_summary *sum, sh_error *err);

/* A package as `upload --status` lists it. */
typedef struct {
    const char *id, *org;
    up_stage stage;
    int volumes;
    uint64_t bytes;      /* of its volumes */
    uint64_t bytes_sent; /* held by the server (or copied onto a medium), over its volumes */
    const char *error;   /* the last failure, or NULL */
    const char *created_at;
} up_package_status;

typedef void (*up_status_fn)(const up_package_status *p, void *ctx);

/* Every package of the ledger, oldest first, with its stage (one read transaction). */
SH_NODISCARD sh_status up_upload_status(sh_ledger *ledger, up_status_fn fn, void *ctx,
                                        sh_error *err);

/* The medium export writes onto, as the transfer log records it (medium.c). */
typedef struct {
    const char *dir;      /* the folder written into, canonical */
    const char *mount;    /* its filesystem's mount point (/proc/self/mountinfo) */
    const char *device;   /* the mount's source: /dev/sdb1, or "tmpfs" */
    const char *fstype;   /* vfat, exfat, ext4, tmpfs... */
    const char *uuid;     /* the filesystem's UUID; NULL when it has none (tmpfs) */
    const char *label;    /* its label; NULL when it has none */
    const char *identity; /* the transfers' target: "TYPE=vfat UUID=... LABEL=... DEVICE=...
                             MOUNT=... DIR=..." ("TYPE=tmpfs (no UUID) ...") */
    uint64_t free_bytes;  /* free for this user when the export began */
    bool workspace_fs;    /* on the workspace's own filesystem: likely no removable medium */
} up_medium;

typedef void (*up_medium_fn)(const up_medium *m, void *ctx);

typedef struct {
    const sh_workspace *ws;
    sh_ledger *ledger; /* open for writing */
    const sh_actor *actor;
    const char *to;        /* the mounted medium's folder */
    up_medium_fn medium;   /* the medium, once identified, before any copy (or NULL) */
    up_delivery_fn volume; /* each volume copied (or failed); target: the copy's path */
    up_bytes_fn bytes;
    void *ctx;
} up_export_options;

/* export: files (as for up_upload; NULL: every volume without a receipt) copied into o->to
 * as o->to/<the volume's file name> atomically (a hidden temporary name
 * .<name>.sohoa-tmp-XXXXXX, locked while written, fsync; the copy read back from the medium
 * and hashed against the ledger's SHA-256; then rename and fsync of the folder), the transfer
 * recorded with the medium's identity (filesystem UUID and label, when it has them). A copy
 * already there with the right size and digest is not copied again (already). Temporary
 * files a killed export left in o->to are removed first; o->to/SHA256SUMS lists every volume
 * exported there (rewritten atomically). Statuses: SH_OK, SH_USAGE (o->to is no writable
 * folder, or lies inside the workspace), SH_INPUT (a file that is no volume of this ledger,
 * or a volume changed since pack), SH_INTERNAL (the medium is full or failing: the
 * temporary copy is removed, nothing half-written stays; the run stops there). */
SH_NODISCARD sh_status up_export(char *const *files, int n_files, const up_export_options *o,
                                 up_delivery_summary *sum, sh_error *err);

#endif
