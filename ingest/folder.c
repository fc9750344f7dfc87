/* A folder of page files, in the order a person reads the names: 2.tif before 10.tif. */
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
        int ca = g_ascii_tolower(*a), cb = g_ascii_tolower(*b);
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

sh_status in_list_folder(const char *dir, char ***paths, size_t *n, sh_error *err)
{
    *paths = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot read the folder %s"), dir);
    GPtrArray *found = g_ptr_array_new();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || in_kind_of_name(e->d_name) == IN_KIND_UNKNOWN)
            continue;
        char *path = g_build_filename(dir, e->d_name, NULL);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            g_ptr_array_add(found, path);
        else
            g_free(path);
    }
    closedir(d);
    if (found->len > 1)
        qsort(found->pdata, found->len, sizeof(char *), by_name);
    *n = found->len;
    g_ptr_array_add(found, NULL);
    *paths = (char **)g_ptr_array_free(found, FALSE);
    return SH_OK;
}
