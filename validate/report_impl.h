/* validate's private report helpers (report_html.c, report_png.c). */
#ifndef SOHOA_VALIDATE_REPORT_IMPL_H
#define SOHOA_VALIDATE_REPORT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* PNG (8-bit grey) of a w × h picture, in memory, for the HTML's data: URIs. g_free() *png. */
SH_NODISCARD sh_status vd_png_grey(const uint8_t *px, uint32_t w, uint32_t h, uint32_t stride,
                                   uint8_t **png, size_t *len, sh_error *err);

#endif
