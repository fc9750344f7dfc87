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

    /* File names: the strict parser, and the lenient reading under both profiles; whatever
     * they guess must make a name the strict parser accepts. The profile is taken from the
     * input, so that both are covered without matching every title twice. */
    nm_rules rules;
    nm_rules_default(&rules);
    for (int profile = (int)(size & 1); profile < (int)(size & 1) + 1; profile++) {
        rules.spaces = profile ? NM_SPACES_FORBID : NM_SPACES_ALLOW;
        rules.signed_suffix = profile ? ".signed" : "_signed";
        nm_file_id id;
        if (nm_parse_file_name(text, &rules, &id) && !id.type)
            __builtin_trap();
        nm_file_diagnosis d;
        nm_diagnose_file_name(text, &rules, &d);
        if (d.guess.type) {
            char *name = nm_canonical_file_name(&d.guess, &rules);
            nm_file_id back;
            if (!nm_parse_file_name(name, &rules, &back) || back.type != d.guess.type ||
                back.seq != d.guess.seq || back.is_signed != d.guess.is_signed)
                __builtin_trap();
            g_free(name);
        }
    }

    g_free(person);
    g_free(title);
    g_free(text);
    return 0;
}
