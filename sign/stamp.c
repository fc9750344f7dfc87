/* The visible signature (Circular 01/2019/TT-BNV art. 6.2.c): the organisation's seal at its
 * actual size on the left, and to its right the organisation, "Người ký: " the signer and
 * "Thời gian: " the signing time, in a thin red frame. The stamp is always Vietnamese: it is a
 * legal appearance, not a message to the operator.
 *
 * sg_stamp_new does the expensive work once per batch (font subset, seal decoding, compression,
 * the layout); sg_stamp_write, once per signed file, only lays out the time line and copies the
 * prepared bytes. Lengths are points, in the form's own upright space (origin bottom left). */
#include "sign_impl.h"
#include "stamp_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define INSET 4.0         /* from the stamp's edge to the seal and the text */
#define GAP 4.0           /* between the seal and the text */
#define BORDER_WIDTH 0.75 /* the red frame */
#define SEAL_SHARE 0.45   /* the seal takes at most this share of the stamp's width */
#define SIZE_MAX_PT 9.0
#define SIZE_MIN_PT 6.0
#define TIME_SIZE_MIN_PT 4.0 /* a time text longer than planned shrinks down to this */
#define SIZE_STEP 0.5
#define LEADING 1.2 /* line distance / font size */
#define ORG_LINES 3
#define SIGNER_LINES 3
#define TIME_LINES 2

static const char LABEL_SIGNER[] = "Người ký: ";
static const char LABEL_TIME[] = "Thời gian: ";
static const char TIME_CHARS[] = "0123456789/:+-. ";

struct sg_stamp {
    sg_font_subset font;
    sg_seal seal;
    bool has_seal;
    double width, height; /* as displayed */
    double size, leading; /* of the text */
    double text_x, text_width;
    double time_top;  /* the top of the time's first line */
    int time_lines;   /* lines planned for the time */
    GString *content; /* frame, seal, organisation, signer: all but the time */
};

/* ---- zlib ---- */

sh_status sg_zcompress(const void *data, size_t len, sg_zbytes *out, sh_error *err)
{
    uLongf cap = compressBound((uLong)len);
    out->data = g_malloc(cap ? cap : 1);
    if (compress2(out->data, &cap, data, (uLong)len, 6) != Z_OK) {
        sg_zbytes_clear(out);
        return sh_fail(err, SH_INTERNAL, "zlib compression failed");
    }
    out->len = cap;
    out->raw_len = len;
    return SH_OK;
}

void sg_zbytes_clear(sg_zbytes *z)
{
    g_free(z->data);
    memset(z, 0, sizeof *z);
}

/* ---- numbers and text in a content stream ---- */

/* As pdf_real writes them: no exponent, at most 4 decimals, no trailing zeros. */
static void put_real(GString *s, double v)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.4f", fabs(v) < 1e9 ? v : 0.0);
    char *end = buf + strlen(buf) - 1;
    while (*end == '0')
        *end-- = '\0';
    if (*end == '.')
        *end = '\0';
    g_string_append(s, strcmp(buf, "-0") == 0 ? "0" : buf);
}

static void put_reals(GString *s, const double *v, int n, const char *op)
{
    for (int i = 0; i < n; i++) {
        put_real(s, v[i]);
        g_string_append_c(s, ' ');
    }
    g_string_append(s, op);
    g_string_append_c(s, '\n');
}

static double advance(const sg_font_subset *f, uint32_t cp, double size)
{
    const sg_glyph *g = sg_font_lookup(f, cp);
    return (g ? g->width : 0) * size / 1000.0;
}

static double span_width(const sg_font_subset *f, const uint32_t *c, size_t a, size_t b,
                         double size)
{
    double w = 0;
    for (size_t i = a; i < b; i++)
        w += advance(f, c[i], size);
    return w;
}

/* One line of text at (x, y): absolute text matrix, the glyph codes in hex. A character the
 * subset lacks (only a time text can hold one) shows as .notdef. */
static void put_line(GString *s, const sg_font_subset *f, const uint32_t *c, size_t a, size_t b,
                     double x, double y)
{
    const double m[6] = {1, 0, 0, 1, x, y};
    put_reals(s, m, 6, "Tm");
    g_string_append_c(s, '<');
    for (size_t i = a; i < b; i++) {
        const sg_glyph *g = sg_font_lookup(f, c[i]);
        g_string_append_printf(s, "%04X", g ? g->code : 0);
    }
    g_string_append(s, "> Tj\n");
}

/* ---- wrapping at spaces ---- */

static const uint32_t *cps_of(const GArray *a) { return (const uint32_t *)(const void *)a->data; }

typedef struct {
    size_t start, end;
} span;

static size_t skip_spaces(const uint32_t *c, size_t i, size_t n)
{
    while (i < n && c[i] == ' ')
        i++;
    return i;
}

static size_t word_end(const uint32_t *c, size_t i, size_t n)
{
    while (i < n && c[i] != ' ')
        i++;
    return i;
}

/* Greedy wrapping of c[0..n) into lines at most `width` wide. A word wider than a line is cut
 * between characters (*cut set). Lines go to spans when not NULL; returns their count. */
static size_t wrap(const sg_font_subset *f, const uint32_t *c, size_t n, double size, double width,
                   GArray *spans, bool *cut)
{
    size_t lines = 0, i = skip_spaces(c, 0, n);
    while (i < n) {
        span line = {i, i};
        double w = 0;
        size_t j = i;
        while (j < n) {
            size_t k = word_end(c, j, n);
            double ww = span_width(f, c, j, k, size);
            double gap = line.end > line.start ? span_width(f, c, line.end, j, size) : 0;
            if (line.end == line.start && ww > width) { /* cut the word */
                *cut = true;
                k = j + 1;
                while (k < n && c[k] != ' ' && span_width(f, c, j, k + 1, size) <= width)
                    k++;
                line.end = k;
                j = k;
                break;
            }
            if (line.end > line.start && w + gap + ww > width)
                break;
            w += gap + ww;
            line.end = k;
            j = skip_spaces(c, k, n);
        }
        if (spans)
            g_array_append_val(spans, line);
        lines++;
        i = skip_spaces(c, j, n);
    }
    return lines;
}

/* ---- layout ---- */

typedef struct {
    GArray *org, *signer, *time; /* NFC code points; the time is a sample of the widest digits */
} stamp_text;

/* The largest size from 9 pt down to 6 pt at which every paragraph fits its line budget
 * without cutting a word; else 6 pt, with as many lines as it takes. */
static double choose_size(const sg_font_subset *f, const stamp_text *t, double width)
{
    for (double size = SIZE_MAX_PT; size >= SIZE_MIN_PT - 1e-9; size -= SIZE_STEP) {
        bool cut = false;
        size_t o = wrap(f, cps_of(t->org), t->org->len, size, width, NULL, &cut);
        size_t s = wrap(f, cps_of(t->signer), t->signer->len, size, width, NULL, &cut);
        size_t m = wrap(f, cps_of(t->time), t->time->len, size, width, NULL, &cut);
        if (!cut && o <= ORG_LINES && s <= SIGNER_LINES && m <= TIME_LINES)
            return size;
    }
    return SIZE_MIN_PT;
}

/* The baseline of a line whose box (one leading high) has its top at `top`. */
static double baseline(const sg_stamp *s, double top)
{
    const sg_font_subset *f = &s->font;
    double text_h = (f->ascent - f->descent) * s->size / 1000.0;
    return top - (s->leading - text_h) / 2 - f->ascent * s->size / 1000.0;
}

static void put_paragraph(const sg_stamp *s, GString *out, const GArray *cps, double size,
                          double *top)
{
    GArray *spans = g_array_new(FALSE, FALSE, sizeof(span));
    bool cut = false;
    const uint32_t *c = cps_of(cps);
    wrap(&s->font, c, cps->len, size, s->text_width, spans, &cut);
    for (guint i = 0; i < spans->len; i++) {
        span l = g_array_index(spans, span, i);
        put_line(out, &s->font, c, l.start, l.end, s->text_x, baseline(s, *top));
        *top -= s->leading;
    }
    g_array_free(spans, TRUE);
}

/* Sizes, positions, and the content stream of everything but the time. */
static void lay_out(sg_stamp *s, const stamp_text *t, double width_pt)
{
    s->width = width_pt;
    double seal_w = 0, seal_h = 0;
    if (s->has_seal) {
        seal_w = s->seal.width_pt;
        seal_h = s->seal.height_pt;
        /* Actual size, unless it would crowd out the text (or make the stamp taller than wide). */
        double k = fmin(1.0, fmin(SEAL_SHARE * width_pt / seal_w, width_pt / seal_h));
        seal_w *= k;
        seal_h *= k;
    }
    s->text_x = INSET + (s->has_seal ? seal_w + GAP : 0);
    s->text_width = fmax(1.0, width_pt - s->text_x - INSET);
    s->size = choose_size(&s->font, t, s->text_width);
    s->leading = LEADING * s->size;

    bool cut = false;
    size_t lines[3];
    const GArray *paras[3] = {t->org, t->signer, t->time};
    for (int i = 0; i < 3; i++)
        lines[i] =
            wrap(&s->font, cps_of(paras[i]), paras[i]->len, s->size, s->text_width, NULL, &cut);
    s->time_lines = (int)lines[2];
    double text_h = (double)(lines[0] + lines[1] + lines[2]) * s->leading;
    s->height = fmax(seal_h, text_h) + 2 * INSET;

    GString *c = s->content = g_string_new(NULL);
    const double frame[4] = {BORDER_WIDTH / 2, BORDER_WIDTH / 2, s->width - BORDER_WIDTH,
                             s->height - BORDER_WIDTH};
    g_string_append(c, "q 0.75 w 0.8 0 0 RG\n");
    put_reals(c, frame, 4, "re S Q");
    if (s->has_seal) {
        const double m[6] = {seal_w, 0, 0, seal_h, INSET, (s->height - seal_h) / 2};
        g_string_append(c, "q ");
        put_reals(c, m, 6, "cm /Im1 Do Q");
    }
    double top = (s->height + text_h) / 2;
    g_string_append(c, "BT 0 g /F1 ");
    put_real(c, s->size);
    g_string_append(c, " Tf\n");
    put_paragraph(s, c, t->org, s->size, &top);
    put_paragraph(s, c, t->signer, s->size, &top);
    g_string_append(c, "ET\n");
    s->time_top = top;
}

/* ---- the API ---- */

static void append_text(GArray *cps, const char *utf8)
{
    if (!sg_text_nfc(utf8, cps))
        g_assert_not_reached(); /* our own literals, and text checked before */
}

/* A time line as wide as any: the label, and the widest digit in the usual format. */
static void time_sample(const sg_font_subset *f, GArray *cps)
{
    uint32_t widest = '0';
    for (uint32_t d = '1'; d <= '9'; d++)
        if (advance(f, d, 1000) > advance(f, widest, 1000))
            widest = d;
    append_text(cps, LABEL_TIME);
    for (const char *p = "00/00/0000 00:00:00 +00:00"; *p; p++) {
        uint32_t v = *p == '0' ? widest : (uint32_t)*p;
        g_array_append_val(cps, v);
    }
}

static sh_status check_spec(const sg_stamp_spec *spec, sh_error *err)
{
    if (!spec || !spec->font_path)
        return sh_fail(err, SH_INTERNAL, "sg_stamp_new: no font");
    if (!(spec->width_mm >= 20 && spec->width_mm <= 200))
        return sh_fail(err, SH_USAGE,
                       _("the stamp width %g mm is out of range: give 20 to 200 mm "
                         "([sign] stamp_width_mm in sohoa.ini)"),
                       spec->width_mm);
    const char *texts[2] = {spec->organisation, spec->signer};
    for (int i = 0; i < 2; i++)
        if (texts[i] && !g_utf8_validate(texts[i], -1, NULL))
            return sh_fail(err, SH_INPUT,
                           _("the organisation or signer name for the stamp is not UTF-8 text; "
                             "correct [sign] organisation in sohoa.ini or the certificate"));
    return SH_OK;
}

sh_status sg_stamp_new(const sg_stamp_spec *spec, sg_stamp **out, sh_error *err)
{
    *out = NULL;
    sh_status st = check_spec(spec, err);
    if (st != SH_OK)
        return st;
    stamp_text t = {g_array_new(FALSE, FALSE, sizeof(uint32_t)),
                    g_array_new(FALSE, FALSE, sizeof(uint32_t)),
                    g_array_new(FALSE, FALSE, sizeof(uint32_t))};
    append_text(t.org, spec->organisation ? spec->organisation : "");
    append_text(t.signer, LABEL_SIGNER);
    append_text(t.signer, spec->signer ? spec->signer : "");
    GArray *all = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_append_vals(all, t.org->data, t.org->len);
    g_array_append_vals(all, t.signer->data, t.signer->len);
    append_text(all, LABEL_TIME);
    append_text(all, TIME_CHARS);

    sg_stamp *s = g_new0(sg_stamp, 1);
    st = sg_font_subset_make(spec->font_path, cps_of(all), all->len, &s->font, err);
    g_array_free(all, TRUE);
    if (st == SH_OK && spec->seal_path) {
        st = sg_seal_load(spec->seal_path, &s->seal, err);
        s->has_seal = st == SH_OK;
    }
    if (st == SH_OK) {
        time_sample(&s->font, t.time);
        lay_out(s, &t, spec->width_mm * 72.0 / 25.4);
        *out = s;
    } else {
        sg_stamp_free(s);
    }
    g_array_free(t.org, TRUE);
    g_array_free(t.signer, TRUE);
    g_array_free(t.time, TRUE);
    return st;
}

sh_status sg_stamp_check(const sg_stamp_spec *spec, sh_error *err)
{
    sh_status st = check_spec(spec, err);
    if (st != SH_OK)
        return st;
    GArray *all = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    append_text(all, spec->organisation ? spec->organisation : "");
    append_text(all, LABEL_SIGNER);
    append_text(all, LABEL_TIME);
    append_text(all, TIME_CHARS);
    sg_font_subset font = {0};
    st = sg_font_subset_make(spec->font_path, cps_of(all), all->len, &font, err);
    sg_font_subset_clear(&font);
    g_array_free(all, TRUE);
    sg_seal seal = {0};
    if (st == SH_OK && spec->seal_path) {
        st = sg_seal_load(spec->seal_path, &seal, err);
        sg_seal_clear(&seal);
    }
    return st;
}

void sg_stamp_size(const sg_stamp *s, double *width_pt, double *height_pt)
{
    *width_pt = s->width;
    *height_pt = s->height;
}

/* The time lines, shrunk when the text is longer than the sample the layout planned for. */
static void put_time(const sg_stamp *s, GString *c, const char *time_text)
{
    GArray *cps = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    append_text(cps, LABEL_TIME);
    SH_IGNORE_RESULT(sg_text_nfc(time_text ? time_text : "", cps)); /* not UTF-8: the label alone */
    const uint32_t *p = cps_of(cps);
    double size = s->size;
    bool cut = false;
    while (size > TIME_SIZE_MIN_PT &&
           (int)wrap(&s->font, p, cps->len, size, s->text_width, NULL, &cut) > s->time_lines) {
        size -= SIZE_STEP;
        cut = false;
    }
    double top = s->time_top;
    g_string_append(c, "BT 0 g /F1 ");
    put_real(c, size);
    g_string_append(c, " Tf\n");
    put_paragraph(s, c, cps, size, &top);
    g_string_append(c, "ET\n");
    g_array_free(cps, TRUE);
}

/* The form's /Matrix: turned for the page's /Rotate, and scaled. */
static void matrix_for(int rotate, double scale, GString *out)
{
    static const int m[4][4] = {{1, 0, 0, 1}, {0, 1, -1, 0}, {-1, 0, 0, -1}, {0, -1, 1, 0}};
    int r = ((rotate % 360) + 360) % 360;
    const int *q = m[r % 90 == 0 ? r / 90 : 0];
    g_string_append(out, "/Matrix [");
    for (int i = 0; i < 4; i++) {
        put_real(out, q[i] * scale);
        g_string_append_c(out, ' ');
    }
    g_string_append(out, "0 0]");
}

static void put_stream(pdf_writer *w, int num, const char *dict, const sg_zbytes *z)
{
    char *d = g_strdup_printf("%s%s/Filter /FlateDecode", dict, *dict ? " " : "");
    pdf_stream_begin(w, num, d, z->len);
    pdf_write(w, z->data, z->len);
    pdf_stream_end(w);
    g_free(d);
}

void sg_font_subset_write(const sg_font_subset *f, pdf_writer *w, int type0)
{
    int cid = pdf_object_reserve(w), desc = pdf_object_reserve(w);
    int file = pdf_object_reserve(w), tounicode = pdf_object_reserve(w);
    pdf_object_begin(w, type0);
    pdf_printf(w,
               "<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
               "/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
               f->base_font, cid, tounicode);
    pdf_object_end(w);
    pdf_object_begin(w, cid);
    pdf_printf(w,
               "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry "
               "(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R "
               "/CIDToGIDMap /Identity /W %s >>",
               f->base_font, desc, f->widths->str);
    pdf_object_end(w);
    pdf_object_begin(w, desc);
    pdf_printf(w,
               "<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] "
               "/ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R "
               ">>",
               f->base_font, f->bbox[0], f->bbox[1], f->bbox[2], f->bbox[3], f->ascent, f->descent,
               f->cap_height, file);
    pdf_object_end(w);
    char *d = g_strdup_printf("/Length1 %zu", f->file.raw_len);
    put_stream(w, file, d, &f->file);
    g_free(d);
    put_stream(w, tounicode, "", &f->tounicode);
}

static void write_seal(const sg_stamp *s, pdf_writer *w, int image)
{
    int smask = s->seal.alpha.len ? pdf_object_reserve(w) : 0;
    GString *d = g_string_new(NULL);
    g_string_printf(d,
                    "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceRGB "
                    "/BitsPerComponent 8",
                    s->seal.width, s->seal.height);
    if (smask)
        g_string_append_printf(d, " /SMask %d 0 R", smask);
    put_stream(w, image, d->str, &s->seal.rgb);
    if (smask) {
        g_string_printf(d,
                        "/Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace "
                        "/DeviceGray /BitsPerComponent 8",
                        s->seal.width, s->seal.height);
        put_stream(w, smask, d->str, &s->seal.alpha);
    }
    g_string_free(d, TRUE);
}

int sg_stamp_write(const sg_stamp *s, pdf_writer *w, const char *time_text, int rotate,
                   double scale)
{
    if (!(scale > 0 && scale <= 1))
        scale = 1;
    int form = pdf_object_reserve(w), font = pdf_object_reserve(w);
    int image = s->has_seal ? pdf_object_reserve(w) : 0;
    if (!form || !font || (s->has_seal && !image))
        return 0;

    GString *c = g_string_new_len(s->content->str, (gssize)s->content->len);
    put_time(s, c, time_text);
    sg_zbytes z = {0};
    sh_error zerr;
    bool zok = sg_zcompress(c->str, c->len, &z, &zerr) == SH_OK;
    g_string_free(c, TRUE);
    if (!zok)
        return 0;

    GString *d = g_string_new("/Type /XObject /Subtype /Form /BBox [0 0 ");
    put_real(d, s->width);
    g_string_append_c(d, ' ');
    put_real(d, s->height);
    g_string_append(d, "] ");
    matrix_for(rotate, scale, d);
    g_string_append_printf(d, " /Resources << /Font << /F1 %d 0 R >>", font);
    if (image)
        g_string_append_printf(d, " /XObject << /Im1 %d 0 R >>", image);
    g_string_append(d, " >>");
    put_stream(w, form, d->str, &z);
    g_string_free(d, TRUE);
    sg_zbytes_clear(&z);

    sg_font_subset_write(&s->font, w, font);
    if (image)
        write_seal(s, w, image);
    return form;
}

void sg_stamp_free(sg_stamp *s)
{
    if (!s)
        return;
    sg_font_subset_clear(&s->font);
    sg_seal_clear(&s->seal);
    if (s->content)
        g_string_free(s->content, TRUE);
    g_free(s);
}
