/* gettext set-up. The Vietnamese catalog must work on stations where only C.UTF-8 exists
 * (vi_VN is often not generated), so the language is chosen here and handed to gettext through
 * LANGUAGE under a UTF-8 locale, rather than left to setlocale() alone. */
#include "core/core.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#ifndef SOHOA_LOCALEDIR
#define SOHOA_LOCALEDIR "/usr/local/share/locale"
#endif

static sh_lang current_lang = SH_LANG_EN;
static char localedir[PATH_MAX];

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* $SOHOA_LOCALEDIR, else <exe dir>/locale (the build tree), else <exe dir>/../share/locale
 * (an install under any prefix), else the configured install path. */
static void find_localedir(void)
{
    const char *env = getenv("SOHOA_LOCALEDIR");
    if (env && *env) {
        snprintf(localedir, sizeof localedir, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *bin_dir = g_path_get_dirname(exe);
        char *candidates[] = {g_build_filename(bin_dir, "locale", NULL),
                              g_build_filename(bin_dir, "..", "share", "locale", NULL)};
        bool found = false;
        for (size_t i = 0; i < 2; i++) {
            if (!found && is_dir(candidates[i]) &&
                g_strlcpy(localedir, candidates[i], sizeof localedir) < sizeof localedir)
                found = true;
            g_free(candidates[i]);
        }
        g_free(bin_dir);
        if (found)
            return;
    }
    snprintf(localedir, sizeof localedir, "%s", SOHOA_LOCALEDIR);
}

static bool names_vietnamese(const char *v) { return v && strncmp(v, "vi", 2) == 0; }

/* The first of the POSIX locale variables that is set decides, as setlocale() would. */
static sh_lang lang_from_environment(void)
{
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return names_vietnamese(v) ? SH_LANG_VI : SH_LANG_EN;
    }
    return names_vietnamese(getenv("LANGUAGE")) ? SH_LANG_VI : SH_LANG_EN;
}

sh_status sh_i18n_init(const char *override, sh_error *err)
{
    if (override) {
        if (strcmp(override, "vi") == 0)
            current_lang = SH_LANG_VI;
        else if (strcmp(override, "en") == 0)
            current_lang = SH_LANG_EN;
        else
            return sh_fail(err, SH_USAGE, "--lang %s: expected vi or en", override);
    } else {
        current_lang = lang_from_environment();
    }

    /* A UTF-8 locale for character handling; C.UTF-8 always exists on Debian 12. */
    if (!setlocale(LC_ALL, "") || !strstr(setlocale(LC_CTYPE, NULL), "UTF-8"))
        setlocale(LC_ALL, "C.UTF-8");
    /* Numbers in files we write must not depend on the operator's locale. */
    setlocale(LC_NUMERIC, "C");
    /* gettext ignores LANGUAGE only under the plain "C" locale; C.UTF-8 is not that. */
    setenv("LANGUAGE", current_lang == SH_LANG_VI ? "vi" : "en", 1);

    find_localedir();
    bindtextdomain("sohoa", localedir);
    bind_textdomain_codeset("sohoa", "UTF-8");
    textdomain("sohoa");
    return SH_OK;
}

sh_lang sh_i18n_lang(void) { return current_lang; }

sh_lang sh_i18n_switch(sh_lang lang)
{
    sh_lang before = current_lang;
    current_lang = lang;
    setenv("LANGUAGE", lang == SH_LANG_VI ? "vi" : "en", 1);
    /* gettext caches translations: setting the same text domain again is its documented signal
     * that the environment changed (it bumps _nl_msg_cat_cntr). */
    const char *domain = textdomain(NULL);
    if (domain) {
        char *copy = g_strdup(domain);
        textdomain(copy);
        g_free(copy);
    }
    return before;
}

const char *sh_i18n_localedir(void)
{
    if (!localedir[0])
        find_localedir();
    return localedir;
}
