/* The working image: the page reduced to 100-200 ppi, binarised against its own paper tone, and
 * its ink cut into connected components sorted into noise, text, large marks, holes, border. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "page_cc_impl.h"

/* Reduce by an integer factor, averaging each f x f box: thin strokes stay as grey, not gaps. */
static bool reduce(vd_work *wk, const vd_image *img)
{
    double ppi = img->ppi > 0 ? img->ppi : (img->w > img->h ? img->w : img->h) / (297.0 / 25.4);
    int f = ppi >= 200 ? (int)(ppi / 100) : 1;
    uint32_t longer = img->w > img->h ? img->w : img->h;
    while (longer / (uint32_t)f > VD_MAX_WORK_PX)
        f++;
    wk->w = (int)(img->w / (uint32_t)f);
    wk->h = (int)(img->h / (uint32_t)f);
    if (wk->w < 8 || wk->h < 8)
        return false;
    wk->ppi = ppi / f;
    size_t n = (size_t)wk->w * (size_t)wk->h;
    wk->grey = malloc(n);
    if (!wk->grey)
        return false;
    uint32_t *acc = calloc((size_t)wk->w, sizeof *acc);
    if (!acc)
        return false;
    for (int y = 0; y < wk->h; y++) {
        memset(acc, 0, (size_t)wk->w * sizeof *acc);
        for (int dy = 0; dy < f; dy++) {
            const uint8_t *row = img->px + (size_t)(y * f + dy) * img->stride;
            for (int x = 0; x < wk->w; x++) {
                const uint8_t *p = row + (size_t)x * (size_t)f;
                uint32_t s = 0;
                for (int dx = 0; dx < f; dx++)
                    s += p[dx];
                acc[x] += s;
            }
        }
        uint8_t *out = wk->grey + (size_t)y * (size_t)wk->w;
        uint32_t ff = (uint32_t)(f * f);
        for (int x = 0; x < wk->w; x++)
            out[x] = (uint8_t)((acc[x] + ff / 2) / ff);
    }
    free(acc);
    return true;
}

/* Paper is what most of a page is: the 70th percentile grey. Ink is well under it, whatever the
 * paper's tint; faint dust (grey 170 on 244 paper) and JPEG ringing stay paper. */
static void binarise(vd_work *wk)
{
    size_t n = (size_t)wk->w * (size_t)wk->h, hist[256] = {0}, seen = 0;
    for (size_t i = 0; i < n; i++)
        hist[wk->grey[i]]++;
    int v = 0;
    for (; v < 255; v++) {
        seen += hist[v];
        if (seen >= n * 7 / 10)
            break;
    }
    wk->paper = v < 64 ? 64 : v;
    int t = wk->paper * 65 / 100;
    for (size_t i = 0; i < n; i++)
        wk->ink[i] = wk->grey[i] < t;
}

static int32_t find(int32_t *parent, int32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

/* Two-pass 8-connected labelling with union-find; labels become 1..ncc. */
static bool label(vd_work *wk)
{
    int w = wk->w, h = wk->h;
    size_t cap = 1024;
    int32_t *parent = malloc(cap * sizeof *parent), next = 1;
    if (!parent)
        return false;
    parent[0] = 0;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            if (!wk->ink[i]) {
                wk->label[i] = 0;
                continue;
            }
            int32_t nb[4], k = 0;
            if (x > 0 && wk->label[i - 1])
                nb[k++] = wk->label[i - 1];
            if (y > 0) {
                const int32_t *up = wk->label + i - (size_t)w;
                if (x > 0 && up[-1])
                    nb[k++] = up[-1];
                if (up[0])
                    nb[k++] = up[0];
                if (x + 1 < w && up[1])
                    nb[k++] = up[1];
            }
            if (!k) {
                if ((size_t)next == cap) {
                    int32_t *p = realloc(parent, 2 * cap * sizeof *p);
                    if (!p) {
                        free(parent);
                        return false;
                    }
                    parent = p;
                    cap *= 2;
                }
                parent[next] = next;
                wk->label[i] = next++;
                continue;
            }
            int32_t r = find(parent, nb[0]);
            for (int j = 1; j < k; j++) {
                int32_t s = find(parent, nb[j]);
                if (s < r) {
                    parent[r] = s;
                    r = s;
                } else if (s > r) {
                    parent[s] = r;
                }
            }
            wk->label[i] = r;
        }
    }
    /* Compact the roots to 1..ncc. */
    int32_t *map = calloc((size_t)next, sizeof *map), ncc = 0;
    if (!map) {
        free(parent);
        return false;
    }
    for (int32_t l = 1; l < next; l++) {
        int32_t r = find(parent, l);
        if (!map[r])
            map[r] = ++ncc;
        map[l] = map[r];
    }
    free(parent);
    wk->cc = calloc((size_t)ncc + 1, sizeof *wk->cc);
    if (!wk->cc) {
        free(map);
        return false;
    }
    wk->ncc = ncc;
    for (int i = 0; i < ncc; i++) {
        wk->cc[i].x0 = w;
        wk->cc[i].y0 = h;
        wk->cc[i].x1 = wk->cc[i].y1 = -1;
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            if (!wk->label[i])
                continue;
            wk->label[i] = map[wk->label[i]];
            vd_cc *c = &wk->cc[wk->label[i] - 1];
            c->area++;
            if (x < c->x0)
                c->x0 = x;
            if (x > c->x1)
                c->x1 = x;
            if (y < c->y0)
                c->y0 = y;
            if (y > c->y1)
                c->y1 = y;
        }
    }
    free(map);
    return true;
}

/* Sizes in millimetres, so the rules hold at any resolution. */
static void classify(vd_work *wk)
{
    double noise = vd_mm(wk, 1.2), text_h = vd_mm(wk, 8), text_w = vd_mm(wk, 40);
    double rule_h = vd_mm(wk, 1.0), hole_lo = vd_mm(wk, 3.5), hole_hi = vd_mm(wk, 10);
    for (int i = 0; i < wk->ncc; i++) {
        vd_cc *c = &wk->cc[i];
        int bw = c->x1 - c->x0 + 1, bh = c->y1 - c->y0 + 1, big = bw > bh ? bw : bh;
        double fill = (double)c->area / ((double)bw * bh);
        if (c->x0 == 0 || c->y0 == 0 || c->x1 == wk->w - 1 || c->y1 == wk->h - 1)
            c->cls = VD_CC_BORDER;
        else if (big < noise)
            c->cls = VD_CC_NOISE;
        else if (bw >= hole_lo && bw <= hole_hi && bh >= hole_lo && bh <= hole_hi &&
                 abs(bw - bh) * 4 < big && fill > 0.6)
            c->cls = VD_CC_HOLE;
        else if (bh <= text_h && bw <= text_w && !(bh < rule_h && bw > 10 * bh))
            c->cls = VD_CC_TEXT;
        else
            c->cls = VD_CC_LARGE;
    }
}

bool vd_work_init(vd_work *wk, const vd_image *img)
{
    memset(wk, 0, sizeof *wk);
    if (!reduce(wk, img))
        return false;
    size_t n = (size_t)wk->w * (size_t)wk->h;
    wk->ink = calloc(n, 1); /* binarise writes it all, further than the analyzer follows loops */
    wk->label = malloc(n * sizeof *wk->label);
    if (!wk->ink || !wk->label)
        return false;
    binarise(wk);
    if (!label(wk))
        return false;
    classify(wk);
    return true;
}

void vd_work_free(vd_work *wk)
{
    free(wk->grey);
    free(wk->ink);
    free(wk->label);
    free(wk->cc);
    memset(wk, 0, sizeof *wk);
}
