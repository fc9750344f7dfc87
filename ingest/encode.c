/* Lossless re-encoders for pixels that cannot go into the PDF as they were stored: zlib (Flate)
 * for grey and colour samples, CCITT G4 (libtiff's encoder) for bilevel pages. Both stream into
 * the PDF stream being written, so memory does not grow with the image. */
#include <glib.h>
#include <string.h>
#include <tiffio.h>
#include <zlib.h>

#include "source_impl.h"

#define OUT_CHUNK (64 * 1024)

struct in_deflate {
    pdf_writer *w;
    z_stream z;
    bool failed;
    uint8_t out[OUT_CHUNK];
};

in_deflate *in_deflate_begin(pdf_writer *w)
{
    in_deflate *d = g_new0(in_deflate, 1);
    d->w = w;
    /* Level 6 (zlib's default): scans are mostly paper-white, which any level packs well;
     * higher levels cost much more time for little. */
    if (deflateInit(&d->z, 6) != Z_OK)
        d->failed = true;
    return d;
}

static void deflate_pump(in_deflate *d, int flush)
{
    int rc;
    do {
        d->z.next_out = d->out;
        d->z.avail_out = sizeof d->out;
        rc = deflate(&d->z, flush);
        if (rc == Z_STREAM_ERROR) {
            d->failed = true;
            return;
        }
        pdf_write(d->w, d->out, sizeof d->out - d->z.avail_out);
    } while (d->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void in_deflate_write(in_deflate *d, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0 && !d->failed) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        d->z.next_in = (Bytef *)(uintptr_t)p;
        d->z.avail_in = n;
        deflate_pump(d, Z_NO_FLUSH);
        p += n;
        len -= n;
    }
}

sh_status in_deflate_end(in_deflate *d, sh_error *err)
{
    if (!d->failed) {
        d->z.next_in = NULL;
        d->z.avail_in = 0;
        deflate_pump(d, Z_FINISH);
    }
    bool failed = d->failed;
    deflateEnd(&d->z);
    g_free(d);
    return failed ? sh_fail(err, SH_INTERNAL, _("compressing image data failed (zlib)")) : SH_OK;
}

/* ---- G4 through libtiff, writing a one-strip TIFF whose strip bytes are streamed out ----
 *
 * libtiff writes the 8-byte header at open, appends the strip's data after it as the encoder's
 * buffer fills, and writes the directory at close. The client I/O below passes exactly the
 * strip data (offsets 8 … 8 + n, written in order) to the PDF stream and drops the rest; the
 * strip's offset and byte count are checked against what was streamed. */

struct in_g4 {
    pdf_writer *w;
    TIFF *tif;
    uint64_t pos, end;      /* current offset and size of the virtual file */
    uint64_t streamed;      /* strip bytes passed on */
    bool streaming, broken; /* between header and directory; data written out of order */
    uint32_t width, height, row;
    char msg[256];
};

static tmsize_t g4_write(thandle_t h, void *buf, tmsize_t size)
{
    in_g4 *g = h;
    if (g->streaming) {
        if (g->pos != 8 + g->streamed)
            g->broken = true;
        else {
            pdf_write(g->w, buf, (size_t)size);
            g->streamed += (uint64_t)size;
        }
    }
    g->pos += (uint64_t)size;
    if (g->pos > g->end)
        g->end = g->pos;
    return size;
}

static tmsize_t g4_read(thandle_t h, void *buf, tmsize_t size)
{
    (void)h, (void)buf, (void)size;
    return 0; /* libtiff does not read back while writing a fresh file */
}

static toff_t g4_seek(thandle_t h, toff_t off, int whence)
{
    in_g4 *g = h;
    if (whence == SEEK_SET)
        g->pos = off;
    else if (whence == SEEK_CUR)
        g->pos += off;
    else
        g->pos = g->end + off;
    return g->pos;
}

static int g4_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t g4_size(thandle_t h) { return ((in_g4 *)h)->end; }

/* libtiff's messages are printf formats of its own. */
static int g4_error(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int g4_error(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)module;
    in_g4 *g = ud;
    vsnprintf(g->msg, sizeof g->msg, fmt, ap);
    return 1;
}

static int g4_quiet(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)ud, (void)module, (void)fmt, (void)ap;
    return 1;
}

in_g4 *in_g4_begin(pdf_writer *w, uint32_t width, uint32_t height, sh_error *err)
{
    in_g4 *g = g_new0(in_g4, 1);
    g->w = w;
    g->width = width;
    g->height = height;
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(opts, g4_error, g);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, g4_quiet, g);
    g->tif = TIFFClientOpenExt("g4", "w", g, g4_read, g4_write, g4_seek, g4_close, g4_size, NULL,
                               NULL, opts);
    TIFFOpenOptionsFree(opts);
    if (!g->tif) {
        sh_fail(err, SH_INTERNAL, _("cannot start the G4 encoder: %s"), g->msg);
        g_free(g);
        return NULL;
    }
    TIFFSetField(g->tif, TIFFTAG_IMAGEWIDTH, width);
    TIFFSetField(g->tif, TIFFTAG_IMAGELENGTH, height);
    TIFFSetField(g->tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(g->tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(g->tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(g->tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(g->tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
    TIFFSetField(g->tif, TIFFTAG_ROWSPERSTRIP, height);
    TIFFSetField(g->tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    g->streaming = true;
    return g;
}

sh_status in_g4_row(in_g4 *g, const uint8_t *row, sh_error *err)
{
    if (TIFFWriteScanline(g->tif, (void *)(uintptr_t)row, g->row++, 0) < 0)
        return sh_fail(err, SH_INTERNAL, _("G4 encoding failed: %s"), g->msg);
    return SH_OK;
}

sh_status in_g4_end(in_g4 *g, sh_error *err)
{
    sh_status st = SH_OK;
    if (g->row != g->height)
        st = sh_fail(err, SH_INTERNAL, _("G4 encoding failed: %s"), "rows missing");
    else if (!TIFFFlushData(g->tif))
        st = sh_fail(err, SH_INTERNAL, _("G4 encoding failed: %s"), g->msg);
    else {
        g->streaming = false;
        uint64_t *offs = NULL, *counts = NULL;
        if (!TIFFGetField(g->tif, TIFFTAG_STRIPOFFSETS, &offs) ||
            !TIFFGetField(g->tif, TIFFTAG_STRIPBYTECOUNTS, &counts) || g->broken || offs[0] != 8 ||
            counts[0] != g->streamed)
            st = sh_fail(err, SH_INTERNAL, _("G4 encoding failed: %s"),
                         "strip data not written in order");
    }
    g->streaming = false;
    TIFFClose(g->tif);
    g_free(g);
    return st;
}

void in_g4_abort(in_g4 *g)
{
    if (!g)
        return;
    g->streaming = false;
    TIFFClose(g->tif);
    g_free(g);
}
