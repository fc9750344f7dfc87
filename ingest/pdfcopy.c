/* Scanner PDFs: checked to open (Poppler) and then copied byte for byte under the canonical name
 * by document.c. They are never rewritten: the scanner software's PDF is the original.
 *
 * Poppler is loaded here, on first use, rather than linked: see ingest/CMakeLists.txt. */
#include <dlfcn.h>
#include <glib.h>
#include <poppler.h>

#include "ingest/source.h"

static struct {
    bool tried;
    void *lib;
    PopplerDocument *(*open)(const char *uri, const char *password, GError **error);
    int (*n_pages)(PopplerDocument *doc);
    void (*unref)(gpointer object);
    GQuark (*error_quark)(void);
} poppler;

static G_LOCK_DEFINE(poppler);

static bool load_poppler(void)
{
    G_LOCK(poppler);
    if (!poppler.tried) {
        poppler.tried = true;
        poppler.lib = dlopen(POPPLER_GLIB_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (poppler.lib) {
            *(void **)&poppler.open = dlsym(poppler.lib, "poppler_document_new_from_file");
            *(void **)&poppler.n_pages = dlsym(poppler.lib, "poppler_document_get_n_pages");
            *(void **)&poppler.unref = dlsym(poppler.lib, "g_object_unref");
            *(void **)&poppler.error_quark = dlsym(poppler.lib, "poppler_error_quark");
        }
    }
    bool ok = poppler.open && poppler.n_pages && poppler.unref && poppler.error_quark;
    G_UNLOCK(poppler);
    return ok;
}

static void pdf_close(in_source *s) { (void)s; }

static sh_status pdf_emit(in_source *s, int page, pdf_writer *w, int obj, sh_error *err)
{
    (void)page, (void)w, (void)obj;
    return sh_fail(err, SH_INTERNAL, "%s: a PDF source is copied, not drawn on a page", s->path);
}

static const in_source_ops pdf_ops = {pdf_emit, pdf_close};

sh_status in_pdf_open(in_source *s, sh_error *err)
{
    s->ops = &pdf_ops;
    if (!load_poppler())
        return sh_fail(err, SH_INTERNAL,
                       _("cannot check %s: the Poppler library (%s) is missing; install the "
                         "package libpoppler-glib8"),
                       s->path, POPPLER_GLIB_SONAME);
    GError *gerr = NULL;
    char *abs = g_canonicalize_filename(s->path, NULL);
    char *uri = g_filename_to_uri(abs, NULL, NULL);
    g_free(abs);
    PopplerDocument *doc = uri ? poppler.open(uri, NULL, &gerr) : NULL;
    g_free(uri);
    if (!doc) {
        sh_status st;
        if (gerr && g_error_matches(gerr, poppler.error_quark(), POPPLER_ERROR_ENCRYPTED))
            st = sh_fail(err, SH_INPUT,
                         _("%s is protected by a password; export it from the scanner software "
                           "without protection"),
                         s->path);
        else
            st = sh_fail(err, SH_INPUT,
                         _("%s: the PDF file cannot be opened (%s); copy it again, or scan again"),
                         s->path, gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        return st;
    }
    s->n_pages = poppler.n_pages(doc);
    poppler.unref(doc);
    return SH_OK;
}
