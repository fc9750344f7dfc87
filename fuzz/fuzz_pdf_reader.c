/* PDFs come from scanners, USB disks and e-mail: any bytes must give pages or an error, never a
 * crash, a hang or an allocation beyond the limits. The bytes go through a file, as `sohoa
 * validate` reads them; every page is read and every image listed is streamed to its end (or
 * to a small limit). */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "pdf/pdf.h"

static char *path;

static void read_image(pdf_reader *r, const pdf_image *img)
{
    sh_error err;
    pdf_stream *s = NULL;
    if (pdf_image_open(r, img, 1 << 20, &s, &err) == SH_OK) {
        uint8_t buf[4096];
        while (pdf_stream_read(s, buf, sizeof buf, &err) > 0)
            ;
        pdf_stream_close(s);
    }
    uint8_t *globals = NULL;
    size_t len = 0;
    if (img->codec == PDF_CODEC_JBIG2 &&
        pdf_reader_jbig2_globals(r, img, &globals, &len, &err) == SH_OK)
        g_free(globals);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path) {
        char *dir = g_dir_make_tmp("fuzz-pdf-reader-XXXXXX", NULL);
        path = g_build_filename(dir, "in.pdf", NULL);
        g_free(dir);
    }
    if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
        return 0;
    sh_error err;
    pdf_reader *r = NULL;
    if (pdf_reader_open(path, &r, &err) == SH_OK) {
        int pages = pdf_reader_pages(r);
        for (int p = 0; p < pages && p < 16; p++) {
            pdf_page_info *info = g_new(pdf_page_info, 1);
            if (pdf_reader_page(r, p, info, &err) == SH_OK)
                for (int i = 0; i < info->n_images; i++)
                    read_image(r, &info->images[i]);
            g_free(info);
        }
        pdf_reader_close(r);
    }
    unlink(path);
    return 0;
}
