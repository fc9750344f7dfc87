/* The bounded streaming ZIP reader (issue 15). It reads the local headers in order and hands
 * out each entry's data; at the end of an entry it checks the byte count and the CRC-32 (from
 * the local header, or from the data descriptor when bit 3 is set); at the central directory it
 * checks that every record agrees exactly with what was seen (count, order, names, flags, sizes,
 * CRCs, offsets, times), that the entries are regular files, that the end records agree, and
 * that the stream ends there. A streaming reader must not trust a local header alone: ZIP tools
 * believe the central directory, so a package whose two views differ is refused.
 *
 * Bounds: names ≤ UP_ZIP_NAME_MAX bytes, ≤ UP_ZIP_ENTRIES_MAX entries, a record's variable part
 * ≤ 2 × 64 KiB (the format's own limit), only stored entries: a declared size is only ever
 * consumed as bytes actually present, so a "bomb" of huge declared sizes ends as a truncation. */
#include "zip_impl.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define BUF_SIZE (256u * 1024u)
#define MAX32 0xFFFFFFFFu
#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_DESCRIPTOR 0x08074b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u

typedef struct {
    char *name;
    uint16_t name_len;
    uint16_t flags;
    uint16_t dos_time, dos_date;
    uint32_t crc;
    uint64_t size;
    uint64_t offset;
    bool zip64;
} seen;

struct up_zip_reader {
    up_source_fn read;
    void *ctx;
    unsigned char *buf;
    size_t start, end; /* unread bytes are buf[start, end) */
    uint64_t pos;      /* the stream offset of buf[start] */
    bool eof;
    seen *entries;
    size_t count, cap;
    up_zip_nameset *names;
    bool in_entry;
    uint64_t left;
    uLong crc;
    bool done;
    sh_status failed;
    sh_error error;
    up_zip_reason reason;
};

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | ((uint32_t)rd16(p + 2) << 16); }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

up_zip_reader *up_zip_reader_new(up_source_fn read, void *ctx)
{
    up_zip_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->buf = malloc(BUF_SIZE);
    r->names = up_zip_nameset_new();
    if (r->buf == NULL) {
        up_zip_reader_free(r);
        return NULL;
    }
    r->read = read;
    r->ctx = ctx;
    return r;
}

void up_zip_reader_free(up_zip_reader *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->entries[i].name);
    free(r->entries);
    free(r->buf);
    up_zip_nameset_free(r->names);
    free(r);
}

up_zip_reason up_zip_reader_reason(const up_zip_reader *r) { return r->reason; }

uint32_t up_zip_reader_count(const up_zip_reader *r) { return (uint32_t)r->count; }

static sh_status stop(up_zip_reader *r, sh_status st, sh_error *err)
{
    if (r->failed == SH_OK) {
        r->failed = st;
        if (err != NULL)
            r->error = *err;
    }
    return st;
}

/* A defect of the ZIP: remembered, with its reason, for every later call. */
static sh_status finding(up_zip_reader *r, up_zip_reason why, const char *name, sh_error *err)
{
    r->reason = why;
    if (name != NULL)
        sh_fail(err, SH_FINDINGS, _("ZIP package, entry \"%s\": %s"), name,
                up_zip_reason_text(why));
    else
        sh_fail(err, SH_FINDINGS, _("ZIP package, at byte %llu: %s"), (unsigned long long)r->pos,
                up_zip_reason_text(why));
    return stop(r, SH_FINDINGS, err);
}

static sh_status oom(up_zip_reader *r, sh_error *err)
{
    return stop(r, sh_fail(err, SH_INTERNAL, "ZIP reader: out of memory"), err);
}

/* Reads until n (≤ BUF_SIZE) bytes are buffered or the stream ends (*have < n then). */
static sh_status fill(up_zip_reader *r, size_t n, size_t *have, sh_error *err)
{
    if (r->end - r->start < n && r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    while (r->end - r->start < n && !r->eof) {
        size_t got = 0;
        sh_status st = r->read(r->ctx, r->buf + r->end, BUF_SIZE - r->end, &got, err);
        if (st != SH_OK)
            return stop(r, st, err);
        if (got > BUF_SIZE - r->end)
            return stop(r, sh_fail(err, SH_INTERNAL, "ZIP reader: source overran"), err);
        r->eof = got == 0;
        r->end += got;
    }
    *have = r->end - r->start;
    return SH_OK;
}

/* Exactly n bytes, or a truncation finding. */
static sh_status need(up_zip_reader *r, size_t n, const char *name, sh_error *err)
{
    size_t have = 0;
    sh_status st = fill(r, n, &have, err);
    if (st != SH_OK)
        return st;
    return have < n ? finding(r, UP_ZIP_TRUNCATED, name, err) : SH_OK;
}

static void consume(up_zip_reader *r, size_t n)
{
    r->start += n;
    r->pos += n;
}

/* The ZIP64 extra field's values for the fields whose 32-bit value is 0xFFFFFFFF, in the order
 * the format gives: uncompressed size, compressed size, local header offset. */
typedef struct {
    uint64_t *field[3];
    size_t n;
} zip64_want;

static bool read_zip64(const unsigned char *x, size_t xlen, zip64_want *want, bool *present)
{
    *present = false;
    size_t at = 0;
    while (at + 4 <= xlen) {
        uint16_t id = rd16(x + at), len = rd16(x + at + 2);
        if (at + 4 + len > xlen)
            return false;
        if (id == 0x0001) {
            if (*present || len < 8 * want->n)
                return false;
            *present = true;
            for (size_t i = 0; i < want->n; i++)
                *want->field[i] = rd64(x + at + 4 + 8 * i);
        }
        at += 4 + (size_t)len;
    }
    return at == xlen && (*present || want->n == 0);
}

static bool ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

static time_t dos_to_time(uint16_t t, uint16_t d)
{
    struct tm tm = {.tm_year = (d >> 9) + 80,
                    .tm_mon = ((d >> 5) & 15) - 1,
                    .tm_mday = d & 31,
                    .tm_hour = t >> 11,
                    .tm_min = (t >> 5) & 63,
                    .tm_sec = (t & 31) * 2};
    return timegm(&tm);
}

static up_zip_reason check_local_fields(const unsigned char *h, const char *name, size_t nlen)
{
    uint16_t flags = rd16(h + 6), method = rd16(h + 8);
    if ((flags & 0x0041u) != 0 || method == 99)
        return UP_ZIP_ENCRYPTED;
    if (method != 0)
        return UP_ZIP_METHOD;
    if ((flags & 0x0800u) == 0 && !ascii(name, nlen))
        return UP_ZIP_NAME_NOT_UTF8;
    return UP_ZIP_OK;
}

static sh_status add_seen(up_zip_reader *r, const seen *s, sh_error *err)
{
    if (r->count == r->cap) {
        size_t cap = r->cap == 0 ? 64 : r->cap * 2;
        seen *grown = realloc(r->entries, cap * sizeof *grown);
        if (grown == NULL)
            return oom(r, err);
        r->entries = grown;
        r->cap = cap;
    }
    r->entries[r->count++] = *s;
    return SH_OK;
}

/* The local header's sizes (ZIP64 resolved) into s; the header is at r->buf + r->start. */
static up_zip_reason local_sizes(const unsigned char *h, size_t nlen, size_t xlen, seen *s)
{
    uint64_t usize = rd32(h + 22), csize = rd32(h + 18);
    zip64_want want = {.n = 0};
    if (usize == MAX32)
        want.field[want.n++] = &usize;
    if (csize == MAX32)
        want.field[want.n++] = &csize;
    if (!read_zip64(h + 30 + nlen, xlen, &want, &s->zip64))
        return UP_ZIP_BAD_FORMAT;
    if (csize != usize)
        return UP_ZIP_SIZE_MISMATCH;
    s->size = usize;
    return UP_ZIP_OK;
}

static sh_status parse_local(up_zip_reader *r, up_zip_entry *entry, sh_error *err)
{
    if (r->count >= UP_ZIP_ENTRIES_MAX)
        return finding(r, UP_ZIP_TOO_MANY, NULL, err);
    sh_status st = need(r, 30, NULL, err);
    if (st != SH_OK)
        return st;
    const unsigned char *h = r->buf + r->start;
    size_t nlen = rd16(h + 26), xlen = rd16(h + 28);
    if (nlen > UP_ZIP_NAME_MAX)
        return finding(r, UP_ZIP_NAME_TOO_LONG, NULL, err);
    st = need(r, 30 + nlen + xlen, NULL, err);
    if (st != SH_OK)
        return st;
    h = r->buf + r->start;
    seen s = {.name_len = (uint16_t)nlen,
              .flags = rd16(h + 6),
              .dos_time = rd16(h + 10),
              .dos_date = rd16(h + 12),
              .crc = rd32(h + 14),
              .offset = r->pos};
    s.name = malloc(nlen + 1);
    if (s.name == NULL)
        return oom(r, err);
    memcpy(s.name, h + 30, nlen);
    s.name[nlen] = '\0';
    up_zip_reason why = check_local_fields(h, s.name, nlen);
    if (why == UP_ZIP_OK)
        why = up_zip_nameset_add(r->names, s.name, nlen);
    if (why == UP_ZIP_OK)
        why = local_sizes(h, nlen, xlen, &s);
    st = add_seen(r, &s, err);
    if (st != SH_OK) {
        free(s.name);
        return st;
    }
    /* A name that is not UTF-8 or holds control characters is not put into a message. */
    bool shown = why != UP_ZIP_NAME_NOT_UTF8 && why != UP_ZIP_NAME_CONTROL;
    if (why != UP_ZIP_OK)
        return finding(r, why, shown ? s.name : NULL, err);
    consume(r, 30 + nlen + xlen);
    r->in_entry = true;
    r->left = s.size;
    r->crc = crc32(0L, Z_NULL, 0);
    *entry = (up_zip_entry){
        .name = s.name, .size = s.size, .mtime = dos_to_time(s.dos_time, s.dos_date)};
    return SH_OK;
}

/* After the last byte of the current entry: the data descriptor, then the CRC-32. */
static sh_status finish_entry(up_zip_reader *r, sh_error *err)
{
    seen *s = &r->entries[r->count - 1];
    if (s->flags & 0x0008u) {
        size_t n = s->zip64 ? 24 : 16;
        sh_status st = need(r, n, s->name, err);
        if (st != SH_OK)
            return st;
        const unsigned char *d = r->buf + r->start;
        if (rd32(d) != SIG_DESCRIPTOR)
            return finding(r, UP_ZIP_BAD_FORMAT, s->name, err);
        uint64_t c = s->zip64 ? rd64(d + 8) : rd32(d + 8);
        uint64_t u = s->zip64 ? rd64(d + 16) : rd32(d + 12);
        if (c != s->size || u != s->size)
            return finding(r, UP_ZIP_SIZE_MISMATCH, s->name, err);
        s->crc = rd32(d + 4);
        consume(r, n);
    }
    if ((uint32_t)r->crc != s->crc)
        return finding(r, UP_ZIP_CRC_MISMATCH, s->name, err);
    r->in_entry = false;
    return SH_OK;
}

sh_status up_zip_read(up_zip_reader *r, void *buf, size_t cap, size_t *got, sh_error *err)
{
    *got = 0;
    if (r->failed != SH_OK) {
        if (err != NULL)
            *err = r->error;
        return r->failed;
    }
    if (!r->in_entry)
        return SH_OK;
    if (r->left == 0)
        return finish_entry(r, err);
    size_t have = 0;
    sh_status st = fill(r, 1, &have, err);
    if (st != SH_OK)
        return st;
    if (have == 0)
        return finding(r, UP_ZIP_TRUNCATED, r->entries[r->count - 1].name, err);
    size_t n = have < cap ? have : cap;
    if (n > r->left)
        n = (size_t)r->left;
    memcpy(buf, r->buf + r->start, n);
    r->crc = crc32_z(r->crc, buf, n);
    r->left -= n;
    consume(r, n);
    *got = n;
    return SH_OK;
}

/* Reads and checks what the caller left of the current entry. */
static sh_status drain(up_zip_reader *r, sh_error *err)
{
    unsigned char scratch[16384];
    size_t got = 0;
    do {
        sh_status st = up_zip_read(r, scratch, sizeof scratch, &got, err);
        if (st != SH_OK)
            return st;
    } while (got > 0 || r->in_entry);
    return SH_OK;
}

/* Whether the central record h (of name n, extra x) matches the entry seen as s. */
static up_zip_reason central_matches(const unsigned char *h, const seen *s)
{
    size_t nlen = rd16(h + 28), xlen = rd16(h + 30);
    if (nlen != s->name_len || memcmp(h + 46, s->name, nlen) != 0 || rd16(h + 8) != s->flags ||
        rd16(h + 10) != 0 || rd16(h + 12) != s->dos_time || rd16(h + 14) != s->dos_date ||
        rd32(h + 16) != s->crc || rd16(h + 34) != 0)
        return UP_ZIP_CENTRAL_MISMATCH;
    uint64_t csize = rd32(h + 20), usize = rd32(h + 24), offset = rd32(h + 42);
    zip64_want want = {.n = 0};
    if (usize == MAX32)
        want.field[want.n++] = &usize;
    if (csize == MAX32)
        want.field[want.n++] = &csize;
    if (offset == MAX32)
        want.field[want.n++] = &offset;
    bool present = false;
    if (!read_zip64(h + 46 + nlen, xlen, &want, &present))
        return UP_ZIP_BAD_FORMAT;
    if (csize != s->size || usize != s->size || offset != s->offset)
        return UP_ZIP_CENTRAL_MISMATCH;
    return UP_ZIP_OK;
}

/* Only regular files: the Unix file type when made by Unix, and never the MS-DOS directory bit. */
static bool regular(const unsigned char *h)
{
    uint32_t ext = rd32(h + 38);
    if ((ext & 0x10u) != 0)
        return false;
    if ((rd16(h + 4) >> 8) != 3)
        return true;
    uint32_t type = (ext >> 16) & 0170000u;
    return type == 0 || type == 0100000u;
}

static sh_status parse_central(up_zip_reader *r, size_t i, sh_error *err)
{
    sh_status st = need(r, 46, NULL, err);
    if (st != SH_OK)
        return st;
    const unsigned char *h = r->buf + r->start;
    size_t len = 46 + (size_t)rd16(h + 28) + rd16(h + 30) + rd16(h + 32);
    st = need(r, len, NULL, err);
    if (st != SH_OK)
        return st;
    h = r->buf + r->start;
    if (i >= r->count)
        return finding(r, UP_ZIP_CENTRAL_MISMATCH, NULL, err);
    up_zip_reason why = central_matches(h, &r->entries[i]);
    if (why == UP_ZIP_OK && !regular(h))
        why = UP_ZIP_NOT_REGULAR;
    if (why != UP_ZIP_OK)
        return finding(r, why, r->entries[i].name, err);
    consume(r, len);
    return SH_OK;
}

typedef struct {
    uint64_t count, cd_size, cd_offset;
    bool zip64;
} end_values;

static sh_status parse_end64(up_zip_reader *r, end_values *v, sh_error *err)
{
    sh_status st = need(r, 56 + 20, NULL, err);
    if (st != SH_OK)
        return st;
    const unsigned char *h = r->buf + r->start;
    const unsigned char *loc = h + 56;
    if (rd64(h + 4) != 44 || rd32(h + 16) != 0 || rd32(h + 20) != 0 ||
        rd64(h + 24) != rd64(h + 32) || rd32(loc) != SIG_LOCATOR64 || rd32(loc + 4) != 0 ||
        rd64(loc + 8) != r->pos || rd32(loc + 16) != 1)
        return finding(r, UP_ZIP_BAD_FORMAT, NULL, err);
    *v = (end_values){
        .count = rd64(h + 32), .cd_size = rd64(h + 40), .cd_offset = rd64(h + 48), .zip64 = true};
    consume(r, 56 + 20);
    return SH_OK;
}

/* A field of the end record: its own value, or 0xFFFF… pointing to the ZIP64 record's. */
static bool agrees(uint64_t value, uint64_t max, const end_values *v, uint64_t v64, uint64_t real)
{
    if (v->zip64 && v64 != real)
        return false;
    return value == real || (v->zip64 && value == max);
}

static sh_status parse_end(up_zip_reader *r, const end_values *v, uint64_t cd_offset,
                           uint64_t cd_size, sh_error *err)
{
    sh_status st = need(r, 22, NULL, err);
    if (st != SH_OK)
        return st;
    const unsigned char *h = r->buf + r->start;
    if (rd32(h) != SIG_END || rd16(h + 4) != 0 || rd16(h + 6) != 0 || rd16(h + 8) != rd16(h + 10))
        return finding(r, UP_ZIP_BAD_FORMAT, NULL, err);
    if (!agrees(rd16(h + 10), 0xFFFF, v, v->count, r->count) ||
        !agrees(rd32(h + 12), MAX32, v, v->cd_size, cd_size) ||
        !agrees(rd32(h + 16), MAX32, v, v->cd_offset, cd_offset))
        return finding(r, UP_ZIP_CENTRAL_MISMATCH, NULL, err);
    size_t comment = rd16(h + 20);
    st = need(r, 22 + comment, NULL, err);
    if (st != SH_OK)
        return st;
    consume(r, 22 + comment);
    size_t have = 0;
    st = fill(r, 1, &have, err);
    if (st != SH_OK)
        return st;
    return have != 0 ? finding(r, UP_ZIP_BAD_FORMAT, NULL, err) : SH_OK;
}

/* From the first central record to the end of the stream. */
static sh_status parse_central_all(up_zip_reader *r, sh_error *err)
{
    uint64_t cd_offset = r->pos;
    size_t i = 0;
    for (;;) {
        sh_status st = need(r, 4, NULL, err);
        if (st != SH_OK)
            return st;
        if (rd32(r->buf + r->start) != SIG_CENTRAL)
            break;
        st = parse_central(r, i++, err);
        if (st != SH_OK)
            return st;
    }
    if (i != r->count)
        return finding(r, UP_ZIP_CENTRAL_MISMATCH, NULL, err);
    uint64_t cd_size = r->pos - cd_offset;
    end_values v = {.zip64 = false};
    if (rd32(r->buf + r->start) == SIG_END64) {
        sh_status st = parse_end64(r, &v, err);
        if (st != SH_OK)
            return st;
    }
    return parse_end(r, &v, cd_offset, cd_size, err);
}

sh_status up_zip_next(up_zip_reader *r, up_zip_entry *entry, bool *end, sh_error *err)
{
    *end = false;
    if (r->failed != SH_OK) {
        if (err != NULL)
            *err = r->error;
        return r->failed;
    }
    if (r->done) {
        *end = true;
        return SH_OK;
    }
    sh_status st = r->in_entry ? drain(r, err) : SH_OK;
    if (st == SH_OK)
        st = need(r, 4, NULL, err);
    if (st != SH_OK)
        return st;
    uint32_t sig = rd32(r->buf + r->start);
    if (sig == SIG_LOCAL)
        return parse_local(r, entry, err);
    if (sig != SIG_CENTRAL && sig != SIG_END && sig != SIG_END64)
        return finding(r, UP_ZIP_BAD_FORMAT, NULL, err);
    st = parse_central_all(r, err);
    if (st != SH_OK)
        return st;
    r->done = true;
    *end = true;
    return SH_OK;
}
