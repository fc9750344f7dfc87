/* The bounded, schema-directed JSON reader (core.h, "JSON reader"): package.json, the receipts,
 * the progress snapshots. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/core.h"

void sh_jr_init(sh_jr *r, const char *text, size_t len, const char *what, const char *schema,
                size_t string_max, size_t list_max, sh_error *err)
{
    *r = (sh_jr){.start = text,
                 .p = text,
                 .end = text + len,
                 .err = err,
                 .what = what,
                 .schema = schema,
                 .string_max = string_max,
                 .list_max = list_max};
}

bool sh_jr_fail(sh_jr *r, const char *fmt, ...)
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

/* sh_jr_ws and sh_jr_peek, inlined on the hot paths of this file */
static inline void skip_ws(sh_jr *r)
{
    /* most tokens follow one another without white space: one comparison then */
    while (r->p < r->end && (unsigned char)*r->p <= ' ' &&
           (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static inline bool at(sh_jr *r, char c)
{
    skip_ws(r);
    return r->p < r->end && *r->p == c;
}

void sh_jr_ws(sh_jr *r) { skip_ws(r); }

bool sh_jr_peek(sh_jr *r, char c) { return at(r, c); }

bool sh_jr_expect(sh_jr *r, char c)
{
    if (r->failed)
        return false;
    if (!at(r, c))
        return sh_jr_fail(r, _("\"%c\" expected"), c);
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

static bool hex4(sh_jr *r, unsigned *u)
{
    if (r->end - r->p < 4)
        return sh_jr_fail(r, _("a bad \\u escape"));
    *u = 0;
    for (int i = 0; i < 4; i++) {
        int v = hexval(r->p[i]);
        if (v < 0)
            return sh_jr_fail(r, _("a bad \\u escape"));
        *u = *u << 4 | (unsigned)v;
    }
    r->p += 4;
    return true;
}

/* After "\u": one code point (a surrogate pair joined); NUL and lone surrogates refused. */
static bool unicode_escape(sh_jr *r, GString *s)
{
    unsigned u = 0, low = 0;
    if (!hex4(r, &u))
        return false;
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return sh_jr_fail(r, _("a bad \\u escape"));
        r->p += 2;
        if (!hex4(r, &low))
            return false;
        if (low < 0xDC00 || low > 0xDFFF)
            return sh_jr_fail(r, _("a bad \\u escape"));
        u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
    } else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0) {
        return sh_jr_fail(r, _("a bad \\u escape"));
    }
    g_string_append_unichar(s, (gunichar)u);
    return true;
}

static bool escape(sh_jr *r, GString *s)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (r->p >= r->end)
        return sh_jr_fail(r, _("the text ends inside a string"));
    char e = *r->p++;
    if (e == 'u')
        return unicode_escape(r, s);
    const char *at = strchr(from, e);
    if (!at || !e)
        return sh_jr_fail(r, _("a bad escape in a string"));
    g_string_append_c(s, to[at - from]);
    return true;
}

char *sh_jr_string(sh_jr *r)
{
    if (!sh_jr_expect(r, '"'))
        return NULL;
    GString *s = g_string_new(NULL);
    bool ok = true;
    for (;;) {
        if (r->p >= r->end) {
            ok = sh_jr_fail(r, _("the text ends inside a string"));
            break;
        }
        unsigned char c = (unsigned char)*r->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            ok = sh_jr_fail(r, _("a control character in a string"));
        else if (c == '\\')
            ok = escape(r, s);
        else
            g_string_append_c(s, (char)c);
        if (ok && s->len > r->string_max)
            ok = sh_jr_fail(r, _("a string longer than %zu bytes"), r->string_max);
        if (!ok)
            break;
    }
    if (ok && (!g_utf8_validate_len(s->str, s->len, NULL) || memchr(s->str, '\0', s->len)))
        ok = sh_jr_fail(r, _("a string that is not UTF-8 text"));
    return g_string_free(s, !ok);
}

bool sh_jr_literal(sh_jr *r, const char *word)
{
    size_t n = strlen(word);
    skip_ws(r);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return sh_jr_fail(r, _("%s expected"), word);
    r->p += n;
    return true;
}

bool sh_jr_int(sh_jr *r, int64_t lo, int64_t hi, int64_t *v)
{
    skip_ws(r);
    bool minus = r->p < r->end && *r->p == '-';
    const char *q = r->p + minus, *digits = q;
    while (q < r->end && *q >= '0' && *q <= '9' && q - digits < 17)
        q++;
    bool more = q < r->end && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9'));
    if (q == digits || more || (q - digits > 1 && *digits == '0'))
        return sh_jr_fail(r, _("a whole number expected"));
    int64_t n = 0;
    for (const char *d = digits; d < q; d++)
        n = n * 10 + (*d - '0');
    n = minus ? -n : n;
    if (n < lo || n > hi)
        return sh_jr_fail(r, _("the number %lld is out of range"), (long long)n);
    r->p = q;
    *v = n;
    return true;
}

bool sh_jr_hex64(const char *s)
{
    if (strlen(s) != SH_SHA256_HEX_LEN)
        return false;
    for (const char *q = s; *q; q++)
        if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')))
            return false;
    return true;
}

bool sh_jr_end(sh_jr *r)
{
    skip_ws(r);
    return r->p == r->end || sh_jr_fail(r, _("something follows the object"));
}

/* ---- objects and arrays */

bool sh_jr_next_key(sh_jr *r, bool *first, char **key)
{
    if (*first) {
        *first = false;
        if (!sh_jr_expect(r, '{'))
            return false;
    } else if (!at(r, '}') && !sh_jr_expect(r, ',')) {
        return false;
    }
    if (at(r, '}')) {
        r->p++;
        return false;
    }
    *key = sh_jr_string(r);
    if (!*key)
        return false;
    if (!sh_jr_expect(r, ':')) {
        g_free(*key);
        return false;
    }
    return true;
}

bool sh_jr_next_item(sh_jr *r, bool *first)
{
    if (*first) {
        *first = false;
        if (!sh_jr_expect(r, '['))
            return false;
        if (at(r, ']')) {
            r->p++;
            return false;
        }
        return true;
    }
    if (at(r, ']')) {
        r->p++;
        return false;
    }
    return sh_jr_expect(r, ',');
}

#define AT(obj, off) ((char *)(obj) + (off))

/* The plain run of a string after its opening quote: printable ASCII up to the closing quote.
 * Most keys and short values are plain; they are read in place, with no copy. */
static size_t plain_span(const sh_jr *r, const char *from)
{
    const char *q = from;
    while (q < r->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 &&
           (unsigned char)*q < 0x7f)
        q++;
    return q < r->end && *q == '"' ? (size_t)(q - from) : SIZE_MAX;
}

bool sh_jr_text(sh_jr *r, char *out, size_t size)
{
    if (!at(r, '"'))
        return sh_jr_fail(r, _("\"%c\" expected"), '"');
    size_t n = plain_span(r, r->p + 1);
    if (n != SIZE_MAX && n < size && n <= r->string_max) {
        memcpy(out, r->p + 1, n);
        out[n] = '\0';
        r->p += n + 2;
        return true;
    }
    char *s = sh_jr_string(r);
    if (!s)
        return false;
    bool ok = strlen(s) < size || sh_jr_fail(r, _("a string longer than %zu bytes"), size - 1);
    if (ok)
        memcpy(out, s, strlen(s) + 1);
    g_free(s);
    return ok;
}

/* A SHA-256 in hex, checked and copied into its char[65] field. */
static bool read_hex(sh_jr *r, const sh_jr_field *f, void *obj)
{
    char s[SH_SHA256_HEX_LEN + 2] = "";
    if (!sh_jr_text(r, s, sizeof s))
        return false;
    if (!sh_jr_hex64(s))
        return sh_jr_fail(r, _("\"%s\" is not a SHA-256 in lower-case hex"), f->name);
    memcpy(AT(obj, f->off), s, SH_SHA256_HEX_LEN + 1);
    return true;
}

static bool read_field(sh_jr *r, const sh_jr_field *f, void *obj)
{
    bool nullable = f->kind == SH_JR_INT_OR_NULL || f->kind == SH_JR_STR_OR_NULL ||
                    f->kind == SH_JR_HEX_OR_NULL;
    if (nullable && at(r, 'n')) {
        if (f->kind == SH_JR_INT_OR_NULL)
            *(int64_t *)(void *)AT(obj, f->off) = 0;
        else if (f->kind == SH_JR_HEX_OR_NULL)
            AT(obj, f->off)[0] = '\0';
        return sh_jr_literal(r, "null");
    }
    switch (f->kind) {
    case SH_JR_FN:
        return f->fn(r, obj);
    case SH_JR_INT:
    case SH_JR_INT_OR_NULL:
        return sh_jr_int(r, f->lo, f->hi, (int64_t *)(void *)AT(obj, f->off));
    case SH_JR_STR:
    case SH_JR_STR_OR_NULL: {
        char *s = sh_jr_string(r);
        *(char **)(void *)AT(obj, f->off) = s;
        return s != NULL;
    }
    case SH_JR_TEXT:
        return sh_jr_text(r, AT(obj, f->off), (size_t)f->hi);
    default:
        return read_hex(r, f, obj);
    }
}

/* The field named by key[0..len) (not NUL-terminated), or n. The search starts at *i, the field
 * after the last one read: documents mostly follow their table's order, so it ends at once. */
static bool name_is(const char *name, const char *key, size_t len)
{
    /* key has no NUL: a shorter name differs at its terminator, which ends the loop */
    for (size_t k = 0; k < len; k++)
        if (name[k] != key[k])
            return false;
    return name[len] == '\0';
}

static size_t field_index(const sh_jr_field *fields, size_t n, const char *key, size_t len,
                          size_t from)
{
    for (size_t k = 0, i = from < n ? from : 0; k < n; k++, i = i + 1 < n ? i + 1 : 0)
        if (name_is(fields[i].name, key, len))
            return i;
    return n;
}

/* The next member's key looked up in fields (*i, n when unknown, the failure recorded); false at
 * "}" or on failure. A plain key is matched in place; others are decoded first. */
/* The key at r->p (its opening quote), when it is the plain key name followed by ':': r->p
 * moved past the ':'. The name is plain ASCII, so a key that matches it is plain too. */
static inline bool key_is(sh_jr *r, const char *name)
{
    const char *q = r->p + 1;
    while (*name && q < r->end && *q == *name)
        q++, name++;
    if (*name || r->end - q < 2 || q[0] != '"' || q[1] != ':')
        return false;
    r->p = q + 2;
    return true;
}

/* The next member's key looked up in fields (*i, n when unknown, the failure recorded); false at
 * "}" or on failure. The field after the last one read is tried first, in place; other plain
 * keys are matched in place; others are decoded first. */
static bool next_field(sh_jr *r, bool *first, const sh_jr_field *fields, size_t n, size_t *i)
{
    if (*first) {
        *first = false;
        if (!sh_jr_expect(r, '{'))
            return false;
    } else if (at(r, ',')) {
        r->p++;
    } else if (!at(r, '}') && !sh_jr_expect(r, ',')) {
        return false;
    }
    if (at(r, '}')) {
        r->p++;
        return false;
    }
    size_t next = *i + 1 < n ? *i + 1 : 0;
    if (r->p < r->end && *r->p == '"' && key_is(r, fields[next].name)) {
        *i = next;
        return true;
    }
    size_t len = r->p < r->end && *r->p == '"' ? plain_span(r, r->p + 1) : SIZE_MAX;
    char *key = NULL;
    if (len != SIZE_MAX && len <= r->string_max) {
        *i = field_index(fields, n, r->p + 1, len, *i + 1);
        if (*i == n)
            key = g_strndup(r->p + 1, len);
        r->p += len + 2;
    } else {
        key = sh_jr_string(r);
        if (!key)
            return false;
        *i = field_index(fields, n, key, strlen(key), *i + 1);
    }
    if (*i == n) {
        char *k = shown(key);
        sh_jr_fail(r, _("the key \"%s\" is not in %s"), k, r->schema);
        g_free(k);
    }
    g_free(key);
    return *i < n && sh_jr_expect(r, ':');
}

bool sh_jr_object(sh_jr *r, const sh_jr_field *fields, size_t n, void *obj)
{
    uint64_t seen = 0;
    bool first = true;
    size_t i = n - 1; /* the search for the first key starts at 0 */
    while (next_field(r, &first, fields, n, &i)) {
        if (seen & (UINT64_C(1) << i))
            return sh_jr_fail(r, _("the key \"%s\" is repeated"), fields[i].name);
        seen |= UINT64_C(1) << i;
        if (!read_field(r, &fields[i], obj))
            return false;
    }
    if (r->failed)
        return false;
    for (i = 0; i < n; i++)
        if (!(seen & (UINT64_C(1) << i)))
            return sh_jr_fail(r, _("the key \"%s\" is missing"), fields[i].name);
    return true;
}

void *sh_jr_grow(sh_jr *r, void **items, size_t *n, size_t size)
{
    if (*n >= r->list_max) {
        sh_jr_fail(r, _("a list longer than %zu items"), r->list_max);
        return NULL;
    }
    if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4 …: double */
        *items = g_realloc(*items, (*n ? 2 * *n : 1) * size);
    void *item = (char *)*items + *n * size;
    memset(item, 0, size);
    (*n)++;
    return item;
}
