/* The PDF writer: a one-page document with an image, judged by qpdf --check and pdfinfo (the
 * external tools, when installed: CI installs them); determinism; text strings and numbers as
 * PDF wants them; misuse and failures leave no file. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "pdf/pdf.h"

#define FIXED_TIME 1795000000 /* 2026-11-18T…Z: the same bytes every run */

/* A 4 × 2 grey image at 1/72 in per pixel… scaled to an A4 page: enough for the judges. */
static sh_status write_sample(const char *path, const char *title, sh_error *err)
{
    pdf_writer *w = pdf_writer_new(path, 4, false, err);
    if (!w)
        return err->status;
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int page = pdf_object_reserve(w), image = pdf_object_reserve(w);
    int content = pdf_object_reserve(w), info = pdf_object_reserve(w);

    test_pdf_page_tree(w, catalog, pages, page);
    pdf_object_begin(w, page);
    pdf_printf(w, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 ", pages);
    pdf_real(w, 595.2);
    pdf_printf(w, " ");
    pdf_real(w, 841.92);
    pdf_printf(w, "] /Resources << /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>", image,
               content);
    pdf_object_end(w);

    static const unsigned char pixels[8] = {0, 64, 128, 255, 255, 128, 64, 0};
    pdf_stream_begin(w, image,
                     "/Type /XObject /Subtype /Image /Width 4 /Height 2 /ColorSpace /DeviceGray "
                     "/BitsPerComponent 8",
                     sizeof pixels);
    pdf_write(w, pixels, sizeof pixels);
    pdf_stream_end(w);

    const char *ops = "q 595.2 0 0 841.92 0 0 cm /Im1 Do Q";
    pdf_stream_begin(w, content, "", PDF_LENGTH_LATER); /* length counted, written after */
    pdf_write(w, ops, strlen(ops));
    pdf_stream_end(w);

    pdf_object_begin(w, info);
    pdf_printf(w, "<< /Title ");
    pdf_text_string(w, title);
    pdf_printf(w, " /Creator (sohoa test) /CreationDate ");
    pdf_date(w, FIXED_TIME);
    pdf_printf(w, " >>");
    pdf_object_end(w);
    return pdf_writer_finish(w, catalog, info, NULL, err);
}

static void sample_passes_the_judges(void **state)
{
    char *path = test_path(*state, "sample.pdf");
    sh_error err;
    assert_int_equal(write_sample(path, "Lý lịch đảng viên", &err), SH_OK);
    bool ok;
    test_need_tool("qpdf");
    char *cmd = g_strdup_printf("qpdf --check '%s'", path);
    char *out = test_run(cmd, &ok);
    assert_true(ok);
    test_assert_contains(out, "No syntax or stream encoding errors");
    g_free(out);
    g_free(cmd);
    test_need_tool("pdfinfo");
    cmd = g_strdup_printf("pdfinfo '%s'", path);
    out = test_run(cmd, &ok);
    assert_true(ok);
    test_assert_contains(out, "Title:           Lý lịch đảng viên");
    test_assert_contains(out, "Page size:       595.2 x 841.92 pts");
    test_assert_contains(out, "PDF version:     1.4");
    test_assert_contains(out, "Pages:           1");
    g_free(out);
    g_free(cmd);
    g_free(path);
}

/* noinline: gcc 12 sees a dangling pointer through the inlined cmocka assertion otherwise. */
__attribute__((noinline)) static char *slurp(const char *path, size_t *len)
{
    gchar *data = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(path, &data, &n, NULL));
    *len = n;
    return data;
}

/* The file holds binary stream data (NUL bytes): search it by length. */
static const char *find(const char *d, size_t len, const char *needle)
{
    const char *at = memmem(d, len, needle, strlen(needle));
    if (!at)
        fail_msg("the PDF does not contain \"%s\"", needle);
    return at;
}

static void output_is_deterministic(void **state)
{
    char *a = test_path(*state, "a.pdf"), *b = test_path(*state, "b.pdf");
    sh_error err;
    assert_int_equal(write_sample(a, "Đơn xin vào Đảng", &err), SH_OK);
    assert_int_equal(write_sample(b, "Đơn xin vào Đảng", &err), SH_OK);
    size_t la, lb;
    char *da = slurp(a, &la), *db = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    /* A different title gives a different /ID. */
    assert_int_equal(write_sample(b, "Đơn xin vào Đảng.", &err), SH_OK);
    g_free(db);
    db = slurp(b, &lb);
    const char *ida = find(da, la, "/ID [<"), *idb = find(db, lb, "/ID [<");
    assert_memory_not_equal(ida, idb, 38);
    g_free(da);
    g_free(db);
    g_free(a);
    g_free(b);
}

static void strings_numbers_and_xref(void **state)
{
    char *path = test_path(*state, "x.pdf");
    sh_error err;
    assert_int_equal(write_sample(path, "Lý 𝐀", &err), SH_OK);
    size_t len;
    char *d = slurp(path, &len);
    assert_memory_equal(d, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", 15);
    /* UTF-16BE with a BOM; the character outside the BMP as a surrogate pair. */
    find(d, len, "/Title <FEFF004C00FD0020D835DC00>");
    find(d, len, "/CreationDate (D:20261118");
    find(d, len, "/MediaBox [0 0 595.2 841.92]");
    /* Every xref entry is 20 bytes and points at "N 0 obj". */
    const char *xref = find(d, len, "\nxref\n0 8\n");
    const char *entry = xref + strlen("\nxref\n0 8\n");
    assert_memory_equal(entry, "0000000000 65535 f\r\n", 20);
    for (int i = 1; i < 8; i++) {
        const char *e = entry + 20 * i;
        assert_memory_equal(e + 10, " 00000 n\r\n", 10);
        long off = strtol(e, NULL, 10);
        char want[16];
        snprintf(want, sizeof want, "%d 0 obj\n", i);
        assert_memory_equal(d + off, want, strlen(want));
    }
    find(d, len, "startxref\n");
    assert_memory_equal(d + len - 6, "%%EOF\n", 6);
    g_free(d);
    g_free(path);
}

static void misuse_leaves_no_file(void **state)
{
    char *path = test_path(*state, "bad.pdf");
    sh_error err;
    /* A reserved object never written. */
    pdf_writer *w = pdf_writer_new(path, 4, false, &err);
    assert_non_null(w);
    int catalog = pdf_object_reserve(w);
    (void)pdf_object_reserve(w);
    pdf_object_begin(w, catalog);
    pdf_printf(w, "<< /Type /Catalog >>");
    pdf_object_end(w);
    assert_int_equal(pdf_writer_finish(w, catalog, catalog, NULL, &err), SH_INTERNAL);
    assert_int_equal(access(path, F_OK), -1);

    /* The same object twice; a stream shorter than declared; invalid UTF-8. */
    for (int kind = 0; kind < 3; kind++) {
        w = pdf_writer_new(path, 5, false, &err);
        int n = pdf_object_reserve(w);
        if (kind == 0) {
            pdf_object_begin(w, n);
            pdf_object_end(w);
            pdf_object_begin(w, n);
        } else if (kind == 1) {
            pdf_stream_begin(w, n, "", 10);
            pdf_write(w, "abc", 3);
            pdf_stream_end(w);
        } else {
            pdf_object_begin(w, n);
            pdf_text_string(w, "\xff\xfe");
            pdf_object_end(w);
        }
        assert_int_not_equal(pdf_writer_finish(w, n, n, NULL, &err), SH_OK);
        assert_true(err.msg[0] != '\0');
        assert_int_equal(access(path, F_OK), -1);
    }
    /* Abort drops the temp file. */
    w = pdf_writer_new(path, 4, false, &err);
    pdf_writer_abort(w);
    assert_int_equal(access(path, F_OK), -1);
    g_free(path);
}

static void never_replaces_when_asked(void **state)
{
    char *path = test_path(*state, "kept.pdf");
    test_write(path, "original", 8);
    sh_error err;
    assert_null(pdf_writer_new(path, 4, true, &err));
    assert_int_equal(err.status, SH_USAGE);
    size_t len;
    char *d = slurp(path, &len);
    assert_string_equal(d, "original");
    g_free(d);
    assert_null(pdf_writer_new(path, 3, false, &err)); /* PDF 1.3 is below the standard */
    g_free(path);
}

/* pdf_doc_open (Poppler, loaded on first use): what a PDF holds, and why one does not open. */
static void reader_opens_and_classifies(void **state)
{
    const char *dir = *state;
    sh_error err;
    char *good = test_path(dir, "good.pdf");
    assert_int_equal(write_sample(good, "Lý lịch đảng viên", &err), SH_OK);
    pdf_doc *doc;
    pdf_doc_problem problem;
    assert_int_equal(pdf_doc_open(good, &doc, &problem, &err), SH_OK);
    assert_int_equal(problem, PDF_DOC_OK);
    assert_int_equal(pdf_doc_pages(doc), 1);
    int major, minor;
    pdf_doc_version(doc, &major, &minor);
    assert_int_equal(major * 10 + minor, 14);
    pdf_doc_close(doc);

    char *bad = test_path(dir, "bad.pdf");
    test_write(bad, "%PDF-1.4\nnot really\n", 20);
    assert_int_equal(pdf_doc_open(bad, &doc, &problem, &err), SH_INPUT);
    assert_null(doc);
    assert_int_equal(problem, PDF_DOC_DAMAGED);
    test_assert_contains(err.msg, "bad.pdf");

    test_need_tool("qpdf");
    char *locked = test_path(dir, "locked.pdf");
    char *cmd = g_strdup_printf("qpdf --encrypt secret secret 256 -- '%s' '%s'", good, locked);
    bool ok;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    assert_int_equal(pdf_doc_open(locked, &doc, &problem, &err), SH_INPUT);
    assert_int_equal(problem, PDF_DOC_ENCRYPTED);
    test_assert_contains(err.msg, "password");
    g_free(cmd);
    g_free(locked);
    g_free(bad);
    g_free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reader_opens_and_classifies, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(sample_passes_the_judges, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(output_is_deterministic, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(strings_numbers_and_xref, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(misuse_leaves_no_file, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(never_replaces_when_asked, test_setup_tmpdir,
                                        test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
