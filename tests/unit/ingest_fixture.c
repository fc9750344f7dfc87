/* Fixtures and judges shared by the test_ingest_*.c tests (ingest_fixture.h). */
#include "testutil.h"

#include "ingest_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

/* ---------------------------------------------------------------------------------------------
 * Small helpers: files, external tools.
 */

char *run_ok(const char *cmd)
{
    bool ok;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("failed: %s\n%s", cmd, out ? out : "");
    return out;
}

/* noinline: gcc 12 sees a dangling pointer through the inlined cmocka assertion otherwise. */
__attribute__((noinline)) uint8_t *slurp(const char *path, size_t *len)
{
    gchar *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, &data, &n, NULL))
        fail_msg("cannot read %s", path);
    *len = n;
    return (uint8_t *)data;
}

void put(const char *path, const void *data, size_t len)
{
    test_write(path, (const char *)data, len);
}

bool has_bytes(const uint8_t *d, size_t len, const void *needle, size_t n)
{
    return memmem(d, len, needle, n) != NULL;
}

bool file_has(const char *path, const char *needle)
{
    size_t len;
    uint8_t *d = slurp(path, &len);
    bool yes = has_bytes(d, len, needle, strlen(needle));
    g_free(d);
    return yes;
}

void assert_file_has(const char *path, const char *needle)
{
    if (!file_has(path, needle))
        fail_msg("%s does not contain \"%s\"", path, needle);
}

void assert_files_equal(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *da = slurp(a, &la), *db = slurp(b, &lb);
    if (la != lb || memcmp(da, db, la) != 0)
        fail_msg("%s (%zu bytes) and %s (%zu bytes) differ", a, la, b, lb);
    g_free(da);
    g_free(db);
}

char *sha256_of(const char *path)
{
    size_t len;
    uint8_t *d = slurp(path, &len);
    char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, d, len);
    g_free(d);
    return hex;
}

bool exists(const char *path) { return g_file_test(path, G_FILE_TEST_EXISTS); }

char *pdfinfo(const char *pdf, const char *opts)
{
    test_need_tool("pdfinfo");
    char *cmd = g_strdup_printf("pdfinfo %s '%s'", opts ? opts : "", pdf);
    char *out = run_ok(cmd);
    g_free(cmd);
    return out;
}

void qpdf_clean(const char *pdf)
{
    test_need_tool("qpdf");
    char *cmd = g_strdup_printf("qpdf --check '%s'", pdf);
    char *out = run_ok(cmd);
    test_assert_contains(out, "No syntax or stream encoding errors");
    g_free(out);
    g_free(cmd);
}

int pdf_images(const char *pdf, img_row *rows, int max)
{
    test_need_tool("pdfimages");
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

char *extract(const char *pdf, const char *opt, const char *dir)
{
    test_need_tool("pdfimages");
    char *prefix = g_build_filename(dir, "x", NULL);
    char *cmd = g_strdup_printf("pdfimages %s '%s' '%s'", opt, pdf, prefix);
    g_free(run_ok(cmd));
    g_free(cmd);
    return prefix;
}

char *extracted(const char *prefix, int i, const char *ext)
{
    return g_strdup_printf("%s-%03d.%s", prefix, i, ext);
}

uint8_t *stream_data(const char *pdf, int object, const char *dir, size_t *len)
{
    test_need_tool("qpdf");
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

size_t pic_rowbytes(const pic *p)
{
    return (size_t)p->w * (size_t)p->channels * (size_t)(p->depth / 8);
}

pic pic_new(uint32_t w, uint32_t h, int channels, int depth)
{
    pic p = {w, h, channels, depth, NULL};
    p.px = g_malloc0(pic_rowbytes(&p) * h);
    return p;
}

void pic_free(pic *p)
{
    g_free(p->px);
    p->px = NULL;
}

void pic_set(pic *p, uint32_t x, uint32_t y, int c, unsigned v)
{
    size_t i = ((size_t)y * p->w + x) * (size_t)p->channels + (size_t)c;
    if (p->depth == 16) {
        p->px[2 * i] = (uint8_t)(v >> 8);
        p->px[2 * i + 1] = (uint8_t)v;
    } else
        p->px[i] = (uint8_t)v;
}

unsigned pic_get(const pic *p, uint32_t x, uint32_t y, int c)
{
    size_t i = ((size_t)y * p->w + x) * (size_t)p->channels + (size_t)c;
    return p->depth == 16 ? (unsigned)p->px[2 * i] << 8 | p->px[2 * i + 1] : p->px[i];
}

void pic_assert_equal(const pic *got, const pic *want, const char *what)
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

pic extracted_image(const char *pdf, int i, const char *dir)
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

pic bilevel_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 1, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&p, x, y, 0, ink(x, y, w, h) ? 0 : 255);
    return p;
}

uint8_t *bilevel_rows(uint32_t w, uint32_t h, bool ink_is_1)
{
    size_t stride = (w + 7) / 8;
    uint8_t *rows = g_malloc0(stride * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            if (ink(x, y, w, h) == ink_is_1)
                rows[y * stride + x / 8] |= (uint8_t)(0x80 >> (x % 8));
    return rows;
}

unsigned grey_at(uint32_t x, uint32_t y, uint32_t w)
{
    return (x * 255 / (w - 1)) ^ ((y / 3) % 2 ? 0x33u : 0u);
}

pic grey_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 1, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&p, x, y, 0, grey_at(x, y, w));
    return p;
}

unsigned grey16_at(uint32_t x, uint32_t y, uint32_t w)
{
    return ((x * 65535u / (w - 1)) ^ (y * 131u)) & 0xFFFFu;
}

pic grey16_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 1, 16);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            pic_set(&p, x, y, 0, grey16_at(x, y, w));
    return p;
}

unsigned rgb_at(uint32_t x, uint32_t y, uint32_t w, uint32_t h, int c)
{
    return c == 0 ? x * 255 / (w - 1) : c == 1 ? y * 255 / (h - 1) : (x / 4 + y / 4) % 2 ? 200 : 30;
}

pic rgb_pic(uint32_t w, uint32_t h)
{
    pic p = pic_new(w, h, 3, 8);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                pic_set(&p, x, y, c, rgb_at(x, y, w, h, c));
    return p;
}

unsigned index_at(uint32_t x, uint32_t y, unsigned colours)
{
    return (x / 3 + (y / 2) * 3) % colours;
}

unsigned palette_colour(unsigned i, int c)
{
    return c == 0 ? (i * 40) % 256 : c == 1 ? 255 - (i * 23) % 256 : (i * 97) % 256;
}

pic palette_pic(uint32_t w, uint32_t h, unsigned colours)
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

void tiff_put_page(TIFF *tif, const tiff_spec *s, int i, int n)
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

void write_tiff_mode(const char *path, const tiff_spec *pages, int n, const char *mode)
{
    TIFF *tif = TIFFOpen(path, mode);
    assert_non_null(tif);
    for (int i = 0; i < n; i++)
        tiff_put_page(tif, &pages[i], i, n);
    TIFFClose(tif);
}

void write_tiff(const char *path, const tiff_spec *pages, int n)
{
    write_tiff_mode(path, pages, n, "w");
}

tiff_spec bilevel_spec(uint32_t w, uint32_t h, uint16_t photo, uint16_t comp, uint8_t **rows)
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

/* The decoded samples of an image object (qpdf) are want's, byte for byte. */
void assert_stream_samples(fx *f, const char *pdf, int object, const pic *want, const char *what)
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
uint8_t *pack_indices(uint32_t w, uint32_t h, int bits, unsigned colours)
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

/* ---------------------------------------------------------------------------------------------
 * JPEG fixtures: baseline files of 24 × 16 pixels made with Pillow (no APP0), patched by the tests.
 */

const uint8_t jpeg_grey[202] = {
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
const uint8_t jpeg_rgb[354] = {
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
GByteArray *jpeg_of(const uint8_t *base, size_t len)
{
    GByteArray *j = g_byte_array_new();
    g_byte_array_append(j, base, (guint)len);
    return j;
}

/* Insert a marker segment right after SOI. */
void jpeg_insert(GByteArray *j, uint8_t marker, const void *payload, size_t n)
{
    uint8_t head[4] = {0xFF, marker, (uint8_t)((n + 2) >> 8), (uint8_t)(n + 2)};
    guint old = j->len;
    g_byte_array_set_size(j, old + 4 + (guint)n);
    memmove(j->data + 2 + 4 + n, j->data + 2, old - 2);
    memcpy(j->data + 2, head, 4);
    memcpy(j->data + 6, payload, n);
}

/* JFIF density: units 1 = dots per inch, 2 = per cm, 0 = aspect ratio only. */
void jpeg_jfif(GByteArray *j, int units, unsigned x, unsigned y)
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

char *jpeg_file(fx *f, const char *name, const GByteArray *j)
{
    char *path = src_file(f, name);
    put(path, j->data, j->len);
    return path;
}

/* ---------------------------------------------------------------------------------------------
 * PNG fixtures, written with libpng.
 */

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

void write_png(const char *path, const png_spec *s)
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

unsigned alpha_at(uint32_t x, uint32_t y) { return (x * 17 + y * 29) & 0xFF; }

/* ---------------------------------------------------------------------------------------------
 * A workspace to ingest into, its ledger, and the warnings that come out.
 */

static void collect_warning(const sh_finding *f, void *p)
{
    fx *x = p;
    seen_warning w = {g_strdup(f->code), g_strdup(f->path), g_strdup(f->message), f->page,
                      f->n_values ? f->values[0].value : NAN};
    g_array_append_val(x->warnings, w);
}

sh_ledger *make_workspace(const char *root)
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

void fx_context(fx *f, const char *root, sh_ledger *ledger, in_context *ctx)
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

int fx_setup(void **state)
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

void warnings_clear(fx *f)
{
    for (guint i = 0; i < f->warnings->len; i++) {
        seen_warning *w = &g_array_index(f->warnings, seen_warning, i);
        g_free(w->code);
        g_free(w->path);
        g_free(w->message);
    }
    g_array_set_size(f->warnings, 0);
}

int fx_teardown(void **state)
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

char *src_file(fx *f, const char *name) { return g_build_filename(f->src, name, NULL); }

in_document doc_for(char **sources, size_t n)
{
    in_document d = {.org_code = ORG,
                     .cccd = CCCD,
                     .person_name = PERSON,
                     .type_stt = 2,
                     .sources = sources,
                     .n_sources = n};
    return d;
}

sh_status ingest(fx *f, const in_document *d, in_result *r, sh_error *err)
{
    sh_error_clear(err);
    return in_ingest_document(d, &f->ctx, r, err);
}

void ingest_ok(fx *f, const in_document *d, in_result *r)
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

char *ingest_file(fx *f, const char *path)
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

void ingest_refused(fx *f, char **sources, size_t n, sh_status status, const char *needle)
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

in_source *open_ok(const char *path)
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

void open_refused(const char *path, const in_limits *lim, const char *needle)
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

double info_number(const char *report, const char *label)
{
    const char *at = strstr(report, label);
    if (!at)
        fail_msg("no \"%s\" in: %s", label, report);
    return g_ascii_strtod(at + strlen(label), NULL);
}
