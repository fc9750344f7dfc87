/* pdf — our PDF object layer: the writer of new files, streaming (memory does not grow with the
 * page count or the image sizes), deterministic (the same calls give the same bytes), published
 * atomically; the same writer in update mode, appending an incremental update to an existing
 * file (update.c adds a form field to one); a bounded reader of the structure and page images of
 * any PDF (reader*.c), of its signatures (signatures.c); and Poppler to render (poppler.c).
 *
 * Use: reserve object numbers, write each object once (in any order), then finish with the
 * catalog and the information dictionary. Errors are sticky, like the JSON writer's: the first
 * failure (a write error, misuse, invalid UTF-8) is kept, everything after it is ignored, and
 * pdf_writer_finish reports it and leaves no file.
 */
#ifndef SOHOA_PDF_H
#define SOHOA_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

typedef struct pdf_writer pdf_writer;

#define PDF_MAX_OBJECTS 8000000 /* object numbers a file may use: far beyond any dossier */

/* A new PDF 1.<minor> (4..7) at path, written to a temp file beside it. With no_replace, an
 * existing file at path is never replaced (SH_USAGE at finish, or here when it exists). */
pdf_writer *pdf_writer_new(const char *path, int minor, bool no_replace, sh_error *err);

/* Reserve the next object number (1, 2, …). */
int pdf_object_reserve(pdf_writer *w);
/* "N 0 obj" … "endobj": between them, write the object with the calls below. */
void pdf_object_begin(pdf_writer *w, int num);
void pdf_object_end(pdf_writer *w);

/* PDF syntax that we compose ourselves: dictionaries, names, numbers, references. */
void pdf_printf(pdf_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A text string (Info /Title…): UTF-8 in, UTF-16BE with a byte-order mark out, as hex. */
void pdf_text_string(pdf_writer *w, const char *utf8);
/* A date string (D:YYYYMMDDHHmmSSZ) of a UTC time. */
void pdf_date(pdf_writer *w, int64_t unix_time);
/* A real number as PDF wants it: no exponent, at most 4 decimals, no trailing zeros. */
void pdf_real(pdf_writer *w, double v);

#define PDF_LENGTH_LATER ((uint64_t)-1)

/* A stream object: "N 0 obj << DICT /Length L >> stream". dict is the dictionary's content
 * without << >> and without /Length. With PDF_LENGTH_LATER the length is counted and written as
 * an indirect object at the end. Stream bytes follow with pdf_write. */
void pdf_stream_begin(pdf_writer *w, int num, const char *dict, uint64_t length);
void pdf_write(pdf_writer *w, const void *data, size_t len);
void pdf_stream_end(pdf_writer *w);

/* Write the cross-reference table and the trailer (/Root, /Info, /ID from a SHA-256 of the
 * body), flush and publish the file. Every reserved object must have been written. When sha256
 * is not NULL it receives the SHA-256 of the whole file, computed as it was written (no second
 * read). Frees w. */
SH_NODISCARD sh_status pdf_writer_finish(pdf_writer *w, int root, int info,
                                         uint8_t sha256[SH_SHA256_LEN], sh_error *err);
/* Drop the file being written. NULL is accepted. */
void pdf_writer_abort(pdf_writer *w);
/* Make pdf_writer_finish and pdf_writer_publish seal the file (on disk, still hidden) and hand
 * it over in *out instead of putting it in place: the caller records it in the ledger and then
 * publishes it (sh_publish_intend, sh_publish_finish in core.h). *out stays NULL on failure. */
void pdf_writer_hand_over(pdf_writer *w, sh_atomic_file **out);

/* ---- update mode: an incremental update appended to a copy of an existing PDF ----
 * The original's bytes are copied unchanged (and hashed on the way), new objects get numbers
 * from base->size on, changed objects are written again under their own number, and
 * pdf_writer_close appends a cross-reference section in the original's style (a table, or a
 * stream for a file whose newest section is one) whose /Prev is the original's startxref. Then,
 * before publishing, bytes written after the mark can be patched (a signature's placeholder). */

typedef struct {
    uint64_t startxref; /* the original's newest cross-reference section: the update's /Prev */
    uint64_t header;    /* bytes before the original's "%PDF-": left out of the copy, so that the
                           offsets the file gives (which count from there) are positions again */
    bool xref_stream;   /* that section is a cross-reference stream */
    int size;           /* the first object number that is free for new objects */
    int root, root_gen; /* the trailer's /Root */
    int info, info_gen; /* its /Info (info 0: none) */
    char id0[129];      /* the first string of its /ID in hex ("" none: a new one is made) */
} pdf_update_base;

/* A copy of `original` at path (a temp file beside it; never replaces an existing path: SH_USAGE)
 * ready to take the update's objects: its bytes from its "%PDF-" on (base->header). SH_INPUT
 * naming original when it cannot be read. */
pdf_writer *pdf_writer_update(const char *path, const char *original, const pdf_update_base *base,
                              sh_error *err);
/* The SHA-256 of the original's bytes as they were read: all of them, those before its header
 * too (the file that was validated). */
void pdf_writer_original_sha256(const pdf_writer *w, uint8_t sha256[SH_SHA256_LEN]);
/* Begin a new version of existing object num (its generation gen); end with pdf_object_end. */
void pdf_object_replace(pdf_writer *w, int num, int gen);
/* Bytes written so far: the offset of what is written next. */
uint64_t pdf_writer_tell(const pdf_writer *w);
/* Remember the hash of every byte written up to here: digests of what follows need not read
 * the (large) original again. */
void pdf_writer_mark(pdf_writer *w);
/* Update mode: append the cross-reference section and the trailer and flush, without
 * publishing. */
SH_NODISCARD sh_status pdf_writer_close(pdf_writer *w, sh_error *err);
/* After close: overwrite len bytes at offset (at or after the mark, within the file). */
SH_NODISCARD sh_status pdf_writer_patch(pdf_writer *w, uint64_t offset, const void *data,
                                        size_t len, sh_error *err);
/* After close: SHA-256 of the file without the bytes [skip_from, skip_to) (mark <= skip_from <=
 * skip_to <= size; skip_from == skip_to: the whole file). */
SH_NODISCARD sh_status pdf_writer_digest(pdf_writer *w, uint64_t skip_from, uint64_t skip_to,
                                         uint8_t sha256[SH_SHA256_LEN], sh_error *err);
/* After close: publish the file atomically. Frees w. */
SH_NODISCARD sh_status pdf_writer_publish(pdf_writer *w, sh_error *err);

/* ---- reading, through Poppler (loaded on first use) ----
 * Enough to tell whether a PDF opens and what it holds; rendering comes with validate. */

typedef struct pdf_doc pdf_doc;
typedef enum {
    PDF_DOC_OK,
    PDF_DOC_DAMAGED,   /* not a PDF, or one Poppler cannot read */
    PDF_DOC_ENCRYPTED, /* needs a password */
} pdf_doc_problem;

/* Open path. On failure *doc is NULL, *problem says why (when not NULL) and err has a message
 * naming the file and what to do: SH_INPUT, or SH_INTERNAL when Poppler itself is missing. */
SH_NODISCARD sh_status pdf_doc_open(const char *path, pdf_doc **doc, pdf_doc_problem *problem,
                                    sh_error *err);
int pdf_doc_pages(const pdf_doc *doc);
/* The version the file declares: 1.4 → major 1, minor 4. */
void pdf_doc_version(const pdf_doc *doc, int *major, int *minor);
void pdf_doc_close(pdf_doc *doc);

/* Render page `index` (0-based) as Poppler shows it (its /Rotate applied) into 8-bit grey, 0
 * black, at `ppi`, reduced further so that neither side exceeds max_px (*ppi_out: the
 * resolution used). *px is g_malloc'ed, rows `*w` bytes apart. Slow (cairo): for pages that
 * are not a single scanned image. Not thread-safe on one document. */
SH_NODISCARD sh_status pdf_doc_render_grey(pdf_doc *doc, int index, double ppi, uint32_t max_px,
                                           uint8_t **px, uint32_t *w, uint32_t *h, double *ppi_out,
                                           sh_error *err);

/* ---- the page images of a PDF, read without Poppler (reader.c) ----
 * What validate needs from a scanned page, read with bounded time and memory from any file (a
 * damaged or hostile one included): the page's size and rotation, the images its content draws,
 * with their pixel size, where they are placed, and their data. Not a renderer: text and vector
 * drawing are only noticed, not interpreted. A file whose cross-reference table is damaged is
 * read by scanning it for objects, as viewers do. Not thread-safe: one reader per thread. */

typedef struct pdf_reader pdf_reader;

/* The image codec a decoder has to handle: the last filter of the image's filter chain. Every
 * earlier filter (ASCII85 over DCT, …) is undone by the reader's stream. */
typedef enum {
    PDF_CODEC_NONE,  /* the stream gives samples (no filter, or Flate/LZW/RunLength/ASCII…,
                        with PNG and TIFF predictors undone) */
    PDF_CODEC_DCT,   /* JPEG bytes */
    PDF_CODEC_CCITT, /* CCITT G3/G4 bytes; see the ccitt_* fields */
    PDF_CODEC_JBIG2, /* embedded JBIG2 stream; globals with pdf_reader_jbig2_globals */
    PDF_CODEC_JPX,   /* JPEG 2000 */
    PDF_CODEC_OTHER, /* a filter we do not read (Crypt, an unknown name) */
} pdf_codec;

typedef enum {
    PDF_CS_GRAY,    /* DeviceGray, CalGray, ICCBased with N 1 */
    PDF_CS_RGB,     /* DeviceRGB, CalRGB, ICCBased with N 3 */
    PDF_CS_CMYK,    /* DeviceCMYK, ICCBased with N 4 */
    PDF_CS_INDEXED, /* palette of `components`-byte entries over a base space above */
    PDF_CS_OTHER,   /* Lab, Separation, DeviceN, Pattern …: components as the space says */
} pdf_colour_space;

typedef struct {
    uint32_t width, height; /* /Width /Height, both >= 1 */
    int bpc;                /* /BitsPerComponent: 1, 2, 4, 8 or 16 (1 for masks and JBIG2) */
    bool image_mask;        /* /ImageMask true: 1-bit stencil, 0 paints (unless decode_inverted) */
    pdf_colour_space cs;
    int components;           /* samples per pixel in the stream: 1, 3, 4 (1 for Indexed) */
    int base_components;      /* Indexed: bytes per palette entry (1, 3 or 4); else 0 */
    pdf_colour_space base_cs; /* Indexed: the base space */
    const uint8_t *palette;   /* Indexed: palette_entries × base_components bytes, owned by
                                 the reader, valid until pdf_reader_close */
    int palette_entries;      /* hival + 1 */
    bool decode_inverted;     /* /Decode [1 0] (each component inverted) */
    bool has_smask;           /* /SMask or /Mask: transparency we ignore */
    pdf_codec codec;
    /* PDF_CODEC_CCITT: /DecodeParms as PDF defines them (defaults filled in). */
    int ccitt_k;       /* <0 G4, 0 G3 1-D, >0 G3 2-D */
    int ccitt_columns; /* default 1728; the decoder uses width when they differ */
    int ccitt_rows;    /* 0 when not given */
    bool ccitt_black_is_1;
    bool ccitt_byte_align;
    bool ccitt_end_of_block; /* default true */
    /* Where it lands: the image's unit square → default user space (points, before /Rotate),
     * [a b c d e f] as in the `cm` operator, from the content stream's transforms. */
    double ctm[6];
    /* Internal: the stream object. */
    int object;
} pdf_image;

#define PDF_PAGE_IMAGES_MAX 64 /* images listed per page; more are counted, not listed */

typedef struct {
    double box[4]; /* the visible area: CropBox within MediaBox, in points (x0 y0 x1 y1) */
    int rotate;    /* /Rotate normalised to 0, 90, 180 or 270 (inherited) */
    pdf_image images[PDF_PAGE_IMAGES_MAX];
    int n_images;       /* listed */
    int images_drawn;   /* drawn in all, through forms included */
    bool draws_text;    /* visible text (Tj, TJ … in a rendering mode other than 3, invisible) */
    bool draws_vectors; /* paths filled or stroked */
    bool content_ok;    /* false: the content could not be read in full (a damaged stream, an
                           unknown filter, a limit): what is listed may be incomplete */
} pdf_page_info;

/* Open path (sh_open_regular: no pipes, no devices) and read its structure: cross-reference
 * (tables, streams, hybrids; reconstructed when damaged), trailer, the page tree. SH_INPUT with
 * a message naming the file when it is not a PDF we can read (encrypted files included: this
 * reader does not decrypt). */
SH_NODISCARD sh_status pdf_reader_open(const char *path, pdf_reader **out, sh_error *err);
int pdf_reader_pages(const pdf_reader *r);
/* Where the file's "%PDF-" is: 0, unless bytes come before it. The offsets of its
 * cross-reference count from there, as readers take them (a signature's /ByteRange does not: it
 * is the file's bytes that are signed). */
uint64_t pdf_reader_header(const pdf_reader *r);
/* Page `index` (0-based): boxes, rotation, and what its content stream draws. */
SH_NODISCARD sh_status pdf_reader_page(pdf_reader *r, int index, pdf_page_info *info,
                                       sh_error *err);
void pdf_reader_close(pdf_reader *r);
/* Page `index`'s visible area and rotation (as pdf_reader_page gives them) without reading its
 * content; its object number and generation when num/gen are not NULL. */
SH_NODISCARD sh_status pdf_reader_page_geometry(pdf_reader *r, int index, double box[4],
                                                int *rotate, int *num, int *gen, sh_error *err);

/* An image's data, streamed: every filter undone except the codec. Reads at most `limit`
 * decoded bytes in all (0: no limit other than the reader's own); past it, or on damaged data,
 * pdf_stream_read returns -1 with err set. */
typedef struct pdf_stream pdf_stream;
SH_NODISCARD sh_status pdf_image_open(pdf_reader *r, const pdf_image *img, uint64_t limit,
                                      pdf_stream **out, sh_error *err);
/* Up to n bytes into buf: the count, 0 at the end, -1 on error. */
SH_NODISCARD ptrdiff_t pdf_stream_read(pdf_stream *s, void *buf, size_t n, sh_error *err);
void pdf_stream_close(pdf_stream *s);
/* A JBIG2 image's /JBIG2Globals, decoded, g_malloc'ed; *data NULL and *len 0 when it has none. */
SH_NODISCARD sh_status pdf_reader_jbig2_globals(pdf_reader *r, const pdf_image *img, uint8_t **data,
                                                size_t *len, sh_error *err);

/* ---- harmful content (active.c) ---- */

/* Whether the PDF at path holds content that acts on its own or carries other files
 * (docs/package.md, "Harmful content"): JavaScript, launch actions, embedded files (and file
 * attachment annotations), XFA forms, rich media, go-tos into embedded files, data import and
 * form submission actions, and an /OpenAction or /AA action other than a plain go-to. Every
 * object of the file is read (every revision, object streams included), not just those the
 * document refers to. *found is NULL when there is none, else what was found, translated, e.g.
 * "JavaScript (object 12), an embedded file (object 30)" (g_free). SH_INPUT naming the file
 * when it cannot be read in full (damaged, encrypted, or past the reader's limits): such a
 * file could not be checked and must not be taken as clean. Each call reads the file with a
 * reader of its own: calls may run in parallel. */
SH_NODISCARD sh_status pdf_active_content(const char *path, char **found, sh_error *err);

/* ---- updating a file's structure (update.c) ---- */

/* What an update of r's file continues from. SH_INPUT naming the file when its cross-reference
 * had to be rebuilt (an update must point back to a sound one). */
SH_NODISCARD sh_status pdf_reader_update_base(pdf_reader *r, pdf_update_base *base, sh_error *err);
/* A field name (/T) that no field of the document has: stem1, stem2, … (out: n bytes). */
void pdf_reader_new_field_name(pdf_reader *r, const char *stem, char *out, size_t n);
/* Hook object `field` (a widget annotation that is its own field, written by the caller into
 * w) into the document: page `page_index`'s /Annots and the AcroForm's /Fields get a reference
 * to it, and /SigFlags 3. Writes new versions of exactly the objects that hold those (the page
 * or its indirect /Annots array; the catalog, its indirect /AcroForm, or its /Fields array);
 * every other key of theirs is kept as it was. */
SH_NODISCARD sh_status pdf_update_add_field(pdf_reader *r, pdf_writer *w, int page_index, int field,
                                            sh_error *err);

/* ---- the signatures of a file (signatures.c) ---- */

typedef struct {
    char *field;             /* the field's full name (/T of it and its parents), UTF-8 */
    int object;              /* the signature dictionary's object number; 0 when direct */
    bool in_file;            /* it is a plain object of the file (not compressed in an object
                                stream, not direct), so the place of its /Contents is known */
    bool duplicate_keys;     /* /Contents or /ByteRange appears twice in it */
    int64_t byte_range[8];   /* /ByteRange as written (direct integers only) */
    int n_byte_range;        /* how many; -1 when not an array of direct integers */
    bool contents_hex;       /* /Contents is a hex string */
    uint64_t contents_start; /* the file offsets of its "<" and after its ">" (in_file only) */
    uint64_t contents_end;
    uint8_t *contents; /* its decoded bytes (g_free); NULL when absent or not a string */
    size_t contents_len;
    char *filter, *subfilter; /* names, NULL when absent */
    char *m;                  /* /M, the signing time as written, NULL when absent */
    char *name;               /* /Name, the signer as written (UTF-8), NULL when absent */
    bool certifies;           /* the catalog's /Perms /DocMDP: the author's certification */
    int mdp;                  /* the changes it allows to the document once signed (its DocMDP
                                 transform, or a PDF 2.0 lock): 1 none, 2 filling in forms and
                                 signing, 3 also annotations; 0 it restricts nothing */
} pdf_signature;

/* Every signature field with a value (/FT /Sig, /V) reachable from the AcroForm's /Fields
 * (bounded depth and count). *sigs is g_malloc'ed (free with pdf_signatures_free). All or
 * nothing: a read error, or a limit that leaves fields unread, is SH_INPUT naming the file
 * (with *sigs NULL, *n 0), since a signature left out could be the one that does not hold. */
SH_NODISCARD sh_status pdf_reader_signatures(pdf_reader *r, pdf_signature **sigs, int *n,
                                             sh_error *err);
void pdf_signatures_free(pdf_signature *sigs, int n);
/* What may still be changed in the document, given its signatures sigs (from
 * pdf_reader_signatures): the strictest /P in force (PDF 32000-1 12.8.2.2): 1 nothing, 2 filling
 * in forms and signing, 3 those and annotations; 0 when nothing restricts changes. *which is
 * the index in sigs of the signature that sets it, -1 when it is a certification (the
 * catalog's /Perms /DocMDP) that no field holds. */
int pdf_reader_permissions(pdf_reader *r, const pdf_signature *sigs, int n, int *which);
/* The offsets just past each "%%EOF" marker of the file (end of a revision), in file order,
 * at most max; the count. */
int pdf_reader_revisions(pdf_reader *r, uint64_t *ends, int max);

#endif
