/* The PDF writer: objects go straight to an atomic temp file through a small buffer, with their
 * offsets kept for the cross-reference table; the body is hashed as it goes for the /ID. */
#include "pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <openssl/evp.h>

#define BUFFER_SIZE (256 * 1024)
#define MAX_OBJECTS 8000000 /* 8 million objects: far beyond any dossier document */

struct pdf_writer {
    sh_atomic_file *out;
    sh_error err; /* the first failure; status SH_OK while none */
    EVP_MD_CTX *hash;
    uint64_t offset; /* bytes written so far, buffered or not */
    unsigned char *buf;
    size_t buf_len;
    GArray *offsets; /* uint64_t per object number; 0 = reserved, not written yet */
    int open_object; /* the object being written, or 0 */
    bool in_stream;
    uint64_t stream_start, stream_declared;
    int stream_length_obj; /* for PDF_LENGTH_LATER, else 0 */
};

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
    w->offsets = g_array_new(FALSE, TRUE, sizeof(uint64_t));
    uint64_t none = 0;
    g_array_append_val(w->offsets, none); /* object 0: the head of the free list */
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
    if (w->offsets->len >= MAX_OBJECTS) {
        fail(w, SH_INPUT, _("too many PDF objects"));
        return 0;
    }
    uint64_t none = 0;
    g_array_append_val(w->offsets, none);
    return (int)w->offsets->len - 1;
}

void pdf_object_begin(pdf_writer *w, int num)
{
    if (failed(w))
        return;
    if (w->open_object || w->in_stream || num <= 0 || (guint)num >= w->offsets->len ||
        g_array_index(w->offsets, uint64_t, num) != 0) {
        fail(w, SH_INTERNAL, "PDF writer: object begun twice, inside another, or not reserved");
        return;
    }
    g_array_index(w->offsets, uint64_t, num) = w->offset;
    w->open_object = num;
    pdf_printf(w, "%d 0 obj\n", num);
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
    g_free(w->buf);
    g_array_free(w->offsets, TRUE);
    g_free(w);
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
    for (guint i = 1; i < w->offsets->len && !failed(w); i++)
        if (g_array_index(w->offsets, uint64_t, i) == 0)
            fail(w, SH_INTERNAL, "PDF writer: a reserved object was never written");
    /* The /ID: a digest of the body, so equal files get equal IDs (deterministic output). */
    flush(w);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!failed(w)) {
        EVP_MD_CTX *copy = EVP_MD_CTX_new();
        if (!copy || EVP_MD_CTX_copy_ex(copy, w->hash) != 1 ||
            EVP_DigestFinal_ex(copy, digest, &dlen) != 1 || dlen < 16)
            fail(w, SH_INTERNAL, "SHA-256 failed");
        EVP_MD_CTX_free(copy);
    }
    uint64_t xref = w->offset;
    pdf_printf(w, "xref\n0 %u\n0000000000 65535 f\r\n", w->offsets->len);
    for (guint i = 1; i < w->offsets->len; i++) {
        uint64_t off = g_array_index(w->offsets, uint64_t, i);
        if (off > 9999999999ULL)
            fail(w, SH_INPUT, _("the PDF would be larger than 10 GB"));
        pdf_printf(w, "%010llu 00000 n\r\n", (unsigned long long)off);
    }
    char id[33];
    sh_hex(digest, 16, id);
    pdf_printf(w, "trailer\n<< /Size %u /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n",
               w->offsets->len, root, info, id, id);
    pdf_printf(w, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)xref);
    flush(w);
    /* Every byte went through the hash: it is now the digest of the whole file. */
    if (sha256 && !failed(w) && EVP_DigestFinal_ex(w->hash, sha256, NULL) != 1)
        fail(w, SH_INTERNAL, "SHA-256 failed");
    sh_status st = w->err.status;
    if (st != SH_OK) {
        if (err)
            *err = w->err;
        sh_atomic_abort(w->out);
    } else {
        st = sh_atomic_commit(w->out, err);
    }
    writer_free(w);
    return st;
}
