/* The Phụ lục 1 catalog, compiled in from catalog.def. */
#include "naming.h"

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

bool nm_type_has_name(const nm_doc_type *t, const char *name)
{
    if (g_ascii_strcasecmp(t->name_ascii, name) == 0)
        return true;
    size_t n = strlen(name);
    for (const char *a = t->aliases; *a;) {
        const char *bar = strchr(a, '|');
        size_t len = bar ? (size_t)(bar - a) : strlen(a);
        if (len == n && g_ascii_strncasecmp(a, name, n) == 0)
            return true;
        a += len + (bar ? 1 : 0);
    }
    return false;
}
