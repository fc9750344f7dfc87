/* PLACEHOLDER (XLSX view): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

sh_status pg_report_write_xlsx(const pg_report *r, const char *path, sh_error *err)
{
    (void)r, (void)path;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
