/* Language choice and gettext: --lang vi / en, an unknown --lang, and the choice from LC_ALL /
 * LC_MESSAGES / LANG / LANGUAGE, with the Vietnamese catalog working even where the vi_VN
 * locale is not generated. The probe message is "out of memory", which po/vi.po translates. */
#include "testutil.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const PROBE = "out of memory";

static void clear_locale_env(void)
{
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    unsetenv("LANG");
    unsetenv("LANGUAGE");
}

static void init_ok(const char *override)
{
    sh_error err;
    sh_error_clear(&err);
    sh_status st = sh_i18n_init(override, &err);
    if (st != SH_OK)
        fail_msg("sh_i18n_init(%s): %s", override ? override : "NULL", err.msg);
}

static void assert_vietnamese(void)
{
    assert_int_equal(sh_i18n_lang(), SH_LANG_VI);
    const char *t = _(PROBE);
    if (strcmp(t, PROBE) == 0) {
        char mo[4096];
        snprintf(mo, sizeof mo, "%s/vi/LC_MESSAGES/sohoa.mo", sh_i18n_localedir());
        fail_msg("\"%s\" is not translated (catalog %s %s)", PROBE, mo,
                 access(mo, R_OK) == 0 ? "exists: is the message in po/vi.po?" : "is missing");
    }
    assert_true(sh_utf8_valid(t, strlen(t)));
}

static void assert_english(void)
{
    assert_int_equal(sh_i18n_lang(), SH_LANG_EN);
    assert_string_equal(_(PROBE), PROBE);
}

static void override_vi_translates_messages(void **state)
{
    (void)state;
    clear_locale_env();
    init_ok("vi");
    assert_vietnamese();
}

static void override_en_gives_english(void **state)
{
    (void)state;
    clear_locale_env();
    init_ok("vi"); /* from Vietnamese back to English in the same process */
    init_ok("en");
    assert_english();
}

static void override_beats_environment(void **state)
{
    (void)state;
    clear_locale_env();
    setenv("LANG", "vi_VN.UTF-8", 1);
    init_ok("en");
    assert_english();

    clear_locale_env();
    setenv("LC_ALL", "en_US.UTF-8", 1);
    init_ok("vi");
    assert_vietnamese();
}

static void unknown_override_is_usage_error(void **state)
{
    (void)state;
    clear_locale_env();
    static const char *const bad[] = {"fr", "", "vietnamese"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sh_error err;
        sh_error_clear(&err);
        assert_int_equal(sh_i18n_init(bad[i], &err), SH_USAGE);
        assert_int_equal(err.status, SH_USAGE);
        assert_true(strlen(err.msg) > 0);
    }
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_i18n_init("fr", &err), SH_USAGE);
    assert_non_null(strstr(err.msg, "fr"));
}

static void lang_vi_selects_vietnamese(void **state)
{
    (void)state;
    clear_locale_env();
    setenv("LANG", "vi_VN.UTF-8", 1);
    init_ok(NULL);
    assert_vietnamese();
}

static void lc_all_overrides_lang(void **state)
{
    (void)state;
    clear_locale_env();
    setenv("LANG", "vi_VN.UTF-8", 1);
    setenv("LC_ALL", "en_US.UTF-8", 1);
    init_ok(NULL);
    assert_english();
}

static void lc_messages_overrides_lang(void **state)
{
    (void)state;
    clear_locale_env();
    setenv("LANG", "en_US.UTF-8", 1);
    setenv("LC_MESSAGES", "vi_VN.UTF-8", 1);
    init_ok(NULL);
    assert_vietnamese();
}

static void language_alone_selects_vietnamese(void **state)
{
    (void)state;
    clear_locale_env();
    setenv("LANGUAGE", "vi", 1);
    init_ok(NULL);
    assert_vietnamese();
}

static void no_environment_means_english(void **state)
{
    (void)state;
    clear_locale_env();
    init_ok(NULL);
    assert_english();

    clear_locale_env();
    setenv("LANG", "C.UTF-8", 1);
    init_ok(NULL);
    assert_english();
}

static void numbers_stay_in_c_locale(void **state)
{
    /* Numbers written to files must not take the operator's decimal comma. */
    (void)state;
    clear_locale_env();
    setenv("LANG", "vi_VN.UTF-8", 1);
    init_ok(NULL);
    assert_string_equal(setlocale(LC_NUMERIC, NULL), "C");
    char buf[16];
    snprintf(buf, sizeof buf, "%.1f", 1.5);
    assert_string_equal(buf, "1.5");
}

static void localedir_follows_environment(void **state)
{
    (void)state;
    const char *env = getenv("SOHOA_LOCALEDIR");
    if (!env || !*env)
        fail_msg("SOHOA_LOCALEDIR is not set (ctest sets it to the build's catalogs)");
    clear_locale_env();
    init_ok("en");
    assert_string_equal(sh_i18n_localedir(), env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(override_vi_translates_messages),
        cmocka_unit_test(override_en_gives_english),
        cmocka_unit_test(override_beats_environment),
        cmocka_unit_test(unknown_override_is_usage_error),
        cmocka_unit_test(lang_vi_selects_vietnamese),
        cmocka_unit_test(lc_all_overrides_lang),
        cmocka_unit_test(lc_messages_overrides_lang),
        cmocka_unit_test(language_alone_selects_vietnamese),
        cmocka_unit_test(no_environment_means_english),
        cmocka_unit_test(numbers_stay_in_c_locale),
        cmocka_unit_test(localedir_follows_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
