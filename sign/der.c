/* der.c — the DER writer of der.h. */
#include "der_impl.h"

#include <string.h>

size_t sg_der_header_size(size_t len)
{
    size_t n = 2; /* tag and the first length byte */
    if (len >= 0x80)
        for (size_t v = len; v; v >>= 8)
            n++;
    return n;
}

void sg_der_put_header(GByteArray *out, uint8_t tag, size_t len)
{
    uint8_t h[2 + sizeof(size_t)];
    size_t n = 0;
    h[n++] = tag;
    if (len < 0x80) {
        h[n++] = (uint8_t)len;
    } else {
        size_t bytes = sg_der_header_size(len) - 2;
        h[n++] = (uint8_t)(0x80 | bytes);
        for (size_t i = bytes; i > 0; i--)
            h[n++] = (uint8_t)(len >> (8 * (i - 1)));
    }
    g_byte_array_append(out, h, (guint)n);
}

void sg_der_put(GByteArray *out, uint8_t tag, const uint8_t *content, size_t len)
{
    sg_der_put_header(out, tag, len);
    if (len)
        g_byte_array_append(out, content, (guint)len);
}

void sg_der_put_raw(GByteArray *out, const uint8_t *der, size_t len)
{
    if (len)
        g_byte_array_append(out, der, (guint)len);
}

void sg_der_put_wrapped(GByteArray *out, uint8_t tag, GByteArray *content)
{
    sg_der_put(out, tag, content->data, content->len);
    g_byte_array_free(content, TRUE);
}

void sg_der_put_small_int(GByteArray *out, uint8_t v)
{
    /* A value with the high bit set needs a leading zero to stay positive. */
    if (v & 0x80) {
        const uint8_t b[2] = {0, v};
        sg_der_put(out, DER_INTEGER, b, 2);
    } else {
        sg_der_put(out, DER_INTEGER, &v, 1);
    }
}

bool sg_der_element_header(const uint8_t *d, size_t len, size_t *hdr)
{
    if (!d || len < 2)
        return false;
    size_t n = 2, v = d[1];
    if (v & 0x80) {
        size_t bytes = v & 0x7f;
        if (bytes == 0 || bytes > sizeof(size_t) || len < 2 + bytes)
            return false; /* indefinite, or longer than anything here */
        v = 0;
        for (size_t i = 0; i < bytes; i++)
            v = (v << 8) | d[2 + i];
        n += bytes;
    }
    *hdr = n;
    return v == len - n;
}

static gint set_order(gconstpointer a, gconstpointer b)
{
    const GByteArray *x = *(GByteArray *const *)a, *y = *(GByteArray *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    if (c)
        return c;
    /* Equal up to the shorter one: the longer is greater unless it goes on with zeros only. */
    const GByteArray *longer = x->len > y->len ? x : y;
    for (size_t i = n; i < longer->len; i++)
        if (longer->data[i])
            return longer == x ? 1 : -1;
    return 0;
}

void sg_der_sort_set(GPtrArray *elements) { g_ptr_array_sort(elements, set_order); }
