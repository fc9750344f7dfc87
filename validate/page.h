/* Page analysis on a pixel buffer, for sohoa validate (module-internal, not the public API).
 *
 * One call looks at one scanned page and measures what the page checks need: is it blank, which
 * way up is it, how much is it tilted, does content run off an edge or is a corner missing, and a
 * perceptual hash to find rescanned duplicates. Text pages are Vietnamese: the orientation does
 * not use Latin ascender/descender templates (stacked diacritics defeat them) but text-line
 * statistics that hold for any left-aligned script with marks above the x-height band.
 *
 * Time and memory are bounded: the page is first reduced to 100-200 ppi (and at most
 * VD_MAX_WORK_PX on its longer side), so a 300 ppi A4 page costs a few milliseconds and about
 * 6 bytes per working pixel. Thread-safe: no global state.
 */
#ifndef SOHOA_VALIDATE_PAGE_H
#define SOHOA_VALIDATE_PAGE_H

#include <stdbool.h>
#include <stdint.h>

/* An 8-bit grey image, 0 black, 255 white; rows are stride bytes apart. ppi <= 0: unknown (the
 * longer side is then taken as A4's 297 mm). The caller converts bilevel and colour pages. */
typedef struct {
    uint32_t w, h;
    uint32_t stride;
    const uint8_t *px;
    double ppi;
} vd_image;

/* Edges, in image coordinates as given (not after the rotation below). */
enum { VD_EDGE_TOP = 1, VD_EDGE_RIGHT = 2, VD_EDGE_BOTTOM = 4, VD_EDGE_LEFT = 8 };
/* Corners. */
enum {
    VD_CORNER_NONE = 0,
    VD_CORNER_TOP_LEFT = 1,
    VD_CORNER_TOP_RIGHT = 2,
    VD_CORNER_BOTTOM_RIGHT = 3,
    VD_CORNER_BOTTOM_LEFT = 4
};

#define VD_INKMAP 128 /* cells of the ink map, each way: a multiple of 32 (the hash's grid) */
_Static_assert(VD_INKMAP % 32 == 0, "the hash sums whole blocks of the ink map");

typedef struct {
    /* page.blank: no content once dust, punch holes and dark border strips are set aside.
     * ink_ratio: the content's share of the page's pixels (0 on a blank page). */
    bool blank;
    double ink_ratio;
    /* page.rotated: clockwise degrees (0, 90, 180, 270) that turn the image upright, the same
     * sense as a PDF page's /Rotate. Confidence 0..1; 0 on blank pages and pages without text.
     * Report a rotation only at >= VD_ROTATE_MIN_CONFIDENCE. */
    int rotate;
    double rotate_confidence;
    /* page.skewed: the text lines' tilt in degrees, counter-clockwise positive (rotate the image
     * clockwise by skew_deg to straighten it); measured within +-VD_SKEW_RANGE. Confidence 0..1
     * grows with the number of text lines and the sharpness of the best angle: a page with one
     * line and a slanted signature gets a low one. Report at >= VD_SKEW_MIN_CONFIDENCE. */
    double skew_deg;
    double skew_confidence;
    /* page.cropped: edges that content runs off (VD_EDGE_* bits); a dark strip along an edge
     * (the scanner lid) is not content. corner_missing: a dark triangle over a page corner,
     * corner one of VD_CORNER_*. */
    bool cropped;
    int cropped_edges;
    bool corner_missing;
    int corner;
    /* page.duplicate: a 64-bit DCT hash of the content's ink (32x32 over the content's bounding
     * box, so a rescan shifted on the glass or at another resolution hashes alike). Compare with
     * vd_phash_distance; rescans of one page differ by a few bits, different pages of the same
     * printed form by more (see VD_PHASH_DUPLICATE). */
    uint64_t phash;
    /* The ink map the hash is made from (VD_INKMAP² cells over the content, about 1.5 mm each
     * on an A4 page, 0..255): a hash match is confirmed with vd_inkmap_similarity, which tells
     * different pages of one printed form apart where the 64-bit hash cannot. All zero on a
     * blank page. */
    uint8_t inkmap[VD_INKMAP * VD_INKMAP];
} vd_page_result;

#define VD_ROTATE_MIN_CONFIDENCE 0.5
#define VD_SKEW_RANGE 6.0
#define VD_SKEW_MIN_CONFIDENCE 0.5
#define VD_PHASH_DUPLICATE 6 /* hash distance at or under which two pages may be one rescanned */
#define VD_INKMAP_DUPLICATE 0.905 /* ink-map similarity from which they are (page-analysis.md) */
#define VD_MAX_WORK_PX 2400       /* the working image's longer side at most */

/* Analyse one page. img->px must hold h rows of stride >= w bytes; w and h >= 1. Never fails:
 * on an image too small to analyse (or out of memory) the result says blank with confidence 0. */
void vd_analyse_page(const vd_image *img, vd_page_result *out);

/* Number of differing bits between two hashes (0..64). */
int vd_phash_distance(uint64_t a, uint64_t b);
/* Correlation of two ink maps, each blurred over 3 × 3 cells, -1..1 (0 when either is flat):
 * rescans of a page score 0.92 and more, other pages of the same form 0.89 at most on the
 * labelled corpus (docs/page-analysis.md). */
double vd_inkmap_similarity(const uint8_t *a, const uint8_t *b);

#endif
