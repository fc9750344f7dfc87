/* What a page's content draws, without rendering it: the images (XObjects, through forms, and
 * inline images, which are counted only) with the transform that places them, and whether any
 * visible text or any filled or stroked path is drawn. Colour spaces and image dictionaries are
 * read into pdf_image here too. */
#include "reader_impl.h"

#include <string.h>

#define MAX_OPERANDS 32
#define MAX_CS_DEPTH 4

/* ---- colour spaces ---- */

typedef struct {
    pdf_colour_space cs;
    int components;
} cs_info;

static bool device_space(const char *name, cs_info *out)
{
    static const struct {
        const char *name;
        pdf_colour_space cs;
        int n;
    } spaces[] = {
        {"DeviceGray", PDF_CS_GRAY, 1}, {"G", PDF_CS_GRAY, 1},
        {"CalGray", PDF_CS_GRAY, 1},    {"DeviceRGB", PDF_CS_RGB, 3},
        {"RGB", PDF_CS_RGB, 3},         {"CalRGB", PDF_CS_RGB, 3},
        {"DeviceCMYK", PDF_CS_CMYK, 4}, {"CMYK", PDF_CS_CMYK, 4},
        {"CalCMYK", PDF_CS_CMYK, 4},    {"Lab", PDF_CS_OTHER, 3},
        {"Pattern", PDF_CS_OTHER, 1},   {"Separation", PDF_CS_OTHER, 1},
    };
    for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++)
        if (strcmp(name, spaces[i].name) == 0) {
            out->cs = spaces[i].cs;
            out->components = spaces[i].n;
            return true;
        }
    return false;
}

static bool colour_space(pdf_reader *r, robj *o, const robj *resources, pdf_image *img,
                         cs_info *out, int depth);

/* [/Indexed base hival lookup]: the palette is copied into memory the reader owns. */
static bool indexed_space(pdf_reader *r, robj *a, const robj *resources, pdf_image *img, int depth)
{
    cs_info base;
    int64_t hival;
    if (a->arr.n < 4 || !colour_space(r, a->arr.items[1], resources, NULL, &base, depth + 1) ||
        !pdf_rd_int(pdf_rd_resolve(r, a->arr.items[2]), &hival) || hival < 0)
        return false;
    if (hival > 255)
        hival = 255; /* as viewers clamp it */
    robj *lookup = pdf_rd_resolve(r, a->arr.items[3]);
    const uint8_t *bytes = NULL;
    uint8_t *decoded = NULL;
    size_t have = 0;
    if (lookup->type == RO_STRING) {
        bytes = (const uint8_t *)lookup->str.s;
        have = lookup->str.len;
    } else if (lookup->type == RO_STREAM) {
        /* Ignored: a damaged palette stream gives what could be decoded, the rest black
         * below, as viewers show it. */
        SH_IGNORE_RESULT(pdf_rd_stream_decode_all(r, lookup, RD_MAX_SMALL_STREAM, &decoded, &have));
        bytes = decoded;
    } else {
        return false;
    }
    size_t need = (size_t)(hival + 1) * (size_t)base.components;
    uint8_t *palette = g_malloc0(need);
    if (bytes && have) /* short: the rest black, as viewers do */
        memcpy(palette, bytes, have < need ? have : need);
    g_free(decoded);
    g_ptr_array_add(r->palettes, palette);
    img->palette = palette;
    img->palette_entries = (int)hival + 1;
    img->base_cs = base.cs;
    img->base_components = base.components;
    return true;
}

static bool array_space(pdf_reader *r, robj *a, const robj *resources, pdf_image *img, cs_info *out,
                        int depth)
{
    const char *family = a->arr.n > 0 ? pdf_rd_name(pdf_rd_resolve(r, a->arr.items[0])) : NULL;
    if (!family)
        return false;
    if (strcmp(family, "ICCBased") == 0 && a->arr.n > 1) {
        robj *icc = pdf_rd_resolve(r, a->arr.items[1]);
        int64_t n;
        if (pdf_rd_int(pdf_rd_get(r, icc, "N"), &n) && (n == 1 || n == 3 || n == 4)) {
            out->cs = n == 1 ? PDF_CS_GRAY : n == 3 ? PDF_CS_RGB : PDF_CS_CMYK;
            out->components = (int)n;
            return true;
        }
        robj *alt = pdf_rd_dict_find(icc, "Alternate");
        if (alt->type != RO_NULL)
            return colour_space(r, alt, resources, NULL, out, depth + 1);
        if (pdf_rd_int(pdf_rd_get(r, icc, "N"), &n) && n > 0 && n <= 32) {
            out->cs = PDF_CS_OTHER;
            out->components = (int)n;
            return true;
        }
        return false;
    }
    if (strcmp(family, "Indexed") == 0 || strcmp(family, "I") == 0) {
        if (img && !indexed_space(r, a, resources, img, depth))
            return false;
        out->cs = PDF_CS_INDEXED;
        out->components = 1;
        return true;
    }
    if (strcmp(family, "DeviceN") == 0 && a->arr.n > 1) {
        robj *names = pdf_rd_resolve(r, a->arr.items[1]);
        if (names->type != RO_ARRAY || names->arr.n < 1 || names->arr.n > 32)
            return false;
        out->cs = PDF_CS_OTHER;
        out->components = names->arr.n;
        return true;
    }
    return device_space(family, out);
}

static bool colour_space(pdf_reader *r, robj *o, const robj *resources, pdf_image *img,
                         cs_info *out, int depth)
{
    if (depth > MAX_CS_DEPTH)
        return false;
    o = pdf_rd_resolve(r, o);
    if (o->type == RO_NAME) {
        if (device_space(o->str.s, out))
            return true;
        robj *named = pdf_rd_dict_find(pdf_rd_get(r, resources, "ColorSpace"), o->str.s);
        return named->type != RO_NULL && colour_space(r, named, resources, img, out, depth + 1);
    }
    if (o->type == RO_ARRAY)
        return array_space(r, o, resources, img, out, depth);
    return false;
}

/* ---- image dictionaries ---- */

static bool get_bool(pdf_reader *r, const robj *dict, const char *key, const char *abbrev,
                     bool dflt)
{
    robj *o = pdf_rd_get(r, dict, key);
    if (o->type == RO_NULL && abbrev)
        o = pdf_rd_get(r, dict, abbrev);
    return o->type == RO_BOOL ? o->b : dflt;
}

static int64_t get_int(pdf_reader *r, const robj *dict, const char *key, const char *abbrev,
                       int64_t dflt)
{
    robj *o = pdf_rd_get(r, dict, key);
    if (o->type == RO_NULL && abbrev)
        o = pdf_rd_get(r, dict, abbrev);
    double v;
    if (!pdf_rd_num(o, &v) || !(v > -1e15 && v < 1e15))
        return dflt;
    return (int64_t)v;
}

static void ccitt_parms(pdf_reader *r, const robj *parms, pdf_image *img)
{
    int64_t k = get_int(r, parms, "K", NULL, 0);
    img->ccitt_k = k < 0 ? -1 : k > 0 ? (int)(k < 1000000 ? k : 1000000) : 0;
    int64_t columns = get_int(r, parms, "Columns", NULL, 1728);
    img->ccitt_columns = columns >= 1 && columns <= 1000000 ? (int)columns : 1728;
    int64_t rows = get_int(r, parms, "Rows", NULL, 0);
    img->ccitt_rows = rows >= 1 && rows <= 1000000 ? (int)rows : 0;
    img->ccitt_black_is_1 = get_bool(r, parms, "BlackIs1", NULL, false);
    img->ccitt_byte_align = get_bool(r, parms, "EncodedByteAlign", NULL, false);
    img->ccitt_end_of_block = get_bool(r, parms, "EndOfBlock", NULL, true);
}

/* /Decode with every pair going from high to low: the samples are inverted. */
static bool decode_inverted(pdf_reader *r, const robj *dict)
{
    robj *d = pdf_rd_get(r, dict, "Decode");
    if (d->type == RO_NULL)
        d = pdf_rd_get(r, dict, "D");
    if (d->type != RO_ARRAY || d->arr.n < 2)
        return false;
    for (int i = 0; i + 1 < d->arr.n; i += 2) {
        double lo, hi;
        if (!pdf_rd_num(pdf_rd_resolve(r, d->arr.items[i]), &lo) ||
            !pdf_rd_num(pdf_rd_resolve(r, d->arr.items[i + 1]), &hi) || !(lo > hi))
            return false;
    }
    return true;
}

/* Which codec the caller must handle: the last filter, when every one before it can be undone. */
static pdf_codec image_codec(const pdf_rd_filter *f, int n)
{
    for (int i = 0; i + 1 < n; i++)
        if (pdf_rd_filter_codec(f[i].kind) != PDF_CODEC_NONE)
            return PDF_CODEC_OTHER;
    return n ? pdf_rd_filter_codec(f[n - 1].kind) : PDF_CODEC_NONE;
}

/* with_palette false: the palette is not copied (an inline image is only measured). */
static bool image_from_dict(pdf_reader *r, const robj *dict, const robj *resources, pdf_image *img,
                            bool with_palette)
{
    memset(img, 0, sizeof *img);
    int64_t w = get_int(r, dict, "Width", "W", 0), h = get_int(r, dict, "Height", "H", 0);
    if (w < 1 || w > 1000000 || h < 1 || h > 1000000)
        return false;
    img->width = (uint32_t)w;
    img->height = (uint32_t)h;
    pdf_rd_filter filters[RD_MAX_FILTERS];
    int nf = pdf_rd_stream_filters(r, dict, filters);
    if (nf < 0)
        return false;
    img->codec = image_codec(filters, nf);
    img->image_mask = get_bool(r, dict, "ImageMask", "IM", false);
    bool bilevel = img->codec == PDF_CODEC_JBIG2 || img->codec == PDF_CODEC_CCITT;
    int64_t bpc = get_int(r, dict, "BitsPerComponent", "BPC", 0);
    if (img->image_mask || img->codec == PDF_CODEC_JBIG2)
        bpc = 1;
    else if (bpc == 0)
        bpc = bilevel ? 1 : img->codec == PDF_CODEC_DCT || img->codec == PDF_CODEC_JPX ? 8 : 0;
    if (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16)
        return false;
    img->bpc = (int)bpc;
    robj *cs = pdf_rd_dict_find(dict, "ColorSpace");
    if (cs->type == RO_NULL)
        cs = pdf_rd_dict_find(dict, "CS");
    cs_info info = {PDF_CS_GRAY, 1};
    if (!img->image_mask && cs->type != RO_NULL) {
        if (!colour_space(r, cs, resources, with_palette ? img : NULL, &info, 0))
            return false;
    } else if (!img->image_mask && img->codec == PDF_CODEC_JPX) {
        info = (cs_info){PDF_CS_OTHER, 0}; /* in the JPEG 2000 codestream */
    } else if (!img->image_mask && !bilevel) {
        return false;
    }
    img->cs = info.cs;
    img->components = info.components;
    img->decode_inverted = decode_inverted(r, dict);
    img->has_smask = pdf_rd_dict_find(dict, "SMask")->type != RO_NULL ||
                     pdf_rd_dict_find(dict, "Mask")->type != RO_NULL;
    if (img->codec == PDF_CODEC_CCITT)
        ccitt_parms(r, filters[nf - 1].parms, img);
    return true;
}

bool pdf_rd_image_from_dict(pdf_reader *r, const robj *dict, const robj *resources, pdf_image *img)
{
    return image_from_dict(r, dict, resources, img, true);
}

/* ---- the content scanner ---- */

typedef struct {
    double ctm[6];
    int text_mode;
} gstate;

typedef struct {
    pdf_reader *r;
    pdf_page_info *info;
    gstate stack[RD_MAX_Q_DEPTH + 1];
    int depth;
    uint64_t ops, decoded;
    int forms[RD_MAX_FORM_DEPTH];
    int n_forms, forms_run;
    bool path; /* the current path has segments */
    pdf_rd_arena operands;
} scanner;

static void concat(double out[6], const double m[6], const double c[6])
{
    double t[6] = {m[0] * c[0] + m[1] * c[2],        m[0] * c[1] + m[1] * c[3],
                   m[2] * c[0] + m[3] * c[2],        m[2] * c[1] + m[3] * c[3],
                   m[4] * c[0] + m[5] * c[2] + c[4], m[4] * c[1] + m[5] * c[3] + c[5]};
    memcpy(out, t, sizeof t);
}

/* ctm = m × ctm, refused when it would not stay finite. */
static bool transform(scanner *sc, const double m[6])
{
    double t[6];
    concat(t, m, sc->stack[sc->depth].ctm);
    for (int i = 0; i < 6; i++)
        if (!(t[i] > -1e15 && t[i] < 1e15)) /* NaN fails too */
            return false;
    memcpy(sc->stack[sc->depth].ctm, t, sizeof t);
    return true;
}

static bool numbers(robj **ops, int n, int want, double *out)
{
    if (n < want)
        return false;
    for (int i = 0; i < want; i++)
        if (!pdf_rd_num(ops[n - want + i], &out[i]))
            return false;
    return true;
}

static bool visible_text(const scanner *sc)
{
    int mode = sc->stack[sc->depth].text_mode;
    return mode != 3 && mode != 7; /* 3: invisible (OCR layers); 7: clip only */
}

static bool shows_glyphs(const robj *o)
{
    if (o->type == RO_STRING)
        return o->str.len > 0;
    if (o->type == RO_ARRAY)
        for (int i = 0; i < o->arr.n; i++)
            if (o->arr.items[i]->type == RO_STRING && o->arr.items[i]->str.len > 0)
                return true;
    return false;
}

static void run_content(scanner *sc, const uint8_t *data, size_t len, const robj *resources);

static void add_image(scanner *sc, int num, const robj *x, const robj *resources)
{
    pdf_page_info *info = sc->info;
    info->images_drawn++;
    if (info->n_images >= PDF_PAGE_IMAGES_MAX)
        return;
    pdf_image *img = &info->images[info->n_images];
    if (!pdf_rd_image_from_dict(sc->r, x, resources, img)) {
        info->content_ok = false;
        return;
    }
    img->object = num;
    memcpy(img->ctm, sc->stack[sc->depth].ctm, sizeof img->ctm);
    info->n_images++;
}

static void run_form(scanner *sc, int num, const robj *form, const robj *resources)
{
    for (int i = 0; i < sc->n_forms; i++)
        if (sc->forms[i] == num) {
            sc->info->content_ok = false; /* a form that draws itself */
            return;
        }
    if (sc->n_forms >= RD_MAX_FORM_DEPTH || sc->depth >= RD_MAX_Q_DEPTH ||
        ++sc->forms_run > RD_MAX_PAGE_FORMS) {
        sc->info->content_ok = false;
        return;
    }
    double m[6] = {1, 0, 0, 1, 0, 0};
    robj *matrix = pdf_rd_get(sc->r, form, "Matrix");
    if (matrix->type == RO_ARRAY && matrix->arr.n == 6 && !numbers(matrix->arr.items, 6, 6, m)) {
        m[0] = m[3] = 1;
        m[1] = m[2] = m[4] = m[5] = 0;
    }
    robj *own = pdf_rd_get(sc->r, form, "Resources");
    uint8_t *data;
    size_t len;
    if (!pdf_rd_stream_decode_all(sc->r, form, RD_MAX_CONTENT, &data, &len))
        sc->info->content_ok = false;
    sc->decoded += len;
    if (sc->decoded > RD_MAX_PAGE_DECODED) {
        sc->info->content_ok = false;
        g_free(data);
        return;
    }
    int saved_depth = sc->depth;
    sc->stack[sc->depth + 1] = sc->stack[sc->depth];
    sc->depth++;
    if (!transform(sc, m))
        sc->info->content_ok = false;
    sc->forms[sc->n_forms++] = num;
    bool path = sc->path;
    sc->path = false;
    run_content(sc, data, len, own->type == RO_DICT ? own : resources);
    sc->path = path;
    sc->n_forms--;
    sc->depth = saved_depth;
    g_free(data);
}

static void do_xobject(scanner *sc, const robj *name, const robj *resources)
{
    if (name->type != RO_NAME)
        return;
    robj *ref = pdf_rd_dict_find(pdf_rd_get(sc->r, resources, "XObject"), name->str.s);
    if (ref->type != RO_REF)
        return;
    robj *x = pdf_rd_fetch(sc->r, ref->ref.num);
    if (x->type != RO_STREAM) {
        sc->info->content_ok = false;
        return;
    }
    robj *subtype = pdf_rd_get(sc->r, x, "Subtype");
    if (pdf_rd_is_name(subtype, "Image"))
        add_image(sc, ref->ref.num, x, resources);
    else if (pdf_rd_is_name(subtype, "Form"))
        run_form(sc, ref->ref.num, x, resources);
}

/* The samples of an inline image without a filter: their exact size, 0 when unknown. */
static uint64_t inline_size(pdf_reader *r, const robj *dict, const robj *resources)
{
    int64_t explicit_len = get_int(r, dict, "Length", "L", -1);
    if (explicit_len >= 0)
        return (uint64_t)explicit_len;
    if (pdf_rd_dict_find(dict, "Filter")->type != RO_NULL ||
        pdf_rd_dict_find(dict, "F")->type != RO_NULL)
        return 0;
    pdf_image img;
    if (!image_from_dict(r, dict, resources, &img, false) || !img.components)
        return 0;
    uint64_t row = ((uint64_t)img.width * (uint64_t)img.components * (uint64_t)img.bpc + 7) / 8;
    return row * img.height;
}

static bool ei_at(const uint8_t *d, size_t len, size_t i)
{
    return i + 2 <= len && d[i] == 'E' && d[i + 1] == 'I' &&
           (i + 2 == len || pdf_rd_is_space(d[i + 2]) || pdf_rd_is_delim(d[i + 2]));
}

/* BI … ID data EI: read the dictionary, skip the data. Counted, not listed. */
static void inline_image(scanner *sc, pdf_rd_lex *lx, const uint8_t *data, size_t len,
                         const robj *resources)
{
    pdf_rd_parser p = {.lx = lx, .arena = &sc->operands, .refs = false};
    pdf_rd_item items[64];
    int n = 0;
    pdf_rd_token t;
    bool id = false;
    while (pdf_rd_lex_next(lx, &t)) {
        if (pdf_rd_tok_is(&t, "ID")) {
            id = true;
            break;
        }
        if (t.type != RT_NAME)
            continue;
        robj *key = pdf_rd_parse_value(&p, &t, 0);
        robj *v = NULL;
        if (key && pdf_rd_lex_next(lx, &t))
            v = pdf_rd_parse_value(&p, &t, 0);
        if (!v)
            break;
        if (n < 64)
            items[n++] = (pdf_rd_item){key->str.s, v};
    }
    sc->info->images_drawn++;
    if (!id) {
        sc->info->content_ok = false;
        return;
    }
    robj dict = {.type = RO_DICT, .dict = {.items = items, .n = n}};
    size_t start = (size_t)lx->pos + (lx->pos < len && pdf_rd_is_space(data[lx->pos]) ? 1 : 0);
    uint64_t size = inline_size(sc->r, &dict, resources);
    if (size && size <= len - start) {
        size_t i = start + (size_t)size;
        while (i < len && pdf_rd_is_space(data[i]))
            i++;
        if (ei_at(data, len, i)) {
            lx->pos = i + 2;
            return;
        }
    }
    for (size_t i = start; i + 2 <= len; i++)
        if ((i == start || pdf_rd_is_space(data[i - 1])) && ei_at(data, len, i)) {
            lx->pos = i + 2;
            return;
        }
    lx->pos = len;
    sc->info->content_ok = false;
}

static void paint(scanner *sc)
{
    if (sc->path)
        sc->info->draws_vectors = true;
    sc->path = false;
}

static bool is_one_of(const char *op, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(op, *set) == 0)
            return true;
    return false;
}

static const char *const paint_ops[] = {"f", "F", "f*", "B", "B*", "b", "b*", "S", "s", NULL};
static const char *const segment_ops[] = {"l", "c", "v", "y", "re", NULL};
static const char *const show_ops[] = {"Tj", "TJ", "'", "\"", NULL};

/* One operator with its operands; base is the stack depth Q may not go below (a form's). */
static void operator(scanner *sc, const char *op, robj **ops, int n, int base,
                     const robj *resources)
{
    gstate *gs = &sc->stack[sc->depth];
    double v[6];
    if (strcmp(op, "q") == 0) {
        if (sc->depth >= RD_MAX_Q_DEPTH) {
            sc->info->content_ok = false;
            return;
        }
        sc->stack[sc->depth + 1] = *gs;
        sc->depth++;
    } else if (strcmp(op, "Q") == 0) {
        if (sc->depth > base)
            sc->depth--;
    } else if (strcmp(op, "cm") == 0) {
        if (!numbers(ops, n, 6, v) || !transform(sc, v))
            sc->info->content_ok = false;
    } else if (strcmp(op, "Tr") == 0) {
        if (numbers(ops, n, 1, v) && v[0] >= 0 && v[0] <= 7)
            gs->text_mode = (int)v[0];
    } else if (is_one_of(op, show_ops)) {
        if (n > 0 && shows_glyphs(ops[n - 1]) && visible_text(sc))
            sc->info->draws_text = true;
    } else if (is_one_of(op, segment_ops)) {
        sc->path = true;
    } else if (is_one_of(op, paint_ops)) {
        paint(sc);
    } else if (strcmp(op, "n") == 0) {
        sc->path = false;
    } else if (strcmp(op, "sh") == 0) {
        sc->info->draws_vectors = true;
    } else if (strcmp(op, "Do") == 0) {
        if (n > 0)
            do_xobject(sc, ops[n - 1], resources);
    }
}

static void run_content(scanner *sc, const uint8_t *data, size_t len, const robj *resources)
{
    pdf_rd_lex lx;
    pdf_rd_lex_mem(&lx, data, len);
    pdf_rd_parser p = {.lx = &lx, .arena = &sc->operands, .refs = false};
    robj *ops[MAX_OPERANDS];
    int n = 0, base = sc->depth;
    pdf_rd_token t;
    while (pdf_rd_lex_next(&lx, &t)) {
        if (++sc->ops > RD_MAX_PAGE_OPS) {
            sc->info->content_ok = false;
            break;
        }
        if (t.type == RT_KEYWORD) {
            char op[8];
            if (t.len < sizeof op) {
                memcpy(op, t.s, t.len + 1);
                if (strcmp(op, "BI") == 0)
                    inline_image(sc, &lx, data, len, resources);
                else
                    operator(sc, op, ops, n, base, resources);
            }
            n = 0;
            pdf_rd_arena_rewind(&sc->operands);
            continue;
        }
        if (t.type == RT_ARRAY_CLOSE || t.type == RT_DICT_CLOSE)
            continue; /* stray */
        robj *o = pdf_rd_parse_value(&p, &t, 0);
        if (!o) {
            sc->info->content_ok = false;
            break;
        }
        if (n == MAX_OPERANDS) {
            memmove(ops, ops + 1, (MAX_OPERANDS - 1) * sizeof(robj *));
            n--;
        }
        ops[n++] = o;
    }
    if (t.type == RT_ERROR)
        sc->info->content_ok = false;
    pdf_rd_lex_done(&lx);
    pdf_rd_arena_rewind(&sc->operands);
}

/* The page's /Contents: one stream or an array of them, decoded and joined. */
static uint8_t *page_content(pdf_reader *r, robj *page, size_t *len, bool *ok)
{
    robj *c = pdf_rd_get(r, page, "Contents");
    *len = 0;
    *ok = true;
    if (c->type == RO_STREAM) {
        uint8_t *data;
        *ok = pdf_rd_stream_decode_all(r, c, RD_MAX_CONTENT, &data, len);
        return data;
    }
    if (c->type != RO_ARRAY) {
        *ok = c->type == RO_NULL; /* no content: an empty page */
        return NULL;
    }
    GByteArray *all = g_byte_array_new();
    for (int i = 0; i < c->arr.n; i++) {
        robj *s = pdf_rd_resolve(r, c->arr.items[i]);
        uint8_t *data;
        size_t n;
        if (s->type != RO_STREAM) {
            *ok = false;
            continue;
        }
        if (!pdf_rd_stream_decode_all(r, s, RD_MAX_CONTENT - all->len, &data, &n))
            *ok = false;
        g_byte_array_append(all, data ? data : (const uint8_t *)"", (guint)n);
        g_byte_array_append(all, (const uint8_t *)"\n", 1); /* streams end between tokens */
        g_free(data);
        if (all->len >= RD_MAX_CONTENT) {
            *ok = false;
            break;
        }
    }
    *len = all->len;
    return g_byte_array_free(all, false);
}

void pdf_rd_scan_page(pdf_reader *r, const pdf_rd_page *pg, robj *page, pdf_page_info *info)
{
    scanner *sc = g_new0(scanner, 1);
    sc->r = r;
    sc->info = info;
    sc->stack[0].ctm[0] = sc->stack[0].ctm[3] = 1;
    info->content_ok = true;
    robj *resources =
        pg->res_holder ? pdf_rd_get(r, pdf_rd_fetch(r, pg->res_holder), "Resources") : &pdf_rd_null;
    size_t len;
    bool ok;
    uint8_t *data = page_content(r, page, &len, &ok);
    if (!ok)
        info->content_ok = false;
    sc->decoded = len;
    run_content(sc, data, len, resources);
    g_free(data);
    pdf_rd_arena_reset(&sc->operands);
    g_free(sc);
}
