/* Signing appends an incremental update to a PDF that came from anywhere: any bytes must give an
 * update (to a temp file, dropped here) or an error, never a crash, a leak or a hang. The bytes go
 * through a file; the signatures and revisions a verifier reads are listed, then a signature
 * field is hooked into page 1 as `sohoa sign` does, and the update is closed and digested. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pdf/pdf.h"

static char *dir, *in_path, *out_path;

/* What a verifier relies on: a located /Contents lies inside the file, revisions in order. */
static void read_signatures(pdf_reader *r, size_t size)
{
    sh_error err;
    pdf_signature *sigs = NULL;
    int n = 0;
    if (pdf_reader_signatures(r, &sigs, &n, &err) == SH_OK) {
        for (int i = 0; i < n; i++) {
            const pdf_signature *s = &sigs[i];
            if (s->in_file && (s->contents_start >= s->contents_end || s->contents_end > size))
                abort();
            if (s->n_byte_range > 8 || !s->field)
                abort();
        }
        pdf_signatures_free(sigs, n);
    }
    uint64_t ends[16];
    int k = pdf_reader_revisions(r, ends, 16);
    for (int i = 0; i < k; i++)
        if (ends[i] > size || ends[i] < 5 || (i && ends[i] <= ends[i - 1]))
            abort();
}

static void update(pdf_reader *r, const pdf_update_base *base, size_t size)
{
    sh_error err;
    pdf_writer *w = pdf_writer_update(out_path, in_path, base, &err);
    if (!w)
        return;
    if (pdf_writer_tell(w) < size - base->header)
        abort(); /* the original is copied whole, from its header on */
    double box[4];
    int rotate = 0, page = 0, gen = 0;
    /* Ignored: without page 1 the field points at object 0, which the update must survive. */
    SH_IGNORE_RESULT(pdf_reader_page_geometry(r, 0, box, &rotate, &page, &gen, &err));
    char name[32];
    pdf_reader_new_field_name(r, "Signature", name, sizeof name);
    int field = pdf_object_reserve(w);
    pdf_object_begin(w, field);
    pdf_printf(w,
               "<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /Rect [0 0 0 0] /F 132 /P %d %d "
               "R >>",
               name, page, gen);
    pdf_object_end(w);
    /* Ignored: with the field or without, the update is closed and read back all the same. */
    SH_IGNORE_RESULT(pdf_update_add_field(r, w, 0, field, &err));
    pdf_writer_mark(w);
    uint64_t mark = pdf_writer_tell(w);
    if (pdf_writer_close(w, &err) == SH_OK) {
        uint64_t end = pdf_writer_tell(w);
        uint8_t digest[SH_SHA256_LEN];
        if (end <= mark || pdf_writer_digest(w, mark, end, digest, &err) != SH_OK)
            abort();
    }
    pdf_writer_abort(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir) {
        dir = g_dir_make_tmp("fuzz-pdf-update-XXXXXX", NULL);
        in_path = g_build_filename(dir, "in.pdf", NULL);
        out_path = g_build_filename(dir, "out.pdf", NULL);
    }
    /* A long session outlives a /tmp cleaner: a missing folder is made again, not a run that
     * silently tests nothing. */
    g_mkdir_with_parents(dir, 0700);
    if (!g_file_set_contents(in_path, (const char *)data, (gssize)size, NULL))
        abort();
    sh_error err;
    pdf_reader *r = NULL;
    if (pdf_reader_open(in_path, &r, &err) == SH_OK) {
        read_signatures(r, size);
        pdf_update_base base;
        if (pdf_reader_update_base(r, &base, &err) == SH_OK)
            update(r, &base, size);
        pdf_reader_close(r);
    }
    unlink(in_path);
    return 0;
}
