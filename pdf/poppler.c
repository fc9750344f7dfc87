/* Reading PDFs through Poppler's GLib interface, loaded with dlopen on first use (see
 * pdf/CMakeLists.txt for why it is not linked). Every entry point used is looked up once;
 * a missing library or symbol is an error naming the package to install. */
#include <dlfcn.h>
#include <glib.h>
#include <cairo.h>
#include <poppler.h>
#include <unistd.h>

#include "pdf/pdf.h"

struct pdf_doc {
    PopplerDocument *doc;
    int pages;
};

static struct {
    bool tried, ok;
    PopplerDocument *(*open)(const char *uri, const char *password, GError **error);
    int (*n_pages)(PopplerDocument *doc);
    void (*version)(PopplerDocument *doc, guint *major, guint *minor);
    void (*unref)(gpointer object);
    GQuark (*error_quark)(void);
    /* Rendering (validate's fallback for pages that are not one scanned image). */
    PopplerPage *(*get_page)(PopplerDocument *doc, int index);
    void (*page_size)(PopplerPage *page, double *w, double *h);
    void (*render)(PopplerPage *page, cairo_t *cr);
    cairo_surface_t *(*surface_create)(cairo_format_t format, int w, int h);
    cairo_status_t (*surface_status)(cairo_surface_t *s);
    unsigned char *(*surface_data)(cairo_surface_t *s);
    int (*surface_stride)(cairo_surface_t *s);
    void (*surface_flush)(cairo_surface_t *s);
    void (*surface_destroy)(cairo_surface_t *s);
    cairo_t *(*create)(cairo_surface_t *s);
    void (*scale)(cairo_t *cr, double sx, double sy);
    void (*set_source_rgb)(cairo_t *cr, double r, double g, double b);
    void (*paint)(cairo_t *cr);
    void (*destroy)(cairo_t *cr);
    bool render_ok;
} pop;

static G_LOCK_DEFINE(pop);

/* Poppler's rendering entry points, and cairo's, which Poppler's library has loaded already. */
static void load_render(void *lib)
{
    *(void **)&pop.get_page = dlsym(lib, "poppler_document_get_page");
    *(void **)&pop.page_size = dlsym(lib, "poppler_page_get_size");
    *(void **)&pop.render = dlsym(lib, "poppler_page_render");
    *(void **)&pop.surface_create = dlsym(lib, "cairo_image_surface_create");
    *(void **)&pop.surface_status = dlsym(lib, "cairo_surface_status");
    *(void **)&pop.surface_data = dlsym(lib, "cairo_image_surface_get_data");
    *(void **)&pop.surface_stride = dlsym(lib, "cairo_image_surface_get_stride");
    *(void **)&pop.surface_flush = dlsym(lib, "cairo_surface_flush");
    *(void **)&pop.surface_destroy = dlsym(lib, "cairo_surface_destroy");
    *(void **)&pop.create = dlsym(lib, "cairo_create");
    *(void **)&pop.scale = dlsym(lib, "cairo_scale");
    *(void **)&pop.set_source_rgb = dlsym(lib, "cairo_set_source_rgb");
    *(void **)&pop.paint = dlsym(lib, "cairo_paint");
    *(void **)&pop.destroy = dlsym(lib, "cairo_destroy");
    pop.render_ok = pop.get_page && pop.page_size && pop.render && pop.surface_create &&
                    pop.surface_status && pop.surface_data && pop.surface_stride &&
                    pop.surface_flush && pop.surface_destroy && pop.create && pop.scale &&
                    pop.set_source_rgb && pop.paint && pop.destroy;
}

static bool load(void)
{
    G_LOCK(pop);
    if (!pop.tried) {
        pop.tried = true;
        void *lib = dlopen(POPPLER_GLIB_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (lib) {
            *(void **)&pop.open = dlsym(lib, "poppler_document_new_from_file");
            *(void **)&pop.n_pages = dlsym(lib, "poppler_document_get_n_pages");
            *(void **)&pop.version = dlsym(lib, "poppler_document_get_pdf_version");
            *(void **)&pop.unref = dlsym(lib, "g_object_unref");
            *(void **)&pop.error_quark = dlsym(lib, "poppler_error_quark");
            pop.ok = pop.open && pop.n_pages && pop.version && pop.unref && pop.error_quark;
            load_render(lib);
        }
    }
    bool ok = pop.ok;
    G_UNLOCK(pop);
    return ok;
}

sh_status pdf_doc_open(const char *path, pdf_doc **doc, pdf_doc_problem *problem, sh_error *err)
{
    *doc = NULL;
    if (problem)
        *problem = PDF_DOC_DAMAGED;
    if (!load())
        return sh_fail(err, SH_INTERNAL,
                       _("cannot check %s: the Poppler library (%s) is missing; install the "
                         "package libpoppler-glib8"),
                       path, POPPLER_GLIB_SONAME);
    /* Poppler reads by URI; a regular-file check first, so a pipe is refused, not waited on. */
    sh_error oerr;
    int fd = sh_open_regular(path, &oerr);
    if (fd < 0) {
        if (err)
            *err = oerr;
        return oerr.status;
    }
    close(fd);
    char *abs = g_canonicalize_filename(path, NULL);
    char *uri = g_filename_to_uri(abs, NULL, NULL);
    g_free(abs);
    GError *gerr = NULL;
    PopplerDocument *d = uri ? pop.open(uri, NULL, &gerr) : NULL;
    g_free(uri);
    if (!d) {
        sh_status st;
        if (gerr && g_error_matches(gerr, pop.error_quark(), POPPLER_ERROR_ENCRYPTED)) {
            if (problem)
                *problem = PDF_DOC_ENCRYPTED;
            st = sh_fail(err, SH_INPUT,
                         _("%s is protected by a password; export it from the scanner software "
                           "without protection"),
                         path);
        } else
            st = sh_fail(err, SH_INPUT,
                         _("%s: the PDF file cannot be opened (%s); copy it again, or scan again"),
                         path, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        return st;
    }
    *doc = g_new0(pdf_doc, 1);
    (*doc)->doc = d;
    (*doc)->pages = pop.n_pages(d);
    if (problem)
        *problem = PDF_DOC_OK;
    return SH_OK;
}

int pdf_doc_pages(const pdf_doc *doc) { return doc->pages; }

void pdf_doc_version(const pdf_doc *doc, int *major, int *minor)
{
    guint ma = 0, mi = 0;
    pop.version(doc->doc, &ma, &mi);
    *major = (int)ma;
    *minor = (int)mi;
}

void pdf_doc_close(pdf_doc *doc)
{
    if (!doc)
        return;
    pop.unref(doc->doc);
    g_free(doc);
}

/* Pages larger than this (in points, either side) are refused: 200 inches, beyond any paper. */
#define RENDER_MAX_PT 14400.0

sh_status pdf_doc_render_grey(pdf_doc *doc, int index, double ppi, uint32_t max_px, uint8_t **px,
                              uint32_t *w, uint32_t *h, double *ppi_out, sh_error *err)
{
    *px = NULL;
    if (!pop.render_ok)
        return sh_fail(err, SH_INTERNAL,
                       _("cannot render PDF pages: the Poppler library (%s) lacks its cairo "
                         "functions; install the packages libpoppler-glib8 and libcairo2"),
                       POPPLER_GLIB_SONAME);
    PopplerPage *page = index >= 0 && index < doc->pages ? pop.get_page(doc->doc, index) : NULL;
    if (!page)
        return sh_fail(err, SH_INPUT, _("Poppler cannot read the page"));
    double pw = 0, ph = 0;
    pop.page_size(page, &pw, &ph); /* with the page's /Rotate applied */
    if (!(pw > 0.5 && ph > 0.5 && pw <= RENDER_MAX_PT && ph <= RENDER_MAX_PT)) {
        pop.unref(page);
        return sh_fail(err, SH_INPUT, _("page %d has an impossible size (%.0f × %.0f pt)"),
                       index + 1, pw, ph);
    }
    double scale = ppi / 72.0;
    double longer = (pw > ph ? pw : ph) * scale;
    if (max_px > 0 && longer > max_px)
        scale *= max_px / longer;
    int iw = (int)(pw * scale + 0.5), ih = (int)(ph * scale + 0.5);
    iw = iw < 1 ? 1 : iw;
    ih = ih < 1 ? 1 : ih;
    /* RGB24 rather than A8: an A8 surface keeps only coverage, not the colours of a scan. */
    cairo_surface_t *surface = pop.surface_create(CAIRO_FORMAT_RGB24, iw, ih);
    if (pop.surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        pop.surface_destroy(surface);
        pop.unref(page);
        return sh_fail(err, SH_INTERNAL, _("out of memory rendering page %d"), index + 1);
    }
    cairo_t *cr = pop.create(surface);
    pop.set_source_rgb(cr, 1, 1, 1); /* paper; a page draws on white */
    pop.paint(cr);
    pop.scale(cr, (double)iw / pw, (double)ih / ph);
    /* Poppler sets up some process-wide state (colour management) lazily and without a lock on
     * the first page it draws: the first render runs alone; later ones run in parallel. */
    static gint warmed_flag;
    static G_LOCK_DEFINE(first_render);
    G_LOCK(first_render);
    if (!g_atomic_int_get(&warmed_flag)) {
        pop.render(page, cr);
        g_atomic_int_set(&warmed_flag, 1);
        G_UNLOCK(first_render);
    } else {
        G_UNLOCK(first_render);
        pop.render(page, cr);
    }
    pop.destroy(cr);
    pop.surface_flush(surface);
    const unsigned char *data = pop.surface_data(surface);
    int stride = pop.surface_stride(surface);
    uint8_t *grey = g_malloc((size_t)iw * (size_t)ih);
    for (int y = 0; y < ih; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        uint8_t *out = grey + (size_t)y * (size_t)iw;
        for (int x = 0; x < iw; x++) {
            uint32_t p = row[x];
            out[x] =
                (uint8_t)((((p >> 16) & 255) * 77 + ((p >> 8) & 255) * 150 + (p & 255) * 29) >> 8);
        }
    }
    pop.surface_destroy(surface);
    pop.unref(page);
    *px = grey;
    *w = (uint32_t)iw;
    *h = (uint32_t)ih;
    *ppi_out = scale * 72.0;
    return SH_OK;
}
