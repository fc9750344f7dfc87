/* The ingest module, 1: what a file is — the magic bytes, the extension, and what in_source_open
 * refuses before reading. Fixtures and judges: ingest_fixture.h. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniff_reads_the_magic_bytes),
        cmocka_unit_test(kind_of_name_reads_the_extension),
        FX(open_refuses_what_is_not_a_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
