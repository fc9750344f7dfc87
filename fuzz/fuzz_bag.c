/* A received bag's tag files are the sender's bytes: any of them must give findings (codes
 * receive.bag.*, UTF-8 messages) or a clean pass, never a crash, a leak or an unbounded read.
 * The input is the five tag files separated by NUL bytes (bagit.txt, bag-info.txt, the two
 * manifests, the tag manifest), checked against a fixed payload of two files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>

#include "bag_impl.h"

#define N_TAGS 5
static const char *const NAMES[N_TAGS] = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                                          "manifest-sha512.txt", "tagmanifest-sha512.txt"};
static const char *const PATHS[2] = {"data/DB01/001099012345_Nguyễn Văn A/01.Ly lich_signed.pdf",
                                     "data/DB01/b_signed.pdf"};
static const char *const CONTENT[2] = {"A", "BB"};

static void hex(const EVP_MD *md, const char *data, char *out)
{
    unsigned char d[64];
    unsigned n = 0;
    if (EVP_Digest(data, strlen(data), d, &n, md, NULL) != 1)
        abort();
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sink(const sh_finding *f, void *ctx)
{
    size_t *n = ctx;
    if (strncmp(f->code, "receive.bag.", 12) != 0 || !f->message ||
        !g_utf8_validate(f->message, -1, NULL))
        abort();
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static up_bag_entry payload[2];
    if (!payload[0].path)
        for (int i = 0; i < 2; i++) {
            payload[i].path = PATHS[i];
            payload[i].size = strlen(CONTENT[i]);
            hex(EVP_sha256(), CONTENT[i], payload[i].sha256);
            hex(EVP_sha512(), CONTENT[i], payload[i].sha512);
        }
    up_bag_tag tags[N_TAGS];
    size_t n_tags = 0;
    const char *p = (const char *)data, *end = p + size;
    while (n_tags < N_TAGS && p <= end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        const char *stop = nul ? nul : end;
        tags[n_tags] = (up_bag_tag){NAMES[n_tags], p, (size_t)(stop - p)};
        n_tags++;
        p = stop + 1;
    }
    size_t seen = 0, counted = 0;
    sh_error err;
    sh_status st = up_bag_check(tags, n_tags, payload, 2, sink, &seen, &counted, &err);
    if (seen != counted || (st == SH_OK) != (seen == 0) || (st != SH_OK && st != SH_FINDINGS))
        abort();
    return 0;
}
