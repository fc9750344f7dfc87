/* Vietnamese → ASCII. Decomposing to NFD turns every precomposed letter (ấ, ộ, ữ…) into its base
 * letter plus combining marks, which are then dropped; text already in NFD (typed on a Mac) goes
 * the same way. đ/Đ are letters of their own, not d plus a mark, so they are mapped by hand. */
#include "naming/naming.h"

#include <string.h>

#include <glib.h>

static bool is_combining_mark(gunichar c)
{
    GUnicodeType t = g_unichar_type(c);
    return t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACING_MARK ||
           t == G_UNICODE_ENCLOSING_MARK;
}

char *nm_ascii(const char *utf8)
{
    if (!utf8 || !g_utf8_validate(utf8, -1, NULL))
        return NULL;
    char *nfd = g_utf8_normalize(utf8, -1, G_NORMALIZE_NFD);
    if (!nfd)
        return NULL;
    GString *out = g_string_sized_new(strlen(nfd));
    for (const char *p = nfd; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == 0x0111) /* đ */
            g_string_append_c(out, 'd');
        else if (c == 0x0110 || c == 0x00D0) /* Đ, and the look-alike Ð of legacy fonts */
            g_string_append_c(out, 'D');
        else if (!is_combining_mark(c))
            g_string_append_unichar(out, c);
    }
    g_free(nfd);
    return g_string_free(out, FALSE);
}

bool nm_has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return true;
    return false;
}

char *nm_document_title(const char *utf8)
{
    char *ascii = nm_ascii(utf8);
    if (!ascii)
        return NULL;
    GString *out = g_string_sized_new(strlen(ascii));
    bool pending_space = false;
    for (const char *p = ascii; *p; p++) {
        if (g_ascii_isalnum(*p)) {
            if (pending_space && out->len)
                g_string_append_c(out, ' ');
            pending_space = false;
            g_string_append_c(out, g_ascii_tolower(*p));
        } else {
            pending_space = true; /* punctuation, spaces, anything not ASCII: a word break */
        }
    }
    g_free(ascii);
    if (out->len)
        out->str[0] = g_ascii_toupper(out->str[0]);
    return g_string_free(out, FALSE);
}

char *nm_person_name(const char *utf8)
{
    char *ascii = nm_ascii(utf8);
    if (!ascii)
        return NULL;
    GString *out = g_string_sized_new(strlen(ascii));
    bool word_start = true;
    for (const char *p = ascii; *p; p++) {
        if (g_ascii_isalpha(*p)) {
            g_string_append_c(out, word_start ? g_ascii_toupper(*p) : g_ascii_tolower(*p));
            word_start = false;
        } else if (*p == ' ' || *p == '-' || *p == '\'' || *p == '\t') {
            word_start = true;
        } else {
            g_free(ascii);
            g_string_free(out, TRUE);
            return NULL; /* digits, punctuation or letters we cannot write in ASCII */
        }
    }
    g_free(ascii);
    return g_string_free(out, FALSE);
}
