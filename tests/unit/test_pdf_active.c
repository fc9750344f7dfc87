/* Harmful content (pdf_active_content, docs/package.md "Harmful content"): what `sohoa pack`
 * refuses. Clean files (ours, qpdf's rewrites, go-to opening actions) pass; JavaScript, launch
 * actions, embedded files, XFA, rich media are found wherever they are (an object stream, an
 * incremental update, an older revision, a name written with #xx escapes); a file that cannot
 * be read in full is SH_INPUT, never clean. Hostile files are written byte by byte here, or
 * made with qpdf (required). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <zlib.h>

#include "pdf/pdf.h"

/* ---- files written by hand ---- */

typedef struct {
    GString *s;
    size_t off[32];
    int max;
} hand;

static void hand_begin(hand *h)
{
    memset(h, 0, sizeof *h);
    h->s = g_string_new("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
}

static void hand_obj(hand *h, int num, const char *body)
{
    h->off[num] = h->s->len;
    if (num > h->max)
        h->max = num;
    g_string_append_printf(h->s, "%d 0 obj\n%s\nendobj\n", num, body);
}

static void hand_stream(hand *h, int num, const char *dict, const void *data, size_t len)
{
    h->off[num] = h->s->len;
    if (num > h->max)
        h->max = num;
    g_string_append_printf(h->s, "%d 0 obj\n<< %s /Length %zu >>\nstream\n", num, dict, len);
    g_string_append_len(h->s, data, (gssize)len);
    g_string_append(h->s, "\nendstream\nendobj\n");
}

/* A cross-reference table of objects [from, max] (one subsection), its trailer (with extra),
 * startxref and %%EOF; returns the table's offset. */
static size_t hand_section(hand *h, int from, const char *extra)
{
    size_t at = h->s->len;
    g_string_append(h->s, "xref\n0 1\n0000000000 65535 f \n");
    g_string_append_printf(h->s, "%d %d\n", from, h->max - from + 1);
    for (int i = from; i <= h->max; i++)
        g_string_append_printf(h->s, "%010zu 00000 n \n", h->off[i]);
    g_string_append_printf(h->s,
                           "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%zu\n%%%%EOF\n",
                           h->max + 1, extra, at);
    return at;
}

/* A cross-reference stream (object xref) of objects 0..xref: in the file at their offsets,
 * except those in_stm lists (by number), which are member 0, 1, … of object stream stm. */
static void hand_xref_stream(hand *h, int xref, int stm, const int *in_stm, int n_in)
{
    h->off[xref] = h->s->len;
    GByteArray *b = g_byte_array_new();
    for (int num = 0; num <= xref; num++) {
        uint8_t row[7] = {num ? 1 : 0, 0, 0, 0, 0, 0, 0};
        uint32_t f2 = (uint32_t)h->off[num], f3 = 0;
        for (int i = 0; i < n_in; i++)
            if (in_stm[i] == num) {
                row[0] = 2;
                f2 = (uint32_t)stm;
                f3 = (uint32_t)i;
            }
        row[1] = (uint8_t)(f2 >> 24);
        row[2] = (uint8_t)(f2 >> 16);
        row[3] = (uint8_t)(f2 >> 8);
        row[4] = (uint8_t)f2;
        row[5] = (uint8_t)(f3 >> 8);
        row[6] = (uint8_t)f3;
        g_byte_array_append(b, row, 7);
    }
    char *dict = g_strdup_printf("/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R", xref + 1);
    hand_stream(h, xref, dict, b->data, b->len);
    g_string_append_printf(h->s, "startxref\n%zu\n%%%%EOF\n", h->off[xref]);
    g_free(dict);
    g_byte_array_free(b, true);
}

static void hand_write(hand *h, const char *path)
{
    test_write(path, h->s->str, h->s->len);
    g_string_free(h->s, true);
}

/* Catalog 1 (with catalog_extra), pages 2, page 3 (with page_extra); then the caller's. */
static void hand_doc(hand *h, const char *catalog_extra, const char *page_extra)
{
    hand_begin(h);
    char *cat = g_strdup_printf("<< /Type /Catalog /Pages 2 0 R %s >>", catalog_extra);
    hand_obj(h, 1, cat);
    g_free(cat);
    hand_obj(h, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    char *page =
        g_strdup_printf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s >>", page_extra);
    hand_obj(h, 3, page);
    g_free(page);
}

/* A one-page file: the catalog and page extras, and objects 4, 5, … as given (NULL ends). */
static char *write_doc(const char *dir, const char *name, const char *catalog_extra,
                       const char *page_extra, const char *const *objects)
{
    hand h;
    hand_doc(&h, catalog_extra, page_extra);
    for (int i = 0; objects && objects[i]; i++)
        hand_obj(&h, 4 + i, objects[i]);
    hand_section(&h, 1, "");
    char *path = test_path(dir, name);
    hand_write(&h, path);
    return path;
}

/* ---- the check ---- */

static char *active(const char *path)
{
    char *found = (char *)"unset";
    sh_error err;
    sh_status st = pdf_active_content(path, &found, &err);
    if (st != SH_OK)
        fail_msg("%s: %s", path, err.msg);
    return found;
}

static void assert_clean(const char *path)
{
    char *found = active(path);
    if (found)
        fail_msg("%s: found %s", path, found);
}

static void assert_found(const char *path, const char *what)
{
    char *found = active(path);
    assert_non_null(found);
    test_assert_contains(found, what);
    g_free(found);
}

static void assert_unchecked(const char *path)
{
    char *found = (char *)"unset";
    sh_error err;
    assert_int_equal(pdf_active_content(path, &found, &err), SH_INPUT);
    assert_null(found);
    test_assert_contains(err.msg, path);
    test_assert_contains(err.msg, "cannot be checked");
}

static void qpdf(const char *args, const char *in, const char *out)
{
    test_need_tool("qpdf");
    char *cmd = g_strdup_printf("qpdf %s '%s' '%s'", args, in, out);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    /* qpdf exits 3 for warnings only; the output is checked by reading it. */
    g_free(cmd);
    assert_true(g_file_test(out, G_FILE_TEST_EXISTS));
}

static bool file_has(const char *path, const char *needle)
{
    size_t len;
    char *d = test_slurp(path, &len);
    bool has = memmem(d, len, needle, strlen(needle)) != NULL;
    g_free(d);
    return has;
}

/* ---- clean files ---- */

static char *write_ours(const char *dir)
{
    char *path = test_path(dir, "ours.pdf");
    sh_error err;
    pdf_writer *w = pdf_writer_new(path, 7, false, &err);
    assert_non_null(w);
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int page = pdf_object_reserve(w), content = pdf_object_reserve(w);
    test_pdf_page_tree(w, catalog, pages, page);
    pdf_object_begin(w, page);
    pdf_printf(w, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>",
               pages, content);
    pdf_object_end(w);
    const char *ops = "0 0 m 100 100 l S\n";
    pdf_stream_begin(w, content, "", strlen(ops));
    pdf_write(w, ops, strlen(ops));
    pdf_stream_end(w);
    assert_int_equal(pdf_writer_finish(w, catalog, 0, NULL, &err), SH_OK);
    return path;
}

static void clean_files_pass(void **state)
{
    const char *dir = *state;
    char *ours = write_ours(dir);
    assert_clean(ours);
    /* qpdf's rewrites: object and cross-reference streams, QDF, linearized */
    const char *modes[] = {"--object-streams=generate", "--qdf", "--linearize"};
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        char *out = test_path(dir, "rewritten.pdf");
        qpdf(modes[i], ours, out);
        assert_clean(out);
        g_free(out);
    }
    /* a go-to on opening, as a destination array, a named destination or a /GoTo action; a link
     * annotation's go-to */
    const char *open[] = {"/OpenAction [3 0 R /Fit]", "/OpenAction (chapter1)",
                          "/OpenAction << /S /GoTo /D [3 0 R /XYZ 0 842 0] >>",
                          "/OpenAction 4 0 R"};
    for (size_t i = 0; i < G_N_ELEMENTS(open); i++) {
        const char *objs[] = {"<< /Type /Action /S /GoTo /D [3 0 R /Fit] >>", NULL};
        char *path = write_doc(dir, "goto.pdf", open[i],
                               "/AA << /O << /S /GoTo /D [3 0 R /Fit] >> >>", objs);
        assert_clean(path);
        g_free(path);
    }
    /* the words in a content stream's text are not names of the file's objects */
    hand h;
    hand_doc(&h, "", "/Contents 4 0 R");
    const char *text = "BT /F1 12 Tf (/S /JavaScript /JS /Launch /EmbeddedFiles) Tj ET";
    hand_stream(&h, 4, "", text, strlen(text));
    hand_section(&h, 1, "");
    char *path = test_path(dir, "words.pdf");
    hand_write(&h, path);
    assert_clean(path);
    g_free(path);
    g_free(ours);
}

/* Files from sohoa itself (the signer's corpus): clean. */
static void sohoa_signed_files_pass(void **state)
{
    (void)state;
    char *unit = g_path_get_dirname(__FILE__); /* <repo>/tests/unit */
    const char *names[] = {"sohoa-ec.pdf", "sohoa-hybrid.pdf"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        char *path = g_build_filename(unit, "..", "..", "fuzz", "corpus", "verify", names[i], NULL);
        assert_clean(path);
        g_free(path);
    }
    g_free(unit);
}

/* ---- harmful content ---- */

static void javascript_open_action(void **state)
{
    const char *objs[] = {"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>", NULL};
    char *path = write_doc(*state, "js.pdf", "/OpenAction 4 0 R", "", objs);
    char *found = active(path);
    assert_non_null(found);
    test_assert_contains(found, "JavaScript (object 4)");
    test_assert_contains(found, "an opening action other than a go-to (object 1)");
    g_free(found);
    g_free(path);
}

static void javascript_name_tree_in_object_stream(void **state)
{
    const char *dir = *state;
    const char *objs[] = {"<< /JavaScript 5 0 R >>", "<< /Names [(hello) 6 0 R] >>",
                          "<< /S /JavaScript /JS 7 0 R >>",
                          "<< /Length 3 >>\nstream\nx=1\nendstream", NULL};
    char *in = write_doc(dir, "tree.pdf", "/Names 4 0 R", "", objs);
    char *out = test_path(dir, "tree-os.pdf");
    qpdf("--object-streams=generate", in, out);
    /* compressed: no byte of the file spells it */
    assert_false(file_has(out, "JavaScript"));
    assert_found(out, "JavaScript (object ");
    g_free(out);
    g_free(in);
}

static void launch_xfa_richmedia_and_others(void **state)
{
    const char *dir = *state;
    static const struct {
        const char *catalog, *page, *obj, *want;
    } cases[] = {
        {"", "/Annots [4 0 R]",
         "<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (cmd.exe) >> >>",
         "a launch action (starts a program) (object 4)"},
        {"/AcroForm << /Fields [] /XFA 4 0 R >>", "", "<< /Length 0 >>\nstream\n\nendstream",
         "an XFA form (object 1)"},
        {"", "/Annots [4 0 R]",
         "<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] /RichMediaContent << >> >>",
         "rich media"},
        {"", "", "<< /S /GoToE /D [0 /Fit] /T << /R /C /N (a.pdf) >> >>",
         "a go-to into an embedded file (object 4)"},
        {"", "", "<< /S /Rendition /OP 0 /JS (app.alert\\(1\\)) >>", "JavaScript (object 4)"},
        {"/Names << /JavaScript << /Names [] >> >>", "", NULL, "JavaScript (object 1)"},
        {"", "", "<< /S /ImportData /F (data.fdf) >>", "a data import action (object 4)"},
        {"", "", "<< /S /SubmitForm /F (http://x.invalid/) >>", "a form submission action"},
        {"", "/AA << /O << /S /URI /URI (http://x.invalid/) >> >>", NULL,
         "an automatic action other than a go-to (object 3)"},
        {"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (http://x.invalid/) >> >>",
         "", NULL, "an opening action other than a go-to (object 1)"},
        {"", "/Annots [4 0 R]",
         "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS (a.exe) >>",
         "an embedded file (object 4)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *objs[] = {cases[i].obj, NULL};
        char *path = write_doc(dir, "case.pdf", cases[i].catalog, cases[i].page, objs);
        assert_found(path, cases[i].want);
        g_free(path);
    }
}

static void embedded_file_from_qpdf(void **state)
{
    const char *dir = *state;
    char *ours = write_ours(dir);
    char *payload = test_path(dir, "payload.txt");
    test_write(payload, "hello\n", 6);
    char *out = test_path(dir, "attached.pdf");
    char *args = g_strdup_printf("--add-attachment '%s' --", payload);
    qpdf(args, ours, out);
    assert_found(out, "an embedded file (object ");
    /* in an object stream too */
    char *os = test_path(dir, "attached-os.pdf");
    qpdf("--object-streams=generate", out, os);
    assert_found(os, "an embedded file (object ");
    g_free(os);
    g_free(args);
    g_free(out);
    g_free(payload);
    g_free(ours);
}

static void escaped_names(void **state)
{
    const char *objs[] = {"<< /S /J#61vaScript /J#53 (x) >>", NULL};
    char *path = write_doc(*state, "esc.pdf", "", "", objs);
    assert_false(file_has(path, "JavaScript"));
    assert_found(path, "JavaScript (object 4)");
    g_free(path);
    const char *launch[] = {"<< /#53 /#4C#61unch /F (x) >>", NULL};
    path = write_doc(*state, "esc2.pdf", "", "", launch);
    assert_found(path, "a launch action");
    g_free(path);
}

/* Sixteen findings are named, the rest counted. */
static void many_findings(void **state)
{
    const char *objs[21];
    for (int i = 0; i < 20; i++)
        objs[i] = "<< /S /Launch /F (x) >>";
    objs[20] = NULL;
    char *path = write_doc(*state, "many.pdf", "", "", objs);
    char *found = active(path);
    assert_non_null(found);
    test_assert_contains(found, "(object 4), ");
    test_assert_contains(found, "(object 19), and 4 more");
    g_free(found);
    g_free(path);
}

/* A clean file, then an update that adds JavaScript: found. An update that removes it: the
 * older revision still holds it, and a viewer can show that revision: found. */
static void incremental_updates(void **state)
{
    const char *dir = *state;
    hand h;
    hand_doc(&h, "", "");
    hand_section(&h, 1, "");
    /* the update: object 1 again with an /OpenAction, object 4 new */
    const char *sx = g_strrstr(h.s->str, "startxref\n") + 10;
    long first_xref = strtol(sx, NULL, 10);
    hand_obj(&h, 1, "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>");
    hand_obj(&h, 4, "<< /S /JavaScript /JS (x) >>");
    size_t at = h.s->len;
    g_string_append_printf(
        h.s,
        "xref\n0 2\n0000000000 65535 f \n%010zu 00000 n \n4 1\n%010zu 00000 n \n"
        "trailer\n<< /Size 5 /Root 1 0 R /Prev %ld >>\nstartxref\n%zu\n%%%%EOF\n",
        h.off[1], h.off[4], first_xref, at);
    char *path = test_path(dir, "update-adds.pdf");
    hand_write(&h, path);
    assert_found(path, "JavaScript (object 4)");
    g_free(path);

    /* JavaScript in the original, replaced by an update */
    const char *objs[] = {"<< /S /JavaScript /JS (x) >>", NULL};
    hand_doc(&h, "/OpenAction 4 0 R", "");
    hand_obj(&h, 4, objs[0]);
    hand_section(&h, 1, "");
    sx = g_strrstr(h.s->str, "startxref\n") + 10;
    first_xref = strtol(sx, NULL, 10);
    hand_obj(&h, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    hand_obj(&h, 4, "<< >>");
    at = h.s->len;
    g_string_append_printf(
        h.s,
        "xref\n0 2\n0000000000 65535 f \n%010zu 00000 n \n4 1\n%010zu 00000 n \n"
        "trailer\n<< /Size 5 /Root 1 0 R /Prev %ld >>\nstartxref\n%zu\n%%%%EOF\n",
        h.off[1], h.off[4], first_xref, at);
    path = test_path(dir, "update-removes.pdf");
    hand_write(&h, path);
    assert_found(path, "JavaScript (object 4)");
    g_free(path);
}

/* ---- files that cannot be checked ---- */

static void damaged_files_are_not_clean(void **state)
{
    const char *dir = *state;
    char *path = test_path(dir, "garbage.pdf");
    test_write(path, "%PDF-1.4\nnothing here\n", 22);
    assert_unchecked(path);
    g_free(path);
    path = test_path(dir, "missing.pdf");
    char *found = (char *)"unset";
    sh_error err;
    assert_int_equal(pdf_active_content(path, &found, &err), SH_INPUT);
    assert_null(found);
    g_free(path);

    /* object 4 in object stream 5, which is not Flate as it says; or which lacks it */
    const char *members[] = {"4 0 << /S /JavaScript /JS (x) >>", "9 0 << /S /JavaScript >>"};
    for (size_t i = 0; i < G_N_ELEMENTS(members); i++) {
        hand h;
        hand_doc(&h, "", "");
        const char *dict = i == 0 ? "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"
                                  : "/Type /ObjStm /N 1 /First 4";
        hand_stream(&h, 5, dict, members[i], strlen(members[i]));
        hand_xref_stream(&h, 6, 5, (const int[]){4}, 1);
        path = test_path(dir, "bad-stm.pdf");
        hand_write(&h, path);
        assert_unchecked(path);
        g_free(path);
    }
    /* the same file, sound: found */
    hand h;
    hand_doc(&h, "", "");
    hand_stream(&h, 5, "/Type /ObjStm /N 1 /First 4", members[0], strlen(members[0]));
    hand_xref_stream(&h, 6, 5, (const int[]){4}, 1);
    path = test_path(dir, "stm.pdf");
    hand_write(&h, path);
    assert_found(path, "JavaScript (object 4)");
    g_free(path);

    /* an object stream the cross-reference names whose data is not Flate */
    char *ours = write_ours(dir);
    char *os = test_path(dir, "os.pdf");
    qpdf("--object-streams=generate", ours, os);
    size_t len;
    char *d = test_slurp(os, &len);
    char *stm = memmem(d, len, "/Type /ObjStm", 13);
    assert_non_null(stm);
    char *data = memmem(stm, len - (size_t)(stm - d), "stream\n", 7);
    assert_non_null(data);
    data[7] ^= 0x55; /* zlib's header */
    data[8] ^= 0x55;
    char *bad = test_path(dir, "bad-os.pdf");
    test_write(bad, d, len);
    assert_unchecked(bad);
    g_free(bad);
    g_free(d);
    g_free(os);
    g_free(ours);
}

/* An object stream that inflates past the reader's limit (64 MiB): not read, so not clean. */
static void decompression_bomb(void **state)
{
    const char *dir = *state;
    size_t raw = (65u << 20);
    uint8_t *zeros = g_malloc0(raw);
    memcpy(zeros, "4 0 ", 4);
    uLongf clen = compressBound(raw);
    uint8_t *z = g_malloc(clen);
    assert_int_equal(compress2(z, &clen, zeros, raw, 9), Z_OK);
    g_free(zeros);
    hand h;
    hand_doc(&h, "", "");
    hand_stream(&h, 4, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", z, clen);
    hand_section(&h, 1, "");
    g_free(z);
    char *path = test_path(dir, "bomb.pdf");
    hand_write(&h, path);
    assert_unchecked(path);
    g_free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_files_pass),
        cmocka_unit_test(sohoa_signed_files_pass),
        cmocka_unit_test(javascript_open_action),
        cmocka_unit_test(javascript_name_tree_in_object_stream),
        cmocka_unit_test(launch_xfa_richmedia_and_others),
        cmocka_unit_test(embedded_file_from_qpdf),
        cmocka_unit_test(escaped_names),
        cmocka_unit_test(many_findings),
        cmocka_unit_test(incremental_updates),
        cmocka_unit_test(damaged_files_are_not_clean),
        cmocka_unit_test(decompression_bomb),
    };
    return cmocka_run_group_tests(tests, test_setup_tmpdir, test_teardown_tmpdir);
}
