/* The province merge (issue 17: 1,000 snapshots in under 1 s). Two steps, run apart so that the
 * second's peak RSS is the merge's alone:
 *   bench_merge make DIR N ROWS P12 PASS   N signed snapshots of ROWS organisation rows each
 *                                          (DIR/s0001.json + .p7s ...), one station each
 *   bench_merge merge CA DIR               pg_merge over the .json files of DIR, trusting CA: the
 * seconds (wall, and CPU of the whole process), the stations summed and the peak RSS in MiB */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "progress/progress.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ROWS rows: the total, then codes 93.000.036.001.NNN ... under their prefixes. */
static pg_report *report(int station, int rows)
{
    pg_report *r = g_new0(pg_report, 1);
    g_strlcpy(r->as_of, "2026-12-06T17:00:00Z", sizeof r->as_of);
    g_strlcpy(r->period, "2026-12", sizeof r->period);
    g_strlcpy(r->period_start, "2026-12-01", sizeof r->period_start);
    g_snprintf(r->station, sizeof r->station, "HN-%04d", station);
    r->seq = 1;
    r->rows = g_new0(pg_org_row, (size_t)rows);
    r->n_rows = (size_t)rows;
    for (int i = 0; i < rows; i++) {
        pg_org_row *o = &r->rows[i];
        if (i > 0) {
            g_snprintf(o->org, sizeof o->org, "93.%03d.%03d.%03d.%03d", i / 1000, i / 100 % 10,
                       i / 10 % 10, i % 1000);
            o->level = 5;
        }
        for (int s = 0; s < PG_N_STAGES; s++)
            o->stage[s] = (uint64_t)(100 + station + i - s), o->in_period[s] = (uint64_t)s;
        o->documents = 1000 + (uint64_t)i;
        o->pages = 20000 + (uint64_t)i;
        o->per_day = 1.5;
        o->per_week = 7.5;
        g_strlcpy(o->deadline, "2027-06-30", sizeof o->deadline);
        o->target = 50;
        o->timeliness = PG_ON_TIME;
        for (int g = 0; g < 4; g++)
            o->by_group[g][0] = 10, o->by_group[g][1] = 5;
    }
    return r;
}

static int make(const char *dir, int n, int rows, const char *p12, const char *pass)
{
    sh_error err;
    sg_signer *s = NULL;
    sg_signer_options o = {.key = {.pkcs12 = p12}, .secret = pass};
    if (sg_signer_open(&o, &s, &err) != SH_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 3;
    }
    for (int i = 1; i <= n; i++) {
        pg_report *r = report(i, rows);
        sh_json *j = sh_json_new();
        pg_report_json(j, r);
        const char *text = sh_json_finish(j, &err);
        uint8_t *der = NULL;
        size_t der_len = 0;
        char *path = g_strdup_printf("%s/s%04d.json", dir, i);
        char *p7s = g_strconcat(path, ".p7s", NULL);
        if (!text ||
            sg_signer_sign_detached(s, text, strlen(text), 1795000000, &der, &der_len, &err) ||
            sh_write_file_atomic(path, text, strlen(text), 0, &err) ||
            sh_write_file_atomic(p7s, der, der_len, 0, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 4;
        }
        g_free(der);
        g_free(path);
        g_free(p7s);
        sh_json_free(j);
        g_free(r->rows);
        g_free(r);
    }
    sg_signer_close(s);
    return 0;
}

static int merge(const char *ca, const char *dir)
{
    sh_error err;
    X509_STORE *trust = NULL;
    if (sg_trust_load(ca, &trust, &err) != SH_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 3;
    }
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));)
        if (g_str_has_suffix(name, ".json"))
            g_ptr_array_add(paths, g_build_filename(dir, name, NULL));
    if (d)
        g_dir_close(d);
    pg_config c = {.due_soon_days = 5, .stale_days = 7};
    pg_merge_result m;
    double t0 = now();
    sh_status st = pg_merge((char *const *)paths->pdata, paths->len, trust, &c,
                            "2026-12-07T00:00:00Z", &m, &err);
    double t = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* the CPU time too: on a machine others load, the wall time says more about them */
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("files %u status %d stations %zu rows %zu seconds %.3f cpu_seconds %.3f peak_rss_mib "
           "%.1f\n",
           paths->len, (int)st, m.report ? m.report->n_stations : 0,
           m.report ? m.report->n_rows : 0, t, cpu, (double)ru.ru_maxrss / 1024.0);
    pg_merge_result_clear(&m);
    g_ptr_array_free(paths, TRUE);
    X509_STORE_free(trust);
    return st == SH_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 7 && strcmp(argv[1], "make") == 0)
        return make(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
    if (argc == 4 && strcmp(argv[1], "merge") == 0)
        return merge(argv[2], argv[3]);
    fprintf(stderr, "usage: bench_merge make DIR N ROWS P12 PASS | merge CA DIR\n");
    return 2;
}
