/* PDFs handed to `sohoa pack` are checked for harmful content (pdf_active_content): any bytes,
 * through a file, must give clean, a list of findings, or SH_INPUT, never a crash, a hang or an
 * allocation beyond the reader's limits; a finding list is never empty. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "pdf/pdf.h"

static char *path;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path) {
        char *dir = g_dir_make_tmp("fuzz-active-XXXXXX", NULL);
        path = g_build_filename(dir, "in.pdf", NULL);
        g_free(dir);
    }
    if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
        return 0;
    sh_error err;
    char *found = NULL;
    sh_status st = pdf_active_content(path, &found, &err);
    if ((st == SH_OK && found && !*found) || (st != SH_OK && (found || st != SH_INPUT)))
        abort();
    g_free(found);
    unlink(path);
    return 0;
}
