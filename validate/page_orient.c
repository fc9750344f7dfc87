/* Skew and orientation from the text components' ink.
 *
 * Skew: shear the ink by tan(a) and project it onto rows; at the text lines' angle the profile is
 * sharpest (the sum of squared differences of adjacent rows is largest). Coarse-to-fine: 0.25
 * degree steps over +-6, then 0.025 around the best.
 * 0/180 against 90/270: the same search on the page turned 90 degrees; text lines make one
 * direction far sharper than the other.
 * 0 against 180, on the deskewed lines: (1) Vietnamese has more ink above the x-height band than
 * below it (ascenders, capitals and every diacritic against the few descenders g p q y), so a line
 * whose heavy side is below is upside down; (2) lines are left-aligned: their left ends line up,
 * their right ends are ragged. Both hold on sparse pages with a few lines; neither needs OCR.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "page_cc_impl.h"

_Thread_local vd_orient_cues vd_last_cues;

typedef struct {
    int32_t x, y;
} pt;

typedef struct {
    const pt *p;
    size_t n;
    int w, h; /* of the (turned) frame the points are in */
    double *bins;
    size_t nbins;
} proj;

#define SUB 1 /* bins per pixel: finer bins alias (at 0 degrees every other bin is empty) */

/* Row profile of the points sheared by tan(deg); bins[] gets it, in SUB bins per pixel. */
static double shear_score(proj *pr, double deg, int sub)
{
    double t = tan(deg * M_PI / 180.0), off = fabs(t) * pr->w + 2;
    size_t n = (size_t)((pr->h + 2 * off) * sub) + 2;
    memset(pr->bins, 0, n * sizeof *pr->bins);
    for (size_t i = 0; i < pr->n; i++) { /* split between the two nearest bins: no aliasing */
        double r = (pr->p[i].y + pr->p[i].x * t + off) * sub;
        size_t b = (size_t)r;
        double fr = r - (double)b;
        pr->bins[b] += 1 - fr;
        pr->bins[b + 1] += fr;
    }
    pr->nbins = n;
    double s = 0;
    for (size_t i = 1; i < n; i++) {
        double d = pr->bins[i] - pr->bins[i - 1];
        s += d * d;
    }
    return s;
}

typedef struct {
    double deg, best, median;
} skew_fit;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Coarse: 0.5 degree steps over the range (a text line's peak is wider than that at 100 ppi);
 * fine: two rounds around the best, at 0.1 then 0.02 degrees. */
static skew_fit search(proj *pr, bool fine)
{
    skew_fit f = {0, -1, 0};
    double scores[64];
    int k = 0;
    for (double a = -VD_SKEW_RANGE; a <= VD_SKEW_RANGE + 1e-9; a += 0.5) {
        double s = shear_score(pr, a, SUB);
        scores[k++] = s;
        if (s > f.best) {
            f.best = s;
            f.deg = a;
        }
    }
    qsort(scores, (size_t)k, sizeof *scores, cmp_double);
    f.median = scores[k / 2];
    for (double step = 0.1; fine && step > 0.01; step /= 5) {
        double c = f.deg;
        for (int j = -5; j <= 5; j++) {
            double s = j ? shear_score(pr, c + j * step, SUB) : -1;
            if (s > f.best) {
                f.best = s;
                f.deg = c + j * step;
            }
        }
    }
    return f;
}

/* The line cues on the deskewed profile (one bin per pixel): see the top of the file. */
static void line_cues(proj *pr, double deg, double tol_px, double peak_px, vd_orient_cues *cu)
{
    double t = tan(deg * M_PI / 180.0), off = fabs(t) * pr->w + 2;
    size_t n = (size_t)(pr->h + 2 * off) + 2;
    double *p = pr->bins, *ps = calloc(n, sizeof *ps);
    int *xmin = malloc(n * sizeof *xmin), *xmax = malloc(n * sizeof *xmax);
    int *lefts = malloc(n * sizeof *lefts), *rights = malloc(n * sizeof *rights);
    cu->asym = cu->align = 0;
    cu->lines = 0;
    if (!ps || !xmin || !xmax || !lefts || !rights)
        goto out;
    memset(p, 0, n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        xmin[i] = pr->w;
        xmax[i] = -1;
    }
    for (size_t i = 0; i < pr->n; i++) {
        size_t r = (size_t)(pr->p[i].y + pr->p[i].x * t + off);
        p[r]++;
        if (pr->p[i].x < xmin[r])
            xmin[r] = pr->p[i].x;
        if (pr->p[i].x > xmax[r])
            xmax[r] = pr->p[i].x;
    }
    double top = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        ps[i] = (p[i - 1] + 2 * p[i] + p[i + 1]) / 4;
        if (ps[i] > top)
            top = ps[i];
    }
    int k = (int)lrint(peak_px);
    if (k < 2)
        k = 2;
    double above = 0, below = 0;
    int nl = 0;
    for (int r = k; r + k < (int)n; r++) {
        if (ps[r] < 0.1 * top)
            continue;
        bool peak = true;
        for (int j = r - k; j <= r + k && peak; j++)
            if (ps[j] > ps[r] || (ps[j] == ps[r] && j < r))
                peak = false;
        if (!peak)
            continue;
        /* The core band: around the peak, down to half its height. */
        int c0 = r, c1 = r;
        while (c0 > r - 2 * k && ps[c0 - 1] >= 0.5 * ps[r])
            c0--;
        while (c1 < r + 2 * k && ps[c1 + 1] >= 0.5 * ps[r])
            c1++;
        /* Above and below it, to the profile's minimum within a line's reach. */
        int a0 = c0, b1 = c1;
        for (int j = c0 - 1; j >= r - 3 * k && j > 0 && ps[j] > 0; j--)
            if (ps[j] <= ps[a0])
                a0 = j;
        for (int j = c1 + 1; j <= r + 3 * k && j + 1 < (int)n && ps[j] > 0; j++)
            if (ps[j] <= ps[b1])
                b1 = j;
        double up = 0, down = 0;
        for (int j = a0; j < c0; j++)
            up += p[j];
        for (int j = c1 + 1; j <= b1; j++)
            down += p[j];
        above += up;
        below += down;
        int l = pr->w, rt = -1;
        for (int j = c0; j <= c1; j++) {
            if (xmin[j] < l)
                l = xmin[j];
            if (xmax[j] > rt)
                rt = xmax[j];
        }
        lefts[nl] = l;
        rights[nl] = rt;
        nl++;
        r = c1 > r + k ? c1 : r + k;
    }
    cu->lines = nl;
    if (above + below > 0)
        cu->asym = (above - below) / (above + below);
    /* The share of lines whose left (right) end is within tol of the most common one. */
    int bl = 0, br = 0;
    for (int i = 0; i < nl; i++) {
        int cl = 0, cr = 0;
        for (int j = 0; j < nl; j++) {
            cl += abs(lefts[j] - lefts[i]) <= tol_px;
            cr += abs(rights[j] - rights[i]) <= tol_px;
        }
        if (cl > bl)
            bl = cl;
        if (cr > br)
            br = cr;
    }
    if (nl >= 2)
        cu->align = (double)(bl - br) / nl;
out:
    free(ps);
    free(xmin);
    free(xmax);
    free(lefts);
    free(rights);
}

/* A seal: a roundish large mark 12-60 mm across (not a table frame, not a rule). */
static bool is_seal(const vd_work *wk, const vd_cc *c)
{
    int bw = c->x1 - c->x0 + 1, bh = c->y1 - c->y0 + 1;
    double lo = vd_mm(wk, 12), hi = vd_mm(wk, 60);
    return c->cls == VD_CC_LARGE && bw >= lo && bh >= lo && bw <= hi && bh <= hi &&
           bw * 4 <= bh * 5 && bh * 4 <= bw * 5;
}

static bool inside(const vd_cc *t, const vd_cc *c)
{
    int cx = (t->x0 + t->x1) / 2, cy = (t->y0 + t->y1) / 2;
    return cx >= c->x0 && cx <= c->x1 && cy >= c->y0 && cy <= c->y1;
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

void vd_orient(const vd_work *wk, vd_page_result *out)
{
    memset(&vd_last_cues, 0, sizeof vd_last_cues);
    out->rotate = 0;
    out->rotate_confidence = 0;
    out->skew_deg = 0;
    out->skew_confidence = 0;
    /* The text components' ink, every pixel up to a bounded number; not the letters around a
     * seal's rim, which run in a circle. */
    bool *use = calloc((size_t)wk->ncc + 1, sizeof *use);
    int *seals = malloc(((size_t)wk->ncc + 1) * sizeof *seals), ns = 0;
    size_t n = 0;
    if (!use || !seals) {
        free(use);
        free(seals);
        return;
    }
    for (int i = 0; i < wk->ncc; i++)
        if (is_seal(wk, &wk->cc[i]))
            seals[ns++] = i;
    for (int i = 0; i < wk->ncc; i++) {
        if (wk->cc[i].cls != VD_CC_TEXT)
            continue;
        use[i] = true;
        for (int j = 0; j < ns && use[i]; j++)
            use[i] = !inside(&wk->cc[i], &wk->cc[seals[j]]);
        if (use[i])
            n += (size_t)wk->cc[i].area;
    }
    free(seals);
    if (n < 200) {
        free(use);
        return;
    }
    size_t step = n / 40000 + 1, m = 0, seen = 0;
    pt *h = malloc((n / step + 1) * sizeof *h), *v = malloc((n / step + 1) * sizeof *v);
    size_t longer = (size_t)(wk->w > wk->h ? wk->w : wk->h);
    double *bins = malloc(((size_t)(longer * 1.25) * SUB + 16) * sizeof *bins);
    if (!h || !v || !bins)
        goto out;
    for (int y = 0; y < wk->h; y++) {
        const int32_t *row = wk->label + (size_t)y * (size_t)wk->w;
        for (int x = 0; x < wk->w; x++) {
            if (!row[x] || !use[row[x] - 1] || seen++ % step)
                continue;
            h[m] = (pt){x, y};
            v[m] = (pt){y, wk->w - 1 - x}; /* the page turned 90 degrees counter-clockwise */
            m++;
        }
    }
    proj ph = {h, m, wk->w, wk->h, bins, 0}, pv = {v, m, wk->h, wk->w, bins, 0};
    /* Refine both directions when they are close: a coarse step can fall beside the peak. */
    skew_fit fh = search(&ph, false), fv = search(&pv, false);
    bool close = fh.best < 4 * fv.best && fv.best < 4 * fh.best;
    if (close) {
        fh = search(&ph, true);
        fv = search(&pv, true);
    }
    bool turned = fv.best > fh.best;
    proj *pr = turned ? &pv : &ph;
    skew_fit f = close ? (turned ? fv : fh) : search(pr, true);
    vd_orient_cues cu = {0};
    cu.axis_ratio = turned ? f.best / fh.best : f.best / fv.best;
    line_cues(pr, f.deg, vd_mm(wk, 2.0), vd_mm(wk, 1.6), &cu);
    vd_last_cues = cu;

    double lines = clamp01(cu.lines / 6.0);
    out->skew_deg = f.deg;
    out->skew_confidence = clamp01((f.best / f.median - 1.0) / 1.0) * lines;
    double flip = 1.0 * cu.asym + 0.5 * cu.align;
    bool upside = flip < 0;
    if (turned)
        out->rotate = upside ? 90 : 270;
    else
        out->rotate = upside ? 180 : 0;
    double axis_conf = clamp01(log(cu.axis_ratio) / log(2.0));
    double flip_conf = clamp01(fabs(flip) / 0.4);
    if (cu.asym * cu.align < 0 && fabs(cu.align) > 0.1) /* the cues disagree */
        flip_conf *= 0.5;
    out->rotate_confidence = fmin(axis_conf, flip_conf) * lines;
out:
    free(use);
    free(h);
    free(v);
    free(bins);
}
