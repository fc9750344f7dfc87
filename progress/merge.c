/* PLACEHOLDER (merge): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

void pg_merge_result_clear(pg_merge_result *m) { (void)m; }

sh_status pg_merge(char *const *paths, size_t n, X509_STORE *trust, const pg_config *config,
                   const char *now, pg_merge_result *res, sh_error *err)
{
    (void)paths, (void)n, (void)trust, (void)config, (void)now, (void)res;
    return sh_fail(err, SH_INTERNAL, "not written yet");
}
