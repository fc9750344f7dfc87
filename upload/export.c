/* sohoa export: package volumes copied onto a mounted medium for the air gap (upload.h,
 * up_export). Each copy is written under a hidden, locked temporary name, flushed, read back
 * from the medium and hashed against the ledger's SHA-256, and only then renamed into place:
 * a file under its final name on the medium is always whole and right. Memory is one buffer
 * whatever the volume's size. */
#include "deliver_impl.h"
#include "medium_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>

#define COPY_BUF (1u << 20)
#define TEMP_MARK ".sohoa-tmp-"
#define SUMS_NAME "SHA256SUMS"
#define SUMS_MAX (4u << 20)

typedef struct {
    const up_export_options *o;
    up_md_medium m;
    up_dv_log log;
    const char *shown; /* the medium in messages: its label, else UUID, else device */
    uint8_t *buf;
    uint64_t done, total; /* bytes copied in this run, and to copy at most */
    uint64_t left;        /* bytes of the volumes not yet handled */
    GHashTable *sums;     /* file name → SHA-256 of the volumes now on the medium */
    up_delivery_summary *sum;
    GHashTable *packages; /* package IDs seen, for sum->packages */
} export_run;

/* ---- temporary files on the medium ---- */

/* Is name one of ours, .<name>.sohoa-tmp-XXXXXX? */
static bool is_temp_name(const char *name)
{
    const char *mark = strstr(name, TEMP_MARK);
    return name[0] == '.' && mark && strlen(mark) == strlen(TEMP_MARK) + 6;
}

/* Remove the temporary files of exports that were killed: those nobody holds locked (a live
 * export holds its own). */
static int sweep_medium(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_temp_name(e->d_name))
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat sb;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 &&
            S_ISREG(sb.st_mode) && unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
        if (fd >= 0)
            close(fd);
    }
    closedir(d);
    return removed;
}

/* A new temporary file for final (DIR/NAME), locked while we live; its path in *tmp. A sweep
 * may take the lock between mkostemp and flock and remove the name: then another name. */
static int temp_open(const char *dir, const char *name, char **tmp)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        *tmp = g_strdup_printf("%s/.%s" TEMP_MARK "XXXXXX", dir, name);
        int fd = mkostemp(*tmp, O_CLOEXEC);
        if (fd < 0)
            return -1;
        struct stat sb;
        if (flock(fd, LOCK_EX) == 0 && fstat(fd, &sb) == 0 && sb.st_nlink > 0) {
            SH_IGNORE_RESULT(fchmod(fd, 0644));
            return fd;
        }
        close(fd);
        g_free(*tmp);
        *tmp = NULL;
    }
    errno = EEXIST;
    return -1;
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

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* ---- hashing ---- */

static void digest_hex(EVP_MD_CTX *md, char hex[SH_SHA256_HEX_LEN + 1])
{
    uint8_t out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    SH_IGNORE_RESULT(EVP_DigestFinal_ex(md, out, &n));
    sh_hex(out, n, hex);
}

/* The SHA-256 of the file at path as the medium holds it: the page cache dropped first, so
 * the bytes come from the device where the kernel allows. false with errno on a read error. */
static bool hash_from_medium(const char *path, uint8_t *buf, uint64_t *size,
                             char hex[SH_SHA256_HEX_LEN + 1])
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    SH_IGNORE_RESULT(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    *size = 0;
    ssize_t r;
    while (ok && (r = read(fd, buf, COPY_BUF)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        ok = r > 0 && EVP_DigestUpdate(md, buf, (size_t)r) == 1;
        *size += r > 0 ? (uint64_t)r : 0;
    }
    int saved = errno;
    if (ok)
        digest_hex(md, hex);
    EVP_MD_CTX_free(md);
    close(fd);
    errno = saved;
    return ok;
}

/* ---- one volume ---- */

typedef struct {
    const up_dv_volume *v;
    char *final, *tmp;
    int tfd;
    uint64_t copied;
    int64_t row;
} copy_job;

static sh_status write_failed(export_run *x, const copy_job *j, int errnum, sh_error *err)
{
    if (errnum == ENOSPC || errnum == EDQUOT) {
        char *need = g_format_size(x->left), *had = g_format_size(x->m.pub.free_bytes);
        sh_status st = sh_fail(
            err, SH_INTERNAL,
            _("the medium %s (%s) is full: volume %d of package %s does not fit; the volumes "
              "still to copy need %s, %s is free. Nothing half-written was left: free space on "
              "the medium or use a bigger one, then run sohoa export again (volumes already "
              "there are not copied again)"),
            x->shown, x->m.dir, j->v->volume, j->v->package, need, had);
        g_free(need);
        g_free(had);
        return st;
    }
    return sh_fail_errno(err, SH_INTERNAL, errnum,
                         _("writing %s on the medium %s failed; the partial copy was removed: "
                           "check the medium or use another one, then run sohoa export "
                           "again"),
                         j->final, x->shown);
}

/* Enough room for this volume? Checked before writing, so that a medium too small fails at
 * once rather than after minutes of copying. */
static sh_status check_space(export_run *x, const copy_job *j, sh_error *err)
{
    struct statvfs vs;
    if (statvfs(x->m.dir, &vs) != 0)
        return SH_OK; /* the writes will tell */
    uint64_t avail = (uint64_t)vs.f_bavail * vs.f_frsize;
    x->m.pub.free_bytes = avail;
    return avail < j->v->bytes ? write_failed(x, j, ENOSPC, err) : SH_OK;
}

/* The volume's bytes into the temporary file, hashed on the way (the source must still be
 * what pack wrote). */
static sh_status copy_bytes(export_run *x, copy_job *j, sh_error *err)
{
    int sfd = open(j->v->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (sfd < 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("%s cannot be read"), j->v->path);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    sh_status st = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
                       ? SH_OK
                       : sh_fail(err, SH_INTERNAL, _("out of memory"));
    ssize_t r;
    while (st == SH_OK && (r = read(sfd, x->buf, COPY_BUF)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            st = sh_fail_errno(err, SH_INPUT, errno, _("%s cannot be read"), j->v->path);
        else if (!write_all(j->tfd, x->buf, (size_t)r))
            st = write_failed(x, j, errno, err);
        else if (EVP_DigestUpdate(md, x->buf, (size_t)r) == 1) {
            j->copied += (uint64_t)r;
            x->done += (uint64_t)r;
            if (x->o->bytes)
                x->o->bytes(x->done, x->total, x->o->ctx);
        }
    }
    char hex[SH_SHA256_HEX_LEN + 1] = "";
    if (st == SH_OK)
        digest_hex(md, hex);
    EVP_MD_CTX_free(md);
    close(sfd);
    if (st == SH_OK && strcmp(hex, j->v->sha256) != 0)
        st = sh_fail(err, SH_INPUT,
                     _("%s changed since pack wrote it (its SHA-256 is not the one recorded): "
                       "restore it from the backup copy, or pack the dossiers again"),
                     j->v->path);
    return st;
}

/* Flushed, read back from the medium and compared, then put in place. */
static sh_status verify_and_place(export_run *x, copy_job *j, sh_error *err)
{
    if (fsync(j->tfd) != 0)
        return write_failed(x, j, errno, err);
    SH_IGNORE_RESULT(posix_fadvise(j->tfd, 0, 0, POSIX_FADV_DONTNEED));
    char hex[SH_SHA256_HEX_LEN + 1] = "";
    uint64_t size = 0;
    if (!hash_from_medium(j->tmp, x->buf, &size, hex))
        return sh_fail_errno(err, SH_INTERNAL, errno,
                             _("the copy %s cannot be read back from the medium %s; it was "
                               "removed: check the medium or use another one"),
                             j->final, x->shown);
    if (size != j->v->bytes || strcmp(hex, j->v->sha256) != 0)
        return sh_fail(err, SH_INTERNAL,
                       _("the copy of %s read back from the medium %s is not what was written "
                         "(SHA-256 %s, not %s): the medium is failing; the copy was removed, "
                         "use another medium"),
                       j->v->path, x->shown, hex, j->v->sha256);
    if (rename(j->tmp, j->final) != 0 || fsync_dir(x->m.dir) != 0)
        return write_failed(x, j, errno, err);
    g_free(j->tmp);
    j->tmp = NULL;
    return SH_OK;
}

/* Is the volume on the medium already, whole and right? */
static bool already_there(export_run *x, const up_dv_volume *v, const char *final)
{
    struct stat sb;
    if (lstat(final, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != v->bytes)
        return false;
    char hex[SH_SHA256_HEX_LEN + 1] = "";
    uint64_t size = 0;
    return hash_from_medium(final, x->buf, &size, hex) && size == v->bytes &&
           strcmp(hex, v->sha256) == 0;
}

static void report(export_run *x, const copy_job *j, bool already, const char *error)
{
    up_delivery_report r = {.package = j->v->package,
                            .org = j->v->org,
                            .volume = j->v->volume,
                            .volumes = j->v->volumes,
                            .path = j->v->path,
                            .bytes = j->v->bytes,
                            .sent = j->copied,
                            .already = already,
                            .stage = UP_STAGE_SENDING,
                            .error = error,
                            .target = j->final};
    sh_error ignored;
    if (sh_ledger_begin_read(x->o->ledger, &ignored) == SH_OK) {
        SH_IGNORE_RESULT(up_dv_stage(x->o->ledger, j->v->package, &r.stage, &ignored));
        sh_ledger_rollback(x->o->ledger);
    }
    if (x->o->volume)
        x->o->volume(&r, x->o->ctx);
}

static sh_status begin_row(export_run *x, copy_job *j, sh_error *err)
{
    sh_status st = sh_ledger_begin(x->o->ledger, err);
    if (st == SH_OK)
        st = up_dv_transfer_begin(&x->log, j->v, &j->row, err);
    if (st == SH_OK)
        return sh_ledger_commit(x->o->ledger, err);
    sh_ledger_rollback(x->o->ledger);
    return st;
}

/* Copy a volume whose row is begun; on failure nothing of it stays on the medium. */
static sh_status copy_volume(export_run *x, copy_job *j, sh_error *err)
{
    sh_status st = check_space(x, j, err);
    if (st == SH_OK) {
        j->tfd = temp_open(x->m.dir, strrchr(j->final, '/') + 1, &j->tmp);
        if (j->tfd < 0)
            st = write_failed(x, j, errno, err);
    }
    if (st == SH_OK)
        st = copy_bytes(x, j, err);
    if (st == SH_OK)
        st = verify_and_place(x, j, err);
    if (j->tmp)
        unlink(j->tmp);
    if (j->tfd >= 0)
        close(j->tfd);
    return st;
}

static sh_status export_volume(export_run *x, const up_dv_volume *v, sh_error *err)
{
    const char *name = strrchr(v->path, '/') ? strrchr(v->path, '/') + 1 : v->path;
    copy_job j = {.v = v, .final = g_build_filename(x->m.dir, name, NULL), .tfd = -1};
    g_hash_table_add(x->packages, g_strdup(v->package));
    sh_status st = SH_OK;
    if (already_there(x, v, j.final)) {
        g_hash_table_replace(x->sums, g_strdup(name), g_strdup(v->sha256));
        x->sum->already++;
        x->done += v->bytes; /* nothing to copy: the bar moves on */
        if (x->o->bytes)
            x->o->bytes(x->done, x->total, x->o->ctx);
        report(x, &j, true, NULL);
    } else if ((st = begin_row(x, &j, err)) == SH_OK) {
        st = copy_volume(x, &j, err);
        sh_error end_err;
        sh_status end = up_dv_transfer_end(&x->log, v, j.row, st == SH_OK ? "exported" : "failed",
                                           j.copied, st == SH_OK ? NULL : err->msg, NULL, &end_err);
        if (st == SH_OK && end != SH_OK) {
            *err = end_err;
            st = end;
        }
        if (st == SH_OK) {
            g_hash_table_replace(x->sums, g_strdup(name), g_strdup(v->sha256));
            x->sum->sent_volumes++;
            x->sum->bytes_sent += j.copied;
        } else {
            x->sum->failed++;
        }
        report(x, &j, false, st == SH_OK ? NULL : err->msg);
    }
    x->left -= v->bytes <= x->left ? v->bytes : x->left;
    g_free(j.tmp);
    g_free(j.final);
    return st;
}

/* ---- SHA256SUMS on the medium: every volume exported there, for `sha256sum -c` ---- */

/* The lines of an existing SHA256SUMS ("HEX  NAME"), kept when we have nothing newer. */
static void sums_read(const char *path, GHashTable *into)
{
    char *text = NULL;
    gsize len = 0;
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > SUMS_MAX ||
        !g_file_get_contents(path, &text, &len, NULL))
        return;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n > SH_SHA256_HEX_LEN + 2 && line[SH_SHA256_HEX_LEN] == ' ' &&
            (line[SH_SHA256_HEX_LEN + 1] == ' ' || line[SH_SHA256_HEX_LEN + 1] == '*') &&
            !strchr(line + SH_SHA256_HEX_LEN + 2, '/') &&
            !g_hash_table_contains(into, line + SH_SHA256_HEX_LEN + 2))
            g_hash_table_insert(into, g_strdup(line + SH_SHA256_HEX_LEN + 2),
                                g_strndup(line, SH_SHA256_HEX_LEN));
    }
    g_free(text);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static sh_status sums_write(export_run *x, sh_error *err)
{
    char *path = g_build_filename(x->m.dir, SUMS_NAME, NULL);
    char *old = NULL;
    gsize old_len = 0;
    SH_IGNORE_RESULT(g_file_get_contents(path, &old, &old_len, NULL));
    sums_read(path, x->sums);
    guint n = 0;
    gpointer *names = g_hash_table_get_keys_as_array(x->sums, &n);
    qsort(names, n, sizeof *names, by_name);
    GString *text = g_string_new(NULL);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(text, "%s  %s\n",
                               (const char *)g_hash_table_lookup(x->sums, names[i]),
                               (const char *)names[i]);
    g_free(names);
    sh_status st = SH_OK;
    if (!old || old_len != text->len || memcmp(old, text->str, text->len) != 0) {
        char *tmp = NULL;
        int fd = temp_open(x->m.dir, SUMS_NAME, &tmp);
        if (fd < 0 || !write_all(fd, (const uint8_t *)text->str, text->len) || fsync(fd) != 0 ||
            rename(tmp, path) != 0 || fsync_dir(x->m.dir) != 0)
            st = sh_fail_errno(err, SH_INTERNAL, errno,
                               _("%s could not be written on the medium %s (the volumes on it "
                                 "are whole and checked): check the medium, then run sohoa "
                                 "export again"),
                               path, x->shown);
        if (tmp && st != SH_OK)
            unlink(tmp);
        if (fd >= 0)
            close(fd);
        g_free(tmp);
    }
    g_string_free(text, TRUE);
    g_free(old);
    g_free(path);
    return st;
}

/* ---- the run ---- */

/* o->to must be a writable folder outside the workspace: export is for a medium that leaves
 * the station. */
static sh_status open_medium(export_run *x, sh_error *err)
{
    const char *root = x->o->ws->root;
    sh_status st = up_md_identify(x->o->to, &x->m, err);
    if (st != SH_OK)
        return st;
    char *rel = sh_workspace_relpath(root, x->m.dir);
    bool inside = rel || strcmp(x->m.dir, root) == 0;
    g_free(rel);
    if (inside)
        return sh_fail(err, SH_USAGE,
                       _("%s is inside the workspace: export copies packages onto a removable "
                         "medium; give a folder on the mounted medium"),
                       x->o->to);
    struct stat sb;
    x->m.pub.workspace_fs = stat(root, &sb) == 0 && sb.st_dev == x->m.dev;
    x->shown = x->m.label ? x->m.label : x->m.uuid ? x->m.uuid : x->m.device ? x->m.device : "?";
    x->log = (up_dv_log){.ledger = x->o->ledger,
                         .actor = x->o->actor,
                         .channel = UP_CHANNEL_MEDIUM,
                         .target = x->m.identity};
    return SH_OK;
}

static sh_status export_all(export_run *x, const up_dv_list *list, sh_error *err)
{
    for (int i = 0; i < list->n; i++)
        x->total += list->v[i].bytes;
    x->left = x->total;
    int swept = sweep_medium(x->m.dir);
    if (swept)
        sh_info(ngettext("removed %d temporary file an interrupted export left on %s",
                         "removed %d temporary files an interrupted export left on %s",
                         (unsigned long)swept),
                swept, x->m.dir);
    if (x->o->medium)
        x->o->medium(&x->m.pub, x->o->ctx);
    sh_status st = SH_OK;
    for (int i = 0; i < list->n && st == SH_OK; i++)
        st = export_volume(x, &list->v[i], err);
    if (g_hash_table_size(x->sums) > 0) {
        sh_error sums_err;
        sh_status sums = sums_write(x, &sums_err);
        if (st == SH_OK && sums != SH_OK) {
            *err = sums_err;
            st = sums;
        }
    }
    return st;
}

sh_status up_export(char *const *files, int n_files, const up_export_options *o,
                    up_delivery_summary *sum, sh_error *err)
{
    memset(sum, 0, sizeof *sum);
    export_run x = {.o = o, .sum = sum};
    up_dv_list list = {0};
    sh_status st = open_medium(&x, err);
    int lock = st == SH_OK ? up_dv_lock(o->ws, err) : -1;
    if (st == SH_OK && lock < 0)
        st = SH_INTERNAL;
    if (st == SH_OK)
        st = up_dv_select(o->ws, o->ledger, files, files ? n_files : 0, &list, err);
    if (st == SH_OK)
        st = up_dv_close_killed(o->ledger, err);
    if (st == SH_OK) {
        x.buf = g_malloc(COPY_BUF);
        x.sums = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        x.packages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        sum->volumes = list.n;
        st = export_all(&x, &list, err);
        sum->packages = (int)g_hash_table_size(x.packages);
        g_hash_table_destroy(x.sums);
        g_hash_table_destroy(x.packages);
        g_free(x.buf);
    }
    up_dv_list_clear(&list);
    up_md_clear(&x.m);
    if (lock >= 0)
        close(lock);
    return st;
}
