/* PNG pages. PNG's zlib data is what PDF's /FlateDecode with the PNG predictors reads, so for
 * the common case (grey, colour or palette, not interlaced, no transparency) the IDAT bytes go
 * into the PDF as they are. Interlaced and transparent images are decoded with libpng and
 * re-compressed without loss; transparency becomes an /SMask. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>
#include <zlib.h>

#include "source_impl.h"

#define PNG_CHUNK_MAX (64u << 20)          /* larger chunks are not from a scanner */
#define INTERLACED_MAX ((uint64_t)1 << 30) /* bytes of decoded samples held at once */

typedef struct {
    uint32_t width, height;
    int depth, color_type, interlace;
    bool trns;
    uint8_t palette[768];
    int palette_n;
    uint64_t idat_bytes;
    bool as_is;
} png_state;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static sh_status damaged(const in_source *s, const char *why, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("%s: the PNG file is damaged or truncated (%s); copy it again, or scan again"),
                   s->path, why);
}

static double ppm_to_ppi(uint32_t ppm)
{
    double ppi = ppm * 0.0254, whole = (double)(int64_t)(ppi + 0.5);
    return fabs(ppi - whole) <= 0.0128 ? whole : ppi;
}

/* Walk the chunks, checking each CRC. With `idat_out`, write the IDAT data there instead. */
static sh_status walk_chunks(in_source *s, png_state *p, pdf_writer *idat_out, sh_error *err)
{
    FILE *f = fopen(s->path, "rbe");
    if (!f)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), s->path);
    uint8_t sig[8], hdr[8], crcb[4];
    uint8_t *buf = g_malloc(64 * 1024);
    sh_status st = SH_OK;
    bool first = true, seen_iend = false, idat_done = false, in_idat = false;
    if (fread(sig, 1, 8, f) != 8 || memcmp(sig, "\x89PNG\r\n\x1a\n", 8) != 0) {
        st = damaged(s, "signature", err);
        goto out;
    }
    if (!idat_out)
        p->idat_bytes = 0;
    while (!seen_iend) {
        if (fread(hdr, 1, 8, f) != 8) {
            st = damaged(s, "no IEND chunk", err);
            goto out;
        }
        uint32_t len = be32(hdr);
        const uint8_t *type = hdr + 4;
        if (len > PNG_CHUNK_MAX) {
            st = damaged(s, "chunk too large", err);
            goto out;
        }
        bool is_idat = memcmp(type, "IDAT", 4) == 0;
        if (first != (memcmp(type, "IHDR", 4) == 0)) {
            st = damaged(s, "IHDR not first", err);
            goto out;
        }
        if (is_idat && idat_done) {
            st = damaged(s, "IDAT chunks not together", err);
            goto out;
        }
        if (!is_idat && in_idat)
            idat_done = true;
        in_idat = is_idat;
        uLong crc = crc32(0L, type, 4);
        /* Small chunks are kept whole to be read; IDAT streams through. */
        uint8_t small[800] = {0}; /* zeroed: the analyzer cannot tell an IHDR from an IDAT */
        uint32_t left = len, at = 0;
        while (left > 0) {
            size_t n = left < 64 * 1024 ? left : 64 * 1024;
            if (fread(buf, 1, n, f) != n) {
                st = damaged(s, "file ends inside a chunk", err);
                goto out;
            }
            crc = crc32(crc, buf, (uInt)n);
            if (is_idat && idat_out)
                pdf_write(idat_out, buf, n);
            if (!is_idat && at + n <= sizeof small)
                memcpy(small + at, buf, n);
            at += (uint32_t)n;
            left -= (uint32_t)n;
        }
        if (fread(crcb, 1, 4, f) != 4 || be32(crcb) != (uint32_t)crc) {
            st = damaged(s, "bad chunk checksum", err);
            goto out;
        }
        bool was_first = first;
        first = false;
        if (memcmp(type, "IEND", 4) == 0)
            seen_iend = true;
        if (idat_out)
            continue;
        if (was_first) {
            if (len != 13) {
                st = damaged(s, "IHDR", err);
                goto out;
            }
            p->width = be32(small);
            p->height = be32(small + 4);
            p->depth = small[8];
            p->color_type = small[9];
            p->interlace = small[12];
            if (small[10] != 0 || small[11] != 0 || p->interlace > 1) {
                st = damaged(s, "IHDR", err);
                goto out;
            }
        } else if (is_idat)
            p->idat_bytes += len;
        else if (memcmp(type, "PLTE", 4) == 0) {
            if (len % 3 || len > 768 || len == 0) {
                st = damaged(s, "PLTE", err);
                goto out;
            }
            memcpy(p->palette, small, len);
            p->palette_n = (int)(len / 3);
        } else if (memcmp(type, "tRNS", 4) == 0)
            p->trns = true;
        else if (memcmp(type, "pHYs", 4) == 0 && len == 9 && small[8] == 1) {
            /* Pixels per metre: 300 ppi is stored as 11811 and reads back as 299.9994, so a
             * value within a metre's rounding of a whole ppi is that ppi. */
            double x = ppm_to_ppi(be32(small)), y = ppm_to_ppi(be32(small + 4));
            if (x >= 1 && y >= 1 && x <= 100000 && y <= 100000) {
                s->pages[0].xres = x;
                s->pages[0].yres = y;
            }
        }
    }
out:
    g_free(buf);
    fclose(f);
    return st;
}

/* ---- decoding with libpng, for interlaced and transparent images ---- */

typedef struct {
    FILE *f;
    png_structp png;
    png_infop info;
    uint8_t *image; /* interlaced: the whole image, decoded up front */
    png_bytep *rowptrs;
    size_t rowbytes;
    uint32_t y;
    char msg[200];
} png_rows;

static void png_err(png_structp png, png_const_charp msg)
{
    png_rows *r = png_get_error_ptr(png);
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

static void rows_close(png_rows *r)
{
    if (r->png)
        png_destroy_read_struct(&r->png, &r->info, NULL);
    if (r->f)
        fclose(r->f);
    g_free(r->image);
    g_free(r->rowptrs);
    memset(r, 0, sizeof *r);
}

/* Decoded rows as 8- or 16-bit grey or RGB with alpha (or without, for the colour pass of an
 * opaque interlaced image). */
static bool rows_open(png_rows *r, const char *path, const png_state *p)
{
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "rbe");
    if (!r->f) {
        snprintf(r->msg, sizeof r->msg, "%s", g_strerror(errno));
        return false;
    }
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, png_err, png_warn);
    if (!r->png)
        return false;
    r->info = png_create_info_struct(r->png);
    if (!r->info)
        return false;
    if (setjmp(png_jmpbuf(r->png)))
        return false;
    png_init_io(r->png, r->f);
    png_set_user_limits(r->png, p->width, p->height);
    png_read_info(r->png, r->info);
    if (p->color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(r->png);
    if (p->trns)
        png_set_tRNS_to_alpha(r->png);
    if (p->depth < 8)
        png_set_expand_gray_1_2_4_to_8(r->png);
    if (p->interlace)
        png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
    r->rowbytes = png_get_rowbytes(r->png, r->info);
    if (p->interlace) {
        r->image = g_malloc(r->rowbytes * p->height);
        r->rowptrs = g_new(png_bytep, p->height);
        for (uint32_t y = 0; y < p->height; y++)
            r->rowptrs[y] = r->image + (size_t)y * r->rowbytes;
        png_read_image(r->png, r->rowptrs);
    }
    return true;
}

static const uint8_t *rows_next(png_rows *r, uint8_t *buf)
{
    if (r->image)
        return r->image + (size_t)r->y++ * r->rowbytes;
    if (setjmp(png_jmpbuf(r->png)))
        return NULL;
    png_read_row(r->png, buf, NULL);
    r->y++;
    return buf;
}

/* One pass over the decoded image writing either the colour samples or the alpha samples. */
static sh_status decoded_pass(in_source *s, png_state *p, pdf_writer *w, bool alpha_pass,
                              sh_error *err)
{
    png_rows r;
    uint8_t *buf = NULL, *out = NULL;
    sh_status st = SH_OK;
    if (!rows_open(&r, s->path, p)) {
        st = damaged(s, r.msg[0] ? r.msg : "libpng", err);
        rows_close(&r);
        return st;
    }
    int channels = png_get_channels(r.png, r.info);
    int bytes = png_get_bit_depth(r.png, r.info) / 8; /* 1 or 2 */
    bool has_alpha = channels == 2 || channels == 4;
    int colour = has_alpha ? channels - 1 : channels;
    buf = g_malloc(r.rowbytes);
    out = g_malloc(r.rowbytes);
    in_deflate *d = in_deflate_begin(w);
    for (uint32_t y = 0; y < p->height; y++) {
        const uint8_t *row = rows_next(&r, buf);
        if (!row) {
            st = damaged(s, r.msg[0] ? r.msg : "libpng", err);
            break;
        }
        /* Split the interleaved samples: colour first, alpha in its own pass. */
        size_t o = 0, px = (size_t)channels * bytes;
        for (uint32_t x = 0; x < p->width; x++) {
            const uint8_t *src = row + x * px;
            if (alpha_pass)
                memcpy(out + o, src + (size_t)colour * bytes, (size_t)bytes), o += (size_t)bytes;
            else
                memcpy(out + o, src, (size_t)colour * bytes), o += (size_t)colour * bytes;
        }
        in_deflate_write(d, out, o);
    }
    sh_status st2 = in_deflate_end(d, err);
    g_free(buf);
    g_free(out);
    rows_close(&r);
    return st != SH_OK ? st : st2;
}

static bool png_has_alpha(const png_state *p)
{
    return p->trns || p->color_type == PNG_COLOR_TYPE_GRAY_ALPHA ||
           p->color_type == PNG_COLOR_TYPE_RGB_ALPHA;
}

static sh_status png_emit(in_source *s, int page, pdf_writer *w, int obj, sh_error *err)
{
    png_state *p = s->state;
    (void)page;
    GString *dict = g_string_new(NULL);
    g_string_append_printf(dict, "/Type /XObject /Subtype /Image /Width %u /Height %u ", p->width,
                           p->height);
    sh_status st;
    if (p->as_is) {
        int colors = p->color_type == PNG_COLOR_TYPE_RGB ? 3 : 1;
        if (p->color_type == PNG_COLOR_TYPE_PALETTE) {
            g_string_append_printf(dict, "/ColorSpace [/Indexed /DeviceRGB %d <", p->palette_n - 1);
            for (int i = 0; i < 3 * p->palette_n; i++)
                g_string_append_printf(dict, "%02X", p->palette[i]);
            g_string_append(dict, ">]");
        } else
            g_string_append(dict,
                            colors == 3 ? "/ColorSpace /DeviceRGB" : "/ColorSpace /DeviceGray");
        g_string_append_printf(dict,
                               " /BitsPerComponent %d /Filter /FlateDecode /DecodeParms "
                               "<< /Predictor 15 /Colors %d /BitsPerComponent %d /Columns %u >>",
                               p->depth, colors, p->depth, p->width);
        pdf_stream_begin(w, obj, dict->str, p->idat_bytes);
        g_string_free(dict, TRUE);
        st = walk_chunks(s, p, w, err);
        pdf_stream_end(w);
        return st;
    }
    bool alpha = png_has_alpha(p);
    int depth = p->depth == 16 ? 16 : 8;
    bool rgb = p->color_type == PNG_COLOR_TYPE_RGB || p->color_type == PNG_COLOR_TYPE_RGB_ALPHA ||
               p->color_type == PNG_COLOR_TYPE_PALETTE;
    int smask = alpha ? pdf_object_reserve(w) : 0;
    g_string_append_printf(dict, "/ColorSpace %s /BitsPerComponent %d /Filter /FlateDecode",
                           rgb ? "/DeviceRGB" : "/DeviceGray", depth);
    if (smask)
        g_string_append_printf(dict, " /SMask %d 0 R", smask);
    pdf_stream_begin(w, obj, dict->str, PDF_LENGTH_LATER);
    st = decoded_pass(s, p, w, false, err);
    pdf_stream_end(w);
    if (st == SH_OK && smask) {
        g_string_printf(dict,
                        "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace "
                        "/DeviceGray /BitsPerComponent %d /Filter /FlateDecode",
                        p->width, p->height, depth);
        pdf_stream_begin(w, smask, dict->str, PDF_LENGTH_LATER);
        st = decoded_pass(s, p, w, true, err);
        pdf_stream_end(w);
    }
    g_string_free(dict, TRUE);
    return st;
}

static void png_close(in_source *s)
{
    g_free(s->state);
    s->state = NULL;
}

static const in_source_ops png_ops = {png_emit, png_close};

sh_status in_png_open(in_source *s, const in_limits *lim, sh_error *err)
{
    png_state *p = g_new0(png_state, 1);
    s->state = p;
    s->ops = &png_ops;
    in_page_info *pi = in_source_add_page(s);
    sh_status st = walk_chunks(s, p, NULL, err);
    if (st != SH_OK)
        return st;
    static const struct {
        int type, depths; /* bit set of allowed depths */
    } ok[] = {{0, 1 << 1 | 1 << 2 | 1 << 4 | 1 << 8 | 1 << 16},
              {2, 1 << 8 | 1 << 16},
              {3, 1 << 1 | 1 << 2 | 1 << 4 | 1 << 8},
              {4, 1 << 8 | 1 << 16},
              {6, 1 << 8 | 1 << 16}};
    bool valid = false;
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++)
        if (ok[i].type == p->color_type && p->depth <= 16 && (ok[i].depths >> p->depth & 1))
            valid = true;
    if (!valid)
        return damaged(s, "IHDR", err);
    if (p->color_type == PNG_COLOR_TYPE_PALETTE && p->palette_n == 0)
        return damaged(s, "no palette", err);
    if (p->idat_bytes == 0)
        return damaged(s, "no image data", err);
    st = in_check_size(s->path, 1, p->width, p->height, lim, err);
    if (st != SH_OK)
        return st;
    pi->width = p->width;
    pi->height = p->height;
    p->as_is = !p->interlace && !png_has_alpha(p);
    /* An interlaced image is decoded whole (libpng needs all seven passes): bound it. */
    if (p->interlace && (uint64_t)p->width * p->height * 8 > INTERLACED_MAX)
        return sh_fail(err, SH_INPUT,
                       _("%s: an interlaced PNG this large (%u × %u) is not supported; save it "
                         "without interlacing"),
                       s->path, p->width, p->height);
    pi->how = p->as_is ? "PNG data as is" : "decoded, Flate";
    if (p->depth == 16)
        s->pdf_minor = 5;
    return SH_OK;
}
