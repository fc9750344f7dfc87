/* TIFF pages through libtiff. Single-strip CCITT G4 (what scanners write for text pages) is
 * copied into the PDF byte for byte; other bilevel pages are re-encoded to G4 and grey, colour
 * and palette pages to Flate, row by row, so nothing is lost and memory stays flat. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "source_impl.h"

#define MAX_TIFF_PAGES 10000
#define MAX_TIFF_ALLOC ((tmsize_t)256 << 20) /* libtiff's largest single allocation */

typedef enum { WAY_G4_AS_IS, WAY_G4_REENCODE, WAY_FLATE } tiff_way;

typedef struct {
    tiff_way way;
    tdir_t dir;
    bool black_is_1;   /* MinIsBlack bilevel */
    bool invert;       /* MinIsWhite grey: /Decode [1 0] */
    bool reverse_bits; /* FillOrder 2, for the bytes copied as they are */
    bool swab16;       /* 16-bit samples to big-endian */
    bool jpeg_rgb;     /* JPEG-in-TIFF YCbCr, decoded to RGB by libjpeg */
    int bits, colors;  /* for Flate */
    const char *space; /* "/DeviceGray", "/DeviceRGB", "/DeviceCMYK", or NULL for a palette */
    uint64_t strip_off, strip_len;
} tiff_page;

/* libtiff reads a directory tag by tag: through plain read() that is two system calls per tag
 * (10,000 for 100 pages), through a memory map the whole file counts as resident memory. So
 * its reads go through a small block cache over pread; large reads (strips) go straight. */
typedef struct {
    int fd;
    uint64_t pos, size;
    uint64_t block_off;
    size_t block_len;
    uint8_t block[64 * 1024];
} tiff_io;

typedef struct {
    TIFF *tif;
    tiff_io io;
    int fd; /* for copying G4 strips without libtiff's buffers */
    tiff_page *pages;
    char msg[512];
} tiff_state;

/* libtiff's messages are printf formats of its own. */
static int tiff_error(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int tiff_error(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)module;
    tiff_state *t = ud;
    if (!t->msg[0]) /* the first error is the cause; the rest follow from it */
        vsnprintf(t->msg, sizeof t->msg, fmt, ap);
    return 1;
}

static int tiff_warning(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)ud, (void)module, (void)fmt, (void)ap;
    return 1; /* unknown private tags and the like: not the operator's concern */
}

static tmsize_t io_read(thandle_t h, void *dst, tmsize_t n)
{
    tiff_io *io = h;
    uint8_t *out = dst;
    tmsize_t done = 0;
    while (done < n && io->pos < io->size) {
        size_t want = (size_t)(n - done);
        if (io->pos >= io->block_off && io->pos < io->block_off + io->block_len) {
            size_t at = (size_t)(io->pos - io->block_off);
            size_t k = MIN(want, io->block_len - at);
            memcpy(out + done, io->block + at, k);
            done += (tmsize_t)k;
            io->pos += k;
            continue;
        }
        ssize_t got;
        if (want >= sizeof io->block) { /* strip data: no copy through the cache */
            got = pread(io->fd, out + done, want, (off_t)io->pos);
            if (got > 0) {
                done += got;
                io->pos += (uint64_t)got;
            }
        } else {
            got = pread(io->fd, io->block, sizeof io->block, (off_t)io->pos);
            if (got > 0) {
                io->block_off = io->pos;
                io->block_len = (size_t)got;
            }
        }
        if (got <= 0)
            break;
    }
    return done;
}

static tmsize_t io_write(thandle_t h, void *src, tmsize_t n)
{
    (void)h, (void)src, (void)n;
    return -1; /* sources are never written */
}

static toff_t io_seek(thandle_t h, toff_t off, int whence)
{
    tiff_io *io = h;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? io->pos : io->size;
    io->pos = base + off;
    return io->pos;
}

static int io_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t io_size(thandle_t h) { return ((tiff_io *)h)->size; }

static sh_status damaged(in_source *s, tiff_state *t, int page, sh_error *err)
{
    if (page > 0)
        return sh_fail(err, SH_INPUT,
                       _("%s, page %d: the TIFF file is damaged or truncated (%s); copy it "
                         "again from the scanner, or scan again"),
                       s->path, page, t->msg[0] ? t->msg : "?");
    return sh_fail(err, SH_INPUT,
                   _("%s: the TIFF file is damaged or truncated (%s); copy it again from the "
                     "scanner, or scan again"),
                   s->path, t->msg[0] ? t->msg : "?");
}

static sh_status unsupported(in_source *s, int page, const char *what, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("%s, page %d: this kind of TIFF is not supported (%s); save the scan as "
                     "bilevel G4, greyscale or colour TIFF, or as PNG or JPEG"),
                   s->path, page, what);
}

static double resolution(float v, uint16_t unit)
{
    if (!isfinite(v) || v <= 0 || unit == RESUNIT_NONE)
        return 0;
    double ppi = unit == RESUNIT_CENTIMETER ? v * 2.54 : v;
    return ppi >= 1 && ppi <= 100000 ? ppi : 0;
}

/* The fields of a directory that decide how its page is written. */
typedef struct {
    uint32_t w, h;
    uint16_t bits, spp, photo, comp, planar, fill, orient, unit;
    float xr, yr;
    uint32_t nstrips;
    uint64_t *offs, *counts; /* libtiff's arrays */
} tiff_fields;

/* Size first (checked against the limits before anything else), then the rest with libtiff's
 * defaults; a missing photometric is guessed from the samples. */
static sh_status read_fields(in_source *s, tiff_state *t, int n, const in_limits *lim,
                             tiff_fields *f, sh_error *err)
{
    TIFF *tif = t->tif;
    *f = (tiff_fields){.bits = 1,
                       .spp = 1,
                       .comp = COMPRESSION_NONE,
                       .planar = PLANARCONFIG_CONTIG,
                       .fill = FILLORDER_MSB2LSB,
                       .orient = ORIENTATION_TOPLEFT,
                       .unit = RESUNIT_INCH};
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &f->w) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &f->h))
        return damaged(s, t, n, err);
    sh_status st = in_check_size(s->path, n, f->w, f->h, lim, err);
    if (st != SH_OK)
        return st;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &f->bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &f->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &f->comp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &f->planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &f->fill);
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &f->orient);
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &f->unit);
    TIFFGetField(tif, TIFFTAG_XRESOLUTION, &f->xr);
    TIFFGetField(tif, TIFFTAG_YRESOLUTION, &f->yr);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &f->photo))
        f->photo = f->bits == 1  ? PHOTOMETRIC_MINISWHITE
                   : f->spp >= 3 ? PHOTOMETRIC_RGB
                                 : PHOTOMETRIC_MINISBLACK;
    return SH_OK;
}

/* Tiles, codecs libtiff lacks and separate planes are refused. */
static sh_status check_layout(in_source *s, TIFF *tif, int n, const tiff_fields *f, sh_error *err)
{
    char what[96];
    if (TIFFIsTiled(tif))
        return unsupported(s, n, "tiles", err);
    if (!TIFFIsCODECConfigured(f->comp)) {
        snprintf(what, sizeof what, "compression %u", f->comp);
        return unsupported(s, n, what, err);
    }
    if (f->spp > 1 && f->planar != PLANARCONFIG_CONTIG)
        return unsupported(s, n, "separate colour planes", err);
    return SH_OK;
}

/* Every strip must lie inside the file: a truncated scan is caught here, not half-way. */
static sh_status check_strips(in_source *s, tiff_state *t, int n, off_t file_size, tiff_fields *f,
                              sh_error *err)
{
    f->nstrips = TIFFNumberOfStrips(t->tif);
    if (f->nstrips == 0 || !TIFFGetField(t->tif, TIFFTAG_STRIPOFFSETS, &f->offs) ||
        !TIFFGetField(t->tif, TIFFTAG_STRIPBYTECOUNTS, &f->counts) || !f->offs || !f->counts)
        return damaged(s, t, n, err);
    for (uint32_t i = 0; i < f->nstrips; i++)
        if (f->counts[i] == 0 || f->offs[i] > (uint64_t)file_size ||
            f->counts[i] > (uint64_t)file_size - f->offs[i]) {
            snprintf(t->msg, sizeof t->msg, "strip %u ends after the end of the file", i + 1);
            return damaged(s, t, n, err);
        }
    return SH_OK;
}

static bool is_bilevel(const tiff_fields *f)
{
    return f->bits == 1 && f->spp == 1 &&
           (f->photo == PHOTOMETRIC_MINISWHITE || f->photo == PHOTOMETRIC_MINISBLACK);
}

/* A bilevel page: its single G4 strip copied as is, anything else re-encoded to G4. */
static void classify_bilevel(TIFF *tif, const tiff_fields *f, tiff_page *tp, in_page_info *pi)
{
    uint32_t t6 = 0;
    TIFFGetField(tif, TIFFTAG_T6OPTIONS, &t6);
    tp->black_is_1 = f->photo == PHOTOMETRIC_MINISBLACK;
    if (f->comp == COMPRESSION_CCITTFAX4 && f->nstrips == 1 && t6 == 0) {
        tp->way = WAY_G4_AS_IS;
        tp->reverse_bits = f->fill == FILLORDER_LSB2MSB;
        tp->strip_off = f->offs[0];
        tp->strip_len = f->counts[0];
        pi->how = "G4 as is";
    } else {
        tp->way = WAY_G4_REENCODE;
        pi->how = "bilevel, re-encoded to G4";
    }
}

/* The PDF colour space of a decoded page; false when there is none for it. */
static bool colour_space(const tiff_fields *f, tiff_page *tp)
{
    uint16_t photo = f->photo, spp = f->spp;
    if ((photo == PHOTOMETRIC_MINISBLACK || photo == PHOTOMETRIC_MINISWHITE) && spp == 1) {
        tp->space = "/DeviceGray";
        tp->colors = 1;
        tp->invert = photo == PHOTOMETRIC_MINISWHITE;
    } else if (photo == PHOTOMETRIC_RGB && spp == 3) {
        tp->space = "/DeviceRGB";
        tp->colors = 3;
    } else if (photo == PHOTOMETRIC_SEPARATED && spp == 4) {
        tp->space = "/DeviceCMYK";
        tp->colors = 4;
    } else if (photo == PHOTOMETRIC_PALETTE && spp == 1 && f->bits <= 8) {
        tp->space = NULL;
        tp->colors = 1;
    } else {
        return false;
    }
    return true;
}

/* A grey, colour or palette page, decoded and written with Flate. */
static sh_status classify_flate(in_source *s, TIFF *tif, int n, const tiff_fields *f, tiff_page *tp,
                                in_page_info *pi, sh_error *err)
{
    char what[96];
    uint16_t bits = f->bits;
    tp->way = WAY_FLATE;
    tp->bits = bits;
    pi->how = "decoded, Flate";
    if (f->comp == COMPRESSION_JPEG && f->photo == PHOTOMETRIC_YCBCR && f->spp == 3 && bits == 8) {
        /* libjpeg converts to RGB for us; the strips are separate JPEG streams. */
        TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        tp->jpeg_rgb = true;
        tp->space = "/DeviceRGB";
        tp->colors = 3;
        return SH_OK;
    }
    if (bits != 8 && bits != 16 && !(f->photo == PHOTOMETRIC_PALETTE && bits <= 8)) {
        snprintf(what, sizeof what, "%u bits per sample", bits);
        return unsupported(s, n, what, err);
    }
    tp->swab16 = bits == 16;
    if (bits == 16)
        s->pdf_minor = s->pdf_minor < 5 ? 5 : s->pdf_minor;
    if (!colour_space(f, tp)) {
        snprintf(what, sizeof what, "%u samples, photometric %u%s", f->spp, f->photo,
                 f->spp == 2 || f->spp == 4 ? ", transparency" : "");
        return unsupported(s, n, what, err);
    }
    return SH_OK;
}

/* Read the current directory into page n (1-based, for messages). */
static sh_status classify(in_source *s, tiff_state *t, int n, off_t file_size, tiff_page *tp,
                          in_page_info *pi, const in_limits *lim, sh_error *err)
{
    tiff_fields f;
    sh_status st = read_fields(s, t, n, lim, &f, err);
    if (st != SH_OK)
        return st;
    pi->width = f.w;
    pi->height = f.h;
    pi->xres = resolution(f.xr, f.unit);
    pi->yres = resolution(f.yr, f.unit);
    if (pi->xres == 0 || pi->yres == 0)
        pi->xres = pi->yres = 0;
    in_orientation(f.orient, &pi->rotate, &pi->mirror);
    tp->dir = TIFFCurrentDirectory(t->tif);

    st = check_layout(s, t->tif, n, &f, err);
    if (st == SH_OK)
        st = check_strips(s, t, n, file_size, &f, err);
    if (st != SH_OK)
        return st;
    if (is_bilevel(&f)) {
        classify_bilevel(t->tif, &f, tp, pi);
        return SH_OK;
    }
    return classify_flate(s, t->tif, n, &f, tp, pi, err);
}

static sh_status to_page(in_source *s, tiff_state *t, int page, sh_error *err)
{
    /* Pages are written in order: the next directory is one step on, where TIFFSetDirectory
     * would walk the chain from the first page again (quadratic in the page count). */
    tdir_t dir = t->pages[page].dir, cur = TIFFCurrentDirectory(t->tif);
    bool ok = cur == dir || (cur + 1 == dir && TIFFReadDirectory(t->tif)) ||
              TIFFSetDirectory(t->tif, dir);
    if (!ok)
        return damaged(s, t, page + 1, err);
    if (t->pages[page].jpeg_rgb) /* a directory change resets this pseudo-tag */
        TIFFSetField(t->tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    return SH_OK;
}

/* The image dictionary of a G4 page, copied or re-encoded. */
static void g4_dict(char *dict, size_t size, const in_page_info *pi, const tiff_page *tp)
{
    snprintf(dict, size,
             "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceGray "
             "/BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %u "
             "/Rows %u%s >>",
             pi->width, pi->height, pi->width, pi->height, tp->black_is_1 ? " /BlackIs1 true" : "");
}

static sh_status emit_g4_as_is(in_source *s, tiff_state *t, int page, pdf_writer *w, int obj,
                               sh_error *err)
{
    const tiff_page *tp = &t->pages[page];
    const in_page_info *pi = &s->pages[page];
    char dict[320];
    g4_dict(dict, sizeof dict, pi, tp);
    pdf_stream_begin(w, obj, dict, tp->strip_len);
    sh_status st =
        in_copy_bytes(w, t->fd, tp->strip_off, tp->strip_len, tp->reverse_bits, s->path, err);
    pdf_stream_end(w);
    return st;
}

static sh_status emit_g4_reencode(in_source *s, tiff_state *t, int page, pdf_writer *w, int obj,
                                  sh_error *err)
{
    const tiff_page *tp = &t->pages[page];
    const in_page_info *pi = &s->pages[page];
    char dict[320];
    g4_dict(dict, sizeof dict, pi, tp);
    tmsize_t line = TIFFScanlineSize(t->tif);
    if (line <= 0 || (uint64_t)line < ((uint64_t)pi->width + 7) / 8)
        return damaged(s, t, page + 1, err);
    pdf_stream_begin(w, obj, dict, PDF_LENGTH_LATER);
    in_g4 *g = in_g4_begin(w, pi->width, pi->height, err);
    if (!g)
        return SH_INTERNAL;
    uint8_t *row = g_malloc((size_t)line);
    sh_status st = SH_OK;
    for (uint32_t y = 0; y < pi->height && st == SH_OK; y++) {
        if (TIFFReadScanline(t->tif, row, y, 0) < 0)
            st = damaged(s, t, page + 1, err);
        else
            st = in_g4_row(g, row, err);
    }
    g_free(row);
    if (st != SH_OK) {
        in_g4_abort(g);
        return st;
    }
    st = in_g4_end(g, err);
    pdf_stream_end(w);
    return st;
}

static sh_status flate_rows(in_source *s, tiff_state *t, int page, pdf_writer *w, int obj,
                            sh_error *err)
{
    const tiff_page *tp = &t->pages[page];
    const in_page_info *pi = &s->pages[page];
    GString *dict = g_string_new(NULL);
    g_string_append_printf(dict, "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace ",
                           pi->width, pi->height);
    if (tp->space)
        g_string_append(dict, tp->space);
    else {
        uint16_t *r = NULL, *g = NULL, *b = NULL;
        int n = 1 << tp->bits;
        bool have = TIFFGetField(t->tif, TIFFTAG_COLORMAP, &r, &g, &b);
        g_string_append_printf(dict, "[/Indexed /DeviceRGB %d <", n - 1);
        for (int i = 0; i < n; i++) {
            int v = i * 255 / (n - 1); /* no map: a grey ramp, as libtiff shows it */
            g_string_append_printf(dict, "%02X%02X%02X", have ? r[i] >> 8 : v, have ? g[i] >> 8 : v,
                                   have ? b[i] >> 8 : v);
        }
        g_string_append(dict, ">]");
    }
    g_string_append_printf(dict, " /BitsPerComponent %d /Filter /FlateDecode%s", tp->bits,
                           tp->invert ? " /Decode [1 0]" : "");
    pdf_stream_begin(w, obj, dict->str, PDF_LENGTH_LATER);
    g_string_free(dict, TRUE);

    tmsize_t line = TIFFScanlineSize(t->tif);
    uint64_t need = ((uint64_t)pi->width * (uint64_t)tp->bits * (uint64_t)tp->colors + 7) / 8;
    if (line <= 0 || (uint64_t)line < need)
        return damaged(s, t, page + 1, err);
    uint8_t *row = g_malloc((size_t)line);
    in_deflate *d = in_deflate_begin(w);
    sh_status st = SH_OK;
    for (uint32_t y = 0; y < pi->height; y++) {
        if (TIFFReadScanline(t->tif, row, y, 0) < 0) {
            st = damaged(s, t, page + 1, err);
            break;
        }
        if (tp->swab16 && G_BYTE_ORDER == G_LITTLE_ENDIAN) /* libtiff gives host order */
            TIFFSwabArrayOfShort((uint16_t *)(void *)row, (tmsize_t)(need / 2));
        in_deflate_write(d, row, (size_t)need);
    }
    g_free(row);
    sh_status st2 = in_deflate_end(d, err);
    pdf_stream_end(w);
    return st != SH_OK ? st : st2;
}

static sh_status tiff_emit(in_source *s, int page, pdf_writer *w, int obj, sh_error *err)
{
    tiff_state *t = s->state;
    if (t->pages[page].way == WAY_G4_AS_IS) /* the strip's place is known: libtiff not needed */
        return emit_g4_as_is(s, t, page, w, obj, err);
    sh_status st = to_page(s, t, page, err);
    if (st != SH_OK)
        return st;
    switch (t->pages[page].way) {
    case WAY_G4_REENCODE:
        return emit_g4_reencode(s, t, page, w, obj, err);
    default:
        return flate_rows(s, t, page, w, obj, err);
    }
}

static void tiff_close(in_source *s)
{
    tiff_state *t = s->state;
    if (!t)
        return;
    if (t->tif)
        TIFFClose(t->tif);
    if (t->fd >= 0)
        close(t->fd);
    g_free(t->pages);
    g_free(t);
    s->state = NULL;
}

static const in_source_ops tiff_ops = {tiff_emit, tiff_close};

sh_status in_tiff_open(in_source *s, const in_limits *lim, sh_error *err)
{
    tiff_state *t = g_new0(tiff_state, 1);
    t->fd = -1;
    s->state = t;
    s->ops = &tiff_ops;
    t->fd = open(s->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (t->fd < 0 || fstat(t->fd, &st) != 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), s->path);

    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, MAX_TIFF_ALLOC);
    TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_error, t);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_warning, t);
    t->io.fd = t->fd;
    t->io.size = (uint64_t)st.st_size;
    t->tif = TIFFClientOpenExt(s->path, "rm", &t->io, io_read, io_write, io_seek, io_close, io_size,
                               NULL, NULL, opts);
    TIFFOpenOptionsFree(opts);
    if (!t->tif)
        return damaged(s, t, 0, err);

    size_t cap = 0;
    do {
        int n = s->n_pages + 1;
        if (n > MAX_TIFF_PAGES)
            return sh_fail(err, SH_INPUT, _("%s has more than %d pages; split it"), s->path,
                           MAX_TIFF_PAGES);
        if ((size_t)s->n_pages == cap) {
            cap = cap ? 2 * cap : 4;
            t->pages = g_renew(tiff_page, t->pages, cap);
        }
        tiff_page *tp = &t->pages[s->n_pages];
        memset(tp, 0, sizeof *tp);
        in_page_info *pi = in_source_add_page(s);
        sh_status rc = classify(s, t, n, st.st_size, tp, pi, lim, err);
        if (rc != SH_OK)
            return rc;
    } while (TIFFReadDirectory(t->tif));
    if (t->msg[0]) /* the next directory could not be read: a damaged chain of pages */
        return damaged(s, t, s->n_pages + 1, err);
    return SH_OK;
}
