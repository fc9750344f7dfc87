/* Page analysis: blank, cropped edges, missing corners and the duplicate hash; skew and
 * orientation are in page_orient.c, the working image in page_prep.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "validate/page_impl.h"

/* Blank: no content left once noise, punch holes and whatever touches the edge (lid strips,
 * shadows) are set aside. A page with only a signature, a stamp or one line is not blank: the
 * content's extent (the sum of its components' longer sides) is what counts, not its ink. */
static void blank(const vd_work *wk, vd_page_result *out)
{
    double extent = 0, ink = 0;
    for (int i = 0; i < wk->ncc; i++) {
        const vd_cc *c = &wk->cc[i];
        if (c->cls != VD_CC_TEXT && c->cls != VD_CC_LARGE)
            continue;
        int bw = c->x1 - c->x0 + 1, bh = c->y1 - c->y0 + 1;
        extent += bw > bh ? bw : bh;
        ink += c->area;
    }
    out->blank = extent < vd_mm(wk, 8);
    out->ink_ratio = out->blank ? 0 : ink / ((double)wk->w * wk->h);
}

/* A dark strip along an edge (the scanner lid): long along it, solid. */
static bool strip(const vd_work *wk, const vd_cc *c, int bw, int bh)
{
    double fill = (double)c->area / ((double)bw * bh);
    return fill > 0.5 && (bw > wk->w * 3 / 10 || bh > wk->h * 3 / 10);
}

/* Which corner a component covers: it reaches both edges there, with legs of at least 10 mm,
 * and fills about half of its box (a triangle). */
static int corner_of(const vd_work *wk, const vd_cc *c, int bw, int bh)
{
    double fill = (double)c->area / ((double)bw * bh), leg = vd_mm(wk, 10);
    if (bw < leg || bh < leg || fill < 0.3 || fill > 0.85)
        return VD_CORNER_NONE;
    if (bw > wk->w / 2 || bh > wk->h / 2)
        return VD_CORNER_NONE;
    size_t at[4][2] = {{0, 0},
                       {(size_t)wk->w - 1, 0},
                       {(size_t)wk->w - 1, (size_t)wk->h - 1},
                       {0, (size_t)wk->h - 1}};
    int id = (int)(c - wk->cc) + 1;
    for (int k = 0; k < 4; k++)
        if (wk->label[at[k][1] * (size_t)wk->w + at[k][0]] == id)
            return k + 1;
    return VD_CORNER_NONE;
}

/* Cropped: letters or marks cut by an edge. One cut component may be a smudge; two are not. */
static void cropped(const vd_work *wk, vd_page_result *out)
{
    int count[4] = {0}; /* top, right, bottom, left */
    double minsize = vd_mm(wk, 1.2);
    out->corner = VD_CORNER_NONE;
    for (int i = 0; i < wk->ncc; i++) {
        const vd_cc *c = &wk->cc[i];
        if (c->cls != VD_CC_BORDER)
            continue;
        int bw = c->x1 - c->x0 + 1, bh = c->y1 - c->y0 + 1;
        if ((bw > bh ? bw : bh) < minsize || strip(wk, c, bw, bh))
            continue;
        int k = corner_of(wk, c, bw, bh);
        if (k) {
            out->corner = k;
            continue;
        }
        int weight = bw > vd_mm(wk, 20) || bh > vd_mm(wk, 20) ? 2 : 1;
        count[0] += (c->y0 == 0) * weight;
        count[1] += (c->x1 == wk->w - 1) * weight;
        count[2] += (c->y1 == wk->h - 1) * weight;
        count[3] += (c->x0 == 0) * weight;
    }
    out->cropped_edges = 0;
    for (int k = 0; k < 4; k++)
        if (count[k] >= 2)
            out->cropped_edges |= 1 << k;
    out->cropped = out->cropped_edges != 0;
    out->corner_missing = out->corner != VD_CORNER_NONE;
}

/* The content's ink over its bounding box (text and large marks), in VD_INKMAP² cells scaled to
 * 0..255: what the duplicate hash is made from, and fine enough to confirm a duplicate. */
static void ink_map(const vd_work *wk, uint8_t map[VD_INKMAP * VD_INKMAP])
{
    memset(map, 0, VD_INKMAP * VD_INKMAP);
    int x0 = wk->w, y0 = wk->h, x1 = -1, y1 = -1;
    for (int i = 0; i < wk->ncc; i++) {
        const vd_cc *c = &wk->cc[i];
        if (c->cls != VD_CC_TEXT && c->cls != VD_CC_LARGE)
            continue;
        x0 = c->x0 < x0 ? c->x0 : x0;
        y0 = c->y0 < y0 ? c->y0 : y0;
        x1 = c->x1 > x1 ? c->x1 : x1;
        y1 = c->y1 > y1 ? c->y1 : y1;
    }
    if (x1 < x0)
        return;
    uint32_t(*cell)[VD_INKMAP] = calloc(VD_INKMAP, sizeof *cell);
    if (!cell)
        return;
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    for (int y = y0; y <= y1; y++) {
        int cy = (y - y0) * VD_INKMAP / bh;
        const uint8_t *row = wk->ink + (size_t)y * (size_t)wk->w;
        const int32_t *lab = wk->label + (size_t)y * (size_t)wk->w;
        for (int x = x0; x <= x1; x++) {
            if (!row[x])
                continue;
            int cls = wk->cc[lab[x] - 1].cls;
            if (cls == VD_CC_TEXT || cls == VD_CC_LARGE)
                cell[cy][(x - x0) * VD_INKMAP / bw]++;
        }
    }
    uint32_t most = 1;
    for (int y = 0; y < VD_INKMAP; y++)
        for (int x = 0; x < VD_INKMAP; x++)
            most = cell[y][x] > most ? cell[y][x] : most;
    for (int y = 0; y < VD_INKMAP; y++)
        for (int x = 0; x < VD_INKMAP; x++)
            map[y * VD_INKMAP + x] = (uint8_t)((uint64_t)cell[y][x] * 255 / most);
    free(cell);
}

/* pHash of the ink map: 32x32 cells (2x2 of the map's), the 8x8 lowest DCT frequencies, one
 * bit each for above their median (the DC term left out). */
static uint64_t phash(const uint8_t map[VD_INKMAP * VD_INKMAP])
{
    enum { K = VD_INKMAP / 32 }; /* map cells per hash cell, each way */
    double cell[32][32] = {{0}}, dct[8][32], coef[64];
    for (int y = 0; y < VD_INKMAP; y++)
        for (int x = 0; x < VD_INKMAP; x++)
            cell[y / K][x / K] += map[y * VD_INKMAP + x];
    /* Separable DCT-II: rows first (8 frequencies), then columns. */
    for (int v = 0; v < 32; v++)
        for (int u = 0; u < 8; u++) {
            double s = 0;
            for (int x = 0; x < 32; x++)
                s += cell[v][x] * cos(M_PI * (2 * x + 1) * u / 64.0);
            dct[u][v] = s;
        }
    for (int v = 0; v < 8; v++)
        for (int u = 0; u < 8; u++) {
            double s = 0;
            for (int y = 0; y < 32; y++)
                s += dct[u][y] * cos(M_PI * (2 * y + 1) * v / 64.0);
            coef[v * 8 + u] = s;
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
    uint64_t hsh = 0;
    for (int i = 0; i < 64; i++)
        if (coef[i] > median)
            hsh |= (uint64_t)1 << i;
    return hsh;
}

void vd_analyse_page(const vd_image *img, vd_page_result *out)
{
    memset(out, 0, sizeof *out);
    memset(&vd_last_cues, 0, sizeof vd_last_cues);
    out->blank = true;
    vd_work wk;
    memset(&wk, 0, sizeof wk);
    if (!img || !img->px || img->w < 1 || img->h < 1 || img->stride < img->w ||
        !vd_work_init(&wk, img)) {
        vd_work_free(&wk);
        return;
    }
    blank(&wk, out);
    cropped(&wk, out);
    if (!out->blank) {
        vd_orient(&wk, out);
        ink_map(&wk, out->inkmap);
        out->phash = phash(out->inkmap);
    }
    vd_work_free(&wk);
}

int vd_phash_distance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

/* The map with each cell replaced by the sum of its 3 × 3 neighbourhood (edges clamped): a
 * rescan tilted by a few tenths of a degree moves ink by about one cell. */
static void blur3(const uint8_t *m, uint16_t *out)
{
    for (int y = 0; y < VD_INKMAP; y++)
        for (int x = 0; x < VD_INKMAP; x++) {
            unsigned s = 0;
            for (int dy = -1; dy <= 1; dy++) {
                int yy = y + dy < 0 ? 0 : y + dy >= VD_INKMAP ? VD_INKMAP - 1 : y + dy;
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx < 0 ? 0 : x + dx >= VD_INKMAP ? VD_INKMAP - 1 : x + dx;
                    s += m[yy * VD_INKMAP + xx];
                }
            }
            out[y * VD_INKMAP + x] = (uint16_t)s;
        }
}

double vd_inkmap_similarity(const uint8_t *a, const uint8_t *b)
{
    enum { N = VD_INKMAP * VD_INKMAP };
    uint16_t *ba = malloc(2 * N * sizeof *ba);
    if (!ba)
        return 0;
    uint16_t *bb = ba + N;
    blur3(a, ba);
    blur3(b, bb);
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int i = 0; i < N; i++) {
        sa += ba[i];
        sb += bb[i];
        saa += (double)ba[i] * ba[i];
        sbb += (double)bb[i] * bb[i];
        sab += (double)ba[i] * bb[i];
    }
    free(ba);
    double va = saa - sa * sa / N, vb = sbb - sb * sb / N;
    if (va <= 0 || vb <= 0)
        return 0;
    return (sab - sa * sb / N) / sqrt(va * vb);
}
