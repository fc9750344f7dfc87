/* A receipt is the receiver's bytes, brought back over the network or on a medium, parsed by the
 * station before anything in it is believed (and before its signature is checked, which needs
 * the parsed receiver): any input must parse into a consistent structure or fail with a UTF-8
 * message naming the receipt and the byte, never crash, leak or read past the end (the input is
 * not NUL-terminated here). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "receipt_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a receipt that parsed must be. */
static bool consistent(const up_receipt *r)
{
    if (!r->schema || strcmp(r->schema, UP_RECEIPT_SCHEMA) != 0 ||
        !up_package_id_valid(r->package) || strlen(r->receiver_cert_sha256) != 64)
        return false;
    if (r->accepted != (strcmp(r->verdict, "accepted") == 0) || (r->accepted && r->n_findings))
        return false;
    if (!r->findings || r->findings[r->n_findings] != NULL)
        return false;
    for (size_t i = 0; i < r->n_findings; i++)
        if (!r->findings[i][0])
            return false;
    for (size_t i = 0; i < r->n_volumes; i++) {
        const up_rc_volume *v = &r->volumes[i];
        if (!v->file || !g_utf8_validate(v->file, -1, NULL) || v->volume < 0 || v->of < 0 ||
            (v->sha256[0] && strlen(v->sha256) != 64))
            return false;
    }
    return r->received_at && g_utf8_validate(r->received_at, -1, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: a read past the end is a heap overflow the sanitizer reports. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    up_receipt r;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = up_receipt_parse(text, size, "the receipt R", &r, &err);
    if (st == SH_OK) {
        if (!consistent(&r))
            abort();
    } else if (st != SH_FINDINGS || !g_utf8_validate(err.msg, -1, NULL) ||
               strstr(err.msg, "the receipt R") == NULL) {
        abort();
    }
    up_receipt_clear(&r);
    free(text);
    return 0;
}
