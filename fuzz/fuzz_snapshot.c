/* A progress snapshot comes from another station and is parsed at the province (report merge)
 * after its signature is checked, but the reader is bounded on its own: any input must parse
 * into a consistent report or fail with a UTF-8 message naming the file and the byte, never
 * crash, leak or read past the end (the input is not NUL-terminated here). The peek at the
 * station and sequence number is fuzzed on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "snapshot_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a snapshot that parsed must be. */
static bool consistent(const pg_report *r)
{
    if (!r->station[0] || r->seq < 1 || r->min_cell != 0 || r->n_rows < 1 ||
        r->rows[0].level != 0 || r->rows[0].org[0])
        return false;
    for (size_t i = 1; i < r->n_rows; i++)
        if (r->rows[i].level < 1 || r->rows[i].level > 5 ||
            (i > 1 && strcmp(r->rows[i - 1].org, r->rows[i].org) >= 0))
            return false;
    for (size_t i = 0; i < r->n_rows; i++)
        for (int s = 0; s < PG_N_STAGES; s++)
            if (r->rows[i].stage[s] > (uint64_t)PG_COUNT_MAX)
                return false;
    return g_utf8_validate(r->station, -1, NULL) && g_utf8_validate(r->as_of, -1, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: a read past the end is a heap overflow the sanitizer reports. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    char station[64];
    int64_t seq = 0;
    if (pg_snapshot_peek(text, size, station, &seq) && (seq < 1 || !memchr(station, 0, 64)))
        abort();
    pg_report *r = NULL;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = pg_snapshot_parse(text, size, "the snapshot S", &r, &err);
    if (st == SH_OK) {
        if (!r || !consistent(r))
            abort();
    } else if (st != SH_FINDINGS || r || !g_utf8_validate(err.msg, -1, NULL) ||
               strstr(err.msg, "the snapshot S") == NULL) {
        abort();
    }
    pg_report_free(r);
    free(text);
    return 0;
}
