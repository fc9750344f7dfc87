/* The JSON writer (escaping exactly as docs/audit.md specifies for the audit hash, UTF-8
 * checking, numbers, sticky errors, nesting limit, raw insertion), the JSON validator (a table
 * of valid and invalid documents, depth bound, never reading past `len`) and sh_utf8_valid. */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* ---- helpers ---- */

/* Finish j, expect success and the exact text, then free j. */
static void expect_doc(sh_json *j, const char *expected)
{
    sh_error err;
    sh_error_clear(&err);
    const char *out = sh_json_finish(j, &err);
    if (!out)
        print_error("sh_json_finish failed: %s\n", err.msg);
    assert_non_null(out);
    assert_string_equal(out, expected);
    assert_true(sh_json_valid(out, strlen(out)));
    sh_json_free(j);
}

/* Finish j, expect a refusal with a message, then free j. */
static void expect_refused(sh_json *j)
{
    sh_error err;
    sh_error_clear(&err);
    assert_null(sh_json_finish(j, &err));
    assert_int_not_equal(err.status, SH_OK);
    assert_true(strlen(err.msg) > 0);
    sh_json_free(j);
}

/* A copy of exactly len bytes with no terminator, so that ASan catches any read past len. */
static bool valid_exact(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, text, len);
    bool ok = sh_json_valid(len ? copy : copy + 1, len);
    free(copy);
    return ok;
}

static bool utf8_exact(const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, s, len);
    bool ok = sh_utf8_valid(copy, len);
    free(copy);
    return ok;
}

/* ---- writer: structure and scalars ---- */

static void writer_is_compact_and_keeps_key_order(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_key(j, "zeta");
    sh_json_int(j, 1);
    sh_json_key(j, "alpha");
    sh_json_begin_array(j);
    sh_json_bool(j, true);
    sh_json_bool(j, false);
    sh_json_null(j);
    sh_json_string(j, "x");
    sh_json_end_array(j);
    sh_json_key(j, "empty_obj");
    sh_json_begin_object(j);
    sh_json_end_object(j);
    sh_json_key(j, "empty_arr");
    sh_json_begin_array(j);
    sh_json_end_array(j);
    sh_json_end_object(j);
    expect_doc(j, "{\"zeta\":1,\"alpha\":[true,false,null,\"x\"],\"empty_obj\":{},"
                  "\"empty_arr\":[]}");
}

static void writer_accepts_a_scalar_as_the_whole_document(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_string(j, "alone");
    expect_doc(j, "\"alone\"");

    j = sh_json_new();
    sh_json_int(j, 42);
    expect_doc(j, "42");
}

static void writer_string_null_writes_null(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    sh_json_string(j, NULL);
    sh_json_string(j, "");
    sh_json_end_array(j);
    expect_doc(j, "[null,\"\"]");
}

static void writer_escapes_quotes_backslash_and_control_chars(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_string(j, "q\"b\\s/n\nt\tr\rb\bf\f"
                      "\x01"
                      "\x1f"
                      "end");
    expect_doc(j, "\"q\\\"b\\\\s/n\\nt\\tr\\rb\\bf\\f\\u0001\\u001fend\"");
}

static void writer_escapes_every_control_char_like_python(void **state)
{
    /* The short forms for \b \t \n \f \r, else \u00xx in lowercase hex: byte for byte what
     * json.dumps writes, which the audit hash depends on (docs/audit.md). */
    (void)state;
    for (int c = 1; c < 0x20; c++) {
        char in[2] = {(char)c, '\0'};
        char expected[16];
        switch (c) {
        case '\b':
            snprintf(expected, sizeof expected, "\"\\b\"");
            break;
        case '\t':
            snprintf(expected, sizeof expected, "\"\\t\"");
            break;
        case '\n':
            snprintf(expected, sizeof expected, "\"\\n\"");
            break;
        case '\f':
            snprintf(expected, sizeof expected, "\"\\f\"");
            break;
        case '\r':
            snprintf(expected, sizeof expected, "\"\\r\"");
            break;
        default:
            snprintf(expected, sizeof expected, "\"\\u%04x\"", (unsigned)c);
        }
        sh_json *j = sh_json_new();
        sh_json_string(j, in);
        expect_doc(j, expected);
    }
}

static void writer_leaves_del_and_slash_unescaped(void **state)
{
    /* docs/audit.md: the canonical audit encoding escapes `"`, `\` and characters below U+0020
     * and nothing else (Python's json.dumps(ensure_ascii=False)), so that an inspector can
     * recompute the hashes independently. DEL and '/' must therefore stay as they are. */
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_string(j, "a\x7f"
                      "b/c");
    expect_doc(j, "\"a\x7f"
                  "b/c\"");
}

static void writer_escapes_keys_too(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_key(j, "a\"b\n");
    sh_json_int(j, 0);
    sh_json_end_object(j);
    expect_doc(j, "{\"a\\\"b\\n\":0}");
}

static void writer_passes_vietnamese_utf8_unescaped(void **state)
{
    (void)state;
    const char *vi = "Hồ sơ lưu trữ: Nguyễn Thị Ánh — đã ký số ✓ 😀";
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_key(j, "người_ký");
    sh_json_string(j, vi);
    sh_json_end_object(j);
    char *expected = g_strdup_printf("{\"người_ký\":\"%s\"}", vi);
    expect_doc(j, expected);
    g_free(expected);
}

static void writer_string_len_writes_only_len_bytes(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_string_len(j, "abcdef", 3);
    expect_doc(j, "\"abc\"");
}

static void writer_refuses_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *what, *bytes;
        size_t len;
    } cases[] = {
        {"lone continuation byte", "a\x80z", 3},
        {"overlong slash", "\xc0\xaf", 2},
        {"overlong 3-byte", "\xe0\x80\xaf", 3},
        {"UTF-16 surrogate", "\xed\xa0\x80", 3},
        {"truncated sequence", "ti\xe1\xba", 4},
        {"past U+10FFFF", "\xf4\x90\x80\x80", 4},
        {"0xFF byte", "\xff", 1},
        {"embedded NUL", "a\0b", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* As a value ... */
        sh_json *j = sh_json_new();
        sh_json_begin_array(j);
        sh_json_string_len(j, cases[i].bytes, cases[i].len);
        sh_json_end_array(j);
        sh_error err;
        sh_error_clear(&err);
        if (sh_json_finish(j, &err) != NULL)
            fail_msg("value with %s was accepted", cases[i].what);
        assert_int_not_equal(err.status, SH_OK);
        assert_true(strlen(err.msg) > 0);
        sh_json_free(j);
    }
    /* ... and as a key (keys are C strings, so no NUL case). */
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_key(j, "k\xc0\xaf");
    sh_json_int(j, 1);
    sh_json_end_object(j);
    expect_refused(j);
}

/* ---- writer: numbers ---- */

static void writer_formats_simple_doubles_shortest(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    sh_json_double(j, 12.5);
    sh_json_double(j, 0.1);
    sh_json_double(j, -3.0);
    sh_json_double(j, 0.0);
    sh_json_end_array(j);
    expect_doc(j, "[12.5,0.1,-3,0]");
}

static void writer_doubles_round_trip_exactly(void **state)
{
    (void)state;
    const double values[] = {0.1,
                             1.0 / 3.0,
                             2.0 / 3.0,
                             1e300,
                             -1e-300,
                             5e-324,
                             DBL_MAX,
                             -DBL_MAX,
                             DBL_MIN,
                             -0.0,
                             123456789.123456789,
                             9007199254740993.0,
                             0.30000000000000004,
                             1e22,
                             1e-7};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        sh_json *j = sh_json_new();
        sh_json_double(j, values[i]);
        sh_error err;
        const char *out = sh_json_finish(j, &err);
        assert_non_null(out);
        /* JSON number grammar, and the same bits back (including the sign of -0). */
        if (!sh_json_valid(out, strlen(out)))
            fail_msg("%.17g was written as \"%s\", not a JSON number", values[i], out);
        char *end = NULL;
        double back = g_ascii_strtod(out, &end);
        assert_true(*end == '\0');
        /* the same bits, -0.0 and 0.0 apart: what == cannot tell */
        if (memcmp(&back, &values[i], sizeof back) != 0) /* NOLINT(*suspicious-memory-comparison) */
            fail_msg("%.17g was written as \"%s\", which reads back as %.17g", values[i], out,
                     back);
        sh_json_free(j);
    }
}

static void writer_int64_extremes(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    sh_json_int(j, INT64_MIN);
    sh_json_int(j, INT64_MAX);
    sh_json_int(j, 0);
    sh_json_int(j, -1);
    sh_json_end_array(j);
    expect_doc(j, "[-9223372036854775808,9223372036854775807,0,-1]");
}

static void writer_refuses_nan_and_infinity(void **state)
{
    (void)state;
    const double bad[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sh_json *j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_key(j, "v");
        sh_json_double(j, bad[i]);
        sh_json_end_object(j);
        expect_refused(j);
    }
}

/* ---- writer: misuse and sticky errors ---- */

static void misuse_value_where_key_due(sh_json *j)
{
    sh_json_begin_object(j);
    sh_json_int(j, 1);
    sh_json_end_object(j);
}
static void misuse_key_at_top_level(sh_json *j)
{
    sh_json_key(j, "a");
    sh_json_int(j, 1);
}
static void misuse_key_in_array(sh_json *j)
{
    sh_json_begin_array(j);
    sh_json_key(j, "a");
    sh_json_int(j, 1);
    sh_json_end_array(j);
}
static void misuse_two_keys_in_a_row(sh_json *j)
{
    sh_json_begin_object(j);
    sh_json_key(j, "a");
    sh_json_key(j, "b");
    sh_json_int(j, 1);
    sh_json_end_object(j);
}
static void misuse_key_without_value(sh_json *j)
{
    sh_json_begin_object(j);
    sh_json_key(j, "a");
    sh_json_end_object(j);
}
static void misuse_end_array_on_object(sh_json *j)
{
    sh_json_begin_object(j);
    sh_json_end_array(j);
}
static void misuse_end_object_on_array(sh_json *j)
{
    sh_json_begin_array(j);
    sh_json_end_object(j);
}
static void misuse_end_without_start(sh_json *j) { sh_json_end_array(j); }
static void misuse_unfinished_document(sh_json *j)
{
    sh_json_begin_object(j);
    sh_json_key(j, "a");
    sh_json_begin_array(j);
    sh_json_int(j, 1);
    sh_json_end_array(j);
}
static void misuse_empty_document(sh_json *j) { (void)j; }
static void misuse_second_top_level_value(sh_json *j)
{
    sh_json_begin_array(j);
    sh_json_end_array(j);
    sh_json_int(j, 2);
}
static void misuse_second_top_level_container(sh_json *j)
{
    sh_json_int(j, 1);
    sh_json_begin_object(j);
    sh_json_end_object(j);
}

static void writer_refuses_misuse(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        void (*drive)(sh_json *j);
    } cases[] = {
        {"value where a key is due", misuse_value_where_key_due},
        {"key at top level", misuse_key_at_top_level},
        {"key in an array", misuse_key_in_array},
        {"two keys in a row", misuse_two_keys_in_a_row},
        {"key without a value", misuse_key_without_value},
        {"end_array on an object", misuse_end_array_on_object},
        {"end_object on an array", misuse_end_object_on_array},
        {"end without start", misuse_end_without_start},
        {"unfinished document", misuse_unfinished_document},
        {"empty document", misuse_empty_document},
        {"second top-level value", misuse_second_top_level_value},
        {"second top-level container", misuse_second_top_level_container},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sh_json *j = sh_json_new();
        cases[i].drive(j);
        sh_error err;
        sh_error_clear(&err);
        if (sh_json_finish(j, &err) != NULL)
            fail_msg("misuse accepted: %s", cases[i].what);
        assert_int_not_equal(err.status, SH_OK);
        assert_true(strlen(err.msg) > 0);
        sh_json_free(j);
    }
}

static void writer_finish_accepts_null_err(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    assert_null(sh_json_finish(j, NULL));
    sh_json_free(j);
}

static void writer_error_is_sticky_and_first_one_is_reported(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_key(j, "n");
    sh_json_double(j, NAN); /* first error */
    /* Everything after is ignored, including calls that would complete the document and a
     * second, different misuse. */
    sh_json_int(j, 1);
    sh_json_end_object(j);
    sh_json_end_array(j);
    sh_json_key(j, "late");
    sh_json_string(j, "x");
    sh_error err;
    sh_error_clear(&err);
    assert_null(sh_json_finish(j, &err));
    assert_non_null(strstr(err.msg, "finite"));
    assert_null(strstr(err.msg, "array end"));
    /* Asking again gives the same answer. */
    sh_error_clear(&err);
    assert_null(sh_json_finish(j, &err));
    assert_non_null(strstr(err.msg, "finite"));
    sh_json_free(j);
}

static void writer_error_is_sticky_after_structural_misuse(void **state)
{
    (void)state;
    /* A value where a key is due, followed by calls that would be a valid object. */
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_string(j, "oops");
    sh_json_key(j, "a");
    sh_json_int(j, 1);
    sh_json_end_object(j);
    expect_refused(j);
}

static void nest(sh_json *j, int depth)
{
    for (int i = 0; i < depth; i++) {
        if (i % 2) {
            sh_json_begin_object(j);
            sh_json_key(j, "k");
        } else {
            sh_json_begin_array(j);
        }
    }
    sh_json_int(j, 7);
    for (int i = depth - 1; i >= 0; i--) {
        if (i % 2)
            sh_json_end_object(j);
        else
            sh_json_end_array(j);
    }
}

static void writer_nesting_64_accepted_65_refused(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    nest(j, 64);
    sh_error err;
    const char *out = sh_json_finish(j, &err);
    assert_non_null(out);
    assert_true(sh_json_valid(out, strlen(out)));
    assert_int_equal(out[0], '[');
    assert_int_equal(out[1], '{');
    sh_json_free(j);

    j = sh_json_new();
    nest(j, 65);
    expect_refused(j);
}

/* ---- writer: raw insertion ---- */

static void writer_raw_inserts_valid_json_verbatim(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_key(j, "details");
    sh_json_raw(j, "{\"pages\":[1,2],\"ký\":\"tên\"}");
    sh_json_key(j, "n");
    sh_json_raw(j, "-1.5e3");
    sh_json_key(j, "list");
    sh_json_begin_array(j);
    sh_json_raw(j, "null");
    sh_json_raw(j, "\"s\"");
    sh_json_raw(j, "[]");
    sh_json_end_array(j);
    sh_json_end_object(j);
    expect_doc(j, "{\"details\":{\"pages\":[1,2],\"ký\":\"tên\"},\"n\":-1.5e3,"
                  "\"list\":[null,\"s\",[]]}");
}

static void writer_raw_refuses_invalid_json(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "[1,]", "1 2", "{\"a\":1}x", "nul", "\"\\x\"", "'a'", "\"\xc0\xaf\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sh_json *j = sh_json_new();
        sh_json_begin_array(j);
        sh_json_raw(j, bad[i]);
        sh_json_end_array(j);
        sh_error err;
        sh_error_clear(&err);
        if (sh_json_finish(j, &err) != NULL)
            fail_msg("raw text accepted: \"%s\"", bad[i]);
        assert_int_not_equal(err.status, SH_OK);
        sh_json_free(j);
    }
}

static void writer_raw_is_a_value_so_it_needs_a_key_in_objects(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_raw(j, "1");
    sh_json_end_object(j);
    expect_refused(j);
}

/* ---- validator ---- */

typedef struct {
    const char *text;
    size_t len; /* 0: strlen(text) */
} doc;

static size_t doc_len(const doc *d) { return d->len ? d->len : strlen(d->text); }

static void validator_accepts_valid_documents(void **state)
{
    (void)state;
    static const doc good[] = {
        {"0", 0},
        {"-0", 0},
        {"42", 0},
        {"-12.5", 0},
        {"1.5e10", 0},
        {"1E+2", 0},
        {"-1e-2", 0},
        {"true", 0},
        {"false", 0},
        {"null", 0},
        {"\"\"", 0},
        {"\"plain\"", 0},
        {"\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"", 0},
        {"\"Tiếng Việt có dấu 😀\"", 0},
        {"[]", 0},
        {"{}", 0},
        {"[1,2,3]", 0},
        {" \t\r\n[ 1 , \"a\" , { } , [ ] ]\n", 0},
        {"{\"a\":{\"b\":[null,true,{\"c\":-0.5}]},\"d\":\"\"}", 0},
        {"{ \"k\" : 1 , \"k\" : 2 }", 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!valid_exact(good[i].text, doc_len(&good[i])))
            fail_msg("valid document refused: %s", good[i].text);
}

static void validator_refuses_invalid_documents(void **state)
{
    (void)state;
    static const doc bad[] = {
        {"", 0},           /* empty input */
        {"   \n\t ", 0},   /* whitespace only */
        {"[1,]", 0},       /* trailing comma in array */
        {"{\"a\":1,}", 0}, /* trailing comma in object */
        {"[,1]", 0},
        {"[1 2]", 0},
        {"01", 0}, /* leading zero */
        {"-01", 0},
        {"[00]", 0},
        {"1.", 0},
        {".5", 0},
        {"+1", 0},
        {"1e", 0},
        {"1e+", 0},
        {"-", 0},
        {"0x10", 0},
        {"NaN", 0},
        {"Infinity", 0},
        {"\"abc", 0},     /* unterminated string */
        {"\"abc\\\"", 0}, /* ... ending in an escaped quote */
        {"\"\\", 0},
        {"\"\\x\"", 0}, /* bad escape */
        {"\"\\u12\"", 0},
        {"\"\\u12g4\"", 0},
        {"\"\\U0041\"", 0},
        {"\"a\tb\"", 0}, /* raw control chars in strings */
        {"\"a\nb\"", 0},
        {"\"\x01\"", 0},
        {"\"a\0b\"", 5},     /* NUL inside a string */
        {"\"\\\0\"", 4},     /* backslash followed by NUL */
        {"\"\xc0\xaf\"", 0}, /* invalid UTF-8 inside a string */
        {"\"\xed\xa0\x80\"", 0},
        {"\xef\xbb\xbf{}", 0}, /* byte order mark */
        {"[1] x", 0},          /* trailing garbage */
        {"{} {}", 0},
        {"1\0", 2},
        {"tru", 0},
        {"nulls", 0},
        {"True", 0},
        {"'a'", 0},
        {"{a:1}", 0},
        {"{\"a\" 1}", 0},
        {"{\"a\":}", 0},
        {"{\"a\"}", 0},
        {"{1:2}", 0},
        {"[", 0},
        {"]", 0},
        {"{\"a\":1", 0},
        {"[1,[2]", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (valid_exact(bad[i].text, doc_len(&bad[i])))
            fail_msg("invalid document accepted (case %zu): %s", i, bad[i].text);
}

static void validator_reads_only_len_bytes(void **state)
{
    (void)state;
    assert_true(sh_json_valid("[1]garbage", 3));
    assert_true(sh_json_valid("12", 1));
    assert_false(sh_json_valid("\"abc\"", 4));
    assert_false(sh_json_valid("true", 3));
}

static char *nested_arrays(int depth)
{
    char *s = g_malloc((size_t)depth * 2 + 2);
    memset(s, '[', (size_t)depth);
    s[depth] = '1';
    memset(s + depth + 1, ']', (size_t)depth);
    s[2 * depth + 1] = '\0';
    return s;
}

static char *nested_objects(int depth)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < depth; i++)
        g_string_append(s, "{\"a\":");
    g_string_append(s, "1");
    for (int i = 0; i < depth; i++)
        g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

static void validator_depth_64_accepted_65_refused(void **state)
{
    (void)state;
    char *s = nested_arrays(64);
    assert_true(valid_exact(s, strlen(s)));
    g_free(s);
    s = nested_arrays(65);
    assert_false(valid_exact(s, strlen(s)));
    g_free(s);
    s = nested_objects(64);
    assert_true(valid_exact(s, strlen(s)));
    g_free(s);
    s = nested_objects(65);
    assert_false(valid_exact(s, strlen(s)));
    g_free(s);
}

static void validator_survives_hostile_nesting(void **state)
{
    (void)state;
    /* A million '[' from an untrusted file: refused, without exhausting the stack. */
    size_t n = 1000000;
    char *s = g_malloc(n);
    memset(s, '[', n);
    assert_false(sh_json_valid(s, n));
    g_free(s);
}

/* ---- sh_utf8_valid ---- */

static void utf8_valid_cases(void **state)
{
    (void)state;
    static const doc good[] = {
        {"", 0},
        {"ascii only ~", 0},
        {"Việt Nam đẹp", 0},
        {"\xc2\x80", 0},         /* U+0080, smallest 2-byte */
        {"\xe2\x82\xac", 0},     /* € */
        {"\xef\xbf\xbf", 0},     /* U+FFFF */
        {"\xf0\x9f\x98\x80", 0}, /* 😀 */
        {"\xf4\x8f\xbf\xbf", 0}, /* U+10FFFF */
        {"\x7f", 0},             /* DEL is valid UTF-8 */
    };
    static const doc bad[] = {
        {"\x80", 0}, /* lone continuation */
        {"a\xbf", 0},
        {"\xc0\xaf", 0}, /* overlong '/' */
        {"\xc1\xbf", 0},
        {"\xe0\x80\xaf", 0},     /* overlong 3-byte */
        {"\xf0\x80\x80\xaf", 0}, /* overlong 4-byte */
        {"\xed\xa0\x80", 0},     /* surrogate U+D800 */
        {"\xed\xbf\xbf", 0},     /* surrogate U+DFFF */
        {"\xf4\x90\x80\x80", 0}, /* U+110000 */
        {"\xf5\x80\x80\x80", 0},
        {"\xfe", 0},
        {"\xff", 0},
        {"\xe1\xba", 0}, /* truncated */
        {"\xf0\x9f\x98", 0},
        {"\xc3", 0},
        {"\xc3(", 0}, /* continuation missing */
        {"a\0b", 3},  /* embedded NUL */
        {"\0", 1},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!utf8_exact(good[i].text, doc_len(&good[i])))
            fail_msg("valid UTF-8 refused (case %zu)", i);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (utf8_exact(bad[i].text, doc_len(&bad[i])))
            fail_msg("invalid UTF-8 accepted (case %zu)", i);
    /* Only len bytes count. */
    assert_true(sh_utf8_valid("ab\xff", 2));
    assert_false(sh_utf8_valid("\xe1\xba\xbf", 2));
    assert_true(sh_utf8_valid("\xe1\xba\xbf", 3));
}

/* ---- key/value helpers: each is its key then the value, as the two calls would write ---- */

static void kv_helpers_write_key_then_value(void **state)
{
    (void)state;
    static const uint8_t digest[32] = {0x00, 0x01, 0xab, 0xff};
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "s", "Nguyễn");
    sh_json_kv_str(j, "none", NULL);
    sh_json_kv_int(j, "i", -42);
    sh_json_kv_bool(j, "b", true);
    sh_json_kv_double(j, "d", 0.25);
    sh_json_kv_null(j, "n");
    sh_json_kv_int_or_null(j, "known", 7, true);
    sh_json_kv_int_or_null(j, "unknown", 7, false);
    sh_json_kv_sha256(j, "sha256", digest);
    sh_json_kv_raw(j, "raw", "[1,{\"a\":null}]");
    sh_json_kv_object(j, "o");
    sh_json_kv_array(j, "a");
    sh_json_int(j, 1);
    sh_json_end_array(j);
    sh_json_end_object(j);
    sh_json_end_object(j);
    expect_doc(j, "{\"s\":\"Nguyễn\",\"none\":null,\"i\":-42,\"b\":true,\"d\":0.25,\"n\":null,"
                  "\"known\":7,\"unknown\":null,"
                  "\"sha256\":\"0001abff00000000000000000000000000000000000000000000000000000000\","
                  "\"raw\":[1,{\"a\":null}],\"o\":{\"a\":[1]}}");
}

/* A helper used outside an object, or an unclosed kv_object, is a misuse like the two calls. */
static void kv_helpers_are_checked_like_the_calls(void **state)
{
    (void)state;
    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    sh_json_kv_int(j, "i", 1); /* a key in an array */
    sh_json_end_array(j);
    expect_refused(j);
    j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_object(j, "o");
    sh_json_end_object(j);
    expect_refused(j); /* the outer object is never closed */
    j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_double(j, "nan", NAN);
    sh_json_end_object(j);
    expect_refused(j);
    j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_raw(j, "raw", "{unquoted:1}");
    sh_json_end_object(j);
    expect_refused(j);
}

/* A streamed document (audit show over a whole chain) is the same text as one built in memory,
 * and the writer never holds much more than the flush threshold. */
static void flushed_document_is_the_same_text(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    sh_json *streamed = sh_json_new(), *whole = sh_json_new();
    sh_json *both[2] = {streamed, whole};
    for (int k = 0; k < 2; k++) {
        sh_json_begin_object(both[k]);
        sh_json_kv_array(both[k], "entries");
    }
    size_t flushed_before = 0;
    for (int i = 0; i < 20000; i++) {
        for (int k = 0; k < 2; k++) {
            sh_json_begin_object(both[k]);
            sh_json_kv_int(both[k], "id", i);
            sh_json_kv_str(both[k], "details", "Ghi chú của người vận hành");
            sh_json_end_object(both[k]);
        }
        assert_true(sh_json_flush_to(streamed, out));
        fflush(out);
        assert_true(len - flushed_before <= 128 * 1024 || i == 0);
        flushed_before = len;
    }
    for (int k = 0; k < 2; k++) {
        sh_json_end_array(both[k]);
        sh_json_end_object(both[k]);
    }
    sh_error err;
    const char *rest = sh_json_finish(streamed, &err), *all = sh_json_finish(whole, &err);
    assert_non_null(rest);
    assert_non_null(all);
    assert_true(len > 1000000); /* most of it left memory as it went */
    fputs(rest, out);
    fclose(out);
    assert_string_equal(buf, all);
    assert_true(sh_json_valid(buf, strlen(buf)));
    free(buf);
    sh_json_free(streamed);
    sh_json_free(whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writer_is_compact_and_keeps_key_order),
        cmocka_unit_test(writer_accepts_a_scalar_as_the_whole_document),
        cmocka_unit_test(writer_string_null_writes_null),
        cmocka_unit_test(writer_escapes_quotes_backslash_and_control_chars),
        cmocka_unit_test(writer_escapes_every_control_char_like_python),
        cmocka_unit_test(writer_leaves_del_and_slash_unescaped),
        cmocka_unit_test(writer_escapes_keys_too),
        cmocka_unit_test(writer_passes_vietnamese_utf8_unescaped),
        cmocka_unit_test(writer_string_len_writes_only_len_bytes),
        cmocka_unit_test(writer_refuses_invalid_utf8),
        cmocka_unit_test(writer_formats_simple_doubles_shortest),
        cmocka_unit_test(writer_doubles_round_trip_exactly),
        cmocka_unit_test(writer_int64_extremes),
        cmocka_unit_test(writer_refuses_nan_and_infinity),
        cmocka_unit_test(writer_refuses_misuse),
        cmocka_unit_test(writer_finish_accepts_null_err),
        cmocka_unit_test(writer_error_is_sticky_and_first_one_is_reported),
        cmocka_unit_test(writer_error_is_sticky_after_structural_misuse),
        cmocka_unit_test(writer_nesting_64_accepted_65_refused),
        cmocka_unit_test(writer_raw_inserts_valid_json_verbatim),
        cmocka_unit_test(writer_raw_refuses_invalid_json),
        cmocka_unit_test(writer_raw_is_a_value_so_it_needs_a_key_in_objects),
        cmocka_unit_test(validator_accepts_valid_documents),
        cmocka_unit_test(validator_refuses_invalid_documents),
        cmocka_unit_test(validator_reads_only_len_bytes),
        cmocka_unit_test(validator_depth_64_accepted_65_refused),
        cmocka_unit_test(validator_survives_hostile_nesting),
        cmocka_unit_test(utf8_valid_cases),
        cmocka_unit_test(kv_helpers_write_key_then_value),
        cmocka_unit_test(kv_helpers_are_checked_like_the_calls),
        cmocka_unit_test(flushed_document_is_the_same_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
