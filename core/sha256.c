/* Streaming SHA-256 through OpenSSL's EVP interface (it picks the SHA-NI / AVX2 code paths). */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Large enough to amortise syscalls, small enough to stay in L2 with the hash state. */
#define READ_CHUNK (256 * 1024)

sh_status sh_sha256_file(const char *path, uint8_t digest[SH_SHA256_LEN], sh_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot open %s"), path);
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        close(fd);
        return sh_fail(err, SH_INPUT, _("%s is a folder, not a file"), path);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    unsigned char *buf = malloc(READ_CHUNK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    sh_status status = SH_OK;
    if (!buf || !ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        status = sh_fail(err, SH_INTERNAL, _("cannot start SHA-256"));
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            status = sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    }
    if (EVP_DigestFinal_ex(ctx, digest, NULL) != 1)
        status = sh_fail(err, SH_INTERNAL, _("cannot finish SHA-256"));
out:
    EVP_MD_CTX_free(ctx);
    free(buf);
    close(fd);
    return status;
}

void sh_sha256_buf(const void *data, size_t len, uint8_t digest[SH_SHA256_LEN])
{
    unsigned int out_len = 0;
    EVP_Digest(data, len, digest, &out_len, EVP_sha256(), NULL);
}

void sh_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}
