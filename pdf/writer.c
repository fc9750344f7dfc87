/* The PDF writer: objects go straight to an atomic temp file through a small buffer, with their
 * offsets kept for the cross-reference table; the body is hashed as it goes for the /ID. In
 * update mode the temp file starts as a copy of the original, and the cross-reference section
 * lists only the objects the update writes. */
#include "pdf/pdf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>

#define BUFFER_SIZE (256 * 1024)

struct pdf_writer {
    sh_atomic_file *out;
    sh_atomic_file **hand_over; /* pdf_writer_hand_over: sealed, not published */
    sh_error err;               /* the first failure; status SH_OK while none */
    EVP_MD_CTX *hash;
    uint64_t offset; /* bytes written so far, buffered or not */
    unsigned char *buf;
    size_t buf_len;
    int first;       /* the number of offsets[0]: 1 for a new file, base.size for an update */
    GArray *offsets; /* uint64_t per new object number; 0 = reserved, not written yet */
    int open_object; /* the object being written, or 0 */
    /* update mode */
    bool update;
    pdf_update_base base;
    GArray *replaced; /* replaced_object: existing objects written again */
    uint8_t original_sha256[SH_SHA256_LEN];
    EVP_MD_CTX *mark_hash; /* the hash of the bytes before mark_offset */
    uint64_t mark_offset;
    bool closed;
    bool in_stream;
    uint64_t stream_start, stream_declared;
    int stream_length_obj; /* for PDF_LENGTH_LATER, else 0 */
};

typedef struct {
    int num, gen;
    uint64_t offset;
} replaced_object;

static bool failed(const pdf_writer *w) { return w->err.status != SH_OK; }

static void fail(pdf_writer *w, sh_status status, const char *what)
{
    if (!failed(w))
        sh_fail(&w->err, status, "%s", what);
}

static void flush(pdf_writer *w)
{
    if (failed(w) || w->buf_len == 0)
        return;
    if (sh_atomic_write(w->out, w->buf, w->buf_len, &w->err) != SH_OK)
        return;
    EVP_DigestUpdate(w->hash, w->buf, w->buf_len);
    w->buf_len = 0;
}

static void put(pdf_writer *w, const void *data, size_t len)
{
    if (failed(w))
        return;
    const unsigned char *p = data;
    w->offset += len;
    while (len > 0) {
        if (w->buf_len == BUFFER_SIZE)
            flush(w);
        if (failed(w))
            return;
        size_t n = BUFFER_SIZE - w->buf_len < len ? BUFFER_SIZE - w->buf_len : len;
        memcpy(w->buf + w->buf_len, p, n);
        w->buf_len += n;
        p += n;
        len -= n;
    }
}

static void puts_(pdf_writer *w, const char *s) { put(w, s, strlen(s)); }

/* The SHA-256 of every byte written so far (the running hash goes on). */
static void hash_so_far(pdf_writer *w, uint8_t digest[SH_SHA256_LEN])
{
    flush(w);
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    if (!copy || EVP_MD_CTX_copy_ex(copy, w->hash) != 1 ||
        EVP_DigestFinal_ex(copy, digest, NULL) != 1)
        fail(w, SH_INTERNAL, "SHA-256 failed");
    EVP_MD_CTX_free(copy);
}

pdf_writer *pdf_writer_new(const char *path, int minor, bool no_replace, sh_error *err)
{
    if (minor < 4 || minor > 7) {
        sh_fail(err, SH_INTERNAL, "PDF 1.%d is not written", minor);
        return NULL;
    }
    sh_atomic_file *out = sh_atomic_open(path, no_replace ? SH_ATOMIC_NO_REPLACE : 0, err);
    if (!out)
        return NULL;
    pdf_writer *w = g_new0(pdf_writer, 1);
    w->out = out;
    w->hash = EVP_MD_CTX_new();
    w->buf = g_malloc(BUFFER_SIZE);
    w->first = 1;
    w->offsets = g_array_new(FALSE, TRUE, sizeof(uint64_t));
    sh_error_clear(&w->err);
    if (!w->hash || EVP_DigestInit_ex(w->hash, EVP_sha256(), NULL) != 1)
        fail(w, SH_INTERNAL, "SHA-256 is not available");
    /* The comment of four bytes above 127 tells transfer tools the file is binary. */
    char header[32];
    snprintf(header, sizeof header, "%%PDF-1.%d\n%%\xE2\xE3\xCF\xD3\n", minor);
    puts_(w, header);
    return w;
}

int pdf_object_reserve(pdf_writer *w)
{
    if ((int64_t)w->first + w->offsets->len >= PDF_MAX_OBJECTS) {
        fail(w, SH_INPUT, _("too many PDF objects"));
        return 0;
    }
    uint64_t none = 0;
    g_array_append_val(w->offsets, none);
    return w->first + (int)w->offsets->len - 1;
}

/* The offset slot of new object num, or NULL when num was not reserved. */
static uint64_t *slot(pdf_writer *w, int num)
{
    if (num < w->first || num - w->first >= (int)w->offsets->len)
        return NULL;
    return &g_array_index(w->offsets, uint64_t, num - w->first);
}

void pdf_object_begin(pdf_writer *w, int num)
{
    if (failed(w))
        return;
    uint64_t *at = slot(w, num);
    if (w->open_object || w->in_stream || w->closed || !at || *at != 0) {
        fail(w, SH_INTERNAL, "PDF writer: object begun twice, inside another, or not reserved");
        return;
    }
    *at = w->offset;
    w->open_object = num;
    pdf_printf(w, "%d 0 obj\n", num);
}

void pdf_object_replace(pdf_writer *w, int num, int gen)
{
    if (failed(w))
        return;
    bool again = false;
    for (guint i = 0; w->update && i < w->replaced->len; i++)
        again |= g_array_index(w->replaced, replaced_object, i).num == num;
    if (!w->update || w->open_object || w->in_stream || w->closed || num <= 0 || num >= w->first ||
        gen < 0 || gen > 65535 || again) {
        fail(w, SH_INTERNAL, "PDF writer: not an existing object, or replaced twice");
        return;
    }
    replaced_object r = {num, gen, w->offset};
    g_array_append_val(w->replaced, r);
    w->open_object = num;
    pdf_printf(w, "%d %d obj\n", num, gen);
}

void pdf_object_end(pdf_writer *w)
{
    if (failed(w))
        return;
    if (!w->open_object || w->in_stream) {
        fail(w, SH_INTERNAL, "PDF writer: no object to end");
        return;
    }
    puts_(w, "\nendobj\n");
    w->open_object = 0;
}

void pdf_printf(pdf_writer *w, const char *fmt, ...)
{
    if (failed(w))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    puts_(w, s);
    g_free(s);
}

void pdf_text_string(pdf_writer *w, const char *utf8)
{
    if (failed(w))
        return;
    glong n = 0;
    gunichar2 *utf16 = utf8 ? g_utf8_to_utf16(utf8, -1, NULL, &n, NULL) : NULL;
    if (!utf16) {
        fail(w, SH_INTERNAL, "PDF writer: text string is not UTF-8");
        return;
    }
    GString *hex = g_string_sized_new((gsize)n * 4 + 8);
    g_string_append(hex, "<FEFF");
    for (glong i = 0; i < n; i++)
        g_string_append_printf(hex, "%04X", utf16[i]);
    g_string_append_c(hex, '>');
    put(w, hex->str, hex->len);
    g_string_free(hex, TRUE);
    g_free(utf16);
}

void pdf_date(pdf_writer *w, int64_t unix_time)
{
    time_t t = (time_t)unix_time;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        fail(w, SH_INTERNAL, "PDF writer: date out of range");
        return;
    }
    pdf_printf(w, "(D:%04d%02d%02d%02d%02d%02dZ)", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
               tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void pdf_real(pdf_writer *w, double v)
{
    if (!(v > -1e9 && v < 1e9)) { /* also NaN */
        fail(w, SH_INTERNAL, "PDF writer: number out of range");
        return;
    }
    char s[48];
    snprintf(s, sizeof s, "%.4f", v);
    char *end = s + strlen(s) - 1;
    while (*end == '0')
        *end-- = '\0';
    if (*end == '.')
        *end = '\0';
    if (strcmp(s, "-0") == 0)
        strcpy(s, "0");
    puts_(w, s);
}

void pdf_stream_begin(pdf_writer *w, int num, const char *dict, uint64_t length)
{
    pdf_object_begin(w, num);
    if (failed(w))
        return;
    w->stream_length_obj = 0;
    if (length == PDF_LENGTH_LATER) {
        w->stream_length_obj = pdf_object_reserve(w);
        pdf_printf(w, "<< %s /Length %d 0 R >>\nstream\n", dict, w->stream_length_obj);
    } else {
        pdf_printf(w, "<< %s /Length %llu >>\nstream\n", dict, (unsigned long long)length);
    }
    w->in_stream = true;
    w->stream_start = w->offset;
    w->stream_declared = length;
}

void pdf_write(pdf_writer *w, const void *data, size_t len)
{
    if (failed(w))
        return;
    if (!w->in_stream) {
        fail(w, SH_INTERNAL, "PDF writer: stream data outside a stream");
        return;
    }
    put(w, data, len);
}

void pdf_stream_end(pdf_writer *w)
{
    if (failed(w))
        return;
    if (!w->in_stream) {
        fail(w, SH_INTERNAL, "PDF writer: no stream to end");
        return;
    }
    uint64_t written = w->offset - w->stream_start;
    if (w->stream_declared != PDF_LENGTH_LATER && written != w->stream_declared) {
        fail(w, SH_INTERNAL, "PDF writer: stream length differs from the one declared");
        return;
    }
    puts_(w, "\nendstream");
    w->in_stream = false;
    pdf_object_end(w);
    if (w->stream_length_obj) {
        pdf_object_begin(w, w->stream_length_obj);
        pdf_printf(w, "%llu", (unsigned long long)written);
        pdf_object_end(w);
    }
}

static void writer_free(pdf_writer *w)
{
    EVP_MD_CTX_free(w->hash);
    EVP_MD_CTX_free(w->mark_hash);
    if (w->replaced)
        g_array_free(w->replaced, TRUE);
    g_free(w->buf);
    g_array_free(w->offsets, TRUE);
    g_free(w);
}

/* The end of a writer: the file published when nothing failed, else dropped; w freed. */
static sh_status publish_or_drop(pdf_writer *w, sh_error *err)
{
    sh_status st = w->err.status;
    if (st != SH_OK) {
        if (err)
            *err = w->err;
        sh_atomic_abort(w->out);
    } else if (w->hand_over) {
        st = sh_atomic_seal(w->out, err);
        if (st == SH_OK)
            *w->hand_over = w->out;
        else
            sh_atomic_abort(w->out);
    } else {
        st = sh_atomic_commit(w->out, err);
    }
    writer_free(w);
    return st;
}

void pdf_writer_hand_over(pdf_writer *w, sh_atomic_file **out)
{
    *out = NULL;
    w->hand_over = out;
}

void pdf_writer_abort(pdf_writer *w)
{
    if (!w)
        return;
    sh_atomic_abort(w->out);
    writer_free(w);
}

sh_status pdf_writer_finish(pdf_writer *w, int root, int info, uint8_t sha256[SH_SHA256_LEN],
                            sh_error *err)
{
    if (w->open_object || w->in_stream)
        fail(w, SH_INTERNAL, "PDF writer: an object is still open");
    if (w->update)
        fail(w, SH_INTERNAL, "PDF writer: an update is finished with pdf_writer_close");
    for (guint i = 0; i < w->offsets->len && !failed(w); i++)
        if (g_array_index(w->offsets, uint64_t, i) == 0)
            fail(w, SH_INTERNAL, "PDF writer: a reserved object was never written");
    /* The /ID: a digest of the body, so equal files get equal IDs (deterministic output). */
    uint8_t digest[SH_SHA256_LEN] = {0};
    hash_so_far(w, digest);
    uint64_t xref = w->offset;
    pdf_printf(w, "xref\n0 %u\n0000000000 65535 f\r\n", w->offsets->len + 1);
    for (guint i = 0; i < w->offsets->len; i++) {
        uint64_t off = g_array_index(w->offsets, uint64_t, i);
        if (off > 9999999999ULL)
            fail(w, SH_INPUT, _("the PDF would be larger than 10 GB"));
        pdf_printf(w, "%010llu 00000 n\r\n", (unsigned long long)off);
    }
    char id[33];
    sh_hex(digest, 16, id);
    pdf_printf(w, "trailer\n<< /Size %u /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n",
               w->offsets->len + 1, root, info, id, id);
    pdf_printf(w, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)xref);
    flush(w);
    /* Every byte went through the hash: it is now the digest of the whole file. */
    if (sha256 && !failed(w) && EVP_DigestFinal_ex(w->hash, sha256, NULL) != 1)
        fail(w, SH_INTERNAL, "SHA-256 failed");
    return publish_or_drop(w, err);
}

/* ---- update mode ---- */

#define COPY_CHUNK (1024 * 1024)

/* Copy the original's bytes from its header on to the temp file, hashing them on the way; the
 * SHA-256 of all its bytes (those before the header too) is kept. */
static void copy_original(pdf_writer *w, const char *original)
{
    sh_error err;
    int fd = sh_open_regular(original, &err);
    if (fd < 0) {
        w->err = err;
        return;
    }
    EVP_MD_CTX *whole = EVP_MD_CTX_new();
    if (!whole || EVP_DigestInit_ex(whole, EVP_sha256(), NULL) != 1)
        fail(w, SH_INTERNAL, "SHA-256 is not available");
    unsigned char *chunk = g_malloc(COPY_CHUNK);
    int last = -1;
    uint64_t skip = w->base.header; /* bytes before the header still to leave out */
    while (!failed(w)) {
        ssize_t n = read(fd, chunk, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sh_fail_errno(&w->err, SH_INPUT, errno, _("cannot read %s"), original);
            break;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(whole, chunk, (size_t)n);
        size_t from = skip < (uint64_t)n ? (size_t)skip : (size_t)n;
        skip -= from;
        if (from == (size_t)n)
            continue;
        EVP_DigestUpdate(w->hash, chunk + from, (size_t)n - from);
        if (sh_atomic_write(w->out, chunk + from, (size_t)n - from, &w->err) != SH_OK)
            break;
        w->offset += (uint64_t)n - from;
        last = chunk[n - 1];
    }
    close(fd);
    g_free(chunk);
    if (!failed(w) && EVP_DigestFinal_ex(whole, w->original_sha256, NULL) != 1)
        fail(w, SH_INTERNAL, "SHA-256 failed");
    EVP_MD_CTX_free(whole);
    if (!failed(w) && skip > 0)
        sh_fail(&w->err, SH_INPUT, _("%s changed while it was being read; copy it again"),
                original);
    /* The update starts on a line of its own ("%%EOF" may end without one). */
    if (last != '\n' && last != '\r')
        puts_(w, "\n");
}

pdf_writer *pdf_writer_update(const char *path, const char *original, const pdf_update_base *base,
                              sh_error *err)
{
    if (base->size < 1 || base->size >= PDF_MAX_OBJECTS || base->root <= 0) {
        sh_fail(err, SH_INTERNAL, "PDF writer: no usable trailer to update");
        return NULL;
    }
    sh_atomic_file *out = sh_atomic_open(path, SH_ATOMIC_NO_REPLACE, err);
    if (!out)
        return NULL;
    pdf_writer *w = g_new0(pdf_writer, 1);
    w->out = out;
    w->hash = EVP_MD_CTX_new();
    w->buf = g_malloc(BUFFER_SIZE);
    w->first = base->size;
    w->offsets = g_array_new(FALSE, TRUE, sizeof(uint64_t));
    w->update = true;
    w->base = *base;
    w->replaced = g_array_new(FALSE, FALSE, sizeof(replaced_object));
    sh_error_clear(&w->err);
    if (!w->hash || EVP_DigestInit_ex(w->hash, EVP_sha256(), NULL) != 1)
        fail(w, SH_INTERNAL, "SHA-256 is not available");
    else
        copy_original(w, original);
    if (failed(w)) {
        if (err)
            *err = w->err;
        pdf_writer_abort(w);
        return NULL;
    }
    return w;
}

void pdf_writer_original_sha256(const pdf_writer *w, uint8_t sha256[SH_SHA256_LEN])
{
    memcpy(sha256, w->original_sha256, SH_SHA256_LEN);
}

uint64_t pdf_writer_tell(const pdf_writer *w) { return w->offset; }

void pdf_writer_mark(pdf_writer *w)
{
    flush(w);
    if (failed(w))
        return;
    EVP_MD_CTX_free(w->mark_hash);
    w->mark_hash = EVP_MD_CTX_new();
    if (!w->mark_hash || EVP_MD_CTX_copy_ex(w->mark_hash, w->hash) != 1)
        fail(w, SH_INTERNAL, "SHA-256 failed");
    w->mark_offset = w->offset;
}

/* One entry of the update's cross-reference section. */
typedef struct {
    int num, gen;
    uint64_t offset;
} xref_row;

static gint by_number(gconstpointer a, gconstpointer b)
{
    const xref_row *x = a, *y = b;
    return (x->num > y->num) - (x->num < y->num);
}

/* The update's entries, sorted by number: the replaced objects, then the new ones. */
static GArray *update_rows(pdf_writer *w)
{
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(xref_row));
    for (guint i = 0; i < w->replaced->len; i++) {
        replaced_object *r = &g_array_index(w->replaced, replaced_object, i);
        xref_row row = {r->num, r->gen, r->offset};
        g_array_append_val(rows, row);
    }
    for (guint i = 0; i < w->offsets->len; i++) {
        xref_row row = {w->first + (int)i, 0, g_array_index(w->offsets, uint64_t, i)};
        if (row.offset == 0)
            fail(w, SH_INTERNAL, "PDF writer: a reserved object was never written");
        g_array_append_val(rows, row);
    }
    g_array_sort(rows, by_number);
    return rows;
}

/* The runs of consecutive numbers: "first count" pairs, for a table's subsections or /Index. */
static void each_run(const GArray *rows, void (*fn)(pdf_writer *, const xref_row *run, int count),
                     pdf_writer *w)
{
    for (guint i = 0; i < rows->len;) {
        guint j = i + 1;
        while (j < rows->len &&
               g_array_index(rows, xref_row, j).num == g_array_index(rows, xref_row, j - 1).num + 1)
            j++;
        fn(w, &g_array_index(rows, xref_row, i), (int)(j - i));
        i = j;
    }
}

static void print_index_pair(pdf_writer *w, const xref_row *run, int count)
{
    pdf_printf(w, "%d %d ", run->num, count);
}

static void print_table_run(pdf_writer *w, const xref_row *run, int count)
{
    pdf_printf(w, "%d %d\n", run->num, count);
    for (int i = 0; i < count; i++)
        pdf_printf(w, "%010llu %05d n\r\n", (unsigned long long)run[i].offset, run[i].gen);
}

/* "/Root … /Info … /ID […] /Prev …": what the update's trailer carries over. */
static void print_trailer_keys(pdf_writer *w)
{
    uint8_t digest[SH_SHA256_LEN] = {0};
    hash_so_far(w, digest);
    char id1[33];
    sh_hex(digest, 16, id1);
    pdf_printf(w, "/Root %d %d R ", w->base.root, w->base.root_gen);
    if (w->base.info > 0)
        pdf_printf(w, "/Info %d %d R ", w->base.info, w->base.info_gen);
    pdf_printf(w, "/ID [<%s> <%s>] /Prev %llu", w->base.id0[0] ? w->base.id0 : id1, id1,
               (unsigned long long)w->base.startxref);
}

/* A cross-reference stream of rows "1 offset gen" (/W [1 n 2]), not compressed: it is small. */
static void write_xref_stream(pdf_writer *w, GArray *rows)
{
    int self = pdf_object_reserve(w);
    xref_row me = {self, 0, w->offset};
    g_array_append_val(rows, me); /* the largest number: stays sorted */
    int width = 1;
    while (width < 8 && (w->offset >> (8 * width)) != 0)
        width++;
    *slot(w, self) = w->offset;
    pdf_printf(w, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 %d 2] /Index [ ", self, self + 1, width);
    each_run(rows, print_index_pair, w);
    pdf_printf(w, "] ");
    print_trailer_keys(w);
    pdf_printf(w, " /Length %u >>\nstream\n", rows->len * (guint)(3 + width));
    for (guint i = 0; i < rows->len; i++) {
        const xref_row *r = &g_array_index(rows, xref_row, i);
        unsigned char row[11] = {1};
        for (int b = 0; b < width; b++)
            row[1 + b] = (unsigned char)(r->offset >> (8 * (width - 1 - b)));
        row[1 + width] = (unsigned char)(r->gen >> 8);
        row[2 + width] = (unsigned char)r->gen;
        put(w, row, 3 + (size_t)width);
    }
    puts_(w, "\nendstream\nendobj\n");
}

sh_status pdf_writer_close(pdf_writer *w, sh_error *err)
{
    if (!w->update || w->closed || w->open_object || w->in_stream)
        fail(w, SH_INTERNAL, "PDF writer: close of an update with an object open, or twice");
    GArray *rows = failed(w) ? NULL : update_rows(w);
    uint64_t xref = w->offset;
    if (rows && !failed(w)) {
        if (w->offset > 9999999999ULL)
            fail(w, SH_INPUT, _("the PDF would be larger than 10 GB"));
        if (w->base.xref_stream) {
            write_xref_stream(w, rows);
        } else {
            puts_(w, "xref\n");
            each_run(rows, print_table_run, w);
            pdf_printf(w, "trailer\n<< /Size %d ", w->first + (int)w->offsets->len);
            print_trailer_keys(w);
            puts_(w, " >>\n");
        }
        pdf_printf(w, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)xref);
        flush(w);
    }
    if (rows)
        g_array_free(rows, TRUE);
    if (!w->mark_hash)
        fail(w, SH_INTERNAL, "PDF writer: an update closed without a mark");
    w->closed = true;
    if (failed(w) && err)
        *err = w->err;
    return w->err.status;
}

sh_status pdf_writer_patch(pdf_writer *w, uint64_t offset, const void *data, size_t len,
                           sh_error *err)
{
    if (!w->closed || failed(w) || offset < w->mark_offset || offset + len > w->offset)
        fail(w, SH_INTERNAL, "PDF writer: patch outside the update, or before it is closed");
    else if (pwrite(sh_atomic_fd(w->out), data, len, (off_t)offset) != (ssize_t)len)
        sh_fail_errno(&w->err, SH_INTERNAL, errno, "cannot write the signature: ");
    if (failed(w) && err)
        *err = w->err;
    return w->err.status;
}

/* Hash [from, to) of the temp file into ctx. */
static bool hash_range(pdf_writer *w, EVP_MD_CTX *ctx, uint64_t from, uint64_t to)
{
    unsigned char chunk[65536];
    while (from < to) {
        size_t want = to - from < sizeof chunk ? (size_t)(to - from) : sizeof chunk;
        ssize_t n = pread(sh_atomic_fd(w->out), chunk, want, (off_t)from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        EVP_DigestUpdate(ctx, chunk, (size_t)n);
        from += (uint64_t)n;
    }
    return true;
}

sh_status pdf_writer_digest(pdf_writer *w, uint64_t skip_from, uint64_t skip_to,
                            uint8_t sha256[SH_SHA256_LEN], sh_error *err)
{
    if (!w->closed || failed(w) || skip_from < w->mark_offset || skip_to < skip_from ||
        skip_to > w->offset) {
        fail(w, SH_INTERNAL, "PDF writer: digest outside the update, or before it is closed");
    } else {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_MD_CTX_copy_ex(ctx, w->mark_hash) != 1 ||
            !hash_range(w, ctx, w->mark_offset, skip_from) ||
            !hash_range(w, ctx, skip_to, w->offset) || EVP_DigestFinal_ex(ctx, sha256, NULL) != 1)
            fail(w, SH_INTERNAL, "cannot read back the signed file");
        EVP_MD_CTX_free(ctx);
    }
    if (failed(w) && err)
        *err = w->err;
    return w->err.status;
}

sh_status pdf_writer_publish(pdf_writer *w, sh_error *err)
{
    if (!w->closed)
        fail(w, SH_INTERNAL, "PDF writer: publish before close");
    return publish_or_drop(w, err);
}
