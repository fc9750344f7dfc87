/* A folder of page files, in the order a person reads the names: 2.tif before 10.tif. Every
 * file in it is a page, or a file the operating system keeps there (skipped with a note);
 * anything else stops the document, so that no page is ever left out without a word. */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/ingest.h"

/* Natural order: runs of digits compare by value (then by length, so 02 follows 2), the rest
 * byte by byte ignoring ASCII case, so "Trang 2" < "trang 10". */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (g_ascii_isdigit(*a) && g_ascii_isdigit(*b)) {
            const char *za = a, *zb = b;
            while (*za == '0')
                za++;
            while (*zb == '0')
                zb++;
            const char *ea = za, *eb = zb;
            while (g_ascii_isdigit(*ea))
                ea++;
            while (g_ascii_isdigit(*eb))
                eb++;
            if (ea - za != eb - zb)
                return ea - za < eb - zb ? -1 : 1;
            int c = strncmp(za, zb, (size_t)(ea - za));
            if (c)
                return c;
            if ((ea - a) != (eb - b))
                return (ea - a) < (eb - b) ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        /* Signed, as ever: bytes past ASCII sort first, so the pages keep their order. */
        int ca = g_ascii_tolower(*a); /* NOLINT(bugprone-signed-char-misuse) */
        int cb = g_ascii_tolower(*b); /* NOLINT(bugprone-signed-char-misuse) */
        if (ca != cb)
            return ca < cb ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int by_name(const void *x, const void *y)
{
    const char *a = *(char *const *)x, *b = *(char *const *)y;
    const char *na = strrchr(a, '/'), *nb = strrchr(b, '/');
    int c = natural_cmp(na ? na + 1 : a, nb ? nb + 1 : b);
    return c ? c : strcmp(a, b); /* a total order, so the result never depends on the listing */
}

/* Files an operating system leaves in folders: never pages, skipped with a note. */
static bool system_file(const char *name)
{
    static const char *const NAMES[] = {"Thumbs.db", "ehthumbs.db", "desktop.ini"};
    if (name[0] == '.') /* .DS_Store, AppleDouble ._NAME, and every other hidden entry */
        return true;
    for (size_t i = 0; i < G_N_ELEMENTS(NAMES); i++)
        if (g_ascii_strcasecmp(name, NAMES[i]) == 0)
            return true;
    return false;
}

sh_status in_list_folder(const char *dir, char ***paths, size_t *n, sh_error *err)
{
    *paths = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot read the folder %s"), dir);
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *unusable = g_ptr_array_new_with_free_func(g_free); /* every one, to name the first */
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = g_build_filename(dir, e->d_name, NULL);
        if (system_file(e->d_name)) {
            char *shown = nm_shown(path);
            sh_info(_("skipped %s: a file the operating system keeps, not a page"), shown);
            g_free(shown);
            g_free(path);
            continue;
        }
        /* A page left out would make a document one page short without a word: anything else
         * in the folder stops the document. */
        struct stat st;
        bool usable = stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
                      in_kind_of_name(e->d_name) != IN_KIND_UNKNOWN;
        g_ptr_array_add(usable ? found : unusable, path);
    }
    closedir(d);
    if (unusable->len > 0) {
        g_ptr_array_sort(unusable, by_name);
        const char *first = g_ptr_array_index(unusable, 0);
        char *shown = nm_shown(first);
        struct stat st;
        if (stat(first, &st) == 0 && S_ISDIR(st.st_mode))
            sh_fail(err, SH_INPUT,
                    _("%s is a folder inside the folder of pages: the pages of one document are "
                      "the files of one folder. Move its files out of it, or give it as a "
                      "document of its own"),
                    shown);
        else
            sh_fail(err, SH_INPUT,
                    _("%s is not a page sohoa can use: a folder of pages holds TIFF, JPEG, PNG "
                      "or PDF files only. Convert it to one of those, or move it out of the "
                      "folder, then ingest again"),
                    shown);
        if (err && unusable->len > 1) {
            char more[128];
            snprintf(more, sizeof more,
                     ngettext(" (and %u more such file)", " (and %u more such files)",
                              unusable->len - 1),
                     unusable->len - 1);
            g_strlcat(err->msg, more, sizeof err->msg);
        }
        g_free(shown);
        g_ptr_array_free(unusable, TRUE);
        g_ptr_array_free(found, TRUE);
        return SH_INPUT;
    }
    g_ptr_array_free(unusable, TRUE);
    g_ptr_array_sort(found, by_name);
    sh_debug("%s: %u page files", dir, found->len);
    *n = found->len;
    g_ptr_array_set_free_func(found, NULL);
    g_ptr_array_add(found, NULL);
    *paths = (char **)g_ptr_array_free(found, FALSE);
    return SH_OK;
}
