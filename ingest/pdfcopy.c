/* Scanner PDFs: checked to open (pdf_doc_open, Poppler) and then copied byte for byte under the
 * canonical name by document.c. They are never rewritten: the scanner software's PDF is the
 * original. */
#include "source_impl.h"

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
    pdf_doc *doc;
    sh_status st = pdf_doc_open(s->path, &doc, NULL, err);
    if (st != SH_OK)
        return st;
    s->n_pages = pdf_doc_pages(doc);
    pdf_doc_close(doc);
    return SH_OK;
}
