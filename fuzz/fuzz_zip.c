/* The package ZIP reader (upload/zip_read.c) over arbitrary bytes, handed out in uneven chunks:
 * every input ends in a clean finding or a sound ZIP, never a crash, a hang or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "zip_impl.h"

typedef struct {
    const uint8_t *data;
    size_t size, at;
} source;

static sh_status give(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    (void)err;
    source *s = ctx;
    size_t n = s->size - s->at;
    /* Chunk sizes from the data itself, so that record boundaries fall anywhere. */
    size_t chunk = s->at < s->size ? 1 + (size_t)s->data[s->at] * 37 : 1;
    if (n > chunk)
        n = chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, s->data + s->at, n);
    s->at += n;
    *got = n;
    return SH_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    source s = {.data = data, .size = size};
    up_zip_reader *r = up_zip_reader_new(give, &s);
    if (r == NULL)
        return 0;
    sh_error err;
    unsigned char buf[4096];
    for (;;) {
        up_zip_entry e;
        bool end = false;
        if (up_zip_next(r, &e, &end, &err) != SH_OK || end)
            break;
        size_t got = 0;
        /* Leave every other entry unread: up_zip_next must drain and check it itself. */
        if (up_zip_reader_count(r) % 2 == 0)
            continue;
        while (up_zip_read(r, buf, sizeof buf, &got, &err) == SH_OK && got > 0)
            ;
    }
    up_zip_reader_free(r);
    return 0;
}
