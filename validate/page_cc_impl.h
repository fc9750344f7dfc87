/* Shared by validate/page*.c only: the working image and its connected components. */
#ifndef SOHOA_VALIDATE_PAGE_CC_IMPL_H
#define SOHOA_VALIDATE_PAGE_CC_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "page_impl.h"

/* What a connected component of ink is taken for. */
enum {
    VD_CC_NOISE,  /* smaller than any letter: dust, a lone diacritic */
    VD_CC_TEXT,   /* letter- or word-sized: used for skew and orientation */
    VD_CC_LARGE,  /* a signature, a seal, a table frame, a rule */
    VD_CC_HOLE,   /* a punch hole: a filled disc 3.5-10 mm across */
    VD_CC_BORDER, /* touches the image's edge */
};

typedef struct {
    int x0, y0, x1, y1; /* bounding box, inclusive */
    int area;           /* ink pixels */
    int cls;            /* VD_CC_* */
} vd_cc;

typedef struct {
    int w, h;
    double ppi;     /* of the working image */
    uint8_t *grey;  /* w*h, reduced from the input */
    uint8_t *ink;   /* w*h, 1 = ink */
    int32_t *label; /* w*h, 0 = paper, else component index + 1 */
    vd_cc *cc;
    int ncc;
    int paper; /* the paper's grey level */
} vd_work;

/* page_prep.c: reduce, binarise, label and classify. False when out of memory. */
SH_NODISCARD bool vd_work_init(vd_work *wk, const vd_image *img);
void vd_work_free(vd_work *wk);
static inline double vd_mm(const vd_work *wk, double mm) { return mm * wk->ppi / 25.4; }

/* page_orient.c: skew and orientation from the text components. */
void vd_orient(const vd_work *wk, vd_page_result *out);

/* page_compare.c: a page's print (page.h), two layers of w × h pixels. Bit x of row y is bit
 * x % 64 of word [y * words + x / 64]; bits past w are 0. */
#define VD_PROFILE_LEVELS 3 /* the ink per 2, 4 and 16 rows (columns) */

typedef struct {
    int n[VD_PROFILE_LEVELS];
    int32_t *v[VD_PROFILE_LEVELS];
} vd_profile;

struct vd_page_print {
    int w, h, words;
    double px_per_mm;
    bool upright;          /* straightened by the page's own measured tilt */
    int ink;               /* pixels set in bits */
    uint64_t *bits;        /* the content's ink */
    uint64_t *near;        /* within a pixel of a mark, faint ones too */
    vd_profile rows, cols; /* marks, faint ones too, per row and per column (of the grid) */
    int gw, gh;            /* cells of CELL_W × CELL_H pixels (page_compare.c) */
    uint16_t *cell_ink;    /* ink of bits per cell, gw × gh */
};

/* The print of an analysed page (its tilt is in res); NULL when out of memory. */
vd_page_print *vd_print_make(const vd_work *wk, const vd_page_result *res);
/* The shortlist hash of a print (page.h: vd_page_result.phash). */
uint64_t vd_print_phash(const vd_page_print *p);

/* page_orient.c: the cues behind the decision, for the benchmark and tests. */
typedef struct {
    double axis_ratio; /* best horizontal / best vertical projection score */
    double asym;       /* ink above minus below the x-height band, -1..1, + = upright */
    double align;      /* left-edge minus right-edge alignment of lines, -1..1, + = upright */
    int lines;         /* text lines found */
} vd_orient_cues;
extern _Thread_local vd_orient_cues vd_last_cues;

#endif
