/* PLACEHOLDER (handover record PDF): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

sh_status pg_handover_print(sh_ledger *l, const char *day, const char *font_path,
                            const char *station, const char *path, sh_error *err)
{
    (void)l, (void)day, (void)font_path, (void)station, (void)path;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
