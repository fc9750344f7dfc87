/* Decoding a page's embedded scan to reduced grey (validate/page_image.h). The fixtures are made
 * here with the real encoders: JPEGs with libjpeg, G3 and G4 with libtiff (whose G4 bytes are
 * also the MMR data of a hand-built JBIG2 generic region), raw samples by hand. Bilevel and raw
 * results are compared exactly with a box average computed here; JPEGs within a tolerance. */
#include "testutil.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <tiffio.h>

#include "page_image_impl.h"

#define MB (1024u * 1024u)

/* ---- streams from memory ---- */

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    size_t chunk;   /* most bytes per call (0: no limit), to exercise short reads */
    size_t fail_at; /* fail once this many bytes were given (0: never) */
} mem_stream;

static ptrdiff_t mem_read(void *ctx, void *buf, size_t n, sh_error *err)
{
    mem_stream *m = ctx;
    if (m->fail_at && m->pos >= m->fail_at) {
        sh_fail(err, SH_INPUT, "test.pdf: the disk went away");
        return -1;
    }
    size_t k = m->len - m->pos;
    k = k < n ? k : n;
    if (m->chunk && k > m->chunk)
        k = m->chunk;
    memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    return (ptrdiff_t)k;
}

static pdf_image image_of(pdf_codec codec, uint32_t w, uint32_t h, pdf_colour_space cs, int bpc)
{
    pdf_image img = {.width = w, .height = h, .bpc = bpc, .cs = cs, .codec = codec};
    img.components = cs == PDF_CS_RGB ? 3 : cs == PDF_CS_CMYK ? 4 : 1;
    img.ccitt_k = -1;
    img.ccitt_columns = (int)w;
    img.ccitt_end_of_block = true;
    return img;
}

static sh_status decode(const pdf_image *img, const uint8_t *data, size_t len, uint32_t ow,
                        uint32_t oh, uint64_t limit, uint8_t **px, sh_error *err)
{
    mem_stream m = {data, len, 0, 777, 0};
    return vd_decode_image(img, mem_read, &m, NULL, 0, ow, oh, limit, px, err);
}

/* ---- the reference ---- */

/* The same partition as the contract: output pixel (ox, oy) is the rounded mean of input
 * columns [ox·w/ow, (ox+1)·w/ow) and rows likewise. */
static uint8_t *box_reference(const uint8_t *grey, uint32_t w, uint32_t h, uint32_t ow, uint32_t oh)
{
    uint8_t *out = malloc((size_t)ow * oh);
    for (uint32_t oy = 0; oy < oh; oy++) {
        uint32_t y0 = (uint32_t)((uint64_t)oy * h / oh),
                 y1 = (uint32_t)((uint64_t)(oy + 1) * h / oh);
        y1 = y1 > y0 ? y1 : y0 + 1;
        for (uint32_t ox = 0; ox < ow; ox++) {
            uint32_t x0 = (uint32_t)((uint64_t)ox * w / ow),
                     x1 = (uint32_t)((uint64_t)(ox + 1) * w / ow);
            x1 = x1 > x0 ? x1 : x0 + 1;
            uint64_t s = 0, n = (uint64_t)(x1 - x0) * (y1 - y0);
            for (uint32_t y = y0; y < y1; y++)
                for (uint32_t x = x0; x < x1; x++)
                    s += grey[(size_t)y * w + x];
            out[(size_t)oy * ow + ox] = (uint8_t)((s + n / 2) / n);
        }
    }
    return out;
}

/* The reference of the picture's negative (not 255 − the reference: halves round up). */
static uint8_t *negative_reference(const uint8_t *grey, uint32_t w, uint32_t h, uint32_t ow,
                                   uint32_t oh)
{
    uint8_t *neg = malloc((size_t)w * h);
    for (size_t i = 0; i < (size_t)w * h; i++)
        neg[i] = (uint8_t)(255 - grey[i]);
    uint8_t *ref = box_reference(neg, w, h, ow, oh);
    free(neg);
    return ref;
}

static void assert_same(const uint8_t *got, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("pixel %zu: got %u, want %u", i, got[i], want[i]);
}

/* Mean and largest absolute difference. */
static void assert_close(const uint8_t *got, const uint8_t *want, size_t n, double mean_max,
                         int max_max)
{
    double sum = 0;
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)got[i] - (int)want[i]);
        sum += d;
        worst = d > worst ? d : worst;
    }
    print_message("mean diff %.2f, max %d\n", sum / (double)n, worst);
    assert_true(sum / (double)n <= mean_max);
    assert_true(worst <= max_max);
}

/* A grey test picture: gradients, a dark block, thin lines (where averaging shows). */
static uint8_t *grey_picture(uint32_t w, uint32_t h)
{
    uint8_t *g = malloc((size_t)w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            unsigned v = 40 + (x * 180 / w + y * 30 / h);
            if (x > w / 4 && x < w / 2 && y > h / 3 && y < h / 2)
                v = 20;
            if (y % 37 == 0)
                v = 0;
            g[(size_t)y * w + x] = (uint8_t)v;
        }
    return g;
}

/* A bilevel pattern, 1 = black: checks, lines, a filled block. And its grey (1 → 0). */
static bool pattern_black(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    if (x > w / 3 && x < w / 2 && y > h / 4 && y < h / 3)
        return true;
    if (y % 23 == 5 || x % 31 == 7)
        return true;
    return ((x / 3) + (y / 5)) % 7 == 0;
}

static uint8_t *pattern_bits(uint32_t w, uint32_t h, uint8_t **grey)
{
    size_t stride = (w + 7) / 8;
    uint8_t *bits = calloc(stride * h, 1);
    *grey = malloc((size_t)w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            bool b = pattern_black(x, y, w, h);
            if (b)
                bits[y * stride + x / 8] |= (uint8_t)(0x80 >> (x % 8));
            (*grey)[(size_t)y * w + x] = b ? 0 : 255;
        }
    return bits;
}

/* ---- encoders ---- */

typedef struct {
    unsigned char *data;
    unsigned long len;
} blob;

/* A JPEG of w × h pixels of `comps` samples each (1 grey, 3 RGB, 4 CMYK, the latter with
 * Adobe's marker and so stored inverted, as Photoshop and libjpeg write it). */
static blob jpeg_encode(const uint8_t *px, uint32_t w, uint32_t h, int comps, int quality,
                        bool progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    blob b = {NULL, 0};
    jpeg_mem_dest(&c, &b.data, &b.len);
    c.image_width = w;
    c.image_height = h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < h) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * w * comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return b;
}

static int quiet_tiff(TIFF *tif, void *ud, const char *module, const char *fmt, va_list ap)
{
    (void)tif, (void)ud, (void)module, (void)fmt, (void)ap;
    return 1;
}

/* CCITT bytes of a bilevel picture (1 = black), through a TIFF file that libtiff writes. */
static blob fax_encode(const char *dir, const uint8_t *bits, uint32_t w, uint32_t h,
                       uint16_t compression, uint32_t t4_options)
{
    char *path = test_path(dir, "fax.tif");
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetWarningHandlerExtR(o, quiet_tiff, NULL);
    TIFF *t = TIFFOpenExt(path, "w", o);
    assert_non_null(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(t, TIFFTAG_COMPRESSION, compression);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
    if (compression == COMPRESSION_CCITTFAX3)
        TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, t4_options);
    size_t stride = (w + 7) / 8;
    uint8_t *row = malloc(stride);
    for (uint32_t y = 0; y < h; y++) {
        memcpy(row, bits + y * stride, stride);
        assert_true(TIFFWriteScanline(t, row, y, 0) == 1);
    }
    free(row);
    TIFFClose(t);
    t = TIFFOpenExt(path, "r", o);
    TIFFOpenOptionsFree(o);
    assert_non_null(t);
    uint64_t *counts;
    assert_true(TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts));
    blob b = {malloc(counts[0]), (unsigned long)counts[0]};
    assert_int_equal(TIFFReadRawStrip(t, 0, b.data, (tmsize_t)counts[0]), (tmsize_t)counts[0]);
    TIFFClose(t);
    unlink(path);
    g_free(path);
    return b;
}

/* JBIG2 segments, embedded form: number, type, no referred segments, page 1, length. */
static void jb_segment(uint8_t **p, uint32_t number, uint8_t type, uint8_t page,
                       const uint8_t *data, uint32_t len)
{
    uint8_t *q = *p;
    uint8_t head[11] = {(uint8_t)(number >> 24),
                        (uint8_t)(number >> 16),
                        (uint8_t)(number >> 8),
                        (uint8_t)number,
                        type,
                        0,
                        page,
                        (uint8_t)(len >> 24),
                        (uint8_t)(len >> 16),
                        (uint8_t)(len >> 8),
                        (uint8_t)len};
    memcpy(q, head, sizeof head);
    if (len)
        memcpy(q + sizeof head, data, len);
    *p = q + sizeof head + len;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A page of w × h holding one immediate generic region coded with MMR (T.6, which is G4). */
static blob jbig2_page(const uint8_t *mmr, size_t mmr_len, uint32_t w, uint32_t h)
{
    blob b = {malloc(100 + mmr_len), 0};
    uint8_t *p = b.data;
    uint8_t info[19] = {0};
    be32(info, w);
    be32(info + 4, h);
    jb_segment(&p, 0, 48, 1, info, sizeof info);
    uint8_t *region = malloc(18 + mmr_len);
    memset(region, 0, 18);
    be32(region, w);
    be32(region + 4, h);
    region[17] = 0x01; /* MMR */
    memcpy(region + 18, mmr, mmr_len);
    jb_segment(&p, 1, 38, 1, region, (uint32_t)(18 + mmr_len));
    free(region);
    jb_segment(&p, 2, 49, 1, NULL, 0);
    b.len = (unsigned long)(p - b.data);
    return b;
}

/* ---- raw samples ---- */

static void grey_8bit_exact_at_any_ratio(void **state)
{
    (void)state;
    const uint32_t sizes[][4] = {{64, 48, 64, 48}, {64, 48, 32, 24}, {2479, 3508, 827, 1170},
                                 {100, 7, 3, 1},   {5, 5, 1, 1},     {1000, 3, 999, 2}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t w = sizes[i][0], h = sizes[i][1], ow = sizes[i][2], oh = sizes[i][3];
        uint8_t *g = grey_picture(w, h), *px = NULL;
        pdf_image img = image_of(PDF_CODEC_NONE, w, h, PDF_CS_GRAY, 8);
        sh_error err;
        assert_int_equal(decode(&img, g, (size_t)w * h, ow, oh, 64 * MB, &px, &err), SH_OK);
        uint8_t *want = box_reference(g, w, h, ow, oh);
        assert_same(px, want, (size_t)ow * oh);
        free(want);
        free(g);
        g_free(px);
    }
}

static void one_bit_inverted_and_image_mask(void **state)
{
    (void)state;
    uint32_t w = 203, h = 117; /* not a multiple of 8: rows are padded */
    uint8_t *grey, *bits = pattern_bits(w, h, &grey);
    /* As samples, the pattern's 1 bits are white (1 = white in DeviceGray) … */
    uint8_t *neg = malloc((size_t)w * h);
    for (size_t i = 0; i < (size_t)w * h; i++)
        neg[i] = (uint8_t)(255 - grey[i]);
    pdf_image img = image_of(PDF_CODEC_NONE, w, h, PDF_CS_GRAY, 1);
    sh_error err;
    uint8_t *px;
    size_t len = (size_t)(w + 7) / 8 * h;
    assert_int_equal(decode(&img, bits, len, 70, 40, 16 * MB, &px, &err), SH_OK);
    uint8_t *want = box_reference(neg, w, h, 70, 40);
    assert_same(px, want, 70 * 40);
    g_free(px);
    free(want);
    /* … and with /Decode [1 0] they are black. */
    img.decode_inverted = true;
    assert_int_equal(decode(&img, bits, len, 70, 40, 16 * MB, &px, &err), SH_OK);
    want = box_reference(grey, w, h, 70, 40);
    assert_same(px, want, 70 * 40);
    g_free(px);
    /* An image mask: 0 paints black, so like grey; inverted, 1 paints. */
    pdf_image mask = image_of(PDF_CODEC_NONE, w, h, PDF_CS_GRAY, 1);
    mask.image_mask = true;
    mask.cs = PDF_CS_OTHER; /* a mask's space means nothing */
    mask.components = 1;
    assert_true(vd_can_decode(&mask));
    mask.decode_inverted = true;
    assert_int_equal(decode(&mask, bits, len, 70, 40, 16 * MB, &px, &err), SH_OK);
    assert_same(px, want, 70 * 40);
    g_free(px);
    free(want);
    mask.decode_inverted = false;
    assert_int_equal(decode(&mask, bits, len, w, h, 16 * MB, &px, &err), SH_OK);
    assert_same(px, neg, (size_t)w * h);
    g_free(px);
    free(neg);
    free(bits);
    free(grey);
}

static void four_bit_indexed_rgb(void **state)
{
    (void)state;
    uint32_t w = 99, h = 61;
    uint8_t palette[12 * 3];
    uint8_t grey_of[16];
    for (int i = 0; i < 12; i++) {
        palette[3 * i] = (uint8_t)(i * 20);
        palette[3 * i + 1] = (uint8_t)(255 - i * 15);
        palette[3 * i + 2] = (uint8_t)(i * 7);
        grey_of[i] = (uint8_t)((19595u * palette[3 * i] + 38470u * palette[3 * i + 1] +
                                7471u * palette[3 * i + 2] + 32768) >>
                               16);
    }
    for (int i = 12; i < 16; i++) /* past hival: the last entry */
        grey_of[i] = grey_of[11];
    size_t stride = (w + 1) / 2;
    uint8_t *data = calloc(stride * h, 1), *grey = malloc((size_t)w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            unsigned idx = (x * 3 + y) % 16;
            data[y * stride + x / 2] |= (uint8_t)(x % 2 ? idx : idx << 4);
            grey[(size_t)y * w + x] = grey_of[idx];
        }
    pdf_image img = image_of(PDF_CODEC_NONE, w, h, PDF_CS_INDEXED, 4);
    img.components = 1;
    img.base_cs = PDF_CS_RGB;
    img.base_components = 3;
    img.palette = palette;
    img.palette_entries = 12;
    sh_error err;
    uint8_t *px;
    assert_int_equal(decode(&img, data, stride * h, 40, 23, 16 * MB, &px, &err), SH_OK);
    uint8_t *want = box_reference(grey, w, h, 40, 23);
    assert_same(px, want, 40 * 23);
    g_free(px);
    free(want);
    /* /Decode [15 0]: index i reads as 15 - i. */
    img.decode_inverted = true;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            grey[(size_t)y * w + x] = grey_of[15 - (x * 3 + y) % 16];
    assert_int_equal(decode(&img, data, stride * h, w, h, 16 * MB, &px, &err), SH_OK);
    assert_same(px, grey, (size_t)w * h);
    g_free(px);
    free(data);
    free(grey);
}

static void sixteen_bit_grey_rgb_cmyk_and_other(void **state)
{
    (void)state;
    sh_error err;
    uint8_t *px;
    /* 16-bit big-endian grey: the high byte counts. */
    uint8_t g16[] = {0x12, 0xff, 0xab, 0x00, 0x00, 0x01, 0xff, 0xff};
    pdf_image img = image_of(PDF_CODEC_NONE, 4, 1, PDF_CS_GRAY, 16);
    assert_int_equal(decode(&img, g16, sizeof g16, 4, 1, MB, &px, &err), SH_OK);
    assert_same(px, (const uint8_t[]){0x12, 0xab, 0x00, 0xff}, 4);
    g_free(px);
    /* RGB: white, black, red, green, blue. */
    uint8_t rgb[] = {255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255};
    img = image_of(PDF_CODEC_NONE, 5, 1, PDF_CS_RGB, 8);
    assert_int_equal(decode(&img, rgb, sizeof rgb, 5, 1, MB, &px, &err), SH_OK);
    assert_same(px, (const uint8_t[]){255, 0, 76, 150, 29}, 5);
    g_free(px);
    img.decode_inverted = true;
    assert_int_equal(decode(&img, rgb, sizeof rgb, 5, 1, MB, &px, &err), SH_OK);
    assert_same(px, (const uint8_t[]){0, 255, 179, 105, 226}, 5);
    g_free(px);
    /* CMYK: paper, full K, full C, 50% K. */
    uint8_t cmyk[] = {0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 128};
    img = image_of(PDF_CODEC_NONE, 4, 1, PDF_CS_CMYK, 8);
    assert_int_equal(decode(&img, cmyk, sizeof cmyk, 4, 1, MB, &px, &err), SH_OK);
    assert_same(px, (const uint8_t[]){255, 0, 179, 127}, 4);
    g_free(px);
    /* 2-bit grey: 0, 1, 2, 3 → 0, 85, 170, 255. */
    uint8_t g2[] = {0x1b};
    img = image_of(PDF_CODEC_NONE, 4, 1, PDF_CS_GRAY, 2);
    assert_int_equal(decode(&img, g2, 1, 4, 1, MB, &px, &err), SH_OK);
    assert_same(px, (const uint8_t[]){0, 85, 170, 255}, 4);
    g_free(px);
    /* One-component "other" (a Separation): a tint of ink, 0 = paper. */
    uint8_t tint[] = {0, 255, 100};
    img = image_of(PDF_CODEC_NONE, 3, 1, PDF_CS_OTHER, 8);
    img.components = 1;
    assert_int_equal(decode(&img, tint, 3, 3, 1, MB, &px, &err), SH_OK);
    assert_same(px, (const uint8_t[]){255, 0, 155}, 3);
    g_free(px);
    /* Three-component "other" (Lab): the lightness. */
    uint8_t lab[] = {200, 128, 128, 10, 0, 255};
    img.components = 3;
    img.width = 2;
    assert_int_equal(decode(&img, lab, sizeof lab, 2, 1, MB, &px, &err), SH_OK);
    assert_same(px, (const uint8_t[]){200, 10}, 2);
    g_free(px);
}

static void truncated_samples_leave_white(void **state)
{
    (void)state;
    uint32_t w = 80, h = 100;
    uint8_t *g = grey_picture(w, h), *px;
    pdf_image img = image_of(PDF_CODEC_NONE, w, h, PDF_CS_GRAY, 8);
    sh_error err;
    /* 40 rows and a half: row 40 is incomplete, so rows 40.. are white. */
    assert_int_equal(decode(&img, g, (size_t)w * 40 + w / 2, 40, 50, MB, &px, &err), SH_OK);
    uint8_t *full = malloc((size_t)w * h);
    memset(full, 255, (size_t)w * h);
    memcpy(full, g, (size_t)w * 40);
    uint8_t *want = box_reference(full, w, h, 40, 50);
    assert_same(px, want, 40 * 50);
    assert_int_equal(px[49 * 40], 255);
    g_free(px);
    free(want);
    free(full);
    /* No data at all: a white page. */
    assert_int_equal(decode(&img, g, 0, 8, 10, MB, &px, &err), SH_OK);
    for (int i = 0; i < 80; i++)
        assert_int_equal(px[i], 255);
    g_free(px);
    free(g);
}

static void read_errors_are_passed_on(void **state)
{
    (void)state;
    uint32_t w = 50, h = 50;
    uint8_t *g = grey_picture(w, h), *px = (uint8_t *)"x";
    pdf_image img = image_of(PDF_CODEC_NONE, w, h, PDF_CS_GRAY, 8);
    mem_stream m = {g, (size_t)w * h, 0, 100, 1000};
    sh_error err;
    assert_int_equal(vd_decode_image(&img, mem_read, &m, NULL, 0, 10, 10, MB, &px, &err), SH_INPUT);
    assert_null(px);
    test_assert_contains(err.msg, "the disk went away");
    /* The same through each codec. */
    blob j = jpeg_encode(g, w, h, 1, 90, false);
    img = image_of(PDF_CODEC_DCT, w, h, PDF_CS_GRAY, 8);
    m = (mem_stream){j.data, j.len, 0, 100, 200};
    assert_int_equal(vd_decode_image(&img, mem_read, &m, NULL, 0, 10, 10, MB, &px, &err), SH_INPUT);
    test_assert_contains(err.msg, "the disk went away");
    free(j.data);
    pdf_image kinds[] = {image_of(PDF_CODEC_CCITT, w, h, PDF_CS_GRAY, 1),
                         image_of(PDF_CODEC_JBIG2, w, h, PDF_CS_GRAY, 1)};
    for (int i = 0; i < 2; i++) {
        m = (mem_stream){g, (size_t)w * h, 0, 100, 200};
        assert_int_equal(vd_decode_image(&kinds[i], mem_read, &m, NULL, 0, 10, 10, MB, &px, &err),
                         SH_INPUT);
        test_assert_contains(err.msg, "the disk went away");
    }
    free(g);
}

static void memory_limit_is_kept(void **state)
{
    (void)state;
    uint8_t byte = 0;
    sh_error err;
    uint8_t *px = NULL;
    pdf_image img = image_of(PDF_CODEC_NONE, 35000, 35000, PDF_CS_RGB, 16);
    assert_int_equal(decode(&img, &byte, 1, 35000, 35000, 64 * MB, &px, &err), SH_INPUT);
    assert_null(px);
    test_assert_contains(err.msg, "MB");
    /* The output alone is within the limit, but not with the rows. */
    assert_int_equal(decode(&img, &byte, 1, 1000, 1000, MB + 200000, &px, &err), SH_INPUT);
    /* Reduced, it fits: the data end at once, so the page is white. */
    assert_int_equal(decode(&img, &byte, 1, 1000, 1000, 8 * MB, &px, &err), SH_OK);
    assert_int_equal(px[999999], 255);
    g_free(px);
    /* CCITT: the encoded data are read whole, within the limit. */
    uint8_t *big = calloc(4 * MB, 1);
    img = image_of(PDF_CODEC_CCITT, 2000, 2000, PDF_CS_GRAY, 1);
    assert_int_equal(decode(&img, big, 4 * MB, 100, 100, 2 * MB, &px, &err), SH_INPUT);
    test_assert_contains(err.msg, "MB");
    free(big);
    /* JBIG2: a 35000 × 35000 page needs 153 MB for its bits. */
    uint8_t info[19] = {0}, stream[64], *p = stream;
    be32(info, 35000);
    be32(info + 4, 35000);
    jb_segment(&p, 0, 48, 1, info, sizeof info);
    jb_segment(&p, 1, 49, 1, NULL, 0);
    img = image_of(PDF_CODEC_JBIG2, 35000, 35000, PDF_CS_GRAY, 1);
    assert_int_equal(decode(&img, stream, (size_t)(p - stream), 1240, 1240, 64 * MB, &px, &err),
                     SH_INPUT);
    test_assert_contains(err.msg, "MB");
}

/* ---- JPEG ---- */

static uint8_t *colour_picture(uint32_t w, uint32_t h, int comps, uint8_t **grey)
{
    uint8_t *c = malloc((size_t)w * h * comps);
    *grey = malloc((size_t)w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = c + ((size_t)y * w + x) * comps;
            unsigned a = x * 255 / w, b = y * 255 / h, d = (x / 40 + y / 40) % 2 ? 200 : 60;
            uint8_t *g = *grey + (size_t)y * w + x;
            if (comps == 3) {
                p[0] = (uint8_t)a, p[1] = (uint8_t)d, p[2] = (uint8_t)b;
                *g = (uint8_t)((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 32768) >> 16);
            } else if (comps == 4) { /* Adobe CMYK: stored inverted */
                unsigned cc = a / 3, m = b / 3, yy = 0, k = d / 4;
                unsigned ink = ((77 * cc + 151 * m + 28 * yy) >> 8) + k;
                *g = (uint8_t)(ink >= 255 ? 0 : 255 - ink);
                p[0] = (uint8_t)(255 - cc), p[1] = (uint8_t)(255 - m), p[2] = (uint8_t)(255 - yy),
                p[3] = (uint8_t)(255 - k);
            } else {
                p[0] = (uint8_t)((a + d) / 2);
                *g = p[0];
            }
        }
    return c;
}

static void jpeg_grey_rgb_cmyk(void **state)
{
    (void)state;
    struct {
        int comps;
        pdf_colour_space cs;
        bool progressive;
        uint32_t w, h, ow, oh;
    } cases[] = {
        {1, PDF_CS_GRAY, false, 640, 480, 320, 240},  {3, PDF_CS_RGB, false, 640, 480, 160, 120},
        {3, PDF_CS_RGB, true, 640, 480, 320, 240},    {4, PDF_CS_CMYK, false, 400, 300, 100, 75},
        {3, PDF_CS_RGB, false, 2480, 1000, 827, 333}, {1, PDF_CS_GRAY, false, 300, 200, 300, 200},
        {3, PDF_CS_RGB, true, 617, 433, 205, 144},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t w = cases[i].w, h = cases[i].h, ow = cases[i].ow, oh = cases[i].oh;
        uint8_t *grey, *src = colour_picture(w, h, cases[i].comps, &grey), *px;
        blob j = jpeg_encode(src, w, h, cases[i].comps, 95, cases[i].progressive);
        pdf_image img = image_of(PDF_CODEC_DCT, w, h, cases[i].cs, 8);
        img.decode_inverted = cases[i].comps == 4; /* as ingest writes Adobe CMYK */
        sh_error err;
        assert_int_equal(decode(&img, j.data, j.len, ow, oh, 64 * MB, &px, &err), SH_OK);
        uint8_t *want = box_reference(grey, w, h, ow, oh);
        /* When the DCT scale is not a multiple of the output, the two resamplings differ in
         * phase, at the 40-pixel checks' edges only. */
        bool aligned = w % ow == 0 && h % oh == 0;
        assert_close(px, want, (size_t)ow * oh, aligned ? 1.0 : 4.0, aligned ? 8 : 90);
        g_free(px);
        free(want);
        free(j.data);
        free(src);
        free(grey);
    }
}

static void jpeg_size_differs_from_the_dictionary(void **state)
{
    (void)state;
    uint32_t w = 320, h = 240;
    uint8_t *grey, *src = colour_picture(w, h, 1, &grey), *px;
    blob j = jpeg_encode(src, w, h, 1, 95, false);
    sh_error err;
    /* /Width /Height twice the JPEG's: the JPEG's pixels, reduced to the output. */
    pdf_image img = image_of(PDF_CODEC_DCT, 2 * w, 2 * h, PDF_CS_GRAY, 8);
    assert_int_equal(decode(&img, j.data, j.len, 160, 120, 16 * MB, &px, &err), SH_OK);
    uint8_t *want = box_reference(grey, w, h, 160, 120);
    assert_close(px, want, 160 * 120, 2.0, 40);
    g_free(px);
    free(want);
    /* And an output larger than the JPEG: its pixels repeated. */
    assert_int_equal(decode(&img, j.data, j.len, 2 * w, 2 * h, 16 * MB, &px, &err), SH_OK);
    assert_true(abs((int)px[(2 * 100 + 1) * 2 * w + 2 * 50 + 1] - (int)grey[100 * w + 50]) < 12);
    g_free(px);
    free(j.data);
    free(src);
    free(grey);
}

static void jpeg_truncated_and_damaged(void **state)
{
    (void)state;
    uint32_t w = 512, h = 512;
    uint8_t *grey, *src = colour_picture(w, h, 1, &grey), *px;
    blob j = jpeg_encode(src, w, h, 1, 90, false);
    pdf_image img = image_of(PDF_CODEC_DCT, w, h, PDF_CS_GRAY, 8);
    sh_error err;
    assert_int_equal(decode(&img, j.data, j.len / 2, 256, 256, 16 * MB, &px, &err), SH_OK);
    uint8_t *want = box_reference(grey, w, h, 256, 256);
    assert_close(px, want, 256 * 80, 2.0, 40); /* the top third decoded */
    for (size_t i = 200 * 256; i < 256 * 256; i++)
        assert_int_equal(px[i], 255); /* the bottom left white */
    g_free(px);
    free(want);
    /* Damaged: no JPEG at all, and a header only. */
    assert_int_equal(decode(&img, src, 5000, 256, 256, 16 * MB, &px, &err), SH_INPUT);
    test_assert_contains(err.msg, "JPEG");
    assert_int_equal(decode(&img, j.data, 100, 256, 256, 16 * MB, &px, &err), SH_INPUT);
    /* A limit that leaves libjpeg too little for a progressive JPEG's coefficients. */
    blob p = jpeg_encode(src, w, h, 1, 90, true);
    assert_int_equal(decode(&img, p.data, p.len, 256, 256, 300000, &px, &err), SH_INPUT);
    assert_int_equal(decode(&img, p.data, p.len, 256, 256, 4 * MB, &px, &err), SH_OK);
    g_free(px);
    free(p.data);
    free(j.data);
    free(src);
    free(grey);
}

/* ---- CCITT ---- */

static void check_fax(const char *dir, uint16_t compression, uint32_t t4, int k, bool align)
{
    uint32_t w = 333, h = 250, ow = 111, oh = 99;
    uint8_t *grey, *bits = pattern_bits(w, h, &grey), *px;
    blob f = fax_encode(dir, bits, w, h, compression, t4);
    pdf_image img = image_of(PDF_CODEC_CCITT, w, h, PDF_CS_GRAY, 1);
    img.ccitt_k = k;
    img.ccitt_byte_align = align;
    sh_error err;
    print_message("compression %u, K %d: %lu bytes\n", compression, k, f.len);
    sh_status st = decode(&img, f.data, f.len, ow, oh, 16 * MB, &px, &err);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    uint8_t *want = box_reference(grey, w, h, ow, oh);
    assert_same(px, want, (size_t)ow * oh);
    g_free(px);
    /* BlackIs1: the coded black runs read as 1, white in a grey image … */
    img.ccitt_black_is_1 = true;
    assert_int_equal(decode(&img, f.data, f.len, ow, oh, 16 * MB, &px, &err), SH_OK);
    uint8_t *neg = negative_reference(grey, w, h, ow, oh);
    assert_same(px, neg, (size_t)ow * oh);
    free(neg);
    g_free(px);
    /* … unless /Decode [1 0] turns them back. */
    img.decode_inverted = true;
    assert_int_equal(decode(&img, f.data, f.len, ow, oh, 16 * MB, &px, &err), SH_OK);
    assert_same(px, want, (size_t)ow * oh);
    g_free(px);
    free(want);
    free(f.data);
    free(bits);
    free(grey);
}

static void ccitt_g4_g3_2d_g3_1d(void **state)
{
    const char *dir = *state;
    check_fax(dir, COMPRESSION_CCITTFAX4, 0, -1, false);
    check_fax(dir, COMPRESSION_CCITTFAX3, GROUP3OPT_2DENCODING, 1, false);
    check_fax(dir, COMPRESSION_CCITTFAX3, 0, 0, false);
    check_fax(dir, COMPRESSION_CCITTFAX3, GROUP3OPT_2DENCODING | GROUP3OPT_FILLBITS, 4, true);
    check_fax(dir, COMPRESSION_CCITTRLE, 0, 0, true); /* 1-D, no EOLs, rows byte-aligned */
}

static void ccitt_truncated_and_damaged(void **state)
{
    const char *dir = *state;
    uint32_t w = 400, h = 600;
    uint8_t *grey, *bits = pattern_bits(w, h, &grey), *px;
    blob f = fax_encode(dir, bits, w, h, COMPRESSION_CCITTFAX4, 0);
    pdf_image img = image_of(PDF_CODEC_CCITT, w, h, PDF_CS_GRAY, 1);
    sh_error err;
    assert_int_equal(decode(&img, f.data, f.len / 2, w / 4, h / 4, 16 * MB, &px, &err), SH_OK);
    uint8_t *want = box_reference(grey, w, h, w / 4, h / 4);
    assert_same(px, want, (size_t)(w / 4) * 40); /* the top */
    for (size_t i = (size_t)(w / 4) * 120; i < (size_t)(w / 4) * (h / 4); i++)
        assert_int_equal(px[i], 255); /* the bottom */
    g_free(px);
    free(want);
    /* /Rows shorter than /Height: the data end with EOFB after them; the rest is white. */
    blob half = fax_encode(dir, bits, w, h / 2, COMPRESSION_CCITTFAX4, 0);
    assert_int_equal(decode(&img, half.data, half.len, w, h, 16 * MB, &px, &err), SH_OK);
    assert_same(px, grey, (size_t)w * h / 2);
    assert_int_equal(px[(size_t)w * h - 1], 255);
    g_free(px);
    free(half.data);
    /* A code libtiff refuses (an extension: uncompressed mode) is damage, not an early end.
     * (Most garbage is not refused: nearly every bit string is a valid G4 code.) */
    assert_int_equal(
        decode(&img, (const uint8_t *)"\x03\xf0\x00", 3, w / 4, h / 4, 16 * MB, &px, &err),
        SH_INPUT);
    test_assert_contains(err.msg, "CCITT");
    /* G3 2-D without EOLs cannot be read by libtiff: said so. */
    img.ccitt_k = 2;
    assert_int_equal(decode(&img, (const uint8_t *)"\x35\x35", 2, 10, 10, MB, &px, &err), SH_INPUT);
    /* A G4 with byte-aligned rows is not offered at all. */
    img.ccitt_k = -1;
    img.ccitt_byte_align = true;
    assert_false(vd_can_decode(&img));
    free(f.data);
    free(bits);
    free(grey);
}

/* ---- JBIG2 ---- */

static void jbig2_generic_region(void **state)
{
    const char *dir = *state;
    uint32_t w = 301, h = 207;
    uint8_t *grey, *bits = pattern_bits(w, h, &grey), *px;
    blob g4 = fax_encode(dir, bits, w, h, COMPRESSION_CCITTFAX4, 0);
    blob jb = jbig2_page(g4.data, g4.len, w, h);
    pdf_image img = image_of(PDF_CODEC_JBIG2, w, h, PDF_CS_GRAY, 1);
    sh_error err;
    assert_int_equal(decode(&img, jb.data, jb.len, 100, 69, 16 * MB, &px, &err), SH_OK);
    uint8_t *want = box_reference(grey, w, h, 100, 69);
    assert_same(px, want, 100 * 69);
    g_free(px);
    /* With globals (a comment extension segment, page 0): still the same page. */
    uint8_t comment[] = {0x20, 0, 0, 0, 'k', 0, 'v', 0, 0};
    uint8_t globals[64], *p = globals;
    jb_segment(&p, 0, 62, 0, comment, sizeof comment);
    mem_stream m = {jb.data, jb.len, 0, 10, 0};
    assert_int_equal(vd_decode_image(&img, mem_read, &m, globals, (size_t)(p - globals), 100, 69,
                                     16 * MB, &px, &err),
                     SH_OK);
    assert_same(px, want, 100 * 69);
    g_free(px);
    /* /Decode [1 0]. */
    img.decode_inverted = true;
    assert_int_equal(decode(&img, jb.data, jb.len, 100, 69, 16 * MB, &px, &err), SH_OK);
    uint8_t *neg = negative_reference(grey, w, h, 100, 69);
    assert_same(px, neg, 100 * 69);
    free(neg);
    g_free(px);
    /* Cut inside the region: its data never complete, so the page is white. */
    img.decode_inverted = false;
    assert_int_equal(decode(&img, jb.data, jb.len / 2, 100, 69, 16 * MB, &px, &err), SH_OK);
    assert_int_equal(px[0], 255);
    g_free(px);
    /* Damaged. */
    assert_int_equal(decode(&img, g4.data, g4.len, 100, 69, 16 * MB, &px, &err), SH_INPUT);
    test_assert_contains(err.msg, "JBIG2");
    free(want);
    free(jb.data);
    free(g4.data);
    free(bits);
    free(grey);
}

static void what_can_be_decoded(void **state)
{
    (void)state;
    pdf_image img = image_of(PDF_CODEC_JPX, 10, 10, PDF_CS_RGB, 8);
    assert_false(vd_can_decode(&img));
    uint8_t *px = NULL, byte = 0;
    sh_error err;
    assert_int_equal(decode(&img, &byte, 1, 5, 5, MB, &px, &err), SH_INPUT);
    assert_null(px);
    test_assert_contains(err.msg, "rendering");
    img.codec = PDF_CODEC_OTHER;
    assert_false(vd_can_decode(&img));
    img = image_of(PDF_CODEC_NONE, 10, 10, PDF_CS_RGB, 8);
    assert_true(vd_can_decode(&img));
    img.bpc = 3;
    assert_false(vd_can_decode(&img));
    img = image_of(PDF_CODEC_NONE, 10, 10, PDF_CS_RGB, 8);
    img.components = 1; /* does not match the space */
    assert_false(vd_can_decode(&img));
    img = image_of(PDF_CODEC_NONE, 10, 10, PDF_CS_INDEXED, 16);
    assert_false(vd_can_decode(&img)); /* and no palette either */
    img = image_of(PDF_CODEC_NONE, 10, 10, PDF_CS_GRAY, 8);
    img.image_mask = true;
    assert_false(vd_can_decode(&img)); /* a mask has 1 bit */
    /* An output larger than the image is the caller's mistake. */
    img = image_of(PDF_CODEC_NONE, 10, 10, PDF_CS_GRAY, 8);
    assert_int_equal(decode(&img, &byte, 1, 11, 5, MB, &px, &err), SH_INTERNAL);
    assert_int_equal(decode(&img, &byte, 1, 0, 5, MB, &px, &err), SH_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grey_8bit_exact_at_any_ratio),
        cmocka_unit_test(one_bit_inverted_and_image_mask),
        cmocka_unit_test(four_bit_indexed_rgb),
        cmocka_unit_test(sixteen_bit_grey_rgb_cmyk_and_other),
        cmocka_unit_test(truncated_samples_leave_white),
        cmocka_unit_test(read_errors_are_passed_on),
        cmocka_unit_test(memory_limit_is_kept),
        cmocka_unit_test(jpeg_grey_rgb_cmyk),
        cmocka_unit_test(jpeg_size_differs_from_the_dictionary),
        cmocka_unit_test(jpeg_truncated_and_damaged),
        cmocka_unit_test(ccitt_g4_g3_2d_g3_1d),
        cmocka_unit_test(ccitt_truncated_and_damaged),
        cmocka_unit_test(jbig2_generic_region),
        cmocka_unit_test(what_can_be_decoded),
    };
    return cmocka_run_group_tests(tests, test_setup_tmpdir, test_teardown_tmpdir);
}
