/* Grey PNGs in memory (libpng) for the thumbnails of the HTML report: the page carries them as
 * data: URIs, so nothing is written beside it. */
#include "report_impl.h"

#include <setjmp.h>

#include <glib.h>
#include <png.h>

static void append_to_buffer(png_structp png, png_bytep data, png_size_t len)
{
    g_byte_array_append(png_get_io_ptr(png), data, (guint)len);
}

static void no_flush(png_structp png) { (void)png; }

/* libpng's warnings are about its own choices, not about anything the operator can act on. */
static void ignore_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* The rows through libpng; false when it gave up (it longjmps here on error). Kept apart from
 * the caller so that no local variable of the caller lives across setjmp. */
static bool encode_rows(png_structp png, png_infop info, const uint8_t *px, uint32_t w, uint32_t h,
                        uint32_t stride)
{
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, px + (size_t)y * stride);
    png_write_end(png, NULL);
    return true;
}

sh_status vd_png_grey(const uint8_t *px, uint32_t w, uint32_t h, uint32_t stride, uint8_t **png,
                      size_t *len, sh_error *err)
{
    *png = NULL;
    *len = 0;
    if (!px || w == 0 || h == 0 || stride < w || w > PNG_UINT_31_MAX || h > PNG_UINT_31_MAX)
        return sh_fail(err, SH_INTERNAL, _("cannot make a picture of %u × %u pixels"), (unsigned)w,
                       (unsigned)h);
    png_structp writer = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, ignore_warning);
    png_infop info = writer ? png_create_info_struct(writer) : NULL;
    if (!info) {
        png_destroy_write_struct(&writer, NULL);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    GByteArray *bytes = g_byte_array_new();
    png_set_write_fn(writer, bytes, append_to_buffer, no_flush);
    bool ok = encode_rows(writer, info, px, w, h, stride);
    png_destroy_write_struct(&writer, &info);
    if (!ok) {
        g_byte_array_free(bytes, TRUE);
        return sh_fail(err, SH_INTERNAL, _("cannot encode a page thumbnail as PNG"));
    }
    *len = bytes->len;
    *png = g_byte_array_free(bytes, FALSE);
    return SH_OK;
}
