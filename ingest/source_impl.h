/* Inside the ingest module only: page sources (one image or PDF file each) and the helpers the
 * format readers share. Each format file (tiff.c, jpeg.c, png.c, pdfcopy.c) fills in the
 * operations of in_source; document.c drives them. */
#ifndef SOHOA_INGEST_SOURCE_IMPL_H
#define SOHOA_INGEST_SOURCE_IMPL_H

#include "ingest/ingest.h"
#include "pdf/pdf.h"

/* What a page looks like, read from the headers before any page is written. */
typedef struct {
    uint32_t width, height; /* pixels, as stored */
    double xres, yres;      /* pixels per inch; 0 when the file does not say */
    int rotate;             /* the page's /Rotate (clockwise): 0, 90, 180, 270 */
    bool mirror;            /* flipped left to right before rotating (EXIF/TIFF orientation) */
    const char *how;        /* how the pixels go into the PDF ("G4 as is" …): what the tests check
                               to tell a copy from a re-encode */
} in_page_info;

typedef struct in_source in_source;
typedef struct {
    /* Write page i as an image XObject numbered obj (and any objects it needs, such as an
     * /SMask, reserved from w). */
    sh_status (*emit)(in_source *s, int page, pdf_writer *w, int obj, sh_error *err);
    void (*close)(in_source *s);
} in_source_ops;

struct in_source {
    const in_source_ops *ops;
    in_kind kind;
    char *path;
    int n_pages;
    in_page_info *pages;
    int pdf_minor; /* the PDF version the pages need (4, or 5 for 16-bit samples) */
    void *state;   /* the format's own */
};

/* Open and check a source: its kind from its first bytes (matching its extension), every
 * page's header within the limits. Nothing is decoded yet. SH_INPUT naming the file. */
SH_NODISCARD sh_status in_source_open(const char *path, const in_limits *lim, in_source **out,
                                      sh_error *err);
void in_source_close(in_source *s);

/* The format readers, called by in_source_open with the source's kind already known. */
SH_NODISCARD sh_status in_tiff_open(in_source *s, const in_limits *lim, sh_error *err);
SH_NODISCARD sh_status in_jpeg_open(in_source *s, const in_limits *lim, sh_error *err);
SH_NODISCARD sh_status in_png_open(in_source *s, const in_limits *lim, sh_error *err);
SH_NODISCARD sh_status in_pdf_open(in_source *s, sh_error *err);

/* Header readers on bytes in memory (the fuzz target drives these). */
typedef struct {
    uint32_t width, height;
    int components; /* 1, 3 or 4 */
    bool adobe;     /* an Adobe APP14 marker: CMYK data is stored inverted */
    double xres, yres;
    int orientation; /* EXIF 1..8; 1 when absent */
} in_jpeg_header;
SH_NODISCARD sh_status in_jpeg_parse_header(const uint8_t *data, size_t len, in_jpeg_header *h,
                                            sh_error *err);
/* The EXIF block of an APP1 marker (after "Exif\0\0"): orientation and resolution. */
void in_exif_parse(const uint8_t *tiff, size_t len, int *orientation, double *xres, double *yres);

/* Shared by the readers. */
SH_NODISCARD sh_status in_check_size(const char *path, int page, uint64_t w, uint64_t h,
                                     const in_limits *lim, sh_error *err);
/* The page's /Rotate and mirror from a TIFF/EXIF orientation (1..8). */
void in_orientation(int orientation, int *rotate, bool *mirror);
/* Copy len bytes at off of fd into the current PDF stream (bit order reversed in each byte when
 * asked: TIFF FillOrder 2). SH_INPUT naming path when the file is shorter than that. */
SH_NODISCARD sh_status in_copy_bytes(pdf_writer *w, int fd, uint64_t off, uint64_t len,
                                     bool reverse_bits, const char *path, sh_error *err);
/* Add a page to s->pages (grows the array). */
in_page_info *in_source_add_page(in_source *s);

/* Streams of decoded samples compressed on the way into a PDF stream (zlib, bounded memory). */
typedef struct in_deflate in_deflate;
in_deflate *in_deflate_begin(pdf_writer *w);
void in_deflate_write(in_deflate *d, const void *data, size_t len);
/* Flush and free; SH_INTERNAL on a zlib failure. */
SH_NODISCARD sh_status in_deflate_end(in_deflate *d, sh_error *err);

/* A lossless G4 encoder for bilevel rows (libtiff's), streaming into the current PDF stream.
 * Rows are 1 bit per pixel, MSB first, 0 = white run. */
typedef struct in_g4 in_g4;
in_g4 *in_g4_begin(pdf_writer *w, uint32_t width, uint32_t height, sh_error *err);
SH_NODISCARD sh_status in_g4_row(in_g4 *g, const uint8_t *row, sh_error *err);
SH_NODISCARD sh_status in_g4_end(in_g4 *g, sh_error *err);
void in_g4_abort(in_g4 *g);

#endif
