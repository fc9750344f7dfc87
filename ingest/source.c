/* Page sources: which format a file is, and the checks every format shares. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_impl.h"

in_kind in_sniff(const uint8_t *h, size_t n)
{
    if (n >= 4 && ((h[0] == 'I' && h[1] == 'I' && h[2] == 42 && h[3] == 0) ||
                   (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && h[3] == 42)))
        return IN_KIND_TIFF;
    if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF)
        return IN_KIND_JPEG;
    if (n >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
        return IN_KIND_PNG;
    if (n >= 5 && memcmp(h, "%PDF-", 5) == 0)
        return IN_KIND_PDF;
    return IN_KIND_UNKNOWN;
}

in_kind in_kind_of_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot)
        return IN_KIND_UNKNOWN;
    static const struct {
        const char *ext;
        in_kind kind;
    } exts[] = {{".tif", IN_KIND_TIFF},  {".tiff", IN_KIND_TIFF}, {".jpg", IN_KIND_JPEG},
                {".jpeg", IN_KIND_JPEG}, {".jpe", IN_KIND_JPEG},  {".png", IN_KIND_PNG},
                {".pdf", IN_KIND_PDF}};
    for (size_t i = 0; i < G_N_ELEMENTS(exts); i++)
        if (strcasecmp(dot, exts[i].ext) == 0)
            return exts[i].kind;
    return IN_KIND_UNKNOWN;
}

const char *in_kind_name(in_kind k)
{
    switch (k) {
    case IN_KIND_TIFF:
        return "TIFF";
    case IN_KIND_JPEG:
        return "JPEG";
    case IN_KIND_PNG:
        return "PNG";
    case IN_KIND_PDF:
        return "PDF";
    default:
        return "?";
    }
}

sh_status in_check_size(const char *path, int page, uint64_t w, uint64_t h, const in_limits *lim,
                        sh_error *err)
{
    if (w == 0 || h == 0)
        return sh_fail(err, SH_INPUT, _("%s, page %d: the image has no pixels (%llu × %llu)"), path,
                       page, (unsigned long long)w, (unsigned long long)h);
    if (w > lim->max_dimension || h > lim->max_dimension || w * h > lim->max_pixels)
        return sh_fail(err, SH_INPUT,
                       _("%s, page %d: the image is %llu × %llu pixels, more than the limit "
                         "(%u pixels a side, %llu million pixels); scan at a lower resolution"),
                       path, page, (unsigned long long)w, (unsigned long long)h, lim->max_dimension,
                       (unsigned long long)(lim->max_pixels / 1000000));
    return SH_OK;
}

void in_orientation(int orientation, int *rotate, bool *mirror)
{
    /* EXIF/TIFF orientation 1..8 as a clockwise /Rotate of the page after an optional
     * left-right flip of the image: 5 (transpose) = flip, then 270; 7 (transverse) = flip, 90. */
    static const int rot[9] = {0, 0, 0, 180, 180, 270, 90, 90, 270};
    static const bool flip[9] = {false, false, true, false, true, true, false, true, false};
    if (orientation < 1 || orientation > 8)
        orientation = 1;
    *rotate = rot[orientation];
    *mirror = flip[orientation];
}

sh_status in_copy_bytes(pdf_writer *w, int fd, uint64_t off, uint64_t len, bool reverse_bits,
                        const char *path, sh_error *err)
{
    enum { CHUNK = 256 * 1024 };
    uint8_t *buf = g_malloc(CHUNK);
    sh_status st = SH_OK;
    while (len > 0 && st == SH_OK) {
        size_t want = len < CHUNK ? (size_t)len : CHUNK;
        ssize_t got = pread(fd, buf, want, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            st = sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
        else if (got == 0)
            st = sh_fail(err, SH_INPUT,
                         _("%s is shorter than it says, or changed while it was "
                           "being read; copy it again"),
                         path);
        else {
            if (reverse_bits)
                for (ssize_t i = 0; i < got; i++) /* FillOrder 2: least significant bit first */
                    buf[i] =
                        (uint8_t)(((buf[i] * 0x0802u & 0x22110u) | (buf[i] * 0x8020u & 0x88440u)) *
                                      0x10101u >>
                                  16);
            pdf_write(w, buf, (size_t)got);
            off += (uint64_t)got;
            len -= (uint64_t)got;
        }
    }
    g_free(buf);
    return st;
}

in_page_info *in_source_add_page(in_source *s)
{
    /* Grows by doubling: the page count of a multi-page TIFF is not known in advance. */
    if ((s->n_pages & (s->n_pages - 1)) == 0)
        s->pages = g_renew(in_page_info, s->pages, s->n_pages ? 2 * (size_t)s->n_pages : 1);
    in_page_info *p = &s->pages[s->n_pages++];
    memset(p, 0, sizeof *p);
    return p;
}

sh_status in_source_open(const char *path, const in_limits *lim, in_source **out, sh_error *err)
{
    *out = NULL;
    int fd = sh_open_regular(path, err);
    if (fd < 0)
        return SH_INPUT;
    uint8_t head[16];
    ssize_t n = read(fd, head, sizeof head);
    int read_errno = errno;
    close(fd);
    if (n < 0)
        return sh_fail_errno(err, SH_INPUT, read_errno, _("cannot read %s"), path);
    if (n == 0)
        return sh_fail(err, SH_INPUT, _("%s is empty (0 bytes); copy it again from the scanner"),
                       path);
    in_kind named = in_kind_of_name(path);
    in_kind found = in_sniff(head, (size_t)n);
    if (found == IN_KIND_UNKNOWN)
        return sh_fail(err, SH_INPUT,
                       _("%s is not a TIFF, JPEG, PNG or PDF file; save the scan in one of "
                         "these formats"),
                       path);
    if (named != found)
        return sh_fail(err, SH_INPUT,
                       _("%s holds a %s image but its name says otherwise; give it the right "
                         "extension (.tif, .jpg, .png or .pdf)"),
                       path, in_kind_name(found));

    in_source *s = g_new0(in_source, 1);
    s->kind = found;
    s->path = g_strdup(path);
    s->pdf_minor = 4;
    sh_status st2;
    switch (found) {
    case IN_KIND_TIFF:
        st2 = in_tiff_open(s, lim, err);
        break;
    case IN_KIND_JPEG:
        st2 = in_jpeg_open(s, lim, err);
        break;
    case IN_KIND_PNG:
        st2 = in_png_open(s, lim, err);
        break;
    default:
        st2 = in_pdf_open(s, err);
        break;
    }
    if (st2 == SH_OK && s->n_pages == 0)
        st2 = sh_fail(err, SH_INPUT, _("%s has no pages"), path);
    if (st2 != SH_OK) {
        in_source_close(s);
        return st2;
    }
    *out = s;
    return SH_OK;
}

void in_source_close(in_source *s)
{
    if (!s)
        return;
    if (s->ops && s->ops->close)
        s->ops->close(s);
    g_free(s->pages);
    g_free(s->path);
    g_free(s);
}
