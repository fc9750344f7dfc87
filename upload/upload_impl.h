/* upload's private parts (upload.c, upload_ledger.c, receipt_fetch.c): the uploads rows of the
 * ledger, and the receiver's receipts fetched over HTTP(S). Private to upload. */
#ifndef SOHOA_UPLOAD_UPLOAD_IMPL_H
#define SOHOA_UPLOAD_UPLOAD_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "deliver_impl.h"
#include "tus_impl.h"

/* A receipt and its signature are small: anything larger is not sohoa's. */
#define UP_RECEIPT_FETCH_MAX (1u << 20)
#define UP_RECEIPT_WAIT_DEFAULT 60u

/* ---- the uploads rows (upload_ledger.c) ---- */

/* The uploads row of v for endpoint: its URL (g_free; NULL when none) and whether every byte is
 * on the server. One read transaction. */
SH_NODISCARD sh_status up_ul_get(sh_ledger *l, const up_dv_volume *v, const char *endpoint,
                                 char **url, bool *complete, sh_error *err);
/* The upload's URL for v (and endpoint), inside the caller's write transaction. */
SH_NODISCARD sh_status up_ul_store_url(sh_ledger *l, const up_dv_volume *v, const char *endpoint,
                                       const char *url, sh_error *err);
/* An attempt's end: the server's offset, whether it holds every byte, the error (or NULL); in
 * its own transaction. */
SH_NODISCARD sh_status up_ul_finish(sh_ledger *l, const up_dv_volume *v, const char *endpoint,
                                    uint64_t offset, bool complete, const char *error,
                                    sh_error *err);
/* Has every volume of package reached endpoint whole? */
SH_NODISCARD sh_status up_ul_package_complete(sh_ledger *l, const char *package,
                                              const char *endpoint, bool *complete, sh_error *err);
/* The transfers of package over tus that delivered bytes get the receipt's SHA-256. */
SH_NODISCARD sh_status up_ul_note_receipt(sh_ledger *l, const char *package, const char *sha256,
                                          sh_error *err);

/* ---- receipts over HTTP (receipt_fetch.c) ---- */

typedef struct {
    uint8_t *json, *p7s; /* g_free */
    size_t json_len, p7s_len;
    char url[UP_TUS_URL_MAX]; /* the JSON's URL, for messages and the audit entry */
    char problem[256];        /* when not there: why, in words */
    bool found;
} up_fetched_receipt;

/* GET <scheme://host:port of tls->endpoint>/receipts/<package> and .p7s, with tls's CA and
 * client certificate, each bounded to UP_RECEIPT_FETCH_MAX; while the receiver answers 404 (or
 * fails for now), asked again with backoff for at most wait_s seconds. Not there by then:
 * SH_OK with found false and the reason in problem. SH_FINDINGS: an answer larger than the
 * bound; SH_USAGE: the endpoint is no URL. */
SH_NODISCARD sh_status up_receipt_fetch(const up_tus_options *tls, const char *package,
                                        unsigned wait_s, up_fetched_receipt *out, sh_error *err);
void up_fetched_receipt_clear(up_fetched_receipt *r);

#endif
