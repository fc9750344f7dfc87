/* The end of pack's stream: the envelope's bytes gathered into 1 MiB buffers and handed to a
 * writer thread that hashes them (the volume's SHA-256, which the ledger records) and writes
 * them into the hidden temp file. Encryption and hashing then run on both cores, and OpenSSL's
 * streaming BIO, which hands its output over in pieces of about 2 KiB, costs no write call per
 * piece. Memory: SINK_BUFFERS buffers, whatever the size of the volume. */
#include "pack_impl.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>

#define SINK_BUF (1u << 20)
#define SINK_BUFFERS 4

typedef struct {
    uint8_t *data;
    size_t used;
} sink_buffer;

struct up_cipher_sink {
    sh_atomic_file *file;
    GAsyncQueue *full, *empty; /* sink_buffer *; STOP in full ends the writer */
    sink_buffer buffers[SINK_BUFFERS];
    sink_buffer *cur;
    GThread *thread;
    gint failed;        /* set by the writer: the producer stops handing over */
    uint64_t bytes;     /* given by the producer */
    EVP_MD_CTX *sha256; /* the writer's */
    sh_status status;   /* the writer's, read after the join */
    sh_error err;
};

static sink_buffer STOP;

static gpointer writer_main(gpointer arg)
{
    up_cipher_sink *s = arg;
    for (;;) {
        sink_buffer *b = g_async_queue_pop(s->full);
        if (b == &STOP)
            break;
        if (s->status == SH_OK) {
            if (EVP_DigestUpdate(s->sha256, b->data, b->used) != 1)
                s->status = sh_fail(&s->err, SH_INTERNAL, _("out of memory"));
            else
                s->status = sh_atomic_write(s->file, b->data, b->used, &s->err);
            if (s->status != SH_OK)
                g_atomic_int_set(&s->failed, 1);
        }
        b->used = 0;
        g_async_queue_push(s->empty, b);
    }
    return NULL;
}

up_cipher_sink *up_cipher_sink_new(sh_atomic_file *file, sh_error *err)
{
    up_cipher_sink *s = g_new0(up_cipher_sink, 1);
    s->file = file;
    s->full = g_async_queue_new();
    s->empty = g_async_queue_new();
    s->sha256 = EVP_MD_CTX_new();
    bool ok = s->sha256 && EVP_DigestInit_ex(s->sha256, EVP_sha256(), NULL) == 1;
    for (int i = 0; i < SINK_BUFFERS && ok; i++) {
        s->buffers[i].data = malloc(SINK_BUF);
        ok = s->buffers[i].data != NULL;
        if (ok && i > 0)
            g_async_queue_push(s->empty, &s->buffers[i]);
    }
    s->cur = &s->buffers[0];
    if (ok)
        s->thread = g_thread_try_new("sohoa-pack-writer", writer_main, s, NULL);
    if (!ok || !s->thread) {
        up_cipher_sink_free(s);
        sh_fail(err, SH_INTERNAL, _("out of memory"));
        return NULL;
    }
    return s;
}

static sh_status writer_failed(up_cipher_sink *s, sh_error *err)
{
    /* Only the writer's own message: the producer stops at once, the writer's status says why
     * (read once the writer has been joined, or here through the atomic flag's barrier). */
    if (err)
        *err = s->err;
    return s->status != SH_OK ? s->status : SH_INTERNAL;
}

static void hand_over(up_cipher_sink *s)
{
    g_async_queue_push(s->full, s->cur);
    s->cur = g_async_queue_pop(s->empty);
}

sh_status up_cipher_sink_write(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    up_cipher_sink *s = ctx;
    if (g_atomic_int_get(&s->failed))
        return writer_failed(s, err);
    s->bytes += len;
    while (len > 0) {
        size_t n = SINK_BUF - s->cur->used < len ? SINK_BUF - s->cur->used : len;
        memcpy(s->cur->data + s->cur->used, buf, n);
        s->cur->used += n;
        buf += n;
        len -= n;
        if (s->cur->used == SINK_BUF)
            hand_over(s);
    }
    return SH_OK;
}

/* Stop the writer (after the last buffer) and wait for it. */
static void join(up_cipher_sink *s)
{
    if (!s->thread)
        return;
    g_async_queue_push(s->full, &STOP);
    g_thread_join(s->thread);
    s->thread = NULL;
}

sh_status up_cipher_sink_finish(up_cipher_sink *s, char sha256[SH_SHA256_HEX_LEN + 1],
                                uint64_t *bytes, sh_error *err)
{
    if (s->cur->used > 0)
        hand_over(s);
    join(s);
    if (s->status != SH_OK)
        return writer_failed(s, err);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    SH_IGNORE_RESULT(EVP_DigestFinal_ex(s->sha256, md, &n));
    sh_hex(md, n, sha256);
    *bytes = s->bytes;
    return SH_OK;
}

void up_cipher_sink_free(up_cipher_sink *s)
{
    if (!s)
        return;
    join(s);
    for (int i = 0; i < SINK_BUFFERS; i++)
        free(s->buffers[i].data);
    g_async_queue_unref(s->full);
    g_async_queue_unref(s->empty);
    EVP_MD_CTX_free(s->sha256);
    g_free(s);
}
