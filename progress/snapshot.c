/* PLACEHOLDER (snapshot export): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

sh_status pg_snapshot_export(sh_ledger *l, const char *root, const sh_actor *actor,
                             const pg_report *r, sg_signer *signer, const char *path, int64_t *seq,
                             sh_error *err)
{
    (void)l, (void)root, (void)actor, (void)r, (void)signer, (void)path, (void)seq;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
