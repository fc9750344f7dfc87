/* pdf — our PDF object layer. Today: the writer of new files, streaming (memory does not grow
 * with the page count or the image sizes), deterministic (the same calls give the same bytes),
 * published atomically. To come: the reader and the incremental-update writer that `sign` needs.
 *
 * Use: reserve object numbers, write each object once (in any order), then finish with the
 * catalog and the information dictionary. Errors are sticky, like the JSON writer's: the first
 * failure (a write error, misuse, invalid UTF-8) is kept, everything after it is ignored, and
 * pdf_writer_finish reports it and leaves no file.
 */
#ifndef SOHOA_PDF_H
#define SOHOA_PDF_H

#include <stdint.h>

#include "core/core.h"

typedef struct pdf_writer pdf_writer;

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
sh_status pdf_writer_finish(pdf_writer *w, int root, int info, uint8_t sha256[SH_SHA256_LEN],
                          sh_error *err);
/* Drop the file being written. NULL is accepted. */
void pdf_writer_abort(pdf_writer *w);

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
sh_status pdf_doc_open(const char *path, pdf_doc **doc, pdf_doc_problem *problem, sh_error *err);
int pdf_doc_pages(const pdf_doc *doc);
/* The version the file declares: 1.4 → major 1, minor 4. */
void pdf_doc_version(const pdf_doc *doc, int *major, int *minor);
void pdf_doc_close(pdf_doc *doc);

#endif
