/* Duplicates (validate/page.h: vd_compare_pages) on sheets drawn here: one printed form (a
 * header, a title, labels on dotted leaders, a ruled table of sixteen rows, a signature block)
 * filled in by hand for other people, and as consecutive pages of one long table. A sheet is
 * drawn once at 300 ppi and "scanned" as a scanner would: placed on the glass (shifted, tilted),
 * its strokes thicker or thinner, dust on the glass, at 150 or 100 ppi. Every scan of one
 * sheet must be found; no two sheets may be called one. The corpus of real-looking pages is
 * measured by bench/bench_duplicates.sh. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "page_impl.h"
#include "page_cc_impl.h"

#define SHEET_PPI 300
#define SHEET_W 2480 /* A4 at 300 ppi */
#define SHEET_H 3508
#define PAPER 242

static int mm(double v) { return (int)lrint(v * SHEET_PPI / 25.4); }

/* ---- the sheet: 1 = ink, at 300 ppi ---- */

typedef struct {
    uint8_t *ink;
} sheet;

static sheet new_sheet(void)
{
    sheet s = {calloc((size_t)SHEET_W * SHEET_H, 1)};
    assert_non_null(s.ink);
    return s;
}

static void box(sheet *s, int x0, int y0, int x1, int y1)
{
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < SHEET_H; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < SHEET_W; x++)
            s->ink[(size_t)y * SHEET_W + (size_t)x] = 1;
}

static void dot(sheet *s, double cx, double cy, double r)
{
    for (int y = (int)(cy - r); y <= (int)(cy + r) + 1; y++)
        for (int x = (int)(cx - r); x <= (int)(cx + r) + 1; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r && x >= 0 && y >= 0 &&
                x < SHEET_W && y < SHEET_H)
                s->ink[(size_t)y * SHEET_W + (size_t)x] = 1;
}

/* A line of made-up words from (x, baseline), length_mm long: letters of a 2 mm x-height built
 * from stems, bars and bowls, some with an ascender or a mark above (printed text is upright,
 * handwriting leans). Which letters: from seed. */
static void words(sheet *s, unsigned seed, double x_mm, double base_mm, double length_mm, bool hand)
{
    unsigned r = seed * 2654435761u + 12345;
#define NEXT() (r = r * 1103515245u + 12345u, (r >> 16) & 0x7fff)
    int x = mm(x_mm), end = mm(x_mm + length_mm), base = mm(base_mm), xh = mm(2.0);
    int stroke = mm(0.32), lean = hand ? mm(0.5) : 0;
    while (x < end) {
        int letters = 2 + (int)(NEXT() % 6);
        for (int k = 0; k < letters && x < end; k++) {
            int lw = mm(1.3) + (int)(NEXT() % (unsigned)mm(0.7)), shape = (int)(NEXT() % 6);
            for (int dy = 0; dy < xh; dy++) { /* the stems, leaning for handwriting */
                int sh = lean * dy / xh;
                box(s, x + sh, base - dy - 1, x + sh + stroke, base - dy);
                if (shape != 1)
                    box(s, x + lw - stroke + sh, base - dy - 1, x + lw + sh, base - dy);
            }
            if (shape == 0 || shape == 2 || shape == 4) /* a bowl's top */
                box(s, x + lean, base - xh, x + lw + lean, base - xh + stroke);
            if (shape == 2 || shape == 3) /* and bottom */
                box(s, x, base - stroke, x + lw, base);
            if (shape == 1 || shape == 5) /* an ascender */
                box(s, x + lean, base - mm(3.1), x + stroke + lean, base - xh);
            if (shape == 4) /* a mark above */
                box(s, x + lw / 3 + lean, base - mm(2.9), x + lw / 3 + stroke * 2 + lean,
                    base - mm(2.5));
            x += lw + mm(0.35);
        }
        x += mm(1.6);
    }
#undef NEXT
}

static void leader(sheet *s, double x0_mm, double x1_mm, double base_mm)
{
    for (double x = x0_mm; x < x1_mm; x += 1.0)
        dot(s, mm(x), mm(base_mm), mm(0.17));
}

/* The table's geometry: columns and rows, mm. */
static const double COLS[] = {22, 32, 60, 160, 188};
#define TABLE_TOP 105.0
#define HEAD_ROW 8.0
#define ROW 7.0
#define ROWS 16

/* What is written on a sheet. */
typedef struct {
    unsigned person; /* the fields' handwriting */
    unsigned rows;   /* the table's rows' handwriting */
    int n_rows;      /* rows filled, 0..ROWS */
    unsigned extra;  /* a note added in the margin after the first scan (0: none) */
} filling;

static sheet draw_form(const filling *f)
{
    sheet s = new_sheet();
    /* The printed form: headings, the title, labels on leaders, the table, the signatures. */
    words(&s, 1, 22, 20, 45, false);
    words(&s, 2, 130, 20, 58, false);
    words(&s, 3, 40, 27, 25, false);
    for (int k = 0; k < 3; k++) /* the title: heavier */
        words(&s, 4, 55, 42.0 + k * 0.25, 100, false);
    for (int i = 0; i < 5; i++) {
        double base = 60 + 8 * i, label = 18 + 4 * (i % 3);
        words(&s, 10 + (unsigned)i, 22, base, label, false);
        leader(&s, 22 + label + 2, 188, base);
        if (f->person)
            words(&s, f->person * 31 + (unsigned)i, 22 + label + 4, base - 0.6,
                  28 + (f->person * 7 + (unsigned)i * 13) % 60, true);
    }
    int rule = mm(0.25);
    double bottom = TABLE_TOP + HEAD_ROW + ROWS * ROW;
    for (int k = 0; k <= ROWS; k++) {
        int y = mm(TABLE_TOP + HEAD_ROW + k * ROW);
        box(&s, mm(COLS[0]), y, mm(COLS[4]), y + rule);
    }
    box(&s, mm(COLS[0]), mm(TABLE_TOP), mm(COLS[4]), mm(TABLE_TOP) + rule);
    for (int c = 0; c < 5; c++)
        box(&s, mm(COLS[c]), mm(TABLE_TOP), mm(COLS[c]) + rule, mm(bottom) + rule);
    for (int c = 0; c < 4; c++)
        words(&s, 20 + (unsigned)c, COLS[c] + 2, TABLE_TOP + 5.5, COLS[c + 1] - COLS[c] - 4, false);
    for (int k = 0; k < f->n_rows; k++) {
        double base = TABLE_TOP + HEAD_ROW + k * ROW + 5.2;
        unsigned seed = f->rows * 97 + (unsigned)k * 7;
        words(&s, seed, COLS[0] + 2, base, 5, true);
        words(&s, seed + 1, COLS[1] + 2, base, 18, true);
        words(&s, seed + 2, COLS[2] + 2, base, 50 + (seed % 45), true);
    }
    words(&s, 30, 30, bottom + 18, 40, false);
    words(&s, 31, 130, bottom + 18, 30, false);
    if (f->person) /* the signature: a loop */
        for (double t = 0; t < 1; t += 0.0004)
            dot(&s, mm(140 + 30 * t + 4 * cos(t * 30 + f->person)),
                mm(bottom + 30 + 5 * sin(t * 30 + f->person)), mm(0.2));
    words(&s, 32, 98, 282, 12, false);
    if (f->extra)
        words(&s, f->extra, 140, bottom + 8, 16, true);
    return s;
}

/* ---- scanning it ---- */

typedef struct {
    double dx_mm, dy_mm; /* where the sheet lies on the glass */
    double tilt_deg;     /* counter-clockwise positive */
    int thicker;         /* strokes grown (1) or thinned (-1) by a pixel at 300 ppi each way */
    uint8_t ink;         /* the darkest grey of a stroke */
    int specks;          /* dust on the glass */
    double ppi;          /* of the scan */
} scan_setup;

/* Grown or thinned by one pixel (3 × 3). */
static void morph(sheet *s, int way)
{
    uint8_t *out = malloc((size_t)SHEET_W * SHEET_H);
    assert_non_null(out);
    for (int y = 0; y < SHEET_H; y++)
        for (int x = 0; x < SHEET_W; x++) {
            int any = 0, all = 1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    int v = xx >= 0 && yy >= 0 && xx < SHEET_W && yy < SHEET_H
                                ? s->ink[(size_t)yy * SHEET_W + (size_t)xx]
                                : 0;
                    any |= v;
                    all &= v;
                }
            out[(size_t)y * SHEET_W + (size_t)x] = (uint8_t)(way > 0 ? any : all);
        }
    free(s->ink);
    s->ink = out;
}

/* The scan: every pixel the mean of 3 × 3 samples of the sheet where the glass puts it (a
 * scanner's cell sees an area, not a point). */
static vd_image scan_sheet(const sheet *drawn, const scan_setup *u)
{
    sheet s = {malloc((size_t)SHEET_W * SHEET_H)};
    assert_non_null(s.ink);
    memcpy(s.ink, drawn->ink, (size_t)SHEET_W * SHEET_H);
    if (u->thicker)
        morph(&s, u->thicker);
    uint32_t w = (uint32_t)lrint(210 / 25.4 * u->ppi), h = (uint32_t)lrint(297 / 25.4 * u->ppi);
    uint8_t *px = malloc((size_t)w * h);
    assert_non_null(px);
    double a = u->tilt_deg * M_PI / 180, ca = cos(a), sa = sin(a);
    double k = SHEET_PPI / u->ppi, cx = SHEET_W / 2.0, cy = SHEET_H / 2.0;
    double ox = u->dx_mm * SHEET_PPI / 25.4, oy = u->dy_mm * SHEET_PPI / 25.4;
    uint8_t ink = u->ink ? u->ink : 30;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            int hits = 0;
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 3; i++) {
                    /* Where on the sheet: undo the shift, then the tilt (y down). */
                    double X = (x + (i + 0.5) / 3) * k - cx - ox,
                           Y = (y + (j + 0.5) / 3) * k - cy - oy;
                    int sx = (int)floor(cx + X * ca - Y * sa),
                        sy = (int)floor(cy + X * sa + Y * ca);
                    hits += sx >= 0 && sy >= 0 && sx < SHEET_W && sy < SHEET_H &&
                            s.ink[(size_t)sy * SHEET_W + (size_t)sx];
                }
            px[(size_t)y * w + x] = (uint8_t)(PAPER - hits * (PAPER - ink) / 9);
        }
    free(s.ink);
    srand((unsigned)u->specks * 7 + 1);
    for (int n = 0; n < u->specks; n++) { /* fine dust, and a few larger solid specks */
        double r = (n < 3 ? 0.6 : 0.1 + (rand() % 30) / 100.0) * u->ppi / 25.4;
        double sx = rand() % w, sy = rand() % h;
        for (int y = (int)(sy - r); y <= (int)(sy + r); y++)
            for (int x = (int)(sx - r); x <= (int)(sx + r); x++)
                if ((x - sx) * (x - sx) + (y - sy) * (y - sy) <= r * r && x >= 0 && y >= 0 &&
                    x < (int)w && y < (int)h)
                    px[(size_t)y * w + (size_t)x] = 35;
    }
    return (vd_image){w, h, w, px, u->ppi};
}

typedef struct {
    vd_page_result res;
    vd_page_print *print;
} page;

static page analyse_sheet(const sheet *drawn, const scan_setup *u)
{
    vd_image img = scan_sheet(drawn, u);
    page p;
    vd_analyse_page_print(&img, &p.res, &p.print);
    free((void *)img.px);
    assert_false(p.res.blank);
    assert_non_null(p.print);
    return p;
}

static page analyse(const filling *f, const scan_setup *u)
{
    sheet s = draw_form(f);
    page p = analyse_sheet(&s, u);
    free(s.ink);
    return p;
}

static void drop(page *p) { vd_page_print_free(p->print); }

static const scan_setup FIRST = {.dx_mm = 0.6, .dy_mm = -0.4, .tilt_deg = 0.1, .ppi = 150};

static void say(const char *what, const page *a, const page *b, const vd_page_match *m)
{
    print_message("%-28s hash %2d, %s: %d areas, %d differ, %d specks, %d unseen; shift %.2f, "
                  "%.2f mm, turn %.3f°\n",
                  what, vd_phash_distance(a->res.phash, b->res.phash),
                  m->duplicate    ? "duplicate"
                  : m->registered ? "different"
                                  : "not registered",
                  m->cells, m->differing, m->specks, m->unseen, m->dx_mm, m->dy_mm, m->angle_deg);
}

/* ---- tests ---- */

static void test_rescans_are_found(void **state)
{
    (void)state;
    filling f = {.person = 5, .rows = 5, .n_rows = 9};
    sheet drawn = draw_form(&f); /* one sheet, scanned ten times */
    page first = analyse_sheet(&drawn, &FIRST);
    const struct {
        const char *what;
        scan_setup u;
    } rescans[] = {
        {"shifted 1 cm", {.dx_mm = 10.6, .dy_mm = -0.4, .tilt_deg = 0.1, .ppi = 150}},
        {"shifted down 1 cm", {.dx_mm = 0.6, .dy_mm = 9.6, .tilt_deg = 0.1, .ppi = 150}},
        {"tilted 1°", {.dx_mm = 1.5, .dy_mm = 0.2, .tilt_deg = -0.9, .ppi = 150}},
        {"darker (+1 px at 300)", {.dx_mm = 0.2, .dy_mm = 0.9, .thicker = 1, .ppi = 150}},
        {"lighter (-1 px)", {.dx_mm = 1.0, .thicker = -1, .ppi = 150}},
        {"lighter (grey)", {.dx_mm = 1.0, .ink = 120, .ppi = 150}},
        {"lighter (-1 px, grey)", {.dx_mm = 1.0, .thicker = -1, .ink = 120, .ppi = 150}},
        {"speckled", {.dx_mm = -0.8, .dy_mm = 0.5, .tilt_deg = 0.2, .specks = 150, .ppi = 150}},
        {"at 100 ppi", {.dx_mm = 0.3, .dy_mm = -1.2, .tilt_deg = 0.3, .ppi = 100}},
        {"tilted and darker", {.dx_mm = -1.4, .tilt_deg = 0.7, .thicker = 1, .ppi = 150}},
    };
    for (size_t i = 0; i < sizeof rescans / sizeof *rescans; i++) {
        page again = analyse_sheet(&drawn, &rescans[i].u);
        vd_page_match m;
        bool same = vd_compare_pages(first.print, again.print, &m);
        say(rescans[i].what, &first, &again, &m);
        assert_true(same);
        assert_true(m.duplicate);
        assert_true(m.cells >= VD_MATCH_MIN_CELLS);
        assert_int_equal(m.differing, 0);
        assert_true(vd_phash_distance(first.res.phash, again.res.phash) <= VD_PHASH_SHORTLIST);
        /* Either way round. */
        assert_true(vd_compare_pages(again.print, first.print, &m));
        drop(&again);
    }
    drop(&first);
    free(drawn.ink);
}

static void test_other_fillings_are_not(void **state)
{
    (void)state;
    /* Other people; the same person's table over four consecutive pages; the same sheet but
     * another name; one row more. */
    const struct {
        const char *what;
        filling f;
    } sheets[] = {
        {"person A", {.person = 5, .rows = 5, .n_rows = 9}},
        {"person B", {.person = 6, .rows = 6, .n_rows = 3}},
        {"person C, one row", {.person = 7, .rows = 7, .n_rows = 1}},
        {"table page 1", {.person = 8, .rows = 80, .n_rows = ROWS}},
        {"table page 2", {.person = 8, .rows = 81, .n_rows = ROWS}},
        {"table page 3", {.person = 8, .rows = 82, .n_rows = ROWS}},
        {"A with another name", {.person = 9, .rows = 5, .n_rows = 9}},
        {"A with a row more", {.person = 5, .rows = 5, .n_rows = 10}},
    };
    enum { N = sizeof sheets / sizeof *sheets };
    page p[N];
    for (int i = 0; i < N; i++)
        p[i] = analyse(&sheets[i].f, &FIRST);
    for (int j = 1; j < N; j++)
        for (int i = 0; i < j; i++) {
            vd_page_match m;
            bool same = vd_compare_pages(p[i].print, p[j].print, &m);
            char what[64];
            snprintf(what, sizeof what, "%s / %s", sheets[i].what, sheets[j].what);
            say(what, &p[i], &p[j], &m);
            assert_false(same);
            assert_false(m.duplicate);
        }
    /* The hash alone cannot tell such pages apart: what the comparison is for. */
    assert_true(vd_phash_distance(p[3].res.phash, p[4].res.phash) <= VD_PHASH_SHORTLIST);
    assert_true(vd_phash_distance(p[0].res.phash, p[7].res.phash) <= VD_PHASH_SHORTLIST);
    for (int i = 0; i < N; i++)
        drop(&p[i]);
}

static void test_alike_but_for_a_note(void **state)
{
    (void)state;
    /* The same sheet after someone wrote a short note on it: not one page scanned twice, but
     * worth a look, with where they differ. */
    filling f = {.person = 5, .rows = 5, .n_rows = 9}, noted = f;
    noted.extra = 77;
    page a = analyse(&f, &FIRST), b = analyse(&noted, &FIRST);
    vd_page_match m;
    assert_false(vd_compare_pages(a.print, b.print, &m));
    say("a note added", &a, &b, &m);
    assert_true(m.registered);
    assert_true(m.differing >= 1 && m.differing <= VD_MATCH_NEAR);
    assert_true(vd_match_is_near(&m));
    assert_true(m.n_areas >= 1);
    /* The note is at 140-156 mm across, 6-9 mm below the table (at 233 mm of 297). */
    double x = m.on_b[0].x * 210, y = m.on_b[0].y * 297;
    print_message("differs at %.0f, %.0f mm\n", x, y);
    assert_true(x > 125 && x < 160 && y > 222 && y < 240);
    drop(&a);
    drop(&b);
}

static void test_little_content_is_never_sure(void **state)
{
    (void)state;
    /* A blank page has no print; a page with only a short line of text is never called a
     * duplicate, whatever matches: too little to be sure. */
    uint32_t w = 1240, h = 1754;
    uint8_t *px = malloc((size_t)w * h);
    assert_non_null(px);
    memset(px, PAPER, (size_t)w * h);
    vd_image img = {w, h, w, px, 150};
    vd_page_result r;
    vd_page_print *print = (vd_page_print *)1;
    vd_analyse_page_print(&img, &r, &print);
    assert_true(r.blank);
    assert_null(print);
    for (uint32_t y = 800; y < 812; y++)
        for (uint32_t x = 300; x < 420; x += 9)
            memset(px + (size_t)y * w + x, 30, 5);
    vd_page_print *a, *b;
    vd_analyse_page_print(&img, &r, &a);
    vd_analyse_page_print(&img, &r, &b);
    assert_non_null(a);
    vd_page_match m;
    assert_false(vd_compare_pages(a, b, &m));
    assert_true(m.cells < VD_MATCH_MIN_CELLS);
    assert_false(vd_compare_pages(a, NULL, &m));
    vd_page_print_free(a);
    vd_page_print_free(b);
    free(px);
}

static void test_prints_stay_small(void **state)
{
    (void)state;
    /* A print is bounded whatever the sheet: 2000 × 2000 pixels said to be at 10 ppi are a
     * 5 m square sheet; its print has a coarser grid, at most VD_PRINT_MAX_PX a side. */
    uint32_t w = 2000, h = 2000;
    uint8_t *px = malloc((size_t)w * h);
    assert_non_null(px);
    memset(px, PAPER, (size_t)w * h);
    for (uint32_t y = 100; y < 1900; y += 40)
        for (uint32_t x = 100; x < 1900; x += 30)
            memset(px + (size_t)y * w + x, 20, 12);
    vd_image img = {w, h, w, px, 10};
    vd_page_result r;
    vd_page_print *p;
    vd_analyse_page_print(&img, &r, &p);
    assert_non_null(p);
    print_message("print %d × %d at %.2f px/mm\n", p->w, p->h, p->px_per_mm);
    assert_true(p->w <= VD_PRINT_MAX_PX && p->h <= VD_PRINT_MAX_PX);
    assert_true(p->px_per_mm < VD_PRINT_PX_PER_MM);
    vd_page_print_free(p);
    free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rescans_are_found),
        cmocka_unit_test(test_other_fillings_are_not),
        cmocka_unit_test(test_alike_but_for_a_note),
        cmocka_unit_test(test_little_content_is_never_sure),
        cmocka_unit_test(test_prints_stay_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
