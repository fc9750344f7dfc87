/* Page images come from scanners, USB disks and e-mail: any bytes must give pages or an error,
 * never a crash, a hang or an allocation beyond the limits. The JPEG and EXIF header readers
 * run on the bytes directly; TIFF and PNG (libtiff, libpng and our chunk reader) through a file,
 * as `sohoa ingest` reads them, with every page written to a PDF that is then dropped. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "source_impl.h"

static char *scratch;

static const char *path_for(in_kind k)
{
    static char path[512];
    const char *ext = k == IN_KIND_TIFF ? "tif" : k == IN_KIND_PNG ? "png" : "jpg";
    snprintf(path, sizeof path, "%s/page.%s", scratch, ext);
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!scratch)
        scratch = g_dir_make_tmp("fuzz-images-XXXXXX", NULL);
    sh_error err;
    in_jpeg_header h;
    /* Ignored: the target looks for crashes and sanitizer reports, not for the verdict. */
    SH_IGNORE_RESULT(in_jpeg_parse_header(data, size, &h, &err));
    int orientation;
    double xres, yres;
    in_exif_parse(data, size, &orientation, &xres, &yres);

    in_kind k = in_sniff(data, size);
    if (k != IN_KIND_TIFF && k != IN_KIND_PNG && k != IN_KIND_JPEG)
        return 0;
    const char *path = path_for(k);
    if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
        return 0;
    /* Small limits: the fuzzer's memory cap is not the point; the bounds checks are. */
    in_limits lim = {.max_dimension = 2000, .max_pixels = 1000000};
    in_source *s = NULL;
    if (in_source_open(path, &lim, &s, &err) == SH_OK) {
        char out[600];
        snprintf(out, sizeof out, "%s/out.pdf", scratch);
        pdf_writer *w = pdf_writer_new(out, 5, false, &err);
        for (int p = 0; w && p < s->n_pages && p < 8; p++)
            if (s->ops->emit(s, p, w, pdf_object_reserve(w), &err) != SH_OK)
                break;
        pdf_writer_abort(w);
        in_source_close(s);
    }
    unlink(path);
    return 0;
}
