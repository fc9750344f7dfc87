/* Images without an image codec: the stream gives the samples themselves (the reader has undone
 * Flate, LZW and the predictors), rows padded to whole bytes. Each row becomes grey, then goes
 * to the box reducer; a 1-bit row goes to it as bits.
 *
 * Colour to grey: RGB by its luma (0.299, 0.587, 0.114); CMYK as ink over paper, 255 −
 * min(255, 0.3 C + 0.59 M + 0.11 Y + K); a palette through its base space. The spaces we do not
 * model (PDF_CS_OTHER) are read by their number of components: one is a Separation or a
 * one-ink DeviceN, a tint of ink (0 is paper, so grey = 255 − tint, not the tint: a scanned
 * page in a Separation must not look like a negative); three is Lab, whose first component is
 * the lightness; four is taken as CMYK. /Decode [1 0] inverts every component before that (for
 * a palette: the index). */
#include <glib.h>
#include <string.h>

#include "page_image_reduce_impl.h"

typedef struct {
    const pdf_image *img;
    uint32_t width;
    int bpc, comps;
    uint8_t scale[256];      /* bpc < 8: a sample's value on 0..255 */
    uint8_t index_grey[256]; /* Indexed: the grey of each index, clamped to the palette */
    uint8_t *samples;        /* width × comps, one byte each */
    uint8_t *grey;           /* width */
} sample_rows;

static uint8_t luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((19595 * r + 38470 * g + 7471 * b + 32768) >> 16);
}

static uint8_t cmyk_grey(unsigned c, unsigned m, unsigned y, unsigned k)
{
    unsigned ink = ((77 * c + 151 * m + 28 * y) >> 8) + k;
    return (uint8_t)(ink >= 255 ? 0 : 255 - ink);
}

static uint8_t base_grey(pdf_colour_space cs, const uint8_t *e)
{
    switch (cs) {
    case PDF_CS_RGB:
        return luma(e[0], e[1], e[2]);
    case PDF_CS_CMYK:
        return cmyk_grey(e[0], e[1], e[2], e[3]);
    default:
        return e[0];
    }
}

static void build_tables(sample_rows *s)
{
    const pdf_image *img = s->img;
    unsigned max = (1u << (s->bpc > 8 ? 8 : s->bpc)) - 1;
    for (unsigned v = 0; v <= max; v++)
        s->scale[v] = (uint8_t)((v * 255 + max / 2) / max);
    if (img->cs != PDF_CS_INDEXED)
        return;
    unsigned entries = (unsigned)img->palette_entries;
    for (unsigned i = 0; i < 256; i++) {
        unsigned e = i < entries ? i : entries - 1; /* an index past hival: the last entry */
        s->index_grey[i] =
            base_grey(img->base_cs, img->palette + e * (unsigned)img->base_components);
    }
}

/* The row's samples, one byte each: scaled to 0..255, or the raw index of a palette. */
static const uint8_t *unpack(sample_rows *s, const uint8_t *row)
{
    size_t n = (size_t)s->width * (size_t)s->comps;
    bool indexed = s->img->cs == PDF_CS_INDEXED, invert = s->img->decode_inverted;
    uint8_t *out = s->samples;
    if (s->bpc == 8) {
        if (!invert)
            return row;
        uint8_t top = 255;
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(top - row[i]);
        return out;
    }
    if (s->bpc == 16) { /* big-endian: the high byte is enough for 8-bit grey */
        for (size_t i = 0; i < n; i++)
            out[i] = invert ? (uint8_t)(255 - row[2 * i]) : row[2 * i];
        return out;
    }
    unsigned bpc = (unsigned)s->bpc, mask = (1u << bpc) - 1;
    for (size_t i = 0; i < n; i++) {
        size_t bit = i * bpc;
        unsigned v = (unsigned)row[bit >> 3] >> (8 - bpc - (bit & 7)) & mask;
        if (invert)
            v = mask - v;
        out[i] = indexed ? (uint8_t)v : s->scale[v];
    }
    return out;
}

static const uint8_t *to_grey(sample_rows *s, const uint8_t *v)
{
    uint8_t *g = s->grey;
    uint32_t w = s->width;
    pdf_colour_space cs = s->img->cs;
    if (cs == PDF_CS_OTHER && s->comps == 4)
        cs = PDF_CS_CMYK;
    switch (cs) {
    case PDF_CS_GRAY:
        return v;
    case PDF_CS_RGB:
        for (uint32_t x = 0; x < w; x++, v += 3)
            g[x] = luma(v[0], v[1], v[2]);
        break;
    case PDF_CS_CMYK:
        for (uint32_t x = 0; x < w; x++, v += 4)
            g[x] = cmyk_grey(v[0], v[1], v[2], v[3]);
        break;
    case PDF_CS_INDEXED:
        for (uint32_t x = 0; x < w; x++)
            g[x] = s->index_grey[v[x]];
        break;
    default: /* OTHER: a tint of one ink, or Lab's lightness */
        if (s->comps == 1)
            for (uint32_t x = 0; x < w; x++)
                g[x] = (uint8_t)(255 - v[x]);
        else
            for (uint32_t x = 0; x < w; x++, v += s->comps)
                g[x] = v[0];
        break;
    }
    return g;
}

/* A 1-bit row of grey or a mask needs no conversion: its bits go to the reducer. */
static bool plain_bits(const pdf_image *img)
{
    return img->bpc == 1 && (img->image_mask || img->cs == PDF_CS_GRAY);
}

sh_status vd_decode_samples(const vd_job *job, uint8_t **px, sh_error *err)
{
    const pdf_image *img = job->img;
    sample_rows s = {.img = img,
                     .width = img->width,
                     .bpc = img->bpc,
                     .comps = img->image_mask ? 1 : img->components};
    uint64_t per_row = (uint64_t)s.width * (uint64_t)s.comps; /* < 2^35: no overflow below */
    uint64_t row_bytes = (per_row * (uint64_t)s.bpc + 7) / 8;
    uint64_t box = vd_box_bytes(s.width, job->out_w, job->out_h);
    uint64_t need = row_bytes + per_row + s.width;
    if (box > job->mem_limit || need > job->mem_limit - box)
        return vd_too_big(_("the page image"), box == UINT64_MAX ? box : box + need, job->mem_limit,
                          err);
    vd_box b;
    sh_status st =
        vd_box_init(&b, img->width, img->height, job->out_w, job->out_h, job->mem_limit, err);
    if (st != SH_OK)
        return st;
    build_tables(&s);
    uint8_t *row = g_malloc((size_t)row_bytes);
    s.samples = g_malloc0((size_t)per_row); /* zeroed: what a short unpack leaves is ink */
    s.grey = g_malloc(s.width);
    bool bits = plain_bits(img), one_is_white = !img->decode_inverted;
    for (uint32_t y = 0; y < img->height; y++) {
        ptrdiff_t got = vd_read_full(job, row, (size_t)row_bytes, err);
        if (got < 0) {
            st = err->status;
            break;
        }
        if ((uint64_t)got < row_bytes)
            break; /* the stream ends early: the rows not reached stay white */
        if (bits) {
            vd_box_add_bits(&b, row, one_is_white);
        } else {
            /* s.samples is freed below: clang 14's analyzer loses it in unpack's shifts. */
            const uint8_t *grey = to_grey(&s, unpack(&s, row)); /* NOLINT(*unix.Malloc) */
            vd_box_add_grey(&b, grey);
        }
    }
    g_free(row);
    g_free(s.samples);
    g_free(s.grey);
    if (st != SH_OK) {
        vd_box_free(&b);
        return st;
    }
    vd_box_finish(&b, px);
    return SH_OK;
}
