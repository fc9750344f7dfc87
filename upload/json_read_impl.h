/* A bounded, schema-directed JSON reader (json_read.c), shared by the readers of package.json
 * (package_read.c) and of the receiver's receipts (receipt_read.c). A document is read straight
 * into C structures by tables of fields: every object must have exactly its table's keys (any
 * order, each once; unknown keys are refused, never skipped), every value its field's type;
 * strings are valid UTF-8 without NUL and at most string_max bytes, lists at most list_max items.
 * The first failure is kept in err (SH_FINDINGS, "WHAT, byte N: what is wrong") and every later
 * call returns false at once. Private to upload/. */
#ifndef SOHOA_UPLOAD_JSON_READ_IMPL_H
#define SOHOA_UPLOAD_JSON_READ_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

typedef struct {
    const char *start, *p, *end;
    bool failed;
    sh_error *err;
    const char *what;   /* the document in messages: "package.json", "the receipt R" */
    const char *schema; /* its schema's name, for an unknown key */
    size_t string_max;  /* bytes per string */
    size_t list_max;    /* items per list */
} up_jr;

/* A reader of text[0..len) (not NUL-terminated); what and schema are kept, not copied. */
void up_jr_init(up_jr *r, const char *text, size_t len, const char *what, const char *schema,
                size_t string_max, size_t list_max, sh_error *err);
/* Record the failure at the current byte (the first one only); returns false. */
bool up_jr_fail(up_jr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void up_jr_ws(up_jr *r);
/* After blanks, is the next byte c? */
bool up_jr_peek(up_jr *r, char c);
bool up_jr_expect(up_jr *r, char c);
bool up_jr_literal(up_jr *r, const char *word);
/* A string value (g_free), or NULL with the failure recorded. */
char *up_jr_string(up_jr *r);
/* A whole number from lo to hi: no fraction, exponent or leading zero. */
bool up_jr_int(up_jr *r, int64_t lo, int64_t hi, int64_t *v);
/* Is s a SHA-256 in lower-case hex? */
bool up_jr_hex64(const char *s);
/* The next member's key (g_free) after "{" or the last member; false at "}" or on failure. */
bool up_jr_next_key(up_jr *r, bool *first, char **key);
/* True when another item follows, after "[" or the last item; false at "]" or on failure. */
bool up_jr_next_item(up_jr *r, bool *first);
/* Room for one more item of a list (zeroed, g_realloc'd in *items); NULL past list_max. */
void *up_jr_grow(up_jr *r, void **items, size_t *n, size_t size);
/* Only blanks are left (else the failure "something follows the object"). */
bool up_jr_end(up_jr *r);

typedef bool (*up_jr_field_fn)(up_jr *r, void *obj);
typedef enum {
    UP_JR_STR,         /* char * (g_free) */
    UP_JR_STR_OR_NULL, /* char *, NULL for null */
    UP_JR_HEX,         /* char[65]: a SHA-256 in lower-case hex */
    UP_JR_HEX_OR_NULL, /* char[65], "" for null */
    UP_JR_INT,         /* int64_t from lo to hi */
    UP_JR_INT_OR_NULL, /* int64_t from lo to hi, 0 for null */
    UP_JR_ID,          /* char[27]: a package ID */
    UP_JR_FN,          /* fn reads the value into the object */
} up_jr_kind;

typedef struct {
    const char *name;
    up_jr_kind kind;
    size_t off;
    int64_t lo, hi;
    up_jr_field_fn fn;
} up_jr_field;

/* An object of exactly the n (≤ 64) fields, in any order, each once. */
bool up_jr_object(up_jr *r, const up_jr_field *fields, size_t n, void *obj);

/* Table entries: a field of struct type at member, of a kind; with bounds; read by fn. */
#define UP_JR_F(type, key, kind, member)                                                           \
    {                                                                                              \
        key, kind, offsetof(type, member), 0, 0, NULL                                              \
    }
#define UP_JR_FI(type, key, kind, member, lo, hi)                                                  \
    {                                                                                              \
        key, kind, offsetof(type, member), lo, hi, NULL                                            \
    }
#define UP_JR_FN(key, fn)                                                                          \
    {                                                                                              \
        key, UP_JR_FN, 0, 0, 0, fn                                                                 \
    }
#define UP_JR_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
