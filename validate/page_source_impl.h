/* The picture of one page that the page analysis looks at (module-internal): grey, upright as a
 * reader sees the page (its /Rotate and the scan's placement applied), at about VD_WORK_PPI.
 *
 * A page that is one scanned image is decoded straight from that image at the reduced size
 * (page_image.c: a few ms); any other page is rendered by Poppler (100 ms and more). Either way
 * the scan's own resolution is measured from its pixels and its placed size, for page.low_dpi.
 * One vd_page_source per document per thread: neither reader is thread-safe. */
#ifndef SOHOA_VALIDATE_PAGE_SOURCE_IMPL_H
#define SOHOA_VALIDATE_PAGE_SOURCE_IMPL_H

#include <stdint.h>

#include "core/core.h"
#include "pdf/pdf.h"

/* The analysis was measured at 100-150 ppi; at 100 it missed a rotation and a duplicate on the
 * corpus, 150 costs a third more time for the same results (docs/page-analysis.md). */
#define VD_WORK_PPI 125.0
#define VD_DECODE_MEM_LIMIT ((uint64_t)384 << 20) /* a 35000 × 35000 JBIG2 page needs 153 MB */

typedef struct {
    const char *path;
    pdf_reader *reader; /* opened on first use; NULL when it failed */
    bool reader_tried;
    pdf_doc *doc; /* Poppler, for rendering; opened on first use */
    bool doc_tried;
} vd_page_source;

typedef struct {
    uint8_t *px; /* w × h grey, 0 black, rows w bytes apart; g_free() */
    uint32_t w, h;
    double ppi;       /* of this picture */
    double image_ppi; /* the scan's resolution (the lower of its two axes); 0: no scan on it */
} vd_page_pixels;

/* Page `index` (0-based) of src->path. On failure err says what is wrong with the page (its data
 * is damaged, it cannot be rendered) in words for the operator. */
SH_NODISCARD sh_status vd_page_load(vd_page_source *src, int index, vd_page_pixels *out,
                                    sh_error *err);
void vd_page_source_close(vd_page_source *src);

#endif
