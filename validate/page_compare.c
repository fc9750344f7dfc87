/* Duplicates (page.h): a page's print, its shortlist hash, and the comparison of two prints.
 *
 * The print: the content's ink (components of the working image but dust, specks and what
 * touches the border) and "near", every mark darker than FAINT of the paper (faint strokes too)
 * grown by a pixel, both on a grid of VD_PRINT_PX_PER_MM straightened by the page's own tilt.
 * Ink of one page that the other has nowhere near is what differs: a stroke a pixel thicker or
 * thinner, a thin stroke that one binarisation keeps and another loses, stay near.
 *
 * The comparison lays b on a: the profiles of their marks give the shift; blocks of a (cells
 * with enough ink, in a scattered order) are searched for in b around it, and a shift, a turn
 * and a scale are fitted to those that match well and pin their place down (least squares,
 * three rounds, dropping blocks more than FIT_TOLERANCE off), so that another filling of the
 * same form registers on its printed parts and its handwriting counts as outliers. Every cell
 * of a (CELL_W × CELL_H, about a line of text) is then compared with b where the fit puts it,
 * within a pixel: a cell differs when more than CELL_MISS pixels of either page's ink have
 * nothing near on the other, unless all that is one solid dot on one side (a speck of dust).
 *
 * Most pairs are two fillings of one form. They are told apart cheaply: for two straightened
 * pages the profiles' shift alone is the first fit, and a cell counts as differing only if
 * nothing within QUICK_R pixels matches it either; STOP_AFTER such cells among twice as many
 * that match end the comparison (a few dozen cells). A pair that this does not settle is
 * registered on blocks and compared to the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "page_cc_impl.h"

/* A page straightened by its own tilt when the tilt is this sure; otherwise the comparison
 * searches wider for the turn between the two pages. */
#define PRINT_SKEW_CONFIDENCE 0.3

#define CELL_W 32 /* 10.7 mm: two or three words */
#define CELL_H 16 /* 5.3 mm: one line of 10-12 pt text */
#define CELL_MISS 6
#ifndef STOP_AFTER /* the benchmark counts every differing cell */
#define STOP_AFTER 4
#endif
_Static_assert(STOP_AFTER > VD_MATCH_NEAR, "a pair that is worth a look is counted to the end");
#define ANCHORS 24         /* blocks fitted at most */
#define ANCHOR_TRIES 40    /* blocks tried at most */
#define ANCHOR_MIN_INK 40  /* a block with less ink does not pin down a shift */
#define ANCHOR_R_UPRIGHT 4 /* search radius around the profiles' shift, both pages straightened */
#define ANCHOR_R_FREE 12   /* either page not straightened: up to 1° over 15 cm, and more */
#define FIT_TOLERANCE 1.5  /* pixels */
#define MAX_SHIFT_MM 25.0  /* two scans of one sheet lie at most this far apart */

#define MASK(n) ((n) >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << (n)) - 1))

/* ---- the print ---- */

/* Bits set in a word. The builtin is a library call without -mpopcnt, which the build does not
 * assume; this is a dozen instructions inline. */
static inline int bits_set(uint64_t v)
{
    v -= (v >> 1) & 0x5555555555555555u;
    v = (v & 0x3333333333333333u) + ((v >> 2) & 0x3333333333333333u);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (int)((v * 0x0101010101010101u) >> 56);
}

/* Faint ink: darker than this share of the paper's tone. A thin stroke that one scan's
 * binarisation keeps and another's loses (JPEG against G4, lighter against darker) is still
 * faint ink in both. */
#define FAINT 88     /* per cent */
#define SPECK_MM 2.0 /* a solid round mark smaller than this is dust */

static void set_bit(uint64_t *bits, const vd_page_print *p, int x, int y)
{
    bits[(size_t)y * (size_t)p->words + (size_t)(x >> 6)] |= (uint64_t)1 << (x & 63);
}

/* Whether any of the eight bytes of a word is under level (1..255): with each byte turned
 * over (255 - b), whether any is over 255 - level, for levels of 128 and more (Bit Twiddling
 * Hacks, "hasmore"); the slow way under that. */
static inline bool darker_byte(uint64_t eight, int level)
{
    const uint64_t ones = ~(uint64_t)0 / 255, highs = ones * 128;
    if (level < 128) {
        for (int k = 0; k < 8; k++)
            if ((int)((eight >> (8 * k)) & 0xff) < level)
                return true;
        return false;
    }
    uint64_t x = ~eight;
    uint64_t n = (uint64_t)(255 - level);
    return (((x + ones * (127 - n)) | x) & highs) != 0;
}

/* Dust that is too big for the working image's noise class: a small solid round blob. (A
 * letter has counters and strokes; a tick or a dash is thin; a full stop is noise already.) */
static bool is_speck(const vd_work *wk, int i)
{
    const vd_cc *c = &wk->cc[i];
    double small = vd_mm(wk, SPECK_MM);
    int bw = c->x1 - c->x0 + 1, bh = c->y1 - c->y0 + 1;
    return bw <= small && bh <= small && c->area * 10 >= bw * bh * 7 && bw * 2 <= bh * 3 &&
           bh * 2 <= bw * 3;
}

/* A layer grown by one pixel each way (3 × 3), in place. Without the memory for it, it stays
 * as it is: the comparison is then stricter, never looser. */
static void grow(const vd_page_print *p, uint64_t *bits)
{
    int n = p->words;
    uint64_t *prev = calloc((size_t)n * 2, sizeof *prev);
    if (!prev)
        return;
    uint64_t *cur = prev + n;
    for (int y = 0; y < p->h; y++) {
        uint64_t *row = bits + (size_t)y * (size_t)n;
        const uint64_t *next = y + 1 < p->h ? row + n : NULL;
        for (int i = 0; i < n; i++) {
            cur[i] = row[i];
            row[i] |= prev[i] | (next ? next[i] : 0);
        }
        memcpy(prev, cur, (size_t)n * sizeof *prev);
    }
    for (int y = 0; y < p->h; y++) {
        uint64_t *row = bits + (size_t)y * (size_t)n, carry = 0;
        for (int i = 0; i < n; i++) {
            uint64_t t = row[i], up = i + 1 < n ? row[i + 1] : 0;
            row[i] = t | (t << 1) | carry | (t >> 1) | (up << 63);
            carry = t >> 63;
        }
    }
    free(prev);
}

/* A profile's bins at each level, in rows (columns). */
static const int PROFILE_BINS[VD_PROFILE_LEVELS] = {2, 4, 16};

static bool profile_alloc(vd_profile *pr, int n)
{
    bool ok = true;
    for (int k = 0; k < VD_PROFILE_LEVELS; k++) {
        pr->n[k] = (n + PROFILE_BINS[k] - 1) / PROFILE_BINS[k];
        pr->v[k] = calloc((size_t)pr->n[k], sizeof *pr->v[k]);
        ok = ok && pr->v[k];
    }
    return ok;
}

/* The coarser levels, summed from the first. */
static void profile_levels(vd_profile *pr)
{
    for (int k = 1; k < VD_PROFILE_LEVELS; k++)
        for (int i = 0; i < pr->n[0]; i++)
            pr->v[k][i * PROFILE_BINS[0] / PROFILE_BINS[k]] += pr->v[0][i];
}

vd_page_print *vd_print_make(const vd_work *wk, const vd_page_result *res)
{
    double mm_w = wk->w * 25.4 / wk->ppi, mm_h = wk->h * 25.4 / wk->ppi;
    double longer = mm_w > mm_h ? mm_w : mm_h;
    int k = 1; /* a coarser grid for very large sheets, a whole fraction so that two compare */
    while (longer * VD_PRINT_PX_PER_MM / k > VD_PRINT_MAX_PX)
        k++;
    vd_page_print *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->px_per_mm = VD_PRINT_PX_PER_MM / k;
    p->w = (int)ceil(mm_w * p->px_per_mm);
    p->h = (int)ceil(mm_h * p->px_per_mm);
    p->words = (p->w + 63) / 64;
    size_t nw = (size_t)p->words * (size_t)p->h;
    p->bits = calloc(nw, sizeof *p->bits);
    p->near = calloc(nw, sizeof *p->near);
    p->gw = (p->w + CELL_W - 1) / CELL_W;
    p->gh = (p->h + CELL_H - 1) / CELL_H;
    p->cell_ink = calloc((size_t)p->gw * (size_t)p->gh, sizeof *p->cell_ink);
    bool *keep = calloc((size_t)wk->ncc + 1, sizeof *keep);
    if (!p->bits || !p->near || !p->cell_ink || !profile_alloc(&p->rows, p->h) ||
        !profile_alloc(&p->cols, p->w) || !keep) {
        free(keep);
        vd_page_print_free(p);
        return NULL;
    }
    /* The content: every component but dust, specks and what touches the border (a bold
     * capital can pass for a punch hole: holes stay, they are on both scans of a sheet). */
    for (int i = 0; i < wk->ncc; i++) {
        int cls = wk->cc[i].cls;
        keep[i] = cls != VD_CC_NOISE && cls != VD_CC_BORDER && !is_speck(wk, i);
    }
    p->upright = res->skew_confidence >= PRINT_SKEW_CONFIDENCE;
    /* Each pixel of the working image turned clockwise by the tilt about the centre (the grid
     * is coarser than the working image, so no gaps open); in 16.16 fixed point along a row.
     * The profiles count every mark, faint ones too (so that a lighter scan, whose thin strokes
     * are faint, lies where the darker one does). */
    double a = p->upright ? res->skew_deg * M_PI / 180.0 : 0;
    double s = p->px_per_mm * 25.4 / wk->ppi, ca = cos(a) * s, sa = sin(a) * s;
    double cx = wk->w / 2.0, cy = wk->h / 2.0;
    const double one = 65536.0;
    int64_t step_x = llround(ca * one), step_y = llround(sa * one);
    int faint = wk->paper * FAINT / 100, bin = PROFILE_BINS[0];
    int32_t *rows = p->rows.v[0], *cols = p->cols.v[0];
    for (int y = 0; y < wk->h; y++) {
        const uint8_t *grey = wk->grey + (size_t)y * (size_t)wk->w;
        const uint8_t *ink = wk->ink + (size_t)y * (size_t)wk->w;
        const int32_t *lab = wk->label + (size_t)y * (size_t)wk->w;
        double Y = y + 0.5 - cy, X0 = 0.5 - cx;
        int64_t fx0 = llround((X0 * ca + p->w / 2.0 - Y * sa) * one);
        int64_t fy0 = llround((X0 * sa + p->h / 2.0 + Y * ca) * one);
        for (int x = 0; x < wk->w; x++) {
            if (x + 8 <= wk->w && (x & 7) == 0) { /* eight pixels of paper at once */
                uint64_t eight;
                memcpy(&eight, grey + x, sizeof eight);
                if (!darker_byte(eight, faint)) {
                    x += 7;
                    continue;
                }
            }
            if (grey[x] >= faint)
                continue;
            int tx = (int)((fx0 + x * step_x) >> 16), ty = (int)((fy0 + x * step_y) >> 16);
            if (tx < 0 || ty < 0 || tx >= p->w || ty >= p->h)
                continue;
            set_bit(p->near, p, tx, ty);
            cols[tx / bin]++;
            rows[ty / bin]++;
            if (ink[x] && keep[lab[x] - 1])
                set_bit(p->bits, p, tx, ty);
        }
    }
    free(keep);
    grow(p, p->near); /* near: every mark, faint ones too, grown by a pixel */
    profile_levels(&p->rows);
    profile_levels(&p->cols);
    /* The ink per cell: two cells a word. */
    _Static_assert(CELL_W == 32, "two cells a word");
    for (int y = 0; y < p->h; y++) {
        const uint64_t *row = p->bits + (size_t)y * (size_t)p->words;
        uint16_t *cells = p->cell_ink + (size_t)(y / CELL_H) * (size_t)p->gw;
        for (int i = 0; i < p->words; i++) {
            int lo = bits_set(row[i] & 0xffffffffu), hi = bits_set(row[i] >> 32);
            cells[2 * i] += (uint16_t)lo;
            if (2 * i + 1 < p->gw)
                cells[2 * i + 1] += (uint16_t)hi;
            p->ink += lo + hi;
        }
    }
    return p;
}

void vd_page_print_free(vd_page_print *p)
{
    if (!p)
        return;
    free(p->bits);
    free(p->near);
    for (int k = 0; k < VD_PROFILE_LEVELS; k++) {
        free(p->rows.v[k]);
        free(p->cols.v[k]);
    }
    free(p->cell_ink);
    free(p);
}

/* Bits of a row of a layer in pixels [x0, x1). */
static int bits_between(const vd_page_print *p, const uint64_t *row, int x0, int x1)
{
    x0 = x0 < 0 ? 0 : x0;
    x1 = x1 > p->w ? p->w : x1;
    int n = 0;
    while (x0 < x1) {
        int i = x0 >> 6, b = x0 & 63, len = 64 - b < x1 - x0 ? 64 - b : x1 - x0;
        n += bits_set((row[i] >> b) & MASK(len));
        x0 += len;
    }
    return n;
}

/* The marks (near: faint ones too, so that a lighter or darker scan weighs alike) in 32 × 32
 * cells of a page-sized window centred on their centre of mass (a speck weighs nothing there,
 * a shift on the glass moves the window with the content); the 8 × 8 lowest frequencies of
 * its DCT, each against their median (the DC term left out). */
uint64_t vd_print_phash(const vd_page_print *p)
{
    if (!p || p->ink == 0)
        return 0;
    /* The centre of mass from the profiles (to two pixels). */
    double mx = 0, my = 0, n = 0, bin = PROFILE_BINS[0];
    for (int i = 0; i < p->cols.n[0]; i++) {
        mx += (double)p->cols.v[0][i] * (i + 0.5) * bin;
        n += p->cols.v[0][i];
    }
    for (int i = 0; i < p->rows.n[0]; i++)
        my += (double)p->rows.v[0][i] * (i + 0.5) * bin;
    if (n <= 0)
        return 0;
    mx /= n;
    my /= n;
    double cell[32][32] = {{0}}, dct[8][32], coef[64], cosine[8][32];
    double x0 = mx - p->w / 2.0, y0 = my - p->h / 2.0;
    int edge[33]; /* cell column cx holds pixels edge[cx] .. edge[cx + 1] - 1 */
    for (int c = 0; c <= 32; c++)
        edge[c] = (int)ceil(x0 - 0.5 + (double)c * p->w / 32);
    for (int y = 0; y < p->h; y++) {
        int cy = (int)floor((y + 0.5 - y0) * 32 / p->h);
        if (cy < 0 || cy >= 32)
            continue;
        const uint64_t *row = p->near + (size_t)y * (size_t)p->words;
        for (int c = 0; c < 32; c++)
            cell[cy][c] += bits_between(p, row, edge[c], edge[c + 1]);
    }
    for (int u = 0; u < 8; u++)
        for (int x = 0; x < 32; x++)
            cosine[u][x] = cos(M_PI * (2 * x + 1) * u / 64.0);
    /* Separable DCT-II: rows first (8 frequencies), then columns. */
    for (int v = 0; v < 32; v++)
        for (int u = 0; u < 8; u++) {
            double sum = 0;
            for (int x = 0; x < 32; x++)
                sum += cell[v][x] * cosine[u][x];
            dct[u][v] = sum;
        }
    for (int v = 0; v < 8; v++)
        for (int u = 0; u < 8; u++) {
            double sum = 0;
            for (int y = 0; y < 32; y++)
                sum += dct[u][y] * cosine[v][y];
            coef[v * 8 + u] = sum;
        }
    double sorted[63];
    memcpy(sorted, coef + 1, sizeof sorted);
    for (int i = 1; i < 63; i++) /* insertion sort: 63 values */
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    double median = sorted[31];
    uint64_t hash = 0;
    for (int i = 0; i < 64; i++)
        if (coef[i] > median)
            hash |= (uint64_t)1 << i;
    return hash;
}

int vd_phash_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

/* ---- cells ---- */

/* n (<= 64) pixels of row y from x on (x may be negative, the run may pass the edge) of one
 * layer: bit i is pixel x + i, 0 outside the print. */
static inline uint64_t layer_bits(const vd_page_print *p, const uint64_t *bits, int y, int x, int n)
{
    if (y < 0 || y >= p->h || x >= p->w || x + n <= 0)
        return 0;
    const uint64_t *r = bits + (size_t)y * (size_t)p->words;
    uint64_t v;
    if (x >= 0) {
        int i = x >> 6, b = x & 63;
        v = r[i] >> b;
        if (b && i + 1 < p->words)
            v |= r[i + 1] << (64 - b);
    } else {
        v = r[0] << -x; /* -x < n <= 64 */
    }
    return v & MASK(n);
}

/* rows consecutive runs of n pixels from (x, y) down, of one layer, into out. */
static void layer_runs(const vd_page_print *p, const uint64_t *bits, int y, int x, int n, int rows,
                       uint64_t *out)
{
    if (y < 0 || y + rows > p->h || x < 0 || x + n > p->w) { /* at an edge: pixel by pixel */
        for (int k = 0; k < rows; k++)
            out[k] = layer_bits(p, bits, y + k, x, n);
        return;
    }
    const uint64_t *r = bits + (size_t)y * (size_t)p->words + (size_t)(x >> 6);
    int b = x & 63;
    uint64_t mask = MASK(n);
    /* Inside: the run starts in word x / 64 and, when it crosses, ends in the next. */
    bool two = b + n > 64;
    for (int k = 0; k < rows; k++, r += p->words) {
        uint64_t v = r[0] >> b;
        if (two)
            v |= r[1] << (64 - b);
        out[k] = v & mask;
    }
}

/* Ink of a in its cell at (x0, y0) (multiples of CELL_W, CELL_H). */
static int cell_ink(const vd_page_print *a, int x0, int y0)
{
    return a->cell_ink[(y0 / CELL_H) * a->gw + x0 / CELL_W];
}

#define R_MAX 15 /* CELL_W + 2 R_MAX + 2 <= 64 */
_Static_assert(CELL_W + 2 * R_MAX + 2 <= 64, "b's window fits a word");

/* One cell of a (x0, y0: its top-left corner) and the window of b around (x0 + ox, y0 + oy)
 * that shifts within r pixels either way can reach: each page's ink, that ink grown by a pixel
 * (for registering: clean strokes against clean strokes), and near (for comparing: faint
 * marks too). */
typedef struct {
    int r;
    bool registering; /* cell_miss against the grown ink, not near */
    uint64_t a[CELL_H], a_grown[CELL_H], a_near[CELL_H];
    uint64_t b[CELL_H + 2 * R_MAX], b_grown[CELL_H + 2 * R_MAX], b_near[CELL_H + 2 * R_MAX];
    int a_ink;
    bool empty; /* neither has ink there */
} cell_win;

/* Rows in[0..n+1] grown by a pixel each way into out[0..n-1] (out[i] from in[i..i+2]). */
static void grow_rows(const uint64_t *in, uint64_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        uint64_t t = in[i] | in[i + 1] | in[i + 2];
        out[i] = t | (t << 1) | (t >> 1);
    }
}

static void load_cell(const vd_page_print *a, const vd_page_print *b, int x0, int y0, int ox,
                      int oy, int r, bool registering, cell_win *w)
{
    uint64_t any = 0, edge[CELL_H + 2 * R_MAX + 2];
    const uint64_t mask = MASK(CELL_W);
    w->r = r;
    w->registering = registering;
    w->a_ink = 0;
    if (registering) { /* with a pixel around, to grow */
        layer_runs(a, a->bits, y0 - 1, x0 - 1, CELL_W + 2, CELL_H + 2, edge);
        grow_rows(edge, w->a_grown, CELL_H);
        for (int i = 0; i < CELL_H; i++) {
            w->a[i] = (edge[i + 1] >> 1) & mask;
            w->a_grown[i] = (w->a_grown[i] >> 1) & mask;
        }
    } else {
        layer_runs(a, a->bits, y0, x0, CELL_W, CELL_H, w->a);
        layer_runs(a, a->near, y0, x0, CELL_W, CELL_H, w->a_near);
    }
    for (int i = 0; i < CELL_H; i++) {
        w->a_ink += bits_set(w->a[i]);
        any |= w->a[i];
    }
    int n = CELL_H + 2 * r, width = CELL_W + 2 * r;
    if (registering) {
        layer_runs(b, b->bits, y0 + oy - r - 1, x0 + ox - r - 1, width + 2, n + 2, edge);
        grow_rows(edge, w->b_grown, n);
        for (int i = 0; i < n; i++) {
            w->b[i] = (edge[i + 1] >> 1) & MASK(width);
            w->b_grown[i] = (w->b_grown[i] >> 1) & MASK(width);
        }
    } else {
        layer_runs(b, b->bits, y0 + oy - r, x0 + ox - r, width, n, w->b);
        layer_runs(b, b->near, y0 + oy - r, x0 + ox - r, width, n, w->b_near);
    }
    for (int i = 0; i < n; i++)
        any |= w->b[i];
    w->empty = any == 0;
}

/* At shift (sx, sy), |sx|, |sy| <= r: ink of a that b has nowhere near, and the other way.
 * Most of a comparison's time is here: where the processor counts bits in one instruction
 * (x86-64 since 2008; the build does not assume it), that version is used. */
#define CELL_MISS_BODY(count)                                                                      \
    {                                                                                              \
        const uint64_t mask = MASK(CELL_W);                                                        \
        const uint64_t *an = w->registering ? w->a_grown : w->a_near;                              \
        const uint64_t *bn = w->registering ? w->b_grown : w->b_near;                              \
        int am = 0, bm = 0, sh = w->r + sx;                                                        \
        for (int i = 0; i < CELL_H; i++) {                                                         \
            int j = i + w->r + sy;                                                                 \
            am += count(w->a[i] & ~(bn[j] >> sh));                                                 \
            bm += count((w->b[j] >> sh) & mask & ~an[i]);                                          \
        }                                                                                          \
        *a_miss = am;                                                                              \
        *b_miss = bm;                                                                              \
    }

static void cell_miss_portable(const cell_win *w, int sx, int sy, int *a_miss,
                               int *b_miss) CELL_MISS_BODY(bits_set)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __attribute__((target("popcnt"))) static void cell_miss_popcnt(const cell_win *w, int sx,
                                                                   int sy, int *a_miss, int *b_miss)
        CELL_MISS_BODY(__builtin_popcountll)

            static void cell_miss(const cell_win *w, int sx, int sy, int *a_miss, int *b_miss)
{
    if (__builtin_cpu_supports("popcnt"))
        cell_miss_popcnt(w, sx, sy, a_miss, b_miss);
    else
        cell_miss_portable(w, sx, sy, a_miss, b_miss);
}
#else
#define cell_miss cell_miss_portable
#endif

static int cell_cost(const cell_win *w, int sx, int sy)
{
    if (sx < -w->r || sx > w->r || sy < -w->r || sy > w->r)
        return 1 << 20;
    int am, bm;
    cell_miss(w, sx, sy, &am, &bm);
    return am + bm;
}

/* The best shift: from (0, 0), or the best of a 3-pixel grid over the window when it is wide,
 * down the slope to a shift that none of its eight neighbours beats (the text of a cell makes
 * the cost fall steadily towards the right shift). */
typedef struct {
    int sx, sy, cost;
    int a_miss, b_miss, b_ink;
} cell_fit;

static void best_shift(const cell_win *w, cell_fit *f)
{
    /* Each shift's cost once: -1 not yet measured. */
    int side = 2 * w->r + 1, memo[(2 * R_MAX + 1) * (2 * R_MAX + 1)];
    for (int i = 0; i < side * side; i++)
        memo[i] = -1;
#define COST(x, y)                                                                                 \
    ((x) < -w->r || (x) > w->r || (y) < -w->r || (y) > w->r ? 1 << 20                              \
     : memo[((y) + w->r) * side + (x) + w->r] >= 0                                                 \
         ? memo[((y) + w->r) * side + (x) + w->r]                                                  \
         : (memo[((y) + w->r) * side + (x) + w->r] = cell_cost(w, (x), (y))))
    int bx = 0, by = 0, best = COST(0, 0);
    if (w->r > 3)
        for (int sy = -w->r + 1; sy < w->r; sy += 3)
            for (int sx = -w->r + 1; sx < w->r; sx += 3) {
                int cost = COST(sx, sy);
                if (cost < best) {
                    best = cost;
                    bx = sx;
                    by = sy;
                }
            }
    for (int steps = 0; best > 0 && steps < 4 * R_MAX; steps++) {
        int nx = bx, ny = by;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int cost = dx || dy ? COST(bx + dx, by + dy) : best;
                if (cost < best) {
                    best = cost;
                    nx = bx + dx;
                    ny = by + dy;
                }
            }
        if (nx == bx && ny == by)
            break;
        bx = nx;
        by = ny;
    }
#undef COST
    f->sx = bx;
    f->sy = by;
    f->cost = best;
    cell_miss(w, bx, by, &f->a_miss, &f->b_miss);
    f->b_ink = 0;
    for (int i = 0; i < CELL_H; i++)
        f->b_ink += bits_set((w->b[i + w->r + by] >> (w->r + bx)) & MASK(CELL_W));
}

/* A cell where one page has only a speck of dust more than the other: the ink the other has
 * nowhere near is on one side only, and is one solid dot (at least three-fifths of its box
 * filled) no larger than SPECK_PX each way. A stroke that one page has and the other has not
 * (a digit that differs, a tick) is thin, not solid. */
#define SPECK_PX 7 /* 2.3 mm */

static bool is_speck_only(const cell_win *w, const cell_fit *c)
{
    if (c->a_miss && c->b_miss)
        return false;
    const uint64_t mask = MASK(CELL_W);
    int x0 = CELL_W, x1 = -1, y0 = CELL_H, y1 = -1, n = 0, sh = w->r + c->sx;
    for (int i = 0; i < CELL_H; i++) {
        int j = i + w->r + c->sy;
        uint64_t extra =
            c->a_miss ? w->a[i] & ~(w->b_near[j] >> sh) : (w->b[j] >> sh) & mask & ~w->a_near[i];
        if (!extra)
            continue;
        n += bits_set(extra);
        y0 = i < y0 ? i : y0;
        y1 = i;
        int lo = __builtin_ctzll(extra), hi = 63 - __builtin_clzll(extra);
        x0 = lo < x0 ? lo : x0;
        x1 = hi > x1 ? hi : x1;
    }
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    return n > 0 && bw <= SPECK_PX && bh <= SPECK_PX && n * 5 >= bw * bh * 3;
}

/* ---- registration ---- */

/* Sum of a[i] b[i + d] over the overlap. */
static int64_t overlap(const int32_t *a, int na, const int32_t *b, int nb, int d)
{
    int64_t sum = 0;
    for (int i = d < 0 ? -d : 0; i < na && i + d < nb; i++)
        sum += (int64_t)a[i] * b[i + d];
    return sum;
}

/* The shift d (|d| <= range) that lays profile b on profile a best (a[i] against b[i + d]),
 * to two pixels: over the whole range with 16-pixel bins, then around the best with 4-pixel
 * and then 2-pixel bins. (What follows searches a few pixels around it.) */
static int profile_shift(const vd_profile *a, const vd_profile *b, int range)
{
    int d = 0;
    for (int k = VD_PROFILE_LEVELS - 1; k >= 0; k--) {
        int bin = PROFILE_BINS[k], lo, hi;
        if (k == VD_PROFILE_LEVELS - 1) {
            lo = -(range / bin + 1);
            hi = range / bin + 1;
        } else { /* d is in units of the level above: around it, half its bin either way */
            int up = PROFILE_BINS[k + 1] / bin;
            lo = d * up - up / 2;
            hi = d * up + up / 2;
        }
        int64_t best = -1;
        int at = lo, center = (lo + hi) / 2;
        for (int e = lo; e <= hi; e++) {
            int64_t sum = overlap(a->v[k], a->n[k], b->v[k], b->n[k], e);
            if (sum > best || (sum == best && abs(e - center) < abs(at - center))) {
                best = sum;
                at = e;
            }
        }
        d = at;
    }
    d *= PROFILE_BINS[0];
    return d < -range ? -range : d > range ? range : d;
}

/* The cells of a in a scattered order: k → (k * step + 7) mod n, step coprime with n. */
static int scatter_step(int n)
{
    int step = (int)(n * 0.618) | 1;
    for (;; step++) {
        int x = n, y = step;
        while (y) {
            int t = x % y;
            x = y;
            y = t;
        }
        if (x == 1)
            return step;
    }
}

/* Where the fit puts a point of a on b: offset = c0 + c1 (x - mx) + c2 (y - my), one per axis. */
typedef struct {
    double x[3], y[3];
    double mx, my;
} fit;

static void fit_at(const fit *f, double x, double y, double *ox, double *oy)
{
    *ox = f->x[0] + f->x[1] * (x - f->mx) + f->x[2] * (y - f->my);
    *oy = f->y[0] + f->y[1] * (x - f->mx) + f->y[2] * (y - f->my);
}

/* Least squares of the anchors in use; turn and scale only when the anchors span enough. */
static bool solve_fit(const double *px, const double *py, const double *vx, const double *vy,
                      const bool *use, int n, int min_span, fit *f)
{
    double sx = 0, sy = 0, m = 0, lox = 1e9, hix = -1e9, loy = 1e9, hiy = -1e9;
    for (int i = 0; i < n; i++)
        if (use[i]) {
            sx += px[i];
            sy += py[i];
            m++;
            lox = fmin(lox, px[i]);
            hix = fmax(hix, px[i]);
            loy = fmin(loy, py[i]);
            hiy = fmax(hiy, py[i]);
        }
    if (m < 3)
        return false;
    memset(f, 0, sizeof *f);
    f->mx = sx / m;
    f->my = sy / m;
    bool span_x = hix - lox >= min_span, span_y = hiy - loy >= min_span;
    double xx = 0, yy = 0, xy = 0, xvx = 0, yvx = 0, xvy = 0, yvy = 0, mvx = 0, mvy = 0;
    for (int i = 0; i < n; i++)
        if (use[i]) {
            double dx = span_x ? px[i] - f->mx : 0, dy = span_y ? py[i] - f->my : 0;
            xx += dx * dx;
            yy += dy * dy;
            xy += dx * dy;
            xvx += dx * vx[i];
            yvx += dy * vx[i];
            xvy += dx * vy[i];
            yvy += dy * vy[i];
            mvx += vx[i];
            mvy += vy[i];
        }
    f->x[0] = mvx / m;
    f->y[0] = mvy / m;
    double det = xx * yy - xy * xy;
    if (span_x && span_y && det > 1e-6) {
        f->x[1] = (xvx * yy - yvx * xy) / det;
        f->x[2] = (yvx * xx - xvx * xy) / det;
        f->y[1] = (xvy * yy - yvy * xy) / det;
        f->y[2] = (yvy * xx - xvy * xy) / det;
    } else if (span_x && xx > 0) {
        f->x[1] = xvx / xx;
        f->y[1] = xvy / xx;
    } else if (span_y && yy > 0) {
        f->x[2] = yvx / yy;
        f->y[2] = yvy / yy;
    }
    return true;
}

/* The anchors: blocks of a with enough ink, in the scattered order, each searched for in b;
 * those that match well and pin their shift down in both directions are fitted. */
static bool register_pages(const vd_page_print *a, const vd_page_print *b, int ox, int oy, int r,
                           int anchors, int most_tries, fit *f)
{
    int gw = (a->w + CELL_W - 1) / CELL_W, gh = (a->h + CELL_H - 1) / CELL_H, n = gw * gh;
    int step = scatter_step(n), found = 0;
    double px[ANCHORS], py[ANCHORS], vx[ANCHORS], vy[ANCHORS];
    bool use[ANCHORS];
    for (int k = 0, tries = 0; k < n && found < anchors && tries < most_tries; k++) {
        int i = (int)(((int64_t)k * step + 7) % n);
        int x0 = (i % gw) * CELL_W, y0 = (i / gw) * CELL_H;
        if (cell_ink(a, x0, y0) < ANCHOR_MIN_INK)
            continue;
        tries++;
        cell_win w;
        cell_fit c;
        load_cell(a, b, x0, y0, ox, oy, r, true, &w);
        best_shift(&w, &c);
        /* Matched well, and a worse match two pixels off along each axis: a block of text,
         * not a rule (which slides along itself) nor handwriting that b does not have. */
        int ink = w.a_ink + c.b_ink, margin = 4 + w.a_ink / 20;
        int off_x = cell_cost(&w, c.sx - 2, c.sy), off_y = cell_cost(&w, c.sx, c.sy - 2);
        int off_x2 = cell_cost(&w, c.sx + 2, c.sy), off_y2 = cell_cost(&w, c.sx, c.sy + 2);
        off_x = off_x < off_x2 ? off_x : off_x2;
        off_y = off_y < off_y2 ? off_y : off_y2;
        if (c.cost * 5 > ink || off_x - c.cost < margin || off_y - c.cost < margin)
            continue;
        px[found] = x0 + CELL_W / 2.0;
        py[found] = y0 + CELL_H / 2.0;
        vx[found] = ox + c.sx;
        vy[found] = oy + c.sy;
        use[found] = true;
        found++;
    }
    int min_span = (a->w < a->h ? a->w : a->h) / 4;
    for (int round = 0; round < 3; round++) {
        if (!solve_fit(px, py, vx, vy, use, found, min_span, f))
            return false;
        if (round == 2)
            break;
        for (int i = 0; i < found; i++) {
            double fx, fy;
            fit_at(f, px[i], py[i], &fx, &fy);
            use[i] = fabs(fx - vx[i]) <= FIT_TOLERANCE && fabs(fy - vy[i]) <= FIT_TOLERANCE;
        }
    }
    int inliers = 0;
    for (int i = 0; i < found; i++)
        inliers += use[i];
    /* A sheet is not stretched by more than 4 % nor turned by more than 2° between scans. */
    return inliers >= 6 && fabs(f->x[1]) < 0.04 && fabs(f->x[2]) < 0.04 && fabs(f->y[1]) < 0.04 &&
           fabs(f->y[2]) < 0.04;
}

/* ---- the comparison ---- */

/* Every cell of a against b where the fit puts it, within a pixel, in the scattered order,
 * until STOP_AFTER differ. A first pass after a quick fit (quick) counts a cell as differing
 * only when nothing within QUICK_R pixels matches it either, and counts the others in *loose:
 * those differ because the quick fit is a pixel or two off, not because the pages do. */
#define QUICK_R 3

static void compare_cells(const vd_page_print *a, const vd_page_print *b, const fit *f, bool quick,
                          int *loose, int *matched, vd_page_match *m)
{
    int gw = (a->w + CELL_W - 1) / CELL_W, gh = (a->h + CELL_H - 1) / CELL_H, n = gw * gh;
    int step = scatter_step(n);
    *loose = *matched = 0;
    for (int k = 0; k < n && m->differing < STOP_AFTER; k++) {
        int i = (int)(((int64_t)k * step + 7) % n);
        int x0 = (i % gw) * CELL_W, y0 = (i / gw) * CELL_H;
        double fx, fy;
        fit_at(f, x0 + CELL_W / 2.0, y0 + CELL_H / 2.0, &fx, &fy);
        int ox = (int)lrint(fx), oy = (int)lrint(fy);
        /* Outside b's picture (or across its edge): a's ink there cannot be compared. */
        if (x0 + ox - 1 < 0 || y0 + oy - 1 < 0 || x0 + ox + CELL_W + 1 > b->w ||
            y0 + oy + CELL_H + 1 > b->h) {
            m->unseen += cell_ink(a, x0, y0) > CELL_MISS;
            continue;
        }
        cell_win w;
        cell_fit c;
        load_cell(a, b, x0, y0, ox, oy, 1, false, &w);
        if (w.empty)
            continue;
        best_shift(&w, &c);
        if (w.a_ink == 0 && c.b_ink == 0)
            continue;
        m->cells++;
        int miss = c.a_miss > c.b_miss ? c.a_miss : c.b_miss;
        m->worst = miss > m->worst ? miss : m->worst;
        if (miss <= CELL_MISS) {
            *matched += w.a_ink > CELL_MISS && c.b_ink > CELL_MISS;
            continue;
        }
        if (is_speck_only(&w, &c)) {
            m->specks++;
            continue;
        }
        if (quick) {
            cell_win wide;
            cell_fit cw;
            load_cell(a, b, x0, y0, ox, oy, QUICK_R, false, &wide);
            best_shift(&wide, &cw);
            if ((cw.a_miss > cw.b_miss ? cw.a_miss : cw.b_miss) <= CELL_MISS) {
                (*loose)++;
                continue;
            }
        }
        if (m->n_areas < VD_MATCH_AREAS) {
            m->on_a[m->n_areas] = (vd_page_area){(float)x0 / a->w, (float)y0 / a->h,
                                                 (float)CELL_W / a->w, (float)CELL_H / a->h};
            m->on_b[m->n_areas] =
                (vd_page_area){(float)(x0 + ox + c.sx) / b->w, (float)(y0 + oy + c.sy) / b->h,
                               (float)CELL_W / b->w, (float)CELL_H / b->h};
            m->n_areas++;
        }
        m->differing++;
    }
}

static void describe_fit(const vd_page_print *a, const vd_page_print *b, const fit *f,
                         vd_page_match *m)
{
    double ax, ay;
    fit_at(f, a->w / 2.0, a->h / 2.0, &ax, &ay);
    m->registered = true;
    m->dx_mm = (ax + a->w / 2.0 - b->w / 2.0) / a->px_per_mm;
    m->dy_mm = (ay + a->h / 2.0 - b->h / 2.0) / a->px_per_mm;
    m->angle_deg = (f->x[2] - f->y[1]) / 2 * 180 / M_PI;
    m->scale = 1 + (f->x[1] + f->y[2]) / 2;
}

/* A quick fit first: for two straightened pages the profiles' shift alone, otherwise a fit on
 * a few blocks. Two pages that differ are told apart on it (cells that differ even a few pixels
 * around, among twice as many that match: the fit is right). Only a pair that the quick fit cannot
 * settle (no confirmed difference, but cells a pixel or two off) is registered on every block
 * and compared again. */
#define QUICK_ANCHORS 8
#define QUICK_TRIES 14

bool vd_compare_pages(const vd_page_print *a, const vd_page_print *b, vd_page_match *m)
{
    memset(m, 0, sizeof *m);
    m->scale = 1;
    if (!a || !b || a->px_per_mm != b->px_per_mm || !a->ink || !b->ink)
        return false;
    /* The profiles give the shift; both prints are laid out about their pages' centres. */
    int range = (int)(MAX_SHIFT_MM * a->px_per_mm);
    int cx = (b->w - a->w) / 2, cy = (b->h - a->h) / 2;
    int dx = profile_shift(&a->cols, &b->cols, range + abs(cx));
    int dy = profile_shift(&a->rows, &b->rows, range + abs(cy));
    bool upright = a->upright && b->upright;
    int r = upright ? ANCHOR_R_UPRIGHT : ANCHOR_R_FREE, loose = 0, matched = 0;
    fit f = {.x = {dx}, .y = {dy}}; /* straightened pages: the profiles' shift will do */
    if (upright || register_pages(a, b, dx, dy, r, QUICK_ANCHORS, QUICK_TRIES, &f)) {
        describe_fit(a, b, &f, m);
        compare_cells(a, b, &f, true, &loose, &matched, m);
        /* Differing where as many cells with ink match: the fit holds, the pages differ. */
        if ((m->differing >= STOP_AFTER && matched >= 2 * STOP_AFTER) ||
            (m->differing < STOP_AFTER && loose == 0))
            goto verdict;
    }
    memset(m, 0, sizeof *m);
    m->scale = 1;
    if (!register_pages(a, b, dx, dy, r, ANCHORS, ANCHOR_TRIES, &f))
        return false;
    describe_fit(a, b, &f, m);
    compare_cells(a, b, &f, false, &loose, &matched, m);
verdict:
    m->duplicate = m->differing == 0 && m->specks <= VD_MATCH_MAX_SPECKS &&
                   m->cells >= VD_MATCH_MIN_CELLS && m->unseen * 10 <= m->cells;
    return m->duplicate;
}

bool vd_match_is_near(const vd_page_match *m)
{
    return !m->duplicate && m->registered && m->cells >= VD_MATCH_MIN_CELLS &&
           m->unseen * 10 <= m->cells && m->differing <= VD_MATCH_NEAR &&
           m->differing + m->specks > 0;
}
