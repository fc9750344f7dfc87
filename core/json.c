/* A compact JSON writer with sticky errors, a UTF-8 checker and a bounded JSON validator. */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define JSON_MAX_DEPTH 64

typedef struct {
    bool is_object;
    bool want_value; /* object: a key was written, its value is due */
    size_t count;    /* values written in this container */
} json_frame;

struct sh_json {
    GString *out;
    json_frame stack[JSON_MAX_DEPTH];
    int depth;
    bool top_written;
    bool failed;
    char problem[200];
};

sh_json *sh_json_new(void)
{
    sh_json *j = g_new0(sh_json, 1);
    j->out = g_string_sized_new(256);
    return j;
}

void sh_json_free(sh_json *j)
{
    if (!j)
        return;
    g_string_free(j->out, TRUE);
    g_free(j);
}

static void fail(sh_json *j, const char *problem)
{
    if (!j->failed) {
        j->failed = true;
        g_strlcpy(j->problem, problem, sizeof j->problem);
    }
}

/* Is a value allowed here? Writes the separating comma. */
static bool value_slot(sh_json *j)
{
    if (j->failed)
        return false;
    if (j->depth == 0) {
        if (j->top_written) {
            fail(j, "a second top-level value");
            return false;
        }
        j->top_written = true;
        return true;
    }
    json_frame *f = &j->stack[j->depth - 1];
    if (f->is_object) {
        if (!f->want_value) {
            fail(j, "a value where an object key is due");
            return false;
        }
        f->want_value = false;
    } else if (f->count > 0) {
        g_string_append_c(j->out, ',');
    }
    f->count++;
    return true;
}

bool sh_utf8_valid(const char *s, size_t len)
{
    /* g_utf8_validate_len also rejects overlongs, surrogates and code points past U+10FFFF. */
    return g_utf8_validate_len(s, len, NULL) && memchr(s, '\0', len) == NULL;
}

static void put_string(sh_json *j, const char *s, size_t len)
{
    if (!sh_utf8_valid(s, len)) {
        fail(j, "text that is not valid UTF-8");
        return;
    }
    GString *o = j->out;
    g_string_append_c(o, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            g_string_append(o, "\\\"");
            break;
        case '\\':
            g_string_append(o, "\\\\");
            break;
        case '\n':
            g_string_append(o, "\\n");
            break;
        case '\r':
            g_string_append(o, "\\r");
            break;
        case '\t':
            g_string_append(o, "\\t");
            break;
        case '\b':
            g_string_append(o, "\\b");
            break;
        case '\f':
            g_string_append(o, "\\f");
            break;
        default:
            if (c < 0x20)
                g_string_append_printf(o, "\\u%04x", c);
            else
                g_string_append_c(o, (char)c);
        }
    }
    g_string_append_c(o, '"');
}

static void open_container(sh_json *j, bool is_object)
{
    if (!value_slot(j))
        return;
    if (j->depth == JSON_MAX_DEPTH) {
        fail(j, "nesting too deep");
        return;
    }
    j->stack[j->depth++] = (json_frame){.is_object = is_object};
    g_string_append_c(j->out, is_object ? '{' : '[');
}

static void close_container(sh_json *j, bool is_object)
{
    if (j->failed)
        return;
    if (j->depth == 0 || j->stack[j->depth - 1].is_object != is_object) {
        fail(j, is_object ? "an object end without its start" : "an array end without its start");
        return;
    }
    if (is_object && j->stack[j->depth - 1].want_value) {
        fail(j, "an object key without a value");
        return;
    }
    j->depth--;
    g_string_append_c(j->out, is_object ? '}' : ']');
}

void sh_json_begin_object(sh_json *j) { open_container(j, true); }
void sh_json_end_object(sh_json *j) { close_container(j, true); }
void sh_json_begin_array(sh_json *j) { open_container(j, false); }
void sh_json_end_array(sh_json *j) { close_container(j, false); }

void sh_json_key(sh_json *j, const char *key)
{
    if (j->failed)
        return;
    json_frame *f = j->depth ? &j->stack[j->depth - 1] : NULL;
    if (!f || !f->is_object || f->want_value) {
        fail(j, "a key outside an object, or two keys in a row");
        return;
    }
    if (f->count > 0)
        g_string_append_c(j->out, ',');
    put_string(j, key, strlen(key));
    g_string_append_c(j->out, ':');
    f->want_value = true;
}

void sh_json_string_len(sh_json *j, const char *s, size_t len)
{
    if (value_slot(j))
        put_string(j, s, len);
}

void sh_json_string(sh_json *j, const char *s)
{
    if (!s)
        sh_json_null(j);
    else
        sh_json_string_len(j, s, strlen(s));
}

void sh_json_int(sh_json *j, int64_t v)
{
    if (value_slot(j))
        g_string_append_printf(j->out, "%" G_GINT64_FORMAT, (gint64)v);
}

void sh_json_double(sh_json *j, double v)
{
    if (!isfinite(v)) {
        fail(j, "a number that is not finite");
        return;
    }
    if (!value_slot(j))
        return;
    /* The shortest of %.15g / %.17g that reads back as the same double. Locale-independent. */
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof buf, "%.15g", v);
    if (g_ascii_strtod(buf, NULL) != v)
        g_ascii_formatd(buf, sizeof buf, "%.17g", v);
    g_string_append(j->out, buf);
}

void sh_json_bool(sh_json *j, bool v)
{
    if (value_slot(j))
        g_string_append(j->out, v ? "true" : "false");
}

void sh_json_null(sh_json *j)
{
    if (value_slot(j))
        g_string_append(j->out, "null");
}

void sh_json_raw(sh_json *j, const char *json_text)
{
    size_t len = strlen(json_text);
    if (!sh_json_valid(json_text, len)) {
        fail(j, "embedded text that is not one JSON value");
        return;
    }
    if (value_slot(j))
        g_string_append_len(j->out, json_text, (gssize)len);
}

#define JSON_FLUSH_AT (64 * 1024)

bool sh_json_flush_to(sh_json *j, FILE *out)
{
    if (j->failed)
        return false;
    if (j->out->len >= JSON_FLUSH_AT) {
        fwrite(j->out->str, 1, j->out->len, out);
        g_string_truncate(j->out, 0);
    }
    return true;
}

const char *sh_json_finish(sh_json *j, sh_error *err)
{
    if (!j->failed && (j->depth != 0 || !j->top_written))
        fail(j, "an unfinished document");
    if (j->failed) {
        sh_fail(err, SH_INTERNAL, "JSON output: %s", j->problem);
        return NULL;
    }
    return j->out->str;
}

/* ---- validation: recursive descent, depth-bounded ---- */

typedef struct {
    const char *p, *end;
} json_cursor;

static void skip_ws(json_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool literal(json_cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool digits(json_cursor *c)
{
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > start;
}

static bool number(json_cursor *c)
{
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (!digits(c))
        return false;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!digits(c))
            return false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digits(c))
            return false;
    }
    return true;
}

static bool string(json_cursor *c)
{
    const char *start = ++c->p; /* past the opening quote */
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            c->p++;
            if (c->p >= c->end)
                return false;
            if (*c->p == 'u') {
                if (c->end - c->p < 5)
                    return false;
                for (int i = 1; i <= 4; i++)
                    if (!g_ascii_isxdigit(c->p[i]))
                        return false;
                c->p += 4;
            } else if (!strchr("\"\\/bfnrt", *c->p)) {
                return false;
            }
        }
        c->p++;
    }
    if (c->p >= c->end || !sh_utf8_valid(start, (size_t)(c->p - start)))
        return false;
    c->p++;
    return true;
}

static bool value(json_cursor *c, int depth);

static bool container(json_cursor *c, int depth, char close, bool is_object)
{
    if (depth >= JSON_MAX_DEPTH)
        return false;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    for (;;) {
        skip_ws(c);
        if (is_object) {
            if (c->p >= c->end || *c->p != '"' || !string(c))
                return false;
            skip_ws(c);
            if (c->p >= c->end || *c->p++ != ':')
                return false;
        }
        if (!value(c, depth + 1))
            return false;
        skip_ws(c);
        if (c->p >= c->end)
            return false;
        if (*c->p == close) {
            c->p++;
            return true;
        }
        if (*c->p++ != ',')
            return false;
    }
}

static bool value(json_cursor *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->end)
        return false;
    switch (*c->p) {
    case '{':
        return container(c, depth, '}', true);
    case '[':
        return container(c, depth, ']', false);
    case '"':
        return string(c);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    default:
        return number(c);
    }
}

bool sh_json_valid(const char *text, size_t len)
{
    json_cursor c = {text, text + len};
    if (!value(&c, 0))
        return false;
    skip_ws(&c);
    return c.p == c.end;
}

void sh_json_kv_str(sh_json *j, const char *key, const char *value)
{
    sh_json_key(j, key);
    if (value)
        sh_json_string(j, value);
    else
        sh_json_null(j);
}

void sh_json_kv_int(sh_json *j, const char *key, int64_t value)
{
    sh_json_key(j, key);
    sh_json_int(j, value);
}

void sh_json_kv_bool(sh_json *j, const char *key, bool value)
{
    sh_json_key(j, key);
    sh_json_bool(j, value);
}

void sh_json_kv_double(sh_json *j, const char *key, double value)
{
    sh_json_key(j, key);
    sh_json_double(j, value);
}

void sh_json_kv_null(sh_json *j, const char *key)
{
    sh_json_key(j, key);
    sh_json_null(j);
}

void sh_json_kv_int_or_null(sh_json *j, const char *key, int64_t value, bool known)
{
    sh_json_key(j, key);
    if (known)
        sh_json_int(j, value);
    else
        sh_json_null(j);
}

void sh_json_kv_sha256(sh_json *j, const char *key, const uint8_t digest[32])
{
    char hex[SH_SHA256_HEX_LEN + 1];
    sh_hex(digest, SH_SHA256_LEN, hex);
    sh_json_kv_str(j, key, hex);
}

void sh_json_kv_object(sh_json *j, const char *key)
{
    sh_json_key(j, key);
    sh_json_begin_object(j);
}

void sh_json_kv_array(sh_json *j, const char *key)
{
    sh_json_key(j, key);
    sh_json_begin_array(j);
}

void sh_json_kv_raw(sh_json *j, const char *key, const char *json_text)
{
    sh_json_key(j, key);
    sh_json_raw(j, json_text);
}
