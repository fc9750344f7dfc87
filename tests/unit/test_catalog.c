/* The Phụ lục 1 catalog checked independently against the guide: the table is parsed from
 * cong-van-1361-huong-dan-so-hoa.txt at test time (STT, Vietnamese name, priority), the file-name
 * examples from its Phụ lục 2; then the rules the catalog promises for canonical names and
 * aliases (ASCII, ≤ NM_NAME_MAX, sentence case, unique, the full transliteration kept as an
 * alias whenever a short form is used), nm_file_name / nm_catalog_find / nm_type_has_name.
 *
 * The guide is kept in the tree (docs/spec/, the Circular's text as published) and found under
 * $SOHOA_SOURCE when set, else under the source tree this file was compiled from; the tests
 * that need it fail when it is not there. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "naming/naming.h"

#define GUIDE_NAME "cong-van-1361-huong-dan-so-hoa.txt"

typedef struct {
    int stt;
    int priority;
    char *name_vi; /* NFC */
} guide_row;

typedef struct {
    GArray *rows;    /* guide_row, as printed in Phụ lục 1 */
    GPtrArray *pdfs; /* the file-name examples of Phụ lục 2 (char *) */
} guide;

/* <repo>/docs/spec/GUIDE_NAME, <repo> from SOHOA_SOURCE or from this file's path. */
static char *guide_path(void)
{
    const char *env = g_getenv("SOHOA_SOURCE");
    char *repo;
    if (env && *env) {
        repo = g_strdup(env);
    } else {
        char *unit = g_path_get_dirname(__FILE__); /* <repo>/tests/unit */
        char *tests = g_path_get_dirname(unit);
        repo = g_path_get_dirname(tests);
        g_free(unit);
        g_free(tests);
    }
    char *path = g_build_filename(repo, "docs", "spec", GUIDE_NAME, NULL);
    g_free(repo);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
        fail_msg("the guide is not at %s: these tests check the catalog against it (set "
                 "SOHOA_SOURCE to the source tree)",
                 path);
    return path;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return false;
    return true;
}

/* Parse the guide; the test fails when the file is not there. */
static void guide_load(guide *g)
{
    char *path = guide_path();
    char *text = NULL;
    GError *error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error))
        fail_msg("reading %s: %s", path, error->message);
    assert_true(g_utf8_validate(text, -1, NULL));
    char *nfc_text = g_utf8_normalize(text, -1, G_NORMALIZE_NFC);
    g_free(text);
    text = nfc_text;
    g->rows = g_array_new(FALSE, TRUE, sizeof(guide_row));
    g->pdfs = g_ptr_array_new_with_free_func(g_free);

    enum { BEFORE, TABLE, EXAMPLES } where = BEFORE;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *line = g_strstrip(*l); /* also drops a '\r' */
        if (g_str_has_prefix(line, "1. Phụ lục 1")) {
            where = TABLE;
            continue;
        }
        if (g_str_has_prefix(line, "2. Phụ lục 2")) {
            where = EXAMPLES;
            continue;
        }
        if (where == TABLE) {
            char **cells = g_strsplit(line, "\t", -1);
            if (g_strv_length(cells) == 3 && all_digits(g_strstrip(cells[0]))) {
                guide_row r = {
                    .stt = atoi(cells[0]),
                    .priority = all_digits(g_strstrip(cells[2])) ? atoi(cells[2]) : -1,
                    .name_vi = g_utf8_normalize(g_strstrip(cells[1]), -1, G_NORMALIZE_NFC),
                };
                g_array_append_val(g->rows, r);
            }
            g_strfreev(cells);
        } else if (where == EXAMPLES && g_str_has_suffix(line, ".pdf")) {
            /* "- o 02.Ly lich dang vien.pdf" */
            const char *name = line;
            while (*name && !g_ascii_isdigit(*name))
                name++;
            g_ptr_array_add(g->pdfs, g_strdup(name));
        }
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
}

static void guide_free(guide *g)
{
    for (guint i = 0; i < g->rows->len; i++)
        g_free(g_array_index(g->rows, guide_row, i).name_vi);
    g_array_free(g->rows, TRUE);
    g_ptr_array_free(g->pdfs, TRUE);
}

/* Fail listing every problem in `bad` (one a line) after `head`; cmocka's print_error truncates
 * long messages, so they go out line by line. */
static void fail_with_lines(const char *head, GString *bad)
{
    if (!bad->len) {
        g_string_free(bad, TRUE);
        return;
    }
    print_error("%s\n", head);
    char **lines = g_strsplit(bad->str, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l)
            print_error("%s\n", *l);
    g_strfreev(lines);
    g_string_free(bad, TRUE);
    fail();
}

/* ---- against the guide ---- */

static void guide_table_has_104_types_in_order(void **state)
{
    (void)state;
    guide g;
    guide_load(&g);
    guint n = g.rows->len;
    for (guint i = 0; i < n; i++) {
        int stt = g_array_index(g.rows, guide_row, i).stt;
        if (stt != (int)i + 1) {
            guide_free(&g);
            fail_msg("row %u of the guide's Phụ lục 1 has STT %d", i + 1, stt);
        }
    }
    guide_free(&g);
    assert_int_equal(n, NM_CATALOG_SIZE);
}

static void catalog_matches_guide_names_and_priorities(void **state)
{
    (void)state;
    guide g;
    guide_load(&g);
    assert_int_equal(g.rows->len, NM_CATALOG_SIZE);
    GString *bad = g_string_new(NULL);
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const guide_row *r = &g_array_index(g.rows, guide_row, i);
        const nm_doc_type *t = &nm_catalog()[i];
        if (t->stt != r->stt)
            g_string_append_printf(bad, "  catalog[%d].stt = %d, guide %d\n", i, t->stt, r->stt);
        if (t->priority != r->priority)
            g_string_append_printf(bad, "  %d: priority %d, guide %d\n", r->stt, t->priority,
                                   r->priority);
        char *nfc = g_utf8_normalize(t->name_vi, -1, G_NORMALIZE_NFC);
        if (strcmp(nfc, t->name_vi) != 0)
            g_string_append_printf(bad, "  %d: name_vi is not NFC\n", r->stt);
        if (strcmp(nfc, r->name_vi) != 0)
            g_string_append_printf(bad, "  %d: \"%s\", guide \"%s\"\n", r->stt, t->name_vi,
                                   r->name_vi);
        g_free(nfc);
    }
    guide_free(&g);
    fail_with_lines("catalog differs from Phụ lục 1", bad);
}

/* The priority bands as the guide prints them: 1-36 → 1, 37-85 → 2, 86-104 → 3. */
static void priorities_come_in_three_bands(void **state)
{
    (void)state;
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &nm_catalog()[i];
        int want = t->stt <= 36 ? 1 : t->stt <= 85 ? 2 : 3;
        if (t->priority != want)
            fail_msg("type %d has priority %d, expected %d", t->stt, t->priority, want);
    }
}

/* Every example file name of Phụ lục 2 is what nm_file_name writes for its type and SoThuTu. */
static void guide_file_name_examples_are_canonical(void **state)
{
    (void)state;
    guide g;
    guide_load(&g);
    guint n = g.pdfs->len;
    assert_true(n >= 4);
    for (guint i = 0; i < n; i++) {
        const char *example = g_ptr_array_index(g.pdfs, i);
        /* STT.name[.seq].pdf */
        char *stem = g_strndup(example, strlen(example) - strlen(".pdf"));
        int stt = atoi(stem);
        const char *last_dot = strrchr(stem, '.');
        int seq = last_dot && all_digits(last_dot + 1) ? atoi(last_dot + 1) : 0;
        const nm_doc_type *t = nm_catalog_find(stt);
        assert_non_null(t);
        char *made = nm_file_name(t, seq, NULL);
        g_free(stem);
        if (strcmp(made, example) != 0) {
            print_error("guide example \"%s\", nm_file_name \"%s\"\n", example, made);
            g_free(made);
            guide_free(&g);
            fail();
        }
        g_free(made);
    }
    guide_free(&g);
}

/* ---- the catalog itself ---- */

static void catalog_is_numbered_1_to_104(void **state)
{
    (void)state;
    const nm_doc_type *c = nm_catalog();
    assert_non_null(c);
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        assert_int_equal(c[i].stt, i + 1);
        assert_ptr_equal(nm_catalog_find(i + 1), &c[i]);
        assert_true(c[i].priority >= 1 && c[i].priority <= 3);
        assert_non_null(c[i].name_vi);
        assert_non_null(c[i].name_ascii);
        assert_non_null(c[i].aliases);
    }
}

static void catalog_find_rejects_out_of_range(void **state)
{
    (void)state;
    assert_null(nm_catalog_find(0));
    assert_null(nm_catalog_find(105));
    assert_null(nm_catalog_find(-1));
    assert_non_null(nm_catalog_find(1));
    assert_non_null(nm_catalog_find(104));
    assert_int_equal(nm_catalog_find(104)->stt, 104);
}

/* A name as used in a file name: ASCII letters, digits and single spaces, sentence case. */
static const char *name_problem(const char *name, bool sentence_case)
{
    if (!*name)
        return "empty";
    if (name[0] == ' ' || name[strlen(name) - 1] == ' ')
        return "leading or trailing space";
    if (strstr(name, "  "))
        return "double space";
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != ' ')
            return "a character other than an ASCII letter, digit or space";
    if (sentence_case) {
        if (!g_ascii_isupper(name[0]))
            return "does not start with an upper-case letter";
        for (const char *p = name + 1; *p; p++)
            if (g_ascii_isupper(*p))
                return "upper-case letter after the first";
    }
    return NULL;
}

static void canonical_names_follow_the_naming_rules(void **state)
{
    (void)state;
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &nm_catalog()[i];
        if (strlen(t->name_ascii) > NM_NAME_MAX)
            fail_msg("type %d: \"%s\" is %zu characters, more than %d", t->stt, t->name_ascii,
                     strlen(t->name_ascii), NM_NAME_MAX);
        const char *problem = name_problem(t->name_ascii, true);
        if (problem)
            fail_msg("type %d: \"%s\": %s", t->stt, t->name_ascii, problem);
    }
}

static void aliases_are_well_formed(void **state)
{
    (void)state;
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &nm_catalog()[i];
        if (!*t->aliases)
            continue;
        char **aliases = g_strsplit(t->aliases, "|", -1);
        for (char **a = aliases; *a; a++) {
            const char *problem = name_problem(*a, false);
            if (!problem && g_ascii_strcasecmp(*a, t->name_ascii) == 0)
                problem = "repeats the canonical name";
            if (problem) {
                char *copy = g_strdup(*a);
                g_strfreev(aliases);
                fail_msg("type %d: alias \"%s\": %s", t->stt, copy, problem);
            }
        }
        g_strfreev(aliases);
    }
}

/* Record that `name` (compared ignoring case) names type stt; note a clash with another type. */
static void claim(GHashTable *owner, const char *name, int stt, GString *bad)
{
    char *key = g_ascii_strdown(name, -1);
    int other = GPOINTER_TO_INT(g_hash_table_lookup(owner, key));
    if (other && other != stt)
        g_string_append_printf(bad, "  \"%s\": types %d and %d\n", name, other, stt);
    if (other)
        g_free(key);
    else
        g_hash_table_insert(owner, key, GINT_TO_POINTER(stt));
}

/* No name may say two types: canonical names are unique ignoring case, and no alias of one type
 * is a canonical name or an alias of another. */
static void names_and_aliases_are_unique(void **state)
{
    (void)state;
    GHashTable *owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GString *bad = g_string_new(NULL);
    for (int i = 0; i < NM_CATALOG_SIZE; i++)
        claim(owner, nm_catalog()[i].name_ascii, nm_catalog()[i].stt, bad);
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &nm_catalog()[i];
        char **aliases = g_strsplit(t->aliases, "|", -1);
        for (char **a = aliases; *a; a++)
            if (**a)
                claim(owner, *a, t->stt, bad);
        g_strfreev(aliases);
    }
    g_hash_table_destroy(owner);
    fail_with_lines("names used by two types", bad);
}

/* The canonical name is nm_document_title(name_vi); where the catalog uses a short form (type 1,
 * the guide's own example, and names too long for a file name) the full transliteration is an
 * alias, so a file named by the rule is still recognised. */
static void canonical_name_is_the_transliteration_or_keeps_it_as_alias(void **state)
{
    (void)state;
    GString *bad = g_string_new(NULL);
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &nm_catalog()[i];
        char *full = nm_document_title(t->name_vi);
        assert_non_null(full);
        if (strcmp(full, t->name_ascii) != 0) {
            if (!nm_type_has_name(t, full))
                g_string_append_printf(bad, "  %d: \"%s\" is neither the name nor an alias\n",
                                       t->stt, full);
            if (t->stt != 1 && strlen(full) <= NM_NAME_MAX)
                g_string_append_printf(bad, "  %d: short form \"%s\" although \"%s\" fits in %d\n",
                                       t->stt, t->name_ascii, full, NM_NAME_MAX);
        }
        g_free(full);
    }
    fail_with_lines("canonical names off the rule", bad);
}

/* ---- file names (Phụ lục 2 examples; the _signed suffix of IV.4.3) ---- */

static void assert_file_name(int stt, int seq, const char *suffix, const char *want)
{
    const nm_doc_type *t = nm_catalog_find(stt);
    assert_non_null(t);
    char *got = nm_file_name(t, seq, suffix);
    assert_string_equal(got, want);
    g_free(got);
}

static void file_names_of_the_guide_examples(void **state)
{
    (void)state;
    assert_file_name(1, 0, NULL, "01.Ly lich nguoi xin vao dang.pdf");
    assert_file_name(2, 0, NULL, "02.Ly lich dang vien.pdf");
    assert_file_name(55, 1, NULL, "55.Giay gioi thieu sinh hoat dang tam thoi.1.pdf");
    assert_file_name(55, 2, NULL, "55.Giay gioi thieu sinh hoat dang tam thoi.2.pdf");
}

static void file_names_of_signed_and_three_digit_types(void **state)
{
    (void)state;
    assert_file_name(100, 0, "_signed",
                     "100.Phieu bao dang vien duoc cong nhan chinh thuc_signed.pdf");
    assert_file_name(2, 0, "_signed", "02.Ly lich dang vien_signed.pdf");
    assert_file_name(2, 0, ".signed", "02.Ly lich dang vien.signed.pdf");
    assert_file_name(55, 2, "_signed", "55.Giay gioi thieu sinh hoat dang tam thoi.2_signed.pdf");
    assert_file_name(104, 0, NULL, "104.To khai de nghi truy tang huy hieu dang.pdf");
    assert_file_name(9, 0, NULL,
                     "09.Quyet dinh cong nhan dang vien sau khi khac phuc dung tham quyen thu tuc "
                     "ket nap.pdf");
}

/* ---- nm_type_has_name ---- */

static void type_has_name_ignores_case(void **state)
{
    (void)state;
    const nm_doc_type *t1 = nm_catalog_find(1), *t2 = nm_catalog_find(2);
    assert_true(nm_type_has_name(t2, "Ly lich dang vien"));
    assert_true(nm_type_has_name(t2, "ly lich dang vien"));
    assert_true(nm_type_has_name(t2, "LY LICH DANG VIEN"));
    assert_true(nm_type_has_name(t1, "Ly lich nguoi xin vao dang"));
    assert_true(nm_type_has_name(t1, "Ly lich cua nguoi xin vao dang")); /* alias */
    assert_true(nm_type_has_name(t1, "ly lich cua nguoi xin vao dang"));
    /* a long type's full transliteration, kept as its alias */
    const nm_doc_type *t42 = nm_catalog_find(42);
    assert_true(nm_type_has_name(t42, "Tong hop y kien nhan xet cua cac doan the chinh tri xa hoi "
                                      "noi sinh hoat va chi uy hoac chi bo noi cu tru doi voi "
                                      "nguoi vao dang"));
}

static void type_has_name_rejects_other_names(void **state)
{
    (void)state;
    const nm_doc_type *t1 = nm_catalog_find(1), *t2 = nm_catalog_find(2);
    assert_false(nm_type_has_name(t2, "Phieu dang vien"));            /* type 3's name */
    assert_false(nm_type_has_name(t2, "Ly lich nguoi xin vao dang")); /* type 1's name */
    assert_false(nm_type_has_name(t1, "Ly lich dang vien"));
    assert_false(nm_type_has_name(t2, "Ly lich dang"));        /* a prefix */
    assert_false(nm_type_has_name(t2, "Ly lich dang vien x")); /* longer */
    assert_false(nm_type_has_name(t2, "Lý lịch đảng viên"));   /* diacritics are not a file name */
    assert_false(nm_type_has_name(t2, ""));
    assert_false(nm_type_has_name(t1, "Ly lich cua nguoi")); /* a prefix of the alias */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guide_table_has_104_types_in_order),
        cmocka_unit_test(catalog_matches_guide_names_and_priorities),
        cmocka_unit_test(priorities_come_in_three_bands),
        cmocka_unit_test(guide_file_name_examples_are_canonical),
        cmocka_unit_test(catalog_is_numbered_1_to_104),
        cmocka_unit_test(catalog_find_rejects_out_of_range),
        cmocka_unit_test(canonical_names_follow_the_naming_rules),
        cmocka_unit_test(aliases_are_well_formed),
        cmocka_unit_test(names_and_aliases_are_unique),
        cmocka_unit_test(canonical_name_is_the_transliteration_or_keeps_it_as_alias),
        cmocka_unit_test(file_names_of_the_guide_examples),
        cmocka_unit_test(file_names_of_signed_and_three_digit_types),
        cmocka_unit_test(type_has_name_ignores_case),
        cmocka_unit_test(type_has_name_rejects_other_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
