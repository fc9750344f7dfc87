/* The streaming ZIP writer (issue 15): stored entries, ZIP64 when needed, deterministic bytes.
 *
 * Layout of one entry. The sink cannot seek, so the CRC-32 (known only once the data has gone
 * through) cannot be patched into the local header. The entry therefore sets general purpose
 * bit 3 and follows its data with a data descriptor (signature PK\7\8, CRC-32, sizes), while the
 * local header still carries the real sizes (known in advance: the caller declares them) with a
 * CRC of 0. Why this and not zero sizes too: a stored entry with bit 3 and zero sizes can only be
 * read from a stream by scanning for the descriptor signature, which the data may contain; with
 * the sizes present, streaming readers (ours, libarchive reading a pipe) know where the data
 * ends. Readers that use the central directory (unzip, zipinfo, Python's zipfile, Windows
 * Explorer, libarchive on a file) take CRC and sizes from it and accept the descriptor; Info-ZIP
 * and libarchive check it against the data. The tests run unzip -t, zipinfo, python3 zipfile and
 * bsdtar on what this writes.
 *
 * Determinism: the DOS time is computed in UTC from the given mtime (never the local zone), no
 * extra timestamp fields, attributes always a regular file 0644 "made by" Unix, no comment. */
#include "zip_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define BUF_SIZE (256u * 1024u)
#define MAX32 UINT64_C(0xFFFFFFFF)
#define MAX16 0xFFFFu
#define FLAGS (0x0008u | 0x0800u) /* data descriptor, UTF-8 name */
#define MADE_BY ((3u << 8) | 45u) /* Unix, APPNOTE 4.5 */
#define ATTR_FILE (UINT32_C(0100644) << 16)

typedef struct {
    char *name;
    uint16_t name_len;
    uint32_t crc;
    uint64_t size;
    uint64_t offset;
    uint16_t dos_time, dos_date;
    bool zip64; /* sizes in a ZIP64 extra field (local header and central directory) */
} entry;

struct up_zip_writer {
    up_sink_fn write;
    void *ctx;
    unsigned char *buf;
    size_t used;
    uint64_t offset; /* bytes written (buffered or given to the sink) */
    uint64_t flushed;
    entry *entries;
    size_t count, cap;
    up_zip_nameset *names;
    bool force_zip64;
    sh_status failed;
    sh_error error;
};

up_zip_writer *up_zip_writer_new(up_sink_fn write, void *ctx)
{
    up_zip_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->buf = malloc(BUF_SIZE);
    w->names = up_zip_nameset_new();
    if (w->buf == NULL) {
        up_zip_writer_free(w);
        return NULL;
    }
    w->write = write;
    w->ctx = ctx;
    return w;
}

void up_zip_writer_force_zip64(up_zip_writer *w) { w->force_zip64 = true; }

uint32_t up_zip_writer_last_crc(const up_zip_writer *w)
{
    return w->count ? w->entries[w->count - 1].crc : 0;
}

uint64_t up_zip_writer_bytes(const up_zip_writer *w) { return w->flushed; }

void up_zip_writer_free(up_zip_writer *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->count; i++)
        free(w->entries[i].name);
    free(w->entries);
    free(w->buf);
    up_zip_nameset_free(w->names);
    free(w);
}

/* Remembers the first failure so that every later call returns it. */
static sh_status fail(up_zip_writer *w, sh_status st, sh_error *err)
{
    if (w->failed == SH_OK) {
        w->failed = st;
        if (err != NULL)
            w->error = *err;
    }
    return st;
}

static sh_status failed(const up_zip_writer *w, sh_error *err)
{
    if (err != NULL)
        *err = w->error;
    return w->failed;
}

static sh_status flush(up_zip_writer *w, sh_error *err)
{
    if (w->used == 0)
        return SH_OK;
    sh_status st = w->write(w->ctx, w->buf, w->used, err);
    if (st != SH_OK)
        return fail(w, st, err);
    w->flushed += w->used;
    w->used = 0;
    return SH_OK;
}

static sh_status put(up_zip_writer *w, const void *data, size_t len, sh_error *err)
{
    const unsigned char *p = data;
    while (len > 0) {
        if (w->used == BUF_SIZE) {
            sh_status st = flush(w, err);
            if (st != SH_OK)
                return st;
        }
        size_t n = BUF_SIZE - w->used < len ? BUF_SIZE - w->used : len;
        memcpy(w->buf + w->used, p, n);
        w->used += n;
        w->offset += n;
        p += n;
        len -= n;
    }
    return SH_OK;
}

/* Little-endian field builders over a record being assembled. */
typedef struct {
    unsigned char b[128];
    size_t n;
} rec;

static void le16(rec *r, uint32_t v)
{
    r->b[r->n++] = (unsigned char)v;
    r->b[r->n++] = (unsigned char)(v >> 8);
}

static void le32(rec *r, uint32_t v)
{
    le16(r, v & 0xFFFFu);
    le16(r, v >> 16);
}

static void le64(rec *r, uint64_t v)
{
    le32(r, (uint32_t)v);
    le32(r, (uint32_t)(v >> 32));
}

static uint32_t clamp32(uint64_t v, bool to_max) { return to_max ? 0xFFFFFFFFu : (uint32_t)v; }

static void dos_time(time_t mtime, uint16_t *t, uint16_t *d)
{
    struct tm tm;
    if (mtime < 315532800) /* 1980-01-01T00:00:00Z, the first DOS date */
        mtime = 315532800;
    if (gmtime_r(&mtime, &tm) == NULL || tm.tm_year > 207) {
        tm = (struct tm){
            .tm_year = 207, .tm_mon = 11, .tm_mday = 31, .tm_hour = 23, .tm_min = 59, .tm_sec = 58};
    }
    *t = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
    *d = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

static sh_status write_local(up_zip_writer *w, const entry *e, sh_error *err)
{
    rec r = {.n = 0};
    le32(&r, 0x04034b50u);
    le16(&r, e->zip64 ? 45 : 20);
    le16(&r, FLAGS);
    le16(&r, 0); /* stored */
    le16(&r, e->dos_time);
    le16(&r, e->dos_date);
    le32(&r, 0); /* the CRC-32 follows the data, in the descriptor */
    le32(&r, clamp32(e->size, e->zip64));
    le32(&r, clamp32(e->size, e->zip64));
    le16(&r, e->name_len);
    le16(&r, e->zip64 ? 20 : 0);
    sh_status st = put(w, r.b, r.n, err);
    if (st == SH_OK)
        st = put(w, e->name, e->name_len, err);
    if (st != SH_OK || !e->zip64)
        return st;
    r.n = 0;
    le16(&r, 0x0001);
    le16(&r, 16);
    le64(&r, e->size);
    le64(&r, e->size);
    return put(w, r.b, r.n, err);
}

static sh_status write_descriptor(up_zip_writer *w, const entry *e, sh_error *err)
{
    rec r = {.n = 0};
    le32(&r, 0x08074b50u);
    le32(&r, e->crc);
    if (e->zip64) {
        le64(&r, e->size);
        le64(&r, e->size);
    } else {
        le32(&r, (uint32_t)e->size);
        le32(&r, (uint32_t)e->size);
    }
    return put(w, r.b, r.n, err);
}

/* Checks the name and records a new entry (not yet counted: see commit_entry). */
static sh_status begin_entry(up_zip_writer *w, const char *name, uint64_t size, time_t mtime,
                             entry *e, sh_error *err)
{
    if (w->failed != SH_OK)
        return failed(w, err);
    size_t len = strlen(name);
    up_zip_reason why = up_zip_nameset_add(w->names, name, len);
    if (why != UP_ZIP_OK)
        return fail(
            w, sh_fail(err, SH_INTERNAL, _("ZIP entry \"%s\": %s"), name, up_zip_reason_text(why)),
            err);
    if (w->count == w->cap) {
        size_t cap = w->cap == 0 ? 64 : w->cap * 2;
        entry *grown = realloc(w->entries, cap * sizeof *grown);
        if (grown == NULL)
            return fail(w, sh_fail(err, SH_INTERNAL, "ZIP writer: out of memory"), err);
        w->entries = grown;
        w->cap = cap;
    }
    *e = (entry){.name = strdup(name),
                 .name_len = (uint16_t)len,
                 .size = size,
                 .offset = w->offset,
                 .zip64 = w->force_zip64 || size >= MAX32};
    if (e->name == NULL)
        return fail(w, sh_fail(err, SH_INTERNAL, "ZIP writer: out of memory"), err);
    dos_time(mtime, &e->dos_time, &e->dos_date);
    sh_status st = write_local(w, e, err);
    if (st != SH_OK)
        free(e->name);
    return st;
}

static sh_status commit_entry(up_zip_writer *w, entry *e, sh_error *err)
{
    sh_status st = write_descriptor(w, e, err);
    if (st != SH_OK) {
        free(e->name);
        return st;
    }
    w->entries[w->count++] = *e;
    return SH_OK;
}

sh_status up_zip_add_memory(up_zip_writer *w, const char *name, const void *data, size_t len,
                            time_t mtime, sh_error *err)
{
    entry e;
    sh_status st = begin_entry(w, name, len, mtime, &e, err);
    if (st != SH_OK)
        return st;
    e.crc = (uint32_t)crc32_z(0L, data, len);
    st = put(w, data, len, err);
    if (st != SH_OK) {
        free(e.name);
        return st;
    }
    return commit_entry(w, &e, err);
}

/* Streams exactly e->size bytes from read into the ZIP, computing the CRC-32. */
static sh_status copy_data(up_zip_writer *w, entry *e, up_source_fn read, void *ctx, sh_error *err)
{
    uint64_t left = e->size;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (;;) {
        if (w->used == BUF_SIZE) {
            sh_status st = flush(w, err);
            if (st != SH_OK)
                return st;
        }
        size_t got = 0;
        sh_status st = read(ctx, w->buf + w->used, BUF_SIZE - w->used, &got, err);
        if (st != SH_OK)
            return fail(w, st, err);
        if (got == 0)
            break;
        if (got > left)
            return fail(w, sh_fail(err, SH_INPUT, _("%s grew while it was being packed"), e->name),
                        err);
        crc = crc32_z(crc, w->buf + w->used, got);
        w->used += got;
        w->offset += got;
        left -= got;
    }
    if (left != 0)
        return fail(w, sh_fail(err, SH_INPUT, _("%s shrank while it was being packed"), e->name),
                    err);
    e->crc = (uint32_t)crc;
    return SH_OK;
}

sh_status up_zip_add_file(up_zip_writer *w, const char *name, uint64_t size, time_t mtime,
                          up_source_fn read, void *ctx, sh_error *err)
{
    entry e;
    sh_status st = begin_entry(w, name, size, mtime, &e, err);
    if (st != SH_OK)
        return st;
    st = copy_data(w, &e, read, ctx, err);
    if (st != SH_OK) {
        free(e.name);
        return st;
    }
    return commit_entry(w, &e, err);
}

typedef struct {
    int fd;
    const char *name;
} fd_source;

static sh_status read_fd(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    const fd_source *src = ctx;
    for (;;) {
        ssize_t n = read(src->fd, buf, cap);
        if (n >= 0) {
            *got = (size_t)n;
            return SH_OK;
        }
        if (errno != EINTR)
            return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), src->name);
    }
}

sh_status up_zip_add_fd(up_zip_writer *w, const char *name, int fd, time_t mtime, sh_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), name);
    if (!S_ISREG(st.st_mode))
        return sh_fail(err, SH_INPUT, _("%s is not a regular file"), name);
    fd_source src = {.fd = fd, .name = name};
    return up_zip_add_file(w, name, (uint64_t)st.st_size, mtime, read_fd, &src, err);
}

static sh_status write_central(up_zip_writer *w, const entry *e, sh_error *err)
{
    bool big_offset = w->force_zip64 || e->offset >= MAX32;
    rec x = {.n = 0};
    if (e->zip64) {
        le64(&x, e->size);
        le64(&x, e->size);
    }
    if (big_offset)
        le64(&x, e->offset);
    rec r = {.n = 0};
    le32(&r, 0x02014b50u);
    le16(&r, MADE_BY);
    le16(&r, e->zip64 || big_offset ? 45 : 20);
    le16(&r, FLAGS);
    le16(&r, 0);
    le16(&r, e->dos_time);
    le16(&r, e->dos_date);
    le32(&r, e->crc);
    le32(&r, clamp32(e->size, e->zip64));
    le32(&r, clamp32(e->size, e->zip64));
    le16(&r, e->name_len);
    le16(&r, x.n == 0 ? 0 : (uint32_t)x.n + 4);
    le16(&r, 0); /* comment */
    le16(&r, 0); /* disk */
    le16(&r, 0); /* internal attributes */
    le32(&r, ATTR_FILE);
    le32(&r, clamp32(e->offset, big_offset));
    sh_status st = put(w, r.b, r.n, err);
    if (st == SH_OK)
        st = put(w, e->name, e->name_len, err);
    if (st != SH_OK || x.n == 0)
        return st;
    r.n = 0;
    le16(&r, 0x0001);
    le16(&r, (uint32_t)x.n);
    memcpy(r.b + r.n, x.b, x.n);
    r.n += x.n;
    return put(w, r.b, r.n, err);
}

static sh_status write_zip64_end(up_zip_writer *w, uint64_t cd_offset, uint64_t cd_size,
                                 sh_error *err)
{
    uint64_t at = w->offset;
    rec r = {.n = 0};
    le32(&r, 0x06064b50u);
    le64(&r, 44); /* the size of the rest of this record */
    le16(&r, MADE_BY);
    le16(&r, 45);
    le32(&r, 0);
    le32(&r, 0);
    le64(&r, w->count);
    le64(&r, w->count);
    le64(&r, cd_size);
    le64(&r, cd_offset);
    le32(&r, 0x07064b50u); /* the locator */
    le32(&r, 0);
    le64(&r, at);
    le32(&r, 1);
    return put(w, r.b, r.n, err);
}

static bool any_zip64(const up_zip_writer *w)
{
    for (size_t i = 0; i < w->count; i++)
        if (w->entries[i].zip64)
            return true;
    return false;
}

sh_status up_zip_finish(up_zip_writer *w, sh_error *err)
{
    if (w->failed != SH_OK)
        return failed(w, err);
    uint64_t cd_offset = w->offset;
    for (size_t i = 0; i < w->count; i++) {
        sh_status st = write_central(w, &w->entries[i], err);
        if (st != SH_OK)
            return st;
    }
    uint64_t cd_size = w->offset - cd_offset;
    bool force = w->force_zip64;
    bool zip64 =
        force || w->count >= MAX16 || cd_offset >= MAX32 || cd_size >= MAX32 || any_zip64(w);
    if (zip64) {
        sh_status st = write_zip64_end(w, cd_offset, cd_size, err);
        if (st != SH_OK)
            return st;
    }
    rec r = {.n = 0};
    le32(&r, 0x06054b50u);
    le16(&r, 0);
    le16(&r, 0);
    uint32_t count16 = force || w->count >= MAX16 ? MAX16 : (uint32_t)w->count;
    le16(&r, count16);
    le16(&r, count16);
    le32(&r, clamp32(cd_size, force || cd_size >= MAX32));
    le32(&r, clamp32(cd_offset, force || cd_offset >= MAX32));
    le16(&r, 0); /* comment */
    sh_status st = put(w, r.b, r.n, err);
    if (st == SH_OK)
        st = flush(w, err);
    if (st == SH_OK)
        w->failed = sh_fail(&w->error, SH_INTERNAL, "ZIP writer: already finished");
    return st;
}
