/* Names come from folder listings and from what operators type: every parser of a name part
 * must take any bytes without crashing, and what it produces must be well-formed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "naming/naming.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = g_strndup((const char *)data, size); /* stops at an embedded NUL, like argv */

    nm_match m[8];
    size_t n = nm_match_title(text, m, 8);
    for (size_t i = 0; i < n; i++)
        if (!m[i].type || m[i].score < 0.0 || m[i].score > 1.0)
            __builtin_trap();
    nm_match_is_clear(m, n);

    char *title = nm_document_title(text);
    if (title && nm_has_non_ascii(title))
        __builtin_trap(); /* the canonical rule must give printable ASCII */
    char *person = nm_person_name(text);
    if (person && nm_has_non_ascii(person))
        __builtin_trap();
    g_free(nm_ascii(text));

    nm_org_code_valid(text);
    int year;
    nm_cccd_check(text, 2026, &year);
    char cccd[13];
    const char *rest;
    if (nm_split_dossier_folder(text, cccd, &rest))
        nm_person_part_valid(rest);

    g_free(person);
    g_free(title);
    g_free(text);
    return 0;
}
