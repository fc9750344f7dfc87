/* PLACEHOLDER (the counts): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

const char *pg_stage_key(pg_stage s)
{
    (void)s;
    return "";
}

const char *pg_stage_label(pg_stage s)
{
    (void)s;
    return "";
}

const char *pg_timeliness_key(pg_timeliness t)
{
    (void)t;
    return NULL;
}

const char *pg_timeliness_label(pg_timeliness t)
{
    (void)t;
    return "";
}

void pg_report_free(pg_report *r) { (void)r; }

sh_status pg_report_compute(sh_ledger *l, const sh_actor *actor, const pg_report_options *o,
                            pg_report **out, sh_error *err)
{
    (void)l, (void)actor, (void)o, (void)out;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}

sh_status pg_dossier_stage(sh_ledger *l, const pg_report_options *o, const char *org_code,
                           const char *member_key, pg_stage *reached, sh_error *err)
{
    (void)l, (void)o, (void)org_code, (void)member_key, (void)reached;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
