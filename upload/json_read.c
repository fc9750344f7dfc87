/* The bounded, schema-directed JSON reader (json_read_impl.h): package.json and the receipts. */
#include "json_read_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "upload/upload.h"

void up_jr_init(up_jr *r, const char *text, size_t len, const char *what, const char *schema,
                size_t string_max, size_t list_max, sh_error *err)
{
    *r = (up_jr){.start = text,
                 .p = text,
                 .end = text + len,
                 .err = err,
                 .what = what,
                 .schema = schema,
                 .string_max = string_max,
                 .list_max = list_max};
}

bool up_jr_fail(up_jr *r, const char *fmt, ...)
{
    if (r->failed)
        return false;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sh_fail(r->err, SH_FINDINGS, _("%s, byte %zu: %s"), r->what, (size_t)(r->p - r->start), what);
    g_free(what);
    return false;
}

/* A key as it may be shown: control characters replaced, at most 64 bytes. */
static char *shown(const char *key)
{
    char *s = g_utf8_make_valid(key, -1);
    for (char *q = s; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            *q = '?';
    if (strlen(s) > 64) {
        const char *cut = g_utf8_find_prev_char(s, s + 64);
        s[cut ? cut - s : 0] = '\0';
    }
    return s;
}

void up_jr_ws(up_jr *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

bool up_jr_peek(up_jr *r, char c)
{
    up_jr_ws(r);
    return r->p < r->end && *r->p == c;
}

bool up_jr_expect(up_jr *r, char c)
{
    if (r->failed)
        return false;
    if (!up_jr_peek(r, c))
        return up_jr_fail(r, _("\"%c\" expected"), c);
    r->p++;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(up_jr *r, unsigned *u)
{
    if (r->end - r->p < 4)
        return up_jr_fail(r, _("a bad \\u escape"));
    *u = 0;
    for (int i = 0; i < 4; i++) {
        int v = hexval(r->p[i]);
        if (v < 0)
            return up_jr_fail(r, _("a bad \\u escape"));
        *u = *u << 4 | (unsigned)v;
    }
    r->p += 4;
    return true;
}

/* After "\u": one code point (a surrogate pair joined); NUL and lone surrogates refused. */
static bool unicode_escape(up_jr *r, GString *s)
{
    unsigned u = 0, low = 0;
    if (!hex4(r, &u))
        return false;
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return up_jr_fail(r, _("a bad \\u escape"));
        r->p += 2;
        if (!hex4(r, &low))
            return false;
        if (low < 0xDC00 || low > 0xDFFF)
            return up_jr_fail(r, _("a bad \\u escape"));
        u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
    } else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0) {
        return up_jr_fail(r, _("a bad \\u escape"));
    }
    g_string_append_unichar(s, (gunichar)u);
    return true;
}

static bool escape(up_jr *r, GString *s)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (r->p >= r->end)
        return up_jr_fail(r, _("the text ends inside a string"));
    char e = *r->p++;
    if (e == 'u')
        return unicode_escape(r, s);
    const char *at = strchr(from, e);
    if (!at || !e)
        return up_jr_fail(r, _("a bad escape in a string"));
    g_string_append_c(s, to[at - from]);
    return true;
}

char *up_jr_string(up_jr *r)
{
    if (!up_jr_expect(r, '"'))
        return NULL;
    GString *s = g_string_new(NULL);
    bool ok = true;
    for (;;) {
        if (r->p >= r->end) {
            ok = up_jr_fail(r, _("the text ends inside a string"));
            break;
        }
        unsigned char c = (unsigned char)*r->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            ok = up_jr_fail(r, _("a control character in a string"));
        else if (c == '\\')
            ok = escape(r, s);
        else
            g_string_append_c(s, (char)c);
        if (ok && s->len > r->string_max)
            ok = up_jr_fail(r, _("a string longer than %zu bytes"), r->string_max);
        if (!ok)
            break;
    }
    if (ok && (!g_utf8_validate_len(s->str, s->len, NULL) || memchr(s->str, '\0', s->len)))
        ok = up_jr_fail(r, _("a string that is not UTF-8 text"));
    return g_string_free(s, !ok);
}

bool up_jr_literal(up_jr *r, const char *word)
{
    size_t n = strlen(word);
    up_jr_ws(r);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return up_jr_fail(r, _("%s expected"), word);
    r->p += n;
    return true;
}

bool up_jr_int(up_jr *r, int64_t lo, int64_t hi, int64_t *v)
{
    up_jr_ws(r);
    bool minus = r->p < r->end && *r->p == '-';
    const char *q = r->p + minus, *digits = q;
    while (q < r->end && *q >= '0' && *q <= '9' && q - digits < 17)
        q++;
    bool more = q < r->end && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9'));
    if (q == digits || more || (q - digits > 1 && *digits == '0'))
        return up_jr_fail(r, _("a whole number expected"));
    int64_t n = 0;
    for (const char *d = digits; d < q; d++)
        n = n * 10 + (*d - '0');
    n = minus ? -n : n;
    if (n < lo || n > hi)
        return up_jr_fail(r, _("the number %lld is out of range"), (long long)n);
    r->p = q;
    *v = n;
    return true;
}

bool up_jr_hex64(const char *s)
{
    if (strlen(s) != SH_SHA256_HEX_LEN)
        return false;
    for (const char *q = s; *q; q++)
        if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')))
            return false;
    return true;
}

bool up_jr_end(up_jr *r)
{
    up_jr_ws(r);
    return r->p == r->end || up_jr_fail(r, _("something follows the object"));
}

/* ---- objects and arrays */

bool up_jr_next_key(up_jr *r, bool *first, char **key)
{
    if (*first) {
        *first = false;
        if (!up_jr_expect(r, '{'))
            return false;
    } else if (!up_jr_peek(r, '}') && !up_jr_expect(r, ',')) {
        return false;
    }
    if (up_jr_peek(r, '}')) {
        r->p++;
        return false;
    }
    *key = up_jr_string(r);
    if (!*key)
        return false;
    if (!up_jr_expect(r, ':')) {
        g_free(*key);
        return false;
    }
    return true;
}

bool up_jr_next_item(up_jr *r, bool *first)
{
    if (*first) {
        *first = false;
        if (!up_jr_expect(r, '['))
            return false;
        if (up_jr_peek(r, ']')) {
            r->p++;
            return false;
        }
        return true;
    }
    if (up_jr_peek(r, ']')) {
        r->p++;
        return false;
    }
    return up_jr_expect(r, ',');
}

#define AT(obj, off) ((char *)(obj) + (off))

/* A string of a fixed-size kind (hex, ID) checked and copied into its field. */
static bool read_fixed(up_jr *r, const up_jr_field *f, void *obj)
{
    char *s = up_jr_string(r);
    if (!s)
        return false;
    bool ok = true;
    if ((f->kind == UP_JR_HEX || f->kind == UP_JR_HEX_OR_NULL) && !up_jr_hex64(s))
        ok = up_jr_fail(r, _("\"%s\" is not a SHA-256 in lower-case hex"), f->name);
    else if (f->kind == UP_JR_ID && !up_package_id_valid(s))
        ok = up_jr_fail(r, _("\"%s\" is not a package ID"), f->name);
    else
        strcpy(AT(obj, f->off), s); /* 64 or 26 characters, checked; the field holds them */
    g_free(s);
    return ok;
}

static bool read_field(up_jr *r, const up_jr_field *f, void *obj)
{
    bool nullable = f->kind == UP_JR_INT_OR_NULL || f->kind == UP_JR_STR_OR_NULL ||
                    f->kind == UP_JR_HEX_OR_NULL;
    if (nullable && up_jr_peek(r, 'n')) {
        if (f->kind == UP_JR_INT_OR_NULL)
            *(int64_t *)(void *)AT(obj, f->off) = 0;
        else if (f->kind == UP_JR_HEX_OR_NULL)
            AT(obj, f->off)[0] = '\0';
        return up_jr_literal(r, "null");
    }
    switch (f->kind) {
    case UP_JR_FN:
        return f->fn(r, obj);
    case UP_JR_INT:
    case UP_JR_INT_OR_NULL:
        return up_jr_int(r, f->lo, f->hi, (int64_t *)(void *)AT(obj, f->off));
    case UP_JR_STR:
    case UP_JR_STR_OR_NULL: {
        char *s = up_jr_string(r);
        *(char **)(void *)AT(obj, f->off) = s;
        return s != NULL;
    }
    default:
        return read_fixed(r, f, obj);
    }
}

bool up_jr_object(up_jr *r, const up_jr_field *fields, size_t n, void *obj)
{
    uint64_t seen = 0;
    bool first = true;
    char *key = NULL;
    while (up_jr_next_key(r, &first, &key)) {
        size_t i = 0;
        while (i < n && strcmp(fields[i].name, key) != 0)
            i++;
        char *k = shown(key);
        g_free(key);
        bool ok = i < n && !(seen & (UINT64_C(1) << i));
        if (i == n)
            up_jr_fail(r, _("the key \"%s\" is not in %s"), k, r->schema);
        else if (!ok)
            up_jr_fail(r, _("the key \"%s\" is repeated"), k);
        g_free(k);
        if (!ok)
            return false;
        seen |= UINT64_C(1) << i;
        if (!read_field(r, &fields[i], obj))
            return false;
    }
    if (r->failed)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(seen & (UINT64_C(1) << i)))
            return up_jr_fail(r, _("the key \"%s\" is missing"), fields[i].name);
    return true;
}

void *up_jr_grow(up_jr *r, void **items, size_t *n, size_t size)
{
    if (*n >= r->list_max) {
        up_jr_fail(r, _("a list longer than %zu items"), r->list_max);
        return NULL;
    }
    if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4 …: double */
        *items = g_realloc(*items, (*n ? 2 * *n : 1) * size);
    void *item = (char *)*items + *n * size;
    memset(item, 0, size);
    (*n)++;
    return item;
}
