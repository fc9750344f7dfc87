/* Audit chain throughput: append N entries (1,000 per transaction, as a batch command would) and
 * verify them, in entries per second. A station's ledger grows by millions of entries over the
 * five years the log must be kept, and verify reads all of them. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/core.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_audit LEDGER-PATH ENTRIES\n");
        return 2;
    }
    long n = atol(argv[2]);
    sh_error err;
    sh_ledger *l;
    if (sh_ledger_open(argv[1], true, &l, &err) != SH_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 3;
    }
    sh_actor actor = {"BENCH-01", "Nguyễn Văn A"};
    double t0 = now();
    for (long i = 0; i < n;) {
        if (sh_ledger_begin(l, &err) != SH_OK)
            goto fail;
        for (long k = 0; k < 1000 && i < n; k++, i++)
            if (sh_audit_append(
                    l, &actor, "document.validate",
                    "93.000.036.001.015/012345678901_NguyenVanA/02.Ly lich dang vien.pdf",
                    "{\"sha256\":"
                    "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
                    "\"verdict\":\"pass\"}",
                    NULL, &err) != SH_OK)
                goto fail;
        if (sh_ledger_commit(l, &err) != SH_OK)
            goto fail;
    }
    double t1 = now();
    sh_audit_verdict v;
    if (sh_audit_verify(l, NULL, &v, &err) != SH_OK)
        goto fail;
    double t2 = now();
    printf("append: %ld entries in %.2f s = %.0f entries/s\n", n, t1 - t0, n / (t1 - t0));
    printf("verify: %lld entries in %.2f s = %.0f entries/s (%s)\n", (long long)v.entries, t2 - t1,
           v.entries / (t2 - t1), v.intact ? "intact" : "BROKEN");
    sh_ledger_close(l);
    return v.intact ? 0 : 1;
fail:
    fprintf(stderr, "%s\n", err.msg);
    sh_ledger_close(l);
    return 4;
}
