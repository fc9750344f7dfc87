/* Time sh_sha256_file over one file: the hash every document gets at validate, sign and pack. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/core.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_sha256 FILE REPEATS\n");
        return 2;
    }
    int repeats = atoi(argv[2]);
    uint8_t digest[SH_SHA256_LEN];
    char hex[SH_SHA256_HEX_LEN + 1];
    sh_error err;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < repeats; i++)
        if (sh_sha256_file(argv[1], digest, &err) != SH_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 3;
        }
    clock_gettime(CLOCK_MONOTONIC, &b);
    sh_hex(digest, sizeof digest, hex);
    printf("%s %.4f\n", hex, ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9) / repeats);
    return 0;
}
