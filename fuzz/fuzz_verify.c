/* `sohoa verify` reads signed PDFs from anywhere, forged ones included: any bytes must give a
 * report (or an error), never a crash, a leak or a hang. The bytes go through a file; the report
 * must never call a signature valid without a trust store, nor say a file is fine that has no
 * signature covering it whole. */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "sign/sign.h"

static char *dir, *path;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir) {
        dir = g_dir_make_tmp("fuzz-verify-XXXXXX", NULL);
        path = g_build_filename(dir, "in.pdf", NULL);
    }
    g_mkdir_with_parents(dir, 0700);
    if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
        abort();
    sg_verify_report rep;
    sh_error err;
    if (sg_verify_file(path, NULL, &rep, &err) == SH_OK) {
        if (rep.ok || rep.file_bytes != size)
            abort(); /* no trust anchors: nothing can be fully valid */
        for (int i = 0; i < rep.n_sigs; i++) {
            const sg_signature_report *s = &rep.sigs[i];
            if (s->state == SG_SIG_VALID || s->signed_bytes > size ||
                (s->covers_whole && s->signed_bytes != size))
                abort();
        }
    }
    sg_verify_report_clear(&rep);
    unlink(path);
    return 0;
}
