/* receive's parts (private to upload/): receive.c judges the packages and reports them,
 * receive_volume.c reads one volume (decryption into a hidden temporary file, the ZIP walked
 * once, payload streamed through its digests into the extraction), receive_check.c holds the
 * checks of the signature, package.json and the PDFs, receive_extract.c the staging folder and
 * its publication, receive_receipt.c the signed receipt. */
#ifndef SOHOA_UPLOAD_RECEIVE_IMPL_H
#define SOHOA_UPLOAD_RECEIVE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bag_impl.h"
#include "core/core.h"
#include "package_impl.h"
#include "upload/upload.h"
#include "zip_impl.h"

#define UP_RX_TAGS_MAX 64                  /* tag files of a bag */
#define UP_RX_P7S_MAX ((size_t)1 << 20)    /* the tag manifest's signature */
#define UP_RX_DATA_PREFIX "data/"          /* the payload, inside the bag */
#define UP_RX_STAGING_PREFIX ".receiving-" /* DIR/.receiving-<id>-XXXXXX */
#define UP_RX_SIGNATURE "tagmanifest-sha512.txt.p7s"
#define UP_RX_TAGMANIFEST "tagmanifest-sha512.txt"

/* A volume file as judged, kept for the package's checks and its receipt. */
typedef struct {
    char *file;                         /* as given */
    char sha256[SH_SHA256_HEX_LEN + 1]; /* of the file as received ("" when unread) */
    uint64_t bytes;
    int volume, volumes; /* from package.json; 0 when unknown */
    char *group;         /* Bag-Group-Identifier; NULL when none */
    char *org;           /* package.json's organisation; NULL when unknown */
    bool complete;       /* decrypted, and its ZIP read to the end */
    int dossiers, documents;
    char *package_json; /* its bytes (g_free), kept for the extraction; NULL when none */
    size_t package_json_len;
} up_rx_volume;

/* A package: the volumes given for one package ID. */
typedef struct {
    char *id;         /* NULL: unknown (a file that could not be read) */
    GArray *volumes;  /* up_rx_volume */
    GArray *findings; /* sh_finding, their strings owned */
    size_t more_findings;
    size_t errors;
    sh_status status; /* the worst: SH_OK, SH_FINDINGS, SH_INPUT */
    char *staging;    /* DIR/.receiving-<id>-XXXXXX while extracting; NULL when none */
    int staging_fd;   /* its descriptor, locked (flock) while it is ours; -1 */
    char *extracted, *receipt;
} up_rx_package;

typedef struct {
    const up_receive_options *o;
    X509 *cert;
    EVP_PKEY *key;
    const char *tmp_dir; /* where decrypted volumes and unextracted files are held */
    GPtrArray *packages; /* up_rx_package *, in the order of their first file */
} up_rx;

/* One volume being read (receive_volume.c), as the checks see it. */
typedef struct {
    up_rx *rx;
    up_rx_package *pkg; /* known from the ZIP's top folder, else the file name */
    up_rx_volume vol;
    char name_id[UP_PACKAGE_ID_LEN + 1]; /* the package ID in the file name, "" when none */
    char *top;                           /* the bag's folder (the first name's first part) */
    up_bag_tag tags[UP_RX_TAGS_MAX];
    size_t n_tags, tag_bytes;
    uint8_t *p7s;
    size_t p7s_len;
    GArray *payload; /* up_bag_entry, paths owned */
    GArray *certs;   /* up_rx_cert: the last PDF signature's certificate per payload file */
    bool signature_done;
    char signer_sha256[SH_SHA256_HEX_LEN + 1]; /* of the tag manifest's signer ("" unknown) */
    up_package_json pj;
    bool pj_ok;
    bool skipped; /* a copy of a volume read already */
} up_rx_reading;

typedef struct {
    char hex[SH_SHA256_HEX_LEN + 1];
} up_rx_cert;

/* ---- receive.c */
up_rx_package *up_rx_package_for(up_rx *rx, const char *id);
/* A finding of pkg (severity error unless said), its volume given as a value when k > 0. */
void up_rx_report(up_rx_package *pkg, const char *code, sh_severity sev, const char *path, int k,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A finding made elsewhere (the bag checker's), copied into pkg. */
void up_rx_add_finding(up_rx_package *pkg, const sh_finding *f, int k);
/* Text from the package fit to show: valid UTF-8, control characters '?'. g_free. */
char *up_rx_printable(const char *s);

/* ---- receive_volume.c: one volume file into its package; findings recorded there. Errors
 * only for what stops the whole run (disk full, out of memory). */
SH_NODISCARD sh_status up_rx_read_volume(up_rx *rx, const char *file, sh_error *err);
/* The package v belongs to: from the ZIP's top folder once seen, else the file name's ID (a
 * package of its own when neither names one). */
up_rx_package *up_rx_reading_package(up_rx_reading *v);

/* ---- receive_check.c */
void up_rx_check_signature(up_rx_reading *v);
/* The PDF on descriptor fd (payload path `path`): its signatures; cert (the last signature's
 * certificate, "" when none) for package.json's check. */
void up_rx_check_pdf(up_rx_reading *v, const char *path, int fd, up_rx_cert *cert);
/* package.json against the bag-info, the folder and the payload; fills vol's counts. */
void up_rx_check_package_json(up_rx_reading *v);
/* The volumes of pkg: all present, each once, consistent. */
void up_rx_check_volumes(up_rx_package *pkg);

/* ---- receive_extract.c */
/* Remove what killed runs left in dir: .receiving-* folders whose owner is gone. */
void up_rx_sweep(const char *dir);
/* A file for payload path rel ("data/…") in pkg's staging folder (made at the first call), or
 * -1 with errno (EEXIST, ENOTDIR: a clash) when it cannot be made there; SH_INTERNAL for what
 * stops the run. */
SH_NODISCARD sh_status up_rx_staging_file(up_rx *rx, up_rx_package *pkg, const char *rel, int *fd,
                                          sh_error *err);
/* An anonymous temporary file (O_TMPFILE, 0600) in rx->tmp_dir. */
SH_NODISCARD sh_status up_rx_temp_file(const up_rx *rx, int *fd, sh_error *err);
/* Publish pkg's staging folder as DIR/<id> (its package.json files added, every file and folder
 * flushed, one rename). */
SH_NODISCARD sh_status up_rx_publish(up_rx *rx, up_rx_package *pkg, sh_error *err);
/* Remove pkg's staging folder, if any. */
void up_rx_discard(up_rx_package *pkg);
/* write(2) all of buf, retrying on EINTR. */
SH_NODISCARD bool up_rx_write_all(int fd, const void *buf, size_t len);

/* ---- receive_receipt.c: DIR/receipts/<id>.json and .json.p7s, atomically. */
SH_NODISCARD sh_status up_rx_write_receipt(up_rx *rx, up_rx_package *pkg, sh_error *err);

#endif
