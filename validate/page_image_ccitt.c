/* CCITT G3/G4 (CCITTFaxDecode) through libtiff: the encoded bytes are read whole (bounded by
 * the memory limit) behind a small TIFF header of our own, and libtiff decodes that one-strip
 * TIFF from memory, row by row, into the box reducer.
 *
 * Colours: libtiff gives 1 bits for the coded black runs whatever the photometric tag says.
 * PDF's filter gives 0 for them (BlackIs1 false, the fax convention) or 1 (BlackIs1 true), and
 * then 0 is black in the image's space, unless /Decode [1 0]. So a decoded 1 bit is white
 * exactly when BlackIs1 differs from decode_inverted.
 *
 * Sizes: a row is /Width pixels (/Columns is the encoder's; the two agree in every sane file,
 * and a missing /Columns defaults to 1728, which would garble a wider scan); rows are decoded
 * until /Height or the end of the data (EOFB, RTC or truncation), the rest left white. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

#include "page_image_reduce_impl.h"

#define TIFF_HEAD 256 /* our header and directory, before the encoded bytes */

typedef struct {
    uint8_t *file; /* TIFF_HEAD bytes of header, then the encoded data */
    size_t size;
    uint64_t pos;  /* libtiff reads the header and directory; the strip comes from the map */
    char msg[256]; /* libtiff's first error: damaged data, not an early end */
} ccitt_file;

static int ccitt_error(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int ccitt_error(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)module;
    ccitt_file *f = ud;
    if (!f->msg[0])
        vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    return 1;
}

static int ccitt_warning(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)ud, (void)module, (void)fmt, (void)ap;
    return 1; /* "premature EOF", bad line lengths: the decode goes on, or ends white */
}

static tmsize_t mem_read(thandle_t h, void *dst, tmsize_t n)
{
    ccitt_file *f = h;
    if (n <= 0 || f->pos >= f->size)
        return 0;
    size_t k = MIN((size_t)n, (size_t)(f->size - f->pos));
    memcpy(dst, f->file + f->pos, k);
    f->pos += k;
    return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *src, tmsize_t n)
{
    (void)h, (void)src, (void)n;
    return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    ccitt_file *f = h;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->size;
    f->pos = base + off;
    return f->pos;
}

static int mem_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t mem_size(thandle_t h) { return ((ccitt_file *)h)->size; }

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    ccitt_file *f = h;
    *base = f->file;
    *size = f->size;
    return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size) { (void)h, (void)base, (void)size; }

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

/* A little-endian TIFF header and its one directory (tags in ascending order). */
static void write_header(uint8_t *p, uint32_t w, uint32_t h, unsigned compression,
                         uint32_t t4_options, uint32_t data_len)
{
    struct {
        unsigned tag, type;
        uint32_t value;
    } e[] = {
        {256, 4, w},         {257, 4, h}, {258, 3, 1}, {259, 3, compression}, {262, 3, 0},
        {273, 4, TIFF_HEAD}, {277, 3, 1}, {278, 4, h}, {279, 4, data_len},    {292, 4, t4_options},
    };
    unsigned n = compression == COMPRESSION_CCITTFAX3 ? 10 : 9;
    memset(p, 0, TIFF_HEAD);
    memcpy(p, "II*\0", 4);
    put32(p + 4, 8);
    put16(p + 8, n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *q = p + 10 + 12 * i;
        put16(q, e[i].tag);
        put16(q + 2, e[i].type);
        put32(q + 4, 1);
        if (e[i].type == 3)
            put16(q + 8, e[i].value);
        else
            put32(q + 8, e[i].value);
    }
}

/* G3 data either start with an EOL (eleven or more 0 bits, then a 1; no run code has more
 * than eight) or have none at all, which libtiff's G3 decoder cannot read. */
static bool starts_with_eol(const uint8_t *d, size_t len)
{
    unsigned zeros = 0;
    for (size_t i = 0; i < len && i < 64; i++)
        for (int bit = 7; bit >= 0; bit--) {
            if (!(d[i] >> bit & 1))
                zeros++;
            else
                return zeros >= 11;
        }
    return false;
}

static sh_status damaged(const char *why, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("the page's CCITT fax image is damaged (%s); scan the page again, or "
                     "export the PDF again from the scanner's software"),
                   why);
}

/* Compression, T4Options and fax mode for the PDF parameters and these data. */
static sh_status choose_codec(const pdf_image *img, const uint8_t *data, size_t len,
                              unsigned *compression, uint32_t *t4, int *fax_mode, sh_error *err)
{
    *t4 = 0;
    *fax_mode = -1;
    if (img->ccitt_k < 0) {
        *compression = COMPRESSION_CCITTFAX4;
        return SH_OK;
    }
    if (starts_with_eol(data, len)) {
        *compression = COMPRESSION_CCITTFAX3;
        *t4 = (img->ccitt_k > 0 ? GROUP3OPT_2DENCODING : 0) |
              (img->ccitt_byte_align ? GROUP3OPT_FILLBITS : 0);
        return SH_OK;
    }
    if (img->ccitt_k > 0)
        return damaged("G3 2-D without EOL codes is not supported", err);
    /* 1-D without EOLs: Modified Huffman rows, aligned only when the PDF says so. */
    *compression = COMPRESSION_CCITTRLE;
    *fax_mode = FAXMODE_NORTC | FAXMODE_NOEOL | (img->ccitt_byte_align ? FAXMODE_BYTEALIGN : 0);
    return SH_OK;
}

static sh_status decode_rows(const vd_job *job, ccitt_file *f, TIFF *tif, vd_box *box,
                             sh_error *err)
{
    const pdf_image *img = job->img;
    tmsize_t line = TIFFScanlineSize(tif);
    if (line <= 0 || (uint64_t)line < ((uint64_t)img->width + 7) / 8)
        return damaged(f->msg[0] ? f->msg : "row size", err);
    uint8_t *row = g_malloc0((size_t)line); /* padding bits are read too */
    bool one_is_white = img->ccitt_black_is_1 != img->decode_inverted;
    sh_status st = SH_OK;
    for (uint32_t y = 0; y < img->height; y++) {
        /* libtiff reports a bad code through its error handler, and may still return the row;
         * the end of the data (EOFB, RTC, truncation) gives white rows or a -1 without one. */
        int got = TIFFReadScanline(tif, row, y, 0);
        if (f->msg[0]) {
            st = damaged(f->msg, err);
            break;
        }
        if (got < 0)
            break;
        vd_box_add_bits(box, row, one_is_white);
    }
    g_free(row);
    return st;
}

sh_status vd_decode_ccitt(const vd_job *job, uint8_t **px, sh_error *err)
{
    const pdf_image *img = job->img;
    /* libtiff's own: the row, the reference row, two run arrays of 2 × (width + 32) entries. */
    uint64_t codec = 20 * (uint64_t)img->width + 64 * 1024;
    uint64_t box_bytes = vd_box_bytes(img->width, job->out_w, job->out_h);
    if (box_bytes > job->mem_limit || codec > job->mem_limit - box_bytes)
        return vd_too_big(_("the page's CCITT fax image"), box_bytes, job->mem_limit, err);
    uint64_t max_data = MIN(job->mem_limit - box_bytes - codec, (uint64_t)UINT32_MAX - TIFF_HEAD);

    ccitt_file f = {0};
    size_t len;
    sh_status st = vd_read_all(job, TIFF_HEAD, max_data, &f.file, &len, err);
    if (st != SH_OK)
        return st;
    vd_box box;
    st = vd_box_init(&box, img->width, img->height, job->out_w, job->out_h, box_bytes, err);
    if (st != SH_OK || len == 0) { /* no data at all: a white page, as for a truncated one */
        g_free(f.file);
        if (st == SH_OK)
            vd_box_finish(&box, px);
        return st;
    }
    unsigned compression = COMPRESSION_CCITTFAX4;
    uint32_t t4;
    int fax_mode;
    st = choose_codec(img, f.file + TIFF_HEAD, len, &compression, &t4, &fax_mode, err);
    if (st == SH_OK) {
        f.size = TIFF_HEAD + len;
        write_header(f.file, img->width, img->height, compression, t4, (uint32_t)len);
        TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
        TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)MIN(codec, (uint64_t)INT64_MAX));
        TIFFOpenOptionsSetErrorHandlerExtR(opts, ccitt_error, &f);
        TIFFOpenOptionsSetWarningHandlerExtR(opts, ccitt_warning, &f);
        TIFF *tif = TIFFClientOpenExt("ccitt", "r", &f, mem_read, mem_write, mem_seek, mem_close,
                                      mem_size, mem_map, mem_unmap, opts);
        TIFFOpenOptionsFree(opts);
        if (!tif)
            st = damaged(f.msg[0] ? f.msg : "?", err);
        else {
            if (fax_mode >= 0)
                TIFFSetField(tif, TIFFTAG_FAXMODE, fax_mode);
            st = decode_rows(job, &f, tif, &box, err);
            TIFFClose(tif);
        }
    }
    g_free(f.file);
    if (st != SH_OK) {
        vd_box_free(&box);
        return st;
    }
    vd_box_finish(&box, px);
    return SH_OK;
}
