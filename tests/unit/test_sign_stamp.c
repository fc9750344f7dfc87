/* The visible signature stamp (sign/stamp*.c), drawn on a one-page PDF at the top right of the
 * page as displayed, for every /Rotate, and judged by the real tools: pdftotext (the Vietnamese
 * text extracts as typed, NFD input included), pdffonts (an embedded CID TrueType subset with a
 * ToUnicode map), pdfimages (the seal at its actual size, its alpha as an /SMask), qpdf --check,
 * and pdftoppm's rendering read back here (text where the text is, the seal on the left, upright).
 * The seals are PNGs made here with libpng: no Python in unit tests. */
#define TEST_WITH_LIBPNG /* test_write_png */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <hb-subset.h>
#include <hb.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcomment" /* sign_impl.h's first comment holds "sign/" "*.c" */
#include "sign_impl.h"
#pragma GCC diagnostic pop

#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define ORG "Đảng ủy xã Tân Phú"
#define SIGNER "Văn phòng Đảng ủy xã Tân Phú"
#define TIME "21/11/2026 10:05:09 +07:00"
#define PAGE_W 595.0
#define PAGE_H 842.0
#define MARGIN 28.0 /* from the top and right edges of the page as displayed */
#define RES 50.0    /* pdftoppm -r */
#define INSET 4.0   /* the stamp's own inset of the seal (stamp.c) */

/* The judges (poppler-utils and qpdf) are required: a missing one fails the test. */
static void need_judges(void)
{
    static const char *const judges[] = {"pdftotext", "pdffonts", "pdfimages", "pdftoppm", "qpdf"};
    for (size_t i = 0; i < sizeof judges / sizeof *judges; i++)
        test_need_tool(judges[i]);
}

/* ---- seal fixtures, written with libpng ---- */

/* Palette and grey: opaque. GA16: 16-bit grey and alpha, interlaced (libpng's transforms). */
typedef enum { SEAL_RGBA, SEAL_PALETTE, SEAL_GREY, SEAL_GA16 } seal_kind;

/* One pixel of a red disc on a transparent (RGBA, GA16) or white background. */
static void seal_pixel(seal_kind kind, bool in, uint8_t *p)
{
    static const uint8_t red[4] = {204, 0, 0, 255}, clear[4] = {255, 255, 255, 0};
    static const uint8_t grey16[4] = {0x3c, 0x3c, 0xff, 0xff}, clear16[4] = {0xff, 0xff, 0, 0};
    switch (kind) {
    case SEAL_RGBA:
        memcpy(p, in ? red : clear, 4);
        break;
    case SEAL_PALETTE:
        *p = in ? 1 : 0;
        break;
    case SEAL_GREY:
        *p = in ? 60 : 255;
        break;
    case SEAL_GA16:
        memcpy(p, in ? grey16 : clear16, 4);
        break;
    }
}

typedef struct {
    seal_kind kind;
    uint32_t side, ppi;
    png_bytep *rows;
} seal_png;

static void seal_body(png_structp png, png_infop info, const void *arg)
{
    static const png_color palette[2] = {{255, 255, 255}, {204, 0, 0}};
    static const int types[] = {PNG_COLOR_TYPE_RGB_ALPHA, PNG_COLOR_TYPE_PALETTE,
                                PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA};
    const seal_png *s = arg;
    png_set_IHDR(png, info, s->side, s->side, s->kind == SEAL_GA16 ? 16 : 8, types[s->kind],
                 s->kind == SEAL_GA16 ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->kind == SEAL_PALETTE)
        png_set_PLTE(png, info, palette, 2);
    if (s->ppi)
        png_set_pHYs(png, info, (png_uint_32)lround(s->ppi / 0.0254),
                     (png_uint_32)lround(s->ppi / 0.0254), PNG_RESOLUTION_METER);
    png_write_info(png, info);
    png_write_image(png, s->rows);
    png_write_end(png, info);
}

/* A disc of diameter 0.9 × side in a side × side PNG; ppi 0: no pHYs. */
static void write_seal(const char *path, seal_kind kind, uint32_t side, uint32_t ppi)
{
    size_t bpp = kind == SEAL_RGBA || kind == SEAL_GA16 ? 4 : 1;
    uint8_t *px = g_malloc0((size_t)side * side * bpp);
    seal_png s = {kind, side, ppi, g_new(png_bytep, side)};
    double c = side / 2.0, r = 0.45 * side;
    for (uint32_t y = 0; y < side; y++) {
        s.rows[y] = px + (size_t)y * side * bpp;
        for (uint32_t x = 0; x < side; x++)
            seal_pixel(kind, hypot(x + 0.5 - c, y + 0.5 - c) < r, s.rows[y] + x * bpp);
    }
    test_write_png(path, seal_body, &s);
    g_free(s.rows);
    g_free(px);
}

static void huge_body(png_structp png, png_infop info, const void *arg)
{
    (void)arg;
    png_set_IHDR(png, info, 5000, 5000, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    uint8_t row[625] = {0};
    for (int y = 0; y < 5000; y++)
        png_write_row(png, row);
    png_write_end(png, info);
}

/* A valid 5000 × 5000 bilevel PNG: small on disk, too large to be a seal. */
static void write_huge_png(const char *path) { test_write_png(path, huge_body, NULL); }

/* ---- the test page ---- */

typedef struct {
    double x0, y0, x1, y1; /* where the stamp is, in the page as displayed (points) */
    double disp_w, disp_h; /* the page as displayed */
} placed;

/* The matrix [a b c d] that turns a form upright on a page shown turned by r degrees clockwise:
 * those of PDF 32000. */
static void upright_matrix(int r, double m[4])
{
    static const double turns[4][4] = {{1, 0, 0, 1}, {0, 1, -1, 0}, {-1, 0, 0, -1}, {0, -1, 1, 0}};
    int i = r == 90 ? 1 : r == 180 ? 2 : r == 270 ? 3 : 0;
    memcpy(m, turns[i], sizeof turns[i]);
}

/* The page's size as displayed with /Rotate r. */
static void displayed_size(int r, double *w, double *h)
{
    bool turned = r == 90 || r == 270;
    *w = turned ? PAGE_H : PAGE_W;
    *h = turned ? PAGE_W : PAGE_H;
}

/* The form's translation that puts its /Matrix-turned box at the user rectangle's corner. */
static void form_origin(int r, double w, double h, double ux, double uy, double *tx, double *ty)
{
    double m[4];
    upright_matrix(r, m);
    double a = m[0], b = m[1], c = m[2], d = m[3];
    double minx = fmin(fmin(0, a * w), fmin(c * h, a * w + c * h));
    double miny = fmin(fmin(0, b * w), fmin(d * h, b * w + d * h));
    *tx = ux - minx;
    *ty = uy - miny;
}

/* A display point of a page shown with /Rotate r, in the page's own user space: turned as a form
 * is, and moved so that the page as displayed covers the page. */
static void display_to_user(int r, double xd, double yd, double *x, double *y)
{
    double m[4], w, h, tx, ty;
    upright_matrix(r, m);
    displayed_size(r, &w, &h);
    form_origin(r, w, h, 0, 0, &tx, &ty);
    *x = m[0] * xd + m[2] * yd + tx;
    *y = m[1] * xd + m[3] * yd + ty;
}

/* A one-page PDF; with a stamp, it is drawn (as a form) at the top right of the page as
 * displayed. where (when not NULL) says where. */
static sh_status write_page(const char *path, const sg_stamp *st, int rotate, const char *time,
                            placed *where, sh_error *err)
{
    pdf_writer *w = pdf_writer_new(path, 7, false, err);
    if (!w) /* a failure, whatever the analyzer makes of err->status: where stays unwritten */
        return err->status != SH_OK ? err->status : SH_INTERNAL;
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int page = pdf_object_reserve(w), content = pdf_object_reserve(w);
    int info = pdf_object_reserve(w);
    int form = st ? sg_stamp_write(st, w, time, rotate, 1.0) : 0;
    if (st)
        assert_true(form > 0);

    char *ops = g_strdup("");
    if (st) {
        placed p = {0};
        displayed_size(rotate, &p.disp_w, &p.disp_h);
        double sw, sh;
        sg_stamp_size(st, &sw, &sh);
        p.x1 = p.disp_w - MARGIN, p.x0 = p.x1 - sw;
        p.y1 = p.disp_h - MARGIN, p.y0 = p.y1 - sh;
        double ax, ay, bx, by, tx, ty;
        display_to_user(rotate, p.x0, p.y0, &ax, &ay);
        display_to_user(rotate, p.x1, p.y1, &bx, &by);
        form_origin(rotate, sw, sh, fmin(ax, bx), fmin(ay, by), &tx, &ty);
        g_free(ops);
        ops = g_strdup_printf("q 1 0 0 1 %.4f %.4f cm /S Do Q", tx, ty);
        if (where)
            *where = p;
    }
    test_pdf_page_tree(w, catalog, pages, page);
    pdf_object_begin(w, page);
    pdf_printf(w, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Rotate %d ", pages,
               rotate);
    if (form)
        pdf_printf(w, "/Resources << /XObject << /S %d 0 R >> >> ", form);
    else
        pdf_printf(w, "/Resources << >> ");
    pdf_printf(w, "/Contents %d 0 R >>", content);
    pdf_object_end(w);
    pdf_stream_begin(w, content, "", strlen(ops));
    pdf_write(w, ops, strlen(ops));
    pdf_stream_end(w);
    g_free(ops);
    pdf_object_begin(w, info);
    pdf_printf(w, "<< /Producer (sohoa test) >>");
    pdf_object_end(w);
    return pdf_writer_finish(w, catalog, info, NULL, err);
}

static sg_stamp *make_stamp(const char *org, const char *signer, const char *seal, double mm)
{
    sg_stamp_spec spec = {.font_path = FONT,
                          .seal_path = seal,
                          .organisation = org,
                          .signer = signer,
                          .width_mm = mm};
    sg_stamp *s = NULL;
    sh_error err;
    sh_status st = sg_stamp_new(&spec, &s, &err);
    if (st != SH_OK)
        fail_msg("sg_stamp_new: %s", err.msg);
    assert_non_null(s);
    return s;
}

static sh_status try_stamp(const char *font, const char *org, const char *signer, const char *seal,
                           double mm, sh_error *err)
{
    sg_stamp_spec spec = {font, seal, org, signer, mm};
    sg_stamp *s = NULL;
    sh_status st = sg_stamp_new(&spec, &s, err);
    assert_true((st == SH_OK) == (s != NULL));
    sg_stamp_free(s);
    return st;
}

/* ---- the judges ---- */

/* Run "tool 'path' args" (tool and args as they are); its output, failing the test when the
 * tool does. */
static char *run(const char *tool, const char *path, const char *args)
{
    char *cmd = g_strdup_printf("%s '%s' %s", tool, path, args);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("%s failed: %s", cmd, out);
    g_free(cmd);
    return out;
}

/* pdftotext's text with every run of white space made one space. */
static char *extracted_text(const char *pdf)
{
    char *out = run("pdftotext -raw -enc UTF-8", pdf, "-");
    GRegex *ws = g_regex_new("\\s+", 0, 0, NULL);
    char *flat = g_regex_replace_literal(ws, out, -1, 0, " ", 0, NULL);
    g_regex_unref(ws);
    g_free(out);
    return flat;
}

static void assert_text(const char *pdf, const char *org, const char *signer, const char *time)
{
    char *text = extracted_text(pdf);
    test_assert_contains(text, org);
    char *line = g_strdup_printf("Người ký: %s", signer);
    test_assert_contains(text, line);
    g_free(line);
    line = g_strdup_printf("Thời gian: %s", time);
    test_assert_contains(text, line);
    g_free(line);
    g_free(text);
}

static void assert_qpdf_clean(const char *pdf)
{
    char *out = run("qpdf --check", pdf, "");
    test_assert_contains(out, "No syntax or stream encoding errors");
    g_free(out);
}

typedef struct {
    uint32_t w, h;
    uint8_t *px;
} grey;

static grey render(const char *pdf)
{
    char *prefix = g_strdup_printf("%s-r", pdf);
    char *cmd = g_strdup_printf("pdftoppm -r %g -gray -singlefile '%s' '%s'", RES, pdf, prefix);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    char *pgm = g_strdup_printf("%s.pgm", prefix);
    size_t n = 0;
    char *data = test_slurp(pgm, &n);
    grey g = {0};
    int off = 0, maxval = 0;
    assert_int_equal(sscanf(data, "P5 %u %u %d%n", &g.w, &g.h, &maxval, &off), 3);
    assert_int_equal(maxval, 255);
    assert_true((size_t)off + 1 + (size_t)g.w * g.h <= n);
    g.px = g_memdup2(data + off + 1, (size_t)g.w * g.h);
    g_free(data);
    g_free(pgm);
    g_free(cmd);
    g_free(prefix);
    return g;
}

/* A display rectangle (points, origin bottom left) in pixels, clipped to the image. */
static void to_px(const grey *g, const placed *p, double x0, double y0, double x1, double y1,
                  uint32_t r[4])
{
    double k = RES / 72.0;
    r[0] = (uint32_t)fmax(0, floor(x0 * k));
    r[1] = (uint32_t)fmax(0, floor((p->disp_h - y1) * k));
    r[2] = (uint32_t)fmin(g->w, ceil(x1 * k));
    r[3] = (uint32_t)fmin(g->h, ceil((p->disp_h - y0) * k));
}

static double mean(const grey *g, const uint32_t r[4])
{
    double sum = 0;
    size_t n = 0;
    for (uint32_t y = r[1]; y < r[3]; y++)
        for (uint32_t x = r[0]; x < r[2]; x++, n++)
            sum += g->px[(size_t)y * g->w + x];
    return n ? sum / n : 255;
}

static size_t count_dark(const grey *g, const uint32_t r[4], int below)
{
    size_t n = 0;
    for (uint32_t y = r[1]; y < r[3]; y++)
        for (uint32_t x = r[0]; x < r[2]; x++)
            n += g->px[(size_t)y * g->w + x] < below;
    return n;
}

/* The longest run of non-white pixels along the stamp's middle row, in its left half: the
 * seal's width in pixels (the text's letters are short runs). */
static uint32_t seal_run(const grey *g, const placed *p)
{
    uint32_t r[4];
    to_px(g, p, p->x0 + 2, (p->y0 + p->y1) / 2, (p->x0 + p->x1) / 2, (p->y0 + p->y1) / 2, r);
    uint32_t y = r[1], best = 0, run_len = 0;
    for (uint32_t x = r[0]; x < r[2]; x++) {
        run_len = g->px[(size_t)y * g->w + x] < 200 ? run_len + 1 : 0;
        best = run_len > best ? run_len : best;
    }
    return best;
}

/* The rendering: the stamp's right part holds dark text on white, its left part the seal
 * (when there is one) around its vertical middle, the page outside the stamp is white. */
static void assert_rendering(const char *pdf, const placed *p, double seal_pt)
{
    grey g = render(pdf);
    uint32_t r[4];
    double text_x0 = p->x0 + (seal_pt > 0 ? INSET + seal_pt : 0) + 2;
    to_px(&g, p, text_x0, p->y0 + 2, p->x1 - 2, p->y1 - 2, r);
    size_t dark = count_dark(&g, r, 128);
    if (dark < 40 || mean(&g, r) < 150)
        fail_msg("%s: the text area has %zu dark pixels, mean %.0f", pdf, dark, mean(&g, r));
    if (seal_pt > 0) {
        double cx = p->x0 + INSET + seal_pt / 2, cy = (p->y0 + p->y1) / 2;
        to_px(&g, p, cx - seal_pt / 5, cy - seal_pt / 5, cx + seal_pt / 5, cy + seal_pt / 5, r);
        if (mean(&g, r) > 160)
            fail_msg("%s: the seal area is white (mean %.0f)", pdf, mean(&g, r));
    }
    to_px(&g, p, 0, 0, p->x0 - 4, p->disp_h, r); /* left of the stamp: nothing */
    assert_true(mean(&g, r) > 254.5);
    g_free(g.px);
}

/* noinline: gcc 12 sees a dangling pointer through the inlined cmocka assertion otherwise. */
__attribute__((noinline)) static void assert_same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *da = test_slurp(a, &la), *db = test_slurp(b, &lb);
    if (la != lb || memcmp(da, db, la) != 0)
        fail_msg("%s and %s differ", a, b);
    g_free(da);
    g_free(db);
}

/* ---- the files of the tests, in the test's folder (g_free the paths) ---- */

/* name, holding a one-page PDF with the stamp s (NULL: none) on a page shown with /Rotate
 * rotate, at TIME; where (when not NULL) says where the stamp landed. */
static char *page_file(void **state, const char *name, const sg_stamp *s, int rotate, placed *where)
{
    char *pdf = test_path(*state, name);
    sh_error err;
    assert_int_equal(write_page(pdf, s, rotate, TIME, where, &err), SH_OK);
    return pdf;
}

/* name, holding a seal of write_seal's. */
static char *seal_file(void **state, const char *name, seal_kind kind, uint32_t side, uint32_t ppi)
{
    char *seal = test_path(*state, name);
    write_seal(seal, kind, side, ppi);
    return seal;
}

/* A stamp mm wide, ORG's and SIGNER's, with a seal of write_seal's kept in the file name. */
static sg_stamp *stamp_with_seal(void **state, const char *name, seal_kind kind, uint32_t side,
                                 uint32_t ppi, double mm)
{
    char *seal = seal_file(state, name, kind, side, ppi);
    sg_stamp *s = make_stamp(ORG, SIGNER, seal, mm);
    g_free(seal);
    return s;
}

/* The stamps s1 and s2 make the very same file (a.pdf, b.pdf) on a page with /Rotate rotate. */
static void assert_same_pages(void **state, const sg_stamp *s1, const sg_stamp *s2, int rotate)
{
    char *a = page_file(state, "a.pdf", s1, rotate, NULL);
    char *b = page_file(state, "b.pdf", s2, rotate, NULL);
    assert_same_file(a, b);
    g_free(a);
    g_free(b);
}

/* The names org and signer, spelled otherwise than ORG and SIGNER, make the very same file as
 * those (b.pdf is theirs). */
static void assert_same_as_plain(void **state, const char *org, const char *signer)
{
    sg_stamp *s1 = make_stamp(ORG, SIGNER, NULL, 70), *s2 = make_stamp(org, signer, NULL, 70);
    assert_same_pages(state, s1, s2, 0);
    sg_stamp_free(s1);
    sg_stamp_free(s2);
}

/* The seal's width in pdftoppm's rendering of pdf, in pixels. */
static uint32_t rendered_seal_px(const char *pdf, const placed *p)
{
    grey g = render(pdf);
    uint32_t n = seal_run(&g, p);
    g_free(g.px);
    return n;
}

static long file_size(const char *path)
{
    GStatBuf st;
    assert_int_equal(g_stat(path, &st), 0);
    return (long)st.st_size;
}

/* ---- tests ---- */

static const int rotations[4] = {0, 90, 180, 270};

/* For every /Rotate: the text extracts exactly, the stamp lands upright at the top right with
 * the seal on its left and the text on its right, the file is sound. */
static void stamp_upright_on_every_rotation(void **state)
{
    need_judges();
    sg_stamp *s = stamp_with_seal(state, "seal.png", SEAL_RGBA, 300, 300, 90);
    for (int i = 0; i < 4; i++) {
        char *name = g_strdup_printf("rot%d.pdf", rotations[i]);
        placed p;
        char *pdf = page_file(state, name, s, rotations[i], &p);
        assert_qpdf_clean(pdf);
        assert_text(pdf, ORG, SIGNER, TIME);
        assert_rendering(pdf, &p, 72);
        g_free(pdf);
        g_free(name);
    }
    sg_stamp_free(s);
}

/* pdffonts: one embedded subset CID TrueType font with a ToUnicode map, the subset tag six
 * capitals; pdfimages: the seal is RGB with an alpha /SMask, at 300 ppi as its pHYs says. */
static void font_and_seal_as_judged(void **state)
{
    need_judges();
    sg_stamp *s = stamp_with_seal(state, "seal.png", SEAL_RGBA, 300, 300, 90);
    char *pdf = page_file(state, "s.pdf", s, 0, NULL);
    char *fonts = run("pdffonts", pdf, "");
    GRegex *re = g_regex_new("^[A-Z]{6}\\+DejaVuSans +CID TrueType +Identity-H +yes +yes +yes ",
                             G_REGEX_MULTILINE, 0, NULL);
    if (!g_regex_match(re, fonts, 0, NULL))
        fail_msg("pdffonts:\n%s", fonts);
    g_regex_unref(re);
    char *images = run("pdfimages -list", pdf, "");
    int n_image = 0, n_smask = 0;
    char **lines = g_strsplit(images, "\n", -1);
    for (char **l = lines; *l; l++) {
        char type[16], colour[16];
        int page, num, w, h, xppi, yppi;
        if (sscanf(*l, "%d %d %15s %d %d %15s %*d %*d %*s %*s %*d %*d %d %d", &page, &num, type, &w,
                   &h, colour, &xppi, &yppi) != 8)
            continue;
        assert_int_equal(w, 300);
        assert_int_equal(h, 300);
        assert_int_equal(xppi, 300); /* actual size: 300 pixels over one inch */
        assert_int_equal(yppi, 300);
        if (strcmp(type, "image") == 0 && strcmp(colour, "rgb") == 0)
            n_image++;
        if (strcmp(type, "smask") == 0 && strcmp(colour, "gray") == 0)
            n_smask++;
    }
    if (n_image != 1 || n_smask != 1)
        fail_msg("pdfimages -list:\n%s", images);
    g_strfreev(lines);
    g_free(images);
    g_free(fonts);
    sg_stamp_free(s);
    g_free(pdf);
}

/* The seal at its actual size from pHYs (300 and 600 ppi), 300 ppi when there is none (a
 * palette PNG); opaque seals (palette, grey) without an /SMask; 16-bit interlaced grey with
 * alpha read too. */
static void seal_actual_size(void **state)
{
    need_judges();
    static const struct {
        seal_kind kind;
        uint32_t ppi;
        double expect_px; /* the disc: 0.9 × 300 pixels at ppi, shown at RES */
        bool smask;
    } cases[] = {
        {SEAL_RGBA, 300, 45, true},  {SEAL_RGBA, 600, 22.5, true}, {SEAL_PALETTE, 0, 45, false},
        {SEAL_GREY, 300, 45, false}, {SEAL_GA16, 300, 45, true},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        sg_stamp *s = stamp_with_seal(state, "seal.png", cases[i].kind, 300, cases[i].ppi, 90);
        double w, h, seal_pt = 300.0 / (cases[i].ppi ? cases[i].ppi : 300) * 72;
        sg_stamp_size(s, &w, &h);
        assert_true(fabs(w - 90 * 72 / 25.4) < 0.01);
        assert_true(h >= seal_pt);
        placed p;
        char *pdf = page_file(state, "s.pdf", s, 0, &p);
        uint32_t run_px = rendered_seal_px(pdf, &p);
        if (fabs(run_px - cases[i].expect_px) > 3)
            fail_msg("case %zu: the seal is %u px wide, %.1f expected", i, run_px,
                     cases[i].expect_px);
        assert_rendering(pdf, &p, seal_pt);
        char *images = run("pdfimages -list", pdf, "");
        assert_int_equal(strstr(images, " smask ") != NULL, cases[i].smask);
        g_free(images);
        sg_stamp_free(s);
        g_free(pdf);
    }
}

/* A seal wider than 45% of the stamp is scaled down to that (it never covers the text) and then
 * sets the stamp's height. */
static void large_seal_scaled_down(void **state)
{
    need_judges();
    sg_stamp *s = stamp_with_seal(state, "big.png", SEAL_RGBA, 1200, 300, 70); /* 4 inches */
    double w, h;
    sg_stamp_size(s, &w, &h);
    double seal_pt = 0.45 * w;
    assert_true(h >= seal_pt && h <= seal_pt + 2 * INSET + 0.01);
    placed p;
    char *pdf = page_file(state, "s.pdf", s, 0, &p);
    double expect = 0.9 * seal_pt * RES / 72;
    assert_true(fabs(rendered_seal_px(pdf, &p) - expect) <= 3);
    assert_rendering(pdf, &p, seal_pt);
    assert_text(pdf, ORG, SIGNER, TIME);
    sg_stamp_free(s);
    g_free(pdf);
}

/* Decomposed (NFD) names give the very same file as composed ones, and extract composed. */
static void nfd_input_same_as_nfc(void **state)
{
    char *org = g_utf8_normalize(ORG, -1, G_NORMALIZE_NFD);
    char *signer = g_utf8_normalize(SIGNER, -1, G_NORMALIZE_NFD);
    assert_string_not_equal(org, ORG);
    assert_same_as_plain(state, org, signer);
    char *b = test_path(*state, "b.pdf"); /* the NFD one */
    need_judges();
    assert_text(b, ORG, SIGNER, TIME);
    g_free(b);
    g_free(org);
    g_free(signer);
}

/* One stamp, written into many files: the same bytes every time (nothing consumed). */
static void written_again_and_again(void **state)
{
    sg_stamp *s = make_stamp(ORG, SIGNER, NULL, 70);
    assert_same_pages(state, s, s, 90);
    sg_stamp_free(s);
}

/* A long organisation wraps at word boundaries (never inside a word), and the stamp grows. */
static void long_names_wrap_at_words(void **state)
{
    const char *org = "Ban Thường vụ Đảng ủy Khối các cơ quan và doanh nghiệp tỉnh Phú Yên";
    const char *signer = "Văn phòng Ban Thường vụ Đảng ủy Khối các cơ quan tỉnh";
    sg_stamp *small = make_stamp(ORG, SIGNER, NULL, 70), *big = make_stamp(org, signer, NULL, 70);
    double w1, h1, w2, h2;
    sg_stamp_size(small, &w1, &h1);
    sg_stamp_size(big, &w2, &h2);
    assert_true(w1 == w2 && h2 > h1);
    need_judges();
    placed p;
    char *pdf = page_file(state, "long.pdf", big, 0, &p);
    assert_text(pdf, org, signer, TIME);
    assert_rendering(pdf, &p, 0);
    assert_qpdf_clean(pdf);
    g_free(pdf);
    sg_stamp_free(small);
    sg_stamp_free(big);
}

/* A line break or a tab in a name is a space: the same stamp as with spaces. */
static void white_space_is_a_space(void **state)
{
    assert_same_as_plain(state, "Đảng ủy\nxã\tTân Phú\r", "Văn phòng Đảng ủy xã\xc2\xa0Tân Phú");
}

/* The whole stamp without a seal (font subset, ToUnicode, widths, form) adds under 40 KB. */
static void overhead_under_40k(void **state)
{
    sg_stamp *s = make_stamp(ORG, SIGNER, NULL, 70);
    sg_stamp *s2 = stamp_with_seal(state, "seal.png", SEAL_RGBA, 425, 300, 70); /* 36 mm, 300 ppi */
    char *bare = page_file(state, "bare.pdf", NULL, 0, NULL);
    char *stamped = page_file(state, "stamped.pdf", s, 0, NULL);
    char *sealed = page_file(state, "sealed.pdf", s2, 0, NULL);
    long overhead = file_size(stamped) - file_size(bare);
    long with_seal = file_size(sealed) - file_size(bare);
    print_message("stamp overhead: %ld bytes without the seal, %ld with a 425 px seal\n", overhead,
                  with_seal);
    assert_true(overhead > 0 && overhead < 40 * 1024);
    sg_stamp_free(s);
    sg_stamp_free(s2);
    g_free(bare);
    g_free(stamped);
    g_free(sealed);
}

/* FONT cut down to printable ASCII with HarfBuzz's subsetter (the one the stamp uses): a font
 * without Vietnamese letters, the same on every machine. */
static char *ascii_only_font(void **state)
{
    hb_blob_t *blob = hb_blob_create_from_file_or_fail(FONT);
    assert_non_null(blob);
    hb_face_t *face = hb_face_create(blob, 0);
    hb_subset_input_t *input = hb_subset_input_create_or_fail();
    assert_non_null(input);
    hb_set_add_range(hb_subset_input_unicode_set(input), 0x20, 0x7E);
    hb_face_t *subset = hb_subset_or_fail(face, input);
    assert_non_null(subset);
    hb_blob_t *out = hb_face_reference_blob(subset);
    unsigned len = 0;
    const char *data = hb_blob_get_data(out, &len);
    assert_true(len > 1000);
    char *path = test_path(*state, "ascii-only.ttf");
    test_write(path, data, len);
    hb_blob_destroy(out);
    hb_face_destroy(subset);
    hb_subset_input_destroy(input);
    hb_face_destroy(face);
    hb_blob_destroy(blob);
    return path;
}

/* A character the font lacks: SH_INPUT naming the font and the character; a font without
 * Vietnamese letters is refused the same way; a file that is no font too. */
static void font_lacking_a_letter(void **state)
{
    sh_error err;
    assert_int_equal(try_stamp(FONT, ORG, "Trần Văn \xf4\x8f\xbf\xbd", NULL, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, FONT);
    test_assert_contains(err.msg, "U+10FFFD");
    char *ascii = ascii_only_font(state);
    assert_int_equal(try_stamp(ascii, ORG, SIGNER, NULL, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, ascii);
    test_assert_contains(err.msg, "U+00E2 (â)"); /* the first letter of the stamp text it lacks */
    g_free(ascii);
    char *seal = seal_file(state, "seal.png", SEAL_GREY, 50, 300);
    assert_int_equal(try_stamp(seal, ORG, SIGNER, NULL, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, seal);
    char *missing = test_path(*state, "missing.ttf");
    assert_int_equal(try_stamp(missing, ORG, SIGNER, NULL, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, missing);
    g_free(missing);
    g_free(seal);
}

/* An unreadable, corrupt, truncated or oversized seal: SH_INPUT naming it. */
static void bad_seals_refused(void **state)
{
    sh_error err;
    char *missing = test_path(*state, "missing.png");
    assert_int_equal(try_stamp(FONT, ORG, SIGNER, missing, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, missing);

    char *text = test_path(*state, "seal.png");
    test_write(text, "not an image\n", 13);
    assert_int_equal(try_stamp(FONT, ORG, SIGNER, text, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, text);

    char *good = seal_file(state, "good.png", SEAL_RGBA, 200, 300);
    char *cut = test_path(*state, "cut.png");
    size_t n = 0;
    char *data = test_slurp(good, &n);
    test_write(cut, data, n / 2);
    assert_int_equal(try_stamp(FONT, ORG, SIGNER, cut, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, cut);
    data[n / 2] ^= 0x55; /* a damaged IDAT: a bad CRC */
    test_write(cut, data, n);
    assert_int_equal(try_stamp(FONT, ORG, SIGNER, cut, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, cut);
    g_free(data);

    char *huge = test_path(*state, "huge.png");
    write_huge_png(huge);
    assert_int_equal(try_stamp(FONT, ORG, SIGNER, huge, 70, &err), SH_INPUT);
    test_assert_contains(err.msg, huge);
    test_assert_contains(err.msg, "5000");

    assert_int_equal(try_stamp(FONT, ORG, SIGNER, good, 70, &err), SH_OK);
    assert_int_equal(try_stamp(FONT, ORG, SIGNER, good, 10, &err), SH_USAGE);
    assert_int_equal(try_stamp(FONT, "\xff\xfe", SIGNER, good, 70, &err), SH_INPUT);
    g_free(huge);
    g_free(good);
    g_free(cut);
    g_free(text);
    g_free(missing);
}

/* ---- where the stamp goes (stamp_place.c) ---- */

#define A4_W 595.0
#define A4_H 842.0
#define STAMP_W 198.0 /* 70 mm */
#define STAMP_H 60.0
#define PX_PER_PT (50.0 / 72.0)

/* A white picture of an A4 page at 50 ppi. */
static uint8_t *white_page(uint32_t *w, uint32_t *h)
{
    *w = (uint32_t)lround(A4_W * PX_PER_PT);
    *h = (uint32_t)lround(A4_H * PX_PER_PT);
    uint8_t *px = g_malloc((size_t)*w * *h);
    memset(px, 255, (size_t)*w * *h);
    return px;
}

/* Black over the display rectangle (points, from the top-left corner). */
static void ink(uint8_t *px, uint32_t w, uint32_t h, double x0, double y0, double x1, double y1)
{
    for (uint32_t y = (uint32_t)(y0 * PX_PER_PT); y < (uint32_t)ceil(y1 * PX_PER_PT) && y < h; y++)
        for (uint32_t x = (uint32_t)(x0 * PX_PER_PT); x < (uint32_t)ceil(x1 * PX_PER_PT) && x < w;
             x++)
            px[(size_t)y * w + x] = 0;
}

static bool overlaps(double ax0, double ay0, double ax1, double ay1, double bx0, double by0,
                     double bx1, double by1)
{
    return ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1;
}

/* A stamp at (x, y) (display points, top-left) lies in the top-right quarter of A4, margin
 * from the top and right edges. */
static void assert_in_quarter(double x, double y, double margin)
{
    if (!(x >= A4_W / 2 - 1e-6 && x + STAMP_W <= A4_W - margin + 1e-6 && y >= margin - 1e-6 &&
          y + STAMP_H <= A4_H / 2 + 1e-6))
        fail_msg("the stamp at (%.1f, %.1f) leaves the top-right quarter", x, y);
}

static void least_ink_blank_page_is_the_corner(void **state)
{
    (void)state;
    uint32_t w, h;
    uint8_t *px = white_page(&w, &h);
    double x, y;
    sg_stamp_least_ink(px, w, h, A4_W, A4_H, STAMP_W, STAMP_H, MARGIN, &x, &y);
    assert_true(x == A4_W - MARGIN - STAMP_W && y == MARGIN);
    /* a page inked all over its quarter: no place is better, the corner stays */
    ink(px, w, h, A4_W / 2, 0, A4_W, A4_H / 2);
    sg_stamp_least_ink(px, w, h, A4_W, A4_H, STAMP_W, STAMP_H, MARGIN, &x, &y);
    assert_true(x == A4_W - MARGIN - STAMP_W && y == MARGIN);
    g_free(px);
}

/* Mẫu 2-HSĐV prints "ĐẢNG CỘNG SẢN VIỆT NAM" and a rule under it top right: the stamp goes
 * where it covers neither, near the corner, in the top-right quarter. */
static void least_ink_keeps_off_the_header(void **state)
{
    (void)state;
    uint32_t w, h;
    uint8_t *px = white_page(&w, &h);
    const double header[4] = {330, 40, 560, 54}, rule[4] = {390, 62, 500, 64};
    ink(px, w, h, header[0], header[1], header[2], header[3]);
    ink(px, w, h, rule[0], rule[1], rule[2], rule[3]);
    ink(px, w, h, 60, 160, 540, 170); /* a body line across the page, further down */
    double x, y;
    sg_stamp_least_ink(px, w, h, A4_W, A4_H, STAMP_W, STAMP_H, MARGIN, &x, &y);
    assert_in_quarter(x, y, MARGIN);
    const double *boxes[3] = {header, rule, (const double[4]){60, 160, 540, 170}};
    for (int i = 0; i < 3; i++)
        if (overlaps(x, y, x + STAMP_W, y + STAMP_H, boxes[i][0], boxes[i][1], boxes[i][2],
                     boxes[i][3]))
            fail_msg("the stamp at (%.1f, %.1f) covers ink %d", x, y, i);
    /* the nearest free place: just under the rule, above the body line, at the right margin */
    assert_true(y >= 64 && y + STAMP_H <= 160);
    assert_true(fabs(x - (A4_W - MARGIN - STAMP_W)) < 2);
    g_free(px);
}

/* The corner of each rotation, as the page is displayed, in default user space. */
static void place_fixed_is_the_corner_of_every_rotation(void **state)
{
    (void)state;
    const double box[4] = {0, 0, A4_W, A4_H};
    const double want[4][4] = {
        {A4_W - MARGIN - STAMP_W, A4_H - MARGIN - STAMP_H, A4_W - MARGIN, A4_H - MARGIN},
        {MARGIN, A4_H - MARGIN - STAMP_W, MARGIN + STAMP_H, A4_H - MARGIN},
        {MARGIN, MARGIN, MARGIN + STAMP_W, MARGIN + STAMP_H},
        {A4_W - MARGIN - STAMP_H, MARGIN, A4_W - MARGIN, MARGIN + STAMP_W}};
    for (int i = 0; i < 4; i++) {
        sg_stamp_spot spot;
        sg_stamp_place("/nonexistent.pdf", NULL, 0, box, 90 * i, STAMP_W, STAMP_H, MARGIN,
                       SG_PLACE_FIXED, &spot);
        assert_true(spot.scale == 1 && !spot.moved);
        for (int k = 0; k < 4; k++)
            if (fabs(spot.rect[k] - want[i][k]) > 1e-9)
                fail_msg("/Rotate %d: rect[%d] = %g, expected %g", 90 * i, k, spot.rect[k],
                         want[i][k]);
    }
}

/* A page smaller than the stamp (a 4 × 4 pt page, a 200 × 50 pt label, a small CropBox): the
 * stamp is scaled down, its proportions kept, inside the box, in its top-right quarter. */
static void place_scales_down_on_small_pages(void **state)
{
    (void)state;
    const double boxes[3][4] = {{0, 0, 4, 4}, {0, 0, 200, 50}, {100, 100, 300, 150}};
    for (int b = 0; b < 3; b++)
        for (int r = 0; r < 360; r += 90) {
            const double *box = boxes[b];
            sg_stamp_spot spot;
            sg_stamp_place("/nonexistent.pdf", NULL, 0, box, r, STAMP_W, STAMP_H, MARGIN,
                           SG_PLACE_AUTO, &spot);
            assert_true(spot.scale > 0 && spot.scale < 1);
            const double *q = spot.rect;
            if (q[0] < box[0] - 1e-9 || q[1] < box[1] - 1e-9 || q[2] > box[2] + 1e-9 ||
                q[3] > box[3] + 1e-9)
                fail_msg("box %d, /Rotate %d: [%g %g %g %g] is outside [%g %g %g %g]", b, r, q[0],
                         q[1], q[2], q[3], box[0], box[1], box[2], box[3]);
            double rw = q[2] - q[0], rh = q[3] - q[1];
            bool turned = r == 90 || r == 270;
            double shown_w = turned ? rh : rw, shown_h = turned ? rw : rh;
            assert_true(fabs(shown_w - STAMP_W * spot.scale) < 1e-6);
            assert_true(fabs(shown_h - STAMP_H * spot.scale) < 1e-6);
        }
    /* pages that hold it are not scaled */
    sg_stamp_spot spot;
    sg_stamp_place("/nonexistent.pdf", NULL, 0, (const double[4]){0, 0, A4_W, A4_H}, 0, STAMP_W,
                   STAMP_H, MARGIN, SG_PLACE_FIXED, &spot);
    assert_true(spot.scale == 1);
}

/* On a real page, rendered by Poppler: ink in the corner (drawn as text and a rule, as forms
 * print their header) is not covered. */
static void place_auto_on_a_rendered_page(void **state)
{
    char *pdf = test_path(*state, "header.pdf");
    sh_error err;
    pdf_writer *w = pdf_writer_new(pdf, 7, false, &err);
    assert_non_null(w);
    int catalog = pdf_object_reserve(w), pages = pdf_object_reserve(w);
    int page = pdf_object_reserve(w), content = pdf_object_reserve(w);
    test_pdf_page_tree(w, catalog, pages, page);
    pdf_object_begin(w, page);
    pdf_printf(w,
               "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font "
               "<< /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> "
               "/Contents %d 0 R >>",
               pages, content);
    pdf_object_end(w);
    /* the header at 792-804 from the bottom (38-50 from the top), the rule at 770-772 */
    static const char ops[] = "BT /F1 14 Tf 330 792 Td (DANG CONG SAN VIET NAM) Tj ET\n"
                              "0 g 390 770 120 2 re f\n";
    pdf_stream_begin(w, content, "", strlen(ops));
    pdf_write(w, ops, strlen(ops));
    pdf_stream_end(w);
    assert_int_equal(pdf_writer_finish(w, catalog, 0, NULL, &err), SH_OK);
    sg_stamp_spot spot;
    sg_stamp_place(pdf, NULL, 0, (const double[4]){0, 0, A4_W, A4_H}, 0, STAMP_W, STAMP_H, MARGIN,
                   SG_PLACE_AUTO, &spot);
    assert_true(spot.moved && spot.scale == 1);
    const double *q = spot.rect;
    if (overlaps(q[0], q[1], q[2], q[3], 330, 788, 565, 806) ||
        overlaps(q[0], q[1], q[2], q[3], 390, 770, 510, 772))
        fail_msg("the stamp [%g %g %g %g] covers the header", q[0], q[1], q[2], q[3]);
    assert_true(q[0] >= A4_W / 2 && q[3] <= A4_H - MARGIN + 1e-9 && q[1] >= A4_H / 2);
    sg_stamp_place(pdf, NULL, 0, (const double[4]){0, 0, A4_W, A4_H}, 0, STAMP_W, STAMP_H, MARGIN,
                   SG_PLACE_FIXED, &spot);
    assert_false(spot.moved);
    g_free(pdf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stamp_upright_on_every_rotation, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(font_and_seal_as_judged, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(seal_actual_size, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(large_seal_scaled_down, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(nfd_input_same_as_nfc, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(written_again_and_again, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(long_names_wrap_at_words, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(white_space_is_a_space, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(overhead_under_40k, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(font_lacking_a_letter, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(bad_seals_refused, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test(least_ink_blank_page_is_the_corner),
        cmocka_unit_test(least_ink_keeps_off_the_header),
        cmocka_unit_test(place_fixed_is_the_corner_of_every_rotation),
        cmocka_unit_test(place_scales_down_on_small_pages),
        cmocka_unit_test_setup_teardown(place_auto_on_a_rendered_page, test_setup_tmpdir,
                                        test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
