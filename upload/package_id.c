/* Package IDs: ULIDs (https://github.com/ulid/spec), upper-case Crockford base 32. */
#include "upload/upload.h"

#include <string.h>

#include <openssl/rand.h>

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

sh_status up_package_id_new(int64_t unix_ms, char out[UP_PACKAGE_ID_LEN + 1], sh_error *err)
{
    if (unix_ms < 0 || (uint64_t)unix_ms >= (UINT64_C(1) << 48))
        return sh_fail(err, SH_INTERNAL, "package ID: time %lld out of range", (long long)unix_ms);
    uint8_t bytes[16];
    for (int i = 0; i < 6; i++)
        bytes[i] = (uint8_t)((uint64_t)unix_ms >> (8 * (5 - i)));
    if (RAND_bytes(bytes + 6, 10) != 1)
        return sh_fail(err, SH_INTERNAL, "package ID: the random source failed");
    /* 128 bits as 26 digits of 5 bits, the first digit holding the top 3 bits only. */
    for (int d = 0; d < UP_PACKAGE_ID_LEN; d++) {
        int bit = d == 0 ? 0 : 3 + 5 * (d - 1); /* first bit of this digit, from the top */
        int width = d == 0 ? 3 : 5;
        unsigned v = 0;
        for (int b = 0; b < width; b++) {
            int at = bit + b;
            v = (v << 1) | ((bytes[at / 8] >> (7 - at % 8)) & 1u);
        }
        out[d] = ALPHABET[v];
    }
    out[UP_PACKAGE_ID_LEN] = '\0';
    return SH_OK;
}

bool up_package_id_valid(const char *text)
{
    if (!text || strlen(text) != UP_PACKAGE_ID_LEN || text[0] > '7')
        return false;
    for (const char *p = text; *p; p++)
        if (!strchr(ALPHABET, *p))
            return false;
    return true;
}
