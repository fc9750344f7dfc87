/* PLACEHOLDER (HTML dashboard): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

sh_status pg_report_write_html(const pg_report *r, const char *path, const char *lang,
                               sh_error *err)
{
    (void)r, (void)path, (void)lang;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
