/* A quick picture of a scanned page for placing the stamp: when page 1 is one JPEG covering the
 * page (what ingest writes, what most scanners give), its luma is decoded by libjpeg at a
 * reduced DCT scale (1/8 of a 300-ppi scan: only the DC coefficients are transformed), a few
 * milliseconds where Poppler would decode the full image and scale it down. Any other page is
 * rendered by Poppler (stamp_place.c). A scan whose JPEG is damaged shows nothing worth
 * measuring (Poppler would draw the same made-up samples, slowly): the stamp keeps the corner.
 * Data come through pdf's image stream, 64 KiB at a time; a libjpeg error ends the attempt,
 * never the signing. */
#include "sign_impl.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#define SCAN_CHUNK (64 * 1024)
#define SCAN_MAX_SCANS 100                  /* progressive scans: a crafted file has thousands */
#define SCAN_MAX_OUT_PX (16u << 20)         /* pixels of the reduced picture */
#define SCAN_MAX_DATA ((uint64_t)256 << 20) /* bytes of JPEG data read */
#define SCAN_EDGE_PT 1.0 /* the image's edges and the page's, at most this apart */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
} scan_error;

typedef struct {
    struct jpeg_source_mgr pub;
    pdf_stream *stream;
    uint64_t read;
    bool ended;
    uint8_t buf[SCAN_CHUNK];
} scan_source;

static void scan_error_exit(j_common_ptr cinfo) { longjmp(((scan_error *)cinfo->err)->jump, 1); }
static void scan_quiet(j_common_ptr cinfo, int level) { (void)cinfo, (void)level; }
static void src_init(j_decompress_ptr cinfo) { (void)cinfo; }
static void src_term(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean src_fill(j_decompress_ptr cinfo)
{
    scan_source *s = (scan_source *)cinfo->src;
    sh_error err;
    ptrdiff_t got = s->ended ? 0 : pdf_stream_read(s->stream, s->buf, sizeof s->buf, &err);
    if (got < 0 || (size_t)got > sizeof s->buf || (s->read += (uint64_t)got) > SCAN_MAX_DATA)
        longjmp(((scan_error *)cinfo->err)->jump, 1);
    if (got == 0) { /* as libjpeg's own sources do: a made-up end marker */
        s->ended = true;
        s->buf[0] = 0xFF;
        s->buf[1] = JPEG_EOI;
        got = 2;
    }
    s->pub.next_input_byte = s->buf;
    s->pub.bytes_in_buffer = (size_t)got;
    return TRUE;
}

static void src_skip(j_decompress_ptr cinfo, long n)
{
    struct jpeg_source_mgr *src = cinfo->src;
    while (n > 0) {
        if (src->bytes_in_buffer == 0)
            src->fill_input_buffer(cinfo);
        size_t k = (size_t)n < src->bytes_in_buffer ? (size_t)n : src->bytes_in_buffer;
        src->next_input_byte += k;
        src->bytes_in_buffer -= k;
        n -= (long)k;
    }
}

static void scan_progress(j_common_ptr cinfo)
{
    if (((j_decompress_ptr)cinfo)->input_scan_number > SCAN_MAX_SCANS)
        longjmp(((scan_error *)cinfo->err)->jump, 1);
}

typedef struct {
    struct jpeg_decompress_struct cinfo;
    scan_error jerr;
    scan_source src;
    struct jpeg_progress_mgr progress;
    uint8_t *px; /* the picture, the image's way up */
    uint32_t w, h;
    sg_scan result;
} scan_state;

/* Decode the JPEG of st->src.stream into st->px at the smallest scale N/8 whose width is at
 * least min_w pixels. SG_SCAN_NONE for a JPEG of a kind left to Poppler; libjpeg's errors
 * longjmp to the caller. */
static sg_scan decode(scan_state *st, uint32_t min_w, bool invert, uint32_t *w, uint32_t *h)
{
    j_decompress_ptr cinfo = &st->cinfo;
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK)
        return SG_SCAN_BROKEN;
    if (cinfo->num_components != 1 && cinfo->num_components != 3)
        return SG_SCAN_NONE;                /* CMYK, YCCK: Poppler knows them */
    cinfo->out_color_space = JCS_GRAYSCALE; /* from YCbCr only Y is decoded */
    cinfo->dct_method = JDCT_IFAST;
    cinfo->do_fancy_upsampling = FALSE;
    cinfo->scale_denom = 8;
    for (cinfo->scale_num = 1; cinfo->scale_num < 8; cinfo->scale_num++) {
        jpeg_calc_output_dimensions(cinfo);
        if (cinfo->output_width >= min_w)
            break;
    }
    jpeg_calc_output_dimensions(cinfo);
    *w = cinfo->output_width;
    *h = cinfo->output_height;
    if (*w < 2 || *h < 2 || (uint64_t)*w * *h > SCAN_MAX_OUT_PX)
        return SG_SCAN_NONE;
    st->px = g_malloc((size_t)*w * *h);
    jpeg_start_decompress(cinfo);
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = st->px + (size_t)cinfo->output_scanline * *w;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1)
            return SG_SCAN_BROKEN;
        if (st->src.ended && !jpeg_has_multiple_scans(cinfo))
            return SG_SCAN_BROKEN; /* the data ended: what follows would be made up */
    }
    if (cinfo->err->num_warnings > 0)
        return SG_SCAN_BROKEN; /* corrupt data: libjpeg went on with made-up samples */
    if (invert)
        for (size_t i = 0; i < (size_t)*w * *h; i++)
            st->px[i] = (uint8_t)(255 - st->px[i]);
    return SG_SCAN_OK;
}

/* The picture turned as the page is displayed (rotate clockwise). g_free. */
static uint8_t *turned(const uint8_t *src, uint32_t w, uint32_t h, int rotate, uint32_t *dw,
                       uint32_t *dh)
{
    bool side = rotate == 90 || rotate == 270;
    *dw = side ? h : w;
    *dh = side ? w : h;
    uint8_t *out = g_malloc((size_t)w * h);
    for (uint32_t y = 0; y < *dh; y++)
        for (uint32_t x = 0; x < *dw; x++) {
            uint32_t sx = x, sy = y; /* the source pixel shown at (x, y) */
            if (rotate == 90)
                sx = y, sy = h - 1 - x;
            else if (rotate == 180)
                sx = w - 1 - x, sy = h - 1 - y;
            else if (rotate == 270)
                sx = w - 1 - y, sy = x;
            out[(size_t)y * *dw + x] = src[(size_t)sy * w + sx];
        }
    return out;
}

/* Is the page just this one upright image, edge to edge? */
static bool one_scan(const pdf_page_info *info)
{
    if (!info->content_ok || info->n_images != 1 || info->images_drawn != 1 || info->draws_text ||
        info->draws_vectors)
        return false;
    const pdf_image *img = &info->images[0];
    const double *m = img->ctm, *b = info->box;
    return img->codec == PDF_CODEC_DCT && !img->image_mask && m[1] == 0 && m[2] == 0 && m[0] > 0 &&
           m[3] > 0 && fabs(m[4] - b[0]) <= SCAN_EDGE_PT &&
           fabs(m[4] + m[0] - b[2]) <= SCAN_EDGE_PT && fabs(m[5] - b[1]) <= SCAN_EDGE_PT &&
           fabs(m[5] + m[3] - b[3]) <= SCAN_EDGE_PT;
}

sg_scan sg_scan_grey(pdf_reader *r, int index, double min_ppi, uint8_t **px, uint32_t *w,
                     uint32_t *h)
{
    *px = NULL;
    pdf_page_info *info = g_new0(pdf_page_info, 1);
    sh_error err;
    if (pdf_reader_page(r, index, info, &err) != SH_OK || !one_scan(info)) {
        g_free(info);
        return SG_SCAN_NONE;
    }
    pdf_stream *stream = NULL;
    if (pdf_image_open(r, &info->images[0], SCAN_MAX_DATA, &stream, &err) != SH_OK) {
        g_free(info);
        return SG_SCAN_BROKEN;
    }
    double page_w = info->box[2] - info->box[0];
    uint32_t min_w = (uint32_t)ceil(page_w / 72.0 * min_ppi);
    scan_state *st = g_new0(scan_state, 1);
    j_decompress_ptr cinfo = &st->cinfo;
    cinfo->err = jpeg_std_error(&st->jerr.pub);
    st->jerr.pub.error_exit = scan_error_exit;
    st->jerr.pub.emit_message = scan_quiet;
    st->result = SG_SCAN_NONE;
    if (setjmp(st->jerr.jump) == 0) {
        jpeg_create_decompress(cinfo);
        st->src.stream = stream;
        st->src.pub = (struct jpeg_source_mgr){.init_source = src_init,
                                               .fill_input_buffer = src_fill,
                                               .skip_input_data = src_skip,
                                               .resync_to_restart = jpeg_resync_to_restart,
                                               .term_source = src_term};
        cinfo->src = &st->src.pub;
        st->progress.progress_monitor = scan_progress;
        cinfo->progress = &st->progress;
        st->result = decode(st, min_w, info->images[0].decode_inverted, &st->w, &st->h);
    } else {
        st->result = SG_SCAN_BROKEN; /* libjpeg gave up on the data */
    }
    jpeg_destroy_decompress(cinfo);
    pdf_stream_close(stream);
    sg_scan result = st->result;
    if (result == SG_SCAN_OK)
        *px = turned(st->px, st->w, st->h, info->rotate, w, h);
    g_free(st->px);
    g_free(st);
    g_free(info);
    return result;
}
