/* upload: the identity of each dossier in package.json, as the receiving side reads it
 * (up_package_json_parse, docs/package.md): kind "cccd", or "cmnd", "passport" for the temporary
 * key of a member without a CCCD (QĐ-KN Đ17.2), with a key of that kind's shape; any other kind,
 * or a key of another shape than its kind's, is refused. The fuzzer's seed "valid" is the
 * package.json, its identity replaced. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "package_impl.h"

#define SEED_IDENTITY "\"kind\":\"cccd\",\"key\":\"012345678901\""

static char *seed(void)
{
    const char *src = getenv("SOHOA_SOURCE");
    char *unit = g_path_get_dirname(__FILE__);
    char *root = src && *src ? g_strdup(src) : g_build_filename(unit, "..", "..", NULL);
    char *path = g_build_filename(root, "fuzz", "corpus", "package", "valid", NULL);
    size_t len;
    char *text = test_slurp(path, &len);
    g_free(path);
    g_free(root);
    g_free(unit);
    assert_non_null(strstr(text, SEED_IDENTITY));
    return text;
}

/* The seed with the identity {"kind": kind, "key": key}: parsed, SH_OK or not; the error's
 * message in msg (g_free) when not. */
static sh_status parse_with(const char *kind, const char *key, char **msg)
{
    char *text = seed();
    char *at = strstr(text, SEED_IDENTITY);
    char *changed = g_strdup_printf("%.*s\"kind\":\"%s\",\"key\":\"%s\"%s", (int)(at - text), text,
                                    kind, key, at + strlen(SEED_IDENTITY));
    up_package_json pj;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = up_package_json_parse(changed, strlen(changed), &pj, &err);
    if (st == SH_OK) {
        assert_int_equal(pj.n_dossiers, 1);
        assert_string_equal(pj.dossiers[0].identity_kind, kind);
        assert_string_equal(pj.dossiers[0].identity_key, key);
    }
    *msg = st == SH_OK ? NULL : g_strdup(err.msg);
    up_package_json_clear(&pj);
    g_free(changed);
    g_free(text);
    return st;
}

static void each_kind_with_its_key_is_read(void **state)
{
    (void)state;
    static const char *const good[][2] = {
        {"cccd", "012345678901"},
        {"cmnd", "123456789"},
        {"passport", "C1234567"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        char *msg = NULL;
        if (parse_with(good[i][0], good[i][1], &msg) != SH_OK)
            fail_msg("%s %s refused: %s", good[i][0], good[i][1], msg);
    }
}

static void unknown_kinds_and_wrong_keys_are_refused(void **state)
{
    (void)state;
    static const char *const bad[][3] = {
        {"cmt", "123456789", "is not cccd, cmnd or passport"},
        {"CCCD", "012345678901", "is not cccd, cmnd or passport"},
        {"", "012345678901", "is not cccd, cmnd or passport"},
        {"cccd", "123456789", "is not a cccd key"},
        {"cccd", "01234567890", "is not a cccd key"},
        {"cmnd", "012345678901", "is not a cmnd key"},
        {"cmnd", "12345678", "is not a cmnd key"},
        {"passport", "c1234567", "is not a passport key"},
        {"passport", "CD123456", "is not a passport key"},
        {"passport", "C123456", "is not a passport key"},
        {"passport", "123456789", "is not a passport key"},
        {"cmnd", "", "is not a cmnd key"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *msg = NULL;
        if (parse_with(bad[i][0], bad[i][1], &msg) != SH_FINDINGS)
            fail_msg("%s \"%s\" accepted", bad[i][0], bad[i][1]);
        test_assert_contains(msg, bad[i][2]);
        test_assert_contains(msg, "package.json");
        g_free(msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_kind_with_its_key_is_read),
        cmocka_unit_test(unknown_kinds_and_wrong_keys_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
