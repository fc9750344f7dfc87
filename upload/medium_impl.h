/* The medium export writes onto (medium.c): which filesystem a folder is on, from
 * /proc/self/mountinfo, and that filesystem's UUID and label, from udev's /dev/disk/by-uuid and
 * by-label links (readable by every user), else from the device itself through libblkid (when
 * this user may read it). Private to upload. */
#ifndef SOHOA_UPLOAD_MEDIUM_IMPL_H
#define SOHOA_UPLOAD_MEDIUM_IMPL_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/core.h"
#include "upload/upload.h"

typedef struct {
    up_medium pub; /* points into the strings below */
    char *dir, *mount, *device, *fstype, *uuid, *label, *identity;
    dev_t dev;
} up_md_medium;

/* Identify the filesystem holding dir (an existing folder). SH_USAGE when dir is not a
 * folder this process can write into; the identity falls back to what mountinfo says when
 * the UUID and label cannot be found. Clear m with up_md_clear whatever the outcome. */
SH_NODISCARD sh_status up_md_identify(const char *dir, up_md_medium *m, sh_error *err);
void up_md_clear(up_md_medium *m);

/* The UUID and label of the filesystem on device (a block device or an image file), through
 * libblkid; false when it cannot be read or has neither. g_free() both. */
bool up_md_probe(const char *device, char **uuid, char **label);

/* One line of /proc/self/mountinfo: false when it is not one. Strings point into line, which is
 * modified (fields cut, the mount point's octal escapes decoded). */
typedef struct {
    unsigned major, minor;
    char *mount, *fstype, *source;
} up_md_mount;
bool up_md_parse_mountinfo_line(char *line, up_md_mount *out);

#endif
