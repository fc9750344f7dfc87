/* Batch sheets come from Excel, from other tools and from hand edits: any bytes must give rows
 * or an SH_INPUT error, and every row returned must keep the promises of ingest.h. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "ingest/ingest.h"

static bool text_ok(const char *s) { return s && g_utf8_validate(s, -1, NULL); }

static bool trimmed(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && s[0] != ' ' && s[0] != '\t' && s[n - 1] != ' ' && s[n - 1] != '\t';
}

static bool row_ok(const in_manifest_row *r, int previous_row)
{
    if (r->row <= previous_row || !text_ok(r->org_code) || !text_ok(r->cccd) ||
        !text_ok(r->person_name) || (r->problem && !text_ok(r->problem)))
        return false;
    /* A value the row could not read is 0 and said so; a row without problem is complete. */
    if (r->type_stt < 0 || r->type_stt > NM_CATALOG_SIZE || (r->type_stt == 0 && !r->problem))
        return false;
    if (r->seq < 0 || r->seq > 999 || r->expected_pages < 0 || r->expected_pages > 100000 ||
        (r->dpi != 0 && (r->dpi < 50 || r->dpi > 4800)))
        return false;
    if (!r->problem && (!*r->org_code || !*r->cccd || !*r->person_name || r->n_sources == 0))
        return false;
    if (!r->sources || r->n_sources > IN_MANIFEST_MAX_SOURCES || r->sources[r->n_sources])
        return false;
    for (size_t i = 0; i < r->n_sources; i++)
        if (!text_ok(r->sources[i]) || !trimmed(r->sources[i]) || strpbrk(r->sources[i], ";|\n"))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in_manifest_row *rows = NULL;
    size_t n = 0;
    sh_error err;
    if (in_manifest_parse((const char *)data, size, "fuzz.csv", &rows, &n, &err) == SH_OK) {
        if ((n == 0) != (rows == NULL) || n > IN_MANIFEST_MAX_ROWS)
            __builtin_trap();
        int previous = 1; /* the header is line 1 at least */
        for (size_t i = 0; i < n; i++) {
            if (!row_ok(&rows[i], previous))
                __builtin_trap();
            previous = rows[i].row;
        }
    } else if (n != 0 || rows != NULL || err.status != SH_INPUT || !err.msg[0]) {
        __builtin_trap();
    }
    in_manifest_free(rows, n);
    return 0;
}
