/* The medium export writes onto (medium_impl.h): the filesystem of a folder and its identity. */
#include "medium_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <blkid.h>
#include <glib.h>

#define MOUNTINFO_MAX (8u << 20)

/* ---- /proc/self/mountinfo ---- */

/* Decode the kernel's octal escapes (\040 a space, \011, \012, \134) in place. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

bool up_md_parse_mountinfo_line(char *line, up_md_mount *out)
{
    /* ID PARENT MAJ:MIN ROOT MOUNT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS */
    char *save = NULL, *field[6];
    for (int i = 0; i < 6; i++) {
        field[i] = strtok_r(i == 0 ? line : NULL, " \t\n", &save);
        if (!field[i])
            return false;
    }
    if (sscanf(field[2], "%u:%u", &out->major, &out->minor) != 2)
        return false;
    char *f;
    while ((f = strtok_r(NULL, " \t\n", &save)) && strcmp(f, "-") != 0) {
    }
    if (!f)
        return false;
    out->fstype = strtok_r(NULL, " \t\n", &save);
    out->source = strtok_r(NULL, " \t\n", &save);
    if (!out->fstype || !out->source)
        return false;
    out->mount = field[4];
    unescape_octal(out->mount);
    unescape_octal(out->source);
    unescape_octal(out->fstype);
    return true;
}

/* Is mount the folder path or one of its parents? */
static bool mount_holds(const char *mount, const char *path)
{
    size_t n = strlen(mount);
    if (strcmp(mount, "/") == 0)
        return true;
    return strncmp(mount, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The mount of path: the longest mount point above it with its device, the last listed when
 * mounts are stacked; without a device match (some filesystems report another st_dev), the
 * longest mount point above it. */
static bool find_mount(const char *path, dev_t dev, up_md_medium *m)
{
    char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents("/proc/self/mountinfo", &text, &len, NULL) || len > MOUNTINFO_MAX) {
        g_free(text);
        return false;
    }
    size_t best = 0;
    bool best_dev = false, found = false;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        up_md_mount mi;
        if (!up_md_parse_mountinfo_line(line, &mi) || !mount_holds(mi.mount, path))
            continue;
        bool same = makedev(mi.major, mi.minor) == dev;
        size_t n = strlen(mi.mount);
        if ((best_dev && !same) || (same == best_dev && n < best))
            continue;
        g_free(m->mount);
        g_free(m->fstype);
        g_free(m->device);
        m->mount = g_strdup(mi.mount);
        m->fstype = g_strdup(mi.fstype);
        m->device = g_strdup(mi.source);
        best = n;
        best_dev = same;
        found = true;
    }
    g_free(text);
    return found;
}

/* ---- UUID and label ---- */

/* udev's link names escape bytes as \xHH ("SOHOA\x20USB"). */
static char *unescape_udev(const char *name)
{
    GString *s = g_string_new(NULL);
    for (const char *r = name; *r; r++) {
        if (r[0] == '\\' && r[1] == 'x' && g_ascii_isxdigit(r[2]) && g_ascii_isxdigit(r[3])) {
            g_string_append_c(s,
                              (char)(g_ascii_xdigit_value(r[2]) * 16 + g_ascii_xdigit_value(r[3])));
            r += 3;
        } else {
            g_string_append_c(s, *r);
        }
    }
    return g_string_free(s, FALSE);
}

/* The name of the link in folder (/dev/disk/by-uuid) that points to the block device dev. */
static char *udev_link(const char *folder, dev_t dev)
{
    DIR *d = opendir(folder);
    if (!d)
        return NULL;
    char *found = NULL;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = g_build_filename(folder, e->d_name, NULL);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISBLK(sb.st_mode) && sb.st_rdev == dev)
            found = unescape_udev(e->d_name);
        g_free(path);
    }
    closedir(d);
    return found;
}

bool up_md_probe(const char *device, char **uuid, char **label)
{
    *uuid = *label = NULL;
    blkid_probe pr = blkid_new_probe_from_filename(device);
    if (!pr)
        return false;
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL);
    if (blkid_do_safeprobe(pr) == 0) {
        const char *v = NULL;
        if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 && v && *v)
            *uuid = g_strdup(v);
        if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 && v && *v)
            *label = g_strdup(v);
    }
    blkid_free_probe(pr);
    return *uuid || *label;
}

static void find_ids(up_md_medium *m)
{
    struct stat sb;
    dev_t blk = 0;
    /* The block device of the mount: the source's node when it is one. */
    if (m->device && g_str_has_prefix(m->device, "/dev/") && stat(m->device, &sb) == 0 &&
        S_ISBLK(sb.st_mode))
        blk = sb.st_rdev;
    else
        blk = m->dev;
    m->uuid = udev_link("/dev/disk/by-uuid", blk);
    m->label = udev_link("/dev/disk/by-label", blk);
    if (!m->uuid && !m->label && m->device && g_str_has_prefix(m->device, "/dev/")) {
        SH_IGNORE_RESULT(up_md_probe(m->device, &m->uuid, &m->label));
    }
}

/* ---- the identity line ---- */

static void put_value(GString *s, const char *key, const char *value)
{
    if (s->len)
        g_string_append_c(s, ' ');
    g_string_append_printf(s, "%s=", key);
    if (*value && !strpbrk(value, " \t\n\"\\")) {
        g_string_append(s, value);
        return;
    }
    g_string_append_c(s, '"');
    for (const char *c = value; *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_c(s, '\\');
        g_string_append_c(s, *c == '\n' ? ' ' : *c);
    }
    g_string_append_c(s, '"');
}

static char *identity(const up_md_medium *m)
{
    GString *s = g_string_new(NULL);
    put_value(s, "TYPE", m->fstype ? m->fstype : "unknown");
    if (m->uuid)
        put_value(s, "UUID", m->uuid);
    else
        g_string_append(s, " (no UUID)");
    if (m->label)
        put_value(s, "LABEL", m->label);
    put_value(s, "DEVICE", m->device ? m->device : "unknown");
    put_value(s, "MOUNT", m->mount ? m->mount : "unknown");
    put_value(s, "DIR", m->dir);
    return g_string_free(s, FALSE);
}

sh_status up_md_identify(const char *dir, up_md_medium *m, sh_error *err)
{
    memset(m, 0, sizeof *m);
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return sh_fail_errno(err, SH_USAGE, errno,
                             _("%s cannot be used: mount the medium and give a folder on it"), dir);
    if (!S_ISDIR(sb.st_mode))
        return sh_fail(err, SH_USAGE,
                       _("%s is not a folder: give the folder on the mounted medium"), dir);
    if (access(dir, W_OK | X_OK) != 0)
        return sh_fail_errno(err, SH_USAGE, errno,
                             _("%s cannot be written into (is the medium write-protected or "
                               "mounted read-only?)"),
                             dir);
    m->dir = realpath(dir, NULL);
    if (!m->dir)
        return sh_fail_errno(err, SH_USAGE, errno, _("%s cannot be used"), dir);
    m->dev = sb.st_dev;
    if (!find_mount(m->dir, sb.st_dev, m))
        sh_debug("%s: no mount found in /proc/self/mountinfo", m->dir);
    find_ids(m);
    m->identity = identity(m);
    struct statvfs vs;
    if (statvfs(m->dir, &vs) == 0)
        m->pub.free_bytes = (uint64_t)vs.f_bavail * vs.f_frsize;
    m->pub = (up_medium){.dir = m->dir,
                         .mount = m->mount,
                         .device = m->device,
                         .fstype = m->fstype,
                         .uuid = m->uuid,
                         .label = m->label,
                         .identity = m->identity,
                         .free_bytes = m->pub.free_bytes};
    return SH_OK;
}

void up_md_clear(up_md_medium *m)
{
    free(m->dir); /* realpath's */
    g_free(m->mount);
    g_free(m->device);
    g_free(m->fstype);
    g_free(m->uuid);
    g_free(m->label);
    g_free(m->identity);
    memset(m, 0, sizeof *m);
}
