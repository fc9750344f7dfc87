/* ingest — scanner output (TIFF, JPEG, PNG, scanner PDFs) to one lossless PDF per document,
 * named and placed by the scheme of Công văn 1361 (the naming module supplies every part).
 *
 * Lossless means: compressed scanner data is copied into the PDF as it is wherever the PDF
 * format can carry it (CCITT G4, JPEG, PNG's zlib data); everything else is decoded and
 * re-encoded without loss (bilevel pages to G4, the rest to Flate). Memory stays bounded by
 * the configured limits whatever the page count or the file sizes.
 */
#ifndef SOHOA_INGEST_H
#define SOHOA_INGEST_H

#include <stdint.h>

#include "core/core.h"
#include "naming/naming.h"

/* ---- page images ---- */

typedef enum { IN_KIND_UNKNOWN, IN_KIND_TIFF, IN_KIND_JPEG, IN_KIND_PNG, IN_KIND_PDF } in_kind;

/* What the file's first bytes say it is (the extension is not trusted). */
in_kind in_sniff(const uint8_t *head, size_t len);
/* What the file's extension says it is (.tif/.tiff, .jpg/.jpeg/.jpe, .png, .pdf; any case). */
in_kind in_kind_of_name(const char *path);
/* "TIFF", "JPEG", "PNG", "PDF". */
const char *in_kind_name(in_kind k);

/* Bounds on what one page may be; a larger page is refused before any pixel is read. */
typedef struct {
    uint32_t max_dimension; /* pixels, either side */
    uint64_t max_pixels;    /* width × height */
} in_limits;
/* [ingest] of sohoa.ini, ingest's own section (config.c). */
typedef struct {
    int max_dimension;  /* pixels, either side of a page image */
    int max_megapixels; /* width × height, in millions */
} in_config;
/* The table of [ingest]: a program that reads it lists this section (sh_config_use_sections). */
extern const sh_config_section in_config_section;
/* The [ingest] values of cfg; NULL when the program does not list in_config_section. */
const in_config *in_config_get(const sh_config *cfg);

/* The limits of a configuration's [ingest] section (the defaults when it has none). */
void in_limits_from_config(in_limits *l, const sh_config *cfg);
/* Those of the default configuration (40,000 pixels a side, 600 million pixels: A0 at 600 ppi
 * fits, 35000 × 35000 does not); docs/configuration.md. */
void in_limits_default(in_limits *l);

/* ---- one document ---- */

typedef struct {
    const char *org_code;    /* 93.000.036.001.015 */
    const char *cccd;        /* 12 digits */
    const char *person_name; /* "Nguyễn Văn A", UTF-8 */
    int type_stt;            /* 1..104 */
    int seq;                 /* SoThuTu; 0: not given (see in_ingest_document) */
    bool more_expected;      /* several documents of this type come in this run */
    int dpi;                 /* resolution for images that carry none; 0: none */
    int expected_pages;      /* 0: not given */
    char *const *sources;    /* files and folders, pages in this order */
    size_t n_sources;
    /* A rescan (--replace --reason): NULL for an ordinary ingest; otherwise why the document
     * already there is replaced by this one (docs/ingest.md, "Rescans"). */
    const char *replace_reason;
} in_document;

/* Where and how documents are written, shared by every document of a run. */
typedef struct {
    const char *root;      /* workspace root (absolute) */
    const nm_rules *rules; /* naming rules of the workspace */
    in_limits limits;
    int min_dpi;           /* below it a page is ingested with a warning */
    int64_t creation_time; /* Unix time written as CreationDate (SOURCE_DATE_EPOCH) */
    sh_ledger *ledger;     /* where the document and its sources are recorded */
    const sh_actor *actor; /* who ingests, for the audit entry */
    sh_finding_sink warn;  /* warnings (low resolution); may be NULL */
    void *warn_ctx;
} in_context;

typedef struct {
    char *path;     /* the PDF written (absolute); free() it with in_result_clear */
    char *rel_path; /* the same under the workspace root: ORG/CCCD_Name/NN.Name.pdf */
    int seq;        /* the SoThuTu used; 0 for none */
    int pages;
    uint64_t bytes;
    char sha256[SH_SHA256_HEX_LEN + 1];
    bool copied_pdf;   /* a scanner PDF copied as it is */
    bool already_done; /* made from the same source files before: nothing was written */
    /* A rescan: the replaced file as kept under .sohoa/superseded (relative to the root), its
     * SHA-256, and its signed copy's place there when it had one; NULL/empty otherwise. */
    char *kept_as;
    char *signed_kept_as;
    char replaced_sha256[SH_SHA256_HEX_LEN + 1];
} in_result;
void in_result_clear(in_result *r);

/* Write one document: check every source (nothing is written when one is bad: SH_INPUT naming
 * the file and the reason), then the PDF, atomically, then record it with its sources in the
 * ledger with a "document.ingest" audit entry.
 *
 * A re-run: when the ledger records a document of this dossier and type (and Seq, when given)
 * made from the same source files (the same SHA-256s in the same order) and that file is still
 * there as recorded, nothing is written and out->already_done is set (SH_OK).
 *
 * Seq: when doc->seq is given it is used, and a file already there is never replaced (SH_USAGE,
 * saying how to go on) unless doc->replace_reason is set. When it is not: the next free Seq if
 * the dossier already has this type with a Seq, or when doc->more_expected; no Seq if the type is
 * new to the dossier; otherwise SH_USAGE, saying how to go on.
 *
 * A rescan (doc->replace_reason): the document of this type (and Seq) must exist; it is
 * superseded: the old file and its signed copy are moved under .sohoa/superseded/, never
 * deleted, and the ledger and the audit chain record what replaced what and why, in the same
 * transaction as the new document (docs/ingest.md, "Rescans"). */
SH_NODISCARD sh_status in_ingest_document(const in_document *doc, const in_context *ctx,
                                          in_result *out, sh_error *err);

/* The page files of a folder in natural order (2.tif before 10.tif). Hidden entries (.DS_Store,
 * AppleDouble ._NAME), Thumbs.db, ehthumbs.db and desktop.ini are skipped with a note (sh_info);
 * any other entry that is not a TIFF, JPEG, PNG or PDF file (2.bmp, notes.txt, a folder) is
 * SH_INPUT naming it: a page is never left out silently. *paths is freed with g_strfreev. */
SH_NODISCARD sh_status in_list_folder(const char *dir, char ***paths, size_t *n, sh_error *err);

/* ---- batch sheets (docs/ingest.md: columns) ---- */

#define IN_MANIFEST_MAX_BYTES (16u << 20)
#define IN_MANIFEST_MAX_ROWS 100000
#define IN_MANIFEST_MAX_SOURCES 10000

typedef struct {
    int row;        /* 1-based line of the sheet where the row starts (header = 1) */
    char *org_code; /* as written, trimmed */
    char *cccd;
    char *person_name;
    int type_stt;       /* 0 when the cell is not a number 1..104 */
    int seq;            /* 0 when empty */
    int expected_pages; /* 0 when empty */
    int dpi;            /* 0 when empty */
    char **sources;     /* the "files" cell split on ';' and '|', trimmed, empty ones dropped */
    size_t n_sources;
    char *replace_reason; /* the replace_reason cell: NULL when empty (not a rescan) */
    char *problem;        /* NULL, or why this row cannot be ingested (translated) */
} in_manifest_row;

/* Parse a batch sheet (CSV, comma or semicolon separated as Excel writes it in a Vietnamese
 * locale, UTF-8 with or without a BOM, quoted fields with "" escapes and line breaks). The
 * first line names the columns (docs/ingest.md; English or Vietnamese headings, any order). A row
 * with a problem is returned with `problem` set, so the caller reports it with its row number
 * and goes on. SH_INPUT when the sheet as a whole cannot be read (not UTF-8, no header, a
 * required column missing, over the bounds above). Relative source paths are kept as written. */
SH_NODISCARD sh_status in_manifest_parse(const char *text, size_t len, const char *name,
                                         in_manifest_row **rows, size_t *n_rows, sh_error *err);
void in_manifest_free(in_manifest_row *rows, size_t n_rows);

/* ---- re-runs and corrections (supersede.c, corrections.c) ---- */

/* Undo the rescans a killed run left before recording them (docs/ingest.md, "Rescans"): the
 * files they had moved under .sohoa/superseded go back to their places and the intents are
 * dropped; those of a live process are left alone. Commands that ingest call it first. *undone
 * counts the rescans undone (NULL accepted). */
SH_NODISCARD sh_status in_supersede_recover(sh_ledger *l, const char *root, int *undone,
                                            sh_error *err);

/* What in_set_expected_pages changed. */
typedef struct {
    char *rel_path;   /* the document, relative to the workspace root */
    int old_expected; /* 0: none was recorded */
    int new_expected;
    int pages; /* the document's page count as recorded */
    int64_t audit_id;
} in_expected_change;
void in_expected_change_clear(in_expected_change *c);

/* Correct the page count a document is expected to have (documents.expected_pages, which
 * validate's doc.page_count compares with): one transaction updates the row and appends a
 * "document.expected_pages" audit entry with the old value, the new one and the reason. path is
 * the document's file (absolute or relative to the current folder) inside root; a file the
 * ledger does not record is SH_USAGE saying so. */
SH_NODISCARD sh_status in_set_expected_pages(sh_ledger *l, const char *root, const sh_actor *actor,
                                             const char *path, int expected, const char *reason,
                                             in_expected_change *out, sh_error *err);

#endif
