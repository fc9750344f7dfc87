/* The seal image: any PNG (palette, grey, colour, with or without alpha, 1 to 16 bits), decoded
 * with libpng to 8-bit RGB and, when it has transparency, an 8-bit alpha plane that becomes the
 * image's /SMask. Both are compressed here, once per batch. Bounded: the file is at most 64 MiB,
 * the image at most 4000 × 4000 pixels. */
#include "stamp_impl.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SEAL_FILE_MAX ((size_t)64 << 20)

/* ---- streaming deflate into memory: the planes are split row by row ---- */

typedef struct {
    z_stream z;
    GByteArray *out;
    size_t raw;
} zsink;

static bool zsink_init(zsink *s)
{
    memset(s, 0, sizeof *s);
    s->out = g_byte_array_new();
    return deflateInit(&s->z, 6) == Z_OK;
}

static bool zsink_put(zsink *s, const uint8_t *p, size_t n, int flush)
{
    uint8_t buf[16384];
    s->z.next_in = (Bytef *)(uintptr_t)p;
    s->z.avail_in = (uInt)n;
    s->raw += n;
    do {
        s->z.next_out = buf;
        s->z.avail_out = sizeof buf;
        if (deflate(&s->z, flush) == Z_STREAM_ERROR)
            return false;
        g_byte_array_append(s->out, buf, (guint)(sizeof buf - s->z.avail_out));
    } while (s->z.avail_out == 0);
    return true;
}

/* Finish into z (ok) or drop (!ok). */
static bool zsink_end(zsink *s, bool ok, sg_zbytes *z)
{
    ok = ok && zsink_put(s, NULL, 0, Z_FINISH);
    deflateEnd(&s->z);
    z->raw_len = s->raw;
    z->len = s->out->len;
    z->data = g_byte_array_free(s->out, !ok);
    if (!ok)
        memset(z, 0, sizeof *z);
    return ok;
}

/* ---- libpng from memory, errors as text ---- */

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    char why[200];
    uint8_t *pixels;
    png_bytep *rows;
} png_src;

static void on_error(png_structp png, png_const_charp msg)
{
    png_src *s = png_get_error_ptr(png);
    g_strlcpy(s->why, msg, sizeof s->why);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void on_read(png_structp png, png_bytep out, size_t n)
{
    png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->pos)
        png_error(png, "the file ends early");
    memcpy(out, s->data + s->pos, n);
    s->pos += n;
}

static sh_status damaged(const char *path, const char *why, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("%s: the seal image is damaged (%s); make it again or choose another PNG "
                     "file ([sign] seal_image in sohoa.ini)"),
                   path, why);
}

static sh_status too_large(const char *path, uint32_t w, uint32_t h, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("%s: the seal image is too large (%u x %u pixels, at most %d x %d); scan "
                     "the seal at 300 to 600 dpi"),
                   path, w, h, SG_SEAL_MAX_SIDE, SG_SEAL_MAX_SIDE);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The signature and the size in IHDR, before libpng allocates anything. */
static sh_status check_header(const char *path, const uint8_t *d, size_t len, sh_error *err)
{
    if (len < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0)
        return sh_fail(err, SH_INPUT,
                       _("%s is not a PNG image; give the seal as a PNG file with a transparent "
                         "background ([sign] seal_image in sohoa.ini)"),
                       path);
    if (len < 24 || memcmp(d + 12, "IHDR", 4) != 0)
        return damaged(path, "IHDR", err);
    uint32_t w = be32(d + 16), h = be32(d + 20);
    if (w > SG_SEAL_MAX_SIDE || h > SG_SEAL_MAX_SIDE)
        return too_large(path, w, h, err);
    return SH_OK;
}

static double ppm_to_ppi(png_uint_32 ppm)
{
    double ppi = ppm * 0.0254, whole = floor(ppi + 0.5);
    return fabs(ppi - whole) <= 0.0128 ? whole : ppi;
}

/* Split 8-bit RGB(A) rows into the colour and alpha planes, compressed. */
static bool split_planes(png_src *src, uint32_t w, uint32_t h, int channels, sg_seal *out)
{
    zsink rgb, alpha;
    bool ok = zsink_init(&rgb), ok_a = zsink_init(&alpha), translucent = false;
    uint8_t *crow = g_malloc((size_t)w * 3), *arow = g_malloc(w);
    for (uint32_t y = 0; ok && ok_a && y < h; y++) {
        const uint8_t *row = src->rows[y];
        if (channels == 3) {
            ok = zsink_put(&rgb, row, (size_t)w * 3, Z_NO_FLUSH);
            continue;
        }
        for (uint32_t x = 0; x < w; x++) {
            memcpy(crow + 3 * (size_t)x, row + 4 * (size_t)x, 3);
            arow[x] = row[4 * (size_t)x + 3];
            translucent |= arow[x] != 255;
        }
        ok = zsink_put(&rgb, crow, (size_t)w * 3, Z_NO_FLUSH) &&
             zsink_put(&alpha, arow, w, Z_NO_FLUSH);
    }
    g_free(crow);
    g_free(arow);
    ok = zsink_end(&rgb, ok && ok_a, &out->rgb);
    /* An alpha plane that is 255 everywhere is no mask at all. */
    if (!zsink_end(&alpha, ok && translucent, &out->alpha))
        memset(&out->alpha, 0, sizeof out->alpha);
    return ok;
}

/* Decode with libpng: everything it allocates is freed here, on every path. */
static sh_status decode(const char *path, png_src *src, sg_seal *out, sh_error *err)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, src, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return damaged(path, src->why, err);
    }
    png_set_read_fn(png, src, on_read);
    png_set_user_limits(png, SG_SEAL_MAX_SIDE, SG_SEAL_MAX_SIDE);
    png_read_info(png, info);
    png_set_expand(png); /* palette → RGB, grey < 8 bits → 8, tRNS → alpha */
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if ((uint64_t)rowbytes * h > SG_SEAL_MAX_DECODED) {
        png_destroy_read_struct(&png, &info, NULL);
        return too_large(path, w, h, err);
    }
    if ((channels != 3 && channels != 4) || rowbytes != (size_t)w * channels)
        png_error(png, "unexpected pixel layout");
    double ppi_x = SG_SEAL_DEFAULT_PPI, ppi_y = SG_SEAL_DEFAULT_PPI;
    png_uint_32 rx = 0, ry = 0;
    int unit = 0;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx > 0 &&
        ry > 0) {
        ppi_x = ppm_to_ppi(rx);
        ppi_y = ppm_to_ppi(ry);
    }
    src->pixels = g_malloc(rowbytes * h);
    src->rows = g_new(png_bytep, h);
    for (uint32_t y = 0; y < h; y++)
        src->rows[y] = src->pixels + rowbytes * y;
    png_read_image(png, src->rows);
    png_destroy_read_struct(&png, &info, NULL);

    out->width = w;
    out->height = h;
    out->width_pt = w / ppi_x * 72.0;
    out->height_pt = h / ppi_y * 72.0;
    if (!split_planes(src, w, h, channels, out))
        return sh_fail(err, SH_INTERNAL, "zlib failed on the seal image");
    return SH_OK;
}

sh_status sg_seal_load(const char *path, sg_seal *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    char *data = NULL;
    size_t len = 0;
    sh_status st = sh_read_file(path, SEAL_FILE_MAX, &data, &len, err);
    if (st != SH_OK)
        return st;
    st = check_header(path, (const uint8_t *)data, len, err);
    if (st == SH_OK) {
        png_src *src = g_new0(png_src, 1); /* on the heap: longjmp leaves it intact */
        src->data = (const uint8_t *)data;
        src->len = len;
        st = decode(path, src, out, err);
        g_free(src->rows);
        g_free(src->pixels);
        g_free(src);
    }
    free(data);
    if (st != SH_OK)
        sg_seal_clear(out);
    return st;
}

void sg_seal_clear(sg_seal *s)
{
    sg_zbytes_clear(&s->rgb);
    sg_zbytes_clear(&s->alpha);
    memset(s, 0, sizeof *s);
}
