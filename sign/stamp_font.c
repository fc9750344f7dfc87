/* The stamp's font: the text in NFC, the glyphs it needs, and a TrueType subset of them made
 * with HarfBuzz, embedded as a CIDFontType2 (Identity: each glyph's new id is its CID and its
 * two-byte code) with its widths and a ToUnicode map so that the text extracts as it was typed.
 * Everything here runs once per batch. */
#include "stamp_impl.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hb-ot.h>
#include <hb-subset.h>
#include <hb.h>

#define FONT_MAX_BYTES ((size_t)64 << 20)
#define DECOMPOSE_DEPTH 8 /* Unicode's canonical decompositions are at most 4 deep */

/* ---- NFC ---- */

static void decompose(hb_unicode_funcs_t *uf, hb_codepoint_t c, GArray *out, int depth)
{
    hb_codepoint_t a = 0, b = 0;
    if (depth < DECOMPOSE_DEPTH && hb_unicode_decompose(uf, c, &a, &b)) {
        decompose(uf, a, out, depth + 1);
        if (b)
            decompose(uf, b, out, depth + 1);
        return;
    }
    uint32_t v = c;
    g_array_append_val(out, v);
}

/* Canonical ordering: marks between two starters sorted by combining class, stably. */
static void reorder(hb_unicode_funcs_t *uf, uint32_t *c, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        unsigned ci = hb_unicode_combining_class(uf, c[i]);
        for (size_t j = i; ci != 0 && j > 0; j--) {
            unsigned cj = hb_unicode_combining_class(uf, c[j - 1]);
            if (cj <= ci)
                break;
            uint32_t t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
    }
}

/* Canonical composition (UAX #15): each character joins the last starter unless blocked. */
static void compose(hb_unicode_funcs_t *uf, const uint32_t *c, size_t n, GArray *out)
{
    long starter = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned cc = hb_unicode_combining_class(uf, c[i]);
        if (starter >= 0) {
            long last = (long)out->len - 1;
            unsigned last_cc = hb_unicode_combining_class(uf, g_array_index(out, uint32_t, last));
            bool blocked = last != starter && (last_cc == 0 || last_cc >= cc);
            hb_codepoint_t ab;
            if (!blocked &&
                hb_unicode_compose(uf, g_array_index(out, uint32_t, starter), c[i], &ab)) {
                g_array_index(out, uint32_t, starter) = ab;
                continue;
            }
        }
        if (cc == 0)
            starter = (long)out->len;
        g_array_append_val(out, c[i]);
    }
}

bool sg_text_nfc(const char *s, GArray *cps)
{
    if (!s || !g_utf8_validate(s, -1, NULL))
        return false;
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    GArray *d = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        decompose(uf, g_utf8_get_char(p), d, 0);
    reorder(uf, (uint32_t *)(void *)d->data, d->len);
    guint from = cps->len;
    compose(uf, (const uint32_t *)(const void *)d->data, d->len, cps);
    g_array_free(d, TRUE);
    /* A line break or a tab in a name is a space on the stamp; other controls have no glyph. */
    guint to = from;
    for (guint i = from; i < cps->len; i++) {
        uint32_t c = g_array_index(cps, uint32_t, i);
        if (g_unichar_isspace(c))
            c = ' ';
        else if (g_unichar_type(c) == G_UNICODE_CONTROL)
            continue;
        g_array_index(cps, uint32_t, to++) = c;
    }
    g_array_set_size(cps, to);
    return true;
}

/* ---- the font ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_glyph_cp(const void *a, const void *b)
{
    return cmp_u32(&((const sg_glyph *)a)->cp, &((const sg_glyph *)b)->cp);
}

const sg_glyph *sg_font_lookup(const sg_font_subset *f, uint32_t cp)
{
    sg_glyph key = {.cp = cp};
    return bsearch(&key, f->glyphs, f->n_glyphs, sizeof key, cmp_glyph_cp);
}

static int to_1000(double units, unsigned upem) { return (int)lround(units * 1000.0 / upem); }

static int16_t be16(const char *p)
{
    return (int16_t)(uint16_t)((unsigned)(uint8_t)p[0] << 8 | (uint8_t)p[1]);
}

/* The PostScript name, reduced to characters a PDF name takes without escapes. */
static void postscript_name(hb_face_t *face, char *out, size_t size)
{
    char name[64] = "";
    unsigned len = sizeof name;
    hb_ot_name_get_utf8(face, HB_OT_NAME_ID_POSTSCRIPT_NAME, HB_LANGUAGE_INVALID, &len, name);
    size_t o = 0;
    for (const char *p = name; *p && o + 1 < size; p++)
        if (g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.')
            out[o++] = *p;
    out[o] = '\0';
    if (o == 0)
        g_strlcpy(out, "Font", size);
}

/* Bounding box, ascent, descent and cap height, in 1/1000 em, for the font descriptor. */
static void metrics(hb_face_t *face, hb_font_t *font, unsigned upem, sg_font_subset *out)
{
    hb_blob_t *head = hb_face_reference_table(face, HB_TAG('h', 'e', 'a', 'd'));
    unsigned hlen = 0;
    const char *h = hb_blob_get_data(head, &hlen);
    if (h && hlen >= 54) {
        for (int i = 0; i < 4; i++)
            out->bbox[i] = to_1000(be16(h + 36 + 2 * i), upem);
    } else {
        out->bbox[0] = 0, out->bbox[1] = -250, out->bbox[2] = 1000, out->bbox[3] = 1000;
    }
    hb_blob_destroy(head);
    hb_position_t asc = 0, desc = 0, cap = 0;
    if (!hb_ot_metrics_get_position(font, HB_OT_METRICS_TAG_HORIZONTAL_ASCENDER, &asc) || asc <= 0)
        asc = (hb_position_t)(upem * 8 / 10);
    if (!hb_ot_metrics_get_position(font, HB_OT_METRICS_TAG_HORIZONTAL_DESCENDER, &desc) ||
        desc > 0)
        desc = -(hb_position_t)(upem * 2 / 10);
    if (!hb_ot_metrics_get_position(font, HB_OT_METRICS_TAG_CAP_HEIGHT, &cap) || cap <= 0)
        cap = asc * 7 / 10;
    out->ascent = to_1000(asc, upem);
    out->descent = to_1000(desc, upem);
    out->cap_height = to_1000(cap, upem);
}

static void append_utf16be(GString *s, uint32_t cp)
{
    if (cp < 0x10000) {
        g_string_append_printf(s, "%04X", cp);
    } else {
        cp -= 0x10000;
        g_string_append_printf(s, "%04X%04X", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
    }
}

static int cmp_glyph_code(const void *a, const void *b)
{
    const sg_glyph *x = a, *y = b;
    if (x->code != y->code)
        return (x->code > y->code) - (x->code < y->code);
    return cmp_u32(&x->cp, &y->cp);
}

/* The ToUnicode CMap: each code to the character it was made for (the first when several). */
static sh_status tounicode(sg_font_subset *f, sh_error *err)
{
    sg_glyph *by_code = g_memdup2(f->glyphs, f->n_glyphs * sizeof *by_code);
    qsort(by_code, f->n_glyphs, sizeof *by_code, cmp_glyph_code);
    size_t n = 0;
    for (size_t i = 0; i < f->n_glyphs; i++)
        if (i == 0 || by_code[i].code != by_code[n - 1].code)
            by_code[n++] = by_code[i];
    GString *cmap = g_string_new("/CIDInit /ProcSet findresource begin\n"
                                 "12 dict begin\nbegincmap\n"
                                 "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) "
                                 "/Supplement 0 >> def\n"
                                 "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                                 "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    for (size_t i = 0; i < n; i += 100) { /* at most 100 entries a block */
        g_string_append_printf(cmap, "%zu beginbfchar\n", MIN(100, n - i));
        for (size_t j = i; j < n && j < i + 100; j++) {
            g_string_append_printf(cmap, "<%04X> <", by_code[j].code);
            append_utf16be(cmap, by_code[j].cp);
            g_string_append(cmap, ">\n");
        }
        g_string_append(cmap, "endbfchar\n");
    }
    g_free(by_code);
    g_string_append(cmap, "endcmap\nCMapName currentdict /CMapResource defineresource pop\n"
                          "end\nend\n");
    sh_status st = sg_zcompress(cmap->str, cmap->len, &f->tounicode, err);
    g_string_free(cmap, TRUE);
    return st;
}

/* The glyph of each character; SH_INPUT naming the font and the first one it lacks. */
static sh_status map_chars(const char *path, hb_font_t *font, const uint32_t *cps, size_t n,
                           hb_codepoint_t *gids, sh_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (hb_font_get_nominal_glyph(font, cps[i], &gids[i]))
            continue;
        char utf8[8] = "";
        g_unichar_to_utf8(cps[i], utf8);
        return sh_fail(err, SH_INPUT,
                       _("%s: the font has no glyph for the character U+%04X (%s) of the stamp "
                         "text; choose a font with Vietnamese letters, such as DejaVu Sans "
                         "([sign] font in sohoa.ini)"),
                       path, cps[i], utf8);
    }
    return SH_OK;
}

/* The subset: the glyphs asked for (and the components of composite glyphs), no hinting and no
 * layout tables (the stamp is not shaped). */
static hb_subset_plan_t *plan_subset(hb_face_t *face, const uint32_t *cps,
                                     const hb_codepoint_t *gids, size_t n)
{
    hb_subset_input_t *in = hb_subset_input_create_or_fail();
    if (!in)
        return NULL;
    hb_set_t *glyphs = hb_subset_input_glyph_set(in), *unicodes = hb_subset_input_unicode_set(in);
    for (size_t i = 0; i < n; i++) {
        hb_set_add(glyphs, gids[i]);
        hb_set_add(unicodes, cps[i]);
    }
    static const char drop[][5] = {"GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH",
                                   "kern", "morx", "kerx", "FFTM", "DSIG", "LTSH"};
    hb_set_t *tables = hb_subset_input_set(in, HB_SUBSET_SETS_DROP_TABLE_TAG);
    for (size_t i = 0; i < G_N_ELEMENTS(drop); i++)
        hb_set_add(tables, hb_tag_from_string(drop[i], 4));
    hb_subset_input_set_flags(in, HB_SUBSET_FLAGS_NO_HINTING);
    hb_subset_plan_t *plan = hb_subset_plan_create_or_fail(face, in);
    hb_subset_input_destroy(in);
    return plan;
}

/* After the subset: the glyph table, /W, the tag, the compressed font file. */
static sh_status describe_subset(hb_face_t *face, hb_font_t *font, hb_subset_plan_t *plan,
                                 hb_face_t *sub, const uint32_t *cps, const hb_codepoint_t *gids,
                                 size_t n, sg_font_subset *out, sh_error *err)
{
    unsigned upem = hb_face_get_upem(face);
    const hb_map_t *old_to_new = hb_subset_plan_old_to_new_glyph_mapping(plan);
    const hb_map_t *new_to_old = hb_subset_plan_new_to_old_glyph_mapping(plan);
    unsigned count = hb_face_get_glyph_count(sub);
    if (count == 0 || count > 0xFFFF)
        return sh_fail(err, SH_INTERNAL, "font subset: %u glyphs", count);

    out->glyphs = g_new0(sg_glyph, n);
    for (size_t i = 0; i < n; i++) {
        sg_glyph *g = &out->glyphs[out->n_glyphs];
        hb_codepoint_t code = hb_map_get(old_to_new, gids[i]);
        if (code == HB_MAP_VALUE_INVALID || code > 0xFFFF)
            return sh_fail(err, SH_INTERNAL, "font subset: glyph %u lost", gids[i]);
        if (out->n_glyphs > 0 && out->glyphs[out->n_glyphs - 1].cp == cps[i])
            continue; /* cps is sorted: a repeat */
        g->cp = cps[i];
        g->code = (uint16_t)code;
        g->width =
            (uint16_t)CLAMP(to_1000(hb_font_get_glyph_h_advance(font, gids[i]), upem), 0, 0xFFFF);
        out->n_glyphs++;
    }

    /* /W for every CID 0..count-1, and the old glyph ids in CID order for the tag. */
    uint32_t *olds = g_new(uint32_t, count);
    out->widths = g_string_new("[0 [");
    for (unsigned c = 0; c < count; c++) {
        hb_codepoint_t old = hb_map_get(new_to_old, c);
        olds[c] = old;
        int w =
            old == HB_MAP_VALUE_INVALID ? 0 : to_1000(hb_font_get_glyph_h_advance(font, old), upem);
        g_string_append_printf(out->widths, c ? " %d" : "%d", w);
    }
    g_string_append(out->widths, "]]");
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(olds, count * sizeof *olds, digest);
    g_free(olds);
    char tag[8];
    for (int i = 0; i < 6; i++)
        tag[i] = (char)('A' + digest[i] % 26);
    tag[6] = '+';
    tag[7] = '\0';
    char ps[80];
    postscript_name(face, ps, sizeof ps);
    g_snprintf(out->base_font, sizeof out->base_font, "%s%s", tag, ps);

    metrics(face, font, upem, out);
    hb_blob_t *blob = hb_face_reference_blob(sub);
    unsigned len = 0;
    const char *data = hb_blob_get_data(blob, &len);
    sh_status st = len ? sg_zcompress(data, len, &out->file, err)
                       : sh_fail(err, SH_INTERNAL, "font subset: empty font");
    hb_blob_destroy(blob);
    if (st != SH_OK)
        return st;
    return tounicode(out, err);
}

static sh_status not_truetype(const char *path, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("%s is not a TrueType font; choose a .ttf font with Vietnamese letters, such "
                     "as DejaVu Sans ([sign] font in sohoa.ini)"),
                   path);
}

static sh_status open_face(const char *path, hb_face_t **face, sh_error *err)
{
    char *data = NULL;
    size_t len = 0;
    sh_status st = sh_read_file(path, FONT_MAX_BYTES, &data, &len, err);
    if (st != SH_OK)
        return st;
    hb_blob_t *blob =
        len > UINT_MAX ? hb_blob_get_empty()
                       : hb_blob_create(data, (unsigned)len, HB_MEMORY_MODE_READONLY, data, free);
    if (blob == hb_blob_get_empty())
        free(data);
    *face = hb_face_create(blob, 0);
    hb_blob_destroy(blob);
    if (hb_face_get_glyph_count(*face) == 0)
        return not_truetype(path, err);
    /* /FontFile2 holds TrueType outlines; CFF (.otf) would need another embedding. */
    hb_blob_t *glyf = hb_face_reference_table(*face, HB_TAG('g', 'l', 'y', 'f'));
    bool truetype = hb_blob_get_length(glyf) > 0;
    hb_blob_destroy(glyf);
    if (!truetype)
        return not_truetype(path, err);
    return SH_OK;
}

sh_status sg_font_subset_make(const char *path, const uint32_t *cps_in, size_t n,
                              sg_font_subset *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    hb_face_t *face = NULL;
    sh_status st = open_face(path, &face, err);
    if (st != SH_OK) {
        hb_face_destroy(face);
        return st;
    }
    hb_font_t *font = hb_font_create(face);
    uint32_t *cps = g_memdup2(cps_in, n * sizeof *cps);
    qsort(cps, n, sizeof *cps, cmp_u32);
    hb_codepoint_t *gids = g_new0(hb_codepoint_t, n ? n : 1);
    hb_subset_plan_t *plan = NULL;
    hb_face_t *sub = NULL;
    st = map_chars(path, font, cps, n, gids, err);
    if (st == SH_OK) {
        plan = plan_subset(face, cps, gids, n);
        sub = plan ? hb_subset_plan_execute_or_fail(plan) : NULL;
        if (!sub)
            st = sh_fail(err, SH_INPUT,
                         _("%s: the font cannot be subset for embedding; choose another .ttf "
                           "font ([sign] font in sohoa.ini)"),
                         path);
    }
    if (st == SH_OK)
        st = describe_subset(face, font, plan, sub, cps, gids, n, out, err);
    hb_face_destroy(sub);
    hb_subset_plan_destroy(plan);
    g_free(gids);
    g_free(cps);
    hb_font_destroy(font);
    hb_face_destroy(face);
    if (st != SH_OK)
        sg_font_subset_clear(out);
    return st;
}

void sg_font_subset_clear(sg_font_subset *f)
{
    g_free(f->glyphs);
    if (f->widths)
        g_string_free(f->widths, TRUE);
    sg_zbytes_clear(&f->file);
    sg_zbytes_clear(&f->tounicode);
    memset(f, 0, sizeof *f);
}
