/* The ingest module, 4: PNG pages, written with libpng: opaque data copied, 16-bit samples,
 * transparency as a soft mask, interlaced, pHYs resolution, damaged and crafted headers. */
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
 * 4. PNG.
 */

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(png_opaque_data_is_copied),
        FX(png_16_bit_needs_pdf_1_5),
        FX(png_transparency_becomes_a_soft_mask),
        FX(png_interlaced_is_decoded),
        FX(png_resolution_from_phys),
        FX(png_damaged_is_refused),
        FX(png_more_layouts),
        FX(png_crafted_headers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
