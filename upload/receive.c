/* sohoa receive: every volume file read and checked on its own (receive_volume.c), then grouped
 * by package; each package judged as a whole (its volumes), published when valid, given a
 * signed receipt, and reported. Codes: docs/package.md, "Receiving". */
#include "receive_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *up_rx_printable(const char *s)
{
    char *valid = g_utf8_make_valid(s, -1);
    for (char *p = valid; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return valid;
}

static void worsen(up_rx_package *pkg, sh_status st)
{
    /* SH_INPUT (unreadable, another key) outranks a rejection: the file must be looked at. */
    if (st == SH_INPUT || (st == SH_FINDINGS && pkg->status == SH_OK))
        pkg->status = st;
}

void up_rx_add_finding(up_rx_package *pkg, const sh_finding *f, int k)
{
    if (f->severity == SH_ERROR) {
        pkg->errors++;
        bool input = strcmp(f->code, "receive.file.unreadable") == 0 ||
                     strcmp(f->code, "receive.decrypt.wrong_key") == 0;
        worsen(pkg, input ? SH_INPUT : SH_FINDINGS);
    }
    if (pkg->findings->len >= UP_RECEIVE_FINDINGS_MAX) {
        pkg->more_findings++;
        return;
    }
    sh_finding copy = {.code = g_intern_string(f->code),
                       .severity = f->severity,
                       .path = f->path ? up_rx_printable(f->path) : NULL,
                       .message = up_rx_printable(f->message ? f->message : "")};
    for (int i = 0; i < f->n_values; i++)
        sh_finding_value(&copy, f->values[i].key, f->values[i].value);
    if (k > 0)
        sh_finding_value(&copy, "volume", k);
    g_array_append_val(pkg->findings, copy);
}

void up_rx_report(up_rx_package *pkg, const char *code, sh_severity sev, const char *path, int k,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sh_finding f = {.code = code, .severity = sev, .path = path, .message = message};
    up_rx_add_finding(pkg, &f, k);
    g_free(message);
}

static void volume_clear(void *p)
{
    up_rx_volume *v = p;
    g_free(v->file);
    g_free(v->group);
    g_free(v->org);
    g_free(v->package_json);
}

static void finding_clear(void *p)
{
    sh_finding *f = p;
    g_free((char *)f->path);
    g_free((char *)f->message);
}

static void package_free(void *p)
{
    up_rx_package *pkg = p;
    up_rx_discard(pkg);
    g_free(pkg->id);
    g_array_free(pkg->volumes, TRUE);
    g_array_free(pkg->findings, TRUE);
    g_free(pkg->extracted);
    g_free(pkg->receipt);
    g_free(pkg);
}

up_rx_package *up_rx_package_for(up_rx *rx, const char *id)
{
    for (guint i = 0; id && i < rx->packages->len; i++) {
        up_rx_package *pkg = g_ptr_array_index(rx->packages, i);
        if (pkg->id && strcmp(pkg->id, id) == 0)
            return pkg;
    }
    up_rx_package *pkg = g_new0(up_rx_package, 1);
    pkg->id = g_strdup(id);
    pkg->volumes = g_array_new(FALSE, TRUE, sizeof(up_rx_volume));
    g_array_set_clear_func(pkg->volumes, volume_clear);
    pkg->findings = g_array_new(FALSE, TRUE, sizeof(sh_finding));
    g_array_set_clear_func(pkg->findings, finding_clear);
    pkg->staging_fd = -1;
    g_ptr_array_add(rx->packages, pkg);
    return pkg;
}

/* ---- the end of a package: its volumes, the extraction, the receipt, the report */

static void summarise(const up_rx_package *pkg, up_receive_report *r, const char **files,
                      int *dossiers, int *documents)
{
    *dossiers = *documents = 0;
    const char *org = NULL;
    for (guint i = 0; i < pkg->volumes->len; i++) {
        const up_rx_volume *v = &g_array_index(pkg->volumes, up_rx_volume, i);
        files[i] = v->file;
        *dossiers += v->dossiers;
        *documents += v->documents;
        if (!org)
            org = v->org;
    }
    files[pkg->volumes->len] = NULL;
    *r = (up_receive_report){.id = pkg->id,
                             .org = org,
                             .volumes = (int)pkg->volumes->len,
                             .files = files,
                             .accepted = pkg->errors == 0,
                             .dossiers = *dossiers,
                             .documents = *documents,
                             .findings = (const sh_finding *)(void *)pkg->findings->data,
                             .n_findings = pkg->findings->len,
                             .more_findings = pkg->more_findings,
                             .status = pkg->status,
                             .extracted = pkg->extracted,
                             .receipt = pkg->receipt};
}

/* A receipt for every package the receiver can name and could open: not for a file encrypted
 * for someone else, nor one that could not be read at all; and a package received and
 * extracted before keeps its receipt "accepted" (a damaged second copy, named like it, must not
 * turn it into "rejected"). */
static bool gets_receipt(const up_rx *rx, const up_rx_package *pkg)
{
    if (!rx->o->into || !pkg->id || pkg->status == SH_INPUT)
        return false;
    if (pkg->errors == 0)
        return true;
    char *before = g_build_filename(rx->o->into, pkg->id, NULL);
    bool received = g_file_test(before, G_FILE_TEST_IS_DIR);
    g_free(before);
    return !received;
}

static sh_status finish_package(up_rx *rx, up_rx_package *pkg, up_receive_summary *sum,
                                sh_error *err)
{
    if (pkg->id)
        up_rx_check_volumes(pkg);
    sh_status st = SH_OK;
    if (pkg->errors == 0 && rx->o->into && pkg->id)
        st = up_rx_publish(rx, pkg, err);
    else
        up_rx_discard(pkg);
    if (st == SH_OK && gets_receipt(rx, pkg))
        st = up_rx_write_receipt(rx, pkg, err);
    if (st != SH_OK)
        return st;
    sum->packages++;
    sum->accepted += pkg->errors == 0;
    sum->rejected += pkg->errors != 0 && pkg->status != SH_INPUT;
    sum->unreadable += pkg->status == SH_INPUT;
    sum->receipts += pkg->receipt != NULL;
    if (rx->o->package) {
        const char **files = g_new(const char *, pkg->volumes->len + 1);
        up_receive_report r;
        int dossiers, documents;
        summarise(pkg, &r, files, &dossiers, &documents);
        rx->o->package(&r, rx->o->ctx);
        g_free(files);
    }
    return SH_OK;
}

/* ---- the run */

static sh_status check_into(const char *into, sh_error *err)
{
    struct stat st;
    if (stat(into, &st) != 0 || !S_ISDIR(st.st_mode))
        return sh_fail(err, SH_USAGE, _("%s is not a folder: make it first, or name another"),
                       into);
    if (access(into, W_OK | X_OK) != 0)
        return sh_fail_errno(err, SH_USAGE, errno, _("cannot write in %s"), into);
    return SH_OK;
}

static const char *temp_dir(const up_receive_options *o)
{
    if (o->tmp_dir)
        return o->tmp_dir;
    if (o->into)
        return o->into;
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static sh_status run(up_rx *rx, char *const *files, int n_files, up_receive_summary *sum,
                     sh_error *err)
{
    sh_status st = SH_OK;
    for (int i = 0; i < n_files && st == SH_OK; i++)
        st = up_rx_read_volume(rx, files[i], err);
    for (guint i = 0; i < rx->packages->len && st == SH_OK; i++)
        st = finish_package(rx, g_ptr_array_index(rx->packages, i), sum, err);
    if (st != SH_OK)
        return st;
    for (guint i = 0; i < rx->packages->len; i++) {
        const up_rx_package *pkg = g_ptr_array_index(rx->packages, i);
        if (pkg->status > st)
            st = pkg->status;
    }
    return st;
}

sh_status up_receive(char *const *files, int n_files, const up_receive_options *o,
                     up_receive_summary *sum, sh_error *err)
{
    *sum = (up_receive_summary){0};
    if (!o->signer || n_files <= 0)
        return sh_fail(err, SH_INTERNAL, "receive: no key or no file");
    sh_status st = o->into ? check_into(o->into, err) : SH_OK;
    up_rx rx = {.o = o, .tmp_dir = temp_dir(o)};
    if (st == SH_OK)
        st = sg_signer_decryption_key(o->signer, &rx.cert, &rx.key, err);
    if (st != SH_OK)
        return st;
    if (o->into)
        up_rx_sweep(o->into);
    rx.packages = g_ptr_array_new_with_free_func(package_free);
    st = run(&rx, files, n_files, sum, err);
    g_ptr_array_free(rx.packages, TRUE);
    EVP_PKEY_free(rx.key);
    X509_free(rx.cert);
    return st;
}
