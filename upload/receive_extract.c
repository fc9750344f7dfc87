/* The extraction: a hidden staging folder DIR/.receiving-<id>-XXXXXX per package, locked (flock)
 * while its run lives, filled as the payload streams in; published by one rename to DIR/<id>
 * once the whole package is valid, else removed. A killed run's staging folder is removed by the
 * next run (its lock is gone). Files 0600, folders 0700: dossiers are personal data. */
#include "receive_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    SH_IGNORE_RESULT(remove(path)); /* best effort: what stays is reported by nothing worse */
    return 0;
}

static void remove_tree(const char *path)
{
    SH_IGNORE_RESULT(nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS));
}

void up_rx_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, UP_RX_STAGING_PREFIX, strlen(UP_RX_STAGING_PREFIX)) != 0)
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        /* Unlocked: its run is gone; unless made a moment ago, by a run about to lock it. */
        struct stat st;
        bool young = fstat(fd, &st) == 0 && time(NULL) - st.st_mtime < 60;
        if (!young && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            char *path = g_build_filename(dir, de->d_name, NULL);
            remove_tree(path);
            g_free(path);
        }
        close(fd);
    }
    closedir(d);
}

/* A file system without O_TMPFILE (FAT on a USB disk, network shares): a named file, removed at
 * once; only a kill in between could leave it. */
static int named_temp(const char *dir)
{
    char *tmpl = g_strdup_printf("%s/%stmp-XXXXXX", dir, UP_RX_STAGING_PREFIX);
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd >= 0 && (fchmod(fd, 0600) != 0 || unlink(tmpl) != 0)) {
        int saved = errno;
        SH_IGNORE_RESULT(unlink(tmpl));
        close(fd);
        errno = saved;
        fd = -1;
    }
    g_free(tmpl);
    return fd;
}

sh_status up_rx_temp_file(const up_rx *rx, int *fd, sh_error *err)
{
    *fd = open(rx->tmp_dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (*fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
        *fd = named_temp(rx->tmp_dir);
    if (*fd < 0)
        return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot make a temporary file in %s"),
                             rx->tmp_dir);
    return SH_OK;
}

static sh_status staging_open(up_rx *rx, up_rx_package *pkg, sh_error *err)
{
    char *tmpl = g_strdup_printf("%s/%s%s-XXXXXX", rx->o->into, UP_RX_STAGING_PREFIX, pkg->id);
    if (!mkdtemp(tmpl)) {
        sh_status st =
            sh_fail_errno(err, SH_INTERNAL, errno, _("cannot make a folder in %s"), rx->o->into);
        g_free(tmpl);
        return st;
    }
    pkg->staging = tmpl;
    pkg->staging_fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (pkg->staging_fd < 0 || flock(pkg->staging_fd, LOCK_EX | LOCK_NB) != 0)
        return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot use the folder %s"), tmpl);
    return SH_OK;
}

/* The folder of rel's parent inside the staging folder, made as needed: a descriptor, or -1. */
static int parent_dir(int root, const char *rel, const char **base)
{
    int dir = dup(root);
    const char *part = rel;
    for (const char *slash; dir >= 0 && (slash = strchr(part, '/')) != NULL; part = slash + 1) {
        char *name = g_strndup(part, (size_t)(slash - part));
        if (mkdirat(dir, name, 0700) != 0 && errno != EEXIST) {
            g_free(name);
            close(dir);
            return -1;
        }
        int next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        g_free(name);
        close(dir);
        errno = saved;
        dir = next;
    }
    *base = part;
    return dir;
}

sh_status up_rx_staging_file(up_rx *rx, up_rx_package *pkg, const char *rel, int *fd, sh_error *err)
{
    *fd = -1;
    if (!pkg->staging) {
        sh_status st = staging_open(rx, pkg, err);
        if (st != SH_OK)
            return st;
    }
    /* data/<org>/<dossier>/<file> → <org>/<dossier>/<file> */
    const char *inside = rel + strlen(UP_RX_DATA_PREFIX), *base = NULL;
    int dir = parent_dir(pkg->staging_fd, inside, &base);
    if (dir < 0) {
        if (errno == EEXIST || errno == ENOTDIR || errno == ELOOP)
            return SH_OK; /* a clash of names: the caller reports it */
        return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot make a folder in %s"),
                             pkg->staging);
    }
    *fd = openat(dir, base, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int saved = errno;
    close(dir);
    errno = saved;
    if (*fd < 0 && errno != EEXIST && errno != EISDIR)
        return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write in %s"), pkg->staging);
    if (*fd < 0)
        errno = EEXIST;
    return SH_OK;
}

/* fsync every folder of the tree at dir (files were flushed as written). */
static bool sync_tree(int dir, int depth)
{
    if (depth > 8)
        return false;
    int copy = dup(dir);
    DIR *d = copy >= 0 ? fdopendir(copy) : NULL;
    if (!d) {
        if (copy >= 0)
            close(copy);
        return false;
    }
    bool ok = true;
    struct dirent *de;
    while (ok && (de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        int sub = openat(dir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ok = sub >= 0 && sync_tree(sub, depth + 1);
        if (sub >= 0)
            close(sub);
    }
    closedir(d);
    return ok && fsync(dir) == 0;
}

/* package.json (one volume) or package.part<k>-of-<n>.json, byte for byte as received. */
static bool write_package_json(const up_rx_package *pkg)
{
    for (guint i = 0; i < pkg->volumes->len; i++) {
        const up_rx_volume *v = &g_array_index(pkg->volumes, up_rx_volume, i);
        char *name = v->volumes > 1
                         ? g_strdup_printf("package.part%d-of-%d.json", v->volume, v->volumes)
                         : g_strdup("package.json");
        int fd = openat(pkg->staging_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        g_free(name);
        bool ok =
            fd >= 0 && up_rx_write_all(fd, v->package_json, v->package_json_len) && fsync(fd) == 0;
        if (fd >= 0)
            close(fd);
        if (!ok)
            return false;
    }
    return true;
}

sh_status up_rx_publish(up_rx *rx, up_rx_package *pkg, sh_error *err)
{
    char *final = g_build_filename(rx->o->into, pkg->id, NULL);
    if (access(final, F_OK) == 0) {
        up_rx_report(pkg, "receive.extract.exists", SH_WARNING, final, 0,
                     _("%s exists already (received before): left as it is."), final);
        g_free(final);
        up_rx_discard(pkg);
        return SH_OK;
    }
    sh_status st = pkg->staging ? SH_OK : staging_open(rx, pkg, err);
    if (st != SH_OK) {
        g_free(final);
        return st;
    }
    if (!write_package_json(pkg) || !sync_tree(pkg->staging_fd, 0)) {
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write in %s"), pkg->staging);
        g_free(final);
        return st;
    }
    st = sh_rename_noreplace(pkg->staging, final, err);
    if (st != SH_OK) {
        g_free(final);
        return st;
    }
    g_free(pkg->staging);
    pkg->staging = NULL;
    close(pkg->staging_fd);
    pkg->staging_fd = -1;
    pkg->extracted = final;
    return SH_OK;
}

void up_rx_discard(up_rx_package *pkg)
{
    if (pkg->staging) {
        remove_tree(pkg->staging);
        g_free(pkg->staging);
        pkg->staging = NULL;
    }
    if (pkg->staging_fd >= 0)
        close(pkg->staging_fd);
    pkg->staging_fd = -1;
}
