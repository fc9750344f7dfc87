/* The Phụ lục 1 catalog, compiled in from catalog.def. */
#include "naming/naming.h"

#include <string.h>

#include <glib.h>

static const nm_doc_type CATALOG[] = {
#define DOC_TYPE(stt, priority, name_vi, name_ascii, aliases)                                      \
    {stt, priority, name_vi, name_ascii, aliases},
#include "catalog.def"
#undef DOC_TYPE
};
_Static_assert(sizeof CATALOG / sizeof *CATALOG == NM_CATALOG_SIZE, "Phụ lục 1 has 104 types");

const nm_doc_type *nm_catalog(void) { return CATALOG; }

const nm_doc_type *nm_catalog_find(int stt)
{
    return stt >= 1 && stt <= NM_CATALOG_SIZE ? &CATALOG[stt - 1] : NULL;
}

/* Does `name` (len bytes) spell `official` (official_len bytes), ignoring case, and ignoring the
 * official spaces when `name` has none (LyLichDangVien)? */
static bool spells(const char *official, size_t official_len, const char *name, size_t len,
                   bool spaceless)
{
    if (!spaceless)
        return official_len == len && g_ascii_strncasecmp(official, name, len) == 0;
    size_t i = 0;
    for (size_t k = 0; k < official_len; k++) {
        if (official[k] == ' ')
            continue;
        if (i == len || g_ascii_tolower(official[k]) != g_ascii_tolower(name[i]))
            return false;
        i++;
    }
    return i == len;
}

bool nm_type_has_name(const nm_doc_type *t, const char *name)
{
    size_t n = strlen(name);
    bool spaceless = n > 0 && !strchr(name, ' ');
    if (spells(t->name_ascii, strlen(t->name_ascii), name, n, spaceless))
        return true;
    for (const char *a = t->aliases; *a;) {
        const char *bar = strchr(a, '|');
        size_t len = bar ? (size_t)(bar - a) : strlen(a);
        if (spells(a, len, name, n, spaceless))
            return true;
        a += len + (bar ? 1 : 0);
    }
    return false;
}

char *nm_spaceless(const char *name)
{
    GString *out = g_string_sized_new(strlen(name));
    bool word_start = true;
    for (const char *p = name; *p; p++) {
        if (*p == ' ') {
            word_start = true;
            continue;
        }
        g_string_append_c(out, word_start ? g_ascii_toupper(*p) : *p);
        word_start = false;
    }
    return g_string_free(out, FALSE);
}
