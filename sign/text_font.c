/* Text in a PDF of our own (sign.h, "text in a PDF"): the stamp's subset and embedding
 * (stamp_font.c, sg_font_subset_write) behind a small public API, so that a document such as
 * the handover record shows Vietnamese with the same machinery as the stamp. */
#include "sign/sign.h"
#include "stamp_impl.h"

struct sg_text_font {
    sg_font_subset subset;
};

static const uint32_t *cps_of(const GArray *a) { return (const uint32_t *)(const void *)a->data; }

sh_status sg_text_font_load(const char *path, const char *const *texts, size_t n,
                            sg_text_font **out, sh_error *err)
{
    *out = NULL;
    GArray *all = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++)
        if (texts[i] && !sg_text_nfc(texts[i], all)) {
            g_array_free(all, TRUE);
            return sh_fail(err, SH_INPUT, _("a text to show in the PDF is not UTF-8"));
        }
    /* A subset of nothing is no font: the space keeps it valid for an empty document. */
    uint32_t space = ' ';
    g_array_append_val(all, space);
    sg_text_font *f = g_new0(sg_text_font, 1);
    sh_status st = sg_font_subset_make(path, cps_of(all), all->len, &f->subset, err);
    g_array_free(all, TRUE);
    if (st != SH_OK) {
        g_free(f);
        return st;
    }
    *out = f;
    return SH_OK;
}

void sg_text_font_free(sg_text_font *f)
{
    if (!f)
        return;
    sg_font_subset_clear(&f->subset);
    g_free(f);
}

int sg_text_font_write(const sg_text_font *f, pdf_writer *w)
{
    int type0 = pdf_object_reserve(w);
    if (type0)
        sg_font_subset_write(&f->subset, w, type0);
    return type0;
}

char *sg_text_font_encode(const sg_text_font *f, const char *utf8)
{
    GArray *cps = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (!sg_text_nfc(utf8, cps)) {
        g_array_free(cps, TRUE);
        return NULL;
    }
    GString *s = g_string_sized_new(cps->len * 4 + 2);
    g_string_append_c(s, '<');
    for (guint i = 0; i < cps->len; i++) {
        const sg_glyph *g = sg_font_lookup(&f->subset, g_array_index(cps, uint32_t, i));
        g_string_append_printf(s, "%04X", g ? g->code : 0);
    }
    g_string_append_c(s, '>');
    g_array_free(cps, TRUE);
    return g_string_free(s, FALSE);
}

double sg_text_font_width(const sg_text_font *f, const char *utf8, double size)
{
    GArray *cps = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    double w = 0;
    if (sg_text_nfc(utf8, cps))
        for (guint i = 0; i < cps->len; i++) {
            const sg_glyph *g = sg_font_lookup(&f->subset, g_array_index(cps, uint32_t, i));
            w += (g ? g->width : 0) * size / 1000.0;
        }
    g_array_free(cps, TRUE);
    return w;
}

void sg_text_font_metrics(const sg_text_font *f, int *ascent, int *descent)
{
    *ascent = f->subset.ascent;
    *descent = f->subset.descent;
}
