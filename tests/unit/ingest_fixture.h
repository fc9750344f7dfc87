/* Shared by the test_ingest_*.c tests: scanner-file fixtures (pictures drawn, TIFF written with
 * libtiff, PNG with libpng), the external judges (pdfimages, pdfinfo, qpdf: required, a missing one
 * fails the test), and a workspace to ingest into with the warnings that come out. */
#ifndef SOHOA_INGEST_FIXTURE_H
#define SOHOA_INGEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <png.h>
#include <tiffio.h>

#include "ingest/ingest.h"
#include "source_impl.h"

#define FIXED_TIME 1795000000 /* 2026-11-18: the same bytes every run */
#define ORG "93.000.036.001.015"
#define CCCD "001090012345"
#define PERSON "Nguyễn Văn An"
#define FOLDER ORG "/" CCCD "_NguyenVanAn"
#define LYLICH "02.Ly lich dang vien"
#define BW 117 /* a bilevel page: not a multiple of 8, rows end inside a byte */
#define BH 61
#define PPM_300 11811 /* pixels per metre: 299.9994 ppi */

/* ---------------------------------------------------------------------------------------------
 * Small helpers: files, external tools.
 */

/* Run a shell command that must exit 0; its stdout (g_free). */
char *run_ok(const char *cmd);

/* A whole file's bytes (g_free); the test fails when it cannot be read. */
uint8_t *slurp(const char *path, size_t *len);

/* Write a file, failing the test on error. */
void put(const char *path, const void *data, size_t len);

/* Whether needle (n bytes) occurs in d; a file holds the text; two files are the same bytes. */
bool has_bytes(const uint8_t *d, size_t len, const void *needle, size_t n);
bool file_has(const char *path, const char *needle);
void assert_file_has(const char *path, const char *needle);
void assert_files_equal(const char *a, const char *b);

/* A file's SHA-256 in hex (g_free); whether a path exists. */
char *sha256_of(const char *path);
bool exists(const char *path);

/* pdfinfo's report (of the first page unless told). */
char *pdfinfo(const char *pdf, const char *opts);

/* qpdf --check finds nothing wrong. */
void qpdf_clean(const char *pdf);

/* One row of pdfimages -list. */
typedef struct {
    int page;
    char type[16];
    unsigned width, height;
    char color[16];
    int comp, bpc;
    char enc[16];
    int object;
} img_row;

int pdf_images(const char *pdf, img_row *rows, int max);

/* pdfimages with an option (-png, -ccitt, -j) into dir/x-NNN.ext; returns dir/x (g_free). */
char *extract(const char *pdf, const char *opt, const char *dir);

char *extracted(const char *prefix, int i, const char *ext);

/* The decoded (filtered) data of a stream object, by qpdf, through a file in dir. */
uint8_t *stream_data(const char *pdf, int object, const char *dir, size_t *len);

/* ---------------------------------------------------------------------------------------------
 * Pictures: what the fixtures draw, and what comes back out of a PDF.
 */

typedef struct {
    uint32_t w, h;
    int channels; /* 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA */
    int depth;    /* 8 or 16 (samples big-endian, as in PNG and PDF) */
    uint8_t *px;
} pic;

size_t pic_rowbytes(const pic *p);

pic pic_new(uint32_t w, uint32_t h, int channels, int depth);

void pic_free(pic *p);

void pic_set(pic *p, uint32_t x, uint32_t y, int c, unsigned v);

unsigned pic_get(const pic *p, uint32_t x, uint32_t y, int c);

/* Fail unless got is want, naming the first pixel that differs. */
void pic_assert_equal(const pic *got, const pic *want, const char *what);

/* The first image of the PDF's page, as pdfimages -png decodes it (the /Decode array and
 * /BlackIs1 applied: what a reader shows). i: the image's index in pdfimages' list. */
pic extracted_image(const char *pdf, int i, const char *dir);

/* The bilevel page as a reader shows it: ink black (0), paper white (255). */
pic bilevel_pic(uint32_t w, uint32_t h);

/* The bilevel page as stored: 1 bit a pixel, MSB first, ink as 1 (MinIsWhite) or 0. */
uint8_t *bilevel_rows(uint32_t w, uint32_t h, bool ink_is_1);

/* Grey: a gradient left to right, striped every 3 rows. */
unsigned grey_at(uint32_t x, uint32_t y, uint32_t w);

pic grey_pic(uint32_t w, uint32_t h);

unsigned grey16_at(uint32_t x, uint32_t y, uint32_t w);

pic grey16_pic(uint32_t w, uint32_t h);

unsigned rgb_at(uint32_t x, uint32_t y, uint32_t w, uint32_t h, int c);

pic rgb_pic(uint32_t w, uint32_t h);

/* Palette images: index and colour of each pixel. */
unsigned index_at(uint32_t x, uint32_t y, unsigned colours);

unsigned palette_colour(unsigned i, int c);

pic palette_pic(uint32_t w, uint32_t h, unsigned colours);

/* ---------------------------------------------------------------------------------------------
 * TIFF fixtures, written with libtiff, and a hand-made one for what libtiff will not write.
 */

typedef struct {
    uint32_t w, h;
    uint16_t bits, spp, photo, comp;
    uint16_t fill;           /* 0: not written (MSB first) */
    uint32_t rows_per_strip; /* 0: one strip */
    uint16_t orientation;    /* 0: not written */
    float xres, yres;        /* 0: no resolution tags */
    uint16_t unit;           /* RESUNIT_*; 0: not written (inch) */
    const uint16_t *cmap;    /* palette: 3 × 2^bits entries */
    const void *rows;        /* the stored samples row after row (16-bit ones in host order) */
} tiff_spec;

/* Page i of n into an open TIFF. */
void tiff_put_page(TIFF *tif, const tiff_spec *s, int i, int n);

/* mode: "w", or "wb" for a big-endian file */
void write_tiff_mode(const char *path, const tiff_spec *pages, int n, const char *mode);

void write_tiff(const char *path, const tiff_spec *pages, int n);

/* A bilevel page: ink 1 for MinIsWhite, 0 for MinIsBlack; 300 ppi. rows: g_free() it. */
tiff_spec bilevel_spec(uint32_t w, uint32_t h, uint16_t photo, uint16_t comp, uint8_t **rows);

/* Palette indices packed at bits per pixel, MSB first. */
uint8_t *pack_indices(uint32_t w, uint32_t h, int bits, unsigned colours);

/* ---------------------------------------------------------------------------------------------
 * JPEG fixtures: baseline files of 24 × 16 pixels made with Pillow (no APP0), patched by the tests.
 */

#define JW 24
#define JH 16
extern const uint8_t jpeg_grey[202];
extern const uint8_t jpeg_rgb[354];

GByteArray *jpeg_of(const uint8_t *base, size_t len);

/* Insert a marker segment right after SOI. */
void jpeg_insert(GByteArray *j, uint8_t marker, const void *payload, size_t n);

/* JFIF density: units 1 = dots per inch, 2 = per cm, 0 = aspect ratio only. */
void jpeg_jfif(GByteArray *j, int units, unsigned x, unsigned y);

/* ---------------------------------------------------------------------------------------------
 * PNG fixtures, written with libpng.
 */

typedef struct {
    uint32_t w, h;
    int depth, color_type;
    bool interlace;
    const png_color *palette;
    int n_palette;
    const uint8_t *trns; /* palette alpha */
    int n_trns;
    const png_color_16 *trns_colour; /* grey or RGB colour key */
    uint32_t ppm;                    /* pHYs in pixels per metre; 0: none */
    const uint8_t *rows;             /* packed as PNG stores them, 16-bit samples big-endian */
} png_spec;

void write_png(const char *path, const png_spec *s);

unsigned alpha_at(uint32_t x, uint32_t y);

/* ---------------------------------------------------------------------------------------------
 * A workspace to ingest into, its ledger, and the warnings that come out.
 */

typedef struct {
    char *code, *path, *message;
    int page;
    double value;
} seen_warning;

typedef struct {
    char *tmp;  /* scratch: the workspace, the sources and the judges' output, all under it */
    char *root; /* the workspace */
    char *src;  /* where the sources are made */
    sh_ledger *ledger;
    nm_rules rules;
    sh_actor actor;
    in_context ctx;
    GArray *warnings; /* seen_warning */
} fx;

sh_ledger *make_workspace(const char *root);

void fx_context(fx *f, const char *root, sh_ledger *ledger, in_context *ctx);

int fx_setup(void **state);

void warnings_clear(fx *f);

int fx_teardown(void **state);

char *src_file(fx *f, const char *name);

in_document doc_for(char **sources, size_t n);

sh_status ingest(fx *f, const in_document *d, in_result *r, sh_error *err);

void ingest_ok(fx *f, const in_document *d, in_result *r);

/* Ingest one file as the next Lý lịch đảng viên of the dossier; the PDF's path (g_free). */
char *ingest_file(fx *f, const char *path);

/* Ingesting these sources fails with status, a message holding needle, and writes nothing. */
void ingest_refused(fx *f, char **sources, size_t n, sh_status status, const char *needle);

in_source *open_ok(const char *path);

/* in_source_open refuses path with SH_INPUT, a message naming the file and holding needle. */
void open_refused(const char *path, const in_limits *lim, const char *needle);

/* The number after a label in pdfinfo's report ("Page rot:"). */
double info_number(const char *report, const char *label);

/* The decoded samples of an image object (qpdf) are want's, byte for byte. */
void assert_stream_samples(fx *f, const char *pdf, int object, const pic *want, const char *what);

/* The JPEG bytes j written as a source file; its path (g_free). */
char *jpeg_file(fx *f, const char *name, const GByteArray *j);

/* A test run with a fresh workspace (fx) as its state. */
#define FX(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

#endif
