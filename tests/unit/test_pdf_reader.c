/* The bounded PDF reader: what `sohoa validate` learns from a page (its box and rotation, the
 * images it draws with their placement and data, visible text, drawing), on files written with
 * our pdf_writer and then rewritten by qpdf (object and xref streams, QDF, recompression,
 * encryption), updated incrementally, or damaged. pdfinfo, pdfimages and qpdf are the judges
 * where they say the same thing. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <zlib.h>

#include "pdf/pdf.h"
#include "reader_impl.h" /* the cross-reference as read, to hold against qpdf's */

/* ---- fixtures: PDFs written with our writer ---- */

typedef struct {
    pdf_writer *w;
    int catalog, pages, info;
    int kids[8];
    int n;
} fixture;

static void fx_begin(fixture *f, const char *path)
{
    sh_error err;
    memset(f, 0, sizeof *f);
    f->w = pdf_writer_new(path, 5, false, &err);
    assert_non_null(f->w);
    f->catalog = pdf_object_reserve(f->w);
    f->pages = pdf_object_reserve(f->w);
    f->info = pdf_object_reserve(f->w);
}

static int fx_stream(fixture *f, const char *dict, const void *data, size_t len)
{
    int num = pdf_object_reserve(f->w);
    pdf_stream_begin(f->w, num, dict, len);
    pdf_write(f->w, data, len);
    pdf_stream_end(f->w);
    return num;
}

/* A page with `content`; extra goes into its dictionary (/Resources, /Rotate …). */
static void fx_page(fixture *f, const char *extra, const char *content)
{
    int c = fx_stream(f, "", content, strlen(content));
    int page = pdf_object_reserve(f->w);
    pdf_object_begin(f->w, page);
    pdf_printf(f->w, "<< /Type /Page /Parent %d 0 R /Contents %d 0 R %s >>", f->pages, c, extra);
    pdf_object_end(f->w);
    f->kids[f->n++] = page;
}

static void fx_finish(fixture *f, const char *pages_extra)
{
    pdf_object_begin(f->w, f->pages);
    pdf_printf(f->w, "<< /Type /Pages /Count %d %s /Kids [", f->n, pages_extra);
    for (int i = 0; i < f->n; i++)
        pdf_printf(f->w, " %d 0 R", f->kids[i]);
    pdf_printf(f->w, "] >>");
    pdf_object_end(f->w);
    pdf_object_begin(f->w, f->catalog);
    pdf_printf(f->w, "<< /Type /Catalog /Pages %d 0 R >>", f->pages);
    pdf_object_end(f->w);
    pdf_object_begin(f->w, f->info);
    pdf_printf(f->w, "<< /Producer (sohoa test) >>");
    pdf_object_end(f->w);
    sh_error err;
    if (pdf_writer_finish(f->w, f->catalog, f->info, NULL, &err) != SH_OK)
        fail_msg("%s", err.msg);
}

/* A fake JPEG: the reader passes codec bytes through without looking into them. */
static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 0xff, 0xd9};

#define GW 40
#define GH 30

static void grey_pixels(uint8_t *px)
{
    for (int y = 0; y < GH; y++)
        for (int x = 0; x < GW; x++)
            px[y * GW + x] = (uint8_t)(x * 6 + y * 3);
}

/* Rows with PNG "Up" (2) and "Paeth" (4) filters alternating, then zlib. */
static uint8_t *png_flate(const uint8_t *px, size_t *out_len)
{
    uint8_t raw[GH * (GW + 1)];
    for (int y = 0; y < GH; y++) {
        uint8_t *row = raw + y * (GW + 1);
        row[0] = y % 2 ? 4 : 2;
        for (int x = 0; x < GW; x++) {
            int a = x ? px[y * GW + x - 1] : 0, b = y ? px[(y - 1) * GW + x] : 0;
            int c = x && y ? px[(y - 1) * GW + x - 1] : 0;
            int pred = b;
            if (row[0] == 4) {
                int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
                pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            row[1 + x] = (uint8_t)(px[y * GW + x] - pred);
        }
    }
    uLongf len = compressBound(sizeof raw);
    uint8_t *z = g_malloc(len);
    assert_int_equal(compress(z, &len, raw, sizeof raw), Z_OK);
    *out_len = len;
    return z;
}

/* An A4 page holding one DCT image of 2480 × 3508 pixels (300 ppi), as ingest writes it. */
static void write_scan(const char *path)
{
    fixture f;
    fx_begin(&f, path);
    int im = fx_stream(&f,
                       "/Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace "
                       "/DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
                       jpeg, sizeof jpeg);
    char *extra = g_strdup_printf("/MediaBox [0 0 595.2 841.92] /Resources << /XObject << /Im0 "
                                  "%d 0 R >> >>",
                                  im);
    fx_page(&f, extra, "q 595.2 0 0 841.92 0 0 cm /Im0 Do Q\n");
    g_free(extra);
    fx_finish(&f, "");
}

/* ---- helpers ---- */

static double dabs(double v) { return v < 0 ? -v : v; }

static pdf_reader *open_ok(const char *path)
{
    pdf_reader *r = NULL;
    sh_error err;
    sh_status st = pdf_reader_open(path, &r, &err);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    return r;
}

static void page_ok(pdf_reader *r, int index, pdf_page_info *info)
{
    sh_error err;
    if (pdf_reader_page(r, index, info, &err) != SH_OK)
        fail_msg("%s", err.msg);
}

/* Every byte of an image's stream; g_free. */
static uint8_t *read_image(pdf_reader *r, const pdf_image *img, size_t *len)
{
    sh_error err;
    pdf_stream *s;
    assert_int_equal(pdf_image_open(r, img, 0, &s, &err), SH_OK);
    GByteArray *all = g_byte_array_new();
    uint8_t buf[777]; /* an odd size: rows and reads do not line up */
    ptrdiff_t n;
    while ((n = pdf_stream_read(s, buf, sizeof buf, &err)) > 0)
        g_byte_array_append(all, buf, (guint)n);
    if (n < 0)
        fail_msg("%s", err.msg);
    pdf_stream_close(s);
    *len = all->len;
    return g_byte_array_free(all, false);
}

/* "tool options 'path'": its output (g_free). */
static char *run(const char *tool, const char *path, bool *ok)
{
    char *cmd = g_strdup_printf("%s '%s'", tool, path);
    char *out = test_run(cmd, ok);
    g_free(cmd);
    return out;
}

/* The last occurrence of needle in binary data. */
static char *last(char *d, size_t len, const char *needle)
{
    char *found = NULL;
    for (char *p = d; (p = memmem(p, len - (size_t)(p - d), needle, strlen(needle))); p++)
        found = p;
    return found;
}

/* ---- behaviours ---- */

/* The common case: one scanned image covering the page, nothing else; its size in pixels and
 * where it lands, which give the resolution pdfimages reports; the codec bytes as written. */
static void scanned_page_is_one_image(void **state)
{
    char *path = test_path(*state, "scan.pdf");
    write_scan(path);
    pdf_reader *r = open_ok(path);
    assert_int_equal(pdf_reader_pages(r), 1);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_true(pi.content_ok);
    assert_int_equal(pi.n_images, 1);
    assert_int_equal(pi.images_drawn, 1);
    assert_false(pi.draws_text);
    assert_false(pi.draws_vectors);
    assert_int_equal(pi.rotate, 0);
    assert_true(dabs(pi.box[2] - 595.2) < 1e-9 && dabs(pi.box[3] - 841.92) < 1e-9);
    const pdf_image *im = &pi.images[0];
    assert_int_equal(im->width, 2480);
    assert_int_equal(im->height, 3508);
    assert_int_equal(im->codec, PDF_CODEC_DCT);
    assert_int_equal(im->cs, PDF_CS_RGB);
    assert_int_equal(im->components, 3);
    assert_int_equal(im->bpc, 8);
    /* not rotated: the placed size is the diagonal of the matrix */
    assert_true(im->ctm[1] == 0 && im->ctm[2] == 0);
    double xppi = im->width / (im->ctm[0] / 72), yppi = im->height / (im->ctm[3] / 72);
    assert_true(dabs(xppi - 300) < 0.01 && dabs(yppi - 300) < 0.01);
    size_t len;
    uint8_t *data = read_image(r, im, &len);
    assert_int_equal(len, sizeof jpeg);
    assert_memory_equal(data, jpeg, len);
    g_free(data);
    pdf_reader_close(r);

    bool ok;
    test_need_tool("pdfimages");
    char *out = run("pdfimages -list", path, &ok);
    assert_true(ok);
    int page, num, w, h, obj, gen, xp, yp;
    char type[16];
    const char *line = strstr(out, "\n---");
    line = line ? strchr(line + 1, '\n') : NULL;
    assert_non_null(line);
    assert_int_equal(sscanf(line, "%d %d %15s %d %d %*s %*d %*d %*s %*s %d %d %d %d", &page, &num,
                            type, &w, &h, &obj, &gen, &xp, &yp),
                     9);
    assert_int_equal(w, im->width);
    assert_int_equal(h, im->height);
    assert_int_equal(obj, im->object);
    assert_int_equal(xp, (int)(xppi + 0.5));
    assert_int_equal(yp, (int)(yppi + 0.5));
    g_free(out);
    g_free(path);
}

/* Flate with a PNG predictor: the stream gives the samples, equal to the pixels written and to
 * what qpdf decodes. */
static void flate_predictor_gives_samples(void **state)
{
    char *path = test_path(*state, "flate.pdf");
    uint8_t px[GW * GH];
    grey_pixels(px);
    size_t zlen;
    uint8_t *z = png_flate(px, &zlen);
    fixture f;
    fx_begin(&f, path);
    char *dict = g_strdup_printf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                                 "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
                                 "/DecodeParms << /Predictor 15 /Columns %d >>",
                                 GW, GH, GW);
    int im = fx_stream(&f, dict, z, zlen);
    char *extra = g_strdup_printf("/MediaBox [0 0 400 300] /Resources << /XObject << /I %d 0 R "
                                  ">> >>",
                                  im);
    fx_page(&f, extra, "q 400 0 0 300 0 0 cm /I Do Q");
    fx_finish(&f, "");
    g_free(dict);
    g_free(extra);
    g_free(z);

    pdf_reader *r = open_ok(path);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_int_equal(pi.n_images, 1);
    assert_int_equal(pi.images[0].codec, PDF_CODEC_NONE);
    assert_int_equal(pi.images[0].cs, PDF_CS_GRAY);
    size_t len;
    uint8_t *data = read_image(r, &pi.images[0], &len);
    assert_int_equal(len, sizeof px);
    assert_memory_equal(data, px, len);

    /* A limit below the image's size is an error, with a message naming the file. */
    sh_error err;
    pdf_stream *s;
    assert_int_equal(pdf_image_open(r, &pi.images[0], 100, &s, &err), SH_OK);
    uint8_t buf[4096];
    ptrdiff_t n, total = 0;
    while ((n = pdf_stream_read(s, buf, sizeof buf, &err)) > 0)
        total += n;
    assert_int_equal(n, -1);
    assert_int_equal(total, 100);
    test_assert_contains(err.msg, path);
    pdf_stream_close(s);

    test_need_tool("qpdf");
    char *out = test_path(*state, "q.raw");
    char *cmd = g_strdup_printf("qpdf --show-object=%d --filtered-stream-data '%s' > '%s'",
                                pi.images[0].object, path, out);
    assert_int_equal(system(cmd), 0);
    size_t qlen;
    char *q = test_slurp(out, &qlen);
    assert_int_equal(qlen, len);
    assert_memory_equal(q, data, len);
    g_free(q);
    g_free(cmd);
    g_free(out);
    g_free(data);
    pdf_reader_close(r);
    g_free(path);
}

/* The other text filters and LZW, each giving the same samples. */
static void lzw_runlength_ascii_filters(void **state)
{
    char *path = test_path(*state, "filters.pdf");
    /* The PDF reference's LZW example: "-----A---B". */
    static const uint8_t lzw[] = {0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01};
    static const uint8_t want[] = {'-', '-', '-', '-', '-', 'A', '-', '-', '-', 'B'};
    /* RunLength: 5 × '-', then 5 literal bytes; ASCIIHex over it. */
    static const char rl_hex[] = "FC2D 04 412D2D2D42 80>";
    /* ASCII85 of the same ten bytes. */
    char a85[32] = "";
    for (int g = 0; g < 10; g += 4) {
        uint32_t v = 0;
        int k = 10 - g < 4 ? 10 - g : 4;
        for (int i = 0; i < 4; i++)
            v = v << 8 | (i < k ? want[g + i] : 0);
        char c[5];
        for (int i = 4; i >= 0; i--, v /= 85)
            c[i] = (char)('!' + v % 85);
        strncat(a85, c, (size_t)k + 1);
    }
    strcat(a85, "~>");
    fixture f;
    fx_begin(&f, path);
    const char *base = "/Type /XObject /Subtype /Image /Width 10 /Height 1 /ColorSpace /DeviceGray "
                       "/BitsPerComponent 8";
    char *d1 = g_strdup_printf("%s /Filter /LZWDecode", base);
    char *d2 = g_strdup_printf("%s /Filter [/AHx /RL]", base);
    char *d3 = g_strdup_printf("%s /Filter /ASCII85Decode", base);
    int a = fx_stream(&f, d1, lzw, sizeof lzw);
    int b = fx_stream(&f, d2, rl_hex, strlen(rl_hex));
    int c = fx_stream(&f, d3, a85, strlen(a85));
    char *extra = g_strdup_printf("/MediaBox [0 0 100 100] /Resources << /XObject << /A %d 0 R "
                                  "/B %d 0 R /C %d 0 R >> >>",
                                  a, b, c);
    fx_page(&f, extra, "/A Do /B Do /C Do");
    fx_finish(&f, "");
    g_free(d1);
    g_free(d2);
    g_free(d3);
    g_free(extra);

    pdf_reader *r = open_ok(path);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_int_equal(pi.n_images, 3);
    for (int i = 0; i < 3; i++) {
        size_t len;
        uint8_t *data = read_image(r, &pi.images[i], &len);
        assert_int_equal(len, sizeof want);
        assert_memory_equal(data, want, len);
        g_free(data);
    }
    pdf_reader_close(r);
    g_free(path);
}

/* CCITT parameters with PDF's defaults filled in; a stencil mask; an indexed image with its
 * palette and an inverted /Decode; JBIG2 with its globals. */
static void image_parameters(void **state)
{
    char *path = test_path(*state, "params.pdf");
    fixture f;
    fx_begin(&f, path);
    static const uint8_t g4[] = {0x26, 0xa0, 0x00, 0x10, 0x01};
    int c1 = fx_stream(&f,
                       "/Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace "
                       "/DeviceGray /BitsPerComponent 1 /Filter [/CCITTFaxDecode] /DecodeParms "
                       "[<< /K -1 /Columns 2480 /BlackIs1 true >>]",
                       g4, sizeof g4);
    int c2 = fx_stream(&f,
                       "/Type /XObject /Subtype /Image /Width 1728 /Height 100 /ColorSpace "
                       "/DeviceGray /BitsPerComponent 1 /Filter /CCF",
                       g4, sizeof g4);
    int mask = fx_stream(&f,
                         "/Type /XObject /Subtype /Image /Width 8 /Height 2 /ImageMask true "
                         "/Decode [1 0]",
                         "\xf0\x0f", 2);
    int icc = fx_stream(&f, "/N 3", "icc", 3);
    char *idx = g_strdup_printf("/Type /XObject /Subtype /Image /Width 2 /Height 1 /ColorSpace "
                                "/CS0 /BitsPerComponent 8 /SMask %d 0 R",
                                mask);
    int ind = fx_stream(&f, idx, "\x00\x01", 2);
    int glob = fx_stream(&f, "", "GLOBALS", 7);
    char *jd = g_strdup_printf("/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace "
                               "/DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode "
                               "/DecodeParms << /JBIG2Globals %d 0 R >>",
                               glob);
    int jb = fx_stream(&f, jd, "JB2", 3);
    char *extra = g_strdup_printf(
        "/MediaBox [0 0 100 100] /Resources << /ColorSpace << /CS0 [/Indexed [/ICCBased %d 0 "
        "R] 1 <FF0000 00FF00>] >> /XObject << /C1 %d 0 R /C2 %d 0 R /M %d 0 R /X %d 0 R /J %d "
        "0 R >> >>",
        icc, c1, c2, mask, ind, jb);
    fx_page(&f, extra, "/C1 Do /C2 Do /M Do /X Do /J Do");
    fx_finish(&f, "");
    g_free(idx);
    g_free(jd);
    g_free(extra);

    pdf_reader *r = open_ok(path);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_true(pi.content_ok);
    assert_int_equal(pi.n_images, 5);
    const pdf_image *a = &pi.images[0], *b = &pi.images[1], *m = &pi.images[2];
    const pdf_image *x = &pi.images[3], *j = &pi.images[4];
    assert_int_equal(a->codec, PDF_CODEC_CCITT);
    assert_int_equal(a->ccitt_k, -1);
    assert_int_equal(a->ccitt_columns, 2480);
    assert_true(a->ccitt_black_is_1);
    assert_true(a->ccitt_end_of_block);
    assert_int_equal(b->ccitt_k, 0);
    assert_int_equal(b->ccitt_columns, 1728);
    assert_int_equal(b->ccitt_rows, 0);
    assert_false(b->ccitt_black_is_1);
    assert_false(b->ccitt_byte_align);
    assert_true(b->ccitt_end_of_block);
    size_t len;
    uint8_t *data = read_image(r, a, &len);
    assert_int_equal(len, sizeof g4);
    assert_memory_equal(data, g4, len);
    g_free(data);
    assert_true(m->image_mask);
    assert_int_equal(m->bpc, 1);
    assert_int_equal(m->components, 1);
    assert_true(m->decode_inverted);
    assert_int_equal(x->cs, PDF_CS_INDEXED);
    assert_int_equal(x->components, 1);
    assert_int_equal(x->base_cs, PDF_CS_RGB);
    assert_int_equal(x->base_components, 3);
    assert_int_equal(x->palette_entries, 2);
    assert_memory_equal(x->palette, "\xff\x00\x00\x00\xff\x00", 6);
    assert_true(x->has_smask);
    assert_false(x->decode_inverted);
    assert_int_equal(j->codec, PDF_CODEC_JBIG2);
    assert_int_equal(j->bpc, 1);
    uint8_t *g;
    sh_error err;
    assert_int_equal(pdf_reader_jbig2_globals(r, j, &g, &len, &err), SH_OK);
    assert_int_equal(len, 7);
    assert_memory_equal(g, "GLOBALS", 7);
    g_free(g);
    assert_int_equal(pdf_reader_jbig2_globals(r, a, &g, &len, &err), SH_OK);
    assert_null(g);
    pdf_reader_close(r);
    g_free(path);
}

/* Attributes inherited from the page tree (/Resources, /MediaBox, /Rotate), /Rotate normalised,
 * the visible box the CropBox within the MediaBox, an image placed through a form. */
static void inheritance_rotation_crop_and_forms(void **state)
{
    char *path = test_path(*state, "tree.pdf");
    fixture f;
    fx_begin(&f, path);
    int im = fx_stream(&f,
                       "/Type /XObject /Subtype /Image /Width 100 /Height 50 /ColorSpace "
                       "/DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
                       jpeg, sizeof jpeg);
    char *fd = g_strdup_printf("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Matrix [2 0 0 2 10 "
                               "20] /Resources << /XObject << /Inner %d 0 R >> >>",
                               im);
    const char *fc = "q 100 0 0 50 0 0 cm /Inner Do Q";
    int form = fx_stream(&f, fd, fc, strlen(fc));
    fx_page(&f, "/CropBox [-10 100 300 2000]", "q 1 0 0 1 5 5 cm /Im0 Do Q");
    char *extra = g_strdup_printf("/Rotate 90 /Resources << /XObject << /Fm %d 0 R >> >>", form);
    fx_page(&f, extra, "/Fm Do");
    char *tree = g_strdup_printf("/MediaBox [0 0 595 842] /Rotate -270 /Resources << /XObject "
                                 "<< /Im0 %d 0 R >> >>",
                                 im);
    fx_finish(&f, tree);
    g_free(tree);
    g_free(fd);
    g_free(extra);

    pdf_reader *r = open_ok(path);
    assert_int_equal(pdf_reader_pages(r), 2);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_int_equal(pi.rotate, 90);
    assert_true(pi.box[0] == 0 && pi.box[1] == 100 && pi.box[2] == 300 && pi.box[3] == 842);
    assert_int_equal(pi.n_images, 1);
    assert_true(pi.images[0].ctm[0] == 1 && pi.images[0].ctm[4] == 5);
    page_ok(r, 1, &pi);
    assert_int_equal(pi.rotate, 90);
    assert_true(pi.box[2] == 595 && pi.box[3] == 842);
    assert_int_equal(pi.n_images, 1);
    assert_int_equal(pi.images_drawn, 1);
    const double *m = pi.images[0].ctm;
    assert_true(m[0] == 200 && m[1] == 0 && m[2] == 0 && m[3] == 100 && m[4] == 10 && m[5] == 20);
    pdf_reader_close(r);

    test_need_tool("pdfinfo");
    bool ok;
    char *out = run("pdfinfo -f 1 -l 2", path, &ok);
    assert_true(ok);
    test_assert_contains(out, "Pages:           2");
    test_assert_contains(out, "Page    2 rot:   90");
    g_free(out);
    g_free(path);
}

/* An OCR layer (text rendering mode 3) is not visible text; real text is; a clip is not
 * drawing, a filled rectangle is. */
static void text_and_vectors(void **state)
{
    char *path = test_path(*state, "text.pdf");
    fixture f;
    fx_begin(&f, path);
    int im = fx_stream(&f,
                       "/Type /XObject /Subtype /Image /Width 10 /Height 10 /ColorSpace "
                       "/DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
                       jpeg, sizeof jpeg);
    int font = pdf_object_reserve(f.w);
    pdf_object_begin(f.w, font);
    pdf_printf(f.w, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    pdf_object_end(f.w);
    char *res = g_strdup_printf("/MediaBox [0 0 100 100] /Resources << /Font << /F1 %d 0 R >> "
                                "/XObject << /I %d 0 R >> >>",
                                font, im);
    fx_page(&f, res, "q 100 0 0 100 0 0 cm /I Do Q BT /F1 10 Tf 3 Tr 1 1 Td (Ho ten) Tj ET");
    fx_page(&f, res, "q 100 0 0 100 0 0 cm /I Do Q BT /F1 10 Tf 1 1 Td [(Ho) -20 (ten)] TJ ET");
    fx_page(&f, res, "q 0 0 50 50 re W n 100 0 0 100 0 0 cm /I Do Q");
    fx_page(&f, res, "q 100 0 0 100 0 0 cm /I Do Q 0 0 1 rg 10 10 20 20 re f");
    fx_finish(&f, "");
    g_free(res);

    pdf_reader *r = open_ok(path);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_false(pi.draws_text);
    assert_false(pi.draws_vectors);
    assert_int_equal(pi.n_images, 1);
    page_ok(r, 1, &pi);
    assert_true(pi.draws_text);
    page_ok(r, 2, &pi);
    assert_false(pi.draws_vectors);
    assert_false(pi.draws_text);
    page_ok(r, 3, &pi);
    assert_true(pi.draws_vectors);
    assert_true(pi.content_ok);
    pdf_reader_close(r);
    g_free(path);
}

/* A compact text of everything the reader tells about a file, without object numbers (qpdf
 * renumbers), for comparing rewrites of one file. */
static char *describe(const char *path)
{
    pdf_reader *r = open_ok(path);
    GString *s = g_string_new(NULL);
    for (int p = 0; p < pdf_reader_pages(r); p++) {
        pdf_page_info pi;
        page_ok(r, p, &pi);
        g_string_append_printf(s, "page %g %g %g %g %d %d/%d %d %d %d\n", pi.box[0], pi.box[1],
                               pi.box[2], pi.box[3], pi.rotate, pi.n_images, pi.images_drawn,
                               pi.draws_text, pi.draws_vectors, pi.content_ok);
        for (int i = 0; i < pi.n_images; i++) {
            const pdf_image *im = &pi.images[i];
            size_t len;
            uint8_t *data = read_image(r, im, &len);
            char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
            g_string_append_printf(s, " %ux%u %d %d %d %d %g %g %g %g %g %g %s\n", im->width,
                                   im->height, im->bpc, im->cs, im->components, im->codec,
                                   im->ctm[0], im->ctm[1], im->ctm[2], im->ctm[3], im->ctm[4],
                                   im->ctm[5], sum);
            g_free(sum);
            g_free(data);
        }
    }
    pdf_reader_close(r);
    return g_string_free(s, false);
}

static void write_mixed(const char *path)
{
    uint8_t px[GW * GH];
    grey_pixels(px);
    size_t zlen;
    uint8_t *z = png_flate(px, &zlen);
    fixture f;
    fx_begin(&f, path);
    char *dict = g_strdup_printf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                                 "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
                                 "/DecodeParms << /Predictor 15 /Columns %d >>",
                                 GW, GH, GW);
    int a = fx_stream(&f, dict, z, zlen);
    int b = fx_stream(&f,
                      "/Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace "
                      "/DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
                      jpeg, sizeof jpeg);
    char *e1 = g_strdup_printf("/Resources << /XObject << /I %d 0 R >> >>", a);
    char *e2 = g_strdup_printf("/Rotate 180 /Resources << /XObject << /I %d 0 R >> >>", b);
    fx_page(&f, e1, "q 400 0 0 300 0 0 cm /I Do Q");
    fx_page(&f, e2, "q 595 0 0 842 0 0 cm /I Do Q 0 0 m 9 9 l S");
    fx_finish(&f, "/MediaBox [0 0 595 842]");
    g_free(dict);
    g_free(e1);
    g_free(e2);
    g_free(z);
}

/* qpdf's rewrites (xref and object streams, QDF, recompressed streams) read the same. */
static void qpdf_rewrites_read_the_same(void **state)
{
    test_need_tool("qpdf");
    char *path = test_path(*state, "mixed.pdf");
    write_mixed(path);
    char *want = describe(path);
    assert_non_null(strstr(want, "page 0 0 595 842 180 1/1 0 1 1"));
    static const char *const options[] = {
        "--object-streams=generate",
        "--qdf",
        "--object-streams=generate --qdf",
        "--stream-data=compress --recompress-flate --compression-level=1",
        "--stream-data=uncompress",
        "--object-streams=generate --linearize",
    };
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        char *out = test_path(*state, "rewritten.pdf");
        char *cmd = g_strdup_printf("qpdf %s '%s' '%s'", options[i], path, out);
        assert_int_equal(system(cmd), 0);
        char *got = describe(out);
        if (strcmp(got, want) != 0)
            fail_msg("qpdf %s:\n%s\ninstead of\n%s", options[i], got, want);
        g_free(got);
        g_free(cmd);
        g_free(out);
    }
    g_free(want);
    g_free(path);
}

/* An update appended to the file replaces objects: the newest section wins. */
static void incremental_update_newest_wins(void **state)
{
    char *path = test_path(*state, "update.pdf");
    write_scan(path);
    size_t len;
    char *d = test_slurp(path, &len);
    const char *sx = last(d, len, "startxref");
    assert_non_null(sx);
    long prev = strtol(sx + 10, NULL, 10);
    /* The page is object 7 (catalog 1, pages 2, info 3, image 4, content 5, page 6? find it). */
    const char *pg = memmem(d, len, "<< /Type /Page /", 16);
    assert_non_null(pg);
    const char *hdr = pg;
    while (hdr > d && !(hdr[-1] == '\n' && hdr[0] >= '0' && hdr[0] <= '9'))
        hdr--;
    int page_num = atoi(hdr);
    GString *u = g_string_new_len(d, (gssize)len);
    size_t obj = u->len;
    g_string_append_printf(u,
                           "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 200] "
                           "/Rotate 270 >>\nendobj\n",
                           page_num);
    size_t xref = u->len;
    g_string_append_printf(u, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010zu 00000 n \n", page_num,
                           obj);
    g_string_append_printf(
        u, "trailer\n<< /Size 8 /Root 1 0 R /Prev %ld >>\nstartxref\n%zu\n%%%%EOF\n", prev, xref);
    test_write(path, u->str, u->len);
    g_string_free(u, true);
    g_free(d);

    pdf_reader *r = open_ok(path);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_int_equal(pi.rotate, 270);
    assert_true(pi.box[2] == 100 && pi.box[3] == 200);
    assert_int_equal(pi.n_images, 0); /* the new page has no content */
    assert_true(pi.content_ok);
    pdf_reader_close(r);
    test_need_tool("pdfinfo");
    bool ok;
    char *out = run("pdfinfo", path, &ok);
    test_assert_contains(out, "Page rot:        270");
    g_free(out);
    g_free(path);
}

/* A damaged cross-reference (wrong startxref, offsets shifted, the table cut off) is rebuilt
 * by scanning the file, and the page reads as before. */
static void damaged_xref_is_rebuilt(void **state)
{
    char *path = test_path(*state, "orig.pdf");
    write_mixed(path);
    char *want = describe(path);
    size_t len;
    char *d = test_slurp(path, &len);
    char *bad = test_path(*state, "bad.pdf");

    /* startxref pointing into the middle of an object */
    GString *u = g_string_new_len(d, (gssize)len);
    char *sx = last(u->str, u->len, "startxref\n");
    g_string_truncate(u, (gsize)(sx - u->str));
    g_string_append(u, "startxref\n20\n%%EOF\n");
    test_write(bad, u->str, u->len);
    char *got = describe(bad);
    assert_string_equal(got, want);
    g_free(got);

    /* every offset 9 bytes short: a comment inserted after the header */
    g_string_assign(u, "");
    g_string_append_len(u, d, 15);
    g_string_append(u, "%shifted\n");
    g_string_append_len(u, d + 15, (gssize)len - 15);
    test_write(bad, u->str, u->len);
    got = describe(bad);
    assert_string_equal(got, want);
    g_free(got);

    /* the table and trailer cut off: the catalog is found by its /Type */
    const char *x = last(d, len, "\nxref\n");
    test_write(bad, d, (size_t)(x - d + 1));
    got = describe(bad);
    assert_string_equal(got, want);
    g_free(got);

    test_need_tool("qpdf"); /* the same with xref and object streams, truncated mid-file */
    char *os = test_path(*state, "os.pdf");
    char *cmd = g_strdup_printf("qpdf --object-streams=generate '%s' '%s'", path, os);
    assert_int_equal(system(cmd), 0);
    size_t olen;
    char *o = test_slurp(os, &olen);
    test_write(bad, o, olen - 40);
    got = describe(bad);
    assert_string_equal(got, want);
    g_free(got);
    g_free(o);
    g_free(cmd);
    g_free(os);
    g_string_free(u, true);
    g_free(d);
    g_free(want);
    g_free(bad);
    g_free(path);
}

/* Files the reader refuses, each with a message naming the file. */
/* ---- cross-references read as qpdf reads them ---- */

/* A file written piece by piece: objects, then sections; the offsets it gives count from its
 * "%PDF-" (base: bytes before it). */
typedef struct {
    GString *s;
    size_t base;
    size_t off[32];
} hand;

static void hand_begin(hand *h, const char *before)
{
    memset(h, 0, sizeof *h);
    h->s = g_string_new(before);
    h->base = h->s->len;
    g_string_append(h->s, "%PDF-1.5\n%\xE2\xE3\xCF\xD3\n");
}

static size_t hand_at(const hand *h) { return h->s->len - h->base; }

static void hand_obj(hand *h, int num, const char *body)
{
    h->off[num] = hand_at(h);
    g_string_append_printf(h->s, "%d 0 obj\n%s\nendobj\n", num, body);
}

static void hand_stream(hand *h, int num, const char *dict, const void *data, size_t len)
{
    h->off[num] = hand_at(h);
    g_string_append_printf(h->s, "%d 0 obj\n<< %s /Length %zu >>\nstream\n", num, dict, len);
    g_string_append_len(h->s, data, (gssize)len);
    g_string_append(h->s, "\nendstream\nendobj\n");
}

/* A cross-reference stream num of rows {type, field 2, field 3} for the numbers index lists
 * (/W [1 4 1]); /Size, then extra go into its dictionary. */
static void hand_xref_stream(hand *h, int num, int size, const char *index,
                             const uint32_t (*rows)[3], int n, const char *extra)
{
    GByteArray *b = g_byte_array_new();
    for (int i = 0; i < n; i++) {
        uint8_t row[6] = {(uint8_t)rows[i][0],         (uint8_t)(rows[i][1] >> 24),
                          (uint8_t)(rows[i][1] >> 16), (uint8_t)(rows[i][1] >> 8),
                          (uint8_t)rows[i][1],         (uint8_t)rows[i][2]};
        g_byte_array_append(b, row, 6);
    }
    char *dict =
        g_strdup_printf("/Type /XRef /Size %d /Index [%s] /W [1 4 1] %s", size, index, extra);
    hand_stream(h, num, dict, b->data, b->len);
    g_free(dict);
    g_byte_array_free(b, true);
}

/* "xref" with one subsection per listed entry ("n" in use at off[num], "f" free), then the
 * trailer; its offset. */
static size_t hand_table(hand *h, const char *entries, const char *trailer)
{
    size_t at = hand_at(h);
    g_string_append(h->s, "xref\n0 1\n0000000000 65535 f \n");
    for (const char *e = entries; *e;) {
        char *end;
        long num = strtol(e, &end, 10);
        char kind = *end;
        g_string_append_printf(h->s, "%ld 1\n%010zu %05d %c \n", num, kind == 'n' ? h->off[num] : 0,
                               kind == 'n' ? 0 : 1, kind);
        e = end + 1;
        while (*e == ' ')
            e++;
    }
    g_string_append_printf(h->s, "trailer\n<< %s >>\n", trailer);
    return at;
}

static void hand_end(hand *h, size_t startxref, const char *path)
{
    g_string_append_printf(h->s, "startxref\n%zu\n%%%%EOF\n", startxref);
    test_write(path, h->s->str, h->s->len);
    g_string_free(h->s, true);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every object's entry as `qpdf --show-xref` prints it, one per line, sorted; ours the same way
 * (positions as offsets from the header, as qpdf gives them). */
static char *xref_listing(pdf_reader *r)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    for (int i = 1; i < r->xref_len; i++) {
        const pdf_rd_xentry *e = &r->xref[i];
        if (e->type == 1)
            g_ptr_array_add(lines, g_strdup_printf("%d/%u: uncompressed; offset = %llu", i, e->gen,
                                                   (unsigned long long)(e->offset - r->header)));
        else if (e->type == 2)
            g_ptr_array_add(lines, g_strdup_printf("%d/0: compressed; stream = %llu, index = %u", i,
                                                   (unsigned long long)e->offset, e->gen));
    }
    g_ptr_array_sort(lines, by_text);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(out, "%s\n", (char *)g_ptr_array_index(lines, i));
    g_ptr_array_free(lines, true);
    return g_string_free(out, false);
}

static char *qpdf_xref_listing(const char *path)
{
    bool ok;
    char *out = run("qpdf --show-xref", path, &ok);
    assert_true(ok);
    gchar **lines = g_strsplit(out, "\n", -1);
    guint n = 0;
    while (lines[n] && lines[n][0])
        n++;
    qsort(lines, n, sizeof *lines, by_text);
    GString *sorted = g_string_new(NULL);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(sorted, "%s\n", lines[i]);
    g_strfreev(lines);
    g_free(out);
    return g_string_free(sorted, false);
}

static void assert_xref_as_qpdf(const char *path)
{
    pdf_reader *r = open_ok(path);
    assert_false(r->reconstructed);
    char *ours = xref_listing(r);
    pdf_reader_close(r);
    test_need_tool("qpdf");
    char *theirs = qpdf_xref_listing(path);
    if (strcmp(ours, theirs) != 0)
        fail_msg("%s: our cross-reference\n%sqpdf's\n%s", path, ours, theirs);
    g_free(theirs);
    g_free(ours);
}

/* Hybrid-reference files (PDF 32000-1 7.5.8.4): an object is looked up in the section's table,
 * then in the stream its /XRefStm names, then in its /Prev; in every case as qpdf reads it.
 * The newest section (a table with /XRefStm and /Prev) against an older full table:
 *   3  in use in the table, compressed in the stream: the table's (a stale stream, as a
 *      program that only knows tables leaves it when it copies /XRefStm into its trailer)
 *   5  free in the table, compressed in the stream: the stream's (hybrid writers list what
 *      they compress as free)
 *   7  compressed in the stream only; 8 uncompressed in the stream only: the stream's
 *   9  in neither: the older table's; 10 free in the table, in use before: free
 *   11 free in the stream, in use before: free; 12 in use in the table, free in the stream:
 *      the table's
 *   13 only in the stream the /XRefStm stream's own /Prev names: not at all (that /Prev is
 *      not followed; the trailer's is). */
static void hybrid_cross_reference_as_qpdf(void **state)
{
    char *path = test_path(*state, "hybrid.pdf");
    hand h;
    hand_begin(&h, "");
    hand_obj(&h, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    hand_obj(&h, 2, "<< /Type /Pages /Kids [4 0 R] /Count 1 >>");
    hand_obj(&h, 4, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>");
    static const int olds[] = {3, 5, 7, 8, 9, 10, 11, 12};
    for (size_t i = 0; i < sizeof olds / sizeof *olds; i++) {
        char body[16];
        snprintf(body, sizeof body, "(A%d)", olds[i]);
        hand_obj(&h, olds[i], body);
    }
    size_t first = hand_table(&h, "1n 2n 3n 4n 5n 7n 8n 9n 10n 11n 12n", "/Size 17 /Root 1 0 R");
    g_string_append_printf(h.s, "startxref\n%zu\n%%%%EOF\n", first);
    hand_obj(&h, 13, "(OLD13)");
    const uint32_t old_rows[][3] = {{1, (uint32_t)h.off[13], 0}};
    hand_xref_stream(&h, 16, 17, "13 1", old_rows, 1, "");
    hand_obj(&h, 3, "(B3)");
    hand_obj(&h, 12, "(B12)");
    hand_obj(&h, 8, "(STM8)");
    static const char objstm[] = "3 0 5 7 7 14\n(STM3) (STM5) (STM7)";
    hand_stream(&h, 14, "/Type /ObjStm /N 3 /First 13", objstm, sizeof objstm - 1);
    const uint32_t rows[][3] = {{2, 14, 0}, {2, 14, 1}, {2, 14, 2}, {1, (uint32_t)h.off[8], 0},
                                {0, 0, 1},  {0, 0, 1}};
    char *extra = g_strdup_printf("/Prev %zu", h.off[16]);
    hand_xref_stream(&h, 15, 17, "3 1 5 1 7 1 8 1 11 1 12 1", rows, 6, extra);
    g_free(extra);
    char *trailer =
        g_strdup_printf("/Size 17 /Root 1 0 R /Prev %zu /XRefStm %zu", first, h.off[15]);
    size_t newest = hand_table(&h, "3n 5f 10f 12n 14n 15n 16n", trailer);
    g_free(trailer);
    hand_end(&h, newest, path);

    assert_xref_as_qpdf(path);
    pdf_reader *r = open_ok(path);
    /* and each object read is the one qpdf shows */
    static const int listed[] = {3, 5, 7, 8, 9, 12};
    for (size_t i = 0; i < sizeof listed / sizeof *listed; i++) {
        robj *o = pdf_rd_fetch(r, listed[i]);
        assert_int_equal(o->type, RO_STRING);
        char *ours = g_strdup_printf("(%s)", o->str.s);
        test_need_tool("qpdf");
        char *args = g_strdup_printf("qpdf --show-object=%d", listed[i]);
        bool ok;
        char *theirs = run(args, path, &ok);
        assert_true(ok);
        g_strchomp(theirs);
        assert_string_equal(ours, theirs);
        g_free(theirs);
        g_free(args);
        g_free(ours);
    }
    assert_false(r->reconstructed);
    assert_int_equal(r->xref[3].type, 1); /* the table's */
    assert_int_equal(r->xref[5].type, 2);
    assert_int_equal(r->xref[10].type, 3);
    assert_int_equal(r->xref[11].type, 3);
    assert_int_equal(r->xref[12].type, 1);
    assert_true(13 >= r->xref_len || r->xref[13].type == 0);
    pdf_update_base b;
    sh_error err;
    assert_int_equal(pdf_reader_update_base(r, &b, &err), SH_OK);
    assert_int_equal(b.startxref, newest);
    pdf_reader_close(r);
    g_free(path);
}

/* Between the newest trailer and "startxref", a comment, NULs and a lone word: no part of the
 * structure (qpdf --check and Poppler take no notice), so the file is read through its table and
 * can be updated. */
static void stray_bytes_before_startxref(void **state)
{
    char *path = test_path(*state, "stray.pdf");
    hand h;
    hand_begin(&h, "");
    hand_obj(&h, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    hand_obj(&h, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    hand_obj(&h, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 300] >>");
    size_t x = hand_table(&h, "1n 2n 3n", "/Size 4 /Root 1 0 R");
    static const char stray[] = "% written by Acme PDF 0.9\n\0\0\0 junk\n";
    g_string_append_len(h.s, stray, sizeof stray - 1);
    hand_end(&h, x, path);
    assert_xref_as_qpdf(path);
    pdf_reader *r = open_ok(path);
    pdf_update_base b;
    sh_error err;
    if (pdf_reader_update_base(r, &b, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(b.startxref, x);
    assert_int_equal(b.header, 0);
    pdf_reader_close(r);
    g_free(path);
}

/* Bytes before "%PDF-" (a mail header): every offset the file gives counts from the header, as
 * qpdf, Poppler and Acrobat take them; read through its cross-reference stream, not rebuilt, and
 * the base of an update says where the header is. */
static void bytes_before_the_header(void **state)
{
    char *path = test_path(*state, "shifted.pdf");
    static const char before[] = "Content-Type: application/pdf\r\nX-Mailer: Acme\r\n\r\n";
    hand h;
    hand_begin(&h, before);
    hand_obj(&h, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    hand_obj(&h, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    hand_obj(&h, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 300] /Rotate 90 >>");
    h.off[4] = hand_at(&h);
    const uint32_t rows[][3] = {{1, (uint32_t)h.off[1], 0},
                                {1, (uint32_t)h.off[2], 0},
                                {1, (uint32_t)h.off[3], 0},
                                {1, (uint32_t)h.off[4], 0}};
    hand_xref_stream(&h, 4, 5, "1 4", rows, 4, "/Root 1 0 R");
    hand_end(&h, h.off[4], path);
    assert_xref_as_qpdf(path);
    pdf_reader *r = open_ok(path);
    assert_int_equal(pdf_reader_header(r), sizeof before - 1);
    double box[4];
    int rotate;
    sh_error err;
    assert_int_equal(pdf_reader_page_geometry(r, 0, box, &rotate, NULL, NULL, &err), SH_OK);
    assert_true(box[2] == 200 && box[3] == 300 && rotate == 90);
    pdf_update_base b;
    if (pdf_reader_update_base(r, &b, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(b.header, sizeof before - 1);
    assert_int_equal(b.startxref, h.off[4]); /* as the file gives it: the update's /Prev */
    assert_true(b.xref_stream);
    pdf_reader_close(r);
    g_free(path);
}

static void refusals(void **state)
{
    char *path = test_path(*state, "x.pdf");
    sh_error err;
    pdf_reader *r;
    test_write(path, "PK\3\4 not a pdf", 15);
    assert_int_equal(pdf_reader_open(path, &r, &err), SH_INPUT);
    assert_null(r);
    test_assert_contains(err.msg, path);

    /* a page tree whose node is its own kid */
    pdf_writer *w = pdf_writer_new(path, 4, false, &err);
    int cat = pdf_object_reserve(w), pages = pdf_object_reserve(w), info = pdf_object_reserve(w);
    test_pdf_page_tree(w, cat, pages, pages);
    pdf_object_begin(w, info);
    pdf_printf(w, "<< >>");
    pdf_object_end(w);
    assert_int_equal(pdf_writer_finish(w, cat, info, NULL, &err), SH_OK);
    assert_int_equal(pdf_reader_open(path, &r, &err), SH_INPUT);
    test_assert_contains(err.msg, "loops");
    test_assert_contains(err.msg, path);

    test_need_tool("qpdf");
    char *plain = test_path(*state, "plain.pdf");
    write_scan(plain);
    char *cmd = g_strdup_printf("qpdf --encrypt u o 256 -- '%s' '%s'", plain, path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(pdf_reader_open(path, &r, &err), SH_INPUT);
    test_assert_contains(err.msg, "password");
    g_free(cmd);
    g_free(plain);
    g_free(path);
}

/* Hostile values: a /Length that lies (the data is found by `endstream`), an absurd /Width
 * (counted, not listed, the page marked incomplete), a form that draws itself. */
static void hostile_values(void **state)
{
    char *path = test_path(*state, "hostile.pdf");
    fixture f;
    fx_begin(&f, path);
    int liar = pdf_object_reserve(f.w);
    pdf_object_begin(f.w, liar);
    pdf_printf(f.w, "<< /Type /XObject /Subtype /Image /Width 4 /Height 1 /ColorSpace /DeviceGray "
                    "/BitsPerComponent 8 /Length 4000 >>\nstream\n");
    pdf_printf(f.w, "ABCD\nendstream"); /* text: the writer's own streams count their length */
    pdf_object_end(f.w);
    int huge = fx_stream(&f,
                         "/Type /XObject /Subtype /Image /Width 2000000 /Height 1 /ColorSpace "
                         "/DeviceGray /BitsPerComponent 8",
                         "x", 1);
    int self = pdf_object_reserve(f.w);
    char *fd = g_strdup_printf("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << "
                               "/XObject << /Me %d 0 R >> >>",
                               self);
    pdf_stream_begin(f.w, self, fd, 6);
    pdf_write(f.w, "/Me Do", 6);
    pdf_stream_end(f.w);
    char *extra = g_strdup_printf("/Resources << /XObject << /L %d 0 R /H %d 0 R /S %d 0 R >> >>",
                                  liar, huge, self);
    fx_page(&f, extra, "/L Do /H Do /S Do");
    fx_finish(&f, "/MediaBox [0 0 10 10]");
    g_free(fd);
    g_free(extra);

    pdf_reader *r = open_ok(path);
    pdf_page_info pi;
    page_ok(r, 0, &pi);
    assert_int_equal(pi.images_drawn, 2);
    assert_int_equal(pi.n_images, 1);
    assert_false(pi.content_ok);
    size_t len;
    uint8_t *data = read_image(r, &pi.images[0], &len);
    assert_int_equal(len, 4);
    assert_memory_equal(data, "ABCD", 4);
    g_free(data);
    sh_error err;
    assert_int_equal(pdf_reader_page(r, 1, &pi, &err), SH_USAGE);
    pdf_reader_close(r);
    g_free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(scanned_page_is_one_image, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(flate_predictor_gives_samples, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(lzw_runlength_ascii_filters, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(image_parameters, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(inheritance_rotation_crop_and_forms, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(text_and_vectors, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(qpdf_rewrites_read_the_same, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(incremental_update_newest_wins, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(damaged_xref_is_rebuilt, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(hybrid_cross_reference_as_qpdf, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(stray_bytes_before_startxref, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(bytes_before_the_header, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(refusals, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(hostile_values, test_setup_tmpdir, test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
