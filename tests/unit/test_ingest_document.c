/* The ingest module, 5: documents end to end in a real workspace: the name and folder, the Seq
 * rules, nothing written when a source is bad, determinism, the ledger rows and the audit entry,
 * scanner PDFs, warnings, relative paths. */
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
 * 5. Documents, end to end in a workspace.
 */

typedef struct {
    fx *f;
    const char *dir;
} folder_arg;

/* Run in a child (test_isolated): a folder with nothing to ingest is refused, naming it. */
static bool empty_folder_refused(const void *arg)
{
    const folder_arg *a = arg;
    char *sources[] = {(char *)a->dir};
    in_document d = doc_for(sources, 1);
    in_result r;
    sh_error err;
    sh_status st = ingest(a->f, &d, &r, &err);
    return st == SH_INPUT && strstr(err.msg, "holds no TIFF, JPEG, PNG or PDF files") &&
           strstr(err.msg, a->dir);
}

static char *small_tiff(fx *f, const char *name, uint32_t w, uint32_t h, float xres)
{
    uint8_t *rows;
    tiff_spec s = bilevel_spec(w, h, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &rows);
    s.xres = xres;
    char *path = src_file(f, name);
    write_tiff(path, &s, 1);
    g_free(rows);
    return path;
}

static int64_t count(fx *f, const char *sql) { return fx_int(sh_ledger_db(f->ledger), sql); }

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What is in the folder (names, sorted, joined by '|'). g_free() it. */
static char *listing(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d)))
            g_ptr_array_add(names, g_strdup(n));
        g_dir_close(d);
    }
    g_ptr_array_sort(names, by_name);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? "|" : "", (char *)names->pdata[i]);
    g_ptr_array_free(names, TRUE);
    return g_string_free(s, FALSE);
}

static void document_a4_page_is_named_and_described(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "a4.tif", 2480, 3508, 300);
    char *sources[] = {tif};
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".pdf");
    char *want = g_build_filename(f->root, FOLDER, LYLICH ".pdf", NULL);
    assert_string_equal(r.path, want);
    assert_int_equal(r.seq, 0);
    assert_int_equal(r.pages, 1);
    assert_false(r.copied_pdf);
    struct stat sb;
    assert_int_equal(stat(r.path, &sb), 0);
    assert_int_equal(r.bytes, (uint64_t)sb.st_size);
    char *sha = sha256_of(r.path);
    assert_string_equal(r.sha256, sha);

    qpdf_clean(r.path);
    char *info = pdfinfo(r.path, NULL);
    test_assert_contains(info, "Page size:       595.2 x 841.92 pts (A4)");
    test_assert_contains(info, "Title:           Lý lịch đảng viên");
    test_assert_contains(info, "Subject:         Tổ chức đảng " ORG);
    test_assert_contains(info, PERSON);
    test_assert_contains(info, "Pages:           1");
    test_assert_contains(info, "PDF version:     1.4");
    test_assert_contains(info, "Producer:        sohoa");
    assert_file_has(r.path, "/CreationDate (D:20261118110640");
    char *meta = pdfinfo(r.path, "-meta");
    test_assert_contains(meta, "<x:xmpmeta");
    test_assert_contains(meta,
                         "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Lý lịch đảng viên");
    test_assert_contains(meta, "<xmp:CreateDate>2026-11-18T11:06:40Z</xmp:CreateDate>");
    img_row rows[2];
    assert_int_equal(pdf_images(r.path, rows, 2), 1);
    assert_string_equal(rows[0].enc, "ccitt");
    assert_int_equal(rows[0].width, 2480);
    assert_int_equal(f->warnings->len, 0);
    g_free(meta);
    g_free(info);
    g_free(sha);
    g_free(want);
    in_result_clear(&r);
    g_free(tif);
}

static void document_is_deterministic(void **state)
{
    fx *f = *state;
    /* three kinds of source in one document */
    char *tif = small_tiff(f, "1.tif", 200, 150, 300);
    GByteArray *j = jpeg_of(jpeg_rgb, sizeof jpeg_rgb);
    jpeg_jfif(j, 1, 300, 300);
    char *jpg = jpeg_file(f, "2.jpg", j);
    g_byte_array_free(j, TRUE);
    pic rgba = pic_new(30, 20, 4, 8);
    for (uint32_t y = 0; y < 20; y++)
        for (uint32_t x = 0; x < 30; x++)
            for (int c = 0; c < 4; c++)
                pic_set(&rgba, x, y, c, c == 3 ? alpha_at(x, y) : rgb_at(x, y, 30, 20, c));
    png_spec s = {.w = 30,
                  .h = 20,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_RGB_ALPHA,
                  .ppm = PPM_300,
                  .rows = rgba.px};
    char *png = src_file(f, "3.png");
    write_png(png, &s);
    char *sources[] = {tif, jpg, png};
    in_document d = doc_for(sources, 3);
    in_result r1, r2, r3;
    ingest_ok(f, &d, &r1);
    assert_int_equal(r1.pages, 3);

    char *root2 = g_build_filename(f->tmp, "ws2", NULL),
         *root3 = g_build_filename(f->tmp, "ws3", NULL);
    sh_ledger *l2 = make_workspace(root2), *l3 = make_workspace(root3);
    in_context c2, c3;
    fx_context(f, root2, l2, &c2);
    fx_context(f, root3, l3, &c3);
    c3.creation_time = FIXED_TIME + 86400;
    sh_error err;
    assert_int_equal(in_ingest_document(&d, &c2, &r2, &err), SH_OK);
    assert_int_equal(in_ingest_document(&d, &c3, &r3, &err), SH_OK);
    assert_string_equal(r1.rel_path, r2.rel_path);
    assert_files_equal(r1.path, r2.path);
    assert_string_equal(r1.sha256, r2.sha256);
    /* The creation time is the only thing that differs here, and it shows. */
    assert_string_not_equal(r1.sha256, r3.sha256);
    assert_file_has(r3.path, "/CreationDate (D:20261119110640");
    qpdf_clean(r1.path);
    in_result_clear(&r1);
    in_result_clear(&r2);
    in_result_clear(&r3);
    sh_ledger_close(l2);
    sh_ledger_close(l3);
    g_free(root2);
    g_free(root3);
    pic_free(&rgba);
    g_free(tif);
    g_free(jpg);
    g_free(png);
}

static void document_never_replaces_a_file(void **state)
{
    fx *f = *state;
    char *a = small_tiff(f, "a.tif", 100, 80, 300), *b = small_tiff(f, "b.tif", 90, 70, 300);
    char *sources[] = {a};
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    char *first = sha256_of(r.path);
    char *path = g_strdup(r.path);
    in_result_clear(&r);

    /* The same type again, without a Seq: refused, saying how to go on. */
    sources[0] = b;
    sh_error err;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, FOLDER "/" LYLICH ".pdf already exists");
    test_assert_contains(err.msg, LYLICH ".1.pdf"); /* what to rename it to */
    assert_null(r.path);
    /* … and with a Seq, or more expected: the unnumbered one must be renamed first */
    d.seq = 1;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, LYLICH ".pdf already exists");
    d.seq = 0;
    d.more_expected = true;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    char *after = sha256_of(path);
    assert_string_equal(after, first);
    char *dir = g_build_filename(f->root, FOLDER, NULL);
    char *files = listing(dir);
    assert_string_equal(files, LYLICH ".pdf");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'document.ingest'"), 1);

    /* Another type in the same dossier is fine. */
    d.type_stt = 3;
    d.more_expected = false;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/03.Phieu dang vien.pdf");
    in_result_clear(&r);
    g_free(files);
    g_free(dir);
    g_free(after);
    g_free(first);
    g_free(path);
    g_free(a);
    g_free(b);
}

static void document_seq_rules(void **state)
{
    fx *f = *state;
    /* Each document from other files: the same files again would be a re-run (already done). */
    char *a = small_tiff(f, "a.tif", 100, 80, 300), *b = small_tiff(f, "b.tif", 101, 80, 300);
    char *c = small_tiff(f, "c.tif", 102, 80, 300), *e = small_tiff(f, "e.tif", 103, 80, 300);
    char *g = small_tiff(f, "g.tif", 104, 80, 300), *h = small_tiff(f, "h.tif", 105, 80, 300);
    char *sources[] = {a};
    in_document d = doc_for(sources, 1);
    in_result r;
    /* Several expected, none there yet: the first is .1 */
    d.more_expected = true;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 1);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".1.pdf");
    in_result_clear(&r);
    /* The type has a Seq: the next free one, more expected or not */
    d.more_expected = false;
    sources[0] = b;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 2);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".2.pdf");
    char *two = g_strdup(r.path), *two_sha = sha256_of(two);
    in_result_clear(&r);
    sources[0] = c;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 3);
    in_result_clear(&r);
    /* A Seq given that is taken: refused, the file left as it is */
    d.seq = 2;
    sources[0] = e;
    sh_error err;
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, LYLICH ".2.pdf already exists");
    char *after = sha256_of(two);
    assert_string_equal(after, two_sha);
    /* A Seq given that is free is used; the next free one follows the highest */
    d.seq = 9;
    sources[0] = g;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".9.pdf");
    in_result_clear(&r);
    /* A signed copy counts as taken */
    nm_file_id id = {nm_catalog_find(2), 11, true};
    char *signed_name = nm_canonical_file_name(&id, &f->rules);
    char *signed_path = g_build_filename(f->root, FOLDER, signed_name, NULL);
    test_write(signed_path, "%PDF-1.4\n", 9);
    d.seq = 0;
    sources[0] = h;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 12);
    in_result_clear(&r);
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 5);
    assert_int_equal(count(f, "SELECT count(*) FROM documents WHERE seq = 12"), 1);
    g_free(signed_name);
    g_free(signed_path);
    g_free(after);
    g_free(two);
    g_free(two_sha);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(e);
    g_free(g);
    g_free(h);
}

static void document_with_a_bad_source_writes_nothing(void **state)
{
    fx *f = *state;
    char *good = small_tiff(f, "1.tif", 100, 80, 300);
    GByteArray *j = jpeg_of(jpeg_grey, sizeof jpeg_grey);
    jpeg_jfif(j, 1, 300, 300);
    char *jpg = jpeg_file(f, "3.jpg", j);
    g_byte_array_free(j, TRUE);
    pic grey = grey_pic(40, 30);
    png_spec s = {.w = 40,
                  .h = 30,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .ppm = PPM_300,
                  .rows = grey.px};
    char *png = src_file(f, "2.png");
    write_png(png, &s);
    size_t len;
    uint8_t *d = slurp(png, &len);
    put(png, d, len - 12); /* no IEND */
    g_free(d);
    char *sources[] = {good, png, jpg};
    ingest_refused(f, sources, 3, SH_INPUT, "2.png");
    char *org = g_build_filename(f->root, ORG, NULL);
    assert_false(exists(org));
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM dossiers"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1); /* workspace.init */

    /* A source whose headers are fine but whose data is not: found while writing. The folders
     * made for it go again, and no temporary file stays behind. */
    tiff_spec ts = {.w = 40,
                    .h = 30,
                    .bits = 8,
                    .spp = 1,
                    .photo = PHOTOMETRIC_MINISBLACK,
                    .comp = COMPRESSION_LZW,
                    .xres = 300,
                    .rows = grey.px};
    char *lzw = src_file(f, "4.tif");
    write_tiff(lzw, &ts, 1);
    TIFF *t = TIFFOpen(lzw, "r");
    uint64_t *offs = NULL, *counts = NULL;
    assert_true(TIFFGetField(t, TIFFTAG_STRIPOFFSETS, &offs));
    assert_true(TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts));
    uint64_t off = offs[0], n = counts[0];
    TIFFClose(t);
    d = slurp(lzw, &len);
    memset(d + off, 0xFF, n);
    put(lzw, d, len);
    g_free(d);
    in_source_close(open_ok(lzw)); /* the headers pass */
    char *sources2[] = {good, lzw};
    ingest_refused(f, sources2, 2, SH_INPUT, "4.tif");
    assert_false(exists(org));
    char *top = listing(f->root);
    assert_string_equal(top, ".sohoa|sohoa.ini");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 0);

    /* In a dossier that exists: it is left as it was. */
    char *only_good[] = {good};
    in_document doc = doc_for(only_good, 1);
    doc.type_stt = 3;
    in_result r;
    ingest_ok(f, &doc, &r);
    in_result_clear(&r);
    ingest_refused(f, sources2, 2, SH_INPUT, "4.tif");
    char *dir = g_build_filename(f->root, FOLDER, NULL);
    char *files = listing(dir);
    assert_string_equal(files, "03.Phieu dang vien.pdf");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 1);
    g_free(files);
    g_free(dir);
    g_free(top);
    g_free(lzw);
    g_free(org);
    pic_free(&grey);
    g_free(good);
    g_free(jpg);
    g_free(png);
}

static void document_is_recorded_in_the_ledger(void **state)
{
    fx *f = *state;
    uint8_t *bw;
    pic grey = grey_pic(40, 30);
    tiff_spec pages[2];
    pages[0] = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &bw);
    pages[1] = (tiff_spec){.w = 40,
                           .h = 30,
                           .bits = 8,
                           .spp = 1,
                           .photo = PHOTOMETRIC_MINISBLACK,
                           .comp = COMPRESSION_LZW,
                           .xres = 300,
                           .rows = grey.px};
    char *a = src_file(f, "a.tif");
    write_tiff(a, pages, 2);
    png_spec s = {.w = 40,
                  .h = 30,
                  .depth = 8,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .ppm = PPM_300,
                  .rows = grey.px};
    char *b = src_file(f, "b.png");
    write_png(b, &s);
    GByteArray *j = jpeg_of(jpeg_rgb, sizeof jpeg_rgb);
    jpeg_jfif(j, 1, 300, 300);
    char *c = jpeg_file(f, "c.jpg", j);
    g_byte_array_free(j, TRUE);
    char *sources[] = {a, b, c};
    in_document d = doc_for(sources, 3);
    d.expected_pages = 4;
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.pages, 4);
    char *sha = sha256_of(r.path);
    assert_string_equal(r.sha256, sha);

    sqlite3 *db = sh_ledger_db(f->ledger);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM documents"), 1);
    char *path = fx_text(db, "SELECT path FROM documents");
    assert_string_equal(path, FOLDER "/" LYLICH ".pdf");
    char *dsha = fx_text(db, "SELECT sha256 FROM documents");
    assert_string_equal(dsha, sha);
    assert_int_equal(fx_int(db, "SELECT pages FROM documents"), 4);
    assert_int_equal(fx_int(db, "SELECT expected_pages FROM documents"), 4);
    assert_int_equal(fx_int(db, "SELECT type_stt FROM documents"), 2);
    assert_int_equal(fx_int(db, "SELECT seq IS NULL FROM documents"), 1);
    char *folder = fx_text(db, "SELECT folder FROM dossiers");
    assert_string_equal(folder, FOLDER);
    char *person = fx_text(db, "SELECT person_name FROM dossiers");
    assert_string_equal(person, PERSON);
    char *org = fx_text(db, "SELECT org_code || ' ' || cccd FROM dossiers");
    assert_string_equal(org, ORG " " CCCD);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM documents d JOIN dossiers o ON "
                                "d.dossier_id = o.id"),
                     1);

    /* One row per source, in page order, each with the source's own hash. */
    assert_int_equal(fx_int(db, "SELECT count(*) FROM document_sources"), 3);
    static const int pages_of[3] = {2, 1, 1};
    for (int i = 0; i < 3; i++) {
        char *q = g_strdup_printf("SELECT path FROM document_sources WHERE position = %d", i + 1);
        char *p = fx_text(db, q);
        assert_string_equal(p, sources[i]);
        g_free(q);
        q = g_strdup_printf("SELECT sha256 FROM document_sources WHERE position = %d", i + 1);
        char *h = fx_text(db, q), *want = sha256_of(sources[i]);
        assert_string_equal(h, want);
        g_free(q);
        q = g_strdup_printf("SELECT pages FROM document_sources WHERE position = %d", i + 1);
        assert_int_equal(fx_int(db, q), pages_of[i]);
        g_free(q);
        g_free(p);
        g_free(h);
        g_free(want);
    }
    assert_int_equal(fx_int(db, "SELECT count(*) FROM document_sources s JOIN documents d ON "
                                "s.document_id = d.id"),
                     3);

    /* The audit entry, the same transaction's id on the rows. */
    fx_entries e = fx_each(f->ledger, NULL);
    assert_int_equal(e.n, 2);
    sh_audit_entry *last = &e.items[1];
    assert_string_equal(last->action, "document.ingest");
    assert_string_equal(last->subject, FOLDER "/" LYLICH ".pdf");
    assert_string_equal(last->station, "HN-01");
    assert_string_equal(last->operator_name, "Nguyễn Thị Thu");
    test_assert_contains(last->details, sha);
    test_assert_contains(last->details, "\"pages\":4");
    test_assert_contains(last->details, "\"expected_pages\":4");
    assert_int_equal(fx_int(db, "SELECT audit_id FROM documents"), last->id);
    assert_int_equal(fx_int(db, "SELECT audit_id FROM dossiers"), last->id);
    sh_audit_verdict v;
    sh_error err;
    assert_int_equal(sh_audit_verify(f->ledger, NULL, &v, &err), SH_OK);
    fx_entries_free(&e);
    assert_int_equal(f->warnings->len, 0); /* 4 pages as expected, all at 300 ppi */
    g_free(org);
    g_free(person);
    g_free(folder);
    g_free(dsha);
    g_free(path);
    g_free(sha);
    in_result_clear(&r);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(bw);
    pic_free(&grey);
}

static void document_scanner_pdf_is_copied(void **state)
{
    fx *f = *state;
    /* A real two-page PDF: made by an ingest into another type, then taken as a scan. */
    uint8_t *bw;
    tiff_spec pages[2];
    pages[0] = bilevel_spec(BW, BH, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4, &bw);
    pages[1] = pages[0];
    char *tif = src_file(f, "two.tif");
    write_tiff(tif, pages, 2);
    char *sources[] = {tif};
    in_document d = doc_for(sources, 1);
    d.type_stt = 4;
    in_result r;
    ingest_ok(f, &d, &r);
    char *scan = src_file(f, "scan.pdf");
    size_t len;
    uint8_t *bytes = slurp(r.path, &len);
    put(scan, bytes, len);
    g_free(bytes);
    in_result_clear(&r);

    sources[0] = scan;
    d.type_stt = 2;
    ingest_ok(f, &d, &r);
    assert_true(r.copied_pdf);
    assert_int_equal(r.pages, 2);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".pdf");
    assert_files_equal(r.path, scan);
    char *sha = sha256_of(scan);
    assert_string_equal(r.sha256, sha);
    char *q = g_strdup_printf("SELECT count(*) FROM document_sources WHERE sha256 = '%s' AND "
                              "pages = 2",
                              sha);
    assert_int_equal(count(f, q), 1);
    g_free(q);
    in_result_clear(&r);

    /* Not together with images, given one by one or in a folder. */
    char *jpgs = small_tiff(f, "page.tif", 50, 50, 300);
    char *mixed[] = {jpgs, scan};
    ingest_refused(f, mixed, 2, SH_USAGE,
                   "scan.pdf is a PDF: a scanner PDF is ingested on its own");
    char *dir = test_mkdirs(f->src, "folder");
    char *p1 = g_build_filename(dir, "1.tif", NULL), *p2 = g_build_filename(dir, "2.pdf", NULL);
    assert_int_equal(rename(jpgs, p1), 0);
    bytes = slurp(scan, &len);
    put(p2, bytes, len);
    g_free(bytes);
    char *folder[] = {dir};
    ingest_refused(f, folder, 1, SH_USAGE, "2.pdf is a PDF");

    /* A PDF that does not open, and one with a password. */
    char *broken = src_file(f, "broken.pdf");
    put(broken, "%PDF-1.4\n1 0 obj\n<< /Type /Catalog", 33);
    open_refused(broken, NULL, "the PDF file cannot be opened");
    test_need_tool("qpdf");
    char *locked = src_file(f, "locked.pdf");
    char *cmd = g_strdup_printf("qpdf --encrypt secret owner 256 -- '%s' '%s'", scan, locked);
    g_free(run_ok(cmd));
    open_refused(locked, NULL, "is protected by a password");
    g_free(cmd);
    g_free(locked);
    g_free(broken);
    g_free(p1);
    g_free(p2);
    g_free(dir);
    g_free(jpgs);
    g_free(sha);
    g_free(scan);
    g_free(tif);
    g_free(bw);
}

static const seen_warning *warning(fx *f, const char *code)
{
    for (guint i = 0; i < f->warnings->len; i++) {
        const seen_warning *w = &g_array_index(f->warnings, seen_warning, i);
        if (strcmp(w->code, code) == 0)
            return w;
    }
    fail_msg("no %s warning among %u", code, f->warnings->len);
    return NULL;
}

static void document_warnings_go_to_the_sink(void **state)
{
    fx *f = *state;
    char *ok = small_tiff(f, "1.tif", 100, 80, 300), *low = small_tiff(f, "2.tif", 100, 80, 150);
    char *sources[] = {ok, low};
    in_document d = doc_for(sources, 2);
    d.expected_pages = 3;
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(f->warnings->len, 2);
    const seen_warning *w = warning(f, "page.low_dpi");
    assert_int_equal(w->page, 2);
    assert_true(w->value == 150);
    assert_string_equal(w->path, r.rel_path);
    test_assert_contains(w->message, "2.tif");
    test_assert_contains(w->message, "150 ppi");
    w = warning(f, "doc.page_count");
    assert_true(w->value == 2);
    test_assert_contains(w->message, "3 pages were expected but 2 were given");
    /* both are only warnings: the document is there and recorded with what was expected */
    assert_true(exists(r.path));
    assert_int_equal(count(f, "SELECT expected_pages FROM documents"), 3);
    in_result_clear(&r);

    /* The resolution given for images that carry none counts the same. */
    warnings_clear(f);
    char *bare = small_tiff(f, "bare.tif", 100, 80, 0);
    char *one[] = {bare};
    d = doc_for(one, 1);
    d.type_stt = 3;
    d.dpi = 150;
    ingest_ok(f, &d, &r);
    assert_int_equal(f->warnings->len, 1);
    assert_true(warning(f, "page.low_dpi")->value == 150);
    in_result_clear(&r);
    /* At the minimum, and with the pages expected: nothing to say. */
    warnings_clear(f);
    d.type_stt = 4;
    d.dpi = 200;
    d.expected_pages = 1;
    ingest_ok(f, &d, &r);
    assert_int_equal(f->warnings->len, 0);
    in_result_clear(&r);
    g_free(bare);
    g_free(ok);
    g_free(low);
}

static void document_folder_source_in_page_order(void **state)
{
    fx *f = *state;
    char *dir = test_mkdirs(f->src, "Trang");
    static const struct {
        const char *name;
        uint32_t w;
    } files[] = {{"10.tif", 30}, {"2.tif", 20}, {"1.tif", 10}};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        char *rel = g_build_filename("Trang", files[i].name, NULL);
        char *p = small_tiff(f, rel, files[i].w, 10, 72);
        g_free(p);
        g_free(rel);
    }
    char *junk = g_build_filename(dir, ".~lock.tif", NULL);
    put(junk, "junk", 4);
    g_free(junk);
    junk = g_build_filename(dir, "Thumbs.db", NULL); /* skipped with a note */
    put(junk, "junk", 4);
    g_free(junk);
    char *sources[] = {dir};
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.pages, 3);
    char *info = pdfinfo(r.path, "-f 1 -l 3");
    test_assert_contains(info, "Page    1 size:  10 x 10 pts");
    test_assert_contains(info, "Page    2 size:  20 x 10 pts");
    test_assert_contains(info, "Page    3 size:  30 x 10 pts");
    char *p3 =
        fx_text(sh_ledger_db(f->ledger), "SELECT path FROM document_sources WHERE position = 3");
    char *want = g_build_filename(dir, "10.tif", NULL);
    assert_string_equal(p3, want);
    g_free(want);
    g_free(p3);
    g_free(info);
    in_result_clear(&r);
    /* A folder with nothing to ingest */
    char *empty = test_mkdirs(f->src, "empty");
    char *other = g_build_filename(empty, "desktop.ini", NULL);
    put(other, "x", 1);
    g_free(other);
    folder_arg fa = {f, empty};
    bool refused = test_isolated(empty_folder_refused, &fa);
    g_free(empty);
    g_free(dir);
    if (!refused)
        fail_msg("a folder with nothing to ingest is not refused cleanly");
}

static void document_usage_errors(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "1.tif", 50, 50, 300);
    char *sources[] = {tif};
    in_document d;
    in_result r;
    sh_error err;
    static const int bad_types[] = {0, 105, -1};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_types); i++) {
        d = doc_for(sources, 1);
        d.type_stt = bad_types[i];
        assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
        test_assert_contains(err.msg, "is not a document type");
    }
    d = doc_for(sources, 1);
    d.person_name = "An";
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, "\"An\"");
    d = doc_for(sources, 1);
    d.cccd = "12345";
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    assert_true(err.msg[0] != '\0');
    d = doc_for(sources, 1);
    d.org_code = "to chuc";
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    d = doc_for(sources, 0);
    assert_int_equal(ingest(f, &d, &r, &err), SH_USAGE);
    test_assert_contains(err.msg, "give the page files");
    char *top = listing(f->root);
    assert_string_equal(top, ".sohoa|sohoa.ini");
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1);
    g_free(top);
    g_free(tif);
}

static void document_ledger_failure_leaves_nothing(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "1.tif", 100, 80, 300);
    sqlite3 *db = sh_ledger_db(f->ledger);
    fx_exec(db, "CREATE TEMP TRIGGER boom BEFORE INSERT ON main.document_sources "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    char *sources[] = {tif};
    ingest_refused(f, sources, 1, SH_INTERNAL, "disk on fire");
    /* Not recorded, so not kept: no file, no folder, no row, no audit entry */
    char *top = listing(f->root);
    assert_string_equal(top, ".sohoa|sohoa.ini");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM dossiers"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM audit"), 1);
    fx_exec(db, "DROP TRIGGER temp.boom");
    in_document d = doc_for(sources, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(r.seq, 0);
    in_result_clear(&r);
    g_free(top);
    g_free(tif);
}

static void document_replaced_after_its_file_was_removed(void **state)
{
    fx *f = *state;
    char *a = small_tiff(f, "a.tif", 100, 80, 300), *b = small_tiff(f, "b.tif", 90, 70, 300);
    char *one[] = {a};
    in_document d = doc_for(one, 1);
    in_result r;
    ingest_ok(f, &d, &r);
    assert_int_equal(unlink(r.path), 0);
    in_result_clear(&r);
    /* The type is new to the dossier again: no Seq, the same path, the row now the new file's */
    char *two[] = {b, a};
    d = doc_for(two, 2);
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".pdf");
    assert_int_equal(count(f, "SELECT count(*) FROM documents"), 1);
    char *sha = fx_text(sh_ledger_db(f->ledger), "SELECT sha256 FROM documents");
    assert_string_equal(sha, r.sha256);
    assert_int_equal(count(f, "SELECT pages FROM documents"), 2);
    assert_int_equal(count(f, "SELECT count(*) FROM document_sources"), 2);
    char *first =
        fx_text(sh_ledger_db(f->ledger), "SELECT path FROM document_sources WHERE position = 1");
    assert_string_equal(first, b);
    assert_int_equal(count(f, "SELECT count(*) FROM audit WHERE action = 'document.ingest'"), 2);
    g_free(first);
    g_free(sha);
    in_result_clear(&r);
    g_free(a);
    g_free(b);
}

/* Ingest d expecting SH_USAGE; a description of what happened instead is added to problems. */
static void expect_usage(fx *f, const in_document *d, const char *what, GString *problems)
{
    in_result r;
    sh_error err;
    sh_status st = ingest(f, d, &r, &err);
    if (st == SH_OK) {
        char *base = g_path_get_basename(r.path);
        nm_file_id id;
        g_string_append_printf(
            problems, "\n  %s: accepted, wrote \"%s\"%s", what, base,
            nm_parse_file_name(base, &f->rules, &id) ? "" : ", a name the naming rules refuse");
        unlink(r.path);
        in_result_clear(&r);
        g_free(base);
    } else if (st != SH_USAGE)
        g_string_append_printf(problems, "\n  %s: status %d (%s)", what, st, err.msg);
}

static void document_seq_stays_within_the_naming_rules(void **state)
{
    fx *f = *state;
    char *a = small_tiff(f, "a.tif", 60, 40, 300);
    char *sources[] = {a};
    in_document d = doc_for(sources, 1);
    in_result r;
    GString *problems = g_string_new(NULL);
    /* A negative Seq is not "none" */
    d.seq = -2;
    expect_usage(f, &d, "Seq -2 in an empty dossier", problems);
    /* Seq 1000 has no file name the naming rules accept (SoThuTu goes to 999): refused,
     * rather than a file that check and validate would then reject. */
    d.seq = 1000;
    expect_usage(f, &d, "Seq 1000", problems);
    /* 999 is the last; after it there is no next one to take */
    d.seq = 999;
    ingest_ok(f, &d, &r);
    assert_string_equal(r.rel_path, FOLDER "/" LYLICH ".999.pdf");
    in_result_clear(&r);
    d.seq = 0;
    char *b = small_tiff(f, "b.tif", 61, 40, 300); /* other files: not a re-run of .999 */
    sources[0] = b;
    expect_usage(f, &d, "the next Seq after .999", problems);
    g_free(a);
    g_free(b);
    char *text = g_string_free(problems, FALSE);
    if (*text) {
        print_error("Seq out of 1..999:%s\n", text);
        g_free(text);
        fail();
    }
    g_free(text);
}

static void document_relative_paths_and_name_warnings(void **state)
{
    fx *f = *state;
    char *tif = small_tiff(f, "1.tif", 60, 40, 300);
    char *jpg_path = src_file(f, "2.jpg");
    GByteArray *j = jpeg_of(jpeg_grey, sizeof jpeg_grey);
    jpeg_jfif(j, 1, 300, 300);
    put(jpg_path, j->data, j->len);
    g_byte_array_free(j, TRUE);
    char *cwd = g_get_current_dir();
    assert_int_equal(chdir(f->src), 0);
    /* sources given relative to the current folder, a PDF among them on its own later */
    char *sources[] = {"1.tif", "./2.jpg"};
    in_document d = doc_for(sources, 2);
    d.type_stt = 5;
    in_result r;
    sh_error err;
    sh_status st = ingest(f, &d, &r, &err);
    if (st == SH_OK) {
        char *pdf_copy = g_build_filename(f->src, "made.pdf", NULL);
        size_t len;
        uint8_t *bytes = slurp(r.path, &len);
        put(pdf_copy, bytes, len);
        g_free(bytes);
        g_free(pdf_copy);
        in_result_clear(&r);
        char *pdf[] = {"made.pdf"};
        d = doc_for(pdf, 1);
        d.type_stt = 6;
        st = ingest(f, &d, &r, &err);
        if (st == SH_OK)
            assert_true(r.copied_pdf);
        in_result_clear(&r);
    }
    assert_int_equal(chdir(cwd), 0);
    if (st != SH_OK)
        fail_msg("relative source paths: %s", err.msg);
    /* An implausible birth year in the CCCD is only a warning: it goes to the sink, with its
     * code, and the document is written. */
    warnings_clear(f);
    char *one[] = {tif};
    d = doc_for(one, 1);
    d.cccd = "012345678901"; /* born in 2045 */
    ingest_ok(f, &d, &r);
    assert_true(f->warnings->len >= 1);
    const seen_warning *w = &g_array_index(f->warnings, seen_warning, 0);
    assert_true(g_str_has_prefix(w->code, "name."));
    test_assert_contains(r.rel_path, "012345678901_NguyenVanAn");
    in_result_clear(&r);
    g_free(cwd);
    g_free(jpg_path);
    g_free(tif);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(document_a4_page_is_named_and_described),
        FX(document_is_deterministic),
        FX(document_never_replaces_a_file),
        FX(document_seq_rules),
        FX(document_with_a_bad_source_writes_nothing),
        FX(document_is_recorded_in_the_ledger),
        FX(document_scanner_pdf_is_copied),
        FX(document_warnings_go_to_the_sink),
        FX(document_folder_source_in_page_order),
        FX(document_usage_errors),
        FX(document_ledger_failure_leaves_nothing),
        FX(document_replaced_after_its_file_was_removed),
        FX(document_seq_stays_within_the_naming_rules),
        FX(document_relative_paths_and_name_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
