/* Names inside a package ZIP: what a receiver may safely turn into a path (issue 15). */
#include "zip_impl.h"

#include <string.h>

#include <glib.h>

static const char *const REASON_TEXT[UP_ZIP_REASON_COUNT] = {
    [UP_ZIP_OK] = N_("no problem"),
    [UP_ZIP_NAME_EMPTY] = N_("the entry name is empty"),
    [UP_ZIP_NAME_TOO_LONG] = N_("the entry name is longer than 1024 bytes"),
    [UP_ZIP_NAME_NOT_UTF8] = N_("the entry name is not UTF-8"),
    [UP_ZIP_NAME_CONTROL] = N_("the entry name contains a control character"),
    [UP_ZIP_NAME_ABSOLUTE] = N_("the entry name is an absolute path"),
    [UP_ZIP_NAME_BACKSLASH] = N_("the entry name contains a backslash"),
    [UP_ZIP_NAME_DRIVE] = N_("the entry name contains a colon (a drive letter or stream name)"),
    [UP_ZIP_NAME_DOTDOT] = N_("the entry name contains a \"..\" component"),
    [UP_ZIP_NAME_EMPTY_COMPONENT] = N_("the entry name has an empty or \".\" component"),
    [UP_ZIP_NAME_NOT_NFC] = N_("the entry name is not in Unicode NFC form"),
    [UP_ZIP_NAME_DUPLICATE] = N_("the entry name occurs twice"),
    [UP_ZIP_NAME_CASE_COLLISION] = N_("the entry name differs from another only in letter case"),
    [UP_ZIP_NOT_REGULAR] = N_("the entry is not a regular file (a link, directory or device)"),
    [UP_ZIP_METHOD] = N_("the entry is compressed; only stored entries are accepted"),
    [UP_ZIP_ENCRYPTED] = N_("the entry is encrypted"),
    [UP_ZIP_TOO_MANY] = N_("the ZIP has more than 1000000 entries"),
    [UP_ZIP_TRUNCATED] = N_("the ZIP ends too early (truncated, or a size declared too large)"),
    [UP_ZIP_SIZE_MISMATCH] = N_("the entry's recorded sizes disagree"),
    [UP_ZIP_CRC_MISMATCH] = N_("the entry's data does not match its CRC-32"),
    [UP_ZIP_CENTRAL_MISMATCH] = N_("the central directory disagrees with the entries"),
    [UP_ZIP_BAD_FORMAT] = N_("the ZIP structure is damaged"),
};

const char *up_zip_reason_text(up_zip_reason reason)
{
    if ((unsigned)reason >= UP_ZIP_REASON_COUNT)
        reason = UP_ZIP_BAD_FORMAT;
    return _(REASON_TEXT[reason]);
}

static bool is_control(gunichar c) { return c < 0x20 || (c >= 0x7f && c < 0xa0); }

/* One '/'-separated component of len bytes. */
static up_zip_reason check_component(const char *c, size_t len)
{
    if (len == 0 || (len == 1 && c[0] == '.'))
        return UP_ZIP_NAME_EMPTY_COMPONENT;
    if (len == 2 && c[0] == '.' && c[1] == '.')
        return UP_ZIP_NAME_DOTDOT;
    return UP_ZIP_OK;
}

static up_zip_reason check_chars(const char *name, size_t len)
{
    for (const char *p = name; p < name + len; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (is_control(c))
            return UP_ZIP_NAME_CONTROL;
        if (c == '\\')
            return UP_ZIP_NAME_BACKSLASH;
        if (c == ':')
            return UP_ZIP_NAME_DRIVE;
    }
    return UP_ZIP_OK;
}

static up_zip_reason check_components(const char *name, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '/')
            continue;
        up_zip_reason why = check_component(name + start, i - start);
        if (why != UP_ZIP_OK)
            return why;
        start = i + 1;
    }
    return UP_ZIP_OK;
}

static up_zip_reason check_nfc(const char *name, size_t len)
{
    char *nfc = g_utf8_normalize(name, (gssize)len, G_NORMALIZE_NFC);
    bool same = nfc != NULL && strlen(nfc) == len && memcmp(nfc, name, len) == 0;
    g_free(nfc);
    return same ? UP_ZIP_OK : UP_ZIP_NAME_NOT_NFC;
}

up_zip_reason up_zip_name_check(const char *name, size_t len)
{
    if (len == 0)
        return UP_ZIP_NAME_EMPTY;
    if (len > UP_ZIP_NAME_MAX)
        return UP_ZIP_NAME_TOO_LONG;
    if (memchr(name, '\0', len) != NULL)
        return UP_ZIP_NAME_CONTROL;
    if (!g_utf8_validate(name, (gssize)len, NULL))
        return UP_ZIP_NAME_NOT_UTF8;
    up_zip_reason why = check_chars(name, len);
    if (why != UP_ZIP_OK)
        return why;
    if (name[0] == '/')
        return UP_ZIP_NAME_ABSOLUTE;
    why = check_components(name, len);
    if (why != UP_ZIP_OK)
        return why;
    return check_nfc(name, len);
}

struct up_zip_nameset {
    GHashTable *folded; /* case-folded NFC name → the name as given */
};

up_zip_nameset *up_zip_nameset_new(void)
{
    up_zip_nameset *set = g_new0(up_zip_nameset, 1);
    set->folded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return set;
}

void up_zip_nameset_free(up_zip_nameset *set)
{
    if (set == NULL)
        return;
    g_hash_table_destroy(set->folded);
    g_free(set);
}

up_zip_reason up_zip_nameset_add(up_zip_nameset *set, const char *name, size_t len)
{
    up_zip_reason why = up_zip_name_check(name, len);
    if (why != UP_ZIP_OK)
        return why;
    /* The name is NFC already; fold, then normalise again (folding can leave a non-NFC string). */
    char *folded = g_utf8_casefold(name, (gssize)len);
    char *key = g_utf8_normalize(folded, -1, G_NORMALIZE_NFC);
    g_free(folded);
    const char *other = g_hash_table_lookup(set->folded, key);
    if (other != NULL) {
        bool same = strlen(other) == len && memcmp(other, name, len) == 0;
        g_free(key);
        return same ? UP_ZIP_NAME_DUPLICATE : UP_ZIP_NAME_CASE_COLLISION;
    }
    g_hash_table_insert(set->folded, key, g_strndup(name, len));
    return UP_ZIP_OK;
}
