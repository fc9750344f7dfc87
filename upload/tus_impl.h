/* The tus 1.0.0 resumable-upload client (issue 16): core, creation, termination, expiration and
 * the checksum extension with sha256, over libcurl. It delivers one file (a package volume) and
 * owns the whole state machine: libcurl never retries by itself, and the receiving side may
 * rate-limit, drop connections, stall or forget uploads without notice (HD 11 IV.5b).
 *
 * Memory is bounded to one chunk: each chunk is read with pread, hashed, and sent from memory,
 * so a retried chunk is the same bytes as the first attempt. Nothing secret passes through here:
 * TLS keys are named by path, and no request carries credentials in a header.
 *
 * Private to upload: tus.c (the protocol's steps), tus_http.c (requests, failures and waits),
 * tus_parse.c (URLs and header values). */
#ifndef SOHOA_UPLOAD_TUS_IMPL_H
#define SOHOA_UPLOAD_TUS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "core/core.h"

#define UP_TUS_URL_MAX 2048                 /* an endpoint, a stored or a Location URL */
#define UP_TUS_CHUNK_DEFAULT (8u << 20)     /* 8 MiB: one PATCH, and all the memory we hold */
#define UP_TUS_CHUNK_MAX (256u << 20)       /* a bigger chunk is a configuration mistake */
#define UP_TUS_STALL_DEFAULT 60u            /* seconds without a byte moving */
#define UP_TUS_GIVE_UP_DEFAULT (15u * 60u)  /* seconds of failing in a row */
#define UP_TUS_BACKOFF_CAP_MS (60u * 1000u) /* the longest wait between two attempts */
#define UP_TUS_METADATA_MAX 4096            /* the Upload-Metadata header we build */

/* Bytes of the file the server holds (sent), of length; called while a chunk moves. */
typedef void (*up_tus_progress_fn)(void *ctx, uint64_t sent, uint64_t length);

/* The upload's URL, once the server made it: the caller stores it (in the ledger, in the same
 * transaction that marks the transfer started) before the first byte is sent, so that a crash
 * at any later moment resumes there. replaced: a stored URL the server no longer knows (expired,
 * 404/410, or another file's) was replaced by this one. A failure stops the upload with it. */
typedef sh_status (*up_tus_stored_fn)(void *ctx, const char *url, bool replaced, sh_error *err);

/* What the server said to OPTIONS, asked once per run: the caller keeps one of these, zeroed,
 * for all the volumes of a run (NULL in the options: asked for every file). */
typedef struct {
    bool known;
    bool creation;     /* Tus-Extension lists creation */
    bool termination;  /* ... termination */
    bool sha256;       /* Tus-Checksum-Algorithm lists sha256: each PATCH carries its checksum */
    uint64_t max_size; /* Tus-Max-Size, 0 when not given */
} up_tus_caps;

typedef struct {
    /* The creation URL, "https://host/files/". Plain http only to a loopback address
     * (127.0.0.0/8, ::1, localhost); anything else is SH_USAGE. */
    const char *endpoint;
    const char *ca_file;     /* the receiver's CA (PEM); when given, the system CAs are not used */
    const char *client_cert; /* PEM, for mutual TLS, or NULL */
    const char *client_key;  /* PEM, or NULL (then the key is in client_cert) */
    uint64_t rate_limit;     /* bytes per second sent at most, 0: no limit */
    size_t chunk_size;       /* bytes per PATCH, 0: UP_TUS_CHUNK_DEFAULT */
    unsigned stall_seconds;  /* no byte moving for this long ends an attempt, 0: default */
    unsigned give_up_after;  /* seconds of failing in a row before the run stops, 0: default */
    unsigned backoff_ms;     /* the first backoff, 0: 1000 ms (tests shorten it) */
    up_tus_caps *caps;       /* the run's cache of OPTIONS, or NULL */
    up_tus_progress_fn progress;
    void *progress_ctx;
    up_tus_stored_fn stored; /* required: see up_tus_stored_fn */
    void *stored_ctx;
} up_tus_options;

/* Upload-Metadata: each value is sent base64-encoded; NULL (or 0) leaves a key out. */
typedef struct {
    const char *package; /* the package ID */
    unsigned volume;     /* 1-based */
    unsigned volumes;
    const char *org;      /* the organisation code */
    const char *filename; /* the volume's file name */
    const char *sha256;   /* the volume's SHA-256, hex */
} up_tus_metadata;

typedef struct {
    char url[UP_TUS_URL_MAX]; /* the upload's URL (also on failure, once known), or "" */
    uint64_t length;          /* the file's size */
    uint64_t offset;          /* the server's offset when the call ended */
    uint64_t bytes_sent;      /* PATCH body bytes sent in this call, retransmissions included */
    bool already_complete;    /* the server held every byte before this call: nothing sent */
    bool created;             /* a new upload was created in this call */
    bool adopted;             /* the server answered the creation with the upload it holds for
                               * this volume (409 with Location): resumed there */
    bool receipt_ready;       /* the server answered the creation with its receipt (303): it
                               * holds the whole package; nothing sent, already_complete set */
    bool retryable;           /* the failure is the network's or the server's for now: the
                               * caller keeps its state, exits 1, and the next run resumes */
    unsigned retries;         /* attempts that failed and were retried */
} up_tus_result;

/* Delivers the file at path. With stored_url (from an earlier run): HEAD, then PATCH from the
 * server's offset; an upload the server no longer knows (404/410) or whose length is not the
 * file's is created anew and reported through o->stored. Without: POST creation. A receiver
 * that holds the volume already (the hub: one upload per package volume) may answer the POST
 * with 409 and the held upload's Location: that URL is adopted (reported through o->stored),
 * then HEAD and PATCH from its offset; or with 303 once it has the package's receipt: nothing is
 * sent, res->receipt_ready and res->already_complete are set.
 *
 * Statuses:
 * - SH_OK: the server holds every byte (res->offset == res->length).
 * - SH_USAGE: the options are wrong (endpoint, http to a non-loopback host, chunk size, TLS
 *   files, a certificate the CA does not verify): the operator must change the configuration.
 * - SH_INPUT: the file cannot be read, or the server refused the upload for good (400, 403,
 *   413, 412, no creation extension...): sending again would not help.
 * - SH_INTERNAL with res->retryable: failures (connection reset, timeouts, stalls, 5xx, 429)
 *   went on for give_up_after seconds; the server's state and the stored URL are kept, and the
 *   next run resumes. The caller maps this to exit 1. Without retryable: out of memory, or a
 *   failure of o->stored. */
SH_NODISCARD sh_status up_tus_upload(const up_tus_options *o, const char *path,
                                     const up_tus_metadata *md, const char *stored_url,
                                     up_tus_result *res, sh_error *err);

/* Terminates (DELETE) a stale upload; one the server no longer knows (404/410) counts as done.
 * Statuses as up_tus_upload's. */
SH_NODISCARD sh_status up_tus_terminate(const up_tus_options *o, const char *url, sh_error *err);

/* ---------------------------------------------------------------------------------------------
 * Shared by tus.c, tus_http.c and tus_parse.c.
 */

/* How one request ended, as the state machine sees it. */
typedef enum {
    UP_TUS_DONE,      /* the expected 2xx */
    UP_TUS_WAIT,      /* 429 or 503: wait (Retry-After, else backoff), then again */
    UP_TUS_TRANSIENT, /* reset, timeout, stall, 5xx: back off, then again */
    UP_TUS_CONFLICT,  /* 409: the offset is not the server's */
    UP_TUS_CHECKSUM,  /* 460: the chunk arrived damaged */
    UP_TUS_GONE,      /* 404, 410: the upload expired or was forgotten */
    UP_TUS_REFUSED,   /* any other status: the server will not take it */
    UP_TUS_BROKEN,    /* TLS verification, certificate files, bad URL: the configuration */
} up_tus_outcome;

/* One call's state: the connection, the file, the chunk in memory and the failing clock. */
typedef struct {
    const up_tus_options *o;
    CURL *curl;
    const char *path;
    int fd;
    uint64_t length;
    char url[UP_TUS_URL_MAX];
    uint8_t *chunk; /* one chunk of the file, sent from memory */
    size_t chunk_len, chunk_pos;
    uint64_t chunk_offset; /* where the chunk starts in the file */
    uint64_t body_seen;    /* response body bytes, dropped */
    /* the stall timer: bytes moved either way by this request, and when that last changed */
    curl_off_t moved;
    int64_t moved_at; /* monotonic microseconds */
    bool stalled;
    up_tus_result *res;
    /* the last response */
    long code;
    CURLcode cc;
    char curl_msg[CURL_ERROR_SIZE];
    /* failures in a row: since when, how many, and the last one in words */
    int64_t failing_since; /* monotonic microseconds, 0: the last request succeeded */
    unsigned failures;
    char problem[256];
} up_tus_run;

/* What every request to the receiver shares: http(s) only, no redirects, the user agent, the
 * connect and stall timeouts, the receiver's CA and the client certificate (tus and receipts). */
void up_tus_set_connection(CURL *c, const up_tus_options *o);
/* Sets up r->curl for the options (TLS, limits, stall detection); SH_USAGE for bad options. */
SH_NODISCARD sh_status up_tus_open(up_tus_run *r, sh_error *err);
/* One request: method (HEAD, OPTIONS, POST, PATCH, DELETE) to url with the tus headers and
 * extra (may be NULL); with_body sends r->chunk. Fills r->code, r->cc; SH_OK unless the request
 * could not even be set up (out of memory). */
SH_NODISCARD sh_status up_tus_perform(up_tus_run *r, const char *method, const char *url,
                                      struct curl_slist *extra, bool with_body, sh_error *err);
/* Classifies the last response (any 2xx is DONE) and describes it in r->problem. */
up_tus_outcome up_tus_classify(up_tus_run *r);
/* A response header of the last request (the last one of that name), or NULL; longer than max
 * bytes counts as absent. */
const char *up_tus_header(up_tus_run *r, const char *name, size_t max);
/* Marks the last request a success: the failing clock stops. */
void up_tus_succeeded(up_tus_run *r);
/* After a WAIT or TRANSIENT outcome: waits (Retry-After or backoff with jitter) and SH_OK, or,
 * once failing has gone on for give_up_after seconds, SH_INTERNAL with res->retryable. */
SH_NODISCARD sh_status up_tus_wait(up_tus_run *r, up_tus_outcome outcome, sh_error *err);
/* The error for an outcome that ends the call (REFUSED, BROKEN, or an unexpected GONE...):
 * SH_INPUT or SH_USAGE with the URL, the status and what to do. */
sh_status up_tus_fail(up_tus_run *r, const char *url, sh_error *err);

/* Checks that url is https, or http to a loopback host; SH_USAGE naming what (the endpoint, the
 * server's Location...) otherwise. */
SH_NODISCARD sh_status up_tus_check_url(const char *url, const char *what, sh_error *err);
/* Resolves ref (a Location: absolute, or relative to base) into out, checked as above. */
SH_NODISCARD sh_status up_tus_resolve(const char *base, const char *ref, char out[UP_TUS_URL_MAX],
                                      sh_error *err);
/* Parses a decimal header value into *v (0..max); false for anything else: signs, spaces
 * inside, overflow, more than 20 digits, the empty string. */
bool up_tus_parse_u64(const char *s, uint64_t max, uint64_t *v);
/* Seconds to wait from a Retry-After value (delta-seconds or HTTP-date) at time now; -1 when it
 * is neither. A date in the past is 0. */
int64_t up_tus_retry_after(const char *value, int64_t now);
/* Builds the Upload-Metadata value; SH_USAGE when it would pass UP_TUS_METADATA_MAX. */
SH_NODISCARD sh_status up_tus_metadata_header(const up_tus_metadata *md,
                                              char out[UP_TUS_METADATA_MAX], sh_error *err);

#endif
