/* reader_impl.h — private to pdf/reader*.c: the object model, the lexer and parser, the
 * cross-reference, the stream decoders and the content scanner of the bounded PDF reader.
 *
 * Memory: objects parsed from the file live in an arena that is emptied at the start of every
 * public call (a page, an image), so nothing handed to the caller points into it; the file is
 * read through a small block cache, never whole. Every count, size and depth has a cap below. */
#ifndef SOHOA_PDF_READER_IMPL_H
#define SOHOA_PDF_READER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "pdf/pdf.h"

/* ---- limits: a hostile file meets one of these, never the end of memory or time ---- */
#define RD_MAX_DEPTH 48                  /* nesting of arrays and dictionaries */
#define RD_MAX_ITEMS 1000000             /* elements of one array or dictionary */
#define RD_MAX_STRING (16u << 20)        /* bytes of one string token */
#define RD_MAX_OBJECTS (1 << 23)         /* object numbers: PDF's own 8,388,607 */
#define RD_MAX_XREF_SECTIONS 512         /* /Prev chain */
#define RD_MAX_PAGES 1000000             /* pages of one file */
#define RD_MAX_TREE_DEPTH 64             /* page tree */
#define RD_MAX_CONTENT (64u << 20)       /* decoded bytes of one page's (or form's) content */
#define RD_MAX_PAGE_DECODED (256u << 20) /* decoded content bytes of a page, forms included */
#define RD_MAX_PAGE_OPS 20000000         /* content operators of a page, forms included */
#define RD_MAX_FORM_DEPTH 12             /* forms inside forms */
#define RD_MAX_PAGE_FORMS 4096           /* forms run for a page: each decodes its content */
#define RD_MAX_Q_DEPTH 256               /* q inside q */
#define RD_MAX_FETCH_DEPTH 16            /* objects needed to read an object (/Length, ObjStm) */
#define RD_ARENA_MAX (512u << 20)        /* parsed objects alive at once */
#define RD_MAX_OBJSTM (64u << 20)        /* decoded bytes of an object stream */
#define RD_MAX_SMALL_STREAM (64u << 20)  /* palettes, JBIG2 globals */
#define RD_MAX_FILTERS 8                 /* filters of one stream */
#define RD_MAX_ROW (64u << 20)           /* bytes of one predictor row */

/* ---- arena ---- */
typedef struct pdf_rd_chunk pdf_rd_chunk;
typedef struct {
    pdf_rd_chunk *head;
    size_t total;
} pdf_rd_arena;

void *pdf_rd_alloc(pdf_rd_arena *a, size_t n); /* zeroed; NULL past RD_ARENA_MAX */
void pdf_rd_arena_reset(pdf_rd_arena *a);      /* free everything */
void pdf_rd_arena_rewind(pdf_rd_arena *a);     /* empty, keeping one chunk */

/* ---- the file, read through a block cache with pread ---- */
#define RD_BLOCK_SIZE 65536
#define RD_BLOCKS 8
typedef struct {
    uint64_t start;
    size_t len;
    uint64_t used;
    uint8_t *data;
} pdf_rd_block;

typedef struct {
    int fd;
    uint64_t size;
    pdf_rd_block blocks[RD_BLOCKS];
    uint64_t tick;
    int error; /* errno of a failed read, 0 */
} pdf_rd_file;

/* Copy up to n bytes at pos; fewer at the end of the file or on a read error. */
SH_NODISCARD size_t pdf_rd_file_read(pdf_rd_file *f, uint64_t pos, void *buf, size_t n);
/* pread straight to buf, retried on EINTR and short reads; for the big image data. */
SH_NODISCARD size_t pdf_rd_file_pread(pdf_rd_file *f, uint64_t pos, void *buf, size_t n);

/* ---- objects ---- */
typedef enum {
    RO_NULL,
    RO_BOOL,
    RO_INT,
    RO_REAL,
    RO_NAME,
    RO_STRING,
    RO_ARRAY,
    RO_DICT,
    RO_REF,
    RO_STREAM,
    RO_KEYWORD, /* content operators (and stray words) */
} ro_type;

typedef struct robj robj;
typedef struct {
    const char *key;
    robj *val;
} pdf_rd_item;

struct robj {
    ro_type type;
    union {
        bool b;
        int64_t i;
        double r;
        struct {
            const char *s; /* NUL-terminated too (names never hold NUL) */
            size_t len;
        } str;
        struct {
            robj **items;
            int n;
        } arr;
        struct {
            pdf_rd_item *items;
            int n;
        } dict;
        struct {
            int num, gen;
        } ref;
        struct {
            robj *dict;
            uint64_t data; /* file offset of the first data byte */
            int num;
        } stream;
    };
};

extern robj pdf_rd_null;

bool pdf_rd_num(const robj *o, double *v);
bool pdf_rd_int(const robj *o, int64_t *v);
const char *pdf_rd_name(const robj *o); /* NULL unless a name */
bool pdf_rd_is_name(const robj *o, const char *name);
robj *pdf_rd_dict_find(const robj *dict, const char *key); /* a stream's dict too; never NULL */

/* ---- lexer ---- */
typedef enum {
    RT_EOF,
    RT_ERROR,
    RT_INT,
    RT_REAL,
    RT_NAME,
    RT_STRING,
    RT_ARRAY_OPEN,
    RT_ARRAY_CLOSE,
    RT_DICT_OPEN,
    RT_DICT_CLOSE,
    RT_KEYWORD,
} pdf_rd_tok_type;

typedef struct {
    pdf_rd_tok_type type;
    int64_t i;
    double r;
    const uint8_t *s; /* RT_NAME, RT_STRING, RT_KEYWORD: valid until the next token */
    size_t len;
    uint64_t pos; /* where the token starts */
} pdf_rd_token;

typedef struct {
    const uint8_t *mem; /* memory mode when not NULL (mem_len bytes) */
    pdf_rd_file *file;
    uint64_t pos, end;
    uint8_t win[4096]; /* file mode: bytes [win_start, win_start + win_len) */
    uint64_t win_start;
    size_t win_len;
    uint8_t *buf; /* token text */
    size_t buf_len, buf_cap;
} pdf_rd_lex;

void pdf_rd_lex_mem(pdf_rd_lex *lx, const uint8_t *data, size_t len);
void pdf_rd_lex_file(pdf_rd_lex *lx, pdf_rd_file *f, uint64_t pos, uint64_t end);
void pdf_rd_lex_done(pdf_rd_lex *lx);
int pdf_rd_lex_peek(pdf_rd_lex *lx); /* the next byte, -1 at the end */
SH_NODISCARD bool pdf_rd_lex_next(pdf_rd_lex *lx, pdf_rd_token *t);
bool pdf_rd_is_space(int c);
bool pdf_rd_is_delim(int c);
int pdf_rd_hex_value(int c); /* 0..15, or -1 for a character that is not a hex digit */
bool pdf_rd_tok_is(const pdf_rd_token *t, const char *keyword);

/* ---- parser ---- */
typedef struct {
    pdf_rd_lex *lx;
    pdf_rd_arena *arena;
    bool refs; /* "N G R" is a reference (not in content streams) */
} pdf_rd_parser;

/* The value starting with token t (already read); NULL on a syntax error or a limit. A keyword
 * gives an RO_KEYWORD object (true, false and null are values). */
robj *pdf_rd_parse_value(pdf_rd_parser *p, const pdf_rd_token *t, int depth);

/* ---- the reader ---- */
typedef struct {
    uint64_t offset; /* type 1: file offset; type 2: the object stream's number */
    uint32_t gen;    /* type 1: generation; type 2: index in the object stream */
    uint8_t type;    /* 0 unset, 1 in the file, 2 in an object stream, 3 free */
} pdf_rd_xentry;

typedef struct {
    int num;
    uint8_t *data;
    size_t len;
    int n;
    int *nums;
    size_t *offs; /* of each object, from the start of data */
} pdf_rd_objstm;

#define RD_OBJSTM_CACHE 4

typedef struct {
    int num;
    int res_holder; /* object whose /Resources the page uses (itself or an ancestor); 0 none */
    double media[4];
    double crop[4];
    bool has_crop;
    int rotate;
} pdf_rd_page;

struct pdf_reader {
    char *path;
    pdf_rd_file file;
    pdf_rd_xentry *xref;
    int xref_len, xref_cap;
    int root;
    uint64_t header;       /* where "%PDF-" is: the offsets the file gives count from there (bytes
                              before it, a mail header or a MacBinary block, are not the PDF's) */
    uint64_t startxref;    /* the offset the file's last "startxref" gives, from the file's start */
    uint64_t startxref_at; /* where that "startxref" keyword itself is */
    struct {               /* the trailer of the section at startxref: what an update continues */
        bool seen;
        bool is_stream;     /* a cross-reference stream (else a table) */
        int64_t size;       /* its /Size */
        int info, info_gen; /* its /Info reference, 0 */
        char id0[129];      /* the first /ID string in hex, "" */
        bool open;          /* its trailer is not closed and followed by startxref: what is
                               appended would become part of it */
    } newest;
    bool encrypted;
    bool reconstructed;
    pdf_rd_arena arena;
    GHashTable *cache; /* object number → robj* in the arena */
    int fetch_depth;
    pdf_rd_objstm objstm[RD_OBJSTM_CACHE];
    int objstm_next;
    pdf_rd_page *pages;
    int n_pages, pages_cap;
    struct {
        uint64_t start, end;
    } searched[16]; /* streams whose /Length lied: their end, found once */
    int searched_next;
    GPtrArray *palettes;
};

/* SH_USAGE: "FILE has no page N". */
sh_status pdf_rd_no_page(pdf_reader *r, int index, sh_error *err);
/* Empty the arena and the object cache (start of a public call). */
void pdf_rd_reset(pdf_reader *r);
/* Object `num` (cached); &pdf_rd_null when it is missing or unreadable. */
robj *pdf_rd_fetch(pdf_reader *r, int num);
/* o itself, or the object it refers to. */
robj *pdf_rd_resolve(pdf_reader *r, robj *o);
/* dict[key], resolved. */
robj *pdf_rd_get(pdf_reader *r, const robj *dict, const char *key);
/* A text string as UTF-8 (g_free). */
char *pdf_rd_text_utf8(const robj *s);

/* Read the cross-reference chain from startxref; false when it is unusable. */
SH_NODISCARD bool pdf_rd_xref_read(pdf_reader *r);
/* Rebuild the cross-reference by scanning the file for objects; false when none is found. */
SH_NODISCARD bool pdf_rd_xref_reconstruct(pdf_reader *r);

/* ---- streams and filters ---- */
typedef enum {
    RF_FLATE,
    RF_LZW,
    RF_RUNLENGTH,
    RF_ASCIIHEX,
    RF_ASCII85,
    RF_DCT,
    RF_CCITT,
    RF_JBIG2,
    RF_JPX,
    RF_OTHER,
} pdf_rd_filter_kind;

typedef struct {
    pdf_rd_filter_kind kind;
    robj *parms; /* its /DecodeParms, resolved, or &pdf_rd_null */
} pdf_rd_filter;

/* The filters of a stream dictionary, in order; -1 when more than RD_MAX_FILTERS or not names. */
SH_NODISCARD int pdf_rd_stream_filters(pdf_reader *r, const robj *dict, pdf_rd_filter *out);
pdf_codec pdf_rd_filter_codec(pdf_rd_filter_kind k);

typedef struct pdf_rd_dec pdf_rd_dec;
struct pdf_rd_dec {
    ptrdiff_t (*read)(pdf_rd_dec *d, uint8_t *buf, size_t n); /* 0 end, -1 error (why set) */
    void (*free)(pdf_rd_dec *d);
    pdf_rd_dec *up;
    const char *why; /* what went wrong: an N_() message (translated when shown) or zlib's */
};

/* The data bytes [*start, *end) of a stream object: /Length checked against `endstream`, and
 * `endstream` searched for when it lies. */
SH_NODISCARD bool pdf_rd_stream_extent(pdf_reader *r, const robj *stream, uint64_t *start,
                                       uint64_t *end);
/* A decoder of a stream's data with the first n_undo filters undone. */
pdf_rd_dec *pdf_rd_decoder_open(pdf_reader *r, const robj *stream, const pdf_rd_filter *filters,
                                int n_undo);
SH_NODISCARD ptrdiff_t pdf_rd_dec_read(pdf_rd_dec *d, uint8_t *buf, size_t n);
void pdf_rd_dec_free(pdf_rd_dec *d);
const char *pdf_rd_dec_why(const pdf_rd_dec *d);
/* A whole stream decoded (every filter, none may be an image codec), at most cap bytes;
 * g_free(*data). False on damage or past cap; *data then holds what was decoded. */
SH_NODISCARD bool pdf_rd_stream_decode_all(pdf_reader *r, const robj *stream, size_t cap,
                                           uint8_t **data, size_t *len);

/* ---- content ---- */
/* Scan the page's content: images, text, vectors; info's boxes are already filled. */
void pdf_rd_scan_page(pdf_reader *r, const pdf_rd_page *pg, robj *page, pdf_page_info *info);
/* Fill img from an image XObject's dictionary; false when it is not a usable image. */
SH_NODISCARD bool pdf_rd_image_from_dict(pdf_reader *r, const robj *dict, const robj *resources,
                                         pdf_image *img);

#endif
