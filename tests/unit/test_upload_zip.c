/* upload: the streaming ZIP (upload/zip.c, zip_read.c, zip_name.c). What the writer makes is
 * judged by unzip -t, zipinfo -v, Python's zipfile and bsdtar (from a file and from a pipe, as
 * a streaming reader); ZIP64 forced and reached by 70,000 entries; the bytes are deterministic;
 * our reader reads back ours and Python's ZIPs with any chunking of the stream; hostile ZIPs
 * (made by Python's zipfile, then patched) are each refused with their own reason; the name
 * rules; a file that changes size while packed. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "zip_impl.h"

#define MTIME 1767225600 /* 2026-01-01T00:00:00Z */
#define BIG 300001       /* more than the writer's 256 KiB buffer */

/* ---- sinks and sources ---- */

static sh_status to_bytes(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    (void)err;
    g_byte_array_append(ctx, buf, (guint)len);
    return SH_OK;
}

typedef struct {
    const unsigned char *data;
    size_t len, at, chunk; /* chunk: at most this many bytes a call (0: all asked for) */
} mem_source;

static sh_status from_memory(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    (void)err;
    mem_source *m = ctx;
    size_t n = m->len - m->at;
    if (n > cap)
        n = cap;
    if (m->chunk != 0 && n > m->chunk)
        n = m->chunk;
    memcpy(buf, m->data + m->at, n);
    m->at += n;
    *got = n;
    return SH_OK;
}

/* Deterministic pseudo-random bytes. */
static unsigned char *pattern(size_t len, unsigned seed)
{
    unsigned char *p = g_malloc(len + 1);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1664525u + 1013904223u;
        p[i] = (unsigned char)(x >> 24);
    }
    return p;
}

/* The sample package: tag files first, a big file streamed, a file from an fd, an empty one. */
static GByteArray *write_sample(const char *dir, bool zip64)
{
    GByteArray *out = g_byte_array_new();
    up_zip_writer *w = up_zip_writer_new(to_bytes, out);
    assert_non_null(w);
    if (zip64)
        up_zip_writer_force_zip64(w);
    sh_error err;
    static const char bagit[] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
    assert_int_equal(up_zip_add_memory(w, "bagit.txt", bagit, strlen(bagit), MTIME, &err), SH_OK);
    unsigned char *big = pattern(BIG, 1);
    mem_source src = {.data = big, .len = BIG};
    assert_int_equal(
        up_zip_add_file(w, "data/Hồ sơ/trang 1.pdf", BIG, MTIME + 3, from_memory, &src, &err),
        SH_OK);
    char *path = test_path(dir, "fd.pdf");
    test_write(path, "%PDF-1.7 small\n", 15);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(up_zip_add_fd(w, "data/fd.pdf", fd, MTIME, &err), SH_OK);
    close(fd);
    g_free(path);
    assert_int_equal(up_zip_add_memory(w, "data/empty.pdf", "", 0, MTIME, &err), SH_OK);
    assert_int_equal(up_zip_finish(w, &err), SH_OK);
    assert_int_equal(up_zip_writer_bytes(w), out->len);
    up_zip_writer_free(w);
    g_free(big);
    return out;
}

static char *save(const char *dir, const char *name, const GByteArray *bytes)
{
    char *path = test_path(dir, name);
    test_write(path, (const char *)bytes->data, bytes->len);
    return path;
}

/* Runs fmt (each %s replaced by the ZIP's path) and returns its stdout, failing unless it exits 0.
 */
static char *judge(const char *fmt, const char *zip)
{
    GString *built = g_string_new("");
    for (const char *p = fmt; *p != '\0'; p++) {
        if (p[0] == '%' && p[1] == 's') {
            g_string_append(built, zip);
            p++;
        } else {
            g_string_append_c(built, *p);
        }
    }
    char *cmd = g_string_free(built, FALSE);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("%s failed:\n%s", cmd, out);
    g_free(cmd);
    return out;
}

static const char PY_CHECK[] =
    "python3 -c 'import zipfile,sys,hashlib\n"
    "z=zipfile.ZipFile(sys.argv[1])\n"
    "assert z.testzip() is None\n"
    "for i in z.infolist(): print(i.filename, i.file_size, i.compress_type, i.create_system,"
    " oct(i.external_attr>>16), i.date_time, hashlib.sha256(z.read(i)).hexdigest()[:12])' %s";

static void judge_all(const char *zip)
{
    test_need_tool("unzip");
    test_need_tool("zipinfo");
    test_need_tool("bsdtar");
    test_need_tool("python3");
    g_free(judge("unzip -t %s", zip));
    char *info = judge("zipinfo -v %s", zip);
    test_assert_contains(info, "file system or operating system of origin:      Unix");
    test_assert_contains(info, "compression method:                             none (stored)");
    test_assert_contains(info, "file security status:                           not encrypted");
    test_assert_contains(info, "extended local header:                          yes");
    test_assert_contains(info, "Unix file attributes (100644 octal):            -rw-r--r--");
    test_assert_contains(info,
                         "file last modified on (DOS date/time):          2026 Jan 1 00:00:02");
    g_free(info);
    char *py = judge(PY_CHECK, zip);
    test_assert_contains(py, "bagit.txt 54 0 3 0o100644 (2026, 1, 1, 0, 0, 0)");
    test_assert_contains(py, "data/Hồ sơ/trang 1.pdf 300001 0 3 0o100644 (2026, 1, 1, 0, 0, 2)");
    test_assert_contains(py, "data/empty.pdf 0 0 3");
    g_free(py);
    char *tar = judge("bsdtar -tvf %s", zip);
    test_assert_contains(tar, "-rw-r--r--");
    test_assert_contains(tar, "data/Hồ sơ/trang 1.pdf");
    g_free(tar);
    /* libarchive reading a pipe is a streaming reader: it relies on the local headers and the
     * data descriptors only. The payload must come out byte-identical. */
    char *streamed = judge("cat %s | bsdtar -xOf - 'data/Hồ sơ/trang 1.pdf' | sha256sum", zip);
    char *direct = judge("python3 -c 'import zipfile,sys,hashlib;print(hashlib.sha256(zipfile."
                         "ZipFile(sys.argv[1]).read(\"data/Hồ sơ/trang 1.pdf\")).hexdigest())' %s",
                         zip);
    unsigned char *big = pattern(BIG, 1);
    char *expected = g_compute_checksum_for_data(G_CHECKSUM_SHA256, big, BIG);
    test_assert_contains(streamed, expected);
    test_assert_contains(direct, expected);
    g_free(expected);
    g_free(big);
    g_free(streamed);
    g_free(direct);
}

/* The ZIP64 end record and its locator just before the 22-byte end record (no comment). */
static bool has_zip64_end(const GByteArray *zip)
{
    if (zip->len < 22 + 20 + 56)
        return false;
    const unsigned char *end = zip->data + zip->len;
    return memcmp(end - 22, "PK\x05\x06", 4) == 0 && memcmp(end - 22 - 20, "PK\x06\x07", 4) == 0 &&
           memcmp(end - 22 - 20 - 56, "PK\x06\x06", 4) == 0 && end[-22 + 8] == 0xFF &&
           end[-22 + 9] == 0xFF;
}

static void test_judges(void **state)
{
    GByteArray *bytes = write_sample(*state, false);
    char *zip = save(*state, "sample.zip", bytes);
    judge_all(zip);
    g_free(zip);
    g_byte_array_unref(bytes);
}

static void test_judges_zip64(void **state)
{
    GByteArray *bytes = write_sample(*state, true);
    char *zip = save(*state, "sample64.zip", bytes);
    judge_all(zip);
    char *info = judge("zipinfo -v %s", zip);
    test_assert_contains(info, "minimum software version required to extract:   4.5");
    test_assert_contains(info, "central directory contains 4 entries");
    assert_true(has_zip64_end(bytes));
    g_free(info);
    g_free(zip);
    g_byte_array_unref(bytes);
}

static void test_deterministic(void **state)
{
    for (int z64 = 0; z64 < 2; z64++) {
        GByteArray *a = write_sample(*state, z64);
        GByteArray *b = write_sample(*state, z64);
        assert_int_equal(a->len, b->len);
        assert_memory_equal(a->data, b->data, a->len);
        g_byte_array_unref(a);
        g_byte_array_unref(b);
    }
}

/* ---- our reader ---- */

typedef struct {
    sh_status status;
    up_zip_reason reason;
    uint32_t count;
    char msg[SH_ERROR_MAX];
    GString *listing; /* "name size sha256-prefix\n" per entry */
} read_result;

static read_result read_zip(const unsigned char *data, size_t len, size_t chunk)
{
    mem_source src = {.data = data, .len = len, .chunk = chunk};
    up_zip_reader *r = up_zip_reader_new(from_memory, &src);
    assert_non_null(r);
    read_result res = {.listing = g_string_new("")};
    sh_error err = {.status = SH_OK};
    unsigned char buf[7000];
    for (;;) {
        up_zip_entry e;
        bool end = false;
        res.status = up_zip_next(r, &e, &end, &err);
        if (res.status != SH_OK || end)
            break;
        GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
        size_t got = 0, total = 0;
        while ((res.status = up_zip_read(r, buf, sizeof buf, &got, &err)) == SH_OK && got > 0) {
            g_checksum_update(sum, buf, got);
            total += got;
        }
        g_string_append_printf(res.listing, "%s %zu %.12s %lld\n", e.name, total,
                               g_checksum_get_string(sum), (long long)e.mtime);
        g_checksum_free(sum);
        if (res.status != SH_OK)
            break;
    }
    res.reason = up_zip_reader_reason(r);
    res.count = up_zip_reader_count(r);
    if (res.status != SH_OK)
        g_strlcpy(res.msg, err.msg, sizeof res.msg);
    up_zip_reader_free(r);
    return res;
}

static void test_read_back(void **state)
{
    for (int z64 = 0; z64 < 2; z64++) {
        GByteArray *bytes = write_sample(*state, z64);
        static const size_t chunks[] = {0, 1, 3, 4096, 65537};
        char *first = NULL;
        for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
            read_result res = read_zip(bytes->data, bytes->len, chunks[i]);
            if (res.status != SH_OK)
                fail_msg("chunk %zu: %s", chunks[i], res.msg);
            assert_int_equal(res.count, 4);
            if (first == NULL)
                first = g_strdup(res.listing->str);
            assert_string_equal(first, res.listing->str);
            g_string_free(res.listing, TRUE);
        }
        unsigned char *big = pattern(BIG, 1);
        char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, big, BIG);
        char *line = g_strdup_printf("data/Hồ sơ/trang 1.pdf 300001 %.12s %d\n", sum, MTIME + 2);
        test_assert_contains(first, line);
        test_assert_contains(first, "bagit.txt 54 ");
        test_assert_contains(first, "data/empty.pdf 0 ");
        g_free(line);
        g_free(sum);
        g_free(big);
        g_free(first);
        g_byte_array_unref(bytes);
    }
}

static void test_many_entries(void **state)
{
    GByteArray *out = g_byte_array_new();
    up_zip_writer *w = up_zip_writer_new(to_bytes, out);
    sh_error err;
    for (int i = 0; i < 70000; i++) {
        char name[32], data[16];
        snprintf(name, sizeof name, "data/f%05d.txt", i);
        int n = snprintf(data, sizeof data, "%d", i);
        assert_int_equal(up_zip_add_memory(w, name, data, (size_t)n, MTIME, &err), SH_OK);
    }
    assert_int_equal(up_zip_finish(w, &err), SH_OK);
    up_zip_writer_free(w);
    read_result res = read_zip(out->data, out->len, 0);
    if (res.status != SH_OK)
        fail_msg("%s", res.msg);
    assert_int_equal(res.count, 70000);
    test_assert_contains(res.listing->str, "data/f69999.txt 5 ");
    g_string_free(res.listing, TRUE);
    char *zip = save(*state, "many.zip", out);
    g_free(judge("unzip -tqq %s", zip));
    char *py = judge("python3 -c 'import zipfile,sys;z=zipfile.ZipFile(sys.argv[1]);"
                     "assert z.testzip() is None;print(len(z.infolist()))' %s",
                     zip);
    test_assert_contains(py, "70000");
    g_free(py);
    char *tar = judge("bsdtar -tf %s | wc -l", zip);
    test_assert_contains(tar, "70000");
    g_free(tar);
    /* The end record can only say 0xFFFF entries: the judges counted 70,000 from the ZIP64 one. */
    assert_true(has_zip64_end(out));
    g_free(zip);
    g_byte_array_unref(out);
}

/* ---- hostile ZIPs, made by Python's zipfile and patched ---- */

static const char PY_HOSTILE[] =
    "import zipfile,struct,sys,os,warnings\n"
    "warnings.simplefilter('ignore')\n"
    "d=sys.argv[1]\n"
    "def z(name,entries,method=zipfile.ZIP_STORED):\n"
    "  with zipfile.ZipFile(os.path.join(d,name),'w',method) as f:\n"
    "    for n,data in entries: f.writestr(n,data)\n"
    "def patch(name,data): open(os.path.join(d,name),'wb').write(bytes(data))\n"
    "z('dotdot.zip',[('a.txt',b'a'),('../x',b'a')])\n"
    "z('absolute.zip',[('/etc/x',b'a')])\n"
    "z('backslash.zip',[('a\\\\b',b'a')])\n"
    "z('drive.zip',[('C:x',b'a')])\n"
    "z('duplicate.zip',[('a.pdf',b'a'),('a.pdf',b'b')])\n"
    "z('case.zip',[('A.pdf',b'a'),('a.pdf',b'b')])\n"
    "z('nfd.zip',[('Ho\\u0302\\u0300.pdf',b'a')])\n"
    "i=zipfile.ZipInfo('link'); i.create_system=3; i.external_attr=0o120777<<16\n"
    "z('symlink.zip',[(i,b'target')])\n"
    "i=zipfile.ZipInfo('dev'); i.create_system=3; i.external_attr=0o020644<<16\n"
    "z('device.zip',[(i,b'')])\n"
    "z('deflated.zip',[('a.txt',b'a'*1000)],zipfile.ZIP_DEFLATED)\n"
    "z('good.zip',[('a.txt',b'hello'),('b/c.txt',b'world')])\n"
    "good=open(os.path.join(d,'good.zip'),'rb').read()\n"
    "cd=good.find(b'PK\\x01\\x02')\n"
    "b=bytearray(good); struct.pack_into('<II',b,18,0x7fffffff,0x7fffffff); patch('bomb.zip',b)\n"
    "patch('truncated.zip',good[:len(good)//2])\n"
    "patch('trailing.zip',good+b'x')\n"
    "b=bytearray(good); struct.pack_into('<I',b,cd+16,0xdeadbeef); patch('central_crc.zip',b)\n"
    "b=bytearray(good); b[cd+46]=ord('z'); patch('central_name.zip',b)\n"
    "b=bytearray(good); struct.pack_into('<I',b,cd+42,1); patch('central_offset.zip',b)\n"
    "b=bytearray(good); b[35]^=1; patch('crc.zip',b)\n"
    "b=bytearray(good); struct.pack_into('<H',b,6,1); patch('encrypted.zip',b)\n"
    "b=bytearray(good); struct.pack_into('<I',b,22,6); patch('sizes.zip',b)\n"
    "patch('empty.zip',b'')\n"
    "patch('garbage.zip',b'%PDF-1.7 not a zip')\n"
    "with zipfile.ZipFile(os.path.join(d,'good64.zip'),'w') as f:\n"
    "  with f.open('data/b.pdf','w',force_zip64=True) as g: g.write(b'%PDF-1.7 b')\n";

static void test_hostile(void **state)
{
    const char *dir = *state;
    char *script = test_path(dir, "hostile.py");
    test_write(script, PY_HOSTILE, strlen(PY_HOSTILE));
    char *cmd = g_strdup_printf("python3 %s %s", script, dir);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    static const struct {
        const char *file;
        up_zip_reason reason;
    } cases[] = {
        {"dotdot.zip", UP_ZIP_NAME_DOTDOT},
        {"absolute.zip", UP_ZIP_NAME_ABSOLUTE},
        {"backslash.zip", UP_ZIP_NAME_BACKSLASH},
        {"drive.zip", UP_ZIP_NAME_DRIVE},
        {"duplicate.zip", UP_ZIP_NAME_DUPLICATE},
        {"case.zip", UP_ZIP_NAME_CASE_COLLISION},
        {"nfd.zip", UP_ZIP_NAME_NOT_NFC},
        {"symlink.zip", UP_ZIP_NOT_REGULAR},
        {"device.zip", UP_ZIP_NOT_REGULAR},
        {"deflated.zip", UP_ZIP_METHOD},
        {"bomb.zip", UP_ZIP_TRUNCATED},
        {"truncated.zip", UP_ZIP_TRUNCATED},
        {"trailing.zip", UP_ZIP_BAD_FORMAT},
        {"central_crc.zip", UP_ZIP_CENTRAL_MISMATCH},
        {"central_name.zip", UP_ZIP_CENTRAL_MISMATCH},
        {"central_offset.zip", UP_ZIP_CENTRAL_MISMATCH},
        {"crc.zip", UP_ZIP_CRC_MISMATCH},
        {"encrypted.zip", UP_ZIP_ENCRYPTED},
        {"sizes.zip", UP_ZIP_SIZE_MISMATCH},
        {"empty.zip", UP_ZIP_TRUNCATED},
        {"garbage.zip", UP_ZIP_BAD_FORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = test_path(dir, cases[i].file);
        size_t len = 0;
        char *data = test_slurp(path, &len);
        read_result res = read_zip((const unsigned char *)data, len, 0);
        if (res.status != SH_FINDINGS || res.reason != cases[i].reason)
            fail_msg("%s: status %d reason %d (want %d): %s", cases[i].file, res.status, res.reason,
                     cases[i].reason, res.msg);
        test_assert_contains(res.msg, up_zip_reason_text(cases[i].reason));
        g_string_free(res.listing, TRUE);
        g_free(data);
        g_free(path);
    }
    /* Good ones written by another tool (CRC in the local header, no descriptor; a ZIP64 extra
     * field in the local header only) read. */
    static const char *const good[][2] = {{"good.zip", "b/c.txt 5 "},
                                          {"good64.zip", "data/b.pdf 10 "}};
    for (size_t i = 0; i < 2; i++) {
        char *path = test_path(dir, good[i][0]);
        size_t len = 0;
        char *data = test_slurp(path, &len);
        read_result res = read_zip((const unsigned char *)data, len, 1);
        if (res.status != SH_OK)
            fail_msg("%s: %s", good[i][0], res.msg);
        test_assert_contains(res.listing->str, good[i][1]);
        g_string_free(res.listing, TRUE);
        g_free(data);
        g_free(path);
    }
    g_free(cmd);
    g_free(script);
}

/* ---- names ---- */

static up_zip_reason check(const char *name) { return up_zip_name_check(name, strlen(name)); }

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(check("data/Hồ sơ/trang 1.pdf"), UP_ZIP_OK);
    assert_int_equal(check("bagit.txt"), UP_ZIP_OK);
    assert_int_equal(check("..."), UP_ZIP_OK);
    assert_int_equal(check(""), UP_ZIP_NAME_EMPTY);
    assert_int_equal(check("a/../b"), UP_ZIP_NAME_DOTDOT);
    assert_int_equal(check(".."), UP_ZIP_NAME_DOTDOT);
    assert_int_equal(check("/a"), UP_ZIP_NAME_ABSOLUTE);
    assert_int_equal(check("a\\b"), UP_ZIP_NAME_BACKSLASH);
    assert_int_equal(check("C:a"), UP_ZIP_NAME_DRIVE);
    assert_int_equal(check("a//b"), UP_ZIP_NAME_EMPTY_COMPONENT);
    assert_int_equal(check("a/"), UP_ZIP_NAME_EMPTY_COMPONENT);
    assert_int_equal(check("./a"), UP_ZIP_NAME_EMPTY_COMPONENT);
    assert_int_equal(check("a\tb"), UP_ZIP_NAME_CONTROL);
    assert_int_equal(check("a\xc2\x85"), UP_ZIP_NAME_CONTROL); /* NEL, a C1 control */
    assert_int_equal(check("a\xff"), UP_ZIP_NAME_NOT_UTF8);
    assert_int_equal(check("Ho\xcc\x82\xcc\x80"), UP_ZIP_NAME_NOT_NFC); /* "Hồ" decomposed */
    assert_int_equal(up_zip_name_check("a\0b", 3), UP_ZIP_NAME_CONTROL);
    char *longname = g_strnfill(UP_ZIP_NAME_MAX + 1, 'a');
    assert_int_equal(check(longname), UP_ZIP_NAME_TOO_LONG);
    longname[UP_ZIP_NAME_MAX] = '\0';
    assert_int_equal(check(longname), UP_ZIP_OK);
    g_free(longname);
    up_zip_nameset *set = up_zip_nameset_new();
    assert_int_equal(up_zip_nameset_add(set, "Đảng/Hồ.pdf", strlen("Đảng/Hồ.pdf")), UP_ZIP_OK);
    assert_int_equal(up_zip_nameset_add(set, "Đảng/Hồ.pdf", strlen("Đảng/Hồ.pdf")),
                     UP_ZIP_NAME_DUPLICATE);
    assert_int_equal(up_zip_nameset_add(set, "đẢNG/hồ.PDF", strlen("đẢNG/hồ.PDF")),
                     UP_ZIP_NAME_CASE_COLLISION);
    assert_int_equal(up_zip_nameset_add(set, "STRASSE", 7), UP_ZIP_OK);
    assert_int_equal(up_zip_nameset_add(set, "straße", strlen("straße")),
                     UP_ZIP_NAME_CASE_COLLISION);
    up_zip_nameset_free(set);
}

/* ---- the writer's refusals ---- */

static void test_writer_refuses(void **state)
{
    (void)state;
    unsigned char *data = pattern(1000, 2);
    static const struct {
        size_t declared, actual;
    } cases[] = {{1000, 999}, {999, 1000}, {0, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        GByteArray *out = g_byte_array_new();
        up_zip_writer *w = up_zip_writer_new(to_bytes, out);
        mem_source src = {.data = data, .len = cases[i].actual, .chunk = 100};
        sh_error err;
        assert_int_equal(
            up_zip_add_file(w, "a.pdf", cases[i].declared, MTIME, from_memory, &src, &err),
            SH_INPUT);
        test_assert_contains(err.msg, "a.pdf");
        /* The failure sticks: no central directory makes a ZIP that looks complete. */
        assert_int_equal(up_zip_finish(w, &err), SH_INPUT);
        assert_int_equal(up_zip_add_memory(w, "b.pdf", "x", 1, MTIME, &err), SH_INPUT);
        up_zip_writer_free(w);
        g_byte_array_unref(out);
    }
    static const char *const bad[] = {"../x", "/x", "a\\b", "C:x", "a//b", "Ho\xcc\x82.pdf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        GByteArray *out = g_byte_array_new();
        up_zip_writer *w = up_zip_writer_new(to_bytes, out);
        sh_error err;
        assert_int_not_equal(up_zip_add_memory(w, bad[i], "x", 1, MTIME, &err), SH_OK);
        up_zip_writer_free(w);
        g_byte_array_unref(out);
    }
    GByteArray *out = g_byte_array_new();
    up_zip_writer *w = up_zip_writer_new(to_bytes, out);
    sh_error err;
    assert_int_equal(up_zip_add_memory(w, "A.pdf", "x", 1, MTIME, &err), SH_OK);
    assert_int_not_equal(up_zip_add_memory(w, "a.pdf", "x", 1, MTIME, &err), SH_OK);
    up_zip_writer_free(w);
    g_byte_array_unref(out);
    g_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_writer_refuses),
        cmocka_unit_test_setup_teardown(test_judges, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_judges_zip64, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_deterministic, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_read_back, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_many_entries, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_hostile, test_setup_tmpdir, test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
