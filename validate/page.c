/* Page analysis: blank, cropped edges and missing corners; skew and orientation are in
 * page_orient.c, the working image in page_prep.c, the duplicate hash and print in
 * page_compare.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "page_cc_impl.h"

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

static void analyse(const vd_image *img, vd_page_result *out, vd_page_print **print)
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
        vd_page_print *p = vd_print_make(&wk, out);
        out->phash = vd_print_phash(p);
        if (print)
            *print = p;
        else
            vd_page_print_free(p);
    }
    vd_work_free(&wk);
}

void vd_analyse_page(const vd_image *img, vd_page_result *out) { analyse(img, out, NULL); }

void vd_analyse_page_print(const vd_image *img, vd_page_result *out, vd_page_print **print)
{
    *print = NULL;
    analyse(img, out, print);
}
