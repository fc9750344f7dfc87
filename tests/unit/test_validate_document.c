/* The document checks of validate on real files: a good PDF made by ingest's writer, a damaged
 * one, an encrypted one (qpdf), an old version, no pages, and the expected page count. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "pdf/pdf.h"
#include "validate/validate.h"

typedef struct {
    char codes[512];
    int n;
    double value;
} seen;

static void collect(const sh_finding *f, void *ctx)
{
    seen *s = ctx;
    g_strlcat(s->codes, f->code, sizeof s->codes);
    g_strlcat(s->codes, " ", sizeof s->codes);
    assert_int_equal(f->severity, SH_ERROR);
    assert_non_null(f->path);
    assert_non_null(f->message);
    if (f->n_values)
        s->value = f->values[0].value;
    s->n++;
}

/* A PDF of `pages` empty pages, version 1.minor. */
static char *make_pdf(const char *dir, const char *name, int minor, int pages)
{
    char *path = test_path(dir, name);
    sh_error err;
    pdf_writer *w = pdf_writer_new(path, minor, false, &err);
    assert_non_null(w);
    int catalog = pdf_object_reserve(w), root = pdf_object_reserve(w);
    int *kids = g_new(int, pages ? pages : 1);
    for (int i = 0; i < pages; i++)
        kids[i] = pdf_object_reserve(w);
    pdf_object_begin(w, catalog);
    pdf_printf(w, "<< /Type /Catalog /Pages %d 0 R >>", root);
    pdf_object_end(w);
    pdf_object_begin(w, root);
    pdf_printf(w, "<< /Type /Pages /Count %d /Kids [", pages);
    for (int i = 0; i < pages; i++)
        pdf_printf(w, " %d 0 R", kids[i]);
    pdf_printf(w, "] >>");
    pdf_object_end(w);
    for (int i = 0; i < pages; i++) {
        pdf_object_begin(w, kids[i]);
        pdf_printf(w, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>", root);
        pdf_object_end(w);
    }
    assert_int_equal(pdf_writer_finish(w, catalog, catalog, NULL, &err), SH_OK);
    g_free(kids);
    return path;
}

static void good_document_passes(void **state)
{
    char *pdf = make_pdf(*state, "good.pdf", 4, 3);
    seen s = {0};
    vd_document_info info;
    assert_true(vd_check_document(pdf, 3, collect, &s, &info));
    assert_int_equal(s.n, 0);
    assert_true(info.opened);
    assert_int_equal(info.pages, 3);
    assert_int_equal(info.version_minor, 4);
    /* No expected count: not checked. */
    assert_true(vd_check_document(pdf, 0, collect, &s, &info));
    g_free(pdf);
}

static void page_count_and_version(void **state)
{
    char *pdf = make_pdf(*state, "short.pdf", 4, 2);
    seen s = {0};
    vd_document_info info;
    assert_false(vd_check_document(pdf, 3, collect, &s, &info));
    assert_string_equal(s.codes, "doc.page_count ");
    assert_true(s.value == 2);
    g_free(pdf);

    /* The writer makes 1.4 at least: an older header is patched in, as old scanner software
     * writes it. */
    pdf = make_pdf(*state, "old.pdf", 4, 1);
    char *data;
    size_t len;
    sh_error err;
    assert_int_equal(sh_read_file(pdf, 1 << 20, &data, &len, &err), SH_OK);
    memcpy(data, "%PDF-1.3", 8);
    test_write(pdf, data, len);
    g_free(data);
    memset(&s, 0, sizeof s);
    assert_false(vd_check_document(pdf, 0, collect, &s, &info));
    assert_string_equal(s.codes, "pdf.version ");
    assert_true(s.value > 1.29 && s.value < 1.31);
    g_free(pdf);

    pdf = make_pdf(*state, "empty.pdf", 4, 0);
    memset(&s, 0, sizeof s);
    bool ok = vd_check_document(pdf, 0, collect, &s, &info);
    /* Poppler may refuse a document without pages outright; either way it does not pass. */
    assert_false(ok);
    assert_true(strcmp(s.codes, "pdf.no_pages ") == 0 || strcmp(s.codes, "pdf.unreadable ") == 0);
    g_free(pdf);
}

static void unreadable_and_encrypted(void **state)
{
    const char *dir = *state;
    seen s = {0};
    vd_document_info info;
    char *junk = test_path(dir, "junk.pdf");
    test_write(junk, "%PDF-1.4\ngarbage\n", 17);
    assert_false(vd_check_document(junk, 0, collect, &s, &info));
    assert_string_equal(s.codes, "pdf.unreadable ");
    assert_false(info.opened);

    char *empty = test_path(dir, "zero.pdf");
    test_write(empty, "", 0);
    memset(&s, 0, sizeof s);
    assert_false(vd_check_document(empty, 0, collect, &s, &info));
    assert_string_equal(s.codes, "pdf.unreadable ");

    char *good = make_pdf(dir, "plain.pdf", 4, 1);
    char *locked = test_path(dir, "locked.pdf");
    char *cmd = g_strdup_printf("qpdf --encrypt u o 256 -- '%s' '%s'", good, locked);
    bool ran;
    g_free(test_run(cmd, &ran));
    if (ran) {
        memset(&s, 0, sizeof s);
        assert_false(vd_check_document(locked, 0, collect, &s, &info));
        assert_string_equal(s.codes, "pdf.encrypted ");
    }
    g_free(cmd);
    g_free(locked);
    g_free(good);
    g_free(empty);
    g_free(junk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(good_document_passes, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(page_count_and_version, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(unreadable_and_encrypted, test_setup_tmpdir,
                                        test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
