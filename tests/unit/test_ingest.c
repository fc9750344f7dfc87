/* The ingest module: scanner files (TIFF, JPEG, PNG, scanner PDFs) to one lossless PDF per
 * document. Fixtures are made here — TIFF and PNG with libtiff and libpng, JPEG from small
 * baseline files embedded below and patched marker by marker — and every PDF is judged by the
 * external tools: pdfimages gives the images back (their pixels are compared with the ones drawn,
 * CCITT and JPEG data with the source bytes), pdfinfo the page size, rotation and metadata,
 * qpdf --check the syntax and qpdf the decoded 16-bit samples. Then the document level against a
 * real workspace: the name and folder, the Seq rules, nothing written when a source is bad,
 * determinism, the ledger rows and the audit entry, warnings; and the folder order. */
#include "testutil.h"

#include "audit_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <png.h>
#include <tiffio.h>

#include "ingest/ingest.h"
#include "source_impl.h"

#define FIXED_TIME 1795000000 /* 2026-11-18: the same bytes every run */
#define ORG "93.000.036.001.015"
#define CCCD "001090012345"
#define PERSON "Nguyễn Văn An"
#define FOLDER ORG "/" CCCD "_NguyenVanAn"
#define LYLICH "02.Ly lich dang vien"

/* ---------------------------------------------------------------------------------------------
 * Small helpers: files, external tools.
 */

static bool have(const char *tool)
{
    char *cmd = g_strdup_printf("command -v %s >/dev/null 2>&1", tool);
    bool yes = system(cmd) == 0;
    g_free(cmd);
    return yes;
}

/* The judges are required by the tests that use them; without them the test is skipped. */
static void need(const char *tool)
{
    if (!have(tool)) {
        print_message("%s not installed: test skipped\n", tool);
        skip();
    }
}

static char *run_ok(const char *cmd)
{
    bool ok;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("failed: %s\n%s", cmd, out ? out : "");
    return out;
}

/* noinline: gcc 12 sees a dangling pointer through the inlined cmocka assertion otherwise. */
__attribute__((noinline)) static uint8_t *slurp(const char *path, size_t *len)
{
    gchar *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, &data, &n, NULL))
        fail_msg("cannot read %s", path);
    *len = n;
    return (uint8_t *)data;
}

static void put(const char *path, const void *data, size_t len)
{
    test_write(path, (const char *)data, len);
}

static bool has_bytes(const uint8_t *d, size_t len, const void *needle, size_t n)
{
    return memmem(d, len, needle, n) != NULL;
}

static bool file_has(const char *path, const char *needle)
{
    size_t len;
    uint8_t *d = slurp(path, &len);
    bool yes = has_bytes(d, len, needle, strlen(needle));
    g_free(d);
    return yes;
}

static void assert_file_has(const char *path, const char *needle)
{
    if (!file_has(path, needle))
        fail_msg("%s does not contain \"%s\"", path, needle);
}

static void assert_files_equal(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *da = slurp(a, &la), *db = slurp(b, &lb);
    if (la != lb || memcmp(da, db, la) != 0)
        fail_msg("%s (%zu bytes) and %s (%zu bytes) differ", a, la, b, lb);
    g_free(da);
    g_free(db);
}

static char *sha256_of(const char *path)
{
    size_t len;
    uint8_t *d = slurp(path, &len);
    char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, d, len);
    g_free(d);
    return hex;
}

static bool exists(const char *path) { return g_file_test(path, G_FILE_TEST_EXISTS); }

/* pdfinfo's report (of the first page unless told). */
static char *pdfinfo(const char *pdf, const char *opts)
{
    need("pdfinfo");
    char *cmd = g_strdup_printf("pdfinfo %s '%s'", opts ? opts : "", pdf);
    char *out = run_ok(cmd);
    g_free(cmd);
    return out;
}

static void qpdf_clean(const char *pdf)
{
    need("qpdf");
    char *cmd = g_strdup_printf("qpdf --check '%s'", pdf);
    char *out = run_ok(cmd);
    test_assert_contains(out, "No syntax or stream encoding errors");
    g_free(out);
    g_free(cmd);
}

/* One row of pdfimages -list. */
typedef struct {
    int page;
    char type[16];
    unsigned width, height;
    char color[16];
    int comp, bpc;
    char enc[16];
    int object;
} img_row;

static int pdf_images(const char *pdf, img_row *rows, int max)
{
    need("pdfimages");
    char *cmd = g_strdup_printf("pdfimages -list '%s'", pdf);
    char *out = run_ok(cmd);
    int n = 0;
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines + 2; *l && **l && n < max; l++) {
        img_row *r = &rows[n];
        int num;
        char interp[16];
        if (sscanf(*l, "%d %d %15s %u %u %15s %d %d %15s %15s %d", &r->page, &num, r->type,
                   &r->width, &r->height, r->color, &r->comp, &r->bpc, r->enc, interp,
                   &r->object) == 11)
            n++;
    }
    g_strfreev(lines);
    g_free(out);
    g_free(cmd);
    return n;
}

/* pdfimages with an option (-png, -ccitt, -j) into dir/x-NNN.ext; returns dir/x (g_free). */
static char *extract(const char *pdf, const char *opt, const char *dir)
{
    need("pdfimages");
    char *prefix = g_build_filename(dir, "x", NULL);
    char *cmd = g_strdup_printf("pdfimages %s '%s' '%s'", opt, pdf, prefix);
    g_free(run_ok(cmd));
    g_free(cmd);
    return prefix;
}

static char *extracted(const char *prefix, int i, const char *ext)
{
    return g_strdup_printf("%s-%03d.%s", prefix, i, ext);
}

/* The decoded (filtered) data of a stream object, by qpdf, through a file in dir. */
static uint8_t *stream_data(const char *pdf, int object, const char *dir, size_t *len)
{
    need("qpdf");
    char *tmp = g_strdup_printf("%s/stream-%d", dir, object);
    char *cmd = g_strdup_printf("qpdf --show-object=%d --filtered-stream-data '%s' > '%s'", object,
                                pdf, tmp);
    g_free(run_ok(cmd));
    uint8_t *d = slurp(tmp, len);
    g_unlink(tmp);
    g_free(tmp);
    g_free(cmd);
    return d;
}

/* ---------------------------------------------------------------------------------------------
 * Pictures: what the fixtures draw, and what comes back out of a PDF.
 */

typedef struct {
    uint32_t w, h;
    int channels; /* 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA */
    int depth;    /* 8 or 16 (samples big-endian, as in PNG and PDF) */
    uint8_t *px;
} pic;

static size_t pic_rowbytes(const pic *p)
{
    return (size_t)p->w * (size_t)p->channels * (size_t)(p->depth / 8);
}

static pic pic_new(uint32_t w, uint32_t h, int channels, int depth)
{
    pic p = {w, h, channels, depth, NULL};
    p.px = g_malloc0(pic_rowbytes(&p) * h);
    return p;
}

static void pic_free(pic *p)
{
    g_free(p->px);
    p->px = NULL;
}

static void pic_set(pic *p, uint32_t x, uint32_t y, int c, unsigned v)
{
    size_t i = ((size_t)y * p->w + x) * (size_t)p->channels + (size_t)c;
    if (p->depth == 16) {
        p->px[2 * i] = (uint8_t)(v >> 8);
        p->px[2 * i + 1] = (uint8_t)v;
    } else
        p->px[i] = (uint8_t)v;
}

static unsigned pic_get(const pic *p, uint32_t x, uint32_t y, int c)
{
    size_t i = ((size_t)y * p->w + x) * (size_t)p->channels + (size_t)c;
    return p->depth == 16 ? (unsigned)p->px[2 * i] << 8 | p->px[2 * i + 1] : p->px[i];
}

/* Fail unless got is want, naming the first pixel that differs. */
static void pic_assert_equal(const pic *got, const pic *want, const char *what)
{
    if (got->w != want->w || got->h != want->h || got->channels != want->channels ||
        got->depth != want->depth)
        fail_msg("%s: got %u × %u, %d channels of %d bits; want %u × %u, %d channels of %d bits",
                 what, got->w, got->h, got->channels, got->depth, want->w, want->h, want->channels,
                 want->depth);
    for (uint32_t y = 0; y < want->h; y++)
        for (uint32_t x = 0; x < want->w; x++)
            for (int c = 0; c < want->channels; c++)
                if (pic_get(got, x, y, c) != pic_get(want, x, y, c))
                    fail_msg("%s: pixel (%u, %u) channel %d is %u, want %u", what, x, y, c,
                             pic_get(got, x, y, c), pic_get(want, x, y, c));
}

static void png_read_body(png_structp png, png_infop info, pic *p)
{
    png_read_info(png, info);
    png_set_expand(png); /* palette to RGB, 1/2/4-bit grey to 8 bits */
    png_read_update_info(png, info);
    *p = pic_new(png_get_image_width(png, info), png_get_image_height(png, info),
                 png_get_channels(png, info), png_get_bit_depth(png, info));
    assert_int_equal(png_get_rowbytes(png, info), pic_rowbytes(p));
    png_bytep *rows = g_new(png_bytep, p->h);
    for (uint32_t y = 0; y < p->h; y++)
        rows[y] = p->px + (size_t)y * pic_rowbytes(p);
    png_read_image(png, rows);
    png_read_end(png, NULL);
    g_free(rows);
}

/* A PNG file (pdfimages' output) as 8- or 16-bit samples. */
static pic read_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    pic p = {0};
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng cannot read %s", path);
    png_init_io(png, f);
    png_read_body(png, info, &p);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return p;
}

/* The first image of the PDF's page, as pdfimages -png decodes it (the /Decode array and
 * /BlackIs1 applied: what a reader shows). i: the image's index in pdfimages' list. */
static pic extracted_image(const char *pdf, int i, const char *dir)
{
    char *sub = g_build_filename(dir, "png-out", NULL);
    g_mkdir_with_parents(sub, 0755);
    char *prefix = extract(pdf, "-png", sub);
    char *file = extracted(prefix, i, "png");
    pic p = read_png(file);
    test_rmtree(sub);
    g_free(file);
    g_free(prefix);
    g_free(sub);
    return p;
}

/* Ink of the bilevel page: a frame, a diagonal from the top left corner (so a mirrored,
 * transposed or shifted decode differs) and lines of "words", solid blocks of varying widths. */
static bool ink(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    if (x == 0 || y == 0 || x + 1 == w || y + 1 == h || x == y)
        return true;
    uint32_t line = y / 12, yy = y % 12;
    if (yy < 3 || yy > 9)
        return false;
    uint32_t xx = x + line * 5, word = xx / 13, wx = xx % 13;
    return wx >= 2 + (word * 7 + line) % 5 && (word * 3 + line) % 4 != 0;
}

/* The bilevel page as a reader shows it: ink black (0), paper white (255). */
static pic bilevel_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 1, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&p, x, y, 0, ink(x, y, w, h) ? 0 : 255);
    return p;
}

/* The bilevel page as stored: 1 bit a pixel, MSB first, ink as 1 (MinIsWhite) or 0. */
static uint8_t *bilevel_rows(uint32_t w, uint32_t h, bool ink_is_1)
{
    size_t stride = (w + 7) / 8;
    uint8_t *rows = g_malloc0(stride * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            if (ink(x, y, w, h) == ink_is_1)
                rows[y * stride + x / 8] |= (uint8_t)(0x80 >> (x % 8));
    return rows;
}

/* Grey: a gradient left to right, striped every 3 rows. */
static unsigned grey_at(uint32_t x, uint32_t y, uint32_t w)
{
    return (x * 255 / (w - 1)) ^ ((y / 3) % 2 ? 0x33u : 0u);
}

static pic grey_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 1, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&p, x, y, 0, grey_at(x, y, w));
    return p;
}

static unsigned grey16_at(uint32_t x, uint32_t y, uint32_t w)
{
    return ((x * 65535u / (w - 1)) ^ (y * 131u)) & 0xFFFFu;
}

static pic grey16_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 1, 16);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&p, x, y, 0, grey16_at(x, y, w));
    return p;
}

static unsigned rgb_at(uint32_t x, uint32_t y, uint32_t w, uint32_t h, int c)
{
    return c == 0 ? x * 255 / (w - 1) : c == 1 ? y * 255 / (h - 1) : (x / 4 + y / 4) % 2 ? 200 : 30;
}

static pic rgb_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 3, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                pic_set(&p, x, y, c, rgb_at(x, y, w, h, c));
    return p;
}

/* Palette images: index and colour of each pixel. */
static unsigned index_at(uint32_t x, uint32_t y, unsigned colours)
{
    return (x / 3 + (y / 2) * 3) % colours;
}

static unsigned palette_colour(unsigned i, int c)
{
    return c == 0 ? (i * 40) % 256 : c == 1 ? 255 - (i * 23) % 256 : (i * 97) % 256;
}

static pic palette_pic(uint32_t w, uint32_t h, unsigned colours)
{
    pic p = pic_new(w, h, 3, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                pic_set(&p, x, y, c, palette_colour(index_at(x, y, colours), c));
    return p;
}

/* ---------------------------------------------------------------------------------------------
 * TIFF fixtures, written with libtiff, and a hand-made one for what libtiff will not write.
 */

typedef struct {
    uint32_t w, h;
    uint16_t bits, spp, photo, comp;
    uint16_t fill;           /* 0: not written (MSB first) */
    uint32_t rows_per_strip; /* 0: one strip */
    uint16_t orientation;    /* 0: not written */
    float xres, yres;        /* 0: no resolution tags */
    uint16_t unit;           /* RESUNIT_*; 0: not written (inch) */
    const uint16_t *cmap;    /* palette: 3 × 2^bits entries */
    const void *rows;        /* the stored samples row after row (16-bit ones in host order) */
} tiff_spec;

/* Page i of n into an open TIFF. */
static void tiff_put_page(TIFF *tif, const tiff_spec *s, int i, int n)
{
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, s->w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, s->h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, s->bits);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, s->spp);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, s->photo);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, s->comp);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, s->rows_per_strip ? s->rows_per_strip : s->h);
    if (s->fill)
        TIFFSetField(tif, TIFFTAG_FILLORDER, s->fill);
    if (s->orientation)
        TIFFSetField(tif, TIFFTAG_ORIENTATION, s->orientation);
    if (s->xres > 0) {
        TIFFSetField(tif, TIFFTAG_XRESOLUTION, s->xres);
        TIFFSetField(tif, TIFFTAG_YRESOLUTION, s->yres > 0 ? s->yres : s->xres);
    }
    if (s->unit)
        TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, s->unit);
    if (s->cmap) {
        size_t n_colours = (size_t)1 << s->bits;
        TIFFSetField(tif, TIFFTAG_COLORMAP, s->cmap, s->cmap + n_colours, s->cmap + 2 * n_colours);
    }
    if (n > 1) {
        TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)i, (uint16_t)n);
    }
    size_t stride = ((size_t)s->w * s->bits * s->spp + 7) / 8;
    for (uint32_t y = 0; y < s->h; y++)
        assert_int_equal(TIFFWriteScanline(tif, (uint8_t *)s->rows + y * stride, y, 0), 1);
    assert_int_equal(TIFFWriteDirectory(tif), 1);
}

/* mode: "w", or "wb" for a big-endian file */
static void write_tiff_mode(const char *path, const tiff_spec *pages, int n, const char *mode)
{
    TIFF *tif = TIFFOpen(path, mode);
    assert_non_null(tif);
    for (int i = 0; i < n; i++)
        tiff_put_page(tif, &pages[i], i, n);
    TIFFClose(tif);
}

static void write_tiff(const char *path, const tiff_spec *pages, int n)
{
    write_tiff_mode(path, pages, n, "w");
}

/* A bilevel page: ink 1 for MinIsWhite, 0 for MinIsBlack; 300 ppi. rows: g_free() it. */
static tiff_spec bilevel_spec(uint32_t w, uint32_t h, uint16_t photo, uint16_t comp, uint8_t **rows)
{
    *rows = bilevel_rows(w, h, photo == PHOTOMETRIC_MINISWHITE);
    tiff_spec s = {.w = w,
                   .h = h,
                   .bits = 1,
                   .spp = 1,
                   .photo = photo,
                   .comp = comp,
                   .xres = 300,
                   .rows = *rows};
    return s;
}

/* The first strip of a page of a TIFF as it is in the file (FillOrder as stored). */
static uint8_t *tiff_raw_strip_of(const char *path, int page, size_t *len)
{
    TIFF *tif = TIFFOpen(path, "r");
    assert_non_null(tif);
    assert_int_equal(TIFFSetDirectory(tif, (tdir_t)page), 1);
    uint64_t *counts = NULL;
    assert_true(TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts));
    tmsize_t n = (tmsize_t)counts[0];
    uint8_t *buf = g_malloc((size_t)n);
    assert_int_equal(TIFFReadRawStrip(tif, 0, buf, n), n);
    TIFFClose(tif);
    *len = (size_t)n;
    return buf;
}

static uint8_t *tiff_raw_strip(const char *path, size_t *len)
{
    return tiff_raw_strip_of(path, 0, len);
}

static void le16(GByteArray *b, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    g_byte_array_append(b, x, 2);
}

static void le32(GByteArray *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    g_byte_array_append(b, x, 4);
}

static void ifd_entry(GByteArray *b, uint16_t tag, uint16_t type, uint32_t value)
{
    le16(b, tag);
    le16(b, type);
    le32(b, 1);
    if (type == 3) { /* SHORT: left-justified in the value field */
        le16(b, value);
        le16(b, 0);
    } else
        le32(b, value);
}

/* A hand-made little-endian TIFF: its directory first (at 8), one 8-bit grey strip claimed to
 * be w × h bytes at 300 ppi, of which data_len bytes are really there. */
static GByteArray *raw_tiff(uint32_t w, uint32_t h, size_t data_len)
{
    enum { N = 12 };
    uint32_t rat = 8 + 2 + 12 * N + 4, data = rat + 16;
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, (const uint8_t *)"II*\0", 4);
    le32(b, 8);
    le16(b, N);
    ifd_entry(b, 256, 4, w);
    ifd_entry(b, 257, 4, h);
    ifd_entry(b, 258, 3, 8);
    ifd_entry(b, 259, 3, 1);
    ifd_entry(b, 262, 3, 1);
    ifd_entry(b, 273, 4, data);
    ifd_entry(b, 277, 3, 1);
    ifd_entry(b, 278, 4, h);
    ifd_entry(b, 279, 4, w * h);
    ifd_entry(b, 282, 5, rat);
    ifd_entry(b, 283, 5, rat + 8);
    ifd_entry(b, 296, 3, 2);
    le32(b, 0);
    le32(b, 300);
    le32(b, 1);
    le32(b, 300);
    le32(b, 1);
    for (size_t i = 0; i < data_len; i++) {
        uint8_t v = (uint8_t)grey_at((uint32_t)(i % w), (uint32_t)(i / w), w);
        g_byte_array_append(b, &v, 1);
    }
    return b;
}

/* ---------------------------------------------------------------------------------------------
 * PNG fixtures, written with libpng.
 */

typedef struct {
    uint32_t w, h;
    int depth, color_type;
    bool interlace;
    const png_color *palette;
    int n_palette;
    const uint8_t *trns; /* palette alpha */
    int n_trns;
    const png_color_16 *trns_colour; /* grey or RGB colour key */
    uint32_t ppm;                    /* pHYs in pixels per metre; 0: none */
    const uint8_t *rows;             /* packed as PNG stores them, 16-bit samples big-endian */
} png_spec;

static void png_write_body(png_structp png, png_infop info, const png_spec *s)
{
    png_set_IHDR(png, info, s->w, s->h, s->depth, s->color_type,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette)
        png_set_PLTE(png, info, s->palette, s->n_palette);
    if (s->trns || s->trns_colour)
        png_set_tRNS(png, info, s->trns, s->n_trns, s->trns_colour);
    if (s->ppm)
        png_set_pHYs(png, info, s->ppm, s->ppm, PNG_RESOLUTION_METER);
    png_set_compression_buffer_size(png, 64); /* several IDAT chunks */
    png_write_info(png, info);
    size_t stride = png_get_rowbytes(png, info);
    png_bytep *rows = g_new(png_bytep, s->h);
    for (uint32_t y = 0; y < s->h; y++)
        rows[y] = (png_bytep)(uintptr_t)(s->rows + y * stride);
    png_write_image(png, rows);
    png_write_end(png, info);
    g_free(rows);
}

static void write_png(const char *path, const png_spec *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng cannot write %s", path);
    png_init_io(png, f);
    png_write_body(png, info, s);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The offset of the first chunk of a type in a PNG file (its length field), or 0. */
static size_t png_chunk(const uint8_t *d, size_t len, const char *type)
{
    for (size_t p = 8; p + 12 <= len; p += 12 + be32(d + p))
        if (memcmp(d + p + 4, type, 4) == 0)
            return p;
    return 0;
}

/* The image data of a PNG file: its IDAT chunks' contents, end to end. */
static GByteArray *png_idat(const char *path, int *n_chunks)
{
    size_t len;
    uint8_t *d = slurp(path, &len);
    GByteArray *out = g_byte_array_new();
    *n_chunks = 0;
    for (size_t p = 8; p + 12 <= len; p += 12 + be32(d + p))
        if (memcmp(d + p + 4, "IDAT", 4) == 0) {
            g_byte_array_append(out, d + p + 8, be32(d + p));
            (*n_chunks)++;
        }
    g_free(d);
    return out;
}

static unsigned alpha_at(uint32_t x, uint32_t y) { return (x * 17 + y * 29) & 0xFF; }

/* ---------------------------------------------------------------------------------------------
 * A workspace to ingest into, its ledger, and the warnings that come out.
 */

typedef struct {
    char *code, *path, *message;
    int page;
    double value;
} seen_warning;

typedef struct {
    char *tmp;  /* scratch: the workspace, the sources and the judges' output, all under it */
    char *root; /* the workspace */
    char *src;  /* where the sources are made */
    sh_ledger *ledger;
    nm_rules rules;
    sh_actor actor;
    in_context ctx;
    GArray *warnings; /* seen_warning */
} fx;

static void collect_warning(const sh_finding *f, void *p)
{
    fx *x = p;
    seen_warning w = {g_strdup(f->code), g_strdup(f->path), g_strdup(f->message), f->page,
                      f->n_values ? f->values[0].value : NAN};
    g_array_append_val(x->warnings, w);
}

static sh_ledger *make_workspace(const char *root)
{
    sh_error err = {0};
    if (sh_workspace_create(root, "HN-01", "Nguyễn Thị Thu", &err) != SH_OK)
        fail_msg("sh_workspace_create %s: %s", root, err.msg);
    char *db = g_build_filename(root, SH_WORKSPACE_STATE_DIR, SH_WORKSPACE_LEDGER, NULL);
    sh_ledger *l = NULL;
    if (sh_ledger_open(db, false, &l, &err) != SH_OK)
        fail_msg("sh_ledger_open %s: %s", db, err.msg);
    g_free(db);
    return l;
}

static void fx_context(fx *f, const char *root, sh_ledger *ledger, in_context *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->root = root;
    ctx->rules = &f->rules;
    in_limits_default(&ctx->limits);
    ctx->min_dpi = 200;
    ctx->creation_time = FIXED_TIME;
    ctx->ledger = ledger;
    ctx->actor = &f->actor;
    ctx->warn = collect_warning;
    ctx->warn_ctx = f;
}

static int fx_setup(void **state)
{
    fx *f = g_new0(fx, 1);
    f->tmp = test_tmpdir("ingest");
    f->root = g_build_filename(f->tmp, "ws", NULL);
    f->src = test_mkdirs(f->tmp, "src");
    f->ledger = make_workspace(f->root);
    nm_rules_default(&f->rules);
    f->actor = (sh_actor){"HN-01", "Nguyễn Thị Thu"};
    fx_context(f, f->root, f->ledger, &f->ctx);
    f->warnings = g_array_new(FALSE, TRUE, sizeof(seen_warning));
    *state = f;
    return 0;
}

static void warnings_clear(fx *f)
{
    for (guint i = 0; i < f->warnings->len; i++) {
        seen_warning *w = &g_array_index(f->warnings, seen_warning, i);
        g_free(w->code);
        g_free(w->path);
        g_free(w->message);
    }
    g_array_set_size(f->warnings, 0);
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    sh_ledger_close(f->ledger);
    warnings_clear(f);
    g_array_free(f->warnings, TRUE);
    test_rmtree(f->tmp);
    g_free(f->tmp);
    g_free(f->root);
    g_free(f->src);
    g_free(f);
    return 0;
}

static char *src_file(fx *f, const char *name) { return g_build_filename(f->src, name, NULL); }

static in_document doc_for(char **sources, size_t n)
{
    in_document d = {.org_code = ORG,
                     .cccd = CCCD,
                     .person_name = PERSON,
                     .type_stt = 2,
                     .sources = sources,
                     .n_sources = n};
    return d;
}

static sh_status ingest(fx *f, const in_document *d, in_result *r, sh_error *err)
{
    sh_error_clear(err);
    return in_ingest_document(d, &f->ctx, r, err);
}

static void ingest_ok(fx *f, const in_document *d, in_result *r)
{
    sh_error err;
    sh_status st = ingest(f, d, r, &err);
    if (st != SH_OK)
        fail_msg("ingest failed (%d): %s", st, err.msg);
    /* Whatever was asked, the file written has a name the naming rules accept, saying its type
     * and Seq, and is where the result says. */
    char *base = g_path_get_basename(r->path);
    nm_file_id id;
    if (!nm_parse_file_name(base, &f->rules, &id))
        fail_msg("ingest wrote \"%s\", a name the naming rules refuse", base);
    assert_int_equal(id.type->stt, d->type_stt);
    assert_int_equal(id.seq, r->seq);
    assert_false(id.is_signed);
    char *full = g_build_filename(f->ctx.root, r->rel_path, NULL);
    assert_string_equal(full, r->path);
    assert_true(g_file_test(r->path, G_FILE_TEST_IS_REGULAR));
    g_free(full);
    g_free(base);
}

/* Ingest one file as the next Lý lịch đảng viên of the dossier; the PDF's path (g_free). */
static char *ingest_file(fx *f, const char *path)
{
    char *sources[] = {(char *)path};
    in_document d = doc_for(sources, 1);
    d.more_expected = true;
    in_result r;
    ingest_ok(f, &d, &r);
    char *pdf = g_strdup(r.path);
    in_result_clear(&r);
    return pdf;
}

/* Ingesting these sources fails with status, a message holding needle, and writes nothing. */
static void ingest_refused(fx *f, char **sources, size_t n, sh_status status, const char *needle)
{
    in_document d = doc_for(sources, n);
    d.more_expected = true;
    in_result r;
    sh_error err;
    sh_status st = ingest(f, &d, &r, &err);
    if (st != status)
        fail_msg("expected status %d (\"%s\"), got %d: %s", status, needle, st, err.msg);
    test_assert_contains(err.msg, needle);
    assert_null(r.path);
    assert_null(r.rel_path);
}

static in_source *open_ok(const char *path)
{
    in_limits lim;
    in_limits_default(&lim);
    in_source *s = NULL;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = in_source_open(path, &lim, &s, &err);
    if (st != SH_OK)
        fail_msg("in_source_open %s failed (%d): %s", path, st, err.msg);
    assert_non_null(s);
    return s;
}

/* in_source_open refuses path with SH_INPUT, a message naming the file and holding needle. */
static void open_refused(const char *path, const in_limits *lim, const char *needle)
{
    in_limits def;
    in_limits_default(&def);
    in_source *s = (in_source *)(void *)&s; /* not NULL: must be reset */
    sh_error err;
    sh_error_clear(&err);
    sh_status st = in_source_open(path, lim ? lim : &def, &s, &err);
    if (st != SH_INPUT)
        fail_msg("expected %s to be refused (\"%s\"), got %d: %s", path, needle, st, err.msg);
    assert_null(s);
    test_assert_contains(err.msg, path);
    test_assert_contains(err.msg, needle);
}

/* The number after a label in pdfinfo's report ("Page rot:"). */
static double info_number(const char *report, const char *label)
{
    const char *at = strstr(report, label);
    if (!at)
        fail_msg("no \"%s\" in: %s", label, report);
    return g_ascii_strtod(at + strlen(label), NULL);
}

/* Ingest a file and check its one image: pdfimages' encoding for it, and its pixels. */
static char *judge_one(fx *f, const char *file, const char *enc, const pic *want)
{
    char *pdf = ingest_file(f, file);
    qpdf_clean(pdf);
    img_row rows[4];
    int n = pdf_images(pdf, rows, 4);
    assert_int_equal(n, 1);
    if (strcmp(rows[0].enc, enc) != 0)
        fail_msg("%s: the image is stored as %s, want %s", file, rows[0].enc, enc);
    assert_int_equal(rows[0].width, want->w);
    assert_int_equal(rows[0].height, want->h);
    pic got = extracted_image(pdf, 0, f->tmp);
    pic_assert_equal(&got, want, file);
    pic_free(&got);
    return pdf;
}

/* Run in a child (test_isolated): an empty folder is listed as none. */
static bool empty_folder_listed(const void *arg)
{
    char **paths = NULL;
    size_t n = 9;
    sh_error err;
    bool ok = in_list_folder(arg, &paths, &n, &err) == SH_OK && n == 0 && paths && !paths[0];
    g_strfreev(paths);
    return ok;
}

/* Run in a child (test_isolated): a folder holding a named pipe is refused, naming it. */
static bool fifo_folder_refused(const void *arg)
{
    char **paths = NULL;
    size_t n = 9;
    sh_error err;
    sh_error_clear(&err);
    bool ok = in_list_folder(arg, &paths, &n, &err) == SH_INPUT && n == 0 && !paths &&
              strstr(err.msg, "scanner.tif") && strstr(err.msg, "not a page");
    g_strfreev(paths);
    return ok;
}

typedef struct {
    fx *f;
    const char *dir;
} folder_arg;

/* Run in a child (test_isolated): a folder with nothing to ingest is refused, naming it. */
static bool empty_folder_refused(const void *arg)
{
    const folder_arg *a = arg;
    char *sources[] = {(char *)a->dir};
    in_document d = doc_for(sources, 1);
    in_result r;
    sh_error err;
    sh_status st = ingest(a->f, &d, &r, &err);
    return st == SH_INPUT && strstr(err.msg, "holds no TIFF, JPEG, PNG or PDF files") &&
           strstr(err.msg, a->dir);
}

/* ---------------------------------------------------------------------------------------------
 * 1. What a file is.
 */

static void sniff_reads_the_magic_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        size_t len;
        in_kind kind;
    } cases[] = {
        {"II*\0\x08\0\0\0", 8, IN_KIND_TIFF},
        {"MM\0*\0\0\0\x08", 8, IN_KIND_TIFF},
        {"II*\0", 4, IN_KIND_TIFF},
        {"\xFF\xD8\xFF\xE0\0\x10JFIF", 10, IN_KIND_JPEG},
        {"\xFF\xD8\xFF", 3, IN_KIND_JPEG},
        {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, IN_KIND_PNG},
        {"%PDF-1.7\n", 9, IN_KIND_PDF},
        {"%PDF-", 5, IN_KIND_PDF},
        /* near misses and heads too short to tell */
        {"II*", 3, IN_KIND_UNKNOWN},
        {"II\0*", 4, IN_KIND_UNKNOWN},
        {"MM*\0", 4, IN_KIND_UNKNOWN},
        {"IM*\0", 4, IN_KIND_UNKNOWN},
        {"\xFF\xD8", 2, IN_KIND_UNKNOWN},
        {"\xFF\xD8\x00\xE0", 4, IN_KIND_UNKNOWN},
        {"\x89PNG\r\n\x1a", 7, IN_KIND_UNKNOWN},
        {"\x89PNG\n\r\x1a\n", 8, IN_KIND_UNKNOWN},
        {"%PDF", 4, IN_KIND_UNKNOWN},
        {" %PDF-1.4", 9, IN_KIND_UNKNOWN},
        {"GIF89a", 6, IN_KIND_UNKNOWN},
        {"BM\x36\0\0\0", 6, IN_KIND_UNKNOWN},
        {"", 0, IN_KIND_UNKNOWN},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        /* exactly len bytes on the heap: a read past them is caught under ASan */
        uint8_t *h = g_memdup2(cases[i].head, cases[i].len);
        if (in_sniff(h, cases[i].len) != cases[i].kind)
            fail_msg("case %zu: in_sniff gave %d, want %d", i, in_sniff(h, cases[i].len),
                     cases[i].kind);
        g_free(h);
    }
}

static void kind_of_name_reads_the_extension(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        in_kind kind;
    } cases[] = {
        {"scan.tif", IN_KIND_TIFF},         {"SCAN.TIFF", IN_KIND_TIFF},
        {"a/b/Trang 1.Tif", IN_KIND_TIFF},  {"photo.jpg", IN_KIND_JPEG},
        {"photo.JPEG", IN_KIND_JPEG},       {"photo.jpe", IN_KIND_JPEG},
        {"page.PNG", IN_KIND_PNG},          {"doc.Pdf", IN_KIND_PDF},
        {"dir.png/page.jpg", IN_KIND_JPEG}, {"page.tif.txt", IN_KIND_UNKNOWN},
        {"page.tiff2", IN_KIND_UNKNOWN},    {"page.gif", IN_KIND_UNKNOWN},
        {"page.", IN_KIND_UNKNOWN},         {"tif", IN_KIND_UNKNOWN},
        {"dir.tif/page", IN_KIND_UNKNOWN},  {"", IN_KIND_UNKNOWN},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        if (in_kind_of_name(cases[i].name) != cases[i].kind)
            fail_msg("%s: in_kind_of_name gave %d, want %d", cases[i].name,
                     in_kind_of_name(cases[i].name), cases[i].kind);
    assert_string_equal(in_kind_name(IN_KIND_TIFF), "TIFF");
    assert_string_equal(in_kind_name(IN_KIND_JPEG), "JPEG");
    assert_string_equal(in_kind_name(IN_KIND_PNG), "PNG");
    assert_string_equal(in_kind_name(IN_KIND_PDF), "PDF");
}

static void open_refuses_what_is_not_a_page(void **state)
{
    fx *f = *state;
    /* A PNG named .tif: the message names the file and what it really is. */
    uint8_t *rows = bilevel_rows(16, 8, false);
    png_spec ps = {.w = 16, .h = 8, .depth = 1, .color_type = PNG_COLOR_TYPE_GRAY, .rows = rows};
    char *png_as_tif = src_file(f, "Trang 1.tif");
    write_png(png_as_tif, &ps);
    open_refused(png_as_tif, NULL, "holds a PNG image but its name says otherwise");
    /* The same file under its right name opens. */
    char *png = src_file(f, "Trang 1.png");
    write_png(png, &ps);
    in_source_close(open_ok(png));
    /* A JPEG named .png, a TIFF named .pdf */
    char *jpg_as_png = src_file(f, "anh.png");
    put(jpg_as_png, "\xFF\xD8\xFF\xE0\0\x10JFIF\0", 11);
    open_refused(jpg_as_png, NULL, "holds a JPEG image");
    char *tif_as_pdf = src_file(f, "scan.pdf");
    put(tif_as_pdf, "II*\0\x08\0\0\0", 8);
    open_refused(tif_as_pdf, NULL, "holds a TIFF image");
    /* Zero bytes: a copy that went wrong. */
    char *empty = src_file(f, "empty.tif");
    put(empty, "", 0);
    open_refused(empty, NULL, "is empty (0 bytes)");
    /* Not an image at all, whatever the name. */
    char *text = src_file(f, "notes.jpg");
    put(text, "Biên bản họp chi bộ\n", strlen("Biên bản họp chi bộ\n"));
    open_refused(text, NULL, "is not a TIFF, JPEG, PNG or PDF file");
    char *gif = src_file(f, "old.tif");
    put(gif, "GIF89a\x01\0\x01\0", 10);
    open_refused(gif, NULL, "is not a TIFF, JPEG, PNG or PDF file");
    /* A folder passed as a file, and a file that is not there. */
    char *dir = test_mkdirs(f->src, "pages.tif");
    open_refused(dir, NULL, "pages.tif");
    char *missing = src_file(f, "missing.tif");
    open_refused(missing, NULL, "cannot open");
    /* Through in_ingest_document the same refusals name the file, and nothing is written. */
    char *sources[] = {png_as_tif};
    ingest_refused(f, sources, 1, SH_INPUT, "Trang 1.tif");
    sources[0] = empty;
    ingest_refused(f, sources, 1, SH_INPUT, "empty.tif");
    char *org = g_build_filename(f->root, ORG, NULL);
    assert_false(exists(org));
    g_free(org);
    g_free(rows);
    g_free(png_as_tif);
    g_free(png);
    g_free(jpg_as_png);
    g_free(tif_as_pdf);
    g_free(empty);
    g_free(text);
    g_free(gif);
    g_free(dir);
    g_free(missing);
}

/* ---------------------------------------------------------------------------------------------
 * 2. TIFF.
 */

#define BW 117 /* not a multiple of 8: rows end inside a byte */
#define BH 61

/* The TIFF's strip is the CCITT data in the PDF (bit-reversed for FillOrder 2). */
static void assert_ccitt_is_strip(fx *f, const char *pdf, const char *tif, bool reversed,
                                  bool black_is_1)
{
    size_t sl, cl;
    uint8_t *strip = tiff_raw_strip(tif, &sl);
    if (reversed)
        TIFFReverseBits(strip, (tmsize_t)sl);
    char *sub = test_mkdirs(f->tmp, "ccitt");
    char *prefix = extract(pdf, "-ccitt", sub);
    char *file = extracted(prefix, 0, "ccitt"), *params = extracted(prefix, 0, "params");
    uint8_t *ccitt = slurp(file, &cl);
    if (cl != sl || memcmp(ccitt, strip, sl) != 0)
        fail_msg("%s: the CCITT data in the PDF (%zu bytes) is not the strip (%zu bytes)", tif, cl,
                 sl);
    size_t pl;
    uint8_t *p = slurp(params, &pl);
    /* pdfimages says "-W" (fax2tiff's "white is 0") for /BlackIs1 true, "-B" otherwise */
    test_assert_contains((char *)p, "-4 ");
    test_assert_contains((char *)p, black_is_1 ? " -W" : " -B");
    g_free(p);
    g_free(ccitt);
    g_free(file);
    g_free(params);
    g_free(prefix);
    test_rmtree(sub);
    g_free(sub);
    g_free(strip);
}

static void tiff_g4_single_strip_is_copied(void **state)
{
    fx *f = *state;
    uint8_t *rows;
    tiff_spec s = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &rows);
    char *tif = src_file(f, "g4.tif");
    write_tiff(tif, &s, 1);
    in_source *src = open_ok(tif);
    assert_int_equal(src->kind, IN_KIND_TIFF);
    assert_int_equal(src->n_pages, 1);
    assert_int_equal(src->pages[0].width, BW);
    assert_int_equal(src->pages[0].height, BH);
    assert_true(fabs(src->pages[0].xres - 300) < 1e-6 && fabs(src->pages[0].yres - 300) < 1e-6);
    assert_int_equal(src->pages[0].rotate, 0);
    assert_false(src->pages[0].mirror);
    assert_string_equal(src->pages[0].how, "G4 as is");
    assert_int_equal(src->pdf_minor, 4);
    in_source_close(src);

    pic want = bilevel_pic(BW, BH);
    char *pdf = judge_one(f, tif, "ccitt", &want);
    assert_ccitt_is_strip(f, pdf, tif, false, false);
    assert_false(file_has(pdf, "/BlackIs1"));
    pic_free(&want);
    g_free(pdf);
    g_free(tif);
    g_free(rows);
}

static void tiff_g4_min_is_black_says_black_is_1(void **state)
{
    fx *f = *state;
    uint8_t *rows;
    tiff_spec s = bilevel_spec(BW, BH, PHOTOMETRIC_MINISBLACK, COMPRESSION_CCITTFAX4, &rows);
    char *tif = src_file(f, "g4-black.tif");
    write_tiff(tif, &s, 1);
    in_source *src = open_ok(tif);
    assert_string_equal(src->pages[0].how, "G4 as is");
    in_source_close(src);
    pic want = bilevel_pic(BW, BH);
    char *pdf = judge_one(f, tif, "ccitt", &want);
    assert_file_has(pdf, "/BlackIs1 true");
    assert_ccitt_is_strip(f, pdf, tif, false, true);
    pic_free(&want);
    g_free(pdf);
    g_free(tif);
    g_free(rows);
}

static void tiff_g4_fill_order_2_is_reversed(void **state)
{
    fx *f = *state;
    uint8_t *rows;
    tiff_spec s = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &rows);
    s.fill = FILLORDER_LSB2MSB;
    char *tif = src_file(f, "g4-lsb.tif");
    write_tiff(tif, &s, 1);
    in_source *src = open_ok(tif);
    assert_string_equal(src->pages[0].how, "G4 as is");
    in_source_close(src);
    pic want = bilevel_pic(BW, BH);
    char *pdf = judge_one(f, tif, "ccitt", &want);
    assert_ccitt_is_strip(f, pdf, tif, true, false);
    pic_free(&want);
    g_free(pdf);
    g_free(tif);
    g_free(rows);
}

/* Every other bilevel TIFF is decoded and re-encoded to G4: still CCITT in the PDF, same pixels */
static void tiff_bilevel_is_reencoded_to_g4(void **state)
{
    fx *f = *state;
    static const struct {
        uint16_t comp, photo, fill;
        uint32_t rows_per_strip;
        const char *name;
    } cases[] = {
        {COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISWHITE, 0, 8, "g4-strips.tif"},
        {COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISBLACK, 0, 16, "g4-strips-black.tif"},
        {COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISWHITE, FILLORDER_LSB2MSB, 7, "g4-strips-lsb.tif"},
        {COMPRESSION_CCITTFAX3, PHOTOMETRIC_MINISWHITE, 0, 0, "g3.tif"},
        {COMPRESSION_CCITTRLE, PHOTOMETRIC_MINISWHITE, 0, 0, "rle.tif"},
        {COMPRESSION_LZW, PHOTOMETRIC_MINISWHITE, 0, 0, "lzw.tif"},
        {COMPRESSION_LZW, PHOTOMETRIC_MINISBLACK, 0, 10, "lzw-black.tif"},
        {COMPRESSION_PACKBITS, PHOTOMETRIC_MINISWHITE, 0, 0, "packbits.tif"},
        {COMPRESSION_NONE, PHOTOMETRIC_MINISWHITE, 0, 0, "none.tif"},
        {COMPRESSION_NONE, PHOTOMETRIC_MINISBLACK, 0, 0, "none-black.tif"},
        {COMPRESSION_ADOBE_DEFLATE, PHOTOMETRIC_MINISWHITE, 0, 0, "deflate.tif"},
    };
    pic want = bilevel_pic(BW, BH);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint8_t *rows;
        tiff_spec s = bilevel_spec(BW, BH, cases[i].photo, cases[i].comp, &rows);
        s.fill = cases[i].fill;
        s.rows_per_strip = cases[i].rows_per_strip;
        char *tif = src_file(f, cases[i].name);
        write_tiff(tif, &s, 1);
        in_source *src = open_ok(tif);
        assert_string_equal(src->pages[0].how, "bilevel, re-encoded to G4");
        in_source_close(src);
        char *pdf = judge_one(f, tif, "ccitt", &want);
        assert_int_equal(file_has(pdf, "/BlackIs1 true"), cases[i].photo == PHOTOMETRIC_MINISBLACK);
        g_free(pdf);
        g_free(tif);
        g_free(rows);
    }
    pic_free(&want);
}

static void tiff_grey_and_colour_are_flate(void **state)
{
    fx *f = *state;
    const uint32_t w = 53, h = 37;
    pic grey = grey_pic(w, h), rgb = rgb_pic(w, h);
    uint8_t *inverted = g_memdup2(grey.px, (size_t)w * h);
    for (size_t i = 0; i < (size_t)w * h; i++)
        inverted[i] = (uint8_t)(255 - inverted[i]);
    static const struct {
        const char *name;
        uint16_t photo, comp, spp;
    } cases[] = {
        {"grey.tif", PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 1},
        {"grey-white.tif", PHOTOMETRIC_MINISWHITE, COMPRESSION_NONE, 1},
        {"grey-deflate.tif", PHOTOMETRIC_MINISBLACK, COMPRESSION_ADOBE_DEFLATE, 1},
        {"rgb.tif", PHOTOMETRIC_RGB, COMPRESSION_PACKBITS, 3},
        {"rgb-lzw.tif", PHOTOMETRIC_RGB, COMPRESSION_LZW, 3},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        bool white = cases[i].photo == PHOTOMETRIC_MINISWHITE;
        tiff_spec s = {.w = w,
                       .h = h,
                       .bits = 8,
                       .spp = cases[i].spp,
                       .photo = cases[i].photo,
                       .comp = cases[i].comp,
                       .rows_per_strip = 5,
                       .xres = 300,
                       .rows = cases[i].spp == 3 ? rgb.px
                               : white           ? inverted
                                                 : grey.px};
        char *tif = src_file(f, cases[i].name);
        write_tiff(tif, &s, 1);
        in_source *src = open_ok(tif);
        assert_string_equal(src->pages[0].how, "decoded, Flate");
        in_source_close(src);
        char *pdf = judge_one(f, tif, "image", cases[i].spp == 3 ? &rgb : &grey);
        assert_int_equal(file_has(pdf, "/Decode [1 0]"), white);
        assert_file_has(pdf,
                        cases[i].spp == 3 ? "/ColorSpace /DeviceRGB" : "/ColorSpace /DeviceGray");
        g_free(pdf);
        g_free(tif);
    }
    g_free(inverted);
    pic_free(&grey);
    pic_free(&rgb);
}

static void tiff_16_bit_grey_needs_pdf_1_5(void **state)
{
    fx *f = *state;
    const uint32_t w = 41, h = 23;
    pic want = grey16_pic(w, h);
    uint16_t *host = g_new(uint16_t, (size_t)w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            host[(size_t)y * w + x] = (uint16_t)grey16_at(x, y, w);
    tiff_spec s = {.w = w,
                   .h = h,
                   .bits = 16,
                   .spp = 1,
                   .photo = PHOTOMETRIC_MINISBLACK,
                   .comp = COMPRESSION_LZW,
                   .xres = 300,
                   .rows = host};
    char *tif = src_file(f, "grey16.tif");
    write_tiff(tif, &s, 1);
    in_source *src = open_ok(tif);
    assert_int_equal(src->pdf_minor, 5);
    in_source_close(src);
    char *pdf = ingest_file(f, tif);
    qpdf_clean(pdf);
    char *info = pdfinfo(pdf, NULL);
    test_assert_contains(info, "PDF version:     1.5");
    img_row rows[2];
    assert_int_equal(pdf_images(pdf, rows, 2), 1);
    assert_int_equal(rows[0].bpc, 16);
    size_t len;
    uint8_t *samples = stream_data(pdf, rows[0].object, f->tmp, &len);
    assert_int_equal(len, (size_t)w * h * 2);
    pic got = {w, h, 1, 16, samples};
    pic_assert_equal(&got, &want, tif); /* big-endian in the PDF, whatever the TIFF's order */
    g_free(samples);
    g_free(info);
    g_free(pdf);
    g_free(tif);
    g_free(host);
    pic_free(&want);
}

static void tiff_palette_is_indexed(void **state)
{
    fx *f = *state;
    const uint32_t w = 45, h = 30;
    for (int bits = 4; bits <= 8; bits += 4) {
        unsigned n = 1u << bits, colours = bits == 4 ? 11 : 200;
        uint16_t *cmap = g_new0(uint16_t, 3 * (size_t)n);
        for (unsigned i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                cmap[c * n + i] = (uint16_t)(palette_colour(i, c) * 257);
        size_t stride = ((size_t)w * bits + 7) / 8;
        uint8_t *rows = g_malloc0(stride * h);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                unsigned i = index_at(x, y, colours);
                if (bits == 8)
                    rows[y * stride + x] = (uint8_t)i;
                else
                    rows[y * stride + x / 2] |= (uint8_t)(x % 2 ? i : i << 4);
            }
        tiff_spec s = {.w = w,
                       .h = h,
                       .bits = (uint16_t)bits,
                       .spp = 1,
                       .photo = PHOTOMETRIC_PALETTE,
                       .comp = COMPRESSION_LZW,
                       .xres = 300,
                       .cmap = cmap,
                       .rows = rows};
        char *tif = src_file(f, bits == 4 ? "palette4.tif" : "palette8.tif");
        write_tiff(tif, &s, 1);
        pic want = palette_pic(w, h, colours);
        char *pdf = judge_one(f, tif, "image", &want);
        assert_file_has(pdf, "/Indexed /DeviceRGB");
        pic_free(&want);
        g_free(pdf);
        g_free(tif);
        g_free(rows);
        g_free(cmap);
    }
}

static void tiff_pages_all_come(void **state)
{
    fx *f = *state;
    uint8_t *bw;
    pic grey = grey_pic(40, 30), rgb = rgb_pic(33, 20);
    tiff_spec pages[3];
    pages[0] = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &bw);
    pages[1] = (tiff_spec){.w = 40,
                           .h = 30,
                           .bits = 8,
                           .spp = 1,
                           .photo = PHOTOMETRIC_MINISBLACK,
                           .comp = COMPRESSION_LZW,
                           .xres = 150,
                           .rows = grey.px};
    pages[2] = (tiff_spec){.w = 33,
                           .h = 20,
                           .bits = 8,
                           .spp = 3,
                           .photo = PHOTOMETRIC_RGB,
                           .comp = COMPRESSION_NONE,
                           .xres = 72,
                           .rows = rgb.px};
    char *tif = src_file(f, "three.tif");
    write_tiff(tif, pages, 3);
    in_source *src = open_ok(tif);
    assert_int_equal(src->n_pages, 3);
    assert_int_equal(src->pages[1].width, 40);
    assert_true(fabs(src->pages[2].xres - 72) < 1e-6);
    in_source_close(src);

    char *pdf = ingest_file(f, tif);
    qpdf_clean(pdf);
    char *info = pdfinfo(pdf, "-f 1 -l 3");
    test_assert_contains(info, "Pages:           3");
    test_assert_contains(info, "Page    2 size:  19.2 x 14.4 pts");
    test_assert_contains(info, "Page    3 size:  33 x 20 pts");
    img_row rows[4];
    assert_int_equal(pdf_images(pdf, rows, 4), 3);
    assert_string_equal(rows[0].enc, "ccitt");
    assert_int_equal(rows[1].page, 2);
    assert_int_equal(rows[2].page, 3);
    pic got = extracted_image(pdf, 1, f->tmp);
    pic_assert_equal(&got, &grey, "page 2");
    pic_free(&got);
    got = extracted_image(pdf, 2, f->tmp);
    pic_assert_equal(&got, &rgb, "page 3");
    pic_free(&got);
    g_free(info);
    g_free(pdf);
    g_free(tif);
    g_free(bw);
    pic_free(&grey);
    pic_free(&rgb);
}

static void tiff_orientation_rotates_the_page(void **state)
{
    fx *f = *state;
    /* EXIF/TIFF orientation → clockwise /Rotate, and a left-right flip first for 2, 4, 5, 7 */
    static const int rotate[9] = {0, 0, 0, 180, 180, 270, 90, 90, 270};
    static const bool mirror[9] = {false, false, true, false, true, true, false, true, false};
    for (uint16_t o = 1; o <= 8; o++) {
        uint8_t *rows;
        tiff_spec s = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &rows);
        s.orientation = o;
        char name[32];
        snprintf(name, sizeof name, "orient%u.tif", o);
        char *tif = src_file(f, name);
        write_tiff(tif, &s, 1);
        in_source *src = open_ok(tif);
        if (src->pages[0].rotate != rotate[o] || src->pages[0].mirror != mirror[o])
            fail_msg("orientation %u: rotate %d mirror %d, want %d %d", o, src->pages[0].rotate,
                     src->pages[0].mirror, rotate[o], mirror[o]);
        in_source_close(src);
        g_free(tif);
        g_free(rows);
    }
    /* 6: the page is shown turned 90° clockwise. */
    char *tif = src_file(f, "orient6.tif");
    char *pdf = ingest_file(f, tif);
    char *info = pdfinfo(pdf, NULL);
    assert_int_equal((int)info_number(info, "Page rot:"), 90);
    assert_file_has(pdf, "/Rotate 90");
    g_free(info);
    g_free(pdf);
    g_free(tif);
}

static void tiff_resolution_in_cm_and_none(void **state)
{
    fx *f = *state;
    /* 100 pixels per cm = 254 ppi: 254 × 127 pixels is one inch by half an inch. */
    const uint32_t w = 254, h = 127;
    uint8_t *rows;
    tiff_spec s = bilevel_spec(w, h, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &rows);
    s.xres = 100;
    s.unit = RESUNIT_CENTIMETER;
    char *tif = src_file(f, "cm.tif");
    write_tiff(tif, &s, 1);
    in_source *src = open_ok(tif);
    assert_true(fabs(src->pages[0].xres - 254) < 1e-3);
    in_source_close(src);
    char *pdf = ingest_file(f, tif);
    char *info = pdfinfo(pdf, NULL);
    test_assert_contains(info, "Page size:       72 x 36 pts");
    g_free(info);
    g_free(pdf);

    /* No resolution tags (or a unit of "none"): refused unless the document gives one. */
    s.xres = 0;
    s.unit = 0;
    char *bare = src_file(f, "bare.tif");
    write_tiff(bare, &s, 1);
    s.xres = 300;
    s.unit = RESUNIT_NONE;
    char *unitless = src_file(f, "unitless.tif");
    write_tiff(unitless, &s, 1);
    char *sources[] = {bare};
    ingest_refused(f, sources, 1, SH_INPUT, "does not say its resolution");
    ingest_refused(f, sources, 1, SH_INPUT, "bare.tif");
    sources[0] = unitless;
    ingest_refused(f, sources, 1, SH_INPUT, "unitless.tif");
    in_document d = doc_for(sources, 1);
    d.more_expected = true;
    d.dpi = 127;
    in_result r;
    ingest_ok(f, &d, &r);
    info = pdfinfo(r.path, NULL);
    test_assert_contains(info, "Page size:       144 x 72 pts");
    in_result_clear(&r);
    g_free(info);
    g_free(bare);
    g_free(unitless);
    g_free(tif);
    g_free(rows);
}

static void tiff_damaged_is_refused(void **state)
{
    fx *f = *state;
    pic grey = grey_pic(64, 64);
    tiff_spec s = {.w = 64,
                   .h = 64,
                   .bits = 8,
                   .spp = 1,
                   .photo = PHOTOMETRIC_MINISBLACK,
                   .comp = COMPRESSION_NONE,
                   .rows_per_strip = 8,
                   .xres = 300,
                   .rows = grey.px};
    char *whole = src_file(f, "whole.tif");
    write_tiff(whole, &s, 1);
    size_t len;
    uint8_t *d = slurp(whole, &len);
    /* libtiff puts the directory after the strips: half the file has none. */
    char *half = src_file(f, "half.tif");
    put(half, d, len / 2);
    open_refused(half, NULL, "damaged or truncated");
    g_free(d);

    /* The directory first and the strip cut short: found at open, not half-way through. */
    GByteArray *raw = raw_tiff(40, 30, 40 * 30);
    char *ok = src_file(f, "raw.tif");
    put(ok, raw->data, raw->len);
    in_source *src = open_ok(ok);
    assert_int_equal(src->pages[0].width, 40);
    in_source_close(src);
    char *cut = src_file(f, "cut.tif");
    put(cut, raw->data, raw->len - 600);
    open_refused(cut, NULL, "strip 1 ends after the end of the file");
    g_byte_array_free(raw, TRUE);

    /* A header and then noise. */
    GByteArray *junk = g_byte_array_new();
    g_byte_array_append(junk, (const uint8_t *)"II*\0\x08\0\0\0", 8);
    GRand *rnd = g_rand_new_with_seed(1361);
    for (int i = 0; i < 400; i++) {
        uint8_t v = (uint8_t)g_rand_int(rnd);
        g_byte_array_append(junk, &v, 1);
    }
    g_rand_free(rnd);
    char *noise = src_file(f, "noise.tif");
    put(noise, junk->data, junk->len);
    open_refused(noise, NULL, "noise.tif");
    g_byte_array_free(junk, TRUE);
    /* Just the header. */
    char *header = src_file(f, "header.tif");
    put(header, "II*\0\x08\0\0\0", 8);
    open_refused(header, NULL, "damaged or truncated");

    /* Page 2 of 2 damaged: the first directory points past the end of the file. */
    tiff_spec two[2] = {s, s};
    char *chain = src_file(f, "chain.tif");
    write_tiff(chain, two, 2);
    d = slurp(chain, &len);
    assert_memory_equal(d, "II*\0", 4);
    uint32_t ifd0 = d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
    uint32_t entries = d[ifd0] | (uint32_t)d[ifd0 + 1] << 8;
    uint8_t *next = d + ifd0 + 2 + 12 * entries;
    uint32_t past = (uint32_t)len + 4096;
    for (int k = 0; k < 4; k++)
        next[k] = (uint8_t)(past >> (8 * k));
    put(chain, d, len);
    g_free(d);
    open_refused(chain, NULL, "page 2");
    g_free(chain);

    char *sources[] = {half};
    ingest_refused(f, sources, 1, SH_INPUT, "half.tif");
    pic_free(&grey);
    g_free(whole);
    g_free(half);
    g_free(ok);
    g_free(cut);
    g_free(noise);
    g_free(header);
}

static void tiff_over_the_limits_is_refused_before_reading(void **state)
{
    fx *f = *state;
    uint8_t *rows;
    tiff_spec s = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &rows);
    char *tif = src_file(f, "page.tif");
    write_tiff(tif, &s, 1);
    in_limits side = {.max_dimension = 100, .max_pixels = 1000000};
    open_refused(tif, &side, "more than the limit");
    in_limits area = {.max_dimension = 1000, .max_pixels = BW * BH - 1};
    open_refused(tif, &area, "more than the limit");
    in_limits fits = {.max_dimension = BW, .max_pixels = BW * BH};
    in_source *src = NULL;
    sh_error err;
    assert_int_equal(in_source_open(tif, &fits, &src, &err), SH_OK);
    in_source_close(src);
    /* The document's limits are the ones applied. */
    f->ctx.limits = side;
    char *sources[] = {tif};
    ingest_refused(f, sources, 1, SH_INPUT, "more than the limit");
    in_limits_default(&f->ctx.limits);

    /* 35000 × 35000 claimed by a 200-byte file: refused at once, nothing allocated for it. */
    GByteArray *raw = raw_tiff(35000, 35000, 0);
    char *huge = src_file(f, "huge.tif");
    put(huge, raw->data, raw->len);
    g_byte_array_free(raw, TRUE);
    gint64 t0 = g_get_monotonic_time();
    open_refused(huge, NULL, "35000 × 35000 pixels, more than the limit");
    gint64 took = g_get_monotonic_time() - t0;
    if (took > 500000)
        fail_msg("refusing a 35000 × 35000 header took %lld ms", (long long)(took / 1000));
    in_limits l;
    in_limits_default(&l);
    assert_int_equal(l.max_dimension, 40000);
    assert_int_equal(l.max_pixels, 600000000u);
    g_free(huge);
    g_free(tif);
    g_free(rows);
}

static void tiff_unsupported_kinds_are_named(void **state)
{
    fx *f = *state;
    pic rgb = rgb_pic(20, 10);
    uint8_t *rgba = g_malloc((size_t)20 * 10 * 4);
    for (size_t i = 0; i < 200; i++) {
        memcpy(rgba + 4 * i, rgb.px + 3 * i, 3);
        rgba[4 * i + 3] = 255;
    }
    char *tif = src_file(f, "rgba.tif");
    TIFF *t = TIFFOpen(tif, "w");
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 20);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 10);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 4);
    TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, 300.0f);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, 300.0f);
    for (uint32_t y = 0; y < 10; y++)
        TIFFWriteScanline(t, rgba + y * 80, y, 0);
    TIFFClose(t);
    open_refused(tif, NULL, "this kind of TIFF is not supported");

    /* 4-bit grey */
    uint8_t rows4[10 * 10] = {0};
    tiff_spec s = {.w = 20,
                   .h = 10,
                   .bits = 4,
                   .spp = 1,
                   .photo = PHOTOMETRIC_MINISBLACK,
                   .comp = COMPRESSION_NONE,
                   .xres = 300,
                   .rows = rows4};
    char *grey4 = src_file(f, "grey4.tif");
    write_tiff(grey4, &s, 1);
    open_refused(grey4, NULL, "4 bits per sample");

    /* tiles */
    char *tiled = src_file(f, "tiled.tif");
    t = TIFFOpen(tiled, "w");
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 32);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 32);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
    TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, 300.0f);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, 300.0f);
    uint8_t tile[256] = {0};
    for (uint32_t i = 0; i < 4; i++)
        TIFFWriteEncodedTile(t, i, tile, sizeof tile);
    TIFFClose(t);
    open_refused(tiled, NULL, "tiles");
    g_free(tiled);
    g_free(grey4);
    g_free(tif);
    g_free(rgba);
    pic_free(&rgb);
}

/* The decoded samples of an image object (qpdf) are want's, byte for byte. */
static void assert_stream_samples(fx *f, const char *pdf, int object, const pic *want,
                                  const char *what)
{
    size_t len;
    uint8_t *samples = stream_data(pdf, object, f->tmp, &len);
    if (len != pic_rowbytes(want) * want->h)
        fail_msg("%s: %zu bytes of samples, want %zu", what, len, pic_rowbytes(want) * want->h);
    pic got = *want;
    got.px = samples;
    pic_assert_equal(&got, want, what);
    g_free(samples);
}

/* Palette indices packed at bits per pixel, MSB first. */
static uint8_t *pack_indices(uint32_t w, uint32_t h, int bits, unsigned colours)
{
    size_t stride = ((size_t)w * (size_t)bits + 7) / 8;
    uint8_t *rows = g_malloc0(stride * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t bit = (size_t)x * (size_t)bits;
            rows[y * stride + bit / 8] |=
                (uint8_t)(index_at(x, y, colours) << (8 - bits - (int)(bit % 8)));
        }
    return rows;
}

static void tiff_more_sample_layouts(void **state)
{
    fx *f = *state;
    const uint32_t w = 31, h = 17;
    img_row rows[2];

    /* 16-bit RGB in a big-endian file: big-endian samples in a PDF 1.5 */
    pic rgb16 = pic_new(w, h, 3, 16);
    uint16_t *host = g_new(uint16_t, (size_t)w * h * 3);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                unsigned v = (rgb_at(x, y, w, h, c) * 257) ^ (x * 3 + (unsigned)c);
                pic_set(&rgb16, x, y, c, v);
                host[((size_t)y * w + x) * 3 + (size_t)c] = (uint16_t)v;
            }
    tiff_spec s = {.w = w,
                   .h = h,
                   .bits = 16,
                   .spp = 3,
                   .photo = PHOTOMETRIC_RGB,
                   .comp = COMPRESSION_ADOBE_DEFLATE,
                   .xres = 300,
                   .rows = host};
    char *tif = src_file(f, "rgb16-be.tif");
    write_tiff_mode(tif, &s, 1, "wb");
    assert_true(file_has(tif, "MM"));
    char *pdf = ingest_file(f, tif);
    qpdf_clean(pdf);
    char *info = pdfinfo(pdf, NULL);
    test_assert_contains(info, "PDF version:     1.5");
    assert_int_equal(pdf_images(pdf, rows, 2), 1);
    assert_int_equal(rows[0].bpc, 16);
    assert_stream_samples(f, pdf, rows[0].object, &rgb16, "16-bit RGB, big-endian TIFF");
    g_free(info);
    g_free(pdf);
    g_free(tif);
    g_free(host);
    pic_free(&rgb16);

    /* 16-bit MinIsWhite grey: the samples as stored, shown inverted by /Decode [1 0] */
    pic g16 = grey16_pic(w, h);
    host = g_new(uint16_t, (size_t)w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            host[(size_t)y * w + x] = (uint16_t)grey16_at(x, y, w);
    s = (tiff_spec){.w = w,
                    .h = h,
                    .bits = 16,
                    .spp = 1,
                    .photo = PHOTOMETRIC_MINISWHITE,
                    .comp = COMPRESSION_NONE,
                    .xres = 300,
                    .rows = host};
    tif = src_file(f, "grey16-white.tif");
    write_tiff_mode(tif, &s, 1, "wb");
    pdf = ingest_file(f, tif);
    assert_file_has(pdf, "/Decode [1 0]");
    assert_int_equal(pdf_images(pdf, rows, 2), 1);
    assert_stream_samples(f, pdf, rows[0].object, &g16, "16-bit MinIsWhite grey");
    g_free(pdf);
    g_free(tif);
    g_free(host);
    pic_free(&g16);

    /* CMYK */
    pic cmyk = pic_new(w, h, 4, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 4; c++)
                pic_set(&cmyk, x, y, c, c < 3 ? rgb_at(x, y, w, h, c) : (x * y) & 0xFF);
    s = (tiff_spec){.w = w,
                    .h = h,
                    .bits = 8,
                    .spp = 4,
                    .photo = PHOTOMETRIC_SEPARATED,
                    .comp = COMPRESSION_LZW,
                    .xres = 300,
                    .rows = cmyk.px};
    tif = src_file(f, "cmyk.tif");
    write_tiff(tif, &s, 1);
    pdf = ingest_file(f, tif);
    qpdf_clean(pdf);
    assert_file_has(pdf, "/ColorSpace /DeviceCMYK");
    assert_int_equal(pdf_images(pdf, rows, 2), 1);
    assert_string_equal(rows[0].color, "cmyk");
    assert_stream_samples(f, pdf, rows[0].object, &cmyk, "CMYK");
    g_free(pdf);
    g_free(tif);
    pic_free(&cmyk);

    /* 1- and 2-bit palettes */
    for (int bits = 1; bits <= 2; bits++) {
        unsigned n = 1u << bits;
        uint16_t cmap[3 * 4];
        for (unsigned i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                cmap[(unsigned)c * n + i] = (uint16_t)(palette_colour(i, c) * 257);
        uint8_t *idx = pack_indices(w, h, bits, n);
        s = (tiff_spec){.w = w,
                        .h = h,
                        .bits = (uint16_t)bits,
                        .spp = 1,
                        .photo = PHOTOMETRIC_PALETTE,
                        .comp = COMPRESSION_PACKBITS,
                        .xres = 300,
                        .cmap = cmap,
                        .rows = idx};
        tif = src_file(f, bits == 1 ? "palette1.tif" : "palette2.tif");
        write_tiff(tif, &s, 1);
        if (bits == 2) {
            pic want = palette_pic(w, h, n);
            g_free(judge_one(f, tif, "image", &want));
            pic_free(&want);
        } else {
            /* pdfimages shows any 1-bit image as black and white: look at the PDF itself, the
             * indices as stored and the two colours of the palette */
            pdf = ingest_file(f, tif);
            qpdf_clean(pdf);
            char lookup[64];
            snprintf(lookup, sizeof lookup, "[/Indexed /DeviceRGB 1 <%02X%02X%02X%02X%02X%02X>]",
                     palette_colour(0, 0), palette_colour(0, 1), palette_colour(0, 2),
                     palette_colour(1, 0), palette_colour(1, 1), palette_colour(1, 2));
            assert_file_has(pdf, lookup);
            assert_int_equal(pdf_images(pdf, rows, 2), 1);
            size_t len;
            uint8_t *samples = stream_data(pdf, rows[0].object, f->tmp, &len);
            assert_int_equal(len, (size_t)(w + 7) / 8 * h);
            assert_memory_equal(samples, idx, len);
            g_free(samples);
            g_free(pdf);
        }
        g_free(idx);
        g_free(tif);
    }

    /* A resolution that is not the same both ways: 100 × 50 pixels at 200 × 100 ppi */
    uint8_t *bw;
    s = bilevel_spec(100, 50, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &bw);
    s.xres = 200;
    s.yres = 100;
    tif = src_file(f, "aniso.tif");
    write_tiff(tif, &s, 1);
    pdf = ingest_file(f, tif);
    info = pdfinfo(pdf, NULL);
    test_assert_contains(info, "Page size:       36 x 36 pts");
    g_free(info);
    g_free(pdf);
    g_free(tif);
    g_free(bw);
}

/* The RGB pixels libtiff decodes from a JPEG-compressed YCbCr page. */
static pic tiff_decoded_rgb(const char *path, int page)
{
    TIFF *t = TIFFOpen(path, "r");
    assert_non_null(t);
    assert_int_equal(TIFFSetDirectory(t, (tdir_t)page), 1);
    TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    uint32_t w = 0, h = 0;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    pic p = pic_new(w, h, 3, 8);
    assert_int_equal(TIFFScanlineSize(t), (tmsize_t)pic_rowbytes(&p));
    for (uint32_t y = 0; y < h; y++)
        assert_int_equal(TIFFReadScanline(t, p.px + y * pic_rowbytes(&p), y, 0), 1);
    TIFFClose(t);
    return p;
}

static void tiff_jpeg_pages_are_decoded(void **state)
{
    fx *f = *state;
    if (!TIFFIsCODECConfigured(COMPRESSION_JPEG)) {
        print_message("libtiff without JPEG: test skipped\n");
        skip();
    }
    /* JPEG, G4, JPEG in one file: the colour mode must hold on every JPEG page */
    const uint32_t w = 48, h = 32;
    pic rgb = rgb_pic(w, h), rgb2 = rgb_pic(w + 8, h);
    uint8_t *bw;
    tiff_spec g4 = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &bw);
    char *tif = src_file(f, "jpeg.tif");
    TIFF *t = TIFFOpen(tif, "w");
    for (int page = 0; page < 3; page++) {
        if (page == 1) {
            tiff_put_page(t, &g4, 1, 3);
            continue;
        }
        const pic *src = page == 0 ? &rgb : &rgb2;
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, src->w);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, src->h);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
        TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        TIFFSetField(t, TIFFTAG_JPEGQUALITY, 90);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
        TIFFSetField(t, TIFFTAG_XRESOLUTION, 300.0f);
        TIFFSetField(t, TIFFTAG_YRESOLUTION, 300.0f);
        TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(t, TIFFTAG_PAGENUMBER, (uint16_t)page, (uint16_t)3);
        for (uint32_t y = 0; y < src->h; y++)
            assert_int_equal(TIFFWriteScanline(t, src->px + y * pic_rowbytes(src), y, 0), 1);
        assert_int_equal(TIFFWriteDirectory(t), 1);
    }
    TIFFClose(t);
    pic want0 = tiff_decoded_rgb(tif, 0), want2 = tiff_decoded_rgb(tif, 2);
    char *pdf = ingest_file(f, tif);
    qpdf_clean(pdf);
    img_row rows[4];
    assert_int_equal(pdf_images(pdf, rows, 4), 3);
    assert_string_equal(rows[0].enc, "image");
    assert_string_equal(rows[1].enc, "ccitt");
    assert_string_equal(rows[2].enc, "image");
    pic got = extracted_image(pdf, 0, f->tmp);
    pic_assert_equal(&got, &want0, "JPEG page 1");
    pic_free(&got);
    got = extracted_image(pdf, 2, f->tmp);
    pic_assert_equal(&got, &want2, "JPEG page 3");
    pic_free(&got);
    got = extracted_image(pdf, 1, f->tmp);
    pic bw_want = bilevel_pic(BW, BH);
    pic_assert_equal(&got, &bw_want, "G4 page 2");
    pic_free(&got);
    pic_free(&bw_want);
    pic_free(&want0);
    pic_free(&want2);
    g_free(pdf);
    g_free(tif);
    g_free(bw);
    pic_free(&rgb);
    pic_free(&rgb2);
}

static void tiff_g4_pages_each_copied(void **state)
{
    fx *f = *state;
    /* Two G4 pages copied as they are, the second MinIsBlack and of another size */
    uint8_t *a, *b;
    tiff_spec pages[2];
    pages[0] = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &a);
    pages[1] = bilevel_spec(BW + 20, BH - 10, PHOTOMETRIC_MINISBLACK, COMPRESSION_CCITTFAX4, &b);
    char *tif = src_file(f, "g4-two.tif");
    write_tiff(tif, pages, 2);
    char *pdf = ingest_file(f, tif);
    char *sub = test_mkdirs(f->tmp, "ccitt2");
    char *prefix = extract(pdf, "-ccitt", sub);
    for (int page = 0; page < 2; page++) {
        size_t sl, cl;
        uint8_t *strip = tiff_raw_strip_of(tif, page, &sl);
        char *file = extracted(prefix, page, "ccitt");
        uint8_t *cc = slurp(file, &cl);
        if (cl != sl || memcmp(cc, strip, sl) != 0)
            fail_msg("page %d: the CCITT data is not the page's strip", page + 1);
        g_free(cc);
        g_free(file);
        g_free(strip);
    }
    pic want = bilevel_pic(BW + 20, BH - 10);
    pic got = extracted_image(pdf, 1, f->tmp);
    pic_assert_equal(&got, &want, "page 2");
    pic_free(&got);
    pic_free(&want);
    g_free(prefix);
    g_free(sub);
    g_free(pdf);
    g_free(tif);
    g_free(a);
    g_free(b);
}

static void tiff_without_pixels_is_refused(void **state)
{
    fx *f = *state;
    GByteArray *raw = raw_tiff(0, 30, 0);
    char *zero = src_file(f, "zero.tif");
    put(zero, raw->data, raw->len);
    open_refused(zero, NULL, "zero.tif");
    g_byte_array_free(raw, TRUE);
    g_free(zero);
}

static bool open_returns_refusal(const void *arg)
{
    alarm(2); /* a hang ends the child, and fails the test */
    in_limits lim;
    in_limits_default(&lim);
    in_source *s = NULL;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = in_source_open(arg, &lim, &s, &err);
    return st == SH_INPUT && s == NULL && strstr(err.msg, (const char *)arg) != NULL;
}

static void special_files_are_not_pages(void **state)
{
    fx *f = *state;
    /* A named pipe nobody writes to: refused, not waited on. */
    char *fifo = src_file(f, "scanner.tif");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    bool refused = test_isolated(open_returns_refusal, fifo);
    g_free(fifo);
    /* In a folder of pages it stops the document, named (never waited on). */
    bool listed = test_isolated(fifo_folder_refused, f->src);
    /* A device */
    open_refused("/dev/null", NULL, "/dev/null");
    if (!refused)
        fail_msg("in_source_open on a named pipe with no writer hung or did not refuse it");
    if (!listed)
        fail_msg("a folder holding a named pipe is not refused naming it");
}

/* ---------------------------------------------------------------------------------------------
 * 3. JPEG. Baseline files of 24 × 16 pixels made with Pillow (no APP0), patched below.
 */

static const uint8_t jpeg_grey[202] = {
    0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x14, 0x0E, 0x0F, 0x12, 0x0F, 0x0D, 0x14, 0x12, 0x10,
    0x12, 0x17, 0x15, 0x14, 0x18, 0x1E, 0x32, 0x21, 0x1E, 0x1C, 0x1C, 0x1E, 0x3D, 0x2C, 0x2E, 0x24,
    0x32, 0x49, 0x40, 0x4C, 0x4B, 0x47, 0x40, 0x46, 0x45, 0x50, 0x5A, 0x73, 0x62, 0x50, 0x55, 0x6D,
    0x56, 0x45, 0x46, 0x64, 0x88, 0x65, 0x6D, 0x77, 0x7B, 0x81, 0x82, 0x81, 0x4E, 0x60, 0x8D, 0x97,
    0x8C, 0x7D, 0x96, 0x73, 0x7E, 0x81, 0x7C, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x18,
    0x01, 0x01, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x16, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x05, 0x07, 0xFF, 0xC4, 0x00, 0x21,
    0x10, 0x00, 0x01, 0x04, 0x02, 0x02, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x02, 0x03, 0x11, 0x04, 0x12, 0x05, 0x41, 0x13, 0x14, 0x21, 0x51, 0x61, 0xFF,
    0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x29, 0x14, 0xFE, 0x06, 0xB4, 0xEB, 0xB5,
    0xFE, 0xD2, 0xBF, 0xC3, 0xE4, 0x7B, 0x31, 0x97, 0x6B, 0xAD, 0x3B, 0x5A, 0xBB, 0x49, 0xF0, 0xBA,
    0x59, 0xDC, 0x10, 0xB6, 0x60, 0xD0, 0xE2, 0x45, 0x7D, 0x2B, 0xFC, 0x56, 0x3B, 0x71, 0xD9, 0xAB,
    0x09, 0x20, 0x9B, 0xF9, 0x49, 0x70, 0xBA, 0x5F, 0xFF, 0xD9,
};
static const uint8_t jpeg_rgb[354] = {
    0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x14, 0x0E, 0x0F, 0x12, 0x0F, 0x0D, 0x14, 0x12, 0x10,
    0x12, 0x17, 0x15, 0x14, 0x18, 0x1E, 0x32, 0x21, 0x1E, 0x1C, 0x1C, 0x1E, 0x3D, 0x2C, 0x2E, 0x24,
    0x32, 0x49, 0x40, 0x4C, 0x4B, 0x47, 0x40, 0x46, 0x45, 0x50, 0x5A, 0x73, 0x62, 0x50, 0x55, 0x6D,
    0x56, 0x45, 0x46, 0x64, 0x88, 0x65, 0x6D, 0x77, 0x7B, 0x81, 0x82, 0x81, 0x4E, 0x60, 0x8D, 0x97,
    0x8C, 0x7D, 0x96, 0x73, 0x7E, 0x81, 0x7C, 0xFF, 0xDB, 0x00, 0x43, 0x01, 0x15, 0x17, 0x17, 0x1E,
    0x1A, 0x1E, 0x3B, 0x21, 0x21, 0x3B, 0x7C, 0x53, 0x46, 0x53, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C,
    0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C,
    0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C,
    0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0xFF, 0xC0, 0x00, 0x11,
    0x08, 0x00, 0x10, 0x00, 0x18, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF,
    0xC4, 0x00, 0x17, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x02, 0x04, 0xFF, 0xC4, 0x00, 0x20, 0x10, 0x00, 0x00, 0x07,
    0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,
    0x03, 0x04, 0x11, 0x12, 0x21, 0x13, 0x14, 0x22, 0x31, 0x41, 0xFF, 0xC4, 0x00, 0x16, 0x01, 0x01,
    0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
    0x04, 0x06, 0xFF, 0xC4, 0x00, 0x21, 0x11, 0x00, 0x01, 0x02, 0x04, 0x07, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x03, 0x04, 0x12, 0x31, 0x14, 0x23,
    0x32, 0x41, 0x51, 0x61, 0x91, 0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11,
    0x00, 0x3F, 0x00, 0xDC, 0xD9, 0x3D, 0xBE, 0x7C, 0x35, 0xAB, 0xFB, 0x42, 0x2D, 0xBD, 0xD6, 0x41,
    0xAB, 0x39, 0xE6, 0xBD, 0xD8, 0xE8, 0x97, 0x1D, 0x0F, 0xE7, 0x66, 0xA2, 0xCD, 0xD5, 0x08, 0x25,
    0xA4, 0xB2, 0x83, 0x4A, 0x4C, 0xCC, 0xAE, 0xF9, 0x02, 0xCA, 0xAA, 0xE9, 0x14, 0x91, 0x96, 0xC3,
    0x34, 0x01, 0x99, 0xBD, 0xF9, 0xF2, 0xCA, 0x2E, 0x00, 0x38, 0x02, 0xB0, 0xB4, 0x70, 0x34, 0x2F,
    0xFF, 0xD9,
};
static const uint8_t jpeg_cmyk[209] = {
    0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x0E, 0x41, 0x64, 0x6F, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x14, 0x0E, 0x0F, 0x12, 0x0F, 0x0D, 0x14,
    0x12, 0x10, 0x12, 0x17, 0x15, 0x14, 0x18, 0x1E, 0x32, 0x21, 0x1E, 0x1C, 0x1C, 0x1E, 0x3D,
    0x2C, 0x2E, 0x24, 0x32, 0x49, 0x40, 0x4C, 0x4B, 0x47, 0x40, 0x46, 0x45, 0x50, 0x5A, 0x73,
    0x62, 0x50, 0x55, 0x6D, 0x56, 0x45, 0x46, 0x64, 0x88, 0x65, 0x6D, 0x77, 0x7B, 0x81, 0x82,
    0x81, 0x4E, 0x60, 0x8D, 0x97, 0x8C, 0x7D, 0x96, 0x73, 0x7E, 0x81, 0x7C, 0xFF, 0xC0, 0x00,
    0x14, 0x08, 0x00, 0x10, 0x00, 0x18, 0x04, 0x43, 0x11, 0x00, 0x4D, 0x11, 0x00, 0x59, 0x11,
    0x00, 0x4B, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x16, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x07, 0xFF, 0xC4,
    0x00, 0x16, 0x10, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x41, 0xFF, 0xDA, 0x00, 0x0E, 0x04, 0x43, 0x00, 0x4D,
    0x00, 0x59, 0x00, 0x4B, 0x00, 0x00, 0x3F, 0x00, 0x4B, 0x6E, 0x99, 0x8D, 0x45, 0x85, 0x63,
    0xF6, 0xEA, 0x20, 0x8B, 0x10, 0xFD, 0xBA, 0x88, 0x22, 0xC4, 0xD0, 0x2D, 0xD4, 0xCF, 0xE2,
    0xC4, 0x3F, 0x6E, 0xA2, 0x08, 0xB1, 0x0F, 0xDB, 0xA8, 0x82, 0x2C, 0x4F, 0xFF, 0xD9,
};
static const uint8_t jpeg_prog[585] = {
    0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x14, 0x0E, 0x0F, 0x12, 0x0F, 0x0D, 0x14, 0x12, 0x10,
    0x12, 0x17, 0x15, 0x14, 0x18, 0x1E, 0x32, 0x21, 0x1E, 0x1C, 0x1C, 0x1E, 0x3D, 0x2C, 0x2E, 0x24,
    0x32, 0x49, 0x40, 0x4C, 0x4B, 0x47, 0x40, 0x46, 0x45, 0x50, 0x5A, 0x73, 0x62, 0x50, 0x55, 0x6D,
    0x56, 0x45, 0x46, 0x64, 0x88, 0x65, 0x6D, 0x77, 0x7B, 0x81, 0x82, 0x81, 0x4E, 0x60, 0x8D, 0x97,
    0x8C, 0x7D, 0x96, 0x73, 0x7E, 0x81, 0x7C, 0xFF, 0xDB, 0x00, 0x43, 0x01, 0x15, 0x17, 0x17, 0x1E,
    0x1A, 0x1E, 0x3B, 0x21, 0x21, 0x3B, 0x7C, 0x53, 0x46, 0x53, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C,
    0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C,
    0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C,
    0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0x7C, 0xFF, 0xC2, 0x00, 0x11,
    0x08, 0x00, 0x10, 0x00, 0x18, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF,
    0xC4, 0x00, 0x17, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x03, 0xFF, 0xC4, 0x00, 0x16, 0x01, 0x01, 0x01, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x05,
    0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x10, 0x03, 0x10, 0x00, 0x00, 0x01, 0xD8, 0xE9,
    0x00, 0x40, 0xAE, 0x97, 0xFF, 0xC4, 0x00, 0x18, 0x10, 0x00, 0x03, 0x01, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x11, 0x12, 0xFF, 0xDA,
    0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x05, 0x02, 0xBA, 0xE4, 0x4F, 0x46, 0x54, 0xE9, 0x98, 0x33,
    0xFF, 0xC4, 0x00, 0x1A, 0x11, 0x00, 0x02, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13, 0x01, 0x02, 0x03, 0x31, 0x52, 0xFF, 0xDA, 0x00, 0x08,
    0x01, 0x03, 0x01, 0x01, 0x3F, 0x01, 0xC2, 0xB5, 0xC7, 0x45, 0x34, 0x7F, 0xFF, 0xC4, 0x00, 0x16,
    0x11, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x11, 0x01, 0x10, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x02, 0x01, 0x01, 0x3F, 0x01, 0x8B, 0x9F,
    0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x06, 0x3F, 0x02,
    0x5F, 0xFF, 0xC4, 0x00, 0x18, 0x10, 0x01, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x01, 0x21, 0x10, 0xFF, 0xDA, 0x00, 0x08, 0x01,
    0x01, 0x00, 0x01, 0x3F, 0x21, 0xC1, 0x8B, 0x06, 0x87, 0x15, 0x15, 0xC9, 0x54, 0xA9, 0x5C, 0x7F,
    0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0xE4, 0x2F,
    0xFF, 0xC4, 0x00, 0x1A, 0x11, 0x00, 0x02, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x31, 0x10, 0x11, 0x51, 0x61, 0x91, 0xFF, 0xDA, 0x00, 0x08,
    0x01, 0x03, 0x01, 0x01, 0x3F, 0x10, 0x3A, 0xC0, 0x6C, 0xF3, 0xC5, 0x1F, 0xFF, 0xC4, 0x00, 0x16,
    0x11, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x81, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x02, 0x01, 0x01, 0x3F, 0x10, 0xC8, 0x8F,
    0xFF, 0xC4, 0x00, 0x1B, 0x10, 0x00, 0x02, 0x02, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x11, 0x00, 0x21, 0x10, 0x31, 0x41, 0x71, 0xFF, 0xDA, 0x00,
    0x08, 0x01, 0x01, 0x00, 0x01, 0x3F, 0x10, 0xF7, 0x27, 0x54, 0x63, 0xD0, 0xB6, 0xF0, 0xBB, 0x42,
    0xC9, 0x42, 0x92, 0x12, 0x1B, 0xBC, 0x3F, 0xFF, 0xD9,
};

#define JW 24
#define JH 16

static GByteArray *jpeg_of(const uint8_t *base, size_t len)
{
    GByteArray *j = g_byte_array_new();
    g_byte_array_append(j, base, (guint)len);
    return j;
}

/* Insert a marker segment right after SOI. */
static void jpeg_insert(GByteArray *j, uint8_t marker, const void *payload, size_t n)
{
    uint8_t head[4] = {0xFF, marker, (uint8_t)((n + 2) >> 8), (uint8_t)(n + 2)};
    guint old = j->len;
    g_byte_array_set_size(j, old + 4 + (guint)n);
    memmove(j->data + 2 + 4 + n, j->data + 2, old - 2);
    memcpy(j->data + 2, head, 4);
    memcpy(j->data + 6, payload, n);
}

/* The offset of the first segment with this marker before the scan, or 0. */
static size_t jpeg_segment(const GByteArray *j, uint8_t marker)
{
    size_t p = 2;
    while (p + 4 <= j->len && j->data[p] == 0xFF) {
        if (j->data[p + 1] == marker)
            return p;
        if (j->data[p + 1] == 0xDA)
            break;
        p += 2 + ((size_t)j->data[p + 2] << 8 | j->data[p + 3]);
    }
    return 0;
}

static void jpeg_drop(GByteArray *j, uint8_t marker)
{
    size_t p = jpeg_segment(j, marker);
    assert_true(p > 0);
    size_t n = 2 + ((size_t)j->data[p + 2] << 8 | j->data[p + 3]);
    g_byte_array_remove_range(j, (guint)p, (guint)n);
}

/* JFIF density: units 1 = dots per inch, 2 = per cm, 0 = aspect ratio only. */
static void jpeg_jfif(GByteArray *j, int units, unsigned x, unsigned y)
{
    uint8_t p[14] = {'J',
                     'F',
                     'I',
                     'F',
                     0,
                     1,
                     2,
                     (uint8_t)units,
                     (uint8_t)(x >> 8),
                     (uint8_t)x,
                     (uint8_t)(y >> 8),
                     (uint8_t)y,
                     0,
                     0};
    jpeg_insert(j, 0xE0, p, sizeof p);
}

static void put16(GByteArray *b, bool big, uint32_t v)
{
    uint8_t x[2] = {big ? (uint8_t)(v >> 8) : (uint8_t)v, big ? (uint8_t)v : (uint8_t)(v >> 8)};
    g_byte_array_append(b, x, 2);
}

static void put32(GByteArray *b, bool big, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        uint8_t x = (uint8_t)(v >> (big ? 24 - 8 * i : 8 * i));
        g_byte_array_append(b, &x, 1);
    }
}

/* An EXIF TIFF block: orientation (0: none), resolution xnum/den × ynum/den (xnum 0: none)
 * with its unit (0: none). */
static GByteArray *exif_block(bool big, int orientation, uint32_t xnum, uint32_t ynum, uint32_t den,
                              int unit)
{
    int n = (orientation ? 1 : 0) + (xnum ? 2 : 0) + (unit ? 1 : 0);
    uint32_t rat = 8 + 2 + 12 * (uint32_t)n + 4;
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, (const uint8_t *)(big ? "MM" : "II"), 2);
    put16(b, big, 42);
    put32(b, big, 8);
    put16(b, big, (uint32_t)n);
    if (orientation) {
        put16(b, big, 0x0112);
        put16(b, big, 3);
        put32(b, big, 1);
        put16(b, big, (uint32_t)orientation);
        put16(b, big, 0);
    }
    if (xnum)
        for (int i = 0; i < 2; i++) {
            put16(b, big, 0x011A + (uint32_t)i);
            put16(b, big, 5);
            put32(b, big, 1);
            put32(b, big, rat + 8 * (uint32_t)i);
        }
    if (unit) {
        put16(b, big, 0x0128);
        put16(b, big, 3);
        put32(b, big, 1);
        put16(b, big, (uint32_t)unit);
        put16(b, big, 0);
    }
    put32(b, big, 0);
    if (xnum) {
        put32(b, big, xnum);
        put32(b, big, den);
        put32(b, big, ynum);
        put32(b, big, den);
    }
    return b;
}

static void jpeg_exif(GByteArray *j, const GByteArray *block)
{
    GByteArray *p = g_byte_array_new();
    g_byte_array_append(p, (const uint8_t *)"Exif\0\0", 6);
    g_byte_array_append(p, block->data, block->len);
    jpeg_insert(j, 0xE1, p->data, p->len);
    g_byte_array_free(p, TRUE);
}

static char *jpeg_file(fx *f, const char *name, const GByteArray *j)
{
    char *path = src_file(f, name);
    put(path, j->data, j->len);
    return path;
}

/* The JPEG pdfimages -j gives back is the file, byte for byte. */
static void assert_jpeg_is_copied(fx *f, const char *pdf, const char *jpg)
{
    char *sub = test_mkdirs(f->tmp, "jpeg-out");
    char *prefix = extract(pdf, "-j", sub);
    char *out = extracted(prefix, 0, "jpg");
    assert_files_equal(out, jpg);
    test_rmtree(sub);
    g_free(out);
    g_free(prefix);
    g_free(sub);
}

static void jpeg_is_copied_as_is(void **state)
{
    fx *f = *state;
    static const struct {
        const uint8_t *base;
        size_t len;
        const char *name, *space, *list_colour;
    } cases[] = {
        {jpeg_rgb, sizeof jpeg_rgb, "rgb.jpg", "/ColorSpace /DeviceRGB", "rgb"},
        {jpeg_grey, sizeof jpeg_grey, "grey.jpeg", "/ColorSpace /DeviceGray", "gray"},
        {jpeg_prog, sizeof jpeg_prog, "progressive.jpg", "/ColorSpace /DeviceRGB", "rgb"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GByteArray *j = jpeg_of(cases[i].base, cases[i].len);
        jpeg_jfif(j, 1, 72, 72);
        char *jpg = jpeg_file(f, cases[i].name, j);
        in_source *src = open_ok(jpg);
        assert_int_equal(src->kind, IN_KIND_JPEG);
        assert_int_equal(src->pages[0].width, JW);
        assert_int_equal(src->pages[0].height, JH);
        assert_string_equal(src->pages[0].how, "JPEG as is");
        in_source_close(src);
        char *pdf = ingest_file(f, jpg);
        qpdf_clean(pdf);
        img_row rows[2];
        assert_int_equal(pdf_images(pdf, rows, 2), 1);
        assert_string_equal(rows[0].enc, "jpeg");
        assert_string_equal(rows[0].color, cases[i].list_colour);
        assert_file_has(pdf, cases[i].space);
        assert_false(file_has(pdf, "/Decode"));
        assert_jpeg_is_copied(f, pdf, jpg);
        char *info = pdfinfo(pdf, NULL);
        test_assert_contains(info, "Page size:       24 x 16 pts");
        g_free(info);
        g_free(pdf);
        g_free(jpg);
        g_byte_array_free(j, TRUE);
    }
}

static void jpeg_cmyk_with_adobe_is_inverted(void **state)
{
    fx *f = *state;
    GByteArray *j = jpeg_of(jpeg_cmyk, sizeof jpeg_cmyk);
    assert_true(jpeg_segment(j, 0xEE) > 0); /* Pillow writes the Adobe marker */
    jpeg_jfif(j, 1, 300, 300);
    char *jpg = jpeg_file(f, "cmyk.jpg", j);
    char *pdf = ingest_file(f, jpg);
    qpdf_clean(pdf);
    assert_file_has(pdf, "/ColorSpace /DeviceCMYK");
    assert_file_has(pdf, "/Decode [1 0 1 0 1 0 1 0]");
    img_row rows[2];
    assert_int_equal(pdf_images(pdf, rows, 2), 1);
    assert_string_equal(rows[0].color, "cmyk");
    assert_int_equal(rows[0].comp, 4);
    g_free(pdf);
    g_free(jpg);
    /* Without the Adobe marker CMYK is stored as it is: no /Decode. */
    jpeg_drop(j, 0xEE);
    jpg = jpeg_file(f, "cmyk-plain.jpg", j);
    pdf = ingest_file(f, jpg);
    assert_file_has(pdf, "/ColorSpace /DeviceCMYK");
    assert_false(file_has(pdf, "/Decode"));
    g_free(pdf);
    g_free(jpg);
    g_byte_array_free(j, TRUE);
}

static void jpeg_exif_orientation_rotates(void **state)
{
    fx *f = *state;
    static const struct {
        int orientation, rotate;
        bool big;
    } cases[] = {{3, 180, true}, {6, 90, false}, {8, 270, true}, {1, 0, false}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GByteArray *j = jpeg_of(jpeg_rgb, sizeof jpeg_rgb);
        GByteArray *exif = exif_block(cases[i].big, cases[i].orientation, 72, 72, 1, 2);
        jpeg_exif(j, exif);
        char name[32];
        snprintf(name, sizeof name, "o%d.jpg", cases[i].orientation);
        char *jpg = jpeg_file(f, name, j);
        in_source *src = open_ok(jpg);
        assert_int_equal(src->pages[0].rotate, cases[i].rotate);
        assert_false(src->pages[0].mirror);
        in_source_close(src);
        char *pdf = ingest_file(f, jpg);
        char *info = pdfinfo(pdf, NULL);
        assert_int_equal((int)info_number(info, "Page rot:"), cases[i].rotate);
        /* the image itself is not turned: the page is */
        assert_file_has(pdf, "q 24 0 0 16 0 0 cm /Im0 Do Q");
        assert_jpeg_is_copied(f, pdf, jpg);
        g_free(info);
        g_free(pdf);
        g_free(jpg);
        g_byte_array_free(exif, TRUE);
        g_byte_array_free(j, TRUE);
    }
}

static void jpeg_mirrored_orientation_flips_the_image(void **state)
{
    fx *f = *state;
    for (int o = 2; o <= 4; o += 2) {
        GByteArray *j = jpeg_of(jpeg_rgb, sizeof jpeg_rgb);
        jpeg_jfif(j, 1, 72, 72);
        GByteArray *exif = exif_block(true, o, 0, 0, 0, 0);
        jpeg_exif(j, exif);
        char *jpg = jpeg_file(f, o == 2 ? "mirror.jpg" : "mirror180.jpg", j);
        in_source *src = open_ok(jpg);
        assert_true(src->pages[0].mirror);
        assert_int_equal(src->pages[0].rotate, o == 2 ? 0 : 180);
        in_source_close(src);
        char *pdf = ingest_file(f, jpg);
        qpdf_clean(pdf);
        /* x' = -24 x + 24: the image drawn right to left inside the same page */
        assert_file_has(pdf, "q -24 0 0 16 24 0 cm /Im0 Do Q");
        assert_file_has(pdf, "/MediaBox [0 0 24 16]");
        assert_int_equal(file_has(pdf, "/Rotate 180"), o == 4);
        g_free(pdf);
        g_free(jpg);
        g_byte_array_free(exif, TRUE);
        g_byte_array_free(j, TRUE);
    }
}

static void jpeg_resolution_from_jfif_or_exif(void **state)
{
    fx *f = *state;
    static const struct {
        int jfif_units; /* -1: no JFIF */
        unsigned jx, jy;
        uint32_t exif_x; /* 0: no EXIF */
        int exif_unit;
        double xres, yres;
        const char *size;
    } cases[] = {
        {1, 200, 100, 0, 0, 200, 100, "8.64 x 11.52 pts"},
        {2, 100, 100, 0, 0, 254, 254, NULL},
        {0, 1, 1, 300, 2, 300, 300, "5.76 x 3.84 pts"},
        {-1, 0, 0, 300, 2, 300, 300, NULL},
        {-1, 0, 0, 100, 3, 254, 254, NULL},
        {-1, 0, 0, 300, 1, 0, 0, NULL}, /* unit "none": no resolution */
        {0, 1, 1, 0, 0, 0, 0, NULL},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GByteArray *j = jpeg_of(jpeg_grey, sizeof jpeg_grey);
        if (cases[i].exif_x) {
            GByteArray *exif =
                exif_block(i % 2 == 0, 0, cases[i].exif_x, cases[i].exif_x, 1, cases[i].exif_unit);
            jpeg_exif(j, exif);
            g_byte_array_free(exif, TRUE);
        }
        if (cases[i].jfif_units >= 0)
            jpeg_jfif(j, cases[i].jfif_units, cases[i].jx, cases[i].jy);
        char name[32];
        snprintf(name, sizeof name, "res%zu.jpg", i);
        char *jpg = jpeg_file(f, name, j);
        in_source *src = open_ok(jpg);
        if (fabs(src->pages[0].xres - cases[i].xres) > 1e-6 ||
            fabs(src->pages[0].yres - cases[i].yres) > 1e-6)
            fail_msg("case %zu: %g × %g ppi, want %g × %g", i, src->pages[0].xres,
                     src->pages[0].yres, cases[i].xres, cases[i].yres);
        in_source_close(src);
        if (cases[i].size) {
            char *pdf = ingest_file(f, jpg);
            char *info = pdfinfo(pdf, NULL);
            test_assert_contains(info, cases[i].size);
            g_free(info);
            g_free(pdf);
        }
        if (cases[i].xres == 0) {
            char *sources[] = {jpg};
            ingest_refused(f, sources, 1, SH_INPUT, "does not say its resolution");
        }
        g_free(jpg);
        g_byte_array_free(j, TRUE);
    }
}

static void jpeg_kinds_pdf_cannot_read_are_refused(void **state)
{
    fx *f = *state;
    static const struct {
        uint8_t sof, precision;
        const char *needle;
    } cases[] = {
        {0xC3, 8, "SOF3: lossless or arithmetic coding"},
        {0xC9, 8, "SOF9"},
        {0xCA, 8, "SOF10"},
        {0xC7, 8, "SOF7"},
        {0xC1, 12, "12 bits per sample"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GByteArray *j = jpeg_of(jpeg_grey, sizeof jpeg_grey);
        jpeg_jfif(j, 1, 300, 300);
        size_t p = jpeg_segment(j, 0xC0);
        assert_true(p > 0);
        j->data[p + 1] = cases[i].sof;
        j->data[p + 4] = cases[i].precision;
        char name[32];
        snprintf(name, sizeof name, "sof%02X.jpg", cases[i].sof);
        char *jpg = jpeg_file(f, name, j);
        open_refused(jpg, NULL, cases[i].needle);
        g_free(jpg);
        g_byte_array_free(j, TRUE);
    }
    /* SOF1 (extended Huffman, 8 bits) is what readers decode: accepted. */
    GByteArray *j = jpeg_of(jpeg_grey, sizeof jpeg_grey);
    jpeg_jfif(j, 1, 300, 300);
    j->data[jpeg_segment(j, 0xC0) + 1] = 0xC1;
    char *jpg = jpeg_file(f, "sof1.jpg", j);
    in_source_close(open_ok(jpg));
    g_free(jpg);
    g_byte_array_free(j, TRUE);
}

static void jpeg_truncated_is_refused(void **state)
{
    fx *f = *state;
    GByteArray *j = jpeg_of(jpeg_rgb, sizeof jpeg_rgb);
    jpeg_jfif(j, 1, 300, 300);
    /* Cut inside the scan: no end marker. */
    char *cut = src_file(f, "cut.jpg");
    put(cut, j->data, j->len - 20);
    open_refused(cut, NULL, "the JPEG file is truncated (no end marker)");
    char *sources[] = {cut};
    ingest_refused(f, sources, 1, SH_INPUT, "cut.jpg");
    /* Cut inside the headers. */
    char *head = src_file(f, "head.jpg");
    put(head, j->data, 100);
    open_refused(head, NULL, "head.jpg");
    /* Padding after the end marker is tolerated. */
    GByteArray *padded = jpeg_of(j->data, j->len);
    g_byte_array_append(padded, (const uint8_t *)"\0\0\0\0\r\n", 6);
    char *pad = jpeg_file(f, "padded.jpg", padded);
    in_source_close(open_ok(pad));
    /* SOI and nothing else */
    char *soi = src_file(f, "soi.jpg");
    put(soi, "\xFF\xD8\xFF", 3);
    open_refused(soi, NULL, "soi.jpg");
    /* A header that claims 60000 × 60000: refused on the limits, at once. */
    GByteArray *big = jpeg_of(j->data, j->len);
    size_t p = jpeg_segment(big, 0xC0);
    big->data[p + 5] = 0xEA, big->data[p + 6] = 0x60; /* height 60000 */
    big->data[p + 7] = 0xEA, big->data[p + 8] = 0x60; /* width */
    char *huge = jpeg_file(f, "huge.jpg", big);
    open_refused(huge, NULL, "60000 × 60000 pixels, more than the limit");
    g_free(huge);
    g_byte_array_free(big, TRUE);
    g_free(soi);
    g_free(pad);
    g_byte_array_free(padded, TRUE);
    g_free(head);
    g_free(cut);
    g_byte_array_free(j, TRUE);
}

/* A JPEG head made by hand: SOI, the segments given, SOF0 of w × h with n components, SOS. */
static GByteArray *jpeg_head(uint8_t sof, unsigned w, unsigned h, int n)
{
    GByteArray *j = g_byte_array_new();
    g_byte_array_append(j, (const uint8_t *)"\xFF\xD8", 2);
    uint8_t s[4 + 6 + 3 * 4] = {0xFF,       sof,
                                0,          (uint8_t)(8 + 3 * n),
                                8,          (uint8_t)(h >> 8),
                                (uint8_t)h, (uint8_t)(w >> 8),
                                (uint8_t)w, (uint8_t)n};
    for (int i = 0; i < n; i++) {
        s[10 + 3 * i] = (uint8_t)(i + 1);
        s[11 + 3 * i] = 0x11;
    }
    g_byte_array_append(j, s, 10 + 3 * (guint)n);
    g_byte_array_append(j, (const uint8_t *)"\xFF\xDA\0\x08\x01\x01\0\0\x3F\0", 10);
    return j;
}

/* Parse bytes held in a heap block of exactly their size (ASan sees any read past them). */
static sh_status parse_exact(const uint8_t *d, size_t len, in_jpeg_header *h, sh_error *err)
{
    uint8_t *copy = g_memdup2(d, len);
    sh_error_clear(err);
    sh_status st = in_jpeg_parse_header(copy, len, h, err);
    g_free(copy);
    return st;
}

static void jpeg_header_parser_on_crafted_bytes(void **state)
{
    (void)state;
    in_jpeg_header h;
    sh_error err;
    GByteArray *j = jpeg_head(0xC0, 640, 480, 3);
    assert_int_equal(parse_exact(j->data, j->len, &h, &err), SH_OK);
    assert_int_equal(h.width, 640);
    assert_int_equal(h.height, 480);
    assert_int_equal(h.components, 3);
    assert_false(h.adobe);
    assert_int_equal(h.orientation, 1);
    assert_true(h.xres == 0 && h.yres == 0);

    /* Adobe, JFIF, EXIF (big-endian) together; fill bytes before a marker; an RST-free COM. */
    jpeg_insert(j, 0xEE, "Adobe\0\x64\0\0\0\0\x01", 12);
    jpeg_insert(j, 0xFE, "scanned by a test", 17);
    GByteArray *exif = exif_block(true, 6, 600, 600, 2, 2);
    jpeg_exif(j, exif);
    g_byte_array_free(exif, TRUE);
    assert_int_equal(parse_exact(j->data, j->len, &h, &err), SH_OK);
    assert_true(h.adobe);
    assert_int_equal(h.orientation, 6);
    assert_true(h.xres == 300 && h.yres == 300);
    jpeg_jfif(j, 1, 150, 150); /* JFIF density first */
    assert_int_equal(parse_exact(j->data, j->len, &h, &err), SH_OK);
    assert_true(h.xres == 150 && h.yres == 150);
    assert_int_equal(h.orientation, 6);
    /* fill bytes (extra 0xFF) before a marker are allowed */
    GByteArray *fill = g_byte_array_new();
    g_byte_array_append(fill, (const uint8_t *)"\xFF\xD8\xFF\xFF\xFF", 5);
    g_byte_array_append(fill, j->data + 3, j->len - 3);
    assert_int_equal(parse_exact(fill->data, fill->len, &h, &err), SH_OK);
    assert_int_equal(h.width, 640);
    g_byte_array_free(fill, TRUE);

    /* Every prefix of it is refused (the scan header is never reached), without reading past
     * the bytes given. */
    for (size_t n = 0; n < j->len; n++) {
        sh_status st = parse_exact(j->data, n, &h, &err);
        if (st != SH_INPUT)
            fail_msg("a prefix of %zu bytes gave %d", n, st);
        assert_true(err.msg[0] != '\0');
    }
    g_byte_array_free(j, TRUE);

    /* What is refused, and how it is said. */
    static const struct {
        uint8_t sof;
        unsigned w, h;
        int n;
        const char *needle;
    } bad[] = {
        {0xC3, 10, 10, 1, "SOF3"},
        {0xCB, 10, 10, 1, "SOF11"},
        {0xC0, 10, 0, 1, "height comes after the image data"},
        {0xC0, 10, 10, 2, "2 colour components"},
        {0xC2, 10, 10, 0, "0 colour components"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GByteArray *b = jpeg_head(bad[i].sof, bad[i].w, bad[i].h, bad[i].n);
        assert_int_equal(parse_exact(b->data, b->len, &h, &err), SH_INPUT);
        test_assert_contains(err.msg, bad[i].needle);
        g_byte_array_free(b, TRUE);
    }
    static const struct {
        const char *bytes;
        size_t len;
        const char *needle;
    } raw[] = {
        {"GIF89a", 6, "not a JPEG file"},
        {"\xFF\xD8\xFF\xDA\0\x08\x01\x01\0\0\x3F\0", 12, "damaged JPEG markers"}, /* no SOF */
        {"\xFF\xD8\xFF\xD9\0\0", 6, "damaged JPEG markers"},                      /* EOI */
        {"\xFF\xD8\x00\xC0\0\0", 6, "damaged JPEG markers"},                      /* no FF */
        {"\xFF\xD8\xFF\xE0\x40\0JFIF", 10, "ends before its image data"},         /* length */
        {"\xFF\xD8\xFF\xE0\0\x01", 6, "ends before its image data"},              /* < 2 */
        {"\xFF\xD8\xFF\xC0\0\x05\x08\0\x10", 9, "damaged JPEG markers"},          /* short SOF */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(raw); i++) {
        if (parse_exact((const uint8_t *)raw[i].bytes, raw[i].len, &h, &err) != SH_INPUT)
            fail_msg("case %zu accepted", i);
        test_assert_contains(err.msg, raw[i].needle);
    }
}

static void exif_parse(const GByteArray *b, size_t len, int *o, double *x, double *y)
{
    uint8_t *copy = g_memdup2(b->data, len);
    in_exif_parse(copy, len, o, x, y);
    g_free(copy);
}

static void exif_parser_on_crafted_bytes(void **state)
{
    (void)state;
    int o;
    double x, y;
    for (int big = 0; big <= 1; big++) {
        GByteArray *b = exif_block(big, 8, 600, 300, 2, 2);
        exif_parse(b, b->len, &o, &x, &y);
        assert_int_equal(o, 8);
        assert_true(x == 300 && y == 150);
        /* Every prefix: no read past the end, and what is cut off is simply not there. */
        for (size_t n = 0; n < b->len; n++) {
            exif_parse(b, n, &o, &x, &y);
            assert_true(o == 1 || o == 8);
            assert_true((x == 0 && y == 0) || (x == 300 && y == 150));
        }
        g_byte_array_free(b, TRUE);

        /* Centimetres; an unknown unit gives no resolution. */
        b = exif_block(big, 0, 100, 100, 1, 3);
        exif_parse(b, b->len, &o, &x, &y);
        assert_int_equal(o, 1);
        assert_true(fabs(x - 254) < 1e-9 && fabs(y - 254) < 1e-9);
        g_byte_array_free(b, TRUE);
        b = exif_block(big, 0, 100, 100, 1, 7);
        exif_parse(b, b->len, &o, &x, &y);
        assert_true(x == 0 && y == 0);
        g_byte_array_free(b, TRUE);
        /* A zero denominator, an absurd resolution. */
        b = exif_block(big, 3, 300, 300, 0, 2);
        exif_parse(b, b->len, &o, &x, &y);
        assert_int_equal(o, 3);
        assert_true(x == 0 && y == 0);
        g_byte_array_free(b, TRUE);
        b = exif_block(big, 0, 4000000000u, 4000000000u, 1, 2);
        exif_parse(b, b->len, &o, &x, &y);
        assert_true(x == 0 && y == 0);
        g_byte_array_free(b, TRUE);

        /* Orientations out of 1..8 are read as 1. */
        static const uint32_t bad_o[] = {0, 9, 0xFFFF};
        for (size_t k = 0; k < G_N_ELEMENTS(bad_o); k++) {
            b = exif_block(big, 5, 0, 0, 0, 0);
            b->data[18] = (uint8_t)(big ? bad_o[k] >> 8 : bad_o[k]); /* the entry's value */
            b->data[19] = (uint8_t)(big ? bad_o[k] : bad_o[k] >> 8);
            exif_parse(b, b->len, &o, &x, &y);
            assert_int_equal(o, 1);
            g_byte_array_free(b, TRUE);
        }

        /* Offsets pointing outside the block are ignored, never followed. */
        b = exif_block(big, 6, 300, 300, 1, 2);
        GByteArray *c = g_byte_array_new();
        g_byte_array_append(c, b->data, b->len);
        for (int k = 0; k < 4; k++) /* the IFD offset */
            c->data[4 + k] = 0xFF;
        exif_parse(c, c->len, &o, &x, &y);
        assert_int_equal(o, 1);
        assert_true(x == 0);
        g_byte_array_set_size(c, 0);
        g_byte_array_append(c, b->data, b->len);
        c->data[4 + (big ? 3 : 0)] = (uint8_t)(b->len - 1); /* an IFD one byte from the end */
        exif_parse(c, c->len, &o, &x, &y);
        assert_int_equal(o, 1);
        /* the rationals' offsets past the end */
        g_byte_array_set_size(c, 0);
        g_byte_array_append(c, b->data, b->len);
        for (int e = 1; e <= 2; e++)
            for (int k = 0; k < 4; k++)
                c->data[8 + 2 + 12 * e + 8 + k] = 0xF0;
        exif_parse(c, c->len, &o, &x, &y);
        assert_int_equal(o, 6);
        assert_true(x == 0 && y == 0);
        /* an entry count far beyond the block */
        g_byte_array_set_size(c, 0);
        g_byte_array_append(c, b->data, b->len);
        c->data[8] = c->data[9] = 0xFF;
        exif_parse(c, c->len, &o, &x, &y);
        assert_int_equal(o, 6);
        g_byte_array_free(c, TRUE);
        g_byte_array_free(b, TRUE);
    }
    /* Not TIFF: byte orders mixed, the wrong magic, too short. */
    static const char *const junk[] = {"IM\x2A\0\x08\0\0\0", "II\x2B\0\x08\0\0\0", "MM\0\x2A\0\0\0",
                                       "Exif\0\0II"};
    for (size_t i = 0; i < G_N_ELEMENTS(junk); i++) {
        GByteArray *b = g_byte_array_new();
        g_byte_array_append(b, (const uint8_t *)junk[i], 8);
        exif_parse(b, i == 2 ? 7 : 8, &o, &x, &y);
        assert_int_equal(o, 1);
        assert_true(x == 0 && y == 0);
        g_byte_array_free(b, TRUE);
    }
}

/* ---------------------------------------------------------------------------------------------
 * 4. PNG.
 */

#define PPM_300 11811 /* pixels per metre: 299.9994 ppi */

static uint32_t crc32_of(const uint8_t *d, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= d[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static void be32_put(GByteArray *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    g_byte_array_append(b, x, 4);
}

/* A chunk with its right CRC. */
static void png_put_chunk(GByteArray *b, const char *type, const void *data, uint32_t n)
{
    be32_put(b, n);
    guint at = b->len;
    g_byte_array_append(b, (const uint8_t *)type, 4);
    if (n)
        g_byte_array_append(b, data, n);
    be32_put(b, crc32_of(b->data + at, 4 + n));
}

/* A PNG made by hand: the IHDR given, a pHYs, one IDAT of junk, IEND. */
static GByteArray *png_by_hand_i(uint32_t w, uint32_t h, int depth, int type, int interlace)
{
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, (const uint8_t *)"\x89PNG\r\n\x1a\n", 8);
    uint8_t ihdr[13] = {(uint8_t)(w >> 24),
                        (uint8_t)(w >> 16),
                        (uint8_t)(w >> 8),
                        (uint8_t)w,
                        (uint8_t)(h >> 24),
                        (uint8_t)(h >> 16),
                        (uint8_t)(h >> 8),
                        (uint8_t)h,
                        (uint8_t)depth,
                        (uint8_t)type,
                        0,
                        0,
                        (uint8_t)interlace};
    png_put_chunk(b, "IHDR", ihdr, 13);
    uint8_t phys[9] = {0, 0, 0x2E, 0x23, 0, 0, 0x2E, 0x23, 1};
    png_put_chunk(b, "pHYs", phys, 9);
    png_put_chunk(b, "IDAT", "\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
    png_put_chunk(b, "IEND", NULL, 0);
    return b;
}

static GByteArray *png_by_hand(uint32_t w, uint32_t h, int depth, int type)
{
    return png_by_hand_i(w, h, depth, type, 0);
}

/* Write a PNG, check how it is read, ingest it, check its image (and its /SMask). For data
 * copied as it is, the IDAT contents must be in the PDF verbatim. The PDF's path (g_free). */
static char *png_judge(fx *f, const char *name, const png_spec *s, const pic *want,
                       const pic *alpha, bool as_is)
{
    char *png = src_file(f, name);
    write_png(png, s);
    in_source *src = open_ok(png);
    assert_int_equal(src->kind, IN_KIND_PNG);
    assert_int_equal(src->pages[0].width, s->w);
    assert_int_equal(src->pages[0].height, s->h);
    assert_string_equal(src->pages[0].how, as_is ? "PNG data as is" : "decoded, Flate");
    in_source_close(src);
    char *pdf = ingest_file(f, png);
    qpdf_clean(pdf);
    img_row rows[4];
    int n = pdf_images(pdf, rows, 4);
    assert_int_equal(n, alpha ? 2 : 1);
    assert_string_equal(rows[0].type, "image");
    if (want) {
        pic got = extracted_image(pdf, 0, f->tmp);
        pic_assert_equal(&got, want, name);
        pic_free(&got);
    }
    if (alpha) {
        assert_string_equal(rows[1].type, "smask");
        assert_file_has(pdf, "/SMask");
        pic got = extracted_image(pdf, 1, f->tmp);
        pic_assert_equal(&got, alpha, "the /SMask");
        pic_free(&got);
    } else
        assert_false(file_has(pdf, "/SMask"));
    if (as_is) {
        int chunks;
        GByteArray *idat = png_idat(png, &chunks);
        if (idat->len > 64) /* several IDAT chunks: the PDF holds them end to end */
            assert_true(chunks > 1);
        size_t len;
        uint8_t *d = slurp(pdf, &len);
        if (!has_bytes(d, len, idat->data, idat->len))
            fail_msg("%s: the PNG's image data (%u bytes) is not in the PDF verbatim", name,
                     idat->len);
        g_free(d);
        g_byte_array_free(idat, TRUE);
    }
    g_free(png);
    return pdf;
}

static void png_opaque_data_is_copied(void **state)
{
    fx *f = *state;
    const uint32_t w = 61, h = 43;
    /* 1-bit grey: PNG's 0 is black */
    uint8_t *bw = bilevel_rows(w, h, false);
    pic bw_want = bilevel_pic(w, h);
    png_spec s = {
        .w = w, .h = h, .depth = 1, .color_type = PNG_COLOR_TYPE_GRAY, .ppm = PPM_300, .rows = bw};
    g_free(png_judge(f, "bw.png", &s, &bw_want, NULL, true));
    /* 8-bit grey, RGB */
    pic grey = grey_pic(w, h), rgb = rgb_pic(w, h);
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 8,
                   .color_type = PNG_COLOR_TYPE_GRAY,
                   .ppm = PPM_300,
                   .rows = grey.px};
    g_free(png_judge(f, "grey.png", &s, &grey, NULL, true));
    s.color_type = PNG_COLOR_TYPE_RGB;
    s.rows = rgb.px;
    char *pdf = png_judge(f, "rgb.png", &s, &rgb, NULL, true);
    assert_file_has(pdf, "/Predictor 15 /Colors 3 /BitsPerComponent 8 /Columns 61");
    g_free(pdf);
    /* palettes of 8 and 4 bits */
    for (int depth = 4; depth <= 8; depth += 4) {
        unsigned colours = depth == 8 ? 7 : 13;
        png_color pal[256];
        for (unsigned i = 0; i < colours; i++)
            pal[i] = (png_color){(png_byte)palette_colour(i, 0), (png_byte)palette_colour(i, 1),
                                 (png_byte)palette_colour(i, 2)};
        size_t stride = ((size_t)w * depth + 7) / 8;
        uint8_t *idx = g_malloc0(stride * h);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                unsigned i = index_at(x, y, colours);
                if (depth == 8)
                    idx[y * stride + x] = (uint8_t)i;
                else
                    idx[y * stride + x / 2] |= (uint8_t)(x % 2 ? i : i << 4);
            }
        s = (png_spec){.w = w,
                       .h = h,
                       .depth = depth,
                       .color_type = PNG_COLOR_TYPE_PALETTE,
                       .palette = pal,
                       .n_palette = (int)colours,
                       .ppm = PPM_300,
                       .rows = idx};
        pic want = palette_pic(w, h, colours);
        pdf = png_judge(f, depth == 8 ? "palette8.png" : "palette4.png", &s, &want, NULL, true);
        char *indexed = g_strdup_printf("/Indexed /DeviceRGB %u <", colours - 1);
        assert_file_has(pdf, indexed);
        g_free(indexed);
        g_free(pdf);
        pic_free(&want);
        g_free(idx);
    }
    pic_free(&grey);
    pic_free(&rgb);
    pic_free(&bw_want);
    g_free(bw);
}

static void png_16_bit_needs_pdf_1_5(void **state)
{
    fx *f = *state;
    const uint32_t w = 37, h = 21;
    pic want = grey16_pic(w, h);
    png_spec s = {.w = w,
                  .h = h,
                  .depth = 16,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .ppm = PPM_300,
                  .rows = want.px};
    char *pdf = png_judge(f, "grey16.png", &s, NULL, NULL, true);
    char *info = pdfinfo(pdf, NULL);
    test_assert_contains(info, "PDF version:     1.5");
    img_row rows[2];
    assert_int_equal(pdf_images(pdf, rows, 2), 1);
    assert_int_equal(rows[0].bpc, 16);
    size_t len;
    uint8_t *samples = stream_data(pdf, rows[0].object, f->tmp, &len);
    assert_int_equal(len, (size_t)w * h * 2);
    pic got = {w, h, 1, 16, samples};
    pic_assert_equal(&got, &want, "grey16.png");
    g_free(samples);
    g_free(info);
    g_free(pdf);

    /* 16-bit grey with alpha: decoded, both planes 16-bit. */
    pic ga = pic_new(w, h, 2, 16), alpha = pic_new(w, h, 1, 16);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            pic_set(&ga, x, y, 0, grey16_at(x, y, w));
            pic_set(&ga, x, y, 1, alpha_at(x, y) * 257);
            pic_set(&alpha, x, y, 0, alpha_at(x, y) * 257);
        }
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 16,
                   .color_type = PNG_COLOR_TYPE_GRAY_ALPHA,
                   .ppm = PPM_300,
                   .rows = ga.px};
    char *png = src_file(f, "grey16a.png");
    write_png(png, &s);
    pdf = ingest_file(f, png);
    qpdf_clean(pdf);
    assert_int_equal(pdf_images(pdf, rows, 2), 2);
    assert_string_equal(rows[1].type, "smask");
    assert_int_equal(rows[0].bpc, 16);
    assert_int_equal(rows[1].bpc, 16);
    pic grey16 = grey16_pic(w, h);
    /* pdfimages -list gives a soft mask the object number of its image: take the /SMask's */
    uint8_t *body = slurp(pdf, &len);
    const uint8_t *ref = memmem(body, len, "/SMask ", 7);
    assert_non_null(ref);
    int objects[2] = {rows[0].object, atoi((const char *)ref + 7)};
    g_free(body);
    assert_true(objects[1] > 0 && objects[1] != objects[0]);
    for (int i = 0; i < 2; i++) {
        samples = stream_data(pdf, objects[i], f->tmp, &len);
        assert_int_equal(len, (size_t)w * h * 2);
        got = (pic){w, h, 1, 16, samples};
        pic_assert_equal(&got, i ? &alpha : &grey16, i ? "16-bit alpha" : "16-bit grey");
        g_free(samples);
    }
    pic_free(&grey16);
    g_free(png);
    g_free(pdf);
    pic_free(&ga);
    pic_free(&alpha);
    pic_free(&want);
}

static void png_transparency_becomes_a_soft_mask(void **state)
{
    fx *f = *state;
    const uint32_t w = 29, h = 19;
    pic rgb = rgb_pic(w, h), grey = grey_pic(w, h), alpha = pic_new(w, h, 1, 8);
    pic rgba = pic_new(w, h, 4, 8), ga = pic_new(w, h, 2, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            for (int c = 0; c < 3; c++)
                pic_set(&rgba, x, y, c, pic_get(&rgb, x, y, c));
            pic_set(&rgba, x, y, 3, alpha_at(x, y));
            pic_set(&ga, x, y, 0, pic_get(&grey, x, y, 0));
            pic_set(&ga, x, y, 1, alpha_at(x, y));
            pic_set(&alpha, x, y, 0, alpha_at(x, y));
        }
    png_spec s = {.w = w,
                  .h = h,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_RGB_ALPHA,
                  .ppm = PPM_300,
                  .rows = rgba.px};
    g_free(png_judge(f, "rgba.png", &s, &rgb, &alpha, false));
    s.color_type = PNG_COLOR_TYPE_GRAY_ALPHA;
    s.rows = ga.px;
    g_free(png_judge(f, "ga.png", &s, &grey, &alpha, false));

    /* A palette with tRNS: colours from the palette, alpha from tRNS (255 past its end). */
    const unsigned colours = 6;
    png_color pal[6];
    for (unsigned i = 0; i < colours; i++)
        pal[i] = (png_color){(png_byte)palette_colour(i, 0), (png_byte)palette_colour(i, 1),
                             (png_byte)palette_colour(i, 2)};
    static const uint8_t trns[4] = {255, 0, 128, 7};
    uint8_t *idx = g_malloc((size_t)w * h);
    pic pal_alpha = pic_new(w, h, 1, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            unsigned i = index_at(x, y, colours);
            idx[y * w + x] = (uint8_t)i;
            pic_set(&pal_alpha, x, y, 0, i < 4 ? trns[i] : 255);
        }
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 8,
                   .color_type = PNG_COLOR_TYPE_PALETTE,
                   .palette = pal,
                   .n_palette = (int)colours,
                   .trns = trns,
                   .n_trns = 4,
                   .ppm = PPM_300,
                   .rows = idx};
    pic want = palette_pic(w, h, colours);
    g_free(png_judge(f, "palette-trns.png", &s, &want, &pal_alpha, false));
    pic_free(&want);
    pic_free(&pal_alpha);
    g_free(idx);
    pic_free(&rgb);
    pic_free(&grey);
    pic_free(&alpha);
    pic_free(&rgba);
    pic_free(&ga);
}

static void png_interlaced_is_decoded(void **state)
{
    fx *f = *state;
    const uint32_t w = 45, h = 33;
    pic rgb = rgb_pic(w, h);
    png_spec s = {.w = w,
                  .h = h,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_RGB,
                  .interlace = true,
                  .ppm = PPM_300,
                  .rows = rgb.px};
    g_free(png_judge(f, "interlaced.png", &s, &rgb, NULL, false));
    uint8_t *bw = bilevel_rows(w, h, false);
    pic bw_want = bilevel_pic(w, h);
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 1,
                   .color_type = PNG_COLOR_TYPE_GRAY,
                   .interlace = true,
                   .ppm = PPM_300,
                   .rows = bw};
    g_free(png_judge(f, "interlaced-bw.png", &s, &bw_want, NULL, false));
    pic_free(&bw_want);
    g_free(bw);
    pic_free(&rgb);
}

static void png_resolution_from_phys(void **state)
{
    fx *f = *state;
    pic grey = grey_pic(20, 10);
    png_spec s = {.w = 20,
                  .h = 10,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .ppm = PPM_300,
                  .rows = grey.px};
    char *png = src_file(f, "dpi.png");
    write_png(png, &s);
    in_source *src = open_ok(png);
    assert_true(fabs(src->pages[0].xres - 300) < 0.01 && fabs(src->pages[0].yres - 300) < 0.01);
    in_source_close(src);
    s.ppm = 3937; /* 99.9998 ppi */
    write_png(png, &s);
    src = open_ok(png);
    assert_true(fabs(src->pages[0].xres - 100) < 0.01);
    in_source_close(src);
    /* No pHYs: no resolution, and the document must say one. */
    s.ppm = 0;
    char *bare = src_file(f, "bare.png");
    write_png(bare, &s);
    src = open_ok(bare);
    assert_true(src->pages[0].xres == 0);
    in_source_close(src);
    char *sources[] = {bare};
    ingest_refused(f, sources, 1, SH_INPUT,
                   "bare.png, page 1: the image does not say its resolution");
    in_document d = doc_for(sources, 1);
    d.dpi = 72;
    in_result r;
    ingest_ok(f, &d, &r);
    char *info = pdfinfo(r.path, NULL);
    test_assert_contains(info, "Page size:       20 x 10 pts");
    g_free(info);
    in_result_clear(&r);
    g_free(bare);
    g_free(png);
    pic_free(&grey);
}

static void png_damaged_is_refused(void **state)
{
    fx *f = *state;
    pic rgb = rgb_pic(40, 30);
    png_spec s = {.w = 40,
                  .h = 30,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_RGB,
                  .ppm = PPM_300,
                  .rows = rgb.px};
    char *good = src_file(f, "good.png");
    write_png(good, &s);
    size_t len;
    uint8_t *d = slurp(good, &len);

    /* One bit flipped inside the image data: the chunk's CRC says so. */
    size_t idat = png_chunk(d, len, "IDAT");
    assert_true(idat > 0);
    uint8_t *flipped = g_memdup2(d, len);
    flipped[idat + 8 + 5] ^= 0x10;
    char *crc = src_file(f, "crc.png");
    put(crc, flipped, len);
    open_refused(crc, NULL, "bad chunk checksum");
    char *sources[] = {crc};
    ingest_refused(f, sources, 1, SH_INPUT, "crc.png");
    g_free(flipped);
    /* Cut in half, and without its IEND chunk. */
    char *half = src_file(f, "half.png");
    put(half, d, len / 2);
    open_refused(half, NULL, "the PNG file is damaged or truncated");
    char *no_end = src_file(f, "no-end.png");
    put(no_end, d, len - 12);
    open_refused(no_end, NULL, "no IEND chunk");
    char *sig = src_file(f, "sig.png");
    put(sig, d, 8);
    open_refused(sig, NULL, "sig.png");
    g_free(d);

    /* Hand-made: no PLTE for a palette image, a bit depth PNG does not have, IHDR not first. */
    GByteArray *b = png_by_hand(10, 10, 8, 3);
    char *no_plte = src_file(f, "no-plte.png");
    put(no_plte, b->data, b->len);
    open_refused(no_plte, NULL, "no palette");
    g_byte_array_free(b, TRUE);
    b = png_by_hand(10, 10, 3, 0);
    char *depth = src_file(f, "depth.png");
    put(depth, b->data, b->len);
    open_refused(depth, NULL, "IHDR");
    g_byte_array_free(b, TRUE);
    b = png_by_hand(10, 10, 8, 0);
    char *fine = src_file(f, "fine.png");
    put(fine, b->data, b->len);
    in_source_close(open_ok(fine)); /* the hand-made file itself is well formed */
    /* swap IHDR (25 bytes at 8) and pHYs (21 bytes at 33) */
    GByteArray *swapped = g_byte_array_new();
    g_byte_array_append(swapped, b->data, 8);
    g_byte_array_append(swapped, b->data + 33, 21);
    g_byte_array_append(swapped, b->data + 8, 25);
    g_byte_array_append(swapped, b->data + 54, b->len - 54);
    char *order = src_file(f, "order.png");
    put(order, swapped->data, swapped->len);
    open_refused(order, NULL, "IHDR not first");
    g_byte_array_free(swapped, TRUE);
    g_byte_array_free(b, TRUE);

    /* 35000 × 35000 claimed by a 100-byte file: refused on the limits, at once. */
    b = png_by_hand(35000, 35000, 8, 0);
    char *huge = src_file(f, "huge.png");
    put(huge, b->data, b->len);
    gint64 t0 = g_get_monotonic_time();
    open_refused(huge, NULL, "35000 × 35000 pixels, more than the limit");
    assert_true(g_get_monotonic_time() - t0 < 500000);
    g_byte_array_free(b, TRUE);

    g_free(huge);
    g_free(order);
    g_free(fine);
    g_free(depth);
    g_free(no_plte);
    g_free(sig);
    g_free(no_end);
    g_free(half);
    g_free(crc);
    g_free(good);
    pic_free(&rgb);
}

static void png_more_layouts(void **state)
{
    fx *f = *state;
    const uint32_t w = 29, h = 19;
    img_row rows[4];

    /* Grey with a colour key: the key's pixels are transparent */
    pic grey = grey_pic(w, h), alpha = pic_new(w, h, 1, 8);
    unsigned key = grey_at(5, 0, w);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&alpha, x, y, 0, grey_at(x, y, w) == key ? 0 : 255);
    png_color_16 k = {.gray = (png_uint_16)key};
    png_spec s = {.w = w,
                  .h = h,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .trns_colour = &k,
                  .ppm = PPM_300,
                  .rows = grey.px};
    g_free(png_judge(f, "grey-key.png", &s, &grey, &alpha, false));

    /* RGB with a colour key */
    pic rgb = rgb_pic(w, h);
    png_color_16 kc = {.red = (png_uint_16)rgb_at(3, 2, w, h, 0),
                       .green = (png_uint_16)rgb_at(3, 2, w, h, 1),
                       .blue = (png_uint_16)rgb_at(3, 2, w, h, 2)};
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            bool same = true;
            for (int c = 0; c < 3; c++)
                same &= pic_get(&rgb, x, y, c) == pic_get(&rgb, 3, 2, c);
            pic_set(&alpha, x, y, 0, same ? 0 : 255);
        }
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 8,
                   .color_type = PNG_COLOR_TYPE_RGB,
                   .trns_colour = &kc,
                   .ppm = PPM_300,
                   .rows = rgb.px};
    g_free(png_judge(f, "rgb-key.png", &s, &rgb, &alpha, false));

    /* A 4-bit palette with tRNS */
    const unsigned colours = 9;
    png_color pal[16];
    for (unsigned i = 0; i < colours; i++)
        pal[i] = (png_color){(png_byte)palette_colour(i, 0), (png_byte)palette_colour(i, 1),
                             (png_byte)palette_colour(i, 2)};
    static const uint8_t trns[3] = {0, 90, 255};
    uint8_t *idx = pack_indices(w, h, 4, colours);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            unsigned i = index_at(x, y, colours);
            pic_set(&alpha, x, y, 0, i < 3 ? trns[i] : 255);
        }
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 4,
                   .color_type = PNG_COLOR_TYPE_PALETTE,
                   .palette = pal,
                   .n_palette = (int)colours,
                   .trns = trns,
                   .n_trns = 3,
                   .ppm = PPM_300,
                   .rows = idx};
    pic want = palette_pic(w, h, colours);
    g_free(png_judge(f, "palette4-trns.png", &s, &want, &alpha, false));
    pic_free(&want);
    g_free(idx);

    /* 2-bit grey, as is: 0, 85, 170, 255 */
    idx = pack_indices(w, h, 2, 4);
    want = pic_new(w, h, 1, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&want, x, y, 0, index_at(x, y, 4) * 85);
    s = (png_spec){
        .w = w, .h = h, .depth = 2, .color_type = PNG_COLOR_TYPE_GRAY, .ppm = PPM_300, .rows = idx};
    g_free(png_judge(f, "grey2.png", &s, &want, NULL, true));
    pic_free(&want);
    g_free(idx);

    /* 16-bit RGB, as is */
    pic rgb16 = pic_new(w, h, 3, 16);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                pic_set(&rgb16, x, y, c, (rgb_at(x, y, w, h, c) * 257) ^ (y * 5 + x));
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 16,
                   .color_type = PNG_COLOR_TYPE_RGB,
                   .ppm = PPM_300,
                   .rows = rgb16.px};
    char *pdf = png_judge(f, "rgb16.png", &s, NULL, NULL, true);
    assert_int_equal(pdf_images(pdf, rows, 4), 1);
    assert_stream_samples(f, pdf, rows[0].object, &rgb16, "16-bit RGB PNG");
    g_free(pdf);

    /* Interlaced 16-bit RGBA: decoded, colour and /SMask 16-bit */
    pic rgba16 = pic_new(w, h, 4, 16), alpha16 = pic_new(w, h, 1, 16);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            for (int c = 0; c < 3; c++)
                pic_set(&rgba16, x, y, c, pic_get(&rgb16, x, y, c));
            pic_set(&rgba16, x, y, 3, alpha_at(x, y) * 257 + 1);
            pic_set(&alpha16, x, y, 0, alpha_at(x, y) * 257 + 1);
        }
    s = (png_spec){.w = w,
                   .h = h,
                   .depth = 16,
                   .color_type = PNG_COLOR_TYPE_RGB_ALPHA,
                   .interlace = true,
                   .ppm = PPM_300,
                   .rows = rgba16.px};
    char *png = src_file(f, "rgba16-interlaced.png");
    write_png(png, &s);
    pdf = ingest_file(f, png);
    qpdf_clean(pdf);
    assert_int_equal(pdf_images(pdf, rows, 4), 2);
    size_t len;
    uint8_t *body = slurp(pdf, &len);
    const uint8_t *ref = memmem(body, len, "/SMask ", 7);
    assert_non_null(ref);
    int smask = atoi((const char *)ref + 7);
    g_free(body);
    assert_stream_samples(f, pdf, rows[0].object, &rgb16, "interlaced 16-bit colour");
    assert_stream_samples(f, pdf, smask, &alpha16, "interlaced 16-bit alpha");
    g_free(pdf);
    g_free(png);
    pic_free(&rgba16);
    pic_free(&alpha16);
    pic_free(&rgb16);
    pic_free(&rgb);
    pic_free(&grey);
    pic_free(&alpha);
}

static void png_crafted_headers_are_refused(void **state)
{
    fx *f = *state;
    GByteArray *b = png_by_hand(0, 10, 8, 0);
    char *zero = src_file(f, "zero.png");
    put(zero, b->data, b->len);
    open_refused(zero, NULL, "the image has no pixels");
    g_byte_array_free(b, TRUE);

    /* A chunk that says it is 2 GB long: refused on its length, nothing read or allocated */
    b = png_by_hand(10, 10, 8, 0);
    GByteArray *big = g_byte_array_new();
    g_byte_array_append(big, b->data, 33); /* signature and IHDR */
    be32_put(big, 0x7FFFFFF0u);
    g_byte_array_append(big, (const uint8_t *)"tEXtComment\0", 12);
    char *huge_chunk = src_file(f, "chunk.png");
    put(huge_chunk, big->data, big->len);
    gint64 t0 = g_get_monotonic_time();
    open_refused(huge_chunk, NULL, "chunk too large");
    assert_true(g_get_monotonic_time() - t0 < 500000);
    g_byte_array_free(big, TRUE);

    /* IDAT chunks split by another chunk */
    GByteArray *split = g_byte_array_new();
    g_byte_array_append(split, b->data, b->len - 12 - 20); /* up to the IDAT */
    png_put_chunk(split, "IDAT", "\x78\x9c", 2);
    png_put_chunk(split, "tEXt", "a\0b", 3);
    png_put_chunk(split, "IDAT", "\x03\x00\x00\x00\x00\x01", 6);
    png_put_chunk(split, "IEND", NULL, 0);
    char *apart = src_file(f, "apart.png");
    put(apart, split->data, split->len);
    open_refused(apart, NULL, "IDAT chunks not together");
    g_byte_array_free(split, TRUE);
    g_byte_array_free(b, TRUE);

    /* Interlaced and too large to decode whole */
    b = png_by_hand_i(20000, 20000, 8, 2, 1);
    char *inter = src_file(f, "inter.png");
    put(inter, b->data, b->len);
    open_refused(inter, NULL, "an interlaced PNG this large (20000 × 20000)");
    g_byte_array_free(b, TRUE);
    g_free(inter);
    g_free(apart);
    g_free(huge_chunk);
    g_free(zero);
}

/* ---------------------------------------------------------------------------------------------
 * 5. Documents, end to end in a workspace.
 */

static char *small_tiff(fx *f, const char *name, uint32_t w, uint32_t h, float xres)
{
    uint8_t *rows;
    tiff_spec s = bilevel_spec(w, h, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &rows);
    s.xres = xres;
    char *path = src_file(f, name);
    write_tiff(path, &s, 1);
    g_free(rows);
    return path;
}

static int64_t count(fx *f, const char *sql) { return fx_int(sh_ledger_db(f->ledger), sql); }

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What is in the folder (names, sorted, joined by '|'). g_free() it. */
static char *listing(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d)))
            g_ptr_array_add(names, g_strdup(n));
        g_dir_close(d);
    }
    g_ptr_array_sort(names, by_name);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? "|" : "", (char *)names->pdata[i]);
    g_ptr_array_free(names, TRUE);
    return g_string_free(s, FALSE);
}

static void document_a4_page_is_named_and_described(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "a4.tif", 2480, 3508, 300);
    char *sources[] = {tif};
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".pdf");
    char *want = g_build_filename(f->root, FOLDER, LYLICH ".pdf", NULL);
    assert_string_equal(r.path, want);
    assert_int_equal(r.seq, 0);
    assert_int_equal(r.pages, 1);
    assert_false(r.copied_pdf);
    struct stat sb;
    assert_int_equal(stat(r.path, &sb), 0);
    assert_int_equal(r.bytes, (uint64_t)sb.st_size);
    char *sha = sha256_of(r.path);
    assert_string_equal(r.sha256, sha);

    qpdf_clean(r.path);
    char *info = pdfinfo(r.path, NULL);
    test_assert_contains(info, "Page size:       595.2 x 841.92 pts (A4)");
    test_assert_contains(info, "Title:           Lý lịch đảng viên");
    test_assert_contains(info, "Subject:         Tổ chức đảng " ORG);
    test_assert_contains(info, PERSON);
    test_assert_contains(info, "Pages:           1");
    test_assert_contains(info, "PDF version:     1.4");
    test_assert_contains(info, "Producer:        sohoa");
    assert_file_has(r.path, "/CreationDate (D:20261118110640");
    char *meta = pdfinfo(r.path, "-meta");
    test_assert_contains(meta, "<x:xmpmeta");
    test_assert_contains(meta,
                         "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Lý lịch đảng viên");
    test_assert_contains(meta, "<xmp:CreateDate>2026-11-18T11:06:40Z</xmp:CreateDate>");
    img_row rows[2];
    assert_int_equal(pdf_images(r.path, rows, 2), 1);
    assert_string_equal(rows[0].enc, "ccitt");
    assert_int_equal(rows[0].width, 2480);
    assert_int_equal(f->warnings->len, 0);
    g_free(meta);
    g_free(info);
    g_free(sha);
    g_free(want);
    in_result_clear(&r);
    g_free(tif);
}

static void document_is_deterministic(void **state)
{
    fx *f = *state;
    /* three kinds of source in one document */
    char *tif = small_tiff(f, "1.tif", 200, 150, 300);
    GByteArray *j = jpeg_of(jpeg_rgb, sizeof jpeg_rgb);
    jpeg_jfif(j, 1, 300, 300);
    char *jpg = jpeg_file(f, "2.jpg", j);
    g_byte_array_free(j, TRUE);
    pic rgba = pic_new(30, 20, 4, 8);
    for (uint32_t y = 0; y < 20; y++)
        for (uint32_t x = 0; x < 30; x++)
            for (int c = 0; c < 4; c++)
                pic_set(&rgba, x, y, c, c == 3 ? alpha_at(x, y) : rgb_at(x, y, 30, 20, c));
    png_spec s = {.w = 30,
                  .h = 20,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_RGB_ALPHA,
                  .ppm = PPM_300,
                  .rows = rgba.px};
    char *png = src_file(f, "3.png");
    write_png(png, &s);
    char *sources[] = {tif, jpg, png};
    in_document d = doc_for(sources, 3);
    in_result r1, r2, r3;
    ingest_ok(f, &d, &r1);
    assert_int_equal(r1.pages, 3);

    char *root2 = g_build_filename(f->tmp, "ws2", NULL),
         *root3 = g_build_filename(f->tmp, "ws3", NULL);
    sh_ledger *l2 = make_workspace(root2), *l3 = make_workspace(root3);
    in_context c2, c3;
    fx_context(f, root2, l2, &c2);
    fx_context(f, root3, l3, &c3);
    c3.creation_time = FIXED_TIME + 86400;
    sh_error err;
    assert_int_equal(in_ingest_document(&d, &c2, &r2, &err), SH_OK);
    assert_int_equal(in_ingest_document(&d, &c3, &r3, &err), SH_OK);
    assert_string_equal(r1.rel_path, r2.rel_path);
    assert_files_equal(r1.path, r2.path);
    assert_string_equal(r1.sha256, r2.sha256);
    /* The creation time is the only thing that differs here, and it shows. */
    assert_string_not_equal(r1.sha256, r3.sha256);
    assert_file_has(r3.path, "/CreationDate (D:20261119110640");
    qpdf_clean(r1.path);
    in_result_clear(&r1);
    in_result_clear(&r2);
    in_result_clear(&r3);
    sh_ledger_close(l2);
    sh_ledger_close(l3);
    g_free(root2);
    g_free(root3);
    pic_free(&rgba);
    g_free(tif);
    g_free(jpg);
    g_free(png);
}

static void document_never_replaces_a_file(void **state)
{
    fx *f = *state;
    char *a = small_tiff(f, "a.tif", 100, 80, 300), *b = small_tiff(f, "b.tif", 90, 70, 300);
    char *sources[] = {a};
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    char *first = sha256_of(r.path);
    char *path = g_strdup(r.path);
    in_result_clear(&r);

    /* The same type again, without a Seq: refused, saying how to go on. */
    sources[0] = b;
    sh_error err;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, FOLDER "/" LYLICH ".pdf already exists");
    test_assert_contains(err.msg, LYLICH ".1.pdf"); /* what to rename it to */
    assert_null(r.path);
    /* … and with a Seq, or more expected: the unnumbered one must be renamed first */
    d.seq = 1;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, LYLICH ".pdf already exists");
    d.seq = 0;
    d.more_expected = true;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    char *after = sha256_of(path);
    assert_string_equal(after, first);
    char *dir = g_build_filename(f->root, FOLDER, NULL);
    char *files = listing(dir);
    assert_string_equal(files, LYLICH ".pdf");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'document.ingest'"), 1);

    /* Another type in the same dossier is fine. */
    d.type_stt = 3;
    d.more_expected = false;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/03.Phieu dang vien.pdf");
    in_result_clear(&r);
    g_free(files);
    g_free(dir);
    g_free(after);
    g_free(first);
    g_free(path);
    g_free(a);
    g_free(b);
}

static void document_seq_rules(void **state)
{
    fx *f = *state;
    /* Each document from other files: the same files again would be a re-run (already done). */
    char *a = small_tiff(f, "a.tif", 100, 80, 300), *b = small_tiff(f, "b.tif", 101, 80, 300);
    char *c = small_tiff(f, "c.tif", 102, 80, 300), *e = small_tiff(f, "e.tif", 103, 80, 300);
    char *g = small_tiff(f, "g.tif", 104, 80, 300), *h = small_tiff(f, "h.tif", 105, 80, 300);
    char *sources[] = {a};
    in_document d = doc_for(sources, 1);
    in_result r;
    /* Several expected, none there yet: the first is .1 */
    d.more_expected = true;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 1);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".1.pdf");
    in_result_clear(&r);
    /* The type has a Seq: the next free one, more expected or not */
    d.more_expected = false;
    sources[0] = b;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 2);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".2.pdf");
    char *two = g_strdup(r.path), *two_sha = sha256_of(two);
    in_result_clear(&r);
    sources[0] = c;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 3);
    in_result_clear(&r);
    /* A Seq given that is taken: refused, the file left as it is */
    d.seq = 2;
    sources[0] = e;
    sh_error err;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, LYLICH ".2.pdf already exists");
    char *after = sha256_of(two);
    assert_string_equal(after, two_sha);
    /* A Seq given that is free is used; the next free one follows the highest */
    d.seq = 9;
    sources[0] = g;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".9.pdf");
    in_result_clear(&r);
    /* A signed copy counts as taken */
    nm_file_id id = {nm_catalog_find(2), 11, true};
    char *signed_name = nm_canonical_file_name(&id, &f->rules);
    char *signed_path = g_build_filename(f->root, FOLDER, signed_name, NULL);
    test_write(signed_path, "%PDF-1.4\n", 9);
    d.seq = 0;
    sources[0] = h;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 12);
    in_result_clear(&r);
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 5);
    assert_int_equal(count(f, "SELECT count(*) FROM documents WHERE seq = 12"), 1);
    g_free(signed_name);
    g_free(signed_path);
    g_free(after);
    g_free(two);
    g_free(two_sha);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(e);
    g_free(g);
    g_free(h);
}

static void document_with_a_bad_source_writes_nothing(void **state)
{
    fx *f = *state;
    char *good = small_tiff(f, "1.tif", 100, 80, 300);
    GByteArray *j = jpeg_of(jpeg_grey, sizeof jpeg_grey);
    jpeg_jfif(j, 1, 300, 300);
    char *jpg = jpeg_file(f, "3.jpg", j);
    g_byte_array_free(j, TRUE);
    pic grey = grey_pic(40, 30);
    png_spec s = {.w = 40,
                  .h = 30,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .ppm = PPM_300,
                  .rows = grey.px};
    char *png = src_file(f, "2.png");
    write_png(png, &s);
    size_t len;
    uint8_t *d = slurp(png, &len);
    put(png, d, len - 12); /* no IEND */
    g_free(d);
    char *sources[] = {good, png, jpg};
    ingest_refused(f, sources, 3, SH_INPUT, "2.png");
    char *org = g_build_filename(f->root, ORG, NULL);
    assert_false(exists(org));
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM dossiers"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1); /* workspace.init */

    /* A source whose headers are fine but whose data is not: found while writing. The folders
     * made for it go again, and no temporary file stays behind. */
    tiff_spec ts = {.w = 40,
                    .h = 30,
                    .bits = 8,
                    .spp = 1,
                    .photo = PHOTOMETRIC_MINISBLACK,
                    .comp = COMPRESSION_LZW,
                    .xres = 300,
                    .rows = grey.px};
    char *lzw = src_file(f, "4.tif");
    write_tiff(lzw, &ts, 1);
    TIFF *t = TIFFOpen(lzw, "r");
    uint64_t *offs = NULL, *counts = NULL;
    assert_true(TIFFGetField(t, TIFFTAG_STRIPOFFSETS, &offs));
    assert_true(TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts));
    uint64_t off = offs[0], n = counts[0];
    TIFFClose(t);
    d = slurp(lzw, &len);
    memset(d + off, 0xFF, n);
    put(lzw, d, len);
    g_free(d);
    in_source_close(open_ok(lzw)); /* the headers pass */
    char *sources2[] = {good, lzw};
    ingest_refused(f, sources2, 2, SH_INPUT, "4.tif");
    assert_false(exists(org));
    char *top = listing(f->root);
    assert_string_equal(top, ".sohoa|sohoa.ini");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 0);

    /* In a dossier that exists: it is left as it was. */
    char *only_good[] = {good};
    in_document doc = doc_for(only_good, 1);
    doc.type_stt = 3;
    in_result r;
    ingest_ok(f, &doc, &r);
    in_result_clear(&r);
    ingest_refused(f, sources2, 2, SH_INPUT, "4.tif");
    char *dir = g_build_filename(f->root, FOLDER, NULL);
    char *files = listing(dir);
    assert_string_equal(files, "03.Phieu dang vien.pdf");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 1);
    g_free(files);
    g_free(dir);
    g_free(top);
    g_free(lzw);
    g_free(org);
    pic_free(&grey);
    g_free(good);
    g_free(jpg);
    g_free(png);
}

static void document_is_recorded_in_the_ledger(void **state)
{
    fx *f = *state;
    uint8_t *bw;
    pic grey = grey_pic(40, 30);
    tiff_spec pages[2];
    pages[0] = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &bw);
    pages[1] = (tiff_spec){.w = 40,
                           .h = 30,
                           .bits = 8,
                           .spp = 1,
                           .photo = PHOTOMETRIC_MINISBLACK,
                           .comp = COMPRESSION_LZW,
                           .xres = 300,
                           .rows = grey.px};
    char *a = src_file(f, "a.tif");
    write_tiff(a, pages, 2);
    png_spec s = {.w = 40,
                  .h = 30,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .ppm = PPM_300,
                  .rows = grey.px};
    char *b = src_file(f, "b.png");
    write_png(b, &s);
    GByteArray *j = jpeg_of(jpeg_rgb, sizeof jpeg_rgb);
    jpeg_jfif(j, 1, 300, 300);
    char *c = jpeg_file(f, "c.jpg", j);
    g_byte_array_free(j, TRUE);
    char *sources[] = {a, b, c};
    in_document d = doc_for(sources, 3);
    d.expected_pages = 4;
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.pages, 4);
    char *sha = sha256_of(r.path);
    assert_string_equal(r.sha256, sha);

    sqlite3 *db = sh_ledger_db(f->ledger);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM documents"), 1);
    char *path = fx_text(db, "SELECT path FROM documents");
    assert_string_equal(path, FOLDER "/" LYLICH ".pdf");
    char *dsha = fx_text(db, "SELECT sha256 FROM documents");
    assert_string_equal(dsha, sha);
    assert_int_equal(fx_int(db, "SELECT pages FROM documents"), 4);
    assert_int_equal(fx_int(db, "SELECT expected_pages FROM documents"), 4);
    assert_int_equal(fx_int(db, "SELECT type_stt FROM documents"), 2);
    assert_int_equal(fx_int(db, "SELECT seq IS NULL FROM documents"), 1);
    char *folder = fx_text(db, "SELECT folder FROM dossiers");
    assert_string_equal(folder, FOLDER);
    char *person = fx_text(db, "SELECT person_name FROM dossiers");
    assert_string_equal(person, PERSON);
    char *org = fx_text(db, "SELECT org_code || ' ' || cccd FROM dossiers");
    assert_string_equal(org, ORG " " CCCD);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM documents d JOIN dossiers o ON "
                                "d.dossier_id = o.id"),
                     1);

    /* One row per source, in page order, each with the source's own hash. */
    assert_int_equal(fx_int(db, "SELECT count(*) FROM document_sources"), 3);
    static const int pages_of[3] = {2, 1, 1};
    for (int i = 0; i < 3; i++) {
        char *q = g_strdup_printf("SELECT path FROM document_sources WHERE position = %d", i + 1);
        char *p = fx_text(db, q);
        assert_string_equal(p, sources[i]);
        g_free(q);
        q = g_strdup_printf("SELECT sha256 FROM document_sources WHERE position = %d", i + 1);
        char *h = fx_text(db, q), *want = sha256_of(sources[i]);
        assert_string_equal(h, want);
        g_free(q);
        q = g_strdup_printf("SELECT pages FROM document_sources WHERE position = %d", i + 1);
        assert_int_equal(fx_int(db, q), pages_of[i]);
        g_free(q);
        g_free(p);
        g_free(h);
        g_free(want);
    }
    assert_int_equal(fx_int(db, "SELECT count(*) FROM document_sources s JOIN documents d ON "
                                "s.document_id = d.id"),
                     3);

    /* The audit entry, the same transaction's id on the rows. */
    fx_entries e = fx_each(f->ledger, NULL);
    assert_int_equal(e.n, 2);
    sh_audit_entry *last = &e.items[1];
    assert_string_equal(last->action, "document.ingest");
    assert_string_equal(last->subject, FOLDER "/" LYLICH ".pdf");
    assert_string_equal(last->station, "HN-01");
    assert_string_equal(last->operator_name, "Nguyễn Thị Thu");
    test_assert_contains(last->details, sha);
    test_assert_contains(last->details, "\"pages\":4");
    test_assert_contains(last->details, "\"expected_pages\":4");
    assert_int_equal(fx_int(db, "SELECT audit_id FROM documents"), last->id);
    assert_int_equal(fx_int(db, "SELECT audit_id FROM dossiers"), last->id);
    sh_audit_verdict v;
    sh_error err;
    assert_int_equal(sh_audit_verify(f->ledger, NULL, &v, &err), SH_OK);
    fx_entries_free(&e);
    assert_int_equal(f->warnings->len, 0); /* 4 pages as expected, all at 300 ppi */
    g_free(org);
    g_free(person);
    g_free(folder);
    g_free(dsha);
    g_free(path);
    g_free(sha);
    in_result_clear(&r);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(bw);
    pic_free(&grey);
}

static void document_scanner_pdf_is_copied(void **state)
{
    fx *f = *state;
    /* A real two-page PDF: made by an ingest into another type, then taken as a scan. */
    uint8_t *bw;
    tiff_spec pages[2];
    pages[0] = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &bw);
    pages[1] = pages[0];
    char *tif = src_file(f, "two.tif");
    write_tiff(tif, pages, 2);
    char *sources[] = {tif};
    in_document d = doc_for(sources, 1);
    d.type_stt = 4;
    in_result r;
    ingest_ok(f, &d, &r);
    char *scan = src_file(f, "scan.pdf");
    size_t len;
    uint8_t *bytes = slurp(r.path, &len);
    put(scan, bytes, len);
    g_free(bytes);
    in_result_clear(&r);

    sources[0] = scan;
    d.type_stt = 2;
    ingest_ok(f, &d, &r);
    assert_true(r.copied_pdf);
    assert_int_equal(r.pages, 2);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".pdf");
    assert_files_equal(r.path, scan);
    char *sha = sha256_of(scan);
    assert_string_equal(r.sha256, sha);
    char *q = g_strdup_printf("SELECT count(*) FROM document_sources WHERE sha256 = '%s' AND "
                              "pages = 2",
                              sha);
    assert_int_equal(count(f, q), 1);
    g_free(q);
    in_result_clear(&r);

    /* Not together with images, given one by one or in a folder. */
    char *jpgs = small_tiff(f, "page.tif", 50, 50, 300);
    char *mixed[] = {jpgs, scan};
    ingest_refused(f, mixed, 2, SH_USAGE,
                   "scan.pdf is a PDF: a scanner PDF is ingested on its own");
    char *dir = test_mkdirs(f->src, "folder");
    char *p1 = g_build_filename(dir, "1.tif", NULL), *p2 = g_build_filename(dir, "2.pdf", NULL);
    assert_int_equal(rename(jpgs, p1), 0);
    bytes = slurp(scan, &len);
    put(p2, bytes, len);
    g_free(bytes);
    char *folder[] = {dir};
    ingest_refused(f, folder, 1, SH_USAGE, "2.pdf is a PDF");

    /* A PDF that does not open, and one with a password. */
    char *broken = src_file(f, "broken.pdf");
    put(broken, "%PDF-1.4\n1 0 obj\n<< /Type /Catalog", 33);
    open_refused(broken, NULL, "the PDF file cannot be opened");
    if (have("qpdf")) {
        char *locked = src_file(f, "locked.pdf");
        char *cmd = g_strdup_printf("qpdf --encrypt secret owner 256 -- '%s' '%s'", scan, locked);
        g_free(run_ok(cmd));
        open_refused(locked, NULL, "is protected by a password");
        g_free(cmd);
        g_free(locked);
    }
    g_free(broken);
    g_free(p1);
    g_free(p2);
    g_free(dir);
    g_free(jpgs);
    g_free(sha);
    g_free(scan);
    g_free(tif);
    g_free(bw);
}

static const seen_warning *warning(fx *f, const char *code)
{
    for (guint i = 0; i < f->warnings->len; i++) {
        const seen_warning *w = &g_array_index(f->warnings, seen_warning, i);
        if (strcmp(w->code, code) == 0)
            return w;
    }
    fail_msg("no %s warning among %u", code, f->warnings->len);
    return NULL;
}

static void document_warnings_go_to_the_sink(void **state)
{
    fx *f = *state;
    char *ok = small_tiff(f, "1.tif", 100, 80, 300), *low = small_tiff(f, "2.tif", 100, 80, 150);
    char *sources[] = {ok, low};
    in_document d = doc_for(sources, 2);
    d.expected_pages = 3;
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(f->warnings->len, 2);
    const seen_warning *w = warning(f, "page.low_dpi");
    assert_int_equal(w->page, 2);
    assert_true(w->value == 150);
    assert_string_equal(w->path, r.rel_path);
    test_assert_contains(w->message, "2.tif");
    test_assert_contains(w->message, "150 ppi");
    w = warning(f, "doc.page_count");
    assert_true(w->value == 2);
    test_assert_contains(w->message, "3 pages were expected but 2 were given");
    /* both are only warnings: the document is there and recorded with what was expected */
    assert_true(exists(r.path));
    assert_int_equal(count(f, "SELECT expected_pages FROM documents"), 3);
    in_result_clear(&r);

    /* The resolution given for images that carry none counts the same. */
    warnings_clear(f);
    char *bare = small_tiff(f, "bare.tif", 100, 80, 0);
    char *one[] = {bare};
    d = doc_for(one, 1);
    d.type_stt = 3;
    d.dpi = 150;
    ingest_ok(f, &d, &r);
    assert_int_equal(f->warnings->len, 1);
    assert_true(warning(f, "page.low_dpi")->value == 150);
    in_result_clear(&r);
    /* At the minimum, and with the pages expected: nothing to say. */
    warnings_clear(f);
    d.type_stt = 4;
    d.dpi = 200;
    d.expected_pages = 1;
    ingest_ok(f, &d, &r);
    assert_int_equal(f->warnings->len, 0);
    in_result_clear(&r);
    g_free(bare);
    g_free(ok);
    g_free(low);
}

static void document_folder_source_in_page_order(void **state)
{
    fx *f = *state;
    char *dir = test_mkdirs(f->src, "Trang");
    static const struct {
        const char *name;
        uint32_t w;
    } files[] = {{"10.tif", 30}, {"2.tif", 20}, {"1.tif", 10}};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        char *rel = g_build_filename("Trang", files[i].name, NULL);
        char *p = small_tiff(f, rel, files[i].w, 10, 72);
        g_free(p);
        g_free(rel);
    }
    char *junk = g_build_filename(dir, ".~lock.tif", NULL);
    put(junk, "junk", 4);
    g_free(junk);
    junk = g_build_filename(dir, "Thumbs.db", NULL); /* skipped with a note */
    put(junk, "junk", 4);
    g_free(junk);
    char *sources[] = {dir};
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.pages, 3);
    char *info = pdfinfo(r.path, "-f 1 -l 3");
    test_assert_contains(info, "Page    1 size:  10 x 10 pts");
    test_assert_contains(info, "Page    2 size:  20 x 10 pts");
    test_assert_contains(info, "Page    3 size:  30 x 10 pts");
    char *p3 =
        fx_text(sh_ledger_db(f->ledger), "SELECT path FROM document_sources WHERE position = 3");
    char *want = g_build_filename(dir, "10.tif", NULL);
    assert_string_equal(p3, want);
    g_free(want);
    g_free(p3);
    g_free(info);
    in_result_clear(&r);
    /* A folder with nothing to ingest */
    char *empty = test_mkdirs(f->src, "empty");
    char *other = g_build_filename(empty, "desktop.ini", NULL);
    put(other, "x", 1);
    g_free(other);
    folder_arg fa = {f, empty};
    bool refused = test_isolated(empty_folder_refused, &fa);
    g_free(empty);
    g_free(dir);
    if (!refused)
        fail_msg("a folder with nothing to ingest is not refused cleanly");
}

static void document_usage_errors(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "1.tif", 50, 50, 300);
    char *sources[] = {tif};
    in_document d;
    in_result r;
    sh_error err;
    static const int bad_types[] = {0, 105, -1};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_types); i++) {
        d = doc_for(sources, 1);
        d.type_stt = bad_types[i];
        assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
        test_assert_contains(err.msg, "is not a document type");
    }
    d = doc_for(sources, 1);
    d.person_name = "An";
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, "\"An\"");
    d = doc_for(sources, 1);
    d.cccd = "12345";
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    assert_true(err.msg[0] != '\0');
    d = doc_for(sources, 1);
    d.org_code = "to chuc";
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    d = doc_for(sources, 0);
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, "give the page files");
    char *top = listing(f->root);
    assert_string_equal(top, ".sohoa|sohoa.ini");
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1);
    g_free(top);
    g_free(tif);
}

static void document_ledger_failure_leaves_nothing(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "1.tif", 100, 80, 300);
    sqlite3 *db = sh_ledger_db(f->ledger);
    fx_exec(db, "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.document_sources "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    char *sources[] = {tif};
    ingest_refused(f, sources, 1, SH_INTERNAL, "disk on fire");
    /* Not recorded, so not kept: no file, no folder, no row, no audit entry */
    char *top = listing(f->root);
    assert_string_equal(top, ".sohoa|sohoa.ini");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM dossiers"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1);
    fx_exec(db, "DROP TRIGGER temp.boom");
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 0);
    in_result_clear(&r);
    g_free(top);
    g_free(tif);
}

static void document_replaced_after_its_file_was_removed(void **state)
{
    fx *f = *state;
    char *a = small_tiff(f, "a.tif", 100, 80, 300), *b = small_tiff(f, "b.tif", 90, 70, 300);
    char *one[] = {a};
    in_document d = doc_for(one, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(unlink(r.path), 0);
    in_result_clear(&r);
    /* The type is new to the dossier again: no Seq, the same path, the row now the new file's */
    char *two[] = {b, a};
    d = doc_for(two, 2);
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".pdf");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 1);
    char *sha = fx_text(sh_ledger_db(f->ledger), "SELECT sha256 FROM documents");
    assert_string_equal(sha, r.sha256);
    assert_int_equal(count(f, "SELECT pages FROM documents"), 2);
    assert_int_equal(count(f, "SELECT count(*) FROM document_sources"), 2);
    char *first =
        fx_text(sh_ledger_db(f->ledger), "SELECT path FROM document_sources WHERE position = 1");
    assert_string_equal(first, b);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'document.ingest'"), 2);
    g_free(first);
    g_free(sha);
    in_result_clear(&r);
    g_free(a);
    g_free(b);
}

/* Ingest d expecting SH_USAGE; a description of what happened instead is added to problems. */
static void expect_usage(fx *f, const in_document *d, const char *what, GString *problems)
{
    in_result r;
    sh_error err;
    sh_status st = ingest(f, d, &r, &err);
    if (st == SH_OK) {
        char *base = g_path_get_basename(r.path);
        nm_file_id id;
        g_string_append_printf(
            problems, "\n  %s: accepted, wrote \"%s\"%s", what, base,
            nm_parse_file_name(base, &f->rules, &id) ? "" : ", a name the naming rules refuse");
        unlink(r.path);
        in_result_clear(&r);
        g_free(base);
    } else if (st != SH_USAGE)
        g_string_append_printf(problems, "\n  %s: status %d (%s)", what, st, err.msg);
}

static void document_seq_stays_within_the_naming_rules(void **state)
{
    fx *f = *state;
    char *a = small_tiff(f, "a.tif", 60, 40, 300);
    char *sources[] = {a};
    in_document d = doc_for(sources, 1);
    in_result r;
    GString *problems = g_string_new(NULL);
    /* A negative Seq is not "none" */
    d.seq = -2;
    expect_usage(f, &d, "Seq -2 in an empty dossier", problems);
    /* Seq 1000 has no file name the naming rules accept (SoThuTu goes to 999): refused,
     * rather than a file that check and validate would then reject. */
    d.seq = 1000;
    expect_usage(f, &d, "Seq 1000", problems);
    /* 999 is the last; after it there is no next one to take */
    d.seq = 999;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".999.pdf");
    in_result_clear(&r);
    d.seq = 0;
    char *b = small_tiff(f, "b.tif", 61, 40, 300); /* other files: not a re-run of .999 */
    sources[0] = b;
    expect_usage(f, &d, "the next Seq after .999", problems);
    g_free(a);
    g_free(b);
    char *text = g_string_free(problems, FALSE);
    if (*text) {
        print_error("Seq out of 1..999:%s\n", text);
        g_free(text);
        fail();
    }
    g_free(text);
}

static void document_relative_paths_and_name_warnings(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "1.tif", 60, 40, 300);
    char *jpg_path = src_file(f, "2.jpg");
    GByteArray *j = jpeg_of(jpeg_grey, sizeof jpeg_grey);
    jpeg_jfif(j, 1, 300, 300);
    put(jpg_path, j->data, j->len);
    g_byte_array_free(j, TRUE);
    char *cwd = g_get_current_dir();
    assert_int_equal(chdir(f->src), 0);
    /* sources given relative to the current folder, a PDF among them on its own later */
    char *sources[] = {"1.tif", "./2.jpg"};
    in_document d = doc_for(sources, 2);
    d.type_stt = 5;
    in_result r;
    sh_error err;
    sh_status st = ingest(f, &d, &r, &err);
    if (st == SH_OK) {
        char *pdf_copy = g_build_filename(f->src, "made.pdf", NULL);
        size_t len;
        uint8_t *bytes = slurp(r.path, &len);
        put(pdf_copy, bytes, len);
        g_free(bytes);
        g_free(pdf_copy);
        in_result_clear(&r);
        char *pdf[] = {"made.pdf"};
        d = doc_for(pdf, 1);
        d.type_stt = 6;
        st = ingest(f, &d, &r, &err);
        if (st == SH_OK)
            assert_true(r.copied_pdf);
        in_result_clear(&r);
    }
    assert_int_equal(chdir(cwd), 0);
    if (st != SH_OK)
        fail_msg("relative source paths: %s", err.msg);
    /* An implausible birth year in the CCCD is only a warning: it goes to the sink, with its
     * code, and the document is written. */
    warnings_clear(f);
    char *one[] = {tif};
    d = doc_for(one, 1);
    d.cccd = "012345678901"; /* born in 2045 */
    ingest_ok(f, &d, &r);
    assert_true(f->warnings->len >= 1);
    const seen_warning *w = &g_array_index(f->warnings, seen_warning, 0);
    assert_true(g_str_has_prefix(w->code, "name."));
    test_assert_contains(r.rel_path, "012345678901_NguyenVanAn");
    in_result_clear(&r);
    g_free(cwd);
    g_free(jpg_path);
    g_free(tif);
}

/* ---------------------------------------------------------------------------------------------
 * 6. Folders of pages.
 */

static void list_folder_in_natural_order(void **state)
{
    const char *dir = *state;
    /* Pages, and the files operating systems leave in folders (skipped with a note). */
    static const char *const names[] = {
        "10.tif",      "2.tif",       "1.tif",     "02.tif",   "Trang 2.png", "trang 10.png",
        "Trang 1.JPG", "scan.pdf",    "a9b.tif",   "a10b.tif", ".hidden.tif", "Thumbs.db",
        "desktop.ini", "ehthumbs.db", ".DS_Store", "._1.tif",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *p = test_path(dir, names[i]);
        test_write(p, "x", 1);
        g_free(p);
    }
    g_free(test_mkdirs(dir, ".thumbnails"));
    static const char *const want[] = {"1.tif",       "2.tif",       "02.tif",   "10.tif",
                                       "a9b.tif",     "a10b.tif",    "scan.pdf", "Trang 1.JPG",
                                       "Trang 2.png", "trang 10.png"};
    char **paths = NULL;
    size_t n = 0;
    sh_error err;
    assert_int_equal(in_list_folder(dir, &paths, &n, &err), SH_OK);
    GString *got = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        char *base = g_path_get_basename(paths[i]);
        g_string_append_printf(got, "%s%s", i ? "|" : "", base);
        char *full = test_path(dir, base);
        assert_string_equal(paths[i], full);
        g_free(full);
        g_free(base);
    }
    char *expected = g_strjoinv("|", (char **)want);
    assert_string_equal(got->str, expected);
    assert_int_equal(n, G_N_ELEMENTS(want));
    assert_null(paths[n]);
    g_free(expected);
    g_string_free(got, TRUE);
    g_strfreev(paths);

    /* Anything else is never left out silently: the first such entry (in name order) is named,
     * with how many more there are. */
    static const struct {
        const char *entries; /* '|'-separated; a trailing '/' makes a folder */
        const char *named, *says;
    } BAD[] = {
        {"1.jpg|2.bmp|3.jpg", "2.bmp", "not a page sohoa can use"},
        {"1.tif|notes.txt|page.tif.bak|sohoa.ini", "notes.txt", "and 2 more such files"},
        {"1.tif|sub.tif/", "sub.tif", "a folder inside the folder of pages"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(BAD); i++) {
        char *sub = g_strdup_printf("bad%zu", i);
        char *d = test_mkdirs(dir, sub);
        char **entries = g_strsplit(BAD[i].entries, "|", -1);
        for (char **e = entries; *e; e++) {
            size_t len = strlen(*e);
            if ((*e)[len - 1] == '/') {
                (*e)[len - 1] = '\0';
                g_free(test_mkdirs(d, *e));
            } else {
                char *p = test_path(d, *e);
                test_write(p, "x", 1);
                g_free(p);
            }
        }
        g_strfreev(entries);
        sh_error_clear(&err);
        n = 7;
        assert_int_equal(in_list_folder(d, &paths, &n, &err), SH_INPUT);
        assert_null(paths);
        assert_int_equal(n, 0);
        char *named = test_path(d, BAD[i].named);
        test_assert_contains(err.msg, named);
        test_assert_contains(err.msg, BAD[i].says);
        g_free(named);
        g_free(d);
        g_free(sub);
    }

    /* An empty folder gives none; a missing one is an input error. */
    char *missing = test_path(dir, "missing");
    assert_int_equal(in_list_folder(missing, &paths, &n, &err), SH_INPUT);
    assert_null(paths);
    assert_int_equal(n, 0);
    test_assert_contains(err.msg, missing);
    g_free(missing);
    char *empty = test_mkdirs(dir, "empty");
    bool listed = test_isolated(empty_folder_listed, empty);
    g_free(empty);
    if (!listed)
        fail_msg("an empty folder is not listed as empty");
}

#define FX(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniff_reads_the_magic_bytes),
        cmocka_unit_test(kind_of_name_reads_the_extension),
        FX(open_refuses_what_is_not_a_page),
        FX(tiff_g4_single_strip_is_copied),
        FX(tiff_g4_min_is_black_says_black_is_1),
        FX(tiff_g4_fill_order_2_is_reversed),
        FX(tiff_bilevel_is_reencoded_to_g4),
        FX(tiff_grey_and_colour_are_flate),
        FX(tiff_16_bit_grey_needs_pdf_1_5),
        FX(tiff_palette_is_indexed),
        FX(tiff_pages_all_come),
        FX(tiff_orientation_rotates_the_page),
        FX(tiff_resolution_in_cm_and_none),
        FX(tiff_damaged_is_refused),
        FX(tiff_over_the_limits_is_refused_before_reading),
        FX(tiff_unsupported_kinds_are_named),
        FX(tiff_more_sample_layouts),
        FX(tiff_jpeg_pages_are_decoded),
        FX(tiff_g4_pages_each_copied),
        FX(tiff_without_pixels_is_refused),
        FX(special_files_are_not_pages),
        FX(jpeg_is_copied_as_is),
        FX(jpeg_cmyk_with_adobe_is_inverted),
        FX(jpeg_exif_orientation_rotates),
        FX(jpeg_mirrored_orientation_flips_the_image),
        FX(jpeg_resolution_from_jfif_or_exif),
        FX(jpeg_kinds_pdf_cannot_read_are_refused),
        FX(jpeg_truncated_is_refused),
        cmocka_unit_test(jpeg_header_parser_on_crafted_bytes),
        cmocka_unit_test(exif_parser_on_crafted_bytes),
        FX(png_opaque_data_is_copied),
        FX(png_16_bit_needs_pdf_1_5),
        FX(png_transparency_becomes_a_soft_mask),
        FX(png_interlaced_is_decoded),
        FX(png_resolution_from_phys),
        FX(png_damaged_is_refused),
        FX(png_more_layouts),
        FX(png_crafted_headers_are_refused),
        FX(document_a4_page_is_named_and_described),
        FX(document_is_deterministic),
        FX(document_never_replaces_a_file),
        FX(document_seq_rules),
        FX(document_with_a_bad_source_writes_nothing),
        FX(document_is_recorded_in_the_ledger),
        FX(document_scanner_pdf_is_copied),
        FX(document_warnings_go_to_the_sink),
        FX(document_folder_source_in_page_order),
        FX(document_usage_errors),
        FX(document_ledger_failure_leaves_nothing),
        FX(document_replaced_after_its_file_was_removed),
        FX(document_seq_stays_within_the_naming_rules),
        FX(document_relative_paths_and_name_warnings),
        cmocka_unit_test_setup_teardown(list_folder_in_natural_order, test_setup_tmpdir,
                                        test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
