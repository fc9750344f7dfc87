/* The package's ZIP, written and read as streams (issue 15): stored entries only (the PDFs are
 * compressed already and stay byte-identical), ZIP64 when a size, an offset or the entry count
 * needs it, UTF-8 names. Neither side ever seeks: the writer feeds a sink (the streaming
 * encryptor), the reader pulls from a source (the streaming decryptor) and checks everything a
 * local header claims against the bytes and then against the central directory.
 *
 * Private to upload: zip.c (writer), zip_read.c (reader), zip_name.c (name safety). */
#ifndef SOHOA_UPLOAD_ZIP_IMPL_H
#define SOHOA_UPLOAD_ZIP_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/core.h"
#include "stream_impl.h" /* up_sink_fn, up_source_fn: the same streams as the envelope's */

/* Why a name or an entry is refused. */
typedef enum {
    UP_ZIP_OK = 0,
    UP_ZIP_NAME_EMPTY,           /* "" */
    UP_ZIP_NAME_TOO_LONG,        /* more than UP_ZIP_NAME_MAX bytes */
    UP_ZIP_NAME_NOT_UTF8,        /* not valid UTF-8 (or non-ASCII without the UTF-8 flag) */
    UP_ZIP_NAME_CONTROL,         /* a control character (C0, DEL, C1) */
    UP_ZIP_NAME_ABSOLUTE,        /* starts with '/' */
    UP_ZIP_NAME_BACKSLASH,       /* a '\' anywhere */
    UP_ZIP_NAME_DRIVE,           /* 'C:' or any ':' (drive letters, NTFS streams) */
    UP_ZIP_NAME_DOTDOT,          /* a ".." component */
    UP_ZIP_NAME_EMPTY_COMPONENT, /* "a//b", "a/", "./a", "a/./b" */
    UP_ZIP_NAME_NOT_NFC,         /* differs from its Unicode NFC form */
    UP_ZIP_NAME_DUPLICATE,       /* the same name twice */
    UP_ZIP_NAME_CASE_COLLISION,  /* equal to another name once case-folded */
    UP_ZIP_NOT_REGULAR,          /* a directory, symbolic link, device or FIFO entry */
    UP_ZIP_METHOD,               /* compressed: only method 0 (stored) is accepted */
    UP_ZIP_ENCRYPTED,            /* the encryption flag */
    UP_ZIP_TOO_MANY,             /* more than UP_ZIP_ENTRIES_MAX entries */
    UP_ZIP_TRUNCATED,            /* the stream ends inside an entry or a record */
    UP_ZIP_SIZE_MISMATCH,        /* sizes disagree (local header, descriptor, actual bytes) */
    UP_ZIP_CRC_MISMATCH,         /* the data's CRC-32 is not the one recorded */
    UP_ZIP_CENTRAL_MISMATCH,     /* the central directory disagrees with the local headers */
    UP_ZIP_BAD_FORMAT,           /* not a ZIP record where one must be, trailing data, ... */
    UP_ZIP_REASON_COUNT
} up_zip_reason;

#define UP_ZIP_NAME_MAX 1024
#define UP_ZIP_ENTRIES_MAX 1000000u

/* An operator-facing description of reason (translated). */
const char *up_zip_reason_text(up_zip_reason reason);

/* Checks one name on its own (everything but duplicates and case collisions). */
up_zip_reason up_zip_name_check(const char *name, size_t len);

/* A set of accepted names, for duplicates and case collisions (NFC, then g_utf8_casefold). */
typedef struct up_zip_nameset up_zip_nameset;
up_zip_nameset *up_zip_nameset_new(void);
void up_zip_nameset_free(up_zip_nameset *set);
/* Checks name (up_zip_name_check, then against the set) and adds it when it is UP_ZIP_OK. */
up_zip_reason up_zip_nameset_add(up_zip_nameset *set, const char *name, size_t len);

/* ---------------------------------------------------------------------------------------------
 * Writer. Entries go out in the order they are added (the caller puts the tag files first).
 * Every call after a failure returns that failure again; nothing more reaches the sink.
 */
typedef struct up_zip_writer up_zip_writer;

/* NULL only when out of memory. */
up_zip_writer *up_zip_writer_new(up_sink_fn write, void *ctx);
/* Tests only: ZIP64 records and extra fields on every entry and at the end. */
void up_zip_writer_force_zip64(up_zip_writer *w);
/* One file of exactly size bytes, read from read(ctx) until it ends; a source that gives more
 * or fewer bytes (a file changing while read) is an error and leaves the ZIP unusable. */
SH_NODISCARD sh_status up_zip_add_file(up_zip_writer *w, const char *name, uint64_t size,
                                       time_t mtime, up_source_fn read, void *ctx, sh_error *err);
/* The same from an open file descriptor: the size from fstat, read from the current offset. */
SH_NODISCARD sh_status up_zip_add_fd(up_zip_writer *w, const char *name, int fd, time_t mtime,
                                     sh_error *err);
SH_NODISCARD sh_status up_zip_add_memory(up_zip_writer *w, const char *name, const void *data,
                                         size_t len, time_t mtime, sh_error *err);
/* The central directory and end records, and the last buffered bytes to the sink. */
SH_NODISCARD sh_status up_zip_finish(up_zip_writer *w, sh_error *err);
/* The CRC-32 of the last entry added (its bytes as they were read), 0 before any. */
uint32_t up_zip_writer_last_crc(const up_zip_writer *w);
/* Bytes given to the sink so far (after up_zip_finish: the ZIP's size). */
uint64_t up_zip_writer_bytes(const up_zip_writer *w);
void up_zip_writer_free(up_zip_writer *w);

/* ---------------------------------------------------------------------------------------------
 * Reader. Defects of the ZIP are SH_FINDINGS with up_zip_reader_reason() saying which; a failing
 * source passes its own status through; out of memory is SH_INTERNAL. Every call after a failure
 * returns it again.
 */
typedef struct up_zip_reader up_zip_reader;

typedef struct {
    const char *name; /* NUL-terminated, checked; valid until the next up_zip_next */
    uint64_t size;    /* as declared by the local header; checked against the bytes */
    time_t mtime;     /* from the DOS time, taken as UTC */
} up_zip_entry;

up_zip_reader *up_zip_reader_new(up_source_fn read, void *ctx);
/* The next entry (any unread data of the previous one is read and checked first). At the central
 * directory, checks it and the end records against everything seen, checks that the stream ends,
 * and sets *end: only then is the whole ZIP known to be sound. */
SH_NODISCARD sh_status up_zip_next(up_zip_reader *r, up_zip_entry *entry, bool *end, sh_error *err);
/* Data of the current entry; *got == 0 at its end, once its size and CRC-32 have been checked. */
SH_NODISCARD sh_status up_zip_read(up_zip_reader *r, void *buf, size_t cap, size_t *got,
                                   sh_error *err);
up_zip_reason up_zip_reader_reason(const up_zip_reader *r);
uint32_t up_zip_reader_count(const up_zip_reader *r);
void up_zip_reader_free(up_zip_reader *r);

#endif
