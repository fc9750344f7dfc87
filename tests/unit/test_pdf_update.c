/* Incremental updates (pdf_writer update mode, update.c) and the signatures of a file
 * (signatures.c): the original's bytes stay a prefix of the output, the appended section is in
 * the original's style and points back to it, a new signature field is hooked into the page and
 * the AcroForm by rewriting exactly the objects that hold them, and a signature's /Contents is
 * located in the file as a verifier needs it. qpdf is the judge of every file we write; the
 * originals are written by hand, so that each test controls the structure it updates. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
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

/* A table of every number below n, the trailer (/Size n /Root 1 0 R, then extra), written to
 * path; the string is freed. */
static void hand_finish(hand *h, const char *path, const char *trailer_extra)
{
    h->startxref = h->s->len;
    g_string_append_printf(h->s, "xref\n0 %d\n0000000000 65535 f\r\n", h->n);
    for (int i = 1; i < h->n; i++)
        if (h->off[i])
            g_string_append_printf(h->s, "%010zu %05d n\r\n", h->off[i], h->gen[i]);
        else
            g_string_append(h->s, "0000000000 00000 f\r\n");
    g_string_append_printf(h->s,
                           "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%zu\n%%%%EOF\n",
                           h->n, trailer_extra, h->startxref);
    test_write(path, h->s->str, h->s->len);
    g_string_free(h->s, true);
    h->s = NULL;
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

/* The usual document with nothing else, written to path; its startxref. */
static size_t write_plain(const char *path)
{
    hand h;
    base_doc(&h, "", "", 0);
    hand_finish(&h, path, "/Info 5 0 R /ID [<" ID0 "> <" ID0 ">]");
    return h.startxref;
}

/* ---- helpers ---- */

static bool have(const char *tool)
{
    char *cmd = g_strdup_printf("command -v %s >/dev/null 2>&1", tool);
    bool yes = system(cmd) == 0;
    g_free(cmd);
    return yes;
}

static char *slurp(const char *path, size_t *len)
{
    gchar *d = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(path, &d, &n, NULL));
    *len = n;
    return d;
}

static pdf_reader *open_ok(const char *path)
{
    pdf_reader *r = NULL;
    sh_error err;
    if (pdf_reader_open(path, &r, &err) != SH_OK)
        fail_msg("%s", err.msg);
    return r;
}

/* "qpdf ARGS 'path'": its output (g_free). */
static char *qpdf(const char *args, const char *path, bool *ok)
{
    char *cmd = g_strdup_printf("qpdf %s '%s'", args, path);
    char *out = test_run(cmd, ok);
    g_free(cmd);
    return out;
}

/* qpdf finds nothing wrong: exit 0 (3 is "warnings") and its all-clear line. */
static void assert_qpdf_clean(const char *path)
{
    if (!have("qpdf"))
        return;
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

/* Does the newest cross-reference of path (as qpdf reads it) put object num/gen at or after
 * `from` (in the update)? */
static bool in_update(const char *path, size_t from, int num, int gen)
{
    bool ok;
    char *out = qpdf("--show-xref", path, &ok);
    assert_true(ok);
    char *want = g_strdup_printf("%d/%d: uncompressed; offset = ", num, gen);
    bool found = false;
    for (char *p = out; (p = strstr(p, want)); p++)
        if ((p == out || p[-1] == '\n') && strtoull(p + strlen(want), NULL, 10) >= from)
            found = true;
    g_free(want);
    g_free(out);
    return found;
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
    pdf_object_begin(u->w, field);
    pdf_printf(u->w,
               "<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /Rect [0 0 0 0] /F 132 /P %d %d "
               "R /V %d 0 R >>",
               name, page, gen, sig);
    pdf_object_end(u->w);
    pdf_object_begin(u->w, sig);
    pdf_printf(u->w, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                     "/ByteRange [0 1 2 3] /Contents <00112233> >>");
    pdf_object_end(u->w);
    if (pdf_update_add_field(u->r, u->w, 0, field, &err) != SH_OK)
        fail_msg("%s", err.msg);
    return field;
}

/* The appended part of out (after the original's len bytes), NUL-terminated, g_free. */
static char *appended(const char *out, size_t original_len)
{
    size_t len;
    char *d = slurp(out, &len);
    assert_true(len > original_len);
    char *tail = g_strndup(d + original_len, len - original_len);
    g_free(d);
    return tail;
}

/* ---- the update itself ---- */

/* A file with a classic table: the update is its bytes unchanged, then a table section whose
 * /Prev is the original's startxref, carrying /Root, /Info and the first /ID over. */
static void update_classic_xref(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    size_t startxref = write_plain(orig);
    size_t olen;
    char *o = slurp(orig, &olen);

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

    int extra = pdf_object_reserve(u.w);
    assert_int_equal(extra, 6);
    pdf_object_begin(u.w, extra);
    pdf_printf(u.w, "<< /Note (added by the update) >>");
    pdf_object_end(u.w);
    pdf_object_replace(u.w, 1, 0);
    pdf_printf(u.w, "<< /Type /Catalog /Pages 2 0 R /Extra %d 0 R >>", extra);
    pdf_object_end(u.w);
    uint8_t osha[SH_SHA256_LEN], want[SH_SHA256_LEN];
    pdf_writer_original_sha256(u.w, osha);
    sh_error err;
    assert_int_equal(sh_sha256_file(orig, want, &err), SH_OK);
    assert_memory_equal(osha, want, SH_SHA256_LEN);
    upd_publish(&u);

    size_t len;
    char *d = slurp(out, &len);
    assert_true(len > olen);
    assert_memory_equal(d, o, olen);
    char *tail = appended(out, olen);
    /* A table: "xref" on a line of its own, the two rows, /Prev back to the original. */
    assert_non_null(strstr(tail, "\nxref\n1 1\n"));
    assert_non_null(strstr(tail, "\n6 1\n"));
    char *prev = g_strdup_printf("/Prev %zu", startxref);
    assert_non_null(strstr(tail, prev));
    assert_null(strstr(tail, "/Type /XRef"));
    g_free(prev);
    assert_qpdf_clean(out);
    if (have("qpdf")) {
        char *cat = show_object(out, 1);
        test_assert_contains(cat, "/Extra 6 0 R");
        g_free(cat);
        assert_true(in_update(out, olen, 1, 0));
        assert_true(in_update(out, olen, 6, 0));
        assert_false(in_update(out, olen, 3, 0));
    }
    /* Read back: the update's own base continues from it, the first /ID unchanged. */
    pdf_reader *r = open_ok(out);
    pdf_update_base b;
    assert_int_equal(pdf_reader_update_base(r, &b, &err), SH_OK);
    assert_int_equal(b.size, 7);
    assert_int_equal(b.info, 5);
    assert_int_equal(b.root, 1);
    assert_false(b.xref_stream);
    assert_true(b.startxref > olen);
    assert_int_equal(g_ascii_strcasecmp(b.id0, ID0), 0);
    pdf_reader_close(r);

    g_free(tail);
    g_free(d);
    g_free(o);
    g_free(orig);
    g_free(out);
}

/* A file whose newest section is a cross-reference stream gets a stream, not a table. */
static void update_xref_stream(void **state)
{
    if (!have("qpdf"))
        skip();
    char *plain = test_path(*state, "plain.pdf"), *orig = test_path(*state, "xs.pdf"),
         *out = test_path(*state, "out.pdf");
    write_plain(plain);
    char *cmd = g_strdup_printf("qpdf --object-streams=generate '%s' '%s'", plain, orig);
    assert_int_equal(system(cmd), 0);
    size_t olen;
    char *o = slurp(orig, &olen);

    upd u;
    upd_begin(&u, orig, out);
    assert_true(u.base.xref_stream);
    int first = u.base.size;
    int extra = pdf_object_reserve(u.w);
    assert_int_equal(extra, first);
    pdf_object_begin(u.w, extra);
    pdf_printf(u.w, "<< /Note (added) >>");
    pdf_object_end(u.w);
    int root = u.base.root;
    pdf_object_replace(u.w, root, u.base.root_gen);
    char *pages = show_object(orig, root);
    char *kids = strstr(pages, "/Pages ");
    assert_non_null(kids);
    pdf_printf(u.w, "<< /Type /Catalog /Pages %d 0 R /Extra %d 0 R >>", atoi(kids + 7), extra);
    pdf_object_end(u.w);
    upd_publish(&u);

    size_t len;
    char *d = slurp(out, &len);
    assert_memory_equal(d, o, olen);
    char *tail = appended(out, olen);
    test_assert_contains(tail, "/Type /XRef");
    assert_null(strstr(tail, "\nxref\n"));
    assert_false(g_str_has_prefix(tail, "xref"));
    assert_qpdf_clean(out);
    /* The new object, the catalog, and the xref stream itself (the next number). */
    assert_true(in_update(out, olen, extra, 0));
    assert_true(in_update(out, olen, root, 0));
    assert_true(in_update(out, olen, extra + 1, 0));
    char *cat = show_object(out, root);
    char *want = g_strdup_printf("/Extra %d 0 R", extra);
    test_assert_contains(cat, want);

    pdf_reader *r = open_ok(out);
    pdf_update_base b;
    sh_error err;
    assert_int_equal(pdf_reader_update_base(r, &b, &err), SH_OK);
    assert_true(b.xref_stream);
    assert_int_equal(b.size, extra + 2);
    pdf_reader_close(r);

    g_free(want);
    g_free(cat);
    g_free(tail);
    g_free(d);
    g_free(pages);
    g_free(o);
    g_free(cmd);
    g_free(plain);
    g_free(orig);
    g_free(out);
}

/* "%%EOF" at the very end, without a line end: the update starts on a new line. */
static void update_without_final_newline(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    write_plain(orig);
    size_t olen;
    char *o = slurp(orig, &olen);
    assert_true(olen > 0 && o[olen - 1] == '\n');
    test_write(orig, o, --olen);

    upd u;
    upd_begin(&u, orig, out);
    assert_int_equal(pdf_writer_tell(u.w), olen + 1);
    add_sig_field(&u, "Signature1");
    upd_publish(&u);

    size_t len;
    char *d = slurp(out, &len);
    assert_memory_equal(d, o, olen);
    assert_int_equal(d[olen], '\n');
    assert_qpdf_clean(out);
    pdf_reader *r = open_ok(out);
    pdf_update_base b;
    sh_error err;
    assert_int_equal(pdf_reader_update_base(r, &b, &err), SH_OK); /* not rebuilt */
    pdf_reader_close(r);
    g_free(d);
    g_free(o);
    g_free(orig);
    g_free(out);
}

/* A hybrid file (a table whose trailer points to a cross-reference stream as well, for the
 * objects in object streams): the update is a table, and the compressed objects stay readable
 * through its /Prev. */
static void update_hybrid(void **state)
{
    char *orig = test_path(*state, "hybrid.pdf"), *out = test_path(*state, "out.pdf");
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
    size_t olen;
    g_free(slurp(orig, &olen));

    upd u;
    upd_begin(&u, orig, out);
    assert_false(u.base.xref_stream);
    assert_int_equal(u.base.size, 9);
    assert_int_equal(u.base.info, 5);
    int field = add_sig_field(&u, "Signature1");
    assert_int_equal(field, 9);
    upd_publish(&u);
    char *tail = appended(out, olen);
    assert_non_null(strstr(tail, "\nxref\n"));
    assert_null(strstr(tail, "/Type /XRef"));
    assert_null(strstr(tail, "/XRefStm"));
    assert_qpdf_clean(out);
    if (have("qpdf")) {
        char *info = show_object(out, 5);
        test_assert_contains(info, "(hybrid)");
        g_free(info);
    }
    pdf_reader *r = open_ok(out);
    pdf_signature *s;
    int n;
    sh_error err;
    assert_int_equal(pdf_reader_signatures(r, &s, &n, &err), SH_OK);
    assert_int_equal(n, 1);
    pdf_signatures_free(s, n);
    pdf_reader_close(r);
    g_free(tail);
    g_free(orig);
    g_free(out);
}

/* A linearized file: the update goes after its main section, and qpdf reads it whole. */
static void update_linearized(void **state)
{
    if (!have("qpdf"))
        skip();
    char *plain = test_path(*state, "plain.pdf"), *orig = test_path(*state, "lin.pdf"),
         *out = test_path(*state, "out.pdf");
    write_plain(plain);
    char *cmd = g_strdup_printf("qpdf --linearize '%s' '%s'", plain, orig);
    assert_int_equal(system(cmd), 0);
    upd u;
    upd_begin(&u, orig, out);
    add_sig_field(&u, "Signature1");
    upd_publish(&u);
    assert_qpdf_clean(out);
    pdf_reader *r = open_ok(out);
    pdf_signature *s;
    int n;
    sh_error err;
    assert_int_equal(pdf_reader_signatures(r, &s, &n, &err), SH_OK);
    assert_int_equal(n, 1);
    pdf_signatures_free(s, n);
    pdf_reader_close(r);
    g_free(cmd);
    g_free(plain);
    g_free(orig);
    g_free(out);
}

/* ---- digest and patch: what a signer needs after close ---- */

/* An update with a placeholder string after the mark: its offsets through *from and *to. */
static pdf_writer *placeholder_update(const char *orig, const char *out, pdf_reader **r,
                                      uint64_t *mark, uint64_t *from, uint64_t *to)
{
    upd u;
    upd_begin(&u, orig, out);
    *r = u.r;
    pdf_writer_mark(u.w);
    *mark = pdf_writer_tell(u.w);
    int num = pdf_object_reserve(u.w);
    pdf_object_begin(u.w, num);
    pdf_printf(u.w, "<< /Contents ");
    *from = pdf_writer_tell(u.w);
    pdf_printf(u.w, "<0000000000000000>");
    *to = pdf_writer_tell(u.w);
    pdf_printf(u.w, " >>");
    pdf_object_end(u.w);
    return u.w;
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
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    write_plain(orig);
    sh_error err;
    pdf_reader *r;
    uint64_t mark, from, to;
    pdf_writer *w = placeholder_update(orig, out, &r, &mark, &from, &to);
    assert_int_equal(pdf_writer_close(w, &err), SH_OK);
    uint64_t size = pdf_writer_tell(w);
    assert_int_equal(pdf_writer_patch(w, from + 1, "ABCD", 4, &err), SH_OK);
    uint8_t skipped[SH_SHA256_LEN], whole[SH_SHA256_LEN];
    assert_int_equal(pdf_writer_digest(w, from, to, skipped, &err), SH_OK);
    assert_int_equal(pdf_writer_digest(w, size, size, whole, &err), SH_OK);
    assert_int_equal(pdf_writer_publish(w, &err), SH_OK);
    pdf_reader_close(r);

    size_t len;
    char *d = slurp(out, &len);
    assert_int_equal(len, size);
    assert_memory_equal(d + from, "<ABCD000000000000>", 18);
    uint8_t want[SH_SHA256_LEN];
    sha_without(d, len, from, to, want);
    assert_memory_equal(skipped, want, SH_SHA256_LEN);
    assert_int_equal(sh_sha256_file(out, want, &err), SH_OK);
    assert_memory_equal(whole, want, SH_SHA256_LEN);
    assert_qpdf_clean(out);
    g_free(d);

    /* Misuse: each on its own writer, for an error is sticky (nothing is published after it). */
    char *out2 = test_path(*state, "out2.pdf");
    w = placeholder_update(orig, out2, &r, &mark, &from, &to);
    assert_int_equal(pdf_writer_digest(w, from, to, whole, &err), SH_INTERNAL); /* not closed */
    assert_int_equal(pdf_writer_close(w, &err), SH_INTERNAL);
    pdf_writer_abort(w);
    pdf_reader_close(r);

    w = placeholder_update(orig, out2, &r, &mark, &from, &to);
    assert_int_equal(pdf_writer_close(w, &err), SH_OK);
    assert_int_equal(pdf_writer_digest(w, mark - 1, to, whole, &err), SH_INTERNAL);
    assert_int_equal(pdf_writer_publish(w, &err), SH_INTERNAL);
    pdf_reader_close(r);

    w = placeholder_update(orig, out2, &r, &mark, &from, &to);
    assert_int_equal(pdf_writer_patch(w, from, "<", 1, &err), SH_INTERNAL); /* not closed */
    pdf_writer_abort(w);
    pdf_reader_close(r);

    w = placeholder_update(orig, out2, &r, &mark, &from, &to);
    assert_int_equal(pdf_writer_close(w, &err), SH_OK);
    assert_int_equal(pdf_writer_patch(w, mark - 1, "X", 1, &err), SH_INTERNAL);
    pdf_writer_abort(w);
    pdf_reader_close(r);

    w = placeholder_update(orig, out2, &r, &mark, &from, &to);
    assert_int_equal(pdf_writer_close(w, &err), SH_OK);
    size = pdf_writer_tell(w);
    assert_int_equal(pdf_writer_patch(w, size - 2, "XYZ", 3, &err), SH_INTERNAL); /* past end */
    pdf_writer_abort(w);
    pdf_reader_close(r);
    assert_false(g_file_test(out2, G_FILE_TEST_EXISTS));

    /* No mark: close refuses. */
    upd u;
    upd_begin(&u, orig, out2);
    assert_int_equal(pdf_writer_close(u.w, &err), SH_INTERNAL);
    pdf_writer_abort(u.w);
    pdf_reader_close(u.r);

    g_free(out2);
    g_free(orig);
    g_free(out);
}

/* How many entries the folder holds. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* An existing output is never replaced; an aborted update leaves nothing behind. */
static void never_replaces_and_abort_cleans(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    write_plain(orig);
    test_write(out, "keep me", 7);
    pdf_reader *r = open_ok(orig);
    pdf_update_base b;
    sh_error err;
    assert_int_equal(pdf_reader_update_base(r, &b, &err), SH_OK);
    assert_null(pdf_writer_update(out, orig, &b, &err));
    assert_int_equal(err.status, SH_USAGE);
    /* The original itself as the output: refused the same way. */
    assert_null(pdf_writer_update(orig, orig, &b, &err));
    assert_int_equal(err.status, SH_USAGE);
    size_t len;
    char *d = slurp(out, &len);
    assert_int_equal(len, 7);
    g_free(d);

    /* A missing original: SH_INPUT naming it, and no temp file left. */
    char *missing = test_path(*state, "missing.pdf"), *out2 = test_path(*state, "out2.pdf");
    assert_null(pdf_writer_update(out2, missing, &b, &err));
    assert_int_equal(err.status, SH_INPUT);
    test_assert_contains(err.msg, "missing.pdf");
    assert_int_equal(entries(*state), 2);

    pdf_writer *w = pdf_writer_update(out2, orig, &b, &err);
    assert_non_null(w);
    assert_int_equal(entries(*state), 3); /* the temp file */
    pdf_writer_mark(w);
    assert_int_equal(pdf_writer_close(w, &err), SH_OK);
    pdf_writer_abort(w);
    assert_int_equal(entries(*state), 2);
    assert_false(g_file_test(out2, G_FILE_TEST_EXISTS));
    pdf_reader_close(r);
    g_free(missing);
    g_free(out2);
    g_free(orig);
    g_free(out);
}

/* ---- a signature field hooked into the document ---- */

/* (a) A page without /Annots and a catalog without /AcroForm: both are rewritten. */
static void add_field_fresh(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    write_plain(orig);
    size_t olen;
    g_free(slurp(orig, &olen));
    upd u;
    upd_begin(&u, orig, out);
    int field = add_sig_field(&u, "Signature1");
    assert_int_equal(field, 6);
    upd_publish(&u);
    assert_qpdf_clean(out);
    if (have("qpdf")) {
        char *page = show_object(out, 3);
        test_assert_contains(page, "/Annots [ 6 0 R ]");
        test_assert_contains(page, "/MediaBox [ 0 0 595 842 ]"); /* the rest kept */
        test_assert_contains(page, "/Contents 4 0 R");
        char *cat = show_object(out, 1);
        test_assert_contains(cat, "/AcroForm << /Fields [ 6 0 R ] /SigFlags 3 >>");
        test_assert_contains(cat, "/Pages 2 0 R");
        assert_true(in_update(out, olen, 1, 0));
        assert_true(in_update(out, olen, 3, 0));
        assert_false(in_update(out, olen, 2, 0));
        g_free(page);
        g_free(cat);
    }
    /* A verifier finds the field and its value. */
    pdf_reader *r = open_ok(out);
    pdf_signature *sigs;
    int n;
    sh_error err;
    assert_int_equal(pdf_reader_signatures(r, &sigs, &n, &err), SH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(sigs[0].field, "Signature1");
    assert_int_equal(sigs[0].object, 7);
    assert_true(sigs[0].in_file);
    assert_int_equal(sigs[0].n_byte_range, 4);
    pdf_signatures_free(sigs, n);
    char name[32];
    pdf_reader_new_field_name(r, "Signature", name, sizeof name);
    assert_string_equal(name, "Signature2");
    pdf_reader_close(r);
    g_free(orig);
    g_free(out);
}

/* (b) An indirect /Annots array: the array is written again, the page is not. */
static void add_field_indirect_annots(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "", "/Annots 6 0 R", 0);
    hand_obj(&h, 6, 0, "[7 0 R]");
    hand_obj(&h, 7, 0,
             "<< /Type /Annot /Subtype /Link /Rect [10 10 20 20] /Border [0 0 0] /P 3 0 R >>");
    hand_finish(&h, orig, "/Info 5 0 R");
    size_t olen;
    g_free(slurp(orig, &olen));
    upd u;
    upd_begin(&u, orig, out);
    int field = add_sig_field(&u, "Signature1");
    assert_int_equal(field, 8);
    upd_publish(&u);
    assert_qpdf_clean(out);
    if (have("qpdf")) {
        assert_true(in_update(out, olen, 6, 0));
        assert_false(in_update(out, olen, 3, 0));
        char *arr = show_object(out, 6);
        test_assert_contains(arr, "[ 7 0 R 8 0 R ]");
        g_free(arr);
    }
    g_free(orig);
    g_free(out);
}

/* (c) A direct AcroForm in the catalog with an indirect /Fields: the array is written again with
 * the existing field kept, and the catalog for /SigFlags, its other keys kept. */
static void add_field_direct_acroform(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "/AcroForm << /Fields 6 0 R /DA (/Helv 0 Tf 0 g) >> /Lang (vi)", "", 0);
    hand_obj(&h, 6, 0, "[7 0 R]");
    hand_obj(&h, 7, 0, "<< /FT /Tx /T (Name) /V (Nguyen Van A) >>");
    hand_finish(&h, orig, "/Info 5 0 R");
    size_t olen;
    g_free(slurp(orig, &olen));
    upd u;
    upd_begin(&u, orig, out);
    int field = add_sig_field(&u, "Signature1");
    assert_int_equal(field, 8);
    upd_publish(&u);
    assert_qpdf_clean(out);
    if (have("qpdf")) {
        assert_true(in_update(out, olen, 6, 0));
        assert_true(in_update(out, olen, 1, 0));
        assert_false(in_update(out, olen, 7, 0));
        char *arr = show_object(out, 6);
        test_assert_contains(arr, "[ 7 0 R 8 0 R ]");
        char *cat = show_object(out, 1);
        test_assert_contains(cat, "/Fields 6 0 R");
        test_assert_contains(cat, "/SigFlags 3");
        test_assert_contains(cat, "/DA (/Helv 0 Tf 0 g)");
        test_assert_contains(cat, "/Lang (vi)");
        g_free(arr);
        g_free(cat);
    }
    g_free(orig);
    g_free(out);
}

/* An indirect AcroForm that already says /SigFlags 3, with direct /Fields: only the AcroForm
 * object is written again, not the catalog. */
static void add_field_indirect_acroform(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "/AcroForm 6 0 R", "", 0);
    hand_obj(&h, 6, 0, "<< /Fields [] /SigFlags 3 /DA (/Helv 0 Tf 0 g) >>");
    hand_finish(&h, orig, "/Info 5 0 R");
    size_t olen;
    g_free(slurp(orig, &olen));
    upd u;
    upd_begin(&u, orig, out);
    int field = add_sig_field(&u, "Signature1");
    upd_publish(&u);
    assert_qpdf_clean(out);
    if (have("qpdf")) {
        assert_true(in_update(out, olen, 6, 0));
        assert_false(in_update(out, olen, 1, 0));
        char *form = show_object(out, 6);
        char *want = g_strdup_printf("/Fields [ %d 0 R ]", field);
        test_assert_contains(form, want);
        test_assert_contains(form, "/SigFlags 3");
        test_assert_contains(form, "/DA (/Helv 0 Tf 0 g)");
        g_free(want);
        g_free(form);
    }
    g_free(orig);
    g_free(out);
}

/* (d) A page of generation 1 is written again as "3 1 obj". */
static void add_field_page_generation(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "", "", 1);
    hand_finish(&h, orig, "/Info 5 0 R");
    size_t olen;
    g_free(slurp(orig, &olen));
    upd u;
    upd_begin(&u, orig, out);
    add_sig_field(&u, "Signature1");
    upd_publish(&u);
    char *tail = appended(out, olen);
    test_assert_contains(tail, "\n3 1 obj\n");
    assert_null(strstr(tail, "\n3 0 obj"));
    assert_qpdf_clean(out);
    if (have("qpdf"))
        assert_true(in_update(out, olen, 3, 1));
    g_free(tail);
    g_free(orig);
    g_free(out);
}

/* The values of the dictionaries written again are kept exactly: a real with many decimals (a
 * box in millimetres turned into points) must not be rounded, or the signed revision changes the
 * page (a validator comparing revisions sees the page modified). */
static void add_field_keeps_values(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "", "/CropBox [0.000001 0.5 100.123456789 200.987654321]", 0);
    hand_finish(&h, orig, "/Info 5 0 R");
    double before[4], after[4];
    int rot;
    sh_error err;
    pdf_reader *r = open_ok(orig);
    assert_int_equal(pdf_reader_page_geometry(r, 0, before, &rot, NULL, NULL, &err), SH_OK);
    pdf_reader_close(r);
    upd u;
    upd_begin(&u, orig, out);
    add_sig_field(&u, "Signature1");
    upd_publish(&u);
    assert_qpdf_clean(out);
    r = open_ok(out);
    assert_int_equal(pdf_reader_page_geometry(r, 0, after, &rot, NULL, NULL, &err), SH_OK);
    pdf_reader_close(r);
    g_free(orig);
    g_free(out);
    for (int i = 0; i < 4; i++) /* the same value, give or take the last bits of a double */
        if (!(fabs(before[i] - after[i]) <= 1e-12 * (1 + fabs(before[i]))))
            fail_msg("CropBox[%d] was %.12g, is %.12g after the update", i, before[i], after[i]);
}

/* When the field cannot be hooked in (a value that cannot be written again), nothing half
 * written may stay in the writer: if the caller still closes and publishes, the file is sound. */
static void add_field_failure_leaves_no_half_object(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "", "/Junk bogus", 0); /* a stray keyword as a value: cannot be written again */
    hand_finish(&h, orig, "/Info 5 0 R");
    upd u;
    upd_begin(&u, orig, out);
    int field = pdf_object_reserve(u.w);
    pdf_object_begin(u.w, field);
    pdf_printf(u.w, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (S) /Rect [0 0 0 0] >>");
    pdf_object_end(u.w);
    sh_error err;
    assert_int_equal(pdf_update_add_field(u.r, u.w, 0, field, &err), SH_INPUT);
    test_assert_contains(err.msg, orig);
    pdf_writer_mark(u.w);
    if (pdf_writer_close(u.w, &err) != SH_OK) { /* refusing is fine too */
        pdf_writer_abort(u.w);
        pdf_reader_close(u.r);
    } else {
        assert_int_equal(pdf_writer_publish(u.w, &err), SH_OK);
        pdf_reader_close(u.r);
        if (have("qpdf")) { /* the page as it was (the original is not clean: compare) */
            char *before = qpdf("--show-object=3", orig, NULL);
            char *after = qpdf("--show-object=3", out, NULL);
            if (strcmp(before, after) != 0)
                fail_msg("page 3 was\n%s\nand is now\n%s", before, after);
            g_free(before);
            g_free(after);
        }
        pdf_reader *r = open_ok(out);
        pdf_update_base b;
        assert_int_equal(pdf_reader_update_base(r, &b, &err), SH_OK);
        assert_int_equal(pdf_reader_pages(r), 1);
        pdf_reader_close(r);
    }
    g_free(orig);
    g_free(out);
}

/* ---- field names ---- */

static void expect_name(const char *path, const char *want)
{
    pdf_reader *r = open_ok(path);
    char name[32];
    pdf_reader_new_field_name(r, "Signature", name, sizeof name);
    assert_string_equal(name, want);
    pdf_reader_close(r);
}

static void new_field_name(void **state)
{
    char *path = test_path(*state, "f.pdf");
    write_plain(path);
    expect_name(path, "Signature1");

    hand h;
    base_doc(&h, "/AcroForm << /Fields [6 0 R] >>", "", 0);
    hand_obj(&h, 6, 0, "<< /FT /Sig /T (Signature1) >>");
    hand_finish(&h, path, "");
    expect_name(path, "Signature2");

    /* nested as a kid, and the next name taken too */
    base_doc(&h, "/AcroForm << /Fields [6 0 R 8 0 R] >>", "", 0);
    hand_obj(&h, 6, 0, "<< /T (Group) /Kids [7 0 R] >>");
    hand_obj(&h, 7, 0, "<< /FT /Sig /T (Signature1) /Parent 6 0 R >>");
    hand_obj(&h, 8, 0, "<< /FT /Sig /T (Signature2) >>");
    hand_finish(&h, path, "");
    expect_name(path, "Signature3");

    /* a name that only starts like one does not count */
    base_doc(&h, "/AcroForm << /Fields [6 0 R] >>", "", 0);
    hand_obj(&h, 6, 0, "<< /FT /Sig /T (Signature10) >>");
    hand_finish(&h, path, "");
    expect_name(path, "Signature1");
    g_free(path);
}

/* /T is a text string: sg_sign_file writes it with pdf_text_string (UTF-16BE), and a file signed
 * once and then again must get a second name, not "Signature1" twice (two fields of one name
 * are one field to a viewer: the signatures clash). signatures.c reads /T decoded; the names
 * taken must be compared decoded too. */
static void new_field_name_utf16(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    write_plain(orig);
    upd u;
    upd_begin(&u, orig, out);
    int field = pdf_object_reserve(u.w);
    pdf_object_begin(u.w, field);
    pdf_printf(u.w, "<< /Type /Annot /Subtype /Widget /FT /Sig /T ");
    pdf_text_string(u.w, "Signature1");
    pdf_printf(u.w, " /Rect [0 0 0 0] /P 3 0 R >>");
    pdf_object_end(u.w);
    sh_error err;
    assert_int_equal(pdf_update_add_field(u.r, u.w, 0, field, &err), SH_OK);
    upd_publish(&u);
    pdf_reader *r = open_ok(out);
    char name[32];
    pdf_reader_new_field_name(r, "Signature", name, sizeof name);
    pdf_reader_close(r);
    g_free(orig);
    g_free(out);
    assert_string_equal(name, "Signature2");
}

/* ---- the signatures of a file ---- */

/* A document whose field 6 (named "Outer.Inner": Inner a kid of Outer) has signature dictionary
 * 8 with sig_body as its content; written to path, the bytes kept in *data. */
static void write_signed(const char *path, const char *sig_body, char **data, size_t *len)
{
    hand h;
    base_doc(&h, "/AcroForm << /Fields [6 0 R] /SigFlags 3 >>", "/Annots [7 0 R]", 0);
    hand_obj(&h, 6, 0, "<< /T (Outer) /Kids [7 0 R] >>");
    hand_obj(&h, 7, 0,
             "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Inner) /Parent 6 0 R /Rect [0 0 0 0] "
             "/P 3 0 R /V 8 0 R >>");
    hand_obj(&h, 8, 0, sig_body);
    hand_finish(&h, path, "/Info 5 0 R");
    *data = slurp(path, len);
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

static void signature_located(void **state)
{
    char *path = test_path(*state, "s.pdf");
    char *d;
    size_t len;
    write_signed(
        path,
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
        "/ByteRange [0 100 200 300] /Contents < 0a0B 0c\n0D > /M (D:20240131120000+07'00') "
        ">>",
        &d, &len);
    const char *c = memmem(d, len, "/Contents <", 11);
    assert_non_null(c);
    size_t lt = (size_t)(c + 10 - d);
    const char *gt = memchr(d + lt, '>', len - lt);
    assert_non_null(gt);

    int n;
    pdf_signature *s = signatures_of(path, &n);
    assert_int_equal(n, 1);
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
    pdf_signatures_free(s, n);

    /* A literal string is located too, but is not hex. */
    g_free(d);
    write_signed(path, "<< /Type /Sig /ByteRange [0 1 2 3] /Contents (ab\\)c) >>", &d, &len);
    s = signatures_of(path, &n);
    assert_int_equal(n, 1);
    assert_true(s[0].in_file);
    assert_false(s[0].contents_hex);
    assert_int_equal(s[0].contents_len, 4);
    assert_memory_equal(s[0].contents, "ab)c", 4);
    c = memmem(d, len, "(ab", 3);
    assert_int_equal(s[0].contents_start, (size_t)(c - d));
    assert_int_equal(s[0].contents_end, (size_t)(c - d) + 7);
    assert_null(s[0].filter);
    assert_null(s[0].m);
    pdf_signatures_free(s, n);
    g_free(d);
    g_free(path);
}

/* What a verifier must refuse is reported: /Contents twice, /ByteRange not all direct
 * integers. */
static void signature_anomalies(void **state)
{
    char *path = test_path(*state, "s.pdf");
    char *d;
    size_t len;
    int n;
    write_signed(path, "<< /ByteRange [0 1 2 3] /Contents <AA> /Contents <BB> >>", &d, &len);
    pdf_signature *s = signatures_of(path, &n);
    assert_int_equal(n, 1);
    assert_true(s[0].duplicate_keys);
    assert_false(s[0].in_file);
    pdf_signatures_free(s, n);
    g_free(d);

    write_signed(path, "<< /ByteRange [0 1 2 3] /ByteRange [0 1 2 4] /Contents <AA> >>", &d, &len);
    s = signatures_of(path, &n);
    assert_true(s[0].duplicate_keys);
    pdf_signatures_free(s, n);
    g_free(d);

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
        s = signatures_of(path, &n);
        assert_int_equal(n, 1);
        if (s[0].n_byte_range != -1)
            fail_msg("/ByteRange %s gave %d", bad_ranges[i], s[0].n_byte_range);
        assert_true(s[0].in_file);
        pdf_signatures_free(s, n);
        g_free(body);
    }

    /* A direct signature dictionary: no object, not in the file. */
    hand h;
    base_doc(&h, "/AcroForm << /Fields [6 0 R] >>", "", 0);
    hand_obj(&h, 6, 0, "<< /FT /Sig /T (S) /V << /ByteRange [0 1 2 3] /Contents <AA> >> >>");
    hand_finish(&h, path, "");
    s = signatures_of(path, &n);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].object, 0);
    assert_false(s[0].in_file);
    assert_int_equal(s[0].n_byte_range, 4);
    assert_int_equal(s[0].contents_len, 1);
    pdf_signatures_free(s, n);

    /* Fields without a value, or not signatures, are not listed. */
    base_doc(&h, "/AcroForm << /Fields [6 0 R 7 0 R] >>", "", 0);
    hand_obj(&h, 6, 0, "<< /FT /Sig /T (Empty) >>");
    hand_obj(&h, 7, 0, "<< /FT /Tx /T (Text) /V (x) >>");
    hand_finish(&h, path, "");
    s = signatures_of(path, &n);
    assert_int_equal(n, 0);
    pdf_signatures_free(s, n);
    g_free(path);
}

/* A signature dictionary compressed in an object stream: read, but its place is unknown. */
static void signature_in_object_stream(void **state)
{
    if (!have("qpdf"))
        skip();
    char *path = test_path(*state, "s.pdf"), *os = test_path(*state, "os.pdf");
    char *d;
    size_t len;
    /* No /Type /Sig (it is optional): qpdf keeps dictionaries with it out of object streams. */
    write_signed(path, "<< /ByteRange [0 1 2 3] /Contents <CAFE> >>", &d, &len);
    char *cmd = g_strdup_printf("qpdf --object-streams=generate '%s' '%s'", path, os);
    assert_int_equal(system(cmd), 0);
    int n;
    pdf_signature *s = signatures_of(os, &n);
    assert_int_equal(n, 1);
    assert_true(s[0].object > 0);
    assert_false(s[0].in_file);
    assert_int_equal(s[0].n_byte_range, 4);
    assert_int_equal(s[0].contents_len, 2);
    assert_memory_equal(s[0].contents, "\xCA\xFE", 2);
    assert_string_equal(s[0].field, "Outer.Inner");
    pdf_signatures_free(s, n);
    g_free(cmd);
    g_free(d);
    g_free(os);
    g_free(path);
}

/* The reader's promise is bounded memory on any file: one signature field listed many times
 * (or reached through many paths) must not be copied out once per listing. */
static void signatures_memory_is_bounded(void **state)
{
    char *path = test_path(*state, "s.pdf");
    GString *fields = g_string_new("/AcroForm << /Fields [");
    for (int i = 0; i < 4096; i++)
        g_string_append(fields, " 6 0 R");
    g_string_append(fields, "] >>");
    GString *sig = g_string_new("<< /ByteRange [0 1 2 3] /Contents <");
    for (int i = 0; i < 16384; i++)
        g_string_append(sig, "00");
    g_string_append(sig, "> >>");
    hand h;
    base_doc(&h, fields->str, "", 0);
    hand_obj(&h, 6, 0, "<< /FT /Sig /T (S) /V 7 0 R >>");
    hand_obj(&h, 7, 0, sig->str);
    hand_finish(&h, path, "");
    size_t len;
    g_free(slurp(path, &len));
    int n;
    pdf_signature *s = signatures_of(path, &n);
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += s[i].contents_len + strlen(s[i].field);
    pdf_signatures_free(s, n);
    g_string_free(fields, true);
    g_string_free(sig, true);
    g_free(path);
    if (total > 4 * len)
        fail_msg("a %zu-byte file gave %d signatures holding %zu bytes", len, n, total);
}

/* ---- revisions ---- */

/* An original whose "%%EOF" straddles the reader's 1 MiB chunks, updated twice: three ends. */
static void revisions_of_two_updates(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *u1 = test_path(*state, "u1.pdf"),
         *u2 = test_path(*state, "u2.pdf");
    const size_t boundary = 1u << 20;
    size_t pad = boundary - 2000;
    for (int pass = 0; pass < 3; pass++) { /* the padding's own digits move the end a little */
        hand h;
        base_doc(&h, "", "", 0);
        char *body = g_malloc(pad + 64);
        int k = snprintf(body, 64, "<< /Length %zu >>\nstream\n", pad);
        memset(body + k, 'x', pad);
        strcpy(body + k + pad, "\nendstream");
        hand_obj(&h, 6, 0, body);
        g_free(body);
        hand_finish(&h, orig, "/Info 5 0 R");
        size_t len;
        g_free(slurp(orig, &len));
        size_t eof = len - 6; /* "%%EOF\n" */
        pad += boundary - 2 - eof;
    }
    size_t olen;
    g_free(slurp(orig, &olen));
    assert_int_equal(olen - 6, boundary - 2);

    upd u;
    upd_begin(&u, orig, u1);
    int f1 = add_sig_field(&u, "Signature1");
    upd_publish(&u);
    upd_begin(&u, u1, u2);
    int f2 = add_sig_field(&u, "Signature2");
    upd_publish(&u);
    size_t l1, l2;
    g_free(slurp(u1, &l1));
    g_free(slurp(u2, &l2));
    assert_qpdf_clean(u2);

    pdf_reader *r = open_ok(u2);
    uint64_t ends[8];
    assert_int_equal(pdf_reader_revisions(r, ends, 8), 3);
    assert_int_equal(ends[0], olen - 1);
    assert_int_equal(ends[1], l1 - 1);
    assert_int_equal(ends[2], l2 - 1);
    assert_int_equal(pdf_reader_revisions(r, ends, 2), 2); /* at most max */
    pdf_signature *s;
    int n;
    sh_error err;
    assert_int_equal(pdf_reader_signatures(r, &s, &n, &err), SH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].field, "Signature1");
    assert_string_equal(s[1].field, "Signature2");
    pdf_signatures_free(s, n);
    pdf_reader_close(r);
    if (have("qpdf")) {
        char *page = show_object(u2, 3);
        char *want = g_strdup_printf("/Annots [ %d 0 R %d 0 R ]", f1, f2);
        test_assert_contains(page, want);
        g_free(want);
        g_free(page);
    }
    g_free(orig);
    g_free(u1);
    g_free(u2);
}

/* ---- trailers an update cannot continue ---- */

/* A /Size past what an int holds must not wrap round to a small number (the update's new
 * objects would then take the numbers of existing ones), and a /Size past what the writer
 * takes is the file's problem (SH_INPUT naming it), not an internal error. */
static void absurd_size_is_refused(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    static const char *const sizes[] = {"4294967301", "9000000"};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        hand h;
        base_doc(&h, "", "", 0);
        h.startxref = h.s->len;
        g_string_append(h.s, "xref\n0 6\n0000000000 65535 f\r\n");
        for (int k = 1; k < 6; k++)
            g_string_append_printf(h.s, "%010zu 00000 n\r\n", h.off[k]);
        g_string_append_printf(h.s,
                               "trailer\n<< /Size %s /Root 1 0 R /Info 5 0 R >>\nstartxref\n%zu\n"
                               "%%%%EOF\n",
                               sizes[i], h.startxref);
        test_write(orig, h.s->str, h.s->len);
        g_string_free(h.s, true);

        pdf_reader *r = open_ok(orig);
        pdf_update_base b;
        sh_error err;
        sh_status st = pdf_reader_update_base(r, &b, &err);
        pdf_reader_close(r);
        char *problem = NULL;
        if (st == SH_OK && b.size < 6) {
            problem = g_strdup_printf("/Size %s: new objects would start at %d, over existing "
                                      "ones",
                                      sizes[i], b.size);
        } else if (st == SH_OK) {
            pdf_writer *w = pdf_writer_update(out, orig, &b, &err);
            if (!w)
                problem = g_strdup_printf("/Size %s: base accepted, then the writer says (%d) %s",
                                          sizes[i], err.status, err.msg);
            pdf_writer_abort(w);
        } else if (st != SH_INPUT || !strstr(err.msg, orig)) {
            problem = g_strdup_printf("/Size %s: (%d) %s", sizes[i], st, err.msg);
        }
        if (problem) {
            g_free(orig);
            g_free(out);
            fail_msg("%s", problem);
        }
    }
    g_free(orig);
    g_free(out);
}

/* A trailer that runs to the end of the file (here an /ID string without its ">") is read
 * leniently, but what is appended then becomes part of it: the original's own section no longer
 * parses, and the signed file is one whose cross-reference must be rebuilt. Such a file must be
 * refused, like a damaged one, not updated. */
static void unterminated_trailer_is_refused(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "", "", 0);
    h.startxref = h.s->len;
    g_string_append(h.s, "xref\n0 6\n0000000000 65535 f\r\n");
    for (int k = 1; k < 6; k++)
        g_string_append_printf(h.s, "%010zu 00000 n\r\n", h.off[k]);
    g_string_append_printf(h.s,
                           "trailer\n<< /Size 6 /Root 1 0 R /Info 5 0 R /ID [<" ID0 "> <0011\n"
                           "startxref\n%zu\n%%%%EOF\n",
                           h.startxref);
    test_write(orig, h.s->str, h.s->len);
    g_string_free(h.s, true);

    pdf_reader *r = open_ok(orig);
    pdf_update_base b;
    sh_error err;
    sh_status st = pdf_reader_update_base(r, &b, &err);
    pdf_reader_close(r);
    if (st != SH_OK) {
        assert_int_equal(st, SH_INPUT);
        test_assert_contains(err.msg, orig);
    } else {
        upd u;
        upd_begin(&u, orig, out);
        add_sig_field(&u, "Signature1");
        upd_publish(&u);
        r = open_ok(out);
        st = pdf_reader_update_base(r, &b, &err);
        pdf_reader_close(r);
        if (st != SH_OK) {
            g_free(orig);
            g_free(out);
            fail_msg("the update was made, and then its result reads as damaged: %s", err.msg);
        }
    }
    g_free(orig);
    g_free(out);
}

/* Damage that only shows once the field is being added (here the entry of the page's /Annots
 * array points past the end of the file) makes the reader rebuild its table by scanning, and
 * the scan takes the last "1 0 obj" of the file, a stray one, for the catalog. Whatever is read
 * through a rebuilt table must not be written into the update: the base was taken from the
 * table, the update must continue it or be refused (as pdf_reader_update_base refuses a file
 * rebuilt at open). Found by fuzz_pdf_update (a variant that reads its output back). */
static void damage_found_while_adding_is_refused(void **state)
{
    char *orig = test_path(*state, "orig.pdf"), *out = test_path(*state, "out.pdf");
    hand h;
    base_doc(&h, "", "/Annots 7 0 R", 0);
    hand_obj(&h, 7, 0, "[]");
    g_string_append(h.s, "1 0 obj\n<< /Stray true >>\nendobj\n"); /* not in the table */
    h.off[7] = 99999;                                             /* past the end */
    hand_finish(&h, orig, "/Info 5 0 R");

    upd u;
    upd_begin(&u, orig, out);
    int field = pdf_object_reserve(u.w);
    pdf_object_begin(u.w, field);
    pdf_printf(u.w, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (S) /Rect [0 0 0 0] >>");
    pdf_object_end(u.w);
    sh_error err;
    sh_status st = pdf_update_add_field(u.r, u.w, 0, field, &err);
    if (st != SH_OK) {
        assert_int_equal(st, SH_INPUT);
        test_assert_contains(err.msg, orig);
        pdf_writer_abort(u.w);
        pdf_reader_close(u.r);
    } else {
        upd_publish(&u);
        pdf_reader *r = NULL;
        st = pdf_reader_open(out, &r, &err);
        pdf_update_base b;
        if (st == SH_OK)
            st = pdf_reader_update_base(r, &b, &err);
        pdf_reader_close(r);
        if (st != SH_OK) {
            g_free(orig);
            g_free(out);
            fail_msg("the field was added, and then the result reads as: %s", err.msg);
        }
    }
    g_free(orig);
    g_free(out);
}

/* A damaged table (the file is read by scanning it) gives no base to update. */
static void damaged_file_gives_no_base(void **state)
{
    char *orig = test_path(*state, "orig.pdf");
    write_plain(orig);
    size_t len;
    char *d = slurp(orig, &len);
    GString *s = g_string_new_len(d, (gssize)len);
    char *sx = strstr(s->str, "startxref\n");
    g_string_truncate(s, (gsize)(sx - s->str));
    g_string_append(s, "startxref\n20\n%%EOF\n");
    test_write(orig, s->str, s->len);
    pdf_reader *r = open_ok(orig);
    pdf_update_base b;
    sh_error err;
    assert_int_equal(pdf_reader_update_base(r, &b, &err), SH_INPUT);
    test_assert_contains(err.msg, orig);
    pdf_reader_close(r);
    g_string_free(s, true);
    g_free(d);
    g_free(orig);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup_tmpdir, test_teardown_tmpdir)

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
        T(revisions_of_two_updates),
        T(absurd_size_is_refused),
        T(damaged_file_gives_no_base),
        T(unterminated_trailer_is_refused),
        T(damage_found_while_adding_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
