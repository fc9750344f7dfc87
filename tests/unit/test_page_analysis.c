/* Page analysis (validate/page.h) on pages drawn here: text-like lines built the way Vietnamese
 * lines are (a core band, more marks above it than below: ascenders, capitals, diacritics; left
 * ends aligned, right ends ragged), turned, tilted, cut and soiled; blank paper with dust, holes,
 * a lid strip and a tint; a page with only a signature. The labelled corpus of real-looking pages
 * is measured by bench/bench_page_analysis.sh. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "page_impl.h"

#define PPI 150
#define W 1240 /* A4 at 150 ppi */
#define H 1754
#define PAPER 240
#define INK 25

typedef struct {
    uint32_t w, h;
    uint8_t *px;
} canvas;

static canvas blank_canvas(uint32_t w, uint32_t h, uint8_t paper)
{
    canvas c = {w, h, malloc((size_t)w * h)};
    assert_non_null(c.px);
    memset(c.px, paper, (size_t)w * h);
    return c;
}

static void fill(canvas *c, int x0, int y0, int x1, int y1, uint8_t v)
{
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < (int)c->h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < (int)c->w; x++)
            c->px[(size_t)y * c->w + (size_t)x] = v;
}

static void disc(canvas *c, double cx, double cy, double r, uint8_t v)
{
    for (int y = (int)(cy - r); y <= (int)(cy + r); y++)
        for (int x = (int)(cx - r); x <= (int)(cx + r); x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r && x >= 0 && y >= 0 &&
                x < (int)c->w && y < (int)c->h)
                c->px[(size_t)y * c->w + (size_t)x] = v;
}

/* Lines of "words" from x0: letters 6-9 px wide (not on a grid: real letters do not line up in
 * columns) with a 10 px core; a third carry an ascender or a capital's height, a third a
 * diacritic above, one in twelve a descender. */
static void text(canvas *c, unsigned seed, int x0, int y0, int lines, int right)
{
    srand(seed);
    for (int l = 0; l < lines; l++) {
        int base = y0 + l * 30, x = x0;
        int end = right - (l % 4 == 3 ? rand() % (right - x0) / 2 : rand() % 60);
        while (x < end) {
            int letters = 2 + rand() % 6;
            for (int k = 0; k < letters && x < end; k++) {
                int lw = 6 + rand() % 4;
                fill(c, x, base - 10, x + 2, base, INK);           /* the core: two stems */
                fill(c, x + lw - 2, base - 10, x + lw, base, INK); /* and a bowl's top, bottom */
                fill(c, x, base - 10, x + lw, base - 8, INK);
                fill(c, x, base - 2, x + lw, base, INK);
                int r = rand() % 12;
                if (r < 4)
                    fill(c, x, base - 16, x + 2, base - 10, INK); /* ascender */
                else if (r < 8)
                    fill(c, x + 2, base - 15, x + 5, base - 12, INK); /* diacritic */
                else if (r == 8)
                    fill(c, x + lw - 2, base, x + lw, base + 6, INK); /* descender */
                x += lw + 1 + rand() % 3;
            }
            x += 8;
        }
    }
}

static canvas text_page(unsigned seed)
{
    canvas c = blank_canvas(W, H, PAPER);
    text(&c, seed, 140, 160, 45, W - 140);
    return c;
}

/* Turned clockwise by 90 degrees, as a page put sideways on the glass. */
static canvas turn_cw(canvas in)
{
    canvas c = blank_canvas(in.h, in.w, 0);
    for (uint32_t y = 0; y < c.h; y++)
        for (uint32_t x = 0; x < c.w; x++)
            c.px[(size_t)y * c.w + x] = in.px[(size_t)(in.h - 1 - x) * in.w + y];
    free(in.px);
    return c;
}

/* Tilted counter-clockwise by deg about the centre. */
static canvas tilt(canvas in, double deg)
{
    canvas c = blank_canvas(in.w, in.h, PAPER);
    double a = deg * M_PI / 180, cs = cos(a), sn = sin(a), cx = in.w / 2.0, cy = in.h / 2.0;
    for (uint32_t y = 0; y < c.h; y++)
        for (uint32_t x = 0; x < c.w; x++) {
            double sx = cx + (x - cx) * cs - (y - cy) * sn, sy = cy + (x - cx) * sn + (y - cy) * cs;
            int ix = (int)lrint(sx), iy = (int)lrint(sy);
            if (ix >= 0 && iy >= 0 && ix < (int)in.w && iy < (int)in.h)
                c.px[(size_t)y * c.w + x] = in.px[(size_t)iy * in.w + (size_t)ix];
        }
    free(in.px);
    return c;
}

static void dust(canvas *c, unsigned seed, int n)
{
    srand(seed);
    for (int i = 0; i < n; i++)
        disc(c, rand() % c->w, rand() % c->h, 0.5 + (rand() % 20) / 10.0, (uint8_t)(rand() % 120));
}

static vd_page_result analyse(canvas c, double ppi)
{
    vd_image img = {c.w, c.h, c.w, c.px, ppi};
    vd_page_result r;
    vd_analyse_page(&img, &r);
    free(c.px);
    return r;
}

static void test_blank_pages(void **state)
{
    (void)state;
    vd_page_result r = analyse(blank_canvas(W, H, PAPER), PPI);
    assert_true(r.blank);
    assert_true(r.ink_ratio == 0);
    assert_false(r.cropped);

    /* Dust, two punch holes, a lid strip along the right edge, yellowed paper. */
    canvas c = blank_canvas(W, H, 214);
    dust(&c, 7, 150);
    disc(&c, 70, H / 2.0 - 240, 18, 40);
    disc(&c, 70, H / 2.0 + 240, 18, 40);
    fill(&c, W - 30, 0, W, H, 30);
    r = analyse(c, PPI);
    assert_true(r.blank);
    assert_false(r.cropped);
    assert_false(r.corner_missing);

    /* The same at 300 ppi, where everything is twice as many pixels. */
    c = blank_canvas(2 * W, 2 * H, PAPER);
    dust(&c, 8, 300);
    fill(&c, 0, 0, 2 * W, 50, 20);
    r = analyse(c, 2 * PPI);
    assert_true(r.blank);
}

static void test_sparse_pages_are_not_blank(void **state)
{
    (void)state;
    /* A signature alone: a slanted looping stroke. */
    canvas c = blank_canvas(W, H, PAPER);
    for (double t = 0; t < 1; t += 0.0005) {
        double x = 500 + 260 * t + 25 * cos(t * 40), y = 900 - 90 * t + 30 * sin(t * 40);
        disc(&c, x, y, 2, INK);
    }
    vd_page_result r = analyse(c, PPI);
    assert_false(r.blank);
    assert_true(r.ink_ratio > 0);
    assert_true(r.skew_confidence < VD_SKEW_MIN_CONFIDENCE);
    assert_true(r.rotate_confidence < VD_ROTATE_MIN_CONFIDENCE);

    /* One line of text: not blank, and too little to call a tilt or a turn with confidence. */
    c = blank_canvas(W, H, PAPER);
    text(&c, 3, 140, 800, 1, W - 300);
    r = analyse(c, PPI);
    assert_false(r.blank);
    assert_true(r.skew_confidence < VD_SKEW_MIN_CONFIDENCE);
}

static void test_orientation(void **state)
{
    (void)state;
    for (int turned = 0; turned < 360; turned += 90) {
        canvas c = text_page(11 + (unsigned)turned);
        for (int k = 0; k < turned; k += 90)
            c = turn_cw(c);
        vd_page_result r = analyse(c, PPI);
        print_message("turned %d: rotate %d (confidence %.2f), skew %.2f\n", turned, r.rotate,
                      r.rotate_confidence, r.skew_deg);
        assert_false(r.blank);
        assert_int_equal(r.rotate, (360 - turned) % 360);
        assert_true(r.rotate_confidence >= VD_ROTATE_MIN_CONFIDENCE);
        assert_true(fabs(r.skew_deg) <= 0.1);
        assert_false(r.cropped);
    }
}

static void test_skew(void **state)
{
    (void)state;
    const double tilts[] = {0.4, -1.3, 2.5, -4.2};
    for (size_t i = 0; i < sizeof tilts / sizeof *tilts; i++) {
        canvas c = tilt(text_page(21 + (unsigned)i), tilts[i]);
        if (i == 3)
            c = turn_cw(turn_cw(c)); /* upside down as well */
        vd_page_result r = analyse(c, PPI);
        print_message("tilt %.2f: skew %.3f (confidence %.2f), rotate %d\n", tilts[i], r.skew_deg,
                      r.skew_confidence, r.rotate);
        assert_true(fabs(r.skew_deg - tilts[i]) <= 0.15);
        assert_true(r.skew_confidence >= VD_SKEW_MIN_CONFIDENCE);
        assert_int_equal(r.rotate, i == 3 ? 180 : 0);
    }
}

static void test_unknown_resolution_and_odd_input(void **state)
{
    (void)state;
    /* ppi 0: taken from the size (A4). Stride wider than the width. */
    canvas c = text_page(5);
    canvas wide = blank_canvas(W + 13, H, 0);
    for (uint32_t y = 0; y < H; y++)
        memcpy(wide.px + (size_t)y * wide.w, c.px + (size_t)y * W, W);
    vd_image img = {W, H, W + 13, wide.px, 0};
    vd_page_result r;
    vd_analyse_page(&img, &r);
    assert_int_equal(r.rotate, 0);
    assert_true(fabs(r.skew_deg) <= 0.1);
    free(c.px);
    free(wide.px);

    /* Degenerate: too small, no pixels, all black. Never a crash, never a confident call. */
    uint8_t tiny[4] = {0, 255, 0, 255};
    img = (vd_image){2, 2, 2, tiny, 300};
    vd_analyse_page(&img, &r);
    assert_true(r.blank);
    img.px = NULL;
    vd_analyse_page(&img, &r);
    assert_true(r.blank);
    vd_analyse_page(NULL, &r);
    assert_true(r.blank);
    r = analyse(blank_canvas(400, 300, 0), 100);
    assert_true(r.rotate_confidence < VD_ROTATE_MIN_CONFIDENCE);
}

static void test_cropped_edges_and_corner(void **state)
{
    (void)state;
    /* Text running off the left edge: the page shifted left in the scan window. */
    canvas c = blank_canvas(W, H, PAPER);
    text(&c, 31, -40, 160, 45, W - 140);
    vd_page_result r = analyse(c, PPI);
    assert_true(r.cropped);
    assert_int_equal(r.cropped_edges, VD_EDGE_LEFT);
    assert_int_equal(r.rotate, 0);

    /* And off the bottom. */
    c = blank_canvas(W, H, PAPER);
    text(&c, 32, 140, H - 30 * 39 + 4, 40, W - 140);
    r = analyse(c, PPI);
    assert_true(r.cropped_edges & VD_EDGE_BOTTOM);
    assert_false(r.cropped_edges & (VD_EDGE_LEFT | VD_EDGE_TOP));

    /* A dark triangle over the top-right corner. */
    c = text_page(33);
    for (int y = 0; y < 200; y++)
        fill(&c, W - 220 + y * 220 / 200, y, W, y + 1, 30);
    r = analyse(c, PPI);
    assert_true(r.corner_missing);
    assert_int_equal(r.corner, VD_CORNER_TOP_RIGHT);
    assert_false(r.cropped);

    /* A lid strip along the top is neither. */
    c = text_page(34);
    fill(&c, 0, 0, W, 35, 20);
    r = analyse(c, PPI);
    assert_false(r.cropped);
    assert_false(r.corner_missing);
}

static void test_phash(void **state)
{
    (void)state;
    assert_int_equal(vd_phash_distance(0, 0), 0);
    assert_int_equal(vd_phash_distance(0, UINT64_MAX), 64);
    assert_int_equal(vd_phash_distance(0x5, 0x3), 2);

    /* One page scanned twice: shifted 9 px, other dust, a slight tilt. (Different pages of one
     * printed form can hash as close: see the benchmark; the hash only finds candidates.) */
    canvas a = text_page(41), b = blank_canvas(W, H, PAPER);
    text(&b, 41, 140 + 9, 160 + 6, 45, W - 140 + 9);
    dust(&a, 1, 60);
    dust(&b, 2, 60);
    b = tilt(b, 0.1);
    uint64_t ha = analyse(a, PPI).phash, hb = analyse(b, PPI).phash;
    print_message("rescan distance %d\n", vd_phash_distance(ha, hb));
    assert_true(vd_phash_distance(ha, hb) <= VD_PHASH_SHORTLIST);

    /* Another page: half as many lines, a block of short ones. */
    canvas d = blank_canvas(W, H, PAPER);
    text(&d, 42, 140, 160, 20, W - 140);
    text(&d, 43, 140, 900, 25, W / 2);
    uint64_t hd = analyse(d, PPI).phash;
    print_message("other page distance %d\n", vd_phash_distance(ha, hd));
    assert_true(vd_phash_distance(ha, hd) > VD_PHASH_SHORTLIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blank_pages),
        cmocka_unit_test(test_sparse_pages_are_not_blank),
        cmocka_unit_test(test_orientation),
        cmocka_unit_test(test_skew),
        cmocka_unit_test(test_unknown_resolution_and_odd_input),
        cmocka_unit_test(test_cropped_edges_and_corner),
        cmocka_unit_test(test_phash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
