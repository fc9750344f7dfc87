/* The ingest module, 2: TIFF pages, written with libtiff (and by hand for what libtiff will not
 * write): G4 copied byte for byte, other bilevel re-encoded to G4, grey, colour and palette to
 * Flate; orientation, resolution, damaged and unsupported files. pdfimages gives the images back
 * (pixels compared with the ones drawn, CCITT data with the source bytes), pdfinfo the page size
 * and rotation, qpdf --check the syntax and qpdf the decoded 16-bit samples. */
#include "testutil.h"

#include "audit_fixture.h"
#include "ingest_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

/* ---------------------------------------------------------------------------------------------
 * 2. TIFF.
 */

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
    if (!TIFFIsCODECConfigured(COMPRESSION_JPEG))
        fail_msg("this libtiff is built without JPEG, which the test needs (Debian's has it)");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(tiff_g4_single_strip_is_copied),    FX(tiff_g4_min_is_black_says_black_is_1),
        FX(tiff_g4_fill_order_2_is_reversed),  FX(tiff_bilevel_is_reencoded_to_g4),
        FX(tiff_grey_and_colour_are_flate),    FX(tiff_16_bit_grey_needs_pdf_1_5),
        FX(tiff_palette_is_indexed),           FX(tiff_pages_all_come),
        FX(tiff_orientation_rotates_the_page), FX(tiff_resolution_in_cm_and_none),
        FX(tiff_damaged_is_refused),           FX(tiff_over_the_limits_is_refused_before_reading),
        FX(tiff_unsupported_kinds_are_named),  FX(tiff_more_sample_layouts),
        FX(tiff_jpeg_pages_are_decoded),       FX(tiff_g4_pages_each_copied),
        FX(tiff_without_pixels_is_refused),    FX(special_files_are_not_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
