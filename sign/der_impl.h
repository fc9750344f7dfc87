/* der.h — private to sign/: a tiny DER writer for the CMS of cms.c. Values are built bottom-up:
 * an element's content is made first in its own GByteArray, then wrapped with its tag and its
 * definite length, so every length is exact by construction. */
#ifndef SOHOA_SIGN_DER_IMPL_H
#define SOHOA_SIGN_DER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "core/core.h"

#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CTX0 0xA0 /* [0], constructed */
#define DER_CTX4 0xA4 /* [4], constructed: GeneralName's directoryName */

/* The bytes a tag and a definite length of len take. */
size_t sg_der_header_size(size_t len);
/* Append the tag and the definite length len. */
void sg_der_put_header(GByteArray *out, uint8_t tag, size_t len);
/* Append a whole element: tag, length, content. */
void sg_der_put(GByteArray *out, uint8_t tag, const uint8_t *content, size_t len);
/* Append raw bytes that are already DER (an element made elsewhere). */
void sg_der_put_raw(GByteArray *out, const uint8_t *der, size_t len);
/* Append content wrapped as one element, then free content. */
void sg_der_put_wrapped(GByteArray *out, uint8_t tag, GByteArray *content);
/* Append the small non-negative INTEGER v. */
void sg_der_put_small_int(GByteArray *out, uint8_t v);
/* Is d[0..len) exactly one element with a definite length? Its header's size in *hdr. */
SH_NODISCARD bool sg_der_element_header(const uint8_t *d, size_t len, size_t *hdr);
/* Sort elements (each one whole DER element) into DER SET OF order (X.690 11.6): as octet
 * strings, a shorter one padded with trailing zeros. */
void sg_der_sort_set(GPtrArray *elements);

#endif
