/* Stream data: where it lies in the file (with /Length checked), and the decoders that undo
 * its filters — Flate with PNG and TIFF predictors, LZW, RunLength, ASCIIHex, ASCII85 — each a
 * pull stream over the one before it, so memory is a row or a buffer, never the image. */
#include "reader_impl.h"

#include <string.h>

#include <zlib.h>

#define IN_BUF 65536

/* ---- filter names ---- */

static const struct {
    const char *name, *abbrev;
    pdf_rd_filter_kind kind;
} filter_names[] = {
    {"FlateDecode", "Fl", RF_FLATE},
    {"LZWDecode", "LZW", RF_LZW},
    {"RunLengthDecode", "RL", RF_RUNLENGTH},
    {"ASCIIHexDecode", "AHx", RF_ASCIIHEX},
    {"ASCII85Decode", "A85", RF_ASCII85},
    {"DCTDecode", "DCT", RF_DCT},
    {"CCITTFaxDecode", "CCF", RF_CCITT},
    {"JBIG2Decode", NULL, RF_JBIG2},
    {"JPXDecode", NULL, RF_JPX},
};

static pdf_rd_filter_kind filter_kind(const char *name)
{
    for (size_t i = 0; i < sizeof filter_names / sizeof filter_names[0]; i++)
        if (strcmp(name, filter_names[i].name) == 0 ||
            (filter_names[i].abbrev && strcmp(name, filter_names[i].abbrev) == 0))
            return filter_names[i].kind;
    return RF_OTHER;
}

pdf_codec pdf_rd_filter_codec(pdf_rd_filter_kind k)
{
    switch (k) {
    case RF_DCT:
        return PDF_CODEC_DCT;
    case RF_CCITT:
        return PDF_CODEC_CCITT;
    case RF_JBIG2:
        return PDF_CODEC_JBIG2;
    case RF_JPX:
        return PDF_CODEC_JPX;
    case RF_OTHER:
        return PDF_CODEC_OTHER;
    default:
        return PDF_CODEC_NONE;
    }
}

int pdf_rd_stream_filters(pdf_reader *r, const robj *dict, pdf_rd_filter *out)
{
    robj *f = pdf_rd_get(r, dict, "Filter");
    robj *p = pdf_rd_get(r, dict, "DecodeParms");
    if (f->type == RO_NULL)
        f = pdf_rd_get(r, dict, "F"); /* inline images */
    if (p->type == RO_NULL)
        p = pdf_rd_get(r, dict, "DP");
    if (f->type == RO_NULL)
        return 0;
    if (f->type == RO_NAME) {
        out[0].kind = filter_kind(f->str.s);
        out[0].parms = p->type == RO_ARRAY && p->arr.n > 0 ? pdf_rd_resolve(r, p->arr.items[0]) : p;
        return 1;
    }
    if (f->type != RO_ARRAY || f->arr.n > RD_MAX_FILTERS)
        return -1;
    for (int i = 0; i < f->arr.n; i++) {
        const char *name = pdf_rd_name(pdf_rd_resolve(r, f->arr.items[i]));
        if (!name)
            return -1;
        out[i].kind = filter_kind(name);
        out[i].parms = p->type == RO_ARRAY && i < p->arr.n   ? pdf_rd_resolve(r, p->arr.items[i])
                       : p->type == RO_DICT && f->arr.n == 1 ? p
                                                             : &pdf_rd_null;
    }
    return f->arr.n;
}

/* ---- where the data is ---- */

static bool endstream_at(pdf_reader *r, uint64_t pos)
{
    uint8_t b[48];
    size_t n = pdf_rd_file_read(&r->file, pos, b, sizeof b);
    size_t i = 0;
    while (i < n && pdf_rd_is_space(b[i]))
        i++;
    return n - i >= 9 && memcmp(b + i, "endstream", 9) == 0;
}

/* The first "endstream" at or after from; the file's end when there is none. */
static uint64_t search_endstream(pdf_reader *r, uint64_t from)
{
    uint8_t *buf = g_malloc(IN_BUF + 16);
    uint64_t pos = from, found = r->file.size;
    size_t keep = 0;
    while (pos < r->file.size) {
        size_t n = pdf_rd_file_pread(&r->file, pos, buf + keep, IN_BUF);
        if (n == 0)
            break;
        const uint8_t *hit = memmem(buf, keep + n, "endstream", 9);
        if (hit) {
            found = pos - keep + (uint64_t)(hit - buf);
            break;
        }
        /* carry the last bytes over, so a keyword split between reads is still found */
        size_t len = keep + n;
        keep = len < 8 ? len : 8;
        memmove(buf, buf + len - keep, keep);
        pos += n;
    }
    g_free(buf);
    return found;
}

bool pdf_rd_stream_extent(pdf_reader *r, const robj *stream, uint64_t *start, uint64_t *end)
{
    if (stream->type != RO_STREAM)
        return false;
    *start = stream->stream.data;
    if (*start > r->file.size)
        return false;
    int64_t len;
    if (pdf_rd_int(pdf_rd_get(r, stream, "Length"), &len) && len >= 0 &&
        (uint64_t)len <= r->file.size - *start && endstream_at(r, *start + (uint64_t)len)) {
        *end = *start + (uint64_t)len;
        return true;
    }
    /* /Length missing or wrong: up to "endstream", less the end-of-line before it. The search
     * is remembered: a form drawn many times is not searched for each time. */
    for (int i = 0; i < 16; i++)
        if (r->searched[i].start == *start && r->searched[i].end) {
            *end = r->searched[i].end;
            return true;
        }
    uint64_t e = search_endstream(r, *start);
    uint8_t tail[2];
    if (e >= *start + 2 && pdf_rd_file_read(&r->file, e - 2, tail, 2) == 2) {
        if (tail[0] == '\r' && tail[1] == '\n')
            e -= 2;
        else if (tail[1] == '\n' || tail[1] == '\r')
            e -= 1;
    } else if (e == *start + 1 && pdf_rd_file_read(&r->file, e - 1, tail, 1) == 1 &&
               (tail[0] == '\n' || tail[0] == '\r')) {
        e -= 1;
    }
    *end = e;
    r->searched[r->searched_next].start = *start;
    r->searched[r->searched_next].end = e;
    r->searched_next = (r->searched_next + 1) % 16;
    return true;
}

/* ---- decoders ---- */

ptrdiff_t pdf_rd_dec_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    if (d->why)
        return -1;
    return n ? d->read(d, buf, n) : 0;
}

void pdf_rd_dec_free(pdf_rd_dec *d)
{
    while (d) {
        pdf_rd_dec *up = d->up;
        if (d->free)
            d->free(d);
        g_free(d);
        d = up;
    }
}

const char *pdf_rd_dec_why(const pdf_rd_dec *d)
{
    for (; d; d = d->up)
        if (d->why)
            return d->why;
    return NULL;
}

static ptrdiff_t fail(pdf_rd_dec *d, const char *why)
{
    d->why = why;
    return -1;
}

/* Upstream bytes one at a time, through a buffer. */
typedef struct {
    uint8_t buf[IN_BUF];
    size_t pos, len;
} inbuf;

/* -1 at the end, -2 on an upstream error (d->why set). */
static int in_byte(pdf_rd_dec *d, inbuf *b)
{
    if (b->pos == b->len) {
        ptrdiff_t n = pdf_rd_dec_read(d->up, b->buf, sizeof b->buf);
        if (n < 0) {
            d->why = pdf_rd_dec_why(d->up);
            return -2;
        }
        if (n == 0)
            return -1;
        b->pos = 0;
        b->len = (size_t)n;
    }
    return b->buf[b->pos++];
}

/* The stream's bytes in the file. */
typedef struct {
    pdf_rd_dec d;
    pdf_rd_file *f;
    uint64_t pos, end;
} dec_file;

static ptrdiff_t file_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    dec_file *s = (dec_file *)d;
    if (s->pos >= s->end)
        return 0;
    if (n > s->end - s->pos)
        n = (size_t)(s->end - s->pos);
    size_t got = pdf_rd_file_pread(s->f, s->pos, buf, n);
    if (got == 0)
        return s->f->error ? fail(d, N_("read error")) : 0;
    s->pos += got;
    return (ptrdiff_t)got;
}

/* Flate (zlib). */
typedef struct {
    pdf_rd_dec d;
    z_stream z;
    bool done, input_ended;
    uint8_t in[IN_BUF];
} dec_flate;

static ptrdiff_t flate_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    dec_flate *s = (dec_flate *)d;
    if (s->done)
        return 0;
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    s->z.next_out = buf;
    s->z.avail_out = (uInt)n;
    while (s->z.avail_out == n) {
        if (s->z.avail_in == 0 && !s->input_ended) {
            ptrdiff_t k = pdf_rd_dec_read(d->up, s->in, sizeof s->in);
            if (k < 0)
                return fail(d, pdf_rd_dec_why(d->up));
            s->input_ended = k == 0;
            s->z.next_in = s->in;
            s->z.avail_in = (uInt)k;
        }
        int ret = inflate(&s->z, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            s->done = true;
            break;
        }
        if (ret == Z_BUF_ERROR && s->input_ended) {
            if (s->z.avail_out < n)
                break; /* give what came; the next call reports the end */
            return fail(d, N_("the Flate data ends early"));
        }
        if (ret != Z_OK && ret != Z_BUF_ERROR)
            return fail(d, s->z.msg ? s->z.msg : N_("damaged Flate data"));
    }
    return (ptrdiff_t)(n - s->z.avail_out);
}

static void flate_free(pdf_rd_dec *d) { inflateEnd(&((dec_flate *)d)->z); }

static pdf_rd_dec *flate_open(void)
{
    dec_flate *s = g_new0(dec_flate, 1);
    if (inflateInit(&s->z) != Z_OK) {
        g_free(s);
        return NULL;
    }
    s->d.read = flate_read;
    s->d.free = flate_free;
    return &s->d;
}

/* LZW as PDF has it: 9 to 12-bit codes, 256 clears, 257 ends; EarlyChange 1 by default. */
typedef struct {
    pdf_rd_dec d;
    inbuf in;
    int early;
    uint32_t bits;
    int n_bits, code_len, next, prev;
    bool eof;
    uint16_t prefix[4096];
    uint16_t length[4096];
    uint8_t suffix[4096];
    uint8_t out[4096];
    int out_pos, out_len;
} dec_lzw;

static void lzw_clear(dec_lzw *s)
{
    s->code_len = 9;
    s->next = 258;
    s->prev = -1;
}

/* The next code; -1 at the end of the data, -2 on an upstream error. */
static int lzw_code(dec_lzw *s)
{
    while (s->n_bits < s->code_len) {
        int c = in_byte(&s->d, &s->in);
        if (c < 0)
            return c;
        s->bits = s->bits << 8 | (uint32_t)c;
        s->n_bits += 8;
    }
    s->n_bits -= s->code_len;
    return (int)(s->bits >> s->n_bits) & ((1 << s->code_len) - 1);
}

/* Decode one code into out. false at the end, or with why set. */
static bool lzw_step(dec_lzw *s)
{
    for (;;) {
        int code = lzw_code(s);
        if (code == -2)
            return false;
        if (code < 0 || code == 257) {
            s->eof = true;
            return false;
        }
        if (code == 256) {
            lzw_clear(s);
            continue;
        }
        int entry = code;
        bool kwkwk = false;
        if (s->prev >= 0 && code == s->next)
            entry = s->prev, kwkwk = true;
        else if (code >= s->next || (s->prev < 0 && code > 255))
            return (void)fail(&s->d, N_("damaged LZW data")), false;
        int len = entry < 256 ? 1 : s->length[entry];
        /* Walk the entry back to its first byte, filling out from the end. */
        int total = len + kwkwk;
        for (int e = entry, i = len - 1; i >= 0; i--) {
            s->out[i] = e < 256 ? (uint8_t)e : s->suffix[e];
            e = e < 256 ? e : s->prefix[e];
        }
        uint8_t first = s->out[0];
        if (kwkwk)
            s->out[len] = first;
        if (s->prev >= 0 && s->next < 4096) {
            s->prefix[s->next] = (uint16_t)s->prev;
            s->suffix[s->next] = first;
            s->length[s->next] = (uint16_t)((s->prev < 256 ? 1 : s->length[s->prev]) + 1);
            s->next++;
            int limit = s->next + s->early;
            s->code_len = limit >= 2048 ? 12 : limit >= 1024 ? 11 : limit >= 512 ? 10 : 9;
        }
        s->prev = code;
        s->out_pos = 0;
        s->out_len = total;
        return true;
    }
}

static ptrdiff_t lzw_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    dec_lzw *s = (dec_lzw *)d;
    size_t done = 0;
    while (done < n) {
        if (s->out_pos == s->out_len) {
            if (s->eof || !lzw_step(s))
                break;
        }
        size_t k = (size_t)(s->out_len - s->out_pos);
        if (k > n - done)
            k = n - done;
        memcpy(buf + done, s->out + s->out_pos, k);
        s->out_pos += (int)k;
        done += k;
    }
    if (d->why && done == 0)
        return -1;
    return (ptrdiff_t)done;
}

static pdf_rd_dec *lzw_open(const robj *parms)
{
    dec_lzw *s = g_new0(dec_lzw, 1);
    int64_t early = 1;
    pdf_rd_int(pdf_rd_dict_find(parms, "EarlyChange"), &early);
    s->early = early ? 1 : 0;
    lzw_clear(s);
    s->d.read = lzw_read;
    return &s->d;
}

/* RunLength: a length byte, then 1..128 literal bytes or one byte repeated 2..128 times. */
typedef struct {
    pdf_rd_dec d;
    inbuf in;
    int literal, repeat, byte;
    bool eof;
} dec_rl;

static ptrdiff_t rl_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    dec_rl *s = (dec_rl *)d;
    size_t done = 0;
    while (done < n && !s->eof) {
        if (s->repeat > 0) {
            buf[done++] = (uint8_t)s->byte;
            s->repeat--;
            continue;
        }
        int c = in_byte(d, &s->in);
        if (c == -2)
            return -1;
        if (c < 0) {
            s->eof = true;
            break;
        }
        if (s->literal > 0) {
            buf[done++] = (uint8_t)c;
            s->literal--;
        } else if (c < 128) {
            s->literal = c + 1;
        } else if (c > 128) {
            int b = in_byte(d, &s->in);
            if (b == -2)
                return -1;
            if (b < 0)
                s->eof = true;
            s->byte = b;
            s->repeat = b < 0 ? 0 : 257 - c;
        } else {
            s->eof = true;
        }
    }
    return (ptrdiff_t)done;
}

/* ASCIIHex: pairs of hex digits, whitespace ignored, '>' ends (an odd digit takes a 0). */
typedef struct {
    pdf_rd_dec d;
    inbuf in;
    bool eof;
    int hi;
} dec_ahx;

static ptrdiff_t ahx_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    dec_ahx *s = (dec_ahx *)d;
    size_t done = 0;
    while (done < n && !s->eof) {
        int c = in_byte(d, &s->in);
        if (c == -2)
            return -1;
        if (c < 0 || c == '>') {
            s->eof = true;
            if (s->hi >= 0)
                buf[done++] = (uint8_t)(s->hi << 4);
            break;
        }
        if (pdf_rd_is_space(c))
            continue;
        int v = pdf_rd_hex_value(c);
        if (v < 0)
            return fail(d, N_("damaged ASCIIHex data"));
        if (s->hi < 0) {
            s->hi = v;
        } else {
            buf[done++] = (uint8_t)(s->hi << 4 | v);
            s->hi = -1;
        }
    }
    return (ptrdiff_t)done;
}

static pdf_rd_dec *ahx_open(void)
{
    dec_ahx *s = g_new0(dec_ahx, 1);
    s->hi = -1;
    return &s->d;
}

/* ASCII85: groups of five characters '!'..'u' for four bytes, 'z' for four zeros, '~>' ends. */
typedef struct {
    pdf_rd_dec d;
    inbuf in;
    bool eof;
    uint8_t out[4];
    int out_pos, out_len;
} dec_a85;

static bool a85_group(dec_a85 *s)
{
    uint32_t digits[5];
    int k = 0;
    while (k < 5) {
        int c = in_byte(&s->d, &s->in);
        if (c == -2)
            return false;
        if (c < 0 || c == '~') {
            s->eof = true;
            break;
        }
        if (pdf_rd_is_space(c))
            continue;
        if (c == 'z' && k == 0) {
            memset(s->out, 0, 4);
            s->out_pos = 0;
            s->out_len = 4;
            return true;
        }
        if (c < '!' || c > 'u')
            return (void)fail(&s->d, N_("damaged ASCII85 data")), false;
        digits[k++] = (uint32_t)(c - '!');
    }
    if (k == 1)
        return (void)fail(&s->d, N_("damaged ASCII85 data")), false;
    if (k == 0)
        return false;
    for (int i = k; i < 5; i++)
        digits[i] = 84; /* padding with 'u' */
    uint64_t v = 0;
    for (int i = 0; i < 5; i++)
        v = v * 85 + digits[i];
    if (v > UINT32_MAX)
        return (void)fail(&s->d, N_("damaged ASCII85 data")), false;
    for (int i = 0; i < 4; i++)
        s->out[i] = (uint8_t)(v >> (24 - 8 * i));
    s->out_pos = 0;
    s->out_len = k - 1;
    return true;
}

static ptrdiff_t a85_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    dec_a85 *s = (dec_a85 *)d;
    size_t done = 0;
    while (done < n) {
        if (s->out_pos == s->out_len && (s->eof || !a85_group(s)))
            break;
        buf[done++] = s->out[s->out_pos++];
    }
    if (d->why && done == 0)
        return -1;
    return (ptrdiff_t)done;
}

/* PNG (10..15) and TIFF (2) predictors: one row at a time. */
typedef struct {
    pdf_rd_dec d;
    bool png;
    int colors, bpc;
    size_t row, bpp;
    uint8_t *prev, *cur; /* cur has one extra byte in front: the PNG row's type */
    size_t out_pos, out_len;
    bool eof;
} dec_pred;

static uint8_t paeth(int a, int b, int c)
{
    int p = a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p;
    int pc = p > c ? p - c : c - p;
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

static bool png_unfilter(dec_pred *s)
{
    uint8_t *x = s->cur + 1, *up = s->prev;
    size_t bpp = s->bpp;
    switch (s->cur[0]) {
    case 0:
        break;
    case 1:
        for (size_t i = bpp; i < s->row; i++)
            x[i] = (uint8_t)(x[i] + x[i - bpp]);
        break;
    case 2:
        for (size_t i = 0; i < s->row; i++)
            x[i] = (uint8_t)(x[i] + up[i]);
        break;
    case 3:
        for (size_t i = 0; i < s->row; i++)
            x[i] = (uint8_t)(x[i] + ((i >= bpp ? x[i - bpp] : 0) + up[i]) / 2);
        break;
    case 4:
        for (size_t i = 0; i < s->row; i++)
            x[i] = (uint8_t)(x[i] +
                             paeth(i >= bpp ? x[i - bpp] : 0, up[i], i >= bpp ? up[i - bpp] : 0));
        break;
    default:
        return false;
    }
    memcpy(s->prev, x, s->row);
    return true;
}

static unsigned get_bits(const uint8_t *p, size_t index, int bpc)
{
    size_t bit = index * (size_t)bpc;
    return (unsigned)(p[bit / 8] >> (8 - bpc - (int)(bit % 8))) & ((1u << bpc) - 1);
}

static void put_bits(uint8_t *p, size_t index, int bpc, unsigned v)
{
    size_t bit = index * (size_t)bpc;
    int shift = 8 - bpc - (int)(bit % 8);
    unsigned mask = ((1u << bpc) - 1) << shift;
    p[bit / 8] = (uint8_t)((p[bit / 8] & ~mask) | ((v << shift) & mask));
}

static void tiff_unpredict(dec_pred *s)
{
    uint8_t *x = s->cur + 1;
    size_t samples = s->row * 8 / (size_t)s->bpc, colors = (size_t)s->colors;
    if (s->bpc == 8) {
        for (size_t i = colors; i < s->row; i++)
            x[i] = (uint8_t)(x[i] + x[i - colors]);
    } else if (s->bpc == 16) {
        for (size_t i = 2 * colors; i + 1 < s->row; i += 2) {
            unsigned v = (unsigned)(x[i] << 8 | x[i + 1]) +
                         (unsigned)(x[i - 2 * colors] << 8 | x[i - 2 * colors + 1]);
            x[i] = (uint8_t)(v >> 8);
            x[i + 1] = (uint8_t)v;
        }
    } else {
        for (size_t i = colors; i < samples; i++)
            put_bits(x, i, s->bpc, get_bits(x, i, s->bpc) + get_bits(x, i - colors, s->bpc));
    }
}

static ptrdiff_t pred_read(pdf_rd_dec *d, uint8_t *buf, size_t n)
{
    dec_pred *s = (dec_pred *)d;
    if (s->out_pos == s->out_len) {
        if (s->eof)
            return 0;
        size_t want = s->row + (s->png ? 1 : 0), got = 0;
        uint8_t *dst = s->png ? s->cur : s->cur + 1;
        while (got < want) {
            ptrdiff_t k = pdf_rd_dec_read(d->up, dst + got, want - got);
            if (k < 0)
                return fail(d, pdf_rd_dec_why(d->up));
            if (k == 0)
                break;
            got += (size_t)k;
        }
        if (got < want) {
            s->eof = true;
            if (got <= (s->png ? 1u : 0u))
                return 0;
            memset(dst + got, 0, want - got); /* a short last row: what viewers show */
        }
        if (s->png) {
            if (!png_unfilter(s))
                return fail(d, N_("unknown PNG predictor"));
        } else {
            tiff_unpredict(s);
        }
        s->out_pos = 0;
        s->out_len = s->png ? s->row : got < want ? got : s->row;
    }
    size_t k = s->out_len - s->out_pos < n ? s->out_len - s->out_pos : n;
    memcpy(buf, s->cur + 1 + s->out_pos, k);
    s->out_pos += k;
    return (ptrdiff_t)k;
}

static void pred_free(pdf_rd_dec *d)
{
    dec_pred *s = (dec_pred *)d;
    g_free(s->prev);
    g_free(s->cur);
}

/* The predictor stage of /DecodeParms, NULL when there is none; *bad when its values are. */
static pdf_rd_dec *pred_open(const robj *parms, bool *bad)
{
    int64_t predictor = 1, colors = 1, bpc = 8, columns = 1;
    pdf_rd_int(pdf_rd_dict_find(parms, "Predictor"), &predictor);
    *bad = false;
    if (predictor < 2)
        return NULL;
    pdf_rd_int(pdf_rd_dict_find(parms, "Colors"), &colors);
    pdf_rd_int(pdf_rd_dict_find(parms, "BitsPerComponent"), &bpc);
    pdf_rd_int(pdf_rd_dict_find(parms, "Columns"), &columns);
    if ((predictor != 2 && predictor < 10) || predictor > 15 || colors < 1 || colors > 32 ||
        (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) || columns < 1 ||
        columns > (1 << 24)) {
        *bad = true;
        return NULL;
    }
    uint64_t row = ((uint64_t)colors * (uint64_t)bpc * (uint64_t)columns + 7) / 8;
    if (row > RD_MAX_ROW) {
        *bad = true;
        return NULL;
    }
    dec_pred *s = g_new0(dec_pred, 1);
    s->png = predictor >= 10;
    s->colors = (int)colors;
    s->bpc = (int)bpc;
    s->row = (size_t)row;
    s->bpp = (size_t)((colors * bpc + 7) / 8);
    s->prev = g_malloc0(s->row);
    s->cur = g_malloc0(s->row + 1);
    s->d.read = pred_read;
    s->d.free = pred_free;
    return &s->d;
}

static pdf_rd_dec *stage_open(const pdf_rd_filter *f)
{
    switch (f->kind) {
    case RF_FLATE:
        return flate_open();
    case RF_LZW:
        return lzw_open(f->parms);
    case RF_RUNLENGTH:
        return (pdf_rd_dec *)g_new0(dec_rl, 1);
    case RF_ASCIIHEX:
        return ahx_open();
    case RF_ASCII85:
        return (pdf_rd_dec *)g_new0(dec_a85, 1);
    default:
        return NULL;
    }
}

static void stage_set_read(pdf_rd_dec *d, pdf_rd_filter_kind k)
{
    if (k == RF_RUNLENGTH)
        d->read = rl_read;
    else if (k == RF_ASCIIHEX)
        d->read = ahx_read;
    else if (k == RF_ASCII85)
        d->read = a85_read;
}

pdf_rd_dec *pdf_rd_decoder_open(pdf_reader *r, const robj *stream, const pdf_rd_filter *filters,
                                int n_undo)
{
    uint64_t start, end;
    if (!pdf_rd_stream_extent(r, stream, &start, &end))
        return NULL;
    dec_file *base = g_new0(dec_file, 1);
    base->d.read = file_read;
    base->f = &r->file;
    base->pos = start;
    base->end = end;
    pdf_rd_dec *top = &base->d;
    for (int i = 0; i < n_undo; i++) {
        pdf_rd_dec *d = stage_open(&filters[i]);
        if (!d) {
            pdf_rd_dec_free(top);
            return NULL;
        }
        stage_set_read(d, filters[i].kind);
        d->up = top;
        top = d;
        if (filters[i].kind == RF_FLATE || filters[i].kind == RF_LZW) {
            bool bad;
            pdf_rd_dec *p = pred_open(filters[i].parms, &bad);
            if (bad) {
                pdf_rd_dec_free(top);
                return NULL;
            }
            if (p) {
                p->up = top;
                top = p;
            }
        }
    }
    return top;
}

bool pdf_rd_stream_decode_all(pdf_reader *r, const robj *stream, size_t cap, uint8_t **data,
                              size_t *len)
{
    *data = NULL;
    *len = 0;
    pdf_rd_filter filters[RD_MAX_FILTERS];
    int nf = pdf_rd_stream_filters(r, stream, filters);
    if (nf < 0)
        return false;
    for (int i = 0; i < nf; i++)
        if (pdf_rd_filter_codec(filters[i].kind) != PDF_CODEC_NONE)
            return false;
    pdf_rd_dec *d = pdf_rd_decoder_open(r, stream, filters, nf);
    if (!d)
        return false;
    size_t size = 0, alloc = 0;
    uint8_t *buf = NULL;
    bool ok = true;
    for (;;) {
        if (size == alloc) {
            if (alloc >= cap) {
                uint8_t more;
                ok = pdf_rd_dec_read(d, &more, 1) == 0; /* past the cap unless it ends here */
                break;
            }
            alloc = alloc ? alloc * 2 : 65536;
            if (alloc > cap)
                alloc = cap;
            buf = g_realloc(buf, alloc + 1);
        }
        ptrdiff_t n = pdf_rd_dec_read(d, buf + size, alloc - size);
        if (n < 0) {
            ok = false;
            break;
        }
        if (n == 0)
            break;
        size += (size_t)n;
    }
    pdf_rd_dec_free(d);
    if (buf)
        buf[size] = 0;
    *data = buf;
    *len = size;
    return ok;
}
