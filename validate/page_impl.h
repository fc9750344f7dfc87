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
#ifndef SOHOA_VALIDATE_PAGE_IMPL_H
#define SOHOA_VALIDATE_PAGE_IMPL_H

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
    /* page.duplicate's shortlist: a 64-bit DCT hash of the content's ink, straightened and
     * centred on its centre of mass, in millimetres (so a rescan shifted on the glass, tilted,
     * or at another resolution hashes alike). Compare with vd_phash_distance: rescans of one
     * page differ by a few bits, and so do other pages of the same printed form, which
     * vd_compare_pages tells apart. 0 on a blank page. */
    uint64_t phash;
} vd_page_result;

#define VD_ROTATE_MIN_CONFIDENCE 0.5
#define VD_SKEW_RANGE 6.0
#define VD_SKEW_MIN_CONFIDENCE 0.5
#define VD_PHASH_SHORTLIST 12 /* hash distance at or under which two pages are compared */
#define VD_MAX_WORK_PX 2400   /* the working image's longer side at most */

/* Analyse one page. img->px must hold h rows of stride >= w bytes; w and h >= 1. Never fails:
 * on an image too small to analyse (or out of memory) the result says blank with confidence 0. */
void vd_analyse_page(const vd_image *img, vd_page_result *out);

/* ---- duplicates: is this page another scan of that sheet? (page_compare.c) ----
 *
 * A page's print is its content's ink (text, rules, marks; not dust, holes or the border),
 * straightened by its own measured tilt and laid on a grid of VD_PRINT_PX_PER_MM pixels per
 * millimetre (about 76 ppi: text lines and words stay apart). Two prints are compared by
 * registering one on the other (shift, rotation and scale, fitted from small blocks that match)
 * and then looking, cell by cell (10.7 × 5.3 mm, about one text line high), for ink of either
 * page that the other has nowhere within a pixel (a stroke one pixel thicker or thinner at 300
 * ppi, a darker or lighter scan, JPEG against G4 stay within it). Another scan of the same sheet
 * differs in no cell; another filling-in of the same printed form differs wherever the
 * handwriting differs: names, dates, table rows. */
typedef struct vd_page_print vd_page_print;

#define VD_PRINT_PX_PER_MM 3.0
#define VD_PRINT_MAX_PX 1600 /* a print's longer side at most: larger sheets get a coarser grid */

/* vd_analyse_page, and the page's print in *print (NULL for a blank page or when memory ran
 * out): about 75 KB for an A4 page, at most 330 KB. Free it with vd_page_print_free. */
void vd_analyse_page_print(const vd_image *img, vd_page_result *out, vd_page_print **print);
void vd_page_print_free(vd_page_print *print);

typedef struct {
    float x, y, w, h; /* a rectangle as fractions of a page's width and height, from top left */
} vd_page_area;

#define VD_MATCH_AREAS 4

typedef struct {
    bool duplicate;  /* one sheet scanned twice: confident (see vd_compare_pages) */
    bool registered; /* the two could be laid on each other; false: too little alike */
    int cells;       /* cells holding ink of either page that were compared */
    int differing;   /* cells where one page has ink the other has not (not counting specks) */
    int specks;      /* cells where one page has a speck of dust more: a solid dot under 2.3 mm */
    int unseen;      /* cells with ink of a that fall outside b's picture */
    int worst;       /* the most unmatched ink in one cell, in print pixels */
    double dx_mm, dy_mm; /* where a's centre lies on b, from b's centre */
    double angle_deg;    /* b's content turned against a's, counter-clockwise positive */
    double scale;        /* b's size against a's */
    /* Where they differ (the first VD_MATCH_AREAS differing cells), on a and on b. */
    vd_page_area on_a[VD_MATCH_AREAS], on_b[VD_MATCH_AREAS];
    int n_areas;
} vd_page_match;

#define VD_MATCH_MIN_CELLS 24 /* a page with less content is never called a duplicate */
#define VD_MATCH_MAX_SPECKS 2 /* specks a duplicate may differ by */
#define VD_MATCH_NEAR 3       /* differing cells at most of a pair that is worth a look */

/* Compare two prints. The result says duplicate only when they were registered, at least
 * VD_MATCH_MIN_CELLS cells were compared, at least nine tenths of a's content lay within b's
 * picture, and no cell differs but by at most VD_MATCH_MAX_SPECKS specks. It stops counting at
 * a few differing cells. Returns m->duplicate. Thread-safe; about 0.1 ms for pages that differ,
 * 0.5 ms for a duplicate (A4). */
bool vd_compare_pages(const vd_page_print *a, const vd_page_print *b, vd_page_match *m);

/* Not a duplicate, but alike but for a few places (VD_MATCH_NEAR differing cells at most, or
 * more specks than a duplicate may have): worth a person's look, not a removal. */
bool vd_match_is_near(const vd_page_match *m);

/* Number of differing bits between two hashes (0..64). */
int vd_phash_distance(uint64_t a, uint64_t b);

#endif
