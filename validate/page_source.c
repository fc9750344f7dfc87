/* A page's picture for the analysis: decoded from its one scan when it is a scanned page,
 * rendered by Poppler otherwise; turned the way a reader sees the page. */
#include "page_source_impl.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "page_impl.h"
#include "page_image_impl.h"

/* ---- which image is the scan, and how it sits on the page ---- */

static double axis_length(double x, double y) { return sqrt(x * x + y * y); }

/* The image's resolution along its two axes, from its placed size (points → inches). */
static double image_ppi(const pdf_image *img)
{
    double wi = axis_length(img->ctm[0], img->ctm[1]) / 72.0;
    double hi = axis_length(img->ctm[2], img->ctm[3]) / 72.0;
    if (wi <= 0 || hi <= 0)
        return 0;
    double px = img->width / wi, py = img->height / hi;
    return px < py ? px : py;
}

static double placed_area(const pdf_image *img)
{
    return fabs(img->ctm[0] * img->ctm[3] - img->ctm[1] * img->ctm[2]);
}

static double box_area(const pdf_page_info *info)
{
    return fabs((info->box[2] - info->box[0]) * (info->box[3] - info->box[1]));
}

/* The largest image on the page, or NULL. */
static const pdf_image *largest_image(const pdf_page_info *info)
{
    const pdf_image *best = NULL;
    for (int i = 0; i < info->n_images; i++)
        if (!best || placed_area(&info->images[i]) > placed_area(best))
            best = &info->images[i];
    return best;
}

/* The scan's resolution: the sharpest image covering at least half the page (a scanner's
 * mixed-raster layers: the text mask, not the background); 0 when no image covers the page (a
 * logo on a typed page says nothing about the scan). */
static double scan_ppi(const pdf_page_info *info)
{
    double best = 0;
    for (int i = 0; i < info->n_images; i++) {
        const pdf_image *img = &info->images[i];
        if (placed_area(img) >= 0.5 * box_area(info) && image_ppi(img) > best)
            best = image_ppi(img);
    }
    return best;
}

/* Is the page one scan and nothing else we would have to render? Several images (a scanner's
 * "mixed raster" layers), visible text or drawing: render. An invisible OCR layer is fine. */
static bool is_single_scan(const pdf_page_info *info, const pdf_image *img)
{
    if (!info->content_ok || info->n_images != 1 || info->images_drawn != 1 || info->draws_text ||
        info->draws_vectors || !vd_can_decode(img))
        return false;
    double box = box_area(info);
    return box > 0 && placed_area(img) >= 0.5 * box;
}

/* A user-space direction as it points on the displayed page (x right, y down) under /Rotate. */
static void display_dir(int rotate, double dx, double dy, double *X, double *Y)
{
    switch (rotate) {
    case 90:
        *X = dy, *Y = dx;
        break;
    case 180:
        *X = -dx, *Y = dy;
        break;
    case 270:
        *X = -dy, *Y = -dx;
        break;
    default:
        *X = dx, *Y = -dy;
        break;
    }
}

static int sign_of(double v) { return v > 0 ? 1 : v < 0 ? -1 : 0; }

/* How stored pixels land on the display: X = ax·u + bx·v (+ offsets), Y = ay·u + by·v, each
 * coefficient -1, 0 or 1. False when the scan is placed at an angle that is not a multiple of
 * 90° (then the page is rendered instead). */
typedef struct {
    int ax, bx, ay, by;
} orientation;

static bool image_orientation(const pdf_image *img, int rotate, orientation *o)
{
    double uX, uY, vX, vY;
    display_dir(rotate, img->ctm[0], img->ctm[1], &uX, &uY);   /* along a row */
    display_dir(rotate, -img->ctm[2], -img->ctm[3], &vX, &vY); /* down the rows */
    const double tilt = 0.001;
    if (fabs(uY) <= tilt * fabs(uX) && fabs(vX) <= tilt * fabs(vY))
        *o = (orientation){.ax = sign_of(uX), .by = sign_of(vY)};
    else if (fabs(uX) <= tilt * fabs(uY) && fabs(vY) <= tilt * fabs(vX))
        *o = (orientation){.ay = sign_of(uY), .bx = sign_of(vX)};
    else
        return false;
    return true;
}

/* The picture turned and mirrored as o says; takes *px (w × h), gives the display-sized one. */
static void apply_orientation(const orientation *o, uint8_t **px, uint32_t *w, uint32_t *h)
{
    if (o->ax == 1 && o->by == 1)
        return;
    uint32_t W = o->ax ? *w : *h, H = o->ax ? *h : *w;
    uint8_t *out = g_malloc((size_t)W * H);
    const uint8_t *in = *px;
    for (uint32_t v = 0; v < *h; v++)
        for (uint32_t u = 0; u < *w; u++) {
            uint32_t X = o->ax > 0 ? u : o->ax < 0 ? W - 1 - u : o->bx > 0 ? v : W - 1 - v;
            uint32_t Y = o->ay > 0 ? u : o->ay < 0 ? H - 1 - u : o->by > 0 ? v : H - 1 - v;
            out[(size_t)Y * W + X] = in[(size_t)v * *w + u];
        }
    g_free(*px);
    *px = out;
    *w = W;
    *h = H;
}

/* ---- the two ways to a picture ---- */

static ptrdiff_t read_stream(void *ctx, void *buf, size_t n, sh_error *err)
{
    return pdf_stream_read(ctx, buf, n, err);
}

/* Output size for an image of n pixels at ppi along one axis: about VD_WORK_PPI, never more
 * pixels than the image has. */
static uint32_t reduced(uint32_t n, double ppi)
{
    double f = ppi > VD_WORK_PPI ? VD_WORK_PPI / ppi : 1.0;
    double r = floor(n * f + 0.5);
    return r < 1 ? 1 : r > n ? n : (uint32_t)r;
}

static sh_status decode_scan(vd_page_source *src, const pdf_image *img, const orientation *o,
                             vd_page_pixels *out, sh_error *err)
{
    double wi = axis_length(img->ctm[0], img->ctm[1]) / 72.0;
    double hi = axis_length(img->ctm[2], img->ctm[3]) / 72.0;
    uint32_t ow = reduced(img->width, img->width / wi), oh = reduced(img->height, img->height / hi);
    uint32_t longer = ow > oh ? ow : oh;
    if (longer > VD_MAX_WORK_PX) { /* an absurdly large sheet: keep the working size bounded */
        double f = (double)VD_MAX_WORK_PX / longer;
        ow = ow * f < 1 ? 1 : (uint32_t)(ow * f);
        oh = oh * f < 1 ? 1 : (uint32_t)(oh * f);
    }
    uint8_t *globals = NULL;
    size_t globals_len = 0;
    if (img->codec == PDF_CODEC_JBIG2 &&
        pdf_reader_jbig2_globals(src->reader, img, &globals, &globals_len, err) != SH_OK)
        return SH_INPUT;
    pdf_stream *s;
    sh_status st = pdf_image_open(src->reader, img, 0, &s, err);
    if (st == SH_OK) {
        st = vd_decode_image(img, read_stream, s, globals, globals_len, ow, oh, VD_DECODE_MEM_LIMIT,
                             &out->px, err);
        pdf_stream_close(s);
    }
    g_free(globals);
    if (st != SH_OK)
        return st;
    out->w = ow;
    out->h = oh;
    out->ppi = ow / wi < oh / hi ? ow / wi : oh / hi;
    apply_orientation(o, &out->px, &out->w, &out->h);
    return SH_OK;
}

static sh_status render_page(vd_page_source *src, int index, vd_page_pixels *out, sh_error *err)
{
    if (!src->doc_tried) {
        src->doc_tried = true;
        if (pdf_doc_open(src->path, &src->doc, NULL, err) != SH_OK)
            return SH_INPUT;
    }
    if (!src->doc)
        return sh_fail(err, SH_INPUT, _("%s cannot be opened"), src->path);
    return pdf_doc_render_grey(src->doc, index, VD_WORK_PPI, VD_MAX_WORK_PX, &out->px, &out->w,
                               &out->h, &out->ppi, err);
}

sh_status vd_page_load(vd_page_source *src, int index, vd_page_pixels *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    if (!src->reader_tried) {
        src->reader_tried = true;
        sh_error ignored;
        if (pdf_reader_open(src->path, &src->reader, &ignored) != SH_OK)
            src->reader = NULL; /* Poppler may still read it: render */
    }
    pdf_page_info *info = NULL;
    const pdf_image *scan = NULL;
    orientation o;
    bool single = false;
    if (src->reader) {
        info = g_new(pdf_page_info, 1);
        sh_error ignored;
        if (pdf_reader_page(src->reader, index, info, &ignored) == SH_OK) {
            scan = largest_image(info);
            out->image_ppi = scan_ppi(info);
            single =
                scan && is_single_scan(info, scan) && image_orientation(scan, info->rotate, &o);
        }
    }
    sh_status st;
    if (single) {
        st = decode_scan(src, scan, &o, out, err);
    } else {
        st = render_page(src, index, out, err);
    }
    g_free(info);
    return st;
}

void vd_page_source_close(vd_page_source *src)
{
    if (src->reader)
        pdf_reader_close(src->reader);
    pdf_doc_close(src->doc);
    src->reader = NULL;
    src->doc = NULL;
}
