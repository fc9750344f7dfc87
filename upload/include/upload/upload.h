/* upload — packages and their delivery (DESIGN.md, issues 15 and 16): signed dossiers packed as
 * BagIt bags in a stored ZIP, the tag manifest signed with the organisation's key, the whole
 * encrypted to the receivers' certificates (CMS AuthEnvelopedData, AES-256-GCM); their full
 * check at the receiving end; their transfer (tus over libcurl, removable media) and receipts.
 *
 * Built so far (issue 15 in progress): package identifiers (here), and the private parts pack
 * and receive will be assembled from: the stored ZIP, written and read as streams (zip_impl.h),
 * the CMS AuthEnvelopedData encrypted and decrypted as streams (envelope_impl.h), the BagIt tag
 * files written and checked (bag_impl.h). */
#ifndef SOHOA_UPLOAD_H
#define SOHOA_UPLOAD_H

#include <stdint.h>

#include "core/core.h"

/* A package ID: a ULID (26 characters of Crockford's base 32: 48 bits of milliseconds since
 * 1970, then 80 random bits), so that IDs sort by the time they were made and need no
 * coordination between stations. */
#define UP_PACKAGE_ID_LEN 26

/* A new ID for the time unix_ms, from the operating system's random source. */
SH_NODISCARD sh_status up_package_id_new(int64_t unix_ms, char out[UP_PACKAGE_ID_LEN + 1],
                                         sh_error *err);
/* Is text a package ID as up_package_id_new writes them (upper case, the time in range)? */
bool up_package_id_valid(const char *text);

#endif
