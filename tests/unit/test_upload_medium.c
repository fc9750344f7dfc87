/* upload: the medium export writes onto (medium.c, medium_impl.h). /proc/self/mountinfo lines
 * parsed (optional fields, the kernel's octal escapes, lines that are not one refused); the UUID
 * and label of a filesystem image made by mkfs.ext4 read through libblkid, as blkid(8) prints
 * them; a scratch folder identified as findmnt(8) sees it (type, mount point), its identity line
 * naming the folder; a missing folder and a file refused as usage errors. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "medium_impl.h"

static void mountinfo_lines(void **state)
{
    (void)state;
    char line[] = "36 35 8:17 / /media/SOHOA\\04001 rw,nosuid shared:1 master:2 - vfat "
                  "/dev/sdb1 rw,fmask=0022";
    up_md_mount m;
    assert_true(up_md_parse_mountinfo_line(line, &m));
    assert_int_equal(m.major, 8);
    assert_int_equal(m.minor, 17);
    assert_string_equal(m.mount, "/media/SOHOA 01");
    assert_string_equal(m.fstype, "vfat");
    assert_string_equal(m.source, "/dev/sdb1");
    char plain[] = "65 45 0:50 / /tmp/m rw,relatime - tmpfs sohoa-test rw,size=300k";
    assert_true(up_md_parse_mountinfo_line(plain, &m));
    assert_string_equal(m.mount, "/tmp/m");
    assert_string_equal(m.fstype, "tmpfs");
    assert_string_equal(m.source, "sohoa-test");
    char no_separator[] = "36 35 8:17 / /media rw shared:1 vfat /dev/sdb1 rw";
    assert_false(up_md_parse_mountinfo_line(no_separator, &m));
    char short_line[] = "36 35 8:17 /";
    assert_false(up_md_parse_mountinfo_line(short_line, &m));
    char bad_device[] = "36 35 sda / /media rw - vfat /dev/sdb1 rw";
    assert_false(up_md_parse_mountinfo_line(bad_device, &m));
}

static void probe_an_image(void **state)
{
    const char *dir = *state;
    test_need_tool("mkfs.ext4");
    char *img = test_path(dir, "usb.img");
    char *cmd = g_strdup_printf("truncate -s 2M '%s' && mkfs.ext4 -q -F -L 'SOHOA 01' "
                                "-U 0b2c4d6e-1111-2222-3333-444455556666 '%s'",
                                img, img);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    char *uuid = NULL, *label = NULL;
    assert_true(up_md_probe(img, &uuid, &label));
    assert_string_equal(uuid, "0b2c4d6e-1111-2222-3333-444455556666");
    assert_string_equal(label, "SOHOA 01");
    g_free(uuid);
    g_free(label);
    /* Not a filesystem: nothing. */
    char *junk = test_path(dir, "junk");
    test_write(junk, "not a filesystem", 16);
    assert_false(up_md_probe(junk, &uuid, &label));
    assert_null(uuid);
    assert_null(label);
    g_free(junk);
    g_free(cmd);
    g_free(img);
}

static void identify_a_folder(void **state)
{
    const char *dir = *state;
    test_need_tool("findmnt");
    up_md_medium m;
    assert_int_equal(up_md_identify(dir, &m, NULL), SH_OK);
    char *canonical = realpath(dir, NULL);
    assert_string_equal(m.pub.dir, canonical);
    char *cmd = g_strdup_printf("findmnt -n -o FSTYPE,TARGET --target '%s'", canonical);
    char *want = test_run(cmd, NULL);
    g_strstrip(want);
    char *got = g_strdup_printf("%s %s", m.pub.fstype, m.pub.mount);
    char **w = g_strsplit_set(want, " ", 2);
    g_strstrip(w[1]);
    char *want_joined = g_strdup_printf("%s %s", w[0], w[1]);
    assert_string_equal(got, want_joined);
    char *tail = g_strdup_printf("DIR=%s", canonical);
    test_assert_contains(m.pub.identity, tail);
    char *head = g_strdup_printf("TYPE=%s ", m.pub.fstype);
    assert_true(g_str_has_prefix(m.pub.identity, head));
    up_md_clear(&m);

    sh_error err;
    char *missing = test_path(dir, "nowhere");
    assert_int_equal(up_md_identify(missing, &m, &err), SH_USAGE);
    test_assert_contains(err.msg, "mount the medium");
    up_md_clear(&m);
    char *file = test_path(dir, "file");
    test_write(file, "x", 1);
    assert_int_equal(up_md_identify(file, &m, &err), SH_USAGE);
    test_assert_contains(err.msg, "not a folder");
    up_md_clear(&m);
    g_free(file);
    g_free(missing);
    g_free(head);
    g_free(tail);
    g_free(want_joined);
    g_strfreev(w);
    g_free(got);
    g_free(want);
    g_free(cmd);
    free(canonical);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mountinfo_lines),
        cmocka_unit_test_setup_teardown(probe_an_image, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(identify_a_folder, test_setup_tmpdir, test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
