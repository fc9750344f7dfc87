/* sign's public text API (sign/text_font.c, sign.h "text in a PDF"): the stamp's font machinery
 * for documents of our own. The codes and widths checked against each other (one code per
 * character, NFD input as NFC, widths additive and linear in the size), refusals (text that is
 * not UTF-8, a font without a character, a file that is not a font), and a one-page PDF judged by
 * qpdf --check, pdffonts (an embedded CID TrueType subset with ToUnicode) and pdftotext (the
 * Vietnamese text extracts as written). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "pdf/pdf.h"
#include "sign/sign.h"

#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define TITLE "BIÊN BẢN GIAO NHẬN HỒ SƠ ĐẢNG VIÊN"
#define NAME "Nguyễn Thị Ánh Hồng"

static sg_text_font *load(const char *const *texts, size_t n)
{
    sg_text_font *f = NULL;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = sg_text_font_load(FONT, texts, n, &f, &err);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    assert_non_null(f);
    return f;
}

static void codes_one_per_character(void **state)
{
    (void)state;
    const char *texts[] = {TITLE, NAME};
    sg_text_font *f = load(texts, 2);
    char *hex = sg_text_font_encode(f, "Ánh Ánh");
    assert_non_null(hex);
    /* 7 characters, 4 hex digits each, in < > */
    assert_int_equal(strlen(hex), 2 + 7 * 4);
    assert_int_equal(hex[0], '<');
    assert_int_equal(hex[strlen(hex) - 1], '>');
    assert_memory_equal(hex + 1, hex + 1 + 4 * 4, 12); /* the same word, the same codes */
    assert_memory_not_equal(hex + 1, hex + 5, 4);      /* Á and n differ */
    assert_memory_not_equal(hex + 1, "0000", 4);       /* not .notdef: Á is in the subset */
    /* NFD input (A + combining acute) gives the NFC codes */
    char *nfd = g_utf8_normalize("Ánh Ánh", -1, G_NORMALIZE_NFD);
    char *hex2 = sg_text_font_encode(f, nfd);
    assert_string_equal(hex, hex2);
    /* a character outside the subset is .notdef */
    char *other = sg_text_font_encode(f, "Q");
    assert_string_equal(other, "<0000>");
    assert_null(sg_text_font_encode(f, "\xff"));
    g_free(nfd);
    g_free(hex);
    g_free(hex2);
    g_free(other);
    sg_text_font_free(f);
}

static void widths_add_up(void **state)
{
    (void)state;
    const char *texts[] = {NAME};
    sg_text_font *f = load(texts, 1);
    double one = sg_text_font_width(f, "Hồng", 10), two = sg_text_font_width(f, "HồngHồng", 10);
    assert_true(one > 10 && one < 40); /* four letters at 10 pt */
    assert_true(fabs(two - 2 * one) < 1e-9);
    assert_true(fabs(sg_text_font_width(f, "Hồng", 20) - 2 * one) < 1e-9);
    assert_true(sg_text_font_width(f, "i", 10) < sg_text_font_width(f, "N", 10));
    assert_true(sg_text_font_width(f, "\xff", 10) == 0);
    int ascent = 0, descent = 0;
    sg_text_font_metrics(f, &ascent, &descent);
    assert_true(ascent > 500 && ascent < 1200);
    assert_true(descent < 0 && descent > -500);
    sg_text_font_free(f);
}

static void refusals(void **state)
{
    (void)state;
    sg_text_font *f = NULL;
    sh_error err;
    sh_error_clear(&err);
    const char *bad[] = {"ok", "\xc3"};
    assert_int_equal(sg_text_font_load(FONT, bad, 2, &f, &err), SH_INPUT);
    assert_null(f);
    const char *cjk[] = {"漢字"};
    assert_int_equal(sg_text_font_load(FONT, cjk, 1, &f, &err), SH_INPUT);
    test_assert_contains(err.msg, FONT);
    assert_null(f);
    char *not_font = test_path(*state, "x.ttf");
    test_write(not_font, "not a font", 10);
    const char *texts[] = {"a"};
    assert_int_equal(sg_text_font_load(not_font, texts, 1, &f, &err), SH_INPUT);
    test_assert_contains(err.msg, not_font);
    g_free(not_font);
    sg_text_font_free(NULL);
}

static void judged_in_a_pdf(void **state)
{
    test_need_tool("qpdf");
    test_need_tool("pdftotext");
    test_need_tool("pdffonts");
    const char *dir = *state;
    char *path = test_path(dir, "text.pdf");
    const char *texts[] = {TITLE, NAME};
    sg_text_font *f = load(texts, 2);
    sh_error err;
    pdf_writer *w = pdf_writer_new(path, 7, false, &err);
    assert_non_null(w);
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int page = pdf_object_reserve(w), content = pdf_object_reserve(w);
    int font = sg_text_font_write(f, w);
    assert_true(font > 0);
    char *a = sg_text_font_encode(f, TITLE), *b = sg_text_font_encode(f, NAME);
    char *c = g_strdup_printf("BT /F1 14 Tf 1 0 0 1 50 780 Tm %s Tj ET\n"
                              "BT /F1 10 Tf 1 0 0 1 50 750 Tm %s Tj ET\n",
                              a, b);
    pdf_object_begin(w, page);
    pdf_printf(w,
               "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
               "/F1 %d 0 R >> >> /Contents %d 0 R >>",
               pages, font, content);
    pdf_object_end(w);
    pdf_stream_begin(w, content, "", strlen(c));
    pdf_write(w, c, strlen(c));
    pdf_stream_end(w);
    test_pdf_page_tree(w, catalog, pages, page);
    assert_int_equal(pdf_writer_finish(w, catalog, 0, NULL, &err), SH_OK);
    bool ok = false;
    char *cmd = g_strdup_printf("qpdf --check '%s'", path);
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    g_free(cmd);
    cmd = g_strdup_printf("pdffonts '%s'", path);
    char *fonts = test_run(cmd, &ok);
    assert_true(ok);
    test_assert_contains(fonts, "+DejaVuSans");
    test_assert_contains(fonts, "CID TrueType");
    g_free(cmd);
    cmd = g_strdup_printf("pdftotext '%s' -", path);
    char *text = test_run(cmd, &ok);
    assert_true(ok);
    test_assert_contains(text, TITLE);
    test_assert_contains(text, NAME);
    g_free(cmd);
    g_free(text);
    g_free(fonts);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(path);
    sg_text_font_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes_one_per_character),
        cmocka_unit_test(widths_add_up),
        cmocka_unit_test_setup_teardown(refusals, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(judged_in_a_pdf, test_setup_tmpdir, test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
