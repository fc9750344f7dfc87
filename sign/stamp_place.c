/* Where the stamp goes on page 1: in the top-right region of the page as displayed (Circular
 * 01/2019/TT-BNV), and there, by default, where it hides the least of what is printed. Forms
 * print headers in that corner (Mẫu 2-HSĐV: "ĐẢNG CỘNG SẢN VIỆT NAM"); a stamp over them makes
 * both unreadable. The page is rendered small and grey by Poppler (pdf_doc_render_grey), an
 * integral image of its ink gives the ink under every candidate place in constant time, and
 * the least-covering place nearest to the corner wins.
 *
 * Coordinates: "display" points have their origin at the top-left corner of the page as
 * displayed (its /Rotate applied), x to the right, y downwards. */
#include "sign_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PLACE_PPI 50.0     /* enough to see text lines; a page renders in a few milliseconds */
#define SCAN_PPI 36.0      /* a JPEG scan at 1/8 of 300 ppi: 37.5 */
#define PLACE_MAX_PX 1600u /* either side: a huge page is rendered coarser */
#define INK_BELOW_PAPER 48 /* grey levels below the paper's own tone that count as ink */
/* The stamp keeps this far from print: ink this near its edge counts as covered. */
#define CLEARANCE_PT 4.0
/* Places whose ink is within this much (per pixel of the stamp) of the least are equals; the
 * nearest to the corner is taken among them. Half a grey level: scanner noise, not print. */
#define INK_TOLERANCE_PER_PX 0.5

/* The page's size as displayed. */
static void displayed(const double box[4], int rotate, double *w, double *h)
{
    double bw = box[2] - box[0], bh = box[3] - box[1];
    bool turned = rotate == 90 || rotate == 270;
    *w = turned ? bh : bw;
    *h = turned ? bw : bh;
}

/* A display point to default user space, for a box shown turned clockwise by rotate. */
static void to_user(const double box[4], int rotate, double x, double y, double *ux, double *uy)
{
    switch (rotate) {
    case 90:
        *ux = box[0] + y, *uy = box[1] + x;
        break;
    case 180:
        *ux = box[2] - x, *uy = box[1] + y;
        break;
    case 270:
        *ux = box[2] - y, *uy = box[3] - x;
        break;
    default:
        *ux = box[0] + x, *uy = box[3] - y;
        break;
    }
}

/* The range of the stamp's top-left corner: x in [x_min, x_max], y in [y_min, y_max], within
 * the top-right quarter and at least margin from the top and right edges. A stamp larger than
 * the quarter gets the corner alone along that side. */
typedef struct {
    double x_min, x_max, y_min, y_max;
} place_range;

static place_range range_of(double page_w, double page_h, double w, double h, double margin)
{
    place_range r;
    r.x_max = page_w - margin - w;
    r.x_min = fmin(r.x_max, page_w / 2);
    r.y_min = margin;
    r.y_max = fmax(r.y_min, page_h / 2 - h);
    return r;
}

/* The grey level of the paper: the median of the quarter's pixels. */
static int paper_level(const uint8_t *px, uint32_t px_w, uint32_t x0, uint32_t x1, uint32_t y0,
                       uint32_t y1)
{
    uint64_t hist[256] = {0}, n = 0;
    for (uint32_t y = y0; y < y1; y++)
        for (uint32_t x = x0; x < x1; x++) {
            hist[px[(size_t)y * px_w + x]]++;
            n++;
        }
    uint64_t seen = 0;
    for (int v = 0; v < 256; v++) {
        seen += hist[v];
        if (2 * seen >= n && n)
            return v;
    }
    return 255;
}

void sg_stamp_least_ink(const uint8_t *px, uint32_t px_w, uint32_t px_h, double page_w,
                        double page_h, double w, double h, double margin, double *x, double *y)
{
    place_range r = range_of(page_w, page_h, w, h, margin);
    *x = r.x_max; /* the corner, unless something better is found */
    *y = r.y_min;
    if (!px || px_w < 2 || px_h < 2 || !(page_w > 0) || !(page_h > 0))
        return;
    /* Pixels per point, each way (the rendering rounds the page's size to whole pixels). */
    double sx = px_w / page_w, sy = px_h / page_h;
    uint32_t qx0 = (uint32_t)fmin(px_w - 1, floor(page_w / 2 * sx));
    uint32_t qy1 = (uint32_t)fmax(1, fmin(px_h, ceil(page_h / 2 * sy)));
    int paper = paper_level(px, px_w, qx0, px_w, 0, qy1);
    int threshold = paper - INK_BELOW_PAPER;
    if (threshold <= 0)
        return; /* a dark page: nothing to tell ink from paper */

    /* The integral image of the ink over the pixels the candidates and their clearance reach. */
    uint32_t sw = (uint32_t)lround(w * sx), sh = (uint32_t)lround(h * sy);
    uint32_t cx0 = (uint32_t)fmin(px_w, fmax(0, ceil(r.x_min * sx)));
    uint32_t cx1 = (uint32_t)fmin(px_w, fmax(0, floor(r.x_max * sx)));
    uint32_t cy0 = (uint32_t)fmin(px_h, fmax(0, ceil(r.y_min * sy)));
    uint32_t cy1 = (uint32_t)fmin(px_h, fmax(0, floor(r.y_max * sy)));
    if (sw == 0 || sh == 0 || cx1 < cx0 || cy1 < cy0)
        return;
    uint32_t cw = (uint32_t)lround(CLEARANCE_PT * sx), ch = (uint32_t)lround(CLEARANCE_PT * sy);
    uint32_t ix0 = cx0 > cw ? cx0 - cw : 0, ix1 = (uint32_t)fmin(px_w, (double)cx1 + sw + cw);
    uint32_t iy0 = cy0 > ch ? cy0 - ch : 0, iy1 = (uint32_t)fmin(px_h, (double)cy1 + sh + ch);
    size_t iw = (size_t)(ix1 - ix0) + 1, ih = (size_t)(iy1 - iy0) + 1;
    uint64_t *sum = g_try_new0(uint64_t, iw * ih);
    if (!sum)
        return;
    for (size_t j = 1; j < ih; j++) {
        const uint8_t *row = px + (size_t)(iy0 + j - 1) * px_w + ix0;
        uint64_t acc = 0;
        for (size_t i = 1; i < iw; i++) {
            int v = row[i - 1];
            acc += v < threshold ? (uint64_t)(threshold - v) : 0;
            sum[j * iw + i] = sum[(j - 1) * iw + i] + acc;
        }
    }
    /* The ink under the stamp with its top-left pixel at (cx, cy) and its clearance around it,
     * cut at the picture's edge. */
#define AT(i, j) sum[(size_t)(j)*iw + (size_t)(i)]
    uint64_t best = UINT64_MAX;
    GArray *inks = g_array_sized_new(FALSE, FALSE, sizeof(uint64_t),
                                     (guint)((cx1 - cx0 + 1) * (cy1 - cy0 + 1)));
    for (uint32_t cy = cy0; cy <= cy1; cy++)
        for (uint32_t cx = cx0; cx <= cx1; cx++) {
            size_t i0 = cx - ix0 > cw ? cx - ix0 - cw : 0, j0 = cy - iy0 > ch ? cy - iy0 - ch : 0;
            size_t i1 = (size_t)fmin(iw - 1, (double)(cx - ix0) + sw + cw);
            size_t j1 = (size_t)fmin(ih - 1, (double)(cy - iy0) + sh + ch);
            uint64_t ink = AT(i1, j1) - AT(i0, j1) - AT(i1, j0) + AT(i0, j0);
            g_array_append_val(inks, ink);
            if (ink < best)
                best = ink;
        }
#undef AT
    uint64_t tolerance = (uint64_t)(INK_TOLERANCE_PER_PX * sw * sh);
    /* (cx1, cy0) is the candidate nearest to the corner. */
    double nearest = INFINITY;
    uint32_t bx = cx1, by = cy0;
    size_t k = 0;
    for (uint32_t cy = cy0; cy <= cy1; cy++)
        for (uint32_t cx = cx0; cx <= cx1; cx++, k++) {
            if (g_array_index(inks, uint64_t, k) > best + tolerance)
                continue;
            double dx = (double)cx1 - cx, dy = (double)cy - cy0, d = dx * dx + dy * dy;
            if (d < nearest)
                nearest = d, bx = cx, by = cy;
        }
    if (bx != cx1 || by != cy0) { /* back to points, inside the range (pixels round) */
        *x = fmin(r.x_max, fmax(r.x_min, bx / sx));
        *y = fmin(r.y_max, fmax(r.y_min, by / sy));
    }
    g_array_free(inks, TRUE);
    g_free(sum);
}

/* The ink measured on the page pictured: where the stamp's top-left corner goes (display
 * points); false when the page cannot be pictured. */
static bool measured_place(const char *path, pdf_reader *r, int index, double page_w, double page_h,
                           double w, double h, double margin, double *x, double *y)
{
    uint8_t *px = NULL;
    uint32_t px_w = 0, px_h = 0;
    sg_scan scan = r ? sg_scan_grey(r, index, SCAN_PPI, &px, &px_w, &px_h) : SG_SCAN_NONE;
    if (scan == SG_SCAN_OK) {
        sg_stamp_least_ink(px, px_w, px_h, page_w, page_h, w, h, margin, x, y);
        g_free(px);
        sh_debug("%s: the stamp's place measured on the page's JPEG scan", path);
        return true;
    }
    if (scan == SG_SCAN_BROKEN) {
        sh_debug("%s: the page's JPEG scan does not decode: the stamp goes in the corner", path);
        return false;
    }
    pdf_doc *doc = NULL;
    sh_error err = {0};
    if (pdf_doc_open(path, &doc, NULL, &err) != SH_OK) {
        sh_debug("%s: no stamp placement by ink: %s", path, err.msg);
        return false;
    }
    double ppi = 0;
    bool ok = pdf_doc_render_grey(doc, index, PLACE_PPI, PLACE_MAX_PX, &px, &px_w, &px_h, &ppi,
                                  &err) == SH_OK;
    pdf_doc_close(doc);
    if (!ok) {
        sh_debug("%s: no stamp placement by ink: %s", path, err.msg);
        return false;
    }
    sg_stamp_least_ink(px, px_w, px_h, page_w, page_h, w, h, margin, x, y);
    g_free(px);
    sh_debug("%s: the stamp's place measured on the page rendered", path);
    return true;
}

void sg_stamp_place(const char *path, pdf_reader *r, int index, const double box[4], int rotate,
                    double w, double h, double margin, sg_placement mode, sg_stamp_spot *out)
{
    memset(out, 0, sizeof *out);
    double page_w, page_h;
    displayed(box, rotate, &page_w, &page_h);
    /* A page too small for the stamp and its margins: both scaled down together. */
    double k = 1;
    if (page_w > 0 && page_h > 0)
        k = fmin(1.0, fmin(page_w / (w + 2 * margin), page_h / (h + 2 * margin)));
    w *= k, h *= k, margin *= k;
    out->scale = k;
    place_range range = range_of(page_w, page_h, w, h, margin);
    double x = range.x_max, y = range.y_min;
    if (mode == SG_PLACE_AUTO &&
        measured_place(path, r, index, page_w, page_h, w, h, margin, &x, &y))
        out->moved = x != range.x_max || y != range.y_min;
    double ax, ay, bx, by;
    to_user(box, rotate, x, y, &ax, &ay);
    to_user(box, rotate, x + w, y + h, &bx, &by);
    out->rect[0] = fmin(ax, bx), out->rect[1] = fmin(ay, by);
    out->rect[2] = fmax(ax, bx), out->rect[3] = fmax(ay, by);
}
