/* The ingest module, 3: JPEG pages, from small baseline files embedded below and patched marker
 * by marker: copied as they are, CMYK with Adobe inverted, EXIF orientation and resolution, kinds
 * PDF readers cannot read refused, and the header and EXIF parsers on crafted bytes. */
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
 * 3. JPEG. Baseline files of 24 × 16 pixels made with Pillow (no APP0), patched below.
 */

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(jpeg_is_copied_as_is),
        FX(jpeg_cmyk_with_adobe_is_inverted),
        FX(jpeg_exif_orientation_rotates),
        FX(jpeg_mirrored_orientation_flips_the_image),
        FX(jpeg_resolution_from_jfif_or_exif),
        FX(jpeg_kinds_pdf_cannot_read_are_refused),
        FX(jpeg_truncated_is_refused),
        cmocka_unit_test(jpeg_header_parser_on_crafted_bytes),
        cmocka_unit_test(exif_parser_on_crafted_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
