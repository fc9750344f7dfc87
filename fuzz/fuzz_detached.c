/* `sohoa receive` checks the detached signature of a package's tag manifest that came from
 * another machine: any bytes given as the signature (sg_verify_detached) must give a report,
 * never a crash, a leak or a hang. Without trust anchors nothing may come out valid, and a report
 * that is not valid says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the seeds in fuzz/corpus/detached sign this text (fuzz/README.md) */
    static const char content[] = "sohoa fuzz: the signed data\n";
    sg_detached_report rep;
    sh_error err;
    if (sg_verify_detached(data, size, content, strlen(content), NULL, &rep, &err) != SH_OK)
        abort(); /* only when memory runs out */
    if (rep.state == SG_SIG_VALID || !rep.problem || !rep.problem[0])
        abort();
    if (strlen(rep.cert_sha256) != 0 && strlen(rep.cert_sha256) != SH_SHA256_HEX_LEN)
        abort();
    sg_detached_report_clear(&rep);
    return 0;
}
