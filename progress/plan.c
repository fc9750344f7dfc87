/* PLACEHOLDER (plan import): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

sh_status pg_plan_import(sh_ledger *l, const sh_actor *actor, const char *path,
                         pg_import_result *res, sh_error *err)
{
    (void)l, (void)actor, (void)path, (void)res;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
