/* A page's embedded scan, decoded straight to a reduced grey picture for the page analysis
 * (module-internal). When a page is one scanned image, decoding it ourselves at the size the
 * analysis needs is several times faster than rendering the page: a JPEG is decoded at 1/2,
 * 1/4 or 1/8 scale and only its luma; a bilevel page is averaged into grey as its rows arrive.
 *
 * Memory is bounded whatever the image claims: the output picture, a few rows, and the codec's
 * own state, which is capped by `mem_limit` (a JBIG2 or CCITT page needs its whole encoded
 * data, and JBIG2 its full bilevel page: a 35000 × 35000 JBIG2 page is 153 MB). Past the limit,
 * or on damaged data, the decode fails with a message; it never crashes or hangs. */
#ifndef SOHOA_VALIDATE_PAGE_IMAGE_IMPL_H
#define SOHOA_VALIDATE_PAGE_IMAGE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "pdf/pdf.h"

/* Where the image's data comes from: pdf_stream_read's shape (the count, 0 at the end, -1 on
 * error with err set), so a pdf_stream plugs in directly and tests can feed memory. */
typedef ptrdiff_t (*vd_read_fn)(void *ctx, void *buf, size_t n, sh_error *err);

/* Can vd_decode_image read this image? (codec NONE, DCT, CCITT, JBIG2; the colour spaces and
 * depths of pdf_image). JPX and unknown codecs cannot: the caller renders the page instead. */
bool vd_can_decode(const pdf_image *img);

/* Decode img into an out_w × out_h grey picture (0 black, 255 white; 1 <= out_w <= width,
 * 1 <= out_h <= height), each output pixel the mean of the image pixels it covers, in image
 * orientation (the first row is the image's top row as stored; no /Rotate, no placement).
 * Colour becomes luma; CMYK, palettes, /Decode [1 0], image masks (0 paints black) and CCITT's
 * BlackIs1 are honoured. jbig2_globals may be NULL. *px is g_malloc'ed, rows out_w bytes apart.
 * A stream that ends early leaves the rows it did not reach white and is not an error (a
 * truncated scan is still analysed); damaged codec data that stops decoding is an error. */
SH_NODISCARD sh_status vd_decode_image(const pdf_image *img, vd_read_fn read, void *ctx,
                                       const uint8_t *jbig2_globals, size_t jbig2_globals_len,
                                       uint32_t out_w, uint32_t out_h, uint64_t mem_limit,
                                       uint8_t **px, sh_error *err);

#endif
