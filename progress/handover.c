/* PLACEHOLDER (handover): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

sh_status pg_handover_record(sh_ledger *l, const sh_actor *actor, const pg_handover *h,
                             int64_t *audit_id, sh_error *err)
{
    (void)l, (void)actor, (void)h, (void)audit_id;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
