/* core — the foundation every other sohoa module stands on.
 *
 * Errors as values, atomic file writes, streaming SHA-256, a JSON writer, a thread pool,
 * a progress bar, gettext, the workspace and its configuration, the SQLite ledger and the
 * hash-chained audit log. Nothing here calls exit(); every failure is returned as an
 * sh_status with an operator-facing message in an sh_error.
 */
#ifndef SOHOA_CORE_H
#define SOHOA_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libintl.h>

/* SOHOA_VERSION ("0.1.0") is defined by the build from project(sohoa VERSION …) in the top
 * CMakeLists.txt, the one place the version is written (debian/changelog is checked against it). */

/* ---------------------------------------------------------------------------------------------
 * Errors. The status values are the process exit statuses of DESIGN.md, so a command can return
 * the status of whatever failed without translating it.
 */
typedef enum {
    SH_OK = 0,
    SH_FINDINGS = 1, /* a check failed, a signature is invalid, the audit chain is broken */
    SH_USAGE = 2,    /* bad arguments or configuration: the operator must change the command */
    SH_INPUT = 3,    /* an input could not be read, or a key could not be used */
    SH_INTERNAL = 4, /* a bug or an environment failure (disk full, out of memory) */
} sh_status;

/* On every function whose result says whether it worked: an ignored failure is a build error
 * (-Werror), not a file silently left unwritten. Where ignoring one is right, say why and wrap
 * the call in SH_IGNORE_RESULT (GCC warns about a plain (void) cast all the same). */
#define SH_NODISCARD __attribute__((warn_unused_result))
#define SH_IGNORE_RESULT(call) ((void)!(call))

#define SH_ERROR_MAX 2048

typedef struct {
    sh_status status;
    char msg[SH_ERROR_MAX]; /* what happened, to which file, what to do; already translated */
} sh_error;

/* Fill err (when not NULL) and return status, so callers can write `return sh_fail(err, ...)`. */
sh_status sh_fail(sh_error *err, sh_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like sh_fail, appending strerror(errnum). */
sh_status sh_fail_errno(sh_error *err, sh_status status, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#ifdef __clang_analyzer__
/* For clang-tidy's analyzer only, which does not look into error.c: both return the status they
 * are given, so that `return sh_fail(...)` is never taken for a success (error.c #undefs them). */
#define sh_fail(err, status, ...) (sh_fail(err, status, __VA_ARGS__), (status))
#define sh_fail_errno(err, status, ...) (sh_fail_errno(err, status, __VA_ARGS__), (status))
#endif
void sh_error_clear(sh_error *err);

/* ---------------------------------------------------------------------------------------------
 * Messages: gettext with the Vietnamese catalog, and stderr logging with -q / -v.
 */
#define _(s) gettext(s)
#define N_(s) (s)

typedef enum { SH_LANG_EN, SH_LANG_VI } sh_lang;

/* Choose the language: `override` ("vi", "en" or NULL), else LC_ALL / LC_MESSAGES / LANG /
 * LANGUAGE. Works whether or not the vi_VN locale is generated on the machine. Returns
 * SH_USAGE for an unknown override. Call once, before any thread starts. */
SH_NODISCARD sh_status sh_i18n_init(const char *override, sh_error *err);
sh_lang sh_i18n_lang(void);
/* Where the .mo catalogs are looked up: $SOHOA_LOCALEDIR, the build tree, or the install prefix. */
const char *sh_i18n_localedir(void);
/* Translate from now on into `lang` (a page written in a language other than the operator's,
 * `report --html`); returns the language used until now, to switch back. Main thread only: no
 * other thread may translate meanwhile. */
sh_lang sh_i18n_switch(sh_lang lang);

typedef enum { SH_LOG_QUIET = 0, SH_LOG_NORMAL = 1, SH_LOG_VERBOSE = 2 } sh_log_level;
void sh_log_set_level(sh_log_level level);
sh_log_level sh_log_get_level(void);
void sh_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* unless -q */
void sh_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* unless -q */
void sh_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* only with -v */

/* ---------------------------------------------------------------------------------------------
 * Atomic file writes: a temp file in the destination's folder, fsync of the file, rename over
 * the destination, fsync of the folder. A reader sees the old file or the whole new one.
 */
enum {
    SH_ATOMIC_NO_REPLACE = 1 << 0, /* fail with SH_USAGE if the destination exists */
    SH_ATOMIC_PRIVATE = 1 << 1,    /* mode 0600 instead of 0644 */
};

typedef struct sh_atomic_file sh_atomic_file;

sh_atomic_file *sh_atomic_open(const char *path, int flags, sh_error *err);
SH_NODISCARD sh_status sh_atomic_write(sh_atomic_file *f, const void *data, size_t len,
                                       sh_error *err);
/* Publish the file. The handle is freed whatever the outcome. */
SH_NODISCARD sh_status sh_atomic_commit(sh_atomic_file *f, sh_error *err);
/* Drop the temp file; the destination is untouched. NULL is accepted. */
void sh_atomic_abort(sh_atomic_file *f);
/* The temp file's descriptor (read-write), for patching bytes already written (a signature's
 * placeholder) with pwrite and reading them back with pread before the commit. */
int sh_atomic_fd(const sh_atomic_file *f);
/* The three steps above for a buffer held in memory. */
SH_NODISCARD sh_status sh_write_file_atomic(const char *path, const void *data, size_t len,
                                            int flags, sh_error *err);

/* Flush the temp file to disk; the file stays hidden and locked (flock) until committed or
 * aborted. The first step of publishing a file the ledger records (sh_publish_intend, below). */
SH_NODISCARD sh_status sh_atomic_seal(sh_atomic_file *f, sh_error *err);
const char *sh_atomic_path(const sh_atomic_file *f);      /* the destination */
const char *sh_atomic_temp_path(const sh_atomic_file *f); /* the hidden temp file */

/* Rename a file or folder without ever replacing what is at `to` (SH_USAGE when something is).
 * A rename that only changes letter case (02.PDF → 02.pdf) works on case-insensitive file
 * systems (USB disks, shared Windows folders) too. The folders are flushed to disk. */
SH_NODISCARD sh_status sh_rename_noreplace(const char *from, const char *to, sh_error *err);

/* Open a regular file for reading: a named pipe or a device is refused at once (SH_INPUT) rather
 * than waited on. Returns the descriptor, or -1 with err filled. */
SH_NODISCARD int sh_open_regular(const char *path, sh_error *err);
/* Read a whole file of at most max_bytes (a bound: user files are untrusted). The result is
 * NUL-terminated for convenience; free() it. */
SH_NODISCARD sh_status sh_read_file(const char *path, size_t max_bytes, char **data, size_t *len,
                                    sh_error *err);
/* The same into a buffer kept from call to call (*buf of *cap + 1 bytes, NULL and 0 at first,
 * grown with realloc when too small; free() it when done): many files read without an
 * allocation each. */
SH_NODISCARD sh_status sh_read_file_into(const char *path, size_t max_bytes, char **buf,
                                         size_t *cap, size_t *len, sh_error *err);

/* ---------------------------------------------------------------------------------------------
 * SHA-256, streaming: memory use is constant whatever the file size.
 */
#define SH_SHA256_LEN 32
#define SH_SHA256_HEX_LEN 64

SH_NODISCARD sh_status sh_sha256_file(const char *path, uint8_t digest[SH_SHA256_LEN],
                                      sh_error *err);
void sh_sha256_buf(const void *data, size_t len, uint8_t digest[SH_SHA256_LEN]);
void sh_hex(const uint8_t *bytes, size_t len, char *out /* 2*len+1 */);

/* ---------------------------------------------------------------------------------------------
 * HTML text (html.c), for the self-contained HTML pages (validate's report, the dashboard).
 */
/* Text as HTML character data or a quoted attribute value: & < > " ' become references, invalid
 * UTF-8 and control characters U+FFFD (paths and messages are user data). NULL gives "".
 * g_free() the result. */
char *sh_html_escape(const char *text);

/* ---------------------------------------------------------------------------------------------
 * JSON writer: compact output, keys in the order written. Errors are sticky: the first misuse
 * (invalid UTF-8, a value where a key is due, NaN, unbalanced nesting) is kept and reported by
 * sh_json_finish, and everything after it is ignored, so callers check once at the end.
 */
typedef struct sh_json sh_json;

sh_json *sh_json_new(void);
void sh_json_free(sh_json *j);
void sh_json_begin_object(sh_json *j);
void sh_json_end_object(sh_json *j);
void sh_json_begin_array(sh_json *j);
void sh_json_end_array(sh_json *j);
void sh_json_key(sh_json *j, const char *key);
void sh_json_string(sh_json *j, const char *s); /* NULL writes null */
void sh_json_string_len(sh_json *j, const char *s, size_t len);
void sh_json_int(sh_json *j, int64_t v);
void sh_json_double(sh_json *j, double v);
void sh_json_bool(sh_json *j, bool v);
void sh_json_null(sh_json *j);
/* "key": value pairs, for the objects commands print. */
void sh_json_kv_str(sh_json *j, const char *key, const char *value); /* NULL: null */
void sh_json_kv_int(sh_json *j, const char *key, int64_t value);
void sh_json_kv_bool(sh_json *j, const char *key, bool value);
void sh_json_kv_double(sh_json *j, const char *key, double value);
void sh_json_kv_null(sh_json *j, const char *key);
/* value when known, else null (an optional count or id). */
void sh_json_kv_int_or_null(sh_json *j, const char *key, int64_t value, bool known);
/* The lowercase hex of a SHA-256 digest. */
void sh_json_kv_sha256(sh_json *j, const char *key, const uint8_t digest[32]);
/* A key whose value is an object or array written next; close it with sh_json_end_*. */
void sh_json_kv_object(sh_json *j, const char *key);
void sh_json_kv_array(sh_json *j, const char *key);
void sh_json_kv_raw(sh_json *j, const char *key, const char *json_text);
/* Insert a value that is already valid JSON text (for example stored details). Checked. */
void sh_json_raw(sh_json *j, const char *json_text);
/* The document, once complete and error-free; owned by j. NULL with err filled otherwise. */
const char *sh_json_finish(sh_json *j, sh_error *err);
/* Documents that grow with the data (audit show over the whole chain) are written as they go:
 * the text so far goes to `out` and leaves memory, once it passes a few tens of KiB. False when
 * the document already failed (then nothing more is written). sh_json_finish then returns the
 * rest. A command stopped after a flush leaves an unfinished document on `out`. */
bool sh_json_flush_to(sh_json *j, FILE *out);

bool sh_utf8_valid(const char *s, size_t len);
/* Is text one well-formed JSON value (bounded depth)? Used to check details before storing. */
bool sh_json_valid(const char *text, size_t len);

/* ---------------------------------------------------------------------------------------------
 * JSON reader (json_read.c): bounded and schema-directed, for documents from outside (a
 * package.json, a receipt, a progress snapshot). A document is read straight into C structures
 * by tables of fields: every object must have exactly its table's keys (any order, each once;
 * unknown keys are refused, never skipped), every value its field's type; strings are valid
 * UTF-8 without NUL and at most string_max bytes, lists at most list_max items; the depth is the
 * schema's. The first failure is kept in err (SH_FINDINGS, "WHAT, byte N: what is wrong") and
 * every later call returns false at once. The caller bounds the document's size.
 */
typedef struct {
    const char *start, *p, *end;
    bool failed;
    sh_error *err;
    const char *what;   /* the document in messages: "package.json", "the receipt R" */
    const char *schema; /* its schema's name, for an unknown key */
    size_t string_max;  /* bytes per string */
    size_t list_max;    /* items per list */
} sh_jr;

/* A reader of text[0..len) (not NUL-terminated); what and schema are kept, not copied. */
void sh_jr_init(sh_jr *r, const char *text, size_t len, const char *what, const char *schema,
                size_t string_max, size_t list_max, sh_error *err);
/* Record the failure at the current byte (the first one only); returns false. */
bool sh_jr_fail(sh_jr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void sh_jr_ws(sh_jr *r);
/* After blanks, is the next byte c? */
bool sh_jr_peek(sh_jr *r, char c);
bool sh_jr_expect(sh_jr *r, char c);
bool sh_jr_literal(sh_jr *r, const char *word);
/* A string value (g_free), or NULL with the failure recorded. */
char *sh_jr_string(sh_jr *r);
/* A string value into out[size] (NUL included); a longer one fails. */
bool sh_jr_text(sh_jr *r, char *out, size_t size);
/* A whole number from lo to hi: no fraction, exponent or leading zero. */
bool sh_jr_int(sh_jr *r, int64_t lo, int64_t hi, int64_t *v);
/* Is s a SHA-256 in lower-case hex? */
bool sh_jr_hex64(const char *s);
/* The next member's key (g_free) after "{" or the last member; false at "}" or on failure. */
bool sh_jr_next_key(sh_jr *r, bool *first, char **key);
/* True when another item follows, after "[" or the last item; false at "]" or on failure. */
bool sh_jr_next_item(sh_jr *r, bool *first);
/* Room for one more item of a list (zeroed, g_realloc'd in *items); NULL past list_max. */
void *sh_jr_grow(sh_jr *r, void **items, size_t *n, size_t size);
/* Only blanks are left (else the failure "something follows the object"). */
bool sh_jr_end(sh_jr *r);

typedef bool (*sh_jr_field_fn)(sh_jr *r, void *obj);
typedef enum {
    SH_JR_STR,         /* char * (g_free) */
    SH_JR_STR_OR_NULL, /* char *, NULL for null */
    SH_JR_HEX,         /* char[65]: a SHA-256 in lower-case hex */
    SH_JR_HEX_OR_NULL, /* char[65], "" for null */
    SH_JR_INT,         /* int64_t from lo to hi */
    SH_JR_INT_OR_NULL, /* int64_t from lo to hi, 0 for null */
    SH_JR_TEXT,        /* char[hi]: a string of fewer than hi bytes, copied in place */
    SH_JR_FN,          /* fn reads the value into the object */
} sh_jr_kind;

typedef struct {
    const char *name;
    sh_jr_kind kind;
    size_t off;
    int64_t lo, hi;
    sh_jr_field_fn fn;
} sh_jr_field;

/* An object of exactly the n (≤ 64) fields, in any order, each once. */
bool sh_jr_object(sh_jr *r, const sh_jr_field *fields, size_t n, void *obj);

/* Table entries: a field of struct type at member, of a kind; with bounds; read by fn; a
 * char[] member read as SH_JR_TEXT. */
#define SH_JR_F(type, key, kind, member)                                                           \
    {                                                                                              \
        key, kind, offsetof(type, member), 0, 0, NULL                                              \
    }
#define SH_JR_FI(type, key, kind, member, lo, hi)                                                  \
    {                                                                                              \
        key, kind, offsetof(type, member), lo, hi, NULL                                            \
    }
#define SH_JR_FN(key, fn)                                                                          \
    {                                                                                              \
        key, SH_JR_FN, 0, 0, 0, fn                                                                 \
    }
#define SH_JR_FT(type, key, member)                                                                \
    {                                                                                              \
        key, SH_JR_TEXT, offsetof(type, member), 0, (int64_t)sizeof(((type *)0)->member), NULL     \
    }
#define SH_JR_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------------------------------
 * CSV as Excel writes it (csv.c): comma or semicolon (whichever the header line holds more of,
 * outside quotes), UTF-8 with or without a BOM, CRLF, LF or CR, quoted cells with "" and line
 * breaks. The first line with text is the header; its headings are matched to a table of
 * columns in English or Vietnamese, whatever the case, the diacritics, spaces or punctuation.
 * One pass over text held in memory; time and memory linear in its size, each cell bounded.
 */
#define SH_CSV_CELL_MAX (64 * 1024) /* bytes of one cell */
#define SH_CSV_HEADER_MAX 256       /* cells of the header line */
#define SH_CSV_COLUMNS_MAX 32       /* columns of one table */

typedef struct sh_csv_reader sh_csv_reader;

/* One record: its cells trimmed of blanks and line breaks at their ends. */
typedef struct {
    char **cells;   /* owned by the reader, valid until the next sh_csv_next */
    size_t n_cells; /* the cells kept: at most the header's width (SH_CSV_HEADER_MAX for it) */
    size_t extra;   /* cells beyond those, not kept (a separator in an unquoted cell) */
    int line;       /* 1-based line where the record starts (the header is line 1) */
} sh_csv_row;

/* A reader over text[0..len), which must outlive it. SH_INPUT, naming `name`, when text is
 * larger than max_bytes or not UTF-8. max_rows bounds the data rows after the header. */
SH_NODISCARD sh_status sh_csv_open(const char *text, size_t len, const char *name, size_t max_bytes,
                                   size_t max_rows, sh_csv_reader **out, sh_error *err);
/* The next record holding any text (blank ones are skipped); *got false at the end. SH_INPUT
 * (name:line) for a quote never closed, a cell over SH_CSV_CELL_MAX, a header over
 * SH_CSV_HEADER_MAX cells, more than max_rows data rows. */
SH_NODISCARD sh_status sh_csv_next(sh_csv_reader *r, sh_csv_row *row, bool *got, sh_error *err);
char sh_csv_separator(const sh_csv_reader *r);
void sh_csv_free(sh_csv_reader *r); /* NULL is accepted */

/* A column of a table: its English heading (as the docs name it), its usual Vietnamese one
 * (shown when it is missing) and the headings accepted for it. */
typedef struct {
    const char *key;
    const char *vi;
    bool required;
    const char *aliases[8]; /* NULL-terminated */
} sh_csv_column;

typedef struct {
    int index[SH_CSV_COLUMNS_MAX]; /* each column's cell, -1 when the header lacks it */
    char **heading;                /* each header cell as written, made one short line */
    size_t n_cells;
    const sh_csv_column *cols;
    int n_cols;
} sh_csv_header;

/* Match the header row's headings to cols (at most SH_CSV_COLUMNS_MAX). SH_INPUT, naming
 * `name`, for an unknown heading (listing those accepted), two headings of one column, a
 * required column missing. An empty heading (a column Excel only formatted) is allowed. Clear h
 * with sh_csv_header_clear whatever the outcome. */
SH_NODISCARD sh_status sh_csv_header_read(sh_csv_header *h, const sh_csv_column *cols, int n_cols,
                                          const sh_csv_row *header, const char *name,
                                          sh_error *err);
void sh_csv_header_clear(sh_csv_header *h);
/* The cell of column col in row, "" when the column or the cell is absent. */
const char *sh_csv_cell(const sh_csv_header *h, const sh_csv_row *row, int col);
/* The column's heading as the file writes it, or its key when the file lacks it. */
const char *sh_csv_heading(const sh_csv_header *h, int col);
/* What is wrong with the row's shape, or NULL: text under a cell without a heading, more cells
 * than headings (an unquoted separator). Translated; g_free() it. */
char *sh_csv_shape_problem(const sh_csv_header *h, const sh_csv_row *row, char separator);
/* Text compared as headings and keywords are: Vietnamese letters without their marks (đ → d),
 * lower case, only letters and digits ("Mã tổ chức" → "matochuc"). g_free() it. */
char *sh_csv_key(const char *utf8);
/* A cell quoted back to a person: one line, at most 60 characters. g_free() it. */
char *sh_csv_shown(const char *cell);

/* ---------------------------------------------------------------------------------------------
 * Findings: what a check found wrong with a name, a file or a page. Checks report each finding
 * to a sink as they go, so a check over a million files holds none of them in memory. The codes
 * are stable and documented in docs/ (DESIGN.md lists them); messages are for the operator.
 */
typedef enum { SH_WARNING = 1, SH_ERROR = 2 } sh_severity;

#define SH_FINDING_VALUES 4

typedef struct {
    const char *code; /* "name.file", "page.rotated" … */
    sh_severity severity;
    const char *path;       /* the file or folder as the user named it; NULL when none */
    int page;               /* 1-based; 0 when the finding is not about one page */
    const char *message;    /* translated: what is wrong and what to do */
    const char *suggestion; /* the corrected name, or NULL */
    bool fixable;           /* the suggestion is certain enough to apply without a person */
    struct {
        const char *key;
        double value;
    } values[SH_FINDING_VALUES]; /* measured values: {"angle", 90} */
    int n_values;
} sh_finding;

typedef void (*sh_finding_sink)(const sh_finding *f, void *ctx);

/* Add a measured value (ignored beyond SH_FINDING_VALUES). */
void sh_finding_value(sh_finding *f, const char *key, double value);
/* f as one JSON object: code, severity, path, page, message, suggestion, fixable, values. */
void sh_finding_json(sh_json *j, const sh_finding *f);
/* "error" / "warning", untranslated, as in JSON. */
const char *sh_severity_name(sh_severity s);

/* ---------------------------------------------------------------------------------------------
 * Thread pool with a bounded queue: sh_pool_submit blocks while the queue is full, so a producer
 * can never queue more work than memory allows.
 */
typedef struct sh_pool sh_pool;
typedef void (*sh_task_fn)(void *arg);

int sh_cpu_count(void);
/* threads <= 0 means one per core. */
sh_pool *sh_pool_new(int threads, sh_error *err);
SH_NODISCARD sh_status sh_pool_submit(sh_pool *pool, sh_task_fn fn, void *arg, sh_error *err);
/* Wait until every submitted task has finished. The pool stays usable. */
void sh_pool_wait(sh_pool *pool);
/* Wait, then stop the workers and free the pool. NULL is accepted. */
void sh_pool_free(sh_pool *pool);
int sh_pool_threads(const sh_pool *pool);

/* ---------------------------------------------------------------------------------------------
 * Progress bar on stderr, only on a terminal and not with -q. Safe to advance from many threads.
 * Its percentage never goes back, even when the total grows.
 */
typedef struct sh_progress sh_progress;

sh_progress *sh_progress_new(const char *label, uint64_t total);
/* For tests and special outputs: draw on `out` when `enabled`. */
sh_progress *sh_progress_new_on(FILE *out, bool enabled, const char *label, uint64_t total);
void sh_progress_add(sh_progress *p, uint64_t n);
/* Count bytes: the bar shows sizes ("12 MB/40 MB"), the rate and the time left (upload, export).
 * Call right after creating it. */
void sh_progress_set_bytes(sh_progress *p);
/* More work found on the way (validate learns page counts as it opens files). */
void sh_progress_grow(sh_progress *p, uint64_t n);
/* Draw the final state, end the line, free. NULL is accepted. */
void sh_progress_done(sh_progress *p);
/* Is the bar drawn at all (a terminal, not -q)? Work done only to size it can be skipped. */
bool sh_progress_shown(const sh_progress *p);
/* Around any line printed while a bar may be on the terminal (stdout or stderr): suspend blanks
 * the bar's line and keeps every bar from drawing; resume draws the bar again below the line.
 * Pairs nest; flush the line's stream before resuming. sh_warn, sh_info and sh_debug do this
 * themselves. */
void sh_progress_suspend(void);
void sh_progress_resume(void);

/* ---------------------------------------------------------------------------------------------
 * Workspace and configuration (sohoa.ini, a GKeyFile). Core keeps the file format, the key
 * tables and its own [station]; each module above declares its section (a struct and the table
 * of its keys) in its public header, and the program lists the sections it knows. Every key is
 * documented in docs/configuration.md; an unknown section or key, or a bad value, is an error
 * naming file, line and key.
 */
typedef enum {
    SH_KEY_STRING, /* text into a char * (g_free()d with the configuration); empty: NULL */
    SH_KEY_INT,    /* a whole number from lo to hi, into an int */
    SH_KEY_DOUBLE, /* a number from lo to hi, into a double */
    SH_KEY_CHOICE, /* one of words, into an int (or an enum): its index in words */
    SH_KEY_CUSTOM, /* parse stores it (without allocating: nothing frees it) */
} sh_config_kind;

typedef struct {
    const char *name;
    sh_config_kind kind;
    size_t offset;            /* of its field in the section's struct; not for SH_KEY_CUSTOM */
    double lo, hi;            /* SH_KEY_INT, SH_KEY_DOUBLE */
    const char *const *words; /* SH_KEY_CHOICE: the words, NULL-terminated */
    const char *hint;         /* SH_KEY_CHOICE: why another word is refused, an N_() message */
    /* SH_KEY_CUSTOM: store value into the section's struct. SH_KEY_STRING: check a value before
     * it is kept (NULL: any text does). A refusal is SH_USAGE with the reason in why. */
    sh_status (*parse)(const char *value, void *section, sh_error *why);
    const char *def;     /* the default, as written in the file; NULL or "": none */
    const char *comment; /* the line above the key in a new sohoa.ini (without "# "), or NULL */
} sh_config_key;

/* A section: its keys fill a struct of `size` bytes that the owning module declares, and reads
 * back with sh_config_values (wrapped in a typed accessor such as vd_config_get). */
typedef struct {
    const char *name; /* without the brackets */
    const sh_config_key *keys;
    size_t n_keys;
    size_t size;
} sh_config_section;

typedef struct {
    char *path; /* the ini file it was read from */
    /* [station], core's own section */
    char *station_id;
    char *operator_name; /* may be NULL: then --operator is required to change state */
    int airgapped;       /* 1: no network here (IV.1.2); packages leave on a medium (export) */
    /* The modules' sections, as the program listed them when the configuration was made, and
     * one struct of values for each (values[i] for sections[i]). */
    const sh_config_section *const *sections;
    void **values;
} sh_config;

/* The sections this program knows besides [station], NULL-terminated, in the order of a new
 * sohoa.ini. Set once, before any configuration is made and before any thread starts (the
 * program's main does it); until then only [station] is known. The list must outlive them. */
void sh_config_use_sections(const sh_config_section *const *sections);
/* Defaults for every key of every section; station_id is NULL until a file provides it. */
void sh_config_defaults(sh_config *cfg);
SH_NODISCARD sh_status sh_config_load(const char *path, sh_config *cfg, sh_error *err);
/* The same from text in memory; `name` is the file name used in messages. */
SH_NODISCARD sh_status sh_config_parse(const char *name, const char *text, size_t len,
                                       sh_config *cfg, sh_error *err);
void sh_config_free(sh_config *cfg);
/* The values of `section` in cfg; NULL when the program does not list that section. */
const void *sh_config_values(const sh_config *cfg, const sh_config_section *section);
/* A section's struct on its own, for a module that needs its defaults without a file;
 * sh_config_section_free frees its strings (not the struct). */
void sh_config_section_defaults(const sh_config_section *section, void *values);
void sh_config_section_free(const sh_config_section *section, void *values);
/* The text of a new sohoa.ini for `sohoa init`: [station] with these values, then every section
 * of the program with its defaults, each key under its comment. g_free() it. */
char *sh_config_template(const char *station_id, const char *operator_name);

typedef struct {
    char *root;        /* absolute path of the workspace folder */
    char *config_path; /* root/sohoa.ini unless --config said otherwise */
    char *ledger_path; /* root/.sohoa/ledger.db */
    sh_config config;
} sh_workspace;

#define SH_WORKSPACE_CONFIG "sohoa.ini"
#define SH_WORKSPACE_STATE_DIR ".sohoa"
#define SH_WORKSPACE_LEDGER "ledger.db"

/* Find the workspace: `dir` when given (it must be one), else walk up from `start` (the current
 * directory when NULL). `config_override` replaces root/sohoa.ini when not NULL. */
SH_NODISCARD sh_status sh_workspace_open(const char *dir, const char *start,
                                         const char *config_override, sh_workspace *ws,
                                         sh_error *err);
/* The same for commands that also work outside a workspace (name check): when `dir` is NULL and
 * no workspace is found above `start`, *found is false and ws holds the default configuration,
 * or that of config_override; root and ledger_path are NULL then. */
SH_NODISCARD sh_status sh_workspace_open_optional(const char *dir, const char *start,
                                                  const char *config_override, sh_workspace *ws,
                                                  bool *found, sh_error *err);
void sh_workspace_close(sh_workspace *ws);
/* The path as the ledger knows it: relative to the workspace root (a realpath), symbolic links
 * resolved. NULL when root is NULL or path is outside it (or does not exist). g_free(). */
char *sh_workspace_relpath(const char *root, const char *path);
/* One run at a time of a kind of command in a workspace: an exclusive flock on
 * root/.sohoa/<name>.lock; a second run says `waiting` (sh_warn) and waits for the first. The
 * locked descriptor (close it to unlock), or -1 with err. */
int sh_workspace_lock(const sh_workspace *ws, const char *name, const char *waiting, sh_error *err);

/* Make `dir` (created if needed) a workspace: .sohoa/ledger.db with a "workspace.init" audit
 * entry, then sohoa.ini. Refuses an existing workspace, and one nested inside another. On
 * failure nothing is left behind. */
SH_NODISCARD sh_status sh_workspace_create(const char *dir, const char *station_id,
                                           const char *operator_name, sh_error *err);

/* Station and operator checks shared by init and the config loader: printable, no newline. */
SH_NODISCARD sh_status sh_check_station_id(const char *id, sh_error *err);
SH_NODISCARD sh_status sh_check_operator_name(const char *name, sh_error *err);

/* ---------------------------------------------------------------------------------------------
 * The ledger: SQLite in WAL mode with a busy timeout and forward schema migrations.
 */
typedef struct sh_ledger sh_ledger;

#define SH_LEDGER_SCHEMA_VERSION 8

/* Open for writing and migrate to SH_LEDGER_SCHEMA_VERSION. Only `create` (sohoa init) makes a
 * new ledger: without it a ledger that is missing, empty (0 bytes) or holds no schema is refused
 * (SH_INPUT, "restore it from the backup copy"), never replaced by a new, empty chain. A ledger
 * written by a newer sohoa is refused rather than misread; one on read-only media is refused
 * with words that say so. */
SH_NODISCARD sh_status sh_ledger_open(const char *path, bool create, sh_ledger **out,
                                      sh_error *err);
/* Open for reading only, for the commands that only look (audit verify│show│export, validate
 * without an operator, reports): nothing is written, not even the schema's migration, and it
 * works on read-only media (a mounted backup, an inspector's copy), unfinished writes of a
 * killed process (ledger.db-wal) included. The same refusals as sh_ledger_open. */
SH_NODISCARD sh_status sh_ledger_open_readonly(const char *path, sh_ledger **out, sh_error *err);
bool sh_ledger_is_readonly(const sh_ledger *l);
/* Could a command record in the ledger at path (not read-only media, permissions allow)? */
bool sh_ledger_writable(const char *path);
void sh_ledger_close(sh_ledger *l);
int sh_ledger_schema_version(sh_ledger *l);
/* The raw handle, for modules that keep their own tables in the ledger. */
struct sqlite3 *sh_ledger_db(sh_ledger *l);
/* The failure of the last SQLite call on l in core's words, never raw SQL: damaged → restore
 * from the backup copy; locked → another sohoa is running; disk full → free space; read-only
 * media; otherwise what could not be done. `what` is untranslated text marked with N_()
 * ("record the document"); it is translated here. Returns the status it filled err with. */
sh_status sh_ledger_fail(sh_ledger *l, sh_error *err, const char *what);

/* Write transactions take the write lock up front (BEGIN IMMEDIATE) so that concurrent writers
 * queue on the busy timeout instead of failing. */
SH_NODISCARD sh_status sh_ledger_begin(sh_ledger *l, sh_error *err);
SH_NODISCARD sh_status sh_ledger_commit(sh_ledger *l, sh_error *err);
void sh_ledger_rollback(sh_ledger *l);
/* A read transaction: every query until the rollback sees one snapshot of the ledger. */
SH_NODISCARD sh_status sh_ledger_begin_read(sh_ledger *l, sh_error *err);

/* ---------------------------------------------------------------------------------------------
 * The audit chain. hash = SHA-256(prev_hash ‖ canonical entry), where the canonical entry is the
 * compact JSON array [id, time, station, operator, action, subject, details] (docs/audit.md).
 * Entries are appended inside the caller's transaction, with the ledger change they record.
 */
typedef struct {
    const char *station;
    const char *operator_name;
} sh_actor;

typedef struct {
    int64_t id;
    char time[32]; /* 2026-11-21T13:01:15.123Z */
    char *station;
    char *operator_name;
    char *action;
    char *subject; /* may be empty */
    char *details; /* JSON text */
    char prev_hash[SH_SHA256_HEX_LEN + 1];
    char hash[SH_SHA256_HEX_LEN + 1];
} sh_audit_entry;

void sh_audit_entry_clear(sh_audit_entry *e);

/* Check that actor names a station and an operator; the message says how to name one. */
SH_NODISCARD sh_status sh_actor_check(const sh_actor *actor, sh_error *err);

/* Append one entry; must be inside sh_ledger_begin/commit. details: JSON text or NULL ("{}").
 * Fills out_id when not NULL. */
SH_NODISCARD sh_status sh_audit_append(sh_ledger *l, const sh_actor *actor, const char *action,
                                       const char *subject, const char *details, int64_t *out_id,
                                       sh_error *err);
/* begin + append + commit, for actions whose only ledger change is the audit entry itself. */
SH_NODISCARD sh_status sh_audit_record(sh_ledger *l, const sh_actor *actor, const char *action,
                                       const char *subject, const char *details, int64_t *out_id,
                                       sh_error *err);

/* The canonical encoding and hash of an entry (id, fields and prev_hash as filled in). */
char *sh_audit_canonical(const sh_audit_entry *e); /* g_free() */
void sh_audit_compute_hash(const sh_audit_entry *e, char hash[SH_SHA256_HEX_LEN + 1]);

typedef struct {
    bool intact;
    int64_t entries; /* how many entries were read */
    int64_t head_id; /* last entry (0 for an empty chain) */
    char head_hash[SH_SHA256_HEX_LEN + 1];
    int64_t first_bad_id; /* when !intact: the first entry that does not verify */
    char reason[512];     /* when !intact: what is wrong with it, translated */
} sh_audit_verdict;

/* A head written down earlier (on a handover record, in an export): the chain must still hold
 * entry `id` with exactly this hash, which exposes a chain cut back or rewritten since. */
typedef struct {
    int64_t id;
    char hash[SH_SHA256_HEX_LEN + 1];
} sh_audit_anchor;

/* Parse "ID:HASH" (HASH: 64 hex digits). */
SH_NODISCARD bool sh_audit_anchor_parse(const char *text, sh_audit_anchor *anchor);

/* Recompute the whole chain in id order, streaming (constant memory), and check the anchor when
 * not NULL. Returns SH_OK when the chain could be read (look at verdict->intact), an error status
 * when the ledger could not be. */
SH_NODISCARD sh_status sh_audit_verify(sh_ledger *l, const sh_audit_anchor *anchor,
                                       sh_audit_verdict *verdict, sh_error *err);

typedef struct {
    const char *since;  /* ISO 8601 date or time prefix, inclusive; NULL for all */
    const char *action; /* "audit.note" exactly, or "audit" for every "audit.*"; NULL for all */
} sh_audit_filter;

/* Call fn for each matching entry in id order; a non-OK return from fn stops the walk. */
typedef sh_status (*sh_audit_visit_fn)(const sh_audit_entry *e, void *ctx, sh_error *err);
SH_NODISCARD sh_status sh_audit_each(sh_ledger *l, const sh_audit_filter *filter,
                                     sh_audit_visit_fn fn, void *ctx, sh_error *err);
/* Write e as one compact JSON object (all fields) into j. */
void sh_audit_entry_json(sh_json *j, const sh_audit_entry *e);

/* Is `t` an acceptable --since value (YYYY-MM-DD, optionally THH:MM[:SS[.mmm]][Z])? */
bool sh_time_filter_valid(const char *t);
/* Current UTC time as 2026-11-21T13:01:15.123Z. */
void sh_utc_now(char out[32]);

/* ---------------------------------------------------------------------------------------------
 * Publishing a file the ledger records: one protocol for every command (docs/architecture.md,
 * "Publishing a file"). A file is visible under its name only once the ledger knows it:
 *   1. write it with sh_atomic_open/_write, then sh_atomic_seal: its bytes are on disk in the
 *      temp file, still hidden under .NAME.tmp-XXXXXX, which the writer holds locked (flock);
 *   2. one ledger transaction: the rows that describe the file, its audit entry, and
 *      sh_publish_intend (the intent: final path, temp path, sha256);
 *   3. sh_publish_finish: the temp file renamed to its name (never replacing), the intent closed.
 * Killed before 2: an unrecorded temp file, removed by the next run's sweep once its writer's
 * lock is gone. Killed between 2 and 3: sh_publish_recover finishes the rename (the temp's bytes
 * match the intent), or records publish.lost in the audit chain when the temp file has gone (or
 * another file stands under the name). Killed after 3: only the intent's deletion is missing,
 * which recovery does. A failure is never left half-done: a transaction that fails leaves no
 * row and the temp file is dropped; a rename that fails keeps the recorded bytes for recovery.
 */
/* Inside the caller's write transaction (sh_ledger_begin): record the intent to publish the
 * sealed file f under its destination, whose bytes have SHA-256 sha256_hex. Paths are kept
 * relative to the workspace root. *intent receives the intent's id for sh_publish_finish.
 * Under the write lock, a destination that exists, or that another intent is publishing, is
 * refused (SH_USAGE): of two processes choosing one name, the second learns it before it
 * commits. */
SH_NODISCARD sh_status sh_publish_intend(sh_ledger *l, const char *root, const sh_atomic_file *f,
                                         const char *sha256_hex, int64_t *intent, sh_error *err);
/* After that transaction committed: rename the temp file into place (never replacing) and close
 * the intent. f is freed whatever the outcome; when the rename fails the temp file is kept (the
 * message names it) and the intent stays, for the next recovery. The intent row is deleted
 * lazily (by the next sh_publish_intend or sh_ledger_close), so this costs no extra disk flush
 * per file. */
SH_NODISCARD sh_status sh_publish_finish(sh_ledger *l, sh_atomic_file *f, int64_t intent,
                                         sh_error *err);
/* The same, the file kept open and locked (flock) once in place: *locked_fd, which the caller
 * closes when done (-1 on failure). For a file whose lock tells others its writer still runs
 * (the journal of "name fix --apply", while its renames go on). */
SH_NODISCARD sh_status sh_publish_finish_locked(sh_ledger *l, sh_atomic_file *f, int64_t intent,
                                                int *locked_fd, sh_error *err);
/* Does an open intent publish to path (absolute, or relative to the current folder)? */
bool sh_publish_pending(sh_ledger *l, const char *root, const char *path);

/* What sh_publish_recover did. */
typedef struct {
    int finished; /* intents of a dead process completed: the file put in place */
    int lost;     /* intents whose temp file had gone: publish.lost recorded */
    int pending;  /* intents of a live process, left alone */
} sh_publish_recovery;
/* Complete or close the intents left by processes that died (under the ledger's write lock).
 * Commands that publish files call it first, with the operator as actor. */
SH_NODISCARD sh_status sh_publish_recover(sh_ledger *l, const char *root, const sh_actor *actor,
                                          sh_publish_recovery *rec, sh_error *err);
/* Remove the temp files (.NAME.tmp-XXXXXX) in folder dir whose writer is gone (no lock held)
 * and that no open intent names: what a killed writer left behind. Returns how many were
 * removed. Commands that publish call it on the folders they write into. */
int sh_temp_sweep_dir(sh_ledger *l, const char *root, const char *dir);

#endif
