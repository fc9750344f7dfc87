/* Atomic file writes and bounded whole-file reads. */
#include "core_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

struct sh_atomic_file {
    int fd;
    int flags;
    bool sealed;    /* flushed to disk by sh_atomic_seal */
    char *path;     /* destination */
    char *tmp_path; /* .<name>.tmp-XXXXXX beside it */
};

/* Split path into its folder ("." when none) and base name. */
static void split_path(const char *path, char **dir, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *dir = strdup(".");
        *base = path;
    } else if (slash == path) {
        *dir = strdup("/");
        *base = slash + 1;
    } else {
        *dir = strndup(path, (size_t)(slash - path));
        *base = slash + 1;
    }
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* A new temp file from the template tmp (its XXXXXX replaced), locked with flock for as long as
 * the writer lives: a sweep (publish.c) removes only temp files nobody holds. A sweep may take
 * the lock between mkostemp and flock and remove the name; the writer then sees no link left
 * and starts again under another name. */
static int create_locked_temp(char *tmp)
{
    size_t len = strlen(tmp);
    char *template_copy = strdup(tmp);
    if (!template_copy)
        return -1;
    for (int attempt = 0; attempt < 100; attempt++) {
        memcpy(tmp, template_copy, len + 1);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
            break;
        struct stat st;
        if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
            free(template_copy);
            return fd;
        }
        close(fd);
    }
    free(template_copy);
    return -1;
}

sh_atomic_file *sh_atomic_open(const char *path, int flags, sh_error *err)
{
    char *dir = NULL;
    const char *base = NULL;
    split_path(path, &dir, &base);
    if (!dir || !*base) {
        free(dir);
        sh_fail(err, SH_USAGE, _("%s: not a file name"), path);
        return NULL;
    }
    if ((flags & SH_ATOMIC_NO_REPLACE) && access(path, F_OK) == 0) {
        free(dir);
        sh_fail(err, SH_USAGE, _("%s already exists; it is left as it is"), path);
        return NULL;
    }
    sh_atomic_file *f = calloc(1, sizeof *f);
    size_t tmp_len = strlen(dir) + strlen(base) + 16;
    char *tmp = malloc(tmp_len);
    if (!f || !tmp) {
        free(f);
        free(tmp);
        free(dir);
        sh_fail(err, SH_INTERNAL, _("out of memory"));
        return NULL;
    }
    snprintf(tmp, tmp_len, "%s/.%s.tmp-XXXXXX", dir, base);
    free(dir);
    int fd = create_locked_temp(tmp);
    if (fd < 0) {
        sh_fail_errno(err, errno == ENOENT ? SH_USAGE : SH_INPUT, errno,
                      _("cannot create a file beside %s"), path);
        free(tmp);
        free(f);
        return NULL;
    }
    if (fchmod(fd, (flags & SH_ATOMIC_PRIVATE) ? 0600 : 0644) != 0) {
        sh_fail_errno(err, SH_INTERNAL, errno, _("cannot set permissions on %s"), tmp);
        close(fd);
        unlink(tmp);
        free(tmp);
        free(f);
        return NULL;
    }
    f->fd = fd;
    f->flags = flags;
    f->path = strdup(path);
    f->tmp_path = tmp;
    if (!f->path) {
        sh_atomic_abort(f);
        sh_fail(err, SH_INTERNAL, _("out of memory"));
        return NULL;
    }
    return f;
}

sh_status sh_atomic_write(sh_atomic_file *f, const void *data, size_t len, sh_error *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write %s"), f->path);
        }
        p += n;
        len -= (size_t)n;
    }
    return SH_OK;
}

static void atomic_free(sh_atomic_file *f)
{
    free(f->path);
    free(f->tmp_path);
    free(f);
}

int sh_atomic_fd(const sh_atomic_file *f) { return f->fd; }

void sh_atomic_abort(sh_atomic_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    unlink(f->tmp_path);
    atomic_free(f);
}

/* rename, or with NO_REPLACE a rename that fails if the destination appeared meanwhile. */
static int publish(const char *tmp, const char *dest, bool no_replace)
{
    if (!no_replace)
        return rename(tmp, dest);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* File systems without RENAME_NOREPLACE: link() also refuses an existing name. */
    if (link(tmp, dest) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

sh_status sh_atomic_seal(sh_atomic_file *f, sh_error *err)
{
    if (!f->sealed && fsync(f->fd) != 0)
        return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot flush %s to disk"), f->path);
    f->sealed = true;
    return SH_OK;
}

const char *sh_atomic_path(const sh_atomic_file *f) { return f->path; }
const char *sh_atomic_temp_path(const sh_atomic_file *f) { return f->tmp_path; }

int sh_fsync_dir_(const char *dir) { return fsync_dir(dir); }

/* The rename into place and its error: SH_USAGE when the name is taken. */
static sh_status put_in_place(sh_atomic_file *f, bool no_replace, sh_error *err)
{
    if (publish(f->tmp_path, f->path, no_replace) == 0)
        return SH_OK;
    if (errno == EEXIST)
        return sh_fail(err, SH_USAGE, _("%s already exists; it is left as it is"), f->path);
    return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot put %s in place"), f->path);
}

/* The folder flushed, so that the rename itself survives a power cut; f freed. */
static sh_status flush_folder_and_free(sh_atomic_file *f, sh_error *err)
{
    sh_status st = SH_OK;
    char *dir = NULL;
    const char *base;
    split_path(f->path, &dir, &base);
    if (!dir || fsync_dir(dir) != 0)
        st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot flush the folder of %s to disk"),
                           f->path);
    free(dir);
    atomic_free(f);
    return st;
}

sh_status sh_atomic_commit_keep_(sh_atomic_file *f, int *locked_fd, sh_error *err)
{
    if (locked_fd)
        *locked_fd = -1;
    sh_status st = sh_atomic_seal(f, err);
    if (st == SH_OK)
        st = put_in_place(f, true, err);
    if (st == SH_OK && locked_fd)
        *locked_fd = f->fd; /* renamed, still open: the lock now guards it under its name */
    else
        close(f->fd); /* the lock goes with it: recovery may take the kept temp file over */
    f->fd = -1;
    if (st != SH_OK) {
        atomic_free(f);
        return st;
    }
    return flush_folder_and_free(f, err);
}

sh_status sh_atomic_commit(sh_atomic_file *f, sh_error *err)
{
    sh_status st = sh_atomic_seal(f, err);
    /* Renamed while still open: the lock keeps sweeps away from the temp file until it is in
     * place (the bytes are already on disk, so closing afterwards cannot lose them). */
    if (st == SH_OK)
        st = put_in_place(f, f->flags & SH_ATOMIC_NO_REPLACE, err);
    if (st != SH_OK) {
        sh_atomic_abort(f);
        return st;
    }
    close(f->fd);
    f->fd = -1;
    return flush_folder_and_free(f, err);
}

sh_status sh_write_file_atomic(const char *path, const void *data, size_t len, int flags,
                               sh_error *err)
{
    sh_error local; /* the status must not depend on whether the caller wants the message */
    if (!err)
        err = &local;
    sh_atomic_file *f = sh_atomic_open(path, flags, err);
    if (!f)
        return err->status;
    sh_status st = sh_atomic_write(f, data, len, err);
    if (st != SH_OK) {
        sh_atomic_abort(f);
        return st;
    }
    return sh_atomic_commit(f, err);
}

int sh_open_regular(const char *path, sh_error *err)
{
    /* O_NONBLOCK: opening a pipe with no writer would otherwise block for ever. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), path);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        sh_fail(err, SH_INPUT, _("%s is not a regular file"), path);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* Grows *buf to hold cap + 1 bytes (the NUL); false when out of memory (*buf kept). */
static bool grow(char **buf, size_t *cap, size_t want)
{
    char *bigger = realloc(*buf, want + 1);
    if (!bigger)
        return false;
    *buf = bigger;
    *cap = want;
    return true;
}

sh_status sh_read_file_into(const char *path, size_t max_bytes, char **buf, size_t *cap,
                            size_t *len, sh_error *err)
{
    *len = 0;
    /* max_bytes + 1 (and one more for the NUL) must not wrap: SIZE_MAX means "no limit". */
    if (max_bytes > SIZE_MAX - 2)
        max_bytes = SIZE_MAX - 2;
    int fd = sh_open_regular(path, err);
    if (fd < 0)
        return err ? err->status : SH_INPUT;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return sh_fail(err, SH_INPUT, _("%s is too large (%lld bytes, at most %zu expected)"), path,
                       (long long)st.st_size, max_bytes);
    }
    /* Read up to max_bytes + 1 whatever fstat said: the file may grow while we read. */
    size_t used = 0;
    if ((!*buf || *cap < (size_t)st.st_size + 1) && !grow(buf, cap, (size_t)st.st_size + 1)) {
        close(fd);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    for (;;) {
        if (used == *cap) {
            if (*cap > max_bytes)
                break;
            if (!grow(buf, cap, *cap > (max_bytes + 1) / 2 ? max_bytes + 1 : *cap * 2)) {
                close(fd);
                return sh_fail(err, SH_INTERNAL, _("out of memory"));
            }
        }
        ssize_t n = read(fd, *buf + used, *cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return sh_fail_errno(err, SH_INPUT, e, _("cannot read %s"), path);
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    if (used > max_bytes)
        return sh_fail(err, SH_INPUT, _("%s is too large (at most %zu bytes expected)"), path,
                       max_bytes);
    (*buf)[used] = '\0';
    *len = used;
    return SH_OK;
}

sh_status sh_read_file(const char *path, size_t max_bytes, char **data, size_t *len, sh_error *err)
{
    char *buf = NULL;
    size_t cap = 0, used = 0;
    *data = NULL;
    if (len)
        *len = 0;
    sh_status st = sh_read_file_into(path, max_bytes, &buf, &cap, &used, err);
    if (st != SH_OK) {
        free(buf);
        return st;
    }
    *data = buf;
    if (len)
        *len = used;
    return SH_OK;
}

static sh_status fail_exists(const char *from, const char *to, sh_error *err)
{
    return sh_fail(err, SH_USAGE, _("%s already exists; %s is left as it is"), to, from);
}

/* renameat2(RENAME_NOREPLACE); on file systems without it, a check just before a rename. */
static int rename_noreplace_raw(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    struct stat st;
    if (lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

sh_status sh_rename_noreplace(const char *from, const char *to, sh_error *err)
{
    struct stat a, b;
    if (lstat(from, &a) != 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot rename %s"), from);
    int rc;
    if (lstat(to, &b) == 0) {
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
            return fail_exists(from, to, err);
        /* The same file under another letter case: go through a name of our own. */
        char *dir = NULL;
        const char *base = NULL;
        split_path(from, &dir, &base);
        char *tmp = dir ? g_strdup_printf("%s/.%s.sohoa-rename", dir, base) : NULL;
        rc = tmp ? rename_noreplace_raw(from, tmp) : -1;
        if (rc == 0 && (rc = rename_noreplace_raw(tmp, to)) != 0) {
            int saved = errno;
            rename(tmp, from);
            errno = saved;
        }
        g_free(tmp);
        free(dir);
    } else {
        rc = rename_noreplace_raw(from, to);
    }
    if (rc != 0)
        return errno == EEXIST
                   ? fail_exists(from, to, err)
                   : sh_fail_errno(err, SH_INPUT, errno, _("cannot rename %s to %s"), from, to);
    char *from_dir = NULL, *to_dir = NULL;
    const char *base = NULL;
    split_path(from, &from_dir, &base);
    split_path(to, &to_dir, &base);
    if (from_dir)
        fsync_dir(from_dir);
    if (to_dir && (!from_dir || strcmp(from_dir, to_dir) != 0))
        fsync_dir(to_dir);
    free(from_dir);
    free(to_dir);
    return SH_OK;
}
