/* stamp_impl.h — private to stamp.c, stamp_font.c and stamp_seal.c: the pieces of the visible
 * stamp that sg_stamp_new prepares once per batch (the font subset, the seal's planes), so that
 * sg_stamp_write only copies bytes. */
#ifndef SOHOA_SIGN_STAMP_IMPL_H
#define SOHOA_SIGN_STAMP_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "core/core.h"
#include "pdf/pdf.h"

/* Bytes compressed with zlib (what /FlateDecode reads); raw_len: before compression. */
typedef struct {
    uint8_t *data; /* g_malloc */
    size_t len, raw_len;
} sg_zbytes;

SH_NODISCARD sh_status sg_zcompress(const void *data, size_t len, sg_zbytes *out, sh_error *err);
void sg_zbytes_clear(sg_zbytes *z);

/* ---- text and font (stamp_font.c) ---- */

/* UTF-8 → code points in NFC (canonical decomposition, ordering, composition), white space as
 * plain spaces and control characters dropped, appended to cps (a GArray of uint32_t). False
 * when s is not UTF-8. */
SH_NODISCARD bool sg_text_nfc(const char *s, GArray *cps);

/* One character of the subset: its code (the subset's glyph id, the CID) and advance. */
typedef struct {
    uint32_t cp;
    uint16_t code;
    uint16_t width; /* 1/1000 em */
} sg_glyph;

typedef struct {
    sg_glyph *glyphs; /* sorted by cp */
    size_t n_glyphs;
    char base_font[96]; /* "ABCDEF+DejaVuSans": the subset tag and the PostScript name */
    GString *widths;    /* the CIDFont's /W array, "[0 [600 …]]" */
    sg_zbytes file;     /* the subset TrueType font, /FontFile2 */
    sg_zbytes tounicode;
    int bbox[4];                     /* 1/1000 em */
    int ascent, descent, cap_height; /* 1/1000 em; descent negative */
} sg_font_subset;

/* Subset the font at path to the characters cps[0..n) (NFC code points, duplicates allowed).
 * SH_INPUT naming the font when it cannot be read or used, or lacks one of the characters. */
SH_NODISCARD sh_status sg_font_subset_make(const char *path, const uint32_t *cps, size_t n,
                                           sg_font_subset *out, sh_error *err);
void sg_font_subset_clear(sg_font_subset *f);
/* The glyph of cp in the subset; NULL when it is not there. */
const sg_glyph *sg_font_lookup(const sg_font_subset *f, uint32_t cp);
/* The subset's objects in w (stamp.c): the Type0 font as object type0 (reserved by the caller),
 * its CIDFontType2, descriptor, /FontFile2 and ToUnicode. For the stamp and sg_text_font. */
void sg_font_subset_write(const sg_font_subset *f, pdf_writer *w, int type0);

/* ---- the seal image (stamp_seal.c) ---- */

#define SG_SEAL_MAX_SIDE 4000           /* pixels, either side */
#define SG_SEAL_MAX_DECODED (64u << 20) /* bytes of decoded samples */
#define SG_SEAL_DEFAULT_PPI 300.0

typedef struct {
    uint32_t width, height;     /* pixels */
    double width_pt, height_pt; /* its actual size: pixels / ppi × 72 */
    sg_zbytes rgb;              /* 8-bit DeviceRGB samples */
    sg_zbytes alpha;            /* 8-bit DeviceGray /SMask; len 0 when the seal is opaque */
} sg_seal;

/* Decode the PNG at path (any colour type and depth). SH_INPUT naming the file when it cannot be
 * read, is not a PNG, is damaged or too large. */
SH_NODISCARD sh_status sg_seal_load(const char *path, sg_seal *out, sh_error *err);
void sg_seal_clear(sg_seal *s);

#endif
