/* Shared by the page_image_*.c files (private to validate): the box reducer that every codec
 * feeds row by row, and the memory budget they share. */
#ifndef SOHOA_VALIDATE_PAGE_IMAGE_REDUCE_IMPL_H
#define SOHOA_VALIDATE_PAGE_IMAGE_REDUCE_IMPL_H

#include "page_image_impl.h"

/* Reduces an in_w × in_h grey picture, given row by row from the top, to out_w × out_h: each
 * output pixel is the mean of the input block it covers. Output column ox covers input columns
 * [ox·in_w/out_w, (ox+1)·in_w/out_w) (at least one), rows likewise, so a reduction partitions the
 * input exactly whatever the ratio; an enlargement (a JPEG smaller than its /Width says) repeats
 * input pixels. Column sums are kept per input column (O(in_w) memory) and spread over output
 * columns once per output row, so the per-input-pixel work is one add. */
typedef struct {
    uint32_t in_w, in_h, out_w, out_h;
    uint32_t *x0, *x1;   /* out_w: the input columns of each output column */
    uint32_t span_lo;    /* x1 - x0 is span_lo or span_lo + 1 */
    uint32_t span_const; /* in_w a multiple of out_w: every span is this; else 0 */
    uint32_t *colsum;    /* in_w rounded up to 8: sums of the rows so far in this output row */
    uint64_t *outsum;    /* out_w: sums moved out of colsum before it could overflow */
    uint64_t *rowsum;    /* out_w: the sums of the output row being written */
    uint64_t *prefix;    /* in_w + 1: prefix sums of colsum (spans of varying length) */
    uint32_t rows;       /* input rows summed for the current output row */
    uint32_t pending;    /* of which still in colsum */
    uint32_t y;          /* the next input row */
    uint32_t oy;         /* the next output row */
    uint8_t *px;         /* out_w × out_h, g_malloc'ed */
} vd_box;

/* Bytes vd_box_init will hold for these sizes (UINT64_MAX when it cannot be represented). */
uint64_t vd_box_bytes(uint32_t in_w, uint32_t out_w, uint32_t out_h);
/* Start a reduction; fails (SH_INPUT) when its memory would exceed budget. */
SH_NODISCARD sh_status vd_box_init(vd_box *b, uint32_t in_w, uint32_t in_h, uint32_t out_w,
                                   uint32_t out_h, uint64_t budget, sh_error *err);
/* One input row of in_w grey bytes. Rows past in_h are ignored. */
void vd_box_add_grey(vd_box *b, const uint8_t *row);
/* One input row of in_w bits, most significant first; white where a bit equals one_is_white. */
void vd_box_add_bits(vd_box *b, const uint8_t *bits, bool one_is_white);
/* n rows of one grey value (the white of rows a truncated stream did not reach). */
void vd_box_add_flat_rows(vd_box *b, uint8_t value, uint64_t n);
/* Rows not given are white; hands over the picture (*px) and frees the rest. */
void vd_box_finish(vd_box *b, uint8_t **px);
void vd_box_free(vd_box *b);

/* What a codec needs beside the image itself. */
typedef struct {
    const pdf_image *img;
    vd_read_fn read;
    void *ctx;
    uint32_t out_w, out_h;
    uint64_t mem_limit;
} vd_job;

/* Read up to n bytes, looping over short reads: the count (less than n only at the end of the
 * stream), or -1 when read failed (err set by it, or here when it did not say why). */
SH_NODISCARD ptrdiff_t vd_read_full(const vd_job *job, void *buf, size_t n, sh_error *err);
/* The whole stream into a g_malloc'ed buffer with `head` spare bytes before the data (for a
 * header the caller writes), refused past `max` bytes of data. */
SH_NODISCARD sh_status vd_read_all(const vd_job *job, size_t head, uint64_t max, uint8_t **data,
                                   size_t *len, sh_error *err);
/* "needs more memory than the limit": one wording for every codec. */
sh_status vd_too_big(const char *what, uint64_t need, uint64_t limit, sh_error *err);

SH_NODISCARD sh_status vd_decode_samples(const vd_job *job, uint8_t **px, sh_error *err);
SH_NODISCARD sh_status vd_decode_dct(const vd_job *job, uint8_t **px, sh_error *err);
SH_NODISCARD sh_status vd_decode_ccitt(const vd_job *job, uint8_t **px, sh_error *err);
SH_NODISCARD sh_status vd_decode_jbig2(const vd_job *job, const uint8_t *globals,
                                       size_t globals_len, uint8_t **px, sh_error *err);

#endif
