/* naming: the member key of a dossier folder (QĐ-KN Đ17.2). A CCCD (12 digits) as before; for a
 * member without one a temporary key, the old ID card (CMND, 9 digits) or the passport number (a
 * capital letter and 7 digits), accepted with the warning name.temporary_key; every other shape
 * refused (name.cccd). nm_key_kind_of and its names, nm_check_key, nm_split_dossier_folder,
 * nm_dossier_key, nm_dossier_folder, and nm_check_path over a tree: the warning, the errors of
 * malformed keys, name.cccd_duplicate per kind, nm_other_dossier_of for ingest. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "naming/naming.h"

#define ORG "93.000.036.001.015"

static nm_rules rules(void)
{
    nm_rules r;
    nm_rules_default(&r);
    r.current_year = 2026;
    return r;
}

/* ---- findings ---- */

static const test_finding *only(const GPtrArray *found, const char *code, const char *path)
{
    const test_finding *hit = NULL;
    int n = 0;
    for (guint i = 0; i < found->len; i++) {
        const test_finding *h = found->pdata[i];
        if (strcmp(h->code, code) == 0 && (!path || g_strcmp0(h->path, path) == 0)) {
            hit = h;
            n++;
        }
    }
    if (n != 1)
        fail_msg("%d findings %s about %s, expected 1", n, code, path ? path : "(any)");
    return hit;
}

static int count_code(const GPtrArray *found, const char *code)
{
    int n = 0;
    for (guint i = 0; i < found->len; i++)
        n += strcmp(((const test_finding *)found->pdata[i])->code, code) == 0;
    return n;
}

/* ---- the shapes ---- */

static const char *const MALFORMED[] = {
    "12345678",    /* 8 digits */
    "1234567890",  /* 10 digits */
    "12345678901", /* 11 digits */
    "CD1234567",   /* two letters */
    "CD123456",    /* two letters, 8 characters */
    "c1234567",    /* a lower-case letter */
    "C123456",     /* a letter and 6 digits */
    "C12345678",   /* a letter and 8 digits */
    "1234567C",    /* the letter last */
    "12345678X",   /* 9 characters, not all digits */
    "",
};

static void key_kinds_by_shape(void **state)
{
    (void)state;
    assert_int_equal(nm_key_kind_of("001085012345"), NM_KEY_CCCD);
    assert_int_equal(nm_key_kind_of("012345678901"), NM_KEY_CCCD);
    assert_int_equal(nm_key_kind_of("123456789"), NM_KEY_CMND);
    assert_int_equal(nm_key_kind_of("012345678"), NM_KEY_CMND);
    assert_int_equal(nm_key_kind_of("C1234567"), NM_KEY_PASSPORT);
    assert_int_equal(nm_key_kind_of("B0000001"), NM_KEY_PASSPORT);
    assert_int_equal(nm_key_kind_of("N7654321"), NM_KEY_PASSPORT);
    for (size_t i = 0; i < G_N_ELEMENTS(MALFORMED); i++)
        if (nm_key_kind_of(MALFORMED[i]) != NM_KEY_NONE)
            fail_msg("\"%s\" read as a key of kind %d", MALFORMED[i],
                     (int)nm_key_kind_of(MALFORMED[i]));
    /* The words of package.json, both ways. */
    assert_string_equal(nm_key_kind_name(NM_KEY_CCCD), "cccd");
    assert_string_equal(nm_key_kind_name(NM_KEY_CMND), "cmnd");
    assert_string_equal(nm_key_kind_name(NM_KEY_PASSPORT), "passport");
    assert_null(nm_key_kind_name(NM_KEY_NONE));
    for (int k = NM_KEY_CCCD; k <= NM_KEY_PASSPORT; k++)
        assert_int_equal(nm_key_kind_from_name(nm_key_kind_name((nm_key_kind)k)), k);
    assert_int_equal(nm_key_kind_from_name("CCCD"), NM_KEY_NONE);
    assert_int_equal(nm_key_kind_from_name("hochieu"), NM_KEY_NONE);
    assert_int_equal(nm_key_kind_from_name(NULL), NM_KEY_NONE);
    assert_int_equal(NM_KEY_SIZE, 13);
}

/* A temporary key: accepted, one warning naming the kind and the key, and that the member has no
 * CCCD. */
static void assert_temporary(const char *key, const char *label)
{
    nm_rules r = rules();
    GPtrArray *found = test_findings_new();
    if (!nm_check_key(key, "p", &r, test_findings_collect, found))
        fail_msg("\"%s\" refused", key);
    assert_int_equal(found->len, 1);
    const test_finding *h = only(found, "name.temporary_key", "p");
    assert_int_equal(h->severity, SH_WARNING);
    test_assert_contains(h->message, label);
    test_assert_contains(h->message, key);
    test_assert_contains(h->message, "no CCCD");
    test_assert_contains(h->message, "links the dossier by it");
    g_ptr_array_free(found, TRUE);
}

static void check_key_accepts_temporary_keys_with_a_warning(void **state)
{
    (void)state;
    assert_temporary("123456789", "CMND");
    assert_temporary("012345678", "CMND");
    assert_temporary("C1234567", "passport number");
    assert_temporary("B7654321", "passport number");
    /* A CCCD: checked as before, no warning when it is right. */
    nm_rules r = rules();
    GPtrArray *found = test_findings_new();
    assert_true(nm_check_key("001085012345", NULL, &r, test_findings_collect, found));
    assert_int_equal(found->len, 0);
    assert_false(
        nm_check_key("003085012345", NULL, &r, test_findings_collect, found)); /* no province */
    assert_int_equal(only(found, "name.cccd", NULL)->severity, SH_ERROR);
    g_ptr_array_free(found, TRUE);
    found = test_findings_new();
    assert_true(
        nm_check_key("012345678901", NULL, &r, test_findings_collect, found)); /* born "2045" */
    assert_int_equal(only(found, "name.cccd", NULL)->severity, SH_WARNING);
    assert_int_equal(count_code(found, "name.temporary_key"), 0);
    g_ptr_array_free(found, TRUE);
    /* nm_check_cccd stays the CCCD's own check. */
    found = test_findings_new();
    assert_false(nm_check_cccd("123456789", NULL, &r, test_findings_collect, found));
    g_ptr_array_free(found, TRUE);
}

static void check_key_refuses_malformed_keys(void **state)
{
    (void)state;
    nm_rules r = rules();
    for (size_t i = 0; i < G_N_ELEMENTS(MALFORMED); i++) {
        GPtrArray *found = test_findings_new();
        if (nm_check_key(MALFORMED[i], NULL, &r, test_findings_collect, found))
            fail_msg("\"%s\" accepted as a member key", MALFORMED[i]);
        const test_finding *h = only(found, "name.cccd", NULL);
        assert_int_equal(h->severity, SH_ERROR);
        test_assert_contains(h->message, "12 digits");
        if (strlen(MALFORMED[i]) != 12) /* not a CCCD: the message names the other kinds */
            test_assert_contains(h->message, "CMND");
        assert_int_equal(count_code(found, "name.temporary_key"), 0);
        g_ptr_array_free(found, TRUE);
    }
}

/* ---- folder names ---- */

static void split_and_read_folder_keys(void **state)
{
    (void)state;
    char key[NM_KEY_SIZE];
    const char *person = NULL;
    assert_true(nm_split_dossier_folder("123456789_NguyenVanA", key, &person));
    assert_string_equal(key, "123456789");
    assert_string_equal(person, "NguyenVanA");
    assert_true(nm_split_dossier_folder("C1234567_TranThiB", key, &person));
    assert_string_equal(key, "C1234567");
    assert_string_equal(person, "TranThiB");
    assert_true(nm_split_dossier_folder("001085012345_LeVanC", key, &person));
    assert_string_equal(key, "001085012345");
    static const char *const bad[] = {
        "12345678_NguyenVanA", "1234567890_NguyenVanA", "CD1234567_NguyenVanA",
        "c1234567_NguyenVanA", "C123456_NguyenVanA",    "123456789NguyenVanA",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        if (nm_split_dossier_folder(bad[i], key, &person))
            fail_msg("\"%s\" split as a dossier folder", bad[i]);

    /* The lenient reading (pack's selection, the duplicate index): the key and its kind. */
    static const struct {
        const char *folder, *key;
        nm_key_kind kind;
    } good[] = {
        {"001085012345_NguyenVanA", "001085012345", NM_KEY_CCCD},
        {"  001085012345 - Nguyen Van A", "001085012345", NM_KEY_CCCD},
        {"123456789_NguyenVanA", "123456789", NM_KEY_CMND},
        {"012345678 Nguyen Van A", "012345678", NM_KEY_CMND},
        {"C1234567_NguyenVanA", "C1234567", NM_KEY_PASSPORT},
        {" Z0000000-Nguyen", "Z0000000", NM_KEY_PASSPORT},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        nm_key_kind kind = NM_KEY_NONE;
        if (!nm_dossier_key(good[i].folder, key, &kind))
            fail_msg("no key read in \"%s\"", good[i].folder);
        assert_string_equal(key, good[i].key);
        assert_int_equal(kind, good[i].kind);
    }
    static const char *const none[] = {
        "12345678_NguyenVanA",   "1234567890_NguyenVanA",
        "CD1234567_NguyenVanA",  "c1234567_NguyenVanA",
        "C123456_NguyenVanA",    "C12345678_NguyenVanA",
        "0010850123456_NguyenA", "NguyenVanA",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(none); i++) {
        nm_key_kind kind = NM_KEY_CCCD;
        if (nm_dossier_key(none[i], key, &kind))
            fail_msg("\"%s\" read as the key %s", none[i], key);
        assert_int_equal(kind, NM_KEY_NONE);
    }
    /* nm_dossier_cccd stays CCCD-only. */
    assert_false(nm_dossier_cccd("123456789_NguyenVanA", key));
    assert_false(nm_dossier_cccd("C1234567_NguyenVanA", key));
    assert_true(nm_dossier_cccd("001085012345_NguyenVanA", key));
}

static void dossier_folder_of_a_temporary_key(void **state)
{
    (void)state;
    nm_rules r = rules();
    GPtrArray *found = test_findings_new();
    char *f =
        nm_dossier_folder(ORG, "123456789", "Nguyễn Văn An", &r, test_findings_collect, found);
    assert_non_null(f);
    assert_string_equal(f, ORG "/123456789_NguyenVanAn");
    assert_int_equal(only(found, "name.temporary_key", NULL)->severity, SH_WARNING);
    g_free(f);
    g_ptr_array_free(found, TRUE);
    found = test_findings_new();
    f = nm_dossier_folder(ORG, "C1234567", "Trần Thị Bình", &r, test_findings_collect, found);
    assert_non_null(f);
    assert_string_equal(f, ORG "/C1234567_TranThiBinh");
    only(found, "name.temporary_key", NULL);
    g_free(f);
    g_ptr_array_free(found, TRUE);
    for (size_t i = 0; i < G_N_ELEMENTS(MALFORMED); i++) {
        found = test_findings_new();
        f = nm_dossier_folder(ORG, MALFORMED[i], "Nguyễn Văn An", &r, test_findings_collect, found);
        if (f)
            fail_msg("a dossier folder %s made of the key \"%s\"", f, MALFORMED[i]);
        only(found, "name.cccd", NULL);
        g_ptr_array_free(found, TRUE);
    }
}

/* ---- a tree ---- */

static char *put_dossier(const char *root, const char *folder)
{
    char *rel = g_strdup_printf(ORG "/%s/02.Ly lich dang vien.pdf", folder);
    char *path = test_put_pdf(root, rel);
    g_free(rel);
    g_free(path);
    return g_strdup_printf("%s/" ORG "/%s", root, folder);
}

static void check_path_warns_and_refuses(void **state)
{
    const char *root = *state;
    nm_rules r = rules();
    char *cmnd = put_dossier(root, "123456789_NguyenVanAn");
    char *passport = put_dossier(root, "C1234567_TranThiBinh");
    /* The same number as the CMND's, but a CCCD (of no province: an error of its own). */
    char *cccd = put_dossier(root, "000123456789_LeVanCuong");
    static const char *const bad[] = {
        "12345678_NguyenVanD", "1234567890_NguyenVanE", "CD1234567_NguyenVanF",
        "c1234567_NguyenVanG", "C123456_NguyenVanH",
    };
    char *bad_paths[G_N_ELEMENTS(bad)];
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        bad_paths[i] = put_dossier(root, bad[i]);
    GPtrArray *found = test_findings_new();
    nm_check_summary sum = {0};
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(nm_check_path(root, &r, test_findings_collect, found, &sum, &err), SH_OK);
    assert_int_equal(only(found, "name.temporary_key", cmnd)->severity, SH_WARNING);
    assert_int_equal(only(found, "name.temporary_key", passport)->severity, SH_WARNING);
    assert_int_equal(count_code(found, "name.temporary_key"), 2);
    for (guint i = 0; i < found->len; i++) { /* nothing else about the good dossiers */
        const test_finding *h = found->pdata[i];
        if (h->severity == SH_ERROR &&
            (g_str_has_prefix(h->path, cmnd) || g_str_has_prefix(h->path, passport)))
            fail_msg("%s: %s %s", h->path, h->code, h->message);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        /* "CD…" has no key the lenient reading sees: the folder's shape is what is wrong. */
        const char *code = bad[i][1] == 'D' ? "name.folder" : "name.cccd";
        assert_int_equal(only(found, code, bad_paths[i])->severity, SH_ERROR);
        g_free(bad_paths[i]);
    }
    assert_int_equal(count_code(found, "name.cccd_duplicate"), 0);
    assert_int_equal(sum.dossiers, 8);
    g_ptr_array_free(found, TRUE);

    /* A file, or a dossier folder, of a passport's dossier given on its own: judged as in its
     * dossier (not a stray file outside any dossier). */
    const char *alone[] = {"/02.Ly lich dang vien.pdf", ""};
    for (size_t i = 0; i < G_N_ELEMENTS(alone); i++) {
        char *path = g_strconcat(passport, alone[i], NULL);
        found = test_findings_new();
        sum = (nm_check_summary){0};
        assert_int_equal(nm_check_path(path, &r, test_findings_collect, found, &sum, &err), SH_OK);
        assert_int_equal(count_code(found, "name.file"), 0);
        assert_int_equal(sum.errors, 0);
        g_ptr_array_free(found, TRUE);
        g_free(path);
    }

    /* One CMND, one passport in two folders each: name.cccd_duplicate, naming the other. */
    char *cmnd2 = put_dossier(root, "123456789_NguyenVanAnh");
    char *passport2 = put_dossier(root, "C1234567_TranThiBich");
    found = test_findings_new();
    sum = (nm_check_summary){0};
    assert_int_equal(nm_check_path(root, &r, test_findings_collect, found, &sum, &err), SH_OK);
    assert_int_equal(count_code(found, "name.cccd_duplicate"), 4);
    const test_finding *h = only(found, "name.cccd_duplicate", cmnd);
    test_assert_contains(h->message, "CMND (old ID card) 123456789 is also the key of the dossier");
    test_assert_contains(h->message, "123456789_NguyenVanAnh");
    h = only(found, "name.cccd_duplicate", passport2);
    test_assert_contains(h->message, "passport number C1234567");
    test_assert_contains(h->message, "C1234567_TranThiBinh");
    assert_null(strstr(h->message, "123456789"));
    g_ptr_array_free(found, TRUE);

    /* For ingest: the other folder of a key, by kind. */
    char *o = nm_other_dossier_of(root, "123456789", ORG "/123456789_NguyenVanAn");
    assert_string_equal(o, ORG "/123456789_NguyenVanAnh");
    g_free(o);
    o = nm_other_dossier_of(root, "C1234567", ORG "/C1234567_TranThiNew");
    assert_string_equal(o, ORG "/C1234567_TranThiBich");
    g_free(o);
    o = nm_other_dossier_of(root, "000123456789", ORG "/000123456789_LeVanCuong");
    assert_null(o); /* the CCCD 000123456789 is not the CMND 123456789 */
    assert_null(nm_other_dossier_of(root, "C7654321", ORG "/C7654321_NguyenVanX"));
    g_free(cmnd);
    g_free(cmnd2);
    g_free(passport);
    g_free(passport2);
    g_free(cccd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_kinds_by_shape),
        cmocka_unit_test(check_key_accepts_temporary_keys_with_a_warning),
        cmocka_unit_test(check_key_refuses_malformed_keys),
        cmocka_unit_test(split_and_read_folder_keys),
        cmocka_unit_test(dossier_folder_of_a_temporary_key),
        cmocka_unit_test_setup_teardown(check_path_warns_and_refuses, test_setup_tmpdir,
                                        test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
