/* Incremental updates (pdf_writer update mode, update.c) and the signatures of a file
 * (signatures.c): the original's bytes stay a prefix of the output, the appended section is in
 * the original's style and points back to it, a new signature field is hooked into the page and
 * the AcroForm by rewriting exactly the objects that hold them, and a signature's /Contents is
 * located in the file as a verifier needs it. qpdf is the judge of every file we write; the
 * originals are written by hand, so that each test controls the structure it updates. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "pdf/pdf.h"

/* ---- hand-written PDFs ---- */

#define HAND_MAX 64

typedef struct {
    GString *s;
    size_t off[HAND_MAX]; /* 0: no object of that number (a free entry) */
    int gen[HAND_MAX];
    int n; /* the highest number written + 1 */
    size_t startxref;
} hand;

static void hand_begin(hand *h)
{
    memset(h, 0, sizeof *h);
    h->s = g_string_new("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
    h->n = 1;
}

static void hand_obj(hand *h, int num, int gen, const char *body)
{
    assert_true(num > 0 && num < HAND_MAX);
    h->off[num] = h->s->len;
    h->gen[num] = gen;
    if (num >= h->n)
        h->n = num + 1;
    g_string_append_printf(h->s, "%d %d obj\n%s\nendobj\n", num, gen, body);
}

#define ID0 "00112233445566778899AABBCCDDEEFF"

/* A table of every number below n, then the trailer dictionary as given (even one without its
 * end), written to path; the string is freed. */
static void hand_finish_trailer(hand *h, const char *path, const char *trailer)
{
    h->startxref = h->s->len;
    g_string_append_printf(h->s, "xref\n0 %d\n0000000000 65535 f\r\n", h->n);
    for (int i = 1; i < h->n; i++)
        if (h->off[i])
            g_string_append_printf(h->s, "%010zu %05d n\r\n", h->off[i], h->gen[i]);
        else
            g_string_append(h->s, "0000000000 00000 f\r\n");
    g_string_append_printf(h->s, "trailer\n%s\nstartxref\n%zu\n%%%%EOF\n", trailer, h->startxref);
    test_write(path, h->s->str, h->s->len);
    g_string_free(h->s, true);
    h->s = NULL;
}

/* The same with the trailer << /Size n /Root 1 0 R, then extra >>. */
static void hand_finish(hand *h, const char *path, const char *trailer_extra)
{
    char *trailer = g_strdup_printf("<< /Size %d /Root 1 0 R %s >>", h->n, trailer_extra);
    hand_finish_trailer(h, path, trailer);
    g_free(trailer);
}

/* The usual document: 1 catalog, 2 page tree, 3 the page (generation page_gen), 4 its content,
 * 5 the information dictionary; extras go into the catalog's and the page's dictionaries.
 * Objects from 6 on are the caller's. */
static void base_doc(hand *h, const char *catalog_extra, const char *page_extra, int page_gen)
{
    hand_begin(h);
    char *cat = g_strdup_printf("<< /Type /Catalog /Pages 2 0 R %s >>", catalog_extra);
    hand_obj(h, 1, 0, cat);
    char *pages = g_strdup_printf("<< /Type /Pages /Kids [3 %d R] /Count 1 >>", page_gen);
    hand_obj(h, 2, 0, pages);
    char *page = g_strdup_printf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                                 "4 0 R %s >>",
                                 page_extra);
    hand_obj(h, 3, page_gen, page);
    hand_obj(h, 4, 0, "<< /Length 9 >>\nstream\n0 0 m S\n\nendstream");
    hand_obj(h, 5, 0, "<< /Producer (sohoa test) >>");
    g_free(cat);
    g_free(pages);
    g_free(page);
}

/* The usual document with objects 6, 7, … (the bodies after page_gen, up to NULL) and /Info in
 * its trailer, written to path. */
static void write_doc(const char *path, const char *catalog_extra, const char *page_extra,
                      int page_gen, ...) __attribute__((sentinel));
static void write_doc(const char *path, const char *catalog_extra, const char *page_extra,
                      int page_gen, ...)
{
    hand h;
    base_doc(&h, catalog_extra, page_extra, page_gen);
    va_list ap;
    va_start(ap, page_gen);
    const char *body;
    for (int num = 6; (body = va_arg(ap, const char *)); num++)
        hand_obj(&h, num, 0, body);
    va_end(ap);
    hand_finish(&h, path, "/Info 5 0 R");
}

/* The usual document with nothing else, written to path; its startxref. */
static size_t write_plain(const char *path)
{
    hand h;
    base_doc(&h, "", "", 0);
    hand_finish(&h, path, "/Info 5 0 R /ID [<" ID0 "> <" ID0 ">]");
    return h.startxref;
}

/* ---- scratch files ---- */

static GPtrArray *scratch_paths; /* freed after each test, a failed one too */

/* name in the test's scratch folder; the path lives until the test's teardown, so that a test
 * may fail anywhere without leaking it. */
static const char *scratch(void **state, const char *name)
{
    if (!scratch_paths)
        scratch_paths = g_ptr_array_new_with_free_func(g_free);
    char *path = test_path(*state, name);
    g_ptr_array_add(scratch_paths, path);
    return path;
}

static int teardown_scratch(void **state)
{
    if (scratch_paths)
        g_ptr_array_free(scratch_paths, true);
    scratch_paths = NULL;
    return test_teardown_tmpdir(state);
}

/* ---- helpers ---- */

static size_t file_size(const char *path)
{
    size_t len;
    g_free(test_slurp(path, &len));
    return len;
}

static pdf_reader *open_ok(const char *path)
{
    pdf_reader *r = NULL;
    sh_error err;
    if (pdf_reader_open(path, &r, &err) != SH_OK)
        fail_msg("%s", err.msg);
    return r;
}

/* A refusal that is the file's problem: SH_INPUT, the message naming the file. */
static void assert_input_error(sh_status st, const sh_error *err, const char *path)
{
    assert_int_equal(st, SH_INPUT);
    test_assert_contains(err->msg, path);
}

/* "qpdf ARGS 'path'": its output (g_free). */
static char *qpdf(const char *args, const char *path, bool *ok)
{
    char *cmd = g_strdup_printf("qpdf %s '%s'", args, path);
    char *out = test_run(cmd, ok);
    g_free(cmd);
    return out;
}

/* qpdf OPTION rewrites from into to. */
static void qpdf_rewrite(const char *option, const char *from, const char *to)
{
    char *cmd = g_strdup_printf("qpdf %s '%s' '%s'", option, from, to);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
}

/* The usual document as qpdf OPTION writes it, at name in the scratch folder. */
static const char *plain_rewritten(void **state, const char *option, const char *name)
{
    const char *plain = scratch(state, "plain.pdf"), *path = scratch(state, name);
    write_plain(plain);
    qpdf_rewrite(option, plain, path);
    return path;
}

/* qpdf finds nothing wrong: exit 0 (3 is "warnings") and its all-clear line. */
static void assert_qpdf_clean(const char *path)
{
    test_need_tool("qpdf");
    bool ok;
    char *out = qpdf("--check", path, &ok);
    if (!ok || !strstr(out, "No syntax or stream encoding errors found"))
        fail_msg("qpdf --check %s:\n%s", path, out);
    g_free(out);
}

/* qpdf's view of object num ("--show-object"), g_free. */
static char *show_object(const char *path, int num)
{
    char *args = g_strdup_printf("--show-object=%d", num);
    bool ok;
    char *out = qpdf(args, path, &ok);
    assert_true(ok);
    g_free(args);
    return out;
}

/* qpdf's view of object num holds the text (printf-style). */
static void assert_object_has(const char *path, int num, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void assert_object_has(const char *path, int num, const char *fmt, ...)
{
    test_need_tool("qpdf");
    va_list ap;
    va_start(ap, fmt);
    char *want = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *obj = show_object(path, num);
    test_assert_contains(obj, want);
    g_free(obj);
    g_free(want);
}

/* Does the newest cross-reference of out (as qpdf reads it) put object num/gen past the bytes
 * of original (in the update)? */
static bool in_update(const char *out, const char *original, int num, int gen)
{
    size_t from = file_size(original);
    bool ok;
    char *xref = qpdf("--show-xref", out, &ok);
    assert_true(ok);
    char *want = g_strdup_printf("%d/%d: uncompressed; offset = ", num, gen);
    bool found = false;
    for (char *p = xref; (p = strstr(p, want)); p++)
        if ((p == xref || p[-1] == '\n') && strtoull(p + strlen(want), NULL, 10) >= from)
            found = true;
    g_free(want);
    g_free(xref);
    return found;
}

/* Object num/gen written again (or new) in the update, or not (qpdf's view). */
static void assert_in_update(const char *out, const char *original, int num, int gen)
{
    test_need_tool("qpdf");
    if (!in_update(out, original, num, gen))
        fail_msg("%d %d obj is not in the update that %s appends", num, gen, out);
}

static void assert_not_in_update(const char *out, const char *original, int num, int gen)
{
    test_need_tool("qpdf");
    if (in_update(out, original, num, gen))
        fail_msg("%d %d obj is written again in the update that %s appends", num, gen, out);
}

/* out begins with every byte of original. */
static void assert_original_kept(const char *original, const char *out)
{
    size_t olen, len;
    char *o = test_slurp(original, &olen), *d = test_slurp(out, &len);
    assert_true(len > olen);
    assert_memory_equal(d, o, olen);
    g_free(d);
    g_free(o);
}

/* The appended part of out (after the original's len bytes), NUL-terminated, g_free. */
static char *appended(const char *out, size_t original_len)
{
    size_t len;
    char *d = test_slurp(out, &len);
    assert_true(len > original_len);
    char *tail = g_strndup(d + original_len, len - original_len);
    g_free(d);
    return tail;
}

/* pdf_reader_update_base of the file at path (which must open). */
static sh_status update_base_of(const char *path, pdf_update_base *b, sh_error *err)
{
    pdf_reader *r = open_ok(path);
    sh_status st = pdf_reader_update_base(r, b, err);
    pdf_reader_close(r);
    return st;
}

/* The file at path reads back through its own cross-reference (not rebuilt), so that it can be
 * updated again: its base in *b (b may be NULL). */
static void assert_reads_back_as_update_base(const char *path, pdf_update_base *b)
{
    pdf_update_base mine;
    sh_error err;
    if (update_base_of(path, b ? b : &mine, &err) != SH_OK)
        fail_msg("%s does not read back as a base for an update: %s", path, err.msg);
}

static pdf_signature *signatures_of(const char *path, int *n)
{
    pdf_reader *r = open_ok(path);
    pdf_signature *sigs;
    sh_error err;
    assert_int_equal(pdf_reader_signatures(r, &sigs, n, &err), SH_OK);
    pdf_reader_close(r);
    return sigs;
}

static int count_signatures(const char *path)
{
    int n;
    pdf_signature *sigs = signatures_of(path, &n);
    pdf_signatures_free(sigs, n);
    return n;
}

/* The one signature of path: free with pdf_signatures_free(s, 1). */
static pdf_signature *only_signature(const char *path)
{
    int n;
    pdf_signature *s = signatures_of(path, &n);
    assert_int_equal(n, 1);
    return s;
}

/* The name the next signature field of path gets is want. */
static void expect_name(const char *path, const char *want)
{
    pdf_reader *r = open_ok(path);
    char name[32];
    pdf_reader_new_field_name(r, "Signature", name, sizeof name);
    assert_string_equal(name, want);
    pdf_reader_close(r);
}

/* An update of original at out in progress. */
typedef struct {
    pdf_reader *r;
    pdf_writer *w;
    pdf_update_base base;
} upd;

static void upd_begin(upd *u, const char *original, const char *out)
{
    sh_error err;
    u->r = open_ok(original);
    if (pdf_reader_update_base(u->r, &u->base, &err) != SH_OK)
        fail_msg("%s", err.msg);
    u->w = pdf_writer_update(out, original, &u->base, &err);
    if (!u->w)
        fail_msg("%s", err.msg);
}

/* Mark, close, publish; the reader is closed. */
static void upd_publish(upd *u)
{
    sh_error err;
    pdf_writer_mark(u->w);
    if (pdf_writer_close(u->w, &err) != SH_OK)
        fail_msg("%s", err.msg);
    if (pdf_writer_publish(u->w, &err) != SH_OK)
        fail_msg("%s", err.msg);
    pdf_reader_close(u->r);
}

/* Drop the update: nothing is published; the reader is closed. */
static void upd_abort(upd *u)
{
    pdf_writer_abort(u->w);
    pdf_reader_close(u->r);
}

/* Write object field: a signature widget that is its own field, /T name (a UTF-16 text string
 * when utf16), then the extra keys. */
static void write_widget(upd *u, int field, const char *name, bool utf16, const char *extra)
{
    pdf_object_begin(u->w, field);
    pdf_printf(u->w, "<< /Type /Annot /Subtype /Widget /FT /Sig /T ");
    if (utf16)
        pdf_text_string(u->w, name);
    else
        pdf_printf(u->w, "(%s)", name);
    pdf_printf(u->w, " /Rect [0 0 0 0]%s >>", extra);
    pdf_object_end(u->w);
}

/* A widget (write_widget) hooked into page 1: what pdf_update_add_field says. */
static sh_status add_widget_field(upd *u, const char *name, bool utf16, const char *extra,
                                  sh_error *err)
{
    int field = pdf_object_reserve(u->w);
    write_widget(u, field, name, utf16, extra);
    return pdf_update_add_field(u->r, u->w, 0, field, err);
}

/* The usual update: a signature field on page 1 (a widget that is its own field, named name),
 * with a signature dictionary as its value; the field's number. */
static int add_sig_field(upd *u, const char *name)
{
    sh_error err;
    int page, gen;
    double box[4];
    int rot;
    assert_int_equal(pdf_reader_page_geometry(u->r, 0, box, &rot, &page, &gen, &err), SH_OK);
    int field = pdf_object_reserve(u->w), sig = pdf_object_reserve(u->w);
    char *extra = g_strdup_printf(" /F 132 /P %d %d R /V %d 0 R", page, gen, sig);
    write_widget(u, field, name, false, extra);
    g_free(extra);
    pdf_object_begin(u->w, sig);
    pdf_printf(u->w, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                     "/ByteRange [0 1 2 3] /Contents <00112233> >>");
    pdf_object_end(u->w);
    if (pdf_update_add_field(u->r, u->w, 0, field, &err) != SH_OK)
        fail_msg("%s", err.msg);
    return field;
}

/* original updated into out with the usual signature field, named name; the field's number. */
static int update_with_field(const char *original, const char *out, const char *name)
{
    upd u;
    upd_begin(&u, original, out);
    int field = add_sig_field(&u, name);
    upd_publish(&u);
    return field;
}

/* A new object and a new catalog (/Pages pages) that points to it; the new object's number. */
static int add_extra_to_catalog(upd *u, int pages)
{
    int extra = pdf_object_reserve(u->w);
    pdf_object_begin(u->w, extra);
    pdf_printf(u->w, "<< /Note (added by the update) >>");
    pdf_object_end(u->w);
    pdf_object_replace(u->w, u->base.root, u->base.root_gen);
    pdf_printf(u->w, "<< /Type /Catalog /Pages %d 0 R /Extra %d 0 R >>", pages, extra);
    pdf_object_end(u->w);
    return extra;
}

/* ---- the update itself ---- */

/* A file with a classic table: the update is its bytes unchanged, then a table section whose
 * /Prev is the original's startxref, carrying /Root, /Info and the first /ID over. */
static void update_classic_xref(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    size_t startxref = write_plain(orig), olen = file_size(orig);

    upd u;
    upd_begin(&u, orig, out);
    assert_false(u.base.xref_stream);
    assert_int_equal(u.base.size, 6);
    assert_int_equal(u.base.root, 1);
    assert_int_equal(u.base.root_gen, 0);
    assert_int_equal(u.base.info, 5);
    assert_int_equal(u.base.startxref, startxref);
    assert_int_equal(g_ascii_strcasecmp(u.base.id0, ID0), 0);
    assert_int_equal(pdf_writer_tell(u.w), olen);
    assert_int_equal(add_extra_to_catalog(&u, 2), 6);
    uint8_t osha[SH_SHA256_LEN], want[SH_SHA256_LEN];
    pdf_writer_original_sha256(u.w, osha);
    sh_error err;
    assert_int_equal(sh_sha256_file(orig, want, &err), SH_OK);
    assert_memory_equal(osha, want, SH_SHA256_LEN);
    upd_publish(&u);

    assert_original_kept(orig, out);
    char *tail = appended(out, olen);
    /* A table: "xref" on a line of its own, the two rows, /Prev back to the original. */
    assert_non_null(strstr(tail, "\nxref\n1 1\n"));
    assert_non_null(strstr(tail, "\n6 1\n"));
    char *prev = g_strdup_printf("/Prev %zu", startxref);
    assert_non_null(strstr(tail, prev));
    assert_null(strstr(tail, "/Type /XRef"));
    g_free(prev);
    g_free(tail);
    assert_qpdf_clean(out);
    assert_object_has(out, 1, "/Extra 6 0 R");
    assert_in_update(out, orig, 1, 0);
    assert_in_update(out, orig, 6, 0);
    assert_not_in_update(out, orig, 3, 0);
    /* Read back: the update's own base continues from it, the first /ID unchanged. */
    pdf_update_base b;
    assert_reads_back_as_update_base(out, &b);
    assert_int_equal(b.size, 7);
    assert_int_equal(b.info, 5);
    assert_int_equal(b.root, 1);
    assert_false(b.xref_stream);
    assert_true(b.startxref > olen);
    assert_int_equal(g_ascii_strcasecmp(b.id0, ID0), 0);
}

/* A file whose newest section is a cross-reference stream gets a stream, not a table. */
static void update_xref_stream(void **state)
{
    test_need_tool("qpdf");
    const char *orig = plain_rewritten(state, "--object-streams=generate", "xs.pdf");
    const char *out = scratch(state, "out.pdf");
    size_t olen = file_size(orig);

    upd u;
    upd_begin(&u, orig, out);
    assert_true(u.base.xref_stream);
    int root = u.base.root, first = u.base.size;
    char *cat = show_object(orig, root);
    char *pages = strstr(cat, "/Pages ");
    assert_non_null(pages);
    int extra = add_extra_to_catalog(&u, atoi(pages + 7));
    assert_int_equal(extra, first);
    g_free(cat);
    upd_publish(&u);

    assert_original_kept(orig, out);
    char *tail = appended(out, olen);
    test_assert_contains(tail, "/Type /XRef");
    assert_null(strstr(tail, "\nxref\n"));
    assert_false(g_str_has_prefix(tail, "xref"));
    g_free(tail);
    assert_qpdf_clean(out);
    /* The new object, the catalog, and the xref stream itself (the next number). */
    assert_in_update(out, orig, extra, 0);
    assert_in_update(out, orig, root, 0);
    assert_in_update(out, orig, extra + 1, 0);
    assert_object_has(out, root, "/Extra %d 0 R", extra);

    pdf_update_base b;
    assert_reads_back_as_update_base(out, &b);
    assert_true(b.xref_stream);
    assert_int_equal(b.size, extra + 2);
}

/* "%%EOF" at the very end, without a line end: the update starts on a new line. */
static void update_without_final_newline(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_plain(orig);
    size_t olen;
    char *o = test_slurp(orig, &olen);
    assert_true(olen > 0 && o[olen - 1] == '\n');
    test_write(orig, o, --olen);
    g_free(o);

    upd u;
    upd_begin(&u, orig, out);
    assert_int_equal(pdf_writer_tell(u.w), olen + 1);
    add_sig_field(&u, "Signature1");
    upd_publish(&u);

    assert_original_kept(orig, out);
    char *tail = appended(out, olen);
    assert_int_equal(tail[0], '\n');
    g_free(tail);
    assert_qpdf_clean(out);
    assert_reads_back_as_update_base(out, NULL); /* not rebuilt */
}

/* A hybrid file (a table whose trailer points to a cross-reference stream as well, for the
 * objects in object streams): the update is a table, and the compressed objects stay readable
 * through its /Prev. */
static void update_hybrid(void **state)
{
    const char *orig = scratch(state, "hybrid.pdf"), *out = scratch(state, "out.pdf");
    hand h;
    base_doc(&h, "", "", 0);
    h.off[5] = 0; /* the information dictionary moves to object stream 6 */
    static const char objstm[] = "5 0 << /Producer (hybrid) >>";
    h.off[6] = h.s->len;
    g_string_append_printf(h.s,
                           "6 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length %zu >>\nstream\n%s\n"
                           "endstream\nendobj\n",
                           strlen(objstm), objstm);
    size_t xs = h.s->len;
    h.off[8] = xs;
    g_string_append(h.s, "8 0 obj\n<< /Type /XRef /Size 9 /W [1 2 1] /Index [5 1] /Length 4 >>\n"
                         "stream\n");
    g_string_append_len(h.s, "\x02\x00\x06\x00", 4);
    g_string_append(h.s, "\nendstream\nendobj\n");
    h.n = 9;
    char *trailer = g_strdup_printf("/Info 5 0 R /XRefStm %zu", xs);
    hand_finish(&h, orig, trailer);
    g_free(trailer);
    assert_qpdf_clean(orig);

    upd u;
    upd_begin(&u, orig, out);
    assert_false(u.base.xref_stream);
    assert_int_equal(u.base.size, 9);
    assert_int_equal(u.base.info, 5);
    assert_int_equal(add_sig_field(&u, "Signature1"), 9);
    upd_publish(&u);

    char *tail = appended(out, file_size(orig));
    assert_non_null(strstr(tail, "\nxref\n"));
    assert_null(strstr(tail, "/Type /XRef"));
    assert_null(strstr(tail, "/XRefStm"));
    g_free(tail);
    assert_qpdf_clean(out);
    assert_object_has(out, 5, "(hybrid)");
    assert_int_equal(count_signatures(out), 1);
}

/* A linearized file: the update goes after its main section, and qpdf reads it whole. */
static void update_linearized(void **state)
{
    test_need_tool("qpdf");
    const char *orig = plain_rewritten(state, "--linearize", "lin.pdf");
    const char *out = scratch(state, "out.pdf");
    update_with_field(orig, out, "Signature1");
    assert_qpdf_clean(out);
    assert_int_equal(count_signatures(out), 1);
}

/* ---- digest and patch: what a signer needs after close ---- */

/* An update with a placeholder string after the mark, in progress. */
typedef struct {
    upd u;
    uint64_t mark;     /* the offset of the mark */
    uint64_t from, to; /* the placeholder's bytes */
} placeholder;

static void placeholder_update(placeholder *p, const char *orig, const char *out)
{
    upd_begin(&p->u, orig, out);
    pdf_writer *w = p->u.w;
    pdf_writer_mark(w);
    p->mark = pdf_writer_tell(w);
    int num = pdf_object_reserve(w);
    pdf_object_begin(w, num);
    pdf_printf(w, "<< /Contents ");
    p->from = pdf_writer_tell(w);
    pdf_printf(w, "<0000000000000000>");
    p->to = pdf_writer_tell(w);
    pdf_printf(w, " >>");
    pdf_object_end(w);
}

/* The same, closed. */
static void placeholder_closed(placeholder *p, const char *orig, const char *out)
{
    sh_error err;
    placeholder_update(p, orig, out);
    assert_int_equal(pdf_writer_close(p->u.w, &err), SH_OK);
}

/* SHA-256 of data without [from, to). */
static void sha_without(const char *d, size_t len, size_t from, size_t to,
                        uint8_t out[SH_SHA256_LEN])
{
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, (const guint8 *)d, (guint)from);
    g_byte_array_append(b, (const guint8 *)d + to, (guint)(len - to));
    sh_sha256_buf(b->data, b->len, out);
    g_byte_array_free(b, true);
}

static void digest_and_patch(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_plain(orig);
    sh_error err;
    placeholder p;
    placeholder_closed(&p, orig, out);
    uint64_t size = pdf_writer_tell(p.u.w);
    assert_int_equal(pdf_writer_patch(p.u.w, p.from + 1, "ABCD", 4, &err), SH_OK);
    uint8_t skipped[SH_SHA256_LEN], whole[SH_SHA256_LEN];
    assert_int_equal(pdf_writer_digest(p.u.w, p.from, p.to, skipped, &err), SH_OK);
    assert_int_equal(pdf_writer_digest(p.u.w, size, size, whole, &err), SH_OK);
    assert_int_equal(pdf_writer_publish(p.u.w, &err), SH_OK);
    pdf_reader_close(p.u.r);

    size_t len;
    char *d = test_slurp(out, &len);
    assert_int_equal(len, size);
    assert_memory_equal(d + p.from, "<ABCD000000000000>", 18);
    uint8_t want[SH_SHA256_LEN];
    sha_without(d, len, p.from, p.to, want);
    assert_memory_equal(skipped, want, SH_SHA256_LEN);
    assert_int_equal(sh_sha256_file(out, want, &err), SH_OK);
    assert_memory_equal(whole, want, SH_SHA256_LEN);
    assert_qpdf_clean(out);
    g_free(d);

    /* Misuse: each on its own writer, for an error is sticky (nothing is published after it). */
    const char *out2 = scratch(state, "out2.pdf");
    placeholder_update(&p, orig, out2);
    assert_int_equal(pdf_writer_digest(p.u.w, p.from, p.to, whole, &err),
                     SH_INTERNAL); /* not closed */
    assert_int_equal(pdf_writer_close(p.u.w, &err), SH_INTERNAL);
    upd_abort(&p.u);

    placeholder_closed(&p, orig, out2);
    assert_int_equal(pdf_writer_digest(p.u.w, p.mark - 1, p.to, whole, &err), SH_INTERNAL);
    assert_int_equal(pdf_writer_publish(p.u.w, &err), SH_INTERNAL);
    pdf_reader_close(p.u.r);

    placeholder_update(&p, orig, out2);
    assert_int_equal(pdf_writer_patch(p.u.w, p.from, "<", 1, &err), SH_INTERNAL); /* not closed */
    upd_abort(&p.u);

    placeholder_closed(&p, orig, out2);
    assert_int_equal(pdf_writer_patch(p.u.w, p.mark - 1, "X", 1, &err), SH_INTERNAL);
    upd_abort(&p.u);

    placeholder_closed(&p, orig, out2);
    size = pdf_writer_tell(p.u.w);
    assert_int_equal(pdf_writer_patch(p.u.w, size - 2, "XYZ", 3, &err), SH_INTERNAL); /* past end */
    upd_abort(&p.u);
    assert_false(g_file_test(out2, G_FILE_TEST_EXISTS));

    /* No mark: close refuses. */
    upd u;
    upd_begin(&u, orig, out2);
    assert_int_equal(pdf_writer_close(u.w, &err), SH_INTERNAL);
    upd_abort(&u);
}

/* How many entries the folder holds. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* An existing output is never replaced; an aborted update leaves nothing behind. */
static void never_replaces_and_abort_cleans(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_plain(orig);
    test_write(out, "keep me", 7);
    pdf_update_base b;
    sh_error err;
    assert_int_equal(update_base_of(orig, &b, &err), SH_OK);
    assert_null(pdf_writer_update(out, orig, &b, &err));
    assert_int_equal(err.status, SH_USAGE);
    /* The original itself as the output: refused the same way. */
    assert_null(pdf_writer_update(orig, orig, &b, &err));
    assert_int_equal(err.status, SH_USAGE);
    assert_int_equal(file_size(out), 7);

    /* A missing original: SH_INPUT naming it, and no temp file left. */
    const char *missing = scratch(state, "missing.pdf"), *out2 = scratch(state, "out2.pdf");
    assert_null(pdf_writer_update(out2, missing, &b, &err));
    assert_input_error(err.status, &err, "missing.pdf");
    assert_int_equal(entries(*state), 2);

    pdf_writer *w = pdf_writer_update(out2, orig, &b, &err);
    assert_non_null(w);
    assert_int_equal(entries(*state), 3); /* the temp file */
    pdf_writer_mark(w);
    assert_int_equal(pdf_writer_close(w, &err), SH_OK);
    pdf_writer_abort(w);
    assert_int_equal(entries(*state), 2);
    assert_false(g_file_test(out2, G_FILE_TEST_EXISTS));
}

/* ---- a signature field hooked into the document ---- */

/* (a) A page without /Annots and a catalog without /AcroForm: both are rewritten. */
static void add_field_fresh(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_plain(orig);
    assert_int_equal(update_with_field(orig, out, "Signature1"), 6);
    assert_qpdf_clean(out);
    assert_object_has(out, 3, "/Annots [ 6 0 R ]");
    assert_object_has(out, 3, "/MediaBox [ 0 0 595 842 ]"); /* the rest kept */
    assert_object_has(out, 3, "/Contents 4 0 R");
    assert_object_has(out, 1, "/AcroForm << /Fields [ 6 0 R ] /SigFlags 3 >>");
    assert_object_has(out, 1, "/Pages 2 0 R");
    assert_in_update(out, orig, 1, 0);
    assert_in_update(out, orig, 3, 0);
    assert_not_in_update(out, orig, 2, 0);
    /* A verifier finds the field and its value. */
    pdf_signature *sigs = only_signature(out);
    assert_string_equal(sigs[0].field, "Signature1");
    assert_int_equal(sigs[0].object, 7);
    assert_true(sigs[0].in_file);
    assert_int_equal(sigs[0].n_byte_range, 4);
    pdf_signatures_free(sigs, 1);
    expect_name(out, "Signature2");
}

/* (b) An indirect /Annots array: the array is written again, the page is not. */
static void add_field_indirect_annots(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_doc(orig, "", "/Annots 6 0 R", 0, "[7 0 R]",
              "<< /Type /Annot /Subtype /Link /Rect [10 10 20 20] /Border [0 0 0] /P 3 0 R >>",
              NULL);
    assert_int_equal(update_with_field(orig, out, "Signature1"), 8);
    assert_qpdf_clean(out);
    assert_in_update(out, orig, 6, 0);
    assert_not_in_update(out, orig, 3, 0);
    assert_object_has(out, 6, "[ 7 0 R 8 0 R ]");
}

/* (c) A direct AcroForm in the catalog with an indirect /Fields: the array is written again with
 * the existing field kept, and the catalog for /SigFlags, its other keys kept. */
static void add_field_direct_acroform(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_doc(orig, "/AcroForm << /Fields 6 0 R /DA (/Helv 0 Tf 0 g) >> /Lang (vi)", "", 0,
              "[7 0 R]", "<< /FT /Tx /T (Name) /V (Nguyen Van A) >>", NULL);
    assert_int_equal(update_with_field(orig, out, "Signature1"), 8);
    assert_qpdf_clean(out);
    assert_in_update(out, orig, 6, 0);
    assert_in_update(out, orig, 1, 0);
    assert_not_in_update(out, orig, 7, 0);
    assert_object_has(out, 6, "[ 7 0 R 8 0 R ]");
    assert_object_has(out, 1, "/Fields 6 0 R");
    assert_object_has(out, 1, "/SigFlags 3");
    assert_object_has(out, 1, "/DA (/Helv 0 Tf 0 g)");
    assert_object_has(out, 1, "/Lang (vi)");
}

/* An indirect AcroForm that already says /SigFlags 3, with direct /Fields: only the AcroForm
 * object is written again, not the catalog. */
static void add_field_indirect_acroform(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_doc(orig, "/AcroForm 6 0 R", "", 0, "<< /Fields [] /SigFlags 3 /DA (/Helv 0 Tf 0 g) >>",
              NULL);
    int field = update_with_field(orig, out, "Signature1");
    assert_qpdf_clean(out);
    assert_in_update(out, orig, 6, 0);
    assert_not_in_update(out, orig, 1, 0);
    assert_object_has(out, 6, "/Fields [ %d 0 R ]", field);
    assert_object_has(out, 6, "/SigFlags 3");
    assert_object_has(out, 6, "/DA (/Helv 0 Tf 0 g)");
}

/* (d) A page of generation 1 is written again as "3 1 obj". */
static void add_field_page_generation(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_doc(orig, "", "", 1, NULL);
    update_with_field(orig, out, "Signature1");
    char *tail = appended(out, file_size(orig));
    test_assert_contains(tail, "\n3 1 obj\n");
    assert_null(strstr(tail, "\n3 0 obj"));
    g_free(tail);
    assert_qpdf_clean(out);
    assert_in_update(out, orig, 3, 1);
}

/* The box of page 1 of path. */
static void page_box(const char *path, double box[4])
{
    int rot;
    sh_error err;
    pdf_reader *r = open_ok(path);
    assert_int_equal(pdf_reader_page_geometry(r, 0, box, &rot, NULL, NULL, &err), SH_OK);
    pdf_reader_close(r);
}

/* The values of the dictionaries written again are kept exactly: a real with many decimals (a
 * box in millimetres turned into points) must not be rounded, or the signed revision changes the
 * page (a validator comparing revisions sees the page modified). */
static void add_field_keeps_values(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_doc(orig, "", "/CropBox [0.000001 0.5 100.123456789 200.987654321]", 0, NULL);
    double before[4], after[4];
    page_box(orig, before);
    update_with_field(orig, out, "Signature1");
    assert_qpdf_clean(out);
    page_box(out, after);
    for (int i = 0; i < 4; i++) /* the same value, give or take the last bits of a double */
        if (!(fabs(before[i] - after[i]) <= 1e-12 * (1 + fabs(before[i]))))
            fail_msg("CropBox[%d] was %.12g, is %.12g after the update", i, before[i], after[i]);
}

/* When the field cannot be hooked in (a value that cannot be written again), nothing half
 * written may stay in the writer: if the caller still closes and publishes, the file is sound. */
static void add_field_failure_leaves_no_half_object(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    /* a stray keyword as a value: cannot be written again */
    write_doc(orig, "", "/Junk bogus", 0, NULL);
    upd u;
    upd_begin(&u, orig, out);
    sh_error err;
    assert_input_error(add_widget_field(&u, "S", false, "", &err), &err, orig);
    pdf_writer_mark(u.w);
    if (pdf_writer_close(u.w, &err) != SH_OK) { /* refusing is fine too */
        upd_abort(&u);
        return;
    }
    assert_int_equal(pdf_writer_publish(u.w, &err), SH_OK);
    pdf_reader_close(u.r);
    test_need_tool("qpdf"); /* the page as it was (the original is not clean: compare) */
    char *before = qpdf("--show-object=3", orig, NULL);
    char *after = qpdf("--show-object=3", out, NULL);
    if (strcmp(before, after) != 0)
        fail_msg("page 3 was\n%s\nand is now\n%s", before, after);
    g_free(before);
    g_free(after);
    assert_reads_back_as_update_base(out, NULL);
    pdf_reader *r = open_ok(out);
    assert_int_equal(pdf_reader_pages(r), 1);
    pdf_reader_close(r);
}

/* ---- field names ---- */

static void new_field_name(void **state)
{
    const char *path = scratch(state, "f.pdf");
    write_plain(path);
    expect_name(path, "Signature1");

    write_doc(path, "/AcroForm << /Fields [6 0 R] >>", "", 0, "<< /FT /Sig /T (Signature1) >>",
              NULL);
    expect_name(path, "Signature2");

    /* nested as a kid, and the next name taken too */
    write_doc(path, "/AcroForm << /Fields [6 0 R 8 0 R] >>", "", 0,
              "<< /T (Group) /Kids [7 0 R] >>", "<< /FT /Sig /T (Signature1) /Parent 6 0 R >>",
              "<< /FT /Sig /T (Signature2) >>", NULL);
    expect_name(path, "Signature3");

    /* a name that only starts like one does not count */
    write_doc(path, "/AcroForm << /Fields [6 0 R] >>", "", 0, "<< /FT /Sig /T (Signature10) >>",
              NULL);
    expect_name(path, "Signature1");
}

/* /T is a text string: sg_sign_file writes it with pdf_text_string (UTF-16BE), and a file signed
 * once and then again must get a second name, not "Signature1" twice (two fields of one name
 * are one field to a viewer: the signatures clash). signatures.c reads /T decoded; the names
 * taken must be compared decoded too. */
static void new_field_name_utf16(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_plain(orig);
    upd u;
    upd_begin(&u, orig, out);
    sh_error err;
    assert_int_equal(add_widget_field(&u, "Signature1", true, " /P 3 0 R", &err), SH_OK);
    upd_publish(&u);
    expect_name(out, "Signature2");
}

/* ---- the signatures of a file ---- */

/* A document whose field 6 (named "Outer.Inner": Inner a kid of Outer) has signature dictionary
 * 8 with sig_body as its content, written to path. */
static void write_signed(const char *path, const char *sig_body)
{
    write_doc(path, "/AcroForm << /Fields [6 0 R] /SigFlags 3 >>", "/Annots [7 0 R]", 0,
              "<< /T (Outer) /Kids [7 0 R] >>",
              "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Inner) /Parent 6 0 R /Rect [0 0 0 0] "
              "/P 3 0 R /V 8 0 R >>",
              sig_body, NULL);
}

static void signature_located(void **state)
{
    const char *path = scratch(state, "s.pdf");
    write_signed(path, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                       "/ByteRange [0 100 200 300] /Contents < 0a0B 0c\n0D > /M "
                       "(D:20240131120000+07'00') >>");
    size_t len;
    char *d = test_slurp(path, &len);
    const char *c = memmem(d, len, "/Contents <", 11);
    assert_non_null(c);
    size_t lt = (size_t)(c + 10 - d);
    const char *gt = memchr(d + lt, '>', len - lt);
    assert_non_null(gt);

    pdf_signature *s = only_signature(path);
    assert_string_equal(s[0].field, "Outer.Inner");
    assert_int_equal(s[0].object, 8);
    assert_true(s[0].in_file);
    assert_false(s[0].duplicate_keys);
    assert_int_equal(s[0].n_byte_range, 4);
    assert_int_equal(s[0].byte_range[0], 0);
    assert_int_equal(s[0].byte_range[1], 100);
    assert_int_equal(s[0].byte_range[2], 200);
    assert_int_equal(s[0].byte_range[3], 300);
    assert_true(s[0].contents_hex);
    assert_int_equal(s[0].contents_start, lt);
    assert_int_equal(s[0].contents_end, (size_t)(gt - d) + 1);
    assert_int_equal(s[0].contents_len, 4);
    assert_memory_equal(s[0].contents, "\x0a\x0b\x0c\x0d", 4);
    assert_string_equal(s[0].filter, "Adobe.PPKLite");
    assert_string_equal(s[0].subfilter, "ETSI.CAdES.detached");
    assert_string_equal(s[0].m, "D:20240131120000+07'00'");
    pdf_signatures_free(s, 1);
    g_free(d);

    /* A literal string is located too, but is not hex. */
    write_signed(path, "<< /Type /Sig /ByteRange [0 1 2 3] /Contents (ab\\)c) >>");
    d = test_slurp(path, &len);
    s = only_signature(path);
    assert_true(s[0].in_file);
    assert_false(s[0].contents_hex);
    assert_int_equal(s[0].contents_len, 4);
    assert_memory_equal(s[0].contents, "ab)c", 4);
    c = memmem(d, len, "(ab", 3);
    assert_int_equal(s[0].contents_start, (size_t)(c - d));
    assert_int_equal(s[0].contents_end, (size_t)(c - d) + 7);
    assert_null(s[0].filter);
    assert_null(s[0].m);
    pdf_signatures_free(s, 1);
    g_free(d);
}

/* What a verifier must refuse is reported: /Contents twice, /ByteRange not all direct
 * integers. */
static void signature_anomalies(void **state)
{
    const char *path = scratch(state, "s.pdf");
    int n;
    write_signed(path, "<< /ByteRange [0 1 2 3] /Contents <AA> /Contents <BB> >>");
    pdf_signature *s = only_signature(path);
    assert_true(s[0].duplicate_keys);
    assert_false(s[0].in_file);
    pdf_signatures_free(s, 1);

    write_signed(path, "<< /ByteRange [0 1 2 3] /ByteRange [0 1 2 4] /Contents <AA> >>");
    s = signatures_of(path, &n);
    assert_true(s[0].duplicate_keys);
    pdf_signatures_free(s, n);

    static const char *const bad_ranges[] = {
        "[0 1 2.5 3]",           /* a real */
        "[0 1 9 0 R 3]",         /* an indirect element */
        "9 0 R",                 /* the array itself indirect */
        "[0 1 2 3 4 5 6 7 8 9]", /* more than 8 */
    };
    for (size_t i = 0; i < sizeof bad_ranges / sizeof *bad_ranges; i++) {
        char *body = g_strdup_printf("<< /ByteRange %s /Contents <AA> >>", bad_ranges[i]);
        hand h;
        base_doc(&h, "/AcroForm << /Fields [6 0 R] >>", "", 0);
        hand_obj(&h, 6, 0, "<< /FT /Sig /T (S) /V 7 0 R >>");
        hand_obj(&h, 7, 0, body);
        hand_obj(&h, 9, 0, "[0 1 2 3]");
        hand_finish(&h, path, "");
        g_free(body);
        s = only_signature(path);
        if (s[0].n_byte_range != -1)
            fail_msg("/ByteRange %s gave %d", bad_ranges[i], s[0].n_byte_range);
        assert_true(s[0].in_file);
        pdf_signatures_free(s, 1);
    }

    /* A direct signature dictionary: no object, not in the file. */
    write_doc(path, "/AcroForm << /Fields [6 0 R] >>", "", 0,
              "<< /FT /Sig /T (S) /V << /ByteRange [0 1 2 3] /Contents <AA> >> >>", NULL);
    s = only_signature(path);
    assert_int_equal(s[0].object, 0);
    assert_false(s[0].in_file);
    assert_int_equal(s[0].n_byte_range, 4);
    assert_int_equal(s[0].contents_len, 1);
    pdf_signatures_free(s, 1);

    /* Fields without a value, or not signatures, are not listed. */
    write_doc(path, "/AcroForm << /Fields [6 0 R 7 0 R] >>", "", 0, "<< /FT /Sig /T (Empty) >>",
              "<< /FT /Tx /T (Text) /V (x) >>", NULL);
    assert_int_equal(count_signatures(path), 0);
}

/* A signature dictionary compressed in an object stream: read, but its place is unknown. */
static void signature_in_object_stream(void **state)
{
    test_need_tool("qpdf");
    const char *path = scratch(state, "s.pdf"), *os = scratch(state, "os.pdf");
    /* No /Type /Sig (it is optional): qpdf keeps dictionaries with it out of object streams. */
    write_signed(path, "<< /ByteRange [0 1 2 3] /Contents <CAFE> >>");
    qpdf_rewrite("--object-streams=generate", path, os);
    pdf_signature *s = only_signature(os);
    assert_true(s[0].object > 0);
    assert_false(s[0].in_file);
    assert_int_equal(s[0].n_byte_range, 4);
    assert_int_equal(s[0].contents_len, 2);
    assert_memory_equal(s[0].contents, "\xCA\xFE", 2);
    assert_string_equal(s[0].field, "Outer.Inner");
    pdf_signatures_free(s, 1);
}

/* The reader's promise is bounded memory on any file: one signature field listed many times
 * (or reached through many paths) must not be copied out once per listing. */
static void signatures_memory_is_bounded(void **state)
{
    const char *path = scratch(state, "s.pdf");
    GString *fields = g_string_new("/AcroForm << /Fields [");
    for (int i = 0; i < 4096; i++)
        g_string_append(fields, " 6 0 R");
    g_string_append(fields, "] >>");
    GString *sig = g_string_new("<< /ByteRange [0 1 2 3] /Contents <");
    for (int i = 0; i < 16384; i++)
        g_string_append(sig, "00");
    g_string_append(sig, "> >>");
    write_doc(path, fields->str, "", 0, "<< /FT /Sig /T (S) /V 7 0 R >>", sig->str, NULL);
    g_string_free(fields, true);
    g_string_free(sig, true);
    size_t len = file_size(path);
    int n;
    pdf_signature *s = signatures_of(path, &n);
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += s[i].contents_len + strlen(s[i].field);
    pdf_signatures_free(s, n);
    if (total > 4 * len)
        fail_msg("a %zu-byte file gave %d signatures holding %zu bytes", len, n, total);
}

/* A signature field as field 6, under depth - 1 fields (each the only kid of the one before):
 * objects 6 to 5 + depth, its value 6 + depth. More fields go first in /Fields when many. */
static void write_nested_signature(const char *path, int depth, int many)
{
    GString *cat = g_string_new("/AcroForm << /Fields [");
    for (int i = 0; i < many; i++)
        g_string_append(cat, "<< /T (x) >> ");
    g_string_append(cat, "6 0 R] >>");
    hand h;
    base_doc(&h, cat->str, "", 0);
    g_string_free(cat, true);
    for (int i = 0; i < depth - 1; i++) {
        char *body = g_strdup_printf("<< /T (f%d) /Kids [%d 0 R] >>", i, 7 + i);
        hand_obj(&h, 6 + i, 0, body);
        g_free(body);
    }
    char *field = g_strdup_printf("<< /FT /Sig /T (S) /V %d 0 R >>", 6 + depth);
    hand_obj(&h, 5 + depth, 0, field);
    g_free(field);
    hand_obj(&h, 6 + depth, 0, "<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> >>");
    hand_finish(&h, path, "/Info 5 0 R");
}

/* A signature past the reader's limits (fields nested deeper than it follows, more fields than
 * it visits) would go unchecked, and a verifier would judge the file on the others: the list
 * is refused (SH_INPUT naming the file and the limit), never returned short. */
static void signatures_past_limits_are_refused(void **state)
{
    const char *path = scratch(state, "s.pdf");
    static const struct {
        int depth, many;
        const char *why; /* NULL: within the limits, the signature is found */
    } cases[] = {
        {30, 0, NULL},
        {40, 0, "nested too deep"},
        {1, 1000, NULL},
        {1, 100000, "too many form fields"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_nested_signature(path, cases[i].depth, cases[i].many);
        pdf_reader *r = open_ok(path);
        pdf_signature *sigs = NULL;
        int n = -1;
        sh_error err;
        sh_error_clear(&err);
        sh_status st = pdf_reader_signatures(r, &sigs, &n, &err);
        if (!cases[i].why) {
            assert_int_equal(st, SH_OK);
            assert_int_equal(n, 1);
            assert_string_equal(sigs[0].field, cases[i].depth > 1 ? "f0.f1.f2.f3.f4.f5.f6.f7.f8.f9."
                                                                    "f10.f11.f12.f13.f14.f15.f16."
                                                                    "f17.f18.f19.f20.f21.f22.f23."
                                                                    "f24.f25.f26.f27.f28.S"
                                                                  : "S");
        } else {
            assert_input_error(st, &err, path);
            test_assert_contains(err.msg, cases[i].why);
            assert_null(sigs);
            assert_int_equal(n, 0);
        }
        pdf_signatures_free(sigs, n);
        pdf_reader_close(r);
    }
}

/* ---- revisions ---- */

/* An original whose "%%EOF" straddles the reader's 1 MiB chunks, updated twice: three ends. */
static void revisions_of_two_updates(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *u1 = scratch(state, "u1.pdf"),
               *u2 = scratch(state, "u2.pdf");
    const size_t boundary = 1u << 20;
    size_t pad = boundary - 2000;
    for (int pass = 0; pass < 3; pass++) { /* the padding's own digits move the end a little */
        char *body = g_malloc(pad + 64);
        int k = snprintf(body, 64, "<< /Length %zu >>\nstream\n", pad);
        memset(body + k, 'x', pad);
        strcpy(body + k + pad, "\nendstream");
        write_doc(orig, "", "", 0, body, NULL);
        g_free(body);
        size_t eof = file_size(orig) - 6; /* "%%EOF\n" */
        pad += boundary - 2 - eof;
    }
    size_t olen = file_size(orig);
    assert_int_equal(olen - 6, boundary - 2);

    int f1 = update_with_field(orig, u1, "Signature1");
    int f2 = update_with_field(u1, u2, "Signature2");
    size_t l1 = file_size(u1), l2 = file_size(u2);
    assert_qpdf_clean(u2);

    pdf_reader *r = open_ok(u2);
    uint64_t ends[8];
    assert_int_equal(pdf_reader_revisions(r, ends, 8), 3);
    assert_int_equal(ends[0], olen - 1);
    assert_int_equal(ends[1], l1 - 1);
    assert_int_equal(ends[2], l2 - 1);
    assert_int_equal(pdf_reader_revisions(r, ends, 2), 2); /* at most max */
    pdf_reader_close(r);
    int n;
    pdf_signature *s = signatures_of(u2, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].field, "Signature1");
    assert_string_equal(s[1].field, "Signature2");
    pdf_signatures_free(s, n);
    assert_object_has(u2, 3, "/Annots [ %d 0 R %d 0 R ]", f1, f2);
}

/* ---- what readers accept, an update continues ---- */

/* Bytes before "%PDF-" (a mail header): the offsets the file gives count from the header. The
 * update copies the original from its header on, so that they are positions again, and its own
 * offsets are right for every reader; the SHA-256 of the original is of all its bytes (the file
 * that was validated). */
static void update_after_bytes_before_header(void **state)
{
    const char *plain = scratch(state, "plain.pdf"), *orig = scratch(state, "orig.pdf");
    const char *out = scratch(state, "out.pdf");
    size_t startxref = write_plain(plain), plen;
    char *p = test_slurp(plain, &plen);
    static const char before[] = "From: scanner@example.org\r\nSubject: dossier\r\n\r\n";
    GString *o = g_string_new(before);
    g_string_append_len(o, p, (gssize)plen);
    test_write(orig, o->str, o->len);
    assert_qpdf_clean(orig);

    upd u;
    upd_begin(&u, orig, out);
    assert_int_equal(u.base.header, sizeof before - 1);
    assert_int_equal(u.base.startxref, startxref);
    assert_int_equal(pdf_writer_tell(u.w), plen);
    uint8_t osha[SH_SHA256_LEN], want[SH_SHA256_LEN];
    pdf_writer_original_sha256(u.w, osha);
    sh_sha256_buf(o->str, o->len, want);
    assert_memory_equal(osha, want, SH_SHA256_LEN);
    add_sig_field(&u, "Signature1");
    upd_publish(&u);

    assert_original_kept(plain, out); /* the PDF itself, from its header on */
    assert_qpdf_clean(out);
    assert_in_update(out, plain, 3, 0);
    assert_int_equal(count_signatures(out), 1);
    pdf_update_base b;
    assert_reads_back_as_update_base(out, &b);
    assert_int_equal(b.header, 0);
    g_string_free(o, true);
    g_free(p);
}

/* A comment, NULs and a lone word between the trailer and startxref: the update continues the
 * table (qpdf --check and Poppler find nothing wrong with such a file). */
static void update_after_stray_bytes(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    size_t startxref = write_plain(orig), len;
    char *d = test_slurp(orig, &len);
    GString *o = g_string_new_len(d, (gssize)len);
    char *sx = strstr(o->str + startxref, "startxref");
    static const char stray[] = "% Acme PDF 0.9\n\0\0\0 junk\n";
    g_string_insert_len(o, sx - o->str, stray, sizeof stray - 1);
    test_write(orig, o->str, o->len);
    assert_qpdf_clean(orig);
    update_with_field(orig, out, "Signature1");
    assert_qpdf_clean(out);
    assert_reads_back_as_update_base(out, NULL);
    assert_int_equal(count_signatures(out), 1);
    g_string_free(o, true);
    g_free(d);
}

/* ---- forms that ask viewers for appearances ---- */

/* A form whose fields (a text field with its appearance, a hidden one without, an empty
 * signature field) are in /Fields of an AcroForm with /NeedAppearances true, plus extra (another
 * field's body, object 9, or NULL). */
static void write_needy_form(const char *path, const char *extra)
{
    char *fields = g_strdup_printf("/AcroForm << /Fields [6 0 R 7 0 R 8 0 R%s] /NeedAppearances "
                                   "true /DA (/Helv 0 Tf 0 g) >>",
                                   extra ? " 9 0 R" : "");
    write_doc(path, fields, "/Annots [6 0 R 7 0 R 8 0 R]", 0,
              "<< /Type /Annot /Subtype /Widget /FT /Tx /T (HoTen) /V (Tran Thi B) /Rect [200 650 "
              "400 670] /F 4 /P 3 0 R /AP << /N 10 0 R >> >>",
              "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Hidden) /Rect [0 0 50 10] /F 2 >>",
              "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Empty) /Rect [72 100 272 160] /F 4 "
              ">>",
              extra ? extra : "null",
              "<< /Type /XObject /Subtype /Form /BBox [0 0 200 20] /Length 0 >>\nstream\n\n"
              "endstream",
              NULL);
    g_free(fields);
}

/* /NeedAppearances true has Poppler and Adobe Reader draw every widget anew, the signature's as
 * an empty box: the update turns it off. Every field a viewer shows has its own appearance, so
 * each looks as before; the form's other keys stay. */
static void need_appearances_turned_off(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_needy_form(orig, NULL);
    assert_qpdf_clean(orig);
    update_with_field(orig, out, "Signature1");
    assert_qpdf_clean(out);
    assert_object_has(out, 1, "/NeedAppearances false");
    assert_object_has(out, 1, "/DA (/Helv 0 Tf 0 g)");
    assert_object_has(out, 1, "/Fields [ 6 0 R 7 0 R 8 0 R 11 0 R ]");
    /* without the flag, nothing changes */
    const char *plain = scratch(state, "plain.pdf"), *out2 = scratch(state, "out2.pdf");
    write_doc(plain, "/AcroForm << /Fields [] /DA (/Helv 0 Tf 0 g) >>", "", 0, NULL);
    update_with_field(plain, out2, "Signature1");
    test_need_tool("qpdf");
    char *cat = show_object(out2, 1);
    assert_null(strstr(cat, "NeedAppearances"));
    g_free(cat);
}

/* A field a viewer shows that has no appearance of its own (pdflatex's text fields): turning the
 * flag off would blank it, leaving it on hides the stamp. Refused (SH_FINDINGS), naming the file
 * and the field, before anything is written. */
static void need_appearances_without_looks_refused(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_needy_form(orig, "<< /T (Parent) /FT /Tx /Kids [<< /Type /Annot /Subtype /Widget "
                           "/T (Kid) /Rect [10 10 110 30] /P 3 0 R >>] >>");
    upd u;
    upd_begin(&u, orig, out);
    sh_error err;
    sh_status st = add_widget_field(&u, "S", false, "", &err);
    assert_int_equal(st, SH_FINDINGS);
    test_assert_contains(err.msg, orig);
    test_assert_contains(err.msg, "\"Parent.Kid\"");
    test_assert_contains(err.msg, "qpdf --generate-appearances");
    upd_abort(&u);
}

/* ---- what the signatures allow ---- */

static int permissions_of(const char *path, int *which, char **field)
{
    pdf_reader *r = open_ok(path);
    pdf_signature *sigs;
    int n;
    sh_error err;
    assert_int_equal(pdf_reader_signatures(r, &sigs, &n, &err), SH_OK);
    int p = pdf_reader_permissions(r, sigs, n, which);
    *field = *which >= 0 ? g_strdup(sigs[*which].field) : NULL;
    pdf_signatures_free(sigs, n);
    pdf_reader_close(r);
    return p;
}

/* A document with a signature field 6 whose dictionary is 8: the catalog gets catalog_extra,
 * the field field_extra, the signature dictionary sig_extra. */
static void write_with_signature(const char *path, const char *catalog_extra,
                                 const char *field_extra, const char *sig_extra)
{
    char *cat = g_strdup_printf("/AcroForm << /Fields [6 0 R] /SigFlags 3 >> %s", catalog_extra);
    char *field = g_strdup_printf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Cert) /Rect [0 0 "
                                  "0 0] /P 3 0 R /V 8 0 R %s >>",
                                  field_extra);
    char *sig =
        g_strdup_printf("<< /Type /Sig /ByteRange [0 1 2 3] /Contents <00> %s >>", sig_extra);
    write_doc(path, cat, "/Annots [6 0 R]", 0, field, "<< >>", sig, NULL);
    g_free(cat);
    g_free(field);
    g_free(sig);
}

#define DOCMDP(p)                                                                                  \
    "/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type "             \
    "/TransformParams " p " /V /1.2 >> >>]"

/* DocMDP (PDF 32000-1 12.8.2.2): a certification (the catalog's /Perms /DocMDP) with P 1, 2, 3,
 * or none (2); a value out of range reads as the strictest; PDF 2.0's locks (a field's /Lock /P,
 * a FieldMDP /P); a certification no field holds. */
static void permissions_from_signatures(void **state)
{
    const char *path = scratch(state, "s.pdf");
    int which;
    char *field;
    static const struct {
        const char *catalog, *field, *sig;
        int p;
        bool named;
    } cases[] = {
        {"", "", "", 0, false},
        {"/Perms << /DocMDP 8 0 R >>", "", DOCMDP("/P 1"), 1, true},
        {"/Perms << /DocMDP 8 0 R >>", "", DOCMDP("/P 2"), 2, true},
        {"/Perms << /DocMDP 8 0 R >>", "", DOCMDP("/P 3"), 3, true},
        {"/Perms << /DocMDP 8 0 R >>", "", DOCMDP(""), 2, true},
        {"/Perms << /DocMDP 8 0 R >>", "", "", 2, true},
        {"/Perms << /DocMDP 8 0 R >>", "", DOCMDP("/P 7"), 1, true},
        {"", "", DOCMDP("/P 1"), 1, true}, /* the transform in an approval signature */
        {"", "/Lock << /Type /SigFieldLock /Action /All /P 1 >>", "", 1, true},
        {"", "/Lock << /Type /SigFieldLock /Action /All >>", "", 0, false},
        {"", "",
         "/Reference [<< /TransformMethod /FieldMDP /TransformParams << /Action /All /P 2 >> >>]",
         2, true},
        {"/Perms << /DocMDP 7 0 R >>", "", "", 2, false}, /* names a dictionary no field holds */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_with_signature(path, cases[i].catalog, cases[i].field, cases[i].sig);
        int p = permissions_of(path, &which, &field);
        if (p != cases[i].p || (which >= 0) != cases[i].named)
            fail_msg("case %zu: P %d (want %d), signature %d", i, p, cases[i].p, which);
        if (cases[i].named)
            assert_string_equal(field, "Cert");
        g_free(field);
    }
}

/* ---- trailers an update cannot continue ---- */

/* The usual document with the trailer dictionary as given, written to path. */
static void write_with_trailer(const char *path, const char *trailer)
{
    hand h;
    base_doc(&h, "", "", 0);
    hand_finish_trailer(&h, path, trailer);
}

/* A /Size past what an int holds must not wrap round to a small number (the update's new
 * objects would then take the numbers of existing ones), and a /Size past what the writer
 * takes is the file's problem (SH_INPUT naming it), not an internal error. */
static void absurd_size_is_refused(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    static const char *const sizes[] = {"4294967301", "9000000"};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *trailer = g_strdup_printf("<< /Size %s /Root 1 0 R /Info 5 0 R >>", sizes[i]);
        write_with_trailer(orig, trailer);
        g_free(trailer);

        pdf_update_base b;
        sh_error err;
        sh_status st = update_base_of(orig, &b, &err);
        if (st == SH_OK && b.size < 6)
            fail_msg("/Size %s: new objects would start at %d, over existing ones", sizes[i],
                     b.size);
        if (st == SH_OK) {
            pdf_writer *w = pdf_writer_update(out, orig, &b, &err);
            if (!w)
                fail_msg("/Size %s: base accepted, then the writer says (%d) %s", sizes[i],
                         err.status, err.msg);
            pdf_writer_abort(w);
        } else if (st != SH_INPUT || !strstr(err.msg, orig)) {
            fail_msg("/Size %s: (%d) %s", sizes[i], st, err.msg);
        }
    }
}

/* A trailer that runs to the end of the file (here an /ID string without its ">") is read
 * leniently, but what is appended then becomes part of it: the original's own section no longer
 * parses, and the signed file is one whose cross-reference must be rebuilt. Such a file must be
 * refused, like a damaged one, not updated. */
static void unterminated_trailer_is_refused(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    write_with_trailer(orig, "<< /Size 6 /Root 1 0 R /Info 5 0 R /ID [<" ID0 "> <0011");
    pdf_update_base b;
    sh_error err;
    sh_status st = update_base_of(orig, &b, &err);
    if (st != SH_OK) {
        assert_input_error(st, &err, orig);
        return;
    }
    /* Accepted: then the update made must read back through its own table. */
    update_with_field(orig, out, "Signature1");
    assert_reads_back_as_update_base(out, NULL);
}

/* Damage that only shows once the field is being added (here the entry of the page's /Annots
 * array points past the end of the file) makes the reader rebuild its table by scanning, and
 * the scan takes the last "1 0 obj" of the file, a stray one, for the catalog. Whatever is read
 * through a rebuilt table must not be written into the update: the base was taken from the
 * table, the update must continue it or be refused (as pdf_reader_update_base refuses a file
 * rebuilt at open). Found by fuzz_pdf_update (a variant that reads its output back). */
static void damage_found_while_adding_is_refused(void **state)
{
    const char *orig = scratch(state, "orig.pdf"), *out = scratch(state, "out.pdf");
    hand h;
    base_doc(&h, "", "/Annots 7 0 R", 0);
    hand_obj(&h, 7, 0, "[]");
    g_string_append(h.s, "1 0 obj\n<< /Stray true >>\nendobj\n"); /* not in the table */
    h.off[7] = 99999;                                             /* past the end */
    hand_finish(&h, orig, "/Info 5 0 R");

    upd u;
    upd_begin(&u, orig, out);
    sh_error err;
    sh_status st = add_widget_field(&u, "S", false, "", &err);
    if (st != SH_OK) {
        assert_input_error(st, &err, orig);
        upd_abort(&u);
        return;
    }
    /* Added: then the result must read back through its own table. */
    upd_publish(&u);
    assert_reads_back_as_update_base(out, NULL);
}

/* A damaged table (the file is read by scanning it) gives no base to update. */
static void damaged_file_gives_no_base(void **state)
{
    const char *orig = scratch(state, "orig.pdf");
    write_plain(orig);
    size_t len;
    char *d = test_slurp(orig, &len);
    GString *s = g_string_new_len(d, (gssize)len);
    char *sx = strstr(s->str, "startxref\n");
    g_string_truncate(s, (gsize)(sx - s->str));
    g_string_append(s, "startxref\n20\n%%EOF\n");
    test_write(orig, s->str, s->len);
    g_string_free(s, true);
    g_free(d);
    pdf_update_base b;
    sh_error err;
    assert_input_error(update_base_of(orig, &b, &err), &err, orig);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup_tmpdir, teardown_scratch)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(update_classic_xref),
        T(update_xref_stream),
        T(update_without_final_newline),
        T(update_hybrid),
        T(update_linearized),
        T(digest_and_patch),
        T(never_replaces_and_abort_cleans),
        T(add_field_fresh),
        T(add_field_indirect_annots),
        T(add_field_direct_acroform),
        T(add_field_indirect_acroform),
        T(add_field_page_generation),
        T(add_field_keeps_values),
        T(add_field_failure_leaves_no_half_object),
        T(new_field_name),
        T(new_field_name_utf16),
        T(signature_located),
        T(signature_anomalies),
        T(signature_in_object_stream),
        T(signatures_memory_is_bounded),
        T(signatures_past_limits_are_refused),
        T(revisions_of_two_updates),
        T(absurd_size_is_refused),
        T(damaged_file_gives_no_base),
        T(unterminated_trailer_is_refused),
        T(damage_found_while_adding_is_refused),
        T(update_after_bytes_before_header),
        T(update_after_stray_bytes),
        T(need_appearances_turned_off),
        T(need_appearances_without_looks_refused),
        T(permissions_from_signatures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
