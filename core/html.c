/* HTML text for the self-contained pages: validate's report and the progress dashboard escape
 * their user data the same way. */
#include "core/core.h"

#include <string.h>

#include <glib.h>

static void put_escaped_byte(GString *s, unsigned char c)
{
    switch (c) {
    case '&':
        g_string_append(s, "&amp;");
        break;
    case '<':
        g_string_append(s, "&lt;");
        break;
    case '>':
        g_string_append(s, "&gt;");
        break;
    case '"':
        g_string_append(s, "&quot;");
        break;
    case '\'':
        g_string_append(s, "&#39;");
        break;
    default:
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
            g_string_append(s, "\xEF\xBF\xBD");
        else
            g_string_append_c(s, (char)c);
    }
}

char *sh_html_escape(const char *text)
{
    if (!text)
        return g_strdup("");
    char *valid = g_utf8_make_valid(text, -1);
    GString *s = g_string_sized_new(strlen(valid) + 16);
    for (const char *p = valid; *p; p++)
        put_escaped_byte(s, (unsigned char)*p);
    g_free(valid);
    return g_string_free(s, FALSE);
}
