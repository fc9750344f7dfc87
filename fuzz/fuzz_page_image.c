/* A page's embedded scan comes from any PDF: whatever its bytes and whatever its dictionary
 * claims, decoding must give a picture or an error, never a crash, a hang or memory past the
 * limit. The first 12 bytes choose the image (codec, depth, colour space, size, flags, output
 * size, how the stream is cut into reads); the rest is the stream. For JBIG2, a first byte
 * below 32 splits off that many times 8 bytes as globals. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "page_image_impl.h"

#define HEAD 12

typedef struct {
    const uint8_t *data;
    size_t len, pos, chunk;
} fuzz_stream;

static ptrdiff_t fuzz_read(void *ctx, void *buf, size_t n, sh_error *err)
{
    (void)err;
    fuzz_stream *s = ctx;
    size_t k = MIN(n, MIN(s->chunk, s->len - s->pos));
    memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    return (ptrdiff_t)k;
}

static const uint8_t palette[256 * 4] = {0, 255, 17, 34, 51, 68, 85, 102, 119, 136, 153, 170};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEAD)
        return 0;
    static const pdf_codec codecs[] = {PDF_CODEC_NONE, PDF_CODEC_DCT, PDF_CODEC_CCITT,
                                       PDF_CODEC_JBIG2};
    static const int depths[] = {1, 2, 4, 8, 16};
    static const pdf_colour_space spaces[] = {PDF_CS_GRAY, PDF_CS_RGB, PDF_CS_CMYK, PDF_CS_INDEXED,
                                              PDF_CS_OTHER};
    pdf_image img = {0};
    img.codec = codecs[data[0] % 4];
    img.bpc = depths[data[1] % 5];
    img.cs = spaces[data[1] / 5 % 5];
    img.components = img.cs == PDF_CS_RGB ? 3 : img.cs == PDF_CS_CMYK ? 4 : 1;
    if (img.cs == PDF_CS_OTHER)
        img.components = 1 + data[1] / 25 % 4;
    if (img.cs == PDF_CS_INDEXED) {
        img.base_cs = spaces[data[2] % 3];
        img.base_components = img.base_cs == PDF_CS_RGB ? 3 : img.base_cs == PDF_CS_CMYK ? 4 : 1;
        img.palette = palette;
        img.palette_entries = 1 + data[3];
    }
    img.width = 1 + (uint32_t)(data[4] | (data[5] & 0x0f) << 8); /* up to 4096 */
    img.height = 1 + (uint32_t)(data[6] | (data[7] & 0x0f) << 8);
    uint8_t flags = data[8];
    img.image_mask = flags & 1;
    img.decode_inverted = flags & 2;
    img.ccitt_black_is_1 = flags & 4;
    img.ccitt_byte_align = flags & 8;
    img.ccitt_k = (int)(flags >> 4 & 3) - 1; /* -1, 0, 1, 2 */
    img.ccitt_columns = (int)img.width;
    img.ccitt_end_of_block = true;
    uint32_t out_w = 1 + (uint32_t)data[9] % img.width;
    uint32_t out_h = 1 + (uint32_t)data[10] % img.height;
    size_t chunk = 1 + (size_t)data[11] * 61;

    const uint8_t *stream = data + HEAD, *globals = NULL;
    size_t len = size - HEAD, globals_len = 0;
    if (img.codec == PDF_CODEC_JBIG2 && len > 0 && stream[0] < 32) {
        globals_len = MIN((size_t)stream[0] * 8, len - 1);
        globals = stream + 1;
        stream += 1 + globals_len;
        len -= 1 + globals_len;
    }
    if (!vd_can_decode(&img))
        return 0;
    fuzz_stream s = {stream, len, 0, chunk};
    uint8_t *px = NULL;
    sh_error err;
    /* A small limit: the point is that it is kept, not how much the fuzzer may use. */
    if (vd_decode_image(&img, fuzz_read, &s, globals, globals_len, out_w, out_h, 8u << 20, &px,
                        &err) == SH_OK) {
        uint64_t sum = 0; /* touch every pixel: the picture must be whole */
        for (size_t i = 0; i < (size_t)out_w * out_h; i++)
            sum += px[i];
        __asm__ volatile("" : : "r"(sum));
    }
    g_free(px);
    return 0;
}
