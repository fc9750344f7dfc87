/* The checks of a volume besides the bag's own: the tag manifest's signature and its chain, each
 * PDF's signatures, package.json against the bag, and the volumes of a package together.
 * Codes: docs/package.md, "Receiving". */
#include "receive_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the tag manifest's signature */

static const up_bag_tag *find_tag(const up_rx_reading *v, const char *name)
{
    for (size_t i = 0; i < v->n_tags; i++)
        if (strcmp(v->tags[i].name, name) == 0)
            return &v->tags[i];
    return NULL;
}

void up_rx_check_signature(up_rx_reading *v)
{
    up_rx_package *pkg = up_rx_reading_package(v);
    const up_bag_tag *tm = find_tag(v, UP_RX_TAGMANIFEST);
    if (!v->p7s || !tm) {
        up_rx_report(pkg, "receive.signature.missing", SH_ERROR, UP_RX_SIGNATURE, 0,
                     _("The bag has no signed tag manifest (%s over %s): nothing in it can be "
                       "trusted."),
                     UP_RX_SIGNATURE, UP_RX_TAGMANIFEST);
        return;
    }
    sg_detached_report rep = {0};
    sh_error e;
    sh_error_clear(&e);
    if (sg_verify_detached(v->p7s, v->p7s_len, tm->data, tm->len, v->rx->o->trust, &rep, &e) !=
        SH_OK) {
        up_rx_report(pkg, "receive.signature.invalid", SH_ERROR, UP_RX_SIGNATURE, 0, "%s", e.msg);
        sg_detached_report_clear(&rep);
        return;
    }
    const char *who = rep.signer_cn ? rep.signer_cn : "?";
    const char *why = rep.problem ? rep.problem : "";
    if (rep.state == SG_SIG_VALID)
        memcpy(v->signer_sha256, rep.cert_sha256, sizeof v->signer_sha256);
    else if (rep.state == SG_SIG_UNTRUSTED)
        up_rx_report(pkg, "receive.signature.untrusted", SH_ERROR, UP_RX_SIGNATURE, 0,
                     _("The tag manifest is signed by %s, whose certificate does not chain to the "
                       "trusted roots (--trust): %s"),
                     who, why);
    else
        up_rx_report(pkg, "receive.signature.invalid", SH_ERROR, UP_RX_SIGNATURE, 0,
                     _("The tag manifest's signature is not valid (%s): the package was altered or "
                       "damaged."),
                     why);
    sg_detached_report_clear(&rep);
}

/* ---- a PDF's signatures */

static void pdf_signature(up_rx_reading *v, const char *path, const sg_signature_report *s)
{
    up_rx_package *pkg = up_rx_reading_package(v);
    const char *field = s->field ? s->field : "?";
    const char *why = s->problems ? s->problems : "";
    int k = v->vol.volume;
    if (s->state == SG_SIG_INVALID)
        up_rx_report(pkg, "receive.pdf.invalid", SH_ERROR, path, k,
                     _("Signature %s is not valid (%s): the file was altered or damaged."), field,
                     why);
    else if (s->state == SG_SIG_UNTRUSTED)
        up_rx_report(pkg, "receive.pdf.untrusted", SH_ERROR, path, k,
                     _("Signature %s is by %s, whose certificate does not chain to the trusted "
                       "roots (--trust): %s"),
                     field, s->signer_cn ? s->signer_cn : "?", why);
    else if (s->state == SG_SIG_UNCHECKED)
        up_rx_report(pkg, "receive.pdf.unchecked", SH_ERROR, path, k,
                     _("Signature %s is of a kind sohoa cannot check: %s"), field, why);
}

/* text with the descriptor's name replaced by the file's path in the package. g_free. */
static char *named(const char *text, const char *proc, const char *path)
{
    char **parts = g_strsplit(text ? text : "", proc, -1);
    char *out = g_strjoinv(path, parts);
    g_strfreev(parts);
    return out;
}

void up_rx_check_pdf(up_rx_reading *v, const char *path, int fd, up_rx_cert *cert)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    sg_verify_report rep = {0};
    sh_error e;
    sh_error_clear(&e);
    up_rx_package *pkg = up_rx_reading_package(v);
    int k = v->vol.volume;
    if (sg_verify_file(proc, v->rx->o->trust, &rep, &e) != SH_OK) {
        char *why = named(e.msg, proc, path);
        up_rx_report(pkg, "receive.pdf.unsigned", SH_ERROR, path, k,
                     _("Not a PDF that can be read: %s"), why);
        g_free(why);
        sg_verify_report_clear(&rep); /* it may hold the file-level problem */
        return;
    }
    if (rep.n_sigs == 0) {
        char *why = named(rep.problem, proc, path);
        up_rx_report(pkg, "receive.pdf.unsigned", SH_ERROR, path, k, _("Not a signed PDF: %s"),
                     why);
        g_free(why);
    }
    for (int i = 0; i < rep.n_sigs; i++)
        pdf_signature(v, path, &rep.sigs[i]);
    if (rep.n_sigs > 0 && (rep.modified_after || !rep.sigs[rep.n_sigs - 1].covers_whole))
        up_rx_report(pkg, "receive.pdf.partial", SH_ERROR, path, k,
                     _("The file was changed after its last signature: the signature does not "
                       "cover the whole file."));
    if (rep.n_sigs > 0)
        memcpy(cert->hex, rep.sigs[rep.n_sigs - 1].cert_sha256, sizeof cert->hex);
    sg_verify_report_clear(&rep);
}

/* ---- package.json against the bag */

static void check_identity(up_rx_reading *v)
{
    const up_package_json *p = &v->pj;
    up_rx_package *pkg = up_rx_reading_package(v);
    int k = v->vol.volume;
    const up_bag_tag *info = find_tag(v, "bag-info.txt");
    char *ext = info ? up_bag_field_value(info->data, info->len, "External-Identifier") : NULL;
    char *count = info ? up_bag_field_value(info->data, info->len, "Bag-Count") : NULL;
    if (!v->top || strcmp(p->package, v->top) != 0 || !ext || strcmp(p->package, ext) != 0)
        up_rx_report(pkg, "receive.package_json.package", SH_ERROR, "package.json", k,
                     _("package.json names the package %s, the bag's folder is %s and its "
                       "External-Identifier %s: they must be the same."),
                     p->package, v->top ? v->top : "?", ext ? ext : "?");
    char want[64];
    if (count)
        snprintf(want, sizeof want, "%lld of %lld", (long long)p->volume, (long long)p->volumes);
    if (count ? strcmp(count, want) != 0 : p->volumes != 1)
        up_rx_report(pkg, "receive.package_json.volume", SH_ERROR, "package.json", k,
                     _("package.json says volume %lld of %lld, bag-info.txt's Bag-Count %s."),
                     (long long)p->volume, (long long)p->volumes, count ? count : _("none"));
    if (v->signer_sha256[0] && strcmp(v->signer_sha256, p->signer_cert_sha256) != 0)
        up_rx_report(pkg, "receive.package_json.signer", SH_ERROR, "package.json", k,
                     _("package.json names the signer's certificate %s, the tag manifest is "
                       "signed with %s."),
                     p->signer_cert_sha256, v->signer_sha256);
    g_free(ext);
    g_free(count);
}

/* Is folder "data/<organisation>/<one part>"? */
static bool dossier_folder(const char *folder, const char *org)
{
    size_t n = strlen(UP_RX_DATA_PREFIX), o = strlen(org);
    if (strncmp(folder, UP_RX_DATA_PREFIX, n) != 0 || strncmp(folder + n, org, o) != 0 ||
        folder[n + o] != '/')
        return false;
    const char *name = folder + n + o + 1;
    return *name && !strchr(name, '/');
}

/* Is path "<folder>/<one part>"? */
static bool in_folder(const char *path, const char *folder)
{
    size_t n = strlen(folder);
    return strncmp(path, folder, n) == 0 && path[n] == '/' && path[n + 1] &&
           !strchr(path + n + 1, '/');
}

static void check_document(up_rx_reading *v, GHashTable *index, guint8 *used,
                           const up_pkg_dossier *d, const up_pkg_document *doc)
{
    up_rx_package *pkg = up_rx_reading_package(v);
    int k = v->vol.volume;
    if (!in_folder(doc->path, d->folder))
        up_rx_report(pkg, "receive.package_json.folder", SH_ERROR, doc->path, k,
                     _("package.json puts %s in the dossier %s, which does not hold it."),
                     doc->path, d->folder);
    gpointer at = NULL;
    if (!g_hash_table_lookup_extended(index, doc->path, NULL, &at)) {
        up_rx_report(pkg, "receive.package_json.document", SH_ERROR, doc->path, k,
                     _("package.json lists %s, which is not in the package."), doc->path);
        return;
    }
    guint i = GPOINTER_TO_UINT(at);
    const up_bag_entry *e = &g_array_index(v->payload, up_bag_entry, i);
    const up_rx_cert *c = &g_array_index(v->certs, up_rx_cert, i);
    if (used[i]++)
        up_rx_report(pkg, "receive.package_json.document", SH_ERROR, doc->path, k,
                     _("package.json lists %s more than once."), doc->path);
    else if ((uint64_t)doc->bytes != e->size || strcmp(doc->sha256, e->sha256) != 0)
        up_rx_report(pkg, "receive.package_json.document", SH_ERROR, doc->path, k,
                     _("package.json gives %s another size or SHA-256 than the file has."),
                     doc->path);
    if (c->hex[0] && strcmp(c->hex, doc->signer_cert_sha256) != 0)
        up_rx_report(pkg, "receive.package_json.signer", SH_ERROR, doc->path, k,
                     _("package.json names another signer's certificate for %s than its PDF "
                       "signature's."),
                     doc->path);
}

static void check_dossiers(up_rx_reading *v, GHashTable *index, guint8 *used)
{
    const up_package_json *p = &v->pj;
    GHashTable *folders = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < p->n_dossiers; i++) {
        const up_pkg_dossier *d = &p->dossiers[i];
        if (!dossier_folder(d->folder, p->organisation) || strcmp(d->cell, p->organisation) != 0 ||
            !g_hash_table_add(folders, d->folder))
            up_rx_report(up_rx_reading_package(v), "receive.package_json.folder", SH_ERROR,
                         d->folder, v->vol.volume,
                         _("package.json: the dossier folder %s is not data/%s/<name> of that "
                           "cell, or is listed twice."),
                         d->folder, p->organisation);
        for (size_t j = 0; j < d->n_docs; j++)
            check_document(v, index, used, d, &d->docs[j]);
        v->vol.documents += (int)d->n_docs;
    }
    v->vol.dossiers = (int)p->n_dossiers;
    g_hash_table_destroy(folders);
}

void up_rx_check_package_json(up_rx_reading *v)
{
    check_identity(v);
    GHashTable *index = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < v->payload->len; i++)
        g_hash_table_insert(index, (gpointer)g_array_index(v->payload, up_bag_entry, i).path,
                            GUINT_TO_POINTER(i));
    guint8 *used = g_new0(guint8, v->payload->len + 1);
    check_dossiers(v, index, used);
    for (guint i = 0; i < v->payload->len; i++)
        if (!used[i]) {
            const char *path = g_array_index(v->payload, up_bag_entry, i).path;
            up_rx_report(up_rx_reading_package(v), "receive.package_json.unlisted", SH_ERROR, path,
                         v->vol.volume,
                         _("%s is in the package but package.json does not list it."), path);
        }
    g_free(used);
    g_hash_table_destroy(index);
}

/* ---- the volumes of a package */

static bool same(const char *a, const char *b) { return !a == !b && (!a || strcmp(a, b) == 0); }

void up_rx_check_volumes(up_rx_package *pkg)
{
    GArray *vols = pkg->volumes;
    int n = 0;
    const up_rx_volume *first = NULL;
    for (guint i = 0; i < vols->len; i++) {
        const up_rx_volume *v = &g_array_index(vols, up_rx_volume, i);
        if (v->volumes <= 0)
            continue; /* unread: its own finding says why */
        if (!first) {
            first = v;
            n = v->volumes;
        } else if (v->volumes != n || !same(v->group, first->group) || !same(v->org, first->org))
            up_rx_report(pkg, "receive.volumes.inconsistent", SH_ERROR, v->file, v->volume,
                         _("%s does not agree with %s on the package's volumes, group or "
                           "organisation."),
                         v->file, first->file);
    }
    if (!first)
        return;
    if (n > 1 && (!first->group || strcmp(first->group, pkg->id) != 0))
        up_rx_report(pkg, "receive.volumes.inconsistent", SH_ERROR, first->file, first->volume,
                     _("The volumes' Bag-Group-Identifier is %s, not the package ID %s."),
                     first->group ? first->group : _("missing"), pkg->id);
    for (int k = 1; k <= n; k++) {
        int seen = 0;
        const up_rx_volume *last = NULL;
        for (guint i = 0; i < vols->len; i++) {
            const up_rx_volume *v = &g_array_index(vols, up_rx_volume, i);
            if (v->volume == k && v->volumes == n)
                seen++, last = v;
        }
        if (seen == 0)
            up_rx_report(pkg, "receive.volumes.missing", SH_ERROR, pkg->id, k,
                         _("Volume %d of %d of package %s was not given."), k, n, pkg->id);
        else if (seen > 1)
            up_rx_report(pkg, "receive.volumes.duplicate", SH_ERROR, last->file, k,
                         _("Volume %d of %d of package %s was given %d times."), k, n, pkg->id,
                         seen);
    }
}
