/* PLACEHOLDER (inventory import (H1)): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

void pg_import_result_clear(pg_import_result *r) { (void)r; }

sh_status pg_inventory_import(sh_ledger *l, const sh_actor *actor, const char *path,
                              pg_import_result *res, sh_error *err)
{
    (void)l, (void)actor, (void)path, (void)res;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
