/* JPEG (DCTDecode) through libjpeg-turbo: decoded at the smallest DCT scale (N/8) that still
 * covers the output size, and only its luma (chroma is never inverse-transformed), then
 * box-reduced. Data are pulled from the stream 64 KiB at a time, never read whole.
 *
 * The JPEG's own size wins over /Width /Height when they differ: it is what the data hold.
 * CMYK and YCCK JPEGs are decoded to CMYK and turned to grey as ink over paper. Adobe's
 * inverted CMYK is not inverted here: PDF says the filter gives the samples as stored, and the
 * files that carry such JPEGs say /Decode [1 0 1 0 1 0 1 0] (ingest writes them so), which
 * decode_inverted honours. */
#include <glib.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#include "page_image_reduce_impl.h"

#define DCT_CHUNK (64 * 1024)
/* A progressive JPEG has about ten scans; each scan walks the whole image, so a crafted file
 * with thousands would take minutes. */
#define DCT_MAX_SCANS 100

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} dct_error;

typedef struct {
    struct jpeg_source_mgr pub;
    const vd_job *job;
    sh_error *err;
    bool ended;       /* the stream ended: libjpeg now reads a made-up end marker */
    bool read_failed; /* read() failed: err says why */
    uint8_t buf[DCT_CHUNK];
} dct_source;

typedef struct {
    struct jpeg_decompress_struct cinfo;
    dct_error jerr;
    dct_source src;
    struct jpeg_progress_mgr progress;
    vd_box box;
} dct_state;

static void dct_error_exit(j_common_ptr cinfo)
{
    dct_error *e = (dct_error *)cinfo->err;
    if (!e->msg[0])
        e->pub.format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void dct_quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo, (void)level; /* corrupt-data warnings: the decode goes on, as viewers do */
}

static void dct_fail(j_common_ptr cinfo, const char *why)
{
    dct_error *e = (dct_error *)cinfo->err;
    g_strlcpy(e->msg, why, sizeof e->msg);
    longjmp(e->jump, 1);
}

static void src_init(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean src_fill(j_decompress_ptr cinfo)
{
    dct_source *s = (dct_source *)cinfo->src;
    ptrdiff_t got = s->ended ? 0 : s->job->read(s->job->ctx, s->buf, sizeof s->buf, s->err);
    if (got < 0 || (size_t)got > sizeof s->buf) {
        s->read_failed = true;
        dct_fail((j_common_ptr)cinfo, "read");
    }
    if (got == 0) { /* as libjpeg's own sources do: an end marker, and a warning */
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
        size_t k = MIN((size_t)n, src->bytes_in_buffer);
        src->next_input_byte += k;
        src->bytes_in_buffer -= k;
        n -= (long)k;
    }
}

static void src_term(j_decompress_ptr cinfo) { (void)cinfo; }

static void dct_progress(j_common_ptr cinfo)
{
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > DCT_MAX_SCANS)
        dct_fail(cinfo, "too many progressive scans");
}

/* The smallest scale N/8 whose output still covers out_w × out_h (libjpeg-turbo has all N). */
static void choose_scale(j_decompress_ptr cinfo, uint32_t out_w, uint32_t out_h)
{
    cinfo->scale_denom = 8;
    for (unsigned n = 1; n <= 8; n++) {
        cinfo->scale_num = n;
        jpeg_calc_output_dimensions(cinfo);
        if (cinfo->output_width >= out_w && cinfo->output_height >= out_h)
            return;
    }
}

static void grey_of_cmyk(uint8_t *grey, const uint8_t *cmyk, uint32_t w)
{
    for (uint32_t x = 0; x < w; x++, cmyk += 4) {
        unsigned ink = ((77u * cmyk[0] + 151u * cmyk[1] + 28u * cmyk[2]) >> 8) + cmyk[3];
        grey[x] = (uint8_t)(ink >= 255 ? 0 : 255 - ink);
    }
}

/* Decode into st->box; longjmps out on any libjpeg error. */
static void decode_rows(dct_state *st, const vd_job *job, uint64_t budget, sh_error *err,
                        sh_status *status)
{
    j_decompress_ptr cinfo = &st->cinfo;
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK)
        dct_fail((j_common_ptr)cinfo, "no image");
    bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
    if (cmyk && cinfo->num_components == 4)
        cinfo->out_color_space = JCS_CMYK;
    else if (cinfo->num_components == 1 || cinfo->num_components == 3)
        cinfo->out_color_space = JCS_GRAYSCALE; /* from YCbCr: only Y is decoded */
    else
        dct_fail((j_common_ptr)cinfo, "unusual number of colour components");
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = FALSE;
    choose_scale(cinfo, job->out_w, job->out_h);
    if (cinfo->output_width < 1 || cinfo->output_height < 1)
        dct_fail((j_common_ptr)cinfo, "no pixels");

    uint32_t w = cinfo->output_width;
    uint64_t row = (uint64_t)w * (uint64_t)cinfo->output_components;
    uint64_t box = vd_box_bytes(w, job->out_w, job->out_h);
    if (box > budget || row + w > budget - box) {
        *status = vd_too_big(_("the page's JPEG image"), box + row + w, job->mem_limit, err);
        return;
    }
    /* What is left is libjpeg's: it refuses (no backing store) what would exceed it. */
    uint64_t left = budget - box - row - w;
    cinfo->mem->max_memory_to_use = (long)MAX(1, MIN(left, (uint64_t)LONG_MAX)); /* 0: no limit */
    *status = vd_box_init(&st->box, w, cinfo->output_height, job->out_w, job->out_h, budget, err);
    if (*status != SH_OK)
        return;

    jpeg_start_decompress(cinfo);
    /* A progressive JPEG is read whole before its first row: a short one is still complete
     * (blurred). A baseline one that ended already has no row to give. */
    bool whole_before_rows = st->src.ended && jpeg_has_multiple_scans(cinfo);
    JSAMPARRAY line =
        cinfo->mem->alloc_sarray((j_common_ptr)cinfo, JPOOL_IMAGE, (JDIMENSION)row, 1);
    uint8_t *grey = cmyk ? cinfo->mem->alloc_small((j_common_ptr)cinfo, JPOOL_IMAGE, w) : NULL;
    bool invert = job->img->decode_inverted;
    while (cinfo->output_scanline < cinfo->output_height) {
        if (jpeg_read_scanlines(cinfo, line, 1) != 1)
            break;
        if (st->src.ended && !whole_before_rows)
            break; /* rows past the data's end are made up: leave them white */
        uint8_t *r = line[0];
        if (invert)
            for (uint64_t i = 0; i < row; i++)
                r[i] = (uint8_t)(255 - r[i]);
        if (cmyk) {
            grey_of_cmyk(grey, r, w);
            r = grey;
        }
        vd_box_add_grey(&st->box, r);
    }
}

sh_status vd_decode_dct(const vd_job *job, uint8_t **px, sh_error *err)
{
    uint64_t fixed = sizeof(dct_state);
    if (job->mem_limit < fixed)
        return vd_too_big(_("the page's JPEG image"), fixed, job->mem_limit, err);
    dct_state *st = g_new0(dct_state, 1);
    j_decompress_ptr cinfo = &st->cinfo;
    cinfo->err = jpeg_std_error(&st->jerr.pub);
    st->jerr.pub.error_exit = dct_error_exit;
    st->jerr.pub.emit_message = dct_quiet;
    st->src = (dct_source){.job = job, .err = err};
    st->src.pub = (struct jpeg_source_mgr){.init_source = src_init,
                                           .fill_input_buffer = src_fill,
                                           .skip_input_data = src_skip,
                                           .resync_to_restart = jpeg_resync_to_restart,
                                           .term_source = src_term};
    st->progress.progress_monitor = dct_progress;
    sh_status status = SH_OK;
    if (setjmp(st->jerr.jump) == 0) {
        jpeg_create_decompress(cinfo);
        cinfo->src = &st->src.pub;
        cinfo->progress = &st->progress;
        decode_rows(st, job, job->mem_limit - fixed, err, &status);
    } else if (st->src.read_failed) {
        status = err->status != SH_OK ? err->status : SH_INPUT;
    } else {
        status = sh_fail(err, SH_INPUT,
                         _("the page's JPEG image is damaged (%s); scan the page again, or "
                           "export the PDF again from the scanner's software"),
                         st->jerr.msg);
    }
    jpeg_destroy_decompress(cinfo);
    if (status == SH_OK)
        vd_box_finish(&st->box, px);
    else
        vd_box_free(&st->box);
    g_free(st);
    return status;
}
