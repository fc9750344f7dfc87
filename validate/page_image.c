/* A page's embedded scan, decoded to a reduced grey picture (page_image.h): which images we
 * read, the box reducer every codec feeds, and reading the stream. The codecs are in
 * page_image_samples.c (no filter), page_image_dct.c (JPEG), page_image_ccitt.c (libtiff) and
 * page_image_jbig2.c (jbig2dec). */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "page_image_reduce_impl.h"

/* Column sums are 32-bit: after this many rows (255 × 65536 < 2^32) they move to outsum. */
#define BOX_FLUSH_ROWS 65536u

/* ---- which images ---- */

static bool is_base_space(pdf_colour_space cs, int components)
{
    return (cs == PDF_CS_GRAY && components == 1) || (cs == PDF_CS_RGB && components == 3) ||
           (cs == PDF_CS_CMYK && components == 4);
}

static bool samples_decodable(const pdf_image *img)
{
    int bpc = img->bpc;
    if (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16)
        return false;
    if (img->image_mask)
        return bpc == 1;
    switch (img->cs) {
    case PDF_CS_INDEXED:
        return img->components == 1 && bpc <= 8 && img->palette && img->palette_entries >= 1 &&
               is_base_space(img->base_cs, img->base_components);
    case PDF_CS_OTHER:
        return img->components == 1 || img->components == 3 || img->components == 4;
    default:
        return is_base_space(img->cs, img->components);
    }
}

bool vd_can_decode(const pdf_image *img)
{
    if (!img || img->width < 1 || img->height < 1)
        return false;
    switch (img->codec) {
    case PDF_CODEC_NONE:
        return samples_decodable(img);
    case PDF_CODEC_DCT:
        return true; /* the JPEG itself says what it holds */
    case PDF_CODEC_CCITT:
        /* libtiff's G4 decoder cannot skip the fill bits of byte-aligned rows. */
        return !(img->ccitt_k < 0 && img->ccitt_byte_align);
    case PDF_CODEC_JBIG2:
        return true;
    default:
        return false;
    }
}

sh_status vd_decode_image(const pdf_image *img, vd_read_fn read, void *ctx,
                          const uint8_t *jbig2_globals, size_t jbig2_globals_len, uint32_t out_w,
                          uint32_t out_h, uint64_t mem_limit, uint8_t **px, sh_error *err)
{
    sh_error local;
    if (!err)
        err = &local;
    sh_error_clear(err);
    *px = NULL;
    if (!img || !read || out_w < 1 || out_h < 1 || out_w > img->width || out_h > img->height)
        return sh_fail(err, SH_INTERNAL,
                       _("page image decoding: invalid output size %" PRIu32 " × %" PRIu32), out_w,
                       out_h);
    if (!vd_can_decode(img))
        return sh_fail(err, SH_INPUT, "%s",
                       _("the page image is in a format sohoa does not decode (JPEG 2000, an "
                         "unknown filter or colour space); the page is checked from its "
                         "rendering instead"));
    vd_job job = {img, read, ctx, out_w, out_h, mem_limit};
    switch (img->codec) {
    case PDF_CODEC_NONE:
        return vd_decode_samples(&job, px, err);
    case PDF_CODEC_DCT:
        return vd_decode_dct(&job, px, err);
    case PDF_CODEC_CCITT:
        return vd_decode_ccitt(&job, px, err);
    default:
        return vd_decode_jbig2(&job, jbig2_globals, jbig2_globals_len, px, err);
    }
}

/* ---- reading ---- */

ptrdiff_t vd_read_full(const vd_job *job, void *buf, size_t n, sh_error *err)
{
    size_t done = 0;
    while (done < n) {
        ptrdiff_t got = job->read(job->ctx, (uint8_t *)buf + done, n - done, err);
        if (got == 0)
            break;
        if (got < 0 || (size_t)got > n - done) {
            if (err->status == SH_OK)
                sh_fail(err, SH_INPUT, "%s", _("the page image's data could not be read"));
            return -1;
        }
        done += (size_t)got;
    }
    return (ptrdiff_t)done;
}

sh_status vd_read_all(const vd_job *job, size_t head, uint64_t max, uint8_t **data, size_t *len,
                      sh_error *err)
{
    *data = NULL;
    *len = 0;
    size_t cap = (size_t)MIN((uint64_t)64 * 1024, max), used = 0;
    uint8_t *buf = g_malloc(head + cap);
    for (;;) {
        if (used == cap) {
            if (used >= max) { /* full: one more byte means the stream is too large */
                uint8_t probe;
                ptrdiff_t got = vd_read_full(job, &probe, 1, err);
                if (got != 0) {
                    g_free(buf);
                    return got < 0 ? err->status
                                   : vd_too_big(_("the page image's data"), max + 1, max, err);
                }
                break;
            }
            cap = (uint64_t)cap * 2 > max ? (size_t)max : cap * 2;
            buf = g_realloc(buf, head + cap);
        }
        ptrdiff_t got = vd_read_full(job, buf + head + used, cap - used, err);
        if (got < 0) {
            g_free(buf);
            return err->status;
        }
        used += (size_t)got;
        if (used < cap)
            break;
    }
    *data = buf;
    *len = used;
    return SH_OK;
}

sh_status vd_too_big(const char *what, uint64_t need, uint64_t limit, sh_error *err)
{
    const uint64_t mb = 1024 * 1024;
    return sh_fail(err, SH_INPUT,
                   _("%s needs more than %" PRIu64 " MB of memory, the limit of the page checks "
                     "(%" PRIu64 " MB); the page is too large: scan it again at 300 ppi"),
                   what, (need + mb - 1) / mb, limit / mb);
}

/* ---- the box reducer ---- */

/* The grey of each bit of a byte, 255 for 1 bits: eight column sums in one table row. */
#define BIT_LANES(v)                                                                               \
    {                                                                                              \
        ((v) >> 7 & 1) * 255u, ((v) >> 6 & 1) * 255u, ((v) >> 5 & 1) * 255u,                       \
            ((v) >> 4 & 1) * 255u, ((v) >> 3 & 1) * 255u, ((v) >> 2 & 1) * 255u,                   \
            ((v) >> 1 & 1) * 255u, ((v)&1) * 255u                                                  \
    }
#define LANES2(n) BIT_LANES(n), BIT_LANES((n) + 1)
#define LANES4(n) LANES2(n), LANES2((n) + 2)
#define LANES8(n) LANES4(n), LANES4((n) + 4)
#define LANES16(n) LANES8(n), LANES8((n) + 8)
#define LANES32(n) LANES16(n), LANES16((n) + 16)
#define LANES64(n) LANES32(n), LANES32((n) + 32)
static const uint32_t bit_lanes[256][8] = {LANES64(0), LANES64(64), LANES64(128), LANES64(192)};

static uint64_t padded_cols(uint32_t in_w) { return ((uint64_t)in_w + 7) / 8 * 8; }

uint64_t vd_box_bytes(uint32_t in_w, uint32_t out_w, uint32_t out_h)
{
    uint64_t out = (uint64_t)out_w * out_h, per_col = (uint64_t)out_w * 32, sum;
    if (__builtin_add_overflow(out, per_col, &sum) ||
        __builtin_add_overflow(sum, padded_cols(in_w) * 12 + 8, &sum))
        return UINT64_MAX;
    return sum;
}

/* The input rows of output row oy: [band_start, band_end). */
static uint32_t band_start(const vd_box *b, uint32_t oy)
{
    return (uint32_t)((uint64_t)oy * b->in_h / b->out_h);
}

static uint32_t band_end(const vd_box *b, uint32_t oy)
{
    uint32_t start = band_start(b, oy);
    uint32_t end = (uint32_t)(((uint64_t)oy + 1) * b->in_h / b->out_h);
    return end > start ? end : start + 1;
}

sh_status vd_box_init(vd_box *b, uint32_t in_w, uint32_t in_h, uint32_t out_w, uint32_t out_h,
                      uint64_t budget, sh_error *err)
{
    memset(b, 0, sizeof *b);
    if (in_w < 1 || in_h < 1 || out_w < 1 || out_h < 1)
        return sh_fail(err, SH_INPUT, "%s", _("the page image has no pixels"));
    uint64_t need = vd_box_bytes(in_w, out_w, out_h);
    if (need > budget || need > SIZE_MAX / 2)
        return vd_too_big(_("the reduced page picture"), need, budget, err);
    *b = (vd_box){.in_w = in_w, .in_h = in_h, .out_w = out_w, .out_h = out_h};
    b->x0 = g_new(uint32_t, out_w);
    b->x1 = g_new(uint32_t, out_w);
    b->outsum = g_new0(uint64_t, out_w);
    b->rowsum = g_new(uint64_t, out_w);
    b->colsum = g_new0(uint32_t, (size_t)padded_cols(in_w));
    b->px = g_malloc((size_t)out_w * out_h);
    b->span_lo = in_w >= out_w ? in_w / out_w : 1;
    b->span_const = in_w % out_w == 0 ? in_w / out_w : 0;
    if (!b->span_const)
        b->prefix = g_new(uint64_t, (size_t)in_w + 1);
    for (uint32_t ox = 0; ox < out_w; ox++) {
        uint32_t x0 = (uint32_t)((uint64_t)ox * in_w / out_w);
        uint32_t x1 = (uint32_t)(((uint64_t)ox + 1) * in_w / out_w);
        b->x0[ox] = x0;
        b->x1[ox] = x1 > x0 ? x1 : x0 + 1;
    }
    return SH_OK;
}

/* Move the column sums into the output columns' totals. */
static void spread(vd_box *b)
{
    for (uint32_t ox = 0; ox < b->out_w; ox++) {
        uint64_t s = 0;
        for (uint32_t x = b->x0[ox]; x < b->x1[ox]; x++)
            s += b->colsum[x];
        b->outsum[ox] += s;
    }
    memset(b->colsum, 0, (size_t)padded_cols(b->in_w) * sizeof *b->colsum);
    b->pending = 0;
}

/* The sums of the output row: its flushed part and its column sums over each span. */
static void sum_spans(vd_box *b)
{
    const uint32_t *restrict c = b->colsum;
    const uint64_t *restrict flushed = b->outsum;
    uint64_t *restrict r = b->rowsum;
    uint32_t f = b->span_const, w = b->out_w;
    if (f == 1) { /* the common cases get loops the compiler can vectorise */
        for (uint32_t ox = 0; ox < w; ox++)
            r[ox] = flushed[ox] + c[ox];
    } else if (f == 2) {
        for (uint32_t ox = 0; ox < w; ox++)
            r[ox] = flushed[ox] + c[2 * ox] + c[2 * ox + 1];
    } else if (f) {
        for (uint32_t ox = 0; ox < w; ox++, c += f) {
            uint64_t s = flushed[ox];
            for (uint32_t k = 0; k < f; k++)
                s += c[k];
            r[ox] = s;
        }
    } else { /* spans of two lengths: prefix sums, so no branch on the length */
        uint64_t acc = 0, *restrict p = b->prefix;
        const uint32_t *x0 = b->x0, *x1 = b->x1;
        p[0] = 0;
        for (uint32_t x = 0; x < b->in_w; x++)
            p[x + 1] = acc += c[x];
        for (uint32_t ox = 0; ox < w; ox++)
            r[ox] = flushed[ox] + p[x1[ox]] - p[x0[ox]];
    }
}

/* Rounded means. Division by n as a multiplication by m = ceil(2^32 / n): exact for every sum
 * of n pixels (< 256 n) while 256 n² <= 2^32, that is n <= 4096; beyond, a real division (a
 * reduction by more than 64 in each direction has few output pixels for its input). */
static void divide_row(uint8_t *restrict out, const uint64_t *restrict r, const uint32_t *x0,
                       const uint32_t *x1, uint32_t w, uint32_t span_lo, uint32_t rows)
{
    uint64_t lo = (uint64_t)span_lo * rows, hi = lo + rows;
    if (hi > 4096) {
        for (uint32_t ox = 0; ox < w; ox++) {
            uint64_t n = (uint64_t)(x1[ox] - x0[ox]) * rows;
            out[ox] = (uint8_t)((r[ox] + n / 2) / n);
        }
        return;
    }
    uint64_t m_lo = ((1ull << 32) + lo - 1) / lo, m_hi = ((1ull << 32) + hi - 1) / hi;
    for (uint32_t ox = 0; ox < w; ox++) {
        bool short_span = x1[ox] - x0[ox] == span_lo;
        uint64_t n = short_span ? lo : hi, m = short_span ? m_lo : m_hi;
        out[ox] = (uint8_t)(((r[ox] + n / 2) * m) >> 32);
    }
}

/* The same when every span is f long: one divisor for the row. */
static void divide_row_const(uint8_t *restrict out, const uint64_t *restrict r, uint32_t w,
                             uint64_t n)
{
    if (n > 4096) {
        for (uint32_t ox = 0; ox < w; ox++)
            out[ox] = (uint8_t)((r[ox] + n / 2) / n);
        return;
    }
    uint64_t half = n / 2;
    if ((n & (n - 1)) == 0) { /* 1, 2, 4…: 300 to 150 ppi is 4 */
        int shift = __builtin_ctzll(n);
        for (uint32_t ox = 0; ox < w; ox++)
            out[ox] = (uint8_t)((r[ox] + half) >> shift);
        return;
    }
    uint64_t m = ((1ull << 32) + n - 1) / n;
    for (uint32_t ox = 0; ox < w; ox++)
        out[ox] = (uint8_t)(((r[ox] + half) * m) >> 32);
}

static void emit_row(vd_box *b)
{
    sum_spans(b);
    uint8_t *out = b->px + (size_t)b->oy * b->out_w;
    if (b->span_const)
        divide_row_const(out, b->rowsum, b->out_w, (uint64_t)b->span_const * b->rows);
    else
        divide_row(out, b->rowsum, b->x0, b->x1, b->out_w, b->span_lo, b->rows);
}

/* After input row y-1: write every output row whose rows are all in, and start the next. */
static void emit_done_rows(vd_box *b)
{
    if (b->pending >= BOX_FLUSH_ROWS)
        spread(b);
    while (b->oy < b->out_h && band_end(b, b->oy) <= b->y) {
        emit_row(b);
        b->oy++;
        /* Enlarging, the next output row repeats the same input row: keep its sums. */
        if (b->oy < b->out_h && band_start(b, b->oy) >= b->y) {
            memset(b->colsum, 0, (size_t)padded_cols(b->in_w) * sizeof *b->colsum);
            memset(b->outsum, 0, (size_t)b->out_w * sizeof *b->outsum);
            b->rows = b->pending = 0;
        }
    }
}

/* Eight columns at a time with GCC's vector extensions (gcc 12 does not vectorise this loop
 * at -O2 by itself), then the rest. */
typedef uint8_t u8x8 __attribute__((vector_size(8)));
typedef uint32_t u32x8 __attribute__((vector_size(32)));

static void add_row(uint32_t *restrict sum, const uint8_t *restrict row, uint32_t w)
{
    uint32_t x = 0;
    for (; x + 8 <= w; x += 8) {
        u8x8 r;
        u32x8 acc;
        memcpy(&r, row + x, sizeof r);
        memcpy(&acc, sum + x, sizeof acc);
        acc += __builtin_convertvector(r, u32x8);
        memcpy(sum + x, &acc, sizeof acc);
    }
    for (; x < w; x++)
        sum[x] += row[x];
}

void vd_box_add_grey(vd_box *b, const uint8_t *row)
{
    if (b->y >= b->in_h)
        return;
    if (b->in_w == b->out_w && b->in_h == b->out_h) { /* a JPEG scaled to the size exactly */
        memcpy(b->px + (size_t)b->y * b->out_w, row, b->out_w);
        b->y++;
        b->oy++;
        return;
    }
    add_row(b->colsum, row, b->in_w);
    b->rows++;
    b->pending++;
    b->y++;
    emit_done_rows(b);
}

void vd_box_add_bits(vd_box *b, const uint8_t *bits, bool one_is_white)
{
    if (b->y >= b->in_h)
        return;
    uint8_t flip = one_is_white ? 0 : 0xff;
    size_t nbytes = ((size_t)b->in_w + 7) / 8; /* colsum has room for the padding bits */
    uint32_t *sum = b->colsum;
    for (size_t i = 0; i < nbytes; i++, sum += 8) {
        const uint32_t *lane = bit_lanes[bits[i] ^ flip];
        for (int k = 0; k < 8; k++)
            sum[k] += lane[k];
    }
    b->rows++;
    b->pending++;
    b->y++;
    emit_done_rows(b);
}

void vd_box_add_flat_rows(vd_box *b, uint8_t value, uint64_t n)
{
    while (n > 0 && b->y < b->in_h) {
        uint64_t k = n;
        k = MIN(k, (uint64_t)(b->in_h - b->y));
        if (b->oy < b->out_h)
            k = MIN(k, (uint64_t)(band_end(b, b->oy) - b->y));
        k = MIN(k, (uint64_t)(BOX_FLUSH_ROWS - b->pending));
        uint32_t add = value * (uint32_t)k;
        for (uint32_t x = 0; x < b->in_w; x++)
            b->colsum[x] += add;
        b->rows += (uint32_t)k;
        b->pending += (uint32_t)k;
        b->y += (uint32_t)k;
        n -= k;
        emit_done_rows(b);
    }
}

void vd_box_finish(vd_box *b, uint8_t **px)
{
    vd_box_add_flat_rows(b, 255, (uint64_t)b->in_h - b->y);
    *px = b->px;
    b->px = NULL;
    vd_box_free(b);
}

void vd_box_free(vd_box *b)
{
    g_free(b->x0);
    g_free(b->x1);
    g_free(b->colsum);
    g_free(b->outsum);
    g_free(b->rowsum);
    g_free(b->prefix);
    g_free(b->px);
    memset(b, 0, sizeof *b);
}
