/* The HTML report of validate: a run of two organisations with passed and failed files, a
 * folder entry, every kind of page mark on synthetic scanned pages, and a file name meant to
 * break the page. The page must be self-contained and escaped, count right, be published
 * atomically, and draw in a real browser (headless Chromium, judged from its screenshot). */
#include "testutil.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <png.h>
#include <string.h>

#include "page_impl.h"
#include "validate/validate.h"
#include "report_impl.h"

#define ORG_A "93.000.036.001.015"
#define ORG_B "93.000.036.001.016"
#define DOSSIER_A "012345678901_NguyenVanA"
#define DOSSIER_B "001086000123_TranThiBinh"
#define HOSTILE_NAME "<script>alert(\"x\")</script> & 'Lý lịch'.pdf"
#define HOSTILE_ESCAPED                                                                            \
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Lý lịch&#39;.pdf"

/* ---- Synthetic pages ----------------------------------------------------------------------- */

/* Is (u, v), in the upright page's own coordinates, inside a word of a text line? */
static bool in_text(double u, double v, double page_w, double page_h)
{
    const double margin = page_w * 0.09, top = page_h * 0.08, pitch = 15, stroke = 6;
    if (u < margin || u > page_w - margin || v < top || v > page_h - top)
        return false;
    int line = (int)((v - top) / pitch);
    if (fmod(v - top, pitch) > stroke)
        return false;
    if (line % 9 == 8) /* paragraph breaks */
        return false;
    /* Words of varying width, separated by gaps; the last line of a paragraph ends early. */
    int word = (int)(u / 19);
    if ((word * 7 + line * 3) % 5 == 0)
        return false;
    return !(line % 9 == 7 && u > page_w * 0.55);
}

/* A w × h grey page (paper 238, ink 45) with text lines tilted by tilt_deg (counter-clockwise
 * positive), or lying on their side (the page turned a quarter), or none at all. */
static uint8_t *make_page(uint32_t w, uint32_t h, double tilt_deg, bool sideways, bool blank)
{
    uint8_t *px = g_malloc((size_t)w * h);
    double a = tilt_deg * G_PI / 180, cx = w / 2.0, cy = h / 2.0;
    double page_w = sideways ? h : w, page_h = sideways ? w : h;
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            /* Undo the tilt (screen y is down), then the quarter turn. */
            double dx = x - cx, dy = y - cy;
            double ux = cx + dx * cos(a) - dy * sin(a), uy = cy + dx * sin(a) + dy * cos(a);
            double u = sideways ? uy : ux, v = sideways ? (w - 1 - ux) : uy;
            bool ink = !blank && in_text(u, v, page_w, page_h);
            px[(size_t)y * w + x] = ink ? 45 : (uint8_t)(236 + (x * 7 + y * 13) % 5);
        }
    }
    return px;
}

/* ---- Reports ------------------------------------------------------------------------------- */

static vd_file_report *new_report(vd_entry_kind kind, const char *path, const char *org,
                                  const char *dossier, int pages, bool passed)
{
    vd_file_report *r = g_new0(vd_file_report, 1);
    r->kind = kind;
    r->path = g_strdup(path);
    r->org = g_strdup(org);
    r->dossier = g_strdup(dossier);
    r->pages = pages;
    r->passed = passed;
    if (kind == VD_ENTRY_FILE) {
        r->has_sha256 = true;
        memset(r->sha256, 'a', SH_SHA256_HEX_LEN);
    }
    return r;
}

static void add_finding(vd_file_report *r, const char *code, sh_severity severity, int page,
                        const char *message, const char *suggestion)
{
    r->findings = g_renew(vd_finding, r->findings, r->n_findings + 1);
    r->findings[r->n_findings++] = (vd_finding){.code = g_strdup(code),
                                                .severity = severity,
                                                .page = page,
                                                .message = g_strdup(message),
                                                .suggestion = g_strdup(suggestion)};
}

/* A thumbnail of page `page`: a portrait page, or a landscape one for a page on its side. */
static vd_thumb *add_thumb(vd_file_report *r, int page, double tilt_deg, bool sideways, bool blank)
{
    r->thumbs = g_renew(vd_thumb, r->thumbs, r->n_thumbs + 1);
    vd_thumb *t = &r->thumbs[r->n_thumbs++];
    *t = (vd_thumb){.page = page, .w = sideways ? 360 : 255, .h = sideways ? 255 : 360};
    t->px = make_page(t->w, t->h, tilt_deg, sideways, blank);
    return t;
}

static void add_and_free(vd_html *h, vd_file_report *r)
{
    sh_error err;
    if (vd_html_add(h, r, &err) != SH_OK)
        fail_msg("vd_html_add: %s", err.msg);
    vd_file_report_free(r);
    g_free(r);
}

/* The cropped page and its missing corner: first, so that a screenshot shows them. */
static vd_file_report *hostile_cropped_file(void)
{
    vd_file_report *r =
        new_report(VD_ENTRY_FILE, ORG_A "/" DOSSIER_A "/" HOSTILE_NAME, ORG_A, DOSSIER_A, 2, false);
    add_finding(r, "name.file", SH_ERROR, 0, "Tên tệp <không> hợp lệ & có ký tự lạ",
                "02.Ly lich dang vien.pdf");
    add_finding(r, "page.cropped", SH_ERROR, 1, "Trang 1 bị cắt mất mép phải và mép dưới.", NULL);
    add_finding(r, "page.cropped", SH_ERROR, 2, "Trang 2 mất góc trên bên trái.", NULL);
    add_thumb(r, 1, 0, false, false)->cropped_edges = VD_EDGE_RIGHT | VD_EDGE_BOTTOM;
    add_thumb(r, 2, 0, false, false)->corner = VD_CORNER_TOP_LEFT;
    return r;
}

static vd_file_report *turned_and_tilted_file(void)
{
    vd_file_report *r = new_report(VD_ENTRY_FILE, ORG_A "/" DOSSIER_A "/03.Don xin vao Dang.pdf",
                                   ORG_A, DOSSIER_A, 3, false);
    add_finding(r, "page.rotated", SH_ERROR, 1,
                "Trang 1 nằm ngang: xoay 90° theo chiều kim đồng hồ.", NULL);
    add_finding(r, "page.skewed", SH_ERROR, 2, "Trang 2 bị nghiêng 2.4°.", NULL);
    add_finding(r, "page.rotated", SH_ERROR, 3, "Trang 3 bị lộn ngược.", NULL);
    add_thumb(r, 1, 0, true, false)->rotate = 90;
    vd_thumb *tilted = add_thumb(r, 2, 2.4, false, false);
    tilted->skewed = true;
    tilted->skew_deg = 2.4;
    add_thumb(r, 3, 0, false, false)->rotate = 180;
    return r;
}

static vd_file_report *blank_duplicate_low_dpi_file(void)
{
    vd_file_report *r = new_report(VD_ENTRY_FILE, ORG_B "/" DOSSIER_B "/05.Ban tu kiem diem.pdf",
                                   ORG_B, DOSSIER_B, 5, false);
    add_finding(r, "page.blank", SH_ERROR, 2, "Trang 2 để trắng.", NULL);
    add_finding(r, "page.duplicate", SH_ERROR, 4, "Trang 4 trùng trang 3.", NULL);
    add_finding(r, "page.low_dpi", SH_WARNING, 5, "Trang 5 quét ở 150 dpi.", NULL);
    add_thumb(r, 2, 0, false, true)->blank = true;
    add_thumb(r, 4, 0, false, false)->duplicate_of = 3;
    add_thumb(r, 5, 0, false, false)->low_dpi = true;
    return r;
}

/* The run: organisation A has one file passed, two failed and a folder entry; B one passed
 * (with a warning) and one failed. 5 files, 2 passed, 3 failed, 16 pages. */
static vd_summary write_run(const char *html_path)
{
    sh_error err;
    vd_html *h = NULL;
    if (vd_html_begin(html_path, &h, &err) != SH_OK)
        fail_msg("vd_html_begin: %s", err.msg);
    add_and_free(h, hostile_cropped_file());
    add_and_free(h, new_report(VD_ENTRY_FILE, ORG_A "/" DOSSIER_A "/02.Ly lich dang vien.pdf",
                               ORG_A, DOSSIER_A, 4, true));
    add_and_free(h, turned_and_tilted_file());
    vd_file_report *folder =
        new_report(VD_ENTRY_FOLDER, ORG_A "/" DOSSIER_A, ORG_A, DOSSIER_A, 0, false);
    add_finding(folder, "dossier.missing_priority1", SH_ERROR, 0,
                "Hồ sơ thiếu tài liệu ưu tiên 1: 01.Phieu dang vien.", NULL);
    add_and_free(h, folder);
    add_and_free(h, blank_duplicate_low_dpi_file());
    vd_file_report *warned = new_report(
        VD_ENTRY_FILE, ORG_B "/" DOSSIER_B "/02.Ly lich dang vien.pdf", ORG_B, DOSSIER_B, 2, true);
    add_finding(warned, "page.low_dpi", SH_WARNING, 1, "Trang 1 quét ở 200 dpi.", NULL);
    add_and_free(h, warned);
    vd_summary sum = {.files = 5,
                      .passed = 2,
                      .failed = 3,
                      .pages = 16,
                      .dossiers = 2,
                      .errors = 9,
                      .warnings = 2,
                      .seconds = 3.25};
    if (vd_html_finish(h, "/srv/sohoa/" ORG_A, &sum, &err) != SH_OK)
        fail_msg("vd_html_finish: %s", err.msg);
    return sum;
}

/* ---- Checks on the text -------------------------------------------------------------------- */

static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Every src= and href= is a data: URI, and nothing names the network. */
static void assert_self_contained(const char *html)
{
    char *lower = g_ascii_strdown(html, -1);
    assert_null(strstr(lower, "http://"));
    assert_null(strstr(lower, "https://"));
    assert_null(strstr(lower, "url("));
    assert_null(strstr(lower, "@import"));
    assert_null(strstr(lower, "<script"));
    assert_null(strstr(lower, "<link"));
    static const char *const attributes[] = {"src=", "href="};
    for (size_t i = 0; i < G_N_ELEMENTS(attributes); i++)
        for (const char *p = strstr(lower, attributes[i]); p; p = strstr(p + 1, attributes[i]))
            if (strncmp(p + strlen(attributes[i]), "\"data:", 6) != 0)
                fail_msg("not a data: URI: %.60s", p);
    g_free(lower);
}

static char *read_text(const char *path)
{
    char *text = NULL;
    sh_error err;
    size_t len = 0;
    if (sh_read_file(path, 64u << 20, &text, &len, &err) != SH_OK)
        fail_msg("%s", err.msg);
    return text;
}

static size_t files_in(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    assert_non_null(d);
    size_t n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

/* ---- Tests --------------------------------------------------------------------------------- */

static void png_round_trip(void **state)
{
    (void)state;
    enum { W = 37, H = 21, STRIDE = 40 };
    uint8_t px[STRIDE * H];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)(i * 31);
    uint8_t *png = NULL;
    size_t len = 0;
    sh_error err;
    assert_int_equal(vd_png_grey(px, W, H, STRIDE, &png, &len, &err), SH_OK);
    png_image image = {.version = PNG_IMAGE_VERSION};
    assert_true(png_image_begin_read_from_memory(&image, png, len));
    assert_int_equal(image.width, W);
    assert_int_equal(image.height, H);
    image.format = PNG_FORMAT_GRAY;
    uint8_t back[W * H];
    assert_true(png_image_finish_read(&image, NULL, back, W, NULL));
    for (int y = 0; y < H; y++)
        assert_memory_equal(back + y * W, px + y * STRIDE, W);
    g_free(png);
    assert_int_equal(vd_png_grey(px, 0, H, STRIDE, &png, &len, &err), SH_INTERNAL);
}

static void report_counts_escapes_and_stands_alone(void **state)
{
    char *out = test_mkdirs(*state, "counts");
    char *path = test_path(out, "report.html");
    write_run(path);
    assert_int_equal(files_in(out), 1); /* the page, and no scratch or temp file */
    char *html = read_text(path);
    assert_true(g_utf8_validate(html, -1, NULL));
    assert_self_contained(html);
    test_assert_contains(html, "<meta charset=\"utf-8\">");
    test_assert_contains(html, "<html lang=\"vi\">");
    test_assert_contains(html, HOSTILE_ESCAPED);
    test_assert_contains(html, "Tên tệp &lt;không&gt; hợp lệ &amp; có ký tự lạ");
    /* The summary, the chart per organisation and the table by code. */
    test_assert_contains(html, "class=\"files\" data-n=\"5\"");
    test_assert_contains(html, "class=\"failed\" data-n=\"3\"");
    test_assert_contains(html, "data-org=\"" ORG_A "\" data-passed=\"1\" data-failed=\"2\"");
    test_assert_contains(html, "data-org=\"" ORG_B "\" data-passed=\"1\" data-failed=\"1\"");
    test_assert_contains(html, "data-code=\"page.low_dpi\" data-errors=\"0\" data-warnings=\"2\"");
    test_assert_contains(html, "data-code=\"page.rotated\" data-errors=\"2\" data-warnings=\"0\"");
    test_assert_contains(html, "data-code=\"dossier.missing_priority1\" data-errors=\"1\"");
    test_assert_contains(html, "class=\"verdict bad\"");
    /* The failed files and the folder are shown, the passed ones are not. */
    assert_int_equal(occurrences(html, "<section class=\"entry"), 4);
    assert_int_equal(occurrences(html, "<section class=\"entry folder\">"), 1);
    assert_null(strstr(html, "02.Ly lich dang vien.pdf</span>"));
    /* Every flagged page has its picture, and every mark is drawn. */
    assert_int_equal(occurrences(html, "<figure"), 8);
    assert_int_equal(occurrences(html, "href=\"data:image/png;base64,"), 8);
    assert_int_equal(occurrences(html, "<rect class=\"edge\""), 2);
    assert_int_equal(occurrences(html, "<polygon class=\"corner\""), 1);
    assert_int_equal(occurrences(html, "<path class=\"turn\""), 2);
    test_assert_contains(html, ">90°</text>");
    test_assert_contains(html, ">180°</text>");
    test_assert_contains(html, ">2.4°</text>");
    assert_int_equal(occurrences(html, "class=\"badge\""), 3);
    test_assert_contains(html, "<li class=\"warning\">");
    test_assert_contains(html, "<li class=\"error\">");
    g_free(html);
    g_free(path);
    g_free(out);
}

static void all_passed_is_plain(void **state)
{
    char *out = test_mkdirs(*state, "passed");
    char *path = test_path(out, "report.html");
    sh_error err;
    vd_html *h = NULL;
    assert_int_equal(vd_html_begin(path, &h, &err), SH_OK);
    add_and_free(h, new_report(VD_ENTRY_FILE, ORG_A "/" DOSSIER_A "/02.Ly lich dang vien.pdf",
                               ORG_A, DOSSIER_A, 4, true));
    assert_int_equal(vd_html_finish(h, ORG_A, NULL, &err), SH_OK); /* counted here */
    char *html = read_text(path);
    test_assert_contains(html, "class=\"verdict ok\"");
    test_assert_contains(html, "class=\"files\" data-n=\"1\"");
    test_assert_contains(html, "data-passed=\"1\" data-failed=\"0\"");
    assert_null(strstr(html, "<section class=\"entry"));
    assert_self_contained(html);
    g_free(html);
    g_free(path);
    g_free(out);
}

/* page.duplicate pairs side by side: a page and the page of another file it repeats (that
 * file's name is hostile: escaped), and, in a file that passed, a page that only looks like an
 * earlier one (a warning): shown all the same, both pictures, the differing place framed. */
static void duplicate_pairs_side_by_side(void **state)
{
    char *out = test_mkdirs(*state, "pairs");
    char *path = test_path(out, "report.html");
    sh_error err;
    vd_html *h = NULL;
    assert_int_equal(vd_html_begin(path, &h, &err), SH_OK);
    vd_file_report *r = new_report(VD_ENTRY_FILE, ORG_A "/" DOSSIER_A "/03.Phieu dang vien.pdf",
                                   ORG_A, DOSSIER_A, 1, false);
    add_finding(r, "page.duplicate", SH_ERROR, 1, "Trang 1 là trang 2 của tệp khác.", NULL);
    vd_thumb *t = add_thumb(r, 1, 0, false, false);
    t->twin =
        (vd_twin){.page = 2, .file = g_strdup(HOSTILE_NAME), .confident = true, .w = 255, .h = 360};
    t->twin.px = make_page(255, 360, 0, false, false);
    add_and_free(h, r);
    vd_file_report *near =
        new_report(VD_ENTRY_FILE, ORG_A "/" DOSSIER_A "/04.Don.pdf", ORG_A, DOSSIER_A, 3, true);
    add_finding(near, "page.duplicate", SH_WARNING, 3, "Trang 3 giống trang 1.", NULL);
    t = add_thumb(near, 3, 0, false, false);
    t->twin = (vd_twin){.page = 1, .n_areas = 1, .w = 255, .h = 360}; /* its picture not kept */
    t->twin.here[0].x = t->twin.there[0].x = 0.5f;
    t->twin.here[0].y = t->twin.there[0].y = 0.25f;
    t->twin.here[0].w = t->twin.there[0].w = 0.1f;
    t->twin.here[0].h = t->twin.there[0].h = 0.05f;
    add_and_free(h, near);
    assert_int_equal(vd_html_finish(h, ORG_A, NULL, &err), SH_OK);
    char *html = read_text(path);
    assert_int_equal(occurrences(html, "class=\"thumb pair\""), 2);
    assert_int_equal(occurrences(html, "<image "), 3);          /* the one missing: a grey sheet */
    test_assert_contains(html, "Trang 2 của " HOSTILE_ESCAPED); /* the run is in Vietnamese */
    assert_null(strstr(html, HOSTILE_NAME));
    test_assert_contains(html, "Trang 1 là trang 2 của " HOSTILE_ESCAPED " bị quét lại");
    test_assert_contains(html, "Trang 3 trông như trang 1: hãy đối chiếu");
    assert_int_equal(occurrences(html, "class=\"differs\""), 2); /* on both pages */
    test_assert_contains(html, "04.Don.pdf");                    /* passed, shown for its pair */
    assert_self_contained(html);
    g_free(html);
    g_free(path);
    g_free(out);
}

static void abort_leaves_the_old_page(void **state)
{
    char *out = test_mkdirs(*state, "abort");
    char *path = test_path(out, "report.html");
    test_write(path, "old", 3);
    sh_error err;
    vd_html *h = NULL;
    assert_int_equal(vd_html_begin(path, &h, &err), SH_OK);
    add_and_free(h, hostile_cropped_file());
    vd_html_abort(h);
    vd_html_abort(NULL);
    assert_int_equal(files_in(out), 1);
    char *text = read_text(path);
    assert_string_equal(text, "old");
    g_free(text);
    g_unlink(path);
    assert_int_equal(vd_html_begin(path, &h, &err), SH_OK);
    vd_html_abort(h);
    assert_int_equal(files_in(out), 0);
    g_free(path);
    g_free(out);
}

static void unwritable_places_are_named(void **state)
{
    char *missing = test_path(*state, "no-such-folder/report.html");
    sh_error err;
    vd_html *h = NULL;
    assert_int_equal(vd_html_begin(missing, &h, &err), SH_USAGE);
    assert_null(h);
    test_assert_contains(err.msg, missing);
    assert_int_equal(vd_html_begin(*state, &h, &err), SH_USAGE);
    test_assert_contains(err.msg, *state);
    g_free(missing);
}

/* ---- The browser's judgement --------------------------------------------------------------- */

typedef struct {
    uint8_t *rgb;
    uint32_t w, h;
} picture;

static picture load_png(const char *path)
{
    png_image image = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_file(&image, path))
        fail_msg("%s: %s", path, image.message);
    image.format = PNG_FORMAT_RGB;
    picture p = {g_malloc(PNG_IMAGE_SIZE(image)), image.width, image.height};
    if (!png_image_finish_read(&image, NULL, p.rgb, 0, NULL))
        fail_msg("%s: %s", path, image.message);
    return p;
}

/* Pixels within `tolerance` of a colour given as 0xRRGGBB. */
static size_t pixels_near(const picture *p, uint32_t colour, int tolerance)
{
    int r = colour >> 16, g = (colour >> 8) & 0xff, b = colour & 0xff;
    size_t n = 0;
    for (size_t i = 0; i < (size_t)p->w * p->h; i++) {
        const uint8_t *px = p->rgb + 3 * i;
        if (abs(px[0] - r) <= tolerance && abs(px[1] - g) <= tolerance &&
            abs(px[2] - b) <= tolerance)
            n++;
    }
    return n;
}

static size_t strongly_red(const picture *p)
{
    size_t n = 0;
    for (size_t i = 0; i < (size_t)p->w * p->h; i++) {
        const uint8_t *px = p->rgb + 3 * i;
        n += px[0] > 180 && px[1] < 80 && px[2] < 80;
    }
    return n;
}

static size_t not_white(const picture *p)
{
    size_t n = 0;
    for (size_t i = 0; i < (size_t)p->w * p->h; i++) {
        const uint8_t *px = p->rgb + 3 * i;
        n += px[0] < 200 || px[1] < 200 || px[2] < 200;
    }
    return n;
}

static void chromium_draws_the_marks_and_the_chart(void **state)
{
    bool ok = false;
    g_free(test_run("command -v chromium", &ok));
    if (!ok)
        fail_msg("chromium is not installed; scripts/install-deps.sh installs it");
    char *out = test_mkdirs(*state, "browser");
    char *path = test_path(out, "report.html");
    write_run(path);
    char *shot = test_path(*state, "screenshot.png");
    char *profile = test_path(*state, "chromium-profile");
    char *uri = g_filename_to_uri(path, NULL, NULL);
    char *q_shot = g_shell_quote(shot), *q_profile = g_shell_quote(profile),
         *q_uri = g_shell_quote(uri);
    char *cmd = g_strdup_printf("timeout 60 chromium --headless --no-sandbox --disable-gpu "
                                "--hide-scrollbars --no-first-run --user-data-dir=%s "
                                "--window-size=1280,2000 --screenshot=%s %s",
                                q_profile, q_shot, q_uri);
    g_free(test_run(cmd, &ok));
    if (!ok || !g_file_test(shot, G_FILE_TEST_IS_REGULAR))
        fail_msg("chromium made no screenshot: %s", cmd);
    picture p = load_png(shot);
    assert_int_equal(p.w, 1280);
    assert_int_equal(p.h, 2000);
    size_t total = (size_t)p.w * p.h;
    assert_true(not_white(&p) > total / 50);              /* text, tiles, pictures */
    assert_true(strongly_red(&p) > 2000);                 /* the marks on the pages */
    assert_true(pixels_near(&p, 0x2e7d32, 12) > 800);     /* the passed bars */
    assert_true(pixels_near(&p, 0xe8710a, 12) > 800);     /* the failed bars */
    const char *keep = g_getenv("SOHOA_KEEP_SCREENSHOT"); /* to look at it, and the page */
    if (keep) {
        char *q_keep = g_shell_quote(keep), *q_path = g_shell_quote(path);
        char *copy = g_strdup_printf("cp %s %s && cp %s %s.html", q_shot, q_keep, q_path, q_keep);
        g_free(q_keep);
        g_free(q_path);
        g_free(test_run(copy, NULL));
        g_free(copy);
    }
    g_free(p.rgb);
    g_free(cmd);
    g_free(q_uri);
    g_free(q_profile);
    g_free(q_shot);
    g_free(uri);
    g_free(profile);
    g_free(shot);
    g_free(path);
    g_free(out);
}

int main(void)
{
    sh_error err;
    if (sh_i18n_init("vi", &err) != SH_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(png_round_trip),
        cmocka_unit_test(report_counts_escapes_and_stands_alone),
        cmocka_unit_test(all_passed_is_plain),
        cmocka_unit_test(duplicate_pairs_side_by_side),
        cmocka_unit_test(abort_leaves_the_old_page),
        cmocka_unit_test(unwritable_places_are_named),
        cmocka_unit_test(chromium_draws_the_marks_and_the_chart),
    };
    return cmocka_run_group_tests(tests, test_setup_tmpdir, test_teardown_tmpdir);
}
