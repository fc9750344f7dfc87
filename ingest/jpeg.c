/* JPEG pages: the file goes into the PDF byte for byte as a /DCTDecode image. Only the markers
 * before the image data are read (size, components, resolution, EXIF orientation, the Adobe
 * marker that says CMYK is stored inverted); nothing is decoded or re-compressed. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_impl.h"

/* Headers (APPn markers with EXIF, ICC profiles…) come first; they are read up to this much. */
#define JPEG_HEAD_MAX (4u << 20)

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

static uint32_t rd16(const uint8_t *p, bool big)
{
    return big ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static uint32_t rd32(const uint8_t *p, bool big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static double rational(const uint8_t *tiff, size_t len, uint32_t off, bool big)
{
    if (off > len || len - off < 8)
        return 0;
    uint32_t num = rd32(tiff + off, big), den = rd32(tiff + off + 4, big);
    return den ? (double)num / den : 0;
}

void in_exif_parse(const uint8_t *tiff, size_t len, int *orientation, double *xres, double *yres)
{
    *orientation = 1;
    *xres = *yres = 0;
    if (len < 8)
        return;
    bool big;
    if (tiff[0] == 'M' && tiff[1] == 'M')
        big = true;
    else if (tiff[0] == 'I' && tiff[1] == 'I')
        big = false;
    else
        return;
    if (rd16(tiff + 2, big) != 42)
        return;
    uint32_t ifd = rd32(tiff + 4, big);
    if (ifd > len || len - ifd < 2)
        return;
    uint32_t n = rd16(tiff + ifd, big);
    int unit = 2; /* inches unless said otherwise */
    double xr = 0, yr = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        if (e + 12 > len)
            break;
        uint32_t tag = rd16(tiff + e, big), type = rd16(tiff + e + 2, big);
        uint32_t value = rd32(tiff + e + 8, big);
        if (tag == 0x0112 && type == 3)
            *orientation = (int)rd16(tiff + e + 8, big);
        else if (tag == 0x0128 && type == 3)
            unit = (int)rd16(tiff + e + 8, big);
        else if (tag == 0x011A && type == 5)
            xr = rational(tiff, len, value, big);
        else if (tag == 0x011B && type == 5)
            yr = rational(tiff, len, value, big);
    }
    if (*orientation < 1 || *orientation > 8)
        *orientation = 1;
    if (unit == 3) {
        xr *= 2.54;
        yr *= 2.54;
    } else if (unit != 2)
        xr = yr = 0;
    if (xr >= 1 && xr <= 100000 && yr >= 1 && yr <= 100000) {
        *xres = xr;
        *yres = yr;
    }
}

/* JFIF's density, when it gives one in inches or centimetres. */
static void read_jfif(const uint8_t *seg, in_jpeg_header *h)
{
    int units = seg[7];
    double x = be16(seg + 8), y = be16(seg + 10);
    if (units == 2) {
        x *= 2.54;
        y *= 2.54;
    }
    if ((units == 1 || units == 2) && x >= 1 && y >= 1) {
        h->xres = x;
        h->yres = y;
    }
}

/* A start-of-frame marker: size and components, or why the JPEG is not one PDF readers take. */
static sh_status read_sof(uint8_t m, const uint8_t *seg, size_t n, in_jpeg_header *h, sh_error *err)
{
    /* Baseline, extended and progressive Huffman JPEG is what PDF readers decode. */
    if (m != 0xC0 && m != 0xC1 && m != 0xC2)
        return sh_fail(err, SH_INPUT,
                       _("this kind of JPEG (SOF%d: lossless or arithmetic coding) is not "
                         "supported; save it as an ordinary JPEG"),
                       m - 0xC0);
    if (n < 6)
        return sh_fail(err, SH_INPUT, "%s", _("damaged JPEG markers"));
    if (seg[0] != 8)
        return sh_fail(err, SH_INPUT,
                       _("this kind of JPEG (%d bits per sample) is not supported; save "
                         "it as an ordinary 8-bit JPEG"),
                       seg[0]);
    h->height = be16(seg + 1);
    h->width = be16(seg + 3);
    h->components = seg[5];
    if (h->components != 1 && h->components != 3 && h->components != 4)
        return sh_fail(err, SH_INPUT, _("a JPEG with %d colour components is not supported"),
                       h->components);
    if (h->height == 0)
        return sh_fail(err, SH_INPUT, "%s",
                       _("a JPEG whose height comes after the image data is not supported"));
    return SH_OK;
}

/* SOF0..SOF15 less DHT (C4), JPG (C8) and DAC (CC), which share the range. */
static bool is_sof(uint8_t m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* One marker segment before the image data: what it tells about the image. */
static sh_status read_segment(uint8_t m, const uint8_t *seg, size_t n, in_jpeg_header *h,
                              double *exif_x, double *exif_y, bool *have_sof, sh_error *err)
{
    if (m == 0xE0 && n >= 12 && memcmp(seg, "JFIF\0", 5) == 0 && !h->xres)
        read_jfif(seg, h);
    else if (m == 0xE1 && n >= 6 && memcmp(seg, "Exif\0\0", 6) == 0)
        in_exif_parse(seg + 6, n - 6, &h->orientation, exif_x, exif_y);
    else if (m == 0xEE && n >= 5 && memcmp(seg, "Adobe", 5) == 0)
        h->adobe = true;
    else if (is_sof(m)) {
        sh_status st = read_sof(m, seg, n, h, err);
        if (st != SH_OK)
            return st;
        *have_sof = true;
    }
    return SH_OK;
}

/* The next marker at *p, past its fill bytes: 0 for the markers without a length. */
static sh_status next_marker(const uint8_t *d, size_t len, size_t *p, uint8_t *m, sh_error *err)
{
    if (*p >= len || d[*p] != 0xFF)
        return sh_fail(err, SH_INPUT, "%s", _("damaged JPEG markers"));
    while (*p < len && d[*p] == 0xFF) /* fill bytes */
        (*p)++;
    if (*p >= len)
        return sh_fail(err, SH_INPUT, "%s", _("the JPEG file ends before its image data"));
    *m = d[(*p)++];
    if (*m == 0x01 || (*m >= 0xD0 && *m <= 0xD7))
        *m = 0; /* markers without a length */
    else if (*m == 0xD8 || *m == 0xD9 || *m == 0x00)
        return sh_fail(err, SH_INPUT, "%s", _("damaged JPEG markers"));
    return SH_OK;
}

sh_status in_jpeg_parse_header(const uint8_t *d, size_t len, in_jpeg_header *h, sh_error *err)
{
    memset(h, 0, sizeof *h);
    h->orientation = 1;
    double exif_x = 0, exif_y = 0;
    bool have_sof = false;
    if (len < 4 || d[0] != 0xFF || d[1] != 0xD8)
        return sh_fail(err, SH_INPUT, "%s", _("not a JPEG file"));
    size_t p = 2;
    for (;;) {
        uint8_t m = 0;
        sh_status st = next_marker(d, len, &p, &m, err);
        if (st != SH_OK)
            return st;
        if (m == 0)
            continue;
        if (len - p < 2)
            return sh_fail(err, SH_INPUT, "%s", _("the JPEG file ends before its image data"));
        uint32_t seglen = be16(d + p);
        if (seglen < 2 || seglen > len - p)
            return sh_fail(err, SH_INPUT, "%s", _("the JPEG file ends before its image data"));
        if (m == 0xDA) {
            if (!have_sof)
                return sh_fail(err, SH_INPUT, "%s", _("damaged JPEG markers"));
            break;
        }
        st = read_segment(m, d + p + 2, seglen - 2, h, &exif_x, &exif_y, &have_sof, err);
        if (st != SH_OK)
            return st;
        p += seglen;
    }
    if (!h->xres && exif_x) {
        h->xres = exif_x;
        h->yres = exif_y;
    }
    return SH_OK;
}

typedef struct {
    int fd;
    uint64_t size;
    bool adobe;
    int components;
} jpeg_state;

static sh_status jpeg_emit(in_source *s, int page, pdf_writer *w, int obj, sh_error *err)
{
    jpeg_state *j = s->state;
    const in_page_info *pi = &s->pages[page];
    static const char *const spaces[] = {"", "/DeviceGray", "", "/DeviceRGB", "/DeviceCMYK"};
    char dict[256];
    snprintf(dict, sizeof dict,
             "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace %s "
             "/BitsPerComponent 8 /Filter /DCTDecode%s",
             pi->width, pi->height, spaces[j->components],
             j->components == 4 && j->adobe ? " /Decode [1 0 1 0 1 0 1 0]" : "");
    pdf_stream_begin(w, obj, dict, j->size);
    sh_status st = in_copy_bytes(w, j->fd, 0, j->size, false, s->path, err);
    pdf_stream_end(w);
    return st;
}

static void jpeg_close(in_source *s)
{
    jpeg_state *j = s->state;
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    g_free(j);
    s->state = NULL;
}

static const in_source_ops jpeg_ops = {jpeg_emit, jpeg_close};

/* The image data must end with the EOI marker. Some scanners and tools pad after it (zero
 * bytes, 0xFF fill, line ends), so padding is skipped first; a file cut short in transfer has
 * neither and fails here. */
static bool ends_with_eoi(int fd, uint64_t size)
{
    enum { TAIL = 64 * 1024 };
    size_t n = size < TAIL ? (size_t)size : TAIL;
    uint8_t *tail = g_malloc(n ? n : 1);
    bool ok = pread(fd, tail, n, (off_t)(size - n)) == (ssize_t)n;
    while (ok && n > 2 &&
           (tail[n - 1] == 0 || tail[n - 1] == 0xFF || tail[n - 1] == '\n' || tail[n - 1] == '\r' ||
            tail[n - 1] == ' '))
        n--;
    ok = ok && n >= 2 && tail[n - 2] == 0xFF && tail[n - 1] == 0xD9;
    g_free(tail);
    return ok;
}

sh_status in_jpeg_open(in_source *s, const in_limits *lim, sh_error *err)
{
    jpeg_state *j = g_new0(jpeg_state, 1);
    j->fd = -1;
    s->state = j;
    s->ops = &jpeg_ops;
    j->fd = open(s->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (j->fd < 0 || fstat(j->fd, &st) != 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), s->path);
    j->size = (uint64_t)st.st_size;
    size_t n = j->size < JPEG_HEAD_MAX ? (size_t)j->size : JPEG_HEAD_MAX;
    uint8_t *head = g_malloc(n);
    ssize_t got = pread(j->fd, head, n, 0);
    in_jpeg_header h;
    sh_error perr;
    sh_status rc = got == (ssize_t)n ? in_jpeg_parse_header(head, n, &h, &perr)
                                     : sh_fail(&perr, SH_INPUT, "%s", g_strerror(errno));
    g_free(head);
    if (rc != SH_OK)
        return sh_fail(err, SH_INPUT, _("%s: %s; copy it again, or scan again"), s->path, perr.msg);
    if (!ends_with_eoi(j->fd, j->size))
        return sh_fail(err, SH_INPUT,
                       _("%s: the JPEG file is truncated (no end marker); copy it again, or scan "
                         "again"),
                       s->path);
    rc = in_check_size(s->path, 1, h.width, h.height, lim, err);
    if (rc != SH_OK)
        return rc;
    j->adobe = h.adobe;
    j->components = h.components;
    in_page_info *pi = in_source_add_page(s);
    pi->width = h.width;
    pi->height = h.height;
    pi->xres = h.xres;
    pi->yres = h.yres;
    in_orientation(h.orientation, &pi->rotate, &pi->mirror);
    pi->how = "JPEG as is";
    return SH_OK;
}
