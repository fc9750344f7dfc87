/* `sohoa receive` decrypts packages from anywhere: any bytes given to the envelope decryptor must
 * give plaintext or an error, never a crash, a leak or a hang; and no forged envelope may pass
 * (the corpus's valid envelopes are to the fixed fuzzing key below, a P-256 key made only for
 * this). The plaintext of a failed call is counted, as a caller would discard it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "envelope_impl.h"

static const char KEY_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg38Yu75ZeAIOA/Qb1\n"
                              "saLbf+7KTMjRvxIncq8TwDW4LDihRANCAATvy9KxgmhvaAN9n4NYuZvr+yU4tJ0k\n"
                              "ZstBBrU+xdyNuDtVGS742LOc3fuoOJEs+NWDVCwhcjO8qEZsLjN8jjtz\n"
                              "-----END PRIVATE KEY-----\n";

static const char CERT_PEM[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBfjCCASegAwIBAgIUNwsTjgr5C82GxhSpOdfn0ikbB0MwCgYIKoZIzj0EAwIw\n"
                               "FTETMBEGA1UEAwwKc29ob2EtZnV6ejAgFw0yNjEyMDYwNzE0MzBaGA8yMTI2MTEx\n"
                               "MjA3MTQzMFowFTETMBEGA1UEAwwKc29ob2EtZnV6ejBZMBMGByqGSM49AgEGCCqG\n"
                               "SM49AwEHA0IABO/L0rGCaG9oA32fg1i5m+v7JTi0nSRmy0EGtT7F3I24O1UZLvjY\n"
                               "s5zd+6g4kSz41YNULCFyM7yoRmwuM3yOO3OjUzBRMB0GA1UdDgQWBBTtVFZc/caY\n"
                               "hZv93NCVcKZFyM9uQjAfBgNVHSMEGDAWgBTtVFZc/caYhZv93NCVcKZFyM9uQjAP\n"
                               "BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0UAMEICIE5GXo22ASm7WrOhplH8\n"
                               "tstP3eKmqq1p0fCVnJ548V/LAh4OBRBa4YuTw5uhF/TSO/BYNmwMJdEhGvViSsJN\n"
                               "Emk=\n"
                               "-----END CERTIFICATE-----\n";

static X509 *cert;
static EVP_PKEY *key;

typedef struct {
    const uint8_t *data;
    size_t len, pos;
} source;

static sh_status read_bytes(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    (void)err;
    source *s = ctx;
    size_t n = s->len - s->pos < cap ? s->len - s->pos : cap;
    n = n > 1000 ? 1000 : n; /* small reads, so that pieces end anywhere */
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    *got = n;
    return SH_OK;
}

static sh_status count_bytes(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    (void)buf;
    (void)err;
    *(size_t *)ctx += len;
    return SH_OK;
}

static void *load(const char *pem, bool is_key)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    void *obj = !b       ? NULL
                : is_key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
                         : (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!obj)
        abort();
    return obj;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cert) {
        cert = load(CERT_PEM, false);
        key = load(KEY_PEM, true);
    }
    source s = {data, size, 0};
    size_t plain = 0;
    sh_error err;
    sh_status st = up_envelope_decrypt(read_bytes, &s, cert, key, count_bytes, &plain, &err);
    if (st == SH_OK && plain + 40 > size)
        abort(); /* an envelope is always larger than its content */
    if (st != SH_OK && st != SH_INPUT)
        abort(); /* malformed input is the input's fault, not an internal error */
    return 0;
}
