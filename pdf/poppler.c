/* Reading PDFs through Poppler's GLib interface, loaded with dlopen on first use (see
 * pdf/CMakeLists.txt for why it is not linked). Every entry point used is looked up once;
 * a missing library or symbol is an error naming the package to install. */
#include <dlfcn.h>
#include <glib.h>
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
} pop;

static G_LOCK_DEFINE(pop);

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
