/* package.json read back (docs/package.md, "package.json"): a strict parser directed by the
 * schema sohoa-package/1. Bounded: the text (UP_PACKAGE_JSON_MAX), each string, each list; the
 * nesting is the schema's own (unknown keys are refused, never skipped), and memory grows only
 * with what is kept. */
#include "package_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "naming/naming.h"

typedef struct {
    const char *start, *p, *end;
    bool failed;
    sh_error *err;
} jr;

static bool jfail(jr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool jfail(jr *r, const char *fmt, ...)
{
    if (r->failed)
        return false;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sh_fail(r->err, SH_FINDINGS, _("package.json, byte %zu: %s"), (size_t)(r->p - r->start), what);
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

static void ws(jr *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool peek(jr *r, char c)
{
    ws(r);
    return r->p < r->end && *r->p == c;
}

static bool expect(jr *r, char c)
{
    if (r->failed)
        return false;
    if (!peek(r, c))
        return jfail(r, _("\"%c\" expected"), c);
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

static bool hex4(jr *r, unsigned *u)
{
    if (r->end - r->p < 4)
        return jfail(r, _("a bad \\u escape"));
    *u = 0;
    for (int i = 0; i < 4; i++) {
        int v = hexval(r->p[i]);
        if (v < 0)
            return jfail(r, _("a bad \\u escape"));
        *u = *u << 4 | (unsigned)v;
    }
    r->p += 4;
    return true;
}

/* After "\u": one code point (a surrogate pair joined); NUL and lone surrogates refused. */
static bool unicode_escape(jr *r, GString *s)
{
    unsigned u = 0, low = 0;
    if (!hex4(r, &u))
        return false;
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return jfail(r, _("a bad \\u escape"));
        r->p += 2;
        if (!hex4(r, &low))
            return false;
        if (low < 0xDC00 || low > 0xDFFF)
            return jfail(r, _("a bad \\u escape"));
        u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
    } else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0) {
        return jfail(r, _("a bad \\u escape"));
    }
    g_string_append_unichar(s, (gunichar)u);
    return true;
}

static bool escape(jr *r, GString *s)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (r->p >= r->end)
        return jfail(r, _("the text ends inside a string"));
    char e = *r->p++;
    if (e == 'u')
        return unicode_escape(r, s);
    const char *at = strchr(from, e);
    if (!at || !e)
        return jfail(r, _("a bad escape in a string"));
    g_string_append_c(s, to[at - from]);
    return true;
}

/* A string value (g_free), or NULL with the failure recorded. */
static char *jstring(jr *r)
{
    if (!expect(r, '"'))
        return NULL;
    GString *s = g_string_new(NULL);
    bool ok = true;
    for (;;) {
        if (r->p >= r->end) {
            ok = jfail(r, _("the text ends inside a string"));
            break;
        }
        unsigned char c = (unsigned char)*r->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            ok = jfail(r, _("a control character in a string"));
        else if (c == '\\')
            ok = escape(r, s);
        else
            g_string_append_c(s, (char)c);
        if (ok && s->len > UP_PACKAGE_STRING_MAX)
            ok = jfail(r, _("a string longer than %d bytes"), UP_PACKAGE_STRING_MAX);
        if (!ok)
            break;
    }
    if (ok && (!g_utf8_validate_len(s->str, s->len, NULL) || memchr(s->str, '\0', s->len)))
        ok = jfail(r, _("a string that is not UTF-8 text"));
    return g_string_free(s, !ok);
}

static bool literal(jr *r, const char *word)
{
    size_t n = strlen(word);
    ws(r);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return jfail(r, _("%s expected"), word);
    r->p += n;
    return true;
}

/* A whole number from lo to hi: no fraction, exponent or leading zero. */
static bool jint(jr *r, int64_t lo, int64_t hi, int64_t *v)
{
    ws(r);
    bool minus = r->p < r->end && *r->p == '-';
    const char *q = r->p + minus, *digits = q;
    while (q < r->end && *q >= '0' && *q <= '9' && q - digits < 17)
        q++;
    bool more = q < r->end && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9'));
    if (q == digits || more || (q - digits > 1 && *digits == '0'))
        return jfail(r, _("a whole number expected"));
    int64_t n = 0;
    for (const char *d = digits; d < q; d++)
        n = n * 10 + (*d - '0');
    n = minus ? -n : n;
    if (n < lo || n > hi)
        return jfail(r, _("the number %lld is out of range"), (long long)n);
    r->p = q;
    *v = n;
    return true;
}

static bool hex64(const char *s)
{
    if (strlen(s) != SH_SHA256_HEX_LEN)
        return false;
    for (const char *q = s; *q; q++)
        if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')))
            return false;
    return true;
}

/* ---- objects and arrays */

/* The next member's key (g_free) after "{" or the last member; false at "}" or on failure. */
static bool next_key(jr *r, bool *first, char **key)
{
    if (*first) {
        *first = false;
        if (!expect(r, '{'))
            return false;
    } else if (!peek(r, '}') && !expect(r, ',')) {
        return false;
    }
    if (peek(r, '}')) {
        r->p++;
        return false;
    }
    *key = jstring(r);
    if (!*key)
        return false;
    if (!expect(r, ':')) {
        g_free(*key);
        return false;
    }
    return true;
}

/* True when another item follows, after "[" or the last item; false at "]" or on failure. */
static bool next_item(jr *r, bool *first)
{
    if (*first) {
        *first = false;
        if (!expect(r, '['))
            return false;
        if (peek(r, ']')) {
            r->p++;
            return false;
        }
        return true;
    }
    if (peek(r, ']')) {
        r->p++;
        return false;
    }
    return expect(r, ',');
}

typedef bool (*field_fn)(jr *r, void *obj);
typedef enum { K_STR, K_HEX, K_INT, K_INT_OR_NULL, K_ID, K_FN } field_kind;
typedef struct {
    const char *name;
    field_kind kind;
    size_t off;
    int64_t lo, hi;
    field_fn fn;
} field;

#define AT(obj, off) ((char *)(obj) + (off))

static bool read_field(jr *r, const field *f, void *obj)
{
    if (f->kind == K_FN)
        return f->fn(r, obj);
    if (f->kind == K_INT)
        return jint(r, f->lo, f->hi, (int64_t *)(void *)AT(obj, f->off));
    if (f->kind == K_INT_OR_NULL) {
        *(int64_t *)(void *)AT(obj, f->off) = 0;
        return peek(r, 'n') ? literal(r, "null")
                            : jint(r, f->lo, f->hi, (int64_t *)(void *)AT(obj, f->off));
    }
    char *s = jstring(r);
    if (!s)
        return false;
    bool ok = true;
    if (f->kind == K_STR) {
        *(char **)(void *)AT(obj, f->off) = s;
        return true;
    }
    if (f->kind == K_HEX && !hex64(s))
        ok = jfail(r, _("\"%s\" is not a SHA-256 in lower-case hex"), f->name);
    else if (f->kind == K_ID && !up_package_id_valid(s))
        ok = jfail(r, _("\"%s\" is not a package ID"), f->name);
    else
        strcpy(AT(obj, f->off), s); /* 64 or 26 characters, checked; the field holds them */
    g_free(s);
    return ok;
}

/* An object of exactly the n (≤ 64) fields, in any order, each once. */
static bool read_object(jr *r, const field *fields, size_t n, void *obj)
{
    uint64_t seen = 0;
    bool first = true;
    char *key = NULL;
    while (next_key(r, &first, &key)) {
        size_t i = 0;
        while (i < n && strcmp(fields[i].name, key) != 0)
            i++;
        char *k = shown(key);
        g_free(key);
        bool ok = i < n && !(seen & (UINT64_C(1) << i));
        if (i == n)
            jfail(r, _("the key \"%s\" is not in %s"), k, UP_PACKAGE_SCHEMA);
        else if (!ok)
            jfail(r, _("the key \"%s\" is repeated"), k);
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
            return jfail(r, _("the key \"%s\" is missing"), fields[i].name);
    return true;
}

/* Room for one more item of a list (zeroed); false past UP_PACKAGE_LIST_MAX. */
static void *grow(jr *r, void **items, size_t *n, size_t size)
{
    if (*n >= UP_PACKAGE_LIST_MAX) {
        jfail(r, _("a list longer than %d items"), UP_PACKAGE_LIST_MAX);
        return NULL;
    }
    if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4 …: double */
        *items = g_realloc(*items, (*n ? 2 * *n : 1) * size);
    void *item = (char *)*items + *n * size;
    memset(item, 0, size);
    (*n)++;
    return item;
}

/* ---- the schema */

#define F(type, key, kind, member)                                                                 \
    {                                                                                              \
        key, kind, offsetof(type, member), 0, 0, NULL                                              \
    }
#define FI(type, key, kind, member, lo, hi)                                                        \
    {                                                                                              \
        key, kind, offsetof(type, member), lo, hi, NULL                                            \
    }
#define FN(key, fn)                                                                                \
    {                                                                                              \
        key, K_FN, 0, 0, 0, fn                                                                     \
    }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    int64_t id;
    char *action;
    char hash[SH_SHA256_HEX_LEN + 1];
} audit_ref;

static bool read_validation(jr *r, void *obj)
{
    static const field FIELDS[] = {
        F(up_pkg_document, "verdict", K_STR, validation_verdict),
        F(up_pkg_document, "at", K_STR, validation_at),
    };
    return read_object(r, FIELDS, COUNT(FIELDS), obj);
}

static bool read_audit(jr *r, void *obj)
{
    static const field FIELDS[] = {
        FI(audit_ref, "id", K_INT, id, 1, INT64_C(1) << 53),
        F(audit_ref, "action", K_STR, action),
        F(audit_ref, "hash", K_HEX, hash),
    };
    up_pkg_document *d = obj;
    bool first = true;
    while (next_item(r, &first)) {
        audit_ref a = {0};
        bool ok = d->n_audit < UP_PACKAGE_LIST_MAX && read_object(r, FIELDS, COUNT(FIELDS), &a);
        g_free(a.action);
        if (!ok)
            return jfail(r, _("a bad \"audit\" entry"));
        d->n_audit++;
    }
    return !r->failed;
}

static bool read_documents(jr *r, void *obj)
{
    static const field FIELDS[] = {
        F(up_pkg_document, "path", K_STR, path),
        FI(up_pkg_document, "stt", K_INT, stt, 1, 1000),
        F(up_pkg_document, "type", K_STR, type),
        FI(up_pkg_document, "seq", K_INT_OR_NULL, seq, 1, 1000000),
        FI(up_pkg_document, "pages", K_INT, pages, 0, 1000000),
        FI(up_pkg_document, "bytes", K_INT, bytes, 0, INT64_C(1) << 53),
        F(up_pkg_document, "sha256", K_HEX, sha256),
        F(up_pkg_document, "original_sha256", K_HEX, original_sha256),
        F(up_pkg_document, "signer_cert_sha256", K_HEX, signer_cert_sha256),
        F(up_pkg_document, "signed_at", K_STR, signed_at),
        FN("validation", read_validation),
        FN("audit", read_audit),
    };
    up_pkg_dossier *d = obj;
    bool first = true;
    while (next_item(r, &first)) {
        up_pkg_document *doc = grow(r, (void **)&d->docs, &d->n_docs, sizeof *doc);
        if (!doc || !read_object(r, FIELDS, COUNT(FIELDS), doc))
            return false;
    }
    return !r->failed;
}

static bool read_identity(jr *r, void *obj)
{
    static const field FIELDS[] = {
        F(up_pkg_dossier, "kind", K_STR, identity_kind),
        F(up_pkg_dossier, "key", K_STR, identity_key),
    };
    return read_object(r, FIELDS, COUNT(FIELDS), obj);
}

static bool read_dossiers(jr *r, void *obj)
{
    static const field FIELDS[] = {
        F(up_pkg_dossier, "folder", K_STR, folder),
        FN("identity", read_identity),
        F(up_pkg_dossier, "name", K_STR, name),
        F(up_pkg_dossier, "cell", K_STR, cell),
        F(up_pkg_dossier, "organisation", K_STR, organisation),
        FN("documents", read_documents),
    };
    up_package_json *p = obj;
    bool first = true;
    while (next_item(r, &first)) {
        up_pkg_dossier *d = grow(r, (void **)&p->dossiers, &p->n_dossiers, sizeof *d);
        if (!d || !read_object(r, FIELDS, COUNT(FIELDS), d))
            return false;
    }
    return !r->failed;
}

static bool read_corrects(jr *r, void *obj)
{
    up_package_json *p = obj;
    bool first = true;
    while (next_item(r, &first)) {
        char *id = jstring(r);
        if (id && !up_package_id_valid(id))
            jfail(r, _("\"corrects\" holds something that is not a package ID"));
        char **slot = r->failed ? NULL : grow(r, (void **)&p->corrects, &p->n_corrects, sizeof id);
        if (!slot) {
            g_free(id);
            return false;
        }
        *slot = id;
    }
    return !r->failed;
}

static bool read_audit_head(jr *r, void *obj)
{
    static const field FIELDS[] = {
        FI(up_package_json, "id", K_INT, audit_head_id, 0, INT64_C(1) << 53),
        F(up_package_json, "hash", K_HEX, audit_head_hash),
    };
    return read_object(r, FIELDS, COUNT(FIELDS), obj);
}

static const field PACKAGE_FIELDS[] = {
    F(up_package_json, "schema", K_STR, schema),
    F(up_package_json, "package", K_ID, package),
    FI(up_package_json, "volume", K_INT, volume, 1, 9999),
    FI(up_package_json, "volumes", K_INT, volumes, 1, 9999),
    F(up_package_json, "organisation", K_STR, organisation),
    F(up_package_json, "station", K_STR, station),
    F(up_package_json, "operator", K_STR, operator_name),
    F(up_package_json, "created_at", K_STR, created_at),
    F(up_package_json, "basis", K_STR, basis),
    FN("corrects", read_corrects),
    FI(up_package_json, "share_level", K_INT, share_level, 1, 4),
    F(up_package_json, "catalog", K_STR, catalog),
    F(up_package_json, "signer_cert_sha256", K_HEX, signer_cert_sha256),
    FN("dossiers", read_dossiers),
    FN("audit_head", read_audit_head),
};

sh_status up_package_json_parse(const char *text, size_t len, up_package_json *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    jr r = {.start = text, .p = text, .end = text + len, .err = err};
    if (len > UP_PACKAGE_JSON_MAX) {
        jfail(&r, _("the file is larger than %zu MiB"), UP_PACKAGE_JSON_MAX >> 20);
        return SH_FINDINGS;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        jfail(&r, _("a byte-order mark"));
    if (read_object(&r, PACKAGE_FIELDS, COUNT(PACKAGE_FIELDS), out)) {
        ws(&r);
        if (r.p != r.end)
            jfail(&r, _("something follows the object"));
    }
    if (!r.failed && strcmp(out->schema, UP_PACKAGE_SCHEMA) != 0)
        jfail(&r, _("the schema is not %s"), UP_PACKAGE_SCHEMA);
    if (!r.failed && !nm_org_code_valid(out->organisation))
        jfail(&r, _("\"organisation\" is not an organisation code (M1.M2.M3.M4.M5)"));
    if (!r.failed && out->volume > out->volumes)
        jfail(&r, _("\"volume\" is larger than \"volumes\""));
    return r.failed ? SH_FINDINGS : SH_OK;
}

static void document_clear(up_pkg_document *d)
{
    g_free(d->path);
    g_free(d->type);
    g_free(d->signed_at);
    g_free(d->validation_verdict);
    g_free(d->validation_at);
}

void up_package_json_clear(up_package_json *p)
{
    g_free(p->schema);
    g_free(p->organisation);
    g_free(p->station);
    g_free(p->operator_name);
    g_free(p->created_at);
    g_free(p->basis);
    g_free(p->catalog);
    for (size_t i = 0; i < p->n_corrects; i++)
        g_free(p->corrects[i]);
    g_free(p->corrects);
    for (size_t i = 0; i < p->n_dossiers; i++) {
        up_pkg_dossier *d = &p->dossiers[i];
        g_free(d->folder);
        g_free(d->identity_kind);
        g_free(d->identity_key);
        g_free(d->name);
        g_free(d->cell);
        g_free(d->organisation);
        for (size_t k = 0; k < d->n_docs; k++)
            document_clear(&d->docs[k]);
        g_free(d->docs);
    }
    g_free(p->dossiers);
    memset(p, 0, sizeof *p);
}
